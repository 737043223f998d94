//! One section's Automerge document behind the typed API.
//!
//! Layout: the root map holds one map per entry, keyed by its [`EntryId`]. An entry's map
//! holds `type`, the entry's fields (nested maps for codes and contacts, lists for
//! components; an absent optional field is an absent key) and `_created`. Entries sit at
//! the root, not under a shared `entries` map, because two devices creating that map
//! concurrently would make one device's entries vanish in the merge. Writes go through
//! Automerge's `update_object`, which writes only the fields that changed, so concurrent
//! edits of different fields of one entry both survive.

use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{
    ActorId, Automerge, Change, ObjId as ExId, ObjType, ROOT, ReadDoc, ScalarValue, ValueRef,
    hydrate,
};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use zeroize::Zeroizing;

use crate::{DateTime, Entry, EntryId, RecordError, SectionId};

/// The most changes one envelope may carry.
pub const MAX_CHANGES: usize = 10_000;
const CREATED: &str = "_created";
const SERIES_DATA: &str = "data";

/// The Automerge changes of one commit: what an envelope seals.
#[derive(Clone, Debug, Default)]
pub struct ChangeSet(Vec<Change>);

/// Each change as a byte string: the same postcard bytes as a list of `Vec<u8>`, read and
/// written in one copy instead of one call per byte.
#[derive(Serialize, Deserialize)]
struct ChangeSetRepr(Vec<serde_bytes::ByteBuf>);

impl ChangeSet {
    /// Encodes the changes (postcard list of each change's raw bytes).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let repr = ChangeSetRepr(
            self.0
                .iter()
                .map(|c| serde_bytes::ByteBuf::from(c.raw_bytes().to_vec()))
                .collect(),
        );
        let out = Zeroizing::new(postcard::to_stdvec(&repr).unwrap_or_default());
        for b in repr.0 {
            zeroize::Zeroize::zeroize(&mut b.into_vec());
        }
        out
    }

    /// Decodes changes from untrusted bytes: bounded, and every change's actor must be a
    /// 16-byte Carnet actor.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RecordError> {
        let repr: ChangeSetRepr = postcard::from_bytes(bytes)
            .map_err(|e| RecordError::Malformed(format!("change set: {e}")))?;
        if repr.0.len() > MAX_CHANGES {
            return Err(RecordError::Malformed(format!(
                "{} changes in one set, at most {MAX_CHANGES}",
                repr.0.len()
            )));
        }
        let mut changes = Vec::with_capacity(repr.0.len());
        for raw in repr.0 {
            // Automerge's column codec (hexane) unwraps some decoding errors on short or
            // malformed columns, and these bytes come from a member who may be hostile:
            // a panic in the decoder is a malformed change, not a crash of the receiver.
            let raw = raw.into_vec();
            // Only a plain change chunk (Automerge's chunk type 1, what `to_bytes` writes:
            // magic, checksum, then the type byte). Automerge also parses bundles,
            // documents and compressed changes here, and a bundle's run-length columns
            // expand a few bytes into gigabytes before anything is checked (found by the
            // `changeset` fuzz target: 144 bytes asked for 2 GiB).
            if raw.get(8) != Some(&1) {
                return Err(RecordError::Malformed(
                    "a change that is not a plain Automerge change chunk".into(),
                ));
            }
            let change = std::panic::catch_unwind(move || Change::from_bytes(raw))
                .map_err(|_| RecordError::Malformed("change: its columns do not decode".into()))?
                .map_err(|e| RecordError::Malformed(format!("change: {e}")))?;
            if change.actor_id().to_bytes().len() != 16 {
                return Err(RecordError::Malformed(
                    "a change has an actor id that is not 16 bytes".into(),
                ));
            }
            changes.push(change);
        }
        Ok(ChangeSet(changes))
    }

    /// The actor of each change, so the caller can check they all belong to the envelope's
    /// signer.
    pub fn actors(&self) -> Vec<[u8; 16]> {
        self.0
            .iter()
            .map(|c| {
                let mut a = [0u8; 16];
                let b = c.actor_id().to_bytes();
                if b.len() == 16 {
                    a.copy_from_slice(b);
                }
                a
            })
            .collect()
    }

    /// The other actors the changes' operations name (writers of what they build on):
    /// each must be the actor of a change the section holds, or the receiver refuses.
    pub fn referenced_actors(&self) -> Vec<[u8; 16]> {
        let mut out: Vec<[u8; 16]> = self
            .0
            .iter()
            .flat_map(|c| c.other_actor_ids().iter())
            .map(|a| {
                let mut x = [0u8; 16];
                let b = a.to_bytes();
                if b.len() == 16 {
                    x.copy_from_slice(b);
                }
                x
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether there are no changes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many changes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Appends `other`'s changes after these.
    pub fn extend(&mut self, other: ChangeSet) {
        self.0.extend(other.0);
    }

    /// The hash of each change, in order.
    pub fn hashes(&self) -> Vec<[u8; 32]> {
        self.0.iter().map(|c| c.hash().0).collect()
    }
}

/// One entry as stored, with who created it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEntry {
    /// Its id.
    pub id: EntryId,
    /// Its content.
    pub entry: Entry,
    /// When it was created.
    pub created: DateTime,
    /// The Automerge actor whose change created the entry.
    pub author_actor: [u8; 16],
}

/// Entries per thread below which a section decodes on one thread.
const PARALLEL_DECODE_MIN: usize = 512;

/// One section of one record, as an Automerge document.
pub struct SectionDoc {
    section: SectionId,
    doc: Automerge,
    /// The actors of the changes this document holds, once needed (see
    /// [`SectionDoc::check_actors`]); kept up to date by every apply.
    actors: Option<std::collections::HashSet<ActorId>>,
    /// Received changes whose dependencies this document does not hold yet: held here,
    /// not in Automerge's own queue, so that each is checked when it can be (with its
    /// whole history at hand) and before Automerge applies it.
    waiting: Vec<Change>,
    /// Changes never to apply (and those building on them): ones Automerge could not
    /// apply before ([`SectionDoc::refuse`]).
    refused: std::collections::HashSet<[u8; 32]>,
}

impl std::fmt::Debug for SectionDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SectionDoc")
            .field("section", &self.section)
            .finish()
    }
}

