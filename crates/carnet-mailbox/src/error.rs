use thiserror::Error;

/// What can go wrong with a mailbox, on either side. Messages say what happened and what
/// to do; none holds item contents or key material.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MailboxError {
    /// The vault refused or failed an operation (exporting or importing a bundle).
    #[error(transparent)]
    Vault(#[from] carnet::Error),
    /// The mailbox's store could not be opened, read or written.
    #[error("the mailbox store failed: {0}")]
    Store(String),
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
    Bind(String),
    /// The mailbox could not be reached.
    #[error("cannot reach the mailbox: {0}; is it serving, on this network?")]
    Connect(String),
    /// The peer broke the mailbox protocol (garbage, an oversized frame, an unexpected
    /// message).
    #[error("the peer broke the mailbox protocol: {0}")]
    Protocol(String),
    /// The peer stopped answering.
    #[error("the peer stopped answering ({0})")]
    Timeout(&'static str),
    /// The connection dropped.
    #[error("the connection was lost: {0}")]
    Connection(String),
    /// The mailbox refused, and said why.
    #[error("the mailbox refused: {0}")]
    Refused(Refusal),
    /// A mailbox ticket does not parse.
    #[error("not a Carnet mailbox ticket: {0}; copy the whole ticket the mailbox shows")]
    BadTicket(String),
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
    /// The caller's device certificate does not check against its connection.
    #[error("your device certificate does not check: {0}")]
    BadCertificate(String),
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

pub(crate) fn db<E: std::fmt::Display>(e: E) -> MailboxError {
    MailboxError::Store(e.to_string())
}
