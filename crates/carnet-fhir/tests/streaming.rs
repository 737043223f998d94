//! Issue 15, seen-item 9: a bundle is read as a stream (`read_bundle_from`), so a large
//! one (years of readings, one Observation each, as Carnet exported them before the
//! compact form) is never refused for its size nor held whole in memory; one resource
//! stays bounded, and the import stays all or nothing. The bundles here are generated
//! while they are read: they never exist whole, in memory or on disk.

use std::io::Read;

use carnet_fhir::{FhirError, Item, MAX_RESOURCE_BYTES, ReadOptions, read_bundle_from};

/// A collection Bundle of `n` glucose readings, one Observation each, every 5 minutes
/// from 2022-01-01; entry `bad` (if any) has an unknown element; `pad` bytes of spaces
/// inside each resource.
struct Gen {
    n: usize,
    i: usize,
    bad: Option<usize>,
    huge: Option<usize>,
    buf: Vec<u8>,
    off: usize,
    done: bool,
    produced: u64,
    /// Bytes of `x` still to give before `tail` (the huge entry, never held whole).
    pad_left: u64,
    tail: Vec<u8>,
    /// Write `issued` instead of `effectiveDateTime` (not streamed: held).
    untimed: bool,
}

impl Gen {
    fn new(n: usize) -> Self {
        Gen {
            n,
            i: 0,
            bad: None,
            huge: None,
            buf: br#"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:00000000-0000-8000-8000-000000000000","resource":{"resourceType":"Patient","id":"00000000-0000-8000-8000-000000000000","name":[{"text":"Stream Test"}]}}"#.to_vec(),
            off: 0,
            done: false,
            produced: 0,
            pad_left: 0,
            tail: Vec::new(),
            untimed: false,
        }
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.off = 0;
        if self.i == self.n {
            if !self.done {
                self.buf.extend_from_slice(b"]}");
                self.done = true;
            }
            return;
        }
        let i = self.i;
        self.i += 1;
        let t = 1_640_995_200i64 + 300 * i as i64;
        let at = jiff::Timestamp::from_second(t).unwrap();
        let v = 60 + (i * 7919) % 300;
        let when = if self.untimed {
            "issued"
        } else {
            "effectiveDateTime"
        };
        let extra = if Some(i) == self.bad {
            r#","effectivDateTime":"2022-01-01T00:00:00Z""#.to_string()
        } else if Some(i) == self.huge {
            self.pad_left = MAX_RESOURCE_BYTES + 10;
            r#","note":[{"text":""#.to_string()
        } else {
            String::new()
        };
        self.buf.extend_from_slice(
            format!(
                r#",{{"fullUrl":"urn:uuid:00000000-0000-8000-8000-{i:012}","resource":{{"resourceType":"Observation","id":"00000000-0000-8000-8000-{i:012}","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"99504-3","display":"Glucose [Mass/volume] in Interstitial fluid"}}]}},"subject":{{"reference":"urn:uuid:00000000-0000-8000-8000-000000000000"}},"device":{{"display":"Dexcom G6"}},"{when}":"{at}","valueQuantity":{{"value":{v},"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}{extra}}}}}"#
            )
            .as_bytes(),
        );
        if self.pad_left > 0 {
            // The entry is written up to the note's text; the pad, then the rest follow.
            let cut = self
                .buf
                .windows(9)
                .position(|w| w == br#"{"text":""#)
                .unwrap()
                + 9;
            self.tail = self.buf.split_off(cut);
            self.tail.splice(0..0, b"\"}]".iter().copied());
        }
    }
}

impl Read for Gen {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.off == self.buf.len() && self.pad_left == 0 && !self.tail.is_empty() {
            self.buf = std::mem::take(&mut self.tail);
            self.off = 0;
        }
        if self.off == self.buf.len() && self.pad_left == 0 {
            self.refill();
            if self.buf.is_empty() {
                return Ok(0);
            }
        }
        if self.off == self.buf.len() && self.pad_left > 0 {
            let n = (self.pad_left.min(out.len() as u64)) as usize;
            out[..n].fill(b'x');
            self.pad_left -= n as u64;
            self.produced += n as u64;
            return Ok(n);
        }
        let n = (self.buf.len() - self.off).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.off..self.off + n]);
        self.off += n;
        self.produced += n as u64;
        Ok(n)
    }
}

/// One test at a time: the memory measured is the process's.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A line of /proc/self/status (Linux), in bytes.
fn status(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak resident memory to the current one (Linux >= 4.0) and returns it.
fn reset_peak() -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    status("VmRSS:")
}

