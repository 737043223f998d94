//! Consent entries: what happened to a record's consent, signed by the patient.

use std::fmt;
use std::str::FromStr;

use carnet_crypto::{DeviceId, PersonId, PersonSecret, RecordId, RootKey, RootSecret};
use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};

use crate::ConsentError;

/// The largest encoded entry accepted.
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;
const ENTRY_VERSION: u8 = 1;
const ENTRY_DOMAIN: &[u8] = b"carnet/consent-entry/v1";
const ROOT_DOMAIN: &[u8] = b"carnet/root-declared/v1";
const TAKEOVER_DOMAIN: &[u8] = b"carnet/takeover/v1";

/// A grant's id: random, short enough to type (`carnet revoke ID`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GrantId(pub [u8; 8]);

impl GrantId {
    /// A fresh random id.
    pub fn random() -> Result<Self, ConsentError> {
        Ok(GrantId(carnet_crypto::random_array()?))
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!(
            "g{}",
            BASE32_NOPAD.encode(&self.0).to_ascii_lowercase()
        ))
    }
}

impl fmt::Debug for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantId({self})")
    }
}

impl FromStr for GrantId {
    type Err = ConsentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ConsentError::Malformed {
            what: "grant id",
            detail: format!("\"{s}\" is not a grant id (a g followed by 13 letters and digits)"),
        };
        let body = s.trim().strip_prefix('g').ok_or_else(bad)?;
        let bytes = BASE32_NOPAD
            .decode(body.to_ascii_uppercase().as_bytes())
            .map_err(|_| bad())?;
        Ok(GrantId(bytes.try_into().map_err(|_| bad())?))
    }
}

/// Read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Access {
    /// May receive and decrypt the sections.
    Read,
    /// May also write changes to them.
    Write,
}

impl Access {
    /// `read` or `write`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

impl FromStr for Access {
    type Err = ConsentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(Access::Read),
            "write" => Ok(Access::Write),
            _ => Err(ConsentError::Malformed {
                what: "access",
                detail: format!("\"{s}\" is not read or write"),
            }),
        }
    }
}

/// A section, as the log names it: a salted commitment, so an auditor can check that a
/// delivery matches a grant's sections without learning which sections they are.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SectionTag(pub [u8; 16]);

impl SectionTag {
    /// The commitment to section `code` under the record's secret salt.
    pub fn commit(salt: &[u8; 32], code: u8) -> Self {
        let h = blake3::keyed_hash(salt, &[b's', code]);
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.as_bytes()[..16]);
        SectionTag(out)
    }

    /// The commitment to a grant's purpose text (purposes can reveal health matters).
    pub fn commit_text(salt: &[u8; 32], text: &str) -> [u8; 16] {
        let mut hasher = blake3::Hasher::new_keyed(salt);
        hasher.update(b"p");
        hasher.update(text.as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        out
    }
}

impl fmt::Debug for SectionTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SectionTag({})",
            data_encoding::HEXLOWER.encode(&self.0[..4])
        )
    }
}

