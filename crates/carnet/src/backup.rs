//! Backups: one file with everything needed to rebuild a vault on a new machine (identity,
//! keys, envelopes, attachments, consent log, contacts and grants), sealed to the recovery
//! key. A device keeps only the key's public recipient, so it can make backups that only the
//! recovery phrase (or enough recovery shares) can open.
//!
//! # File layout
//! ```text
//! "CARNET-BACKUP/1\n" || age(sealed to the recovery recipient, STREAM) {
//!     frame Header { version = 2, person, card, time, source device }
//!     frame Row*   ; every row of the vault, sealed values opened (snapshots left out)
//!     frame SignedEnd { rows, hash = blake3(every frame before it), signature }
//! }
//! signature = ed25519 by the person, over "carnet/backup/v2" || 0 || hash || rows (u64 BE)
//! ```
//! Version 1 (written before backups were signed) ends with `End { rows, hash }` and no
//! signature; it still restores, and [`RestoreSummary::signed`] says it was not signed.
//!
//! # Guarantees
//! - A restore writes nothing where it was asked to until the whole backup has been read,
//!   checked (age authenticates every chunk; the row count and hash must match; the
//!   person named in the header signed it, for version 2) and the rebuilt vault has passed
//!   a full verification (identity, keys that are the named person's, every envelope, the
//!   consent log). A wrong phrase, a truncated, altered or unsigned-but-claiming-signed
//!   file, or a backup of someone other than the person expected, leave nothing behind.
//! - Anyone who knows the recovery recipient (it is public: share holders see it) can seal
//!   a file to it; the signature is what says whose backup it is. A version 1 file cannot
//!   stand in for a signed one of the same person without that person's secret keys,
//!   which the rebuilt vault must hold.
//! - The restored vault is a new device of the same person: its own device id and network
//!   key, recorded in the consent log; it takes over the log, and can remove the lost
//!   device.

use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use carnet_crypto::{
    DeviceId, IdentityCard, Passphrase, PersonId, RecoveryKey, endpoint_public_key,
    seal_to_recipient, verify_signature,
};
use carnet_record::SectionId;
use carnet_store::{DumpRow, DumpTable, Store};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ExchangeError, RecoveryError};
use crate::files::{Counting, create_private, expect_magic, io_err, sibling};
use crate::vault::now_unix;
use crate::wire::{decode_frame, read_frame_bytes};
use crate::{Error, MAX_ATTACHMENT, Result, Vault};

/// The first bytes of every backup file.
pub const BACKUP_MAGIC: &[u8] = b"CARNET-BACKUP/1\n";
/// The version written now: signed by the person.
const BACKUP_VERSION: u8 = 2;
/// The version written before backups were signed: still restored.
const BACKUP_VERSION_UNSIGNED: u8 = 1;
/// The domain label of a backup's signature.
pub const BACKUP_DOMAIN: &[u8] = b"carnet/backup/v2";
/// The largest frame in a backup: one attachment, sealed, with room to spare.
const MAX_BACKUP_FRAME: usize = MAX_ATTACHMENT as usize + (1 << 20);

#[derive(Serialize, Deserialize)]
struct Header {
    version: u8,
    person: PersonId,
    card: String,
    created: u64,
    device: DeviceId,
}

#[derive(Serialize, Deserialize)]
enum Frame {
    Header(Header),
    Row {
        table: DumpTable,
        #[serde(with = "serde_bytes")]
        key: Vec<u8>,
        #[serde(with = "serde_bytes")]
        value: Vec<u8>,
    },
    /// The end of a version 1 (unsigned) backup.
    End {
        rows: u64,
        hash: [u8; 32],
    },
    /// The end of a version 2 backup: the person's signature over [`signed_message`].
    SignedEnd {
        rows: u64,
        hash: [u8; 32],
        #[serde(with = "serde_bytes")]
        signature: Vec<u8>,
    },
}

/// What a backup's signature covers (after its domain label): the hash of every frame
/// before the end (the header, so the person, card, time and device, then every row) and
/// the row count.
fn signed_message(hash: &[u8; 32], rows: u64) -> [u8; 40] {
    let mut m = [0u8; 40];
    m[..32].copy_from_slice(hash);
    m[32..].copy_from_slice(&rows.to_be_bytes());
    m
}

/// What a backup wrote.
#[derive(Clone, Debug, Serialize)]
pub struct BackupSummary {
    /// Rows written.
    pub rows: u64,
    /// Envelopes (changes) among them.
    pub envelopes: u64,
    /// Attachments among them.
    pub attachments: u64,
    /// Consent-log entries among them.
    pub consent_entries: u64,
    /// Size of the file.
    pub bytes: u64,
}

/// What a restore rebuilt.
#[derive(Clone, Debug, Serialize)]
pub struct RestoreSummary {
    /// The person's name.
    pub name: String,
    /// The person's id.
    #[serde(serialize_with = "crate::vault::as_text")]
    pub id: PersonId,
    /// When the backup was made (Unix seconds).
    pub backup_time: u64,
    /// The device the backup came from (now replaced by this one).
    #[serde(serialize_with = "crate::vault::as_text")]
    pub from_device: DeviceId,
    /// This device.
    #[serde(serialize_with = "crate::vault::as_text")]
    pub device: DeviceId,
    /// Rows restored.
    pub rows: u64,
    /// Entries readable after the restore.
    pub entries: usize,
    /// Whether the backup was signed by its person (false: a backup written before backups
    /// were signed, checked otherwise but not as a whole).
    pub signed: bool,
    /// For a patient: the takeover that made this device the only one that speaks for
    /// them (see [`Vault::restore_with`]).
    pub takeover: Option<crate::TakeoverSummary>,
}

