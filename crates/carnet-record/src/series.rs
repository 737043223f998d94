//! Dense measurement series: readings packed into immutable, compact blocks.
//!
//! One Automerge map per reading is far too slow for a continuous glucose monitor (a year
//! is 105,120 readings; see DESIGN.md). So readings from devices are grouped into
//! [`SeriesBlock`]s, about one per day, each stored as **one bytes value** inside one
//! [`Series`] entry of the `measurements` section. Occasional readings typed by hand stay
//! ordinary [`crate::Measurement`] entries.
//!
//! A block never changes once written: new readings make new blocks, so two devices that
//! import at the same time both keep what they imported (the CRDT merges entries, not
//! bytes).
//!
//! # Block format, version 1
//! ```text
//! block   = version:u8 (1) || compression:u8 (0 none, 1 zstd) || body (zstd frame if 1)
//! body    = uvarint count (1..=MAX_READINGS)
//!           svarint offset (seconds east of UTC, the same for every reading of the block)
//!           u8 scale  (0..=9: values are integers / 10^scale; 255: raw f64, 8 bytes LE)
//!           svarint t0, then count-1 svarints of delta-of-delta of Unix seconds
//!           values: svarint v0 then count-1 svarint deltas (scaled), or count raw f64
//! ```
//! Regular readings (every 5 minutes) make delta-of-deltas of zero, and device values
//! (integers in mg/dL, one decimal in mmol/L) make small scaled deltas: about two bytes a
//! reading before compression. Decoding untrusted bytes is bounded (at most
//! [`SeriesBlock::MAX_READINGS`] readings, a decompressed body of at most
//! [`SeriesBlock::MAX_BODY`] bytes), rejects trailing bytes, non-increasing times, times
//! out of range and non-finite values, and never panics.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Code, DateTime, RecordError};

const VERSION: u8 = 1;
const RAW: u8 = 255;
const MAX_SCALE: u8 = 9;
/// Larger values cannot be scaled exactly: stored as raw f64.
const MAX_SCALED: f64 = 9_007_199_254_740_992.0; // 2^53
/// Offsets beyond what any time zone uses are refused (jiff accepts +-25:59:59).
const MAX_OFFSET: i64 = 25 * 3600 + 59 * 60 + 59;
/// Unix seconds jiff can represent (years -9999..=9999).
const MIN_TIME: i64 = -377_705_116_800;
const MAX_TIME: i64 = 253_402_207_199;

/// Readings of one kind from one source, in a bounded, validated, compact block.
#[derive(Clone, PartialEq)]
pub struct SeriesBlock {
    offset: i32,
    times: Vec<i64>,
    values: Vec<f64>,
}

impl fmt::Debug for SeriesBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesBlock")
            .field("offset", &self.offset)
            .field("readings", &self.times.len())
            .finish()
    }
}

fn malformed(why: impl fmt::Display) -> RecordError {
    RecordError::Malformed(format!("series block: {why}"))
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_svarint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, RecordError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| malformed("it ends too early"))?;
        self.pos += 1;
        Ok(b)
    }

    fn uvarint(&mut self) -> Result<u64, RecordError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(malformed("a number overflows 64 bits"));
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                // One encoding per number: no trailing zero groups.
                if b == 0 && shift > 0 {
                    return Err(malformed("a number is not minimally encoded"));
                }
                return Ok(v);
            }
        }
        Err(malformed("a number is too long"))
    }

    fn svarint(&mut self) -> Result<i64, RecordError> {
        let u = self.uvarint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    fn f64(&mut self) -> Result<f64, RecordError> {
        let end = self.pos + 8;
        let b = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| malformed("it ends too early"))?;
        self.pos = end;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }
}

/// The smallest number of decimals that represents every value exactly, if any.
fn scale_for(values: &[f64]) -> Option<u8> {
    (0..=MAX_SCALE).find(|&s| {
        let f = 10f64.powi(i32::from(s));
        values.iter().all(|&v| {
            let scaled = (v * f).round();
            scaled.abs() < MAX_SCALED && scaled / f == v
        })
    })
}

/// Decompresses one zstd frame of at most `limit` bytes. The output buffer is sized from
/// the frame's declared content size when it has one (bounded by `limit`, and a frame
/// inflating past it fails), and the decompression context is reused per thread: a list
/// of ten years of daily blocks made a context and a `limit`-sized buffer for each, which
/// dominated listing a record.
fn inflate(frame: &[u8], limit: usize) -> std::io::Result<Vec<u8>> {
    use std::cell::RefCell;
    thread_local! {
        static CONTEXT: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
            const { RefCell::new(None) };
    }
    let capacity = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(n)) if n <= limit as u64 => n as usize,
        _ => limit,
    };
    CONTEXT.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Some(zstd::bulk::Decompressor::new()?);
        }
        match c.as_mut() {
            Some(d) => d.decompress(frame, capacity),
            None => Err(std::io::Error::other("no zstd context")),
        }
    })
}

