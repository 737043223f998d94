//! Witnesses: grantees cosign the patient's checkpoints they receive, in the C2SP
//! tlog-cosignature/v1 format, so a log state is something others have seen. A holder of
//! the log who cuts it back or shows two branches to two parties must then also get every
//! witness who saw the other state to collude: an auditor holding a witness's cosignature
//! refuses a log shorter than the size it cosigned, or one whose root at that size differs.
//!
//! A [`Cosigned`] note is the patient's checkpoint note with one more signature line, the
//! witness's cosignature: `— <name> base64(key id || timestamp u64 BE || ed25519 sig)`,
//! the signature over `"cosignature/v1\ntime <timestamp>\n" || checkpoint text`, the key id
//! the first 4 bytes of SHA-256(name || "\n" || 0x04 || public key), as the C2SP spec says.
//! The witness's name is `carnet-witness/<person id>`.

use carnet_crypto::{PersonId, PersonSecret, RecordId};
use serde::{Deserialize, Serialize};
use signed_note::{Note, StandardVerifier, VerificationError, Verifier, Verifiers};
use tlog_tiles::checkpoint::Checkpoint;

use crate::ConsentError;

/// The largest cosigned note accepted.
pub const MAX_COSIGNED_BYTES: usize = 4096;
const COSIGNATURE_ALG: u8 = 0x04;

/// The signed-note key name of a witness.
pub fn witness_name(witness: &PersonId) -> String {
    format!("carnet-witness/{witness}")
}

fn cosignature_key_id(witness: &PersonId) -> u32 {
    let mut key = vec![COSIGNATURE_ALG];
    key.extend_from_slice(&witness.0);
    signed_note::key_id(&witness_name(witness), &key)
}

fn cosigned_message(time: u64, text: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {time}\n").into_bytes();
    m.extend_from_slice(text);
    m
}

struct CosignatureSigner<'a> {
    name: String,
    id: u32,
    secret: &'a PersonSecret,
    time: u64,
}

impl signed_note::Signer for CosignatureSigner<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::ed25519::signature::Error> {
        let sig = self
            .secret
            .sign_note_text(&cosigned_message(self.time, msg))
            .map_err(|_| ed25519_dalek::ed25519::signature::Error::new())?;
        let mut out = self.time.to_be_bytes().to_vec();
        out.extend_from_slice(&sig);
        Ok(out)
    }
}

struct CosignatureVerifier {
    name: String,
    id: u32,
    key: ed25519_dalek::VerifyingKey,
}

impl Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some((time, sig)) = sig.split_first_chunk::<8>() else {
            return false;
        };
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        let message = cosigned_message(u64::from_be_bytes(*time), msg);
        self.key
            .verify_strict(&message, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    }
}

/// The two keys a cosigned note must be signed by.
struct Both {
    patient: StandardVerifier,
    witness: CosignatureVerifier,
}

impl Verifiers for Both {
    fn verifier(&self, name: &str, id: u32) -> Result<&dyn Verifier, VerificationError> {
        if name == self.patient.name() && id == self.patient.key_id() {
            Ok(&self.patient)
        } else if name == self.witness.name && id == self.witness.id {
            Ok(&self.witness)
        } else {
            Err(VerificationError::UnknownKey {
                name: name.to_string(),
                id,
            })
        }
    }
}

/// A checkpoint of a patient's log as a witness saw and cosigned it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cosigned {
    /// The witness (a grantee of the record).
    pub witness: PersonId,
    /// The note: the patient's checkpoint, its signature and the witness's cosignature.
    pub note: String,
}

/// What a verified [`Cosigned`] note says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witnessed {
    /// The witness.
    pub witness: PersonId,
    /// The log size it cosigned.
    pub size: u64,
    /// The root at that size.
    pub root: [u8; 32],
    /// When it cosigned (Unix seconds, its own clock).
    pub time: u64,
    /// The checkpoint is signed by a key a takeover replaced, at a size past that
    /// takeover: the witness saw a branch the patient's root abandoned
    /// ([`Cosigned::check_signers`]).
    pub superseded: bool,
}

impl Cosigned {
    /// Cosigns a checkpoint note of `record`'s log (first checked as `patient`'s) as
    /// `witness`, at `time`.
    pub fn cosign(
        checkpoint: &str,
        record: &RecordId,
        patient: &PersonId,
        witness: &PersonSecret,
        time: u64,
    ) -> Result<Self, ConsentError> {
        crate::verify_checkpoint(checkpoint, record, patient)?;
        let bad = |why: String| ConsentError::BadCheckpoint { size: 0, why };
        let mut note =
            Note::from_bytes(checkpoint.as_bytes()).map_err(|e| bad(format!("{e:?}")))?;
        let signer = CosignatureSigner {
            name: witness_name(&witness.person_id()),
            id: cosignature_key_id(&witness.person_id()),
            secret: witness,
            time,
        };
        note.add_sigs(&[&signer])
            .map_err(|e| bad(format!("cannot cosign: {e:?}")))?;
        let note = String::from_utf8(note.to_bytes()).map_err(|_| bad("not UTF-8".into()))?;
        Ok(Cosigned {
            witness: witness.person_id(),
            note,
        })
    }

