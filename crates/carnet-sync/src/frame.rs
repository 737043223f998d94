//! The sync protocol's messages and how they travel: length-prefixed frames (u32
//! big-endian, then postcard) on one bidirectional QUIC stream, each with a maximum size
//! checked before anything is allocated, and a timeout on every read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use carnet::wire::{Have, Item, MAX_FRAME};
use iroh::endpoint::{RecvStream, SendStream};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::SyncError;
use crate::error::Fault;
use carnet::transport::{LinkLost, LostAt, Violation};

/// The version of the sync protocol this build speaks (2: a side that leaves after one
/// round is not acknowledged; 3: every batch is acknowledged once stored, and only then
/// counted and logged as delivered; 4: a cut attachment resumes; 5: a refusal is a kind,
/// [`crate::PeerRefusal`], not words).
pub const PROTOCOL_VERSION: u8 = 5;
/// The largest hello a peer may send (a card and a certificate).
pub const MAX_HELLO: usize = 64 * 1024;

/// One message of the sync protocol.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Frame {
    /// Who I am: my identity card and the certificate binding this endpoint to me.
    Hello {
        /// Protocol version.
        version: u8,
        /// Identity card, text form.
        card: String,
        /// Device certificate bytes.
        cert: Vec<u8>,
        /// The sender stays for more rounds after the first (a live session).
        live: bool,
    },
    /// What I hold of the records we share.
    Have(Have),
    /// Part of a batch of what you lack.
    Item(Item),
    /// End of a batch: apply it.
    Done,
    /// End of a round: nothing more for now.
    End,
    /// I applied your round; here is what I hold now (only to a peer that stays).
    Ack(Have),
    /// I will not go on, and why (protocol 5: a kind, not words).
    Refused(crate::PeerRefusal),
    /// I stored your next batch (batches are acknowledged in the order they were sent).
    Stored,
    /// I have read this many bytes of your stream so far: your data is moving (sent every
    /// few kilobytes while a long message crosses a slow link; never given to the session).
    Progress(u64),
    /// Before `Have`: the attachments I hold the first bytes of from a sync with you that
    /// was cut (id, bytes held); send them from there (protocol 4).
    Resume(Vec<([u8; 32], u64)>),
}

impl Frame {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Frame::Hello { .. } => "hello",
            Frame::Have(_) => "have",
            Frame::Item(_) => "item",
            Frame::Done => "done",
            Frame::End => "end",
            Frame::Ack(_) => "ack",
            Frame::Refused(_) => "refused",
            Frame::Stored => "stored",
            Frame::Progress(_) => "progress",
            Frame::Resume(_) => "resume",
        }
    }
}

/// Bytes from the peer within one timeout below which it counts as stalled: about 70 bit/s
/// over the default 30 s, far below any link a sync can use, so a peer that trickles a
/// byte now and then to hold a session open is still dropped.
pub const MIN_PROGRESS_BYTES: u64 = 256;

/// Bytes read from the peer between two [`Frame::Progress`] reports to it.
pub const PROGRESS_EVERY: u64 = 8 * 1024;

/// Whether a session is moving, in both directions: stream bytes read from the peer, and
/// how much of what this side wrote the peer says it has read ([`Frame::Progress`], sent
/// every [`PROGRESS_EVERY`] bytes it reads, and believed only up to what was written).
/// Keep-alives do not count, so a peer that holds the connection open but neither sends
/// nor reads makes no progress. Timeouts are on progress, not on whole messages: a
/// one-megabyte envelope over 64 kbit/s takes two minutes, and goes through.
#[derive(Clone, Default)]
pub struct Progress(Arc<Counters>, Arc<Counters>);

/// Bytes that went each way, over every session of a node.
#[derive(Default)]
pub struct Counters {
    /// Stream bytes read from the peer.
    read: AtomicU64,
    /// Stream bytes handed to the peer.
    written: AtomicU64,
    /// Of those, how many the peer says it has read.
    peer_read: AtomicU64,
}

