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
    #[error("not a Carnet identity card: {0}; ask its owner to copy it again with `carnet whoami`")]
    BadCard(String),
    /// A format version this build does not know.
    #[error(
        "{what} has format version {found}, this build reads version {supported}; upgrade carnet"
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
    #[error("not a recovery phrase: {0}; type the 24 words `carnet init` showed, in order")]
    BadPhrase(String),
    /// Recovery shares that do not rebuild a key.
    #[error("the recovery shares cannot be used: {0}")]
    BadShare(String),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(String),
}
