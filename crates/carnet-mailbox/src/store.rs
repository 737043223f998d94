//! The mailbox's store: one redb file holding its endpoint secret, its allowlist and the
//! items waiting. Every change is one transaction committed with immediate durability, so
//! an item is on disk before its depositor is told it was accepted.

use std::path::{Path, PathBuf};

use carnet::crypto::PersonId;
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use carnet::transport::Violation;

use crate::error::db;
use crate::{Limits, MailboxError, Refusal};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const ALLOW: TableDefinition<&[u8], &str> = TableDefinition::new("allow");
const ITEMS: TableDefinition<u64, &[u8]> = TableDefinition::new("items");
const DATA: TableDefinition<u64, &[u8]> = TableDefinition::new("data");
/// Per recipient (person id): the endpoint keys of their devices that must acknowledge an
/// item before it is deleted (postcard `Vec<[u8; 32]>`).
const DEVICES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("devices");
/// Per item: the endpoint keys of the recipient's devices that acknowledged it.
const ACKS: TableDefinition<u64, &[u8]> = TableDefinition::new("acks");
/// Per recipient (`t` + id), per depositor (`f` + id) and in all (`*`): the items held and
/// their bytes, kept in the transaction that adds or removes an item, so that a deposit's
/// quota check is three lookups, not a scan of every item held (the clinic-scale bench
/// showed the scan growing with the store: 240 ns per item held, per deposit). A store
/// made before them is counted once when opened (meta `counted`).
const COUNTS: TableDefinition<&[u8], (u64, u64)> = TableDefinition::new("counts");

/// The most devices a person may declare (a bound on what a caller makes the mailbox keep).
pub const MAX_DEVICES: usize = 64;

/// What an acknowledgement did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckOutcome {
    /// Every device of the recipient has now acknowledged the item: it was deleted.
    Deleted,
    /// Noted; the item waits for the recipient's other devices.
    Kept {
        /// Devices of the recipient that have not acknowledged it yet.
        waiting_for: usize,
    },
    /// No such item for this recipient (another's, or already gone): nothing changed.
    NotYours,
}

/// The name of the store's file inside its directory.
pub const STORE_FILE: &str = "mailbox.redb";
/// The directory, beside the store, where cards wait to be allowed by the running mailbox
/// (`carnet mailbox allow` while it runs: redb lets one process hold the store).
pub const ALLOW_QUEUE: &str = "allow-queue";

/// What the mailbox knows of an item: who deposited it for whom, when, its size. Never
/// its contents (sealed to the recipient).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemMeta {
    /// The person it is for.
    pub to: PersonId,
    /// The person who deposited it (as their device certificate said).
    pub from: PersonId,
    /// When it was accepted (Unix seconds).
    pub created: u64,
    /// When it is deleted if not collected (Unix seconds).
    pub expires: u64,
    /// Its size in bytes.
    pub size: u64,
}

/// A mailbox's store.
pub struct MailboxStore {
    db: Database,
    path: PathBuf,
}

fn commit(mut txn: redb::WriteTransaction) -> Result<(), MailboxError> {
    txn.set_durability(Durability::Immediate).map_err(db)?;
    txn.commit().map_err(db)
}

impl MailboxStore {
    /// Opens the store in `dir`, creating the directory (private to its owner) and the
    /// file if needed.
    pub fn open(dir: &Path) -> Result<MailboxStore, MailboxError> {
        std::fs::create_dir_all(dir).map_err(|source| MailboxError::Io {
            what: format!("cannot create {}", dir.display()),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let path = dir.join(STORE_FILE);
        let database = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => MailboxError::InUse(dir.to_path_buf()),
            other => db(other),
        })?;
        Self::init(database, path)
    }

    /// Opens a store kept by `backend` instead of a file (`path` names it in messages): a
    /// disk that fails writes, in tests of what a full disk does.
    pub fn open_with_backend(
        path: &Path,
        backend: impl redb::StorageBackend,
    ) -> Result<MailboxStore, MailboxError> {
        let database = Database::builder()
            .create_with_backend(backend)
            .map_err(db)?;
        Self::init(database, path.to_path_buf())
    }

