//! The errors of vault operations.
//!
//! Every error has a **stable code** ([`Error::code`]): a short lowercase dotted name such
//! as `"exchange.truncated"`, `"sharing.no_contact"` or `"store.wrong_passphrase"`. Codes
//! are stable API: a code never changes nor changes meaning once released, and a new kind of
//! error takes a new code. Apps match on the typed variants or on the code (to log it, to
//! pick their own wording, to add their own hint); the messages are English and may be
//! reworded. Messages say what went wrong and what to do, in words for any caller: they
//! name no command of any particular interface (the command line adds its own hints), and
//! none contains health data or key material.

use std::path::{Path, PathBuf};

use carnet_consent::ConsentError;
use carnet_crypto::{CryptoError, PersonId};
use carnet_record::{EntryId, RecordError, SectionId};
use carnet_store::StoreError;
use thiserror::Error;

/// Everything a vault operation can refuse or fail with. Messages say what went wrong and
/// what to do; none contains health data or key material. Each variant has a stable code
/// ([`Error::code`]).
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
    #[error("no entry {0} in this record")]
    NotFound(EntryId),
    /// No entry's id starts with what was given.
    #[error("no entry's id starts with {0} in this record")]
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
    #[error("entry {0} is not an attachment (only entries of the documents section have a file)")]
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
        /// What failed (boxed: it holds the lower layer's error, and `Error` stays small).
        why: Box<EnvelopeFault>,
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
    /// A sharing operation (contact, grant, revoke, block, naming a patient) was refused.
    #[error(transparent)]
    Sharing(#[from] SharingError),
    /// The consent log refused an entry or does not verify.
    #[error(transparent)]
    Consent(#[from] ConsentError),
    /// Data from a peer, a bundle or a backup is malformed, truncated, out of order or does
    /// not continue what this vault holds.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// An exchange was refused by policy (not the right sender, not addressed to you).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A backup, restore, recovery phrase or takeover was refused.
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
    /// Managing this person's devices was refused, or must happen on another device.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// A setting name or value was refused.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// Something this vault stores is damaged or missing.
    #[error(transparent)]
    Damaged(#[from] Damage),
    /// An item of an exchange (the `n`th, of kind `kind`) was refused: which part of a
    /// bundle or sync was bad. Its code is its source's.
    #[error("item {n} ({kind}): {source}")]
    InItem {
        /// Its place in the exchange (from 1).
        n: usize,
        /// Its kind.
        kind: &'static str,
        /// What was wrong with it.
        source: Box<Error>,
    },
    /// The sender is a stranger to this vault (not a contact, not a grantee, not a
    /// patient who shared a record with its owner, not one of its owner's devices) and
    /// shares nothing with it: nothing they sent is taken.
    #[error(
        "this comes from {name} ({id}), who is not among your contacts, grantees or patients and shares nothing with you: nothing was taken. If you know them, add them as a contact from their card first"
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
        "nothing is shared with {name}: they hold no grant in force on your record, and you hold no key to theirs"
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
    /// The file to write already exists: nothing was overwritten.
    #[error("{} already exists; nothing was overwritten", path.display())]
    OutputExists {
        /// The file.
        path: PathBuf,
    },
    /// A file given to read is not a Carnet file of the kind expected.
    #[error("{} is not a Carnet {what} (a {what} starts with \"{}\")", path.display(), String::from_utf8_lossy(magic).trim_end())]
    NotACarnetFile {
        /// The file.
        path: PathBuf,
        /// The kind of file expected (`"bundle"`, `"backup"`).
        what: &'static str,
        /// How such a file starts.
        magic: &'static [u8],
    },
    /// An operating-system error on a file, or on the stream of an exchange.
    #[error("{action}{}: {source}", path.as_deref().map(|p| format!(" {}", p.display())).unwrap_or_default())]
    Io {
        /// What was being done (`"cannot write"`).
        action: &'static str,
        /// On which file, if a file.
        path: Option<PathBuf>,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A value could not be encoded to be stored or sent (a bug: please report it).
    #[error("cannot encode {what}: {detail}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// What the encoder reported.
        detail: String,
    },
    /// Something an operation had just put in place is gone (a bug: please report it).
    #[error("{what} vanished during the operation; nothing was changed")]
    Vanished {
        /// What vanished.
        what: &'static str,
    },
}

/// A sharing operation was refused: contacts, grants, blocks, and naming a patient or a
/// person. Part of [`Error::Sharing`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SharingError {
    /// No contact has that name (or id).
    #[error("no contact named \"{name}\"")]
    NoContact {
        /// The name asked for.
        name: String,
    },
    /// A contact name that is empty, too long or holds control characters.
    #[error("a contact name must be 1 to {max} printable characters")]
    BadContactName {
        /// The longest name accepted, in bytes.
        max: usize,
    },
    /// The card given is this vault owner's own.
    #[error("that is your own card")]
    OwnCard,
    /// Another contact already has that name.
    #[error("a contact named \"{name}\" already exists")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// The card is already a contact's, under another name.
    #[error("this card is already in your contacts as \"{name}\"")]
    AlreadyContact {
        /// The name it is known by.
        name: String,
    },
    /// The record has no consent log of this vault's owner: it is not their own.
    #[error("this record has no consent log kept here: it is not your own record")]
    NotYourRecord,
    /// A grant names no section.
    #[error("name at least one section to share")]
    NoSections,
    /// A grant's purpose is empty or too long.
    #[error("give a purpose (1 to {max} characters): it is shown in your access log")]
    BadPurpose {
        /// The longest purpose accepted, in bytes.
        max: usize,
    },
    /// A grant's end date is already past.
    #[error("the end date of the grant is already past")]
    EndInPast,
    /// A grant to a blocked contact.
    #[error("{name} is blocked; nothing can be granted to them")]
    GrantToBlocked {
        /// The contact.
        name: String,
    },
    /// The contact is already blocked.
    #[error("this contact is already blocked")]
    AlreadyBlocked,
    /// No grant has that id.
    #[error("no grant {id}")]
    NoGrant {
        /// The grant id.
        id: String,
    },
    /// The grant was revoked before.
    #[error("grant {id} is already revoked")]
    AlreadyRevoked {
        /// The grant id.
        id: String,
    },
    /// No patient has shared a record with this vault's owner.
    #[error("no patient has shared a record with you yet; import a bundle of theirs first")]
    NoPatients,
    /// No patient of that name or id.
    #[error("no patient \"{query}\" among those who shared a record with you")]
    NoPatient {
        /// What was asked for.
        query: String,
    },
    /// Several patients answer to that name.
    #[error("\"{query}\" names several patients; use their id")]
    AmbiguousPatient {
        /// What was asked for.
        query: String,
    },
    /// No contact or patient of that name or id.
    #[error("no contact or patient named \"{query}\"")]
    NoPerson {
        /// What was asked for.
        query: String,
    },
    /// Several contacts or patients answer to that name.
    #[error("\"{query}\" names several people; use their id")]
    AmbiguousPerson {
        /// What was asked for.
        query: String,
    },
}

/// Data from a peer, a bundle, a backup or a link is malformed, truncated, out of order or
/// does not continue what this vault holds. Part of [`Error::Exchange`]. `what` fields name
/// the data (`"the bundle"`, `"the backup"`, `"the data"`).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The data ends before its end.
    #[error("{what} ends too early: it was truncated")]
    Truncated {
        /// What ends early.
        what: &'static str,
    },
    /// The data does not start with its header.
    #[error("{what} does not start with its header: it is damaged or not from Carnet")]
    NoHeader {
        /// What lacks a header.
        what: &'static str,
    },
    /// A second header in the middle of the data.
    #[error("{what} holds a second header: it was spliced")]
    SecondHeader {
        /// What holds it.
        what: &'static str,
    },
    /// Data after the end.
    #[error("{what} holds data after its signature: it was altered")]
    TrailingData {
        /// What holds it.
        what: &'static str,
    },
    /// A format version this build does not read.
    #[error(
        "{what} has format version {version}, which this version of Carnet does not read; update Carnet"
    )]
    UnsupportedVersion {
        /// What carries the version.
        what: &'static str,
        /// The version found.
        version: u8,
    },
    /// A frame larger than allowed.
    #[error("a frame of {size} bytes is over the {max}-byte limit")]
    FrameTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Bytes that do not decode as what they should be.
    #[error("{what} does not decode ({detail}): it is damaged or not from Carnet")]
    Undecodable {
        /// What was being decoded.
        what: &'static str,
        /// What the decoder reported.
        detail: String,
    },
    /// Sealed data that cannot be opened or read.
    #[error("{what} is damaged: {source}")]
    Unreadable {
        /// What was being read.
        what: &'static str,
        /// Why it could not be read.
        #[source]
        source: CryptoError,
    },
    /// The count the data announces is not what was read.
    #[error("{what} says it holds {said} items but {read} were read: it was altered")]
    CountMismatch {
        /// What announces the count.
        what: &'static str,
        /// The count announced.
        said: u64,
        /// The count read.
        read: u64,
    },
    /// A signature that is not even a signature.
    #[error("the signature of {what} is malformed")]
    MalformedSignature {
        /// What carries it.
        what: &'static str,
    },
    /// A signature that does not verify.
    #[error(
        "the signature of {what} does not verify: it was altered, or not made by the card it names"
    )]
    BadSignature {
        /// What carries it.
        what: &'static str,
    },
    /// A backup's signature does not verify against the person it names.
    #[error(
        "the backup's signature does not verify: it was altered, or not made by {name} ({person}) as it claims; nothing was written"
    )]
    BadBackupSignature {
        /// The name on the card the backup names.
        name: String,
        /// That card's person.
        person: PersonId,
    },
    /// A part of the data does not match the rest.
    #[error("{what} was altered: its {part} does not match")]
    Altered {
        /// What was altered.
        what: &'static str,
        /// The part that does not match (`"end"`, `"header"`).
        part: &'static str,
    },
    /// Reading a backup failed on its data.
    #[error("the backup is damaged: {0}")]
    BackupDamaged(Box<ExchangeError>),
    /// The vault rebuilt from a backup or a link does not verify: it was not kept.
    #[error("the restored vault does not verify, so it was not kept: {0}")]
    RestoredInvalid(Box<Error>),
    /// More of something than an exchange may hold.
    #[error("too many {what} in one exchange")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
    },
    /// A key grant names a section this build does not know.
    #[error("a key grant names an unknown section ({code})")]
    UnknownSection {
        /// The section code.
        code: u8,
    },
    /// An attachment part that no envelope announced.
    #[error("an attachment part that no envelope announced")]
    UnannouncedAttachment,
    /// An attachment larger than a vault takes.
    #[error("an attachment of {size} bytes is over the {max}-byte limit")]
    AttachmentTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// An attachment resumed from a point this vault does not hold.
    #[error("an attachment resumed from a point this vault does not hold")]
    ResumeMismatch,
    /// Attachment parts out of order or overlapping.
    #[error("attachment parts out of order or overlapping")]
    OutOfOrder,
    /// An attachment whose bytes do not match its id.
    #[error("an attachment does not match its id: it was altered")]
    AttachmentAltered,
    /// Attachments announced that did not arrive whole.
    #[error("{count} attachment(s) announced by envelopes did not arrive whole")]
    AttachmentsIncomplete {
        /// How many.
        count: usize,
    },
    /// Consent entries without the checkpoint that vouches for them.
    #[error("consent entries came without a checkpoint")]
    MissingCheckpoint,
    /// A checkpoint that cannot be checked against the one held (earlier data missing).
    #[error(
        "the patient's consent checkpoint cannot be checked against the one you hold ({held} entries): import their earlier bundles first, or ask them for a full export ({source})"
    )]
    CheckpointGap {
        /// Entries of the checkpoint held.
        held: u64,
        /// What the consent log said.
        #[source]
        source: ConsentError,
    },
    /// An envelope that does not continue what this vault holds of its author's chain.
    #[error("{source}; import the sender's earlier bundles first, or ask them for a full export")]
    ChainGap {
        /// What the store found.
        #[source]
        source: StoreError,
    },
    /// A bundle that continues an earlier one this vault has not imported.
    #[error(
        "this bundle continues an earlier one from {from} that this vault has not imported; import the earlier bundle first, or ask them for a full export"
    )]
    BundleGap {
        /// The sender's name.
        from: String,
    },
    /// A row of a kind that never travels between one's own devices.
    #[error("a device state row of a kind that never travels this way")]
    UnexpectedRow,
    /// A consent row between one's own devices that does not decode.
    #[error("a consent row is damaged")]
    MalformedRow,
    /// The consent logs of this person's devices differ.
    #[error(
        "the consent logs of your devices differ at entry {index}; keep the primary device's log"
    )]
    OwnLogsDiffer {
        /// The first entry that differs.
        index: u64,
    },
    /// An entry of one's own consent log came before the ones it follows.
    #[error("entry {index} of your consent log came before entry {held}")]
    OwnLogOutOfOrder {
        /// The entry.
        index: u64,
        /// The entries held.
        held: u64,
    },
    /// The link between two devices closed before the transfer ended.
    #[error("the link closed before the transfer ended")]
    LinkClosed,
    /// The connection carrying an exchange failed.
    #[error("the connection failed: {0}")]
    Transport(Box<dyn std::error::Error + Send + Sync>),
}

