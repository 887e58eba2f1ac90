//! The nominal record page (issue 4): markers first with their last-verified time, aliases,
//! addresses (current first), linked incidents; markers on search rows; one access-log entry
//! per view.

mod common;

use bluelamp_protocol::audit::AuditFilter;
use bluelamp_protocol::SearchRequest;
use bluelamp_store::casework::NewIncident;
use bluelamp_store::{AddressRecord, KdfParams, MarkerRecord, NominalDetails, Store};
use common::rec;

fn store(dir: &std::path::Path) -> Store {
    Store::create(&dir.join("t.db"), "pass", "PC1", KdfParams::INSECURE_FAST).unwrap()
}

fn marker(code: &str, verified: Option<&str>) -> MarkerRecord {
    MarkerRecord {
        code: code.into(),
        description: format!("{code} text"),
        last_verified_at: verified.map(str::to_string),
        verified_by: verified.map(|_| "DS 1 Test".to_string()),
    }
}

fn incident(reference: &str, kind: &str, at: i64, links: &[(&str, &str)]) -> NewIncident {
    NewIncident {
        id: None,
        reference: reference.into(),
        incident_type: kind.into(),
        offence_category: None,
        place: None,
        postcode: None,
        team: None,
        occurred_at: at,
        recorded_at: at,
        assigned_to: Some("PC1".into()),
        closing_code: None,
        links: links.iter().map(|(n, r)| (n.to_string(), r.to_string())).collect(),
    }
}

#[test]
fn record_page_has_markers_first_aliases_addresses_and_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let mut ann = rec("N1", "Ann", "Lee");
    ann.aliases = vec!["Annie Smith".into()];
    ann.address = Some("1 High Street, Ashford".into());
    ann.postcode = Some("TN23 1AA".into());
    s.upsert_nominals(&[ann, rec("N2", "Bob", "Lee")]).unwrap();
    let written = s
        .set_nominal_details(&[
            NominalDetails {
                nominal_id: "N1".into(),
                markers: Some(vec![marker("drugs", None), marker("Violence", Some("2026-11-01T10:00:00Z"))]),
                addresses: Some(vec![
                    AddressRecord {
                        address: "9 Old Road, Dover".into(),
                        postcode: Some("CT16 1AA".into()),
                        kind: "previous".into(),
                        valid_from: Some("2015-01-01".into()),
                        valid_to: Some("2019-12-31".into()),
                    },
                    AddressRecord {
                        address: "1 High Street, Ashford".into(),
                        postcode: Some("TN23 1AA".into()),
                        kind: "home".into(),
                        valid_from: Some("2023-02-01".into()),
                        valid_to: None,
                    },
                    AddressRecord {
                        address: "4 Mid Lane, Deal".into(),
                        postcode: None,
                        kind: "previous".into(),
                        valid_from: Some("2020-01-01".into()),
                        valid_to: Some("2023-01-31".into()),
                    },
                ]),
                phones: None,
            },
            NominalDetails {
                nominal_id: "not-held".into(),
                markers: Some(vec![marker("violence", None)]),
                addresses: Some(vec![]),
                phones: None,
            },
        ])
        .unwrap();
    assert_eq!(written, 1, "people the cache does not hold are skipped");
    s.import_incidents(&[
        incident("INC-1", "assault", 1_700_000_000, &[("N1", "witness")]),
        incident(
            "INC-2",
            "domestic_abuse",
            1_750_000_000,
            &[("N1", "victim"), ("N1", "reporting_person"), ("N2", "suspect")],
        ),
    ])
    .unwrap();

    let page = s.nominal_page("N1").unwrap().expect("held");
    assert_eq!(page.nominal.markers, ["violence", "drugs"], "codes on the hit, most serious first");
    let codes: Vec<&str> = page.warning_markers.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(codes, ["violence", "drugs"]);
    assert_eq!(page.warning_markers[0].label, "Violence");
    assert_eq!(page.warning_markers[0].last_verified_at.as_deref(), Some("2026-11-01T10:00:00Z"));
    assert_eq!(page.warning_markers[0].verified_by.as_deref(), Some("DS 1 Test"));
    assert_eq!(page.warning_markers[1].last_verified_at, None);
    assert_eq!(page.aliases, ["Annie Smith"]);
    let addrs: Vec<(&str, bool, Option<&str>)> =
        page.addresses.iter().map(|a| (a.address.as_str(), a.current, a.valid_from.as_deref())).collect();
    assert_eq!(
        addrs,
        [
            ("1 High Street, Ashford", true, Some("2023-02-01")),
            ("4 Mid Lane, Deal", false, Some("2020-01-01")),
            ("9 Old Road, Dover", false, Some("2015-01-01")),
        ]
    );
    let incs: Vec<(&str, Vec<&str>)> =
        page.incidents.iter().map(|i| (i.reference.as_str(), i.roles.iter().map(String::as_str).collect())).collect();
    assert_eq!(incs, [("INC-2", vec!["reporting_person", "victim"]), ("INC-1", vec!["witness"])]);
    assert_eq!(page.incidents[0].status, "open");
    assert!(page.incidents[0].occurred_at.starts_with("2025-06-15"), "{}", page.incidents[0].occurred_at);

    // Someone with nothing but a name: empty sections, no current address.
    let bob = s.nominal_page("N2").unwrap().unwrap();
    assert!(bob.warning_markers.is_empty() && bob.aliases.is_empty() && bob.addresses.is_empty());
    assert_eq!(bob.incidents.len(), 1);
    assert!(s.nominal_page("missing").unwrap().is_none());

    // Search rows carry the marker codes.
    let hits = s.search(&SearchRequest::free_text("ann lee")).unwrap();
    assert_eq!(hits[0].id, "N1");
    assert_eq!(hits[0].markers, ["violence", "drugs"]);

    // A source that carries markers only (the central service) leaves the address history.
    let held = s.nominal_page("N1").unwrap().unwrap().addresses.len();
    assert!(held >= 2);
    s.set_nominal_details(&[NominalDetails {
        nominal_id: "N1".into(),
        markers: Some(vec![marker("drugs", None)]),
        addresses: None,
        phones: None,
    }])
    .unwrap();
    let page = s.nominal_page("N1").unwrap().unwrap();
    assert_eq!(page.nominal.markers, ["drugs"]);
    assert_eq!(page.addresses.len(), held, "addresses not sent are kept");
    // Replacing details replaces them; re-importing the person keeps them.
    s.set_nominal_details(&[NominalDetails {
        nominal_id: "N1".into(),
        markers: Some(vec![marker("weapons", None)]),
        addresses: Some(vec![]),
        phones: None,
    }])
    .unwrap();
    s.upsert_nominals(&[rec("N1", "Ann", "Lee")]).unwrap();
    let page = s.nominal_page("N1").unwrap().unwrap();
    assert_eq!(page.nominal.markers, ["weapons"]);
    assert!(page.addresses.is_empty(), "no address held now");
}

