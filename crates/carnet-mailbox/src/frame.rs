//! The mailbox protocol's messages: length-prefixed frames (u32 big-endian, then postcard)
//! on one bidirectional QUIC stream; a frame's announced size is checked against
//! [`MAX_FRAME`] before anything is allocated, and every read has a timeout.

use std::time::Duration;

use carnet::crypto::PersonId;
use iroh::endpoint::{RecvStream, SendStream};
use serde::{Deserialize, Serialize};

use carnet::transport::{Fault, LinkLost, LostAt, Violation};

use crate::{MailboxError, Refusal};

/// The version of the mailbox protocol this build speaks.
pub const PROTOCOL_VERSION: u8 = 2;
/// The most item bytes one [`Frame::Chunk`] carries.
pub const CHUNK: usize = 256 * 1024;
/// The largest frame either side reads (a chunk and its framing, or a hello).
pub const MAX_FRAME: usize = CHUNK + 1024;

/// One message of the mailbox protocol.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Frame {
    /// Caller: who I am (the connection proves the endpoint key; the certificate maps it
    /// to a person).
    Hello {
        /// Protocol version.
        version: u8,
        /// The caller's identity card, text form.
        card: String,
        /// The caller's device certificate for this endpoint.
        cert: Vec<u8>,
    },
    /// Mailbox: your hello checks; go on.
    Welcome,
    /// Caller: I want to deposit an item of `size` bytes for `to` (its chunks follow
    /// once the mailbox says [`Frame::Ready`]).
    Deposit {
        /// The recipient.
        to: PersonId,
        /// The item's size.
        size: u64,
    },
    /// Mailbox: send the chunks.
    Ready,
    /// Part of an item's bytes.
    Chunk(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Mailbox: the item is stored durably under this id.
    Accepted(u64),
    /// Mailbox: no, and why.
    Refused(Refusal),
    /// Collector: the next item waiting for me (one not yet offered in this session).
    Next,
    /// Mailbox: an item waiting for you (its chunks follow).
    Item {
        /// Its id at this mailbox.
        id: u64,
        /// Who deposited it, as the mailbox says (the bundle inside says for itself).
        from: PersonId,
        /// When it was accepted (Unix seconds).
        created: u64,
        /// Its size.
        size: u64,
    },
    /// Mailbox: nothing more waits for you.
    Empty,
    /// Collector: I dealt with item `id` (imported or refused it); delete it.
    Ack(u64),
    /// Mailbox: noted (the item is deleted once every device of yours acknowledged it).
    Acked,
    /// Collector: the endpoint keys of my person's devices (as my vault knows them, removed
    /// devices left out); an item for me is deleted once each of them acknowledged it.
    Devices(Vec<[u8; 32]>),
    /// Mailbox: your devices are noted.
    DevicesNoted,
}

impl Frame {
    /// A short name, for messages (never the contents).
    pub fn name(&self) -> &'static str {
        match self {
            Frame::Hello { .. } => "hello",
            Frame::Welcome => "welcome",
            Frame::Deposit { .. } => "deposit",
            Frame::Ready => "ready",
            Frame::Chunk(_) => "chunk",
            Frame::Accepted(_) => "accepted",
            Frame::Refused(_) => "refused",
            Frame::Next => "next",
            Frame::Item { .. } => "item",
            Frame::Empty => "empty",
            Frame::Ack(_) => "ack",
            Frame::Acked => "acked",
            Frame::Devices(_) => "devices",
            Frame::DevicesNoted => "devices noted",
        }
    }
}

/// A lost connection, as a kind: the transport's report kept as the cause (live sync
/// words iroh's reasons; a mailbox exchange is short and retried whole).
pub(crate) fn lost<E: std::error::Error + Send + Sync + 'static>(e: E) -> LinkLost {
    LinkLost::Transport {
        source: Box::new(e),
    }
}

fn read_failed(e: iroh::endpoint::ReadError) -> LinkLost {
    lost(e)
}

fn read_exact_failed(e: iroh::endpoint::ReadExactError) -> LinkLost {
    match e {
        iroh::endpoint::ReadExactError::ReadError(e) => lost(e),
        iroh::endpoint::ReadExactError::FinishedEarly(_) => LinkLost::StreamEnded,
    }
}

