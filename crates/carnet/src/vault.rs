//! The vault: a person's identity, keys and records on one device.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use carnet_crypto::{
    ContentKey, DeviceId, Envelope, EnvelopeId, EpochKey, IdentityCard, Passphrase, PersonId,
    PersonSecret, RecordId, RecoveryPhrase, Role, open_blob, seal_blob,
};
use carnet_record::{
    BlobRef, ChangeSet, DateTime, DocType, Document, Entry, EntryId, SectionDoc, SectionId,
    StoredEntry,
};
use carnet_store::{Store, WriteTxn};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{EnvelopeFault, Error, Result};

/// Envelopes replayed past a snapshot before a new snapshot is written. Bounds the work of
/// opening a section to one snapshot load plus this many small changes.
pub const SNAPSHOT_EVERY: usize = 32;
/// The largest attachment a vault takes in one piece.
pub const MAX_ATTACHMENT: u64 = 256 * 1024 * 1024;

/// How to create a vault.
#[derive(Clone, Debug)]
pub struct CreateOptions {
    /// The owner's display name, shown on their identity card.
    pub name: String,
    /// The owner's role: a patient gets a record of their own.
    pub role: Role,
    /// scrypt cost (log2 N) for wrapping the master key with the passphrase.
    pub kdf_log_n: u8,
}

impl CreateOptions {
    /// A patient vault with the default passphrase cost.
    pub fn patient(name: &str) -> Self {
        Self {
            name: name.to_string(),
            role: Role::Patient,
            kdf_log_n: carnet_crypto::MasterKey::DEFAULT_LOG_N,
        }
    }
}

/// Where an operation landed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryRef {
    /// The entry's id.
    pub id: EntryId,
    /// Its section.
    pub section: SectionId,
}

/// An id in the text form people and scripts see (the ids' own serde form is bytes, for
/// the wire): JSON views keep the form they always had.
pub(crate) fn as_text<S: serde::Serializer, T: std::fmt::Display>(
    v: &T,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// [`as_text`] of an id that may be unknown ("unknown").
pub(crate) fn as_text_or_unknown<S: serde::Serializer, T: std::fmt::Display>(
    v: &Option<T>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_str("unknown"),
    }
}

/// [`as_text`] of an optional id (`null` when absent).
pub(crate) fn as_text_opt<S: serde::Serializer, T: std::fmt::Display>(
    v: &Option<T>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(&v.to_string()),
        None => s.serialize_none(),
    }
}

/// A role kept as its word ("patient", "clinician", "auditor") in stored rows and JSON,
/// as it was before roles were typed.
pub(crate) mod role_text {
    use carnet_crypto::Role;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Role, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One entry as a reader sees it: its content and who wrote it, verified from signatures.
#[derive(Clone, Debug, Serialize)]
pub struct EntryView {
    /// The entry's id.
    pub id: EntryId,
    /// Its section.
    pub section: SectionId,
    /// The record it belongs to.
    #[serde(serialize_with = "as_text")]
    pub record: RecordId,
    /// The person whose signed change created it (`None`: a change whose author this
    /// vault does not know; "unknown" in JSON).
    #[serde(serialize_with = "as_text_or_unknown")]
    pub author: Option<PersonId>,
    /// That person's name, if known to this vault (their card, or the contact name the
    /// owner gave them).
    pub author_name: Option<String>,
    /// That person's role (patient, clinician), from their card.
    #[serde(serialize_with = "as_text_opt")]
    pub author_role: Option<Role>,
    /// For a medication written by a clinician (a prescription): who prescribed it, as
    /// verified from the signature of the change that created it, and only while every
    /// current field is still the prescriber's own writing (see `edits`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prescriber: Option<String>,
    /// Whether any field was written after the entry was created (by anyone).
    pub edited: bool,
    /// The fields whose current value was written after the entry was created: by whom,
    /// from which device, and when. Empty for an entry as it was created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<EditView>,
    /// When it was created.
    pub created: DateTime,
    /// Its content. Serialized without an attachment's content key: a view is what is
    /// shown and handed to scripts and apps (`--json`, the bindings' entry JSON), and
    /// that key opens the document for whoever copies the output; the vault opens it
    /// itself ([`Vault::attachment`]).
    #[serde(flatten, serialize_with = "without_content_key")]
    pub entry: Entry,
}

/// An entry's serialized form without its attachment's content key (`blob.key`), its
/// fields in their usual order: the key of a copy is emptied, and an empty key is not
/// serialized (a stored one never is empty).
fn without_content_key<S: serde::Serializer>(entry: &Entry, s: S) -> Result<S::Ok, S::Error> {
    use zeroize::Zeroize;
    match entry {
        Entry::Document(d) => {
            let mut shown = d.clone();
            shown.blob.key.zeroize();
            let shown = Entry::Document(shown);
            serde::Serialize::serialize(&shown, s)
        }
        other => serde::Serialize::serialize(other, s),
    }
}

/// One field's current value written after its entry was created.
#[derive(Clone, Debug, Serialize)]
pub struct EditView {
    /// The field.
    pub field: String,
    /// Who wrote it, verified from the signature of the change (`None`: not known to this
    /// vault; "unknown" in JSON).
    #[serde(serialize_with = "as_text_or_unknown")]
    pub by: Option<PersonId>,
    /// Their name, if this vault knows it.
    pub by_name: Option<String>,
    /// From which of their devices.
    #[serde(serialize_with = "as_text_opt")]
    pub device: Option<DeviceId>,
    /// When, if the change said (changes written before this was recorded do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime>,
}

/// One change in an entry's history (see [`Vault::history`]).
#[derive(Clone, Debug, Serialize)]
pub struct HistoryView {
    /// Who made it, verified from the signature of the change (`None`: not known to this
    /// vault; "unknown" in JSON).
    #[serde(serialize_with = "as_text_or_unknown")]
    pub by: Option<PersonId>,
    /// Their name, if this vault knows it.
    pub by_name: Option<String>,
    /// From which of their devices.
    #[serde(serialize_with = "as_text_opt")]
    pub device: Option<DeviceId>,
    /// When, if the change said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime>,
    /// Created, changed or removed.
    pub kind: carnet_record::HistoryKind,
    /// The fields it wrote.
    pub fields: Vec<String>,
}

/// What an attachment is, before it is added.
#[derive(Clone, Debug)]
pub struct AttachmentInput {
    /// Title shown in lists.
    pub title: String,
    /// Kind of document.
    pub doc_type: DocType,
    /// Original file name, if any.
    pub file_name: Option<String>,
    /// MIME type.
    pub media_type: String,
    /// Date of the document.
    pub date: DateTime,
}

/// What receiving a batch of envelopes did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReceiveReport {
    /// Envelopes that were new and are now stored and applied.
    pub accepted: usize,
    /// Envelopes already present.
    pub duplicates: usize,
}

/// What a snapshot starts with. Snapshots written before it (format 1) are not trusted:
/// a writer that edited a stale copy of a section could save one that covers an envelope
/// it never applied, so such a section is rebuilt from its envelopes once.
const SNAPSHOT_MAGIC: &[u8] = b"carnet-snapshot/2\0";

/// The version vector a snapshot covers, the changes set aside so far, and the snapshot.
#[derive(Serialize, Deserialize)]
struct SnapshotRepr {
    covered: Vec<(PersonId, DeviceId, u64)>,
    /// Hashes of the changes set aside (see [`SectionDoc::apply_tolerant`]): a later
    /// change that depends on one is set aside too.
    set_aside: Vec<[u8; 32]>,
    #[serde(with = "serde_bytes")]
    doc: Vec<u8>,
}

/// A section's entries as listed, and the later writes of each.
type ListedSection = (Vec<StoredEntry>, Vec<Vec<carnet_record::FieldWrite>>);

/// Starts a kept entry list (format 1).
const LIST_MAGIC: &[u8] = b"carnet-list/1\0";

/// A section's entries as `list` last decoded them: a cache, kept sealed in the store's
/// `entry_lists` (dropped there whenever the section's snapshot is written), and used
/// only while the section's chain heads and excluded chains are exactly the ones it was
/// made at. Chains only grow, so equal heads mean the same envelopes: the document, and
/// so its entries, are the same.
#[derive(Serialize, Deserialize)]
struct ListRepr {
    heads: Vec<(PersonId, DeviceId, u64, [u8; 32])>,
    excluded: Vec<Excluded>,
    entries: Vec<ListedEntry>,
}

#[derive(Serialize, Deserialize)]
struct ListedEntry {
    id: String,
    created: String,
    actor: [u8; 16],
    entry: JsonRepr,
    writes: Vec<(String, [u8; 16], i64)>,
}

/// A JSON value in a form postcard keeps exactly (numbers as they were, not as text).
#[derive(Serialize, Deserialize)]
enum JsonRepr {
    Null,
    Bool(bool),
    U(u64),
    I(i64),
    F(f64),
    S(String),
    A(Vec<JsonRepr>),
    O(Vec<(String, JsonRepr)>),
}

