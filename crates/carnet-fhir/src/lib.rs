//! Carnet's interoperability: FHIR R4 in and out, the International Patient Summary, and
//! the CSV exports of glucose meters.
//!
//! This crate owns the mapping between FHIR R4 JSON and Carnet's typed entries
//! ([`read_bundle`], [`export_bundle`], [`export_ips`]), the structural validation of
//! what it imports (HL7's R4 JSON Schema, reduced to `r4.json` by
//! `scripts/gen-r4-schema.py`), and the parsers of device exports ([`read_device_csv`]).
//!
//! It must never touch a vault, a store, a file or a terminal: it turns bytes it is given
//! into entries, and entries into JSON values. It never prints.
//!
//! Reach first for [`read_bundle`] (then commit its [`Import`] with the `carnet` core's
//! bulk import), and [`export_bundle`] / [`export_ips`] with a [`RecordExport`].
//!
//! # Guarantees
//! - An import is validated and mapped whole before anything is returned: one problem in
//!   any entry and the result is an error naming the entry, the resource and the element
//!   (`entry 266 (Observation/abc): effectivePeriod.stop is not an R4 element of Period;
//!   did you mean effectivePeriod.end?`).
//! - Nothing is dropped silently: every resource not mapped is counted by type, with the
//!   reason, in [`Import::skipped`] and [`Import::reasons`].
//! - Bounded: inputs over [`MAX_BUNDLE_BYTES`] / [`MAX_CSV_BYTES`] are refused before
//!   parsing; JSON nesting is bounded by serde_json's recursion limit; no panic on any
//!   input (fuzzed).
//! - Codes stay (system, code, display); units stay UCUM; dates keep their precision where
//!   the record keeps dates (conditions, medications, immunizations, procedures).
//! - Exports validate against both layers of the project's FHIR validator (HL7 R4 JSON
//!   Schema and fhir.resources), checked in CI on every shared bundle.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod devices;
mod error;
mod export;
mod identity;
mod import;
mod schema;
mod spool;

pub use devices::{
    DeviceFormat, DeviceImport, DeviceOptions, MAX_CSV_BYTES, MAX_READINGS_PER_IMPORT,
    read_device_csv, read_device_csv_with,
};
pub use error::{FhirError, Problem};

/// The words that end the refusal of a value outside what is usual (or outside what a
/// device measures): the caller says how to confirm such values (the command line adds its
/// `--confirm-unusual`). Messages name no option of any interface.
pub const CONFIRM_UNUSUAL: &str = "confirming unusual values";
pub use export::{
    Export, IpsSection, RecordEntry, RecordExport, export_bundle, export_ips, ips_sections,
};
pub use identity::{PatientIdentity, dates_agree, differences, names_match, profile_differences};
pub use import::{
    Import, Item, MAX_BUNDLE_BYTES, MAX_HELD_BYTES, MAX_RESOURCE_BYTES, Mapped, NewDocument,
    ReadOptions, read_bundle, read_bundle_from, read_bundle_with,
};
pub use spool::MAX_ATTACHMENT_BYTES;
