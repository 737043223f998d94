//! Who a bundle is about, and whether that is the record's person.
//!
//! A record is one person's. Before a bundle's resources are added, the bundle's Patient
//! is compared with the record's profile, so another person's conditions, medicines and
//! results are never merged into it (issue 15, point 1).
//!
//! The rule (also in docs/ARCHITECTURE.md, "Interoperability"):
//! - The record's person is its profile (name, birth date). A record without a profile
//!   takes the first bundle's Patient as its person: the identity card's name is a display
//!   name the user chose (often a first name or a nickname), not an identity to check.
//! - Names are compared word by word after folding case and accents and dropping digits
//!   (Synthea writes `Ana972`), punctuation and titles (Mr, Mrs, Dr...). Two names match
//!   when every word of the shorter one is among the words of the other ("Ana Lima" and
//!   "Ana Maria Lima"). The Patient matches when any of its names matches.
//! - Birth dates match when they agree at the precision both have (`1980-02` and
//!   `1980-02-14` agree; `1980-02-14` and `1980-02-15` do not).
//! - Same person: names match and birth dates do not disagree. Anything the bundle does
//!   not say (no name, no birth date) is not held against it; anything it says that
//!   contradicts the profile is.
//! - Identifiers (medical record numbers, national ids) are kept in the profile on import
//!   and compared with a system: the same system with no value in common is another
//!   person (refused, whatever the names say); the same system and value is the same
//!   person's number, which outweighs a different name (names change with marriage or
//!   transliteration) but not a different birth date. An identifier without a system, or
//!   of a system only one side has, says nothing either way.

use carnet_record::{Date, Identifier, Profile};
use serde_json::Value;

/// The identity a bundle's Patient resource gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientIdentity {
    /// `Patient/id` (or the entry's fullUrl when the resource has no id).
    pub reference: String,
    /// Every name the resource gives, official first.
    pub names: Vec<String>,
    /// Birth date, at its own precision.
    pub birth_date: Option<Date>,
    /// Its identifiers (shown as `system|value`, or `value` alone).
    pub identifiers: Vec<Identifier>,
}

impl std::fmt::Display for PatientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.names.first() {
            Some(n) => write!(f, "{n}")?,
            None => f.write_str("a patient without a name")?,
        }
        match &self.birth_date {
            Some(d) => write!(f, ", born {d}")?,
            None => f.write_str(", birth date not given")?,
        }
        write!(f, " ({}", self.reference)?;
        if !self.identifiers.is_empty() {
            let shown: Vec<String> = self
                .identifiers
                .iter()
                .take(3)
                .map(ToString::to_string)
                .collect();
            write!(f, "; identifiers {}", shown.join(", "))?;
        }
        f.write_str(")")
    }
}

/// Reads the identity out of a Patient resource.
pub(crate) fn of_patient(r: &Value, reference: String) -> PatientIdentity {
    let mut names: Vec<(bool, String)> = r
        .get("name")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| {
            let official = n.get("use").and_then(Value::as_str) == Some("official");
            crate::import::human_name(n).map(|s| (official, s))
        })
        .collect();
    // Official names first; the order of the others is the bundle's.
    names.sort_by_key(|(official, _)| !official);
    PatientIdentity {
        reference,
        names: names.into_iter().map(|(_, n)| n).collect(),
        birth_date: r
            .get("birthDate")
            .and_then(Value::as_str)
            .and_then(|d| d.parse().ok()),
        identifiers: identifiers(r),
    }
}

