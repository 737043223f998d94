//! What the unit tests of several modules share: a vault made the cheapest way.

use std::path::Path;

use carnet_crypto::secrecy::SecretString;
use carnet_crypto::{MasterKey, Role};

use crate::{CreateOptions, Vault};

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
