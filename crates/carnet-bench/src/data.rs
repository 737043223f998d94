//! Realistic records, generated deterministically: a continuous glucose monitor every five
//! minutes (meals, nights, sensor changes, signal losses, Paris time with daylight saving),
//! ten years of clinical history (blood pressure, weight, lab panels, conditions,
//! procedures, medications, vaccines, allergies, notes), and 1 MB attachments that look
//! like what patients attach (PDF reports, JPEG photos: mostly compressed, high-entropy
//! bytes, with real headers and text).

use carnet::record::{
    Allergy, Code, Condition, ConditionStatus, Criticality, Date, DateTime, DocType, Entry,
    Immunization, Measurement, Medication, MedicationStatus, Note, Procedure, ProcedureStatus,
    Profile, Reading, ReadingSet, Sex, systems,
};

/// SplitMix64: small, fast, deterministic.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in [lo, hi).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }

    /// Roughly normal (sum of uniforms), mean 0, deviation 1.
    pub fn normal(&mut self) -> f64 {
        ((0..6).map(|_| self.unit()).sum::<f64>() - 3.0) * std::f64::consts::SQRT_2
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// 2016-01-01T00:00:00Z: ten years before the end of the generated record.
pub const START: i64 = 1_451_606_400;
/// A reading every five minutes.
pub const CGM_PERIOD: i64 = 300;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Howard Hinnant's algorithm: days since 1970-01-01.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn year_of(unix: i64) -> i64 {
    // Good enough for 1970..2100: the year whose 1 January is at or before `unix`.
    let mut y = 1970 + unix / 31_556_952;
    while days_from_civil(y + 1, 1, 1) * 86_400 <= unix {
        y += 1;
    }
    while days_from_civil(y, 1, 1) * 86_400 > unix {
        y -= 1;
    }
    y
}

fn last_sunday(y: i64, m: i64) -> i64 {
    let last = days_from_civil(y, m, 31);
    // 1970-01-01 was a Thursday (weekday 4, Sunday = 0).
    let wd = (last + 4).rem_euclid(7);
    last - wd
}

/// The UTC offset of Paris at `unix`: +02:00 from the last Sunday of March to the last
/// Sunday of October (01:00 UTC both), +01:00 otherwise.
pub fn paris_offset(unix: i64) -> i32 {
    let y = year_of(unix);
    let start = last_sunday(y, 3) * 86_400 + 3_600;
    let end = last_sunday(y, 10) * 86_400 + 3_600;
    if unix >= start && unix < end {
        7_200
    } else {
        3_600
    }
}

/// A time in Paris local time.
pub fn paris(unix: i64) -> DateTime {
    DateTime::from_unix_offset(unix, paris_offset(unix)).expect("a time in range")
}

/// `n` CGM readings (mg/dL, integers as a Dexcom exports them) from `start`, one every five
/// minutes, with the gaps and quirks of a real sensor: a two-hour warm-up every ten days,
/// signal losses, a second of clock drift now and then, meals and nights.
pub fn cgm(n: usize, start: i64, seed: u64) -> Vec<(i64, f64)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    let mut t = start + rng.range(0, CGM_PERIOD);
    let mut session_end = t + 10 * 86_400;
    let mut noise = 0.0f64;
    while out.len() < n {
        if t >= session_end {
            // Sensor change: two hours of warm-up without readings, a new phase.
            t += 7_200 + rng.range(0, CGM_PERIOD);
            session_end = t + 10 * 86_400;
        }
        if rng.unit() < 0.0015 {
            // Signal loss: 15 minutes to 2 hours.
            t += CGM_PERIOD * rng.range(3, 24);
        }
        let local = t + i64::from(paris_offset(t));
        let hour = (local.rem_euclid(86_400)) as f64 / 3_600.0;
        let meal = |at: f64, size: f64| {
            let dt = hour - at;
            if (0.0..4.0).contains(&dt) {
                size * dt * (-dt * 1.4).exp() * 3.0
            } else {
                0.0
            }
        };
        let day = (t - START).div_euclid(86_400);
        let dawn = 18.0 * (-(hour - 6.0).powi(2) / 2.0).exp();
        let base = 118.0 + 12.0 * ((day as f64) / 45.0).sin();
        noise = 0.96 * noise + 3.2 * rng.normal();
        let v = base + dawn + meal(7.5, 55.0) + meal(12.75, 70.0) + meal(19.75, 65.0) + noise;
        out.push((t, v.round().clamp(40.0, 400.0)));
        t += CGM_PERIOD;
        if rng.unit() < 0.05 {
            t += if rng.unit() < 0.5 { -1 } else { 1 };
        }
    }
    out
}