/// An exchange was refused by policy. Part of [`Error::Refused`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Data from this vault's own person, not from one of their other devices.
    #[error("this came from yourself; import it on the other side instead")]
    FromYourself,
    /// A device of this person that is not registered (or was removed).
    #[error("this device of yours is not registered, or was removed: nothing from it is accepted")]
    DeviceNotRegistered,
    /// Something only a record's patient may send came from someone else.
    #[error("{what} come only from the record's patient, and this did not")]
    OnlyFromPatient {
        /// What was sent.
        what: &'static str,
    },
    /// Vault state from a device other than this person's primary device.
    #[error("vault state comes only from your own device that keeps the consent log")]
    OwnStateNotFromPrimary,
    /// An envelope of a record its sender does not own.
    #[error(
        "envelope {envelope} belongs to a record its sender does not own; changes to a record come only from its patient"
    )]
    NotSendersRecord {
        /// The envelope (short id).
        envelope: String,
    },
    /// A cosignature from someone other than a grantee.
    #[error("a cosignature comes only from a grantee, about its patient's log")]
    CosignatureNotFromGrantee,
    /// A device removal from someone other than the device's owner.
    #[error(
        "a device removal comes only from the device's owner, about the record of the one it is sent to"
    )]
    RemovalNotFromOwner,
    /// A bundle sealed to another person's key.
    #[error("this bundle is not addressed to you: it is sealed to another person's key")]
    NotForYou,
    /// A bundle addressed to another person.
    #[error("this bundle is addressed to {to}, not to you")]
    AddressedToOther {
        /// Whom it is addressed to (short id).
        to: String,
    },
}

