//! Where the passphrase comes from: `--passphrase-file`, else `CARNET_PASSPHRASE`, else a
//! prompt on the terminal. It is never echoed, printed or logged.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result, bail};
use carnet::crypto::secrecy::SecretString;
use zeroize::Zeroizing;

/// Reads the passphrase for an existing vault.
pub fn get(file: Option<&Path>) -> Result<SecretString> {
    get_inner(file, false)
}

/// Reads a new passphrase (asked twice on a terminal).
pub fn get_new(file: Option<&Path>) -> Result<SecretString> {
    get_inner(file, true)
}

fn get_inner(file: Option<&Path>, confirm: bool) -> Result<SecretString> {
    let pass = if let Some(path) = file {
        let raw = Zeroizing::new(
            std::fs::read(path)
                .with_context(|| format!("cannot read passphrase file {}", path.display()))?,
        );
        let text = std::str::from_utf8(&raw).context("the passphrase file is not UTF-8 text")?;
        let line = text.lines().next().unwrap_or("");
        Zeroizing::new(line.to_string())
    } else if let Ok(p) = std::env::var("CARNET_PASSPHRASE") {
        Zeroizing::new(p)
    } else if std::io::stdin().is_terminal() || std::io::stderr().is_terminal() {
        let p = Zeroizing::new(
            rpassword::prompt_password("Passphrase: ").context("cannot read the passphrase")?,
        );
        if confirm {
            let again = Zeroizing::new(
                rpassword::prompt_password("Passphrase (again): ")
                    .context("cannot read the passphrase")?,
            );
            if *again != *p {
                bail!("the two passphrases differ; nothing was created");
            }
        }
        p
    } else {
        bail!(
            "no passphrase: set CARNET_PASSPHRASE, pass --passphrase-file FILE, or run in a terminal"
        );
    };
    if pass.is_empty() {
        bail!("the passphrase is empty; choose a non-empty passphrase");
    }
    Ok(SecretString::from(pass.to_string()))
}
