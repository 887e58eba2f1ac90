//! What each command does, as plain functions over [`AppState`], so they can be tested without
//! a webview. `commands.rs` only adapts them to Tauri.
//!
//! Every command that touches officer data goes through [`AppState::with_session`], which
//! refuses when the app is locked, locks it when the idle limit has passed, and checks the
//! officer's role: hiding a button in the UI is not access control.

use std::time::{Duration, Instant};

use bluelamp_protocol::audit::{AuditEntry, AuditFilter};
use bluelamp_protocol::casework::{
    FinaliseOutcome, FormDetail, FormInfo, FormRequest, FormReviewView, FormStatus, IncidentDetail, IncidentRequest,
    IncidentSummary, QueueIncidentRef, QueueTask, QueueView, ReviewFormRequest, SaveDraftRequest,
    SetClosingCodeRequest, StartFormRequest, SubmitFormRequest, SubmitOutcome,
};
use bluelamp_protocol::casework::{RecordReferralRequest, ReferralDecisionInfo, WithdrawReferralRequest};
use bluelamp_protocol::conflicts::{ConflictInfo, ResolveConflictRequest};
use bluelamp_protocol::nominal::NominalPage;
use bluelamp_protocol::nominal::{
    CreateNominalOutcome, CreateNominalRequest, DuplicateInfo, LikelyMatchesRequest, ResolveDuplicateRequest,
};
use bluelamp_protocol::session::{LockScreen, OfficerChoice, Permission, Role, SessionInfo, UnlockRequest};
use bluelamp_protocol::status::{SimulateOfflineRequest, StatusRequest, SyncIssue};
use bluelamp_protocol::victims::{
    AwaitingRow, FieldMessage, InvestigationEventInfo, InvestigationEventRequest, RecordReferralOutcome, Under18Answer,
    Under18Request, UpdatePreferenceInfo, UpdatePreferenceRequest, VictimToldInfo, VictimToldRequest, VictimsPanel,
};
use bluelamp_protocol::wire::Instruction;
use bluelamp_protocol::{ApiError, AppStatus, ErrorCode, NominalHit, SearchRequest, ViewNominalRequest};
use bluelamp_store::audit::{AuditAction, AuditEvent};
use bluelamp_store::casework::CaseworkError;
use bluelamp_store::provisional::Created;
use bluelamp_store::unlock::{self, UnlockError};
use bluelamp_store::{KdfParams, NominalRecord, Store, StoreError};

use crate::error::from_store;
use crate::state::{Activity, AppState, Session, DEMO_INCIDENTS, DEMO_NOMINALS, DEMO_PASSPHRASE};

fn locked() -> ApiError {
    ApiError::new(ErrorCode::Locked, "Bluelamp is locked. Enter your passphrase to continue.")
}

/// The officers offered on the lock screen. In demo mode: one demo officer per role.
pub fn officers(state: &AppState) -> Vec<OfficerChoice> {
    if !state.config.demo {
        return Vec::new();
    }
    bluelamp_central::db::DEMO_OFFICERS
        .iter()
        .filter_map(|(id, role, name)| {
            Some(OfficerChoice { officer_id: id.to_string(), display_name: name.to_string(), role: Role::parse(role)? })
        })
        .collect()
}