fn am(e: impl std::fmt::Display) -> RecordError {
    RecordError::Malformed(e.to_string())
}

fn to_hydrate(v: &Json) -> hydrate::Value {
    match v {
        Json::Null => hydrate::Value::Scalar(ScalarValue::Null),
        Json::Bool(b) => hydrate::Value::scalar(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                hydrate::Value::scalar(i)
            } else if let Some(u) = n.as_u64() {
                hydrate::Value::scalar(u)
            } else {
                hydrate::Value::scalar(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::String(s) => hydrate::Value::scalar(s.as_str()),
        Json::Array(a) => hydrate::Value::from(a.iter().map(to_hydrate).collect::<Vec<_>>()),
        Json::Object(o) => hydrate::Value::Map(hydrate::Map::from(
            o.iter()
                .map(|(k, v)| (k.clone(), to_hydrate(v)))
                .collect::<HashMap<String, hydrate::Value>>(),
        )),
    }
}

fn to_json(v: &hydrate::Value) -> Json {
    match v {
        hydrate::Value::Scalar(s) => match s {
            ScalarValue::Str(s) => Json::String(s.to_string()),
            ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Json::from(*i),
            ScalarValue::Uint(u) => Json::from(*u),
            ScalarValue::F64(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            ScalarValue::Boolean(b) => Json::Bool(*b),
            ScalarValue::Counter(c) => Json::from(i64::from(c)),
            // Only series blocks are stored as bytes; their JSON form is base64.
            ScalarValue::Bytes(b) => Json::String(data_encoding::BASE64.encode(b)),
            _ => Json::Null,
        },
        hydrate::Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_json(&v.value)))
                .collect(),
        ),
        hydrate::Value::List(l) => Json::Array(l.iter().map(|v| to_json(&v.value)).collect()),
        hydrate::Value::Text(t) => Json::String(String::from(t)),
    }
}

/// An entry's Automerge value: its JSON fields, with a series block as one bytes value
/// (not base64 text) so it costs its size and nothing more.
fn entry_value(entry: &Entry, created: &DateTime) -> Result<hydrate::Value, RecordError> {
    let mut fields = entry_json(entry)?;
    fields.insert(CREATED.into(), Json::String(created.to_string()));
    let block = match entry {
        Entry::Series(s) => {
            fields.remove(SERIES_DATA);
            Some(s.data.encode())
        }
        _ => None,
    };
    let mut map: HashMap<String, hydrate::Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), to_hydrate(v)))
        .collect();
    if let Some(bytes) = block {
        map.insert(
            SERIES_DATA.into(),
            hydrate::Value::Scalar(ScalarValue::Bytes(bytes)),
        );
    }
    Ok(hydrate::Value::Map(hydrate::Map::from(map)))
}

fn entry_json(entry: &Entry) -> Result<serde_json::Map<String, Json>, RecordError> {
    match serde_json::to_value(entry).map_err(am)? {
        Json::Object(o) => Ok(o),
        _ => Err(RecordError::Malformed(
            "an entry is not a JSON object".into(),
        )),
    }
}

impl SectionDoc {
    /// An empty section whose local changes are made by `actor`.
    pub fn new(section: SectionId, actor: [u8; 16]) -> Self {
        SectionDoc {
            section,
            doc: Automerge::new().with_actor(ActorId::from(actor)),
            actors: None,
            waiting: Vec::new(),
            refused: Default::default(),
        }
    }

    /// Loads a section saved with [`SectionDoc::save`].
    pub fn load(section: SectionId, snapshot: &[u8], actor: [u8; 16]) -> Result<Self, RecordError> {
        let doc = Automerge::load(snapshot)
            .map_err(am)?
            .with_actor(ActorId::from(actor));
        Ok(SectionDoc {
            section,
            doc,
            actors: None,
            waiting: Vec::new(),
            refused: Default::default(),
        })
    }

