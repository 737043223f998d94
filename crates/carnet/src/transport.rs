//! What a transport reports when the network or the other side fails: the kinds both
//! transports above this crate (`carnet-sync`'s live sync, `carnet-mailbox`) use in their
//! errors, so that an app, the bindings and the command line match and word one set of
//! kinds instead of parsing a transport's text.
//!
//! This module never touches the network itself; it only names what went wrong. A
//! transport's own report (iroh's, a decoder's) is kept as the `source` of the kind it
//! belongs to, for logs and for people, never to be matched.

use std::net::SocketAddr;

use thiserror::Error;

/// A transport's or a decoder's own report, kept as the cause of a typed kind.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a network endpoint could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BindFailure {
    /// Another process listens on the address (another Carnet serving, most often).
    #[error("address in use at {0}; another process may be serving on it")]
    AddressInUse(SocketAddr),
    /// The address is not one of this machine's.
    #[error("address not on this machine: {0}")]
    AddressNotAvailable(SocketAddr),
    /// The system does not allow listening there (a port below 1024, a sandbox).
    #[error("not allowed to listen at {0}")]
    NotAllowed(SocketAddr),
    /// The endpoint failed to start for another reason (the transport's report).
    #[error("{}: {source}", listen_text(.addrs))]
    Endpoint {
        /// The addresses asked for (none: any interface).
        addrs: Vec<SocketAddr>,
        /// The transport's report.
        source: Cause,
    },
}

fn listen_text(addrs: &[SocketAddr]) -> String {
    if addrs.is_empty() {
        "cannot open a UDP socket on any interface".to_string()
    } else {
        let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        format!("cannot listen on {}", list.join(" and "))
    }
}

impl BindFailure {
    /// The kind a failure to listen at `addr` is, from the system's report (`None`: a
    /// reason that has no kind of its own).
    pub fn from_io(addr: SocketAddr, e: &std::io::Error) -> Option<BindFailure> {
        match e.kind() {
            std::io::ErrorKind::AddrInUse => Some(BindFailure::AddressInUse(addr)),
            std::io::ErrorKind::AddrNotAvailable => Some(BindFailure::AddressNotAvailable(addr)),
            std::io::ErrorKind::PermissionDenied => Some(BindFailure::NotAllowed(addr)),
            _ => None,
        }
    }
}

/// Why the other side could not be reached.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConnectFailure {
    /// Nothing answered within the time allowed (it is off, asleep, or on another network).
    #[error("no answer within {secs} s")]
    NoAnswer {
        /// The time allowed, in seconds.
        secs: u64,
    },
    /// No address is known for it (never met, and no ticket given).
    #[error("no address is known for it")]
    NoAddress,
    /// The transport refused to connect (its report).
    #[error("{source}")]
    Transport {
        /// The transport's report.
        source: Cause,
    },
}

/// How a connection that was up came to an end before the exchange was over.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LinkLost {
    /// The other side ended the session.
    #[error("the peer ended the session")]
    PeerEnded,
    /// The other side closed the connection; its reason, if it gave one, is its own words.
    #[error("the peer closed the connection{}", peer_reason(.reason))]
    PeerClosed {
        /// The reason the peer gave (its words, not ours), if any.
        reason: Option<String>,
    },
    /// Nothing came back from the other side for the idle timeout: it is gone, or out of
    /// reach.
    #[error(
        "the link went silent: nothing came back from the peer for {secs} s (it is gone, or out of reach)"
    )]
    Silent {
        /// The idle timeout, in seconds.
        secs: u64,
    },
    /// The other side dropped the connection (it restarted, or lost its state).
    #[error("the peer dropped the connection (it restarted, or lost its state)")]
    Reset,
    /// This side closed the connection (it is stopping).
    #[error("this side closed the connection")]
    ClosedHere,
    /// The other side ended its stream before the exchange was over.
    #[error("the peer ended its stream early")]
    StreamEnded,
    /// This side's endpoint was closed while waiting.
    #[error("the endpoint closed")]
    EndpointClosed,
    /// The other side went away before confirming it stored batches it was sent; they
    /// are sent again next time.
    #[error(
        "the peer ended the session before confirming it stored {batches} batch(es) of ours; they will be sent again next time"
    )]
    Unconfirmed {
        /// Batches sent and not confirmed.
        batches: u64,
    },
    /// The connection failed otherwise (the transport's report).
    #[error("{source}")]
    Transport {
        /// The transport's report.
        source: Cause,
    },
}

