//! Recovery: a phrase a person writes down once, the key derived from it that opens their
//! backups, and the k-of-n split of that key among trusted contacts.
//!
//! The phrase is 24 BIP-39 English words (256 bits of entropy, with a checksum that catches
//! a mistyped word). The recovery key is `blake3::derive_key("carnet recovery key v1",
//! entropy)`, used as an age X25519 identity: a device keeps only its public recipient, so
//! it can make backups that only the phrase (or k shares of the key) can open.
//!
//! Shares use Shamir's scheme over GF(256) from `vsss-rs` (constant time): any k rebuild the
//! key, fewer reveal nothing about it. Each share goes to its holder sealed with age to
//! their key and signed by the person, so a holder can check whose share it is, and a
//! released share names its threshold and the recipient it must rebuild: too few shares, or
//! shares of another key, are refused clearly instead of yielding a wrong key.

use std::io::{Read, Write};

use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::encoding::{decode_canonical, encode};
use crate::keys::verify;
use crate::sealed::{SealedReader, SealedWriter};
use crate::{CryptoError, IdentityCard, PersonId, PersonSecret};

const KEY_CONTEXT: &str = "carnet recovery key v1";
const ROOT_CONTEXT: &str = "carnet root identity v1";
const SHARE_DOMAIN: &[u8] = b"carnet/recovery-share/v1";
/// The prefix of a released share's text form.
pub const SHARE_PREFIX: &str = "carnet-share1:";
/// The largest sealed share accepted.
pub const MAX_SEALED_SHARE_BYTES: usize = 8192;

/// The words a person writes down. Never stored; zeroized when dropped; no `Debug`.
pub struct RecoveryPhrase(Zeroizing<String>);

impl RecoveryPhrase {
    /// A new phrase from the system's random generator.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut entropy = Zeroizing::new(crate::random_array::<32>()?);
        let m = bip39::Mnemonic::from_entropy(entropy.as_slice())
            .map_err(|e| CryptoError::Random(e.to_string()))?;
        entropy.zeroize();
        Ok(RecoveryPhrase(Zeroizing::new(m.to_string())))
    }

    /// Reads a phrase as a person typed it: case and spacing do not matter; an unknown word
    /// or a failed checksum is refused with a message saying which.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let normal = Zeroizing::new(
            text.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" "),
        );
        let words = normal.split(' ').filter(|w| !w.is_empty()).count();
        if words != 24 {
            return Err(CryptoError::BadPhrase(format!(
                "it has {words} words; a recovery phrase has 24"
            )));
        }
        let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &normal).map_err(
            |e| {
                CryptoError::BadPhrase(match e {
                    bip39::Error::UnknownWord(i) => {
                        format!("word {} is not a recovery word", i + 1)
                    }
                    bip39::Error::InvalidChecksum => {
                        "its checksum does not match: a word is wrong or out of place".into()
                    }
                    other => other.to_string(),
                })
            },
        )?;
        Ok(RecoveryPhrase(Zeroizing::new(m.to_string())))
    }

    /// The words, for showing once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The recovery key the phrase stands for.
    pub fn key(&self) -> Result<RecoveryKey, CryptoError> {
        let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &self.0)
            .map_err(|e| CryptoError::BadPhrase(e.to_string()))?;
        let entropy = Zeroizing::new(m.to_entropy());
        Ok(RecoveryKey(Zeroizing::new(blake3::derive_key(
            KEY_CONTEXT,
            &entropy,
        ))))
    }
}

/// A person's root signing key ([`RecoveryKey::root`]). Zeroized when dropped (the
/// ed25519 key zeroizes itself); no `Debug`.
pub struct RootSecret(ed25519_dalek::SigningKey);

impl RootSecret {
    /// The public root key, as declared in the person's consent log.
    pub fn public(&self) -> RootKey {
        RootKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `message` under a domain label (as [`PersonSecret::sign`] does).
    pub fn sign(&self, domain: &[u8], message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        let mut buf = Zeroizing::new(Vec::with_capacity(domain.len() + 1 + message.len()));
        buf.extend_from_slice(domain);
        buf.push(0);
        buf.extend_from_slice(message);
        self.0.sign(&buf).to_bytes()
    }
}

/// A person's public root key: the ed25519 key [`RootSecret`] signs with.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RootKey(pub [u8; 32]);

impl RootKey {
    /// Verifies a signature made by [`RootSecret::sign`] with the same domain label.
    pub fn verify(
        &self,
        domain: &[u8],
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), CryptoError> {
        verify(
            &PersonId(self.0),
            domain,
            message,
            signature,
            "root signature",
        )
    }
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RootKey({})", &PersonId(self.0).to_string()[..8])
    }
}

