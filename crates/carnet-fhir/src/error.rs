use thiserror::Error;

use crate::identity::PatientIdentity;

/// One thing wrong in one resource of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The bundle entry's index (0-based, as in `Bundle.entry[i]`), if in an entry.
    pub entry: Option<usize>,
    /// `Type/id` of the resource, when known.
    pub resource: Option<String>,
    /// The element, as a FHIRPath-like path inside the resource (`effectivePeriod.end`).
    pub path: String,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.entry, &self.resource) {
            (Some(i), Some(r)) => write!(f, "entry {i} ({r}): ")?,
            (Some(i), None) => write!(f, "entry {i}: ")?,
            (None, Some(r)) => write!(f, "{r}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

fn people_text(people: &[PatientIdentity]) -> String {
    people
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ")
}

fn problems_text(problems: &[Problem]) -> String {
    let mut s = problems
        .iter()
        .take(10)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ");
    if problems.len() > 10 {
        s.push_str(&format!("\n  ... and {} more", problems.len() - 10));
    }
    s
}

/// Everything an import or export can refuse. Messages name what is wrong (the bundle
/// entry, the element, the CSV line and column) and what to do.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FhirError {
    /// The input is larger than Carnet reads in one piece.
    #[error(
        "the file is {size} bytes; Carnet imports at most {max} bytes at once: split it (for example one bundle per year)"
    )]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// One resource of a streamed bundle is larger than Carnet reads in one piece.
    #[error(
        "entry {entry} of the bundle is over {max} bytes: Carnet reads one resource of at most that size (is the file damaged?); remove or split that resource"
    )]
    ResourceTooLarge {
        /// The entry's index in `Bundle.entry`.
        entry: usize,
        /// The limit.
        max: u64,
    },
    /// A streamed bundle holds more than Carnet keeps at once of resources other than
    /// device readings (documents, clinical entries).
    #[error(
        "the bundle holds more than {max} bytes of resources other than device readings (documents, clinical entries), more than Carnet holds while reading one bundle: split it (for example the documents apart)"
    )]
    HeldTooLarge {
        /// The limit.
        max: u64,
    },
    /// The input is not JSON at all (binary, or text of another kind).
    #[error("the file is not JSON: {0}; a FHIR import takes an R4 Bundle in JSON")]
    NotJson(String),
    /// The JSON is not a FHIR resource.
    #[error("the file is JSON but not a FHIR resource ({0}); a FHIR import takes an R4 Bundle")]
    NotFhir(String),
    /// A FHIR resource, but not a Bundle of a kind Carnet imports.
    #[error("{0}")]
    NotABundle(String),
    /// The bundle breaks FHIR R4 rules; nothing was imported.
    #[error("the bundle is not valid FHIR R4 ({} problem{}); nothing was imported:\n  {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, problems_text(.0))]
    Invalid(Vec<Problem>),
    /// Valid FHIR, but not something Carnet can keep as one person's record.
    #[error("{0}; nothing was imported")]
    Unsupported(String),
    /// The bundle is about several patients and the importing person chose none.
    #[error("the bundle is about {} patients; a Carnet record is one person's, so nothing was imported. It holds:\n  {}\nChoose one of them (for example {})", .0.len(), people_text(.0), .0.first().map(|p| p.reference.as_str()).unwrap_or("Patient/ID"))]
    SeveralPatients(Vec<PatientIdentity>),
    /// The patient chosen is not in the bundle.
    #[error("the bundle holds no patient \"{wanted}\"; nothing was imported. It holds:\n  {}\nChoose one of these", people_text(.patients))]
    NoSuchPatient {
        /// What was asked for.
        wanted: String,
        /// The patients the bundle holds.
        patients: Vec<PatientIdentity>,
    },
    /// A device export does not have the layout of the format asked for.
    #[error("{file_kind}: {message}")]
    Layout {
        /// Which format was expected.
        file_kind: &'static str,
        /// What does not fit.
        message: String,
    },
    /// A row of a device export is wrong.
    #[error("{file_kind}, line {line}, column \"{column}\": {message}; nothing was imported")]
    Row {
        /// Which format.
        file_kind: &'static str,
        /// 1-based line number in the file.
        line: u64,
        /// The column's header (or its number).
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A document of the bundle could not be kept aside (encrypted) while it was read.
    #[error(
        "a document of the bundle could not be kept aside while reading it {0}; nothing was imported. Check that the directory has room for the bundle's documents and can be written"
    )]
    Spool(String),
    /// Something to export does not fit FHIR (should not happen with a valid record).
    #[error("cannot export: {0}")]
    Export(String),
}