impl From<&serde_json::Value> for JsonRepr {
    fn from(v: &serde_json::Value) -> Self {
        use serde_json::Value as J;
        match v {
            J::Null => JsonRepr::Null,
            J::Bool(b) => JsonRepr::Bool(*b),
            J::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => JsonRepr::U(u),
                (_, Some(i), _) => JsonRepr::I(i),
                (_, _, f) => JsonRepr::F(f.unwrap_or(f64::NAN)),
            },
            J::String(s) => JsonRepr::S(s.clone()),
            J::Array(a) => JsonRepr::A(a.iter().map(JsonRepr::from).collect()),
            J::Object(o) => JsonRepr::O(
                o.iter()
                    .map(|(k, v)| (k.clone(), JsonRepr::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<JsonRepr> for serde_json::Value {
    fn from(v: JsonRepr) -> Self {
        use serde_json::Value as J;
        match v {
            JsonRepr::Null => J::Null,
            JsonRepr::Bool(b) => J::Bool(b),
            JsonRepr::U(u) => J::from(u),
            JsonRepr::I(i) => J::from(i),
            JsonRepr::F(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
            JsonRepr::S(s) => J::String(s),
            JsonRepr::A(a) => J::Array(a.into_iter().map(J::from).collect()),
            JsonRepr::O(o) => J::Object(o.into_iter().map(|(k, v)| (k, J::from(v))).collect()),
        }
    }
}

/// The chain heads a kept entry list is made at, in order.
fn list_key(heads: &[carnet_store::ChainHead]) -> Vec<(PersonId, DeviceId, u64, [u8; 32])> {
    let mut out: Vec<_> = heads
        .iter()
        .map(|h| (h.author, h.device, h.seq, h.last.0))
        .collect();
    out.sort();
    out
}

/// A record's excluded chains (see [`Excluded`]) of one section.
fn excluded_in(
    src: &impl SectionSource,
    record: &RecordId,
    section: SectionId,
) -> Result<Vec<Excluded>> {
    Ok(src
        .excluded(record)?
        .into_iter()
        .filter(|e| e.section == section.code())
        .collect())
}

pub(crate) struct Loaded {
    pub(crate) doc: SectionDoc,
    pub(crate) covered: BTreeMap<(PersonId, DeviceId), u64>,
    since_snapshot: usize,
    /// Hashes of every change set aside in this section.
    set_aside: HashSet<[u8; 32]>,
    /// The owner's own changes (from any of their devices) set aside since the last
    /// re-issue: their content is re-issued as a new change at the next write
    /// ([`Vault::settle`]).
    orphans: ChangeSet,
    /// Other writers' changes set aside in this load: what an orphan may build on.
    others: ChangeSet,
    /// Orphans that could not be re-issued (something they build on is missing).
    unrepaired: usize,
    /// The stored snapshot is missing, of format 1, or behind: write a fresh one.
    stale_snapshot: bool,
}

impl Loaded {
    /// Whether this section should be written back (a snapshot, or a re-issue) now.
    fn needs_settling(&self) -> bool {
        self.since_snapshot > SNAPSHOT_EVERY || self.stale_snapshot || !self.orphans.is_empty()
    }
}

/// The reads that loading a section needs, from a read or a write transaction alike. A
/// write transaction sees every commit made before it began and keeps other writers out
/// until it ends: a section brought up to date inside one is exactly the section an edit
/// is made on, so two writers never give the same Automerge sequence number to two
/// different changes.
pub(crate) trait SectionSource {
    fn latest_epoch(&self, record: &RecordId, section: u8) -> Result<Option<u32>>;
    fn epoch_key(&self, record: &RecordId, section: u8, epoch: u32) -> Result<Option<EpochKey>>;
    fn snapshot(&self, record: &RecordId, section: u8) -> Result<Option<Zeroizing<Vec<u8>>>>;
    fn chain_heads(&self, record: &RecordId, section: u8) -> Result<Vec<carnet_store::ChainHead>>;
    fn chain_after(
        &self,
        record: &RecordId,
        section: u8,
        author: &PersonId,
        device: &DeviceId,
        after: u64,
    ) -> Result<Vec<EnvelopeId>>;
    fn envelope(&self, id: &EnvelopeId) -> Result<Option<Envelope>>;
    /// Chains a record's documents must not take past a sequence number (see
    /// [`Excluded`]).
    fn excluded(&self, record: &RecordId) -> Result<Vec<Excluded>>;
}

/// A chain a receiver held further than the patient's takeover lets be taken: envelopes a
/// device the restore superseded wrote past the head the takeover recorded, taken before
/// the takeover was known. They stay stored (nothing is erased) but the section's document
/// no longer applies them, and its owner's changes that built on them are re-issued on
/// their own, so that what it writes next reaches the restored patient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// The chain's author (the patient).
    pub author: PersonId,
    /// Its device.
    pub device: DeviceId,
    /// The section.
    pub section: u8,
    /// The last sequence number taken.
    pub upto: u64,
}

/// Meta row of a record's [`Excluded`] chains.
pub(crate) fn excluded_key(record: &RecordId) -> String {
    format!("excluded:{record}")
}

fn read_excluded(bytes: Option<Vec<u8>>) -> Result<Vec<Excluded>> {
    match bytes {
        Some(b) => postcard::from_bytes(&b).map_err(|e| Error::undecodable("excluded chains", e)),
        None => Ok(Vec::new()),
    }
}

macro_rules! section_source {
    ($t:ty) => {
        impl SectionSource for $t {
            fn latest_epoch(&self, record: &RecordId, section: u8) -> Result<Option<u32>> {
                Ok(<$t>::latest_epoch(self, record, section)?)
            }
            fn epoch_key(
                &self,
                record: &RecordId,
                section: u8,
                epoch: u32,
            ) -> Result<Option<EpochKey>> {
                Ok(<$t>::epoch_key(self, record, section, epoch)?)
            }
            fn snapshot(
                &self,
                record: &RecordId,
                section: u8,
            ) -> Result<Option<Zeroizing<Vec<u8>>>> {
                Ok(<$t>::snapshot(self, record, section)?)
            }
            fn chain_heads(
                &self,
                record: &RecordId,
                section: u8,
            ) -> Result<Vec<carnet_store::ChainHead>> {
                Ok(<$t>::chain_heads(self, record, section)?)
            }
            fn chain_after(
                &self,
                record: &RecordId,
                section: u8,
                author: &PersonId,
                device: &DeviceId,
                after: u64,
            ) -> Result<Vec<EnvelopeId>> {
                Ok(<$t>::chain_after(
                    self, record, section, author, device, after,
                )?)
            }
            fn envelope(&self, id: &EnvelopeId) -> Result<Option<Envelope>> {
                Ok(<$t>::envelope(self, id)?)
            }
            fn excluded(&self, record: &RecordId) -> Result<Vec<Excluded>> {
                read_excluded(<$t>::get_meta(self, &excluded_key(record))?)
            }
        }
    };
}
section_source!(carnet_store::ReadTxn<'_>);
section_source!(WriteTxn<'_>);

/// Who writes from a vault handle: the owner, and this device's Automerge actor.
#[derive(Clone, Copy)]
pub(crate) struct Mine {
    pub(crate) person: PersonId,
    pub(crate) actor: [u8; 16],
}

/// Loads a section from `src`: its snapshot (format 2 only), then every envelope the
/// snapshot does not cover.
fn load_section(
    src: &impl SectionSource,
    record: &RecordId,
    section: SectionId,
    mine: Mine,
) -> Result<Loaded> {
    // Changes Automerge cannot apply (malformed by a hostile member; it panicked on them)
    // are refused and the section rebuilt without them, so that it stays readable.
    let mut refused: Vec<[u8; 32]> = Vec::new();
    loop {
        match load_section_refusing(src, record, section, mine, &refused) {
            Err(Error::Record(carnet_record::RecordError::Unapplicable { hashes }))
                if refused.len() < 64 && hashes.iter().any(|h| !refused.contains(h)) =>
            {
                refused.extend(hashes);
            }
            other => return other,
        }
    }
}

fn load_section_refusing(
    src: &impl SectionSource,
    record: &RecordId,
    section: SectionId,
    mine: Mine,
    refused: &[[u8; 32]],
) -> Result<Loaded> {
    if src.latest_epoch(record, section.code())?.is_none() {
        return Err(Error::NoKey {
            section,
            record: record.short(),
        });
    }
    let empty = |stale| Loaded {
        doc: SectionDoc::new(section, mine.actor),
        covered: BTreeMap::new(),
        since_snapshot: 0,
        set_aside: HashSet::new(),
        orphans: ChangeSet::default(),
        others: ChangeSet::default(),
        unrepaired: 0,
        stale_snapshot: stale,
    };
    // A snapshot is only a cache: one of format 1, or one that does not open or decode
    // (a damaged page, a bug), is set aside and the section rebuilt from its envelopes,
    // then saved again. Only the envelopes are the truth.
    let stored = match src.snapshot(record, section.code()) {
        Ok(s) => s,
        Err(Error::Store(carnet_store::StoreError::Damaged { .. })) => {
            Some(Zeroizing::new(Vec::new()))
        }
        Err(e) => return Err(e),
    };
    let decoded = stored.as_ref().and_then(|bytes| {
        let body = bytes.strip_prefix(SNAPSHOT_MAGIC)?;
        let repr: SnapshotRepr = postcard::from_bytes(body).ok()?;
        let doc = SectionDoc::load(section, &repr.doc, mine.actor).ok()?;
        Some(Loaded {
            doc,
            covered: repr
                .covered
                .into_iter()
                .map(|(p, d, s)| ((p, d), s))
                .collect(),
            since_snapshot: 0,
            set_aside: repr.set_aside.into_iter().collect(),
            orphans: ChangeSet::default(),
            others: ChangeSet::default(),
            unrepaired: 0,
            stale_snapshot: false,
        })
    });
    let mut loaded = match decoded {
        Some(l) if refused.is_empty() => l,
        _ if !refused.is_empty() => empty(true),
        _ => empty(stored.is_some()),
    };
    if !refused.is_empty() {
        // Kept in the snapshot's set-aside list: later loads start past them.
        loaded.doc.refuse(refused.iter().copied());
        loaded.set_aside.extend(refused.iter().copied());
    }
    catch_up(src, record, section, &mut loaded, mine)?;
    Ok(loaded)
}

/// Applies to a loaded section every envelope stored in `src` past what it covers, each
/// verified. Cheap when nothing is new: one range read of the section's chain heads.
fn catch_up(
    src: &impl SectionSource,
    record: &RecordId,
    section: SectionId,
    loaded: &mut Loaded,
    mine: Mine,
) -> Result<()> {
    let mut keys: HashMap<u32, EpochKey> = HashMap::new();
    let heads = src.chain_heads(record, section.code())?;
    let excluded: Vec<Excluded> = if heads.iter().any(|h| {
        h.seq
            > loaded
                .covered
                .get(&(h.author, h.device))
                .copied()
                .unwrap_or(0)
    }) {
        src.excluded(record)?
            .into_iter()
            .filter(|e| e.section == section.code())
            .collect()
    } else {
        Vec::new()
    };
    // First what must not be applied (a superseded device's writing past its head): set
    // aside before anything else, so that a change building on it, from any chain, is
    // set aside too (and re-issued by its writer).
    for head in &heads {
        let Some(x) = excluded
            .iter()
            .find(|e| e.author == head.author && e.device == head.device)
        else {
            continue;
        };
        let have = loaded
            .covered
            .get(&(head.author, head.device))
            .copied()
            .unwrap_or(0);
        if head.seq <= have.max(x.upto) {
            continue;
        }
        for id in src.chain_after(
            record,
            section.code(),
            &head.author,
            &head.device,
            have.max(x.upto),
        )? {
            let Some(env) = src.envelope(&id)? else {
                continue;
            };
            let epoch = env.header().epoch;
            let Some(key) = src.epoch_key(record, section.code(), epoch)? else {
                continue;
            };
            let changes = open_verified(&env, &key)?;
            loaded.set_aside.extend(changes.hashes());
            loaded.others.extend(changes);
            loaded.stale_snapshot = true;
        }
    }
    for head in heads {
        let have = loaded
            .covered
            .get(&(head.author, head.device))
            .copied()
            .unwrap_or(0);
        if head.seq <= have {
            continue;
        }
        let upto = excluded
            .iter()
            .find(|e| e.author == head.author && e.device == head.device)
            .map_or(u64::MAX, |e| e.upto);
        for id in src.chain_after(record, section.code(), &head.author, &head.device, have)? {
            let env = src.envelope(&id)?.ok_or_else(|| Error::BadEnvelope {
                id: id.to_string(),
                section: section.to_string(),
                why: Box::new(EnvelopeFault::Missing),
            })?;
            if env.id() != id {
                return Err(bad_envelope(&env, EnvelopeFault::IdMismatch));
            }
            if env.header().seq > upto {
                break;
            }
            let epoch = env.header().epoch;
            let key = match keys.entry(epoch) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(
                    src.epoch_key(record, section.code(), epoch)?
                        .ok_or(Error::NoKey {
                            section,
                            record: record.short(),
                        })?,
                ),
            };
            env.verify()
                .map_err(|e| bad_envelope(&env, EnvelopeFault::Signature(e)))?;
            let changes = open_verified(&env, key)?;
            let aside = loaded.doc.apply_tolerant(&changes, &mut loaded.set_aside)?;
            if !aside.is_empty() {
                // The person who wrote a change re-issues it, from any of their devices
                // (a restored vault too): re-issues of one change by two devices agree.
                if env.header().author == mine.person {
                    loaded.orphans.extend(aside);
                } else {
                    loaded.others.extend(aside);
                }
                loaded.stale_snapshot = true;
            }
            loaded.since_snapshot += 1;
        }
        loaded.covered.insert((head.author, head.device), head.seq);
    }
    Ok(())
}

/// A section as cached (`None`: not loaded), brought up to date with `src` (loaded from
/// it when absent).
pub(crate) fn fresh<'a>(
    loaded: &'a mut Option<Loaded>,
    src: &impl SectionSource,
    record: &RecordId,
    section: SectionId,
    mine: Mine,
) -> Result<&'a mut Loaded> {
    if let Some(l) = loaded.as_mut() {
        match catch_up(src, record, section, l, mine) {
            Ok(()) => {}
            // The loaded document is in an unknown state: load the section again, without
            // the changes that could not be applied.
            Err(Error::Record(carnet_record::RecordError::Unapplicable { .. })) => {
                *loaded = None;
            }
            Err(e) => {
                *loaded = None;
                return Err(e);
            }
        }
    }
    match loaded {
        Some(l) => Ok(l),
        None => Ok(loaded.insert(load_section(src, record, section, mine)?)),
    }
}

/// Verifies nothing: opens an envelope whose signature was verified, and checks that every
/// change in it was made by its signer's device.
fn open_verified(env: &Envelope, key: &EpochKey) -> Result<ChangeSet> {
    let body = env
        .open(key)
        .map_err(|e| bad_envelope(env, EnvelopeFault::Unopenable(e)))?;
    let changes =
        ChangeSet::from_bytes(&body).map_err(|e| bad_envelope(env, EnvelopeFault::Changes(e)))?;
    let h = env.header();
    let actor = actor_for(&h.author, &h.device);
    if changes.actors().iter().any(|a| *a != actor) {
        return Err(bad_envelope(env, EnvelopeFault::OthersChanges));
    }
    Ok(changes)
}

/// A person's vault on this device: identity, keys, records. Open it with
/// [`Vault::open`] (or make one with [`Vault::create`]); every operation is one atomic,
/// durable transaction.
///
/// A `Vault` is a handle: `Send + Sync`, and cloning it is cheap (the clones share one
/// open database and one set of caches), so an app hands it to any thread. Every method
/// takes `&self`. Readers run at the same time as each other and as a writer: a reader
/// never waits for a write to commit (it reads the last committed state, as redb's
/// read transactions give it), and writers take turns (redb lets one write transaction
/// in at a time, across handles and processes).
#[derive(Clone)]
pub struct Vault {
    pub(crate) inner: std::sync::Arc<VaultInner>,
}

/// What the clones of one [`Vault`] share. Reached through `Deref` inside the crate; not
/// part of the API (its fields are private to the crate).
#[doc(hidden)]
pub struct VaultInner {
    pub(crate) store: Store,
    /// Who this device is: keys, card, device id. Changed only by a takeover and by a new
    /// card, both of which swap it whole.
    pub(crate) ident: std::sync::RwLock<Ident>,
    /// Sections as last loaded (see [`Sections`]).
    pub(crate) loaded: Sections,
    /// The last consent log read whole and verified, extended as entries are stored (see
    /// [`Vault::consent_log`]): a sync sends a checkpoint with every batch, and reading a
    /// log of thousands of entries back each time cost more than the batch.
    pub(crate) log_cache: std::sync::Mutex<Option<std::sync::Arc<carnet_consent::ConsentLog>>>,
    /// What each record's log says of its patient's devices (see [`crate::logcache`]).
    pub(crate) devices_cache: crate::logcache::Cache<crate::devices::PatientDevices>,
    /// The views of others' logs this vault holds, as last checked (see
    /// [`crate::logcache`]).
    pub(crate) views_cache: crate::logcache::Cache<carnet_consent::SharedView>,
}

impl std::ops::Deref for Vault {
    type Target = VaultInner;
    fn deref(&self) -> &VaultInner {
        &self.inner
    }
}

/// Who a vault's device is.
pub(crate) struct Ident {
    /// What this device holds to sign: the person's key (primary) or its own.
    pub(crate) me: std::sync::Arc<crate::keys::Keys>,
    pub(crate) card: IdentityCard,
    pub(crate) device: DeviceId,
}

/// One cached section: `None` while a writer has it out (or after a failed write).
type Slot = std::sync::Arc<std::sync::Mutex<Option<Loaded>>>;

/// The sections of a vault as last loaded, each behind its own lock, so that readers of
/// different sections never wait for each other. A writer takes its section out of the
/// cache for the length of its transaction and puts it back once committed: a reader
/// that comes meanwhile loads the section as last committed instead of waiting, and a
/// write that fails leaves nothing half-applied in memory.
#[derive(Default)]
pub(crate) struct Sections {
    map: std::sync::Mutex<HashMap<(RecordId, SectionId), Slot>>,
}

/// Locks a mutex, taking over from a thread that panicked while holding it: what these
/// locks guard are caches, each valid at every point a panic can happen.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Sections {
    /// The slot of a section (made empty if there is none).
    pub(crate) fn slot(&self, record: &RecordId, section: SectionId) -> Slot {
        lock(&self.map)
            .entry((*record, section))
            .or_default()
            .clone()
    }

    /// Takes a section out, for a writer.
    pub(crate) fn take(&self, record: &RecordId, section: SectionId) -> Option<Loaded> {
        lock(&self.slot(record, section)).take()
    }

    /// Puts back what a writer committed.
    pub(crate) fn put(&self, record: &RecordId, section: SectionId, loaded: Loaded) {
        *lock(&self.slot(record, section)) = Some(loaded);
    }

    /// Forgets a section: it is loaded again from the store at its next use.
    pub(crate) fn forget(&self, record: &RecordId, section: SectionId) {
        lock(&self.map).remove(&(*record, section));
    }

    /// Forgets every section of the records `drop` says.
    pub(crate) fn forget_where(&self, drop: impl Fn(&RecordId, SectionId) -> bool) {
        lock(&self.map).retain(|(r, s), _| !drop(r, *s));
    }

    /// Forgets every section.
    pub(crate) fn clear(&self) {
        lock(&self.map).clear();
    }
}

/// What [`Vault::create`] made: the open vault and its recovery phrase. The phrase exists
/// only here (it is never stored), and it is the only key to the vault's backups and to a
/// takeover after a lost device: show it to the owner, who writes it down, then drop it.
#[must_use = "the recovery phrase is shown once and never stored: give it to the vault's owner"]
pub struct Created {
    /// The new vault, open.
    pub vault: Vault,
    /// The recovery phrase, held in a zeroizing buffer.
    pub recovery_phrase: RecoveryPhrase,
}

impl std::fmt::Debug for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created")
            .field("vault", &self.vault)
            .field("recovery_phrase", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.store.dir())
            .field("owner", &self.card())
            .finish()
    }
}

/// The Automerge actor of a person's device: derived, so anyone can check that the changes
/// in an envelope were made by the envelope's signer.
pub fn actor_for(person: &PersonId, device: &DeviceId) -> [u8; 16] {
    let mut input = [0u8; 48];
    input[..32].copy_from_slice(&person.0);
    input[32..].copy_from_slice(&device.0);
    let mut out = [0u8; 16];
    out.copy_from_slice(&blake3::derive_key("carnet automerge actor v1", &input)[..16]);
    out
}

/// A Unix time as a calendar date (UTC), for messages.
pub(crate) fn date_text(t: u64) -> String {
    carnet_record::DateTime::from_unix(t as i64)
        .map(|d| d.date().to_string())
        .unwrap_or_else(|| t.to_string())
}

pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn bad_envelope(env: &Envelope, why: EnvelopeFault) -> Error {
    let section = SectionId::from_code(env.header().section)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("#{}", env.header().section));
    Error::BadEnvelope {
        id: env.id().to_string(),
        section,
        why: Box::new(why),
    }
}

