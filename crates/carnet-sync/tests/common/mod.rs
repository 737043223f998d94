//! What the sync tests share: vaults with the cheapest passphrase cost, and attachment
//! bytes that do not compress.
// Each test file uses only some of these.
#![allow(dead_code)]

use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, Role};
use carnet::record::{DateTime, DocType};
use carnet::{AttachmentInput, CreateOptions, Vault};

/// A new vault for `name` at `dir`.
pub fn vault(dir: &std::path::Path, name: &str, role: Role) -> Vault {
    Vault::create(
        dir,
        &SecretString::from(format!("{name} sync test")),
        &CreateOptions {
            name: name.into(),
            role,
            kdf_log_n: MasterKey::MIN_LOG_N,
        },
    )
    .unwrap()
    .vault
}

/// `len` bytes that do not compress (xorshift), the same every time.
pub fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// How the tests' scans are attached.
pub fn scan_input() -> AttachmentInput {
    AttachmentInput {
        title: "scan".into(),
        doc_type: DocType::Imaging,
        file_name: None,
        media_type: "application/octet-stream".into(),
        date: DateTime::now(),
    }
}

/// A note entry.
pub fn note(text: &str) -> carnet::record::Entry {
    carnet::record::Entry::Note(carnet::record::Note {
        text: text.into(),
        title: None,
    })
}

/// A node on IPv4 loopback only, quick to notice changes.
pub fn local() -> carnet_sync::SyncConfig {
    carnet_sync::SyncConfig {
        bind: Some("127.0.0.1:0".parse().expect("an address")),
        timeout: std::time::Duration::from_secs(10),
        poll: std::time::Duration::from_millis(100),
        ..carnet_sync::SyncConfig::default()
    }
}
