//! Coded concepts: (system, code, display), as FHIR keeps them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::RecordError;

/// A code from a terminology (LOINC, SNOMED CT, ATC, CVX, ...), with its display text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Code {
    /// The code system's URI, e.g. `http://loinc.org`.
    pub system: String,
    /// The code within the system.
    pub code: String,
    /// Human-readable text, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// URIs of the code systems people type by short name.
pub mod systems {
    /// LOINC.
    pub const LOINC: &str = "http://loinc.org";
    /// SNOMED CT.
    pub const SNOMED: &str = "http://snomed.info/sct";
    /// WHO ATC.
    pub const ATC: &str = "http://www.whocc.no/atc";
    /// CDC CVX vaccine codes.
    pub const CVX: &str = "http://hl7.org/fhir/sid/cvx";
    /// RxNorm.
    pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
    /// ICD-10.
    pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
    /// UCUM units.
    pub const UCUM: &str = "http://unitsofmeasure.org";
    /// Not a terminology: a concept the source gave only as words (a FHIR CodeableConcept
    /// with `text` and no coding). Its code and display are the words; FHIR exports write
    /// it back as `{"text": ...}`, never as a coding.
    pub const TEXT: &str = "urn:carnet:text-only";
}

impl Code {
    /// A code with its display.
    pub fn new(system: &str, code: &str, display: Option<&str>) -> Self {
        Code {
            system: system.to_string(),
            code: code.to_string(),
            display: display.map(str::to_string),
        }
    }

    /// Parses `SYSTEM|CODE`, where SYSTEM is a URI or one of loinc, snomed (sct), atc, cvx,
    /// rxnorm, icd10, ucum.
    pub fn parse(text: &str) -> Result<Self, RecordError> {
        let expected = "write SYSTEM:CODE or SYSTEM|CODE, e.g. snomed:44054006 or http://loinc.org|29463-7 (systems: loinc, snomed, atc, cvx, rxnorm, icd10, ucum, or a URI)";
        // `snomed:44054006` needs no quotes in a shell, where `|` is a pipe; the last colon
        // separates the code, so `urn:oid:1.2.3:x` and `http://loinc.org:29463-7` work too.
        let (system, code) = text
            .split_once('|')
            .or_else(|| text.rsplit_once(':').filter(|(s, _)| !s.is_empty()))
            .ok_or_else(|| RecordError::invalid("code", text, expected))?;
        let (system, code) = (system.trim(), code.trim());
        if code.is_empty() || code.contains('|') {
            return Err(RecordError::invalid("code", text, expected));
        }
        let system = match system.to_ascii_lowercase().as_str() {
            "loinc" => systems::LOINC.to_string(),
            "snomed" | "sct" => systems::SNOMED.to_string(),
            "atc" => systems::ATC.to_string(),
            "cvx" => systems::CVX.to_string(),
            "rxnorm" => systems::RXNORM.to_string(),
            "icd10" | "icd-10" => systems::ICD10.to_string(),
            "ucum" => systems::UCUM.to_string(),
            _ if system.contains(':') && !system.chars().any(char::is_whitespace) => {
                system.to_string()
            }
            _ => return Err(RecordError::invalid("code system", system, expected)),
        };
        Ok(Code {
            system,
            code: code.to_string(),
            display: None,
        })
    }

    /// The short name of a known system, else its URI.
    pub fn system_name(&self) -> &str {
        match self.system.as_str() {
            systems::LOINC => "loinc",
            systems::SNOMED => "snomed",
            systems::ATC => "atc",
            systems::CVX => "cvx",
            systems::RXNORM => "rxnorm",
            systems::ICD10 => "icd10",
            systems::UCUM => "ucum",
            systems::TEXT => "text",
            other => other,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.system_name(), self.code)
    }
}

impl FromStr for Code {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_uris_parse() {
        assert_eq!(
            Code::parse("snomed|44054006").unwrap().system,
            systems::SNOMED
        );
        assert_eq!(Code::parse("SCT|1").unwrap().system, systems::SNOMED);
        assert_eq!(Code::parse("loinc|29463-7").unwrap().code, "29463-7");
        assert_eq!(
            Code::parse("urn:oid:1.2.3|x").unwrap().system,
            "urn:oid:1.2.3"
        );
        assert_eq!(
            Code::parse("atc|A10BA02").unwrap().to_string(),
            "atc|A10BA02"
        );
        // The colon form, which a shell takes without quotes.
        let c = Code::parse("snomed:44054006").unwrap();
        assert_eq!(
            (c.system.as_str(), c.code.as_str()),
            (systems::SNOMED, "44054006")
        );
        assert_eq!(Code::parse("ICD10:E11").unwrap().system, systems::ICD10);
        let c = Code::parse("urn:oid:1.2.3:x").unwrap();
        assert_eq!((c.system.as_str(), c.code.as_str()), ("urn:oid:1.2.3", "x"));
        for bad in ["snomed", ":44054006", "nosuch:1", "snomed:"] {
            assert!(Code::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "nocolon",
            "snomed|",
            "|123",
            "madeup|1",
            "a b:c|1",
            "loinc|1|2",
        ] {
            assert!(Code::parse(bad).is_err(), "{bad}");
        }
    }
}
