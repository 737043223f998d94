//! A node says what its sessions do as they happen (`Node::activity`): a peer connected, a
//! batch received or delivered, a session finished, the vault changed. What `sync --watch`
//! prints, and what an app embedding the core subscribes to.

mod common;

use std::time::Duration;

use carnet::consent::Access;
use carnet::crypto::Role;
use carnet::record::SectionId;
use carnet_sync::{Activity, Node};
use common::{local, note, vault};
use tokio::sync::{broadcast, mpsc};

fn drain(rx: &mut broadcast::Receiver<Activity>) -> Vec<Activity> {
    let mut out = Vec::new();
    while let Ok(a) = rx.try_recv() {
        out.push(a);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_side_says_what_its_sessions_do() {
    let tmp = tempfile::tempdir().unwrap();
    let patient = vault(&tmp.path().join("p"), "Pat", Role::Patient);
    let doctor = vault(&tmp.path().join("d"), "Doc", Role::Clinician);
    let record = patient.own_record().unwrap();
    patient.add(&record, note("one")).unwrap();
    patient
        .add_contact("Doc", &doctor.card().to_text())
        .unwrap();
    patient
        .grant("Doc", &[SectionId::Notes], Access::Read, "care", None)
        .unwrap();
    let server = Node::start(patient, local()).await.unwrap();
    let ticket = server.ticket();
    let doc = Node::start(doctor, local()).await.unwrap();
    let mut at_patient = server.activity();
    let mut at_doctor = doc.activity();
    let (events, _keep) = mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server.serve(events, async {
        let _ = stopped.await;
    });
    let syncing = async {
        let r = doc.sync(&ticket, false).await;
        // Give the serving side time to finish its end of the session.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = stop.send(());
        r
    };
    let (served, report) = tokio::join!(serving, syncing);
    served.unwrap();
    let report = report.unwrap();

    let got = drain(&mut at_doctor);
    assert!(
        got.contains(&Activity::Connected { peer: "Pat".into() }),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|a| matches!(a, Activity::Received { changes, .. } if *changes >= 1)),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|a| matches!(a, Activity::Finished(r) if r.received == report.received)),
        "{got:?}"
    );
    let got = drain(&mut at_patient);
    assert!(
        got.contains(&Activity::Connected { peer: "Doc".into() }),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|a| matches!(a, Activity::Delivered { changes, .. } if *changes >= 1)),
        "{got:?}"
    );
    assert!(
        got.iter().any(|a| matches!(a, Activity::Finished(_))),
        "{got:?}"
    );

    // A change made to the vault outside any session is said too.
    server
        .with_vault(move |v| v.add(&record, note("two")).map(|_| ()))
        .await
        .unwrap();
    let changed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(Activity::VaultChanged) = at_patient.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(changed.is_ok(), "no VaultChanged after an entry was added");
    doc.shutdown().await;
    server.shutdown().await;
}
