//! Harness for Bluelamp's end-to-end tests: the real app binary in WebKit under a private Xvfb,
//! driven through tauri-driver + WebKitWebDriver with fantoccini.
//!
//! Every process is started here and stopped by PID when its guard drops (SIGTERM, then SIGKILL
//! after a grace period; tauri-driver must get SIGTERM or WebKitWebDriver is orphaned). The app
//! itself is WebKitWebDriver's child: the harness finds its PID by its data directory and stops
//! it first, so a test that fails before closing its session leaves nothing running. Every
//! wait has a timeout, so a missing display or driver fails fast with a message.
//!
//! Run through `cargo xtask test`, which builds the app and the central service first.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
pub use bluelamp_testkit::{alive, free_port, pids_with_env, wait_for_port, PidGuard, Proc, Xvfb};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Where cargo puts binaries for this build (honours CARGO_TARGET_DIR).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"))
}

pub fn debug_bin(name: &str) -> anyhow::Result<PathBuf> {
    let p = target_dir().join("debug").join(name);
    if !p.exists() {
        bail!("{} is not built: run `cargo xtask test` (it builds the app first)", p.display());
    }
    Ok(p)
}

/// Folder for a test's screenshots and logs: `target/e2e/<test>/`.
pub fn artifacts_dir(test: &str) -> anyhow::Result<PathBuf> {
    let d = target_dir().join("e2e").join(test);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// A `bluelamp-central` seeded with demo data on a free loopback port.
pub struct CentralProc {
    pub url: String,
    pub proc: Proc,
}

impl CentralProc {
    pub fn start(db: &Path) -> anyhow::Result<CentralProc> {
        let mut proc = Proc::spawn(
            "bluelamp-central",
            Command::new(debug_bin("bluelamp-central")?)
                .args(["--listen", "127.0.0.1:0", "--seed-demo", "--db"])
                .arg(db)
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let stdout = proc.child_mut().stdout.take().context("no stdout")?;
        // Read on a thread so that a service that never prints cannot hang the test: after
        // 30 s the guard stops it by PID.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = tx.send(read);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(read) => read.context("reading bluelamp-central's first line")?,
            Err(_) => bail!("bluelamp-central (pid {}) did not say where it listens within 30 s", proc.pid()),
        };
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .context("unexpected first line from bluelamp-central")?
            .to_string();
        Ok(CentralProc { url, proc })
    }
}

/// tauri-driver on free ports, launching the app with `env`.
pub struct Driver {
    pub port: u16,
    _proc: Proc,
}

impl Driver {
    pub fn start(display: &str, env: &[(&str, String)], log: &Path) -> anyhow::Result<Driver> {
        let port = free_port()?;
        let native_port = free_port()?;
        let log = std::fs::File::create(log)?;
        let mut cmd = Command::new("tauri-driver");
        cmd.args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("DISPLAY", display)
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .stdout(log.try_clone()?)
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let proc = Proc::spawn("tauri-driver", &mut cmd)?;
        wait_for_port(port, Duration::from_secs(15), "tauri-driver")?;
        // tauri-driver starts WebKitWebDriver on the native port and does not wait for it: a
        // session asked for before it listens fails with "Connection refused" (twice in one CI
        // run on a busy machine, 6 Dec 2026).
        wait_for_port(native_port, Duration::from_secs(30), "WebKitWebDriver")?;
        Ok(Driver { port, _proc: proc })
    }

    /// Opens a WebDriver session, which launches the app.
    pub async fn session(&self, app: &Path) -> anyhow::Result<fantoccini::Client> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
        let url = format!("http://127.0.0.1:{}", self.port);
        let mut builder = fantoccini::ClientBuilder::native();
        builder.capabilities(caps);
        let connect = builder.connect(&url);
        match tokio::time::timeout(Duration::from_secs(60), connect).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => bail!("WebDriver session failed: {e}"),
            Err(_) => bail!("WebDriver session not created within 60 s (is the display working?)"),
        }
    }
}

/// Everything one app test needs, torn down in reverse order on drop.
pub struct AppUnderTest {
    pub client: fantoccini::Client,
    pub display: String,
    pub artifacts: PathBuf,
    pub central: Option<CentralProc>,
    /// The app WebKitWebDriver launched, stopped by its PID before the driver is.
    _app: PidGuard,
    _driver: Driver,
    _xvfb: Xvfb,
    _data: tempfile_dir::TempDir,
}

impl AppUnderTest {
    /// Launches the app with a fresh data directory. With `external_central`, the app talks to
    /// a separate `bluelamp-central` process the test can stop.
    pub async fn launch(test: &str, external_central: bool) -> anyhow::Result<AppUnderTest> {
        Self::launch_with(test, external_central, &[]).await
    }

