//! `carnet demo`: the whole story in a temporary directory, narrated. Uses the embedded
//! core exactly as an app would: local redb vaults for a patient, a clinician and an
//! auditor, real iroh endpoints on loopback, no server and no internet.

use anyhow::{Result, bail};
use carnet::crypto::Role;
use carnet::crypto::secrecy::SecretString;
use carnet::record::{
    Allergy, BloodGroup, Code, Criticality, DateTime, DocType, EmergencyContact, Entry,
    Measurement, Note, Profile, SectionId, Sex,
};
use std::path::Path;

use carnet::consent::{Access, AuditExport, Pins};
use carnet::{AttachmentInput, CreateOptions, Vault};
use carnet_sync::{Node, SyncConfig};
use serde_json::json;

use crate::t;

struct Narrator {
    json: bool,
    step: usize,
}

impl Narrator {
    fn say(&mut self, text: &str) {
        if !self.json {
            self.step += 1;
            println!("\n[{}] {text}", self.step);
        }
    }
    fn detail(&self, text: &str) {
        if !self.json {
            println!("    {text}");
        }
    }
}

fn files_under(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            out.extend(files_under(&p)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

/// A real FHIR R4 bundle (US Core, from the Inferno reference server; Apache-2.0, see
/// tests/fixtures/README.md), compiled in so the demo needs nothing but the binary.
const DEMO_BUNDLE: &[u8] =
    include_bytes!("../../../tests/fixtures/fhir/uscore/inferno_pdex_bundle_patient_999.json");

pub fn run(json_out: bool) -> Result<()> {
    let mut n = Narrator {
        json: json_out,
        step: 0,
    };
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("patty-vault");
    // A demo passphrase and a low scrypt cost keep the demo quick; real vaults use a
    // passphrase typed by their owner and the default cost.
    let pass = SecretString::from("demo passphrase, not for real use".to_string());

    n.say(&t!("demo-step-1"));
    let vault = Vault::create(
        &dir,
        &pass,
        &CreateOptions {
            name: "Patty Dexter".into(),
            role: Role::Patient,
            kdf_log_n: 12,
        },
    )?
    .vault;
    let record = vault.own_record()?;
    n.detail(&t!("demo-detail-id", id = vault.person_id().to_string()));
    n.detail(&t!(
        "demo-detail-card",
        card = &vault.card().to_text()[..60]
    ));

    n.say(&t!("demo-step-2"));
    let bundle = carnet_fhir::read_bundle(DEMO_BUNDLE, &mut |_, _| {})?;
    let not_mapped: usize = bundle.skipped.values().sum();
    let mut parsed = bundle;
    let items = crate::interop::to_items(&mut parsed);
    let imported = vault.import(&record, items, &mut |_, _| {})?;
    n.detail(&t!(
        "demo-detail-imported",
        entries = imported.added.values().sum::<usize>(),
        envelopes = imported.envelopes,
        skipped = not_mapped,
        kinds = parsed
            .skipped
            .keys()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let again = carnet_fhir::read_bundle(DEMO_BUNDLE, &mut |_, _| {})?;
    let mut again = again;
    let twice = vault.import(
        &record,
        crate::interop::to_items(&mut again),
        &mut |_, _| {},
    )?;
    n.detail(&t!(
        "demo-detail-import-again",
        entries = twice.added.values().sum::<usize>()
    ));

    n.say(&t!("demo-step-3"));
    let marker = "ZEBRA-PLAINTEXT-CANARY";
    let now = DateTime::now();
    let entries = vec![
        Entry::Profile(Profile {
            name: format!("Patty Dexter {marker}"),
            birth_date: Some("1980-01-15".parse()?),
            sex: Some(Sex::Female),
            blood_group: Some(BloodGroup::APos),
            emergency_contact: Some(EmergencyContact {
                name: "Paul Dexter".into(),
                phone: Some("+33 6 12 34 56 78".into()),
                relationship: Some("brother".into()),
            }),
            advance_directives: None,
            identifiers: Vec::new(),
        }),
        Entry::Allergy(Allergy {
            substance: format!("Penicillin {marker}"),
            code: Some(Code::parse("snomed|764146007")?),
            criticality: Some(Criticality::High),
            reaction: Some("hives".into()),
            onset: None,
        }),
        Entry::Measurement(Measurement::from_input(
            "glucose",
            "7.2",
            "mmol/L",
            now.clone(),
            Some(marker.into()),
        )?),
        Entry::Note(Note {
            text: format!("Felt dizzy after the new insulin dose {marker}"),
            title: None,
        }),
    ];
    let profile_id = vault
        .list(&record, Some(SectionId::Profile))?
        .into_iter()
        .next()
        .map(|v| v.id);
    for e in entries {
        let r = match (&e, &profile_id) {
            (Entry::Profile(_), Some(id)) => vault.edit(&record, id, e)?,
            _ => vault.add(&record, e)?,
        };
        n.detail(&t!(
            "demo-detail-added",
            id = r.id.to_string(),
            section = crate::words::section(r.section)
        ));
    }

    n.say(&t!("demo-step-4"));
    let report = format!("HbA1c 7.1 % -- lab report for Patty Dexter {marker}\n").repeat(200);
    let r = vault.attach(
        &record,
        report.as_bytes(),
        AttachmentInput {
            title: "HbA1c lab report".into(),
            doc_type: DocType::Report,
            file_name: Some("hba1c.txt".into()),
            media_type: "text/plain".into(),
            date: now.clone(),
        },
    )?;
    let doc_id = r.id.clone();
    n.detail(&t!(
        "demo-detail-attached",
        id = r.id.to_string(),
        section = crate::words::section(r.section),
        bytes = report.len()
    ));

    n.say(&t!("demo-step-5"));
    drop(vault);
    let vault = Vault::open(&dir, &pass)?;
    let list = vault.list(&record, None)?;
    for v in &list {
        n.detail(&format!(
            "{}  {} {}",
            v.id,
            crate::output::pad(
                &crate::words::section(v.section),
                crate::output::section_width()
            ),
            crate::words::summary(&v.entry)
        ));
    }
    let sections: std::collections::BTreeSet<SectionId> = list.iter().map(|v| v.section).collect();
    if sections.len() != SectionId::ALL.len() {
        bail!(
            "expected entries in all {} sections, found {}",
            SectionId::ALL.len(),
            sections.len()
        );
    }
    let (_, bytes) = vault.attachment(&record, &doc_id)?;
    if bytes.as_slice() != report.as_bytes() {
        bail!("the attachment did not come back intact");
    }
    n.detail(&t!("demo-detail-same-bytes"));

    n.say(&t!("demo-step-disk", marker = marker));
    drop(vault);
    let mut scanned = 0u64;
    let mut files = Vec::new();
    for f in files_under(&dir)? {
        let bytes = std::fs::read(&f)?;
        scanned += bytes.len() as u64;
        for word in [marker, "Humulin", "sulfonamide", "Paraplegia", "Patty408"] {
            if bytes.windows(word.len()).any(|w| w == word.as_bytes()) {
                bail!("plaintext \"{word}\" found in {}", f.display());
            }
        }
        files.push(
            f.file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }
    n.detail(&t!(
        "demo-detail-no-plaintext",
        files = files.len(),
        bytes = scanned,
        names = files.join(", ")
    ));

    n.say(&t!("demo-step-6"));
    match Vault::open(&dir, &SecretString::from("guess".to_string())) {
        Err(e) => n.detail(&t!(
            "demo-detail-refused",
            why = crate::errors::text(&e.into())
        )),
        Ok(_) => bail!("a wrong passphrase opened the vault"),
    }

    let story = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(share_and_sync(&mut n, tmp.path(), &dir, &pass))?;

    if json_out {
        crate::output::json(&json!({
            "ok": true,
            "entries": list.len(),
            "sections": sections.len(),
            "vault_bytes": scanned,
            "plaintext_found": false,
            "clinician_received": story.clinician_received,
            "note_came_back": true,
            "after_revoke": story.after_revoke,
            "audit_entries": story.audit_entries,
            "audit_ok": true,
        }))?;
    } else {
        println!(
            "\n{}",
            t!("demo-done", entries = list.len(), sections = sections.len())
        );
    }
    Ok(())
}

struct Story {
    clinician_received: usize,
    after_revoke: String,
    audit_entries: u64,
}

fn vault_in(dir: &Path, name: &str, role: Role, pass: &SecretString) -> Result<Vault> {
    Ok(Vault::create(
        dir,
        pass,
        &CreateOptions {
            name: name.into(),
            role,
            kdf_log_n: 12,
        },
    )?
    .vault)
}

/// The sharing part of the story, over real iroh endpoints on loopback: no server, no
/// internet.
async fn share_and_sync(
    n: &mut Narrator,
    tmp: &Path,
    patty_dir: &Path,
    pass: &SecretString,
) -> Result<Story> {
    n.say(&t!("demo-step-7"));
    let doctor = vault_in(
        &tmp.join("dr-bernard-vault"),
        "Dr Bernard",
        Role::Clinician,
        pass,
    )?;
    let auditor = vault_in(
        &tmp.join("auditor-vault"),
        "Audit Office",
        Role::Auditor,
        pass,
    )?;
    let patty = Vault::open(patty_dir, pass)?;
    let record = patty.own_record()?;
    n.detail(&t!(
        "demo-detail-doctor-card",
        card = &doctor.card().to_text()[..60]
    ));
    drop(auditor);

    n.say(&t!("demo-step-8"));
    patty.add_contact("Dr Bernard", &doctor.card().to_text())?;
    let read = patty.grant(
        "Dr Bernard",
        &[
            SectionId::Allergies,
            SectionId::Conditions,
            SectionId::Medications,
        ],
        Access::Read,
        "diabetes follow-up",
        None,
    )?;
    let write = patty.grant(
        "Dr Bernard",
        &[SectionId::Notes],
        Access::Write,
        "follow-up notes",
        None,
    )?;
    n.detail(&t!(
        "demo-detail-grants",
        read = read.to_string(),
        write = write.to_string()
    ));

    n.say(&t!("demo-step-9"));
    let config = SyncConfig::default();
    let patty_node = Node::start(patty, config.clone()).await?;
    let ticket = patty_node.ticket();
    n.detail(&t!(
        "demo-detail-ticket",
        ticket = &ticket.to_string()[..48]
    ));
    let (events, _keep) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = async {
        patty_node
            .serve(events, async {
                let _ = stop_rx.await;
            })
            .await
    };
    let story = async {
        let result = clinician_side(n, &patty_node, doctor, &ticket, &record, read, write).await;
        let _ = stop_tx.send(());
        result
    };
    let (served, story) = tokio::join!(serving, story);
    served?;
    let story = story?;
    patty_node.shutdown().await;
    Ok(story)
}

#[allow(clippy::too_many_arguments)]
async fn clinician_side(
    n: &mut Narrator,
    patty_node: &Node,
    doctor: Vault,
    ticket: &carnet_sync::Ticket,
    record: &carnet::crypto::RecordId,
    read: carnet::consent::GrantId,
    write: carnet::consent::GrantId,
) -> Result<Story> {
    let record = *record;
    n.say(&t!("demo-step-10"));
    let doctor_node = Node::start(doctor, SyncConfig::default()).await?;
    let r = doctor_node.sync(ticket, false).await?;
    n.detail(&t!(
        "demo-detail-received",
        changes = r.received,
        keys = r.keys_received,
        consent = r.consent_received,
        bytes_in = r.bytes_received,
        bytes_out = r.bytes_sent
    ));
    let seen = doctor_node
        .with_vault(move |v| v.list(&record, None))
        .await?;
    for v in &seen {
        n.detail(&format!(
            "{} {}",
            crate::output::pad(
                &crate::words::section(v.section),
                crate::output::section_width()
            ),
            crate::words::summary(&v.entry)
        ));
    }
    let sections: std::collections::BTreeSet<SectionId> = seen.iter().map(|v| v.section).collect();
    let expected: std::collections::BTreeSet<SectionId> = [
        SectionId::Allergies,
        SectionId::Conditions,
        SectionId::Medications,
        SectionId::Notes,
    ]
    .into();
    if sections != expected {
        bail!("the clinician sees {sections:?}, not the granted sections");
    }
    n.detail(&t!("demo-detail-private"));
    n.detail(&t!(
        "demo-detail-seen",
        entries = seen.len(),
        sections = sections.len()
    ));

    n.say(&t!("demo-step-11"));
    doctor_node
        .with_vault(move |v| {
            v.add(
                &record,
                Entry::Note(Note {
                    text: "Reviewed HbA1c 7.5 %; keep Humulin R, recheck in 3 months.".into(),
                    title: Some("Consultation".into()),
                }),
            )
        })
        .await?;
    let r2 = doctor_node.sync(ticket, false).await?;
    n.detail(&t!("demo-detail-sent", changes = r2.sent));
    let notes = patty_node
        .with_vault(move |v| v.list(&record, Some(SectionId::Notes)))
        .await?;
    let back = notes
        .iter()
        .find(|v| v.author_name.as_deref() == Some("Dr Bernard"))
        .ok_or_else(|| anyhow::anyhow!("the clinician's note did not reach the patient"))?;
    n.detail(&t!(
        "demo-detail-patty-sees",
        note = crate::words::summary(&back.entry),
        author = back.author_name.clone().unwrap_or_default()
    ));

    mailbox_scene(n, patty_node, &doctor_node, &record).await?;

    n.say(&t!("demo-step-12"));
    patty_node
        .with_vault(move |v| {
            v.revoke(&read)?;
            v.revoke(&write)?;
            v.add(
                &record,
                Entry::Allergy(Allergy {
                    substance: "Latex".into(),
                    code: None,
                    criticality: Some(Criticality::Low),
                    reaction: Some("rash".into()),
                    onset: None,
                }),
            )
        })
        .await?;
    // In English for --json (as every text inside JSON), in the language for the story.
    let (after_revoke, said) = match doctor_node.sync(ticket, false).await {
        Ok(r) if r.received == 0 => ("nothing new".to_string(), t!("demo-nothing-new")),
        Ok(r) => bail!("a revoked clinician received {} change(s)", r.received),
        Err(e) => (e.to_string(), crate::errors::text(&e.into())),
    };
    n.detail(&t!("demo-detail-next-sync", outcome = said));
    let latex_seen = doctor_node
        .with_vault(move |v| v.list(&record, None))
        .await?
        .iter()
        .any(|v| v.entry.summary().contains("Latex"));
    if latex_seen {
        bail!("the revoked clinician saw the new allergy");
    }
    doctor_node.shutdown().await;

    n.say(&t!("demo-step-13"));
    // As `carnet log` says it, in the language; key deliveries and rotations left out.
    let log = crate::sharing::log_said(&patty_node.vault(), |a| {
        !matches!(
            a,
            carnet::consent::Action::KeyDelivery { .. }
                | carnet::consent::Action::EpochRotation { .. }
        )
    })?;
    for (_, text) in &log {
        n.detail(text);
    }

    n.say(&t!("demo-step-14"));
    let (export, patty_id) = patty_node
        .with_vault(|v| Ok((v.audit_export()?, v.person_id())))
        .await?;
    let text = export.to_json();
    for secret in [
        "Penicillin",
        "diabetes",
        "allergies",
        "Humulin",
        "sulfonamide",
    ] {
        if text.contains(secret) {
            bail!("the audit export holds \"{secret}\"");
        }
    }
    let report = carnet::consent::verify_with(
        &AuditExport::from_json(text.as_bytes())?,
        &Pins {
            patient: Some(patty_id),
            ..Pins::default()
        },
    )
    .report;
    if !report.ok {
        bail!(
            "the consent log does not verify: {}",
            report.first_error.unwrap_or_default()
        );
    }
    n.detail(&t!(
        "demo-detail-audit-ok",
        entries = report.entries,
        checkpoints = report.checkpoints
    ));
    Ok(Story {
        clinician_received: r.received,
        after_revoke,
        audit_entries: report.entries,
    })
}

/// The mailbox scene: Dr Bernard writes a prescription while Patty's phone is offline; it
/// waits, sealed, at her mailbox; her device collects it later.
async fn mailbox_scene(
    n: &mut Narrator,
    patty_node: &Node,
    doctor_node: &Node,
    record: &carnet::crypto::RecordId,
) -> Result<()> {
    use carnet_mailbox::{Mailbox, MailboxConfig, MailboxStore};
    let record = *record;
    n.say(&t!("demo-step-mailbox-1"));
    let dir = tempfile::tempdir()?;
    let store = MailboxStore::open(dir.path())?;
    let doctor_id = doctor_node.with_vault(|v| Ok(v.person_id())).await?;
    store.allow(&doctor_id, "Dr Bernard")?;
    let mailbox = Mailbox::start(
        store,
        MailboxConfig {
            bind: Some("127.0.0.1:0".parse()?),
            ..MailboxConfig::default()
        },
    )
    .await?;
    let ticket = mailbox.ticket().to_string();
    n.detail(&t!("demo-detail-mailbox-ticket", ticket = &ticket[..40]));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let r = mailbox
            .serve(tx, async {
                let _ = stopped.await;
            })
            .await;
        (mailbox, r)
    });

    n.say(&t!("demo-step-mailbox-2"));
    const RX: &str = "Metformin 500 mg twice a day with meals, for 3 months.";
    doctor_node
        .with_vault(move |v| {
            v.add(
                &record,
                Entry::Note(Note {
                    text: RX.into(),
                    title: Some("Prescription".into()),
                }),
            )
        })
        .await?;
    let config = carnet_mailbox::ClientConfig::default();
    let sent = crate::net::at_box(doctor_node, &ticket, &config, async |access, session| {
        carnet_mailbox::deposit_with(access, session, "Patty Dexter", false).await
    })
    .await?;
    n.detail(&t!(
        "demo-detail-deposited",
        item = sent.item.to_string(),
        bytes = sent.bytes,
        changes = sent.envelopes
    ));
    if has_rx(patty_node, record).await? {
        bail!("the prescription reached Patty before she collected it");
    }
    let raw = std::fs::read(dir.path().join(carnet_mailbox::STORE_FILE))?;
    if raw.windows(9).any(|w| w == b"Metformin") {
        bail!("the mailbox's file holds the prescription in clear");
    }
    n.detail(&t!("demo-detail-mailbox-knows"));

    n.say(&t!("demo-step-mailbox-3"));
    let got = crate::net::at_box(patty_node, &ticket, &config, async |access, session| {
        carnet_mailbox::collect_with(access, session).await
    })
    .await?;
    let _ = stop.send(());
    let (mailbox, served) = server.await?;
    served?;
    if !has_rx(patty_node, record).await? {
        bail!("Patty's device did not take the prescription from her mailbox");
    }
    let left = mailbox.store().items()?.len();
    for i in &got.imported {
        n.detail(&t!(
            "demo-detail-collected",
            from = i.from.to_string(),
            changes = i.envelopes,
            left = left
        ));
    }
    Ok(())
}

/// Whether Patty's notes hold the prescription.
async fn has_rx(node: &Node, record: carnet::crypto::RecordId) -> Result<bool> {
    Ok(node
        .with_vault(move |v| {
            Ok(v.list(&record, Some(SectionId::Notes))?
                .iter()
                .any(|e| e.entry.summary().contains("Metformin")))
        })
        .await?)
}