#[test]
fn viewing_the_page_writes_one_access_log_entry_with_the_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    s.upsert_nominals(&[rec("N1", "Ann", "Lee")]).unwrap();
    s.set_nominal_details(&[NominalDetails {
        nominal_id: "N1".into(),
        markers: Some(vec![marker("violence", None)]),
        addresses: Some(vec![]),
        phones: None,
    }])
    .unwrap();
    let actor = s.actor().unwrap();
    let before = s.audit_verify().unwrap().entries;
    let page = s.view_nominal_logged(&actor, "N1", "investigation").unwrap().unwrap();
    assert_eq!(page.warning_markers[0].code, "violence");
    assert_eq!(s.audit_verify().unwrap().entries, before + 1);
    let list = s.audit_list(&AuditFilter::default()).unwrap();
    assert_eq!(list[0].object_ref, "nominal:N1");
    assert_eq!(list[0].purpose.as_deref(), Some("investigation"));
    // Reading the page without the logged call writes nothing.
    s.nominal_page("N1").unwrap();
    assert_eq!(s.audit_verify().unwrap().entries, before + 1);
}

#[test]
fn demo_seed_gives_the_showcase_people_a_full_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let people = bluelamp_demo::people(300, bluelamp_demo::DEMO_SEED);
    let rows: Vec<_> = people
        .iter()
        .map(|p| {
            let mut r = rec(&p.id, &p.given_name, &p.surname);
            r.date_of_birth = (!p.date_of_birth.is_empty()).then(|| p.date_of_birth.clone());
            r.aliases = p.aliases.clone();
            r.address = Some(p.address.clone());
            r.postcode = Some(p.postcode.clone());
            r
        })
        .collect();
    s.upsert_nominals(&rows).unwrap();
    let now = bluelamp_store::casework::now_unix();
    s.seed_demo_incidents(12, bluelamp_demo::DEMO_SEED, now).unwrap();
    let showcase = bluelamp_demo::incidents(&people, 1, bluelamp_demo::DEMO_SEED, now).remove(0);
    let suspect = showcase.links.iter().find(|l| l.role == "suspect").unwrap();
    let page = s.nominal_page(&suspect.person_id).unwrap().unwrap();
    assert_eq!(page.warning_markers[0].code, "violence", "{:?}", page.warning_markers);
    assert!(page.warning_markers.iter().all(|m| m.last_verified_at.is_some() && m.verified_by.is_some()));
    assert!(!page.aliases.is_empty(), "showcase suspect has an alias");
    assert!(page.addresses.len() >= 3 && page.addresses[0].current);
    assert!(page
        .incidents
        .iter()
        .any(|i| i.reference == showcase.reference && i.roles.contains(&"suspect".to_string())));
}

