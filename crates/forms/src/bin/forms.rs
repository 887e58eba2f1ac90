//! Admin tool: `forms validate-pack FILE...` prints every issue as `FILE: location: message`
//! and exits 1 if any file is invalid. `forms validate-codes FILE` and
//! `forms validate-config FILE` check the closing-code list and safeguarding config.
//! (The only I/O in this crate; the library itself is pure.)

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, files) = match args.split_first() {
        Some((c, f)) if !f.is_empty() => (c.as_str(), f),
        _ => return usage(),
    };
    let check: fn(&str) -> Vec<bluelamp_forms::PackIssue> = match cmd {
        "validate-pack" => bluelamp_forms::validate_pack,
        "validate-codes" => bluelamp_forms::validate_closing_codes,
        "validate-config" => bluelamp_forms::validate_config,
        _ => return usage(),
    };
    let mut bad = false;
    for f in files {
        match std::fs::read_to_string(f) {
            Err(e) => {
                eprintln!("{f}: cannot read: {e}");
                bad = true;
            }
            Ok(text) => {
                let issues = check(&text);
                if issues.is_empty() {
                    println!("{f}: ok");
                }
                for i in &issues {
                    println!("{f}: {i}");
                }
                bad |= !issues.is_empty();
            }
        }
    }
    if bad {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: forms validate-pack|validate-codes|validate-config FILE...");
    ExitCode::from(2)
}
