//! Secret keys. None of these types implements `Debug` or `Display` in a way that shows the
//! secret; all are zeroized on drop.

use std::fmt;

use age::secrecy::{ExposeSecret, SecretString};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::{CryptoError, PersonId};

/// A passphrase typed by a person. Re-exported type so callers need not depend on secrecy.
pub type Passphrase = SecretString;

/// Fills an array from the operating system's random number generator.
pub fn random_array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| CryptoError::Random(e.to_string()))?;
    Ok(out)
}

macro_rules! symmetric_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Zeroizing<[u8; 32]>);

        impl $name {
            /// A fresh random key.
            pub fn generate() -> Result<Self, CryptoError> {
                random_array().map(|k| Self(Zeroizing::new(k)))
            }

            /// Rebuilds a key from its bytes (taken from a decrypted store or key grant).
            pub fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(Zeroizing::new(bytes))
            }

            /// Rebuilds a key from a slice, which must be 32 bytes.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
                let arr: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::Malformed {
                    what: stringify!($name),
                    detail: format!("expected 32 bytes, got {}", bytes.len()),
                })?;
                Ok(Self::from_bytes(arr))
            }

            /// The raw key bytes, for storing them encrypted. Handle with care.
            pub fn expose(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

symmetric_key!(
    /// The current key of one section of one record, for one epoch. Every change of that
    /// section in that epoch is sealed under it; members receive it in key grants.
    EpochKey
);
symmetric_key!(
    /// The device master key: random, wrapped with the passphrase, and used to seal
    /// everything the vault keeps at rest (secret keys, epoch keys, snapshots).
    MasterKey
);
symmetric_key!(
    /// The key of one attachment blob; it travels inside the (encrypted) documents section.
    ContentKey
);

/// Seals `plaintext` with XChaCha20-Poly1305 under `key`, binding `aad`; output is
/// `nonce || ciphertext`.
pub(crate) fn aead_seal(
    key: &[u8; 32],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce: [u8; 24] = random_array()?;
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Encrypt("AEAD seal failed".into()))?;
    let mut out = Vec::with_capacity(24 + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens what [`aead_seal`] produced.
pub(crate) fn aead_open(
    key: &[u8; 32],
    aad: &[u8],
    sealed: &[u8],
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < 24 + 16 {
        return Err(CryptoError::Decrypt { what });
    }
    let (nonce, ct) = sealed.split_at(24);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt { what })
}

impl MasterKey {
    /// The default scrypt cost: N = 2^18, age's usual choice (about a second, 256 MiB).
    pub const DEFAULT_LOG_N: u8 = 18;
    /// The highest scrypt cost [`MasterKey::unwrap`] accepts, so a hostile vault file cannot
    /// make us spend hours or gigabytes.
    pub const MAX_LOG_N: u8 = 20;
    /// The lowest scrypt cost we agree to wrap with; below this a passphrase is too cheap to
    /// guess. Tests use it to stay fast.
    pub const MIN_LOG_N: u8 = 10;

    /// Wraps this key with a passphrase: an age file with one scrypt stanza of cost 2^`log_n`.
    pub fn wrap(&self, passphrase: &Passphrase, log_n: u8) -> Result<Vec<u8>, CryptoError> {
        if !(Self::MIN_LOG_N..=Self::MAX_LOG_N).contains(&log_n) {
            return Err(CryptoError::Encrypt(format!(
                "scrypt cost {log_n} is outside {}..={}",
                Self::MIN_LOG_N,
                Self::MAX_LOG_N
            )));
        }
        let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
        recipient.set_work_factor(log_n);
        age::encrypt(&recipient, self.0.as_slice()).map_err(|e| CryptoError::Encrypt(e.to_string()))
    }

    /// Unwraps a key wrapped by [`MasterKey::wrap`]. A wrong passphrase gives
    /// [`CryptoError::WrongPassphrase`].
    pub fn unwrap(wrapped: &[u8], passphrase: &Passphrase) -> Result<Self, CryptoError> {
        let mut identity = age::scrypt::Identity::new(passphrase.clone());
        identity.set_max_work_factor(Self::MAX_LOG_N);
        let plain = Zeroizing::new(age::decrypt(&identity, wrapped).map_err(|e| match e {
            age::DecryptError::DecryptionFailed
            | age::DecryptError::KeyDecryptionFailed
            | age::DecryptError::NoMatchingKeys => CryptoError::WrongPassphrase,
            other => CryptoError::DamagedWrappedKey(other.to_string()),
        })?);
        Self::from_slice(&plain)
    }

    /// Seals data for storage at rest; `aad` names what it is and where it lives so sealed
    /// values cannot be swapped between slots.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        aead_seal(&self.0, aad, plaintext)
    }

    /// Opens a value sealed by [`MasterKey::seal`] with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        aead_open(&self.0, aad, sealed, "stored vault data")
    }
}