impl SeriesBlock {
    /// The most readings one block holds (a day of one reading a second fits in two).
    pub const MAX_READINGS: usize = 65_536;
    /// The largest decompressed body a block may have.
    pub const MAX_BODY: usize = 32 + Self::MAX_READINGS * 20;

    /// A block of readings `(unix seconds, value)`, all recorded at `offset_seconds` east
    /// of UTC. Times must strictly increase; values must be finite.
    pub fn new(offset_seconds: i32, readings: &[(i64, f64)]) -> Result<Self, RecordError> {
        if readings.is_empty() || readings.len() > Self::MAX_READINGS {
            return Err(malformed(format!(
                "{} readings; a block holds 1 to {}",
                readings.len(),
                Self::MAX_READINGS
            )));
        }
        if i64::from(offset_seconds).abs() > MAX_OFFSET {
            return Err(malformed(format!(
                "offset {offset_seconds} s is not a UTC offset"
            )));
        }
        let mut prev = None;
        for &(t, v) in readings {
            if !(MIN_TIME..=MAX_TIME).contains(&t) {
                return Err(malformed(format!("time {t} is out of range")));
            }
            if prev.is_some_and(|p| t <= p) {
                return Err(malformed("times must strictly increase"));
            }
            if !v.is_finite() {
                return Err(malformed("a value is not a finite number"));
            }
            prev = Some(t);
        }
        Ok(SeriesBlock {
            offset: offset_seconds,
            times: readings.iter().map(|r| r.0).collect(),
            values: readings.iter().map(|r| r.1).collect(),
        })
    }

