//! Bulk imports: many entries, attachments and device readings committed as a handful of
//! envelopes in one transaction, idempotently.
//!
//! Why a separate path from [`Vault::add`]: one envelope per entry would make a FHIR
//! bundle of 2,000 resources 2,000 signatures and fsyncs, and a year of glucose readings
//! 105,120. Here each section's new entries go into one Automerge change per batch, every
//! batch of every section is sealed into the same redb transaction, and a fresh snapshot of
//! each touched section is written with it. A crash leaves all of it or none of it.
//!
//! Batches: what Carnet writes, every receiver must take, or a section could never be
//! shared again. So a batch (one envelope) closes before an entry that would take it over
//! any of three limits: [`BULK_BATCH_BYTES`] of estimated plaintext (far below the 16 MiB
//! envelope cap), [`MAX_ENVELOPE_ATTACHMENTS`] documents (a receiver refuses an envelope
//! that announces more), and [`BULK_ATTACHMENT_BYTES`] of sealed attachments (a live
//! receiver buffers an envelope and its attachments whole). An entry always joins an
//! empty batch, so every envelope holds at least one entry and an import always ends; a
//! document alone may bring more than [`BULK_ATTACHMENT_BYTES`], up to
//! [`crate::MAX_ATTACHMENT`], as one added with [`Vault::attach`] does.
//!
//! Idempotence: an entry equal to one already in the record (documents: same title, type,
//! date, size and media type) is not added again, counted as a multiset so a bundle with two
//! identical observations keeps both; a reading is not added again when a series of the
//! same kind and source already has the same reading (value, and censored or not) at that
//! instant. Another value at an instant already stored (a LibreLink scan beside a historic
//! reading, a phone clock set back, a second uploader) is never dropped: it goes to a
//! series of its own, "SOURCE (another value at the same time)", as the device parsers do
//! within one file, and is counted in [`BulkReport::another_value`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use carnet_crypto::MAX_ENVELOPE_BYTES;
use carnet_crypto::{
    ContentKey, DeviceId, ENVELOPE_VERSION, Envelope, EnvelopeHeader, RecordId, seal_blob,
};
use carnet_record::{
    BlobRef, Censor, ChangeSet, Code, DateTime, Document, Entry, EntryId, ReadingSet, SectionId,
};
use carnet_store::WriteTxn;
use serde::Serialize;

use crate::vault::AttachmentInput;
use crate::wire::MAX_ENVELOPE_ATTACHMENTS;
use crate::{Error, Result, Vault};

/// The plaintext budget of one envelope of a bulk import: a quarter of the envelope cap,
/// so an Automerge change that encodes larger than its entries' JSON still fits.
pub const BULK_BATCH_BYTES: usize = MAX_ENVELOPE_BYTES / 4;

/// The most attachment bytes (sealed, as stored and sent) the documents of one envelope of
/// a bulk import bring with them, unless it holds a single document: 1 MiB, what a live
/// sync sender puts in one batch (`carnet_sync::BATCH_BUDGET`). A live receiver buffers a
/// whole batch, and an envelope is never split across batches, so an envelope of many
/// documents must make no larger batch than an ordinary one; a larger document travels
/// alone, within what a receiver allows for the largest attachment.
pub const BULK_ATTACHMENT_BYTES: u64 = 1 << 20;

/// What one entry adds to the envelope of a bulk import that carries it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cost {
    /// Estimated plaintext bytes ([`entry_weight`]).
    weight: usize,
    /// For a document, the sealed bytes of its attachment.
    attachment: Option<u64>,
}

/// What one envelope of a bulk import stays within, unless it holds a single entry.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// Estimated plaintext bytes.
    weight: usize,
    /// Documents (attachments referenced).
    attachments: usize,
    /// Sealed attachment bytes.
    attachment_bytes: u64,
}

/// The limits of every envelope a bulk import writes.
const LIMITS: Limits = Limits {
    weight: BULK_BATCH_BYTES,
    attachments: MAX_ENVELOPE_ATTACHMENTS,
    attachment_bytes: BULK_ATTACHMENT_BYTES,
};