    fn init(database: Database, path: PathBuf) -> Result<MailboxStore, MailboxError> {
        let txn = database.begin_write().map_err(db)?;
        {
            txn.open_table(META).map_err(db)?;
            txn.open_table(ALLOW).map_err(db)?;
            txn.open_table(ITEMS).map_err(db)?;
            txn.open_table(DATA).map_err(db)?;
            txn.open_table(DEVICES).map_err(db)?;
            txn.open_table(ACKS).map_err(db)?;
            txn.open_table(COUNTS).map_err(db)?;
            let counted = txn
                .open_table(META)
                .map_err(db)?
                .get("counted")
                .map_err(db)?
                .is_some();
            if !counted {
                let held = list(&txn.open_table(ITEMS).map_err(db)?)?;
                for (_, m) in &held {
                    adjust(&txn, m, true)?;
                }
                txn.open_table(META)
                    .map_err(db)?
                    .insert("counted", [1u8].as_slice())
                    .map_err(db)?;
            }
        }
        commit(txn)?;
        Ok(MailboxStore { db: database, path })
    }

    /// The path of the store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mailbox's endpoint secret: made once, then kept, so its tickets outlive a
    /// restart.
    pub fn endpoint_secret(&self) -> Result<Zeroizing<[u8; 32]>, MailboxError> {
        let txn = self.db.begin_write().map_err(db)?;
        let key = {
            let mut meta = txn.open_table(META).map_err(db)?;
            let held = meta
                .get("endpoint")
                .map_err(db)?
                .map(|v| Zeroizing::new(v.value().to_vec()));
            match held {
                Some(v) => {
                    Zeroizing::new(v.as_slice().try_into().map_err(|_| MailboxError::Damaged {
                        what: "the endpoint key",
                    })?)
                }
                None => {
                    let key = Zeroizing::new(carnet::crypto::random_array::<32>().map_err(db)?);
                    meta.insert("endpoint", key.as_slice()).map_err(db)?;
                    key
                }
            }
        };
        commit(txn)?;
        Ok(key)
    }

    /// Allows `person` (named `name`) to deposit.
    pub fn allow(&self, person: &PersonId, name: &str) -> Result<(), MailboxError> {
        let txn = self.db.begin_write().map_err(db)?;
        txn.open_table(ALLOW)
            .map_err(db)?
            .insert(person.0.as_slice(), name)
            .map_err(db)?;
        commit(txn)
    }

