//! Files written by this release, kept in `tests/fixtures/format-1/`, that every later
//! build must still open, import, verify and restore (issue 16, point 5): a patient's vault
//! (with a change signed by a linked device, a removed device, a grant, a clinician's
//! write and a witness cosignature in its log), a clinician's vault, a bundle from the
//! patient that the clinician has not imported yet, the patient's audit export and a
//! backup. `CARNET_WRITE_FORMAT_FIXTURES=1 cargo test -p carnet-scenarios --test
//! format_fixtures` writes them again (only when a format change is meant to break
//! compatibility: then the old ones stay too, as a new directory).

use std::path::{Path, PathBuf};

use carnet::consent::{Access, AuditExport, Pins, verify_with};
use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, RecoveryPhrase, Role};
use carnet::record::{DateTime, DocType, SectionId};
use carnet::{AttachmentInput, CreateOptions, Vault};
use carnet_scenarios::{
    TestVault, copy_dir, exchange, introduce, link, note, note_texts, own_sync,
};

const PASSPHRASE: &str = "format fixture passphrase";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/format-1")
}

fn pass() -> SecretString {
    SecretString::from(PASSPHRASE.to_string())
}

fn new_vault(name: &str, role: Role) -> (TestVault, Option<RecoveryPhrase>) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("vault");
    let created = Vault::create(
        &path,
        &pass(),
        &CreateOptions {
            name: name.into(),
            role,
            kdf_log_n: MasterKey::MIN_LOG_N,
        },
    )
    .unwrap();
    (
        TestVault::from_parts(tmp, path, created.vault),
        Some(created.recovery_phrase),
    )
}

const SCAN: &[u8] = b"%PDF-1.4 a small scan kept as a format fixture";

/// Writes the fixtures (run on purpose only).
fn write() {
    let out = dir();
    assert!(
        !out.exists(),
        "{} exists: fixtures of a release are never rewritten; make a new directory",
        out.display()
    );
    std::fs::create_dir_all(&out).unwrap();
    let (mut alice, phrase) = new_vault("Alice Fixture", Role::Patient);
    let (mut doctor, _) = new_vault("Dr Fixture", Role::Clinician);
    let record = alice.vault.own_record().unwrap();
    introduce(&mut alice, "Dr Fixture", &doctor);
    introduce(&mut doctor, "Alice Fixture", &alice);
    alice.vault.add(&record, note("written by Alice")).unwrap();
    alice
        .vault
        .attach(
            &record,
            SCAN,
            AttachmentInput {
                title: "scan".into(),
                doc_type: DocType::Imaging,
                file_name: Some("scan.pdf".into()),
                media_type: "application/pdf".into(),
                date: DateTime::from_unix(1_700_000_000).unwrap(),
            },
        )
        .unwrap();
    let mut phone = link(&mut alice);
    phone
        .vault
        .add(&record, note("written on the phone"))
        .unwrap();
    own_sync(&mut phone, &mut alice).unwrap();
    alice
        .vault
        .grant(
            "Dr Fixture",
            &[SectionId::Notes, SectionId::Documents],
            Access::Write,
            "GP",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    doctor
        .vault
        .add(&record, note("written by the doctor"))
        .unwrap();
    exchange(&mut doctor, &mut alice).unwrap();
    alice
        .vault
        .remove_device(&phone.vault.device_id().to_string()[..8])
        .unwrap();
    alice.vault.add(&record, note("after the removal")).unwrap();
    std::fs::write(
        out.join("alice.audit.json"),
        alice.vault.audit_export().unwrap().to_json(),
    )
    .unwrap();
    alice.vault.backup(&out.join("alice.backup")).unwrap();
    std::fs::write(
        out.join("alice.phrase"),
        phrase.expect("the phrase").expose(),
    )
    .unwrap();
    alice
        .vault
        .export_bundle(
            &doctor.vault.card().clone(),
            false,
            &out.join("alice-to-doctor.bundle"),
        )
        .unwrap();
    drop(alice.vault);
    drop(doctor.vault);
    copy_dir(&alice.dir, &out.join("alice"));
    copy_dir(&doctor.dir, &out.join("doctor"));
}

#[test]
fn this_releases_files_open_import_verify_and_restore() {
    if std::env::var_os("CARNET_WRITE_FORMAT_FIXTURES").is_some() {
        write();
    }
    let fixtures = dir();
    let expected_alice = [
        "after the removal",
        "written by Alice",
        "written by the doctor",
        "written on the phone",
    ];
    // The patient's vault opens, every change verifies, the log too.
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures.join("alice"), &tmp.path().join("alice"));
    let mut alice = Vault::open(&tmp.path().join("alice"), &pass()).unwrap();
    let record = alice.own_record().unwrap();
    assert_eq!(note_texts(&mut alice, &record), expected_alice);
    let docs = alice.list(&record, Some(SectionId::Documents)).unwrap();
    assert_eq!(docs.len(), 1);
    let (_, bytes) = alice.attachment(&record, &docs[0].id).unwrap();
    assert_eq!(&bytes[..], SCAN);
    let repair = alice.repair().unwrap();
    assert_eq!(repair.set_aside, 0);
    assert_eq!(repair.consent_logs, 1);
    assert!(
        alice
            .devices()
            .unwrap()
            .iter()
            .any(|d| d.removed.is_some() && d.own_key)
    );
    let alice_id = alice.person_id();

    // The clinician's vault imports the bundle it had not imported yet.
    copy_dir(&fixtures.join("doctor"), &tmp.path().join("doctor"));
    let mut doctor = Vault::open(&tmp.path().join("doctor"), &pass()).unwrap();
    let imported = doctor
        .import_bundle(&fixtures.join("alice-to-doctor.bundle"))
        .unwrap();
    assert!(imported.envelopes >= 1, "{imported:?}");
    assert_eq!(note_texts(&mut doctor, &record), expected_alice);

    // The audit export verifies for Alice, with the doctor as a witness.
    let export =
        AuditExport::from_json(&std::fs::read(fixtures.join("alice.audit.json")).unwrap()).unwrap();
    let v = verify_with(
        &export,
        &Pins {
            patient: Some(alice_id),
            ..Pins::default()
        },
    );
    assert!(v.report.ok, "{:?}", v.report.first_error);
    assert_eq!(v.witnesses.len(), 1);

    // The backup restores with its phrase.
    let phrase = RecoveryPhrase::parse(
        std::fs::read_to_string(fixtures.join("alice.phrase"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let (mut restored, _) = Vault::restore(
        &tmp.path().join("restored"),
        &pass(),
        MasterKey::MIN_LOG_N,
        &fixtures.join("alice.backup"),
        &phrase.key().unwrap(),
    )
    .unwrap();
    assert_eq!(note_texts(&mut restored, &record), expected_alice);
    // This record was made before roots were declared: the restore declares its root and
    // takes it over, and the doctor, who never saw a root declared, follows it.
    let out = tmp.path().join("restored-to-doctor.bundle");
    restored
        .export_bundle(&doctor.card().clone(), false, &out)
        .unwrap();
    doctor
        .import_bundle(&out)
        .unwrap_or_else(|e| panic!("the doctor refused the restored record: {e}"));
    restored.add(&record, note("after the restore")).unwrap();
    let out = tmp.path().join("restored-to-doctor-2.bundle");
    restored
        .export_bundle(&doctor.card().clone(), false, &out)
        .unwrap();
    doctor.import_bundle(&out).unwrap();
    assert!(note_texts(&mut doctor, &record).contains(&"after the restore".to_string()));
}
