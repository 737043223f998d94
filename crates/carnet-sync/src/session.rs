//! One sync session on one connection, the same for both ends:
//!
//! ```text
//! dialer: Hello { card, device certificate, live? }  who I am (the connection proves the key)
//! listener: Hello, only to a peer it does not refuse (else Refused, and nothing about
//!           whose device it is)
//! both: Have                                        what I hold of what we share
//! both: (Item* Done)* End                           what you lack, in bounded batches
//! both: Stored (one per batch received)             I stored your batch
//! live peers: Ack(Have)                             I applied your round, and hold this
//! live peers: more rounds whenever either side changes, until one closes
//! ```
//!
//! The dialer's first message is its hello, and each side answers as soon as it can; a
//! side that leaves after one round is not acknowledged, and one whose peer leaves
//! finishes its stream as soon as its round is out. So a one-off sync has what it came
//! for, and ends, two round trips after the connection. A side closes the connection only
//! once the peer finished its stream, which it does only after receiving everything. Each batch is applied in its
//! own transaction after it arrived whole, so a slow or stalled peer never holds the
//! vault's write lock, and a broken batch leaves the vault as it was. Nothing waits on the
//! network while holding the vault.
//!
//! Success means delivered: a batch is counted as sent, logged in the consent log as
//! received by the peer, and remembered as held by it only when the peer's `Stored` for
//! it arrives, after the peer committed it. A session that ends before every batch was
//! acknowledged is an error, and what was not acknowledged is sent again next time (the
//! peer takes a duplicate as a no-op). Acknowledgements add no round trip: they travel
//! with the peer's own round and before the end of its stream, which each side awaits
//! anyway.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use carnet::crypto::{DeviceCert, DeviceId, IdentityCard, PersonId};
use carnet::exchange::{CheckedAhead, ExchangeReport, Finished, ItemSource, SendReport};
use carnet::wire::{Have, Item};
use carnet::{Attempt, PeerStanding, Vault};
use iroh::endpoint::Connection;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::PeerRefusal;
use crate::SyncError;
use crate::frame::{Frame, Incoming, PROTOCOL_VERSION, Progress, reader, writer};
use crate::node::Shared;
use carnet::transport::{Credential, LinkLost, LostAt, Violation};

/// Bytes of envelopes a sender puts in one batch (one more envelope may overflow it: a
/// batch always makes progress); attachment bytes count for a share of it
/// (`carnet::exchange::ATTACHMENT_SHARE`: up to about 8 MiB of attachments, at most 16).
/// A batch is what a receiver commits and acknowledges at once, so it is also what a cut
/// link can cost: a sync that fails goes on next time from the last acknowledged batch,
/// at most about a megabyte of envelopes back (attachments resume where they were cut).
pub const BATCH_BUDGET: u64 = 1 << 20;
/// The most a receiver buffers for one batch: the budget, plus the largest envelope and
/// the largest attachment that may overflow it.
pub const MAX_BATCH_BYTES: u64 = BATCH_BUDGET + (16 << 20) + (260 << 20);

/// Received batches that wait while one applies are applied together, in one transaction
/// and one durable commit, up to this many bytes (the first may be larger) and
/// [`MAX_GROUP`] batches; only batches of envelopes and attachment parts join the first
/// (see `SyncEngine::receive_group_from`). A first sync's attachments arrive faster than
/// a commit's fsync: one commit per megabyte made the receiver the bottleneck.
pub const GROUP_BYTES: u64 = 16 << 20;
/// At most this many batches in one group.
pub const MAX_GROUP: usize = 16;
/// The most items in one batch.
pub const MAX_BATCH_ITEMS: usize = 1_000_000;

/// Which end of the connection this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// It dialed.
    Dialer,
    /// It accepted.
    Listener,
}

/// What one session did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SessionReport {
    /// The peer's name, as this vault knows them.
    pub peer: String,
    /// The peer's person id.
    pub peer_id: String,
    /// Envelopes sent.
    pub sent: usize,
    /// New envelopes received.
    pub received: usize,
    /// Key grants received.
    pub keys_received: usize,
    /// Consent entries received.
    pub consent_received: usize,
    /// Bytes written to the peer.
    pub bytes_sent: u64,
    /// Bytes read from the peer.
    pub bytes_received: u64,
    /// Rounds sent (more than one for a live session).
    pub rounds: usize,
}

