//! Create a patient vault, add a few entries and an attachment, and read them back.
//!
//! Run with `cargo run -p carnet --example quickstart`.

use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, Role};
use carnet::record::{Allergy, Criticality, DateTime, DocType, Entry, Measurement, Note};
use carnet::{AttachmentInput, CreateOptions, Vault};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("vault");
    let pass = SecretString::from("correct horse battery staple".to_string());
    // The lowest passphrase cost keeps the example quick; apps use the default.
    let opts = CreateOptions {
        name: "Alice".into(),
        role: Role::Patient,
        kdf_log_n: MasterKey::MIN_LOG_N,
    };
    let created = Vault::create(&dir, &pass, &opts)?;
    // Shown once and never stored: the only key to the vault's backups. An app shows it to
    // its owner here, and asks them to write it down.
    println!(
        "recovery phrase: {} words",
        created.recovery_phrase.expose().split(' ').count()
    );
    let vault = created.vault;
    let record = vault.own_record()?;

    vault.add(
        &record,
        Entry::Allergy(Allergy {
            substance: "Peanut".into(),
            code: None,
            criticality: Some(Criticality::High),
            reaction: Some("hives".into()),
            onset: None,
        }),
    )?;
    vault.add(
        &record,
        Entry::Measurement(Measurement::from_input(
            "blood-pressure",
            "121/79",
            "mmHg",
            DateTime::now(),
            None,
        )?),
    )?;
    vault.add(
        &record,
        Entry::Note(Note {
            text: "First entry".into(),
            title: None,
        }),
    )?;
    let doc = vault.attach(
        &record,
        b"Lab report: all normal",
        AttachmentInput {
            title: "Lab report".into(),
            doc_type: DocType::Report,
            file_name: Some("lab.txt".into()),
            media_type: "text/plain".into(),
            date: DateTime::now(),
        },
    )?;
    drop(vault);

    // Reopen: everything is read back from encrypted, signed envelopes.
    let vault = Vault::open(&dir, &pass)?;
    for entry in vault.list(&record, None)? {
        println!("{:<13} {}", entry.section, entry.entry.summary());
    }
    let (_, bytes) = vault.attachment(&record, &doc.id)?;
    println!("attachment: {}", String::from_utf8_lossy(&bytes));
    Ok(())
}