/// A backup, restore, recovery phrase, recovery shares or takeover was refused. Part of
/// [`Error::Recovery`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RecoveryError {
    /// The vault was made before recovery existed.
    #[error("this vault has no recovery key; it was made before recovery existed")]
    NoRecoveryKey,
    /// The recovery phrase does not open the backup.
    #[error(
        "this recovery phrase does not open this backup (a wrong phrase, or someone else's backup); nothing was written"
    )]
    PhraseDoesNotOpen,
    /// The recovery phrase is not this vault's.
    #[error(
        "this recovery phrase is not the one of this vault: a word is wrong, or it belongs to another vault"
    )]
    NotThisVaultsPhrase,
    /// The recovery phrase is not the one the record declared.
    #[error(
        "this recovery phrase is not the one your record declared: the record cannot be taken over with it"
    )]
    NotDeclaredPhrase,
    /// The backup is of someone other than the person expected.
    #[error(
        "this backup is of {name} ({person}), not of the person expected ({expected}); nothing was written. Check the id you gave, or the file"
    )]
    BackupOfAnother {
        /// The name on the backup's card.
        name: String,
        /// Whose backup it is.
        person: PersonId,
        /// The person expected.
        expected: PersonId,
    },
    /// A holder of recovery shares named twice.
    #[error("{name} is named twice; each holder gets one share")]
    HolderTwice {
        /// The holder.
        name: String,
    },
    /// More holders than shares can be made for.
    #[error("at most {max} holders")]
    TooManyHolders {
        /// The most holders.
        max: usize,
    },
    /// A threshold below 2 or above the number of holders.
    #[error("the threshold must be at least 2 and at most the number of holders ({total})")]
    BadThreshold {
        /// The number of holders.
        total: u8,
    },
    /// A checkpoint given that is not of this record's consent log.
    #[error("the checkpoint given is not one of your record's log: {0}")]
    ForeignCheckpoint(#[source] ConsentError),
    /// Only a patient's record has a consent log to take over.
    #[error("only a patient's record has a consent log to take over")]
    NotAPatient,
}

