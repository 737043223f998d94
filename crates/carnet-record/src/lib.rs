//! Carnet's record model: the eight sections of a health record, the typed entries they
//! hold, and the Automerge document behind each section.
//!
//! This crate owns [`SectionId`], [`EntryId`], the entry kinds ([`Allergy`],
//! [`Condition`], [`Medication`], [`Immunization`], [`Measurement`], [`Note`],
//! [`Document`], [`Profile`], [`NoneKnown`]) with their validation, coded values kept as
//! (system, code, display) so FHIR round-trips, and [`SectionDoc`], a section's Automerge
//! document. [`ChangeSet`] is the Automerge changes of one commit: the plaintext of one
//! envelope.
//!
//! It must never do cryptography, I/O, printing or logging: it turns typed entries into
//! CRDT changes and back. The Automerge layout is an implementation detail behind the
//! typed API.
//!
//! Reach first for [`SectionDoc::insert`] and [`SectionDoc::entries`]; build measurements
//! from what a person typed with [`Measurement::from_input`].
//!
//! # Guarantees
//! - Convergence: documents that received the same changes show the same entries,
//!   whatever the order (property-tested).
//! - Field-level merges: concurrent edits of different fields of one entry both survive.
//! - Decoding untrusted change sets is bounded and never panics.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod code;
mod doc;
mod entry;
mod error;
mod measure;
mod section;
mod time;

pub use code::{Code, systems};
pub use doc::{ChangeSet, MAX_CHANGES, SectionDoc, StoredEntry};
pub use entry::{
    Allergy, BlobRef, BloodGroup, Component, Condition, ConditionStatus, Criticality, DocType,
    Document, EmergencyContact, Entry, IPS_ABSENT_SYSTEM, Immunization, MAX_FIELD, Measurement,
    Medication, MedicationStatus, NoneKnown, Note, Profile, Sex,
};
pub use error::RecordError;
pub use measure::{MeasurementKind, kind_names};
pub use section::{EntryId, SectionId};
pub use time::{Date, DateTime, SortKey};
