//! The store's guarantees, on real redb files.

use std::fs;
use std::path::Path;

use carnet_crypto::secrecy::SecretString;
use carnet_crypto::{
    DeviceId, ENVELOPE_VERSION, Envelope, EnvelopeHeader, EpochKey, PersonSecret, RecordId,
};
use carnet_store::{DB_FILE, KEY_FILE, Store, StoreError};

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

fn snapshot_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn new_store(dir: &Path) -> Store {
    Store::create(dir, &pass("pw"), 10, |txn| {
        txn.put_secret_meta("hello", b"world")
    })
    .unwrap()
}

#[test]
fn create_then_open_with_the_right_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    drop(new_store(&dir));
    let store = Store::open(&dir, &pass("pw")).unwrap();
    let v = store
        .read()
        .unwrap()
        .get_secret_meta("hello")
        .unwrap()
        .unwrap();
    assert_eq!(v.as_slice(), b"world");
    assert!(matches!(
        Store::create(&dir, &pass("pw"), 10, |_| Ok(())),
        Err(StoreError::AlreadyExists(_))
    ));
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    drop(new_store(&dir));
    assert_eq!(
        fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for f in [DB_FILE, KEY_FILE] {
        assert_eq!(
            fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777,
            0o600,
            "{f}"
        );
    }
}

#[test]
fn a_wrong_passphrase_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    drop(new_store(&dir));
    let before = snapshot_files(&dir);
    let err = Store::open(&dir, &pass("not it")).unwrap_err();
    assert!(matches!(err, StoreError::WrongPassphrase(_)), "{err}");
    assert!(err.to_string().contains("wrong passphrase"));
    assert_eq!(snapshot_files(&dir), before);
}

#[test]
fn a_missing_vault_says_how_to_make_one() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Store::open(&tmp.path().join("nope"), &pass("pw")).unwrap_err();
    assert!(matches!(err, StoreError::NoVault(_)), "{err}");
    assert_eq!(err.code(), "store.no_vault");
    // In words for any caller (an app, the command line, which adds its own hint).
    assert!(err.to_string().contains("create one there"), "{err}");
    assert!(!err.to_string().contains("carnet "), "{err}");
}

#[test]
fn a_damaged_database_file_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    {
        let store = new_store(&dir);
        let mut txn = store.write().unwrap();
        for i in 0..200u32 {
            txn.put_meta(&format!("k{i}"), &[i as u8; 300]).unwrap();
        }
        txn.commit().unwrap();
    }
    let db = dir.join(DB_FILE);
    let original = fs::read(&db).unwrap();
    // Truncated.
    fs::write(&db, &original[..original.len() / 3]).unwrap();
    let before = snapshot_files(&dir);
    let err = Store::open(&dir, &pass("pw")).unwrap_err();
    assert!(!err.to_string().is_empty());
    assert_eq!(
        snapshot_files(&dir),
        before,
        "truncated file was modified: {err}"
    );
    // Every 4 KiB page with a byte overwritten in the middle.
    let mut hits = 0;
    for page in (0..original.len()).step_by(4096).skip(1) {
        let mut bytes = original.clone();
        let at = page + 2048;
        if at >= bytes.len() {
            break;
        }
        bytes[at] ^= 0x5a;
        fs::write(&db, &bytes).unwrap();
        let before = snapshot_files(&dir);
        match Store::open(&dir, &pass("pw")) {
            Err(e) => {
                hits += 1;
                assert_eq!(snapshot_files(&dir), before, "page {page}: {e}");
            }
            // A byte in free space changes nothing that is read: the vault still works.
            Ok(store) => {
                let v = store
                    .read()
                    .unwrap()
                    .get_secret_meta("hello")
                    .unwrap()
                    .unwrap();
                assert_eq!(v.as_slice(), b"world");
            }
        }
    }
    assert!(hits > 0, "no corruption was detected at all");
}

fn header(
    author: &PersonSecret,
    seq: u64,
    prev: Option<carnet_crypto::EnvelopeId>,
) -> EnvelopeHeader {
    EnvelopeHeader {
        version: ENVELOPE_VERSION,
        record: RecordId([1; 32]),
        section: 2,
        epoch: 0,
        author: author.person_id(),
        device: DeviceId([4; 16]),
        seq,
        prev,
    }
}

