//! Contacts, grants, the access log and the auditor's commands.

use anyhow::{Context, Result, bail};
use carnet::consent::{Access, AuditExport, GrantId};
use serde_json::json;

use crate::commands::{open, write_private};
use crate::{AuditCommand, Cli, ContactCommand, GrantArgs, output};

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
                })
            })
            .collect();
        output::json(&v)
    } else {
        if list.is_empty() {
            println!("(no grants)");
        }
        for g in &list {
            let state = if g.revoked {
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
    if cli.json {
        let v: Vec<_> = lines
            .iter()
            .map(|l| json!({ "index": l.index, "time": when(l.time), "kind": l.kind, "text": l.text }))
            .collect();
        output::json(&v)
    } else {
        for l in &lines {
            println!("{}  {}", when(l.time), l.text);
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
