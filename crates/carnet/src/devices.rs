//! What a vault needs to meet peers live: this device's network key and its certificate,
//! the addresses peers were last reached at, a bounded log of refused attempts, and a cheap
//! marker that changes whenever something a peer could need changes.

use std::collections::HashMap;

use carnet_crypto::{DeviceCert, IdentityCard, PersonId, endpoint_public_key};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::vault::now_unix;
use crate::{Error, Result, Vault};

/// The most refused attempts kept (the oldest are dropped).
pub const MAX_ATTEMPTS: usize = 500;

/// A peer that tried to sync and was refused.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attempt {
    /// When (Unix seconds).
    pub time: u64,
    /// The network endpoint it came from (hex).
    pub endpoint: String,
    /// The person its certificate named, if it presented a valid one.
    pub person: Option<PersonId>,
    /// Why it was refused.
    pub why: String,
}

/// Who a peer is to this vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerStanding {
    /// A contact, a grantee or the patient of a shared record: may sync (what it gets is
    /// then decided by its grants).
    Known {
        /// The name this vault knows them by.
        name: String,
    },
    /// Blocked by this vault's owner.
    Blocked {
        /// Their name.
        name: String,
    },
    /// Nobody this vault knows.
    Unknown,
}

impl Vault {
    /// This device's network endpoint secret key, created on first use and kept sealed in
    /// the vault. Zeroized when dropped.
    pub fn endpoint_secret(&mut self) -> Result<Zeroizing<[u8; 32]>> {
        if let Some(b) = self.store.read()?.get_secret_meta("endpoint")? {
            let key: [u8; 32] = b
                .as_slice()
                .try_into()
                .map_err(|_| Error::Exchange("the stored endpoint key is damaged".into()))?;
            return Ok(Zeroizing::new(key));
        }
        let key = Zeroizing::new(carnet_crypto::random_array::<32>()?);
        let mut txn = self.store.write()?;
        // Another process may have created it meanwhile: keep the first one.
        if let Some(b) = txn.get_secret_meta("endpoint")? {
            let key: [u8; 32] = b
                .as_slice()
                .try_into()
                .map_err(|_| Error::Exchange("the stored endpoint key is damaged".into()))?;
            return Ok(Zeroizing::new(key));
        }
        txn.put_secret_meta("endpoint", key.as_slice())?;
        txn.commit()?;
        Ok(key)
    }

    /// The certificate that binds this device's endpoint key to its owner.
    pub fn device_cert(&mut self) -> Result<DeviceCert> {
        let secret = self.endpoint_secret()?;
        Ok(DeviceCert::issue(
            &self.me,
            self.device,
            endpoint_public_key(&secret),
            now_unix(),
        ))
    }

