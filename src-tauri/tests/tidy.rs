//! Guards on the security baseline and the architecture's invariants. These read files; a
//! regression in tauri.conf.json, the capabilities, the command list or a pure crate's
//! dependencies fails here, in plain `cargo test`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bluelamp_protocol::cmd;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn all_commands() -> BTreeSet<String> {
    cmd::ALL.iter().map(|s| s.to_string()).collect()
}

#[test]
fn csp_allows_only_the_app_itself() {
    let conf = json("tauri.conf.json");
    let csp = &conf["app"]["security"]["csp"];
    assert!(csp.is_object(), "a CSP must be set");
    assert_eq!(csp["script-src"], "'self' 'wasm-unsafe-eval'");
    assert_eq!(csp["default-src"], "'self'");
    assert_eq!(csp["object-src"], "'none'");
    for (directive, value) in csp.as_object().unwrap() {
        let value = value.as_str().unwrap();
        for token in value.split_whitespace() {
            let allowed =
                matches!(token, "'self'" | "'none'" | "'wasm-unsafe-eval'" | "ipc:" | "data:" | "http://ipc.localhost");
            assert!(allowed, "CSP {directive} allows {token}: only the app's own origin and IPC are permitted");
        }
    }
    assert_eq!(conf["app"]["security"]["freezePrototype"], true);
    assert!(conf["app"]["security"].get("dangerousRemoteDomainIpcAccess").is_none());
    assert!(conf["build"].get("devUrl").is_none(), "a devUrl would load the UI from a server");
    assert_eq!(conf["build"]["frontendDist"], "frontend/dist");
}

#[test]
fn capability_grants_exactly_the_app_commands() {
    let cap = json("src-tauri/capabilities/main.json");
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    assert!(cap.get("remote").is_none(), "no remote origin may reach IPC");
    let granted: BTreeSet<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("plain permission ids").to_string())
        .collect();
    for p in &granted {
        assert!(
            !p.contains(':'),
            "plugin or core permission {p} granted: the webview gets only the app's own commands"
        );
    }
    let expected: BTreeSet<String> = cmd::ALL.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    assert_eq!(granted, expected);
    let dir: Vec<_> = std::fs::read_dir(root().join("src-tauri/capabilities")).unwrap().collect();
    assert_eq!(dir.len(), 1, "one capability file only");
}

/// The comma-separated names between the first `[` after `start` and the next `end`.
fn quoted_list(text: &str, start: &str, end: &str) -> BTreeSet<String> {
    let from = text.find(start).unwrap_or_else(|| panic!("{start} not found")) + start.len();
    let rest = &text[from..];
    let rest = &rest[rest.find('[').expect("a list") + 1..];
    let body = &rest[..rest.find(end).unwrap()];
    body.split(',')
        .map(|s| s.trim().trim_matches('"').rsplit("::").next().unwrap().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn build_rs_handler_and_protocol_agree() {
    let build = read("src-tauri/build.rs");
    assert_eq!(quoted_list(&build, "const COMMANDS: &[&str] =", "]"), all_commands(), "build.rs COMMANDS");
    let lib = read("src-tauri/src/lib.rs");
    assert_eq!(quoted_list(&lib, "tauri::generate_handler!", "]"), all_commands(), "generate_handler!");
    let api = read("frontend/src/api.rs");
    for c in cmd::ALL {
        let konst = format!("cmd::{}", c.to_uppercase());
        assert!(api.contains(&konst), "frontend/src/api.rs has no wrapper calling {konst}");
    }
}

#[test]
fn no_filesystem_shell_or_http_plugins() {
    for manifest in ["src-tauri/Cargo.toml", "frontend/Cargo.toml"] {
        let text = read(manifest);
        assert!(!text.contains("tauri-plugin"), "{manifest} pulls in a Tauri plugin");
    }
}

/// The functional core does no I/O: its crates may not depend on I/O libraries.
#[test]
fn pure_crates_have_no_io_dependencies() {
    let forbidden = ["rusqlite", "tokio", "reqwest", "tauri", "axum", "hyper"];
    for krate in ["protocol", "names", "forms", "victims", "demo", "sync-core"] {
        let text = read(&format!("crates/{krate}/Cargo.toml"));
        let deps = text.split("[dependencies]").nth(1).unwrap_or("");
        let deps = deps.split("\n[").next().unwrap_or("");
        for f in forbidden {
            assert!(
                !deps.lines().any(|l| l.trim_start().starts_with(f)),
                "crates/{krate} depends on {f}: pure crates do no I/O"
            );
        }
    }
}

/// Webview storage is not encrypted: nothing of an officer's goes there. The one exception is
/// `display.rs`, which keeps this device's day or night display under one key and nothing else.
#[test]
fn frontend_keeps_no_officer_data_in_webview_storage() {
    for entry in std::fs::read_dir(root().join("frontend/src")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let display = path.file_name().is_some_and(|f| f == "display.rs");
        for api in ["local_storage", "session_storage", "localStorage", "sessionStorage", "indexed_db", "indexedDB"] {
            let allowed = display && api == "local_storage";
            assert!(allowed || !text.contains(api), "{} uses {api}", path.display());
        }
        if display {
            // Written under the theme's key only, and only a theme's name.
            let writes: Vec<&str> = text.match_indices("set_item(").map(|(i, _)| &text[i..]).collect();
            assert!(!writes.is_empty(), "display.rs keeps the display chosen");
            for w in writes {
                assert!(
                    w.starts_with("set_item(THEME_KEY, theme.as_str())"),
                    "display.rs writes something other than the theme to webview storage: {}",
                    w.lines().next().unwrap_or_default()
                );
            }
        }
    }
}
