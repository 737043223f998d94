//! FHIR R4 Bundle -> Carnet entries.
//!
//! Two passes over the bundle: every entry is validated first (structure against R4, then
//! what the mapping needs), and only when no entry has a problem is anything returned.
//! The caller commits the result in one transaction: an import is all or nothing.

use std::collections::{BTreeMap, HashMap};

use carnet_record::{
    Allergy, Censor, Code, Component, Condition, ConditionStatus, Criticality, Date, DateTime,
    DocType, EmergencyContact, Entry, IPS_ABSENT_SYSTEM, Immunization, ImmunizationStatus,
    Measurement, Medication, MedicationStatus, NoneKnown, Onset, Procedure, ProcedureStatus,
    Profile, Reading, ReadingSet, ReferenceRange, SectionId, Sex, UNUSUAL_CONFIRMED, systems,
};
use serde_json::Value;

use crate::error::{FhirError, Problem};
use crate::identity::{PatientIdentity, of_patient};
use crate::schema::{MAPPED, schema};

/// The largest bundle read in one piece. A bundle is parsed whole (JSON has no index), and
/// its parsed form takes several times its size in memory: past this, split the export.
pub const MAX_BUNDLE_BYTES: u64 = 64 * 1024 * 1024;

/// Bundle types that carry a record's resources.
const BUNDLE_TYPES: &[&str] = &[
    "collection",
    "document",
    "transaction",
    "batch",
    "searchset",
];

/// A document to store as an encrypted attachment.
#[derive(Clone, Debug, PartialEq)]
pub struct NewDocument {
    /// Title shown in lists.
    pub title: String,
    /// Kind of document.
    pub doc_type: DocType,
    /// Date of the document.
    pub date: DateTime,
    /// MIME type.
    pub media_type: String,
    /// File name, if the source gave one.
    pub file_name: Option<String>,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// One thing an import adds to the record.
// An entry is the common case, and items are moved, not stored: boxing it would cost an
// allocation per entry for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// An ordinary entry.
    Entry(Entry),
    /// An attachment with its document entry.
    Document(NewDocument),
    /// Device readings, to pack into series blocks.
    Readings(ReadingSet),
    /// Censored device readings ("Low", "High", "<40"): each value is the limit of the
    /// device's range, on the side `censor` says; packed into blocks marked so.
    Censored {
        /// The readings, each at the limit.
        set: ReadingSet,
        /// Which side of the limit the true values lie.
        censor: Censor,
    },
}

/// An item and the source type it came from (`Observation`, `glucose`...), for the counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapped {
    /// The FHIR resource type (or device reading kind) it came from.
    pub label: String,
    /// What to add.
    pub item: Item,
}

/// What a bundle maps to, before anything is stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Import {
    /// Everything to add, in bundle order.
    pub items: Vec<Mapped>,
    /// Resources not mapped, by resource type.
    pub skipped: BTreeMap<String, usize>,
    /// Why they were skipped, in words, with counts.
    pub reasons: BTreeMap<String, usize>,
    /// Who the bundle is about (its Patient, or the one chosen with
    /// [`ReadOptions::patient_ref`]), to compare with the record's person before storing.
    pub patient: Option<PatientIdentity>,
}

/// Choices of the person importing a bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// In a bundle about several patients, the one to import: `Patient/id`, the id alone,
    /// or the entry's fullUrl. Resources about the others are counted as skipped.
    pub patient_ref: Option<String>,
    /// Store measurements unusual for their kind (7250 kg, glucose 7.2 mg/dL), marked as
    /// confirmed, instead of refusing the bundle.
    pub confirm_unusual: bool,
    /// The time after which a past event is refused [default: the clock's now].
    pub now: Option<DateTime>,
    /// Lenient import: a resource that is not valid R4 is left out and listed with the
    /// reason instead of refusing the bundle, and defects only in what Carnet does not
    /// keep (id, meta, narrative, extensions) are listed and ignored. Off by default: an
    /// import is all or nothing.
    pub skip_invalid: bool,
    /// Where a streamed import keeps documents aside, encrypted under a key held in memory
    /// only, until the bundle is mapped (removed whatever happens) [default: the system's
    /// temporary directory]. The CLI gives the vault's directory.
    pub spool_dir: Option<std::path::PathBuf>,
}

impl Import {
    fn skip(&mut self, rtype: &str, why: &str) {
        *self.skipped.entry(rtype.to_string()).or_default() += 1;
        *self.reasons.entry(format!("{rtype}: {why}")).or_default() += 1;
    }

    fn add(&mut self, rtype: &str, item: Item) {
        self.items.push(Mapped {
            label: rtype.to_string(),
            item,
        });
    }
}

/// Where a problem is, while mapping one entry.
struct Ctx<'a> {
    index: usize,
    /// Its position among the entries held (for the index's report times).
    pos: usize,
    label: String,
    problems: &'a mut Vec<Problem>,
    /// The time past events may not come after.
    now: DateTime,
    /// Whether unusual values are stored (marked) rather than refused.
    confirm_unusual: bool,
}

impl Ctx<'_> {
    fn problem(&mut self, path: &str, message: String) {
        self.problems.push(Problem {
            entry: Some(self.index),
            resource: Some(self.label.clone()),
            path: path.to_string(),
            message,
        });
    }
}

fn sniff(bytes: &[u8]) -> Result<&[u8], FhirError> {
    if bytes.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(FhirError::TooLarge {
            size: bytes.len() as u64,
            max: MAX_BUNDLE_BYTES,
        });
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(bytes),
        Some(_) => {
            let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            Err(FhirError::NotJson(format!(
                "it does not start with '{{' (first bytes: {})",
                head.join(" ")
            )))
        }
        None => Err(FhirError::NotJson("it is empty".into())),
    }
}

/// Parses, validates and maps an R4 Bundle (collection, document, transaction, batch or
/// searchset). `progress(done, total)` is called as entries are mapped. A bundle about
/// several patients is refused: see [`read_bundle_with`] to choose one.
pub fn read_bundle(
    bytes: &[u8],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Import, FhirError> {
    read_bundle_with(bytes, &ReadOptions::default(), progress)
}

/// [`read_bundle`], with the importing person's choices (which patient of a bundle about
/// several).
pub fn read_bundle_with(
    bytes: &[u8],
    options: &ReadOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Import, FhirError> {
    let bytes = sniff(bytes)?;
    read_json(bytes, options, progress)
}

/// The largest single resource (or other element of the Bundle) a streamed bundle may
/// hold: a hostile file cannot make one parse grow without bound.
pub const MAX_RESOURCE_BYTES: u64 = 64 * 1024 * 1024;

/// The most JSON held until the end of a streamed bundle: every resource but the device
/// readings, which are mapped as they come (a resource may refer to any other, so the
/// rest is read whole first). Carnet's own exports hold their series as readings.
pub const MAX_HELD_BYTES: u64 = 64 * 1024 * 1024;

/// [`read_bundle_with`], streamed from a reader (a file of any size): the entries are
/// read one at a time, device glucose readings (one Observation per reading, or per day
/// with `valueSampledData`) are validated and mapped as they come and kept as readings
/// only, the other resources are held (at most [`MAX_HELD_BYTES`]) and mapped at the
/// end, so a dense series of years is never held as JSON. Nothing is returned unless
/// every entry is valid (all or nothing, unless `skip_invalid`); one resource over
/// [`MAX_RESOURCE_BYTES`] refuses the file.
pub fn read_bundle_from(
    reader: impl std::io::Read,
    options: &ReadOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Import, FhirError> {
    use std::io::BufRead;
    let mut r = std::io::BufReader::with_capacity(1 << 16, reader);
    // The first bytes, as `sniff` checks them: a byte-order mark, then '{'.
    let mut first = true;
    loop {
        let buf = r
            .fill_buf()
            .map_err(|e| FhirError::NotJson(format!("it could not be read: {e}")))?;
        if buf.is_empty() {
            return Err(FhirError::NotJson("it is empty".into()));
        }
        if first && buf.starts_with(b"\xef\xbb\xbf") {
            r.consume(3);
            first = false;
            continue;
        }
        first = false;
        let ws = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if ws == buf.len() {
            r.consume(ws);
            continue;
        }
        if buf[ws] != b'{' {
            let head: Vec<String> = buf[ws..]
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect();
            return Err(FhirError::NotJson(format!(
                "it does not start with '{{' (first bytes: {})",
                head.join(" ")
            )));
        }
        break;
    }
    read_json(r, options, progress)
}

/// Bytes read so far and the position past which reading is refused (the end of the
/// resource being read may not lie beyond it).
#[derive(Default)]
pub(crate) struct Limits {
    pub(crate) pos: std::cell::Cell<u64>,
    pub(crate) limit: std::cell::Cell<u64>,
    tripped: std::cell::Cell<bool>,
}

impl Limits {
    pub(crate) fn allow(&self, n: u64) {
        self.limit.set(self.pos.get().saturating_add(n));
    }
}

struct Counting<'l, R> {
    inner: R,
    limits: &'l Limits,
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let l = self.limits;
        if l.pos.get() >= l.limit.get() {
            l.tripped.set(true);
            return Err(std::io::Error::other("a resource is larger than allowed"));
        }
        let room = (l.limit.get() - l.pos.get()).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        l.pos.set(l.pos.get() + n as u64);
        Ok(n)
    }
}

/// Device readings mapped while streaming, per series and per the `subject` they name
/// (to choose a patient at the end in a bundle about several).
type StreamKey = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<Censor>,
);

struct Streamed {
    /// Key -> (the subject as given, label, the set, resources it came from).
    sets: BTreeMap<StreamKey, (Value, String, ReadingSet, usize)>,
    /// Entries of confirmed unusual values (single measurements), with their subject.
    entries: Vec<(Value, Mapped)>,
    skipped: BTreeMap<String, usize>,
    reasons: BTreeMap<String, usize>,
    readings: usize,
}

/// What the streaming pass keeps of a bundle.
struct Stream<'a> {
    options: &'a ReadOptions,
    limits: &'a Limits,
    now: DateTime,
    top: serde_json::Map<String, Value>,
    /// Entries held for the second pass, with their index in `Bundle.entry`.
    held: Vec<(usize, Value)>,
    held_bytes: u64,
    count: usize,
    entry_not_list: Option<&'static str>,
    problems: Vec<Problem>,
    streamed: Streamed,
    fatal: Option<FhirError>,
    progress: &'a mut dyn FnMut(usize, usize),
    /// Documents' data kept aside, encrypted.
    spool: &'a mut crate::spool::Spool,
}

/// A device glucose reading with a time of its own: mapped as it comes.
fn streamable(e: &Value) -> bool {
    let r = &e["resource"];
    r["resourceType"] == "Observation"
        && e.get("search").is_none()
        && (r.get("effectiveDateTime").is_some()
            || r.get("effectiveInstant").is_some()
            || r["effectivePeriod"].get("start").is_some())
        && r["code"]["coding"].as_array().is_some_and(|cs| {
            cs.iter().any(|c| {
                c["system"] == systems::LOINC
                    && c["code"].as_str().is_some_and(|code| {
                        crate::devices::is_device_glucose(&Code::new(systems::LOINC, code, None))
                    })
            })
        })
}

