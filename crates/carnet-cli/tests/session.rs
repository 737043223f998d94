//! `carnet unlock` / `carnet lock`: one passphrase, then commands open the vault without
//! it until the session ends; only that vault, only until `lock` or the timeout.

mod common;

use std::process::Output;
use std::time::Duration;

use common::Carnet;

/// Runs `carnet ARGS` with no passphrase at hand (no variable, no file, no terminal) and
/// sessions kept under `runtime`.
fn without_passphrase(c: &Carnet, runtime: &std::path::Path, args: &[&str]) -> Output {
    c.command()
        .env_remove("CARNET_PASSPHRASE")
        .env("XDG_RUNTIME_DIR", runtime)
        .args(args)
        .output()
        .unwrap()
}

fn with_runtime(c: &Carnet, runtime: &std::path::Path, args: &[&str]) -> Output {
    c.command()
        .env("XDG_RUNTIME_DIR", runtime)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_session_opens_its_vault_without_the_passphrase_until_locked() {
    let runtime = tempfile::tempdir().unwrap();
    let alice = Carnet::patient();
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    let bob = Carnet::patient();

    // No session: without a passphrase, nothing opens.
    let out = without_passphrase(&alice, runtime.path(), &["list"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no passphrase"), "{}", stderr(&out));

    // A wrong passphrase opens no session.
    let out = alice
        .command()
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("CARNET_PASSPHRASE", "not it")
        .args(["unlock", "--timeout", "60"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        !without_passphrase(&alice, runtime.path(), &["list"])
            .status
            .success()
    );

    let out = with_runtime(&alice, runtime.path(), &["unlock", "--timeout", "60"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = without_passphrase(&alice, runtime.path(), &["--json", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Penicillin"));
    // Writes too.
    let out = without_passphrase(
        &alice,
        runtime.path(),
        &["add", "allergy", "--substance", "Latex"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // Another vault is not opened by Alice's session.
    assert!(
        !without_passphrase(&bob, runtime.path(), &["list"])
            .status
            .success()
    );
    // Changing the passphrase still needs the current one.
    let out = alice
        .command()
        .env_remove("CARNET_PASSPHRASE")
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("CARNET_NEW_PASSPHRASE", "another long passphrase")
        .args(["passphrase", "--kdf-cost", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a session changed the passphrase");

    // Locked: the key is forgotten.
    let out = with_runtime(&alice, runtime.path(), &["lock"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Locked"));
    assert!(
        !without_passphrase(&alice, runtime.path(), &["list"])
            .status
            .success()
    );
    let out = with_runtime(&alice, runtime.path(), &["lock"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("No session"));
}

#[test]
fn a_session_ends_by_itself_after_its_timeout() {
    let runtime = tempfile::tempdir().unwrap();
    let alice = Carnet::patient();
    let out = with_runtime(&alice, runtime.path(), &["unlock", "--timeout", "1s"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        without_passphrase(&alice, runtime.path(), &["list"])
            .status
            .success()
    );
    std::thread::sleep(Duration::from_millis(2500));
    let out = without_passphrase(&alice, runtime.path(), &["list"]);
    assert!(!out.status.success(), "the session outlived its timeout");
    // Bad input: a timeout that is not one.
    let out = with_runtime(&alice, runtime.path(), &["unlock", "--timeout", "soon"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not a duration"), "{}", stderr(&out));
}

#[test]
fn a_session_directory_open_to_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let runtime = tempfile::tempdir().unwrap();
    let shared = runtime.path().join("carnet");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let alice = Carnet::patient();
    let out = with_runtime(&alice, runtime.path(), &["unlock", "--timeout", "60"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a private directory"),
        "{}",
        stderr(&out)
    );
}
