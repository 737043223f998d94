//! A patient shares two sections with their GP through a bundle file (a USB key, a mail
//! attachment), the GP writes a prescription back, the patient sees who prescribed it, then
//! revokes the grant.
//!
//! Run with `cargo run -p carnet --example share_offline`.

use carnet::consent::Access;
use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, Role};
use carnet::record::{Allergy, Entry, Medication, MedicationStatus, SectionId};
use carnet::{CreateOptions, Vault};

fn vault(dir: &std::path::Path, name: &str, role: Role) -> Result<Vault, carnet::Error> {
    let pass = SecretString::from(format!("{name} passphrase"));
    // The lowest passphrase cost keeps the example quick; apps use the default.
    let opts = CreateOptions {
        name: name.into(),
        role,
        kdf_log_n: MasterKey::MIN_LOG_N,
    };
    // The recovery phrase is the only key to the vault's backups: an app shows it once.
    Ok(Vault::create(&dir.join(name), &pass, &opts)?.vault)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let alice = vault(tmp.path(), "Alice", Role::Patient)?;
    let gp = vault(tmp.path(), "Dr Martin", Role::Clinician)?;
    let record = alice.own_record()?;
    alice.add(
        &record,
        Entry::Allergy(Allergy {
            substance: "Penicillin".into(),
            code: None,
            criticality: None,
            reaction: Some("hives".into()),
            onset: None,
        }),
    )?;

    // The patient adds the GP from the card they gave her, and grants two sections.
    alice.add_contact("Dr Martin", &gp.card().to_text())?;
    let grant = alice.grant(
        "Dr Martin",
        &[SectionId::Allergies, SectionId::Medications],
        Access::Write,
        "diabetes follow-up",
        None,
    )?;

    // Patient -> GP: a bundle sealed to the GP, with only what the grant covers.
    let to_gp = tmp.path().join("for-dr-martin.bundle");
    let sent = alice.export_bundle(&gp.card().clone(), false, &to_gp)?;
    println!(
        "patient sent {} change(s), {} key(s)",
        sent.envelopes, sent.key_grants
    );
    gp.import_bundle(&to_gp)?;
    for p in gp.patients()? {
        println!(
            "the GP now holds {}'s record: {:?}",
            p.name,
            p.sections.keys()
        );
    }

    // The GP prescribes; the prescription travels back signed.
    gp.add(
        &record,
        Entry::Medication(Medication {
            name: "Metformin".into(),
            code: None,
            dosage: Some("500 mg twice a day".into()),
            start: None,
            end: None,
            status: MedicationStatus::Active,
            status_reason: None,
        }),
    )?;
    let to_alice = tmp.path().join("for-alice.bundle");
    gp.export_bundle(&alice.card().clone(), false, &to_alice)?;
    alice.import_bundle(&to_alice)?;
    for m in alice.list(&record, Some(SectionId::Medications))? {
        println!(
            "{}: prescribed by {}",
            m.entry.summary(),
            m.prescriber.as_deref().unwrap_or("the patient")
        );
    }

    // Revoke: nothing more goes to the GP.
    alice.revoke(&grant)?;
    let again = alice.export_bundle(&gp.card().clone(), false, &tmp.path().join("x.bundle"));
    println!(
        "after the revoke, exporting to the GP: {}",
        again.unwrap_err()
    );
    for line in alice.access_log()? {
        println!("log: {}", line.text);
    }
    Ok(())
}