    /// The compact bytes of this block (see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(16 + self.times.len() * 3);
        put_uvarint(&mut body, self.times.len() as u64);
        put_svarint(&mut body, i64::from(self.offset));
        let scale = scale_for(&self.values);
        body.push(scale.unwrap_or(RAW));
        let (mut prev_t, mut prev_d) = (0i64, 0i64);
        for (i, &t) in self.times.iter().enumerate() {
            match i {
                0 => put_svarint(&mut body, t),
                _ => {
                    let d = t - prev_t;
                    put_svarint(&mut body, if i == 1 { d } else { d - prev_d });
                    prev_d = d;
                }
            }
            prev_t = t;
        }
        match scale {
            Some(s) => {
                let f = 10f64.powi(i32::from(s));
                let mut prev = 0i64;
                for &v in &self.values {
                    let x = (v * f).round() as i64;
                    put_svarint(&mut body, x - prev);
                    prev = x;
                }
            }
            None => {
                for &v in &self.values {
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        let mut out = vec![VERSION, 0];
        if body.len() > 64
            && let Ok(z) = zstd::bulk::compress(&body, 3)
            && z.len() < body.len()
        {
            out[1] = 1;
            out.extend_from_slice(&z);
            return out;
        }
        out.extend_from_slice(&body);
        out
    }

    /// Decodes untrusted bytes: bounded, validated, never panics.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let (&version, rest) = bytes
            .split_first()
            .ok_or_else(|| malformed("it is empty"))?;
        if version != VERSION {
            return Err(malformed(format!(
                "version {version} is not known (this Carnet reads version {VERSION})"
            )));
        }
        let (&compression, rest) = rest
            .split_first()
            .ok_or_else(|| malformed("it ends too early"))?;
        let owned;
        let body: &[u8] = match compression {
            0 => rest,
            1 => {
                owned = inflate(rest, Self::MAX_BODY)
                    .map_err(|e| malformed(format!("it does not decompress: {e}")))?;
                &owned
            }
            c => return Err(malformed(format!("compression {c} is not known"))),
        };
        if body.len() > Self::MAX_BODY {
            return Err(malformed("its body is too large"));
        }
        let mut r = Reader {
            bytes: body,
            pos: 0,
        };
        let count = r.uvarint()?;
        if count == 0 || count > Self::MAX_READINGS as u64 {
            return Err(malformed(format!(
                "{count} readings; a block holds 1 to {}",
                Self::MAX_READINGS
            )));
        }
        let count = count as usize;
        let offset = r.svarint()?;
        // `unsigned_abs`: `abs` of i64::MIN overflows (the fuzzer found it).
        if offset.unsigned_abs() > MAX_OFFSET.unsigned_abs() {
            return Err(malformed("its offset is not a UTC offset"));
        }
        let scale = r.byte()?;
        if scale > MAX_SCALE && scale != RAW {
            return Err(malformed(format!("scale {scale} is not known")));
        }
        // Every reading takes at least one byte per time: a short body cannot claim many.
        if body.len() < count {
            return Err(malformed("it claims more readings than it holds"));
        }
        let mut readings = Vec::with_capacity(count);
        let (mut t, mut d) = (0i64, 0i64);
        for i in 0..count {
            let x = r.svarint()?;
            match i {
                0 => t = x,
                1 => {
                    d = x;
                    t = t
                        .checked_add(d)
                        .ok_or_else(|| malformed("time overflows"))?;
                }
                _ => {
                    d = d
                        .checked_add(x)
                        .ok_or_else(|| malformed("time overflows"))?;
                    t = t
                        .checked_add(d)
                        .ok_or_else(|| malformed("time overflows"))?;
                }
            }
            readings.push((t, 0.0));
        }
        if scale == RAW {
            for reading in &mut readings {
                reading.1 = r.f64()?;
            }
        } else {
            let f = 10f64.powi(i32::from(scale));
            let mut x = 0i64;
            for reading in &mut readings {
                x = x
                    .checked_add(r.svarint()?)
                    .ok_or_else(|| malformed("a value overflows"))?;
                if (x as f64).abs() >= MAX_SCALED {
                    return Err(malformed("a value is out of range"));
                }
                reading.1 = x as f64 / f;
            }
        }
        if r.pos != body.len() {
            return Err(malformed("it has trailing bytes"));
        }
        Self::new(offset as i32, &readings)
    }

    /// How many readings.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Never true for a valid block; here for clippy's sake and for callers' loops.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Seconds east of UTC the readings were recorded at.
    pub fn offset_seconds(&self) -> i32 {
        self.offset
    }

    /// The readings' Unix times, increasing.
    pub fn times(&self) -> &[i64] {
        &self.times
    }

    /// The readings' values, in time order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// `(unix seconds, value)` pairs in time order.
    pub fn readings(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.times.iter().copied().zip(self.values.iter().copied())
    }

    /// A reading's time as a date and time in the block's offset.
    pub fn datetime(&self, unix: i64) -> DateTime {
        DateTime::from_unix_offset(unix, self.offset)
            .unwrap_or_else(|| DateTime::from_unix(0).expect("the epoch is a valid time"))
    }

    /// The first reading's time.
    pub fn start(&self) -> DateTime {
        self.datetime(self.times[0])
    }

    /// The last reading's time.
    pub fn end(&self) -> DateTime {
        self.datetime(self.times[self.times.len() - 1])
    }

    /// The lowest and highest value.
    pub fn range(&self) -> (f64, f64) {
        self.values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            })
    }
}

/// Which side of a device's measuring range a censored reading is on: the device said
/// "Low" (below its lowest value) or "High" (above its highest), not a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Censor {
    /// Below the value stored (the device's lowest): "<40 mg/dL".
    Below,
    /// Above the value stored (the device's highest): ">400 mg/dL".
    Above,
}

impl Censor {
    /// The FHIR Quantity comparator: `<` or `>`.
    pub fn comparator(self) -> &'static str {
        match self {
            Censor::Below => "<",
            Censor::Above => ">",
        }
    }
}

/// A block of device readings as an entry of the `measurements` section: what was
/// measured (LOINC), in which UCUM unit, by which device, and the readings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// What was measured (LOINC).
    pub kind: Code,
    /// UCUM unit of every value.
    pub unit: String,
    /// The device or origin of the readings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The readings. In JSON: the block's bytes in base64; in the Automerge document: one
    /// bytes value.
    #[serde(with = "block_base64")]
    pub data: SeriesBlock,
    /// Set when every reading of the block is censored: each value is the limit of the
    /// device's range the true value lies beyond ("Low" is stored as 40 with
    /// [`Censor::Below`], read "<40"). Kept apart from numeric readings so that no limit
    /// is ever read as a measured value, while time below or above range still counts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub censored: Option<Censor>,
}

mod block_base64 {
    use super::*;

    pub fn serialize<S: Serializer>(b: &SeriesBlock, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&data_encoding::BASE64.encode(&b.encode()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SeriesBlock, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = data_encoding::BASE64
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)?;
        SeriesBlock::decode(&bytes).map_err(serde::de::Error::custom)
    }
}

