//! Property: whatever the interleaving of patient and clinician edits, grants, revokes and
//! bundle exchanges, once both sides have exchanged bundles the patient and the clinician
//! show the same entries in every section the clinician may read.
//!
//! The one allowed difference is the clinician's own writes that the patient refused
//! because the clinician's write access had ended: those stay on the clinician's side only
//! (nothing is ever deleted), and the patient never shows them.

use std::collections::BTreeMap;

use carnet::Error;
use carnet::consent::{Access, GrantId};
use carnet::crypto::Role;
use carnet::record::{Allergy, Entry, Medication, MedicationStatus, Note, SectionId};
use carnet_scenarios::{TestVault, bundle_path, introduce, vault};
use proptest::prelude::*;

const SECTIONS: [SectionId; 3] = [
    SectionId::Allergies,
    SectionId::Medications,
    SectionId::Notes,
];

#[derive(Clone, Debug)]
enum Op {
    PatientAdd(usize, u16),
    ClinicianAdd(usize, u16),
    PatientRemove(usize, usize),
    Grant(Vec<usize>, bool),
    RevokeLast,
    PatientToClinician,
    ClinicianToPatient,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, any::<u16>()).prop_map(|(s, n)| Op::PatientAdd(s, n)),
        3 => (0..3usize, any::<u16>()).prop_map(|(s, n)| Op::ClinicianAdd(s, n)),
        1 => (0..3usize, any::<usize>()).prop_map(|(s, i)| Op::PatientRemove(s, i)),
        2 => (proptest::collection::vec(0..3usize, 1..3), any::<bool>())
            .prop_map(|(s, w)| Op::Grant(s, w)),
        1 => Just(Op::RevokeLast),
        3 => Just(Op::PatientToClinician),
        3 => Just(Op::ClinicianToPatient),
    ]
}

fn entry(section: SectionId, who: &str, n: u16) -> Entry {
    let text = format!("{who} {n}");
    match section {
        SectionId::Allergies => Entry::Allergy(Allergy {
            substance: text,
            code: None,
            criticality: None,
            reaction: None,
        }),
        SectionId::Medications => Entry::Medication(Medication {
            name: text,
            code: None,
            dosage: None,
            start: None,
            end: None,
            status: MedicationStatus::Active,
        }),
        _ => Entry::Note(Note { text, title: None }),
    }
}

/// Exports from `a` to `b` and imports. Refusals that the rules call for are fine: nothing
/// shared (no grant in force), or changes the patient refuses (write access ended).
fn pass_bundle(a: &mut TestVault, b: &mut TestVault) -> Result<(), String> {
    let out = bundle_path("prop");
    match a.vault.export_bundle(&b.vault.card().clone(), false, &out) {
        Ok(_) => {}
        Err(Error::NothingShared { .. }) => return Ok(()),
        Err(e) => return Err(format!("export: {e}")),
    }
    match b.vault.import_bundle(&out) {
        Ok(_) | Err(Error::NotAllowed { .. }) => Ok(()),
        Err(e) => Err(format!("import: {e}")),
    }
}

fn entries(
    v: &mut TestVault,
    record: &carnet::crypto::RecordId,
    s: SectionId,
) -> BTreeMap<String, (String, String)> {
    match v.vault.list(record, Some(s)) {
        Ok(list) => list
            .into_iter()
            .map(|e| {
                (
                    e.id.to_string(),
                    (format!("{:?}", e.entry), e.author.clone()),
                )
            })
            .collect(),
        Err(Error::NoKey { .. }) => BTreeMap::new(),
        Err(e) => panic!("list {s}: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn patient_and_clinician_converge(ops in proptest::collection::vec(op(), 1..24)) {
        let mut alice = vault("Alice", Role::Patient);
        let mut doctor = vault("Dr Martin", Role::Clinician);
        introduce(&mut alice, "Dr Martin", &doctor);
        let record = alice.vault.own_record().unwrap();
        let mut grants: Vec<GrantId> = Vec::new();

        for op in &ops {
            match op {
                Op::PatientAdd(s, n) => {
                    alice.vault.add(&record, entry(SECTIONS[*s], "alice", *n)).unwrap();
                }
                Op::ClinicianAdd(s, n) => {
                    match doctor.vault.add(&record, entry(SECTIONS[*s], "doctor", *n)) {
                        Ok(_) | Err(Error::NoKey { .. }) | Err(Error::ReadOnly { .. }) => {}
                        Err(e) => prop_assert!(false, "clinician add: {e}"),
                    }
                }
                Op::PatientRemove(s, i) => {
                    let list = alice.vault.list(&record, Some(SECTIONS[*s])).unwrap();
                    if !list.is_empty() {
                        let id = list[i % list.len()].id.clone();
                        alice.vault.remove(&record, &id).unwrap();
                    }
                }
                Op::Grant(ss, write) => {
                    let sections: Vec<SectionId> = ss.iter().map(|i| SECTIONS[*i]).collect();
                    let access = if *write { Access::Write } else { Access::Read };
                    grants.push(alice.vault.grant("Dr Martin", &sections, access, "care", None).unwrap());
                }
                Op::RevokeLast => {
                    if let Some(g) = grants.pop() {
                        alice.vault.revoke(&g).unwrap();
                    }
                }
                Op::PatientToClinician => {
                    pass_bundle(&mut alice, &mut doctor).map_err(TestCaseError::fail)?;
                }
                Op::ClinicianToPatient => {
                    pass_bundle(&mut doctor, &mut alice).map_err(TestCaseError::fail)?;
                }
            }
        }
        // Meet: both ways, then once more so the patient's merge reaches the clinician.
        pass_bundle(&mut alice, &mut doctor).map_err(TestCaseError::fail)?;
        pass_bundle(&mut doctor, &mut alice).map_err(TestCaseError::fail)?;
        pass_bundle(&mut alice, &mut doctor).map_err(TestCaseError::fail)?;

        let readable: Vec<SectionId> = alice
            .vault
            .grants()
            .unwrap()
            .iter()
            .filter(|g| !g.revoked)
            .flat_map(|g| g.sections.clone())
            .collect();
        let doctor_id = doctor.vault.person_id().to_string();
        for s in SECTIONS {
            if !readable.contains(&s) {
                continue;
            }
            let p = entries(&mut alice, &record, s);
            let c = entries(&mut doctor, &record, s);
            for (id, e) in &p {
                prop_assert_eq!(c.get(id), Some(e), "section {}: the clinician lacks or differs on {}", s, id);
            }
            for (id, (_, author)) in &c {
                if !p.contains_key(id) {
                    prop_assert_eq!(author, &doctor_id, "section {}: {} is only on the clinician's side but is not theirs", s, id);
                }
            }
        }
        let report = carnet::consent::verify(&alice.vault.audit_export().unwrap(), None);
        prop_assert!(report.ok, "{:?}", report.first_error);
    }
}