    /// Checks both signatures (the patient's on the checkpoint of `record`'s log, the
    /// witness's cosignature) and says what was witnessed.
    pub fn check(&self, record: &RecordId, patient: &PersonId) -> Result<Witnessed, ConsentError> {
        let bad = |why: String| ConsentError::BadCheckpoint { size: 0, why };
        if self.note.len() > MAX_COSIGNED_BYTES {
            return Err(bad(format!(
                "a cosigned checkpoint of {} bytes, at most {MAX_COSIGNED_BYTES}",
                self.note.len()
            )));
        }
        let note = Note::from_bytes(self.note.as_bytes())
            .map_err(|e| bad(format!("not a signed note: {e:?}")))?;
        let vkey = signed_note::new_ed25519_verifier_key(
            &crate::origin(record),
            &patient.verifying_key()?,
        );
        let both = Both {
            patient: StandardVerifier::new(&vkey).map_err(|e| bad(format!("{e:?}")))?,
            witness: CosignatureVerifier {
                name: witness_name(&self.witness),
                id: cosignature_key_id(&self.witness),
                key: self.witness.verifying_key()?,
            },
        };
        let (verified, _) = note
            .verify(&both)
            .map_err(|_| bad("a signature on it does not verify".into()))?;
        let by = |name: &str| verified.iter().find(|s| s.name() == name);
        let (Some(_), Some(cosig)) = (by(&crate::origin(record)), by(&witness_name(&self.witness)))
        else {
            return Err(bad(
                "it is not signed by both the patient and the witness it names".into(),
            ));
        };
        let time = cosig
            .signature()
            .first_chunk::<8>()
            .map(|t| u64::from_be_bytes(*t))
            .unwrap_or(0);
        let cp = Checkpoint::from_bytes(note.text())
            .map_err(|_| bad("its text is not a tlog checkpoint".into()))?;
        if cp.origin() != crate::origin(record) {
            return Err(bad("it is the checkpoint of another log".into()));
        }
        Ok(Witnessed {
            witness: self.witness,
            size: cp.size(),
            root: cp.hash().0,
            time,
            superseded: false,
        })
    }

    /// [`Cosigned::check`] against a log signed by several keys in turn (`(first index
    /// signed, key)`, as [`crate::ConsentLog::signers`] gives them): a checkpoint signed by a
    /// key a takeover replaced, at a size past the takeover, is reported
    /// [`Witnessed::superseded`].
    pub fn check_signers(
        &self,
        record: &RecordId,
        signers: &[(u64, PersonId)],
    ) -> Result<Witnessed, ConsentError> {
        let (mut w, key) = crate::log::by_any_signer(signers, |key| self.check(record, key))?;
        w.superseded = crate::key_for_size(signers, w.size) != key;
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, ConsentLog};
    use carnet_crypto::{IdentityCard, Role};

    #[test]
    fn a_cosignature_binds_witness_checkpoint_and_patient() {
        let patient = PersonSecret::generate().unwrap();
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
        let cp = log.checkpoint(&patient).unwrap();
        let witness = PersonSecret::generate().unwrap();
        let c = Cosigned::cosign(&cp, &record, &patient.person_id(), &witness, 77).unwrap();
        let w = c.check(&record, &patient.person_id()).unwrap();
        assert_eq!((w.size, w.time, w.witness), (1, 77, witness.person_id()));
        assert_eq!(w.root, log.root(1).unwrap());
        // Naming another witness, another record's patient, or altering any byte fails.
        let other = PersonSecret::generate().unwrap();
        let mut wrong = c.clone();
        wrong.witness = other.person_id();
        assert!(wrong.check(&record, &patient.person_id()).is_err());
        assert!(c.check(&record, &other.person_id()).is_err());
        for i in 0..c.note.len() {
            let mut b = c.note.clone().into_bytes();
            b[i] ^= 0x01;
            let Ok(text) = String::from_utf8(b) else {
                continue;
            };
            let altered = Cosigned {
                witness: c.witness,
                note: text,
            };
            if let Ok(w2) = altered.check(&record, &patient.person_id()) {
                assert_eq!(w2, w, "byte {i} changed what was witnessed");
            }
        }
        // A checkpoint not signed by the patient is not cosigned.
        let mut other_log = ConsentLog::new(record, other.person_id());
        other_log
            .append(
                &other,
                Action::Genesis {
                    patient_card: String::new(),
                },
                1,
            )
            .unwrap();
        let forged = other_log.checkpoint(&other).unwrap();
        assert!(Cosigned::cosign(&forged, &record, &patient.person_id(), &witness, 1).is_err());
        // The cosignature line follows the C2SP format: key id, then an 8-byte time.
        let line = c.note.lines().last().unwrap();
        assert!(line.starts_with(&format!("— {} ", witness_name(&witness.person_id()))));
    }
}
