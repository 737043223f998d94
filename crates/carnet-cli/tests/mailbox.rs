//! `carnet mailbox` through the binary: a real mailbox process on loopback, a clinician
//! depositing for a patient who is offline, the mailbox killed (SIGKILL) and restarted in
//! between, and the patient collecting later.

mod common;

use std::path::Path;
use std::process::Command;

use carnet_mailbox::MailboxTicket;
use common::{Carnet, Running};

fn serve(c: &Carnet, store: &Path, bind: &str) -> (Running, String) {
    let run = c.start(
        &[
            "mailbox",
            "serve",
            "--store",
            store.to_str().unwrap(),
            "--bind",
            bind,
        ],
        &[],
    );
    let ticket = run.first["ticket"]
        .as_str()
        .expect("mailbox serve prints its ticket")
        .to_string();
    (run, ticket)
}

/// A patient who shared notes (write) with a doctor, the doctor holding the grant.
fn patient_and_doctor() -> (Carnet, Carnet) {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.grant("Dr Martin", "notes,medications", "write", "follow-up");
    let bundle = alice.work.join("for-dr.carnet");
    alice.ok(&[
        "share",
        "export",
        "--to",
        "Dr Martin",
        "--out",
        bundle.to_str().unwrap(),
    ]);
    doctor.ok(&["share", "import", bundle.to_str().unwrap()]);
    (alice, doctor)
}

#[test]
fn a_prescription_waits_at_the_mailbox_through_a_kill() {
    let (alice, doctor) = patient_and_doctor();
    let store = doctor.work.join("mailbox");
    let allowed = doctor.json(&[
        "mailbox",
        "allow",
        &doctor.card(),
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(allowed["allowed"], "Dr Martin");
    let (mut run, ticket) = serve(&doctor, &store, "127.0.0.1:0");

    // The patient is offline: the doctor writes and deposits.
    doctor.ok(&[
        "add",
        "note",
        "--patient",
        "Alice Test",
        "--text",
        "MARKERRX amoxicillin 500 mg three times a day",
    ]);
    let sent = doctor.json(&["mailbox", "deposit", "Alice Test", "--at", &ticket]);
    assert!(sent["envelopes"].as_u64().unwrap() >= 1, "{sent}");

    // Killed without warning right after it acknowledged the deposit, then restarted.
    Command::new("kill")
        .args(["-KILL", &run.child.id().to_string()])
        .status()
        .unwrap();
    run.wait();
    let port = ticket.parse::<MailboxTicket>().unwrap().addrs[0].port();
    let (_run, again) = serve(&doctor, &store, &format!("127.0.0.1:{port}"));
    assert_eq!(
        again.parse::<MailboxTicket>().unwrap().endpoint,
        ticket.parse::<MailboxTicket>().unwrap().endpoint
    );

    // The mailbox's file holds nothing of the note, nor the patient's name.
    let raw = std::fs::read(store.join(carnet_mailbox::STORE_FILE)).unwrap();
    let found =
        common::reveal::needles_found(&raw, &["MARKERRX", "amoxicillin", "three times", "Alice"]);
    assert!(found.is_empty(), "the mailbox store reveals {found:?}");

    // The patient collects later and sees it; a second collection finds nothing.
    let got = alice.json(&["mailbox", "collect", "--at", &ticket]);
    assert_eq!(got["imported"].as_array().unwrap().len(), 1, "{got}");
    assert_eq!(got["imported"][0]["from"], "Dr Martin", "{got}");
    let list = alice.ok(&["list"]);
    assert!(list.contains("MARKERRX"), "{list}");
    let again = alice.ok(&["mailbox", "collect", "--at", &ticket]);
    assert!(again.contains("Nothing waits for you"), "{again}");
}

#[test]
fn a_depositor_not_allowed_is_refused_clearly() {
    let (_alice, doctor) = patient_and_doctor();
    let store = doctor.work.join("mailbox");
    let (_run, ticket) = serve(&doctor, &store, "127.0.0.1:0");
    let out = doctor.run(&["mailbox", "deposit", "Alice Test", "--at", &ticket]);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("its owner must allow you first"), "{err}");
    let out = doctor.run(&[
        "--json",
        "mailbox",
        "deposit",
        "Alice Test",
        "--at",
        &ticket,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(v["kind"], "refused", "{v}");
    // In French too.
    let out = doctor.run(&[
        "--lang",
        "fr",
        "mailbox",
        "deposit",
        "Alice Test",
        "--at",
        &ticket,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("son propriétaire doit d'abord vous autoriser"),
        "{err}"
    );
    // A bad ticket is refused before anything else.
    let err = doctor.fails(&["mailbox", "collect", "--at", "carnet-mailbox1:zz"]);
    assert!(err.contains("not a mailbox ticket"), "{err}");
}
