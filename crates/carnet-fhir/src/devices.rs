//! CSV (and Nightscout JSON) exports of glucose meters and other devices -> readings.
//!
//! Real layouts, not idealised ones: a byte-order mark (sometimes mangled into the first
//! header cell), metadata rows before the readings (Dexcom Clarity), a preamble line
//! before the header (FreeStyle Libre), no header at all (Nightscout's entries.csv), units
//! in the header (mg/dL or mmol/L), and each format's own date convention (Libre writes
//! day and month in the order of the reader's locale: it is told from the data).
//!
//! Glucose from a continuous monitor is coded as the HL7 CGM implementation guide does:
//! LOINC 99504-3 (mg/dL) and 14745-4 (mmol/L), interstitial fluid; finger-stick readings
//! as 41653-7 / 14743-9, capillary blood by glucometer.

use std::collections::BTreeMap;
use std::str::FromStr;

use carnet_record::{Censor, Code, DateTime, Entry, Measurement, Reading, ReadingSet, systems};
use jiff::civil;
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde_json::Value;

use crate::error::FhirError;
use crate::import::{Import, Item, Mapped};

/// The largest device export read in one piece (a year of 5-minute readings is ~15 MB).
pub const MAX_CSV_BYTES: u64 = 64 * 1024 * 1024;

/// The most readings one import takes (19 years of 5-minute readings): past this a
/// hostile file could make memory grow far beyond its size.
pub const MAX_READINGS_PER_IMPORT: usize = 2_000_000;

/// Which device export a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceFormat {
    /// Dexcom Clarity CSV export (G6, G7).
    Dexcom,
    /// Abbott FreeStyle Libre (LibreView) CSV export.
    Libre,
    /// Nightscout entries, as CSV (`/api/v1/entries.csv`) or JSON.
    Nightscout,
    /// Medtronic CareLink export (Guardian Connect, MiniMed pumps): sections of pump and
    /// sensor rows, `;` and decimal commas, newest first. Sensor glucose only is read.
    Medtronic,
    /// Carnet's generic CSV: a header with `time`, `kind`, `value`, `unit` and optionally
    /// `source` (kinds and units as `carnet add measurement` takes them).
    Generic,
}

impl FromStr for DeviceFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dexcom" => Ok(DeviceFormat::Dexcom),
            "libre" => Ok(DeviceFormat::Libre),
            "nightscout" => Ok(DeviceFormat::Nightscout),
            "medtronic" | "carelink" => Ok(DeviceFormat::Medtronic),
            "generic" => Ok(DeviceFormat::Generic),
            other => Err(format!(
                "format \"{other}\" is not known: use dexcom, libre, nightscout, medtronic or generic"
            )),
        }
    }
}

impl DeviceFormat {
    fn name(self) -> &'static str {
        match self {
            DeviceFormat::Dexcom => "Dexcom Clarity export",
            DeviceFormat::Libre => "FreeStyle Libre export",
            DeviceFormat::Nightscout => "Nightscout export",
            DeviceFormat::Medtronic => "Medtronic CareLink export",
            DeviceFormat::Generic => "generic CSV",
        }
    }
}

/// What a device file maps to: readings to pack into series (and, for the generic format,
/// panel measurements such as blood pressure as entries), with counts of what was left.
pub type DeviceImport = Import;

const CGM_MGDL: (&str, &str) = ("99504-3", "Glucose [Mass/volume] in Interstitial fluid");
const CGM_MMOL: (&str, &str) = ("14745-4", "Glucose [Moles/volume] in Interstitial fluid");
const BG_MGDL: (&str, &str) = (
    "41653-7",
    "Glucose [Mass/volume] in Capillary blood by Glucometer",
);
const BG_MMOL: (&str, &str) = (
    "14743-9",
    "Glucose [Moles/volume] in Capillary blood by Glucometer",
);

fn glucose_code(cgm: bool, mmol: bool) -> (Code, &'static str) {
    let ((code, display), unit) = match (cgm, mmol) {
        (true, false) => (CGM_MGDL, "mg/dL"),
        (true, true) => (CGM_MMOL, "mmol/L"),
        (false, false) => (BG_MGDL, "mg/dL"),
        (false, true) => (BG_MMOL, "mmol/L"),
    };
    (Code::new(systems::LOINC, code, Some(display)), unit)
}

/// Whether a code is one of the device glucose codes above (CGM or glucometer), whose
/// censored values ("<40") are kept as censored readings.
pub(crate) fn is_device_glucose(kind: &Code) -> bool {
    kind.system == systems::LOINC
        && [CGM_MGDL.0, CGM_MMOL.0, BG_MGDL.0, BG_MMOL.0].contains(&kind.code.as_str())
}

/// Collects readings per (kind, unit, source) and counts what is left out.
#[derive(Default)]
struct Collector {
    sets: BTreeMap<(String, String, String), ReadingSet>,
    censored: BTreeMap<(String, String, String, Censor), ReadingSet>,
    labels: BTreeMap<(String, String, String), String>,
    entries: Vec<Mapped>,
    out: Import,
    count: usize,
    /// The first value given at each second of each series, to tell a repeat from another
    /// value at the same time.
    values: BTreeMap<(String, String, String), std::collections::HashMap<i64, f64>>,
    /// Whether a value outside its device's range is kept (marked) rather than refused.
    confirm_unusual: bool,
}

/// What a glucose device reports as a number, in mg/dL: beyond it a sensor writes Low or
/// High (or an error code), so a number outside is not a reading as measured (a wrong
/// unit, an edited file, a converter's bug). (device, lowest, highest).
fn glucose_range(format: DeviceFormat, cgm: bool) -> (&'static str, f64, f64) {
    match (format, cgm) {
        // Dexcom G6/G7: 40-400 mg/dL.
        (DeviceFormat::Dexcom, true) => ("a Dexcom CGM", 40.0, 400.0),
        // FreeStyle Libre 1, 2 and 3: 40-500 mg/dL.
        (DeviceFormat::Libre, true) => ("a FreeStyle Libre sensor", 40.0, 500.0),
        // Nightscout gathers many sensors, some of which report real lows down to ~30
        // (Dexcom special values 0-12 are sensor errors, see `sgv_error`): only the
        // highest any sensor reports is checked.
        (DeviceFormat::Nightscout, true) => ("a CGM", 13.0, 500.0),
        // Medtronic Guardian sensors: 40-400 mg/dL.
        (DeviceFormat::Medtronic, true) => ("a Medtronic Guardian sensor", 40.0, 400.0),
        // Finger-stick meters: 20-600 mg/dL.
        _ => ("a glucose meter", 20.0, 600.0),
    }
}

impl Collector {
    /// A glucose reading from a device: one outside what the device measures is refused
    /// (`refuse` makes the error naming the row) unless the importing person confirmed
    /// unusual values; it is then a single measurement marked as confirmed, not part of
    /// a series (a block holds no mark).
    #[allow(clippy::too_many_arguments)]
    fn device_reading(
        &mut self,
        format: DeviceFormat,
        cgm: bool,
        label: &str,
        kind: Code,
        unit: &str,
        source: &str,
        at: DateTime,
        value: f64,
        refuse: impl FnOnce(String) -> FhirError,
    ) -> Result<(), FhirError> {
        let (device, lo, hi) = glucose_range(format, cgm);
        let mmol = unit == "mmol/L";
        let per = if mmol { 18.016 } else { 1.0 };
        let (lo_u, hi_u) = (lo / per, hi / per);
        // mmol/L limits as devices print them, one decimal (2.2-22.2, 2.2-27.8).
        let round = |v: f64| if mmol { (v * 10.0).round() / 10.0 } else { v };
        let (lo_u, hi_u) = (round(lo_u), round(hi_u));
        if (lo_u..=hi_u).contains(&value) {
            return self.reading(label, kind, unit, source, at, value);
        }
        if !self.confirm_unusual {
            return Err(refuse(format!(
                "glucose {value} {unit} is outside what {device} measures ({lo_u}-{hi_u} {unit}; beyond it the device writes Low or High), so it is not a reading as measured; if the file is right, import it again confirming unusual values (they are then stored marked as confirmed)"
            )));
        }
        self.count += 1;
        let mut m = Measurement {
            kind,
            value: Some(value),
            unit: unit.to_string(),
            components: Vec::new(),
            at,
            source: (!source.is_empty()).then(|| source.to_string()),
            value_code: None,
            value_text: None,
            category: None,
            status: None,
            reference_range: Vec::new(),
            interpretation: Vec::new(),
        };
        m.confirm_unusual();
        self.entries.push(Mapped {
            label: label.to_string(),
            item: Item::Entry(Entry::Measurement(m)),
        });
        Ok(())
    }

