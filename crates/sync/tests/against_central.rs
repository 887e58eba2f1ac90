//! The sync driver against a real `bluelamp-central` on 127.0.0.1, directly and through a
//! fault-injecting proxy that drops connections mid-request and mid-response (after the server
//! committed), truncates answers, delays and answers 503.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use bluelamp_central::{Central, Config as CentralConfig};
use bluelamp_protocol::casework::{Grade, ReferralDecisionInput, ReferralOutcome, SubmitOutcome};
use bluelamp_store::casework::CaseworkError;
use bluelamp_store::{KdfParams, Store};
use bluelamp_sync::{run_round, Client, Credentials, RoundReport, SyncError};
use bluelamp_sync_core::Config;
use bluelamp_testkit::proxy::{Fault, FaultProxy, Plan};
use zeroize::Zeroizing;

const PASS: &str = "bluelamp-demo";

struct World {
    dir: tempfile::TempDir,
    central: Central,
    running: bluelamp_central::Running,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let central = Central::open_with(&dir.path().join("central.db"), CentralConfig::for_tests()).unwrap();
    central.seed_demo(120).unwrap();
    let running = bluelamp_central::spawn(central.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    World { dir, central, running }
}

fn store(w: &World, name: &str) -> Mutex<Store> {
    Mutex::new(Store::create(&w.dir.path().join(name), PASS, "demo-officer", KdfParams::INSECURE_FAST).unwrap())
}

fn creds() -> Credentials {
    Credentials { officer_id: "demo-officer".into(), passphrase: Zeroizing::new(PASS.into()), device: "test".into() }
}

fn fast() -> Config {
    Config { base_backoff_ms: 5, max_backoff_ms: 40, max_attempts: 8, push_batch: 4, pull_limit: 25 }
}

async fn round(s: &Mutex<Store>, client: &Client) -> RoundReport {
    run_round(s, client, Some(&creds()), fast(), &mut |_| {}).await.unwrap()
}

/// The nominal ids the central service holds in the demo officer's district (the biggest scope).
fn server_scope(w: &World) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(w.dir.path().join("central.db")).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT record_id FROM changes WHERE record_type = 'nominal' AND op = 'upsert'
             AND scope = (SELECT scope FROM changes WHERE record_type = 'nominal' AND op = 'upsert'
                          GROUP BY scope ORDER BY count(*) DESC LIMIT 1)",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn local_ids(s: &Mutex<Store>) -> BTreeSet<String> {
    let g = s.lock().unwrap();
    let mut stmt = g.conn().prepare("SELECT id FROM nominals WHERE server_version IS NOT NULL").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[tokio::test]
async fn health_online_then_offline() {
    let w = world().await;
    let client = Client::new(&w.running.url()).unwrap();
    assert_eq!(client.health().await.unwrap().status, "ok");
    w.running.stop().await;
    assert!(matches!(client.health().await, Err(SyncError::Unreachable(_))));
}

#[tokio::test]
async fn a_round_signs_in_pushes_and_pulls_the_scope() {
    let w = world().await;
    let s = store(&w, "a.db");
    let ids = s.lock().unwrap().demo_enqueue_forms(7).unwrap();
    let client = Client::new(&w.running.url()).unwrap();
    let r = round(&s, &client).await;
    assert_eq!(r.outcome, "synced", "{r:?}");
    assert!(r.reached_server);
    assert_eq!((r.acknowledged, r.rejected, r.pending), (7, 0, 0));
    let stats = w.central.stats().unwrap();
    assert_eq!(stats.forms, 7);
    assert_eq!(stats.duplicate_applications, 0);
    let scope = server_scope(&w);
    assert!(scope.len() >= 10, "the demo district has people: {}", scope.len());
    assert_eq!(local_ids(&s), scope);
    // The access log went in the same round.
    assert_access_log_pushed(&w, &s);
    // Searchable at once.
    let any = scope.iter().next().unwrap().clone();
    assert!(s.lock().unwrap().get_nominal(&any).unwrap().is_some());
    // The officer's assigned incidents arrived, with their links.
    let incidents = s.lock().unwrap().list_incidents().unwrap();
    let assigned: Vec<_> = incidents.iter().filter(|i| i.id.starts_with("demo-incident-")).collect();
    assert_eq!(assigned.len() as u64, w.central.stats().unwrap().incidents, "{incidents:?}");
    assert!(assigned.iter().any(|i| !i.links.is_empty()));
    // A second round has nothing to do, and resends nothing.
    let r = round(&s, &client).await;
    assert_eq!((r.outcome.as_str(), r.pushed, r.pulled), ("synced", 0, 0));
    assert_eq!(ids.len(), 7);
    assert_access_log_pushed(&w, &s);
}

#[tokio::test]
async fn wrong_passphrase_blocks_and_keeps_the_outbox() {
    let w = world().await;
    let s = store(&w, "b.db");
    s.lock().unwrap().demo_enqueue_forms(2).unwrap();
    let client = Client::new(&w.running.url()).unwrap();
    let bad = Credentials {
        officer_id: "demo-officer".into(),
        passphrase: Zeroizing::new("nope".into()),
        device: "t".into(),
    };
    let r = run_round(&s, &client, Some(&bad), fast(), &mut |_| {}).await.unwrap();
    assert_eq!(r.outcome, "blocked");
    assert!(r.message.unwrap().contains("passphrase"));
    assert_eq!(s.lock().unwrap().sync_counts().unwrap().pending, 2);
    assert_eq!(w.central.stats().unwrap().forms, 0);
}

#[tokio::test]
async fn unreachable_server_ends_offline_and_loses_nothing() {
    let w = world().await;
    let s = store(&w, "c.db");
    s.lock().unwrap().demo_enqueue_forms(3).unwrap();
    let port = bluelamp_testkit::free_port().unwrap();
    let client = Client::with_timeout(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2)).unwrap();
    let r = run_round(&s, &client, Some(&creds()), Config { max_attempts: 2, ..fast() }, &mut |_| {}).await.unwrap();
    assert_eq!(r.outcome, "offline");
    assert!(!r.reached_server);
    assert_eq!(s.lock().unwrap().sync_counts().unwrap().pending, 3);
    // Then the network comes back.
    let client = Client::new(&w.running.url()).unwrap();
    assert_eq!(round(&s, &client).await.outcome, "synced");
    assert_eq!(w.central.stats().unwrap().forms, 3);
}

/// Every kind of fault, scripted, then random faults over many rounds with writes in between:
/// after quiescence every form is on the server exactly once and the local copy equals the scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_once_and_convergent_through_a_faulty_network() {
    let w = world().await;
    let s = store(&w, "d.db");
    let upstream = w.running.addr;
    let script: VecDeque<Fault> = [
        Fault::DropResponse, // login committed (a token issued), answer lost
        Fault::Pass,
        Fault::DropResponse, // push committed, answer lost: the resend must not apply again
        Fault::DropRequest,
        Fault::TruncateResponse,
        Fault::Unavailable,
        Fault::Delay(100),
        Fault::DropResponse,
    ]
    .into();
    let proxy = FaultProxy::start(upstream, Plan::Script(script)).unwrap();
    let client = Client::unpooled(&proxy.url(), Duration::from_secs(5)).unwrap();
    let mut written = s.lock().unwrap().demo_enqueue_forms(5).unwrap();
    let _ = round(&s, &client).await;
    proxy.set_plan(Plan::Random { seed: 0x5eed, p_fault: 45 });
    for i in 0..12 {
        written.extend(s.lock().unwrap().demo_enqueue_forms(1 + i % 3).unwrap());
        let _ = round(&s, &client).await;
    }
    let (connections, faults) = proxy.counts();
    assert!(faults >= 10, "faults were injected: {faults} of {connections}");
    // Quiescence.
    proxy.set_plan(Plan::Script(VecDeque::new()));
    let r = round(&s, &client).await;
    assert_eq!(r.outcome, "synced", "{r:?}");
    let stats = w.central.stats().unwrap();
    assert_eq!(stats.forms as usize, written.len(), "every form arrived");
    assert_eq!(stats.duplicate_applications, 0, "and none twice");
    let c = s.lock().unwrap().sync_counts().unwrap();
    assert_eq!((c.pending, c.rejected), (0, 0));
    assert_eq!(local_ids(&s), server_scope(&w));
    assert_access_log_pushed(&w, &s);
}

