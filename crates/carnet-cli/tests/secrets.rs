//! Secrets off the command line, through the binary on real vaults: recovery shares and
//! link codes from files and standard input, core dumps off, weak passphrases explained,
//! cheap passphrase hashing only in tests, and backups signed by their person.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use carnet::crypto::{RecoveryPhrase, seal_to_recipient};
use common::{Carnet, PASS};

/// A patient vault, its recovery phrase and its id.
fn patient(name: &str) -> (Carnet, String, String) {
    let c = Carnet::empty();
    let v = c.json(&["init", "--name", name, "--kdf-cost", "10"]);
    (
        c,
        v["recovery_phrase"].as_str().unwrap().to_string(),
        v["id"].as_str().unwrap().to_string(),
    )
}

fn path(c: &Carnet, name: &str) -> String {
    c.work.join(name).to_string_lossy().into_owned()
}

/// Runs `cmd` with `input` on its standard input (closed after it; none when `None`).
/// `carnet init --name "Alice Test" --kdf-cost 10` in `c` with `passphrase` from the
/// environment and no standard input.
fn init_with(c: &Carnet, passphrase: &str) -> Output {
    let mut cmd = c.command();
    cmd.env("CARNET_PASSPHRASE", passphrase).args([
        "init",
        "--name",
        "Alice Test",
        "--kdf-cost",
        "10",
    ]);
    run_with_stdin(cmd, None)
}

