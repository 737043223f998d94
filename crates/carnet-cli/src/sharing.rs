//! Contacts, grants, the access log and the auditor's commands.

use anyhow::{Context, Result, bail};
use carnet::consent::{Access, AuditExport, GrantId};
use serde_json::json;

use crate::commands::{open, write_private};
use crate::{AuditCommand, Cli, ContactCommand, GrantArgs, ShareCommand, output};

fn when(t: u64) -> String {
    carnet::record::DateTime::from_unix(t as i64)
        .map(|d| d.to_string())
        .unwrap_or_else(|| t.to_string())
}

pub fn contact(cli: &Cli, cmd: &ContactCommand) -> Result<()> {
    match cmd {
        ContactCommand::Add { name, card } => {
            let mut vault = open(cli)?;
            let c = vault.add_contact(name, card)?;
            if cli.json {
                output::json(&json!({ "name": c.name, "id": c.id.to_string(), "role": c.role }))
            } else {
                println!("Added {} ({}, {}).", c.name, c.role, c.id.short());
                Ok(())
            }
        }
        ContactCommand::List => {
            let vault = open(cli)?;
            let list = vault.contacts()?;
            if cli.json {
                let v: Vec<_> = list
                    .iter()
                    .map(|c| json!({ "name": c.name, "id": c.id.to_string(), "role": c.role, "card": c.card }))
                    .collect();
                output::json(&v)
            } else {
                if list.is_empty() {
                    println!("(no contacts)");
                }
                for c in &list {
                    println!("{:<24} {:<10} {}", c.name, c.role, c.id);
                }
                Ok(())
            }
        }
    }
}

pub fn grant(cli: &Cli, args: &GrantArgs) -> Result<()> {
    let access: Access = args.access.parse()?;
    // The last second of the given day, UTC.
    let until = args.until.as_ref().map(|d| (d.sort_key() + 86_399) as u64);
    let mut vault = open(cli)?;
    let id = vault.grant(&args.contact, &args.sections, access, &args.purpose, until)?;
    if cli.json {
        output::json(&json!({ "grant_id": id.to_string() }))
    } else {
        let names: Vec<&str> = args.sections.iter().map(|s| s.as_str()).collect();
        println!(
            "Granted {} {} access to {} (grant {id}).",
            args.contact,
            access.as_str(),
            names.join(", ")
        );
        println!("Their keys are ready; they receive them with your next `share export` or sync.");
        Ok(())
    }
}

pub fn revoke(cli: &Cli, id: &str) -> Result<()> {
    let id: GrantId = id.parse()?;
    let mut vault = open(cli)?;
    let g = vault.revoke(&id)?;
    if cli.json {
        output::json(&json!({ "grant_id": id.to_string(), "revoked": true }))
    } else {
        println!(
            "Revoked grant {id} of {}: they get no new key and no new change.",
            g.contact
        );
        println!("What they already received cannot be recalled.");
        Ok(())
    }
}

pub fn block(cli: &Cli, contact: &str) -> Result<()> {
    let mut vault = open(cli)?;
    let ended = vault.block(contact)?;
    if cli.json {
        output::json(
            &json!({ "blocked": contact, "grants_ended": ended.iter().map(|g| g.id.to_string()).collect::<Vec<_>>() }),
        )
    } else {
        println!(
            "Blocked {contact}; {} grant(s) ended. Nothing reaches them any more.",
            ended.len()
        );
        Ok(())
    }
}

