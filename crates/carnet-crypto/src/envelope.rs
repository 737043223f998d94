//! Sealed changes: the unit in which every edit of a record is stored and exchanged.
//!
//! Layout (postcard, canonical), version 1 (signed with the author's own key):
//! `header`, `nonce` (24 bytes), `ciphertext`, `signature` (64 bytes). Version 2 (signed by
//! one of the author's devices): `header`, `cert` (the author's [`DeviceCert`] for the
//! header's device, as bytes), `nonce`, `ciphertext`, `signature`. The ciphertext is
//! XChaCha20-Poly1305 under the section's epoch key with the encoded header as associated
//! data; the signature is ed25519 over header, (cert,) nonce and ciphertext, by the author
//! (v1) or by the signing key the certificate names (v2). The envelope id is the BLAKE3
//! hash of the whole encoding.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::encoding::{decode_canonical, encode};
use crate::keys::{random_array, verify};
use crate::{
    CryptoError, DeviceCert, DeviceId, DeviceSecret, EpochKey, MAX_DEVICE_CERT_BYTES, PersonId,
    PersonSecret, RecordId,
};

/// Device certificates whose signature was checked, by the hash of their bytes (see
/// [`Envelope::verify_with`]). Only a check that passed is kept.
#[derive(Default)]
pub struct CertMemo(std::collections::HashMap<[u8; 32], crate::DeviceClaim>);

impl CertMemo {
    fn check(&mut self, cert: &DeviceCert) -> Result<&crate::DeviceClaim, CryptoError> {
        let key = *blake3::hash(cert.as_bytes()).as_bytes();
        Ok(match self.0.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(cert.verify_signature()?.clone())
            }
        })
    }
}

/// The format of an envelope signed with its author's own key.
pub const ENVELOPE_VERSION: u8 = 1;
/// The format of an envelope signed by a device of its author, carrying the certificate.
pub const DEVICE_ENVELOPE_VERSION: u8 = 2;
const DEVICE_ENVELOPE_DOMAIN: &[u8] = b"carnet/envelope/v2";
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

#[derive(Serialize)]
struct SignedPart2<'a> {
    header: &'a EnvelopeHeader,
    #[serde(with = "serde_bytes")]
    cert: &'a [u8],
    nonce: &'a [u8; 24],
    ciphertext: &'a [u8],
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Wire2 {
    header: EnvelopeHeader,
    #[serde(with = "serde_bytes")]
    cert: Vec<u8>,
    nonce: [u8; 24],
    #[serde(with = "serde_bytes")]
    ciphertext: Vec<u8>,
    signature: Sig,
}

/// Who signs a new envelope: the author with their own key (the device that holds it), or
/// one of the author's devices with its own key and the certificate the author gave it.
#[derive(Clone, Copy)]
pub enum Signer<'a> {
    /// The author's own key (format 1).
    Person(&'a PersonSecret),
    /// A device's key, certified by the author (format 2).
    Device(&'a DeviceSecret, &'a DeviceCert),
}

