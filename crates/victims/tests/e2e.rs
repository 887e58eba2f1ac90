//! End-to-end shaped test: a domestic abuse incident with an adult victim and a child,
//! from JSON in to JSON out, through the same calls the CLI makes.

use bluelamp_victims::*;
use serde_json::Value;
use time::macros::datetime;

const INCIDENT: &str = r#"{
  "incident_id": "INC-2025-000777",
  "recorded_at": "2025-04-17T19:10:00+01:00",
  "offence_categories": ["domestic_abuse", "assault"],
  "risk_level": "high",
  "some_field_from_a_newer_client": {"ignored": true},
  "people": [
    { "id": "P1", "name": "Alex Example", "roles": ["victim", "parent_or_guardian"], "acts_for": ["P3"],
      "date_of_birth": "1991-02-03", "phones": ["07700 900111"],
      "safe_contact": { "safe_number": "+44 7700 900222" } },
    { "id": "P2", "name": "Sam Example", "roles": ["suspect"], "phones": ["07700-900-222"] },
    { "id": "P3", "name": "Jo Example", "roles": ["child_present"], "date_of_birth": "2017-06-01" }
  ]
}"#;

#[test]
fn da_adult_and_child() {
    let incident = Incident::from_json(INCIDENT).unwrap();
    let rules = Rules::default_rules().unwrap();
    let calendar = Calendar::builtin_by_code(&rules.calendar).unwrap();
    // Easter Tuesday morning, BST.
    let now = datetime!(2025-04-22 09:00 +01:00);
    let a = assess(&incident, &rules, &calendar, now);

    assert_eq!(a.victims.len(), 2);
    let adult = &a.victims[0];
    let child = &a.victims[1];

    // Adult: direct DA victim, enhanced, opt-in, IDVA + MARAC, safe contact prompts.
    assert_eq!(adult.person_id, "P1");
    assert_eq!(adult.basis, VictimBasis::Direct);
    assert!(adult.enhanced);
    assert_eq!(adult.enhanced_reasons[0].ground, EnhancedGround::MostSeriousCrime);
    assert_eq!(adult.consent_model, ConsentModel::OptIn);
    let codes: Vec<&str> = adult.destinations.iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"idva") && codes.contains(&"marac"), "{codes:?}");
    assert!(!codes.contains(&"operation_encompass"));
    let sc = adult.safe_contact.as_ref().unwrap();
    assert!(sc.missing.contains(&"safe_times".to_string()));
    assert!(sc.warnings.iter().any(|w| w.code == "safe_number_matches_suspect"));
    let adult_prompts: Vec<&str> =
        a.prompts.iter().filter(|p| p.person_id.as_deref() == Some("P1")).map(|p| p.code.as_str()).collect();
    for want in [
        "safe_contact_required",
        "safe_number_matches_suspect",
        "record_referral_decision",
        "offer_destination",
        "notify_destination",
    ] {
        assert!(adult_prompts.contains(&want), "{want} in {adult_prompts:?}");
    }
    assert!(a.prompts.iter().any(|p| p.person_id.as_deref() == Some("P1") && p.destination.as_deref() == Some("idva")));
    // Recorded Thursday before Easter (19:10 BST): Good Friday and Easter Monday skipped.
    assert_eq!(adult.referral_deadline.due.to_string(), "2025-04-23");
    assert_eq!(adult.deadline_status, Some(DeadlineStatus::Ok));
    assert_eq!(adult.update_working_days, 1);

    // Child: child present at DA, under 18, Operation Encompass + children's services.
    assert_eq!(child.person_id, "P3");
    assert_eq!(child.basis, VictimBasis::ChildPresent);
    assert_eq!(child.under_18, Some(true));
    assert!(child.enhanced);
    assert!(child.safe_contact.is_none());
    let ccodes: Vec<&str> = child.destinations.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(ccodes, ["childrens_services", "operation_encompass"]);
    assert!(a.prompts.iter().any(|p| p.person_id.as_deref() == Some("P3")
        && p.code == "notify_destination"
        && p.destination.as_deref() == Some("operation_encompass")));
    assert!(child.undetermined.is_empty(), "parent is linked: {:?}", child.undetermined);

    // Cannot close: decisions and OE notification outstanding.
    assert!(!a.can_close);
    assert!(a.closure_blockers.iter().any(|p| p.destination.as_deref() == Some("operation_encompass")));

    // Both appear in the awaiting list.
    let rows = awaiting_referral_decisions(std::slice::from_ref(&a));
    assert_eq!(rows.len(), 2);

    // The IDVA referral is refused until safe contact is sorted.
    let d = Decision {
        victim_id: "P1".into(),
        outcome: Some(Outcome::Referred),
        destination: Some("idva".into()),
        consent_given: Some(true),
        at: Some(datetime!(2025-04-22 08:30 +01:00)),
        ..Decision::default()
    };
    let c = validate_decision(&d, &incident, &rules, &calendar, now);
    assert!(c.errors.iter().any(|e| e.field == "safe_contact.safe_number"));

    // Fix the safe contact, record everything: the incident may close.
    let mut fixed = incident.clone();
    fixed.people[0].safe_contact = Some(SafeContact {
        safe_number: Some("07700 900333".into()),
        safe_times: Some("weekday mornings".into()),
        voicemail_safe: Some(false),
        text_safe: Some(false),
        letters_safe: Some(false),
        suspect_can_access_phone: Some(false),
        preferred_language: None,
    });
    assert!(validate_decision(&d, &fixed, &rules, &calendar, now).is_valid());
    let notify = |dest: &str, who: &str| Decision {
        victim_id: who.into(),
        outcome: Some(Outcome::Referred),
        destination: Some(dest.into()),
        at: Some(datetime!(2025-04-22 08:40 +01:00)),
        ..Decision::default()
    };
    // MARAC alone is a notification made without asking the victim: she has still not been
    // offered support (Right 4), so her referral question stays open. The child, offered no
    // support service by the rules, is settled by the notifications.
    let mut marac_only = fixed.clone();
    marac_only.decisions =
        vec![notify("marac", "P1"), notify("operation_encompass", "P3"), notify("childrens_services", "P3")];
    let am = assess(&marac_only, &rules, &calendar, now);
    assert_eq!(
        am.victims[0].referral_state,
        ReferralState::AwaitingDecision,
        "MARAC taken for a Victims' Code referral"
    );
    assert_eq!(am.victims[1].referral_state, ReferralState::Referred);
    assert_eq!(awaiting_referral_decisions(std::slice::from_ref(&am)).len(), 1);

    fixed.decisions =
        vec![d, notify("marac", "P1"), notify("operation_encompass", "P3"), notify("childrens_services", "P3")];
    let a2 = assess(&fixed, &rules, &calendar, now);
    assert!(a2.can_close, "{:#?}", a2.closure_blockers);
    assert_eq!(a2.victims[0].referral_state, ReferralState::Referred);
    assert!(awaiting_referral_decisions(std::slice::from_ref(&a2)).is_empty());

    // JSON out, as `bluelamp-cli victims assess --json` prints it.
    let out: Value = serde_json::to_value(&a2).unwrap();
    assert_eq!(out["victims"][1]["destinations"][1]["code"], "operation_encompass");
    assert_eq!(out["victims"][1]["destinations"][1]["recorded"], true);
    assert_eq!(out["can_close"], true);
}

/// An incident is a JSON object: serde reads a struct from an array too, and `[]` passed as an
/// incident with nothing in it.
#[test]
fn an_incident_is_a_json_object() {
    for not_object in ["[]", "[{}]", "1", "null", "\"incident\""] {
        let e = Incident::from_json(not_object).unwrap_err();
        assert!(e.to_string().contains("incident"), "{not_object}: {e}");
    }
    assert!(Incident::from_json(INCIDENT).is_ok());
}