impl Stream<'_> {
    fn entry(&mut self, e: Value, bytes: u64) {
        let i = self.count;
        self.count += 1;
        if i.is_multiple_of(1024) {
            (self.progress)(i, i);
        }
        if !streamable(&e) {
            self.held_bytes += bytes;
            if self.held_bytes > MAX_HELD_BYTES && self.fatal.is_none() {
                self.fatal = Some(FhirError::HeldTooLarge {
                    max: MAX_HELD_BYTES,
                });
            }
            self.held.push((i, e));
            return;
        }
        let mut out = Import::default();
        let Some((rtype, label)) = check_entry(i, &e, self.options, &mut self.problems, &mut out)
        else {
            self.absorb(out, &Value::Null);
            return;
        };
        let r = &e["resource"];
        let empty: [Value; 0] = [];
        let index = Index::new(&empty);
        let mut ctx = Ctx {
            index: i,
            pos: usize::MAX,
            label,
            problems: &mut self.problems,
            now: self.now.clone(),
            confirm_unusual: self.options.confirm_unusual,
        };
        map_resource(&rtype, r, &index, &mut ctx, &mut out);
        let subject = r.get("subject").cloned().unwrap_or(Value::Null);
        self.absorb(out, &subject);
    }

    fn absorb(&mut self, out: Import, subject: &Value) {
        let st = &mut self.streamed;
        for (k, n) in out.skipped {
            *st.skipped.entry(k).or_default() += n;
        }
        for (k, n) in out.reasons {
            *st.reasons.entry(k).or_default() += n;
        }
        for m in out.items {
            let (set, censor) = match m.item {
                Item::Readings(set) => (set, None),
                Item::Censored { set, censor } => (set, Some(censor)),
                other => {
                    st.entries.push((
                        subject.clone(),
                        Mapped {
                            label: m.label,
                            item: other,
                        },
                    ));
                    continue;
                }
            };
            st.readings += set.readings.len();
            if st.readings > crate::MAX_READINGS_PER_IMPORT && self.fatal.is_none() {
                self.fatal = Some(FhirError::Unsupported(format!(
                    "the bundle holds more than {} readings; split it (for example by year)",
                    crate::MAX_READINGS_PER_IMPORT
                )));
            }
            let key = (
                subject.to_string(),
                set.kind.system.clone(),
                set.kind.code.clone(),
                set.unit.clone(),
                set.source.clone(),
                censor,
            );
            match st.sets.get_mut(&key) {
                Some((_, _, s, n)) => {
                    s.readings.extend(set.readings);
                    *n += 1;
                }
                None => {
                    st.sets.insert(key, (subject.clone(), m.label, set, 1));
                }
            }
        }
    }
}

struct BundleSeed<'s, 'a>(&'s mut Stream<'a>);

impl<'de> serde::de::DeserializeSeed<'de> for BundleSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for BundleSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a FHIR Bundle (a JSON object)")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key::<String>()? {
            if key == "entry" {
                map.next_value_seed(EntriesSeed(&mut *st))?;
            } else {
                st.limits.allow(MAX_RESOURCE_BYTES);
                let v: Value = map.next_value()?;
                st.top.insert(key, v);
            }
            st.limits.allow(u64::MAX);
        }
        Ok(())
    }
}

struct EntriesSeed<'s, 'a>(&'s mut Stream<'a>);

impl<'de> serde::de::DeserializeSeed<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("Bundle.entry as a list")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.0;
        loop {
            let start = st.limits.pos.get();
            st.limits.allow(MAX_RESOURCE_BYTES);
            let Some(e) = seq.next_element_seed(crate::spool::ValueSeed {
                spool: &mut *st.spool,
                limits: st.limits,
                key: None,
                attachment_data: false,
            })?
            else {
                break;
            };
            if let Some(err) = st.spool.error.take() {
                st.fatal = Some(err);
                return Err(serde::de::Error::custom("stopped"));
            }
            // Documents kept aside are not held.
            let bytes = st.limits.pos.get() - start - st.spool.take_bytes();
            st.entry(e, bytes);
            if st.fatal.is_some() {
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        self.0.entry_not_list = Some("an object");
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.0.entry_not_list = Some("a string");
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.0.entry_not_list = Some("a number");
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.0.entry_not_list = Some("a number");
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.0.entry_not_list = Some("a number");
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.0.entry_not_list = Some("a boolean");
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.0.entry_not_list = Some("null");
        Ok(())
    }
}

/// The checks of one entry before mapping: its shell, a search outcome, a resource, the
/// resource against R4 (or, with `skip_invalid`, leaving it out), Binary and unmapped
/// types. `Some((resource type, label))` when it is to be mapped.
fn check_entry(
    i: usize,
    e: &Value,
    options: &ReadOptions,
    problems: &mut Vec<Problem>,
    out: &mut Import,
) -> Option<(String, String)> {
    let Some(eo) = e.as_object() else {
        problems.push(Problem {
            entry: Some(i),
            resource: None,
            path: String::new(),
            message: format!("a bundle entry must be an object, not {}", short_kind(e)),
        });
        return None;
    };
    let mut shell = eo.clone();
    let resource = shell.remove("resource");
    let mut found = Vec::new();
    schema().validate_shell(&Value::Object(shell), &mut found);
    for f in found {
        problems.push(Problem {
            entry: Some(i),
            resource: None,
            path: f.path,
            message: f.message,
        });
    }
    if eo
        .get("search")
        .and_then(|s| s.get("mode"))
        .and_then(Value::as_str)
        == Some("outcome")
    {
        out.skip("OperationOutcome", "search outcome, not part of the record");
        return None;
    }
    let Some(r) = resource else {
        out.skip("(no resource)", "a request without a resource");
        return None;
    };
    let label = resource_label(&r);
    let mut found = Vec::new();
    schema().validate_resource(&r, "", &mut found);
    if options.skip_invalid && !found.is_empty() {
        // Lenient: defects only in what Carnet does not keep (the resource's own id,
        // meta, narrative, extensions) do not stop it; a resource with any other
        // defect is left out, listed with its first problem; the rest goes on.
        let rtype = r["resourceType"].as_str().unwrap_or("resource").to_string();
        let (ignored, serious): (Vec<_>, Vec<_>) = found
            .into_iter()
            .partition(|f| NOT_KEPT.contains(&f.path.split(['.', '[']).next().unwrap_or("")));
        if let Some(f) = serious.first() {
            out.skip(
                &rtype,
                &format!(
                    "entry {i} ({label}) is not valid FHIR R4 and was left out (--skip-invalid): {}{}",
                    f.message,
                    if serious.len() > 1 {
                        format!(" (and {} more problems)", serious.len() - 1)
                    } else {
                        String::new()
                    }
                ),
            );
            return None;
        }
        for f in ignored {
            *out.reasons
                .entry(format!(
                    "{rtype}: imported with a defect in what Carnet does not keep (--skip-invalid): {}",
                    f.message
                ))
                .or_default() += 1;
        }
    } else if !found.is_empty() {
        problems.extend(found.into_iter().map(|f| Problem {
            entry: Some(i),
            resource: Some(label.clone()),
            path: f.path,
            message: f.message,
        }));
        return None;
    }
    let rtype = r["resourceType"].as_str().unwrap_or_default().to_string();
    if rtype == "Binary" {
        out.skip(
            "Binary",
            "a file: kept only as the document of a DocumentReference or DiagnosticReport of the bundle that points to it",
        );
        return None;
    }
    if !MAPPED.contains(&rtype.as_str()) {
        out.skip(&rtype, "not kept in a Carnet record");
        return None;
    }
    Some((rtype, label))
}

