//! Key grants: an epoch key, age-encrypted to one member's X25519 key and signed by the
//! patient, so the member can read one section for one epoch.

use serde::{Deserialize, Serialize};

use crate::encoding::{decode_canonical, encode};
use crate::keys::verify;
use crate::{CryptoError, EpochKey, IdentityCard, PersonId, PersonSecret, RecordId};

const KEY_GRANT_DOMAIN: &[u8] = b"carnet/key-grant/v1";
/// The largest key grant accepted (an age header and 32 bytes: far below this).
pub const MAX_KEY_GRANT_BYTES: usize = 4096;

/// Where a key grant belongs; signed together with the ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGrantHeader {
    /// The record.
    pub record: RecordId,
    /// The section's code.
    pub section: u8,
    /// The epoch whose key this is.
    pub epoch: u32,
    /// Who can open it.
    pub grantee: PersonId,
    /// The grant (consent log) it was delivered under.
    pub grant: [u8; 8],
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Wire {
    header: KeyGrantHeader,
    age: Vec<u8>,
    signature: Vec<u8>,
}

/// A sealed, signed epoch key for one grantee.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyGrant {
    wire: Wire,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for KeyGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyGrant")
            .field("header", &self.wire.header)
            .finish()
    }
}

impl KeyGrant {
    /// Encrypts `key` to `grantee`'s age key and signs the grant as `patient`.
    pub fn seal(
        header: KeyGrantHeader,
        key: &EpochKey,
        grantee: &IdentityCard,
        patient: &PersonSecret,
    ) -> Result<Self, CryptoError> {
        if grantee.person_id() != header.grantee {
            return Err(CryptoError::Encrypt(
                "the key grant names another grantee than the card".into(),
            ));
        }
        let recipient = grantee.age_recipient()?;
        let age = age::encrypt(&recipient, key.expose())
            .map_err(|e| CryptoError::Encrypt(e.to_string()))?;
        let signed = encode(&(&header, &age));
        let signature = patient.sign(KEY_GRANT_DOMAIN, &signed).to_vec();
        let wire = Wire {
            header,
            age,
            signature,
        };
        let bytes = encode(&wire);
        Ok(KeyGrant { wire, bytes })
    }

    /// Decodes from untrusted bytes (bounded, canonical).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() > MAX_KEY_GRANT_BYTES {
            return Err(CryptoError::TooLarge {
                what: "key grant",
                size: bytes.len(),
                max: MAX_KEY_GRANT_BYTES,
            });
        }
        let wire: Wire = decode_canonical(bytes, "key grant")?;
        Ok(KeyGrant {
            wire,
            bytes: bytes.to_vec(),
        })
    }

    /// Checks that `patient` signed it and that `patient` owns the record.
    pub fn verify_by(&self, patient: &PersonId) -> Result<(), CryptoError> {
        self.verify_signed_by(patient, patient)
    }

    /// Checks that `patient` owns the record and that `signer` signed it: the key that
    /// signs `patient`'s consent log now (their own, or the one a takeover named after a
    /// restore: a key grant signed by the key it replaced is refused).
    pub fn verify_signed_by(
        &self,
        patient: &PersonId,
        signer: &PersonId,
    ) -> Result<(), CryptoError> {
        let h = &self.wire.header;
        if RecordId::of_patient(patient) != h.record {
            return Err(CryptoError::BadSignature { what: "key grant" });
        }
        let sig: [u8; 64] = self
            .wire
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::BadSignature { what: "key grant" })?;
        verify(
            signer,
            KEY_GRANT_DOMAIN,
            &encode(&(h, &self.wire.age)),
            &sig,
            "key grant",
        )
    }

    /// Opens the epoch key with the grantee's secret keys.
    pub fn open(&self, grantee: &PersonSecret) -> Result<EpochKey, CryptoError> {
        if grantee.person_id() != self.wire.header.grantee {
            return Err(CryptoError::Decrypt { what: "key grant" });
        }
        let plain = zeroize::Zeroizing::new(
            age::decrypt(grantee.age_identity(), &self.wire.age)
                .map_err(|_| CryptoError::Decrypt { what: "key grant" })?,
        );
        EpochKey::from_slice(&plain)
    }

    /// The header.
    pub fn header(&self) -> &KeyGrantHeader {
        &self.wire.header
    }

    /// The canonical bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    #[test]
    fn only_the_grantee_opens_and_only_the_patient_signs() {
        let patient = PersonSecret::generate().unwrap();
        let doctor = PersonSecret::generate().unwrap();
        let card = IdentityCard::issue(&doctor, "Dr", Role::Clinician, vec![], 0).unwrap();
        let key = EpochKey::generate().unwrap();
        let header = KeyGrantHeader {
            record: RecordId::of_patient(&patient.person_id()),
            section: 2,
            epoch: 0,
            grantee: doctor.person_id(),
            grant: [1; 8],
        };
        let g = KeyGrant::seal(header, &key, &card, &patient).unwrap();
        let back = KeyGrant::from_bytes(g.as_bytes()).unwrap();
        back.verify_by(&patient.person_id()).unwrap();
        assert_eq!(back.open(&doctor).unwrap().expose(), key.expose());
        let stranger = PersonSecret::generate().unwrap();
        assert!(back.open(&stranger).is_err());
        assert!(back.verify_by(&stranger.person_id()).is_err());
        for i in (0..g.as_bytes().len() * 8).step_by(5) {
            let mut b = g.as_bytes().to_vec();
            b[i / 8] ^= 1 << (i % 8);
            let ok = KeyGrant::from_bytes(&b).and_then(|k| k.verify_by(&patient.person_id()));
            assert!(ok.is_err(), "bit {i}");
        }
    }
}