/// The server holds the whole access log and the store keeps the head it acknowledged as the
/// anchor for truncation checks.
fn assert_access_log_pushed(w: &World, s: &Mutex<Store>) {
    let g = s.lock().unwrap();
    let head = g.audit_head().unwrap().expect("entries were written");
    let anchor = g.audit_anchor().unwrap().expect("the server's head is kept");
    assert_eq!((anchor.seq, &anchor.entry_hash), (head.seq, &head.entry_hash));
    assert_eq!(w.central.stats().unwrap().audit_entries, head.seq as u64);
    assert!(g.audit_verify().unwrap().broken.is_none());
}

#[tokio::test]
async fn a_malformed_or_oversized_answer_changes_nothing() {
    use std::io::{Read, Write};
    // A fake server that answers every request with the same bytes.
    fn serve(answer: &'static [u8]) -> String {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        std::thread::spawn(move || {
            for c in l.incoming() {
                let Ok(mut c) = c else { continue };
                let mut buf = [0u8; 65536];
                let _ = c.read(&mut buf);
                let _ = c.write_all(answer);
            }
        });
        url
    }
    let w = world().await;
    let s = store(&w, "e.db");
    s.lock().unwrap().demo_enqueue_forms(2).unwrap();
    s.lock().unwrap().set_token_until("t", "2099-01-01T00:00:00Z").unwrap();
    let answers: [&'static [u8]; 4] = [
        b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot json!",
        b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{\"schema_version\":2,",
        // Acknowledges none of the two writes sent (this answer's length was one byte short
        // until 6 Dec 2026, so the client saw a cut answer instead of this one).
        b"HTTP/1.1 200 OK\r\ncontent-length: 72\r\nconnection: close\r\n\r\n{\"schema_version\":2,\"last_applied_seq\":0,\"rejections\":[],\"conflicts\":[]}",
        b"HTTP/1.1 418 I'm a teapot\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
    ];
    for answer in answers {
        let client = Client::with_timeout(&serve(answer), Duration::from_secs(2)).unwrap();
        // Bounded: an answer believed wrongly can loop the round (a push straight after a push).
        let r = tokio::time::timeout(
            Duration::from_secs(60),
            run_round(&s, &client, Some(&creds()), Config { max_attempts: 2, ..fast() }, &mut |_| {}),
        )
        .await
        .unwrap_or_else(|_| panic!("the round did not end: {answer:?}"))
        .unwrap();
        assert_ne!(r.outcome, "synced");
        assert!(r.message.is_some());
        let c = s.lock().unwrap().sync_counts().unwrap();
        assert_eq!((c.pending, c.acknowledged, c.rejected, c.server_last_seq), (2, 0, 0, 0), "{answer:?}");
    }
}

/// A service that answers every pull with "more to come", nothing in it, and the cursor it was
/// sent: the round ends (not synced, with a reason) instead of pulling for ever, and the
/// outbox is kept (resilience review, 7 Dec 2026: `sync` ran until it was killed).
#[tokio::test]
async fn a_pull_that_goes_round_in_circles_ends_the_round() {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let pulls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = pulls.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let mut buf = vec![0u8; 1 << 20];
            let n = c.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let body = if req.starts_with("POST /v1/pull") {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // The cursor sent (none on a first pull: "c1").
                let cursor =
                    req.split("\"cursor\":\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("c1").to_string();
                format!(
                    "{{\"schema_version\":{},\"changes\":[],\"next_cursor\":\"{cursor}\",\"has_more\":true,\"last_applied_seq\":0}}",
                    bluelamp_protocol::SCHEMA_VERSION
                )
            } else {
                // The access log's push, and anything else: the service is busy.
                let _ =
                    c.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                continue;
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = c.write_all(head.as_bytes());
            let _ = c.write_all(body.as_bytes());
        }
    });
    let w = world().await;
    let s = store(&w, "circles.db");
    s.lock().unwrap().set_token_until("t", "2099-01-01T00:00:00Z").unwrap();
    let client = Client::with_timeout(&url, Duration::from_secs(2)).unwrap();
    let r = tokio::time::timeout(
        Duration::from_secs(60),
        run_round(&s, &client, Some(&creds()), Config { max_attempts: 2, ..fast() }, &mut |_| {}),
    )
    .await
    .expect("the round went round in circles")
    .unwrap();
    assert_ne!(r.outcome, "synced");
    let msg = r.message.unwrap_or_default();
    assert!(msg.contains("round in circles"), "{msg}");
    assert!(
        pulls.load(std::sync::atomic::Ordering::SeqCst) < 20,
        "{} pulls",
        pulls.load(std::sync::atomic::Ordering::SeqCst)
    );
}

/// Two devices of the same officer edit one incident: the second gets a conflict (shown field
/// by field, nothing overwritten), resolves it, and both devices and the service converge on the
/// chosen value. A pulled change to an incident already on a device is applied to its copy.
#[tokio::test]
async fn two_devices_clash_on_an_incident_and_converge_on_the_resolution() {
    use bluelamp_protocol::conflicts::Side;
    let w = world().await;
    let a = store(&w, "laptop.db");
    let b = store(&w, "tablet.db");
    let client = Client::new(&w.running.url()).unwrap();
    assert_eq!(round(&a, &client).await.outcome, "synced");
    assert_eq!(round(&b, &client).await.outcome, "synced");
    let inc = "demo-incident-1";
    let code_of = |s: &Mutex<Store>| s.lock().unwrap().get_incident(inc).unwrap().summary.closing_code;

    // The laptop codes the incident and syncs; the tablet, not yet synced, codes it differently.
    {
        let mut g = a.lock().unwrap();
        let actor = g.actor().unwrap();
        g.set_closing_code(&actor, inc, Some("CRIME")).unwrap();
    }
    assert_eq!(round(&a, &client).await.outcome, "synced");
    {
        let mut g = b.lock().unwrap();
        let actor = g.actor().unwrap();
        g.set_closing_code(&actor, inc, Some("ASB")).unwrap();
    }
    let r = round(&b, &client).await;
    assert_eq!((r.outcome.as_str(), r.conflicts, r.rejected), ("synced", 1, 0), "{r:?}");
    // The tablet keeps its own value until a person decides, and shows both sides.
    assert_eq!(code_of(&b).as_deref(), Some("ASB"));
    let list = b.lock().unwrap().list_conflicts().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    assert_eq!((c.record_id.as_str(), c.mutation.as_str()), (inc, "incident.closing_code/1"));
    assert_eq!(c.title, b.lock().unwrap().get_incident(inc).unwrap().summary.reference);
    let f = &c.fields[0];
    assert_eq!((f.field.as_str(), f.label.as_str(), f.differs), ("closing_code", "Closing code", true));
    assert_eq!(
        (f.base.clone(), f.mine.clone(), f.theirs.clone()),
        (serde_json::Value::Null, "ASB".into(), "CRIME".into())
    );
    // The service kept the laptop's value.
    let server_code = |w: &World| -> Option<String> {
        let conn = rusqlite::Connection::open(w.dir.path().join("central.db")).unwrap();
        conn.query_row("SELECT closing_code FROM incidents WHERE id = ?1", [inc], |r| r.get(0)).unwrap()
    };
    assert_eq!(server_code(&w).as_deref(), Some("CRIME"));

    // An incomplete choice is refused and changes nothing.
    {
        let mut g = b.lock().unwrap();
        let actor = g.actor().unwrap();
        let err = g.resolve_conflict(&actor, &c.id, &Default::default()).unwrap_err();
        assert!(err.to_string().contains("Closing code"), "{err}");
        assert_eq!(g.list_conflicts().unwrap().len(), 1);
        // The officer keeps theirs (the tablet's) value.
        let choices = [("closing_code".to_string(), Side::Mine)].into_iter().collect();
        g.resolve_conflict(&actor, &c.id, &choices).unwrap();
        assert!(g.list_conflicts().unwrap().is_empty());
        assert_eq!(g.sync_counts().unwrap().conflicts, 0);
        assert_eq!(g.sync_counts().unwrap().pending, 1, "the resolution is queued");
    }
    let r = round(&b, &client).await;
    assert_eq!((r.outcome.as_str(), r.conflicts, r.rejected, r.pending), ("synced", 0, 0, 0), "{r:?}");
    assert_eq!(server_code(&w).as_deref(), Some("ASB"));
    // The laptop's next pull applies the resolution to its copy.
    assert_eq!(code_of(&a).as_deref(), Some("CRIME"));
    let r = round(&a, &client).await;
    assert_eq!((r.outcome.as_str(), r.conflicts), ("synced", 0));
    assert_eq!(code_of(&a).as_deref(), Some("ASB"));
    assert_eq!(code_of(&b).as_deref(), Some("ASB"));
    assert_eq!(w.central.stats().unwrap().duplicate_applications, 0);
}