impl Series {
    /// One line for people, e.g. "Glucose, 288 readings, 2025-03-01, 4.1-9.8 mmol/L, Dexcom G6".
    pub fn summary(&self) -> String {
        let loinc = self.kind.system == crate::systems::LOINC;
        let name = crate::MeasurementKind::by_loinc(&self.kind.code)
            .filter(|_| loinc)
            .map(|k| k.name.replace('-', " "))
            .or_else(|| {
                // Device glucose codes (HL7 CGM guide; glucometers) read as plain words.
                let words = match self.kind.code.as_str() {
                    "99504-3" | "14745-4" => "glucose",
                    "41653-7" | "14743-9" => "blood glucose (finger stick)",
                    _ => return None,
                };
                loinc.then(|| words.to_string())
            })
            .or_else(|| self.kind.display.clone())
            .unwrap_or_else(|| format!("LOINC {}", self.kind.code));
        let (lo, hi) = self.data.range();
        let (start, end) = (self.data.start().date(), self.data.end().date());
        let days = if start == end {
            start.to_string()
        } else {
            format!("{start} to {end}")
        };
        let n = self.data.len();
        let mut s = match self.censored {
            // Censored readings all sit at the device's limit: say which side of it.
            Some(c) => format!(
                "{name}, {n} reading{} {} the sensor's range ({}{} {}), {days}",
                if n == 1 { "" } else { "s" },
                if c == Censor::Below { "below" } else { "above" },
                c.comparator(),
                if c == Censor::Below { lo } else { hi },
                self.unit
            ),
            None => format!(
                "{name}, {n} reading{}, {days}, {}-{} {}",
                if n == 1 { "" } else { "s" },
                lo,
                hi,
                self.unit
            ),
        };
        if let Some(src) = &self.source {
            s.push_str(", ");
            s.push_str(src);
        }
        s
    }
}

/// One reading before it is packed into a block.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// When, with the offset it was recorded in.
    pub at: DateTime,
    /// The value, in the set's unit.
    pub value: f64,
}

/// Readings of one kind, unit and source, as a device export gives them: the input of a
/// bulk import.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadingSet {
    /// What was measured (LOINC).
    pub kind: Code,
    /// UCUM unit.
    pub unit: String,
    /// The device or origin.
    pub source: Option<String>,
    /// The readings, in any order.
    pub readings: Vec<Reading>,
}

/// What packing a [`ReadingSet`] gave.
#[derive(Debug)]
pub struct Packed {
    /// The blocks, oldest first.
    pub blocks: Vec<Series>,
    /// Readings dropped because one already stored (in `known`) has the same time.
    pub duplicates: usize,
    /// Readings dropped because an earlier reading of the same set has the same time.
    pub repeated: usize,
}

