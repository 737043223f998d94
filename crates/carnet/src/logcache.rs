//! What a vault keeps in memory of the consent logs it reads again and again: each entry
//! of a log is decoded and checked once, not once per envelope or per batch of a sync (a
//! sync logs a delivery after every batch, and a clinician's receiving side checked the
//! patient's whole log again for each envelope: thousands of signatures each time).
//!
//! A reading is kept with the stamp of the rows it was made of: the generation the store
//! bumps with every change of a record's rows, and the last row. Each use compares it with
//! the store's (two lookups, whatever the log's length), so a change by this process or by
//! another one sharing the vault is seen: the same rows give the reading as kept; rows only
//! added give the reading continued with them; anything else (a row replaced or removed, a
//! branch dropped) gives a reading of the whole again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use carnet_crypto::RecordId;

use crate::Result;
use crate::devices::ChainReads;

/// A log's rows when a reading of them was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    generation: u64,
    /// The last row's index and the hash of its bytes.
    last: Option<(u64, [u8; 32])>,
}

/// How the rows held now relate to those a kept reading was made of.
enum Rows {
    /// The same rows: the reading holds.
    Same,
    /// The same rows first, then these: the reading goes on with them.
    Appended(Vec<Vec<u8>>),
    /// Anything else: all of them, to read again.
    All(Vec<Vec<u8>>),
}

fn stamp_of(reads: &dyn ChainReads, record: &RecordId) -> Result<(Stamp, u64)> {
    let s = reads.consent_stamp(record)?;
    Ok((
        Stamp {
            generation: s.generation,
            last: s.last.map(|(i, b)| (i, *blake3::hash(&b).as_bytes())),
        },
        s.rewritten,
    ))
}

fn compare(
    reads: &dyn ChainReads,
    record: &RecordId,
    kept: Option<Stamp>,
) -> Result<(Stamp, Rows)> {
    let (now, rewritten) = stamp_of(reads, record)?;
    let rows = match kept {
        Some(k) if k == now => Rows::Same,
        // Nothing but appends since the reading, and its last row still there as it was
        // (a vault written by a build that keeps no generations changes none).
        Some(Stamp {
            generation,
            last: Some((index, hash)),
        }) if rewritten <= generation
            && generation <= now.generation
            && reads
                .consent_entry(record, index)?
                .is_some_and(|b| *blake3::hash(&b).as_bytes() == hash) =>
        {
            Rows::Appended(reads.consent_entries_from(record, index + 1)?)
        }
        _ => Rows::All(reads.consent_entries(record)?),
    };
    Ok((now, rows))
}

/// Readings of logs by record, each with the stamp of the rows it was made of.
pub(crate) struct Cache<T> {
    map: Mutex<HashMap<RecordId, (Stamp, Arc<T>)>>,
}

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache {
            map: Mutex::default(),
        }
    }
}

impl<T: Clone> Cache<T> {
    /// The reading of `record`'s rows as `reads` holds them: `same` of the kept one if the
    /// rows are the same, `more` of it with the rows added since if rows were only added,
    /// else `fresh` of them all.
    pub(crate) fn get(
        &self,
        record: &RecordId,
        reads: &dyn ChainReads,
        same: impl FnOnce(Arc<T>) -> Result<Arc<T>>,
        more: impl FnOnce(T, Vec<Vec<u8>>) -> Result<T>,
        fresh: impl FnOnce(Vec<Vec<u8>>) -> Result<T>,
    ) -> Result<Arc<T>> {
        let kept = self
            .map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(record)
            .cloned();
        let (stamp, rows) = compare(reads, record, kept.as_ref().map(|(s, _)| *s))?;
        let value = match (rows, kept) {
            (Rows::Same, Some((_, v))) => same(v)?,
            (Rows::Appended(rows), Some((_, v))) => Arc::new(more((*v).clone(), rows)?),
            (Rows::All(rows), _) => Arc::new(fresh(rows)?),
            (Rows::Same | Rows::Appended(_), None) => {
                Arc::new(fresh(reads.consent_entries(record)?)?)
            }
        };
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(*record, (stamp, value.clone()));
        Ok(value)
    }

    /// Forgets every reading (the vault's keys changed).
    pub(crate) fn clear(&self) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CreateOptions, Vault};
    use carnet_crypto::secrecy::SecretString;
    use carnet_crypto::{MasterKey, Role};

    /// A kept reading (here: the rows themselves) always equals a reading of the rows the
    /// real store holds, whatever happened to them between two uses.
    #[test]
    fn a_kept_reading_always_equals_the_rows_held() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = CreateOptions {
            name: "Alice".into(),
            role: Role::Patient,
            kdf_log_n: MasterKey::MIN_LOG_N,
        };
        let v = Vault::create(
            &tmp.path().join("v"),
            &SecretString::from("p".to_string()),
            &opts,
        )
        .unwrap()
        .vault;
        let record = RecordId([3; 32]);
        let cache: Cache<Vec<Vec<u8>>> = Cache::default();
        let freshes = std::cell::Cell::new(0);
        let check = |what: &str| {
            let r = v.store.read().unwrap();
            let got = cache
                .get(
                    &record,
                    &r,
                    Ok,
                    |mut kept, more| {
                        kept.extend(more);
                        Ok(kept)
                    },
                    |all| {
                        freshes.set(freshes.get() + 1);
                        Ok(all)
                    },
                )
                .unwrap();
            assert_eq!(*got, r.consent_entries(&record).unwrap(), "{what}");
        };
        let put = |i: u64, b: &[u8]| {
            let mut t = v.store.write().unwrap();
            t.put_consent(&record, i, b).unwrap();
            t.commit().unwrap();
        };
        check("empty");
        for i in 0..4 {
            put(i, &[i as u8]);
        }
        check("appended to an empty log");
        let read = freshes.get();
        check("the same");
        put(4, b"e");
        put(5, b"f");
        check("appended");
        assert_eq!(freshes.get(), read, "appends continue the kept reading");
        // A row in a gap below the last (a grantee given an older entry), then one more.
        put(8, b"h");
        check("appended across a gap");
        put(7, b"g");
        put(9, b"i");
        check("a row added below the last, then an append");
        put(2, b"changed");
        put(10, b"j");
        check("a row replaced, then an append");
        let mut t = v.store.write().unwrap();
        t.drop_consent_from(&record, 9).unwrap();
        t.commit().unwrap();
        put(9, b"other");
        check("a branch dropped and another of the same length");
        assert!(freshes.get() > read);
    }
}
