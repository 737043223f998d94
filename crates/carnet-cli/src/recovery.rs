//! Backups, restore, devices and recovery shares.
//!
//! Secrets a person brings (the recovery phrase, recovery shares, a link code) are read
//! from a prompt, a file or standard input; the command-line forms (`--share S`,
//! `device link CODE`) still work for scripts, with a note that other users of the
//! machine can see them (ps, /proc) and that they stay in shell history.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use carnet::Vault;
use carnet::crypto::{RecoveryKey, RecoveryPhrase, ReleasedShare, SHARE_PREFIX};
use serde_json::json;
use zeroize::Zeroizing;

use crate::commands::{open, vault_dir, write_private};
use crate::{Cli, DeviceCommand, RecoveryCommand, RestoreArgs, output, pass, t};

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
            rpassword::prompt_password(t!("prompt-recovery-phrase"))
                .context(t!("err-recovery-phrase-read"))?,
        )
    } else {
        return Err(crate::errors::refused(t!("err-no-recovery-phrase")));
    };
    Ok(RecoveryPhrase::parse(&text)?)
}

/// The most a file of shares or a link code may hold: far more than any of them needs.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Reads a secret text from FILE, or from standard input for `-`, into memory that is
/// zeroized when dropped. `what` names it in errors.
fn read_secret(path: &Path, what: &str) -> Result<Zeroizing<String>> {
    let mut raw = Zeroizing::new(Vec::new());
    let read = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_SECRET_FILE + 1)
            .read_to_end(&mut raw)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_SECRET_FILE + 1).read_to_end(&mut raw))
    };
    let from = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    read.with_context(|| format!("cannot read the {what} from {from}"))?;
    if raw.len() as u64 > MAX_SECRET_FILE {
        bail!("{from} is far too large to hold a {what}; give the file that holds only it");
    }
    let text = std::str::from_utf8(&raw)
        .map_err(|_| anyhow!("{from} is not text; it should hold a {what}"))?;
    Ok(Zeroizing::new(text.to_string()))
}

/// The recovery shares in a text: each starts with `carnet-share1:`; whitespace and line
/// breaks between and inside them are ignored (a share wrapped by a mail client still
/// reads).
fn shares_in(text: &str, from: &str) -> Result<Vec<ReleasedShare>> {
    let mut pieces = text.split(SHARE_PREFIX);
    let before = pieces.next().unwrap_or("");
    if !before.trim().is_empty() {
        bail!(
            "{from} holds something other than recovery shares (each starts with {SHARE_PREFIX})"
        );
    }
    let mut out = Vec::new();
    for (i, piece) in pieces.enumerate() {
        let text = Zeroizing::new(format!("{SHARE_PREFIX}{piece}"));
        out.push(
            ReleasedShare::from_text(&text)
                .with_context(|| format!("share {} of {from}", i + 1))?,
        );
    }
    if out.is_empty() {
        bail!("{from} holds no recovery share (each starts with {SHARE_PREFIX})");
    }
    Ok(out)
}

/// Every recovery share given to `restore`: `--share-file` (`-` for standard input),
/// `--share` (with a note: visible to others), then `--ask-shares` on the terminal until
/// there are as many as the shares say are needed.
fn restore_shares(args: &RestoreArgs) -> Result<Vec<ReleasedShare>> {
    let mut shares = Vec::new();
    if args
        .share_files
        .iter()
        .filter(|p| *p == Path::new("-"))
        .count()
        > 1
    {
        bail!("--share-file - is given twice; standard input can be read once");
    }
    for path in &args.share_files {
        let text = read_secret(path, "recovery shares")?;
        let from = if path == Path::new("-") {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        shares.extend(shares_in(&text, &from)?);
    }
    if !args.shares.is_empty() {
        eprintln!(
            "note: shares given with --share can be seen by other users of this machine while carnet runs, and stay in your shell history; prefer --ask-shares or --share-file FILE (- for standard input)."
        );
        for (i, s) in args.shares.iter().enumerate() {
            shares.push(
                ReleasedShare::from_text(s).with_context(|| format!("--share number {}", i + 1))?,
            );
        }
    }
    if args.ask_shares {
        if !(std::io::stdin().is_terminal() || std::io::stderr().is_terminal()) {
            bail!(
                "--ask-shares needs a terminal to ask on; give the shares with --share-file FILE, or --share-file - to read them from standard input"
            );
        }
        loop {
            let needed = shares.first().map(|s: &ReleasedShare| s.threshold as usize);
            if needed.is_some_and(|n| shares.len() >= n) {
                break;
            }
            let prompt = match needed {
                Some(n) => format!(
                    "Recovery share {} of {n} (carnet-share1:..., not shown; Enter alone to stop): ",
                    shares.len() + 1
                ),
                None => "Recovery share (carnet-share1:..., not shown; Enter alone to stop): "
                    .to_string(),
            };
            let text = Zeroizing::new(
                rpassword::prompt_password(prompt).context("cannot read the recovery share")?,
            );
            if text.trim().is_empty() {
                break;
            }
            match ReleasedShare::from_text(&text) {
                Ok(s) => shares.push(s),
                Err(e) => eprintln!("{e}; type it again."),
            }
        }
    }
    Ok(shares)
}

pub fn backup(cli: &Cli, out: &Path) -> Result<()> {
    crate::commands::check_out(cli, out, true)?;
    let vault = open(cli)?;
    let label = crate::progress::backing_up(&vault_dir(cli)?);
    let s = crate::commands::with_out(out, |path| {
        crate::progress::while_writing(cli, path.to_path_buf(), label, || Ok(vault.backup(path)?))
    })?;
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
        crate::commands::say(
            out,
            t!(
                "backup-written",
                out = crate::commands::out_name(out),
                bytes = s.bytes,
                changes = s.envelopes,
                attachments = s.attachments,
                consent = s.consent_entries
            ),
        );
        Ok(())
    }
}