    /// The whole document, compacted.
    pub fn save(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.doc.save())
    }

    /// Which section this is.
    pub fn section(&self) -> SectionId {
        self.section
    }

    /// The document's heads (hashes of the latest changes).
    pub fn heads(&self) -> Vec<[u8; 32]> {
        self.doc.get_heads().into_iter().map(|h| h.0).collect()
    }

    fn changes_since(&self, before: &[automerge::ChangeHash]) -> ChangeSet {
        ChangeSet(self.doc.get_changes(before))
    }

    fn check_section(&self, entry: &Entry) -> Result<(), RecordError> {
        if entry.section() != self.section {
            return Err(RecordError::WrongSection {
                kind: entry.kind(),
                expected: entry.section().as_str(),
                found: self.section.as_str(),
            });
        }
        Ok(())
    }

    fn entry_obj(&self, id: &EntryId) -> Result<Option<ExId>, RecordError> {
        match self.doc.get(ROOT, id.as_str()).map_err(am)? {
            Some((automerge::Value::Object(ObjType::Map), obj)) => Ok(Some(obj)),
            _ => Ok(None),
        }
    }

    /// Adds an entry; returns its new id and the changes to seal.
    pub fn insert(&mut self, entry: &Entry) -> Result<(EntryId, ChangeSet), RecordError> {
        entry.validate()?;
        self.check_section(entry)?;
        if let Entry::Profile(_) = entry
            && let Some(existing) = self
                .entries()?
                .into_iter()
                .find(|e| matches!(e.entry, Entry::Profile(_)))
        {
            return Err(RecordError::ProfileExists(existing.id.to_string()));
        }
        let (mut ids, changes) = self.insert_many(std::slice::from_ref(entry))?;
        Ok((ids.remove(0), changes))
    }

    /// Adds many entries in one Automerge change (a bulk import): one change, however many
    /// entries, so it travels as one envelope. All are validated before any is written.
    pub fn insert_many(
        &mut self,
        entries: &[Entry],
    ) -> Result<(Vec<EntryId>, ChangeSet), RecordError> {
        let mut has_profile = false;
        for entry in entries {
            entry.validate()?;
            self.check_section(entry)?;
            if let Entry::Profile(_) = entry {
                if has_profile {
                    return Err(RecordError::ProfileExists("in the same batch".into()));
                }
                has_profile = true;
            }
        }
        if has_profile
            && let Some(existing) = self
                .entries()?
                .into_iter()
                .find(|e| matches!(e.entry, Entry::Profile(_)))
        {
            return Err(RecordError::ProfileExists(existing.id.to_string()));
        }
        let now = DateTime::now();
        let mut ids: Vec<EntryId> = Vec::with_capacity(entries.len());
        let mut fresh = std::collections::HashSet::with_capacity(entries.len());
        let mut values = Vec::with_capacity(entries.len());
        for entry in entries {
            let mut id = EntryId::random();
            while self.entry_obj(&id)?.is_some() || fresh.contains(&id) {
                id = EntryId::random();
            }
            values.push(entry_value(entry, &now)?);
            fresh.insert(id.clone());
            ids.push(id);
        }
        let before = self.doc.get_heads();
        let mut tx = self.doc.transaction();
        for (id, value) in ids.iter().zip(&values) {
            if let Err(e) = tx.batch_create_object(ROOT, id.as_str(), value, false) {
                tx.rollback();
                return Err(am(e));
            }
        }
        tx.commit_with(stamped());
        Ok((ids, self.changes_since(&before)))
    }

    /// Replaces an entry's content, writing only the fields that changed.
    pub fn update(&mut self, id: &EntryId, entry: &Entry) -> Result<ChangeSet, RecordError> {
        entry.validate()?;
        self.check_section(entry)?;
        let current = self
            .get(id)?
            .ok_or_else(|| RecordError::NotFound(id.to_string()))?;
        if current.entry.kind() != entry.kind() {
            return Err(RecordError::KindChange {
                id: id.to_string(),
                existing: current.entry.kind().into(),
                new: entry.kind().into(),
            });
        }
        let obj = self
            .entry_obj(id)?
            .ok_or_else(|| RecordError::NotFound(id.to_string()))?;
        let value = entry_value(entry, &current.created)?;
        let before = self.doc.get_heads();
        let mut tx = self.doc.transaction();
        tx.update_object(&obj, &value).map_err(am)?;
        tx.commit_with(stamped());
        Ok(self.changes_since(&before))
    }

    /// Removes an entry.
    pub fn remove(&mut self, id: &EntryId) -> Result<ChangeSet, RecordError> {
        if self.entry_obj(id)?.is_none() {
            return Err(RecordError::NotFound(id.to_string()));
        }
        let before = self.doc.get_heads();
        let mut tx = self.doc.transaction();
        tx.delete(ROOT, id.as_str()).map_err(am)?;
        tx.commit_with(stamped());
        Ok(self.changes_since(&before))
    }

    fn decode(&self, key: &str, obj: &ExId) -> Result<StoredEntry, RecordError> {
        // Automerge 0.12 panics hydrating some objects a malformed change left behind
        // ("invalid op to hydrate", found by the `changeset` fuzz target): such an entry is
        // one that does not decode, never a crash of the reader.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.decode_unguarded(key, obj)
        }))
        .unwrap_or_else(|_| {
            Err(RecordError::Undecodable {
                id: key.to_string(),
                why: "its data cannot be read back (malformed changes)".to_string(),
            })
        })
    }

    fn decode_unguarded(&self, key: &str, obj: &ExId) -> Result<StoredEntry, RecordError> {
        let undecodable = |why: String| RecordError::Undecodable {
            id: key.to_string(),
            why,
        };
        let id: EntryId = key
            .parse()
            .map_err(|e: RecordError| undecodable(e.to_string()))?;
        let mut json = match to_json(&ReadDoc::hydrate(&self.doc, obj, None).map_err(am)?) {
            Json::Object(o) => o,
            _ => return Err(undecodable("not a map".into())),
        };
        let created = json
            .remove(CREATED)
            .and_then(|c| c.as_str().and_then(|s| s.parse::<DateTime>().ok()))
            .ok_or_else(|| undecodable("no creation time".into()))?;
        let entry: Entry =
            serde_json::from_value(Json::Object(json)).map_err(|e| undecodable(e.to_string()))?;
        let author_actor = match obj {
            ExId::Id(_, actor, _) => actor
                .to_bytes()
                .try_into()
                .map_err(|_| undecodable("actor is not 16 bytes".into()))?,
            ExId::Root => return Err(undecodable("entry is the root".into())),
        };
        Ok(StoredEntry {
            id,
            entry,
            created,
            author_actor,
        })
    }

    /// The op that last wrote `value` (found at `id`): the value itself, or for a nested
    /// map or list, the newest op inside it.
    fn newest_write(&self, id: ExId, value: &ValueRef<'_>) -> ExId {
        match value {
            ValueRef::Object(ObjType::Map) => {
                let mut best = id.clone();
                for item in self.doc.map_range(&id, ..) {
                    let v = item.value.clone();
                    best = newer(best, self.newest_write(item.id(), &v));
                }
                best
            }
            ValueRef::Object(ObjType::List) => {
                let mut best = id.clone();
                for item in self.doc.list_range(&id, ..) {
                    let v = item.value.clone();
                    best = newer(best, self.newest_write(item.id(), &v));
                }
                best
            }
            _ => id,
        }
    }

    /// The fields of an entry whose current value was written by a change other than the
    /// one that created the entry: edits, by whom and when (empty when it stands as it was
    /// created). A field an edit removed does not show here.
    pub fn later_writes(&self, id: &EntryId) -> Result<Vec<FieldWrite>, RecordError> {
        let Some(obj) = self.entry_obj(id)? else {
            return Err(RecordError::NotFound(id.to_string()));
        };
        let created_in = self.doc.hash_for_opid(&obj);
        let mut out = Vec::new();
        for item in self.doc.map_range(&obj, ..) {
            if item.key == CREATED {
                continue;
            }
            let v = item.value.clone();
            let op = self.newest_write(item.id(), &v);
            let written_in = self.doc.hash_for_opid(&op);
            if written_in.is_some() && written_in != created_in {
                let ExId::Id(_, actor, _) = &op else {
                    continue;
                };
                let Ok(actor) = <[u8; 16]>::try_from(actor.to_bytes()) else {
                    continue;
                };
                let time = written_in
                    .and_then(|h| self.doc.get_change_meta_by_hash(&h))
                    .map_or(0, |m| m.timestamp);
                out.push(FieldWrite {
                    field: item.key.to_string(),
                    actor,
                    time,
                });
            }
        }
        out.sort_by(|a, b| a.field.cmp(&b.field));
        Ok(out)
    }

    /// Every change that touched an entry, oldest first (in causal order): who made it,
    /// when, whether it created, changed or removed the entry, and which fields it wrote.
    /// Read from the section's change graph; costs a diff per change of the section, so
    /// it is for showing one entry's history, not for listings.
    pub fn history(&self, id: &EntryId) -> Result<Vec<HistoryStep>, RecordError> {
        let key = id.as_str();
        let mut out = Vec::new();
        for meta in self.doc.get_changes_meta(&[]) {
            let patches = self.doc.diff(&meta.deps, &[meta.hash]);
            let mut kind = None;
            let mut fields: Vec<String> = Vec::new();
            for p in &patches {
                let on_root_key = p.obj == ROOT
                    && matches!(&p.action,
                        automerge::PatchAction::PutMap { key: k, .. }
                        | automerge::PatchAction::DeleteMap { key: k } if k == key);
                if on_root_key {
                    kind = Some(match p.action {
                        automerge::PatchAction::DeleteMap { .. } => HistoryKind::Removed,
                        _ => HistoryKind::Created,
                    });
                    continue;
                }
                let inside = p.path.first().is_some_and(|(o, prop)| {
                    *o == ROOT && matches!(prop, automerge::Prop::Map(k) if k == key)
                });
                if inside {
                    kind.get_or_insert(HistoryKind::Changed);
                    let field = match (p.path.get(1), &p.action) {
                        (Some((_, automerge::Prop::Map(f))), _) => Some(f.clone()),
                        (None, automerge::PatchAction::PutMap { key: f, .. })
                        | (None, automerge::PatchAction::DeleteMap { key: f }) => Some(f.clone()),
                        _ => None,
                    };
                    if let Some(f) = field
                        && f != CREATED
                        && !fields.contains(&f)
                    {
                        fields.push(f);
                    }
                }
            }
            let Some(kind) = kind else { continue };
            let Ok(actor) = <[u8; 16]>::try_from(meta.actor.to_bytes()) else {
                continue;
            };
            fields.sort();
            out.push(HistoryStep {
                actor,
                time: meta.timestamp,
                kind,
                fields,
            });
        }
        Ok(out)
    }

    /// One entry, if present.
    pub fn get(&self, id: &EntryId) -> Result<Option<StoredEntry>, RecordError> {
        match self.entry_obj(id)? {
            Some(obj) => self.decode(id.as_str(), &obj).map(Some),
            None => Ok(None),
        }
    }

    /// Every entry that decodes, oldest first. Entries that do not decode (written by a
    /// newer version, or malformed by a hostile writer) are counted, not returned.
    pub fn entries_lossy(&self) -> Result<(Vec<StoredEntry>, usize), RecordError> {
        let mut bad = 0;
        let mut objects = Vec::new();
        for item in self.doc.map_range(ROOT, ..) {
            if item.key.starts_with('_') {
                // Bookkeeping (re-issue markers), not an entry.
                continue;
            }
            if matches!(item.value, ValueRef::Object(ObjType::Map)) {
                objects.push((item.key.to_string(), item.id()));
            } else {
                bad += 1;
            }
        }
        // Decoding (hydrating each entry and reading it back as typed data) is most of
        // the cost of listing a large section, and each entry stands alone: spread over
        // the cores when there are enough entries to be worth a thread.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(objects.len() / PARALLEL_DECODE_MIN)
            .max(1);
        let decode = |part: &[(String, ExId)]| {
            let mut ok = Vec::with_capacity(part.len());
            let mut failed = 0;
            for (key, id) in part {
                match self.decode(key, id) {
                    Ok(e) => ok.push(e),
                    Err(_) => failed += 1,
                }
            }
            (ok, failed)
        };
        let mut out = Vec::with_capacity(objects.len());
        if threads == 1 {
            let (ok, failed) = decode(&objects);
            out = ok;
            bad += failed;
        } else {
            let chunk = objects.len().div_ceil(threads);
            let parts: Vec<(Vec<StoredEntry>, usize)> = std::thread::scope(|scope| {
                let handles: Vec<_> = objects
                    .chunks(chunk)
                    .map(|part| scope.spawn(move || decode(part)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            });
            for (ok, failed) in parts {
                out.extend(ok);
                bad += failed;
            }
        }
        out.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok((out, bad))
    }

    /// Every entry, oldest first (see [`SectionDoc::entries_lossy`]).
    pub fn entries(&self) -> Result<Vec<StoredEntry>, RecordError> {
        Ok(self.entries_lossy()?.0)
    }

    /// Merges changes received from elsewhere; changes already present are ignored, and
    /// changes whose dependencies are missing wait until those arrive.
    pub fn apply(&mut self, changes: &ChangeSet) -> Result<(), RecordError> {
        let ready = self.ready(&changes.0, &std::collections::HashSet::new());
        if let Err(e) = self.check_actors(&ready) {
            // Nothing of this call is kept: what waited before waits on.
            self.waiting
                .retain(|w| !changes.0.iter().any(|c| c.hash() == w.hash()));
            return Err(e);
        }
        self.apply_guarded(&ready)?.map_err(am)?;
        self.note_actors(&ready);
        Ok(())
    }

    /// Changes this document must never apply, nor any change building on them: ones
    /// Automerge could not apply ([`RecordError::Unapplicable`]) when the section was
    /// loaded before.
    pub fn refuse(&mut self, hashes: impl IntoIterator<Item = [u8; 32]>) {
        self.refused.extend(hashes);
    }

    /// Applies `changes` through Automerge, turning a panic in it (Automerge 0.12 trusts
    /// a change's internal references and panics on malformed ones, which a hostile
    /// member can send) into [`RecordError::Unapplicable`]: the caller drops this
    /// document and loads the section again with them refused.
    fn apply_guarded(
        &mut self,
        changes: &[Change],
    ) -> Result<Result<(), automerge::AutomergeError>, RecordError> {
        let doc = &mut self.doc;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            doc.apply_changes(changes.iter().cloned())
        }))
        .map_err(|_| RecordError::Unapplicable {
            hashes: changes.iter().map(|c| c.hash().0).collect(),
        })
    }

    /// The changes of `incoming` and of those waiting that can be applied now (every
    /// dependency held, given in this call before them, or in `as_held`), in an order that
    /// puts dependencies first; the others wait.
    fn ready(
        &mut self,
        incoming: &[Change],
        as_held: &std::collections::HashSet<[u8; 32]>,
    ) -> Vec<Change> {
        let mut rest: Vec<Change> = std::mem::take(&mut self.waiting);
        for c in incoming {
            if !rest.iter().any(|r| r.hash() == c.hash()) {
                rest.push(c.clone());
            }
        }
        // Refused changes, and what builds on them, are dropped (in dependency order, so
        // a chain of them goes whole).
        if !self.refused.is_empty() {
            loop {
                let before = self.refused.len();
                for c in &rest {
                    if c.deps().iter().any(|d| self.refused.contains(&d.0)) {
                        self.refused.insert(c.hash().0);
                    }
                }
                if self.refused.len() == before {
                    break;
                }
            }
            rest.retain(|c| !self.refused.contains(&c.hash().0));
        }
        let mut given: std::collections::HashSet<automerge::ChangeHash> =
            std::collections::HashSet::new();
        let mut ready = Vec::new();
        loop {
            let before = ready.len();
            let mut next = Vec::new();
            for c in rest {
                let deps_held = c.deps().iter().all(|d| {
                    given.contains(d)
                        || as_held.contains(&d.0)
                        || self.doc.get_change_meta_by_hash(d).is_some()
                });
                if deps_held {
                    given.insert(c.hash());
                    ready.push(c);
                } else {
                    next.push(c);
                }
            }
            rest = next;
            if ready.len() == before || rest.is_empty() {
                break;
            }
        }
        self.waiting = rest;
        ready
    }

    /// Refuses changes whose operations name an actor that wrote nothing this document or
    /// the batch holds: no honest writer can refer to such an actor, and Automerge 0.12
    /// panics applying them (it unwraps the actor's lookup), so a hostile member's change
    /// set would otherwise crash its receiver.
    fn check_actors(&mut self, changes: &[Change]) -> Result<(), RecordError> {
        if self.refer_to_strangers(changes).is_empty() {
            return Ok(());
        }
        Err(RecordError::Malformed(
            "a change refers to a writer that wrote nothing in this section".into(),
        ))
    }

    /// The changes of `changes` (dependencies first, each with its history held or before
    /// it) whose operations name an actor that wrote none of the changes this document
    /// holds or that come before it.
    fn refer_to_strangers(&mut self, changes: &[Change]) -> Vec<automerge::ChangeHash> {
        let needs_history = {
            let batch: std::collections::HashSet<&ActorId> =
                changes.iter().map(|c| c.actor_id()).collect();
            changes
                .iter()
                .flat_map(|c| c.other_actor_ids())
                .any(|a| !batch.contains(a))
        };
        if !needs_history {
            return Vec::new();
        }
        let known_now = |doc: &Automerge| -> std::collections::HashSet<ActorId> {
            doc.get_changes(&[])
                .iter()
                .map(|c| c.actor_id().clone())
                .collect()
        };
        let scan = |known: &std::collections::HashSet<ActorId>| {
            let mut known = known.clone();
            let mut out = Vec::new();
            for c in changes {
                if c.other_actor_ids().iter().any(|a| !known.contains(a)) {
                    out.push(c.hash());
                } else {
                    known.insert(c.actor_id().clone());
                }
            }
            out
        };
        if self.actors.is_none() {
            self.actors = Some(known_now(&self.doc));
        }
        let out = scan(self.actors.as_ref().unwrap_or(&Default::default()));
        if out.is_empty() {
            return out;
        }
        // The cache may miss this document's own local changes since it was made.
        self.actors = Some(known_now(&self.doc));
        scan(self.actors.as_ref().unwrap_or(&Default::default()))
    }

    /// Keeps the known actors up to date after `changes` were applied.
    fn note_actors(&mut self, changes: &[Change]) {
        if let Some(known) = &mut self.actors {
            known.extend(changes.iter().map(|c| c.actor_id().clone()));
        }
    }

    /// [`SectionDoc::apply`] that never fails on a *forked actor*: a change whose (actor,
    /// sequence number) is already taken by a different change (two writers of one device
    /// that each edited a stale copy, as vaults before the fix for concurrent writers
    /// did), or that depends on such a change, is set aside instead of breaking the whole
    /// section. `set_aside` holds the hashes set aside so far (in this load and earlier
    /// ones) and is extended; the changes newly set aside are returned, in order, for
    /// their writer to re-issue ([`SectionDoc::reissue`]). Replayed in the same order,
    /// every vault sets aside the same changes.
    pub fn apply_tolerant(
        &mut self,
        changes: &ChangeSet,
        set_aside: &mut std::collections::HashSet<[u8; 32]>,
    ) -> Result<ChangeSet, RecordError> {
        let depends_on_set_aside = |c: &Change, s: &std::collections::HashSet<[u8; 32]>| {
            c.deps().iter().any(|d| s.contains(&d.0))
        };
        let mut ready = self.ready(&changes.0, set_aside);
        // A change naming a writer absent from its history cannot be applied (Automerge
        // would panic) and no honest writer makes one: it is set aside for good, like the
        // changes that build on it, and never re-issued, so that the section stays
        // readable whatever a hostile member stored.
        let strangers = self.refer_to_strangers(&ready);
        if !strangers.is_empty() {
            for h in &strangers {
                set_aside.insert(h.0);
            }
            ready.retain(|c| !strangers.contains(&c.hash()));
        }
        let changes = ChangeSet(ready);
        if !changes.0.iter().any(|c| depends_on_set_aside(c, set_aside)) {
            match self.apply_guarded(&changes.0)? {
                Ok(()) => {
                    self.note_actors(&changes.0);
                    return Ok(ChangeSet::default());
                }
                // Checked before anything is applied: fall back to one change at a time.
                Err(automerge::AutomergeError::DuplicateSeqNumber(..)) => {}
                Err(e) => return Err(am(e)),
            }
        }
        let mut out = Vec::new();
        for c in &changes.0 {
            if self.doc.get_change_meta_by_hash(&c.hash()).is_some() {
                continue;
            }
            if depends_on_set_aside(c, set_aside) {
                set_aside.insert(c.hash().0);
                out.push(c.clone());
                continue;
            }
            match self.apply_guarded(std::slice::from_ref(c))? {
                Ok(()) => self.note_actors(std::slice::from_ref(c)),
                Err(automerge::AutomergeError::DuplicateSeqNumber(..)) => {
                    set_aside.insert(c.hash().0);
                    out.push(c.clone());
                }
                Err(e) => return Err(am(e)),
            }
        }
        Ok(ChangeSet(out))
    }

    /// Whether the content of the set-aside change `hash` was already re-issued (by
    /// [`SectionDoc::reissue`], here or on a device this one synced with).
    pub fn is_reissued(&self, hash: &[u8; 32]) -> bool {
        matches!(self.doc.get(ROOT, reissued_key(hash)), Ok(Some(_)))
    }

    /// Re-issues the content of set-aside changes (see [`SectionDoc::apply_tolerant`]) as
    /// new changes of this document's actor: what each did to each entry (created, changed
    /// fields, removed), replayed on the document as it is, with a marker per change so
    /// that it is done once. `orphans` are this actor's set-aside changes and `context`
    /// any others set aside, each in the order they were made. Each orphan is replayed on
    /// its own history (what it builds on: changes this document holds and set-aside
    /// changes of either list), so stale copies that made lines of changes with the same
    /// sequence numbers are each re-issued. Returns one new change per orphan re-issued
    /// (none when there is nothing to re-issue) and how many orphans could not be replayed
    /// because something they build on is missing; those stay set aside, unmarked.
    pub fn reissue(
        &mut self,
        orphans: &ChangeSet,
        context: &ChangeSet,
    ) -> Result<Reissued, RecordError> {
        let pool: HashMap<automerge::ChangeHash, &Change> = context
            .0
            .iter()
            .chain(&orphans.0)
            .map(|c| (c.hash(), c))
            .collect();
        let mut out = Reissued::default();
        for c in &orphans.0 {
            if self.is_reissued(&c.hash().0) {
                continue;
            }
            let before = self.doc.get_heads();
            // Each orphan commits whole or not at all: one that fails is left set aside,
            // and the document holds exactly the parts returned.
            match self.reissue_one(c, &pool) {
                Ok(true) => out.parts.push(self.changes_since(&before)),
                Ok(false) | Err(_) => out.skipped += 1,
            }
        }
        Ok(out)
    }

    /// Re-issues one orphan (see [`SectionDoc::reissue`]); `false` when its history is
    /// incomplete.
    fn reissue_one(
        &mut self,
        orphan: &Change,
        pool: &HashMap<automerge::ChangeHash, &Change>,
    ) -> Result<bool, RecordError> {
        // Its set-aside ancestors, and what they all build on in this document.
        let mut history: Vec<Change> = Vec::new();
        let mut base: Vec<automerge::ChangeHash> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut todo: Vec<automerge::ChangeHash> = orphan.deps().to_vec();
        while let Some(h) = todo.pop() {
            if !seen.insert(h) {
                continue;
            }
            if let Some(c) = pool.get(&h) {
                history.push((*c).clone());
                todo.extend(c.deps().iter().copied());
            } else if self.doc.get_change_meta_by_hash(&h).is_some() {
                base.push(h);
            } else {
                return Ok(false);
            }
        }
        base.sort();
        base.dedup();
        let mut fork = self.doc.fork_at(&base).map_err(am)?;
        let wanted: Vec<automerge::ChangeHash> = history.iter().map(Change::hash).collect();
        if fork.apply_changes(history).is_err()
            || wanted
                .iter()
                .any(|h| fork.get_change_meta_by_hash(h).is_none())
        {
            return Ok(false);
        }
        let before = fork.get_heads();
        if fork.apply_changes([orphan.clone()]).is_err()
            || fork.get_change_meta_by_hash(&orphan.hash()).is_none()
        {
            return Ok(false);
        }
        let old = fork.hydrate(Some(&before));
        let new = fork.hydrate(None);
        let (hydrate::Value::Map(old), hydrate::Value::Map(new)) = (old, new) else {
            return Err(RecordError::Malformed("a section root is not a map".into()));
        };
        let mut current: HashMap<String, ExId> = HashMap::new();
        for item in self.doc.map_range(ROOT, ..) {
            if matches!(item.value, ValueRef::Object(ObjType::Map)) {
                current.insert(item.key.to_string(), item.id());
            }
        }
        let mut tx = self.doc.transaction();
        let result = (|| {
            for (key, value) in new.iter() {
                if key.starts_with('_') || old.get(key) == Some(&value.value) {
                    continue;
                }
                match current.get(key.as_str()) {
                    Some(obj) => tx.update_object(obj, &value.value).map_err(am)?,
                    None => {
                        tx.batch_create_object(ROOT, key, &value.value, false)
                            .map_err(am)?;
                    }
                }
            }
            for (key, _) in old.iter() {
                if !key.starts_with('_')
                    && new.get(key).is_none()
                    && current.contains_key(key.as_str())
                {
                    tx.delete(ROOT, key.as_str()).map_err(am)?;
                }
            }
            tx.put(ROOT, reissued_key(&orphan.hash().0), true)
                .map_err(am)?;
            Ok::<(), RecordError>(())
        })();
        if let Err(e) = result {
            tx.rollback();
            return Err(e);
        }
        tx.commit_with(stamped());
        Ok(true)
    }
}