fn run_with_stdin(mut cmd: Command, input: Option<&str>) -> Output {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = input {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn succeeded(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "failed: {}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `carnet --json restore FILE ARGS` into `target`, the phrase (if any) in the environment.
fn restore(
    target: &Carnet,
    backup: &str,
    phrase: Option<&str>,
    args: &[&str],
    input: Option<&str>,
) -> Output {
    let mut cmd = target.command();
    cmd.args(["--json", "restore", backup, "--kdf-cost", "10"])
        .args(args);
    match phrase {
        Some(p) => cmd.env("CARNET_RECOVERY_PHRASE", p),
        None => cmd.env_remove("CARNET_RECOVERY_PHRASE"),
    };
    run_with_stdin(cmd, input)
}

/// Everything directly beside `c`'s vault: a refused restore leaves nothing there.
fn siblings(c: &Carnet) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(c.vault.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn recovery_shares_come_from_files_or_standard_input_instead_of_the_command_line() {
    let (alice, phrase, alice_id) = patient("Alice Test");
    let holders = [
        Carnet::clinician("Dr Martin"),
        Carnet::clinician("Paul"),
        Carnet::clinician("Nurse Joy"),
    ];
    for (h, name) in holders.iter().zip(["Dr Martin", "Paul", "Nurse Joy"]) {
        alice.json(&["contact", "add", name, &h.card()]);
    }
    alice.ok(&["add", "condition", "--name", "Asthma"]);
    let backup = path(&alice, "alice.backup");
    alice.json(&["backup", "--out", &backup]);
    let dir = alice.work.join("shares");
    std::fs::create_dir(&dir).unwrap();
    let mut split = alice.command();
    split
        .args(["--json", "recovery", "split", "--threshold", "2"])
        .args(["--to", "Dr Martin", "--to", "Paul", "--to", "Nurse Joy"])
        .args(["--out", dir.to_str().unwrap()])
        .env("CARNET_RECOVERY_PHRASE", &phrase);
    let files = succeeded(&run_with_stdin(split, None))["files"].clone();
    let released: Vec<String> = holders
        .iter()
        .zip(files.as_array().unwrap())
        .map(|(h, f)| {
            h.json(&["recovery", "release", f.as_str().unwrap()])["share"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();

    // One share from a file, one from standard input: the record, and no word about the
    // command line (nothing secret was on it).
    let target = Carnet::empty();
    let share_file = path(&target, "paul.share");
    std::fs::write(&share_file, format!("{}\n", released[1])).unwrap();
    let out = restore(
        &target,
        &backup,
        None,
        &["--share-file", &share_file, "--share-file", "-"],
        Some(&released[2]),
    );
    let v = succeeded(&out);
    assert_eq!(v["id"], alice_id.as_str());
    assert!(
        !stderr(&out).contains("--share can be seen"),
        "{}",
        stderr(&out)
    );
    assert!(target.ok(&["list"]).contains("Asthma"));

    // Two shares in one file, wrapped as a mail client would: enough alone.
    let target = Carnet::empty();
    let both = path(&target, "both.shares");
    let (a, b) = released[0].split_at(40);
    std::fs::write(&both, format!("  {a}\n   {b}\n\n{}\n", released[2])).unwrap();
    succeeded(&restore(
        &target,
        &backup,
        None,
        &["--share-file", &both],
        None,
    ));

    // What is not a share, too few shares, no terminal to ask on: refused, saying what to
    // do, with nothing written.
    let target = Carnet::empty();
    let before = siblings(&target);
    let junk = path(&target, "junk.txt");
    std::fs::write(&junk, "my shares are in the drawer\n").unwrap();
    let out = restore(&target, &backup, None, &["--share-file", &junk], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("something other than recovery shares"),
        "{}",
        stderr(&out)
    );
    let out = restore(&target, &backup, None, &["--share-file", "-"], Some(""));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("standard input holds no recovery share"),
        "{}",
        stderr(&out)
    );
    let out = restore(&target, &backup, None, &["--share-file", &share_file], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("2 are needed"), "{}", stderr(&out));
    let out = restore(&target, &backup, None, &["--ask-shares"], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("needs a terminal") && stderr(&out).contains("--share-file"),
        "{}",
        stderr(&out)
    );
    // Without shares or a terminal, the phrase comes from the environment, never argv.
    let out = restore(&target, &backup, None, &[], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("CARNET_RECOVERY_PHRASE"),
        "{}",
        stderr(&out)
    );
    assert_eq!(siblings(&target), before);

    // The old command-line form still works for scripts, with a note on what it exposes.
    let out = restore(
        &target,
        &backup,
        None,
        &["--share", &released[0], "--share", &released[1]],
        None,
    );
    succeeded(&out);
    assert!(
        stderr(&out).contains("can be seen by other users"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_link_code_comes_from_a_file_or_standard_input_instead_of_the_command_line() {
    let (alice, _, _) = patient("Alice Test");
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);

    // With no code, no vault and no terminal: refused, saying how to give the code.
    let phone = Carnet::empty();
    let out = run_with_stdin(
        {
            let mut c = phone.command();
            c.args(["device", "link", "--kdf-cost", "10"]);
            c
        },
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--code-file FILE") && stderr(&out).contains("no vault at"),
        "{}",
        stderr(&out)
    );
    assert!(!phone.vault.exists());

    // From a file.
    let mut offer = alice.start(&["device", "link"], &[]);
    let code = offer.first["code"].as_str().unwrap().to_string();
    let code_file = path(&phone, "code.txt");
    std::fs::write(&code_file, format!("{code}\n")).unwrap();
    let out = run_with_stdin(
        {
            let mut c = phone.command();
            c.args(["--json", "device", "link", "--code-file", &code_file])
                .args(["--kdf-cost", "10"]);
            c
        },
        None,
    );
    assert_eq!(succeeded(&out)["name"], "Alice Test");
    assert!(!stderr(&out).contains("can be seen by other users"));
    assert!(offer.wait().success());
    assert!(phone.ok(&["list"]).contains("Penicillin"));

    // From standard input, as `-`.
    let tablet = Carnet::empty();
    let mut offer = alice.start(&["device", "link"], &[]);
    let code = offer.first["code"].as_str().unwrap().to_string();
    let out = run_with_stdin(
        {
            let mut c = tablet.command();
            c.args(["--json", "device", "link", "-", "--kdf-cost", "10"]);
            c
        },
        Some(&code),
    );
    assert_eq!(succeeded(&out)["name"], "Alice Test");
    assert!(offer.wait().success());
    assert_eq!(alice.json(&["device", "list"]).as_array().unwrap().len(), 3);
}

/// The (soft, hard) "Max core file size" of a running process, from /proc/PID/limits.
fn core_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap()
        .to_string();
    let mut words = line["Max core file size".len()..].split_whitespace();
    (
        words.next().unwrap().to_string(),
        words.next().unwrap().to_string(),
    )
}

#[test]
fn core_dumps_are_off_in_every_carnet_process() {
    if !cfg!(target_os = "linux") {
        println!("SKIP: reads /proc (Linux)");
        return;
    }
    // Started with core dumps allowed as far as this machine lets (soft limit raised to
    // the hard one), so a carnet that did nothing would show a non-zero limit.
    let wrap = |c: &Carnet| {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(r#"ulimit -S -c "$(ulimit -H -c)" && exec "$0" "$@""#)
            .arg(env!("CARGO_BIN_EXE_carnet"))
            .env("CARNET_VAULT", &c.vault)
            .env("CARNET_PASSPHRASE", PASS)
            .env("CARNET_TEST_KDF", "1")
            .current_dir(&c.work);
        cmd
    };
    let mut own = Command::new("sh");
    own.args(["-c", r#"ulimit -S -c "$(ulimit -H -c)" && ulimit -c"#]);
    let allowed = String::from_utf8(own.output().unwrap().stdout).unwrap();
    if allowed.trim() == "0" {
        // Then the limits below would be 0 whatever carnet did; dumpability still tells.
        println!("NOTE: this machine's hard core limit is 0: the limit check proves little here");
    }

    let alice = Carnet::patient();
    let mut serve = wrap(&alice)
        .args(["--json", "serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    serve.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let limits = core_limits(serve.id());
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(limits, ("0".to_string(), "0".to_string()), "serve");

    // What the kernel says of the process itself: no core limit, not dumpable.
    let out = wrap(&alice).args(["--json", "hardening"]).output().unwrap();
    let v = succeeded(&out);
    assert_eq!(v["core_limit_soft"], 0, "{v}");
    assert_eq!(v["core_limit_hard"], 0, "{v}");
    assert_eq!(v["dumpable"], false, "{v}");
}

#[test]
fn a_weak_passphrase_is_explained_and_kept_and_an_empty_one_refused() {
    let weak = Carnet::empty();
    let out = init_with(&weak, "password");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("this passphrase is weak")
            && err.contains("common password")
            && err.contains("A better one"),
        "{err}"
    );
    assert!(weak.vault.join("key.age").exists());

    // A rare name is no dictionary word, but it is a weak passphrase for its own bearer.
    let init_as = |name: &str| {
        let c = Carnet::empty();
        let mut cmd = c.command();
        cmd.env("CARNET_PASSPHRASE", "Zorvex Quillington").args([
            "init",
            "--name",
            name,
            "--kdf-cost",
            "10",
        ]);
        let out = run_with_stdin(cmd, None);
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };
    assert!(init_as("Zorvex Quillington").contains("this passphrase is weak"));
    assert!(!init_as("Somebody Else").contains("weak"));

    // A strong one: no warning.
    let strong = Carnet::empty();
    let out = init_with(&strong, "lantern orbit pepper glacier wobble");
    assert!(out.status.success());
    assert!(!stderr(&out).contains("weak"), "{}", stderr(&out));

    // Empty, from the environment or a file: refused, and no vault.
    let empty = Carnet::empty();
    let out = init_with(&empty, "");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("passphrase is empty"),
        "{}",
        stderr(&out)
    );
    let blank = path(&empty, "blank.txt");
    std::fs::write(&blank, "\n").unwrap();
    let out = run_with_stdin(
        {
            let mut c = empty.command();
            c.env_remove("CARNET_PASSPHRASE")
                .args(["--passphrase-file", &blank])
                .args(["init", "--name", "Alice Test", "--kdf-cost", "10"]);
            c
        },
        None,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("passphrase is empty"));
    assert!(!empty.vault.exists());

    // The new passphrase of a restored vault is checked as well.
    let (alice, phrase, _) = patient("Alice Test");
    let backup = path(&alice, "alice.backup");
    alice.json(&["backup", "--out", &backup]);
    let target = Carnet::empty();
    let mut cmd = target.command();
    cmd.env("CARNET_PASSPHRASE", "alice")
        .env("CARNET_RECOVERY_PHRASE", &phrase)
        .args(["restore", &backup, "--kdf-cost", "10"]);
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("this passphrase is weak"));
}

#[test]
fn a_cheap_passphrase_hash_needs_the_test_switch() {
    let c = Carnet::empty();
    let run = |args: &[&str], test: bool| {
        let mut cmd = c.command();
        if !test {
            cmd.env_remove("CARNET_TEST_KDF");
        }
        cmd.env("CARNET_RECOVERY_PHRASE", "not needed: refused before");
        cmd.args(args);
        run_with_stdin(cmd, None)
    };
    for args in [
        &["init", "--name", "Alice Test", "--kdf-cost", "10"][..],
        &["init", "--name", "Alice Test", "--kdf-cost", "17"][..],
        &["restore", "Cargo.toml", "--kdf-cost", "12"][..],
        &["device", "link", "--kdf-cost", "10", "--code-file", "-"][..],
    ] {
        std::fs::write(c.work.join("Cargo.toml"), "a file").unwrap();
        let out = run(args, false);
        assert!(!out.status.success(), "{args:?} went through");
        let err = stderr(&out);
        assert!(
            err.contains("below the default (18)")
                && err.contains("for tests only")
                && err.contains("CARNET_TEST_KDF=1"),
            "{args:?}: {err}"
        );
        assert!(!c.vault.exists());
    }
    // With the switch (as every test here has it), and it says so.
    let out = run(&["init", "--name", "Alice Test", "--kdf-cost", "10"], true);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("for tests only"));
    // The vault's key is wrapped at the cost asked for (age's scrypt stanza: salt, log2 N).
    let key =
        String::from_utf8_lossy(&std::fs::read(c.vault.join("key.age")).unwrap()).into_owned();
    let stanza = key.lines().find(|l| l.starts_with("-> scrypt ")).unwrap();
    assert_eq!(stanza.split(' ').next_back(), Some("10"), "{stanza}");
}

/// The plaintext inside a backup file (its frames), opened with `phrase`.
fn backup_plaintext(file: &str, phrase: &str) -> Vec<u8> {
    let key = RecoveryPhrase::parse(phrase).unwrap().key().unwrap();
    let bytes = std::fs::read(file).unwrap();
    let magic = carnet::backup::BACKUP_MAGIC;
    assert!(bytes.starts_with(magic));
    let mut plain = Vec::new();
    key.open(&bytes[magic.len()..])
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    plain
}

/// Writes `plain` as a backup sealed to the recovery key of `phrase`, as anyone who knows
/// that key's public recipient can.
fn seal_backup(plain: &[u8], phrase: &str, out: &str) {
    let recipient = RecoveryPhrase::parse(phrase)
        .unwrap()
        .key()
        .unwrap()
        .recipient()
        .unwrap();
    let mut file = std::fs::File::create(out).unwrap();
    file.write_all(carnet::backup::BACKUP_MAGIC).unwrap();
    let mut w = seal_to_recipient(&recipient, file).unwrap();
    w.write_all(plain).unwrap();
    w.finish().unwrap();
}

/// The byte ranges of the frames (u32 big-endian length, then the body) in a plaintext.
fn frames(plain: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < plain.len() {
        let len = u32::from_be_bytes(plain[at..at + 4].try_into().unwrap()) as usize;
        out.push(at..at + 4 + len);
        at += 4 + len;
    }
    out
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/backups")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The fixture `unsigned-v1.backup`: written by carnet before backups were signed
/// (commit 88bbaea), of "Olga Unsigned", with an allergy, a note and a document.
const OLD_PHRASE: &str = "length velvet front pencil ankle major trouble law hotel chuckle kiwi lab move network glad empower aunt antique salmon moment plastic estate vote reject";
const OLD_ID: &str = "mpfm64dnypfn6rqsy25ugtmvhn3uupzdeyzvryq66bfjbzdu7iea";

#[test]
fn a_backup_is_signed_by_its_person_and_a_restore_shows_and_checks_whose_it_is() {
    let (alice, phrase, alice_id) = patient("Alice Test");
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    let backup = path(&alice, "alice.backup");
    alice.json(&["backup", "--out", &backup]);

    // Restored: whose it is, and that its signature holds.
    let target = Carnet::empty();
    let out = restore(&target, &backup, Some(&phrase), &[], None);
    let v = succeeded(&out);
    assert_eq!(v["signed"], true);
    assert_eq!(v["id"], alice_id.as_str());
    assert_eq!(v["name"], "Alice Test");
    assert!(
        stderr(&out).contains(&format!("This backup is of Alice Test ({alice_id})")),
        "{}",
        stderr(&out)
    );
    let out = restore(
        &Carnet::empty(),
        &backup,
        Some(&phrase),
        &["--expect-person", &alice_id],
        None,
    );
    succeeded(&out);

    // Its signature altered (sealed again to the same recovery key, as anyone can):
    // refused, nothing written.
    let plain = backup_plaintext(&backup, &phrase);
    let end = frames(&plain).last().unwrap().clone();
    let mut forged = plain.clone();
    forged[end.end - 1] ^= 1;
    let forged_file = path(&alice, "forged.backup");
    seal_backup(&forged, &phrase, &forged_file);
    let target = Carnet::empty();
    let before = siblings(&target);
    let out = restore(&target, &forged_file, Some(&phrase), &[], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("signature does not verify"),
        "{}",
        stderr(&out)
    );
    assert_eq!(siblings(&target), before);

    // Its signature stripped, to pass as a backup of before signatures: refused.
    let body = &plain[end.start + 4..end.end];
    assert_eq!(body[0], 3, "the last frame is SignedEnd");
    let rows_len = body[1..].iter().position(|b| b & 0x80 == 0).unwrap() + 1;
    let mut unsigned_end = vec![2u8];
    unsigned_end.extend_from_slice(&body[1..1 + rows_len + 32]);
    let mut stripped = plain[..end.start].to_vec();
    stripped.extend_from_slice(&(unsigned_end.len() as u32).to_be_bytes());
    stripped.extend_from_slice(&unsigned_end);
    let stripped_file = path(&alice, "stripped.backup");
    seal_backup(&stripped, &phrase, &stripped_file);
    let out = restore(&target, &stripped_file, Some(&phrase), &[], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("signature is missing"),
        "{}",
        stderr(&out)
    );
    assert_eq!(siblings(&target), before);

    // Mallory's own backup, sealed to Alice's recovery key: it says it is Mallory's, and
    // a restore that expects Alice refuses it before asking for a passphrase.
    let (mallory, mallory_phrase, mallory_id) = patient("Mallory");
    let m_backup = path(&mallory, "mallory.backup");
    mallory.json(&["backup", "--out", &m_backup]);
    let swapped = path(&alice, "swapped.backup");
    seal_backup(
        &backup_plaintext(&m_backup, &mallory_phrase),
        &phrase,
        &swapped,
    );
    let mut cmd = target.command();
    cmd.env_remove("CARNET_PASSPHRASE")
        .env("CARNET_RECOVERY_PHRASE", &phrase)
        .args(["restore", &swapped, "--kdf-cost", "10"])
        .args(["--expect-person", &alice_id]);
    let out = run_with_stdin(cmd, None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("this backup is of Mallory ({mallory_id})"))
            && err.contains("not of the person expected"),
        "{err}"
    );
    assert_eq!(siblings(&target), before);
    // Without an expectation it is still refused, whole: Mallory's record declares her
    // own root key, and Alice's phrase cannot take it over.
    let out = restore(&target, &swapped, Some(&phrase), &[], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("This backup is of Mallory"));
    assert!(
        stderr(&out).contains("not the one your record declared"),
        "{}",
        stderr(&out)
    );
    assert_eq!(siblings(&target), before);
}

#[test]
fn a_backup_made_before_signatures_still_restores_with_a_notice() {
    let file = fixture("unsigned-v1.backup");
    let (_, _, alice_id) = patient("Alice Test");
    // Of someone else than expected: refused.
    let target = Carnet::empty();
    let out = restore(
        &target,
        &file,
        Some(OLD_PHRASE),
        &["--expect-person", &alice_id],
        None,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not of the person expected"));
    assert!(!target.vault.exists());

    let out = restore(
        &target,
        &file,
        Some(OLD_PHRASE),
        &["--expect-person", OLD_ID],
        None,
    );
    let v = succeeded(&out);
    assert_eq!(v["signed"], false);
    assert_eq!(v["name"], "Olga Unsigned");
    let err = stderr(&out);
    assert!(
        err.contains("this backup is unsigned") && err.contains("make a new backup"),
        "{err}"
    );
    let list = target.ok(&["list"]);
    assert!(
        list.contains("Penicillin") && list.contains("written before signed backups"),
        "{list}"
    );
    // And its new backup is signed.
    let again = path(&target, "again.backup");
    target.json(&["backup", "--out", &again]);
    let out = restore(&Carnet::empty(), &again, Some(OLD_PHRASE), &[], None);
    assert_eq!(succeeded(&out)["signed"], true);
}
