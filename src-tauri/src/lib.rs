//! The Bluelamp desktop app: the Tauri v2 shell.
//!
//! Only this crate knows Tauri. It wires the store, the sync client and (in demo mode) an
//! in-process central service into commands the webview may call, and does nothing else: every
//! decision lives in the pure crates, every byte on disk in `bluelamp-store`.

mod api;
mod commands;
mod config;
mod error;
pub mod state;
mod sync;

use std::process::ExitCode;

pub use config::Config;
use tauri::Manager;

/// Entry point of the `bluelamp` binary.
pub fn main() -> ExitCode {
    if let Err(msg) = config::check_display() {
        eprintln!("{msg}");
        return ExitCode::from(2);
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bluelamp: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    tauri::Builder::default()
        .setup(move |app| {
            let data_dir = match std::env::var_os("BLUELAMP_DATA_DIR") {
                Some(d) => std::path::PathBuf::from(d),
                None => app.path().app_data_dir()?,
            };
            let cfg = Config::load(&data_dir)?;
            let guard = config::init_logging(&cfg.data_dir)?;
            let state = tauri::async_runtime::block_on(state::AppState::start(cfg, started, Some(guard)))?;
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::lock_screen,
            commands::unlock,
            commands::lock,
            commands::search_nominals,
            commands::view_nominal,
            commands::audit_list,
            commands::list_incidents,
            commands::get_incident,
            commands::start_form,
            commands::get_form,
            commands::save_draft,
            commands::submit_form,
            commands::set_closing_code,
            commands::finalise_incident,
            commands::sync_now,
            commands::sync_issues,
            commands::list_conflicts,
            commands::resolve_conflict,
            commands::simulate_offline,
            commands::amend_form,
            commands::supervisor_queue,
            commands::get_form_review,
            commands::review_form,
            commands::victims_assessment,
            commands::record_referral,
            commands::withdraw_referral,
            commands::record_under18_answer,
            commands::record_investigation_event,
            commands::record_victim_told,
            commands::record_update_preference,
            commands::victims_awaiting,
            commands::create_nominal,
            commands::likely_matches,
            commands::list_duplicates,
            commands::resolve_duplicate,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))?;
    Ok(())
}
