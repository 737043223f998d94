//! The exchange engine: what two people's vaults send each other, whatever carries it.
//!
//! An offline bundle (see [`crate::bundle`]) and a live connection run the same two halves:
//! [`SyncEngine::send_items`] produces what a peer lacks and is entitled to, given what
//! they hold ([`Have`]); [`SyncEngine::receive_items`] verifies and stores what a peer
//! sent, all or nothing, in one transaction. A transport reaches them with
//! [`Vault::engine`].
//!
//! [`SyncEngine::send_items`]: crate::SyncEngine::send_items
//! [`SyncEngine::receive_items`]: crate::SyncEngine::receive_items
//!
//! # What a peer is entitled to
//! - From the record's patient to a grantee: the envelopes of the sections covered by a
//!   grant in force (all of them, whoever wrote them: a section is shared whole), the key
//!   grants of those grants, the consent entries about the grantee with inclusion proofs
//!   under a fresh signed checkpoint, and the cards of the authors. Nothing to a blocked
//!   person, nothing to someone without a grant in force.
//! - From a grantee to the patient: only the grantee's own envelopes, in sections they may
//!   still write.
//!
//! # What is accepted
//! - By the patient: envelopes written by the patient (other devices) or by someone holding
//!   a write grant in force on that section now, whoever carries them; nothing from a
//!   blocked person; no consent entry and no key from anyone.
//! - By a grantee: only what the record's patient sends about their own record. The
//!   patient vouches for the envelopes of other authors, which must still be genuine.
//!
//! Every envelope, key grant and consent entry is verified on its own before it is stored.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use carnet_consent::{Range, SectionTag, SharedView, SignedEntry};
use carnet_crypto::{
    DeviceId, Envelope, EnvelopeId, EpochKey, IdentityCard, KeyGrant, PersonId, RecordId, Role,
};
use carnet_record::SectionId;
use carnet_store::WriteTxn;
use serde::{Deserialize, Serialize};

use crate::devices::ChainReads;
use crate::error::{Damage, ExchangeError, Refusal};
use crate::vault::{actor_for, bad_envelope, now_unix};
use crate::wire::{BLOB_PART, ChainPos, Have, Item, MAX_PROOFS, RecordState};
use crate::{EnvelopeFault, Error, MAX_ATTACHMENT, Result, Vault};

/// The largest attachment blob accepted from a peer: the largest attachment, sealed.
const MAX_BLOB: u64 = MAX_ATTACHMENT + MAX_ATTACHMENT / 64 + 4096;

/// A run of one chain sent to a peer: section, author, device, first and last sequence.
pub type ServedRange = (SectionId, PersonId, DeviceId, u64, u64);

/// What a source says once its items are all read.
#[derive(Clone, Debug, Default)]
pub struct Finished {
    /// What the sender holds, if it said.
    pub have: Option<Have>,
    /// An id to take once only (a bundle's hash): a second receive of it is refused.
    pub once: Option<[u8; 32]>,
}

/// Items as they arrive from a peer.
pub trait ItemSource {
    /// The next item, or `None` when the sender has sent everything.
    fn next_item(&mut self) -> Result<Option<Item>>;
    /// Called once after the last item and before anything is committed: the source checks
    /// the whole (a bundle's signature) and says what the sender holds, if it knows.
    fn finish(&mut self) -> Result<Finished>;
    /// The envelopes among its items whose signatures were checked ahead, if it checked
    /// them ([`CheckedAhead::of`]); asked once, before the first item.
    fn take_checked_ahead(&mut self) -> Option<CheckedAhead> {
        None
    }
}

/// The envelopes of a batch whose signatures were checked before the batch is applied,
/// by their ids (the hash of their bytes). Only [`CheckedAhead::of`] makes one, and it
/// holds only envelopes that verified, so taking one as checked is the same decision as
/// checking it again. Why: a receiver applies a batch holding the vault, one item after
/// the other; checking the signatures first, on every core and without the vault, keeps
/// the second core busy and the vault held shorter (a first sync's envelope batches are
/// mostly signature checks).
pub struct CheckedAhead(std::collections::HashSet<EnvelopeId>);

impl CheckedAhead {
    /// Checks the signature of every envelope among `items`, on every core.
    pub fn of(items: &[Item]) -> CheckedAhead {
        let envelopes: Vec<&[u8]> = items
            .iter()
            .filter_map(|i| match i {
                Item::Envelope { bytes, .. } => Some(bytes.as_slice()),
                _ => None,
            })
            .collect();
        let check = |part: &[&[u8]]| {
            let mut certs = carnet_crypto::CertMemo::default();
            part.iter()
                .filter_map(|b| Envelope::from_bytes(b).ok())
                .filter(|e| e.verify_with(&mut certs).is_ok())
                .map(|e| e.id())
                .collect::<Vec<_>>()
        };
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 8);
        // Below a few dozen, threads cost more than they save.
        let share = envelopes.len().div_ceil(threads).max(32);
        let ids = if envelopes.len() <= share {
            check(&envelopes)
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = envelopes
                    .chunks(share)
                    .map(|part| s.spawn(move || check(part)))
                    .collect();
                // A thread that failed checked nothing ahead: its envelopes are checked
                // when applied.
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        };
        CheckedAhead(ids.into_iter().collect())
    }

    /// How many envelopes were checked ahead.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What sending produced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    /// Envelopes sent.
    pub envelopes: usize,
    /// Key grants sent.
    pub key_grants: usize,
    /// Consent entries sent.
    pub consent_entries: usize,
    /// Attachment blobs sent.
    pub blobs: usize,
    /// Own changes not sent because the sender may no longer write there.
    pub withheld: usize,
    /// Per record, the envelope ranges sent (logged as served by the patient).
    #[serde(skip)]
    pub served: Vec<(RecordId, Vec<ServedRange>)>,
    /// What the peer holds once they have taken everything sent.
    #[serde(skip)]
    pub peer_after: Have,
    /// More remains to send: the byte budget ran out (call again with `peer_after`).
    pub more: bool,
    /// Bytes of envelopes and attachments still allowed in this batch.
    #[serde(skip)]
    budget: Option<u64>,
    /// The device state went out in this round (between devices of one person).
    #[serde(skip)]
    pub(crate) state_sent: bool,
    /// The peer's state is what it reported itself (see [`Vault::send_batch`]).
    #[serde(skip)]
    exact: bool,
    /// How much of each cut attachment the peer holds (see [`Vault::send_batch_resuming`]).
    #[serde(skip)]
    resume: BTreeMap<[u8; 32], u64>,
}

/// What receiving did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExchangeReport {
    /// New envelopes stored.
    pub envelopes: usize,
    /// Envelopes already held.
    pub duplicates: usize,
    /// New epoch keys received.
    pub key_grants: usize,
    /// New consent entries received.
    pub consent_entries: usize,
    /// Attachment blobs received.
    pub blobs: usize,
    /// Branches of a patient's consent log held here that the patient's root replaced
    /// (their record was restored from an older point; see `Vault::superseded_branches`).
    pub superseded_branches: usize,
    /// The records touched.
    #[serde(skip)]
    pub records: Vec<RecordId>,
}

/// What a vault remembers about a peer, per record: what they hold (as far as it knows),
/// and the consent checkpoint sizes it gave them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct PeerState {
    pub(crate) theirs: RecordState,
    pub(crate) sizes_sent: Vec<u64>,
}

fn peer_key(record: &RecordId, peer: &PersonId) -> String {
    format!("peer:{record}:{peer}")
}

fn checkpoint_key(record: &RecordId) -> String {
    format!("checkpoint:{record}")
}

/// Meta row of the newest checkpoint of `record`'s log this vault cosigned as a witness.
fn cosigned_key(record: &RecordId) -> String {
    format!("cosigned:{record}")
}

/// Meta row of the cosignatures of this vault's own log its witnesses sent.
/// The most attachments whose cut transfer a vault keeps to resume.
pub const MAX_PARTIALS: usize = 16;
/// The most bytes of cut attachments a vault keeps to resume.
pub const MAX_PARTIAL_BYTES: u64 = 512 << 20;

/// Attachment bytes count for this fraction of a batch's byte budget
/// ([`Vault::send_batch`]): a batch of attachments carries up to this many times the
/// budget, and at most [`MAX_PARTIALS`] attachments. A batch is what the receiver commits
/// and acknowledges at once; a cut one costs no more for being larger, since the receiver
/// keeps what arrived of its attachments and the next sync resumes them
/// ([`Vault::keep_partial`]), while every batch costs both sides a fixed amount (the
/// patient's `Served` entry and checkpoint, a durable commit on each side).
pub const ATTACHMENT_SHARE: u64 = 8;

/// Meta row of the branches of a patient's log this vault held and a takeover replaced.
fn superseded_key(record: &RecordId) -> String {
    format!("superseded:{record}")
}

/// A branch of a patient's consent log that a grantee held until the patient's root took
/// the log over from an older point (a restore): what it saw is kept to show its user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupersededBranch {
    /// The newest checkpoint held of that branch (a C2SP signed note).
    pub checkpoint: String,
    /// The index from which its entries were dropped (the takeover's).
    pub from: u64,
    /// When this vault learned of the takeover (Unix seconds).
    pub seen: u64,
}

impl Vault {
    /// The branches of `record`'s consent log this vault held and the patient's root
    /// replaced, oldest first: to show the user both (what they had seen, and that the
    /// patient's recovery key chose the other).
    pub fn superseded_branches(&self, record: &RecordId) -> Result<Vec<SupersededBranch>> {
        Ok(
            match self.store.read()?.get_meta(&superseded_key(record))? {
                Some(b) => postcard::from_bytes(&b)
                    .map_err(|e| Error::undecodable("superseded branches", e))?,
                None => Vec::new(),
            },
        )
    }
}

pub(crate) fn witnesses_key(record: &RecordId) -> String {
    format!("witnesses:{record}")
}

/// A witness's cosigned checkpoint as the patient keeps it; `conflict` when it does not
/// agree with the log this vault holds (cosigned a longer log, or another root).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct KeptCosignature {
    pub(crate) witness: PersonId,
    pub(crate) note: String,
    pub(crate) size: u64,
    pub(crate) conflict: bool,
}

fn checkpoint_size_key(record: &RecordId) -> String {
    format!("checkpoint-size:{record}")
}

impl Vault {
    /// The peer state kept for `peer` on `record`.
    pub(crate) fn peer_state(&self, record: &RecordId, peer: &PersonId) -> Result<PeerState> {
        match self
            .store
            .read()?
            .get_secret_meta(&peer_key(record, peer))?
        {
            Some(b) => {
                postcard::from_bytes(&b).map_err(|e| Error::undecodable("state of a peer", e))
            }
            None => Ok(PeerState::default()),
        }
    }

    fn put_peer_state(
        txn: &mut WriteTxn<'_>,
        record: &RecordId,
        peer: &PersonId,
        state: &PeerState,
    ) -> Result<()> {
        let bytes = postcard::to_stdvec(state).map_err(|e| Error::encode("a peer state", e))?;
        txn.put_secret_meta(&peer_key(record, peer), &bytes)?;
        Ok(())
    }

    /// The people blocked by this vault's owner.
    pub(crate) fn blocked(&self) -> Result<BTreeSet<PersonId>> {
        Ok(match self.store.read()?.get_secret_meta("blocked")? {
            Some(b) => postcard::from_bytes::<Vec<PersonId>>(&b)
                .map_err(|e| Error::undecodable("block list", e))?
                .into_iter()
                .collect(),
            None => BTreeSet::new(),
        })
    }

    /// A grantee's verified view of `record`'s consent log (the entries given to them).
    pub(crate) fn shared_view(&self, record: &RecordId, patient: &PersonId) -> Result<SharedView> {
        let r = self.store.read()?;
        let cp = r
            .get_meta(&checkpoint_key(record))?
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        self.kept_view(&r, record, patient, cp.as_deref())
    }

    /// [`Vault::shared_view`] as the write transaction `txn` holds the log (a receive in
    /// progress). When `txn` has not changed the log's rows (their stamp is the one last
    /// committed), the view kept between batches is used and continued with the rows
    /// stored since, whose signatures alone are checked: a grantee's receiving side
    /// checked every signature of the view again for each batch. Otherwise it is read
    /// whole from `txn`, and nothing is kept: only readings of committed rows are.
    pub(crate) fn shared_view_in(
        &self,
        txn: &WriteTxn<'_>,
        record: &RecordId,
        patient: &PersonId,
    ) -> Result<SharedView> {
        let cp = txn
            .get_meta(&checkpoint_key(record))?
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let r = self.store.read()?;
        if r.consent_stamp(record)? == txn.consent_stamp(record)? {
            return self.kept_view(&r, record, patient, cp.as_deref());
        }
        Ok(SharedView::restore(
            *record,
            *patient,
            cp.as_deref(),
            txn.consent_entries(record)?,
        )?)
    }