fn read_json<R: std::io::Read>(
    reader: R,
    options: &ReadOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Import, FhirError> {
    // Dropped (its files removed) on every way out.
    let mut spool = crate::spool::Spool::new(options.spool_dir.clone())?;
    let mut out = read_json_spooled(reader, options, progress, &mut spool)?;
    spool.restore(&mut out.items)?;
    Ok(out)
}

fn read_json_spooled<R: std::io::Read>(
    reader: R,
    options: &ReadOptions,
    progress: &mut dyn FnMut(usize, usize),
    spool: &mut crate::spool::Spool,
) -> Result<Import, FhirError> {
    let limits = Limits::default();
    limits.allow(u64::MAX);
    let mut st = Stream {
        options,
        limits: &limits,
        now: options.now.clone().unwrap_or_else(DateTime::now),
        top: serde_json::Map::new(),
        held: Vec::new(),
        held_bytes: 0,
        count: 0,
        entry_not_list: None,
        problems: Vec::new(),
        streamed: Streamed {
            sets: BTreeMap::new(),
            entries: Vec::new(),
            skipped: BTreeMap::new(),
            reasons: BTreeMap::new(),
            readings: 0,
        },
        fatal: None,
        progress,
        spool,
    };
    let mut de = serde_json::Deserializer::from_reader(Counting {
        inner: reader,
        limits: &limits,
    });
    let parsed = {
        use serde::de::DeserializeSeed;
        BundleSeed(&mut st)
            .deserialize(&mut de)
            .and_then(|()| de.end())
    };
    if let Err(e) = parsed {
        if let Some(f) = st.fatal.take() {
            return Err(f);
        }
        if limits.tripped.get() {
            return Err(FhirError::ResourceTooLarge {
                entry: st.count,
                max: MAX_RESOURCE_BYTES,
            });
        }
        if e.is_data() && st.top.is_empty() && st.count == 0 {
            return Err(FhirError::NotFhir("its top level is not an object".into()));
        }
        let hint = if e.is_eof() {
            " (is the file truncated?)"
        } else {
            ""
        };
        return Err(FhirError::NotJson(format!("{e}{hint}")));
    }
    let Stream {
        top,
        held,
        entry_not_list,
        mut problems,
        streamed,
        now,
        progress,
        ..
    } = st;
    let Some(rt) = top.get("resourceType").and_then(Value::as_str) else {
        return Err(FhirError::NotFhir("it has no resourceType".into()));
    };
    if rt != "Bundle" {
        let what = if schema().is_resource_type(rt) {
            format!("the file holds one {rt} resource, not a Bundle")
        } else {
            format!("resourceType \"{rt}\" is not an R4 resource type")
        };
        return Err(FhirError::NotABundle(format!(
            "{what}; a FHIR import takes an R4 Bundle (collection, document, transaction, batch or searchset)"
        )));
    }
    let btype = top.get("type").and_then(Value::as_str).unwrap_or("");
    if !BUNDLE_TYPES.contains(&btype) {
        return Err(FhirError::NotABundle(format!(
            "Bundle.type \"{btype}\" is not imported: use a collection, document, transaction, batch or searchset bundle"
        )));
    }
    if let Some(kind) = entry_not_list {
        return Err(FhirError::Invalid(vec![Problem {
            entry: None,
            resource: Some("Bundle".into()),
            path: "entry".into(),
            message: format!("Bundle.entry must be a list, not {kind}"),
        }]));
    }
    // A bundle of bundles (a searchset of documents, a collection of patient summaries):
    // the inner bundles' entries are imported as if they were the outer one's, and entry
    // numbers in messages count the entries so laid out.
    let mut nested = 0;
    let mut numbers = Vec::with_capacity(held.len());
    let mut entries = Vec::with_capacity(held.len());
    let mut shift = 0;
    for (n, e) in held {
        let inner = flatten(vec![e], 0, &mut nested);
        let len = inner.len();
        for (k, x) in inner.into_iter().enumerate() {
            numbers.push(n + shift + k);
            entries.push(x);
        }
        shift += len.saturating_sub(1);
    }
    let mut found = Vec::new();
    schema().validate_resource(&Value::Object(top), "", &mut found);
    problems.extend(found.into_iter().map(|f| Problem {
        entry: None,
        resource: Some("Bundle".into()),
        path: f.path,
        message: f.message,
    }));

    let index = Index::new(&entries);
    let mut out = Import::default();
    for _ in 0..nested {
        out.skip(
            "Bundle",
            "a bundle inside the bundle (its entries are imported)",
        );
    }
    let chosen = choose_patient(&entries, options)?;
    let several = entries
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Patient")
        .count()
        > 1;
    let chosen = chosen.map(|(i, who)| {
        out.patient = Some(who);
        i
    });
    let total = entries.len();
    for (pos, e) in entries.iter().enumerate() {
        let i = numbers[pos];
        if pos % 64 == 0 {
            progress(pos, total);
        }
        let Some((rtype, label)) = check_entry(i, e, options, &mut problems, &mut out) else {
            continue;
        };
        let r = &e["resource"];
        if several && let Some(c) = chosen {
            // A bundle about several people: only what is about the chosen one is hers.
            let about = if rtype == "Patient" {
                Some(pos == c)
            } else {
                about_patient(r, &index, &entries[c]["resource"])
            };
            match about {
                Some(true) => {}
                Some(false) => {
                    out.skip(&rtype, "about another patient of the bundle");
                    continue;
                }
                None => {
                    out.skip(
                        &rtype,
                        "not linked to a patient, in a bundle about several patients",
                    );
                    continue;
                }
            }
        }
        let mut ctx = Ctx {
            index: i,
            pos,
            label,
            problems: &mut problems,
            now: now.clone(),
            confirm_unusual: options.confirm_unusual,
        };
        map_resource(&rtype, r, &index, &mut ctx, &mut out);
    }
    progress(total, total);
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.entry);
        return Err(FhirError::Invalid(problems));
    }
    // The readings mapped while streaming: in a bundle about several patients, only the
    // chosen one's (by the subject each names).
    let Streamed {
        sets,
        entries: singles,
        skipped,
        reasons,
        ..
    } = streamed;
    for (k, n) in skipped {
        *out.skipped.entry(k).or_default() += n;
    }
    for (k, n) in reasons {
        *out.reasons.entry(k).or_default() += n;
    }
    let about = |subject: &Value| -> Option<bool> {
        match (several, chosen) {
            (true, Some(c)) => {
                let r = serde_json::json!({ "subject": subject });
                about_patient(&r, &index, &entries[c]["resource"])
            }
            _ => Some(true),
        }
    };
    let keep = |subject: &Value, n: usize, out: &mut Import| -> bool {
        match about(subject) {
            Some(true) => true,
            Some(false) => {
                for _ in 0..n {
                    out.skip("Observation", "about another patient of the bundle");
                }
                false
            }
            None => {
                for _ in 0..n {
                    out.skip(
                        "Observation",
                        "not linked to a patient, in a bundle about several patients",
                    );
                }
                false
            }
        }
    };
    for ((.., censor), (subject, label, set, n)) in sets {
        if keep(&subject, n, &mut out) {
            out.add(
                &label,
                match censor {
                    None => Item::Readings(set),
                    Some(censor) => Item::Censored { set, censor },
                },
            );
        }
    }
    for (subject, m) in singles {
        if keep(&subject, 1, &mut out) {
            out.items.push(m);
        }
    }
    out.items = merge_readings(std::mem::take(&mut out.items));
    Ok(out)
}

/// Elements of a resource Carnet does not keep: with `--skip-invalid`, a defect there does
/// not cost the resource (13 % of connectathon IPS documents had an id over 64 characters
/// or a `meta.versionId` with ':').
const NOT_KEPT: &[&str] = &[
    "id",
    "meta",
    "text",
    "extension",
    "implicitRules",
    "language",
];

/// How deep bundles inside bundles are opened; deeper ones stay unopened and are counted
/// as not kept, so a hostile file cannot make the flattening recurse without bound.
const MAX_NESTING: usize = 4;

/// The entries, with every inner Bundle's entries in its place (counted in `nested`).
fn flatten(entries: Vec<Value>, depth: usize, nested: &mut usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(entries.len());
    for mut e in entries {
        let inner = (depth < MAX_NESTING
            && e["resource"]["resourceType"] == "Bundle"
            && e["resource"]["entry"].is_array())
        .then(|| e["resource"]["entry"].take());
        match inner {
            Some(Value::Array(inner)) => {
                *nested += 1;
                out.extend(flatten(inner, depth + 1, nested));
            }
            _ => out.push(e),
        }
    }
    out
}

/// The patient a bundle is about: its only Patient, or the one `options` names. A bundle
/// about several patients with none named, or naming one it does not hold, is refused
/// with the patients it holds.
fn choose_patient(
    entries: &[Value],
    options: &ReadOptions,
) -> Result<Option<(usize, PatientIdentity)>, FhirError> {
    let patients: Vec<(usize, PatientIdentity, Option<&str>)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e["resource"]["resourceType"] == "Patient")
        .map(|(i, e)| {
            let r = &e["resource"];
            let full_url = e.get("fullUrl").and_then(Value::as_str);
            let reference = match (r.get("id").and_then(Value::as_str), full_url) {
                (Some(id), _) => format!("Patient/{id}"),
                (None, Some(u)) => u.to_string(),
                (None, None) => format!("entry {i}"),
            };
            (i, of_patient(r, reference), full_url)
        })
        .collect();
    let Some(wanted) = options.patient_ref.as_deref().map(str::trim) else {
        return match patients.len() {
            0 => Ok(None),
            1 => Ok(patients.into_iter().next().map(|(i, who, _)| (i, who))),
            _ => Err(FhirError::SeveralPatients(
                patients.into_iter().map(|(_, who, _)| who).collect(),
            )),
        };
    };
    let bare = wanted.strip_prefix("Patient/").unwrap_or(wanted);
    let found = patients.iter().position(|(_, who, url)| {
        who.reference == wanted
            || who.reference.strip_prefix("Patient/") == Some(bare)
            || *url == Some(wanted)
    });
    let mut patients = patients;
    match found {
        Some(k) => {
            let (i, who, _) = patients.swap_remove(k);
            Ok(Some((i, who)))
        }
        None => Err(FhirError::NoSuchPatient {
            wanted: wanted.to_string(),
            patients: patients.into_iter().map(|(_, who, _)| who).collect(),
        }),
    }
}

/// Whether a resource is about `patient` (by its `subject` or `patient` reference):
/// `None` when it names no patient the bundle holds.
fn about_patient(r: &Value, index: &Index, patient: &Value) -> Option<bool> {
    let reference = r.get("subject").or_else(|| r.get("patient"))?;
    let target = index.resolve(r, reference)?;
    if target["resourceType"] != "Patient" {
        return None;
    }
    Some(std::ptr::eq(target, patient))
}

fn short_kind(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "an object",
        Value::Array(_) => "a list",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    }
}

fn resource_label(r: &Value) -> String {
    let t = r
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("resource");
    match r.get("id").and_then(Value::as_str) {
        Some(id) => format!("{t}/{id}"),
        None => t.to_string(),
    }
}

/// Resources by fullUrl and by `Type/id`, to resolve references (a medication), and the
/// time of the DiagnosticReport each result belongs to.
struct Index<'a> {
    by_ref: HashMap<String, &'a Value>,
    /// Entry index of an Observation -> its report's `effective[x]` or `issued`: a lab
    /// result often has no time of its own, and its report's time is when it was taken.
    report_time: HashMap<usize, &'a str>,
}

impl<'a> Index<'a> {
    fn new(entries: &'a [Value]) -> Self {
        let mut by_ref = HashMap::new();
        for e in entries {
            let Some(r) = e.get("resource") else { continue };
            if let Some(u) = e.get("fullUrl").and_then(Value::as_str) {
                by_ref.insert(u.to_string(), r);
            }
            if let (Some(t), Some(id)) = (
                r.get("resourceType").and_then(Value::as_str),
                r.get("id").and_then(Value::as_str),
            ) {
                by_ref.insert(format!("{t}/{id}"), r);
            }
        }
        let mut index = Index {
            by_ref,
            report_time: HashMap::new(),
        };
        let entry_of: HashMap<*const Value, usize> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((e.get("resource")? as *const Value, i)))
            .collect();
        let mut report_time = HashMap::new();
        for e in entries {
            let Some(r) = e.get("resource") else { continue };
            if r["resourceType"] != "DiagnosticReport" {
                continue;
            }
            let Some(when) = s(r, "effectiveDateTime")
                .or_else(|| period_start(r.get("effectivePeriod")))
                .or_else(|| s(r, "issued"))
            else {
                continue;
            };
            for result in r
                .get("result")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(target) = index.resolve(r, result)
                    && let Some(&i) = entry_of.get(&(target as *const Value))
                {
                    report_time.entry(i).or_insert(when);
                }
            }
        }
        index.report_time = report_time;
        index
    }

    fn resolve(&self, from: &'a Value, reference: &Value) -> Option<&'a Value> {
        let r = reference.get("reference")?.as_str()?;
        if let Some(local) = r.strip_prefix('#') {
            return from
                .get("contained")?
                .as_array()?
                .iter()
                .find(|c| c.get("id").and_then(Value::as_str) == Some(local));
        }
        if let Some(v) = self.by_ref.get(r) {
            return Some(v);
        }
        // An absolute URL ending in Type/id.
        let mut parts = r.rsplit('/');
        let (id, t) = (parts.next()?, parts.next()?);
        self.by_ref.get(&format!("{t}/{id}")).copied()
    }
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn first_code<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?
        .get("coding")?
        .as_array()?
        .iter()
        .find_map(|c| s(c, "code"))
}

/// A CodeableConcept's best coding (the preferred systems first) and its words.
fn concept(cc: Option<&Value>, prefer: &[&str]) -> (Option<String>, Option<Code>) {
    let Some(cc) = cc else {
        return (None, None);
    };
    let codings: Vec<&Value> = cc
        .get("coding")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let usable = |c: &Value| s(c, "system").is_some() && s(c, "code").is_some();
    let chosen = prefer
        .iter()
        .find_map(|p| {
            codings
                .iter()
                .find(|c| usable(c) && s(c, "system") == Some(p))
        })
        .or_else(|| codings.iter().find(|c| usable(c)))
        .copied();
    let code = chosen.map(|c| Code {
        system: s(c, "system").unwrap_or_default().to_string(),
        code: s(c, "code").unwrap_or_default().to_string(),
        display: s(c, "display").map(str::to_string),
    });
    let text = s(cc, "text")
        .or_else(|| chosen.and_then(|c| s(c, "display")))
        .or_else(|| codings.iter().find_map(|c| s(c, "display")))
        .map(str::to_string);
    (text, code)
}

