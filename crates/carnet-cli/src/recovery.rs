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
use crate::{Cli, DeviceCommand, RecoveryCommand, RestoreArgs, msg, output, pass, t};

fn when(t: u64) -> String {
    crate::words::moment_unix(t)
}

/// The recovery phrase: `$CARNET_RECOVERY_PHRASE`, else a prompt (not echoed).
fn phrase() -> Result<RecoveryPhrase> {
    let text = if let Ok(p) = std::env::var("CARNET_RECOVERY_PHRASE") {
        Zeroizing::new(p)
    } else if std::io::stdin().is_terminal() || std::io::stderr().is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password(t!("prompt-recovery-phrase"))
                .context(msg!("err-recovery-phrase-read"))?,
        )
    } else {
        return Err(crate::errors::refused(msg!("err-no-recovery-phrase")));
    };
    Ok(RecoveryPhrase::parse(&text)?)
}

/// The most a file of shares or a link code may hold: far more than any of them needs.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// What a secret read from a file is, for its errors: `shares` or `code`, as the messages
/// select on.
#[derive(Clone, Copy)]
enum Secret {
    Shares,
    LinkCode,
}

impl Secret {
    fn key(self) -> &'static str {
        match self {
            Secret::Shares => "shares",
            Secret::LinkCode => "code",
        }
    }
}

/// Where a secret is read from, as the messages take it: `stdin` (`yes` for `-`) and
/// `file`.
fn source(path: &Path) -> (&'static str, String) {
    if path == Path::new("-") {
        ("yes", String::new())
    } else {
        ("no", path.display().to_string())
    }
}

/// Reads a secret text from FILE, or from standard input for `-`, into memory that is
/// zeroized when dropped. `what` names it in errors.
fn read_secret(path: &Path, what: Secret) -> Result<Zeroizing<String>> {
    let mut raw = Zeroizing::new(Vec::new());
    let read = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_SECRET_FILE + 1)
            .read_to_end(&mut raw)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_SECRET_FILE + 1).read_to_end(&mut raw))
    };
    let (stdin, file) = source(path);
    let what = what.key();
    read.with_context(|| {
        msg!(
            "err-secret-read",
            what = what,
            stdin = stdin,
            file = file.clone()
        )
    })?;
    if raw.len() as u64 > MAX_SECRET_FILE {
        bail!(msg!(
            "err-secret-too-large",
            what = what,
            stdin = stdin,
            file = file
        ));
    }
    let text = std::str::from_utf8(&raw).map_err(|_| {
        anyhow!(msg!(
            "err-secret-not-text",
            what = what,
            stdin = stdin,
            file = file.clone()
        ))
    })?;
    Ok(Zeroizing::new(text.to_string()))
}

/// The recovery shares in a text: each starts with `carnet-share1:`; whitespace and line
/// breaks between and inside them are ignored (a share wrapped by a mail client still
/// reads).
fn shares_in(text: &str, path: &Path) -> Result<Vec<ReleasedShare>> {
    let (stdin, file) = source(path);
    let mut pieces = text.split(SHARE_PREFIX);
    let before = pieces.next().unwrap_or("");
    if !before.trim().is_empty() {
        bail!(msg!(
            "err-shares-other",
            stdin = stdin,
            file = file,
            prefix = SHARE_PREFIX
        ));
    }
    let mut out = Vec::new();
    for (i, piece) in pieces.enumerate() {
        let text = Zeroizing::new(format!("{SHARE_PREFIX}{piece}"));
        out.push(ReleasedShare::from_text(&text).with_context(|| {
            msg!(
                "share-number-of",
                n = i + 1,
                stdin = stdin,
                file = file.clone()
            )
        })?);
    }
    if out.is_empty() {
        bail!(msg!(
            "err-shares-none",
            stdin = stdin,
            file = file,
            prefix = SHARE_PREFIX
        ));
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
        bail!(msg!("err-share-file-stdin-twice"));
    }
    for path in &args.share_files {
        let text = read_secret(path, Secret::Shares)?;
        shares.extend(shares_in(&text, path)?);
    }
    if !args.shares.is_empty() {
        eprintln!("{}", t!("note-share-visible"));
        for (i, s) in args.shares.iter().enumerate() {
            shares.push(
                ReleasedShare::from_text(s).with_context(|| msg!("share-arg-number", n = i + 1))?,
            );
        }
    }
    if args.ask_shares {
        if !(std::io::stdin().is_terminal() || std::io::stderr().is_terminal()) {
            bail!(msg!("err-ask-shares-terminal"));
        }
        loop {
            let needed = shares.first().map(|s: &ReleasedShare| s.threshold as usize);
            if needed.is_some_and(|n| shares.len() >= n) {
                break;
            }
            let prompt = match needed {
                Some(n) => t!("prompt-share-n", n = shares.len() + 1, total = n),
                None => t!("prompt-share"),
            };
            let text =
                Zeroizing::new(rpassword::prompt_password(prompt).context(msg!("err-share-read"))?);
            if text.trim().is_empty() {
                break;
            }
            match ReleasedShare::from_text(&text) {
                Ok(s) => shares.push(s),
                Err(e) => eprintln!(
                    "{}",
                    t!("share-type-again", why = crate::errors::crypto_text(&e))
                ),
            }
        }
    }
    Ok(shares)
}