fn write_failed(e: iroh::endpoint::WriteError) -> LinkLost {
    lost(e)
}

/// Writes one frame.
pub async fn write(send: &mut SendStream, frame: &Frame) -> Result<(), MailboxError> {
    let body = postcard::to_stdvec(frame).map_err(|e| {
        MailboxError::Internal(Fault::Encode {
            what: frame.name(),
            detail: Box::new(e),
        })
    })?;
    let mut buf = Vec::with_capacity(4 + body.len());
    buf.extend_from_slice(&(body.len() as u32).to_be_bytes());
    buf.extend_from_slice(&body);
    send.write_all(&buf)
        .await
        .map_err(|e| MailboxError::lost(write_failed(e), LostAt::Unknown))
}

/// Reads one frame, at most [`MAX_FRAME`] bytes, within `timeout`; `None` when the peer
/// ended its stream cleanly between frames.
pub async fn read(
    recv: &mut RecvStream,
    timeout: Duration,
    what: &'static str,
) -> Result<Option<Frame>, MailboxError> {
    tokio::time::timeout(timeout, read_inner(recv))
        .await
        .map_err(|_| MailboxError::Timeout(what))?
}

async fn read_inner(recv: &mut RecvStream) -> Result<Option<Frame>, MailboxError> {
    let mut len = [0u8; 4];
    match recv.read(&mut len[..1]).await {
        Ok(Some(1)) => {}
        Ok(_) => return Ok(None),
        Err(e) => return Err(MailboxError::lost(read_failed(e), LostAt::Unknown)),
    }
    recv.read_exact(&mut len[1..]).await.map_err(|e| {
        MailboxError::lost(
            read_exact_failed(e),
            LostAt::MidMessage { got: 1, of: None },
        )
    })?;
    let n = u32::from_be_bytes(len) as usize;
    if n > MAX_FRAME {
        return Err(MailboxError::Protocol(Violation::FrameTooLarge {
            len: n as u64,
            max: MAX_FRAME as u64,
        }));
    }
    let mut body = vec![0u8; n];
    recv.read_exact(&mut body).await.map_err(|e| {
        MailboxError::lost(
            read_exact_failed(e),
            LostAt::MidMessage {
                got: 0,
                of: Some(n as u64),
            },
        )
    })?;
    postcard::from_bytes(&body).map(Some).map_err(|e| {
        MailboxError::Protocol(Violation::Undecodable {
            what: "a frame",
            source: Box::new(e),
        })
    })
}

/// Reads a frame that must be there.
pub async fn expect(
    recv: &mut RecvStream,
    timeout: Duration,
    what: &'static str,
) -> Result<Frame, MailboxError> {
    read(recv, timeout, what)
        .await?
        .ok_or_else(|| MailboxError::lost(LinkLost::StreamEnded, LostAt::Unknown))
}

/// Sends `bytes` as chunks.
pub async fn write_chunks(send: &mut SendStream, bytes: &[u8]) -> Result<(), MailboxError> {
    for piece in bytes.chunks(CHUNK) {
        write(send, &Frame::Chunk(piece.to_vec())).await?;
    }
    Ok(())
}

/// Reads exactly `size` bytes of chunks (`size` was checked by the caller against its
/// limit before this allocates).
pub async fn read_chunks(
    recv: &mut RecvStream,
    size: u64,
    timeout: Duration,
) -> Result<Vec<u8>, MailboxError> {
    let size = usize::try_from(size).map_err(|_| {
        MailboxError::Protocol(Violation::ItemTooLarge {
            len: size,
            max: usize::MAX as u64,
        })
    })?;
    // Grown as chunks come, from at most a few chunks' worth: memory follows bytes received.
    let mut out = Vec::with_capacity(size.min(4 * CHUNK));
    while out.len() < size {
        match expect(recv, timeout, "receiving an item").await? {
            Frame::Chunk(c) if out.len() + c.len() <= size && !c.is_empty() => {
                out.extend_from_slice(&c)
            }
            Frame::Chunk(_) => {
                return Err(MailboxError::Protocol(Violation::SizeMismatch));
            }
            other => {
                return Err(MailboxError::Protocol(Violation::Unexpected {
                    expected: "a chunk",
                    got: other.name(),
                }));
            }
        }
    }
    Ok(out)
}
