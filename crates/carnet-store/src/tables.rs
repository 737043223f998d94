//! Table layout and the typed transactions over it.
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | name | bytes; names ending in `!` are sealed with the master key |
//! | `envelopes` | envelope id (32) | envelope bytes (sealed, signed; stored as received) |
//! | `chains` | record (32) section (1) author (32) device (16) | last seq (8, BE) last id (32) |
//! | `chain_index` | chain key, seq (8, BE) | envelope id (32) |
//! | `epoch_keys` | record (32) section (1) epoch (4, BE) | sealed epoch key |
//! | `snapshots` | record (32) section (1) | sealed Automerge snapshot + what it covers |
//! | `blobs` | blob id (32) | attachment ciphertext (vaults written before `blob_parts`) |
//! | `blob_parts` | blob id (32) part (4, BE) | attachment ciphertext, [`BLOB_ROW`] bytes a row |
//! | `actors` | Automerge actor (16) | person (32) device (16) |
//! | `consent` | record (32) index (8, BE) | signed consent entry |
//! | `key_grants` | record (32) grantee (32) section (1) epoch (4, BE) grant (8) | signed, age-encrypted key grant |
//! | `envelope_blobs` | envelope id (32) | ids (32 each) of the attachment blobs it references |
//! | `entry_lists` | record (32) section (1) | sealed list of the section's entries, as last listed (a cache) |
//!
//! Every sealed value's associated data is its table name and key, so a sealed value moved
//! to another slot fails to open.

use carnet_crypto::Envelope;
use carnet_crypto::{DeviceId, EnvelopeId, EpochKey, MasterKey, PersonId, RecordId};
use redb::{ReadableTable, TableDefinition};
use zeroize::Zeroizing;

use crate::StoreError;

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(crate) const ENVELOPES: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("envelopes");
pub(crate) const CHAINS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("chains");
pub(crate) const CHAIN_INDEX: TableDefinition<&[u8], &[u8; 32]> =
    TableDefinition::new("chain_index");
pub(crate) const EPOCH_KEYS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("epoch_keys");
pub(crate) const SNAPSHOTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("snapshots");
pub(crate) const BLOBS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("blobs");
pub(crate) const ACTORS: TableDefinition<&[u8; 16], &[u8]> = TableDefinition::new("actors");
pub(crate) const CONSENT: TableDefinition<&[u8], &[u8]> = TableDefinition::new("consent");
pub(crate) const KEY_GRANTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("key_grants");
pub(crate) const ENVELOPE_BLOBS: TableDefinition<&[u8; 32], &[u8]> =
    TableDefinition::new("envelope_blobs");
pub(crate) const BLOB_PARTS: TableDefinition<&[u8; 36], &[u8]> = TableDefinition::new("blob_parts");
pub(crate) const ENVELOPE_PARTS: TableDefinition<&[u8; 36], &[u8]> =
    TableDefinition::new("envelope_parts");
/// Per record, how its consent rows changed: (generation, generation of the last change
/// that was not an append). Bumped in the transaction that changes the rows, so that a
/// reader holding what it made of the rows can tell in two lookups whether they are the
/// same, only grew, or changed otherwise ([`ReadTxn::consent_stamp`]). Not part of the
/// vault's state (nor of its digest, dumps or backups): a vault without it reads as
/// generation 0.
pub(crate) const CONSENT_GEN: TableDefinition<&[u8; 32], (u64, u64)> =
    TableDefinition::new("consent_gen");
/// Per section, its entries as `list` last decoded them, with the chain heads they were
/// decoded at (sealed; the format is the `carnet` crate's). Only a cache: not part of the
/// vault's state (nor of its digest, dumps or backups); storing or dropping a section's
/// snapshot drops its row in the same transaction, and a reader uses a row only while the
/// section's chain heads are the ones it names.
pub(crate) const ENTRY_LISTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("entry_lists");
/// The first part of an attachment whose sync was cut (id || byte offset of the row, and a
/// header row at offset `u64::MAX`): kept so that the next sync from the same peer
/// resumes where it stopped. Not part of the vault's state (nor of its digest, dumps or
/// backups): a cache of ciphertext that any sync may replace or drop.
pub(crate) const PARTIAL_BLOBS: TableDefinition<&[u8; 40], &[u8]> =
    TableDefinition::new("partial_blobs");

/// How a record's consent rows stand ([`ReadTxn::consent_stamp`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentStamp {
    /// Bumped by every change of the rows.
    pub generation: u64,
    /// The generation of the last change that was not an append (a row replaced or
    /// removed, or one added below the last).
    pub rewritten: u64,
    /// The last row: its index and bytes.
    pub last: Option<(u64, Vec<u8>)>,
}

/// What a vault holds of an attachment whose transfer was cut ([`WriteTxn::put_partial`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialBlob {
    /// The attachment's id (hash of its whole ciphertext).
    pub id: [u8; 32],
    /// Who was sending it.
    pub peer: PersonId,
    /// Its whole size.
    pub total: u64,
    /// How many of its first bytes are held.
    pub held: u64,
}

fn partial_key(id: &[u8; 32], offset: u64) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(id);
    k[32..].copy_from_slice(&offset.to_be_bytes());
    k
}

/// Bytes of an envelope per row of `envelope_parts`, for envelopes larger than one page.
/// As with attachments (see [`BLOB_ROW`]), redb gives a value larger than a page its own
/// leaf of a power of two of pages: a 20 KB envelope of series blocks took 32 KiB. A row
/// of this size with its key and the leaf's header fills one 4 KiB page exactly.
pub(crate) const ENVELOPE_ROW: usize = 4096 - 48;

/// Bytes of an attachment's ciphertext per row of `blob_parts`. redb gives each large value
/// its own leaf, a power of two of 4 KiB pages: a 1 MB attachment in one row took a 2 MiB
/// leaf (+100% on disk). A row of this size with its key (36 bytes) and the leaf's header
/// (12 bytes) fills a 64 KiB leaf exactly, so an attachment costs its size plus at most one
/// page for its last, short row.
pub const BLOB_ROW: usize = 64 * 1024 - 48;

