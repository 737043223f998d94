//! One function per command: parse inputs into core types, call the vault, print.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use carnet::crypto::{RecordId, Role};
use carnet::record::{
    Allergy, Code, Condition, DateTime, EmergencyContact, Entry, Immunization, Measurement,
    Medication, NoneKnown, Note, Profile, SectionId,
};
use carnet::{AttachmentInput, CreateOptions, Vault};
use serde_json::{Value, json};

use crate::{AddCommand, Cli, Command, EditArgs, ProfileArgs, msg, output, pass, t};

/// The vault directory: `--vault`, else `$CARNET_VAULT` (both through clap), else the
/// user's data directory.
pub fn vault_dir(cli: &Cli) -> Result<PathBuf> {
    if let Some(v) = &cli.vault {
        return Ok(v.clone());
    }
    let base = dirs::data_dir().ok_or_else(|| anyhow!(t!("err-no-data-dir")))?;
    Ok(base.join("carnet"))
}

/// Opens the vault: with the key of an open session (`carnet unlock`) when there is one
/// and no `--passphrase-file` was given, else with the passphrase.
pub fn open(cli: &Cli) -> Result<Vault> {
    let dir = existing_vault(cli)?;
    if cli.passphrase_file.is_none()
        && let Some(key) = crate::agent::key(&dir)
        && let Ok(v) = Vault::open_with_unlock_key(&dir, &key)
    {
        return Ok(v);
    }
    open_with_passphrase(cli)
}

/// Opens the vault with its passphrase, whatever session is open.
pub fn open_with_passphrase(cli: &Cli) -> Result<Vault> {
    let dir = existing_vault(cli)?;
    let pass = pass::get(
        cli.passphrase_file.as_deref(),
        pass::Target {
            vault: &dir,
            name: None,
        },
    )?;
    Ok(Vault::open(&dir, &pass)?)
}

fn existing_vault(cli: &Cli) -> Result<PathBuf> {
    let dir = vault_dir(cli)?;
    if !carnet::store_exists(&dir) {
        return Err(crate::errors::not_found(msg!(
            "err-no-vault",
            vault = dir.display().to_string()
        )));
    }
    Ok(dir)
}

/// The record a command acts on: the owner's own, or with `--patient` one shared with them.
pub fn record_of(vault: &Vault, patient: Option<&str>) -> Result<RecordId> {
    match patient {
        Some(p) => Ok(vault.find_patient(p)?),
        None => vault.own_record().map_err(|e| {
            let why = crate::errors::text(&anyhow::Error::from(e));
            crate::errors::refused(msg!("err-own-record-hint", why = why))
        }),
    }
}

/// A library error about a shared record in words for people: the key and write refusals
/// name the record by the start of its id; the patient's name is said instead.
pub fn named(vault: &Vault, e: carnet::Error) -> anyhow::Error {
    let (section, record, read_only) = match &e {
        carnet::Error::NoKey { section, record } => (*section, record.clone(), false),
        carnet::Error::ReadOnly { section, record } => (*section, record.clone(), true),
        _ => return e.into(),
    };
    let Some(p) = vault.patients().ok().and_then(|all| {
        all.into_iter()
            .find(|p| p.record.to_string().starts_with(record.as_str()))
    }) else {
        return e.into();
    };
    let section = crate::words::section(section);
    crate::errors::refused(if read_only {
        msg!("err-read-only-patient", section = section, patient = p.name)
    } else {
        msg!("err-no-key-patient", section = section, patient = p.name)
    })
}

