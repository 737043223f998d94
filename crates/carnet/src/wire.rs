//! What peers exchange, whatever carries it (an offline bundle, a live connection): what a
//! side holds ([`Have`]), the items that bring the other side up to date ([`Item`]), and
//! the length-prefixed frames they travel in.
//!
//! Everything here is decoded from untrusted bytes: frames have a maximum size checked
//! before any allocation, and every item is verified on its own (signatures, hashes,
//! inclusion proofs) by the engine before anything is stored.

use std::io::{self, Read, Write};

use carnet_crypto::{DeviceId, MAX_ENVELOPE_BYTES, PersonId, RecordId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ExchangeError;
use crate::{Error, Result};

/// The largest frame accepted: one envelope of the largest size, with room for its frame.
pub const MAX_FRAME: usize = MAX_ENVELOPE_BYTES + 64 * 1024;
/// Attachment blobs travel in parts of at most this many bytes.
pub const BLOB_PART: usize = 1 << 20;
/// The most attachments one envelope may reference: a receiver refuses an envelope that
/// announces more (each one is a blob to fetch and check), and Carnet never writes one.
pub const MAX_ENVELOPE_ATTACHMENTS: usize = 64;
/// The most consistency proofs a checkpoint item carries.
pub const MAX_PROOFS: usize = 8;

/// How far one (author, device) chain of one section goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ChainPos {
    /// The section's code.
    pub section: u8,
    /// The chain's author.
    pub author: PersonId,
    /// The author's device.
    pub device: DeviceId,
    /// The highest sequence number held.
    pub seq: u64,
}

/// What one side holds of one record: its chains, the size of the newest consent
/// checkpoint it holds, and the key grants it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordState {
    /// The chains held, one position each.
    pub chains: Vec<ChainPos>,
    /// Entries covered by the newest consent checkpoint held (0: none).
    pub consent: u64,
    /// Key grants held, as (section code, epoch, grant id).
    pub keys: Vec<(u8, u32, [u8; 8])>,
}

impl RecordState {
    /// The position held in one chain (0: nothing).
    pub fn seq(&self, section: u8, author: &PersonId, device: &DeviceId) -> u64 {
        self.chains
            .iter()
            .find(|c| c.section == section && c.author == *author && c.device == *device)
            .map_or(0, |c| c.seq)
    }

    /// Adds what `other` says is held: the highest position of every chain, the larger
    /// checkpoint, the union of keys.
    pub fn merge(&mut self, other: &RecordState) {
        for c in &other.chains {
            match self
                .chains
                .iter_mut()
                .find(|m| m.section == c.section && m.author == c.author && m.device == c.device)
            {
                Some(m) => m.seq = m.seq.max(c.seq),
                None => self.chains.push(*c),
            }
        }
        self.chains.sort();
        self.consent = self.consent.max(other.consent);
        for k in &other.keys {
            if !self.keys.contains(k) {
                self.keys.push(*k);
            }
        }
        self.keys.sort();
    }
}

/// What one side holds of each record the two sides share.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Have {
    /// One state per record.
    pub records: Vec<(RecordId, RecordState)>,
    /// Between devices of one person: a digest of the vault state the primary device
    /// keeps (contacts, grants, keys, devices), so it is sent only when it changed.
    pub state: Option<[u8; 32]>,
}

impl Have {
    /// The state held of `record` (empty if none).
    pub fn record(&self, record: &RecordId) -> RecordState {
        self.records
            .iter()
            .find(|(r, _)| r == record)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }
}