#[test]
fn chains_refuse_gaps_forks_and_count_duplicates_once() {
    let tmp = tempfile::tempdir().unwrap();
    let store = new_store(&tmp.path().join("v"));
    let author = PersonSecret::generate().unwrap();
    let key = EpochKey::generate().unwrap();
    let e1 = Envelope::seal(header(&author, 1, None), b"a", &key, &author).unwrap();
    let e2 = Envelope::seal(header(&author, 2, Some(e1.id())), b"b", &key, &author).unwrap();
    let fork2 = Envelope::seal(header(&author, 2, Some(e1.id())), b"c", &key, &author).unwrap();
    let e3 = Envelope::seal(header(&author, 3, Some(e2.id())), b"d", &key, &author).unwrap();

    let mut txn = store.write().unwrap();
    assert!(
        matches!(txn.put_envelope(&e2), Err(StoreError::ChainBroken { .. })),
        "gap"
    );
    assert!(txn.put_envelope(&e1).unwrap());
    assert!(!txn.put_envelope(&e1).unwrap(), "duplicate is a no-op");
    assert!(txn.put_envelope(&e2).unwrap());
    let err = txn.put_envelope(&fork2).unwrap_err();
    assert!(err.to_string().contains("already taken"), "{err}");
    assert!(txn.put_envelope(&e3).unwrap());
    txn.commit().unwrap();

    let r = store.read().unwrap();
    let heads = r.chain_heads(&RecordId([1; 32]), 2).unwrap();
    assert_eq!(heads.len(), 1);
    assert_eq!((heads[0].seq, heads[0].last), (3, e3.id()));
    assert_eq!(
        r.chain_after(
            &RecordId([1; 32]),
            2,
            &author.person_id(),
            &DeviceId([4; 16]),
            1
        )
        .unwrap(),
        vec![e2.id(), e3.id()]
    );
    assert!(r.chain_heads(&RecordId([1; 32]), 3).unwrap().is_empty());
    assert_eq!(r.envelope(&e2.id()).unwrap().unwrap(), e2);
}

#[test]
fn an_uncommitted_transaction_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = new_store(&tmp.path().join("v"));
    {
        let mut txn = store.write().unwrap();
        txn.put_meta("x", b"1").unwrap();
        txn.put_epoch_key(&RecordId([1; 32]), 0, 0, &EpochKey::generate().unwrap())
            .unwrap();
    }
    let r = store.read().unwrap();
    assert_eq!(r.get_meta("x").unwrap(), None);
    assert!(r.epoch_key(&RecordId([1; 32]), 0, 0).unwrap().is_none());
}

#[test]
fn epoch_keys_and_snapshots_are_sealed_and_bound_to_their_slot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let store = new_store(&dir);
    let key = EpochKey::from_bytes([0x42; 32]);
    let rec = RecordId([9; 32]);
    let mut txn = store.write().unwrap();
    txn.put_epoch_key(&rec, 1, 0, &key).unwrap();
    txn.put_epoch_key(&rec, 1, 3, &key).unwrap();
    txn.put_snapshot(&rec, 1, b"snapshot-plaintext-marker")
        .unwrap();
    txn.commit().unwrap();
    let r = store.read().unwrap();
    assert_eq!(
        r.epoch_key(&rec, 1, 3).unwrap().unwrap().expose(),
        key.expose()
    );
    assert_eq!(r.latest_epoch(&rec, 1).unwrap(), Some(3));
    assert_eq!(r.latest_epoch(&rec, 2).unwrap(), None);
    assert_eq!(r.records().unwrap(), vec![rec]);
    assert_eq!(
        r.snapshot(&rec, 1).unwrap().unwrap().as_slice(),
        b"snapshot-plaintext-marker"
    );
    drop(r);
    drop(store);
    let raw = fs::read(dir.join(DB_FILE)).unwrap();
    assert!(!raw.windows(25).any(|w| w == b"snapshot-plaintext-marker"));
    assert!(!raw.windows(32).any(|w| w == [0x42; 32]));
}

#[test]
fn two_handles_on_one_vault_both_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let a = new_store(&dir);
    let b = Store::open(&dir, &pass("pw")).unwrap();
    let mut txn = a.write().unwrap();
    txn.put_meta("from-a", b"1").unwrap();
    txn.commit().unwrap();
    assert_eq!(
        b.read().unwrap().get_meta("from-a").unwrap(),
        Some(b"1".to_vec())
    );
}