fn part_key(id: &[u8; 32], part: u32) -> [u8; 36] {
    let mut k = [0u8; 36];
    k[..32].copy_from_slice(id);
    k[32..].copy_from_slice(&part.to_be_bytes());
    k
}

const CHAIN_KEY: usize = 32 + 1 + 32 + 16;

/// The newest envelope of one (author, device) chain in one section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// Who writes this chain.
    pub author: PersonId,
    /// From which device.
    pub device: DeviceId,
    /// The highest sequence number stored.
    pub seq: u64,
    /// The id of that envelope.
    pub last: EnvelopeId,
}

fn section_key(record: &RecordId, section: u8) -> [u8; 33] {
    let mut k = [0u8; 33];
    k[..32].copy_from_slice(&record.0);
    k[32] = section;
    k
}

fn chain_key(
    record: &RecordId,
    section: u8,
    author: &PersonId,
    device: &DeviceId,
) -> [u8; CHAIN_KEY] {
    let mut k = [0u8; CHAIN_KEY];
    k[..33].copy_from_slice(&section_key(record, section));
    k[33..65].copy_from_slice(&author.0);
    k[65..].copy_from_slice(&device.0);
    k
}

fn index_key(chain: &[u8; CHAIN_KEY], seq: u64) -> [u8; CHAIN_KEY + 8] {
    let mut k = [0u8; CHAIN_KEY + 8];
    k[..CHAIN_KEY].copy_from_slice(chain);
    k[CHAIN_KEY..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn epoch_key_slot(record: &RecordId, section: u8, epoch: u32) -> [u8; 37] {
    let mut k = [0u8; 37];
    k[..33].copy_from_slice(&section_key(record, section));
    k[33..].copy_from_slice(&epoch.to_be_bytes());
    k
}

pub(crate) fn aad(table: &str, key: &[u8]) -> Vec<u8> {
    let mut a = table.as_bytes().to_vec();
    a.push(0);
    a.extend_from_slice(key);
    a
}

pub(crate) fn damaged(what: &'static str) -> impl FnOnce(carnet_crypto::CryptoError) -> StoreError {
    move |source| StoreError::Damaged { what, source }
}

fn corrupt_row(what: &str) -> StoreError {
    StoreError::Database(format!(
        "a {what} row has the wrong length; the vault file is damaged"
    ))
}

fn decode_head(key: &[u8], value: &[u8]) -> Result<ChainHead, StoreError> {
    if key.len() != CHAIN_KEY || value.len() != 40 {
        return Err(corrupt_row("chain"));
    }
    let mut author = [0u8; 32];
    author.copy_from_slice(&key[33..65]);
    let mut device = [0u8; 16];
    device.copy_from_slice(&key[65..]);
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&value[..8]);
    let mut last = [0u8; 32];
    last.copy_from_slice(&value[8..]);
    Ok(ChainHead {
        author: PersonId(author),
        device: DeviceId(device),
        seq: u64::from_be_bytes(seq),
        last: EnvelopeId(last),
    })
}

/// Read operations shared by both kinds of transaction.
macro_rules! reads {
    () => {
        /// A plain (not secret) meta value.
        pub fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
            let t = self.open(META)?;
            Ok(match t {
                Some(t) => t.get(name)?.map(|v| v.value().to_vec()),
                None => None,
            })
        }

        /// A sealed meta value, opened with the master key.
        pub fn get_secret_meta(
            &self,
            name: &str,
        ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
            let key = format!("{name}!");
            let Some(t) = self.open(META)? else {
                return Ok(None);
            };
            let Some(v) = t.get(key.as_str())? else {
                return Ok(None);
            };
            self.master
                .open(&aad("meta", key.as_bytes()), v.value())
                .map(Some)
                .map_err(damaged("vault secret"))
        }

        /// An envelope by id, decoded (not yet verified).
        pub fn envelope(&self, id: &EnvelopeId) -> Result<Option<Envelope>, StoreError> {
            if let Some(t) = self.open(ENVELOPES)?
                && let Some(v) = t.get(&id.0)?
            {
                return Envelope::from_bytes(v.value())
                    .map(Some)
                    .map_err(damaged("envelope"));
            }
            let Some(t) = self.open(ENVELOPE_PARTS)? else {
                return Ok(None);
            };
            let mut out: Option<Vec<u8>> = None;
            let (lo, hi) = (part_key(&id.0, 0), part_key(&id.0, u32::MAX));
            for (i, row) in t.range::<&[u8; 36]>(&lo..=&hi)?.enumerate() {
                let (k, v) = row?;
                if k.value()[32..] != (i as u32).to_be_bytes() {
                    return Err(corrupt_row("envelope part"));
                }
                out.get_or_insert_with(Vec::new)
                    .extend_from_slice(v.value());
            }
            match out {
                Some(bytes) => Envelope::from_bytes(&bytes)
                    .map(Some)
                    .map_err(damaged("envelope")),
                None => Ok(None),
            }
        }

        /// Whether an envelope is stored.
        pub fn has_envelope(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
            if let Some(t) = self.open(ENVELOPES)?
                && t.get(&id.0)?.is_some()
            {
                return Ok(true);
            }
            Ok(match self.open(ENVELOPE_PARTS)? {
                Some(t) => t.get(&part_key(&id.0, 0))?.is_some(),
                None => false,
            })
        }

        /// The heads of every chain of one section: its version vector.
        pub fn chain_heads(
            &self,
            record: &RecordId,
            section: u8,
        ) -> Result<Vec<ChainHead>, StoreError> {
            let Some(t) = self.open(CHAINS)? else {
                return Ok(Vec::new());
            };
            let lo = section_key(record, section);
            let mut hi = [0xffu8; CHAIN_KEY];
            hi[..33].copy_from_slice(&lo);
            let mut out = Vec::new();
            for row in t.range(&lo[..]..=&hi[..])? {
                let (k, v) = row?;
                out.push(decode_head(k.value(), v.value())?);
            }
            Ok(out)
        }

        /// The head of one chain.
        pub fn chain_head(
            &self,
            record: &RecordId,
            section: u8,
            author: &PersonId,
            device: &DeviceId,
        ) -> Result<Option<ChainHead>, StoreError> {
            let Some(t) = self.open(CHAINS)? else {
                return Ok(None);
            };
            let k = chain_key(record, section, author, device);
            match t.get(&k[..])? {
                Some(v) => decode_head(&k, v.value()).map(Some),
                None => Ok(None),
            }
        }

        /// The envelope ids of one chain with a sequence number above `after`, in order.
        pub fn chain_after(
            &self,
            record: &RecordId,
            section: u8,
            author: &PersonId,
            device: &DeviceId,
            after: u64,
        ) -> Result<Vec<EnvelopeId>, StoreError> {
            let Some(t) = self.open(CHAIN_INDEX)? else {
                return Ok(Vec::new());
            };
            let chain = chain_key(record, section, author, device);
            let lo = index_key(&chain, after.saturating_add(1));
            let hi = index_key(&chain, u64::MAX);
            let mut out = Vec::new();
            if after == u64::MAX {
                return Ok(out);
            }
            for row in t.range(&lo[..]..=&hi[..])? {
                let (_, v) = row?;
                out.push(EnvelopeId(*v.value()));
            }
            Ok(out)
        }

        /// An epoch key, opened with the master key.
        pub fn epoch_key(
            &self,
            record: &RecordId,
            section: u8,
            epoch: u32,
        ) -> Result<Option<EpochKey>, StoreError> {
            let Some(t) = self.open(EPOCH_KEYS)? else {
                return Ok(None);
            };
            let k = epoch_key_slot(record, section, epoch);
            let Some(v) = t.get(&k[..])? else {
                return Ok(None);
            };
            let plain = self
                .master
                .open(&aad("epoch_keys", &k), v.value())
                .map_err(damaged("epoch key"))?;
            EpochKey::from_slice(&plain)
                .map(Some)
                .map_err(damaged("epoch key"))
        }

        /// The newest epoch this vault holds a key for in one section.
        pub fn latest_epoch(
            &self,
            record: &RecordId,
            section: u8,
        ) -> Result<Option<u32>, StoreError> {
            let Some(t) = self.open(EPOCH_KEYS)? else {
                return Ok(None);
            };
            let lo = epoch_key_slot(record, section, 0);
            let hi = epoch_key_slot(record, section, u32::MAX);
            match t.range(&lo[..]..=&hi[..])?.next_back() {
                Some(row) => {
                    let (k, _) = row?;
                    let k = k.value();
                    if k.len() != 37 {
                        return Err(corrupt_row("epoch key"));
                    }
                    let mut e = [0u8; 4];
                    e.copy_from_slice(&k[33..]);
                    Ok(Some(u32::from_be_bytes(e)))
                }
                None => Ok(None),
            }
        }

        /// A section's cached snapshot, opened with the master key.
        pub fn snapshot(
            &self,
            record: &RecordId,
            section: u8,
        ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
            self.sealed_section_row(SNAPSHOTS, "snapshots", "snapshot", record, section)
        }

        /// A section's cached entry list ([`WriteTxn::put_entry_list`]), opened with the
        /// master key.
        pub fn entry_list(
            &self,
            record: &RecordId,
            section: u8,
        ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
            self.sealed_section_row(ENTRY_LISTS, "entry_lists", "entry list", record, section)
        }

        /// A section's row of a sealed per-section table (`table` is its name, bound into
        /// the seal), opened with the master key.
        fn sealed_section_row(
            &self,
            def: TableDefinition<&[u8], &[u8]>,
            table: &'static str,
            what: &'static str,
            record: &RecordId,
            section: u8,
        ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
            let Some(t) = self.open(def)? else {
                return Ok(None);
            };
            let k = section_key(record, section);
            let Some(v) = t.get(&k[..])? else {
                return Ok(None);
            };
            self.master
                .open(&aad(table, &k), v.value())
                .map(Some)
                .map_err(damaged(what))
        }

        /// An attachment's ciphertext (from its rows in `blob_parts`, or its one row in
        /// `blobs` in a vault written before).
        pub fn blob(&self, id: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
            if let Some(t) = self.open(BLOB_PARTS)? {
                let mut out: Option<Vec<u8>> = None;
                let (lo, hi) = (part_key(id, 0), part_key(id, u32::MAX));
                for (i, row) in t.range::<&[u8; 36]>(&lo..=&hi)?.enumerate() {
                    let (k, v) = row?;
                    if k.value()[32..] != (i as u32).to_be_bytes() {
                        return Err(corrupt_row("attachment part"));
                    }
                    out.get_or_insert_with(Vec::new)
                        .extend_from_slice(v.value());
                }
                if out.is_some() {
                    return Ok(out);
                }
            }
            let Some(t) = self.open(BLOBS)? else {
                return Ok(None);
            };
            Ok(t.get(id)?.map(|v| v.value().to_vec()))
        }

        /// Who an Automerge actor id belongs to.
        pub fn actor(&self, actor: &[u8; 16]) -> Result<Option<(PersonId, DeviceId)>, StoreError> {
            let Some(t) = self.open(ACTORS)? else {
                return Ok(None);
            };
            let Some(v) = t.get(actor)? else {
                return Ok(None);
            };
            let v = v.value();
            if v.len() != 48 {
                return Err(corrupt_row("actor"));
            }
            let mut p = [0u8; 32];
            p.copy_from_slice(&v[..32]);
            let mut d = [0u8; 16];
            d.copy_from_slice(&v[32..]);
            Ok(Some((PersonId(p), DeviceId(d))))
        }

        /// A fingerprint of everything stored (every table, every row). Two equal digests
        /// mean no row was added, changed or removed in between.
        pub fn digest(&self) -> Result<[u8; 32], StoreError> {
            let mut h = blake3::Hasher::new();
            macro_rules! table {
                ($def:expr, $name:literal) => {
                    // An empty table is no table: opening one in a write transaction
                    // creates it, and that changes no state.
                    if let Some(t) = self.open($def)? {
                        let mut named = false;
                        for row in t.iter()? {
                            if !named {
                                h.update($name.as_bytes());
                                named = true;
                            }
                            let (k, v) = row?;
                            let (k, v): (&[u8], &[u8]) = (k.value().as_ref(), v.value().as_ref());
                            h.update(&(k.len() as u64).to_le_bytes());
                            h.update(k);
                            h.update(&(v.len() as u64).to_le_bytes());
                            h.update(v);
                        }
                    }
                };
            }
            table!(META, "meta");
            table!(ENVELOPES, "envelopes");
            table!(CHAINS, "chains");
            table!(CHAIN_INDEX, "chain_index");
            table!(EPOCH_KEYS, "epoch_keys");
            table!(SNAPSHOTS, "snapshots");
            table!(BLOBS, "blobs");
            table!(BLOB_PARTS, "blob_parts");
            table!(ENVELOPE_PARTS, "envelope_parts");
            table!(ACTORS, "actors");
            table!(CONSENT, "consent");
            table!(KEY_GRANTS, "key_grants");
            table!(ENVELOPE_BLOBS, "envelope_blobs");
            Ok(*h.finalize().as_bytes())
        }

        /// The consent log of a record, entry bytes in order.
        pub fn consent_entries(&self, record: &RecordId) -> Result<Vec<Vec<u8>>, StoreError> {
            let Some(t) = self.open(CONSENT)? else {
                return Ok(Vec::new());
            };
            let mut lo = [0u8; 40];
            lo[..32].copy_from_slice(&record.0);
            let mut hi = [0xffu8; 40];
            hi[..32].copy_from_slice(&record.0);
            let mut out = Vec::new();
            for row in t.range(&lo[..]..=&hi[..])? {
                let (_, v) = row?;
                out.push(v.value().to_vec());
            }
            Ok(out)
        }

        /// The consent entries of a record from index `from` on, in order: what appending
        /// after a known tail needs, without reading the whole log.
        pub fn consent_entries_from(
            &self,
            record: &RecordId,
            from: u64,
        ) -> Result<Vec<Vec<u8>>, StoreError> {
            let Some(t) = self.open(CONSENT)? else {
                return Ok(Vec::new());
            };
            let mut lo = [0u8; 40];
            lo[..32].copy_from_slice(&record.0);
            lo[32..].copy_from_slice(&from.to_be_bytes());
            let mut hi = [0xffu8; 40];
            hi[..32].copy_from_slice(&record.0);
            let mut out = Vec::new();
            for row in t.range(&lo[..]..=&hi[..])? {
                let (_, v) = row?;
                out.push(v.value().to_vec());
            }
            Ok(out)
        }

        /// Key grants of a record for one grantee, as stored.
        pub fn key_grants(
            &self,
            record: &RecordId,
            grantee: &PersonId,
        ) -> Result<Vec<Vec<u8>>, StoreError> {
            let Some(t) = self.open(KEY_GRANTS)? else {
                return Ok(Vec::new());
            };
            let mut lo = [0u8; 77];
            lo[..32].copy_from_slice(&record.0);
            lo[32..64].copy_from_slice(&grantee.0);
            let mut hi = [0xffu8; 77];
            hi[..64].copy_from_slice(&lo[..64]);
            let mut out = Vec::new();
            for row in t.range(&lo[..]..=&hi[..])? {
                let (_, v) = row?;
                out.push(v.value().to_vec());
            }
            Ok(out)
        }

        /// `len` bytes of an attachment's ciphertext from `offset` (fewer at its end),
        /// reading only the rows that hold them: a sender streams an attachment in parts
        /// without putting it whole in memory first. `None` if it is not stored.
        pub fn blob_range(
            &self,
            id: &[u8; 32],
            offset: u64,
            len: usize,
        ) -> Result<Option<Vec<u8>>, StoreError> {
            let row = BLOB_ROW as u64;
            if let Some(t) = self.open(BLOB_PARTS)? {
                let first = u32::try_from(offset / row).unwrap_or(u32::MAX);
                let (lo, hi) = (part_key(id, first), part_key(id, u32::MAX));
                let mut out: Option<Vec<u8>> = None;
                let mut at = u64::from(first) * row;
                for (i, r) in t.range::<&[u8; 36]>(&lo..=&hi)?.enumerate() {
                    let (k, v) = r?;
                    let expected = u64::from(first) + i as u64;
                    if k.value()[32..] != (expected as u32).to_be_bytes() {
                        return Err(corrupt_row("attachment part"));
                    }
                    let buf = out.get_or_insert_with(|| Vec::with_capacity(len));
                    let bytes = v.value();
                    let from = (offset.saturating_sub(at) as usize).min(bytes.len());
                    let take = (len - buf.len()).min(bytes.len() - from);
                    buf.extend_from_slice(&bytes[from..from + take]);
                    at += bytes.len() as u64;
                    if buf.len() == len {
                        break;
                    }
                }
                if out.is_some() {
                    return Ok(out);
                }
                if first > 0 && self.has_blob(id)? {
                    // Past its end.
                    return Ok(Some(Vec::new()));
                }
            }
            let Some(t) = self.open(BLOBS)? else {
                return Ok(None);
            };
            Ok(t.get(id)?.map(|v| {
                let bytes = v.value();
                let start = (offset.min(bytes.len() as u64)) as usize;
                let end = start.saturating_add(len).min(bytes.len());
                bytes[start..end].to_vec()
            }))
        }

        /// The size of an attachment's ciphertext, without reading it (its last row).
        pub fn blob_len(&self, id: &[u8; 32]) -> Result<Option<u64>, StoreError> {
            if let Some(t) = self.open(BLOB_PARTS)? {
                let (lo, hi) = (part_key(id, 0), part_key(id, u32::MAX));
                if let Some(row) = t.range::<&[u8; 36]>(&lo..=&hi)?.next_back() {
                    let (k, v) = row?;
                    let mut index = [0u8; 4];
                    index.copy_from_slice(&k.value()[32..]);
                    let rows_before = u64::from(u32::from_be_bytes(index));
                    return Ok(Some(rows_before * BLOB_ROW as u64 + v.value().len() as u64));
                }
            }
            Ok(match self.open(BLOBS)? {
                Some(t) => t.get(id)?.map(|v| v.value().len() as u64),
                None => None,
            })
        }

        /// Whether an attachment blob is stored.
        pub fn has_blob(&self, id: &[u8; 32]) -> Result<bool, StoreError> {
            if let Some(t) = self.open(BLOB_PARTS)?
                && t.get(&part_key(id, 0))?.is_some()
            {
                return Ok(true);
            }
            Ok(match self.open(BLOBS)? {
                Some(t) => t.get(id)?.is_some(),
                None => false,
            })
        }

        /// The attachment blobs an envelope references (travel with it to peers).
        pub fn envelope_blobs(&self, id: &EnvelopeId) -> Result<Vec<[u8; 32]>, StoreError> {
            let Some(t) = self.open(ENVELOPE_BLOBS)? else {
                return Ok(Vec::new());
            };
            let Some(v) = t.get(&id.0)? else {
                return Ok(Vec::new());
            };
            let v = v.value();
            if v.len() % 32 != 0 {
                return Err(corrupt_row("envelope blobs"));
            }
            Ok(v.chunks_exact(32)
                .map(|c| {
                    let mut a = [0u8; 32];
                    a.copy_from_slice(c);
                    a
                })
                .collect())
        }

        /// How a record's consent rows stand: their generation, the generation of their
        /// last change that was not an append, and the last row (index and bytes). Two
        /// lookups, whatever the log's length.
        pub fn consent_stamp(&self, record: &RecordId) -> Result<ConsentStamp, StoreError> {
            let (generation, rewritten) = match self.open(CONSENT_GEN)? {
                Some(t) => t.get(&record.0)?.map_or((0, 0), |v| v.value()),
                None => (0, 0),
            };
            let last = match self.open(CONSENT)? {
                Some(t) => {
                    let mut lo = [0u8; 40];
                    lo[..32].copy_from_slice(&record.0);
                    let mut hi = [0xffu8; 40];
                    hi[..32].copy_from_slice(&record.0);
                    match t.range(&lo[..]..=&hi[..])?.next_back() {
                        Some(row) => {
                            let (k, v) = row?;
                            let mut i = [0u8; 8];
                            i.copy_from_slice(&k.value()[32..40]);
                            Some((u64::from_be_bytes(i), v.value().to_vec()))
                        }
                        None => None,
                    }
                }
                None => None,
            };
            Ok(ConsentStamp {
                generation,
                rewritten,
                last,
            })
        }

        /// One consent entry of a record, by index.
        pub fn consent_entry(
            &self,
            record: &RecordId,
            index: u64,
        ) -> Result<Option<Vec<u8>>, StoreError> {
            let Some(t) = self.open(CONSENT)? else {
                return Ok(None);
            };
            let mut k = [0u8; 40];
            k[..32].copy_from_slice(&record.0);
            k[32..].copy_from_slice(&index.to_be_bytes());
            Ok(t.get(&k[..])?.map(|v| v.value().to_vec()))
        }

        /// The number of consent entries stored for a record (for the record's owner: the
        /// length of its log; a grantee holds only some, so use [`Self::consent_entries`]).
        pub fn consent_count(&self, record: &RecordId) -> Result<u64, StoreError> {
            let Some(t) = self.open(CONSENT)? else {
                return Ok(0);
            };
            let mut lo = [0u8; 40];
            lo[..32].copy_from_slice(&record.0);
            let mut hi = [0xffu8; 40];
            hi[..32].copy_from_slice(&record.0);
            let mut n = 0;
            for row in t.range(&lo[..]..=&hi[..])? {
                row?;
                n += 1;
            }
            Ok(n)
        }

        /// The attachments whose transfer was cut, and how much of each is held.
        pub fn partial_blobs(&self) -> Result<Vec<PartialBlob>, StoreError> {
            let Some(t) = self.open(PARTIAL_BLOBS)? else {
                return Ok(Vec::new());
            };
            let mut out: Vec<PartialBlob> = Vec::new();
            for row in t.iter()? {
                let (k, v) = row?;
                let k = k.value();
                let mut id = [0u8; 32];
                id.copy_from_slice(&k[..32]);
                let offset = u64::from_be_bytes(k[32..].try_into().unwrap_or([0; 8]));
                if offset == u64::MAX {
                    let v = v.value();
                    if v.len() != 40 {
                        return Err(corrupt_row("partial attachment"));
                    }
                    let mut peer = [0u8; 32];
                    peer.copy_from_slice(&v[..32]);
                    let total = u64::from_be_bytes(v[32..].try_into().unwrap_or([0; 8]));
                    match out.iter_mut().find(|p| p.id == id) {
                        Some(p) => {
                            p.peer = PersonId(peer);
                            p.total = total;
                        }
                        None => out.push(PartialBlob {
                            id,
                            peer: PersonId(peer),
                            total,
                            held: 0,
                        }),
                    }
                } else {
                    let n = v.value().len() as u64;
                    match out.iter_mut().find(|p| p.id == id) {
                        Some(p) => p.held = p.held.max(offset + n),
                        None => out.push(PartialBlob {
                            id,
                            peer: PersonId([0; 32]),
                            total: 0,
                            held: offset + n,
                        }),
                    }
                }
            }
            Ok(out)
        }

        /// Every record this vault holds envelopes or keys of.
        pub fn records(&self) -> Result<Vec<RecordId>, StoreError> {
            let mut out: Vec<RecordId> = Vec::new();
            if let Some(t) = self.open(EPOCH_KEYS)? {
                for row in t.iter()? {
                    let (k, _) = row?;
                    let k = k.value();
                    if k.len() < 32 {
                        return Err(corrupt_row("epoch key"));
                    }
                    let mut r = [0u8; 32];
                    r.copy_from_slice(&k[..32]);
                    if out.last() != Some(&RecordId(r)) {
                        out.push(RecordId(r));
                    }
                }
            }
            out.dedup();
            Ok(out)
        }
    };
}

