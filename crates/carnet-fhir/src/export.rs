//! Carnet entries -> FHIR R4: a collection Bundle of chosen sections, and the
//! International Patient Summary (a document Bundle with its Composition).
//!
//! Every resource gets a `urn:uuid` fullUrl derived from the record and the entry id, so
//! exporting the same record twice gives the same ids (diffable, and idempotent when a
//! receiving system re-imports).

use std::collections::BTreeMap;

use carnet_record::{
    Censor, Code, DateTime, DocType, Entry, IPS_ABSENT_SYSTEM, ImmunizationStatus, Measurement,
    Onset, SectionId, Series, systems,
};
use serde_json::{Map, Value, json};

use crate::error::FhirError;

/// The most missing readings (`E`) written in a row inside one SampledData run: a longer
/// gap (a sensor change, hours without a phone) starts a new Observation instead.
pub const MAX_FILL: usize = 12;
use crate::import::OBSERVATION_CATEGORY;

/// One entry of the record to export.
#[derive(Clone, Debug)]
pub struct RecordEntry {
    /// The entry's id in the record.
    pub id: String,
    /// When it was created (the date of a note).
    pub created: DateTime,
    /// Its content.
    pub entry: Entry,
    /// The decrypted file of a document entry.
    pub attachment: Option<Vec<u8>>,
}

/// What to export.
#[derive(Clone, Debug)]
pub struct RecordExport {
    /// The record's id (stable ids are derived from it).
    pub record_id: String,
    /// The patient's name when the record has no profile (the owner's card name).
    pub patient_name: String,
    /// The entries to export.
    pub entries: Vec<RecordEntry>,
    /// The export's time (Bundle.timestamp, Composition.date).
    pub now: DateTime,
    /// Dense series one Observation per reading, in the HL7 CGM IG's form (glucose
    /// readings carry its sensor-reading profile), instead of compact SampledData days:
    /// for a receiver that reads only that guide. Larger (a year of CGM: ~100 MB).
    pub per_reading: bool,
}

/// An exported bundle and what went into it.
#[derive(Clone, Debug)]
pub struct Export {
    /// The Bundle.
    pub bundle: Value,
    /// Resources written, by type.
    pub resources: BTreeMap<String, usize>,
    /// Entries that have no FHIR form, by kind.
    pub left_out: BTreeMap<String, usize>,
}

const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const ALLERGY_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";

