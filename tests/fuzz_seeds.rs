//! The seed corpus of the fuzz targets (`fuzz/corpus/<target>/`), kept in the repository so
//! that `.ci/run` fuzzes from inputs that reach deep into each parser, not from nothing.
//!
//! Seeds are made here, through the public API (real vaults, real bundles and exports) and
//! from the fixtures (FHIR bundles, device exports, the old backup), and written by
//! `CARNET_WRITE_FUZZ_SEEDS=1 cargo test -p carnet-scenarios --test fuzz_seeds`. Without
//! that variable the test checks the committed corpus instead: every target has seeds, and
//! enough of them still parse with today's code, so a format change that turns the corpus
//! into junk fails here (regenerate it) instead of silently fuzzing shallow inputs.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use carnet::consent::Access;
use carnet::crypto::{ContentKey, Role};
use carnet::record::{
    Code, DateTime, DocType, Entry, Note, Reading, ReadingSet, SectionDoc, SectionId, SeriesBlock,
    systems,
};
use carnet::{AttachmentInput, wire};
use carnet_scenarios::{bundle_path, introduce, secret_of, vault};

/// Every fuzz target (one per `[[bin]]` of `fuzz/Cargo.toml`).
const TARGETS: [&str; 12] = [
    "audit_export",
    "blob",
    "bundle",
    "card",
    "changeset",
    "consent_entry",
    "device_csv",
    "envelope",
    "fhir_bundle",
    "recovery",
    "series_block",
    "sync_frame",
];

/// The fixture backup's recovery phrase (see `crates/carnet-cli/tests/secrets.rs`).
const OLD_PHRASE: &str = "length velvet front pencil ankle major trouble law hotel chuckle kiwi lab move network glad empower aunt antique salmon moment plastic estate vote reject";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

fn note(text: &str) -> Entry {
    Entry::Note(Note {
        text: text.into(),
        title: None,
    })
}

fn readings(n: i64, step: i64) -> ReadingSet {
    let start = 1_735_689_600;
    ReadingSet {
        kind: Code::new(systems::LOINC, "99504-3", None),
        unit: "mg/dL".into(),
        source: Some("Dexcom G6".into()),
        readings: (0..n)
            .map(|i| Reading {
                at: DateTime::from_unix(start + step * i).unwrap(),
                value: 90.0 + (i % 40) as f64 * 1.5,
            })
            .collect(),
    }
}

/// The first `lines` lines of a text fixture.
fn head(path: &Path, lines: usize) -> Vec<u8> {
    let text = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    for line in text.split_inclusive(|&b| b == b'\n').take(lines) {
        out.extend_from_slice(line);
    }
    out
}

/// A FHIR bundle cut to its first `n` entries (small seeds fuzz faster; every resource
/// type of the fixture's opening entries is still there).
fn first_entries(path: &Path, n: usize) -> Option<Vec<u8>> {
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let entries = json.get_mut("entry")?.as_array_mut()?;
    entries.truncate(n);
    serde_json::to_vec(&json).ok()
}