/// What others record centrally comes back: a DA plan written on the laptop reaches the
/// officer's tablet; the supervisor's return (pushed from a station) reaches both, with the
/// comments; and the review never makes the incident look moved (no false conflict).
/// Submits a DA safeguarding plan (the pack's sample answers) on `inc`; returns the form id.
fn submit_plan(s: &Mutex<Store>, inc: &str) -> String {
    let mut g = s.lock().unwrap();
    let actor = g.actor().unwrap();
    let people: Vec<String> = g.get_incident(inc).unwrap().summary.links.iter().map(|l| l.nominal_id.clone()).collect();
    let pack = bluelamp_store::casework::catalog().unwrap().pack("da-safeguarding-plan").unwrap();
    let answers = bluelamp_store::casework::sample_answers(pack, &people, false);
    let id = g.start_form(&actor, inc, "da-safeguarding-plan").unwrap();
    g.save_draft(&actor, &id, &answers, None).unwrap();
    g.submit_form(&actor, &id, None, None).unwrap();
    id
}

#[tokio::test]
async fn a_supervisors_review_and_forms_from_another_device_are_pulled_back() {
    use bluelamp_protocol::casework::FormStatus;
    use bluelamp_protocol::wire::{LoginRequest, PushMutation, PushRequest};
    let w = world().await;
    let laptop = store(&w, "laptop.db");
    let tablet = store(&w, "tablet.db");
    let client = Client::new(&w.running.url()).unwrap();
    assert_eq!(round(&laptop, &client).await.outcome, "synced");
    assert_eq!(round(&tablet, &client).await.outcome, "synced");
    let inc = "demo-incident-1";
    let form_id = submit_plan(&laptop, inc);
    assert_eq!(round(&laptop, &client).await.outcome, "synced");
    let form_on =
        |s: &Mutex<Store>| s.lock().unwrap().get_incident(inc).unwrap().forms.into_iter().find(|f| f.id == form_id);
    // The tablet gets the plan, and says it pulled something (the form, and the incident's new
    // version).
    let r = round(&tablet, &client).await;
    assert_eq!((r.outcome.as_str(), r.conflicts), ("synced", 0), "{r:?}");
    assert!(r.pulled >= 1, "a round that brought a form pulled nothing: {r:?}");
    let f = form_on(&tablet).expect("the plan written on the laptop is on the tablet");
    assert_eq!(f.status, FormStatus::Submitted);
    assert_eq!(f.created_by, "demo-officer");

    // A supervisor returns it from a station terminal.
    let station = Client::new(&w.running.url()).unwrap();
    let login = station
        .login(&LoginRequest {
            schema_version: bluelamp_protocol::SCHEMA_VERSION,
            officer_id: "demo-supervisor".into(),
            passphrase: Zeroizing::new(PASS.into()),
            client_id: "station-1".into(),
            device: "station".into(),
            interactive: true,
        })
        .await
        .unwrap();
    let push = PushRequest {
        schema_version: bluelamp_protocol::SCHEMA_VERSION,
        client_id: "station-1".into(),
        mutations: vec![PushMutation {
            seq: 1,
            mutation_id: "station-m1".into(),
            name: "form.review/1".into(),
            payload: serde_json::json!({ "form_id": form_id, "decision": "return", "comments": "Add the children's details",
                "at": "2026-12-03T09:00:00Z" }),
            base_version: None,
        }],
    };
    let ack = station.push(&login.token, &push).await.unwrap();
    assert_eq!((ack.last_applied_seq, ack.rejections.len()), (1, 0), "{ack:?}");

    // The laptop codes the incident (based on the version it pulled before the review): no clash.
    {
        let mut g = laptop.lock().unwrap();
        let actor = g.actor().unwrap();
        g.set_closing_code(&actor, inc, Some("CRIME")).unwrap();
    }
    for s in [&laptop, &tablet] {
        let r = round(s, &client).await;
        assert_eq!((r.outcome.as_str(), r.conflicts, r.rejected), ("synced", 0, 0), "{r:?}");
        let f = form_on(s).unwrap();
        assert_eq!(f.status, FormStatus::Returned);
        assert_eq!(f.reviews.len(), 1, "{:?}", f.reviews);
        assert_eq!(f.reviews[0].comments.as_deref(), Some("Add the children's details"));
    }
    assert_eq!(w.central.stats().unwrap().duplicate_applications, 0);
}

/// A supervisor's own device (a station terminal) pulls every incident of the district with its
/// casework: the plan an officer submitted on a laptop is on the supervisor queue there, awaiting
/// review; the return made there reaches the laptop; the supervisor's edit of the officer's
/// incident is no clash (its base is the incident's own version); and an incident assigned to
/// the supervisor and then back stays on the terminal.
#[tokio::test]
async fn a_supervisors_device_holds_the_districts_incidents_and_reviews_forms_written_elsewhere() {
    use bluelamp_protocol::casework::{FormStatus, ReviewDecision};
    use bluelamp_protocol::session::Role;
    let w = world().await;
    let client = Client::new(&w.running.url()).unwrap();
    let laptop = store(&w, "laptop.db");
    assert_eq!(round(&laptop, &client).await.outcome, "synced");
    let inc = "demo-incident-1";
    let form_id = submit_plan(&laptop, inc);
    assert_eq!(round(&laptop, &client).await.outcome, "synced");

    let station = Mutex::new(
        Store::create(&w.dir.path().join("station.db"), PASS, "demo-supervisor", KdfParams::INSECURE_FAST).unwrap(),
    );
    let sup = Credentials {
        officer_id: "demo-supervisor".into(),
        passphrase: Zeroizing::new(PASS.into()),
        device: "station".into(),
    };
    let sup_round = || async { run_round(&station, &client, Some(&sup), fast(), &mut |_| {}).await.unwrap() };
    let r = sup_round().await;
    assert_eq!((r.outcome.as_str(), r.role), ("synced", Some(Role::Supervisor)), "{r:?}");
    let held = |s: &Mutex<Store>| -> Vec<(String, Option<String>, bool)> {
        let mut v: Vec<_> = s
            .lock()
            .unwrap()
            .list_incidents()
            .unwrap()
            .into_iter()
            .filter(|i| i.id.starts_with("demo-incident-"))
            .map(|i| (i.id, i.assigned_to, i.no_longer_assigned_since.is_some()))
            .collect();
        v.sort();
        v
    };
    let on_station = held(&station);
    assert_eq!(on_station.len() as u64, w.central.stats().unwrap().incidents, "{on_station:?}");
    assert!(on_station.iter().all(|(_, a, gone)| a.as_deref() == Some("demo-officer") && !gone), "{on_station:?}");
    // The plan is on the terminal's queue, waiting for review.
    let queue = station
        .lock()
        .unwrap()
        .supervisor_queue(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64)
        .unwrap();
    let item = queue.items.iter().find(|i| i.incident_id == inc).expect("the incident is on the queue");
    assert!(item.problems.iter().any(|p| p.form_id.as_deref() == Some(form_id.as_str())), "{item:?}");
    {
        let mut g = station.lock().unwrap();
        let actor = g.actor().unwrap();
        let f = g.get_incident(inc).unwrap().forms.into_iter().find(|f| f.id == form_id).unwrap();
        assert_eq!(f.status, FormStatus::Submitted);
        g.review_form(&actor, &form_id, ReviewDecision::Return, Some("Add the children's details")).unwrap();
        g.set_closing_code(&actor, "demo-incident-2", Some("CRIME")).unwrap();
    }
    let r = sup_round().await;
    assert_eq!((r.outcome.as_str(), r.acknowledged, r.rejected, r.conflicts), ("synced", 2, 0, 0), "{r:?}");
    let r = round(&laptop, &client).await;
    assert_eq!((r.outcome.as_str(), r.conflicts), ("synced", 0), "{r:?}");
    {
        let g = laptop.lock().unwrap();
        let f = g.get_incident(inc).unwrap().forms.into_iter().find(|f| f.id == form_id).unwrap();
        assert_eq!(f.status, FormStatus::Returned);
        assert_eq!(g.get_incident("demo-incident-2").unwrap().summary.closing_code.as_deref(), Some("CRIME"));
    }
    // Assigned to the supervisor, then back: still in their district, so never dropped.
    let four = "demo-incident-4";
    assert!(w.central.storage().reassign_incident(four, "demo-supervisor").unwrap());
    assert_eq!(sup_round().await.outcome, "synced");
    assert!(held(&station).contains(&(four.to_string(), Some("demo-supervisor".into()), false)));
    assert!(w.central.storage().reassign_incident(four, "demo-officer").unwrap());
    assert_eq!(sup_round().await.outcome, "synced");
    assert_eq!(held(&station), on_station);
    // The officer's laptop pulls only what is assigned to them.
    assert!(w.central.storage().reassign_incident("demo-incident-5", "demo-supervisor").unwrap());
    assert_eq!(round(&laptop, &client).await.outcome, "synced");
    assert!(!held(&laptop).iter().any(|(i, ..)| i == "demo-incident-5"));
    assert_eq!(w.central.stats().unwrap().duplicate_applications, 0);
}

