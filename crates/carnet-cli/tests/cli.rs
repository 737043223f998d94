//! The patient's commands, end to end through the binary.

mod common;

use common::Carnet;
use serde_json::Value;

#[test]
fn init_and_whoami_print_a_card_that_parses() {
    let c = Carnet::empty();
    let init = c.json(&["init", "--name", "Alice Test", "--kdf-cost", "10"]);
    let who = c.json(&["whoami"]);
    assert_eq!(who["id"], init["id"]);
    assert_eq!(who["name"], "Alice Test");
    assert_eq!(who["role"], "patient");
    let card = who["card"].as_str().unwrap();
    assert!(card.starts_with("carnet-card1:"));
    let parsed = carnet::crypto::IdentityCard::from_text(card).unwrap();
    assert_eq!(parsed.person_id().to_string(), who["id"].as_str().unwrap());
    // A second init on the same vault is refused.
    let err = c.fails(&["init", "--name", "Mallory", "--kdf-cost", "10"]);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn every_kind_can_be_added_listed_shown_edited_and_removed() {
    let c = Carnet::patient();
    let adds: Vec<Vec<&str>> = vec![
        vec![
            "add",
            "allergy",
            "--substance",
            "Peanut",
            "--criticality",
            "high",
            "--reaction",
            "hives",
        ],
        vec![
            "add",
            "condition",
            "--name",
            "Asthma",
            "--code",
            "snomed|195967001",
            "--onset",
            "2010-06",
        ],
        vec![
            "add",
            "medication",
            "--name",
            "Salbutamol",
            "--dosage",
            "2 puffs",
            "--start",
            "2020-01-01",
        ],
        vec![
            "add",
            "immunization",
            "--vaccine",
            "Tetanus",
            "--date",
            "2021-09-30",
            "--lot",
            "T-77",
        ],
        vec![
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "70.2",
            "--unit",
            "kg",
            "--at",
            "2024-03-01T08:00:00+01:00",
        ],
        vec![
            "add",
            "measurement",
            "--kind",
            "blood-pressure",
            "--value",
            "120/80",
            "--unit",
            "mmHg",
        ],
        vec!["add", "note", "--text", "Slept well"],
        vec!["add", "none-known", "immunizations"],
        vec![
            "add",
            "profile",
            "--name",
            "Alice Test",
            "--birth-date",
            "1990-02-03",
            "--blood-group",
            "O-",
        ],
    ];
    let mut ids = Vec::new();
    for a in &adds {
        let r = c.json(a);
        assert_eq!(r["id"].as_str().unwrap().len(), 10, "ids are short: {r}");
        ids.push((
            r["id"].as_str().unwrap().to_string(),
            r["section"].as_str().unwrap().to_string(),
        ));
    }
    std::fs::write(c.work.join("scan.txt"), b"scan bytes").unwrap();
    let doc = c.json(&[
        "attach",
        "scan.txt",
        "--title",
        "Chest X-ray",
        "--type",
        "imaging",
    ]);
    assert_eq!(doc["section"], "documents");

    let list = c.json(&["list"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), adds.len() + 1);
    let me = c.json(&["whoami"])["id"].clone();
    for e in list {
        assert_eq!(e["author"], me, "author is verified from signatures: {e}");
        assert!(e["id"].is_string() && e["section"].is_string());
    }
    let sections: std::collections::BTreeSet<_> = list
        .iter()
        .map(|e| e["section"].as_str().unwrap())
        .collect();
    assert_eq!(sections.len(), 8, "{sections:?}");
    let only = c.json(&["list", "--section", "allergies"]);
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(only[0]["substance"], "Peanut");

    let (allergy, _) = &ids[0];
    let shown = c.json(&["show", allergy]);
    assert_eq!(shown["criticality"], "high");
    let text = c.ok(&["show", allergy]);
    assert!(text.contains("Peanut"), "{text}");

    c.json(&[
        "edit",
        allergy,
        "--set",
        "reaction=anaphylaxis",
        "--unset",
        "criticality",
    ]);
    let shown = c.json(&["show", allergy]);
    assert_eq!(shown["reaction"], "anaphylaxis");
    assert!(shown.get("criticality").is_none());
    assert_eq!(shown["substance"], "Peanut");

    let (weight, _) = &ids[4];
    c.json(&["edit", weight, "--set", "value=71"]);
    assert_eq!(c.json(&["show", weight])["value"].as_f64(), Some(71.0));

    // The profile is one entry: a second `add profile` updates it.
    c.json(&["add", "profile", "--sex", "female"]);
    let prof = c.json(&["list", "--section", "profile"]);
    assert_eq!(prof.as_array().unwrap().len(), 1);
    assert_eq!(prof[0]["sex"], "female");
    assert_eq!(prof[0]["blood_group"], "O-");

    let (note, _) = &ids[6];
    c.json(&["remove", note]);
    let err = c.fails(&["show", note]);
    assert!(err.contains("no entry"), "{err}");
    assert_eq!(c.json(&["list"]).as_array().unwrap().len(), adds.len());

    let timeline = c.json(&["timeline"]);
    assert_eq!(timeline.as_array().unwrap().len(), adds.len());
    let human = c.ok(&["timeline"]);
    assert!(human.contains("Asthma"));
}

#[test]
fn attachments_come_back_byte_for_byte_into_a_private_file() {
    let c = Carnet::patient();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(c.work.join("report.pdf"), &data).unwrap();
    let r = c.json(&["attach", "report.pdf", "--type", "report"]);
    let id = r["id"].as_str().unwrap();
    let shown = c.json(&["show", id]);
    assert_eq!(shown["title"], "report.pdf");
    assert_eq!(shown["blob"]["media_type"], "application/pdf");
    // No content key in any output (issue 18): it would open the document for anyone
    // who copied the JSON.
    assert!(shown["blob"].get("key").is_none(), "{shown}");
    let listed = c.json(&["list", "--section", "documents"]);
    assert!(listed[0]["blob"].get("key").is_none(), "{listed}");
    c.ok(&["get-attachment", id, "--out", "back.pdf"]);
    assert_eq!(std::fs::read(c.work.join("back.pdf")).unwrap(), data);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(c.work.join("back.pdf"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let err = c.fails(&["get-attachment", id, "--out", "back.pdf"]);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn json_list_is_an_array_of_entries_with_id_section_author() {
    let c = Carnet::patient();
    assert_eq!(c.json(&["list"]), Value::Array(vec![]));
    c.json(&["add", "note", "--text", "hello"]);
    let list = c.json(&["list"]);
    let e = &list[0];
    for k in ["id", "section", "author", "text", "type"] {
        assert!(e.get(k).is_some(), "missing {k} in {e}");
    }
}

#[test]
fn passphrase_file_works_and_files_are_private() {
    let c = Carnet::empty();
    let pf = c.work.join("pass.txt");
    std::fs::write(&pf, "from a file\n").unwrap();
    let out = c
        .command()
        .env_remove("CARNET_PASSPHRASE")
        .args([
            "--passphrase-file",
            pf.to_str().unwrap(),
            "init",
            "--name",
            "Bob",
            "--kdf-cost",
            "10",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = c
        .command()
        .env_remove("CARNET_PASSPHRASE")
        .args(["--passphrase-file", pf.to_str().unwrap(), "whoami"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // The environment variable is a different passphrase: refused.
    let err = c.fails(&["whoami"]);
    assert!(err.contains("wrong passphrase"), "{err}");
    // Without any source and without a terminal, the CLI says how to give one.
    let out = c
        .command()
        .env_remove("CARNET_PASSPHRASE")
        .arg("whoami")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for (path, _) in c.files() {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        }
        assert_eq!(
            std::fs::metadata(&c.vault).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}

#[test]
fn help_exists_for_every_command() {
    let c = Carnet::empty();
    for args in [
        vec!["--help"],
        vec!["add", "--help"],
        vec!["add", "measurement", "--help"],
        vec!["attach", "--help"],
        vec!["edit", "--help"],
        vec!["init", "--help"],
    ] {
        let out = c.ok(&args);
        assert!(out.contains("Usage"), "{args:?}: {out}");
    }
}

#[test]
fn secrets_never_reach_the_output() {
    let c = Carnet::patient();
    let mut all = String::new();
    for args in [vec!["whoami"], vec!["--json", "whoami"], vec!["list"]] {
        let out = c.run(&args);
        all.push_str(&String::from_utf8_lossy(&out.stdout));
        all.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(!all.contains("AGE-SECRET-KEY"));
    assert!(!all.contains(common::PASS));
}

#[test]
fn the_demo_tells_the_whole_story_and_checks_itself() {
    let c = Carnet::empty();
    let v = c.json(&["demo"]);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["plaintext_found"], false);
    assert_eq!(v["sections"], 8);
    assert!(v["clinician_received"].as_u64().unwrap() >= 4, "{v}");
    assert_eq!(v["note_came_back"], true);
    assert!(
        v["after_revoke"].as_str().unwrap().contains("nothing"),
        "{v}"
    );
    assert_eq!(v["audit_ok"], true);
    let text = c.ok(&["demo"]);
    for step in [
        "grants him read access",
        "Dr Bernard syncs",
        "the note travels back",
        "Patty's phone is offline. Dr Bernard writes a prescription",
        "Later, Patty's phone comes online and collects",
        "0 item(s) left at the mailbox",
        "he gets nothing new",
        "An auditor verifies",
    ] {
        assert!(text.contains(step), "missing \"{step}\"");
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    let c = Carnet::patient();
    // Enough entries that the list overflows a pipe buffer nobody reads.
    for i in 0..60 {
        c.ok(&[
            "add",
            "note",
            "--text",
            &format!("a long note number {i} {}", "x".repeat(2000)),
        ]);
    }
    // JSON, whole texts: far more than a pipe holds (the list for people shortens each
    // note to a line, and all of it fitted in the pipe before the reader closed it).
    let mut child = c
        .command()
        .args(["--json", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(141));
}
