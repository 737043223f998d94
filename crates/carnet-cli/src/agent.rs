//! A session: `carnet unlock` derives the vault's key once (scrypt, about a second) and
//! leaves it with a small agent process, so that every command until `carnet lock` or the
//! timeout opens the vault without a prompt and without scrypt, as ssh-agent or gpg-agent
//! do for their keys.
//!
//! What holds:
//! - The key is never written to disk: the agent receives it on a pipe from `unlock` and
//!   keeps it in memory (zeroized when it exits), in a process that cannot dump core and
//!   that other processes of the user cannot attach to (see `harden`).
//! - Only the same user reaches it: a Unix socket in a directory of the user's own, mode
//!   0700 (refused otherwise), and every connection's peer credentials are checked against
//!   the agent's user id.
//! - One agent per vault (the socket's name is derived from the vault's path); it exits
//!   after its timeout (default 15 minutes) or on `carnet lock`, and removes its socket.
//! - What any process of the user can do while a session is open, it can do: that is what
//!   a session is. A command given `--passphrase-file` uses the passphrase, not the agent.

#[cfg(unix)]
mod imp {
    use std::io::{Read, Write};
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use anyhow::{Context, Result, bail};
    use zeroize::Zeroizing;

    /// Where the agent of the vault in `vault` listens.
    pub fn socket_path(vault: &Path) -> Result<PathBuf> {
        let uid = rustix::process::getuid().as_raw();
        let base = match std::env::var_os("XDG_RUNTIME_DIR") {
            Some(d) if !d.is_empty() => PathBuf::from(d).join("carnet"),
            _ => std::env::temp_dir().join(format!("carnet-{uid}")),
        };
        if !base.exists() {
            std::fs::DirBuilder::new()
                .mode(0o700)
                .recursive(true)
                .create(&base)
                .with_context(|| {
                    crate::t!("agent-cannot-create", dir = base.display().to_string())
                })?;
        }
        let meta = std::fs::symlink_metadata(&base)
            .with_context(|| crate::t!("agent-cannot-read", dir = base.display().to_string()))?;
        if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
            bail!(
                "{}",
                crate::t!("agent-dir-not-private", dir = base.display().to_string())
            );
        }
        let canonical = std::fs::canonicalize(vault).unwrap_or_else(|_| vault.to_path_buf());
        let hash = blake3::hash(canonical.as_os_str().as_encoded_bytes());
        Ok(base.join(format!("agent-{}.sock", &hash.to_hex()[..16])))
    }

    /// The key of an open session for `vault`, if there is one.
    pub fn key(vault: &Path) -> Option<Zeroizing<[u8; 32]>> {
        let path = socket_path(vault).ok()?;
        let mut s = UnixStream::connect(&path).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(b"key\n").ok()?;
        let mut key = Zeroizing::new([0u8; 32]);
        s.read_exact(key.as_mut_slice()).ok()?;
        Some(key)
    }

    /// Asks the session of `vault` to end. Whether there was one.
    pub fn lock(vault: &Path) -> Result<bool> {
        let path = socket_path(vault)?;
        let Ok(mut s) = UnixStream::connect(&path) else {
            // A socket left by an agent that died: nothing holds the key.
            let _ = std::fs::remove_file(&path);
            return Ok(false);
        };
        s.set_read_timeout(Some(Duration::from_secs(2)))?;
        s.write_all(b"lock\n")?;
        let mut answer = [0u8; 3];
        s.read_exact(&mut answer)
            .with_context(|| crate::t!("agent-lock-unconfirmed"))?;
        Ok(&answer == b"ok\n")
    }

    /// Starts the agent of `vault` holding `key` for `timeout`: this same program, run
    /// as `carnet __agent`, given the key on its standard input. Returns once it listens.
    pub fn start(vault: &Path, key: &[u8; 32], timeout: Duration) -> Result<()> {
        use std::os::unix::process::CommandExt;
        use std::process::{Command, Stdio};
        let path = socket_path(vault)?;
        // One session per vault: a running one is replaced.
        let _ = lock(vault);
        let exe = std::env::current_exe().with_context(|| crate::t!("agent-no-program"))?;
        let mut child = Command::new(exe)
            .arg("__agent")
            .arg("--socket")
            .arg(&path)
            .arg("--timeout")
            .arg(timeout.as_secs().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C in the terminal does not end the session.
            .process_group(0)
            .spawn()
            .with_context(|| crate::t!("agent-did-not-start"))?;
        {
            let mut stdin = child
                .stdin
                .take()
                .with_context(|| crate::t!("agent-did-not-start"))?;
            stdin.write_all(key)?;
        }
        let mut ready = [0u8; 6];
        child
            .stdout
            .take()
            .with_context(|| crate::t!("agent-did-not-start"))?
            .read_exact(&mut ready)
            .with_context(|| crate::t!("agent-did-not-start"))?;
        if &ready != b"ready\n" {
            bail!("{}", crate::t!("agent-did-not-start"));
        }
        Ok(())
    }

    /// The agent itself: reads the key from standard input, listens on `socket` until
    /// `timeout` or a `lock`, and answers `key` to processes of the same user.
    pub fn run(socket: &Path, timeout: Duration) -> Result<()> {
        let mut key = Zeroizing::new([0u8; 32]);
        std::io::stdin()
            .read_exact(key.as_mut_slice())
            .with_context(|| crate::t!("agent-no-key"))?;
        let _ = std::fs::remove_file(socket);
        let listener = UnixListener::bind(socket).with_context(|| {
            crate::t!("agent-cannot-listen", socket = socket.display().to_string())
        })?;
        std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600)).with_context(
            || crate::t!("agent-cannot-listen", socket = socket.display().to_string()),
        )?;
        listener.set_nonblocking(true)?;
        println!("ready");
        std::io::stdout().flush()?;
        let me = rustix::process::getuid();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let mut stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                Err(_) => continue,
            };
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            match rustix::net::sockopt::socket_peercred(&stream) {
                Ok(cred) if cred.uid == me => {}
                _ => continue,
            }
            let mut request = [0u8; 5];
            let Ok(n) = stream.read(&mut request) else {
                continue;
            };
            match &request[..n] {
                b"key\n" => {
                    let _ = stream.write_all(key.as_slice());
                }
                b"lock\n" => {
                    let _ = stream.write_all(b"ok\n");
                    break;
                }
                _ => {}
            }
        }
        let _ = std::fs::remove_file(socket);
        Ok(())
    }
}

#[cfg(unix)]
pub use imp::{key, lock, run, start};

#[cfg(not(unix))]
mod imp {
    use std::path::Path;
    use std::time::Duration;

    use anyhow::{Result, bail};
    use zeroize::Zeroizing;

    pub fn key(_vault: &Path) -> Option<Zeroizing<[u8; 32]>> {
        None
    }
    pub fn lock(_vault: &Path) -> Result<bool> {
        Ok(false)
    }
    pub fn start(_vault: &Path, _key: &[u8; 32], _timeout: Duration) -> Result<()> {
        bail!("{}", crate::t!("agent-needs-unix"))
    }
    pub fn run(_socket: &Path, _timeout: Duration) -> Result<()> {
        bail!("{}", crate::t!("agent-needs-unix"))
    }
}

#[cfg(not(unix))]
pub use imp::{key, lock, run, start};
