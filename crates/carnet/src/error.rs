use carnet_crypto::CryptoError;
use carnet_record::{EntryId, RecordError, SectionId};
use carnet_store::StoreError;
use thiserror::Error;

/// Everything a vault operation can refuse or fail with. Messages say what went wrong and
/// what to do; none contains health data or key material.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The vault on disk could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A cryptographic check or operation failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// An entry or change is not acceptable to the record.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// No entry with that id in the record.
    #[error("no entry {0} in this record; `carnet list` shows the ids")]
    NotFound(EntryId),
    /// No entry's id starts with what was given.
    #[error("no entry's id starts with {0} in this record; `carnet list` shows the ids")]
    NoEntryWithPrefix(String),
    /// Several entries' ids start with what was given.
    #[error("{prefix} is the start of several ids ({}): give more of it", matches.join(", "))]
    AmbiguousId {
        /// What was given.
        prefix: String,
        /// The ids it starts.
        matches: Vec<String>,
    },
    /// The entry exists but is not an attachment.
    #[error("entry {0} is not an attachment (only `documents` entries have a file)")]
    NotAnAttachment(EntryId),
    /// This vault's owner has no record of their own.
    #[error("this vault belongs to a {role}, who has no record of their own")]
    NoOwnRecord {
        /// The owner's role.
        role: &'static str,
    },
    /// This vault holds no key to write or read that section of that record.
    #[error("no key for section {section} of record {record}: it was not shared with you")]
    NoKey {
        /// The section.
        section: SectionId,
        /// The record (short id).
        record: String,
    },
    /// The section was shared read-only (or the write grant ended).
    #[error(
        "you may read section {section} of record {record} but not write it: the patient granted read access only, or your write access ended"
    )]
    ReadOnly {
        /// The section.
        section: SectionId,
        /// The record (short id).
        record: String,
    },
    /// A stored or received envelope failed verification.
    #[error("envelope {id} (section {section}) is not genuine: {why}")]
    BadEnvelope {
        /// The envelope id (short form).
        id: String,
        /// The section code or name it claims.
        section: String,
        /// What failed.
        why: String,
    },
    /// The author of a change may not write where it writes.
    #[error(
        "envelope {id} was written by {author}, who may not write section {section} of this record; nothing was imported"
    )]
    NotAllowed {
        /// The envelope id.
        id: String,
        /// The author (short id).
        author: String,
        /// The section.
        section: String,
    },
    /// A stored attachment is missing or altered.
    #[error("the file of attachment {0} is missing or damaged; restore the vault from a backup")]
    AttachmentDamaged(EntryId),
    /// A sharing operation (contact, grant, revoke, block) was refused.
    #[error("{0}")]
    Sharing(String),
    /// The consent log refused an entry or does not verify.
    #[error(transparent)]
    Consent(#[from] carnet_consent::ConsentError),
    /// Data from a peer or a bundle file is malformed, truncated, out of order or does not
    /// continue what this vault holds.
    #[error("{0}")]
    Exchange(String),
    /// An exchange was refused by policy (not the right sender, nothing to send).
    #[error("{0}")]
    Refused(String),
    /// The sender is a stranger to this vault (not a contact, not a grantee, not a
    /// patient who shared a record with its owner, not one of its owner's devices) and
    /// shares nothing with it: nothing they sent is taken.
    #[error(
        "this comes from {name} ({id}), who is not among your contacts, grantees or patients and shares nothing with you: nothing was taken. If you know them, add them with `carnet contact add NAME CARD` first"
    )]
    Stranger {
        /// The name on their card.
        name: String,
        /// Their short id.
        id: String,
    },
    /// The other party is blocked: nothing goes to them and nothing from them is taken.
    #[error("{name} is blocked: nothing is sent to them and nothing from them is accepted")]
    Blocked {
        /// Their name (or short id).
        name: String,
    },
    /// Nothing is shared between the two parties.
    #[error(
        "nothing is shared with {name}: they hold no grant in force on your record, and you hold no key to theirs (`carnet grants` shows your grants)"
    )]
    NothingShared {
        /// Their name (or short id).
        name: String,
    },
    /// This bundle was imported before.
    #[error("this bundle was already imported; nothing was changed (a replayed bundle is refused)")]
    AlreadyImported,
    /// An attachment is larger than a vault accepts.
    #[error("the file is {size} bytes; attachments are limited to {max} bytes")]
    AttachmentTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
}

impl Error {
    /// Names the item of an exchange an error is about (the `n`th, of kind `kind`), so a
    /// refusal says which part of a bundle was bad.
    pub(crate) fn in_item(self, n: usize, kind: &str) -> Error {
        match self {
            Error::Exchange(m) => Error::Exchange(format!("item {n} ({kind}): {m}")),
            Error::Consent(e) => Error::Exchange(format!("item {n} ({kind}): {e}")),
            Error::Crypto(e) => Error::Exchange(format!("item {n} ({kind}): {e}")),
            other => other,
        }
    }
}

/// Shorthand for results of vault operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
