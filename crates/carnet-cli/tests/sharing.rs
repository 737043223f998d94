//! Contacts, grants, revocation, blocking, the access log and the auditor's verification,
//! through the binary.

mod common;

use common::Carnet;

#[test]
fn grant_revoke_block_log_and_audit() {
    let alice = Carnet::patient();
    let doctor = Carnet::empty();
    doctor.ok(&[
        "init",
        "--name",
        "Dr Martin",
        "--role",
        "clinician",
        "--kdf-cost",
        "10",
    ]);
    let nurse = Carnet::empty();
    nurse.ok(&[
        "init",
        "--name",
        "Nurse Joy",
        "--role",
        "clinician",
        "--kdf-cost",
        "10",
    ]);

    // Contacts: an altered card is refused, a good one added, a duplicate refused.
    let card = doctor.card();
    let mut altered = card.clone();
    let pos = altered.len() / 2;
    let ch = if altered.as_bytes()[pos] == b'A' {
        "B"
    } else {
        "A"
    };
    altered.replace_range(pos..pos + 1, ch);
    let err = alice.fails(&["contact", "add", "Dr Martin", &altered]);
    assert!(
        err.contains("altered") || err.contains("not a Carnet identity card"),
        "{err}"
    );
    alice.json(&["contact", "add", "Dr Martin", &card]);
    let err = alice.fails(&["contact", "add", "dr martin", &nurse.card()]);
    assert!(err.contains("already exists"), "{err}");
    alice.json(&["contact", "add", "Nurse", &nurse.card()]);
    let contacts = alice.json(&["contact", "list"]);
    assert_eq!(contacts.as_array().unwrap().len(), 2);

    // Grants.
    let g = alice.json(&[
        "grant",
        "Dr Martin",
        "--sections",
        "allergies,conditions,medications",
        "--access",
        "read",
        "--purpose",
        "GP follow-up",
    ]);
    let gid = g["grant_id"].as_str().unwrap().to_string();
    alice.grant("Dr Martin", "notes", "write", "notes");
    alice.json(&[
        "grant",
        "Nurse",
        "--sections",
        "allergies",
        "--access",
        "read",
        "--purpose",
        "vaccination",
        "--until",
        "2999-12-31",
    ]);
    let err = alice.fails(&[
        "grant",
        "Nobody",
        "--sections",
        "notes",
        "--access",
        "read",
        "--purpose",
        "x",
    ]);
    assert!(err.contains("no contact"), "{err}");
    let err = alice.fails(&[
        "grant",
        "Nurse",
        "--sections",
        "notes",
        "--access",
        "read",
        "--purpose",
        "x",
        "--until",
        "2001-01-01",
    ]);
    assert!(err.contains("past"), "{err}");
    let grants = alice.json(&["grants"]);
    assert_eq!(grants.as_array().unwrap().len(), 3);
    assert!(
        grants
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["active"] == true)
    );

    // Revoke, then block.
    alice.json(&["revoke", &gid]);
    let err = alice.fails(&["revoke", &gid]);
    assert!(err.contains("already revoked"), "{err}");
    alice.json(&["block", "Nurse"]);
    let grants = alice.json(&["grants"]);
    let active: Vec<_> = grants
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["active"] == true)
        .collect();
    assert_eq!(active.len(), 1, "only the write grant on notes remains");

    // The access log, in plain words.
    let log = alice.ok(&["log"]);
    for words in [
        "You gave Dr Martin read access to allergies, conditions, medications",
        "You revoked grant",
        "You blocked Nurse",
        "The key to allergies (epoch 0) was sealed for Dr Martin",
        "was changed",
    ] {
        assert!(log.contains(words), "missing \"{words}\" in:\n{log}");
    }

    // The auditor: export, verify without a vault, detect tampering.
    alice.json(&["audit", "export", "--out", "audit1.json"]);
    let path = alice.work.join("audit1.json");
    let exported = std::fs::read_to_string(&path).unwrap();
    for secret in ["GP follow-up", "allergies", "medications", "vaccination"] {
        assert!(
            !exported.contains(secret),
            "{secret} is in the audit export"
        );
    }
    let auditor = Carnet::empty();
    let report = auditor.json(&["audit", "verify", path.to_str().unwrap()]);
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["entries"].as_u64().unwrap() > 10);
    assert!(!auditor.vault.exists(), "verification needs no vault");

    // Later: the log grows, and the new export extends the old checkpoint.
    alice.grant("Dr Martin", "measurements", "read", "BP");
    alice.json(&["audit", "export", "--out", "audit2.json"]);
    let path2 = alice.work.join("audit2.json");
    let report = auditor.json(&[
        "audit",
        "verify",
        path2.to_str().unwrap(),
        "--since-checkpoint",
        path.to_str().unwrap(),
    ]);
    assert_eq!(report["ok"], true, "{report}");

    // Tampering: remove one entry.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path2).unwrap()).unwrap();
    v["entries"].as_array_mut().unwrap().remove(4);
    let bad = auditor.work.join("bad.json");
    std::fs::write(&bad, v.to_string()).unwrap();
    let out = auditor.run(&["--json", "audit", "verify", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert!(
        report["first_error"].as_str().unwrap().contains("entry 4"),
        "{report}"
    );
    let err = auditor.fails(&["audit", "verify", bad.to_str().unwrap()]);
    assert!(err.contains("entry 4"), "{err}");
    let err = auditor.fails(&["audit", "verify", "/no/such/file"]);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn a_clinician_cannot_grant_what_they_do_not_own() {
    let doctor = Carnet::empty();
    doctor.ok(&[
        "init",
        "--name",
        "Dr",
        "--role",
        "clinician",
        "--kdf-cost",
        "10",
    ]);
    let alice = Carnet::patient();
    doctor.json(&["contact", "add", "Alice", &alice.card()]);
    let err = doctor.fails(&[
        "grant",
        "Alice",
        "--sections",
        "notes",
        "--access",
        "read",
        "--purpose",
        "x",
    ]);
    assert!(err.contains("no record of their own"), "{err}");
    let err = alice.fails(&["contact", "add", "Me", &alice.card()]);
    assert!(err.contains("own card"), "{err}");
}