/// Every seed, by target.
fn make_seeds() -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let mut seeds: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    let mut add = |t: &'static str, bytes: Vec<u8>| seeds.entry(t).or_default().push(bytes);

    // A patient and a clinician who exchanged a bundle: envelopes of several sections, the
    // consent log, its audit export, cards, a device certificate, a bundle's plaintext.
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    let record = alice.vault.own_record().unwrap();
    alice.vault.add(&record, note("takes metformin")).unwrap();
    alice
        .vault
        .attach(
            &record,
            b"HbA1c 6.9 %",
            AttachmentInput {
                title: "lab report".into(),
                doc_type: DocType::Report,
                file_name: Some("hba1c.txt".into()),
                media_type: "text/plain".into(),
                date: DateTime::from_unix(1_735_689_600).unwrap(),
            },
        )
        .unwrap();
    alice
        .vault
        .import(
            &record,
            vec![carnet::LabeledItem {
                label: "Observation".into(),
                item: carnet::ImportItem::Readings(readings(300, 300)),
            }],
            &mut |_, _| {},
        )
        .unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Notes, SectionId::Documents],
            Access::Write,
            "care",
            None,
        )
        .unwrap();
    for section in [
        SectionId::Notes,
        SectionId::Documents,
        SectionId::Measurements,
    ] {
        for env in alice.vault.engine().envelopes(&record, section).unwrap() {
            add("envelope", env);
        }
    }
    add("card", alice.vault.card().to_text().into_bytes());
    add("card", doctor.vault.card().to_text().into_bytes());
    for e in alice.vault.consent_log(&record).unwrap().entries() {
        add("consent_entry", e.as_bytes().to_vec());
    }
    add(
        "audit_export",
        alice.vault.audit_export().unwrap().to_json().into_bytes(),
    );

    // What a live sender would send, frame by frame (before the bundle, which makes the
    // patient assume the doctor holds it all).
    let theirs = doctor
        .vault
        .engine()
        .have_for(&alice.vault.person_id())
        .unwrap();
    let mut frames = Vec::new();
    alice
        .vault
        .engine()
        .send_items(&doctor.vault.card().clone(), &theirs, &mut |item| {
            frames.push(wire::encode_frame(&item)?);
            Ok(())
        })
        .unwrap();
    frames.push(wire::encode_frame(&theirs).unwrap());
    for f in frames {
        add("bundle", f);
    }
    let out = bundle_path("seed");
    alice
        .vault
        .export_bundle(&doctor.vault.card().clone(), false, &out)
        .unwrap();
    let mut file = std::fs::File::open(&out).unwrap();
    let mut magic = vec![0; carnet::bundle::BUNDLE_MAGIC.len()];
    file.read_exact(&mut magic).unwrap();
    let mut plaintext = Vec::new();
    carnet::crypto::open_sealed(&secret_of(&doctor.dir), file)
        .unwrap()
        .read_to_end(&mut plaintext)
        .unwrap();
    add("bundle", plaintext);

    // Change sets as a section document makes them.
    let mut doc = SectionDoc::new(SectionId::Notes, [1; 16]);
    let (id, changes) = doc.insert(&note("first")).unwrap();
    add("changeset", changes.to_bytes().to_vec());
    let changes = doc.update(&id, &note("first, edited")).unwrap();
    add("changeset", changes.to_bytes().to_vec());

    // Blobs sealed under the key the target opens with: one chunk, and several.
    let key = ContentKey::from_bytes([7; 32]);
    for size in [12, 70_000] {
        let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        add("blob", carnet::crypto::seal_blob(&key, &bytes).unwrap());
    }

    // Series blocks: regular readings, jittered ones, a single one.
    for set in [readings(288, 300), readings(50, 307), readings(1, 60)] {
        for s in set.pack(&HashSet::new()).unwrap().blocks {
            add("series_block", s.data.encode());
        }
    }

    // The fixture backup's plaintext, a recovery phrase, a released share of it.
    let mut file = std::fs::File::open(fixture("backups/unsigned-v1.backup")).unwrap();
    let mut magic = vec![0; carnet::backup::BACKUP_MAGIC.len()];
    file.read_exact(&mut magic).unwrap();
    let phrase = carnet::crypto::RecoveryPhrase::parse(OLD_PHRASE).unwrap();
    let mut plaintext = Vec::new();
    phrase
        .key()
        .unwrap()
        .open(file)
        .unwrap()
        .read_to_end(&mut plaintext)
        .unwrap();
    add("recovery", plaintext);
    add("recovery", OLD_PHRASE.as_bytes().to_vec());

    // A live peer's hello (postcard: variant 0, then version, card, certificate, live) and
    // a device certificate alone.
    let cert = alice.vault.engine().device_cert().unwrap();
    let mut hello = vec![0u8];
    hello.extend(
        postcard::to_stdvec(&(
            1u8,
            alice.vault.card().to_text(),
            cert.as_bytes().to_vec(),
            true,
        ))
        .unwrap(),
    );
    add("sync_frame", hello);
    add("sync_frame", cert.as_bytes().to_vec());

    // FHIR bundles from the fixtures, cut short; the corrupt ones whole when small enough
    // to stay cheap once cut (each has one defect, some deep inside).
    let mut fhir: Vec<PathBuf> = ["fhir/synthea", "fhir/uscore", "fhir/corrupt"]
        .iter()
        .flat_map(|d| std::fs::read_dir(fixture(d)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    fhir.sort();
    for path in fhir {
        match first_entries(&path, 12) {
            Some(bytes) => add("fhir_bundle", bytes),
            // Not JSON (the truncated one): its opening bytes.
            None => add(
                "fhir_bundle",
                std::fs::read(&path).unwrap()[..4096].to_vec(),
            ),
        }
    }

    // Device exports: the first byte picks the format (see the target), then the file's
    // opening lines.
    for (pick, rel) in [
        (0u8, "devices/dexcom_clarity/Clarity_Export_synthetic.csv"),
        (0, "devices/dexcom_clarity/cgmquantify_test_file.csv"),
        (1, "devices/freestyle_libre/FreeStyle_Libre_3_synthetic.csv"),
        (2, "devices/nightscout/nightscout_entries.csv"),
        (2, "devices/nightscout/nightscout_entries.json"),
    ] {
        let mut bytes = vec![pick];
        bytes.extend(head(&fixture(rel), 40));
        add("device_csv", bytes);
    }
    let mut generic = vec![3u8];
    generic.extend_from_slice(
        b"time,kind,value,unit,source\n2025-03-01T08:00:00+01:00,glucose,5.4,mmol/L,meter\n2025-03-01T08:05:00+01:00,weight,72.5,kg,scale\n2025-03-01T09:00:00+01:00,blood-pressure,120/80,mm[Hg],cuff\n",
    );
    add("device_csv", generic);
    seeds
}

/// Whether `bytes` gets past the first parser of `target` (what makes it a useful seed).
fn parses(target: &str, bytes: &[u8]) -> bool {
    let text = std::str::from_utf8(bytes).ok();
    match target {
        "audit_export" => carnet::consent::AuditExport::from_json(bytes).is_ok(),
        "blob" => carnet::crypto::open_blob(&ContentKey::from_bytes([7; 32]), bytes).is_ok(),
        "bundle" => {
            carnet::bundle::parse_plaintext(bytes).is_ok()
                || wire::decode_frame::<wire::Item>(bytes).is_ok()
                || wire::decode_frame::<wire::Have>(bytes).is_ok()
        }
        "card" => text.is_some_and(|t| carnet::crypto::IdentityCard::from_text(t).is_ok()),
        "changeset" => carnet::record::ChangeSet::from_bytes(bytes).is_ok(),
        "consent_entry" => carnet::consent::SignedEntry::from_bytes(bytes).is_ok(),
        // The device parsers live in carnet-fhir, which the scenarios do not build: a seed
        // is useful when its format byte is one of the four and the rest is text.
        "device_csv" => bytes.len() > 1 && std::str::from_utf8(&bytes[1..]).is_ok(),
        "envelope" => carnet::crypto::Envelope::from_bytes(bytes).is_ok(),
        "fhir_bundle" => serde_json::from_slice::<serde_json::Value>(bytes).is_ok(),
        "recovery" => {
            carnet::backup::parse_plaintext(bytes).is_ok()
                || text.is_some_and(|t| carnet::crypto::RecoveryPhrase::parse(t).is_ok())
        }
        "series_block" => SeriesBlock::decode(bytes).is_ok(),
        "sync_frame" => {
            carnet::crypto::DeviceCert::from_bytes(bytes).is_ok()
                || postcard::from_bytes::<(u32, u8, String, Vec<u8>, bool)>(bytes)
                    .is_ok_and(|h| carnet::crypto::DeviceCert::from_bytes(&h.3).is_ok())
        }
        other => panic!("no check for fuzz target {other}"),
    }
}

fn corpus_dir(target: &str) -> PathBuf {
    root().join("fuzz/corpus").join(target)
}

#[test]
fn every_fuzz_target_has_seeds_that_still_parse() {
    // The list above is every target of the fuzz crate, and nothing else.
    let manifest = std::fs::read_to_string(root().join("fuzz/Cargo.toml")).unwrap();
    let mut bins: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "carnet-fuzz")
        .collect();
    bins.sort();
    assert_eq!(
        bins, TARGETS,
        "fuzz/Cargo.toml's targets and this list differ"
    );

    if std::env::var_os("CARNET_WRITE_FUZZ_SEEDS").is_some() {
        let seeds = make_seeds();
        for target in TARGETS {
            let dir = corpus_dir(target);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            for bytes in &seeds[target] {
                let name = blake3::hash(bytes).to_hex();
                std::fs::write(dir.join(&name[..16]), bytes).unwrap();
            }
        }
    }

    for target in TARGETS {
        let dir = corpus_dir(target);
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (regenerate the seeds)", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        let good = files
            .iter()
            .filter(|p| parses(target, &std::fs::read(p).unwrap()))
            .count();
        assert!(
            good > 0 && good * 2 >= files.len(),
            "{target}: {good} of {} seeds parse with today's code; regenerate them (see this file's docs)",
            files.len()
        );
    }
}
