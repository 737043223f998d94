//! Everything the command line prints. Text for people, one JSON document for scripts;
//! errors on stderr.

use std::io::IsTerminal;

use carnet::{EntryView, HistoryView};
use serde::Serialize;

use crate::t;
use crate::words;

/// Whether to colour: only on a terminal, and never when NO_COLOR is set.
fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Prints an error and its causes on stderr, in the language of messages (the kinds of
/// error Carnet knows are translated; others keep the library's English text). With
/// `--json`, the text is English whatever the language, for scripts, with a stable `kind`.
pub fn error(json: bool, e: &anyhow::Error) {
    if json {
        let text = crate::i18n::in_english(|| crate::errors::text(e));
        let mut v = serde_json::json!({ "error": text, "kind": crate::errors::kind(e).as_str() });
        if let Some(code) = crate::errors::code(e) {
            v["code"] = code.into();
        }
        eprintln!("{v}");
        return;
    }
    let text = crate::errors::text(e);
    let label = t!("error-label");
    if colour() {
        eprintln!("\x1b[31m{label}\x1b[0m {text}");
    } else {
        eprintln!("{label} {text}");
    }
}

/// Prints one JSON document on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A person id as text ("unknown" when the vault does not know who made a change).
fn id_text(id: Option<carnet::crypto::PersonId>) -> String {
    id.map_or_else(|| "unknown".to_string(), |p| p.to_string())
}

/// A person's name, else the start of their id.
fn name_or_id(name: Option<&String>, id: &str) -> String {
    name.cloned()
        .unwrap_or_else(|| id.chars().take(8).collect())
}

fn author(v: &EntryView) -> String {
    let name = name_or_id(v.author_name.as_ref(), &id_text(v.author));
    match v.author_role {
        Some(carnet::crypto::Role::Clinician) => t!("author-clinician", name = name),
        _ => name,
    }
}

/// The width of the section column: the longest section name in the language.
pub fn section_width() -> usize {
    carnet::record::SectionId::ALL
        .iter()
        .map(|s| words::section(*s).chars().count())
        .max()
        .unwrap_or(13)
        .max(13)
}

/// `text` padded with spaces to `width` characters.
pub fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(n)))
}

/// Who wrote an entry, in brackets, for its list line.
pub fn by_line(v: &EntryView) -> String {
    let mut by = match &v.prescriber {
        Some(_) => t!("by-prescriber", name = author(v)),
        None => t!("by-author", name = author(v)),
    };
    if v.edited {
        by.push_str(&t!("by-edited", names = editors(v)));
    }
    by
}

/// What a line of `list` or `timeline` shows: an entry, or a whole series of day blocks.
pub enum Row<'a> {
    Entry(&'a EntryView),
    /// The blocks of one series (same kind, unit and source), in the list's order.
    Series(Vec<&'a EntryView>),
}

/// The rows of a list in its order: each series of two blocks or more as one row, placed
/// where its first block was, unless `days` asks for every block.
pub fn rows(list: &[EntryView], days: bool) -> Vec<Row<'_>> {
    use carnet::record::Entry;
    let mut out: Vec<Row<'_>> = Vec::new();
    let mut at: std::collections::HashMap<(String, String, String, Option<String>), usize> =
        Default::default();
    let mut count: std::collections::HashMap<(String, String, String, Option<String>), usize> =
        Default::default();
    let key = |s: &carnet::record::Series| {
        (
            s.kind.system.clone(),
            s.kind.code.clone(),
            s.unit.clone(),
            s.source.clone(),
        )
    };
    if !days {
        for v in list {
            if let Entry::Series(s) = &v.entry {
                *count.entry(key(s)).or_default() += 1;
            }
        }
    }
    for v in list {
        match &v.entry {
            Entry::Series(s) if !days && count.get(&key(s)).copied().unwrap_or(0) > 1 => {
                match at.get(&key(s)) {
                    Some(&i) => {
                        if let Row::Series(blocks) = &mut out[i] {
                            blocks.push(v);
                        }
                    }
                    None => {
                        at.insert(key(s), out.len());
                        out.push(Row::Series(vec![v]));
                    }
                }
            }
            _ => out.push(Row::Entry(v)),
        }
    }
    out
}

