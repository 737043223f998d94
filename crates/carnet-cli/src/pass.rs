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

use crate::{msg, t};

/// The environment switch that lets `--kdf-cost` go below the default: for tests only.
pub const TEST_KDF_ENV: &str = "CARNET_TEST_KDF";

/// Which vault a prompt is for, so that it says so: its directory, and its owner's name
/// when known (always for a new vault; an existing one's name is sealed inside it).
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub vault: &'a Path,
    pub name: Option<&'a str>,
}

/// Reads the passphrase for an existing vault.
pub fn get(file: Option<&Path>, target: Target<'_>) -> Result<SecretString> {
    get_inner(file, None, "CARNET_PASSPHRASE", target)
}

/// Reads the new passphrase of `carnet passphrase`: from `file`, else
/// `CARNET_NEW_PASSPHRASE`, else a prompt (twice); warns when it is weak.
pub fn get_changed(
    file: Option<&Path>,
    hints: &[&str],
    target: Target<'_>,
) -> Result<SecretString> {
    get_inner(file, Some(hints), "CARNET_NEW_PASSPHRASE", target)
}

/// Reads a new passphrase (asked twice on a terminal) and warns on stderr when it is
/// weak; `hints` are words it should not be built from (the person's name): a passphrase
/// made of them is reported weak.
pub fn get_new_for(
    file: Option<&Path>,
    hints: &[&str],
    target: Target<'_>,
) -> Result<SecretString> {
    get_inner(file, Some(hints), "CARNET_PASSPHRASE", target)
}

/// `new`: `None` for an existing vault's passphrase; for a new one, the words it should not
/// be built from.
fn get_inner(
    file: Option<&Path>,
    new: Option<&[&str]>,
    env: &str,
    target: Target<'_>,
) -> Result<SecretString> {
    let pass = if let Some(path) = file {
        let raw = Zeroizing::new(
            std::fs::read(path)
                .with_context(|| msg!("err-passphrase-file", file = path.display().to_string()))?,
        );
        let text = std::str::from_utf8(&raw).context(msg!("err-passphrase-not-utf8"))?;
        let line = text.lines().next().unwrap_or("");
        Zeroizing::new(line.to_string())
    } else if let Ok(p) = std::env::var(env) {
        Zeroizing::new(p)
    } else if std::io::stdin().is_terminal() || std::io::stderr().is_terminal() {
        let vault = target.vault.display().to_string();
        return match new {
            None => {
                let text = match target.name {
                    Some(name) => t!("prompt-passphrase", name = name, vault = vault),
                    None => t!("prompt-passphrase-plain", vault = vault),
                };
                let p = prompt(&text)?;
                refuse_empty(&p)?;
                Ok(SecretString::from(p.to_string()))
            }
            Some(hints) => {
                let text = match target.name {
                    Some(name) => t!("prompt-new-passphrase", name = name, vault = vault),
                    None => t!("prompt-new-passphrase-plain"),
                };
                prompt_new(&text, hints)
            }
        };
    } else {
        return Err(crate::errors::passphrase(msg!(
            "err-no-passphrase",
            env = env
        )));
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
        rpassword::prompt_password(text).context(msg!("err-passphrase-read"))?,
    ))
}

fn refuse_empty(pass: &str) -> Result<()> {
    if pass.is_empty() {
        return Err(crate::errors::refused(msg!("err-passphrase-empty")));
    }
    Ok(())
}

/// A new passphrase on the terminal: typed twice. A weak one is explained after the first
/// time, and the person chooses: type it again to keep it, or press Enter to choose
/// another. When the two differ, both are asked again (nothing is created meanwhile).
fn prompt_new(first_prompt: &str, hints: &[&str]) -> Result<SecretString> {
    loop {
        let p = prompt(first_prompt)?;
        if p.is_empty() {
            eprintln!("{}", t!("err-passphrase-empty"));
            continue;
        }
        let weak = weakness(&p, hints);
        let again = match &weak {
            Some(warning) => {
                eprintln!("{warning}");
                prompt(&t!("prompt-keep-weak"))?
            }
            None => prompt(&t!("prompt-passphrase-again"))?,
        };
        if weak.is_some() && again.is_empty() {
            continue;
        }
        if *again != *p {
            eprintln!("{}", t!("passphrase-mismatch"));
            continue;
        }
        return Ok(SecretString::from(p.to_string()));
    }
}

/// How long `seconds` is, in words of the language, roughly.
fn duration_words(seconds: f64) -> String {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 3600.0;
    const DAY: f64 = 86_400.0;
    const YEAR: f64 = 365.25 * DAY;
    if seconds < 1.0 {
        return t!("duration-instant");
    }
    let (n, id) = if seconds < MINUTE {
        (seconds, "duration-seconds")
    } else if seconds < HOUR {
        (seconds / MINUTE, "duration-minutes")
    } else if seconds < DAY {
        (seconds / HOUR, "duration-hours")
    } else if seconds < YEAR {
        (seconds / DAY, "duration-days")
    } else if seconds < 100.0 * YEAR {
        (seconds / YEAR, "duration-years")
    } else {
        return t!("duration-centuries");
    };
    crate::i18n::message(
        id,
        &[("n", fluent_bundle::FluentValue::from(n.round() as u64))],
    )
}

