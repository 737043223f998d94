//! Files the vault writes outside its store (bundles, backups, restored vaults): created
//! private, beside their final path, and renamed into place only once complete.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// An I/O error on `path`, saying what was being done.
pub(crate) fn io_err(what: &'static str, path: &Path, e: std::io::Error) -> Error {
    Error::io(what, path, e)
}

/// A hidden, random path beside `path` (same directory, so the final rename is atomic).
pub(crate) fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "carnet".into());
    let rand: [u8; 6] = carnet_crypto::random_array().unwrap_or([0; 6]);
    path.with_file_name(format!(
        ".{name}.{tag}-{}",
        data_encoding::HEXLOWER.encode(&rand)
    ))
}

/// Creates `path`, which must not exist, readable by its owner only (0600).
pub(crate) fn create_private(path: &Path) -> Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map_err(|e| io_err("cannot create", path, e))
}

/// Reads until `buf` is full or the input ends; returns how much it read (a magic header
/// read this way tells a short file from a wrong one).
pub(crate) fn read_up_to(r: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Reads `magic` from the start of `r`, the file at `path`, or says it is not a Carnet
/// `what` (a short file is not one either).
pub(crate) fn expect_magic(
    r: &mut impl std::io::Read,
    magic: &'static [u8],
    path: &Path,
    what: &'static str,
) -> Result<()> {
    let mut got = vec![0u8; magic.len()];
    let n = read_up_to(r, &mut got).map_err(|e| io_err("cannot read", path, e))?;
    if n < magic.len() || got != magic {
        return Err(Error::NotACarnetFile {
            path: path.to_path_buf(),
            what,
            magic,
        });
    }
    Ok(())
}

/// A reader or writer that counts the bytes through it (a stream's size, where a file
/// would say it).
pub(crate) struct Counting<T> {
    pub(crate) inner: T,
    pub(crate) bytes: u64,
}

impl<T: std::io::Read> std::io::Read for Counting<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<T: std::io::Write> std::io::Write for Counting<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
