//! The log itself: an append-only list of signed entries, hash-linked, and an RFC 6962
//! Merkle tree over them with signed checkpoints in the C2SP tlog-checkpoint format.
//!
//! A device that appends to its own log keeps a [`LogTail`] (sealed, in its vault) with each
//! append: the tree's frontier and the hash of the last entry. With it, appending again
//! ([`ConsentLog::resume`]) reads one entry and verifies one signature instead of every
//! entry's, and reading the whole log back ([`ConsentLog::restore`]) checks the stored
//! entries against the tail's Merkle root instead of re-verifying each signature: the root
//! commits to every byte of every entry this device verified when it was appended.

use std::collections::BTreeMap;

use carnet_crypto::{DeviceId, PersonId, PersonSecret, RecordId, RootKey, RootSecret};
use serde::{Deserialize, Serialize};
use signed_note::{Note, StandardVerifier, VerifierList};
use tlog_tiles::checkpoint::Checkpoint;
use tlog_tiles::tlog::{self, Hash, HashReader};

use crate::entry::{Branch, TakeoverClaim};
use crate::{Action, ConsentError, Entry, SignedEntry};

/// The checkpoint origin (and note key name) of a record's log.
pub fn origin(record: &RecordId) -> String {
    format!("carnet-consent/{record}")
}

/// The stored hashes of the tree, in tlog's storage order: all of them for a log read whole;
/// for a resumed log, the frontier (the roots of the complete subtrees its first entries
/// form, all that appending and the root need) and those stored since.
#[derive(Clone, Debug, Default)]
struct Stored {
    frontier: BTreeMap<u64, Hash>,
    start: u64,
    dense: Vec<Hash>,
}

impl HashReader for Stored {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|&i| {
                let h = if i >= self.start {
                    self.dense.get((i - self.start) as usize)
                } else {
                    self.frontier.get(&i)
                };
                h.copied().ok_or(tlog::Error::IndexesNotInTree)
            })
            .collect()
    }
}

/// What a device keeps of its own log to append to it again without re-reading it: the
/// size, the hash of the last entry (what the next one links to) and the tree's frontier
/// (storage index and hash of each complete subtree's root). Store it sealed: it is trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogTail {
    /// Number of entries.
    pub len: u64,
    /// Leaf hash of the last entry.
    pub last: [u8; 32],
    /// The frontier: `(storage index, hash)` of the roots of the complete subtrees that
    /// the first `len` entries form, in tlog's order.
    pub frontier: Vec<(u64, [u8; 32])>,
}

impl LogTail {
    fn stored(&self) -> Result<Stored, ConsentError> {
        let bad = |why: &str| ConsentError::Malformed {
            what: "consent log tail",
            detail: why.to_string(),
        };
        if self.len == 0 {
            return Err(bad("it is empty"));
        }
        let want = tlog::sub_tree_index(0, self.len, Vec::new());
        if want.len() != self.frontier.len()
            || want.iter().zip(&self.frontier).any(|(w, (i, _))| w != i)
        {
            return Err(bad("its frontier does not fit its size"));
        }
        Ok(Stored {
            frontier: self.frontier.iter().map(|(i, h)| (*i, Hash(*h))).collect(),
            start: tlog::stored_hash_index(0, self.len),
            dense: Vec::new(),
        })
    }

    /// The Merkle root of the log this tail ends.
    pub fn root(&self) -> Result<[u8; 32], ConsentError> {
        Ok(tlog::tree_hash(self.len, &self.stored()?)
            .map_err(tlog_err)?
            .0)
    }
}

/// A record's consent log.
#[derive(Clone, Debug)]
pub struct ConsentLog {
    record: RecordId,
    patient: PersonId,
    /// The entries held: every one, or for a resumed log the last one before resuming and
    /// those since (`offset` is the index of the first held).
    entries: Vec<SignedEntry>,
    offset: u64,
    stored: Stored,
    /// Who signs: `(index of the first entry signed, key)`, from `(0, patient)`; a
    /// takeover adds its key from its own index on.
    signers: Vec<(u64, PersonId)>,
    /// The root key, once declared (unknown in a resumed log).
    root: Option<RootKey>,
}

struct NoteSigner<'a> {
    name: String,
    id: u32,
    secret: &'a PersonSecret,
}

impl signed_note::Signer for NoteSigner<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::ed25519::signature::Error> {
        self.secret
            .sign_note_text(msg)
            .map(|s| s.to_vec())
            .map_err(|_| ed25519_dalek::ed25519::signature::Error::new())
    }
}

