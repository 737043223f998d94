//! Carnet's live sync: devices meet directly, over iroh QUIC, with no server in between and
//! no internet needed on a LAN.
//!
//! This crate owns the network side: one endpoint per device, keyed by the endpoint key the
//! vault keeps ([`Node::start`]); the ALPN [`ALPN`] protocol of length-prefixed frames
//! ([`Frame`]); tickets that say how to reach a device ([`Ticket`]); and the session that
//! runs the same exchange engine as offline bundles (`carnet::exchange`). It decides nothing
//! about who may read or write what: the vault does.
//!
//! It must never print, and never hold the vault while waiting on the network.
//!
//! Reach first for [`Node::start`], then [`Node::serve`] on one device and [`Node::sync`]
//! with its [`Node::ticket`] on another. An app that does not run tokio itself reaches for
//! [`LiveSync::start`]: the node on a runtime of its own, with start, stop and a stream of
//! [`SyncEvent`]s read from any thread. To add a device of the same person:
//! [`Node::link_code`] + [`Node::wait_link`] on the existing device, [`join`] on the new one.
//!
//! # Guarantees
//! - A peer is the endpoint key the QUIC handshake authenticated, mapped to a person by a
//!   device certificate signed by that person's key; an unknown or blocked person gets
//!   nothing, and the attempt is noted in the vault.
//! - Every frame has a maximum size checked before allocation; a peer that sends garbage
//!   or an oversized frame is dropped, and so is one that makes no progress (sends
//!   nothing, reads nothing of ours) for the timeout, while a slow link that keeps moving
//!   goes through; nothing a dropped peer sent after its last complete batch is kept, and
//!   the node goes on serving others.
//! - Success means delivered: a batch is counted as sent, logged in the consent log as
//!   received by the peer and remembered as held by it only once the peer acknowledged
//!   storing it; a session that ends before that is an error.
//! - Each batch is applied all or nothing in its own short transaction, so other `carnet`
//!   processes on the same vault keep working while a node serves.
//! - A session completes in two round trips after the connection; an up-to-date session
//!   sends O(sections x authors) bytes, whatever the size of the record.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod frame;
mod link;
mod live;
mod node;
mod session;
mod ticket;

pub use error::{
    BindFailure, ConnectFailure, Fault, LinkLost, LostAt, PeerRefusal, SyncError, TicketProblem,
    Violation,
};
pub use frame::{Frame, MAX_HELLO, PROTOCOL_VERSION};
pub use link::{LINK_ALPN, LINK_PREFIX, LinkCode, LinkReport, join};
pub use live::{LiveSync, SyncEvent};
pub use node::{Activity, Event, Node, SyncConfig};
pub use session::{BATCH_BUDGET, MAX_BATCH_BYTES, SessionReport};
pub use ticket::{TICKET_PREFIX, Ticket};

/// The ALPN of Carnet's sync protocol.
pub const ALPN: &[u8] = b"carnet/sync/1";