/// Readings as a device export gives them to `Vault::import`.
pub fn reading_set(readings: &[(i64, f64)]) -> ReadingSet {
    ReadingSet {
        kind: Code::new(
            systems::LOINC,
            "99504-3",
            Some("Glucose [Mass/volume] in Interstitial fluid"),
        ),
        unit: "mg/dL".into(),
        source: Some("Dexcom G6".into()),
        readings: readings
            .iter()
            .map(|&(t, v)| Reading {
                at: paris(t),
                value: v,
            })
            .collect(),
    }
}

fn code(system: &str, code: &str, display: &str) -> Option<Code> {
    Some(Code::new(system, code, Some(display)))
}

fn date(unix: i64) -> Date {
    paris(unix).date()
}

const CONDITIONS: &[(&str, &str)] = &[
    ("Type 1 diabetes mellitus", "46635009"),
    ("Essential hypertension", "59621000"),
    ("Hypothyroidism", "40930008"),
    ("Hyperlipidemia", "55822004"),
    ("Diabetic retinopathy", "4855003"),
    ("Migraine", "37796009"),
    ("Asthma", "195967001"),
    ("Gastro-oesophageal reflux disease", "235595009"),
    ("Depressive disorder", "35489007"),
    ("Low back pain", "279039007"),
    ("Acute bronchitis", "10509002"),
    ("Sprain of ankle", "44465007"),
    ("Urinary tract infection", "68566005"),
    ("Iron deficiency anaemia", "87522002"),
    ("Vitamin D deficiency", "34713006"),
    ("Carpal tunnel syndrome", "57406009"),
    ("Influenza", "6142004"),
    ("COVID-19", "840539006"),
    ("Otitis media", "65363002"),
    ("Conjunctivitis", "9826008"),
    ("Diabetic ketoacidosis", "420422005"),
    ("Hypoglycaemia", "302866003"),
    ("Frozen shoulder", "399214001"),
    ("Plantar fasciitis", "202882003"),
    ("Seasonal allergic rhinitis", "367498001"),
];

const PROCEDURES: &[(&str, &str)] = &[
    ("Retinal photography", "314971001"),
    ("Laser photocoagulation of retina", "397539000"),
    ("Appendectomy", "80146002"),
    ("Colonoscopy", "73761001"),
    ("Dental extraction", "55162003"),
    ("Electrocardiogram", "29303009"),
    ("Echocardiography", "40701008"),
    ("Foot examination", "401191002"),
    ("Spirometry", "127783003"),
    ("Ultrasound of thyroid", "24473003"),
    ("Knee arthroscopy", "80003002"),
    ("Skin lesion excision", "177302008"),
    ("Cataract extraction", "54885007"),
    ("Mammography", "71651007"),
    ("Physiotherapy", "91251008"),
];

