//! Contacts, grants, the access log and the auditor's commands.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use carnet::consent::{Access, AuditExport, GrantId, MAX_EXPORT_BYTES, Pins};
use carnet::crypto::PersonId;
use data_encoding::BASE64;
use serde_json::json;

use crate::commands::{open, write_private};
use crate::{AuditCommand, Cli, ContactCommand, GrantArgs, ShareCommand, msg, output, t, words};

fn when(t: u64) -> String {
    carnet::record::DateTime::from_unix(t as i64)
        .map(|d| d.to_string())
        .unwrap_or_else(|| t.to_string())
}

pub fn contact(cli: &Cli, cmd: &ContactCommand) -> Result<()> {
    match cmd {
        ContactCommand::Add { name, card } => {
            let vault = open(cli)?;
            let c = vault.add_contact(name, card)?;
            if cli.json {
                output::json(
                    &json!({ "name": c.name, "id": c.id.to_string(), "role": c.role.as_str() }),
                )
            } else {
                println!(
                    "{}",
                    t!(
                        "contact-added",
                        name = c.name.as_str(),
                        role = words::word(c.role.as_str()),
                        id = c.id.short()
                    )
                );
                Ok(())
            }
        }
        ContactCommand::List => {
            let vault = open(cli)?;
            let list = vault.contacts()?;
            if cli.json {
                let v: Vec<_> = list
                    .iter()
                    .map(|c| json!({ "name": c.name, "id": c.id.to_string(), "role": c.role.as_str(), "card": c.card }))
                    .collect();
                output::json(&v)
            } else {
                if list.is_empty() {
                    println!("{}", t!("contacts-empty"));
                }
                for c in &list {
                    println!(
                        "{} {} {}",
                        output::pad(&c.name, 24),
                        output::pad(&words::word(c.role.as_str()), 10),
                        c.id
                    );
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
    let vault = open(cli)?;
    let id = vault.grant(&args.contact, &args.sections, access, &args.purpose, until)?;
    if cli.json {
        output::json(&json!({ "grant_id": id.to_string() }))
    } else {
        let names: Vec<String> = args.sections.iter().map(|s| words::section(*s)).collect();
        println!(
            "{}",
            t!(
                "granted",
                contact = args.contact.as_str(),
                access = words::word(access.as_str()),
                sections = names.join(", "),
                id = id.to_string()
            )
        );
        // What the grantee will see: every entry already there, not only what comes next.
        if let Ok(record) = vault.own_record() {
            let mut existing = 0;
            for section in &args.sections {
                existing += vault.list(&record, Some(*section)).map_or(0, |l| l.len());
            }
            println!(
                "{}",
                t!(
                    "grant-sees",
                    contact = args.contact.as_str(),
                    n = existing,
                    sections = names.join(", ")
                )
            );
            if access == Access::Write {
                println!(
                    "{}",
                    t!("grant-write-note", contact = args.contact.as_str())
                );
            }
        }
        println!("{}", t!("granted-keys-ready"));
        Ok(())
    }
}

pub fn revoke(cli: &Cli, id: &str) -> Result<()> {
    let id: GrantId = id.parse()?;
    let vault = open(cli)?;
    let g = vault.revoke(&id)?;
    if cli.json {
        output::json(&json!({ "grant_id": id.to_string(), "revoked": true }))
    } else {
        println!(
            "{}",
            t!("revoked", id = id.to_string(), contact = g.contact.as_str())
        );
        println!("{}", t!("revoked-no-recall"));
        Ok(())
    }
}

pub fn block(cli: &Cli, contact: &str) -> Result<()> {
    let vault = open(cli)?;
    let ended = vault.block(contact)?;
    if cli.json {
        output::json(
            &json!({ "blocked": contact, "grants_ended": ended.iter().map(|g| g.id.to_string()).collect::<Vec<_>>() }),
        )
    } else {
        println!("{}", t!("blocked", contact = contact, n = ended.len()));
        Ok(())
    }
}

pub fn grants(cli: &Cli) -> Result<()> {
    let vault = open(cli)?;
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
            println!("{}", t!("grants-empty"));
        }
        for g in &list {
            let state = if g.expired {
                t!("grant-state-ended")
            } else if g.revoked {
                t!("grant-state-revoked")
            } else if g.active(now) {
                t!("grant-state-active")
            } else {
                t!("grant-state-expired")
            };
            let names: Vec<String> = g.sections.iter().map(|s| words::section(*s)).collect();
            println!(
                "{}  {} {}",
                g.id,
                output::pad(&state, 8),
                t!(
                    "grant-line",
                    contact = g.contact.as_str(),
                    access = words::word(g.access.as_str()),
                    sections = names.join(","),
                    purpose = g.purpose.as_str()
                )
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
                Some(p) => t!("log-someone", id = p.short()),
                None => t!(
                    "log-unknown-device",
                    id = a.endpoint.map(|k| k.short()).unwrap_or_default()
                ),
            },
        };
        t!("log-refused-attempt", who = who, why = a.why.as_str())
    };
    if cli.json {
        // Language-neutral: the library's English text, as before.
        let mut v: Vec<_> = lines
            .iter()
            .map(|l| json!({ "index": l.index, "time": when(l.time), "kind": l.kind, "text": l.text }))
            .collect();
        v.extend(attempts.iter().map(|a| {
            json!({ "time": when(a.time), "kind": "refused", "text": crate::i18n::in_english(|| refused_text(a)) })
        }));
        output::json(&v)
    } else {
        for (time, text) in log_said(&vault, |_| true)? {
            println!("{}  {text}", words::moment_unix(time));
        }
        if !attempts.is_empty() {
            println!("{}", t!("log-refused-title"));
            for a in &attempts {
                println!("{}  {}", words::moment_unix(a.time), refused_text(a));
            }
        }
        Ok(())
    }
}

/// The owner's consent log in the language of messages, one (time, text) per entry that
/// `keep` keeps: what `carnet log` prints, and the demo's last step.
pub fn log_said(
    vault: &carnet::Vault,
    keep: impl Fn(&carnet::consent::Action) -> bool,
) -> Result<Vec<(u64, String)>> {
    let people = vault.people()?;
    let record = vault.own_record()?;
    let log = vault.consent_log(&record)?;
    let grants = vault.grants()?;
    let names = section_names(&log, &grants);
    let contacts = vault.contacts()?;
    let me = vault.person_id();
    let who = |p: &PersonId| {
        if *p == me {
            return t!("log-you");
        }
        contacts
            .iter()
            .find(|c| c.id == *p)
            .map(|c| c.name.clone())
            .or_else(|| people.get(p).map(|(n, _)| n.clone()))
            .unwrap_or_else(|| t!("log-someone", id = p.short()))
    };
    Ok(log
        .entries()
        .iter()
        .map(|signed| signed.entry())
        .filter(|e| keep(&e.action))
        .map(|e| (e.time, log_text(&e.action, &names, &grants, &who)))
        .collect())
}

/// The sections behind the tags of the consent log. The log names sections by a salted
/// commitment only (an auditor learns nothing from it); every tag in it belongs to a grant
/// (grants, deliveries, rotations and exchanges all concern granted sections), and a grant
/// lists its sections in the order its log entry commits them.
fn section_names(
    log: &carnet::consent::ConsentLog,
    grants: &[carnet::GrantInfo],
) -> std::collections::HashMap<carnet::consent::SectionTag, carnet::record::SectionId> {
    let mut map = std::collections::HashMap::new();
    for signed in log.entries() {
        if let carnet::consent::Action::Grant {
            grant, sections, ..
        } = &signed.entry().action
            && let Some(g) = grants.iter().find(|g| g.id == *grant)
            && g.sections.len() == sections.len()
        {
            for (tag, s) in sections.iter().zip(&g.sections) {
                map.insert(*tag, *s);
            }
        }
    }
    map
}

/// One consent-log entry in the language of messages.
fn log_text(
    action: &carnet::consent::Action,
    names: &std::collections::HashMap<carnet::consent::SectionTag, carnet::record::SectionId>,
    grants: &[carnet::GrantInfo],
    who: &dyn Fn(&PersonId) -> String,
) -> String {
    use carnet::consent::Action;
    let name = |tag: &carnet::consent::SectionTag| {
        names
            .get(tag)
            .map(|s| words::section(*s))
            .unwrap_or_else(|| t!("log-unknown-section"))
    };
    let of_ranges = |ranges: &[carnet::consent::Range]| {
        let n: u64 = ranges.iter().map(|r| r.to - r.from + 1).sum();
        let set: std::collections::BTreeSet<String> =
            ranges.iter().map(|r| name(&r.section)).collect();
        (n, set.into_iter().collect::<Vec<_>>().join(", "))
    };
    let day = |t: u64| {
        carnet::record::DateTime::from_unix(t as i64)
            .map(|d| d.date().to_string())
            .unwrap_or_default()
    };
    match action {
        Action::Genesis { .. } => t!("log-genesis"),
        Action::Grant {
            grant,
            grantee,
            sections,
            access,
            not_after,
            ..
        } => t!(
            "log-grant",
            who = who(grantee),
            access = words::word(access.as_str()),
            sections = sections.iter().map(&name).collect::<Vec<_>>().join(", "),
            purpose = grants
                .iter()
                .find(|g| g.id == *grant)
                .map(|g| g.purpose.clone())
                .unwrap_or_default(),
            until = not_after
                .map(|t| t!("log-until", date = day(t)))
                .unwrap_or_default(),
            id = grant.to_string()
        ),
        Action::Revoke { grant } => match grants.iter().find(|g| g.id == *grant) {
            Some(g) if g.expired => t!(
                "log-grant-ended",
                who = who(&g.grantee),
                id = grant.to_string(),
                date = g.not_after.map(day).unwrap_or_default()
            ),
            Some(g) => t!(
                "log-revoke-of",
                who = who(&g.grantee),
                id = grant.to_string()
            ),
            None => t!("log-revoke", id = grant.to_string()),
        },
        Action::Block { person } => t!("log-block", who = who(person)),
        Action::EpochRotation { section, epoch } => {
            t!("log-rotation", section = name(section), epoch = *epoch)
        }
        Action::KeyDelivery {
            grantee,
            section,
            epoch,
            ..
        } => t!(
            "log-key-delivery",
            who = who(grantee),
            section = name(section),
            epoch = *epoch
        ),
        Action::Served { to, ranges } => {
            let (n, sections) = of_ranges(ranges);
            t!("log-served", who = who(to), n = n, sections = sections)
        }
        Action::Written { to, ranges } => {
            let (n, sections) = of_ranges(ranges);
            t!("log-written", who = who(to), n = n, sections = sections)
        }
        Action::Deposited {
            to,
            mailbox,
            ranges,
        } => {
            let (n, sections) = of_ranges(ranges);
            t!(
                "log-deposited",
                who = who(to),
                n = n,
                sections = sections,
                mailbox = &data_encoding::HEXLOWER.encode(mailbox)[..12]
            )
        }
        Action::Received { from, ranges } => {
            let (n, sections) = of_ranges(ranges);
            t!("log-received", who = who(from), n = n, sections = sections)
        }
        Action::DeviceAdded { device, .. } | Action::DeviceCertified { device, .. } => {
            t!("log-device-added", id = &device.to_string()[..8])
        }
        Action::DeviceRemoved { device, .. } | Action::DeviceRetired { device, .. } => {
            t!("log-device-removed", id = &device.to_string()[..8])
        }
        Action::RootDeclared { .. } => t!("log-root-declared"),
        Action::Takeover { device, forked, .. } => match forked {
            Some(b) => t!(
                "log-takeover-forked",
                id = &device.to_string()[..8],
                size = b.size
            ),
            None => t!("log-takeover", id = &device.to_string()[..8]),
        },
    }
}

pub fn audit(cli: &Cli, cmd: &AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Export { out } => {
            crate::commands::check_out(cli, out, false)?;
            let vault = open(cli)?;
            let export = vault.audit_export()?;
            crate::commands::write_out(out, export.to_json().as_bytes())?;
            if cli.json {
                output::json(
                    &json!({ "out": out, "entries": export.entries.len(), "checkpoints": export.checkpoints.len() }),
                )
            } else {
                crate::commands::say(
                    out,
                    t!(
                        "audit-exported",
                        n = export.entries.len(),
                        out = crate::commands::out_name(out)
                    ),
                );
                Ok(())
            }
        }
        AuditCommand::Verify {
            file,
            patient,
            since_checkpoint,
            min_size,
            cosigned,
        } => verify(
            cli,
            file,
            patient.as_deref(),
            since_checkpoint.as_deref(),
            *min_size,
            cosigned,
        ),
        AuditCommand::Witness { patient, out } => {
            let vault = open(cli)?;
            let record = crate::commands::record_of(&vault, Some(patient))?;
            let note = vault
                .witnessed(&record)?
                .with_context(|| msg!("err-witness-none", patient = patient.as_str()))?;
            let text = serde_json::to_string_pretty(&note)?;
            match out {
                Some(out) => {
                    if out.exists() {
                        bail!(msg!("err-out-exists", out = out.display().to_string()));
                    }
                    write_private(out, text.as_bytes())?;
                    if cli.json {
                        output::json(&json!({ "out": out }))
                    } else {
                        println!(
                            "{}",
                            t!(
                                "witness-written",
                                patient = patient.as_str(),
                                out = out.display().to_string()
                            )
                        );
                        Ok(())
                    }
                }
                None => {
                    println!("{text}");
                    Ok(())
                }
            }
        }
    }
}

/// Reads a file an auditor was handed after checking, before reading a byte, that it is a
/// regular file of at most [`MAX_EXPORT_BYTES`]: a huge file, a device or a pipe is refused
/// unread. The read itself is bounded too, in case the file grows meanwhile.
fn read_audit_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    let max = MAX_EXPORT_BYTES as u64;
    let file_name = || path.display().to_string();
    let cannot_read = || msg!("err-audit-cannot-read", what = what, file = file_name());
    let meta = std::fs::metadata(path).with_context(cannot_read)?;
    if !meta.is_file() {
        bail!(msg!(
            "err-audit-not-regular",
            file = file_name(),
            what = what
        ));
    }
    let limit = max / (1024 * 1024);
    if meta.len() > max {
        bail!(msg!(
            "err-audit-too-large",
            file = file_name(),
            size = meta.len(),
            limit = limit,
            what = what
        ));
    }
    let file = std::fs::File::open(path).with_context(cannot_read)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(cannot_read)?;
    if bytes.len() as u64 > max {
        bail!(msg!(
            "err-audit-grew",
            file = file_name(),
            limit = limit,
            what = what
        ));
    }
    Ok(bytes)
}

