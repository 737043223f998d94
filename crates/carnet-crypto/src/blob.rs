//! Attachments: chunked authenticated encryption (the STREAM construction from the `aead`
//! crate) so that a truncated, reordered or altered blob is detected.

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use zeroize::Zeroizing;

use crate::keys::random_array;
use crate::{ContentKey, CryptoError};

/// Plaintext bytes per chunk.
pub const BLOB_CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const NONCE: usize = 19;
const MAGIC: &[u8; 4] = b"CBL1";

/// Encrypts an attachment under its content key. Output: magic, 19-byte nonce prefix, then
/// chunks of at most [`BLOB_CHUNK`] + 16 bytes; the last chunk is marked by STREAM.
pub fn seal_blob(key: &ContentKey, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce: [u8; NONCE] = random_array()?;
    let mut enc = EncryptorBE32::<XChaCha20Poly1305>::new(key.expose().into(), (&nonce).into());
    let chunks = plaintext.len().div_ceil(BLOB_CHUNK).max(1);
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE + plaintext.len() + chunks * TAG);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    let mut pieces = plaintext.chunks(BLOB_CHUNK).peekable();
    if pieces.peek().is_none() {
        let last = EncryptorBE32::<XChaCha20Poly1305>::encrypt_last(enc, &[][..])
            .map_err(|_| CryptoError::Encrypt("blob seal failed".into()))?;
        out.extend_from_slice(&last);
        return Ok(out);
    }
    while let Some(piece) = pieces.next() {
        if pieces.peek().is_none() {
            let last = enc
                .encrypt_last(piece)
                .map_err(|_| CryptoError::Encrypt("blob seal failed".into()))?;
            out.extend_from_slice(&last);
            break;
        }
        let ct = enc
            .encrypt_next(piece)
            .map_err(|_| CryptoError::Encrypt("blob seal failed".into()))?;
        out.extend_from_slice(&ct);
    }
    Ok(out)
}

/// Decrypts a blob sealed by [`seal_blob`]; any change, cut or reordering fails.
pub fn open_blob(key: &ContentKey, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut out = Zeroizing::new(Vec::with_capacity(sealed.len()));
    open_blob_each(key, sealed, &mut |chunk| {
        out.extend_from_slice(chunk);
        true
    })?;
    Ok(out)
}

/// Seals an attachment a chunk at a time, for a caller reading it from a stream: the
/// plaintext is never held whole. Give it [`BLOB_CHUNK`]-byte pieces with
/// [`BlobSealer::chunk`], then the rest (at most [`BLOB_CHUNK`] bytes, possibly none) with
/// [`BlobSealer::finish`]; the result is what [`seal_blob`] makes of the same bytes.
pub struct BlobSealer {
    enc: EncryptorBE32<XChaCha20Poly1305>,
    out: Vec<u8>,
}

impl BlobSealer {
    /// Starts a blob under `key`, with a fresh nonce.
    pub fn new(key: &ContentKey) -> Result<BlobSealer, CryptoError> {
        let nonce: [u8; NONCE] = random_array()?;
        let enc = EncryptorBE32::<XChaCha20Poly1305>::new(key.expose().into(), (&nonce).into());
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        Ok(BlobSealer { enc, out })
    }

    /// Seals one whole chunk ([`BLOB_CHUNK`] bytes) that is not the last.
    pub fn chunk(&mut self, piece: &[u8]) -> Result<(), CryptoError> {
        if piece.len() != BLOB_CHUNK {
            return Err(CryptoError::Encrypt(
                "a blob's inner chunks are whole chunks".into(),
            ));
        }
        let ct = self
            .enc
            .encrypt_next(piece)
            .map_err(|_| CryptoError::Encrypt("blob seal failed".into()))?;
        self.out.extend_from_slice(&ct);
        Ok(())
    }

    /// Seals the last piece (at most [`BLOB_CHUNK`] bytes) and returns the sealed blob.
    pub fn finish(self, last: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if last.len() > BLOB_CHUNK {
            return Err(CryptoError::Encrypt(
                "a blob's last chunk is at most one chunk".into(),
            ));
        }
        let mut out = self.out;
        let ct = self
            .enc
            .encrypt_last(last)
            .map_err(|_| CryptoError::Encrypt("blob seal failed".into()))?;
        out.extend_from_slice(&ct);
        Ok(out)
    }
}

