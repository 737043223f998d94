//! Crash safety: SIGKILL the CLI at random points of a long series of adds, at least 50
//! times; after each kill the vault opens and holds every add that reported success.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Carnet, Lcg};

fn listed_notes(c: &Carnet) -> Vec<String> {
    let list = c.json(&["list", "--section", "notes"]);
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sigkill_at_random_points_loses_no_committed_change() {
    let c = Carnet::patient();
    // How long one add takes here, to aim the kills inside it: the median of three (the
    // first run of a freshly built binary can be ten times slower than the rest).
    let mut committed: BTreeSet<String> = BTreeSet::new();
    let mut warm = Vec::new();
    for i in 0..3 {
        let text = format!("warm-up {i}");
        let t0 = Instant::now();
        c.ok(&["add", "note", "--text", &text]);
        warm.push(t0.elapsed());
        committed.insert(text);
    }
    warm.sort();
    let mut typical = warm[1].max(Duration::from_millis(5));
    let mut rng = Lcg(0x5eed_c0ff_ee00_1234);
    let mut kills = 0;
    let mut attempts = 0;
    while kills < 50 {
        attempts += 1;
        assert!(attempts < 1000, "could not land 50 kills in 1000 attempts");
        let text = format!("note-{attempts}");
        let mut child = c
            .command()
            .args(["add", "note", "--text", &text])
            .spawn()
            .unwrap();
        let delay = typical.mul_f64((rng.next() % 1000) as f64 / 1000.0 * 1.2);
        std::thread::sleep(delay);
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success(), "add failed without being killed");
                committed.insert(text);
                // It was quicker than the aim: aim earlier (the machine is shared and its
                // speed drifts; where the kill lands stays random within the add).
                typical = typical.mul_f64(0.9).max(Duration::from_millis(2));
            }
            None => {
                child.kill().unwrap(); // SIGKILL on Unix
                let status = child.wait().unwrap();
                if status.success() {
                    // It finished between the check and the kill.
                    committed.insert(text);
                } else {
                    kills += 1;
                    // Killed before it finished: aim a little later, so that the kills
                    // keep landing across the whole add, its commit included.
                    typical = typical.mul_f64(1.05).min(warm[1] * 2);
                }
                // After every kill: the vault opens and holds every committed add.
                let notes: BTreeSet<String> = listed_notes(&c).into_iter().collect();
                let missing: Vec<_> = committed.difference(&notes).collect();
                assert!(missing.is_empty(), "after kill {kills}: lost {missing:?}");
            }
        }
    }
    let notes = listed_notes(&c);
    let unique: BTreeSet<_> = notes.iter().cloned().collect();
    assert_eq!(unique.len(), notes.len(), "an add appeared twice");
    assert!(committed.is_subset(&unique));
    // The vault still takes new changes after all that.
    c.ok(&["add", "note", "--text", "after the storm"]);
    assert!(listed_notes(&c).contains(&"after the storm".to_string()));
}