/// One thing that brings a peer up to date. Order matters on the wire: checkpoints before
/// the consent entries they prove, key grants before the envelopes they open, an envelope
/// before the parts of its attachments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Item {
    /// An identity card (text), so the receiver can name the authors of what follows.
    Card(String),
    /// The patient's newest signed checkpoint of a record's consent log, with consistency
    /// proofs from the sizes the receiver may hold (those the sender gave it before).
    Checkpoint {
        /// The record.
        record: RecordId,
        /// The signed note.
        note: String,
        /// (size the proof starts from, the proof), at most [`MAX_PROOFS`].
        consistency: Vec<(u64, Vec<[u8; 32]>)>,
    },
    /// A consent entry about the receiver, with its inclusion proof under the checkpoint
    /// that came before it.
    Consent {
        /// The signed entry's bytes.
        #[serde(with = "serde_bytes")]
        entry: Vec<u8>,
        /// The inclusion proof.
        proof: Vec<[u8; 32]>,
    },
    /// A key grant (an epoch key sealed to the receiver, signed by the patient).
    KeyGrant(#[serde(with = "serde_bytes")] Vec<u8>),
    /// A sealed, signed change, and the ids of the attachment blobs it references.
    Envelope {
        /// The envelope's bytes.
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        /// The blobs whose parts follow.
        blobs: Vec<[u8; 32]>,
    },
    /// Between devices of one person only, from the device that keeps the consent log: a
    /// row of its vault state (contacts, grants, epoch keys, key grants, consent entries,
    /// devices). Secret: travels only inside the authenticated connection of two devices
    /// of the same person.
    OwnRow {
        /// Its table.
        table: carnet_store::DumpTable,
        /// Its key.
        #[serde(with = "serde_bytes")]
        key: Vec<u8>,
        /// Its value.
        #[serde(with = "serde_bytes")]
        value: Vec<u8>,
    },
    /// Part of an attachment blob (already encrypted; its id is the hash of the whole).
    BlobPart {
        /// The blob's id.
        id: [u8; 32],
        /// Its total size.
        total: u64,
        /// Where this part starts.
        offset: u64,
        /// The part.
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// From a grantee to the patient: the newest checkpoint of the patient's log it
    /// received, cosigned by it as a witness (`carnet_consent::Cosigned::note`).
    Cosignature {
        /// The record.
        record: RecordId,
        /// The cosigned note.
        note: String,
    },
    /// From someone who writes in a record to its patient: one of their devices was
    /// removed (a signed `carnet_consent::DeviceRemoval` for that record).
    DeviceRemoval(#[serde(with = "serde_bytes")] Vec<u8>),
    /// From the patient, before the checkpoint: a takeover of their log (a restore,
    /// endorsed by their root key) with its inclusion proof under that checkpoint, which
    /// the key it names signed. The receiver cannot check the checkpoint without it.
    Takeover {
        /// The record.
        record: RecordId,
        /// The signed `carnet_consent::Action::Takeover` entry.
        #[serde(with = "serde_bytes")]
        entry: Vec<u8>,
        /// Its inclusion proof under the checkpoint that follows.
        proof: Vec<[u8; 32]>,
    },
}

impl Item {
    /// A short name for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Item::Card(_) => "identity card",
            Item::Checkpoint { .. } => "consent checkpoint",
            Item::Consent { .. } => "consent entry",
            Item::KeyGrant(_) => "key grant",
            Item::Envelope { .. } => "envelope",
            Item::BlobPart { .. } => "attachment part",
            Item::OwnRow { .. } => "device state",
            Item::Cosignature { .. } => "witness cosignature",
            Item::DeviceRemoval(_) => "device removal",
            Item::Takeover { .. } => "consent takeover",
        }
    }
}

/// Encodes a value as one frame: its length (4 bytes, big-endian) and its postcard bytes.
pub fn encode_frame<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let body = postcard::to_stdvec(value).map_err(|e| Error::encode("a frame", e))?;
    if body.len() > MAX_FRAME {
        return Err(ExchangeError::FrameTooLarge {
            size: body.len() as u64,
            max: MAX_FRAME as u64,
        }
        .into());
    }
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Writes one frame.
pub fn write_frame<T: Serialize>(w: &mut impl Write, value: &T) -> Result<Vec<u8>> {
    let frame = encode_frame(value)?;
    w.write_all(&frame).map_err(|e| Error::Io {
        action: "cannot write",
        path: None,
        source: e,
    })?;
    Ok(frame)
}

/// Reads one frame's raw bytes (length prefix included), or `None` at a clean end of
/// input. The length is checked against `max` before anything is allocated.
pub fn read_frame_bytes(r: &mut impl Read, max: usize) -> Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(truncated()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(e)),
        }
    }
    let n = u32::from_be_bytes(len) as usize;
    if n > max {
        return Err(ExchangeError::FrameTooLarge {
            size: n as u64,
            max: max as u64,
        }
        .into());
    }
    let mut frame = vec![0u8; 4 + n];
    frame[..4].copy_from_slice(&len);
    r.read_exact(&mut frame[4..]).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            truncated()
        } else {
            read_error(e)
        }
    })?;
    Ok(Some(frame))
}

/// Decodes a frame read by [`read_frame_bytes`].
pub fn decode_frame<T: DeserializeOwned>(frame: &[u8]) -> Result<T> {
    let body = frame.get(4..).ok_or_else(truncated)?;
    postcard::from_bytes(body).map_err(|e| {
        ExchangeError::Undecodable {
            what: "a frame",
            detail: e.to_string(),
        }
        .into()
    })
}

fn truncated() -> Error {
    ExchangeError::Truncated { what: "the data" }.into()
}