/// The batching rule of bulk imports: splits entries, in order, into the runs that each
/// become one envelope. An entry joins the current run unless, with it, the run would go
/// over one of `limits`; then it starts the next run. So every run holds at least one
/// entry (an import always makes progress, however large one entry is), and a run of more
/// than one entry is within every limit.
fn batches(costs: &[Cost], limits: &Limits) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let (mut weight, mut attachments, mut attachment_bytes) = (0usize, 0usize, 0u64);
    for (i, c) in costs.iter().enumerate() {
        let (w, n, b) = (
            weight.saturating_add(c.weight),
            attachments + usize::from(c.attachment.is_some()),
            attachment_bytes.saturating_add(c.attachment.unwrap_or(0)),
        );
        if i > start && (w > limits.weight || n > limits.attachments || b > limits.attachment_bytes)
        {
            out.push(start..i);
            start = i;
            weight = c.weight;
            attachments = usize::from(c.attachment.is_some());
            attachment_bytes = c.attachment.unwrap_or(0);
        } else {
            (weight, attachments, attachment_bytes) = (w, n, b);
        }
    }
    if start < costs.len() {
        out.push(start..costs.len());
    }
    out
}

/// The attachment blob a document entry references.
fn blob_of(entry: &Entry) -> Option<[u8; 32]> {
    match entry {
        Entry::Document(d) => data_encoding::HEXLOWER
            .decode(d.blob.id.as_bytes())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
        _ => None,
    }
}

/// One thing a bulk import adds.
// Entries are the common case and items are moved, not stored: no Box per entry.
#[allow(clippy::large_enum_variant)]
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
    /// Censored device readings ("Low", "<40"): each value is the limit of the device's
    /// range; packed into blocks of their own, marked with the side.
    CensoredReadings {
        /// The readings, each at the limit.
        set: ReadingSet,
        /// Which side of the limit the true values lie.
        censor: Censor,
    },
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
    /// Readings added (and counted in `added`) to a series "... (another value at the same
    /// time)" because the record already held another value of the same kind and source
    /// at their instant, by label: both are kept.
    pub another_value: BTreeMap<String, usize>,
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
    /// Set when the device said "beyond its range" (`value` is then the limit).
    pub censored: Option<Censor>,
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

/// The series a reading goes to when its own already holds another value at its instant
/// (the name the device parsers give within one file).
fn another_value_source(source: &Option<String>) -> Option<String> {
    Some(match source {
        Some(s) if !s.is_empty() => format!("{s} (another value at the same time)"),
        _ => "another value at the same time".to_string(),
    })
}

/// What a stored series holds at an instant: the value, and whether it is censored.
type Stored = HashMap<i64, (f64, Option<Censor>)>;

