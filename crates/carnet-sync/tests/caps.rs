//! A serving node caps what peers can make it hold (issue 14, point 5): sessions at once
//! overall (a peer beyond is turned away), sessions at once per person (a new one replaces
//! their oldest), and bytes of received batches buffered over every session. Others are
//! unaffected.

mod common;

use std::time::Duration;

use carnet::Vault;
use carnet::consent::Access;
use carnet::crypto::Role;
use carnet::record::{Entry, Note, SectionId};
use carnet_sync::{Node, SyncConfig};
use common::vault;
use tokio::sync::mpsc;

fn local() -> SyncConfig {
    SyncConfig {
        bind: Some("127.0.0.1:0".parse().unwrap()),
        timeout: Duration::from_secs(10),
        ..SyncConfig::default()
    }
}

/// A patient who shared notes with two clinicians, and their vaults.
fn people(tmp: &std::path::Path) -> (Vault, Vault, Vault) {
    let patient = vault(&tmp.join("p"), "Pat", Role::Patient);
    let doctor = vault(&tmp.join("d"), "Doc", Role::Clinician);
    let nurse = vault(&tmp.join("n"), "Nurse", Role::Clinician);
    let record = patient.own_record().unwrap();
    patient
        .add(
            &record,
            Entry::Note(Note {
                text: "hello".into(),
                title: None,
            }),
        )
        .unwrap();
    for (name, v) in [("Doc", &doctor), ("Nurse", &nurse)] {
        patient.add_contact(name, &v.card().to_text()).unwrap();
        patient
            .grant(name, &[SectionId::Notes], Access::Read, "care", None)
            .unwrap();
    }
    (patient, doctor, nurse)
}

/// Waits until `node`'s vault holds the patient's note (a live session's first round).
async fn until_synced(node: &Node) {
    for _ in 0..200 {
        let n = node
            .with_vault(|v| {
                Ok(v.patients()?
                    .first()
                    .map(|r| v.list(&r.record, Some(SectionId::Notes)))
                    .transpose()?
                    .map_or(0, |l| l.len()))
            })
            .await
            .unwrap();
        if n == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the live session never delivered the note");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_over_the_per_person_cap_replaces_their_oldest_session_only() {
    let tmp = tempfile::tempdir().unwrap();
    let (patient, doctor, nurse) = people(tmp.path());
    let server = Node::start(
        patient,
        SyncConfig {
            max_sessions_per_person: 1,
            ..local()
        },
    )
    .await
    .unwrap();
    let ticket = server.ticket();
    let doc = Node::start(doctor, local()).await.unwrap();
    let nur = Node::start(nurse, local()).await.unwrap();
    let (events, _keep) = mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server.serve(events, async {
        let _ = stopped.await;
    });
    let trying = async {
        // The doctor holds one live session...
        let live = doc.sync(&ticket, true);
        tokio::pin!(live);
        tokio::select! {
            r = &mut live => panic!("the live session ended early: {r:?}"),
            _ = until_synced(&doc) => {}
        }
        // ...a second one from the doctor (a device that crashed and came back) goes
        // through, and the server closes the first: the doctor never holds two.
        let (second, first) = tokio::join!(
            doc.sync(&ticket, false),
            tokio::time::timeout(Duration::from_secs(10), &mut live)
        );
        let first_ended = first.is_ok();
        // The nurse, another person, is not affected.
        let nurse_sync = nur.sync(&ticket, false).await;
        let _ = stop.send(());
        (second, first_ended, nurse_sync)
    };
    let (served, (second, first_ended, nurse_sync)) = tokio::join!(serving, trying);
    served.unwrap();
    second.expect("a new session of the same person replaces the old one");
    assert!(
        first_ended,
        "the oldest session was not closed: the person held two"
    );
    let r = nurse_sync.expect("another person is not affected");
    assert!(r.received >= 1, "{r:?}");
    doc.shutdown().await;
    nur.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_over_the_overall_cap_is_turned_away_before_anything_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (patient, doctor, nurse) = people(tmp.path());
    let server = Node::start(
        patient,
        SyncConfig {
            max_sessions: 1,
            ..local()
        },
    )
    .await
    .unwrap();
    let ticket = server.ticket();
    let doc = Node::start(doctor, local()).await.unwrap();
    let nur = Node::start(
        nurse,
        SyncConfig {
            timeout: Duration::from_secs(3),
            ..local()
        },
    )
    .await
    .unwrap();
    let (events, mut seen) = mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server.serve(events, async {
        let _ = stopped.await;
    });
    let trying = async {
        let live = doc.sync(&ticket, true);
        tokio::pin!(live);
        tokio::select! {
            r = &mut live => panic!("the live session ended early: {r:?}"),
            _ = until_synced(&doc) => {}
        }
        let busy = tokio::select! {
            r = &mut live => panic!("the live session ended early: {r:?}"),
            r = nur.sync(&ticket, false) => r,
        };
        doc.stop();
        let _ = live.await;
        let _ = stop.send(());
        busy
    };
    let (served, busy) = tokio::join!(serving, trying);
    served.unwrap();
    assert!(
        busy.is_err(),
        "a session over the cap went through: {busy:?}"
    );
    let mut refused_busy = false;
    while let Ok(e) = seen.try_recv() {
        if let carnet_sync::Event::Refused { endpoint, error } = e {
            refused_busy |= endpoint.is_none()
                && matches!(
                    *error,
                    carnet_sync::SyncError::WeRefused(carnet_sync::PeerRefusal::Full { .. })
                );
        }
    }
    assert!(
        refused_busy,
        "the server did not say it turned a peer away as busy"
    );
    doc.shutdown().await;
    nur.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_beyond_the_buffer_limit_ends_the_session_and_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (patient, doctor, _) = people(tmp.path());
    let server = Node::start(patient, local()).await.unwrap();
    let ticket = server.ticket();
    let doc = Node::start(
        doctor,
        SyncConfig {
            max_buffered_bytes: 256,
            ..local()
        },
    )
    .await
    .unwrap();
    let before = doc.with_vault(|v| v.state_digest()).await.unwrap();
    let (events, _keep) = mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server.serve(events, async {
        let _ = stopped.await;
    });
    let trying = async {
        let r = doc.sync(&ticket, false).await;
        let _ = stop.send(());
        r
    };
    let (served, r) = tokio::join!(serving, trying);
    served.unwrap();
    match r {
        Err(e) => assert!(e.to_string().contains("too much at once"), "{e}"),
        Ok(r) => panic!("a batch over the buffer limit was taken: {r:?}"),
    }
    let after = doc.with_vault(|v| v.state_digest()).await.unwrap();
    assert_eq!(before, after, "nothing of the refused batch was stored");
    doc.shutdown().await;
    server.shutdown().await;
}