impl AppState {
    /// Runs `f` on the open session if the officer's role allows `perm`.
    pub fn with_session<T>(
        &self,
        perm: Permission,
        f: impl FnOnce(&mut Session) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
        self.expire_if_idle(&mut guard);
        let session = guard.as_mut().ok_or_else(locked)?;
        if !session.info.role.allows(perm) {
            tracing::warn!(role = session.info.role.as_str(), ?perm, "command refused for role");
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("Your role ({}) does not allow this.", session.info.role.as_str()),
            ));
        }
        session.last_activity = Activity::now();
        let head = session.store.outbox_head().unwrap_or(0);
        let out = f(session);
        // Something was queued for the central service: sync it now (if online).
        if out.is_ok() && guard.as_ref().is_some_and(|s| s.store.outbox_head().unwrap_or(0) > head) {
            self.sync.wake.notify_one();
        }
        out
    }

    /// Like [`AppState::with_session`] for a command that shows personal data: the consultation
    /// (`object_ref`, e.g. `incident:…`, `form:…`) is written to the access log (DPA 2018 s.62)
    /// before the data is returned, and if it cannot be written the call fails and returns
    /// nothing. Only a successful read is logged.
    pub fn consulted<T>(
        &self,
        perm: Permission,
        object_ref: String,
        f: impl FnOnce(&mut Session) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.with_session(perm, |s| {
            let out = f(s)?;
            let actor = s.actor.clone();
            s.store.audit(&actor, AuditEvent::new(AuditAction::Consultation, object_ref)).map_err(from_store)?;
            Ok(out)
        })
    }

    /// Locks the app if the session has been idle longer than the configured limit.
    fn expire_if_idle(&self, guard: &mut Option<Session>) {
        expire_if_idle(guard, self.config.idle_lock_secs, &self.sync);
    }

    /// The status bar's poll. `req.idle_ms` is how long ago the window last saw the officer's
    /// keyboard or mouse: typing a long referral decision sends no command, yet it is activity,
    /// and must not lock the session under the officer's hands. It is applied after the idle
    /// check, so input after the limit has passed (a laptop woken from suspend) cannot revive
    /// an expired session.
    pub fn status(&self, req: &StatusRequest) -> Result<AppStatus, ApiError> {
        self.note_ready();
        let mut guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
        self.expire_if_idle(&mut guard);
        if let (Some(s), Some(ms)) = (guard.as_mut(), req.idle_ms) {
            s.last_activity.saw_input(Duration::from_millis(ms));
        }
        let (session, nominal_count, sync) = match guard.as_ref() {
            Some(s) => (
                Some(s.info.clone()),
                s.store.nominal_count().map_err(from_store)?,
                Some(self.sync.status(&s.store).map_err(from_store)?),
            ),
            None => (None, 0, None),
        };
        Ok(AppStatus {
            net: *self.net.lock().unwrap_or_else(|p| p.into_inner()),
            demo: self.config.demo,
            nominal_count,
            version: env!("CARGO_PKG_VERSION").to_string(),
            session,
            sync,
            locked_because: if guard.is_none() { self.sync.lock_reason() } else { None },
        })
    }

    pub fn lock_screen(&self) -> LockScreen {
        let unlocked = self.session.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|s| s.info.clone());
        LockScreen { officers: officers(self), demo: self.config.demo, unlocked }
    }

    /// Opens the officer's store with their passphrase. Wrong passphrases are counted; the
    /// message says how many tries are left.
    pub fn unlock(&self, req: &UnlockRequest) -> Result<SessionInfo, ApiError> {
        req.validate()?;
        let db = self.config.officer_db(&req.officer_id);
        let demo_officer = officers(self).into_iter().find(|o| o.officer_id == req.officer_id);
        if !bluelamp_store::exists(&db) {
            match &demo_officer {
                Some(o) => {
                    create_demo_store(&db, o)?;
                    if let Some(central) = &self.demo_storage {
                        register_demo_incidents(&db, central);
                    }
                }
                None => {
                    return Err(ApiError::new(
                        ErrorCode::NotFound,
                        "There is no Bluelamp store for this officer on this device.",
                    ))
                }
            }
        }
        let mut store = match unlock::unlock(&db, &req.passphrase, &self.config.unlock_policy) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(officer = %req.officer_id, "unlock refused");
                return Err(match e {
                    UnlockError::Wrong { .. } => ApiError::new(ErrorCode::WrongPassphrase, e.to_string()),
                    UnlockError::LockedOut
                    | UnlockError::RemoteLocked
                    | UnlockError::RemoteWipePending
                    | UnlockError::Wiped
                    | UnlockError::WrongWhileLockedOut { .. }
                    | UnlockError::Wait { .. } => ApiError::new(ErrorCode::Locked, e.to_string()),
                    UnlockError::Store(s) => from_store(s),
                });
            }
        };
        let role = store.role().map_err(from_store)?.unwrap_or(Role::Officer);
        let actor = store.actor().map_err(from_store)?;
        store.audit(&actor, AuditEvent::new(AuditAction::Unlock, "session")).map_err(from_store)?;
        // After an update that changed the search keys, rebuild them now (the lock screen says
        // why unlocking takes longer) rather than in the officer's first search.
        let started = Instant::now();
        if store.prepare_search().map_err(from_store)? {
            tracing::info!(ms = started.elapsed().as_millis() as u64, "search keys rebuilt after an update");
        }
        let display_name = demo_officer.map(|o| o.display_name).unwrap_or_else(|| req.officer_id.clone());
        let info = SessionInfo {
            officer_id: req.officer_id.clone(),
            display_name,
            role,
            idle_lock_secs: self.config.idle_lock_secs,
        };
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Session { store, info: info.clone(), actor, last_activity: Activity::now() });
        self.sync.set_credentials(&req.officer_id, &req.passphrase);
        self.sync.set_lock_reason(None);
        tracing::info!(role = role.as_str(), "unlocked");
        Ok(info)
    }

    /// The lock screen's unlock: an online sign-in where one is needed
    /// ([`AppState::sign_in_online_if_needed`]), then [`AppState::unlock`], one unlock at a time.
    /// An enrolment creates the officer's store before the service has answered; a second
    /// unlock in that time (a double click, a second window) found the store there, skipped the
    /// sign-in and opened the new store on a passphrase the service had not confirmed. Now it
    /// waits for the first to finish, and finds the store wiped if the service refused.
    pub async fn unlock_signing_in(&self, req: &UnlockRequest) -> Result<SessionInfo, ApiError> {
        let _turn = self.unlocking.lock().await;
        self.sign_in_online_if_needed(req).await?;
        self.unlock(req)
    }

    /// Online sign-in before [`AppState::unlock`], in two cases (demo officers excepted):
    /// - **enrolment**: no store for this officer on this device yet. The central service must
    ///   accept the officer id and passphrase; then a store is created, protected by the same
    ///   passphrase, with the role and a token from the service. A refusal leaves nothing behind.
    /// - **re-authentication**: the store is locked after too many wrong passphrases, or by the
    ///   central service's lock order. The local passphrase must open it and the central service
    ///   must accept it; then the lock is lifted. Under a wipe order whose push had not finished,
    ///   a sync round then sends what is pending, and the store is wiped once nothing is left
    ///   (the unlock is refused either way).
    pub async fn sign_in_online_if_needed(&self, req: &UnlockRequest) -> Result<(), ApiError> {
        req.validate()?;
        let db = self.config.officer_db(&req.officer_id);
        let is_demo = officers(self).iter().any(|o| o.officer_id == req.officer_id);
        let enrol = !bluelamp_store::exists(&db) && !is_demo;
        let reauth = bluelamp_store::exists(&db) && unlock::is_locked_out(&db);
        if !enrol && !reauth {
            return Ok(());
        }
        let order = if reauth { unlock::locked_by_order(&db) } else { None };
        let offline = || {
            ApiError::new(
                ErrorCode::Rejected,
                match (enrol, order) {
                    (true, _) => "First use on this device: Bluelamp must reach the central service to check who you are. Connect and try again.",
                    (false, Some(Instruction::Lock)) => "The central service locked this device: connect to the central service to sign in again.",
                    (false, Some(Instruction::Wipe)) => "The central service ordered this device wiped: it stays locked, keeping the writes not yet sent, until you sign in while connected to the central service.",
                    (false, None) => "This store is locked after too many wrong passphrases: connect to the central service to sign in again.",
                },
            )
        };
        let mut store = if enrol {
            if let Some(dir) = db.parent() {
                std::fs::create_dir_all(dir).map_err(|e| from_store(StoreError::Io(e)))?;
            }
            Store::create(&db, &req.passphrase, &req.officer_id, self.config.kdf).map_err(from_store)?
        } else {
            // The service first: offline, a locked-out store checks no passphrase at all (a
            // different answer for the right one would let the lock screen test guesses).
            let reachable = match bluelamp_sync::Client::new(&self.central_url) {
                Ok(c) => c.health().await.is_ok(),
                Err(_) => false,
            };
            if !reachable {
                return Err(offline());
            }
            // Then the local passphrase, counted, each wrong one making the next try wait.
            let store = match unlock::open_locked_out_now(&db, &req.passphrase) {
                Ok(s) => s,
                Err(e @ UnlockError::WrongWhileLockedOut { .. }) => {
                    tracing::warn!("wrong passphrase at a locked-out store");
                    return Err(ApiError::new(ErrorCode::WrongPassphrase, e.to_string()));
                }
                Err(e @ UnlockError::Wait { .. }) => return Err(ApiError::new(ErrorCode::Locked, e.to_string())),
                Err(UnlockError::Store(e)) => return Err(from_store(e)),
                Err(e) => return Err(ApiError::new(ErrorCode::Locked, e.to_string())),
            };
            // Only the service the store was enrolled with lifts its lock (see the CLI's enrol).
            // The embedded demo service starts on a new port each run: named services only.
            if let (Some(named), Some(enrolled)) = (&self.config.central_url, store.server_url().map_err(from_store)?) {
                if !bluelamp_sync::same_service(named, &enrolled) {
                    tracing::warn!("online sign-in to another service than the store's refused");
                    return Err(ApiError::new(
                        ErrorCode::Rejected,
                        format!("This store is enrolled with the central service at {enrolled}: Bluelamp is set to use {named}. Ask IT to set the right service."),
                    ));
                }
            }
            store
        };
        let client_id = store.client_id().map_err(from_store)?;
        let login = bluelamp_protocol::wire::LoginRequest {
            schema_version: bluelamp_protocol::SCHEMA_VERSION,
            officer_id: req.officer_id.clone(),
            passphrase: zeroize::Zeroizing::new(req.passphrase.clone()),
            client_id,
            device: "bluelamp-app".into(),
            interactive: true,
        };
        let answer = match bluelamp_sync::Client::new(&self.central_url) {
            Ok(c) => c.login(&login).await,
            Err(e) => Err(bluelamp_sync::Failure::Network(e.to_string())),
        };
        let resp = match answer {
            Ok(r) if r.officer_id == req.officer_id => r,
            other => {
                drop(store);
                if enrol {
                    let _ = unlock::wipe(&db);
                }
                tracing::warn!(enrol, "online sign-in refused or unreachable");
                return Err(match other {
                    Err(bluelamp_sync::Failure::Network(_)) | Err(bluelamp_sync::Failure::Server(_)) => offline(),
                    _ => ApiError::new(
                        ErrorCode::WrongPassphrase,
                        "The central service did not accept this officer id and passphrase.",
                    ),
                });
            }
        };
        let write = |store: &mut Store| -> Result<(), StoreError> {
            store.set_server_url(&self.central_url)?;
            store.set_token(&resp)?;
            store.set_role(resp.role)?;
            // The online sign-in a lock order asks for (the service cleared its copy too).
            store.clear_lock_order()?;
            let actor = store.actor()?;
            store.audit(
                &actor,
                AuditEvent::new(AuditAction::Unlock, "central")
                    .detail(serde_json::json!({ "online": true, "enrolled": enrol, "lockout_cleared": reauth })),
            )?;
            Ok(())
        };
        write(&mut store).map_err(from_store)?;
        if store.pending_instruction().map_err(from_store)? == Some(Instruction::Wipe) {
            return Err(self.finish_wipe(&db, store, req).await);
        }
        drop(store);
        if reauth {
            unlock::clear_lockout(&db).map_err(from_store)?;
        }
        tracing::info!(enrol, reauth, "signed in online");
        Ok(())
    }

    /// A store under a wipe order whose push had not finished, opened at an online sign-in: a
    /// round sends what is pending (the service keeps accepting it), then the store is wiped
    /// once nothing is left unsent ([`bluelamp_sync::carry_out_order`], as the CLI's sync does).
    /// Returns why the unlock is refused: wiped, or still locked with its writes.
    async fn finish_wipe(&self, db: &std::path::Path, store: Store, req: &UnlockRequest) -> ApiError {
        use bluelamp_protocol::status::LockReason;
        let creds = bluelamp_sync::Credentials {
            officer_id: req.officer_id.clone(),
            passphrase: zeroize::Zeroizing::new(req.passphrase.clone()),
            device: "bluelamp-app".into(),
        };
        let local = std::sync::Mutex::new(store);
        if let Ok(client) = bluelamp_sync::Client::new(&self.central_url) {
            let cfg = bluelamp_sync_core::Config { max_attempts: 3, ..Default::default() };
            match bluelamp_sync::run_round(&local, &client, Some(&creds), cfg, &mut |_| {}).await {
                Ok(r) => {
                    tracing::info!(outcome = %r.outcome, acknowledged = r.acknowledged, "round under a wipe order")
                }
                Err(e) => tracing::warn!(error = %e, "round under a wipe order stopped"),
            }
        }
        let store = local.into_inner().unwrap_or_else(|p| p.into_inner());
        match bluelamp_sync::carry_out_order(db, store) {
            Ok(Some(bluelamp_sync::Carried::Wiped)) => {
                tracing::warn!("store wiped by order of the central service");
                self.sync.set_lock_reason(Some(LockReason::RemoteWipe));
                ApiError::new(ErrorCode::Locked, LockReason::RemoteWipe.message())
            }
            Ok(_) => ApiError::new(ErrorCode::Locked, UnlockError::RemoteWipePending.to_string()),
            Err(e) => from_store(e),
        }
    }

    /// Closes the store (the key leaves memory with it).
    pub fn lock(&self) {
        self.sync.clear_credentials();
        self.sync.set_lock_reason(None);
        if let Some(mut s) = self.session.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let actor = s.actor.clone();
            let _ = s.store.audit(&actor, AuditEvent::new(AuditAction::Lock, "session"));
            tracing::info!("locked");
        }
    }

    pub fn search(&self, req: &SearchRequest) -> Result<Vec<NominalHit>, ApiError> {
        req.validate()?;
        self.with_session(Permission::RecordsWork, |s| s.store.search_logged(&s.actor, req, None).map_err(from_store))
    }

    /// The record page (markers, aliases, addresses, linked incidents), logged as a
    /// consultation with its purpose before it is returned.
    pub fn view_nominal(&self, req: &ViewNominalRequest) -> Result<NominalPage, ApiError> {
        req.validate()?;
        self.with_session(Permission::RecordsWork, |s| {
            s.store
                .view_nominal_logged(&s.actor, &req.id, &req.purpose)
                .map_err(from_store)?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "That record is not in the local cache."))
        })
    }

    /// Saves a person typed by the officer as a provisional nominal (field problems come back
    /// as `Rejected`, nothing written, what was typed stays in the form).
    pub fn create_nominal(&self, req: &CreateNominalRequest) -> Result<CreateNominalOutcome, ApiError> {
        let issues = req.nominal.validate();
        if !issues.is_empty() {
            return Ok(CreateNominalOutcome::Rejected { issues });
        }
        self.with_session(Permission::RecordsWork, |s| {
            let actor = s.actor.clone();
            match s.store.create_nominal(&actor, &req.nominal).map_err(from_store)? {
                Created::Saved(nominal) => Ok(CreateNominalOutcome::Created { nominal }),
                Created::Invalid(issues) => Ok(CreateNominalOutcome::Rejected { issues }),
            }
        })
    }

    /// People on this device a new person may be, before saving (logged as a search).
    pub fn likely_matches(&self, req: &LikelyMatchesRequest) -> Result<Vec<NominalHit>, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            let actor = s.actor.clone();
            s.store.likely_matches(&actor, &req.nominal).map_err(from_store)
        })
    }

    pub fn list_duplicates(&self) -> Result<Vec<DuplicateInfo>, ApiError> {
        self.consulted(Permission::RecordsWork, "duplicates".into(), |s| s.store.duplicates().map_err(from_store))
    }

    pub fn resolve_duplicate(&self, req: &ResolveDuplicateRequest) -> Result<(), ApiError> {
        req.validate()?;
        self.with_session(Permission::RecordsWork, |s| {
            let actor = s.actor.clone();
            s.store.resolve_duplicate(&actor, &req.id, &req.decision).map_err(from_store)
        })
    }

    pub fn audit_list(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, ApiError> {
        filter.validate()?;
        self.with_session(Permission::ReadAuditLog, |s| {
            let actor = s.actor.clone();
            s.store.audit_consult(&actor, filter).map_err(from_store)
        })
    }
}