const MEDICATIONS: &[(&str, &str, &str)] = &[
    (
        "Insulin aspart",
        "A10AB05",
        "units with meals per carbohydrate ratio 1:10",
    ),
    ("Insulin glargine", "A10AE04", "22 units at bedtime"),
    ("Lisinopril", "C09AA03", "10 mg once a day"),
    ("Levothyroxine", "H03AA01", "75 micrograms every morning"),
    ("Atorvastatin", "C10AA05", "20 mg in the evening"),
    ("Salbutamol inhaler", "R03AC02", "2 puffs when needed"),
    ("Omeprazole", "A02BC01", "20 mg before breakfast"),
    ("Sertraline", "N06AB06", "50 mg once a day"),
    (
        "Ibuprofen",
        "M01AE01",
        "400 mg up to three times a day for 5 days",
    ),
    ("Amoxicillin", "J01CA04", "1 g three times a day for 7 days"),
    ("Paracetamol", "N02BE01", "1 g up to four times a day"),
    (
        "Ferrous sulfate",
        "B03AA07",
        "80 mg once a day for 3 months",
    ),
    ("Colecalciferol", "A11CC05", "100,000 IU every 3 months"),
    ("Sumatriptan", "N02CC01", "50 mg at the onset of a migraine"),
    ("Cetirizine", "R06AE07", "10 mg once a day in spring"),
];

const LABS: &[(&str, &str, &str, f64, f64, u8)] = &[
    // (display, LOINC, UCUM unit, mean, spread, decimals)
    (
        "Hemoglobin A1c/Hemoglobin.total in Blood",
        "4548-4",
        "%",
        7.2,
        0.6,
        1,
    ),
    (
        "Cholesterol in LDL [Mass/volume] in Serum or Plasma",
        "13457-7",
        "mg/dL",
        105.0,
        18.0,
        0,
    ),
    (
        "Cholesterol in HDL [Mass/volume] in Serum or Plasma",
        "2085-9",
        "mg/dL",
        55.0,
        8.0,
        0,
    ),
    (
        "Triglyceride [Mass/volume] in Serum or Plasma",
        "2571-8",
        "mg/dL",
        120.0,
        30.0,
        0,
    ),
    (
        "Creatinine [Mass/volume] in Serum or Plasma",
        "2160-0",
        "mg/dL",
        0.9,
        0.12,
        2,
    ),
    (
        "Thyrotropin [Units/volume] in Serum or Plasma",
        "3016-3",
        "m[IU]/L",
        2.1,
        0.7,
        2,
    ),
    (
        "Albumin/Creatinine [Mass Ratio] in Urine",
        "9318-7",
        "mg/g",
        18.0,
        6.0,
        0,
    ),
    (
        "Potassium [Moles/volume] in Serum or Plasma",
        "2823-3",
        "mmol/L",
        4.3,
        0.3,
        1,
    ),
    (
        "Hemoglobin [Mass/volume] in Blood",
        "718-7",
        "g/dL",
        13.6,
        0.8,
        1,
    ),
];

const VACCINES: &[(&str, &str)] = &[
    ("Influenza, seasonal, injectable", "141"),
    ("COVID-19, mRNA", "208"),
    ("Tetanus and diphtheria toxoids", "139"),
    ("Pneumococcal conjugate PCV 13", "133"),
    ("Hepatitis B", "45"),
];

const NOTES: &[&str] = &[
    "Hypos at night after evening exercise; lowered basal by 2 units, to review in two weeks.",
    "Feeling tired in the afternoons. Slept badly this week, work is stressful.",
    "Sensor fell off in the pool; started a new one a day early.",
    "Dizzy when standing up quickly since the new blood pressure tablet.",
    "Carb counting course finished; ratios adjusted with the diabetes nurse.",
    "Headache three days in a row, took sumatriptan twice.",
    "Holiday in Portugal: more walking, fewer units needed at lunch.",
    "Questions for the next appointment: eye check date, flu vaccine, statin dose.",
    "Ran 10 km without a hypo: 20 g of carbs before, temporary basal at 70%.",
    "Cough for two weeks, no fever. GP says viral, come back if it lasts.",
];

/// A measurement entry with a LOINC code.
fn lab(kind: &(&str, &str, &str, f64, f64, u8), value: f64, at: i64) -> Entry {
    let f = 10f64.powi(i32::from(kind.5));
    Entry::Measurement(Measurement {
        kind: Code::new(systems::LOINC, kind.1, Some(kind.0)),
        value: Some((value * f).round() / f),
        unit: kind.2.into(),
        components: Vec::new(),
        at: paris(at),
        source: Some("Laboratoire Cerballiance".into()),
        value_code: None,
        value_text: None,
        category: Some("laboratory".into()),
        status: Some("final".into()),
        reference_range: Vec::new(),
        interpretation: Vec::new(),
    })
}

