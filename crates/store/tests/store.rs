mod common;
use bluelamp_protocol::SearchRequest;
use bluelamp_store::{KdfParams, Store, StoreError};
use common::rec;

#[test]
fn create_open_search_and_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let mut s = Store::create(&db, "pass", "PC1", KdfParams::INSECURE_FAST).unwrap();
    s.upsert_nominals(&[rec("1", "William", "Smith"), rec("2", "Siobhán", "O'Sullivan"), rec("3", "Wilma", "Jones")])
        .unwrap();
    drop(s);
    assert!(matches!(Store::open(&db, "nope"), Err(StoreError::WrongPassphrase)));
    let s = Store::open(&db, "pass").unwrap();
    assert_eq!(s.nominal_count().unwrap(), 3);
    let ids = |q: &str| s.search(&SearchRequest::free_text(q)).unwrap().into_iter().map(|h| h.id).collect::<Vec<_>>();
    // Phonetic search (issue 4): bare prefixes no longer match; a prefix needs a wildcard.
    assert_eq!(ids("smi*"), vec!["1"]);
    let mut wil = ids("wil*");
    wil.sort();
    assert_eq!(wil, vec!["1", "3"]);
    assert_eq!(ids("siobhan osullivan"), vec!["2"]);
    assert_eq!(ids("wil* smi*"), vec!["1"]);
    assert_eq!(ids("bill smyth").first().map(String::as_str), Some("1"));
    assert!(ids("zzz").is_empty());
}

#[test]
fn no_plaintext_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let mut s = Store::create(&db, "pass", "PC1", KdfParams::INSECURE_FAST).unwrap();
    s.upsert_nominals(&[rec("ID-PLAINTEXT-1", "Zebedee", "Quuxworthington")]).unwrap();
    assert_eq!(s.nominal_count().unwrap(), 1, "the record is written");
    let mut read = Vec::new();
    for suffix in ["", "-wal", "-shm", ".keys"] {
        let p = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&p) {
            for needle in ["Quuxworthington", "quuxworthington", "Zebedee", "ID-PLAINTEXT-1"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{needle} found in plaintext in {p}"
                );
            }
            if !bytes.is_empty() {
                read.push(suffix);
            }
        }
    }
    // The database and its key file were there to look at (the WAL and shared memory may be
    // checkpointed away or not yet written).
    assert!(read.contains(&"") && read.contains(&".keys"), "files read: {read:?}");
}

#[test]
fn refuses_to_overwrite_and_reports_missing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    Store::create(&db, "pass", "PC1", KdfParams::INSECURE_FAST).unwrap();
    assert!(matches!(Store::create(&db, "pass", "PC1", KdfParams::INSECURE_FAST), Err(StoreError::AlreadyExists(_))));
    assert!(matches!(Store::open(&dir.path().join("none.db"), "pass"), Err(StoreError::NotFound(_))));
    // A store copied without its key file: said once, with the file's path (it read "the key
    // file is missing: the key file is missing" through anyhow's source chain).
    std::fs::remove_file(bluelamp_store::key_path(&db)).unwrap();
    let e = Store::open(&db, "pass").err().expect("no key file");
    assert!(matches!(e, StoreError::KeyFileMissing(_)), "{e:?}");
    assert!(std::error::Error::source(&e).is_none(), "the message is whole: {e:?}");
    assert!(e.to_string().contains("t.db.keys"), "{e}");
}

/// What a creation killed part-way leaves (its marker, the key staged, a database without its
/// key file): not a store ([`bluelamp_store::exists`]), said as an interrupted creation, not as
/// damage, and made afresh by the next creation. A creation running in another process is not
/// taken for one, and a stray marker never hides or replaces a real store.
/// A creation killed after its key file was in place leaves its marker beside a whole store:
/// `init` run again refuses (the store exists) and removes the stray marker (a CI run's kill
/// landed there and the marker stayed).
#[test]
fn a_stray_marker_beside_a_whole_store_goes_when_init_is_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    drop(Store::create(&db, "pw", "PC1", KdfParams::INSECURE_FAST).unwrap());
    let marker = dir.path().join("s.db.creating");
    std::fs::write(&marker, "").unwrap();
    let again = Store::create(&db, "pw", "PC1", KdfParams::INSECURE_FAST);
    assert!(matches!(again, Err(bluelamp_store::StoreError::AlreadyExists(_))));
    assert!(!marker.exists());
    Store::open(&db, "pw").unwrap();
}