impl Vault {
    /// Creates a vault in `dir`: a new identity (ed25519 + age keys, self-signed card), a
    /// random device id and master key wrapped with `passphrase`, and for a patient the
    /// first epoch key of each section of their record. All in one transaction.
    ///
    /// Returns the vault with its recovery phrase ([`Created`]), which exists nowhere else.
    pub fn create(dir: &Path, passphrase: &Passphrase, opts: &CreateOptions) -> Result<Created> {
        let me = PersonSecret::generate()?;
        let card = IdentityCard::issue(&me, &opts.name, opts.role, Vec::new(), now_unix())?;
        let device = DeviceId::random()?;
        let mut section_keys = Vec::new();
        if opts.role == Role::Patient {
            for s in SectionId::ALL {
                section_keys.push((s, EpochKey::generate()?));
            }
        }
        let record = RecordId::of_patient(&me.person_id());
        let salt = Zeroizing::new(carnet_crypto::random_array::<32>()?);
        // The device's network key, made now so that the first sync changes nothing but
        // what it exchanges.
        let endpoint = Zeroizing::new(carnet_crypto::random_array::<32>()?);
        let endpoint_public = carnet_crypto::endpoint_public_key(&endpoint);
        // The recovery phrase is shown once and never stored: the vault keeps only the
        // public recipient its backups are sealed to.
        let phrase = RecoveryPhrase::generate()?;
        let recovery_key = phrase.key()?;
        let recipient = recovery_key.recipient()?;
        let genesis = if opts.role == Role::Patient {
            let mut log = carnet_consent::ConsentLog::new(record, me.person_id());
            let mut entries = Vec::new();
            // The root key, derived from the phrase and never stored: declared now, so
            // that only the phrase can ever take this record over (after a loss).
            let root = carnet_consent::Action::declare_root(
                &record,
                &me.person_id(),
                &recovery_key.root(),
            );
            for action in [
                carnet_consent::Action::Genesis {
                    patient_card: card.to_text(),
                },
                root,
                carnet_consent::Action::DeviceAdded {
                    device,
                    endpoint: endpoint_public,
                },
            ] {
                let e = log
                    .append(&me, action, now_unix())
                    .map_err(Error::Consent)?;
                entries.push(e.as_bytes().to_vec());
            }
            Some(entries)
        } else {
            None
        };
        let devices = postcard::to_stdvec(&vec![crate::devices::DeviceRecord {
            device,
            endpoint: endpoint_public,
            added: now_unix(),
            removed: None,
        }])
        .map_err(|e| Error::encode("the device list", e))?;
        let store = Store::create(dir, passphrase, opts.kdf_log_n, |txn| {
            if let Some(entries) = &genesis {
                for (i, e) in entries.iter().enumerate() {
                    txn.put_consent(&record, i as u64, e)?;
                }
                txn.put_secret_meta(&format!("salt:{record}"), salt.as_slice())?;
            }
            txn.put_secret_meta("person", &me.to_bytes())?;
            txn.put_secret_meta("endpoint", endpoint.as_slice())?;
            txn.put_secret_meta("devices", &devices)?;
            txn.put_meta("recovery", recipient.as_bytes())?;
            txn.put_meta("primary", &device.0)?;
            txn.put_meta("card", card.to_text().as_bytes())?;
            txn.put_meta("device", &device.0)?;
            txn.put_actor(
                &actor_for(&me.person_id(), &device),
                &me.person_id(),
                &device,
            )?;
            for (s, key) in &section_keys {
                txn.put_epoch_key(&record, s.code(), 0, key)?;
            }
            Ok(())
        })?;
        let vault = Vault::assemble(store, crate::keys::Keys::of_person(me), card, device);
        Ok(Created {
            vault,
            recovery_phrase: phrase,
        })
    }

    /// Opens the vault in `dir`. A wrong passphrase is refused before anything is read
    /// from or written to the database.
    pub fn open(dir: &Path, passphrase: &Passphrase) -> Result<Vault> {
        let store = Store::open(dir, passphrase)?;
        Self::from_store(dir, store)
    }

    /// Opens the vault in `dir` with its unlock key (see [`Vault::unlock_key`]) instead of
    /// the passphrase: no scrypt, for an app that keeps the key in the Android Keystore or
    /// the iOS Keychain. A key that is not this vault's is refused as a wrong passphrase
    /// would be, before anything is written.
    pub fn open_with_unlock_key(dir: &Path, key: &[u8; 32]) -> Result<Vault> {
        let store = Store::open_with_key(dir, carnet_crypto::MasterKey::from_bytes(*key))?;
        Self::from_store(dir, store)
    }

    /// The key that unlocks this vault without its passphrase: export it once after an
    /// unlock and keep it in the platform keystore (never in clear on disk), then open with
    /// [`Vault::open_with_unlock_key`]. Whoever holds it holds the vault. Changing the
    /// passphrase does not change it.
    pub fn unlock_key(&self) -> Result<Zeroizing<[u8; 32]>> {
        Ok(Zeroizing::new(*self.store.master_key()?.expose()))
    }

    /// Protects the vault with a new passphrase at scrypt cost 2^`kdf_log_n`. Atomic: a
    /// crash at any point leaves the vault opening with the old passphrase or the new one;
    /// nothing else changes (the records, the keys inside, the unlock key stay the same).
    pub fn change_passphrase(&self, new: &Passphrase, kdf_log_n: u8) -> Result<()> {
        Ok(self.store.change_passphrase(new, kdf_log_n)?)
    }

    fn from_store(dir: &Path, store: Store) -> Result<Vault> {
        let (me, card, device) = {
            let r = store.read()?;
            let missing = |what: &str| carnet_store::StoreError::NotAVault {
                path: dir.to_path_buf(),
                why: format!("its {what} is missing"),
            };
            let card_text = r
                .get_meta("card")?
                .ok_or_else(|| missing("identity card"))?;
            let card = IdentityCard::from_text(&String::from_utf8_lossy(&card_text))?;
            let device = r.get_meta("device")?.ok_or_else(|| missing("device id"))?;
            let device: [u8; 16] = device.try_into().map_err(|_| missing("device id"))?;
            let device = DeviceId(device);
            let me = crate::keys::Keys::load(&r, card.person_id(), device).map_err(|e| {
                carnet_store::StoreError::NotAVault {
                    path: dir.to_path_buf(),
                    why: e.to_string(),
                }
            })?;
            (me, card, device)
        };
        Ok(Vault::assemble(store, me, card, device))
    }

    fn assemble(
        store: Store,
        me: crate::keys::Keys,
        card: IdentityCard,
        device: DeviceId,
    ) -> Vault {
        Vault {
            inner: std::sync::Arc::new(VaultInner {
                store,
                ident: std::sync::RwLock::new(Ident {
                    me: std::sync::Arc::new(me),
                    card,
                    device,
                }),
                loaded: Sections::default(),
                log_cache: Default::default(),
                devices_cache: Default::default(),
                views_cache: Default::default(),
            }),
        }
    }

    /// Swaps who this device is (after a takeover or a new card).
    pub(crate) fn set_ident(&self, change: impl FnOnce(&mut Ident)) {
        change(&mut self.inner.ident.write().unwrap_or_else(|p| p.into_inner()));
    }

    /// What this device holds to sign.
    pub(crate) fn me(&self) -> std::sync::Arc<crate::keys::Keys> {
        self.inner
            .ident
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .me
            .clone()
    }

    /// Opens the vault whose key file is in `dir` and whose database lives on `backend`
    /// (see [`Store::open_with_backend`]): for tests that simulate power loss under the
    /// store. The checks are [`Vault::open`]'s.
    #[doc(hidden)]
    pub fn open_on(
        dir: &Path,
        passphrase: &Passphrase,
        backend: impl carnet_store::StorageBackend,
    ) -> Result<Vault> {
        let store = Store::open_with_backend(dir, passphrase, backend)?;
        Self::from_store(dir, store)
    }

    /// A fingerprint of everything the vault stores: equal before and after an operation
    /// exactly when the operation changed nothing.
    pub fn state_digest(&self) -> Result<[u8; 32]> {
        Ok(self.store.read()?.digest()?)
    }

    /// The owner's identity card.
    pub fn card(&self) -> IdentityCard {
        self.inner
            .ident
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .card
            .clone()
    }

    /// The owner's id.
    pub fn person_id(&self) -> PersonId {
        self.me().person_id()
    }

    /// This device's id.
    pub fn device_id(&self) -> DeviceId {
        self.inner
            .ident
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .device
    }

    /// The owner's own record (patients only).
    pub fn own_record(&self) -> Result<RecordId> {
        if self.card().role() != Role::Patient {
            return Err(Error::NoOwnRecord {
                role: self.card().role().as_str(),
            });
        }
        Ok(RecordId::of_patient(&self.me().person_id()))
    }

    pub(crate) fn section_of(code: u8, env: &Envelope) -> Result<SectionId> {
        SectionId::from_code(code).ok_or_else(|| bad_envelope(env, EnvelopeFault::UnknownSection))
    }

    /// Verifies an envelope, opens its body, and checks that every change in it was made by
    /// its signer's device. Returns the changes.
    pub(crate) fn open_envelope(&self, env: &Envelope, key: &EpochKey) -> Result<ChangeSet> {
        env.verify()
            .map_err(|e| bad_envelope(env, EnvelopeFault::Signature(e)))?;
        self.open_verified_envelope(env, key)
    }

    /// [`Vault::open_envelope`] for an envelope whose signature the caller has just
    /// verified: an ed25519 check is most of the cost of taking in a received envelope.
    pub(crate) fn open_verified_envelope(
        &self,
        env: &Envelope,
        key: &EpochKey,
    ) -> Result<ChangeSet> {
        open_verified(env, key)
    }

    fn epoch_key(&self, record: &RecordId, section: SectionId, epoch: u32) -> Result<EpochKey> {
        self.store
            .read()?
            .epoch_key(record, section.code(), epoch)?
            .ok_or_else(|| Error::NoKey {
                section,
                record: record.short(),
            })
    }

    /// Who writes from this handle.
    pub(crate) fn mine(&self) -> Mine {
        Mine {
            person: self.me().person_id(),
            actor: actor_for(&self.me().person_id(), &self.device_id()),
        }
    }