/// A series in one line: its kind, how many readings over how many days, the first and
/// last day, the latest reading.
pub fn series_line(blocks: &[&EntryView]) -> String {
    use carnet::record::Entry;
    let series: Vec<&carnet::record::Series> = blocks
        .iter()
        .filter_map(|v| match &v.entry {
            Entry::Series(s) => Some(s),
            _ => None,
        })
        .collect();
    let Some(first) = series.first() else {
        return String::new();
    };
    let n: usize = series.iter().map(|s| s.data.len()).sum();
    let start = series
        .iter()
        .map(|s| s.data.start())
        .min_by_key(|d| d.sort_key());
    let end = series
        .iter()
        .map(|s| s.data.end())
        .max_by_key(|d| d.sort_key());
    let days = match (start, end) {
        (Some(a), Some(b)) if a.date() != b.date() => t!(
            "days-range",
            first = a.date().to_string(),
            last = b.date().to_string()
        ),
        (Some(a), _) => a.date().to_string(),
        _ => String::new(),
    };
    let latest = series
        .iter()
        .filter_map(|s| words::series_latest(s))
        .max_by_key(|(at, _)| at.sort_key());
    let (at, value) = latest
        .map(|(at, v)| (words::moment(&at), v))
        .unwrap_or_default();
    let mut text = t!(
        "series-summary",
        name = words::series_name(first),
        n = n,
        blocks = series.len(),
        days = days,
        latest = value,
        at = at
    );
    if let Some(src) = &first.source {
        text.push_str(", ");
        text.push_str(src);
    }
    text
}

/// One line per entry, a series of day blocks as one line (unless `days`).
pub fn entries(list: &[EntryView], days: bool) {
    if list.is_empty() {
        println!("{}", t!("list-empty"));
        return;
    }
    let width = section_width();
    let mut summarised = 0;
    for row in rows(list, days) {
        match row {
            Row::Entry(v) => println!(
                "{}  {} {}  [{}]",
                v.id,
                pad(&words::section(v.section), width),
                words::summary(&v.entry),
                by_line(v)
            ),
            Row::Series(blocks) => {
                summarised += 1;
                println!(
                    "{}  {} {}  [{}]",
                    pad("", 10),
                    pad(&words::section(blocks[0].section), width),
                    series_line(&blocks),
                    by_line(blocks[0])
                );
            }
        }
    }
    if summarised > 0 && std::io::stdout().is_terminal() {
        println!("{}", t!("series-summary-hint", n = summarised));
    }
}

