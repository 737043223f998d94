//! What an up-to-date sync costs: O(sections x authors) bytes, whatever the size of the
//! record. A no-op sync on a large record (600 envelopes and 6,000 entries across six
//! sections, and 100,000 readings) sends within 2x the bytes of one on a record of one
//! entry per section (bytes counted, never time). Real vaults, real iroh endpoints on
//! loopback.

mod common;

use carnet::consent::Access;
use carnet::crypto::Role;
use carnet::record::{
    Allergy, Code, Condition, ConditionStatus, DateTime, Entry, Immunization, Measurement,
    Medication, MedicationStatus, Note, Reading, ReadingSet, SectionId, systems,
};
use carnet::{ImportItem, LabeledItem};
use carnet_sync::{Node, SyncConfig};
use common::vault;

/// The sections shared with the clinician: one chain each (one author, one device), in
/// both records, so only the length of the chains differs.
const SECTIONS: [SectionId; 6] = [
    SectionId::Allergies,
    SectionId::Conditions,
    SectionId::Medications,
    SectionId::Immunizations,
    SectionId::Measurements,
    SectionId::Notes,
];

/// Entry `i` of `section`: distinct from every other, so an import never skips it.
fn entry(section: SectionId, i: usize) -> Entry {
    let text = format!("{section} entry {i}");
    match section {
        SectionId::Allergies => Entry::Allergy(Allergy {
            substance: text,
            code: None,
            criticality: None,
            reaction: Some("hives".into()),
            onset: None,
        }),
        SectionId::Conditions => Entry::Condition(Condition {
            name: text,
            code: None,
            onset: Some("2020-01-01".parse().unwrap()),
            abatement: None,
            status: ConditionStatus::default(),
        }),
        SectionId::Medications => Entry::Medication(Medication {
            name: text,
            code: None,
            dosage: Some("once a day".into()),
            start: None,
            end: None,
            status: MedicationStatus::Active,
            status_reason: None,
        }),
        SectionId::Immunizations => Entry::Immunization(Immunization {
            vaccine: text,
            code: None,
            date: Some("2021-06-01".parse().unwrap()),
            lot: None,
            status: Default::default(),
            status_reason: None,
            date_text: None,
        }),
        SectionId::Measurements => Entry::Measurement(Measurement {
            kind: Code::new(systems::LOINC, "29463-7", None),
            value: Some(60.0 + (i % 400) as f64 / 10.0),
            unit: "kg".into(),
            components: Vec::new(),
            at: DateTime::from_unix(1_600_000_000 + 3_600 * i as i64).unwrap(),
            source: None,
            value_code: None,
            value_text: None,
            category: None,
            status: None,
            reference_range: Vec::new(),
            interpretation: Vec::new(),
        }),
        _ => Entry::Note(Note { text, title: None }),
    }
}

/// The size of a record: `imports` bulk imports each adding `per` entries to every one of
/// [`SECTIONS`] (one envelope per section per import), then `readings` glucose readings.
struct Size {
    imports: usize,
    per: usize,
    readings: i64,
}

/// What the clinician ended up holding, and what the up-to-date sync cost.
struct Cost {
    /// Bytes on the wire, both ways, of the no-op sync.
    noop_bytes: u64,
    /// Envelopes the clinician holds, per section.
    envelopes: Vec<usize>,
    /// Entries the clinician lists, per section.
    entries: Vec<usize>,
}

