//! The bindings' Rust surface, without a foreign language: what the Python suite
//! (`tests/python/test_carnet.py`, run by `.ci/run`) checks end to end, in small.

use std::sync::Arc;

use carnet_ffi::{CarnetError, CarnetVault, MeasurementInput, Role, Section, create_vault};

fn vault(dir: &std::path::Path) -> Arc<carnet_ffi::CreatedVault> {
    create_vault(
        dir.join("v").display().to_string(),
        "a passphrase".into(),
        "Alice".into(),
        Role::Patient,
        Some(10),
    )
    .unwrap()
}

#[test]
fn the_phrase_comes_with_the_vault_and_never_shows_in_debug() {
    let tmp = tempfile::tempdir().unwrap();
    let created = vault(tmp.path());
    let phrase = created.recovery_phrase();
    assert_eq!(phrase.split(' ').count(), 24);
    let debug = format!("{created:?}");
    assert!(!debug.contains(&phrase), "{debug}");
}

#[test]
fn errors_are_typed_with_stable_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let v = vault(tmp.path()).vault();
    let wrong = CarnetVault::open(v.dir(), "not it".into()).unwrap_err();
    assert!(
        matches!(wrong, CarnetError::WrongPassphrase { .. }),
        "{wrong:?}"
    );
    assert_eq!(wrong.code(), 1);
    let bad = v
        .add_measurement(
            None,
            MeasurementInput {
                kind: "blood-pressure".into(),
                value: "high".into(),
                unit: "mmHg".into(),
                at: None,
            },
        )
        .unwrap_err();
    assert!(matches!(bad, CarnetError::InvalidInput { .. }), "{bad:?}");
    let short = CarnetVault::open_with_unlock_key(v.dir(), vec![0; 5]).unwrap_err();
    assert!(
        matches!(short, CarnetError::InvalidInput { .. }),
        "{short:?}"
    );
}

#[test]
fn one_handle_serves_many_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let v = vault(tmp.path()).vault();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let v = Arc::clone(&v);
            std::thread::spawn(move || {
                for i in 0..5 {
                    v.add_note(None, format!("thread {t} note {i}"), None)
                        .unwrap();
                    v.list(None, Some(Section::Notes)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(v.list(None, Some(Section::Notes)).unwrap().len(), 20);
}
