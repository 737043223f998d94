//! Sealed changes: the unit in which every edit of a record is stored and exchanged.
//!
//! Layout (postcard, canonical): `header`, `nonce` (24 bytes), `ciphertext`, `signature`
//! (64 bytes). The ciphertext is XChaCha20-Poly1305 under the section's epoch key with the
//! encoded header as associated data; the signature is the author's ed25519 signature over
//! header, nonce and ciphertext. The envelope id is the BLAKE3 hash of the whole encoding.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::encoding::{decode_canonical, encode};
use crate::keys::{random_array, verify};
use crate::{CryptoError, DeviceId, EpochKey, PersonId, PersonSecret, RecordId};

/// The envelope format version this build writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;
/// The largest envelope accepted from anywhere. Bulk imports are split below this.
pub const MAX_ENVELOPE_BYTES: usize = 16 * 1024 * 1024;
const ENVELOPE_DOMAIN: &[u8] = b"carnet/envelope/v1";

/// The hash of an envelope's bytes: its name everywhere.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EnvelopeId(pub [u8; 32]);

impl EnvelopeId {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }
}

impl fmt::Display for EnvelopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex()[..16])
    }
}

impl fmt::Debug for EnvelopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EnvelopeId({self})")
    }
}

/// What anyone may read about a change without a key: where it belongs and who made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeHeader {
    /// Format version, [`ENVELOPE_VERSION`].
    pub version: u8,
    /// The record the change belongs to.
    pub record: RecordId,
    /// The section's stable code (see `carnet-record`'s `SectionId::code`).
    pub section: u8,
    /// The epoch whose key sealed the body.
    pub epoch: u32,
    /// The author, whose key signed the envelope.
    pub author: PersonId,
    /// The author's device that made the change.
    pub device: DeviceId,
    /// Position in the (author, device, section) chain, from 1.
    pub seq: u64,
    /// The previous envelope in that chain; `None` for `seq == 1`.
    pub prev: Option<EnvelopeId>,
}

#[derive(Serialize)]
struct SignedPart<'a> {
    header: &'a EnvelopeHeader,
    nonce: &'a [u8; 24],
    ciphertext: &'a [u8],
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Wire {
    header: EnvelopeHeader,
    nonce: [u8; 24],
    #[serde(with = "serde_bytes")]
    ciphertext: Vec<u8>,
    signature: Sig,
}

/// serde cannot derive for `[u8; 64]`; postcard writes it as 64 plain bytes either way.
#[derive(Clone, PartialEq, Eq)]
struct Sig([u8; 64]);

impl Serialize for Sig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut t = s.serialize_tuple(64)?;
        for b in &self.0 {
            t.serialize_element(b)?;
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for Sig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Sig;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("64 signature bytes")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Sig, A::Error> {
                let mut out = [0u8; 64];
                for (i, b) in out.iter_mut().enumerate() {
                    *b = seq
                        .next_element()?
                        .ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
                }
                Ok(Sig(out))
            }
        }
        d.deserialize_tuple(64, V)
    }
}

/// A sealed, signed change. Decoding checks structure only; call [`Envelope::verify`]
/// before trusting the header and [`Envelope::open`] to read the body.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    wire: Wire,
    bytes: Vec<u8>,
    id: EnvelopeId,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("id", &self.id)
            .field("header", &self.wire.header)
            .field("ciphertext_len", &self.wire.ciphertext.len())
            .finish()
    }
}

impl Envelope {
    /// Seals `plaintext` under `key` and signs it as `author`. The header's `author` must be
    /// `author`'s id.
    pub fn seal(
        header: EnvelopeHeader,
        plaintext: &[u8],
        key: &EpochKey,
        author: &PersonSecret,
    ) -> Result<Self, CryptoError> {
        if header.author != author.person_id() {
            return Err(CryptoError::Encrypt(
                "the envelope header names another author than the signer".into(),
            ));
        }
        if header.version != ENVELOPE_VERSION {
            return Err(CryptoError::UnsupportedVersion {
                what: "envelope",
                found: header.version,
                supported: ENVELOPE_VERSION,
            });
        }
        let nonce: [u8; 24] = random_array()?;
        let aad = aad(&header);
        let ciphertext = XChaCha20Poly1305::new(key.expose().into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Encrypt("envelope seal failed".into()))?;
        let signed = encode(&SignedPart {
            header: &header,
            nonce: &nonce,
            ciphertext: &ciphertext,
        });
        let signature = Sig(author.sign(ENVELOPE_DOMAIN, &signed));
        let wire = Wire {
            header,
            nonce,
            ciphertext,
            signature,
        };
        let bytes = encode(&wire);
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(CryptoError::TooLarge {
                what: "envelope",
                size: bytes.len(),
                max: MAX_ENVELOPE_BYTES,
            });
        }
        let id = EnvelopeId(*blake3::hash(&bytes).as_bytes());
        Ok(Self { wire, bytes, id })
    }

    /// Decodes an envelope from untrusted bytes: bounded, canonical, no panic. The
    /// signature is not checked yet: see [`Envelope::verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(CryptoError::TooLarge {
                what: "envelope",
                size: bytes.len(),
                max: MAX_ENVELOPE_BYTES,
            });
        }
        if let Some(&v) = bytes.first()
            && v != ENVELOPE_VERSION
        {
            return Err(CryptoError::UnsupportedVersion {
                what: "envelope",
                found: v,
                supported: ENVELOPE_VERSION,
            });
        }
        let wire: Wire = decode_canonical(bytes, "envelope")?;
        let id = EnvelopeId(*blake3::hash(bytes).as_bytes());
        Ok(Self {
            wire,
            bytes: bytes.to_vec(),
            id,
        })
    }

    /// Checks the header's consistency and the author's signature. Needs no key.
    pub fn verify(&self) -> Result<(), CryptoError> {
        let h = &self.wire.header;
        if (h.seq == 0) || ((h.seq == 1) != h.prev.is_none()) {
            return Err(CryptoError::Malformed {
                what: "envelope",
                detail: "sequence number and previous-envelope link disagree".into(),
            });
        }
        let signed = encode(&SignedPart {
            header: h,
            nonce: &self.wire.nonce,
            ciphertext: &self.wire.ciphertext,
        });
        verify(
            &h.author,
            ENVELOPE_DOMAIN,
            &signed,
            &self.wire.signature.0,
            "envelope",
        )
    }

    /// Decrypts the body with the epoch key named by the header.
    pub fn open(&self, key: &EpochKey) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        XChaCha20Poly1305::new(key.expose().into())
            .decrypt(
                XNonce::from_slice(&self.wire.nonce),
                Payload {
                    msg: &self.wire.ciphertext,
                    aad: &aad(&self.wire.header),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Decrypt { what: "envelope" })
    }

    /// The public header.
    pub fn header(&self) -> &EnvelopeHeader {
        &self.wire.header
    }
    /// The envelope's id (hash of its bytes).
    pub fn id(&self) -> EnvelopeId {
        self.id
    }
    /// The canonical bytes, as stored and sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The size of the sealed body.
    pub fn ciphertext_len(&self) -> usize {
        self.wire.ciphertext.len()
    }
}