/// A demo officer's store: synthetic people, the public demo passphrase and the cheap KDF.
fn create_demo_store(db: &std::path::Path, officer: &OfficerChoice) -> Result<(), ApiError> {
    let build = || -> Result<(), StoreError> {
        if let Some(dir) = db.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut store = Store::create(db, DEMO_PASSPHRASE, &officer.officer_id, KdfParams::INSECURE_FAST)?;
        store.set_role(officer.role)?;
        let rows: Vec<NominalRecord> = bluelamp_demo::people(DEMO_NOMINALS, bluelamp_demo::DEMO_SEED)
            .into_iter()
            .map(NominalRecord::from)
            .collect();
        store.upsert_nominals(&rows)?;
        store
            .seed_demo_incidents(DEMO_INCIDENTS, bluelamp_demo::DEMO_SEED, bluelamp_store::casework::now_unix())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if officer.role.allows(Permission::Supervise) {
            seed_demo_team_forms(&mut store).map_err(|e| StoreError::Invalid(e.to_string()))?;
        }
        Ok(())
    };
    build().map_err(|e| {
        tracing::error!(error = %e, "cannot create the demo store");
        from_store(e)
    })
}

/// The demo service learns a new demo store's synthetic incidents (assigned to its officer), so
/// the closing codes and finalisations recorded on them sync like real ones. Best effort: the
/// demo works offline without it.
fn register_demo_incidents(db: &std::path::Path, central: &bluelamp_central::Central) {
    let Ok(store) = Store::open(db, DEMO_PASSPHRASE) else { return };
    let Ok(officer) = store.officer_id() else { return };
    let Ok(incidents) = store.list_incidents() else { return };
    let mut added = 0;
    for i in incidents {
        let unix = |t: &str| bluelamp_store::casework::unix_of(t).unwrap_or(0);
        let inc = bluelamp_central::storage::ImportIncident {
            id: i.id,
            reference: i.reference,
            incident_type: i.incident_type,
            offence_category: i.offence_category,
            place: i.place,
            postcode: i.postcode,
            team: i.team,
            occurred_at: unix(&i.occurred_at),
            recorded_at: unix(&i.recorded_at),
            assigned_to: officer.clone(),
            district: bluelamp_central::db::DEMO_DISTRICT.to_string(),
            closing_code: i.closing_code,
            links: i.links.into_iter().map(|l| (l.nominal_id, l.role)).collect(),
        };
        if central.storage().import_incident(&inc).unwrap_or(false) {
            added += 1;
        }
    }
    tracing::info!(added, "demo incidents registered with the demo central service");
}