    fn reading(
        &mut self,
        label: &str,
        kind: Code,
        unit: &str,
        source: &str,
        at: DateTime,
        value: f64,
    ) -> Result<(), FhirError> {
        self.count += 1;
        if self.count > MAX_READINGS_PER_IMPORT {
            return Err(FhirError::Unsupported(format!(
                "the file holds more than {MAX_READINGS_PER_IMPORT} readings; split it (for example by year)"
            )));
        }
        let mut key = (kind.code.clone(), unit.to_string(), source.to_string());
        // Two readings of one series at the same second with different values (a phone
        // clock set back, two uploaders): a block holds one value per second, so the
        // second goes to a series of its own, named so, rather than being dropped. The
        // same value twice stays a repeat (counted when packed).
        let instant = at.sort_key();
        let first = *self
            .values
            .entry(key.clone())
            .or_default()
            .entry(instant)
            .or_insert(value);
        if first != value && !(first.is_nan() && value.is_nan()) {
            key.2 = if source.is_empty() {
                "another value at the same time".to_string()
            } else {
                format!("{source} (another value at the same time)")
            };
        }
        let source = key.2.clone();
        self.labels
            .entry(key.clone())
            .or_insert_with(|| label.to_string());
        self.sets
            .entry(key)
            .or_insert_with(|| ReadingSet {
                kind,
                unit: unit.to_string(),
                source: (!source.is_empty()).then(|| source.to_string()),
                readings: Vec::new(),
            })
            .readings
            .push(Reading { at, value });
        Ok(())
    }

    /// A censored reading: the device said it is beyond `limit` on the side of `censor`.
    #[allow(clippy::too_many_arguments)]
    fn censored_reading(
        &mut self,
        label: &str,
        kind: Code,
        unit: &str,
        source: &str,
        at: DateTime,
        limit: f64,
        censor: Censor,
    ) -> Result<(), FhirError> {
        self.count += 1;
        if self.count > MAX_READINGS_PER_IMPORT {
            return Err(FhirError::Unsupported(format!(
                "the file holds more than {MAX_READINGS_PER_IMPORT} readings; split it (for example by year)"
            )));
        }
        let key = (kind.code.clone(), unit.to_string(), source.to_string());
        self.labels
            .entry(key.clone())
            .or_insert_with(|| label.to_string());
        let (code, unit_key, source_key) = key;
        self.censored
            .entry((code, unit_key, source_key, censor))
            .or_insert_with(|| ReadingSet {
                kind,
                unit: unit.to_string(),
                source: (!source.is_empty()).then(|| source.to_string()),
                readings: Vec::new(),
            })
            .readings
            .push(Reading { at, value: limit });
        Ok(())
    }

    /// A device's error code where a reading would be: counted, never a glucose value.
    fn sensor_error(&mut self, why: &str) {
        self.skip("sensor error", why);
    }

    fn skip(&mut self, what: &str, why: &str) {
        *self.out.skipped.entry(what.to_string()).or_default() += 1;
        *self
            .out
            .reasons
            .entry(format!("{what}: {why}"))
            .or_default() += 1;
    }

    fn finish(mut self) -> Import {
        for (key, set) in self.sets {
            let label = self.labels.get(&key).cloned().unwrap_or_default();
            self.out.items.push(Mapped {
                label,
                item: Item::Readings(set),
            });
        }
        for ((code, unit, source, censor), set) in self.censored {
            let label = self
                .labels
                .get(&(code, unit, source))
                .cloned()
                .unwrap_or_default();
            self.out.items.push(Mapped {
                label,
                item: Item::Censored { set, censor },
            });
        }
        self.out.items.extend(self.entries);
        self.out
    }
}

fn layout(f: DeviceFormat, message: impl Into<String>) -> FhirError {
    FhirError::Layout {
        file_kind: f.name(),
        message: message.into(),
    }
}

fn row_err(f: DeviceFormat, line: u64, column: &str, message: impl Into<String>) -> FhirError {
    FhirError::Row {
        file_kind: f.name(),
        line,
        column: column.to_string(),
        message: message.into(),
    }
}

/// Choices of the person importing a device export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceOptions {
    /// Store measurements unusual for their kind (generic CSV: 7250 kg) as single
    /// entries marked as confirmed, instead of refusing the file.
    pub confirm_unusual: bool,
}

/// Reads a device export. `tz` is the time zone of local times without an offset (Dexcom
/// and Libre write the wall-clock time of the device).
pub fn read_device_csv(
    bytes: &[u8],
    format: DeviceFormat,
    tz: &TimeZone,
) -> Result<DeviceImport, FhirError> {
    read_device_csv_with(bytes, format, tz, &DeviceOptions::default())
}

/// [`read_device_csv`], with the importing person's choices.
pub fn read_device_csv_with(
    bytes: &[u8],
    format: DeviceFormat,
    tz: &TimeZone,
    options: &DeviceOptions,
) -> Result<DeviceImport, FhirError> {
    if bytes.len() as u64 > MAX_CSV_BYTES {
        return Err(FhirError::TooLarge {
            size: bytes.len() as u64,
            max: MAX_CSV_BYTES,
        });
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.iter().take(4096).any(|&b| b == 0) {
        return Err(layout(
            format,
            "the file is binary, not text: export the readings as CSV from the device's app",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        layout(
            format,
            format!("the file is not UTF-8 text (byte {})", e.valid_up_to()),
        )
    })?;
    match format {
        DeviceFormat::Dexcom => dexcom(text, tz, options),
        DeviceFormat::Libre => libre(text, tz, options),
        DeviceFormat::Nightscout => nightscout(text, options),
        DeviceFormat::Medtronic => medtronic(text, tz, options),
        DeviceFormat::Generic => generic(text, tz, options),
    }
}

/// The field separator of a file: `,`, or the `;` of exports made in locales whose
/// decimal separator is a comma, or a tab (Clarity's tab-delimited export, Nightscout's
/// entries.tsv). Told from the first lines: the one that splits some line most.
fn delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text.lines().take(5).collect();
    let most = |c: char| {
        lines
            .iter()
            .map(|l| l.matches(c).count())
            .max()
            .unwrap_or(0)
    };
    let (comma, semi, tab) = (most(','), most(';'), most('\t'));
    if tab > comma.max(semi) {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

fn records(text: &str) -> impl Iterator<Item = (u64, Result<csv::StringRecord, csv::Error>)> + '_ {
    // Streamed: a file of millions of tiny rows never sits in memory as records.
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes())
        .into_records()
        .map(|r| {
            let line = match &r {
                Ok(rec) => rec.position().map(|p| p.line()).unwrap_or(0),
                Err(e) => e.position().map(|p| p.line()).unwrap_or(0),
            };
            (line, r)
        })
}

/// Header cells lowercased, with any stray quotes and byte-order marks (raw or mangled
/// into Latin-1 by a spreadsheet) stripped.
fn clean_header(cell: &str) -> String {
    let c = cell
        .trim()
        .trim_start_matches(['\u{feff}', '"'])
        .replace("ï»¿", "")
        .replace("Ã¯Â»Â¿", "")
        .trim_matches(['"', ' '])
        .to_lowercase();
    english_header(&c)
}

/// LibreView writes its headers in the reader's language. German ("Gerät,Seriennummer,
/// Gerätezeitstempel,Aufzeichnungstyp,Glukosewert-Verlauf mg/dL,Glukose-Scan mg/dL,...,
/// Glukose-Teststreifen mg/dL") and French ("Appareil,Numéro de série,Horodatage de
/// l'appareil,Type d'enregistrement,Historique de la glycémie mg/dL,Numérisation de la
/// glycémie mg/dL,...") are read as the English names, as published in code that reads
/// real exports.
fn english_header(cell: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("gerätezeitstempel", "device timestamp"),
        ("aufzeichnungstyp", "record type"),
        ("glukosewert-verlauf", "historic glucose"),
        ("glukose-scan", "scan glucose"),
        ("glukose-teststreifen", "strip glucose"),
        ("seriennummer", "serial number"),
        ("gerät", "device"),
        ("horodatage de l'appareil", "device timestamp"),
        ("type d'enregistrement", "record type"),
        ("historique de la glycémie", "historic glucose"),
        ("numérisation de la glycémie", "scan glucose"),
        ("scan de glycémie", "scan glucose"),
        ("glycémie de la bandelette", "strip glucose"),
        ("numéro de série", "serial number"),
        ("appareil", "device"),
    ];
    // Spreadsheets turn ' into ’.
    let cell = cell.replace('\u{2019}', "'");
    for (local, en) in NAMES {
        if let Some(rest) = cell.strip_prefix(local) {
            return format!("{en}{rest}");
        }
    }
    cell
}

fn find(header: &[String], pred: impl Fn(&str) -> bool) -> Option<usize> {
    header.iter().position(|h| pred(h))
}

fn local_time(text: &str, tz: &TimeZone) -> Option<DateTime> {
    local_time_in(text, tz, &mut Wall::default(), "")
}

/// [`local_time`], placing a local time of the hour a clock falls back with [`Wall`].
fn local_time_in(text: &str, tz: &TimeZone, wall: &mut Wall, series: &str) -> Option<DateTime> {
    let t = text.trim().replacen(' ', "T", 1);
    if let Ok(dt) = t.parse::<DateTime>()
        && (t.ends_with('Z') || t.len() > 19)
    {
        return Some(dt);
    }
    wall.place(series, t.parse().ok()?, tz)
}

