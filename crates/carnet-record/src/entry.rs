//! The typed entries of a record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::SortKey;
use crate::{Code, Date, DateTime, RecordError, SectionId, Series};

/// The longest text a field may hold: a record is not a file store (attach files instead).
pub const MAX_FIELD: usize = 64 * 1024;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? } default $default:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// The text form.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// Every value, for help texts.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = RecordError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($text) { return Ok($name::$variant); })+
                let all: Vec<&str> = vec![$($text),+];
                Err(RecordError::invalid(stringify!($name), s, format!("use one of {}", all.join(", "))))
            }
        }
    };
}

text_enum!(
    /// How serious a reaction to an allergen could be (FHIR criticality).
    Criticality { /** Low risk. */ Low = "low", /** High risk. */ High = "high", /** Not assessed. */ UnableToAssess = "unable-to-assess" } default UnableToAssess
);
text_enum!(
    /// FHIR clinical status of a condition.
    ConditionStatus {
        /** Ongoing. */ Active = "active",
        /** Came back. */ Recurrence = "recurrence",
        /** Got worse again. */ Relapse = "relapse",
        /** Not active. */ Inactive = "inactive",
        /** In remission. */ Remission = "remission",
        /** Over. */ Resolved = "resolved",
    } default Active
);
text_enum!(
    /// Whether a medication is taken.
    MedicationStatus {
        /** Being taken. */ Active = "active",
        /** Course finished. */ Completed = "completed",
        /** Stopped early. */ Stopped = "stopped",
        /** Paused. */ OnHold = "on-hold",
        /** Planned. */ Intended = "intended",
        /** The source did not say whether it is taken (FHIR `unknown`): kept, and shown so. */
        Unknown = "unknown",
        /** Stated as not taken (FHIR `not-taken`): a negation, never shown as taken. */
        NotTaken = "not-taken",
    } default Active
);
text_enum!(
    /// FHIR status of a procedure (those worth keeping in a record).
    ProcedureStatus {
        /** Done. */ Completed = "completed",
        /** Under way. */ InProgress = "in-progress",
        /** Being prepared. */ Preparation = "preparation",
        /** Paused. */ OnHold = "on-hold",
        /** Stopped before completion. */ Stopped = "stopped",
        /** Not known. */ Unknown = "unknown",
        /** Stated as not done (FHIR `not-done`): a negation, never shown as done. */
        NotDone = "not-done",
    } default Completed
);
text_enum!(
    /// Whether a vaccination was given (FHIR Immunization.status, less entered-in-error).
    ImmunizationStatus {
        /** Given. */ Completed = "completed",
        /** Stated as not given (FHIR `not-done`): a negation, never shown as given. */
        NotDone = "not-done",
    } default Completed
);
text_enum!(
    /// What kind of document an attachment is.
    DocType {
        /** A report (lab, imaging, discharge...). */ Report = "report",
        /** A prescription. */ Prescription = "prescription",
        /** An image. */ Imaging = "imaging",
        /** A letter. */ Letter = "letter",
        /** Anything else. */ Other = "other",
    } default Other
);
text_enum!(
    /// Administrative sex (FHIR).
    Sex { /** Female. */ Female = "female", /** Male. */ Male = "male", /** Other. */ Other = "other", /** Unknown. */ Unknown = "unknown" } default Unknown
);
text_enum!(
    /// ABO and Rh blood group.
    BloodGroup {
        /** A+ */ APos = "A+", /** A- */ ANeg = "A-", /** B+ */ BPos = "B+", /** B- */ BNeg = "B-",
        /** AB+ */ AbPos = "AB+", /** AB- */ AbNeg = "AB-", /** O+ */ OPos = "O+", /** O- */ ONeg = "O-",
    } default OPos
);

/// When an allergy or intolerance began, in the form the source gave it (FHIR
/// `AllergyIntolerance.onset[x]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Onset {
    /// A date, at its own precision (`onsetDateTime`).
    Date {
        /// The date.
        date: Date,
    },
    /// A period (`onsetPeriod`).
    Period {
        /// Its first day, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<Date>,
        /// Its last day, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<Date>,
    },
    /// An age (`onsetAge`), e.g. 3 years.
    Age {
        /// The number.
        value: f64,
        /// Its UCUM unit (`a`, `mo`, `wk`, `d`).
        unit: String,
    },
    /// Words (`onsetString`), e.g. "childhood".
    Text {
        /// The words.
        text: String,
    },
}

