//! A grantee's view of a patient's consent log: only the entries that concern them, each
//! checked (the patient's signature, inclusion in a checkpoint the patient signed), and
//! what follows from them: which grants they hold, and whether each is still in force.
//!
//! A grantee never receives the whole log: it would tell one clinician who else the patient
//! sees. Inclusion proofs let them check what they were given without the rest, and
//! consistency proofs between successive checkpoints show the patient never rewrote the
//! part of history they saw.

use std::collections::{BTreeMap, BTreeSet};

use carnet_crypto::{DeviceId, IdentityCard, PersonId, RecordId, RootKey};
use tlog_tiles::checkpoint::Checkpoint;

use crate::log::{check_consistency, check_inclusion, key_for_size, verify_checkpoint};
use crate::{Access, Action, ConsentError, ConsentLog, GrantId, SignedEntry};

/// A grant made to the viewer, as the entries they hold show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldGrant {
    /// The grant's id.
    pub id: GrantId,
    /// Read or write.
    pub access: Access,
    /// Valid from (Unix seconds).
    pub not_before: u64,
    /// Valid until (Unix seconds).
    pub not_after: Option<u64>,
    /// A `Revoke` entry ended it.
    pub revoked: bool,
    /// The patient blocked the grantee.
    pub blocked: bool,
}

impl HeldGrant {
    /// Whether it is in force at `now`.
    pub fn active(&self, now: u64) -> bool {
        !self.revoked
            && !self.blocked
            && now >= self.not_before
            && self.not_after.is_none_or(|t| now <= t)
    }
}

/// The entries of one patient's log that a grantee holds, and the newest checkpoint.
#[derive(Clone, Debug)]
pub struct SharedView {
    record: RecordId,
    patient: PersonId,
    /// Shared, not copied, by a clone (a vault keeps a view between batches of a sync).
    checkpoint: Option<(std::sync::Arc<Checkpoint>, String)>,
    entries: BTreeMap<u64, SignedEntry>,
    /// `(first index signed, key)`: the patient's key, then each takeover's.
    signers: Vec<(u64, PersonId)>,
    root: Option<RootKey>,
    /// A takeover received (with its inclusion proof) before the checkpoint its key signs.
    staged: Option<(SignedEntry, Vec<[u8; 32]>)>,
    /// The root declaration it rests on, when this view held none (a record made before
    /// roots, declared at its restore), with its inclusion proof under that checkpoint.
    staged_root: Option<(SignedEntry, Vec<[u8; 32]>)>,
}

/// What taking a checkpoint changed ([`SharedView::update_checkpoint`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckpointUpdate {
    /// It is newer than the one held.
    pub newer: bool,
    /// A takeover (entry bytes) was taken with it: its key signs the log from now on.
    pub takeover: Option<Vec<u8>>,
    /// The root declaration it rests on (entry bytes), when the view held none before.
    pub root_declared: Option<Vec<u8>>,
    /// The branch held before, which the root-endorsed takeover replaced: its checkpoint
    /// (text) and the index from which the entries held of it were dropped.
    pub superseded: Option<(String, u64)>,
}

impl SharedView {
    /// An empty view of `record`'s log, whose entries `patient` signs.
    pub fn new(record: RecordId, patient: PersonId) -> Self {
        SharedView {
            record,
            patient,
            checkpoint: None,
            entries: BTreeMap::new(),
            signers: vec![(0, patient)],
            root: None,
            staged: None,
            staged_root: None,
        }
    }

    /// The key that signs the patient's log now (theirs, or the last takeover's).
    pub fn signer(&self) -> PersonId {
        self.signers.last().map_or(self.patient, |(_, k)| *k)
    }

    /// The patient whose log this is.
    pub fn patient(&self) -> PersonId {
        self.patient
    }

    /// Every key that signed the log, from the index of the first entry it signed.
    pub fn signers(&self) -> &[(u64, PersonId)] {
        &self.signers
    }

    fn key_at(&self, index: u64) -> PersonId {
        key_for_size(&self.signers, index + 1)
    }

    /// Rebuilds a view from what a vault stored: the newest checkpoint and the entries,
    /// every signature checked again (inclusion was checked when they arrived).
    pub fn restore(
        record: RecordId,
        patient: PersonId,
        checkpoint: Option<&str>,
        entries: impl IntoIterator<Item = Vec<u8>>,
    ) -> Result<Self, ConsentError> {
        SharedView::new(record, patient).restore_more(entries, checkpoint)
    }

