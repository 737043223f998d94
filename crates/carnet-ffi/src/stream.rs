//! Streams through the bindings: the app hands the core its own reader or writer (an
//! Android `InputStream` from a content URI, an iOS `FileHandle`, a Python file), and the
//! core moves attachments, bundles and backups through it a piece at a time: a 200 MB
//! scan never crosses the boundary, nor sits in memory, whole.
//!
//! A stream that fails (the foreign method throws) fails the call with
//! [`CarnetError::Io`], and the call changes nothing: an attachment half read is not
//! stored, a bundle half read is not imported, a restore half read leaves no vault.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use carnet::crypto::RecoveryPhrase;
use carnet::{AttachmentInput, RestoreOptions, Vault};
use zeroize::Zeroizing;

use crate::{
    AttachmentInfo, CarnetError, CarnetVault, EntryRef, ExportSummary, ImportSummary, Result,
    kdf_cost, passphrase, record_of,
};

/// Bytes the core reads from the app: a file, a content URI, a download.
#[uniffi::export(with_foreign)]
pub trait ByteSource: Send + Sync {
    /// The next bytes, at most `max` of them; empty only at the end.
    fn read(&self, max: u32) -> Result<Vec<u8>>;
}

/// Where the core writes bytes for the app: a file, a share sheet, an upload.
#[uniffi::export(with_foreign)]
pub trait ByteSink: Send + Sync {
    /// Takes all of `bytes` (or fails).
    fn write(&self, bytes: Vec<u8>) -> Result<()>;
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CarnetError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CarnetError::Io {
            message: format!("the app's stream failed: {}", e.reason),
        }
    }
}

/// How much is asked of a source at a time: the core's own chunk size.
const PIECE: usize = 64 * 1024;

/// A [`ByteSource`] as a `Read`; what it hands over that is plaintext (an attachment) is
/// zeroized once copied.
struct SourceReader {
    source: Arc<dyn ByteSource>,
    /// Bytes the source gave beyond what the last `read` could take.
    held: Zeroizing<Vec<u8>>,
    at: usize,
}

impl SourceReader {
    fn new(source: Arc<dyn ByteSource>) -> Self {
        SourceReader {
            source,
            held: Zeroizing::new(Vec::new()),
            at: 0,
        }
    }
}

