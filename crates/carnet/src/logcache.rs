//! What a vault keeps in memory of the consent logs it reads again and again: each entry
//! of a log is decoded and checked once, not once per batch of a sync (a sync logs a
//! delivery after every batch, and a clinician's receiving side checked the patient's
//! whole log again for each: thousands of signatures a batch).
//!
//! A cached reading is keyed by the log's rows as stored, hashed in order, so any change
//! by this process or another one sharing the vault (a row added, replaced or removed, a
//! branch dropped) is seen: the rows are read and hashed on every use (a copy and a hash
//! of a megabyte or two, against a signature check per entry).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use carnet_crypto::RecordId;

/// A log's rows when a reading of them was made: their number and their hash, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    count: usize,
    hash: [u8; 32],
}

/// How the rows held now relate to those a cached reading was made of.
pub(crate) enum Rows {
    /// The same rows: the reading holds.
    Same,
    /// The same rows first, then these: the reading goes on with them.
    Appended(Vec<Vec<u8>>),
    /// Anything else (no reading, a row replaced or removed): read them all.
    All(Vec<Vec<u8>>),
}

/// Compares `rows` (a record's consent rows in index order) with a reading's stamp.
pub(crate) fn compare(rows: Vec<Vec<u8>>, cached: Option<Stamp>) -> (Stamp, Rows) {
    let mut h = blake3::Hasher::new();
    let mut prefix = None;
    for (i, row) in rows.iter().enumerate() {
        if cached.is_some_and(|c| c.count == i) {
            prefix = Some(*h.clone().finalize().as_bytes());
        }
        h.update(&(row.len() as u64).to_le_bytes());
        h.update(row);
    }
    let stamp = Stamp {
        count: rows.len(),
        hash: *h.finalize().as_bytes(),
    };
    let verdict = match cached {
        Some(c) if c == stamp => Rows::Same,
        Some(c) if c.count < rows.len() && prefix == Some(c.hash) => {
            let mut rows = rows;
            Rows::Appended(rows.split_off(c.count))
        }
        _ => Rows::All(rows),
    };
    (stamp, verdict)
}

/// Readings of logs by record, each with the stamp of the rows it was made of (and, for
/// views, the checkpoint it was checked against).
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
    /// The reading of `record`'s `rows`: the cached one if the rows are the same, the
    /// cached one continued with `more` if rows were only added, else `fresh` of them all.
    pub(crate) fn get<E>(
        &self,
        record: &RecordId,
        rows: Vec<Vec<u8>>,
        same: impl FnOnce(Arc<T>) -> Result<Arc<T>, E>,
        more: impl FnOnce(T, Vec<Vec<u8>>) -> Result<T, E>,
        fresh: impl FnOnce(Vec<Vec<u8>>) -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let cached = self
            .map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(record)
            .cloned();
        let (stamp, verdict) = compare(rows, cached.as_ref().map(|(s, _)| *s));
        let value = match (verdict, cached) {
            (Rows::Same, Some((_, v))) => same(v)?,
            (Rows::Appended(rows), Some((_, v))) => Arc::new(more((*v).clone(), rows)?),
            (Rows::All(rows), _) => Arc::new(fresh(rows)?),
            (Rows::Same | Rows::Appended(_), None) => unreachable!("compared with no stamp"),
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

    fn rows(n: u8) -> Vec<Vec<u8>> {
        (0..n).map(|i| vec![i; 3]).collect()
    }

    #[test]
    fn rows_are_the_same_appended_or_read_again() {
        let (s, v) = compare(rows(3), None);
        assert!(matches!(v, Rows::All(r) if r.len() == 3));
        let (s2, v) = compare(rows(3), Some(s));
        assert_eq!(s2, s);
        assert!(matches!(v, Rows::Same));
        let (_, v) = compare(rows(5), Some(s));
        assert!(matches!(v, Rows::Appended(r) if r == vec![vec![3u8; 3], vec![4u8; 3]]));
        // A row replaced before the end, with more rows after: read again whole.
        let mut changed = rows(5);
        changed[1] = vec![9, 9, 9];
        assert!(matches!(compare(changed, Some(s)).1, Rows::All(_)));
        // The same number of rows, the last replaced (another branch): read again.
        let mut other = rows(3);
        other[2] = vec![7];
        assert!(matches!(compare(other, Some(s)).1, Rows::All(_)));
        // Fewer rows (a branch dropped): read again.
        assert!(matches!(compare(rows(2), Some(s)).1, Rows::All(_)));
        // Rows whose bytes move across a boundary do not hash the same.
        let (a, _) = compare(vec![vec![1, 2], vec![3]], None);
        let (b, _) = compare(vec![vec![1], vec![2, 3]], None);
        assert_ne!(a, b);
    }
}
