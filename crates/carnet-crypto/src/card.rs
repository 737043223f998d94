//! Identity cards: a person's public keys, name and role, self-signed, in a copyable text
//! form.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE64URL_NOPAD;
use serde::{Deserialize, Serialize};

use crate::encoding::{decode_canonical, encode};
use crate::keys::verify;
use crate::{CryptoError, PersonId, PersonSecret};

/// The prefix of a card's text form; the version is part of it.
pub const CARD_PREFIX: &str = "carnet-card1:";
const CARD_DOMAIN: &[u8] = b"carnet/identity-card/v1";
const CARD_VERSION: u8 = 1;
/// A card that announces mailboxes: the version-1 body followed by the mailboxes' tickets.
/// A card without mailboxes is still written as version 1, byte for byte as before, so
/// older readers keep reading every card that announces none.
const CARD_VERSION_MAILBOXES: u8 = 2;
/// The most mailboxes a card announces.
pub const MAX_CARD_MAILBOXES: usize = 4;
/// The longest mailbox ticket a card carries.
pub const MAX_MAILBOX_TICKET: usize = 1024;
/// How a mailbox ticket starts (the mailbox crate's text form).
const MAILBOX_PREFIX: &str = "carnet-mailbox1:";
/// Cards are small; anything longer is not a card and is refused before decoding.
const MAX_CARD_TEXT: usize = 16 * 1024;
const MAX_NAME: usize = 200;

/// What a person does in Carnet. It is what they say of themselves: a clinician's
/// professional status is not certified by the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Owns a record.
    Patient,
    /// Reads and writes records shared with them.
    Clinician,
    /// Verifies consent logs.
    Auditor,
}

impl Role {
    /// The lowercase name used on the command line and in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Clinician => "clinician",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "patient" => Ok(Role::Patient),
            "clinician" => Ok(Role::Clinician),
            "auditor" => Ok(Role::Auditor),
            other => Err(CryptoError::Malformed {
                what: "role",
                detail: format!("\"{other}\" is not one of patient, clinician, auditor"),
            }),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CardBody {
    version: u8,
    name: String,
    role: Role,
    person: PersonId,
    age_recipient: String,
    /// iroh endpoint public keys of the person's devices, certified by this signature.
    endpoints: Vec<[u8; 32]>,
    /// Unix seconds; a newer card of the same person supersedes an older one.
    issued: u64,
    /// Tickets of the mailboxes where the person collects (`carnet-mailbox1:...`); only
    /// in version 2, empty in version 1.
    mailboxes: Vec<String>,
}

/// The version-1 body as encoded (no mailboxes).
#[derive(Serialize, Deserialize)]
struct CardBodyV1 {
    version: u8,
    name: String,
    role: Role,
    person: PersonId,
    age_recipient: String,
    endpoints: Vec<[u8; 32]>,
    issued: u64,
}

impl CardBody {
    fn encode(&self) -> Vec<u8> {
        let v1 = CardBodyV1 {
            version: self.version,
            name: self.name.clone(),
            role: self.role,
            person: self.person,
            age_recipient: self.age_recipient.clone(),
            endpoints: self.endpoints.clone(),
            issued: self.issued,
        };
        if self.version == CARD_VERSION {
            encode(&v1)
        } else {
            encode(&(v1, &self.mailboxes))
        }
    }

    fn decode(bytes: &[u8]) -> Result<CardBody, CryptoError> {
        let (v1, mailboxes) = match bytes.first().copied().unwrap_or(0) {
            CARD_VERSION => (
                decode_canonical::<CardBodyV1>(bytes, "identity card")?,
                Vec::new(),
            ),
            _ => {
                let (v1, m): (CardBodyV1, Vec<String>) = decode_canonical(bytes, "identity card")?;
                if m.is_empty() {
                    // A version-2 card says something: one with no mailbox is written as 1.
                    return Err(CryptoError::BadCard(
                        "a version-2 card without mailboxes".into(),
                    ));
                }
                (v1, m)
            }
        };
        Ok(CardBody {
            version: v1.version,
            name: v1.name,
            role: v1.role,
            person: v1.person,
            age_recipient: v1.age_recipient,
            endpoints: v1.endpoints,
            issued: v1.issued,
            mailboxes,
        })
    }
}

fn check_mailboxes(mailboxes: &[String]) -> Result<(), CryptoError> {
    if mailboxes.len() > MAX_CARD_MAILBOXES {
        return Err(CryptoError::BadCard(format!(
            "a card announces at most {MAX_CARD_MAILBOXES} mailboxes"
        )));
    }
    for m in mailboxes {
        if m.len() > MAX_MAILBOX_TICKET
            || !m.starts_with(MAILBOX_PREFIX)
            || m.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(CryptoError::BadCard(format!(
                "a mailbox on a card is a ticket ({MAILBOX_PREFIX}...) of at most {MAX_MAILBOX_TICKET} characters"
            )));
        }
    }
    Ok(())
}