/// The key that opens backups. Zeroized when dropped; no `Debug`.
pub struct RecoveryKey(Zeroizing<[u8; 32]>);

impl RecoveryKey {
    fn identity(&self) -> Result<age::x25519::Identity, CryptoError> {
        let hrp = bech32::Hrp::parse("age-secret-key-")
            .map_err(|e| CryptoError::Encrypt(e.to_string()))?;
        let mut text = Zeroizing::new(
            bech32::encode::<bech32::Bech32>(hrp, self.0.as_slice())
                .map_err(|e| CryptoError::Encrypt(e.to_string()))?,
        );
        text.make_ascii_uppercase();
        text.parse::<age::x25519::Identity>()
            .map_err(|e| CryptoError::Encrypt(e.to_string()))
    }

    /// The public recipient backups are sealed to (`age1...`): what a device keeps.
    pub fn recipient(&self) -> Result<String, CryptoError> {
        Ok(self.identity()?.to_public().to_string())
    }

    /// The person's root signing key, derived from the recovery key:
    /// `blake3::derive_key("carnet root identity v1", recovery key)` as an ed25519 seed.
    /// Never stored: whoever holds the phrase (or k shares of it) re-derives it, so it is
    /// the one authority a thief of a device cannot hold. It signs only the rare
    /// statements that change who speaks for the person (a takeover after a restore).
    pub fn root(&self) -> RootSecret {
        let seed = Zeroizing::new(blake3::derive_key(ROOT_CONTEXT, self.0.as_slice()));
        RootSecret(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// Splits the key into `total` shares, any `threshold` of which rebuild it.
    pub fn split(&self, threshold: u8, total: u8) -> Result<Vec<Zeroizing<Vec<u8>>>, CryptoError> {
        if threshold < 2 || threshold > total {
            return Err(CryptoError::BadShare(format!(
                "a split needs 2 <= threshold <= holders, not {threshold} of {total}"
            )));
        }
        // A CSPRNG seeded from the system's generator: a failure to get entropy is an
        // error here, never a panic inside the split.
        let mut seed = Zeroizing::new(crate::random_array::<32>()?);
        let rng = <rand::rngs::ChaCha20Rng as rand::SeedableRng>::from_seed(*seed);
        seed.zeroize();
        let shares =
            vsss_rs::Gf256::split_bytes(threshold as usize, total as usize, self.0.as_slice(), rng)
                .map_err(|e| CryptoError::BadShare(format!("{e:?}")))?;
        Ok(shares.into_iter().map(Zeroizing::new).collect())
    }

    /// Rebuilds a key from released shares, and checks it is the key they claim to
    /// rebuild: too few shares, or shares of different keys, are refused.
    pub fn combine(shares: &[ReleasedShare]) -> Result<RecoveryKey, CryptoError> {
        let first = shares
            .first()
            .ok_or_else(|| CryptoError::BadShare("no share given".into()))?;
        if shares.iter().any(|s| {
            s.recipient != first.recipient
                || s.threshold != first.threshold
                || s.person != first.person
        }) {
            return Err(CryptoError::BadShare(
                "these shares belong to different recovery keys".into(),
            ));
        }
        let mut indexes: Vec<u8> = shares
            .iter()
            .map(|s| s.share.first().copied().unwrap_or(0))
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        if indexes.len() < first.threshold as usize {
            return Err(CryptoError::BadShare(format!(
                "{} different share(s) given; {} are needed",
                indexes.len(),
                first.threshold
            )));
        }
        let raw: Vec<Vec<u8>> = shares.iter().map(|s| s.share.to_vec()).collect();
        let mut secret = Zeroizing::new(
            vsss_rs::Gf256::combine_bytes(&raw)
                .map_err(|e| CryptoError::BadShare(format!("{e:?}")))?,
        );
        for mut r in raw {
            r.zeroize();
        }
        let bytes: [u8; 32] = secret
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::BadShare("the shares do not rebuild a key".into()))?;
        secret.zeroize();
        let key = RecoveryKey(Zeroizing::new(bytes));
        if key.recipient()? != first.recipient {
            return Err(CryptoError::BadShare(
                "the shares do not rebuild the recovery key they name (a share was altered or mistyped)".into(),
            ));
        }
        Ok(key)
    }

    /// Opens a file sealed to this key's recipient.
    pub fn open<R: Read>(&self, input: R) -> Result<SealedReader<R>, CryptoError> {
        let id = self.identity()?;
        crate::sealed::open_with(&id, input)
    }
}

/// Starts sealing to a recovery recipient (`age1...`).
pub fn seal_to_recipient<W: Write>(
    recipient: &str,
    out: W,
) -> Result<SealedWriter<W>, CryptoError> {
    let r: age::x25519::Recipient = recipient
        .parse()
        .map_err(|e: &str| CryptoError::Encrypt(e.to_string()))?;
    crate::sealed::seal_with(&r, out)
}

/// What a share states about itself, signed by the person whose key it is part of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareHeader {
    /// Whose recovery key.
    pub person: PersonId,
    /// Their identity card (text), so the holder knows whose share it keeps.
    pub card: String,
    /// Who holds this share.
    pub holder: PersonId,
    /// How many shares rebuild the key.
    pub threshold: u8,
    /// How many were made.
    pub total: u8,
    /// The recipient the key must rebuild (`age1...`).
    pub recipient: String,
    /// When it was made (Unix seconds).
    pub issued: u64,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SealedShareWire {
    header: ShareHeader,
    age: Vec<u8>,
    signature: Vec<u8>,
}

/// A share as its holder keeps it: sealed to the holder, signed by the person.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedShare {
    wire: SealedShareWire,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for SealedShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedShare")
            .field("header", &self.wire.header)
            .finish()
    }
}