/// Why a new passphrase is weak, as a warning to print, or `None` when it is strong
/// enough. The estimate is zxcvbn's (dictionaries of common passwords, names and words,
/// keyboard patterns, dates, repeats, sequences, and `hints`): below its score 3, about
/// 10^10 guesses, a passphrase is weak. The vault's scrypt cost slows each guess, but a
/// stolen vault can be attacked offline for as long as the thief likes. zxcvbn's advice
/// (its warning and suggestions) is said in the language of the run: its words are
/// English only, so each of its kinds has its own message (`zxcvbn-*`).
pub fn weakness(pass: &str, hints: &[&str]) -> Option<String> {
    let estimate = zxcvbn::zxcvbn(pass, hints);
    if u8::from(estimate.score()) >= 3 {
        return None;
    }
    let mut why = Vec::new();
    let chars = pass.chars().count();
    if chars < 12 {
        why.push(t!("weak-short", n = chars));
    }
    if let Some(feedback) = estimate.feedback() {
        if let Some(w) = feedback.warning() {
            why.push(warning_words(w));
        }
        why.extend(feedback.suggestions().iter().map(|s| suggestion_words(*s)));
    }
    let seconds = estimate.guesses() as f64 / 1e4;
    Some(format!(
        "{} {}\n{}",
        t!("weak-warning", time = duration_words(seconds)),
        why.join(" "),
        t!("weak-better")
    ))
}

/// zxcvbn's warning in the language of the run.
fn warning_words(w: zxcvbn::feedback::Warning) -> String {
    use zxcvbn::feedback::Warning as W;
    match w {
        W::StraightRowsOfKeysAreEasyToGuess => t!("zxcvbn-straight-rows"),
        W::ShortKeyboardPatternsAreEasyToGuess => t!("zxcvbn-short-keyboard-patterns"),
        W::RepeatsLikeAaaAreEasyToGuess => t!("zxcvbn-repeats-aaa"),
        W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => t!("zxcvbn-repeats-abcabc"),
        W::ThisIsATop10Password => t!("zxcvbn-top10"),
        W::ThisIsATop100Password => t!("zxcvbn-top100"),
        W::ThisIsACommonPassword => t!("zxcvbn-common"),
        W::ThisIsSimilarToACommonlyUsedPassword => t!("zxcvbn-similar-to-common"),
        W::SequencesLikeAbcAreEasyToGuess => t!("zxcvbn-sequences"),
        W::RecentYearsAreEasyToGuess => t!("zxcvbn-recent-years"),
        W::AWordByItselfIsEasyToGuess => t!("zxcvbn-word-by-itself"),
        W::DatesAreOftenEasyToGuess => t!("zxcvbn-dates"),
        W::NamesAndSurnamesByThemselvesAreEasyToGuess => t!("zxcvbn-names-by-themselves"),
        W::CommonNamesAndSurnamesAreEasyToGuess => t!("zxcvbn-common-names"),
    }
}

/// zxcvbn's suggestion in the language of the run.
fn suggestion_words(s: zxcvbn::feedback::Suggestion) -> String {
    use zxcvbn::feedback::Suggestion as S;
    match s {
        S::UseAFewWordsAvoidCommonPhrases => t!("zxcvbn-use-a-few-words"),
        S::NoNeedForSymbolsDigitsOrUppercaseLetters => t!("zxcvbn-no-need-for-symbols"),
        S::AddAnotherWordOrTwo => t!("zxcvbn-add-a-word"),
        S::CapitalizationDoesntHelpVeryMuch => t!("zxcvbn-capitalization"),
        S::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => t!("zxcvbn-all-uppercase"),
        S::ReversedWordsArentMuchHarderToGuess => t!("zxcvbn-reversed-words"),
        S::PredictableSubstitutionsDontHelpVeryMuch => t!("zxcvbn-substitutions"),
        S::UseALongerKeyboardPatternWithMoreTurns => t!("zxcvbn-longer-keyboard-pattern"),
        S::AvoidRepeatedWordsAndCharacters => t!("zxcvbn-avoid-repeats"),
        S::AvoidSequences => t!("zxcvbn-avoid-sequences"),
        S::AvoidRecentYears => t!("zxcvbn-avoid-recent-years"),
        S::AvoidYearsThatAreAssociatedWithYou => t!("zxcvbn-avoid-your-years"),
        S::AvoidDatesAndYearsThatAreAssociatedWithYou => t!("zxcvbn-avoid-your-dates"),
    }
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
            "{}",
            t!(
                "kdf-test-note",
                env = TEST_KDF_ENV,
                cost = requested,
                default = default
            )
        );
        return Ok(requested);
    }
    bail!(msg!(
        "err-kdf-below-default",
        env = TEST_KDF_ENV,
        cost = requested,
        default = default
    ))
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