/// A device that synced five forms, and the service then restored to its database as it was
/// after the third.
async fn five_synced_then_restored_to_three(name: &str) -> (World, Mutex<Store>, Client) {
    let w = world().await;
    let s = store(&w, name);
    let client = Client::new(&w.running.url()).unwrap();
    let ids = s.lock().unwrap().demo_enqueue_forms(5).unwrap();
    assert_eq!(round(&s, &client).await.outcome, "synced");
    assert_eq!(w.central.stats().unwrap().forms, 5);
    restore_to_third_write(&w, &ids);
    assert_eq!(w.central.stats().unwrap().forms, 3);
    (w, s, client)
}

/// The service's database as it was after the device's third write (a restore from a backup):
/// the fourth and fifth forms and their applications are gone.
fn restore_to_third_write(w: &World, ids: &[String]) {
    let conn = rusqlite::Connection::open(w.dir.path().join("central.db")).unwrap();
    let client_id: String = conn.query_row("SELECT client_id FROM clients", [], |r| r.get(0)).unwrap();
    conn.execute("DELETE FROM forms WHERE id IN (?1, ?2)", [&ids[3], &ids[4]]).unwrap();
    conn.execute("DELETE FROM applied WHERE client_id = ?1 AND seq > 3", [&client_id]).unwrap();
    conn.execute("UPDATE clients SET last_applied_seq = 3 WHERE client_id = ?1", [&client_id]).unwrap();
}

/// The central service restored from a backup holds fewer of this device's writes than it had
/// acknowledged: its `seq_gap` answer makes the device send the lost writes again, in order,
/// before the new one. Each is then held once, and the round ends synced instead of blocked.
#[tokio::test]
async fn writes_lost_by_a_service_restored_from_a_backup_are_sent_again() {
    let (w, s, client) = five_synced_then_restored_to_three("r.db").await;
    s.lock().unwrap().demo_enqueue_forms(1).unwrap();
    let r = round(&s, &client).await;
    assert_eq!((r.outcome.as_str(), r.pending), ("synced", 0), "{r:?}");
    let stats = w.central.stats().unwrap();
    assert_eq!((stats.forms, stats.duplicate_applications), (6, 0));
}

/// The same restore, with nothing new to send: the pull's `last_applied_seq` says the service
/// holds fewer of this device's writes than it acknowledged, and they are queued again (the
/// device had waited for a new write to hear of the gap, and a quiet device never did).
#[tokio::test]
async fn a_pull_that_shows_lost_writes_queues_them_again() {
    let (w, s, client) = five_synced_then_restored_to_three("q.db").await;
    let r = round(&s, &client).await;
    assert_eq!((r.outcome.as_str(), r.pending), ("synced", 2), "the two lost writes queued again: {r:?}");
    let r = round(&s, &client).await;
    assert_eq!((r.outcome.as_str(), r.pending), ("synced", 0), "{r:?}");
    let stats = w.central.stats().unwrap();
    assert_eq!((stats.forms, stats.duplicate_applications), (5, 0));
}

/// The service restored from a backup holds fewer access-log entries of this device than it
/// had acknowledged: its `seq_gap` answer makes the device send them again from the service's
/// head (more than one batch of them), and the round ends synced, the service holding the whole
/// chain once and the anchor where it was or further (every round ended blocked on it, and the
/// service's s.62 log kept the hole; review, 7 Dec 2026).
#[tokio::test]
async fn access_log_entries_lost_by_a_service_restored_from_a_backup_are_sent_again() {
    let w = world().await;
    let s = store(&w, "a.db");
    let client = Client::new(&w.running.url()).unwrap();
    assert_eq!(round(&s, &client).await.outcome, "synced");
    {
        // Over a batch (1 000) of entries written, and sent.
        let mut g = s.lock().unwrap();
        let actor = g.actor().unwrap();
        let events: Vec<_> = (0..1_500)
            .map(|i| {
                bluelamp_store::AuditEvent::new(
                    bluelamp_protocol::audit::AuditAction::Consultation,
                    format!("nominal:N{i}"),
                )
            })
            .collect();
        g.audit_batch(&actor, &events).unwrap();
    }
    assert_eq!(round(&s, &client).await.outcome, "synced");
    assert_access_log_pushed(&w, &s);
    let anchor = s.lock().unwrap().audit_anchor().unwrap().unwrap().seq;
    // Restored to a backup holding the first 100 entries of this device.
    let conn = rusqlite::Connection::open(w.dir.path().join("central.db")).unwrap();
    conn.execute("DELETE FROM audit_entries WHERE seq > 100", []).unwrap();
    drop(conn);
    // One more search, then a round.
    {
        let mut g = s.lock().unwrap();
        let actor = g.actor().unwrap();
        g.audit(
            &actor,
            bluelamp_store::AuditEvent::new(bluelamp_protocol::audit::AuditAction::Consultation, "nominal:X"),
        )
        .unwrap();
    }
    let r = round(&s, &client).await;
    assert_eq!(r.outcome, "synced", "{r:?}");
    assert_access_log_pushed(&w, &s);
    assert!(s.lock().unwrap().audit_anchor().unwrap().unwrap().seq > anchor);
}

/// Warning markers held centrally reach the device with the person: the record page of a
/// person a demo incident links shows them (with who verified them), and search rows carry
/// their codes.
#[tokio::test]
async fn warning_markers_held_centrally_are_on_the_device() {
    let w = world().await;
    let s = store(&w, "m.db");
    let client = Client::new(&w.running.url()).unwrap();
    assert_eq!(round(&s, &client).await.outcome, "synced");
    let g = s.lock().unwrap();
    let linked: Vec<String> = g
        .list_incidents()
        .unwrap()
        .into_iter()
        .filter(|i| i.id.starts_with("demo-incident-"))
        .flat_map(|i| i.links.into_iter().map(|l| l.nominal_id))
        .collect();
    let pages: Vec<_> = linked.iter().filter_map(|id| g.nominal_page(id).unwrap()).collect();
    let marked: Vec<_> = pages.iter().filter(|p| !p.warning_markers.is_empty()).collect();
    assert!(!marked.is_empty(), "no linked person arrived with a marker");
    let m = &marked[0].warning_markers[0];
    assert!(m.verified_by.is_some() && m.last_verified_at.is_some(), "{m:?}");
    assert!(!marked[0].nominal.markers.is_empty());
}

/// Copies a closed store's files (database, WAL, key envelope) from `from` to `to`.
fn copy_store(w: &World, from: &str, to: &str) {
    for entry in std::fs::read_dir(w.dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(rest) = name.strip_prefix(from) {
            std::fs::copy(w.dir.path().join(&name), w.dir.path().join(format!("{to}{rest}"))).unwrap();
        }
    }
}

fn reopen(w: &World, name: &str) -> Mutex<Store> {
    Mutex::new(Store::open(&w.dir.path().join(name), PASS).unwrap())
}

