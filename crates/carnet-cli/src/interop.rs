//! `import`, `export`, `chart` and `report`: FHIR R4 and device exports in, FHIR R4 and
//! the International Patient Summary out, and pictures of the record.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use carnet::crypto::RecordId;
use carnet::record::{Date, DateTime, Entry, SectionId};
use carnet::{AttachmentInput, ImportItem, LabeledItem, SeriesPoint, Vault};
use carnet_fhir::{
    DeviceFormat, FhirError, Import, Item, MAX_CSV_BYTES, PatientIdentity, ReadOptions,
    RecordEntry, RecordExport,
};
use carnet_report::{Chart, ChartKind, Point, ReportInput};
use clap::{Args, Subcommand};

use crate::{msg, t};
use serde_json::json;

use crate::commands::{check_out, open, out_name, record_of, say, write_out};
use crate::{Cli, PatientArg, output};

/// Import health data from other systems and devices.
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// An HL7 FHIR R4 Bundle in JSON (collection, document, transaction, batch or
    /// searchset). All or nothing; importing the same bundle again adds nothing.
    Fhir {
        /// The bundle file.
        file: PathBuf,
        /// In a bundle about several patients, the one to import (Patient/ID, as the
        /// refusal lists them); what is about the others is skipped.
        #[arg(long, value_name = "REF")]
        patient_ref: Option<String>,
        /// Import even though the bundle's patient has another name or birth date than
        /// this record's person: you confirm they are the same person.
        #[arg(long)]
        same_person: bool,
        /// Store measurements unusual for their kind (7250 kg, glucose 7.2 mg/dL) marked
        /// as confirmed, instead of refusing the bundle.
        #[arg(long)]
        confirm_unusual: bool,
        /// Leave out resources that are not valid FHIR R4 (each listed with the reason)
        /// instead of refusing the whole bundle; defects only in what Carnet does not keep
        /// (ids, meta, narrative) are ignored and listed.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// A glucose meter's or another device's export. Duplicates of readings already
    /// stored (same device, kind and time) are skipped.
    Csv {
        /// The export file.
        file: PathBuf,
        /// dexcom (Clarity CSV), libre (LibreView CSV), nightscout (entries CSV or JSON),
        /// medtronic (CareLink CSV; sensor glucose only), generic (columns
        /// time,kind,value,unit[,source]).
        #[arg(long)]
        format: DeviceFormat,
        /// Time zone of times written without one (Dexcom, Libre, Medtronic, generic)
        /// [default: this computer's], e.g. Europe/Paris.
        #[arg(long, value_name = "TZ")]
        tz: Option<String>,
        /// Store measurements unusual for their kind (generic CSV) as single entries
        /// marked as confirmed, instead of refusing the file.
        #[arg(long)]
        confirm_unusual: bool,
    },
}

/// Export the record as FHIR R4.
#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// A collection Bundle of the chosen sections (all you can read by default).
    Fhir {
        /// Sections, comma-separated (e.g. allergies,conditions,medications).
        #[arg(long, value_delimiter = ',')]
        sections: Vec<SectionId>,
        /// Where to write it (must not exist).
        #[arg(long)]
        out: PathBuf,
        /// Readings one Observation each, as the HL7 CGM guide has them (for a receiver that reads only that guide), instead of one Observation per day; much larger
        #[arg(long)]
        cgm_ig: bool,
        #[command(flatten)]
        patient: PatientArg,
    },
    /// An International Patient Summary: a document Bundle with its Composition.
    Ips {
        /// Where to write it (must not exist).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        patient: PatientArg,
    },
}

/// Draw a measurement series as an SVG picture.
#[derive(Args, Debug)]
pub struct ChartArgs {
    /// glucose, blood-pressure, weight, heart-rate, temperature, spo2, height, or a LOINC
    /// code.
    pub kind: String,
    /// Where to write the SVG (must not exist).
    #[arg(long)]
    pub out: PathBuf,
    /// Only the last N days of readings.
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Only readings on or after this day (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<Date>,
    /// Only readings on or before this day (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<Date>,
    #[command(flatten)]
    pub patient: PatientArg,
}

/// Write a self-contained HTML summary: the patient summary's sections and charts.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Where to write the HTML (must not exist).
    #[arg(long)]
    pub out: PathBuf,
    /// Days of glucose readings to chart.
    #[arg(long, value_name = "N", default_value_t = 14)]
    pub glucose_days: u32,
    #[command(flatten)]
    pub patient: PatientArg,
}