fn peer_reason(reason: &Option<String>) -> String {
    match reason {
        Some(r) => format!(" ({r})"),
        None => " (it stopped, or stopped serving)".to_string(),
    }
}

/// Where in an exchange a connection was lost: how much had moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LostAt {
    /// Not known, or between messages at the start.
    Unknown,
    /// Between messages, after this many bytes were received in the session.
    Received(u64),
    /// In the middle of a message: `got` of its bytes (of `of`, when it was announced).
    MidMessage {
        /// The message's bytes received.
        got: u64,
        /// Its announced length.
        of: Option<u64>,
    },
    /// While sending, after this many bytes were sent.
    Sent(u64),
}

impl std::fmt::Display for LostAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LostAt::Unknown => Ok(()),
            LostAt::Received(n) => write!(f, ", after {n} bytes received"),
            LostAt::MidMessage { got, of: Some(of) } => {
                write!(
                    f,
                    ", in the middle of a message (after {got} of {of} bytes)"
                )
            }
            LostAt::MidMessage { got, of: None } => {
                write!(f, ", in the middle of a message (after {got} bytes)")
            }
            LostAt::Sent(n) => write!(f, ", after {n} bytes were sent"),
        }
    }
}

/// What is wrong with a ticket (or a link code) someone pasted or scanned.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TicketProblem {
    /// Far longer than any ticket.
    #[error("it is far too long")]
    TooLong,
    /// It does not start as this kind of ticket does.
    #[error("it does not start with {prefix}")]
    WrongStart {
        /// What it should start with.
        prefix: &'static str,
    },
    /// A character that no ticket holds (at this position, after the prefix).
    #[error("it holds a character no ticket holds (at position {position})")]
    BadCharacter {
        /// Where, counted after the prefix.
        position: usize,
    },
    /// It decodes to nothing a ticket is: cut, or from another version.
    #[error("its content is not a ticket's (cut short, or from another version)")]
    Undecodable,
    /// It names no address to reach.
    #[error("it holds no usable address")]
    NoAddress,
    /// The device key it names is not a valid key.
    #[error("the device key it names is not valid")]
    BadKey,
}

/// A credential a peer presents when it says who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Credential {
    /// Its identity card.
    #[error("card")]
    Card,
    /// Its device certificate.
    #[error("device certificate")]
    DeviceCertificate,
}

impl TicketProblem {
    /// What a ticket's text that does not decode as base32 has wrong: a character no
    /// ticket holds, or a length no ticket has (cut short).
    pub fn from_base32(e: &data_encoding::DecodeError) -> TicketProblem {
        match e.kind {
            data_encoding::DecodeKind::Symbol => TicketProblem::BadCharacter {
                position: e.position,
            },
            _ => TicketProblem::Undecodable,
        }
    }
}

