//! Sections and entry ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::RecordError;

/// One section of a record: the unit of consent and of encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SectionId {
    /// Name, birth date, sex, blood group, emergency contact, advance directives.
    Profile,
    /// Allergies and intolerances.
    Allergies,
    /// Problems and diagnoses.
    Conditions,
    /// Medicines taken, and prescriptions.
    Medications,
    /// Vaccinations.
    Immunizations,
    /// Vital signs, labs, device readings.
    Measurements,
    /// Attached files.
    Documents,
    /// Free-text notes.
    Notes,
}

impl SectionId {
    /// Every section, in code order.
    pub const ALL: [SectionId; 8] = [
        SectionId::Profile,
        SectionId::Allergies,
        SectionId::Conditions,
        SectionId::Medications,
        SectionId::Immunizations,
        SectionId::Measurements,
        SectionId::Documents,
        SectionId::Notes,
    ];

    /// The lowercase name used on the command line and in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            SectionId::Profile => "profile",
            SectionId::Allergies => "allergies",
            SectionId::Conditions => "conditions",
            SectionId::Medications => "medications",
            SectionId::Immunizations => "immunizations",
            SectionId::Measurements => "measurements",
            SectionId::Documents => "documents",
            SectionId::Notes => "notes",
        }
    }

    /// The stable code written in envelope headers. Never renumber.
    pub fn code(&self) -> u8 {
        *self as u8
    }

    /// The section with that code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
}

impl fmt::Display for SectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for SectionId {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == t)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|x| x.as_str()).collect();
                RecordError::invalid("section", s, format!("use one of {}", names.join(", ")))
            })
    }
}

impl Serialize for SectionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SectionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The id of an entry: 10 characters of lowercase Crockford base32 (50 random bits), short
/// enough to type and copy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(String);

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

impl EntryId {
    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 8];
        // An OS without randomness is not a place to keep a record; the ids would still be
        // unique per document thanks to the time-based fallback below.
        if getrandom::fill(&mut bytes).is_err() {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            bytes = (t as u64).to_le_bytes();
        }
        let mut n = u64::from_le_bytes(bytes);
        let mut s = String::with_capacity(10);
        for _ in 0..10 {
            s.push(ALPHABET[(n & 31) as usize] as char);
            n >>= 5;
        }
        EntryId(s)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl FromStr for EntryId {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        if t.len() == 10 && t.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(EntryId(t))
        } else {
            Err(RecordError::invalid(
                "entry id",
                s,
                "an entry id is 10 letters and digits",
            ))
        }
    }
}

impl Serialize for EntryId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EntryId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_names_and_codes_are_stable() {
        for (i, s) in SectionId::ALL.iter().enumerate() {
            assert_eq!(s.code() as usize, i);
            assert_eq!(SectionId::from_code(s.code()), Some(*s));
            assert_eq!(s.as_str().parse::<SectionId>().unwrap(), *s);
        }
        assert_eq!(SectionId::from_code(8), None);
        let err = "kitchen".parse::<SectionId>().unwrap_err().to_string();
        assert!(
            err.contains("allergies") && err.contains("kitchen"),
            "{err}"
        );
    }

    #[test]
    fn entry_ids_are_short_and_validated() {
        let id = EntryId::random();
        assert_eq!(id.as_str().len(), 10);
        assert_eq!(id.to_string().parse::<EntryId>().unwrap(), id);
        assert_eq!(
            id.to_string().to_uppercase().parse::<EntryId>().unwrap(),
            id
        );
        assert_ne!(EntryId::random(), EntryId::random());
        for bad in ["", "short", "0123456789a", "uuuuuuuuuu", "not-an-id!"] {
            assert!(bad.parse::<EntryId>().is_err(), "{bad}");
        }
    }
}