/// The checkpoint in a file the auditor kept: a signed checkpoint note, an earlier export
/// (its newest checkpoint) or the saved `--json` output of an earlier `audit verify`.
fn older_checkpoint(path: &Path) -> Result<String> {
    let bytes = read_audit_file(path, &t!("audit-what-older"))?;
    let file = || path.display().to_string();
    if let Ok(old) = AuditExport::from_json(&bytes) {
        return old
            .checkpoints
            .last()
            .cloned()
            .with_context(|| msg!("err-audit-export-no-checkpoint", file = file()));
    }
    if let Ok(serde_json::Value::Object(report)) = serde_json::from_slice(&bytes) {
        return match report.get("checkpoint") {
            Some(serde_json::Value::String(note)) => Ok(note.clone()),
            _ => bail!(msg!("err-audit-json-no-checkpoint", file = file())),
        };
    }
    String::from_utf8(bytes).with_context(|| msg!("err-audit-not-checkpoint", file = file()))
}

/// Whether a log verified without any witness's cosignature to check it against.
fn report_ok_and_unwitnessed(v: &carnet::consent::Verification) -> bool {
    v.report.ok && v.witnesses.is_empty()
}

fn verify(
    cli: &Cli,
    file: &Path,
    patient: Option<&str>,
    since_checkpoint: Option<&Path>,
    min_size: Option<u64>,
    cosigned: &[std::path::PathBuf],
) -> Result<()> {
    let patient: Option<PersonId> = patient
        .map(|p| {
            p.parse()
                .with_context(|| msg!("err-audit-bad-patient", value = format!("{p:?}")))
        })
        .transpose()?;
    let bytes = read_audit_file(file, &t!("audit-what-export"))?;
    let export = AuditExport::from_json(&bytes)?;
    let since = since_checkpoint.map(older_checkpoint).transpose()?;
    let mut witnessed = Vec::new();
    for path in cosigned {
        let bytes = read_audit_file(path, &t!("audit-what-cosigned"))?;
        witnessed.push(
            serde_json::from_slice::<carnet::consent::WitnessNote>(&bytes).with_context(|| {
                msg!("err-audit-not-cosigned", file = path.display().to_string())
            })?,
        );
    }
    let v = carnet::consent::verify_with(
        &export,
        &Pins {
            patient,
            since: since.as_deref(),
            min_size,
            cosigned: &witnessed,
        },
    );
    // The warnings, in the language for people and in English inside the JSON.
    let no_witness = || report_ok_and_unwitnessed(&v).then(|| t!("audit-warn-unwitnessed"));
    let unpinned = || {
        v.trust_root.is_none().then(|| {
            t!(
                "audit-warn-unpinned",
                bearing = match v.name.as_deref() {
                    Some(n) => t!("audit-bearing-name", name = n),
                    None => t!("audit-bearing-any-name"),
                }
            )
        })
    };
    let report = &v.report;
    if cli.json {
        output::json(&json!({
            "ok": report.ok,
            "entries": report.entries,
            "checkpoints": report.checkpoints,
            "first_error": report.first_error,
            "record": v.record.map(|r| r.to_string()),
            "person": v.person.map(|p| json!({ "id": p.to_string(), "name": v.name })),
            "size": v.newest.as_ref().map(|n| n.size),
            "root": v.newest.as_ref().map(|n| BASE64.encode(&n.root)),
            "checkpoint": v.newest.as_ref().map(|n| n.note.as_str()),
            "trust_root": v.trust_root.map(|p| json!({ "patient": p.to_string() })),
            "since_checkpoint_size": v.since_size,
            "min_size": min_size,
            "witnesses": v.witnesses.iter().map(|w| json!({
                "id": w.witness.to_string(),
                "name": w.name,
                "size": w.size,
                "time": w.time,
            })).collect::<Vec<_>>(),
            "warning": crate::i18n::in_english(unpinned),
            "witness_warning": crate::i18n::in_english(no_witness),
        }))?;
    } else if report.ok
        && let (Some(record), Some(person), Some(newest)) = (v.record, v.person, &v.newest)
    {
        let name = v.name.as_deref().unwrap_or("?");
        let (person, record) = (person.to_string(), record.to_string());
        if v.trust_root.is_some() {
            println!(
                "{}",
                t!(
                    "audit-ok-pinned",
                    name = name,
                    person = person,
                    record = record
                )
            );
        } else {
            println!(
                "{}",
                t!(
                    "audit-ok-unpinned",
                    name = name,
                    person = person,
                    record = record
                )
            );
        }
        println!(
            "{}",
            t!(
                "audit-holds",
                entries = report.entries,
                checkpoints = report.checkpoints
            )
        );
        println!(
            "{}",
            t!(
                "audit-newest",
                size = newest.size,
                root = BASE64.encode(&newest.root)
            )
        );
        if let Some(size) = v.since_size {
            println!("{}", t!("audit-extends", size = size));
        }
        if let Some(n) = min_size {
            println!("{}", t!("audit-pinned-size", n = n));
        }
        for w in &v.witnesses {
            println!(
                "{}",
                t!(
                    "audit-witnessed",
                    name = w.name.as_str(),
                    id = w.witness.short().to_string(),
                    size = w.size
                )
            );
        }
        println!("{}", t!("audit-keep-checkpoint", size = newest.size));
        for w in [unpinned(), no_witness()].into_iter().flatten() {
            eprintln!("{} {w}", t!("warning-label"));
        }
    }
    if !report.ok {
        bail!(msg!(
            "err-audit-does-not-verify",
            why = report
                .first_error
                .clone()
                .unwrap_or_else(|| t!("audit-unknown-failure"))
        ));
    }
    Ok(())
}

