use thiserror::Error;

/// What can go wrong building or verifying a consent log.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// Bytes that should hold a consent entry, checkpoint or export do not.
    #[error("{what} is malformed: {detail}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// Why it does not decode.
        detail: String,
    },
    /// An entry breaks a rule of the log; `index` is its position.
    #[error("entry {index}: {why}")]
    BadEntry {
        /// Position of the first bad entry.
        index: u64,
        /// What is wrong with it.
        why: String,
    },
    /// A checkpoint does not match the log, or is not signed by the patient.
    #[error("checkpoint of size {size}: {why}")]
    BadCheckpoint {
        /// The tree size the checkpoint claims.
        size: u64,
        /// What is wrong.
        why: String,
    },
    /// A cryptographic operation failed.
    #[error(transparent)]
    Crypto(#[from] carnet_crypto::CryptoError),
}