/// The date part of a FHIR date or dateTime, at its own precision (in its own offset).
fn fhir_date(text: Option<&str>) -> Option<Date> {
    let t = text?;
    let day = t.split('T').next()?;
    day.parse().ok()
}

/// A FHIR dateTime as an instant, for a document's date (FHIR's DocumentReference.date is
/// an instant). A date without a time becomes midnight UTC of its first day (FHIR gives no
/// zone for it).
fn fhir_instant(text: Option<&str>) -> Option<DateTime> {
    let t = text?;
    if t.contains('T') {
        return t.parse().ok();
    }
    let d: Date = t.parse().ok()?;
    format!("{}T00:00:00Z", d.first_day()).parse().ok()
}

/// A FHIR dateTime as a measurement's time: a date without a time of day stays a date
/// (`DateTime::from_date`), so "2020-01-02" is not shown as midnight UTC.
fn fhir_time(text: Option<&str>) -> Option<DateTime> {
    let t = text?;
    if t.contains('T') {
        return t.parse().ok();
    }
    Some(DateTime::from_date(&t.parse().ok()?))
}

fn period_start(v: Option<&Value>) -> Option<&str> {
    v.and_then(|p| s(p, "start"))
}

fn map_resource(rtype: &str, r: &Value, index: &Index, ctx: &mut Ctx, out: &mut Import) {
    let result = match rtype {
        "Patient" => patient(r, out),
        "AllergyIntolerance" => allergy(r, out),
        "Condition" => condition(r, out),
        "Procedure" => procedure(r, out),
        "MedicationRequest" | "MedicationStatement" => medication(rtype, r, index, out),
        "Medication" => {
            out.skip(
                "Medication",
                "a medicine definition; the prescriptions that refer to it carry its code",
            );
            Ok(None)
        }
        "Immunization" => immunization(r, out),
        "Observation" => observation(r, index.report_time.get(&ctx.pos).copied(), out),
        "DiagnosticReport" => diagnostic_report(r, index, out),
        "DocumentReference" => document_reference(r, index, out),
        _ => Ok(None),
    };
    match result {
        Ok(Some(mut entry)) => match plausible(&mut entry, ctx) {
            Ok(()) => out.add(rtype, Item::Entry(entry)),
            Err(message) => ctx.problem("", message),
        },
        Ok(None) => {}
        Err((path, message)) => ctx.problem(path, message),
    }
}

/// What every imported entry must be, as one typed by hand: well formed, no past event
/// dated after now, and a measurement usual for its kind unless the importing person
/// confirmed unusual values (then it is marked so).
fn plausible(entry: &mut Entry, ctx: &Ctx) -> Result<(), String> {
    entry
        .validate()
        .map_err(|e| format!("cannot be kept: {e}"))?;
    entry.check_dates(&ctx.now).map_err(|e| e.to_string())?;
    if let Entry::Measurement(m) = entry
        && let Err(u) = m.check_usual()
    {
        if !ctx.confirm_unusual {
            return Err(format!(
                "{u}; if the bundle is right, import it again confirming unusual values (they are then marked as confirmed)"
            ));
        }
        m.confirm_unusual();
    }
    Ok(())
}

type Mapping = Result<Option<Entry>, (&'static str, String)>;

/// The IPS "absent or unknown" codes: "none known" becomes Carnet's explicit
/// [`NoneKnown`]; "no information" says nothing and is counted as skipped.
fn absent(
    code: &Option<Code>,
    section: SectionId,
    asserted: Option<&str>,
    rtype: &str,
    out: &mut Import,
) -> Option<Mapping> {
    // SNOMED CT's whole-section situations say the same as the IPS codes (the AU PS and
    // NZ PS use them): only these three, each in its own section. Narrower ones (429625007
    // No known food allergy, 409137002 No known drug allergy...) stay ordinary entries
    // with their code, as the IPS narrower codes do below.
    if let Some(c) = code.as_ref().filter(|c| c.system == systems::SNOMED) {
        let whole = match c.code.as_str() {
            "716186003" => SectionId::Allergies,
            "787481004" => SectionId::Medications,
            "160245001" => SectionId::Conditions,
            _ => return None,
        };
        if whole != section {
            return None;
        }
        let asserted = fhir_date(asserted).unwrap_or_else(Date::today);
        return Some(Ok(Some(Entry::NoneKnown(NoneKnown { section, asserted }))));
    }
    let c = code.as_ref().filter(|c| c.system == IPS_ABSENT_SYSTEM)?;
    // Only the section-wide "none known" is Carnet's NoneKnown; a narrower one ("no known
    // food allergies") keeps its exact scope as an ordinary entry with its code, so it is
    // never read (or exported) as "no known allergies" beside a penicillin allergy.
    const WHOLE_SECTION: &[&str] = &[
        "no-known-allergies",
        "no-known-problems",
        "no-known-medications",
        "no-known-immunizations",
    ];
    if c.code.starts_with("no-known-") && !WHOLE_SECTION.contains(&c.code.as_str()) {
        return None;
    }
    if c.code.starts_with("no-known-") {
        let asserted = fhir_date(asserted).unwrap_or_else(Date::today);
        return Some(Ok(Some(Entry::NoneKnown(NoneKnown { section, asserted }))));
    }
    out.skip(rtype, "\"no information\" (nothing to keep)");
    Some(Ok(None))
}

fn verification_refuted(r: &Value) -> bool {
    matches!(
        first_code(r, "verificationStatus"),
        Some("refuted" | "entered-in-error")
    )
}

fn patient(r: &Value, out: &mut Import) -> Mapping {
    let names: Vec<&Value> = r
        .get("name")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let name = names
        .iter()
        .find(|n| s(n, "use") == Some("official"))
        .or_else(|| names.first())
        .and_then(|n| human_name(n));
    let Some(name) = name else {
        out.skip("Patient", "no name to make a profile from");
        return Ok(None);
    };
    let contact = r
        .get("contact")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|c| {
            let name = c.get("name").and_then(human_name)?;
            let phone = c
                .get("telecom")
                .and_then(Value::as_array)
                .and_then(|t| t.iter().find(|p| s(p, "system") == Some("phone")))
                .and_then(|p| s(p, "value"))
                .map(str::to_string);
            let relationship = c
                .get("relationship")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|cc| concept(Some(cc), &[]).0);
            Some(EmergencyContact {
                name,
                phone,
                relationship,
            })
        });
    Ok(Some(Entry::Profile(Profile {
        name,
        birth_date: fhir_date(s(r, "birthDate")),
        sex: s(r, "gender").and_then(|g| g.parse::<Sex>().ok()),
        blood_group: None,
        emergency_contact: contact,
        advance_directives: None,
        identifiers: crate::identity::identifiers(r),
    })))
}

pub(crate) fn human_name(n: &Value) -> Option<String> {
    if let Some(t) = s(n, "text") {
        return Some(t.to_string());
    }
    let mut parts: Vec<&str> = n
        .get("given")
        .and_then(Value::as_array)
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(f) = s(n, "family") {
        parts.push(f);
    }
    let name = parts.join(" ");
    (!name.trim().is_empty()).then_some(name)
}

fn allergy(r: &Value, out: &mut Import) -> Mapping {
    const T: &str = "AllergyIntolerance";
    if verification_refuted(r) {
        out.skip(T, "refuted or entered in error");
        return Ok(None);
    }
    if matches!(
        first_code(r, "clinicalStatus"),
        Some("inactive" | "resolved")
    ) {
        out.skip(T, "no longer active (clinicalStatus inactive or resolved)");
        return Ok(None);
    }
    let (text, code) = concept(
        r.get("code"),
        &[IPS_ABSENT_SYSTEM, systems::SNOMED, systems::RXNORM],
    );
    if let Some(m) = absent(&code, SectionId::Allergies, s(r, "recordedDate"), T, out) {
        return m;
    }
    let Some(substance) = text.or_else(|| code.as_ref().map(|c| c.code.clone())) else {
        out.skip(T, "no substance named or coded");
        return Ok(None);
    };
    let reaction = r
        .get("reaction")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .flat_map(|re| {
                    re.get("manifestation")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|m| concept(Some(m), &[systems::SNOMED]).0)
                })
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty())
        .map(|v| v.join("; "));
    Ok(Some(Entry::Allergy(Allergy {
        substance,
        code,
        criticality: s(r, "criticality").and_then(|c| c.parse::<Criticality>().ok()),
        reaction,
        onset: allergy_onset(r),
    })))
}

/// `AllergyIntolerance.onset[x]` in the form the source gave it (a Range is kept as words).
fn allergy_onset(r: &Value) -> Option<Onset> {
    if let Some(date) = fhir_date(s(r, "onsetDateTime")) {
        return Some(Onset::Date { date });
    }
    if let Some(p) = r.get("onsetPeriod") {
        let (start, end) = (fhir_date(s(p, "start")), fhir_date(s(p, "end")));
        if start.is_some() || end.is_some() {
            return Some(Onset::Period { start, end });
        }
    }
    if let Some(q) = r.get("onsetAge")
        && let Some(value) = q.get("value").and_then(Value::as_f64)
    {
        let unit = s(q, "code").or_else(|| s(q, "unit")).unwrap_or("a");
        return Some(Onset::Age {
            value,
            unit: unit.to_string(),
        });
    }
    if let Some(text) = s(r, "onsetString") {
        return Some(Onset::Text {
            text: text.to_string(),
        });
    }
    let range = r.get("onsetRange")?;
    let end = |k: &str| {
        let q = range.get(k)?;
        let v = q.get("value")?.as_f64()?;
        Some(
            format!(
                "{v} {}",
                s(q, "unit").or_else(|| s(q, "code")).unwrap_or("")
            )
            .trim()
            .to_string(),
        )
    };
    let text = match (end("low"), end("high")) {
        (Some(l), Some(h)) => format!("between {l} and {h}"),
        (Some(l), None) => format!("from {l}"),
        (None, Some(h)) => format!("up to {h}"),
        (None, None) => return None,
    };
    Some(Onset::Text { text })
}

fn condition(r: &Value, out: &mut Import) -> Mapping {
    const T: &str = "Condition";
    if verification_refuted(r) {
        out.skip(T, "refuted or entered in error");
        return Ok(None);
    }
    let (text, code) = concept(
        r.get("code"),
        &[IPS_ABSENT_SYSTEM, systems::SNOMED, systems::ICD10],
    );
    if let Some(m) = absent(&code, SectionId::Conditions, s(r, "recordedDate"), T, out) {
        return m;
    }
    let Some(name) = text.or_else(|| code.as_ref().map(|c| c.code.clone())) else {
        out.skip(T, "no problem named or coded");
        return Ok(None);
    };
    let onset = fhir_date(s(r, "onsetDateTime").or_else(|| period_start(r.get("onsetPeriod"))));
    let abatement = fhir_date(
        s(r, "abatementDateTime").or_else(|| r.get("abatementPeriod").and_then(|p| s(p, "end"))),
    );
    let status = match first_code(r, "clinicalStatus") {
        Some(c) => c.parse::<ConditionStatus>().map_err(|_| {
            (
                "clinicalStatus",
                format!("clinicalStatus \"{c}\" is not a condition clinical status: use active, recurrence, relapse, inactive, remission or resolved"),
            )
        })?,
        None if abatement.is_some() || r.get("abatementString").is_some() => {
            ConditionStatus::Resolved
        }
        None => ConditionStatus::Active,
    };
    Ok(Some(Entry::Condition(Condition {
        name,
        code,
        onset,
        abatement,
        status,
    })))
}

