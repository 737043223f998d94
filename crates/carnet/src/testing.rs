//! What the unit tests of several modules share: a vault made the cheapest way.

use std::collections::VecDeque;
use std::path::Path;

use carnet_consent::Access;
use carnet_crypto::secrecy::SecretString;
use carnet_crypto::{MasterKey, Role};
use carnet_record::SectionId;

use crate::exchange::{CheckedAhead, Finished, ItemSource};
use crate::wire::Item;
use crate::{CreateOptions, Result, Vault};

/// A new vault in `dir` for `name` as `role`, at the lowest passphrase cost (tests only).
pub(crate) fn vault(dir: &Path, name: &str, role: Role) -> Vault {
    let opts = CreateOptions {
        name: name.into(),
        role,
        kdf_log_n: MasterKey::MIN_LOG_N,
    };
    Vault::create(dir, &SecretString::from("p".to_string()), &opts)
        .unwrap()
        .vault
}

/// Alice, who shares her notes (read) with Dr Martin, and his vault (which has not heard
/// of her yet).
pub(crate) fn alice_and_her_doctor() -> (tempfile::TempDir, Vault, Vault) {
    let tmp = tempfile::tempdir().unwrap();
    let alice = vault(&tmp.path().join("a"), "Alice", Role::Patient);
    let doctor = vault(&tmp.path().join("d"), "Dr Martin", Role::Clinician);
    alice
        .add_contact("Dr Martin", &doctor.card().to_text())
        .unwrap();
    alice
        .grant("Dr Martin", &[SectionId::Notes], Access::Read, "GP", None)
        .unwrap();
    (tmp, alice, doctor)
}

/// A batch of items as a transport hands it to the vault, with its signatures checked
/// ahead or not.
pub(crate) struct Batch(pub VecDeque<Item>, pub Option<CheckedAhead>);

impl ItemSource for Batch {
    fn next_item(&mut self) -> Result<Option<Item>> {
        Ok(self.0.pop_front())
    }
    fn finish(&mut self) -> Result<Finished> {
        Ok(Finished::default())
    }
    fn take_checked_ahead(&mut self) -> Option<CheckedAhead> {
        self.1.take()
    }
}