    /// The view of `record`'s rows as `reads` holds them, with checkpoint `cp`, from the
    /// one kept if it is of the same rows (see [`crate::logcache`]).
    fn kept_view(
        &self,
        reads: &dyn ChainReads,
        record: &RecordId,
        patient: &PersonId,
        cp: Option<&str>,
    ) -> Result<SharedView> {
        let restore = |rows| SharedView::restore(*record, *patient, cp, rows);
        let view = self.views_cache.get(
            record,
            reads,
            |v| {
                if v.checkpoint_text() == cp {
                    Ok(v)
                } else {
                    Ok(Arc::new((*v).clone().restore_more([], cp)?))
                }
            },
            |v, more| Ok(v.restore_more(more, cp)?),
            |rows| Ok(restore(rows)?),
        )?;
        if view.patient() != *patient {
            // Not the view of this patient's log (a record id is the hash of its
            // patient's id, so only a caller's mistake gets here): read it as asked.
            return Ok(restore(reads.consent_entries(record)?)?);
        }
        Ok((*view).clone())
    }

    /// The owner of `record`, if this vault knows them: itself, or the patient of a record
    /// shared with it (from the genesis entry it was given).
    pub(crate) fn record_owner(&self, record: &RecordId) -> Result<Option<PersonId>> {
        if RecordId::of_patient(&self.person_id()) == *record {
            return Ok(Some(self.person_id()));
        }
        let r = self.store.read()?;
        for bytes in r.consent_entries(record)?.into_iter().take(1) {
            let e = SignedEntry::from_bytes(&bytes)?;
            if let carnet_consent::Action::Genesis { patient_card } = &e.entry().action {
                let card = IdentityCard::from_text(patient_card)?;
                if RecordId::of_patient(&card.person_id()) == *record {
                    return Ok(Some(card.person_id()));
                }
            }
        }
        Ok(None)
    }

    /// The sections of someone else's `record` this vault's owner holds a grant in force
    /// for, with the access of each (write wins over read).
    pub(crate) fn held_sections(
        &self,
        record: &RecordId,
    ) -> Result<BTreeMap<SectionId, carnet_consent::Access>> {
        let Some(patient) = self.record_owner(record)? else {
            return Ok(BTreeMap::new());
        };
        let view = self.shared_view(record, &patient)?;
        let now = now_unix();
        let me = self.person_id();
        let grants = view.grants_to(&me);
        let mut out = BTreeMap::new();
        for bytes in self.store.read()?.key_grants(record, &me)? {
            let kg = KeyGrant::from_bytes(&bytes)?;
            let h = kg.header();
            let Some(section) = SectionId::from_code(h.section) else {
                continue;
            };
            if let Some(g) = grants.iter().find(|g| g.id.0 == h.grant && g.active(now)) {
                let e = out.entry(section).or_insert(g.access);
                if g.access == carnet_consent::Access::Write {
                    *e = g.access;
                }
            }
        }
        Ok(out)
    }

    /// Whether `author` may write `section` of `record` now, as this vault knows it: the
    /// record's patient always; anyone else with a write grant in force (and not blocked).
    pub(crate) fn may_write_now(
        &self,
        record: &RecordId,
        section: SectionId,
        author: &PersonId,
    ) -> Result<bool> {
        if RecordId::of_patient(author) == *record {
            return Ok(true);
        }
        if self.own_record().ok() == Some(*record) {
            if self.blocked()?.contains(author) {
                return Ok(false);
            }
            let now = now_unix();
            return Ok(self.grants()?.iter().any(|g| {
                g.grantee == *author
                    && g.active(now)
                    && g.access == carnet_consent::Access::Write
                    && g.sections.contains(&section)
            }));
        }
        if *author == self.person_id() {
            return Ok(
                self.held_sections(record)?.get(&section) == Some(&carnet_consent::Access::Write)
            );
        }
        Ok(false)
    }

    /// The records shared between this vault's owner and `peer`: the owner's own, if the
    /// peer holds a grant in force on it; the peer's, if this vault holds keys of it.
    pub(crate) fn shared_records(&self, peer: &PersonId) -> Result<Vec<RecordId>> {
        let mut out = Vec::new();
        if let Ok(mine) = self.own_record() {
            let now = now_unix();
            if !self.blocked()?.contains(peer)
                && self
                    .grants()?
                    .iter()
                    .any(|g| g.grantee == *peer && g.active(now))
            {
                out.push(mine);
            }
        }
        let theirs = RecordId::of_patient(peer);
        if self.own_record().ok() != Some(theirs) && self.store.read()?.records()?.contains(&theirs)
        {
            out.push(theirs);
        }
        Ok(out)
    }

    pub(crate) fn record_state(
        &self,
        record: &RecordId,
        sections: &[SectionId],
    ) -> Result<RecordState> {
        let r = self.store.read()?;
        let mut state = RecordState::default();
        for s in sections {
            for h in r.chain_heads(record, s.code())? {
                state.chains.push(ChainPos {
                    section: s.code(),
                    author: h.author,
                    device: h.device,
                    seq: h.seq,
                });
            }
        }
        // The key grants held (a grantee's; a patient holds none of their own record).
        let me = self.person_id();
        for bytes in r.key_grants(record, &me)? {
            let kg = KeyGrant::from_bytes(&bytes)?;
            let h = kg.header();
            if sections.iter().any(|s| s.code() == h.section) {
                state.keys.push((h.section, h.epoch, h.grant));
            }
        }
        state.consent = if self.own_record().ok() == Some(*record) {
            r.consent_count(record)?
        } else {
            r.get_meta(&checkpoint_size_key(record))?
                .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
                .map_or(0, u64::from_be_bytes)
        };
        state.chains.sort();
        state.keys.sort();
        Ok(state)
    }

    /// A peer's `Have` kept to what can be true of the records this vault holds (see
    /// [`bounded_claim`]): one state per record, for records held here only.
    pub(crate) fn bounded_have(&self, theirs: &Have, peer: &PersonId) -> Result<Have> {
        let r = self.store.read()?;
        let mut held: BTreeSet<RecordId> = r.records()?.into_iter().collect();
        if let Ok(mine) = self.own_record() {
            held.insert(mine);
        }
        let me = self.person_id();
        let mut out = Have {
            records: Vec::new(),
            state: theirs.state,
        };
        let mut seen = BTreeSet::new();
        for (record, state) in &theirs.records {
            if !held.contains(record) || !seen.insert(*record) {
                continue;
            }
            let keys = known_keys(&|p| Ok(r.key_grants(record, p)?), &[*peer, me])?;
            let bounded = bounded_claim(
                state,
                &|s| Ok(r.chain_heads(record, s)?),
                &keys,
                consent_bound(
                    r.consent_count(record)?,
                    r.get_meta(&checkpoint_size_key(record))?,
                ),
            )?;
            out.records.push((*record, bounded));
        }
        Ok(out)
    }

    /// What this vault holds of the records shared with `peer`, for the peer to work out
    /// what to send. Costs O(sections x authors), whatever the size of the record.
    pub(crate) fn have_for(&self, peer: &PersonId) -> Result<Have> {
        if *peer == self.person_id() {
            return self.own_have();
        }
        let mut have = Have::default();
        let now = now_unix();
        for record in self.shared_records(peer)? {
            // Of one's own record, a peer learns only about the sections it may read.
            let sections: Vec<SectionId> = if self.own_record().ok() == Some(record) {
                let granted: BTreeSet<SectionId> = self
                    .grants()?
                    .iter()
                    .filter(|g| g.grantee == *peer && g.active(now))
                    .flat_map(|g| g.sections.iter().copied())
                    .collect();
                granted.into_iter().collect()
            } else {
                SectionId::ALL.to_vec()
            };
            have.records
                .push((record, self.record_state(&record, &sections)?));
        }
        Ok(have)
    }

    /// The name and role of a person, as far as this vault knows them.
    pub fn name_of(&self, person: &PersonId) -> Result<Option<(String, Role)>> {
        Ok(self.people()?.remove(person))
    }

    /// Everyone this vault can name: its owner, contacts, grantees, patients who shared a
    /// record, and the authors whose cards came with shared records.
    pub fn people(&self) -> Result<HashMap<PersonId, (String, Role)>> {
        let mut out: HashMap<PersonId, (String, Role)> = HashMap::new();
        let add_card = |text: &str, out: &mut HashMap<PersonId, (String, Role)>| {
            if let Ok(c) = IdentityCard::from_text(text) {
                out.entry(c.person_id())
                    .or_insert((c.name().to_string(), c.role()));
            }
        };
        for text in self.card_book()? {
            add_card(&text, &mut out);
        }
        for g in self.grants()? {
            add_card(&g.grantee_card, &mut out);
        }
        for record in self.store.read()?.records()? {
            if let Some(p) = self.record_owner(&record)?
                && p != self.person_id()
                && let Some(card) = self.shared_view(&record, &p)?.patient_card()
            {
                add_card(&card.to_text(), &mut out);
            }
        }
        for c in self.contacts()? {
            // The name the owner chose wins.
            out.insert(c.id, (c.name.clone(), c.role));
        }
        out.insert(
            self.person_id(),
            (self.card().name().to_string(), self.card().role()),
        );
        Ok(out)
    }

    pub(crate) fn card_book(&self) -> Result<Vec<String>> {
        Ok(match self.store.read()?.get_secret_meta("cards")? {
            Some(b) => postcard::from_bytes(&b).map_err(|e| Error::undecodable("cards", e))?,
            None => Vec::new(),
        })
    }

    pub(crate) fn card_text_of(&self, person: &PersonId) -> Result<Option<String>> {
        if *person == self.person_id() {
            return Ok(Some(self.card().to_text()));
        }
        let from_cards = |texts: Vec<String>| {
            texts
                .into_iter()
                .find(|t| IdentityCard::from_text(t).is_ok_and(|c| c.person_id() == *person))
        };
        if let Some(t) = from_cards(self.grants()?.into_iter().map(|g| g.grantee_card).collect()) {
            return Ok(Some(t));
        }
        if let Some(t) = from_cards(self.contacts()?.into_iter().map(|c| c.card).collect()) {
            return Ok(Some(t));
        }
        Ok(from_cards(self.card_book()?))
    }

    /// Produces, item by item, what `peer` lacks of the records shared with them and may
    /// receive, given what they hold. Writes nothing: the caller commits what was sent with
    /// [`Vault::commit_sent`] once it is delivered (or written out).
    pub(crate) fn send_items(
        &self,
        peer: &IdentityCard,
        theirs: &Have,
        sink: &mut dyn FnMut(Item) -> Result<()>,
    ) -> Result<SendReport> {
        self.send_inner(peer, theirs, None, false, sink)
    }

    /// Like [`Vault::send_items`], but stops once about `budget` bytes of envelopes and
    /// attachments are out (always after at least one envelope), with
    /// [`SendReport::more`] set: a transport sends bounded batches by calling again with
    /// [`SendReport::peer_after`], and neither side ever holds a whole record in memory.
    ///
    /// `theirs` is what the peer itself just said it holds (a live session, unlike a bundle
    /// made from what this vault last heard): the consent checkpoint then carries the one
    /// consistency proof from the size the peer holds, and the sender's own identity card,
    /// which the peer got in the session's hello, is not sent again.
    pub(crate) fn send_batch(
        &self,
        peer: &IdentityCard,
        theirs: &Have,
        budget: Option<u64>,
        sink: &mut dyn FnMut(Item) -> Result<()>,
    ) -> Result<SendReport> {
        self.send_inner(peer, theirs, budget, true, sink)
    }

    /// [`Vault::send_batch`] to a peer that holds the first bytes of some attachments from
    /// a sync that was cut (`resume`: attachment id and bytes held, as the peer's
    /// [`Vault::partials_from`] says): those are sent from there on, not again from the
    /// start. The peer checks each whole attachment against its id.
    pub(crate) fn send_batch_resuming(
        &self,
        peer: &IdentityCard,
        theirs: &Have,
        budget: Option<u64>,
        resume: &[([u8; 32], u64)],
        sink: &mut dyn FnMut(Item) -> Result<()>,
    ) -> Result<SendReport> {
        let resume: BTreeMap<[u8; 32], u64> = resume.iter().take(MAX_PARTIALS).copied().collect();
        self.send_with(peer, theirs, budget, true, resume, sink)
    }