/// What a rebuild runs on the checked vault before it takes its place.
type Finish<'a> = dyn FnMut(&mut Vault) -> Result<()> + 'a;

/// How to restore ([`Vault::restore_with`]).
#[derive(Clone, Debug, Default)]
pub struct RestoreOptions {
    /// Whose the backup must be (refused, with nothing written, if it is someone else's).
    pub expected: Option<PersonId>,
    /// The newest checkpoint of the record's consent log known from outside (a grantee's,
    /// as `carnet audit witness` writes it): when it is newer than the backup, the
    /// takeover records openly that it leaves that branch behind.
    pub newest_checkpoint: Option<String>,
}

/// Whose a backup says it is, read from its header without restoring it. The header is
/// covered by the signature checked at restore ([`Vault::restore_expecting`]); until then
/// this is what the file claims.
#[derive(Clone, Debug)]
pub struct BackupInfo {
    /// The person's name, from their card.
    pub name: String,
    /// The person's id.
    pub id: PersonId,
    /// When the backup was made (Unix seconds).
    pub backup_time: u64,
    /// The device it was made on.
    pub from_device: DeviceId,
    /// Whether it is of the signed format (false: written before backups were signed).
    pub signed: bool,
}

fn write_big_frame(w: &mut impl Write, frame: &Frame, hasher: &mut blake3::Hasher) -> Result<()> {
    let mut body = postcard::to_stdvec(frame).map_err(|e| Error::encode("a backup frame", e))?;
    if body.len() > MAX_BACKUP_FRAME {
        body.zeroize();
        return Err(ExchangeError::FrameTooLarge {
            size: body.len() as u64,
            max: MAX_BACKUP_FRAME as u64,
        }
        .into());
    }
    let len = (body.len() as u32).to_be_bytes();
    let r = w.write_all(&len).and_then(|_| w.write_all(&body));
    hasher.update(&len);
    hasher.update(&body);
    body.zeroize();
    r.map_err(|e| Error::Io {
        action: "cannot write the backup",
        path: None,
        source: e,
    })
}