impl Read for SourceReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.at == self.held.len() {
            let max = buf.len().min(PIECE);
            let got = Zeroizing::new(
                self.source
                    .read(max as u32)
                    .map_err(|e| std::io::Error::other(e.to_string()))?,
            );
            if got.len() > max {
                return Err(std::io::Error::other(format!(
                    "the app's source gave {} bytes when at most {max} were asked for",
                    got.len()
                )));
            }
            self.held = got;
            self.at = 0;
        }
        let n = (self.held.len() - self.at).min(buf.len());
        buf[..n].copy_from_slice(&self.held[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A [`ByteSink`] as a `Write`.
struct SinkWriter(Arc<dyn ByteSink>);

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(PIECE);
        self.0
            .write(buf[..n].to_vec())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a backup wrote.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BackupSummary {
    /// Rows written.
    pub rows: u64,
    /// Changes among them.
    pub envelopes: u64,
    /// Attachments among them.
    pub attachments: u64,
    /// Consent entries among them.
    pub consent_entries: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// What a restore rebuilt.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RestoreSummary {
    /// The person's name.
    pub name: String,
    /// The person's id.
    pub id: String,
    /// When the backup was made (Unix seconds).
    pub backup_time: u64,
    /// Rows restored.
    pub rows: u64,
    /// Entries readable after the restore.
    pub entries: u64,
}

/// A vault restored from a backup, open, with what the restore rebuilt.
#[derive(Debug, uniffi::Object)]
pub struct RestoredVault {
    vault: Arc<CarnetVault>,
    summary: RestoreSummary,
}

#[uniffi::export]
impl RestoredVault {
    /// The restored vault, open.
    pub fn vault(&self) -> Arc<CarnetVault> {
        self.vault.clone()
    }

    /// What the restore rebuilt.
    pub fn summary(&self) -> RestoreSummary {
        self.summary.clone()
    }
}

/// Restores a backup read from `source` into `dir` (which must not hold a vault) with the
/// 24-word recovery phrase, under a new `passphrase` (scrypt cost 2^`kdf_log_n`, default
/// 18). The backup's signature, every change and the consent log are checked before the
/// vault takes its place: a damaged, cut or foreign backup leaves nothing behind.
#[uniffi::export]
pub fn restore_vault(
    dir: String,
    passphrase: String,
    source: Arc<dyn ByteSource>,
    recovery_phrase: String,
    kdf_log_n: Option<u8>,
) -> Result<Arc<RestoredVault>> {
    let phrase = Zeroizing::new(recovery_phrase);
    let key = RecoveryPhrase::parse(&phrase)
        .and_then(|p| p.key())
        .map_err(|e| CarnetError::invalid("recovery phrase", e))?;
    let dir = PathBuf::from(dir);
    let (vault, s) = Vault::restore_from(
        &dir,
        &self::passphrase(passphrase),
        kdf_cost(kdf_log_n)?,
        &mut SourceReader::new(source),
        &key,
        &RestoreOptions::default(),
    )?;
    Ok(Arc::new(RestoredVault {
        vault: Arc::new(CarnetVault { vault, dir }),
        summary: RestoreSummary {
            name: s.name,
            id: s.id.to_string(),
            backup_time: s.backup_time,
            rows: s.rows,
            entries: s.entries as u64,
        },
    }))
}

#[uniffi::export]
impl CarnetVault {
    /// Attaches a document read from `source` (at most 256 MiB), sealed a piece at a time:
    /// the whole file is never in memory. A source that fails stores nothing.
    pub fn attach_from(
        &self,
        record: Option<String>,
        source: Arc<dyn ByteSource>,
        info: AttachmentInfo,
    ) -> Result<EntryRef> {
        let input = AttachmentInput::try_from(info)?;
        let record = record_of(&self.vault, record)?;
        Ok(self
            .vault
            .attach_from(&record, &mut SourceReader::new(source), input)?
            .into())
    }

    /// Writes an attached document's bytes to `sink`, checked a piece at a time (a piece
    /// that does not verify stops the stream with an error). Returns the bytes written.
    pub fn attachment_to(
        &self,
        record: Option<String>,
        id: String,
        sink: Arc<dyn ByteSink>,
    ) -> Result<u64> {
        let record = record_of(&self.vault, record)?;
        let id = self.vault.resolve_entry(&record, &id)?;
        let (_, n) = self
            .vault
            .attachment_to(&record, &id, &mut SinkWriter(sink))?;
        Ok(n)
    }

    /// Writes a bundle for `contact` to `sink` (a share sheet, an upload): logged as
    /// written only once the sink took all of it.
    pub fn export_bundle_to(
        &self,
        contact: String,
        sink: Arc<dyn ByteSink>,
        full: bool,
    ) -> Result<ExportSummary> {
        let peer = self.vault.find_peer(&contact)?;
        Ok(self
            .vault
            .export_bundle_to(&peer, full, &mut SinkWriter(sink))?
            .into())
    }

    /// Imports a bundle read from `source`: all of it or nothing.
    pub fn import_bundle_from(&self, source: Arc<dyn ByteSource>) -> Result<ImportSummary> {
        Ok(self
            .vault
            .import_bundle_from(&mut SourceReader::new(source))?
            .into())
    }

    /// Writes a backup of the whole vault to `sink`, sealed to the recovery phrase's key
    /// (the phrase, not the passphrase, restores it: [`restore_vault`]).
    pub fn backup_to(&self, sink: Arc<dyn ByteSink>) -> Result<BackupSummary> {
        let s = self.vault.backup_to(&mut SinkWriter(sink))?;
        Ok(BackupSummary {
            rows: s.rows,
            envelopes: s.envelopes,
            attachments: s.attachments,
            consent_entries: s.consent_entries,
            bytes: s.bytes,
        })
    }
}
