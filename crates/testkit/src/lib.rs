//! Helpers for tests, crash harnesses and benchmarks that run real processes: a child process
//! stopped by PID on drop, a private Xvfb display, free loopback ports. Standard library only.

pub mod proxy;

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn err(msg: String) -> io::Error {
    io::Error::other(msg)
}

/// A free TCP port on 127.0.0.1 (free when asked; bind it promptly).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts connections on `port`.
pub fn wait_for_port(port: u16, timeout: Duration, what: &str) -> io::Result<()> {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(err(format!("{what} did not listen on port {port} within {timeout:?}")))
}

/// A child process, stopped by PID when dropped.
pub struct Proc {
    name: String,
    child: Option<Child>,
}

impl Proc {
    pub fn spawn(name: &str, cmd: &mut Command) -> io::Result<Proc> {
        let child = cmd.spawn().map_err(|e| {
            err(format!("cannot start {name}: {e} (is it installed? `cargo xtask install` installs it)"))
        })?;
        Ok(Proc { name: name.to_string(), child: Some(child) })
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// The running child. Panics if [`Proc::stop`] was already called (a test bug).
    pub fn child_mut(&mut self) -> &mut Child {
        self.child.as_mut().expect("process already stopped")
    }

    /// Sends SIGKILL at once (crash tests).
    pub fn kill_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, wait up to 5 s, then SIGKILL. (tauri-driver must get SIGTERM, or its
    /// WebKitWebDriver child is orphaned.)
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} (pid {}) ignored SIGTERM; killing", self.name, child.id());
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The running processes (zombies excluded) whose executable file is named `exe_name` and
/// whose environment holds `var=value`: how a test finds a process it did not start itself,
/// such as the app WebKitWebDriver launches. Linux only (reads `/proc`).
pub fn pids_with_env(exe_name: &str, var: &str, value: &str) -> Vec<u32> {
    let wanted = format!("{var}={value}").into_bytes();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
            // A rebuilt binary shows as "name (deleted)".
            let name_ok = exe
                .as_ref()
                .and_then(|e| e.file_name()?.to_str().map(str::to_string))
                .is_some_and(|n| n == exe_name || n.strip_suffix(" (deleted)") == Some(exe_name));
            name_ok
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == wanted.as_slice()))
                && alive(*pid)
        })
        .collect()
}

/// Whether `pid` is a process that has not exited (a zombie waiting for its parent has).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// A process this code did not start (so cannot wait for), stopped by PID when dropped:
/// SIGTERM, up to 5 s to exit, then SIGKILL.
pub struct PidGuard {
    name: String,
    pid: u32,
}

impl PidGuard {
    pub fn new(name: &str, pid: u32) -> PidGuard {
        PidGuard { name: name.to_string(), pid }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn stop(&mut self) {
        if self.pid == 0 || !alive(self.pid) {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if !alive(self.pid) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} (pid {}) ignored SIGTERM; killing", self.name, self.pid);
        let _ = Command::new("kill").arg("-KILL").arg(self.pid.to_string()).status();
    }
}

impl Drop for PidGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A private X server on the first free display number from :90.
pub struct Xvfb {
    pub display: String,
    _proc: Proc,
}

impl Xvfb {
    /// Starts Xvfb on the first display number that is free, and is ours once its socket is
    /// there (the lock file holds our PID): a parallel run may take the same number between
    /// the check and the start, and then the next number is tried.
    pub fn start() -> io::Result<Xvfb> {
        let mut from = 90;
        for _attempt in 0..5 {
            let n = (from..400)
                .find(|n| {
                    !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                        && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                })
                .ok_or_else(|| err("no free X display number".into()))?;
            let display = format!(":{n}");
            let mut proc = Proc::spawn(
                "Xvfb",
                Command::new("Xvfb")
                    .args([display.as_str(), "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )?;
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            let start = Instant::now();
            let mut exited = false;
            while !socket.exists() {
                if proc.child_mut().try_wait()?.is_some() {
                    exited = true;
                    break;
                }
                if start.elapsed() > Duration::from_secs(10) {
                    return Err(err(format!("Xvfb {display} did not start within 10 s")));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            // The socket may be another server's: the display is ours when its lock file
            // holds our Xvfb's PID (X servers write it there) and ours is still running.
            let lock_pid =
                std::fs::read_to_string(format!("/tmp/.X{n}-lock")).ok().and_then(|l| l.trim().parse::<u32>().ok());
            if exited || lock_pid != Some(proc.pid()) || proc.child_mut().try_wait()?.is_some() {
                drop(proc);
                from = n + 1;
                continue;
            }
            return Ok(Xvfb { display, _proc: proc });
        }
        Err(err("Xvfb exited at start on five display numbers in a row".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Several Xvfb started at once (two test runs on one machine) each get a display of their
    /// own, each served by its own running Xvfb. Needs Xvfb (`cargo xtask install`).
    #[test]
    fn xvfb_started_at_once_get_displays_of_their_own() {
        let started: Vec<Xvfb> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..3).map(|_| s.spawn(Xvfb::start)).collect();
            runs.into_iter().map(|r| r.join().expect("no panic").expect("Xvfb starts")).collect()
        });
        let mut displays: Vec<&str> = started.iter().map(|x| x.display.as_str()).collect();
        displays.sort();
        displays.dedup();
        assert_eq!(displays.len(), 3, "{displays:?}");
        for x in &started {
            assert!(alive(x._proc.pid()), "the Xvfb of {} is running", x.display);
        }
    }

    #[test]
    fn a_process_found_by_its_environment_is_stopped_by_pid_on_drop() {
        let mark = format!("mark-{}", std::process::id());
        let mut child =
            Command::new("sleep").arg("60").env("BLUELAMP_TESTKIT_MARK", &mark).spawn().expect("sleep runs");
        // Found once the child has become `sleep` (between fork and exec it is not yet).
        let start = Instant::now();
        let mut found = Vec::new();
        while found.is_empty() && start.elapsed() < Duration::from_secs(10) {
            found = pids_with_env("sleep", "BLUELAMP_TESTKIT_MARK", &mark);
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(found, vec![child.id()]);
        assert!(pids_with_env("sleep", "BLUELAMP_TESTKIT_MARK", "another").is_empty());
        assert!(alive(child.id()));
        drop(PidGuard::new("sleep", child.id()));
        // Stopped (a zombie until reaped here), and no longer found.
        assert!(!alive(child.id()));
        assert!(pids_with_env("sleep", "BLUELAMP_TESTKIT_MARK", &mark).is_empty());
        let status = child.wait().expect("reaped");
        assert!(!status.success(), "ended by a signal, not by finishing: {status:?}");
    }
}