impl Counters {
    /// Bytes received and bytes sent so far (sent: handed to the connection).
    pub fn totals(&self) -> (u64, u64) {
        (
            self.read.load(Ordering::Relaxed),
            self.written.load(Ordering::Relaxed),
        )
    }
}

impl Progress {
    /// The progress of one session, also counted in `node`'s totals.
    pub fn within_node(node: &Arc<Counters>) -> Self {
        Progress(Arc::default(), node.clone())
    }

    fn mark(&self) -> (u64, u64) {
        (
            self.0.read.load(Ordering::Relaxed),
            self.0.peer_read.load(Ordering::Relaxed),
        )
    }

    /// Takes the peer's word that it read `n` bytes of ours, if that is news and no more
    /// than was written (a peer cannot keep a session alive by claiming to read).
    fn peer_read(&self, n: u64) {
        if n <= self.0.written.load(Ordering::Relaxed) {
            self.0.peer_read.fetch_max(n, Ordering::Relaxed);
        }
    }

    /// Awaits `fut`, failing only when the session made no progress for `timeout` (see
    /// [`Progress`]); `what` says what was being waited for.
    pub async fn within<T>(
        &self,
        timeout: Duration,
        what: &'static str,
        fut: impl std::future::Future<Output = T>,
    ) -> Result<T, SyncError> {
        tokio::pin!(fut);
        let mut last = self.mark();
        loop {
            match tokio::time::timeout(timeout, &mut fut).await {
                Ok(v) => return Ok(v),
                Err(_) => {
                    let now = self.mark();
                    let moved = now.0 >= last.0 + MIN_PROGRESS_BYTES || now.1 > last.1;
                    if !moved {
                        return Err(SyncError::Stalled {
                            what,
                            secs: timeout.as_secs().max(1),
                            bytes: now.0,
                        });
                    }
                    last = now;
                }
            }
        }
    }
}

/// Frames as they arrive, read by their own task: a frame is either delivered whole or not
/// at all, whatever the session is waiting on at the same time (reading in place inside a
/// `select!` could drop half a frame and lose the stream's framing).
pub struct Incoming {
    rx: mpsc::Receiver<Result<(Frame, u64), SyncError>>,
    bytes: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
    progress: Progress,
    /// The size on the wire of the last frame returned.
    pub last: u64,
}

/// Starts reading `recv`: the first frame (the hello) may be at most [`MAX_HELLO`] bytes,
/// every later one at most `MAX_FRAME`; once a frame has started, its bytes must keep
/// coming (no [`Progress`] for `timeout` ends the session).
pub fn reader(
    mut recv: RecvStream,
    timeout: Duration,
    progress: Progress,
    report: mpsc::WeakSender<Frame>,
) -> Incoming {
    // Two frames in flight at most: bounded memory.
    let (tx, rx) = mpsc::channel(2);
    let bytes = Arc::new(AtomicU64::new(0));
    let counted = bytes.clone();
    let p = progress.clone();
    let task = tokio::spawn(async move {
        let mut max = MAX_HELLO;
        let mut reported = 0;
        loop {
            match read_one(&mut recv, timeout, max, &p, &report, &mut reported).await {
                Ok(Some((Frame::Progress(n), k))) => {
                    // Between the peer's frames, for the timeouts only.
                    counted.fetch_add(k, Ordering::Relaxed);
                    p.peer_read(n);
                }
                Ok(Some((frame, n))) => {
                    counted.fetch_add(n, Ordering::Relaxed);
                    max = MAX_FRAME;
                    if tx.send(Ok((frame, n))).await.is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    break;
                }
            }
        }
    });
    Incoming {
        rx,
        bytes,
        task,
        progress,
        last: 0,
    }
}