/// What [`SectionDoc::reissue`] did.
#[derive(Debug, Default)]
pub struct Reissued {
    /// Per orphan re-issued, in order: the new change to seal (one envelope each, as the
    /// orphan was). Attachments need nothing more: every receiver holds the orphan's
    /// envelope, and the blobs that came with it, before the chain that re-issues it.
    pub parts: Vec<ChangeSet>,
    /// Orphans that could not be replayed (something they build on is missing).
    pub skipped: usize,
}

/// Commit options that record when a change was made (Unix seconds), so a reader can say
/// when each field was written. Changes of builds before this carry time 0.
fn stamped() -> automerge::transaction::CommitOptions {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    automerge::transaction::CommitOptions::default().with_time(now)
}

/// One field of an entry whose current value was written after the entry was created, by
/// whom and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldWrite {
    /// The field, as named in the entry's JSON form.
    pub field: String,
    /// The Automerge actor that wrote the current value (for a nested value: its newest
    /// part).
    pub actor: [u8; 16],
    /// When (Unix seconds), or 0 when the change did not say (written by an older build).
    pub time: i64,
}

/// What one change did to an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// It created the entry.
    Created,
    /// It changed fields of it.
    Changed,
    /// It removed the entry.
    Removed,
}

/// One change in an entry's history (see [`SectionDoc::history`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryStep {
    /// The actor that made the change.
    pub actor: [u8; 16],
    /// When (Unix seconds), or 0 when the change did not say (an older build).
    pub time: i64,
    /// What it did.
    pub kind: HistoryKind,
    /// The fields it wrote (for a creation: every field).
    pub fields: Vec<String>,
}

