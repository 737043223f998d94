//! `carnet list` keeps each section's entries beside the section (a cache, issue 18 point
//! 1): whatever changes a section, the next `list` shows it, exactly as the entries read
//! one by one from the section's document (`show`) do.

mod common;

use common::Carnet;
use serde_json::Value;

/// What `list --json` says, checked entry by entry against `show --json` (which reads the
/// section's document, never the kept list).
fn listed(c: &Carnet, patient: Option<&str>) -> Vec<Value> {
    let mut args = vec!["list"];
    if let Some(p) = patient {
        args.extend(["--patient", p]);
    }
    let list = c.json(&args).as_array().unwrap().clone();
    for v in &list {
        let id = v["id"].as_str().unwrap();
        let mut show = vec!["show", id];
        if let Some(p) = patient {
            show.extend(["--patient", p]);
        }
        assert_eq!(&c.json(&show), v, "list and show disagree on {id}");
    }
    // Twice in a row (the second from what the first kept): the same bytes.
    let mut json = vec!["--json"];
    json.extend(&args);
    assert_eq!(c.ok(&json), c.ok(&json));
    list
}

fn texts(list: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = list
        .iter()
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

#[test]
fn list_shows_every_change_to_a_section() {
    let alice = Carnet::patient();
    for i in 0..3 {
        alice.ok(&["add", "note", "--text", &format!("note {i}")]);
    }
    let first = listed(&alice, None);
    assert_eq!(texts(&first), ["note 0", "note 1", "note 2"]);

    // A local add.
    alice.ok(&["add", "note", "--text", "note 3"]);
    let list = listed(&alice, None);
    assert_eq!(texts(&list), ["note 0", "note 1", "note 2", "note 3"]);

    // An edit.
    let id = list.iter().find(|v| v["text"] == "note 1").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice.ok(&["edit", &id, "--set", "text=note 1 edited"]);
    let list = listed(&alice, None);
    assert_eq!(
        texts(&list),
        ["note 0", "note 1 edited", "note 2", "note 3"]
    );
    let edited = list.iter().find(|v| v["id"] == id.as_str()).unwrap();
    assert_eq!(edited["edited"], true, "{edited}");

    // A removal.
    alice.ok(&["remove", &id]);
    assert_eq!(texts(&listed(&alice, None)), ["note 0", "note 2", "note 3"]);

    // An import.
    let csv = alice.work.join("weights.csv");
    std::fs::write(
        &csv,
        "time,kind,value,unit\n2025-01-01T08:00:00Z,weight,70.5,kg\n",
    )
    .unwrap();
    alice.ok(&[
        "import",
        "csv",
        csv.to_str().unwrap(),
        "--format",
        "generic",
    ]);
    let list = listed(&alice, None);
    assert_eq!(
        list.iter()
            .filter(|v| v["section"] == "measurements")
            .count(),
        1,
        "{list:?}"
    );

    // What a clinician wrote, received in a bundle: on both sides.
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    doctor.json(&["contact", "add", "Alice", &alice.card()]);
    alice.grant("Dr Martin", "notes", "write", "follow-up");
    let to_doctor = alice.work.join("to-doctor.carnet");
    alice.ok(&[
        "share",
        "export",
        "--to",
        "Dr Martin",
        "--out",
        to_doctor.to_str().unwrap(),
    ]);
    doctor.ok(&["share", "import", to_doctor.to_str().unwrap()]);
    assert_eq!(
        texts(&listed(&doctor, Some("Alice"))),
        ["note 0", "note 2", "note 3"]
    );
    // The patient writes again after the doctor listed: the doctor's next import shows it.
    alice.ok(&["add", "note", "--text", "note 4"]);
    doctor.ok(&[
        "add",
        "note",
        "--patient",
        "Alice",
        "--text",
        "from the doctor",
    ]);
    assert_eq!(
        texts(&listed(&doctor, Some("Alice"))),
        ["from the doctor", "note 0", "note 2", "note 3"]
    );
    let to_alice = doctor.work.join("to-alice.carnet");
    doctor.ok(&[
        "share",
        "export",
        "--to",
        "Alice",
        "--out",
        to_alice.to_str().unwrap(),
    ]);
    alice.ok(&["share", "import", to_alice.to_str().unwrap()]);
    assert_eq!(
        texts(&listed(&alice, None)),
        ["from the doctor", "note 0", "note 2", "note 3", "note 4"]
    );
    let again = alice.work.join("to-doctor-2.carnet");
    alice.ok(&[
        "share",
        "export",
        "--to",
        "Dr Martin",
        "--out",
        again.to_str().unwrap(),
    ]);
    doctor.ok(&["share", "import", again.to_str().unwrap()]);
    assert_eq!(
        texts(&listed(&doctor, Some("Alice"))),
        ["from the doctor", "note 0", "note 2", "note 3", "note 4"]
    );
}