/// The officer whose submissions a demo supervisor's store holds.
pub const DEMO_TEAM_OFFICER: &str = "demo-officer";

/// Demo supervisors review their team's work. Officers' forms reach a supervisor's store by
/// pulling the district's incidents from the embedded central service, but a fresh demo has
/// none yet, so a supervisor's demo store is also seeded with two
/// forms submitted by [`DEMO_TEAM_OFFICER`] on its own synthetic incidents (a DA risk
/// assessment graded high, and a Concern-for-a-Child care plan), through the same store calls
/// an officer's submission makes: the store's access log shows them as that officer's.
fn seed_demo_team_forms(store: &mut Store) -> Result<(), CaseworkError> {
    use bluelamp_store::casework::{catalog, sample_answers};
    let own = store.actor()?;
    let team = bluelamp_store::Actor { officer_id: DEMO_TEAM_OFFICER.into(), device_id: own.device_id };
    let mut incidents = store.list_incidents()?;
    // The synthetic mix may lack a Concern-for-a-Child incident: add one for the child of the
    // first DA incident, so the supervisor always has a care plan to review.
    if !incidents.iter().any(|i| i.incident_type == "concern_for_child") {
        if let Some(da) = incidents.iter().find(|i| i.incident_type == "domestic_abuse") {
            let now = bluelamp_store::casework::now_unix();
            let links: Vec<(String, String)> = da
                .links
                .iter()
                .filter(|l| matches!(l.role.as_str(), "child" | "victim"))
                .map(|l| {
                    (l.nominal_id.clone(), if l.role == "child" { "child".into() } else { "parent_or_guardian".into() })
                })
                .collect();
            store.import_incidents(&[bluelamp_store::casework::NewIncident {
                id: None,
                reference: "DEMO-CFAC-1".into(),
                incident_type: "concern_for_child".into(),
                offence_category: None,
                place: da.place.clone(),
                postcode: None,
                team: Some("Public Protection".into()),
                occurred_at: now - 6 * 3600,
                recorded_at: now - 5 * 3600,
                assigned_to: Some(own.officer_id.clone()),
                closing_code: None,
                links,
            }])?;
            incidents = store.list_incidents()?;
        }
    }
    let plan = [
        ("domestic_abuse", "dash-style-da-risk", Some(bluelamp_protocol::casework::Grade::High)),
        ("concern_for_child", "concern-for-child-care-plan", None),
    ];
    for (kind, pack_id, grade) in plan {
        let Some(inc) = incidents.iter().find(|i| i.incident_type == kind) else { continue };
        let Some(pack) = catalog()?.pack(pack_id) else { continue };
        let role_id =
            |roles: &[&str]| inc.links.iter().find(|l| roles.contains(&l.role.as_str())).map(|l| l.nominal_id.clone());
        let people: Vec<String> = [role_id(&["victim", "child"]), role_id(&["suspect", "parent_or_guardian"])]
            .into_iter()
            .flatten()
            .collect();
        let answers = sample_answers(pack, &people, grade.is_some());
        let id = store.start_form(&team, &inc.id, pack_id)?;
        store.save_draft(&team, &id, &answers, None)?;
        let rationale = grade.map(|_| "Demo: escalating abuse, threats to kill, recent separation.");
        if let SubmitOutcome::Rejected { issues } = store.submit_form(&team, &id, grade, rationale)? {
            tracing::warn!(pack_id, issues = issues.len(), "demo team form not submitted");
        }
    }
    Ok(())
}

