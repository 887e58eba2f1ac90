//! A person created offline against a real `bluelamp-central`: it is provisional, the service
//! finds the person it already holds and answers with a possible duplicate, the officer links
//! them, and the device converges at the next pull. A person the service does not know becomes
//! a normal record at once.

use std::sync::Mutex;

use bluelamp_central::{Central, Config as CentralConfig};
use bluelamp_protocol::nominal::{DuplicateDecision, NewNominal};
use bluelamp_protocol::SearchRequest;
use bluelamp_store::provisional::Created;
use bluelamp_store::{KdfParams, Store};
use bluelamp_sync::{run_round, Client, Credentials, RoundReport};
use bluelamp_sync_core::Config;
use zeroize::Zeroizing;

const PASS: &str = "bluelamp-demo";

fn creds() -> Credentials {
    Credentials { officer_id: "demo-officer".into(), passphrase: Zeroizing::new(PASS.into()), device: "test".into() }
}

async fn round(s: &Mutex<Store>, client: &Client) -> RoundReport {
    let cfg = Config { base_backoff_ms: 5, max_backoff_ms: 40, max_attempts: 8, push_batch: 4, pull_limit: 25 };
    let r = run_round(s, client, Some(&creds()), cfg, &mut |_| {}).await.unwrap();
    assert_eq!(r.outcome, "synced", "{r:?}");
    r
}

fn create(s: &Mutex<Store>, n: &NewNominal) -> String {
    let mut g = s.lock().unwrap();
    let actor = g.actor().unwrap();
    match g.create_nominal(&actor, n).unwrap() {
        Created::Saved(h) => {
            assert!(h.provisional);
            h.id
        }
        Created::Invalid(i) => panic!("{i:?}"),
    }
}

#[tokio::test]
async fn a_provisional_person_matching_a_server_record_is_linked_and_converges() {
    let dir = tempfile::tempdir().unwrap();
    let central = Central::open_with(&dir.path().join("central.db"), CentralConfig::for_tests()).unwrap();
    central.seed_demo(120).unwrap();
    let running = bluelamp_central::spawn(central.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = Client::new(&running.url()).unwrap();
    let s =
        Mutex::new(Store::create(&dir.path().join("a.db"), PASS, "demo-officer", KdfParams::INSECURE_FAST).unwrap());
    round(&s, &client).await;

    // A person the service holds (pulled to this device), typed again offline with a
    // different spelling of the given name.
    let (pid, given, surname, dob): (String, String, String, String) = s
        .lock()
        .unwrap()
        .conn()
        .query_row(
            "SELECT id, given_name, surname, date_of_birth FROM nominals
             WHERE server_version IS NOT NULL AND date_of_birth IS NOT NULL AND aliases = '[]' ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let typed_given = format!("{given}e");
    let prov = create(
        &s,
        &NewNominal {
            given_name: typed_given.clone(),
            surname: surname.clone(),
            date_of_birth: Some(dob.clone()),
            address: Some("1 New Road".into()),
            ..Default::default()
        },
    );
    // And someone the service has never heard of.
    let fresh =
        create(&s, &NewNominal { given_name: "Zebedee".into(), surname: "Quartermaine".into(), ..Default::default() });

    let r = round(&s, &client).await;
    assert_eq!((r.acknowledged, r.rejected, r.conflicts), (2, 0, 1), "{r:?}");
    {
        let g = s.lock().unwrap();
        let fresh_hit = g.get_nominal(&fresh).unwrap().unwrap();
        assert!(!fresh_hit.provisional, "served back by the service: a normal record");
        let dups = g.duplicates().unwrap();
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].provisional_id, prov);
        assert_eq!(dups[0].candidates[0].nominal.id, pid, "{dups:?}");
        assert!(!dups[0].candidates[0].reasons.is_empty());
        assert!(g.get_nominal(&prov).unwrap().unwrap().provisional, "still provisional while undecided");
        assert_eq!(g.sync_counts().unwrap().conflicts, 1);
    }

    // The officer links it to the person the service holds.
    {
        let mut g = s.lock().unwrap();
        let actor = g.actor().unwrap();
        let id = g.duplicates().unwrap()[0].id.clone();
        g.resolve_duplicate(&actor, &id, &DuplicateDecision::Link { nominal_id: pid.clone() }).unwrap();
        assert_eq!(g.sync_counts().unwrap().conflicts, 0);
    }
    let r = round(&s, &client).await;
    assert_eq!((r.acknowledged, r.rejected), (1, 0), "{r:?}");
    let g = s.lock().unwrap();
    assert!(g.get_nominal(&prov).unwrap().is_none(), "the provisional copy was tombstoned");
    // The person now carries the name as typed as an alias, and is found by it.
    let aliases: String =
        g.conn().query_row("SELECT aliases FROM nominals WHERE id = ?1", [&pid], |r| r.get(0)).unwrap();
    assert!(aliases.contains(&format!("{typed_given} {surname}")), "{aliases}");
    let hits = g.search(&SearchRequest::free_text(&format!("{typed_given} {surname}"))).unwrap();
    assert_eq!(hits.first().map(|h| (h.id.as_str(), h.provisional)), Some((pid.as_str(), false)));
    // The service agrees, and applied nothing twice.
    let conn = rusqlite::Connection::open(dir.path().join("central.db")).unwrap();
    let (status, into): (String, String) = conn
        .query_row("SELECT status, merged_into FROM nominals WHERE id = ?1", [&prov], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((status.as_str(), into.as_str()), ("merged", pid.as_str()));
    assert_eq!(central.stats().unwrap().duplicate_applications, 0);
}
