//! What a vault needs to meet peers live: this device's network key and its certificate,
//! the addresses peers were last reached at, a bounded log of refused attempts, and a cheap
//! marker that changes whenever something a peer could need changes.

use std::collections::HashMap;

use carnet_crypto::{
    DeviceCert, DeviceId, EndpointKey, IdentityCard, PersonId, endpoint_public_key,
};
use carnet_store::WriteTxn;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Damage, DeviceError, SettingError};
use crate::vault::now_unix;
use crate::{Error, Result, Vault};

/// The most refused attempts kept (the oldest are dropped).
pub const MAX_ATTEMPTS: usize = 500;

/// A peer that tried to sync and was refused.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attempt {
    /// When (Unix seconds).
    pub time: u64,
    /// The network endpoint it came from (`None`: not a network peer, a bundle or a
    /// forwarded batch).
    #[serde(with = "network_source")]
    pub endpoint: Option<EndpointKey>,
    /// The person its certificate named, if it presented a valid one.
    pub person: Option<PersonId>,
    /// Why it was refused.
    pub why: String,
}

/// Attempts are stored with their source as text (the hex of an endpoint key, or words
/// for "not a network peer" in rows written before the source was typed): kept so.
mod network_source {
    use carnet_crypto::EndpointKey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<EndpointKey>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(k) => s.collect_str(k),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<EndpointKey>, D::Error> {
        Ok(String::deserialize(d)?.parse().ok())
    }
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
    pub(crate) fn endpoint_secret(&self) -> Result<Zeroizing<[u8; 32]>> {
        if let Some(b) = self.store.read()?.get_secret_meta("endpoint")? {
            let key: [u8; 32] = b.as_slice().try_into().map_err(|_| {
                Error::from(Damage::Invalid {
                    what: "endpoint key",
                })
            })?;
            return Ok(Zeroizing::new(key));
        }
        let key = Zeroizing::new(carnet_crypto::random_array::<32>()?);
        let mut txn = self.store.write()?;
        // Another process may have created it meanwhile: keep the first one.
        if let Some(b) = txn.get_secret_meta("endpoint")? {
            let key: [u8; 32] = b.as_slice().try_into().map_err(|_| {
                Error::from(Damage::Invalid {
                    what: "endpoint key",
                })
            })?;
            return Ok(Zeroizing::new(key));
        }
        txn.put_secret_meta("endpoint", key.as_slice())?;
        txn.commit()?;
        Ok(key)
    }

    /// The certificate that binds this device's endpoint key (and its own signing key, if
    /// it has one) to its owner: the one the primary gave this device when it was linked,
    /// or, on the device that holds the person's key, a fresh one.
    pub(crate) fn device_cert(&self) -> Result<DeviceCert> {
        if let Some(cert) = self.me().device_cert() {
            return Ok(cert.clone());
        }
        let secret = self.endpoint_secret()?;
        Ok(DeviceCert::issue(
            self.me().secret()?,
            self.device_id(),
            endpoint_public_key(&secret),
            None,
            now_unix(),
        ))
    }