/// A progress bar on stderr, only for people watching a terminal.
fn progress(cli: &Cli, len: u64, what: &str) -> indicatif::ProgressBar {
    crate::progress::bar(cli, len, what)
}

/// Reads a file after checking its size, so a huge file is refused before it is read.
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    let file = || path.display().to_string();
    let meta = std::fs::metadata(path).with_context(|| msg!("err-cannot-read", file = file()))?;
    if !meta.is_file() {
        bail!(msg!("err-not-a-file", file = file()));
    }
    if meta.len() > max {
        return Err(FhirError::TooLarge {
            size: meta.len(),
            max,
        })
        .with_context(|| msg!("err-file-refused", file = file()));
    }
    std::fs::read(path).with_context(|| msg!("err-cannot-read", file = file()))
}

/// The core's items, taken out of the parsed import (no copy of readings or files).
// A document the FHIR import takes, the vault takes.
const _: () = assert!(carnet_fhir::MAX_ATTACHMENT_BYTES == carnet::MAX_ATTACHMENT);

pub(crate) fn to_items(import: &mut Import) -> Vec<LabeledItem> {
    std::mem::take(&mut import.items)
        .into_iter()
        .map(|m| LabeledItem {
            label: m.label,
            item: match m.item {
                Item::Entry(e) => ImportItem::Entry(e),
                Item::Readings(r) => ImportItem::Readings(r),
                Item::Censored { set, censor } => ImportItem::CensoredReadings { set, censor },
                Item::Document(d) => ImportItem::Document {
                    input: AttachmentInput {
                        title: d.title,
                        doc_type: d.doc_type,
                        file_name: d.file_name,
                        media_type: d.media_type,
                        date: d.date,
                    },
                    bytes: d.bytes,
                },
            },
        })
        .collect()
}

fn merge(a: &BTreeMap<String, usize>, b: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    let mut m = a.clone();
    for (k, v) in b {
        *m.entry(k.clone()).or_default() += v;
    }
    m
}