    /// Continues a view restored from the first entries held of a log with those held
    /// after them (every index above the highest this view holds) and the checkpoint held
    /// now: the view [`SharedView::restore`] gives of the whole, without checking the
    /// first entries again. What a receiver reaches for between the batches of a sync,
    /// each of which may add an entry to a log of thousands.
    pub fn restore_more(
        mut self,
        entries: impl IntoIterator<Item = Vec<u8>>,
        checkpoint: Option<&str>,
    ) -> Result<Self, ConsentError> {
        // In index order: a takeover changes who signs what follows it.
        let mut held: Vec<SignedEntry> = entries
            .into_iter()
            .map(|b| SignedEntry::from_bytes(&b))
            .collect::<Result<_, _>>()?;
        held.sort_by_key(|e| e.entry().index);
        let after = self.entries.last_key_value().map(|(i, _)| *i);
        if let (Some(first), Some(after)) = (held.first(), after) {
            let index = first.entry().index;
            if index <= after {
                return Err(ConsentError::BadEntry {
                    index,
                    why: format!("it does not follow the entries held (up to {after})"),
                });
            }
        }
        for e in held {
            let e = self.check_entry(e.as_bytes())?;
            self.insert(e);
        }
        self.staged = None;
        self.staged_root = None;
        self.checkpoint = match checkpoint {
            Some(text) => {
                let cp = crate::log::verify_checkpoint_by(text, &self.record, &self.signers)?;
                Some((std::sync::Arc::new(cp), text.to_string()))
            }
            None => None,
        };
        Ok(self)
    }

    fn insert(&mut self, e: SignedEntry) {
        match &e.entry().action {
            Action::RootDeclared { root, .. } => self.root = Some(*root),
            Action::Takeover { key, .. } => {
                let index = e.entry().index;
                if !self.signers.iter().any(|(i, _)| *i == index) {
                    self.signers.push((index, *key));
                    self.signers.sort_by_key(|(i, _)| *i);
                }
            }
            _ => {}
        }
        self.entries.insert(e.entry().index, e);
    }

    /// Takes a takeover that comes before the checkpoint its new key signed, with its
    /// inclusion proof under that checkpoint: checked now (the root the view holds endorses
    /// it, its own signature), kept until the checkpoint arrives. Returns `false` when the
    /// view already holds it.
    ///
    /// A root declaration may come first, for a view that holds none (a record made before
    /// roots, whose restore declared it): checked as any entry is (the key in force at its
    /// index, the root's own proof), the takeover is checked against it, and it must be in
    /// the same checkpoint as the takeover.
    pub fn stage_takeover(
        &mut self,
        bytes: &[u8],
        proof: &[[u8; 32]],
    ) -> Result<bool, ConsentError> {
        let e = SignedEntry::from_bytes(bytes)?;
        let index = e.entry().index;
        if self
            .entries
            .get(&index)
            .is_some_and(|h| h.as_bytes() == bytes)
        {
            return Ok(false);
        }
        if let Action::RootDeclared { .. } = &e.entry().action {
            if self.root.is_some() {
                // Held already (its entry is checked against the held one on arrival).
                return Ok(false);
            }
            if e.entry().record != self.record {
                return Err(ConsentError::BadEntry {
                    index,
                    why: "it belongs to another record's log".into(),
                });
            }
            e.verify(&self.key_at(index))?;
            e.entry()
                .action
                .checked_root(&self.record, &self.patient, index)?;
            self.staged_root = Some((e, proof.to_vec()));
            return Ok(true);
        }
        let staged_root = self
            .staged_root
            .as_ref()
            .and_then(|(r, _)| match &r.entry().action {
                Action::RootDeclared { root, .. } if r.entry().index < index => Some(*root),
                _ => None,
            });
        let root = self
            .root
            .or(staged_root)
            .ok_or_else(|| ConsentError::BadEntry {
                index,
                why: "takeover: you hold no root key of this patient to check it with".into(),
            })?;
        e.check_takeover(&self.record, &root)?;
        self.staged = Some((e, proof.to_vec()));
        Ok(true)
    }

    /// The record.
    pub fn record(&self) -> &RecordId {
        &self.record
    }

    /// The number of entries the newest checkpoint covers (0 before any).
    pub fn checkpoint_size(&self) -> u64 {
        self.checkpoint.as_ref().map_or(0, |(c, _)| c.size())
    }

    /// The newest checkpoint's signed note.
    pub fn checkpoint_text(&self) -> Option<&str> {
        self.checkpoint.as_ref().map(|(_, t)| t.as_str())
    }