/// Bytes on the wire (both ways) of the third sync between a patient with a record of
/// `size` and a clinician granted its sections: the first moves the record, the second
/// the consent entry about that delivery, the third nothing.
async fn noop_sync_bytes(size: Size) -> Cost {
    let tmp = tempfile::tempdir().unwrap();
    let patient = vault(&tmp.path().join("p"), "Pat", Role::Patient);
    let doctor = vault(&tmp.path().join("d"), "Doc", Role::Clinician);
    let record = patient.own_record().unwrap();
    let mut n = 0;
    for _ in 0..size.imports {
        let mut items = Vec::new();
        for s in SECTIONS {
            for _ in 0..size.per {
                n += 1;
                items.push(LabeledItem {
                    label: s.to_string(),
                    item: ImportItem::Entry(entry(s, n)),
                });
            }
        }
        let report = patient.import(&record, items, &mut |_, _| {}).unwrap();
        assert_eq!(
            report.added.values().sum::<usize>(),
            SECTIONS.len() * size.per,
            "an import skipped entries: {report:?}"
        );
    }
    let start = 1_735_689_600;
    let set = ReadingSet {
        kind: Code::new(systems::LOINC, "99504-3", None),
        unit: "mg/dL".into(),
        source: Some("Dexcom G6".into()),
        readings: (0..size.readings)
            .map(|i| Reading {
                at: DateTime::from_unix(start + 300 * i).unwrap(),
                value: 70.0 + ((i * 13) % 150) as f64,
            })
            .collect(),
    };
    patient
        .import(
            &record,
            vec![LabeledItem {
                label: "Observation".into(),
                item: ImportItem::Readings(set),
            }],
            &mut |_, _| {},
        )
        .unwrap();
    patient
        .add_contact("Doc", &doctor.card().to_text())
        .unwrap();
    patient
        .grant("Doc", &SECTIONS, Access::Read, "care", None)
        .unwrap();
    let server = Node::start(patient, SyncConfig::default()).await.unwrap();
    let ticket = server.ticket();
    let client = Node::start(doctor, SyncConfig::default()).await.unwrap();
    let (events, _keep) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server.serve(events, async {
        let _ = stopped.await;
    });
    let syncing = async {
        let first = client.sync(&ticket, false).await.unwrap();
        assert!(first.received >= 1);
        let second = client.sync(&ticket, false).await.unwrap();
        assert_eq!(second.received, 0);
        let third = client.sync(&ticket, false).await.unwrap();
        assert_eq!(
            (third.received, third.sent, third.consent_received),
            (0, 0, 0)
        );
        let (envelopes, entries) = client
            .with_vault(move |v| {
                let mut envelopes = Vec::new();
                let mut entries = Vec::new();
                for s in SECTIONS {
                    envelopes.push(v.engine().envelopes(&record, s)?.len());
                    entries.push(v.list(&record, Some(s))?.len());
                }
                Ok::<_, carnet::Error>((envelopes, entries))
            })
            .await
            .unwrap();
        let _ = stop.send(());
        Cost {
            noop_bytes: third.bytes_sent + third.bytes_received,
            envelopes,
            entries,
        }
    };
    let (served, out) = tokio::join!(serving, syncing);
    served.unwrap();
    client.shutdown().await;
    server.shutdown().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_up_to_date_sync_costs_the_same_whatever_the_record_size() {
    let small = noop_sync_bytes(Size {
        imports: 1,
        per: 1,
        readings: 10,
    })
    .await;
    let large = noop_sync_bytes(Size {
        imports: 100,
        per: 10,
        readings: 100_000,
    })
    .await;
    // The large record is large in envelopes and entries, in every section.
    for (i, s) in SECTIONS.iter().enumerate() {
        assert!(
            small.envelopes[i] >= 1 && small.entries[i] >= 1,
            "{s}: the small record reached the clinician ({} envelopes, {} entries)",
            small.envelopes[i],
            small.entries[i]
        );
        assert!(
            large.envelopes[i] >= 100 && large.entries[i] >= 1_000,
            "{s}: the large record holds {} envelopes and {} entries at the clinician, not 100 and 1,000",
            large.envelopes[i],
            large.entries[i]
        );
    }
    let (small_n, large_n): (usize, usize) =
        (small.envelopes.iter().sum(), large.envelopes.iter().sum());
    let small_bytes = small.noop_bytes;
    let large_bytes = large.noop_bytes;
    eprintln!(
        "no-op sync: {small_bytes} bytes for {small_n} envelopes, {large_bytes} for {large_n} envelopes and {} entries ({:.2}x)",
        large.entries.iter().sum::<usize>(),
        large_bytes as f64 / small_bytes as f64
    );
    assert!(
        large_bytes <= 2 * small_bytes,
        "a no-op sync sent {large_bytes} bytes on {large_n} envelopes against {small_bytes} on {small_n}"
    );
    // And it is small in absolute terms: a hello, a state, an end and an ack each way.
    assert!(
        small_bytes < 8 * 1024,
        "{small_bytes} bytes for a sync with nothing to send"
    );
}
