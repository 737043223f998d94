//! The report as clinicians read it (issue 18, point 7), in both languages: flags and
//! reference ranges on results, one glucose unit, notes and documents listed, no trend
//! under 3 points, an A4 print stylesheet, negations shown as such.

use carnet_fhir::RecordEntry;
use carnet_record::{
    BlobRef, Code, DocType, Document, Entry, Immunization, ImmunizationStatus, Measurement,
    Medication, MedicationStatus, Note, Procedure, ProcedureStatus, ReferenceRange, systems,
};
use carnet_report::{
    Chart, ChartKind, GlucoseInput, Lang, Point, ReportInput, chart_svg_in, report_html,
};

fn entry(i: usize, e: Entry) -> RecordEntry {
    RecordEntry {
        id: format!("e{i}"),
        created: "2024-05-01T10:00:00Z".parse().unwrap(),
        entry: e,
        attachment: None,
    }
}

fn measure(kind: &str, value: &str, unit: &str, at: &str) -> Measurement {
    Measurement::from_input(kind, value, unit, at.parse().unwrap(), None).unwrap()
}

fn lab(code: &str, name: &str, v: f64, unit: &str) -> Measurement {
    let mut m = measure(code, &v.to_string(), unit, "2024-03-01T09:00:00Z");
    m.kind.display = Some(name.into());
    m.category = Some("laboratory".into());
    m
}

fn record() -> Vec<RecordEntry> {
    let bp = measure("blood-pressure", "185/115", "mmHg", "2024-04-01T08:00:00Z");
    let mut egfr = lab("33914-3", "eGFR", 53.0, "mL/min/{1.73_m2}");
    egfr.reference_range = vec![ReferenceRange {
        low: Some(60.0),
        high: None,
        unit: Some("mL/min/{1.73_m2}".into()),
        text: None,
    }];
    let mut chol = lab("2093-3", "Cholesterol", 245.0, "mg/dL");
    chol.interpretation = vec![Code::new(
        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "H",
        Some("High"),
    )];
    let mut hba1c = lab("4548-4", "HbA1c", 6.1, "%");
    hba1c.reference_range = vec![ReferenceRange {
        low: Some(4.0),
        high: Some(6.5),
        unit: Some("%".into()),
        text: None,
    }];
    let glucose_lab = lab("2345-7", "Glucose", 126.0, "mg/dL");
    let egfr_bare = lab("62238-1", "eGFR (no range)", 53.02, "mL/min/{1.73_m2}");
    vec![
        entry(0, Entry::Measurement(bp)),
        entry(1, Entry::Measurement(egfr)),
        entry(2, Entry::Measurement(chol)),
        entry(3, Entry::Measurement(hba1c)),
        entry(4, Entry::Measurement(glucose_lab)),
        entry(9, Entry::Measurement(egfr_bare)),
        entry(
            5,
            Entry::Note(Note {
                text: "Hypo at night after sport.\nSecond line.".into(),
                title: Some("Diary".into()),
            }),
        ),
        entry(
            6,
            Entry::Document(Document {
                title: "Discharge letter".into(),
                doc_type: DocType::Letter,
                date: "2024-02-10T12:00:00Z".parse().unwrap(),
                blob: BlobRef {
                    id: "ab".into(),
                    key: "cd".into(),
                    size: 2048,
                    media_type: "application/pdf".into(),
                    file_name: None,
                    sha1: None,
                },
            }),
        ),
        entry(
            7,
            Entry::Immunization(Immunization {
                vaccine: "Influenza".into(),
                code: None,
                date: Some("2023-10-01".parse().unwrap()),
                lot: None,
                status: ImmunizationStatus::NotDone,
                status_reason: Some("product out of stock".into()),
                date_text: None,
            }),
        ),
        entry(
            8,
            Entry::Immunization(Immunization {
                vaccine: "Influenza".into(),
                code: None,
                date: Some("2022-10-01".parse().unwrap()),
                lot: None,
                status: ImmunizationStatus::Completed,
                status_reason: None,
                date_text: None,
            }),
        ),
    ]
}

/// Two days of CGM in mmol/L every 5 minutes, with a dip.
fn cgm_mmol() -> Vec<Point> {
    (0..576)
        .map(|i| Point {
            t: 1_711_929_600 + 300 * i,
            value: ((6.0 + 3.0 * ((i as f64) / 40.0).sin()) * 10.0).round() / 10.0,
            second: None,
            censored: None,
            offset: None,
        })
        .collect()
}