impl fmt::Display for Onset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Onset::Date { date } => write!(f, "{date}"),
            Onset::Period { start, end } => {
                let show = |d: &Option<Date>| d.as_ref().map_or("?".to_string(), Date::to_string);
                write!(f, "{} to {}", show(start), show(end))
            }
            Onset::Age { value, unit } => {
                let word = match unit.as_str() {
                    "a" => "years",
                    "mo" => "months",
                    "wk" => "weeks",
                    "d" => "days",
                    other => other,
                };
                write!(f, "age {} {word}", number_text(*value))
            }
            Onset::Text { text } => f.write_str(text),
        }
    }
}

/// One identifier of a person (FHIR `Patient.identifier`): a medical record number, a
/// national health number...
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    /// The namespace of the value (a URI), when the source gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The value.
    pub value: String,
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.system {
            Some(s) => write!(f, "{s}|{}", self.value),
            None => f.write_str(&self.value),
        }
    }
}

/// A result's reference range (FHIR `Observation.referenceRange`), as the source gave it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferenceRange {
    /// Lowest normal value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    /// Highest normal value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    /// UCUM unit of low and high (the result's unit when the source gave none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The range in words ("< 200 mg/dL", "negative").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl ReferenceRange {
    /// Whether `value` (in `unit`) is below, within or above the range: `None` when the
    /// range does not say (no bound on that side, or another unit).
    pub fn judge(&self, value: f64, unit: &str) -> Option<std::cmp::Ordering> {
        if self.unit.as_deref().is_some_and(|u| u != unit) {
            return None;
        }
        if self.low.is_some_and(|lo| value < lo) {
            return Some(std::cmp::Ordering::Less);
        }
        if self.high.is_some_and(|hi| value > hi) {
            return Some(std::cmp::Ordering::Greater);
        }
        (self.low.is_some() || self.high.is_some()).then_some(std::cmp::Ordering::Equal)
    }
}

impl fmt::Display for ReferenceRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = self.unit.as_deref().unwrap_or("");
        match (self.low, self.high) {
            (Some(l), Some(h)) => write!(f, "{}-{} {unit}", number_text(l), number_text(h))?,
            (Some(l), None) => write!(f, ">= {} {unit}", number_text(l))?,
            (None, Some(h)) => write!(f, "<= {} {unit}", number_text(h))?,
            (None, None) => return f.write_str(self.text.as_deref().unwrap_or("")),
        }
        Ok(())
    }
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// An allergy or intolerance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Allergy {
    /// What the patient reacts to.
    pub substance: String,
    /// A code for the substance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// How serious a reaction could be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    /// What happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    /// When it began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset: Option<Onset>,
}

/// A problem or diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// Its name.
    pub name: String,
    /// A code (SNOMED CT, ICD-10...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset: Option<Date>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abatement: Option<Date>,
    /// Clinical status.
    #[serde(default)]
    pub status: ConditionStatus,
}

/// A medicine taken, or prescribed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Medication {
    /// Its name.
    pub name: String,
    /// A code (ATC, RxNorm...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// How much, how often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dosage: Option<String>,
    /// First day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Date>,
    /// Last day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Date>,
    /// Whether it is taken.
    #[serde(default)]
    pub status: MedicationStatus,
    /// Why it is in that status, when stated (FHIR `statusReason`: why a medicine is not
    /// taken, stopped or on hold). Absent from records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

/// A vaccination.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Immunization {
    /// The vaccine.
    pub vaccine: String,
    /// A code (CVX...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// When it was given; `None` when the source does not know (see `date_text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// Batch number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// Given, or stated as not given.
    #[serde(default, skip_serializing_if = "is_default")]
    pub status: ImmunizationStatus,
    /// Why it was not given, when stated (FHIR `statusReason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// What the source said instead of a date ("unknown", "childhood"), when it gave none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_text: Option<String>,
}

