//! Never lose the record: backups opened by the recovery phrase or by k of n shares, a
//! second device linked over iroh, a lost device removed, through the binary on real
//! vaults and real loopback endpoints.

mod common;

use std::path::{Path, PathBuf};

use common::{Carnet, Running};

/// A patient vault, and the recovery phrase its `init` showed once.
fn patient_with_phrase() -> (Carnet, String) {
    let c = Carnet::empty();
    let v = c.json(&["init", "--name", "Alice Test", "--kdf-cost", "10"]);
    let phrase = v["recovery_phrase"].as_str().unwrap().to_string();
    assert_eq!(phrase.split(' ').count(), 24);
    (c, phrase)
}

fn path(c: &Carnet, name: &str) -> String {
    c.work.join(name).to_string_lossy().into_owned()
}

/// Everything directly under the directory that holds `c`'s vault (a restore must leave
/// nothing behind when it fails, not even a hidden temporary).
fn siblings(c: &Carnet) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(c.vault.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn restore(
    target: &Carnet,
    backup: &str,
    phrase: Option<&str>,
    shares: &[String],
) -> std::process::Output {
    let mut cmd = target.command();
    cmd.args(["--json", "restore", backup, "--kdf-cost", "10"]);
    for s in shares {
        cmd.args(["--share", s]);
    }
    match phrase {
        Some(p) => {
            cmd.env("CARNET_RECOVERY_PHRASE", p);
        }
        None => {
            cmd.env_remove("CARNET_RECOVERY_PHRASE");
        }
    }
    cmd.output().unwrap()
}

fn entries(c: &Carnet) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = c
        .json(&["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_string(), e.to_string()))
        .collect();
    v.sort();
    v
}

fn log_texts(c: &Carnet) -> Vec<String> {
    c.json(&["log"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] != "refused")
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_backup_restores_the_same_record_and_log_and_refuses_everything_else() {
    let (alice, phrase) = patient_with_phrase();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    alice.ok(&["add", "note", "--text", "diary"]);
    std::fs::write(alice.work.join("scan.pdf"), b"%PDF-1.4 lab results").unwrap();
    alice.ok(&["attach", "scan.pdf", "--type", "report"]);
    alice.grant("Dr Martin", "allergies", "read", "GP");
    let file = path(&alice, "alice.backup");
    let b = alice.json(&["backup", "--out", &file]);
    assert!(b["envelopes"].as_u64().unwrap() >= 3, "{b}");
    assert_eq!(b["attachments"], 1);
    let err = alice.fails(&["backup", "--out", &file]);
    assert!(err.contains("already exists"), "{err}");
    // The phrase the user wrote down checks against the vault; another does not.
    let out = alice
        .command()
        .args(["recovery", "verify"])
        .env("CARNET_RECOVERY_PHRASE", &phrase)
        .output()
        .unwrap();
    assert!(out.status.success());

    // A wrong phrase, a mistyped one, a truncated or altered file: refused, nothing written.
    let target = Carnet::empty();
    let before = siblings(&target);
    let (_, other_phrase) = patient_with_phrase();
    let out = restore(&target, &file, Some(&other_phrase), &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not open this backup"));
    let mut words: Vec<&str> = phrase.split(' ').collect();
    words.swap(3, 7);
    let out = restore(&target, &file, Some(&words.join(" ")), &[]);
    assert!(!out.status.success());
    let bytes = std::fs::read(&file).unwrap();
    let cut = path(&target, "cut.backup");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let out = restore(&target, &cut, Some(&phrase), &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("damaged")
            || String::from_utf8_lossy(&out.stderr).contains("truncated")
    );
    let mut altered = bytes.clone();
    let i = altered.len() / 2;
    altered[i] ^= 0x40;
    let alt = path(&target, "altered.backup");
    std::fs::write(&alt, &altered).unwrap();
    let out = restore(&target, &alt, Some(&phrase), &[]);
    assert!(!out.status.success());
    assert_eq!(
        siblings(&target),
        before,
        "a failed restore left something behind"
    );
    assert!(!target.vault.exists());

    // The right phrase: the same record, the same consent log, a vault that verifies.
    let out = restore(&target, &file, Some(&phrase), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(entries(&target), entries(&alice));
    let restored_log = log_texts(&target);
    let original_log = log_texts(&alice);
    assert_eq!(&restored_log[..original_log.len()], &original_log[..]);
    // The restore took the record over: its first new entry says so, the old device is
    // cut off, and every section moved to a new key.
    let added = &restored_log[original_log.len()..];
    assert!(added[0].contains("restored on a new device"), "{added:?}");
    assert!(
        added.iter().any(|l| l.contains("You removed a device")),
        "{added:?}"
    );
    assert!(added.iter().any(|l| l.contains("The key of")), "{added:?}");
    let docs = target.json(&["list", "--section", "documents"]);
    let id = docs[0]["id"].as_str().unwrap().to_string();
    let copy = path(&target, "copy.pdf");
    target.ok(&["get-attachment", &id, "--out", &copy]);
    assert_eq!(std::fs::read(&copy).unwrap(), b"%PDF-1.4 lab results");
    assert_eq!(target.json(&["grants"]).as_array().unwrap().len(), 1);
    let audit = path(&target, "audit.json");
    target.ok(&["audit", "export", "--out", &audit]);
    assert_eq!(
        Carnet::empty().json(&["audit", "verify", &audit])["ok"],
        true
    );
    // Restoring over an existing vault is refused.
    let out = restore(&target, &file, Some(&phrase), &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[test]
fn any_k_recovery_shares_restore_and_fewer_are_refused() {
    let (alice, phrase) = patient_with_phrase();
    let holders = [
        Carnet::clinician("Dr Martin"),
        Carnet::clinician("Paul"),
        Carnet::clinician("Nurse Joy"),
    ];
    for (h, name) in holders.iter().zip(["Dr Martin", "Paul", "Nurse Joy"]) {
        alice.json(&["contact", "add", name, &h.card()]);
    }
    alice.ok(&["add", "condition", "--name", "Asthma"]);
    let file = path(&alice, "alice.backup");
    alice.json(&["backup", "--out", &file]);
    let dir = alice.work.join("shares");
    std::fs::create_dir(&dir).unwrap();
    let out = alice
        .command()
        .args([
            "--json",
            "recovery",
            "split",
            "--threshold",
            "2",
            "--to",
            "Dr Martin",
            "--to",
            "Paul",
            "--to",
            "Nurse Joy",
            "--out",
            dir.to_str().unwrap(),
        ])
        .env("CARNET_RECOVERY_PHRASE", &phrase)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<String> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 3);
    // Each holder opens only their own share.
    let err = holders[1].fails(&["recovery", "release", &files[0]]);
    assert!(err.contains("not addressed to you"), "{err}");
    let released: Vec<String> = holders
        .iter()
        .zip(&files)
        .map(|(h, f)| {
            let r = h.json(&["recovery", "release", f]);
            assert_eq!(r["name"], "Alice Test");
            r["share"].as_str().unwrap().to_string()
        })
        .collect();

    // k - 1 shares: refused, nothing written.
    let target = Carnet::empty();
    let before = siblings(&target);
    let out = restore(&target, &file, None, &released[..1]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 are needed"), "{err}");
    assert_eq!(siblings(&target), before);
    // A mistyped share.
    let mut typo = released[1].clone();
    typo.pop();
    typo.push(if released[1].ends_with('a') { 'b' } else { 'a' });
    let out = restore(&target, &file, None, &[released[0].clone(), typo]);
    assert!(!out.status.success());
    assert_eq!(siblings(&target), before);
    // Any k shares: the record.
    let out = restore(
        &target,
        &file,
        None,
        &[released[2].clone(), released[0].clone()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(target.ok(&["list"]).contains("Asthma"));
}

/// A child running `carnet serve`, stopped when dropped.
struct Server {
    _run: Running,
    ticket: String,
}

impl Server {
    fn start(c: &Carnet) -> Server {
        let run = c.start(&["serve"], &[]);
        let ticket = run.first["ticket"].as_str().unwrap().to_string();
        Server { _run: run, ticket }
    }
}

/// Links a new device (an empty `Carnet`) to `existing`.
fn link(existing: &Carnet, new: &Carnet) {
    let mut offer = existing.start(&["device", "link"], &[]);
    let code = offer.first["code"].as_str().unwrap().to_string();
    let joined = new.json(&["device", "link", &code, "--kdf-cost", "10"]);
    assert_eq!(joined["name"], "Alice Test");
    assert!(offer.wait().success());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn a_second_device_is_linked_both_edit_offline_and_they_converge() {
    let (alice, _) = patient_with_phrase();
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    let phone = Carnet::empty();
    link(&alice, &phone);
    assert!(phone.ok(&["list"]).contains("Penicillin"));
    let devices = alice.json(&["device", "list"]);
    assert_eq!(devices.as_array().unwrap().len(), 2);

    // A wrong or reused code is refused.
    let err = Carnet::empty().fails(&["device", "link", "carnet-link1:abc"]);
    assert!(
        err.contains("link code") || err.contains("Carnet ticket"),
        "{err}"
    );

    // Both edit offline, then meet.
    alice.ok(&["add", "note", "--text", "on the laptop"]);
    phone.ok(&["add", "note", "--text", "on the phone"]);
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.grant("Dr Martin", "notes", "read", "care");
    let server = Server::start(&alice);
    let r = phone.json(&["sync", &server.ticket]);
    assert_eq!(
        (r["sent"].as_u64(), r["received"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(entries(&alice), entries(&phone));
    // The state kept by the primary reached the phone; the phone does not make grants.
    assert_eq!(phone.json(&["grants"]).as_array().unwrap().len(), 1);
    let err = phone.fails(&[
        "grant",
        "Dr Martin",
        "--sections",
        "allergies",
        "--access",
        "read",
        "--purpose",
        "x",
    ]);
    assert!(err.contains("primary device"), "{err}");
    let err = phone.fails(&["contact", "add", "Someone", &doctor.card()]);
    assert!(err.contains("primary device"), "{err}");
    let out_path = path(&phone, "from-phone.bundle");
    let err = phone.fails(&["share", "export", "--to", "Dr Martin", "--out", &out_path]);
    assert!(err.contains("primary device"), "{err}");
    let phone_server = Server::start(&phone);
    let err = doctor.fails(&["sync", &phone_server.ticket]);
    assert!(err.contains("primary device"), "{err}");
    drop(phone_server);

    // Removed: the phone gets nothing new, and its attempt is logged.
    let phone_id = phone.json(&["whoami"])["device"]
        .as_str()
        .unwrap()
        .to_string();
    alice.json(&["device", "remove", &phone_id[..8]]);
    alice.ok(&["add", "note", "--text", "after the removal"]);
    let before = phone.state();
    let err = phone.fails(&["sync", &server.ticket]);
    assert!(err.contains("removed"), "{err}");
    assert_eq!(phone.state(), before);
    assert!(!phone.ok(&["list"]).contains("after the removal"));
    assert!(alice.ok(&["log"]).contains("You removed a device"));
}

#[test]
fn a_lost_device_is_replaced_from_a_backup_and_gets_nothing_new() {
    let (alice, phrase) = patient_with_phrase();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    alice.ok(&["add", "medication", "--name", "Metformin"]);
    alice.json(&[
        "grant",
        "Dr Martin",
        "--sections",
        "allergies,medications",
        "--access",
        "read",
        "--purpose",
        "GP",
    ]);
    {
        let server = Server::start(&alice);
        doctor.json(&["sync", &server.ticket]);
    }
    let file = path(&alice, "alice.backup");
    alice.json(&["backup", "--out", &file]);
    let old_id = alice.json(&["whoami"])["device"]
        .as_str()
        .unwrap()
        .to_string();
    // The phone is lost: someone else has it now (a copy), and Alice has nothing.
    let lost = Carnet::empty();
    copy_dir(&alice.vault, &lost.vault);
    std::fs::remove_dir_all(&alice.vault).unwrap();

    // A new phone, restored from the backup with the phrase.
    let new_phone = Carnet::empty();
    let out = restore(&new_phone, &file, Some(&phrase), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The restore cut the old phone off already (it took the record over).
    let devices = new_phone.json(&["device", "list"]).to_string();
    assert!(devices.contains(&old_id[..8]), "{devices}");
    let out = new_phone.run(&["device", "remove", &old_id[..8]]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already removed"));
    new_phone.ok(&["add", "allergy", "--substance", "Latex"]);

    // The clinician syncs with the new phone: the same record, and the new allergy.
    let server = Server::start(&new_phone);
    let r = doctor.json(&["sync", &server.ticket]);
    assert!(r["received"].as_u64().unwrap() >= 1, "{r}");
    let seen = doctor.json(&["list", "--patient", "Alice"]).to_string();
    assert!(seen.contains("Penicillin") && seen.contains("Metformin") && seen.contains("Latex"));

    // The lost phone gets nothing new: neither from the new phone nor from the clinician.
    let err = lost.fails(&["sync", &server.ticket]);
    assert!(err.contains("removed"), "{err}");
    drop(server);
    let lost_server = Server::start(&lost);
    let before = doctor.state();
    let err = doctor.fails(&["sync", &lost_server.ticket]);
    assert!(err.contains("removed"), "{err}");
    assert_eq!(
        doctor.state(),
        before,
        "nothing from the removed device was taken"
    );
    assert!(!lost.ok(&["list"]).contains("Latex"));
}

#[test]
fn a_link_that_fails_half_way_leaves_no_phantom_device() {
    let (alice, _) = patient_with_phrase();
    // Enough to send that the new device is still receiving when it is killed.
    let big: Vec<u8> = (0..24u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let scan = alice.work.join("big.bin");
    std::fs::write(&scan, big).unwrap();
    alice.ok(&["attach", scan.to_str().unwrap(), "--title", "big scan"]);
    let log_before = alice.json(&["log"]).as_array().unwrap().len();
    for delay_ms in [0, 150] {
        // A short timeout: the killed device never says goodbye.
        let mut offer = alice.start(&["device", "link"], &[("CARNET_SYNC_TIMEOUT", "2")]);
        let code = offer.first["code"].as_str().unwrap().to_string();
        let phone = Carnet::empty();
        let mut joining = phone
            .command()
            .args(["device", "link", &code, "--kdf-cost", "10"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Killed once the vault is arriving (its rebuild has begun beside the target).
        let parent = phone.vault.parent().unwrap().to_path_buf();
        let started = std::time::Instant::now();
        while !std::fs::read_dir(&parent).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".vault.")
        }) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "the new device never started receiving"
            );
            assert!(
                joining.try_wait().unwrap().is_none(),
                "the link ended early"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = joining.kill();
        let _ = joining.wait();
        // The existing device gives up, and registers nobody.
        assert!(!offer.wait().success(), "the link cannot have succeeded");
        assert_eq!(alice.json(&["device", "list"]).as_array().unwrap().len(), 1);
        assert_eq!(
            alice.json(&["log"]).as_array().unwrap().len(),
            log_before,
            "no \"device joined\" entry"
        );
        assert!(
            !phone.vault.join("key.age").exists(),
            "no vault where the new device's would be"
        );
    }
    // A link left alone still works afterwards.
    let phone = Carnet::empty();
    link(&alice, &phone);
    assert_eq!(alice.json(&["device", "list"]).as_array().unwrap().len(), 2);
}

/// The case 5 through the binary: a backup older than what the doctor saw. The
/// restore is told the doctor's newest checkpoint and says it leaves those entries behind;
/// the doctor then follows the restored record (before: "the history was rewritten", for
/// ever) and `patients` shows both. A file that is not a checkpoint is refused first.
#[test]
fn a_restore_older_than_what_a_clinician_saw_forks_openly_and_the_clinician_follows() {
    let (alice, phrase) = patient_with_phrase();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    alice.json(&[
        "grant",
        "Dr Martin",
        "--sections",
        "allergies",
        "--access",
        "read",
        "--purpose",
        "GP",
    ]);
    let sync = |from: &Carnet| {
        let server = Server::start(from);
        doctor.json(&["sync", &server.ticket]);
    };
    sync(&alice);
    let file = path(&alice, "alice.backup");
    alice.json(&["backup", "--out", &file]);
    alice.ok(&["add", "allergy", "--substance", "Latex"]);
    sync(&alice);
    sync(&alice);
    let cp = path(&doctor, "alice.checkpoint");
    doctor.json(&["audit", "witness", "--patient", "Alice", "--out", &cp]);

    let target = Carnet::empty();
    let before = siblings(&target);
    let junk = path(&doctor, "junk.txt");
    std::fs::write(&junk, "not a checkpoint").unwrap();
    let mut cmd = target.command();
    cmd.env("CARNET_RECOVERY_PHRASE", &phrase).args([
        "--json",
        "restore",
        &file,
        "--kdf-cost",
        "10",
        "--checkpoint",
        &junk,
    ]);
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a checkpoint"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(siblings(&target), before);

    let mut cmd = target.command();
    cmd.env("CARNET_RECOVERY_PHRASE", &phrase).args([
        "--json",
        "restore",
        &file,
        "--kdf-cost",
        "10",
        "--checkpoint",
        &cp,
    ]);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &s["takeover"];
    assert!(
        t["forked"]["size"].as_u64().unwrap() > t["index"].as_u64().unwrap(),
        "{s}"
    );
    assert!(log_texts(&target).iter().any(|l| l.contains("left behind")));

    // The doctor meets the restored record: it follows it, and shows what it had seen.
    sync(&target);
    let p = doctor.json(&["patients"]);
    let superseded = p[0]["superseded"].as_array().unwrap();
    assert_eq!(superseded.len(), 1, "{p}");
    assert_eq!(superseded[0]["from"], t["index"]);
    let shown = doctor.ok(&["patients"]);
    assert!(
        shown.contains("restored with their recovery phrase"),
        "{shown}"
    );
    let seen = doctor.json(&["list", "--patient", "Alice"]).to_string();
    assert!(seen.contains("Penicillin"), "{seen}");
}

/// `device rekey` with the recovery phrase: a wrong phrase changes nothing; the right one
/// makes this device a new one, retires the others and says so.
#[test]
fn rekey_cuts_every_other_device_off_with_the_phrase() {
    let (alice, phrase) = patient_with_phrase();
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    let before = alice.json(&["whoami"])["device"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong =
        Carnet::empty().json(&["init", "--name", "Other", "--kdf-cost", "10"])["recovery_phrase"]
            .as_str()
            .unwrap()
            .to_string();
    let log_before = log_texts(&alice);
    let mut cmd = alice.command();
    cmd.env("CARNET_RECOVERY_PHRASE", &wrong)
        .args(["--json", "device", "rekey"]);
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not the one your record declared"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(log_texts(&alice), log_before);

    let mut cmd = alice.command();
    cmd.env("CARNET_RECOVERY_PHRASE", &phrase)
        .args(["--json", "device", "rekey"]);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["devices_retired"], 1, "{s}");
    let after = alice.json(&["whoami"])["device"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(after, before);
    let devices = alice.json(&["device", "list"]);
    let old = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == before.as_str())
        .unwrap();
    assert!(old["removed"].is_u64(), "{devices}");
    // The record is as it was, and takes new entries.
    alice.ok(&["add", "allergy", "--substance", "Latex"]);
    let list = alice.json(&["list"]).to_string();
    assert!(list.contains("Penicillin") && list.contains("Latex"));
}