pub fn backup(cli: &Cli, out: &Path) -> Result<()> {
    crate::commands::check_out(cli, out, true)?;
    let vault = open(cli)?;
    // Rows written out of the rows in the vault, as they go.
    // Made at the first row, when the total is known: it is drawn at once with it.
    let mut bar: Option<indicatif::ProgressBar> = None;
    let s = crate::commands::with_out(out, |path| {
        Ok(vault.backup_with_progress(path, &mut |done, total| {
            let bar = bar.get_or_insert_with(|| {
                crate::progress::bar(cli, total, &t!("progress-backup-rows"))
            });
            if done % 64 == 0 || done == total {
                bar.set_position(done);
            }
        })?)
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
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
        return Err(crate::errors::refused(msg!(
            "err-restore-exists",
            vault = dir.display().to_string()
        )));
    }
    if !args.file.is_file() {
        return Err(crate::errors::refused(msg!(
            "err-not-a-file",
            file = args.file.display().to_string()
        )));
    }
    let kdf_log_n = pass::kdf_cost(args.kdf_cost)?;
    let newest_checkpoint = match &args.checkpoint {
        Some(path) => Some(read_checkpoint(path)?),
        None => None,
    };
    let key: RecoveryKey =
        if args.shares.is_empty() && args.share_files.is_empty() && !args.ask_shares {
            phrase()?.key()?
        } else {
            let shares = restore_shares(args)?;
            if shares.is_empty() {
                bail!(msg!("err-no-share-given"));
            }
            RecoveryKey::combine(&shares)?
        };
    // Whose backup this is, before a new passphrase is asked for: a backup of someone else
    // is refused now, and the person sees whose it is.
    let info = Vault::backup_info(&args.file, &key)?;
    if let Some(expected) = &args.expect_person
        && *expected != info.id
    {
        return Err(crate::errors::refused(msg!(
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
            device = &short(info.from_device)
        )
    );
    if !info.signed {
        eprintln!("{}", t!("backup-unsigned"));
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
                        device = &short(s.device),
                        count = t.devices_retired,
                        old = &short(s.from_device)
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
                    device = &short(s.device),
                    old = &short(s.from_device)
                )
            ),
        }
        Ok(())
    }
}

/// Reads a checkpoint file given to `restore` (what `carnet audit witness` writes, or a
/// bare signed note; small): refused before anything else when it is not one.
fn read_checkpoint(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .with_context(|| msg!("err-cannot-read", file = path.display().to_string()))?;
    if bytes.len() > 16 * 1024 {
        bail!(msg!(
            "checkpoint-too-large",
            file = path.display().to_string(),
            size = bytes.len()
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(msg!(
            "checkpoint-not-text",
            file = path.display().to_string()
        ))
    })?;
    // What `carnet audit witness` writes: the cosigned note with the witness's card.
    let text = match serde_json::from_str::<carnet::consent::WitnessNote>(&text) {
        Ok(w) => w.note,
        Err(_) => text,
    };
    if !text.starts_with("carnet-consent/") {
        bail!(msg!(
            "checkpoint-not-checkpoint",
            file = path.display().to_string()
        ));
    }
    Ok(text)
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
        return read_secret(path, Secret::LinkCode);
    }
    match code {
        Some("-") => return read_secret(Path::new("-"), Secret::LinkCode),
        Some(c) => {
            eprintln!("{}", t!("note-code-visible"));
            return Ok(Zeroizing::new(c.to_string()));
        }
        None => {}
    }
    if !(std::io::stdin().is_terminal() || std::io::stderr().is_terminal()) {
        bail!(msg!("err-link-no-code", vault = dir.display().to_string()));
    }
    eprintln!(
        "{}",
        t!("link-new-device", vault = dir.display().to_string())
    );
    let text = Zeroizing::new(
        rpassword::prompt_password(t!("prompt-link-code")).context(msg!("err-link-code-read"))?,
    );
    if text.trim().is_empty() {
        bail!(msg!("err-link-code-empty"));
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
                eprintln!("{}", t!("device-holds-person-key", id = &short(d.id)));
            }
            if cli.json {
                output::json(&d)
            } else {
                println!("{}", t!("device-removed", id = &short(d.id)));
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
                bail!(msg!("err-not-a-directory", dir = dir.display().to_string()));
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
                bail!(msg!(
                    "err-share-file-exists",
                    file = p.display().to_string()
                ));
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
            let bytes = std::fs::read(file)
                .with_context(|| msg!("err-cannot-read", file = file.display().to_string()))?;
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
                    "{}",
                    t!(
                        "share-released",
                        name = whose.as_str(),
                        threshold = share.threshold
                    )
                );
                println!("{}", text.as_str());
                Ok(())
            }
        }
    }
}

/// The start of an id, as people see it in short (8 characters).
fn short(id: impl std::fmt::Display) -> String {
    id.to_string().chars().take(8).collect()
}
