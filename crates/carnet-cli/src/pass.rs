//! Where the passphrase comes from: `--passphrase-file`, else `CARNET_PASSPHRASE`, else a
//! prompt on the terminal. It is never echoed, printed or logged. A new passphrase is
//! checked for strength (a warning, never a refusal, except for an empty one), and the
//! cost of hashing it can be lowered only for tests.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result, bail};
use carnet::crypto::MasterKey;
use carnet::crypto::secrecy::SecretString;
use zeroize::Zeroizing;

/// The environment switch that lets `--kdf-cost` go below the default: for tests only.
pub const TEST_KDF_ENV: &str = "CARNET_TEST_KDF";

/// Reads the passphrase for an existing vault.
pub fn get(file: Option<&Path>) -> Result<SecretString> {
    get_inner(file, None, "CARNET_PASSPHRASE")
}

/// Reads the new passphrase of `carnet passphrase`: from `file`, else
/// `CARNET_NEW_PASSPHRASE`, else a prompt (twice); warns when it is weak.
pub fn get_changed(file: Option<&Path>, hints: &[&str]) -> Result<SecretString> {
    get_inner(file, Some(hints), "CARNET_NEW_PASSPHRASE")
}

/// Reads a new passphrase (asked twice on a terminal) and warns on stderr when it is weak.
pub fn get_new(file: Option<&Path>) -> Result<SecretString> {
    get_new_for(file, &[])
}

/// [`get_new`], with words the passphrase should not be built from (the person's name):
/// a passphrase made of them is reported weak.
pub fn get_new_for(file: Option<&Path>, hints: &[&str]) -> Result<SecretString> {
    get_inner(file, Some(hints), "CARNET_PASSPHRASE")
}

/// `new`: `None` for an existing vault's passphrase; for a new one, the words it should not
/// be built from.
fn get_inner(file: Option<&Path>, new: Option<&[&str]>, env: &str) -> Result<SecretString> {
    let pass = if let Some(path) = file {
        let raw = Zeroizing::new(
            std::fs::read(path)
                .with_context(|| format!("cannot read passphrase file {}", path.display()))?,
        );
        let text = std::str::from_utf8(&raw).context("the passphrase file is not UTF-8 text")?;
        let line = text.lines().next().unwrap_or("");
        Zeroizing::new(line.to_string())
    } else if let Ok(p) = std::env::var(env) {
        Zeroizing::new(p)
    } else if std::io::stdin().is_terminal() || std::io::stderr().is_terminal() {
        return match new {
            None => {
                let p = prompt("Passphrase: ")?;
                refuse_empty(&p)?;
                Ok(SecretString::from(p.to_string()))
            }
            Some(hints) => prompt_new(hints),
        };
    } else {
        bail!("no passphrase: set {env}, pass a passphrase file, or run in a terminal");
    };
    refuse_empty(&pass)?;
    if let Some(hints) = new
        && let Some(warning) = weakness(&pass, hints)
    {
        eprintln!("{warning}");
    }
    Ok(SecretString::from(pass.to_string()))
}

fn prompt(text: &str) -> Result<Zeroizing<String>> {
    Ok(Zeroizing::new(
        rpassword::prompt_password(text).context("cannot read the passphrase")?,
    ))
}

fn refuse_empty(pass: &str) -> Result<()> {
    if pass.is_empty() {
        bail!("the passphrase is empty; choose a non-empty passphrase");
    }
    Ok(())
}

/// A new passphrase on the terminal: typed twice. A weak one is explained after the first
/// time, and the person chooses: type it again to keep it, or press Enter to choose another.
fn prompt_new(hints: &[&str]) -> Result<SecretString> {
    loop {
        let p = prompt("New passphrase: ")?;
        refuse_empty(&p)?;
        let weak = weakness(&p, hints);
        let again = match &weak {
            Some(warning) => {
                eprintln!("{warning}");
                prompt("Type it again to keep it anyway, or press Enter to choose another: ")?
            }
            None => prompt("Passphrase (again): ")?,
        };
        if weak.is_some() && again.is_empty() {
            continue;
        }
        if *again != *p {
            bail!("the two passphrases differ; nothing was created");
        }
        return Ok(SecretString::from(p.to_string()));
    }
}

/// Why a new passphrase is weak, as a warning to print, or `None` when it is strong
/// enough. The estimate is zxcvbn's (dictionaries of common passwords, names and words,
/// keyboard patterns, dates, repeats, sequences, and `hints`): below its score 3, about
/// 10^10 guesses, a passphrase is weak. The vault's scrypt cost slows each guess, but a
/// stolen vault can be attacked offline for as long as the thief likes.
pub fn weakness(pass: &str, hints: &[&str]) -> Option<String> {
    let estimate = zxcvbn::zxcvbn(pass, hints);
    if u8::from(estimate.score()) >= 3 {
        return None;
    }
    let mut why = Vec::new();
    let chars = pass.chars().count();
    if chars < 12 {
        why.push(format!("It has only {chars} characters."));
    }
    if let Some(feedback) = estimate.feedback() {
        if let Some(w) = feedback.warning() {
            why.push(w.to_string());
        }
        why.extend(feedback.suggestions().iter().map(|s| s.to_string()));
    }
    Some(format!(
        "warning: this passphrase is weak: someone who copies your vault could guess it in {} (at ten thousand guesses a second). {}\n\
         A better one: four or five unrelated words picked at random, or 12 or more characters mixing letters, digits and symbols, not built from your name.",
        estimate.crack_times().offline_slow_hashing_1e4_per_second(),
        why.join(" ")
    ))
}

/// The scrypt cost (log2 N) a new vault may use: the default or more, or lower only when
/// `CARNET_TEST_KDF=1` says this is a test, where cheap vaults keep suites fast. A lower
/// cost makes every guess at a stolen vault's passphrase cheaper, so it is never used
/// silently.
pub fn kdf_cost(requested: u8) -> Result<u8> {
    let default = MasterKey::DEFAULT_LOG_N;
    if requested >= default {
        return Ok(requested);
    }
    if std::env::var(TEST_KDF_ENV).is_ok_and(|v| v == "1") {
        eprintln!(
            "note: {TEST_KDF_ENV}=1: this vault's passphrase hashing is cheap (cost {requested}, default {default}); for tests only."
        );
        return Ok(requested);
    }
    bail!(
        "--kdf-cost {requested} is below the default ({default}): it would make your passphrase far cheaper to guess for anyone who copies the vault, so it is for tests only. Leave --kdf-cost out (or give {default} to 20); test suites set {TEST_KDF_ENV}=1"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passphrases_are_explained_and_strong_ones_pass() {
        for weak in ["password", "aaaaaaaaaaaa", "12345678", "Alice Martin 1984"] {
            let w = weakness(weak, &["Alice Martin"]);
            assert!(w.is_some(), "{weak} passed");
            assert!(w.unwrap().contains("A better one"));
        }
        assert!(weakness("lantern orbit pepper glacier wobble", &[]).is_none());
        assert!(weakness("k7#Qv!m2Zp9@xL", &[]).is_none());
    }
}