    /// Like [`AppUnderTest::launch`], with extra environment for the app.
    pub async fn launch_with(
        test: &str,
        external_central: bool,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<AppUnderTest> {
        Self::launch_prepared(test, external_central, extra, |_| Ok(())).await
    }

    /// Like [`AppUnderTest::launch_with`], after `prepare` has written into the app's data
    /// directory (the one `BLUELAMP_DATA_DIR` names; officers' stores live in `officers/`).
    pub async fn launch_prepared(
        test: &str,
        external_central: bool,
        extra: &[(&str, &str)],
        prepare: impl FnOnce(&Path) -> anyhow::Result<()>,
    ) -> anyhow::Result<AppUnderTest> {
        let artifacts = artifacts_dir(test)?;
        let data = tempfile_dir::TempDir::new(&artifacts.join("data"))?;
        prepare(&data.path().join("app"))?;
        let xvfb = Xvfb::start()?;
        eprintln!("[{test}] Xvfb on {}", xvfb.display);
        let central = if external_central { Some(CentralProc::start(&data.path().join("central.db"))?) } else { None };
        let mut env = vec![
            ("BLUELAMP_DATA_DIR", data.path().join("app").display().to_string()),
            // The webview's own storage (the day or night display) is per test too: under the
            // account's data folder it outlived the test and the next run started in it.
            ("XDG_DATA_HOME", data.path().join("xdg-data").display().to_string()),
        ];
        if let Some(c) = &central {
            // A demo central service (`--seed-demo`): the app may offer the demo officers.
            env.push(("BLUELAMP_CENTRAL_URL", c.url.clone()));
            env.push(("BLUELAMP_DEMO", "1".into()));
        }
        env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        let driver = Driver::start(&xvfb.display, &env, &artifacts.join("tauri-driver.log"))?;
        eprintln!("[{test}] tauri-driver on port {}", driver.port);
        let client = driver.session(&debug_bin("bluelamp")?).await?;
        let app = app_process(&data.path().join("app")).await?;
        eprintln!("[{test}] WebDriver session open, app pid {}", app.pid());
        Ok(AppUnderTest {
            client,
            display: xvfb.display.clone(),
            artifacts,
            central,
            _app: app,
            _driver: driver,
            _xvfb: xvfb,
            _data: data,
        })
    }

    /// The app's process id.
    pub fn app_pid(&self) -> u32 {
        self._app.pid()
    }

    /// The app's data directory (`BLUELAMP_DATA_DIR`), removed when the test ends.
    pub fn data_dir(&self) -> PathBuf {
        self._data.path().join("app")
    }

    /// A screenshot of the whole virtual display, taken from the X server (ImageMagick's
    /// `import`). WebKitWebDriver's own screenshot hangs on a page that has not repainted
    /// since the session started, so it is not used.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let path = self.artifacts.join(format!("{name}.png"));
        let status = tokio::process::Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(&path)
            .status();
        match tokio::time::timeout(Duration::from_secs(20), status).await {
            Ok(Ok(s)) if s.success() => Ok(path),
            Ok(Ok(s)) => bail!("import failed ({s}) taking {name}"),
            Ok(Err(e)) => bail!("cannot run import (ImageMagick) for {name}: {e}"),
            Err(_) => bail!("screenshot {name} timed out"),
        }
    }

