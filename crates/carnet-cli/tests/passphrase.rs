//! `carnet passphrase`: a new passphrase, atomically. Killed at any moment, the vault opens
//! with the old passphrase or the new one, never neither, and its record is intact.

mod common;

use std::time::Duration;

use common::{Carnet, Lcg, PASS};

/// Whether `c`'s vault opens with `pass` (and then lists its entries).
fn opens_with(c: &Carnet, pass: &str) -> Option<usize> {
    let out = c
        .command()
        .env("CARNET_PASSPHRASE", pass)
        .args(["--json", "list"])
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("wrong passphrase"), "{err}");
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Some(v.as_array().unwrap().len())
}

#[test]
fn a_new_passphrase_replaces_the_old_one_and_bad_input_changes_nothing() {
    let alice = Carnet::patient();
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    // No new passphrase to be had (no file, no variable, no terminal): refused, unchanged.
    let before = alice.state();
    let out = alice
        .command()
        .env_remove("CARNET_NEW_PASSPHRASE")
        .args(["passphrase", "--kdf-cost", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CARNET_NEW_PASSPHRASE"), "{err}");
    assert!(alice.state() == before, "the vault changed");
    // The wrong current passphrase: refused, unchanged.
    let out = alice
        .command()
        .env("CARNET_PASSPHRASE", "not it")
        .env("CARNET_NEW_PASSPHRASE", "another long passphrase")
        .args(["passphrase", "--kdf-cost", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(alice.state() == before, "the vault changed");
    // Done: only the new one opens it, with the same record.
    let out = alice
        .command()
        .env("CARNET_NEW_PASSPHRASE", "a much longer new passphrase")
        .args(["--json", "passphrase", "--kdf-cost", "10"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(opens_with(&alice, PASS), None);
    assert_eq!(opens_with(&alice, "a much longer new passphrase"), Some(1));
}

#[test]
fn killed_at_any_moment_the_vault_opens_with_the_old_passphrase_or_the_new_one() {
    let alice = Carnet::patient();
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    let passes = ["test passphrase", "second passphrase, longer"];
    let mut current = 0usize;
    let mut rng = Lcg(7);
    let mut changed = 0;
    for _ in 0..25 {
        let next = 1 - current;
        let mut child = alice
            .command()
            .env("CARNET_PASSPHRASE", passes[current])
            .env("CARNET_NEW_PASSPHRASE", passes[next])
            .args(["passphrase", "--kdf-cost", "10"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.next() % 60));
        let _ = child.kill();
        let _ = child.wait();
        let old = opens_with(&alice, passes[current]);
        let new = opens_with(&alice, passes[next]);
        match (old, new) {
            (Some(n), None) => assert_eq!(n, 1),
            (None, Some(n)) => {
                assert_eq!(n, 1);
                current = next;
                changed += 1;
            }
            other => panic!("after a kill the vault opens with {other:?} (old, new)"),
        }
    }
    // Some kills came after the change, some before (with these delays both happen).
    assert!(changed > 0, "no change ever completed");
}
