//! The ten-year record, built the way a patient would have built it, through the public API
//! only: the history before Carnet imported once from a FHIR bundle, then week after week
//! a CGM export imported, entries typed one at a time, documents attached, clinicians
//! granted and revoked, and after every change a sync to each clinician in force who may
//! see it, which the consent log records as a `Served` entry. Nothing is written to the
//! store directly: the bench measures vaults the product makes.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use carnet::consent::Access;
use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{IdentityCard, MasterKey, PersonSecret, Role};
use carnet::record::{DateTime, Entry, SectionId};
use carnet::wire::Have;
use carnet::{AttachmentInput, CreateOptions, ImportItem, LabeledItem, Vault};

use crate::data;

/// The passphrase of every bench vault.
pub fn pass() -> SecretString {
    SecretString::from("correct horse battery staple, ten years on".to_string())
}

/// What a record holds.
#[derive(Clone, Debug)]
pub struct Spec {
    /// CGM readings.
    pub readings: usize,
    /// Clinical entries (profile included).
    pub entries: usize,
    /// Attachments.
    pub attachments: usize,
    /// Size of each attachment.
    pub attachment_size: usize,
    /// Entries of the consent log at most: grants and revokes, and one `Served` entry per
    /// sync that delivered something, all made through the API; syncs stop once the log
    /// holds this many (the record's history may make fewer).
    pub log: usize,
}

/// Clinicians of the record's history: name, role, sections, access, year granted, year
/// revoked.
type Clinician = (&'static str, &'static [SectionId], Access, i64, Option<i64>);

/// Clinicians of the record's history (see above).
const CLINICIANS: &[Clinician] = &[
    (
        "Dr Martin (GP)",
        &[
            SectionId::Profile,
            SectionId::Allergies,
            SectionId::Conditions,
            SectionId::Medications,
            SectionId::Immunizations,
            SectionId::Measurements,
            SectionId::Documents,
        ],
        Access::Write,
        0,
        None,
    ),
    (
        "Dr Leroy (endocrinologist)",
        &[
            SectionId::Measurements,
            SectionId::Medications,
            SectionId::Conditions,
        ],
        Access::Read,
        0,
        Some(4),
    ),
    (
        "Nurse Petit (diabetes)",
        &[SectionId::Measurements, SectionId::Notes],
        Access::Write,
        1,
        None,
    ),
    (
        "Dr Girard (endocrinologist)",
        &[
            SectionId::Measurements,
            SectionId::Medications,
            SectionId::Conditions,
            SectionId::Allergies,
        ],
        Access::Read,
        4,
        None,
    ),
    (
        "Dr Moreau (ophthalmologist)",
        &[SectionId::Conditions, SectionId::Documents],
        Access::Read,
        6,
        Some(8),
    ),
];

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A new vault at the minimum scrypt cost.
pub fn vault(dir: &Path, name: &str, role: Role) -> Result<Vault> {
    Ok(Vault::create(
        dir,
        &pass(),
        &CreateOptions {
            name: name.into(),
            role,
            kdf_log_n: MasterKey::MIN_LOG_N,
        },
    )?
    .vault)
}

/// The patient of every record here, in a new vault.
pub fn patient_vault(dir: &Path) -> Result<Vault> {
    vault(dir, "Camille Durand", Role::Patient)
}

/// A vault for someone else (a clinician), at the minimum scrypt cost.
pub fn clinician_vault(dir: &Path, name: &str) -> Result<Vault> {
    vault(dir, name, Role::Clinician)
}