#[test]
fn large_envelopes_are_stored_in_page_rows_and_read_back_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let store = new_store(&tmp.path().join("v"));
    let author = PersonSecret::generate().unwrap();
    let key = EpochKey::generate().unwrap();
    // A small envelope stays in one row; one over a page is split into page-sized rows.
    let small = Envelope::seal(header(&author, 1, None), b"a", &key, &author).unwrap();
    let body: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let large = Envelope::seal(header(&author, 2, Some(small.id())), &body, &key, &author).unwrap();
    assert!(large.as_bytes().len() > 3 * 4096);
    let mut txn = store.write().unwrap();
    assert!(txn.put_envelope(&small).unwrap());
    assert!(txn.put_envelope(&large).unwrap());
    assert!(
        !txn.put_envelope(&large).unwrap(),
        "a stored large envelope is a duplicate"
    );
    txn.commit().unwrap();
    let r = store.read().unwrap();
    assert!(r.has_envelope(&large.id()).unwrap());
    let back = r.envelope(&large.id()).unwrap().unwrap();
    assert_eq!(back.as_bytes(), large.as_bytes());
    assert_eq!(
        r.envelope(&small.id()).unwrap().unwrap().as_bytes(),
        small.as_bytes()
    );
    // A dump (backups, linked devices) carries the rows, and they restore whole.
    let mut rows = Vec::new();
    r.dump(&mut |row| {
        rows.push(row);
        Ok(())
    })
    .unwrap();
    drop(r);
    let other = new_store(&tmp.path().join("w"));
    let mut txn = other.write().unwrap();
    for row in &rows {
        if !matches!(
            row.table,
            carnet_store::DumpTable::Meta | carnet_store::DumpTable::SecretMeta
        ) {
            txn.restore_row(row).unwrap();
        }
    }
    txn.commit().unwrap();
    let r = other.read().unwrap();
    assert_eq!(
        r.envelope(&large.id()).unwrap().unwrap().as_bytes(),
        large.as_bytes()
    );
}

/// A record's consent rows carry a generation that tells a reader, in two lookups, whether
/// they are as it read them, only grew, or changed otherwise.
#[test]
fn consent_generations_tell_appends_from_rewrites() {
    let tmp = tempfile::tempdir().unwrap();
    let store = new_store(&tmp.path().join("v"));
    let record = RecordId([7; 32]);
    let other = RecordId([8; 32]);
    let stamp = |s: &Store, r: &RecordId| s.read().unwrap().consent_stamp(r).unwrap();
    let empty = stamp(&store, &record);
    assert_eq!(
        (empty.generation, empty.rewritten, empty.last),
        (0, 0, None)
    );

    let put = |s: &Store, r: &RecordId, i: u64, b: &[u8]| {
        let mut t = s.write().unwrap();
        t.put_consent(r, i, b).unwrap();
        t.commit().unwrap();
    };
    for i in 0..3 {
        put(&store, &record, i, &[i as u8]);
    }
    put(&store, &other, 0, b"x");
    let s = stamp(&store, &record);
    assert_eq!((s.generation, s.rewritten), (3, 0), "three appends");
    assert_eq!(s.last, Some((2, vec![2])));
    // A row replaced is not an append; nor is one added below the last.
    put(&store, &record, 1, b"y");
    let s = stamp(&store, &record);
    assert_eq!((s.generation, s.rewritten), (4, 4));
    put(&store, &record, 9, b"z");
    let s = stamp(&store, &record);
    assert_eq!((s.generation, s.rewritten), (5, 4));
    assert_eq!(s.last, Some((9, b"z".to_vec())));
    put(&store, &record, 5, b"w");
    assert_eq!(stamp(&store, &record).rewritten, 6);
    // Dropping a branch is not an append; dropping nothing changes nothing.
    let mut t = store.write().unwrap();
    assert_eq!(t.drop_consent_from(&record, 5).unwrap(), 2);
    assert_eq!(t.drop_consent_from(&record, 50).unwrap(), 0);
    t.commit().unwrap();
    let s = stamp(&store, &record);
    assert_eq!((s.generation, s.rewritten), (7, 7));
    assert_eq!(s.last, Some((2, vec![2])));
    // Another record's rows have their own.
    let o = stamp(&store, &other);
    assert_eq!((o.generation, o.rewritten), (1, 0));
    // An aborted transaction leaves the generation as it was.
    let mut t = store.write().unwrap();
    t.put_consent(&record, 3, b"q").unwrap();
    drop(t);
    assert_eq!(stamp(&store, &record).generation, 7);
    let r = store.read().unwrap();
    assert_eq!(r.consent_entry(&record, 1).unwrap(), Some(b"y".to_vec()));
    assert_eq!(r.consent_entry(&record, 3).unwrap(), None);
    assert_eq!(r.consent_entries_from(&record, 1).unwrap().len(), 2);
}