/// A name-based (v8) UUID: the same record and entry always give the same fullUrl.
fn uuid(record: &str, what: &str) -> String {
    let h = blake3::hash(format!("carnet/fhir/v1/{record}/{what}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = data_encoding::HEXLOWER.encode(&b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

fn coding(c: &Code) -> Value {
    let mut m = Map::new();
    m.insert("system".into(), json!(c.system));
    m.insert("code".into(), json!(c.code));
    if let Some(d) = &c.display {
        m.insert("display".into(), json!(d));
    }
    Value::Object(m)
}

fn concept(code: Option<&Code>, text: &str) -> Value {
    match code {
        // Words only in the source: words only again (a coding needs a real system).
        Some(c) if c.system == systems::TEXT => json!({"text": text}),
        Some(c) => json!({"coding": [coding(c)], "text": text}),
        None => json!({"text": text}),
    }
}

/// A code alone as a CodeableConcept: its coding, or its words when it has only words.
/// The HL7 CGM IG's (1.0.0) profile for a sensor reading of `kind` in `unit`, if it has
/// one: interstitial glucose (LOINC 99504-3 in mg/dL, 105272-9 in mmol/L).
fn cgm_profile(kind: &Code, unit: &str) -> Option<&'static str> {
    if kind.system != systems::LOINC {
        return None;
    }
    match (kind.code.as_str(), unit) {
        ("99504-3", "mg/dL") => Some(
            "http://hl7.org/fhir/uv/cgm/StructureDefinition/cgm-sensor-reading-mass-per-volume",
        ),
        ("105272-9", "mmol/L") => Some(
            "http://hl7.org/fhir/uv/cgm/StructureDefinition/cgm-sensor-reading-moles-per-volume",
        ),
        _ => None,
    }
}

fn code_concept(c: &Code) -> Value {
    if c.system == systems::TEXT {
        return json!({"text": c.display.as_deref().unwrap_or(&c.code)});
    }
    json!({"coding": [coding(c)]})
}

fn ucum(value: f64, unit: &str) -> Value {
    json!({"value": value, "unit": unit, "system": systems::UCUM, "code": unit})
}

struct Builder<'a> {
    input: &'a RecordExport,
    patient_url: String,
    entries: Vec<Value>,
    resources: BTreeMap<String, usize>,
    left_out: BTreeMap<String, usize>,
}

impl<'a> Builder<'a> {
    fn new(input: &'a RecordExport) -> Self {
        Builder {
            input,
            patient_url: uuid(&input.record_id, "patient"),
            entries: Vec::new(),
            resources: BTreeMap::new(),
            left_out: BTreeMap::new(),
        }
    }

    fn subject(&self) -> Value {
        json!({"reference": self.patient_url})
    }

    /// Adds a resource; returns its fullUrl.
    fn push(&mut self, key: &str, mut resource: Value) -> String {
        let url = uuid(&self.input.record_id, key);
        let id = url.trim_start_matches("urn:uuid:").to_string();
        if let Some(o) = resource.as_object_mut() {
            let rt = o.remove("resourceType").unwrap_or(Value::Null);
            let mut ordered = Map::new();
            ordered.insert("resourceType".into(), rt.clone());
            ordered.insert("id".into(), json!(id));
            ordered.extend(std::mem::take(o));
            *o = ordered;
            *self
                .resources
                .entry(rt.as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
        self.entries
            .push(json!({"fullUrl": url, "resource": resource}));
        url
    }

    fn patient(&mut self) {
        let profile = self.input.entries.iter().find_map(|e| match &e.entry {
            Entry::Profile(p) => Some(p),
            _ => None,
        });
        let mut p = json!({"resourceType": "Patient"});
        let name = profile
            .map(|p| p.name.clone())
            .unwrap_or_else(|| self.input.patient_name.clone());
        p["name"] = json!([{"text": name}]);
        if let Some(prof) = profile {
            if !prof.identifiers.is_empty() {
                p["identifier"] = Value::Array(
                    prof.identifiers
                        .iter()
                        .map(|i| match &i.system {
                            Some(s) => json!({"system": s, "value": i.value}),
                            None => json!({"value": i.value}),
                        })
                        .collect(),
                );
            }
            if let Some(sex) = prof.sex {
                p["gender"] = json!(sex.as_str());
            }
            if let Some(b) = &prof.birth_date {
                p["birthDate"] = json!(b.as_str());
            }
            if let Some(c) = &prof.emergency_contact {
                let mut contact = json!({"name": {"text": c.name}});
                if let Some(r) = &c.relationship {
                    contact["relationship"] = json!([{"text": r}]);
                }
                if let Some(ph) = &c.phone {
                    contact["telecom"] = json!([{"system": "phone", "value": ph}]);
                }
                p["contact"] = json!([contact]);
            }
            if prof.advance_directives.is_some() {
                *self
                    .left_out
                    .entry("profile: advance directives".into())
                    .or_default() += 1;
            }
        }
        let url = uuid(&self.input.record_id, "patient");
        let mut r = p;
        r["id"] = json!(url.trim_start_matches("urn:uuid:"));
        let ordered = reorder(r);
        self.entries
            .insert(0, json!({"fullUrl": url, "resource": ordered}));
        *self.resources.entry("Patient".into()).or_default() += 1;
        if let Some(prof) = profile
            && let Some(g) = prof.blood_group
        {
            let obs = json!({"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": systems::LOINC, "code": "882-1", "display": "ABO and Rh group [Type] in Blood"}]},
                "subject": self.subject(),
                "valueCodeableConcept": {"text": g.as_str()}});
            self.push("blood-group", obs);
        }
    }

    fn entry(&mut self, e: &RecordEntry) -> Result<Vec<String>, FhirError> {
        let subject = self.subject();
        let key = e.id.clone();
        let resource = match &e.entry {
            Entry::Profile(_) => return Ok(Vec::new()),
            Entry::Allergy(a) => {
                let mut r = json!({"resourceType": "AllergyIntolerance",
                    "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
                    "code": concept(a.code.as_ref(), &a.substance),
                    "patient": subject});
                if let Some(c) = a.criticality {
                    r["criticality"] = json!(c.as_str());
                }
                if let Some(re) = &a.reaction {
                    r["reaction"] = json!([{"manifestation": [{"text": re}]}]);
                }
                match &a.onset {
                    Some(Onset::Date { date }) => r["onsetDateTime"] = json!(date.as_str()),
                    Some(Onset::Period { start, end }) => {
                        let mut p = Map::new();
                        if let Some(s) = start {
                            p.insert("start".into(), json!(s.as_str()));
                        }
                        if let Some(e) = end {
                            p.insert("end".into(), json!(e.as_str()));
                        }
                        r["onsetPeriod"] = Value::Object(p);
                    }
                    Some(Onset::Age { value, unit }) => {
                        r["onsetAge"] = json!({"value": value, "unit": unit,
                            "system": systems::UCUM, "code": unit});
                    }
                    Some(Onset::Text { text }) => r["onsetString"] = json!(text),
                    Some(_) | None => {}
                }
                r
            }
            Entry::Condition(c) => {
                let mut r = json!({"resourceType": "Condition",
                    "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": c.status.as_str()}]},
                    "code": concept(c.code.as_ref(), &c.name),
                    "subject": subject});
                if let Some(o) = &c.onset {
                    r["onsetDateTime"] = json!(o.as_str());
                }
                if let Some(a) = &c.abatement {
                    r["abatementDateTime"] = json!(a.as_str());
                }
                r
            }
            Entry::Procedure(p) => {
                let mut r = json!({"resourceType": "Procedure", "status": p.status.as_str(),
                    "code": concept(p.code.as_ref(), &p.name), "subject": subject});
                if let Some(d) = &p.date {
                    r["performedDateTime"] = json!(d.as_str());
                }
                if let Some(why) = &p.status_reason {
                    r["statusReason"] = json!({"text": why});
                }
                r
            }
            Entry::Medication(m) => {
                let mut r = json!({"resourceType": "MedicationStatement", "status": m.status.as_str(),
                    "medicationCodeableConcept": concept(m.code.as_ref(), &m.name),
                    "subject": subject});
                let mut period = Map::new();
                if let Some(s) = &m.start {
                    period.insert("start".into(), json!(s.as_str()));
                }
                if let Some(e) = &m.end {
                    period.insert("end".into(), json!(e.as_str()));
                }
                if !period.is_empty() {
                    r["effectivePeriod"] = Value::Object(period);
                }
                if let Some(d) = &m.dosage {
                    r["dosage"] = json!([{"text": d}]);
                }
                // MedicationStatement.statusReason is a list of CodeableConcepts.
                if let Some(why) = &m.status_reason {
                    r["statusReason"] = json!([{"text": why}]);
                }
                r
            }
            Entry::Immunization(i) => {
                let mut r = json!({"resourceType": "Immunization", "status": i.status.as_str(),
                    "vaccineCode": concept(i.code.as_ref(), &i.vaccine),
                    "patient": subject});
                match &i.date {
                    Some(d) => r["occurrenceDateTime"] = json!(d.as_str()),
                    // occurrence[x] is required: without a date, what the source said.
                    None => {
                        r["occurrenceString"] = json!(i.date_text.as_deref().unwrap_or("unknown"))
                    }
                }
                if i.status == ImmunizationStatus::NotDone
                    && let Some(why) = &i.status_reason
                {
                    r["statusReason"] = json!({"text": why});
                }
                if let Some(l) = &i.lot {
                    r["lotNumber"] = json!(l);
                }
                r
            }
            Entry::Measurement(m) => observation(m, subject),
            Entry::Series(s) => return Ok(self.series(&key, &[s])),
            Entry::Document(d) => {
                let Some(bytes) = &e.attachment else {
                    return Err(FhirError::Export(format!(
                        "the file of document {} ({}) was not given",
                        e.id, d.title
                    )));
                };
                let mut att = json!({"contentType": d.blob.media_type,
                    "data": data_encoding::BASE64.encode(bytes)});
                if let Some(f) = &d.blob.file_name {
                    att["title"] = json!(f);
                }
                if d.doc_type == DocType::Report {
                    json!({"resourceType": "DiagnosticReport", "status": "final",
                        "code": {"text": d.title}, "subject": subject,
                        "effectiveDateTime": d.date.as_str(), "presentedForm": [att]})
                } else {
                    let mut r = json!({"resourceType": "DocumentReference", "status": "current",
                        "subject": subject, "date": d.date.as_str(), "description": d.title,
                        "content": [{"attachment": att}]});
                    if d.doc_type != DocType::Other {
                        let word = match d.doc_type {
                            DocType::Letter => "Letter",
                            DocType::Prescription => "Prescription",
                            _ => "Imaging",
                        };
                        r["type"] = json!({"text": word});
                    }
                    r
                }
            }
            Entry::Note(n) => {
                json!({"resourceType": "DocumentReference", "status": "current",
                    "subject": subject, "date": e.created.as_str(),
                    "description": n.title.clone().unwrap_or_else(|| "Note".into()),
                    "content": [{"attachment": {"contentType": "text/plain; charset=utf-8",
                        "data": data_encoding::BASE64.encode(n.text.as_bytes())}}]})
            }
            Entry::NoneKnown(n) => {
                let code = coding(&n.ips_code());
                let text = n.ips_code().display.unwrap_or_default();
                let cc = json!({"coding": [code], "text": text});
                match n.section {
                    SectionId::Allergies => json!({"resourceType": "AllergyIntolerance",
                        "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
                        "code": cc, "patient": subject, "recordedDate": n.asserted.as_str()}),
                    SectionId::Conditions => json!({"resourceType": "Condition",
                        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
                        "code": cc, "subject": subject, "recordedDate": n.asserted.as_str()}),
                    SectionId::Medications => json!({"resourceType": "MedicationStatement",
                        "status": "active", "medicationCodeableConcept": cc, "subject": subject,
                        "dateAsserted": n.asserted.as_str()}),
                    _ => {
                        // An Immunization resource asserts a vaccination; "none known"
                        // goes in the IPS section's emptyReason instead.
                        *self
                            .left_out
                            .entry(
                                "none-known immunizations (stated in the IPS section instead)"
                                    .into(),
                            )
                            .or_default() += 1;
                        return Ok(Vec::new());
                    }
                }
            }
        };
        Ok(vec![self.push(&key, resource)])
    }

    /// A day of one series (its block, and the blocks of its censored readings of the
    /// same day) as compact FHIR: one Observation with `valueSampledData` per run of
    /// readings on one grid (R4 core SampledData: origin 0, `period` the step in ms, one
    /// dimension), usually the whole day. A missing reading on the grid is `E` (at most
    /// [`MAX_FILL`] in a row, else a new run starts); a censored reading is `L` (below
    /// the `lowerLimit`) or `U` (above the `upperLimit`), so a limit is never written as
    /// a measured value. Readings off any grid (a clock jitter) start a new run; a run of
    /// one reading is an Observation with `valueQuantity` (and the Quantity's
    /// `comparator` when censored). Times stay exact: no reading is moved onto a grid.
    fn series(&mut self, key: &str, blocks: &[&Series]) -> Vec<String> {
        if self.input.per_reading {
            return self.series_per_reading(key, blocks);
        }
        let s = blocks[0];
        let b = &s.data;
        let mut points: Vec<(i64, f64, Option<Censor>)> = blocks
            .iter()
            .flat_map(|x| x.data.readings().map(|(t, v)| (t, v, x.censored)))
            .collect();
        points.sort_by_key(|p| p.0);
        if blocks.len() > 1 && points.windows(2).any(|w| w[0].0 == w[1].0) {
            // Two blocks at one instant (not written by Carnet's import, which keeps
            // another value in a series of its own): each block alone, none dropped.
            let mut urls = self.series(key, &blocks[..1]);
            for (n, x) in blocks[1..].iter().enumerate() {
                urls.extend(self.series(&format!("{key}/block{n}"), &[x]));
            }
            return urls;
        }
        let mut obs = json!({"resourceType": "Observation", "status": "final",
            "code": code_concept(&s.kind), "subject": self.subject()});
        if let Some(src) = &s.source {
            obs["device"] = json!({"display": src});
        }
        let mut urls = Vec::new();
        let n = points.len();
        let mut i = 0;
        let mut run = 0;
        while i < n {
            let step = if i + 1 < n {
                points[i + 1].0 - points[i].0
            } else {
                0
            };
            // One lowerLimit and one upperLimit per SampledData.
            let mut limits: [Option<f64>; 2] = [None, None];
            let fits = |limits: &mut [Option<f64>; 2], p: &(i64, f64, Option<Censor>)| {
                let side = match p.2 {
                    None => return true,
                    Some(Censor::Below) => 0,
                    Some(Censor::Above) => 1,
                };
                match limits[side] {
                    Some(l) => l == p.1,
                    None => {
                        limits[side] = Some(p.1);
                        true
                    }
                }
            };
            fits(&mut limits, &points[i]);
            let mut j = i + 1;
            if step > 0 {
                while j < n {
                    let d = points[j].0 - points[j - 1].0;
                    if d > 0
                        && d % step == 0
                        && d / step <= MAX_FILL as i64 + 1
                        && fits(&mut limits, &points[j])
                    {
                        j += 1;
                    } else {
                        break;
                    }
                }
            }
            let run_key = if i == 0 && j == n {
                key.to_string()
            } else {
                format!("{key}/run{run}")
            };
            let mut o = obs.clone();
            if j - i == 1 {
                let (t, v, c) = points[i];
                o["effectiveDateTime"] = json!(b.datetime(t).as_str());
                let mut q = ucum(v, &s.unit);
                if let Some(c) = c {
                    q["comparator"] = json!(c.comparator());
                }
                o["valueQuantity"] = q;
            } else {
                let mut data: Vec<String> = Vec::with_capacity(j - i);
                for k in i..j {
                    if k > i {
                        let missing = (points[k].0 - points[k - 1].0) / step - 1;
                        data.extend((0..missing).map(|_| "E".to_string()));
                    }
                    data.push(match points[k].2 {
                        None => format!("{}", points[k].1),
                        Some(Censor::Below) => "L".into(),
                        Some(Censor::Above) => "U".into(),
                    });
                }
                o["effectivePeriod"] = json!({"start": b.datetime(points[i].0).as_str(),
                    "end": b.datetime(points[j - 1].0).as_str()});
                let mut sd = json!({
                    "origin": {"value": 0, "unit": s.unit, "system": systems::UCUM, "code": s.unit},
                    "period": step * 1000, "dimensions": 1});
                if let Some(l) = limits[0] {
                    sd["lowerLimit"] = json!(l);
                }
                if let Some(u) = limits[1] {
                    sd["upperLimit"] = json!(u);
                }
                sd["data"] = json!(data.join(" "));
                o["valueSampledData"] = sd;
            }
            urls.push(self.push(&run_key, o));
            run += 1;
            i = j;
        }
        urls
    }

    /// A day of one series one Observation per reading, as the HL7 CGM IG (1.0.0) has
    /// sensor readings: `valueQuantity` in UCUM, `effectiveDateTime`, category
    /// laboratory, and for glucose in mg/dL or mmol/L the guide's sensor-reading profile
    /// in `meta.profile`. A censored reading keeps its comparator (`<`, `>`) on the
    /// Quantity, the guide saying nothing of them.
    fn series_per_reading(&mut self, key: &str, blocks: &[&Series]) -> Vec<String> {
        let mut urls = Vec::new();
        for (n, s) in blocks.iter().enumerate() {
            let profile = cgm_profile(&s.kind, &s.unit);
            for (k, (t, v)) in s.data.readings().enumerate() {
                let mut o = json!({"resourceType": "Observation", "status": "final",
                    "category": [{"coding": [{"system": OBSERVATION_CATEGORY,
                        "code": "laboratory"}]}],
                    "code": code_concept(&s.kind), "subject": self.subject(),
                    "effectiveDateTime": s.data.datetime(t).as_str()});
                if let Some(p) = profile {
                    o["meta"] = json!({"profile": [p]});
                }
                if let Some(src) = &s.source {
                    o["device"] = json!({"display": src});
                }
                let mut q = ucum(v, &s.unit);
                if let Some(c) = s.censored {
                    q["comparator"] = json!(c.comparator());
                }
                o["valueQuantity"] = q;
                urls.push(self.push(&format!("{key}/b{n}/r{k}"), o));
            }
        }
        urls
    }

    fn finish(self, bundle_type: &str, head: Option<Value>) -> Export {
        let mut entries = self.entries;
        if let Some(h) = head {
            entries.insert(0, h);
        }
        let mut bundle = json!({"resourceType": "Bundle", "type": bundle_type,
            "timestamp": self.input.now.as_str()});
        if bundle_type == "document" {
            bundle["identifier"] = json!({"system": "urn:ietf:rfc:3986",
                "value": uuid(&self.input.record_id, &format!("ips/{}", self.input.now))});
        }
        bundle["entry"] = Value::Array(entries);
        Export {
            bundle: reorder_bundle(bundle),
            resources: self.resources,
            left_out: self.left_out,
        }
    }
}