/// A run of one author's envelopes in one section: `from..=to` of their chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// The section.
    pub section: SectionTag,
    /// The chain's author.
    pub author: PersonId,
    /// The chain's device.
    pub device: DeviceId,
    /// First sequence number.
    pub from: u64,
    /// Last sequence number.
    pub to: u64,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// The log's first entry: binds the record to the patient's identity card.
    Genesis {
        /// The patient's card, text form.
        patient_card: String,
    },
    /// The patient grants a person access to sections.
    Grant {
        /// The grant's id.
        grant: GrantId,
        /// Who receives access.
        grantee: PersonId,
        /// The grantee's card (text), so an auditor knows whom the id names.
        grantee_card: String,
        /// Which sections.
        sections: Vec<SectionTag>,
        /// Read or write.
        access: Access,
        /// Commitment to the stated purpose.
        purpose: [u8; 16],
        /// Valid from (Unix seconds).
        not_before: u64,
        /// Valid until (Unix seconds), if limited.
        not_after: Option<u64>,
    },
    /// The patient revokes a grant.
    Revoke {
        /// The grant.
        grant: GrantId,
    },
    /// The patient blocks a person: nothing at all reaches them from now on.
    Block {
        /// Who.
        person: PersonId,
    },
    /// A section moves to a new epoch key (after a revoke, block or expiry).
    EpochRotation {
        /// The section.
        section: SectionTag,
        /// The new epoch.
        epoch: u32,
    },
    /// An epoch key was delivered to a grantee, age-encrypted to their key.
    KeyDelivery {
        /// Under which grant.
        grant: GrantId,
        /// To whom.
        grantee: PersonId,
        /// Which section.
        section: SectionTag,
        /// Which epoch.
        epoch: u32,
    },
    /// Envelopes were served to a person (bundle or sync).
    Served {
        /// To whom.
        to: PersonId,
        /// What.
        ranges: Vec<Range>,
    },
    /// Envelopes written by a grantee were received into the record.
    Received {
        /// From whom.
        from: PersonId,
        /// What.
        ranges: Vec<Range>,
    },
    /// A device of the patient joined (binds its network key to the patient).
    DeviceAdded {
        /// The device.
        device: DeviceId,
        /// Its network endpoint key.
        endpoint: [u8; 32],
    },
    /// A device of the patient was removed: it gets nothing new, and nothing it writes from
    /// now on is accepted.
    DeviceRemoved {
        /// The device.
        device: DeviceId,
        /// Its network endpoint key.
        endpoint: [u8; 32],
    },
    /// A device of the patient joined with its own signing key: it signs its envelopes
    /// itself and never holds the patient's key, so removing it cuts it off for good.
    DeviceCertified {
        /// The device.
        device: DeviceId,
        /// Its network endpoint key.
        endpoint: [u8; 32],
        /// Its signing key (what its envelopes' certificates name).
        signing: [u8; 32],
    },
    /// A device of the patient was removed, with the last of its changes the record keeps:
    /// every receiver (the patient's devices, grantees) takes from that device only
    /// envelopes at or before one of `heads` in their chain, so nothing it writes after
    /// the removal is accepted anywhere, however old the epoch it seals under.
    DeviceRetired {
        /// The device.
        device: DeviceId,
        /// Its network endpoint key.
        endpoint: [u8; 32],
        /// The newest envelope of each of its chains the patient held, one per section it
        /// wrote in.
        heads: Vec<RetiredHead>,
    },
    /// The patient's root key, derived from their recovery phrase and stored on no device,
    /// declared once (right after the genesis for records made by this version): only it
    /// can sign a [`Action::Takeover`]. `proof` is the root's own signature over the record
    /// and the patient ([`Action::root_proof_message`]), so only a holder of the phrase
    /// can declare it.
    RootDeclared {
        /// The root public key.
        root: RootKey,
        /// The root's signature (64 bytes).
        proof: Vec<u8>,
    },
    /// A restore took the log over: from this entry on, entries and checkpoints are signed
    /// by `key`, a key the restored device made, and nothing the patient's earlier key
    /// signs is taken any more. Signed by the new key like every later entry, and endorsed
    /// by the root (`proof`, over [`TakeoverClaim`]): a thief holding the old key and the
    /// device, but not the phrase, cannot make one. A receiver holding another branch of
    /// the log beyond this entry's index follows this one (the root's), and says so.
    Takeover {
        /// The key that signs the log from this entry on.
        key: PersonId,
        /// The device that now keeps the log (the one the backup was restored on).
        device: DeviceId,
        /// Its network endpoint key.
        endpoint: [u8; 32],
        /// Its own signing key: what signs its envelopes from now on (the patient's key,
        /// which a thief of the old device may hold, no longer does).
        signing: [u8; 32],
        /// The newest checkpoint of another branch the restore learned (from a grantee),
        /// when it was longer than the backup: the log openly forks there.
        forked: Option<Branch>,
        /// The root's signature (64 bytes) over the [`TakeoverClaim`].
        proof: Vec<u8>,
    },
    /// A bundle holding these envelopes was written for a person (a file to hand them):
    /// not known to have arrived. When they are later seen to hold them (at a live sync),
    /// a [`Action::Served`] says they received them.
    Written {
        /// For whom.
        to: PersonId,
        /// What.
        ranges: Vec<Range>,
    },
    /// A bundle holding these envelopes was deposited for a person at a mailbox, which
    /// accepted it and holds it for them: as [`Action::Written`], saying where it waits.
    /// Not known to have been collected.
    Deposited {
        /// For whom.
        to: PersonId,
        /// The mailbox's endpoint key (what its ticket names).
        mailbox: [u8; 32],
        /// What.
        ranges: Vec<Range>,
    },
}

