use carnet::transport::{
    BindFailure, Cause, ConnectFailure, Fault, LinkLost, LostAt, TicketProblem, Violation,
};
use thiserror::Error;

/// What can go wrong with a mailbox, on either side. Messages say what happened and what
/// to do; none holds item contents or key material.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MailboxError {
    /// The vault refused or failed an operation (exporting or importing a bundle).
    #[error(transparent)]
    Vault(#[from] carnet::Error),
    /// The mailbox's store could not be opened, read or written (redb's or the decoder's
    /// report).
    #[error("the mailbox store failed: {source}")]
    Store {
        /// The store's report.
        source: Cause,
    },
    /// A fault of this side (a task that panicked, a message of ours that cannot be
    /// encoded): a bug, reported as such.
    #[error("internal fault: {0}")]
    Internal(Fault),
    /// A row of the mailbox's store is damaged.
    #[error("the mailbox store is damaged: {what} does not decode")]
    Damaged {
        /// Which row.
        what: &'static str,
    },
    /// An item the mailbox was asked about is not (or no longer) held.
    #[error("the mailbox holds no item {0}")]
    NoItem(u64),
    /// Another process holds the mailbox's store (a running `carnet mailbox serve`).
    #[error(
        "the mailbox store at {} is in use by another process (is a mailbox serving from it? stop it first)",
        .0.display()
    )]
    InUse(std::path::PathBuf),
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The network endpoint could not be started.
    #[error("cannot start the network endpoint: {0}")]
    Bind(BindFailure),
    /// The mailbox could not be reached.
    #[error("cannot reach the mailbox: {0}; is it serving, on this network?")]
    Connect(ConnectFailure),
    /// The peer broke the mailbox protocol (garbage, an oversized frame, an unexpected
    /// message).
    #[error("the peer broke the mailbox protocol: {0}")]
    Protocol(Violation),
    /// The peer stopped answering.
    #[error("the peer stopped answering ({0})")]
    Timeout(&'static str),
    /// The connection dropped before the exchange was over.
    #[error("the connection was lost: {lost}{at}")]
    Connection {
        /// How.
        lost: LinkLost,
        /// How far the exchange had gone.
        at: LostAt,
    },
    /// The mailbox refused, and said why.
    #[error("the mailbox refused: {0}")]
    Refused(Refusal),
    /// A mailbox ticket does not parse.
    #[error("not a Carnet mailbox ticket: {0}; copy the whole ticket the mailbox shows")]
    BadTicket(TicketProblem),
}

/// Why a mailbox refuses a request; travels on the wire, so a depositor learns exactly
/// which limit it hit.
#[derive(Clone, Debug, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Refusal {
    /// The depositor is not on the mailbox's allowlist (and the mailbox is not open).
    #[error(
        "you may not deposit here: the mailbox's owner has not allowed you (they allow your card on the mailbox)"
    )]
    NotAllowed,
    /// The caller's card or device certificate does not check against its connection.
    #[error("your device certificate does not check: {0}")]
    BadCertificate(CertProblem),
    /// The item is larger than the mailbox takes.
    #[error("the item is {size} bytes; this mailbox takes items of at most {max} bytes")]
    TooLarge {
        /// The item's size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The recipient's share of the mailbox is full.
    #[error(
        "the recipient's mailbox is full ({items} items, {bytes} bytes waiting; the limit is {max_items} items, {max_bytes} bytes): they must collect first"
    )]
    RecipientFull {
        /// Items waiting for them.
        items: u64,
        /// Bytes waiting for them.
        bytes: u64,
        /// The most items.
        max_items: u64,
        /// The most bytes.
        max_bytes: u64,
    },
    /// The depositor's quota is used up.
    #[error(
        "you are over your quota at this mailbox ({items} items, {bytes} bytes deposited and not yet collected; the limit is {max_items} items, {max_bytes} bytes): wait until they are collected"
    )]
    DepositorFull {
        /// Items deposited and waiting.
        items: u64,
        /// Bytes deposited and waiting.
        bytes: u64,
        /// The most items.
        max_items: u64,
        /// The most bytes.
        max_bytes: u64,
    },
    /// The mailbox as a whole is full.
    #[error("the mailbox is full ({bytes} bytes held, limit {max}); try later")]
    StoreFull {
        /// Bytes held.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// The mailbox speaks another protocol version.
    #[error("it speaks mailbox protocol {theirs}, you speak {ours}; upgrade the older one")]
    Version {
        /// The mailbox's version.
        theirs: u8,
        /// The caller's version.
        ours: u8,
    },
    /// The mailbox could not store the item (its disk); nothing was accepted.
    #[error("the mailbox could not store the item; nothing was accepted, deposit again later")]
    Unavailable,
    /// The collecting device is not among the devices the person's primary device
    /// declared here (a removed device, or one linked since its last collection).
    #[error(
        "this device is not among the devices your primary device declared at this mailbox (removed, or linked since): collect once on your primary device, then here"
    )]
    DeviceNotListed,
}

