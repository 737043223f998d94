//! Many `carnet` processes writing one vault at once, with and without `serve` holding it
//! open: adds to one section by eight processes, with edits, removals, attachments, imports
//! and contacts at the same moment, in several rounds. Before the fix, two adds at once
//! both exited 0 and the section then failed to open ("duplicate seq") in 10 trials of 10.

mod common;

use std::collections::BTreeSet;
use std::process::Child;

use common::Carnet;

const WRITERS: usize = 8;
const ROUNDS: usize = 3;

fn notes(c: &Carnet) -> BTreeSet<String> {
    c.json(&["list", "--section", "notes"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

fn spawn(c: &Carnet, args: &[&str]) -> (String, Child) {
    let child = c
        .command()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    (args.join(" "), child)
}

fn many_writers(c: &Carnet) {
    let mut expected = notes(c);
    let contact = Carnet::clinician("Dr Concurrent");
    let card = contact.card();
    for round in 0..ROUNDS {
        // Two notes made before the round, edited and removed during it.
        let to_edit = c.json(&["add", "note", "--text", &format!("r{round} to edit")])["id"]
            .as_str()
            .unwrap()
            .to_string();
        let to_remove = c.json(&["add", "note", "--text", &format!("r{round} to remove")])["id"]
            .as_str()
            .unwrap()
            .to_string();
        let scan = c.work.join(format!("scan{round}.txt"));
        std::fs::write(&scan, format!("scan of round {round}")).unwrap();
        let csv = c.work.join(format!("weights{round}.csv"));
        std::fs::write(
            &csv,
            format!(
                "time,kind,value,unit\n2025-01-0{}T08:00:00Z,weight,70.{round},kg\n",
                round + 1
            ),
        )
        .unwrap();
        let mut children = Vec::new();
        for w in 0..WRITERS {
            let text = format!("r{round} w{w}");
            children.push(spawn(c, &["add", "note", "--text", &text]));
            expected.insert(text);
        }
        let edited = format!("r{round} edited");
        children.push(spawn(
            c,
            &["edit", &to_edit, "--set", &format!("text={edited}")],
        ));
        children.push(spawn(c, &["remove", &to_remove]));
        children.push(spawn(
            c,
            &[
                "attach",
                scan.to_str().unwrap(),
                "--title",
                &format!("scan {round}"),
            ],
        ));
        children.push(spawn(
            c,
            &[
                "import",
                "csv",
                csv.to_str().unwrap(),
                "--format",
                "generic",
            ],
        ));
        if round == 0 {
            children.push(spawn(c, &["contact", "add", "Dr Concurrent", &card]));
        }
        for (what, child) in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "carnet {what} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        expected.insert(edited);
        assert_eq!(notes(c), expected, "after round {round}");
    }
    let docs = c.json(&["list", "--section", "documents"]);
    assert_eq!(docs.as_array().unwrap().len(), ROUNDS);
    let weights = c.json(&["list", "--section", "measurements"]);
    assert_eq!(weights.as_array().unwrap().len(), ROUNDS);
    assert_eq!(c.json(&["contact", "list"]).as_array().unwrap().len(), 1);
    let report = c.json(&["repair"]);
    assert_eq!(report["set_aside"], 0, "{report}");
    assert_eq!(report["reissued"], 0, "{report}");
    assert_eq!(report["consent_logs"], 1, "{report}");
}

#[test]
fn eight_processes_writing_one_section_lose_nothing() {
    let c = Carnet::patient();
    many_writers(&c);
}

#[test]
fn eight_processes_writing_while_serve_runs_lose_nothing() {
    let c = Carnet::patient();
    let _serve = c.start(&["serve"], &[]);
    many_writers(&c);
}

#[test]
fn repair_reports_a_sound_vault_and_changes_nothing() {
    let c = Carnet::patient();
    c.ok(&["add", "note", "--text", "one"]);
    let report = c.json(&["repair"]);
    assert_eq!(report["set_aside"], 0);
    assert!(report["envelopes"].as_u64().unwrap() >= 1, "{report}");
    let before = c.state();
    let text = c.ok(&["repair"]);
    assert!(text.contains("Nothing to repair."), "{text}");
    assert_eq!(c.state(), before, "a second repair changed the vault");
}