fn reorder(r: Value) -> Value {
    let Value::Object(mut o) = r else { return r };
    let mut ordered = Map::new();
    for k in ["resourceType", "id"] {
        if let Some(v) = o.remove(k) {
            ordered.insert(k.into(), v);
        }
    }
    ordered.extend(o);
    Value::Object(ordered)
}

fn reorder_bundle(b: Value) -> Value {
    let Value::Object(mut o) = b else { return b };
    let mut ordered = Map::new();
    for k in ["resourceType", "identifier", "type", "timestamp", "entry"] {
        if let Some(v) = o.remove(k) {
            ordered.insert(k.into(), v);
        }
    }
    Value::Object(ordered)
}

fn observation(m: &Measurement, subject: Value) -> Value {
    let mut r = json!({"resourceType": "Observation",
        "status": m.status.clone().unwrap_or_else(|| "final".into())});
    if let Some(c) = &m.category {
        r["category"] = json!([{"coding": [{"system": OBSERVATION_CATEGORY, "code": c}]}]);
    }
    r["code"] = code_concept(&m.kind);
    r["subject"] = subject;
    r["effectiveDateTime"] = json!(m.at.as_str());
    let confirmed = m.value_text.as_deref() == Some(carnet_record::UNUSUAL_CONFIRMED);
    if confirmed {
        // The mark of a value confirmed as unusual travels as a note.
        r["note"] = json!([{"text": carnet_record::UNUSUAL_CONFIRMED}]);
    }
    if let Some(v) = m.value {
        r["valueQuantity"] = ucum(v, &m.unit);
    } else if let Some(c) = &m.value_code {
        r["valueCodeableConcept"] = code_concept(c);
    } else if let Some(t) = m.value_text.as_ref().filter(|_| !confirmed) {
        r["valueString"] = json!(t);
    }
    if let Some(src) = &m.source {
        r["device"] = json!({"display": src});
    }
    if !m.components.is_empty() {
        r["component"] = Value::Array(
            m.components
                .iter()
                .map(|c| json!({"code": code_concept(&c.code), "valueQuantity": ucum(c.value, &c.unit)}))
                .collect(),
        );
    }
    if !m.interpretation.is_empty() {
        r["interpretation"] = Value::Array(m.interpretation.iter().map(code_concept).collect());
    }
    if !m.reference_range.is_empty() {
        r["referenceRange"] = Value::Array(
            m.reference_range
                .iter()
                .map(|rr| {
                    let unit = rr.unit.as_deref().unwrap_or(&m.unit);
                    let mut o = Map::new();
                    if let Some(l) = rr.low {
                        o.insert("low".into(), ucum(l, unit));
                    }
                    if let Some(h) = rr.high {
                        o.insert("high".into(), ucum(h, unit));
                    }
                    if let Some(t) = &rr.text {
                        o.insert("text".into(), json!(t));
                    }
                    Value::Object(o)
                })
                .collect(),
        );
    }
    r
}

