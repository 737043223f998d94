//! Helpers shared by the cross-crate scenarios: real vaults in temporary directories.

use std::path::PathBuf;

use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, Role};
use carnet::{CreateOptions, Vault};

/// A vault in its own temporary directory.
pub struct TestVault {
    _tmp: tempfile::TempDir,
    /// The vault directory.
    pub dir: PathBuf,
    /// The open vault.
    pub vault: Vault,
}

/// The passphrase of every test vault.
pub fn pass() -> SecretString {
    SecretString::from("scenario passphrase".to_string())
}

/// A new vault for `name` with the cheapest passphrase cost.
pub fn vault(name: &str, role: Role) -> TestVault {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("vault");
    let vault = Vault::create(
        &dir,
        &pass(),
        &CreateOptions {
            name: name.into(),
            role,
            kdf_log_n: MasterKey::MIN_LOG_N,
        },
    )
    .expect("create vault");
    TestVault {
        _tmp: tmp,
        dir,
        vault,
    }
}

/// Every file of a vault and its bytes.
pub fn files(dir: &std::path::Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .expect("vault dir")
        .map(|e| {
            let p = e.expect("entry").path();
            let b = std::fs::read(&p).expect("read");
            (p, b)
        })
        .collect();
    out.sort();
    out
}