/// A person's self-signed identity card: name, role, ed25519 signing key, age recipient,
/// and the endpoint keys of their devices.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityCard {
    body: CardBody,
    body_bytes: Vec<u8>,
    signature: [u8; 64],
}

impl fmt::Debug for IdentityCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityCard")
            .field("name", &self.body.name)
            .field("role", &self.body.role)
            .field("person", &self.body.person)
            .finish()
    }
}

impl IdentityCard {
    /// Issues a card for `secret`'s owner, signed with their own key.
    pub fn issue(
        secret: &PersonSecret,
        name: &str,
        role: Role,
        endpoints: Vec<[u8; 32]>,
        issued: u64,
    ) -> Result<Self, CryptoError> {
        Self::issue_with_mailboxes(secret, name, role, endpoints, issued, Vec::new())
    }

    /// Issues a card that also announces the mailboxes where its owner collects (their
    /// tickets, at most [`MAX_CARD_MAILBOXES`]). With none, the card is a version-1 card.
    pub fn issue_with_mailboxes(
        secret: &PersonSecret,
        name: &str,
        role: Role,
        endpoints: Vec<[u8; 32]>,
        issued: u64,
        mailboxes: Vec<String>,
    ) -> Result<Self, CryptoError> {
        let name = name.trim();
        check_name(name)?;
        check_mailboxes(&mailboxes)?;
        let body = CardBody {
            version: if mailboxes.is_empty() {
                CARD_VERSION
            } else {
                CARD_VERSION_MAILBOXES
            },
            name: name.to_string(),
            role,
            person: secret.person_id(),
            age_recipient: secret.age_recipient(),
            endpoints,
            issued,
            mailboxes,
        };
        let body_bytes = body.encode();
        let signature = secret.sign(CARD_DOMAIN, &body_bytes);
        Ok(Self {
            body,
            body_bytes,
            signature,
        })
    }

    /// The person's display name.
    pub fn name(&self) -> &str {
        &self.body.name
    }
    /// The person's stated role.
    pub fn role(&self) -> Role {
        self.body.role
    }
    /// The person's id (signing public key).
    pub fn person_id(&self) -> PersonId {
        self.body.person
    }
    /// The age recipient (`age1...`) to encrypt key grants to.
    pub fn age_recipient(&self) -> Result<age::x25519::Recipient, CryptoError> {
        self.body
            .age_recipient
            .parse()
            .map_err(|_| CryptoError::BadCard("its age key does not parse".into()))
    }
    /// The endpoint keys of the person's devices.
    pub fn endpoints(&self) -> &[[u8; 32]] {
        &self.body.endpoints
    }
    /// When the card was issued (Unix seconds).
    pub fn issued(&self) -> u64 {
        self.body.issued
    }
    /// The tickets of the mailboxes where the person collects (empty for most cards).
    pub fn mailboxes(&self) -> &[String] {
        &self.body.mailboxes
    }

    /// The copyable text form: `carnet-card1:<body>.<signature>` in base64url.
    pub fn to_text(&self) -> String {
        format!(
            "{CARD_PREFIX}{}.{}",
            BASE64URL_NOPAD.encode(&self.body_bytes),
            BASE64URL_NOPAD.encode(&self.signature)
        )
    }

    /// Parses and verifies a card's text form. Whitespace (line breaks from copying) is
    /// ignored; any altered byte makes the signature fail.
    pub fn from_text(text: &str) -> Result<Self, CryptoError> {
        if text.len() > MAX_CARD_TEXT {
            return Err(CryptoError::BadCard(
                "text is far too long for a card".into(),
            ));
        }
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let rest = compact
            .strip_prefix(CARD_PREFIX)
            .ok_or_else(|| CryptoError::BadCard(format!("it does not start with {CARD_PREFIX}")))?;
        let (body_b64, sig_b64) = rest
            .split_once('.')
            .ok_or_else(|| CryptoError::BadCard("the signature part is missing".into()))?;
        let body_bytes = BASE64URL_NOPAD
            .decode(body_b64.as_bytes())
            .map_err(|_| CryptoError::BadCard("the body is not valid base64url".into()))?;
        let signature: [u8; 64] = BASE64URL_NOPAD
            .decode(sig_b64.as_bytes())
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| {
                CryptoError::BadCard("the signature is not 64 bytes of base64url".into())
            })?;
        let version = body_bytes.first().copied().unwrap_or(0);
        if version != CARD_VERSION && version != CARD_VERSION_MAILBOXES {
            return Err(CryptoError::UnsupportedVersion {
                what: "identity card",
                found: version,
                supported: CARD_VERSION_MAILBOXES,
            });
        }
        let body = CardBody::decode(&body_bytes).map_err(|_| {
            CryptoError::BadCard("its body does not decode (altered or cut)".into())
        })?;
        verify(
            &body.person,
            CARD_DOMAIN,
            &body_bytes,
            &signature,
            "identity card",
        )
        .map_err(|_| {
            CryptoError::BadCard("its signature does not verify: the card was altered".into())
        })?;
        check_name(&body.name)?;
        check_mailboxes(&body.mailboxes)?;
        let card = Self {
            body,
            body_bytes,
            signature,
        };
        card.age_recipient()?;
        Ok(card)
    }
}