#[derive(Serialize, Deserialize, Zeroize)]
#[zeroize(drop)]
struct PersonSecretRepr {
    signing_seed: [u8; 32],
    age_secret: String,
}

/// A person's private keys: an ed25519 signing key (signatures, identity) and a separate
/// age X25519 key (receiving key grants). Zeroized on drop, never printed.
pub struct PersonSecret {
    signing: ed25519_dalek::SigningKey,
    age: age::x25519::Identity,
}

impl fmt::Debug for PersonSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonSecret({:?}, <redacted>)", self.person_id())
    }
}

impl PersonSecret {
    /// Fresh keys from the operating system's random number generator.
    pub fn generate() -> Result<Self, CryptoError> {
        let seed = Zeroizing::new(random_array::<32>()?);
        Ok(Self {
            signing: ed25519_dalek::SigningKey::from_bytes(&seed),
            age: age::x25519::Identity::generate(),
        })
    }

    /// The person's public id (their ed25519 public key).
    pub fn person_id(&self) -> PersonId {
        PersonId(self.signing.verifying_key().to_bytes())
    }

    /// The age recipient string (`age1...`) others encrypt key grants to.
    pub fn age_recipient(&self) -> String {
        self.age.to_public().to_string()
    }

    /// The age identity, for decrypting key grants.
    pub fn age_identity(&self) -> &age::x25519::Identity {
        &self.age
    }

    /// Signs `message` under a domain label so signatures of one kind of object can never
    /// be replayed as another.
    pub fn sign(&self, domain: &[u8], message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        let mut buf = Zeroizing::new(Vec::with_capacity(domain.len() + 1 + message.len()));
        buf.extend_from_slice(domain);
        buf.push(0);
        buf.extend_from_slice(message);
        self.signing.sign(&buf).to_bytes()
    }

    /// Signs a C2SP signed-note text (a transparency-log checkpoint) as it is, with no
    /// domain label, as that format requires. Refuses text holding a NUL byte: every
    /// domain-labelled message [`PersonSecret::sign`] signs holds one right after its label,
    /// so a note signature can never stand for one of those, nor the reverse.
    pub fn sign_note_text(&self, text: &[u8]) -> Result<[u8; 64], CryptoError> {
        use ed25519_dalek::Signer;
        if text.contains(&0) || !text.ends_with(b"\n") {
            return Err(CryptoError::Malformed {
                what: "note text",
                detail: "a note is newline-terminated text without NUL bytes".into(),
            });
        }
        Ok(self.signing.sign(text).to_bytes())
    }

    /// Serializes the secret keys, to be sealed by the caller (never stored in clear).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let age_secret = self.age.to_string();
        let repr = PersonSecretRepr {
            signing_seed: self.signing.to_bytes(),
            age_secret: age_secret.expose_secret().to_string(),
        };
        Zeroizing::new(crate::encoding::encode(&repr))
    }

    /// Rebuilds secret keys serialized by [`PersonSecret::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let repr: PersonSecretRepr =
            postcard::from_bytes(bytes).map_err(|_| CryptoError::Malformed {
                what: "stored secret keys",
                detail: "do not decode".into(),
            })?;
        let age = repr
            .age_secret
            .parse::<age::x25519::Identity>()
            .map_err(|_| CryptoError::Malformed {
                what: "stored secret keys",
                detail: "age key does not parse".into(),
            })?;
        Ok(Self {
            signing: ed25519_dalek::SigningKey::from_bytes(&repr.signing_seed),
            age,
        })
    }
}

