//! Attachments, bundles and backups through streams (`Read`/`Write`), as an app hands
//! them (a camera, a share sheet, the user's storage), on real vaults: the same bytes and
//! the same checks as the file forms, and a stream that fails on either side leaves the
//! vault as it was.

use std::io::{Read, Write};

use carnet::consent::Access;
use carnet::crypto::{MasterKey, Role};
use carnet::record::{DateTime, DocType, Entry, Note, SectionId};
use carnet::{AttachmentInput, Error, MAX_ATTACHMENT, RestoreOptions, Vault};
use carnet_scenarios::{introduce, pass, vault};

fn scan() -> AttachmentInput {
    AttachmentInput {
        title: "scan".into(),
        doc_type: DocType::Imaging,
        file_name: Some("scan.bin".into()),
        media_type: "application/octet-stream".into(),
        date: DateTime::now(),
    }
}

/// Bytes that differ from chunk to chunk, the same every time.
fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// A reader that hands out `data` a few bytes at a time (as a pipe would), then fails
/// with an error if `fail` is set instead of ending.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    fail: bool,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.data.len() {
            return if self.fail {
                Err(std::io::Error::other("the camera went away"))
            } else {
                Ok(0)
            };
        }
        let n = buf.len().min(7_777).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A writer that takes `room` bytes, then fails.
