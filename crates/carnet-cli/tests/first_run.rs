//! First run: `carnet init` at a terminal asks the passphrase naming the person and the
//! vault, explains a weak one and lets another be chosen, asks again when the two differ,
//! shows the recovery phrase, has three of its words typed back (a wrong one is asked
//! again), then clears the screen. Without a terminal it refuses unless
//! --no-confirm-phrase says to skip (--json, CLI.md's contract for scripts, implies it: the
//! phrase is in its output), and creates nothing.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Carnet;

#[test]
fn without_a_terminal_init_needs_no_confirm_phrase_and_creates_nothing() {
    let c = Carnet::empty();
    let out = c
        .command()
        .env_remove("CARNET_NO_CONFIRM_PHRASE")
        .args(["init", "--name", "Alice Test", "--kdf-cost", "10"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("--no-confirm-phrase"), "{err}");
    assert!(!c.vault.exists(), "init created the vault");
    // In French too.
    let out = c
        .command()
        .env_remove("CARNET_NO_CONFIRM_PHRASE")
        .args([
            "--lang",
            "fr",
            "init",
            "--name",
            "Alice Test",
            "--kdf-cost",
            "10",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Rien n'a été créé"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The flag (or CARNET_NO_CONFIRM_PHRASE=1) skips it explicitly.
    let out = c
        .command()
        .env_remove("CARNET_NO_CONFIRM_PHRASE")
        .args([
            "init",
            "--name",
            "Alice Test",
            "--kdf-cost",
            "10",
            "--no-confirm-phrase",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&c.vault).unwrap();
    // So does --json, as CLI.md's contract has scripts call it: the phrase is in the JSON.
    let out = c
        .command()
        .env_remove("CARNET_NO_CONFIRM_PHRASE")
        .args(["--json", "init", "--name", "Alice Test", "--kdf-cost", "10"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["recovery_phrase"].as_str().unwrap().split(' ').count(),
        24
    );
}

/// A program at a terminal (util-linux `script` gives it one), driven as a person would:
/// wait for a prompt, type an answer.
struct Terminal {
    child: std::process::Child,
    seen: Arc<Mutex<String>>,
}

impl Terminal {
    fn start(c: &Carnet, args: &str) -> Terminal {
        let mut child = Command::new("script")
            .args([
                "-qec",
                &format!("{} {args}", env!("CARGO_BIN_EXE_carnet")),
                "/dev/null",
            ])
            .env("CARNET_VAULT", &c.vault)
            .env("CARNET_TEST_KDF", "1")
            .env("NO_COLOR", "1")
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("CARNET_PASSPHRASE")
            .env_remove("CARNET_NO_CONFIRM_PHRASE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let seen = Arc::new(Mutex::new(String::new()));
        let sink = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Terminal { child, seen }
    }

    /// Waits until `text` appears after byte `from` of the output; returns the position
    /// just after it.
    fn wait_for(&self, text: &str, from: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            {
                let seen = self.seen.lock().unwrap();
                if let Some(i) = seen.get(from..).and_then(|s| s.find(text)) {
                    return from + i + text.len();
                }
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} after byte {from} in:\n{}",
                self.seen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\r").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    fn output(&self) -> String {
        self.seen.lock().unwrap().clone()
    }
}

/// The 24 words of the phrase as `init` shows it (" 1. word     2. word ...").
fn shown_words(text: &str) -> Vec<String> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut words = vec![String::new(); 24];
    for pair in tokens.windows(2) {
        if let Some(n) = pair[0]
            .strip_suffix('.')
            .and_then(|n| n.parse::<usize>().ok())
            && (1..=24).contains(&n)
            && pair[1].chars().all(|c| c.is_ascii_lowercase())
        {
            words[n - 1] = pair[1].to_string();
        }
    }
    assert!(
        words.iter().all(|w| !w.is_empty()),
        "{words:?} from:\n{text}"
    );
    words
}

#[test]
fn at_a_terminal_init_names_the_vault_retries_a_mismatch_and_confirms_three_words() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: util-linux `script` (a terminal) is not installed");
        return;
    }
    let c = Carnet::empty();
    let mut t = Terminal::start(&c, "init --name 'Alice Test' --kdf-cost 10");
    let vault = c.vault.display().to_string();
    // The prompt names the person and the vault.
    let at = t.wait_for(
        &format!("New passphrase for Alice Test's vault ({vault}): "),
        0,
    );
    // A weak one is explained; Enter chooses another.
    t.type_line("alice1984");
    let at = t.wait_for("this passphrase is weak", at);
    let at = t.wait_for(
        "Type it again to keep it anyway, or press Enter to choose another: ",
        at,
    );
    t.type_line("");
    let at = t.wait_for("New passphrase for Alice Test's vault", at);
    t.type_line("lantern orbit pepper glacier wobble");
    let at = t.wait_for("Passphrase (again): ", at);
    t.type_line("lantern orbit pepper glacier wobbly");
    // A mismatch asks again instead of aborting.
    let at = t.wait_for("The two passphrases differ; type them again.", at);
    let at = t.wait_for("New passphrase for Alice Test's vault", at);
    t.type_line("lantern orbit pepper glacier wobble");
    let at = t.wait_for("Passphrase (again): ", at);
    t.type_line("lantern orbit pepper glacier wobble");
    let at = t.wait_for("type back 3 of its words.", at);
    let words = shown_words(&t.output()[..at]);
    // Three words asked, at positions that are given in the prompts; one wrong answer.
    let mut at = at;
    let mut wrong_given = false;
    for _ in 0..3 {
        let start = t.wait_for("Word ", at);
        let end = t.wait_for(" of your recovery phrase: ", start);
        let n: usize = t.output()[start..end - " of your recovery phrase: ".len()]
            .trim()
            .parse()
            .unwrap();
        if !wrong_given {
            t.type_line("notaword");
            at = t.wait_for(&format!("That is not word {n}"), end);
            at = t.wait_for(&format!("Word {n} of your recovery phrase: "), at);
            wrong_given = true;
        } else {
            at = end;
        }
        t.type_line(&words[n - 1].to_uppercase());
    }
    let status = t.child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let text = t.output();
    assert!(status.success(), "{text}");
    // The screen (and scrollback) is cleared after confirmation, then the card shown again.
    let cleared = text.rfind("\x1b[2J").expect("the screen was not cleared");
    let after = &text[cleared..];
    assert!(after.contains("Recovery phrase confirmed"), "{after}");
    assert!(after.contains("carnet-card1:"), "{after}");
    assert!(!after.contains(&format!(" 1. {}", words[0])), "{after}");
    // Later, the prompt for the existing vault names it.
    let mut t = Terminal::start(&c, "whoami");
    let at = t.wait_for(&format!("Passphrase for the vault at {vault}: "), 0);
    t.type_line("lantern orbit pepper glacier wobble");
    t.wait_for("carnet-card1:", at);
    assert!(t.child.wait().unwrap().success(), "{}", t.output());
    // The vault opens with the passphrase typed.
    let out = c
        .command()
        .env("CARNET_PASSPHRASE", "lantern orbit pepper glacier wobble")
        .args(["whoami"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
