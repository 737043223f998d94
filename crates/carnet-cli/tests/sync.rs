//! Live sync through the binary: a real `carnet serve` process on loopback, clinicians
//! syncing from their own processes, and hostile peers (raw iroh endpoints made here) that
//! send garbage, oversized frames or stall. No timing is asserted: a test fails only if
//! something that must work does not, or something that must be refused is not.

mod common;

use std::process::{Command, Stdio};

use carnet_sync::Ticket;
use common::{Carnet, Running};

/// A `carnet serve` child process; stopped (SIGTERM) when dropped.
struct Server {
    run: Running,
    ticket: String,
}

impl Server {
    fn start(c: &Carnet, timeout_secs: u64) -> Server {
        let timeout = timeout_secs.to_string();
        let run = c.start(&["serve"], &[("CARNET_SYNC_TIMEOUT", &timeout)]);
        let ticket = run.first["ticket"]
            .as_str()
            .expect("serve prints its ticket")
            .to_string();
        Server { run, ticket }
    }

    fn alive(&mut self) -> bool {
        self.run.child.try_wait().unwrap().is_none()
    }

    /// Peak resident memory of the serving process, in KiB (Linux).
    fn peak_rss_kib(&self) -> Option<u64> {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.run.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    fn events(&self) -> Vec<serde_json::Value> {
        self.run
            .lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// A patient with two entries, sharing allergies (read) and notes (write) with a doctor.
fn patient_and_doctor() -> (Carnet, Carnet) {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    alice.ok(&["add", "note", "--text", "diary"]);
    alice.ok(&["add", "condition", "--name", "Asthma"]);
    alice.grant("Dr Martin", "allergies", "read", "GP");
    alice.grant("Dr Martin", "notes", "write", "notes");
    (alice, doctor)
}

fn texts(v: &serde_json::Value) -> String {
    v.to_string()
}

#[test]
fn a_clinician_syncs_both_ways_while_other_commands_keep_working() {
    let (alice, doctor) = patient_and_doctor();
    let server = Server::start(&alice, 30);
    let endpoint_before = server.ticket.parse::<Ticket>().unwrap().endpoint;

    let r = doctor.json(&["sync", &server.ticket]);
    assert_eq!(r["received"], 2, "{r}");
    assert!(r["bytes_sent"].as_u64().unwrap() > 0 && r["bytes_received"].as_u64().unwrap() > 0);
    let list = doctor.json(&["list", "--patient", "Alice"]);
    assert!(texts(&list).contains("Penicillin") && texts(&list).contains("diary"));
    assert!(
        !texts(&list).contains("Asthma"),
        "conditions were not granted"
    );

    // While serve runs, the patient's other commands work, and reach the doctor.
    alice.ok(&["add", "allergy", "--substance", "Latex"]);
    alice.ok(&["list"]);
    doctor.ok(&["add", "note", "--text", "seen today", "--patient", "Alice"]);
    // The doctor's vault remembers the address: the contact name is enough now.
    doctor.json(&["contact", "add", "Alice", &alice.card()]);
    let r = doctor.json(&["sync", "Alice"]);
    assert_eq!(
        (r["sent"].as_u64(), r["received"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert!(texts(&alice.json(&["list"])).contains("seen today"));
    assert!(texts(&doctor.json(&["list", "--patient", "Alice"])).contains("Latex"));

    // Every served sync is in the patient's consent log; the auditor's check holds.
    let log = alice.ok(&["log"]);
    assert!(log.contains("Dr Martin received 2 change(s)"), "{log}");
    assert!(
        log.contains("Dr Martin received 1 change(s) of allergies"),
        "{log}"
    );
    assert!(
        log.contains("Dr Martin added 1 change(s) to notes"),
        "{log}"
    );
    let audit = alice.work.join("audit.json");
    alice.ok(&["audit", "export", "--out", audit.to_str().unwrap()]);
    assert_eq!(
        Carnet::empty().json(&["audit", "verify", audit.to_str().unwrap()])["ok"],
        true
    );
    assert!(
        server
            .events()
            .iter()
            .filter(|e| e["event"] == "synced")
            .count()
            >= 2,
        "{:?}",
        server.events()
    );

    // The device key is kept in the vault: the same endpoint after a restart.
    drop(server);
    let again = Server::start(&alice, 30);
    assert_eq!(
        again.ticket.parse::<Ticket>().unwrap().endpoint,
        endpoint_before
    );
}

#[test]
fn a_live_peer_receives_changes_made_by_another_process() {
    let (alice, doctor) = patient_and_doctor();
    let server = Server::start(&alice, 30);
    doctor.json(&["sync", &server.ticket]);
    let watcher = doctor
        .command()
        .args(["--json", "sync", "--watch", &server.ticket])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // A change made by another process on the patient's vault reaches the watching peer.
    alice.ok(&["add", "allergy", "--substance", "Shellfish"]);
    let mut arrived = false;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let list = doctor.json(&["list", "--patient", "Alice"]);
        if texts(&list).contains("Shellfish") {
            arrived = true;
            break;
        }
    }
    let _ = std::process::Command::new("kill")
        .args(["-INT", &watcher.id().to_string()])
        .status();
    let out = watcher.wait_with_output().unwrap();
    assert!(arrived, "the live session never delivered the new allergy");
    assert!(out.status.success(), "the watcher did not stop cleanly");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["received"].as_u64().unwrap() >= 1, "{report}");
}

#[test]
fn unknown_blocked_and_revoked_peers_get_nothing_and_are_logged() {
    let (alice, doctor) = patient_and_doctor();
    let stranger = Carnet::clinician("Dr Nobody");
    let nurse = Carnet::clinician("Nurse Joy");
    alice.json(&["contact", "add", "Nurse Joy", &nurse.card()]);
    alice.grant("Nurse Joy", "allergies", "read", "vaccines");
    let server = Server::start(&alice, 30);

    // Unknown: refused, nothing received, logged.
    let before = stranger.state();
    let err = stranger.fails(&["sync", &server.ticket]);
    assert!(err.contains("not known"), "{err}");
    assert_eq!(stranger.state(), before);
    assert!(stranger.json(&["patients"]).as_array().unwrap().is_empty());

    // Blocked.
    nurse.json(&["sync", &server.ticket]);
    alice.json(&["block", "Nurse Joy"]);
    let before = nurse.state();
    let err = nurse.fails(&["sync", &server.ticket]);
    assert!(err.contains("blocked"), "{err}");
    assert_eq!(nurse.state(), before);

    // Revoked: nothing new.
    let r = doctor.json(&["sync", &server.ticket]);
    assert_eq!(r["received"], 2);
    let grants = alice.json(&["grants"]);
    for g in grants.as_array().unwrap() {
        if g["contact"] == "Dr Martin" {
            alice.json(&["revoke", g["grant_id"].as_str().unwrap()]);
        }
    }
    alice.ok(&["add", "allergy", "--substance", "Peanuts"]);
    let err = doctor.fails(&["sync", &server.ticket]);
    assert!(
        err.contains("no longer shares their record with you"),
        "{err}"
    );
    assert!(!texts(&doctor.json(&["list", "--patient", "Alice"])).contains("Peanuts"));

    // The patient's log names each refusal.
    let log = alice.ok(&["log"]);
    assert!(log.contains("Refused sync attempts"), "{log}");
    assert!(
        log.contains("someone unknown") || log.contains("Dr Nobody"),
        "{log}"
    );
    assert!(log.contains("Nurse Joy tried to sync"), "{log}");
    assert!(log.contains("Dr Martin tried to sync"), "{log}");
}

/// Connects to `ticket` with a fresh, unknown iroh endpoint and runs `talk` on the
/// connection and a stream of it; returns what `talk` returned and the endpoint's key in
/// hex (as `serve` names peers in its events).
fn hostile<F, Fut, T>(ticket: &str, talk: F) -> (T, String)
where
    F: FnOnce(
        iroh::endpoint::Connection,
        iroh::endpoint::SendStream,
        iroh::endpoint::RecvStream,
    ) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let t: Ticket = ticket.parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ep = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
            .relay_mode(iroh::RelayMode::Disabled)
            .bind()
            .await
            .unwrap();
        let me = data_encoding::HEXLOWER.encode(ep.id().as_bytes());
        let addr = iroh::EndpointAddr::from_parts(
            iroh::PublicKey::from_bytes(&t.endpoint).unwrap(),
            t.addrs.iter().map(|a| iroh::TransportAddr::Ip(*a)),
        );
        let conn = ep.connect(addr, carnet_sync::ALPN).await.unwrap();
        let (send, recv) = conn.open_bi().await.unwrap();
        let out = talk(conn.clone(), send, recv).await;
        conn.close(0u32.into(), b"bye");
        ep.close().await;
        (out, me)
    })
}

/// How long a test waits for `serve` (run with a 3 s timeout) to drop a stalled peer before
/// it counts as never: generous, so a loaded machine does not fail it; a server that keeps
/// stalled peers fails the test instead of hanging it.
const DROP_BOUND: std::time::Duration = std::time::Duration::from_secs(60);

/// Splits sync protocol bytes into frames (u32 big-endian length, then postcard).
fn frames(mut bytes: &[u8]) -> Vec<carnet_sync::Frame> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        assert!(bytes.len() >= 4, "a frame length is cut short: {bytes:?}");
        let n = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
        assert!(bytes.len() >= 4 + n, "a frame of {n} bytes is cut short");
        out.push(
            postcard::from_bytes(&bytes[4..4 + n])
                .unwrap_or_else(|e| panic!("a frame from the server does not decode: {e}")),
        );
        bytes = &bytes[4 + n..];
    }
    out
}