fn from_casework(e: CaseworkError) -> ApiError {
    match e {
        CaseworkError::NotFound(_) => ApiError::new(ErrorCode::NotFound, e.to_string()),
        CaseworkError::Invalid(_) | CaseworkError::NfaDup(_) => ApiError::invalid(e.to_string()),
        CaseworkError::Store(s) => from_store(s),
        other => ApiError::new(ErrorCode::Rejected, other.to_string()),
    }
}

/// Casework: incidents, forms and the closing-code gate. Records work for officers,
/// supervisors and superusers; the gate is enforced in the store, not in the UI.
impl AppState {
    /// The list names the people linked to each incident (victims, children, suspects): a
    /// consultation (DPA 2018 s.62), like the victims awaiting list.
    pub fn list_incidents(&self) -> Result<Vec<IncidentSummary>, ApiError> {
        self.consulted(Permission::RecordsWork, "incidents".into(), |s| s.store.list_incidents().map_err(from_casework))
    }

    /// Logged with the people the page shows (`bluelamp_store::audit::incident_view_event`).
    pub fn get_incident(&self, req: &IncidentRequest) -> Result<IncidentDetail, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            let detail = s.store.get_incident(&req.incident_id).map_err(from_casework)?;
            let actor = s.actor.clone();
            s.store.audit(&actor, bluelamp_store::audit::incident_view_event(&detail.summary)).map_err(from_store)?;
            Ok(detail)
        })
    }

    /// Starts a form, or resumes the draft already started: either way the form's answers are
    /// returned, so the view is logged as a consultation of the form (a resumed draft writes
    /// nothing else to the log).
    pub fn start_form(&self, req: &StartFormRequest) -> Result<FormDetail, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            let id = s
                .store
                .start_form_about(&s.actor, &req.incident_id, &req.pack_id, req.victim_id.as_deref())
                .map_err(from_casework)?;
            form_consulted(s, &id)
        })
    }

    pub fn get_form(&self, req: &FormRequest) -> Result<FormDetail, ApiError> {
        self.consulted(Permission::RecordsWork, format!("form:{}", req.form_id), |s| {
            s.store.get_form(&req.form_id).map_err(from_casework)
        })
    }

    /// Autosave: every change in the wizard.
    pub fn save_draft(&self, req: &SaveDraftRequest) -> Result<(), ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            s.store
                .save_draft_revision(&s.actor, &req.form_id, &req.answers, req.current_section.as_deref(), req.revision)
                .map(drop)
                .map_err(from_casework)
        })
    }

    pub fn submit_form(&self, req: &SubmitFormRequest) -> Result<SubmitOutcome, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            s.store
                .submit_form(&s.actor, &req.form_id, req.officer_grade, req.rationale.as_deref())
                .map_err(from_casework)
        })
    }

    pub fn set_closing_code(&self, req: &SetClosingCodeRequest) -> Result<IncidentDetail, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            let reason = req.nfa_dup_reason().map_err(|e| ApiError::invalid(e.to_string()))?;
            s.store
                .set_closing_code_with(&s.actor, &req.incident_id, req.code.as_deref(), reason.as_ref())
                .map_err(from_casework)?;
            s.store.get_incident(&req.incident_id).map_err(from_casework)
        })
    }

    /// Refused finalisation is an answer, not an error: the UI lists what is missing.
    pub fn finalise_incident(&self, req: &IncidentRequest) -> Result<FinaliseOutcome, ApiError> {
        self.with_session(Permission::RecordsWork, |s| match s.store.finalise_incident(&s.actor, &req.incident_id) {
            Ok(()) => Ok(FinaliseOutcome { finalised: true, missing: Vec::new() }),
            Err(CaseworkError::Refused { missing }) => Ok(FinaliseOutcome { finalised: false, missing }),
            Err(e) => Err(from_casework(e)),
        })
    }
}

