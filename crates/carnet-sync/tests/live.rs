//! Live sync as an app runs it (`LiveSync`): no tokio in the caller, a runtime inside the
//! core, start and stop with plain calls, events read from the app's thread, and the app's
//! own vault handle in use the whole time (real iroh endpoints on loopback).

mod common;

use std::time::{Duration, Instant};

use carnet::consent::Access;
use carnet::crypto::Role;
use carnet::record::{Entry, SectionId};
use carnet_sync::{Activity, LiveSync, SyncError, SyncEvent};
use common::{local, note, vault};

/// Events until `want` says one is what was waited for (a generous bound, only so that a
/// missing event fails the test instead of hanging it).
fn wait_for(sync: &LiveSync, want: impl Fn(&SyncEvent) -> bool) -> Vec<SyncEvent> {
    let until = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < until {
        if let Some(e) = sync.next_event(Duration::from_millis(200)) {
            let done = want(&e);
            seen.push(e);
            if done {
                return seen;
            }
        }
    }
    panic!("the event never came; seen: {seen:?}");
}

fn notes(v: &carnet::Vault, record: &carnet::crypto::RecordId) -> Vec<String> {
    let mut out: Vec<String> = v
        .list(record, Some(SectionId::Notes))
        .map(|l| {
            l.into_iter()
                .filter_map(|e| match e.entry {
                    Entry::Note(n) => Some(n.text),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn an_app_syncs_live_on_a_runtime_of_the_cores_and_hears_each_change() {
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

    // Each app gives live sync a clone of its handle and keeps its own.
    let at_patient = LiveSync::start(patient.clone(), local()).unwrap();
    let at_doctor = LiveSync::start(doctor.clone(), local()).unwrap();
    at_doctor.connect(at_patient.ticket()).unwrap();

    let seen = wait_for(
        &at_doctor,
        |e| matches!(e, SyncEvent::Activity(Activity::Received { changes, .. }) if *changes > 0),
    );
    assert!(
        seen.iter().any(
            |e| matches!(e, SyncEvent::Activity(Activity::Connected { peer }) if peer == "Pat")
        ),
        "the peer's connection is an event: {seen:?}"
    );
    assert!(
        seen.iter().any(|e| matches!(
            e,
            SyncEvent::Activity(Activity::Received { keys, consent, .. }) if *keys + *consent > 0
        )),
        "the grant arrives as an event: {seen:?}"
    );
    assert_eq!(notes(&doctor, &record), vec!["one".to_string()]);

    // The patient's app writes on its own handle while sync runs: the doctor hears it.
    patient.add(&record, note("two")).unwrap();
    wait_for(
        &at_doctor,
        |e| matches!(e, SyncEvent::Activity(Activity::Received { changes, .. }) if *changes > 0),
    );
    assert_eq!(
        notes(&doctor, &record),
        vec!["one".to_string(), "two".to_string()]
    );
    // And the patient's side said it delivered it.
    wait_for(
        &at_patient,
        |e| matches!(e, SyncEvent::Activity(Activity::Delivered { changes, .. }) if *changes > 0),
    );

    // Stopped: its ticket no longer answers, and the handles go on working.
    let ticket = at_patient.ticket();
    at_patient.stop();
    assert!(at_doctor.sync_once(&ticket).is_err());
    at_doctor.stop();
    patient.add(&record, note("three")).unwrap();
    assert_eq!(notes(&patient, &record).len(), 3);
}

#[test]
fn live_sync_refuses_to_start_inside_an_async_runtime() {
    let tmp = tempfile::tempdir().unwrap();
    let v = vault(&tmp.path().join("p"), "Pat", Role::Patient);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let got = rt.block_on(async { LiveSync::start(v, local()).map(|_| ()) });
    assert!(matches!(got, Err(SyncError::InsideRuntime)), "{got:?}");
}