pub fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Init(args) => init(&cli, args),
        Command::Whoami => whoami(&cli),
        Command::Add(cmd) => add(&cli, cmd),
        Command::Attach(args) => attach(&cli, args),
        Command::List(args) => {
            let vault = open(&cli)?;
            let record = record_of(&vault, args.patient.patient.as_deref())?;
            let mut list = vault
                .list(&record, args.section)
                .map_err(|e| named(&vault, e))?;
            // Sections in their fixed order (as listed), the newest entry of each first.
            let when = |v: &carnet::EntryView| {
                v.entry
                    .clinical_date()
                    .unwrap_or_else(|| v.created.sort_key())
            };
            list.sort_by_key(|v| {
                (
                    carnet::record::SectionId::ALL
                        .iter()
                        .position(|s| *s == v.section),
                    std::cmp::Reverse(when(v)),
                )
            });
            if let Some(since) = &args.since {
                list.retain(|v| when(v) >= since.sort_key());
            }
            if let Some(until) = &args.until {
                // Through the end of that day.
                list.retain(|v| when(v) < until.sort_key() + 86_400);
            }
            if cli.json {
                if let Some(n) = args.limit {
                    list.truncate(n);
                }
                output::json(&list)
            } else {
                // The limit counts lines: a series summed up in one line is one.
                if let Some(n) = args.limit {
                    let mut kept = Vec::new();
                    for row in output::rows(&list, args.days).into_iter().take(n) {
                        match row {
                            output::Row::Entry(v) => kept.push(v.id.clone()),
                            output::Row::Series(b) => kept.extend(b.iter().map(|v| v.id.clone())),
                        }
                    }
                    list.retain(|v| kept.contains(&v.id));
                }
                output::entries(&list, args.days);
                Ok(())
            }
        }
        Command::Show(arg) => {
            let vault = open(&cli)?;
            let record = record_of(&vault, arg.patient.patient.as_deref())?;
            let id = vault.resolve_entry(&record, &arg.id)?;
            let v = vault.get(&record, &id).map_err(|e| named(&vault, e))?;
            if cli.json {
                output::json(&v)
            } else {
                output::entry(&v)
            }
        }
        Command::History(arg) => {
            let vault = open(&cli)?;
            let record = record_of(&vault, arg.patient.patient.as_deref())?;
            let id = vault.resolve_entry(&record, &arg.id)?;
            let steps = vault.history(&record, &id).map_err(|e| named(&vault, e))?;
            if cli.json {
                output::json(&steps)
            } else {
                output::history(&steps);
                Ok(())
            }
        }
        Command::Edit(args) => edit(&cli, args),
        Command::Remove(arg) => {
            let vault = open(&cli)?;
            let record = record_of(&vault, arg.patient.patient.as_deref())?;
            let id = vault.resolve_entry(&record, &arg.id)?;
            let r = vault.remove(&record, &id).map_err(|e| named(&vault, e))?;
            if cli.json {
                output::json(&r)
            } else {
                println!(
                    "{}",
                    t!(
                        "removed",
                        id = r.id.to_string(),
                        section = crate::words::section(r.section)
                    )
                );
                Ok(())
            }
        }
        Command::GetAttachment(args) => get_attachment(&cli, args),
        Command::Timeline(args) => {
            let vault = open(&cli)?;
            let record = record_of(&vault, args.patient.patient.as_deref())?;
            let list = vault.timeline(&record).map_err(|e| named(&vault, e))?;
            if cli.json {
                output::json(&list)
            } else {
                let width = output::section_width();
                for row in output::rows(&list, args.days) {
                    match row {
                        output::Row::Entry(v) => {
                            let when = v
                                .entry
                                .clinical_date_text()
                                .map(|t| crate::words::moment_text(&t))
                                .unwrap_or_else(|| crate::words::moment(&v.created));
                            println!(
                                "{when:<16} {} {}  ({})",
                                output::pad(&crate::words::section(v.section), width),
                                crate::words::summary(&v.entry),
                                v.id
                            );
                        }
                        output::Row::Series(blocks) => {
                            let when = blocks[0]
                                .entry
                                .clinical_date_text()
                                .map(|t| crate::words::moment_text(&t))
                                .unwrap_or_else(|| crate::words::moment(&blocks[0].created));
                            println!(
                                "{when:<16} {} {}",
                                output::pad(&crate::words::section(blocks[0].section), width),
                                output::series_line(&blocks)
                            );
                        }
                    }
                }
                if list.is_empty() {
                    println!("{}", t!("list-empty"));
                }
                Ok(())
            }
        }
        Command::Demo => crate::demo::run(cli.json),
        Command::Contact(c) => crate::sharing::contact(&cli, c),
        Command::Grant(args) => crate::sharing::grant(&cli, args),
        Command::Revoke { grant_id } => crate::sharing::revoke(&cli, grant_id),
        Command::Block { contact } => crate::sharing::block(&cli, contact),
        Command::Grants => crate::sharing::grants(&cli),
        Command::Log => crate::sharing::log(&cli),
        Command::Audit(a) => crate::sharing::audit(&cli, a),
        Command::Share(c) => crate::sharing::share(&cli, c),
        Command::Patients => crate::sharing::patients(&cli),
        Command::Serve(args) => crate::net::serve(&cli, args),
        Command::Sync(args) => crate::net::sync(&cli, args),
        Command::Mailbox(c) => crate::mailbox::run(&cli, c),
        Command::Config(c) => crate::net::config(&cli, c),
        Command::Repair => repair(&cli),
        Command::Unlock { timeout } => {
            let vault = open_with_passphrase(&cli)?;
            let key = vault.unlock_key()?;
            let dir = existing_vault(&cli)?;
            drop(vault);
            crate::agent::start(&dir, &key, *timeout)?;
            if cli.json {
                return output::json(
                    &serde_json::json!({ "unlocked": true, "timeout_seconds": timeout.as_secs() }),
                );
            }
            println!(
                "{}",
                t!("unlocked", minutes = timeout.as_secs().div_ceil(60))
            );
            Ok(())
        }
        Command::Lock => {
            let dir = vault_dir(&cli)?;
            let was = crate::agent::lock(&dir)?;
            if cli.json {
                return output::json(&serde_json::json!({ "locked": true, "was_open": was }));
            }
            println!("{}", if was { t!("locked") } else { t!("lock-none") });
            Ok(())
        }
        Command::Agent { socket, timeout } => {
            crate::agent::run(socket, std::time::Duration::from_secs(*timeout))
        }
        Command::Passphrase {
            new_passphrase_file,
            kdf_cost,
        } => change_passphrase(&cli, new_passphrase_file.as_deref(), *kdf_cost),
        Command::Hardening => crate::harden::report(&cli),
        Command::Completions { shell } => {
            let mut cmd = crate::cli_command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "carnet", &mut script);
            use std::io::Write;
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().write_all(&script);
            Ok(())
        }
        Command::Man { out } => man_pages(out.as_deref()),
        Command::Backup { out } => crate::recovery::backup(&cli, out),
        Command::Restore(args) => crate::recovery::restore(&cli, args),
        Command::Device(c) => crate::recovery::device(&cli, c),
        Command::Recovery(c) => crate::recovery::recovery(&cli, c),
        Command::Import(c) => crate::interop::import(&cli, c),
        Command::Export(c) => crate::interop::export(&cli, c),
        Command::Chart(a) => crate::interop::chart(&cli, a),
        Command::Report(a) => crate::interop::report(&cli, a),
    }
}

