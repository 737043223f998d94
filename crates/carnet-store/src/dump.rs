//! A vault's logical content, row by row, for backups and for linking a second device:
//! sealed values leave opened (the caller seals the whole dump again, to a recovery key or
//! over an authenticated channel) and come back sealed under the new vault's master key.
//! Snapshots are caches and are left out: the restored vault rebuilds them.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::tables::{
    ACTORS, BLOB_PARTS, BLOBS, CHAIN_INDEX, CHAINS, CONSENT, ENVELOPE_BLOBS, ENVELOPE_PARTS,
    ENVELOPES, EPOCH_KEYS, KEY_GRANTS, META, aad,
};
use crate::{ReadTxn, StoreError, WriteTxn};

/// Which table a row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DumpTable {
    /// `meta`, plain value.
    Meta,
    /// `meta`, sealed value (given opened; the name without its `!`).
    SecretMeta,
    /// `envelopes`.
    Envelopes,
    /// `chains`.
    Chains,
    /// `chain_index`.
    ChainIndex,
    /// `epoch_keys` (given opened).
    EpochKeys,
    /// `blobs`.
    Blobs,
    /// `actors`.
    Actors,
    /// `consent`.
    Consent,
    /// `key_grants`.
    KeyGrants,
    /// `envelope_blobs`.
    EnvelopeBlobs,
    /// `blob_parts`: an attachment's ciphertext in rows of [`crate::BLOB_ROW`] bytes.
    BlobParts,
    /// `envelope_parts`: an envelope larger than a page, in rows of one page.
    EnvelopeParts,
}

/// One row of a dump. The value may be a secret: zeroized when dropped.
pub struct DumpRow {
    /// Its table.
    pub table: DumpTable,
    /// Its key.
    pub key: Vec<u8>,
    /// Its value, opened if it was sealed.
    pub value: Zeroizing<Vec<u8>>,
}

impl ReadTxn<'_> {
    /// How many rows [`ReadTxn::dump`] hands out in this transaction (for progress: each
    /// table's length, read from redb's metadata, not by walking it).
    pub fn dump_len(&self) -> Result<u64, StoreError> {
        use redb::ReadableTableMetadata;
        let mut n = 0;
        if let Some(t) = self.open(META)? {
            n += t.len()?;
        }
        if let Some(t) = self.open(EPOCH_KEYS)? {
            n += t.len()?;
        }
        macro_rules! count {
            ($($def:expr),*) => {
                $(if let Some(t) = self.open($def)? {
                    n += t.len()?;
                })*
            };
        }
        count!(
            ACTORS,
            CONSENT,
            KEY_GRANTS,
            BLOBS,
            BLOB_PARTS,
            ENVELOPE_PARTS,
            ENVELOPES,
            CHAINS,
            CHAIN_INDEX,
            ENVELOPE_BLOBS
        );
        Ok(n)
    }

    /// Every row of the vault, in table order, to `sink`. Returns the number of rows.
    pub fn dump(
        &self,
        sink: &mut dyn FnMut(DumpRow) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let mut n = 0u64;
        if let Some(t) = self.open(META)? {
            for row in t.iter()? {
                let (k, v) = row?;
                let name = k.value();
                let (table, key, value) = match name.strip_suffix('!') {
                    Some(secret) => (
                        DumpTable::SecretMeta,
                        secret.as_bytes().to_vec(),
                        self.master
                            .open(&aad("meta", name.as_bytes()), v.value())
                            .map_err(crate::tables::damaged("vault secret"))?,
                    ),
                    None => (
                        DumpTable::Meta,
                        name.as_bytes().to_vec(),
                        Zeroizing::new(v.value().to_vec()),
                    ),
                };
                sink(DumpRow { table, key, value })?;
                n += 1;
            }
        }
        if let Some(t) = self.open(EPOCH_KEYS)? {
            for row in t.iter()? {
                let (k, v) = row?;
                let value = self
                    .master
                    .open(&aad("epoch_keys", k.value()), v.value())
                    .map_err(crate::tables::damaged("epoch key"))?;
                sink(DumpRow {
                    table: DumpTable::EpochKeys,
                    key: k.value().to_vec(),
                    value,
                })?;
                n += 1;
            }
        }
        macro_rules! plain {
            ($def:expr, $table:expr) => {
                if let Some(t) = self.open($def)? {
                    for row in t.iter()? {
                        let (k, v) = row?;
                        let key: &[u8] = k.value().as_ref();
                        let value: &[u8] = v.value().as_ref();
                        sink(DumpRow {
                            table: $table,
                            key: key.to_vec(),
                            value: Zeroizing::new(value.to_vec()),
                        })?;
                        n += 1;
                    }
                }
            };
        }
        plain!(ACTORS, DumpTable::Actors);
        plain!(CONSENT, DumpTable::Consent);
        plain!(KEY_GRANTS, DumpTable::KeyGrants);
        plain!(BLOBS, DumpTable::Blobs);
        plain!(BLOB_PARTS, DumpTable::BlobParts);
        plain!(ENVELOPE_PARTS, DumpTable::EnvelopeParts);
        plain!(ENVELOPES, DumpTable::Envelopes);
        plain!(CHAINS, DumpTable::Chains);
        plain!(CHAIN_INDEX, DumpTable::ChainIndex);
        plain!(ENVELOPE_BLOBS, DumpTable::EnvelopeBlobs);
        Ok(n)
    }
}

