//! `--out -` writes the output to standard output (the message then goes to stderr);
//! it cannot be combined with --json, and binary output is not written to a terminal.

mod common;

use std::path::Path;

use common::Carnet;

fn stdout_of(c: &Carnet, args: &[&str]) -> (Vec<u8>, String) {
    let out = c.run(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "carnet {args:?}: {err}");
    (out.stdout, err)
}

#[test]
fn out_dash_writes_to_standard_output() {
    let alice = Carnet::patient();
    alice.ok(&[
        "add",
        "measurement",
        "--kind",
        "weight",
        "--value",
        "70",
        "--unit",
        "kg",
        "--at",
        "2025-01-01T08:00:00Z",
    ]);
    alice.ok(&[
        "add",
        "measurement",
        "--kind",
        "weight",
        "--value",
        "71",
        "--unit",
        "kg",
        "--at",
        "2025-02-01T08:00:00Z",
    ]);
    let (html, err) = stdout_of(&alice, &["report", "--out", "-"]);
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("<html") && html.contains("Alice Test"),
        "{}",
        &html[..200]
    );
    assert!(err.contains("Wrote standard output"), "{err}");
    let (json, _) = stdout_of(&alice, &["export", "ips", "--out", "-"]);
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["resourceType"], "Bundle");
    let (svg, _) = stdout_of(&alice, &["chart", "weight", "--out", "-"]);
    assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    let (log, _) = stdout_of(&alice, &["audit", "export", "--out", "-"]);
    let v: serde_json::Value = serde_json::from_slice(&log).unwrap();
    assert!(v.is_object());
    assert!(!alice.work.join("-").exists(), "a file named - was written");

    // A document back out.
    std::fs::write(alice.work.join("scan.pdf"), b"%PDF-1.4 a scan").unwrap();
    let id = alice.json(&["attach", "scan.pdf"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (bytes, _) = stdout_of(&alice, &["get-attachment", &id, "--out", "-"]);
    assert_eq!(bytes, b"%PDF-1.4 a scan");

    // A backup: the bytes the message counts.
    let (backup, err) = stdout_of(&alice, &["backup", "--out", "-"]);
    assert!(
        err.contains(&format!(
            "Backed up the vault to standard output ({} bytes",
            backup.len()
        )),
        "{err}"
    );

    // A bundle, imported by its addressee from what was piped.
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    doctor.json(&["contact", "add", "Alice", &alice.card()]);
    alice.grant("Dr Martin", "measurements", "read", "gp");
    let (bundle, _) = stdout_of(
        &alice,
        &["share", "export", "--to", "Dr Martin", "--out", "-"],
    );
    let path = doctor.work.join("from-alice.carnet");
    std::fs::write(&path, bundle).unwrap();
    doctor.ok(&["share", "import", path.to_str().unwrap()]);
    assert_eq!(
        doctor
            .json(&["list", "--patient", "Alice"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn out_dash_with_json_is_a_usage_error() {
    let alice = Carnet::patient();
    let out = alice.run(&["--json", "report", "--out", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(v["kind"], "usage", "{v}");
}

#[test]
fn binary_output_is_not_written_to_a_terminal() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: util-linux `script` (a terminal) is not installed");
        return;
    }
    let alice = Carnet::patient();
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} backup --out -", env!("CARGO_BIN_EXE_carnet")),
            "/dev/null",
        ])
        .env("CARNET_VAULT", &alice.vault)
        .env("CARNET_PASSPHRASE", common::PASS)
        .env("LANG", "C.UTF-8")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("standard output is a terminal"), "{text}");
    assert!(!out.status.success());
}