#[test]
fn an_interrupted_creation_is_known_for_what_it_is_and_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let marker = dir.path().join("t.db.creating");
    let (keys, staged) = (dir.path().join("t.db.keys"), dir.path().join("t.db.keys.new"));
    // A whole store, then its files cut back to what a kill before the key's last step leaves.
    drop(Store::create(&db, "pass", "PC1", KdfParams::INSECURE_FAST).unwrap());
    assert!(!marker.exists() && !staged.exists(), "a finished creation leaves no marker and no staged key");
    assert!(bluelamp_store::exists(&db));
    std::fs::rename(&keys, &staged).unwrap();
    // The marker names the staged key (its checksum): a marker that names nothing, or another
    // key, makes no leftover of a database.
    std::fs::write(&marker, b"").unwrap();
    assert!(bluelamp_store::exists(&db), "an empty marker names no staged key");
    std::fs::write(&marker, b"0123").unwrap();
    assert!(bluelamp_store::exists(&db), "a marker naming another key");
    let staged_json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&staged).unwrap()).unwrap();
    std::fs::write(&marker, staged_json["check"].as_str().unwrap()).unwrap();
    assert!(!bluelamp_store::exists(&db), "a half-made store is not a store");
    let e = Store::open(&db, "pass").err().expect("half-made");
    assert!(matches!(e, StoreError::Interrupted(_)), "{e:?}");
    assert!(e.to_string().contains("interrupted") && e.to_string().contains("init"), "{e}");

    // Another process making the store right now holds the marker: that is not a leftover.
    let held = std::fs::OpenOptions::new().write(true).open(&marker).unwrap();
    held.lock().unwrap();
    assert!(bluelamp_store::exists(&db), "a creation in progress is not undone");
    let e = Store::create(&db, "other", "PC2", KdfParams::INSECURE_FAST).err().expect("in progress");
    assert!(matches!(e, StoreError::AlreadyExists(_)), "{e:?}");
    let e = Store::open(&db, "pass").err().expect("in progress");
    assert!(e.to_string().contains("right now"), "{e}");
    held.unlock().unwrap();
    drop(held);

    // Once nobody holds it, the next creation replaces the leftover and the store works.
    let mut s = Store::create(&db, "new pass", "PC2", KdfParams::INSECURE_FAST).unwrap();
    s.upsert_nominals(&[rec("1", "Ann", "Lee")]).unwrap();
    drop(s);
    assert!(!marker.exists() && !staged.exists());
    let s = Store::open(&db, "new pass").unwrap();
    assert_eq!((s.nominal_count().unwrap(), s.officer_id().unwrap().as_str()), (1, "PC2"));
    drop(s);

    // A stray marker beside a whole store (touched, or left by a failed removal) changes
    // nothing: still a store, opened as one, never made again over.
    std::fs::write(&marker, b"").unwrap();
    assert!(bluelamp_store::exists(&db));
    assert!(matches!(Store::create(&db, "x", "PC3", KdfParams::INSECURE_FAST), Err(StoreError::AlreadyExists(_))));
    assert_eq!(Store::open(&db, "new pass").unwrap().nominal_count().unwrap(), 1, "the store and its data are kept");
    // Nor beside a store whose key file was lost (copying it back opens the store): no key was
    // staged, so it is not a creation's leftover; nor with a stray staged key (junk, or a key
    // file the marker does not name) beside it.
    std::fs::rename(&keys, dir.path().join("kept-aside.keys")).unwrap();
    assert!(bluelamp_store::exists(&db));
    assert!(matches!(Store::create(&db, "x", "PC3", KdfParams::INSECURE_FAST), Err(StoreError::AlreadyExists(_))));
    assert!(matches!(Store::open(&db, "new pass"), Err(StoreError::KeyFileMissing(_))));
    for stray in [b"junk".to_vec(), std::fs::read(dir.path().join("kept-aside.keys")).unwrap()] {
        std::fs::write(&staged, stray).unwrap();
        std::fs::write(&marker, b"").unwrap();
        assert!(bluelamp_store::exists(&db));
        assert!(matches!(Store::create(&db, "x", "PC3", KdfParams::INSECURE_FAST), Err(StoreError::AlreadyExists(_))));
        assert!(db.exists(), "the database is kept");
    }
    std::fs::remove_file(&staged).unwrap();
    std::fs::rename(dir.path().join("kept-aside.keys"), &keys).unwrap();
    assert_eq!(Store::open(&db, "new pass").unwrap().nominal_count().unwrap(), 1, "copied back, it opens");
}

