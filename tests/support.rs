//! Helpers shared by the cross-crate scenarios: real vaults in temporary directories.

use std::path::PathBuf;

pub mod reveal;

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
    /// The recovery phrase [`Vault::create`] returned (`None` for a vault made otherwise).
    pub phrase: Option<carnet::crypto::RecoveryPhrase>,
}

impl TestVault {
    /// A vault made elsewhere (a link, a restore) in `tmp`.
    pub fn from_parts(tmp: tempfile::TempDir, dir: PathBuf, vault: Vault) -> Self {
        TestVault {
            _tmp: tmp,
            dir,
            vault,
            phrase: None,
        }
    }
}

/// The passphrase of every test vault.
pub fn pass() -> SecretString {
    SecretString::from("scenario passphrase".to_string())
}

/// A new vault for `name` with the cheapest passphrase cost.
pub fn vault(name: &str, role: Role) -> TestVault {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("vault");
    let created = Vault::create(
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
        vault: created.vault,
        phrase: Some(created.recovery_phrase),
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

/// A person's secret keys, read straight from their vault (as a thief with the
/// passphrase could): for building forged or out-of-policy changes in tests.
pub fn secret_of(dir: &std::path::Path) -> carnet::crypto::PersonSecret {
    let store = carnet_store::Store::open(dir, &pass()).expect("open store");
    let bytes = store
        .read()
        .unwrap()
        .get_secret_meta("person")
        .unwrap()
        .expect("person keys");
    carnet::crypto::PersonSecret::from_bytes(&bytes).unwrap()
}

/// An epoch key held by a vault.
pub fn epoch_key_of(
    dir: &std::path::Path,
    record: &carnet::crypto::RecordId,
    section: carnet::record::SectionId,
    epoch: u32,
) -> carnet::crypto::EpochKey {
    let store = carnet_store::Store::open(dir, &pass()).expect("open store");
    store
        .read()
        .unwrap()
        .epoch_key(record, section.code(), epoch)
        .unwrap()
        .expect("epoch key")
}

/// Exports a bundle from `from` to `to` and imports it: the offline exchange, end to end.
pub fn exchange(
    from: &mut TestVault,
    to: &mut TestVault,
) -> carnet::Result<(carnet::ExportSummary, carnet::ImportSummary)> {
    let out = bundle_path("x");
    let e = from
        .vault
        .export_bundle(&to.vault.card().clone(), false, &out)?;
    let i = to.vault.import_bundle(&out)?;
    Ok((e, i))
}

/// A fresh path for a bundle file (the directory lives as long as the test process).
pub fn bundle_path(stem: &str) -> PathBuf {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temporary directory"));
    dir.path().join(format!(
        "{stem}-{}.bundle",
        N.fetch_add(1, Ordering::SeqCst)
    ))
}

/// Items handed to a vault's exchange engine directly, as any transport would.
pub struct Items(pub std::collections::VecDeque<carnet::wire::Item>);

impl carnet::exchange::ItemSource for Items {
    fn next_item(&mut self) -> carnet::Result<Option<carnet::wire::Item>> {
        Ok(self.0.pop_front())
    }
    fn finish(&mut self) -> carnet::Result<carnet::exchange::Finished> {
        Ok(carnet::exchange::Finished::default())
    }
}

/// What a live sender would send `to` from `from` now (given what `to` says it holds),
/// handed straight to `to`'s engine, without `from` hearing that it arrived (no
/// `commit_sent`): a batch whose acknowledgement was lost.
pub fn deliver_unacknowledged(
    from: &mut TestVault,
    to: &mut TestVault,
) -> carnet::Result<carnet::exchange::ExchangeReport> {
    let theirs = to.vault.engine().have_for(&from.vault.person_id())?;
    let card = to.vault.card().clone();
    let mut items = std::collections::VecDeque::new();
    from.vault
        .engine()
        .send_batch(&card, &theirs, None, &mut |i| {
            items.push_back(i);
            Ok(())
        })?;
    let sender = from.vault.card().clone();
    to.vault.engine().receive_items(&sender, &mut Items(items))
}

/// An envelope adding `entry` to `section` of `record`, as `secret`'s person would write it
/// on `device` (its Automerge changes made by `actor`), the `seq`-th of that device's chain
/// with no predecessor, sealed under `key` of `epoch`: what tests forge.
#[allow(clippy::too_many_arguments)]
pub fn seal_entry(
    secret: &carnet::crypto::PersonSecret,
    key: &carnet::crypto::EpochKey,
    record: carnet::crypto::RecordId,
    section: carnet::record::SectionId,
    epoch: u32,
    device: carnet::crypto::DeviceId,
    actor: [u8; 16],
    seq: u64,
    entry: &carnet::record::Entry,
) -> carnet::crypto::Envelope {
    let mut doc = carnet::record::SectionDoc::new(section, actor);
    let (_, changes) = doc.insert(entry).expect("a valid entry");
    carnet::crypto::Envelope::seal(
        carnet::crypto::EnvelopeHeader {
            version: carnet::crypto::ENVELOPE_VERSION,
            record,
            section: section.code(),
            epoch,
            author: secret.person_id(),
            device,
            seq,
            prev: None,
        },
        &changes.to_bytes(),
        key,
        secret,
    )
    .expect("sealed")
}

/// Adds `them` to `me`'s contacts under `name`.
pub fn introduce(me: &mut TestVault, name: &str, them: &TestVault) {
    me.vault
        .add_contact(name, &them.vault.card().to_text())
        .expect("add contact");
}

/// Links a new device of `primary`'s person, in process, as `carnet device link` does over
/// the network: the primary certifies the key the new device made, streams the link dump,
/// and registers the device once it is rebuilt.
pub fn link(primary: &mut TestVault) -> TestVault {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let device = carnet::crypto::DeviceId::random().unwrap();
    let key = carnet::crypto::DeviceSecret::generate().unwrap();
    let endpoint = carnet::crypto::random_array::<32>().unwrap();
    let endpoint_pub = carnet::crypto::endpoint_public_key(&endpoint);
    let cert = primary
        .vault
        .engine()
        .certify_device(device, endpoint_pub, key.public())
        .unwrap();
    let mut frames = Vec::new();
    primary
        .vault
        .engine()
        .write_link_dump(&cert, &mut |f| {
            frames.push(f.to_vec());
            Ok(())
        })
        .unwrap();
    let mut frames = frames.into_iter();
    let (linked, _) = carnet::SyncEngine::link_from(
        &dir,
        &pass(),
        carnet::crypto::MasterKey::MIN_LOG_N,
        &mut || Ok(frames.next()),
        device,
        &endpoint,
        &key,
    )
    .unwrap();
    primary
        .vault
        .engine()
        .register_device(device, endpoint_pub, Some(key.public()))
        .unwrap();
    TestVault::from_parts(tmp, dir, linked)
}

/// One round of sync from `from` to `to`, two devices of one person, as a live session
/// hands it over (the sender's device named, as its certificate proved).
pub fn own_sync(from: &mut TestVault, to: &mut TestVault) -> carnet::Result<()> {
    let me = to.vault.person_id();
    let theirs = to.vault.engine().have_for(&me)?;
    let card = to.vault.card().clone();
    let mut items = std::collections::VecDeque::new();
    from.vault
        .engine()
        .send_batch(&card, &theirs, None, &mut |i| {
            items.push_back(i);
            Ok(())
        })?;
    let sender = from.vault.card().clone();
    let device = from.vault.device_id();
    to.vault
        .engine()
        .receive_items_from(&sender, Some(device), &mut Items(items))?;
    Ok(())
}

/// A note entry with `text`.
pub fn note(text: &str) -> carnet::record::Entry {
    carnet::record::Entry::Note(carnet::record::Note {
        text: text.into(),
        title: None,
    })
}

/// The texts of the notes of `record`, sorted.
pub fn note_texts(v: &mut Vault, record: &carnet::crypto::RecordId) -> Vec<String> {
    let mut out: Vec<String> = v
        .list(record, Some(carnet::record::SectionId::Notes))
        .expect("list notes")
        .into_iter()
        .filter_map(|e| match e.entry {
            carnet::record::Entry::Note(n) => Some(n.text),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

/// Copies the files of a vault directory (a stale copy, a kept fixture).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}