/// Counts the gen's bytes as they are read.
struct Counted<'a>(&'a mut Gen);

impl Read for Counted<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(out)
    }
}

#[test]
fn a_bundle_over_the_old_cap_streams_and_keeps_every_reading() {
    // ~150,000 readings, one Observation each: ~100 MB of JSON, over the 64 MiB the
    // import used to refuse.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let n = 150_000;
    let before = reset_peak();
    let mut g = Gen::new(n);
    let imp = read_bundle_from(Counted(&mut g), &ReadOptions::default(), &mut |_, _| {}).unwrap();
    let size = g.produced;
    let after = status("VmHWM:");
    let readings: Vec<(i64, f64)> = imp
        .items
        .iter()
        .filter_map(|m| match &m.item {
            Item::Readings(s) => Some(s),
            _ => None,
        })
        .flat_map(|s| s.readings.iter().map(|r| (r.at.sort_key(), r.value)))
        .collect();
    assert_eq!(readings.len(), n, "every reading, once");
    assert_eq!(readings[0], (1_640_995_200, 60.0));
    assert_eq!(
        readings[n - 1],
        (
            1_640_995_200 + 300 * (n as i64 - 1),
            (60 + ((n - 1) * 7919) % 300) as f64
        )
    );
    // One series: the readings joined, to be packed into day blocks.
    assert_eq!(
        imp.items
            .iter()
            .filter(|m| matches!(m.item, Item::Readings(_)))
            .count(),
        1
    );
    assert!(size > 64 * 1024 * 1024, "{size} bytes");
    if let (Some(b), Some(a)) = (before, after) {
        let grew = a.saturating_sub(b);
        println!(
            "streamed {size} bytes of bundle ({n} Observations); peak memory grew by {grew} bytes"
        );
        // Holding the file alone would take its size; its parsed form several times it.
        assert!(
            grew < size / 2,
            "peak memory grew by {grew} for {size} bytes"
        );
    }
}

#[test]
fn a_large_bundle_stays_all_or_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // One unknown element in the last of 50,000 entries refuses the whole bundle...
    let mut g = Gen::new(50_000);
    g.bad = Some(49_999);
    let e = read_bundle_from(&mut g, &ReadOptions::default(), &mut |_, _| {}).unwrap_err();
    let FhirError::Invalid(problems) = &e else {
        panic!("{e}")
    };
    assert_eq!(problems.len(), 1, "{e}");
    assert_eq!(problems[0].entry, Some(50_000), "{e}");
    assert!(e.to_string().contains("effectivDateTime"), "{e}");
    // ... unless the person importing asks to leave invalid resources out.
    let mut g = Gen::new(50_000);
    g.bad = Some(49_999);
    let lenient = ReadOptions {
        skip_invalid: true,
        ..ReadOptions::default()
    };
    let imp = read_bundle_from(&mut g, &lenient, &mut |_, _| {}).unwrap();
    let n: usize = imp
        .items
        .iter()
        .filter_map(|m| match &m.item {
            Item::Readings(s) => Some(s.readings.len()),
            _ => None,
        })
        .sum();
    assert_eq!(n, 49_999);
    assert_eq!(imp.skipped.get("Observation"), Some(&1));
}

#[test]
fn one_resource_over_the_bound_is_refused_without_reading_it_whole() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut g = Gen::new(10);
    g.huge = Some(3);
    let e = read_bundle_from(&mut g, &ReadOptions::default(), &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(e, FhirError::ResourceTooLarge { entry: 4, .. }),
        "{e}"
    );
    // Reading stopped at the bound: the rest of the resource was never read.
    assert!(g.produced < 2 * MAX_RESOURCE_BYTES, "{}", g.produced);
    assert!(
        e.to_string().contains("remove or split that resource"),
        "{e}"
    );
}

#[test]
fn what_is_held_for_the_second_pass_is_bounded() {
    // Readings without a time of their own are held (a report might give it): 64 MiB of
    // them refuse the bundle, naming what to do, instead of growing without bound.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut g = Gen::new(200_000);
    g.untimed = true;
    let e = read_bundle_from(&mut g, &ReadOptions::default(), &mut |_, _| {}).unwrap_err();
    assert!(matches!(e, FhirError::HeldTooLarge { .. }), "{e}");
    assert!(e.to_string().contains("split it"), "{e}");
    assert!(g.i < 200_000, "stopped at the bound, at entry {}", g.i);
}