struct Full {
    room: usize,
    got: Vec<u8>,
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.got.len() + buf.len() > self.room {
            return Err(std::io::Error::other("no space left"));
        }
        self.got.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_attachment_streams_in_and_out_whole_at_every_chunk_boundary() {
    let alice = vault("Alice", Role::Patient);
    let record = alice.vault.own_record().unwrap();
    let chunk = carnet::crypto::BLOB_CHUNK;
    for len in [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 5] {
        let data = bytes(len);
        let mut src = Trickle {
            data: data.clone(),
            at: 0,
            fail: false,
        };
        let added = alice.vault.attach_from(&record, &mut src, scan()).unwrap();
        // Read back whole and streamed: the same bytes, and the size the entry says.
        let (doc, whole) = alice.vault.attachment(&record, &added.id).unwrap();
        assert_eq!(whole.as_slice(), data.as_slice(), "len {len}");
        assert_eq!(doc.blob.size, len as u64);
        let mut out = Vec::new();
        let (_, n) = alice
            .vault
            .attachment_to(&record, &added.id, &mut out)
            .unwrap();
        assert_eq!((n, out), (len as u64, data));
    }
}

#[test]
fn a_failing_stream_leaves_the_vault_as_it_was() {
    let alice = vault("Alice", Role::Patient);
    let record = alice.vault.own_record().unwrap();
    let before = alice.vault.state_digest().unwrap();
    // The camera fails after 200 KB: nothing is added.
    let mut src = Trickle {
        data: bytes(200_000),
        at: 0,
        fail: true,
    };
    let got = alice.vault.attach_from(&record, &mut src, scan());
    assert!(matches!(got, Err(Error::Io { .. })), "{got:?}");
    assert_eq!(alice.vault.state_digest().unwrap(), before);
    // Over the limit: refused once past it, nothing added.
    let mut huge = std::io::repeat(7).take(MAX_ATTACHMENT + 1);
    let got = alice.vault.attach_from(&record, &mut huge, scan());
    assert!(
        matches!(got, Err(Error::AttachmentTooLarge { size, .. }) if size == MAX_ATTACHMENT + 1),
        "{got:?}"
    );
    assert_eq!(alice.vault.state_digest().unwrap(), before);
    // A writer that fills up while the attachment is read out: an error, not a short file
    // taken as whole.
    let added = alice
        .vault
        .attach_from(&record, &mut &bytes(300_000)[..], scan())
        .unwrap();
    let mut full = Full {
        room: 100_000,
        got: Vec::new(),
    };
    let got = alice.vault.attachment_to(&record, &added.id, &mut full);
    assert!(matches!(got, Err(Error::Io { .. })), "{got:?}");
}

#[test]
fn a_bundle_streams_out_and_in_and_a_failed_write_records_nothing() {
    let mut alice = vault("Alice", Role::Patient);
    let doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    let record = alice.vault.own_record().unwrap();
    alice
        .vault
        .add(
            &record,
            Entry::Note(Note {
                text: "seen on Monday".into(),
                title: None,
            }),
        )
        .unwrap();
    alice
        .vault
        .grant("Dr Martin", &[SectionId::Notes], Access::Read, "care", None)
        .unwrap();
    let card = doctor.vault.card();

    // The share sheet fails half-way: nothing is logged as written, so the next bundle
    // carries the same changes.
    let before = alice.vault.state_digest().unwrap();
    let mut full = Full {
        room: 300,
        got: Vec::new(),
    };
    assert!(
        alice
            .vault
            .export_bundle_to(&card, false, &mut full)
            .is_err()
    );
    assert_eq!(alice.vault.state_digest().unwrap(), before);

    let mut sent = Vec::new();
    let out = alice
        .vault
        .export_bundle_to(&card, false, &mut sent)
        .unwrap();
    assert_eq!(out.bytes, sent.len() as u64);
    assert!(out.envelopes > 0);
    assert_ne!(
        alice.vault.state_digest().unwrap(),
        before,
        "logged as written"
    );

    // Read from a stream that trickles: the same import as from a file.
    let mut src = Trickle {
        data: sent.clone(),
        at: 0,
        fail: false,
    };
    let got = doctor.vault.import_bundle_from(&mut src).unwrap();
    assert_eq!(got.envelopes, out.envelopes);
    assert_eq!(got.bytes, sent.len() as u64);
    let notes = doctor.vault.list(&record, Some(SectionId::Notes)).unwrap();
    assert_eq!(notes.len(), 1);
    // The same stream again is a replay, refused, and a cut one is refused whole.
    assert!(matches!(
        doctor.vault.import_bundle_from(&mut &sent[..]),
        Err(Error::AlreadyImported)
    ));
    let other = vault("Dr Martin", Role::Clinician);
    let before = other.vault.state_digest().unwrap();
    assert!(
        other
            .vault
            .import_bundle_from(&mut &sent[..sent.len() / 2])
            .is_err()
    );
    assert_eq!(other.vault.state_digest().unwrap(), before);
}

#[test]
fn a_backup_streams_out_and_restores_from_a_stream() {
    let alice = vault("Alice", Role::Patient);
    let record = alice.vault.own_record().unwrap();
    alice
        .vault
        .add(
            &record,
            Entry::Note(Note {
                text: "kept in the backup".into(),
                title: None,
            }),
        )
        .unwrap();
    alice
        .vault
        .attach_from(&record, &mut &bytes(150_000)[..], scan())
        .unwrap();
    let mut backup = Vec::new();
    let summary = alice.vault.backup_to(&mut backup).unwrap();
    assert_eq!(summary.bytes, backup.len() as u64);
    assert!(summary.attachments >= 1);
    let key = alice.phrase.as_ref().unwrap().key().unwrap();
    let tmp = tempfile::tempdir().unwrap();

    // A cut stream makes no vault.
    let cut = tmp.path().join("cut");
    assert!(
        Vault::restore_from(
            &cut,
            &pass(),
            MasterKey::MIN_LOG_N,
            &mut &backup[..backup.len() * 2 / 3],
            &key,
            &RestoreOptions::default(),
        )
        .is_err()
    );
    assert!(!carnet::store_exists(&cut));

    let dir = tmp.path().join("restored");
    let mut src = Trickle {
        data: backup,
        at: 0,
        fail: false,
    };
    let (restored, _) = Vault::restore_from(
        &dir,
        &pass(),
        MasterKey::MIN_LOG_N,
        &mut src,
        &key,
        &RestoreOptions::default(),
    )
    .unwrap();
    let texts: Vec<String> = restored
        .list(&record, None)
        .unwrap()
        .into_iter()
        .map(|e| e.entry.summary())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("kept in the backup")),
        "{texts:?}"
    );
    assert_eq!(
        restored
            .list(&record, Some(SectionId::Documents))
            .unwrap()
            .len(),
        1
    );
}