pub fn grants(cli: &Cli) -> Result<()> {
    let mut vault = open(cli)?;
    vault.expire_grants()?;
    let list = vault.grants()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if cli.json {
        let v: Vec<_> = list
            .iter()
            .map(|g| {
                json!({
                    "grant_id": g.id.to_string(),
                    "contact": g.contact,
                    "grantee": g.grantee.to_string(),
                    "sections": g.sections,
                    "access": g.access.as_str(),
                    "purpose": g.purpose,
                    "since": when(g.not_before),
                    "until": g.not_after.map(when),
                    "active": g.active(now),
                    "revoked": g.revoked,
                    "expired": g.expired,
                })
            })
            .collect();
        output::json(&v)
    } else {
        if list.is_empty() {
            println!("(no grants)");
        }
        for g in &list {
            let state = if g.expired {
                "ended"
            } else if g.revoked {
                "revoked"
            } else if g.active(now) {
                "active"
            } else {
                "expired"
            };
            let names: Vec<&str> = g.sections.iter().map(|s| s.as_str()).collect();
            println!(
                "{}  {:<8} {} {} on {} for \"{}\"",
                g.id,
                state,
                g.contact,
                g.access.as_str(),
                names.join(","),
                g.purpose
            );
        }
        Ok(())
    }
}

pub fn log(cli: &Cli) -> Result<()> {
    let vault = open(cli)?;
    let lines = vault.access_log()?;
    let attempts = vault.attempts()?;
    let people = vault.people()?;
    let refused_text = |a: &carnet::Attempt| {
        let who = match a.person.as_ref().and_then(|p| people.get(p)) {
            Some((name, _)) => name.clone(),
            None => match &a.person {
                Some(p) => format!("someone unknown ({})", p.short()),
                None => format!(
                    "an unknown device ({})",
                    &a.endpoint[..12.min(a.endpoint.len())]
                ),
            },
        };
        format!("{who} tried to sync and got nothing: {}.", a.why)
    };
    if cli.json {
        let mut v: Vec<_> = lines
            .iter()
            .map(|l| json!({ "index": l.index, "time": when(l.time), "kind": l.kind, "text": l.text }))
            .collect();
        v.extend(
            attempts.iter().map(
                |a| json!({ "time": when(a.time), "kind": "refused", "text": refused_text(a) }),
            ),
        );
        output::json(&v)
    } else {
        for l in &lines {
            println!("{}  {}", when(l.time), l.text);
        }
        if !attempts.is_empty() {
            println!("Refused sync attempts:");
            for a in &attempts {
                println!("{}  {}", when(a.time), refused_text(a));
            }
        }
        Ok(())
    }
}

pub fn audit(cli: &Cli, cmd: &AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Export { out } => {
            if out.exists() {
                bail!(
                    "{} already exists; choose another --out path",
                    out.display()
                );
            }
            let mut vault = open(cli)?;
            let export = vault.audit_export()?;
            write_private(out, export.to_json().as_bytes())?;
            if cli.json {
                output::json(
                    &json!({ "out": out, "entries": export.entries.len(), "checkpoints": export.checkpoints.len() }),
                )
            } else {
                println!(
                    "Wrote the consent log ({} entries, no health data) to {}.",
                    export.entries.len(),
                    out.display()
                );
                Ok(())
            }
        }
        AuditCommand::Verify {
            file,
            since_checkpoint,
        } => {
            let bytes =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let export = AuditExport::from_json(&bytes)?;
            let since = match since_checkpoint {
                Some(p) => {
                    let text = std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read {}", p.display()))?;
                    // Either a checkpoint note, or an earlier export (its newest checkpoint).
                    match AuditExport::from_json(text.as_bytes()) {
                        Ok(old) => Some(
                            old.checkpoints
                                .last()
                                .cloned()
                                .context("the earlier export holds no checkpoint")?,
                        ),
                        Err(_) => Some(text),
                    }
                }
                None => None,
            };
            let report = carnet::consent::verify(&export, since.as_deref());
            if cli.json {
                output::json(&report)?;
            } else if report.ok {
                println!(
                    "OK: {} entries, {} checkpoint(s); signatures, hash chain, Merkle tree and every delivery and access hold.",
                    report.entries, report.checkpoints
                );
            }
            if !report.ok {
                bail!(
                    "the consent log does not verify: {}",
                    report
                        .first_error
                        .unwrap_or_else(|| "unknown failure".into())
                );
            }
            Ok(())
        }
    }
}