/// carnet(1) and a page per command (carnet-add(1), carnet-add-note(1)...), hidden
/// commands left out.
fn man_pages(out: Option<&Path>) -> Result<()> {
    // In French, the French command (its help texts) and clap_mangen's own words said
    // again: it writes its section titles and notes in English only.
    let french = crate::i18n::lang() == crate::i18n::Lang::Fr;
    let cmd = if french {
        let mut cmd = crate::help_fr::french(crate::cli_command());
        cmd.build();
        cmd
    } else {
        crate::cli_command()
    };
    let said = |buf: Vec<u8>| -> Vec<u8> {
        if french {
            man_in_french(&String::from_utf8_lossy(&buf)).into_bytes()
        } else {
            buf
        }
    };
    let Some(dir) = out else {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf)?;
        std::io::Write::write_all(&mut std::io::stdout(), &said(buf))?;
        return Ok(());
    };
    std::fs::create_dir_all(dir)
        .with_context(|| msg!("err-cannot-create", file = dir.display().to_string()))?;
    fn write(
        cmd: clap::Command,
        name: String,
        dir: &Path,
        n: &mut usize,
        said: &dyn Fn(Vec<u8>) -> Vec<u8>,
    ) -> Result<()> {
        let path = dir.join(format!("{name}.1"));
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .title(name.clone())
            .render(&mut buf)?;
        std::fs::write(&path, said(buf))
            .with_context(|| msg!("err-cannot-write", file = path.display().to_string()))?;
        *n += 1;
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            write(
                sub.clone(),
                format!("{name}-{}", sub.get_name()),
                dir,
                n,
                said,
            )?;
        }
        Ok(())
    }
    let mut n = 0;
    write(cmd, "carnet".into(), dir, &mut n, &said)?;
    println!(
        "{}",
        t!("man-written", n = n, dir = dir.display().to_string())
    );
    Ok(())
}