    /// Queues `card` (an identity card's text) in `dir`'s allow queue, for the mailbox
    /// running on `dir` to allow within a second or so ([`MailboxStore::take_queue`]).
    /// The file is written whole, then renamed into the queue.
    pub fn queue_allow(
        dir: &Path,
        card: &carnet::crypto::IdentityCard,
    ) -> Result<PathBuf, MailboxError> {
        let queue = dir.join(ALLOW_QUEUE);
        let io = |what: &str, source| MailboxError::Io {
            what: format!("{what} {}", queue.display()),
            source,
        };
        std::fs::create_dir_all(&queue).map_err(|e| io("cannot create", e))?;
        let name = format!("{}.card", card.person_id());
        let tmp = queue.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, card.to_text()).map_err(|e| io("cannot write in", e))?;
        let path = queue.join(name);
        std::fs::rename(&tmp, &path).map_err(|e| io("cannot write in", e))?;
        Ok(path)
    }

    /// Allows every card waiting in the allow queue beside this store (see
    /// [`MailboxStore::queue_allow`]) and removes it from the queue; a file that is not a
    /// card is removed too. Returns the people allowed (id, name).
    pub fn take_queue(&self) -> Result<Vec<(PersonId, String)>, MailboxError> {
        let Some(dir) = self.path.parent() else {
            return Ok(Vec::new());
        };
        let Ok(entries) = std::fs::read_dir(dir.join(ALLOW_QUEUE)) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "card") {
                continue;
            }
            // A card is small; anything large is not one.
            let text = match std::fs::metadata(&path) {
                Ok(m) if m.len() <= 16 * 1024 => std::fs::read_to_string(&path).ok(),
                _ => None,
            };
            if let Some(card) = text.and_then(|t| carnet::crypto::IdentityCard::from_text(&t).ok())
            {
                self.allow(&card.person_id(), card.name())?;
                out.push((card.person_id(), card.name().to_string()));
            }
            let _ = std::fs::remove_file(&path);
        }
        Ok(out)
    }

    /// Whether `person` may deposit (in a closed mailbox).
    pub fn is_allowed(&self, person: &PersonId) -> Result<bool, MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let t = txn.open_table(ALLOW).map_err(db)?;
        Ok(t.get(person.0.as_slice()).map_err(db)?.is_some())
    }

    /// The people allowed to deposit: id and name.
    pub fn allowed(&self) -> Result<Vec<(PersonId, String)>, MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let t = txn.open_table(ALLOW).map_err(db)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(db)? {
            let (k, v) = row.map_err(db)?;
            if let Ok(id) = <[u8; 32]>::try_from(k.value()) {
                out.push((PersonId(id), v.value().to_string()));
            }
        }
        Ok(out)
    }

    /// Every item held, with its id, oldest first.
    pub fn items(&self) -> Result<Vec<(u64, ItemMeta)>, MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let t = txn.open_table(ITEMS).map_err(db)?;
        list(&t)
    }

    /// Whether an item of `size` bytes from `from` for `to` would be taken now.
    pub fn check(
        &self,
        from: &PersonId,
        to: &PersonId,
        size: u64,
        limits: &Limits,
    ) -> Result<(), MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let t = txn.open_table(COUNTS).map_err(db)?;
        check(&t, from, to, size, limits)
    }

    /// What the counters say is held (items, bytes): for `to`, from `from`, in all.
    pub fn counted(&self, from: &PersonId, to: &PersonId) -> Result<[(u64, u64); 3], MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let t = txn.open_table(COUNTS).map_err(db)?;
        Ok([
            count(&t, &count_key(b't', to))?,
            count(&t, &count_key(b'f', from))?,
            count(&t, b"*")?,
        ])
    }

    /// Stores an item, checking the limits again inside the transaction; returns its id
    /// once it is durably on disk.
    pub fn deposit(
        &self,
        from: &PersonId,
        to: &PersonId,
        bytes: &[u8],
        now: u64,
        limits: &Limits,
    ) -> Result<u64, MailboxError> {
        let size = bytes.len() as u64;
        let txn = self.db.begin_write().map_err(db)?;
        let id = {
            check(&txn.open_table(COUNTS).map_err(db)?, from, to, size, limits)?;
            let mut items = txn.open_table(ITEMS).map_err(db)?;
            let id = items.last().map_err(db)?.map_or(1, |(k, _)| k.value() + 1);
            let meta = ItemMeta {
                to: *to,
                from: *from,
                created: now,
                expires: now.saturating_add(limits.ttl_secs),
                size,
            };
            let enc = postcard::to_stdvec(&meta).map_err(db)?;
            items.insert(id, enc.as_slice()).map_err(db)?;
            adjust(&txn, &meta, true)?;
            txn.open_table(DATA)
                .map_err(db)?
                .insert(id, bytes)
                .map_err(db)?;
            id
        };
        commit(txn)?;
        Ok(id)
    }

    /// The items waiting for `to` that have not expired at `now`, oldest first.
    pub fn waiting(&self, to: &PersonId, now: u64) -> Result<Vec<(u64, ItemMeta)>, MailboxError> {
        Ok(self
            .items()?
            .into_iter()
            .filter(|(_, m)| m.to == *to && m.expires > now)
            .collect())
    }

    /// The items waiting for `to` that the device `endpoint` has not acknowledged yet
    /// (and that have not expired at `now`), oldest first.
    pub fn waiting_for_device(
        &self,
        to: &PersonId,
        endpoint: &[u8; 32],
        now: u64,
    ) -> Result<Vec<(u64, ItemMeta)>, MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let items = txn.open_table(ITEMS).map_err(db)?;
        let acks = txn.open_table(ACKS).map_err(db)?;
        let mut out = Vec::new();
        for (id, m) in list(&items)? {
            if m.to != *to || m.expires <= now {
                continue;
            }
            if keys_in(acks.get(id).map_err(db)?.as_ref().map(|v| v.value()))?.contains(endpoint) {
                continue;
            }
            out.push((id, m));
        }
        Ok(out)
    }

    /// The devices of `person` whose acknowledgement an item for them needs.
    pub fn devices(&self, person: &PersonId) -> Result<Vec<[u8; 32]>, MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let t = txn.open_table(DEVICES).map_err(db)?;
        keys_in(
            t.get(person.0.as_slice())
                .map_err(db)?
                .as_ref()
                .map(|v| v.value()),
        )
    }

    /// Sets the devices of `person` (as one of their devices, `caller`, declares them;
    /// the caller is always among them). Only the device that holds the person's key
    /// (`may_drop`) replaces the list: any other device only adds to it, so that a
    /// device the person removed (whose certificate still verifies) cannot shrink the
    /// list to itself and have items deleted before the person's other devices took
    /// them. Items every remaining device has acknowledged are deleted; returns how many.
    pub fn declare_devices(
        &self,
        person: &PersonId,
        caller: &[u8; 32],
        endpoints: &[[u8; 32]],
        may_drop: bool,
    ) -> Result<usize, MailboxError> {
        if endpoints.len() > MAX_DEVICES {
            return Err(MailboxError::Protocol(Violation::TooMany {
                what: "devices",
                count: endpoints.len() as u64,
                max: MAX_DEVICES as u64,
            }));
        }
        let listed_key = listed_key(person);
        let mut set: Vec<[u8; 32]> = vec![*caller];
        for e in endpoints {
            if !set.contains(e) {
                set.push(*e);
            }
        }
        set.sort();
        let txn = self.db.begin_write().map_err(db)?;
        let deleted = {
            let mut devices = txn.open_table(DEVICES).map_err(db)?;
            let before = keys_in(
                devices
                    .get(person.0.as_slice())
                    .map_err(db)?
                    .as_ref()
                    .map(|v| v.value()),
            )?;
            let listed = txn
                .open_table(META)
                .map_err(db)?
                .get(listed_key.as_str())
                .map_err(db)?
                .is_some();
            if may_drop {
                txn.open_table(META)
                    .map_err(db)?
                    .insert(listed_key.as_str(), [1u8].as_slice())
                    .map_err(db)?;
            } else if listed {
                // The primary decides the list: another device changes nothing, and
                // one not on it (removed) may not put itself back.
                if !before.contains(caller) {
                    return Err(MailboxError::Refused(Refusal::DeviceNotListed));
                }
                set = before.clone();
            }
            if !may_drop {
                for e in &before {
                    if !set.contains(e) {
                        set.push(*e);
                    }
                }
                set.sort();
                if set.len() > MAX_DEVICES {
                    return Err(MailboxError::Protocol(Violation::TooMany {
                        what: "devices",
                        count: set.len() as u64,
                        max: MAX_DEVICES as u64,
                    }));
                }
            }
            if before == set {
                0
            } else {
                let enc = postcard::to_stdvec(&set).map_err(db)?;
                devices
                    .insert(person.0.as_slice(), enc.as_slice())
                    .map_err(db)?;
                sweep(&txn, person, &set)?
            }
        };
        commit(txn)?;
        Ok(deleted)
    }

    /// Whether device `endpoint` of `person` may collect here: any device whose
    /// certificate checks until the person's primary declared their devices, then only
    /// those it declared (a device the person removed gets nothing more).
    pub fn may_collect(
        &self,
        person: &PersonId,
        endpoint: &[u8; 32],
    ) -> Result<bool, MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let listed = txn
            .open_table(META)
            .map_err(db)?
            .get(listed_key(person).as_str())
            .map_err(db)?
            .is_some();
        if !listed {
            return Ok(true);
        }
        let t = txn.open_table(DEVICES).map_err(db)?;
        Ok(keys_in(
            t.get(person.0.as_slice())
                .map_err(db)?
                .as_ref()
                .map(|v| v.value()),
        )?
        .contains(endpoint))
    }

    /// Records that device `endpoint` of `to` acknowledged item `id`; the item is deleted
    /// once every device of `to` has (a device never seen before joins the set: it proved
    /// itself by its certificate).
    pub fn ack(
        &self,
        id: u64,
        to: &PersonId,
        endpoint: &[u8; 32],
    ) -> Result<AckOutcome, MailboxError> {
        let txn = self.db.begin_write().map_err(db)?;
        let outcome = {
            let mut items = txn.open_table(ITEMS).map_err(db)?;
            let meta: Option<ItemMeta> = match items.get(id).map_err(db)? {
                Some(v) => Some(postcard::from_bytes(v.value()).map_err(db)?),
                None => None,
            };
            match meta {
                Some(m) if m.to == *to => {
                    let mut devices = txn.open_table(DEVICES).map_err(db)?;
                    let mut set = keys_in(
                        devices
                            .get(to.0.as_slice())
                            .map_err(db)?
                            .as_ref()
                            .map(|v| v.value()),
                    )?;
                    if !set.contains(endpoint) && set.len() < MAX_DEVICES {
                        set.push(*endpoint);
                        set.sort();
                        let enc = postcard::to_stdvec(&set).map_err(db)?;
                        devices
                            .insert(to.0.as_slice(), enc.as_slice())
                            .map_err(db)?;
                    }
                    let mut acks = txn.open_table(ACKS).map_err(db)?;
                    let mut done = keys_in(acks.get(id).map_err(db)?.as_ref().map(|v| v.value()))?;
                    if !done.contains(endpoint) {
                        done.push(*endpoint);
                    }
                    let waiting_for = set.iter().filter(|d| !done.contains(d)).count();
                    if waiting_for == 0 {
                        items.remove(id).map_err(db)?;
                        txn.open_table(DATA).map_err(db)?.remove(id).map_err(db)?;
                        acks.remove(id).map_err(db)?;
                        adjust(&txn, &m, false)?;
                        AckOutcome::Deleted
                    } else {
                        let enc = postcard::to_stdvec(&done).map_err(db)?;
                        acks.insert(id, enc.as_slice()).map_err(db)?;
                        AckOutcome::Kept { waiting_for }
                    }
                }
                _ => AckOutcome::NotYours,
            }
        };
        commit(txn)?;
        Ok(outcome)
    }

    /// The devices that acknowledged item `id`.
    pub fn acks(&self, id: u64) -> Result<Vec<[u8; 32]>, MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let t = txn.open_table(ACKS).map_err(db)?;
        keys_in(t.get(id).map_err(db)?.as_ref().map(|v| v.value()))
    }

    /// The bytes of an item.
    pub fn bytes(&self, id: u64) -> Result<Option<Vec<u8>>, MailboxError> {
        let txn = self.db.begin_read().map_err(db)?;
        let t = txn.open_table(DATA).map_err(db)?;
        Ok(t.get(id).map_err(db)?.map(|v| v.value().to_vec()))
    }

    /// Deletes item `id` if it is addressed to `to` (what a collector's acknowledgement
    /// does); returns whether it was there.
    pub fn remove_for(&self, id: u64, to: &PersonId) -> Result<bool, MailboxError> {
        let txn = self.db.begin_write().map_err(db)?;
        let removed = {
            let mut items = txn.open_table(ITEMS).map_err(db)?;
            let meta: Option<ItemMeta> = match items.get(id).map_err(db)? {
                Some(v) => Some(postcard::from_bytes(v.value()).map_err(db)?),
                None => None,
            };
            match meta {
                Some(m) if m.to == *to => {
                    items.remove(id).map_err(db)?;
                    txn.open_table(DATA).map_err(db)?.remove(id).map_err(db)?;
                    txn.open_table(ACKS).map_err(db)?.remove(id).map_err(db)?;
                    adjust(&txn, &m, false)?;
                    true
                }
                _ => false,
            }
        };
        commit(txn)?;
        Ok(removed)
    }

    /// Deletes every item expired at `now`; returns how many.
    pub fn purge_expired(&self, now: u64) -> Result<usize, MailboxError> {
        let txn = self.db.begin_write().map_err(db)?;
        let n = {
            let mut items = txn.open_table(ITEMS).map_err(db)?;
            let old: Vec<(u64, ItemMeta)> = list(&items)?
                .into_iter()
                .filter(|(_, m)| m.expires <= now)
                .collect();
            let mut data = txn.open_table(DATA).map_err(db)?;
            let mut acks = txn.open_table(ACKS).map_err(db)?;
            for (id, m) in &old {
                items.remove(*id).map_err(db)?;
                data.remove(*id).map_err(db)?;
                acks.remove(*id).map_err(db)?;
                adjust(&txn, m, false)?;
            }
            old.len()
        };
        commit(txn)?;
        Ok(n)
    }

    /// Rewrites an item, as a broken or hostile mailbox could: its bytes, its
    /// recipient, or both. For tests of what collectors do with such items; an honest
    /// mailbox never calls it.
    pub fn tamper(
        &self,
        id: u64,
        to: Option<PersonId>,
        bytes: Option<&[u8]>,
    ) -> Result<(), MailboxError> {
        let txn = self.db.begin_write().map_err(db)?;
        {
            let mut items = txn.open_table(ITEMS).map_err(db)?;
            let mut meta: ItemMeta = match items.get(id).map_err(db)? {
                Some(v) => postcard::from_bytes(v.value()).map_err(db)?,
                None => return Err(MailboxError::NoItem(id)),
            };
            adjust(&txn, &meta, false)?;
            if let Some(to) = to {
                meta.to = to;
            }
            if let Some(b) = bytes {
                meta.size = b.len() as u64;
                txn.open_table(DATA)
                    .map_err(db)?
                    .insert(id, b)
                    .map_err(db)?;
            }
            let enc = postcard::to_stdvec(&meta).map_err(db)?;
            items.insert(id, enc.as_slice()).map_err(db)?;
            adjust(&txn, &meta, true)?;
        }
        commit(txn)
    }
}