impl SealedShare {
    /// Seals `share` to its holder and signs it as `person`.
    pub fn seal(
        header: ShareHeader,
        share: &[u8],
        holder: &IdentityCard,
        person: &PersonSecret,
    ) -> Result<Self, CryptoError> {
        if holder.person_id() != header.holder || person.person_id() != header.person {
            return Err(CryptoError::Encrypt(
                "the share's header names other people than the keys given".into(),
            ));
        }
        let age = age::encrypt(&holder.age_recipient()?, share)
            .map_err(|e| CryptoError::Encrypt(e.to_string()))?;
        let signature = person
            .sign(SHARE_DOMAIN, &encode(&(&header, &age)))
            .to_vec();
        let wire = SealedShareWire {
            header,
            age,
            signature,
        };
        let bytes = encode(&wire);
        Ok(SealedShare { wire, bytes })
    }

    /// Decodes from untrusted bytes (bounded, canonical).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() > MAX_SEALED_SHARE_BYTES {
            return Err(CryptoError::TooLarge {
                what: "recovery share",
                size: bytes.len(),
                max: MAX_SEALED_SHARE_BYTES,
            });
        }
        let wire: SealedShareWire = decode_canonical(bytes, "recovery share")?;
        Ok(SealedShare {
            wire,
            bytes: bytes.to_vec(),
        })
    }

    /// The header (check with [`SealedShare::release`] before trusting it).
    pub fn header(&self) -> &ShareHeader {
        &self.wire.header
    }

    /// The canonical bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The holder checks the person's signature and opens the share, to hand it back at
    /// recovery time.
    pub fn release(&self, holder: &PersonSecret) -> Result<ReleasedShare, CryptoError> {
        let h = &self.wire.header;
        let sig: [u8; 64] =
            self.wire
                .signature
                .as_slice()
                .try_into()
                .map_err(|_| CryptoError::BadSignature {
                    what: "recovery share",
                })?;
        verify(
            &h.person,
            SHARE_DOMAIN,
            &encode(&(h, &self.wire.age)),
            &sig,
            "recovery share",
        )?;
        if holder.person_id() != h.holder {
            return Err(CryptoError::NotForYou);
        }
        if IdentityCard::from_text(&h.card)?.person_id() != h.person {
            return Err(CryptoError::BadShare(
                "the share names someone other than its signer".into(),
            ));
        }
        let share = Zeroizing::new(age::decrypt(holder.age_identity(), &self.wire.age).map_err(
            |_| CryptoError::Decrypt {
                what: "recovery share",
            },
        )?);
        Ok(ReleasedShare {
            person: h.person,
            threshold: h.threshold,
            recipient: h.recipient.clone(),
            share,
        })
    }
}