/// A manual page as clap_mangen wrote it, its own words said in French: section titles
/// and the notes it adds to options.
fn man_in_french(roff: &str) -> String {
    roff.lines()
        .map(|line| {
            let line = match line {
                ".SH NAME" => ".SH NOM",
                ".SH SUBCOMMANDS" => ".SH SOUS\\-COMMANDES",
                ".SH EXTRA" => ".SH EXEMPLES",
                ".SH AUTHORS" => ".SH AUTEURS",
                other => other,
            };
            line.replace("[default: ", "[par défaut : ")
                .replace("\\fIPossible values:\\fR", "\\fIValeurs possibles :\\fR")
                .replace("[aliases: ", "[alias : ")
                .replace("Example:", "Exemple :")
                .replace("Examples:", "Exemples :")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn change_passphrase(cli: &Cli, new_file: Option<&std::path::Path>, kdf_cost: u8) -> Result<()> {
    let kdf_log_n = pass::kdf_cost(kdf_cost)?;
    // The current passphrase, even in a session: who changes it must know it.
    let vault = open_with_passphrase(cli)?;
    let name = vault.card().name().to_string();
    let dir = vault_dir(cli)?;
    let new = pass::get_changed(
        new_file,
        &[&name],
        pass::Target {
            vault: &dir,
            name: Some(&name),
        },
    )?;
    vault.change_passphrase(&new, kdf_log_n)?;
    if cli.json {
        return output::json(&serde_json::json!({ "changed": true }));
    }
    println!("{}", t!("passphrase-changed"));
    Ok(())
}

fn repair(cli: &Cli) -> Result<()> {
    let vault = open(cli)?;
    let report = vault.repair().context(msg!("repair-failed"))?;
    if cli.json {
        return output::json(&report);
    }
    println!(
        "{}",
        t!(
            "repair-checked",
            sections = report.sections,
            changes = report.envelopes,
            logs = report.consent_logs
        )
    );
    if report.set_aside == 0 {
        println!("{}", t!("repair-nothing"));
    } else {
        println!(
            "{}",
            t!(
                "repair-set-aside",
                n = report.set_aside,
                reissued = report.reissued
            )
        );
    }
    if report.unrepairable > 0 {
        println!("{}", t!("repair-unrepairable", n = report.unrepairable));
    }
    Ok(())
}

fn init(cli: &Cli, args: &crate::InitArgs) -> Result<()> {
    let dir = vault_dir(cli)?;
    if carnet::store_exists(&dir) {
        return Err(crate::errors::refused(msg!(
            "err-vault-exists",
            vault = dir.display().to_string()
        )));
    }
    let role: Role = args.role.parse()?;
    let kdf_log_n = pass::kdf_cost(args.kdf_cost)?;
    // The recovery phrase is confirmed by a person at a terminal; a script says it skips
    // that, explicitly: with the flag, or by asking for JSON (the contract of CLI.md:
    // the phrase is then in the output, for the script to keep). Checked before anything
    // is created.
    let confirm = !(args.no_confirm_phrase
        || cli.json
        || std::env::var("CARNET_NO_CONFIRM_PHRASE").is_ok_and(|v| v == "1"));
    if confirm && !std::io::stdin().is_terminal() {
        return Err(crate::errors::refused(msg!(
            "err-init-confirm-needs-terminal"
        )));
    }
    let pass = pass::get_new_for(
        cli.passphrase_file.as_deref(),
        &[&args.name],
        pass::Target {
            vault: &dir,
            name: Some(&args.name),
        },
    )?;
    let opts = CreateOptions {
        name: args.name.clone(),
        role,
        kdf_log_n,
    };
    let carnet::Created {
        vault,
        recovery_phrase: phrase,
    } = Vault::create(&dir, &pass, &opts)?;
    let card = vault.card();
    if cli.json {
        output::json(&json!({
            "id": card.person_id().to_string(),
            "name": card.name(),
            "role": card.role().as_str(),
            "card": card.to_text(),
            "vault": dir,
            "recovery_phrase": phrase.expose(),
        }))
    } else {
        println!(
            "{}",
            t!(
                "init-created",
                name = card.name(),
                role = crate::words::word(card.role().as_str()),
                vault = dir.display().to_string()
            )
        );
        println!("{}", t!("init-id", id = card.person_id().to_string()));
        println!("{}", t!("init-card", card = card.to_text()));
        let p = &phrase;
        println!("\n{}\n", t!("init-phrase-intro"));
        for (i, chunk) in p
            .expose()
            .split(' ')
            .collect::<Vec<_>>()
            .chunks(6)
            .enumerate()
        {
            let line: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(j, w)| format!("{:>2}. {w:<9}", i * 6 + j + 1))
                .collect();
            println!("    {}", line.join(" "));
        }
        println!("\n{}", t!("init-phrase-after"));
        if confirm {
            let words: Vec<&str> = p.expose().split(' ').collect();
            let positions = crate::phrase::positions(words.len(), 3)?;
            let stdin = std::io::stdin();
            crate::phrase::confirm(
                &words,
                &positions,
                &mut stdin.lock(),
                &mut std::io::stderr(),
            )
            .map_err(|e| {
                crate::errors::refused(msg!(
                    "err-init-not-confirmed",
                    why = e.to_string(),
                    vault = dir.display().to_string()
                ))
            })?;
            // The phrase leaves the screen (and the terminal's scrollback).
            if std::io::stdout().is_terminal() {
                print!("\x1b[H\x1b[2J\x1b[3J");
            }
            println!("{}", t!("init-phrase-confirmed"));
            println!(
                "{}",
                t!(
                    "init-created",
                    name = card.name(),
                    role = crate::words::word(card.role().as_str()),
                    vault = dir.display().to_string()
                )
            );
            println!("{}", t!("init-id", id = card.person_id().to_string()));
            println!("{}", t!("init-card", card = card.to_text()));
        }
        Ok(())
    }
}

fn whoami(cli: &Cli) -> Result<()> {
    let vault = open(cli)?;
    let card = vault.card();
    if cli.json {
        output::json(&json!({
            "id": card.person_id().to_string(),
            "name": card.name(),
            "role": card.role().as_str(),
            "card": card.to_text(),
            "device": vault.device_id().to_string(),
        }))
    } else {
        println!(
            "{} ({})",
            card.name(),
            crate::words::word(card.role().as_str())
        );
        // The labels' column is as wide as the longest label of the language, plus a space
        // ("appareil :" is longer than "device:").
        let labels = [t!("whoami-id"), t!("whoami-device"), t!("whoami-card")];
        let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 1;
        let width = width.max(8);
        println!("{}{}", output::pad(&labels[0], width), card.person_id());
        println!("{}{}", output::pad(&labels[1], width), vault.device_id());
        println!("{}{}", output::pad(&labels[2], width), card.to_text());
        Ok(())
    }
}

fn add(cli: &Cli, args: &crate::AddArgs) -> Result<()> {
    let patient = args.patient.as_deref();
    let entry = match &args.kind {
        AddCommand::Allergy {
            substance,
            criticality,
            reaction,
            code,
        } => Entry::Allergy(Allergy {
            substance: substance.clone(),
            code: code.clone(),
            criticality: *criticality,
            reaction: reaction.clone(),
            onset: None,
        }),
        AddCommand::Condition {
            name,
            code,
            onset,
            status,
        } => Entry::Condition(Condition {
            name: name.clone(),
            code: code.clone(),
            onset: onset.clone(),
            abatement: None,
            status: *status,
        }),
        AddCommand::Medication {
            name,
            code,
            dosage,
            start,
            end,
            status,
        } => Entry::Medication(Medication {
            name: name.clone(),
            code: code.clone(),
            dosage: dosage.clone(),
            start: start.clone(),
            end: end.clone(),
            status: *status,
            status_reason: None,
        }),
        AddCommand::Immunization {
            vaccine,
            code,
            date,
            lot,
        } => Entry::Immunization(Immunization {
            vaccine: vaccine.clone(),
            code: code.clone(),
            date: Some(date.clone()),
            lot: lot.clone(),
            status: Default::default(),
            status_reason: None,
            date_text: None,
        }),
        AddCommand::Measurement {
            kind,
            value,
            unit,
            at,
            source,
        } => Entry::Measurement(Measurement::from_input(
            kind,
            value,
            unit,
            at.clone().unwrap_or_else(DateTime::now),
            source.clone(),
        )?),
        AddCommand::Note { text, title } => Entry::Note(Note {
            text: text.clone(),
            title: title.clone(),
        }),
        AddCommand::NoneKnown { section } => Entry::NoneKnown(NoneKnown {
            section: *section,
            asserted: DateTime::now().date(),
        }),
        AddCommand::Profile(p) => return profile(cli, p, patient),
    };
    // Validate before asking for the passphrase: bad input fails fast and touches nothing.
    entry.validate()?;
    let entry = plausible(entry, args.confirm_unusual, None)?;
    let vault = open(cli)?;
    let record = record_of(&vault, patient)?;
    let r = vault.add(&record, entry).map_err(|e| named(&vault, e))?;
    if cli.json {
        output::json(&r)
    } else {
        println!(
            "{}",
            t!(
                "added",
                id = r.id.to_string(),
                section = crate::words::section(r.section)
            )
        );
        Ok(())
    }
}

/// Refuses a past event dated in the future, and an unusual measurement unless
/// `confirmed` (then it is stored marked as confirmed). An edit keeps an earlier
/// confirmation only while the value it confirmed stays the same.
fn plausible(mut entry: Entry, confirmed: bool, before: Option<&Entry>) -> Result<Entry> {
    entry.check_dates(&DateTime::now())?;
    if let Entry::Measurement(m) = &mut entry {
        let kept = matches!(before, Some(Entry::Measurement(b))
            if b.value == m.value && b.components == m.components);
        if !kept && m.value_text.as_deref() == Some(carnet::record::UNUSUAL_CONFIRMED) {
            m.value_text = None;
        }
    }
    if let Entry::Measurement(m) = &mut entry
        && let Err(e) = m.check_usual()
    {
        if !confirmed {
            // The record's words for the value, said when the refusal is shown: in the
            // language, and in English inside --json.
            return Err(crate::errors::refused(crate::i18n::Msg::Keyed {
                id: "err-unusual",
                args: vec![(
                    "why",
                    crate::i18n::Arg::Said(crate::i18n::Said::new(move || {
                        crate::errors::unusual_text(&e)
                    })),
                )],
            }));
        }
        m.confirm_unusual();
    }
    Ok(entry)
}

fn profile(cli: &Cli, p: &ProfileArgs, patient: Option<&str>) -> Result<()> {
    let vault = open(cli)?;
    let record = record_of(&vault, patient)?;
    let existing = vault
        .list(&record, Some(SectionId::Profile))?
        .into_iter()
        .next();
    let (id, mut prof) = match existing {
        Some(v) => match v.entry {
            Entry::Profile(prof) => (Some(v.id), prof),
            _ => bail!(t!("err-profile-not-profile")),
        },
        None => (
            None,
            Profile {
                name: p
                    .name
                    .clone()
                    .ok_or_else(|| crate::errors::refused(msg!("err-profile-needs-name")))?,
                birth_date: None,
                sex: None,
                blood_group: None,
                emergency_contact: None,
                advance_directives: None,
                identifiers: Vec::new(),
            },
        ),
    };
    if let Some(n) = &p.name {
        prof.name = n.clone();
    }
    if p.birth_date.is_some() {
        prof.birth_date = p.birth_date.clone();
    }
    if p.sex.is_some() {
        prof.sex = p.sex;
    }
    if p.blood_group.is_some() {
        prof.blood_group = p.blood_group;
    }
    if p.advance_directives.is_some() {
        prof.advance_directives = p.advance_directives.clone();
    }
    if p.emergency_name.is_some()
        || p.emergency_phone.is_some()
        || p.emergency_relationship.is_some()
    {
        let mut c = prof.emergency_contact.clone().unwrap_or(EmergencyContact {
            name: String::new(),
            phone: None,
            relationship: None,
        });
        if let Some(n) = &p.emergency_name {
            c.name = n.clone();
        }
        if p.emergency_phone.is_some() {
            c.phone = p.emergency_phone.clone();
        }
        if p.emergency_relationship.is_some() {
            c.relationship = p.emergency_relationship.clone();
        }
        if c.name.trim().is_empty() {
            return Err(crate::errors::refused(msg!("err-emergency-needs-name")));
        }
        prof.emergency_contact = Some(c);
    }
    let entry = Entry::Profile(prof);
    entry.validate()?;
    let r = match id {
        Some(id) => vault.edit(&record, &id, entry)?,
        None => vault.add(&record, entry)?,
    };
    if cli.json {
        output::json(&r)
    } else {
        println!("{}", t!("profile-saved", id = r.id.to_string()));
        Ok(())
    }
}

fn media_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "dcm" => "application/dicom",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

fn attach(cli: &Cli, args: &crate::AttachArgs) -> Result<()> {
    let file = args.file.display().to_string();
    let meta = std::fs::metadata(&args.file)
        .with_context(|| msg!("err-attach-unreadable", file = file.as_str()))?;
    if !meta.is_file() {
        return Err(crate::errors::refused(msg!(
            "err-not-regular-file",
            file = file.as_str()
        )));
    }
    if meta.len() > carnet::MAX_ATTACHMENT {
        return Err(crate::errors::refused(msg!(
            "err-attach-too-large",
            file = file.as_str(),
            size = meta.len(),
            max = carnet::MAX_ATTACHMENT
        )));
    }
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let title = args
        .title
        .clone()
        .or_else(|| file_name.clone())
        .unwrap_or_else(|| "document".into());
    let vault = open(cli)?;
    let bytes = zeroize::Zeroizing::new(
        std::fs::read(&args.file)
            .with_context(|| msg!("err-cannot-read", file = args.file.display().to_string()))?,
    );
    let record = record_of(&vault, args.patient.patient.as_deref())?;
    let r = vault.attach(
        &record,
        &bytes,
        AttachmentInput {
            title,
            doc_type: args.doc_type,
            file_name,
            media_type: media_type(&args.file).to_string(),
            date: args.date.clone().unwrap_or_else(DateTime::now),
        },
    )?;
    if cli.json {
        output::json(&r)
    } else {
        println!(
            "{}",
            t!(
                "attached",
                file = file.as_str(),
                id = r.id.to_string(),
                size = bytes.len()
            )
        );
        Ok(())
    }
}

fn get_attachment(cli: &Cli, args: &crate::GetAttachmentArgs) -> Result<()> {
    let (id, out) = (&args.id, args.out.as_path());
    check_out(cli, out, true)?;
    let vault = open(cli)?;
    let record = record_of(&vault, args.patient.patient.as_deref())?;
    let id = vault.resolve_entry(&record, id)?;
    let (doc, bytes) = vault
        .attachment(&record, &id)
        .map_err(|e| named(&vault, e))?;
    write_out(out, &bytes)?;
    if cli.json {
        output::json(
            &json!({ "id": id, "out": out, "bytes": bytes.len(), "media_type": doc.blob.media_type }),
        )
    } else {
        say(
            out,
            t!(
                "attachment-written",
                title = doc.title.as_str(),
                size = bytes.len(),
                media_type = doc.blob.media_type.as_str(),
                out = out_name(out)
            ),
        );
        Ok(())
    }
}

/// Whether `--out -` asks for standard output.
pub fn is_stdout(out: &Path) -> bool {
    out == Path::new("-")
}

/// Checks an output before anything is done: `-` is standard output, which cannot also
/// carry `--json` (exit 2), nor binary data when it is a terminal (exit 4); a file must
/// not exist (exit 4).
pub fn check_out(cli: &Cli, out: &Path, binary: bool) -> Result<()> {
    if !is_stdout(out) {
        return refuse_existing(out);
    }
    if cli.json {
        return Err(crate::errors::usage(msg!("err-out-stdout-json")));
    }
    if binary && std::io::stdout().is_terminal() {
        return Err(crate::errors::refused(msg!("err-out-binary-terminal")));
    }
    Ok(())
}

/// Writes an output: to standard output for `-`, else to a new file readable by its
/// owner only.
pub fn write_out(out: &Path, bytes: &[u8]) -> Result<()> {
    if is_stdout(out) {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(bytes)?;
        stdout.flush()?;
        return Ok(());
    }
    write_private(out, bytes)
}

/// For outputs the library writes to a path itself (a backup, a bundle): `write(path)`
/// with `out`, or for `-` with a file in a private temporary directory, copied to
/// standard output and removed.
pub fn with_out<T>(out: &Path, write: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    if !is_stdout(out) {
        return write(out);
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("out");
    let r = write(&path)?;
    let mut file = std::fs::File::open(&path)?;
    let mut stdout = std::io::stdout().lock();
    std::io::copy(&mut file, &mut stdout)?;
    use std::io::Write;
    stdout.flush()?;
    Ok(r)
}

/// The message that follows a written output: on stdout, or on stderr when the output
/// itself went to stdout.
pub fn say(out: &Path, text: String) {
    if is_stdout(out) {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
}

/// `out` as people read it (`-` is standard output).
pub fn out_name(out: &Path) -> String {
    if is_stdout(out) {
        t!("standard-output")
    } else {
        out.display().to_string()
    }
}

/// Refuses an output path that exists: nothing is overwritten (exit 4).
pub fn refuse_existing(out: &Path) -> Result<()> {
    if out.exists() {
        return Err(crate::errors::refused(msg!(
            "err-out-exists",
            out = out.display().to_string()
        )));
    }
    Ok(())
}

/// Writes decrypted health data to a new file readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| msg!("err-cannot-create", file = path.display().to_string()))?;
    f.write_all(bytes)
        .with_context(|| msg!("err-cannot-write", file = path.display().to_string()))?;
    f.sync_all()?;
    Ok(())
}

/// Applies `--set FIELD=VALUE` / `--unset FIELD` to an entry's JSON form and reads it back
/// as the same kind of entry. A value is tried as text, then as a number, then as a code
/// (SYSTEM|CODE), so one syntax edits every kind.
/// The fields `edit` can change, per kind of entry (as `show --json` names them). A
/// name not in this list would be ignored by the entry's deserialisation, so an edit with
/// a typo would answer "Updated" and change nothing: it is refused instead.
fn editable_fields(entry: &Entry) -> &'static [&'static str] {
    match entry {
        Entry::Allergy(_) => &["substance", "code", "criticality", "reaction"],
        Entry::Condition(_) => &["name", "code", "onset", "abatement", "status"],
        Entry::Medication(_) => &[
            "name",
            "code",
            "dosage",
            "start",
            "end",
            "status",
            "status_reason",
        ],
        Entry::Immunization(_) => &["vaccine", "code", "date", "lot"],
        Entry::Measurement(_) => &[
            "kind",
            "value",
            "unit",
            "at",
            "source",
            "value_code",
            "value_text",
            "category",
            "status",
        ],
        Entry::Procedure(_) => &["name", "code", "date", "status", "status_reason"],
        Entry::Note(_) => &["text", "title"],
        Entry::Document(_) => &["title", "doc_type", "date"],
        Entry::Profile(_) => &[
            "name",
            "birth_date",
            "sex",
            "blood_group",
            "emergency_contact.name",
            "emergency_contact.phone",
            "emergency_contact.relationship",
            "advance_directives",
        ],
        Entry::NoneKnown(_) => &["asserted"],
        _ => &[],
    }
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn check_field(entry: &Entry, field: &str) -> Result<()> {
    let valid = editable_fields(entry);
    if valid.contains(&field) {
        return Ok(());
    }
    if valid.is_empty() {
        return Err(crate::errors::refused(msg!(
            "err-edit-not-editable",
            kind = entry.kind()
        )));
    }
    let near = valid
        .iter()
        .map(|v| (distance(field, v), v))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| t!("err-edit-did-you-mean", field = *v))
        .unwrap_or_default();
    Err(crate::errors::refused(msg!(
        "err-edit-no-field",
        kind = entry.kind(),
        field = field,
        near = near,
        fields = valid.join(", ")
    )))
}

pub fn apply_edits(entry: &Entry, set: &[String], unset: &[String]) -> Result<Entry> {
    for field in unset {
        check_field(entry, field)?;
    }
    for item in set {
        if let Some((field, _)) = item.split_once('=') {
            check_field(entry, field)?;
        }
    }
    let mut value = serde_json::to_value(entry)?;
    for field in unset {
        let (obj, key) = field_slot(&mut value, field)?;
        if obj.remove(key).is_none() {
            return Err(crate::errors::refused(msg!(
                "err-edit-not-set",
                field = field.as_str()
            )));
        }
    }
    for item in set {
        let (field, raw) = item.split_once('=').ok_or_else(|| {
            crate::errors::refused(msg!("err-edit-set-form", item = item.as_str()))
        })?;
        let mut candidates = vec![Value::String(raw.to_string())];
        if let Ok(n) = raw.parse::<f64>()
            && let Some(n) = serde_json::Number::from_f64(n)
        {
            candidates.push(Value::Number(n));
        }
        if let Ok(code) = raw.parse::<Code>() {
            candidates.push(serde_json::to_value(code)?);
        }
        let mut last_err = None;
        let mut ok = false;
        for c in candidates {
            let mut trial = value.clone();
            let (obj, key) = field_slot(&mut trial, field)?;
            obj.insert(key.to_string(), c);
            match serde_json::from_value::<Entry>(trial.clone())
                .map_err(anyhow::Error::from)
                .and_then(|e| {
                    e.validate()?;
                    Ok(e)
                }) {
                Ok(_) => {
                    value = trial;
                    ok = true;
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        if !ok {
            let e = last_err.unwrap_or_else(|| anyhow!(msg!("err-edit-no-value-fits")));
            return Err(crate::errors::refused(msg!(
                "err-edit-cannot-set",
                field = field,
                value = raw,
                why = crate::errors::text(&e)
            )));
        }
    }
    let new: Entry = serde_json::from_value(value).context(msg!("err-edit-invalid"))?;
    new.validate()?;
    Ok(new)
}

fn field_slot<'a>(
    value: &'a mut Value,
    field: &'a str,
) -> Result<(&'a mut serde_json::Map<String, Value>, &'a str)> {
    if field == "type" {
        return Err(crate::errors::refused(msg!("err-edit-kind")));
    }
    let (parent, key) = match field.split_once('.') {
        Some((p, k)) => (Some(p), k),
        None => (None, field),
    };
    let root = value
        .as_object_mut()
        .ok_or_else(|| anyhow!("entry is not an object"))?;
    let obj = match parent {
        None => root,
        Some(p) => root
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Default::default()))
            .as_object_mut()
            .ok_or_else(|| anyhow!(msg!("err-edit-no-subfields", field = p)))?,
    };
    Ok((obj, key))
}

fn edit(cli: &Cli, args: &EditArgs) -> Result<()> {
    if args.set.is_empty() && args.unset.is_empty() {
        return Err(crate::errors::refused(msg!("err-edit-nothing")));
    }
    let vault = open(cli)?;
    let record = record_of(&vault, args.patient.patient.as_deref())?;
    let id = vault.resolve_entry(&record, &args.id)?;
    let current = vault.get(&record, &id)?;
    let new = apply_edits(&current.entry, &args.set, &args.unset)?;
    let new = plausible(new, args.confirm_unusual, Some(&current.entry))?;
    let r = vault
        .edit(&record, &id, new)
        .map_err(|e| named(&vault, e))?;
    if cli.json {
        output::json(&r)
    } else {
        println!(
            "{}",
            t!(
                "updated",
                id = r.id.to_string(),
                section = crate::words::section(r.section)
            )
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(e: &Entry) -> Vec<String> {
        let v = serde_json::to_value(e).unwrap();
        let mut out = Vec::new();
        for (k, x) in v.as_object().unwrap() {
            match x.as_object() {
                Some(o) if k == "emergency_contact" => {
                    out.extend(o.keys().map(|s| format!("{k}.{s}")))
                }
                _ => out.push(k.clone()),
            }
        }
        out.retain(|k| k != "type" && k != "components");
        out.sort();
        out
    }

    fn sorted(e: &Entry) -> Vec<String> {
        let mut v: Vec<String> = editable_fields(e).iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn the_editable_fields_are_the_entries_own() {
        // Entries with every optional field set: the list must name exactly their fields,
        // so a field added to an entry without being listed here fails this test.
        let code = Some(Code::parse("snomed:1").unwrap());
        let day: carnet::record::Date = "2020-01-01".parse().unwrap();
        let entries = [
            Entry::Allergy(Allergy {
                substance: "x".into(),
                code: code.clone(),
                criticality: Some(carnet::record::Criticality::High),
                reaction: Some("r".into()),
                onset: None,
            }),
            Entry::Condition(Condition {
                name: "x".into(),
                code: code.clone(),
                onset: Some(day.clone()),
                abatement: Some(day.clone()),
                status: Default::default(),
            }),
            Entry::Medication(Medication {
                name: "x".into(),
                code: code.clone(),
                dosage: Some("d".into()),
                start: Some(day.clone()),
                end: Some(day.clone()),
                status: Default::default(),
                status_reason: Some("r".into()),
            }),
            Entry::Procedure(carnet::record::Procedure {
                name: "x".into(),
                code: code.clone(),
                date: Some(day.clone()),
                status: carnet::record::ProcedureStatus::NotDone,
                status_reason: Some("r".into()),
            }),
            Entry::Immunization(Immunization {
                vaccine: "x".into(),
                code: code.clone(),
                date: Some(day.clone()),
                lot: Some("l".into()),
                status: Default::default(),
                status_reason: None,
                date_text: None,
            }),
            Entry::Note(Note {
                text: "t".into(),
                title: Some("t".into()),
            }),
            Entry::Profile(Profile {
                name: "n".into(),
                birth_date: Some(day.clone()),
                sex: Some(carnet::record::Sex::Female),
                blood_group: Some(carnet::record::BloodGroup::APos),
                emergency_contact: Some(EmergencyContact {
                    name: "n".into(),
                    phone: Some("1".into()),
                    relationship: Some("r".into()),
                }),
                advance_directives: Some("a".into()),
                identifiers: Vec::new(),
            }),
        ];
        for e in &entries {
            assert_eq!(sorted(e), keys(e), "{}", e.kind());
        }
        let mut m = Measurement::from_input(
            "weight",
            "70",
            "kg",
            "2020-01-01T00:00:00Z".parse().unwrap(),
            Some("s".into()),
        )
        .unwrap();
        m.value_code = code;
        m.value_text = Some("t".into());
        m.category = Some("vital-signs".into());
        m.status = Some("final".into());
        let m = Entry::Measurement(m);
        assert_eq!(sorted(&m), keys(&m));
    }

    #[test]
    fn an_unknown_field_is_refused_naming_the_valid_ones() {
        let a = Entry::Allergy(Allergy {
            substance: "Penicillin".into(),
            code: None,
            criticality: None,
            reaction: None,
            onset: None,
        });
        let e = apply_edits(&a, &["reacton=rash".into()], &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no field \"reacton\" (did you mean reaction?)")
                && e.contains("substance, code, criticality, reaction"),
            "{e}"
        );
        let e = apply_edits(&a, &[], &["colour".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no field \"colour\""), "{e}");
        let Entry::Allergy(ok) = apply_edits(&a, &["reaction=rash".into()], &[]).unwrap() else {
            panic!()
        };
        assert_eq!(ok.reaction.as_deref(), Some("rash"));
    }
}