/// One atomic write: everything put through it becomes durable together at
/// [`WriteTxn::commit`], or not at all.
pub struct WriteTxn<'s> {
    pub(crate) txn: redb::WriteTransaction,
    pub(crate) master: &'s MasterKey,
}

/// A consistent read-only view of the vault.
pub struct ReadTxn<'s> {
    txn: redb::ReadTransaction,
    pub(crate) master: &'s MasterKey,
}

impl<'s> ReadTxn<'s> {
    pub(crate) fn new(txn: redb::ReadTransaction, master: &'s MasterKey) -> Self {
        Self { txn, master }
    }

    pub(crate) fn open<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<Option<redb::ReadOnlyTable<K, V>>, StoreError> {
        match self.txn.open_table(def) {
            Ok(t) => Ok(Some(t)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    reads!();
}

impl<'s> WriteTxn<'s> {
    pub(crate) fn new(txn: redb::WriteTransaction, master: &'s MasterKey) -> Self {
        Self { txn, master }
    }

    fn open<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<Option<redb::Table<'_, K, V>>, StoreError> {
        Ok(Some(self.txn.open_table(def)?))
    }

    reads!();

    /// Sets a plain meta value.
    pub fn put_meta(&mut self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        let mut t = self.txn.open_table(META)?;
        t.insert(name, value)?;
        Ok(())
    }

    /// Seals and sets a secret meta value.
    pub fn put_secret_meta(&mut self, name: &str, plaintext: &[u8]) -> Result<(), StoreError> {
        let key = format!("{name}!");
        let sealed = self.master.seal(&aad("meta", key.as_bytes()), plaintext)?;
        let mut t = self.txn.open_table(META)?;
        t.insert(key.as_str(), sealed.as_slice())?;
        Ok(())
    }

    /// Stores an envelope and advances its chain. The caller has verified it. Returns
    /// `false` if it was already stored. The envelope must continue its chain exactly
    /// (`seq` = head + 1, `prev` = head id): a gap or a fork is refused.
    pub fn put_envelope(&mut self, env: &Envelope) -> Result<bool, StoreError> {
        let id = env.id();
        if self.has_envelope(&id)? {
            return Ok(false);
        }
        let h = env.header();
        let head = self.chain_head(&h.record, h.section, &h.author, &h.device)?;
        let (expected_seq, expected_prev) = match head {
            Some(head) => (head.seq + 1, Some(head.last)),
            None => (1, None),
        };
        if h.seq != expected_seq || h.prev != expected_prev {
            let why = if h.seq < expected_seq {
                format!(
                    "position {} is already taken by another envelope (a fork or a replay)",
                    h.seq
                )
            } else if h.seq > expected_seq {
                format!(
                    "envelopes {expected_seq} to {} of this chain are missing",
                    h.seq - 1
                )
            } else {
                "it does not link to the previous envelope of its chain".to_string()
            };
            return Err(StoreError::ChainBroken {
                id: id.to_string(),
                why,
            });
        }
        let chain = chain_key(&h.record, h.section, &h.author, &h.device);
        let mut head_value = [0u8; 40];
        head_value[..8].copy_from_slice(&h.seq.to_be_bytes());
        head_value[8..].copy_from_slice(&id.0);
        let bytes = env.as_bytes();
        if bytes.len() <= ENVELOPE_ROW {
            self.txn.open_table(ENVELOPES)?.insert(&id.0, bytes)?;
        } else {
            let mut t = self.txn.open_table(ENVELOPE_PARTS)?;
            for (i, part) in bytes.chunks(ENVELOPE_ROW).enumerate() {
                let i = u32::try_from(i).map_err(|_| {
                    StoreError::Database("an envelope is too large to store".into())
                })?;
                t.insert(&part_key(&id.0, i), part)?;
            }
        }
        self.txn
            .open_table(CHAINS)?
            .insert(&chain[..], &head_value[..])?;
        self.txn
            .open_table(CHAIN_INDEX)?
            .insert(&index_key(&chain, h.seq)[..], &id.0)?;
        Ok(true)
    }

    /// Seals and stores an epoch key.
    pub fn put_epoch_key(
        &mut self,
        record: &RecordId,
        section: u8,
        epoch: u32,
        key: &EpochKey,
    ) -> Result<(), StoreError> {
        let k = epoch_key_slot(record, section, epoch);
        let sealed = self.master.seal(&aad("epoch_keys", &k), key.expose())?;
        self.txn
            .open_table(EPOCH_KEYS)?
            .insert(&k[..], sealed.as_slice())?;
        Ok(())
    }

    /// Seals and stores a section's snapshot, replacing the previous one.
    pub fn put_snapshot(
        &mut self,
        record: &RecordId,
        section: u8,
        plaintext: &[u8],
    ) -> Result<(), StoreError> {
        let k = section_key(record, section);
        let sealed = self.master.seal(&aad("snapshots", &k), plaintext)?;
        self.txn
            .open_table(SNAPSHOTS)?
            .insert(&k[..], sealed.as_slice())?;
        self.txn.open_table(ENTRY_LISTS)?.remove(&k[..])?;
        Ok(())
    }

    /// Seals and stores a section's entry list (a cache; see [`ReadTxn::entry_list`]),
    /// replacing the previous one.
    pub fn put_entry_list(
        &mut self,
        record: &RecordId,
        section: u8,
        plaintext: &[u8],
    ) -> Result<(), StoreError> {
        let k = section_key(record, section);
        let sealed = self.master.seal(&aad("entry_lists", &k), plaintext)?;
        self.txn
            .open_table(ENTRY_LISTS)?
            .insert(&k[..], sealed.as_slice())?;
        Ok(())
    }

    /// Drops a section's entry list (a cache).
    pub fn drop_entry_list(&mut self, record: &RecordId, section: u8) -> Result<(), StoreError> {
        let k = section_key(record, section);
        self.txn.open_table(ENTRY_LISTS)?.remove(&k[..])?;
        Ok(())
    }

    /// Drops a section's snapshot (a cache): the section is rebuilt from its envelopes at
    /// its next load.
    pub fn drop_snapshot(&mut self, record: &RecordId, section: u8) -> Result<(), StoreError> {
        let k = section_key(record, section);
        self.txn.open_table(SNAPSHOTS)?.remove(&k[..])?;
        self.txn.open_table(ENTRY_LISTS)?.remove(&k[..])?;
        Ok(())
    }

    /// Stores an attachment's ciphertext under its id (the hash of the ciphertext).
    pub fn put_blob(&mut self, id: &[u8; 32], ciphertext: &[u8]) -> Result<(), StoreError> {
        // In rows of BLOB_ROW bytes (see there why); an empty blob is one empty row.
        let mut t = self.txn.open_table(BLOB_PARTS)?;
        let mut parts = ciphertext.chunks(BLOB_ROW).peekable();
        if parts.peek().is_none() {
            t.insert(&part_key(id, 0), &[][..])?;
        }
        for (i, part) in parts.enumerate() {
            let i = u32::try_from(i)
                .map_err(|_| StoreError::Database("an attachment is too large to store".into()))?;
            t.insert(&part_key(id, i), part)?;
        }
        Ok(())
    }

    /// Notes which attachment blobs an envelope references.
    pub fn put_envelope_blobs(
        &mut self,
        id: &EnvelopeId,
        blobs: &[[u8; 32]],
    ) -> Result<(), StoreError> {
        if blobs.is_empty() {
            return Ok(());
        }
        let v: Vec<u8> = blobs.iter().flatten().copied().collect();
        self.txn
            .open_table(ENVELOPE_BLOBS)?
            .insert(&id.0, v.as_slice())?;
        Ok(())
    }

    /// Records which person and device an Automerge actor id stands for.
    pub fn put_actor(
        &mut self,
        actor: &[u8; 16],
        person: &PersonId,
        device: &DeviceId,
    ) -> Result<(), StoreError> {
        let mut v = [0u8; 48];
        v[..32].copy_from_slice(&person.0);
        v[32..].copy_from_slice(&device.0);
        self.txn.open_table(ACTORS)?.insert(actor, &v[..])?;
        Ok(())
    }

    /// Appends one consent entry at `index`.
    pub fn put_consent(
        &mut self,
        record: &RecordId,
        index: u64,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let mut k = [0u8; 40];
        k[..32].copy_from_slice(&record.0);
        k[32..].copy_from_slice(&index.to_be_bytes());
        let mut hi = [0xffu8; 40];
        hi[..32].copy_from_slice(&record.0);
        let mut t = self.txn.open_table(CONSENT)?;
        // An append is a row above every other of the record's.
        let append = t.range(&k[..]..=&hi[..])?.next().is_none();
        t.insert(&k[..], bytes)?;
        drop(t);
        self.bump_consent(record, append)
    }

    fn bump_consent(&mut self, record: &RecordId, append: bool) -> Result<(), StoreError> {
        let mut g = self.txn.open_table(CONSENT_GEN)?;
        let (generation, rewritten) = g.get(&record.0)?.map_or((0, 0), |v| v.value());
        let generation = generation + 1;
        let rewritten = if append { rewritten } else { generation };
        g.insert(&record.0, (generation, rewritten))?;
        Ok(())
    }

    /// Removes a record's consent entries from `index` on: what a grantee held of a branch
    /// of the patient's log that the patient's root replaced (a takeover after a restore).
    /// Returns how many were removed.
    pub fn drop_consent_from(&mut self, record: &RecordId, index: u64) -> Result<u64, StoreError> {
        let mut lo = [0u8; 40];
        lo[..32].copy_from_slice(&record.0);
        lo[32..].copy_from_slice(&index.to_be_bytes());
        let mut hi = [0xffu8; 40];
        hi[..32].copy_from_slice(&record.0);
        let mut t = self.txn.open_table(CONSENT)?;
        let keys: Vec<Vec<u8>> = t
            .range(&lo[..]..=&hi[..])?
            .map(|r| r.map(|(k, _)| k.value().to_vec()))
            .collect::<Result<_, _>>()?;
        for k in &keys {
            t.remove(&k[..])?;
        }
        drop(t);
        if !keys.is_empty() {
            self.bump_consent(record, false)?;
        }
        Ok(keys.len() as u64)
    }

    /// Keeps bytes `offset..` of an attachment `peer` was sending when the sync was cut
    /// (ciphertext, checked against its id only once whole). `offset` must be what is held
    /// of it (0 starts it again).
    pub fn put_partial(
        &mut self,
        id: &[u8; 32],
        peer: &PersonId,
        total: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let mut t = self.txn.open_table(PARTIAL_BLOBS)?;
        if offset == 0 {
            let (lo, hi) = (partial_key(id, 0), partial_key(id, u64::MAX));
            let keys: Vec<[u8; 40]> = t
                .range::<&[u8; 40]>(&lo..=&hi)?
                .map(|r| r.map(|(k, _)| *k.value()))
                .collect::<Result<_, _>>()?;
            for k in keys {
                t.remove(&k)?;
            }
        }
        let mut header = [0u8; 40];
        header[..32].copy_from_slice(&peer.0);
        header[32..].copy_from_slice(&total.to_be_bytes());
        t.insert(&partial_key(id, u64::MAX), &header[..])?;
        for (i, chunk) in bytes.chunks(BLOB_ROW).enumerate() {
            let at = offset + (i * BLOB_ROW) as u64;
            t.insert(&partial_key(id, at), chunk)?;
        }
        Ok(())
    }

    /// Takes (reads and removes) what is held of a cut attachment: its sender, size and
    /// first bytes.
    pub fn take_partial(
        &mut self,
        id: &[u8; 32],
    ) -> Result<Option<(PersonId, u64, Vec<u8>)>, StoreError> {
        let mut t = self.txn.open_table(PARTIAL_BLOBS)?;
        let mut rows: Vec<([u8; 40], Vec<u8>)> = Vec::new();
        let (lo, hi) = (partial_key(id, 0), partial_key(id, u64::MAX));
        for r in t.range::<&[u8; 40]>(&lo..=&hi)? {
            let (k, v) = r?;
            rows.push((*k.value(), v.value().to_vec()));
        }
        for (k, _) in &rows {
            t.remove(k)?;
        }
        let Some((_, header)) = rows.pop() else {
            return Ok(None);
        };
        if header.len() != 40 {
            return Ok(None);
        }
        let mut peer = [0u8; 32];
        peer.copy_from_slice(&header[..32]);
        let total = u64::from_be_bytes(header[32..].try_into().unwrap_or([0; 8]));
        let mut bytes = Vec::new();
        for (k, v) in rows {
            let at = u64::from_be_bytes(k[32..].try_into().unwrap_or([0; 8]));
            if at != bytes.len() as u64 {
                // Not contiguous: useless.
                return Ok(None);
            }
            bytes.extend_from_slice(&v);
        }
        Ok(Some((PersonId(peer), total, bytes)))
    }

    /// Stores a key grant: one per grantee, section, epoch and grant (two grants covering
    /// one section each keep their own, so the grantee learns what each grant covers).
    pub fn put_key_grant(
        &mut self,
        record: &RecordId,
        grantee: &PersonId,
        section: u8,
        epoch: u32,
        grant: &[u8; 8],
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let mut k = [0u8; 77];
        k[..32].copy_from_slice(&record.0);
        k[32..64].copy_from_slice(&grantee.0);
        k[64] = section;
        k[65..69].copy_from_slice(&epoch.to_be_bytes());
        k[69..].copy_from_slice(grant);
        self.txn.open_table(KEY_GRANTS)?.insert(&k[..], bytes)?;
        Ok(())
    }

    /// Makes every change of this transaction durable at once.
    pub fn commit(self) -> Result<(), StoreError> {
        self.txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod blob_tests {
    use super::*;
    use crate::Store;
    use carnet_crypto::secrecy::SecretString;

    fn store(dir: &std::path::Path) -> Store {
        let pass = SecretString::from("blob rows".to_string());
        Store::create(dir, &pass, MasterKey::MIN_LOG_N, |_| Ok(())).unwrap()
    }

    #[test]
    fn blobs_round_trip_in_rows_of_any_size() {
        let tmp = tempfile::tempdir().unwrap();
        let s = store(&tmp.path().join("v"));
        let sizes = [0, 1, BLOB_ROW - 1, BLOB_ROW, BLOB_ROW + 1, 3 * BLOB_ROW + 5];
        let blobs: Vec<([u8; 32], Vec<u8>)> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let bytes: Vec<u8> = (0..n).map(|j| (j * 7 + i) as u8).collect();
                ([i as u8 + 1; 32], bytes)
            })
            .collect();
        let mut txn = s.write().unwrap();
        for (id, b) in &blobs {
            txn.put_blob(id, b).unwrap();
        }
        // Storing the same blob again changes nothing.
        txn.put_blob(&blobs[5].0, &blobs[5].1).unwrap();
        txn.commit().unwrap();
        let r = s.read().unwrap();
        for (id, b) in &blobs {
            assert!(r.has_blob(id).unwrap());
            assert_eq!(r.blob(id).unwrap().as_ref(), Some(b), "{} bytes", b.len());
            assert_eq!(r.blob_len(id).unwrap(), Some(b.len() as u64));
            // Any window, across row boundaries, equals the same slice of the whole.
            for (offset, len) in [
                (0, 1),
                (0, BLOB_ROW),
                (1, BLOB_ROW),
                (BLOB_ROW - 3, 7),
                (BLOB_ROW, 2 * BLOB_ROW),
                (5, 3 * BLOB_ROW + 100),
                (b.len(), 10),
            ] {
                let start = offset.min(b.len());
                let end = (offset + len).min(b.len());
                assert_eq!(
                    r.blob_range(id, offset as u64, len).unwrap().as_deref(),
                    Some(&b[start..end]),
                    "{} bytes, {len} from {offset}",
                    b.len()
                );
            }
        }
        assert!(!r.has_blob(&[99; 32]).unwrap());
        assert_eq!(r.blob(&[99; 32]).unwrap(), None);
        assert_eq!(r.blob_len(&[99; 32]).unwrap(), None);
        assert_eq!(r.blob_range(&[99; 32], 0, 10).unwrap(), None);
    }

    #[test]
    fn a_blob_in_one_row_of_an_older_vault_still_reads() {
        let tmp = tempfile::tempdir().unwrap();
        let s = store(&tmp.path().join("v"));
        let w = s.db.begin_write().unwrap();
        w.open_table(BLOBS)
            .unwrap()
            .insert(&[5u8; 32], &b"legacy ciphertext"[..])
            .unwrap();
        w.commit().unwrap();
        let r = s.read().unwrap();
        assert!(r.has_blob(&[5; 32]).unwrap());
        assert_eq!(r.blob_len(&[5; 32]).unwrap(), Some(17));
        assert_eq!(
            r.blob_range(&[5; 32], 7, 6).unwrap().as_deref(),
            Some(&b"cipher"[..])
        );
        assert_eq!(
            r.blob(&[5; 32]).unwrap().as_deref(),
            Some(&b"legacy ciphertext"[..])
        );
    }
}
