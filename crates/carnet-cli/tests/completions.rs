//! Shell completions and manual pages come from the command definitions themselves.

mod common;

use common::Carnet;

#[test]
fn completions_and_manual_pages_cover_every_command() {
    let c = Carnet::empty();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = c.ok(&["completions", shell]);
        for command in ["add", "share", "unlock", "audit"] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
    }
    let err = c.fails(&["completions", "cobol"]);
    assert!(err.contains("possible values"), "{err}");
    let dir = c.work.join("man");
    c.ok(&["man", "--out", dir.to_str().unwrap()]);
    for page in [
        "carnet.1",
        "carnet-add.1",
        "carnet-add-note.1",
        "carnet-audit-verify.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(
            text.starts_with(".ie") && text.contains(".SH NAME"),
            "{page}"
        );
    }
    assert!(
        !dir.join("carnet-__agent.1").exists(),
        "hidden commands have no page"
    );
    let english = c.ok(&["--lang", "en", "man"]);
    assert!(english.contains(".TH carnet 1"));
    assert!(english.contains(".SH NAME") && english.contains("[default: "));
    // In French: the French help texts, and clap_mangen's own words said in French too.
    let dir = c.work.join("man-fr");
    c.ok(&["--lang", "fr", "man", "--out", dir.to_str().unwrap()]);
    let init = std::fs::read_to_string(dir.join("carnet-init.1")).unwrap();
    for french in [
        ".SH NOM",
        ".SH EXEMPLES",
        "[par défaut : patient]",
        "Votre rôle dans Carnet",
    ] {
        assert!(init.contains(french), "{french:?} missing in:\n{init}");
    }
    for english in [".SH NAME", ".SH EXTRA", "[default: ", "Example:"] {
        assert!(!init.contains(english), "{english:?} in:\n{init}");
    }
    let top = std::fs::read_to_string(dir.join("carnet.1")).unwrap();
    assert!(top.contains(".SH SOUS\\-COMMANDES"), "{top}");
}

#[test]
fn usage_errors_are_json_with_json_and_exit_2() {
    let c = Carnet::empty();
    let out = c.run(&["--json", "list", "--since", "someday"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("JSON on stderr");
    assert_eq!(v["kind"], "usage");
    assert!(v["error"].as_str().unwrap().contains("--since"), "{v}");
    // Without --json, clap's own text; help is not an error.
    let out = c.run(&["list", "--since", "someday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error:"));
    let out = c.run(&["--json", "--help"]);
    assert!(out.status.success());
}