pub fn share(cli: &Cli, cmd: &ShareCommand) -> Result<()> {
    match cmd {
        ShareCommand::Export { to, out, full } => {
            if out.exists() {
                bail!(
                    "{} already exists; choose another --out path",
                    out.display()
                );
            }
            let mut vault = open(cli)?;
            let peer = vault.find_peer(to)?;
            let s = vault.export_bundle(&peer, *full, out)?;
            if cli.json {
                output::json(&json!({
                    "out": out,
                    "to": s.to,
                    "envelopes": s.envelopes,
                    "key_grants": s.key_grants,
                    "consent_entries": s.consent_entries,
                    "attachments": s.attachments,
                    "withheld": s.withheld,
                    "bytes": s.bytes,
                }))?;
            } else {
                println!(
                    "Wrote {} for {}: {} change(s), {} key(s), {} consent entr{}, {} attachment(s); {} bytes, readable only by them.",
                    out.display(),
                    s.to,
                    s.envelopes,
                    s.key_grants,
                    s.consent_entries,
                    if s.consent_entries == 1 { "y" } else { "ies" },
                    s.attachments,
                    s.bytes
                );
                if s.withheld > 0 {
                    println!(
                        "{} of your change(s) were left out: you may no longer write where you wrote them.",
                        s.withheld
                    );
                }
            }
            Ok(())
        }
        ShareCommand::Inspect { file } => inspect(cli, file),
        ShareCommand::Import { file } => {
            if !file.is_file() {
                bail!("{} is not a file", file.display());
            }
            let mut vault = open(cli)?;
            let s = vault.import_bundle(file)?;
            if cli.json {
                output::json(&json!({
                    "from": s.from,
                    "from_id": s.from_id,
                    "envelopes": s.envelopes,
                    "duplicates": s.duplicates,
                    "key_grants": s.key_grants,
                    "consent_entries": s.consent_entries,
                    "attachments": s.attachments,
                    "bytes": s.bytes,
                }))
            } else {
                println!(
                    "Imported the bundle from {}: {} new change(s) ({} already here), {} new key(s), {} consent entr{}, {} attachment(s).",
                    s.from,
                    s.envelopes,
                    s.duplicates,
                    s.key_grants,
                    s.consent_entries,
                    if s.consent_entries == 1 { "y" } else { "ies" },
                    s.attachments
                );
                Ok(())
            }
        }
    }
}

fn inspect(cli: &Cli, file: &std::path::Path) -> Result<()> {
    let vault = open(cli)?;
    let info = vault.inspect_bundle(file)?;
    if cli.json {
        return output::json(&info);
    }
    println!(
        "Bundle from {} ({}), made {}; signature {}.",
        info.from,
        &info.from_id[..8],
        when(info.created),
        if info.signature_ok {
            "verifies"
        } else {
            "DOES NOT verify"
        }
    );
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for i in &info.items {
        let key = match i.section {
            Some(s) => format!("{} ({s})", i.kind),
            None => i.kind.to_string(),
        };
        *counts.entry(key).or_default() += 1;
    }
    for (k, n) in counts {
        println!("  {n:>6}  {k}");
    }
    Ok(())
}

pub fn patients(cli: &Cli) -> Result<()> {
    let vault = open(cli)?;
    let list = vault.patients()?;
    if cli.json {
        let v: Vec<_> = list
            .iter()
            .map(|p| {
                json!({
                    "id": p.id.to_string(),
                    "record": p.record.to_string(),
                    "name": p.name,
                    "sections": p.sections.keys().map(|s| s.as_str()).collect::<Vec<_>>(),
                    "access": p.sections.iter().map(|(s, a)| (s.as_str().to_string(), a.as_str())).collect::<std::collections::BTreeMap<_, _>>(),
                    "readable": p.readable.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        output::json(&v)
    } else {
        if list.is_empty() {
            println!("(no patient has shared a record with you yet)");
        }
        for p in &list {
            let granted: Vec<String> = p
                .sections
                .iter()
                .map(|(s, a)| format!("{s} ({})", a.as_str()))
                .collect();
            println!(
                "{:<24} {}  {}",
                p.name,
                p.id.short(),
                if granted.is_empty() {
                    "no grant in force".to_string()
                } else {
                    granted.join(", ")
                }
            );
        }
        Ok(())
    }
}
