//! Errors as people read them, and the exit code of each kind.
//!
//! The library's errors are typed (`carnet::Error` and the enums inside it, `CryptoError`,
//! `StoreError`, `RecordError`, `ConsentError`, `FhirError`, `MailboxError`, `SyncError`)
//! and their text is English. Every kind is said again here from the messages of the
//! language, so that a French reader meets no English sentence; the data an error holds
//! (a name, an id, a path, what was typed) stays as it is, and a lower layer's own report
//! (the system's, a decoder's) keeps its words after the kind. A kind added to a library
//! later keeps the library's text until it is said here. Each kind of failure has its own
//! exit code (documented in `carnet --help`).
//!
//! The library's messages name no command: what to run next is the command line's to
//! say. [`hint`] adds it, keyed on the library's stable error codes (`carnet::Error::code`).

use carnet::crypto::CryptoError;
use carnet::record::RecordError;
use carnet_store::StoreError;

use crate::i18n::Msg;
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
/// name that matches nothing. Its text is rendered when shown (a [`Msg`] made with
/// `msg!`): in the language of messages, in English inside `--json` output.
#[derive(Debug)]
pub struct CliError {
    pub kind: Kind,
    pub text: Msg,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.text.fmt(f)
    }
}

impl std::error::Error for CliError {}

/// A refusal of bad input (exit 4), as an error to return.
pub fn refused(text: impl Into<Msg>) -> anyhow::Error {
    CliError {
        kind: Kind::Refused,
        text: text.into(),
    }
    .into()
}

/// A usage error clap cannot see (exit 2), as an error to return.
pub fn usage(text: impl Into<Msg>) -> anyhow::Error {
    CliError {
        kind: Kind::Usage,
        text: text.into(),
    }
    .into()
}

/// A passphrase that is missing or cannot be read (exit 3), as an error to return.
pub fn passphrase(text: impl Into<Msg>) -> anyhow::Error {
    CliError {
        kind: Kind::Passphrase,
        text: text.into(),
    }
    .into()
}

/// Something named that does not exist (exit 6), as an error to return.
pub fn not_found(text: impl Into<Msg>) -> anyhow::Error {
    CliError {
        kind: Kind::NotFound,
        text: text.into(),
    }
    .into()
}

