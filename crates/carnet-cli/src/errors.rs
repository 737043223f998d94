//! Errors as people read them, and the exit code of each kind.
//!
//! The library's errors are typed (`carnet::Error`, `CryptoError`, `StoreError`,
//! `RecordError`, `SyncError`) and their text is English. The kinds the command line knows
//! are said again here from the messages of the language; any other keeps the library's
//! text. Each kind of failure has its own exit code (documented in `carnet --help`).

use carnet::crypto::CryptoError;
use carnet::record::RecordError;
use carnet_store::StoreError;

use crate::t;
use crate::words;

/// What kind of failure ended a command; each has its exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Anything else (a damaged vault, a full disk...): 1.
    Failure,
    /// The command line is wrong in a way clap does not see (`--out -` with --json): 2.
    Usage,
    /// The passphrase is wrong or missing: 3.
    Passphrase,
    /// The input was refused (an invalid value, a file that is not what it should be, a
    /// bundle that does not verify): nothing was changed: 4.
    Refused,
    /// A peer could not be reached or the link failed: 5.
    Unreachable,
    /// What was named does not exist (a vault, an entry, a contact): 6.
    NotFound,
}

impl Kind {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Kind::Failure => 1,
            Kind::Usage => 2,
            Kind::Passphrase => 3,
            Kind::Refused => 4,
            Kind::Unreachable => 5,
            Kind::NotFound => 6,
        }
    }

    /// Its name in `--json` errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Failure => "failure",
            Kind::Usage => "usage",
            Kind::Passphrase => "passphrase",
            Kind::Refused => "refused",
            Kind::Unreachable => "unreachable",
            Kind::NotFound => "not-found",
        }
    }
}

