//! Property: whatever the interleaving of patient and clinician edits, grants, revokes and
//! bundle exchanges, once both sides have exchanged bundles the patient and the clinician
//! show the same entries in every section the clinician may read.
//!
//! The one allowed difference is the clinician's own writes that the patient refused
//! because the clinician's write access had ended: those stay on the clinician's side only
//! (nothing is ever deleted), and the patient never shows them.
//!
//! And no clinician write is lost: the test keeps its own account of the grants in force
//! and of every write the clinician made. At the end the patient holds every clinician
//! write it ever accepted and every one in a section the clinician may write then (which
//! the meeting delivers); the only ones it lacks are refused ones (a section the clinician
//! may no longer write, never accepted before) or ones the patient removed.

use std::collections::{BTreeMap, BTreeSet};

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

fn grant() -> impl Strategy<Value = Op> {
    (
        proptest::collection::vec(0..3usize, 1..4),
        proptest::bool::weighted(0.7),
    )
        .prop_map(|(s, w)| Op::Grant(s, w))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, any::<u16>()).prop_map(|(s, n)| Op::PatientAdd(s, n)),
        3 => (0..3usize, any::<u16>()).prop_map(|(s, n)| Op::ClinicianAdd(s, n)),
        1 => (0..3usize, any::<usize>()).prop_map(|(s, i)| Op::PatientRemove(s, i)),
        2 => grant(),
        1 => Just(Op::RevokeLast),
        3 => Just(Op::PatientToClinician),
        3 => Just(Op::ClinicianToPatient),
    ]
}

/// Interleavings; most open with a grant and a bundle to the clinician, so that most cases
/// have the clinician writing (and some of those writes refused later).
fn ops() -> impl Strategy<Value = Vec<Op>> {
    (
        proptest::option::weighted(0.85, grant()),
        proptest::collection::vec(op(), 1..24),
    )
        .prop_map(|(start, rest)| {
            start
                .into_iter()
                .flat_map(|g| [g, Op::PatientToClinician])
                .chain(rest)
                .collect()
        })
}

fn entry(section: SectionId, who: &str, n: u16) -> Entry {
    let text = format!("{who} {n}");
    match section {
        SectionId::Allergies => Entry::Allergy(Allergy {
            substance: text,
            code: None,
            criticality: None,
            reaction: None,
            onset: None,
        }),
        SectionId::Medications => Entry::Medication(Medication {
            name: text,
            code: None,
            dosage: None,
            start: None,
            end: None,
            status: MedicationStatus::Active,
            status_reason: None,
        }),
        _ => Entry::Note(Note { text, title: None }),
    }
}

/// Exports from `a` to `b` and imports. Refusals that the rules call for are fine: nothing
/// shared (no grant in force), or changes the patient refuses (write access ended). A
/// bundle that continues one `b` refused is refused too (the sender assumes what it sent
/// arrived); as its message says, `b` then asks for a full export, which must import.
fn pass_bundle(a: &mut TestVault, b: &mut TestVault) -> Result<(), String> {
    match pass(a, b, false)? {
        // The refusal of an envelope that does not continue what `b` holds (code
        // exchange.chain_gap): its message asks for the sender's earlier bundles.
        Err(e)
            if e.contains("does not continue its author's chain")
                && e.contains("import the sender's earlier bundles first") =>
        {
            match pass(a, b, true)? {
                Err(again) => Err(format!(
                    "import: {e}; and the full export asked for then: {again}"
                )),
                Ok(()) => Ok(()),
            }
        }
        Err(e) => Err(format!("import: {e}")),
        Ok(()) => Ok(()),
    }
}

/// One bundle from `a` to `b`: `Err` for an export failing, `Ok(Err)` for an import
/// refused for a reason the rules do not call for.
fn pass(a: &mut TestVault, b: &mut TestVault, full: bool) -> Result<Result<(), String>, String> {
    let out = bundle_path("prop");
    match a.vault.export_bundle(&b.vault.card().clone(), full, &out) {
        Ok(_) => {}
        Err(Error::NothingShared { .. }) => return Ok(Ok(())),
        Err(e) => return Err(format!("export: {e}")),
    }
    match b.vault.import_bundle(&out) {
        Ok(_) | Err(Error::NotAllowed { .. }) => Ok(Ok(())),
        Err(e) => Ok(Err(e.to_string())),
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
                    (
                        format!("{:?}", e.entry),
                        e.author
                            .map_or_else(|| "unknown".to_string(), |p| p.to_string()),
                    ),
                )
            })
            .collect(),
        Err(Error::NoKey { .. }) => BTreeMap::new(),
        Err(e) => panic!("list {s}: {e}"),
    }
}