/// Places the local wall-clock times of a file on the timeline, in file order. In the
/// hour a clock falls back (daylight saving time ends: 02:00-02:59 happens twice in
/// Paris), a local time that would come before the previous reading of its series is
/// the second pass of that hour, so it takes the later offset: both hours are kept,
/// instead of the second being dropped as a repeat of the first. Devices write their
/// readings oldest first (Dexcom Clarity, LibreView), which this relies on.
#[derive(Default)]
struct Wall {
    last: std::collections::HashMap<String, i64>,
}

impl Wall {
    fn place(&mut self, series: &str, local: civil::DateTime, tz: &TimeZone) -> Option<DateTime> {
        let amb = tz.to_ambiguous_zoned(local);
        let fold = matches!(amb.offset(), AmbiguousOffset::Fold { .. });
        let first = amb.clone().compatible().ok()?;
        let last = self.last.get(series).copied();
        let z = if fold && last.is_some_and(|l| first.timestamp().as_second() < l) {
            amb.later().ok()?
        } else {
            first
        };
        self.last
            .insert(series.to_string(), z.timestamp().as_second());
        DateTime::from_unix_offset(z.timestamp().as_second(), z.offset().seconds())
    }
}

fn number(text: &str) -> Option<f64> {
    let t = text.trim();
    // European exports may write a decimal comma (5,4 mmol/L).
    let v: f64 = t.parse().or_else(|_| t.replace(',', ".").parse()).ok()?;
    v.is_finite().then_some(v)
}

/// A censored value written as a comparison, "<40" or "> 22.2": the limit and its side.
fn comparison(text: &str) -> Option<(f64, Censor)> {
    let t = text.trim();
    let (censor, rest) = if let Some(r) = t.strip_prefix('<') {
        (Censor::Below, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (Censor::Above, r)
    } else {
        return None;
    };
    Some((number(rest.trim_start_matches('=').trim())?, censor))
}

/// Dexcom CGM's measuring range: 40-400 mg/dL, 2.2-22.2 mmol/L. Clarity writes "Low" and
/// "High" for readings beyond it.
fn dexcom_limit(censor: Censor, mmol: bool) -> f64 {
    match (censor, mmol) {
        (Censor::Below, false) => 40.0,
        (Censor::Above, false) => 400.0,
        (Censor::Below, true) => 2.2,
        (Censor::Above, true) => 22.2,
    }
}

/// The names of Dexcom's special glucose values, which Nightscout stores in `sgv` in
/// place of a reading (cgm-remote-monitor `lib/plugins/errorcodes.js`; the values 0-12).
fn dexcom_special(code: i64) -> &'static str {
    match code {
        0 => "NONE",
        1 => "SENSOR_NOT_ACTIVE",
        2 => "MINIMAL_DEVIATION",
        3 => "NO_ANTENNA",
        5 => "SENSOR_NOT_CALIBRATED",
        6 => "COUNTS_DEVIATION",
        9 => "ABSOLUTE_DEVIATION",
        10 => "POWER_DEVIATION",
        12 => "BAD_RF",
        _ => "unnamed",
    }
}

/// Why a Nightscout `sgv` is a sensor error rather than a glucose value, if it is one:
/// a Dexcom special value (0-12, never a reading: never a reading),
/// or a value below 40 mg/dL whose trend is NOT COMPUTABLE (how uploaders mark what is
/// not a reading). Other values below 40 are kept: sensors read through xDrip or Loop do
/// report 32-39 mg/dL during a real low, and dropping a true low is as unsafe as storing a
/// false one.
fn sgv_error(v: f64, direction: &str) -> Option<String> {
    if (0.0..=12.0).contains(&v) && v.fract() == 0.0 {
        let n = v as i64;
        return Some(format!(
            "Dexcom special value {n} ({}) in sgv, not a glucose value",
            dexcom_special(n)
        ));
    }
    if v < 0.0 || (v < 40.0 && direction.trim().eq_ignore_ascii_case("NOT COMPUTABLE")) {
        return Some(format!(
            "sgv {v} with trend \"{}\" (below 40 mg/dL, not computable), not a glucose value",
            direction.trim()
        ));
    }
    None
}

fn dexcom(text: &str, tz: &TimeZone, options: &DeviceOptions) -> Result<Import, FhirError> {
    const F: DeviceFormat = DeviceFormat::Dexcom;
    let mut c = Collector {
        confirm_unusual: options.confirm_unusual,
        ..Collector::default()
    };
    let mut header: Option<Vec<String>> = None;
    let mut cols = (0, 0, 0, 0, 0, 0);
    let mut mmol = false;
    let mut device = String::new();
    let mut wall = Wall::default();
    for (line, rec) in records(text) {
        let rec = rec.map_err(|e| row_err(F, line, "?", format!("not CSV: {e}")))?;
        let Some(h) = &header else {
            let cells: Vec<String> = rec.iter().map(clean_header).collect();
            let ts = find(&cells, |h| h.starts_with("timestamp"));
            let et = find(&cells, |h| h == "event type");
            let gv = find(&cells, |h| h.starts_with("glucose value"));
            if let (Some(ts), Some(et), Some(gv)) = (ts, et, gv) {
                mmol = cells[gv].contains("mmol");
                let sub = find(&cells, |h| h == "event subtype").unwrap_or(usize::MAX);
                let dev = find(&cells, |h| h == "device info").unwrap_or(usize::MAX);
                let src = find(&cells, |h| h == "source device id").unwrap_or(usize::MAX);
                cols = (ts, et, gv, sub, dev, src);
                header = Some(cells);
                continue;
            }
            if line > 50 {
                break;
            }
            continue;
        };
        let (ts, et, gv, sub, dev, src) = cols;
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let event = get(et);
        match event {
            "EGV" | "Calibration" | "Fasting Glucose" => {}
            "Device" => {
                device = get(dev).to_string();
                continue;
            }
            "" => continue,
            "FirstName" | "LastName" | "DateOfBirth" => {
                c.skip(
                    "patient info",
                    "a metadata row (the record's profile is kept by you)",
                );
                continue;
            }
            other => {
                c.skip(other, "not a glucose reading (not kept)");
                continue;
            }
        }
        let cgm = event == "EGV";
        let label = if cgm { "glucose" } else { "blood glucose" };
        let raw = get(gv);
        let value = if raw.eq_ignore_ascii_case("low") {
            Err((dexcom_limit(Censor::Below, mmol), Censor::Below))
        } else if raw.eq_ignore_ascii_case("high") {
            Err((dexcom_limit(Censor::Above, mmol), Censor::Above))
        } else if let Some(v) = number(raw) {
            Ok(v)
        } else if let Some(c) = comparison(raw) {
            Err(c)
        } else {
            return Err(row_err(
                F,
                line,
                &h[gv],
                format!("\"{raw}\" is not a glucose value (a number, Low, High, <N or >N)"),
            ));
        };
        let series = format!("{event}\u{0}{}", get(src));
        let Some(at) = local_time_in(get(ts), tz, &mut wall, &series) else {
            return Err(row_err(
                F,
                line,
                &h[ts],
                format!(
                    "\"{}\" is not a date and time (YYYY-MM-DDThh:mm:ss)",
                    get(ts)
                ),
            ));
        };
        let _ = sub;
        let (kind, unit) = glucose_code(cgm, mmol);
        let src_id = get(src);
        let source = if src_id.is_empty() {
            if device.is_empty() {
                "Dexcom".to_string()
            } else {
                device.clone()
            }
        } else {
            format!("Dexcom {src_id}")
        };
        match value {
            Ok(v) => c.device_reading(F, cgm, label, kind, unit, &source, at, v, |m| {
                row_err(F, line, &h[gv], m)
            })?,
            Err((limit, censor)) => {
                c.censored_reading(label, kind, unit, &source, at, limit, censor)?
            }
        }
    }
    if header.is_none() {
        return Err(layout(
            F,
            "no header with \"Timestamp\", \"Event Type\" and \"Glucose Value\" columns: is this a Dexcom Clarity CSV export?",
        ));
    }
    Ok(c.finish())
}

/// The first two fields of a day-first or month-first date, to tell which; `None` for a
/// year-first date (the older Libre Pro layout's `2016/03/16`), which is not ambiguous.
fn date_fields(d: &str) -> Option<(u32, u32)> {
    let mut p = d.trim().split(['-', '/', '.']);
    let first = p.next()?;
    if first.len() == 4 {
        return None;
    }
    Some((first.parse().ok()?, p.next()?.parse().ok()?))
}

/// Whether Libre dates are day-first, told from the data: a first field above 12 is a
/// day, a second field above 12 is a day; when no date tells (every day of the file is
/// the 12th or before), the format's documented month-first order.
fn day_first_from(first_big: bool, second_big: bool) -> Result<bool, &'static str> {
    match (first_big, second_big) {
        (true, true) => Err("its dates mix day-first and month-first forms"),
        (true, false) => Ok(true),
        _ => Ok(false),
    }
}

#[cfg(test)]
fn libre_day_first(dates: &[&str]) -> Result<bool, &'static str> {
    let f: Vec<(u32, u32)> = dates.iter().filter_map(|d| date_fields(d)).collect();
    day_first_from(f.iter().any(|x| x.0 > 12), f.iter().any(|x| x.1 > 12))
}

