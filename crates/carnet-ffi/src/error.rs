//! The one error type that crosses the boundary: a variant per kind of failure an app
//! handles differently, each with a stable numeric code ([`CarnetError::code`]) and the
//! core's message. Messages never hold health data or key material (the core's rule).

use carnet::crypto::CryptoError;
use carnet_store::StoreError;

/// Everything a call through the bindings can fail with. Foreign code sees one exception
/// class per variant (`CarnetError.WrongPassphrase` in Python, `CarnetException.WrongPassphrase`
/// in Kotlin, `CarnetError.WrongPassphrase` in Swift), each with the core's `message`.
/// The codes of [`CarnetError::code`] never change meaning; new variants take new codes.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum CarnetError {
    /// The passphrase or unlock key is not this vault's; nothing was changed. Code 1.
    #[error("{message}")]
    WrongPassphrase {
        /// What the core said.
        message: String,
    },
    /// There is no vault in that directory. Code 2.
    #[error("{message}")]
    NoVault {
        /// What the core said.
        message: String,
    },
    /// A vault already exists in that directory. Code 3.
    #[error("{message}")]
    AlreadyExists {
        /// What the core said.
        message: String,
    },
    /// A value given by the app does not parse or is out of bounds (an empty name, a bad
    /// date, code, id, card, phrase or key length). Code 4.
    #[error("{message}")]
    InvalidInput {
        /// What is wrong and what would be accepted.
        message: String,
    },
    /// No entry (or entry id prefix) of that id in the record. Code 5.
    #[error("{message}")]
    NotFound {
        /// What the core said.
        message: String,
    },
    /// An id prefix names several entries. Code 6.
    #[error("{message}")]
    AmbiguousId {
        /// What the core said.
        message: String,
    },
    /// This vault holds no key for that section of that record: it was not shared with
    /// its owner. Code 7.
    #[error("{message}")]
    NotShared {
        /// What the core said.
        message: String,
    },
    /// The section may be read but not written (read grant, or the write grant ended).
    /// Code 8.
    #[error("{message}")]
    ReadOnly {
        /// What the core said.
        message: String,
    },
    /// This vault's owner (a clinician, an auditor) has no record of their own. Code 9.
    #[error("{message}")]
    NoOwnRecord {
        /// What the core said.
        message: String,
    },
    /// A sharing operation was refused: unknown contact, no such grant, not the primary
    /// device, nothing to send, a policy refusal. Code 10.
    #[error("{message}")]
    Refused {
        /// What the core said.
        message: String,
    },
    /// A bundle or change comes from someone who is not a contact, grantee or patient of
    /// this vault: nothing was taken. Code 11.
    #[error("{message}")]
    Stranger {
        /// What the core said.
        message: String,
    },
    /// The other party is blocked. Code 12.
    #[error("{message}")]
    Blocked {
        /// What the core said.
        message: String,
    },
    /// Nothing is shared with that party. Code 13.
    #[error("{message}")]
    NothingShared {
        /// What the core said.
        message: String,
    },
    /// This bundle was imported before; nothing changed. Code 14.
    #[error("{message}")]
    AlreadyImported {
        /// What the core said.
        message: String,
    },
    /// An attachment is larger than a vault takes. Code 15.
    #[error("{message}")]
    TooLarge {
        /// What the core said.
        message: String,
    },
    /// Stored or received data is damaged, forged or does not continue what this vault
    /// holds (a bad envelope, a bundle that does not decode, a damaged attachment or
    /// database, a consent log that does not verify). Code 16.
    #[error("{message}")]
    Damaged {
        /// What the core said.
        message: String,
    },
    /// The disk or database failed (permissions, space). Code 17.
    #[error("{message}")]
    Io {
        /// What the core said.
        message: String,
    },
    /// The vault was opened with an unlock key but none was ever exported from it: open it
    /// with its passphrase (then export the key). Code 18.
    #[error("{message}")]
    NoUnlockKey {
        /// What the core said.
        message: String,
    },
    /// Live sync could not reach the peer, the link dropped or stalled, or sync was
    /// stopped: try again later (what was not acknowledged is sent again). Code 19.
    #[error("{message}")]
    Network {
        /// What happened.
        message: String,
    },
    /// A failure the app cannot act on (a bug, or an earlier panic inside the core that
    /// left this handle unusable: open the vault again). Code 99.
    #[error("{message}")]
    Internal {
        /// What happened.
        message: String,
    },
}

impl CarnetError {
    /// The stable code of this kind of error (see each variant), for logs and telemetry.
    pub fn code(&self) -> u32 {
        match self {
            CarnetError::WrongPassphrase { .. } => 1,
            CarnetError::NoVault { .. } => 2,
            CarnetError::AlreadyExists { .. } => 3,
            CarnetError::InvalidInput { .. } => 4,
            CarnetError::NotFound { .. } => 5,
            CarnetError::AmbiguousId { .. } => 6,
            CarnetError::NotShared { .. } => 7,
            CarnetError::ReadOnly { .. } => 8,
            CarnetError::NoOwnRecord { .. } => 9,
            CarnetError::Refused { .. } => 10,
            CarnetError::Stranger { .. } => 11,
            CarnetError::Blocked { .. } => 12,
            CarnetError::NothingShared { .. } => 13,
            CarnetError::AlreadyImported { .. } => 14,
            CarnetError::TooLarge { .. } => 15,
            CarnetError::Damaged { .. } => 16,
            CarnetError::Io { .. } => 17,
            CarnetError::NoUnlockKey { .. } => 18,
            CarnetError::Network { .. } => 19,
            CarnetError::Internal { .. } => 99,
        }
    }