#[test]
fn a_pulled_nominal_carries_markers_and_addresses_when_the_server_sends_them() {
    use bluelamp_protocol::wire::{Change, PullResponse, RecordType};
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let page = |data: serde_json::Value, cursor: &str| PullResponse {
        schema_version: bluelamp_protocol::SCHEMA_VERSION,
        changes: vec![Change::Upsert { record_type: RecordType::Nominal, id: "P1".into(), version: 1, data }],
        next_cursor: cursor.into(),
        has_more: false,
        last_applied_seq: 0,
        remaining: 0,
        reset: None,
        instructions: vec![],
    };
    let base = serde_json::json!({
        "id": "P1", "given_name": "Ann", "surname": "Lee", "source": "current", "address": "1 High St",
    });
    let mut with = base.clone();
    with["markers"] = serde_json::json!([
        { "code": "self_harm", "description": "Self-harm risk", "last_verified_at": "2026-10-01T09:00:00Z" },
        { "code": "violence", "description": "Violent", "verified_by": "DS 2" },
    ]);
    with["addresses"] = serde_json::json!([
        { "address": "2 Low Rd", "kind": "previous", "valid_from": "2010-01-01", "valid_to": "2020-01-01" },
    ]);
    s.apply_pull_page(&page(with, "c1")).unwrap();
    let p = s.nominal_page("P1").unwrap().unwrap();
    assert_eq!(p.nominal.markers, ["violence", "self_harm"]);
    assert_eq!(p.warning_markers[1].last_verified_at.as_deref(), Some("2026-10-01T09:00:00Z"));
    assert_eq!(p.warning_markers[0].verified_by.as_deref(), Some("DS 2"));
    let addrs: Vec<(&str, bool)> = p.addresses.iter().map(|a| (a.address.as_str(), a.current)).collect();
    assert_eq!(addrs, [("1 High St", true), ("2 Low Rd", false)]);
    // A later version without the fields leaves them as they are.
    s.apply_pull_page(&page(base, "c2")).unwrap();
    assert_eq!(s.nominal_page("P1").unwrap().unwrap().warning_markers.len(), 2);
    // A malformed marker list refuses the page (nothing changes).
    let mut bad = serde_json::json!({ "id": "P1", "given_name": "Ann", "surname": "Lee", "source": "current" });
    bad["markers"] = serde_json::json!("violence");
    assert!(s.apply_pull_page(&page(bad, "c3")).is_err());
    assert_eq!(s.nominal_page("P1").unwrap().unwrap().warning_markers.len(), 2);
}

/// A person and their warning markers and phone numbers are written together or not at all:
/// an import whose details failed (a full disk between the two writes, a killed process) left
/// people searchable with no markers, a violent person shown with none (resilience review,
/// 7 Dec 2026). The failure is made here by a trigger that refuses phone numbers.
#[test]
fn a_person_is_never_stored_without_the_markers_and_phones_that_came_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    s.conn()
        .execute_batch(
            "CREATE TEMP TRIGGER no_phones BEFORE INSERT ON nominal_phones
             BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;",
        )
        .unwrap();
    let details = |id: &str| NominalDetails {
        nominal_id: id.into(),
        markers: Some(vec![marker("violence", Some("2026-10-01T00:00:00Z"))]),
        addresses: None,
        phones: Some(vec!["07700 900123".into()]),
    };
    let err = s.upsert_nominals_with_details(&[rec("N1", "Ann", "Lee")], &[details("N1")]);
    assert!(err.is_err(), "the refused phone number fails the write");
    assert_eq!(s.nominal_count().unwrap(), 0, "the person was stored without their markers and phones");
    assert!(s.nominal_record("N1").unwrap().is_none());

    // With the details written, all of it is there.
    s.conn().execute_batch("DROP TRIGGER no_phones").unwrap();
    s.upsert_nominals_with_details(&[rec("N1", "Ann", "Lee")], &[details("N1")]).unwrap();
    let page = s.nominal_page("N1").unwrap().expect("stored");
    assert_eq!(page.warning_markers.iter().map(|m| m.code.as_str()).collect::<Vec<_>>(), ["violence"]);
}
