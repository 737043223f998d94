//! Success means delivered. The receiving side of a live sync (a clinician's `carnet sync`)
//! is killed with SIGKILL at many points while a patient's `serve` sends it documents; the
//! sender must never count, report or log as received more than the receiver stored.
//! Before, a batch was logged as received when it was queued, and a killed receiver left
//! the patient's consent log saying the clinician had what they never stored.

mod common;

use std::time::{Duration, Instant};

use common::{Carnet, Lcg, Running};

/// Changes the patient's log says the doctor received.
fn logged_as_received(alice: &Carnet) -> u64 {
    alice
        .json(&["log"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "served")
        .map(|e| {
            let text = e["text"].as_str().unwrap();
            let n = text
                .split("received ")
                .nth(1)
                .and_then(|t| t.split(' ').next())
                .and_then(|n| n.parse::<u64>().ok());
            n.unwrap_or_else(|| panic!("a served entry without a count: {text}"))
        })
        .sum()
}

/// Documents the doctor's vault holds (each one came in its own envelope).
fn stored(doctor: &Carnet) -> u64 {
    let out = doctor.run(&[
        "--json",
        "list",
        "--patient",
        "Alice",
        "--section",
        "documents",
    ]);
    if !out.status.success() {
        // Before the first batch landed the doctor knows no record of Alice's.
        return 0;
    }
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .len() as u64
}

/// What serve reported as sent in the sessions it says went well.
fn reported_sent(server: &Running) -> u64 {
    server
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["event"] == "synced")
        .map(|e| e["sent"].as_u64().unwrap())
        .sum()
}

fn attach(alice: &Carnet, name: &str, rng: &mut Lcg) {
    // 120 KB that do not compress, one envelope and one blob each.
    let bytes: Vec<u8> = (0..120 * 1024).map(|_| rng.next() as u8).collect();
    let path = alice.work.join(name);
    std::fs::write(&path, bytes).unwrap();
    alice.ok(&["attach", path.to_str().unwrap(), "--title", name]);
}

#[test]
fn a_killed_receiver_is_never_reported_or_logged_as_having_received() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.grant("Dr Martin", "documents", "read", "imaging follow-up");
    let mut rng = Lcg(0xdead_beef_0bad_cafe);
    let server = alice.start(&["serve"], &[]);
    let ticket = server.first["ticket"].as_str().unwrap().to_string();

    let mut documents = 0;
    let mut typical: Option<Duration> = None;
    let mut kills = 0;
    // At least 24 rounds, and on until 12 kills have landed inside a sync (the machine is
    // shared and its speed drifts: the aim follows it, as in crash.rs).
    let mut round = 0;
    while round < 24 || (kills < 12 && round < 80) {
        round += 1;
        for i in 0..3 {
            attach(&alice, &format!("scan-{round}-{i}.bin"), &mut rng);
            documents += 1;
        }
        let started = Instant::now();
        let mut child = doctor
            .command()
            .args(["--json", "sync", &ticket])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        match typical {
            // The first sync runs whole: how long one takes here, to aim the kills.
            None => {
                assert!(child.wait().unwrap().success());
                typical = Some(started.elapsed());
            }
            Some(t) => {
                let aim = t.mul_f64((rng.next() % 1000) as f64 / 1000.0 * 1.3);
                std::thread::sleep(aim);
                if child.try_wait().unwrap().is_none() {
                    child.kill().unwrap();
                    kills += 1;
                    // Landed: aim a little later next time, so kills spread over the sync.
                    typical = Some(t.mul_f64(1.05));
                } else {
                    // It was quicker than the aim: aim earlier.
                    typical = Some(t.mul_f64(0.85).max(Duration::from_millis(5)));
                }
                let _ = child.wait();
            }
        }
        // The invariant, after every kill: what the patient's side says was received is
        // never more than what the doctor's vault holds.
        let held = stored(&doctor);
        let logged = logged_as_received(&alice);
        assert!(
            logged <= held,
            "round {round}: the log says the doctor received {logged} change(s), their vault holds {held}"
        );
        let sent = reported_sent(&server);
        assert!(
            sent <= held,
            "round {round}: serve reported {sent} change(s) sent, the doctor holds {held}"
        );
    }
    assert!(kills >= 10, "only {kills} kills landed during a sync");
    // A last sync, left alone, delivers everything, and all of it is then in the log: what
    // was stored without its acknowledgement reaching the patient is logged when the
    // doctor next says what it holds.
    let r = doctor.json(&["sync", &ticket]);
    assert!(r["received"].as_u64().is_some(), "{r}");
    assert_eq!(stored(&doctor), documents);
    assert_eq!(logged_as_received(&alice), documents);
    let audit = alice.work.join("audit.json");
    alice.ok(&["audit", "export", "--out", audit.to_str().unwrap()]);
    assert_eq!(
        Carnet::empty().json(&["audit", "verify", audit.to_str().unwrap()])["ok"],
        true
    );
}