/// The newer of two op ids (by Lamport counter, then actor).
fn newer(a: ExId, b: ExId) -> ExId {
    match (&a, &b) {
        (ExId::Id(ca, aa, _), ExId::Id(cb, ab, _)) => {
            if (cb, ab.to_bytes()) > (ca, aa.to_bytes()) {
                b
            } else {
                a
            }
        }
        (ExId::Root, _) => b,
        _ => a,
    }
}

/// The root key marking a set-aside change as re-issued. Entry ids never start with `_`.
fn reissued_key(hash: &[u8; 32]) -> String {
    format!("_reissued:{}", data_encoding::HEXLOWER.encode(hash))
}

#[cfg(test)]
mod tests {

    /// Automerge's panics on malformed changes become an error the vault can act on
    /// (reload the section refusing them), whatever check before apply missed them.
    #[test]
    fn a_panic_inside_automerge_becomes_an_unapplicable_error() {
        let bytes = include_bytes!("../tests/regressions/changeset-unknown-actor");
        let changes = ChangeSet::from_bytes(bytes).unwrap();
        let mut doc = SectionDoc::new(SectionId::Notes, [1; 16]);
        // Straight to Automerge, past the actor check.
        match doc.apply_guarded(&changes.0) {
            Err(RecordError::Unapplicable { hashes }) => {
                assert_eq!(hashes, changes.hashes());
            }
            other => panic!("the panic was not caught: {other:?}"),
        }
        // Refused, the same changes are dropped before Automerge sees them.
        let mut fresh = SectionDoc::new(SectionId::Notes, [1; 16]);
        fresh.refuse(changes.hashes());
        let mut set_aside = std::collections::HashSet::new();
        assert!(
            fresh
                .apply_tolerant(&changes, &mut set_aside)
                .unwrap()
                .is_empty()
        );
        assert!(fresh.entries().unwrap().is_empty());
    }
    use super::*;

