//! Ids accept any unambiguous prefix of 4 or more characters, as git's hashes do.

mod common;

use common::Carnet;

#[test]
fn an_entry_is_named_by_the_start_of_its_id() {
    let alice = Carnet::patient();
    alice.ok(&["add", "note", "--text", "first"]);
    alice.ok(&["add", "allergy", "--substance", "Latex"]);
    let list = alice.json(&["list"]);
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e.to_string().contains("Latex"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let short = &id[..5];
    let shown = alice.json(&["show", short]);
    assert_eq!(shown["id"], id.as_str());
    alice.ok(&["edit", short, "--set", "reaction=hives"]);
    assert!(alice.ok(&["show", &id[..4]]).contains("hives"));
    assert!(
        !alice
            .json(&["history", short])
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Too short, or the start of nothing: refused with what to do, nothing changed.
    let before = alice.state();
    let err = alice.fails(&["remove", &id[..3]]);
    assert!(err.contains("first 4 or more"), "{err}");
    let err = alice.fails(&["remove", "zzzzzz"]);
    assert!(err.contains("no entry's id starts with"), "{err}");
    assert!(alice.state() == before, "a refused id changed the vault");
    alice.ok(&["remove", short]);
    assert!(!alice.ok(&["list"]).contains("Latex"));
}