/// A checkpoint of another branch of a log: its size and Merkle root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    /// Number of entries.
    pub size: u64,
    /// Merkle root.
    pub root: [u8; 32],
}

/// What the root signs for a takeover: the position in the log (record, index, the hash of
/// the entry before) and the entry's content, so the endorsement cannot be moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeoverClaim {
    /// The record.
    pub record: RecordId,
    /// The takeover entry's index.
    pub index: u64,
    /// The leaf hash of the entry before it.
    pub prev: [u8; 32],
    /// The new log key.
    pub key: PersonId,
    /// The device.
    pub device: DeviceId,
    /// Its endpoint key.
    pub endpoint: [u8; 32],
    /// Its signing key.
    pub signing: [u8; 32],
    /// The other branch named, if any.
    pub forked: Option<Branch>,
}

impl TakeoverClaim {
    /// Signs the claim with the root.
    pub fn sign(&self, root: &RootSecret) -> Vec<u8> {
        root.sign(
            TAKEOVER_DOMAIN,
            &postcard::to_stdvec(self).unwrap_or_default(),
        )
        .to_vec()
    }

    /// Checks `proof` is `root`'s signature over this claim.
    pub fn check(&self, root: &RootKey, proof: &[u8]) -> Result<(), ConsentError> {
        let sig: [u8; 64] = proof.try_into().map_err(|_| ConsentError::BadEntry {
            index: self.index,
            why: "takeover: its root signature is not 64 bytes".into(),
        })?;
        let body = postcard::to_stdvec(self).map_err(|e| ConsentError::Malformed {
            what: "takeover",
            detail: e.to_string(),
        })?;
        root.verify(TAKEOVER_DOMAIN, &body, &sig)
            .map_err(|_| ConsentError::BadEntry {
                index: self.index,
                why: "takeover: it is not endorsed by the patient's root key (only their recovery phrase can make one)".into(),
            })
    }
}

/// The last envelope of a removed device's chain in one section, as a
/// [`Action::DeviceRetired`] entry names it: its epoch and sequence number, and a tag only
/// a holder of that epoch's key can compute ([`RetiredHead::tag_for`]) over the device, the
/// sequence number and the envelope's id. A receiver takes the removed device's chain only
/// when it ends exactly at such a head: then every envelope of it is linked to the head by
/// hashes, so nothing written after the removal (nor a fork below the head) gets in. An
/// auditor learns how many changes the device made, not in which sections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredHead {
    /// The epoch the envelope was sealed under.
    pub epoch: u32,
    /// Its position in its chain.
    pub seq: u64,
    /// [`RetiredHead::tag_for`] the section's key of that epoch.
    pub tag: [u8; 32],
}

impl RetiredHead {
    /// The tag that binds a head to its section and envelope: keyed by (a key derived
    /// from) the section's epoch key, over the device, the sequence number and the id.
    pub fn tag_for(
        epoch_key: &[u8; 32],
        device: &DeviceId,
        seq: u64,
        envelope: &[u8; 32],
    ) -> [u8; 32] {
        let key = zeroize::Zeroizing::new(blake3::derive_key(
            "carnet retired device head v1",
            epoch_key,
        ));
        let mut h = blake3::Hasher::new_keyed(&key);
        h.update(&device.0);
        h.update(&seq.to_be_bytes());
        h.update(envelope);
        *h.finalize().as_bytes()
    }
}