/// Verifies a signature made by [`PersonSecret::sign`] with the same domain label.
pub fn verify_signature(
    signer: &PersonId,
    domain: &[u8],
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), CryptoError> {
    verify(signer, domain, message, signature, "signature")
}

pub(crate) fn verify(
    signer: &PersonId,
    domain: &[u8],
    message: &[u8],
    signature: &[u8; 64],
    what: &'static str,
) -> Result<(), CryptoError> {
    let key = signer
        .verifying_key()
        .map_err(|_| CryptoError::BadSignature { what })?;
    let mut buf = Vec::with_capacity(domain.len() + 1 + message.len());
    buf.extend_from_slice(domain);
    buf.push(0);
    buf.extend_from_slice(message);
    key.verify_strict(&buf, &ed25519_dalek::Signature::from_bytes(signature))
        .map_err(|_| CryptoError::BadSignature { what })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> Passphrase {
        SecretString::from(s.to_string())
    }

    #[test]
    fn master_key_unwraps_only_with_its_passphrase() {
        let key = MasterKey::generate().unwrap();
        let wrapped = key
            .wrap(&pass("correct horse"), MasterKey::MIN_LOG_N)
            .unwrap();
        let back = MasterKey::unwrap(&wrapped, &pass("correct horse")).unwrap();
        assert_eq!(back.expose(), key.expose());
        assert!(matches!(
            MasterKey::unwrap(&wrapped, &pass("wrong")),
            Err(CryptoError::WrongPassphrase)
        ));
        let mut damaged = wrapped.clone();
        damaged.truncate(damaged.len() - 5);
        assert!(MasterKey::unwrap(&damaged, &pass("correct horse")).is_err());
    }

    #[test]
    fn master_key_refuses_a_cost_outside_bounds() {
        let key = MasterKey::generate().unwrap();
        assert!(key.wrap(&pass("x"), 4).is_err());
        assert!(key.wrap(&pass("x"), 30).is_err());
    }

    #[test]
    fn sealed_values_are_bound_to_their_slot() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal(b"slot-a", b"secret").unwrap();
        assert_eq!(key.open(b"slot-a", &sealed).unwrap().as_slice(), b"secret");
        assert!(key.open(b"slot-b", &sealed).is_err());
        let other = MasterKey::generate().unwrap();
        assert!(other.open(b"slot-a", &sealed).is_err());
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = EpochKey::from_bytes([0xAB; 32]);
        let shown = format!("{key:?}");
        assert!(
            !shown.contains("171") && !shown.to_lowercase().contains("ab"),
            "{shown}"
        );
        let person = PersonSecret::generate().unwrap();
        let shown = format!("{person:?}");
        assert!(!shown.contains("AGE-SECRET-KEY"));
    }

    #[test]
    fn person_secret_round_trips_and_signatures_are_domain_separated() {
        let person = PersonSecret::generate().unwrap();
        let bytes = person.to_bytes();
        let back = PersonSecret::from_bytes(&bytes).unwrap();
        assert_eq!(back.person_id(), person.person_id());
        assert_eq!(back.age_recipient(), person.age_recipient());
        let sig = person.sign(b"domain-a", b"msg");
        assert!(verify(&person.person_id(), b"domain-a", b"msg", &sig, "t").is_ok());
        assert!(verify(&person.person_id(), b"domain-b", b"msg", &sig, "t").is_err());
        assert!(verify(&person.person_id(), b"domain-a", b"msh", &sig, "t").is_err());
        let stranger = PersonSecret::generate().unwrap();
        assert!(verify(&stranger.person_id(), b"domain-a", b"msg", &sig, "t").is_err());
    }
}