/// Sync: "Sync now", what the central service refused, and the demo's "simulate offline".
impl AppState {
    pub fn sync_now(&self) -> Result<(), ApiError> {
        self.with_session(Permission::RecordsWork, |_| Ok(()))?;
        self.sync.wake.notify_one();
        Ok(())
    }

    pub fn sync_issues(&self) -> Result<Vec<SyncIssue>, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            Ok(s.store
                .parked()
                .map_err(from_store)?
                .into_iter()
                .map(|p| SyncIssue {
                    seq: p.seq,
                    mutation: p.mutation,
                    code: p.code,
                    message: p.message,
                    created_at: p.created_at,
                })
                .collect())
        })
    }

    /// The unresolved conflicts, each field with base, mine and theirs.
    pub fn list_conflicts(&self) -> Result<Vec<ConflictInfo>, ApiError> {
        self.consulted(Permission::RecordsWork, "conflicts".into(), |s| s.store.list_conflicts().map_err(from_store))
    }

    /// Resolves a conflict with a side per field (queued as `incident.resolve/1`, synced at
    /// once like every write); returns the conflicts still open, which the screen shows: a
    /// consultation of the list, logged as `list_conflicts` logs it.
    pub fn resolve_conflict(&self, req: &ResolveConflictRequest) -> Result<Vec<ConflictInfo>, ApiError> {
        if req.conflict_id.trim().is_empty() || req.conflict_id.len() > 100 {
            return Err(ApiError::invalid("Choose a conflict to resolve."));
        }
        self.consulted(Permission::RecordsWork, "conflicts".into(), |s| {
            s.store.resolve_conflict(&s.actor, &req.conflict_id, &req.choices).map_err(from_casework)?;
            s.store.list_conflicts().map_err(from_store)
        })
    }

    /// Superuser, demo only: stops the in-process central service (the app goes offline and
    /// queues what is written) or starts it again on the same address (and syncs).
    pub async fn simulate_offline(&self, req: &SimulateOfflineRequest) -> Result<(), ApiError> {
        self.with_session(Permission::Demo, |_| Ok(()))?;
        let mut guard = self.demo_central.lock().await;
        let Some(demo) = guard.as_mut() else {
            return Err(ApiError::new(ErrorCode::Rejected, "Only the embedded demo service can be switched off."));
        };
        if req.offline {
            self.sync.simulated_offline.store(true, std::sync::atomic::Ordering::SeqCst);
            if let Some(r) = demo.running.take() {
                r.stop().await;
            }
            tracing::info!("demo: central service stopped (simulate offline)");
        } else {
            if demo.running.is_none() {
                let running = bluelamp_central::spawn(demo.central.clone(), demo.addr).await.map_err(|e| {
                    tracing::error!(error = %e, "demo: cannot restart the central service");
                    ApiError::new(ErrorCode::Internal, "The demo central service could not be restarted.")
                })?;
                demo.running = Some(running);
            }
            self.sync.simulated_offline.store(false, std::sync::atomic::Ordering::SeqCst);
            self.sync.wake.notify_one();
            tracing::info!("demo: central service running again");
        }
        Ok(())
    }
}