fn key32(key: &[u8], what: &str) -> Result<[u8; 32], StoreError> {
    key.try_into()
        .map_err(|_| StoreError::Database(format!("a {what} row has the wrong key length")))
}

impl WriteTxn<'_> {
    /// Writes one row of a dump, sealing what must be sealed with this vault's master key.
    /// The caller verifies the content (envelopes, consent entries) once all rows are in.
    pub fn restore_row(&mut self, row: &DumpRow) -> Result<(), StoreError> {
        let v: &[u8] = &row.value;
        match row.table {
            DumpTable::Meta => {
                let name = std::str::from_utf8(&row.key)
                    .map_err(|_| StoreError::Database("a meta name is not UTF-8".into()))?;
                self.put_meta(name, v)
            }
            DumpTable::SecretMeta => {
                let name = std::str::from_utf8(&row.key)
                    .map_err(|_| StoreError::Database("a meta name is not UTF-8".into()))?;
                self.put_secret_meta(name, v)
            }
            DumpTable::EpochKeys => {
                if row.key.len() != 37 {
                    return Err(StoreError::Database(
                        "an epoch key row has the wrong key length".into(),
                    ));
                }
                let sealed = self.master.seal(&aad("epoch_keys", &row.key), v)?;
                self.txn
                    .open_table(EPOCH_KEYS)?
                    .insert(&row.key[..], sealed.as_slice())?;
                Ok(())
            }
            DumpTable::Envelopes => {
                self.txn
                    .open_table(ENVELOPES)?
                    .insert(&key32(&row.key, "envelope")?, v)?;
                Ok(())
            }
            DumpTable::Blobs => {
                self.txn
                    .open_table(BLOBS)?
                    .insert(&key32(&row.key, "attachment")?, v)?;
                Ok(())
            }
            DumpTable::BlobParts => {
                let k: [u8; 36] = row.key.as_slice().try_into().map_err(|_| {
                    StoreError::Database("an attachment part row has the wrong key length".into())
                })?;
                self.txn.open_table(BLOB_PARTS)?.insert(&k, v)?;
                Ok(())
            }
            DumpTable::EnvelopeParts => {
                let k: [u8; 36] = row.key.as_slice().try_into().map_err(|_| {
                    StoreError::Database("an envelope part row has the wrong key length".into())
                })?;
                self.txn.open_table(ENVELOPE_PARTS)?.insert(&k, v)?;
                Ok(())
            }
            DumpTable::EnvelopeBlobs => {
                self.txn
                    .open_table(ENVELOPE_BLOBS)?
                    .insert(&key32(&row.key, "envelope attachment")?, v)?;
                Ok(())
            }
            DumpTable::Actors => {
                let k: [u8; 16] = row.key.as_slice().try_into().map_err(|_| {
                    StoreError::Database("an actor row has the wrong key length".into())
                })?;
                self.txn.open_table(ACTORS)?.insert(&k, v)?;
                Ok(())
            }
            DumpTable::ChainIndex => {
                let id = key32(v, "chain index")?;
                self.txn
                    .open_table(CHAIN_INDEX)?
                    .insert(&row.key[..], &id)?;
                Ok(())
            }
            DumpTable::Chains => {
                self.txn.open_table(CHAINS)?.insert(&row.key[..], v)?;
                Ok(())
            }
            DumpTable::Consent => {
                self.txn.open_table(CONSENT)?.insert(&row.key[..], v)?;
                Ok(())
            }
            DumpTable::KeyGrants => {
                self.txn.open_table(KEY_GRANTS)?.insert(&row.key[..], v)?;
                Ok(())
            }
        }
    }
}
