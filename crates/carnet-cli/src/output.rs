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
        let v = serde_json::json!({ "error": text, "kind": crate::errors::kind(e).as_str() });
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

/// A person's name, else the start of their id.
fn name_or_id(name: Option<&String>, id: &str) -> String {
    name.cloned()
        .unwrap_or_else(|| id.chars().take(8).collect())
}

fn author(v: &EntryView) -> String {
    let name = name_or_id(v.author_name.as_ref(), &v.author);
    match v.author_role.as_deref() {
        Some("clinician") => t!("author-clinician", name = name),
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

/// One line per entry.
pub fn entries(list: &[EntryView]) {
    if list.is_empty() {
        println!("{}", t!("list-empty"));
        return;
    }
    let width = section_width();
    for v in list {
        println!(
            "{}  {} {}  [{}]",
            v.id,
            pad(&words::section(v.section), width),
            words::summary(&v.entry),
            by_line(v)
        );
    }
}

/// The people who changed an entry since it was created, by name where known.
fn editors(v: &EntryView) -> String {
    let mut names: Vec<String> = Vec::new();
    for e in &v.edits {
        let name = name_or_id(e.by_name.as_ref(), &e.by);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// A label of `show`, padded so the values line up.
fn label(id: &str) -> String {
    let text = crate::i18n::message(id, &[]);
    pad(&format!("{text}:"), 10)
}

/// Every field of one entry.
pub fn entry(v: &EntryView) -> anyhow::Result<()> {
    println!(
        "{} ({})",
        words::summary(&v.entry),
        words::section(v.section)
    );
    println!("  {}{}", label("label-id"), v.id);
    println!("  {}{} ({})", label("label-author"), author(v), v.author);
    if v.prescriber.is_some() {
        println!("  {}", t!("show-prescriber-verified", name = author(v)));
    } else if v.entry.kind() == "medication" && v.author_role.as_deref() == Some("clinician") {
        println!(
            "  {}",
            t!(
                "show-prescriber-changed",
                name = author(v),
                editors = editors(v)
            )
        );
    }
    println!("  {}{}", label("label-created"), v.created);
    for e in &v.edits {
        let who = name_or_id(e.by_name.as_ref(), &e.by);
        let device = e
            .device
            .as_deref()
            .map(|d| t!("show-edit-device", device = &d[..8.min(d.len())]))
            .unwrap_or_default();
        let when =
            e.at.as_ref()
                .map(|t| t!("show-edit-when", at = t.to_string()))
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
            println!("  {}: {shown}", field_name(k));
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
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map(words::number).unwrap_or_default(),
        Value::Object(o) if o.contains_key("code") && o.contains_key("system") => {
            let code = o.get("code").and_then(Value::as_str).unwrap_or("");
            let system = o.get("system").and_then(Value::as_str).unwrap_or("");
            let system = match system {
                "http://loinc.org" => "LOINC",
                "http://snomed.info/sct" => "SNOMED CT",
                other => other,
            };
            match o.get("display").and_then(Value::as_str) {
                Some(d) => format!("{d} ({system} {code})"),
                None => format!("{system} {code}"),
            }
        }
        Value::Array(parts) if k == "components" => parts
            .iter()
            .map(|p| {
                let name = p
                    .get("code")
                    .and_then(|c| c.get("display"))
                    .and_then(Value::as_str)
                    .unwrap_or("?");
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
        let who = name_or_id(h.by_name.as_ref(), &h.by);
        let device = h
            .device
            .as_deref()
            .map(|d| t!("history-device", device = &d[..8.min(d.len())]))
            .unwrap_or_default();
        let when =
            h.at.as_ref()
                .map(|t| t.to_string())
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