/// Decrypts a blob sealed by [`seal_blob`] or [`BlobSealer`] a chunk at a time, handing
/// each chunk of plaintext to `sink` (in a buffer zeroized after the call), so that the
/// plaintext is never held whole. Any change, cut or reordering fails, but only when its
/// chunk is reached: on an error, what `sink` was given is incomplete and must be dropped.
pub fn open_blob_each(
    key: &ContentKey,
    sealed: &[u8],
    sink: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<u64, CryptoError> {
    let err = || CryptoError::Decrypt { what: "attachment" };
    if sealed.len() < MAGIC.len() + NONCE + TAG || &sealed[..MAGIC.len()] != MAGIC {
        return Err(err());
    }
    let nonce = &sealed[MAGIC.len()..MAGIC.len() + NONCE];
    let body = &sealed[MAGIC.len() + NONCE..];
    let mut dec = DecryptorBE32::<XChaCha20Poly1305>::new(key.expose().into(), nonce.into());
    let mut written = 0u64;
    let mut chunks = body.chunks(BLOB_CHUNK + TAG).peekable();
    let stopped = || CryptoError::Encrypt("the reader of an attachment stopped".into());
    while let Some(chunk) = chunks.next() {
        if chunks.peek().is_none() {
            let pt = Zeroizing::new(dec.decrypt_last(chunk).map_err(|_| err())?);
            if !sink(&pt) {
                return Err(stopped());
            }
            return Ok(written + pt.len() as u64);
        }
        let pt = Zeroizing::new(dec.decrypt_next(chunk).map_err(|_| err())?);
        if !sink(&pt) {
            return Err(stopped());
        }
        written += pt.len() as u64;
    }
    Err(err())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_sealing_and_opening_agree_with_the_whole_forms() {
        let key = ContentKey::generate().unwrap();
        for len in [0, 1, BLOB_CHUNK, BLOB_CHUNK + 1, 3 * BLOB_CHUNK + 7] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut sealer = BlobSealer::new(&key).unwrap();
            let mut rest = data.as_slice();
            while rest.len() > BLOB_CHUNK {
                sealer.chunk(&rest[..BLOB_CHUNK]).unwrap();
                rest = &rest[BLOB_CHUNK..];
            }
            let sealed = sealer.finish(rest).unwrap();
            assert_eq!(
                open_blob(&key, &sealed).unwrap().as_slice(),
                data.as_slice()
            );
            let mut got = Vec::new();
            let n = open_blob_each(&key, &sealed, &mut |c| {
                got.extend_from_slice(c);
                true
            })
            .unwrap();
            assert_eq!((n as usize, got), (len, data.clone()));
            // Cut or altered: refused when its chunk is reached.
            let mut bad = sealed.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(open_blob_each(&key, &bad, &mut |_| true).is_err());
            assert!(open_blob_each(&key, &sealed[..sealed.len() - 1], &mut |_| true).is_err());
        }
    }

    #[test]
    fn blobs_round_trip_at_chunk_boundaries() {
        let key = ContentKey::generate().unwrap();
        for len in [
            0,
            1,
            BLOB_CHUNK - 1,
            BLOB_CHUNK,
            BLOB_CHUNK + 1,
            3 * BLOB_CHUNK + 7,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal_blob(&key, &data).unwrap();
            assert_eq!(
                open_blob(&key, &sealed).unwrap().as_slice(),
                &data[..],
                "len {len}"
            );
        }
    }

    #[test]
    fn truncation_reordering_and_alteration_are_detected() {
        let key = ContentKey::generate().unwrap();
        let data = vec![7u8; 3 * BLOB_CHUNK];
        let sealed = seal_blob(&key, &data).unwrap();
        // Cut after the first full chunk: the first chunk is not marked last.
        let cut = &sealed[..MAGIC.len() + NONCE + BLOB_CHUNK + TAG];
        assert!(open_blob(&key, cut).is_err());
        let mut flipped = sealed.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 1;
        assert!(open_blob(&key, &flipped).is_err());
        let head = MAGIC.len() + NONCE;
        let c = BLOB_CHUNK + TAG;
        let mut swapped = sealed[..head].to_vec();
        swapped.extend_from_slice(&sealed[head + c..head + 2 * c]);
        swapped.extend_from_slice(&sealed[head..head + c]);
        swapped.extend_from_slice(&sealed[head + 2 * c..]);
        assert!(open_blob(&key, &swapped).is_err());
        assert!(open_blob(&ContentKey::generate().unwrap(), &sealed).is_err());
    }
}