fn read_error(e: io::Error) -> Error {
    // A sealed stream (age) reports bytes that fail to decrypt as invalid data: the data
    // is damaged or altered, not the disk failing.
    if e.kind() == io::ErrorKind::InvalidData {
        return ExchangeError::Unreadable {
            what: "the sealed data",
            source: carnet_crypto::CryptoError::Decrypt {
                what: "a chunk of it",
            },
        }
        .into();
    }
    Error::Io {
        action: "cannot read",
        path: None,
        source: e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_refuse_oversize_and_truncation() {
        let item = Item::KeyGrant(vec![1, 2, 3]);
        let frame = encode_frame(&item).unwrap();
        let mut r = &frame[..];
        let back = read_frame_bytes(&mut r, MAX_FRAME).unwrap().unwrap();
        assert_eq!(decode_frame::<Item>(&back).unwrap(), item);
        assert!(read_frame_bytes(&mut r, MAX_FRAME).unwrap().is_none());

        let mut huge = (u32::MAX).to_be_bytes().to_vec();
        huge.extend_from_slice(&[0; 16]);
        let err = read_frame_bytes(&mut &huge[..], MAX_FRAME).unwrap_err();
        assert!(err.to_string().contains("over the"), "{err}");

        for cut in 1..frame.len() {
            let err = read_frame_bytes(&mut &frame[..cut], MAX_FRAME).unwrap_err();
            assert!(err.to_string().contains("truncated"), "{err}");
        }
        assert!(decode_frame::<Item>(&[0, 0, 0, 2, 0xff, 0xff]).is_err());
    }

    /// Byte strings are (de)serialized with `serde_bytes` for speed; postcard writes them
    /// exactly as it wrote the plain `Vec<u8>` of earlier builds, so their bundles and
    /// syncs still read, and this build's read in theirs.
    #[test]
    fn byte_strings_keep_the_plain_vec_encoding() {
        // The variants never built here still hold their place in the numbering.
        #[allow(dead_code)]
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        enum Before {
            Card(String),
            Checkpoint {
                record: RecordId,
                note: String,
                consistency: Vec<(u64, Vec<[u8; 32]>)>,
            },
            Consent {
                entry: Vec<u8>,
                proof: Vec<[u8; 32]>,
            },
            KeyGrant(Vec<u8>),
            Envelope {
                bytes: Vec<u8>,
                blobs: Vec<[u8; 32]>,
            },
            OwnRow {
                table: carnet_store::DumpTable,
                key: Vec<u8>,
                value: Vec<u8>,
            },
            BlobPart {
                id: [u8; 32],
                total: u64,
                offset: u64,
                bytes: Vec<u8>,
            },
        }
        let long: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        let pairs = [
            (
                Item::Consent {
                    entry: long.clone(),
                    proof: vec![[3; 32]],
                },
                Before::Consent {
                    entry: long.clone(),
                    proof: vec![[3; 32]],
                },
            ),
            (Item::KeyGrant(long.clone()), Before::KeyGrant(long.clone())),
            (
                Item::Envelope {
                    bytes: long.clone(),
                    blobs: vec![[4; 32]],
                },
                Before::Envelope {
                    bytes: long.clone(),
                    blobs: vec![[4; 32]],
                },
            ),
            (
                Item::OwnRow {
                    table: carnet_store::DumpTable::Consent,
                    key: vec![1, 2],
                    value: long.clone(),
                },
                Before::OwnRow {
                    table: carnet_store::DumpTable::Consent,
                    key: vec![1, 2],
                    value: long.clone(),
                },
            ),
            (
                Item::BlobPart {
                    id: [5; 32],
                    total: 900,
                    offset: 600,
                    bytes: long.clone(),
                },
                Before::BlobPart {
                    id: [5; 32],
                    total: 900,
                    offset: 600,
                    bytes: long.clone(),
                },
            ),
        ];
        for (now, before) in pairs {
            let bytes = postcard::to_stdvec(&now).unwrap();
            assert_eq!(
                bytes,
                postcard::to_stdvec(&before).unwrap(),
                "{}",
                now.kind()
            );
            assert_eq!(postcard::from_bytes::<Before>(&bytes).unwrap(), before);
            assert_eq!(postcard::from_bytes::<Item>(&bytes).unwrap(), now);
        }
    }

    #[test]
    fn states_merge_to_the_highest_position() {
        let a = PersonId([1; 32]);
        let d = DeviceId([2; 16]);
        let mut s = RecordState {
            chains: vec![ChainPos {
                section: 1,
                author: a,
                device: d,
                seq: 3,
            }],
            consent: 4,
            keys: vec![(1, 0, [0; 8])],
        };
        s.merge(&RecordState {
            chains: vec![
                ChainPos {
                    section: 1,
                    author: a,
                    device: d,
                    seq: 2,
                },
                ChainPos {
                    section: 2,
                    author: a,
                    device: d,
                    seq: 1,
                },
            ],
            consent: 2,
            keys: vec![(1, 0, [0; 8]), (2, 1, [0; 8])],
        });
        assert_eq!(s.seq(1, &a, &d), 3);
        assert_eq!(s.seq(2, &a, &d), 1);
        assert_eq!(s.seq(3, &a, &d), 0);
        assert_eq!(s.consent, 4);
        assert_eq!(s.keys, vec![(1, 0, [0; 8]), (2, 1, [0; 8])]);
    }
}