    /// Who `card`'s person is to this vault.
    pub(crate) fn standing(&self, card: &IdentityCard) -> Result<PeerStanding> {
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
    pub(crate) fn record_attempt(&self, attempt: Attempt) -> Result<()> {
        let mut txn = self.store.write()?;
        let mut list: Vec<Attempt> = match txn.get_secret_meta("attempts")? {
            Some(b) => postcard::from_bytes(&b).map_err(|e| Error::undecodable("attempts", e))?,
            None => Vec::new(),
        };
        list.push(attempt);
        if list.len() > MAX_ATTEMPTS {
            list.drain(..list.len() - MAX_ATTEMPTS);
        }
        let bytes = postcard::to_stdvec(&list).map_err(|e| Error::encode("attempts", e))?;
        txn.put_secret_meta("attempts", &bytes)?;
        txn.commit()?;
        Ok(())
    }

    /// The refused attempts, oldest first.
    pub fn attempts(&self) -> Result<Vec<Attempt>> {
        Ok(match self.store.read()?.get_secret_meta("attempts")? {
            Some(b) => postcard::from_bytes(&b).map_err(|e| Error::undecodable("attempts", e))?,
            None => Vec::new(),
        })
    }

    /// Remembers how `person` was last reached (a ticket's text), so `sync NAME` works
    /// next time.
    pub(crate) fn remember_address(&self, person: &PersonId, ticket: &str) -> Result<()> {
        let mut txn = self.store.write()?;
        let mut map: HashMap<PersonId, String> = match txn.get_secret_meta("addresses")? {
            Some(b) => postcard::from_bytes::<Vec<(PersonId, String)>>(&b)
                .map_err(|e| Error::undecodable("addresses", e))?
                .into_iter()
                .collect(),
            None => HashMap::new(),
        };
        if map.get(person).map(String::as_str) == Some(ticket) {
            return Ok(());
        }
        map.insert(*person, ticket.to_string());
        let list: Vec<(PersonId, String)> = map.into_iter().collect();
        let bytes = postcard::to_stdvec(&list).map_err(|e| Error::encode("addresses", e))?;
        txn.put_secret_meta("addresses", &bytes)?;
        txn.commit()?;
        Ok(())
    }

    /// The ticket `person` was last reached with, if any.
    pub(crate) fn address_of(&self, person: &PersonId) -> Result<Option<String>> {
        Ok(match self.store.read()?.get_secret_meta("addresses")? {
            Some(b) => postcard::from_bytes::<Vec<(PersonId, String)>>(&b)
                .map_err(|e| Error::undecodable("addresses", e))?
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
    pub(crate) fn change_marker(&self) -> Result<[u8; 32]> {
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
pub const SETTINGS: &[(&str, &str, &str)] = &[
    (
        "relay",
        "off",
        "off, on (iroh's public relay servers, needs the internet) or the URL of a relay of one's own (http(s)://host:port), used when a peer cannot be reached directly",
    ),
    (
        "port",
        "auto",
        "the UDP port `carnet serve` listens on; the first serve remembers the one it got, so tickets and `sync NAME` keep working across restarts (auto: a free one next time)",
    ),
];

impl Vault {
    /// A setting's value (its default when never set). Settings hold no secret.
    pub fn setting(&self, name: &str) -> Result<String> {
        let Some((_, default, _)) = SETTINGS.iter().find(|(n, _, _)| *n == name) else {
            return Err(SettingError::Unknown {
                name: name.to_string(),
                known: SETTINGS.iter().map(|(n, _, _)| *n).collect(),
            }
            .into());
        };
        Ok(
            match self.store.read()?.get_meta(&format!("setting:{name}"))? {
                Some(v) => String::from_utf8_lossy(&v).into_owned(),
                None => default.to_string(),
            },
        )
    }

    /// Changes a setting. `relay` takes `on`, `off` or the URL of a relay server
    /// (`http://` or `https://`, kept as written); `port` takes `auto` or a port.
    pub fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        if !SETTINGS.iter().any(|(n, _, _)| *n == name) {
            return Err(SettingError::Unknown {
                name: name.to_string(),
                known: SETTINGS.iter().map(|(n, _, _)| *n).collect(),
            }
            .into());
        }
        let trimmed = value.trim();
        let lower = trimmed.to_ascii_lowercase();
        let is_url =
            name == "relay" && (lower.starts_with("http://") || lower.starts_with("https://"));
        let value = if is_url {
            if trimmed.len() > 512
                || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
                || lower
                    .trim_start_matches("http://")
                    .trim_start_matches("https://")
                    .is_empty()
            {
                return Err(SettingError::Invalid {
                    name: name.to_string(),
                    value: trimmed.to_string(),
                }
                .into());
            }
            trimmed.to_string()
        } else {
            lower
        };
        match name {
            _ if is_url => {}
            "port" => {
                if value != "auto" && !value.parse::<u16>().is_ok_and(|p| p > 0) {
                    return Err(SettingError::Invalid {
                        name: name.to_string(),
                        value: value.clone(),
                    }
                    .into());
                }
            }
            _ => {
                if !["on", "off"].contains(&value.as_str()) {
                    return Err(SettingError::Invalid {
                        name: name.to_string(),
                        value: value.clone(),
                    }
                    .into());
                }
            }
        }
        let mut txn = self.store.write()?;
        txn.put_meta(&format!("setting:{name}"), value.as_bytes())?;
        txn.commit()?;
        Ok(())
    }
}

/// One device of this vault's owner, as the vault knows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// The device's id.
    pub device: DeviceId,
    /// Its network endpoint key.
    pub endpoint: [u8; 32],
    /// When it joined (Unix seconds).
    pub added: u64,
    /// When it was removed, if it was.
    pub removed: Option<u64>,
}

/// A device as `device list` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceInfo {
    /// The device's id.
    #[serde(serialize_with = "crate::vault::as_text")]
    pub id: DeviceId,
    /// Its network endpoint key.
    #[serde(serialize_with = "crate::vault::as_text")]
    pub endpoint: EndpointKey,
    /// When it joined.
    pub added: u64,
    /// When it was removed.
    pub removed: Option<u64>,
    /// This device.
    pub this: bool,
    /// The device that keeps the consent log (grants, revokes and sharing happen there).
    pub primary: bool,
    /// It signs with its own key, certified when it was linked, and never held the
    /// person's key: once removed, nothing it signs is accepted. `false` for the primary
    /// and for devices linked by versions before 0.2, which hold the person's key.
    pub own_key: bool,
}

impl Vault {
    pub(crate) fn device_records(&self) -> Result<Vec<DeviceRecord>> {
        Ok(match self.store.read()?.get_secret_meta("devices")? {
            Some(b) => {
                postcard::from_bytes(&b).map_err(|e| Error::undecodable("device list", e))?
            }
            None => Vec::new(),
        })
    }

    pub(crate) fn put_device_records(txn: &mut WriteTxn<'_>, list: &[DeviceRecord]) -> Result<()> {
        let bytes = postcard::to_stdvec(list).map_err(|e| Error::encode("the device list", e))?;
        txn.put_secret_meta("devices", &bytes)?;
        Ok(())
    }

    /// The device that keeps the consent log: the one that created the vault, or the one a
    /// backup was restored on.
    pub fn primary_device(&self) -> Result<DeviceId> {
        Ok(match self.store.read()?.get_meta("primary")? {
            Some(b) => DeviceId(b.as_slice().try_into().map_err(|_| {
                Error::from(Damage::Invalid {
                    what: "primary device",
                })
            })?),
            None => self.device_id(),
        })
    }

    /// Whether this device keeps the consent log.
    pub fn is_primary(&self) -> Result<bool> {
        Ok(self.primary_device()? == self.device_id())
    }

    /// Refuses an operation that appends to the consent log on a device that does not keep
    /// it: with one appending device, the log can never fork.
    pub(crate) fn require_primary(&self) -> Result<()> {
        if !self.is_primary()? {
            return Err(DeviceError::NotPrimary {
                primary: self.primary_device()?.to_string()[..8].to_string(),
            }
            .into());
        }
        Ok(())
    }

    /// Records a device of this vault's owner: in the device list, and for a patient in
    /// the consent log, so every grantee knows which devices speak for the patient.
    /// `signing` is the device's own signing key when it has one (a device linked by this
    /// version; `None` for one restored from a backup, which holds the person's key).
    pub(crate) fn register_device(
        &self,
        device: DeviceId,
        endpoint: [u8; 32],
        signing: Option<[u8; 32]>,
    ) -> Result<()> {
        let mut txn = self.store.write()?;
        let mut list: Vec<DeviceRecord> = match txn.get_secret_meta("devices")? {
            Some(b) => {
                postcard::from_bytes(&b).map_err(|e| Error::undecodable("device list", e))?
            }
            None => Vec::new(),
        };
        if list.iter().any(|d| d.device == device) {
            return Ok(());
        }
        list.push(DeviceRecord {
            device,
            endpoint,
            added: now_unix(),
            removed: None,
        });
        Self::put_device_records(&mut txn, &list)?;
        if let Some(signing) = signing {
            txn.put_secret_meta(&format!("signing:{device}"), &signing)?;
        }
        if let Ok(record) = self.own_record() {
            let mut log = Self::load_log(&txn, &record, &self.person_id())?;
            let action = match signing {
                Some(signing) => carnet_consent::Action::DeviceCertified {
                    device,
                    endpoint,
                    signing,
                },
                None => carnet_consent::Action::DeviceAdded { device, endpoint },
            };
            self.append(&mut txn, &mut log, action)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// This owner's devices.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>> {
        let primary = self.primary_device()?;
        let r = self.store.read()?;
        let mut out = Vec::new();
        for d in self.device_records()? {
            out.push(DeviceInfo {
                id: d.device,
                endpoint: EndpointKey(d.endpoint),
                added: d.added,
                removed: d.removed,
                this: d.device == self.device_id(),
                primary: d.device == primary,
                own_key: r
                    .get_secret_meta(&format!("signing:{}", d.device))?
                    .is_some(),
            });
        }
        Ok(out)
    }

    /// Whether a device of this owner (by id or endpoint key) was removed.
    pub(crate) fn device_removed(
        &self,
        device: Option<&DeviceId>,
        endpoint: Option<&[u8; 32]>,
    ) -> Result<bool> {
        Ok(self.device_records()?.iter().any(|d| {
            d.removed.is_some()
                && (device.is_some_and(|x| *x == d.device)
                    || endpoint.is_some_and(|x| *x == d.endpoint))
        }))
    }

    /// Removes a lost or retired device (named by its id or the start of it): it gets
    /// nothing new. Every section of the owner's record moves to a new epoch whose key it
    /// never holds (delivered again to every grant in force), the consent log records the
    /// removal (every grantee learns it and refuses the device), and nothing it writes from
    /// now on is accepted. It keeps what it already held: that cannot be recalled.
    pub fn remove_device(&self, id: &str) -> Result<DeviceInfo> {
        self.require_primary()?;
        let wanted = id.trim().to_ascii_lowercase();
        let list = self.device_records()?;
        let matches: Vec<&DeviceRecord> = list
            .iter()
            .filter(|d| wanted.len() >= 4 && d.device.to_string().starts_with(&wanted))
            .collect();
        let target = match matches.as_slice() {
            [one] => (*one).clone(),
            [] => {
                return Err(DeviceError::NoDevice {
                    query: id.trim().to_string(),
                }
                .into());
            }
            _ => {
                return Err(DeviceError::AmbiguousDevice {
                    query: id.trim().to_string(),
                }
                .into());
            }
        };
        if target.device == self.device_id() {
            return Err(DeviceError::ThisDevice.into());
        }
        if target.removed.is_some() {
            return Err(DeviceError::AlreadyRemoved.into());
        }
        let mut txn = self.store.write()?;
        let mut list = list.clone();
        let now = now_unix();
        for d in &mut list {
            if d.device == target.device {
                d.removed = Some(now);
            }
        }
        Self::put_device_records(&mut txn, &list)?;
        if let Ok(record) = self.own_record() {
            let salt = Self::record_salt(&txn, &record)?;
            let mut log = Self::load_log(&txn, &record, &self.person_id())?;
            let heads = Self::retired_heads(&txn, &record, &self.person_id(), &target.device)?;
            self.append(
                &mut txn,
                &mut log,
                carnet_consent::Action::DeviceRetired {
                    device: target.device,
                    endpoint: target.endpoint,
                    heads,
                },
            )?;
            let grants = self.grants()?;
            for s in carnet_record::SectionId::ALL {
                self.rotate(&mut txn, &mut log, &salt, &grants, s)?;
            }
        }
        // For every other record this person writes in: a signed statement of the removal
        // for its patient, sent with the next exchange, so the patient too refuses what
        // the device writes from now on.
        let own = self.own_record().ok();
        let mut out: Vec<(carnet_crypto::RecordId, Vec<u8>)> =
            match txn.get_secret_meta("removals_out")? {
                Some(b) => postcard::from_bytes(&b)
                    .map_err(|e| Error::undecodable("device removals", e))?,
                None => Vec::new(),
            };
        for record in txn.records()? {
            if Some(record) == own {
                continue;
            }
            let heads = Self::retired_heads(&txn, &record, &self.person_id(), &target.device)?;
            let removal = carnet_consent::DeviceRemoval {
                person: self.person_id(),
                record,
                device: target.device,
                heads,
                issued: now,
            };
            out.push((record, removal.sign(self.me().secret()?)?));
        }
        let bytes = postcard::to_stdvec(&out).map_err(|e| Error::encode("device removals", e))?;
        txn.put_secret_meta("removals_out", &bytes)?;
        txn.commit()?;
        for s in carnet_record::SectionId::ALL {
            if let Ok(r) = self.own_record() {
                self.loaded.forget(&r, s);
            }
        }
        let own_key = self
            .store
            .read()?
            .get_secret_meta(&format!("signing:{}", target.device))?
            .is_some();
        Ok(DeviceInfo {
            id: target.device,
            endpoint: EndpointKey(target.endpoint),
            added: target.added,
            removed: Some(now),
            this: false,
            primary: false,
            own_key,
        })
    }
}

impl Vault {
    /// The newest envelope of each of `device`'s chains in `record`: what a removal lets
    /// receivers still take from it.
    pub(crate) fn retired_heads(
        txn: &WriteTxn<'_>,
        record: &carnet_crypto::RecordId,
        person: &PersonId,
        device: &DeviceId,
    ) -> Result<Vec<carnet_consent::RetiredHead>> {
        let mut heads = Vec::new();
        for s in carnet_record::SectionId::ALL {
            let Some(head) = txn.chain_head(record, s.code(), person, device)? else {
                continue;
            };
            let env = txn.envelope(&head.last)?.ok_or_else(|| {
                Error::from(Damage::Missing {
                    what: "removed device's last change",
                })
            })?;
            let epoch = env.header().epoch;
            let key = txn
                .epoch_key(record, s.code(), epoch)?
                .ok_or(Error::NoKey {
                    section: s,
                    record: record.short(),
                })?;
            heads.push(carnet_consent::RetiredHead {
                epoch,
                seq: head.seq,
                tag: carnet_consent::RetiredHead::tag_for(
                    key.expose(),
                    device,
                    head.seq,
                    &head.last.0,
                ),
            });
        }
        Ok(heads)
    }

    /// Whether the chain of a removed `device` of `person` in `section` of `record`, as
    /// held in `txn`, ends exactly at one of the heads its removal named (`heads` `None`: a
    /// removal that named none, so it never does). Every envelope of such a chain is the
    /// head's or hash-linked to it: written before the removal.
    pub(crate) fn retired_chain_ok(
        txn: &dyn ChainReads,
        record: &carnet_crypto::RecordId,
        section: carnet_record::SectionId,
        person: &PersonId,
        device: &DeviceId,
        heads: Option<&[carnet_consent::RetiredHead]>,
    ) -> Result<bool> {
        let Some(heads) = heads else {
            return Ok(false);
        };
        let Some(head) = txn.chain_head(record, section.code(), person, device)? else {
            return Ok(true);
        };
        let Some(env) = txn.envelope(&head.last)? else {
            return Ok(false);
        };
        let epoch = env.header().epoch;
        let Some(key) = txn.epoch_key(record, section.code(), epoch)? else {
            return Ok(false);
        };
        let tag =
            carnet_consent::RetiredHead::tag_for(key.expose(), device, head.seq, &head.last.0);
        Ok(heads
            .iter()
            .any(|h| h.seq == head.seq && h.epoch == epoch && h.tag == tag))
    }

    /// Whether a device presenting itself as this vault's owner is one of theirs: registered
    /// here with that network key, not removed, and not this device.
    pub(crate) fn live_device(&self, device: &DeviceId, endpoint: &[u8; 32]) -> Result<bool> {
        Ok(*device != self.device_id()
            && self
                .device_records()?
                .iter()
                .any(|d| d.device == *device && d.endpoint == *endpoint && d.removed.is_none()))
    }

    /// The devices the patient of `record` removed, as the consent entries this vault holds
    /// show (a grantee's view).
    pub(crate) fn removed_patient_devices(
        &self,
        record: &carnet_crypto::RecordId,
    ) -> Result<Vec<(DeviceId, [u8; 32])>> {
        let Some(patient) = self.record_owner(record)? else {
            return Ok(Vec::new());
        };
        if patient == self.person_id() {
            return Ok(Vec::new());
        }
        Ok(self.shared_view(record, &patient)?.removed_devices())
    }
}

/// What the removal checks read, from either kind of transaction.
pub(crate) trait ChainReads {
    /// See `carnet_store`'s `chain_head`.
    fn chain_head(
        &self,
        record: &carnet_crypto::RecordId,
        section: u8,
        author: &PersonId,
        device: &DeviceId,
    ) -> Result<Option<carnet_store::ChainHead>>;
    /// See `carnet_store`'s `envelope`.
    fn envelope(&self, id: &carnet_crypto::EnvelopeId) -> Result<Option<carnet_crypto::Envelope>>;
    /// See `carnet_store`'s `epoch_key`.
    fn epoch_key(
        &self,
        record: &carnet_crypto::RecordId,
        section: u8,
        epoch: u32,
    ) -> Result<Option<carnet_crypto::EpochKey>>;
    /// See `carnet_store`'s `consent_entries`.
    fn consent_entries(&self, record: &carnet_crypto::RecordId) -> Result<Vec<Vec<u8>>>;
    /// See `carnet_store`'s `consent_entries_from`.
    fn consent_entries_from(
        &self,
        record: &carnet_crypto::RecordId,
        from: u64,
    ) -> Result<Vec<Vec<u8>>>;
    /// See `carnet_store`'s `consent_entry`.
    fn consent_entry(
        &self,
        record: &carnet_crypto::RecordId,
        index: u64,
    ) -> Result<Option<Vec<u8>>>;
    /// See `carnet_store`'s `consent_stamp`.
    fn consent_stamp(&self, record: &carnet_crypto::RecordId)
    -> Result<carnet_store::ConsentStamp>;
    /// See `carnet_store`'s `get_meta`.
    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>>;
}

macro_rules! chain_reads {
    ($t:ty) => {
        impl ChainReads for $t {
            fn chain_head(
                &self,
                record: &carnet_crypto::RecordId,
                section: u8,
                author: &PersonId,
                device: &DeviceId,
            ) -> Result<Option<carnet_store::ChainHead>> {
                Ok(<$t>::chain_head(self, record, section, author, device)?)
            }
            fn envelope(
                &self,
                id: &carnet_crypto::EnvelopeId,
            ) -> Result<Option<carnet_crypto::Envelope>> {
                Ok(<$t>::envelope(self, id)?)
            }
            fn epoch_key(
                &self,
                record: &carnet_crypto::RecordId,
                section: u8,
                epoch: u32,
            ) -> Result<Option<carnet_crypto::EpochKey>> {
                Ok(<$t>::epoch_key(self, record, section, epoch)?)
            }
            fn consent_entries(&self, record: &carnet_crypto::RecordId) -> Result<Vec<Vec<u8>>> {
                Ok(<$t>::consent_entries(self, record)?)
            }
            fn consent_entries_from(
                &self,
                record: &carnet_crypto::RecordId,
                from: u64,
            ) -> Result<Vec<Vec<u8>>> {
                Ok(<$t>::consent_entries_from(self, record, from)?)
            }
            fn consent_entry(
                &self,
                record: &carnet_crypto::RecordId,
                index: u64,
            ) -> Result<Option<Vec<u8>>> {
                Ok(<$t>::consent_entry(self, record, index)?)
            }
            fn consent_stamp(
                &self,
                record: &carnet_crypto::RecordId,
            ) -> Result<carnet_store::ConsentStamp> {
                Ok(<$t>::consent_stamp(self, record)?)
            }
            fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
                Ok(<$t>::get_meta(self, name)?)
            }
        }
    };
}
chain_reads!(carnet_store::ReadTxn<'_>);
chain_reads!(WriteTxn<'_>);

/// Meta row of the device removals a record's patient received from the people who write
/// in it (signed [`carnet_consent::DeviceRemoval`]s).
pub(crate) fn removals_key(record: &carnet_crypto::RecordId) -> String {
    format!("removals:{record}")
}

/// The devices of people other than the patient that their owners removed, as the
/// statements held for `record` say, with the heads each lets be taken.
pub(crate) fn others_removed(
    txn: &dyn ChainReads,
    record: &carnet_crypto::RecordId,
) -> Result<Vec<carnet_consent::DeviceRemoval>> {
    let Some(bytes) = txn.meta(&removals_key(record))? else {
        return Ok(Vec::new());
    };
    let list: Vec<Vec<u8>> =
        postcard::from_bytes(&bytes).map_err(|e| Error::undecodable("device removals", e))?;
    list.iter()
        .map(|b| Ok(carnet_consent::DeviceRemoval::verified(b)?))
        .collect()
}

/// What a record's log (as held) says of the patient's devices.
#[derive(Clone, Default)]
pub(crate) struct PatientDevices {
    /// The removed ones, with the heads each removal lets be taken (see
    /// [`retired_devices`]).
    pub(crate) retired: Vec<(DeviceId, Option<Vec<carnet_consent::RetiredHead>>)>,
    /// After a takeover: the devices certified since, with their signing keys (see
    /// `takeover::after_takeover`); `None` before any.
    pub(crate) after_takeover: Option<Vec<(DeviceId, [u8; 32])>>,
}

impl PatientDevices {
    /// Folds the next entries of the log (bytes, verified here) into what it says, so that
    /// a log that grew is read from where it was, not again from its start: each removal
    /// with the heads it lets be taken (`None`: an older removal that names none); after
    /// the last takeover, its own device and those certified since, with their signing
    /// keys (a receiver takes only their envelopes).
    fn extend(&mut self, entries: &[Vec<u8>]) -> Result<()> {
        use carnet_consent::Action;
        for bytes in entries {
            let e = carnet_consent::SignedEntry::from_bytes(bytes)?;
            match &e.entry().action {
                Action::DeviceRemoved { device, .. } => self.retired.push((*device, None)),
                Action::DeviceRetired { device, heads, .. } => {
                    self.retired.push((*device, Some(heads.clone())))
                }
                Action::Takeover {
                    device, signing, ..
                } => self.after_takeover = Some(vec![(*device, *signing)]),
                Action::DeviceCertified {
                    device, signing, ..
                } => {
                    if let Some(list) = &mut self.after_takeover {
                        list.push((*device, *signing));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Vault {
    /// What `record`'s log, as held here, says of its patient's devices. Each entry is
    /// decoded once: a log that grew since the last call is read on from where it was (a
    /// sync logs a delivery after every batch, and decoding a log of thousands of entries
    /// again per batch was a quarter of a first sync's samples).
    pub(crate) fn patient_devices(
        &self,
        txn: &dyn ChainReads,
        record: &carnet_crypto::RecordId,
    ) -> Result<std::sync::Arc<PatientDevices>> {
        self.devices_cache.get(
            record,
            txn,
            Ok,
            |mut d, more| d.extend(&more).map(|()| d),
            |all| {
                let mut d = PatientDevices::default();
                d.extend(&all)?;
                Ok(d)
            },
        )
    }

    /// What may still be taken from `author`'s `device` in `record`: `None` if it was not
    /// removed; `Some(heads)` if it was (`heads` `None`: a removal by an older version
    /// that names none). The patient's removals are read from the log once per log size.
    pub(crate) fn removal_heads(
        &self,
        txn: &dyn ChainReads,
        record: &carnet_crypto::RecordId,
        author: &PersonId,
        device: &DeviceId,
    ) -> Result<Option<Option<Vec<carnet_consent::RetiredHead>>>> {
        if carnet_crypto::RecordId::of_patient(author) == *record {
            return Ok(self
                .patient_devices(txn, record)?
                .retired
                .iter()
                .find(|(d, _)| d == device)
                .map(|(_, h)| h.clone()));
        }
        Ok(others_removed(txn, record)?
            .into_iter()
            .find(|r| r.person == *author && r.device == *device)
            .map(|r| Some(r.heads)))
    }
}
