//! What an up-to-date sync costs: O(sections x authors) bytes, whatever the size of the
//! record. A no-op sync on a record of 100,000 readings sends within 2x the bytes of one on
//! a record of 10 (bytes counted, never time). Real vaults, real iroh endpoints on
//! loopback.

use carnet::consent::Access;
use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, Role};
use carnet::record::{Code, DateTime, Reading, ReadingSet, SectionId, systems};
use carnet::{CreateOptions, ImportItem, LabeledItem, Vault};
use carnet_sync::{Node, SyncConfig};

fn vault(dir: &std::path::Path, name: &str, role: Role) -> Vault {
    Vault::create(
        dir,
        &SecretString::from("cost".to_string()),
        &CreateOptions {
            name: name.into(),
            role,
            kdf_log_n: MasterKey::MIN_LOG_N,
        },
    )
    .unwrap()
}

/// Bytes on the wire (both ways) of the third sync between a patient holding `readings`
/// glucose readings and a clinician granted the measurements: the first moves the record,
/// the second the consent entry about that delivery, the third nothing.
async fn noop_sync_bytes(readings: i64) -> (u64, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let mut patient = vault(&tmp.path().join("p"), "Pat", Role::Patient);
    let doctor = vault(&tmp.path().join("d"), "Doc", Role::Clinician);
    let record = patient.own_record().unwrap();
    let start = 1_735_689_600;
    let set = ReadingSet {
        kind: Code::new(systems::LOINC, "99504-3", None),
        unit: "mg/dL".into(),
        source: Some("Dexcom G6".into()),
        readings: (0..readings)
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
        .grant(
            "Doc",
            &[SectionId::Measurements],
            Access::Read,
            "care",
            None,
        )
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
        let shown = client
            .with_vault(move |v| v.list(&record, Some(SectionId::Measurements)))
            .await
            .unwrap()
            .len();
        let _ = stop.send(());
        (third.bytes_sent + third.bytes_received, shown)
    };
    let (served, out) = tokio::join!(serving, syncing);
    served.unwrap();
    client.shutdown().await;
    server.shutdown().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_up_to_date_sync_costs_the_same_whatever_the_record_size() {
    let (small, small_blocks) = noop_sync_bytes(10).await;
    let (large, large_blocks) = noop_sync_bytes(100_000).await;
    assert!(
        small_blocks >= 1 && large_blocks > small_blocks,
        "the large record holds more"
    );
    eprintln!(
        "no-op sync: {small} bytes at 10 readings, {large} at 100,000 ({:.2}x)",
        large as f64 / small as f64
    );
    assert!(
        large <= 2 * small,
        "a no-op sync sent {large} bytes on 100,000 readings against {small} on 10"
    );
    // And it is small in absolute terms: a hello, a state, an end and an ack each way.
    assert!(
        small < 8 * 1024,
        "{small} bytes for a sync with nothing to send"
    );
}
