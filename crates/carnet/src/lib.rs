//! Carnet's embeddable core: a patient-held, end-to-end-encrypted health record.
//!
//! This crate owns the [`Vault`]: one person's identity, keys and records on one device,
//! and every operation on them (add, edit, remove, list, attach, receive changes). Apps and
//! the `carnet` command line are thin layers over it.
//!
//! It must never print, prompt, or log health data or secrets; it returns typed values and
//! typed [`Error`]s and leaves all output to its caller.
//!
//! # Two surfaces
//! - The app's: [`Vault`], the person's operations (create, open, add, list, share,
//!   bundles, backups, devices, settings). An app needs only this one.
//! - The sync engine's: [`SyncEngine`], reached with [`Vault::engine`], for transports
//!   such as `carnet-sync` (live) and `carnet-mailbox` (deposits): what a peer holds and
//!   lacks ([`SyncEngine::have_for`]), batches sent and received
//!   ([`SyncEngine::send_batch`], [`SyncEngine::receive_items_from`]) and their commits,
//!   this device's network key and certificate, linking a device, raw envelopes.
//!
//! Reach first for [`Vault::create`] and [`Vault::open`], then [`Vault::add`] and
//! [`Vault::list`] on [`Vault::own_record`]; for imports (FHIR bundles, device exports),
//! [`Vault::import`], which commits many entries and series of readings as a few
//! envelopes, idempotently. To share: [`Vault::add_contact`], [`Vault::grant`], then
//! [`Vault::export_bundle`] / [`Vault::import_bundle`] (offline), or the [`SyncEngine`]
//! (see [`exchange`]) for another transport. A clinician finds shared records with
//! [`Vault::patients`]. Examples: `quickstart` and `share_offline` in `examples/`.
//!
//! # Guarantees
//! - Confidentiality at rest: every change is an [`carnet_crypto::Envelope`] sealed under
//!   the section's epoch key; keys, snapshots and the person's secret keys are sealed with
//!   the device master key, itself wrapped with the passphrase. No plaintext health data is
//!   written to disk.
//! - Integrity and attribution: every change is signed by its author's key and carries only
//!   changes made by that author's device; envelopes are verified again whenever they are
//!   read back from disk.
//! - Atomicity and durability: each operation is one redb transaction (the envelope, its
//!   chain index, any attachment blob and any snapshot together); a crash at any instant
//!   leaves the vault as before or after the operation, and it opens.
//! - Concurrent writers: any number of handles, in one process or many, may write one
//!   vault at once. Every edit is made on the section as stored inside its own write
//!   transaction (redb lets one writer in at a time), so no change is lost and no two
//!   changes take the same Automerge sequence number. A vault broken that way by an older
//!   build is repaired as its sections load, or whole by [`Vault::repair`].
//! - Bad input is refused with an [`Error`] and changes nothing.
//! - Sharing: a grantee receives exactly the sections under a grant in force, and the
//!   record's patient takes a change only from an author allowed to write it at the point
//!   it arrives; an exchange is taken all or nothing. What a grantee already decrypted
//!   cannot be recalled by a revoke.
//!
//! ```no_run
//! use carnet::{CreateOptions, Vault};
//! use carnet::record::{Entry, Note};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pass = carnet::crypto::secrecy::SecretString::from("a long passphrase".to_string());
//! let created = Vault::create("vault".as_ref(), &pass, &CreateOptions::patient("Alice"))?;
//! // Shown once, never stored: the only key to the vault's backups.
//! let phrase = created.recovery_phrase;
//! # let _ = phrase;
//! let mut vault = created.vault;
//! let record = vault.own_record()?;
//! vault.add(&record, Entry::Note(Note { text: "Feeling better".into(), title: None }))?;
//! for entry in vault.list(&record, None)? {
//!     println!("{} {}", entry.id, entry.entry.summary());
//! }
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backup;
mod bulk;
pub mod bundle;
mod devices;
mod engine;
mod error;
pub mod exchange;
mod files;
mod keys;
mod logcache;
mod mailboxes;
mod own;
mod patients;
mod sharing;
mod takeover;
#[cfg(test)]
mod testing;
pub mod transport;
mod vault;
pub mod wire;

pub use backup::{BackupInfo, BackupSummary, RestoreOptions, RestoreSummary};
pub use bulk::{
    BULK_ATTACHMENT_BYTES, BULK_BATCH_BYTES, BulkReport, ImportItem, LabeledItem, SeriesPoint,
};
pub use bundle::{BundleInfo, ExportSummary, ImportSummary, ItemInfo, PendingExport};
/// What opening, reading or writing the vault on disk can fail with (inside
/// [`Error::Store`]): a wrong passphrase or unlock key, no vault, a vault already there.
pub use carnet_store::StoreError;
pub use devices::{Attempt, DeviceInfo, DeviceRecord, MAX_ATTEMPTS, PeerStanding, SETTINGS};
pub use engine::SyncEngine;
pub use error::{
    Damage, DeviceError, EnvelopeFault, Error, ExchangeError, RecoveryError, Refusal, Result,
    SettingError, SharingError,
};
pub use patients::SharedRecord;
pub use sharing::{Contact, GrantInfo, LogLine};
pub use takeover::TakeoverSummary;
pub use vault::{
    AttachmentInput, CreateOptions, Created, EditView, EntryRef, EntryView, Excluded, HistoryView,
    MAX_ATTACHMENT, ReceiveReport, RepairReport, SNAPSHOT_EVERY, Vault, actor_for, store_exists,
};

/// The consent log and its verification.
pub use carnet_consent as consent;
/// Identities, keys and envelopes.
pub use carnet_crypto as crypto;
/// The record model: sections and typed entries.
pub use carnet_record as record;
