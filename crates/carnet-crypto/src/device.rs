//! Device certificates: a person vouches that a network endpoint key, and for a device
//! that does not hold the person's own key its signing key, belong to one of their
//! devices. A live peer is authenticated by its endpoint key (the transport proves it);
//! the certificate maps that key to a person, whose grants then decide what it may get.
//! A device's [`DeviceSecret`] signs that device's envelopes, so a device can be cut off
//! (its id refused) without the person's key ever having been on it.

use std::fmt;

use zeroize::Zeroizing;

use serde::{Deserialize, Serialize};

use crate::encoding::{decode_canonical, encode};
use crate::keys::verify;
use crate::{CryptoError, DeviceId, PersonId, PersonSecret};

const DEVICE_CERT_DOMAIN: &[u8] = b"carnet/device-cert/v2";
const DEVICE_CERT_VERSION: u8 = 2;
/// The largest certificate accepted.
pub const MAX_DEVICE_CERT_BYTES: usize = 512;

/// What a device certificate states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceClaim {
    /// Format version.
    pub version: u8,
    /// The person.
    pub person: PersonId,
    /// Their device (vault) id.
    pub device: DeviceId,
    /// The device's network endpoint public key (ed25519).
    pub endpoint: [u8; 32],
    /// The device's own signing key (ed25519), for a device that signs its envelopes
    /// itself; `None` for the device that holds the person's key and signs as them.
    pub signing: Option<[u8; 32]>,
    /// When it was issued (Unix seconds).
    pub issued: u64,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Wire {
    claim: DeviceClaim,
    signature: Vec<u8>,
}

/// A device certificate, signed by the person. Decoding checks structure only; call
/// [`DeviceCert::verify`] before trusting it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCert {
    claim: DeviceClaim,
    signature: [u8; 64],
    bytes: Vec<u8>,
}

impl DeviceCert {
    /// Certifies `endpoint` (and `signing`, the device's own signing key if it has one)
    /// as `device` of `person`.
    pub fn issue(
        person: &PersonSecret,
        device: DeviceId,
        endpoint: [u8; 32],
        signing: Option<[u8; 32]>,
        issued: u64,
    ) -> Self {
        let claim = DeviceClaim {
            version: DEVICE_CERT_VERSION,
            person: person.person_id(),
            device,
            endpoint,
            signing,
            issued,
        };
        let signature = person.sign(DEVICE_CERT_DOMAIN, &encode(&claim));
        let bytes = encode(&Wire {
            claim: claim.clone(),
            signature: signature.to_vec(),
        });
        DeviceCert {
            claim,
            signature,
            bytes,
        }
    }

    /// Decodes from untrusted bytes (bounded, canonical).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() > MAX_DEVICE_CERT_BYTES {
            return Err(CryptoError::TooLarge {
                what: "device certificate",
                size: bytes.len(),
                max: MAX_DEVICE_CERT_BYTES,
            });
        }
        let wire: Wire = decode_canonical(bytes, "device certificate")?;
        if wire.claim.version != DEVICE_CERT_VERSION {
            return Err(CryptoError::UnsupportedVersion {
                what: "device certificate",
                found: wire.claim.version,
                supported: DEVICE_CERT_VERSION,
            });
        }
        let signature: [u8; 64] =
            wire.signature
                .as_slice()
                .try_into()
                .map_err(|_| CryptoError::Malformed {
                    what: "device certificate",
                    detail: "the signature is not 64 bytes".into(),
                })?;
        Ok(DeviceCert {
            claim: wire.claim,
            signature,
            bytes: bytes.to_vec(),
        })
    }

    /// Checks that the person it names signed it, and that it certifies `endpoint` (the
    /// key the transport authenticated).
    pub fn verify(&self, endpoint: &[u8; 32]) -> Result<&DeviceClaim, CryptoError> {
        self.verify_signature()?;
        if self.claim.endpoint != *endpoint {
            return Err(CryptoError::BadSignature {
                what: "device certificate (it certifies another endpoint)",
            });
        }
        Ok(&self.claim)
    }

    /// Checks that the person it names signed it (whatever endpoint it names).
    pub fn verify_signature(&self) -> Result<&DeviceClaim, CryptoError> {
        verify(
            &self.claim.person,
            DEVICE_CERT_DOMAIN,
            &encode(&self.claim),
            &self.signature,
            "device certificate",
        )?;
        Ok(&self.claim)
    }

    /// The claim, unverified.
    pub fn claim(&self) -> &DeviceClaim {
        &self.claim
    }

    /// The canonical bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// A device's own signing key (ed25519): signs the envelopes of a device that does not
/// hold its person's key. Zeroized on drop, never printed.
pub struct DeviceSecret {
    signing: ed25519_dalek::SigningKey,
}

impl fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceSecret(<redacted>)")
    }
}

impl DeviceSecret {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Result<Self, CryptoError> {
        let seed = Zeroizing::new(crate::random_array::<32>()?);
        Ok(Self::from_seed(&seed))
    }

    /// The key with this seed (as [`DeviceSecret::to_seed`] gave it).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            signing: ed25519_dalek::SigningKey::from_bytes(seed),
        }
    }

    /// The seed, to be stored sealed by the caller.
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public key a [`DeviceCert`] certifies.
    pub fn public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// Signs under a domain label, as [`PersonSecret::sign`] does.
    pub(crate) fn sign(&self, domain: &[u8], message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        let mut buf = Zeroizing::new(Vec::with_capacity(domain.len() + 1 + message.len()));
        buf.extend_from_slice(domain);
        buf.push(0);
        buf.extend_from_slice(message);
        self.signing.sign(&buf).to_bytes()
    }
}

/// The public key of a device's endpoint secret key (an ed25519 seed), as the transport
/// derives it.
pub fn endpoint_public_key(secret: &[u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(secret)
        .verifying_key()
        .to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_binds_one_endpoint_to_its_person() {
        let alice = PersonSecret::generate().unwrap();
        let endpoint = [7u8; 32];
        let cert = DeviceCert::issue(&alice, DeviceId([1; 16]), endpoint, Some([9; 32]), 5);
        let back = DeviceCert::from_bytes(cert.as_bytes()).unwrap();
        assert_eq!(back.verify(&endpoint).unwrap().person, alice.person_id());
        assert!(back.verify(&[8u8; 32]).is_err(), "another endpoint");
        for i in 0..cert.as_bytes().len() * 8 {
            let mut b = cert.as_bytes().to_vec();
            b[i / 8] ^= 1 << (i % 8);
            let ok = DeviceCert::from_bytes(&b).and_then(|c| c.verify(&endpoint).map(|_| ()));
            assert!(ok.is_err(), "bit {i}");
        }
        // A certificate claiming Alice but signed by Mallory.
        let mallory = PersonSecret::generate().unwrap();
        let forged = DeviceCert::issue(&mallory, DeviceId([1; 16]), endpoint, None, 5);
        let mut wire: Wire = postcard::from_bytes(forged.as_bytes()).unwrap();
        wire.claim.person = alice.person_id();
        let forged = DeviceCert::from_bytes(&encode(&wire)).unwrap();
        assert!(forged.verify(&endpoint).is_err());
    }
}
