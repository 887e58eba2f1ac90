//! ASCII folding, tokenising and panic-guarded phonetic encoders.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rphonetic::{DoubleMetaphone, Encoder, Soundex};

use crate::data;

/// At most this many input characters are looked at (before transliteration).
pub const MAX_INPUT_CHARS: usize = 256;
/// A folded name part is cut to at most this many bytes (all ASCII).
pub const MAX_PART_CHARS: usize = 64;
/// At most this many tokens are kept per name part ("Mary Ann Louise Jane ..." keeps 4).
pub const MAX_TOKENS: usize = 4;

/// Folds a raw name part to upper-case ASCII letters separated by single `' '`, `'-'` or `'\''`.
///
/// Diacritics and other scripts are transliterated with `deunicode` (Siobhán → SIOBHAN,
/// Łukasz → LUKASZ, Nguyễn → NGUYEN, Müller → MULLER, Иванов → IVANOV). Digits, punctuation,
/// emoji and control characters become separators. Input is read up to
/// [`MAX_INPUT_CHARS`] characters and the output is capped at [`MAX_PART_CHARS`] bytes.
pub fn fold(raw: &str) -> String {
    let ascii: std::borrow::Cow<'_, str> = if raw.is_ascii() {
        std::borrow::Cow::Borrowed(&raw[..raw.len().min(MAX_INPUT_CHARS)])
    } else {
        // Only letters are transliterated: emoji and symbols would otherwise become words
        // ("😀" → "grinning"). Combining marks (no transliteration) are dropped.
        let head: String = raw
            .chars()
            .take(MAX_INPUT_CHARS)
            .filter_map(|c| match c {
                '\u{2019}' | '\u{2018}' | '\u{00B4}' | '\u{02BC}' => Some('\''),
                '\u{2010}'..='\u{2015}' => Some('-'),
                // Invisible format characters (soft hyphen, zero-width joiners, direction
                // marks, BOM) are dropped: pasted inside a word they are not a gap. A
                // zero-width space is a space (a word break), as it was.
                '\u{00AD}'
                | '\u{200C}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}' => None,
                c if c.is_ascii() || c.is_alphabetic() => Some(c),
                c if deunicode::deunicode_char(c) == Some("") => None,
                _ => Some(' '),
            })
            .collect();
        std::borrow::Cow::Owned(deunicode::deunicode(&head))
    };
    let mut out = String::with_capacity(ascii.len().min(MAX_PART_CHARS));
    let mut pending: Option<char> = None;
    for c in ascii.chars() {
        // A control character inside a word (pasted from another system) is dropped, as a
        // zero-width space or soft hyphen is, not read as a space: "Smi\u{1}th" is SMITH.
        // Tabs and line breaks still separate words.
        if c.is_control() && !c.is_whitespace() {
            continue;
        }
        if c.is_ascii_alphabetic() {
            if let Some(sep) = pending.take() {
                if !out.is_empty() {
                    if out.len() + 2 > MAX_PART_CHARS {
                        break;
                    }
                    out.push(sep);
                }
            }
            if out.len() >= MAX_PART_CHARS {
                break;
            }
            out.push(c.to_ascii_uppercase());
        } else {
            let sep = match c {
                '\'' | '`' => '\'',
                '-' => '-',
                _ => ' ',
            };
            pending = Some(match (pending, sep) {
                (Some('-'), _) | (_, '-') => '-',
                (Some('\''), _) | (_, '\'') => '\'',
                _ => ' ',
            });
        }
    }
    out
}

/// Splits a folded part into tokens on spaces and hyphens. An apostrophe after a particle
/// (`O'`, `D'`) splits the token (O'SULLIVAN → O SULLIVAN); other apostrophes are dropped.
pub(crate) fn tokens(folded: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in folded.split([' ', '-']) {
        if raw.is_empty() {
            continue;
        }
        if let Some((head, rest)) = raw.split_once('\'') {
            if !head.is_empty() && !rest.is_empty() && data::is_particle(head) {
                out.push(head.to_string());
                out.push(rest.replace('\'', ""));
                continue;
            }
        }
        let t = raw.replace('\'', "");
        if !t.is_empty() {
            out.push(t);
        }
    }
    out.truncate(MAX_TOKENS);
    out
}

