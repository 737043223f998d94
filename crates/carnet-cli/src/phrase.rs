//! First run: the person types back three words of the recovery phrase, at positions
//! chosen at random, before `init` finishes, so that a phrase that was not written down
//! (or written down wrong) is found now, not on the day it is needed.

use std::io::{BufRead, Write};

use anyhow::{Result, anyhow};

use crate::t;

/// `n` distinct positions in `0..len`, at random, in increasing order.
pub fn positions(len: usize, n: usize) -> Result<Vec<usize>> {
    let n = n.min(len);
    let mut out: Vec<usize> = Vec::with_capacity(n);
    while out.len() < n {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).map_err(|e| anyhow!("no randomness: {e}"))?;
        let p = (u64::from_le_bytes(b) % len as u64) as usize;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Asks for the words at `positions` (0-based) on `out`, reading answers from `input`,
/// until each is right (case and surrounding spaces do not matter). A wrong answer is
/// said and asked again; the end of input is an error.
pub fn confirm(
    words: &[&str],
    positions: &[usize],
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(out, "\n{}", t!("phrase-confirm-intro", n = positions.len()))?;
    for &p in positions {
        let want = words
            .get(p)
            .ok_or_else(|| anyhow!("position {p} is outside the phrase"))?;
        loop {
            write!(out, "{}", t!("phrase-confirm-prompt", n = p + 1))?;
            out.flush()?;
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                return Err(anyhow!(t!("phrase-confirm-eof")));
            }
            if line.trim().eq_ignore_ascii_case(want) {
                break;
            }
            writeln!(out, "{}", t!("phrase-confirm-wrong", n = p + 1))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: [&str; 4] = ["abandon", "ability", "able", "about"];

    #[test]
    fn the_right_words_confirm_and_a_wrong_one_is_asked_again() {
        let mut out = Vec::new();
        let mut input = "ability\n  ABOUT \n".as_bytes();
        confirm(&WORDS, &[1, 3], &mut input, &mut out).unwrap();
        let mut out = Vec::new();
        let mut input = "able\nability\nabout\n".as_bytes();
        confirm(&WORDS, &[1, 3], &mut input, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("Word 2").count(), 2, "{text}");
        assert!(text.contains("That is not word 2"), "{text}");
    }

    #[test]
    fn the_end_of_input_is_not_a_confirmation() {
        let mut out = Vec::new();
        let mut input = "ability\nwrong\n".as_bytes();
        assert!(confirm(&WORDS, &[1, 3], &mut input, &mut out).is_err());
        let mut input = "".as_bytes();
        assert!(confirm(&WORDS, &[0], &mut input, &mut Vec::new()).is_err());
    }

    #[test]
    fn positions_are_distinct_sorted_and_in_range() {
        for _ in 0..200 {
            let p = positions(24, 3).unwrap();
            assert_eq!(p.len(), 3);
            assert!(p.windows(2).all(|w| w[0] < w[1]) && p[2] < 24, "{p:?}");
        }
        // Over many draws, every position comes up (they are not fixed).
        let mut seen = [false; 24];
        for _ in 0..2000 {
            for p in positions(24, 3).unwrap() {
                seen[p] = true;
            }
        }
        assert!(seen.iter().all(|s| *s));
    }
}