impl Action {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Genesis { .. } => "genesis",
            Action::Grant { .. } => "grant",
            Action::Revoke { .. } => "revoke",
            Action::Block { .. } => "block",
            Action::EpochRotation { .. } => "epoch rotation",
            Action::KeyDelivery { .. } => "key delivery",
            Action::Served { .. } => "served",
            Action::Received { .. } => "received",
            Action::DeviceAdded { .. } => "device added",
            Action::DeviceRemoved { .. } | Action::DeviceRetired { .. } => "device removed",
            Action::DeviceCertified { .. } => "device added",
            Action::RootDeclared { .. } => "root declared",
            Action::Takeover { .. } => "takeover",
            Action::Written { .. } => "bundle written",
            Action::Deposited { .. } => "deposited at a mailbox",
        }
    }

    /// What the root signs to declare itself for `record` of `patient`.
    pub fn root_proof_message(record: &RecordId, patient: &PersonId, root: &RootKey) -> Vec<u8> {
        let mut m = Vec::with_capacity(96);
        m.extend_from_slice(&record.0);
        m.extend_from_slice(&patient.0);
        m.extend_from_slice(&root.0);
        m
    }

    /// A [`Action::RootDeclared`] for `record` of `patient`, signed by `root`.
    pub fn declare_root(record: &RecordId, patient: &PersonId, root: &RootSecret) -> Action {
        let key = root.public();
        Action::RootDeclared {
            root: key,
            proof: root
                .sign(
                    ROOT_DOMAIN,
                    &Self::root_proof_message(record, patient, &key),
                )
                .to_vec(),
        }
    }

    /// Checks a [`Action::RootDeclared`]'s proof; `Ok(None)` for any other action.
    pub fn checked_root(
        &self,
        record: &RecordId,
        patient: &PersonId,
        index: u64,
    ) -> Result<Option<RootKey>, ConsentError> {
        let Action::RootDeclared { root, proof } = self else {
            return Ok(None);
        };
        let bad = || ConsentError::BadEntry {
            index,
            why: "root declared: its proof is not the root key's own signature".into(),
        };
        let sig: [u8; 64] = proof.as_slice().try_into().map_err(|_| bad())?;
        root.verify(
            ROOT_DOMAIN,
            &Self::root_proof_message(record, patient, root),
            &sig,
        )
        .map_err(|_| bad())?;
        Ok(Some(*root))
    }
}

/// One entry of a record's consent log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Format version.
    pub version: u8,
    /// The record.
    pub record: RecordId,
    /// Position in the log, from 0.
    pub index: u64,
    /// Leaf hash of the previous signed entry (zero for the genesis).
    pub prev: [u8; 32],
    /// When (Unix seconds).
    pub time: u64,
    /// What happened.
    pub action: Action,
}

#[derive(Serialize, Deserialize)]
struct SignedRepr {
    entry: Vec<u8>,
    signature: Vec<u8>,
}

/// An entry with the patient's signature, in its canonical bytes: the Merkle tree's leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedEntry {
    entry: Entry,
    bytes: Vec<u8>,
}

impl SignedEntry {
    /// Signs an entry as the patient.
    pub fn sign(entry: Entry, patient: &PersonSecret) -> Result<Self, ConsentError> {
        let body = postcard::to_stdvec(&entry).map_err(|e| ConsentError::Malformed {
            what: "consent entry",
            detail: e.to_string(),
        })?;
        let signature = patient.sign(ENTRY_DOMAIN, &body).to_vec();
        let bytes = postcard::to_stdvec(&SignedRepr {
            entry: body,
            signature,
        })
        .map_err(|e| ConsentError::Malformed {
            what: "consent entry",
            detail: e.to_string(),
        })?;
        Ok(SignedEntry { entry, bytes })
    }

