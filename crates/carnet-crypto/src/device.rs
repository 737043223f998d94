//! Device certificates: a person vouches that a network endpoint key is one of their
//! devices. A live peer is authenticated by its endpoint key (the transport proves it);
//! the certificate maps that key to a person, whose grants then decide what it may get.

use serde::{Deserialize, Serialize};

use crate::encoding::{decode_canonical, encode};
use crate::keys::verify;
use crate::{CryptoError, DeviceId, PersonId, PersonSecret};

const DEVICE_CERT_DOMAIN: &[u8] = b"carnet/device-cert/v1";
const DEVICE_CERT_VERSION: u8 = 1;
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
    /// Certifies `endpoint` as `device` of `person`.
    pub fn issue(person: &PersonSecret, device: DeviceId, endpoint: [u8; 32], issued: u64) -> Self {
        let claim = DeviceClaim {
            version: DEVICE_CERT_VERSION,
            person: person.person_id(),
            device,
            endpoint,
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
        verify(
            &self.claim.person,
            DEVICE_CERT_DOMAIN,
            &encode(&self.claim),
            &self.signature,
            "device certificate",
        )?;
        if self.claim.endpoint != *endpoint {
            return Err(CryptoError::BadSignature {
                what: "device certificate (it certifies another endpoint)",
            });
        }
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
        let cert = DeviceCert::issue(&alice, DeviceId([1; 16]), endpoint, 5);
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
        let forged = DeviceCert::issue(&mallory, DeviceId([1; 16]), endpoint, 5);
        let mut wire: Wire = postcard::from_bytes(forged.as_bytes()).unwrap();
        wire.claim.person = alice.person_id();
        let forged = DeviceCert::from_bytes(&encode(&wire)).unwrap();
        assert!(forged.verify(&endpoint).is_err());
    }
}
