//! Handling each kind of error an app meets, by matching on the typed errors: what to show
//! and what to do next. Each scenario below provokes one and checks which it is.
//!
//! Run with `cargo run -p carnet --example errors`.
//!
//! `carnet::Error` and the errors inside it are `#[non_exhaustive]`: an app matches the
//! kinds it handles specially and keeps a last arm for the rest (show the message; it never
//! holds health data or secrets). Every error also has a stable code ([`Error::code`], such
//! as `"sharing.no_contact"`): an app that words errors itself, or adds its own hint (as the
//! command line does), keys its text on the code, and logs it. Through the bindings
//! (`crates/carnet-ffi`) the same kinds arrive as `CarnetError` variants with stable codes.

use std::path::Path;

use carnet::consent::Access;
use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{CryptoError, MasterKey, Role};
use carnet::record::{Entry, Note, SectionId};
use carnet::{CreateOptions, Error, StoreError, Vault};

/// What the app does about an error: the screen it shows or the step it takes.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Ask for the passphrase again (nothing was changed).
    AskPassphraseAgain,
    /// Open with the passphrase, then export the unlock key to the keystore.
    UsePassphraseThenExportKey,
    /// Show the first-run screen (no vault here yet).
    Onboarding,
    /// Another vault is there: open it instead of creating one.
    OpenExisting,
    /// Point at the field that is wrong; the message says what would be accepted.
    FixInput,
    /// The entry is gone (removed elsewhere, or a stale id): refresh the list.
    RefreshList,
    /// The user may not do this here (not shared, read only, not a patient): disable it.
    NotAllowedHere,
    /// Tell the user; nothing was changed.
    Explain,
    /// Data on disk or from a peer is damaged: offer to restore from a backup.
    OfferRestore,
}

fn next_step(e: &Error) -> Next {
    // An item of a bundle that was refused: what matters is what was wrong with it.
    match e.root() {
        Error::Store(StoreError::WrongPassphrase(_))
        | Error::Crypto(CryptoError::WrongPassphrase) => Next::AskPassphraseAgain,
        Error::Store(StoreError::NoUnlockKey(_)) => Next::UsePassphraseThenExportKey,
        Error::Store(StoreError::NoVault(_)) => Next::Onboarding,
        Error::Store(StoreError::AlreadyExists(_)) => Next::OpenExisting,
        Error::Record(_) | Error::Crypto(CryptoError::BadCard(_) | CryptoError::BadPhrase(_)) => {
            Next::FixInput
        }
        Error::NotFound(_) | Error::NoEntryWithPrefix(_) | Error::AmbiguousId { .. } => {
            Next::RefreshList
        }
        Error::NoKey { .. }
        | Error::ReadOnly { .. }
        | Error::NoOwnRecord { .. }
        | Error::NotAllowed { .. } => Next::NotAllowedHere,
        Error::AlreadyImported
        | Error::Sharing(_)
        | Error::Refused(_)
        | Error::Recovery(_)
        | Error::Device(_)
        | Error::Setting(_)
        | Error::OutputExists { .. }
        | Error::Stranger { .. }
        | Error::Blocked { .. }
        | Error::NothingShared { .. }
        | Error::AttachmentTooLarge { .. } => Next::Explain,
        Error::Store(_)
        | Error::BadEnvelope { .. }
        | Error::AttachmentDamaged(_)
        | Error::Exchange(_)
        | Error::Damaged(_)
        | Error::Consent(_) => Next::OfferRestore,
        // Kinds added by later versions: show the message.
        _ => Next::Explain,
    }
}

/// The app's own hint for some errors, keyed on their stable code (the message stays the
/// core's); `None` for the others.
fn hint(e: &Error) -> Option<&'static str> {
    Some(match e.code() {
        "sharing.no_contact" => "Add them from the Contacts screen, with their card.",
        "entry.no_prefix_match" | "entry.not_found" => "Pull to refresh the list.",
        "store.wrong_passphrase" | "crypto.wrong_passphrase" => "Check the keyboard layout.",
        "exchange.already_imported" => "Nothing to do: it is already in your record.",
        _ => return None,
    })
}