/// The people who changed an entry since it was created, by name where known.
fn editors(v: &EntryView) -> String {
    let mut names: Vec<String> = Vec::new();
    for e in &v.edits {
        let name = name_or_id(e.by_name.as_ref(), &id_text(e.by));
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// A label of `show`, padded so the values line up.
fn label(id: &str) -> String {
    let text = crate::i18n::message(id, &[]);
    pad(&t!("label-colon", label = text), 10)
}

/// Every field of one entry.
pub fn entry(v: &EntryView) -> anyhow::Result<()> {
    println!(
        "{} ({})",
        words::summary(&v.entry),
        words::section(v.section)
    );
    println!("  {}{}", label("label-id"), v.id);
    println!(
        "  {}{} ({})",
        label("label-author"),
        author(v),
        id_text(v.author)
    );
    if v.prescriber.is_some() {
        println!("  {}", t!("show-prescriber-verified", name = author(v)));
    } else if v.entry.kind() == "medication"
        && v.author_role == Some(carnet::crypto::Role::Clinician)
    {
        println!(
            "  {}",
            t!(
                "show-prescriber-changed",
                name = author(v),
                editors = editors(v)
            )
        );
    }
    println!("  {}{}", label("label-created"), words::moment(&v.created));
    for e in &v.edits {
        let who = name_or_id(e.by_name.as_ref(), &id_text(e.by));
        let device = e
            .device
            .map(|d| {
                let d = d.to_string();
                t!("show-edit-device", device = &d[..8.min(d.len())])
            })
            .unwrap_or_default();
        let when =
            e.at.as_ref()
                .map(|t| t!("show-edit-when", at = words::moment(t)))
                .unwrap_or_default();
        println!(
            "  {}{}",
            label("label-edited"),
            t!(
                "show-edit",
                field = field_name(&e.field),
                who = who,
                device = device,
                when = when
            )
        );
    }
    let value = serde_json::to_value(&v.entry)?;
    if let Some(map) = value.as_object() {
        for (k, val) in map {
            if k == "type" || k == "blob" || (k == "data" && v.entry.kind() == "series") {
                continue;
            }
            let shown = field_value(k, val);
            println!("  {} {shown}", t!("label-colon", label = field_name(k)));
        }
        if let Some(blob) = map.get("blob") {
            let size = blob.get("size").and_then(|s| s.as_u64()).unwrap_or(0);
            let mt = blob
                .get("media_type")
                .and_then(|s| s.as_str())
                .unwrap_or("");
            println!(
                "  {}",
                t!(
                    "show-file",
                    size = size,
                    media_type = mt,
                    id = v.id.to_string()
                )
            );
        }
    }
    Ok(())
}

/// A field's value for people: a unit as people write it, a number with the language's
/// decimal mark, a code by its name, a panel's parts one after the other.
fn field_value(k: &str, val: &serde_json::Value) -> String {
    use serde_json::Value;
    match val {
        Value::String(s) if k == "unit" => words::unit(s),
        Value::String(s)
            if matches!(
                k,
                "at" | "date" | "onset" | "abatement" | "start" | "end" | "asserted"
            ) =>
        {
            words::moment_text(s)
        }
        Value::String(s) if k == "section" => s
            .parse::<carnet::record::SectionId>()
            .map(words::section)
            .unwrap_or_else(|_| s.clone()),
        Value::String(s) if matches!(k, "status" | "criticality" | "doc_type" | "sex") => {
            words::word(s)
        }
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map(words::number).unwrap_or_default(),
        Value::Object(o) if o.contains_key("code") && o.contains_key("system") => {
            let code = o.get("code").and_then(Value::as_str).unwrap_or("");
            let system = o.get("system").and_then(Value::as_str).unwrap_or("");
            let known = words::code_name(system, code);
            let system = match system {
                "http://loinc.org" => "LOINC",
                "http://snomed.info/sct" => "SNOMED CT",
                other => other,
            };
            match known
                .as_deref()
                .or(o.get("display").and_then(Value::as_str))
            {
                Some(d) => format!("{d} ({system} {code})"),
                None => format!("{system} {code}"),
            }
        }
        Value::Object(o) if k == "emergency_contact" => ["name", "phone", "relationship"]
            .iter()
            .filter_map(|f| o.get(*f).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(parts) if k == "components" => parts
            .iter()
            .map(|p| {
                let code = p.get("code");
                let text = |f: &str| code.and_then(|c| c.get(f)).and_then(Value::as_str);
                let name =
                    words::code_name(text("system").unwrap_or(""), text("code").unwrap_or(""))
                        .or_else(|| text("display").map(str::to_string))
                        .unwrap_or_else(|| "?".into());
                let value = p.get("value").and_then(Value::as_f64).unwrap_or(f64::NAN);
                let unit = p.get("unit").and_then(Value::as_str).unwrap_or("");
                format!("{name} {} {}", words::number(value), words::unit(unit))
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// A field's name for people (`field-<name>` in the messages), else as `show --json`
/// names it.
fn field_name(k: &str) -> String {
    let id = format!("field-{k}");
    let text = crate::i18n::message(&id, &[]);
    if text == id { k.to_string() } else { text }
}

/// One line per change of an entry's history.
pub fn history(steps: &[HistoryView]) {
    for h in steps {
        let who = name_or_id(h.by_name.as_ref(), &id_text(h.by));
        let device = h
            .device
            .map(|d| {
                let d = d.to_string();
                t!("history-device", device = &d[..8.min(d.len())])
            })
            .unwrap_or_default();
        let when =
            h.at.as_ref()
                .map(words::moment)
                .unwrap_or_else(|| t!("history-no-time"));
        let what = match h.kind {
            carnet::record::HistoryKind::Created => t!("history-created"),
            carnet::record::HistoryKind::Removed => t!("history-removed"),
            _ => t!(
                "history-changed",
                fields = h
                    .fields
                    .iter()
                    .map(|f| field_name(f))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        println!("{when}  {who}{device}: {what}");
    }
}
