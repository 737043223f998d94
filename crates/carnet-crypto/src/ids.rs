//! Public identifiers: who, which device, which record.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};

use crate::CryptoError;

fn b32(bytes: &[u8]) -> String {
    BASE32_NOPAD.encode(bytes).to_ascii_lowercase()
}

fn parse_b32<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], CryptoError> {
    let upper = s.trim().to_ascii_uppercase();
    let bytes = BASE32_NOPAD
        .decode(upper.as_bytes())
        .map_err(|e| CryptoError::Malformed {
            what,
            detail: format!("{e}"),
        })?;
    bytes.try_into().map_err(|_| CryptoError::Malformed {
        what,
        detail: format!("expected {N} bytes"),
    })
}

/// A person: their ed25519 public signing key. Stable for life, shown in base32.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PersonId(pub [u8; 32]);

impl PersonId {
    /// The first 8 characters of the base32 form: enough for a person to recognise an id.
    pub fn short(&self) -> String {
        self.to_string()[..8].to_string()
    }

    /// The ed25519 verifying key, if these bytes are a valid curve point.
    pub fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey, CryptoError> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).map_err(|_| CryptoError::Malformed {
            what: "person id",
            detail: "not an ed25519 public key".into(),
        })
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b32(&self.0))
    }
}

impl fmt::Debug for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonId({})", self.short())
    }
}

impl FromStr for PersonId {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_b32::<32>(s, "person id").map(PersonId)
    }
}

/// One device (one vault) of a person: random, chosen when the vault is created.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeviceId(pub [u8; 16]);

impl DeviceId {
    /// A fresh random device id.
    pub fn random() -> Result<Self, CryptoError> {
        crate::random_array().map(DeviceId)
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b32(&self.0))
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

impl FromStr for DeviceId {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_b32::<16>(s, "device id").map(DeviceId)
    }
}

/// A device's network endpoint: the ed25519 public key its iroh endpoint answers with.
/// Public (peers see it on every connection); shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndpointKey(pub [u8; 32]);

impl EndpointKey {
    /// The first 12 hex digits: enough to tell devices apart in a list.
    pub fn short(&self) -> String {
        self.to_string()[..12].to_string()
    }
}

impl fmt::Display for EndpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

impl fmt::Debug for EndpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EndpointKey({})", self.short())
    }
}

impl FromStr for EndpointKey {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(s.trim().as_bytes())
            .map_err(|e| CryptoError::Malformed {
                what: "endpoint key",
                detail: format!("{e}"),
            })?;
        bytes
            .try_into()
            .map(EndpointKey)
            .map_err(|_| CryptoError::Malformed {
                what: "endpoint key",
                detail: "expected 32 bytes".into(),
            })
    }
}

// As text, in every format: the form people and logs already use.
impl Serialize for EndpointKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EndpointKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A patient's record: derived from the patient's person id, so a record has exactly one
/// owner and anyone holding the patient's card can compute it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId(pub [u8; 32]);

impl RecordId {
    /// The record owned by `patient`.
    pub fn of_patient(patient: &PersonId) -> Self {
        RecordId(blake3::derive_key("carnet record id v1", &patient.0))
    }

    /// The first 8 characters of the base32 form.
    pub fn short(&self) -> String {
        self.to_string()[..8].to_string()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b32(&self.0))
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({})", self.short())
    }
}

impl FromStr for RecordId {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_b32::<32>(s, "record id").map(RecordId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let p = PersonId([7; 32]);
        assert_eq!(p.to_string().parse::<PersonId>().unwrap(), p);
        assert_eq!(p.to_string().to_uppercase().parse::<PersonId>().unwrap(), p);
        let d = DeviceId([9; 16]);
        assert_eq!(d.to_string().parse::<DeviceId>().unwrap(), d);
        let r = RecordId::of_patient(&p);
        assert_eq!(r.to_string().parse::<RecordId>().unwrap(), r);
        assert_ne!(r.0, p.0, "record id is derived, not the key itself");
    }

    #[test]
    fn ids_reject_wrong_lengths_and_junk() {
        assert!("abc".parse::<PersonId>().is_err());
        assert!(DeviceId([1; 16]).to_string().parse::<PersonId>().is_err());
        assert!("!!!!".parse::<DeviceId>().is_err());
    }

    #[test]
    fn an_endpoint_key_is_hex_text_in_every_format() {
        let k = EndpointKey([0xab; 32]);
        assert_eq!(k.to_string(), "ab".repeat(32));
        assert_eq!(
            k.to_string().to_uppercase().parse::<EndpointKey>().unwrap(),
            k
        );
        assert!("ab".repeat(31).parse::<EndpointKey>().is_err());
        assert!("not hex".parse::<EndpointKey>().is_err());
        // Stored rows held the hex as a string: the typed key reads them and writes them
        // back byte for byte.
        let old = postcard::to_stdvec(&"ab".repeat(32)).unwrap();
        assert_eq!(postcard::from_bytes::<EndpointKey>(&old).unwrap(), k);
        assert_eq!(postcard::to_stdvec(&k).unwrap(), old);
    }
}