    /// An input the `changeset` fuzz target aborted on ("panic in a function that cannot
    /// unwind", 2026-12-01): decoding and applying it, as a receiver does, must end in a
    /// value or an error, never take the process down.
    #[test]
    fn a_change_set_the_fuzzer_aborted_on_is_decoded_or_refused() {
        let bytes = include_bytes!("../tests/regressions/changeset-nounwind");
        if let Ok(changes) = ChangeSet::from_bytes(bytes) {
            let mut doc = SectionDoc::new(SectionId::Notes, [1; 16]);
            if doc.apply(&changes).is_ok() {
                let _ = doc.entries();
            }
            let mut set_aside = std::collections::HashSet::new();
            let mut again = SectionDoc::new(SectionId::Notes, [1; 16]);
            if again.apply_tolerant(&changes, &mut set_aside).is_ok() {
                let _ = again.entries();
            }
        }
    }

    /// An Automerge bundle chunk whose run-length columns expand 144 bytes into a 2 GiB
    /// allocation (found by the `changeset` fuzz target) is refused before Automerge
    /// parses it (every other test decodes plain changes of ours).
    #[test]
    fn only_plain_change_chunks_are_handed_to_automerge() {
        let bomb = include_bytes!("../tests/regressions/changeset-bundle-bomb");
        let err = ChangeSet::from_bytes(bomb).unwrap_err();
        assert!(
            err.to_string().contains("not a plain Automerge change"),
            "{err}"
        );
    }
    use crate::{Allergy, Code, Criticality, Measurement, Note, Profile};