/// What a stalled peer saw of the server's end of it.
#[derive(Debug)]
struct Dropped {
    /// Why the connection closed, or `None` if it was still open after [`DROP_BOUND`].
    closed: Option<iroh::endpoint::ConnectionError>,
    /// What the server sent on the stream.
    received: Vec<u8>,
}

#[test]
fn garbage_oversized_frames_and_stalls_are_dropped_while_others_are_served() {
    let (alice, doctor) = patient_and_doctor();
    let mut server = Server::start(&alice, 3);
    let state = alice.state();

    // Garbage.
    hostile(&server.ticket, |_, mut send, mut recv| async move {
        send.write_all(b"\x00\x00\x00\x10this is not carnet")
            .await
            .unwrap();
        let _ = send.finish();
        let _ = recv.read_to_end(1 << 20).await;
    });
    assert!(server.alive());

    // A frame announcing 4 GiB: refused before any allocation.
    let peak_before = server.peak_rss_kib();
    hostile(&server.ticket, |_, mut send, mut recv| async move {
        send.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
        // The server may already have refused the header and stopped reading.
        let _ = send.write_all(&[0u8; 4096]).await;
        let _ = recv.read_to_end(1 << 20).await;
    });
    assert!(server.alive());
    if let (Some(a), Some(b)) = (peak_before, server.peak_rss_kib()) {
        assert!(
            b.saturating_sub(a) < 64 * 1024,
            "peak memory grew by {} KiB after an oversized frame",
            b - a
        );
    }

    // A stall in the middle of a frame: while it hangs, another clinician is served, and
    // the server drops the staller (closing its connection as a failed session) after its
    // timeout, having sent it nothing.
    let ticket = server.ticket.clone();
    let (stalling, stalled) = std::sync::mpsc::channel();
    let staller = std::thread::spawn(move || {
        hostile(&ticket, |conn, mut send, mut recv| async move {
            send.write_all(&1000u32.to_be_bytes()).await.unwrap();
            send.write_all(&[1u8; 10]).await.unwrap();
            stalling.send(()).unwrap();
            // Never send the rest; read whatever comes until the server drops us.
            let mut received = Vec::new();
            let closed = tokio::time::timeout(DROP_BOUND, async {
                let mut buf = [0u8; 4096];
                while let Ok(Some(n)) = recv.read(&mut buf).await {
                    received.extend_from_slice(&buf[..n]);
                }
                conn.closed().await
            })
            .await
            .ok();
            Dropped { closed, received }
        })
    });
    stalled.recv().unwrap();
    let r = doctor.json(&["sync", &server.ticket]);
    assert_eq!(r["received"], 2, "served while another peer stalls: {r}");
    let (dropped, staller_id) = staller.join().unwrap();
    match &dropped.closed {
        Some(iroh::endpoint::ConnectionError::ApplicationClosed(close)) => assert_eq!(
            close.error_code,
            1u32.into(),
            "the server closed the stalled peer's connection as a finished session: {close:?}"
        ),
        Some(other) => panic!(
            "the stalled peer's connection ended by {other:?}, not by the server dropping it"
        ),
        None => panic!(
            "the server still held a peer stalled in the middle of a frame after {DROP_BOUND:?} (its timeout is 3 s)"
        ),
    }
    // The server answers a hello only once it has read it and accepted the peer: to one
    // that never finished its hello it sent nothing at all (no card, no state, no record).
    let frames = frames(&dropped.received);
    assert!(
        frames.is_empty(),
        "the server sent a peer that never finished its hello: {frames:?}"
    );
    // It says why: that peer stalled after the 14 bytes it sent. (Which of the session's
    // waits notices first, the frame reader's or the session's, is a race: both name the
    // stall.)
    let mut why = None;
    for _ in 0..300 {
        why = server
            .events()
            .into_iter()
            .find(|e| e["event"] == "failed" && e["endpoint"] == staller_id.as_str());
        if why.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let why = why.unwrap_or_else(|| {
        panic!(
            "serve reported no failed session for the staller {staller_id}: {:?}",
            server.events()
        )
    });
    let why = why["why"].as_str().unwrap_or_default();
    assert!(
        why.contains("the link stalled") && why.contains("after 14 bytes received"),
        "the staller was dropped for another reason: {why}"
    );
    // And the server goes on serving.
    assert!(server.alive());
    let r = doctor.json(&["sync", &server.ticket]);
    assert_eq!(r["received"], 0, "nothing new after the stall: {r}");

    // Nothing the hostile peers sent changed the vault (the doctor's sync only logged what
    // it served), and the attempts are noted.
    let after = alice.state();
    assert_ne!(after, state, "the doctor's sync is logged");
    let log = alice.json(&["log"]);
    let refused = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "refused")
        .count();
    assert!(refused >= 1, "{log}");
    let entries: Vec<_> = alice.json(&["list"]).as_array().unwrap().clone();
    assert_eq!(entries.len(), 3, "no entry came from a hostile peer");
}