    /// Who `card`'s person is to this vault.
    pub fn standing(&self, card: &IdentityCard) -> Result<PeerStanding> {
        let person = card.person_id();
        let people = self.people()?;
        let name = people
            .get(&person)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| card.name().to_string());
        if self.own_record().is_ok() && self.blocked()?.contains(&person) {
            return Ok(PeerStanding::Blocked { name });
        }
        let known = person != self.person_id() && people.contains_key(&person);
        Ok(if known {
            PeerStanding::Known { name }
        } else {
            PeerStanding::Unknown
        })
    }

    /// Notes a refused attempt (bounded: the oldest are dropped past [`MAX_ATTEMPTS`]).
    pub fn record_attempt(&self, attempt: Attempt) -> Result<()> {
        let mut txn = self.store.write()?;
        let mut list: Vec<Attempt> = match txn.get_secret_meta("attempts")? {
            Some(b) => postcard::from_bytes(&b).unwrap_or_default(),
            None => Vec::new(),
        };
        list.push(attempt);
        if list.len() > MAX_ATTEMPTS {
            list.drain(..list.len() - MAX_ATTEMPTS);
        }
        let bytes = postcard::to_stdvec(&list)
            .map_err(|e| Error::Exchange(format!("cannot encode attempts: {e}")))?;
        txn.put_secret_meta("attempts", &bytes)?;
        txn.commit()?;
        Ok(())
    }

    /// The refused attempts, oldest first.
    pub fn attempts(&self) -> Result<Vec<Attempt>> {
        Ok(match self.store.read()?.get_secret_meta("attempts")? {
            Some(b) => postcard::from_bytes(&b).unwrap_or_default(),
            None => Vec::new(),
        })
    }

    /// Remembers how `person` was last reached (a ticket's text), so `sync NAME` works
    /// next time.
    pub fn remember_address(&self, person: &PersonId, ticket: &str) -> Result<()> {
        let mut txn = self.store.write()?;
        let mut map: HashMap<PersonId, String> = match txn.get_secret_meta("addresses")? {
            Some(b) => postcard::from_bytes::<Vec<(PersonId, String)>>(&b)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            None => HashMap::new(),
        };
        if map.get(person).map(String::as_str) == Some(ticket) {
            return Ok(());
        }
        map.insert(*person, ticket.to_string());
        let list: Vec<(PersonId, String)> = map.into_iter().collect();
        let bytes = postcard::to_stdvec(&list)
            .map_err(|e| Error::Exchange(format!("cannot encode addresses: {e}")))?;
        txn.put_secret_meta("addresses", &bytes)?;
        txn.commit()?;
        Ok(())
    }

    /// The ticket `person` was last reached with, if any.
    pub fn address_of(&self, person: &PersonId) -> Result<Option<String>> {
        Ok(match self.store.read()?.get_secret_meta("addresses")? {
            Some(b) => postcard::from_bytes::<Vec<(PersonId, String)>>(&b)
                .unwrap_or_default()
                .into_iter()
                .find(|(p, _)| p == person)
                .map(|(_, t)| t),
            None => None,
        })
    }

    /// A fingerprint of what peers could need: every chain head of every record and the
    /// length of every consent log held. Costs O(records x sections x authors), never the
    /// size of the record, so a serving node can poll it to notice changes made by other
    /// processes on the same vault.
    pub fn change_marker(&self) -> Result<[u8; 32]> {
        let r = self.store.read()?;
        let mut h = blake3::Hasher::new();
        let mut records = r.records()?;
        if let Ok(mine) = self.own_record()
            && !records.contains(&mine)
        {
            records.push(mine);
        }
        for record in records {
            h.update(&record.0);
            h.update(&r.consent_count(&record)?.to_le_bytes());
            for s in carnet_record::SectionId::ALL {
                for head in r.chain_heads(&record, s.code())? {
                    h.update(&[s.code()]);
                    h.update(&head.author.0);
                    h.update(&head.device.0);
                    h.update(&head.seq.to_le_bytes());
                }
            }
        }
        Ok(*h.finalize().as_bytes())
    }
}

/// The settings a vault keeps, with their default.
pub const SETTINGS: &[(&str, &str, &str)] = &[(
    "relay",
    "off",
    "use iroh's public relay servers when a peer cannot be reached directly (needs the internet)",
)];

impl Vault {
    /// A setting's value (its default when never set). Settings hold no secret.
    pub fn setting(&self, name: &str) -> Result<String> {
        let Some((_, default, _)) = SETTINGS.iter().find(|(n, _, _)| *n == name) else {
            return Err(Error::Sharing(format!("no setting \"{name}\"")));
        };
        Ok(
            match self.store.read()?.get_meta(&format!("setting:{name}"))? {
                Some(v) => String::from_utf8_lossy(&v).into_owned(),
                None => default.to_string(),
            },
        )
    }

    /// Changes a setting. `relay` takes `on` or `off`.
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        if !SETTINGS.iter().any(|(n, _, _)| *n == name) {
            return Err(Error::Sharing(format!(
                "no setting \"{name}\"; settings: {}",
                SETTINGS
                    .iter()
                    .map(|(n, _, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let value = value.trim().to_ascii_lowercase();
        if !["on", "off"].contains(&value.as_str()) {
            return Err(Error::Sharing(format!(
                "{name} is on or off, not \"{value}\""
            )));
        }
        let mut txn = self.store.write()?;
        txn.put_meta(&format!("setting:{name}"), value.as_bytes())?;
        txn.commit()?;
        Ok(())
    }
}
