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

/// Only the user who unlocked gets the key: a process of another user that reaches the
/// agent's socket anyway (root, past the socket's 0600 and its directory's 0700) is
/// answered nothing, neither the key nor a `lock`. The agent runs as `nobody` and root
/// knocks, so this needs root; a run as anyone else cannot switch users and says so.
#[test]
fn another_user_reaching_the_agent_gets_no_key() {
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixStream;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: switching to another user needs root");
        return;
    }
    const NOBODY: u32 = 65534;
    let top = tempfile::tempdir().unwrap();
    std::fs::set_permissions(top.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The program, where `nobody` may run it (the build directory may be under /root).
    let exe = top.path().join("carnet");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_carnet"), &exe).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_carnet"), &exe).unwrap();
    }
    let run = top.path().join("run");
    std::fs::create_dir(&run).unwrap();
    std::os::unix::fs::chown(&run, Some(NOBODY), Some(NOBODY)).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let socket = run.join("agent.sock");

    let mut agent = Command::new(&exe)
        .args(["__agent", "--timeout", "60", "--socket"])
        .arg(&socket)
        .uid(NOBODY)
        .gid(NOBODY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let key = [0x5a_u8; 32];
    agent.stdin.take().unwrap().write_all(&key).unwrap();
    let mut ready = [0u8; 6];
    agent.stdout.take().unwrap().read_exact(&mut ready).unwrap();
    assert_eq!(&ready, b"ready\n");

    let ask = |request: &[u8]| -> Vec<u8> {
        let mut s = UnixStream::connect(&socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(request).unwrap();
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        got
    };
    assert_eq!(ask(b"key\n"), b"", "another user was given the key");
    assert_eq!(ask(b"lock\n"), b"", "another user ended the session");

    // The agent is still there and does answer its own user (a client run as `nobody`),
    // so the silence above was the refusal, not an agent gone.
    let python = std::path::Path::new("/usr/bin/python3");
    if python.exists() {
        let out = Command::new(python)
            .args([
                "-c",
                "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); \
                 s.sendall(b'key\\n'); d=b''\n\
while len(d) < 32:\n    c=s.recv(64)\n    if not c: break\n    d+=c\n\
sys.stdout.write(d.hex())",
            ])
            .arg(&socket)
            .uid(NOBODY)
            .gid(NOBODY)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "5a".repeat(32),
            "its own user got no key: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(agent.try_wait().unwrap().is_none(), "the agent exited");
    let _ = agent.kill();
    let _ = agent.wait();
}