pub fn restore(cli: &Cli, args: &RestoreArgs) -> Result<()> {
    let dir = vault_dir(cli)?;
    if carnet::store_exists(&dir) {
        return Err(crate::errors::refused(t!(
            "err-restore-exists",
            vault = dir.display().to_string()
        )));
    }
    if !args.file.is_file() {
        return Err(crate::errors::refused(t!(
            "err-not-a-file",
            file = args.file.display().to_string()
        )));
    }
    let kdf_log_n = pass::kdf_cost(args.kdf_cost)?;
    let newest_checkpoint = match &args.checkpoint {
        Some(path) => Some(read_checkpoint(path)?),
        None => None,
    };
    let key: RecoveryKey = if args.shares.is_empty()
        && args.share_files.is_empty()
        && !args.ask_shares
    {
        phrase()?.key()?
    } else {
        let shares = restore_shares(args)?;
        if shares.is_empty() {
            bail!(
                "no recovery share was given; restore with the recovery phrase (leave out --ask-shares), or give the shares"
            );
        }
        RecoveryKey::combine(&shares)?
    };
    // Whose backup this is, before a new passphrase is asked for: a backup of someone else
    // is refused now, and the person sees whose it is.
    let info = Vault::backup_info(&args.file, &key)?;
    if let Some(expected) = &args.expect_person
        && *expected != info.id
    {
        return Err(crate::errors::refused(t!(
            "err-backup-other-person",
            name = info.name.as_str(),
            id = info.id.to_string(),
            expected = expected.to_string()
        )));
    }
    eprintln!(
        "{}",
        t!(
            "backup-whose",
            name = info.name.as_str(),
            id = info.id.to_string(),
            at = when(info.backup_time),
            device = &info.from_device[..8.min(info.from_device.len())]
        )
    );
    if !info.signed {
        eprintln!("{}", unsigned_notice());
    }
    let pass = pass::get_new_for(
        cli.passphrase_file.as_deref(),
        &[&info.name],
        pass::Target {
            vault: &dir,
            name: Some(&info.name),
        },
    )?;
    let (vault, s) = crate::progress::while_writing(
        cli,
        dir.clone(),
        crate::progress::restoring(&args.file),
        || {
            Vault::restore_with(
                &dir,
                &pass,
                kdf_log_n,
                &args.file,
                &key,
                &carnet::RestoreOptions {
                    expected: args.expect_person,
                    newest_checkpoint: newest_checkpoint.clone(),
                },
            )
        },
    )?;
    drop(vault);
    if cli.json {
        output::json(&s)
    } else {
        println!(
            "{}",
            t!(
                "restored",
                name = s.name.as_str(),
                id = s.id.to_string(),
                vault = dir.display().to_string(),
                entries = s.entries,
                at = when(s.backup_time),
                signed = if s.signed { "yes" } else { "no" }
            )
        );
        match &s.takeover {
            Some(t) => {
                println!(
                    "{}",
                    t!(
                        "restored-takeover",
                        device = &s.device[..8],
                        count = t.devices_retired,
                        old = &s.from_device[..8]
                    )
                );
                if let Some(b) = t.forked {
                    println!("{}", t!("restored-forked", size = b.size));
                }
            }
            None => println!(
                "{}",
                t!(
                    "restored-new-device",
                    device = &s.device[..8],
                    old = &s.from_device[..8]
                )
            ),
        }
        Ok(())
    }
}