fn libre_time(
    text: &str,
    day_first: bool,
    tz: &TimeZone,
    wall: &mut Wall,
    series: &str,
) -> Option<DateTime> {
    let (date, time) = text.trim().split_once(' ')?;
    let p: Vec<&str> = date.split(['-', '/', '.']).collect();
    let [a, b, c] = p[..] else { return None };
    // The older Libre Pro layout writes the year first (2016/03/16 06:52).
    let (y, m, d): (i16, i8, i8) = if a.len() == 4 {
        (a.parse().ok()?, b.parse().ok()?, c.parse().ok()?)
    } else if day_first {
        (c.parse().ok()?, b.parse().ok()?, a.parse().ok()?)
    } else {
        (c.parse().ok()?, a.parse().ok()?, b.parse().ok()?)
    };
    let mut tp = time.split(':');
    let (h, mi): (i8, i8) = (tp.next()?.parse().ok()?, tp.next()?.parse().ok()?);
    let s: i8 = tp.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let dt = civil::DateTime::new(y, m, d, h, mi, s, 0).ok()?;
    wall.place(series, dt, tz)
}

fn libre(text: &str, tz: &TimeZone, options: &DeviceOptions) -> Result<Import, FhirError> {
    const F: DeviceFormat = DeviceFormat::Libre;
    // Two streamed passes: the header and the date order first, then the readings.
    let mut header: Option<(usize, Vec<String>)> = None;
    let (mut first_big, mut second_big) = (false, false);
    for (i, (line, r)) in records(text).enumerate() {
        let r = r.map_err(|e| row_err(F, line, "?", format!("not CSV: {e}")))?;
        match &header {
            None if i >= 10 => break,
            None => {
                let cells: Vec<String> = r.iter().map(clean_header).collect();
                // LibreView: "Device Timestamp"; the older Libre Pro (and FreeStyle
                // Libre desktop software) layout: "ID, Time, Record Type, Historic
                // Glucose (mg/dL)...", after a line with the patient's name.
                let old_pro = cells.iter().any(|h| h == "time")
                    && cells.iter().any(|h| h.starts_with("record type"));
                if old_pro || cells.iter().any(|h| h == "device timestamp") {
                    header = Some((i, cells));
                }
            }
            Some((_, h)) => {
                let ts = find(h, |c| c == "device timestamp" || c == "time").unwrap_or(0);
                let date = r.get(ts).and_then(|t| t.split(' ').next()).unwrap_or("");
                if let Some(f) = date_fields(date) {
                    first_big |= f.0 > 12;
                    second_big |= f.1 > 12;
                }
            }
        }
    }
    let Some((hpos, header)) = header else {
        return Err(layout(
            F,
            "no header with a \"Device Timestamp\" column (LibreView), or \"Time\" and \"Record Type\" columns (older Libre Pro layout), in the first lines: is this a FreeStyle Libre export?",
        ));
    };
    let col = |name: &str| find(&header, |h| h.starts_with(name));
    let ts = col("device timestamp").or_else(|| find(&header, |h| h == "time"));
    let (Some(ts), Some(rt)) = (ts, col("record type")) else {
        return Err(layout(F, "the header has no \"Record Type\" column"));
    };
    let hist = col("historic glucose");
    let scan = col("scan glucose");
    let strip = col("strip glucose");
    let dev = col("device");
    let mmol = hist.or(scan).is_some_and(|i| header[i].contains("mmol"));
    let day_first = day_first_from(first_big, second_big).map_err(|m| layout(F, m))?;
    let rows = records(text)
        .skip(hpos + 1)
        .map(|(line, r)| (line, r.unwrap_or_default()));
    let mut c = Collector {
        confirm_unusual: options.confirm_unusual,
        ..Collector::default()
    };
    let mut wall = Wall::default();
    for (line, r) in rows {
        let line = &line;
        let get = |i: Option<usize>| i.and_then(|i| r.get(i)).unwrap_or("").trim();
        let (label, col_i, cgm) = match get(Some(rt)) {
            "0" => ("glucose", hist, true),
            "1" => ("glucose", scan, true),
            "2" => ("blood glucose", strip, false),
            "4" => {
                c.skip("insulin", "not kept");
                continue;
            }
            "5" => {
                c.skip("food", "not kept");
                continue;
            }
            "6" => {
                c.skip("note or event", "not kept");
                continue;
            }
            "" => continue,
            other => {
                c.skip(&format!("record type {other}"), "not a glucose reading");
                continue;
            }
        };
        let raw = get(col_i);
        let value = match (number(raw), comparison(raw)) {
            (Some(v), _) => Ok(v),
            (None, Some(c)) => Err(c),
            (None, None) if raw.is_empty() => {
                c.skip(label, "no value in the row");
                continue;
            }
            (None, None) => {
                let cname = col_i.map(|i| header[i].clone()).unwrap_or_default();
                return Err(row_err(
                    F,
                    *line,
                    &cname,
                    format!("\"{raw}\" is not a glucose value"),
                ));
            }
        };
        let series = format!("{}\u{0}{}", get(Some(rt)), get(dev));
        let Some(at) = libre_time(get(Some(ts)), day_first, tz, &mut wall, &series) else {
            return Err(row_err(
                F,
                *line,
                &header[ts],
                format!(
                    "\"{}\" is not a date and time ({})",
                    get(Some(ts)),
                    if day_first {
                        "DD-MM-YYYY hh:mm"
                    } else {
                        "MM-DD-YYYY hh:mm"
                    }
                ),
            ));
        };
        let (kind, unit) = glucose_code(cgm, mmol);
        let device = match get(dev) {
            "" => "FreeStyle Libre",
            d => d,
        };
        // A scan and the historic (15-minute) reading can share a minute with different
        // values: each is its own series, so both are kept, with their kind.
        let device = if get(Some(rt)) == "1" {
            format!("{device} (scan)")
        } else {
            device.to_string()
        };
        match value {
            Ok(v) => c.device_reading(F, cgm, label, kind, unit, &device, at, v, |m| {
                let cname = col_i.map(|i| header[i].clone()).unwrap_or_default();
                row_err(F, *line, &cname, m)
            })?,
            Err((limit, censor)) => {
                c.censored_reading(label, kind, unit, &device, at, limit, censor)?
            }
        }
    }
    Ok(c.finish())
}

/// A CareLink date and time: `2021/07/25` (year first, as the shared export writes it) or
/// `25.07.2021` (day first, the dotted European form), then `hh:mm[:ss]`.
fn medtronic_civil(date: &str, time: &str) -> Option<civil::DateTime> {
    let p: Vec<&str> = date.trim().split(['/', '-', '.']).collect();
    let [a, b, c] = p[..] else { return None };
    let (y, m, d): (i16, i8, i8) = if a.len() == 4 {
        (a.parse().ok()?, b.parse().ok()?, c.parse().ok()?)
    } else if date.contains('.') && c.len() == 4 {
        (c.parse().ok()?, b.parse().ok()?, a.parse().ok()?)
    } else {
        return None;
    };
    let mut tp = time.trim().split(':');
    let (h, mi): (i8, i8) = (tp.next()?.parse().ok()?, tp.next()?.parse().ok()?);
    let s: i8 = match tp.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    civil::DateTime::new(y, m, d, h, mi, s, 0).ok()
}

