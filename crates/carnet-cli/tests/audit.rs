//! The auditor's trust root, through the binary: `audit verify --patient ID` refuses a log
//! of anyone else, says whose log and which root it checked, catches a log cut back below
//! what the auditor saw before, and refuses files it should not read.

mod common;

use std::path::{Path, PathBuf};

use carnet::crypto::{PersonId, RecordId};
use common::Carnet;

fn id_of(c: &Carnet) -> String {
    c.json(&["whoami"])["id"].as_str().unwrap().to_string()
}

fn export(c: &Carnet, name: &str) -> PathBuf {
    let path = c.work.join(name);
    c.ok(&["audit", "export", "--out", path.to_str().unwrap()]);
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `carnet --json audit verify ARGS` expecting failure; returns the JSON report it
/// printed and its stderr.
fn verify_fails(auditor: &Carnet, args: &[&str]) -> (serde_json::Value, String) {
    let mut all = vec!["--json", "audit", "verify"];
    all.extend_from_slice(args);
    let out = auditor.run(&all);
    assert!(!out.status.success(), "verify {args:?} passed");
    let report = serde_json::from_slice(&out.stdout).unwrap();
    (report, String::from_utf8(out.stderr).unwrap())
}

#[test]
fn a_log_signed_by_another_key_under_the_patients_name_is_refused_for_that_patient() {
    let alice = Carnet::patient();
    let alice_id = id_of(&alice);
    // Mallory makes a key of her own and a card bearing Alice's name.
    let mallory = Carnet::empty();
    mallory.ok(&["init", "--name", "Alice Test", "--kdf-cost", "10"]);
    let mallory_id = id_of(&mallory);
    let forged = export(&mallory, "forged.json");
    let auditor = Carnet::empty();

    // What worked before: without a trust root it verifies, and the output says plainly
    // that only self-consistency was checked.
    let r = auditor.json(&["audit", "verify", s(&forged)]);
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["trust_root"].is_null(), "{r}");
    assert!(
        r["warning"].as_str().unwrap().contains("not whose it is"),
        "{r}"
    );
    let out = auditor.run(&["audit", "verify", s(&forged)]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("OK, self-consistent only"), "{text}");
    let warning = String::from_utf8(out.stderr).unwrap();
    assert!(
        warning.starts_with("warning: no --patient given") && warning.contains("\"Alice Test\""),
        "{warning}"
    );

    // With Alice's id as the trust root it is refused, naming whose log it is.
    let err = auditor.fails(&["audit", "verify", s(&forged), "--patient", &alice_id]);
    assert!(
        err.contains(&format!(
            "this is the consent log of person {mallory_id} (whose card says \"Alice Test\"), not of {alice_id}"
        )),
        "{err}"
    );
    let (r, _) = verify_fails(&auditor, &[s(&forged), "--patient", &alice_id]);
    assert_eq!(r["ok"], false);
    assert_eq!(r["person"]["id"], mallory_id.as_str(), "{r}");
    assert_eq!(r["trust_root"]["patient"], alice_id.as_str(), "{r}");
    assert!(r["size"].is_null() && r["root"].is_null(), "{r}");
    assert!(
        r["first_error"].as_str().unwrap().contains(&mallory_id),
        "{r}"
    );

    // Alice's own log passes with her id; a malformed id is refused before anything else.
    let genuine = export(&alice, "alice.json");
    let r = auditor.json(&["audit", "verify", s(&genuine), "--patient", &alice_id]);
    assert_eq!(r["ok"], true, "{r}");
    let err = auditor.fails(&["audit", "verify", s(&genuine), "--patient", &alice_id[..8]]);
    assert!(err.contains("is not a person id"), "{err}");
    assert!(!auditor.vault.exists(), "verification needs no vault");
}

#[test]
fn verify_says_which_record_whose_log_its_size_and_root() {
    let alice = Carnet::patient();
    let alice_id = id_of(&alice);
    let doctor = Carnet::clinician("Dr Martin");
    alice.ok(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.grant("Dr Martin", "allergies", "read", "GP");
    let path = export(&alice, "audit.json");
    let auditor = Carnet::empty();
    let r = auditor.json(&["audit", "verify", s(&path), "--patient", &alice_id]);
    // The fields CLI.md requires, and the new ones.
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["first_error"].is_null(), "{r}");
    let entries = r["entries"].as_u64().unwrap();
    assert!(entries >= 3, "{r}");
    let record = RecordId::of_patient(&alice_id.parse::<PersonId>().unwrap()).to_string();
    assert_eq!(r["record"], record.as_str(), "{r}");
    assert_eq!(r["person"]["id"], alice_id.as_str(), "{r}");
    assert_eq!(r["person"]["name"], "Alice Test", "{r}");
    assert_eq!(r["size"].as_u64(), Some(entries), "{r}");
    assert_eq!(r["trust_root"]["patient"], alice_id.as_str(), "{r}");
    assert!(r["warning"].is_null(), "{r}");
    // The root is the one the newest checkpoint signs (C2SP: origin, size, root).
    let note = r["checkpoint"].as_str().unwrap();
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], format!("carnet-consent/{record}"));
    assert_eq!(lines[1], entries.to_string());
    assert_eq!(r["root"], lines[2], "{r}");

    // The text says the same.
    let text = auditor.ok(&["audit", "verify", s(&path), "--patient", &alice_id]);
    for needle in [
        format!(
            "OK: the consent log of Alice Test (person {alice_id}, the patient you named), record {record}."
        ),
        format!("{entries} entries"),
        format!("Newest checkpoint: {entries} entries, root {}.", lines[2]),
    ] {
        assert!(text.contains(&needle), "missing {needle:?} in:\n{text}");
    }
}