    /// Unlocks as `officer` with `passphrase` on the lock screen and waits for the session.
    pub async fn unlock(&self, officer: &str, passphrase: &str) -> anyhow::Result<()> {
        use fantoccini::Locator;
        let select = self.client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("#officer")).await?;
        // The officer list arrives asynchronously.
        let opt = format!("#officer option[value='{officer}']");
        self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(&opt)).await?;
        select.select_by_value(officer).await?;
        let pass = self.client.find(Locator::Css("#passphrase")).await?;
        pass.send_keys(passphrase).await?;
        self.client.find(Locator::Css("#unlock")).await?.click().await?;
        Ok(())
    }

    /// Slows the backend command `command` by `ms` milliseconds for every call the page makes
    /// from now on, then runs `then_js` in the same script: clicks made there land while the
    /// call is in flight, and its answer comes to a page that may be gone. A slowed call that
    /// has answered sets a flag ([`AppUnderTest::slowed_call_answered`]) in a task of its own,
    /// queued when the answer arrives: it runs after the page's code has taken the answer and
    /// re-rendered (both run as microtasks, which all complete before the next task), so a
    /// check for what must not have happened cannot run too early. [`AppUnderTest::unslow`]
    /// puts the command back.
    pub async fn slow_command(&self, command: &str, ms: u32, then_js: &str) -> anyhow::Result<()> {
        self.wrap_command(command, ms, "orig(c, a, o)", then_js).await
    }

    /// As [`AppUnderTest::slow_command`], but after the `ms` milliseconds the command is
    /// refused, as the backend refuses it, with an `internal` error saying `message` (a store
    /// that cannot write, say), without reaching the backend.
    pub async fn fail_command(&self, command: &str, ms: u32, message: &str, then_js: &str) -> anyhow::Result<()> {
        let refusal = serde_json::json!({ "code": "internal", "message": message });
        self.wrap_command(command, ms, &format!("Promise.reject({refusal})"), then_js).await
    }

    async fn wrap_command(&self, command: &str, ms: u32, answer_js: &str, then_js: &str) -> anyhow::Result<()> {
        let script = format!(
            "const [command, ms] = [arguments[0], arguments[1]]; \
             const tauri = window.__TAURI__; const orig = tauri.core.invoke; \
             window.__e2eTauri = tauri; window.__e2eSlowDone = false; \
             const invoke = (c, a, o) => c === command \
               ? new Promise(r => setTimeout(r, ms)).then(() => {answer_js}) \
                   .finally(() => {{ setTimeout(() => {{ window.__e2eSlowDone = true; }}, 0); }}) \
               : orig(c, a, o); \
             window.__TAURI__ = Object.assign({{}}, tauri, {{ core: Object.assign({{}}, tauri.core, {{ invoke }}) }}); \
             {then_js}; \
             return window.__TAURI__.core.invoke === invoke;"
        );
        let slowed = self.client.execute(&script, vec![command.into(), ms.into()]).await?;
        anyhow::ensure!(slowed == serde_json::Value::Bool(true), "could not slow {command}");
        Ok(())
    }

    /// Whether a call slowed by [`AppUnderTest::slow_command`] has answered.
    pub async fn slowed_call_answered(&self) -> anyhow::Result<bool> {
        Ok(self.client.execute("return window.__e2eSlowDone === true;", vec![]).await? == serde_json::Value::Bool(true))
    }

    /// Undoes [`AppUnderTest::slow_command`].
    pub async fn unslow(&self) -> anyhow::Result<()> {
        self.client
            .execute("if (window.__e2eTauri) { window.__TAURI__ = window.__e2eTauri; } return true;", vec![])
            .await?;
        Ok(())
    }

    /// Ends the WebDriver session (closing the app) before the processes are stopped.
    pub async fn close(self) -> anyhow::Result<()> {
        let AppUnderTest { client, .. } = self;
        client.close().await?;
        Ok(())
    }

    /// Closes the session and stops the app, keeping its data directory (returned; removed
    /// when dropped) for a look at its stores afterwards.
    pub async fn close_keeping_data(self) -> anyhow::Result<tempfile_dir::TempDir> {
        let AppUnderTest { client, _app, _data, .. } = self;
        client.close().await?;
        drop(_app);
        Ok(_data)
    }
}

/// The app process started for this test's data directory, found by its environment (it is
/// WebKitWebDriver's child, not ours), so the test can stop it by PID whatever happens.
async fn app_process(data_dir: &Path) -> anyhow::Result<PidGuard> {
    let dir = data_dir.display().to_string();
    let start = Instant::now();
    loop {
        match pids_with_env("bluelamp", "BLUELAMP_DATA_DIR", &dir).as_slice() {
            [pid] => return Ok(PidGuard::new("bluelamp", *pid)),
            [] if start.elapsed() < Duration::from_secs(10) => tokio::time::sleep(Duration::from_millis(100)).await,
            [] => bail!("the app's process for {dir} was not found"),
            many => bail!("{} app processes for {dir}: {many:?}", many.len()),
        }
    }
}

/// A directory removed on drop (kept when `BLUELAMP_KEEP_E2E` is set, for debugging).
pub mod tempfile_dir {
    use std::path::{Path, PathBuf};

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new(path: &Path) -> std::io::Result<TempDir> {
            let _ = std::fs::remove_dir_all(path);
            std::fs::create_dir_all(path)?;
            Ok(TempDir(path.to_path_buf()))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            if std::env::var_os("BLUELAMP_KEEP_E2E").is_none() {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}

/// Polls `check` until it returns `Some`, or fails after `timeout` with `what`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let start = Instant::now();
    let mut last_err = None;
    while start.elapsed() < timeout {
        match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_err = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    match last_err {
        Some(e) => bail!("timed out after {timeout:?} waiting for {what} (last error: {e:#})"),
        None => bail!("timed out after {timeout:?} waiting for {what}"),
    }
}