    /// A value given by the app is refused: `what` names it.
    pub(crate) fn invalid(what: &str, why: impl std::fmt::Display) -> Self {
        CarnetError::InvalidInput {
            message: format!("{what}: {why}"),
        }
    }
}

/// The stable code of an error (see [`CarnetError::code`]), callable from foreign code.
#[uniffi::export]
pub fn error_code(error: CarnetError) -> u32 {
    error.code()
}

fn from_crypto(e: CryptoError) -> CarnetError {
    let message = e.to_string();
    match e {
        CryptoError::WrongPassphrase => CarnetError::WrongPassphrase { message },
        CryptoError::BadCard(_) | CryptoError::BadPhrase(_) | CryptoError::BadShare(_) => {
            CarnetError::InvalidInput { message }
        }
        CryptoError::TooLarge { .. } => CarnetError::TooLarge { message },
        CryptoError::Random(_) | CryptoError::Encrypt(_) => CarnetError::Internal { message },
        CryptoError::Output(_) => CarnetError::Io { message },
        _ => CarnetError::Damaged { message },
    }
}

fn from_store(e: StoreError) -> CarnetError {
    let message = e.to_string();
    match e {
        StoreError::WrongPassphrase(_) => CarnetError::WrongPassphrase { message },
        StoreError::NoVault(_) => CarnetError::NoVault { message },
        StoreError::NoUnlockKey(_) => CarnetError::NoUnlockKey { message },
        StoreError::AlreadyExists(_) => CarnetError::AlreadyExists { message },
        StoreError::Crypto(c) => from_crypto(c),
        StoreError::Io { .. } | StoreError::Database(_) => CarnetError::Io { message },
        _ => CarnetError::Damaged { message },
    }
}

impl From<carnet::Error> for CarnetError {
    fn from(e: carnet::Error) -> Self {
        use carnet::Error as E;
        use carnet::{RecoveryError as Rc, SharingError as S};
        let message = e.to_string();
        match e {
            E::Store(s) => from_store(s),
            E::Crypto(c) => from_crypto(c),
            E::Record(_) => CarnetError::InvalidInput { message },
            E::NotFound(_) | E::NoEntryWithPrefix(_) | E::NotAnAttachment(_) => {
                CarnetError::NotFound { message }
            }
            E::AmbiguousId { .. } => CarnetError::AmbiguousId { message },
            E::NoOwnRecord { .. } => CarnetError::NoOwnRecord { message },
            E::NoKey { .. } => CarnetError::NotShared { message },
            E::ReadOnly { .. } | E::NotAllowed { .. } => CarnetError::ReadOnly { message },
            // A value given by the app that is out of bounds.
            E::Sharing(
                S::BadContactName { .. }
                | S::NoSections
                | S::BadPurpose { .. }
                | S::EndInPast
                | S::OwnCard,
            )
            | E::Setting(_)
            | E::Recovery(
                Rc::HolderTwice { .. } | Rc::TooManyHolders { .. } | Rc::BadThreshold { .. },
            ) => CarnetError::InvalidInput { message },
            // Refusals: a name or id that answers to no contact, grant, patient or device (or
            // to several), a wrong recovery phrase, a file already there, a policy refusal,
            // what must happen on the primary device.
            E::Sharing(_)
            | E::Refused(_)
            | E::Recovery(_)
            | E::Device(_)
            | E::OutputExists { .. } => CarnetError::Refused { message },
            E::Io { .. } => CarnetError::Io { message },
            // A bad item of a received bundle or sync: the data received is bad.
            E::InItem { .. } => CarnetError::Damaged { message },
            E::Encode { .. } | E::Vanished { .. } => CarnetError::Internal { message },
            E::Exchange(carnet::ExchangeError::AttachmentTooLarge { .. }) => {
                CarnetError::TooLarge { message }
            }
            E::NotACarnetFile { .. } | E::Damaged(_) => CarnetError::Damaged { message },
            E::Stranger { .. } => CarnetError::Stranger { message },
            E::Blocked { .. } => CarnetError::Blocked { message },
            E::NothingShared { .. } => CarnetError::NothingShared { message },
            E::AlreadyImported => CarnetError::AlreadyImported { message },
            E::AttachmentTooLarge { .. } => CarnetError::TooLarge { message },
            E::BadEnvelope { .. } | E::AttachmentDamaged(_) | E::Consent(_) | E::Exchange(_) => {
                CarnetError::Damaged { message }
            }
            // Kinds a later core adds: mapped here when they appear.
            _ => CarnetError::Internal { message },
        }
    }
}

/// Result of every call through the bindings.
pub type Result<T, E = CarnetError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct() {
        let m = || String::new();
        let all = [
            CarnetError::WrongPassphrase { message: m() },
            CarnetError::NoVault { message: m() },
            CarnetError::AlreadyExists { message: m() },
            CarnetError::InvalidInput { message: m() },
            CarnetError::NotFound { message: m() },
            CarnetError::AmbiguousId { message: m() },
            CarnetError::NotShared { message: m() },
            CarnetError::ReadOnly { message: m() },
            CarnetError::NoOwnRecord { message: m() },
            CarnetError::Refused { message: m() },
            CarnetError::Stranger { message: m() },
            CarnetError::Blocked { message: m() },
            CarnetError::NothingShared { message: m() },
            CarnetError::AlreadyImported { message: m() },
            CarnetError::TooLarge { message: m() },
            CarnetError::Damaged { message: m() },
            CarnetError::Io { message: m() },
            CarnetError::NoUnlockKey { message: m() },
            CarnetError::Network { message: m() },
            CarnetError::Internal { message: m() },
        ];
        let mut codes: Vec<u32> = all.iter().map(CarnetError::code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