/// The `<li>` holding `needle`.
fn item<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    let start = html[..at].rfind("<li>").unwrap();
    let end = at + html[at..].find("</li>").unwrap();
    &html[start..end]
}

#[test]
fn results_carry_flags_and_their_reference_ranges() {
    let entries = record();
    for (lang, high, low) in [
        (Lang::En, ">high<", ">low<"),
        (Lang::Fr, ">élevé<", ">bas<"),
    ] {
        let html = report_html(&ReportInput {
            patient_name: "Ana",
            entries: &entries,
            lang,
            ..Default::default()
        });
        let bp = item(&html, "185/115");
        assert!(bp.contains(high) && bp.contains("140/90"), "{lang}: {bp}");
        let egfr = item(&html, "eGFR");
        assert!(egfr.contains(low) && egfr.contains("60"), "{lang}: {egfr}");
        let chol = item(&html, "Cholesterol");
        assert!(chol.contains(high), "{lang}: {chol}");
        // Without a range from the source, the stated eGFR threshold (KDIGO) flags it.
        let egfr2 = item(&html, "eGFR (no range)");
        assert!(
            egfr2.contains(low) && egfr2.contains("60"),
            "{lang}: {egfr2}"
        );
        let hba1c = item(&html, "HbA1c");
        assert!(
            !hba1c.contains("class=\"flag") && hba1c.contains("4–6"),
            "{lang}: in range, range shown: {hba1c}"
        );
    }
}

#[test]
fn glucose_is_in_one_unit_everywhere() {
    let entries = record();
    let pts = cgm_mmol();
    for lang in Lang::ALL {
        let html = report_html(&ReportInput {
            patient_name: "Ana",
            entries: &entries,
            glucose: Some(GlucoseInput {
                points: &pts,
                unit: "mmol/L",
                offset_seconds: 7200,
            }),
            lang,
            ..Default::default()
        });
        // The lab glucose of 126 mg/dL reads 7.0 mmol/L, like the sensor's.
        let g = item(&html, "Glucose:");
        let seven = if lang == Lang::En {
            "7.0 mmol/L"
        } else {
            "7,0 mmol/L"
        };
        assert!(g.contains(seven), "{lang}: {g}");
        let glucose_part = &html[html.find("class=\"agp\"").unwrap()..];
        if let Some(at) = glucose_part.find("mg/dL") {
            panic!(
                "{lang}: mg/dL in the glucose part: {}",
                &glucose_part[at.saturating_sub(300)..at + 50]
            );
        }
        assert!(!g.contains("mg/dL"), "{lang}: {g}");
        // The patient who reads mg/dL gets mg/dL everywhere, sensor figures included.
        let html = report_html(&ReportInput {
            patient_name: "Ana",
            entries: &entries,
            glucose: Some(GlucoseInput {
                points: &pts,
                unit: "mmol/L",
                offset_seconds: 7200,
            }),
            glucose_unit: Some("mg/dL"),
            lang,
            ..Default::default()
        });
        assert!(
            !html.contains("mmol/L"),
            "{lang}: mmol/L left in an mg/dL report"
        );
    }
}

#[test]
fn notes_documents_and_negations_are_listed() {
    let entries = record();
    for (lang, notes, docs, not_given) in [
        (Lang::En, "Notes", "Documents", "NOT GIVEN"),
        (Lang::Fr, "Notes", "Documents", "NON ADMINISTRÉ"),
    ] {
        let html = report_html(&ReportInput {
            patient_name: "Ana",
            entries: &entries,
            lang,
            ..Default::default()
        });
        assert!(html.contains(&format!("<h2>{notes}</h2>")));
        assert!(html.contains("Hypo at night after sport."));
        assert!(html.contains(&format!("<h2>{docs}</h2>")));
        assert!(html.contains("Discharge letter"));
        let no = item(&html, not_given);
        assert!(no.contains("product out of stock"), "{no}");
        // The flu shot given in 2022 is its own line, not counted with the one not given.
        assert!(!html.contains("2 times") && !html.contains("2 fois"));
    }
}