fn procedure(r: &Value, out: &mut Import) -> Mapping {
    const T: &str = "Procedure";
    let status = match s(r, "status") {
        // "not-done" is kept as such: a statement that it was not done, never a procedure.
        Some("entered-in-error") => {
            out.skip(T, "entered in error");
            return Ok(None);
        }
        Some(st) => st
            .parse::<ProcedureStatus>()
            .unwrap_or(ProcedureStatus::Unknown),
        None => ProcedureStatus::Unknown,
    };
    let (text, code) = concept(r.get("code"), &[systems::SNOMED]);
    let Some(name) = text.or_else(|| code.as_ref().map(|c| c.code.clone())) else {
        out.skip(T, "no procedure named or coded");
        return Ok(None);
    };
    let date =
        fhir_date(s(r, "performedDateTime").or_else(|| period_start(r.get("performedPeriod"))));
    Ok(Some(Entry::Procedure(Procedure {
        name,
        code,
        date,
        status,
        status_reason: status_reason(r),
    })))
}

/// The words of a `statusReason`: one CodeableConcept (Procedure, MedicationRequest) or a
/// list of them (MedicationStatement), joined with "; ".
fn status_reason(r: &Value) -> Option<String> {
    let words: Vec<String> = match r.get("statusReason")? {
        Value::Array(a) => a
            .iter()
            .filter_map(|cc| concept(Some(cc), &[systems::SNOMED]).0)
            .collect(),
        cc => concept(Some(cc), &[systems::SNOMED])
            .0
            .into_iter()
            .collect(),
    };
    (!words.is_empty()).then(|| words.join("; "))
}

fn dosage_text(d: &Value) -> Option<String> {
    if let Some(t) = s(d, "text") {
        return Some(t.to_string());
    }
    let mut parts = Vec::new();
    if let Some(q) = d
        .get("doseAndRate")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|dr| dr.get("doseQuantity"))
        && let Some(v) = q.get("value").and_then(Value::as_f64)
    {
        // A dose without a unit is shown so ("4 (no unit given)"), never given one.
        match s(q, "unit").or_else(|| s(q, "code")) {
            Some(unit) => parts.push(format!("{v} {unit}")),
            None => parts.push(format!("{v} (no unit given)")),
        }
    }
    if let Some(rep) = d.get("timing").and_then(|t| t.get("repeat")) {
        let f = rep.get("frequency").and_then(Value::as_u64);
        let p = rep.get("period").and_then(Value::as_f64);
        let u = s(rep, "periodUnit");
        match (f, p, u) {
            (Some(f), Some(p), Some(u)) => parts.push(format!("{f} times per {p} {u}")),
            // R4 Timing: "if no frequency is stated, the assumption is that the event
            // occurs once per period" (Austria: period 1 d, no frequency).
            (None, Some(p), Some(u)) => parts.push(format!("once every {p} {u}")),
            _ => {}
        }
    }
    if d.get("asNeededBoolean").and_then(Value::as_bool) == Some(true) {
        parts.push("as needed".into());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn medication(rtype: &str, r: &Value, index: &Index, out: &mut Import) -> Mapping {
    let status = match s(r, "status").unwrap_or("unknown") {
        "active" => MedicationStatus::Active,
        "on-hold" => MedicationStatus::OnHold,
        "completed" => MedicationStatus::Completed,
        "stopped" | "cancelled" => MedicationStatus::Stopped,
        "intended" | "draft" => MedicationStatus::Intended,
        "entered-in-error" => {
            out.skip(rtype, "entered in error");
            return Ok(None);
        }
        // Kept as a statement that it is not taken, never as a medicine taken.
        "not-taken" => MedicationStatus::NotTaken,
        // `unknown` (and anything R4 may add): kept as unknown. A national IPS marks every
        // medicine so; dropping them made the summary say "no information".
        _ => MedicationStatus::Unknown,
    };
    let prefer = [
        IPS_ABSENT_SYSTEM,
        systems::RXNORM,
        systems::ATC,
        systems::SNOMED,
    ];
    let (text, code) = match (
        r.get("medicationCodeableConcept"),
        r.get("medicationReference"),
    ) {
        (Some(cc), _) => concept(Some(cc), &prefer),
        (None, Some(reference)) => match index.resolve(r, reference) {
            Some(m) => concept(m.get("code"), &prefer),
            None => (s(reference, "display").map(str::to_string), None),
        },
        _ => (None, None),
    };
    if let Some(m) = absent(
        &code,
        SectionId::Medications,
        s(r, "dateAsserted"),
        rtype,
        out,
    ) {
        return m;
    }
    let Some(name) = text.or_else(|| code.as_ref().map(|c| c.code.clone())) else {
        out.skip(rtype, "the medicine is neither named nor coded");
        return Ok(None);
    };
    let dosage = r
        .get(if rtype == "MedicationRequest" {
            "dosageInstruction"
        } else {
            "dosage"
        })
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(dosage_text);
    let (start, end) = if rtype == "MedicationRequest" {
        (fhir_date(s(r, "authoredOn")), None)
    } else {
        (
            fhir_date(s(r, "effectiveDateTime").or_else(|| period_start(r.get("effectivePeriod")))),
            fhir_date(r.get("effectivePeriod").and_then(|p| s(p, "end"))),
        )
    };
    Ok(Some(Entry::Medication(Medication {
        name,
        code,
        dosage,
        start,
        end,
        status,
        status_reason: status_reason(r),
    })))
}

fn immunization(r: &Value, out: &mut Import) -> Mapping {
    const T: &str = "Immunization";
    let status = match s(r, "status") {
        Some("entered-in-error") => {
            out.skip(T, "entered in error");
            return Ok(None);
        }
        // A vaccine stated as not given is kept as such, never as a vaccination.
        Some("not-done") => ImmunizationStatus::NotDone,
        _ => ImmunizationStatus::Completed,
    };
    let (text, code) = concept(r.get("vaccineCode"), &[systems::CVX, systems::SNOMED]);
    let Some(vaccine) = text.or_else(|| code.as_ref().map(|c| c.code.clone())) else {
        out.skip(T, "the vaccine is neither named nor coded");
        return Ok(None);
    };
    let date = fhir_date(s(r, "occurrenceDateTime"));
    // Without a date, what the source said instead: its words, or "unknown" with the
    // data-absent-reason. The vaccination is kept (and exported) without a date.
    let date_text = if date.is_some() {
        None
    } else {
        let absent = r
            .get("_occurrenceDateTime")
            .and_then(|p| p.get("extension"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|x| s(x, "url") == Some(DATA_ABSENT_REASON))
            .and_then(|x| s(x, "valueCode"));
        let said = match (absent, s(r, "occurrenceString")) {
            (_, Some(words)) => words.to_string(),
            (Some("unknown"), None) | (None, None) => "unknown".to_string(),
            (Some(c), None) => format!("unknown ({c})"),
        };
        *out.reasons
            .entry(format!(
                "{T}: kept without a date (the source gives \"{said}\" instead)"
            ))
            .or_default() += 1;
        Some(said)
    };
    let status_reason = r
        .get("statusReason")
        .and_then(|cc| concept(Some(cc), &[systems::SNOMED]).0);
    Ok(Some(Entry::Immunization(Immunization {
        vaccine,
        code,
        date,
        lot: s(r, "lotNumber").map(str::to_string),
        status,
        status_reason,
        date_text,
    })))
}

/// A Quantity's value and UCUM unit (the code when the system is UCUM, else its words).
fn quantity(q: &Value) -> Option<(f64, String)> {
    quantity_of(q, None)
}

/// LOINC of systolic and diastolic blood pressure, the parts of a panel.
const SYSTOLIC: &str = "8480-6";
const DIASTOLIC: &str = "8462-4";

/// [`quantity`], for a value of `kind`: a Quantity without a unit takes the one unit that
/// kind is measured in (mm[Hg] for blood pressure), rather than the dimensionless "1".
fn quantity_of(q: &Value, kind: Option<&Code>) -> Option<(f64, String)> {
    let v = q.get("value")?.as_f64()?;
    let given = if s(q, "system") == Some(systems::UCUM) {
        s(q, "code").or_else(|| s(q, "unit"))
    } else {
        s(q, "unit").or_else(|| s(q, "code"))
    };
    let implied = || {
        let k = kind.filter(|k| k.system == systems::LOINC)?;
        if [SYSTOLIC, DIASTOLIC].contains(&k.code.as_str()) {
            return Some("mm[Hg]");
        }
        match carnet_record::MeasurementKind::by_loinc(&k.code)?.units {
            [(only, ..)] => Some(*only),
            _ => None,
        }
    };
    let unit = given.or_else(implied).unwrap_or("1");
    Some((v, unit.to_string()))
}

/// An Observation; `report_time` is the time of the DiagnosticReport listing it, used when
/// it has no time of its own.
fn observation(r: &Value, report_time: Option<&str>, out: &mut Import) -> Mapping {
    const T: &str = "Observation";
    let status = s(r, "status");
    if matches!(status, Some("entered-in-error" | "cancelled")) {
        out.skip(T, "entered in error or cancelled");
        return Ok(None);
    }
    let (_, kind) = concept(r.get("code"), &[systems::LOINC]);
    // A code given only as words is kept as words (see `text_code`), not dropped.
    let Some(mut kind) = kind.or_else(|| text_code(r.get("code"))) else {
        out.skip(T, "what was observed is neither coded nor named");
        return Ok(None);
    };
    if kind.display.is_none() {
        kind.display = s(&r["code"], "text").map(str::to_string);
    }
    let at_text = s(r, "effectiveDateTime")
        .or_else(|| s(r, "effectiveInstant"))
        .or_else(|| period_start(r.get("effectivePeriod")))
        .or_else(|| s(r, "issued"))
        .or(report_time);
    let Some(at) = fhir_time(at_text) else {
        out.skip(T, "no time of observation, nor a report with one");
        return Ok(None);
    };
    let source = r
        .get("device")
        .and_then(|d| s(d, "display"))
        .map(str::to_string);
    if let Some(sd) = r.get("valueSampledData") {
        return sampled(sd, kind, &at, source, out);
    }
    let mut m = Measurement {
        kind,
        value: None,
        unit: String::new(),
        components: Vec::new(),
        at,
        source,
        value_code: None,
        value_text: None,
        category: r
            .get("category")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find_map(category_code))
            .map(str::to_string),
        status: status.map(str::to_string),
        reference_range: reference_ranges(r),
        interpretation: r
            .get("interpretation")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|cc| {
                let (_, code) = concept(Some(cc), &[INTERPRETATION]);
                code.or_else(|| text_code(Some(cc)))
            })
            .collect(),
    };
    if let Some(q) = r.get("valueQuantity")
        && let Some(cmp) = s(q, "comparator")
        && let Some((v, unit)) = quantity(q)
    {
        // "<40": the true value is beyond the number. Never stored as the number itself.
        let censor = match cmp {
            "<" | "<=" => Some(Censor::Below),
            ">" | ">=" => Some(Censor::Above),
            _ => None,
        };
        if let Some(censor) = censor
            && crate::devices::is_device_glucose(&m.kind)
        {
            out.add(
                T,
                Item::Censored {
                    set: ReadingSet {
                        kind: m.kind,
                        unit,
                        source: m.source,
                        readings: vec![Reading { at: m.at, value: v }],
                    },
                    censor,
                },
            );
            return Ok(None);
        }
        m.value_text = Some(format!("{cmp}{v} {unit}").trim_end().to_string());
    } else if let Some(q) = r.get("valueQuantity") {
        match quantity_of(q, Some(&m.kind)) {
            Some((v, u)) => {
                m.value = Some(v);
                m.unit = u;
            }
            None => {
                out.skip(T, "a quantity without a number");
                return Ok(None);
            }
        }
    } else if let Some(i) = r.get("valueInteger").and_then(Value::as_f64) {
        m.value = Some(i);
        m.unit = "1".into();
    } else if let Some(cc) = r.get("valueCodeableConcept") {
        let (text, code) = concept(Some(cc), &[systems::SNOMED, systems::LOINC]);
        match code {
            Some(c) => m.value_code = Some(c),
            None => m.value_text = text,
        }
    } else if let Some(t) = s(r, "valueString") {
        m.value_text = Some(t.to_string());
    } else if let Some(b) = r.get("valueBoolean").and_then(Value::as_bool) {
        m.value_text = Some(b.to_string());
    } else if let Some(t) = s(r, "valueDateTime").or_else(|| s(r, "valueTime")) {
        m.value_text = Some(t.to_string());
    } else if ["valueRange", "valueRatio", "valuePeriod"]
        .iter()
        .any(|k| r.get(*k).is_some())
    {
        out.skip(T, "a range, ratio or period value (not kept)");
        return Ok(None);
    }
    for c in r
        .get("component")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (_, code) = concept(c.get("code"), &[systems::LOINC]);
        let code = code.or_else(|| text_code(c.get("code")));
        let q = c
            .get("valueQuantity")
            .and_then(|q| quantity_of(q, code.as_ref()));
        match (code, q) {
            (Some(code), Some((value, unit))) => m.components.push(Component { code, value, unit }),
            _ => {
                *out.reasons
                    .entry("Observation.component: no coded number (not kept)".into())
                    .or_default() += 1
            }
        }
    }
    // Carnet's own mark of a confirmed unusual value, from an earlier export.
    if (m.value.is_some() || !m.components.is_empty())
        && m.value_text.is_none()
        && r.get("note")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|n| s(n, "text") == Some(UNUSUAL_CONFIRMED))
    {
        m.value_text = Some(UNUSUAL_CONFIRMED.to_string());
    }
    // Systolic before diastolic, whatever order the source gave: "120/80" is read in that
    // order everywhere (list, charts, exports).
    m.components.sort_by_key(|c| match c.code.code.as_str() {
        SYSTOLIC => 0,
        DIASTOLIC => 1,
        _ => 2,
    });
    if m.value.is_none() && m.unit.is_empty() && !m.components.is_empty() {
        m.unit = m.components[0].unit.clone();
    }
    if m.value.is_none()
        && m.components.is_empty()
        && m.value_code.is_none()
        && m.value_text.is_none()
    {
        out.skip(T, "no value (data absent)");
        return Ok(None);
    }
    if crate::devices::is_device_glucose(&m.kind)
        && m.components.is_empty()
        && m.value_code.is_none()
        && m.value_text.is_none()
        && !m.at.is_date_only()
        && let Some(value) = m.value
    {
        // A CGM or meter reading, one Observation each (as Carnet's own export writes
        // readings that are not evenly spaced): kept as a series, so that importing an
        // export gives day blocks again, not one entry per reading.
        out.add(
            T,
            Item::Readings(ReadingSet {
                kind: m.kind,
                unit: m.unit,
                source: m.source,
                readings: vec![Reading { at: m.at, value }],
            }),
        );
        return Ok(None);
    }
    Ok(Some(Entry::Measurement(m)))
}