/// A collection Bundle of the given entries (the caller chooses the sections), with the
/// Patient first.
pub fn export_bundle(input: &RecordExport) -> Result<Export, FhirError> {
    let mut b = Builder::new(input);
    b.patient();
    let days = series_days(&input.entries);
    for (i, e) in input.entries.iter().enumerate() {
        match days.get(&i) {
            // The first block of a day of a series: the day's blocks as one.
            Some(Some(group)) => {
                let blocks: Vec<&Series> = group
                    .iter()
                    .filter_map(|&k| match &input.entries[k].entry {
                        Entry::Series(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                b.series(&e.id, &blocks);
            }
            // Another block of a day already written.
            Some(None) => {}
            None => {
                b.entry(e)?;
            }
        }
    }
    Ok(b.finish("collection", None))
}

/// The series blocks of one day of one series (kind, unit, source, UTC offset and local
/// date of the first reading), its measured block and censored ones, to write as one:
/// entry index -> `Some(the day's blocks)` for the first, `None` for the others.
fn series_days(entries: &[RecordEntry]) -> BTreeMap<usize, Option<Vec<usize>>> {
    type Day = (String, String, String, Option<String>, i32, String);
    let mut groups: BTreeMap<Day, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Entry::Series(s) = &e.entry
            && !s.data.is_empty()
        {
            let start = s.data.start();
            let date = start.as_str().get(..10).unwrap_or_default().to_string();
            groups
                .entry((
                    s.kind.system.clone(),
                    s.kind.code.clone(),
                    s.unit.clone(),
                    s.source.clone(),
                    start.offset_seconds(),
                    date,
                ))
                .or_default()
                .push(i);
        }
    }
    let mut out = BTreeMap::new();
    for (_, g) in groups {
        for &k in &g[1..] {
            out.insert(k, None);
        }
        out.insert(g[0], Some(g));
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Vital signs shown in the IPS: the latest of each kind.
fn is_vital(m: &Measurement) -> bool {
    m.category.as_deref() == Some("vital-signs")
        || (m.category.is_none() && m.kind_name().is_some())
}

/// One section of the International Patient Summary, as chosen from a record: which
/// entries go in it. Shared by [`export_ips`] and the HTML report, so both show the same.
#[derive(Clone, Debug)]
pub struct IpsSection {
    /// The section's title.
    pub title: &'static str,
    /// Its LOINC code.
    pub loinc: &'static str,
    /// The code's display.
    pub display: &'static str,
    /// Whether the IPS requires it (problems, allergies, medications).
    pub required: bool,
    /// Indices into the entries given, in record order.
    pub members: Vec<usize>,
    /// The record states "none known" for it (and has no other entry).
    pub none_known: bool,
}

impl IpsSection {
    fn new(
        title: &'static str,
        loinc: &'static str,
        display: &'static str,
        required: bool,
    ) -> Self {
        IpsSection {
            title,
            loinc,
            display,
            required,
            members: Vec::new(),
            none_known: false,
        }
    }

    /// What to say when it has no entry.
    pub fn empty_text(&self) -> &'static str {
        match (self.loinc, self.none_known) {
            ("48765-2", true) => "No known allergies",
            ("11450-4", true) => "No known problems",
            ("10160-0", true) => "No known medications",
            ("11369-6", true) => "No known immunizations",
            ("48765-2", false) => "No information about allergies",
            ("11450-4", false) => "No information about problems",
            ("10160-0", false) => "No information about medications",
            _ => "No information",
        }
    }
}

/// Chooses the IPS sections of a record: allergies, problems (active conditions),
/// medications, immunizations, past illnesses (resolved conditions), procedures, the latest
/// vital sign of each kind and the latest laboratory result of each kind. Required sections
/// come first and are always present.
pub fn ips_sections(entries: &[RecordEntry]) -> Vec<IpsSection> {
    let mut allergies = IpsSection::new(
        "Allergies and Intolerances",
        "48765-2",
        "Allergies and adverse reactions Document",
        true,
    );
    let mut problems = IpsSection::new("Problem List", "11450-4", "Problem list - Reported", true);
    let mut meds = IpsSection::new(
        "Medication Summary",
        "10160-0",
        "History of Medication use Narrative",
        true,
    );
    let mut imms = IpsSection::new(
        "Immunizations",
        "11369-6",
        "History of Immunization Narrative",
        false,
    );
    let mut past = IpsSection::new(
        "History of Past Illness",
        "11348-0",
        "History of Past illness Narrative",
        false,
    );
    let mut procs = IpsSection::new(
        "History of Procedures",
        "47519-4",
        "History of Procedures Document",
        false,
    );
    let mut vitals = IpsSection::new("Vital Signs", "8716-3", "Vital signs", false);
    let mut results = IpsSection::new(
        "Results",
        "30954-2",
        "Relevant diagnostic tests/laboratory data Narrative",
        false,
    );
    // The latest measurement per code: a summary, not the whole history.
    let mut latest: BTreeMap<(bool, String, String), usize> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Entry::Measurement(m) = &e.entry {
            let key = (is_vital(m), m.kind.system.clone(), m.kind.code.clone());
            let newer = latest
                .get(&key)
                .is_none_or(|&old| match &entries[old].entry {
                    Entry::Measurement(o) => o.at < m.at,
                    _ => true,
                });
            if newer {
                latest.insert(key, i);
            }
        }
    }
    for (i, e) in entries.iter().enumerate() {
        let target: &mut IpsSection = match &e.entry {
            Entry::Allergy(_) => &mut allergies,
            Entry::Condition(c) => match c.status.as_str() {
                "active" | "recurrence" | "relapse" => &mut problems,
                _ => &mut past,
            },
            Entry::Medication(_) => &mut meds,
            Entry::Immunization(_) => &mut imms,
            Entry::Procedure(_) => &mut procs,
            Entry::NoneKnown(n) => {
                let s = match n.section {
                    SectionId::Allergies => &mut allergies,
                    SectionId::Conditions => &mut problems,
                    SectionId::Medications => &mut meds,
                    _ => &mut imms,
                };
                s.none_known = true;
                // Immunizations have no "none known" resource: the section says it.
                if n.section == SectionId::Immunizations {
                    continue;
                }
                s
            }
            Entry::Measurement(m) => {
                let key = (is_vital(m), m.kind.system.clone(), m.kind.code.clone());
                if latest.get(&key) != Some(&i) {
                    continue;
                }
                if key.0 {
                    &mut vitals
                } else if m.category.as_deref() == Some("laboratory") {
                    &mut results
                } else {
                    continue;
                }
            }
            _ => continue,
        };
        target.members.push(i);
    }
    // "None known" stands only where nothing else does.
    for s in [&mut allergies, &mut problems, &mut meds] {
        let only_none_known = s
            .members
            .iter()
            .all(|&i| matches!(entries[i].entry, Entry::NoneKnown(_)));
        if !only_none_known {
            s.none_known = false;
            s.members
                .retain(|&i| !matches!(entries[i].entry, Entry::NoneKnown(_)));
        }
    }
    if !imms.members.is_empty() {
        imms.none_known = false;
    }
    vec![
        allergies, problems, meds, imms, past, procs, vitals, results,
    ]
}

/// The International Patient Summary: a document Bundle whose first entry is a
/// Composition with the IPS sections. The required sections (problems, allergies,
/// medications) always have an entry: the record's, its explicit "none known", or an IPS
/// "no information" resource.
pub fn export_ips(input: &RecordExport) -> Result<Export, FhirError> {
    let mut b = Builder::new(input);
    b.patient();
    let mut sections = Vec::new();
    for sec in ips_sections(&input.entries) {
        let mut refs = Vec::new();
        let mut lines = Vec::new();
        for &i in &sec.members {
            let e = &input.entries[i];
            refs.extend(b.entry(e)?);
            lines.push(e.entry.summary());
        }
        if refs.is_empty() && sec.required {
            // Required sections never empty: "no information" when the record says nothing.
            let (code, display) = match sec.loinc {
                "48765-2" => ("no-allergy-info", "No information about allergies"),
                "11450-4" => ("no-problem-info", "No information about problems"),
                _ => ("no-medication-info", "No information about medications"),
            };
            let c = Code::new(IPS_ABSENT_SYSTEM, code, Some(display));
            let cc = json!({"coding": [coding(&c)], "text": display});
            let subject = b.subject();
            let r = match sec.loinc {
                "48765-2" => {
                    json!({"resourceType": "AllergyIntolerance", "code": cc, "patient": subject})
                }
                "11450-4" => json!({"resourceType": "Condition", "code": cc, "subject": subject}),
                _ => {
                    json!({"resourceType": "MedicationStatement", "status": "unknown", "medicationCodeableConcept": cc, "subject": subject})
                }
            };
            refs.push(b.push(&format!("ips/{code}"), r));
            lines.push(display.to_string());
        }
        if refs.is_empty() && !sec.none_known {
            continue;
        }
        let items: String = lines
            .iter()
            .map(|l| format!("<li>{}</li>", esc(l)))
            .collect();
        let div = if items.is_empty() {
            format!(
                "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{}</p></div>",
                esc(sec.empty_text())
            )
        } else {
            format!("<div xmlns=\"http://www.w3.org/1999/xhtml\"><ul>{items}</ul></div>")
        };
        let mut s = json!({"title": sec.title,
            "code": {"coding": [{"system": systems::LOINC, "code": sec.loinc, "display": sec.display}]},
            "text": {"status": "generated", "div": div}});
        if refs.is_empty() {
            s["emptyReason"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code": "nilknown", "display": "Nil Known"}]});
        } else {
            s["entry"] = Value::Array(refs.iter().map(|r| json!({"reference": r})).collect());
        }
        sections.push(s);
    }
    let comp_url = uuid(&input.record_id, &format!("ips-composition/{}", input.now));
    let composition = json!({"resourceType": "Composition",
        "id": comp_url.trim_start_matches("urn:uuid:"),
        "status": "final",
        "type": {"coding": [{"system": systems::LOINC, "code": "60591-5", "display": "Patient summary Document"}]},
        "subject": b.subject(),
        "date": input.now.as_str(),
        "author": [b.subject()],
        "title": "International Patient Summary",
        "section": sections});
    *b.resources.entry("Composition".into()).or_default() += 1;
    let head = json!({"fullUrl": comp_url, "resource": composition});
    Ok(b.finish("document", Some(head)))
}