#[test]
fn a_medicine_not_taken_and_a_procedure_not_done_say_why() {
    let mut entries = record();
    entries.push(entry(
        20,
        Entry::Medication(Medication {
            name: "Aspirin".into(),
            code: None,
            dosage: None,
            start: None,
            end: None,
            status: MedicationStatus::NotTaken,
            status_reason: Some("gastric bleeding".into()),
        }),
    ));
    entries.push(entry(
        21,
        Entry::Procedure(Procedure {
            name: "Colonoscopy".into(),
            code: None,
            date: Some("2024-02-01".parse().unwrap()),
            status: ProcedureStatus::NotDone,
            status_reason: Some("patient refused".into()),
        }),
    ));
    for (lang, why) in [(Lang::En, "reason: "), (Lang::Fr, "motif : ")] {
        let html = report_html(&ReportInput {
            patient_name: "Ana",
            entries: &entries,
            lang,
            ..Default::default()
        });
        let med = item(&html, "Aspirin");
        assert!(med.contains(&format!("{why}gastric bleeding")), "{med}");
        let proc = item(&html, "Colonoscopy");
        assert!(proc.contains(&format!("{why}patient refused")), "{proc}");
    }
}

#[test]
fn each_language_speaks_only_its_own() {
    let entries = record();
    let pts = cgm_mmol();
    let make = |lang| {
        report_html(&ReportInput {
            patient_name: "Ana",
            entries: &entries,
            glucose: Some(GlucoseInput {
                points: &pts,
                unit: "mmol/L",
                offset_seconds: 0,
            }),
            lang,
            ..Default::default()
        })
    };
    let (en, fr) = (make(Lang::En), make(Lang::Fr));
    assert!(en.contains("<html lang=\"en\">") && fr.contains("<html lang=\"fr\">"));
    for words in [
        "Time in ranges",
        "Ambulatory Glucose Profile",
        "Vital Signs",
        "Results",
        "Mean glucose",
        "readings",
        "In range",
    ] {
        assert!(en.contains(words), "en lacks {words}");
        assert!(!fr.contains(words), "fr says {words}");
    }
    for words in [
        "Temps dans les plages",
        "Profil glycémique ambulatoire",
        "Signes vitaux",
        "Résultats",
        "Glycémie moyenne",
        "mesures",
    ] {
        assert!(fr.contains(words), "fr lacks {words}");
        assert!(!en.contains(words), "en says {words}");
    }
    // French numbers take a decimal comma.
    assert!(fr.contains(" mmol/L") && fr.contains(','));
}

#[test]
fn no_trend_under_three_points() {
    let pts = |n: usize| -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                t: 1_700_000_000 + 86_400 * 10 * i as i64,
                value: 70.0 + i as f64,
                second: None,
                censored: None,
                offset: None,
            })
            .collect()
    };
    for lang in Lang::ALL {
        let trend = if lang == Lang::En {
            "trend"
        } else {
            "tendance"
        };
        for (n, drawn) in [(1, false), (2, false), (3, true)] {
            let p = pts(n);
            let svg = chart_svg_in(
                &Chart {
                    kind: ChartKind::Weight,
                    title: "Weight",
                    unit: "kg",
                    points: &p,
                    offset_seconds: 0,
                },
                lang,
            );
            assert_eq!(svg.contains(trend), drawn, "{lang}, {n} points");
            assert_eq!(
                svg.contains("stroke-dasharray=\"8 5\""),
                drawn,
                "{n} points"
            );
        }
    }
    // One reading has no "change over the period".
    let p = pts(1);
    let svg = chart_svg_in(
        &Chart {
            kind: ChartKind::Other,
            title: "Height",
            unit: "cm",
            points: &p,
            offset_seconds: 0,
        },
        Lang::En,
    );
    assert!(!svg.contains("change"), "{svg}");
}

#[test]
fn it_prints_on_a4() {
    let html = report_html(&ReportInput {
        patient_name: "Ana",
        ..Default::default()
    });
    let print = &html[html.find("@media print").unwrap()..];
    assert!(print.contains("@page{size:A4"));
    assert!(print.contains("break-inside:avoid"));
}

#[test]
fn a_measurement_of_words_only_is_named_by_its_words() {
    let mut m = measure("2093-3", "4", "1", "2024-03-01T09:00:00Z");
    m.kind = Code::new(systems::TEXT, "Pain score", Some("Pain score"));
    m.category = Some("laboratory".into());
    let html = report_html(&ReportInput {
        patient_name: "Ana",
        entries: &[entry(0, Entry::Measurement(m))],
        ..Default::default()
    });
    assert!(html.contains("Pain score: <b>4"), "{html}");
}