    fn allergy(s: &str) -> Entry {
        Entry::Allergy(Allergy {
            substance: s.into(),
            code: None,
            criticality: None,
            reaction: None,
            onset: None,
        })
    }

    #[test]
    fn a_large_section_lists_every_entry_once_in_order() {
        // Enough entries to be decoded on several threads where there are cores.
        let n = 2 * PARALLEL_DECODE_MIN + 7;
        let mut doc = SectionDoc::new(SectionId::Allergies, [1; 16]);
        let mut ids = Vec::new();
        for i in 0..n {
            ids.push(doc.insert(&allergy(&format!("substance {i}"))).unwrap().0);
        }
        let listed = doc.entries().unwrap();
        assert_eq!(listed.len(), n);
        for w in listed.windows(2) {
            assert!(
                (&w[0].created, &w[0].id) <= (&w[1].created, &w[1].id),
                "out of order"
            );
        }
        let mut got: Vec<_> = listed.iter().map(|e| e.id.clone()).collect();
        got.sort();
        ids.sort();
        assert_eq!(got, ids);
        for e in &listed {
            assert_eq!(doc.get(&e.id).unwrap().unwrap().entry, e.entry);
        }
    }

    #[test]
    fn insert_get_update_remove_round_trip() {
        let mut doc = SectionDoc::new(SectionId::Allergies, [1; 16]);
        let (id, changes) = doc.insert(&allergy("Peanut")).unwrap();
        assert!(!changes.is_empty());
        let got = doc.get(&id).unwrap().unwrap();
        assert_eq!(got.entry, allergy("Peanut"));
        assert_eq!(got.author_actor, [1; 16]);
        let updated = Entry::Allergy(Allergy {
            substance: "Peanut".into(),
            code: Some(Code::parse("snomed|91935009").unwrap()),
            criticality: Some(Criticality::High),
            reaction: Some("hives".into()),
            onset: None,
        });
        doc.update(&id, &updated).unwrap();
        let got = doc.get(&id).unwrap().unwrap();
        assert_eq!(got.entry, updated);
        assert_eq!(got.author_actor, [1; 16], "the creator stays the author");
        doc.remove(&id).unwrap();
        assert!(doc.get(&id).unwrap().is_none());
        assert!(matches!(doc.remove(&id), Err(RecordError::NotFound(_))));
        assert!(matches!(
            doc.update(&id, &updated),
            Err(RecordError::NotFound(_))
        ));
    }