/// What is wrong with the credentials a caller presented (travels on the wire).
#[derive(Clone, Debug, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum CertProblem {
    /// It did not present them first.
    #[error("it was not presented first")]
    NotPresented,
    /// The card does not decode or its signature does not check.
    #[error("the card does not check")]
    Card,
    /// The device certificate does not decode, or does not check against the connection.
    #[error("the certificate does not check against this connection")]
    Certificate,
    /// The certificate names someone other than the card.
    #[error("it names someone other than the card")]
    OfAnother,
}

pub(crate) fn db<E: std::error::Error + Send + Sync + 'static>(e: E) -> MailboxError {
    MailboxError::Store {
        source: Box::new(e),
    }
}

impl MailboxError {
    /// A connection lost as `lost`, at `at`.
    pub fn lost(lost: LinkLost, at: LostAt) -> MailboxError {
        MailboxError::Connection { lost, at }
    }
}

impl MailboxError {
    /// The stable code of this error: a lowercase dotted name (`"mailbox.connect"`), one
    /// per kind, or the vault's own code for [`MailboxError::Vault`]. Codes are stable API:
    /// a code never changes nor changes meaning; new kinds take new codes.
    pub fn code(&self) -> &'static str {
        match self {
            MailboxError::Vault(e) => e.code(),
            MailboxError::Store { .. } => "mailbox.store",
            MailboxError::Internal(_) => "mailbox.internal",
            MailboxError::Damaged { .. } => "mailbox.damaged",
            MailboxError::NoItem(_) => "mailbox.no_item",
            MailboxError::InUse(_) => "mailbox.in_use",
            MailboxError::Io { .. } => "mailbox.io",
            MailboxError::Bind(_) => "mailbox.bind",
            MailboxError::Connect(_) => "mailbox.connect",
            MailboxError::Protocol(_) => "mailbox.protocol",
            MailboxError::Timeout(_) => "mailbox.timeout",
            MailboxError::Connection { .. } => "mailbox.connection",
            MailboxError::Refused(r) => r.code(),
            MailboxError::BadTicket(_) => "mailbox.bad_ticket",
        }
    }
}

impl Refusal {
    /// The stable code of this refusal (`"mailbox.refused.recipient_full"`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotAllowed => "mailbox.refused.not_allowed",
            Refusal::BadCertificate(_) => "mailbox.refused.bad_certificate",
            Refusal::TooLarge { .. } => "mailbox.refused.too_large",
            Refusal::RecipientFull { .. } => "mailbox.refused.recipient_full",
            Refusal::DepositorFull { .. } => "mailbox.refused.depositor_full",
            Refusal::StoreFull { .. } => "mailbox.refused.store_full",
            Refusal::Version { .. } => "mailbox.refused.version",
            Refusal::Unavailable => "mailbox.refused.unavailable",
            Refusal::DeviceNotListed => "mailbox.refused.device_not_listed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_dotted_and_messages_name_no_command() {
        let all = [
            db(std::io::Error::other("disk")),
            MailboxError::Damaged { what: "a row" },
            MailboxError::NoItem(3),
            MailboxError::InUse("/m".into()),
            MailboxError::Io {
                what: "reading".into(),
                source: std::io::Error::other("x"),
            },
            MailboxError::Bind(BindFailure::AddressInUse(([127, 0, 0, 1], 9).into())),
            MailboxError::Connect(ConnectFailure::NoAddress),
            MailboxError::Protocol(Violation::BatchTooLarge),
            MailboxError::Timeout("a hello"),
            MailboxError::lost(LinkLost::Reset, LostAt::Sent(3)),
            MailboxError::Refused(Refusal::NotAllowed),
            MailboxError::Refused(Refusal::BadCertificate(CertProblem::Card)),
            MailboxError::Refused(Refusal::Unavailable),
            MailboxError::BadTicket(TicketProblem::TooLong),
        ];
        let mut seen = std::collections::HashSet::new();
        for e in &all {
            let code = e.code();
            assert!(seen.insert(code), "{code} is used twice");
            assert!(
                code.starts_with("mailbox.")
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.'),
                "{code}"
            );
            let text = e.to_string();
            assert!(!text.contains("carnet ") && !text.contains("--"), "{text}");
        }
    }
}
