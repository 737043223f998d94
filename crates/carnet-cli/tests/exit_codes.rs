//! The exit codes `carnet --help` documents, and an example in every command's help.

mod common;

use common::Carnet;

#[test]
fn help_lists_the_exit_codes_and_each_command_shows_an_example() {
    let c = Carnet::empty();
    let help = c.ok(&["--help"]);
    for line in [
        "Exit codes:",
        "2  usage",
        "3  wrong or missing passphrase",
        "4  refused input",
        "5  a peer could not be reached",
        "6  not found",
    ] {
        assert!(help.contains(line), "no {line:?} in:\n{help}");
    }
    for (args, example) in [
        (
            vec!["add", "allergy", "--help"],
            "carnet add allergy --substance",
        ),
        (
            vec!["grant", "--help"],
            "carnet grant \"Dr Martin\" --sections",
        ),
        (
            vec!["import", "csv", "--help"],
            "carnet import csv clarity-export.csv",
        ),
        (vec!["list", "--help"], "carnet list --section measurements"),
    ] {
        let text = c.ok(&args);
        assert!(
            text.contains(&format!("Example:\n  {example}")),
            "{args:?}:\n{text}"
        );
    }
    // The manual pages carry them too.
    let man = c.ok(&["man"]);
    assert!(man.contains("Exit codes"), "{}", &man[..man.len().min(400)]);
}

#[test]
fn usage_is_2_and_an_unreachable_peer_is_5() {
    let alice = Carnet::patient();
    let out = alice.run(&["list", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    // A ticket of a peer that has stopped serving: reported within the timeout.
    let ticket = {
        let serve = alice.start(&["serve"], &[]);
        serve.first["ticket"].as_str().unwrap().to_string()
    };
    let bob = Carnet::patient();
    let started = std::time::Instant::now();
    let out = bob.run(&["sync", &ticket, "--timeout", "2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("cannot reach the peer"), "{err}");
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    // The kind, not the transport's words: in French, and as a code in JSON.
    let out = bob.run(&["--lang", "fr", "sync", &ticket, "--timeout", "2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("impossible de joindre le pair : aucune réponse en 2 s"),
        "{err}"
    );
    assert!(!err.contains("cannot reach"), "{err}");
    let out = bob.run(&["--json", "sync", &ticket, "--timeout", "2"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stderr).expect("a JSON error");
    assert_eq!(json["code"], "sync.connect", "{json}");
    assert_eq!(json["kind"], "unreachable", "{json}");
    // A ticket cut short, in French: what is wrong with it, in the language.
    let cut = &ticket[..ticket.len() - 3];
    let out = bob.run(&["--lang", "fr", "sync", cut]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("ce n'est pas un ticket Carnet : son contenu n'est pas celui d'un ticket"),
        "{err}"
    );
}