fn check_name(name: &str) -> Result<(), CryptoError> {
    if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(CryptoError::BadCard(format!(
            "a name must be 1 to {MAX_NAME} bytes of printable text"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> (PersonSecret, IdentityCard) {
        let secret = PersonSecret::generate().unwrap();
        let card = IdentityCard::issue(
            &secret,
            "Dr Anne Martin",
            Role::Clinician,
            vec![[3; 32]],
            1_700_000_000,
        )
        .unwrap();
        (secret, card)
    }

    #[test]
    fn card_text_round_trips() {
        let (secret, card) = card();
        let text = card.to_text();
        assert!(text.starts_with(CARD_PREFIX));
        let back = IdentityCard::from_text(&text).unwrap();
        assert_eq!(back, card);
        assert_eq!(back.person_id(), secret.person_id());
        assert_eq!(back.name(), "Dr Anne Martin");
        assert_eq!(back.role(), Role::Clinician);
        assert_eq!(back.endpoints(), &[[3; 32]]);
        // Copy/paste can wrap lines.
        let wrapped: String = text
            .chars()
            .enumerate()
            .flat_map(|(i, c)| if i % 40 == 39 { vec![c, '\n'] } else { vec![c] })
            .collect();
        assert_eq!(IdentityCard::from_text(&wrapped).unwrap(), card);
    }

    #[test]
    fn every_altered_character_is_refused() {
        let (_, card) = card();
        let text = card.to_text();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for i in CARD_PREFIX.len()..text.len() {
            let orig = text.as_bytes()[i] as char;
            if orig == '.' {
                continue;
            }
            let replacement = alphabet.chars().find(|&c| c != orig).unwrap();
            let mut altered = text.clone();
            altered.replace_range(i..i + 1, &replacement.to_string());
            // A change in the last base64 character may only touch padding bits, which
            // the strict decoder refuses too.
            assert!(
                IdentityCard::from_text(&altered).is_err(),
                "position {i} accepted"
            );
        }
    }

    #[test]
    fn a_card_signed_by_someone_else_is_refused() {
        let (other_secret, _) = card();
        let (_, card) = card();
        let forged_sig = other_secret.sign(CARD_DOMAIN, &card.body_bytes);
        let forged = IdentityCard {
            signature: forged_sig,
            ..card
        };
        let err = IdentityCard::from_text(&forged.to_text()).unwrap_err();
        assert!(err.to_string().contains("altered"), "{err}");
    }

    #[test]
    fn junk_is_refused_with_a_clear_message() {
        for junk in [
            "",
            "hello",
            "carnet-card1:",
            "carnet-card1:abc",
            "carnet-card1:!!!.???",
        ] {
            let err = IdentityCard::from_text(junk).unwrap_err();
            assert!(
                err.to_string().contains("not a Carnet identity card"),
                "{junk}: {err}"
            );
        }
        assert!(IdentityCard::from_text(&"x".repeat(100_000)).is_err());
    }

    #[test]
    fn a_card_announcing_mailboxes_round_trips_and_one_without_stays_version_1() {
        let secret = PersonSecret::generate().unwrap();
        let plain = IdentityCard::issue(&secret, "Alice", Role::Patient, vec![], 5).unwrap();
        assert_eq!(plain.body_bytes[0], 1);
        assert!(plain.mailboxes().is_empty());
        let ticket = format!("{MAILBOX_PREFIX}aaaa");
        let card = IdentityCard::issue_with_mailboxes(
            &secret,
            "Alice",
            Role::Patient,
            vec![],
            6,
            vec![ticket.clone()],
        )
        .unwrap();
        assert_eq!(card.body_bytes[0], 2);
        let back = IdentityCard::from_text(&card.to_text()).unwrap();
        assert_eq!(back.mailboxes(), &[ticket]);
        assert_eq!(back.person_id(), plain.person_id());
        // Not a ticket, or too many: refused.
        for bad in [
            vec!["http://x".to_string()],
            vec![format!("{MAILBOX_PREFIX}a"); 5],
        ] {
            assert!(
                IdentityCard::issue_with_mailboxes(&secret, "A", Role::Patient, vec![], 1, bad)
                    .is_err()
            );
        }
    }

    #[test]
    fn names_must_be_printable() {
        let secret = PersonSecret::generate().unwrap();
        assert!(IdentityCard::issue(&secret, "", Role::Patient, vec![], 0).is_err());
        assert!(IdentityCard::issue(&secret, "a\u{7}b", Role::Patient, vec![], 0).is_err());
        assert!(IdentityCard::issue(&secret, &"n".repeat(500), Role::Patient, vec![], 0).is_err());
    }
}
