//! Where the app keeps its data and which central service it talks to.
//!
//! With no configuration the app runs on the embedded demo: a store in the user's data
//! directory holding synthetic people, and an in-process central service on 127.0.0.1.
//!
//! Environment overrides (for IT, tests and benchmarks):
//! - `BLUELAMP_DATA_DIR`: the data directory;
//! - `BLUELAMP_CENTRAL_URL`: use this central service instead of the in-process one. The demo
//!   officers (with their public passphrase) are then **not** offered, unless `BLUELAMP_DEMO=1`
//!   says this service is a demo one (`bluelamp-central --seed-demo`, as the E2E tests run it);
//! - `BLUELAMP_REPORT_READY=1`: print `bluelamp: ready after N ms` when the UI first asks for
//!   its status (used by `cargo xtask bench` to measure cold start);
//! - `BLUELAMP_IDLE_LOCK_SECS`: idle lock after this many seconds (default 900 = 15 minutes);
//! - `BLUELAMP_MAX_UNLOCK_FAILURES` (default 5) and `BLUELAMP_ON_TOO_MANY_FAILURES`
//!   (`lock`, the default, or `wipe`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use bluelamp_store::unlock::UnlockPolicy;
use bluelamp_store::KdfParams;

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `None`: start the in-process demo central service.
    pub central_url: Option<String>,
    pub demo: bool,
    pub report_ready: bool,
    pub idle_lock_secs: u32,
    pub unlock_policy: UnlockPolicy,
    /// Key derivation for stores created on this device at online enrolment (always the
    /// production setting when loaded from the environment; tests may lower it).
    pub kdf: KdfParams,
}

pub const DEFAULT_IDLE_LOCK_SECS: u32 = 15 * 60;

fn env_parse<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().map(Some).map_err(|_| anyhow::anyhow!("{name}={v} is not valid")),
        Err(_) => Ok(None),
    }
}

impl Config {
    /// Where each officer's store lives: `<data dir>/officers/<officer id>.db`.
    pub fn officer_db(&self, officer_id: &str) -> PathBuf {
        self.data_dir.join("officers").join(format!("{officer_id}.db"))
    }

    pub fn load(data_dir: &Path) -> anyhow::Result<Config> {
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
        let central_url = std::env::var("BLUELAMP_CENTRAL_URL").ok().filter(|s| !s.trim().is_empty());
        let idle_lock_secs = env_parse::<u32>("BLUELAMP_IDLE_LOCK_SECS")?.unwrap_or(DEFAULT_IDLE_LOCK_SECS).max(1);
        let unlock_policy = UnlockPolicy::from_env().map_err(anyhow::Error::msg)?;
        Ok(Config {
            data_dir: data_dir.to_path_buf(),
            demo: demo_mode(central_url.as_deref(), std::env::var("BLUELAMP_DEMO").ok().as_deref()),
            report_ready: std::env::var_os("BLUELAMP_REPORT_READY").is_some(),
            central_url,
            idle_lock_secs,
            unlock_policy,
            kdf: KdfParams::DEFAULT,
        })
    }
}

/// Whether the demo officers (and their public passphrase) are offered: only against the
/// embedded demo service, or a service named as a demo one with `BLUELAMP_DEMO=1`. A force's
/// real service must never see a superuser session that skipped online enrolment.
pub fn demo_mode(central_url: Option<&str>, demo_env: Option<&str>) -> bool {
    central_url.is_none() || demo_env.is_some_and(|v| v.trim() == "1")
}

/// On Linux a GUI needs an X11 or Wayland display; say how to get one rather than crash in GTK.
pub fn check_display() -> Result<(), String> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return Err("bluelamp: no display found (DISPLAY and WAYLAND_DISPLAY are unset).\n\
             Run it from a desktop session, or under a virtual display:\n\
             \n    xvfb-run -a cargo xtask run\n"
            .to_string());
    }
    Ok(())
}

/// Days of logs kept unless `BLUELAMP_LOG_DAYS` says otherwise.
pub const LOG_DAYS: usize = 30;

/// How many days of logs to keep: `BLUELAMP_LOG_DAYS` (1 to 3650), else [`LOG_DAYS`]; with the
/// reason when the variable was set and not taken.
pub fn log_days(var: Option<&str>) -> (usize, Option<String>) {
    match var.map(str::trim) {
        None | Some("") => (LOG_DAYS, None),
        Some(v) => match v.parse::<usize>() {
            Ok(n @ 1..=3650) => (n, None),
            _ => (LOG_DAYS, Some(format!("BLUELAMP_LOG_DAYS={v:?} is not 1 to 3650: keeping {LOG_DAYS} days of logs"))),
        },
    }
}

