//! Writes the HTML report of a record made from files, without a vault, to look at it
//! (`scripts/render-report.sh` renders it in headless Chromium):
//!
//! cargo run -p carnet-report --example report -- LANG OUT.html BUNDLE.json CLARITY.csv [GLUCOSE_UNIT]
//!
//! The bundle gives the profile, problems, results...; the Clarity export the CGM
//! readings (local times in Europe/Paris). A few entries are added to show what the report
//! does with them: a blood pressure of 185/115, a note, a document, an eGFR below its
//! reference range, a vaccination not given.

use carnet_fhir::{Item, RecordEntry, read_bundle, read_device_csv};
use carnet_record::{
    BlobRef, Code, DocType, Document, Entry, Immunization, ImmunizationStatus, Measurement, Note,
    ReferenceRange,
};
use carnet_report::{Chart, ChartKind, GlucoseInput, Lang, Point, ReportInput};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [lang, out, bundle, csv, rest @ ..] = args.as_slice() else {
        eprintln!("usage: report LANG OUT.html BUNDLE.json CLARITY.csv [mg/dL|mmol/L]");
        std::process::exit(2);
    };
    let lang: Lang = lang.parse().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let imp = read_bundle(&std::fs::read(bundle).expect("bundle"), &mut |_, _| {})
        .expect("a valid bundle");
    let mut entries: Vec<Entry> = imp
        .items
        .into_iter()
        .filter_map(|m| match m.item {
            Item::Entry(e) => Some(e),
            _ => None,
        })
        .collect();
    let at = |s: &str| s.parse().unwrap();
    entries.push(Entry::Measurement(
        Measurement::from_input(
            "blood-pressure",
            "185/115",
            "mmHg",
            at("2024-04-01T08:00:00Z"),
            None,
        )
        .unwrap(),
    ));
    let mut egfr = Measurement::from_input(
        "33914-3",
        "53",
        "mL/min/{1.73_m2}",
        at("2024-03-01T09:00:00Z"),
        None,
    )
    .unwrap();
    egfr.kind.display = Some("eGFR (MDRD)".into());
    egfr.category = Some("laboratory".into());
    egfr.reference_range = vec![ReferenceRange {
        low: Some(60.0),
        high: None,
        unit: Some("mL/min/{1.73_m2}".into()),
        text: None,
    }];
    egfr.interpretation = vec![Code::new(
        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "L",
        Some("Low"),
    )];
    entries.push(Entry::Measurement(egfr));
    entries.push(Entry::Note(Note {
        text: "Hypoglycaemia at night after sport; took 15 g of sugar.".into(),
        title: Some("Diary".into()),
    }));
    entries.push(Entry::Document(Document {
        title: "Discharge letter, cardiology".into(),
        doc_type: DocType::Letter,
        date: at("2024-02-10T12:00:00Z"),
        blob: BlobRef {
            id: "00".into(),
            key: "00".into(),
            size: 48_213,
            media_type: "application/pdf".into(),
            file_name: None,
            sha1: None,
        },
    }));
    entries.push(Entry::Immunization(Immunization {
        vaccine: "Influenza, seasonal, injectable".into(),
        code: None,
        date: Some("2023-10-02".parse().unwrap()),
        lot: None,
        status: ImmunizationStatus::NotDone,
        status_reason: Some("product out of stock".into()),
        date_text: None,
    }));
    let records: Vec<RecordEntry> = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| RecordEntry {
            id: format!("e{i}"),
            created: at("2024-05-01T10:00:00Z"),
            entry,
            attachment: None,
        })
        .collect();
    // Blood pressure and weight charts, as the CLI draws them.
    let mut charts = Vec::new();
    for (kind, code, title) in [
        (ChartKind::BloodPressure, "85354-9", "Blood pressure"),
        (ChartKind::Weight, "29463-7", "Weight"),
    ] {
        let mut pts: Vec<(Point, String)> = records
            .iter()
            .filter_map(|e| match &e.entry {
                Entry::Measurement(m) if m.kind.code == code => Some((
                    Point {
                        t: m.at.sort_key(),
                        value: m.value.or(m.components.first().map(|c| c.value))?,
                        second: m.components.get(1).map(|c| c.value),
                        censored: None,
                        offset: None,
                    },
                    m.unit.clone(),
                )),
                _ => None,
            })
            .collect();
        pts.sort_by_key(|(p, _)| p.t);
        let unit = pts.first().map(|p| p.1.clone()).unwrap_or_default();
        let points: Vec<Point> = pts.into_iter().map(|(p, _)| p).collect();
        let svg = carnet_report::chart_svg_in(
            &Chart {
                kind,
                title,
                unit: &unit,
                points: &points,
                offset_seconds: 3600,
            },
            lang,
        );
        charts.push((format!("{title} ({})", points.len()), svg));
    }
    let tz = jiff::tz::TimeZone::get("Europe/Paris").expect("tzdata");
    let cgm = read_device_csv(
        &std::fs::read(csv).expect("csv"),
        carnet_fhir::DeviceFormat::Dexcom,
        &tz,
    )
    .expect("a Clarity export");
    let mut points = Vec::new();
    let mut offset = 0;
    for m in cgm.items {
        let (set, censored) = match m.item {
            Item::Readings(set) => (set, None),
            Item::Censored { set, censor } => (set, Some(censor)),
            _ => continue,
        };
        if set.kind.code != "99504-3" {
            continue;
        }
        for r in set.readings {
            offset = r.at.offset_seconds();
            points.push(Point {
                t: r.at.sort_key(),
                value: r.value,
                second: None,
                censored,
                offset: None,
            });
        }
    }
    points.sort_by_key(|p| p.t);
    let html = carnet_report::report_html(&ReportInput {
        patient_name: "Patient",
        entries: &records,
        charts,
        generated: "2026-11-30T12:00:00Z",
        lang,
        glucose: Some(GlucoseInput {
            points: &points,
            unit: "mg/dL",
            offset_seconds: offset,
        }),
        glucose_days: Some(3),
        glucose_unit: rest.first().map(String::as_str),
    });
    std::fs::write(out, html).expect("write");
}
