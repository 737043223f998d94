use thiserror::Error;

/// Everything that can go wrong in Carnet's cryptography.
///
/// Messages never contain secret material.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The passphrase does not unlock the vault key.
    #[error("wrong passphrase: the vault key could not be unlocked (nothing was changed)")]
    WrongPassphrase,
    /// The wrapped vault key is not a valid age file.
    #[error("the wrapped vault key is damaged ({0}); restore the vault from a backup")]
    DamagedWrappedKey(String),
    /// Encrypting with age failed.
    #[error("encryption failed: {0}")]
    Encrypt(String),
    /// The writer a sealed stream goes to failed (a full disk, a closed share sheet):
    /// nothing is wrong with the keys.
    #[error("writing the sealed output failed: {0}")]
    Output(#[source] std::io::Error),
    /// An authenticated decryption failed: wrong key, or the bytes were altered.
    #[error("{what} failed to decrypt: it was altered, damaged, or sealed with another key")]
    Decrypt {
        /// What was being decrypted.
        what: &'static str,
    },
    /// A signature does not verify against the claimed signer's key.
    #[error("{what} has a signature that does not verify: it was altered or forged")]
    BadSignature {
        /// What carried the signature.
        what: &'static str,
    },
    /// Bytes that should hold a structure do not decode as one.
    #[error("{what} is malformed: {detail}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// Why it did not decode.
        detail: String,
    },
    /// An input is larger than the format allows.
    #[error("{what} is too large: {size} bytes, at most {max} allowed")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// An identity card is not in Carnet's card text form.
    #[error("not a Carnet identity card: {0}; ask its owner to copy their card again, whole")]
    BadCard(String),
    /// A format version this build does not know.
    #[error(
        "{what} has format version {found}, this build reads version {supported}; update Carnet"
    )]
    UnsupportedVersion {
        /// What carried the version.
        what: &'static str,
        /// The version found.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },
    /// A file sealed to another person.
    #[error("this file is not addressed to you: it is sealed to another person's key")]
    NotForYou,
    /// A recovery phrase that does not read as one.
    #[error(
        "not a recovery phrase: {0}; type the 24 words shown when the vault was created, in order"
    )]
    BadPhrase(String),
    /// Recovery shares that do not rebuild a key.
    #[error("the recovery shares cannot be used: {0}")]
    BadShare(String),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

impl CryptoError {
    /// The stable code of this error: a lowercase dotted name (`"crypto.bad_card"`), one
    /// per kind. Codes are stable API: a code never changes nor changes meaning; new kinds
    /// take new codes.
    pub fn code(&self) -> &'static str {
        match self {
            CryptoError::WrongPassphrase => "crypto.wrong_passphrase",
            CryptoError::DamagedWrappedKey(_) => "crypto.damaged_wrapped_key",
            CryptoError::Encrypt(_) => "crypto.encrypt",
            CryptoError::Output(_) => "crypto.output",
            CryptoError::Decrypt { .. } => "crypto.decrypt",
            CryptoError::BadSignature { .. } => "crypto.bad_signature",
            CryptoError::Malformed { .. } => "crypto.malformed",
            CryptoError::TooLarge { .. } => "crypto.too_large",
            CryptoError::BadCard(_) => "crypto.bad_card",
            CryptoError::UnsupportedVersion { .. } => "crypto.unsupported_version",
            CryptoError::NotForYou => "crypto.not_for_you",
            CryptoError::BadPhrase(_) => "crypto.bad_phrase",
            CryptoError::BadShare(_) => "crypto.bad_share",
            CryptoError::Random(_) => "crypto.random",
        }
    }
}