/// The daily log files in `dir` (`bluelamp.log.<UTC date>`). Files older than `days` days are
/// removed first ([`prune_logs`]): a patrol laptop's logs grew without end.
pub fn log_writer(dir: &Path, days: usize) -> anyhow::Result<tracing_appender::rolling::RollingFileAppender> {
    prune_logs(dir, time::OffsetDateTime::now_utc().date(), days);
    Ok(tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("bluelamp.log")
        .build(dir)?)
}

/// Removes the log files of days before the last `days` (today counts as one) by the date in
/// their names. By date, not by count: counting files removed today's own log at each start
/// with one day kept, and kept months of a laptop used once a week. Best effort: a file that
/// cannot be removed stays.
pub fn prune_logs(dir: &Path, today: time::Date, days: usize) {
    let keep_from = today - time::Duration::days(i64::try_from(days.saturating_sub(1)).unwrap_or(i64::MAX / 2));
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(date) = name.to_str().and_then(|n| n.strip_prefix("bluelamp.log.")) else { continue };
        match time::Date::parse(date, &format) {
            Ok(d) if d < keep_from && entry.file_type().is_ok_and(|t| t.is_file()) => {
                let _ = std::fs::remove_file(entry.path());
            }
            _ => {}
        }
    }
}

/// Logs go to `<data dir>/logs/bluelamp.log.<date>`, the last [`log_days`] days of them. At info
/// level they carry no personal data: no names, queries or record contents, only events and
/// counts.
pub fn init_logging(data_dir: &Path) -> anyhow::Result<tracing_appender::non_blocking::WorkerGuard> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir)?;
    // The officer's alone, like the store's files: the logs name officer ids and events.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let (days, refused) = log_days(std::env::var("BLUELAMP_LOG_DAYS").ok().as_deref());
    let (writer, guard) = tracing_appender::non_blocking(log_writer(&dir, days)?);
    let filter = tracing_subscriber::EnvFilter::try_from_env("BLUELAMP_LOG").unwrap_or_else(|_| "info".into());
    // A second init (tests) is not an error worth failing start-up for.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false).with_writer(writer).try_init();
    if let Some(why) = refused {
        tracing::warn!("{why}");
    }
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use super::demo_mode;

    #[cfg(unix)]
    #[test]
    fn the_log_folder_is_the_officers_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let _guard = super::init_logging(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join("logs")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn logs_are_kept_for_a_number_of_days_and_the_oldest_removed() {
        assert_eq!(super::log_days(None), (super::LOG_DAYS, None));
        assert_eq!(super::log_days(Some(" 7 ")), (7, None));
        for bad in ["0", "-1", "lots", "3651"] {
            let (days, why) = super::log_days(Some(bad));
            assert_eq!(days, super::LOG_DAYS);
            assert!(why.is_some_and(|w| w.contains("BLUELAMP_LOG_DAYS")), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let today = time::macros::date!(2026 - 12 - 07);
        // A laptop used on some days only: by date, not by how many files there are.
        for name in ["2026-12-07", "2026-12-01", "2026-11-08", "2026-11-07", "2026-06-30", "2025-12-25"] {
            std::fs::write(dir.path().join(format!("bluelamp.log.{name}")), b"x").unwrap();
        }
        for other in ["other.txt", "bluelamp.log.notadate", "bluelamp.log"] {
            std::fs::write(dir.path().join(other), b"not a dated log").unwrap();
        }
        super::prune_logs(dir.path(), today, 30);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "bluelamp.log",
                "bluelamp.log.2026-11-08",
                "bluelamp.log.2026-12-01",
                "bluelamp.log.2026-12-07",
                "bluelamp.log.notadate",
                "other.txt"
            ]
        );
        // One day kept: today's own log stays (starting again the same day removes nothing).
        super::prune_logs(dir.path(), today, 1);
        super::prune_logs(dir.path(), today, 1);
        assert!(dir.path().join("bluelamp.log.2026-12-07").exists());
        assert!(!dir.path().join("bluelamp.log.2026-12-01").exists());
    }

    #[test]
    fn demo_officers_only_against_a_demo_service() {
        assert!(demo_mode(None, None), "the embedded demo");
        assert!(!demo_mode(Some("https://central.force.example"), None), "a real service");
        assert!(!demo_mode(Some("https://central.force.example"), Some("0")));
        assert!(demo_mode(Some("http://127.0.0.1:4000"), Some("1")), "named as a demo service");
    }
}
