use thiserror::Error;

/// Everything the record model refuses. Messages are shown to people as they are: they
/// say what is wrong and what would be accepted.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A value typed by a person does not parse.
    #[error("{what} \"{input}\" is not valid: {expected}")]
    Invalid {
        /// What kind of value.
        what: &'static str,
        /// The text given.
        input: String,
        /// What would be accepted.
        expected: String,
    },
    /// A required field is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A field is longer than the record accepts.
    #[error("{field} is {len} bytes long; at most {max} are accepted")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A measurement's unit does not fit its kind.
    #[error("unit \"{unit}\" does not fit {kind}: use one of {accepted}")]
    UnitMismatch {
        /// The unit given.
        unit: String,
        /// The kind of measurement.
        kind: String,
        /// The units accepted for it.
        accepted: String,
    },
    /// A value outside what is physically plausible.
    #[error("{what} {value} is not plausible: {why}")]
    Implausible {
        /// What was measured.
        what: String,
        /// The value.
        value: String,
        /// Why it is refused.
        why: String,
    },
    /// The entry belongs in another section.
    #[error("a {kind} entry belongs in section {expected}, not {found}")]
    WrongSection {
        /// The kind of entry.
        kind: &'static str,
        /// Where it belongs.
        expected: &'static str,
        /// Where it was put.
        found: &'static str,
    },
    /// An update would change an entry's kind.
    #[error("entry {id} is a {existing}; it cannot become a {new} (remove it and add a new one)")]
    KindChange {
        /// The entry.
        id: String,
        /// Its kind.
        existing: String,
        /// The kind asked for.
        new: String,
    },
    /// No entry with that id.
    #[error("no entry {0} in this section")]
    NotFound(String),
    /// The profile is one entry per record.
    #[error("the record already has a profile ({0}); update it instead of adding another")]
    ProfileExists(String),
    /// The two dates of a period are in the wrong order.
    #[error("{end_field} ({end}) is before {start_field} ({start})")]
    PeriodReversed {
        /// Name of the start field.
        start_field: &'static str,
        /// Its value.
        start: String,
        /// Name of the end field.
        end_field: &'static str,
        /// Its value.
        end: String,
    },
    /// Bytes that should hold Automerge changes or a document do not.
    #[error("the record data is malformed: {0}")]
    Malformed(String),
    /// Changes that Automerge could not apply (it panicked on them: they are malformed in
    /// a way no honest writer produces). The document they were applied to is left in an
    /// unknown state: drop it and load the section again with these changes refused
    /// ([`crate::SectionDoc::refuse`]).
    #[error("the record data is malformed: {} change(s) cannot be applied", hashes.len())]
    Unapplicable {
        /// The changes of the call that failed (the culprit is among them).
        hashes: Vec<[u8; 32]>,
    },
    /// A stored entry does not decode as any known kind (written by a newer version?).
    #[error("entry {id} does not decode: {why}")]
    Undecodable {
        /// The entry.
        id: String,
        /// Why.
        why: String,
    },
}

impl RecordError {
    /// The stable code of this error: a lowercase dotted name (`"record.invalid"`), one per
    /// kind. Codes are stable API: a code never changes nor changes meaning; new kinds take
    /// new codes.
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::Invalid { .. } => "record.invalid",
            RecordError::Empty(_) => "record.empty",
            RecordError::TooLong { .. } => "record.too_long",
            RecordError::UnitMismatch { .. } => "record.unit_mismatch",
            RecordError::Implausible { .. } => "record.implausible",
            RecordError::WrongSection { .. } => "record.wrong_section",
            RecordError::KindChange { .. } => "record.kind_change",
            RecordError::NotFound(_) => "record.not_found",
            RecordError::ProfileExists(_) => "record.profile_exists",
            RecordError::PeriodReversed { .. } => "record.period_reversed",
            RecordError::Malformed(_) => "record.malformed",
            RecordError::Unapplicable { .. } => "record.unapplicable",
            RecordError::Undecodable { .. } => "record.undecodable",
        }
    }

    pub(crate) fn invalid(what: &'static str, input: &str, expected: impl Into<String>) -> Self {
        RecordError::Invalid {
            what,
            input: input.to_string(),
            expected: expected.into(),
        }
    }
}
