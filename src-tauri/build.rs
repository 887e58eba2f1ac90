// tauri.conf.json lives at the repository root (see ARCHITECTURE.md); capabilities stay here.
// Every app command is listed so that tauri-build generates an `allow-<command>` permission for
// it: a command not granted in capabilities/main.json cannot be called from the webview.
const COMMANDS: &[&str] = &[
    "app_status",
    "lock_screen",
    "unlock",
    "lock",
    "search_nominals",
    "view_nominal",
    "audit_list",
    "list_incidents",
    "get_incident",
    "start_form",
    "get_form",
    "save_draft",
    "submit_form",
    "set_closing_code",
    "finalise_incident",
    "sync_now",
    "sync_issues",
    "simulate_offline",
    "amend_form",
    "supervisor_queue",
    "get_form_review",
    "review_form",
    "victims_assessment",
    "record_referral",
    "withdraw_referral",
    "record_under18_answer",
    "record_investigation_event",
    "record_victim_told",
    "record_update_preference",
    "victims_awaiting",
    "list_conflicts",
    "resolve_conflict",
    "create_nominal",
    "likely_matches",
    "list_duplicates",
    "resolve_duplicate",
];

fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=capabilities");
    println!("cargo:rerun-if-changed=../frontend/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .config_path("../tauri.conf.json")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
