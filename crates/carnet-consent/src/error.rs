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
    /// The log is not the log of the patient the auditor named: its card, and so every
    /// signature in it, is someone else's.
    #[error(
        "this is the consent log of person {found} (whose card says \"{name}\"), not of {expected}, the patient you named: anyone can make a card bearing any name, so refuse it and ask that patient for an export of their own log"
    )]
    NotThePatient {
        /// The patient the auditor named (their person id).
        expected: carnet_crypto::PersonId,
        /// Whose log it is: the key that signs it.
        found: carnet_crypto::PersonId,
        /// The name on that person's card (chosen by its holder, proves nothing).
        name: String,
    },
    /// The log holds fewer entries than the auditor saw before: cut back to an earlier
    /// state, or an older export.
    #[error(
        "the log holds {size} entries, fewer than the {seen} of {what}: it was cut back to an earlier state (or this is an older export); ask the patient for a current export"
    )]
    CutBack {
        /// Entries in the log.
        size: u64,
        /// Entries the auditor saw before.
        seen: u64,
        /// Where the auditor's size comes from.
        what: &'static str,
    },
    /// A cryptographic operation failed.
    #[error(transparent)]
    Crypto(#[from] carnet_crypto::CryptoError),
}

impl ConsentError {
    /// The stable code of this error: a lowercase dotted name (`"consent.bad_entry"`), one
    /// per kind. Codes are stable API: a code never changes nor changes meaning; new kinds
    /// take new codes. A [`ConsentError::Crypto`] has its cryptographic error's code.
    pub fn code(&self) -> &'static str {
        match self {
            ConsentError::Malformed { .. } => "consent.malformed",
            ConsentError::BadEntry { .. } => "consent.bad_entry",
            ConsentError::BadCheckpoint { .. } => "consent.bad_checkpoint",
            ConsentError::NotThePatient { .. } => "consent.not_the_patient",
            ConsentError::CutBack { .. } => "consent.cut_back",
            ConsentError::Crypto(e) => e.code(),
        }
    }
}