/// Medtronic CareLink (Guardian Connect, MiniMed pumps): patient rows, then sections
/// announced by a line `-------;Guardian Connect;Pump;SERIAL;-------` (or `Sensor`), each
/// with an `Index;Date;Time;...` header of ~48 columns, rows newest first. A row with a
/// `Sensor Glucose (mg/dL)` (or mmol/L) value is a CGM reading; every other row (meter
/// readings, boluses, basal rates, alarms, event markers, calibrations) is counted under
/// its column's name as not kept.
fn medtronic(text: &str, tz: &TimeZone, options: &DeviceOptions) -> Result<Import, FhirError> {
    const F: DeviceFormat = DeviceFormat::Medtronic;
    const WHY: &str = "not kept (Carnet reads only sensor glucose from a CareLink export)";
    let mut c = Collector {
        confirm_unusual: options.confirm_unusual,
        ..Collector::default()
    };
    // (line, local time, raw value, device): placed on the timeline oldest first below.
    struct Row {
        line: u64,
        at: civil::DateTime,
        raw: String,
        device: String,
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut header: Option<(Vec<String>, Vec<String>)> = None;
    let mut cols = (0, 0, 0);
    let mut mmol = false;
    let mut sg_name = String::new();
    let mut seen_header = false;
    let mut device = "Medtronic".to_string();
    let mut patient_header = false;
    for (line, rec) in records(text) {
        let rec = rec.map_err(|e| row_err(F, line, "?", format!("not CSV: {e}")))?;
        let first = rec.get(0).unwrap_or("").trim();
        if first.starts_with("-------") {
            let name = rec.get(1).unwrap_or("").trim();
            device = if name.is_empty() {
                "Medtronic".to_string()
            } else {
                format!("Medtronic {name}")
            };
            header = None;
            continue;
        }
        if clean_header(first) == "index" {
            let cells: Vec<String> = rec.iter().map(clean_header).collect();
            let names: Vec<String> = rec.iter().map(|h| h.trim().to_string()).collect();
            let date = find(&cells, |h| h == "date");
            let time = find(&cells, |h| h == "time");
            let sg = find(&cells, |h| h.starts_with("sensor glucose"));
            let (Some(date), Some(time), Some(sg)) = (date, time, sg) else {
                return Err(row_err(
                    F,
                    line,
                    "Index",
                    "the header has no \"Date\", \"Time\" and \"Sensor Glucose\" columns",
                ));
            };
            mmol = cells[sg].contains("mmol");
            sg_name = names[sg].clone();
            cols = (date, time, sg);
            header = Some((cells, names));
            seen_header = true;
            continue;
        }
        let Some((_, names)) = &header else {
            if clean_header(first) == "last name" {
                patient_header = true;
            } else if patient_header && !first.is_empty() {
                patient_header = false;
                c.skip(
                    "patient info",
                    "a metadata row (the record's profile is kept by you)",
                );
            }
            continue;
        };
        let (date, time, sg) = cols;
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let raw = get(sg);
        if raw.is_empty() {
            // What the row holds instead, by the name of its first filled column after
            // the index, date and time.
            let other = (0..rec.len())
                .filter(|&i| i != date && i != time && i != 0 && i != sg)
                .find(|&i| !get(i).is_empty());
            if let Some(i) = other {
                let name = names.get(i).cloned().unwrap_or_default();
                c.skip(&name, WHY);
            }
            continue;
        }
        let Some(at) = medtronic_civil(get(date), get(time)) else {
            return Err(row_err(
                F,
                line,
                &names[date],
                format!(
                    "\"{} {}\" is not a date and time (YYYY/MM/DD hh:mm:ss)",
                    get(date),
                    get(time)
                ),
            ));
        };
        rows.push(Row {
            line,
            at,
            raw: raw.to_string(),
            device: device.clone(),
        });
    }
    if !seen_header {
        return Err(layout(
            F,
            "no section header with \"Index\", \"Date\", \"Time\" and \"Sensor Glucose\" columns: is this a Medtronic CareLink CSV export?",
        ));
    }
    // CareLink writes the newest row first; the timeline is placed oldest first, so the
    // hour a clock falls back is told as in the other files (see `Wall`).
    if rows.first().map(|r| r.at) > rows.last().map(|r| r.at) {
        rows.reverse();
    }
    let mut wall = Wall::default();
    let (kind, unit) = glucose_code(true, mmol);
    for r in rows {
        let value = if let Some(v) = number(&r.raw) {
            Ok(v)
        } else if let Some(cmp) = comparison(&r.raw) {
            Err(cmp)
        } else {
            return Err(row_err(
                F,
                r.line,
                &sg_name,
                format!("\"{}\" is not a glucose value (a number, <N or >N)", r.raw),
            ));
        };
        let Some(at) = wall.place(&r.device, r.at, tz) else {
            return Err(row_err(
                F,
                r.line,
                "Time",
                format!("{} does not exist in the time zone given", r.at),
            ));
        };
        match value {
            Ok(v) => c.device_reading(
                F,
                true,
                "glucose",
                kind.clone(),
                unit,
                &r.device,
                at,
                v,
                |m| row_err(F, r.line, &sg_name, m),
            )?,
            Err((limit, censor)) => {
                c.censored_reading("glucose", kind.clone(), unit, &r.device, at, limit, censor)?
            }
        }
    }
    Ok(c.finish())
}

fn nightscout(text: &str, options: &DeviceOptions) -> Result<Import, FhirError> {
    const F: DeviceFormat = DeviceFormat::Nightscout;
    let mut c = Collector {
        confirm_unusual: options.confirm_unusual,
        ..Collector::default()
    };
    let first = text.trim_start().chars().next();
    if first == Some('[') {
        let entries: Vec<Value> = serde_json::from_str(text)
            .map_err(|e| layout(F, format!("the JSON does not parse: {e}")))?;
        for (i, e) in entries.iter().enumerate() {
            let kind = e.get("type").and_then(Value::as_str).unwrap_or("");
            let (label, key, cgm) = match kind {
                "sgv" => ("glucose", "sgv", true),
                "mbg" => ("blood glucose", "mbg", false),
                other => {
                    c.skip(
                        if other.is_empty() { "entry" } else { other },
                        "not a glucose reading",
                    );
                    continue;
                }
            };
            let bad = |what: &str| layout(F, format!("entry {i}: {what}"));
            // Some uploaders write the value as a string ("sgv": "120").
            let value = e
                .get(key)
                .and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(number)))
                .ok_or_else(|| bad(&format!("no number in \"{key}\"")))?;
            let ms = e
                .get("date")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad("no \"date\" (milliseconds)"))?;
            let offset_min = e.get("utcOffset").and_then(Value::as_i64).unwrap_or(0);
            let offset = offset_min
                .checked_mul(60)
                .and_then(|s| i32::try_from(s).ok())
                .ok_or_else(|| bad("\"utcOffset\" out of range"))?;
            let at = DateTime::from_unix_offset(ms.div_euclid(1000), offset)
                .ok_or_else(|| bad("\"date\" or \"utcOffset\" out of range"))?;
            let device = e.get("device").and_then(Value::as_str).unwrap_or("");
            let source = if device.is_empty() {
                "Nightscout".to_string()
            } else {
                format!("Nightscout ({device})")
            };
            let (code, unit) = glucose_code(cgm, false);
            let direction = e.get("direction").and_then(Value::as_str).unwrap_or("");
            match sgv_error(value, direction).filter(|_| cgm) {
                Some(why) => c.sensor_error(&why),
                None => c.device_reading(F, cgm, label, code, unit, &source, at, value, |m| {
                    layout(F, format!("entry {i} (\"{key}\"): {m}"))
                })?,
            }
        }
        return Ok(c.finish());
    }
    for (line, rec) in records(text) {
        let rec = rec.map_err(|e| row_err(F, line, "?", format!("not CSV: {e}")))?;
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        if rec.len() < 3
            || (line == 1 && get(1).parse::<i64>().is_err() && get(0).parse::<DateTime>().is_err())
        {
            let text: Vec<&str> = rec.iter().collect();
            return Err(row_err(
                F,
                line,
                "1-3",
                format!(
                    "expected dateString, date (ms), sgv[, direction, device], without a header (Nightscout's /api/v1/entries.csv or .tsv), but the line reads \"{}\"; export the entries from Nightscout's API, or as JSON",
                    text.join(",").chars().take(80).collect::<String>()
                ),
            ));
        }
        let Some(value) = number(get(2)) else {
            return Err(row_err(
                F,
                line,
                "3 (sgv)",
                format!("\"{}\" is not a glucose value in mg/dL", get(2)),
            ));
        };
        let at = match get(1).parse::<i64>() {
            Ok(ms) => DateTime::from_unix(ms.div_euclid(1000)),
            Err(_) => get(0).parse::<DateTime>().ok(),
        };
        let Some(at) = at else {
            return Err(row_err(
                F,
                line,
                "1 (dateString)",
                format!("\"{}\" is not a date and time", get(0)),
            ));
        };
        let device = get(4);
        let source = if device.is_empty() {
            "Nightscout".to_string()
        } else {
            format!("Nightscout ({device})")
        };
        let (code, unit) = glucose_code(true, false);
        match sgv_error(value, get(3)) {
            Some(why) => c.sensor_error(&why),
            None => c.device_reading(F, true, "glucose", code, unit, &source, at, value, |m| {
                row_err(F, line, "3 (sgv)", m)
            })?,
        }
    }
    Ok(c.finish())
}