struct Batch(VecDeque<Item>, Option<CheckedAhead>);

impl ItemSource for Batch {
    fn next_item(&mut self) -> carnet::Result<Option<Item>> {
        Ok(self.0.pop_front())
    }
    fn finish(&mut self) -> carnet::Result<Finished> {
        Ok(Finished::default())
    }
    fn take_checked_ahead(&mut self) -> Option<CheckedAhead> {
        self.1.take()
    }
}

/// Runs `f` on the vault on a blocking thread (vault calls block on disk). Sessions and
/// the node's owner call the vault at the same time: it is a thread-safe handle whose
/// writers take turns inside the store.
pub(crate) async fn with_vault<T: Send + 'static>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&Vault) -> carnet::Result<T> + Send + 'static,
) -> Result<T, SyncError> {
    let v = shared.vault.clone();
    tokio::task::spawn_blocking(move || f(&v))
        .await
        .map_err(SyncError::task("vault"))?
        .map_err(SyncError::Vault)
}

/// Notes a refused attempt in the vault, at most once a minute per endpoint (a peer that
/// keeps trying cannot fill the disk).
pub(crate) async fn note_attempt(
    shared: &Arc<Shared>,
    endpoint: [u8; 32],
    person: Option<PersonId>,
    why: String,
) {
    {
        let mut seen = shared.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if seen
            .get(&endpoint)
            .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(60))
        {
            return;
        }
        if seen.len() > 10_000 {
            seen.clear();
        }
        seen.insert(endpoint, now);
    }
    let attempt = Attempt {
        time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        endpoint: Some(carnet::crypto::EndpointKey(endpoint)),
        person,
        why,
    };
    let _ = with_vault(shared, move |v| v.engine().record_attempt(attempt)).await;
}

/// Batches sent and not yet acknowledged, oldest first.
type Pending = Arc<std::sync::Mutex<VecDeque<SendReport>>>;

/// Sends one round: batches of what the peer lacks (each put in `pending` until the peer
/// acknowledges it), then `End`. Returns the envelopes queued and what the peer will hold.
///
/// The next batch is read from the vault while the one before it is on the wire: a batch
/// is worked out from what the peer will hold after the ones before it, so nothing waits
/// for the network but the network itself.
async fn send_round(
    shared: Arc<Shared>,
    peer: IdentityCard,
    their: Have,
    tx: mpsc::Sender<Frame>,
    pending: Pending,
    resume: Arc<Vec<([u8; 32], u64)>>,
) -> Result<(usize, Have), SyncError> {
    let (batches, mut ready) = mpsc::channel::<(Vec<Item>, SendReport)>(1);
    let mut producer = tokio::spawn(produce(
        shared.clone(),
        peer.clone(),
        their.clone(),
        batches,
        resume,
    ));
    let closed = |_| SyncError::lost(LinkLost::ClosedHere, LostAt::Unknown);
    let queued = async {
        let mut sent = 0;
        let mut their = their;
        while let Some((items, report)) = ready.recv().await {
            if !items.is_empty() {
                // Owed an acknowledgement before the peer can see the batch end.
                pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back(report.clone());
                for i in items {
                    tx.send(Frame::Item(i)).await.map_err(closed)?;
                }
                tx.send(Frame::Done).await.map_err(closed)?;
            }
            sent += report.envelopes;
            their = report.peer_after;
        }
        Ok::<_, SyncError>((sent, their))
    };
    let out = match queued.await {
        Ok(out) => out,
        Err(e) => {
            producer.abort();
            return Err(e);
        }
    };
    (&mut producer).await.map_err(SyncError::task("send"))??;
    tx.send(Frame::End).await.map_err(closed)?;
    Ok(out)
}

