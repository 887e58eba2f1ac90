//! CSV of nominals for the admin import (`POST /v1/admin/nominals` and
//! `bluelamp-central import nominals`): the columns of the search issue's import,
//! `id,given_name,surname,date_of_birth[,sex,aliases,address,postcode,source]`, plus an optional
//! `district` (else the default district given with the import) and `markers` (as the client's
//! import: `code` or `code@YYYY-MM-DD`, `;`-separated; an empty cell clears them) and `phones` (as the client's
//! import: numbers held for the person, `;`-separated, kept as typed; an empty cell clears them, and
//! without the column the numbers held stay). Same row rules as the client's
//! `bluelamp-cli import`: a bad row is reported with its row number and skipped.

use bluelamp_protocol::dates::parse_dob;
use bluelamp_protocol::wire::WireNominal;
use bluelamp_protocol::Source;

use crate::storage::ImportNominal;

const MAX_FIELD: usize = 200;
const MAX_ALIASES: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ParsedCsv {
    #[serde(skip)]
    pub rows: Vec<ImportNominal>,
    /// (row number counting the header as row 1, reason)
    pub rejected: Vec<(usize, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("{0}")]
    Header(String),
    #[error("the district {0:?} is not valid (1-100 characters, no control characters)")]
    District(String),
}

pub fn valid_district(d: &str) -> bool {
    !d.trim().is_empty() && d.chars().count() <= 100 && !d.chars().any(char::is_control)
}

/// Today's date (UTC) as `YYYY-MM-DD`, for [`parse`].
pub fn today_utc() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses the whole CSV. `default_district` applies to rows without a `district` value; a row
/// with neither is rejected. A date of birth after `today` (`YYYY-MM-DD`) is rejected, as the
/// devices' import, new-person form and search refuse one.
/// A character that reorders or hides text: bidirectional controls, zero-width space, direction
/// marks, word joiner, byte-order mark. A name holding one is shown to officers differently from
/// what is stored (review, 7 Dec 2026: `BIDI\u{202E}EVIL` was imported and served, though the
/// device refuses it in a person it creates). Zero-width joiners (U+200C, U+200D), which some
/// scripts' names need, are kept.
fn hides_text(c: char) -> bool {
    bluelamp_protocol::dates::is_bidi_control(c)
        || matches!(c, '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{061C}')
}