/// A store restored from an older copy numbers its new writes with seqs the service already
/// holds for the writes made after the copy. The service must not take them for resends (that
/// dropped them silently); the device renumbers them after what the service holds, and every
/// write arrives exactly once.
#[tokio::test]
async fn a_store_restored_from_an_older_copy_loses_no_write() {
    let w = world().await;
    let client = Client::new(&w.running.url()).unwrap();
    let s = store(&w, "a.db");
    s.lock().unwrap().demo_enqueue_forms(3).unwrap();
    assert_eq!(round(&s, &client).await.outcome, "synced");
    // The copy, taken with the store closed; one write is still pending in it.
    s.lock().unwrap().demo_enqueue_forms(1).unwrap();
    drop(s);
    copy_store(&w, "a.db", "copy.db");
    let s = reopen(&w, "a.db");
    s.lock().unwrap().demo_enqueue_forms(2).unwrap();
    assert_eq!(round(&s, &client).await.outcome, "synced");
    assert_eq!(w.central.stats().unwrap().forms, 6);
    drop(s);

    // The laptop is restored from the copy: seq 4 (pending in the copy) was applied from the
    // original, seqs 5 and 6 there were other writes. Three new writes are made.
    let restored = reopen(&w, "copy.db");
    // Synced before any new write: the one pending write is held already; the service is past
    // what was sent, and the device renumbers instead of refusing the answer for ever.
    let r = round(&restored, &client).await;
    assert_eq!(restored.lock().unwrap().sync_counts().unwrap().pending, 0, "{r:?}");
    let stats = w.central.stats().unwrap();
    assert_eq!((stats.forms, stats.duplicate_applications), (6, 0), "{r:?}");
    // The original laptop is still about, under the same client id: its next write takes seq 7,
    // the seq under which the restored store just resent a write the service already held
    // (recorded as an alias). Not taken for a resend: renumbered and delivered.
    let original = reopen(&w, "a.db");
    original.lock().unwrap().demo_enqueue_forms(1).unwrap();
    let r = round(&original, &client).await;
    assert_eq!(original.lock().unwrap().sync_counts().unwrap().pending, 0, "{r:?}");
    let stats = w.central.stats().unwrap();
    assert_eq!((stats.forms, stats.duplicate_applications), (7, 0), "{r:?}");
    drop(original);
    let new = restored.lock().unwrap().demo_enqueue_forms(3).unwrap();
    assert_eq!(new.len(), 3);
    let r = round(&restored, &client).await;
    let stats = w.central.stats().unwrap();
    assert_eq!(stats.forms, 10, "every write arrived: {r:?}");
    assert_eq!(stats.duplicate_form_applications, 0, "{r:?}");
    assert_eq!(stats.duplicate_mutation_applications, 0, "{r:?}");
    let counts = restored.lock().unwrap().sync_counts().unwrap();
    assert_eq!(counts.pending, 0, "{r:?}");
    assert_eq!(counts.acknowledged, 3 + 1 + 3, "{r:?}");
    assert_eq!(w.central.stats().unwrap().duplicate_applications, 0);
    // New writes after that continue from the renumbered seqs.
    restored.lock().unwrap().demo_enqueue_forms(1).unwrap();
    round(&restored, &client).await;
    assert_eq!(w.central.stats().unwrap().forms, 11);
    assert_eq!(restored.lock().unwrap().sync_counts().unwrap().pending, 0);
}

/// A store restored from an older copy forks its access log from the one the service holds:
/// the service refuses the log, and says so, but the round still pulls, so a lock order (and
/// reference data, and conflicts) still reach the laptop. Before, the refusal ended the round
/// before the pull, and IT could not lock a restored laptop that had nothing to push.
#[tokio::test]
async fn a_refused_access_log_does_not_stop_the_pull_or_a_lock_order() {
    use bluelamp_protocol::wire::Instruction;
    use bluelamp_store::{AuditAction, AuditEvent};
    let w = world().await;
    let client = Client::new(&w.running.url()).unwrap();
    let s = store(&w, "a.db");
    assert_eq!(round(&s, &client).await.outcome, "synced");
    drop(s);
    copy_store(&w, "a.db", "copy.db");
    // The original logs more and sends it: the service's log is now past the copy's.
    let s = reopen(&w, "a.db");
    {
        let mut g = s.lock().unwrap();
        let actor = g.actor().unwrap();
        g.audit(&actor, AuditEvent::new(AuditAction::Consultation, "nominal:n-original")).unwrap();
    }
    let r = round(&s, &client).await;
    assert_eq!((r.outcome.as_str(), r.audit_pushed), ("synced", 1), "{r:?}");
    drop(s);
    // The restored copy logs something else under the same number: a fork.
    let restored = reopen(&w, "copy.db");
    let client_id = {
        let mut g = restored.lock().unwrap();
        let actor = g.actor().unwrap();
        g.audit(&actor, AuditEvent::new(AuditAction::Consultation, "nominal:n-restored")).unwrap();
        assert_eq!(g.sync_counts().unwrap().pending, 0, "nothing else to push");
        g.client_id().unwrap()
    };
    w.central.instruct(&client_id, Instruction::Lock).unwrap();
    let r = round(&restored, &client).await;
    assert_eq!(r.outcome, "blocked", "{r:?}");
    assert!(r.message.as_deref().is_some_and(|m| m.contains("refused the access log")), "{r:?}");
    assert!(r.instructions.contains(&Instruction::Lock), "the lock order arrived: {r:?}");
}

/// A role changed centrally reaches the device at its next round (the automatic sign-in), and
/// the store keeps it for offline use.
#[tokio::test]
async fn a_role_changed_centrally_is_stored_at_the_next_round() {
    use bluelamp_protocol::session::Role;
    let w = world().await;
    let client = Client::new(&w.running.url()).unwrap();
    let s = store(&w, "a.db");
    s.lock().unwrap().set_role(Role::Officer).unwrap();
    let r = round(&s, &client).await;
    assert_eq!((r.outcome.as_str(), r.role), ("synced", Some(Role::Officer)));
    // No sign-in needed: the token is still good.
    assert_eq!(round(&s, &client).await.role, None);
    w.central.set_officer_role("demo-officer", "supervisor").unwrap();
    let r = round(&s, &client).await;
    assert_eq!((r.outcome.as_str(), r.role), ("synced", Some(Role::Supervisor)), "{r:?}");
    assert_eq!(s.lock().unwrap().role().unwrap(), Some(Role::Supervisor));
    // And back.
    w.central.set_officer_role("demo-officer", "officer").unwrap();
    round(&s, &client).await;
    assert_eq!(s.lock().unwrap().role().unwrap(), Some(Role::Officer));
}

/// Incidents reassigned away while the device was not syncing, their tombstones compacted: the
/// next pull is a reset, and at its end the incidents no longer sent are swept, except one with
/// the officer's draft on it, kept and marked no longer assigned. The cache equals the scope.
#[tokio::test]
async fn incidents_reassigned_away_are_swept_after_a_reset_unless_work_is_on_them() {
    let w = world().await;
    let client = Client::new(&w.running.url()).unwrap();
    let s = store(&w, "a.db");
    assert_eq!(round(&s, &client).await.outcome, "synced");
    let held = |s: &Mutex<Store>| -> Vec<(String, bool)> {
        let mut v: Vec<_> = s
            .lock()
            .unwrap()
            .list_incidents()
            .unwrap()
            .into_iter()
            .map(|i| (i.id, i.no_longer_assigned_since.is_some()))
            .collect();
        v.sort();
        v
    };
    let before = held(&s);
    assert!(before.iter().any(|(i, _)| i == "demo-incident-2") && before.iter().any(|(i, _)| i == "demo-incident-3"));
    {
        let mut g = s.lock().unwrap();
        let actor = g.actor().unwrap();
        g.start_form(&actor, "demo-incident-3", "da-safeguarding-plan").unwrap();
    }
    for id in ["demo-incident-2", "demo-incident-3"] {
        assert!(w.central.storage().reassign_incident(id, "demo-supervisor").unwrap());
    }
    w.central.storage().compact(i64::MAX as u64).unwrap();
    let r = round(&s, &client).await;
    assert_eq!(r.outcome, "synced", "{r:?}");
    let after = held(&s);
    assert!(!after.iter().any(|(i, _)| i == "demo-incident-2"), "{after:?}");
    assert!(after.contains(&("demo-incident-3".to_string(), true)), "{after:?}");
    assert_eq!(after.len(), before.len() - 1);
    assert!(after.iter().filter(|(i, _)| i != "demo-incident-3").all(|(_, gone)| !gone));
    assert_eq!(local_ids(&s), server_scope(&w));
}