    /// Takes a checkpoint: it must be signed by the patient for this record, and extend
    /// the one held before (consistency proof from its size). Returns whether it is newer
    /// than the one held.
    ///
    /// A checkpoint signed by the key of a takeover staged just before
    /// ([`SharedView::stage_takeover`]) is taken on the root's authority: if the view held
    /// a longer branch than the one the takeover continues (a stale backup restored, or a
    /// stolen device that kept writing), that branch's entries from the takeover's index on
    /// are dropped and the update says so ([`CheckpointUpdate::superseded`]), instead of
    /// refusing the patient for ever. A checkpoint signed by a key a takeover replaced is
    /// refused.
    pub fn update_checkpoint(
        &mut self,
        text: &str,
        consistency: &[[u8; 32]],
    ) -> Result<CheckpointUpdate, ConsentError> {
        let current = self.signer();
        let cp = match verify_checkpoint(text, &self.record, &current) {
            Ok(cp) => cp,
            Err(e) => {
                if self.staged.is_some() {
                    return self.take_over(text, consistency);
                }
                if self.signers.len() > 1
                    && self.signers[..self.signers.len() - 1]
                        .iter()
                        .any(|(_, k)| verify_checkpoint(text, &self.record, k).is_ok())
                {
                    return Err(ConsentError::BadCheckpoint {
                        size: 0,
                        why: "it is signed by a key the patient's root replaced when their record was restored: it comes from a superseded device".into(),
                    });
                }
                return Err(e);
            }
        };
        if key_for_size(&self.signers, cp.size()) != current {
            return Err(ConsentError::BadCheckpoint {
                size: cp.size(),
                why: "it covers fewer entries than the patient's takeover".into(),
            });
        }
        if let Some((old, _)) = &self.checkpoint {
            check_consistency(old, &cp, consistency)?;
            if cp.size() == old.size() {
                return Ok(CheckpointUpdate::default());
            }
        }
        self.checkpoint = Some((std::sync::Arc::new(cp), text.to_string()));
        Ok(CheckpointUpdate {
            newer: true,
            ..CheckpointUpdate::default()
        })
    }

    fn take_over(
        &mut self,
        text: &str,
        consistency: &[[u8; 32]],
    ) -> Result<CheckpointUpdate, ConsentError> {
        let (staged, proof) = self.staged.take().ok_or(ConsentError::BadCheckpoint {
            size: 0,
            why: "no takeover to check it with".into(),
        })?;
        let Action::Takeover { key, .. } = &staged.entry().action else {
            return Err(ConsentError::BadCheckpoint {
                size: 0,
                why: "no takeover to check it with".into(),
            });
        };
        let at = staged.entry().index;
        let cp = verify_checkpoint(text, &self.record, key)?;
        if cp.size() <= at {
            return Err(ConsentError::BadCheckpoint {
                size: cp.size(),
                why: "it does not cover the takeover its key comes from".into(),
            });
        }
        check_inclusion(&cp, at, &staged, &proof)?;
        let staged_root = self.staged_root.take();
        if let Some((r, r_proof)) = &staged_root {
            check_inclusion(&cp, r.entry().index, r, r_proof)?;
        }
        // Where the restored branch leaves the one held: at the root declaration its restore
        // made (a record made before roots), else at the takeover.
        let at = staged_root.as_ref().map_or(at, |(r, _)| r.entry().index);
        let mut superseded = None;
        match &self.checkpoint {
            Some((old, old_text)) if old.size() > at => {
                // Another branch went on past the point the root's takeover continues from:
                // the root decides; what the view held of the other branch goes.
                superseded = Some((old_text.clone(), at));
                self.entries.retain(|i, _| *i < at);
                self.signers.retain(|(i, _)| *i < at);
            }
            Some((old, _)) => check_consistency(old, &cp, consistency)?,
            None => {}
        }
        let bytes = staged.as_bytes().to_vec();
        let root_declared = staged_root.as_ref().map(|(r, _)| r.as_bytes().to_vec());
        if let Some((r, _)) = staged_root {
            self.insert(r);
        }
        self.insert(staged);
        self.checkpoint = Some((std::sync::Arc::new(cp), text.to_string()));
        Ok(CheckpointUpdate {
            newer: true,
            takeover: Some(bytes),
            root_declared,
            superseded,
        })
    }

    fn check_entry(&self, bytes: &[u8]) -> Result<SignedEntry, ConsentError> {
        let e = SignedEntry::from_bytes(bytes)?;
        let index = e.entry().index;
        if e.entry().record != self.record {
            return Err(ConsentError::BadEntry {
                index,
                why: "it belongs to another record's log".into(),
            });
        }
        match &e.entry().action {
            Action::Takeover { .. } => {
                let root = self.root.ok_or_else(|| ConsentError::BadEntry {
                    index,
                    why: "takeover: you hold no root key of this patient to check it with".into(),
                })?;
                e.check_takeover(&self.record, &root)?;
            }
            Action::RootDeclared { root, .. } => {
                e.verify(&self.key_at(index))?;
                e.entry()
                    .action
                    .checked_root(&self.record, &self.patient, index)?;
                if self.root.is_some_and(|r| r != *root) {
                    return Err(ConsentError::BadEntry {
                        index,
                        why: "root declared: another root key was declared before".into(),
                    });
                }
            }
            _ => e.verify(&self.key_at(index))?,
        }
        if let Action::Genesis { patient_card } = &e.entry().action {
            let card =
                IdentityCard::from_text(patient_card).map_err(|x| ConsentError::BadEntry {
                    index,
                    why: format!("its patient card: {x}"),
                })?;
            if card.person_id() != self.patient || index != 0 {
                return Err(ConsentError::BadEntry {
                    index,
                    why: "the genesis does not name this record's patient".into(),
                });
            }
        }
        Ok(e)
    }