pub fn share(cli: &Cli, cmd: &ShareCommand) -> Result<()> {
    match cmd {
        ShareCommand::Export { to, out, full } => {
            crate::commands::check_out(cli, out, true)?;
            let vault = open(cli)?;
            let peer = vault.find_peer(to)?;
            let s =
                crate::commands::with_out(
                    out,
                    |path| Ok(vault.export_bundle(&peer, *full, path)?),
                )?;
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
                crate::commands::say(
                    out,
                    t!(
                        "bundle-written",
                        out = crate::commands::out_name(out),
                        to = s.to.as_str(),
                        changes = s.envelopes,
                        keys = s.key_grants,
                        consent = s.consent_entries,
                        attachments = s.attachments,
                        bytes = s.bytes
                    ),
                );
                if s.withheld > 0 {
                    crate::commands::say(out, t!("bundle-withheld", n = s.withheld));
                }
            }
            Ok(())
        }
        ShareCommand::Inspect { file } => inspect(cli, file),
        ShareCommand::Import { file } => {
            if !file.is_file() {
                return Err(crate::errors::refused(msg!(
                    "err-not-a-file",
                    file = file.display().to_string()
                )));
            }
            let vault = open(cli)?;
            let s = vault.import_bundle(file)?;
            if cli.json {
                output::json(&json!({
                    "from": s.from,
                    "from_id": s.from_id.to_string(),
                    "envelopes": s.envelopes,
                    "duplicates": s.duplicates,
                    "key_grants": s.key_grants,
                    "consent_entries": s.consent_entries,
                    "attachments": s.attachments,
                    "bytes": s.bytes,
                }))
            } else {
                println!(
                    "{}",
                    t!(
                        "bundle-imported",
                        from = s.from.as_str(),
                        changes = s.envelopes,
                        duplicates = s.duplicates,
                        keys = s.key_grants,
                        consent = s.consent_entries,
                        attachments = s.attachments
                    )
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
        "{}",
        t!(
            "bundle-inspect",
            from = info.from.as_str(),
            id = &info.from_id.to_string()[..8],
            at = words::moment_unix(info.created),
            ok = if info.signature_ok { "yes" } else { "no" }
        )
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
                    "superseded": p.superseded.iter().map(|b| json!({
                        "size": checkpoint_size(&b.checkpoint),
                        "from": b.from,
                        "seen": b.seen,
                        "checkpoint": b.checkpoint,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        output::json(&v)
    } else {
        if list.is_empty() {
            println!("{}", t!("patients-empty"));
        }
        for p in &list {
            let granted: Vec<String> = p
                .sections
                .iter()
                .map(|(s, a)| format!("{} ({})", words::section(*s), words::word(a.as_str())))
                .collect();
            println!(
                "{} {}  {}",
                output::pad(&p.name, 24),
                p.id.short(),
                if granted.is_empty() {
                    t!("patients-no-grant")
                } else {
                    granted.join(", ")
                }
            );
            for b in &p.superseded {
                println!(
                    "  {}",
                    t!(
                        "patients-superseded",
                        name = p.name.as_str(),
                        size = checkpoint_size(&b.checkpoint)
                            .map_or("?".to_string(), |n| n.to_string()),
                        from = b.from
                    )
                );
            }
        }
        Ok(())
    }
}

/// The size a checkpoint note states (its second line).
fn checkpoint_size(note: &str) -> Option<u64> {
    note.lines().nth(1)?.trim().parse().ok()
}
