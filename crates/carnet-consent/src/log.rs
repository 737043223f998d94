//! The log itself: an append-only list of signed entries, hash-linked, and an RFC 6962
//! Merkle tree over them with signed checkpoints in the C2SP tlog-checkpoint format.

use carnet_crypto::{PersonId, PersonSecret, RecordId};
use signed_note::{Note, StandardVerifier, VerifierList};
use tlog_tiles::checkpoint::Checkpoint;
use tlog_tiles::tlog::{self, Hash, HashReader};

use crate::{Action, ConsentError, Entry, SignedEntry};

/// The checkpoint origin (and note key name) of a record's log.
pub fn origin(record: &RecordId) -> String {
    format!("carnet-consent/{record}")
}

/// Every stored hash of the tree, in tlog's storage order.
#[derive(Clone, Debug, Default)]
struct Stored(Vec<Hash>);

impl HashReader for Stored {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.0
                    .get(i as usize)
                    .copied()
                    .ok_or(tlog::Error::IndexesNotInTree)
            })
            .collect()
    }
}

/// A record's consent log.
#[derive(Clone, Debug)]
pub struct ConsentLog {
    record: RecordId,
    patient: PersonId,
    entries: Vec<SignedEntry>,
    stored: Stored,
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
            stored: Stored::default(),
        }
    }

    /// The record.
    pub fn record(&self) -> &RecordId {
        &self.record
    }

    /// The patient whose key signs every entry.
    pub fn patient(&self) -> &PersonId {
        &self.patient
    }

    /// Number of entries.
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[SignedEntry] {
        &self.entries
    }

    /// Appends an already signed entry after checking that it continues the log: right
    /// record, next index, links to the previous entry, time not going back, signed by the
    /// patient, genesis first and only first.
    pub fn push(&mut self, signed: SignedEntry) -> Result<(), ConsentError> {
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
        signed.verify(&self.patient)?;
        let new = tlog::stored_hashes(index, signed.as_bytes(), &self.stored).map_err(tlog_err)?;
        self.stored.0.extend(new);
        self.entries.push(signed);
        Ok(())
    }

    /// Signs and appends a new entry as the patient.
    pub fn append(
        &mut self,
        patient: &PersonSecret,
        action: Action,
        time: u64,
    ) -> Result<&SignedEntry, ConsentError> {
        let time = self
            .entries
            .last()
            .map_or(time, |l| time.max(l.entry().time));
        let entry = Entry {
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
        };
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
        let cp = verify_checkpoint(text, &self.record, &self.patient)?;
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
