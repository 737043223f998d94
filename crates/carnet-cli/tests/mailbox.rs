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

/// Waits until `f` holds (the running mailbox takes a queued card within a second).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..50 {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

#[test]
fn sync_falls_back_to_the_persons_mailbox_and_collects_at_ones_own() {
    let (alice, doctor) = patient_and_doctor();
    let store = doctor.work.join("mailbox");
    // A clinic's mailbox with its limits set, running before anyone is allowed.
    let run = doctor.start(
        &[
            "mailbox",
            "serve",
            "--store",
            store.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
            "--recipient-items",
            "50",
            "--expire-days",
            "7",
        ],
        &[],
    );
    let ticket = run.first["ticket"].as_str().unwrap().to_string();
    assert_eq!(run.first["limits"]["recipient_items"], 50);
    assert_eq!(run.first["limits"]["expire_secs"], 7 * 24 * 3600);
    // Both are allowed while it runs.
    for who in [&doctor, &alice] {
        let a = who.json(&[
            "mailbox",
            "allow",
            &who.card(),
            "--store",
            store.to_str().unwrap(),
        ]);
        assert_eq!(a["queued"], true, "{a}");
    }
    let lines = run.lines.clone();
    assert!(
        eventually(|| lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("\"allowed\""))
            .count()
            == 2),
        "{:?}",
        lines.lock().unwrap()
    );

    // Both collect there; their cards say so. Alice's new card reaches the doctor in a
    // bundle, as any card does.
    let used = alice.json(&["mailbox", "use", &ticket]);
    assert_eq!(used["mailboxes"][0], ticket.as_str(), "{used}");
    assert!(used["card"].as_str().unwrap().starts_with("carnet-card1:"));
    doctor.json(&["mailbox", "use", &ticket]);
    let bundle = alice.work.join("card.carnet");
    alice.ok(&[
        "share",
        "export",
        "--to",
        "Dr Martin",
        "--out",
        bundle.to_str().unwrap(),
    ]);
    doctor.ok(&["share", "import", bundle.to_str().unwrap()]);

    // Alice is offline: the doctor's sync leaves the prescription at her mailbox.
    doctor.ok(&[
        "add",
        "note",
        "--patient",
        "Alice Test",
        "--text",
        "MARKERRX2 take with food",
    ]);
    let env_timeout = [("CARNET_SYNC_TIMEOUT", "2")];
    let out = doctor
        .command()
        .args(["--json", "sync", "Alice Test"])
        .envs(env_timeout)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["via"], "mailbox", "{v}");
    assert!(v["sent"].as_u64().unwrap() >= 1, "{v}");

    // Later Alice syncs with the doctor, who is offline: she collects the prescription
    // (and his card announcing his mailbox), then leaves her new note at his.
    alice.ok(&["add", "note", "--text", "MARKERPT feeling better"]);
    let out = alice
        .command()
        .args(["sync", "Dr Martin"])
        .envs(env_timeout)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let short =
        &data_encoding::HEXLOWER.encode(&ticket.parse::<MailboxTicket>().unwrap().endpoint)[..12];
    assert!(
        text.contains(&format!("Collected at mailbox {short}")),
        "{text}"
    );
    assert!(text.contains("left at their mailbox"), "{text}");
    assert!(alice.ok(&["list"]).contains("MARKERRX2"));
    // Her consent log says where it was left.
    let log = alice.ok(&["log"]);
    assert!(log.contains(&format!("at mailbox {short}")), "{log}");

    // The doctor collects it at his next sync.
    let out = doctor
        .command()
        .args(["--json", "sync", "Alice Test"])
        .envs(env_timeout)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["collected"][0]["imported"].as_array().map(Vec::len),
        Some(1),
        "{v}"
    );
    let list = doctor.ok(&["list", "--patient", "Alice Test"]);
    assert!(list.contains("MARKERPT"), "{list}");

    // The mailbox gone too: neither Alice nor a mailbox can be reached. That is an
    // unreachable peer (exit 5), said in the language, and in English inside --json.
    drop(run);
    doctor.ok(&[
        "add",
        "note",
        "--patient",
        "Alice Test",
        "--text",
        "MARKERRX3",
    ]);
    let sync = |args: &[&str]| {
        let out = doctor
            .command()
            .args(args)
            .envs(env_timeout)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, fr) = sync(&["--lang", "fr", "sync", "Alice Test"]);
    assert_eq!(code, Some(5), "{fr}");
    assert!(
        fr.contains("n'a pas pu être joint") && !fr.contains("could not be reached"),
        "{fr}"
    );
    let (code, json) = sync(&["--lang", "fr", "--json", "sync", "Alice Test"]);
    assert_eq!(code, Some(5), "{json}");
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["kind"], "unreachable", "{v}");
    let message = v["error"].as_str().unwrap_or_default();
    assert!(message.contains("could not be reached live"), "{v}");
    assert!(!message.contains("joint"), "{v}");
}