/// `n` clinical entries spread over ten years from [`START`], in time order, with the
/// proportions of a real record: blood pressure and weight at home, lab panels, conditions,
/// procedures, medications, vaccines, allergies, notes, and one profile first.
pub fn clinical(n: usize, seed: u64) -> Vec<(i64, Entry)> {
    let mut rng = Rng::new(seed);
    let span = 10 * 365 * 86_400;
    // Shares of the 2,000 entries of the reference record.
    let shares: &[(&str, usize)] = &[
        ("allergy", 4),
        ("condition", 25),
        ("procedure", 15),
        ("medication", 60),
        ("immunization", 30),
        ("bp", 600),
        ("weight", 450),
        ("lab", 450),
        ("note", 365),
    ];
    let total: usize = shares.iter().map(|s| s.1).sum();
    let mut kinds: Vec<(i64, &str, usize)> = Vec::new();
    for (kind, share) in shares {
        let count = (n.saturating_sub(1) * share).div_ceil(total);
        for i in 0..count {
            let at = START + (span as f64 * (i as f64 + rng.unit()) / count as f64) as i64;
            kinds.push((at, kind, i));
        }
    }
    kinds.sort();
    kinds.truncate(n.saturating_sub(1));
    let mut out = vec![(
        START,
        Entry::Profile(Profile {
            name: "Camille Durand".into(),
            birth_date: Some("1984-05-12".parse().expect("a date")),
            sex: Some(Sex::Female),
            blood_group: Some(carnet::record::BloodGroup::APos),
            emergency_contact: Some(carnet::record::EmergencyContact {
                name: "Julien Durand".into(),
                phone: Some("+33 6 12 34 56 78".into()),
                relationship: Some("spouse".into()),
            }),
            advance_directives: None,
            identifiers: Vec::new(),
        }),
    )];
    let mut weight = 68.0;
    for (at, kind, i) in kinds {
        let e = match kind {
            "allergy" => {
                let (s, c, r) = [
                    ("Penicillin", "91936005", "hives"),
                    ("Peanut", "91935009", "swelling of the lips"),
                    ("Latex", "300916003", "rash"),
                    ("Cat dander", "232347008", "sneezing, itchy eyes"),
                ][i % 4];
                Entry::Allergy(Allergy {
                    substance: s.into(),
                    code: code(systems::SNOMED, c, s),
                    criticality: Some(if i == 0 {
                        Criticality::High
                    } else {
                        Criticality::Low
                    }),
                    reaction: Some(r.into()),
                    onset: None,
                })
            }
            "condition" => {
                let (name, c) = CONDITIONS[i % CONDITIONS.len()];
                let chronic = i < 6;
                Entry::Condition(Condition {
                    name: name.into(),
                    code: code(systems::SNOMED, c, name),
                    onset: Some(date(at)),
                    abatement: (!chronic).then(|| date(at + rng.range(7, 60) * 86_400)),
                    status: if chronic {
                        ConditionStatus::Active
                    } else {
                        ConditionStatus::Resolved
                    },
                })
            }
            "procedure" => {
                let (name, c) = PROCEDURES[i % PROCEDURES.len()];
                Entry::Procedure(Procedure {
                    name: name.into(),
                    code: code(systems::SNOMED, c, name),
                    date: Some(date(at)),
                    status: ProcedureStatus::Completed,
                    status_reason: None,
                })
            }
            "medication" => {
                let (name, c, dosage) = MEDICATIONS[i % MEDICATIONS.len()];
                let long_term = i % MEDICATIONS.len() < 5;
                Entry::Medication(Medication {
                    name: name.into(),
                    code: code(systems::ATC, c, name),
                    dosage: Some(dosage.into()),
                    start: Some(date(at)),
                    end: (!long_term).then(|| date(at + rng.range(5, 90) * 86_400)),
                    status: if long_term && i >= MEDICATIONS.len() {
                        MedicationStatus::Active
                    } else {
                        MedicationStatus::Completed
                    },
                    status_reason: None,
                })
            }
            "immunization" => {
                let (name, c) = VACCINES[if i % 3 == 0 { i % VACCINES.len() } else { 0 }];
                Entry::Immunization(Immunization {
                    vaccine: name.into(),
                    code: code(systems::CVX, c, name),
                    date: Some(date(at)),
                    lot: Some(format!(
                        "{}{:04}",
                        ["FL", "CV", "TD"][i % 3],
                        rng.range(0, 9999)
                    )),
                    status: Default::default(),
                    status_reason: None,
                    date_text: None,
                })
            }
            "bp" => {
                let s = 128.0 + 9.0 * rng.normal();
                let d = 81.0 + 6.0 * rng.normal();
                let m = Measurement::from_input(
                    "blood-pressure",
                    &format!("{}/{}", s.round(), d.round().min(s.round() - 20.0)),
                    "mmHg",
                    paris(at),
                    Some("Omron M3".into()),
                )
                .expect("a plausible blood pressure");
                Entry::Measurement(m)
            }
            "weight" => {
                weight = (weight + 0.4 * rng.normal()).clamp(58.0, 80.0);
                let m = Measurement::from_input(
                    "weight",
                    &format!("{:.1}", weight),
                    "kg",
                    paris(at),
                    Some("Withings Body+".into()),
                )
                .expect("a plausible weight");
                Entry::Measurement(m)
            }
            "lab" => {
                let k = &LABS[if i % 2 == 0 { 0 } else { i % LABS.len() }];
                lab(k, (k.3 + k.4 * rng.normal()).max(k.3 / 4.0), at)
            }
            _ => Entry::Note(Note {
                text: NOTES[i % NOTES.len()].into(),
                title: (i % 4 == 0).then(|| format!("Diary, {}", date(at))),
            }),
        };
        out.push((at, e));
    }
    out
}

