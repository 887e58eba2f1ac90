//! `bluelamp-cli init` killed with SIGKILL at points spread over its run: whatever the moment,
//! the officer ends with a working store, either the one the killed run finished or one `init`
//! makes again. (Before 7 Dec 2026 a kill after the key file was written left a key file beside
//! an empty database: every command then called the store damaged, and `init` refused to make it
//! again because it "already exists".)

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const PASS: &str = "bluelamp-demo";

fn cli(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"));
    c.arg("--db").arg(db).env("BLUELAMP_PASSPHRASE", PASS).stdin(Stdio::null()).stdout(Stdio::null());
    c
}

fn init(db: &Path) -> Command {
    let mut c = cli(db);
    c.args(["init", "--officer", "PC1", "--insecure-fast-kdf"]).stderr(Stdio::piped());
    c
}

#[test]
fn init_killed_at_any_point_leaves_a_store_or_room_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    // How long a whole `init` takes here: the kills are spread over it, and a little past it.
    let started = Instant::now();
    let out = init(&dir.path().join("whole.db")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let whole = started.elapsed();
    let runs = 40u32;
    let mut interrupted = 0;
    for i in 0..runs {
        let db = dir.path().join(format!("k{i}.db"));
        let mut child = init(&db).spawn().unwrap();
        std::thread::sleep(whole * i / (runs - 8));
        let _ = child.kill();
        let killed = !child.wait().unwrap().success();
        let keys = Path::new(&format!("{}.keys", db.display())).to_path_buf();
        let left_files = killed && (db.exists() || keys.exists());
        // Made again when the killed run did not finish; refused as existing when it did (a
        // kill can also land after the store was whole, before the process ended).
        let again = init(&db).output().unwrap();
        let stderr = String::from_utf8_lossy(&again.stderr);
        assert!(
            again.status.success() || stderr.contains("already exists"),
            "run {i} (killed: {killed}): init again said: {stderr}"
        );
        if left_files && again.status.success() {
            interrupted += 1;
        }
        // Either way the store now opens and works.
        let list = cli(&db).args(["incident", "list"]).stderr(Stdio::piped()).output().unwrap();
        assert!(list.status.success(), "run {i}: {}", String::from_utf8_lossy(&list.stderr));
        assert!(!Path::new(&format!("{}.creating", db.display())).exists(), "run {i}: marker left");
    }
    // Some kills fell inside creations (files made, store not finished), not only before or
    // after them.
    assert!(interrupted > 0, "no kill interrupted a creation (a whole init takes {whole:?})");
}
