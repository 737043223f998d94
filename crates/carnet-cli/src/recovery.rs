//! Backups, restore, devices and recovery shares.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use carnet::Vault;
use carnet::crypto::{RecoveryKey, RecoveryPhrase, ReleasedShare};
use serde_json::json;
use zeroize::Zeroizing;

use crate::commands::{open, vault_dir, write_private};
use crate::{Cli, DeviceCommand, RecoveryCommand, RestoreArgs, output, pass};

fn when(t: u64) -> String {
    carnet::record::DateTime::from_unix(t as i64)
        .map(|d| d.to_string())
        .unwrap_or_else(|| t.to_string())
}

/// The recovery phrase: `$CARNET_RECOVERY_PHRASE`, else a prompt (not echoed).
fn phrase() -> Result<RecoveryPhrase> {
    let text = if let Ok(p) = std::env::var("CARNET_RECOVERY_PHRASE") {
        Zeroizing::new(p)
    } else if std::io::stdin().is_terminal() || std::io::stderr().is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password("Recovery phrase (24 words): ")
                .context("cannot read the recovery phrase")?,
        )
    } else {
        bail!("no recovery phrase: set CARNET_RECOVERY_PHRASE or run in a terminal");
    };
    Ok(RecoveryPhrase::parse(&text)?)
}

pub fn backup(cli: &Cli, out: &Path) -> Result<()> {
    if out.exists() {
        bail!(
            "{} already exists; choose another --out path",
            out.display()
        );
    }
    let vault = open(cli)?;
    let s = vault.backup(out)?;
    if cli.json {
        output::json(&json!({
            "out": out,
            "rows": s.rows,
            "envelopes": s.envelopes,
            "attachments": s.attachments,
            "consent_entries": s.consent_entries,
            "bytes": s.bytes,
        }))
    } else {
        println!(
            "Backed up the vault to {} ({} bytes: {} change(s), {} attachment(s), {} consent entries). Only your recovery phrase opens it.",
            out.display(),
            s.bytes,
            s.envelopes,
            s.attachments,
            s.consent_entries
        );
        Ok(())
    }
}

pub fn restore(cli: &Cli, args: &RestoreArgs) -> Result<()> {
    let dir = vault_dir(cli)?;
    if carnet::store_exists(&dir) {
        bail!(
            "a vault already exists at {}; restore into a new --vault directory",
            dir.display()
        );
    }
    if !args.file.is_file() {
        bail!("{} is not a file", args.file.display());
    }
    let key: RecoveryKey = if args.shares.is_empty() {
        phrase()?.key()?
    } else {
        let shares = args
            .shares
            .iter()
            .map(|s| ReleasedShare::from_text(s))
            .collect::<Result<Vec<_>, _>>()?;
        RecoveryKey::combine(&shares)?
    };
    let pass = pass::get_new(cli.passphrase_file.as_deref())?;
    let (vault, s) = Vault::restore(&dir, &pass, args.kdf_cost, &args.file, &key)?;
    drop(vault);
    if cli.json {
        output::json(&s)
    } else {
        println!(
            "Restored the vault of {} in {}: {} entries, from a backup made {}.",
            s.name,
            dir.display(),
            s.entries,
            when(s.backup_time)
        );
        println!(
            "This is a new device ({}). If the old one ({}) is lost, remove it: `carnet device remove {}`.",
            &s.device[..8],
            &s.from_device[..8],
            &s.from_device[..8]
        );
        Ok(())
    }
}

pub fn device(cli: &Cli, cmd: &DeviceCommand) -> Result<()> {
    match cmd {
        DeviceCommand::List => {
            let vault = open(cli)?;
            let list = vault.devices()?;
            if cli.json {
                return output::json(&list);
            }
            for d in &list {
                println!(
                    "{}  added {}{}{}{}",
                    d.id,
                    when(d.added),
                    d.removed
                        .map(|t| format!(", removed {}", when(t)))
                        .unwrap_or_default(),
                    if d.primary {
                        "  [primary: keeps the consent log]"
                    } else {
                        ""
                    },
                    if d.this { "  [this device]" } else { "" }
                );
            }
            Ok(())
        }
        DeviceCommand::Remove { id } => {
            let mut vault = open(cli)?;
            let d = vault.remove_device(id)?;
            if cli.json {
                output::json(&d)
            } else {
                println!(
                    "Removed device {}: every section moved to a new key it never holds; it gets nothing new and nothing it writes is accepted. What it already held cannot be recalled.",
                    &d.id[..8]
                );
                Ok(())
            }
        }
        DeviceCommand::Link {
            code,
            kdf_cost,
            net,
        } => crate::net::link(cli, code.as_deref(), *kdf_cost, net),
    }
}

pub fn recovery(cli: &Cli, cmd: &RecoveryCommand) -> Result<()> {
    match cmd {
        RecoveryCommand::Verify => {
            let vault = open(cli)?;
            let key = phrase()?.key()?;
            vault.check_recovery_key(&key)?;
            if cli.json {
                output::json(&json!({ "ok": true }))
            } else {
                println!("This is the recovery phrase of this vault.");
                Ok(())
            }
        }
        RecoveryCommand::Split {
            threshold,
            holders,
            out,
        } => {
            let dir = out.clone().unwrap_or_else(|| PathBuf::from("."));
            if !dir.is_dir() {
                bail!("{} is not a directory", dir.display());
            }
            let vault = open(cli)?;
            let key = phrase()?.key()?;
            let shares = vault.split_recovery(&key, *threshold, holders)?;
            let paths: Vec<PathBuf> = shares
                .iter()
                .map(|(name, _)| {
                    let safe: String = name
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() {
                                c.to_ascii_lowercase()
                            } else {
                                '-'
                            }
                        })
                        .collect();
                    dir.join(format!("recovery-share-for-{safe}.carnet"))
                })
                .collect();
            if let Some(p) = paths.iter().find(|p| p.exists()) {
                bail!(
                    "{} already exists; choose another --out directory",
                    p.display()
                );
            }
            for (p, (_, bytes)) in paths.iter().zip(&shares) {
                write_private(p, bytes)?;
            }
            if cli.json {
                output::json(&json!({
                    "threshold": threshold,
                    "total": shares.len(),
                    "files": paths,
                }))
            } else {
                for (p, (name, _)) in paths.iter().zip(&shares) {
                    println!("{}: for {name} (only they can open it)", p.display());
                }
                println!(
                    "Give each file to its holder. Any {threshold} of the {} shares rebuild your recovery key; fewer reveal nothing.",
                    shares.len()
                );
                Ok(())
            }
        }
        RecoveryCommand::Release { file } => {
            let bytes =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let vault = open(cli)?;
            let (share, card_name) = vault.release_share(&bytes)?;
            let whose = vault
                .name_of(&share.person)?
                .map(|(n, _)| n)
                .unwrap_or(card_name);
            let text = share.to_text();
            if cli.json {
                output::json(&json!({
                    "share": text.as_str(),
                    "person": share.person.to_string(),
                    "name": whose,
                    "threshold": share.threshold,
                }))
            } else {
                println!(
                    "The recovery share you hold for {whose} ({} are needed to recover). Give it to them in person:",
                    share.threshold
                );
                println!("{}", text.as_str());
                Ok(())
            }
        }
    }
}