/// An error the command line itself raises, with its kind: a refusal of bad input, or a
/// name that matches nothing. Its text is already in the language.
#[derive(Debug)]
pub struct CliError {
    pub kind: Kind,
    pub text: String,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for CliError {}

/// A refusal of bad input (exit 4), as an error to return.
pub fn refused(text: String) -> anyhow::Error {
    CliError {
        kind: Kind::Refused,
        text,
    }
    .into()
}

/// A usage error clap cannot see (exit 2), as an error to return.
pub fn usage(text: String) -> anyhow::Error {
    CliError {
        kind: Kind::Usage,
        text,
    }
    .into()
}

/// A passphrase that is missing or cannot be read (exit 3), as an error to return.
pub fn passphrase(text: String) -> anyhow::Error {
    CliError {
        kind: Kind::Passphrase,
        text,
    }
    .into()
}

/// Something named that does not exist (exit 6), as an error to return.
pub fn not_found(text: String) -> anyhow::Error {
    CliError {
        kind: Kind::NotFound,
        text,
    }
    .into()
}

fn crypto_kind(e: &CryptoError) -> Kind {
    match e {
        CryptoError::WrongPassphrase => Kind::Passphrase,
        CryptoError::DamagedWrappedKey(_) | CryptoError::Encrypt(_) => Kind::Failure,
        _ => Kind::Refused,
    }
}

fn store_kind(e: &StoreError) -> Kind {
    match e {
        StoreError::WrongPassphrase(_) => Kind::Passphrase,
        StoreError::NoVault(_) => Kind::NotFound,
        StoreError::AlreadyExists(_) => Kind::Refused,
        StoreError::Crypto(c) => crypto_kind(c),
        _ => Kind::Failure,
    }
}

fn carnet_kind(e: &carnet::Error) -> Kind {
    use carnet::Error as E;
    match e {
        E::Store(s) => store_kind(s),
        E::Crypto(c) => crypto_kind(c),
        E::Record(RecordError::NotFound(_)) => Kind::NotFound,
        E::Record(_) => Kind::Refused,
        E::NotFound(_) | E::NoEntryWithPrefix(_) => Kind::NotFound,
        E::AmbiguousId { .. } | E::NotAnAttachment(_) => Kind::Refused,
        E::Exchange(_)
        | E::Refused(_)
        | E::Stranger { .. }
        | E::Blocked { .. }
        | E::NothingShared { .. }
        | E::AlreadyImported
        | E::AttachmentTooLarge { .. }
        | E::BadEnvelope { .. }
        | E::NotAllowed { .. }
        | E::Consent(_) => Kind::Refused,
        E::NoKey { .. } | E::ReadOnly { .. } | E::NoOwnRecord { .. } => Kind::Refused,
        _ => Kind::Failure,
    }
}

/// The kind of a failure: the first cause in the chain whose kind is known.
pub fn kind(e: &anyhow::Error) -> Kind {
    for cause in e.chain() {
        if let Some(c) = cause.downcast_ref::<CliError>() {
            return c.kind;
        }
        if let Some(c) = cause.downcast_ref::<carnet::Error>() {
            return carnet_kind(c);
        }
        if let Some(c) = cause.downcast_ref::<StoreError>() {
            return store_kind(c);
        }
        if let Some(c) = cause.downcast_ref::<CryptoError>() {
            return crypto_kind(c);
        }
        if cause.downcast_ref::<RecordError>().is_some() {
            return Kind::Refused;
        }
        if let Some(s) = cause.downcast_ref::<carnet_sync::SyncError>() {
            use carnet_sync::SyncError as S;
            return match s {
                S::Connect(_) | S::Connection(_) | S::Stalled { .. } | S::Timeout(_) => {
                    Kind::Unreachable
                }
                S::Vault(v) => carnet_kind(v),
                S::Refused(_) | S::WrongPeer(_) | S::BadTicket(_) => Kind::Refused,
                _ => Kind::Failure,
            };
        }
    }
    Kind::Failure
}

/// One cause in the language, when it is of a kind the command line knows.
fn translate(cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(e) = cause.downcast_ref::<carnet::Error>() {
        return carnet_text(e);
    }
    if let Some(e) = cause.downcast_ref::<StoreError>() {
        return store_text(e);
    }
    if let Some(CryptoError::WrongPassphrase) = cause.downcast_ref::<CryptoError>() {
        return Some(t!("err-wrong-passphrase"));
    }
    None
}

fn store_text(e: &StoreError) -> Option<String> {
    Some(match e {
        StoreError::WrongPassphrase(dir) => {
            t!("err-wrong-passphrase-at", vault = dir.display().to_string())
        }
        StoreError::NoVault(dir) => t!("err-no-vault", vault = dir.display().to_string()),
        StoreError::AlreadyExists(dir) => {
            t!("err-vault-exists", vault = dir.display().to_string())
        }
        StoreError::Crypto(CryptoError::WrongPassphrase) => t!("err-wrong-passphrase"),
        _ => return None,
    })
}

fn carnet_text(e: &carnet::Error) -> Option<String> {
    use carnet::Error as E;
    Some(match e {
        E::Store(s) => return store_text(s),
        E::Crypto(CryptoError::WrongPassphrase) => t!("err-wrong-passphrase"),
        E::NotFound(id) => t!("err-no-entry", id = id.to_string()),
        E::NoEntryWithPrefix(p) => t!("err-no-entry-prefix", prefix = p.as_str()),
        E::AmbiguousId { prefix, matches } => t!(
            "err-ambiguous-id",
            prefix = prefix.as_str(),
            matches = matches.join(", ")
        ),
        E::NotAnAttachment(id) => t!("err-not-attachment", id = id.to_string()),
        E::NoOwnRecord { role } => t!("err-no-own-record", role = words::word(role)),
        E::NoKey { section, record } => t!(
            "err-no-key",
            section = words::section(*section),
            record = record.as_str()
        ),
        E::ReadOnly { section, record } => t!(
            "err-read-only",
            section = words::section(*section),
            record = record.as_str()
        ),
        E::AttachmentDamaged(id) => t!("err-attachment-damaged", id = id.to_string()),
        E::Stranger { name, id } => {
            t!("err-stranger", name = name.as_str(), id = id.as_str())
        }
        E::Blocked { name } => t!("err-blocked", name = name.as_str()),
        E::NothingShared { name } => t!("err-nothing-shared", name = name.as_str()),
        E::AlreadyImported => t!("err-already-imported"),
        E::AttachmentTooLarge { size, max } => {
            t!("err-attachment-too-large", size = *size, max = *max)
        }
        _ => return None,
    })
}

/// The whole error in the language: each cause, outermost first, joined by ": " (as
/// anyhow's `{:#}` does); a known kind of cause is translated, the others keep their text.
pub fn text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = translate(cause).unwrap_or_else(|| cause.to_string());
        // A transparent wrapper repeats its cause's text: say it once.
        if parts.last().is_none_or(|p| *p != text) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_errors_have_their_kind_and_text() {
        let e: anyhow::Error = carnet::Error::AlreadyImported.into();
        assert_eq!(kind(&e), Kind::Refused);
        assert!(text(&e).contains("already imported"), "{}", text(&e));
        let e: anyhow::Error =
            carnet::Error::Store(StoreError::WrongPassphrase("/v".into())).into();
        assert_eq!(kind(&e), Kind::Passphrase);
        assert_eq!(kind(&e).code(), 3);
        let e = anyhow::Error::from(carnet::Error::NoEntryWithPrefix("abcd".into()))
            .context("while showing");
        assert_eq!(kind(&e), Kind::NotFound);
        assert!(text(&e).starts_with("while showing: "), "{}", text(&e));
        let e = refused("no".into());
        assert_eq!(kind(&e).code(), 4);
        assert_eq!(kind(&anyhow::anyhow!("other")), Kind::Failure);
    }
}
