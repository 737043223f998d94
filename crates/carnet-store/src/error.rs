use std::path::PathBuf;

use carnet_crypto::CryptoError;
use thiserror::Error;

/// Everything that can go wrong reading or writing a vault on disk.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No vault at that place.
    #[error("no vault at {0}: create one there, or open the directory that holds yours")]
    NoVault(PathBuf),
    /// A vault already exists where one was to be created.
    #[error("a vault already exists at {0}; nothing was changed: choose another directory")]
    AlreadyExists(PathBuf),
    /// The directory holds something that is not a complete vault.
    #[error("{path} is not a usable vault: {why}")]
    NotAVault {
        /// The vault directory.
        path: PathBuf,
        /// What is missing or wrong.
        why: String,
    },
    /// The vault was opened with an unlock key, but no unlock key was ever exported from
    /// it (so there is nothing to check a key against): open it with its passphrase.
    #[error(
        "{0}: no unlock key was ever exported from this vault; open it with its passphrase and export the key first"
    )]
    NoUnlockKey(PathBuf),
    /// The passphrase does not unlock this vault.
    #[error("wrong passphrase for the vault at {0}; nothing was changed")]
    WrongPassphrase(PathBuf),
    /// The vault file is damaged.
    #[error(
        "the vault file {path} is damaged ({detail}); nothing was changed. Restore it from a backup"
    )]
    Corrupted {
        /// The damaged file.
        path: PathBuf,
        /// What the database reported.
        detail: String,
    },
    /// A stored value failed to decrypt or decode.
    #[error("stored {what} is damaged: {source}")]
    Damaged {
        /// Which value.
        what: &'static str,
        /// Why it could not be read.
        #[source]
        source: CryptoError,
    },
    /// An envelope does not continue its author's chain (a gap, or two different envelopes
    /// with the same place in the chain).
    #[error("envelope {id} does not continue its author's chain: {why}")]
    ChainBroken {
        /// The envelope id (short form).
        id: String,
        /// What is wrong.
        why: String,
    },
    /// A cryptographic operation failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The database reported an error.
    #[error("vault database error: {0}")]
    Database(String),
    /// An operating-system error on the vault's files.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// The stable code of this error: a lowercase dotted name (`"store.no_vault"`), one per
    /// kind. Codes are stable API: a code never changes nor changes meaning; new kinds take
    /// new codes. A [`StoreError::Crypto`] has its cryptographic error's code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NoVault(_) => "store.no_vault",
            StoreError::AlreadyExists(_) => "store.already_exists",
            StoreError::NotAVault { .. } => "store.not_a_vault",
            StoreError::NoUnlockKey(_) => "store.no_unlock_key",
            StoreError::WrongPassphrase(_) => "store.wrong_passphrase",
            StoreError::Corrupted { .. } => "store.corrupted",
            StoreError::Damaged { .. } => "store.damaged",
            StoreError::ChainBroken { .. } => "store.chain_broken",
            StoreError::Crypto(e) => e.code(),
            StoreError::Database(_) => "store.database",
            StoreError::Io { .. } => "store.io",
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Database(e.to_string())
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
