//! CSV import of nominals. Bad rows are reported with their row number and skipped; they never
//! abort the rest.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};
use bluelamp_protocol::dates::parse_dob;
use bluelamp_protocol::Source;
use bluelamp_store::{NominalRecord, Store};

pub struct Report {
    pub imported: usize,
    /// (row number counting the header as row 1, reason)
    pub rejected: Vec<(usize, String)>,
}

const BATCH: usize = 10_000;
const MAX_FIELD: usize = 200;

pub fn nominals(store: &mut Store, input: impl Read, source: Source) -> anyhow::Result<Report> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = rdr.headers().context("cannot read the CSV header")?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let (Some(c_id), Some(c_given), Some(c_surname), Some(c_dob)) =
        (col("id"), col("given_name"), col("surname"), col("date_of_birth"))
    else {
        bail!("the CSV header must contain id,given_name,surname,date_of_birth (found: {})", headers.iter().collect::<Vec<_>>().join(","));
    };
    let (c_sex, c_aliases, c_address, c_postcode) = (col("sex"), col("aliases"), col("address"), col("postcode"));
    let mut report = Report { imported: 0, rejected: Vec::new() };
    let mut batch = Vec::with_capacity(BATCH);
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.rejected.push((row, format!("unreadable row: {e}")));
                continue;
            }
        };
        let get = |c: usize| rec.get(c).unwrap_or("").trim().to_string();
        let opt = |c: Option<usize>| c.map(get).filter(|s| !s.is_empty());
        match parse_row(
            get(c_id),
            get(c_given),
            get(c_surname),
            get(c_dob),
            opt(c_sex),
            opt(c_aliases),
            opt(c_address),
            opt(c_postcode),
            source,
        ) {
            Ok(r) => batch.push(r),
            Err(reason) => report.rejected.push((row, reason)),
        }
        if batch.len() >= BATCH {
            report.imported += store.upsert_nominals(&batch)?;
            batch.clear();
        }
    }
    report.imported += store.upsert_nominals(&batch)?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn parse_row(
    id: String,
    given: String,
    surname: String,
    dob: String,
    sex: Option<String>,
    aliases: Option<String>,
    address: Option<String>,
    postcode: Option<String>,
    source: Source,
) -> Result<NominalRecord, String> {
    if id.is_empty() {
        return Err("id is empty".into());
    }
    if given.is_empty() && surname.is_empty() {
        return Err("both given_name and surname are empty".into());
    }
    for (label, v) in [("id", &id), ("given_name", &given), ("surname", &surname)] {
        if v.chars().count() > MAX_FIELD {
            return Err(format!("{label} is longer than {MAX_FIELD} characters"));
        }
        if v.chars().any(|c| c.is_control()) {
            return Err(format!("{label} contains control characters"));
        }
    }
    let date_of_birth = if dob.is_empty() { None } else { Some(parse_dob(&dob)?) };
    let sex = match sex.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None => None,
        Some("M") | Some("MALE") => Some("M".to_string()),
        Some("F") | Some("FEMALE") => Some("F".to_string()),
        Some("U") | Some("X") | Some("UNKNOWN") => None,
        Some(other) => return Err(format!("sex '{other}' is not M or F")),
    };
    let aliases = aliases
        .map(|a| a.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    Ok(NominalRecord { id, source, given_name: given, surname, date_of_birth, sex, aliases, address, postcode })
}

pub fn write_csv(path: &Path, people: &[bluelamp_demo::Person]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record(["id", "given_name", "surname", "date_of_birth", "sex", "aliases", "address", "postcode", "source"])?;
    for p in people {
        w.write_record([
            p.id.as_str(),
            &p.given_name,
            &p.surname,
            &p.date_of_birth,
            &p.sex,
            &p.aliases.join(";"),
            &p.address,
            &p.postcode,
            if p.legacy { "legacy" } else { "current" },
        ])?;
    }
    w.flush()?;
    Ok(())
}