fn generic(text: &str, tz: &TimeZone, options: &DeviceOptions) -> Result<Import, FhirError> {
    const F: DeviceFormat = DeviceFormat::Generic;
    let mut c = Collector::default();
    let mut it = records(text);
    let Some((_, h)) = it.next() else {
        return Err(layout(F, "the file is empty"));
    };
    let h = h.map_err(|e| layout(F, format!("not CSV: {e}")))?;
    let header: Vec<String> = h.iter().map(clean_header).collect();
    let col = |n: &str| find(&header, |h| h == n);
    let (Some(t), Some(k), Some(v), Some(u)) =
        (col("time"), col("kind"), col("value"), col("unit"))
    else {
        return Err(layout(
            F,
            "the header must name the columns time, kind, value and unit (and optionally source)",
        ));
    };
    let s = col("source");
    let now = DateTime::now();
    for (line, rec) in it {
        let rec = rec.map_err(|e| row_err(F, line, "?", format!("not CSV: {e}")))?;
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        if rec.iter().all(|x| x.trim().is_empty()) {
            continue;
        }
        let at = local_time(get(t), tz).ok_or_else(|| {
            row_err(F, line, "time", format!("\"{}\" is not a date and time (RFC 3339, or YYYY-MM-DD hh:mm[:ss] in local time)", get(t)))
        })?;
        let source = s.map(get).filter(|x| !x.is_empty()).map(str::to_string);
        let mut m = Measurement::from_input(get(k), get(v), get(u), at.clone(), source.clone())
            .map_err(|e| row_err(F, line, "value", e.to_string()))?;
        // As typed by hand: no reading after now, no unusual value unless confirmed.
        Entry::Measurement(m.clone())
            .check_dates(&now)
            .map_err(|e| row_err(F, line, "time", e.to_string()))?;
        if let Err(u) = m.check_usual() {
            if !options.confirm_unusual {
                return Err(row_err(
                    F,
                    line,
                    "value",
                    format!(
                        "{u}; if it is right, import again confirming unusual values (it is then stored marked as confirmed)"
                    ),
                ));
            }
            // A block holds no mark: a confirmed unusual value is an entry of its own.
            m.confirm_unusual();
            c.entries.push(Mapped {
                label: m.kind_name().unwrap_or("measurement").to_string(),
                item: Item::Entry(Entry::Measurement(m)),
            });
            continue;
        }
        match m.value {
            Some(value) if m.components.is_empty() => {
                let label = m.kind_name().unwrap_or(get(k)).to_string();
                c.reading(
                    &label,
                    m.kind.clone(),
                    &m.unit,
                    source.as_deref().unwrap_or(""),
                    at,
                    value,
                )?;
            }
            _ => c.entries.push(Mapped {
                label: m.kind_name().unwrap_or("measurement").to_string(),
                item: Item::Entry(Entry::Measurement(m)),
            }),
        }
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> TimeZone {
        TimeZone::UTC
    }

    #[test]
    fn libre_date_order_is_told_from_the_data() {
        assert_eq!(libre_day_first(&["12-04-1961", "13-04-1961"]), Ok(true));
        assert_eq!(libre_day_first(&["04-12-1961", "04-13-1961"]), Ok(false));
        assert!(libre_day_first(&["13-04-1961", "04-13-1961"]).is_err());
    }

    #[test]
    fn generic_rows_become_series_and_panels_entries() {
        let csv = "time,kind,value,unit,source\n2025-01-01 08:00,weight,70.5,kg,Withings\n2025-01-02 08:00,weight,70.1,kg,Withings\n2025-01-02 08:05,blood-pressure,120/80,mmHg,Omron\n";
        let imp = read_device_csv(csv.as_bytes(), DeviceFormat::Generic, &utc()).unwrap();
        assert_eq!(imp.items.len(), 2);
        let Item::Readings(set) = &imp.items[0].item else {
            panic!()
        };
        assert_eq!((set.readings.len(), set.unit.as_str()), (2, "kg"));
        assert!(matches!(
            imp.items[1].item,
            Item::Entry(Entry::Measurement(_))
        ));
        let err = read_device_csv(
            b"time,kind,value,unit\n2025-01-01 08:00,weight,heavy,kg\n",
            DeviceFormat::Generic,
            &utc(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 2") && err.contains("heavy"), "{err}");
    }

    #[test]
    fn mmol_exports_keep_their_unit_and_code() {
        // Dexcom's European layout: mmol/L in the header, local times without offset.
        let dexcom = "\u{feff}Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,Glucose Value (mmol/L)\n\
1,,FirstName,,Ana,,,\n\
2,2025-03-30T01:55:00,EGV,,,,G7,5.4\n\
3,2025-03-30T03:00:00,EGV,,,,G7,\"6,1\"\n\
4,2025-03-30T03:05:00,EGV,,,,G7,Low\n";
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let imp = read_device_csv(dexcom.as_bytes(), DeviceFormat::Dexcom, &paris).unwrap();
        let Item::Readings(set) = &imp.items[0].item else {
            panic!()
        };
        assert_eq!(
            (set.kind.code.as_str(), set.unit.as_str()),
            ("14745-4", "mmol/L")
        );
        let got: Vec<(&str, f64)> = set
            .readings
            .iter()
            .map(|r| (r.at.as_str(), r.value))
            .collect();
        // 02:00 does not exist that night in Paris: the offset changes from +01 to +02.
        assert_eq!(
            got,
            vec![
                ("2025-03-30T01:55:00+01:00", 5.4),
                ("2025-03-30T03:00:00+02:00", 6.1)
            ]
        );
        // "Low" in mmol/L: kept, censored below Dexcom's 2.2 mmol/L limit.
        assert!(!imp.skipped.contains_key("glucose"), "{:?}", imp.skipped);
        let Item::Censored { set, censor } = &imp.items[1].item else {
            panic!("{:?}", imp.items[1])
        };
        assert_eq!(*censor, Censor::Below);
        assert_eq!(set.readings.len(), 1);
        assert_eq!(set.readings[0].value, 2.2);
        assert_eq!(set.readings[0].at.as_str(), "2025-03-30T03:05:00+02:00");
        // LibreView, European: day-first dates, mmol/L columns.
        let libre = "Glucose Data,Generated on,13-04-2025 09:40 UTC\n\
Device,Serial Number,Device Timestamp,Record Type,Historic Glucose mmol/L,Scan Glucose mmol/L,Strip Glucose mmol/L\n\
FreeStyle Libre 2,X1,13-04-2025 08:00,0,5.2,,\n\
FreeStyle Libre 2,X1,13-04-2025 08:07,1,,5.6,\n\
FreeStyle Libre 2,X1,13-04-2025 08:10,2,,,6.0\n";
        let imp = read_device_csv(libre.as_bytes(), DeviceFormat::Libre, &TimeZone::UTC).unwrap();
        let codes: Vec<(&str, &str, usize)> = imp
            .items
            .iter()
            .map(|m| match &m.item {
                Item::Readings(s) => (s.kind.code.as_str(), s.unit.as_str(), s.readings.len()),
                _ => panic!(),
            })
            .collect();
        // The scan is its own series (source "... (scan)"), beside the historic one.
        assert_eq!(
            codes,
            vec![
                ("14743-9", "mmol/L", 1),
                ("14745-4", "mmol/L", 1),
                ("14745-4", "mmol/L", 1)
            ]
        );
    }

    /// A set's source, censoring and (time, value) readings.
    type Set = (String, Option<Censor>, Vec<(String, f64)>);

    fn sets(imp: &Import) -> Vec<Set> {
        imp.items
            .iter()
            .filter_map(|m| match &m.item {
                Item::Readings(s) => Some((s, None)),
                Item::Censored { set, censor } => Some((set, Some(*censor))),
                _ => None,
            })
            .map(|(s, c)| {
                (
                    s.source.clone().unwrap_or_default(),
                    c,
                    s.readings
                        .iter()
                        .map(|r| (r.at.as_str().to_string(), r.value))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn medtronic_sections_newest_first_mmol_and_decimal_commas() {
        // Two sections, newest first, mmol/L with decimal commas, a meter reading and an
        // alarm in the pump section, a comparison in the sensor section.
        let text = "Last Name;First Name;Patient ID\n\"Doe\";\"Jane\";\"\"\n\n\
-------;Guardian Connect;Pump;X1;-------\n\
Index;Date;Time;BG Reading (mmol/L);Alarm;Sensor Glucose (mmol/L);ISIG Value\n\
0,00000;2021/07/25;09:35:28;6,1;;;\n\
1,00000;2021/07/25;09:30:00;;LOW SG;;\n\
-------;Guardian Connect;Sensor;X1;-------\n\
Index;Date;Time;BG Reading (mmol/L);Alarm;Sensor Glucose (mmol/L);ISIG Value\n\
2,00000;2021/07/25;00:10:00;;;5,4;20,1\n\
3,00000;2021/07/25;00:05:00;;;<2,2;\n\
4,00000;2021/07/25;00:00:00;;;12,25;\n";
        let imp = read_device_csv(text.as_bytes(), DeviceFormat::Medtronic, &utc()).unwrap();
        let s = sets(&imp);
        assert_eq!(s.len(), 2, "{s:?}");
        let plain = s.iter().find(|x| x.1.is_none()).unwrap();
        assert_eq!(plain.0, "Medtronic Guardian Connect");
        assert_eq!(
            plain.2,
            vec![
                ("2021-07-25T00:00:00Z".to_string(), 12.25),
                ("2021-07-25T00:10:00Z".to_string(), 5.4)
            ],
            "oldest first, decimal commas read"
        );
        let low = s.iter().find(|x| x.1 == Some(Censor::Below)).unwrap();
        assert_eq!(low.2, vec![("2021-07-25T00:05:00Z".to_string(), 2.2)]);
        assert!(imp.items.iter().all(|m| match &m.item {
            Item::Readings(set) | Item::Censored { set, .. } =>
                set.unit == "mmol/L" && set.kind.code == "14745-4",
            _ => false,
        }));
        assert_eq!(imp.skipped.get("BG Reading (mmol/L)"), Some(&1));
        assert_eq!(imp.skipped.get("Alarm"), Some(&1));
        assert_eq!(imp.skipped.get("patient info"), Some(&1));
        // A date in no known form is refused naming the line.
        let bad = text.replace("2021/07/25;00:10:00", "07/25/2021;00:10:00");
        let e = read_device_csv(bad.as_bytes(), DeviceFormat::Medtronic, &utc())
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 10") && e.contains("YYYY/MM/DD"), "{e}");
        // Not a CareLink file.
        let e = read_device_csv(b"a,b\n1,2\n", DeviceFormat::Medtronic, &utc()).unwrap_err();
        assert!(e.to_string().contains("Medtronic CareLink"), "{e}");
    }

    #[test]
    fn medtronic_newest_first_keeps_both_passes_of_the_hour_a_clock_falls_back() {
        // Paris, 2021-10-31: 02:00-02:59 happens twice. CareLink writes newest first.
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let text = "-------;Guardian Connect;Sensor;X1;-------\n\
Index;Date;Time;Sensor Glucose (mg/dL)\n\
1;2021/10/31;03:05:00;106\n\
2;2021/10/31;02:35:00;105\n\
3;2021/10/31;02:05:00;104\n\
4;2021/10/31;02:35:00;103\n\
5;2021/10/31;02:05:00;102\n\
6;2021/10/31;01:55:00;101\n";
        let imp = read_device_csv(text.as_bytes(), DeviceFormat::Medtronic, &paris).unwrap();
        let s = sets(&imp);
        assert_eq!(s.len(), 1, "one series, no other value at one time: {s:?}");
        let mut got = s[0].2.clone();
        got.sort_by(|a, b| a.1.total_cmp(&b.1));
        let want: Vec<(String, f64)> = [
            ("2021-10-31T01:55:00+02:00", 101.0),
            ("2021-10-31T02:05:00+02:00", 102.0),
            ("2021-10-31T02:35:00+02:00", 103.0),
            ("2021-10-31T02:05:00+01:00", 104.0),
            ("2021-10-31T02:35:00+01:00", 105.0),
            ("2021-10-31T03:05:00+01:00", 106.0),
        ]
        .iter()
        .map(|(t, v)| (t.to_string(), *v))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn nightscout_special_values_are_sensor_errors_and_real_lows_stay() {
        // As Nightscout stores them: Dexcom's special values in sgv, with direction
        // NOT COMPUTABLE; 34 with a trend is a real low (as in the shared fixture).
        let csv = "\"2026-04-05T20:30:29.000Z\",1775421029000,162,\"Flat\",\n\
\"2026-04-05T20:25:28.000Z\",1775420728000,5,\"NOT COMPUTABLE\",\n\
\"2026-04-05T20:20:28.000Z\",1775420428000,1,\"Flat\",\n\
\"2026-04-05T20:15:29.000Z\",1775420129000,5,\"NOT COMPUTABLE\",\n\
\"2026-04-05T20:12:29.000Z\",1775419949000,25,\"NOT COMPUTABLE\",\n\
\"2026-04-05T20:10:28.000Z\",1775419828000,34,\"Flat\",\n\
\"2026-04-05T20:05:29.000Z\",1775419529000,40,\"DoubleDown\",\n";
        let imp = read_device_csv(csv.as_bytes(), DeviceFormat::Nightscout, &utc()).unwrap();
        let got = sets(&imp);
        assert_eq!(got.len(), 1, "{got:?}");
        let values: Vec<f64> = got[0].2.iter().map(|r| r.1).collect();
        // File order (newest first, as Nightscout writes); packing sorts them.
        assert_eq!(
            values,
            vec![162.0, 34.0, 40.0],
            "no error code is a glucose value"
        );
        assert_eq!(imp.skipped.get("sensor error"), Some(&4));
        assert_eq!(
            imp.reasons.get(
                "sensor error: Dexcom special value 5 (SENSOR_NOT_CALIBRATED) in sgv, not a glucose value"
            ),
            Some(&2)
        );
        assert!(
            imp.reasons
                .contains_key("sensor error: Dexcom special value 1 (SENSOR_NOT_ACTIVE) in sgv, not a glucose value"),
            "{:?}",
            imp.reasons
        );
        // The JSON form alike.
        let json = r#"[{"type":"sgv","sgv":9,"date":1775420129000,"direction":"NOT COMPUTABLE"},
                      {"type":"sgv","sgv":120,"date":1775420729000}]"#;
        let imp = read_device_csv(json.as_bytes(), DeviceFormat::Nightscout, &utc()).unwrap();
        let got = sets(&imp);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].2.len(), 1);
        assert_eq!(got[0].2[0].1, 120.0);
        assert!(
            imp.reasons
                .keys()
                .any(|k| k.contains("special value 9 (ABSOLUTE_DEVIATION)")),
            "{:?}",
            imp.reasons
        );
    }

    #[test]
    fn dexcom_low_high_and_comparisons_are_censored_not_dropped() {
        let dexcom = "Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,Glucose Value (mg/dL)\n\
1,2025-03-01T08:00:00,EGV,,,,G6,Low\n\
2,2025-03-01T08:05:00,EGV,,,,G6,<40\n\
3,2025-03-01T08:10:00,EGV,,,,G6,45\n\
4,2025-03-01T20:00:00,EGV,,,,G6,High\n\
5,2025-03-01T20:05:00,EGV,,,,G6,>400\n";
        let imp = read_device_csv(dexcom.as_bytes(), DeviceFormat::Dexcom, &utc()).unwrap();
        let got = sets(&imp);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!((got[0].1, got[0].2.len(), got[0].2[0].1), (None, 1, 45.0));
        let below = got.iter().find(|s| s.1 == Some(Censor::Below)).unwrap();
        let above = got.iter().find(|s| s.1 == Some(Censor::Above)).unwrap();
        assert_eq!(
            below.2.iter().map(|r| r.1).collect::<Vec<_>>(),
            vec![40.0, 40.0]
        );
        assert_eq!(
            above.2.iter().map(|r| r.1).collect::<Vec<_>>(),
            vec![400.0, 400.0]
        );
        assert!(imp.skipped.is_empty(), "{:?}", imp.skipped);
        let err = read_device_csv(
            dexcom.replace(",45\n", ",4S\n").as_bytes(),
            DeviceFormat::Dexcom,
            &utc(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 4") && err.contains("\"4S\""), "{err}");
    }

    #[test]
    fn libre_scan_and_historic_at_one_time_are_both_kept_with_their_kind() {
        let libre = "Glucose Data,Generated on,04-13-2025 09:40 AM UTC\n\
Device,Serial Number,Device Timestamp,Record Type,Historic Glucose mg/dL,Scan Glucose mg/dL,Strip Glucose mg/dL\n\
FreeStyle Libre 3,X1,04-13-2025 08:00,0,101,,\n\
FreeStyle Libre 3,X1,04-13-2025 08:00,1,,108,\n\
FreeStyle Libre 3,X1,04-13-2025 08:15,0,110,,\n";
        let imp = read_device_csv(libre.as_bytes(), DeviceFormat::Libre, &utc()).unwrap();
        let got = sets(&imp);
        assert_eq!(
            got,
            vec![
                (
                    "FreeStyle Libre 3".to_string(),
                    None,
                    vec![
                        ("2025-04-13T08:00:00Z".to_string(), 101.0),
                        ("2025-04-13T08:15:00Z".to_string(), 110.0)
                    ]
                ),
                (
                    "FreeStyle Libre 3 (scan)".to_string(),
                    None,
                    vec![("2025-04-13T08:00:00Z".to_string(), 108.0)]
                ),
            ]
        );
    }

    #[test]
    fn the_hour_a_clock_falls_back_is_kept_twice() {
        // Paris, 2025-10-26: 03:00 CEST becomes 02:00 CET, so 02:00-02:55 happen twice.
        // A Dexcom receiver writes the wall clock: 01:50 ... 02:55, 02:00 ... 02:55, 03:00.
        let mut rows = String::from(
            "Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,Glucose Value (mg/dL)\n",
        );
        let mut locals = vec!["01:50".to_string(), "01:55".to_string()];
        for _ in 0..2 {
            locals.extend((0..12).map(|i| format!("02:{:02}", i * 5)));
        }
        locals.extend(["03:00".to_string(), "03:05".to_string()]);
        for (i, hm) in locals.iter().enumerate() {
            rows.push_str(&format!("{i},2025-10-26T{hm}:00,EGV,,,,G7,{}\n", 100 + i));
        }
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let imp = read_device_csv(rows.as_bytes(), DeviceFormat::Dexcom, &paris).unwrap();
        let got = sets(&imp);
        let readings = &got[0].2;
        assert_eq!(readings.len(), 28);
        assert_eq!(readings[0].0, "2025-10-26T01:50:00+02:00");
        assert_eq!(readings[13].0, "2025-10-26T02:55:00+02:00");
        assert_eq!(readings[14].0, "2025-10-26T02:00:00+01:00");
        assert_eq!(readings[27].0, "2025-10-26T03:05:00+01:00");
        let secs: Vec<i64> = readings
            .iter()
            .map(|r| r.0.parse::<DateTime>().unwrap().sort_key())
            .collect();
        assert!(
            secs.windows(2).all(|w| w[1] - w[0] == 300),
            "every reading 5 minutes after the one before"
        );
        // Every value is kept: the 24 of the repeated hour are distinct.
        let values: Vec<f64> = readings.iter().map(|r| r.1).collect();
        assert_eq!(values, (100..128).map(f64::from).collect::<Vec<_>>());
    }

    #[test]
    fn another_value_at_the_same_second_is_kept_apart_and_a_repeat_is_not() {
        let csv = "\"2026-04-05T20:30:29.000Z\",1775421029000,162,\"Flat\",\n\
\"2026-04-05T20:30:29.000Z\",1775421029000,162,\"Flat\",\n\
\"2026-04-05T20:30:29.000Z\",1775421029000,158,\"Flat\",\n\
\"2026-04-05T20:25:28.000Z\",1775420728000,167,\"Flat\",\n";
        let imp = read_device_csv(csv.as_bytes(), DeviceFormat::Nightscout, &utc()).unwrap();
        let got = sets(&imp);
        assert_eq!(got.len(), 2, "{got:?}");
        // The repeat (162 twice) stays in the series, to be counted as repeated when packed.
        assert_eq!(
            got[0].2.iter().map(|r| r.1).collect::<Vec<_>>(),
            vec![162.0, 162.0, 167.0]
        );
        assert_eq!(got[1].0, "Nightscout (another value at the same time)");
        assert_eq!(got[1].2, vec![("2026-04-05T20:30:29Z".to_string(), 158.0)]);
    }

    #[test]
    fn generic_rows_are_checked_as_if_typed() {
        let csv = "time,kind,value,unit\n2025-01-01 08:00,weight,70.5,kg\n2025-01-02 08:00,weight,7250,kg\n";
        let err = read_device_csv(csv.as_bytes(), DeviceFormat::Generic, &utc())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3")
                && err.contains("7250 kg is unusual")
                && err.contains(crate::CONFIRM_UNUSUAL),
            "{err}"
        );
        let yes = DeviceOptions {
            confirm_unusual: true,
        };
        let imp =
            read_device_csv_with(csv.as_bytes(), DeviceFormat::Generic, &utc(), &yes).unwrap();
        assert_eq!(imp.items.len(), 2);
        let Item::Readings(set) = &imp.items[0].item else {
            panic!()
        };
        assert_eq!(set.readings.len(), 1);
        let Item::Entry(Entry::Measurement(m)) = &imp.items[1].item else {
            panic!()
        };
        assert_eq!(
            (m.value, m.value_text.as_deref()),
            (Some(7250.0), Some(carnet_record::UNUSUAL_CONFIRMED))
        );
        let future = "time,kind,value,unit\n2999-01-01 08:00,weight,70,kg\n";
        let err = read_device_csv_with(future.as_bytes(), DeviceFormat::Generic, &utc(), &yes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("in the future"), "{err}");
    }

    fn fixture(path: &str) -> String {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/fixtures/devices")
                .join(path),
        )
        .unwrap()
    }

    /// The same file in another layout: every field re-written with `sep`, each through
    /// `cell` (which may also reword the header line, `row` 1-based).
    fn relayout(text: &str, sep: u8, cell: impl Fn(usize, usize, &str) -> String) -> String {
        let mut out = csv::WriterBuilder::new()
            .delimiter(sep)
            .flexible(true)
            .from_writer(Vec::new());
        for (row, rec) in csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .into_records()
            .enumerate()
        {
            let rec = rec.unwrap();
            let cells: Vec<String> = rec
                .iter()
                .enumerate()
                .map(|(col, c)| cell(row + 1, col, c))
                .collect();
            out.write_record(&cells).unwrap();
        }
        String::from_utf8(out.into_inner().unwrap()).unwrap()
    }

    fn readings_of(imp: &Import) -> Vec<Set> {
        let mut v = sets(imp);
        v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        v
    }

    #[test]
    fn other_layouts_of_the_shared_exports_read_the_same() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        // Clarity, tab-delimited.
        let clarity = fixture("dexcom_clarity/Clarity_Export_synthetic.csv");
        let tabbed = relayout(&clarity, b'\t', |_, _, c| c.to_string());
        let a = read_device_csv(clarity.as_bytes(), DeviceFormat::Dexcom, &paris).unwrap();
        let b = read_device_csv(tabbed.as_bytes(), DeviceFormat::Dexcom, &paris).unwrap();
        assert_eq!(readings_of(&a), readings_of(&b));
        assert_eq!(
            readings_of(&a).iter().map(|s| s.2.len()).sum::<usize>(),
            3922
        );

        // LibreView in German: German headers, `;` between fields, DD.MM.YYYY dates.
        let libre = fixture("freestyle_libre/FreeStyle_Libre_3_synthetic.csv");
        let german = relayout(&libre, b';', |row, _, c| match row {
            2 => c
                .replace("Device Timestamp", "Gerätezeitstempel")
                .replace("Record Type", "Aufzeichnungstyp")
                .replace("Historic Glucose", "Glukosewert-Verlauf")
                .replace("Scan Glucose", "Glukose-Scan")
                .replace("Strip Glucose", "Glukose-Teststreifen")
                .replace("Serial Number", "Seriennummer")
                .replace("Device", "Gerät"),
            r if r > 2 && c.len() == 16 && c.as_bytes()[2] == b'-' => {
                // 12-04-1961 22:30 -> 12.04.1961 22:30
                c.replacen('-', ".", 2)
            }
            _ => c.to_string(),
        });
        assert!(german.contains("Gerätezeitstempel;Aufzeichnungstyp"));
        assert!(german.contains("12.04.1961 22:30"));
        let a = read_device_csv(libre.as_bytes(), DeviceFormat::Libre, &paris).unwrap();
        let b = read_device_csv(german.as_bytes(), DeviceFormat::Libre, &paris).unwrap();
        assert_eq!(readings_of(&a), readings_of(&b));
        assert_eq!(
            readings_of(&b).iter().map(|s| s.2.len()).sum::<usize>(),
            4305 + 316
        );

        // LibreView in French, month-first dates with '/' (as a French export read by
        // public code has them: %m/%d/%Y %H:%M).
        let french = relayout(&libre, b',', |row, _, c| match row {
            2 => c
                .replace("Device Timestamp", "Horodatage de l\u{2019}appareil")
                .replace("Record Type", "Type d'enregistrement")
                .replace("Historic Glucose", "Historique de la glycémie")
                .replace("Scan Glucose", "Numérisation de la glycémie")
                .replace("Strip Glucose", "Glycémie de la bandelette")
                .replace("Serial Number", "Numéro de série")
                .replace("Device", "Appareil"),
            r if r > 2 && c.len() == 16 && c.as_bytes()[2] == b'-' => {
                // 12-04-1961 22:30 (day first) -> 04/12/1961 22:30 (month first)
                format!("{}/{}/{}", &c[3..5], &c[0..2], &c[6..])
            }
            _ => c.to_string(),
        });
        assert!(french.contains("04/12/1961 22:30"));
        let b = read_device_csv(french.as_bytes(), DeviceFormat::Libre, &paris).unwrap();
        assert_eq!(readings_of(&a), readings_of(&b));

        // LibreView in mmol/L with decimal commas (values written 5,4).
        let mmol = relayout(&libre, b';', |row, col, c| match (row, col) {
            (2, _) => c.replace("mg/dL", "mmol/L"),
            (r, 4 | 5) if r > 2 && !c.is_empty() => {
                let mgdl: f64 = c.parse().unwrap();
                format!("{:.1}", mgdl / 18.0).replace('.', ",")
            }
            _ => c.to_string(),
        });
        let m = read_device_csv(mmol.as_bytes(), DeviceFormat::Libre, &paris).unwrap();
        let first = &readings_of(&m)[0];
        assert_eq!(first.2.len(), 4305);
        assert_eq!(first.2[0].1, (98.0_f64 / 18.0 * 10.0).round() / 10.0);

        // Nightscout entries as TSV, and JSON with the value as a string.
        let ns = fixture("nightscout/nightscout_entries.csv");
        let tsv = relayout(&ns, b'\t', |_, _, c| c.to_string());
        let a = read_device_csv(ns.as_bytes(), DeviceFormat::Nightscout, &utc()).unwrap();
        let b = read_device_csv(tsv.as_bytes(), DeviceFormat::Nightscout, &utc()).unwrap();
        assert_eq!(readings_of(&a), readings_of(&b));
        let json: Value =
            serde_json::from_str(&fixture("nightscout/nightscout_entries.json")).unwrap();
        let strings: Vec<Value> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e["sgv"] = Value::String(e["sgv"].to_string());
                e
            })
            .collect();
        let a = read_device_csv(
            json.to_string().as_bytes(),
            DeviceFormat::Nightscout,
            &utc(),
        )
        .unwrap();
        let b = read_device_csv(
            Value::Array(strings).to_string().as_bytes(),
            DeviceFormat::Nightscout,
            &utc(),
        )
        .unwrap();
        assert_eq!(readings_of(&a), readings_of(&b));
        assert_eq!(readings_of(&b)[0].2.len(), 1000);
    }

    #[test]
    fn junk_is_refused_with_the_format_named() {
        for f in [
            DeviceFormat::Dexcom,
            DeviceFormat::Libre,
            DeviceFormat::Generic,
        ] {
            assert!(read_device_csv(b"\x00\x01\x02binary", f, &utc()).is_err());
            assert!(read_device_csv(b"a,b,c\n1,2,3\n", f, &utc()).is_err());
        }
    }
}