/// Managing this person's devices was refused, or must happen on another device. Part of
/// [`Error::Device`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// No device answers to that id.
    #[error("no device \"{query}\"")]
    NoDevice {
        /// What was asked for.
        query: String,
    },
    /// Several devices answer to that id.
    #[error("\"{query}\" names several devices; give more of its id")]
    AmbiguousDevice {
        /// What was asked for.
        query: String,
    },
    /// A device cannot remove itself.
    #[error("that is this device; remove it from another one")]
    ThisDevice,
    /// The device was removed before.
    #[error("that device is already removed")]
    AlreadyRemoved,
    /// This must happen on the primary device.
    #[error(
        "consent actions and exchanges with others (grants, revokes, contacts, bundles, syncs with other people) happen on your primary device ({primary}); do this there, or sync this device with it"
    )]
    NotPrimary {
        /// The primary device (short id).
        primary: String,
    },
    /// This device holds only its own key, not the person's identity key.
    #[error(
        "this device does not hold your identity key, only its own: consent actions, exchanges with others and backups happen on your primary device; do this there"
    )]
    NoIdentityKey,
}

/// A setting name or value was refused. Part of [`Error::Setting`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SettingError {
    /// No setting of that name.
    #[error("no setting \"{name}\"; settings: {}", known.join(", "))]
    Unknown {
        /// The name given.
        name: String,
        /// The settings there are.
        known: Vec<&'static str>,
    },
    /// A value the setting does not take.
    #[error("{name} is {}, not \"{value}\"", setting_values(name))]
    Invalid {
        /// The setting.
        name: String,
        /// The value given.
        value: String,
    },
}

/// The values a setting takes, in words.
fn setting_values(name: &str) -> &'static str {
    match name {
        "relay" => "on, off or a relay server's URL (http://host:port)",
        "port" => "auto or a number from 1 to 65535",
        _ => "on or off",
    }
}

/// Something this vault stores is damaged or missing. Part of [`Error::Damaged`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Damage {
    /// A stored value that does not decode.
    #[error(
        "this vault's {what} cannot be read ({detail}): it is damaged; restore the vault from a backup"
    )]
    Undecodable {
        /// What was being read.
        what: &'static str,
        /// What the decoder reported.
        detail: String,
    },
    /// A stored value that decodes but is wrong.
    #[error("this vault's {what} is damaged; restore the vault from a backup")]
    Invalid {
        /// What is damaged.
        what: &'static str,
    },
    /// A stored value that should be there and is not.
    #[error("this vault's {what} is missing; restore the vault from a backup")]
    Missing {
        /// What is missing.
        what: &'static str,
    },
    /// An attachment of a stored envelope is missing.
    #[error("an attachment of envelope {envelope} is missing from this vault")]
    AttachmentMissing {
        /// The envelope (short id).
        envelope: String,
    },
    /// The consent log holds fewer entries than this device wrote.
    #[error(
        "the consent log holds fewer entries than this device wrote ({wrote}): it was cut short; restore a backup"
    )]
    ConsentCutShort {
        /// The entries this device wrote.
        wrote: u64,
    },
}

/// What failed in an envelope that is not genuine ([`Error::BadEnvelope`]).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EnvelopeFault {
    /// Its bytes do not decode as an envelope.
    #[error("it does not decode ({0})")]
    Undecodable(carnet_crypto::CryptoError),
    /// Its signature, or its author's device certificate, does not check.
    #[error("{0}")]
    Signature(carnet_crypto::CryptoError),
    /// Its bytes are not those its id names.
    #[error("its bytes do not match its id")]
    IdMismatch,
    /// Listed in its chain, but missing from the vault.
    #[error("it is listed in its chain but missing from the vault")]
    Missing,
    /// It does not open with the section's key.
    #[error("it does not open with the section's key ({0})")]
    Unopenable(carnet_crypto::CryptoError),
    /// Its body is not a set of changes.
    #[error("its changes do not decode ({0})")]
    Changes(carnet_record::RecordError),
    /// It carries changes made by another author than its signer.
    #[error("it carries changes made by another author")]
    OthersChanges,
    /// It names a section that does not exist.
    #[error("unknown section code")]
    UnknownSection,
    /// Its changes build on a writer who wrote nothing in this section.
    #[error("its changes build on a writer who wrote nothing in this section")]
    UnknownWriter,
}

