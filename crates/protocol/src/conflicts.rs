//! Conflicts shown to a person (issue 7): a shared record edited here on a version the central
//! service had already moved past. The officer sees each contested field with the base (what
//! this device last had from the service), *mine* (what was written here) and *theirs* (what the
//! service holds now) and picks a side per field; the resolution is a new mutation.
//!
//! The view is generic over a JSON object's top-level fields, so later record types reuse it;
//! [`conflict_fields`] and [`resolve_fields`] are the pure rules both the app and the CLI use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which side of a conflict a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Mine,
    Theirs,
}

/// One contested top-level field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictField {
    /// The field's key, e.g. `closing_code`.
    pub field: String,
    /// A readable label, e.g. "Closing code".
    pub label: String,
    /// `null` when this device had no value (or does not know it).
    pub base: Value,
    pub mine: Value,
    pub theirs: Value,
    /// Mine and theirs differ (fields that agree are shown but need no choice).
    pub differs: bool,
    /// What taking *mine* brings with it that the value alone does not show, e.g. the reason
    /// held here for an `NFA-DUP` closing code ("No incident found: …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine_note: Option<String>,
    /// The same for *theirs*: the central record's reason for its `NFA-DUP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theirs_note: Option<String>,
}

/// One unresolved conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictInfo {
    pub id: String,
    /// e.g. `incident`.
    pub record_type: String,
    pub record_id: String,
    /// What the officer knows the record by (an incident's reference).
    pub title: String,
    /// The change written here that met the conflict, e.g. `incident.finalise/1`.
    pub mutation: String,
    pub created_at: String,
    /// The service's version the resolution is based on.
    pub server_version: Option<u64>,
    pub fields: Vec<ConflictField>,
}

/// `list_conflicts`: the unresolved conflicts, oldest first (no fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListConflictsRequest {}

/// `resolve_conflict`: a side for every contested field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveConflictRequest {
    pub conflict_id: String,
    pub choices: BTreeMap<String, Side>,
}

/// A readable label for a field key: known keys by name, others from the key itself
/// (`offence_category` → "Offence category").
pub fn field_label(key: &str) -> String {
    match key {
        "closing_code" => "Closing code".into(),
        "status" => "Status".into(),
        "finalised_at" => "Finalised at".into(),
        "assigned_to" => "Assigned to".into(),
        other => {
            let words = other.replace(['_', '.'], " ");
            let mut c = words.trim().chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => "(unnamed)".into(),
            }
        }
    }
}

/// How a field value reads in a table cell: text as is, `null` as "(none)".
pub fn show_value(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The fields of a conflict: every top-level key of `mine` (what this device changed), in key
/// order, with the base and their value (`null` where an object lacks the key). Non-objects
/// give no fields.
pub fn conflict_fields(base: &Value, mine: &Value, theirs: &Value) -> Vec<ConflictField> {
    let Some(mine_obj) = mine.as_object() else { return Vec::new() };
    let get = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    let mut keys: Vec<&String> = mine_obj.keys().collect();
    keys.sort();
    keys.into_iter()
        .map(|k| {
            let (m, t) = (get(mine, k), get(theirs, k));
            ConflictField {
                field: k.clone(),
                label: field_label(k),
                base: get(base, k),
                differs: m != t,
                mine: m,
                theirs: t,
                mine_note: None,
                theirs_note: None,
            }
        })
        .collect()
}

/// Why a set of choices cannot resolve a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// A field that differs has no choice.
    Missing(String),
    /// A choice names a field the conflict does not have.
    Unknown(String),
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::Missing(l) => write!(f, "choose mine or theirs for {l}"),
            ResolveError::Unknown(k) => write!(f, "this conflict has no field {k:?}"),
        }
    }
}