    #[test]
    fn entries_go_in_their_own_section_and_keep_their_kind() {
        let mut doc = SectionDoc::new(SectionId::Notes, [1; 16]);
        assert!(matches!(
            doc.insert(&allergy("x")),
            Err(RecordError::WrongSection { .. })
        ));
        let (id, _) = doc
            .insert(&Entry::Note(Note {
                text: "a".into(),
                title: None,
            }))
            .unwrap();
        let nk = Entry::NoneKnown(crate::NoneKnown {
            section: SectionId::Notes,
            asserted: "2024".parse().unwrap(),
        });
        assert!(doc.update(&id, &nk).is_err());
    }

    #[test]
    fn one_profile_per_record() {
        let mut doc = SectionDoc::new(SectionId::Profile, [1; 16]);
        let p = Entry::Profile(Profile {
            name: "A".into(),
            birth_date: None,
            sex: None,
            blood_group: None,
            emergency_contact: None,
            advance_directives: None,
            identifiers: Vec::new(),
        });
        doc.insert(&p).unwrap();
        assert!(matches!(doc.insert(&p), Err(RecordError::ProfileExists(_))));
    }

    #[test]
    fn save_load_and_change_exchange() {
        let mut a = SectionDoc::new(SectionId::Measurements, [1; 16]);
        let m = Entry::Measurement(
            Measurement::from_input(
                "blood-pressure",
                "120/80",
                "mmHg",
                "2024-01-01T08:00:00Z".parse().unwrap(),
                None,
            )
            .unwrap(),
        );
        let (id, changes) = a.insert(&m).unwrap();
        let loaded = SectionDoc::load(SectionId::Measurements, &a.save(), [2; 16]).unwrap();
        assert_eq!(loaded.get(&id).unwrap().unwrap().entry, m);
        let mut b = SectionDoc::new(SectionId::Measurements, [2; 16]);
        let bytes = changes.to_bytes();
        let decoded = ChangeSet::from_bytes(&bytes).unwrap();
        assert_eq!(decoded.actors(), vec![[1; 16]]);
        b.apply(&decoded).unwrap();
        b.apply(&decoded).unwrap();
        assert_eq!(b.entries().unwrap(), a.entries().unwrap());
        assert!(SectionDoc::load(SectionId::Notes, b"junk", [1; 16]).is_err());
    }

    #[test]
    fn concurrent_edits_of_different_fields_both_survive() {
        let mut a = SectionDoc::new(SectionId::Allergies, [1; 16]);
        let (id, c0) = a.insert(&allergy("Latex")).unwrap();
        let mut b = SectionDoc::new(SectionId::Allergies, [2; 16]);
        b.apply(&c0).unwrap();
        let ca = a
            .update(
                &id,
                &Entry::Allergy(Allergy {
                    substance: "Latex".into(),
                    code: None,
                    criticality: Some(Criticality::High),
                    reaction: None,
                    onset: None,
                }),
            )
            .unwrap();
        let cb = b
            .update(
                &id,
                &Entry::Allergy(Allergy {
                    substance: "Latex".into(),
                    code: None,
                    criticality: None,
                    reaction: Some("rash".into()),
                    onset: None,
                }),
            )
            .unwrap();
        a.apply(&cb).unwrap();
        b.apply(&ca).unwrap();
        let ea = a.get(&id).unwrap().unwrap().entry;
        assert_eq!(ea, b.get(&id).unwrap().unwrap().entry);
        let Entry::Allergy(al) = ea else { panic!() };
        assert_eq!(al.criticality, Some(Criticality::High));
        assert_eq!(al.reaction.as_deref(), Some("rash"));
    }

    #[test]
    fn later_writes_name_the_writer_of_each_changed_field() {
        let mut a = SectionDoc::new(SectionId::Allergies, [1; 16]);
        let (id, c0) = a.insert(&allergy("Penicillin")).unwrap();
        assert!(a.later_writes(&id).unwrap().is_empty(), "as created");
        let mut b = SectionDoc::new(SectionId::Allergies, [2; 16]);
        b.apply(&c0).unwrap();
        let edited = Entry::Allergy(Allergy {
            substance: "Amoxicillin".into(),
            code: Some(Code::parse("snomed|91936005").unwrap()),
            criticality: None,
            reaction: None,
            onset: None,
        });
        let c1 = b.update(&id, &edited).unwrap();
        a.apply(&c1).unwrap();
        let writes = a.later_writes(&id).unwrap();
        let fields: Vec<&str> = writes.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["code", "substance"]);
        assert!(writes.iter().all(|w| w.actor == [2; 16] && w.time > 0));
        // The creator stays the author; a later edit by the creator is theirs.
        assert_eq!(a.get(&id).unwrap().unwrap().author_actor, [1; 16]);
        let mut again = edited.clone();
        if let Entry::Allergy(x) = &mut again {
            x.substance = "Ampicillin".into();
        }
        a.update(&id, &again).unwrap();
        let writes = a.later_writes(&id).unwrap();
        let by: Vec<(&str, [u8; 16])> =
            writes.iter().map(|w| (w.field.as_str(), w.actor)).collect();
        assert_eq!(by, [("code", [2; 16]), ("substance", [1; 16])]);
    }

    #[test]
    fn hostile_change_sets_are_refused() {
        assert!(ChangeSet::from_bytes(b"").is_err());
        assert!(ChangeSet::from_bytes(&[5, 1, 2, 3]).is_err());
        // A change by an actor that is not 16 bytes.
        let mut doc = Automerge::new().with_actor(ActorId::from([9u8; 5]));
        let before = doc.get_heads();
        let mut tx = doc.transaction();
        tx.put(ROOT, "x", 1).unwrap();
        tx.commit();
        let bytes = ChangeSet(doc.get_changes(&before)).to_bytes();
        assert!(ChangeSet::from_bytes(&bytes).is_err());
    }
}
