//! Carnet's consent log: who was granted what, what was revoked and blocked, which keys
//! were delivered and which changes were served, signed by the patient, hash-linked, in an
//! RFC 6962 Merkle tree with C2SP signed checkpoints, and verifiable offline by an
//! auditor who sees no health data.
//!
//! This crate owns the entry format ([`SignedEntry`], [`Action`]), the log
//! ([`ConsentLog`]: append, Merkle roots, checkpoints, consistency checks) and the
//! auditor's export and verification ([`AuditExport`], [`verify`]). It uses `tlog_tiles`
//! for the tree and proofs and `signed_note` for checkpoints rather than its own.
//!
//! It must never hold health data: sections appear as salted commitments
//! ([`SectionTag`]), purposes as commitments, people as public keys and cards. It never
//! prints and never touches the disk.
//!
//! Reach first for [`ConsentLog::append`] and [`ConsentLog::checkpoint`] on the patient's
//! side, [`SharedView`] on a grantee's (the entries about them, each with an inclusion
//! proof), and [`AuditExport::from_json`] + [`verify_with`] on the auditor's, with the
//! patient's person id as trust root ([`Pins`]).
//!
//! # Guarantees
//! - Any removed, reordered, altered or inserted entry is detected (index, hash link,
//!   signature), and so is any rewrite of history under a checkpoint the auditor kept
//!   (consistency proof).
//! - Every key delivery and every served or received batch is checked against the grants
//!   valid at that entry's time.
//! - Given the patient's person id, a log signed by anyone else is refused, whatever name
//!   its card bears; given a size or checkpoint seen before, a log cut back below it is.
//!
//! - Grantees are witnesses: they cosign each checkpoint they receive ([`Cosigned`], the
//!   C2SP tlog-cosignature format); given a witness's cosignature, a log shorter than the
//!   size it cosigned, or whose root at that size differs, is refused.
//!
//! # Limits
//! A fork or a cut-back shown to an auditor is caught only against cosignatures the
//! auditor holds (from the export, or from the witnesses themselves): a log holder who
//! strips them from its export and faces an auditor who asks no witness is not caught.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod audit;
mod entry;
mod error;
mod log;
mod shared;
mod witness;

pub use audit::{
    AuditExport, MAX_EXPORT_BYTES, Newest, Pins, Report, SupersededSeen, TakeoverSeen,
    Verification, WitnessNote, WitnessSeen, verify, verify_with,
};
pub use entry::{
    Access, Action, Branch, DeviceRemoval, Entry, GrantId, MAX_ENTRY_BYTES, MAX_REMOVAL_BYTES,
    Range, RetiredHead, SectionTag, SignedEntry, TakeoverClaim,
};
pub use error::ConsentError;
pub use log::{
    ConsentLog, LogTail, MAX_PROOF_HASHES, check_consistency, check_inclusion, key_for_size,
    origin, verify_checkpoint, verify_checkpoint_by,
};
pub use shared::{CheckpointUpdate, HeldGrant, SharedView};
/// A parsed C2SP tlog checkpoint (origin, size, root).
pub use tlog_tiles::checkpoint::Checkpoint;
pub use witness::{Cosigned, MAX_COSIGNED_BYTES, Witnessed, witness_name};
