//! Carnet's encrypted mailbox: an always-on node that holds sealed bundles for people who
//! are not online when they are sent.
//!
//! A depositor leaves an opaque item (the bytes of a Carnet bundle, already sealed to its
//! recipient and signed by its sender) addressed to a person id; the recipient's device
//! collects it later, proving with its device certificate that it is that person's
//! device, and acknowledges each item, which is then deleted. The mailbox never sees
//! plaintext and never decides access: the recipient's vault checks every item as it
//! checks any bundle.
//!
//! Reach first for [`MailboxStore::open`] and [`Mailbox::start`] + [`Mailbox::serve`] on
//! the mailbox's machine; on a device, [`MailboxClient::for_vault`],
//! [`MailboxClient::connect`] with the mailbox's [`MailboxTicket`], then
//! [`deposit_for`] or [`collect_into`].
//!
//! # Protocol
//! ALPN [`ALPN`]; one bidirectional stream of length-prefixed postcard [`Frame`]s (u32
//! big-endian length, at most [`frame::MAX_FRAME`], checked before allocation):
//! ```text
//! caller: Hello { version, card, device cert }   mailbox: Welcome | Refused(why)
//! caller: Deposit { to, size }                   mailbox: Ready | Refused(why)
//! caller: Chunk*  (size bytes)                   mailbox: Accepted(id)  (durable first)
//! caller: Next                                   mailbox: Item { id, from, created, size } Chunk* | Empty
//! caller: Devices([endpoint])                    mailbox: DevicesNoted  (my person's devices)
//! caller: Ack(id)                                mailbox: Acked  (deleted once every device acked)
//! ```
//!
//! # Guarantees
//! - A caller is the endpoint key the QUIC handshake authenticated, mapped to a person by
//!   a device certificate that person signed; a collector receives only items addressed
//!   to that person that this device has not acknowledged yet. An item is deleted once
//!   every device of its recipient acknowledged it (the devices a collector declares,
//!   [`Frame::Devices`], and every device that ever collected), or when it expires.
//! - Depositors are the people the owner allowed ([`MailboxStore::allow`]), or anyone in
//!   an open mailbox; per-recipient and per-depositor quotas (items and bytes), a size
//!   limit per item and a total limit are checked before the item's bytes are read, and
//!   again inside the transaction that stores it.
//! - An item is acknowledged to its depositor only once committed durably to the redb
//!   store: a killed or restarted mailbox loses nothing it accepted. Items expire after
//!   [`Limits::ttl_secs`] (30 days by default).
//! - Library code never prints; errors are typed ([`MailboxError`], [`Refusal`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bundles;
mod client;
mod error;
pub mod frame;
mod server;
mod store;
mod ticket;

use std::net::SocketAddr;
use std::time::Duration;

pub use bundles::{
    CollectReport, DepositReport, Imported, RefusedItem, VaultAccess, active_devices, collect_into,
    collect_with, deposit_for, deposit_with,
};
pub use client::{ClientConfig, Collected, MailboxClient, Session};
pub use error::{CertProblem, MailboxError, Refusal};
pub use frame::Frame;
pub use server::{Event, Mailbox};
pub use store::{ALLOW_QUEUE, AckOutcome, ItemMeta, MAX_DEVICES, MailboxStore, STORE_FILE};
pub use ticket::{MAILBOX_TICKET_PREFIX, MailboxTicket};

/// The ALPN of Carnet's mailbox protocol.
pub const ALPN: &[u8] = b"carnet/mailbox/1";

/// A count and a size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// The most items.
    pub items: u64,
    /// The most bytes.
    pub bytes: u64,
}

/// What a mailbox takes.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest item.
    pub max_item_bytes: u64,
    /// Waiting for one recipient.
    pub per_recipient: Quota,
    /// Deposited by one person and not yet collected.
    pub per_depositor: Quota,
    /// Everything held.
    pub max_total_bytes: u64,
    /// How long an item waits before it is deleted uncollected, in seconds.
    pub ttl_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_item_bytes: 64 << 20,
            per_recipient: Quota {
                items: 1000,
                bytes: 512 << 20,
            },
            per_depositor: Quota {
                items: 10_000,
                bytes: 1 << 30,
            },
            max_total_bytes: 16 << 30,
            ttl_secs: 30 * 24 * 3600,
        }
    }
}

/// How a mailbox runs.
#[derive(Clone, Debug)]
pub struct MailboxConfig {
    /// Anyone may deposit (within the quotas), not only the allowed.
    pub open: bool,
    /// The limits.
    pub limits: Limits,
    /// Use iroh's public relays (needs the internet). Off by default.
    pub relay: bool,
    /// A relay of one's own: the mailbox homes on this relay server only (iroh's
    /// `RelayMode::Custom`), so callers with no route to it reach it there. Takes precedence
    /// over `relay`.
    pub relay_url: Option<iroh::RelayUrl>,
    /// The local address to listen on (default: a free port on every interface).
    pub bind: Option<SocketAddr>,
    /// How long a caller may take to send its next message.
    pub timeout: Duration,
    /// The most sessions at once; a caller beyond it is turned away.
    pub max_sessions: usize,
}

impl Default for MailboxConfig {
    fn default() -> Self {
        MailboxConfig {
            open: false,
            limits: Limits::default(),
            relay: false,
            relay_url: None,
            bind: None,
            timeout: Duration::from_secs(30),
            max_sessions: 256,
        }
    }
}