    /// Takes an entry with its inclusion proof under the newest checkpoint. Returns
    /// `false` when the entry was already held (the same bytes).
    pub fn add_entry(&mut self, bytes: &[u8], proof: &[[u8; 32]]) -> Result<bool, ConsentError> {
        let e = self.check_entry(bytes)?;
        let index = e.entry().index;
        let (cp, _) = self.checkpoint.as_ref().ok_or(ConsentError::BadEntry {
            index,
            why: "it came without a checkpoint to check it against".into(),
        })?;
        check_inclusion(cp, index, &e, proof)?;
        if let Some(held) = self.entries.get(&index) {
            return if held.as_bytes() == bytes {
                Ok(false)
            } else {
                Err(ConsentError::BadEntry {
                    index,
                    why:
                        "another entry was seen at this position before: the history was rewritten"
                            .into(),
                })
            };
        }
        self.insert(e);
        Ok(true)
    }

    /// The entries held, by index.
    pub fn entries(&self) -> impl Iterator<Item = &SignedEntry> {
        self.entries.values()
    }

    /// The patient's card, from the genesis entry.
    pub fn patient_card(&self) -> Option<IdentityCard> {
        match &self.entries.get(&0)?.entry().action {
            Action::Genesis { patient_card } => IdentityCard::from_text(patient_card).ok(),
            _ => None,
        }
    }

    /// The patient's devices that were removed (device, endpoint key): nothing from them is
    /// trusted any more.
    pub fn removed_devices(&self) -> Vec<(DeviceId, [u8; 32])> {
        self.entries
            .values()
            .filter_map(|e| match &e.entry().action {
                Action::DeviceRemoved { device, endpoint }
                | Action::DeviceRetired {
                    device, endpoint, ..
                } => Some((*device, *endpoint)),
                _ => None,
            })
            .collect()
    }

    /// The grants made to `person` and their state, as far as the entries held show.
    pub fn grants_to(&self, person: &PersonId) -> Vec<HeldGrant> {
        let mut out: Vec<HeldGrant> = Vec::new();
        let mut blocked = false;
        for e in self.entries.values() {
            match &e.entry().action {
                Action::Grant {
                    grant,
                    grantee,
                    access,
                    not_before,
                    not_after,
                    ..
                } if grantee == person => out.push(HeldGrant {
                    id: *grant,
                    access: *access,
                    not_before: *not_before,
                    not_after: *not_after,
                    revoked: false,
                    blocked,
                }),
                Action::Revoke { grant } => {
                    if let Some(g) = out.iter_mut().find(|g| g.id == *grant) {
                        g.revoked = true;
                    }
                }
                Action::Block { person: p } if p == person => {
                    blocked = true;
                    for g in &mut out {
                        g.blocked = true;
                    }
                }
                _ => {}
            }
        }
        out
    }
}

