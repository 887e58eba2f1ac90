//! `show`: one person's record page (warning markers first, aliases, addresses, linked
//! incidents). Opening a record is a consultation: its access-log entry, with the purpose, is
//! committed before anything is printed. Printed anywhere but a terminal (a file, a pipe), it
//! is a disclosure as well, naming where it went (`audit::Disclosed`).

use anyhow::bail;
use bluelamp_protocol::nominal::NominalPage;
use bluelamp_protocol::ViewNominalRequest;
use bluelamp_store::Store;

#[derive(clap::Args)]
pub struct ShowArgs {
    /// The record id (as printed by `search`).
    #[arg(long)]
    id: String,
    /// Why you are opening the record (purpose code, e.g. investigation, safeguarding),
    /// recorded in the access log.
    #[arg(long)]
    purpose: String,
    /// Print the record page as JSON (the app's `view_nominal` answer).
    #[arg(long)]
    json: bool,
}

pub fn run(store: &mut Store, a: ShowArgs) -> anyhow::Result<()> {
    let req = ViewNominalRequest { id: a.id, purpose: a.purpose };
    req.validate().map_err(|e| anyhow::anyhow!(e.message))?;
    let actor = store.actor()?;
    let Some(page) = store.view_nominal_logged(&actor, &req.id, &req.purpose)? else {
        bail!("no record {} in the local store (the attempt is in the access log)", req.id);
    };
    // Written to a file or another program, not a screen: a disclosure too, before it leaves.
    let object_ref = format!("nominal:{}", page.nominal.id);
    crate::audit::Disclosed {
        object_ref: &object_ref,
        purpose: Some(&req.purpose),
        command: "show",
        ids: vec![page.nominal.id.as_str()],
        people: Vec::new(),
        count: None,
    }
    .log_if_leaving(store)?;
    if a.json {
        say!("{}", serde_json::to_string(&page)?)?;
    } else {
        crate::output::emit(&text(&page))?;
    }
    Ok(())
}

/// The record page as text, markers first.
pub fn text(p: &NominalPage) -> String {
    use std::fmt::Write;
    let n = &p.nominal;
    let mut out = String::new();
    let _ = writeln!(out, "{} {} ({})", n.surname.to_uppercase(), n.given_name, n.id);
    if p.warning_markers.is_empty() {
        let _ = writeln!(out, "Warning markers: none held");
    }
    for m in &p.warning_markers {
        let verified = match (&m.last_verified_at, &m.verified_by) {
            (Some(t), Some(by)) => format!("last verified {t} by {by}"),
            (Some(t), None) => format!("last verified {t}"),
            _ => "not verified".to_string(),
        };
        let _ = writeln!(out, "⚠ {}: {} ({verified})", m.label, m.description);
    }
    let _ = writeln!(
        out,
        "Born: {}   Sex: {}",
        n.date_of_birth.as_deref().unwrap_or("unknown"),
        n.sex.as_deref().unwrap_or("unknown")
    );
    for a in &p.aliases {
        let _ = writeln!(out, "Alias: {a}");
    }
    for a in &p.addresses {
        let dates = format!("{} to {}", a.valid_from.as_deref().unwrap_or("?"), a.valid_to.as_deref().unwrap_or("now"));
        let _ = writeln!(
            out,
            "Address{}: {} {} ({dates})",
            if a.current { " (current)" } else { "" },
            a.address,
            a.postcode.as_deref().unwrap_or("")
        );
    }
    for i in &p.incidents {
        let _ = writeln!(
            out,
            "Incident {} {} {} [{}] as {}",
            i.reference,
            i.occurred_at.get(..10).unwrap_or(&i.occurred_at),
            i.incident_type,
            i.closing_code.as_deref().unwrap_or(&i.status),
            i.roles.join(", ")
        );
    }
    out
}
