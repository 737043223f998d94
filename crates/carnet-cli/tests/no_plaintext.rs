//! Confidentiality at rest: a marker written into every kind of entry and an attachment
//! appears in no file under the vault.

mod common;

use common::Carnet;

#[test]
fn no_marker_bytes_rest_on_disk() {
    let c = Carnet::patient();
    let m = "QX7-MARKER-93f1c2";
    let code = format!("snomed|{m}");
    let adds: Vec<Vec<String>> = vec![
        vec![
            "add",
            "profile",
            "--name",
            m,
            "--advance-directives",
            m,
            "--emergency-name",
            m,
        ],
        vec![
            "add",
            "allergy",
            "--substance",
            m,
            "--reaction",
            m,
            "--code",
            &code,
        ],
        vec!["add", "condition", "--name", m, "--code", &code],
        vec!["add", "medication", "--name", m, "--dosage", m],
        vec![
            "add",
            "immunization",
            "--vaccine",
            m,
            "--date",
            "2020-01-01",
            "--lot",
            m,
        ],
        vec![
            "add",
            "measurement",
            "--kind",
            "glucose",
            "--value",
            "5.5",
            "--unit",
            "mmol/L",
            "--source",
            m,
        ],
        vec!["add", "note", "--text", m, "--title", m],
        vec!["add", "none-known", "allergies"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect();
    for a in &adds {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        c.ok(&a);
    }
    let file = c.work.join(format!("{m}.txt"));
    std::fs::write(&file, format!("attachment body {m}\n").repeat(5000)).unwrap();
    c.ok(&["attach", file.to_str().unwrap(), "--title", m]);
    // Edits and removals write more envelopes (and, past a threshold, snapshots).
    for i in 0..40 {
        c.ok(&["add", "note", "--text", &format!("{m} {i}")]);
    }
    let list = c.json(&["list"]);
    let shown = list.to_string();
    assert!(
        shown.matches(m).count() >= 50,
        "the marker is readable through the CLI"
    );

    let files = c.files();
    assert!(files.len() >= 2);
    let needles: Vec<&[u8]> = vec![m.as_bytes(), b"QX7-MARKER", b"attachment body"];
    for (path, bytes) in &files {
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == *n),
                "{} contains plaintext {:?}",
                path.display(),
                String::from_utf8_lossy(n)
            );
        }
    }
}