/// True when `s` is safe to hand to rphonetic: non-empty, short, upper-case ASCII letters only.
fn encodable(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_PART_CHARS && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// Runs an encoder on proven-ASCII, capped input and still catches any panic (rphonetic 4.0
/// panics on some inputs; we never want a search to die because of a name).
fn guarded<T: Default>(s: &str, f: impl FnOnce(&str) -> T) -> T {
    if !encodable(s) {
        return T::default();
    }
    catch_unwind(AssertUnwindSafe(|| f(s))).unwrap_or_default()
}

/// Double Metaphone (max 4 characters): `(primary, alternate)`; empty strings on failure.
pub(crate) fn double_metaphone(s: &str) -> (String, String) {
    guarded(s, |s| {
        let r = DoubleMetaphone::default().double_metaphone(s);
        (r.primary(), r.alternate())
    })
}

/// American Soundex (4 characters); empty on failure.
pub(crate) fn soundex(s: &str) -> String {
    guarded(s, |s| Soundex::default().encode(s))
}

/// The phonetic codes used for keys and the "phonetic" match rule, deduplicated, in order:
/// Double Metaphone primary, alternate, and a Soundex code (prefixed `S` so it can never
/// collide with a metaphone code).
pub(crate) fn phonetic_codes(s: &str, out: &mut Vec<String>) {
    let (p, a) = double_metaphone(s);
    for c in [p, a] {
        if !c.is_empty() && !out.contains(&c) {
            out.push(c);
        }
    }
    if crate::keys::USE_SOUNDEX {
        let sx = soundex(s);
        if !sx.is_empty() {
            let sx = format!("S{sx}");
            if !out.contains(&sx) {
                out.push(sx);
            }
        }
    }
}

/// A coarse respelling of a folded name by how it sounds to an English ear, for names written
/// in Polish, Czech or German spelling, or in one transliteration of a Slavic name, and typed as
/// heard: "Voytek Vishnevski" for Wojtek Wiśniewski, "Kovalchik" for Kowalczyk, "Shimanski"
/// for Szymański, "Shmidt" for Schmidt, "Ivanow" for Ivanov. Double Metaphone gives many such
/// pairs different codes.
///
/// Rules, read left to right on the letters only (separators are skipped): SZCZ and SHCH → SC;
/// TSCH → C; SCH, SZ and SH → S; CZ, CH and TS → C; RZ after P, T, K or C → S; RZ and ZH → Z;
/// W → V; J → Y; Y after a consonant → I (Polish y is a vowel); IE after a consonant → E; a
/// doubled letter once. Used only where the phonetic codes and the spelling already disagree.
pub(crate) fn heard(folded: &str) -> String {
    let letters: Vec<u8> = folded.bytes().filter(u8::is_ascii_uppercase).collect();
    let mut out = Vec::with_capacity(letters.len());
    heard_into(&letters, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Whether `letters` (upper-case ASCII letters only, as a part's joined form) respelt as
/// [`heard`] is `heard`; one buffer per thread, since the ranker asks it of many candidates.
pub(crate) fn heard_equals(letters: &str, heard: &str) -> bool {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with_borrow_mut(|buf| {
        heard_into(letters.as_bytes(), buf);
        buf.as_slice() == heard.as_bytes()
    })
}

/// [`heard`] of `b` (upper-case ASCII letters only, as in an `SN:` key) into `out`, which is
/// cleared first: the spelling stage respells thousands of surnames per search in one buffer.
pub(crate) fn heard_into(b: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let at = |i: usize, s: &[u8]| b.get(i..i + s.len()) == Some(s);
    let vowel = |c: u8| matches!(c, b'A' | b'E' | b'I' | b'O' | b'U' | b'Y');
    let mut i = 0;
    while i < b.len() {
        let (emit, used): (&[u8], usize) = if at(i, b"SZCZ") || at(i, b"SHCH") {
            (b"SC", 4)
        } else if at(i, b"TSCH") {
            (b"C", 4)
        } else if at(i, b"SCH") {
            (b"S", 3)
        } else if at(i, b"SZ") || at(i, b"SH") {
            (b"S", 2)
        } else if at(i, b"CZ") || at(i, b"CH") || at(i, b"TS") {
            (b"C", 2)
        } else if at(i, b"RZ") && out.last().is_some_and(|c| b"PTKC".contains(c)) {
            // Devoiced after a voiceless consonant: Krzysztof "Kshishtof", Przybylski.
            (b"S", 2)
        } else if at(i, b"RZ") || at(i, b"ZH") {
            (b"Z", 2)
        } else {
            let after_consonant = out.last().is_some_and(|&c| !vowel(c));
            match b[i] {
                b'W' => (b"V", 1),
                b'J' => (b"Y", 1),
                b'Y' if after_consonant => (b"I", 1),
                b'I' if after_consonant && b.get(i + 1) == Some(&b'E') => (b"E", 2),
                _ => (&b[i..i + 1], 1),
            }
        };
        for &c in emit {
            if out.last() != Some(&c) {
                out.push(c);
            }
        }
        i += used;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_diacritics_and_punctuation() {
        for (raw, want) in [
            ("Siobhán", "SIOBHAN"),
            ("O'Sullivan", "O'SULLIVAN"),
            ("O\u{2019}Sullivan", "O'SULLIVAN"),
            ("Nguyễn", "NGUYEN"),
            ("Müller", "MULLER"),
            ("Łukasz", "LUKASZ"),
            ("  smith-  jones ", "SMITH-JONES"),
            ("St. John", "ST JOHN"),
            ("J.", "J"),
            ("😀Smith", "SMITH"),
            ("", ""),
            ("1234", ""),
            // Control and invisible format characters inside a word are dropped; a zero-width
            // space is a space.
            ("Smi\u{1}th", "SMITH"),
            ("Smi\u{0}th", "SMITH"),
            ("Smi\u{AD}th", "SMITH"),
            ("Smi\u{200D}th\u{FEFF}", "SMITH"),
            ("Mary\u{200B}Ann", "MARY ANN"),
            ("Sió\u{7}bhán", "SIOBHAN"),
            ("Mary\tAnn\nJones", "MARY ANN JONES"),
        ] {
            assert_eq!(fold(raw), want, "fold({raw:?})");
        }
    }

    #[test]
    fn caps_length() {
        let long = "abc ".repeat(5000);
        assert!(fold(&long).len() <= MAX_PART_CHARS);
        assert!(tokens(&fold(&long)).len() <= MAX_TOKENS);
    }

    #[test]
    fn tokenises_particles_and_hyphens() {
        assert_eq!(tokens("O'SULLIVAN"), vec!["O", "SULLIVAN"]);
        assert_eq!(tokens("D'ARCY"), vec!["D", "ARCY"]);
        assert_eq!(tokens("SMITH-JONES"), vec!["SMITH", "JONES"]);
        assert_eq!(tokens("DE LA CRUZ"), vec!["DE", "LA", "CRUZ"]);
        assert_eq!(tokens("N'DIAYE"), vec!["NDIAYE"]);
    }

    #[test]
    fn heard_respells_names_typed_as_heard() {
        for (written, typed) in [
            ("WISNIEWSKI", "VISHNEVSKI"),
            ("WOJTEK", "VOYTEK"),
            ("KOWALCZYK", "KOVALCHIK"),
            ("SZYMANSKI", "SHIMANSKI"),
            ("SCHMIDT", "SHMIDT"),
            ("IVANOV", "IVANOW"),
            ("JERZY", "YEZHY"),
            ("SZCZEPANSKI", "SHCHEPANSKI"),
            ("CYBULSKI", "TSIBULSKI"),
            ("WOZNIAK", "VOZNIAK"),
            ("ZIELINSKI", "ZELINSKI"),
            ("O'BRIEN", "OBRIEN"),
            ("KRZYSZTOF", "KSHISHTOF"),
            ("PRZYBYLSKI", "PSHIBILSKI"),
        ] {
            assert_eq!(heard(written), heard(typed), "{written} / {typed}");
        }
        for (a, b) in [("SMITH", "SMART"), ("KOWALSKI", "KOWALCZYK"), ("IAN", "JAN"), ("NOWAK", "NOVAK ")] {
            assert_eq!(heard(a) == heard(b), a == "NOWAK", "{a} / {b}");
        }
        assert_eq!(heard(""), "");
        assert_eq!(heard("J"), "Y");
    }

    #[test]
    fn encoders_reject_non_ascii_without_panicking() {
        assert_eq!(double_metaphone("José"), (String::new(), String::new()));
        assert_eq!(soundex("Müller"), "");
        assert_eq!(double_metaphone("SMITH").0, "SM0");
        assert_eq!(soundex("SMITH"), "S530");
    }
}