/// One part of a panel measurement (systolic and diastolic of a blood pressure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// LOINC code of the part.
    pub code: Code,
    /// Its value.
    pub value: f64,
    /// Its UCUM unit.
    pub unit: String,
}

/// An observation: a vital sign, a lab value, a device reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What was measured (LOINC).
    pub kind: Code,
    /// The value, unless the measurement is a panel of components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// UCUM unit.
    pub unit: String,
    /// Parts of a panel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// When.
    pub at: DateTime,
    /// The device or origin of the reading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A coded result instead of a number (e.g. "Never smoker", "Negative").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_code: Option<Code>,
    /// A text result instead of a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_text: Option<String>,
    /// FHIR observation category code (vital-signs, laboratory, survey...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// FHIR observation status (final, amended, preliminary...), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The source's reference ranges (FHIR `referenceRange`), first the general one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_range: Vec<ReferenceRange>,
    /// The source's interpretation codes (FHIR `interpretation`: H, L, HH, LL, A, N...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interpretation: Vec<Code>,
}

/// A procedure: an operation, a test, a therapy, kept as medical history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Procedure {
    /// Its name.
    pub name: String,
    /// A code (SNOMED CT, CPT...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// When it was performed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// Its status.
    #[serde(default)]
    pub status: ProcedureStatus,
    /// Why it was not done (or stopped), when stated (FHIR `statusReason`). Absent from
    /// records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

/// A free-text note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// The text.
    pub text: String,
    /// An optional title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Where an attachment's encrypted bytes are, and the key that opens them.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobRef {
    /// Hex BLAKE3 hash of the ciphertext: the blob's id in a vault.
    pub id: String,
    /// Hex of the 32-byte content key. The section is encrypted, so the key travels only
    /// to those who may read the section. Never empty in a stored entry; a view shown to
    /// people or scripts empties it, and an empty key is left out of the serialized form.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// MIME type.
    pub media_type: String,
    /// Original file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Hex SHA-1 of the plaintext, for FHIR `Attachment.hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
}

impl fmt::Debug for BlobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobRef")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .field("size", &self.size)
            .field("media_type", &self.media_type)
            .field("file_name", &self.file_name)
            .finish()
    }
}

/// An attached document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Title shown in lists.
    pub title: String,
    /// Kind of document.
    pub doc_type: DocType,
    /// Date of the document.
    pub date: DateTime,
    /// The encrypted file.
    pub blob: BlobRef,
}

/// Someone to call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmergencyContact {
    /// Their name.
    pub name: String,
    /// Their phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Who they are to the patient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
}

/// Who the patient is. One per record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Full name.
    pub name: String,
    /// Birth date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<Date>,
    /// Administrative sex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Blood group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blood_group: Option<BloodGroup>,
    /// Who to call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_contact: Option<EmergencyContact>,
    /// Advance directives, or where to find them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance_directives: Option<String>,
    /// Medical record numbers, national ids...: compared on import (same system, other
    /// value: another person).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<Identifier>,
}

/// An explicit "nothing to record here", as the International Patient Summary asks for
/// allergies, problems, medications and immunizations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoneKnown {
    /// The section it speaks for.
    pub section: SectionId,
    /// When the patient said so.
    pub asserted: Date,
}

/// The IPS code system for absent and unknown data.
pub const IPS_ABSENT_SYSTEM: &str = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips";

impl NoneKnown {
    /// The sections where "none known" means something.
    pub const SECTIONS: [SectionId; 4] = [
        SectionId::Allergies,
        SectionId::Conditions,
        SectionId::Medications,
        SectionId::Immunizations,
    ];

    /// The IPS code saying so.
    pub fn ips_code(&self) -> Code {
        let (code, display) = match self.section {
            SectionId::Allergies => ("no-known-allergies", "No known allergies"),
            SectionId::Conditions => ("no-known-problems", "No known problems"),
            SectionId::Medications => ("no-known-medications", "No known medications"),
            _ => ("no-known-immunizations", "No known immunizations"),
        };
        Code::new(IPS_ABSENT_SYSTEM, code, Some(display))
    }
}