impl Error {
    /// The stable code of this error: a lowercase dotted name (`"exchange.truncated"`),
    /// one per kind of error, for apps to match on, log or word in their own language.
    /// Codes are stable API: a code never changes nor changes meaning; new kinds take new
    /// codes. Errors of the other Carnet crates inside keep their own codes
    /// ([`StoreError::code`], [`CryptoError::code`], [`RecordError::code`],
    /// [`ConsentError::code`]); [`Error::InItem`] has its source's.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Store(e) => e.code(),
            Error::Crypto(e) => e.code(),
            Error::Record(e) => e.code(),
            Error::Consent(e) => e.code(),
            Error::Sharing(e) => e.code(),
            Error::Exchange(e) => e.code(),
            Error::Refused(e) => e.code(),
            Error::Recovery(e) => e.code(),
            Error::Device(e) => e.code(),
            Error::Setting(e) => e.code(),
            Error::Damaged(e) => e.code(),
            Error::InItem { source, .. } => source.code(),
            Error::NotFound(_) => "entry.not_found",
            Error::NoEntryWithPrefix(_) => "entry.no_prefix_match",
            Error::AmbiguousId { .. } => "entry.ambiguous_id",
            Error::NotAnAttachment(_) => "entry.not_an_attachment",
            Error::AttachmentTooLarge { .. } => "entry.attachment_too_large",
            Error::AttachmentDamaged(_) => "vault.attachment_damaged",
            Error::NoOwnRecord { .. } => "access.no_own_record",
            Error::NoKey { .. } => "access.no_key",
            Error::ReadOnly { .. } => "access.read_only",
            Error::BadEnvelope { .. } => "exchange.bad_envelope",
            Error::NotAllowed { .. } => "exchange.not_allowed",
            Error::Stranger { .. } => "exchange.stranger",
            Error::AlreadyImported => "exchange.already_imported",
            Error::Blocked { .. } => "sharing.blocked",
            Error::NothingShared { .. } => "sharing.nothing_shared",
            Error::OutputExists { .. } => "file.exists",
            Error::NotACarnetFile { .. } => "file.not_carnet",
            Error::Io { .. } => "file.io",
            Error::Encode { .. } => "internal.encode",
            Error::Vanished { .. } => "internal.vanished",
        }
    }

    /// The innermost error of an [`Error::InItem`] (this one otherwise).
    pub fn root(&self) -> &Error {
        match self {
            Error::InItem { source, .. } => source.root(),
            other => other,
        }
    }

    /// Names the item of an exchange an error is about (the `n`th, of kind `kind`), so a
    /// refusal says which part of a bundle was bad.
    pub(crate) fn in_item(self, n: usize, kind: &'static str) -> Error {
        match self {
            e @ (Error::Exchange(_) | Error::Consent(_) | Error::Crypto(_)) => Error::InItem {
                n,
                kind,
                source: Box::new(e),
            },
            other => other,
        }
    }

    /// A stored value of this vault that does not decode.
    pub(crate) fn undecodable(what: &'static str, e: impl std::fmt::Display) -> Error {
        Damage::Undecodable {
            what,
            detail: e.to_string(),
        }
        .into()
    }

    /// A value that could not be encoded.
    pub(crate) fn encode(what: &'static str, e: impl std::fmt::Display) -> Error {
        Error::Encode {
            what,
            detail: e.to_string(),
        }
    }

    /// An operating-system error on a file.
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: Some(path.to_path_buf()),
            source,
        }
    }
}

impl SharingError {
    /// The stable code (see [`Error::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            SharingError::NoContact { .. } => "sharing.no_contact",
            SharingError::BadContactName { .. } => "sharing.bad_contact_name",
            SharingError::OwnCard => "sharing.own_card",
            SharingError::NameTaken { .. } => "sharing.name_taken",
            SharingError::AlreadyContact { .. } => "sharing.already_contact",
            SharingError::NotYourRecord => "sharing.not_your_record",
            SharingError::NoSections => "sharing.no_sections",
            SharingError::BadPurpose { .. } => "sharing.bad_purpose",
            SharingError::EndInPast => "sharing.end_in_past",
            SharingError::GrantToBlocked { .. } => "sharing.grant_to_blocked",
            SharingError::AlreadyBlocked => "sharing.already_blocked",
            SharingError::NoGrant { .. } => "sharing.no_grant",
            SharingError::AlreadyRevoked { .. } => "sharing.already_revoked",
            SharingError::NoPatients => "sharing.no_patients",
            SharingError::NoPatient { .. } => "sharing.no_patient",
            SharingError::AmbiguousPatient { .. } => "sharing.ambiguous_patient",
            SharingError::NoPerson { .. } => "sharing.no_person",
            SharingError::AmbiguousPerson { .. } => "sharing.ambiguous_person",
        }
    }
}