    /// Decodes from untrusted bytes (bounded, canonical). The signature is checked by
    /// [`SignedEntry::verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ConsentError> {
        let bad = |detail: String| ConsentError::Malformed {
            what: "consent entry",
            detail,
        };
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(bad(format!(
                "{} bytes, at most {MAX_ENTRY_BYTES}",
                bytes.len()
            )));
        }
        let repr: SignedRepr = postcard::from_bytes(bytes).map_err(|e| bad(e.to_string()))?;
        let entry: Entry = postcard::from_bytes(&repr.entry).map_err(|e| bad(e.to_string()))?;
        if entry.version != ENTRY_VERSION {
            return Err(bad(format!("version {} is not supported", entry.version)));
        }
        let canonical = postcard::to_stdvec(&entry).map_err(|e| bad(e.to_string()))?;
        let again = postcard::to_stdvec(&SignedRepr {
            entry: canonical,
            signature: repr.signature,
        })
        .map_err(|e| bad(e.to_string()))?;
        if again != bytes {
            return Err(bad("not in canonical encoding".into()));
        }
        Ok(SignedEntry {
            entry,
            bytes: bytes.to_vec(),
        })
    }

    /// The signed bytes (the postcard-encoded entry) and the signature, for verifying many
    /// at once.
    pub(crate) fn signed_parts(&self) -> Result<(Vec<u8>, [u8; 64]), ConsentError> {
        let repr: SignedRepr =
            postcard::from_bytes(&self.bytes).map_err(|e| ConsentError::Malformed {
                what: "consent entry",
                detail: e.to_string(),
            })?;
        let sig: [u8; 64] =
            repr.signature
                .as_slice()
                .try_into()
                .map_err(|_| ConsentError::BadEntry {
                    index: self.entry.index,
                    why: "its signature is not 64 bytes".into(),
                })?;
        Ok((repr.entry, sig))
    }

    /// The domain label entry signatures are made under.
    pub(crate) const DOMAIN: &'static [u8] = ENTRY_DOMAIN;

    /// Checks the signature against `patient`.
    pub fn verify(&self, patient: &PersonId) -> Result<(), ConsentError> {
        let repr: SignedRepr =
            postcard::from_bytes(&self.bytes).map_err(|e| ConsentError::Malformed {
                what: "consent entry",
                detail: e.to_string(),
            })?;
        let sig: [u8; 64] =
            repr.signature
                .as_slice()
                .try_into()
                .map_err(|_| ConsentError::BadEntry {
                    index: self.entry.index,
                    why: "its signature is not 64 bytes".into(),
                })?;
        carnet_crypto::verify_signature(patient, ENTRY_DOMAIN, &repr.entry, &sig).map_err(|_| {
            ConsentError::BadEntry {
                index: self.entry.index,
                why: "its signature is not the patient's (altered or forged)".into(),
            }
        })
    }

    /// Checks a [`Action::Takeover`] entry: the root's endorsement of it at its place in
    /// `record`'s log, and its own signature by the new key it names. Returns that key.
    pub fn check_takeover(
        &self,
        record: &RecordId,
        root: &RootKey,
    ) -> Result<PersonId, ConsentError> {
        let e = &self.entry;
        let Action::Takeover {
            key,
            device,
            endpoint,
            signing,
            forked,
            proof,
        } = &e.action
        else {
            return Err(ConsentError::BadEntry {
                index: e.index,
                why: "it is not a takeover".into(),
            });
        };
        if e.record != *record {
            return Err(ConsentError::BadEntry {
                index: e.index,
                why: "it belongs to another record's log".into(),
            });
        }
        TakeoverClaim {
            record: e.record,
            index: e.index,
            prev: e.prev,
            key: *key,
            device: *device,
            endpoint: *endpoint,
            signing: *signing,
            forked: *forked,
        }
        .check(root, proof)?;
        self.verify(key)?;
        Ok(*key)
    }

    /// The entry.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// The canonical bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The RFC 6962 leaf hash of these bytes: what the next entry links to and what the
    /// Merkle tree holds.
    pub fn leaf_hash(&self) -> [u8; 32] {
        tlog_tiles::tlog::record_hash(&self.bytes).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_ids_round_trip() {
        let g = GrantId::random().unwrap();
        assert_eq!(g.to_string().parse::<GrantId>().unwrap(), g);
        assert!("xyz".parse::<GrantId>().is_err());
        assert!("g".parse::<GrantId>().is_err());
    }

    #[test]
    fn section_tags_hide_the_section_but_compare_equal() {
        let salt = [7u8; 32];
        assert_eq!(SectionTag::commit(&salt, 2), SectionTag::commit(&salt, 2));
        assert_ne!(SectionTag::commit(&salt, 2), SectionTag::commit(&salt, 3));
        assert_ne!(
            SectionTag::commit(&salt, 2),
            SectionTag::commit(&[8u8; 32], 2)
        );
    }

    #[test]
    fn signed_entries_round_trip_and_detect_tampering() {
        let patient = PersonSecret::generate().unwrap();
        let e = Entry {
            version: 1,
            record: RecordId::of_patient(&patient.person_id()),
            index: 0,
            prev: [0; 32],
            time: 5,
            action: Action::Block {
                person: PersonId([1; 32]),
            },
        };
        let s = SignedEntry::sign(e, &patient).unwrap();
        let back = SignedEntry::from_bytes(s.as_bytes()).unwrap();
        back.verify(&patient.person_id()).unwrap();
        assert!(
            back.verify(&PersonSecret::generate().unwrap().person_id())
                .is_err()
        );
        for i in 0..s.as_bytes().len() * 8 {
            let mut b = s.as_bytes().to_vec();
            b[i / 8] ^= 1 << (i % 8);
            let ok = SignedEntry::from_bytes(&b).and_then(|e| e.verify(&patient.person_id()));
            assert!(ok.is_err(), "bit {i}");
        }
    }
}