/// Checks that `result` failed with the step `want` (and code `code`), and says so.
fn expect<T: std::fmt::Debug>(what: &str, result: carnet::Result<T>, want: Next, code: &str) {
    let e = result.expect_err(what);
    let got = next_step(&e);
    assert_eq!(got, want, "{what}: {e:?}");
    assert_eq!(e.code(), code, "{what}: {e:?}");
    println!("{what} [{}]:\n    {e}\n    -> {got:?}", e.code());
    if let Some(h) = hint(&e) {
        println!("    hint: {h}");
    }
}

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

fn create(dir: &Path, name: &str, role: Role) -> Result<Vault, Error> {
    // The lowest passphrase cost keeps the example quick; apps use the default.
    let opts = CreateOptions {
        name: name.into(),
        role,
        kdf_log_n: MasterKey::MIN_LOG_N,
    };
    Ok(Vault::create(dir, &pass(name), &opts)?.vault)
}

fn note(text: &str) -> Entry {
    Entry::Note(Note {
        text: text.into(),
        title: None,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let alice_dir = tmp.path().join("alice");
    let alice = create(&alice_dir, "Alice", Role::Patient)?;
    let doctor = create(&tmp.path().join("doctor"), "Dr Martin", Role::Clinician)?;
    let record = alice.own_record()?;

    // Opening.
    expect(
        "a wrong passphrase",
        Vault::open(&alice_dir, &pass("nope")),
        Next::AskPassphraseAgain,
        "store.wrong_passphrase",
    );
    expect(
        "an unlock key before one was exported",
        Vault::open_with_unlock_key(&alice_dir, &[0; 32]),
        Next::UsePassphraseThenExportKey,
        "store.no_unlock_key",
    );
    alice.unlock_key()?;
    expect(
        "a wrong unlock key",
        Vault::open_with_unlock_key(&alice_dir, &[0; 32]),
        Next::AskPassphraseAgain,
        "store.wrong_passphrase",
    );
    expect(
        "no vault there",
        Vault::open(&tmp.path().join("nothing"), &pass("x")),
        Next::Onboarding,
        "store.no_vault",
    );
    expect(
        "creating over a vault",
        create(&alice_dir, "Eve", Role::Patient),
        Next::OpenExisting,
        "store.already_exists",
    );

    // Input.
    expect(
        "an empty note",
        alice.add(&record, note("  ")),
        Next::FixInput,
        "record.empty",
    );
    expect(
        "a date that does not parse",
        "last spring"
            .parse::<carnet::record::Date>()
            .map_err(Error::from),
        Next::FixInput,
        "record.invalid",
    );
    expect(
        "a contact card that is not one",
        alice.add_contact("Someone", "not a card"),
        Next::FixInput,
        "crypto.bad_card",
    );
    expect(
        "an id no entry has",
        alice.resolve_entry(&record, "zzzzzzzz"),
        Next::RefreshList,
        "entry.no_prefix_match",
    );

    // Permissions.
    expect(
        "a clinician's own record",
        doctor.own_record(),
        Next::NotAllowedHere,
        "access.no_own_record",
    );
    alice.add_contact("Dr Martin", &doctor.card().to_text())?;
    doctor.add_contact("Alice", &alice.card().to_text())?;
    alice.add(&record, note("shared"))?;
    alice.grant("Dr Martin", &[SectionId::Notes], Access::Read, "care", None)?;
    let bundle = tmp.path().join("for-dr-martin.bundle");
    alice.export_bundle(&doctor.card().clone(), false, &bundle)?;
    doctor.import_bundle(&bundle)?;
    expect(
        "writing a section shared read only",
        doctor.add(&record, note("may I?")),
        Next::NotAllowedHere,
        "access.read_only",
    );
    expect(
        "reading a section not shared",
        doctor.list(&record, Some(SectionId::Allergies)),
        Next::NotAllowedHere,
        "access.no_key",
    );

    // Sharing.
    expect(
        "the same bundle twice",
        doctor.import_bundle(&bundle),
        Next::Explain,
        "exchange.already_imported",
    );
    expect(
        "a grant to someone not in the contacts",
        alice.grant("Nobody", &[SectionId::Notes], Access::Read, "care", None),
        Next::Explain,
        "sharing.no_contact",
    );
    Ok(())
}