    /// Loads a section: its snapshot, then every stored envelope the snapshot does not
    /// cover, each verified; a section loaded before is brought up to date with what other
    /// handles (processes) stored since. Writes a fresh snapshot when many were replayed,
    /// and re-issues this device's set-aside changes ([`Vault::settle`]).
    ///
    /// Runs `read` on the section, under its lock (other sections and writers go on).
    pub(crate) fn with_section<T>(
        &self,
        record: &RecordId,
        section: SectionId,
        read: impl FnOnce(&mut Loaded) -> Result<T>,
    ) -> Result<T> {
        let mine = self.mine();
        let settle = {
            let r = self.store.read()?;
            let slot = self.loaded.slot(record, section);
            let mut cached = lock(&slot);
            fresh(&mut cached, &r, record, section, mine)?.needs_settling()
        };
        if settle {
            self.settle(record, section)?;
        }
        let r = self.store.read()?;
        let slot = self.loaded.slot(record, section);
        let mut cached = lock(&slot);
        read(fresh(&mut cached, &r, record, section, mine)?)
    }

    /// Writes a loaded section back in one transaction: brought up to date inside it,
    /// this device's set-aside changes re-issued (where it may still write), and a fresh
    /// snapshot. The snapshot is only a cache; the re-issue is what repairs a section
    /// broken by two writers of old.
    pub(crate) fn settle(&self, record: &RecordId, section: SectionId) -> Result<()> {
        let may_write = self.may_write_now(record, section, &self.me().person_id())?;
        let mine = self.mine();
        let mut txn = self.store.write()?;
        let mut out = self.loaded.take(record, section);
        let loaded = fresh(&mut out, &txn, record, section, mine)?;
        if may_write {
            reissue_into(
                &self.me(),
                self.device_id(),
                &mut txn,
                record,
                section,
                loaded,
            )?;
        } else {
            loaded.orphans = ChangeSet::default();
        }
        Self::write_snapshot(&mut txn, record, section, loaded)?;
        txn.commit()?;
        if let Some(l) = out {
            self.loaded.put(record, section, l);
        }
        Ok(())
    }

    /// Checks the whole vault and repairs what two writers at once broke in vaults written
    /// before that was fixed: every section of every record is rebuilt from its envelopes
    /// (snapshots are not trusted), each envelope verified; changes that clash with
    /// another change's sequence number are set aside, and this device's own are
    /// re-issued as new changes, so nothing that was reported committed is lost; fresh
    /// snapshots are written; the owner's consent log is verified whole. One transaction
    /// per section. Running it again finds nothing more to do.
    pub fn repair(&self) -> Result<RepairReport> {
        let mut report = RepairReport::default();
        let mine = self.mine();
        let records = self.store.read()?.records()?;
        for record in &records {
            for section in self.readable_sections(record)? {
                let may_write = self.may_write_now(record, section, &self.me().person_id())?;
                let mut txn = self.store.write()?;
                let mut loaded = Loaded {
                    doc: SectionDoc::new(section, mine.actor),
                    covered: BTreeMap::new(),
                    since_snapshot: 0,
                    set_aside: HashSet::new(),
                    orphans: ChangeSet::default(),
                    others: ChangeSet::default(),
                    unrepaired: 0,
                    stale_snapshot: true,
                };
                catch_up(&txn, record, section, &mut loaded, mine)?;
                report.sections += 1;
                report.envelopes += loaded.since_snapshot;
                report.set_aside += loaded.set_aside.len();
                let own = loaded
                    .orphans
                    .hashes()
                    .iter()
                    .filter(|h| !loaded.doc.is_reissued(h))
                    .count();
                let mut changed = false;
                if may_write {
                    if reissue_into(
                        &self.me(),
                        self.device_id(),
                        &mut txn,
                        record,
                        section,
                        &mut loaded,
                    )? {
                        report.reissued += own - loaded.unrepaired;
                        changed = true;
                    }
                    report.unrepairable += loaded.unrepaired;
                } else {
                    report.unrepairable += own;
                    loaded.orphans = ChangeSet::default();
                }
                // The stored snapshot is kept when it says exactly what the envelopes say.
                let sound = !changed
                    && matches!(
                        load_section(&txn, record, section, mine),
                        Ok(s) if !s.stale_snapshot && s.covered == loaded.covered && {
                            let (mut a, mut b) = (s.doc.heads(), loaded.doc.heads());
                            a.sort();
                            b.sort();
                            a == b
                        }
                    );
                if !sound {
                    Self::write_snapshot(&mut txn, record, section, &mut loaded)?;
                    txn.commit()?;
                }
                self.loaded.put(record, section, loaded);
            }
        }
        if let Ok(own) = self.own_record() {
            *self.log_cache.lock().unwrap_or_else(|p| p.into_inner()) = None;
            let entries = self.store.read()?.consent_entries(&own)?;
            Self::whole_log(&own, &self.person_id(), entries, None)?;
            report.consent_logs += 1;
        }
        Ok(report)
    }

    #[cfg(test)]
    fn load_from_store(&self, record: &RecordId, section: SectionId) -> Result<Loaded> {
        load_section(&self.store.read()?, record, section, self.mine())
    }

    pub(crate) fn write_snapshot(
        txn: &mut WriteTxn<'_>,
        record: &RecordId,
        section: SectionId,
        loaded: &mut Loaded,
    ) -> Result<()> {
        let doc = loaded.doc.save();
        let mut set_aside: Vec<[u8; 32]> = loaded.set_aside.iter().copied().collect();
        set_aside.sort();
        let repr = SnapshotRepr {
            covered: loaded
                .covered
                .iter()
                .map(|((p, d), s)| (*p, *d, *s))
                .collect(),
            set_aside,
            doc: doc.to_vec(),
        };
        let mut bytes = Zeroizing::new(SNAPSHOT_MAGIC.to_vec());
        postcard::to_io(&repr, &mut *bytes).map_err(|e| {
            carnet_store::StoreError::Database(format!("snapshot does not encode: {e}"))
        })?;
        let mut repr = repr;
        zeroize::Zeroize::zeroize(&mut repr.doc);
        txn.put_snapshot(record, section.code(), &bytes)?;
        loaded.since_snapshot = 0;
        loaded.stale_snapshot = false;
        Ok(())
    }

