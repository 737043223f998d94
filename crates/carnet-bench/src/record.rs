//! The ten-year record, built the way a patient would have built it: the history before
//! Carnet imported once from a FHIR bundle, then month after month a CGM export imported,
//! entries typed one at a time, documents attached, clinicians granted and revoked, and a
//! consent log that grew with every sync.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use carnet::consent::{Access, Action, ConsentLog, Range, SectionTag, SignedEntry};
use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{IdentityCard, MasterKey, PersonSecret, Role};
use carnet::record::{DateTime, Entry, SectionId};
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
    /// Entries of the consent log (grants and revokes made through the API, then one
    /// `Served` entry per sync that delivered something).
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
    )?)
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
/// (see [`with_default_kdf`]). Deterministic content; returns the bytes of attachments.
pub fn build(dir: &Path, spec: &Spec, progress: bool) -> Result<u64> {
    let readings = data::cgm(spec.readings, data::START, 7);
    let entries = data::clinical(spec.entries, 11);
    let mut v = patient_vault(dir)?;
    let record = v.own_record()?;
    let month = 10 * 365 * 86_400 / 120;
    let month_of = |t: i64| ((t - data::START).max(0) / month) as usize;

    // Clinicians: cards only (their vaults do not matter here).
    let mut cards = Vec::new();
    for (name, ..) in CLINICIANS {
        let secret = PersonSecret::generate()?;
        let card = IdentityCard::issue(&secret, name, Role::Clinician, Vec::new(), now())?;
        v.add_contact(name, &card.to_text())?;
        cards.push(card);
    }

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

    // Month after month.
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
        for (c, (name, sections, access, from, until)) in CLINICIANS.iter().enumerate() {
            let _ = c;
            if m % 12 == 0 && *from == year {
                v.grant(name, sections, *access, "care", None)?;
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
            }
        }
        if !rs.is_empty() {
            v.import(
                &record,
                vec![LabeledItem {
                    label: "glucose".into(),
                    item: ImportItem::Readings(data::reading_set(&rs)),
                }],
                &mut |_, _| {},
            )?;
        }
        for e in es {
            v.add(&record, e)?;
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
        }
        if progress && k % 12 == 11 {
            eprint!(".");
        }
    }
    if progress {
        eprintln!(" {months} months");
    }
    let grants: Vec<_> = v.grants()?.into_iter().filter(|g| !g.revoked).collect();
    let device = v.device_id();
    drop(v);

    // The syncs of ten years: one `Served` entry each, signed like the vault signs them,
    // appended in one transaction (through the API, each append would re-read the log).
    let store = carnet_store::Store::open(dir, &pass())?;
    let secret = store
        .read()?
        .get_secret_meta("person")?
        .context("no identity")?;
    let me = PersonSecret::from_bytes(&secret)?;
    let salt: [u8; 32] = store
        .read()?
        .get_secret_meta(&format!("salt:{record}"))?
        .context("no salt")?
        .as_slice()
        .try_into()?;
    let mut log = ConsentLog::new(record, me.person_id());
    for bytes in store.read()?.consent_entries(&record)? {
        log.push(SignedEntry::from_bytes(&bytes)?)?;
    }
    let mut txn = store.write()?;
    let mut seq: BTreeMap<u8, u64> = BTreeMap::new();
    let mut i = 0usize;
    while (log.len() as usize) < spec.log && !grants.is_empty() {
        let g = &grants[i % grants.len()];
        let s = g.sections[i / grants.len() % g.sections.len()];
        let from = seq.entry(s.code()).or_insert(0);
        let to = *from + 1 + (i % 3) as u64;
        let range = Range {
            section: SectionTag::commit(&salt, s.code()),
            author: me.person_id(),
            device,
            from: *from + 1,
            to,
        };
        *from = to;
        let e = log.append(
            &me,
            Action::Served {
                to: g.grantee,
                ranges: vec![range],
            },
            now(),
        )?;
        txn.put_consent(&record, e.entry().index, e.as_bytes())?;
        i += 1;
    }
    // As `Vault` does with every append: the sealed tail it resumes from.
    txn.put_secret_meta(
        &format!("consent-tail:{record}"),
        &postcard::to_stdvec(&log.tail()?)?,
    )?;
    txn.commit()?;
    drop(store);
    let _ = cards;
    Ok(attachment_bytes)
}

/// A copy of a vault whose master key is wrapped at the default scrypt cost (2^18), as
/// `carnet init` makes them: same database, only `key.age` differs.
pub fn with_default_kdf(from: &Path, to: &Path) -> Result<()> {
    crate::measure::copy_dir(from, to)?;
    let store = carnet_store::Store::open(to, &pass())?;
    store.change_passphrase(&pass(), MasterKey::DEFAULT_LOG_N)?;
    Ok(())
}
