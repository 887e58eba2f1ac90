//! Writing to standard output and standard error without panicking.
//!
//! `println!` and `eprintln!` panic when the stream cannot be written (`| head` closing the
//! pipe, a full disk, `>/dev/full`), which ended the process with exit code 101 and a panic
//! message. Instead:
//!
//! * Standard output ([`emit`], [`say!`]): a **closed pipe** (EPIPE) is not an error. The output
//!   stops there and the command finishes as usual, so its exit code keeps its meaning (0 when
//!   it worked; `audit verify` still exits 1 for a broken chain and `sync` for an unfinished
//!   round). Any **other write error** is an error: "cannot write to standard output: …",
//!   exit code 1.
//! * Standard error ([`note!`]): diagnostics are best effort; a write error there is ignored.
//!
//! Main declares this module first with `#[macro_use]`, so the macros are usable in every
//! other module.

use std::io::Write;

use anyhow::Context;

/// Writes `text` to standard output and flushes it. A closed pipe is not an error (see the
/// module docs); any other write error is.
pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("cannot write to standard output"),
        _ => Ok(()),
    }
}

/// Text for a terminal, from files the command read (an incident file, form answers): control
/// characters other than line breaks and tabs, and bidirectional controls, are written out
/// (`\u{1b}`, by [`bluelamp_protocol::dates::shown`]), so a file cannot clear the screen,
/// retitle the window or reorder what is shown.
/// For human-readable output only: JSON output escapes control characters itself.
pub(crate) fn printable(text: &str) -> String {
    let line =
        |l: &str| l.split('\t').map(|p| bluelamp_protocol::dates::shown(p, usize::MAX)).collect::<Vec<_>>().join("\t");
    text.split('\n').map(line).collect::<Vec<_>>().join("\n")
}

/// Like `println!`, through [`emit`]: evaluates to `anyhow::Result<()>` (use it with `?`).
macro_rules! say {
    () => {
        $crate::output::emit("\n")
    };
    ($($t:tt)*) => {
        $crate::output::emit(&format!("{}\n", format_args!($($t)*)))
    };
}

/// Like `eprintln!`, but a standard error that cannot be written is ignored instead of
/// panicking.
macro_rules! note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// Refuses an output file that is one of the command's `inputs`, a file of the store at `db`,
/// or any Bluelamp store (a `.keys` file beside it): `File::create` would empty it first, so
/// `search-batch --queries q.csv --out q.csv` destroyed the queries (and read its own output
/// back as queries), and `--out store.db` destroyed a store. The file is judged, not its name:
/// a symbolic link is followed, and a file with other names (a hard link) is refused, since
/// they may be a store's (review, 7 Dec 2026: `--out link.jsonl`, a link to another store's
/// `b.db` or `c.db.keys`, overwrote it).
pub(crate) fn check_output(
    out: &std::path::Path,
    inputs: &[&std::path::Path],
    db: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use std::path::Path;
    fn same(a: &Path, b: &Path) -> bool {
        #[cfg(unix)]
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            use std::os::unix::fs::MetadataExt;
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
        matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
    for input in inputs {
        if same(out, input) {
            anyhow::bail!(
                "--out {} is the input file {}: writing would destroy it. Choose another output file.",
                out.display(),
                input.display()
            );
        }
    }
    if let Some(db) = db {
        if bluelamp_store::store_files(db).iter().any(|f| same(out, f)) {
            anyhow::bail!(
                "--out {} is a file of the store {}: writing would destroy it. Choose another output file.",
                out.display(),
                db.display()
            );
        }
    }
    // What would be written is the file the name leads to, not the name: a symbolic link
    // (`link.jsonl` -> `b.db`) is followed, through every folder on the way. One that leads
    // nowhere would make the file it names, whatever that is: refused too.
    let is_link = std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
    if is_link && std::fs::metadata(out).is_err() {
        anyhow::bail!(
            "--out {} is a symbolic link to a file that does not exist: writing would make that file. Choose \
             another output file.",
            out.display()
        );
    }
    // Any store's file, whichever it is: the database, its key file (without which it can
    // never be opened again), its wrong-passphrase counter, its journal, a creation's marker.
    let resolved = std::fs::canonicalize(out).ok();
    if let Some(db) = [Some(out.to_path_buf()), resolved].iter().flatten().find_map(|p| bluelamp_store::store_of(p)) {
        anyhow::bail!(
            "--out {} is a file of the Bluelamp store {}: writing would destroy it. Choose another output file.",
            out.display(),
            db.display()
        );
    }
    // A file with other names (a hard link) is written under all of them, and they cannot be
    // found from this one: a hard link to another store's database or key file, named
    // anything, destroyed that store.
    #[cfg(unix)]
    if let Ok(m) = std::fs::metadata(out) {
        use std::os::unix::fs::MetadataExt;
        if m.is_file() && m.nlink() > 1 {
            anyhow::bail!(
                "--out {} is a file with other names too (a hard link, {} names): writing would change the file \
                 under all of them, which may be a Bluelamp store's. Choose another output file.",
                out.display(),
                m.nlink()
            );
        }
    }
    Ok(())
}