fn aad(header: &EnvelopeHeader) -> Vec<u8> {
    let mut aad = ENVELOPE_DOMAIN.to_vec();
    aad.extend_from_slice(&encode(header));
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(author: &PersonSecret, seq: u64, prev: Option<EnvelopeId>) -> EnvelopeHeader {
        EnvelopeHeader {
            version: ENVELOPE_VERSION,
            record: RecordId([1; 32]),
            section: 3,
            epoch: 0,
            author: author.person_id(),
            device: DeviceId([2; 16]),
            seq,
            prev,
        }
    }

    #[test]
    fn seal_verify_open_round_trip() {
        let author = PersonSecret::generate().unwrap();
        let key = EpochKey::generate().unwrap();
        let env = Envelope::seal(header(&author, 1, None), b"change bytes", &key, &author).unwrap();
        let back = Envelope::from_bytes(env.as_bytes()).unwrap();
        assert_eq!(back.id(), env.id());
        back.verify().unwrap();
        assert_eq!(back.open(&key).unwrap().as_slice(), b"change bytes");
        assert!(back.open(&EpochKey::generate().unwrap()).is_err());
        assert!(
            !env.as_bytes().windows(12).any(|w| w == b"change bytes"),
            "body is not in clear"
        );
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let author = PersonSecret::generate().unwrap();
        let key = EpochKey::generate().unwrap();
        let env = Envelope::seal(header(&author, 1, None), b"x", &key, &author).unwrap();
        let bytes = env.as_bytes();
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.to_vec();
            b[i / 8] ^= 1 << (i % 8);
            let outcome = Envelope::from_bytes(&b).and_then(|e| {
                e.verify()?;
                e.open(&key)
            });
            assert!(outcome.is_err(), "bit {i} flipped and still accepted");
        }
    }

    #[test]
    fn a_signature_by_someone_else_does_not_verify() {
        let author = PersonSecret::generate().unwrap();
        let forger = PersonSecret::generate().unwrap();
        let key = EpochKey::generate().unwrap();
        // The forger cannot seal under another author's name...
        assert!(Envelope::seal(header(&author, 1, None), b"x", &key, &forger).is_err());
        // ...and a forger's envelope with the header rewritten to the victim fails.
        let env = Envelope::seal(header(&forger, 1, None), b"x", &key, &forger).unwrap();
        let mut wire = env.wire.clone();
        wire.header.author = author.person_id();
        let forged = Envelope::from_bytes(&encode(&wire)).unwrap();
        assert!(matches!(
            forged.verify(),
            Err(CryptoError::BadSignature { .. })
        ));
    }

    #[test]
    fn inconsistent_chain_links_are_refused() {
        let author = PersonSecret::generate().unwrap();
        let key = EpochKey::generate().unwrap();
        let env = Envelope::seal(header(&author, 2, None), b"x", &key, &author).unwrap();
        assert!(env.verify().is_err());
        let env = Envelope::seal(
            header(&author, 1, Some(EnvelopeId([0; 32]))),
            b"x",
            &key,
            &author,
        )
        .unwrap();
        assert!(env.verify().is_err());
    }

    #[test]
    fn trailing_bytes_and_oversize_are_refused() {
        let author = PersonSecret::generate().unwrap();
        let key = EpochKey::generate().unwrap();
        let env = Envelope::seal(header(&author, 1, None), b"x", &key, &author).unwrap();
        let mut b = env.as_bytes().to_vec();
        b.push(0);
        assert!(Envelope::from_bytes(&b).is_err());
        assert!(matches!(
            Envelope::from_bytes(&vec![1u8; MAX_ENVELOPE_BYTES + 1]),
            Err(CryptoError::TooLarge { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Envelope::from_bytes(&bytes).map(|e| e.verify());
        }
    }
}