/// Any entry of a record. Its JSON form carries a `type` field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Entry {
    /// See [`Allergy`].
    Allergy(Allergy),
    /// See [`Condition`].
    Condition(Condition),
    /// See [`Medication`].
    Medication(Medication),
    /// See [`Immunization`].
    Immunization(Immunization),
    /// See [`Measurement`].
    Measurement(Measurement),
    /// See [`Note`].
    Note(Note),
    /// See [`Document`].
    Document(Document),
    /// See [`Profile`].
    Profile(Profile),
    /// See [`NoneKnown`].
    NoneKnown(NoneKnown),
    /// See [`Procedure`].
    Procedure(Procedure),
    /// See [`Series`]: a block of device readings.
    Series(Series),
}

fn required(field: &'static str, value: &str) -> Result<(), RecordError> {
    if value.trim().is_empty() {
        return Err(RecordError::Empty(field));
    }
    bounded(field, value)
}

fn bounded(field: &'static str, value: &str) -> Result<(), RecordError> {
    if value.len() > MAX_FIELD {
        return Err(RecordError::TooLong {
            field,
            len: value.len(),
            max: MAX_FIELD,
        });
    }
    Ok(())
}

fn opt(field: &'static str, value: &Option<String>) -> Result<(), RecordError> {
    value.as_deref().map_or(Ok(()), |v| bounded(field, v))
}

fn code(field: &'static str, c: &Option<Code>) -> Result<(), RecordError> {
    if let Some(c) = c {
        required(field, &c.system)?;
        required(field, &c.code)?;
        opt(field, &c.display)?;
    }
    Ok(())
}

fn period(
    start_field: &'static str,
    start: &Option<Date>,
    end_field: &'static str,
    end: &Option<Date>,
) -> Result<(), RecordError> {
    if let (Some(s), Some(e)) = (start, end)
        && e.sort_key() < s.sort_key()
    {
        return Err(RecordError::PeriodReversed {
            start_field,
            start: s.to_string(),
            end_field,
            end: e.to_string(),
        });
    }
    Ok(())
}

/// Checks the descriptive fields of a series (its readings are valid by construction).
pub(crate) fn validate_series_meta(
    kind: &Code,
    unit: &str,
    source: &Option<String>,
) -> Result<(), RecordError> {
    code("kind", &Some(kind.clone()))?;
    required("unit", unit)?;
    opt("source", source)
}

fn finite(what: &str, v: f64) -> Result<(), RecordError> {
    if !v.is_finite() {
        return Err(RecordError::Implausible {
            what: what.to_string(),
            value: v.to_string(),
            why: "it is not a finite number".into(),
        });
    }
    Ok(())
}

/// A value for people: at most 6 decimals, so binary noise from a converter
/// (119.99999999999999) reads as 120; the stored value is unchanged.
pub(crate) fn number_text(v: f64) -> String {
    let r = (v * 1e6).round() / 1e6;
    if r.is_finite() {
        format!("{r}")
    } else {
        format!("{v}")
    }
}

impl Entry {
    /// The section this kind of entry lives in.
    pub fn section(&self) -> SectionId {
        match self {
            Entry::Allergy(_) => SectionId::Allergies,
            Entry::Condition(_) => SectionId::Conditions,
            Entry::Medication(_) => SectionId::Medications,
            Entry::Immunization(_) => SectionId::Immunizations,
            Entry::Measurement(_) => SectionId::Measurements,
            Entry::Note(_) => SectionId::Notes,
            Entry::Document(_) => SectionId::Documents,
            Entry::Profile(_) => SectionId::Profile,
            Entry::NoneKnown(n) => n.section,
            Entry::Procedure(_) => SectionId::Conditions,
            Entry::Series(_) => SectionId::Measurements,
        }
    }