#[test]
fn corrupt_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    drop(Store::create(&db, "pass", "PC1", KdfParams::INSECURE_FAST).unwrap());
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().take(64) {
        *b ^= 0xff;
    }
    std::fs::write(&db, &bytes).unwrap();
    assert!(matches!(Store::open(&db, "pass"), Err(StoreError::Corrupt)));
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "a failed open must not modify the file");
}

/// An emptied database file beside its key file is a damaged store, not a new empty one: an
/// access log removed that way must not verify as intact.
#[test]
fn an_emptied_database_is_damaged_not_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    drop(Store::create(&db, "pass", "PC1", KdfParams::INSECURE_FAST).unwrap());
    std::fs::write(&db, b"").unwrap();
    for f in ["t.db-wal", "t.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(f));
    }
    assert!(matches!(Store::open(&db, "pass"), Err(StoreError::Corrupt)));
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "left untouched");
}

/// A folder or a device named as the store is said to be one (the messages spoke of a missing
/// key file, or of a store already there), and a store is not created in a missing folder.
#[test]
fn a_folder_or_device_is_not_taken_for_a_store() {
    let dir = tempfile::tempdir().unwrap();
    for path in [dir.path().to_path_buf(), std::path::PathBuf::from("/dev/null")] {
        let e = Store::open(&path, "pass").err().expect("not a store");
        assert!(matches!(e, StoreError::Invalid(_)) && e.to_string().contains("not a store file"), "{e}");
    }
    let e = Store::create(dir.path(), "pass", "PC1", KdfParams::INSECURE_FAST).err().expect("a folder");
    assert!(e.to_string().contains("is a folder"), "{e}");
    let missing = dir.path().join("no-such-folder").join("s.db");
    let e = Store::create(&missing, "pass", "PC1", KdfParams::INSECURE_FAST).err().expect("no folder");
    assert!(e.to_string().contains("does not exist"), "{e}");
    assert!(!dir.path().join("no-such-folder").exists());
}

/// An officer id names every access-log entry: one that is empty or holds control characters
/// is refused when the store is created.
#[test]
fn a_store_needs_a_proper_officer_id() {
    let dir = tempfile::tempdir().unwrap();
    for (n, id) in ["", "a\u{1}b", "../x", &"x".repeat(65)].into_iter().enumerate() {
        let db = dir.path().join(format!("t{n}.db"));
        let e = Store::create(&db, "pass", id, KdfParams::INSECURE_FAST).err().expect(id);
        assert!(matches!(e, StoreError::Invalid(_)), "{id:?}: {e:?}");
        assert!(!db.exists() && !bluelamp_store::key_path(&db).exists(), "{id:?}: nothing left behind");
    }
    drop(Store::create(&dir.path().join("ok.db"), "pass", "PC-1234.x_y", KdfParams::INSECURE_FAST).unwrap());
}