fn verifier_key(record: &RecordId, patient: &PersonId) -> Result<String, ConsentError> {
    let vk = patient.verifying_key()?;
    Ok(signed_note::new_ed25519_verifier_key(&origin(record), &vk))
}

fn tlog_err(e: tlog::Error) -> ConsentError {
    ConsentError::Malformed {
        what: "Merkle tree",
        detail: format!("{e:?}"),
    }
}

impl ConsentLog {
    /// An empty log for `record`, owned by `patient`.
    pub fn new(record: RecordId, patient: PersonId) -> Self {
        ConsentLog {
            record,
            patient,
            entries: Vec::new(),
            offset: 0,
            stored: Stored::default(),
            signers: vec![(0, patient)],
            root: None,
        }
    }

    /// Resumes appending to a log from its sealed [`LogTail`] and its stored last entry,
    /// without reading or re-verifying the rest: checks that the entry is the tail's last
    /// (its hash) and verifies its signature. The result appends, roots and signs
    /// checkpoints like a whole log, but holds only the entries from that last one on:
    /// [`ConsentLog::entries`] and proofs need the whole log ([`ConsentLog::restore`]).
    pub fn resume(
        record: RecordId,
        patient: PersonId,
        tail: &LogTail,
        last: SignedEntry,
    ) -> Result<Self, ConsentError> {
        Self::resume_signed_by(record, patient, patient, tail, last)
    }

    /// [`ConsentLog::resume`] for a log whose entries are now signed by `signer` (the key
    /// a [`Action::Takeover`] named; the patient's own key otherwise). A resumed log
    /// cannot take a root declaration or a takeover: those need the whole log.
    pub fn resume_signed_by(
        record: RecordId,
        patient: PersonId,
        signer: PersonId,
        tail: &LogTail,
        last: SignedEntry,
    ) -> Result<Self, ConsentError> {
        let stored = tail.stored()?;
        let index = tail.len - 1;
        let bad = |why: &str| ConsentError::BadEntry {
            index,
            why: why.to_string(),
        };
        if last.entry().record != record {
            return Err(bad("it belongs to another record"));
        }
        if last.entry().index != index || last.leaf_hash() != tail.last {
            return Err(bad(
                "it is not the entry this device last wrote: the stored log was altered",
            ));
        }
        last.verify(&signer)?;
        let mut signers = vec![(0, patient)];
        if signer != patient {
            signers.push((index, signer));
        }
        Ok(ConsentLog {
            record,
            patient,
            entries: vec![last],
            offset: index,
            stored,
            signers,
            root: None,
        })
    }

    /// Reads a whole log back, checking every entry's form, index, link and time as
    /// [`ConsentLog::push`] does; the signatures of the first `tail.len` entries are not
    /// verified one by one but bound all at once to the tail's Merkle root (this device
    /// verified each when it appended it); entries after them are verified in full.
    pub fn restore(
        record: RecordId,
        patient: PersonId,
        entries: impl IntoIterator<Item = SignedEntry>,
        tail: &LogTail,
    ) -> Result<Self, ConsentError> {
        let root = tail.root()?;
        let mut log = ConsentLog::new(record, patient);
        for e in entries {
            let trusted = log.len() < tail.len;
            log.push_inner(e, !trusted)?;
            if log.len() == tail.len && log.root(tail.len)? != root {
                return Err(ConsentError::BadEntry {
                    index: tail.len - 1,
                    why: "the stored log is not the one this device wrote (its Merkle root differs): an entry was altered, removed or inserted".into(),
                });
            }
        }
        if log.len() < tail.len {
            return Err(ConsentError::BadEntry {
                index: log.len(),
                why: format!(
                    "the stored log ends here, but this device wrote {} entries: entries were removed",
                    tail.len
                ),
            });
        }
        Ok(log)
    }

    /// The tail to keep (sealed) after appending, to resume from later.
    pub fn tail(&self) -> Result<LogTail, ConsentError> {
        let last = self.entries.last().ok_or_else(|| ConsentError::Malformed {
            what: "consent log",
            detail: "an empty log has no tail".into(),
        })?;
        let n = self.len();
        let indexes = tlog::sub_tree_index(0, n, Vec::new());
        let hashes = self.stored.read_hashes(&indexes).map_err(tlog_err)?;
        Ok(LogTail {
            len: n,
            last: last.leaf_hash(),
            frontier: indexes
                .into_iter()
                .zip(hashes.into_iter().map(|h| h.0))
                .collect(),
        })
    }