const REMOVAL_DOMAIN: &[u8] = b"carnet/device-removal/v1";
/// The largest signed device removal accepted.
pub const MAX_REMOVAL_BYTES: usize = 16 * 1024;

/// A person's statement, for one record they write in, that one of their devices was
/// removed, with the last of its changes in that record (one [`RetiredHead`] per section
/// it wrote in there). A clinician sends it to the record's patient, who then takes
/// nothing that device writes after (a patient's own removals are consent entries,
/// [`Action::DeviceRetired`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRemoval {
    /// Whose device.
    pub person: PersonId,
    /// The record it concerns.
    pub record: RecordId,
    /// The device.
    pub device: DeviceId,
    /// The last of its changes in the record.
    pub heads: Vec<RetiredHead>,
    /// When (Unix seconds).
    pub issued: u64,
}

#[derive(Serialize, Deserialize)]
struct SignedRemovalRepr {
    removal: Vec<u8>,
    signature: Vec<u8>,
}

impl DeviceRemoval {
    /// Signs it as its person (who must be `secret`'s).
    pub fn sign(&self, secret: &PersonSecret) -> Result<Vec<u8>, ConsentError> {
        if secret.person_id() != self.person {
            return Err(ConsentError::Malformed {
                what: "device removal",
                detail: "signed by someone other than the device's person".into(),
            });
        }
        let body = postcard::to_stdvec(self).map_err(|e| ConsentError::Malformed {
            what: "device removal",
            detail: e.to_string(),
        })?;
        let signature = secret.sign(REMOVAL_DOMAIN, &body).to_vec();
        postcard::to_stdvec(&SignedRemovalRepr {
            removal: body,
            signature,
        })
        .map_err(|e| ConsentError::Malformed {
            what: "device removal",
            detail: e.to_string(),
        })
    }

    /// Decodes and checks a signed removal: bounded, canonical, signed by its person.
    pub fn verified(bytes: &[u8]) -> Result<Self, ConsentError> {
        let bad = |detail: String| ConsentError::Malformed {
            what: "device removal",
            detail,
        };
        if bytes.len() > MAX_REMOVAL_BYTES {
            return Err(bad(format!(
                "{} bytes, at most {MAX_REMOVAL_BYTES}",
                bytes.len()
            )));
        }
        let repr: SignedRemovalRepr =
            postcard::from_bytes(bytes).map_err(|e| bad(e.to_string()))?;
        let removal: DeviceRemoval =
            postcard::from_bytes(&repr.removal).map_err(|e| bad(e.to_string()))?;
        if postcard::to_stdvec(&removal).ok().as_deref() != Some(&repr.removal[..]) {
            return Err(bad("not in its canonical form".into()));
        }
        let signature: [u8; 64] = repr
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| bad("the signature is not 64 bytes".into()))?;
        carnet_crypto::verify_signature(
            &removal.person,
            REMOVAL_DOMAIN,
            &repr.removal,
            &signature,
        )?;
        Ok(removal)
    }
}

#[cfg(test)]
mod removal_tests {
    use super::*;

    #[test]
    fn a_device_removal_is_signed_by_its_person_and_every_byte_counts() {
        let doctor = PersonSecret::generate().unwrap();
        let removal = DeviceRemoval {
            person: doctor.person_id(),
            record: RecordId([3; 32]),
            device: DeviceId([4; 16]),
            heads: vec![RetiredHead {
                epoch: 0,
                seq: 2,
                tag: [5; 32],
            }],
            issued: 9,
        };
        let bytes = removal.sign(&doctor).unwrap();
        assert_eq!(DeviceRemoval::verified(&bytes).unwrap(), removal);
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(DeviceRemoval::verified(&b).is_err(), "bit {i}");
        }
        // Nobody else can sign it for the doctor.
        let mallory = PersonSecret::generate().unwrap();
        assert!(removal.sign(&mallory).is_err());
        let mut theirs = removal.clone();
        theirs.person = mallory.person_id();
        let mut forged: SignedRemovalRepr =
            postcard::from_bytes(&theirs.sign(&mallory).unwrap()).unwrap();
        forged.removal = postcard::to_stdvec(&removal).unwrap();
        assert!(DeviceRemoval::verified(&postcard::to_stdvec(&forged).unwrap()).is_err());
    }
}