impl<'a> From<&'a PersonSecret> for Signer<'a> {
    fn from(p: &'a PersonSecret) -> Self {
        Signer::Person(p)
    }
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
    /// The device certificate of a format-2 envelope.
    cert: Option<DeviceCert>,
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
    /// Seals `plaintext` under `key` and signs it: as the author with their own key
    /// (format 1), or as one of their devices (format 2, carrying its certificate). The
    /// header's `author` must be the signer's person and, for a device, its `device` the
    /// certified one; its `version` is set to the signer's format.
    pub fn seal<'a>(
        mut header: EnvelopeHeader,
        plaintext: &[u8],
        key: &EpochKey,
        signer: impl Into<Signer<'a>>,
    ) -> Result<Self, CryptoError> {
        let signer = signer.into();
        if header.version != ENVELOPE_VERSION && header.version != DEVICE_ENVELOPE_VERSION {
            return Err(CryptoError::UnsupportedVersion {
                what: "envelope",
                found: header.version,
                supported: DEVICE_ENVELOPE_VERSION,
            });
        }
        let (signer_person, cert) = match signer {
            Signer::Person(p) => {
                header.version = ENVELOPE_VERSION;
                (p.person_id(), None)
            }
            Signer::Device(secret, cert) => {
                let claim = cert.claim();
                if claim.device != header.device || claim.signing != Some(secret.public()) {
                    return Err(CryptoError::Encrypt(
                        "the device certificate names another device or key than the signer".into(),
                    ));
                }
                header.version = DEVICE_ENVELOPE_VERSION;
                (claim.person, Some(cert.clone()))
            }
        };
        if header.author != signer_person {
            return Err(CryptoError::Encrypt(
                "the envelope header names another author than the signer".into(),
            ));
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
        let (wire, bytes) = match (signer, &cert) {
            (Signer::Device(secret, _), Some(cert)) => {
                let signed = encode(&SignedPart2 {
                    header: &header,
                    cert: cert.as_bytes(),
                    nonce: &nonce,
                    ciphertext: &ciphertext,
                });
                let signature = Sig(secret.sign(DEVICE_ENVELOPE_DOMAIN, &signed));
                let w2 = Wire2 {
                    header,
                    cert: cert.as_bytes().to_vec(),
                    nonce,
                    ciphertext,
                    signature,
                };
                let bytes = encode(&w2);
                (
                    Wire {
                        header: w2.header,
                        nonce: w2.nonce,
                        ciphertext: w2.ciphertext,
                        signature: w2.signature,
                    },
                    bytes,
                )
            }
            _ => {
                let Signer::Person(author) = signer else {
                    return Err(CryptoError::Encrypt("no signer".into()));
                };
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
                (wire, bytes)
            }
        };
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(CryptoError::TooLarge {
                what: "envelope",
                size: bytes.len(),
                max: MAX_ENVELOPE_BYTES,
            });
        }
        let id = EnvelopeId(*blake3::hash(&bytes).as_bytes());
        Ok(Self {
            wire,
            cert,
            bytes,
            id,
        })
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
        let (wire, cert) = match bytes.first() {
            Some(&ENVELOPE_VERSION) | None => (decode_canonical::<Wire>(bytes, "envelope")?, None),
            Some(&DEVICE_ENVELOPE_VERSION) => {
                let w2: Wire2 = decode_canonical(bytes, "envelope")?;
                if w2.cert.len() > MAX_DEVICE_CERT_BYTES {
                    return Err(CryptoError::TooLarge {
                        what: "device certificate",
                        size: w2.cert.len(),
                        max: MAX_DEVICE_CERT_BYTES,
                    });
                }
                let cert = DeviceCert::from_bytes(&w2.cert)?;
                (
                    Wire {
                        header: w2.header,
                        nonce: w2.nonce,
                        ciphertext: w2.ciphertext,
                        signature: w2.signature,
                    },
                    Some(cert),
                )
            }
            Some(&v) => {
                return Err(CryptoError::UnsupportedVersion {
                    what: "envelope",
                    found: v,
                    supported: DEVICE_ENVELOPE_VERSION,
                });
            }
        };
        if wire.header.version != bytes[0] {
            return Err(CryptoError::Malformed {
                what: "envelope",
                detail: "its header's version is not its format's".into(),
            });
        }
        let id = EnvelopeId(*blake3::hash(bytes).as_bytes());
        Ok(Self {
            wire,
            cert,
            bytes: bytes.to_vec(),
            id,
        })
    }

    /// Checks the header's consistency and the signature: the author's own (format 1), or
    /// (format 2) the certificate's, made by the author for the header's device, and the
    /// device's under the key it certifies. Needs no key.
    pub fn verify(&self) -> Result<(), CryptoError> {
        self.verify_with(&mut CertMemo::default())
    }

    /// [`Envelope::verify`], with the device certificates already checked in `certs`
    /// taken as checked (a device's envelopes all carry its one certificate: checked once
    /// per batch instead of once per envelope). The same decisions as `verify`.
    pub fn verify_with(&self, certs: &mut CertMemo) -> Result<(), CryptoError> {
        let h = &self.wire.header;
        if (h.seq == 0) || ((h.seq == 1) != h.prev.is_none()) {
            return Err(CryptoError::Malformed {
                what: "envelope",
                detail: "sequence number and previous-envelope link disagree".into(),
            });
        }
        match &self.cert {
            None => {
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
            Some(cert) => {
                let claim = certs.check(cert)?;
                let Some(signing) = claim.signing else {
                    return Err(CryptoError::BadSignature {
                        what: "envelope (its device certificate names no signing key)",
                    });
                };
                if claim.person != h.author || claim.device != h.device {
                    return Err(CryptoError::BadSignature {
                        what: "envelope (its device certificate is for another device or person)",
                    });
                }
                let signed = encode(&SignedPart2 {
                    header: h,
                    cert: cert.as_bytes(),
                    nonce: &self.wire.nonce,
                    ciphertext: &self.wire.ciphertext,
                });
                verify(
                    &PersonId(signing),
                    DEVICE_ENVELOPE_DOMAIN,
                    &signed,
                    &self.wire.signature.0,
                    "envelope",
                )
            }
        }
    }

    /// The device certificate a format-2 envelope carries (`None` for one its author
    /// signed with their own key). Checked by [`Envelope::verify`].
    pub fn device_cert(&self) -> Option<&DeviceCert> {
        self.cert.as_ref()
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

    /// A format-2 envelope put together by hand, signed again by `by` over what it holds.
    fn resigned(mut w: Wire2, by: &DeviceSecret) -> Envelope {
        w.signature = Sig(by.sign(
            DEVICE_ENVELOPE_DOMAIN,
            &encode(&SignedPart2 {
                header: &w.header,
                cert: &w.cert,
                nonce: &w.nonce,
                ciphertext: &w.ciphertext,
            }),
        ));
        Envelope::from_bytes(&encode(&w)).unwrap()
    }

    fn device_of(person: &PersonSecret) -> (DeviceSecret, DeviceCert) {
        let secret = DeviceSecret::generate().unwrap();
        let cert = DeviceCert::issue(person, DeviceId([2; 16]), [5; 32], Some(secret.public()), 9);
        (secret, cert)
    }

    #[test]
    fn a_device_signed_envelope_round_trips_and_every_bit_counts() {
        let author = PersonSecret::generate().unwrap();
        let (secret, cert) = device_of(&author);
        let key = EpochKey::generate().unwrap();
        let env = Envelope::seal(
            header(&author, 1, None),
            b"x",
            &key,
            Signer::Device(&secret, &cert),
        )
        .unwrap();
        assert_eq!(env.header().version, DEVICE_ENVELOPE_VERSION);
        let back = Envelope::from_bytes(env.as_bytes()).unwrap();
        back.verify().unwrap();
        assert_eq!(back.device_cert(), Some(&cert));
        assert_eq!(back.open(&key).unwrap().as_slice(), b"x");
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
        // The same with the certificate already checked once (as a batch checks each
        // device's certificate once): no flipped bit gets through the memo either.
        let mut certs = CertMemo::default();
        back.verify_with(&mut certs).unwrap();
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.to_vec();
            b[i / 8] ^= 1 << (i % 8);
            let outcome = Envelope::from_bytes(&b).and_then(|e| {
                e.verify_with(&mut certs)?;
                e.open(&key)
            });
            assert!(
                outcome.is_err(),
                "bit {i} flipped and accepted after the memo"
            );
        }
    }

    #[test]
    fn a_device_cannot_sign_beyond_its_certificate() {
        let author = PersonSecret::generate().unwrap();
        let mallory = PersonSecret::generate().unwrap();
        let key = EpochKey::generate().unwrap();
        let (secret, cert) = device_of(&author);
        // Another device id than the certified one.
        let mut h = header(&author, 1, None);
        h.device = DeviceId([3; 16]);
        assert!(Envelope::seal(h.clone(), b"x", &key, Signer::Device(&secret, &cert)).is_err());
        // A key the certificate does not name.
        let other = DeviceSecret::generate().unwrap();
        assert!(
            Envelope::seal(
                header(&author, 1, None),
                b"x",
                &key,
                Signer::Device(&other, &cert)
            )
            .is_err()
        );
        // A device certified by Mallory cannot sign as the author, even when the
        // envelope is put together by hand.
        let (m_secret, m_cert) = device_of(&mallory);
        let env = Envelope::seal(
            header(&mallory, 1, None),
            b"x",
            &key,
            Signer::Device(&m_secret, &m_cert),
        )
        .unwrap();
        let mut w: Wire2 = postcard::from_bytes(env.as_bytes()).unwrap();
        w.header.author = author.person_id();
        let forged = resigned(w, &m_secret);
        assert!(matches!(
            forged.verify(),
            Err(CryptoError::BadSignature { .. })
        ));
        // A certificate for the person's own device (no signing key) signs nothing.
        let bare = DeviceCert::issue(&author, DeviceId([2; 16]), [5; 32], None, 9);
        let mut w: Wire2 = postcard::from_bytes(
            Envelope::seal(
                header(&author, 1, None),
                b"x",
                &key,
                Signer::Device(&secret, &cert),
            )
            .unwrap()
            .as_bytes(),
        )
        .unwrap();
        w.cert = bare.as_bytes().to_vec();
        let forged = resigned(w.clone(), &secret);
        assert!(forged.verify().is_err());
        // A certificate naming the author that the author never signed (Mallory's
        // signature, Mallory's device key): refused, also when the author's real
        // certificate was checked before in the same batch.
        #[derive(serde::Serialize)]
        struct CertWire {
            claim: crate::DeviceClaim,
            signature: Vec<u8>,
        }
        let mut claim = m_cert.claim().clone();
        claim.person = author.person_id();
        let fake = DeviceCert::from_bytes(&encode(&CertWire {
            claim,
            signature: m_cert.as_bytes()[m_cert.as_bytes().len() - 64..].to_vec(),
        }))
        .unwrap();
        w.cert = fake.as_bytes().to_vec();
        let forged = resigned(w, &m_secret);
        assert!(forged.verify().is_err());
        let mut certs = CertMemo::default();
        let honest = Envelope::seal(
            header(&author, 1, None),
            b"x",
            &key,
            Signer::Device(&secret, &cert),
        )
        .unwrap();
        honest.verify_with(&mut certs).unwrap();
        assert!(forged.verify_with(&mut certs).is_err());
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Envelope::from_bytes(&bytes).map(|e| e.verify());
        }
    }
}