impl ExchangeError {
    /// The stable code (see [`Error::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            ExchangeError::Truncated { .. } => "exchange.truncated",
            ExchangeError::NoHeader { .. } => "exchange.no_header",
            ExchangeError::SecondHeader { .. } => "exchange.second_header",
            ExchangeError::TrailingData { .. } => "exchange.trailing_data",
            ExchangeError::UnsupportedVersion { .. } => "exchange.unsupported_version",
            ExchangeError::FrameTooLarge { .. } => "exchange.frame_too_large",
            ExchangeError::Undecodable { .. } => "exchange.undecodable",
            ExchangeError::Unreadable { .. } => "exchange.unreadable",
            ExchangeError::CountMismatch { .. } => "exchange.count_mismatch",
            ExchangeError::MalformedSignature { .. } => "exchange.malformed_signature",
            ExchangeError::BadSignature { .. } => "exchange.bad_signature",
            ExchangeError::BadBackupSignature { .. } => "exchange.bad_backup_signature",
            ExchangeError::Altered { .. } => "exchange.altered",
            ExchangeError::BackupDamaged(_) => "exchange.backup_damaged",
            ExchangeError::RestoredInvalid(_) => "exchange.restored_invalid",
            ExchangeError::TooMany { .. } => "exchange.too_many",
            ExchangeError::UnknownSection { .. } => "exchange.unknown_section",
            ExchangeError::UnannouncedAttachment => "exchange.unannounced_attachment",
            ExchangeError::AttachmentTooLarge { .. } => "exchange.attachment_too_large",
            ExchangeError::ResumeMismatch => "exchange.resume_mismatch",
            ExchangeError::OutOfOrder => "exchange.out_of_order",
            ExchangeError::AttachmentAltered => "exchange.attachment_altered",
            ExchangeError::AttachmentsIncomplete { .. } => "exchange.attachments_incomplete",
            ExchangeError::MissingCheckpoint => "exchange.missing_checkpoint",
            ExchangeError::CheckpointGap { .. } => "exchange.checkpoint_gap",
            ExchangeError::ChainGap { .. } => "exchange.chain_gap",
            ExchangeError::BundleGap { .. } => "exchange.bundle_gap",
            ExchangeError::UnexpectedRow => "exchange.unexpected_row",
            ExchangeError::MalformedRow => "exchange.malformed_row",
            ExchangeError::OwnLogsDiffer { .. } => "exchange.own_logs_differ",
            ExchangeError::OwnLogOutOfOrder { .. } => "exchange.own_log_out_of_order",
            ExchangeError::LinkClosed => "exchange.link_closed",
            ExchangeError::Transport(_) => "exchange.transport",
        }
    }
}

impl Refusal {
    /// The stable code (see [`Error::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::FromYourself => "refused.from_yourself",
            Refusal::DeviceNotRegistered => "refused.device_not_registered",
            Refusal::OnlyFromPatient { .. } => "refused.only_from_patient",
            Refusal::OwnStateNotFromPrimary => "refused.own_state_not_from_primary",
            Refusal::NotSendersRecord { .. } => "refused.not_senders_record",
            Refusal::CosignatureNotFromGrantee => "refused.cosignature_not_from_grantee",
            Refusal::RemovalNotFromOwner => "refused.removal_not_from_owner",
            Refusal::NotForYou => "refused.not_for_you",
            Refusal::AddressedToOther { .. } => "refused.addressed_to_other",
        }
    }
}

impl RecoveryError {
    /// The stable code (see [`Error::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            RecoveryError::NoRecoveryKey => "recovery.no_recovery_key",
            RecoveryError::PhraseDoesNotOpen => "recovery.phrase_does_not_open",
            RecoveryError::NotThisVaultsPhrase => "recovery.not_this_vaults_phrase",
            RecoveryError::NotDeclaredPhrase => "recovery.not_declared_phrase",
            RecoveryError::BackupOfAnother { .. } => "recovery.backup_of_another",
            RecoveryError::HolderTwice { .. } => "recovery.holder_twice",
            RecoveryError::TooManyHolders { .. } => "recovery.too_many_holders",
            RecoveryError::BadThreshold { .. } => "recovery.bad_threshold",
            RecoveryError::ForeignCheckpoint(_) => "recovery.foreign_checkpoint",
            RecoveryError::NotAPatient => "recovery.not_a_patient",
        }
    }
}

impl DeviceError {
    /// The stable code (see [`Error::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            DeviceError::NoDevice { .. } => "device.no_device",
            DeviceError::AmbiguousDevice { .. } => "device.ambiguous_device",
            DeviceError::ThisDevice => "device.this_device",
            DeviceError::AlreadyRemoved => "device.already_removed",
            DeviceError::NotPrimary { .. } => "device.not_primary",
            DeviceError::NoIdentityKey => "device.no_identity_key",
        }
    }
}

impl SettingError {
    /// The stable code (see [`Error::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            SettingError::Unknown { .. } => "setting.unknown",
            SettingError::Invalid { .. } => "setting.invalid",
        }
    }
}

impl Damage {
    /// The stable code (see [`Error::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            Damage::Undecodable { .. } => "vault.undecodable",
            Damage::Invalid { .. } => "vault.invalid",
            Damage::Missing { .. } => "vault.missing",
            Damage::AttachmentMissing { .. } => "vault.attachment_missing",
            Damage::ConsentCutShort { .. } => "vault.consent_cut_short",
        }
    }
}