impl Incoming {
    /// The next frame, or `None` when the peer finished its stream cleanly. `idle` bounds
    /// the time without [`Progress`] (`None`: wait as long as the connection lives).
    pub async fn next(&mut self, idle: Option<Duration>) -> Result<Option<Frame>, SyncError> {
        let got = match idle {
            Some(d) => {
                let p = self.progress.clone();
                p.within(d, "waiting for its next message", self.rx.recv())
                    .await?
            }
            None => self.rx.recv().await,
        };
        match got.transpose()? {
            Some((frame, n)) => {
                self.last = n;
                Ok(Some(frame))
            }
            None => Ok(None),
        }
    }

    /// The next frame, which must come without the connection stalling for `idle`; the end
    /// of the stream is an error, and so is a refusal.
    pub async fn expect(&mut self, idle: Duration) -> Result<Frame, SyncError> {
        match self.next(Some(idle)).await? {
            Some(Frame::Refused(why)) => Err(SyncError::Refused(why)),
            Some(f) => Ok(f),
            None => Err(SyncError::lost(
                LinkLost::StreamEnded,
                LostAt::Received(self.bytes()),
            )),
        }
    }

    /// Bytes read so far (whole frames).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How much of a frame's body is read at a time: each piece counts as progress.
const READ_PIECE: usize = 16 * 1024;

/// What a lost connection means, as a kind (the peer's reason for closing kept as its
/// words).
pub(crate) fn lost(e: iroh::endpoint::ConnectionError) -> LinkLost {
    use iroh::endpoint::ConnectionError as C;
    match e {
        C::ApplicationClosed(c) => {
            let why = String::from_utf8_lossy(&c.reason);
            match why.as_ref() {
                "done" => LinkLost::PeerEnded,
                "" => LinkLost::PeerClosed { reason: None },
                other => LinkLost::PeerClosed {
                    reason: Some(other.chars().take(200).collect()),
                },
            }
        }
        C::TimedOut => LinkLost::Silent { secs: 30 },
        C::Reset => LinkLost::Reset,
        C::LocallyClosed => LinkLost::ClosedHere,
        other => LinkLost::Transport {
            source: Box::new(other),
        },
    }
}

pub(crate) fn read_failed(e: iroh::endpoint::ReadError) -> LinkLost {
    match e {
        iroh::endpoint::ReadError::ConnectionLost(c) => lost(c),
        other => LinkLost::Transport {
            source: Box::new(other),
        },
    }
}

pub(crate) fn write_failed(e: iroh::endpoint::WriteError) -> LinkLost {
    match e {
        iroh::endpoint::WriteError::ConnectionLost(c) => lost(c),
        other => LinkLost::Transport {
            source: Box::new(other),
        },
    }
}

/// Notes `k` more bytes read, and tells the peer every [`PROGRESS_EVERY`] bytes (without
/// waiting: when this side's queue is full it is sending, which the peer sees anyway).
fn count_read(progress: &Progress, report: &mpsc::WeakSender<Frame>, reported: &mut u64, k: u64) {
    progress.1.read.fetch_add(k, Ordering::Relaxed);
    let total = progress.0.read.fetch_add(k, Ordering::Relaxed) + k;
    if total >= *reported + PROGRESS_EVERY
        && let Some(tx) = report.upgrade()
        && tx.try_send(Frame::Progress(total)).is_ok()
    {
        *reported = total;
    }
}

async fn read_one(
    recv: &mut RecvStream,
    timeout: Duration,
    max: usize,
    progress: &Progress,
    report: &mpsc::WeakSender<Frame>,
    reported: &mut u64,
) -> Result<Option<(Frame, u64)>, SyncError> {
    let mut len = [0u8; 4];
    match recv.read(&mut len[..1]).await {
        Ok(Some(1)) => {}
        Ok(_) => return Ok(None),
        Err(e) => {
            let read = progress.0.read.load(Ordering::Relaxed);
            return Err(SyncError::lost(read_failed(e), LostAt::Received(read)));
        }
    }
    count_read(progress, report, reported, 1);
    let rest = async {
        recv.read_exact(&mut len[1..]).await.map_err(|e| match e {
            iroh::endpoint::ReadExactError::ReadError(e) => {
                SyncError::lost(read_failed(e), LostAt::MidMessage { got: 1, of: None })
            }
            iroh::endpoint::ReadExactError::FinishedEarly(k) => SyncError::lost(
                LinkLost::StreamEnded,
                LostAt::MidMessage {
                    got: 1 + k as u64,
                    of: None,
                },
            ),
        })?;
        count_read(progress, report, reported, 3);
        let n = u32::from_be_bytes(len) as usize;
        if n > max {
            return Err(SyncError::Protocol(Violation::FrameTooLarge {
                len: n as u64,
                max: max as u64,
            }));
        }
        let mut body = vec![0u8; n];
        let mut at = 0;
        while at < n {
            let end = (at + READ_PIECE).min(n);
            match recv.read(&mut body[at..end]).await {
                Ok(Some(k)) => {
                    at += k;
                    count_read(progress, report, reported, k as u64);
                }
                Ok(None) => {
                    return Err(SyncError::lost(
                        LinkLost::StreamEnded,
                        LostAt::MidMessage {
                            got: at as u64,
                            of: Some(n as u64),
                        },
                    ));
                }
                Err(e) => {
                    return Err(SyncError::lost(
                        read_failed(e),
                        LostAt::MidMessage {
                            got: at as u64,
                            of: Some(n as u64),
                        },
                    ));
                }
            }
        }
        Ok(body)
    };
    let body = progress
        .within(timeout, "in the middle of a message", rest)
        .await??;
    let frame: Frame = postcard::from_bytes(&body).map_err(SyncError::undecodable("a frame"))?;
    Ok(Some((frame, 4 + body.len() as u64)))
}

/// Encodes a frame.
pub fn encode(frame: &Frame) -> Result<Vec<u8>, SyncError> {
    let body = postcard::to_stdvec(frame).map_err(SyncError::encode(frame.name()))?;
    if body.len() > MAX_FRAME {
        return Err(SyncError::Internal(Fault::Oversized {
            what: frame.name(),
            len: body.len() as u64,
            max: MAX_FRAME as u64,
        }));
    }
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// A queue of frames to send, drained by one writer task (so the reading side can answer
/// while a round is being sent). Returns the bytes written when the queue closes.
pub fn writer(
    mut send: SendStream,
    timeout: Duration,
    progress: Progress,
) -> (
    mpsc::Sender<Frame>,
    tokio::task::JoinHandle<Result<u64, SyncError>>,
) {
    // A few frames in flight: bounded memory even with the largest envelopes.
    let (tx, mut rx) = mpsc::channel::<Frame>(8);
    let task = tokio::spawn(async move {
        let mut bytes = 0u64;
        let mut refused = false;
        while let Some(frame) = rx.recv().await {
            refused |= matches!(frame, Frame::Refused(_));
            let buf = encode(&frame)?;
            progress
                .0
                .written
                .fetch_add(buf.len() as u64, Ordering::Relaxed);
            progress
                .1
                .written
                .fetch_add(buf.len() as u64, Ordering::Relaxed);
            progress
                .within(timeout, "taking what we send", send.write_all(&buf))
                .await?
                .map_err(|e| SyncError::lost(write_failed(e), LostAt::Sent(bytes)))?;
            bytes += buf.len() as u64;
        }
        let _ = send.finish();
        if refused {
            // The session closes the connection next, and a close drops what is still in
            // flight: a refusal must reach the peer first, or it sees a lost connection
            // instead of the reason.
            let _ = tokio::time::timeout(timeout.min(Duration::from_secs(5)), send.stopped()).await;
        }
        Ok(bytes)
    });
    (tx, task)
}