    fn send_inner(
        &self,
        peer: &IdentityCard,
        theirs: &Have,
        budget: Option<u64>,
        exact: bool,
        sink: &mut dyn FnMut(Item) -> Result<()>,
    ) -> Result<SendReport> {
        self.send_with(peer, theirs, budget, exact, BTreeMap::new(), sink)
    }

    fn send_with(
        &self,
        peer: &IdentityCard,
        theirs: &Have,
        budget: Option<u64>,
        exact: bool,
        resume: BTreeMap<[u8; 32], u64>,
        sink: &mut dyn FnMut(Item) -> Result<()>,
    ) -> Result<SendReport> {
        let bounded = self.bounded_have(theirs, &peer.person_id())?;
        let theirs = &bounded;
        let peer_id = peer.person_id();
        if peer_id == self.person_id() {
            // Another device of this person: everything, both ways.
            let mut report = SendReport {
                peer_after: theirs.clone(),
                budget,
                ..SendReport::default()
            };
            self.send_own(theirs, sink, &mut report)?;
            return Ok(report);
        }
        // With other people, only the primary device exchanges: it keeps the state (keys,
        // consent entries) those exchanges change.
        self.require_primary()?;
        // Their name, for a refusal only (it reads the whole card book).
        let name = || -> Result<String> {
            Ok(self
                .name_of(&peer_id)?
                .map_or_else(|| peer_id.short(), |(n, _)| n))
        };
        if self.own_record().is_ok() {
            self.expire_grants()?;
            if self.blocked()?.contains(&peer_id) {
                return Err(Error::Blocked { name: name()? });
            }
        }
        let records = self.shared_records(&peer_id)?;
        if records.is_empty() {
            return Err(Error::NothingShared { name: name()? });
        }
        let mut report = SendReport {
            peer_after: theirs.clone(),
            budget,
            exact,
            resume,
            ..SendReport::default()
        };
        for record in records {
            if report.more {
                break;
            }
            let their_state = theirs.record(&record);
            let mut after = their_state.clone();
            let ranges = if self.own_record().ok() == Some(record) {
                self.send_own_record(
                    &record,
                    &peer_id,
                    &their_state,
                    &mut after,
                    sink,
                    &mut report,
                )?
            } else {
                self.send_my_changes(&record, &their_state, &mut after, sink, &mut report)?
            };
            if !ranges.is_empty() {
                report.served.push((record, ranges));
            }
            match report
                .peer_after
                .records
                .iter_mut()
                .find(|(r, _)| *r == record)
            {
                Some((_, s)) => *s = after,
                None => report.peer_after.records.push((record, after)),
            }
        }
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_envelopes(
        &self,
        record: &RecordId,
        section: SectionId,
        only_author: Option<&PersonId>,
        their: &RecordState,
        after: &mut RecordState,
        sink: &mut dyn FnMut(Item) -> Result<()>,
        report: &mut SendReport,
        ranges: &mut Vec<ServedRange>,
    ) -> Result<()> {
        let r = self.store.read()?;
        for head in r.chain_heads(record, section.code())? {
            if only_author.is_some_and(|a| *a != head.author) {
                continue;
            }
            let have = their.seq(section.code(), &head.author, &head.device);
            if head.seq <= have {
                continue;
            }
            // A removed device's chain goes whole, up to the head its removal names, or
            // not at all: receivers take it only when it ends there.
            let mut whole = false;
            if let Some(Some(heads)) = self.removal_heads(&r, record, &head.author, &head.device)? {
                if !Vault::retired_chain_ok(
                    &r,
                    record,
                    section,
                    &head.author,
                    &head.device,
                    Some(&heads),
                )? {
                    continue;
                }
                whole = true;
            }
            let ids = r.chain_after(record, section.code(), &head.author, &head.device, have)?;
            let mut sent_to = have;
            for id in ids {
                if report.more {
                    break;
                }
                let env = r.envelope(&id)?.ok_or_else(|| Error::BadEnvelope {
                    id: id.to_string(),
                    section: section.to_string(),
                    why: Box::new(EnvelopeFault::Missing),
                })?;
                let blobs = r.envelope_blobs(&id)?;
                let mut attached = 0;
                for b in &blobs {
                    attached += r.blob_len(b)?.unwrap_or(0);
                }
                // Attachments count for a share of the budget (see ATTACHMENT_SHARE).
                let size = env.as_bytes().len() as u64 + attached.div_ceil(ATTACHMENT_SHARE);
                if let Some(left) = report.budget {
                    let full = size > left || report.blobs + blobs.len() > MAX_PARTIALS;
                    if report.envelopes > 0 && full && (!whole || sent_to == have) {
                        report.more = true;
                        break;
                    }
                    report.budget = Some(left.saturating_sub(size));
                }
                sink(Item::Envelope {
                    bytes: env.as_bytes().to_vec(),
                    blobs: blobs.clone(),
                })?;
                report.envelopes += 1;
                for b in blobs {
                    let missing = || {
                        Error::from(Damage::AttachmentMissing {
                            envelope: id.to_string(),
                        })
                    };
                    let total = r.blob_len(&b)?.ok_or_else(missing)?;
                    // Part by part from the store, never whole in memory; from where a cut
                    // sync left the peer, if it did.
                    let mut offset = report
                        .resume
                        .get(&b)
                        .copied()
                        .filter(|held| *held < total)
                        .unwrap_or(0);
                    loop {
                        let bytes = r.blob_range(&b, offset, BLOB_PART)?.ok_or_else(missing)?;
                        let n = bytes.len() as u64;
                        sink(Item::BlobPart {
                            id: b,
                            total,
                            offset,
                            bytes,
                        })?;
                        offset += n;
                        if offset >= total || n == 0 {
                            break;
                        }
                    }
                    report.blobs += 1;
                }
                sent_to = env.header().seq;
            }
            if sent_to > have {
                ranges.push((section, head.author, head.device, have + 1, sent_to));
                after.merge(&RecordState {
                    chains: vec![ChainPos {
                        section: section.code(),
                        author: head.author,
                        device: head.device,
                        seq: sent_to,
                    }],
                    ..RecordState::default()
                });
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn send_own_record(
        &self,
        record: &RecordId,
        peer: &PersonId,
        their: &RecordState,
        after: &mut RecordState,
        sink: &mut dyn FnMut(Item) -> Result<()>,
        report: &mut SendReport,
    ) -> Result<Vec<ServedRange>> {
        let now = now_unix();
        let grants: Vec<_> = self
            .grants()?
            .into_iter()
            .filter(|g| g.grantee == *peer && g.active(now))
            .collect();
        let sections: BTreeSet<SectionId> = grants
            .iter()
            .flat_map(|g| g.sections.iter().copied())
            .collect();

        // Consent: a fresh checkpoint, and the entries about the peer they lack.
        let log = self.shared_consent_log(record)?;
        let state = self.peer_state(record, peer)?;
        // After a takeover the peer may hold another branch of the log, of any size: it
        // gets the takeover and what follows whatever size it says it holds (each is small,
        // and one it holds already changes nothing there).
        let took_over = log.takeovers().next().map(|t| t.entry().index);
        let from = took_over.map_or(their.consent, |t| their.consent.min(t));
        if log.len() > their.consent || took_over.is_some() {
            for t in log.authority() {
                sink(Item::Takeover {
                    record: *record,
                    entry: t.as_bytes().to_vec(),
                    proof: log.inclusion_proof(t.entry().index, log.len())?,
                })?;
            }
            // A bundle's receiver may hold any checkpoint this vault gave it (a bundle can
            // be lost); a live peer said which one it holds.
            let mut froms: Vec<u64> = if report.exact {
                Vec::new()
            } else {
                state.sizes_sent.clone()
            };
            froms.push(their.consent);
            // A peer may hold the log exactly as it stood at a takeover (the restored
            // backup's size), given by the device the takeover replaced.
            froms.extend(log.authority().iter().map(|t| t.entry().index));
            froms.retain(|f| *f > 0 && *f < log.len());
            froms.sort_unstable();
            froms.dedup();
            let mut consistency = Vec::new();
            for f in froms.iter().rev().take(MAX_PROOFS) {
                consistency.push((*f, log.consistency_proof(*f, log.len())?));
            }
            sink(Item::Checkpoint {
                record: *record,
                note: log.checkpoint(self.me().log_secret()?)?,
                consistency,
            })?;
            for e in log.concerning(peer) {
                let index = e.entry().index;
                if index < from {
                    continue;
                }
                sink(Item::Consent {
                    entry: e.as_bytes().to_vec(),
                    proof: log.inclusion_proof(index, log.len())?,
                })?;
                report.consent_entries += 1;
            }
            after.consent = log.len();
        }

        // Key grants of the sections under a grant in force that the peer lacks. Each grant
        // has its own (so the grantee learns what each covers); any grant in force on a
        // section covers the delivery of that section's keys, whichever grant sealed them.
        for bytes in self.store.read()?.key_grants(record, peer)? {
            let kg = KeyGrant::from_bytes(&bytes)?;
            let h = kg.header();
            let in_force = SectionId::from_code(h.section).is_some_and(|s| sections.contains(&s));
            let row = (h.section, h.epoch, h.grant);
            if in_force && !their.keys.contains(&row) && !after.keys.contains(&row) {
                sink(Item::KeyGrant(bytes))?;
                report.key_grants += 1;
                after.keys.push(row);
            }
        }
        after.keys.sort();

        // Cards of the authors the peer will see, then the envelopes.
        let mut authors = BTreeSet::new();
        {
            let r = self.store.read()?;
            for s in &sections {
                for head in r.chain_heads(record, s.code())? {
                    if head.seq > their.seq(s.code(), &head.author, &head.device)
                        && head.author != *peer
                    {
                        authors.insert(head.author);
                    }
                }
            }
        }
        for a in authors {
            if report.exact && a == self.person_id() {
                continue;
            }
            if let Some(card) = self.card_text_of(&a)? {
                sink(Item::Card(card))?;
            }
        }
        let mut ranges = Vec::new();
        for s in sections {
            if report.more {
                break;
            }
            self.send_envelopes(record, s, None, their, after, sink, report, &mut ranges)?;
        }
        Ok(ranges)
    }

    fn send_my_changes(
        &self,
        record: &RecordId,
        their: &RecordState,
        after: &mut RecordState,
        sink: &mut dyn FnMut(Item) -> Result<()>,
        report: &mut SendReport,
    ) -> Result<Vec<ServedRange>> {
        let me = self.person_id();
        if let Some(b) = self.store.read()?.get_secret_meta("removals_out")? {
            let out: Vec<(RecordId, Vec<u8>)> =
                postcard::from_bytes(&b).map_err(|e| Error::undecodable("device removals", e))?;
            for (r, bytes) in out {
                if r == *record {
                    sink(Item::DeviceRemoval(bytes))?;
                }
            }
        }
        if let Some(note) = self.store.read()?.get_meta(&cosigned_key(record))? {
            sink(Item::Cosignature {
                record: *record,
                note: String::from_utf8_lossy(&note).into_owned(),
            })?;
        }
        let writable = self.held_sections(record)?;
        let mut ranges = Vec::new();
        for s in SectionId::ALL {
            if report.more {
                break;
            }
            if writable.get(&s) == Some(&carnet_consent::Access::Write) {
                self.send_envelopes(
                    record,
                    s,
                    Some(&me),
                    their,
                    after,
                    sink,
                    report,
                    &mut ranges,
                )?;
            } else {
                let r = self.store.read()?;
                for head in r.chain_heads(record, s.code())? {
                    if head.author == me {
                        let have = their.seq(s.code(), &me, &head.device);
                        report.withheld += head.seq.saturating_sub(have) as usize;
                    }
                }
            }
        }
        Ok(ranges)
    }

    /// Records that what [`Vault::send_items`] produced reached `peer`: the patient's
    /// consent log gets a `Served` entry with the envelope ranges ("they received"), and
    /// the peer state remembers what they now hold. One transaction.
    pub(crate) fn commit_sent(&self, peer: &PersonId, report: &SendReport) -> Result<()> {
        self.commit_report(peer, report, Delivery::Sent)
    }

    /// Records that what [`Vault::send_items`] produced was written in a bundle for `peer`,
    /// which may or may not reach them: a `Written` entry ("a bundle was written for
    /// them"), and the peer state as [`Vault::commit_sent`] does (the next bundle goes on
    /// from there). When a live sync later shows they hold it, the log says they received
    /// it.
    pub(crate) fn commit_written(&self, peer: &PersonId, report: &SendReport) -> Result<()> {
        self.commit_report(peer, report, Delivery::Written)
    }

    /// As [`Vault::commit_written`], for a bundle a mailbox (its endpoint key) accepted for
    /// `peer`: a `Deposited` entry naming the mailbox.
    pub(crate) fn commit_deposited(
        &self,
        peer: &PersonId,
        report: &SendReport,
        mailbox: [u8; 32],
    ) -> Result<()> {
        self.commit_report(peer, report, Delivery::Deposited(mailbox))
    }

    fn commit_report(&self, peer: &PersonId, report: &SendReport, how: Delivery) -> Result<()> {
        let mut txn = self.store.write()?;
        if let Ok(mine) = self.own_record()
            && let Some((_, ranges)) = report.served.iter().find(|(r, _)| *r == mine)
        {
            let salt = Self::record_salt(&txn, &mine)?;
            let mut log = Self::load_log(&txn, &mine, &self.person_id())?;
            let ranges = ranges
                .iter()
                .map(|(s, author, device, from, to)| Range {
                    section: SectionTag::commit(&salt, s.code()),
                    author: *author,
                    device: *device,
                    from: *from,
                    to: *to,
                })
                .collect();
            let action = match how {
                Delivery::Written => carnet_consent::Action::Written { to: *peer, ranges },
                Delivery::Sent => carnet_consent::Action::Served { to: *peer, ranges },
                Delivery::Deposited(mailbox) => carnet_consent::Action::Deposited {
                    to: *peer,
                    mailbox,
                    ranges,
                },
            };
            self.append(&mut txn, &mut log, action)?;
        }
        for (record, after) in &report.peer_after.records {
            let mut state = match txn.get_secret_meta(&peer_key(record, peer))? {
                Some(b) => postcard::from_bytes(&b)
                    .map_err(|e| Error::undecodable("state of a peer", e))?,
                None => PeerState::default(),
            };
            state.theirs.merge(after);
            if after.consent > 0 && !state.sizes_sent.contains(&after.consent) {
                state.sizes_sent.push(after.consent);
                let n = state.sizes_sent.len();
                if n > MAX_PROOFS {
                    state.sizes_sent.drain(..n - MAX_PROOFS);
                }
            }
            Self::put_peer_state(&mut txn, record, peer, &state)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Logs what `peer` holds of the owner's record and was never logged as received: a
    /// batch the peer stored but whose acknowledgement was lost (the link dropped, or a
    /// side was killed, in between). `their` is what the peer says it holds (its `Have` at
    /// the start of a live session). Only chains the owner could have served are counted
    /// (not the peer's own writing), only up to what this vault holds of them, and only in
    /// sections the peer may read now (an entry logged under no grant in force would read
    /// as a breach to an auditor; deliveries made under a grant since ended stay unlogged).
    /// Returns the changes logged; with none, nothing is written.
    pub(crate) fn log_unacknowledged(&self, peer: &PersonId, their: &Have) -> Result<u64> {
        let Ok(mine) = self.own_record() else {
            return Ok(0);
        };
        if *peer == self.person_id() || !self.is_primary()? {
            return Ok(0);
        }
        let state = their.record(&mine);
        if state.chains.is_empty() {
            return Ok(0);
        }
        let now = now_unix();
        let readable: BTreeSet<SectionId> = self
            .grants()?
            .iter()
            .filter(|g| g.grantee == *peer && g.active(now))
            .flat_map(|g| g.sections.iter().copied())
            .collect();
        if readable.is_empty() {
            return Ok(0);
        }
        let mut txn = self.store.write()?;
        // Read while this transaction keeps other writers out: the log as it is.
        let log = self.shared_consent_log(&mine)?;
        let salt = Self::record_salt(&txn, &mine)?;
        // The highest position of each chain already logged as received by them.
        let mut logged: HashMap<(SectionTag, PersonId, DeviceId), u64> = HashMap::new();
        for e in log.entries() {
            if let carnet_consent::Action::Served { to, ranges } = &e.entry().action
                && to == peer
            {
                for r in ranges {
                    let k = (r.section, r.author, r.device);
                    let m = logged.entry(k).or_default();
                    *m = (*m).max(r.to);
                }
            }
        }
        let mut ranges = Vec::new();
        let mut total = 0;
        for c in &state.chains {
            let Some(section) = SectionId::from_code(c.section) else {
                continue;
            };
            if c.author == *peer || !readable.contains(&section) {
                continue;
            }
            let held = txn
                .chain_head(&mine, c.section, &c.author, &c.device)?
                .map_or(0, |h| h.seq);
            let to = c.seq.min(held);
            let tag = SectionTag::commit(&salt, c.section);
            let from = logged.get(&(tag, c.author, c.device)).copied().unwrap_or(0) + 1;
            if to >= from {
                total += to - from + 1;
                ranges.push(Range {
                    section: tag,
                    author: c.author,
                    device: c.device,
                    from,
                    to,
                });
            }
        }
        if ranges.is_empty() {
            return Ok(0);
        }
        let mut log = Self::load_log(&txn, &mine, &self.person_id())?;
        self.append(
            &mut txn,
            &mut log,
            carnet_consent::Action::Served { to: *peer, ranges },
        )?;
        txn.commit()?;
        Ok(total)
    }

    /// Verifies and stores what `from` sent, all or nothing: one bad item and nothing is
    /// kept. A source whose [`Finished::once`] id was taken before is refused (a replay).
    pub(crate) fn receive_items(
        &self,
        from: &IdentityCard,
        source: &mut dyn ItemSource,
    ) -> Result<ExchangeReport> {
        self.receive_items_from(from, None, source)
    }

    /// Like [`Vault::receive_items`], knowing which device of `from` sent it (a live peer,
    /// whose device certificate the transport checked). Only another device of this
    /// vault's own person, registered and not removed, may send as this person; its vault
    /// state is taken only from the device that keeps the consent log.
    ///
    /// A stranger (someone this vault has never heard of) may only share their own record
    /// with its owner; anything else from them is refused whole ([`Error::Stranger`]) and
    /// the attempt noted in the bounded list `carnet log` shows.
    pub(crate) fn receive_items_from(
        &self,
        from: &IdentityCard,
        device: Option<DeviceId>,
        source: &mut dyn ItemSource,
    ) -> Result<ExchangeReport> {
        let mut reports = self.receive_group_from(from, device, &mut [source])?;
        reports.pop().ok_or(Error::Vanished {
            what: "the report of a received batch",
        })
    }

    /// Like [`Vault::receive_items_from`] for several batches that have all arrived, in
    /// one write transaction and one durable commit (a commit's fsync is most of what a
    /// batch of attachments costs to apply). Each batch is checked exactly as alone: it
    /// sees what the batches before it wrote, and all that is read outside the
    /// transaction (who the sender is, blocked people, devices, grants) is what only
    /// the first batch of a group may change. So every batch after the first must hold
    /// only envelopes and attachment parts (an [`Error::Vanished`] otherwise, a caller's
    /// bug), and the group stops before it when the sender is another device of this
    /// person or someone this vault does not know yet: the reports returned are of the
    /// batches applied (a prefix of `sources`); the caller applies the rest.
    ///
    /// All or nothing as a whole: when one batch is refused, none of the group is kept
    /// (each batch stays all or nothing; the sender sends the good ones again, as it
    /// sends any batch not acknowledged).
    pub(crate) fn receive_group_from(
        &self,
        from: &IdentityCard,
        device: Option<DeviceId>,
        sources: &mut [&mut dyn ItemSource],
    ) -> Result<Vec<ExchangeReport>> {
        let mut txn = self.store.write()?;
        let mut reports = Vec::new();
        let mut forget = Vec::new();
        for (i, source) in sources.iter_mut().enumerate() {
            let grouped = i > 0;
            if grouped
                && (from.person_id() == self.person_id()
                    || !self.people()?.contains_key(&from.person_id()))
            {
                break;
            }
            let mut bad_partial = None;
            match self.receive_into(
                &mut txn,
                from,
                device,
                &mut **source,
                grouped,
                &mut bad_partial,
            ) {
                Ok((report, touched)) => {
                    reports.push(report);
                    forget.push(touched);
                }
                Err(e) => {
                    drop(txn);
                    if let Some(id) = bad_partial {
                        // A resumed attachment did not match its id: what was kept of it
                        // is dropped (the next sync sends it whole), even though this one
                        // fails.
                        let mut t = self.store.write()?;
                        t.take_partial(&id)?;
                        t.commit()?;
                    }
                    if let e @ Error::Stranger { .. } = &e {
                        let _ = self.record_attempt(crate::Attempt {
                            time: now_unix(),
                            endpoint: None,
                            person: Some(from.person_id()),
                            why: e.to_string(),
                        });
                    }
                    return Err(e);
                }
            }
        }
        txn.commit()?;
        for (touched, switched) in forget {
            for (r, s) in touched {
                self.loaded.forget(&r, s);
            }
            self.loaded.forget_where(|r, _| switched.contains(r));
        }
        Ok(reports)
    }

    /// Keeps what arrived of attachments in a batch that a cut connection left unfinished
    /// (`items`, as received from `peer`, in order): the first bytes of each attachment an
    /// envelope of the batch announced and this vault lacks, so that the next sync from
    /// `peer` resumes it ([`Vault::partials_from`], [`Vault::send_batch_resuming`]). At most
    /// [`MAX_PARTIALS`] attachments and [`MAX_PARTIAL_BYTES`] are kept; it is ciphertext,
    /// checked whole later. Returns
    /// the bytes kept.
    pub(crate) fn keep_partial(&self, peer: &PersonId, items: &[Item]) -> Result<u64> {
        let mut announced: BTreeSet<[u8; 32]> = BTreeSet::new();
        let mut txn = self.store.write()?;
        let all = txn.partial_blobs()?;
        let mut count = all.len();
        let mut bytes_held: u64 = all.iter().map(|p| p.held).sum();
        let mut held: BTreeMap<[u8; 32], u64> = all
            .into_iter()
            .filter(|p| p.peer == *peer)
            .map(|p| (p.id, p.held))
            .collect();
        let mut kept = 0u64;
        for item in items {
            match item {
                Item::Envelope { blobs, .. } => announced.extend(blobs.iter().copied()),
                Item::BlobPart {
                    id,
                    total,
                    offset,
                    bytes,
                } => {
                    if !announced.contains(id)
                        || *total > MAX_BLOB
                        || bytes.len() > BLOB_PART
                        || txn.has_blob(id)?
                        || (!held.contains_key(id) && count >= MAX_PARTIALS)
                        || bytes_held + bytes.len() as u64 > MAX_PARTIAL_BYTES
                    {
                        continue;
                    }
                    if !held.contains_key(id) {
                        count += 1;
                    }
                    let at = held.get(id).copied().unwrap_or(0);
                    if *offset != 0 && *offset != at {
                        continue;
                    }
                    if offset + bytes.len() as u64 >= *total {
                        // Its last part: what is kept stops short of it, so a resumed
                        // attachment always has a part left to finish it with.
                        continue;
                    }
                    txn.put_partial(id, peer, *total, *offset, bytes)?;
                    held.insert(*id, offset + bytes.len() as u64);
                    kept += bytes.len() as u64;
                    bytes_held += bytes.len() as u64;
                }
                _ => {}
            }
        }
        txn.commit()?;
        Ok(kept)
    }

    /// The first bytes held of attachments `peer` was sending when a sync was cut: what
    /// the next sync with them asks to resume from.
    pub(crate) fn partials_from(&self, peer: &PersonId) -> Result<Vec<([u8; 32], u64)>> {
        Ok(self
            .store
            .read()?
            .partial_blobs()?
            .into_iter()
            .filter(|p| p.peer == *peer && p.held > 0 && p.held < p.total)
            .take(MAX_PARTIALS)
            .map(|p| (p.id, p.held))
            .collect())
    }

    /// Applies one batch inside `txn` (committed by the caller). On an error,
    /// `bad_partial` names the attachment whose kept first bytes did not match, for the
    /// caller to drop.
    fn receive_into(
        &self,
        txn: &mut WriteTxn<'_>,
        from: &IdentityCard,
        device: Option<DeviceId>,
        source: &mut dyn ItemSource,
        grouped: bool,
        bad_partial: &mut Option<[u8; 32]>,
    ) -> Result<(ExchangeReport, Touched)> {
        let sender = from.person_id();
        let me = self.person_id();
        let mut own_device = false;
        let mut from_primary = false;
        if sender == me {
            let Some(d) = device else {
                return Err(Refusal::FromYourself.into());
            };
            if d == self.device_id() || !self.live_devices()?.contains(&d) {
                return Err(Refusal::DeviceNotRegistered.into());
            }
            own_device = true;
            from_primary = d == self.primary_device()?;
        } else {
            self.require_primary()?;
        }
        let own = self.own_record().ok();
        // Who this vault knows (read once: the card book can be large).
        let known = self.people()?.remove(&sender);
        let name = known
            .as_ref()
            .map_or_else(|| from.name().to_string(), |(n, _)| n.clone());
        if own.is_some() && self.blocked()?.contains(&sender) {
            return Err(Error::Blocked { name });
        }
        // Someone this vault has never heard of may only share their own record with its
        // owner (a patient's first bundle to a clinician); anything else they bring (the
        // owner's own changes carried by a stranger, say) is refused whole, below.
        let stranger = sender != me && known.is_none();
        let mut rx = Receiving {
            vault: self,
            sender,
            own,
            views: HashMap::new(),
            keys: HashMap::new(),
            blobs_expected: BTreeSet::new(),
            blobs_announced: BTreeSet::new(),
            blob_parts: HashMap::new(),
            // The sender's card: a live sender does not repeat it as an item. (Another device
            // of this person brings no new card.)
            cards: if own_device {
                Vec::new()
            } else {
                vec![from.to_text()]
            },
            received: BTreeMap::new(),
            sent_chains: BTreeMap::new(),
            own_device,
            from_primary,
            own_log_changed: false,
            retired_touched: BTreeMap::new(),
            referenced: BTreeMap::new(),
            report: ExchangeReport::default(),
            pending_proofs: HashMap::new(),
            switched: BTreeSet::new(),
            bad_partial: None,
            resumed: BTreeSet::new(),
            ahead: source.take_checked_ahead(),
            certs: carnet_crypto::CertMemo::default(),
        };
        let mut count = 0usize;
        while let Some(item) = source.next_item()? {
            count += 1;
            let kind = item.kind();
            if grouped && !matches!(item, Item::Envelope { .. } | Item::BlobPart { .. }) {
                // See receive_group_from: only the first batch of a group may change what
                // the checks read outside the transaction.
                return Err(Error::Vanished {
                    what: "a batch of envelopes (a grouped batch held something else)",
                });
            }
            if let Err(e) = rx.item(txn, item) {
                *bad_partial = rx.bad_partial;
                return Err(e.in_item(count, kind));
            }
        }
        let finished = source.finish()?;
        if let Some(id) = finished.once {
            let key = format!("taken:{}", hex(&id));
            if txn.get_meta(&key)?.is_some() {
                return Err(Error::AlreadyImported);
            }
            txn.put_meta(&key, &now_unix().to_be_bytes())?;
        }
        rx.finish(txn, finished.have)?;
        if stranger {
            let theirs = RecordId::of_patient(&sender);
            let shared_with_me = SectionId::ALL
                .iter()
                .any(|s| matches!(txn.latest_epoch(&theirs, s.code()), Ok(Some(_))));
            let only_theirs = rx.received.keys().all(|(r, _, _, _)| *r == theirs);
            if !shared_with_me || !only_theirs {
                return Err(Error::Stranger {
                    name: from.name().to_string(),
                    id: sender.short(),
                });
            }
        }
        let touched: Vec<(RecordId, SectionId)> =
            rx.received.keys().map(|(r, s, _, _)| (*r, *s)).collect();
        let switched = std::mem::take(&mut rx.switched);
        Ok((rx.report, (touched, switched)))
    }
}

/// The sections a received batch changed, and the records whose patient's takeover it
/// took: their loaded copies are forgotten once it is committed.
type Touched = (Vec<(RecordId, SectionId)>, BTreeSet<RecordId>);

/// The highest sequence number of `device`'s chain in `section` (at most `held`) whose
/// envelope is one of the recorded `heads` (same epoch, sequence number and tag); 0 when
/// none is.
fn matching_head(
    txn: &WriteTxn<'_>,
    record: &RecordId,
    section: SectionId,
    author: &PersonId,
    device: &DeviceId,
    heads: &[carnet_consent::RetiredHead],
    held: u64,
) -> Result<u64> {
    let mut candidates: Vec<&carnet_consent::RetiredHead> = heads
        .iter()
        .filter(|h| h.seq >= 1 && h.seq <= held)
        .collect();
    candidates.sort_by_key(|h| std::cmp::Reverse(h.seq));
    for h in candidates {
        let Some(id) = txn
            .chain_after(record, section.code(), author, device, h.seq - 1)?
            .into_iter()
            .next()
        else {
            continue;
        };
        let Some(env) = txn.envelope(&id)? else {
            continue;
        };
        if env.header().seq != h.seq || env.header().epoch != h.epoch {
            continue;
        }
        let Some(key) = txn.epoch_key(record, section.code(), h.epoch)? else {
            continue;
        };
        if carnet_consent::RetiredHead::tag_for(key.expose(), device, h.seq, &id.0) == h.tag {
            return Ok(h.seq);
        }
    }
    Ok(0)
}

/// What a peer says it holds of one record, kept only where it can be true: chains this
/// vault holds (no further than it holds them), key grants this vault knows, a checkpoint
/// no larger than the log it holds; each listed once. What a peer claims beyond that is of
/// no use to the exchange, and an unbounded claim would cost every later exchange with it
/// (a grantee's bundle claiming millions of chains made each export to it take seconds,
/// inside the transaction every `carnet add` waits for).
fn bounded_claim(
    claim: &RecordState,
    heads: &dyn Fn(u8) -> Result<Vec<carnet_store::ChainHead>>,
    known_keys: &BTreeSet<(u8, u32, [u8; 8])>,
    consent_held: u64,
) -> Result<RecordState> {
    let mut held: BTreeMap<(u8, PersonId, DeviceId), u64> = BTreeMap::new();
    let sections: BTreeSet<u8> = claim.chains.iter().map(|c| c.section).collect();
    for s in sections {
        if SectionId::from_code(s).is_none() {
            continue;
        }
        for h in heads(s)? {
            held.insert((s, h.author, h.device), h.seq);
        }
    }
    let mut chains: BTreeMap<(u8, PersonId, DeviceId), u64> = BTreeMap::new();
    for c in &claim.chains {
        if let Some(max) = held.get(&(c.section, c.author, c.device)) {
            let e = chains.entry((c.section, c.author, c.device)).or_default();
            *e = (*e).max(c.seq.min(*max));
        }
    }
    let keys: BTreeSet<(u8, u32, [u8; 8])> = claim
        .keys
        .iter()
        .filter(|k| known_keys.contains(k))
        .copied()
        .collect();
    Ok(RecordState {
        chains: chains
            .into_iter()
            .map(|((section, author, device), seq)| ChainPos {
                section,
                author,
                device,
                seq,
            })
            .collect(),
        consent: claim.consent.min(consent_held),
        keys: keys.into_iter().collect(),
    })
}

/// The largest consent log size a peer can truly hold of a record: the entries held here,
/// or the newest checkpoint held (a grantee holds only the entries that concern it).
fn consent_bound(entries: u64, checkpoint_size: Option<Vec<u8>>) -> u64 {
    let size = checkpoint_size
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map_or(0, u64::from_be_bytes);
    entries.max(size)
}

/// The key grants of `record` stored here for `people`, as `Have` names them.
fn known_keys(
    grants: &dyn Fn(&PersonId) -> Result<Vec<Vec<u8>>>,
    people: &[PersonId],
) -> Result<BTreeSet<(u8, u32, [u8; 8])>> {
    let mut out = BTreeSet::new();
    for p in people {
        for bytes in grants(p)? {
            if let Ok(kg) = KeyGrant::from_bytes(&bytes) {
                let h = kg.header();
                out.insert((h.section, h.epoch, h.grant));
            }
        }
    }
    Ok(out)
}

fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

/// A checkpoint note waiting for the consent entries it proves, and its consistency proofs
/// by the size they start from.
type PendingCheckpoint = (String, Vec<(u64, Vec<[u8; 32]>)>);

/// One receive in progress, inside its write transaction.
struct Receiving<'v> {
    vault: &'v Vault,
    sender: PersonId,
    own: Option<RecordId>,
    views: HashMap<RecordId, SharedView>,
    keys: HashMap<(RecordId, u8, u32), EpochKey>,
    blobs_expected: BTreeSet<[u8; 32]>,
    /// Every attachment an envelope of this exchange named, new or already held.
    blobs_announced: BTreeSet<[u8; 32]>,
    blob_parts: HashMap<[u8; 32], Vec<u8>>,
    cards: Vec<String>,
    /// New envelopes: (record, section, author, device) -> (first seq, last seq).
    received: BTreeMap<(RecordId, SectionId, PersonId, DeviceId), (u64, u64)>,
    /// Every chain position the sender showed it holds.
    sent_chains: BTreeMap<RecordId, RecordState>,
    report: ExchangeReport,
    /// Consistency proofs offered with the last checkpoint, by the size they start from.
    pending_proofs: HashMap<RecordId, PendingCheckpoint>,
    /// Records whose patient's takeover was taken in this exchange.
    switched: BTreeSet<RecordId>,
    /// An attachment resumed from kept first bytes that did not match its id.
    bad_partial: Option<[u8; 32]>,
    /// Attachments resumed from kept first bytes in this exchange.
    resumed: BTreeSet<[u8; 32]>,
    /// Envelopes whose signatures the source checked ahead.
    ahead: Option<CheckedAhead>,
    /// Device certificates checked in this exchange.
    certs: carnet_crypto::CertMemo,
    /// The sender is another device of this vault's own person.
    own_device: bool,
    /// ... and the one that keeps the consent log.
    from_primary: bool,
    /// Entries of this person's own consent log arrived (verified before committing).
    own_log_changed: bool,
    /// The writers the new changes build on, per section, with an envelope naming each:
    /// each must write a chain of the section once the exchange is stored.
    referenced: BTreeMap<(RecordId, SectionId), BTreeMap<[u8; 16], EnvelopeId>>,
    /// Chains of removed devices this exchange extended, with the last envelope taken of
    /// each (for the message if refused).
    retired_touched: BTreeMap<(RecordId, SectionId, PersonId, DeviceId), EnvelopeId>,
}

impl Receiving<'_> {
    fn patient_record(&self) -> RecordId {
        RecordId::of_patient(&self.sender)
    }

    fn view(&mut self, txn: &WriteTxn<'_>, record: &RecordId) -> Result<&mut SharedView> {
        if !self.views.contains_key(record) {
            let view = self.vault.shared_view_in(txn, record, &self.sender)?;
            self.views.insert(*record, view);
        }
        self.views.get_mut(record).ok_or_else(|| Error::Vanished {
            what: "a consent view",
        })
    }

    fn only_from_patient(&self, record: &RecordId, what: &'static str) -> Result<()> {
        if *record != self.patient_record() || self.own == Some(*record) {
            return Err(Refusal::OnlyFromPatient { what }.into());
        }
        Ok(())
    }

    fn item(&mut self, txn: &mut WriteTxn<'_>, item: Item) -> Result<()> {
        match item {
            Item::Card(text) => {
                let card = IdentityCard::from_text(&text)?;
                if self.cards.len() < 10_000 {
                    self.cards.push(card.to_text());
                }
                Ok(())
            }
            Item::Checkpoint {
                record,
                note,
                consistency,
            } => {
                self.only_from_patient(&record, "consent checkpoints")?;
                if consistency.len() > MAX_PROOFS {
                    return Err(ExchangeError::TooMany {
                        what: "consistency proofs",
                    }
                    .into());
                }
                self.pending_proofs.insert(record, (note, consistency));
                Ok(())
            }
            Item::Consent { entry, proof } => {
                let e = SignedEntry::from_bytes(&entry)?;
                let record = e.entry().record;
                self.only_from_patient(&record, "consent entries")?;
                self.apply_checkpoint(txn, &record)?;
                let view = self.view(txn, &record)?;
                if view.add_entry(&entry, &proof)? {
                    txn.put_consent(&record, e.entry().index, &entry)?;
                    self.report.consent_entries += 1;
                }
                Ok(())
            }
            Item::KeyGrant(bytes) => {
                let kg = KeyGrant::from_bytes(&bytes)?;
                let h = kg.header().clone();
                self.only_from_patient(&h.record, "keys")?;
                // Signed by the key that signs the patient's log now: after a takeover,
                // not by the key it replaced (a thief of the old primary holds that one).
                if self.pending_proofs.contains_key(&h.record) {
                    self.apply_checkpoint(txn, &h.record)?;
                }
                let signer = self.view(txn, &h.record)?.signer();
                kg.verify_signed_by(&self.sender, &signer)?;
                let key = kg.open(self.vault.me().secret()?)?;
                if SectionId::from_code(h.section).is_none() {
                    return Err(ExchangeError::UnknownSection { code: h.section }.into());
                }
                let me = self.vault.person_id();
                if txn.epoch_key(&h.record, h.section, h.epoch)?.is_none() {
                    txn.put_epoch_key(&h.record, h.section, h.epoch, &key)?;
                    self.report.key_grants += 1;
                }
                txn.put_key_grant(&h.record, &me, h.section, h.epoch, &h.grant, &bytes)?;
                self.keys.insert((h.record, h.section, h.epoch), key);
                Ok(())
            }
            Item::Envelope { bytes, blobs } => self.envelope(txn, &bytes, blobs),
            Item::Takeover {
                record,
                entry,
                proof,
            } => {
                self.only_from_patient(&record, "consent takeovers")?;
                if proof.len() > carnet_consent::MAX_PROOF_HASHES {
                    return Err(ExchangeError::TooMany {
                        what: "hashes in a takeover's proof",
                    }
                    .into());
                }
                // Checked now; taken with the checkpoint its key signed, which comes next.
                self.view(txn, &record)?.stage_takeover(&entry, &proof)?;
                Ok(())
            }
            Item::Cosignature { record, note } => self.cosignature(txn, record, note),
            Item::DeviceRemoval(bytes) => self.device_removal(txn, bytes),
            Item::OwnRow { table, key, value } => {
                if !(self.own_device && self.from_primary) {
                    return Err(Refusal::OwnStateNotFromPrimary.into());
                }
                let is_own_log = table == carnet_store::DumpTable::Consent
                    && key.get(..32) == self.own.as_ref().map(|r| &r.0[..]);
                if self.vault.apply_own_row(txn, table, key, value)? && is_own_log {
                    self.own_log_changed = true;
                }
                Ok(())
            }
            Item::BlobPart {
                id,
                total,
                offset,
                bytes,
            } => {
                if !self.blobs_expected.contains(&id) {
                    // Parts of an attachment this vault already holds (its envelope came
                    // before): nothing to store.
                    if self.blobs_announced.contains(&id) && txn.has_blob(&id)? {
                        return Ok(());
                    }
                    return Err(ExchangeError::UnannouncedAttachment.into());
                }
                if total > MAX_BLOB || bytes.len() > BLOB_PART {
                    return Err(ExchangeError::AttachmentTooLarge {
                        size: total,
                        max: MAX_BLOB,
                    }
                    .into());
                }
                if offset > 0 && !self.blob_parts.contains_key(&id) {
                    // The rest of an attachment whose first bytes a cut sync from this same
                    // sender left here.
                    match txn.take_partial(&id)? {
                        Some((from, t, held))
                            if from == self.sender && t == total && held.len() as u64 == offset =>
                        {
                            self.blob_parts.insert(id, held);
                            self.resumed.insert(id);
                        }
                        _ => {
                            return Err(ExchangeError::ResumeMismatch.into());
                        }
                    }
                }
                let buf = self.blob_parts.entry(id).or_default();
                if offset != buf.len() as u64 || buf.len() as u64 + bytes.len() as u64 > total {
                    return Err(ExchangeError::OutOfOrder.into());
                }
                buf.extend_from_slice(&bytes);
                if buf.len() as u64 == total {
                    let whole = self.blob_parts.remove(&id).unwrap_or_default();
                    if *blake3::hash(&whole).as_bytes() != id {
                        if self.resumed.contains(&id) {
                            self.bad_partial = Some(id);
                        }
                        return Err(ExchangeError::AttachmentAltered.into());
                    }
                    txn.put_blob(&id, &whole)?;
                    // What a cut sync kept of it is of no use now.
                    txn.take_partial(&id)?;
                    self.blobs_expected.remove(&id);
                    self.report.blobs += 1;
                }
                Ok(())
            }
        }
    }

    /// Takes the checkpoint that came before consent entries, checking it extends the one
    /// held (with the proof from the size held).
    fn apply_checkpoint(&mut self, txn: &mut WriteTxn<'_>, record: &RecordId) -> Result<()> {
        let Some((note, proofs)) = self.pending_proofs.remove(record) else {
            if self.view(txn, record)?.checkpoint_size() == 0 {
                return Err(ExchangeError::MissingCheckpoint.into());
            }
            return Ok(());
        };
        let view = self.view(txn, record)?;
        let held = view.checkpoint_size();
        let proof = proofs
            .iter()
            .find(|(f, _)| *f == held)
            .map(|(_, p)| p.clone())
            .unwrap_or_default();
        let update = view.update_checkpoint(&note, &proof).map_err(|e| {
            if held > 0 && !proofs.iter().any(|(f, _)| *f == held) {
                Error::from(ExchangeError::CheckpointGap { held, source: e })
            } else {
                e.into()
            }
        })?;
        let size = view.checkpoint_size();
        let signer = view.signer();
        if let Some((old, from)) = &update.superseded {
            // The patient's root took the log over from an older point than the branch
            // held here: that branch's entries go, and the user is told (what it said is
            // kept to show).
            txn.drop_consent_from(record, *from)?;
            let mut seen: Vec<SupersededBranch> = match txn.get_meta(&superseded_key(record))? {
                Some(b) => postcard::from_bytes(&b).unwrap_or_default(),
                None => Vec::new(),
            };
            if seen.len() < 64 {
                seen.push(SupersededBranch {
                    checkpoint: old.clone(),
                    from: *from,
                    seen: now_unix(),
                });
            }
            let bytes =
                postcard::to_stdvec(&seen).map_err(|e| Error::encode("superseded branches", e))?;
            txn.put_meta(&superseded_key(record), &bytes)?;
            self.report.superseded_branches += 1;
        }
        for bytes in update.root_declared.iter().chain(&update.takeover) {
            let e = SignedEntry::from_bytes(bytes)?;
            txn.put_consent(record, e.entry().index, bytes)?;
        }
        if update.takeover.is_some() {
            txn.put_meta(&crate::sharing::log_signer_key(record), &signer.0)?;
            self.switched.insert(*record);
        }
        txn.put_meta(&checkpoint_key(record), note.as_bytes())?;
        txn.put_meta(&checkpoint_size_key(record), &size.to_be_bytes())?;
        // As a witness: cosign what was just checked, for the patient (and auditors).
        let cosigned = carnet_consent::Cosigned::cosign(
            &note,
            record,
            &signer,
            self.vault.me().secret()?,
            now_unix(),
        )?;
        txn.put_meta(&cosigned_key(record), cosigned.note.as_bytes())?;
        Ok(())
    }

    fn envelope(
        &mut self,
        txn: &mut WriteTxn<'_>,
        bytes: &[u8],
        blobs: Vec<[u8; 32]>,
    ) -> Result<()> {
        let env = Envelope::from_bytes(bytes).map_err(|e| Error::BadEnvelope {
            id: EnvelopeId(*blake3::hash(bytes).as_bytes()).to_string(),
            section: "?".into(),
            why: Box::new(EnvelopeFault::Undecodable(e)),
        })?;
        if !self.ahead.as_ref().is_some_and(|a| a.0.contains(&env.id())) {
            env.verify_with(&mut self.certs)
                .map_err(|e| bad_envelope(&env, EnvelopeFault::Signature(e)))?;
        }
        let h = env.header().clone();
        let section = Vault::section_of(h.section, &env)?;
        let me = self.vault.person_id();
        let held = txn.has_envelope(&env.id())?;
        if !held {
            self.note_retired(txn, &env, section)?;
        }
        if self.own_device {
            // Another device of this person: its own changes only from a device that is
            // still registered; anyone else's as this person's device vouches, except
            // that the patient's own rules still hold for its record.
            if h.author == me && !held && !self.vault.live_devices()?.contains(&h.device) {
                return Err(Error::NotAllowed {
                    id: env.id().to_string(),
                    author: format!("your removed device {}", &h.device.to_string()[..8]),
                    section: section.to_string(),
                });
            }
            if h.author != me
                && !held
                && self.own == Some(h.record)
                && !self.vault.may_write_now(&h.record, section, &h.author)?
            {
                return Err(Error::NotAllowed {
                    id: env.id().to_string(),
                    author: h.author.short(),
                    section: section.to_string(),
                });
            }
        } else if self.own == Some(h.record) {
            if !self.vault.may_write_now(&h.record, section, &h.author)? {
                let who = self
                    .vault
                    .name_of(&h.author)?
                    .map_or_else(|| h.author.short(), |(n, _)| n);
                return Err(Error::NotAllowed {
                    id: env.id().to_string(),
                    author: who,
                    section: section.to_string(),
                });
            }
        } else if h.record != self.patient_record() {
            return Err(Refusal::NotSendersRecord {
                envelope: env.id().to_string(),
            }
            .into());
        }
        if self.pending_proofs.contains_key(&h.record) {
            self.apply_checkpoint(txn, &h.record)?;
        }
        let key = match self.keys.get(&(h.record, h.section, h.epoch)) {
            Some(k) => EpochKey::from_bytes(*k.expose()),
            None => {
                let k = txn
                    .epoch_key(&h.record, h.section, h.epoch)?
                    .ok_or(Error::NoKey {
                        section,
                        record: h.record.short(),
                    })?;
                self.keys.insert(
                    (h.record, h.section, h.epoch),
                    EpochKey::from_bytes(*k.expose()),
                );
                k
            }
        };
        // Decrypted to check that its changes are its author's (verified above), and to
        // note the writers they build on (checked when the exchange ends).
        let changes = self.vault.open_verified_envelope(&env, &key)?;
        if !held {
            for a in changes.referenced_actors() {
                self.referenced
                    .entry((h.record, section))
                    .or_default()
                    .insert(a, env.id());
            }
        }
        let state = self.sent_chains.entry(h.record).or_default();
        state.merge(&RecordState {
            chains: vec![ChainPos {
                section: h.section,
                author: h.author,
                device: h.device,
                seq: h.seq,
            }],
            ..RecordState::default()
        });
        if blobs.len() > crate::wire::MAX_ENVELOPE_ATTACHMENTS {
            return Err(ExchangeError::TooMany {
                what: "attachments announced by one envelope",
            }
            .into());
        }
        self.blobs_announced.extend(blobs.iter().copied());
        let new = txn.put_envelope(&env).map_err(|e| match e {
            e @ carnet_store::StoreError::ChainBroken { .. } => {
                Error::from(ExchangeError::ChainGap { source: e })
            }
            other => other.into(),
        })?;
        if !new {
            self.report.duplicates += 1;
            return Ok(());
        }
        txn.put_actor(&actor_for(&h.author, &h.device), &h.author, &h.device)?;
        if blobs.len() > crate::wire::MAX_ENVELOPE_ATTACHMENTS {
            return Err(ExchangeError::TooMany {
                what: "attachments announced by one envelope",
            }
            .into());
        }
        txn.put_envelope_blobs(&env.id(), &blobs)?;
        for b in blobs {
            if !txn.has_blob(&b)? {
                self.blobs_expected.insert(b);
            }
        }
        self.report.envelopes += 1;
        let e = self
            .received
            .entry((h.record, section, h.author, h.device))
            .or_insert((h.seq, h.seq));
        e.0 = e.0.min(h.seq);
        e.1 = e.1.max(h.seq);
        Ok(())
    }

    /// Keeps a grantee's cosignature of this vault's own log (the newest per witness),
    /// marked as a conflict when it does not agree with the log held here: the witness saw
    /// a longer log, or another one at that size (this vault was restored from an older
    /// backup, or its log was forked). An audit export carries both kinds, so an auditor
    /// sees the conflict.
    fn cosignature(
        &mut self,
        txn: &mut WriteTxn<'_>,
        record: RecordId,
        note: String,
    ) -> Result<()> {
        if self.own != Some(record) || self.own_device {
            return Err(Refusal::CosignatureNotFromGrantee.into());
        }
        let seen = carnet_consent::Cosigned {
            witness: self.sender,
            note,
        };
        let log = self.vault.consent_log(&record)?;
        let w = seen.check_signers(&record, log.signers())?;
        let conflict = w.size > log.len() || log.root(w.size)? != w.root;
        let mut kept: Vec<KeptCosignature> = match txn.get_meta(&witnesses_key(&record))? {
            Some(b) => {
                postcard::from_bytes(&b).map_err(|e| Error::undecodable("cosignatures", e))?
            }
            None => Vec::new(),
        };
        let new = KeptCosignature {
            witness: self.sender,
            note: seen.note,
            size: w.size,
            conflict,
        };
        match kept
            .iter_mut()
            .find(|k| k.witness == self.sender && k.conflict == conflict)
        {
            Some(k) if k.size >= w.size => return Ok(()),
            Some(k) => *k = new,
            None => kept.push(new),
        }
        let bytes = postcard::to_stdvec(&kept).map_err(|e| Error::encode("cosignatures", e))?;
        txn.put_meta(&witnesses_key(&record), &bytes)?;
        Ok(())
    }

    /// Keeps a writer's statement that one of their devices was removed, for this vault's
    /// own record: from then on nothing that device wrote after its removal is taken.
    fn device_removal(&mut self, txn: &mut WriteTxn<'_>, bytes: Vec<u8>) -> Result<()> {
        let removal = carnet_consent::DeviceRemoval::verified(&bytes)?;
        if removal.person != self.sender || self.own != Some(removal.record) || self.own_device {
            return Err(Refusal::RemovalNotFromOwner.into());
        }
        let key = crate::devices::removals_key(&removal.record);
        let mut list: Vec<Vec<u8>> = match txn.get_meta(&key)? {
            Some(b) => {
                postcard::from_bytes(&b).map_err(|e| Error::undecodable("device removals", e))?
            }
            None => Vec::new(),
        };
        let held = crate::devices::others_removed(txn, &removal.record)?;
        if held
            .iter()
            .any(|r| r.person == removal.person && r.device == removal.device)
        {
            return Ok(());
        }
        // Bounded by what can exist: one per device of each person who writes here.
        if list.len() >= 10_000 {
            return Err(ExchangeError::TooMany {
                what: "device removals for one record",
            }
            .into());
        }
        list.push(bytes);
        let encoded =
            postcard::to_stdvec(&list).map_err(|e| Error::encode("device removals", e))?;
        txn.put_meta(&key, &encoded)?;
        Ok(())
    }

    /// Notes a new envelope of the patient's own writing from a device the patient
    /// removed: its chain is checked when the exchange ends ([`Receiving::check_retired`]).
    /// A removal recorded by an older version names no heads: such a device was linked by
    /// an older version too and holds the patient's key, so nothing could tell its
    /// writing from the patient's; it is left as before (own devices refuse it).
    fn note_retired(
        &mut self,
        txn: &WriteTxn<'_>,
        env: &Envelope,
        section: SectionId,
    ) -> Result<()> {
        let h = env.header();
        if RecordId::of_patient(&h.author) == h.record {
            let devices = self.vault.patient_devices(txn, &h.record)?;
            if let Some(allowed) = &devices.after_takeover {
                // After a takeover, the patient speaks only through the devices certified
                // since (by signing key), or an earlier device's chain up to the head the
                // takeover recorded: the key it replaced signs nothing that is taken.
                let retired = devices
                    .retired
                    .iter()
                    .any(|(d, heads)| *d == h.device && heads.is_some());
                let certified = env
                    .device_cert()
                    .and_then(|c| c.claim().signing)
                    .is_some_and(|k| allowed.iter().any(|(d, s)| *d == h.device && *s == k));
                if !retired && !certified {
                    let who = if h.author == self.vault.person_id() {
                        "you".to_string()
                    } else {
                        self.vault
                            .name_of(&h.author)?
                            .map_or_else(|| h.author.short(), |(n, _)| n)
                    };
                    return Err(Error::NotAllowed {
                        id: env.id().to_string(),
                        author: format!(
                            "a device of {who} ({}) that the restore of their record superseded",
                            &h.device.to_string()[..8]
                        ),
                        section: section.to_string(),
                    });
                }
            }
        }
        match self
            .vault
            .removal_heads(txn, &h.record, &h.author, &h.device)?
        {
            // Not removed, or removed by an older version that named no heads (such a
            // device holds its person's key: nothing tells its writing apart).
            None | Some(None) => Ok(()),
            Some(Some(_)) => {
                self.retired_touched
                    .insert((h.record, section, h.author, h.device), env.id());
                Ok(())
            }
        }
    }

    fn retired_refusal(&self, env: &Envelope, section: SectionId) -> Result<Error> {
        let h = env.header();
        let who = if h.author == self.vault.person_id() {
            "you".to_string()
        } else {
            self.vault
                .name_of(&h.author)?
                .map_or_else(|| h.author.short(), |(n, _)| n)
        };
        Ok(Error::NotAllowed {
            id: env.id().to_string(),
            author: format!(
                "a device {who} removed ({}), written after its removal",
                &h.device.to_string()[..8]
            ),
            section: section.to_string(),
        })
    }

    /// After taking a patient's takeover: the chains of their superseded devices this
    /// vault holds past the heads the takeover (its `DeviceRetired` entries) recorded are
    /// no longer applied by the sections' documents ([`crate::Excluded`]), and the
    /// sections are rebuilt (their snapshots dropped), so what this vault writes next
    /// does not build on them and reaches the restored patient.
    fn exclude_superseded(&mut self, txn: &mut WriteTxn<'_>, record: &RecordId) -> Result<()> {
        let patient = self.sender;
        let devices = self.vault.patient_devices(txn, record)?;
        let key = crate::vault::excluded_key(record);
        let mut list: Vec<crate::Excluded> = match txn.get_meta(&key)? {
            Some(b) => {
                postcard::from_bytes(&b).map_err(|e| Error::undecodable("excluded chains", e))?
            }
            None => Vec::new(),
        };
        for (device, heads) in &devices.retired {
            let Some(heads) = heads else {
                continue;
            };
            for s in SectionId::ALL {
                let Some(head) = txn.chain_head(record, s.code(), &patient, device)? else {
                    continue;
                };
                let upto = matching_head(txn, record, s, &patient, device, heads, head.seq)?;
                if head.seq > upto
                    && !list
                        .iter()
                        .any(|e| e.device == *device && e.section == s.code())
                {
                    list.push(crate::Excluded {
                        author: patient,
                        device: *device,
                        section: s.code(),
                        upto,
                    });
                }
            }
        }
        let bytes = postcard::to_stdvec(&list).map_err(|e| Error::encode("excluded chains", e))?;
        txn.put_meta(&key, &bytes)?;
        for s in SectionId::ALL {
            txn.drop_snapshot(record, s.code())?;
        }
        Ok(())
    }

    /// Refuses changes that build on a writer who wrote nothing in their section (no chain
    /// of the section, held or just received, is theirs): no honest change does, and
    /// Automerge cannot apply one (it panicked on them), so it is refused before it is
    /// stored rather than set aside at every load.
    fn check_referenced(&self, txn: &WriteTxn<'_>) -> Result<()> {
        for ((record, section), actors) in &self.referenced {
            let writers: BTreeSet<[u8; 16]> = txn
                .chain_heads(record, section.code())?
                .iter()
                .map(|h| actor_for(&h.author, &h.device))
                .collect();
            if let Some((_, id)) = actors.iter().find(|(a, _)| !writers.contains(*a)) {
                return Err(Error::BadEnvelope {
                    id: id.to_string(),
                    section: section.to_string(),
                    why: Box::new(EnvelopeFault::UnknownWriter),
                });
            }
        }
        Ok(())
    }

    /// Refuses the exchange if a removed device's chain it extended does not now end
    /// exactly at a head its removal named: whatever came after the removal, or forks its
    /// chain, is refused whole. (Senders send such a chain whole, up to its head.)
    fn check_retired(&self, txn: &WriteTxn<'_>) -> Result<()> {
        for ((record, section, author, device), id) in &self.retired_touched {
            let heads = self
                .vault
                .removal_heads(txn, record, author, device)?
                .flatten();
            if !Vault::retired_chain_ok(txn, record, *section, author, device, heads.as_deref())? {
                let env = txn.envelope(id)?.ok_or_else(|| Error::Vanished {
                    what: "an envelope of this exchange",
                })?;
                return Err(self.retired_refusal(&env, *section)?);
            }
        }
        Ok(())
    }

    fn finish(&mut self, txn: &mut WriteTxn<'_>, their_have: Option<Have>) -> Result<()> {
        self.check_retired(txn)?;
        for record in self.switched.clone() {
            self.exclude_superseded(txn, &record)?;
        }
        self.check_referenced(txn)?;
        let pending: Vec<RecordId> = self.pending_proofs.keys().copied().collect();
        for record in pending {
            self.apply_checkpoint(txn, &record)?;
        }
        if !self.blobs_expected.is_empty() || !self.blob_parts.is_empty() {
            return Err(ExchangeError::AttachmentsIncomplete {
                count: self.blobs_expected.len(),
            }
            .into());
        }
        let me = self.vault.person_id();
        if self.own_log_changed
            && let Some(mine) = self.own
        {
            // The whole log must still verify (signatures, links) with what arrived.
            Vault::load_log(txn, &mine, &me)?;
        }
        // The patient logs what grantees wrote into the record (the device keeping the log
        // does; between devices of one person there is nothing to log).
        if let Some(mine) = self.own
            && !self.own_device
        {
            let ranges: Vec<_> = self
                .received
                .iter()
                .filter(|((r, _, author, _), _)| *r == mine && *author != me)
                .map(|((_, s, author, device), (from, to))| (*s, *author, *device, *from, *to))
                .collect();
            if !ranges.is_empty() {
                let salt = Vault::record_salt(txn, &mine)?;
                let mut log = Vault::load_log(txn, &mine, &me)?;
                let ranges = ranges
                    .into_iter()
                    .map(|(s, author, device, from, to)| Range {
                        section: SectionTag::commit(&salt, s.code()),
                        author,
                        device,
                        from,
                        to,
                    })
                    .collect();
                self.vault.append(
                    txn,
                    &mut log,
                    carnet_consent::Action::Received {
                        from: self.sender,
                        ranges,
                    },
                )?;
            }
        }
        // Remember what the sender holds: what it said, and what it just sent.
        let mut records: BTreeSet<RecordId> = self.sent_chains.keys().copied().collect();
        if let Some(h) = &their_have {
            // Only the records the two sides can share (one, whatever the claim lists).
            records.extend(
                h.records
                    .iter()
                    .map(|(r, _)| *r)
                    .filter(|r| self.own == Some(*r) || *r == self.patient_record()),
            );
        }
        for record in records {
            if self.own_device || (self.own != Some(record) && record != self.patient_record()) {
                continue;
            }
            let mut state: PeerState =
                match txn.get_secret_meta(&peer_key(&record, &self.sender))? {
                    Some(b) => postcard::from_bytes(&b)
                        .map_err(|e| Error::undecodable("state of a peer", e))?,
                    None => PeerState::default(),
                };
            // What the sender says it holds is the truth, and corrects any guess made when
            // sending to it (a bundle it lost or refused); what it just sent, it holds too.
            if let Some(h) = &their_have {
                state.theirs = h.record(&record);
            }
            if let Some(s) = self.sent_chains.get(&record) {
                state.theirs.merge(s);
            }
            let keys = known_keys(&|p| Ok(txn.key_grants(&record, p)?), &[self.sender, me])?;
            state.theirs = bounded_claim(
                &state.theirs,
                &|s| Ok(txn.chain_heads(&record, s)?),
                &keys,
                consent_bound(
                    txn.consent_count(&record)?,
                    txn.get_meta(&checkpoint_size_key(&record))?,
                ),
            )?;
            Vault::put_peer_state(txn, &record, &self.sender, &state)?;
        }
        if !self.cards.is_empty() {
            // Only cards of people this exchange gives a reason to name: the sender, and the
            // authors of the envelopes it sent or showed it holds. Any other card a peer
            // brings is dropped, so the card book grows with what exists, not with what a
            // peer sends.
            let mut wanted: BTreeSet<PersonId> = BTreeSet::new();
            wanted.insert(self.sender);
            for state in self.sent_chains.values() {
                wanted.extend(state.chains.iter().map(|c| c.author));
            }
            wanted.extend(self.received.keys().map(|(_, _, a, _)| *a));
            // Read in this transaction: a batch applied before it in the same one (a
            // group, see Vault::receive_group_from) may have added cards.
            let before: Vec<String> = match txn.get_secret_meta("cards")? {
                Some(b) => postcard::from_bytes(&b).map_err(|e| Error::undecodable("cards", e))?,
                None => Vec::new(),
            };
            let mut book: Vec<IdentityCard> = before
                .iter()
                .filter_map(|t| IdentityCard::from_text(t).ok())
                .collect();
            let mut at: HashMap<PersonId, usize> = book
                .iter()
                .enumerate()
                .map(|(i, c)| (c.person_id(), i))
                .collect();
            for text in self.cards.drain(..) {
                let Ok(card) = IdentityCard::from_text(&text) else {
                    continue;
                };
                if !wanted.contains(&card.person_id()) {
                    continue;
                }
                // A newer card of the same person replaces an older one.
                match at.get(&card.person_id()) {
                    Some(&i) if book[i].issued() < card.issued() => book[i] = card,
                    Some(_) => {}
                    None => {
                        at.insert(card.person_id(), book.len());
                        book.push(card);
                    }
                }
            }
            let texts: Vec<String> = book.iter().map(IdentityCard::to_text).collect();
            if texts != before {
                let bytes = postcard::to_stdvec(&texts).map_err(|e| Error::encode("cards", e))?;
                txn.put_secret_meta("cards", &bytes)?;
            }
        }
        self.report.records = self
            .received
            .keys()
            .map(|(r, _, _, _)| *r)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Ok(())
    }
}

/// How what was sent left this vault: live, in a bundle file, or at a mailbox.
#[derive(Clone, Copy)]
enum Delivery {
    Sent,
    Written,
    Deposited([u8; 32]),
}

#[cfg(test)]
mod tests {
    use super::*;
    use carnet_consent::Access;

    use crate::testing::{Batch as Ahead, alice_and_her_doctor};

    /// Envelopes checked ahead are only those that verify: a forged one in a batch is
    /// still refused, and the batch changes nothing.
    #[test]
    fn only_envelopes_that_verify_are_checked_ahead() {
        let (_tmp, alice, doctor) = alice_and_her_doctor();
        let record = alice.own_record().unwrap();
        for i in 0..40 {
            alice
                .add(
                    &record,
                    carnet_record::Entry::Note(carnet_record::Note {
                        text: format!("note {i}"),
                        title: None,
                    }),
                )
                .unwrap();
        }
        let mut items = Vec::new();
        let theirs = doctor.have_for(&alice.person_id()).unwrap();
        alice
            .send_batch(&doctor.card().clone(), &theirs, None, &mut |i| {
                items.push(i);
                Ok(())
            })
            .unwrap();
        let envelopes = items
            .iter()
            .filter(|i| matches!(i, Item::Envelope { .. }))
            .count();
        assert!(envelopes >= 40, "{envelopes}");
        assert_eq!(CheckedAhead::of(&items).len(), envelopes);

        // One envelope's signature broken (its last byte): it is not checked ahead, and
        // the batch is refused when applied, leaving the vault as it was.
        let mut forged = items.clone();
        let last = forged
            .iter_mut()
            .rev()
            .find_map(|i| match i {
                Item::Envelope { bytes, .. } => Some(bytes),
                _ => None,
            })
            .unwrap();
        let n = last.len();
        last[n - 1] ^= 1;
        let ahead = CheckedAhead::of(&forged);
        assert_eq!(ahead.len(), envelopes - 1);
        let before = doctor.state_digest().unwrap();
        let err = doctor
            .receive_items_from(&alice.card(), None, &mut Ahead(forged.into(), Some(ahead)))
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadEnvelope { ref why, .. } if matches!(**why, EnvelopeFault::Signature(_))
            ),
            "{err}"
        );
        assert_eq!(doctor.state_digest().unwrap(), before);
        // The honest batch, checked ahead, goes in.
        let ahead = CheckedAhead::of(&items);
        let r = doctor
            .receive_items_from(&alice.card(), None, &mut Ahead(items.into(), Some(ahead)))
            .unwrap();
        assert_eq!(r.envelopes, envelopes);
    }

    /// A group of batches: the second may hold only envelopes and attachment parts (what
    /// the checks read outside the transaction only the first may change); another item
    /// there refuses the whole group, leaving the vault as it was. From a sender this
    /// vault does not know yet, the group stops after the first batch.
    #[test]
    fn a_group_takes_only_envelopes_after_its_first_batch() {
        let (_tmp, alice, doctor) = alice_and_her_doctor();
        let record = alice.own_record().unwrap();
        // Alice writes a note; the batch that brings the doctor up to date.
        let note_batch = |text: &str| {
            let note = carnet_record::Note {
                text: text.into(),
                title: None,
            };
            alice
                .add(&record, carnet_record::Entry::Note(note))
                .unwrap();
            let mut items = Vec::new();
            let theirs = doctor.have_for(&alice.person_id()).unwrap();
            alice
                .send_batch(&doctor.card().clone(), &theirs, None, &mut |i| {
                    items.push(i);
                    Ok(())
                })
                .unwrap();
            Ahead(items.into(), None)
        };
        let card = || Ahead(vec![Item::Card(alice.card().to_text())].into(), None);
        // Alice unknown to the doctor: only the first batch is applied.
        let before = doctor.state_digest().unwrap();
        let done = doctor
            .receive_group_from(
                &alice.card(),
                None,
                &mut [&mut note_batch("note"), &mut card()],
            )
            .unwrap();
        assert_eq!(done.len(), 1);
        assert_ne!(doctor.state_digest().unwrap(), before);
        // Now known: a second batch holding a card refuses the group, nothing kept.
        let mut first = note_batch("another");
        let before = doctor.state_digest().unwrap();
        let err = doctor
            .receive_group_from(&alice.card(), None, &mut [&mut first, &mut card()])
            .unwrap_err();
        assert!(matches!(err, Error::Vanished { .. }), "{err}");
        assert_eq!(doctor.state_digest().unwrap(), before);
    }

    /// Attachments count for a share of a batch's budget: a batch of them carries several
    /// times the budget, at most MAX_PARTIALS of them (a cut batch is resumed whole),
    /// while envelopes alone still stop at the budget.
    #[test]
    fn attachments_fill_larger_batches_up_to_what_a_cut_can_resume() {
        let (_tmp, alice, doctor) = alice_and_her_doctor();
        alice
            .grant(
                "Dr Martin",
                &[SectionId::Documents],
                Access::Read,
                "GP",
                None,
            )
            .unwrap();
        let record = alice.own_record().unwrap();
        let size = 20_000usize;
        for i in 0..40 {
            alice
                .attach(
                    &record,
                    &vec![i as u8; size],
                    crate::AttachmentInput {
                        title: format!("scan {i}"),
                        doc_type: carnet_record::DocType::Report,
                        file_name: None,
                        media_type: "application/pdf".into(),
                        date: carnet_record::DateTime::from_unix(1_735_689_600).unwrap(),
                    },
                )
                .unwrap();
        }
        for i in 0..200 {
            let note = carnet_record::Note {
                text: format!("note {i} {}", "x".repeat(400)),
                title: None,
            };
            alice
                .add(&record, carnet_record::Entry::Note(note))
                .unwrap();
        }
        let budget = 4 * size as u64;
        let mut theirs = doctor.have_for(&alice.person_id()).unwrap();
        let (mut with_blobs, mut attached_most, mut notes_most) = (0, 0u64, 0u64);
        loop {
            let mut items = Vec::new();
            let r = alice
                .send_batch(&doctor.card().clone(), &theirs, Some(budget), &mut |i| {
                    items.push(i);
                    Ok(())
                })
                .unwrap();
            let env_bytes: u64 = items
                .iter()
                .map(|i| match i {
                    Item::Envelope { bytes, .. } => bytes.len() as u64,
                    _ => 0,
                })
                .sum();
            let blob_bytes: u64 = items
                .iter()
                .map(|i| match i {
                    Item::BlobPart { bytes, .. } => bytes.len() as u64,
                    _ => 0,
                })
                .sum();
            assert!(r.blobs <= MAX_PARTIALS, "{} attachments", r.blobs);
            if r.blobs > 0 {
                with_blobs += 1;
                attached_most = attached_most.max(blob_bytes);
            } else if r.envelopes > 1 {
                notes_most = notes_most.max(env_bytes);
            }
            assert!(env_bytes + blob_bytes.div_ceil(ATTACHMENT_SHARE) <= budget + 64 * 1024);
            doctor
                .receive_items_from(&alice.card(), None, &mut Ahead(items.into(), None))
                .unwrap();
            theirs = r.peer_after.clone();
            if !r.more {
                break;
            }
        }
        // 40 attachments, at most 16 a batch: 3 batches, the fullest well over the budget.
        assert_eq!(with_blobs, 3);
        assert!(attached_most > 3 * budget, "{attached_most}");
        assert!(notes_most <= budget, "{notes_most}");
    }

    /// The view of a patient's log a grantee keeps between batches is the one its store
    /// holds: rows added, and a newer checkpoint with no new row, both show.
    #[test]
    fn a_kept_view_follows_the_stored_rows_and_checkpoint() {
        let (tmp, alice, doctor) = alice_and_her_doctor();
        let record = alice.own_record().unwrap();
        let out = tmp.path().join("b1");
        alice
            .export_bundle(&doctor.card().clone(), false, &out)
            .unwrap();
        doctor.import_bundle(&out).unwrap();
        let alice_id = alice.person_id();
        let first = doctor.shared_view(&record, &alice_id).unwrap();
        let rows = doctor
            .store
            .read()
            .unwrap()
            .consent_entries(&record)
            .unwrap();
        assert_eq!(first.entries().count(), rows.len());

        // More of Alice's log arrives: the kept view goes on with it.
        alice
            .grant(
                "Dr Martin",
                &[SectionId::Allergies],
                Access::Read,
                "GP",
                None,
            )
            .unwrap();
        let out = tmp.path().join("b2");
        alice
            .export_bundle(&doctor.card().clone(), false, &out)
            .unwrap();
        doctor.import_bundle(&out).unwrap();
        let rows = doctor
            .store
            .read()
            .unwrap()
            .consent_entries(&record)
            .unwrap();
        assert!(rows.len() > first.entries().count());
        let second = doctor.shared_view(&record, &alice_id).unwrap();
        assert_eq!(second.entries().count(), rows.len());
        let whole = SharedView::restore(
            record,
            alice_id,
            second.checkpoint_text(),
            rows.iter().cloned(),
        )
        .unwrap();
        let bytes = |v: &SharedView| {
            v.entries()
                .map(|e| e.as_bytes().to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(bytes(&second), bytes(&whole));
        assert_eq!(second.signers(), whole.signers());
        assert_eq!(second.checkpoint_size(), whole.checkpoint_size());

        // A newer checkpoint stored with no new row (a grantee holds only some entries):
        // the view says the newer size.
        alice
            .grant(
                "Dr Martin",
                &[SectionId::Conditions],
                Access::Read,
                "GP",
                None,
            )
            .unwrap();
        let log = alice.consent_log(&record).unwrap();
        let newer = log.checkpoint(alice.me().log_secret().unwrap()).unwrap();
        assert!(log.len() > second.checkpoint_size());
        let mut txn = doctor.store.write().unwrap();
        txn.put_meta(&checkpoint_key(&record), newer.as_bytes())
            .unwrap();
        txn.commit().unwrap();
        let third = doctor.shared_view(&record, &alice_id).unwrap();
        assert_eq!(third.checkpoint_size(), log.len());
        assert_eq!(third.checkpoint_text(), Some(newer.as_str()));
    }

    /// Inside a receive's write transaction, the view is of the transaction's rows: a row
    /// it added shows (the view kept between batches, of the committed rows, is not used
    /// then), and once the transaction is dropped uncommitted the view is the committed
    /// one again, the added row nowhere (nothing read inside it was kept).
    #[test]
    fn a_view_inside_a_transaction_is_of_its_rows() {
        let (tmp, alice, doctor) = alice_and_her_doctor();
        let record = alice.own_record().unwrap();
        let out = tmp.path().join("b1");
        alice
            .export_bundle(&doctor.card().clone(), false, &out)
            .unwrap();
        doctor.import_bundle(&out).unwrap();
        let alice_id = alice.person_id();
        let held = doctor.shared_view(&record, &alice_id).unwrap();
        let n = held.entries().count();
        // Kept: a second reading of the same rows in a transaction is the kept one.
        {
            let txn = doctor.store.write().unwrap();
            let v = doctor.shared_view_in(&txn, &record, &alice_id).unwrap();
            assert_eq!(v.entries().count(), n);
        }
        // A new entry about the doctor, and the checkpoint that covers it, written in a
        // transaction as a receive would.
        alice
            .grant(
                "Dr Martin",
                &[SectionId::Allergies],
                Access::Read,
                "GP",
                None,
            )
            .unwrap();
        let log = alice.consent_log(&record).unwrap();
        let newer = log.checkpoint(alice.me().log_secret().unwrap()).unwrap();
        let last = log.len() - 1;
        let row = alice
            .store
            .read()
            .unwrap()
            .consent_entry(&record, last)
            .unwrap()
            .unwrap();
        let mut txn = doctor.store.write().unwrap();
        txn.put_meta(&checkpoint_key(&record), newer.as_bytes())
            .unwrap();
        txn.put_consent(&record, last, &row).unwrap();
        let inside = doctor.shared_view_in(&txn, &record, &alice_id).unwrap();
        assert_eq!(inside.entries().count(), n + 1);
        assert_eq!(inside.checkpoint_size(), log.len());
        drop(txn);
        let after = doctor.shared_view(&record, &alice_id).unwrap();
        assert_eq!(after.entries().count(), n);
        assert_eq!(after.checkpoint_text(), held.checkpoint_text());
    }
}