#[test]
fn ranges_are_judged_in_the_unit_the_device_measured() {
    // 70 mg/dL is in range; converted it is 3.885 mmol/L, which a mmol/L threshold would
    // call low. Shown in mmol/L, the profile still says 100 % in range.
    let pts: Vec<Point> = (0..600)
        .map(|i| Point {
            t: 1_711_929_600 + 300 * i,
            value: 70.0,
            second: None,
            censored: None,
            offset: None,
        })
        .collect();
    let html = report_html(&ReportInput {
        patient_name: "Ana",
        glucose: Some(GlucoseInput {
            points: &pts,
            unit: "mg/dL",
            offset_seconds: 0,
        }),
        glucose_unit: Some("mmol/L"),
        ..Default::default()
    });
    let agp = &html[html.find("class=\"agp\"").unwrap()..];
    let in_range = &agp[agp.find(">In range<").unwrap()..];
    assert!(in_range[..400].contains(">100%<"), "{}", &in_range[..400]);
    assert!(!agp[..agp.find("</section>").unwrap()].contains("mg/dL"));
}

#[test]
fn two_negations_with_different_reasons_keep_each_reason() {
    let mut entries = record();
    let proc = |i, date: &str, why: &str| {
        entry(
            i,
            Entry::Procedure(Procedure {
                name: "Colonoscopy".into(),
                code: None,
                date: Some(date.parse().unwrap()),
                status: ProcedureStatus::NotDone,
                status_reason: Some(why.into()),
            }),
        )
    };
    let med = |i, why: &str| {
        entry(
            i,
            Entry::Medication(Medication {
                name: "Aspirin".into(),
                code: None,
                dosage: None,
                start: None,
                end: None,
                status: MedicationStatus::NotTaken,
                status_reason: Some(why.into()),
            }),
        )
    };
    let vaccine = |i, why: &str| {
        entry(
            i,
            Entry::Immunization(Immunization {
                vaccine: "Hepatitis B vaccine".into(),
                code: None,
                date: Some("2023-01-10".parse().unwrap()),
                date_text: None,
                lot: None,
                status: ImmunizationStatus::NotDone,
                status_reason: Some(why.into()),
            }),
        )
    };
    entries.push(proc(30, "2024-02-01", "patient refused"));
    entries.push(proc(31, "2023-02-01", "bowel preparation incomplete"));
    // The same reason twice is still one line "2 times".
    entries.push(proc(32, "2022-02-01", "patient refused"));
    entries.push(med(33, "gastric bleeding"));
    entries.push(med(34, "allergy to salicylates"));
    entries.push(vaccine(35, "product out of stock"));
    entries.push(vaccine(36, "fever on the day"));
    for lang in [Lang::En, Lang::Fr] {
        let html = report_html(&ReportInput {
            patient_name: "Ana",
            entries: &entries,
            lang,
            ..Default::default()
        });
        let lis = |needle: &str| -> Vec<&str> {
            html.split("<li>")
                .skip(1)
                .map(|li| &li[..li.find("</li>").unwrap()])
                .filter(|li| li.contains(needle))
                .collect()
        };
        let colonoscopy = lis("Colonoscopy");
        assert_eq!(colonoscopy.len(), 2, "{colonoscopy:?}");
        let refused = colonoscopy
            .iter()
            .find(|l| l.contains("patient refused"))
            .unwrap();
        let twice = if lang == Lang::En {
            "2 times"
        } else {
            "2 fois"
        };
        assert!(
            refused.contains(twice) && refused.contains("2024-02-01"),
            "{refused}"
        );
        let prep = colonoscopy
            .iter()
            .find(|l| l.contains("bowel preparation incomplete"))
            .unwrap();
        assert!(
            prep.contains("2023-02-01")
                && !prep.contains("patient refused")
                && !prep.contains(twice),
            "{prep}"
        );
        let aspirin = lis("Aspirin");
        assert_eq!(aspirin.len(), 2, "{aspirin:?}");
        assert!(aspirin.iter().any(|l| l.contains("gastric bleeding")));
        assert!(aspirin.iter().any(|l| l.contains("allergy to salicylates")));
        let hep = lis("Hepatitis B vaccine");
        assert_eq!(hep.len(), 2, "{hep:?}");
        assert!(hep.iter().any(|l| l.contains("product out of stock")));
        assert!(hep.iter().any(|l| l.contains("fever on the day")));
    }
}