/// Shorthand for results of vault operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// One error of every kind this crate can construct (those of other crates inside
    /// included, one each), for the tests on codes and messages.
    fn every_kind() -> Vec<Error> {
        let person = PersonId([7; 32]);
        let entry: EntryId = "abcdefghjk".parse().unwrap();
        let io = || std::io::Error::other("disk full");
        let consent = || ConsentError::BadEntry {
            index: 3,
            why: "bad".into(),
        };
        let crypto = || CryptoError::NotForYou;
        let s = |t: &str| t.to_string();
        let mut all: Vec<Error> = vec![
            StoreError::NoVault("/v".into()).into(),
            StoreError::AlreadyExists("/v".into()).into(),
            StoreError::WrongPassphrase("/v".into()).into(),
            StoreError::NoUnlockKey("/v".into()).into(),
            StoreError::Database(s("x")).into(),
            CryptoError::WrongPassphrase.into(),
            CryptoError::BadCard(s("x")).into(),
            CryptoError::BadPhrase(s("x")).into(),
            CryptoError::UnsupportedVersion {
                what: "a card",
                found: 9,
                supported: 1,
            }
            .into(),
            RecordError::NotFound(s("x")).into(),
            RecordError::Invalid {
                what: "entry id",
                input: s("x"),
                expected: s("an entry id is 10 letters and digits"),
            }
            .into(),
            consent().into(),
            Error::NotFound(entry.clone()),
            Error::NoEntryWithPrefix(s("abcd")),
            Error::AmbiguousId {
                prefix: s("abcd"),
                matches: vec![s("abcdefghjk"), s("abcdefghjm")],
            },
            Error::NotAnAttachment(entry.clone()),
            Error::NoOwnRecord { role: "clinician" },
            Error::NoKey {
                section: SectionId::Notes,
                record: s("r1"),
            },
            Error::ReadOnly {
                section: SectionId::Notes,
                record: s("r1"),
            },
            Error::BadEnvelope {
                id: s("e1"),
                section: s("notes"),
                why: Box::new(EnvelopeFault::IdMismatch),
            },
            Error::NotAllowed {
                id: s("e1"),
                author: s("a1"),
                section: s("notes"),
            },
            Error::AttachmentDamaged(entry),
            Error::InItem {
                n: 2,
                kind: "envelope",
                source: Box::new(ExchangeError::OutOfOrder.into()),
            },
            Error::Stranger {
                name: s("Eve"),
                id: s("p1"),
            },
            Error::Blocked { name: s("Eve") },
            Error::NothingShared { name: s("Eve") },
            Error::AlreadyImported,
            Error::AttachmentTooLarge { size: 2, max: 1 },
            Error::OutputExists { path: "/f".into() },
            Error::NotACarnetFile {
                path: "/f".into(),
                what: "bundle",
                magic: b"CARNET-BUNDLE/1\n",
            },
            Error::io("cannot write", Path::new("/f"), io()),
            Error::encode("cards", "x"),
            Error::Vanished { what: "a view" },
            Error::undecodable("cards", "x"),
        ];
        let sharing = [
            SharingError::NoContact { name: s("Bob") },
            SharingError::BadContactName { max: 200 },
            SharingError::OwnCard,
            SharingError::NameTaken { name: s("Bob") },
            SharingError::AlreadyContact { name: s("Bob") },
            SharingError::NotYourRecord,
            SharingError::NoSections,
            SharingError::BadPurpose { max: 1000 },
            SharingError::EndInPast,
            SharingError::GrantToBlocked { name: s("Bob") },
            SharingError::AlreadyBlocked,
            SharingError::NoGrant { id: s("g1") },
            SharingError::AlreadyRevoked { id: s("g1") },
            SharingError::NoPatients,
            SharingError::NoPatient { query: s("Ann") },
            SharingError::AmbiguousPatient { query: s("Ann") },
            SharingError::NoPerson { query: s("Ann") },
            SharingError::AmbiguousPerson { query: s("Ann") },
        ];
        all.extend(sharing.into_iter().map(Error::from));
        let exchange = [
            ExchangeError::Truncated { what: "the bundle" },
            ExchangeError::NoHeader { what: "the bundle" },
            ExchangeError::SecondHeader { what: "the bundle" },
            ExchangeError::TrailingData { what: "the bundle" },
            ExchangeError::UnsupportedVersion {
                what: "the bundle",
                version: 9,
            },
            ExchangeError::FrameTooLarge { size: 2, max: 1 },
            ExchangeError::Undecodable {
                what: "a frame",
                detail: s("x"),
            },
            ExchangeError::Unreadable {
                what: "the bundle",
                source: crypto(),
            },
            ExchangeError::CountMismatch {
                what: "the bundle",
                said: 2,
                read: 1,
            },
            ExchangeError::MalformedSignature { what: "the bundle" },
            ExchangeError::BadSignature { what: "the bundle" },
            ExchangeError::BadBackupSignature {
                name: s("Ann"),
                person,
            },
            ExchangeError::Altered {
                what: "the backup",
                part: "header",
            },
            ExchangeError::BackupDamaged(Box::new(ExchangeError::OutOfOrder)),
            ExchangeError::RestoredInvalid(Box::new(Error::AlreadyImported)),
            ExchangeError::TooMany { what: "proofs" },
            ExchangeError::UnknownSection { code: 99 },
            ExchangeError::UnannouncedAttachment,
            ExchangeError::AttachmentTooLarge { size: 2, max: 1 },
            ExchangeError::ResumeMismatch,
            ExchangeError::OutOfOrder,
            ExchangeError::AttachmentAltered,
            ExchangeError::AttachmentsIncomplete { count: 1 },
            ExchangeError::MissingCheckpoint,
            ExchangeError::CheckpointGap {
                held: 3,
                source: consent(),
            },
            ExchangeError::ChainGap {
                source: StoreError::ChainBroken {
                    id: s("e1"),
                    why: s("a gap"),
                },
            },
            ExchangeError::BundleGap { from: s("Ann") },
            ExchangeError::UnexpectedRow,
            ExchangeError::MalformedRow,
            ExchangeError::OwnLogsDiffer { index: 3 },
            ExchangeError::OwnLogOutOfOrder { index: 3, held: 1 },
            ExchangeError::LinkClosed,
            ExchangeError::Transport(Box::new(io())),
        ];
        all.extend(exchange.into_iter().map(Error::from));
        let refusals = [
            Refusal::FromYourself,
            Refusal::DeviceNotRegistered,
            Refusal::OnlyFromPatient {
                what: "consent checkpoints",
            },
            Refusal::OwnStateNotFromPrimary,
            Refusal::NotSendersRecord { envelope: s("e1") },
            Refusal::CosignatureNotFromGrantee,
            Refusal::RemovalNotFromOwner,
            Refusal::NotForYou,
            Refusal::AddressedToOther { to: s("p1") },
        ];
        all.extend(refusals.into_iter().map(Error::from));
        let recovery = [
            RecoveryError::NoRecoveryKey,
            RecoveryError::PhraseDoesNotOpen,
            RecoveryError::NotThisVaultsPhrase,
            RecoveryError::NotDeclaredPhrase,
            RecoveryError::BackupOfAnother {
                name: s("Ann"),
                person,
                expected: PersonId([8; 32]),
            },
            RecoveryError::HolderTwice { name: s("Bob") },
            RecoveryError::TooManyHolders { max: 255 },
            RecoveryError::BadThreshold { total: 3 },
            RecoveryError::ForeignCheckpoint(consent()),
            RecoveryError::NotAPatient,
        ];
        all.extend(recovery.into_iter().map(Error::from));
        let devices = [
            DeviceError::NoDevice { query: s("d1") },
            DeviceError::AmbiguousDevice { query: s("d1") },
            DeviceError::ThisDevice,
            DeviceError::AlreadyRemoved,
            DeviceError::NotPrimary { primary: s("d1") },
            DeviceError::NoIdentityKey,
        ];
        all.extend(devices.into_iter().map(Error::from));
        let settings = [
            SettingError::Unknown {
                name: s("x"),
                known: vec!["relay", "port"],
            },
            SettingError::Invalid {
                name: s("port"),
                value: s("x"),
            },
        ];
        all.extend(settings.into_iter().map(Error::from));
        let damage = [
            Damage::Invalid {
                what: "endpoint key",
            },
            Damage::Missing {
                what: "signing key",
            },
            Damage::AttachmentMissing { envelope: s("e1") },
            Damage::ConsentCutShort { wrote: 3 },
        ];
        all.extend(damage.into_iter().map(Error::from));
        all
    }

    /// A code is lowercase words joined by dots (at least two parts), each word letters,
    /// digits and underscores.
    fn well_formed(code: &str) -> bool {
        let parts: Vec<&str> = code.split('.').collect();
        parts.len() >= 2
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.starts_with(|c: char| c.is_ascii_lowercase())
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen: BTreeMap<&'static str, String> = BTreeMap::new();
        for e in every_kind() {
            let code = e.code();
            assert!(well_formed(code), "{code} is not a lowercase dotted code");
            // InItem has its source's code: the only variant allowed to repeat one.
            if matches!(e, Error::InItem { .. }) {
                continue;
            }
            let kind = format!("{e:?}");
            if let Some(other) = seen.insert(code, kind.clone()) {
                panic!("code {code} is shared by {other} and {kind}");
            }
        }
    }

    #[test]
    fn some_codes_never_change() {
        // Codes are stable API: these exact strings are what apps match on.
        let e: Error = StoreError::WrongPassphrase("/v".into()).into();
        assert_eq!(e.code(), "store.wrong_passphrase");
        let e: Error = ExchangeError::Truncated { what: "the bundle" }.into();
        assert_eq!(e.code(), "exchange.truncated");
        let e: Error = SharingError::NoContact { name: "x".into() }.into();
        assert_eq!(e.code(), "sharing.no_contact");
        let e = Error::InItem {
            n: 1,
            kind: "card",
            source: Box::new(Refusal::NotForYou.into()),
        };
        assert_eq!(e.code(), "refused.not_for_you");
        assert_eq!(e.root().code(), "refused.not_for_you");
    }

    #[test]
    fn messages_name_no_command_nor_flag() {
        for e in every_kind() {
            // "Carnet" (the product) may be named; "carnet " (the command) may not.
            let text = e.to_string();
            assert!(
                !text.contains("carnet "),
                "{}: {text} names a command",
                e.code()
            );
            assert!(!text.contains("--"), "{}: {text} names a flag", e.code());
            assert!(!text.contains('`'), "{}: {text} quotes a command", e.code());
        }
    }
}
