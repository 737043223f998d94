//! Errors as people read them, and the exit code of each kind.
//!
//! The library's errors are typed (`carnet::Error`, `CryptoError`, `StoreError`,
//! `RecordError`, `SyncError`) and their text is English. The kinds the command line knows
//! are said again here from the messages of the language; any other keeps the library's
//! text. Each kind of failure has its own exit code (documented in `carnet --help`).
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
    if let Some(e) = cause.downcast_ref::<carnet_sync::SyncError>() {
        return sync_text(e);
    }
    if let Some(CryptoError::WrongPassphrase) = cause.downcast_ref::<CryptoError>() {
        return Some(t!("err-wrong-passphrase"));
    }
    None
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
        E::BadEnvelope { id, section, why } => t!(
            "err-bad-envelope",
            id = id.as_str(),
            section = section.as_str(),
            why = envelope_fault_text(why)
        ),
        _ => return None,
    })
}

/// Why an envelope is not genuine, in the language (a lower layer's report, when there is
/// one, kept in its words after the kind).
fn envelope_fault_text(f: &carnet::EnvelopeFault) -> String {
    use carnet::EnvelopeFault as F;
    match f {
        F::Undecodable(e) => t!("envelope-undecodable", detail = e.to_string()),
        F::Signature(e) => t!("envelope-signature", detail = e.to_string()),
        F::IdMismatch => t!("envelope-id-mismatch"),
        F::Missing => t!("envelope-missing"),
        F::Unopenable(e) => t!("envelope-unopenable", detail = e.to_string()),
        F::Changes(e) => t!("envelope-changes", detail = e.to_string()),
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
    let mut text = parts.join(": ");
    if let Some(h) = hint(e) {
        text.push_str("; ");
        text.push_str(&h);
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
}
