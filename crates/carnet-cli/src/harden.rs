//! Keeps the secrets a `carnet` process holds (passphrase, master key, person keys,
//! decrypted health data) out of core dumps: at start, the core-file limit is set to 0
//! (soft and hard, so nothing in the process can raise it again) and, on Linux, the
//! process is made non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`), which also keeps other
//! processes of the same user from attaching to it with ptrace or reading its memory
//! through /proc. Both through rustix's safe wrappers: no `unsafe` here.

use anyhow::Result;
use serde_json::json;

use crate::{Cli, output, t};

/// Turns core dumps off for this process. Called first thing in `main`. A failure (a
/// sandbox that forbids the calls) is returned for `main` to report on stderr, in the
/// language, once it knows it; the command goes on: it does not make the vault less safe
/// than before, and a patient must still reach their record.
pub fn no_core_dumps() -> std::io::Result<()> {
    apply()
}

#[cfg(unix)]
fn apply() -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    Ok(())
}

#[cfg(not(unix))]
fn apply() -> std::io::Result<()> {
    Ok(())
}

/// The hidden `carnet hardening` diagnostic: what this very process holds (its core-file
/// limit and whether it is dumpable), as the kernel reports it. Tests use it; it prints no
/// secret.
pub fn report(cli: &Cli) -> Result<()> {
    let (soft, hard) = core_limit();
    let dumpable = dumpable();
    if cli.json {
        output::json(&json!({
            "core_limit_soft": soft,
            "core_limit_hard": hard,
            "dumpable": dumpable,
        }))
    } else {
        let show = |v: Option<u64>| v.map_or(t!("hardening-unlimited"), |n| n.to_string());
        println!(
            "{}",
            t!("hardening-core-limit", soft = show(soft), hard = show(hard))
        );
        let state = match dumpable {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        };
        println!("{}", t!("hardening-dumpable", state = state));
        Ok(())
    }
}

/// (soft, hard) core-file limits; `None` is unlimited.
#[cfg(unix)]
fn core_limit() -> (Option<u64>, Option<u64>) {
    let l = rustix::process::getrlimit(rustix::process::Resource::Core);
    (l.current, l.maximum)
}

#[cfg(not(unix))]
fn core_limit() -> (Option<u64>, Option<u64>) {
    (None, None)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn dumpable() -> Option<bool> {
    rustix::process::dumpable_behavior()
        .ok()
        .map(|d| d != rustix::process::DumpableBehavior::NotDumpable)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn dumpable() -> Option<bool> {
    None
}