/// A list of endpoint keys as stored (none when absent).
fn keys_in(v: Option<&[u8]>) -> Result<Vec<[u8; 32]>, MailboxError> {
    match v {
        Some(b) => postcard::from_bytes(b).map_err(db),
        None => Ok(Vec::new()),
    }
}

/// Deletes, in `txn`, the items for `person` that every device of `set` acknowledged.
fn sweep(
    txn: &redb::WriteTransaction,
    person: &PersonId,
    set: &[[u8; 32]],
) -> Result<usize, MailboxError> {
    let mut items = txn.open_table(ITEMS).map_err(db)?;
    let mut acks = txn.open_table(ACKS).map_err(db)?;
    let mut data = txn.open_table(DATA).map_err(db)?;
    let mut gone = Vec::new();
    for (id, m) in list(&items)? {
        if m.to != *person {
            continue;
        }
        let done = keys_in(acks.get(id).map_err(db)?.as_ref().map(|v| v.value()))?;
        if !done.is_empty() && set.iter().all(|d| done.contains(d)) {
            gone.push((id, m));
        }
    }
    for (id, m) in &gone {
        items.remove(*id).map_err(db)?;
        data.remove(*id).map_err(db)?;
        acks.remove(*id).map_err(db)?;
        adjust(txn, m, false)?;
    }
    Ok(gone.len())
}