    /// Whether this log holds every entry from the genesis (false once resumed).
    pub fn is_whole(&self) -> bool {
        self.offset == 0
    }

    fn whole(&self, what: &str) -> Result<(), ConsentError> {
        if self.is_whole() {
            return Ok(());
        }
        Err(ConsentError::Malformed {
            what: "consent log",
            detail: format!("{what} needs the whole log, and this one was resumed from its tail"),
        })
    }

    /// The record.
    pub fn record(&self) -> &RecordId {
        &self.record
    }

    /// The patient: whose record this is, and whose key signs every entry up to a
    /// takeover ([`ConsentLog::signer`] after one).
    pub fn patient(&self) -> &PersonId {
        &self.patient
    }

    /// The key that signs the next entry and checkpoints of the whole log: the patient's,
    /// or the one the last takeover named.
    pub fn signer(&self) -> PersonId {
        self.signers.last().map_or(self.patient, |(_, k)| *k)
    }

    /// Every key that signed part of the log: `(index of the first entry it signed, key)`.
    pub fn signers(&self) -> &[(u64, PersonId)] {
        &self.signers
    }

    /// The key that signs a checkpoint of the first `size` entries: the key in force for
    /// the last of them.
    pub fn key_for_size(&self, size: u64) -> PersonId {
        key_for_size(&self.signers, size)
    }

    /// The patient's root key, if the log declares one (and is whole).
    pub fn root_key(&self) -> Option<RootKey> {
        self.root
    }

    /// What a receiver needs, before a checkpoint signed after a takeover, to check it:
    /// the root declaration and every takeover, oldest first (empty without a takeover).
    pub fn authority(&self) -> Vec<&SignedEntry> {
        if self.takeovers().next().is_none() {
            return Vec::new();
        }
        self.entries
            .iter()
            .filter(|e| {
                matches!(
                    e.entry().action,
                    Action::RootDeclared { .. } | Action::Takeover { .. }
                )
            })
            .collect()
    }