pub fn parse(input: &[u8], default_district: Option<&str>, today: &str) -> Result<ParsedCsv, CsvError> {
    if let Some(d) = default_district {
        if !valid_district(d) {
            return Err(CsvError::District(d.to_string()));
        }
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = rdr.headers().map_err(|e| CsvError::Header(format!("cannot read the CSV header: {e}")))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let (Some(c_id), Some(c_given), Some(c_surname), Some(c_dob)) =
        (col("id"), col("given_name"), col("surname"), col("date_of_birth"))
    else {
        return Err(CsvError::Header(format!(
            "the CSV header must contain id,given_name,surname,date_of_birth (found: {})",
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    };
    let opt_cols = [col("sex"), col("aliases"), col("address"), col("postcode"), col("source"), col("district")];
    let c_markers = col("markers");
    let c_phones = col("phones");
    let mut out = ParsedCsv::default();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.rejected.push((row, format!("unreadable row: {e}")));
                continue;
            }
        };
        // More cells than the header: an unquoted comma (an address) shifted the rest, and the
        // postcode read as the town (review, 7 Dec 2026). Empty cells after the last column (a
        // trailing comma) hold nothing and are let be.
        if rec.iter().skip(headers.len()).any(|c| !c.trim().is_empty()) {
            out.rejected.push((
                row,
                format!(
                    "the row has {} cells, the header has {}: quote a cell that holds a comma",
                    rec.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let get = |c: usize| rec.get(c).unwrap_or("").trim().to_string();
        let opt = |c: Option<usize>| c.map(get).filter(|s| !s.is_empty());
        let [sex, aliases, address, postcode, source, district] = opt_cols.map(opt);
        let district = district.or_else(|| default_district.map(str::to_string));
        let markers = match c_markers.map(|c| bluelamp_protocol::nominal::parse_markers(&get(c), today)).transpose() {
            Ok(m) => m,
            Err(reason) => {
                out.rejected.push((row, reason));
                continue;
            }
        };
        let phones = match c_phones.map(|c| bluelamp_protocol::nominal::parse_phones(&get(c))).transpose() {
            Ok(p) => p,
            Err(reason) => {
                out.rejected.push((row, reason));
                continue;
            }
        };
        let keep_phones = phones.is_none();
        match parse_row(get(c_id), get(c_given), get(c_surname), get(c_dob), sex, aliases, address, postcode, source)
            .map(|n| WireNominal { phones: phones.unwrap_or_default(), ..n })
            .and_then(|n| match n.date_of_birth.as_deref() {
                Some(d) if d > today => Err(format!("date_of_birth {d} is in the future")),
                _ => Ok(n),
            })
            .and_then(|n| match district {
                Some(d) if valid_district(&d) => {
                    Ok(ImportNominal { nominal: n, district: d.trim().to_string(), markers, keep_phones })
                }
                Some(d) => Err(format!("district {d:?} is not valid")),
                None => Err("no district (give a district column or a default district)".into()),
            }) {
            Ok(r) => out.rows.push(r),
            Err(reason) => out.rejected.push((row, reason)),
        }
    }
    Ok(out)
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
    source: Option<String>,
) -> Result<WireNominal, String> {
    if id.is_empty() {
        return Err("id is empty".into());
    }
    if given.is_empty() && surname.is_empty() {
        return Err("both given_name and surname are empty".into());
    }
    let alias_text = aliases.as_deref().unwrap_or("");
    for (label, v, max) in [
        ("id", id.as_str(), MAX_FIELD),
        ("given_name", &given, MAX_FIELD),
        ("surname", &surname, MAX_FIELD),
        ("address", address.as_deref().unwrap_or(""), 4 * MAX_FIELD),
        ("postcode", postcode.as_deref().unwrap_or(""), MAX_FIELD),
    ] {
        if v.chars().count() > max {
            return Err(format!("{label} is longer than {max} characters"));
        }
        if v.chars().any(|c| c.is_control()) {
            return Err(format!("{label} contains control characters"));
        }
        if v.chars().any(hides_text) {
            return Err(format!("{label} contains invisible or direction characters"));
        }
    }
    if !given.chars().chain(surname.chars()).any(char::is_alphabetic) {
        return Err("the name has no letters".into());
    }
    let date_of_birth = if dob.is_empty() { None } else { Some(parse_dob(&dob)?) };
    let sex = match sex.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None => None,
        Some("M") | Some("MALE") => Some("M".to_string()),
        Some("F") | Some("FEMALE") => Some("F".to_string()),
        Some("U") | Some("X") | Some("UNKNOWN") => None,
        Some(other) => return Err(format!("sex '{other}' is not M or F")),
    };
    if alias_text.chars().any(|c| c.is_control()) {
        return Err("aliases contain control characters".into());
    }
    if alias_text.chars().any(hides_text) {
        return Err("aliases contain invisible or direction characters".into());
    }
    let aliases: Vec<String> = alias_text.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    if aliases.len() > MAX_ALIASES {
        return Err(format!("more than {MAX_ALIASES} aliases"));
    }
    if aliases.iter().any(|a| a.chars().count() > MAX_FIELD) {
        return Err(format!("an alias is longer than {MAX_FIELD} characters"));
    }
    let source = match source.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("current") => Source::Current,
        Some("legacy") => Source::Legacy,
        Some(other) => return Err(format!("source '{other}' is not current or legacy")),
    };
    Ok(WireNominal {
        id,
        given_name: given,
        surname,
        date_of_birth,
        sex,
        aliases,
        address,
        postcode,
        source,
        phones: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: &str = "2026-12-06";

    #[test]
    fn names_with_direction_or_invisible_characters_are_rejected() {
        let csv = "id,given_name,surname,date_of_birth,aliases\n\
                   A,Ann,BIDI\u{202E}EVIL,,\n\
                   B,Zero\u{200B}Width,Person,,\n\
                   C,Ann,Smith,,Jo\u{2066}e Bloggs\n\
                   D,Ann,Smith,,\n\
                   E,Mohammad\u{200C}reza,Karimi,,\n";
        let p = parse(csv.as_bytes(), Some("d"), "2026-12-07").unwrap();
        assert_eq!(p.rejected.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 3, 4], "{:?}", p.rejected);
        assert!(p.rejected[0].1.contains("direction"), "{:?}", p.rejected);
        assert_eq!(p.rows.len(), 2, "a zero-width non-joiner is kept");
    }

    /// More cells than the header: an unquoted comma in an address shifted the postcode.
    #[test]
    fn a_row_with_more_cells_than_the_header_is_rejected() {
        let shifted = "id,given_name,surname,date_of_birth,address,postcode\nR3,Shift,Comma,1980-01-01,1 High St, Ashford,TN24 1YG\nR4,Ann,Smith,,,\nR5,Cy,Ray,,,,,\n";
        let p = parse(shifted.as_bytes(), Some("d"), "2026-12-07").unwrap();
        assert_eq!(p.rejected.len(), 1, "{:?}", p.rejected);
        assert!(p.rejected[0].1.contains("7 cells, the header has 6"), "{:?}", p.rejected);
        assert_eq!(p.rows.len(), 2, "a trailing comma holds nothing");
    }

    #[test]
    fn a_date_of_birth_after_today_is_rejected() {
        let csv = "id,given_name,surname,date_of_birth\n\
                   n1,Ann,Smith,2026-12-06\n\
                   n2,Bob,Jones,2026-12-07\n\
                   n3,Cat,Lee,20990101\n";
        let p = parse(csv.as_bytes(), Some("north"), TODAY).unwrap();
        assert_eq!(p.rows.len(), 1, "born today is fine");
        assert_eq!(p.rejected.iter().map(|r| r.0).collect::<Vec<_>>(), vec![3, 4]);
        assert!(p.rejected[0].1.contains("in the future"), "{:?}", p.rejected);
    }

    #[test]
    fn rows_and_rejections() {
        let csv = "id,given_name,surname,date_of_birth,aliases,district\n\
                   n1,Ann,Smith,1980-02-03,Annie Smith;A Smyth,north\n\
                   n2,Bob,Jones,,,\n\
                   ,No,Id,,,\n\
                   n4,Cat,Lee,31/31/1990,,\n";
        let p = parse(csv.as_bytes(), Some("south"), TODAY).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].district, "north");
        assert_eq!(p.rows[0].nominal.aliases.len(), 2);
        assert_eq!(p.rows[1].district, "south");
        assert_eq!(p.rejected.iter().map(|r| r.0).collect::<Vec<_>>(), vec![4, 5]);
        let none = parse(csv.as_bytes(), None, TODAY).unwrap();
        assert_eq!(none.rows.len(), 1);
        assert!(parse(b"name\nx\n", None, TODAY).is_err());
        assert_eq!(p.rows[0].markers, None, "no markers column: markers are left as held");
    }

    #[test]
    fn markers_column() {
        let csv = "id,given_name,surname,date_of_birth,markers\n\
                   n1,Ann,Smith,1980-02-03,violence@2026-10-01;Drugs\n\
                   n2,Bob,Jones,,\n\
                   n3,Cat,Lee,,weapons@2026-13-01\n\
                   n4,Dan,Ray,,not a code\n";
        let p = parse(csv.as_bytes(), Some("north"), TODAY).unwrap();
        let m = p.rows[0].markers.as_ref().unwrap();
        assert_eq!(m.iter().map(|m| m.code.as_str()).collect::<Vec<_>>(), ["violence", "drugs"]);
        assert_eq!(m[0].last_verified_at.as_deref(), Some("2026-10-01T00:00:00Z"));
        assert_eq!(p.rows[1].markers, Some(vec![]), "an empty cell clears");
        assert_eq!(p.rejected.iter().map(|r| r.0).collect::<Vec<_>>(), vec![4, 5]);
    }

    #[test]
    fn phones_column() {
        let csv = "id,given_name,surname,date_of_birth,phones\n\
                   n1,Ann,Smith,1980-02-03,0161 496 0000; +44 7700 900123\n\
                   n2,Bob,Jones,,\n\
                   n3,Cat,Lee,,Siobhán\n\
                   n4,Dan,Ray,,;;\n\
                   n5,Eve,Hart,,0161 496 0000\u{0}\n";
        let p = parse(csv.as_bytes(), Some("north"), TODAY).unwrap();
        assert_eq!(p.rows.iter().map(|r| r.nominal.id.as_str()).collect::<Vec<_>>(), ["n1", "n2", "n4"]);
        assert_eq!(p.rows[0].nominal.phones, ["0161 496 0000", "+44 7700 900123"]);
        assert!(p.rows.iter().all(|r| !r.keep_phones), "the column is there: an empty cell clears");
        assert!(p.rows[1].nominal.phones.is_empty() && p.rows[2].nominal.phones.is_empty());
        assert_eq!(p.rejected.iter().map(|r| r.0).collect::<Vec<_>>(), vec![4, 6]);
        assert_eq!(p.rejected[0].1, "phones: 'Siobhán' has no digits");
        assert!(p.rejected[1].1.contains("control characters"), "{:?}", p.rejected);
        let long = format!("id,given_name,surname,date_of_birth,phones\nn6,Fay,Cole,,{}\n", "0".repeat(10_000));
        let p = parse(long.as_bytes(), Some("north"), TODAY).unwrap();
        assert!(p.rejected[0].1.contains("longer than 40 characters"), "{:?}", p.rejected);
        let without = parse(b"id,given_name,surname,date_of_birth\nn1,Ann,Smith,\n", Some("north"), TODAY).unwrap();
        assert!(without.rows[0].keep_phones, "no column: the numbers held stay");
    }
}