fn list<T: ReadableTable<u64, &'static [u8]>>(t: &T) -> Result<Vec<(u64, ItemMeta)>, MailboxError> {
    let mut out = Vec::new();
    for row in t.iter().map_err(db)? {
        let (k, v) = row.map_err(db)?;
        out.push((k.value(), postcard::from_bytes(v.value()).map_err(db)?));
    }
    Ok(out)
}

/// Meta key marking that `person`'s primary declared their devices here.
fn listed_key(person: &PersonId) -> String {
    let hex: String = person.0.iter().map(|b| format!("{b:02x}")).collect();
    format!("listed:{hex}")
}

fn count_key(kind: u8, p: &PersonId) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.push(kind);
    k.extend_from_slice(&p.0);
    k
}

fn count<T: ReadableTable<&'static [u8], (u64, u64)>>(
    t: &T,
    key: &[u8],
) -> Result<(u64, u64), MailboxError> {
    Ok(t.get(key).map_err(db)?.map_or((0, 0), |v| v.value()))
}

/// Counts an item in (`add`) or out, in `txn`.
fn adjust(txn: &redb::WriteTransaction, m: &ItemMeta, add: bool) -> Result<(), MailboxError> {
    let mut t = txn.open_table(COUNTS).map_err(db)?;
    for key in [
        count_key(b't', &m.to),
        count_key(b'f', &m.from),
        b"*".to_vec(),
    ] {
        let (n, b) = count(&t, &key)?;
        let now = if add {
            (n + 1, b + m.size)
        } else {
            (n.saturating_sub(1), b.saturating_sub(m.size))
        };
        if now == (0, 0) {
            t.remove(key.as_slice()).map_err(db)?;
        } else {
            t.insert(key.as_slice(), now).map_err(db)?;
        }
    }
    Ok(())
}

