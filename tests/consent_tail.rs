//! Appending to a long consent log reads its sealed tail, not the whole log (issue 7, P5):
//! the log stays exactly what verifying every entry gives, an auditor's export verifies,
//! and a log altered or cut short behind the vault's back is still caught.

use carnet::consent::{Access, verify};
use carnet::crypto::Role;
use carnet::record::SectionId;
use carnet_scenarios::{pass, vault};

fn contact(v: &mut carnet::Vault, name: &str) {
    let other = vault(name, Role::Clinician);
    v.add_contact(name, &other.vault.card().to_text()).unwrap();
}

/// A patient who granted and revoked a few times: a log of a few dozen entries.
fn patient() -> carnet_scenarios::TestVault {
    let mut p = vault("Alice", Role::Patient);
    for name in ["Dr A", "Dr B", "Dr C"] {
        contact(&mut p.vault, name);
        p.vault
            .grant(
                name,
                &[SectionId::Notes, SectionId::Allergies],
                Access::Read,
                "care",
                None,
            )
            .unwrap();
    }
    let g = p.vault.grants().unwrap()[0].id;
    p.vault.revoke(&g).unwrap();
    p
}

#[test]
fn appends_through_the_tail_keep_the_log_an_auditor_verifies() {
    let p = patient();
    let record = p.vault.own_record().unwrap();
    let before = p.vault.consent_log(&record).unwrap().len();
    let g = p.vault.grants().unwrap()[1].id;
    p.vault.revoke(&g).unwrap();
    let after = p.vault.consent_log(&record).unwrap();
    assert!(after.is_whole());
    assert!(after.len() > before);
    let report = verify(&p.vault.audit_export().unwrap(), None);
    assert!(report.ok, "{:?}", report.first_error);
    assert_eq!(report.entries, after.len());
    // Reopened, the vault resumes from its tail and the log goes on verifying.
    let dir = p.dir.clone();
    drop(p.vault);
    let v = carnet::Vault::open(&dir, &pass()).unwrap();
    let g = v.grants().unwrap()[2].id;
    v.revoke(&g).unwrap();
    let report = verify(&v.audit_export().unwrap(), None);
    assert!(report.ok, "{:?}", report.first_error);
}

#[test]
fn a_log_altered_or_cut_short_behind_the_vaults_back_is_caught() {
    let p = patient();
    let record = p.vault.own_record().unwrap();
    let dir = p.dir.clone();
    let n = p.vault.consent_log(&record).unwrap().len();
    drop(p.vault);

    // An early entry altered in the file (its signature's last byte): the export, which
    // reads the whole log, refuses it by the tail's Merkle root.
    {
        let store = carnet_store::Store::open(&dir, &pass()).unwrap();
        let mut rows = store.read().unwrap().consent_entries(&record).unwrap();
        let last = rows[2].len() - 1;
        rows[2][last] ^= 1;
        let mut txn = store.write().unwrap();
        txn.put_consent(&record, 2, &rows[2]).unwrap();
        txn.commit().unwrap();
    }
    let v = carnet::Vault::open(&dir, &pass()).unwrap();
    assert!(v.audit_export().is_err());
    assert!(v.consent_log(&record).is_err());
    drop(v);

    // The last entry replaced by an older one: appending refuses to link to it.
    {
        let store = carnet_store::Store::open(&dir, &pass()).unwrap();
        let rows = store.read().unwrap().consent_entries(&record).unwrap();
        let mut txn = store.write().unwrap();
        txn.put_consent(&record, n - 1, &rows[1]).unwrap();
        txn.commit().unwrap();
    }
    let v = carnet::Vault::open(&dir, &pass()).unwrap();
    let g = v.grants().unwrap()[1].id;
    assert!(v.revoke(&g).is_err());
}