fn counts_text(m: &BTreeMap<String, usize>) -> String {
    if m.is_empty() {
        return t!("nothing");
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn import(cli: &Cli, cmd: &ImportCommand) -> Result<()> {
    let (file, mut parsed) = match cmd {
        ImportCommand::Fhir {
            file,
            patient_ref,
            confirm_unusual,
            skip_invalid,
            ..
        } => {
            // Streamed: a bundle of any size (years of readings) is read entry by entry;
            // the library bounds each resource and what it holds.
            let name = || file.display().to_string();
            let meta =
                std::fs::metadata(file).with_context(|| msg!("err-cannot-read", file = name()))?;
            if !meta.is_file() {
                bail!(msg!("err-not-a-file", file = name()));
            }
            let reader = std::fs::File::open(file)
                .with_context(|| msg!("err-cannot-read", file = name()))?;
            let bar = progress(cli, 0, &t!("progress-checking"));
            let options = ReadOptions {
                patient_ref: patient_ref.clone(),
                confirm_unusual: *confirm_unusual,
                now: None,
                skip_invalid: *skip_invalid,
                // The bundle's documents wait there, encrypted, while it is read: on the
                // vault's disk rather than a temporary directory that may be in memory.
                spool_dir: crate::commands::vault_dir(cli).ok().filter(|d| d.is_dir()),
            };
            let r = carnet_fhir::read_bundle_from(reader, &options, &mut |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            });
            bar.finish_and_clear();
            (
                file,
                r.with_context(|| msg!("err-not-imported", file = file.display().to_string()))?,
            )
        }
        ImportCommand::Csv {
            file,
            format,
            tz,
            confirm_unusual,
        } => {
            let zone = match tz {
                Some(name) => jiff::tz::TimeZone::get(name)
                    .with_context(|| msg!("err-unknown-tz", name = name.as_str()))?,
                None => jiff::tz::TimeZone::system(),
            };
            let bytes = read_bounded(file, MAX_CSV_BYTES)?;
            let options = carnet_fhir::DeviceOptions {
                confirm_unusual: *confirm_unusual,
            };
            let r = carnet_fhir::read_device_csv_with(&bytes, *format, &zone, &options)
                .with_context(|| msg!("err-not-imported", file = file.display().to_string()))?;
            (file, r)
        }
    };
    // Bad input never opens the vault: the file was read and checked whole first.
    let mut vault = open(cli)?;
    let record = vault.own_record()?;
    let same_person = matches!(
        cmd,
        ImportCommand::Fhir {
            same_person: true,
            ..
        }
    );
    if let Some(who) = &parsed.patient {
        check_same_person(cli, &mut vault, &record, who, same_person)
            .with_context(|| msg!("err-not-imported", file = file.display().to_string()))?;
    }
    let bar = progress(cli, 0, &t!("progress-saving"));
    let items = to_items(&mut parsed);
    let report = vault.import(&record, items, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let report =
        report.with_context(|| msg!("err-not-imported", file = file.display().to_string()))?;
    let skipped = merge(
        &merge(&parsed.skipped, &report.already_present),
        &report.repeated,
    );
    if cli.json {
        output::json(&json!({
            "imported": report.added,
            "skipped": skipped,
            "already_present": report.already_present,
            "repeated_in_file": report.repeated,
            "another_value_at_same_time": report.another_value,
            "not_mapped": parsed.skipped,
            "reasons": parsed.reasons,
            "envelopes": report.envelopes,
            "series_blocks": report.blocks,
            "patient": parsed.patient.as_ref().map(ToString::to_string),
        }))
    } else {
        println!(
            "{}",
            t!(
                "imported",
                file = file.display().to_string(),
                counts = counts_text(&report.added)
            )
        );
        if let Some(who) = &parsed.patient {
            println!(
                "{}",
                t!("import-about", who = crate::errors::patient_text(who))
            );
        }
        if !report.already_present.is_empty() {
            println!(
                "{}",
                t!(
                    "import-already",
                    counts = counts_text(&report.already_present)
                )
            );
        }
        if !report.repeated.is_empty() {
            println!(
                "{}",
                t!("import-repeated", counts = counts_text(&report.repeated))
            );
        }
        if !report.another_value.is_empty() {
            println!(
                "{}",
                t!(
                    "import-another-value",
                    counts = counts_text(&report.another_value)
                )
            );
        }
        if !parsed.reasons.is_empty() {
            println!("{}", t!("import-not-imported"));
            for (why, n) in &parsed.reasons {
                println!("  {n:>6}  {why}");
            }
        }
        if report.blocks > 0 {
            println!(
                "{}",
                t!(
                    "import-blocks",
                    blocks = report.blocks,
                    changes = report.envelopes
                )
            );
        }
        Ok(())
    }
}

/// Refuses a bundle about someone else than the record's person (the rule is
/// `carnet_fhir::differences`), unless the user confirms it is the same person, by
/// `--same-person` or, at a terminal, by answering the question.
fn check_same_person(
    cli: &Cli,
    vault: &mut Vault,
    record: &RecordId,
    who: &PatientIdentity,
    confirmed: bool,
) -> Result<()> {
    let profile = vault
        .list(record, Some(SectionId::Profile))?
        .into_iter()
        .find_map(|v| match v.entry {
            Entry::Profile(p) => Some(p),
            _ => None,
        });
    // A record without a profile takes the first bundle's patient as its person.
    let Some(profile) = profile else {
        return Ok(());
    };
    let why = carnet_fhir::profile_differences(&profile, who);
    if why.is_empty() || confirmed {
        return Ok(());
    }
    // Said when shown: in the language at a terminal, in English inside --json.
    let (name, birth, who) = (
        profile.name.clone(),
        profile.birth_date.clone(),
        who.clone(),
    );
    let what = move || {
        let mine = match &birth {
            Some(d) => t!("person-born", name = name.as_str(), date = d.to_string()),
            None => t!("person-no-birth-date", name = name.as_str()),
        };
        t!(
            "import-other-person",
            who = crate::errors::patient_text(&who),
            mine = mine,
            why = why
                .iter()
                .map(|w| crate::errors::difference_text(w))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    if !cli.json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        eprintln!("{}.", what());
        eprint!("{}", t!("import-same-person-question"));
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        let answer = answer.trim();
        if answer.eq_ignore_ascii_case("same")
            || answer.eq_ignore_ascii_case(&t!("import-same-word"))
        {
            return Ok(());
        }
    }
    Err(crate::errors::refused(crate::i18n::Msg::Keyed {
        id: "import-other-person-refused",
        args: vec![("what", crate::i18n::Arg::Said(crate::i18n::Said::new(what)))],
    }))
}

/// The entries to export with the files of documents.
fn record_entries(
    vault: &mut Vault,
    record: RecordId,
    sections: Option<&[SectionId]>,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<RecordEntry>> {
    let mut out = Vec::new();
    let list = vault.list(&record, None)?;
    bar.set_length(list.len() as u64);
    for v in list {
        bar.inc(1);
        if sections.is_some_and(|s| !s.is_empty() && !s.contains(&v.section)) {
            continue;
        }
        let attachment = match &v.entry {
            Entry::Document(_) => Some(vault.attachment(&record, &v.id)?.1.to_vec()),
            _ => None,
        };
        out.push(RecordEntry {
            id: v.id.to_string(),
            created: v.created,
            entry: v.entry,
            attachment,
        });
    }
    Ok(out)
}

pub fn export(cli: &Cli, cmd: &ExportCommand) -> Result<()> {
    let (out, patient) = match cmd {
        ExportCommand::Fhir { out, patient, .. } | ExportCommand::Ips { out, patient } => {
            (out, patient)
        }
    };
    check_out(cli, out, false)?;
    let mut vault = open(cli)?;
    let record = record_of(&vault, patient.patient.as_deref())?;
    let bar = progress(cli, 0, &t!("progress-reading"));
    let entries = match cmd {
        ExportCommand::Fhir { sections, .. } => {
            record_entries(&mut vault, record, Some(sections), &bar)?
        }
        ExportCommand::Ips { .. } => record_entries(&mut vault, record, None, &bar)?,
    };
    bar.finish_and_clear();
    let spin = crate::progress::spinner(cli, &t!("progress-writing-fhir", n = entries.len()));
    let input = RecordExport {
        record_id: record.to_string(),
        patient_name: vault.card().name().to_string(),
        entries,
        now: DateTime::now(),
        per_reading: matches!(cmd, ExportCommand::Fhir { cgm_ig: true, .. }),
    };
    let export = match cmd {
        ExportCommand::Fhir { .. } => carnet_fhir::export_bundle(&input)?,
        ExportCommand::Ips { .. } => carnet_fhir::export_ips(&input)?,
    };
    // Pretty for people; compact when a series makes it large (a year of CGM readings is
    // 105,120 Observations).
    let bytes = if export.resources.values().sum::<usize>() <= 10_000 {
        serde_json::to_vec_pretty(&export.bundle)?
    } else {
        serde_json::to_vec(&export.bundle)?
    };
    spin.finish_and_clear();
    write_out(out, &bytes)?;
    if cli.json {
        output::json(&json!({
            "out": out,
            "bytes": bytes.len(),
            "resources": export.resources,
            "left_out": export.left_out,
        }))
    } else {
        say(
            out,
            t!(
                "export-written",
                out = out_name(out),
                bytes = bytes.len(),
                counts = counts_text(&export.resources)
            ),
        );
        for (what, n) in &export.left_out {
            say(
                out,
                format!(
                    "  {}",
                    t!("export-left-out", n = *n, what = what.to_string())
                ),
            );
        }
        Ok(())
    }
}

/// LOINC codes drawn for a chart kind, its picture kind and title.
fn chart_spec(kind: &str) -> Result<(ChartKind, String, Vec<&str>)> {
    Ok(match kind.trim().to_ascii_lowercase().as_str() {
        "glucose" => (
            ChartKind::Glucose,
            t!("chart-title-glucose"),
            vec![
                "99504-3", "14745-4", "2339-0", "15074-8", "41653-7", "14743-9", "2345-7",
                "14749-6",
            ],
        ),
        "blood-pressure" | "bp" => (
            ChartKind::BloodPressure,
            t!("chart-title-blood-pressure"),
            vec!["85354-9", "55284-4", "35094-2"],
        ),
        "weight" => (
            ChartKind::Weight,
            t!("chart-title-weight"),
            vec!["29463-7", "3141-9"],
        ),
        "heart-rate" => (
            ChartKind::Other,
            t!("chart-title-heart-rate"),
            vec!["8867-4"],
        ),
        "temperature" => (
            ChartKind::Other,
            t!("chart-title-temperature"),
            vec!["8310-5"],
        ),
        "spo2" => (
            ChartKind::Other,
            t!("chart-title-spo2"),
            vec!["59408-5", "2708-6"],
        ),
        "height" => (ChartKind::Other, t!("chart-title-height"), vec!["8302-2"]),
        other
            if other.split_once('-').is_some_and(|(a, b)| {
                a.bytes().all(|c| c.is_ascii_digit())
                    && b.len() == 1
                    && b.bytes().all(|c| c.is_ascii_digit())
            }) =>
        {
            (ChartKind::Other, format!("LOINC {other}"), vec![])
        }
        other => bail!(msg!("err-unknown-chart", kind = other)),
    })
}

/// Glucose in mg/dL = mmol/L x 18.016 (molar mass 180.16 g/mol).
const GLUCOSE_MG_PER_MMOL: f64 = 18.016;

/// The readings of one chart, in the unit most of them use.
fn chart_points(points: Vec<SeriesPoint>, kind: ChartKind) -> (Vec<Point>, String, i32) {
    let mut by_unit: BTreeMap<String, usize> = BTreeMap::new();
    for p in &points {
        *by_unit.entry(p.unit.clone()).or_default() += 1;
    }
    let unit = by_unit
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(u, _)| u.clone())
        .unwrap_or_default();
    let offset = points.last().map(|p| p.at.offset_seconds()).unwrap_or(0);
    let pts = points
        .into_iter()
        .filter_map(|p| {
            let v = if p.unit == unit {
                p.value
            } else if kind == ChartKind::Glucose
                && unit == "mg/dL"
                && p.unit.eq_ignore_ascii_case("mmol/L")
            {
                p.value * GLUCOSE_MG_PER_MMOL
            } else if kind == ChartKind::Glucose && unit == "mmol/L" && p.unit == "mg/dL" {
                p.value / GLUCOSE_MG_PER_MMOL
            } else {
                return None;
            };
            Some(Point {
                t: p.at.sort_key(),
                value: v,
                second: p.second,
                censored: p.censored,
                offset: Some(p.at.offset_seconds()),
            })
        })
        .collect();
    (pts, unit, offset)
}

fn draw(
    vault: &mut Vault,
    record: RecordId,
    kind: &str,
    since: Option<i64>,
    until: Option<i64>,
) -> Result<(String, usize, String)> {
    let (ck, title, mut codes) = chart_spec(kind)?;
    let owned = kind.trim().to_string();
    if codes.is_empty() {
        codes.push(&owned);
    }
    let mut points = vault.readings(&record, &codes)?;
    let last = points.last().map(|p| p.at.sort_key());
    points.retain(|p| {
        let t = p.at.sort_key();
        since.is_none_or(|s| t >= s.min(last.unwrap_or(s))) && until.is_none_or(|u| t <= u)
    });
    let (pts, unit, offset) = chart_points(points, ck);
    let svg = carnet_report::chart_svg(&Chart {
        kind: ck,
        title: &title,
        unit: &unit,
        points: &pts,
        offset_seconds: offset,
    });
    Ok((svg, pts.len(), title))
}

pub fn chart(cli: &Cli, args: &ChartArgs) -> Result<()> {
    chart_spec(&args.kind)?;
    check_out(cli, &args.out, false)?;
    let mut vault = open(cli)?;
    let record = record_of(&vault, args.patient.patient.as_deref())?;
    let readings = vault.readings(&record, &chart_spec(&args.kind)?.2)?;
    // --from and --to are the patient's days: in the offset of the readings around them.
    let offset_near = |t: i64| {
        readings
            .iter()
            .find(|p| p.at.sort_key() >= t - 14 * 3600)
            .or(readings.last())
            .map(|p| i64::from(p.at.offset_seconds()))
            .unwrap_or(0)
    };
    let since = match (&args.days, &args.from) {
        (Some(d), _) => {
            let last = readings.last().map(|p| p.at.sort_key()).unwrap_or(0);
            Some(last - i64::from(*d) * 86_400)
        }
        (None, Some(f)) => Some(f.sort_key() - offset_near(f.sort_key())),
        (None, None) => None,
    };
    let until = args.to.as_ref().map(|d| {
        let end = d.sort_key() + 86_399;
        end - offset_near(end)
    });
    let (svg, n, title) = draw(&mut vault, record, &args.kind, since, until)?;
    write_out(&args.out, svg.as_bytes())?;
    if cli.json {
        // The chart's name inside JSON stays English, as every text there.
        let kind = crate::i18n::in_english(|| chart_spec(&args.kind).map(|s| s.1))?;
        output::json(&json!({"out": args.out, "readings": n, "kind": kind, "bytes": svg.len()}))
    } else {
        say(
            &args.out,
            t!(
                "chart-written",
                out = out_name(&args.out),
                title = title.as_str(),
                n = n
            ),
        );
        Ok(())
    }
}

pub fn report(cli: &Cli, args: &ReportArgs) -> Result<()> {
    check_out(cli, &args.out, false)?;
    let mut vault = open(cli)?;
    let record = record_of(&vault, args.patient.patient.as_deref())?;
    let entries: Vec<RecordEntry> = vault
        .list(&record, None)?
        .into_iter()
        .filter(|v| !matches!(v.entry, Entry::Series(_)))
        .map(|v| RecordEntry {
            id: v.id.to_string(),
            created: v.created,
            entry: v.entry,
            attachment: None,
        })
        .collect();
    let mut charts = Vec::new();
    // Device glucose (not lab values): the report draws its profile and chart, in one unit.
    let glucose: Vec<SeriesPoint> = vault.readings(&record, &chart_spec("glucose")?.2)?;
    let glucose = glucose.into_iter().filter(|p| p.dense).collect();
    let (glucose, glucose_unit, glucose_offset) = chart_points(glucose, ChartKind::Glucose);
    let bar = progress(cli, 2, &t!("progress-charts"));
    for kind in ["blood-pressure", "weight"] {
        bar.inc(1);
        let points = vault.readings(&record, &chart_spec(kind)?.2)?;
        if points.is_empty() {
            continue;
        }
        let (svg, n, title) = draw(&mut vault, record, kind, None, None)?;
        charts.push((
            t!("report-chart-caption", title = title.as_str(), n = n),
            svg,
        ));
    }
    bar.finish_and_clear();
    let now = DateTime::now();
    let html = carnet_report::report_html(&ReportInput {
        patient_name: vault.card().name(),
        entries: &entries,
        charts,
        generated: now.as_str(),
        glucose: Some(carnet_report::GlucoseInput {
            points: &glucose,
            unit: &glucose_unit,
            offset_seconds: glucose_offset,
        }),
        glucose_days: Some(args.glucose_days),
        // The report speaks the user's language, as the rest of the CLI does.
        lang: match crate::i18n::lang() {
            crate::i18n::Lang::Fr => carnet_report::Lang::Fr,
            crate::i18n::Lang::En => carnet_report::Lang::En,
        },
        ..Default::default()
    });
    write_out(&args.out, html.as_bytes())?;
    if cli.json {
        output::json(&json!({"out": args.out, "bytes": html.len()}))
    } else {
        say(
            &args.out,
            t!(
                "report-written",
                out = out_name(&args.out),
                bytes = html.len()
            ),
        );
        Ok(())
    }
}