/// Splits `readings` into those the stored series `known` has no other reading for (new,
/// or the same value again), and those at an instant where it holds another value.
fn split_other_values(
    readings: Vec<carnet_record::Reading>,
    known: &Stored,
    censored: Option<Censor>,
) -> (Vec<carnet_record::Reading>, Vec<carnet_record::Reading>) {
    readings.into_iter().partition(|r| {
        known.get(&r.at.sort_key()).is_none_or(|&(v, c)| {
            (v == r.value || (v.is_nan() && r.value.is_nan())) && c == censored
        })
    })
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
        &self,
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
                    ImportItem::Readings(_) | ImportItem::CensoredReadings { .. } => {
                        SectionId::Measurements
                    }
                })
                .collect();
            s.sort();
            s.dedup();
            s
        };
        for s in &touched {
            self.check_write(record, *s)?;
        }
        // The sections are out of the cache while they hold uncommitted inserts, and go
        // back only once committed (see `import_inner`).
        self.import_inner(record, &touched, items, progress)
    }

    fn import_inner(
        &self,
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
        let me = self.me();
        let device = self.device_id();
        let mut held: HashMap<SectionId, crate::vault::Loaded> = HashMap::new();
        for s in touched {
            let mut out = self.loaded.take(record, *s);
            let loaded = crate::vault::fresh(&mut out, &txn, record, *s, mine)?;
            crate::vault::reissue_into(&me, device, &mut txn, record, *s, loaded)?;
            if let Some(l) = out {
                held.insert(*s, l);
            }
        }
        let no_key = |section| Error::NoKey {
            section,
            record: record.short(),
        };
        // What the record holds already.
        let mut have: HashMap<String, usize> = HashMap::new();
        let mut stored: HashMap<(String, String, String), Stored> = HashMap::new();
        let mut profile = None;
        for s in touched {
            let loaded = held.get(s).ok_or_else(|| no_key(*s))?;
            for e in loaded.doc.entries()? {
                match &e.entry {
                    Entry::Series(ser) => {
                        let known = stored
                            .entry(series_key(&ser.kind, &ser.source))
                            .or_default();
                        for (t, v) in ser.data.readings() {
                            known.entry(t).or_insert((v, ser.censored));
                        }
                    }
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
            let censored = match &item {
                ImportItem::CensoredReadings { censor, .. } => Some(*censor),
                _ => None,
            };
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
                ImportItem::Readings(mut set) | ImportItem::CensoredReadings { mut set, .. } => {
                    // Censored and numeric readings of one device share its instants: a
                    // device gives one reading per instant, whichever kind it is. A reading
                    // at an instant its series already holds with another value goes to
                    // the series "... (another value at the same time)", and so on, so
                    // that both are kept and a re-import adds nothing.
                    let mut first = true;
                    loop {
                        let key = series_key(&set.kind, &set.source);
                        let known = stored.entry(key).or_default();
                        let readings = std::mem::take(&mut set.readings);
                        let (here, elsewhere) = split_other_values(readings, known, censored);
                        let next = ReadingSet {
                            kind: set.kind.clone(),
                            unit: set.unit.clone(),
                            source: another_value_source(&set.source),
                            readings: elsewhere,
                        };
                        set.readings = here;
                        let total = set.readings.len();
                        let times: HashSet<i64> = known.keys().copied().collect();
                        let packed = set.pack(&times)?;
                        bump(&mut report.already_present, &label, packed.duplicates);
                        bump(&mut report.repeated, &label, packed.repeated);
                        let added = total - packed.duplicates - packed.repeated;
                        bump(&mut report.added, &label, added);
                        if !first {
                            bump(&mut report.another_value, &label, added);
                        }
                        for mut b in packed.blocks {
                            b.censored = censored;
                            for (t, v) in b.data.readings() {
                                known.entry(t).or_insert((v, censored));
                            }
                            report.blocks += 1;
                            new.entry(SectionId::Measurements)
                                .or_default()
                                .push(Entry::Series(b));
                        }
                        if next.readings.is_empty() {
                            break;
                        }
                        set = next;
                        first = false;
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

        // Build every section's changes in memory, in batches by the rule of `batches`.
        // Each change set comes with the attachment blobs its entries reference: they are
        // linked to its envelope, and travel with it to peers.
        let mut changes: Vec<(SectionId, ChangeSet, Vec<[u8; 32]>)> = Vec::new();
        if let Some((id, entry)) = &profile_update {
            let c = held
                .get_mut(&SectionId::Profile)
                .ok_or_else(|| no_key(SectionId::Profile))?
                .doc
                .update(id, entry)?;
            changes.push((SectionId::Profile, c, Vec::new()));
        }
        let sealed_len: HashMap<[u8; 32], u64> = blobs
            .iter()
            .map(|(id, sealed)| (*id, sealed.len() as u64))
            .collect();
        for (section, entries) in &new {
            let costs: Vec<Cost> = entries
                .iter()
                .map(|e| Cost {
                    weight: entry_weight(e),
                    attachment: match e {
                        Entry::Document(d) => Some(
                            blob_of(e)
                                .and_then(|b| sealed_len.get(&b).copied())
                                .unwrap_or(d.blob.size),
                        ),
                        _ => None,
                    },
                })
                .collect();
            for run in batches(&costs, &LIMITS) {
                let (_, c) = held
                    .get_mut(section)
                    .ok_or_else(|| no_key(*section))?
                    .doc
                    .insert_many(&entries[run.clone()])?;
                let linked = entries[run].iter().filter_map(blob_of).collect();
                changes.push((*section, c, linked));
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
            let (seq, env_id) = seal_into(&me, device, &mut txn, record, *section, c)?;
            txn.put_envelope_blobs(&env_id, linked)?;
            if let Some(loaded) = held.get_mut(section) {
                loaded.covered.insert((me.person_id(), device), seq);
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
            if let Some(loaded) = held.get_mut(&s) {
                Self::write_snapshot(&mut txn, record, s, loaded)?;
            }
        }
        txn.commit()?;
        for (s, l) in held {
            self.loaded.put(record, s, l);
        }
        progress(total, total);
        Ok(report)
    }

    /// Every reading whose LOINC code is in `codes`, from series blocks and ordinary
    /// measurements, oldest first: what charts and exports read.
    pub fn readings(&self, record: &RecordId, codes: &[&str]) -> Result<Vec<SeriesPoint>> {
        let mut out = Vec::new();
        let wanted = |c: &Code| {
            c.system == carnet_record::systems::LOINC && codes.contains(&c.code.as_str())
        };
        let entries =
            self.with_section(record, SectionId::Measurements, |l| Ok(l.doc.entries()?))?;
        for e in entries {
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
                            censored: s.censored,
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
                        censored: None,
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
    me: &crate::keys::Keys,
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
    let env = Envelope::seal(header, &plaintext, &key, me.signer()?)?;
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
        Vault::create(dir, &SecretString::from("p".to_string()), &opts)
            .unwrap()
            .vault
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
        let v = vault(&tmp.path().join("v"));
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

    fn letter(i: usize, bytes: Vec<u8>) -> LabeledItem {
        LabeledItem {
            label: "DocumentReference".into(),
            item: ImportItem::Document {
                input: AttachmentInput {
                    title: format!("letter {i}"),
                    doc_type: carnet_record::DocType::Letter,
                    file_name: Some(format!("letter-{i}.txt")),
                    media_type: "text/plain".into(),
                    date: DateTime::from_unix(1_735_689_600 + 60 * i as i64).unwrap(),
                },
                bytes,
            },
        }
    }

    /// Per envelope of `section`, in chain order: the attachment blobs it references.
    fn links(v: &Vault, record: &RecordId, section: SectionId) -> Vec<Vec<[u8; 32]>> {
        let r = v.store.read().unwrap();
        v.envelopes(record, section)
            .unwrap()
            .iter()
            .map(|b| {
                let id = Envelope::from_bytes(b).unwrap().id();
                r.envelope_blobs(&id).unwrap()
            })
            .collect()
    }

    #[test]
    fn a_thousand_documents_never_make_an_envelope_a_receiver_refuses() {
        let tmp = tempfile::tempdir().unwrap();
        let v = vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let items = || {
            (0..1_000)
                .map(|i| letter(i, format!("letter number {i}").into_bytes()))
                .collect::<Vec<_>>()
        };
        let r = v.import(&record, items(), &mut |_, _| {}).unwrap();
        assert_eq!(r.added.get("DocumentReference"), Some(&1_000));
        let links = links(&v, &record, SectionId::Documents);
        assert_eq!(links.len(), r.envelopes);
        for l in &links {
            assert!(
                !l.is_empty() && l.len() <= crate::wire::MAX_ENVELOPE_ATTACHMENTS,
                "an envelope references {} attachments",
                l.len()
            );
        }
        let distinct: HashSet<[u8; 32]> = links.iter().flatten().copied().collect();
        assert_eq!(distinct.len(), 1_000, "every document's blob");
        assert_eq!(
            links.iter().map(Vec::len).sum::<usize>(),
            1_000,
            "linked once"
        );
        assert_eq!(
            r.envelopes,
            1_000usize.div_ceil(crate::wire::MAX_ENVELOPE_ATTACHMENTS),
            "envelopes are filled up to the limit, not one per document"
        );

        let again = v.import(&record, items(), &mut |_, _| {}).unwrap();
        assert_eq!(again.added, BTreeMap::new());
        assert_eq!(again.already_present.get("DocumentReference"), Some(&1_000));
        assert_eq!(again.envelopes, 0);
        let docs = v.list(&record, Some(SectionId::Documents)).unwrap();
        assert_eq!(docs.len(), 1_000);
        for d in [&docs[0], &docs[499], &docs[999]] {
            let Entry::Document(doc) = &d.entry else {
                panic!("not a document: {d:?}");
            };
            let n = doc.title.strip_prefix("letter ").unwrap();
            let (_, bytes) = v.attachment(&record, &d.id).unwrap();
            assert_eq!(bytes[..], *format!("letter number {n}").as_bytes());
        }
    }

    /// An eighth of the attachment limit: three of them fit twice in an envelope, not thrice.
    const U: u64 = BULK_ATTACHMENT_BYTES / 8;

    fn doc(bytes: u64) -> Cost {
        Cost {
            weight: 520,
            attachment: Some(bytes),
        }
    }

    /// Runs cover every entry once, in order, and none is empty.
    fn assert_cover(runs: &[Range<usize>], n: usize) {
        let mut next = 0;
        for r in runs {
            assert_eq!(r.start, next, "runs in order, without gaps: {runs:?}");
            assert!(r.end > r.start, "an empty run: {runs:?}");
            next = r.end;
        }
        assert_eq!(next, n, "every entry in a run: {runs:?}");
    }

    #[test]
    fn documents_are_batched_up_to_the_attachment_limit() {
        let runs = batches(&vec![doc(100); 1_000], &LIMITS);
        assert_cover(&runs, 1_000);
        let lens: Vec<usize> = runs.iter().map(|r| r.len()).collect();
        let mut want = vec![MAX_ENVELOPE_ATTACHMENTS; 1_000 / MAX_ENVELOPE_ATTACHMENTS];
        want.push(1_000 % MAX_ENVELOPE_ATTACHMENTS);
        assert_eq!(lens, want);
        assert!(batches(&[], &LIMITS).is_empty());
    }

    #[test]
    fn attachment_bytes_close_an_envelope_and_a_larger_document_travels_alone() {
        let costs = [
            doc(3 * U),
            doc(3 * U),
            doc(3 * U),
            doc(200 << 20),
            doc(1),
            // Exactly at the limit: it joins.
            doc(BULK_ATTACHMENT_BYTES - 1),
            // One byte over: it does not.
            doc(1),
        ];
        assert_eq!(
            batches(&costs, &LIMITS),
            vec![0..2, 2..3, 3..4, 4..6, 6..7][..]
        );
        // Entries of other sections are never held back by attachments.
        let notes = vec![
            Cost {
                weight: 100,
                attachment: None,
            };
            1_000
        ];
        assert_eq!(batches(&notes, &LIMITS), vec![0..1_000]);
    }

    #[test]
    fn weight_closes_an_envelope_and_an_entry_over_it_travels_alone() {
        let third = Cost {
            weight: BULK_BATCH_BYTES / 3,
            attachment: None,
        };
        let huge = Cost {
            weight: 2 * BULK_BATCH_BYTES,
            attachment: None,
        };
        assert_eq!(
            batches(&[third, third, third, third, huge, third], &LIMITS),
            vec![0..3, 3..4, 4..5, 5..6][..]
        );
    }

    proptest::proptest! {
        /// Whatever the entries: every run is one entry or within every limit, and runs
        /// are as full as the limits let them be (the next entry would break one).
        #[test]
        fn every_envelope_is_within_the_limits_and_as_full_as_they_allow(
            costs in proptest::collection::vec(
                (0usize..40, proptest::option::of(0u64..40)),
                0..200,
            ),
        ) {
            let costs: Vec<Cost> = costs
                .into_iter()
                .map(|(weight, attachment)| Cost { weight, attachment })
                .collect();
            let limits = Limits { weight: 50, attachments: 3, attachment_bytes: 60 };
            let runs = batches(&costs, &limits);
            assert_cover(&runs, costs.len());
            let totals = |r: &Range<usize>| {
                let c = &costs[r.clone()];
                (
                    c.iter().map(|c| c.weight).sum::<usize>(),
                    c.iter().filter(|c| c.attachment.is_some()).count(),
                    c.iter().filter_map(|c| c.attachment).sum::<u64>(),
                )
            };
            let within = |(w, n, b): (usize, usize, u64)| {
                w <= limits.weight && n <= limits.attachments && b <= limits.attachment_bytes
            };
            for r in &runs {
                proptest::prop_assert!(r.len() == 1 || within(totals(r)), "{r:?}");
                if r.end < costs.len() {
                    proptest::prop_assert!(!within(totals(&(r.start..r.end + 1))), "{r:?}");
                }
            }
        }
    }

    #[test]
    fn documents_of_a_few_megabytes_share_envelopes_up_to_the_byte_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let v = vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let u = U as usize;
        let sizes = [3 * u, 3 * u, 3 * u, 9 * u, 10];
        let items = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| letter(i, vec![i as u8; *n]))
            .collect();
        let r = v.import(&record, items, &mut |_, _| {}).unwrap();
        assert_eq!(
            r.envelopes, 4,
            "3+3 eighths of the limit, 3, 9 alone, then the small one"
        );
        let store = v.store.read().unwrap();
        let per_envelope: Vec<(usize, u64)> = links(&v, &record, SectionId::Documents)
            .iter()
            .map(|l| {
                let bytes = l.iter().map(|b| store.blob_len(b).unwrap().unwrap()).sum();
                (l.len(), bytes)
            })
            .collect();
        assert_eq!(per_envelope.len(), 4);
        for (n, bytes) in &per_envelope {
            assert!(
                *n == 1 || *bytes <= BULK_ATTACHMENT_BYTES,
                "{n} documents bring {bytes} bytes"
            );
        }
        assert_eq!(
            per_envelope.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            vec![&2, &1, &1, &1]
        );
    }

    #[test]
    fn entries_are_idempotent_as_a_multiset_and_a_failed_import_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let v = vault(&tmp.path().join("v"));
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
