//! An app's life with the core: open with the key kept in the platform keystore, share one
//! `Vault` handle between the UI thread and a background thread, sync live in the
//! background on the core's own runtime, react to its events, and handle errors by kind.
//!
//! Run with `cargo run -p carnet --example app_life`.
//!
//! Two devices run in this one process for the example: Alice's phone and her doctor's
//! laptop, meeting on loopback (no server, no internet).

use std::sync::mpsc;
use std::time::Duration;

use carnet::consent::Access;
use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, Role};
use carnet::record::{Entry, Note, SectionId};
use carnet::{CreateOptions, Error, StoreError, Vault};
use carnet_sync::{Activity, LiveSync, SyncConfig, SyncError, SyncEvent};
use zeroize::Zeroizing;

/// Stands in for the Android Keystore or the iOS Keychain (see the `keystore_unlock`
/// example for what an app does there).
struct Keystore(Zeroizing<[u8; 32]>);

fn note(text: &str) -> Entry {
    Entry::Note(Note {
        text: text.into(),
        title: None,
    })
}

fn loopback() -> SyncConfig {
    SyncConfig {
        bind: Some("127.0.0.1:0".parse().expect("an address")),
        ..SyncConfig::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let cheap = |name: &str, role| CreateOptions {
        name: name.into(),
        role,
        // The lowest passphrase cost keeps the example quick; apps use the default.
        kdf_log_n: MasterKey::MIN_LOG_N,
    };
    let pass = SecretString::from("a long passphrase for the example".to_string());

    // First run on Alice's phone: create, show the phrase, export the unlock key once.
    let alice_dir = tmp.path().join("alice");
    let created = Vault::create(&alice_dir, &pass, &cheap("Alice", Role::Patient))?;
    drop(created.recovery_phrase); // Shown to Alice once, written down by her.
    let keystore = Keystore(created.vault.unlock_key()?);
    drop(created.vault);

    // Every later launch: the keystore gives the key (after a fingerprint), no scrypt.
    let alice = match Vault::open_with_unlock_key(&alice_dir, &keystore.0) {
        Ok(v) => v,
        // The keystore lost its key (a new fingerprint enrolled): ask the passphrase.
        Err(Error::Store(StoreError::WrongPassphrase(_) | StoreError::NoUnlockKey(_))) => {
            Vault::open(&alice_dir, &pass)?
        }
        Err(e) => return Err(e.into()),
    };
    let record = alice.own_record()?;
    alice.add(&record, note("Dizzy after the new dose"))?;

    // Her doctor's laptop, and the grant Alice gives (notes, read only).
    let doctor = Vault::create(
        &tmp.path().join("doctor"),
        &pass,
        &cheap("Dr Martin", Role::Clinician),
    )?
    .vault;
    alice.add_contact("Dr Martin", &doctor.card().to_text())?;
    alice.grant("Dr Martin", &[SectionId::Notes], Access::Read, "care", None)?;

    // Live sync in the background: each side gives it a clone of its handle and keeps
    // its own for the UI. The doctor's side listens on a background thread.
    let at_alice = LiveSync::start(alice.clone(), loopback())?;
    let at_doctor = LiveSync::start(doctor.clone(), loopback())?;
    at_doctor.connect(at_alice.ticket())?;
    let (ui, refresh) = mpsc::channel();
    let listener = std::thread::spawn(move || {
        // A real app loops until sync stops; this one until it saw two notes arrive.
        let mut notes = 0;
        while notes < 2 {
            match at_doctor.next_event(Duration::from_secs(30)) {
                Some(SyncEvent::Activity(Activity::Connected { peer })) => {
                    println!("doctor: connected to {peer}")
                }
                Some(SyncEvent::Activity(Activity::Received { changes, .. })) if changes > 0 => {
                    notes += changes;
                    // Tell the UI thread to refresh the list it shows.
                    let _ = ui.send(());
                }
                Some(SyncEvent::Failed { error, .. }) => {
                    println!("doctor: will retry ({})", error.code())
                }
                Some(_) => {}
                None => break,
            }
        }
        at_doctor
    });

    // Alice writes from her UI thread while sync runs.
    alice.add(&record, note("Better since yesterday"))?;
    for _ in 0..2 {
        if refresh.recv_timeout(Duration::from_secs(30)).is_err() {
            break;
        }
        let seen = doctor.list(&record, Some(SectionId::Notes))?;
        println!("doctor's screen: {} note(s) of Alice's", seen.len());
    }
    let at_doctor = listener.join().expect("the listener thread");

    // Errors by kind: a bad ticket is the user's input; a stopped sync asks for a restart.
    match "not a ticket".parse::<carnet_sync::Ticket>() {
        Err(SyncError::BadTicket(why)) => println!("scan the code again: {why}"),
        other => println!("unexpected: {other:?}"),
    }
    at_alice.stop();
    at_doctor.stop();
    if let Err(SyncError::Stopped) = at_doctor.connect(at_alice.ticket()) {
        println!("sync stopped: the app starts it again when it comes to the foreground");
    }
    // Writing to a section one was only given to read is refused, and says so.
    if let Err(Error::ReadOnly { section, .. }) = doctor.add(&record, note("from the doctor")) {
        println!("the doctor may read {section} but not write it: the button is hidden");
    }
    // Every error has a stable code, for the app's own messages (in its languages) and
    // its logs; the message itself names no command and holds no health data.
    for e in [
        doctor
            .add(&record, note("again"))
            .err()
            .map(|e| (e.code(), e.to_string())),
        Vault::open(&tmp.path().join("nowhere"), &pass)
            .err()
            .map(|e| (e.code(), e.to_string())),
        at_alice
            .sync_once(&at_doctor.ticket())
            .err()
            .map(|e| (e.code(), e.to_string())),
    ]
    .into_iter()
    .flatten()
    {
        let shown = match e.0 {
            "access.read_only" => "Read only: ask the patient for write access",
            "store.no_vault" => "No record on this phone yet: create one or restore a backup",
            "sync.stopped" | "sync.connect" => "Offline: changes will sync later",
            _ => "Something went wrong",
        };
        println!("{} -> {shown} ({})", e.0, e.1);
    }
    Ok(())
}
