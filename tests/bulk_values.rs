//! Issue 15, item 7 / Deliver 2: a later import giving another value at an instant the
//! record already holds keeps both readings, with their kind, and says so; the same value
//! again is "already present". Through the public `carnet` API on a real vault, with the
//! readings of the shared Nightscout export (`tests/fixtures/devices/nightscout`).

use carnet::crypto::Role;
use carnet::record::{Censor, Code, DateTime, Entry, Reading, ReadingSet, SectionId, systems};
use carnet::{ImportItem, LabeledItem};
use carnet_scenarios::vault;

/// (unix seconds, mg/dL) of the real Nightscout export, oldest first.
fn nightscout() -> Vec<(i64, f64)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/devices/nightscout/nightscout_entries.json"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut out: Vec<(i64, f64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["date"].as_i64().unwrap() / 1000,
                e["sgv"].as_f64().unwrap(),
            )
        })
        .collect();
    out.sort_by_key(|r| r.0);
    out
}

fn readings(rs: &[(i64, f64)]) -> ImportItem {
    ImportItem::Readings(ReadingSet {
        kind: Code::new(systems::LOINC, "99504-3", None),
        unit: "mg/dL".into(),
        source: Some("Nightscout".into()),
        readings: rs
            .iter()
            .map(|&(t, v)| Reading {
                at: DateTime::from_unix(t).unwrap(),
                value: v,
            })
            .collect(),
    })
}

fn item(item: ImportItem) -> Vec<LabeledItem> {
    vec![LabeledItem {
        label: "glucose".into(),
        item,
    }]
}

#[test]
fn another_value_at_a_stored_instant_is_kept_beside_it_and_reported() {
    let alice = vault("Alice", Role::Patient);
    let record = alice.vault.own_record().unwrap();
    let first = nightscout();
    assert_eq!(first.len(), 1000);
    let r = alice
        .vault
        .import(&record, item(readings(&first)), &mut |_, _| {})
        .unwrap();
    assert_eq!(r.added["glucose"], 1000);

    // A later export of the last 100 readings after the phone's clock was set back 5
    // minutes: the same instants, each with the value of the reading before it (in the
    // real file 92 of them differ from what is stored).
    let tail = &first[900..];
    let shifted: Vec<(i64, f64)> = tail
        .iter()
        .zip(&first[899..999])
        .map(|(&(t, _), &(_, v))| (t, v))
        .collect();
    let differ = shifted.iter().zip(tail).filter(|(a, b)| a.1 != b.1).count();
    assert_eq!(differ, 92);
    let r = alice
        .vault
        .import(&record, item(readings(&shifted)), &mut |_, _| {})
        .unwrap();
    assert_eq!(r.added.get("glucose").copied().unwrap_or(0), differ);
    assert_eq!(r.another_value["glucose"], differ, "reported");
    assert_eq!(r.already_present["glucose"], 100 - differ);

    // Both kept: 1000 + differ readings, each other value in its own series.
    let points = alice.vault.readings(&record, &["99504-3"]).unwrap();
    assert_eq!(points.len(), 1000 + differ);
    let series: Vec<_> = alice
        .vault
        .list(&record, Some(SectionId::Measurements))
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.entry {
            Entry::Series(s) => Some(s),
            _ => None,
        })
        .collect();
    let others: usize = series
        .iter()
        .filter(|s| s.source.as_deref() == Some("Nightscout (another value at the same time)"))
        .map(|s| s.data.len())
        .sum();
    assert_eq!(others, differ);
    for (&(t, v), &(_, old)) in shifted.iter().zip(tail) {
        let at: Vec<f64> = points
            .iter()
            .filter(|p| p.at.sort_key() == t)
            .map(|p| p.value)
            .collect();
        if v == old {
            assert_eq!(at, [v]);
        } else {
            assert_eq!(at.len(), 2, "both kept at {t}");
            assert!(at.contains(&v) && at.contains(&old));
        }
    }

    // Importing the later file again adds nothing.
    let r = alice
        .vault
        .import(&record, item(readings(&shifted)), &mut |_, _| {})
        .unwrap();
    assert!(r.added.is_empty(), "{r:?}");
    assert!(r.another_value.is_empty(), "{r:?}");
    assert_eq!(r.already_present["glucose"], 100);

    // A reading stored as censored ("Low", at the limit 40) and a number 40 at the same
    // instant are other kinds of reading: both kept, the censored one marked.
    let t = first[0].0 - 300;
    let low = ImportItem::CensoredReadings {
        set: match readings(&[(t, 40.0)]) {
            ImportItem::Readings(s) => s,
            _ => unreachable!(),
        },
        censor: Censor::Below,
    };
    alice
        .vault
        .import(&record, item(low), &mut |_, _| {})
        .unwrap();
    let r = alice
        .vault
        .import(&record, item(readings(&[(t, 40.0)])), &mut |_, _| {})
        .unwrap();
    assert_eq!(r.another_value["glucose"], 1);
    let at: Vec<_> = alice
        .vault
        .readings(&record, &["99504-3"])
        .unwrap()
        .into_iter()
        .filter(|p| p.at.sort_key() == t)
        .map(|p| p.censored)
        .collect();
    assert_eq!(at.len(), 2);
    assert!(at.contains(&Some(Censor::Below)) && at.contains(&None));
}