/// Readings of one series given in several pieces (one Observation per reading, or per
/// day) become one set, packed into day blocks at commit: in the place of the first piece.
fn merge_readings(items: Vec<Mapped>) -> Vec<Mapped> {
    type Key = (String, String, String, Option<String>, Option<Censor>);
    let key = |set: &ReadingSet, censor: Option<Censor>| -> Key {
        (
            set.kind.system.clone(),
            set.kind.code.clone(),
            set.unit.clone(),
            set.source.clone(),
            censor,
        )
    };
    let mut out: Vec<Mapped> = Vec::with_capacity(items.len());
    let mut at: HashMap<Key, usize> = HashMap::new();
    // The first value of each series at each instant: another value at an instant already
    // given goes to a series of its own, named so, as device files do (a block holds one
    // value per instant, and packing drops a repeated instant).
    let mut first: HashMap<Key, HashMap<i64, f64>> = HashMap::new();
    let items = items.into_iter().flat_map(|m| {
        let (set, censor) = match &m.item {
            Item::Readings(set) => (set, None),
            Item::Censored { set, censor } => (set, Some(*censor)),
            _ => return vec![m],
        };
        let seen = first.entry(key(set, censor)).or_default();
        let (same, other): (Vec<Reading>, Vec<Reading>) =
            set.readings.iter().cloned().partition(|r| {
                let v = *seen.entry(r.at.sort_key()).or_insert(r.value);
                v == r.value || (v.is_nan() && r.value.is_nan())
            });
        if other.is_empty() {
            return vec![m];
        }
        let with = |readings: Vec<Reading>, source: Option<String>| {
            let mut set = set.clone();
            set.readings = readings;
            set.source = source;
            Mapped {
                label: m.label.clone(),
                item: match censor {
                    None => Item::Readings(set),
                    Some(censor) => Item::Censored { set, censor },
                },
            }
        };
        let apart = Some(match &set.source {
            Some(s) => format!("{s} (another value at the same time)"),
            None => "another value at the same time".to_string(),
        });
        vec![with(same, set.source.clone()), with(other, apart)]
    });
    for m in items {
        let k = match &m.item {
            Item::Readings(set) => key(set, None),
            Item::Censored { set, censor } => key(set, Some(*censor)),
            _ => {
                out.push(m);
                continue;
            }
        };
        match at.get(&k) {
            Some(&i) => {
                let readings = match m.item {
                    Item::Readings(set) | Item::Censored { set, .. } => set.readings,
                    _ => Vec::new(),
                };
                if let Item::Readings(set) | Item::Censored { set, .. } = &mut out[i].item {
                    set.readings.extend(readings);
                }
            }
            None => {
                at.insert(k, out.len());
                out.push(m);
            }
        }
    }
    out
}

/// The system of `Observation.interpretation` codes (H, L, HH, LL, N, A...).
pub(crate) const INTERPRETATION: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

/// A CodeableConcept given only as words (`{"text": "..."}`), kept as a code of the
/// system [`carnet_record::systems::TEXT`] whose code and display are the words; the
/// export writes it back as `{"text": "..."}`.
fn text_code(cc: Option<&Value>) -> Option<Code> {
    let text = s(cc?, "text")?.trim();
    Some(Code::new(systems::TEXT, text, Some(text)))
}

/// `Observation.referenceRange`: low, high (in the result's unit when they agree) and text.
fn reference_ranges(r: &Value) -> Vec<ReferenceRange> {
    r.get("referenceRange")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|rr| {
            let low = rr.get("low").and_then(quantity);
            let high = rr.get("high").and_then(quantity);
            // The unit only when the source gave one ("1" is quantity's "no unit").
            let unit = low
                .as_ref()
                .or(high.as_ref())
                .map(|(_, u)| u.clone())
                .filter(|u| u != "1" || ["low", "high"].iter().any(|k| rr[k]["code"] == "1"));
            let range = ReferenceRange {
                low: low.map(|(v, _)| v),
                high: high.map(|(v, _)| v),
                unit,
                text: s(rr, "text").map(str::to_string),
            };
            (range.low.is_some() || range.high.is_some() || range.text.is_some()).then_some(range)
        })
        .collect()
}

/// The extension saying why a value is missing.
const DATA_ABSENT_REASON: &str = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

/// The system of `Observation.category` codes Carnet keeps (vital-signs, laboratory...).
pub(crate) const OBSERVATION_CATEGORY: &str =
    "http://terminology.hl7.org/CodeSystem/observation-category";

fn category_code(cc: &Value) -> Option<&str> {
    cc.get("coding")?
        .as_array()?
        .iter()
        .find(|c| s(c, "system") == Some(OBSERVATION_CATEGORY))
        .and_then(|c| s(c, "code"))
}

