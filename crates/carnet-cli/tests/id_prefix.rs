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

#[test]
fn list_keeps_a_fixed_section_order_newest_first_and_filters_by_date() {
    let alice = Carnet::patient();
    for (value, at) in [
        ("70", "2025-01-10 08:00"),
        ("72", "2025-03-10 08:00"),
        ("71", "2025-02-10 08:00"),
    ] {
        alice.ok(&[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            value,
            "--unit",
            "kg",
            "--at",
            at,
        ]);
    }
    alice.ok(&["add", "allergy", "--substance", "Latex"]);
    let values = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list"];
        all.extend_from_slice(args);
        alice
            .json(&all)
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["value"].as_f64().map(|v| v.to_string()))
            .collect()
    };
    // Allergies come before measurements; the newest weight first.
    let list = alice.ok(&["list"]);
    let allergy = list.find("Latex").unwrap();
    let weight = list.find("Weight").unwrap();
    assert!(allergy < weight, "{list}");
    assert_eq!(values(&["--section", "measurements"]), ["72", "71", "70"]);
    assert_eq!(
        values(&["--section", "measurements", "--since", "2025-02-01"]),
        ["72", "71"]
    );
    assert_eq!(
        values(&["--section", "measurements", "--until", "2025-02-10"]),
        ["71", "70"]
    );
    assert_eq!(values(&["--section", "measurements", "-n", "1"]), ["72"]);
    let err = alice.fails(&["list", "--since", "last week"]);
    assert!(!err.is_empty());
}