    /// Runs one local edit of a section and commits it as one signed envelope, in one
    /// transaction with whatever `extra` stores (an attachment's blob).
    fn commit_local<T>(
        &self,
        record: &RecordId,
        section: SectionId,
        edit: impl FnOnce(&mut SectionDoc) -> Result<(T, ChangeSet)>,
        extra: impl FnOnce(&mut WriteTxn<'_>, &EnvelopeId) -> Result<()>,
    ) -> Result<T> {
        self.check_write(record, section)?;
        // A failed edit leaves its section out of the cache (see `commit_local_inner`).
        self.commit_local_inner(record, section, edit, extra)
    }

    /// Refuses a local write to `section` of `record` unless this vault's owner may write
    /// it now; ends expired grants first, so what is written next never reaches them.
    pub(crate) fn check_write(&self, record: &RecordId, section: SectionId) -> Result<()> {
        let author = self.me().person_id();
        if self.own_record().ok() == Some(*record) {
            self.expire_grants()?;
        }
        if self.may_write_now(record, section, &author)? {
            return Ok(());
        }
        if self.own_record().ok() == Some(*record)
            || self.held_sections(record)?.contains_key(&section)
        {
            return Err(Error::ReadOnly {
                section,
                record: record.short(),
            });
        }
        Err(Error::NoKey {
            section,
            record: record.short(),
        })
    }

    fn commit_local_inner<T>(
        &self,
        record: &RecordId,
        section: SectionId,
        edit: impl FnOnce(&mut SectionDoc) -> Result<(T, ChangeSet)>,
        extra: impl FnOnce(&mut WriteTxn<'_>, &EnvelopeId) -> Result<()>,
    ) -> Result<T> {
        // The edit is made on the section as stored when this transaction began, and no
        // other writer can commit before it ends (see [`SectionSource`]). Who signs is
        // read inside it: a takeover changes it only while holding the transaction.
        let mut txn = self.store.write()?;
        let me = self.me();
        let author = me.person_id();
        let device = self.device_id();
        let mine = self.mine();
        // The section is out of the cache until this commits: readers meanwhile load it
        // as last committed, and a failed edit is never put back.
        let mut out = self.loaded.take(record, section);
        let loaded = fresh(&mut out, &txn, record, section, mine)?;
        let reissued = reissue_into(&me, device, &mut txn, record, section, loaded)?;
        let (result, changes) = edit(&mut loaded.doc)?;
        if changes.is_empty() {
            if reissued {
                txn.commit()?;
            }
            if let Some(l) = out {
                self.loaded.put(record, section, l);
            }
            return Ok(result);
        }
        let (seq, env_id) =
            crate::bulk::seal_into(&me, device, &mut txn, record, section, &changes)?;
        extra(&mut txn, &env_id)?;
        loaded.covered.insert((author, device), seq);
        loaded.since_snapshot += 1;
        if loaded.since_snapshot > SNAPSHOT_EVERY || loaded.stale_snapshot {
            Self::write_snapshot(&mut txn, record, section, loaded)?;
        }
        txn.commit()?;
        if let Some(l) = out {
            self.loaded.put(record, section, l);
        }
        Ok(result)
    }

    /// Adds an entry to `record` (its section follows from its kind).
    pub fn add(&self, record: &RecordId, entry: Entry) -> Result<EntryRef> {
        let section = entry.section();
        let id = self.commit_local(
            record,
            section,
            |doc| Ok(doc.insert(&entry)?),
            |_, _| Ok(()),
        )?;
        Ok(EntryRef { id, section })
    }

    /// Adds a file to the `documents` section: the file is encrypted under a fresh content
    /// key into a blob, referenced (with its key) from a new document entry, in one
    /// transaction.
    pub fn attach(
        &self,
        record: &RecordId,
        bytes: &[u8],
        input: AttachmentInput,
    ) -> Result<EntryRef> {
        if bytes.len() as u64 > MAX_ATTACHMENT {
            return Err(Error::AttachmentTooLarge {
                size: bytes.len() as u64,
                max: MAX_ATTACHMENT,
            });
        }
        let key = ContentKey::generate()?;
        let sealed = seal_blob(&key, bytes)?;
        self.attach_sealed(record, key, sealed, bytes.len() as u64, input)
    }

    /// [`Vault::attach`] from a stream (a file, a camera, a download): read and sealed a
    /// chunk at a time, so the file's plaintext is never held whole in memory (its sealed
    /// form is, until the commit: the store takes a value whole). A stream longer than
    /// [`MAX_ATTACHMENT`] is refused as soon as it goes past it, and a read error leaves
    /// the vault as it was.
    pub fn attach_from(
        &self,
        record: &RecordId,
        reader: &mut dyn std::io::Read,
        input: AttachmentInput,
    ) -> Result<EntryRef> {
        let key = ContentKey::generate()?;
        let mut sealer = carnet_crypto::BlobSealer::new(&key)?;
        let mut chunk = Zeroizing::new(vec![0u8; carnet_crypto::BLOB_CHUNK]);
        let mut filled = 0usize;
        let mut size = 0u64;
        let mut read = |buf: &mut [u8]| loop {
            match reader.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::Io {
                        action: "cannot read the attachment",
                        path: None,
                        source: e,
                    });
                }
            }
        };
        loop {
            let n = read(&mut chunk[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
            size += n as u64;
            if size > MAX_ATTACHMENT {
                return Err(Error::AttachmentTooLarge {
                    size,
                    max: MAX_ATTACHMENT,
                });
            }
            if filled == chunk.len() {
                // Sealed as an inner chunk only once more bytes are known to follow.
                // A byte of the file: kept zeroizing like the chunk it joins.
                let mut probe = Zeroizing::new([0u8; 1]);
                if read(&mut probe[..])? == 0 {
                    break;
                }
                sealer.chunk(&chunk)?;
                chunk[0] = probe[0];
                filled = 1;
                size += 1;
                if size > MAX_ATTACHMENT {
                    return Err(Error::AttachmentTooLarge {
                        size,
                        max: MAX_ATTACHMENT,
                    });
                }
            }
        }
        let sealed = sealer.finish(&chunk[..filled])?;
        self.attach_sealed(record, key, sealed, size, input)
    }

    /// Commits a sealed blob and the document entry that holds its key, in one transaction.
    fn attach_sealed(
        &self,
        record: &RecordId,
        key: ContentKey,
        sealed: Vec<u8>,
        size: u64,
        input: AttachmentInput,
    ) -> Result<EntryRef> {
        let blob_id = *blake3::hash(&sealed).as_bytes();
        let entry = Entry::Document(Document {
            title: input.title,
            doc_type: input.doc_type,
            date: input.date,
            blob: BlobRef {
                id: data_encoding::HEXLOWER.encode(&blob_id),
                key: data_encoding::HEXLOWER.encode(key.expose()),
                size,
                media_type: input.media_type,
                file_name: input.file_name,
                sha1: None,
            },
        });
        let section = SectionId::Documents;
        let id = self.commit_local(
            record,
            section,
            |doc| Ok(doc.insert(&entry)?),
            |txn, env| {
                txn.put_blob(&blob_id, &sealed)?;
                txn.put_envelope_blobs(env, &[blob_id])?;
                Ok(())
            },
        )?;
        Ok(EntryRef { id, section })
    }

    /// Replaces an entry's content; only the fields that changed are written, so
    /// concurrent edits of other fields on other devices survive.
    pub fn edit(&self, record: &RecordId, id: &EntryId, entry: Entry) -> Result<EntryRef> {
        let current = self.get(record, id)?;
        let section = current.section;
        self.commit_local(
            record,
            section,
            |doc| Ok(((), doc.update(id, &entry)?)),
            |_, _| Ok(()),
        )?;
        Ok(EntryRef {
            id: id.clone(),
            section,
        })
    }

    /// Removes an entry. History keeps the signed changes; the entry no longer shows.
    pub fn remove(&self, record: &RecordId, id: &EntryId) -> Result<EntryRef> {
        let current = self.get(record, id)?;
        let section = current.section;
        self.commit_local(
            record,
            section,
            |doc| Ok(((), doc.remove(id)?)),
            |_, _| Ok(()),
        )?;
        Ok(EntryRef {
            id: id.clone(),
            section,
        })
    }

    /// An entry as shown. `actors` remembers who each Automerge actor is across one
    /// listing: a read transaction per entry cost a file lock each.
    fn view(
        &self,
        record: &RecordId,
        section: SectionId,
        stored: StoredEntry,
        writes: Vec<carnet_record::FieldWrite>,
        people: &HashMap<PersonId, (String, Role)>,
        actors: &mut HashMap<[u8; 16], Option<(PersonId, DeviceId)>>,
    ) -> Result<EntryView> {
        let mut lookup = |actor: [u8; 16]| -> Result<Option<(PersonId, DeviceId)>> {
            Ok(match actors.get(&actor) {
                Some(who) => *who,
                None => {
                    let who = self.store.read()?.actor(&actor)?;
                    actors.insert(actor, who);
                    who
                }
            })
        };
        let who = lookup(stored.author_actor)?;
        let mut edits = Vec::with_capacity(writes.len());
        for w in &writes {
            let (by, device) = match lookup(w.actor)? {
                Some((p, d)) => (Some(p), Some(d)),
                None => (None, None),
            };
            edits.push((
                by,
                EditView {
                    field: w.field.clone(),
                    by,
                    by_name: by.and_then(|p| people.get(&p).map(|(n, _)| n.clone())),
                    device,
                    at: (w.time > 0).then(|| DateTime::from_unix(w.time)).flatten(),
                },
            ));
        }
        let (author, author_name, author_role) = match who {
            Some((p, _)) => {
                let known = people.get(&p);
                (
                    Some(p),
                    known.map(|(n, _)| n.clone()),
                    known.map(|(_, r)| *r),
                )
            }
            None => (None, None, None),
        };
        // A medication written by someone other than the patient is a prescription: its
        // prescriber is the verified signer of the change that created it, as long as no
        // one else has changed a field of it since.
        let prescriber = match (&stored.entry, who) {
            (Entry::Medication(_), Some((p, _)))
                if RecordId::of_patient(&p) != *record
                    && edits.iter().all(|(by, _)| *by == Some(p)) =>
            {
                Some(author_name.clone().unwrap_or_else(|| p.to_string()))
            }
            _ => None,
        };
        let edits: Vec<EditView> = edits.into_iter().map(|(_, e)| e).collect();
        Ok(EntryView {
            id: stored.id,
            section,
            record: *record,
            author,
            author_name,
            author_role,
            prescriber,
            edited: !edits.is_empty(),
            edits,
            created: stored.created,
            entry: stored.entry,
        })
    }

    /// The sections of `record` this vault can read.
    pub fn readable_sections(&self, record: &RecordId) -> Result<Vec<SectionId>> {
        let r = self.store.read()?;
        let mut out = Vec::new();
        for s in SectionId::ALL {
            if r.latest_epoch(record, s.code())?.is_some() {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Entries of one section, or of every readable section.
    pub fn list(&self, record: &RecordId, section: Option<SectionId>) -> Result<Vec<EntryView>> {
        let sections = match section {
            Some(s) => vec![s],
            None => self.readable_sections(record)?,
        };
        let people = self.people()?;
        let mut actors = HashMap::new();
        let mut out = Vec::new();
        for s in sections {
            let (stored, writes) = match self.kept_list(record, s) {
                Some(kept) => kept,
                None => self.list_section(record, s)?,
            };
            for (e, w) in stored.into_iter().zip(writes) {
                out.push(self.view(record, s, e, w, &people, &mut actors)?);
            }
        }
        Ok(out)
    }

    /// A section's entries decoded from its document (loaded, brought up to date and
    /// settled as any read does), then kept as its entry list for the next listing when
    /// that costs no wait (see [`Vault::keep_list`]).
    fn list_section(&self, record: &RecordId, section: SectionId) -> Result<ListedSection> {
        // Read before the document is loaded: a list is kept under what was true before
        // it was made, so a change in between leaves it unkept, never wrongly fresh.
        let before = {
            let r = self.store.read()?;
            (
                r.chain_heads(record, section.code())?,
                excluded_in(&r, record, section),
            )
        };
        let (listed, covered, settled) = self.with_section(record, section, |loaded| {
            let stored = loaded.doc.entries()?;
            let mut writes = Vec::with_capacity(stored.len());
            for e in &stored {
                writes.push(loaded.doc.later_writes(&e.id)?);
            }
            // Kept only from a section that needs no repair (nothing of the owner's set
            // aside to re-issue, no stale snapshot): a listing that finds the list skips
            // the load, and so the repair a load would make.
            Ok((
                (stored, writes),
                loaded.covered.clone(),
                !loaded.needs_settling(),
            ))
        })?;
        let (heads, excluded) = before;
        if let Ok(excluded) = excluded
            && settled
            && heads.len() == covered.len()
            && heads
                .iter()
                .all(|h| covered.get(&(h.author, h.device)) == Some(&h.seq))
        {
            // Only a cache: a list that cannot be kept (a read-only file system, a writer
            // under way) is made again next time.
            let _ = self.keep_list(record, section, &heads, &excluded, &listed);
        }
        Ok(listed)
    }

    /// Stores a section's entry list (see [`ListRepr`]), made at `heads` and `excluded`,
    /// if no write transaction is under way (a reader never waits for a writer, and
    /// never holds one up for long: the list is encoded before the transaction begins),
    /// and only if the section's heads and excluded chains are still those.
    fn keep_list(
        &self,
        record: &RecordId,
        section: SectionId,
        heads: &[carnet_store::ChainHead],
        excluded: &[Excluded],
        (stored, writes): &ListedSection,
    ) -> Result<()> {
        let repr = ListRepr {
            heads: list_key(heads),
            excluded: excluded.to_vec(),
            entries: stored
                .iter()
                .zip(writes)
                .map(|(e, w)| {
                    Ok(ListedEntry {
                        id: e.id.to_string(),
                        created: e.created.as_str().to_string(),
                        actor: e.author_actor,
                        entry: JsonRepr::from(
                            &serde_json::to_value(&e.entry)
                                .map_err(|e| Error::undecodable("entry list", e))?,
                        ),
                        writes: w
                            .iter()
                            .map(|w| (w.field.clone(), w.actor, w.time))
                            .collect(),
                    })
                })
                .collect::<Result<_>>()?,
        };
        let mut bytes = Zeroizing::new(LIST_MAGIC.to_vec());
        postcard::to_io(&repr, &mut *bytes).map_err(|e| Error::undecodable("entry list", e))?;
        let Some(mut txn) = self.store.try_write()? else {
            return Ok(());
        };
        // Chains only grow, and excluded chains only grow: the same heads and excluded
        // chains now as before the load mean nothing changed in between.
        if list_key(&txn.chain_heads(record, section.code())?) != repr.heads
            || excluded_in(&txn, record, section)? != repr.excluded
        {
            return Ok(());
        }
        txn.put_entry_list(record, section.code(), &bytes)?;
        txn.commit()?;
        Ok(())
    }

    /// A section's kept entry list, if there is one made at exactly the section's
    /// current chain heads (and chains excluded): else `None`, and the section is listed
    /// from its document. One that does not open or decode is ignored the same way.
    fn kept_list(&self, record: &RecordId, section: SectionId) -> Option<ListedSection> {
        let r = self.store.read().ok()?;
        // The same refusal as loading it: no key, no entries.
        r.latest_epoch(record, section.code()).ok()??;
        let bytes = r.entry_list(record, section.code()).ok()??;
        let repr: ListRepr = postcard::from_bytes(bytes.strip_prefix(LIST_MAGIC)?).ok()?;
        let heads = r.chain_heads(record, section.code()).ok()?;
        if repr.heads != list_key(&heads)
            || repr.excluded != excluded_in(&r, record, section).ok()?
        {
            return None;
        }
        let mut stored = Vec::with_capacity(repr.entries.len());
        let mut writes = Vec::with_capacity(repr.entries.len());
        for e in repr.entries {
            stored.push(StoredEntry {
                id: e.id.parse().ok()?,
                entry: serde_json::from_value(e.entry.into()).ok()?,
                created: e.created.parse().ok()?,
                author_actor: e.actor,
            });
            writes.push(
                e.writes
                    .into_iter()
                    .map(|(field, actor, time)| carnet_record::FieldWrite { field, actor, time })
                    .collect(),
            );
        }
        Some((stored, writes))
    }

    /// The entry whose id is `text`, or starts with it (4 characters or more, like git's
    /// abbreviated hashes): refused when no id or several ids start with it.
    pub fn resolve_entry(&self, record: &RecordId, text: &str) -> Result<EntryId> {
        if let Ok(id) = text.parse::<EntryId>() {
            return Ok(id);
        }
        let prefix = text.trim().to_ascii_lowercase();
        if prefix.len() < 4
            || prefix.len() > 10
            || !prefix.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(carnet_record::RecordError::Invalid {
                what: "entry id",
                input: text.to_string(),
                expected: "an entry id is 10 letters and digits, or its first 4 or more".into(),
            }
            .into());
        }
        let mut matches: Vec<EntryId> = Vec::new();
        for s in self.readable_sections(record)? {
            for e in self.with_section(record, s, |l| Ok(l.doc.entries()?))? {
                if e.id.to_string().starts_with(&prefix) {
                    matches.push(e.id);
                }
            }
        }
        match matches.len() {
            1 => Ok(matches.remove(0)),
            0 => Err(Error::NoEntryWithPrefix(prefix)),
            _ => Err(Error::AmbiguousId {
                prefix,
                matches: matches.iter().map(|m| m.to_string()).collect(),
            }),
        }
    }

    /// One entry by id, from whichever section holds it.
    pub fn get(&self, record: &RecordId, id: &EntryId) -> Result<EntryView> {
        for s in self.readable_sections(record)? {
            let found = self.with_section(record, s, |loaded| {
                Ok(match loaded.doc.get(id)? {
                    Some(e) => Some((e, loaded.doc.later_writes(id)?)),
                    None => None,
                })
            })?;
            if let Some((e, writes)) = found {
                let people = self.people()?;
                return self.view(record, s, e, writes, &people, &mut HashMap::new());
            }
        }
        Err(Error::NotFound(id.clone()))
    }

    /// Every change that touched an entry (removed ones too), oldest first: who made it,
    /// from which device, when, and which fields it wrote.
    pub fn history(&self, record: &RecordId, id: &EntryId) -> Result<Vec<HistoryView>> {
        let people = self.people()?;
        let sections = self.readable_sections(record)?;
        // The section that holds it now, else any whose history knows it (removed).
        let mut found = None;
        for s in &sections {
            let here = self.with_section(record, *s, |l| {
                Ok(match l.doc.get(id)? {
                    Some(_) => Some(l.doc.history(id)?),
                    None => None,
                })
            })?;
            if here.is_some() {
                found = here;
                break;
            }
        }
        if found.is_none() {
            for s in &sections {
                let steps = self.with_section(record, *s, |l| Ok(l.doc.history(id)?))?;
                if !steps.is_empty() {
                    found = Some(steps);
                    break;
                }
            }
        }
        let steps = found.ok_or_else(|| Error::NotFound(id.clone()))?;
        let r = self.store.read()?;
        let mut out = Vec::with_capacity(steps.len());
        for step in steps {
            let who = r.actor(&step.actor)?;
            out.push(HistoryView {
                by: who.map(|(p, _)| p),
                by_name: who.and_then(|(p, _)| people.get(&p).map(|(n, _)| n.clone())),
                device: who.map(|(_, d)| d),
                at: (step.time > 0)
                    .then(|| DateTime::from_unix(step.time))
                    .flatten(),
                kind: step.kind,
                fields: step.fields,
            });
        }
        Ok(out)
    }

    /// Every entry, oldest clinical date first (entries without one by creation time).
    pub fn timeline(&self, record: &RecordId) -> Result<Vec<EntryView>> {
        let mut all = self.list(record, None)?;
        all.sort_by_key(|v| {
            v.entry
                .clinical_date()
                .unwrap_or_else(|| v.created.sort_key())
        });
        Ok(all)
    }

    /// An attachment's document entry, content key and sealed blob, checked against its id.
    fn attachment_sealed(
        &self,
        record: &RecordId,
        id: &EntryId,
    ) -> Result<(Document, ContentKey, Vec<u8>)> {
        let view = self.get(record, id)?;
        let Entry::Document(doc) = view.entry else {
            return Err(Error::NotAnAttachment(id.clone()));
        };
        let damaged = || Error::AttachmentDamaged(id.clone());
        let blob_id: [u8; 32] = data_encoding::HEXLOWER
            .decode(doc.blob.id.as_bytes())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(damaged)?;
        let key_bytes = Zeroizing::new(
            data_encoding::HEXLOWER
                .decode(doc.blob.key.as_bytes())
                .map_err(|_| damaged())?,
        );
        let key = ContentKey::from_slice(&key_bytes).map_err(|_| damaged())?;
        let sealed = self.store.read()?.blob(&blob_id)?.ok_or_else(damaged)?;
        if *blake3::hash(&sealed).as_bytes() != blob_id {
            return Err(damaged());
        }
        Ok((doc, key, sealed))
    }

    /// An attachment's file and its document entry, checked against its id and decrypted.
    pub fn attachment(
        &self,
        record: &RecordId,
        id: &EntryId,
    ) -> Result<(Document, Zeroizing<Vec<u8>>)> {
        let (doc, key, sealed) = self.attachment_sealed(record, id)?;
        let bytes = open_blob(&key, &sealed).map_err(|_| Error::AttachmentDamaged(id.clone()))?;
        Ok((doc, bytes))
    }

    /// [`Vault::attachment`] into a stream (a file being saved, a viewer): decrypted a
    /// chunk at a time, so the plaintext is never held whole in memory. The blob is checked
    /// against its id before anything is written; if `out` fails, or the blob does not
    /// decrypt (a wrong key in a damaged entry), what was written is incomplete and the
    /// error says so: drop it. Returns the entry and the bytes written.
    pub fn attachment_to(
        &self,
        record: &RecordId,
        id: &EntryId,
        out: &mut dyn std::io::Write,
    ) -> Result<(Document, u64)> {
        let (doc, key, sealed) = self.attachment_sealed(record, id)?;
        let mut failed = None;
        let written =
            carnet_crypto::open_blob_each(&key, &sealed, &mut |chunk| match out.write_all(chunk) {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            });
        if let Some(e) = failed {
            return Err(Error::Io {
                action: "cannot write the attachment",
                path: None,
                source: e,
            });
        }
        let written = written.map_err(|_| Error::AttachmentDamaged(id.clone()))?;
        out.flush().map_err(|e| Error::Io {
            action: "cannot write the attachment",
            path: None,
            source: e,
        })?;
        Ok((doc, written))
    }

    /// The stored envelopes of one section of a record, in chain order: what a peer would
    /// receive.
    pub(crate) fn envelopes(&self, record: &RecordId, section: SectionId) -> Result<Vec<Vec<u8>>> {
        let r = self.store.read()?;
        let mut out = Vec::new();
        for head in r.chain_heads(record, section.code())? {
            for id in r.chain_after(record, section.code(), &head.author, &head.device, 0)? {
                if let Some(env) = r.envelope(&id)? {
                    out.push(env.as_bytes().to_vec());
                }
            }
        }
        Ok(out)
    }

    /// Takes envelopes from elsewhere (a peer, a bundle): each is decoded, its signature
    /// verified, its author checked against who may write that section, its body opened and
    /// its changes checked to be the author's own. All or nothing: one bad envelope and
    /// none is stored.
    pub(crate) fn receive(&self, envelopes: &[Vec<u8>]) -> Result<ReceiveReport> {
        let mut decoded = Vec::with_capacity(envelopes.len());
        for bytes in envelopes {
            let env = Envelope::from_bytes(bytes).map_err(|e| Error::BadEnvelope {
                id: EnvelopeId(*blake3::hash(bytes).as_bytes()).to_string(),
                section: "?".into(),
                why: Box::new(EnvelopeFault::Undecodable(e)),
            })?;
            env.verify()
                .map_err(|e| bad_envelope(&env, EnvelopeFault::Signature(e)))?;
            let h = env.header();
            let section = Self::section_of(h.section, &env)?;
            if !self.may_write_now(&h.record, section, &h.author)? {
                return Err(Error::NotAllowed {
                    id: env.id().to_string(),
                    author: h.author.short(),
                    section: section.to_string(),
                });
            }
            let key = self.epoch_key(&h.record, section, h.epoch)?;
            let changes = self.open_envelope(&env, &key)?;
            decoded.push((env, section, changes));
        }
        let mut report = ReceiveReport::default();
        let mut txn = self.store.write()?;
        let mut touched = Vec::new();
        for (env, section, _) in &decoded {
            let h = env.header();
            if txn.put_envelope(env)? {
                txn.put_actor(&actor_for(&h.author, &h.device), &h.author, &h.device)?;
                report.accepted += 1;
                touched.push((h.record, *section));
            } else {
                report.duplicates += 1;
            }
        }
        txn.commit()?;
        for (r, s) in touched {
            // Reloaded from the store on next use, with the new envelopes verified again.
            self.loaded.forget(&r, s);
        }
        Ok(report)
    }
}

/// What [`Vault::repair`] checked and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RepairReport {
    /// Sections rebuilt from their envelopes.
    pub sections: usize,
    /// Envelopes verified (signature, chain, body, authorship) and replayed.
    pub envelopes: usize,
    /// Changes set aside because another change had taken their Automerge sequence number
    /// (two writers at once, before this was fixed).
    pub set_aside: usize,
    /// Of those, the owner's changes whose content was re-issued now.
    pub reissued: usize,
    /// The owner's changes that could not be re-issued (it may no longer write their
    /// section, or something they build on is missing); their content stays out of the
    /// record.
    pub unrepairable: usize,
    /// Consent logs verified whole.
    pub consent_logs: usize,
}

/// Re-issues this device's set-aside changes of a loaded section (see
/// [`SectionDoc::reissue`]) as the next envelope of its chain, in `txn`. Returns whether an
/// envelope was sealed.
pub(crate) fn reissue_into(
    me: &crate::keys::Keys,
    device: DeviceId,
    txn: &mut WriteTxn<'_>,
    record: &RecordId,
    section: SectionId,
    loaded: &mut Loaded,
) -> Result<bool> {
    if loaded.orphans.is_empty() {
        return Ok(false);
    }
    let orphans = std::mem::take(&mut loaded.orphans);
    // A re-issue that cannot be computed leaves the orphans set aside (counted), and never
    // stops the write or the read that triggered it.
    let reissued = match loaded.doc.reissue(&orphans, &loaded.others) {
        Ok(r) => {
            loaded.unrepaired += r.skipped;
            r
        }
        Err(_) => {
            loaded.unrepaired += orphans.len();
            carnet_record::Reissued::default()
        }
    };
    if reissued.parts.is_empty() {
        return Ok(false);
    }
    let mut seq = 0;
    for changes in &reissued.parts {
        seq = crate::bulk::seal_into(me, device, txn, record, section, changes)?.0;
    }
    loaded.covered.insert((me.person_id(), device), seq);
    loaded.since_snapshot += 1;
    loaded.stale_snapshot = true;
    Ok(true)
}

/// Whether `dir` holds a vault (even an incomplete one), without opening it.
pub fn store_exists(dir: &Path) -> bool {
    Store::exists(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use carnet_crypto::MasterKey;
    use carnet_crypto::secrecy::SecretString;
    use carnet_record::Note;

    fn pass() -> SecretString {
        SecretString::from("unit test".to_string())
    }

    fn new_vault(dir: &Path) -> Vault {
        new_vault_and_phrase(dir).vault
    }

    fn new_vault_and_phrase(dir: &Path) -> crate::Created {
        let opts = CreateOptions {
            name: "Alice".into(),
            role: Role::Patient,
            kdf_log_n: MasterKey::MIN_LOG_N,
        };
        Vault::create(dir, &pass(), &opts).unwrap()
    }

    fn note(i: usize) -> Entry {
        Entry::Note(Note {
            text: format!("note {i}"),
            title: None,
        })
    }

    /// What a view serializes to (the command line's `--json`, the bindings' entry JSON)
    /// holds no attachment's content key, which would open the document for whoever
    /// copied the output; the vault still opens it.
    #[test]
    fn a_views_json_holds_no_attachment_key() {
        let tmp = tempfile::tempdir().unwrap();
        let v = new_vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let r = v
            .attach(
                &record,
                b"scan of a prescription",
                AttachmentInput {
                    title: "prescription".into(),
                    doc_type: carnet_record::DocType::Prescription,
                    file_name: Some("rx.pdf".into()),
                    media_type: "application/pdf".into(),
                    date: DateTime::from_unix(1_735_689_600).unwrap(),
                },
            )
            .unwrap();
        let view = v.get(&record, &r.id).unwrap();
        let Entry::Document(doc) = &view.entry else {
            panic!("not a document: {view:?}");
        };
        let key = doc.blob.key.clone();
        assert_eq!(key.len(), 64);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["blob"]["id"], doc.blob.id.as_str());
        assert_eq!(json["blob"]["media_type"], "application/pdf");
        assert!(json["blob"].get("key").is_none(), "{json}");
        for listed in [v.list(&record, None).unwrap(), v.timeline(&record).unwrap()] {
            let text = serde_json::to_string(&listed).unwrap();
            assert!(!text.contains(&key), "{text}");
            assert!(text.contains(&doc.blob.id), "{text}");
        }
        let (_, bytes) = v.attachment(&record, &r.id).unwrap();
        assert_eq!(&bytes[..], b"scan of a prescription");
    }

    /// A prefix that starts several ids is refused, naming them, and never picks one of
    /// them: an entry shown or changed must be the one the person meant. Ids are random
    /// (50 bits), so two sharing 4 characters are found among 6,000 entries (the chance
    /// that none do is about e^-17).
    #[test]
    fn a_prefix_of_several_ids_is_refused_naming_them() {
        let tmp = tempfile::tempdir().unwrap();
        let v = new_vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let items = (0..6000)
            .map(|i| crate::LabeledItem {
                label: "note".into(),
                item: crate::ImportItem::Entry(note(i)),
            })
            .collect();
        v.import(&record, items, &mut |_, _| {}).unwrap();
        let mut ids: Vec<String> = v
            .list(&record, Some(SectionId::Notes))
            .unwrap()
            .iter()
            .map(|e| e.id.to_string())
            .collect();
        assert_eq!(ids.len(), 6000);
        ids.sort();
        let (a, b) = ids
            .windows(2)
            .find(|w| w[0][..4] == w[1][..4])
            .map(|w| (w[0].clone(), w[1].clone()))
            .expect("6,000 random ids share no 4-character prefix");
        let prefix = &a[..4];
        match v.resolve_entry(&record, prefix) {
            Err(Error::AmbiguousId { prefix: p, matches }) => {
                assert_eq!(p, prefix);
                assert!(matches.contains(&a) && matches.contains(&b), "{matches:?}");
            }
            other => panic!("{prefix} starts {a} and {b}, yet: {other:?}"),
        }
        // Enough of it to tell them apart picks the one meant.
        let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let unique = &a[..(common + 1).max(4)];
        assert_eq!(v.resolve_entry(&record, unique).unwrap().to_string(), a);
    }

    #[test]
    fn opening_replays_a_bounded_number_of_envelopes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let v = new_vault(&dir);
        let record = v.own_record().unwrap();
        for i in 0..100 {
            v.add(&record, note(i)).unwrap();
        }
        drop(v);
        let v = Vault::open(&dir, &pass()).unwrap();
        assert!(
            v.store
                .read()
                .unwrap()
                .snapshot(&record, SectionId::Notes.code())
                .unwrap()
                .is_some()
        );
        let loaded = v.load_from_store(&record, SectionId::Notes).unwrap();
        assert!(
            loaded.since_snapshot <= SNAPSHOT_EVERY,
            "replayed {} envelopes past the snapshot",
            loaded.since_snapshot
        );
        assert_eq!(loaded.doc.entries().unwrap().len(), 100);
        assert_eq!(loaded.covered.values().copied().max(), Some(100));
    }

    /// Loads a section into a handle's memory, as `list` always did before it kept entry
    /// lists (a listing that finds a kept list loads nothing): the tests below that
    /// make stale copies of a section the old way need each handle to hold one.
    fn load(v: &Vault, record: &RecordId, section: SectionId) {
        v.with_section(record, section, |_| Ok(())).unwrap();
    }

    /// What `add` did before concurrent writers were fixed: the edit made on the copy of
    /// the section this handle loaded earlier, sealed in a transaction begun afterwards.
    fn add_the_old_way(v: &mut Vault, record: &RecordId, entry: Entry) {
        let section = entry.section();
        let slot = v.loaded.slot(record, section);
        let mut cached = lock(&slot);
        let loaded = cached.as_mut().expect("loaded before");
        let (_, changes) = loaded.doc.insert(&entry).unwrap();
        let mut txn = v.store.write().unwrap();
        let (seq, _) =
            crate::bulk::seal_into(&v.me(), v.device_id(), &mut txn, record, section, &changes)
                .unwrap();
        loaded
            .covered
            .insert((v.me().person_id(), v.device_id()), seq);
        txn.commit().unwrap();
    }

    fn note_texts(v: &mut Vault, record: &RecordId) -> Vec<String> {
        let mut texts: Vec<String> = v
            .list(record, Some(SectionId::Notes))
            .unwrap()
            .into_iter()
            .map(|e| match e.entry {
                Entry::Note(n) => n.text,
                other => panic!("not a note: {other:?}"),
            })
            .collect();
        texts.sort();
        texts
    }

    /// Replays a section's envelopes as the code before the fix did: any clash fails.
    fn strict_replay(v: &Vault, record: &RecordId, section: SectionId) -> Result<()> {
        let mut doc = SectionDoc::new(section, [0; 16]);
        for bytes in v.envelopes(record, section)? {
            let env = Envelope::from_bytes(&bytes).unwrap();
            let key = v.epoch_key(record, section, env.header().epoch)?;
            doc.apply(&v.open_envelope(&env, &key)?)?;
        }
        Ok(())
    }

    #[test]
    fn two_handles_writing_one_section_keep_every_change() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let mut a = new_vault(&dir);
        let record = a.own_record().unwrap();
        let mut b = Vault::open(&dir, &pass()).unwrap();
        // Both hold the section in memory, then write in turns, each on a stale copy.
        a.list(&record, Some(SectionId::Notes)).unwrap();
        b.list(&record, Some(SectionId::Notes)).unwrap();
        let one = a.add(&record, note(1)).unwrap();
        let two = b.add(&record, note(2)).unwrap();
        a.add(&record, note(3)).unwrap();
        b.edit(&record, &one.id, note(10)).unwrap();
        a.remove(&record, &two.id).unwrap();
        b.add(&record, note(4)).unwrap();
        strict_replay(&a, &record, SectionId::Notes).expect("no clashing changes");
        let want = vec!["note 10", "note 3", "note 4"];
        assert_eq!(note_texts(&mut a, &record), want);
        assert_eq!(note_texts(&mut b, &record), want);
        drop((a, b));
        let mut v = Vault::open(&dir, &pass()).unwrap();
        assert_eq!(note_texts(&mut v, &record), want);
        let report = v.repair().unwrap();
        assert_eq!((report.set_aside, report.reissued), (0, 0));
    }

