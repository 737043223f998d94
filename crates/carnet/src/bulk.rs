//! Bulk imports: many entries, attachments and device readings committed as a handful of
//! envelopes in one transaction, idempotently.
//!
//! Why a separate path from [`Vault::add`]: one envelope per entry would make a FHIR
//! bundle of 2,000 resources 2,000 signatures and fsyncs, and a year of glucose readings
//! 105,120. Here each section's new entries go into one Automerge change per batch (a
//! batch stays far below the 16 MiB envelope cap), every batch of every section is sealed
//! into the same redb transaction, and a fresh snapshot of each touched section is written
//! with it. A crash leaves all of it or none of it.
//!
//! Idempotence: an entry equal to one already in the record (documents: same title, type,
//! date, size and media type) is not added again, counted as a multiset so a bundle with two
//! identical observations keeps both; a reading is not added again when a series of the
//! same kind and source already has a reading at that instant.

use std::collections::{BTreeMap, HashMap, HashSet};

use carnet_crypto::MAX_ENVELOPE_BYTES;
use carnet_crypto::{
    ContentKey, DeviceId, ENVELOPE_VERSION, Envelope, EnvelopeHeader, PersonSecret, RecordId,
    seal_blob,
};
use carnet_record::{
    BlobRef, ChangeSet, Code, DateTime, Document, Entry, EntryId, ReadingSet, SectionId,
};
use carnet_store::WriteTxn;
use serde::Serialize;

use crate::vault::AttachmentInput;
use crate::{Error, Result, Vault};

/// The plaintext budget of one envelope of a bulk import: a quarter of the envelope cap,
/// so an Automerge change that encodes larger than its entries' JSON still fits.
pub const BULK_BATCH_BYTES: usize = MAX_ENVELOPE_BYTES / 4;

/// One thing a bulk import adds.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ImportItem {
    /// An ordinary entry.
    Entry(Entry),
    /// A file, stored as an encrypted attachment with its document entry.
    Document {
        /// What the document is.
        input: AttachmentInput,
        /// The file.
        bytes: Vec<u8>,
    },
    /// Device readings, packed into day blocks of a series.
    Readings(ReadingSet),
}

/// An item and the name it is counted under (a FHIR resource type, a reading kind).
#[derive(Clone, Debug)]
pub struct LabeledItem {
    /// What it is counted as.
    pub label: String,
    /// What to add.
    pub item: ImportItem,
}

/// What a bulk import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BulkReport {
    /// Items added, by label (readings count one each).
    pub added: BTreeMap<String, usize>,
    /// Items already in the record, by label: not added again.
    pub already_present: BTreeMap<String, usize>,
    /// Readings dropped because the same input held another reading of the same kind,
    /// source and time, by label.
    pub repeated: BTreeMap<String, usize>,
    /// Envelopes written.
    pub envelopes: usize,
    /// Series blocks written.
    pub blocks: usize,
}

/// LOINC of systolic blood pressure.
const SYSTOLIC: &str = "8480-6";
/// LOINC of diastolic blood pressure.
const DIASTOLIC: &str = "8462-4";

/// One reading of a measurement series, from a block or an ordinary entry.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesPoint {
    /// When.
    pub at: DateTime,
    /// The value (the first component for a panel such as blood pressure).
    pub value: f64,
    /// The second component (diastolic pressure), if any.
    pub second: Option<f64>,
    /// UCUM unit.
    pub unit: String,
    /// LOINC code of what was measured.
    pub code: String,
    /// Whether it comes from a device series (a block) rather than a single entry.
    pub dense: bool,
}

fn dedup_key(entry: &Entry) -> Option<String> {
    match entry {
        Entry::Series(_) | Entry::Profile(_) => None,
        Entry::Document(d) => Some(format!(
            "document\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{:?}",
            d.title, d.doc_type, d.date, d.blob.size, d.blob.media_type, d.blob.file_name
        )),
        // Debug shows every field, floats exactly: equal text, equal entry.
        other => Some(format!("{other:?}")),
    }
}

fn series_key(kind: &Code, source: &Option<String>) -> (String, String, String) {
    (
        kind.system.clone(),
        kind.code.clone(),
        source.clone().unwrap_or_default(),
    )
}