    /// The takeovers the log holds, oldest first.
    pub fn takeovers(&self) -> impl Iterator<Item = &SignedEntry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.entry().action, Action::Takeover { .. }))
    }

    /// Number of entries.
    pub fn len(&self) -> u64 {
        self.offset + self.entries.len() as u64
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries, in order (for a resumed log, only those from its last entry before
    /// resuming: see [`ConsentLog::is_whole`]).
    pub fn entries(&self) -> &[SignedEntry] {
        &self.entries
    }

    /// Appends an already signed entry after checking that it continues the log: right
    /// record, next index, links to the previous entry, time not going back, signed by the
    /// patient, genesis first and only first.
    pub fn push(&mut self, signed: SignedEntry) -> Result<(), ConsentError> {
        self.push_inner(signed, true)
    }

    fn push_inner(
        &mut self,
        signed: SignedEntry,
        check_signature: bool,
    ) -> Result<(), ConsentError> {
        let e = signed.entry();
        let index = self.len();
        let bad = |why: String| ConsentError::BadEntry { index, why };
        if e.record != self.record {
            return Err(bad("it belongs to another record".into()));
        }
        if e.index != index {
            return Err(bad(format!(
                "it says it is entry {}: an entry was removed, inserted or moved",
                e.index
            )));
        }
        let expected_prev = self
            .entries
            .last()
            .map(SignedEntry::leaf_hash)
            .unwrap_or([0; 32]);
        if e.prev != expected_prev {
            return Err(bad(
                "it does not link to the entry before it: the history was rewritten".into(),
            ));
        }
        if let Some(last) = self.entries.last()
            && e.time < last.entry().time
        {
            return Err(bad("its time is before the previous entry's".into()));
        }
        match (&e.action, index) {
            (Action::Genesis { .. }, 0) => {}
            (Action::Genesis { .. }, _) => return Err(bad("a second genesis".into())),
            (_, 0) => return Err(bad("the log does not start with a genesis".into())),
            _ => {}
        }
        let mut declared = None;
        let mut took_over = None;
        match &e.action {
            Action::RootDeclared { .. } => {
                self.whole("a root declaration")?;
                if self.root.is_some() {
                    return Err(bad("root declared: a second root declaration".into()));
                }
                if check_signature {
                    signed.verify(&self.signer())?;
                }
                declared = e.action.checked_root(&self.record, &self.patient, index)?;
            }
            Action::Takeover { .. } => {
                self.whole("a takeover")?;
                let root = self.root.ok_or_else(|| {
                    bad("takeover: the log declares no root key to endorse it".into())
                })?;
                took_over = Some(signed.check_takeover(&self.record, &root)?);
            }
            _ => {
                if check_signature {
                    signed.verify(&self.signer())?;
                }
            }
        }
        let new = tlog::stored_hashes(index, signed.as_bytes(), &self.stored).map_err(tlog_err)?;
        self.stored.dense.extend(new);
        self.entries.push(signed);
        if declared.is_some() {
            self.root = declared;
        }
        if let Some(key) = took_over {
            self.signers.push((index, key));
        }
        Ok(())
    }

    fn next_entry(&self, action: Action, time: u64) -> Entry {
        let time = self
            .entries
            .last()
            .map_or(time, |l| time.max(l.entry().time));
        Entry {
            version: 1,
            record: self.record,
            index: self.len(),
            prev: self
                .entries
                .last()
                .map(SignedEntry::leaf_hash)
                .unwrap_or([0; 32]),
            time,
            action,
        }
    }

    /// Declares the patient's root key (signed by `patient`, the key in force, with the
    /// root's own proof). Once per log.
    pub fn append_root(
        &mut self,
        patient: &PersonSecret,
        root: &RootSecret,
        time: u64,
    ) -> Result<&SignedEntry, ConsentError> {
        let action = Action::declare_root(&self.record, &self.patient, root);
        self.append(patient, action, time)
    }

    /// Takes the log over after a restore: a [`Action::Takeover`] endorsed by `root` (the
    /// one the log declares), signed by `new_key`, which signs the log from then on.
    #[allow(clippy::too_many_arguments)]
    pub fn append_takeover(
        &mut self,
        root: &RootSecret,
        new_key: &PersonSecret,
        device: DeviceId,
        endpoint: [u8; 32],
        signing: [u8; 32],
        forked: Option<Branch>,
        time: u64,
    ) -> Result<&SignedEntry, ConsentError> {
        let mut entry = self.next_entry(
            Action::Takeover {
                key: new_key.person_id(),
                device,
                endpoint,
                signing,
                forked,
                proof: Vec::new(),
            },
            time,
        );
        let claim = TakeoverClaim {
            record: entry.record,
            index: entry.index,
            prev: entry.prev,
            key: new_key.person_id(),
            device,
            endpoint,
            signing,
            forked,
        };
        if let Action::Takeover { proof, .. } = &mut entry.action {
            *proof = claim.sign(root);
        }
        self.push(SignedEntry::sign(entry, new_key)?)?;
        Ok(&self.entries[self.entries.len() - 1])
    }

    /// Appends many entries as [`ConsentLog::push`] would, one after the other, with the
    /// same result and the same first error, but verifying their signatures together
    /// (`carnet_crypto::verify_all`: `verify_strict` itself, on every core). What an
    /// auditor's verification of a long log uses.
    pub fn extend_verified(
        &mut self,
        entries: impl IntoIterator<Item = SignedEntry>,
    ) -> Result<(), ConsentError> {
        let start = self.len();
        let mut structural = None;
        let mut to_check: Vec<(PersonId, Vec<u8>, [u8; 64], u64)> = Vec::new();
        for e in entries {
            let index = self.len();
            // A takeover checks its own signatures as it is read (by the key it names).
            let own_check = matches!(e.entry().action, Action::Takeover { .. });
            let signer = self.signer();
            let parts = if own_check {
                None
            } else {
                match e.signed_parts() {
                    Ok(p) => Some(p),
                    Err(err) => {
                        structural = Some((index, err));
                        break;
                    }
                }
            };
            if let Err(err) = self.push_inner(e, own_check) {
                structural = Some((index, err));
                break;
            }
            if let Some((body, sig)) = parts {
                to_check.push((signer, body, sig, index));
            }
        }
        let items: Vec<carnet_crypto::SignedMessage<'_>> = to_check
            .iter()
            .map(|(signer, body, sig, _)| carnet_crypto::SignedMessage {
                signer,
                domain: SignedEntry::DOMAIN,
                message: body,
                signature: sig,
            })
            .collect();
        if let Err(i) = carnet_crypto::verify_all(&items) {
            let index = to_check[i].3;
            // Nothing of what was read is kept past a bad signature.
            self.truncate_to(index.max(start));
            return Err(ConsentError::BadEntry {
                index,
                why: "its signature is not the patient's (altered or forged)".into(),
            });
        }
        match structural {
            Some((_, err)) => Err(err),
            None => Ok(()),
        }
    }

    /// Drops the entries from `len` on (only those this call chain pushed).
    fn truncate_to(&mut self, len: u64) {
        if len >= self.len() || len < self.offset {
            return;
        }
        let keep = (len - self.offset) as usize;
        self.entries.truncate(keep);
        self.signers.retain(|(i, _)| *i < len || *i == 0);
        if !self
            .entries
            .iter()
            .any(|e| matches!(e.entry().action, Action::RootDeclared { .. }))
        {
            self.root = None;
        }
        // The stored hashes of the dropped leaves go too.
        let stored_len = tlog::stored_hash_index(0, len) - self.stored.start;
        self.stored.dense.truncate(stored_len as usize);
    }

    /// Signs and appends a new entry as the patient.
    pub fn append(
        &mut self,
        patient: &PersonSecret,
        action: Action,
        time: u64,
    ) -> Result<&SignedEntry, ConsentError> {
        let entry = self.next_entry(action, time);
        self.push(SignedEntry::sign(entry, patient)?)?;
        Ok(&self.entries[self.entries.len() - 1])
    }

    /// The Merkle root of the first `size` entries.
    pub fn root(&self, size: u64) -> Result<[u8; 32], ConsentError> {
        if size > self.len() {
            return Err(ConsentError::BadCheckpoint {
                size,
                why: format!("the log has only {} entries", self.len()),
            });
        }
        Ok(tlog::tree_hash(size, &self.stored).map_err(tlog_err)?.0)
    }

    /// A signed checkpoint of the whole log: a C2SP signed note whose text is a
    /// tlog-checkpoint (origin, size, root).
    pub fn checkpoint(&self, patient: &PersonSecret) -> Result<String, ConsentError> {
        let origin = origin(&self.record);
        let cp = Checkpoint::new(&origin, self.len(), Hash(self.root(self.len())?), "").map_err(
            |_| ConsentError::BadCheckpoint {
                size: self.len(),
                why: "cannot be encoded".into(),
            },
        )?;
        if patient.person_id() != self.signer() {
            return Err(ConsentError::BadCheckpoint {
                size: self.len(),
                why: "this key does not sign the log any more (it was taken over)".into(),
            });
        }
        let vkey = verifier_key(&self.record, &patient.person_id())?;
        let verifier = StandardVerifier::new(&vkey).map_err(|e| ConsentError::BadCheckpoint {
            size: self.len(),
            why: format!("{e:?}"),
        })?;
        let id = signed_note::Verifier::key_id(&verifier);
        let signer = NoteSigner {
            name: origin,
            id,
            secret: patient,
        };
        let mut note = Note::new(&cp.to_bytes(), &[]).map_err(|e| ConsentError::BadCheckpoint {
            size: self.len(),
            why: format!("{e:?}"),
        })?;
        note.add_sigs(&[&signer])
            .map_err(|e| ConsentError::BadCheckpoint {
                size: self.len(),
                why: format!("{e:?}"),
            })?;
        String::from_utf8(note.to_bytes()).map_err(|_| ConsentError::BadCheckpoint {
            size: self.len(),
            why: "not UTF-8".into(),
        })
    }

    /// The RFC 6962 inclusion proof (audit path) of entry `index` in the tree of the first
    /// `size` entries: what a grantee needs to check that an entry it was given belongs to
    /// the log a checkpoint commits to, without seeing the other entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<[u8; 32]>, ConsentError> {
        self.whole("an inclusion proof")?;
        if size > self.len() || index >= size {
            return Err(ConsentError::BadEntry {
                index,
                why: format!("no such entry in a log of {size} entries"),
            });
        }
        Ok(tlog::prove_record(size, index, &self.stored)
            .map_err(tlog_err)?
            .into_iter()
            .map(|h| h.0)
            .collect())
    }

    /// The RFC 6962 consistency proof from the tree of the first `old` entries to the tree
    /// of the first `new` entries: proves the log only grew in between.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<[u8; 32]>, ConsentError> {
        self.whole("a consistency proof")?;
        if old == 0 || old > new || new > self.len() {
            return Err(ConsentError::BadCheckpoint {
                size: old,
                why: format!("no consistency proof from {old} to {new} entries"),
            });
        }
        Ok(tlog::prove_tree(new, old, &self.stored)
            .map_err(tlog_err)?
            .into_iter()
            .map(|h| h.0)
            .collect())
    }

    /// Checks a checkpoint's signature (the patient's key, this record's origin) and that
    /// its root is the root of this log's first `size` entries, by an RFC 6962 consistency
    /// proof from that size to the whole log. Returns the checkpoint's size.
    pub fn check_checkpoint(&self, text: &str) -> Result<u64, ConsentError> {
        self.whole("checking a checkpoint")?;
        let cp = verify_checkpoint_by(text, &self.record, &self.signers)?;
        let size = cp.size();
        let bad = |why: String| ConsentError::BadCheckpoint { size, why };
        if size > self.len() {
            return Err(bad(format!(
                "it covers more entries than the log holds ({})",
                self.len()
            )));
        }
        let full = self.len();
        let full_root = Hash(self.root(full)?);
        let proof = tlog::prove_tree(full, size, &self.stored).map_err(tlog_err)?;
        tlog::check_tree(&proof, full, full_root, size, *cp.hash()).map_err(|_| {
            bad("its root is not a prefix of this log: the history was rewritten".into())
        })?;
        Ok(size)
    }
}