/// Reads the batches of one round from the vault, one ahead of the network.
async fn produce(
    shared: Arc<Shared>,
    peer: IdentityCard,
    mut their: Have,
    batches: mpsc::Sender<(Vec<Item>, SendReport)>,
    resume: Arc<Vec<([u8; 32], u64)>>,
) -> Result<(), SyncError> {
    loop {
        let card = peer.clone();
        let theirs = their.clone();
        let resume = resume.clone();
        let out = with_vault(&shared, move |v| {
            let mut items = Vec::new();
            match v.engine().send_batch_resuming(
                &card,
                &theirs,
                Some(BATCH_BUDGET),
                &resume,
                &mut |i| {
                    items.push(i);
                    Ok(())
                },
            ) {
                Ok(r) => Ok(Some((items, r))),
                // Nothing to send to them (a clinician before any key arrived).
                Err(carnet::Error::NothingShared { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
        let Some((items, report)) = out else {
            return Ok(());
        };
        let more = report.more;
        their = report.peer_after.clone();
        if batches.send((items, report)).await.is_err() || !more {
            return Ok(());
        }
    }
}

/// Runs a session to its end. `expect` is the person the dialer meant to reach; `live`
/// keeps the session open for more rounds until the peer closes (or `stop` fires).
pub(crate) async fn run(
    shared: Arc<Shared>,
    conn: Connection,
    side: Side,
    expect: Option<PersonId>,
    live: bool,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<SessionReport, SyncError> {
    let timeout = shared.config.timeout;
    let remote: [u8; 32] = *conn.remote_id().as_bytes();
    let (send, recv) = match side {
        Side::Dialer => conn
            .open_bi()
            .await
            .map_err(|e| SyncError::lost(crate::frame::lost(e), LostAt::Unknown))?,
        Side::Listener => tokio::time::timeout(timeout, conn.accept_bi())
            .await
            .map_err(|_| SyncError::Timeout("opening its stream"))?
            .map_err(|e| SyncError::lost(crate::frame::lost(e), LostAt::Unknown))?,
    };
    let progress = Progress::within_node(&shared.traffic);
    let (tx, wtask) = writer(send, timeout, progress.clone());
    let mut rd = reader(recv, timeout, progress.clone(), tx.downgrade());
    let result = session(
        &shared, &conn, side, expect, live, &mut stop, remote, &tx, &mut rd,
    )
    .await;
    drop(tx);
    let written = wtask.await.unwrap_or(Ok(0));
    match result {
        Ok(mut report) => {
            report.bytes_sent = written?;
            // Both sides finish their stream once done; reading to its end makes sure the
            // peer has everything before the connection closes. A peer that refuses what
            // this side sent last says so there.
            // Every batch of ours was acknowledged already: a link that stalls here costs
            // nothing, so this wait is bounded and its timeout ignored.
            let refused = progress
                .within(timeout, "for the end of the session", async {
                    loop {
                        match rd.next(None).await {
                            Ok(Some(Frame::Refused(why))) => return Some(why),
                            Ok(Some(_)) => {}
                            _ => return None,
                        }
                    }
                })
                .await
                .ok()
                .flatten();
            if let Some(why) = refused {
                conn.close(1u32.into(), b"refused");
                return Err(SyncError::Refused(why));
            }
            report.bytes_received = rd.bytes();
            conn.close(0u32.into(), b"done");
            Ok(report)
        }
        Err(e) => {
            conn.close(1u32.into(), b"error");
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn session(
    shared: &Arc<Shared>,
    conn: &Connection,
    side: Side,
    expect: Option<PersonId>,
    live: bool,
    stop: &mut tokio::sync::watch::Receiver<bool>,
    remote: [u8; 32],
    tx: &mpsc::Sender<Frame>,
    rd: &mut Incoming,
) -> Result<SessionReport, SyncError> {
    let timeout = shared.config.timeout;
    let closed = |_| SyncError::lost(LinkLost::ClosedHere, LostAt::Unknown);
    let my_hello = Frame::Hello {
        version: PROTOCOL_VERSION,
        card: shared.card.to_text(),
        cert: shared.cert.clone(),
        live,
    };
    // The dialer says who it is first. The listener answers with its own card (its
    // owner's name) only to a peer it does not refuse: a stranger who reaches a serving
    // device learns nothing about whose it is.
    if side == Side::Dialer {
        tx.send(my_hello.clone()).await.map_err(closed)?;
    }
    let (peer, peer_live, peer_device) = match hello(shared, rd, remote, timeout).await {
        Ok(p) => p,
        Err(e) => {
            if side == Side::Listener {
                note_attempt(shared, remote, None, e.to_string()).await;
            }
            return Err(e);
        }
    };
    let person = peer.person_id();
    // One person holds at most so many sessions at once with this node: a new one
    // replaces their oldest.
    let _slot = PersonSlot::take(shared, person, conn);
    if let Some(want) = expect
        && want != person
    {
        return Err(SyncError::WrongPeer {
            name: peer.name().to_string(),
            person,
        });
    }
    let card = peer.clone();
    let own = person == shared.card.person_id();
    let (standing, shared_records, device_ok, refuse_device, ended) =
        with_vault(shared, move |v| {
            let p = card.person_id();
            let engine = v.engine();
            // A patient's removed device speaks for nobody: its grantees refuse it.
            let removed = match v.patients()?.into_iter().find(|r| r.id == p) {
                Some(r) => engine
                    .removed_patient_devices(&r.record)?
                    .iter()
                    .any(|(d, e)| *d == peer_device || *e == remote),
                None => false,
            };
            let records = engine.shared_records(&p)?;
            // When their access ended is read (from the log) only for a peer about to be
            // told that nothing is shared with them.
            let ended = if records.is_empty() && p != v.person_id() {
                engine.access_ended(&p)?
            } else {
                None
            };
            Ok((
                engine.standing(&card)?,
                records,
                engine.live_device(&peer_device, &remote)?,
                removed || (p != v.person_id() && !v.is_primary()?),
                ended,
            ))
        })
        .await?;
    let refusal = if own {
        (!device_ok).then_some(PeerRefusal::NotLinked)
    } else if refuse_device {
        Some(PeerRefusal::NotPrimary)
    } else {
        match (&standing, side) {
            (PeerStanding::Blocked { .. }, _) => Some(PeerRefusal::Blocked),
            (PeerStanding::Unknown, Side::Listener) => Some(PeerRefusal::Unknown),
            (_, Side::Listener) if shared_records.is_empty() => {
                Some(PeerRefusal::NothingShared { ended })
            }
            _ => None,
        }
    };
    if let Some(why) = refusal {
        let _ = tx.send(Frame::Refused(why.clone())).await;
        if side == Side::Listener {
            note_attempt(shared, remote, Some(person), why.to_string()).await;
        }
        return Err(SyncError::WeRefused(why));
    }
    if side == Side::Listener {
        tx.send(my_hello).await.map_err(closed)?;
    }
    let name = if own {
        format!("your device {}", &peer_device.to_string()[..8])
    } else {
        match &standing {
            PeerStanding::Known { name } | PeerStanding::Blocked { name } => name.clone(),
            PeerStanding::Unknown => peer.name().to_string(),
        }
    };
    let _ = shared
        .activity
        .send(crate::Activity::Connected { peer: name.clone() });
    // What each side holds, and what it holds the start of from a sync that was cut.
    let p = person;
    let (my_have, my_partials) = with_vault(shared, move |v| {
        let engine = v.engine();
        Ok((engine.have_for(&p)?, engine.partials_from(&p)?))
    })
    .await?;
    tx.send(Frame::Resume(my_partials)).await.map_err(closed)?;
    tx.send(Frame::Have(my_have)).await.map_err(closed)?;
    let resume = match rd.expect(timeout).await? {
        Frame::Resume(r) if r.len() <= carnet::exchange::MAX_PARTIALS => r,
        other => {
            return Err(SyncError::Protocol(Violation::Unexpected {
                expected: "what it holds of cut attachments",
                got: other.name(),
            }));
        }
    };
    let mut their = match rd.expect(timeout).await? {
        Frame::Have(h) => h,
        other => {
            return Err(SyncError::Protocol(Violation::Unexpected {
                expected: "what it holds",
                got: other.name(),
            }));
        }
    };
    if !own {
        // What they stored last time without our hearing of it goes in the log now.
        let (p, h) = (person, their.clone());
        with_vault(shared, move |v| v.engine().log_unacknowledged(&p, &h)).await?;
    }
    // A session stays open for more rounds when both ends want it: a listener stays as
    // long as its peer does.
    let stay = match side {
        Side::Dialer => live && peer_live,
        Side::Listener => peer_live,
    };
    // Whether the peer stays, by that same rule seen from its end: only then does it need
    // to hear, after each round, what this side holds; a peer that leaves after one round
    // is not acknowledged (nor waited for: a round trip less).
    let peer_stays = match side {
        Side::Dialer => live,
        Side::Listener => peer_live && live,
    };

    let mut report = SessionReport {
        peer: name,
        peer_id: person.to_string(),
        ..SessionReport::default()
    };
    let pending: Pending = Arc::default();
    let resume = Arc::new(resume);
    let mut round: Option<tokio::task::JoinHandle<Result<(usize, Have), SyncError>>> =
        Some(tokio::spawn(send_round(
            shared.clone(),
            peer.clone(),
            their.clone(),
            tx.clone(),
            pending.clone(),
            resume.clone(),
        )));
    report.rounds = 1;
    // When this side stays, one acknowledgement is owed per round started; it may arrive
    // before this side has even seen its own round task finish.
    let mut acks_owed = usize::from(stay);
    let mut their_first_round_done = false;
    let mut again = false;
    let mut changes = shared.changes.clone();
    changes.borrow_and_update();
    let mut batch: VecDeque<Item> = VecDeque::new();
    let mut batch_bytes = 0u64;
    let mut buffered = Buffered {
        shared: shared.clone(),
        held: 0,
    };
    let mut applying: Option<Applying> = None;
    // A received batch whose signatures are being checked while the one before applies.
    let mut waiting: Vec<Checking> = Vec::new();
    let mut waiting_bytes = 0u64;
    loop {
        let unacknowledged = pending.lock().unwrap_or_else(|p| p.into_inner()).len();
        let first_done =
            their_first_round_done && round.is_none() && acks_owed == 0 && unacknowledged == 0;
        if first_done && !stay {
            break;
        }
        if first_done && again {
            again = false;
            round = Some(tokio::spawn(send_round(
                shared.clone(),
                peer.clone(),
                their.clone(),
                tx.clone(),
                pending.clone(),
                resume.clone(),
            )));
            report.rounds += 1;
            acks_owed += 1;
        }
        let idle = if stay { None } else { Some(timeout) };
        tokio::select! {
            frame = rd.next(idle) => {
                let frame = match frame {
                    Ok(f) => f,
                    Err(e) => {
                        // Cut in the middle of a batch: what arrived of its attachments is
                        // kept, for the next sync with this peer to resume.
                        keep_partial(shared, person, &mut batch).await;
                        return Err(e);
                    }
                };
                let Some(frame) = frame else {
                    // The peer finished its stream. That is the end it should be when it
                    // had acknowledged every round of ours, even if this loop has not yet
                    // seen the task of the last one return (both can be ready at once).
                    if unacknowledged > 0 {
                        return Err(SyncError::lost(
                            LinkLost::Unconfirmed { batches: unacknowledged as u64 },
                            LostAt::Received(rd.bytes()),
                        ));
                    }
                    if their_first_round_done && acks_owed == 0 {
                        if let Some(last) = round.take() {
                            last.await.map_err(SyncError::task("send"))??;
                            let left = pending.lock().unwrap_or_else(|p| p.into_inner()).len();
                            if left > 0 {
                                return Err(SyncError::lost(
                                    LinkLost::Unconfirmed { batches: left as u64 },
                                    LostAt::Received(rd.bytes()),
                                ));
                            }
                        }
                        break;
                    }
                    if stay && their_first_round_done {
                        break;
                    }
                    return Err(SyncError::lost(LinkLost::StreamEnded, LostAt::Received(rd.bytes())));
                };
                match frame {
                    Frame::Item(item) => {
                        batch_bytes += rd.last;
                        buffered.add(rd.last)?;
                        batch.push_back(item);
                        if batch.len() > MAX_BATCH_ITEMS || batch_bytes > MAX_BATCH_BYTES {
                            return Err(SyncError::Protocol(Violation::BatchTooLarge));
                        }
                    }
                    Frame::Done => {
                        // Batches apply in order, one at a time. A batch that arrives while
                        // one applies has its signatures checked meanwhile and waits; the
                        // next keeps arriving. Reading stops only when a second would wait
                        // (or a large one would), until the one applying is done.
                        let large = batch_bytes > 4 * BATCH_BUDGET;
                        // Batches of envelopes and attachment parts may join those waiting,
                        // to be applied with them in one commit.
                        let joins = !waiting.is_empty()
                            && !large
                            && waiting.len() < MAX_GROUP
                            && waiting_bytes + batch_bytes <= GROUP_BYTES
                            && batch
                                .iter()
                                .all(|i| matches!(i, Item::Envelope { .. } | Item::BlobPart { .. }));
                        let bytes = batch_bytes;
                        let checking = check_ahead(std::mem::take(&mut batch));
                        batch_bytes = 0;
                        buffered.release();
                        if (!waiting.is_empty() && !joins) || (large && applying.is_some()) {
                            if let Some(prev) = applying.take() {
                                settle(prev.await, &mut report, tx, shared).await?;
                            }
                            if !waiting.is_empty() {
                                waiting_bytes = 0;
                                applying = Some(apply(shared, &peer, peer_device, std::mem::take(&mut waiting)));
                            }
                        }
                        if applying.is_none() {
                            applying = Some(apply(shared, &peer, peer_device, vec![checking]));
                        } else {
                            waiting.push(checking);
                            waiting_bytes += bytes;
                        }
                    }
                    Frame::End => {
                        if !batch.is_empty() {
                            return Err(SyncError::Protocol(Violation::EndedMidBatch));
                        }
                        if let Some(prev) = applying.take() {
                            settle(prev.await, &mut report, tx, shared).await?;
                        }
                        if !waiting.is_empty() {
                            waiting_bytes = 0;
                            let w = std::mem::take(&mut waiting);
                            settle(apply(shared, &peer, peer_device, w).await, &mut report, tx, shared).await?;
                        }
                        their_first_round_done = true;
                        if peer_stays {
                            let p = person;
                            let now = with_vault(shared, move |v| v.engine().have_for(&p)).await?;
                            tx.send(Frame::Ack(now)).await.map_err(closed)?;
                        }
                    }
                    Frame::Ack(h) => {
                        if acks_owed == 0 {
                            return Err(SyncError::Protocol(Violation::AckOfNothing { what: "a round" }));
                        }
                        acks_owed -= 1;
                        their = h;
                    }
                    Frame::Stored => {
                        let Some(stored) = pending.lock().unwrap_or_else(|p| p.into_inner()).pop_front() else {
                            return Err(SyncError::Protocol(Violation::AckOfNothing { what: "a batch" }));
                        };
                        // Delivered: now counted, logged and remembered as theirs.
                        let p = person;
                        let n = stored.envelopes;
                        with_vault(shared, move |v| v.engine().commit_sent(&p, &stored)).await?;
                        report.sent += n;
                        if n > 0 {
                            let _ = shared.activity.send(crate::Activity::Delivered {
                                peer: report.peer.clone(),
                                changes: n,
                            });
                        }
                    }
                    Frame::Refused(why) => return Err(SyncError::Refused(why)),
                    other => return Err(SyncError::Protocol(Violation::Unexpected { expected: "an item, the end of a batch or round, or an acknowledgement", got: other.name() })),
                }
            }
            applied = async { applying.as_mut().expect("guarded").await }, if applying.is_some() => {
                applying = None;
                settle(applied, &mut report, tx, shared).await?;
                if !waiting.is_empty() {
                    waiting_bytes = 0;
                    applying = Some(apply(shared, &peer, peer_device, std::mem::take(&mut waiting)));
                }
            }
            done = async { round.as_mut().expect("guarded").await }, if round.is_some() => {
                round = None;
                let (_, after) = done.map_err(SyncError::task("send"))??;
                // What they acknowledged is the truth; before that, assume they took it.
                if acks_owed > 0 {
                    their = after;
                }
            }
            _ = changes.changed(), if stay => {
                again = true;
            }
            _ = stop.changed() => {
                break;
            }
            reason = conn.closed(), if stay => {
                // Closed by the peer after its last round is a clean end; a link that
                // timed out or was reset is not.
                match reason {
                    iroh::endpoint::ConnectionError::ApplicationClosed(c)
                        if c.error_code == 0u32.into() && their_first_round_done => break,
                    other => {
                        keep_partial(shared, person, &mut batch).await;
                        return Err(SyncError::lost(
                            crate::frame::lost(other),
                            LostAt::Received(rd.bytes()),
                        ));
                    }
                }
            }
        }
    }
    // A live session closing between batches: the last one still lands.
    if let Some(last) = applying.take() {
        settle(last.await, &mut report, tx, shared).await?;
    }
    if !waiting.is_empty() {
        let w = std::mem::take(&mut waiting);
        settle(
            apply(shared, &peer, peer_device, w).await,
            &mut report,
            tx,
            shared,
        )
        .await?;
    }
    let _ = shared
        .activity
        .send(crate::Activity::Finished(report.clone()));
    Ok(report)
}

/// Keeps what arrived of the attachments of an unfinished batch (best effort: the sync
/// already failed, and this only saves resending).
async fn keep_partial(shared: &Arc<Shared>, peer: PersonId, batch: &mut VecDeque<Item>) {
    if !batch.iter().any(|i| matches!(i, Item::BlobPart { .. })) {
        return;
    }
    let items: Vec<Item> = std::mem::take(batch).into();
    let _ = with_vault(shared, move |v| v.engine().keep_partial(&peer, &items)).await;
}

/// Received batches being applied to the vault (a group: one report per batch).
type Applying = tokio::task::JoinHandle<Result<Vec<ExchangeReport>, SyncError>>;

/// A received batch whose envelope signatures are being checked, without the vault.
type Checking = tokio::task::JoinHandle<(VecDeque<Item>, CheckedAhead)>;

fn check_ahead(mut items: VecDeque<Item>) -> Checking {
    tokio::task::spawn_blocking(move || {
        let ahead = CheckedAhead::of(items.make_contiguous());
        (items, ahead)
    })
}

/// Applies batches once their checks are done, together where the vault allows it (the
/// caller starts it only after the batches before them were applied: batches apply in the
/// order they came).
fn apply(
    shared: &Arc<Shared>,
    peer: &IdentityCard,
    device: DeviceId,
    group: Vec<Checking>,
) -> Applying {
    let from = peer.clone();
    let sh = shared.clone();
    tokio::spawn(async move {
        let mut batches = Vec::with_capacity(group.len());
        for checking in group {
            let (items, ahead) = checking.await.map_err(SyncError::task("check"))?;
            batches.push(Batch(items, Some(ahead)));
        }
        with_vault(&sh, move |v| {
            let mut reports = Vec::with_capacity(batches.len());
            // The vault applies a prefix of the group at a time (at least one batch).
            while reports.len() < batches.len() {
                let mut rest: Vec<&mut dyn ItemSource> = batches[reports.len()..]
                    .iter_mut()
                    .map(|b| b as &mut dyn ItemSource)
                    .collect();
                let done = v
                    .engine()
                    .receive_group_from(&from, Some(device), &mut rest)?;
                if done.is_empty() {
                    return Err(carnet::Error::Vanished {
                        what: "the report of a received batch",
                    });
                }
                reports.extend(done);
            }
            Ok(reports)
        })
        .await
    })
}

/// Counts an applied batch, or tells the peer why it was refused.
async fn settle(
    applied: Result<Result<Vec<ExchangeReport>, SyncError>, tokio::task::JoinError>,
    report: &mut SessionReport,
    tx: &mpsc::Sender<Frame>,
    shared: &Arc<Shared>,
) -> Result<(), SyncError> {
    match applied.map_err(SyncError::task("vault"))? {
        Ok(rs) => {
            for r in rs {
                stored(r, report, tx, shared).await;
            }
            Ok(())
        }
        Err(e) => {
            let _ = tx
                .send(Frame::Refused(PeerRefusal::Batch {
                    code: e.code().to_string(),
                    detail: e.to_string(),
                }))
                .await;
            Err(e)
        }
    }
}

/// Counts one committed batch and tells the peer.
async fn stored(
    r: ExchangeReport,
    report: &mut SessionReport,
    tx: &mpsc::Sender<Frame>,
    shared: &Arc<Shared>,
) {
    report.received += r.envelopes;
    report.keys_received += r.key_grants;
    report.consent_received += r.consent_entries;
    if r.envelopes + r.key_grants + r.consent_entries > 0 {
        let _ = shared.activity.send(crate::Activity::Received {
            peer: report.peer.clone(),
            changes: r.envelopes,
            keys: r.key_grants,
            consent: r.consent_entries,
        });
    }
    // Committed: tell the sender (a closing connection may not carry it; the sender then
    // sends the batch again, and it is a no-op here).
    let _ = tx.send(Frame::Stored).await;
}

/// A person's place among the sessions this node runs, given back when the session ends.
/// At the cap, a new session of that person replaces their oldest one (closed at once):
/// a device that crashed and reconnects is not locked out by its own dead sessions, and a
/// person can only ever push out their own.
struct PersonSlot {
    shared: Arc<Shared>,
    person: PersonId,
    id: u64,
}

static SESSION_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl PersonSlot {
    fn take(shared: &Arc<Shared>, person: PersonId, conn: &Connection) -> Self {
        let id = SESSION_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut map = shared.per_person.lock().unwrap_or_else(|p| p.into_inner());
        let list = map.entry(person).or_default();
        while list.len() >= shared.config.max_sessions_per_person.max(1) {
            let (_, oldest) = list.remove(0);
            oldest.close(3u32.into(), b"replaced by a newer session");
        }
        list.push((id, conn.clone()));
        PersonSlot {
            shared: shared.clone(),
            person,
            id,
        }
    }
}

impl Drop for PersonSlot {
    fn drop(&mut self) {
        let mut map = self
            .shared
            .per_person
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(list) = map.get_mut(&self.person) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                map.remove(&self.person);
            }
        }
    }
}

/// The bytes of the batch a session is buffering, counted against the node's limit over
/// every session, given back when the batch is applied or the session ends.
struct Buffered {
    shared: Arc<Shared>,
    held: u64,
}

impl Buffered {
    fn add(&mut self, n: u64) -> Result<(), SyncError> {
        use std::sync::atomic::Ordering;
        let total = self.shared.buffered.fetch_add(n, Ordering::SeqCst) + n;
        self.held += n;
        if total > self.shared.config.max_buffered_bytes {
            return Err(SyncError::WeRefused(PeerRefusal::Busy {
                buffered_mib: total >> 20,
            }));
        }
        Ok(())
    }

    fn release(&mut self) {
        self.shared
            .buffered
            .fetch_sub(self.held, std::sync::atomic::Ordering::SeqCst);
        self.held = 0;
    }
}

impl Drop for Buffered {
    fn drop(&mut self) {
        self.release();
    }
}

/// Reads and checks the peer's hello: a card, and a device certificate by that card's
/// person for the endpoint the connection authenticated.
async fn hello(
    shared: &Arc<Shared>,
    rd: &mut Incoming,
    remote: [u8; 32],
    timeout: Duration,
) -> Result<(IdentityCard, bool, DeviceId), SyncError> {
    let _ = shared;
    let (version, card, cert, live) = match rd.expect(timeout).await? {
        Frame::Hello {
            version,
            card,
            cert,
            live,
        } => (version, card, cert, live),
        other => {
            return Err(SyncError::Protocol(Violation::Unexpected {
                expected: "a hello",
                got: other.name(),
            }));
        }
    };
    if version != PROTOCOL_VERSION {
        return Err(SyncError::Protocol(Violation::Version {
            protocol: "sync",
            theirs: version as u32,
            ours: PROTOCOL_VERSION as u32,
        }));
    }
    let bad = |what| move |source| SyncError::Protocol(Violation::BadCredential { what, source });
    let card = IdentityCard::from_text(&card).map_err(bad(Credential::Card))?;
    let cert = DeviceCert::from_bytes(&cert).map_err(bad(Credential::DeviceCertificate))?;
    let claim = cert
        .verify(&remote)
        .map_err(bad(Credential::DeviceCertificate))?;
    if claim.person != card.person_id() {
        return Err(SyncError::Protocol(Violation::CertificateOfAnother));
    }
    Ok((card, live, claim.device))
}