/// Builds the record of `spec` in `dir` (see the module docs), at the minimum scrypt cost
/// (see [`with_default_kdf`]). Deterministic content; returns the bytes of attachments and
/// the length of the consent log.
pub fn build(dir: &Path, spec: &Spec, progress: bool) -> Result<(u64, u64)> {
    let readings = data::cgm(spec.readings, data::START, 7);
    let entries = data::clinical(spec.entries, 11);
    let mut v = patient_vault(dir)?;
    let record = v.own_record()?;
    let month = 10 * 365 * 86_400 / 120;
    let week = 7 * 86_400;
    let month_of = |t: i64| ((t - data::START).max(0) / month) as usize;

    // Clinicians: cards only (their vaults do not matter here: what the patient sends them
    // is produced and logged exactly as for a real peer, and then dropped).
    let mut cards = Vec::new();
    for (name, ..) in CLINICIANS {
        let secret = PersonSecret::generate()?;
        let card = IdentityCard::issue(&secret, name, Role::Clinician, Vec::new(), now())?;
        v.add_contact(name, &card.to_text())?;
        cards.push(card);
    }
    let mut log_len = v.consent_log(&record)?.len();

    // The history before Carnet: one FHIR import of the first five years.
    let history_end = data::START + 5 * 365 * 86_400;
    let history: Vec<LabeledItem> = entries
        .iter()
        .filter(|(t, _)| *t < history_end)
        .map(|(_, e)| LabeledItem {
            label: e.kind().to_string(),
            item: ImportItem::Entry(e.clone()),
        })
        .collect();
    v.import(&record, history, &mut |_, _| {})?;

    // After a change to `section`, the patient's device syncs with every clinician in force
    // who may see it: what they lack is produced (`send_items`) and its delivery logged
    // (`commit_sent`), until the log is `spec.log` entries long.
    // What each clinician holds is what they were sent: what a live peer would say it
    // holds at the start of the next sync.
    let mut held: Vec<Have> = vec![Have::default(); CLINICIANS.len()];
    let mut sync = |v: &mut Vault, section: SectionId, log_len: &mut u64| -> Result<()> {
        for g in v.grants()? {
            if *log_len >= spec.log as u64 {
                return Ok(());
            }
            if g.revoked || !g.sections.contains(&section) {
                continue;
            }
            let c = CLINICIANS
                .iter()
                .position(|c| c.0 == g.contact)
                .context("a clinician of the history")?;
            let engine = v.engine();
            let report = engine.send_items(&cards[c], &held[c], &mut |item| {
                std::hint::black_box(item);
                Ok(())
            })?;
            engine.commit_sent(&cards[c].person_id(), &report)?;
            if !report.served.is_empty() {
                *log_len += 1;
            }
            held[c] = report.peer_after;
        }
        Ok(())
    };

    // Month after month; readings imported week by week.
    type Month = (Vec<(i64, f64)>, Vec<Entry>, Vec<usize>);
    let mut by_month: BTreeMap<usize, Month> = BTreeMap::new();
    for &r in &readings {
        by_month.entry(month_of(r.0)).or_default().0.push(r);
    }
    for (t, e) in entries.iter().filter(|(t, _)| *t >= history_end) {
        by_month.entry(month_of(*t)).or_default().1.push(e.clone());
    }
    for i in 0..spec.attachments {
        by_month
            .entry(i * 120 / spec.attachments.max(1))
            .or_default()
            .2
            .push(i);
    }
    let mut attachment_bytes = 0;
    let months = by_month.len();
    for (k, (m, (rs, es, docs))) in by_month.into_iter().enumerate() {
        let year = (m / 12) as i64;
        for (name, sections, access, from, until) in CLINICIANS {
            if m % 12 == 0 && *from == year {
                v.grant(name, sections, *access, "care", None)?;
                log_len = v.consent_log(&record)?.len();
                // The first sync of a new grant: the whole history of its sections.
                sync(&mut v, sections[0], &mut log_len)?;
            }
            if m % 12 == 0 && *until == Some(year) {
                let ids: Vec<_> = v
                    .grants()?
                    .into_iter()
                    .filter(|g| g.contact == *name && !g.revoked)
                    .map(|g| g.id)
                    .collect();
                for id in ids {
                    v.revoke(&id)?;
                }
                log_len = v.consent_log(&record)?.len();
            }
        }
        let mut rs = rs.as_slice();
        while let Some(first) = rs.first() {
            let n = rs.iter().take_while(|r| r.0 < first.0 + week).count();
            v.import(
                &record,
                vec![LabeledItem {
                    label: "glucose".into(),
                    item: ImportItem::Readings(data::reading_set(&rs[..n])),
                }],
                &mut |_, _| {},
            )?;
            sync(&mut v, SectionId::Measurements, &mut log_len)?;
            rs = &rs[n..];
        }
        for e in es {
            let section = e.section();
            v.add(&record, e)?;
            sync(&mut v, section, &mut log_len)?;
        }
        for i in docs {
            let (title, doc_type, media, bytes) = data::attachment(i, spec.attachment_size);
            attachment_bytes += bytes.len() as u64;
            let t = data::START + (i as i64) * 10 * 365 * 86_400 / spec.attachments.max(1) as i64;
            v.attach(
                &record,
                &bytes,
                AttachmentInput {
                    title,
                    doc_type,
                    file_name: Some(format!(
                        "document-{i}.{}",
                        if media == "image/jpeg" { "jpg" } else { "pdf" }
                    )),
                    media_type: media,
                    date: DateTime::from_unix(t).context("a date")?,
                },
            )?;
            sync(&mut v, SectionId::Documents, &mut log_len)?;
        }
        if progress && k % 12 == 11 {
            eprint!(".");
        }
    }
    let log_len = v.consent_log(&record)?.len();
    if progress {
        eprintln!(" {months} months, consent log of {log_len} entries");
    }
    Ok((attachment_bytes, log_len))
}

/// A copy of a vault whose master key is wrapped at the default scrypt cost (2^18), as
/// `carnet init` makes them: same database, only `key.age` differs.
pub fn with_default_kdf(from: &Path, to: &Path) -> Result<()> {
    crate::measure::copy_dir(from, to)?;
    let store = carnet_store::Store::open(to, &pass())?;
    store.change_passphrase(&pass(), MasterKey::DEFAULT_LOG_N)?;
    Ok(())
}