/// The most hashes an inclusion or consistency proof can need (trees of up to 2^63 entries).
pub const MAX_PROOF_HASHES: usize = 128;

/// Checks that `leaf` is entry `index` of the tree that checkpoint `cp` commits to.
pub fn check_inclusion(
    cp: &Checkpoint,
    index: u64,
    leaf: &SignedEntry,
    proof: &[[u8; 32]],
) -> Result<(), ConsentError> {
    let bad = |why: &str| ConsentError::BadEntry {
        index,
        why: why.to_string(),
    };
    if proof.len() > MAX_PROOF_HASHES {
        return Err(bad("its inclusion proof is too long"));
    }
    if index >= cp.size() {
        return Err(bad("it lies beyond the checkpoint it came with"));
    }
    let proof: Vec<Hash> = proof.iter().map(|h| Hash(*h)).collect();
    tlog::check_record(&proof, cp.size(), *cp.hash(), index, Hash(leaf.leaf_hash()))
        .map_err(|_| bad("it is not in the log the checkpoint commits to (inclusion proof fails)"))
}

/// Checks that the tree of checkpoint `new` extends the tree of `old` (same origin):
/// nothing `old` committed to was removed or changed.
pub fn check_consistency(
    old: &Checkpoint,
    new: &Checkpoint,
    proof: &[[u8; 32]],
) -> Result<(), ConsentError> {
    let bad = |why: &str| ConsentError::BadCheckpoint {
        size: new.size(),
        why: why.to_string(),
    };
    if old.origin() != new.origin() {
        return Err(bad("it is the checkpoint of another log"));
    }
    if new.size() < old.size() {
        return Err(bad(
            "it covers fewer entries than one seen before: the history was rewritten",
        ));
    }
    if old.size() == 0 {
        return Ok(());
    }
    if new.size() == old.size() {
        return if new.hash() == old.hash() {
            Ok(())
        } else {
            Err(bad(
                "same size as one seen before but another root: the history was rewritten",
            ))
        };
    }
    if proof.len() > MAX_PROOF_HASHES {
        return Err(bad("its consistency proof is too long"));
    }
    let proof: Vec<Hash> = proof.iter().map(|h| Hash(*h)).collect();
    tlog::check_tree(&proof, new.size(), *new.hash(), old.size(), *old.hash()).map_err(|_| {
        bad("it does not extend the checkpoint seen before: the history was rewritten")
    })
}