impl ReadingSet {
    /// Packs the readings into blocks: one per calendar day (in the readings' own offset),
    /// split where the offset changes (daylight saving time) and at
    /// [`SeriesBlock::MAX_READINGS`]. Readings whose instant is in `known` (already
    /// stored) or repeated within the set are dropped and counted.
    pub fn pack(mut self, known: &HashSet<i64>) -> Result<Packed, RecordError> {
        crate::entry::validate_series_meta(&self.kind, &self.unit, &self.source)?;
        self.readings.sort_by_key(|r| r.at.sort_key());
        let (mut duplicates, mut repeated) = (0, 0);
        let mut seen = HashSet::new();
        let mut blocks = Vec::new();
        let mut current: Vec<(i64, f64)> = Vec::new();
        let mut current_key: Option<(String, i32)> = None;
        let mut flush = |current: &mut Vec<(i64, f64)>, offset: i32| -> Result<(), RecordError> {
            if !current.is_empty() {
                blocks.push(Series {
                    kind: self.kind.clone(),
                    unit: self.unit.clone(),
                    source: self.source.clone(),
                    data: SeriesBlock::new(offset, current)?,
                    censored: None,
                });
                current.clear();
            }
            Ok(())
        };
        for r in &self.readings {
            let t = r.at.sort_key();
            if known.contains(&t) {
                duplicates += 1;
                continue;
            }
            if !seen.insert(t) {
                repeated += 1;
                continue;
            }
            if !r.value.is_finite() {
                return Err(RecordError::Implausible {
                    what: "reading".into(),
                    value: r.value.to_string(),
                    why: format!("at {} it is not a finite number", r.at),
                });
            }
            let key = (r.at.date().to_string(), r.at.offset_seconds());
            if current_key.as_ref() != Some(&key) || current.len() == SeriesBlock::MAX_READINGS {
                if let Some((_, off)) = &current_key {
                    flush(&mut current, *off)?;
                }
                current_key = Some(key);
            }
            current.push((t, r.value));
        }
        if let Some((_, off)) = current_key {
            flush(&mut current, off)?;
        }
        Ok(Packed {
            blocks,
            duplicates,
            repeated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cgm_day(start: i64, n: usize) -> Vec<(i64, f64)> {
        (0..n)
            .map(|i| (start + 300 * i as i64, 80.0 + ((i * 7) % 90) as f64))
            .collect()
    }

    #[test]
    fn a_day_of_cgm_is_small_and_round_trips() {
        let b = SeriesBlock::new(3600, &cgm_day(1_740_783_600, 288)).unwrap();
        let bytes = b.encode();
        assert!(bytes.len() < 600, "{} bytes for 288 readings", bytes.len());
        assert_eq!(SeriesBlock::decode(&bytes).unwrap(), b);
        assert_eq!(b.start().as_str(), "2025-03-01T00:00:00+01:00");
        assert_eq!(b.range(), (80.0, 169.0));
    }

    #[test]
    fn decimals_and_raw_values_round_trip_exactly() {
        for values in [
            vec![4.1, 9.8, 5.55, 12.0],
            vec![0.1 + 0.2, std::f64::consts::PI, -1e300, 1e-12],
        ] {
            let r: Vec<_> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as i64 * 61, *v))
                .collect();
            let b = SeriesBlock::new(-18_000, &r).unwrap();
            let back = SeriesBlock::decode(&b.encode()).unwrap();
            assert_eq!(back.values(), &values[..]);
            assert_eq!(back.offset_seconds(), -18_000);
        }
    }

    #[test]
    fn bad_blocks_are_refused() {
        assert!(SeriesBlock::new(0, &[]).is_err());
        assert!(SeriesBlock::new(0, &[(5, 1.0), (5, 2.0)]).is_err());
        assert!(SeriesBlock::new(0, &[(5, f64::NAN)]).is_err());
        assert!(SeriesBlock::new(200_000, &[(5, 1.0)]).is_err());
        let good = SeriesBlock::new(0, &cgm_day(0, 10)).unwrap().encode();
        assert!(SeriesBlock::decode(&[]).is_err());
        assert!(SeriesBlock::decode(&[2, 0, 1]).is_err());
        assert!(SeriesBlock::decode(&[1, 7, 1]).is_err());
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(SeriesBlock::decode(&trailing).is_err());
        assert!(SeriesBlock::decode(&good[..good.len() - 1]).is_err());
        // A body claiming 65,536 readings with none behind it.
        assert!(SeriesBlock::decode(&[1, 0, 0x80, 0x80, 0x04, 0, 0]).is_err());
        // A zstd bomb: a frame that inflates past the bound.
        let bomb = zstd::bulk::compress(&vec![0u8; SeriesBlock::MAX_BODY + 10], 3).unwrap();
        let mut b = vec![1, 1];
        b.extend_from_slice(&bomb);
        assert!(SeriesBlock::decode(&b).is_err());
    }

    #[test]
    fn packing_splits_by_day_and_offset_and_skips_duplicates() {
        let kind = Code::new(crate::systems::LOINC, "2339-0", None);
        let at = |s: &str| s.parse::<DateTime>().unwrap();
        let set = ReadingSet {
            kind,
            unit: "mg/dL".into(),
            source: Some("Dexcom G6".into()),
            readings: vec![
                Reading {
                    at: at("2025-03-30T01:55:00+01:00"),
                    value: 100.0,
                },
                Reading {
                    at: at("2025-03-30T03:00:00+02:00"),
                    value: 110.0,
                },
                Reading {
                    at: at("2025-03-29T23:55:00+01:00"),
                    value: 90.0,
                },
                Reading {
                    at: at("2025-03-29T22:55:00Z"),
                    value: 91.0,
                },
                Reading {
                    at: at("2025-03-30T03:05:00+02:00"),
                    value: 111.0,
                },
            ],
        };
        let known: HashSet<i64> = [at("2025-03-30T03:05:00+02:00").sort_key()].into();
        let packed = set.pack(&known).unwrap();
        assert_eq!((packed.duplicates, packed.repeated), (1, 1));
        let days: Vec<_> = packed
            .blocks
            .iter()
            .map(|b| (b.data.start().to_string(), b.data.len()))
            .collect();
        assert_eq!(
            days,
            vec![
                ("2025-03-29T23:55:00+01:00".to_string(), 1),
                ("2025-03-30T01:55:00+01:00".to_string(), 1),
                ("2025-03-30T03:00:00+02:00".to_string(), 1),
            ]
        );
        assert!(packed.blocks[0].summary().contains("Dexcom G6"));
    }
}