fn crypto_kind(e: &CryptoError) -> Kind {
    match e {
        CryptoError::WrongPassphrase => Kind::Passphrase,
        CryptoError::DamagedWrappedKey(_) | CryptoError::Encrypt(_) | CryptoError::Output(_) => {
            Kind::Failure
        }
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
        E::InItem { source, .. } => carnet_kind(source),
        E::Sharing(
            carnet::SharingError::NoContact { .. }
            | carnet::SharingError::NoGrant { .. }
            | carnet::SharingError::NoPatient { .. }
            | carnet::SharingError::NoPerson { .. },
        )
        | E::Device(carnet::DeviceError::NoDevice { .. }) => Kind::NotFound,
        E::Sharing(_)
        | E::Recovery(_)
        | E::Device(_)
        | E::Setting(_)
        | E::OutputExists { .. }
        | E::NotACarnetFile { .. } => Kind::Refused,
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
                S::Connect(_)
                | S::Connection { .. }
                | S::Stalled { .. }
                | S::Timeout(_)
                | S::NotStored
                | S::NotRegistered(_) => Kind::Unreachable,
                S::Vault(v) => carnet_kind(v),
                S::Refused(_)
                | S::WeRefused(_)
                | S::VaultExists(_)
                | S::WrongPeer { .. }
                | S::BadTicket(_) => Kind::Refused,
                _ => Kind::Failure,
            };
        }
        if let Some(m) = cause.downcast_ref::<carnet_mailbox::MailboxError>() {
            use carnet_mailbox::MailboxError as M;
            return match m {
                M::Vault(v) => carnet_kind(v),
                M::Refused(_) | M::BadTicket(_) => Kind::Refused,
                M::Connect(_) | M::Connection { .. } | M::Protocol(_) | M::Timeout(_) => {
                    Kind::Unreachable
                }
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
    // The cause of an item of an exchange is boxed: it comes as the box.
    if let Some(e) = cause.downcast_ref::<Box<carnet::Error>>() {
        return carnet_text(e);
    }
    if let Some(e) = cause.downcast_ref::<StoreError>() {
        return store_text(e);
    }
    if let Some(e) = cause.downcast_ref::<carnet_sync::SyncError>() {
        return sync_text(e);
    }
    if let Some(e) = cause.downcast_ref::<CryptoError>() {
        return Some(crypto_text(e));
    }
    if let Some(e) = cause.downcast_ref::<RecordError>() {
        return Some(record_text(e));
    }
    if let Some(e) = cause.downcast_ref::<carnet::consent::ConsentError>() {
        return Some(consent_text(e));
    }
    if let Some(e) = cause.downcast_ref::<carnet_fhir::FhirError>() {
        return fhir_text(e);
    }
    if let Some(e) = cause.downcast_ref::<carnet_mailbox::MailboxError>() {
        return mailbox_text(e);
    }
    None
}

/// Something a library error names by its English words (`"the bundle"`, a field, an
/// action), in the language when the messages have it (`thing-<words>`), else as it is.
fn thing(what: &str) -> String {
    named("thing", what)
}

/// What a peer was waiting for or doing when it stopped, in the language.
fn waiting(what: &str) -> String {
    named("wait", what)
}

fn named(prefix: &str, what: &str) -> String {
    let mut slug = String::new();
    for c in what.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let id = format!("{prefix}-{}", slug.trim_end_matches('-'));
    let text = crate::i18n::message(&id, &[]);
    if text == id { what.to_string() } else { text }
}

/// A peer's refusal in the language.
pub fn refusal_text(r: &carnet_sync::PeerRefusal) -> String {
    use carnet_sync::PeerRefusal as R;
    match r {
        R::NotLinked => t!("refusal-not-linked"),
        R::NotPrimary => t!("refusal-not-primary"),
        R::Blocked => t!("refusal-blocked"),
        R::Unknown => t!("refusal-unknown"),
        R::NothingShared { ended: Some(t) } => {
            t!("refusal-nothing-shared-since", date = day(*t))
        }
        R::NothingShared { ended: None } => t!("refusal-nothing-shared"),
        R::Batch { detail, .. } => t!("refusal-batch", detail = detail.as_str()),
        R::Busy { buffered_mib } => t!("refusal-busy", mib = *buffered_mib),
        R::WrongLinkCode => t!("refusal-wrong-link-code"),
        R::LinkVersion => t!("refusal-link-version"),
        R::Full { sessions } => t!("refusal-full", sessions = *sessions),
        // A kind added to the library later: its own words.
        other => other.to_string(),
    }
}

/// A day as people read it (YYYY-MM-DD), from Unix seconds.
pub fn day(t: u64) -> String {
    carnet::record::DateTime::from_unix(t as i64)
        .map(|d| d.date().to_string())
        .unwrap_or_else(|| t.to_string())
}

fn sync_text(e: &carnet_sync::SyncError) -> Option<String> {
    use carnet_sync::SyncError as S;
    Some(match e {
        S::Refused(r) => t!("err-peer-refused", why = refusal_text(r)),
        S::WeRefused(r) => t!("err-we-refused", why = refusal_text(r)),
        S::VaultExists(dir) => t!("err-link-vault-exists", vault = dir.display().to_string()),
        S::Vault(v) => return carnet_text(v),
        S::Bind(b) => t!("err-sync-bind", why = bind_text(b)),
        S::Connect(c) => t!("err-sync-connect", why = connect_text(c)),
        S::Connection { lost, at } => lost_text(lost, at),
        S::BadTicket(p) => t!("err-sync-ticket", why = ticket_text(p)),
        S::Protocol(v) => t!("err-sync-protocol", why = violation_text(v)),
        S::WrongPeer { name, person } => t!(
            "err-wrong-peer",
            name = name.as_str(),
            id = person.short().to_string()
        ),
        S::NotStored => t!("err-link-not-stored"),
        S::NotRegistered(why) => t!(
            "err-link-not-registered",
            why = sync_text(why).unwrap_or_else(|| why.to_string())
        ),
        S::Timeout(what) => t!("sync-timeout", what = waiting(what)),
        S::Stalled { what, secs, bytes } => t!(
            "sync-stalled",
            what = waiting(what),
            secs = *secs,
            bytes = *bytes
        ),
        S::Internal(f) => t!("internal-fault", detail = f.to_string()),
        S::InsideRuntime => t!("sync-inside-runtime"),
        S::Stopped => t!("sync-live-stopped"),
        _ => return None,
    })
}

/// A sync error on its own (not behind a command's context), in the language: for the
/// lines `serve` and `sync --watch` print as sessions come and go.
pub fn said(e: &carnet_sync::SyncError) -> String {
    sync_text(e).unwrap_or_else(|| e.to_string())
}

/// A vault error on its own (an item of a collection the vault refused), in the language.
pub fn said_vault(e: &carnet::Error) -> String {
    carnet_text(e).unwrap_or_else(|| e.to_string())
}

/// Any cause on its own, in the language when it is of a kind the command line knows (a
/// value parser's refusal inside a usage error, for one).
pub fn said_cause(cause: &(dyn std::error::Error + 'static)) -> String {
    translate(cause).unwrap_or_else(|| cause.to_string())
}

/// A mailbox error on its own (a mailbox a sync could not use), in the language.
pub fn said_mailbox(e: &carnet_mailbox::MailboxError) -> String {
    mailbox_text(e).unwrap_or_else(|| e.to_string())
}

/// Why an endpoint could not listen, in the language.
pub fn bind_text(b: &carnet::transport::BindFailure) -> String {
    use carnet::transport::BindFailure as B;
    match b {
        B::AddressInUse(a) => t!("bind-in-use", addr = a.to_string()),
        B::AddressNotAvailable(a) => t!("bind-not-here", addr = a.to_string()),
        B::NotAllowed(a) => t!("bind-not-allowed", addr = a.to_string()),
        // The transport's own report: its words.
        other => other.to_string(),
    }
}

/// Why a peer could not be reached, in the language.
pub fn connect_text(c: &carnet::transport::ConnectFailure) -> String {
    use carnet::transport::ConnectFailure as C;
    match c {
        C::NoAnswer { secs } => t!("connect-no-answer", secs = *secs),
        C::NoAddress => t!("connect-no-address"),
        other => other.to_string(),
    }
}

/// A lost connection and how far the exchange had gone, in the language.
pub fn lost_text(lost: &carnet::transport::LinkLost, at: &carnet::transport::LostAt) -> String {
    use carnet::transport::{LinkLost as L, LostAt as A};
    let why = match lost {
        L::PeerEnded => t!("lost-peer-ended"),
        L::PeerClosed { reason: None } => t!("lost-peer-closed"),
        L::PeerClosed {
            reason: Some(reason),
        } => t!("lost-peer-closed-why", reason = reason.as_str()),
        L::Silent { secs } => t!("lost-silent", secs = *secs),
        L::Reset => t!("lost-reset"),
        L::ClosedHere => t!("lost-closed-here"),
        L::StreamEnded => t!("lost-stream-ended"),
        L::EndpointClosed => t!("lost-endpoint-closed"),
        L::Unconfirmed { batches } => t!("lost-unconfirmed", batches = *batches),
        other => other.to_string(),
    };
    let at = match at {
        A::Received(n) => t!("at-received", bytes = *n),
        A::MidMessage { got, of: Some(of) } => t!("at-mid-message", got = *got, of = *of),
        A::MidMessage { got, of: None } => t!("at-mid-message-open", got = *got),
        A::Sent(n) => t!("at-sent", bytes = *n),
        _ => String::new(),
    };
    t!("err-sync-connection", why = why, at = at)
}

/// What is wrong with a ticket, in the language.
pub fn ticket_text(p: &carnet::transport::TicketProblem) -> String {
    use carnet::transport::TicketProblem as P;
    match p {
        P::TooLong => t!("ticket-too-long"),
        P::WrongStart { prefix } => t!("ticket-wrong-start", prefix = *prefix),
        P::BadCharacter { position } => t!("ticket-bad-character", position = *position),
        P::Undecodable => t!("ticket-undecodable"),
        P::NoAddress => t!("ticket-no-address"),
        P::BadKey => t!("ticket-bad-key"),
        other => other.to_string(),
    }
}

/// How a peer broke a protocol, in the language where a person can act on it (the
/// others are a peer's bug: their technical words).
pub fn violation_text(v: &carnet::transport::Violation) -> String {
    use carnet::transport::{Credential, Violation as V};
    match v {
        V::Version {
            protocol,
            theirs,
            ours,
        } => t!(
            "violation-version",
            protocol = *protocol,
            theirs = *theirs,
            ours = *ours
        ),
        V::BadCredential {
            what: Credential::Card,
            ..
        } => t!("violation-card"),
        V::BadCredential { .. } => t!("violation-cert"),
        other => other.to_string(),
    }
}

fn store_text(e: &StoreError) -> Option<String> {
    let path = |p: &std::path::Path| p.display().to_string();
    Some(match e {
        StoreError::WrongPassphrase(dir) => t!("err-wrong-passphrase-at", vault = path(dir)),
        StoreError::NoVault(dir) => t!("err-no-vault", vault = path(dir)),
        StoreError::AlreadyExists(dir) => t!("err-vault-exists", vault = path(dir)),
        StoreError::Crypto(c) => crypto_text(c),
        // Why it is not usable is the store's own report.
        StoreError::NotAVault { path: p, why } => {
            t!("store-not-a-vault", path = path(p), why = why.as_str())
        }
        StoreError::NoUnlockKey(dir) => t!("store-no-unlock-key", path = path(dir)),
        StoreError::Corrupted { path: p, detail } => {
            t!("store-corrupted", path = path(p), detail = detail.as_str())
        }
        StoreError::Damaged { what, source } => {
            t!(
                "store-damaged",
                what = thing(what),
                why = crypto_text(source)
            )
        }
        StoreError::ChainBroken { id, why } => {
            t!("store-chain-broken", id = id.as_str(), why = why.as_str())
        }
        StoreError::Database(d) => t!("store-database", detail = d.as_str()),
        StoreError::Io {
            action,
            path: p,
            source,
        } => t!(
            "err-io",
            action = thing(action),
            path = path(p),
            detail = source.to_string()
        ),
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
        E::BadEnvelope { id, section, why } => t!(
            "err-bad-envelope",
            id = id.as_str(),
            section = section.as_str(),
            why = envelope_fault_text(why)
        ),
        E::Crypto(c) => crypto_text(c),
        E::Record(r) => record_text(r),
        E::Consent(c) => consent_text(c),
        E::NotAllowed {
            id,
            author,
            section,
        } => t!(
            "err-not-allowed",
            id = id.as_str(),
            author = author.as_str(),
            section = section.as_str()
        ),
        E::Sharing(s) => sharing_text(s),
        E::Exchange(x) => exchange_text(x),
        E::Refused(r) => vault_refusal_text(r),
        E::Recovery(r) => recovery_text(r),
        E::Device(d) => device_text(d),
        E::Setting(s) => setting_text(s),
        E::Damaged(d) => damage_text(d),
        E::InItem { n, kind, source } => t!(
            "err-in-item",
            n = *n,
            kind = thing(kind),
            why = said_vault(source)
        ),
        E::OutputExists { path } => t!("err-output-exists", path = path.display().to_string()),
        E::NotACarnetFile { path, what, magic } => t!(
            "err-not-carnet-file",
            path = path.display().to_string(),
            what = thing(what),
            magic = String::from_utf8_lossy(magic).trim_end().to_string()
        ),
        // The system's report (a full disk, a permission) stays in its words.
        E::Io {
            action,
            path: Some(path),
            source,
        } => t!(
            "err-io",
            action = thing(action),
            path = path.display().to_string(),
            detail = source.to_string()
        ),
        E::Io {
            action,
            path: None,
            source,
        } => t!(
            "err-io-nopath",
            action = thing(action),
            detail = source.to_string()
        ),
        E::Encode { what, detail } => {
            t!("err-encode", what = thing(what), detail = detail.as_str())
        }
        E::Vanished { what } => t!("err-vanished", what = thing(what)),
        _ => return None,
    })
}

fn sharing_text(e: &carnet::SharingError) -> String {
    use carnet::SharingError as S;
    match e {
        S::NoContact { name } => t!("sharing-no-contact", name = name.as_str()),
        S::BadContactName { max } => t!("sharing-bad-contact-name", max = *max),
        S::OwnCard => t!("sharing-own-card"),
        S::NameTaken { name } => t!("sharing-name-taken", name = name.as_str()),
        S::AlreadyContact { name } => t!("sharing-already-contact", name = name.as_str()),
        S::NotYourRecord => t!("sharing-not-your-record"),
        S::NoSections => t!("sharing-no-sections"),
        S::BadPurpose { max } => t!("sharing-bad-purpose", max = *max),
        S::EndInPast => t!("sharing-end-in-past"),
        S::GrantToBlocked { name } => t!("sharing-grant-to-blocked", name = name.as_str()),
        S::AlreadyBlocked => t!("sharing-already-blocked"),
        S::NoGrant { id } => t!("sharing-no-grant", id = id.as_str()),
        S::AlreadyRevoked { id } => t!("sharing-already-revoked", id = id.as_str()),
        S::NoPatients => t!("sharing-no-patients"),
        S::NoPatient { query } => t!("sharing-no-patient", query = query.as_str()),
        S::AmbiguousPatient { query } => t!("sharing-ambiguous-patient", query = query.as_str()),
        S::NoPerson { query } => t!("sharing-no-person", query = query.as_str()),
        S::AmbiguousPerson { query } => t!("sharing-ambiguous-person", query = query.as_str()),
        other => other.to_string(),
    }
}

fn exchange_text(e: &carnet::ExchangeError) -> String {
    use carnet::ExchangeError as X;
    match e {
        X::Truncated { what } => t!("exchange-truncated", what = thing(what)),
        X::NoHeader { what } => t!("exchange-no-header", what = thing(what)),
        X::SecondHeader { what } => t!("exchange-second-header", what = thing(what)),
        X::TrailingData { what } => t!("exchange-trailing-data", what = thing(what)),
        X::UnsupportedVersion { what, version } => t!(
            "exchange-unsupported-version",
            what = thing(what),
            version = *version
        ),
        X::FrameTooLarge { size, max } => {
            t!("exchange-frame-too-large", size = *size, max = *max)
        }
        X::Undecodable { what, detail } => t!(
            "exchange-undecodable",
            what = thing(what),
            detail = detail.as_str()
        ),
        X::Unreadable { what, source } => t!(
            "exchange-unreadable",
            what = thing(what),
            why = crypto_text(source)
        ),
        X::CountMismatch { what, said, read } => t!(
            "exchange-count-mismatch",
            what = thing(what),
            said = *said,
            read = *read
        ),
        X::MalformedSignature { what } => {
            t!("exchange-malformed-signature", what = thing(what))
        }
        X::BadSignature { what } => t!("exchange-bad-signature", what = thing(what)),
        X::BadBackupSignature { name, person } => t!(
            "exchange-bad-backup-signature",
            name = name.as_str(),
            person = person.to_string()
        ),
        X::Altered { what, part } => {
            t!("exchange-altered", what = thing(what), part = thing(part))
        }
        X::BackupDamaged(inner) => t!("exchange-backup-damaged", why = exchange_text(inner)),
        X::RestoredInvalid(inner) => {
            t!("exchange-restored-invalid", why = said_vault(inner))
        }
        X::TooMany { what } => t!("exchange-too-many", what = thing(what)),
        X::UnknownSection { code } => t!("exchange-unknown-section", code = *code),
        X::UnannouncedAttachment => t!("exchange-unannounced-attachment"),
        X::AttachmentTooLarge { size, max } => {
            t!("exchange-attachment-too-large", size = *size, max = *max)
        }
        X::ResumeMismatch => t!("exchange-resume-mismatch"),
        X::OutOfOrder => t!("exchange-out-of-order"),
        X::AttachmentAltered => t!("exchange-attachment-altered"),
        X::AttachmentsIncomplete { count } => {
            t!("exchange-attachments-incomplete", count = *count)
        }
        X::MissingCheckpoint => t!("exchange-missing-checkpoint"),
        X::CheckpointGap { held, source } => t!(
            "exchange-checkpoint-gap",
            held = *held,
            why = consent_text(source)
        ),
        X::ChainGap { source } => t!(
            "exchange-chain-gap",
            why = store_text(source).unwrap_or_else(|| source.to_string())
        ),
        X::BundleGap { from } => t!("exchange-bundle-gap", from = from.as_str()),
        X::UnexpectedRow => t!("exchange-unexpected-row"),
        X::MalformedRow => t!("exchange-malformed-row"),
        X::OwnLogsDiffer { index } => t!("exchange-own-logs-differ", index = *index),
        X::OwnLogOutOfOrder { index, held } => t!(
            "exchange-own-log-out-of-order",
            index = *index,
            held = *held
        ),
        X::LinkClosed => t!("exchange-link-closed"),
        // The transport's own report, in its words.
        X::Transport(e) => t!("exchange-transport", detail = e.to_string()),
        other => other.to_string(),
    }
}

/// A vault's refusal of an exchange by policy, in the language.
fn vault_refusal_text(e: &carnet::Refusal) -> String {
    use carnet::Refusal as R;
    match e {
        R::FromYourself => t!("refused-from-yourself"),
        R::DeviceNotRegistered => t!("refused-device-not-registered"),
        R::OnlyFromPatient { what } => t!("refused-only-from-patient", what = thing(what)),
        R::OwnStateNotFromPrimary => t!("refused-own-state-not-from-primary"),
        R::NotSendersRecord { envelope } => {
            t!("refused-not-senders-record", envelope = envelope.as_str())
        }
        R::CosignatureNotFromGrantee => t!("refused-cosignature-not-from-grantee"),
        R::RemovalNotFromOwner => t!("refused-removal-not-from-owner"),
        R::NotForYou => t!("refused-not-for-you"),
        R::AddressedToOther { to } => t!("refused-addressed-to-other", to = to.as_str()),
        other => other.to_string(),
    }
}

fn recovery_text(e: &carnet::RecoveryError) -> String {
    use carnet::RecoveryError as R;
    match e {
        R::NoRecoveryKey => t!("recovery-no-recovery-key"),
        R::PhraseDoesNotOpen => t!("recovery-phrase-does-not-open"),
        R::NotThisVaultsPhrase => t!("recovery-not-this-vaults-phrase"),
        R::NotDeclaredPhrase => t!("recovery-not-declared-phrase"),
        R::BackupOfAnother {
            name,
            person,
            expected,
        } => t!(
            "err-backup-other-person",
            name = name.as_str(),
            id = person.to_string(),
            expected = expected.to_string()
        ),
        R::HolderTwice { name } => t!("recovery-holder-twice", name = name.as_str()),
        R::TooManyHolders { max } => t!("recovery-too-many-holders", max = *max),
        R::BadThreshold { total } => t!("recovery-bad-threshold", total = *total),
        R::ForeignCheckpoint(c) => t!("recovery-foreign-checkpoint", why = consent_text(c)),
        R::NotAPatient => t!("recovery-not-a-patient"),
        other => other.to_string(),
    }
}

fn device_text(e: &carnet::DeviceError) -> String {
    use carnet::DeviceError as D;
    match e {
        D::NoDevice { query } => t!("device-no-device", query = query.as_str()),
        D::AmbiguousDevice { query } => t!("device-ambiguous", query = query.as_str()),
        D::ThisDevice => t!("device-this-device"),
        D::AlreadyRemoved => t!("device-already-removed"),
        D::NotPrimary { primary } => t!("device-not-primary", primary = primary.as_str()),
        D::NoIdentityKey => t!("device-no-identity-key"),
        other => other.to_string(),
    }
}

fn setting_text(e: &carnet::SettingError) -> String {
    use carnet::SettingError as S;
    match e {
        S::Unknown { name, known } => t!(
            "setting-unknown",
            name = name.as_str(),
            known = known.join(", ")
        ),
        S::Invalid { name, value } => {
            // What a setting takes, as the library says it for each.
            let values = match name.as_str() {
                "relay" => t!("setting-values-relay"),
                "port" => t!("setting-values-port"),
                _ => t!("setting-values-switch"),
            };
            t!(
                "setting-invalid",
                name = name.as_str(),
                values = values,
                value = value.as_str()
            )
        }
        other => other.to_string(),
    }
}

fn damage_text(e: &carnet::Damage) -> String {
    use carnet::Damage as D;
    match e {
        D::Undecodable { what, detail } => t!(
            "damage-undecodable",
            what = thing(what),
            detail = detail.as_str()
        ),
        D::Invalid { what } => t!("damage-invalid", what = thing(what)),
        D::Missing { what } => t!("damage-missing", what = thing(what)),
        D::AttachmentMissing { envelope } => {
            t!("damage-attachment-missing", envelope = envelope.as_str())
        }
        D::ConsentCutShort { wrote } => t!("damage-consent-cut-short", wrote = *wrote),
        other => other.to_string(),
    }
}

/// A cryptographic refusal or failure in the language. The free text some kinds carry
/// (what is wrong with a card, a phrase or shares) is the crypto crate's own report.
pub fn crypto_text(e: &CryptoError) -> String {
    use CryptoError as C;
    match e {
        C::WrongPassphrase => t!("err-wrong-passphrase"),
        C::DamagedWrappedKey(d) => t!("crypto-damaged-wrapped-key", detail = d.as_str()),
        C::Encrypt(d) => t!("crypto-encrypt", detail = d.as_str()),
        C::Output(io) => t!("crypto-output", detail = io.to_string()),
        C::Decrypt { what } => t!("crypto-decrypt", what = thing(what)),
        C::BadSignature { what } => t!("crypto-bad-signature", what = thing(what)),
        C::Malformed { what, detail } => t!(
            "crypto-malformed",
            what = thing(what),
            detail = detail.as_str()
        ),
        C::TooLarge { what, size, max } => t!(
            "crypto-too-large",
            what = thing(what),
            size = *size,
            max = *max
        ),
        C::BadCard(d) => t!("crypto-bad-card", detail = d.as_str()),
        C::UnsupportedVersion {
            what,
            found,
            supported,
        } => t!(
            "crypto-unsupported-version",
            what = thing(what),
            found = *found,
            supported = *supported
        ),
        C::NotForYou => t!("crypto-not-for-you"),
        C::BadPhrase(d) => t!("crypto-bad-phrase", detail = d.as_str()),
        C::BadShare(d) => t!("crypto-bad-share", detail = d.as_str()),
        C::Random(d) => t!("crypto-random", detail = d.as_str()),
        other => other.to_string(),
    }
}

fn consent_text(e: &carnet::consent::ConsentError) -> String {
    use carnet::consent::ConsentError as C;
    match e {
        C::Malformed { what, detail } => t!(
            "consent-malformed",
            what = thing(what),
            detail = detail.as_str()
        ),
        // Why an entry or a checkpoint does not verify is the consent log's own report.
        C::BadEntry { index, why } => t!("consent-bad-entry", index = *index, why = why.as_str()),
        C::BadCheckpoint { size, why } => {
            t!("consent-bad-checkpoint", size = *size, why = why.as_str())
        }
        C::NotThePatient {
            expected,
            found,
            name,
        } => t!(
            "consent-not-the-patient",
            expected = expected.to_string(),
            found = found.to_string(),
            name = name.as_str()
        ),
        C::CutBack { size, seen, what } => t!(
            "consent-cut-back",
            size = *size,
            seen = *seen,
            what = thing(what)
        ),
        C::Crypto(c) => crypto_text(c),
        other => other.to_string(),
    }
}

/// An entry the record refuses, in the language. The record crate says what it expected
/// and why a value is implausible in English sentences; those it writes are said again
/// from the messages ([`expected_text`], [`why_text`]), any other is kept.
fn record_text(e: &RecordError) -> String {
    use RecordError as R;
    let section = |s: &str| {
        s.parse::<carnet::record::SectionId>()
            .map(words::section)
            .unwrap_or_else(|_| s.to_string())
    };
    match e {
        R::Invalid {
            what,
            input,
            expected,
        } => t!(
            "record-invalid",
            what = thing(what),
            input = input.as_str(),
            expected = expected_text(expected)
        ),
        R::Empty(field) => t!("record-empty", field = thing(field)),
        R::TooLong { field, len, max } => t!(
            "record-too-long",
            field = thing(field),
            len = *len,
            max = *max
        ),
        R::UnitMismatch {
            unit,
            kind,
            accepted,
        } => t!(
            "record-unit-mismatch",
            unit = unit.as_str(),
            kind = kind.as_str(),
            accepted = accepted.as_str()
        ),
        R::Implausible { what, value, why } => t!(
            "record-implausible",
            what = thing(what),
            value = value.as_str(),
            why = why_text(why)
        ),
        R::WrongSection {
            kind,
            expected,
            found,
        } => t!(
            "record-wrong-section",
            kind = words::word(kind),
            expected = section(expected),
            found = section(found)
        ),
        R::KindChange { id, existing, new } => t!(
            "record-kind-change",
            id = id.as_str(),
            existing = words::word(existing),
            new = words::word(new)
        ),
        R::NotFound(id) => t!("record-not-found", id = id.as_str()),
        R::ProfileExists(id) => t!("record-profile-exists", id = id.as_str()),
        R::PeriodReversed {
            start_field,
            start,
            end_field,
            end,
        } => t!(
            "record-period-reversed",
            start_field = thing(start_field),
            start = start.as_str(),
            end_field = thing(end_field),
            end = end.as_str()
        ),
        R::Malformed(d) => t!("record-malformed", detail = d.as_str()),
        R::Unapplicable { hashes } => t!("record-unapplicable", n = hashes.len()),
        R::Undecodable { id, why } => {
            t!("record-undecodable", id = id.as_str(), why = why.as_str())
        }
        other => other.to_string(),
    }
}

/// What the record crate expected of a value (`RecordError::Invalid`), in the language.
fn expected_text(expected: &str) -> String {
    if let Some(list) = expected.strip_prefix("use one of ") {
        return match list.strip_suffix(", or a LOINC code such as 2093-3") {
            Some(kinds) => t!("expected-kind-or-loinc", values = kinds),
            None => t!("expected-one-of", values = list),
        };
    }
    match expected {
        "an entry id is 10 letters and digits" => t!("expected-entry-id"),
        "give a UCUM unit without spaces, e.g. mg/dL" => t!("expected-ucum-unit"),
        "use YYYY, YYYY-MM or YYYY-MM-DD (a real calendar date)" => t!("expected-date"),
        "use allergies, conditions, medications or immunizations" => t!("expected-none-known"),
        s if s.starts_with("write SYSTEM:CODE or SYSTEM|CODE") => t!("expected-code"),
        s if s.starts_with("use RFC 3339 ") => t!("expected-datetime"),
        other => other.to_string(),
    }
}

/// Why the record crate finds a value implausible or unusual, in the language.
fn why_text(why: &str) -> String {
    match why {
        "it is not a number (write 72.5 or 72,5)" => return t!("why-not-a-number"),
        "it is not a finite number" => return t!("why-not-finite"),
        "write it as SYSTOLIC/DIASTOLIC, e.g. 120/80" => return t!("why-bp-form"),
        "the diastolic value must be below the systolic one" => return t!("why-bp-order"),
        _ => {}
    }
    if let Some((low, high)) = why
        .strip_prefix("expected a value above ")
        .and_then(|r| r.split_once(" and at most "))
    {
        return t!("why-range", low = low, high = high);
    }
    if let Some((today, _)) = why
        .strip_prefix("it is after today (")
        .and_then(|r| r.split_once(')'))
    {
        return t!("why-after-today", today = today);
    }
    if let Some((now, _)) = why
        .strip_prefix("it is in the future (now is ")
        .and_then(|r| r.split_once(')'))
    {
        return t!("why-future", now = now);
    }
    if let Some(at) = why
        .strip_prefix("at ")
        .and_then(|r| r.strip_suffix(" it is not a finite number"))
    {
        return t!("why-not-finite-at", at = at);
    }
    if let Some((low, high)) = why
        .strip_prefix("it is usually between ")
        .and_then(|r| r.strip_suffix(" mm[Hg]"))
        .and_then(|r| r.split_once(" and "))
    {
        return t!("why-usual-bp", low = low, high = high);
    }
    why.to_string()
}

/// A measurement outside the usual values, in the language (what it probably means is the
/// record's table, said again from the messages, `usual-<its words>`).
pub fn unusual_text(u: &carnet::record::Unusual) -> String {
    let why = why_text(&u.why);
    let why = if why == u.why {
        named("usual", &u.why)
    } else {
        why
    };
    t!(
        "record-unusual",
        what = thing(&u.what),
        value = u.value.as_str(),
        why = why
    )
}

/// A FHIR or device file that is not imported, in the language. What the FHIR validator
/// says of each resource is its own report, after its place in the bundle.
fn fhir_text(e: &carnet_fhir::FhirError) -> Option<String> {
    use carnet_fhir::FhirError as F;
    Some(match e {
        F::TooLarge { size, max } => t!("fhir-too-large", size = *size, max = *max),
        F::ResourceTooLarge { entry, max } => {
            t!("fhir-resource-too-large", entry = *entry, max = *max)
        }
        F::HeldTooLarge { max } => t!("fhir-held-too-large", max = *max),
        F::NotJson(d) => t!("fhir-not-json", detail = fhir_detail(d)),
        F::NotFhir(d) => t!("fhir-not-fhir", detail = fhir_detail(d)),
        F::NotABundle(s) => not_a_bundle_text(s),
        F::Invalid(problems) => t!(
            "fhir-invalid",
            n = problems.len(),
            problems = problems_text(problems)
        ),
        F::Unsupported(s) => t!("fhir-unsupported", detail = unsupported_text(s)),
        F::SeveralPatients(people) => t!(
            "fhir-several-patients",
            n = people.len(),
            people = people_text(people),
            example = people
                .first()
                .map_or("Patient/ID", |p| p.reference.as_str())
        ),
        F::NoSuchPatient { wanted, patients } => t!(
            "fhir-no-such-patient",
            wanted = wanted.as_str(),
            people = people_text(patients)
        ),
        F::Layout { file_kind, message } => t!(
            "fhir-layout",
            file_kind = *file_kind,
            message = message.as_str()
        ),
        F::Row {
            file_kind,
            line,
            column,
            message,
        } => t!(
            "fhir-row",
            file_kind = *file_kind,
            line = *line,
            column = column.as_str(),
            message = message.as_str()
        ),
        F::Spool(d) => t!("fhir-spool", detail = d.as_str()),
        F::Export(d) => t!("fhir-export", detail = d.as_str()),
        _ => return None,
    })
}

/// Why a file is not JSON, or not FHIR, in the language (a JSON decoder's report kept).
fn fhir_detail(d: &str) -> String {
    match d {
        "it is empty" => return t!("fhir-empty"),
        "its top level is not an object" => return t!("fhir-not-object"),
        "it has no resourceType" => return t!("fhir-no-resource-type"),
        _ => {}
    }
    if let Some(bytes) = d
        .strip_prefix("it does not start with '{' (first bytes: ")
        .and_then(|r| r.strip_suffix(')'))
    {
        return t!("fhir-no-brace", bytes = bytes);
    }
    if let Some(detail) = d.strip_prefix("it could not be read: ") {
        return t!("fhir-unreadable", detail = detail);
    }
    d.to_string()
}

fn not_a_bundle_text(s: &str) -> String {
    if let Some((kind, _)) = s
        .strip_prefix("the file holds one ")
        .and_then(|r| r.split_once(" resource, not a Bundle"))
    {
        return t!("fhir-one-resource", rtype = kind);
    }
    if let Some((kind, _)) = s
        .strip_prefix("resourceType \"")
        .and_then(|r| r.split_once("\" is not an R4 resource type"))
    {
        return t!("fhir-not-a-resource-type", rtype = kind);
    }
    if let Some((kind, _)) = s
        .strip_prefix("Bundle.type \"")
        .and_then(|r| r.split_once("\" is not imported"))
    {
        return t!("fhir-bundle-type", rtype = kind);
    }
    s.to_string()
}

fn unsupported_text(s: &str) -> String {
    let readings = |r: &str| {
        r.strip_suffix(" readings; split it (for example by year)")
            .map(str::to_string)
    };
    if let Some(max) = s
        .strip_prefix("the file holds more than ")
        .and_then(readings)
    {
        return t!("fhir-too-many-readings", max = max);
    }
    if let Some(max) = s
        .strip_prefix("the bundle holds more than ")
        .and_then(readings)
    {
        return t!("fhir-bundle-too-many-readings", max = max);
    }
    s.to_string()
}

/// The problems of an invalid bundle, one a line (the first ten), as the library lists them.
fn problems_text(problems: &[carnet_fhir::Problem]) -> String {
    let mut s = String::new();
    for p in problems.iter().take(10) {
        s.push_str("\n  ");
        match (p.entry, &p.resource) {
            (Some(i), Some(r)) => {
                s.push_str(&t!(
                    "fhir-problem-entry-resource",
                    entry = i,
                    resource = r.as_str()
                ));
                s.push(' ');
            }
            (Some(i), None) => {
                s.push_str(&t!("fhir-problem-entry", entry = i));
                s.push(' ');
            }
            (None, Some(r)) => {
                s.push_str(&t!("fhir-problem-resource", resource = r.as_str()));
                s.push(' ');
            }
            (None, None) => {}
        }
        s.push_str(&p.message);
    }
    if problems.len() > 10 {
        s.push_str("\n  ");
        s.push_str(&t!("fhir-more-problems", n = problems.len() - 10));
    }
    s
}

fn people_text(people: &[carnet_fhir::PatientIdentity]) -> String {
    people
        .iter()
        .map(|p| format!("\n  {}", patient_text(p)))
        .collect()
}

/// A bundle's patient as people read it (name, birth date, reference, identifiers), as
/// the FHIR crate shows it, in the language.
pub fn patient_text(p: &carnet_fhir::PatientIdentity) -> String {
    let name = p
        .names
        .first()
        .cloned()
        .unwrap_or_else(|| t!("patient-unnamed"));
    let born = match &p.birth_date {
        Some(d) => t!("patient-born", date = d.to_string()),
        None => t!("patient-no-birth-date"),
    };
    let ids = if p.identifiers.is_empty() {
        String::new()
    } else {
        let shown: Vec<String> = p
            .identifiers
            .iter()
            .take(3)
            .map(ToString::to_string)
            .collect();
        t!("patient-identifiers", ids = shown.join(", "))
    };
    format!("{name}{born} ({}{ids})", p.reference)
}

/// How a bundle's patient differs from the record's person, in the language: the FHIR
/// crate says it in English sentences of three forms, each said again here (any other is
/// kept as it is).
pub fn difference_text(why: &str) -> String {
    let Some((head, mine, theirs)) = why.strip_suffix(')').and_then(|r| {
        let (head, rest) = r.split_once(" (record: ")?;
        let (mine, theirs) = rest.split_once("; bundle: ")?;
        Some((head, mine, theirs))
    }) else {
        return why.to_string();
    };
    match head {
        "the names differ" => t!("diff-names", mine = mine, theirs = theirs),
        "the birth dates differ" => t!("diff-birth-dates", mine = mine, theirs = theirs),
        _ => match head
            .strip_prefix("the identifiers of ")
            .and_then(|r| r.strip_suffix(" differ"))
        {
            Some(system) => t!(
                "diff-identifiers",
                system = system,
                mine = mine,
                theirs = theirs
            ),
            None => why.to_string(),
        },
    }
}

/// A mailbox error in the language (the command line's own wording of the usual ones is
/// in `mailbox::cli_error`).
fn mailbox_text(e: &carnet_mailbox::MailboxError) -> Option<String> {
    use carnet_mailbox::MailboxError as M;
    Some(match e {
        M::Vault(v) => return carnet_text(v),
        M::Store { source } => t!("mailbox-store", detail = source.to_string()),
        M::Internal(f) => t!("internal-fault", detail = f.to_string()),
        M::Damaged { what } => t!("mailbox-damaged", what = thing(what)),
        M::NoItem(id) => t!("mailbox-no-item", id = *id),
        M::InUse(dir) => t!("err-mailbox-in-use", store = dir.display().to_string()),
        M::Io { what, source } => t!(
            "err-io-nopath",
            action = what.as_str(),
            detail = source.to_string()
        ),
        M::Bind(b) => t!("err-sync-bind", why = bind_text(b)),
        M::Connect(c) => t!("err-mailbox-unreachable", why = connect_text(c)),
        M::Protocol(v) => t!("err-mailbox-unreachable", why = violation_text(v)),
        M::Timeout(what) => t!(
            "err-mailbox-unreachable",
            why = t!("mailbox-timeout", what = waiting(what))
        ),
        M::Connection { lost, at } => t!("err-mailbox-unreachable", why = lost_text(lost, at)),
        M::Refused(r) => mailbox_refusal_text(r),
        M::BadTicket(p) => t!("err-mailbox-ticket", why = ticket_text(p)),
        _ => return None,
    })
}

/// A mailbox's refusal in the language.
pub fn mailbox_refusal_text(r: &carnet_mailbox::Refusal) -> String {
    use carnet_mailbox::{CertProblem as P, Refusal as R};
    match r {
        R::NotAllowed => t!("err-mailbox-not-allowed"),
        R::DepositorFull {
            items,
            bytes,
            max_items,
            max_bytes,
        } => t!(
            "err-mailbox-quota",
            items = *items,
            bytes = *bytes,
            max_items = *max_items,
            max_bytes = *max_bytes
        ),
        R::RecipientFull {
            max_items,
            max_bytes,
            ..
        } => t!(
            "err-mailbox-recipient-full",
            max_items = *max_items,
            max_bytes = *max_bytes
        ),
        R::TooLarge { size, max } => t!("err-mailbox-too-large", size = *size, max = *max),
        other => t!(
            "err-mailbox-refused",
            why = match other {
                R::BadCertificate(p) => t!(
                    "mailbox-bad-certificate",
                    why = match p {
                        P::NotPresented => t!("mailbox-cert-not-presented"),
                        P::Card => t!("mailbox-cert-card"),
                        P::Certificate => t!("mailbox-cert-certificate"),
                        P::OfAnother => t!("mailbox-cert-of-another"),
                        other => other.to_string(),
                    }
                ),
                R::StoreFull { bytes, max } => {
                    t!("mailbox-store-full", bytes = *bytes, max = *max)
                }
                R::Version { theirs, ours } => {
                    t!("mailbox-version", theirs = *theirs, ours = *ours)
                }
                R::Unavailable => t!("mailbox-unavailable"),
                R::DeviceNotListed => t!("mailbox-device-not-listed"),
                other => other.to_string(),
            }
        ),
    }
}

/// Why an envelope is not genuine, in the language (the crypto or record crate's error
/// inside said in the language too).
fn envelope_fault_text(f: &carnet::EnvelopeFault) -> String {
    use carnet::EnvelopeFault as F;
    match f {
        F::Undecodable(e) => t!("envelope-undecodable", detail = crypto_text(e)),
        F::Signature(e) => t!("envelope-signature", detail = crypto_text(e)),
        F::IdMismatch => t!("envelope-id-mismatch"),
        F::Missing => t!("envelope-missing"),
        F::Unopenable(e) => t!("envelope-unopenable", detail = crypto_text(e)),
        F::Changes(e) => t!("envelope-changes", detail = record_text(e)),
        F::OthersChanges => t!("envelope-others-changes"),
        F::UnknownSection => t!("envelope-unknown-section"),
        F::UnknownWriter => t!("envelope-unknown-writer"),
        other => other.to_string(),
    }
}

/// The stable code of the first cause that has one (a library error), for `--json`.
pub fn code(e: &anyhow::Error) -> Option<&'static str> {
    e.chain().find_map(cause_code)
}

fn cause_code(cause: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    if let Some(e) = cause.downcast_ref::<carnet::Error>() {
        return Some(e.code());
    }
    if let Some(e) = cause.downcast_ref::<StoreError>() {
        return Some(e.code());
    }
    if let Some(e) = cause.downcast_ref::<CryptoError>() {
        return Some(e.code());
    }
    if let Some(e) = cause.downcast_ref::<RecordError>() {
        return Some(e.code());
    }
    if let Some(e) = cause.downcast_ref::<carnet::consent::ConsentError>() {
        return Some(e.code());
    }
    if let Some(e) = cause.downcast_ref::<carnet_sync::SyncError>() {
        return Some(e.code());
    }
    if let Some(e) = cause.downcast_ref::<carnet_mailbox::MailboxError>() {
        return Some(e.code());
    }
    None
}

/// What to run next, in the language, for an error whose library message names no
/// command: keyed on the stable code of the first cause that has a hint.
pub fn hint(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(cause_hint)
}

fn cause_hint(cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(carnet_sync::SyncError::Connect(_)) = cause.downcast_ref::<carnet_sync::SyncError>()
    {
        return Some(t!("hint-peer-serving"));
    }
    if let Some(carnet_sync::SyncError::BadTicket(_)) =
        cause.downcast_ref::<carnet_sync::SyncError>()
    {
        return Some(t!("hint-ticket"));
    }
    if let Some(carnet_sync::SyncError::Bind(carnet::transport::BindFailure::AddressInUse(_))) =
        cause.downcast_ref::<carnet_sync::SyncError>()
    {
        return Some(t!("hint-port-in-use"));
    }
    if let Some(f) = cause.downcast_ref::<carnet_fhir::FhirError>() {
        use carnet_fhir::FhirError as F;
        match f {
            F::SeveralPatients(_) | F::NoSuchPatient { .. } => return Some(t!("hint-patient-ref")),
            // A value outside what is usual: the library says to confirm it, the command
            // line says how.
            other if other.to_string().contains(carnet_fhir::CONFIRM_UNUSUAL) => {
                return Some(t!("hint-confirm-unusual"));
            }
            _ => {}
        }
    }
    // An entry id or grant id that does not parse: where the ids are shown.
    let what = match cause.downcast_ref::<carnet::Error>() {
        Some(carnet::Error::Record(RecordError::Invalid { what, .. })) => Some(*what),
        Some(carnet::Error::Consent(carnet::consent::ConsentError::Malformed { what, .. })) => {
            Some(*what)
        }
        _ => None,
    }
    .or_else(|| match cause.downcast_ref::<RecordError>() {
        Some(RecordError::Invalid { what, .. }) => Some(*what),
        _ => None,
    })
    .or_else(
        || match cause.downcast_ref::<carnet::consent::ConsentError>() {
            Some(carnet::consent::ConsentError::Malformed { what, .. }) => Some(*what),
            _ => None,
        },
    );
    match what {
        Some("entry id") => return Some(t!("hint-list-ids")),
        Some("grant id") => return Some(t!("hint-grants")),
        _ => {}
    }
    Some(match cause_code(cause)? {
        "sharing.no_contact" => t!("hint-no-contact"),
        "sharing.no_grant" | "sharing.already_revoked" => t!("hint-grants"),
        "sharing.no_patients" => t!("hint-no-patients"),
        "sharing.no_patient" | "sharing.ambiguous_patient" => t!("hint-patients"),
        "sharing.no_person" | "sharing.ambiguous_person" => t!("hint-people"),
        "device.no_device" | "device.ambiguous_device" => t!("hint-devices"),
        "device.not_primary" | "device.no_identity_key" | "exchange.own_logs_differ" => {
            t!("hint-primary-device")
        }
        "exchange.chain_gap" | "exchange.checkpoint_gap" | "exchange.bundle_gap" => {
            t!("hint-full-export")
        }
        "file.exists" => t!("hint-out-exists"),
        "crypto.bad_card" => t!("hint-card"),
        "crypto.bad_phrase" => t!("hint-phrase"),
        "setting.unknown" | "setting.invalid" => t!("hint-settings"),
        _ => return None,
    })
}

/// The whole error in the language: each cause, outermost first, joined by ": " (as
/// anyhow's `{:#}` does); a known kind of cause is translated, the others keep their text.
/// The command line's hint, if any, ends it.
pub fn text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = translate(cause).unwrap_or_else(|| cause.to_string());
        // A wrapper that says its cause's text already (a transparent one, or one that
        // quotes it): say it once.
        if parts.last().is_none_or(|p| !p.contains(&text)) {
            parts.push(text);
        }
    }
    // French puts a space before ':' and ';'; the messages say how each language joins.
    let mut parts = parts.into_iter();
    let mut text = parts.next().unwrap_or_default();
    for cause in parts {
        text = t!("err-cause", text = text, cause = cause);
    }
    if let Some(h) = hint(e) {
        text = t!("err-hint", text = text, hint = h);
    }
    text
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
        let e = refused("no".to_string());
        assert_eq!(kind(&e).code(), 4);
        // Why a change is not genuine is said from its kind, in the messages' words.
        let e: anyhow::Error = carnet::Error::BadEnvelope {
            id: "abcd".into(),
            section: "notes".into(),
            why: Box::new(carnet::EnvelopeFault::IdMismatch),
        }
        .into();
        assert_eq!(kind(&e), Kind::Refused);
        assert_eq!(
            text(&e),
            "change abcd (section notes) is not genuine: its bytes do not match its id; nothing of it was kept"
        );
        assert_eq!(kind(&anyhow::anyhow!("other")), Kind::Failure);
    }

    #[test]
    fn the_command_line_adds_its_hints_to_the_library_messages() {
        // The library's message names no command; the command line's text adds one.
        let e: anyhow::Error = carnet::Error::from(carnet::SharingError::NoContact {
            name: "Nobody".into(),
        })
        .into();
        assert!(!e.to_string().contains("carnet "), "{e}");
        assert_eq!(code(&e), Some("sharing.no_contact"));
        assert_eq!(kind(&e), Kind::NotFound);
        assert_eq!(
            text(&e),
            "no contact named \"Nobody\"; `carnet contact list` shows them, `carnet contact add NAME CARD` adds one"
        );
        // Inside an item of a bundle, and behind a context: the hint still ends the text.
        let gap = carnet::Error::from(carnet::ExchangeError::BundleGap {
            from: "Alice".into(),
        });
        let e = anyhow::Error::from(gap).context("while importing");
        assert!(
            text(&e).ends_with("(`carnet share export --to YOU --full`)"),
            "{}",
            text(&e)
        );
        // An existing output file: the option to change is named.
        let e: anyhow::Error = carnet::Error::OutputExists {
            path: "/tmp/x".into(),
        }
        .into();
        assert!(
            text(&e).ends_with("choose another --out path"),
            "{}",
            text(&e)
        );
        assert_eq!(kind(&e), Kind::Refused);
        // Errors with no hint keep the library's text as it is.
        let e: anyhow::Error = carnet::Error::from(carnet::SharingError::OwnCard).into();
        assert_eq!(text(&e), "that is your own card");
    }

    /// One value of every kind of library error a person can meet, for each enum (those a
    /// command line can build: the others' fields are the libraries' own).
    fn every_library_error() -> Vec<Box<dyn std::error::Error + Send + Sync>> {
        use carnet::consent::ConsentError as Co;
        use carnet::crypto::PersonId;
        use carnet::transport::{
            BindFailure, ConnectFailure, Fault, LinkLost, LostAt, TicketProblem, Violation,
        };
        use carnet::{
            Damage, DeviceError, ExchangeError as X, RecoveryError, Refusal, SettingError,
            SharingError as Sh,
        };
        use carnet_fhir::FhirError as F;
        use carnet_mailbox::{CertProblem, MailboxError as M, Refusal as MR};
        use carnet_sync::{PeerRefusal, SyncError as S};
        let s = |t: &str| t.to_string();
        let io = || std::io::Error::other("disk full");
        let person = PersonId([7; 32]);
        let entry: carnet::record::EntryId = "abcdefghjk".parse().unwrap();
        let consent = || Co::BadEntry {
            index: 3,
            why: s("bad"),
        };
        let mut all: Vec<Box<dyn std::error::Error + Send + Sync>> = Vec::new();
        let crypto = vec![
            CryptoError::WrongPassphrase,
            CryptoError::DamagedWrappedKey(s("x")),
            CryptoError::Encrypt(s("x")),
            CryptoError::Output(io()),
            CryptoError::Decrypt { what: "envelope" },
            CryptoError::BadSignature { what: "a card" },
            CryptoError::Malformed {
                what: "key grant",
                detail: s("x"),
            },
            CryptoError::TooLarge {
                what: "sealed file",
                size: 2,
                max: 1,
            },
            CryptoError::BadCard(s("the signature part is missing")),
            CryptoError::UnsupportedVersion {
                what: "a card",
                found: 9,
                supported: 1,
            },
            CryptoError::NotForYou,
            CryptoError::BadPhrase(s("x")),
            CryptoError::BadShare(s("x")),
            CryptoError::Random(s("x")),
        ];
        all.extend(crypto.into_iter().map(|e| Box::new(e) as _));
        let store = vec![
            StoreError::NoVault("/v".into()),
            StoreError::AlreadyExists("/v".into()),
            StoreError::NotAVault {
                path: "/v".into(),
                why: s("x"),
            },
            StoreError::NoUnlockKey("/v".into()),
            StoreError::WrongPassphrase("/v".into()),
            StoreError::Corrupted {
                path: "/v/db".into(),
                detail: s("x"),
            },
            StoreError::Damaged {
                what: "signing key",
                source: CryptoError::Decrypt {
                    what: "signing key",
                },
            },
            StoreError::ChainBroken {
                id: s("e1"),
                why: s("x"),
            },
            StoreError::Crypto(CryptoError::NotForYou),
            StoreError::Database(s("x")),
            StoreError::Io {
                action: "cannot write",
                path: "/v/db".into(),
                source: io(),
            },
        ];
        all.extend(store.into_iter().map(|e| Box::new(e) as _));
        let record = vec![
            RecordError::Invalid {
                what: "date",
                input: s("2024-13"),
                expected: s("use YYYY, YYYY-MM or YYYY-MM-DD (a real calendar date)"),
            },
            RecordError::Empty("text"),
            RecordError::TooLong {
                field: "title",
                len: 2,
                max: 1,
            },
            RecordError::UnitMismatch {
                unit: s("kg"),
                kind: s("heart-rate"),
                accepted: s("/min"),
            },
            RecordError::Implausible {
                what: s("heart-rate"),
                value: s("400"),
                why: s("expected a value above 0 and at most 300"),
            },
            RecordError::WrongSection {
                kind: "allergy",
                expected: "allergies",
                found: "notes",
            },
            RecordError::KindChange {
                id: s("e1"),
                existing: s("note"),
                new: s("allergy"),
            },
            RecordError::NotFound(s("e1")),
            RecordError::ProfileExists(s("e1")),
            RecordError::PeriodReversed {
                start_field: "onset",
                start: s("2024"),
                end_field: "abatement",
                end: s("2023"),
            },
            RecordError::Malformed(s("x")),
            RecordError::Unapplicable {
                hashes: vec![[0; 32]],
            },
            RecordError::Undecodable {
                id: s("e1"),
                why: s("x"),
            },
        ];
        all.extend(record.into_iter().map(|e| Box::new(e) as _));
        let consents = vec![
            Co::Malformed {
                what: "consent entry",
                detail: s("x"),
            },
            consent(),
            Co::BadCheckpoint {
                size: 3,
                why: s("x"),
            },
            Co::NotThePatient {
                expected: person,
                found: PersonId([8; 32]),
                name: s("Ann"),
            },
            Co::CutBack {
                size: 1,
                seen: 3,
                what: "your older checkpoint",
            },
            Co::Crypto(CryptoError::NotForYou),
        ];
        all.extend(consents.into_iter().map(|e| Box::new(e) as _));
        let vault: Vec<carnet::Error> = vec![
            StoreError::NoVault("/v".into()).into(),
            CryptoError::NotForYou.into(),
            RecordError::NotFound(s("e1")).into(),
            consent().into(),
            carnet::Error::NotFound(entry.clone()),
            carnet::Error::NoEntryWithPrefix(s("abcd")),
            carnet::Error::AmbiguousId {
                prefix: s("abcd"),
                matches: vec![s("abcdefghjk"), s("abcdefghjm")],
            },
            carnet::Error::NotAnAttachment(entry.clone()),
            carnet::Error::NoOwnRecord { role: "clinician" },
            carnet::Error::NoKey {
                section: carnet::record::SectionId::Notes,
                record: s("r1"),
            },
            carnet::Error::ReadOnly {
                section: carnet::record::SectionId::Notes,
                record: s("r1"),
            },
            carnet::Error::BadEnvelope {
                id: s("e1"),
                section: s("notes"),
                why: Box::new(carnet::EnvelopeFault::Missing),
            },
            carnet::Error::NotAllowed {
                id: s("e1"),
                author: s("a1"),
                section: s("notes"),
            },
            carnet::Error::AttachmentDamaged(entry),
            carnet::Error::InItem {
                n: 2,
                kind: "envelope",
                source: Box::new(X::OutOfOrder.into()),
            },
            carnet::Error::Stranger {
                name: s("Eve"),
                id: s("p1"),
            },
            carnet::Error::Blocked { name: s("Eve") },
            carnet::Error::NothingShared { name: s("Eve") },
            carnet::Error::AlreadyImported,
            carnet::Error::AttachmentTooLarge { size: 2, max: 1 },
            carnet::Error::OutputExists { path: "/f".into() },
            carnet::Error::NotACarnetFile {
                path: "/f".into(),
                what: "bundle",
                magic: b"CARNET-BUNDLE/1\n",
            },
            carnet::Error::Io {
                action: "cannot write",
                path: Some("/f".into()),
                source: io(),
            },
            carnet::Error::Io {
                action: "cannot read",
                path: None,
                source: io(),
            },
            carnet::Error::Encode {
                what: "cards",
                detail: s("x"),
            },
            carnet::Error::Vanished { what: "a view" },
        ];
        all.extend(vault.into_iter().map(|e| Box::new(e) as _));
        let sharing = [
            Sh::NoContact { name: s("Bob") },
            Sh::BadContactName { max: 200 },
            Sh::OwnCard,
            Sh::NameTaken { name: s("Bob") },
            Sh::AlreadyContact { name: s("Bob") },
            Sh::NotYourRecord,
            Sh::NoSections,
            Sh::BadPurpose { max: 1000 },
            Sh::EndInPast,
            Sh::GrantToBlocked { name: s("Bob") },
            Sh::AlreadyBlocked,
            Sh::NoGrant { id: s("g1") },
            Sh::AlreadyRevoked { id: s("g1") },
            Sh::NoPatients,
            Sh::NoPatient { query: s("Ann") },
            Sh::AmbiguousPatient { query: s("Ann") },
            Sh::NoPerson { query: s("Ann") },
            Sh::AmbiguousPerson { query: s("Ann") },
        ];
        all.extend(
            sharing
                .into_iter()
                .map(|e| Box::new(carnet::Error::from(e)) as _),
        );
        let exchange = [
            X::Truncated { what: "the bundle" },
            X::NoHeader { what: "the backup" },
            X::SecondHeader { what: "the bundle" },
            X::TrailingData { what: "the bundle" },
            X::UnsupportedVersion {
                what: "the bundle",
                version: 9,
            },
            X::FrameTooLarge { size: 2, max: 1 },
            X::Undecodable {
                what: "a frame",
                detail: s("x"),
            },
            X::Unreadable {
                what: "the backup",
                source: CryptoError::NotForYou,
            },
            X::CountMismatch {
                what: "the bundle",
                said: 2,
                read: 1,
            },
            X::MalformedSignature { what: "the bundle" },
            X::BadSignature { what: "the bundle" },
            X::BadBackupSignature {
                name: s("Ann"),
                person,
            },
            X::Altered {
                what: "the backup",
                part: "header",
            },
            X::BackupDamaged(Box::new(X::OutOfOrder)),
            X::RestoredInvalid(Box::new(carnet::Error::AlreadyImported)),
            X::TooMany { what: "proofs" },
            X::UnknownSection { code: 99 },
            X::UnannouncedAttachment,
            X::AttachmentTooLarge { size: 2, max: 1 },
            X::ResumeMismatch,
            X::OutOfOrder,
            X::AttachmentAltered,
            X::AttachmentsIncomplete { count: 1 },
            X::MissingCheckpoint,
            X::CheckpointGap {
                held: 3,
                source: consent(),
            },
            X::ChainGap {
                source: StoreError::ChainBroken {
                    id: s("e1"),
                    why: s("a gap"),
                },
            },
            X::BundleGap { from: s("Ann") },
            X::UnexpectedRow,
            X::MalformedRow,
            X::OwnLogsDiffer { index: 3 },
            X::OwnLogOutOfOrder { index: 3, held: 1 },
            X::LinkClosed,
            X::Transport(Box::new(io())),
        ];
        all.extend(
            exchange
                .into_iter()
                .map(|e| Box::new(carnet::Error::from(e)) as _),
        );
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
        all.extend(
            refusals
                .into_iter()
                .map(|e| Box::new(carnet::Error::from(e)) as _),
        );
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
        all.extend(
            recovery
                .into_iter()
                .map(|e| Box::new(carnet::Error::from(e)) as _),
        );
        let devices = [
            DeviceError::NoDevice { query: s("d1") },
            DeviceError::AmbiguousDevice { query: s("d1") },
            DeviceError::ThisDevice,
            DeviceError::AlreadyRemoved,
            DeviceError::NotPrimary { primary: s("d1") },
            DeviceError::NoIdentityKey,
        ];
        all.extend(
            devices
                .into_iter()
                .map(|e| Box::new(carnet::Error::from(e)) as _),
        );
        let settings = [
            SettingError::Unknown {
                name: s("x"),
                known: vec!["relay", "port"],
            },
            SettingError::Invalid {
                name: s("port"),
                value: s("x"),
            },
            SettingError::Invalid {
                name: s("relay"),
                value: s("x"),
            },
        ];
        all.extend(
            settings
                .into_iter()
                .map(|e| Box::new(carnet::Error::from(e)) as _),
        );
        let damage = [
            Damage::Undecodable {
                what: "cards",
                detail: s("x"),
            },
            Damage::Invalid {
                what: "endpoint key",
            },
            Damage::Missing {
                what: "signing key",
            },
            Damage::AttachmentMissing { envelope: s("e1") },
            Damage::ConsentCutShort { wrote: 3 },
        ];
        all.extend(
            damage
                .into_iter()
                .map(|e| Box::new(carnet::Error::from(e)) as _),
        );
        let patient = carnet_fhir::PatientIdentity {
            reference: s("Patient/1"),
            names: vec![s("Ann Test")],
            birth_date: None,
            identifiers: Vec::new(),
        };
        let fhir = vec![
            F::TooLarge { size: 2, max: 1 },
            F::ResourceTooLarge { entry: 3, max: 1 },
            F::HeldTooLarge { max: 1 },
            F::NotJson(s("it is empty")),
            F::NotFhir(s("it has no resourceType")),
            F::NotABundle(s(
                "the file holds one Patient resource, not a Bundle; a FHIR import takes an R4 Bundle (collection, document, transaction, batch or searchset)",
            )),
            F::Invalid(vec![carnet_fhir::Problem {
                entry: Some(0),
                resource: Some(s("Observation/1")),
                path: s("status"),
                message: s("x"),
            }]),
            F::Unsupported(s(
                "the file holds more than 10 readings; split it (for example by year)",
            )),
            F::SeveralPatients(vec![patient.clone(), patient.clone()]),
            F::NoSuchPatient {
                wanted: s("Patient/2"),
                patients: vec![patient],
            },
            F::Layout {
                file_kind: "x",
                message: s("x"),
            },
            F::Row {
                file_kind: "x",
                line: 2,
                column: s("x"),
                message: s("x"),
            },
            F::Spool(s("x")),
            F::Export(s("x")),
        ];
        all.extend(fhir.into_iter().map(|e| Box::new(e) as _));
        let mailbox_refusals = vec![
            MR::NotAllowed,
            MR::BadCertificate(CertProblem::NotPresented),
            MR::BadCertificate(CertProblem::Card),
            MR::BadCertificate(CertProblem::Certificate),
            MR::BadCertificate(CertProblem::OfAnother),
            MR::TooLarge { size: 2, max: 1 },
            MR::RecipientFull {
                items: 1,
                bytes: 2,
                max_items: 1,
                max_bytes: 2,
            },
            MR::DepositorFull {
                items: 1,
                bytes: 2,
                max_items: 1,
                max_bytes: 2,
            },
            MR::StoreFull { bytes: 2, max: 1 },
            MR::Version { theirs: 2, ours: 1 },
            MR::Unavailable,
            MR::DeviceNotListed,
        ];
        let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let mut mailbox = vec![
            M::Vault(carnet::Error::AlreadyImported),
            M::Store {
                source: Box::new(io()),
            },
            M::Internal(Fault::Task {
                what: "x",
                source: Box::new(io()),
            }),
            M::Damaged { what: "item" },
            M::NoItem(3),
            M::InUse("/m".into()),
            M::Io {
                what: s("cannot read"),
                source: io(),
            },
            M::Bind(BindFailure::AddressInUse(addr)),
            M::Connect(ConnectFailure::NoAddress),
            M::Protocol(Violation::BatchTooLarge),
            M::Timeout("a hello"),
            M::Connection {
                lost: LinkLost::Reset,
                at: LostAt::Sent(3),
            },
            M::BadTicket(TicketProblem::TooLong),
        ];
        mailbox.extend(mailbox_refusals.into_iter().map(M::Refused));
        all.extend(mailbox.into_iter().map(|e| Box::new(e) as _));
        let peer_refusals = [
            PeerRefusal::NotLinked,
            PeerRefusal::NotPrimary,
            PeerRefusal::Blocked,
            PeerRefusal::Unknown,
            PeerRefusal::NothingShared { ended: Some(0) },
            PeerRefusal::NothingShared { ended: None },
            PeerRefusal::Batch {
                code: s("x"),
                detail: s("x"),
            },
            PeerRefusal::Busy { buffered_mib: 3 },
            PeerRefusal::WrongLinkCode,
            PeerRefusal::LinkVersion,
            PeerRefusal::Full { sessions: 3 },
        ];
        let mut sync = vec![
            S::Vault(carnet::Error::AlreadyImported),
            S::Bind(BindFailure::AddressInUse(addr)),
            S::Connect(ConnectFailure::NoAnswer { secs: 3 }),
            S::Protocol(Violation::BatchTooLarge),
            S::Timeout("a hello"),
            S::Stalled {
                what: "waiting for the other device's next message",
                secs: 3,
                bytes: 4,
            },
            S::VaultExists("/v".into()),
            S::WrongPeer {
                name: s("Eve"),
                person,
            },
            S::BadTicket(TicketProblem::TooLong),
            S::Connection {
                lost: LinkLost::Reset,
                at: LostAt::Sent(3),
            },
            S::NotStored,
            S::NotRegistered(Box::new(S::NotStored)),
            S::Internal(Fault::Task {
                what: "x",
                source: Box::new(io()),
            }),
            S::InsideRuntime,
            S::Stopped,
        ];
        sync.extend(peer_refusals.iter().cloned().map(S::Refused));
        sync.extend(peer_refusals.into_iter().map(S::WeRefused));
        all.extend(sync.into_iter().map(|e| Box::new(e) as _));
        all
    }

    #[test]
    fn every_library_error_reads_in_french() {
        let all = every_library_error();
        assert!(all.len() > 200, "only {} errors", all.len());
        for e in &all {
            let english = e.to_string();
            let french = crate::i18n::in_french(|| translate(e.as_ref()))
                .unwrap_or_else(|| panic!("not translated: {english}"));
            assert_ne!(french, english, "said in English in French: {e:?}");
            // A variant left to its own words would show them inside the French text.
            assert!(
                !french.contains(&english),
                "{french} holds the English {english}"
            );
        }
    }

    #[test]
    fn unusual_measurements_read_in_french_and_in_the_records_english() {
        use carnet::record::{DateTime, Measurement};
        let at = DateTime::now();
        for (kind, value, unit) in [
            ("weight", "7250", "kg"),
            ("weight", "70", "g"),
            ("weight", "1000", "[lb_av]"),
            ("height", "300", "cm"),
            ("height", "3", "m"),
            ("height", "110", "[in_i]"),
            ("heart-rate", "10", "/min"),
            ("glucose", "10", "mg/dL"),
            ("glucose", "0.5", "mmol/L"),
            ("temperature", "20", "Cel"),
            ("temperature", "70", "[degF]"),
            ("spo2", "45", "%"),
            ("blood-pressure", "40/30", "mm[Hg]"),
        ] {
            let m = Measurement::from_input(kind, value, unit, at.clone(), None)
                .unwrap_or_else(|e| panic!("{kind} {value} {unit}: {e}"));
            let u = m
                .check_usual()
                .expect_err(&format!("{kind} {value} {unit} is usual"));
            let french = crate::i18n::in_french(|| unusual_text(&u));
            assert!(
                !french.contains(&u.why) && !french.contains("is unusual"),
                "{french}"
            );
            assert_eq!(crate::i18n::in_english(|| unusual_text(&u)), u.to_string());
        }
    }
}