/// How the other side broke a transport's protocol: what it sent makes no sense at that
/// point. Nothing it sent from then on is kept.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Violation {
    /// A frame announced more bytes than the protocol allows there.
    #[error("a frame announces {len} bytes, over the {max}-byte limit")]
    FrameTooLarge {
        /// The length announced.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A message does not decode.
    #[error("{what} does not decode ({source})")]
    Undecodable {
        /// Which message.
        what: &'static str,
        /// The decoder's report.
        source: Cause,
    },
    /// A message came where another was expected.
    #[error("expected {expected}, got {got}")]
    Unexpected {
        /// What the protocol expects there.
        expected: &'static str,
        /// What came.
        got: &'static str,
    },
    /// A batch larger than the protocol allows.
    #[error("a batch is over the size limit")]
    BatchTooLarge,
    /// A round ended in the middle of a batch.
    #[error("a round ended in the middle of a batch")]
    EndedMidBatch,
    /// An acknowledgement of something never sent.
    #[error("an acknowledgement of {what} never sent")]
    AckOfNothing {
        /// What it claimed to acknowledge.
        what: &'static str,
    },
    /// It speaks another version of the protocol.
    #[error("it speaks {protocol} protocol {theirs}, this build speaks {ours}")]
    Version {
        /// Which protocol.
        protocol: &'static str,
        /// Its version.
        theirs: u32,
        /// Ours.
        ours: u32,
    },
    /// An item larger than the protocol or this machine allows.
    #[error("an item of {len} bytes, over the {max}-byte limit")]
    ItemTooLarge {
        /// Its size.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// More of something than the protocol allows (devices declared...).
    #[error("{count} {what} declared; at most {max} are allowed")]
    TooMany {
        /// What.
        what: &'static str,
        /// How many came.
        count: u64,
        /// The most allowed.
        max: u64,
    },
    /// Pieces that do not add up to the size announced.
    #[error("an item's pieces do not add up to its announced size")]
    SizeMismatch,
    /// A credential it presented (its card, its device certificate) does not check.
    #[error("its {what} does not check: {source}")]
    BadCredential {
        /// Which credential.
        what: Credential,
        /// Why.
        source: carnet_crypto::CryptoError,
    },
    /// Its device certificate names someone other than its card.
    #[error("its device certificate names someone other than its card")]
    CertificateOfAnother,
}

/// A fault of this side, not of the peer: a bug to report.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Fault {
    /// A task of the session failed (it panicked, or was cancelled).
    #[error("a {what} task failed: {source}")]
    Task {
        /// Which task.
        what: &'static str,
        /// The runtime's report.
        source: Cause,
    },
    /// A message of ours is over the frame limit.
    #[error("a {what} of ours is {len} bytes, over the {max}-byte frame limit")]
    Oversized {
        /// Which message.
        what: &'static str,
        /// Its size.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A message of ours cannot be encoded.
    #[error("cannot encode a {what}: {detail}")]
    Encode {
        /// Which message.
        what: &'static str,
        /// Why.
        detail: Cause,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_name_no_command_and_say_where_the_link_was_lost() {
        let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let e = std::io::Error::from(std::io::ErrorKind::AddrInUse);
        assert!(matches!(
            BindFailure::from_io(addr, &e),
            Some(BindFailure::AddressInUse(a)) if a == addr
        ));
        assert!(BindFailure::from_io(addr, &std::io::Error::other("x")).is_none());
        let texts = [
            BindFailure::AddressInUse(addr).to_string(),
            ConnectFailure::NoAnswer { secs: 20 }.to_string(),
            LinkLost::Unconfirmed { batches: 2 }.to_string(),
            TicketProblem::WrongStart { prefix: "carnet1:" }.to_string(),
            Violation::Unexpected {
                expected: "a hello",
                got: "an item",
            }
            .to_string(),
        ];
        for t in &texts {
            assert!(!t.contains("carnet ") && !t.contains("--"), "{t}");
        }
        assert_eq!(
            LostAt::MidMessage {
                got: 3,
                of: Some(9)
            }
            .to_string(),
            ", in the middle of a message (after 3 of 9 bytes)"
        );
        assert_eq!(LostAt::Unknown.to_string(), "");
        // A ticket cut short is not said to hold a bad character, and one with a bad
        // character says where.
        let b32 = data_encoding::BASE32_NOPAD;
        let cut = b32.decode(b"GARBAGE").unwrap_err();
        assert_eq!(TicketProblem::from_base32(&cut), TicketProblem::Undecodable);
        let bad = b32.decode(b"AAAAAAA1").unwrap_err();
        assert_eq!(
            TicketProblem::from_base32(&bad),
            TicketProblem::BadCharacter { position: 7 }
        );
        assert!(
            LinkLost::PeerClosed { reason: None }
                .to_string()
                .ends_with("(it stopped, or stopped serving)")
        );
    }
}
