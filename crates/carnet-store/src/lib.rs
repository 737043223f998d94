//! Carnet's vault on disk: one directory, one redb file, one wrapped key.
//!
//! This crate owns the on-disk format: the redb tables, the device master key wrapped with
//! the passphrase (age + scrypt) in `key.age`, and the sealing at rest of every secret or
//! plaintext-bearing value (person keys, epoch keys, Automerge snapshots) with that master
//! key. Envelopes and attachment blobs are stored as they are: already encrypted, and
//! verifiable by anyone.
//!
//! It must never print, never decide who may write what (the `carnet` core does), and never
//! store a byte of health data or key material unsealed.
//!
//! Reach first for [`Store::create`] / [`Store::open`], then [`Store::write`] for one atomic
//! transaction and [`Store::read`] for a consistent snapshot.
//!
//! # Guarantees
//! - Atomic, durable commits (redb, `Durability::Immediate`): a crash at any instant leaves
//!   either the whole transaction or none of it, and the vault opens.
//! - Opening never writes before the passphrase is proven right; a wrong passphrase or a
//!   damaged file changes nothing.
//! - Files are created with mode 0600 in a 0700 directory.
//! - The file stays close to its content: values larger than a page are stored in rows that
//!   fill whole pages, and a handle whose writes grew the file by more than a megabyte
//!   compacts it when dropped.
//! - Several processes may use one vault at once (redb multi-writer mode); writes are
//!   serialized by redb's lock.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dump;
mod error;
mod tables;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use carnet_crypto::{MasterKey, Passphrase};
use redb::{Builder, ConcurrencyMode, Database, ReadableDatabase};

pub use dump::{DumpRow, DumpTable};
pub use error::StoreError;
/// redb's storage trait, for [`Store::open_with_backend`]: tests implement it without
/// depending on redb themselves.
#[doc(hidden)]
pub use redb::StorageBackend;
pub use tables::{BLOB_ROW, ChainHead, ConsentStamp, PartialBlob, ReadTxn, WriteTxn};

/// Version of the on-disk layout, kept in the `meta` table.
pub const FORMAT_VERSION: u32 = 1;
/// The redb file inside the vault directory.
pub const DB_FILE: &str = "carnet.redb";
/// The passphrase-wrapped master key inside the vault directory.
pub const KEY_FILE: &str = "key.age";

/// An unlocked vault store. Dropping it closes the database.
pub struct Store {
    db: Database,
    master: MasterKey,
    dir: PathBuf,
    /// The file's length when this handle opened it (see the `Drop` impl).
    opened_len: u64,
}

/// Growth of the file under one handle past which closing it gives back free pages.
const COMPACT_AFTER: u64 = 1 << 20;

impl Drop for Store {
    /// A large write (an import, a first sync) leaves the file with the pages its copy-on-write
    /// transactions freed, up to half of it: closing the handle after such growth compacts
    /// the file. Compaction is itself a crash-safe redb commit; it is skipped when another
    /// process is reading, and its failure changes nothing, so errors are ignored.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let len = fs::metadata(self.dir.join(DB_FILE)).map_or(0, |m| m.len());
        if len
            > self
                .opened_len
                .saturating_add(COMPACT_AFTER.max(self.opened_len / 4))
        {
            let _ = self.compact();
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> Result<fs::File, StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err("cannot create", path))
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> Result<fs::File, StoreError> {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err("cannot create", path))
}

#[cfg(unix)]
fn private_dir(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(io_err("cannot create directory", path))
}

#[cfg(not(unix))]
fn private_dir(path: &Path) -> Result<(), StoreError> {
    fs::create_dir_all(path).map_err(io_err("cannot create directory", path))
}

fn builder() -> Builder {
    let mut b = Database::builder();
    b.set_concurrency_mode(ConcurrencyMode::MultiWriter);
    // A file altered behind redb's back must fail to open, not be trusted (or panic).
    b.set_check_integrity_on_open(true);
    b
}

fn db_error(path: &Path, e: redb::DatabaseError) -> StoreError {
    match e {
        redb::DatabaseError::Storage(s) => StoreError::Corrupted {
            path: path.to_path_buf(),
            detail: s.to_string(),
        },
        redb::DatabaseError::UpgradeRequired(v) => StoreError::NotAVault {
            path: path.to_path_buf(),
            why: format!("its database format {v} is not supported by this build"),
        },
        other => StoreError::Database(other.to_string()),
    }
}