/// A Patient's identifiers (those with a value), in the bundle's order.
pub(crate) fn identifiers(r: &Value) -> Vec<Identifier> {
    let mut out: Vec<Identifier> = Vec::new();
    for i in r
        .get("identifier")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(value) = i.get("value").and_then(Value::as_str).map(str::trim) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let id = Identifier {
            system: i
                .get("system")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            value: value.to_string(),
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// How the identifiers of two people compare, by the rule of the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
enum IdVerdict {
    /// A system both have, with a value in common.
    Match,
    /// A system both have, with no value in common: (system, record's, bundle's).
    Conflict(Vec<(String, String, String)>),
    /// No system in common.
    Silent,
}

fn compare_identifiers(record: &[Identifier], bundle: &[Identifier]) -> IdVerdict {
    let systems = |ids: &[Identifier]| -> Vec<String> {
        let mut s: Vec<String> = ids.iter().filter_map(|i| i.system.clone()).collect();
        s.sort();
        s.dedup();
        s
    };
    let values = |ids: &[Identifier], sys: &str| -> Vec<String> {
        ids.iter()
            .filter(|i| i.system.as_deref() == Some(sys))
            .map(|i| i.value.clone())
            .collect()
    };
    let (mut matched, mut conflicts) = (false, Vec::new());
    let theirs = systems(bundle);
    for sys in systems(record).into_iter().filter(|s| theirs.contains(s)) {
        let (a, b) = (values(record, &sys), values(bundle, &sys));
        if a.iter().any(|v| b.contains(v)) {
            matched = true;
        } else {
            conflicts.push((sys, a.join(", "), b.join(", ")));
        }
    }
    match (conflicts.is_empty(), matched) {
        (false, _) => IdVerdict::Conflict(conflicts),
        (true, true) => IdVerdict::Match,
        (true, false) => IdVerdict::Silent,
    }
}

/// Titles that are not part of who someone is.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "mme", "mlle", "m", "herr",
    "frau", "sr", "sra", "jr",
];

/// A letter without its accent, for the Latin letters names use most.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
        'ł' | 'ľ' | 'ĺ' => 'l',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ŕ' | 'ř' => 'r',
        'ś' | 'š' | 'ş' | 'ș' => 's',
        'ť' | 'ţ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

/// The words of a name that identify: lower case, no accents, no digits, no titles.
fn words(name: &str) -> Vec<String> {
    let cleaned: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(fold)
        .map(|c| if c.is_alphabetic() { c } else { ' ' })
        .collect();
    let mut w: Vec<String> = cleaned
        .split_whitespace()
        .filter(|w| !TITLES.contains(w))
        .map(str::to_string)
        .collect();
    w.sort();
    w.dedup();
    w
}

/// Whether two names are one person's by the rule of the module docs.
pub fn names_match(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.iter().all(|w| long.contains(w))
}

/// Whether two dates agree at the precision both have.
pub fn dates_agree(a: &Date, b: &Date) -> bool {
    let (a, b) = (a.as_str(), b.as_str());
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// How a bundle's Patient differs from the record's person (name and birth date only), in
/// words; empty when they are the same person by the rule of the module docs. See
/// [`profile_differences`], which compares identifiers too.
pub fn differences(
    record_name: &str,
    record_birth: Option<&Date>,
    bundle: &PatientIdentity,
) -> Vec<String> {
    compare(record_name, record_birth, &[], bundle)
}

/// How a bundle's Patient differs from the record's person (its profile: name, birth date
/// and identifiers), in words; empty when they are the same person by the rule of the
/// module docs.
pub fn profile_differences(profile: &Profile, bundle: &PatientIdentity) -> Vec<String> {
    compare(
        &profile.name,
        profile.birth_date.as_ref(),
        &profile.identifiers,
        bundle,
    )
}

fn compare(
    record_name: &str,
    record_birth: Option<&Date>,
    record_ids: &[Identifier],
    bundle: &PatientIdentity,
) -> Vec<String> {
    let mut why = Vec::new();
    let ids = compare_identifiers(record_ids, &bundle.identifiers);
    if let IdVerdict::Conflict(c) = &ids {
        for (sys, mine, theirs) in c {
            why.push(format!(
                "the identifiers of {sys} differ (record: {mine}; bundle: {theirs})"
            ));
        }
    }
    if ids != IdVerdict::Match
        && !bundle.names.is_empty()
        && !bundle.names.iter().any(|n| names_match(record_name, n))
    {
        why.push(format!(
            "the names differ (record: \"{record_name}\"; bundle: {})",
            bundle
                .names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let (Some(r), Some(b)) = (record_birth, &bundle.birth_date)
        && !dates_agree(r, b)
    {
        why.push(format!("the birth dates differ (record: {r}; bundle: {b})"));
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(names: &[&str], birth: Option<&str>) -> PatientIdentity {
        PatientIdentity {
            reference: "Patient/p".into(),
            names: names.iter().map(|s| s.to_string()).collect(),
            birth_date: birth.map(|d| d.parse().unwrap()),
            identifiers: vec![],
        }
    }

    #[test]
    fn names_match_word_by_word_without_digits_titles_or_accents() {
        assert!(names_match("Ana972 Lima", "Ana Lima"));
        assert!(names_match("Mrs. Ana Lima", "ana lima"));
        assert!(names_match("Ana Lima", "Ana Maria Lima"));
        assert!(names_match("Zoé Müller", "Zoe MULLER"));
        assert!(!names_match("Ana Lima", "Ana Costa"));
        assert!(!names_match("Alice Test", "Clemente687 Kreiger457"));
        assert!(
            !names_match("Dr.", "Ana"),
            "a title alone identifies no one"
        );
    }

    #[test]
    fn birth_dates_agree_at_the_shared_precision() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert!(dates_agree(&d("1980-02"), &d("1980-02-14")));
        assert!(dates_agree(&d("1980"), &d("1980-12-31")));
        assert!(!dates_agree(&d("1980-02-14"), &d("1980-02-15")));
        assert!(!dates_agree(&d("1981"), &d("1980-02-14")));
    }

    #[test]
    fn another_person_is_named_with_what_differs() {
        let born: Date = "1980-02-14".parse().unwrap();
        assert!(
            differences(
                "Ana Lima",
                Some(&born),
                &who(&["Ana972 Lima"], Some("1980-02-14"))
            )
            .is_empty()
        );
        assert!(differences("Ana Lima", None, &who(&["Ana Lima"], Some("1999-01-01"))).is_empty());
        // Nothing said is nothing contradicted.
        assert!(differences("Ana Lima", Some(&born), &who(&[], None)).is_empty());
        let d = differences(
            "Ana Lima",
            Some(&born),
            &who(&["Ana Costa"], Some("1980-02-14")),
        );
        assert_eq!(d.len(), 1);
        assert!(
            d[0].contains("names differ") && d[0].contains("Ana Costa"),
            "{d:?}"
        );
        let d = differences(
            "Ana Lima",
            Some(&born),
            &who(&["Ana Lima"], Some("1981-02-14")),
        );
        assert_eq!(d.len(), 1);
        assert!(
            d[0].contains("1981-02-14") && d[0].contains("1980-02-14"),
            "{d:?}"
        );
        // A maiden name among the Patient's names is enough.
        assert!(differences("Ana Lima", None, &who(&["Ana Costa", "Ana Lima"], None)).is_empty());
    }
}