/// Opens a vault's redb file directly, behind the store's back.
fn raw_db(dir: &Path) -> redb::Database {
    redb::Database::builder()
        .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
        .open(dir.join(DB_FILE))
        .unwrap()
}

const ENTRY_LISTS: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("entry_lists");

fn slot(record: &RecordId, section: u8) -> Vec<u8> {
    let mut k = record.0.to_vec();
    k.push(section);
    k
}

/// A section's kept entry list (a cache the `carnet` core trusts while its chain heads
/// match) is sealed with the vault's master key and bound to its slot: a row copied from
/// another vault, or moved to another section, does not open; storing or dropping the
/// section's snapshot drops it.
#[test]
fn entry_lists_are_sealed_and_bound_to_their_vault_and_slot() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let rec = RecordId([7; 32]);
    let marker = b"entry-list-plaintext-marker";
    for dir in [&dir_a, &dir_b] {
        let store = new_store(dir);
        let mut txn = store.write().unwrap();
        txn.put_entry_list(&rec, 1, marker).unwrap();
        txn.commit().unwrap();
        assert_eq!(
            store
                .read()
                .unwrap()
                .entry_list(&rec, 1)
                .unwrap()
                .unwrap()
                .as_slice(),
            marker
        );
    }
    let raw = fs::read(dir_a.join(DB_FILE)).unwrap();
    assert!(!raw.windows(marker.len()).any(|w| w == marker));
    // A's row, into B's slot for the same record and section, and into A's slot of
    // another section.
    let row = {
        let db = raw_db(&dir_a);
        let r = redb::ReadableDatabase::begin_read(&db).unwrap();
        let t = r.open_table(ENTRY_LISTS).unwrap();
        t.get(&slot(&rec, 1)[..]).unwrap().unwrap().value().to_vec()
    };
    for (dir, section) in [(&dir_b, 1), (&dir_a, 2)] {
        let db = raw_db(dir);
        let w = db.begin_write().unwrap();
        w.open_table(ENTRY_LISTS)
            .unwrap()
            .insert(&slot(&rec, section)[..], &row[..])
            .unwrap();
        w.commit().unwrap();
    }
    for (dir, section) in [(&dir_b, 1), (&dir_a, 2)] {
        let store = Store::open(dir, &pass("pw")).unwrap();
        let got = store.read().unwrap().entry_list(&rec, section);
        assert!(
            matches!(got, Err(StoreError::Damaged { .. })),
            "{dir:?} section {section}: {got:?}"
        );
    }
    // Its section's snapshot stored, or dropped: the list goes with it.
    let store = Store::open(&dir_a, &pass("pw")).unwrap();
    let mut txn = store.write().unwrap();
    txn.put_snapshot(&rec, 1, b"snapshot").unwrap();
    txn.commit().unwrap();
    assert!(store.read().unwrap().entry_list(&rec, 1).unwrap().is_none());
    let mut txn = store.write().unwrap();
    txn.put_entry_list(&rec, 1, marker).unwrap();
    txn.drop_snapshot(&rec, 1).unwrap();
    txn.commit().unwrap();
    assert!(store.read().unwrap().entry_list(&rec, 1).unwrap().is_none());
}

/// `try_write` never waits: `None` while a write transaction of this handle or another
/// is under way, a transaction once it ended.
#[test]
fn try_write_does_not_wait_for_a_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let a = new_store(&dir);
    let b = Store::open(&dir, &pass("pw")).unwrap();
    let held = a.write().unwrap();
    assert!(a.try_write().unwrap().is_none());
    assert!(b.try_write().unwrap().is_none());
    drop(held);
    let mut txn = b.try_write().unwrap().expect("free again");
    txn.put_meta("x", b"1").unwrap();
    txn.commit().unwrap();
    assert_eq!(
        a.read().unwrap().get_meta("x").unwrap(),
        Some(b"1".to_vec())
    );
}