fn entry_weight(entry: &Entry) -> usize {
    match entry {
        Entry::Series(s) => 256 + s.data.len() * 4,
        Entry::Document(d) => 512 + d.title.len(),
        other => format!("{other:?}").len() * 2,
    }
}

impl Vault {
    /// Adds many items to `record` in one transaction (see the module docs): entries
    /// already present are skipped, readings are packed into series blocks, every section's
    /// additions travel as a few envelopes. `progress(done, total)` follows the sealing.
    /// All or nothing: on any error nothing is stored.
    pub fn import(
        &mut self,
        record: &RecordId,
        items: Vec<LabeledItem>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<BulkReport> {
        let touched: Vec<SectionId> = {
            let mut s: Vec<SectionId> = items
                .iter()
                .map(|i| match &i.item {
                    ImportItem::Entry(e) => e.section(),
                    ImportItem::Document { .. } => SectionId::Documents,
                    ImportItem::Readings(_) => SectionId::Measurements,
                })
                .collect();
            s.sort();
            s.dedup();
            s
        };
        for s in &touched {
            self.check_write(record, *s)?;
        }
        let result = self.import_inner(record, &touched, items, progress);
        if result.is_err() {
            for s in &touched {
                // The documents may hold uncommitted inserts: reload them next time.
                self.loaded.remove(&(*record, *s));
            }
        }
        result
    }

    fn import_inner(
        &mut self,
        record: &RecordId,
        touched: &[SectionId],
        items: Vec<LabeledItem>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<BulkReport> {
        let mut report = BulkReport::default();
        // Everything below happens inside one write transaction, on the sections as stored
        // when it began: no other writer can commit in between (see `SectionSource`).
        let mine = self.mine();
        let mut txn = self.store.write()?;
        for s in touched {
            let loaded = crate::vault::fresh(&mut self.loaded, &txn, record, *s, mine)?;
            crate::vault::reissue_into(&self.me, self.device, &mut txn, record, *s, loaded)?;
        }
        let no_key = |section| Error::NoKey {
            section,
            record: record.short(),
        };
        // What the record holds already.
        let mut have: HashMap<String, usize> = HashMap::new();
        let mut times: HashMap<(String, String, String), HashSet<i64>> = HashMap::new();
        let mut profile = None;
        for s in touched {
            let loaded = self.loaded.get(&(*record, *s)).ok_or_else(|| no_key(*s))?;
            for e in loaded.doc.entries()? {
                match &e.entry {
                    Entry::Series(ser) => times
                        .entry(series_key(&ser.kind, &ser.source))
                        .or_default()
                        .extend(ser.data.times()),
                    Entry::Profile(p) => profile = Some((e.id.clone(), p.clone())),
                    other => {
                        if let Some(k) = dedup_key(other) {
                            *have.entry(k).or_default() += 1;
                        }
                    }
                }
            }
        }
        let mut new: BTreeMap<SectionId, Vec<Entry>> = BTreeMap::new();
        let mut blobs: Vec<([u8; 32], Vec<u8>)> = Vec::new();
        let mut profile_update: Option<(EntryId, Entry)> = None;
        let bump = |m: &mut BTreeMap<String, usize>, label: &str, n: usize| {
            if n > 0 {
                *m.entry(label.to_string()).or_default() += n;
            }
        };
        for LabeledItem { label, item } in items {
            let entry = match item {
                ImportItem::Entry(Entry::Profile(p)) => {
                    match &profile {
                        None => {
                            profile = Some((EntryId::random(), p.clone()));
                            new.entry(SectionId::Profile)
                                .or_default()
                                .push(Entry::Profile(p));
                            bump(&mut report.added, &label, 1);
                        }
                        Some((id, current)) => {
                            // Fill in what the profile lacks; never overwrite what the
                            // patient wrote.
                            let mut merged = current.clone();
                            merged.birth_date = merged.birth_date.or(p.birth_date);
                            merged.sex = merged.sex.or(p.sex);
                            merged.blood_group = merged.blood_group.or(p.blood_group);
                            merged.emergency_contact =
                                merged.emergency_contact.or(p.emergency_contact);
                            merged.advance_directives =
                                merged.advance_directives.or(p.advance_directives);
                            if merged != *current {
                                profile_update = Some((id.clone(), Entry::Profile(merged.clone())));
                                profile = Some((id.clone(), merged));
                                bump(&mut report.added, &label, 1);
                            } else {
                                bump(&mut report.already_present, &label, 1);
                            }
                        }
                    }
                    continue;
                }
                ImportItem::Entry(e) => e,
                ImportItem::Document { input, bytes } => {
                    if bytes.len() as u64 > crate::MAX_ATTACHMENT {
                        return Err(Error::AttachmentTooLarge {
                            size: bytes.len() as u64,
                            max: crate::MAX_ATTACHMENT,
                        });
                    }
                    let mut doc = Document {
                        title: input.title,
                        doc_type: input.doc_type,
                        date: input.date,
                        blob: BlobRef {
                            id: String::new(),
                            key: String::new(),
                            size: bytes.len() as u64,
                            media_type: input.media_type,
                            file_name: input.file_name,
                            sha1: None,
                        },
                    };
                    let key = dedup_key(&Entry::Document(doc.clone())).unwrap_or_default();
                    if let Some(n) = have.get_mut(&key).filter(|n| **n > 0) {
                        *n -= 1;
                        bump(&mut report.already_present, &label, 1);
                        continue;
                    }
                    let content_key = ContentKey::generate()?;
                    let sealed = seal_blob(&content_key, &bytes)?;
                    let blob_id = *blake3::hash(&sealed).as_bytes();
                    doc.blob.id = data_encoding::HEXLOWER.encode(&blob_id);
                    doc.blob.key = data_encoding::HEXLOWER.encode(content_key.expose());
                    blobs.push((blob_id, sealed));
                    new.entry(SectionId::Documents)
                        .or_default()
                        .push(Entry::Document(doc));
                    bump(&mut report.added, &label, 1);
                    continue;
                }
                ImportItem::Readings(set) => {
                    let key = series_key(&set.kind, &set.source);
                    let known = times.entry(key).or_default();
                    let total = set.readings.len();
                    let packed = set.pack(known)?;
                    bump(&mut report.already_present, &label, packed.duplicates);
                    bump(&mut report.repeated, &label, packed.repeated);
                    bump(
                        &mut report.added,
                        &label,
                        total - packed.duplicates - packed.repeated,
                    );
                    for b in packed.blocks {
                        known.extend(b.data.times());
                        report.blocks += 1;
                        new.entry(SectionId::Measurements)
                            .or_default()
                            .push(Entry::Series(b));
                    }
                    continue;
                }
            };
            entry.validate()?;
            if let Some(k) = dedup_key(&entry)
                && let Some(n) = have.get_mut(&k).filter(|n| **n > 0)
            {
                *n -= 1;
                bump(&mut report.already_present, &label, 1);
                continue;
            }
            bump(&mut report.added, &label, 1);
            new.entry(entry.section()).or_default().push(entry);
        }

        // Build every section's changes in memory, in batches under the envelope budget.
        // Each change set comes with the attachment blobs its entries reference: they are
        // linked to its envelope, and travel with it to peers.
        let mut changes: Vec<(SectionId, ChangeSet, Vec<[u8; 32]>)> = Vec::new();
        if let Some((id, entry)) = &profile_update {
            let c = self
                .loaded
                .get_mut(&(*record, SectionId::Profile))
                .ok_or_else(|| no_key(SectionId::Profile))?
                .doc
                .update(id, entry)?;
            changes.push((SectionId::Profile, c, Vec::new()));
        }
        for (section, entries) in &new {
            let mut start = 0;
            while start < entries.len() {
                let mut end = start;
                let mut weight = 0;
                while end < entries.len() && (end == start || weight < BULK_BATCH_BYTES) {
                    weight += entry_weight(&entries[end]);
                    end += 1;
                }
                let (_, c) = self
                    .loaded
                    .get_mut(&(*record, *section))
                    .ok_or_else(|| no_key(*section))?
                    .doc
                    .insert_many(&entries[start..end])?;
                let linked = entries[start..end]
                    .iter()
                    .filter_map(|e| match e {
                        Entry::Document(d) => data_encoding::HEXLOWER
                            .decode(d.blob.id.as_bytes())
                            .ok()
                            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
                        _ => None,
                    })
                    .collect();
                changes.push((*section, c, linked));
                start = end;
            }
        }
        if changes.is_empty() {
            // A re-issue of set-aside changes, if any, still lands.
            txn.commit()?;
            return Ok(report);
        }
        let total = changes.len();
        for (i, (section, c, linked)) in changes.iter().enumerate() {
            progress(i, total);
            let (seq, env_id) = seal_into(&self.me, self.device, &mut txn, record, *section, c)?;
            txn.put_envelope_blobs(&env_id, linked)?;
            if let Some(loaded) = self.loaded.get_mut(&(*record, *section)) {
                loaded
                    .covered
                    .insert((self.me.person_id(), self.device), seq);
            }
            report.envelopes += 1;
        }
        for (id, sealed) in &blobs {
            txn.put_blob(id, sealed)?;
        }
        let mut sections: Vec<SectionId> = changes.iter().map(|(s, _, _)| *s).collect();
        sections.dedup();
        for s in sections {
            // A bulk import is a good moment for a snapshot: the next open replays nothing.
            if let Some(loaded) = self.loaded.get_mut(&(*record, s)) {
                Self::write_snapshot(&mut txn, record, s, loaded)?;
            }
        }
        txn.commit()?;
        progress(total, total);
        Ok(report)
    }

    /// Every reading whose LOINC code is in `codes`, from series blocks and ordinary
    /// measurements, oldest first: what charts and exports read.
    pub fn readings(&mut self, record: &RecordId, codes: &[&str]) -> Result<Vec<SeriesPoint>> {
        let mut out = Vec::new();
        let wanted = |c: &Code| {
            c.system == carnet_record::systems::LOINC && codes.contains(&c.code.as_str())
        };
        for e in self.load(record, SectionId::Measurements)?.doc.entries()? {
            match e.entry {
                Entry::Series(s) if wanted(&s.kind) => {
                    for (t, v) in s.data.readings() {
                        out.push(SeriesPoint {
                            at: s.data.datetime(t),
                            value: v,
                            second: None,
                            unit: s.unit.clone(),
                            code: s.kind.code.clone(),
                            dense: true,
                        });
                    }
                }
                Entry::Measurement(m) if wanted(&m.kind) => {
                    // Panels by their parts' codes, whatever their order: systolic first.
                    let part = |code: &str| {
                        m.components
                            .iter()
                            .find(|c| c.code.code == code)
                            .map(|c| c.value)
                    };
                    let (value, second) = match (m.value, part(SYSTOLIC), part(DIASTOLIC)) {
                        (Some(v), _, _) => (v, None),
                        (None, Some(s), d) => (s, d),
                        (None, None, _) => match m.components.first() {
                            Some(c) => (c.value, None),
                            None => continue,
                        },
                    };
                    out.push(SeriesPoint {
                        at: m.at,
                        value,
                        second,
                        unit: m.unit,
                        code: m.kind.code,
                        dense: false,
                    });
                }
                _ => {}
            }
        }
        out.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(out)
    }
}

/// Seals one change set as the next envelope of `device`'s chain in `section`, in `txn`;
/// returns its sequence number and id. Every local write goes through here.
pub(crate) fn seal_into(
    me: &PersonSecret,
    device: DeviceId,
    txn: &mut WriteTxn<'_>,
    record: &RecordId,
    section: SectionId,
    changes: &ChangeSet,
) -> Result<(u64, carnet_crypto::EnvelopeId)> {
    let author = me.person_id();
    let no_key = || Error::NoKey {
        section,
        record: record.short(),
    };
    let plaintext = changes.to_bytes();
    let epoch = txn
        .latest_epoch(record, section.code())?
        .ok_or_else(no_key)?;
    let key = txn
        .epoch_key(record, section.code(), epoch)?
        .ok_or_else(no_key)?;
    let head = txn.chain_head(record, section.code(), &author, &device)?;
    let header = EnvelopeHeader {
        version: ENVELOPE_VERSION,
        record: *record,
        section: section.code(),
        epoch,
        author,
        device,
        seq: head.map(|h| h.seq + 1).unwrap_or(1),
        prev: head.map(|h| h.last),
    };
    let seq = header.seq;
    let env = Envelope::seal(header, &plaintext, &key, me)?;
    txn.put_envelope(&env)?;
    Ok((seq, env.id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CreateOptions;
    use carnet_crypto::secrecy::SecretString;
    use carnet_crypto::{MasterKey, Role};
    use carnet_record::{Measurement, Note, Reading, systems};

    fn vault(dir: &std::path::Path) -> Vault {
        let opts = CreateOptions {
            name: "Alice".into(),
            role: Role::Patient,
            kdf_log_n: MasterKey::MIN_LOG_N,
        };
        Vault::create(dir, &SecretString::from("p".to_string()), &opts).unwrap()
    }

    fn year_of_cgm() -> ReadingSet {
        let start = 1_735_689_600; // 2025-01-01T00:00:00Z
        ReadingSet {
            kind: Code::new(systems::LOINC, "99504-3", None),
            unit: "mg/dL".into(),
            source: Some("Dexcom G6".into()),
            readings: (0..105_120i64)
                .map(|i| Reading {
                    at: DateTime::from_unix(start + 300 * i).unwrap(),
                    value: 70.0 + ((i * 13) % 150) as f64,
                })
                .collect(),
        }
    }

    #[test]
    fn a_year_of_cgm_is_one_envelope_of_day_blocks_and_reimport_adds_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut v = vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let item = || LabeledItem {
            label: "glucose".into(),
            item: ImportItem::Readings(year_of_cgm()),
        };
        let before = v.envelopes(&record, SectionId::Measurements).unwrap().len();
        let r = v.import(&record, vec![item()], &mut |_, _| {}).unwrap();
        assert_eq!(r.added.get("glucose"), Some(&105_120));
        assert_eq!(r.blocks, 365);
        assert!(r.envelopes <= 4, "{} envelopes", r.envelopes);
        let after = v.envelopes(&record, SectionId::Measurements).unwrap();
        assert_eq!(after.len() - before, r.envelopes);
        let bytes: usize = after.iter().map(Vec::len).sum();
        assert!(bytes < 1_000_000, "{bytes} bytes of envelopes for a year");
        let again = v.import(&record, vec![item()], &mut |_, _| {}).unwrap();
        assert_eq!(again.added, BTreeMap::new());
        assert_eq!(again.already_present.get("glucose"), Some(&105_120));
        assert_eq!(again.envelopes, 0);
        let points = v.readings(&record, &["99504-3"]).unwrap();
        assert_eq!(points.len(), 105_120);
        assert_eq!(points[1].at.as_str(), "2025-01-01T00:05:00Z");
    }

    #[test]
    fn entries_are_idempotent_as_a_multiset_and_a_failed_import_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut v = vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let w = || {
            Entry::Measurement(
                Measurement::from_input(
                    "weight",
                    "70",
                    "kg",
                    "2025-01-01T08:00:00Z".parse().unwrap(),
                    None,
                )
                .unwrap(),
            )
        };
        let items = || {
            vec![
                LabeledItem {
                    label: "Observation".into(),
                    item: ImportItem::Entry(w()),
                },
                LabeledItem {
                    label: "Observation".into(),
                    item: ImportItem::Entry(w()),
                },
            ]
        };
        let r = v.import(&record, items(), &mut |_, _| {}).unwrap();
        assert_eq!(r.added.get("Observation"), Some(&2));
        let r = v.import(&record, items(), &mut |_, _| {}).unwrap();
        assert_eq!(r.already_present.get("Observation"), Some(&2));
        assert_eq!(
            v.list(&record, Some(SectionId::Measurements))
                .unwrap()
                .len(),
            2
        );
        let before = v.state_digest().unwrap();
        let bad = vec![
            LabeledItem {
                label: "note".into(),
                item: ImportItem::Entry(Entry::Note(Note {
                    text: "fine".into(),
                    title: None,
                })),
            },
            LabeledItem {
                label: "note".into(),
                item: ImportItem::Entry(Entry::Note(Note {
                    text: " ".into(),
                    title: None,
                })),
            },
        ];
        assert!(v.import(&record, bad, &mut |_, _| {}).is_err());
        assert_eq!(v.state_digest().unwrap(), before);
        assert!(v.list(&record, Some(SectionId::Notes)).unwrap().is_empty());
    }
}
