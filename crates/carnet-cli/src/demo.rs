//! `carnet demo`: the whole story in a temporary directory, narrated. Uses the embedded
//! core exactly as an app would: a local redb vault, no server.

use anyhow::{Result, bail};
use carnet::crypto::Role;
use carnet::crypto::secrecy::SecretString;
use carnet::record::{
    Allergy, BloodGroup, Code, Condition, ConditionStatus, Criticality, DateTime, DocType,
    EmergencyContact, Entry, Immunization, Measurement, Medication, MedicationStatus, Note,
    Profile, SectionId, Sex,
};
use carnet::{AttachmentInput, CreateOptions, Vault};
use serde_json::json;

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

pub fn run(json_out: bool) -> Result<()> {
    let mut n = Narrator {
        json: json_out,
        step: 0,
    };
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("alice-vault");
    // A demo passphrase and a low scrypt cost keep the demo quick; real vaults use a
    // passphrase typed by their owner and the default cost.
    let pass = SecretString::from("demo passphrase, not for real use".to_string());

    n.say("Alice creates her vault: an ed25519 signing key, an age key, a self-signed identity card, and a random master key wrapped with her passphrase.");
    let mut vault = Vault::create(
        &dir,
        &pass,
        &CreateOptions {
            name: "Alice Martin".into(),
            role: Role::Patient,
            kdf_log_n: 12,
        },
    )?;
    let record = vault.own_record()?;
    n.detail(&format!("id:   {}", vault.person_id()));
    n.detail(&format!("card: {}...", &vault.card().to_text()[..60]));

    n.say("She fills in her record, one signed, encrypted change per entry.");
    let marker = "ZEBRA-PLAINTEXT-CANARY";
    let now = DateTime::now();
    let entries = vec![
        Entry::Profile(Profile {
            name: format!("Alice Martin {marker}"),
            birth_date: Some("1984-05-12".parse()?),
            sex: Some(Sex::Female),
            blood_group: Some(BloodGroup::APos),
            emergency_contact: Some(EmergencyContact {
                name: "Paul Martin".into(),
                phone: Some("+33 6 12 34 56 78".into()),
                relationship: Some("brother".into()),
            }),
            advance_directives: None,
        }),
        Entry::Allergy(Allergy {
            substance: format!("Penicillin {marker}"),
            code: Some(Code::parse("snomed|764146007")?),
            criticality: Some(Criticality::High),
            reaction: Some("hives".into()),
        }),
        Entry::Condition(Condition {
            name: format!("Type 2 diabetes {marker}"),
            code: Some(Code::parse("snomed|44054006")?),
            onset: Some("2019-03".parse()?),
            abatement: None,
            status: ConditionStatus::Active,
        }),
        Entry::Medication(Medication {
            name: format!("Metformin {marker}"),
            code: Some(Code::parse("atc|A10BA02")?),
            dosage: Some("500 mg twice a day".into()),
            start: Some("2019-04-01".parse()?),
            end: None,
            status: MedicationStatus::Active,
        }),
        Entry::Immunization(Immunization {
            vaccine: format!("Influenza {marker}"),
            code: Some(Code::parse("cvx|158")?),
            date: "2025-10-15".parse()?,
            lot: Some("FLU-2025-117".into()),
        }),
        Entry::Measurement(Measurement::from_input(
            "weight",
            "68.5",
            "kg",
            now.clone(),
            Some(marker.into()),
        )?),
        Entry::Measurement(Measurement::from_input(
            "blood-pressure",
            "128/82",
            "mmHg",
            now.clone(),
            None,
        )?),
        Entry::Measurement(Measurement::from_input(
            "glucose",
            "7.2",
            "mmol/L",
            now.clone(),
            None,
        )?),
        Entry::Note(Note {
            text: format!("Felt dizzy after the new dose {marker}"),
            title: None,
        }),
    ];
    for e in entries {
        let r = vault.add(&record, e)?;
        n.detail(&format!("+ {} in {}", r.id, r.section));
    }

    n.say("She attaches a lab report: the file becomes an encrypted blob under its own key, referenced from the documents section.");
    let report = format!("HbA1c 7.1 % -- lab report for Alice Martin {marker}\n").repeat(200);
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
    n.detail(&format!(
        "+ {} in {} ({} bytes)",
        r.id,
        r.section,
        report.len()
    ));

    n.say("She lists her record (read back from the vault, every change's signature checked).");
    drop(vault);
    let mut vault = Vault::open(&dir, &pass)?;
    let list = vault.list(&record, None)?;
    for v in &list {
        n.detail(&format!(
            "{}  {:<13} {}",
            v.id,
            v.section,
            v.entry.summary()
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
    n.detail("the attachment decrypts back to the same bytes");

    n.say(&format!(
        "Nothing readable rests on disk: searching every file of the vault for \"{marker}\"."
    ));
    drop(vault);
    let mut scanned = 0u64;
    let mut files = Vec::new();
    for f in files_under(&dir)? {
        let bytes = std::fs::read(&f)?;
        scanned += bytes.len() as u64;
        if bytes.windows(marker.len()).any(|w| w == marker.as_bytes()) {
            bail!("plaintext found in {}", f.display());
        }
        files.push(
            f.file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }
    n.detail(&format!(
        "{} files, {scanned} bytes: no plaintext ({})",
        files.len(),
        files.join(", ")
    ));

    n.say("A wrong passphrase is refused and changes nothing.");
    match Vault::open(&dir, &SecretString::from("guess".to_string())) {
        Err(e) => n.detail(&format!("refused: {e}")),
        Ok(_) => bail!("a wrong passphrase opened the vault"),
    }

    if json_out {
        crate::output::json(&json!({
            "ok": true,
            "entries": list.len(),
            "sections": sections.len(),
            "vault_bytes": scanned,
            "plaintext_found": false,
        }))?;
    } else {
        println!(
            "\nDone: {} entries in {} sections, all encrypted at rest. (Sharing with clinicians and sync come next.)",
            list.len(),
            sections.len()
        );
    }
    Ok(())
}