impl ConsentLog {
    /// The entries a grantee is given: the genesis, and every entry about them (their
    /// grants and the revokes of those, a block of them, keys delivered to them, changes
    /// served to them or received from them). Never another grantee's entries.
    pub fn concerning(&self, person: &PersonId) -> Vec<&SignedEntry> {
        let mut theirs: BTreeSet<GrantId> = BTreeSet::new();
        let mut out = Vec::new();
        for s in self.entries() {
            let about = match &s.entry().action {
                Action::Genesis { .. } => true,
                Action::Grant { grant, grantee, .. } => {
                    if grantee == person {
                        theirs.insert(*grant);
                    }
                    grantee == person
                }
                Action::Revoke { grant } => theirs.contains(grant),
                Action::Block { person: p } => p == person,
                Action::EpochRotation { .. } => false,
                Action::KeyDelivery { grantee, .. } => grantee == person,
                Action::Served { to, .. }
                | Action::Written { to, .. }
                | Action::Deposited { to, .. } => to == person,
                Action::Received { from, ranges } => {
                    from == person || ranges.iter().any(|r| r.author == *person)
                }
                // Every grantee must know which of the patient's devices to trust.
                Action::DeviceAdded { .. }
                | Action::DeviceRemoved { .. }
                | Action::DeviceCertified { .. }
                | Action::DeviceRetired { .. } => true,
                // Every grantee must know the root and who signs the log now.
                Action::RootDeclared { .. } | Action::Takeover { .. } => true,
            };
            if about {
                out.push(s);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SectionTag;
    use carnet_crypto::{PersonSecret, Role};

    struct World {
        patient: PersonSecret,
        doctor: PersonSecret,
        other: PersonSecret,
        log: ConsentLog,
        grant: GrantId,
    }

    fn world() -> World {
        let patient = PersonSecret::generate().unwrap();
        let doctor = PersonSecret::generate().unwrap();
        let other = PersonSecret::generate().unwrap();
        let card = IdentityCard::issue(&patient, "Alice", Role::Patient, vec![], 1).unwrap();
        let record = RecordId::of_patient(&patient.person_id());
        let mut log = ConsentLog::new(record, patient.person_id());
        log.append(
            &patient,
            Action::Genesis {
                patient_card: card.to_text(),
            },
            1,
        )
        .unwrap();
        let grant = GrantId::random().unwrap();
        for (who, g) in [(&doctor, grant), (&other, GrantId::random().unwrap())] {
            let c = IdentityCard::issue(who, "Dr", Role::Clinician, vec![], 1).unwrap();
            log.append(
                &patient,
                Action::Grant {
                    grant: g,
                    grantee: who.person_id(),
                    grantee_card: c.to_text(),
                    sections: vec![SectionTag([1; 16])],
                    access: Access::Write,
                    purpose: [0; 16],
                    not_before: 1,
                    not_after: None,
                },
                2,
            )
            .unwrap();
        }
        World {
            patient,
            doctor,
            other,
            log,
            grant,
        }
    }

    fn give(view: &mut SharedView, log: &ConsentLog, patient: &PersonSecret, who: &PersonId) {
        let cp = log.checkpoint(patient).unwrap();
        let proof = if view.checkpoint_size() > 0 {
            log.consistency_proof(view.checkpoint_size(), log.len())
                .unwrap()
        } else {
            Vec::new()
        };
        view.update_checkpoint(&cp, &proof).unwrap();
        for e in log.concerning(who) {
            let p = log.inclusion_proof(e.entry().index, log.len()).unwrap();
            view.add_entry(e.as_bytes(), &p).unwrap();
        }
    }

    #[test]
    fn a_grantee_sees_only_its_own_entries_and_checks_each() {
        let mut w = world();
        let me = w.doctor.person_id();
        let concerning = w.log.concerning(&me);
        assert_eq!(
            concerning.len(),
            2,
            "the genesis and my grant, not the other's"
        );
        let mut view = SharedView::new(*w.log.record(), w.patient.person_id());
        give(&mut view, &w.log, &w.patient, &me);
        assert_eq!(view.patient_card().unwrap().name(), "Alice");
        let g = view.grants_to(&me);
        assert_eq!(g.len(), 1);
        assert!(g[0].active(5));

        w.log
            .append(&w.patient, Action::Revoke { grant: w.grant }, 3)
            .unwrap();
        give(&mut view, &w.log, &w.patient, &me);
        assert!(view.grants_to(&me)[0].revoked);
        assert!(!view.grants_to(&me)[0].active(5));
        assert!(view.grants_to(&w.other.person_id()).is_empty());
    }

    #[test]
    fn forged_misplaced_and_rewritten_entries_are_refused() {
        let w = world();
        let me = w.doctor.person_id();
        let mut view = SharedView::new(*w.log.record(), w.patient.person_id());
        let cp = w.log.checkpoint(&w.patient).unwrap();
        view.update_checkpoint(&cp, &[]).unwrap();
        let e = w.log.concerning(&me)[1];
        let proof = w.log.inclusion_proof(e.entry().index, w.log.len()).unwrap();
        // A wrong proof.
        let mut bad = proof.clone();
        bad[0][0] ^= 1;
        assert!(view.add_entry(e.as_bytes(), &bad).is_err());
        // A flipped bit in the entry.
        let mut b = e.as_bytes().to_vec();
        let last = b.len() - 1;
        b[last] ^= 1;
        assert!(view.add_entry(&b, &proof).is_err());
        // An entry signed by someone else, even with a valid-looking position.
        let mut forged_log = ConsentLog::new(*w.log.record(), w.doctor.person_id());
        let forged = forged_log
            .append(
                &w.doctor,
                Action::Genesis {
                    patient_card: "x".into(),
                },
                1,
            )
            .unwrap()
            .clone();
        assert!(view.add_entry(forged.as_bytes(), &[]).is_err());
        // A checkpoint not signed by the patient.
        let mut other_log = ConsentLog::new(*w.log.record(), w.doctor.person_id());
        other_log
            .append(
                &w.doctor,
                Action::Genesis {
                    patient_card: "x".into(),
                },
                1,
            )
            .unwrap();
        assert!(
            view.update_checkpoint(&other_log.checkpoint(&w.doctor).unwrap(), &[])
                .is_err()
        );
        // A genuine entry is taken once.
        assert!(view.add_entry(e.as_bytes(), &proof).unwrap());
        assert!(!view.add_entry(e.as_bytes(), &proof).unwrap());
    }

    #[test]
    fn a_shrunk_or_forked_log_is_detected_by_consistency() {
        let mut w = world();
        let me = w.doctor.person_id();
        let mut view = SharedView::new(*w.log.record(), w.patient.person_id());
        give(&mut view, &w.log, &w.patient, &me);
        // A fork: the patient rebuilds the log without the second grant, then grows it.
        let mut fork = ConsentLog::new(*w.log.record(), w.patient.person_id());
        for e in w.log.entries().iter().take(2) {
            fork.push(e.clone()).unwrap();
        }
        fork.append(&w.patient, Action::Revoke { grant: w.grant }, 3)
            .unwrap();
        fork.append(&w.patient, Action::Block { person: me }, 3)
            .unwrap();
        let cp = fork.checkpoint(&w.patient).unwrap();
        let proof = fork.consistency_proof(3, fork.len()).unwrap();
        let err = view.update_checkpoint(&cp, &proof).unwrap_err();
        assert!(err.to_string().contains("rewritten"), "{err}");
        // A shorter log.
        let mut short = ConsentLog::new(*w.log.record(), w.patient.person_id());
        short.push(w.log.entries()[0].clone()).unwrap();
        let err = view
            .update_checkpoint(&short.checkpoint(&w.patient).unwrap(), &[])
            .unwrap_err();
        assert!(err.to_string().contains("fewer entries"), "{err}");
        // The genuine continuation is accepted.
        w.log
            .append(&w.patient, Action::Revoke { grant: w.grant }, 3)
            .unwrap();
        give(&mut view, &w.log, &w.patient, &me);
        assert_eq!(view.checkpoint_size(), w.log.len());
    }
}

#[cfg(test)]
mod takeover_tests {
    //! A restore takes the log over with the root's endorsement; the key it replaced
    //! (what a thief of the old primary holds) is refused everywhere from then on.
    use super::*;
    use crate::{AuditExport, Branch, Cosigned, Pins, WitnessNote, verify_with};
    use carnet_crypto::{PersonSecret, RecoveryPhrase, Role, RootSecret};

    struct Setup {
        patient: PersonSecret,
        root: RootSecret,
        card: IdentityCard,
        log: ConsentLog,
    }

    fn block(log: &mut ConsentLog, key: &PersonSecret, i: u64) {
        let person = PersonSecret::generate().unwrap().person_id();
        log.append(key, Action::Block { person }, 100 + i).unwrap();
    }

    fn setup(entries: u64) -> Setup {
        let patient = PersonSecret::generate().unwrap();
        let root = RecoveryPhrase::generate().unwrap().key().unwrap().root();
        let card = IdentityCard::issue(&patient, "Alice", Role::Patient, vec![], 1).unwrap();
        let record = RecordId::of_patient(&patient.person_id());
        let mut log = ConsentLog::new(record, patient.person_id());
        log.append(
            &patient,
            Action::Genesis {
                patient_card: card.to_text(),
            },
            1,
        )
        .unwrap();
        log.append_root(&patient, &root, 2).unwrap();
        for i in 2..entries {
            block(&mut log, &patient, i);
        }
        Setup {
            patient,
            root,
            card,
            log,
        }
    }

    /// A view holding every entry of `log` and its checkpoint.
    fn view_of(log: &ConsentLog, key: &PersonSecret) -> SharedView {
        let mut v = SharedView::new(*log.record(), *log.patient());
        v.update_checkpoint(&log.checkpoint(key).unwrap(), &[])
            .unwrap();
        for e in log.entries() {
            let proof = log.inclusion_proof(e.entry().index, log.len()).unwrap();
            v.add_entry(e.as_bytes(), &proof).unwrap();
        }
        v
    }

    #[test]
    fn the_log_follows_the_takeover_and_refuses_the_replaced_key() {
        let mut s = setup(5);
        let new_key = PersonSecret::generate().unwrap();
        let device = carnet_crypto::DeviceId::random().unwrap();
        let before = s.log.clone();
        s.log
            .append_takeover(&s.root, &new_key, device, [7; 32], [8; 32], None, 200)
            .unwrap();
        assert_eq!(s.log.signer(), new_key.person_id());
        block(&mut s.log, &new_key, 9);
        // The replaced key can neither append nor sign a checkpoint.
        let mut forged = s.log.clone();
        let p = PersonSecret::generate().unwrap().person_id();
        let err = forged
            .append(&s.patient, Action::Block { person: p }, 300)
            .unwrap_err();
        assert!(err.to_string().contains("signature"), "{err}");
        assert!(s.log.checkpoint(&s.patient).is_err());
        // The whole log reads back and its checkpoint checks.
        let mut again = ConsentLog::new(*s.log.record(), *s.log.patient());
        for e in s.log.entries() {
            again.push(e.clone()).unwrap();
        }
        let cp = again.checkpoint(&new_key).unwrap();
        assert_eq!(again.check_checkpoint(&cp).unwrap(), again.len());
        // The old checkpoint (before the takeover) still checks under the old key.
        let old_cp = before.checkpoint(&s.patient).unwrap();
        assert_eq!(again.check_checkpoint(&old_cp).unwrap(), before.len());

        // A takeover endorsed by another root (a thief makes his own) is refused.
        let thief_root = RecoveryPhrase::generate().unwrap().key().unwrap().root();
        let mut stolen = before.clone();
        let err = stolen
            .append_takeover(&thief_root, &new_key, device, [7; 32], [8; 32], None, 200)
            .unwrap_err();
        assert!(err.to_string().contains("root"), "{err}");
        assert_eq!(stolen.len(), before.len());
        // A second root declaration is refused too.
        let err = stolen
            .append_root(&s.patient, &thief_root, 300)
            .unwrap_err();
        assert!(err.to_string().contains("second root"), "{err}");
        // A log without a root cannot be taken over.
        let bare = setup(1);
        let mut no_root = ConsentLog::new(*bare.log.record(), *bare.log.patient());
        no_root.push(bare.log.entries()[0].clone()).unwrap();
        assert!(
            no_root
                .append_takeover(&bare.root, &new_key, device, [7; 32], [8; 32], None, 5)
                .is_err()
        );
    }

    /// A root declaration is an entry like any other: signed by the key in force. One
    /// signed by someone else (with a valid proof of their own root) is refused, read one
    /// by one or in a batch.
    #[test]
    fn a_root_declaration_signed_by_someone_else_is_refused() {
        let patient = PersonSecret::generate().unwrap();
        let other = PersonSecret::generate().unwrap();
        let root = RecoveryPhrase::generate().unwrap().key().unwrap().root();
        let card = IdentityCard::issue(&patient, "Alice", Role::Patient, vec![], 1).unwrap();
        let record = RecordId::of_patient(&patient.person_id());
        let mut log = ConsentLog::new(record, patient.person_id());
        log.append(
            &patient,
            Action::Genesis {
                patient_card: card.to_text(),
            },
            1,
        )
        .unwrap();
        let forged = SignedEntry::sign(
            crate::Entry {
                version: 1,
                record,
                index: 1,
                prev: log.entries()[0].leaf_hash(),
                time: 2,
                action: Action::declare_root(&record, &patient.person_id(), &root),
            },
            &other,
        )
        .unwrap();
        let mut one = log.clone();
        assert!(one.push(forged.clone()).is_err());
        assert_eq!(one.root_key(), None);
        let mut batch = ConsentLog::new(record, patient.person_id());
        assert!(
            batch
                .extend_verified(vec![log.entries()[0].clone(), forged])
                .is_err()
        );
        assert_eq!(batch.root_key(), None);
    }

    #[test]
    fn a_grantee_follows_the_roots_branch_and_then_refuses_the_old_key() {
        let s = setup(6);
        // The backup was taken at 6 entries; the old primary (now a thief's) went on to 9.
        let backup = s.log.clone();
        let mut thief = s.log.clone();
        for i in 0..3 {
            block(&mut thief, &s.patient, 20 + i);
        }
        let mut view = view_of(&thief, &s.patient);
        assert_eq!(view.checkpoint_size(), 9);

        // The restore takes over from the backup, naming the branch it learned.
        let mut restored = backup.clone();
        let new_key = PersonSecret::generate().unwrap();
        let forked = Branch {
            size: 9,
            root: thief.root(9).unwrap(),
        };
        let device = carnet_crypto::DeviceId::random().unwrap();
        let t = restored
            .append_takeover(
                &s.root,
                &new_key,
                device,
                [1; 32],
                [2; 32],
                Some(forked),
                300,
            )
            .unwrap()
            .clone();
        block(&mut restored, &new_key, 40);
        let cp = restored.checkpoint(&new_key).unwrap();

        // Without the takeover, the new checkpoint is refused (no way to check it).
        assert!(view.update_checkpoint(&cp, &[]).is_err());
        let proof = restored
            .inclusion_proof(t.entry().index, restored.len())
            .unwrap();
        // A takeover whose proof is for another position is refused at the checkpoint.
        let mut bad_view = view_of(&thief, &s.patient);
        bad_view.stage_takeover(t.as_bytes(), &proof[1..]).unwrap();
        assert!(bad_view.update_checkpoint(&cp, &[]).is_err());

        assert!(view.stage_takeover(t.as_bytes(), &proof).unwrap());
        let up = view.update_checkpoint(&cp, &[]).unwrap();
        assert!(up.newer);
        let (old_text, from) = up.superseded.expect("the thief's branch was superseded");
        assert_eq!(from, 6);
        assert!(old_text.contains("\n9\n"), "{old_text}");
        assert!(view.entries().all(|e| e.entry().index < 7));
        assert_eq!(view.signer(), new_key.person_id());
        // The restored branch's entries now come in as usual.
        let last = restored.entries().last().unwrap();
        let proof = restored
            .inclusion_proof(last.entry().index, restored.len())
            .unwrap();
        assert!(view.add_entry(last.as_bytes(), &proof).unwrap());

        // The thief goes on: his checkpoint and entries are refused from now on.
        block(&mut thief, &s.patient, 50);
        let err = view
            .update_checkpoint(&thief.checkpoint(&s.patient).unwrap(), &[])
            .unwrap_err();
        assert!(err.to_string().contains("replaced"), "{err}");
        assert_eq!(view.checkpoint_size(), restored.len());

        // The view reads back from what a vault stores.
        let again = SharedView::restore(
            *restored.record(),
            *restored.patient(),
            view.checkpoint_text(),
            view.entries()
                .map(|e| e.as_bytes().to_vec())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(again.signer(), new_key.person_id());
        // Read in two parts, on either side of the takeover: the same view (a vault keeps
        // the first part between the batches of a sync and goes on with the rest).
        let rows: Vec<Vec<u8>> = view.entries().map(|e| e.as_bytes().to_vec()).collect();
        let bytes = |v: &SharedView| {
            v.entries()
                .map(|e| e.as_bytes().to_vec())
                .collect::<Vec<_>>()
        };
        for split in [0, 3, 6, 7, rows.len()] {
            let first = SharedView::restore(
                *restored.record(),
                *restored.patient(),
                None,
                rows[..split].to_vec(),
            )
            .unwrap();
            let more = first
                .restore_more(rows[split..].to_vec(), view.checkpoint_text())
                .unwrap();
            assert_eq!(bytes(&more), bytes(&again), "split at {split}");
            assert_eq!(more.signers(), again.signers(), "split at {split}");
            assert_eq!(more.checkpoint_size(), again.checkpoint_size());
        }
        // What does not follow the entries held is refused, not mixed in.
        let first = SharedView::restore(
            *restored.record(),
            *restored.patient(),
            None,
            rows[..6].to_vec(),
        )
        .unwrap();
        assert!(first.restore_more(rows[2..3].to_vec(), None).is_err());

        // The auditor: the restored log verifies, the takeover is reported, and a witness
        // who cosigned the thief's branch is reported as superseded, not as a fork.
        let witness = PersonSecret::generate().unwrap();
        let wcard = IdentityCard::issue(&witness, "Dr W", Role::Clinician, vec![], 1).unwrap();
        let mut thief_at_9 = s.log.clone();
        for i in 0..3 {
            block(&mut thief_at_9, &s.patient, 20 + i);
        }
        let co = Cosigned::cosign(
            &thief_at_9.checkpoint(&s.patient).unwrap(),
            thief_at_9.record(),
            &s.patient.person_id(),
            &witness,
            500,
        )
        .unwrap();
        let mut export = AuditExport::new(&restored, &s.card, vec![cp.clone()]);
        export.witnesses.push(WitnessNote {
            witness_card: wcard.to_text(),
            note: co.note,
        });
        let v = verify_with(
            &export,
            &Pins {
                patient: Some(s.patient.person_id()),
                ..Pins::default()
            },
        );
        assert!(v.report.ok, "{:?}", v.report.first_error);
        assert_eq!(v.takeovers.len(), 1);
        assert_eq!(v.takeovers[0].index, 6);
        assert_eq!(v.takeovers[0].forked.map(|b| b.size), Some(9));
        assert_eq!(v.superseded.len(), 1);
        assert_eq!(v.superseded[0].size, 9);
        // Without the takeover (the old key's fork of the same log), it is a fork.
        let mut forked_export = AuditExport::new(
            &backup,
            &s.card,
            vec![backup.checkpoint(&s.patient).unwrap()],
        );
        forked_export.witnesses = export.witnesses.clone();
        let v = verify_with(&forked_export, &Pins::default());
        assert!(!v.report.ok);
    }
}
