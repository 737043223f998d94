//! An app's daily unlock without the passphrase: create a vault, export its unlock key
//! once, keep it in the platform keystore, and reopen with it (no scrypt, no passphrase).
//!
//! Run with `cargo run -p carnet --example keystore_unlock`.
//!
//! Where the key lives on a phone (never in clear on disk, never in app preferences):
//! - Android: wrap the 32 bytes with an AES-GCM key generated inside the Android Keystore
//!   (`KeyGenParameterSpec` with `setUserAuthenticationRequired(true)` and, where there is
//!   one, `setIsStrongBoxBacked(true)`), and store only the wrapped bytes and the IV in the
//!   app's private files; unwrapping needs the user's biometric or device credential.
//! - iOS: store the 32 bytes as a Keychain generic password with
//!   `kSecAttrAccessibleWhenUnlockedThisDeviceOnly` and a `SecAccessControl` of
//!   `.biometryCurrentSet` (or `.userPresence`): not in backups, not on another device.
//!
//! The passphrase stays the way in after a reinstall, on a new phone, or when the keystore
//! drops the key (a new fingerprint enrolled, say): the app then asks for it and exports the
//! key again.

use std::time::Instant;

use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, Role};
use carnet::record::{Entry, Note, SectionId};
use carnet::{CreateOptions, Error, StoreError, Vault};
use zeroize::Zeroizing;

/// Stands in for the Android Keystore or the iOS Keychain.
#[derive(Default)]
struct Keystore {
    slot: Option<Zeroizing<Vec<u8>>>,
}

impl Keystore {
    fn put(&mut self, key: &[u8]) {
        self.slot = Some(Zeroizing::new(key.to_vec()));
    }

    fn get(&self) -> Option<Zeroizing<[u8; 32]>> {
        let bytes = self.slot.as_ref()?;
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(bytes.get(..32)?);
        Some(key)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("vault");
    let pass = SecretString::from("correct horse battery staple".to_string());
    // The lowest passphrase cost keeps the example quick; apps use the default (18).
    let opts = CreateOptions {
        name: "Alice".into(),
        role: Role::Patient,
        kdf_log_n: MasterKey::MIN_LOG_N,
    };

    // First run: create. The recovery phrase comes back with the vault, once.
    let created = Vault::create(&dir, &pass, &opts)?;
    println!(
        "created; the app now shows the {}-word recovery phrase for the owner to write down",
        created.recovery_phrase.expose().split(' ').count()
    );
    let vault = created.vault;
    let record = vault.own_record()?;
    vault.add(
        &record,
        Entry::Note(Note {
            text: "First entry".into(),
            title: None,
        }),
    )?;

    // Before any key was exported, opening with one is refused as such: ask the passphrase.
    match Vault::open_with_unlock_key(&dir, &[0u8; 32]) {
        Err(Error::Store(StoreError::NoUnlockKey(_))) => {
            println!("no unlock key exported yet: the app asks for the passphrase")
        }
        other => panic!("expected NoUnlockKey, got {other:?}"),
    }

    // Once, right after an unlock with the passphrase: export the key into the keystore.
    let mut keystore = Keystore::default();
    keystore.put(vault.unlock_key()?.as_slice());
    drop(vault);

    // Every later start: the key from the keystore opens the vault, no passphrase.
    let started = Instant::now();
    let key = keystore.get().ok_or("the keystore lost the key")?;
    let vault = Vault::open_with_unlock_key(&dir, &key)?;
    let notes = vault.list(&record, Some(SectionId::Notes))?;
    println!(
        "reopened with the keystore's key in {} ms; {} note(s)",
        started.elapsed().as_millis(),
        notes.len()
    );
    assert_eq!(notes.len(), 1);

    // A new passphrase does not change the unlock key: the keystore's copy still works.
    vault.change_passphrase(
        &SecretString::from("a new passphrase".to_string()),
        MasterKey::MIN_LOG_N,
    )?;
    drop(vault);
    Vault::open_with_unlock_key(&dir, &key)?;
    println!("after a new passphrase, the same key still opens the vault");

    // A key that is not this vault's is refused before anything is written.
    match Vault::open_with_unlock_key(&dir, &[7u8; 32]) {
        Err(Error::Store(StoreError::WrongPassphrase(_))) => {
            println!("a wrong key is refused: the app forgets it and asks for the passphrase")
        }
        other => panic!("expected WrongPassphrase, got {other:?}"),
    }
    Ok(())
}
