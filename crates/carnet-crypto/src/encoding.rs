//! Canonical binary encoding shared by cards and envelopes.

use serde::{Serialize, de::DeserializeOwned};

use crate::CryptoError;

/// Encodes with postcard, which is deterministic for our types (no maps, fixed field order).
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing our own plain structs into a Vec cannot fail.
    postcard::to_stdvec(value).unwrap_or_default()
}

/// Decodes and insists that the bytes are exactly the canonical encoding of the value, so
/// that one value has one byte form (ids are hashes of bytes).
pub(crate) fn decode_canonical<T: Serialize + DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, CryptoError> {
    let value: T = postcard::from_bytes(bytes).map_err(|e| CryptoError::Malformed {
        what,
        detail: e.to_string(),
    })?;
    if encode(&value) != bytes {
        return Err(CryptoError::Malformed {
            what,
            detail: "not in canonical encoding (trailing or re-encoded bytes)".into(),
        });
    }
    Ok(value)
}