    #[test]
    fn a_section_broken_by_two_writers_of_old_is_repaired_on_open() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let mut a = new_vault(&dir);
        let record = a.own_record().unwrap();
        a.add(&record, note(0)).unwrap();
        let mut b = Vault::open(&dir, &pass()).unwrap();
        a.list(&record, Some(SectionId::Notes)).unwrap();
        b.list(&record, Some(SectionId::Notes)).unwrap();
        // Each holds its copy (the listings above kept the section's entry list, made at
        // heads the old-way writes below move on: it must not hide the repair).
        assert!(kept(&a, &record, SectionId::Notes));
        load(&a, &record, SectionId::Notes);
        load(&b, &record, SectionId::Notes);
        add_the_old_way(&mut a, &record, note(1));
        add_the_old_way(&mut b, &record, note(2));
        // The damage the old code did: one Automerge sequence number, two changes.
        let err = strict_replay(&a, &record, SectionId::Notes).unwrap_err();
        assert!(err.to_string().contains("duplicate seq"), "{err}");
        let broken = a.envelopes(&record, SectionId::Notes).unwrap().len();
        drop((a, b));

        let mut v = Vault::open(&dir, &pass()).unwrap();
        assert_eq!(note_texts(&mut v, &record), ["note 0", "note 1", "note 2"]);
        // The repair is one new envelope, made once.
        assert_eq!(
            v.envelopes(&record, SectionId::Notes).unwrap().len(),
            broken + 1
        );
        v.add(&record, note(3)).unwrap();
        drop(v);
        let mut v = Vault::open(&dir, &pass()).unwrap();
        assert_eq!(
            note_texts(&mut v, &record),
            ["note 0", "note 1", "note 2", "note 3"]
        );
        let report = v.repair().unwrap();
        assert_eq!((report.set_aside, report.reissued), (1, 0), "{report:?}");
        assert_eq!(
            v.envelopes(&record, SectionId::Notes).unwrap().len(),
            broken + 2
        );
    }

    #[test]
    fn lines_of_changes_from_many_stale_copies_are_all_repaired() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let first = new_vault(&dir);
        let record = first.own_record().unwrap();
        let kept = first.add(&record, note(0)).unwrap();
        let mut handles: Vec<Vault> = (0..4)
            .map(|_| Vault::open(&dir, &pass()).unwrap())
            .collect();
        for h in handles.iter_mut() {
            h.list(&record, Some(SectionId::Notes)).unwrap();
            load(h, &record, SectionId::Notes);
        }
        let mut want = vec!["note 0".to_string()];
        for round in 0..3 {
            for (i, h) in handles.iter_mut().enumerate() {
                let n = 10 * (i + 1) + round;
                add_the_old_way(h, &record, note(n));
                want.push(format!("note {n}"));
            }
        }
        // One stale copy also edits the first note.
        {
            let h = &mut handles[2];
            let slot = h.loaded.slot(&record, SectionId::Notes);
            let mut cached = lock(&slot);
            let loaded = cached.as_mut().unwrap();
            let changes = loaded.doc.update(&kept.id, &note(99)).unwrap();
            let mut txn = h.store.write().unwrap();
            crate::bulk::seal_into(
                &h.me(),
                h.device_id(),
                &mut txn,
                &record,
                SectionId::Notes,
                &changes,
            )
            .unwrap();
            txn.commit().unwrap();
        }
        want[0] = "note 99".into();
        want.sort();
        drop((first, handles));
        let mut v = Vault::open(&dir, &pass()).unwrap();
        let report = v.repair().unwrap();
        assert_eq!(report.unrepairable, 0, "{report:?}");
        assert_eq!(note_texts(&mut v, &record), want, "{report:?}");
    }

    /// A clinician's vault in `dir`, a contact of `patient` granted read access to `section`.
    fn doctor_reading(patient: &mut Vault, dir: &Path, section: SectionId) -> Vault {
        let doctor = Vault::create(
            dir,
            &pass(),
            &CreateOptions {
                name: "Dr Martin".into(),
                role: Role::Clinician,
                kdf_log_n: MasterKey::MIN_LOG_N,
            },
        )
        .unwrap()
        .vault;
        patient
            .add_contact("Dr Martin", &doctor.card().to_text())
            .unwrap();
        patient
            .grant(
                "Dr Martin",
                &[section],
                carnet_consent::Access::Read,
                "care",
                None,
            )
            .unwrap();
        doctor
    }

    /// `create` hands back the phrase that opens the vault's backups (there is no other
    /// way to get it), and never shows it in `Debug`.
    #[test]
    fn create_returns_the_phrase_that_opens_its_backups_and_debug_hides_it() {
        let tmp = tempfile::tempdir().unwrap();
        let created = new_vault_and_phrase(&tmp.path().join("v"));
        let debug = format!("{created:?}");
        let phrase = created.recovery_phrase.expose().to_string();
        assert_eq!(phrase.split(' ').count(), 24);
        assert!(!debug.contains(&phrase), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        let file = tmp.path().join("v.backup");
        created.vault.backup(&file).unwrap();
        let key = created.recovery_phrase.key().unwrap();
        let info = Vault::backup_info(&file, &key).unwrap();
        assert_eq!(info.id, created.vault.person_id());
        // Another phrase does not open it.
        let other = RecoveryPhrase::generate().unwrap().key().unwrap();
        assert!(Vault::backup_info(&file, &other).is_err());
    }

    #[test]
    fn a_broken_section_stays_readable_to_a_clinician_and_in_a_backup_and_is_made_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let crate::Created {
            vault: mut a,
            recovery_phrase: phrase,
        } = new_vault_and_phrase(&dir);
        let record = a.own_record().unwrap();
        let mut doctor = doctor_reading(&mut a, &tmp.path().join("doctor"), SectionId::Notes);
        doctor.add_contact("Alice", &a.card().to_text()).unwrap();
        a.add(&record, note(0)).unwrap();
        let mut b = Vault::open(&dir, &pass()).unwrap();
        a.list(&record, Some(SectionId::Notes)).unwrap();
        b.list(&record, Some(SectionId::Notes)).unwrap();
        // Each holds its copy (the listings above kept the section's entry list).
        load(&a, &record, SectionId::Notes);
        load(&b, &record, SectionId::Notes);
        add_the_old_way(&mut a, &record, note(1));
        add_the_old_way(&mut b, &record, note(2));
        drop(b);
        // Taken and sent before anything was repaired.
        let backup = tmp.path().join("backup");
        a.backup(&backup).unwrap();
        let doctor_card = doctor.card().clone();
        a.export_bundle(&doctor_card, false, &tmp.path().join("b1"))
            .unwrap();
        drop(a);
        doctor.import_bundle(&tmp.path().join("b1")).unwrap();
        // The clinician reads what did not clash (the old code failed the whole listing).
        assert_eq!(note_texts(&mut doctor, &record), ["note 0", "note 1"]);
        // The patient's next open repairs; the next bundle brings the rest.
        let mut v = Vault::open(&dir, &pass()).unwrap();
        assert_eq!(note_texts(&mut v, &record), ["note 0", "note 1", "note 2"]);
        v.export_bundle(&doctor_card, false, &tmp.path().join("b2"))
            .unwrap();
        doctor.import_bundle(&tmp.path().join("b2")).unwrap();
        assert_eq!(
            note_texts(&mut doctor, &record),
            ["note 0", "note 1", "note 2"]
        );
        // The backup restores (on a new device, which re-issues the person's change).
        let (mut restored, _) = Vault::restore(
            &tmp.path().join("restored"),
            &pass(),
            MasterKey::MIN_LOG_N,
            &backup,
            &phrase.key().unwrap(),
        )
        .unwrap();
        assert_eq!(
            note_texts(&mut restored, &record),
            ["note 0", "note 1", "note 2"]
        );
    }

    #[test]
    fn a_document_written_by_a_stale_copy_reaches_a_clinician_with_its_attachment() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let mut a = new_vault(&dir);
        let record = a.own_record().unwrap();
        let doctor = doctor_reading(&mut a, &tmp.path().join("doctor"), SectionId::Documents);
        let mut b = Vault::open(&dir, &pass()).unwrap();
        a.list(&record, Some(SectionId::Documents)).unwrap();
        b.list(&record, Some(SectionId::Documents)).unwrap();
        // Each holds its copy (the listings above kept the section's entry list).
        load(&a, &record, SectionId::Documents);
        load(&b, &record, SectionId::Documents);
        // Two stale copies each attach a scan the old way; b's clashes and is set aside.
        let attach_the_old_way = |v: &mut Vault, title: &str, bytes: &[u8]| {
            let key = ContentKey::generate().unwrap();
            let sealed = seal_blob(&key, bytes).unwrap();
            let blob_id = *blake3::hash(&sealed).as_bytes();
            let entry = Entry::Document(carnet_record::Document {
                title: title.into(),
                doc_type: DocType::Report,
                date: DateTime::now(),
                blob: BlobRef {
                    id: data_encoding::HEXLOWER.encode(&blob_id),
                    key: data_encoding::HEXLOWER.encode(key.expose()),
                    size: bytes.len() as u64,
                    media_type: "text/plain".into(),
                    file_name: None,
                    sha1: None,
                },
            });
            let slot = v.loaded.slot(&record, SectionId::Documents);
            let mut cached = lock(&slot);
            let loaded = cached.as_mut().unwrap();
            let (_, changes) = loaded.doc.insert(&entry).unwrap();
            let mut txn = v.store.write().unwrap();
            let (_, env) = crate::bulk::seal_into(
                &v.me(),
                v.device_id(),
                &mut txn,
                &record,
                SectionId::Documents,
                &changes,
            )
            .unwrap();
            txn.put_blob(&blob_id, &sealed).unwrap();
            txn.put_envelope_blobs(&env, &[blob_id]).unwrap();
            txn.commit().unwrap();
        };
        attach_the_old_way(&mut a, "first scan", b"first");
        attach_the_old_way(&mut b, "second scan", b"second, set aside then re-issued");
        drop((a, b));
        let v = Vault::open(&dir, &pass()).unwrap();
        assert_eq!(
            v.list(&record, Some(SectionId::Documents)).unwrap().len(),
            2
        );
        let card = doctor.card().clone();
        v.export_bundle(&card, false, &tmp.path().join("b"))
            .unwrap();
        doctor.import_bundle(&tmp.path().join("b")).unwrap();
        let docs = doctor.list(&record, Some(SectionId::Documents)).unwrap();
        let second = docs
            .iter()
            .find(|d| matches!(&d.entry, Entry::Document(x) if x.title == "second scan"))
            .expect("the re-issued document reached the clinician");
        let (_, bytes) = doctor.attachment(&record, &second.id).unwrap();
        assert_eq!(&bytes[..], b"second, set aside then re-issued");
    }

    /// The snapshot format before the fix.
    #[derive(Serialize)]
    struct OldSnapshotRepr {
        covered: Vec<(PersonId, DeviceId, u64)>,
        #[serde(with = "serde_bytes")]
        doc: Vec<u8>,
    }

    #[test]
    fn an_old_snapshot_that_hides_an_envelope_is_not_trusted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let mut a = new_vault(&dir);
        let record = a.own_record().unwrap();
        let mut b = Vault::open(&dir, &pass()).unwrap();
        a.list(&record, Some(SectionId::Notes)).unwrap();
        b.list(&record, Some(SectionId::Notes)).unwrap();
        // Each holds its copy (the listings above kept the section's entry list).
        load(&a, &record, SectionId::Notes);
        load(&b, &record, SectionId::Notes);
        add_the_old_way(&mut a, &record, note(1));
        add_the_old_way(&mut b, &record, note(2));
        // The old code then saved b's copy as the snapshot: it covers the envelope of
        // note 1, which it never applied.
        {
            let slot = b.loaded.slot(&record, SectionId::Notes);
            let cached = lock(&slot);
            let loaded = cached.as_ref().unwrap();
            let repr = OldSnapshotRepr {
                covered: loaded
                    .covered
                    .iter()
                    .map(|((p, d), s)| (*p, *d, *s))
                    .collect(),
                doc: loaded.doc.save().to_vec(),
            };
            assert_eq!(repr.covered.len(), 1);
            assert_eq!(repr.covered[0].2, 2);
            let mut txn = b.store.write().unwrap();
            txn.put_snapshot(
                &record,
                SectionId::Notes.code(),
                &postcard::to_stdvec(&repr).unwrap(),
            )
            .unwrap();
            txn.commit().unwrap();
        }
        drop((a, b));
        let mut v = Vault::open(&dir, &pass()).unwrap();
        assert_eq!(note_texts(&mut v, &record), ["note 1", "note 2"]);
    }

    #[test]
    fn a_snapshot_is_only_a_cache_the_envelopes_are_the_truth() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let v = new_vault(&dir);
        let record = v.own_record().unwrap();
        for i in 0..40 {
            v.add(&record, note(i)).unwrap();
        }
        drop(v);
        for snapshot in [
            // Of format 2 but damaged: set aside, the section rebuilt from its envelopes.
            SNAPSHOT_MAGIC.to_vec(),
            [SNAPSHOT_MAGIC, &b"not postcard at all"[..]].concat(),
            // Of format 1: not trusted, the section is rebuilt from its envelopes.
            b"".to_vec(),
            // An empty but valid snapshot covering nothing: replay rebuilds the section.
            {
                let repr = SnapshotRepr {
                    covered: Vec::new(),
                    set_aside: Vec::new(),
                    doc: SectionDoc::new(SectionId::Notes, [0; 16]).save().to_vec(),
                };
                let mut bytes = SNAPSHOT_MAGIC.to_vec();
                bytes.extend(postcard::to_stdvec(&repr).unwrap());
                bytes
            },
        ] {
            {
                let store = Store::open(&dir, &pass()).unwrap();
                let mut txn = store.write().unwrap();
                txn.put_snapshot(&record, SectionId::Notes.code(), &snapshot)
                    .unwrap();
                txn.commit().unwrap();
            }
            let v = Vault::open(&dir, &pass()).unwrap();
            assert_eq!(v.list(&record, Some(SectionId::Notes)).unwrap().len(), 40);
            // And saved again, whole and of the current format.
            let saved = v
                .store
                .read()
                .unwrap()
                .snapshot(&record, SectionId::Notes.code())
                .unwrap()
                .unwrap();
            let repr: SnapshotRepr =
                postcard::from_bytes(saved.strip_prefix(SNAPSHOT_MAGIC).unwrap()).unwrap();
            assert_eq!(repr.covered.iter().map(|c| c.2).max(), Some(40));
        }
    }

    /// What a section lists from its document, whatever entry list is kept.
    fn listed_from_document(v: &Vault, record: &RecordId) -> Vec<String> {
        let mut txn = v.store.write().unwrap();
        for s in SectionId::ALL {
            txn.drop_entry_list(record, s.code()).unwrap();
        }
        txn.commit().unwrap();
        let out = listed_json(v, record);
        let mut txn = v.store.write().unwrap();
        for s in SectionId::ALL {
            txn.drop_entry_list(record, s.code()).unwrap();
        }
        txn.commit().unwrap();
        out
    }

    fn listed_json(v: &Vault, record: &RecordId) -> Vec<String> {
        v.list(record, None)
            .unwrap()
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect()
    }

    fn kept(v: &Vault, record: &RecordId, section: SectionId) -> bool {
        v.store
            .read()
            .unwrap()
            .entry_list(record, section.code())
            .unwrap()
            .is_some()
    }

    #[test]
    fn a_kept_entry_list_is_used_only_at_the_heads_it_was_made_at() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let v = new_vault(&dir);
        let record = v.own_record().unwrap();
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(v.add(&record, note(i)).unwrap().id);
        }
        let truth = listed_from_document(&v, &record);
        assert_eq!(truth.len(), 5);
        // The first listing keeps the list; the next ones (other handles, other
        // processes) read it and say the same.
        assert_eq!(listed_json(&v, &record), truth);
        assert!(kept(&v, &record, SectionId::Notes));
        let other = Vault::open(&dir, &pass()).unwrap();
        assert_eq!(listed_json(&other, &record), truth);
        // Each change, from this handle or another, shows at once.
        let check = |what: &str, expect: usize| {
            let by_list = listed_json(&other, &record);
            assert_eq!(by_list.len(), expect, "{what}");
            assert_eq!(by_list, listed_json(&other, &record), "{what}: kept");
            assert_eq!(by_list, listed_from_document(&other, &record), "{what}");
            // Kept again, and right when read back.
            listed_json(&other, &record);
            assert_eq!(listed_json(&v, &record), by_list, "{what}: other handle");
        };
        v.add(&record, note(5)).unwrap();
        check("add", 6);
        v.edit(
            &record,
            &ids[1],
            Entry::Note(Note {
                text: "edited".into(),
                title: None,
            }),
        )
        .unwrap();
        check("edit", 6);
        assert!(
            listed_json(&other, &record)
                .iter()
                .any(|e| e.contains("\"edited\""))
        );
        v.remove(&record, &ids[2]).unwrap();
        check("remove", 5);
        // Enough adds for a fresh snapshot (which drops the kept list).
        for i in 0..(SNAPSHOT_EVERY + 2) {
            v.add(&record, note(100 + i)).unwrap();
        }
        check("snapshot", 5 + SNAPSHOT_EVERY + 2);
    }

    #[test]
    fn a_damaged_or_missing_entry_list_is_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let v = new_vault(&dir);
        let record = v.own_record().unwrap();
        for i in 0..4 {
            v.add(&record, note(i)).unwrap();
        }
        let truth = listed_from_document(&v, &record);
        drop(v);
        let heads = {
            let store = Store::open(&dir, &pass()).unwrap();
            let r = store.read().unwrap();
            list_key(&r.chain_heads(&record, SectionId::Notes.code()).unwrap())
        };
        // A list naming other heads, one naming no excluded chains where there are
        // some, and undecodable ones: each ignored, the section listed from its document
        // and kept again.
        let lying = |heads: Vec<(PersonId, DeviceId, u64, [u8; 32])>, excluded: Vec<Excluded>| {
            let mut bytes = LIST_MAGIC.to_vec();
            bytes.extend(
                postcard::to_stdvec(&ListRepr {
                    heads,
                    excluded,
                    entries: Vec::new(),
                })
                .unwrap(),
            );
            bytes
        };
        let mut behind = heads.clone();
        behind[0].2 -= 1;
        let excluded = vec![Excluded {
            author: heads[0].0,
            device: heads[0].1,
            section: SectionId::Notes.code(),
            upto: 1,
        }];
        for (what, row) in [
            ("other heads", lying(behind, Vec::new())),
            ("no heads", lying(Vec::new(), Vec::new())),
            ("not postcard", [LIST_MAGIC, &b"\xff\xff\xff"[..]].concat()),
            ("no magic", b"garbage".to_vec()),
            ("empty", Vec::new()),
        ] {
            {
                let store = Store::open(&dir, &pass()).unwrap();
                let mut txn = store.write().unwrap();
                txn.put_entry_list(&record, SectionId::Notes.code(), &row)
                    .unwrap();
                txn.commit().unwrap();
            }
            let v = Vault::open(&dir, &pass()).unwrap();
            assert_eq!(listed_json(&v, &record), truth, "{what}");
            assert_eq!(listed_json(&v, &record), truth, "{what}: kept again");
        }
        let v = Vault::open(&dir, &pass()).unwrap();
        // Removed: listed from the document, and kept.
        {
            let mut txn = v.store.write().unwrap();
            txn.drop_entry_list(&record, SectionId::Notes.code())
                .unwrap();
            txn.commit().unwrap();
        }
        assert_eq!(listed_json(&v, &record), truth, "removed");
        assert!(kept(&v, &record, SectionId::Notes));
        // A list kept under excluded chains the record does not have is not used either.
        {
            let mut txn = v.store.write().unwrap();
            txn.put_entry_list(
                &record,
                SectionId::Notes.code(),
                &lying(heads.clone(), excluded),
            )
            .unwrap();
            txn.commit().unwrap();
        }
        assert_eq!(listed_json(&v, &record), truth, "excluded");
    }

    /// A clinician's kept list of a patient's section is not used once an envelope of it
    /// is received (a bundle): the heads moved.
    #[test]
    fn a_kept_entry_list_is_not_used_after_a_received_envelope() {
        let tmp = tempfile::tempdir().unwrap();
        let mut patient = new_vault(&tmp.path().join("v"));
        let record = patient.own_record().unwrap();
        let doctor = doctor_reading(&mut patient, &tmp.path().join("doctor"), SectionId::Notes);
        let card = doctor.card().clone();
        let send = |patient: &Vault, name: &str| {
            let file = tmp.path().join(name);
            patient.export_bundle(&card, false, &file).unwrap();
            doctor.import_bundle(&file).unwrap();
        };
        patient.add(&record, note(0)).unwrap();
        send(&patient, "b1");
        assert_eq!(listed_json(&doctor, &record).len(), 1);
        assert!(kept(&doctor, &record, SectionId::Notes));
        patient.add(&record, note(1)).unwrap();
        send(&patient, "b2");
        let by_list = listed_json(&doctor, &record);
        assert_eq!(by_list.len(), 2);
        assert_eq!(by_list, listed_from_document(&doctor, &record));
    }

    #[test]
    fn entries_are_attributed_to_their_signer() {
        let tmp = tempfile::tempdir().unwrap();
        let v = new_vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let r = v.add(&record, note(1)).unwrap();
        let view = v.get(&record, &r.id).unwrap();
        assert_eq!(view.author, Some(v.person_id()));
        // Scripts see the id as text, as before.
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["author"], v.person_id().to_string());
        assert_eq!(json["record"], record.to_string());
        assert_eq!(view.author_name.as_deref(), Some("Alice"));
        assert_eq!(view.section, SectionId::Notes);
    }

    #[test]
    fn a_failed_edit_leaves_memory_and_disk_as_they_were() {
        let tmp = tempfile::tempdir().unwrap();
        let v = new_vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let r = v.add(&record, note(1)).unwrap();
        let before = v.state_digest().unwrap();
        let bad = Entry::Note(Note {
            text: "   ".into(),
            title: None,
        });
        assert!(v.edit(&record, &r.id, bad).is_err());
        assert_eq!(v.state_digest().unwrap(), before);
        let Entry::Note(n) = v.get(&record, &r.id).unwrap().entry else {
            panic!("not a note")
        };
        assert_eq!(n.text, "note 1");
    }

    #[test]
    fn a_vault_is_a_cheap_handle_for_any_thread() {
        fn handle<T: Send + Sync + Clone + 'static>() {}
        handle::<Vault>();
        let tmp = tempfile::tempdir().unwrap();
        let v = new_vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let other = v.clone();
        // Clones share one vault: what one writes, the other reads at once.
        let r = other.add(&record, note(1)).unwrap();
        assert!(std::sync::Arc::ptr_eq(&v.inner, &other.inner));
        assert_eq!(v.get(&record, &r.id).unwrap().id, r.id);
    }

    /// A writer stopped inside its transaction (its envelope sealed, not yet committed):
    /// readers of the same section and of others go on, and see the last committed state;
    /// once it commits, they see its entry.
    #[test]
    fn readers_go_on_while_a_writer_commits() {
        use std::sync::mpsc::channel;
        use std::time::Duration;
        let tmp = tempfile::tempdir().unwrap();
        let v = new_vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        v.add(&record, note(1)).unwrap();
        v.add(
            &record,
            Entry::Allergy(carnet_record::Allergy {
                substance: "penicillin".into(),
                code: None,
                criticality: None,
                reaction: None,
                onset: None,
            }),
        )
        .unwrap();
        let (inside, writer_inside) = channel();
        let (release, go) = channel::<()>();
        let writer = {
            let v = v.clone();
            std::thread::spawn(move || {
                v.commit_local(
                    &record,
                    SectionId::Notes,
                    |doc| Ok(doc.insert(&note(2))?),
                    move |_, _| {
                        inside.send(()).unwrap();
                        go.recv().unwrap();
                        Ok(())
                    },
                )
                .unwrap()
            })
        };
        writer_inside.recv().unwrap();
        // The writer holds the store's write transaction and its section now.
        let texts = move |v: &Vault| -> Vec<String> {
            v.list(&record, Some(SectionId::Notes))
                .unwrap()
                .into_iter()
                .map(|e| match e.entry {
                    Entry::Note(n) => n.text,
                    _ => panic!("not a note"),
                })
                .collect()
        };
        let (done, read) = channel();
        for _ in 0..3 {
            let (v, done) = (v.clone(), done.clone());
            std::thread::spawn(move || {
                let notes = texts(&v);
                let allergies = v.list(&record, Some(SectionId::Allergies)).unwrap().len();
                done.send((notes, allergies)).unwrap();
            });
        }
        for _ in 0..3 {
            // A generous bound, only so that a reader stuck behind the writer fails the
            // test instead of hanging it.
            let (notes, allergies) = read
                .recv_timeout(Duration::from_secs(60))
                .expect("a reader waited for the writer's commit");
            assert_eq!(
                notes,
                vec!["note 1".to_string()],
                "the last committed state"
            );
            assert_eq!(allergies, 1);
        }
        release.send(()).unwrap();
        writer.join().unwrap();
        let mut after = texts(&v);
        after.sort();
        assert_eq!(after, vec!["note 1".to_string(), "note 2".to_string()]);
    }

    /// Writers on clones of one handle, from several threads, with readers among them:
    /// every write lands once, and every reader sees a committed state that only grows.
    #[test]
    fn writers_and_readers_on_many_threads_lose_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let v = new_vault(&tmp.path().join("v"));
        let record = v.own_record().unwrap();
        let mut threads = Vec::new();
        for w in 0..3 {
            let v = v.clone();
            threads.push(std::thread::spawn(move || {
                for i in 0..12 {
                    v.add(&record, note(w * 100 + i)).unwrap();
                }
            }));
        }
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let v = v.clone();
                std::thread::spawn(move || {
                    let mut seen = 0;
                    for _ in 0..20 {
                        let n = v.list(&record, Some(SectionId::Notes)).unwrap().len();
                        assert!(n >= seen, "a reader saw {n} notes after {seen}");
                        seen = n;
                    }
                })
            })
            .collect();
        for t in threads.into_iter().chain(readers) {
            t.join().unwrap();
        }
        let mut texts: Vec<String> = v
            .list(&record, Some(SectionId::Notes))
            .unwrap()
            .into_iter()
            .map(|e| match e.entry {
                Entry::Note(n) => n.text,
                _ => panic!("not a note"),
            })
            .collect();
        texts.sort();
        let mut want: Vec<String> = (0..3)
            .flat_map(|w| (0..12).map(move |i| format!("note {}", w * 100 + i)))
            .collect();
        want.sort();
        assert_eq!(texts, want);
        // And a fresh open of the store agrees with the handle.
        drop(v);
    }
}