/// The export at `from`, cut back to its first `size` entries and the checkpoints that
/// cover no more: every entry and signature in it genuine.
fn cut_back(from: &Path, size: usize, to: &Path) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(from).unwrap()).unwrap();
    v["entries"].as_array_mut().unwrap().truncate(size);
    v["checkpoints"].as_array_mut().unwrap().retain(|cp| {
        let covers: usize = cp
            .as_str()
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        covers <= size
    });
    std::fs::write(to, v.to_string()).unwrap();
}

#[test]
fn an_export_cut_back_to_an_earlier_checkpoint_fails_against_what_the_auditor_kept() {
    let alice = Carnet::patient();
    let alice_id = id_of(&alice);
    let doctor = Carnet::clinician("Dr Martin");
    alice.ok(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.grant("Dr Martin", "allergies", "read", "GP");
    let first = export(&alice, "audit1.json");
    let auditor = Carnet::empty();
    // The auditor saves the output of the first verify.
    let r1 = auditor.json(&["audit", "verify", s(&first), "--patient", &alice_id]);
    let old_size = r1["size"].as_u64().unwrap();
    let saved = auditor.work.join("verified1.json");
    std::fs::write(&saved, r1.to_string()).unwrap();

    // The log grows (a grant the patient might like to hide), and the auditor sees it.
    alice.grant("Dr Martin", "notes", "write", "second opinion");
    let second = export(&alice, "audit2.json");
    let r2 = auditor.json(&[
        "audit",
        "verify",
        s(&second),
        "--patient",
        &alice_id,
        "--since-checkpoint",
        s(&saved),
    ]);
    assert_eq!(r2["ok"], true, "{r2}");
    assert_eq!(r2["since_checkpoint_size"].as_u64(), Some(old_size), "{r2}");
    let new_size = r2["size"].as_u64().unwrap();
    assert!(new_size > old_size);
    let saved2 = auditor.work.join("verified2.json");
    std::fs::write(&saved2, r2.to_string()).unwrap();

    // Later someone hands over the second export cut back to the first checkpoint: on its
    // own it verifies, even for the right patient.
    let cut = auditor.work.join("cut.json");
    cut_back(&second, old_size as usize, &cut);
    let r = auditor.json(&["audit", "verify", s(&cut), "--patient", &alice_id]);
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["size"].as_u64(), Some(old_size));

    // Against what the auditor kept, it fails as cut back: the size they pinned, the
    // newer export, or their saved verify output.
    let pinned = new_size.to_string();
    let want = format!("holds {old_size} entries, fewer than the {new_size}");
    for args in [
        vec!["--min-size", pinned.as_str()],
        vec!["--since-checkpoint", s(&second)],
        vec!["--since-checkpoint", s(&saved2)],
    ] {
        let mut all = vec![s(&cut), "--patient", alice_id.as_str()];
        all.extend(args.iter().copied());
        let (r, err) = verify_fails(&auditor, &all);
        let first_error = r["first_error"].as_str().unwrap();
        assert!(
            first_error.contains(&want) && first_error.contains("cut back"),
            "{args:?}: {r}"
        );
        assert!(err.contains("cut back"), "{err}");
    }
    // A pinned size the log reaches passes, and the text says so.
    let text = auditor.ok(&[
        "audit",
        "verify",
        s(&second),
        "--min-size",
        &pinned,
        "--patient",
        &alice_id,
    ]);
    assert!(
        text.contains(&format!(
            "It holds at least the {new_size} entries you pinned."
        )),
        "{text}"
    );
    // A saved output of a verify that failed holds no checkpoint to extend.
    let (failed, _) = verify_fails(&auditor, &[s(&cut), "--min-size", &pinned]);
    let failed_path = auditor.work.join("failed.json");
    std::fs::write(&failed_path, failed.to_string()).unwrap();
    let err = auditor.fails(&[
        "audit",
        "verify",
        s(&second),
        "--since-checkpoint",
        s(&failed_path),
    ]);
    assert!(err.contains("holds no checkpoint"), "{err}");
}