/// A slow link that keeps sending (a patrol car's): every answer arrives in pieces, 600 ms
/// apart, so each takes longer than the client's 2 s limit, yet it is never silent for that
/// long (the service's own time before the first piece has 1.4 s of margin on a busy machine). The round syncs. With a limit on the whole request, every request failed, again at each
/// retry, and the round ended offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_link_that_keeps_sending_is_waited_for() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let w = world().await;
    let upstream = w.running.addr;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(client) = c else { continue };
            let Ok(server) = TcpStream::connect(upstream) else { continue };
            let (mut to_server, mut from_client) = (server.try_clone().unwrap(), client.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_client, &mut to_server);
            });
            let (mut from_server, mut to_client) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                while let Ok(n) = from_server.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    // Each read from the service goes on in four pieces, 600 ms apart.
                    for piece in buf[..n].chunks(n.div_ceil(4)) {
                        std::thread::sleep(Duration::from_millis(600));
                        if to_client.write_all(piece).is_err() {
                            return;
                        }
                    }
                }
                let _ = to_client.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    let s = store(&w, "slow.db");
    s.lock().unwrap().demo_enqueue_forms(2).unwrap();
    let client = Client::with_timeout(&url, Duration::from_secs(2)).unwrap();
    let config = Config { max_attempts: 2, pull_limit: 500, ..fast() };
    let r = run_round(&s, &client, Some(&creds()), config, &mut |_| {}).await.unwrap();
    assert_eq!(r.outcome, "synced", "{r:?}");
    assert_eq!(s.lock().unwrap().sync_counts().unwrap().pending, 0);
    assert_eq!(w.central.stats().unwrap().forms, 2);
}

/// Imports a CSV of people into the demo district on the central service, as
/// `bluelamp-central import nominals` does.
fn central_import(w: &World, csv: &str) {
    let p =
        bluelamp_central::csv_import::parse(csv.as_bytes(), Some(bluelamp_central::db::DEMO_DISTRICT), "2026-12-08")
            .unwrap();
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    w.central.storage().import_nominals(&p.rows).unwrap();
}

