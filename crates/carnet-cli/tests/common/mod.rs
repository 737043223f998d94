//! Runs the real `carnet` binary against real vaults in temporary directories.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};

/// Finding plaintext however it is wrapped (base64, zstd, raw deflate).
#[path = "../../../../tests/reveal.rs"]
pub mod reveal;

pub const PASS: &str = "test passphrase";

pub struct Carnet {
    _tmp: tempfile::TempDir,
    pub vault: PathBuf,
    pub work: PathBuf,
}

impl Carnet {
    /// A fresh directory with no vault yet.
    pub fn empty() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        let work = tmp.path().join("work");
        std::fs::create_dir(&work).unwrap();
        Carnet {
            _tmp: tmp,
            vault,
            work,
        }
    }

    /// A patient vault, created with the lowest passphrase cost to keep tests quick.
    pub fn patient() -> Self {
        let c = Self::empty();
        c.ok(&["init", "--name", "Alice Test", "--kdf-cost", "10"]);
        c
    }

    /// A clinician vault, created with the lowest passphrase cost.
    pub fn clinician(name: &str) -> Self {
        let c = Self::empty();
        c.ok(&[
            "init",
            "--name",
            name,
            "--role",
            "clinician",
            "--kdf-cost",
            "10",
        ]);
        c
    }

    /// This vault's identity card, text form.
    pub fn card(&self) -> String {
        self.json(&["whoami"])["card"].as_str().unwrap().to_string()
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_carnet"));
        // Vaults here use `--kdf-cost 10`, which carnet takes only in a test.
        cmd.env("CARNET_VAULT", &self.vault)
            .env("CARNET_PASSPHRASE", PASS)
            .env("CARNET_TEST_KDF", "1")
            .env("NO_COLOR", "1")
            // English unless a test asks otherwise, whatever the locale of who runs them.
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "C.UTF-8")
            // Times are shown on the local clock: the same one wherever the tests run.
            .env("TZ", "UTC")
            // Scripts skip typing back the recovery phrase (tests of it remove this).
            .env("CARNET_NO_CONFIRM_PHRASE", "1")
            .env_remove("CARNET_RECOVERY_PHRASE")
            .current_dir(&self.work);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "carnet {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs with --json and parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// Grants `who` (a contact's name) `access` to `sections` (comma-separated) for
    /// `purpose`; returns the grant as JSON.
    pub fn grant(
        &self,
        who: &str,
        sections: &str,
        access: &str,
        purpose: &str,
    ) -> serde_json::Value {
        self.json(&[
            "grant",
            who,
            "--sections",
            sections,
            "--access",
            access,
            "--purpose",
            purpose,
        ])
    }

    /// Runs and insists on failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "carnet {args:?} succeeded but should have failed"
        );
        assert_ne!(out.status.code(), Some(0));
        String::from_utf8(out.stderr).unwrap()
    }

    /// Every file under the vault and its bytes: a vault is unchanged when this is.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        collect(&self.vault, &mut out);
        out
    }
}

fn collect(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.insert(p.clone(), std::fs::read(&p).unwrap());
        }
    }
}

impl Carnet {
    /// The vault's logical state (every stored row), read through the library. Opening a
    /// redb file rewrites some of its bytes, so commands that fail after opening are
    /// checked with this instead of with raw bytes.
    pub fn state(&self) -> [u8; 32] {
        let pass = carnet::crypto::secrecy::SecretString::from(PASS.to_string());
        carnet::Vault::open(&self.vault, &pass)
            .unwrap()
            .state_digest()
            .unwrap()
    }
}

/// A `carnet --json ...` process left running (`serve`, `device link`): the first line it
/// printed, parsed, and every later line as it comes. Stopped (SIGTERM) when dropped, if
/// it still runs.
pub struct Running {
    pub child: Child,
    pub first: serde_json::Value,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Carnet {
    /// Starts `carnet --json ARGS` with `env`, and waits for its first line.
    pub fn start(&self, args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut child = self
            .command()
            .arg("--json")
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let first = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("carnet {args:?} printed {first:?} first: {e}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Running {
            child,
            first,
            lines,
        }
    }
}

impl Running {
    /// Waits for it to end by itself.
    pub fn wait(&mut self) -> ExitStatus {
        self.child.wait().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
        }
        let _ = self.child.wait();
    }
}

/// A small deterministic generator: a test's schedule, not cryptography.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}
