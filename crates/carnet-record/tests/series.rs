//! Property tests of series blocks: the codec round-trips every valid block exactly,
//! decoding arbitrary bytes never panics, packing loses no reading, and a block survives
//! the Automerge document as one bytes value.

use std::collections::HashSet;

use carnet_record::*;
use proptest::prelude::*;

fn readings() -> impl Strategy<Value = Vec<(i64, f64)>> {
    (
        -2_000_000_000i64..4_000_000_000,
        proptest::collection::vec(
            (
                1i64..100_000,
                prop_oneof![
                    (-100_000i64..100_000, 0u32..4)
                        .prop_map(|(x, d)| x as f64 / 10f64.powi(d as i32)),
                    any::<f64>().prop_filter("finite", |v| v.is_finite()),
                ],
            ),
            1..600,
        ),
    )
        .prop_map(|(start, steps)| {
            let mut t = start;
            steps
                .into_iter()
                .map(|(dt, v)| {
                    t += dt;
                    (t, v)
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn blocks_round_trip_exactly(r in readings(), offset in -50_400i32..50_400) {
        let b = SeriesBlock::new(offset, &r).unwrap();
        let back = SeriesBlock::decode(&b.encode()).unwrap();
        prop_assert_eq!(back.times(), b.times());
        // Bit for bit: -0.0 and 0.0 alike, every decimal exactly.
        let same = back.values().iter().zip(b.values()).all(|(x, y)| x == y);
        prop_assert!(same);
        prop_assert_eq!(back.offset_seconds(), offset);
    }

    #[test]
    fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(b) = SeriesBlock::decode(&bytes) {
            prop_assert_eq!(SeriesBlock::decode(&b.encode()).unwrap(), b);
        }
        let mut framed = vec![1u8, 0];
        framed.extend_from_slice(&bytes);
        let _ = SeriesBlock::decode(&framed);
    }

    #[test]
    fn packing_keeps_or_counts_every_reading(
        r in readings(),
        known_every in 2usize..50,
        repeat_every in 2usize..50,
    ) {
        let mut list: Vec<Reading> = r
            .iter()
            .map(|(t, v)| Reading { at: DateTime::from_unix_offset(*t, 3600).unwrap(), value: *v })
            .collect();
        let repeats: Vec<Reading> = list.iter().step_by(repeat_every).cloned().collect();
        list.extend(repeats);
        let known: HashSet<i64> = r.iter().step_by(known_every).map(|x| x.0).collect();
        let total = list.len();
        let set = ReadingSet {
            kind: Code::new(systems::LOINC, "99504-3", None),
            unit: "mg/dL".into(),
            source: Some("test".into()),
            readings: list,
        };
        let packed = set.pack(&known).unwrap();
        let kept: usize = packed.blocks.iter().map(|b| b.data.len()).sum();
        prop_assert_eq!(kept + packed.duplicates + packed.repeated, total);
        let mut all = HashSet::new();
        for b in &packed.blocks {
            prop_assert_eq!(b.data.start().date(), b.data.end().date());
            for t in b.data.times() {
                prop_assert!(!known.contains(t));
                prop_assert!(all.insert(*t));
            }
        }
    }
}

#[test]
fn a_series_entry_is_stored_as_bytes_and_reads_back_equal() {
    let r: Vec<(i64, f64)> = (0..288)
        .map(|i| (1_740_783_600 + 300 * i, 5.5 + (i % 40) as f64 / 10.0))
        .collect();
    let entry = Entry::Series(Series {
        kind: Code::new(systems::LOINC, "14745-4", None),
        unit: "mmol/L".into(),
        source: Some("FreeStyle Libre 3".into()),
        data: SeriesBlock::new(3600, &r).unwrap(),
        censored: None,
    });
    let mut doc = SectionDoc::new(SectionId::Measurements, [1; 16]);
    let (id, changes) = doc.insert(&entry).unwrap();
    // One bytes value, not base64 text: the change is about the size of the block.
    assert!(
        changes.to_bytes().len() < 1_200,
        "{} bytes",
        changes.to_bytes().len()
    );
    assert_eq!(doc.get(&id).unwrap().unwrap().entry, entry);
    let loaded = SectionDoc::load(SectionId::Measurements, &doc.save(), [2; 16]).unwrap();
    assert_eq!(loaded.get(&id).unwrap().unwrap().entry, entry);
    assert_eq!(
        entry.summary(),
        "glucose, 288 readings, 2025-03-01, 5.5-9.4 mmol/L, FreeStyle Libre 3"
    );
}

#[test]
fn a_censored_block_keeps_its_side_and_says_it() {
    let r: Vec<(i64, f64)> = (0..5).map(|i| (1_740_783_600 + 300 * i, 40.0)).collect();
    let entry = Entry::Series(Series {
        kind: Code::new(systems::LOINC, "99504-3", None),
        unit: "mg/dL".into(),
        source: Some("Dexcom G6".into()),
        data: SeriesBlock::new(3600, &r).unwrap(),
        censored: Some(Censor::Below),
    });
    let mut doc = SectionDoc::new(SectionId::Measurements, [1; 16]);
    let (id, _) = doc.insert(&entry).unwrap();
    let loaded = SectionDoc::load(SectionId::Measurements, &doc.save(), [2; 16]).unwrap();
    let back = loaded.get(&id).unwrap().unwrap().entry;
    assert_eq!(back, entry);
    let Entry::Series(s) = &back else { panic!() };
    assert_eq!(s.censored, Some(Censor::Below));
    assert_eq!(
        entry.summary(),
        "glucose, 5 readings below the sensor's range (<40 mg/dL), 2025-03-01, Dexcom G6"
    );
    // An ordinary block's JSON has no `censored` field: stored records are unchanged.
    let Entry::Series(mut plain) = entry else {
        panic!()
    };
    plain.censored = None;
    let json = serde_json::to_string(&plain).unwrap();
    assert!(!json.contains("censored"), "{json}");
}
