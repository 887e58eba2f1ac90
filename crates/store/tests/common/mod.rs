//! Helpers shared by the store's integration tests.

use bluelamp_protocol::Source;
use bluelamp_store::NominalRecord;

/// A current nominal born 1984-03-12, male, with no aliases or address.
pub fn rec(id: &str, given: &str, surname: &str) -> NominalRecord {
    NominalRecord {
        id: id.into(),
        source: Source::Current,
        given_name: given.into(),
        surname: surname.into(),
        date_of_birth: Some("1984-03-12".into()),
        sex: Some("M".into()),
        aliases: vec![],
        address: None,
        postcode: None,
    }
}