fn check<T: ReadableTable<&'static [u8], (u64, u64)>>(
    counts: &T,
    from: &PersonId,
    to: &PersonId,
    size: u64,
    limits: &Limits,
) -> Result<(), MailboxError> {
    let refuse = |r| Err(MailboxError::Refused(r));
    if size > limits.max_item_bytes {
        return refuse(Refusal::TooLarge {
            size,
            max: limits.max_item_bytes,
        });
    }
    let (items, bytes) = count(counts, &count_key(b't', to))?;
    if items + 1 > limits.per_recipient.items || bytes + size > limits.per_recipient.bytes {
        return refuse(Refusal::RecipientFull {
            items,
            bytes,
            max_items: limits.per_recipient.items,
            max_bytes: limits.per_recipient.bytes,
        });
    }
    let (items, bytes) = count(counts, &count_key(b'f', from))?;
    if items + 1 > limits.per_depositor.items || bytes + size > limits.per_depositor.bytes {
        return refuse(Refusal::DepositorFull {
            items,
            bytes,
            max_items: limits.per_depositor.items,
            max_bytes: limits.per_depositor.bytes,
        });
    }
    let (_, total) = count(counts, b"*")?;
    if total + size > limits.max_total_bytes {
        return refuse(Refusal::StoreFull {
            bytes: total,
            max: limits.max_total_bytes,
        });
    }
    Ok(())
}