#[test]
fn twenty_clinicians_syncing_at_once_each_get_exactly_their_sections() {
    let alice = Carnet::patient();
    let sections = [
        "allergies",
        "conditions",
        "medications",
        "immunizations",
        "measurements",
        "notes",
    ];
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    alice.ok(&["add", "condition", "--name", "Asthma"]);
    alice.ok(&["add", "medication", "--name", "Salbutamol"]);
    alice.ok(&[
        "add",
        "immunization",
        "--vaccine",
        "Influenza",
        "--date",
        "2025-10-01",
    ]);
    alice.ok(&[
        "add",
        "measurement",
        "--kind",
        "weight",
        "--value",
        "70",
        "--unit",
        "kg",
    ]);
    alice.ok(&["add", "note", "--text", "note"]);
    let mut doctors = Vec::new();
    for i in 0..20 {
        let d = Carnet::clinician(&format!("Dr {i}"));
        alice.json(&["contact", "add", &format!("Dr {i}"), &d.card()]);
        // Each gets a different pair of sections.
        let granted = vec![sections[i % 6], sections[(i / 6 + i + 1) % 6]];
        alice.json(&[
            "grant",
            &format!("Dr {i}"),
            "--sections",
            &granted.join(","),
            "--access",
            "read",
            "--purpose",
            "care",
        ]);
        doctors.push((d, granted));
    }
    let server = Server::start(&alice, 30);
    let children: Vec<_> = doctors
        .iter()
        .map(|(d, _)| {
            d.command()
                .args(["--json", "sync", &server.ticket])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a concurrent sync failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (d, granted) in &doctors {
        let p = d.json(&["patients"]);
        let mut got: Vec<String> = p[0]["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        got.sort();
        let mut want: Vec<String> = granted.iter().map(|s| s.to_string()).collect();
        want.sort();
        want.dedup();
        assert_eq!(got, want);
        let list = d.json(&["list", "--patient", "Alice"]);
        let mut listed: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["section"].as_str().unwrap().to_string())
            .collect();
        listed.sort();
        listed.dedup();
        assert_eq!(listed, want, "entries of exactly the granted sections");
    }
    let audit = alice.work.join("audit.json");
    alice.ok(&["audit", "export", "--out", audit.to_str().unwrap()]);
    assert_eq!(
        Carnet::empty().json(&["audit", "verify", audit.to_str().unwrap()])["ok"],
        true
    );
}

#[test]
fn bad_tickets_and_unreachable_peers_fail_clearly() {
    let doctor = Carnet::clinician("Dr Martin");
    let err = doctor.fails(&["sync", "carnet-ticket1:garbage"]);
    assert!(err.contains("not a Carnet ticket"), "{err}");
    let err = doctor.fails(&["sync", "Nobody"]);
    assert!(err.contains("no contact or patient"), "{err}");
    // A ticket to a port where nobody listens.
    let t = Ticket {
        endpoint: *iroh::SecretKey::generate().public().as_bytes(),
        person: carnet::crypto::PersonId([1; 32]),
        addrs: vec!["127.0.0.1:9".parse().unwrap()],
    };
    let out = doctor
        .command()
        .args(["sync", &t.to_string()])
        .env("CARNET_SYNC_TIMEOUT", "2")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach"), "{err}");
}

/// The text of the `i`th generated document.
fn letter_body(i: usize) -> String {
    format!("Dear colleague, letter number {i} of a long history.")
}

/// A FHIR R4 collection Bundle of one patient with `n` letters, each a DocumentReference
/// with its data inline: what a hospital's records transfer looks like.
fn letters_bundle(n: usize) -> String {
    let mut entries = vec![serde_json::json!({
        "fullUrl": "urn:uuid:5b0c6f3e-0000-4000-8000-000000000000",
        "resource": {"resourceType": "Patient", "id": "alice",
            "name": [{"family": "Test", "given": ["Alice"]}]}
    })];
    for i in 0..n {
        entries.push(serde_json::json!({
            "fullUrl": format!("urn:uuid:5b0c6f3e-0000-4000-8000-{:012}", i + 1),
            "resource": {
                "resourceType": "DocumentReference",
                "id": format!("letter-{i}"),
                "status": "current",
                "type": {"text": "Letter"},
                "subject": {"reference": "Patient/alice"},
                "date": format!("2025-01-{:02}T{:02}:{:02}:00Z", 1 + i / 1440, i / 60 % 24, i % 60),
                "description": format!("letter {i}"),
                "content": [{"attachment": {
                    "contentType": "text/plain",
                    "title": format!("letter-{i}.txt"),
                    "data": data_encoding::BASE64.encode(letter_body(i).as_bytes()),
                }}],
            }
        }));
    }
    serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": entries})
        .to_string()
}

#[test]
fn a_thousand_imported_documents_reach_a_clinician_by_live_sync() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    let bundle = alice.work.join("letters.json");
    std::fs::write(&bundle, letters_bundle(1_000)).unwrap();
    let r = alice.json(&["import", "fhir", bundle.to_str().unwrap()]);
    assert_eq!(r["imported"]["DocumentReference"], 1_000, "{r}");
    alice.grant("Dr Martin", "documents", "read", "records transfer");

    let server = Server::start(&alice, 30);
    let r = doctor.json(&["sync", &server.ticket]);
    let limit = carnet::wire::MAX_ENVELOPE_ATTACHMENTS;
    assert_eq!(
        r["received"].as_u64(),
        Some(1_000usize.div_ceil(limit) as u64),
        "envelopes of at most {limit} documents: {r}"
    );
    let list = doctor.json(&["list", "--patient", "Alice", "--section", "documents"]);
    let docs = list.as_array().unwrap();
    assert_eq!(docs.len(), 1_000);
    let by_title: std::collections::HashMap<&str, &str> = docs
        .iter()
        .map(|d| (d["title"].as_str().unwrap(), d["id"].as_str().unwrap()))
        .collect();
    assert_eq!(by_title.len(), 1_000, "1,000 distinct documents");
    // The first and last, and those on each side of an envelope's limit.
    for i in [0, limit - 1, limit, 500, 999] {
        let out = format!("letter-{i}.out");
        doctor.ok(&[
            "get-attachment",
            by_title[format!("letter {i}").as_str()],
            "--out",
            &out,
            "--patient",
            "Alice",
        ]);
        assert_eq!(
            std::fs::read_to_string(doctor.work.join(&out)).unwrap(),
            letter_body(i)
        );
    }
    // Up to date: a second sync brings nothing.
    let r = doctor.json(&["sync", &server.ticket]);
    assert_eq!(r["received"], 0, "{r}");
}

// What a bulk import writes fits what a live receiver buffers for one batch (checked when
// this file compiles: `carnet` cannot name `carnet_sync`'s limits, so they meet here).
const _: () = {
    // An envelope of many documents makes no larger batch than an ordinary one.
    assert!(carnet::BULK_ATTACHMENT_BYTES <= carnet_sync::BATCH_BUDGET);
    // One of the largest envelopes with one of the largest attachments, sealed (16 bytes
    // per 64 KiB chunk: 1/64 is ample), fits what a receiver buffers for one batch.
    let sealed = carnet::MAX_ATTACHMENT + carnet::MAX_ATTACHMENT / 64;
    assert!(carnet::crypto::MAX_ENVELOPE_BYTES as u64 + sealed <= carnet_sync::MAX_BATCH_BYTES);
};

#[test]
fn serve_keeps_its_port_across_restarts_and_says_when_it_is_taken() {
    let (alice, doctor) = patient_and_doctor();
    doctor.json(&["contact", "add", "Alice", &alice.card()]);
    let first = Server::start(&alice, 30);
    let before: Ticket = first.ticket.parse().unwrap();
    let port = before.addrs.iter().find(|a| a.is_ipv4()).unwrap().port();
    assert!(
        before
            .addrs
            .iter()
            .any(|a| a.ip().is_loopback() && a.is_ipv6()),
        "IPv6 too: {:?}",
        before.addrs
    );
    assert_eq!(doctor.json(&["sync", &first.ticket])["received"], 2);
    assert_eq!(alice.json(&["config", "show"])["port"], port.to_string());

    // A second serve of the same vault meanwhile: the port is taken, and it says so.
    let err = alice.fails(&["serve"]);
    assert!(
        err.contains(&format!("address in use at 0.0.0.0:{port}")),
        "{err}"
    );
    drop(first);

    // Restarted: the same port, so the ticket the doctor remembered still works.
    let second = Server::start(&alice, 30);
    let after: Ticket = second.ticket.parse().unwrap();
    assert!(
        after.addrs.iter().all(|a| a.port() == port),
        "{:?}",
        after.addrs
    );
    alice.ok(&["add", "allergy", "--substance", "Latex"]);
    assert_eq!(doctor.json(&["sync", "Alice"])["received"], 1);
    drop(second);

    // Overridable; nonsense refused.
    let e = alice.fails(&["config", "set", "port", "99999"]);
    assert!(e.contains("port is auto or a number"), "{e}");
    alice.ok(&["config", "set", "port", "auto"]);
    assert_eq!(alice.json(&["config", "show"])["port"], "auto");
}

/// Polls `f` until it holds, for at most a minute.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "never happened: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn sync_watch_says_when_the_link_drops_and_connects_again() {
    let (alice, doctor) = patient_and_doctor();
    let server = Server::start(&alice, 2);
    let ticket = server.ticket.clone();
    let watch = doctor
        .command()
        .args(["--json", "sync", &ticket, "--watch"])
        .env("CARNET_SYNC_TIMEOUT", "2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let listed = |needle: &str| {
        let out = doctor.run(&["--json", "list", "--patient", "Alice"]);
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains(needle)
    };
    eventually("the first round arrives", || listed("Penicillin"));

    // The patient's device goes away, and comes back on the same port.
    drop(server);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _server = Server::start(&alice, 2);
    alice.ok(&["add", "allergy", "--substance", "Latex"]);
    eventually("the watcher connects again and gets the new entry", || {
        listed("Latex")
    });

    let _ = Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status();
    let out = watch.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("onnecting again"), "{said}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["reconnects"].as_u64().unwrap() >= 1, "{report}");
    assert!(report["received"].as_u64().unwrap() >= 3, "{report}");
}

