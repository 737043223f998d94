//! Bad input: a clear message on stderr, a non-zero exit, and a vault left exactly as it
//! was.

mod common;

use common::Carnet;

fn check_message(args: &[&str], err: &str, expect: &[&str]) {
    let lower = err.to_lowercase();
    for e in expect {
        assert!(
            lower.contains(&e.to_lowercase()),
            "carnet {args:?}: expected \"{e}\" in: {err}"
        );
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.trim_start().starts_with("error:"),
        "carnet {args:?}: {err}"
    );
}

/// Runs a command that must fail before it opens the vault (bad input is refused first),
/// and checks the message and that no byte of the vault changed.
fn refused(c: &Carnet, args: &[&str], expect: &[&str]) {
    let before = c.files();
    let err = c.fails(args);
    check_message(args, &err, expect);
    assert_eq!(c.files(), before, "carnet {args:?} changed the vault");
}

/// Runs a command that can only fail once the vault is open (an unknown id), and checks
/// that no stored row changed.
fn refused_after_open(c: &Carnet, args: &[&str], expect: &[&str]) {
    let before = c.state();
    let err = c.fails(args);
    check_message(args, &err, expect);
    assert_eq!(c.state(), before, "carnet {args:?} changed the vault");
}

fn vault_with_entries() -> Carnet {
    let c = Carnet::patient();
    c.ok(&["add", "note", "--text", "keep me"]);
    c.ok(&["add", "allergy", "--substance", "Latex"]);
    c
}

#[test]
fn malformed_flags() {
    let c = vault_with_entries();
    refused(&c, &["add", "allergy"], &["--substance"]);
    refused(
        &c,
        &[
            "add",
            "allergy",
            "--substance",
            "X",
            "--criticality",
            "extreme",
        ],
        &["extreme", "criticality"],
    );
    refused(
        &c,
        &["add", "note", "--text", "x", "--colour", "red"],
        &["--colour"],
    );
    refused(
        &c,
        &["list", "--section", "kitchen"],
        &["kitchen", "allergies"],
    );
    refused(&c, &["show", "not-an-id!"], &["not-an-id!"]);
    refused_after_open(&c, &["show", "0123456789"], &["no entry"]);
    refused_after_open(
        &c,
        &["edit", "0123456789", "--set", "text=x"],
        &["no entry"],
    );
    refused_after_open(&c, &["remove", "0123456789"], &["no entry"]);
    refused_after_open(
        &c,
        &["get-attachment", "0123456789", "--out", "x.bin"],
        &["no entry"],
    );
    refused(&c, &["edit", "0123456789"], &["nothing to change"]);
    refused(
        &c,
        &["add", "condition", "--name", "X", "--code", "nocolon"],
        &["code"],
    );
    refused(&c, &["add", "condition", "--name", "   "], &["name"]);
}

#[test]
fn unknown_kinds() {
    let c = vault_with_entries();
    refused(&c, &["add", "pizza", "--text", "x"], &["pizza"]);
    refused(
        &c,
        &[
            "add",
            "measurement",
            "--kind",
            "mood",
            "--value",
            "5",
            "--unit",
            "1",
        ],
        &["mood"],
    );
    refused(&c, &["add", "none-known", "notes"], &["notes"]);
}

#[test]
fn dates_that_do_not_parse() {
    let c = vault_with_entries();
    refused(
        &c,
        &["add", "condition", "--name", "Flu", "--onset", "2023-02-30"],
        &["2023-02-30"],
    );
    refused(
        &c,
        &[
            "add",
            "immunization",
            "--vaccine",
            "BCG",
            "--date",
            "yesterday",
        ],
        &["yesterday"],
    );
    refused(
        &c,
        &[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "70",
            "--unit",
            "kg",
            "--at",
            "25:99",
        ],
        &["25:99"],
    );
    refused(
        &c,
        &[
            "add",
            "medication",
            "--name",
            "X",
            "--start",
            "2024-05-01",
            "--end",
            "2024-01-01",
        ],
        &["end"],
    );
}

#[test]
fn a_unit_that_does_not_fit_the_kind() {
    let c = vault_with_entries();
    refused(
        &c,
        &[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "70",
            "--unit",
            "mmHg",
        ],
        &["mmHg", "kg"],
    );
    refused(
        &c,
        &[
            "add",
            "measurement",
            "--kind",
            "heart-rate",
            "--value",
            "70",
            "--unit",
            "kg",
        ],
        &["kg"],
    );
    refused(
        &c,
        &[
            "add",
            "measurement",
            "--kind",
            "blood-pressure",
            "--value",
            "120",
            "--unit",
            "mmHg",
        ],
        &["120"],
    );
    refused(
        &c,
        &[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "-3",
            "--unit",
            "kg",
        ],
        &["-3"],
    );
    refused(
        &c,
        &[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "heavy",
            "--unit",
            "kg",
        ],
        &["heavy"],
    );
}