    /// The kind's name, as in the JSON `type` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Allergy(_) => "allergy",
            Entry::Condition(_) => "condition",
            Entry::Medication(_) => "medication",
            Entry::Immunization(_) => "immunization",
            Entry::Measurement(_) => "measurement",
            Entry::Note(_) => "note",
            Entry::Document(_) => "document",
            Entry::Profile(_) => "profile",
            Entry::NoneKnown(_) => "none-known",
            Entry::Procedure(_) => "procedure",
            Entry::Series(_) => "series",
        }
    }

    /// Refuses a date after `now` for what has already happened: a measurement, a
    /// vaccination, a condition's onset or end, a procedure, the start of a medicine being
    /// taken (a planned one, `intended`, may start later). A few minutes of clock
    /// difference between devices are allowed. Not part of [`Entry::validate`]: an entry
    /// received from another device is not refused for that device's clock.
    pub fn check_dates(&self, now: &DateTime) -> Result<(), RecordError> {
        const SKEW: i64 = 10 * 60;
        let today = now.date();
        let future_day = |what: &str, d: &Option<Date>| match d {
            Some(d) if d.sort_key() > today.sort_key() => Err(RecordError::Implausible {
                what: what.to_string(),
                value: d.to_string(),
                why: format!(
                    "it is after today ({today}); give the date it happened (YYYY, YYYY-MM or YYYY-MM-DD)"
                ),
            }),
            _ => Ok(()),
        };
        match self {
            Entry::Measurement(m) if m.at.sort_key() > now.sort_key() + SKEW => {
                Err(RecordError::Implausible {
                    what: "measurement time".into(),
                    value: m.at.to_string(),
                    why: format!("it is in the future (now is {now}); give when it was measured"),
                })
            }
            Entry::Immunization(i) => future_day("vaccination date", &i.date),
            Entry::Condition(c) => {
                future_day("onset", &c.onset)?;
                future_day("abatement", &c.abatement)
            }
            Entry::Procedure(p) => future_day("procedure date", &p.date),
            Entry::Medication(m) if m.status != MedicationStatus::Intended => {
                future_day("medication start", &m.start)
            }
            _ => Ok(()),
        }
    }

    /// Checks everything a well-formed entry must satisfy.
    pub fn validate(&self) -> Result<(), RecordError> {
        match self {
            Entry::Allergy(a) => {
                required("substance", &a.substance)?;
                code("code", &a.code)?;
                match &a.onset {
                    Some(Onset::Text { text }) => required("onset", text)?,
                    Some(Onset::Age { value, unit }) => {
                        finite("onset age", *value)?;
                        required("onset age unit", unit)?;
                    }
                    Some(Onset::Period { start, end }) => period("onset", start, "end", end)?,
                    _ => {}
                }
                opt("reaction", &a.reaction)
            }
            Entry::Condition(c) => {
                required("name", &c.name)?;
                code("code", &c.code)?;
                period("onset", &c.onset, "abatement", &c.abatement)
            }
            Entry::Medication(m) => {
                required("name", &m.name)?;
                code("code", &m.code)?;
                opt("dosage", &m.dosage)?;
                opt("status reason", &m.status_reason)?;
                period("start", &m.start, "end", &m.end)
            }
            Entry::Immunization(i) => {
                required("vaccine", &i.vaccine)?;
                code("code", &i.code)?;
                opt("status reason", &i.status_reason)?;
                opt("date text", &i.date_text)?;
                opt("lot", &i.lot)
            }
            Entry::Measurement(m) => {
                code("kind", &Some(m.kind.clone()))?;
                opt("source", &m.source)?;
                opt("value text", &m.value_text)?;
                opt("category", &m.category)?;
                opt("status", &m.status)?;
                code("value code", &m.value_code)?;
                if let Some(v) = m.value {
                    finite("value", v)?;
                    required("unit", &m.unit)?;
                } else {
                    bounded("unit", &m.unit)?;
                }
                for i in &m.interpretation {
                    code("interpretation", &Some(i.clone()))?;
                }
                for r in &m.reference_range {
                    opt("reference range", &r.text)?;
                    opt("reference range unit", &r.unit)?;
                    for v in [r.low, r.high].into_iter().flatten() {
                        finite("reference range", v)?;
                    }
                }
                for c in &m.components {
                    code("component code", &Some(c.code.clone()))?;
                    required("component unit", &c.unit)?;
                    finite("component value", c.value)?;
                }
                if m.value.is_none()
                    && m.components.is_empty()
                    && m.value_code.is_none()
                    && m.value_text.is_none()
                {
                    return Err(RecordError::Empty("value"));
                }
                Ok(())
            }
            Entry::Procedure(p) => {
                required("name", &p.name)?;
                opt("status reason", &p.status_reason)?;
                code("code", &p.code)
            }
            Entry::Series(s) => validate_series_meta(&s.kind, &s.unit, &s.source),
            Entry::Note(n) => {
                required("text", &n.text)?;
                opt("title", &n.title)
            }
            Entry::Document(d) => {
                required("title", &d.title)?;
                required("blob id", &d.blob.id)?;
                required("blob key", &d.blob.key)?;
                required("media type", &d.blob.media_type)?;
                opt("file name", &d.blob.file_name)
            }
            Entry::Profile(p) => {
                required("name", &p.name)?;
                opt("advance directives", &p.advance_directives)?;
                if let Some(c) = &p.emergency_contact {
                    required("emergency contact name", &c.name)?;
                    opt("emergency contact phone", &c.phone)?;
                    opt("emergency contact relationship", &c.relationship)?;
                }
                Ok(())
            }
            Entry::NoneKnown(n) => {
                if !NoneKnown::SECTIONS.contains(&n.section) {
                    return Err(RecordError::invalid(
                        "section for none-known",
                        n.section.as_str(),
                        "use allergies, conditions, medications or immunizations",
                    ));
                }
                Ok(())
            }
        }
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        match self {
            Entry::Allergy(a) => {
                let mut s = a.substance.clone();
                let mut extra = Vec::new();
                if let Some(c) = a.criticality {
                    extra.push(format!("criticality {c}"));
                }
                if let Some(r) = &a.reaction {
                    extra.push(format!("reaction: {r}"));
                }
                if let Some(o) = &a.onset {
                    extra.push(format!("since {o}"));
                }
                if !extra.is_empty() {
                    s.push_str(&format!(" ({})", extra.join(", ")));
                }
                s
            }
            Entry::Condition(c) => {
                let mut s = format!("{} ({})", c.name, c.status);
                if let Some(o) = &c.onset {
                    s.push_str(&format!(", since {o}"));
                }
                s
            }
            Entry::Medication(m) => {
                let mut s = m.name.clone();
                if let Some(d) = &m.dosage {
                    s.push_str(&format!(", {d}"));
                }
                match &m.status_reason {
                    Some(r) => s.push_str(&format!(" ({}, reason: {r})", m.status)),
                    None => s.push_str(&format!(" ({})", m.status)),
                }
                s
            }
            Entry::Immunization(i) => {
                let when = match (&i.date, &i.date_text) {
                    (Some(d), _) => format!("on {d}"),
                    (None, Some(t)) => format!("date: {t}"),
                    (None, None) => "date unknown".to_string(),
                };
                match i.status {
                    ImmunizationStatus::NotDone => {
                        let why = i
                            .status_reason
                            .as_ref()
                            .map(|r| format!(", reason: {r}"))
                            .unwrap_or_default();
                        format!("NOT GIVEN: {} ({when}{why})", i.vaccine)
                    }
                    ImmunizationStatus::Completed => format!("{} {when}", i.vaccine),
                }
            }
            Entry::Measurement(m) => {
                let name = m
                    .kind_name()
                    .map(|n| {
                        let mut c = n.replace('-', " ");
                        if let Some(f) = c.get_mut(0..1) {
                            f.make_ascii_uppercase();
                        }
                        c
                    })
                    .or_else(|| m.kind.display.clone())
                    .unwrap_or_else(|| format!("LOINC {}", m.kind.code));
                let confirmed = m.value_text.as_deref() == Some(crate::UNUSUAL_CONFIRMED);
                let text = m.value_text.as_ref().filter(|_| !confirmed);
                let mut value = match (m.value, &m.value_code, text) {
                    (Some(v), _, _) => format!("{} {}", number_text(v), m.unit),
                    (None, Some(c), _) => c.display.clone().unwrap_or_else(|| c.to_string()),
                    (None, None, Some(t)) => t.clone(),
                    (None, None, None) => format!(
                        "{} {}",
                        m.components
                            .iter()
                            .map(|c| number_text(c.value))
                            .collect::<Vec<_>>()
                            .join("/"),
                        m.unit
                    ),
                };
                if confirmed {
                    value.push_str(" (unusual, confirmed)");
                }
                format!("{name} {value} at {}", m.at)
            }
            Entry::Procedure(p) => {
                let mut s = match &p.status_reason {
                    Some(r) => format!("{} ({}, reason: {r})", p.name, p.status),
                    None => format!("{} ({})", p.name, p.status),
                };
                if let Some(d) = &p.date {
                    s.push_str(&format!(", on {d}"));
                }
                s
            }
            Entry::Series(s) => s.summary(),
            Entry::Note(n) => {
                let first: String = n
                    .text
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect();
                match &n.title {
                    Some(t) => format!("{t}: {first}"),
                    None => first,
                }
            }
            Entry::Document(d) => format!("{} ({}, {} bytes)", d.title, d.doc_type, d.blob.size),
            Entry::Profile(p) => {
                let mut s = p.name.clone();
                if let Some(b) = &p.birth_date {
                    s.push_str(&format!(", born {b}"));
                }
                if let Some(g) = p.blood_group {
                    s.push_str(&format!(", blood group {g}"));
                }
                s
            }
            Entry::NoneKnown(n) => n.ips_code().display.unwrap_or_default(),
        }
    }

    /// The date that places this entry on a timeline, when it has one.
    pub fn clinical_date(&self) -> Option<SortKey> {
        match self {
            Entry::Condition(c) => c.onset.as_ref().map(Date::sort_key),
            Entry::Medication(m) => m.start.as_ref().map(Date::sort_key),
            Entry::Immunization(i) => i.date.as_ref().map(Date::sort_key),
            Entry::Measurement(m) => Some(m.at.sort_key()),
            Entry::Document(d) => Some(d.date.sort_key()),
            Entry::NoneKnown(n) => Some(n.asserted.sort_key()),
            Entry::Procedure(p) => p.date.as_ref().map(Date::sort_key),
            Entry::Series(s) => Some(s.data.start().sort_key()),
            _ => None,
        }
    }

    /// The same date as text, for display.
    pub fn clinical_date_text(&self) -> Option<String> {
        match self {
            Entry::Condition(c) => c.onset.as_ref().map(ToString::to_string),
            Entry::Medication(m) => m.start.as_ref().map(ToString::to_string),
            Entry::Immunization(i) => i.date.as_ref().map(ToString::to_string),
            Entry::Measurement(m) => Some(m.at.to_string()),
            Entry::Document(d) => Some(d.date.to_string()),
            Entry::NoneKnown(n) => Some(n.asserted.to_string()),
            Entry::Procedure(p) => p.date.as_ref().map(ToString::to_string),
            Entry::Series(s) => Some(s.data.start().to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(t: &str) -> Entry {
        Entry::Note(Note {
            text: t.into(),
            title: None,
        })
    }

    #[test]
    fn enums_parse_case_insensitively_and_list_choices() {
        assert_eq!("HIGH".parse::<Criticality>().unwrap(), Criticality::High);
        assert_eq!(
            "unable-to-assess".parse::<Criticality>().unwrap(),
            Criticality::UnableToAssess
        );
        assert_eq!("ab-".parse::<BloodGroup>().unwrap(), BloodGroup::AbNeg);
        assert_eq!(
            "on-hold".parse::<MedicationStatus>().unwrap(),
            MedicationStatus::OnHold
        );
        let err = "extreme".parse::<Criticality>().unwrap_err().to_string();
        assert!(err.contains("low, high, unable-to-assess"), "{err}");
        assert!("C+".parse::<BloodGroup>().is_err());
    }

    #[test]
    fn validation_refuses_empty_long_and_reversed() {
        assert!(note("ok").validate().is_ok());
        assert!(matches!(
            note("  ").validate(),
            Err(RecordError::Empty("text"))
        ));
        assert!(matches!(
            note(&"x".repeat(MAX_FIELD + 1)).validate(),
            Err(RecordError::TooLong { .. })
        ));
        let m = Entry::Medication(Medication {
            name: "X".into(),
            code: None,
            dosage: None,
            start: Some("2024-05-01".parse().unwrap()),
            end: Some("2024-01-01".parse().unwrap()),
            status: MedicationStatus::Active,
            status_reason: None,
        });
        assert!(matches!(
            m.validate(),
            Err(RecordError::PeriodReversed { .. })
        ));
        let n = Entry::NoneKnown(NoneKnown {
            section: SectionId::Notes,
            asserted: "2024".parse().unwrap(),
        });
        assert!(n.validate().is_err());
    }

    #[test]
    fn json_form_is_tagged_and_round_trips() {
        let e = Entry::Allergy(Allergy {
            substance: "Peanut".into(),
            code: Some(Code::parse("snomed|91935009").unwrap()),
            criticality: Some(Criticality::High),
            reaction: None,
            onset: None,
        });
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "allergy");
        assert_eq!(v["criticality"], "high");
        assert!(v.get("reaction").is_none());
        assert_eq!(serde_json::from_value::<Entry>(v).unwrap(), e);
        let nk = Entry::NoneKnown(NoneKnown {
            section: SectionId::Allergies,
            asserted: "2024-01-02".parse().unwrap(),
        });
        let v = serde_json::to_value(&nk).unwrap();
        assert_eq!(v["type"], "none-known");
        assert_eq!(nk.summary(), "No known allergies");
        assert_eq!(nk.section(), SectionId::Allergies);
    }

    #[test]
    fn blob_keys_do_not_show_in_debug() {
        let b = BlobRef {
            id: "ab".into(),
            key: "deadbeefdeadbeef".into(),
            size: 1,
            media_type: "text/plain".into(),
            file_name: None,
            sha1: None,
        };
        assert!(!format!("{b:?}").contains("deadbeef"));
    }

    #[test]
    fn past_events_cannot_be_dated_in_the_future() {
        let now: DateTime = "2026-11-30T12:00:00Z".parse().unwrap();
        let imm = |d: &str| {
            Entry::Immunization(Immunization {
                vaccine: "Influenza".into(),
                code: None,
                date: Some(d.parse().unwrap()),
                lot: None,
                status: Default::default(),
                status_reason: None,
                date_text: None,
            })
        };
        let e = imm("2030-10-15").check_dates(&now).unwrap_err().to_string();
        assert!(e.contains("2030-10-15") && e.contains("after today"), "{e}");
        assert!(imm("2026-11-30").check_dates(&now).is_ok());
        assert!(imm("2026").check_dates(&now).is_ok(), "this year has begun");
        assert!(imm("2026-12").check_dates(&now).is_err());
        let m = |at: &str| {
            Entry::Measurement(
                Measurement::from_input("weight", "70", "kg", at.parse().unwrap(), None).unwrap(),
            )
        };
        assert!(
            m("2026-11-30T12:05:00Z").check_dates(&now).is_ok(),
            "clock skew"
        );
        let e = m("2026-12-01T08:00:00Z")
            .check_dates(&now)
            .unwrap_err()
            .to_string();
        assert!(e.contains("in the future"), "{e}");
        let med = |status: MedicationStatus| {
            Entry::Medication(Medication {
                name: "Metformin".into(),
                code: None,
                dosage: None,
                start: Some("2027-01-01".parse().unwrap()),
                end: None,
                status,
                status_reason: None,
            })
        };
        assert!(med(MedicationStatus::Active).check_dates(&now).is_err());
        assert!(med(MedicationStatus::Intended).check_dates(&now).is_ok());
    }

    #[test]
    fn values_are_shown_without_binary_noise() {
        assert_eq!(number_text(119.99999999999999), "120");
        assert_eq!(number_text(80.00000000000001), "80");
        assert_eq!(number_text(5.4), "5.4");
        assert_eq!(number_text(0.0001234), "0.000123");
        let mut m = Measurement::from_input(
            "blood-pressure",
            "120/80",
            "mmHg",
            "2024-01-01T08:00:00Z".parse().unwrap(),
            None,
        )
        .unwrap();
        m.components[0].value = 119.99999999999999;
        assert_eq!(
            Entry::Measurement(m.clone()).summary(),
            "Blood pressure 120/80 mm[Hg] at 2024-01-01T08:00:00Z"
        );
        m.confirm_unusual();
        assert_eq!(
            Entry::Measurement(m).summary(),
            "Blood pressure 120/80 mm[Hg] (unusual, confirmed) at 2024-01-01T08:00:00Z"
        );
    }
}