/// The ids of the entries `author` wrote that `v` shows, in every section of the test.
fn authored_by(
    v: &mut TestVault,
    record: &carnet::crypto::RecordId,
    author: &str,
) -> BTreeSet<String> {
    SECTIONS
        .iter()
        .flat_map(|s| entries(v, record, *s))
        .filter(|(_, (_, a))| a == author)
        .map(|(id, _)| id)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn patient_and_clinician_converge(ops in ops()) {
        let mut alice = vault("Alice", Role::Patient);
        let mut doctor = vault("Dr Martin", Role::Clinician);
        introduce(&mut alice, "Dr Martin", &doctor);
        let record = alice.vault.own_record().unwrap();
        // The grants in force, as the test made them: (id, sections, write).
        let mut grants: Vec<(GrantId, Vec<SectionId>, bool)> = Vec::new();
        // Every write the clinician made: entry id -> section.
        let mut doctor_writes: BTreeMap<String, SectionId> = BTreeMap::new();
        // Clinician writes the patient was seen to hold after a bundle from the clinician.
        let mut accepted: BTreeSet<String> = BTreeSet::new();
        // Entries the patient removed.
        let mut removed: BTreeSet<String> = BTreeSet::new();
        let doctor_id = doctor.vault.person_id().to_string();

        for op in &ops {
            match op {
                Op::PatientAdd(s, n) => {
                    alice.vault.add(&record, entry(SECTIONS[*s], "alice", *n)).unwrap();
                }
                Op::ClinicianAdd(s, n) => {
                    match doctor.vault.add(&record, entry(SECTIONS[*s], "doctor", *n)) {
                        Ok(r) => {
                            prop_assert_eq!(r.section, SECTIONS[*s]);
                            doctor_writes.insert(r.id.to_string(), r.section);
                        }
                        Err(Error::NoKey { .. }) | Err(Error::ReadOnly { .. }) => {}
                        Err(e) => prop_assert!(false, "clinician add: {e}"),
                    }
                }
                Op::PatientRemove(s, i) => {
                    let list = alice.vault.list(&record, Some(SECTIONS[*s])).unwrap();
                    if !list.is_empty() {
                        let id = list[i % list.len()].id.clone();
                        alice.vault.remove(&record, &id).unwrap();
                        removed.insert(id.to_string());
                    }
                }
                Op::Grant(ss, write) => {
                    let sections: Vec<SectionId> = ss.iter().map(|i| SECTIONS[*i]).collect();
                    let access = if *write { Access::Write } else { Access::Read };
                    let id = alice.vault.grant("Dr Martin", &sections, access, "care", None).unwrap();
                    grants.push((id, sections, *write));
                }
                Op::RevokeLast => {
                    if let Some((g, _, _)) = grants.pop() {
                        alice.vault.revoke(&g).unwrap();
                    }
                }
                Op::PatientToClinician => {
                    pass_bundle(&mut alice, &mut doctor).map_err(TestCaseError::fail)?;
                }
                Op::ClinicianToPatient => {
                    pass_bundle(&mut doctor, &mut alice).map_err(TestCaseError::fail)?;
                    accepted.extend(authored_by(&mut alice, &record, &doctor_id));
                }
            }
        }
        // Meet: both ways, then once more so the patient's merge reaches the clinician.
        pass_bundle(&mut alice, &mut doctor).map_err(TestCaseError::fail)?;
        pass_bundle(&mut doctor, &mut alice).map_err(TestCaseError::fail)?;
        accepted.extend(authored_by(&mut alice, &record, &doctor_id));
        pass_bundle(&mut alice, &mut doctor).map_err(TestCaseError::fail)?;

        let readable: BTreeSet<SectionId> =
            grants.iter().flat_map(|(_, s, _)| s.iter().copied()).collect();
        let writable: BTreeSet<SectionId> = grants
            .iter()
            .filter(|(_, _, w)| *w)
            .flat_map(|(_, s, _)| s.iter().copied())
            .collect();
        prop_assert_eq!(
            alice.vault.grants().unwrap().iter().filter(|g| !g.revoked).count(),
            grants.len(),
            "the patient's grants in force are not the ones the test made"
        );

        // The patient holds every clinician write it accepted or should accept now, and
        // lacks only refused (or removed) ones.
        let held = authored_by(&mut alice, &record, &doctor_id);
        for id in &held {
            prop_assert!(doctor_writes.contains_key(id), "the patient shows {} as the clinician's, who never wrote it", id);
        }
        let mut refused: BTreeSet<String> = BTreeSet::new();
        for (id, s) in &doctor_writes {
            if held.contains(id) || removed.contains(id) {
                continue;
            }
            prop_assert!(
                !accepted.contains(id),
                "section {}: the clinician's {} was accepted by the patient, then lost", s, id
            );
            prop_assert!(
                !writable.contains(s),
                "section {}: the clinician may write here, yet their {} never reached the patient", s, id
            );
            refused.insert(id.clone());
        }

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
                    prop_assert!(refused.contains(id), "section {}: the clinician's {} is only on their side but was not refused", s, id);
                }
            }
        }
        let report = carnet::consent::verify(&alice.vault.audit_export().unwrap(), None);
        prop_assert!(report.ok, "{:?}", report.first_error);
    }
}