fn device_phones(s: &Mutex<Store>, id: &str) -> Vec<String> {
    let g = s.lock().unwrap();
    let mut stmt = g.conn().prepare("SELECT number FROM nominal_phones WHERE nominal_id = ?1 ORDER BY number").unwrap();
    stmt.query_map([id], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

/// Central → device: a suspect's phone numbers imported on the central service (CSV `phones`
/// column) reach the device with the person, and the device's safe-number check refuses the
/// suspect's number (written another way) as a DA victim's safe number. A later central import
/// that changes the numbers replaces them on the device at the next round. The demo incidents'
/// suspects arrive with the numbers the demo stores hold for them. Until 7 Dec 2026 no number
/// reached a device from the central service.
#[tokio::test]
async fn a_suspects_number_imported_centrally_is_refused_as_a_safe_number_on_the_device() {
    let w = world().await;
    central_import(
        &w,
        "id,given_name,surname,date_of_birth,phones\n\
         ph-v,Alex,Phoneless,1990-05-01,\n\
         ph-s,Sam,Caller,1988-01-01,07700 900777; 0161 496 0000\n",
    );
    let now = bluelamp_store::casework::now_unix();
    let added = w
        .central
        .storage()
        .import_incident(&bluelamp_central::storage::ImportIncident {
            id: "ph-inc".into(),
            reference: "INC-PHONES-1".into(),
            incident_type: "domestic_abuse".into(),
            offence_category: Some("domestic_abuse".into()),
            place: None,
            postcode: None,
            team: Some("Response".into()),
            occurred_at: now - 7200,
            recorded_at: now - 3600,
            assigned_to: "demo-officer".into(),
            district: bluelamp_central::db::DEMO_DISTRICT.into(),
            closing_code: None,
            links: vec![("ph-v".into(), "victim".into()), ("ph-s".into(), "suspect".into())],
        })
        .unwrap();
    assert!(added);
    let s = store(&w, "ph.db");
    let client = Client::new(&w.running.url()).unwrap();
    assert_eq!(round(&s, &client).await.outcome, "synced");
    assert_eq!(device_phones(&s, "ph-s"), ["0161 496 0000", "07700 900777"]);
    assert!(device_phones(&s, "ph-v").is_empty());
    // The demo incidents' suspects hold the demo numbers.
    let demo_suspect = {
        let g = s.lock().unwrap();
        let incidents = g.list_incidents().unwrap();
        incidents
            .into_iter()
            .filter(|i| i.id.starts_with("demo-incident-"))
            .flat_map(|i| i.links)
            .find(|l| l.role == "suspect")
            .expect("a demo suspect")
            .nominal_id
    };
    assert_eq!(device_phones(&s, &demo_suspect), [bluelamp_demo::demo_phone(&demo_suspect)]);

    // On the device: a high-risk DA assessment makes IDVA a destination, which phones the victim.
    let (actor, inc) = {
        let mut g = s.lock().unwrap();
        let actor = g.actor().unwrap();
        let inc = g.list_incidents().unwrap().into_iter().find(|i| i.reference == "INC-PHONES-1").unwrap().id;
        let pack = bluelamp_store::casework::catalog().unwrap().pack("dash-style-da-risk").unwrap();
        let answers = bluelamp_store::casework::sample_answers(pack, &["ph-v".into(), "ph-s".into()], true);
        let form = g.start_form(&actor, &inc, "dash-style-da-risk").unwrap();
        g.save_draft(&actor, &form, &answers, None).unwrap();
        let submitted = g.submit_form(&actor, &form, Some(Grade::High), Some("Threats to kill")).unwrap();
        assert!(matches!(submitted, SubmitOutcome::Submitted(_)), "{submitted:?}");
        (actor, inc)
    };
    let idva = |number: &str| ReferralDecisionInput {
        outcome: ReferralOutcome::Referred,
        destination: Some("idva".into()),
        consent_given: Some(true),
        in_their_words: None,
        reason: None,
        follow_up_due: None,
        services_offered: vec![],
        safe_contact: Some(bluelamp_protocol::victims::SafeContact {
            safe_number: Some(number.into()),
            safe_times: Some("weekdays 10:00-14:00".into()),
            voicemail_safe: Some(false),
            text_safe: Some(true),
            letters_safe: Some(false),
            suspect_can_access_phone: Some(false),
            preferred_language: Some("English".into()),
        }),
        needs: Default::default(),
    };
    match s.lock().unwrap().record_referral_decision(&actor, &inc, "ph-v", &idva("+44 7700 900777")) {
        Err(CaseworkError::Rejected { errors, .. }) => assert!(
            errors.iter().any(|e| e.field == "safe_contact.safe_number" && e.message.contains("suspect")),
            "{errors:?}"
        ),
        other => panic!("the suspect's number was not refused: {other:?}"),
    }

    // The central service's numbers change: the device's are replaced at the next round.
    central_import(&w, "id,given_name,surname,date_of_birth,phones\nph-s,Sam,Caller,1988-01-01,07700 900888\n");
    assert_eq!(round(&s, &client).await.outcome, "synced");
    assert_eq!(device_phones(&s, "ph-s"), ["07700 900888"]);
    let mut g = s.lock().unwrap();
    assert!(g.record_referral_decision(&actor, &inc, "ph-v", &idva("07700 900777")).is_ok(), "no longer held");
}

/// A referral decision withdrawn on one device (`referral.withdraw/1`) reaches the service and the
/// officer's other device with its reason, and the fresh referral to the same service recorded
/// after it is accepted (it used to be refused: one active referral per victim and service).
/// The case: an assault victim referred opt-out, the incident recoded to domestic abuse, which
/// needs her explicit agreement (review, 7 Dec 2026).
#[tokio::test]
async fn a_referral_withdrawn_on_one_device_is_withdrawn_centrally_and_on_the_other() {
    let w = world().await;
    central_import(
        &w,
        "id,given_name,surname,date_of_birth,phones\n\
         wd-v,Siobhán,Ó Súilleabháin,1990-05-01,\n\
         wd-s,Sam,Caller,1988-01-01,07700 900777\n",
    );
    let now = bluelamp_store::casework::now_unix();
    assert!(w
        .central
        .storage()
        .import_incident(&bluelamp_central::storage::ImportIncident {
            id: "wd-inc".into(),
            reference: "INC-WITHDRAW-1".into(),
            incident_type: "assault".into(),
            offence_category: Some("assault".into()),
            place: None,
            postcode: None,
            team: Some("Response".into()),
            occurred_at: now - 7200,
            recorded_at: now - 3600,
            assigned_to: "demo-officer".into(),
            district: bluelamp_central::db::DEMO_DISTRICT.into(),
            closing_code: None,
            links: vec![("wd-v".into(), "victim".into()), ("wd-s".into(), "suspect".into())],
        })
        .unwrap());
    let laptop = store(&w, "laptop.db");
    let tablet = store(&w, "tablet.db");
    let client = Client::new(&w.running.url()).unwrap();
    for s in [&laptop, &tablet] {
        assert_eq!(round(s, &client).await.outcome, "synced");
    }
    let referral = |consent: Option<bool>, safe: bool| ReferralDecisionInput {
        outcome: ReferralOutcome::Referred,
        destination: Some("general_victim_service".into()),
        consent_given: consent,
        in_their_words: None,
        reason: None,
        follow_up_due: None,
        services_offered: vec![],
        safe_contact: safe.then(|| bluelamp_protocol::victims::SafeContact {
            safe_number: Some("07700 900456".into()),
            safe_times: Some("weekdays 10:00-14:00".into()),
            voicemail_safe: Some(false),
            text_safe: Some(true),
            letters_safe: Some(false),
            suspect_can_access_phone: Some(false),
            preferred_language: None,
        }),
        needs: Default::default(),
    };
    let old = {
        let mut g = laptop.lock().unwrap();
        let actor = g.actor().unwrap();
        g.record_referral_decision(&actor, "wd-inc", "wd-v", &referral(None, false)).unwrap()
    };
    let r = round(&laptop, &client).await;
    assert_eq!((r.outcome.as_str(), r.rejected), ("synced", 0), "{r:?}");
    assert_eq!(round(&tablet, &client).await.outcome, "synced");
    let on = |s: &Mutex<Store>, id: &str| {
        s.lock().unwrap().get_incident("wd-inc").unwrap().referrals.into_iter().find(|d| d.id == id)
    };
    assert_eq!(on(&tablet, &old.id).map(|d| d.status), Some("active".to_string()));

    // Recoded DA: the opt-out referral is withdrawn and made again with her agreement.
    let reason = "Recoded DA: she must agree first; asked, she did";
    let fresh = {
        let mut g = laptop.lock().unwrap();
        let actor = g.actor().unwrap();
        g.set_closing_code(&actor, "wd-inc", Some("DA")).unwrap();
        g.withdraw_referral_decision(&actor, "wd-inc", &old.id, reason).unwrap();
        g.record_referral_decision(&actor, "wd-inc", "wd-v", &referral(Some(true), true)).unwrap()
    };
    let r = round(&laptop, &client).await;
    assert_eq!((r.outcome.as_str(), r.rejected, r.pending), ("synced", 0, 0), "{r:?}");
    let central_status = |id: &str| -> (String, Option<String>) {
        let conn = rusqlite::Connection::open(w.dir.path().join("central.db")).unwrap();
        conn.query_row("SELECT status, withdrawal FROM referrals WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
    };
    let (status, withdrawal) = central_status(&old.id);
    assert_eq!(status, "withdrawn");
    let withdrawal: serde_json::Value = serde_json::from_str(&withdrawal.unwrap()).unwrap();
    assert_eq!(
        (withdrawal["reason"].as_str(), withdrawal["withdrawn_by"].as_str()),
        (Some(reason), Some("demo-officer"))
    );
    assert_eq!(central_status(&fresh.id).0, "active");

    // The tablet takes the withdrawal (with its reason) and the fresh referral: referred.
    let r = round(&tablet, &client).await;
    assert_eq!((r.outcome.as_str(), r.rejected), ("synced", 0), "{r:?}");
    let gone = on(&tablet, &old.id).unwrap();
    assert_eq!((gone.status.as_str(), gone.withdrawal.map(|w| w.reason)), ("withdrawn", Some(reason.to_string())));
    assert_eq!(on(&tablet, &fresh.id).map(|d| d.status), Some("active".to_string()));
    let panel = tablet.lock().unwrap().victims_assessment("wd-inc", now).unwrap();
    let v = panel.assessment.victims.iter().find(|v| v.person_id == "wd-v").unwrap();
    assert_eq!(serde_json::to_value(v.referral_state).unwrap(), "referred", "{v:?}");

    // A second withdrawal of the same decision (another device's stale view) is refused centrally.
    use bluelamp_protocol::wire::{LoginRequest, PushMutation, PushRequest};
    let station = Client::new(&w.running.url()).unwrap();
    let login = station
        .login(&LoginRequest {
            schema_version: bluelamp_protocol::SCHEMA_VERSION,
            officer_id: "demo-officer".into(),
            passphrase: Zeroizing::new(PASS.into()),
            client_id: "station-wd".into(),
            device: "station".into(),
            interactive: true,
        })
        .await
        .unwrap();
    let withdraw = |seq: u64, id: &str| PushMutation {
        seq,
        mutation_id: format!("station-wd-{seq}"),
        name: "referral.withdraw/1".into(),
        payload: serde_json::json!({ "referral_id": id, "incident_id": "wd-inc",
            "withdrawal": { "reason": "again", "withdrawn_at": "2026-12-07T10:00:00Z" } }),
        base_version: None,
    };
    let push = PushRequest {
        schema_version: bluelamp_protocol::SCHEMA_VERSION,
        client_id: "station-wd".into(),
        mutations: vec![withdraw(1, &old.id), withdraw(2, "no-such-referral")],
    };
    let ack = station.push(&login.token, &push).await.unwrap();
    let codes: Vec<&str> = ack.rejections.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["already_withdrawn", "unknown_referral"], "{ack:?}");
    assert_eq!(central_status(&fresh.id).0, "active");
}

/// Device → central → device: the under-18 answer for a victim with no date of birth, recorded
/// on the laptop (`victim.under18/1`), is accepted centrally and reaches the tablet with the
/// incident's casework: there the victim is under 18 and the question is no longer asked.
#[tokio::test]
async fn an_under_18_answer_on_one_device_reaches_the_other() {
    use bluelamp_protocol::victims::UNDER_18_QUESTION;
    let w = world().await;
    central_import(
        &w,
        "id,given_name,surname,date_of_birth,phones\n\
         u18-v,Kim,Nodob,,\n\
         u18-s,Sam,Caller,1988-01-01,\n",
    );
    let now = bluelamp_store::casework::now_unix();
    assert!(w
        .central
        .storage()
        .import_incident(&bluelamp_central::storage::ImportIncident {
            id: "u18-inc".into(),
            reference: "INC-U18-1".into(),
            incident_type: "domestic_abuse".into(),
            offence_category: Some("domestic_abuse".into()),
            place: None,
            postcode: None,
            team: Some("Response".into()),
            occurred_at: now - 7200,
            recorded_at: now - 3600,
            assigned_to: "demo-officer".into(),
            district: bluelamp_central::db::DEMO_DISTRICT.into(),
            closing_code: None,
            links: vec![("u18-v".into(), "victim".into()), ("u18-s".into(), "suspect".into())],
        })
        .unwrap());
    let laptop = store(&w, "laptop.db");
    let tablet = store(&w, "tablet.db");
    let client = Client::new(&w.running.url()).unwrap();
    for s in [&laptop, &tablet] {
        assert_eq!(round(s, &client).await.outcome, "synced");
    }
    let kim = |s: &Mutex<Store>| {
        let panel = s.lock().unwrap().victims_assessment("u18-inc", now).unwrap();
        let v = panel.assessment.victims.into_iter().find(|v| v.person_id == "u18-v").unwrap();
        (v.under_18, v.undetermined.iter().any(|u| u.code == UNDER_18_QUESTION))
    };
    assert_eq!(kim(&tablet), (None, true));
    let answer = {
        let mut g = laptop.lock().unwrap();
        let actor = g.actor().unwrap();
        g.record_under18_answer(&actor, "u18-inc", "u18-v", true).unwrap()
    };
    assert_eq!(kim(&laptop), (Some(true), false));
    let r = round(&laptop, &client).await;
    assert_eq!((r.outcome.as_str(), r.rejected, r.pending), ("synced", 0, 0), "{r:?}");
    let central: (String, bool) = rusqlite::Connection::open(w.dir.path().join("central.db"))
        .unwrap()
        .query_row("SELECT answered_by, under_18 FROM under18_answers WHERE id = ?1", [&answer.id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(central, ("demo-officer".to_string(), true));

    let r = round(&tablet, &client).await;
    assert_eq!((r.outcome.as_str(), r.rejected), ("synced", 0), "{r:?}");
    assert_eq!(kim(&tablet), (Some(true), false));
    let pulled: (String, Option<String>) = tablet
        .lock()
        .unwrap()
        .conn()
        .query_row("SELECT id, pulled_at FROM under18_answers", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(pulled.0, answer.id);
    assert!(pulled.1.is_some(), "taken from the pull, not written on the tablet");
}

/// Device → central → device (Right 6): an investigation event and the record that the victim
/// was told of it, made on the laptop (`investigation.event/1`, `victim.updated/1`), are
/// accepted centrally and reach the tablet with the incident's casework: there the event is
/// listed and the victim's update is told, not owed.
#[tokio::test]
async fn an_investigation_event_and_the_victim_told_reach_the_other_device() {
    let w = world().await;
    central_import(
        &w,
        "id,given_name,surname,date_of_birth,phones\n\
         r6-v,Ros,Victim,1980-01-01,\n\
         r6-s,Sam,Caller,1988-01-01,\n",
    );
    let now = bluelamp_store::casework::now_unix();
    assert!(w
        .central
        .storage()
        .import_incident(&bluelamp_central::storage::ImportIncident {
            id: "r6-inc".into(),
            reference: "INC-R6-1".into(),
            incident_type: "domestic_abuse".into(),
            offence_category: Some("domestic_abuse".into()),
            place: None,
            postcode: None,
            team: Some("Response".into()),
            occurred_at: now - 7 * 86_400,
            recorded_at: now - 7 * 86_400 + 600,
            assigned_to: "demo-officer".into(),
            district: bluelamp_central::db::DEMO_DISTRICT.into(),
            closing_code: None,
            links: vec![("r6-v".into(), "victim".into()), ("r6-s".into(), "suspect".into())],
        })
        .unwrap());
    let laptop = store(&w, "laptop.db");
    let tablet = store(&w, "tablet.db");
    let client = Client::new(&w.running.url()).unwrap();
    for s in [&laptop, &tablet] {
        assert_eq!(round(s, &client).await.outcome, "synced");
    }
    let updates = |s: &Mutex<Store>| {
        let panel = s.lock().unwrap().victims_assessment("r6-inc", now).unwrap();
        let v = panel.assessment.victims.into_iter().find(|v| v.person_id == "r6-v").unwrap();
        v.updates.into_iter().map(|u| (u.kind, u.informed)).collect::<Vec<_>>()
    };
    assert_eq!(updates(&tablet), []);
    let day = bluelamp_store::victims::uk_time(now - 86_400).date().to_string();
    let (event, told, pref) = {
        let mut g = laptop.lock().unwrap();
        let actor = g.actor().unwrap();
        let e = g.record_investigation_event(&actor, "r6-inc", "charged", &day).unwrap();
        // Told yesterday (the day of the event), recorded today.
        let t = g.record_victim_told(&actor, "r6-inc", &e.id, "r6-v", "in_person", Some(&day)).unwrap();
        let p = g.record_update_preference(&actor, "r6-inc", "r6-v", "key_decisions_only").unwrap();
        (e, t, p)
    };
    assert_eq!(updates(&laptop), [("Suspect charged".to_string(), true)]);
    let r = round(&laptop, &client).await;
    assert_eq!((r.outcome.as_str(), r.rejected, r.pending), ("synced", 0, 0), "{r:?}");
    let conn = rusqlite::Connection::open(w.dir.path().join("central.db")).unwrap();
    let central: (String, String) = conn
        .query_row("SELECT kind, recorded_by FROM investigation_events WHERE id = ?1", [&event.id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(central, ("charged".to_string(), "demo-officer".to_string()));
    let how: String = conn.query_row("SELECT how FROM victims_told WHERE id = ?1", [&told.id], |r| r.get(0)).unwrap();
    assert_eq!(how, "in_person");

    let r = round(&tablet, &client).await;
    assert_eq!((r.outcome.as_str(), r.rejected), ("synced", 0), "{r:?}");
    assert_eq!(updates(&tablet), [("Suspect charged".to_string(), true)]);
    let panel = tablet.lock().unwrap().victims_assessment("r6-inc", now).unwrap();
    assert_eq!(panel.events.len(), 1);
    assert_eq!(
        (panel.events[0].event.id.as_str(), panel.events[0].event.occurred_on.as_str()),
        (event.id.as_str(), day.as_str())
    );
    let v = panel.events[0].victims.iter().find(|v| v.person_id == "r6-v").unwrap();
    assert_eq!(v.told.as_ref().map(|t| (t.id.as_str(), t.how.as_str())), Some((told.id.as_str(), "in_person")));
    assert_eq!(v.told.as_ref().and_then(|t| t.told_on.as_deref()), Some(day.as_str()), "the day told travels");
    assert!(!v.told_late);
    assert_eq!(
        panel.update_preferences.iter().map(|p| (p.id.as_str(), p.wants.as_str())).collect::<Vec<_>>(),
        [(pref.id.as_str(), "key_decisions_only")],
        "the preference travels"
    );
    let pulled: (i64, i64) = tablet
        .lock()
        .unwrap()
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM investigation_events WHERE pulled_at IS NOT NULL),
                    (SELECT count(*) FROM victims_told WHERE pulled_at IS NOT NULL)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(pulled, (1, 1), "taken from the pull, not written on the tablet");
}

/// A service restored from a backup (review, 7 Dec 2026): a device that had pulled an incident
/// edit of the lost timeline kept it through the re-pull (the service's older version was
/// skipped), and the restored service gave the next edit the very version the device held as
/// its base, so the device's stale edit overwrote another officer's change with no conflict.
/// Now the re-pull takes the service's copy, the restored service's versions start past the
/// lost ones, and an edit made on the lost timeline's base, pushed before the re-pull, is a
/// conflict.
#[tokio::test]
async fn an_incident_edit_lost_by_a_service_restore_is_not_kept_or_built_on() {
    let w = world().await;
    let path = w.dir.path().join("central.db");
    let backup = w.dir.path().join("backup.db");
    let addr = w.running.addr;
    let client = Client::new(&w.running.url()).unwrap();
    let (f, g, h, k) = (store(&w, "f.db"), store(&w, "g.db"), store(&w, "h.db"), store(&w, "k.db"));
    for s in [&f, &g, &h, &k] {
        assert_eq!(round(s, &client).await.outcome, "synced");
    }
    let inc = g.lock().unwrap().list_incidents().unwrap()[0].id.clone();
    let code = |s: &Mutex<Store>| s.lock().unwrap().get_incident(&inc).unwrap().summary.closing_code;
    let set = |s: &Mutex<Store>, c: &str| {
        let mut g = s.lock().unwrap();
        let actor = g.actor().unwrap();
        g.set_closing_code(&actor, &inc, Some(c)).unwrap();
    };
    rusqlite::Connection::open(&path).unwrap().execute("VACUUM INTO ?1", [backup.to_str().unwrap()]).unwrap();
    // The lost timeline: CRIME, seen by h and k.
    set(&g, "CRIME");
    for s in [&g, &h, &k] {
        assert_eq!(round(s, &client).await.outcome, "synced");
    }
    assert_eq!(code(&h).as_deref(), Some("CRIME"));
    // Restored from the backup, on the same address.
    let World { dir, central, running } = w;
    running.stop().await;
    drop(central);
    for x in ["central.db", "central.db-wal", "central.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(x));
    }
    std::fs::copy(&backup, &path).unwrap();
    let central = Central::open_with(&path, CentralConfig::for_tests()).unwrap();
    let running = bluelamp_central::spawn(central.clone(), addr).await.unwrap();
    // h pulls again from scratch and takes the service's copy: no closing code.
    assert_eq!(round(&h, &client).await.outcome, "synced");
    assert_eq!(code(&h), None, "the lost timeline's CRIME is not kept");
    // f codes ASB; h sees it, and its DA on top of it is no conflict.
    set(&f, "ASB");
    assert_eq!(round(&f, &client).await.outcome, "synced");
    assert_eq!(round(&h, &client).await.outcome, "synced");
    assert_eq!(code(&h).as_deref(), Some("ASB"));
    // k still holds CRIME on the lost timeline's base, and codes DA before its re-pull: the
    // push is a conflict, not an overwrite of f's ASB.
    set(&k, "DA");
    let r = round(&k, &client).await;
    assert_eq!(r.conflicts, 1, "{r:?}");
    let held: Option<String> = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT closing_code FROM incidents WHERE id = ?1", [&inc], |r| r.get(0))
        .unwrap();
    assert_eq!(held.as_deref(), Some("ASB"), "f's change is not overwritten");
    running.stop().await;
    drop(central);
    drop(dir);
}