/// One attachment of `size` bytes: a PDF report (text objects, then compressed streams) or
/// a JPEG photo (JFIF headers, tables, entropy-coded data), like what patients attach.
pub fn attachment(i: usize, size: usize) -> (String, DocType, String, Vec<u8>) {
    let mut rng = Rng::new(0xa77ac4 + i as u64);
    let mut bytes = Vec::with_capacity(size);
    let noise = |rng: &mut Rng, out: &mut Vec<u8>, n: usize| {
        let end = out.len() + n;
        while out.len() < end {
            let w = rng.next_u64().to_le_bytes();
            let take = (end - out.len()).min(8);
            out.extend_from_slice(&w[..take]);
        }
    };
    if i.is_multiple_of(2) {
        bytes.extend_from_slice(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
        let text = format!(
            "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>\nendobj\n5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n4 0 obj\n<< /Length 412 >>\nstream\nBT /F1 12 Tf 72 770 Td (Laboratoire Cerballiance - Compte rendu d'analyses n. {i:05}) Tj ET\nBT /F1 10 Tf 72 740 Td (Patient: DURAND Camille, nee le 12/05/1984) Tj ET\nBT /F1 10 Tf 72 720 Td (Hemoglobine glyquee HbA1c: 7,1 % (4,0 - 6,0)) Tj ET\nendstream\nendobj\n6 0 obj\n<< /Type /XObject /Subtype /Image /Width 1240 /Height 1754 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length {} >>\nstream\n",
            size.saturating_sub(2048)
        );
        bytes.extend_from_slice(text.as_bytes());
        let tail = b"\nendstream\nendobj\nxref\n0 7\n0000000000 65535 f \ntrailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n";
        let n = size.saturating_sub(bytes.len() + tail.len());
        noise(&mut rng, &mut bytes, n);
        bytes.extend_from_slice(tail);
        (
            format!("Lab report {}", 2016 + i / 5),
            DocType::Report,
            "application/pdf".into(),
            bytes,
        )
    } else {
        // SOI, APP0 JFIF, a quantization table, a frame header, then scan data.
        bytes.extend_from_slice(&[0xff, 0xd8, 0xff, 0xe0, 0, 16]);
        bytes.extend_from_slice(b"JFIF\0\x01\x01\x00\x00\x48\x00\x48\x00\x00");
        bytes.extend_from_slice(&[0xff, 0xdb, 0, 67, 0]);
        bytes.extend((0..64u8).map(|k| 2 + k / 3));
        bytes.extend_from_slice(&[
            0xff, 0xc0, 0, 17, 8, 0x0f, 0xc0, 0x0b, 0xd0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
        ]);
        bytes.extend_from_slice(&[0xff, 0xda, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0]);
        let n = size.saturating_sub(bytes.len() + 2);
        noise(&mut rng, &mut bytes, n);
        bytes.extend_from_slice(&[0xff, 0xd9]);
        (
            format!("Photo of a skin lesion {}", i),
            DocType::Imaging,
            "image/jpeg".into(),
            bytes,
        )
    }
}

/// The readings as the generic CSV device export (`time,kind,value,unit,source`), from
/// the same in-memory readings an import takes (their times already as text).
pub fn readings_csv(readings: &[Reading], out: &mut Vec<u8>) {
    use std::io::Write;
    out.extend_from_slice(b"time,kind,value,unit,source\n");
    for r in readings {
        out.extend_from_slice(r.at.as_str().as_bytes());
        let _ = writeln!(out, ",glucose,{},mg/dL,Dexcom G6", r.value);
    }
}

/// The clinical entries as CSV: one row per entry, its kind, date and fields.
pub fn entries_csv(entries: &[(i64, Entry)], out: &mut Vec<u8>) {
    use std::io::Write;
    out.extend_from_slice(b"kind,date,code,value,unit,text\n");
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for (_, e) in entries {
        let _ = match e {
            Entry::Measurement(m) => {
                let value = match (m.value, m.components.as_slice()) {
                    (Some(v), _) => v.to_string(),
                    (None, [s, d, ..]) => format!("{}/{}", s.value, d.value),
                    _ => String::new(),
                };
                writeln!(
                    out,
                    "measurement,{},{},{},{},{}",
                    m.at,
                    m.kind.code,
                    value,
                    m.unit,
                    q(m.source.as_deref().unwrap_or(""))
                )
            }
            Entry::Condition(c) => writeln!(
                out,
                "condition,{},{},{},,{}",
                c.onset.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                c.code.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
                c.status.as_str(),
                q(&c.name)
            ),
            Entry::Procedure(p) => writeln!(
                out,
                "procedure,{},{},,,{}",
                p.date.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                p.code.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
                q(&p.name)
            ),
            Entry::Medication(m) => writeln!(
                out,
                "medication,{},{},{},,{}",
                m.start.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                m.code.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
                m.end.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                q(&format!(
                    "{}; {}",
                    m.name,
                    m.dosage.as_deref().unwrap_or("")
                ))
            ),
            Entry::Immunization(i) => writeln!(
                out,
                "immunization,{},{},{},,{}",
                i.date.as_ref().map(ToString::to_string).unwrap_or_default(),
                i.code.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
                i.lot.as_deref().unwrap_or(""),
                q(&i.vaccine)
            ),
            Entry::Allergy(a) => writeln!(
                out,
                "allergy,,{},{},,{}",
                a.code.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
                a.criticality.map(|c| c.as_str()).unwrap_or(""),
                q(&format!(
                    "{}; {}",
                    a.substance,
                    a.reaction.as_deref().unwrap_or("")
                ))
            ),
            Entry::Note(n) => writeln!(
                out,
                "note,,,,,{}",
                q(&format!(
                    "{}{}",
                    n.title
                        .as_deref()
                        .map(|t| format!("{t}: "))
                        .unwrap_or_default(),
                    n.text
                ))
            ),
            Entry::Profile(p) => writeln!(
                out,
                "profile,{},,,,{}",
                p.birth_date
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                q(&p.name)
            ),
            other => writeln!(out, "other,,,,,{}", q(&other.summary())),
        };
    }
}
