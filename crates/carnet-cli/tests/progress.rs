//! Progress on long commands is drawn for a person at a terminal only: not when stderr
//! is a pipe, not with --json.

mod common;

use std::path::Path;

use common::Carnet;

/// Runs a shell command line at a terminal (util-linux `script`); returns all it wrote,
/// insisting on success.
fn at_terminal(c: &Carnet, line: &str) -> String {
    let (ok, text) = at_terminal_status(c, line);
    assert!(ok, "{text}");
    text
}

fn at_terminal_status(c: &Carnet, line: &str) -> (bool, String) {
    let out = std::process::Command::new("script")
        .args(["-qec", line, "/dev/null"])
        .env("CARNET_VAULT", &c.vault)
        .env("CARNET_PASSPHRASE", common::PASS)
        .env("LANG", "C.UTF-8")
        .env("TERM", "xterm")
        .current_dir(&c.work)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn progress_is_drawn_at_a_terminal_only() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: util-linux `script` (a terminal) is not installed");
        return;
    }
    let c = Carnet::patient();
    for i in 0..5 {
        c.ok(&["add", "note", "--text", &format!("note {i}")]);
    }
    let bin = env!("CARGO_BIN_EXE_carnet");
    let text = at_terminal(
        &c,
        &format!(
            "{bin} backup --out b1 && {bin} export fhir --out e1.json && {bin} report --out r1.html"
        ),
    );
    // A backup counts its rows out of the rows in the vault.
    assert!(text.contains("backing up ["), "{text}");
    let rows = text
        .split("backing up [")
        .nth(1)
        .and_then(|t| t.split(']').nth(1))
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    let (done, total) = rows.split_once('/').expect("rows done/total");
    assert!(
        done.parse::<u64>().is_ok() && total.parse::<u64>().unwrap() > 5,
        "{rows}"
    );
    assert!(text.contains("reading [") && text.contains("/5"), "{text}");
    assert!(text.contains("charts [") && text.contains("2/2"), "{text}");
    // In French too.
    let text = at_terminal(&c, &format!("{bin} --lang fr backup --out b2"));
    assert!(text.contains("sauvegarde ["), "{text}");
    // With --json at a terminal: no progress, the JSON alone.
    let text = at_terminal(&c, &format!("{bin} --json backup --out b3"));
    assert!(!text.contains("backing up"), "{text}");
    assert!(!text.contains("sauvegarde"), "{text}");
    // Not at a terminal: nothing on stderr but what is said at the end.
    let out = c.run(&["backup", "--out", "b4"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = c.run(&["export", "fhir", "--out", "e2.json"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_sync_says_whom_it_is_reaching_and_how_long_is_left() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: util-linux `script` (a terminal) is not installed");
        return;
    }
    let alice = Carnet::patient();
    let ticket = {
        let serve = alice.start(&["serve"], &[]);
        serve.first["ticket"].as_str().unwrap().to_string()
    };
    let bob = Carnet::patient();
    let bin = env!("CARGO_BIN_EXE_carnet");
    let (ok, text) = at_terminal_status(&bob, &format!("{bin} sync {ticket} --timeout 3"));
    assert!(!ok, "{text}");
    assert!(text.contains("reaching the peer: giving up in "), "{text}");
    assert!(text.contains("cannot reach the peer"), "{text}");
    // In French: the countdown too.
    let (ok, text) =
        at_terminal_status(&bob, &format!("{bin} --lang fr sync {ticket} --timeout 3"));
    assert!(!ok, "{text}");
    assert!(
        text.contains("connexion avec le pair : abandon dans "),
        "{text}"
    );
}