/// `valueSampledData`: regular readings, kept as a series.
fn sampled(
    sd: &Value,
    kind: Code,
    at: &DateTime,
    source: Option<String>,
    out: &mut Import,
) -> Mapping {
    const T: &str = "Observation";
    let origin = sd.get("origin").and_then(quantity);
    let period = sd.get("period").and_then(Value::as_f64);
    let (Some((base, unit)), Some(period)) = (origin, period) else {
        out.skip(T, "sampled data without origin or period");
        return Ok(None);
    };
    if sd.get("dimensions").and_then(Value::as_u64) != Some(1) || period.is_nan() || period <= 0.0 {
        out.skip(T, "sampled data with several dimensions (not kept)");
        return Ok(None);
    }
    let factor = sd.get("factor").and_then(Value::as_f64).unwrap_or(1.0);
    let start_ms = at.timestamp().as_millisecond();
    let offset = at.offset_seconds();
    let mut readings = Vec::new();
    let (mut below, mut above) = (Vec::new(), Vec::new());
    let mut any_censored = false;
    let before: usize = out
        .items
        .iter()
        .map(|m| match &m.item {
            Item::Readings(r) | Item::Censored { set: r, .. } => r.readings.len(),
            _ => 0,
        })
        .sum();
    for (i, tok) in s(sd, "data").unwrap_or("").split_whitespace().enumerate() {
        if before + readings.len() + below.len() + above.len() >= crate::MAX_READINGS_PER_IMPORT {
            return Err((
                "valueSampledData.data",
                format!(
                    "the bundle holds more than {} readings; split it",
                    crate::MAX_READINGS_PER_IMPORT
                ),
            ));
        }
        // E: no value at that point; L, U: below or above the detection limit, kept as
        // censored readings at the limit the SampledData gives (R4: lowerLimit,
        // upperLimit), never as a measured value.
        let point = match tok {
            "E" => continue,
            "L" | "U" => {
                let (limit, censor) = if tok == "L" {
                    (sd.get("lowerLimit").and_then(Value::as_f64), Censor::Below)
                } else {
                    (sd.get("upperLimit").and_then(Value::as_f64), Censor::Above)
                };
                let Some(limit) = limit else {
                    out.skip(
                        T,
                        "a sampled point beyond a detection limit the data does not give (not kept)",
                    );
                    continue;
                };
                Err((limit, censor))
            }
            _ => match tok.parse::<f64>() {
                Ok(x) => Ok(x),
                Err(_) => continue,
            },
        };
        let t_ms = start_ms as f64 + period * i as f64;
        let secs = (t_ms / 1000.0).round() as i64;
        let Some(at) = DateTime::from_unix_offset(secs, offset) else {
            return Err((
                "valueSampledData.period",
                "readings run past the year 9999".into(),
            ));
        };
        match point {
            Ok(x) => {
                let value = base + factor * x;
                // Undo binary noise from origin + factor * x: devices give a few decimals.
                let value = (value * 1e6).round() / 1e6;
                readings.push(Reading { at, value });
            }
            Err((limit, Censor::Below)) => below.push(Reading { at, value: limit }),
            Err((limit, Censor::Above)) => above.push(Reading { at, value: limit }),
        }
    }
    for (set, censor) in [(below, Censor::Below), (above, Censor::Above)] {
        if !set.is_empty() {
            out.add(
                T,
                Item::Censored {
                    set: ReadingSet {
                        kind: kind.clone(),
                        unit: unit.clone(),
                        source: source.clone(),
                        readings: set,
                    },
                    censor,
                },
            );
            any_censored = true;
        }
    }
    if readings.is_empty() && any_censored {
        return Ok(None);
    }
    if readings.is_empty() {
        out.skip(T, "sampled data without a valid value");
        return Ok(None);
    }
    out.add(
        T,
        Item::Readings(ReadingSet {
            kind,
            unit,
            source,
            readings,
        }),
    );
    Ok(None)
}

fn decode_attachment(a: &Value) -> Result<Option<Vec<u8>>, (&'static str, String)> {
    let Some(data) = s(a, "data") else {
        return Ok(None);
    };
    let clean: Vec<u8> = data.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    data_encoding::BASE64.decode(&clean).map(Some).map_err(|e| {
        (
            "attachment.data",
            format!("attachment data is not base64: {e}"),
        )
    })
}

/// An attachment whose `url` points at a Binary of the same bundle, with that Binary's
/// data (and media type, when the attachment gives none) filled in: the file is in the
/// bundle, not elsewhere.
fn with_binary(a: &Value, index: &Index) -> Option<Value> {
    if s(a, "data").is_some() {
        return None;
    }
    let url = s(a, "url")?;
    let target = index.resolve(a, &serde_json::json!({ "reference": url }))?;
    if target["resourceType"] != "Binary" {
        return None;
    }
    let data = s(target, "data")?;
    let mut merged = a.clone();
    merged["data"] = Value::String(data.to_string());
    if s(a, "contentType").is_none()
        && let Some(ct) = s(target, "contentType")
    {
        merged["contentType"] = Value::String(ct.to_string());
    }
    Some(merged)
}

fn document(
    a: &Value,
    title: Option<String>,
    doc_type: DocType,
    date: DateTime,
) -> Result<Option<NewDocument>, (&'static str, String)> {
    let Some(bytes) = decode_attachment(a)? else {
        return Ok(None);
    };
    Ok(Some(NewDocument {
        title: title
            .or_else(|| s(a, "title").map(str::to_string))
            .unwrap_or_else(|| "Document".into()),
        doc_type,
        date,
        media_type: s(a, "contentType")
            .unwrap_or("application/octet-stream")
            .to_string(),
        file_name: s(a, "title").map(str::to_string),
        bytes,
    }))
}

fn diagnostic_report(r: &Value, index: &Index, out: &mut Import) -> Mapping {
    const T: &str = "DiagnosticReport";
    if matches!(s(r, "status"), Some("entered-in-error" | "cancelled")) {
        out.skip(T, "entered in error or cancelled");
        return Ok(None);
    }
    let (text, code) = concept(r.get("code"), &[systems::LOINC]);
    let title = text.or_else(|| code.map(|c| c.code));
    let date = fhir_instant(
        s(r, "effectiveDateTime")
            .or_else(|| period_start(r.get("effectivePeriod")))
            .or_else(|| s(r, "issued")),
    );
    let forms: Vec<&Value> = r
        .get("presentedForm")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut added = 0;
    if let Some(date) = date {
        for a in forms {
            let inlined = with_binary(a, index);
            let a = inlined.as_ref().unwrap_or(a);
            if let Some(d) = document(a, title.clone(), DocType::Report, date.clone())? {
                out.add(T, Item::Document(d));
                added += 1;
            }
        }
    }
    if added == 0 {
        out.skip(
            T,
            "no attached report with its data (its results are imported as Observations)",
        );
    }
    Ok(None)
}

fn doc_type_of(words: &str) -> DocType {
    let w = words.to_ascii_lowercase();
    if w.contains("letter") {
        DocType::Letter
    } else if w.contains("prescription") {
        DocType::Prescription
    } else if w.contains("imaging") || w.contains("radiology") {
        DocType::Imaging
    } else {
        DocType::Other
    }
}