impl Vault {
    /// The public recipient backups are sealed to (`age1...`), derived from the recovery
    /// phrase shown at `init`.
    pub fn recovery_recipient(&self) -> Result<String> {
        match self.store.read()?.get_meta("recovery")? {
            Some(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
            None => Err(RecoveryError::NoRecoveryKey.into()),
        }
    }

    /// Writes a backup of the whole vault to `out` (which must not exist), sealed to the
    /// recovery key. Cheap to repeat: one pass over the vault, streamed, never held whole in
    /// memory.
    pub fn backup(&self, out: &Path) -> Result<BackupSummary> {
        self.backup_with_progress(out, &mut |_, _| {})
    }

    /// [`Vault::backup`], calling `progress(rows written, rows in all)` after each row: a
    /// bar with a fraction, not only a size.
    pub fn backup_with_progress(
        &self,
        out: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupSummary> {
        if out.exists() {
            return Err(Error::OutputExists {
                path: out.to_path_buf(),
            });
        }
        let tmp = sibling(out, "tmp");
        let file = create_private(&tmp)?;
        let result = (|| -> Result<BackupSummary> {
            let (mut summary, w) = self.backup_into(BufWriter::new(file), &tmp, progress)?;
            let file = w
                .into_inner()
                .map_err(|e| io_err("cannot write", &tmp, e.into_error()))?;
            file.sync_all()
                .map_err(|e| io_err("cannot sync", &tmp, e))?;
            summary.bytes = file
                .metadata()
                .map_err(|e| io_err("cannot read", &tmp, e))?
                .len();
            Ok(summary)
        })();
        match result {
            Ok(summary) => {
                let placed = fs::hard_link(&tmp, out);
                let _ = fs::remove_file(&tmp);
                placed.map_err(|e| io_err("cannot create", out, e))?;
                Ok(summary)
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// [`Vault::backup`] into a stream (a cloud-free export the app hands to the user's
    /// storage, a USB key): written as it is read from the vault, never held whole. Sealed
    /// to the recovery key as the file form is; restore it by writing it to a file.
    /// Returns what it holds and the bytes written.
    pub fn backup_to(&self, out: &mut dyn Write) -> Result<BackupSummary> {
        let stream = Path::new("-");
        let (mut summary, mut w) = self.backup_into(
            Counting {
                inner: out,
                bytes: 0,
            },
            stream,
            &mut |_, _| {},
        )?;
        w.flush().map_err(|e| io_err("cannot write", stream, e))?;
        summary.bytes = w.bytes;
        Ok(summary)
    }

    /// Writes a backup into `w` (named `path` in errors); returns its summary and `w`.
    fn backup_into<W: Write>(
        &self,
        mut w: W,
        path: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(BackupSummary, W)> {
        let recipient = self.recovery_recipient()?;
        w.write_all(BACKUP_MAGIC)
            .map_err(|e| io_err("cannot write", path, e))?;
        let mut sealed = seal_to_recipient(&recipient, w)?;
        let summary = self.write_dump_for(
            None,
            &mut |frame| {
                sealed.write_all(frame).map_err(|e| Error::Io {
                    action: "cannot write the backup",
                    path: None,
                    source: e,
                })
            },
            progress,
        )?;
        let w = sealed
            .finish()
            .map_err(|e| io_err("cannot write", path, e))?;
        Ok((summary, w))
    }

    /// Every frame of a dump of this vault (header, rows, end), each handed to `sink` as
    /// the bytes to write: the content of a backup. Made on the device that holds the
    /// person's key (it signs the dump).
    pub fn write_dump(&self, sink: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<BackupSummary> {
        self.write_dump_for(None, sink, &mut |_, _| {})
    }

    /// The dump a new device is linked from: everything but the person's own key, which
    /// stays on this device, plus `cert`, the certificate of the new device's own signing
    /// key (see [`Vault::certify_device`]).
    pub(crate) fn write_link_dump(
        &self,
        cert: &carnet_crypto::DeviceCert,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<BackupSummary> {
        self.write_dump_for(Some(cert), sink, &mut |_, _| {})
    }

    /// Certifies a new device's endpoint and signing keys as `device` of this person
    /// (on the device that holds the person's key).
    pub(crate) fn certify_device(
        &self,
        device: DeviceId,
        endpoint: [u8; 32],
        signing: [u8; 32],
    ) -> Result<carnet_crypto::DeviceCert> {
        Ok(carnet_crypto::DeviceCert::issue(
            self.me().secret()?,
            device,
            endpoint,
            Some(signing),
            now_unix(),
        ))
    }

    fn write_dump_for(
        &self,
        link: Option<&carnet_crypto::DeviceCert>,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupSummary> {
        // Refused before anything is written: only the person's key signs a dump.
        let me = self.me();
        let secret = me.secret()?;
        let mut hasher = blake3::Hasher::new();
        let mut emit = |frame: &Frame, hasher: Option<&mut blake3::Hasher>| -> Result<()> {
            let mut buf = Vec::new();
            let mut scratch = blake3::Hasher::new();
            write_big_frame(&mut buf, frame, hasher.unwrap_or(&mut scratch))?;
            let r = sink(&buf);
            buf.zeroize();
            r
        };
        emit(
            &Frame::Header(Header {
                version: BACKUP_VERSION,
                person: self.person_id(),
                card: self.card().to_text(),
                created: now_unix(),
                device: self.device_id(),
            }),
            Some(&mut hasher),
        )?;
        let mut summary = BackupSummary {
            rows: 0,
            envelopes: 0,
            attachments: 0,
            consent_entries: 0,
            bytes: 0,
        };
        let r = self.store.read()?;
        let total = r.dump_len()?;
        let mut done = 0u64;
        let mut failed: Option<Error> = None;
        let mut skipped = 0u64;
        let rows = r.dump(&mut |row: DumpRow| {
            done += 1;
            // The person's own key never goes to a linked device.
            if link.is_some()
                && row.table == DumpTable::SecretMeta
                && (row.key == b"person"
                    || row.key == crate::keys::DEVICE_KEY.as_bytes()
                    || row.key == crate::keys::LOG_KEY.as_bytes())
            {
                skipped += 1;
                return Ok(());
            }
            match row.table {
                DumpTable::Envelopes => summary.envelopes += 1,
                DumpTable::Blobs => summary.attachments += 1,
                // Large envelopes and attachments are stored in parts: count their first.
                DumpTable::EnvelopeParts if row.key.ends_with(&[0; 4]) => summary.envelopes += 1,
                DumpTable::BlobParts if row.key.ends_with(&[0; 4]) => summary.attachments += 1,
                DumpTable::Consent => summary.consent_entries += 1,
                _ => {}
            }
            let mut frame = Frame::Row {
                table: row.table,
                key: row.key.clone(),
                value: row.value.to_vec(),
            };
            let res = emit(&frame, Some(&mut hasher));
            if let Frame::Row { value, .. } = &mut frame {
                value.zeroize();
            }
            if let Err(e) = res {
                failed = Some(e);
                return Err(carnet_store::StoreError::Database(
                    "the dump stopped".into(),
                ));
            }
            progress(done, total);
            Ok(())
        });
        let mut rows = match rows {
            Ok(n) => n - skipped,
            Err(e) => return Err(failed.take().unwrap_or(e.into())),
        };
        if let Some(cert) = link {
            emit(
                &Frame::Row {
                    table: DumpTable::Meta,
                    key: crate::keys::DEVICE_CERT.as_bytes().to_vec(),
                    value: cert.as_bytes().to_vec(),
                },
                Some(&mut hasher),
            )?;
            rows += 1;
        }
        summary.rows = rows;
        let hash = *hasher.finalize().as_bytes();
        let signature = secret.sign(BACKUP_DOMAIN, &signed_message(&hash, summary.rows));
        emit(
            &Frame::SignedEnd {
                rows: summary.rows,
                hash,
                signature: signature.to_vec(),
            },
            None,
        )?;
        Ok(summary)
    }

    /// Rebuilds a vault in `dir` (which must not exist) from a backup, opened with the
    /// recovery `key`, protected by a new `passphrase`. Nothing is written at `dir` unless
    /// everything checks. Takes a backup of whoever signed it: see
    /// [`Vault::restore_expecting`] to name whose it must be.
    pub fn restore(
        dir: &Path,
        passphrase: &Passphrase,
        kdf_log_n: u8,
        backup: &Path,
        key: &RecoveryKey,
    ) -> Result<(Vault, RestoreSummary)> {
        Self::restore_expecting(dir, passphrase, kdf_log_n, backup, key, None)
    }

    /// [`Vault::restore`], refusing (with nothing written) a backup that is not of
    /// `expected`, when given. A signed backup must be signed by the person its header
    /// names; an unsigned one (written before backups were signed) is taken, and
    /// [`RestoreSummary::signed`] is false.
    pub fn restore_expecting(
        dir: &Path,
        passphrase: &Passphrase,
        kdf_log_n: u8,
        backup: &Path,
        key: &RecoveryKey,
        expected: Option<&PersonId>,
    ) -> Result<(Vault, RestoreSummary)> {
        Self::restore_with(
            dir,
            passphrase,
            kdf_log_n,
            backup,
            key,
            &RestoreOptions {
                expected: expected.copied(),
                newest_checkpoint: None,
            },
        )
    }

    /// Rebuilds a vault in `dir` from a backup ([`Vault::restore`]) and, for a patient,
    /// takes their record over: the root key the recovery `key` derives endorses a new
    /// log key and this device's own signing key in a `Takeover` entry, every earlier
    /// device (the lost one among them) is retired, and every section moves to a new
    /// epoch. Grantees and auditors who learn it refuse what the replaced key signs from
    /// then on, and a grantee that held a newer branch of the log follows this one. The
    /// restore never forks silently: given the newest checkpoint a grantee holds
    /// ([`RestoreOptions::newest_checkpoint`]), a newer branch is named in the takeover.
    /// All of it is checked and done before the vault takes the place asked for.
    pub fn restore_with(
        dir: &Path,
        passphrase: &Passphrase,
        kdf_log_n: u8,
        backup: &Path,
        key: &RecoveryKey,
        options: &RestoreOptions,
    ) -> Result<(Vault, RestoreSummary)> {
        refuse_existing(dir)?;
        let sealed = open_backup(backup, key)?;
        Self::restore_sealed(dir, passphrase, kdf_log_n, sealed, key, options)
    }

    /// [`Vault::restore_with`] from a stream (the backup as the app's storage hands it
    /// back): read as it comes, never held whole; the same checks, and a vault is made only
    /// if the whole backup verifies.
    pub fn restore_from(
        dir: &Path,
        passphrase: &Passphrase,
        kdf_log_n: u8,
        backup: &mut dyn Read,
        key: &RecoveryKey,
        options: &RestoreOptions,
    ) -> Result<(Vault, RestoreSummary)> {
        refuse_existing(dir)?;
        let sealed = open_backup_from(BufReader::new(backup), Path::new("-"), key)?;
        Self::restore_sealed(dir, passphrase, kdf_log_n, sealed, key, options)
    }

    fn restore_sealed(
        dir: &Path,
        passphrase: &Passphrase,
        kdf_log_n: u8,
        mut sealed: impl Read,
        key: &RecoveryKey,
        options: &RestoreOptions,
    ) -> Result<(Vault, RestoreSummary)> {
        let device = DeviceId::random()?;
        let endpoint = Zeroizing::new(carnet_crypto::random_array::<32>()?);
        let endpoint_public = endpoint_public_key(&endpoint);
        let mut takeover = None;
        let mut finish = |v: &mut Vault| -> Result<()> {
            if v.own_record().is_ok() && v.card().role() == carnet_crypto::Role::Patient {
                let forked = match &options.newest_checkpoint {
                    Some(text) => v.newer_branch(text)?,
                    None => None,
                };
                takeover = Some(v.take_over(key, endpoint_public, forked)?);
            } else {
                v.register_device(device, endpoint_public, None)?;
            }
            Ok(())
        };
        let (vault, mut summary) = Self::rebuild(
            dir,
            passphrase,
            kdf_log_n,
            &mut || read_frame_bytes(&mut sealed, MAX_BACKUP_FRAME),
            device,
            &endpoint,
            true,
            options.expected.as_ref(),
            None,
            Some(&mut finish),
        )
        .map_err(|e| match e {
            Error::Exchange(e) if !matches!(e, ExchangeError::RestoredInvalid(_)) => {
                ExchangeError::BackupDamaged(Box::new(e)).into()
            }
            other => other,
        })?;
        summary.takeover = takeover;
        Ok((vault, summary))
    }

    /// Makes a vault in `dir` as a new device of the person whose dump `frames` brings (a
    /// link from one of their devices), with this device's id and network key. The device
    /// that sent the dump stays the one that keeps the consent log.
    ///
    /// `device_key` is this device's own signing key: the dump carries the certificate
    /// the other device gave it, and not the person's own key.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn link_from(
        dir: &Path,
        passphrase: &Passphrase,
        kdf_log_n: u8,
        frames: &mut dyn FnMut() -> Result<Option<Vec<u8>>>,
        device: DeviceId,
        endpoint: &[u8; 32],
        device_key: &carnet_crypto::DeviceSecret,
    ) -> Result<(Vault, RestoreSummary)> {
        refuse_existing(dir)?;
        Self::rebuild(
            dir,
            passphrase,
            kdf_log_n,
            frames,
            device,
            endpoint,
            false,
            None,
            Some(device_key),
            None,
        )
    }

    /// Whose a backup says it is (name, id, time, format), read from its header with the
    /// recovery `key`, without restoring anything: to show it, or refuse a backup of
    /// someone else, before asking for a new passphrase. Cheap: one frame is read.
    pub fn backup_info(backup: &Path, key: &RecoveryKey) -> Result<BackupInfo> {
        let mut sealed = open_backup(backup, key)?;
        let header = match read_frame_bytes(&mut sealed, MAX_BACKUP_FRAME)
            .and_then(|b| b.map(|b| decode_frame::<Frame>(&b)).transpose())
            .map_err(damaged)?
        {
            Some(Frame::Header(h)) => h,
            _ => {
                return Err(damaged(
                    ExchangeError::NoHeader { what: "the backup" }.into(),
                ));
            }
        };
        let card = check_header(&header)?;
        Ok(BackupInfo {
            name: card.name().to_string(),
            id: header.person,
            backup_time: header.created,
            from_device: header.device,
            signed: header.version == BACKUP_VERSION,
        })
    }

    /// Rebuilds a vault from dump frames in a hidden sibling of `dir`, checks all of it
    /// (with its signature, and that it is `expected`'s when given), and only then moves it
    /// to `dir`.
    #[allow(clippy::too_many_arguments)]
    fn rebuild(
        dir: &Path,
        passphrase: &Passphrase,
        kdf_log_n: u8,
        frames: &mut dyn FnMut() -> Result<Option<Vec<u8>>>,
        device: DeviceId,
        endpoint: &[u8; 32],
        take_over: bool,
        expected: Option<&PersonId>,
        device_key: Option<&carnet_crypto::DeviceSecret>,
        finish: Option<&mut Finish<'_>>,
    ) -> Result<(Vault, RestoreSummary)> {
        let tmp = sibling(dir, "restore");
        let mut hasher = blake3::Hasher::new();
        let mut next = |hasher: &mut blake3::Hasher| -> Result<Option<Frame>> {
            let Some(bytes) = frames()? else {
                return Ok(None);
            };
            let frame: Frame = decode_frame(&bytes)?;
            if !matches!(frame, Frame::End { .. } | Frame::SignedEnd { .. }) {
                hasher.update(&bytes);
            }
            let mut bytes = bytes;
            bytes.zeroize();
            Ok(Some(frame))
        };
        let header = match next(&mut hasher)? {
            Some(Frame::Header(h)) => h,
            _ => {
                return Err(ExchangeError::NoHeader { what: "the backup" }.into());
            }
        };
        let card = check_header(&header)?;
        let signed = header.version == BACKUP_VERSION;
        if let Some(expected) = expected
            && *expected != header.person
        {
            return Err(not_expected(&card, expected));
        }
        let mut rows = 0u64;
        let mut error: Option<Error> = None;
        let created = Store::create(&tmp, passphrase, kdf_log_n, |txn| {
            let result = (|| -> Result<()> {
                loop {
                    let frame = next(&mut hasher)?.ok_or_else(|| {
                        Error::from(ExchangeError::Truncated { what: "the backup" })
                    })?;
                    match frame {
                        Frame::Row { table, key, value } => {
                            let row = DumpRow {
                                table,
                                key,
                                value: Zeroizing::new(value),
                            };
                            // What belongs to the lost device stays behind: this is a new one.
                            let skip = match row.table {
                                DumpTable::Meta => {
                                    row.key == b"format"
                                        || row.key == b"device"
                                        || (take_over && row.key == b"primary")
                                        || (device_key.is_none()
                                            && row.key == crate::keys::DEVICE_CERT.as_bytes())
                                }
                                DumpTable::SecretMeta => [
                                    "key_check",
                                    "endpoint",
                                    crate::keys::DEVICE_KEY,
                                    crate::keys::LOG_KEY,
                                ]
                                .iter()
                                .any(|n| row.key == n.as_bytes()),
                                _ => false,
                            };
                            if !skip {
                                txn.restore_row(&row)?;
                            }
                            rows += 1;
                        }
                        Frame::End { rows: n, hash } if !signed => {
                            check_end(&hasher, rows, n, hash)?;
                            break;
                        }
                        Frame::SignedEnd {
                            rows: n,
                            hash,
                            signature,
                        } if signed => {
                            check_end(&hasher, rows, n, hash)?;
                            let signature: [u8; 64] =
                                signature.as_slice().try_into().map_err(|_| {
                                    Error::from(ExchangeError::MalformedSignature {
                                        what: "the backup",
                                    })
                                })?;
                            verify_signature(
                                &header.person,
                                BACKUP_DOMAIN,
                                &signed_message(&hash, n),
                                &signature,
                            )
                            .map_err(|_| {
                                Error::from(ExchangeError::BadBackupSignature {
                                    name: card.name().to_string(),
                                    person: header.person,
                                })
                            })?;
                            break;
                        }
                        Frame::End { .. } | Frame::SignedEnd { .. } => {
                            return Err(ExchangeError::Altered {
                                what: "the backup",
                                part: "end (a signature is missing or out of place)",
                            }
                            .into());
                        }
                        Frame::Header(_) => {
                            return Err(ExchangeError::SecondHeader { what: "the backup" }.into());
                        }
                    }
                }
                txn.put_meta("device", &device.0)?;
                if let Some(key) = device_key {
                    txn.put_secret_meta(crate::keys::DEVICE_KEY, key.to_seed().as_slice())?;
                }
                if take_over {
                    txn.put_meta("primary", &device.0)?;
                }
                txn.put_secret_meta("endpoint", endpoint.as_slice())?;
                txn.put_actor(
                    &crate::actor_for(&header.person, &device),
                    &header.person,
                    &device,
                )?;
                Ok(())
            })();
            result.map_err(|e| {
                error = Some(e);
                carnet_store::StoreError::Database("the restore stopped".into())
            })
        });
        let cleanup = |e: Error| {
            let _ = fs::remove_dir_all(&tmp);
            e
        };
        let store = match created {
            Ok(s) => s,
            Err(e) => return Err(cleanup(error.take().unwrap_or(e.into()))),
        };
        drop(store);
        // Open what was rebuilt and check all of it before it takes the place asked for.
        let checked = (|| -> Result<usize> {
            let mut v = Vault::open(&tmp, passphrase)?;
            if v.person_id() != header.person {
                return Err(ExchangeError::Altered {
                    what: "the backup",
                    part: "keys (they are not its owner's)",
                }
                .into());
            }
            let mut entries = 0;
            let mut records = v.store.read()?.records()?;
            if let Ok(mine) = v.own_record() {
                v.consent_log(&mine)?;
                if !records.contains(&mine) {
                    records.push(mine);
                }
            }
            for record in &records {
                for s in SectionId::ALL {
                    if v.store.read()?.latest_epoch(record, s.code())?.is_some() {
                        entries += v.list(record, Some(s))?.len();
                    }
                }
            }
            // What makes this device the person's (a takeover, or its registration), in
            // place before the vault takes the place asked for.
            if let Some(finish) = finish {
                finish(&mut v)?;
            }
            Ok(entries)
        })();
        let entries = match checked {
            Ok(n) => n,
            Err(e) => {
                return Err(cleanup(ExchangeError::RestoredInvalid(Box::new(e)).into()));
            }
        };
        if let Some(parent) = dir.parent()
            && !parent.as_os_str().is_empty()
        {
            fs::create_dir_all(parent).map_err(|e| cleanup(io_err("cannot create", parent, e)))?;
        }
        fs::rename(&tmp, dir).map_err(|e| cleanup(io_err("cannot create", dir, e)))?;
        let vault = Vault::open(dir, passphrase)?;
        let summary = RestoreSummary {
            name: card.name().to_string(),
            id: card.person_id(),
            backup_time: header.created,
            from_device: header.device,
            device,
            rows,
            entries,
            signed,
            takeover: None,
        };
        Ok((vault, summary))
    }
}

/// Opens a backup file with the recovery key: its magic, then the age sealing.
fn open_backup(
    backup: &Path,
    key: &RecoveryKey,
) -> Result<carnet_crypto::SealedReader<BufReader<fs::File>>> {
    let file = fs::File::open(backup).map_err(|e| io_err("cannot open", backup, e))?;
    open_backup_from(BufReader::new(file), backup, key)
}

/// Opens a backup read from `r` (named `backup` in errors) with the recovery key.
fn open_backup_from<R: Read>(
    mut r: R,
    backup: &Path,
    key: &RecoveryKey,
) -> Result<carnet_crypto::SealedReader<R>> {
    expect_magic(&mut r, BACKUP_MAGIC, backup, "backup")?;
    key.open(r).map_err(|e| match e {
        carnet_crypto::CryptoError::NotForYou => RecoveryError::PhraseDoesNotOpen.into(),
        other => ExchangeError::Unreadable {
            what: "the backup",
            source: other,
        }
        .into(),
    })
}

fn damaged(e: Error) -> Error {
    match e {
        Error::Exchange(e) => ExchangeError::BackupDamaged(Box::new(e)).into(),
        other => other,
    }
}

/// A header this build reads, whose card is the person it names; returns the card.
fn check_header(header: &Header) -> Result<IdentityCard> {
    if header.version != BACKUP_VERSION && header.version != BACKUP_VERSION_UNSIGNED {
        return Err(ExchangeError::UnsupportedVersion {
            what: "the backup",
            version: header.version,
        }
        .into());
    }
    let card = IdentityCard::from_text(&header.card)?;
    if card.person_id() != header.person {
        return Err(ExchangeError::Altered {
            what: "the backup",
            part: "header",
        }
        .into());
    }
    Ok(card)
}

/// The refusal of a backup of someone other than the person expected.
fn not_expected(card: &IdentityCard, expected: &PersonId) -> Error {
    RecoveryError::BackupOfAnother {
        name: card.name().to_string(),
        person: card.person_id(),
        expected: *expected,
    }
    .into()
}

/// The end of a dump matches what was read (row count and hash of every frame before it).
fn check_end(hasher: &blake3::Hasher, rows: u64, n: u64, hash: [u8; 32]) -> Result<()> {
    if n != rows || hash != *hasher.finalize().as_bytes() {
        return Err(ExchangeError::Altered {
            what: "the backup",
            part: "own check (rows or hash)",
        }
        .into());
    }
    Ok(())
}

/// Refuses to restore or link into `dir` when a vault is already there: nothing is
/// overwritten.
fn refuse_existing(dir: &Path) -> Result<()> {
    if crate::store_exists(dir) {
        return Err(Error::Store(carnet_store::StoreError::AlreadyExists(
            dir.to_path_buf(),
        )));
    }
    Ok(())
}

impl Vault {
    /// Checks that `key` (from a phrase typed back, or shares) is this vault's recovery
    /// key.
    pub fn check_recovery_key(&self, key: &RecoveryKey) -> Result<()> {
        if key.recipient()? != self.recovery_recipient()? {
            return Err(RecoveryError::NotThisVaultsPhrase.into());
        }
        Ok(())
    }

    /// Splits this vault's recovery key among `holders` (contact names): any `threshold` of
    /// the shares rebuild it, fewer reveal nothing. Each share is sealed to its holder and
    /// signed by this vault's owner. Returns (holder name, sealed share bytes).
    pub fn split_recovery(
        &self,
        key: &RecoveryKey,
        threshold: u8,
        holders: &[String],
    ) -> Result<Vec<(String, Vec<u8>)>> {
        self.check_recovery_key(key)?;
        let mut cards = Vec::new();
        for h in holders {
            let c = self.contact(h)?;
            if cards
                .iter()
                .any(|(_, x): &(String, IdentityCard)| x.person_id() == c.id)
            {
                return Err(RecoveryError::HolderTwice { name: c.name }.into());
            }
            cards.push((c.name.clone(), IdentityCard::from_text(&c.card)?));
        }
        let total = u8::try_from(cards.len()).map_err(|_| {
            Error::from(RecoveryError::TooManyHolders {
                max: u8::MAX as usize,
            })
        })?;
        if threshold < 2 || threshold > total {
            return Err(RecoveryError::BadThreshold { total }.into());
        }
        let shares = key.split(threshold, total)?;
        let recipient = key.recipient()?;
        let mut out = Vec::new();
        for ((name, card), share) in cards.iter().zip(&shares) {
            let sealed = carnet_crypto::SealedShare::seal(
                carnet_crypto::ShareHeader {
                    person: self.person_id(),
                    card: self.card().to_text(),
                    holder: card.person_id(),
                    threshold,
                    total,
                    recipient: recipient.clone(),
                    issued: now_unix(),
                },
                share,
                card,
                self.me().secret()?,
            )?;
            out.push((name.clone(), sealed.as_bytes().to_vec()));
        }
        Ok(out)
    }

    /// Opens a recovery share this vault's owner holds for someone, to hand back to them.
    /// Returns the share and whose it is (their name, from the card it carries).
    pub fn release_share(&self, bytes: &[u8]) -> Result<(carnet_crypto::ReleasedShare, String)> {
        let sealed = carnet_crypto::SealedShare::from_bytes(bytes)?;
        let share = sealed.release(self.me().secret()?)?;
        let name = IdentityCard::from_text(&sealed.header().card)?
            .name()
            .to_string();
        Ok((share, name))
    }
}

/// Decodes the frames of a backup's plaintext (what is inside its sealing) without a
/// vault: the parser every restore runs first, exposed for fuzzing and diagnostics.
/// Returns the number of rows; bounded, never panics.
pub fn parse_plaintext(mut reader: impl Read) -> Result<u64> {
    let mut rows = 0u64;
    let mut first = true;
    while let Some(bytes) = read_frame_bytes(&mut reader, MAX_BACKUP_FRAME)? {
        match decode_frame::<Frame>(&bytes)? {
            Frame::Header(_) if first => {}
            Frame::Header(_) => {
                return Err(ExchangeError::SecondHeader { what: "the backup" }.into());
            }
            _ if first => return Err(ExchangeError::NoHeader { what: "the backup" }.into()),
            Frame::Row { .. } => rows += 1,
            Frame::End { rows: n, .. } | Frame::SignedEnd { rows: n, .. } => {
                if n != rows {
                    return Err(ExchangeError::CountMismatch {
                        what: "the backup",
                        said: n,
                        read: rows,
                    }
                    .into());
                }
                return Ok(rows);
            }
        }
        first = false;
    }
    Err(ExchangeError::Truncated { what: "the backup" }.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CreateOptions;
    use carnet_crypto::secrecy::SecretString;
    use carnet_crypto::{MasterKey, PersonSecret, RecoveryPhrase, Role};

    fn pass() -> SecretString {
        SecretString::from("unit test".to_string())
    }

    /// A patient vault and its recovery phrase.
    fn vault(dir: &Path, name: &str) -> (Vault, RecoveryPhrase) {
        let opts = CreateOptions {
            name: name.into(),
            role: Role::Patient,
            kdf_log_n: MasterKey::MIN_LOG_N,
        };
        let created = Vault::create(dir, &pass(), &opts).unwrap();
        (created.vault, created.recovery_phrase)
    }

    /// The frames of a dump of `v`, decoded.
    fn dump(v: &Vault) -> Vec<Frame> {
        let mut bytes = Vec::new();
        v.write_dump(&mut |f| {
            bytes.extend_from_slice(f);
            Ok(())
        })
        .unwrap();
        let mut r = bytes.as_slice();
        let mut out = Vec::new();
        while let Some(f) = read_frame_bytes(&mut r, MAX_BACKUP_FRAME).unwrap() {
            out.push(decode_frame(&f).unwrap());
        }
        out
    }

    /// Writes `frames` as a backup file sealed to `recipient`.
    fn write_backup(path: &Path, recipient: &str, frames: &[Frame]) {
        let mut file = fs::File::create(path).unwrap();
        file.write_all(BACKUP_MAGIC).unwrap();
        let mut w = seal_to_recipient(recipient, file).unwrap();
        for f in frames {
            write_big_frame(&mut w, f, &mut blake3::Hasher::new()).unwrap();
        }
        w.finish().unwrap();
    }

    #[test]
    fn a_backups_progress_counts_every_row_out_of_the_total_it_announced() {
        let tmp = tempfile::tempdir().unwrap();
        let (alice, _) = vault(&tmp.path().join("alice"), "Alice");
        let mut seen: Vec<(u64, u64)> = Vec::new();
        let s = alice
            .backup_with_progress(&tmp.path().join("a.backup"), &mut |done, total| {
                seen.push((done, total))
            })
            .unwrap();
        assert!(s.rows > 5, "{}", s.rows);
        // One call per row, in order, each out of the same total, which is the rows written.
        assert_eq!(seen.len() as u64, s.rows);
        assert!(
            seen.iter()
                .enumerate()
                .all(|(i, (d, t))| *d == i as u64 + 1 && *t == s.rows)
        );
    }

    #[test]
    fn a_backup_is_signed_and_a_signature_by_anyone_else_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (alice, phrase) = vault(&tmp.path().join("alice"), "Alice");
        let key = phrase.key().unwrap();
        let file = tmp.path().join("alice.backup");
        alice.backup(&file).unwrap();
        let info = Vault::backup_info(&file, &key).unwrap();
        assert!(info.signed);
        assert_eq!(info.id, alice.person_id());

        // Every frame Alice's, but signed by Mallory: refused, nothing written.
        let mut frames = dump(&alice);
        let Some(Frame::SignedEnd {
            rows,
            hash,
            signature,
        }) = frames.last_mut()
        else {
            panic!("a dump ends with its signature");
        };
        let mallory = PersonSecret::generate().unwrap();
        *signature = mallory
            .sign(BACKUP_DOMAIN, &signed_message(hash, *rows))
            .to_vec();
        let forged = tmp.path().join("forged.backup");
        write_backup(&forged, &key.recipient().unwrap(), &frames);
        let target = tmp.path().join("target");
        let err = Vault::restore(&target, &pass(), MasterKey::MIN_LOG_N, &forged, &key)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("signature does not verify"),
            "{err}"
        );
        assert!(!target.exists());

        // A backup of someone else than expected: refused by the library too.
        let err = Vault::restore_expecting(
            &target,
            &pass(),
            MasterKey::MIN_LOG_N,
            &file,
            &key,
            Some(&mallory.person_id()),
        )
        .err()
        .unwrap();
        assert!(
            err.to_string().contains("not of the person expected"),
            "{err}"
        );
        assert!(!target.exists());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 3);

        let (restored, summary) = Vault::restore_expecting(
            &target,
            &pass(),
            MasterKey::MIN_LOG_N,
            &file,
            &key,
            Some(&alice.person_id()),
        )
        .unwrap();
        assert!(summary.signed);
        assert_eq!(restored.person_id(), alice.person_id());
    }

    #[test]
    fn a_dump_of_the_old_format_restores_unsigned_and_parses() {
        let tmp = tempfile::tempdir().unwrap();
        let (alice, phrase) = vault(&tmp.path().join("alice"), "Alice");
        let key = phrase.key().unwrap();
        // The same dump as version 1 wrote it: that header version, and an unsigned end.
        let mut frames = dump(&alice);
        let Some(Frame::Header(h)) = frames.first_mut() else {
            panic!("a dump starts with its header");
        };
        h.version = BACKUP_VERSION_UNSIGNED;
        frames.pop();
        let mut hasher = blake3::Hasher::new();
        for f in &frames {
            write_big_frame(&mut std::io::sink(), f, &mut hasher).unwrap();
        }
        let rows = frames.len() as u64 - 1;
        frames.push(Frame::End {
            rows,
            hash: *hasher.finalize().as_bytes(),
        });
        let file = tmp.path().join("old.backup");
        write_backup(&file, &key.recipient().unwrap(), &frames);
        assert!(!Vault::backup_info(&file, &key).unwrap().signed);
        let (_, summary) = Vault::restore(
            &tmp.path().join("target"),
            &pass(),
            MasterKey::MIN_LOG_N,
            &file,
            &key,
        )
        .unwrap();
        assert!(!summary.signed);
        assert_eq!(summary.rows, rows);

        let mut plain = Vec::new();
        for f in &frames {
            write_big_frame(&mut plain, f, &mut blake3::Hasher::new()).unwrap();
        }
        assert_eq!(parse_plaintext(plain.as_slice()).unwrap(), rows);
        let mut signed = Vec::new();
        for f in dump(&alice) {
            write_big_frame(&mut signed, &f, &mut blake3::Hasher::new()).unwrap();
        }
        assert_eq!(parse_plaintext(signed.as_slice()).unwrap(), rows);
    }
}