/// The resolved values: each field takes the chosen side (fields that agree take the common
/// value). Every differing field must have a choice, and every choice must name a field.
pub fn resolve_fields(
    fields: &[ConflictField],
    choices: &BTreeMap<String, Side>,
) -> Result<Map<String, Value>, ResolveError> {
    if let Some(k) = choices.keys().find(|k| !fields.iter().any(|f| &f.field == *k)) {
        return Err(ResolveError::Unknown(k.clone()));
    }
    let mut out = Map::new();
    for f in fields {
        let side = match choices.get(&f.field) {
            Some(s) => *s,
            None if !f.differs => Side::Mine,
            None => return Err(ResolveError::Missing(f.label.clone())),
        };
        out.insert(f.field.clone(), if side == Side::Mine { f.mine.clone() } else { f.theirs.clone() });
    }
    Ok(out)
}

/// Parses the CLI's `--take`: `mine`, `theirs`, or `field=mine,field2=theirs`; `all` lists the
/// fields a bare side applies to.
pub fn parse_take(take: &str, all: &[ConflictField]) -> Result<BTreeMap<String, Side>, String> {
    let side = |s: &str| match s.trim() {
        "mine" => Ok(Side::Mine),
        "theirs" => Ok(Side::Theirs),
        other => Err(format!("{other:?} is not mine or theirs")),
    };
    let t = take.trim();
    if !t.contains('=') {
        let s = side(t)?;
        return Ok(all.iter().map(|f| (f.field.clone(), s)).collect());
    }
    let mut out = BTreeMap::new();
    for part in t.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| format!("{part:?} is not field=mine or field=theirs"))?;
        let (k, v) = (k.trim(), side(v)?);
        // The same field twice is refused even with the same side: "closing_code=theirs,
        // closing_code=mine" would otherwise keep whichever came last, silently.
        if out.insert(k.to_string(), v).is_some() {
            return Err(format!("{k:?} is given more than once: take one side for each field"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_follow_mine_and_mark_differences() {
        let f = conflict_fields(
            &json!({ "closing_code": "A" }),
            &json!({ "closing_code": "B", "status": "finalised" }),
            &json!({ "closing_code": "C", "status": "finalised", "place": "x" }),
        );
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].field.as_str(), f[0].label.as_str(), f[0].differs), ("closing_code", "Closing code", true));
        assert_eq!(f[0].base, json!("A"));
        assert_eq!((f[1].field.as_str(), f[1].differs, &f[1].base), ("status", false, &Value::Null));
        assert!(conflict_fields(&Value::Null, &json!([1]), &json!({})).is_empty());
    }

    #[test]
    fn a_field_taken_twice_is_refused() {
        let e = parse_take("closing_code=theirs, closing_code=mine", &[]).unwrap_err();
        assert!(e.contains("\"closing_code\" is given more than once"), "{e}");
        assert!(parse_take("closing_code=theirs,status=mine", &[]).is_ok());
    }

    #[test]
    fn resolve_needs_a_side_for_every_difference() {
        let f = conflict_fields(
            &Value::Null,
            &json!({ "closing_code": "B", "status": "finalised" }),
            &json!({ "closing_code": "C", "status": "open" }),
        );
        let mut c = BTreeMap::from([("closing_code".to_string(), Side::Theirs)]);
        assert_eq!(resolve_fields(&f, &c), Err(ResolveError::Missing("Status".into())));
        c.insert("status".into(), Side::Mine);
        assert_eq!(
            resolve_fields(&f, &c).map(Value::Object),
            Ok(json!({ "closing_code": "C", "status": "finalised" }))
        );
        c.insert("place".into(), Side::Mine);
        assert_eq!(resolve_fields(&f, &c), Err(ResolveError::Unknown("place".into())));
    }

    #[test]
    fn take_parses_sides_and_lists() {
        let f = conflict_fields(&Value::Null, &json!({ "a": 1, "b": 2 }), &json!({ "a": 2, "b": 3 }));
        assert_eq!(parse_take("theirs", &f).unwrap().len(), 2);
        let c = parse_take("a=mine, b=theirs", &f).unwrap();
        assert_eq!(c.get("b"), Some(&Side::Theirs));
        assert!(parse_take("a=ours", &f).is_err());
        assert!(parse_take("both", &f).is_err());
        assert_eq!(field_label("offence_category"), "Offence category");
        assert_eq!(show_value(&Value::Null), "(none)");
    }
}