fn document_reference(r: &Value, index: &Index, out: &mut Import) -> Mapping {
    const T: &str = "DocumentReference";
    if s(r, "status") == Some("entered-in-error") {
        out.skip(T, "entered in error");
        return Ok(None);
    }
    let (type_text, _) = concept(r.get("type"), &[systems::LOINC]);
    let title = s(r, "description")
        .map(str::to_string)
        .or(type_text.clone());
    let doc_type = doc_type_of(type_text.as_deref().unwrap_or(""));
    let mut added = 0;
    for c in r
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(a) = c.get("attachment") else {
            continue;
        };
        let date = fhir_instant(
            s(r, "date")
                .or_else(|| r.get("context").and_then(|x| period_start(x.get("period"))))
                .or_else(|| s(a, "creation")),
        );
        let Some(date) = date else { continue };
        let inlined = with_binary(a, index);
        let a = inlined.as_ref().unwrap_or(a);
        if let Some(d) = document(a, title.clone(), doc_type, date)? {
            out.add(T, Item::Document(d));
            added += 1;
        }
    }
    if added == 0 {
        out.skip(
            T,
            "no attachment with its data and a date (a link to elsewhere is not kept)",
        );
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle(resources: Vec<Value>) -> Vec<u8> {
        let entries: Vec<Value> = resources
            .into_iter()
            .enumerate()
            .map(|(i, r)| json!({"fullUrl": format!("urn:uuid:00000000-0000-0000-0000-{i:012}"), "resource": r}))
            .collect();
        serde_json::to_vec(
            &json!({"resourceType": "Bundle", "type": "collection", "entry": entries}),
        )
        .unwrap()
    }

    fn read(b: &[u8]) -> Result<Import, FhirError> {
        read_bundle(b, &mut |_, _| {})
    }

    #[test]
    fn refuses_what_is_not_a_bundle() {
        assert!(matches!(read(b"\x89PNG\r\n"), Err(FhirError::NotJson(_))));
        assert!(matches!(read(b""), Err(FhirError::NotJson(_))));
        assert!(matches!(read(b"{\"a\": 1}"), Err(FhirError::NotFhir(_))));
        assert!(
            matches!(read(b"{\"resourceType\":\"Bundle\""), Err(FhirError::NotJson(m)) if m.contains("truncated"))
        );
        let e = read(br#"{"resourceType":"Patient"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("one Patient resource, not a Bundle"), "{e}");
        let e = read(br#"{"resourceType":"Bundle","type":"history"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"history\" is not imported"), "{e}");
        let big = vec![b' '; MAX_BUNDLE_BYTES as usize + 1];
        assert!(matches!(read(&big), Err(FhirError::TooLarge { .. })));
    }

    #[test]
    fn maps_the_clinical_resources_and_counts_the_rest() {
        let b = bundle(vec![
            json!({"resourceType": "Patient", "id": "p", "name": [{"use": "official", "given": ["Ana"], "family": "Lima"}], "birthDate": "1980-02", "gender": "female"}),
            json!({"resourceType": "Observation", "id": "o", "status": "final",
                   "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}, {"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
                   "effectiveDateTime": "2020-01-02T10:00:00+01:00",
                   "valueQuantity": {"value": 70.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}),
            json!({"resourceType": "Claim", "id": "c"}),
            json!({"resourceType": "Immunization", "status": "not-done", "vaccineCode": {"text": "x"}, "patient": {"reference": "Patient/p"}, "occurrenceDateTime": "2020"}),
        ]);
        let imp = read(&b).unwrap();
        assert_eq!(imp.items.len(), 3);
        let Item::Entry(Entry::Immunization(i)) = &imp.items[2].item else {
            panic!()
        };
        assert_eq!(i.status, ImmunizationStatus::NotDone, "kept as not done");
        let Item::Entry(Entry::Measurement(m)) = &imp.items[1].item else {
            panic!()
        };
        assert_eq!(
            (m.kind.code.as_str(), m.value, m.unit.as_str()),
            ("29463-7", Some(70.5), "kg")
        );
        assert_eq!(m.at.as_str(), "2020-01-02T10:00:00+01:00");
        let Item::Entry(Entry::Profile(p)) = &imp.items[0].item else {
            panic!()
        };
        assert_eq!(
            (p.name.as_str(), p.birth_date.as_ref().unwrap().as_str()),
            ("Ana Lima", "1980-02")
        );
        assert_eq!(imp.skipped.get("Claim"), Some(&1));
        assert_eq!(imp.skipped.get("Immunization"), None);
    }

    #[test]
    fn problems_name_the_entry_and_the_field() {
        let b = bundle(vec![
            json!({"resourceType": "Patient", "id": "p"}),
            json!({"resourceType": "Observation", "id": "abc", "status": "final", "code": {"text": "x"},
                   "effectivePeriod": {"start": "2020-01-01T00:00:00Z", "stop": "2020-01-02T00:00:00Z"}}),
        ]);
        let e = read(&b).unwrap_err().to_string();
        assert!(
            e.contains("entry 1 (Observation/abc): effectivePeriod.stop is not an R4 element of Period; did you mean effectivePeriod.end?"),
            "{e}"
        );
    }

    #[test]
    fn sampled_data_becomes_readings() {
        let b = bundle(vec![
            json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}]},
            "effectivePeriod": {"start": "2025-03-01T00:00:00+01:00"},
            "valueSampledData": {"origin": {"value": 0, "system": "http://unitsofmeasure.org", "code": "mg/dL"}, "period": 300000, "dimensions": 1, "data": "100 E 102.5"}}),
        ]);
        let imp = read(&b).unwrap();
        let Item::Readings(set) = &imp.items[0].item else {
            panic!()
        };
        assert_eq!(set.readings.len(), 2);
        assert_eq!(set.readings[1].at.as_str(), "2025-03-01T00:10:00+01:00");
        assert_eq!(set.readings[1].value, 102.5);
    }

    const IPS: &str = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips";

    #[test]
    fn medications_of_unknown_status_are_kept_as_unknown() {
        let b = bundle(vec![
            json!({"resourceType": "MedicationStatement", "status": "unknown",
                   "medicationCodeableConcept": {"text": "Metformin 500 mg"},
                   "subject": {"reference": "Patient/p"}}),
            json!({"resourceType": "MedicationStatement", "status": "not-taken",
                   "medicationCodeableConcept": {"text": "Aspirin"},
                   "subject": {"reference": "Patient/p"}}),
        ]);
        let imp = read(&b).unwrap();
        assert_eq!(imp.items.len(), 2);
        let Item::Entry(Entry::Medication(m)) = &imp.items[0].item else {
            panic!()
        };
        assert_eq!(
            (m.name.as_str(), m.status),
            ("Metformin 500 mg", MedicationStatus::Unknown)
        );
        let Item::Entry(Entry::Medication(m)) = &imp.items[1].item else {
            panic!()
        };
        assert_eq!(
            (m.name.as_str(), m.status),
            ("Aspirin", MedicationStatus::NotTaken),
            "a statement that it is not taken stays one"
        );
    }

    #[test]
    fn no_known_food_allergies_keeps_its_scope() {
        let nk = |code: &str, display: &str| {
            json!({"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p"},
                   "code": {"coding": [{"system": IPS, "code": code, "display": display}]}})
        };
        let b = bundle(vec![
            nk("no-known-food-allergies", "No known food allergies"),
            nk("no-known-allergies", "No known allergies"),
        ]);
        let imp = read(&b).unwrap();
        let Item::Entry(Entry::Allergy(a)) = &imp.items[0].item else {
            panic!("{:?}", imp.items[0])
        };
        assert_eq!(a.substance, "No known food allergies");
        assert_eq!(a.code.as_ref().unwrap().code, "no-known-food-allergies");
        // Only the whole-section code is Carnet's "none known".
        assert!(matches!(
            &imp.items[1].item,
            Item::Entry(Entry::NoneKnown(n)) if n.section == SectionId::Allergies
        ));
    }

    #[test]
    fn a_lab_result_without_a_time_takes_its_reports_time() {
        let b = bundle(vec![
            json!({"resourceType": "DiagnosticReport", "status": "final",
                   "code": {"text": "Lipid panel"}, "effectiveDateTime": "2024-05-02T08:15:00+02:00",
                   "result": [{"reference": "urn:uuid:00000000-0000-0000-0000-000000000001"}]}),
            json!({"resourceType": "Observation", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
                   "valueQuantity": {"value": 190, "system": "http://unitsofmeasure.org", "code": "mg/dL"}}),
            json!({"resourceType": "Observation", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": "2085-9"}]},
                   "valueQuantity": {"value": 50, "system": "http://unitsofmeasure.org", "code": "mg/dL"}}),
        ]);
        let imp = read(&b).unwrap();
        let ms: Vec<&Measurement> = imp
            .items
            .iter()
            .filter_map(|m| match &m.item {
                Item::Entry(Entry::Measurement(m)) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(ms.len(), 1, "{:?}", imp.reasons);
        assert_eq!(ms[0].at.as_str(), "2024-05-02T08:15:00+02:00");
        // The one no report lists stays out, saying why.
        assert_eq!(
            imp.reasons
                .get("Observation: no time of observation, nor a report with one"),
            Some(&1)
        );
    }

    #[test]
    fn immunizations_without_a_date_are_kept_as_vaccinations_without_a_date() {
        let b = bundle(vec![
            json!({"resourceType": "Immunization", "status": "completed",
                   "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03", "display": "MMR"}]},
                   "patient": {"reference": "Patient/p"},
                   "_occurrenceDateTime": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}}),
            json!({"resourceType": "Immunization", "status": "completed", "vaccineCode": {"text": "BCG"},
                   "patient": {"reference": "Patient/p"}, "occurrenceString": "in childhood"}),
        ]);
        let imp = read(&b).unwrap();
        type Kept = (String, Option<String>, Option<Date>, Option<String>);
        let kept: Vec<Kept> = imp
            .items
            .iter()
            .map(|m| match &m.item {
                Item::Entry(Entry::Immunization(i)) => (
                    i.vaccine.clone(),
                    i.code.as_ref().map(|c| c.code.clone()),
                    i.date.clone(),
                    i.date_text.clone(),
                ),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kept,
            vec![
                (
                    "MMR".to_string(),
                    Some("03".to_string()),
                    None,
                    Some("unknown".to_string())
                ),
                (
                    "BCG".to_string(),
                    None,
                    None,
                    Some("in childhood".to_string())
                ),
            ]
        );
        assert!(imp.skipped.is_empty(), "{:?}", imp.skipped);
        assert_eq!(
            imp.reasons.get(
                "Immunization: kept without a date (the source gives \"in childhood\" instead)"
            ),
            Some(&1),
            "{:?}",
            imp.reasons
        );
    }

    #[test]
    fn another_reading_value_at_the_same_instant_is_kept_apart() {
        let cgm = |at: &str, v: f64| {
            json!({"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "99504-3"}]},
                "effectiveDateTime": at, "device": {"display": "Libre"},
                "valueQuantity": {"value": v, "system": "http://unitsofmeasure.org", "code": "mg/dL"}})
        };
        let b = bundle(vec![
            cgm("2025-03-01T08:00:00Z", 101.0),
            cgm("2025-03-01T08:05:00Z", 104.0),
            cgm("2025-03-01T08:05:00Z", 131.0),
            cgm("2025-03-01T08:05:00Z", 104.0),
        ]);
        let imp = read(&b).unwrap();
        let mut stored = Vec::new();
        for m in &imp.items {
            let Item::Readings(set) = &m.item else {
                panic!()
            };
            let source = set.source.clone().unwrap();
            let packed = set.clone().pack(&Default::default()).unwrap();
            for blk in packed.blocks {
                for (_, v) in blk.data.readings() {
                    stored.push((source.clone(), v));
                }
            }
        }
        stored.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(
            stored,
            vec![
                ("Libre".to_string(), 101.0),
                ("Libre".to_string(), 104.0),
                ("Libre (another value at the same time)".to_string(), 131.0),
            ],
            "the repeat of 104 is one reading; 131 is not dropped"
        );
    }

    #[test]
    fn a_binary_in_the_bundle_is_the_documents_content() {
        let b = bundle(vec![
            json!({"resourceType": "Binary", "id": "b1", "contentType": "application/pdf", "data": "JVBERi0xLjQ="}),
            json!({"resourceType": "DocumentReference", "status": "current", "date": "2024-01-01T00:00:00Z",
                   "description": "Discharge letter",
                   "content": [{"attachment": {"url": "Binary/b1"}}]}),
        ]);
        let imp = read(&b).unwrap();
        assert_eq!(imp.items.len(), 1, "{:?}", imp.reasons);
        let Item::Document(d) = &imp.items[0].item else {
            panic!()
        };
        assert_eq!(d.bytes, b"%PDF-1.4");
        assert_eq!(d.media_type, "application/pdf");
        assert_eq!(imp.skipped.get("Binary"), Some(&1));
    }

    #[test]
    fn a_bundle_of_bundles_imports_the_inner_entries() {
        let inner = |code: &str| {
            json!({"resourceType": "Bundle", "type": "document", "entry": [
                {"fullUrl": format!("urn:uuid:{code}"), "resource": {"resourceType": "Condition",
                 "code": {"text": code}, "subject": {"reference": "Patient/p"}}}]})
        };
        let b = bundle(vec![inner("Asthma"), inner("Gout")]);
        let imp = read(&b).unwrap();
        let names: Vec<String> = imp
            .items
            .iter()
            .filter_map(|m| match &m.item {
                Item::Entry(Entry::Condition(c)) => Some(c.name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(names, vec!["Asthma", "Gout"]);
        assert_eq!(imp.skipped.get("Bundle"), Some(&2));
    }

    #[test]
    fn blood_pressure_reads_systolic_first_in_mm_hg() {
        let part = |code: &str, v: f64| json!({"code": {"coding": [{"system": "http://loinc.org", "code": code}]}, "valueQuantity": {"value": v}});
        let b = bundle(vec![
            json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
            "effectiveDateTime": "2024-01-01T08:00:00Z",
            "component": [part("8462-4", 80.0), part("8480-6", 120.0)]}),
        ]);
        let imp = read(&b).unwrap();
        let Item::Entry(Entry::Measurement(m)) = &imp.items[0].item else {
            panic!()
        };
        let parts: Vec<(&str, f64, &str)> = m
            .components
            .iter()
            .map(|c| (c.code.code.as_str(), c.value, c.unit.as_str()))
            .collect();
        assert_eq!(
            parts,
            vec![("8480-6", 120.0, "mm[Hg]"), ("8462-4", 80.0, "mm[Hg]")]
        );
        assert_eq!(m.unit, "mm[Hg]");
    }

    #[test]
    fn a_date_only_observation_keeps_its_date() {
        let b = bundle(vec![
            json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "effectiveDateTime": "2020-01-02",
            "valueQuantity": {"value": 70, "system": "http://unitsofmeasure.org", "code": "kg"}}),
        ]);
        let imp = read(&b).unwrap();
        let Item::Entry(Entry::Measurement(m)) = &imp.items[0].item else {
            panic!()
        };
        assert_eq!(m.at.as_str(), "2020-01-02");
        assert!(m.at.is_date_only());
        // Exported as the same date.
        let export = crate::export_bundle(&crate::RecordExport {
            record_id: "r".into(),
            patient_name: "Ana".into(),
            entries: vec![crate::RecordEntry {
                id: "e".into(),
                created: "2024-01-01T00:00:00Z".parse().unwrap(),
                entry: Entry::Measurement(m.clone()),
                attachment: None,
            }],
            now: "2024-01-01T00:00:00Z".parse().unwrap(),
            per_reading: false,
        })
        .unwrap();
        let text = serde_json::to_string(&export.bundle).unwrap();
        assert!(
            text.contains("\"effectiveDateTime\":\"2020-01-02\""),
            "{text}"
        );
    }

    #[test]
    fn a_comparator_is_never_dropped_from_a_value() {
        let obs = |code: &str, unit: &str| {
            json!({"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "effectiveDateTime": "2024-01-01T08:00:00Z",
                "valueQuantity": {"value": 40, "comparator": "<", "system": "http://unitsofmeasure.org", "code": unit}})
        };
        let imp = read(&bundle(vec![
            obs("1988-5", "mg/L"),
            obs("99504-3", "mg/dL"),
        ]))
        .unwrap();
        let Item::Entry(Entry::Measurement(m)) = &imp.items[0].item else {
            panic!("{:?}", imp.items[0])
        };
        // A lab value below the limit of detection: its text, not the bare limit.
        assert_eq!((m.value, m.value_text.as_deref()), (None, Some("<40 mg/L")));
        let Item::Censored { set, censor } = &imp.items[1].item else {
            panic!("{:?}", imp.items[1])
        };
        assert_eq!((*censor, set.readings[0].value), (Censor::Below, 40.0));
    }
}