/// The key in force for a checkpoint of `size` entries, given the log's signers
/// (`(first index, key)`, in order).
pub fn key_for_size(signers: &[(u64, PersonId)], size: u64) -> PersonId {
    let last = size.saturating_sub(1);
    signers
        .iter()
        .rev()
        .find(|(from, _)| *from <= last)
        .or(signers.first())
        .map(|(_, k)| *k)
        .unwrap_or(PersonId([0; 32]))
}

/// Tries `check` with each key of `signers`, newest first: the first that succeeds, with
/// the key it succeeded with, else the first error. (A checkpoint of a log that was taken
/// over may be signed by any key that signed part of it.)
pub(crate) fn by_any_signer<T>(
    signers: &[(u64, PersonId)],
    check: impl Fn(&PersonId) -> Result<T, ConsentError>,
) -> Result<(T, PersonId), ConsentError> {
    let mut first_error = None;
    let mut keys: Vec<PersonId> = signers.iter().map(|(_, k)| *k).collect();
    keys.dedup();
    for key in keys.iter().rev() {
        match check(key) {
            Ok(t) => return Ok((t, *key)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(ConsentError::BadCheckpoint {
        size: 0,
        why: "no key to check it with".into(),
    }))
}

/// Verifies a checkpoint note signed by whichever of `signers` was in force at its size
/// (a checkpoint signed by a key a takeover replaced, at a size after the takeover, is
/// refused), and parses it.
pub fn verify_checkpoint_by(
    text: &str,
    record: &RecordId,
    signers: &[(u64, PersonId)],
) -> Result<Checkpoint, ConsentError> {
    let (cp, key) = by_any_signer(signers, |key| verify_checkpoint(text, record, key))?;
    if key_for_size(signers, cp.size()) != key {
        return Err(ConsentError::BadCheckpoint {
            size: cp.size(),
            why: "it is signed by a key the patient's root replaced (a takeover after a restore): this branch is no longer the patient's".into(),
        });
    }
    Ok(cp)
}

/// Verifies a checkpoint note's signature by `patient` for `record`'s log and parses it.
pub fn verify_checkpoint(
    text: &str,
    record: &RecordId,
    patient: &PersonId,
) -> Result<Checkpoint, ConsentError> {
    let bad = |why: String| ConsentError::BadCheckpoint { size: 0, why };
    let note =
        Note::from_bytes(text.as_bytes()).map_err(|e| bad(format!("not a signed note: {e:?}")))?;
    let vkey = verifier_key(record, patient)?;
    let verifier = StandardVerifier::new(&vkey).map_err(|e| bad(format!("{e:?}")))?;
    let list = VerifierList::new(vec![Box::new(verifier)]);
    note.verify(&list)
        .map_err(|_| bad("it is not signed by this record's patient".into()))?;
    let cp = Checkpoint::from_bytes(note.text())
        .map_err(|_| bad("its text is not a tlog checkpoint".into()))?;
    if cp.origin() != origin(record) {
        return Err(bad("it is the checkpoint of another log".into()));
    }
    Ok(cp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use carnet_crypto::{IdentityCard, Role};

    fn log_of(n: u64) -> (PersonSecret, ConsentLog) {
        let patient = PersonSecret::generate().unwrap();
        let card = IdentityCard::issue(&patient, "Alice", Role::Patient, vec![], 1).unwrap();
        let record = RecordId::of_patient(&patient.person_id());
        let mut log = ConsentLog::new(record, patient.person_id());
        log.append(
            &patient,
            Action::Genesis {
                patient_card: card.to_text(),
            },
            10,
        )
        .unwrap();
        for i in 1..n {
            log.append(&patient, block(i), 10 + i).unwrap();
        }
        (patient, log)
    }

    /// Reading a log in one batch gives what reading it entry by entry gives: the same
    /// log, or the same first error (a forged signature, a broken link), whichever comes
    /// first.
    #[test]
    fn batched_reading_decides_as_one_by_one() {
        let (_, log) = log_of(60);
        let other = PersonSecret::generate().unwrap();
        let entries: Vec<SignedEntry> = log.entries().to_vec();
        let forge = |e: &SignedEntry| SignedEntry::sign(e.entry().clone(), &other).unwrap();
        let one_by_one = |list: &[SignedEntry]| -> (Result<(), String>, u64) {
            let mut l = ConsentLog::new(*log.record(), *log.patient());
            for e in list {
                if let Err(err) = l.push(e.clone()) {
                    return (Err(err.to_string()), l.len());
                }
            }
            (Ok(()), l.len())
        };
        let batched = |list: &[SignedEntry]| -> (Result<(), String>, u64) {
            let mut l = ConsentLog::new(*log.record(), *log.patient());
            let r = l.extend_verified(list.iter().cloned());
            (r.map_err(|e| e.to_string()), l.len())
        };
        let mut cases: Vec<Vec<SignedEntry>> = vec![entries.clone()];
        // A forged signature at 30.
        let mut c = entries.clone();
        c[30] = forge(&c[30]);
        cases.push(c.clone());
        // ... and a broken link further on: the signature comes first.
        c.swap(45, 46);
        cases.push(c);
        // A broken link at 20 before a forged signature at 40: the link comes first.
        let mut c = entries.clone();
        c[40] = forge(&c[40]);
        c.remove(20);
        cases.push(c);
        // A forged genesis.
        let mut c = entries.clone();
        c[0] = forge(&c[0]);
        cases.push(c);
        for (i, c) in cases.iter().enumerate() {
            let a = one_by_one(c);
            assert_eq!(batched(c), a, "case {i}");
            assert_eq!(a.0.is_ok(), i == 0, "case {i}: {a:?}");
        }
    }

    fn block(i: u64) -> Action {
        Action::Block {
            person: PersonId([i as u8; 32]),
        }
    }

    #[test]
    fn a_resumed_log_appends_and_signs_checkpoints_like_the_whole_one() {
        for n in [1, 2, 5, 8, 13] {
            let (patient, mut whole) = log_of(n);
            let tail = whole.tail().unwrap();
            assert_eq!(tail.root().unwrap(), whole.root(n).unwrap());
            let last = whole.entries().last().unwrap().clone();
            let mut resumed =
                ConsentLog::resume(*whole.record(), patient.person_id(), &tail, last).unwrap();
            assert!(!resumed.is_whole() || n == 1);
            assert_eq!(resumed.len(), n);
            for i in n..n + 9 {
                let a = whole.append(&patient, block(i), 100 + i).unwrap().clone();
                let b = resumed.append(&patient, block(i), 100 + i).unwrap().clone();
                assert_eq!(a, b, "the same entry, linked the same way");
                assert_eq!(resumed.root(i + 1).unwrap(), whole.root(i + 1).unwrap());
                assert_eq!(resumed.tail().unwrap(), whole.tail().unwrap());
            }
            assert_eq!(
                resumed.checkpoint(&patient).unwrap(),
                whole.checkpoint(&patient).unwrap()
            );
            if n > 1 {
                assert!(resumed.inclusion_proof(0, resumed.len()).is_err());
                assert!(resumed.consistency_proof(1, resumed.len()).is_err());
            }
        }
    }

    #[test]
    fn resuming_refuses_an_entry_that_is_not_the_tails_last() {
        let (patient, whole) = log_of(6);
        let tail = whole.tail().unwrap();
        let record = *whole.record();
        let before_last = whole.entries()[4].clone();
        assert!(ConsentLog::resume(record, patient.person_id(), &tail, before_last).is_err());
        let last = whole.entries()[5].clone();
        let stranger = PersonSecret::generate().unwrap().person_id();
        assert!(ConsentLog::resume(record, stranger, &tail, last.clone()).is_err());
        let mut short = tail.clone();
        short.frontier.pop();
        assert!(ConsentLog::resume(record, patient.person_id(), &short, last).is_err());
    }

    #[test]
    fn restoring_binds_every_stored_entry_to_the_tail_root() {
        let (patient, mut whole) = log_of(9);
        let tail = whole.tail().unwrap();
        let record = *whole.record();
        let me = patient.person_id();
        let back = ConsentLog::restore(record, me, whole.entries().to_vec(), &tail).unwrap();
        assert!(back.is_whole());
        assert_eq!(back.root(9).unwrap(), whole.root(9).unwrap());

        // An entry whose signature was altered still decodes: the root catches it.
        let mut bytes = whole.entries()[3].as_bytes().to_vec();
        let n = bytes.len();
        bytes[n - 1] ^= 1;
        let mut altered = whole.entries().to_vec();
        altered[3] = SignedEntry::from_bytes(&bytes).unwrap();
        assert!(ConsentLog::restore(record, me, altered, &tail).is_err());
        // Removed entries are noticed.
        let short = whole.entries()[..8].to_vec();
        assert!(ConsentLog::restore(record, me, short, &tail).is_err());

        // Entries written after the tail are verified one by one.
        whole.append(&patient, block(40), 500).unwrap();
        let mut later = whole.entries().to_vec();
        assert!(ConsentLog::restore(record, me, later.clone(), &tail).is_ok());
        let mut bytes = later[9].as_bytes().to_vec();
        let n = bytes.len();
        bytes[n - 1] ^= 1;
        later[9] = SignedEntry::from_bytes(&bytes).unwrap();
        assert!(ConsentLog::restore(record, me, later, &tail).is_err());
    }
}