/// A share opened by its holder: what the person types or pastes at recovery. One share
/// alone reveals nothing of the key. No `Debug`.
pub struct ReleasedShare {
    /// Whose key.
    pub person: PersonId,
    /// How many shares rebuild it.
    pub threshold: u8,
    /// The recipient it must rebuild.
    pub recipient: String,
    share: Zeroizing<Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
struct ReleasedWire {
    person: PersonId,
    threshold: u8,
    recipient: String,
    share: Vec<u8>,
}

impl ReleasedShare {
    /// The text form (`carnet-share1:...`), zeroized when dropped.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut wire = ReleasedWire {
            person: self.person,
            threshold: self.threshold,
            recipient: self.recipient.clone(),
            share: self.share.to_vec(),
        };
        let mut bytes = encode(&wire);
        wire.share.zeroize();
        let text = Zeroizing::new(format!(
            "{SHARE_PREFIX}{}",
            BASE32_NOPAD.encode(&bytes).to_ascii_lowercase()
        ));
        bytes.zeroize();
        text
    }

    /// Reads the text form (whitespace ignored).
    pub fn from_text(text: &str) -> Result<Self, CryptoError> {
        let compact = Zeroizing::new(text.split_whitespace().collect::<String>());
        let body = compact.strip_prefix(SHARE_PREFIX).ok_or_else(|| {
            CryptoError::BadShare(format!("a released share starts with {SHARE_PREFIX}"))
        })?;
        if body.len() > 2048 {
            return Err(CryptoError::BadShare("it is far too long".into()));
        }
        let bytes = Zeroizing::new(
            BASE32_NOPAD
                .decode(body.to_ascii_uppercase().as_bytes())
                .map_err(|_| CryptoError::BadShare("it is mistyped (not base32)".into()))?,
        );
        let mut wire: ReleasedWire = postcard::from_bytes(&bytes)
            .map_err(|_| CryptoError::BadShare("it is mistyped or cut short".into()))?;
        if wire.share.len() != 33 || wire.threshold < 2 {
            wire.share.zeroize();
            return Err(CryptoError::BadShare(
                "it is not a share of a recovery key".into(),
            ));
        }
        let share = Zeroizing::new(std::mem::take(&mut wire.share));
        Ok(ReleasedShare {
            person: wire.person,
            threshold: wire.threshold,
            recipient: wire.recipient,
            share,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    #[test]
    fn the_root_key_comes_from_the_phrase_and_signs_for_it_alone() {
        let phrase = RecoveryPhrase::generate().unwrap();
        let again = RecoveryPhrase::parse(phrase.expose()).unwrap();
        let root = phrase.key().unwrap().root();
        assert_eq!(root.public(), again.key().unwrap().root().public());
        let other = RecoveryPhrase::generate().unwrap().key().unwrap().root();
        assert_ne!(root.public(), other.public());
        let sig = root.sign(b"carnet/test", b"takeover");
        root.public()
            .verify(b"carnet/test", b"takeover", &sig)
            .unwrap();
        assert!(
            other
                .public()
                .verify(b"carnet/test", b"takeover", &sig)
                .is_err()
        );
        assert!(
            root.public()
                .verify(b"carnet/other", b"takeover", &sig)
                .is_err()
        );
        // The root is not the recovery key nor the backup recipient's key.
        assert_ne!(&root.public().0, phrase.key().unwrap().0.as_slice());
    }

    #[test]
    fn a_phrase_rebuilds_its_key_and_a_typo_is_caught() {
        let p = RecoveryPhrase::generate().unwrap();
        assert_eq!(p.expose().split(' ').count(), 24);
        let k1 = p.key().unwrap();
        let typed = p.expose().to_uppercase().replace(' ', "   ");
        let k2 = RecoveryPhrase::parse(&typed).unwrap().key().unwrap();
        assert_eq!(k1.recipient().unwrap(), k2.recipient().unwrap());
        assert!(k1.recipient().unwrap().starts_with("age1"));
        // Two words swapped: the checksum (8 bits for 24 words) catches a swap 255 times in
        // 256, so one swap alone may pass by chance; of 23 different swaps, some must fail,
        // and each that fails names the checksum.
        let mut refused = 0;
        for i in 1..24 {
            let mut words: Vec<&str> = p.expose().split(' ').collect();
            if words[0] == words[i] {
                continue;
            }
            words.swap(0, i);
            if let Err(err) = RecoveryPhrase::parse(&words.join(" ")) {
                assert!(err.to_string().contains("checksum") || err.to_string().contains("word"));
                refused += 1;
            }
        }
        assert!(refused > 0, "no swapped phrase was refused");
        let err = RecoveryPhrase::parse("abandon ability").err().unwrap();
        assert!(err.to_string().contains("24"), "{err}");
        let mut words: Vec<&str> = p.expose().split(' ').collect();
        words[4] = "carnetx";
        let err = RecoveryPhrase::parse(&words.join(" ")).err().unwrap();
        assert!(err.to_string().contains("word 5"), "{err}");
    }

    #[test]
    fn only_the_phrase_opens_what_was_sealed_to_its_recipient() {
        let p = RecoveryPhrase::generate().unwrap();
        let key = p.key().unwrap();
        let mut w = seal_to_recipient(&key.recipient().unwrap(), Vec::new()).unwrap();
        w.write_all(b"everything").unwrap();
        let sealed = w.finish().unwrap();
        let mut out = Vec::new();
        key.open(&sealed[..])
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"everything");
        let other = RecoveryPhrase::generate().unwrap().key().unwrap();
        assert!(matches!(
            other.open(&sealed[..]),
            Err(CryptoError::NotForYou)
        ));
    }

    #[test]
    fn k_shares_rebuild_the_key_and_fewer_are_refused() {
        let patient = PersonSecret::generate().unwrap();
        let key = RecoveryPhrase::generate().unwrap().key().unwrap();
        let holders: Vec<PersonSecret> =
            (0..3).map(|_| PersonSecret::generate().unwrap()).collect();
        let raw = key.split(2, 3).unwrap();
        let sealed: Vec<SealedShare> = holders
            .iter()
            .zip(&raw)
            .map(|(h, s)| {
                let card = IdentityCard::issue(h, "holder", Role::Clinician, vec![], 0).unwrap();
                SealedShare::seal(
                    ShareHeader {
                        person: patient.person_id(),
                        card: IdentityCard::issue(&patient, "Pat", Role::Patient, vec![], 0)
                            .unwrap()
                            .to_text(),
                        holder: h.person_id(),
                        threshold: 2,
                        total: 3,
                        recipient: key.recipient().unwrap(),
                        issued: 0,
                    },
                    s,
                    &card,
                    &patient,
                )
                .unwrap()
            })
            .collect();
        // Each holder opens only their own.
        assert!(sealed[0].release(&holders[1]).is_err());
        let released: Vec<ReleasedShare> = sealed
            .iter()
            .zip(&holders)
            .map(|(s, h)| {
                let back = SealedShare::from_bytes(s.as_bytes()).unwrap();
                ReleasedShare::from_text(&back.release(h).unwrap().to_text()).unwrap()
            })
            .collect();
        // k - 1: refused, not a wrong key.
        let err = RecoveryKey::combine(&released[..1]).err().unwrap();
        assert!(err.to_string().contains("2 are needed"), "{err}");
        // Any k: the key.
        for pair in [[0usize, 1], [0, 2], [1, 2]] {
            let two: Vec<ReleasedShare> = pair
                .iter()
                .map(|i| ReleasedShare::from_text(&released[*i].to_text()).unwrap())
                .collect();
            let k = RecoveryKey::combine(&two).unwrap();
            assert_eq!(k.recipient().unwrap(), key.recipient().unwrap());
        }
        // An altered share is caught by the recipient check.
        let mut bad = ReleasedShare::from_text(&released[1].to_text()).unwrap();
        bad.share[5] ^= 1;
        let err = RecoveryKey::combine(&[
            ReleasedShare::from_text(&released[0].to_text()).unwrap(),
            bad,
        ])
        .err()
        .unwrap();
        assert!(err.to_string().contains("do not rebuild"), "{err}");
        // A share signed by someone else is refused by its holder.
        let mut wire: SealedShareWire = postcard::from_bytes(sealed[0].as_bytes()).unwrap();
        wire.header.threshold = 1;
        let forged = SealedShare::from_bytes(&encode(&wire)).unwrap();
        assert!(forged.release(&holders[0]).is_err());
    }
}