impl Store {
    /// Whether `dir` holds a vault (complete or not).
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).exists() || dir.join(KEY_FILE).exists()
    }

    /// Creates a vault in `dir` (created if missing, 0700) with a fresh master key wrapped
    /// with `passphrase` at scrypt cost 2^`log_n`. `init` fills the first transaction (the
    /// person's keys, the record's first epoch keys) so that a vault never exists without
    /// them: the key file is written last, and a vault without it does not open.
    pub fn create(
        dir: &Path,
        passphrase: &Passphrase,
        log_n: u8,
        init: impl FnOnce(&mut WriteTxn<'_>) -> Result<(), StoreError>,
    ) -> Result<Store, StoreError> {
        if Self::exists(dir) {
            return Err(StoreError::AlreadyExists(dir.to_path_buf()));
        }
        let master = MasterKey::generate()?;
        let wrapped = master.wrap(passphrase, log_n)?;
        private_dir(dir)?;
        let db_path = dir.join(DB_FILE);
        // Created empty with mode 0600 first; redb initialises an empty file in place.
        drop(private_file(&db_path)?);
        let db = builder()
            .create(&db_path)
            .map_err(|e| db_error(&db_path, e))?;
        let store = Store {
            db,
            master,
            dir: dir.to_path_buf(),
            opened_len: 0,
        };
        {
            let mut txn = store.write()?;
            txn.put_meta("format", &FORMAT_VERSION.to_be_bytes())?;
            txn.put_secret_meta("key_check", b"carnet vault key")?;
            init(&mut txn)?;
            txn.commit()?;
        }
        write_atomically(&dir.join(KEY_FILE), &wrapped)?;
        Ok(store)
    }

    /// Opens the vault in `dir`, unlocking it with `passphrase`. The key file is checked
    /// first, so a wrong passphrase never touches the database.
    pub fn open(dir: &Path, passphrase: &Passphrase) -> Result<Store, StoreError> {
        let db_path = dir.join(DB_FILE);
        let key_path = dir.join(KEY_FILE);
        match (db_path.exists(), key_path.exists()) {
            (false, false) => return Err(StoreError::NoVault(dir.to_path_buf())),
            (true, false) => {
                return Err(StoreError::NotAVault {
                    path: dir.to_path_buf(),
                    why: format!(
                        "{KEY_FILE} is missing (was the vault's creation interrupted?); remove the directory and run init again, or restore a backup"
                    ),
                });
            }
            (false, true) => {
                return Err(StoreError::NotAVault {
                    path: dir.to_path_buf(),
                    why: format!("{DB_FILE} is missing; restore it from a backup"),
                });
            }
            (true, true) => {}
        }
        Self::open_db(dir, passphrase, true, || builder().open(&db_path))
    }

    /// Opens a vault whose key file is in `dir` and whose database is `backend` instead of
    /// `dir`'s `carnet.redb`: for tests that put the database on storage they control (a
    /// backend that simulates power loss). The same checks as [`Store::open`] apply: the
    /// passphrase is proven on the key file before the database is opened, and the
    /// database must belong to that key. A handle opened this way never compacts on drop
    /// (the backend's length is not watched).
    #[doc(hidden)]
    pub fn open_with_backend(
        dir: &Path,
        passphrase: &Passphrase,
        backend: impl StorageBackend,
    ) -> Result<Store, StoreError> {
        if !dir.join(KEY_FILE).exists() {
            return Err(StoreError::NoVault(dir.to_path_buf()));
        }
        Self::open_db(dir, passphrase, false, || {
            builder().create_with_backend(backend)
        })
    }

    /// Unwraps the master key from `dir`'s key file, then opens the database with `open`
    /// (`on_file`: `dir`'s `carnet.redb`, else another backend) and checks that it belongs to that key and has this build's format.
    fn open_db(
        dir: &Path,
        passphrase: &Passphrase,
        on_file: bool,
        open: impl FnOnce() -> Result<Database, redb::DatabaseError>,
    ) -> Result<Store, StoreError> {
        let key_path = dir.join(KEY_FILE);
        let wrapped = fs::read(&key_path).map_err(io_err("cannot read", &key_path))?;
        let master = MasterKey::unwrap(&wrapped, passphrase).map_err(|e| match e {
            carnet_crypto::CryptoError::WrongPassphrase => {
                StoreError::WrongPassphrase(dir.to_path_buf())
            }
            other => StoreError::NotAVault {
                path: dir.to_path_buf(),
                why: other.to_string(),
            },
        })?;
        Self::open_unlocked(dir, master, on_file, open)
    }

    /// Opens the vault in `dir` with its master key itself, as [`Store::master_key`] gave
    /// it (an app keeps it in the platform keystore, so a daily unlock costs no scrypt).
    /// A key that is not this vault's is refused before anything is written.
    pub fn open_with_key(dir: &Path, key: MasterKey) -> Result<Store, StoreError> {
        let db_path = dir.join(DB_FILE);
        if !db_path.exists() {
            return Err(StoreError::NoVault(dir.to_path_buf()));
        }
        // Checked against the key's fingerprint before the database is opened, so a wrong
        // key changes no byte of the vault (as a wrong passphrase does not).
        let check_path = dir.join(KEY_CHECK_FILE);
        let stored =
            fs::read(&check_path).map_err(|_| StoreError::NoUnlockKey(dir.to_path_buf()))?;
        if stored.as_slice() != key_fingerprint(&key).as_slice() {
            return Err(StoreError::WrongPassphrase(dir.to_path_buf()));
        }
        Self::open_unlocked(dir, key, true, || builder().open(&db_path))
    }

    /// Opens the database with `open` under `master` and checks that it belongs to that
    /// key and has this build's format.
    fn open_unlocked(
        dir: &Path,
        master: MasterKey,
        on_file: bool,
        open: impl FnOnce() -> Result<Database, redb::DatabaseError>,
    ) -> Result<Store, StoreError> {
        let db_path = dir.join(DB_FILE);
        let db = open().map_err(|e| db_error(&db_path, e))?;
        let store = Store {
            db,
            master,
            dir: dir.to_path_buf(),
            // A database on another backend has no file here to watch: as if it were
            // already as large as can be, so `Drop` never compacts it on the strength of
            // whatever file happens to be at `db_path`.
            opened_len: if on_file {
                fs::metadata(&db_path).map_or(0, |m| m.len())
            } else {
                u64::MAX
            },
        };
        let check = store.read()?.get_secret_meta("key_check").ok().flatten();
        if check.as_deref().map(|c| c.as_slice()) != Some(b"carnet vault key".as_slice()) {
            return Err(StoreError::NotAVault {
                path: dir.to_path_buf(),
                why: "its key file does not belong to its database".into(),
            });
        }
        let format = store.read()?.get_meta("format")?;
        if format.as_deref() != Some(&FORMAT_VERSION.to_be_bytes()[..]) {
            return Err(StoreError::NotAVault {
                path: dir.to_path_buf(),
                why: "its format version is not supported by this build".into(),
            });
        }
        Ok(store)
    }

    /// The vault directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The vault's master key, to keep in a platform keystore and open with
    /// [`Store::open_with_key`]. Whoever holds it holds the vault: never store it in clear.
    /// The first call writes the key's fingerprint beside the vault (so a wrong key is
    /// refused before the database is touched).
    pub fn master_key(&self) -> Result<&MasterKey, StoreError> {
        let check_path = self.dir.join(KEY_CHECK_FILE);
        if !check_path.exists() {
            write_atomically(&check_path, &key_fingerprint(&self.master))?;
        }
        Ok(&self.master)
    }

    /// Protects the vault with a new passphrase (scrypt cost 2^`log_n`): the same master
    /// key wrapped again, the key file replaced atomically (written beside, synced, renamed
    /// over, directory synced). A crash at any point leaves the old key file or the new
    /// one, each of which opens the vault; the database is not touched.
    pub fn change_passphrase(&self, new: &Passphrase, log_n: u8) -> Result<(), StoreError> {
        let wrapped = self.master.wrap(new, log_n)?;
        write_atomically(&self.dir.join(KEY_FILE), &wrapped)
    }

    /// Starts the one write transaction of an operation. Nothing is visible or durable until
    /// [`WriteTxn::commit`]; dropping it rolls back.
    pub fn write(&self) -> Result<WriteTxn<'_>, StoreError> {
        let txn = self.db.begin_write()?;
        Ok(WriteTxn::new(txn, &self.master))
    }

    /// [`Store::write`], without waiting: `None` while another write transaction (of this
    /// handle, another handle or another process) is under way. For work that may be
    /// skipped, such as keeping a cache, so that it never waits for a writer (nor holds
    /// up a reader that would).
    pub fn try_write(&self) -> Result<Option<WriteTxn<'_>>, StoreError> {
        match self.db.try_begin_write() {
            Ok(txn) => Ok(Some(WriteTxn::new(txn, &self.master))),
            Err(redb::TransactionError::WouldBlock) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A consistent read-only view.
    pub fn read(&self) -> Result<ReadTxn<'_>, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(ReadTxn::new(txn, &self.master))
    }

    /// Gives the file's free pages back to the file system (redb compaction, crash-safe).
    /// Returns whether it did; `false` when another process holds a transaction open.
    pub fn compact(&mut self) -> Result<bool, StoreError> {
        match self.db.compact() {
            Ok(done) => Ok(done),
            Err(
                redb::CompactionError::TransactionInProgress
                | redb::CompactionError::EphemeralSavepointExists
                | redb::CompactionError::PersistentSavepointExists,
            ) => Ok(false),
            Err(e) => Err(StoreError::Database(format!(
                "cannot compact the vault: {e}"
            ))),
        }
    }
}

/// The file holding the master key's fingerprint, written when the key is first exported:
/// [`Store::open_with_key`] checks a key against it before opening the database.
const KEY_CHECK_FILE: &str = "key.check";

/// A one-way fingerprint of the master key (it reveals nothing of the key).
fn key_fingerprint(key: &MasterKey) -> [u8; 32] {
    blake3::derive_key("carnet unlock key fingerprint v1", key.expose())
}

/// Writes a file through a 0600 temporary and a rename, so a crash leaves the old file or
/// the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut f = private_file(&tmp)?;
    f.write_all(bytes).map_err(io_err("cannot write", &tmp))?;
    f.sync_all().map_err(io_err("cannot sync", &tmp))?;
    drop(f);
    fs::rename(&tmp, path).map_err(io_err("cannot replace", path))?;
    if let Some(parent) = path.parent()
        && let Ok(d) = fs::File::open(parent)
    {
        let _ = d.sync_all();
    }
    Ok(())
}
