//! The auditor's export holds no health data: a patient puts health data in every section,
//! shares with purposes that say something about their health, exchanges bundles both ways
//! (so the log holds served and received changes), revokes and blocks; then every piece of
//! it is looked for in the export, in clear and in every wrapping `reveal` decodes (the
//! entries are base64, the cards inside them base64url; zstd and deflate anywhere), as
//! bytes and as text.

use carnet::consent::Access;
use carnet::crypto::Role;
use carnet::record::{
    Allergy, Code, Condition, ConditionStatus, DateTime, DocType, Entry, Immunization, Measurement,
    Medication, MedicationStatus, Note, SectionId, systems,
};
use carnet::{AttachmentInput, Error};
use carnet_scenarios::{TestVault, bundle_path, introduce, reveal, vault};

/// Health data the patient and the doctor write, and the purposes of the grants (then the
/// purposes' first words alone, in case only part of a purpose leaks).
const HEALTH: [&str; 16] = [
    "Penicillin",
    "anaphylaxis",
    "HIV infection",
    "Biktarvy",
    "one tablet at bedtime",
    "Hepatitis B vaccine",
    "HBV-LOT-7781",
    "Viral load report",
    "viral-load-2025.pdf",
    "copies per millilitre",
    "afraid to tell my family",
    "Descovy",
    "antiretroviral therapy follow-up",
    "sexual health clinic",
    "antiretroviral",
    "sexual health",
];

/// The names of the sections.
const SECTIONS: [&str; 8] = [
    "profile",
    "allergies",
    "conditions",
    "medications",
    "immunizations",
    "measurements",
    "documents",
    "notes",
];

fn pass(from: &mut TestVault, to: &mut TestVault) {
    let out = bundle_path("audit");
    from.vault
        .export_bundle(&to.vault.card().clone(), false, &out)
        .unwrap();
    to.vault.import_bundle(&out).unwrap();
}

#[test]
fn the_audit_export_holds_no_health_data() {
    let mut alice = vault("Alice Patient", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    let nurse = vault("Nurse Joy", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut alice, "Nurse Joy", &nurse);
    let record = alice.vault.own_record().unwrap();
    let entries = [
        Entry::Allergy(Allergy {
            substance: HEALTH[0].into(),
            code: None,
            criticality: None,
            reaction: Some(HEALTH[1].into()),
            onset: None,
        }),
        Entry::Condition(Condition {
            name: HEALTH[2].into(),
            code: Some(Code::new(systems::SNOMED, "86406008", Some(HEALTH[2]))),
            onset: Some("2019-03-01".parse().unwrap()),
            abatement: None,
            status: ConditionStatus::default(),
        }),
        Entry::Medication(Medication {
            name: HEALTH[3].into(),
            code: None,
            dosage: Some(HEALTH[4].into()),
            start: None,
            end: None,
            status: MedicationStatus::Active,
            status_reason: None,
        }),
        Entry::Immunization(Immunization {
            vaccine: HEALTH[5].into(),
            code: None,
            date: Some("2020-01-15".parse().unwrap()),
            lot: Some(HEALTH[6].into()),
            status: Default::default(),
            status_reason: None,
            date_text: None,
        }),
        Entry::Measurement(Measurement {
            kind: Code::new(systems::LOINC, "20447-9", Some("HIV 1 RNA viral load")),
            value: Some(40.0),
            unit: HEALTH[9].into(),
            components: Vec::new(),
            at: DateTime::from_unix(1_735_689_600).unwrap(),
            source: None,
            value_code: None,
            value_text: None,
            category: None,
            status: None,
            reference_range: Vec::new(),
            interpretation: Vec::new(),
        }),
        Entry::Note(Note {
            text: HEALTH[10].into(),
            title: None,
        }),
    ];
    for e in entries {
        alice.vault.add(&record, e).unwrap();
    }
    alice
        .vault
        .attach(
            &record,
            b"HIV-1 RNA: 40 copies/mL",
            AttachmentInput {
                title: HEALTH[7].into(),
                doc_type: DocType::Report,
                file_name: Some(HEALTH[8].into()),
                media_type: "application/pdf".into(),
                date: DateTime::from_unix(1_735_689_600).unwrap(),
            },
        )
        .unwrap();
    let all: Vec<SectionId> = SectionId::ALL.to_vec();
    alice
        .vault
        .grant("Dr Martin", &all, Access::Write, HEALTH[12], None)
        .unwrap();
    let nurse_grant = alice
        .vault
        .grant(
            "Nurse Joy",
            &[SectionId::Immunizations, SectionId::Conditions],
            Access::Read,
            HEALTH[13],
            None,
        )
        .unwrap();
    // Served to the doctor, received from him: the log records both.
    pass(&mut alice, &mut doctor);
    doctor
        .vault
        .add(
            &record,
            Entry::Medication(Medication {
                name: HEALTH[11].into(),
                code: None,
                dosage: None,
                start: None,
                end: None,
                status: MedicationStatus::Active,
                status_reason: None,
            }),
        )
        .unwrap();
    pass(&mut doctor, &mut alice);
    let meds = alice
        .vault
        .list(&record, Some(SectionId::Medications))
        .unwrap();
    assert_eq!(meds.len(), 2, "the doctor's prescription arrived");
    alice.vault.revoke(&nurse_grant).unwrap();
    alice.vault.block("Nurse Joy").unwrap();
    assert!(matches!(
        alice
            .vault
            .grant("Nurse Joy", &all, Access::Read, "again", None),
        Err(Error::Blocked { .. }) | Err(Error::Sharing(_)) | Err(Error::Refused(_))
    ));

    let export = alice.vault.audit_export().unwrap();
    let report = carnet::consent::verify(&export, None);
    assert!(report.ok, "{:?}", report.first_error);
    assert!(report.entries >= 20, "{report:?}");
    let json = export.to_json();

    let mut needles: Vec<&str> = HEALTH.to_vec();
    needles.extend(SECTIONS);
    let leaks = reveal::needles_found(json.as_bytes(), &needles);
    assert!(
        leaks.is_empty(),
        "health data in the audit export: {leaks:?}"
    );

    // The search reads what it searches: people's names are in the export by design,
    // inside their cards inside the entries, and it finds every one there.
    let names = ["Alice Patient", "Dr Martin", "Nurse Joy"];
    let found = reveal::needles_found(json.as_bytes(), &names);
    assert_eq!(
        found.len(),
        names.len(),
        "the search did not reach every name: {found:?}"
    );
    for f in &found {
        assert!(
            f.path.contains("base64"),
            "{} was found without decoding anything: {}",
            f.needle,
            f.path
        );
    }
    let nurse_found = &found.iter().find(|f| f.needle == "Nurse Joy").unwrap().path;
    assert!(
        nurse_found.matches("base64").count() >= 2,
        "the nurse's name is in her card inside a grant entry, two decodings deep: {nurse_found}"
    );
}