/// Supervision: the queue and form review. Supervisors and superusers only
/// ([`Permission::Supervise`]); officers and admins are refused by [`AppState::with_session`].
impl AppState {
    /// The supervisor queue of the open store, built now, with the references of the incidents
    /// it names.
    /// The queue names incidents and victims across the team: a consultation (DPA 2018 s.62).
    pub fn supervisor_queue(&self) -> Result<QueueView, ApiError> {
        self.consulted(Permission::Supervise, "queue:supervisor".into(), |s| {
            let now = bluelamp_store::casework::now_unix();
            let queue = s.store.supervisor_queue(now).map_err(from_casework)?;
            // Soonest due first (so the overdue ones), no due date last: the store's order.
            let tasks: Vec<QueueTask> = s
                .store
                .open_tasks()
                .map_err(from_casework)?
                .into_iter()
                .filter(|t| t.kind != "supervisor_review")
                .map(|task| QueueTask { due: task.due_at.as_deref().and_then(bluelamp_store::casework::unix_of), task })
                .collect();
            let named: std::collections::HashSet<&str> = queue
                .items
                .iter()
                .map(|i| i.incident_id.as_str())
                .chain(queue.daily_review.iter().map(|d| d.incident_id.as_str()))
                .chain(tasks.iter().filter_map(|t| t.task.incident_id.as_deref()))
                .collect();
            let incidents = s
                .store
                .list_incidents()
                .map_err(from_casework)?
                .into_iter()
                .filter(|i| named.contains(i.id.as_str()))
                .map(|i| QueueIncidentRef {
                    id: i.id,
                    reference: i.reference,
                    incident_type: i.incident_type,
                    place: i.place,
                    assigned_to: i.assigned_to,
                })
                .collect();
            Ok(QueueView { now, queue, incidents, tasks })
        })
    }

    /// A form as the reviewing supervisor sees it: answers, the engine's suggestion, the
    /// officer's grade and rationale (in the form info), and whether it can be decided now.
    pub fn get_form_review(&self, req: &FormRequest) -> Result<FormReviewView, ApiError> {
        self.consulted(Permission::Supervise, format!("form:{}", req.form_id), |s| {
            let form = s.store.get_form(&req.form_id).map_err(from_casework)?;
            let incident = s.store.get_incident(&form.info.incident_id).map_err(from_casework)?.summary;
            let suggestion = s.store.form_suggestion(&req.form_id).map_err(from_casework)?;
            let why_not = if form.info.status != FormStatus::Submitted {
                Some("Only a submitted form waiting for review can be approved or returned.".to_string())
            } else if form.info.created_by == s.actor.officer_id {
                Some("You submitted this form: another supervisor must review it.".to_string())
            } else {
                None
            };
            Ok(FormReviewView { form, incident, suggestion, can_review: why_not.is_none(), why_not })
        })
    }

    /// Approve, or return with comments (mandatory; checked by the engine as well).
    pub fn review_form(&self, req: &ReviewFormRequest) -> Result<FormInfo, ApiError> {
        if req.comments.as_deref().is_some_and(|c| c.chars().count() > bluelamp_store::casework::MAX_TEXT_CHARS) {
            return Err(ApiError::invalid("The comments are too long."));
        }
        self.with_session(Permission::Supervise, |s| {
            s.store.review_form(&s.actor, &req.form_id, req.decision, req.comments.as_deref()).map_err(from_casework)
        })
    }

    /// Starts (or resumes) an amendment of a submitted, returned or approved form.
    pub fn amend_form(&self, req: &FormRequest) -> Result<FormDetail, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            let id = s.store.amend_form(&s.actor, &req.form_id).map_err(from_casework)?;
            form_consulted(s, &id)
        })
    }
}

/// Locks the session (closes the store, forgets the sync credentials, logs the lock) if it has
/// been idle longer than `idle_lock_secs`. Called by every command and the status poll, and
/// every second by the idle watch (`state::spawn_idle_watch`), so the app locks on time even
/// when the window sends nothing (a hung or crashed web view).
pub(crate) fn expire_if_idle(guard: &mut Option<Session>, idle_lock_secs: u32, sync: &crate::sync::SyncShared) {
    let limit = Duration::from_secs(u64::from(idle_lock_secs));
    if guard.as_ref().is_some_and(|s| s.last_activity.idle_for() > limit) {
        if let Some(mut s) = guard.take() {
            sync.clear_credentials();
            sync.set_lock_reason(Some(bluelamp_protocol::status::LockReason::Idle));
            let actor = s.actor.clone();
            let _ = s.store.audit(
                &actor,
                AuditEvent::new(AuditAction::Lock, "session").detail(serde_json::json!({"reason": "idle"})),
            );
            tracing::info!("locked after idle timeout");
        }
    }
}

