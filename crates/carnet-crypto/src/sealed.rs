//! Whole files sealed to one person, for what travels outside a live connection (offline
//! bundles on a USB key or in a mail): age, to the person's X25519 key, in age's STREAM
//! payload format (64 KiB chunks, each authenticated; truncation is detected).
//!
//! Sealing hides everything from whoever finds the file: not only health data (already
//! encrypted) but also who shares which sections with whom.

use std::io::{self, Read, Write};

use crate::{CryptoError, IdentityCard, PersonSecret};

/// A writer that seals what it is given to one person. Call [`SealedWriter::finish`], or the
/// file is truncated and will not open.
pub struct SealedWriter<W: Write>(age::stream::StreamWriter<W>);

impl<W: Write> Write for SealedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write> SealedWriter<W> {
    /// Writes the last chunk and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.0.finish()
    }
}

/// A reader of a file sealed to the reader's owner; every chunk is authenticated before it
/// is returned, and an early end of file is an error, not a short read.
pub struct SealedReader<R: Read>(age::stream::StreamReader<R>);

impl<R: Read> Read for SealedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

/// Starts sealing to the person whose card this is.
pub fn seal_to<W: Write>(recipient: &IdentityCard, out: W) -> Result<SealedWriter<W>, CryptoError> {
    seal_with(&recipient.age_recipient()?, out)
}

pub(crate) fn seal_with<W: Write>(
    recipient: &dyn age::Recipient,
    out: W,
) -> Result<SealedWriter<W>, CryptoError> {
    let enc = age::Encryptor::with_recipients(std::iter::once(recipient))
        .map_err(|e| CryptoError::Encrypt(e.to_string()))?;
    enc.wrap_output(out)
        .map(SealedWriter)
        .map_err(CryptoError::Output)
}

/// Opens a file sealed to `me`. A file sealed to someone else is refused with
/// [`CryptoError::NotForYou`]; one that is not a sealed file at all with
/// [`CryptoError::Malformed`].
pub fn open_sealed<R: Read>(me: &PersonSecret, input: R) -> Result<SealedReader<R>, CryptoError> {
    open_with(me.age_identity(), input)
}

pub(crate) fn open_with<R: Read>(
    identity: &dyn age::Identity,
    input: R,
) -> Result<SealedReader<R>, CryptoError> {
    let dec = age::Decryptor::new(input).map_err(|e| CryptoError::Malformed {
        what: "sealed file",
        detail: e.to_string(),
    })?;
    dec.decrypt(std::iter::once(identity))
        .map(SealedReader)
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => CryptoError::NotForYou,
            other => CryptoError::Malformed {
                what: "sealed file",
                detail: other.to_string(),
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    #[test]
    fn only_the_recipient_opens_and_tampering_is_detected() {
        let bob = PersonSecret::generate().unwrap();
        let card = IdentityCard::issue(&bob, "Bob", Role::Clinician, vec![], 0).unwrap();
        let plain: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut w = seal_to(&card, Vec::new()).unwrap();
        w.write_all(&plain).unwrap();
        let sealed = w.finish().unwrap();

        let mut back = Vec::new();
        open_sealed(&bob, &sealed[..])
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, plain);

        let eve = PersonSecret::generate().unwrap();
        assert!(matches!(
            open_sealed(&eve, &sealed[..]),
            Err(CryptoError::NotForYou)
        ));
        assert!(matches!(
            open_sealed(&bob, &b"not a sealed file"[..]),
            Err(CryptoError::Malformed { .. })
        ));
        // Truncated, or one byte changed in the payload: reading fails, never short.
        for bad in [sealed[..sealed.len() - 10].to_vec(), {
            let mut b = sealed.clone();
            let i = b.len() - 100;
            b[i] ^= 1;
            b
        }] {
            let mut out = Vec::new();
            let r = open_sealed(&bob, &bad[..]).and_then(|mut r| {
                r.read_to_end(&mut out).map_err(|e| CryptoError::Malformed {
                    what: "sealed file",
                    detail: e.to_string(),
                })
            });
            assert!(r.is_err());
        }
    }
}
