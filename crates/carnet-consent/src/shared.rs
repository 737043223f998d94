//! A grantee's view of a patient's consent log: only the entries that concern them, each
//! checked (the patient's signature, inclusion in a checkpoint the patient signed), and
//! what follows from them: which grants they hold, and whether each is still in force.
//!
//! A grantee never receives the whole log: it would tell one clinician who else the patient
//! sees. Inclusion proofs let them check what they were given without the rest, and
//! consistency proofs between successive checkpoints show the patient never rewrote the
//! part of history they saw.

use std::collections::{BTreeMap, BTreeSet};

use carnet_crypto::{DeviceId, IdentityCard, PersonId, RecordId};
use tlog_tiles::checkpoint::Checkpoint;

use crate::log::{check_consistency, check_inclusion, verify_checkpoint};
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
#[derive(Debug)]
pub struct SharedView {
    record: RecordId,
    patient: PersonId,
    checkpoint: Option<(Checkpoint, String)>,
    entries: BTreeMap<u64, SignedEntry>,
}

impl SharedView {
    /// An empty view of `record`'s log, whose entries `patient` signs.
    pub fn new(record: RecordId, patient: PersonId) -> Self {
        SharedView {
            record,
            patient,
            checkpoint: None,
            entries: BTreeMap::new(),
        }
    }

    /// Rebuilds a view from what a vault stored: the newest checkpoint and the entries,
    /// every signature checked again (inclusion was checked when they arrived).
    pub fn restore(
        record: RecordId,
        patient: PersonId,
        checkpoint: Option<&str>,
        entries: impl IntoIterator<Item = Vec<u8>>,
    ) -> Result<Self, ConsentError> {
        let mut view = SharedView::new(record, patient);
        if let Some(text) = checkpoint {
            let cp = verify_checkpoint(text, &record, &patient)?;
            view.checkpoint = Some((cp, text.to_string()));
        }
        for bytes in entries {
            let e = view.check_entry(&bytes)?;
            view.entries.insert(e.entry().index, e);
        }
        Ok(view)
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
    pub fn update_checkpoint(
        &mut self,
        text: &str,
        consistency: &[[u8; 32]],
    ) -> Result<bool, ConsentError> {
        let cp = verify_checkpoint(text, &self.record, &self.patient)?;
        if let Some((old, _)) = &self.checkpoint {
            check_consistency(old, &cp, consistency)?;
            if cp.size() == old.size() {
                return Ok(false);
            }
        }
        self.checkpoint = Some((cp, text.to_string()));
        Ok(true)
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
        e.verify(&self.patient)?;
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
        self.entries.insert(index, e);
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
                Action::Served { to, .. } => to == person,
                Action::Received { from, ranges } => {
                    from == person || ranges.iter().any(|r| r.author == *person)
                }
                // Every grantee must know which of the patient's devices to trust.
                Action::DeviceAdded { .. }
                | Action::DeviceRemoved { .. }
                | Action::DeviceCertified { .. }
                | Action::DeviceRetired { .. } => true,
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