#[test]
fn a_stranger_reaching_serve_learns_nothing_of_whose_device_it_is() {
    let (alice, _doctor) = patient_and_doctor();
    let server = Server::start(&alice, 5);
    let (got, _) = hostile(
        &server.ticket,
        move |_conn, mut send, mut recv| async move {
            // A hello whose card does not parse: the server refuses it.
            let hello = carnet_sync::Frame::Hello {
                version: carnet_sync::PROTOCOL_VERSION,
                card: "carnet-card1:not-a-card".into(),
                cert: Vec::new(),
                live: false,
            };
            let body = postcard::to_stdvec(&hello).unwrap();
            send.write_all(&(body.len() as u32).to_be_bytes())
                .await
                .unwrap();
            send.write_all(&body).await.unwrap();
            let _ = send.finish();
            // Everything that arrives before the stream or the connection ends.
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(Some(n)) = recv.read(&mut buf).await {
                got.extend_from_slice(&buf[..n]);
            }
            got
        },
    );
    // Whatever came back, it is not the server's hello (its owner's card).
    if got.len() >= 4 {
        let n = u32::from_be_bytes(got[..4].try_into().unwrap()) as usize;
        let frame: carnet_sync::Frame = postcard::from_bytes(&got[4..4 + n]).unwrap();
        assert!(
            !matches!(frame, carnet_sync::Frame::Hello { .. }),
            "the server told a stranger whose device it is"
        );
    }
    // A known clinician is still greeted and served.
    let r = _doctor.json(&["sync", &server.ticket]);
    assert_eq!(r["received"], 2, "{r}");
}

/// `sync --watch` says each batch as it happens (issue 18: a blank screen while changes
/// flowed): a line when it connects, one per batch received, and none of it with --json.
#[test]
fn sync_watch_prints_a_line_per_batch_as_it_arrives() {
    let (alice, doctor) = patient_and_doctor();
    let server = Server::start(&alice, 2);
    let watch = doctor
        .command()
        .args(["sync", &server.ticket, "--watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let listed = |needle: &str| {
        let out = doctor.run(&["--json", "list", "--patient", "Alice"]);
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains(needle)
    };
    eventually("the first round arrives", || listed("Penicillin"));
    alice.ok(&["add", "allergy", "--substance", "Latex"]);
    eventually("the new entry arrives", || listed("Latex"));
    let _ = Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status();
    let out = watch.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Connected to Alice"), "{said}");
    let received = said
        .lines()
        .filter(|l| l.starts_with("Received from Alice"))
        .count();
    assert!(received >= 2, "a line per batch: {said}");
    drop(server);
}