/// The key file, the database, its WAL and the attempts counter are the officer's alone: with
/// copies, a passphrase can be guessed at offline. A store an earlier build left readable by
/// others is narrowed at the next unlock.
#[cfg(unix)]
#[test]
fn store_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let path = |suffix: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let mode = |suffix: &str| std::fs::metadata(path(suffix)).unwrap().permissions().mode() & 0o777;
    let mut s = Store::create(&db, "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    s.upsert_nominals(&[rec("N1", "Ann", "Smith")]).unwrap();
    for suffix in ["", ".keys", "-wal"] {
        assert_eq!(mode(suffix), 0o600, "{suffix}");
    }
    drop(s);
    let policy = bluelamp_store::unlock::UnlockPolicy::default();
    assert!(bluelamp_store::unlock::unlock(&db, "wrong", &policy).is_err());
    assert_eq!(mode(".attempts"), 0o600);
    // As an earlier build left them.
    for suffix in ["", ".keys"] {
        std::fs::set_permissions(path(suffix), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    drop(bluelamp_store::unlock::unlock(&db, "pw", &policy).unwrap());
    for suffix in ["", ".keys"] {
        assert_eq!(mode(suffix), 0o600, "{suffix} narrowed");
    }
}

/// A creation that fails part-way (here SQLite cannot make its write-ahead log, where a full
/// disk or a killed process would stop it too) leaves no key file and no half-made database
/// behind: those made a store every later command called damaged, and `init` refused to make
/// it again (resilience review, 7 Dec 2026). A store already there is never removed.
#[test]
fn a_creation_that_fails_part_way_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("n.db");
    let wal = dir.path().join("n.db-wal");
    std::fs::create_dir(&wal).unwrap();
    assert!(Store::create(&db, "pass", "PC9", KdfParams::INSECURE_FAST).is_err());
    assert!(!db.exists(), "the half-made database was left");
    assert!(!bluelamp_store::key_path(&db).exists(), "the key file was left");
    std::fs::remove_dir(&wal).unwrap();
    let s = Store::create(&db, "pass", "PC9", KdfParams::INSECURE_FAST).expect("made again");
    drop(s);
    // Refused because one exists: nothing of it is removed.
    assert!(matches!(Store::create(&db, "pass", "PC9", KdfParams::INSECURE_FAST), Err(StoreError::AlreadyExists(_))));
    assert!(db.exists() && bluelamp_store::key_path(&db).exists());
    assert!(Store::open(&db, "pass").is_ok());
}

/// A key file with one changed byte (a bad copy, a disk fault) is said to be damaged whatever
/// the passphrase, and is not a failed try: under the wipe policy the officer's right
/// passphrase used to count as wrong until the store was erased (resilience review, 7 Dec
/// 2026). A key file from before checksums still opens, and gets one.
#[test]
fn a_damaged_key_file_is_not_a_wrong_passphrase_and_never_wipes_the_store() {
    use bluelamp_store::unlock::{unlock, OnTooManyFailures, UnlockError, UnlockPolicy};
    use bluelamp_store::KeyError;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    drop(Store::create(&db, "pass", "PC1", KdfParams::INSECURE_FAST).unwrap());
    let kp = bluelamp_store::key_path(&db);
    let good = std::fs::read_to_string(&kp).unwrap();
    let v: serde_json::Value = serde_json::from_str(&good).unwrap();
    assert!(v["check"].is_string(), "no checksum: {good}");
    // One hex digit of the wrapped key changed.
    let wrapped = v["wrapped"].as_str().unwrap();
    let flipped = format!("{}{}", if wrapped.starts_with('0') { '1' } else { '0' }, &wrapped[1..]);
    std::fs::write(&kp, good.replace(wrapped, &flipped)).unwrap();
    let wipe = UnlockPolicy { max_failures: 3, on_too_many: OnTooManyFailures::Wipe };
    for _ in 0..5 {
        match unlock(&db, "pass", &wipe) {
            Err(UnlockError::Store(StoreError::Keys(KeyError::Damaged(m)))) => assert!(m.contains("checksum"), "{m}"),
            Err(e) => panic!("not a damaged key file: {e:?}"),
            Ok(_) => panic!("opened with a damaged key"),
        }
    }
    assert!(db.exists(), "the store was wiped");
    std::fs::write(&kp, &good).unwrap();
    assert!(unlock(&db, "pass", &wipe).is_ok(), "the good key file opens it, with no failure counted");

    // A key file written before checksums opens, and has one afterwards.
    let mut old = v.clone();
    old.as_object_mut().unwrap().remove("check");
    std::fs::write(&kp, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    assert!(Store::open(&db, "pass").is_ok());
    let now: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&kp).unwrap()).unwrap();
    assert_eq!(now["check"], v["check"]);
    assert!(matches!(Store::open(&db, "nope"), Err(StoreError::WrongPassphrase)));
}
