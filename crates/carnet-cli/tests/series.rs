//! A dense series (a glucose sensor's day blocks) is one line of `list` and `timeline`,
//! unless --days (or --all) asks for its days; JSON keeps every block.

mod common;

use common::Carnet;

/// A patient with three days of readings every 5 minutes, 2025-01-01 to 2025-01-03, and
/// a weight.
fn with_cgm() -> Carnet {
    let c = Carnet::patient();
    let mut csv = String::from("time,kind,value,unit,source\n");
    let start = 1_735_689_600i64; // 2025-01-01T00:00:00Z
    for i in 0..864i64 {
        let t = carnet::record::DateTime::from_unix(start + 300 * i).unwrap();
        csv.push_str(&format!("{t},glucose,{},mg/dL,Sensor G7\n", 70 + i % 100));
    }
    let path = c.work.join("cgm.csv");
    std::fs::write(&path, csv).unwrap();
    c.json(&[
        "import",
        "csv",
        path.to_str().unwrap(),
        "--format",
        "generic",
    ]);
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "weight",
        "--value",
        "70.5",
        "--unit",
        "kg",
        "--at",
        "2025-01-02T08:00:00Z",
    ]);
    c
}

#[test]
fn a_series_is_one_summary_line_unless_its_days_are_asked_for() {
    let c = with_cgm();
    let list = c.ok(&["list"]);
    assert_eq!(list.lines().count(), 2, "{list}");
    // 864 readings: the last is i = 863, value 70 + 63 = 133, at 2025-01-03T23:55:00Z.
    assert!(
        list.contains(
            "glucose: 864 readings in 3 days, 2025-01-01 to 2025-01-03; latest 133 mg/dL on 2025-01-03 23:55, Sensor G7"
        ),
        "{list}"
    );
    assert!(list.contains("Weight 70.5 kg"), "{list}");
    for flag in ["--days", "--all"] {
        let days = c.ok(&["list", flag]);
        assert_eq!(days.lines().count(), 4, "{flag}: {days}");
        assert_eq!(
            days.lines()
                .filter(|l| l.contains("glucose, 288 readings"))
                .count(),
            3,
            "{days}"
        );
    }
    // The limit counts lines: the series is one.
    let one = c.ok(&["list", "-n", "1"]);
    assert_eq!(one.lines().count(), 1, "{one}");
    // The window applies before the summary.
    let jan2 = c.ok(&["list", "--since", "2025-01-02", "--until", "2025-01-02"]);
    assert!(
        jan2.contains("glucose, 288 readings, 2025-01-02"),
        "one block stays a block: {jan2}"
    );
    // JSON keeps every block.
    assert_eq!(c.json(&["list"]).as_array().unwrap().len(), 4);
    // French.
    let fr = c.ok(&["--lang", "fr", "list"]);
    assert!(
        fr.contains(
            "glycémie : 864 mesures sur 3 jours, du 2025-01-01 au 2025-01-03 ; dernière 133 mg/dL"
        ),
        "{fr}"
    );
    assert!(fr.contains("Poids 70,5 kg"), "{fr}");
    // The timeline too.
    let tl = c.ok(&["timeline"]);
    assert_eq!(tl.lines().count(), 2, "{tl}");
    assert!(tl.contains("glucose: 864 readings in 3 days"), "{tl}");
    assert_eq!(c.ok(&["timeline", "--days"]).lines().count(), 4);
}
