//! Sync between devices of one person: every record and every section both ways, and the
//! vault state (contacts, grants, epoch keys, key grants, consent log, devices) from the
//! device that keeps the consent log to the others, never the other way, so that state
//! can never fork.

use std::collections::BTreeSet;

use carnet_crypto::{DeviceId, RecordId};
use carnet_record::SectionId;
use carnet_store::{DumpRow, DumpTable, WriteTxn};
use zeroize::Zeroizing;

use crate::error::ExchangeError;
use crate::exchange::SendReport;
use crate::wire::{Have, Item, RecordState};
use crate::{Error, Result, Vault};

/// Meta rows that belong to one device and never travel: its identity on the network,
/// its keys (the person's own key stays on the device that keeps the consent log; a
/// linked device has its own), its own settings, and what it alone saw.
fn device_local(table: DumpTable, key: &[u8]) -> bool {
    let name = String::from_utf8_lossy(key);
    match table {
        DumpTable::Meta => {
            ["format", "device", crate::keys::DEVICE_CERT].contains(&name.as_ref())
                || ["setting:", "taken:"].iter().any(|p| name.starts_with(p))
        }
        DumpTable::SecretMeta => {
            [
                "key_check",
                "endpoint",
                "attempts",
                "addresses",
                "person",
                crate::keys::DEVICE_KEY,
                crate::keys::LOG_KEY,
            ]
            .contains(&name.as_ref())
                || name.starts_with("peer:")
        }
        _ => false,
    }
}

fn is_state(table: DumpTable) -> bool {
    matches!(
        table,
        DumpTable::Meta
            | DumpTable::SecretMeta
            | DumpTable::EpochKeys
            | DumpTable::KeyGrants
            | DumpTable::Consent
    )
}

impl Vault {
    /// The rows of the state the primary keeps, for its other devices.
    fn own_state_rows(&self) -> Result<Vec<DumpRow>> {
        let mut rows = Vec::new();
        self.store.read()?.dump(&mut |row| {
            if is_state(row.table) && !device_local(row.table, &row.key) {
                rows.push(row);
            }
            Ok(())
        })?;
        Ok(rows)
    }

    /// A digest of that state: equal on two devices exactly when they hold the same.
    pub(crate) fn own_state_digest(&self) -> Result<[u8; 32]> {
        let mut h = blake3::Hasher::new_derive_key("carnet own state v1");
        for row in self.own_state_rows()? {
            h.update(&[row.table as u8]);
            h.update(&(row.key.len() as u64).to_le_bytes());
            h.update(&row.key);
            h.update(&(row.value.len() as u64).to_le_bytes());
            h.update(&row.value);
        }
        Ok(*h.finalize().as_bytes())
    }

    /// What this device holds, for another device of the same person: every record, every
    /// section, and the state digest.
    pub(crate) fn own_have(&self) -> Result<Have> {
        let mut records = self.store.read()?.records()?;
        if let Ok(mine) = self.own_record()
            && !records.contains(&mine)
        {
            records.push(mine);
        }
        let mut have = Have::default();
        for r in records {
            have.records
                .push((r, self.record_state(&r, &SectionId::ALL)?));
        }
        have.state = Some(self.own_state_digest()?);
        Ok(have)
    }

    /// Sends another device of the same person what it lacks: the state (if this device
    /// keeps it and theirs differs), then every envelope of every record.
    pub(crate) fn send_own(
        &self,
        theirs: &Have,
        sink: &mut dyn FnMut(Item) -> Result<()>,
        report: &mut SendReport,
    ) -> Result<()> {
        let digest = self.own_state_digest()?;
        if self.is_primary()? && theirs.state != Some(digest) && !report.state_sent {
            for row in self.own_state_rows()? {
                if row.table == DumpTable::Consent {
                    // Only the entries of our own log they lack; a grantee's entries whole.
                    let record = RecordId(
                        row.key
                            .get(..32)
                            .and_then(|k| k.try_into().ok())
                            .ok_or_else(|| Error::from(ExchangeError::MalformedRow))?,
                    );
                    let index = u64::from_be_bytes(
                        row.key
                            .get(32..40)
                            .and_then(|k| k.try_into().ok())
                            .ok_or_else(|| Error::from(ExchangeError::MalformedRow))?,
                    );
                    if self.own_record().ok() == Some(record)
                        && index < theirs.record(&record).consent
                    {
                        continue;
                    }
                }
                sink(Item::OwnRow {
                    table: row.table,
                    key: row.key.clone(),
                    value: row.value.to_vec(),
                })?;
            }
            report.state_sent = true;
        }
        let mut records = self.store.read()?.records()?;
        if let Ok(mine) = self.own_record()
            && !records.contains(&mine)
        {
            records.push(mine);
        }
        for record in records {
            if report.more {
                break;
            }
            let their = theirs.record(&record);
            let mut after = their.clone();
            let mut ranges = Vec::new();
            for s in SectionId::ALL {
                if report.more {
                    break;
                }
                self.send_envelopes(
                    &record,
                    s,
                    None,
                    &their,
                    &mut after,
                    sink,
                    report,
                    &mut ranges,
                )?;
            }
            match report
                .peer_after
                .records
                .iter_mut()
                .find(|(r, _)| *r == record)
            {
                Some((_, st)) => *st = after,
                None => report.peer_after.records.push((record, after)),
            }
        }
        Ok(())
    }

    /// The devices of this person that are registered and not removed.
    pub(crate) fn live_devices(&self) -> Result<BTreeSet<DeviceId>> {
        Ok(self
            .device_records()?
            .into_iter()
            .filter(|d| d.removed.is_none())
            .map(|d| d.device)
            .collect())
    }

    /// Applies a state row from the primary device. Consent entries of this person's own
    /// log must continue it: one that differs from what this device holds at the same
    /// position is refused (the caller verifies the whole log before committing).
    pub(crate) fn apply_own_row(
        &self,
        txn: &mut WriteTxn<'_>,
        table: DumpTable,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<bool> {
        if !is_state(table) {
            return Err(ExchangeError::UnexpectedRow.into());
        }
        if device_local(table, &key) {
            return Ok(false);
        }
        if table == DumpTable::Consent {
            let record = key
                .get(..32)
                .and_then(|k| <[u8; 32]>::try_from(k).ok())
                .map(RecordId)
                .ok_or_else(|| Error::from(ExchangeError::MalformedRow))?;
            let index = key
                .get(32..40)
                .and_then(|k| <[u8; 8]>::try_from(k).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| Error::from(ExchangeError::MalformedRow))?;
            let held = txn.consent_entries(&record)?;
            if self.own_record().ok() == Some(record) {
                if let Some(mine) = held.get(index as usize) {
                    if *mine != value {
                        return Err(ExchangeError::OwnLogsDiffer { index }.into());
                    }
                    return Ok(false);
                }
                if index as usize != held.len() {
                    return Err(ExchangeError::OwnLogOutOfOrder {
                        index,
                        held: held.len() as u64,
                    }
                    .into());
                }
            }
        }
        let row = DumpRow {
            table,
            key,
            value: Zeroizing::new(value),
        };
        txn.restore_row(&row)?;
        Ok(true)
    }
}

impl RecordState {
    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty() && self.consent == 0 && self.keys.is_empty()
    }
}
