//! Carnet's cryptography: who a person is, which keys they hold, and the sealed, signed
//! envelopes that carry every change of a record.
//!
//! This crate owns identities ([`PersonSecret`], [`IdentityCard`]), symmetric keys
//! ([`EpochKey`], [`MasterKey`], [`ContentKey`]), the at-rest wrapping of the device master
//! key with a passphrase (age + scrypt), the change [`Envelope`] format (XChaCha20-Poly1305
//! under the section's epoch key, signed with ed25519) and the chunked encryption of
//! attachments, files sealed to one person ([`seal_to`], for offline bundles), and recovery
//! (a [`RecoveryPhrase`], the [`RecoveryKey`] that opens backups, its k-of-n
//! [`SealedShare`]s). It
//! composes well-kept primitives (ed25519-dalek, age, chacha20poly1305,
//! blake3) and never implements one itself.
//!
//! It must never print, log, or store anything: it turns bytes into bytes. Secret types
//! have no `Debug` that shows the secret and are zeroized on drop.
//!
//! Reach first for [`PersonSecret::generate`] and [`IdentityCard::issue`] to create a
//! person, for [`Envelope::seal`] / [`Envelope::from_bytes`] + [`Envelope::verify`] +
//! [`Envelope::open`] to write and read changes, and for [`MasterKey::wrap`] /
//! [`MasterKey::unwrap`] to protect a vault at rest.
//!
//! # Guarantees
//! - An [`IdentityCard`] parsed from text is self-signed: any altered byte fails to parse.
//! - An [`Envelope`] decoded from bytes is in its single canonical encoding, so its
//!   [`EnvelopeId`] (the BLAKE3 hash of those bytes) names exactly one envelope.
//! - [`Envelope::verify`] needs no key: anyone can check structure and signature; only a
//!   holder of the epoch key can [`Envelope::open`] it, and the header is bound to the body
//!   as associated data, so a header cannot be moved onto another body.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch;
mod blob;
mod card;
mod device;
mod encoding;
mod envelope;
mod error;
mod ids;
mod keygrant;
mod keys;
mod recovery;
mod sealed;

pub use batch::{SignedMessage, verify_all};
pub use blob::{BLOB_CHUNK, BlobSealer, open_blob, open_blob_each, seal_blob};
pub use card::{CARD_PREFIX, IdentityCard, MAX_CARD_MAILBOXES, Role};
pub use device::{
    DeviceCert, DeviceClaim, DeviceSecret, MAX_DEVICE_CERT_BYTES, endpoint_public_key,
};
pub use envelope::{
    CertMemo, DEVICE_ENVELOPE_VERSION, ENVELOPE_VERSION, Envelope, EnvelopeHeader, EnvelopeId,
    MAX_ENVELOPE_BYTES, Signer,
};
pub use error::CryptoError;
pub use ids::{DeviceId, EndpointKey, PersonId, RecordId};
pub use keygrant::{KeyGrant, KeyGrantHeader, MAX_KEY_GRANT_BYTES};
pub use keys::{
    ContentKey, EpochKey, MasterKey, Passphrase, PersonSecret, random_array, verify_signature,
};
pub use recovery::{
    MAX_SEALED_SHARE_BYTES, RecoveryKey, RecoveryPhrase, ReleasedShare, RootKey, RootSecret,
    SHARE_PREFIX, SealedShare, ShareHeader, seal_to_recipient,
};
pub use sealed::{SealedReader, SealedWriter, open_sealed, seal_to};

/// Re-exported so callers build passphrases with the same `secrecy` version age uses.
pub use age::secrecy;