/// The form `id` for the screen, its view written to the access log first (as `get_form`).
fn form_consulted(s: &mut Session, id: &str) -> Result<FormDetail, ApiError> {
    let form = s.store.get_form(id).map_err(from_casework)?;
    let actor = s.actor.clone();
    s.store.audit(&actor, AuditEvent::new(AuditAction::Consultation, format!("form:{id}"))).map_err(from_store)?;
    Ok(form)
}

/// Victims' Code (issue 6): the Victims panel, recording a referral decision and the awaiting
/// list. The rules run in `bluelamp-victims` (through the store's adapter); a decision the rules
/// refuse is an answer with field-level messages, not an error.
impl AppState {
    pub fn victims_assessment(&self, req: &IncidentRequest) -> Result<VictimsPanel, ApiError> {
        self.consulted(Permission::RecordsWork, format!("victims:{}", req.incident_id), |s| {
            s.store.victims_assessment(&req.incident_id, bluelamp_store::casework::now_unix()).map_err(from_casework)
        })
    }

    pub fn record_referral(&self, req: &RecordReferralRequest) -> Result<RecordReferralOutcome, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            match s.store.record_referral_decision(&s.actor, &req.incident_id, &req.victim_id, &req.decision) {
                Ok(decision) => {
                    let warnings: Vec<FieldMessage> = decision
                        .details
                        .get("warnings")
                        .cloned()
                        .and_then(|w| serde_json::from_value(w).ok())
                        .unwrap_or_default();
                    Ok(RecordReferralOutcome::Recorded { decision, warnings })
                }
                Err(CaseworkError::Rejected { errors, warnings, .. }) => {
                    Ok(RecordReferralOutcome::Rejected { errors, warnings })
                }
                Err(e @ CaseworkError::DuplicateReferral { .. }) => Ok(RecordReferralOutcome::Rejected {
                    errors: vec![FieldMessage { field: "destination".into(), message: e.to_string() }],
                    warnings: Vec::new(),
                }),
                Err(e) => Err(from_casework(e)),
            }
        })
    }

    /// Withdraws a recorded referral decision with a reason (kept with it; the store writes the
    /// outbox and access-log rows in the same transaction). A refusal (blank reason, unknown or
    /// already withdrawn decision) is an error whose message the panel shows; nothing is written.
    pub fn withdraw_referral(&self, req: &WithdrawReferralRequest) -> Result<ReferralDecisionInfo, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            s.store
                .withdraw_referral_decision(&s.actor, &req.incident_id, &req.referral_id, &req.reason)
                .map_err(from_casework)
        })
    }

    /// The officer's answer to "was this victim under 18 at the time of the offence?" for a
    /// victim with no date of birth (the store writes the outbox and access-log rows in the same
    /// transaction). A refusal (not a victim of the incident, a date of birth recorded) is an
    /// error whose message the panel shows; nothing is written.
    pub fn record_under18_answer(&self, req: &Under18Request) -> Result<Under18Answer, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            s.store
                .record_under18_answer(&s.actor, &req.incident_id, &req.nominal_id, req.under_18)
                .map_err(from_casework)
        })
    }

    /// Right 6: a key event in the investigation (arrest, charge, bail, no further action…); every
    /// victim of the incident is then owed an update. The store writes the outbox and access-log
    /// rows in the same transaction. A refusal (unknown kind, a date in the future or before the
    /// offence) is an error whose message the panel shows; nothing is written.
    pub fn record_investigation_event(
        &self,
        req: &InvestigationEventRequest,
    ) -> Result<InvestigationEventInfo, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            s.store
                .record_investigation_event(&s.actor, &req.incident_id, &req.kind, &req.occurred_on)
                .map_err(from_casework)
        })
    }

    /// Right 6: a victim was told about an investigation event (their update is then no longer
    /// owed). A refusal (not a victim, an unknown event, told already) is an error the panel shows.
    pub fn record_victim_told(&self, req: &VictimToldRequest) -> Result<VictimToldInfo, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            s.store
                .record_victim_told(
                    &s.actor,
                    &req.incident_id,
                    &req.event_id,
                    &req.nominal_id,
                    &req.how,
                    req.told_on.as_deref(),
                )
                .map_err(from_casework)
        })
    }

    /// Right 6: what updates a victim wants (all, key decisions only, none); the latest counts.
    /// A refusal (not a victim, an unknown preference) is an error the panel shows.
    pub fn record_update_preference(&self, req: &UpdatePreferenceRequest) -> Result<UpdatePreferenceInfo, ApiError> {
        self.with_session(Permission::RecordsWork, |s| {
            s.store
                .record_update_preference(&s.actor, &req.incident_id, &req.nominal_id, &req.wants)
                .map_err(from_casework)
        })
    }

    /// The list names victims across incidents: a consultation (DPA 2018 s.62).
    pub fn victims_awaiting(&self) -> Result<Vec<AwaitingRow>, ApiError> {
        self.consulted(Permission::RecordsWork, "victims:awaiting".into(), |s| {
            s.store.victims_awaiting(bluelamp_store::casework::now_unix()).map_err(from_casework)
        })
    }
}