/// Reads a checkpoint file given to `restore` (what `carnet audit witness` writes, or a
/// bare signed note; small): refused before anything else when it is not one.
fn read_checkpoint(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() > 16 * 1024 {
        bail!(
            "{}",
            t!(
                "checkpoint-too-large",
                file = path.display().to_string(),
                size = bytes.len()
            )
        );
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{}",
            t!("checkpoint-not-text", file = path.display().to_string())
        )
    })?;
    // What `carnet audit witness` writes: the cosigned note with the witness's card.
    let text = match serde_json::from_str::<carnet::consent::WitnessNote>(&text) {
        Ok(w) => w.note,
        Err(_) => text,
    };
    if !text.starts_with("carnet-consent/") {
        bail!(
            "{}",
            t!(
                "checkpoint-not-checkpoint",
                file = path.display().to_string()
            )
        );
    }
    Ok(text)
}

/// What an unsigned backup (written before backups were signed) means, and what to do.
fn unsigned_notice() -> &'static str {
    "notice: this backup is unsigned: it was made by a version of carnet before backups were signed. It is restored and checked (the keys in it must be this person's, and every change and the consent log must verify), but nothing proves who wrote the file as a whole. Once restored, make a new backup (`carnet backup --out FILE`): it will be signed."
}

/// The link code for `device link` on a new device: `--code-file` (`-`: standard input),
/// the code on the command line (`-`: standard input; else a note that others can see
/// it), or a prompt on the terminal.
fn link_code(
    dir: &Path,
    code: Option<&str>,
    code_file: Option<&Path>,
) -> Result<Zeroizing<String>> {
    if let Some(path) = code_file {
        return read_secret(path, "link code");
    }
    match code {
        Some("-") => return read_secret(Path::new("-"), "link code"),
        Some(c) => {
            eprintln!(
                "note: a code given on the command line can be seen by other users of this machine while carnet runs, and stays in your shell history; next time run `carnet device link` without it to type it, or use --code-file FILE."
            );
            return Ok(Zeroizing::new(c.to_string()));
        }
        None => {}
    }
    if !(std::io::stdin().is_terminal() || std::io::stderr().is_terminal()) {
        bail!(
            "no vault at {} to link from, and no link code to join with: on the new device, give the code your other device printed with --code-file FILE (or --code-file - to read it from standard input), or run in a terminal to type it; on the existing device, pass its --vault DIR",
            dir.display()
        );
    }
    eprintln!(
        "No vault at {}: this will be a new device. Type the code `carnet device link` printed on your other device.",
        dir.display()
    );
    let text = Zeroizing::new(
        rpassword::prompt_password("Link code (carnet-link1:..., not shown): ")
            .context("cannot read the link code")?,
    );
    if text.trim().is_empty() {
        bail!("no link code was typed; nothing was created");
    }
    Ok(text)
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
                    "{}  {}{}{}{}",
                    d.id,
                    t!("device-added", at = when(d.added)),
                    d.removed
                        .map(|at| t!("device-removed-at", at = when(at)))
                        .unwrap_or_default(),
                    if d.primary {
                        t!("device-primary")
                    } else {
                        String::new()
                    },
                    if d.this {
                        t!("device-this")
                    } else {
                        String::new()
                    }
                );
            }
            Ok(())
        }
        DeviceCommand::Remove { id } => {
            let vault = open(cli)?;
            let d = vault.remove_device(id)?;
            if !d.own_key {
                // Said on stderr, with --json too: it is a warning about the person's key.
                eprintln!("{}", t!("device-holds-person-key", id = &d.id[..8]));
            }
            if cli.json {
                output::json(&d)
            } else {
                println!("{}", t!("device-removed", id = &d.id[..8]));
                Ok(())
            }
        }
        DeviceCommand::Rekey => {
            // The phrase first: nothing is opened or changed without it.
            let key = phrase()?.key()?;
            let vault = open(cli)?;
            let s = vault.rekey(&key)?;
            if cli.json {
                output::json(&s)
            } else {
                println!(
                    "{}",
                    t!(
                        "device-rekeyed",
                        device = &vault.device_id().to_string()[..8],
                        count = s.devices_retired.saturating_sub(1)
                    )
                );
                Ok(())
            }
        }
        DeviceCommand::Link {
            code,
            code_file,
            kdf_cost,
            net,
        } => {
            // With no code and a vault here, this is the existing device: it offers a code.
            // Otherwise this is the new device, which joins with the code it reads.
            let dir = vault_dir(cli)?;
            if code.is_none() && code_file.is_none() && carnet::store_exists(&dir) {
                return crate::net::link(cli, None, *kdf_cost, net);
            }
            let kdf_log_n = pass::kdf_cost(*kdf_cost)?;
            let code = link_code(&dir, code.as_deref(), code_file.as_deref())?;
            crate::net::link(cli, Some(code.as_str()), kdf_log_n, net)
        }
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
                println!("{}", t!("recovery-verified"));
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
                    println!(
                        "{}",
                        t!(
                            "split-file",
                            file = p.display().to_string(),
                            name = name.as_str()
                        )
                    );
                }
                println!(
                    "{}",
                    t!("split-done", threshold = *threshold, total = shares.len())
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
