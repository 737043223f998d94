//! Carnet's record model: the eight sections of a health record, the typed entries they
//! hold, and the Automerge document behind each section.
//!
//! This crate owns [`SectionId`], [`EntryId`], the entry kinds ([`Allergy`],
//! [`Condition`], [`Procedure`], [`Medication`], [`Immunization`], [`Measurement`],
//! [`Series`], [`Note`], [`Document`], [`Profile`], [`NoneKnown`]) with their validation, coded values kept as
//! (system, code, display) so FHIR round-trips, and [`SectionDoc`], a section's Automerge
//! document. [`ChangeSet`] is the Automerge changes of one commit: the plaintext of one
//! envelope.
//!
//! It must never do cryptography, I/O, printing or logging: it turns typed entries into
//! CRDT changes and back. The Automerge layout is an implementation detail behind the
//! typed API.
//!
//! Reach first for [`SectionDoc::insert`] and [`SectionDoc::entries`]; build measurements
//! from what a person typed with [`Measurement::from_input`]; pack device readings into
//! [`Series`] blocks with [`ReadingSet::pack`] (see the `series` module docs for why and
//! how: dense series are compact immutable blocks, not one CRDT object per reading).
//!
//! # Guarantees
//! - Convergence: documents that received the same changes show the same entries,
//!   whatever the order (property-tested).
//! - Field-level merges: concurrent edits of different fields of one entry both survive.
//! - Decoding untrusted change sets and series blocks is bounded and never panics.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod code;
mod doc;
mod entry;
mod error;
mod measure;
mod section;
mod series;
mod time;

pub use code::{Code, systems};
pub use doc::{
    ChangeSet, FieldWrite, HistoryKind, HistoryStep, MAX_CHANGES, Reissued, SectionDoc, StoredEntry,
};
pub use entry::{
    Allergy, BlobRef, BloodGroup, Component, Condition, ConditionStatus, Criticality, DocType,
    Document, EmergencyContact, Entry, IPS_ABSENT_SYSTEM, Identifier, Immunization,
    ImmunizationStatus, MAX_FIELD, Measurement, Medication, MedicationStatus, NoneKnown, Note,
    Onset, Procedure, ProcedureStatus, Profile, ReferenceRange, Sex,
};
pub use error::RecordError;
pub use measure::{
    MeasurementKind, UNUSUAL_CONFIRMED, Unusual, kind_names, parse_decimal, ucum_unit,
};
pub use section::{EntryId, SectionId};
pub use series::{Censor, Packed, Reading, ReadingSet, Series, SeriesBlock};
pub use time::{Date, DateTime, SortKey};
