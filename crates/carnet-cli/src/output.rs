//! Everything the command line prints. Text for people, one JSON document for scripts;
//! errors on stderr.

use std::io::IsTerminal;

use carnet::{EntryView, HistoryView};
use serde::Serialize;

/// Whether to colour: only on a terminal, and never when NO_COLOR is set.
fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Prints an error and its causes on stderr.
pub fn error(json: bool, e: &anyhow::Error) {
    if json {
        let v = serde_json::json!({ "error": format!("{e:#}") });
        eprintln!("{v}");
    } else if colour() {
        eprintln!("\x1b[31merror:\x1b[0m {e:#}");
    } else {
        eprintln!("error: {e:#}");
    }
}

/// Prints one JSON document on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn author(v: &EntryView) -> String {
    let name = match &v.author_name {
        Some(n) => n.clone(),
        None => v.author.chars().take(8).collect(),
    };
    match v.author_role.as_deref() {
        Some("clinician") => format!("{name}, clinician"),
        _ => name,
    }
}

/// One line per entry.
pub fn entries(list: &[EntryView]) {
    if list.is_empty() {
        println!("(no entries)");
        return;
    }
    for v in list {
        let mut by = match &v.prescriber {
            Some(_) => format!("prescribed by {}, signature verified", author(v)),
            None => format!("by {}", author(v)),
        };
        if v.edited {
            by.push_str(&format!(", edited by {}", editors(v)));
        }
        println!("{}  {:<13} {}  [{by}]", v.id, v.section, v.entry.summary());
    }
}

/// The people who changed an entry since it was created, by name where known.
fn editors(v: &EntryView) -> String {
    let mut names: Vec<String> = Vec::new();
    for e in &v.edits {
        let name = e
            .by_name
            .clone()
            .unwrap_or_else(|| e.by.chars().take(8).collect());
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// Every field of one entry.
pub fn entry(v: &EntryView) -> anyhow::Result<()> {
    println!("{} ({})", v.entry.summary(), v.section);
    println!("  id:       {}", v.id);
    println!("  author:   {} ({})", author(v), v.author);
    if v.prescriber.is_some() {
        println!(
            "  prescriber: {} (verified from the signature of the change that wrote it; every field is theirs)",
            author(v)
        );
    } else if v.entry.kind() == "medication" && v.author_role.as_deref() == Some("clinician") {
        println!(
            "  prescriber: {} wrote it, but {} changed it since: this is not the prescriber's own writing",
            author(v),
            editors(v)
        );
    }
    println!("  created:  {}", v.created);
    for e in &v.edits {
        let who = e
            .by_name
            .clone()
            .unwrap_or_else(|| e.by.chars().take(8).collect());
        let device = e
            .device
            .as_deref()
            .map(|d| format!(", device {}", &d[..8.min(d.len())]))
            .unwrap_or_default();
        let when =
            e.at.as_ref()
                .map(|t| format!(" on {t}"))
                .unwrap_or_default();
        println!("  edited:   {} by {who}{device}{when}", e.field);
    }
    let value = serde_json::to_value(&v.entry)?;
    if let Some(map) = value.as_object() {
        for (k, val) in map {
            if k == "type" || k == "blob" || (k == "data" && v.entry.kind() == "series") {
                continue;
            }
            let shown = match val {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            println!("  {k}: {shown}");
        }
        if let Some(blob) = map.get("blob") {
            let size = blob.get("size").and_then(|s| s.as_u64()).unwrap_or(0);
            let mt = blob
                .get("media_type")
                .and_then(|s| s.as_str())
                .unwrap_or("");
            println!(
                "  file: {size} bytes, {mt} (carnet get-attachment {} --out FILE)",
                v.id
            );
        }
    }
    Ok(())
}

/// One line per change of an entry's history.
pub fn history(steps: &[HistoryView]) {
    for h in steps {
        let who = h
            .by_name
            .clone()
            .unwrap_or_else(|| h.by.chars().take(8).collect());
        let device = h
            .device
            .as_deref()
            .map(|d| format!(" (device {})", &d[..8.min(d.len())]))
            .unwrap_or_default();
        let when =
            h.at.as_ref()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "time not recorded".into());
        let what = match h.kind {
            carnet::record::HistoryKind::Created => "created".to_string(),
            carnet::record::HistoryKind::Removed => "removed".to_string(),
            _ => format!("changed {}", h.fields.join(", ")),
        };
        println!("{when}  {who}{device}: {what}");
    }
}