#[test]
fn oversized_and_non_regular_files_are_refused_unread() {
    let alice = Carnet::patient();
    let genuine = export(&alice, "audit.json");
    let auditor = Carnet::empty();
    // One byte over the limit (a sparse file: nothing is written to disk).
    let big = auditor.work.join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(carnet::consent::MAX_EXPORT_BYTES as u64 + 1)
        .unwrap();
    drop(f);
    let err = auditor.fails(&["audit", "verify", s(&big)]);
    assert!(
        err.contains(&format!(
            "is {} bytes, over the 64 MiB limit for the audit export; it was refused unread",
            carnet::consent::MAX_EXPORT_BYTES + 1
        )),
        "{err}"
    );
    let err = auditor.fails(&[
        "audit",
        "verify",
        s(&genuine),
        "--since-checkpoint",
        s(&big),
    ]);
    assert!(err.contains("refused unread"), "{err}");
    // A directory and a device are not files.
    for odd in [auditor.work.as_path(), Path::new("/dev/null")] {
        let err = auditor.fails(&["audit", "verify", s(odd)]);
        assert!(err.contains("is not a regular file"), "{err}");
        let err = auditor.fails(&["audit", "verify", s(&genuine), "--since-checkpoint", s(odd)]);
        assert!(err.contains("is not a regular file"), "{err}");
    }
    // At the limit, a file is read (and this one is not an export).
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(carnet::consent::MAX_EXPORT_BYTES as u64).unwrap();
    drop(f);
    let err = auditor.fails(&["audit", "verify", s(&big)]);
    assert!(err.contains("audit export is malformed"), "{err}");
}

/// Sends a bundle from `from` to `to` (contact name `to_name` on `from`'s side).
fn bundle(from: &Carnet, to_name: &str, to: &Carnet, name: &str) {
    let path = from.work.join(name);
    from.ok(&["share", "export", "--to", to_name, "--out", s(&path)]);
    to.ok(&["share", "import", s(&path)]);
}

#[test]
fn a_witness_cosignature_catches_an_older_export_and_is_reported() {
    let alice = Carnet::patient();
    let alice_id = id_of(&alice);
    let doctor = Carnet::clinician("Dr Martin");
    alice.ok(&["contact", "add", "Dr Martin", &doctor.card()]);
    doctor.ok(&["contact", "add", "Alice", &alice.card()]);
    alice.grant("Dr Martin", "allergies", "read", "GP");
    bundle(&alice, "Dr Martin", &doctor, "b1.bundle");
    let old = export(&alice, "old.json");
    // The log grows (a second grant), and the doctor receives its checkpoint.
    alice.grant("Dr Martin", "notes", "read", "GP");
    bundle(&alice, "Dr Martin", &doctor, "b2.bundle");
    // The doctor's bundle back carries its cosignature of what it received.
    bundle(&doctor, "Alice", &alice, "back.bundle");
    let current = export(&alice, "current.json");
    let auditor = Carnet::empty();
    let r = auditor.json(&["audit", "verify", s(&current), "--patient", &alice_id]);
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["witnesses"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["witnesses"][0]["name"], "Dr Martin", "{r}");
    let text = auditor.ok(&["audit", "verify", s(&current), "--patient", &alice_id]);
    assert!(text.contains("Witness Dr Martin"), "{text}");

    // The doctor writes what it cosigned; the older export fails against it.
    let witness = doctor.work.join("witness.json");
    doctor.ok(&[
        "audit",
        "witness",
        "--patient",
        "Alice",
        "--out",
        s(&witness),
    ]);
    let r = auditor.json(&["audit", "verify", s(&old), "--patient", &alice_id]);
    assert_eq!(
        r["ok"], true,
        "alone, the older export is self-consistent: {r}"
    );
    assert!(
        r["witness_warning"]
            .as_str()
            .unwrap()
            .contains("no witness"),
        "{r}"
    );
    let (r, err) = verify_fails(
        &auditor,
        &[s(&old), "--patient", &alice_id, "--cosigned", s(&witness)],
    );
    assert_eq!(r["ok"], false);
    assert!(err.contains("cut back"), "{err}");
    // A file that is not a cosignature is refused with a clear message.
    let (_, err) = {
        let out = auditor.run(&["audit", "verify", s(&current), "--cosigned", s(&current)]);
        assert!(!out.status.success());
        (out.stdout, String::from_utf8(out.stderr).unwrap())
    };
    assert!(err.contains("not a cosigned checkpoint"), "{err}");
    // Someone with no checkpoint of Alice's has nothing to write.
    let stranger = Carnet::clinician("Dr Nobody");
    stranger.ok(&["contact", "add", "Alice", &alice.card()]);
    let err = stranger.fails(&["audit", "witness", "--patient", "Alice"]);
    assert!(!err.is_empty());
}