#[test]
fn a_missing_attachment_path() {
    let c = vault_with_entries();
    refused(&c, &["attach", "no-such-file.pdf"], &["no-such-file.pdf"]);
    refused(&c, &["attach", "."], &["not a regular file"]);
}

#[test]
fn a_wrong_passphrase() {
    let c = vault_with_entries();
    let before = c.files();
    let out = c
        .command()
        .env("CARNET_PASSPHRASE", "not the passphrase")
        .args(["add", "note", "--text", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert_eq!(c.files(), before);
}

#[test]
fn no_vault_yet() {
    let c = Carnet::empty();
    let err = c.fails(&["list"]);
    assert!(err.contains("carnet init"), "{err}");
    assert!(
        !c.vault.exists(),
        "a failed command must not create a vault"
    );
}

fn db_path(c: &Carnet) -> std::path::PathBuf {
    c.vault.join("carnet.redb")
}

#[test]
fn a_truncated_vault_file() {
    let c = vault_with_entries();
    let db = db_path(&c);
    let bytes = std::fs::read(&db).unwrap();
    for cut in [bytes.len() / 2, 4096, 100, 0] {
        std::fs::write(&db, &bytes[..cut]).unwrap();
        refused(&c, &["list"], &["vault"]);
        refused(&c, &["add", "note", "--text", "x"], &["vault"]);
    }
}

#[test]
fn a_corrupted_vault_file() {
    let c = vault_with_entries();
    let db = db_path(&c);
    let original = std::fs::read(&db).unwrap();
    let mut detected = 0;
    // Scribble over one region at a time; each run either refuses cleanly or, where the
    // bytes were unused, still shows the whole record.
    for start in (0..original.len()).step_by(original.len() / 16 + 1) {
        let mut bytes = original.clone();
        for b in bytes.iter_mut().skip(start).take(64) {
            *b ^= 0xA5;
        }
        std::fs::write(&db, &bytes).unwrap();
        let before = c.files();
        let out = c.run(&["--json", "list"]);
        if out.status.success() {
            let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                list.as_array().unwrap().len(),
                2,
                "damage at {start} silently lost entries"
            );
        } else {
            detected += 1;
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("damaged")
                    || err.contains("not genuine")
                    || err.contains("not a usable vault"),
                "{err}"
            );
            assert!(!err.contains("panicked"), "{err}");
            assert_eq!(c.files(), before);
        }
    }
    assert!(detected > 0);
    std::fs::write(&db, &original).unwrap();
    assert_eq!(c.json(&["list"]).as_array().unwrap().len(), 2);
}

#[test]
fn a_stored_envelope_with_one_flipped_bit() {
    let c = vault_with_entries();
    // Find the stored bytes of the note's envelope in the database file.
    let pass = carnet::crypto::secrecy::SecretString::from(common::PASS.to_string());
    let envelope = {
        let vault = carnet::Vault::open(&c.vault, &pass).unwrap();
        let record = vault.own_record().unwrap();
        vault
            .engine()
            .envelopes(&record, carnet::record::SectionId::Notes)
            .unwrap()
            .remove(0)
    };
    let db = db_path(&c);
    let original = std::fs::read(&db).unwrap();
    // Copy-on-write leaves stale copies in free pages: flip the bit in every copy.
    let copies: Vec<usize> = original
        .windows(envelope.len())
        .enumerate()
        .filter(|(_, w)| *w == envelope.as_slice())
        .map(|(i, _)| i)
        .collect();
    assert!(!copies.is_empty(), "the envelope is stored as is");
    for bit in [
        8 * 3,
        8 * 40 + 1,
        8 * (envelope.len() / 2) + 5,
        8 * (envelope.len() - 1) + 7,
    ] {
        let mut bytes = original.clone();
        for at in &copies {
            bytes[at + bit / 8] ^= 1 << (bit % 8);
        }
        std::fs::write(&db, &bytes).unwrap();
        refused(&c, &["list"], &["damaged"]);
        refused(&c, &["add", "note", "--text", "more"], &["damaged"]);
    }
}
