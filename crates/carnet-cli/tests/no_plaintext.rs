//! Confidentiality at rest: a marker written into every kind of entry and an attachment
//! appears in no file under the vault, in clear or in any wrapping the search decodes
//! (base64, zstd frames, raw deflate streams starting at any byte, which covers
//! Automerge's compressed columns and changes: see `tests/reveal.rs` for exactly what it
//! sees and what it cannot).

mod common;

use carnet::record::{Entry, Note, SectionDoc, SectionId};
use common::Carnet;
use common::reveal;

#[test]
fn no_marker_bytes_rest_on_disk() {
    let c = Carnet::patient();
    let m = "QX7-MARKER-93f1c2";
    let code = format!("snomed|{m}");
    let adds: Vec<Vec<String>> = vec![
        vec![
            "add",
            "profile",
            "--name",
            m,
            "--advance-directives",
            m,
            "--emergency-name",
            m,
        ],
        vec![
            "add",
            "allergy",
            "--substance",
            m,
            "--reaction",
            m,
            "--code",
            &code,
        ],
        vec!["add", "condition", "--name", m, "--code", &code],
        vec!["add", "medication", "--name", m, "--dosage", m],
        vec![
            "add",
            "immunization",
            "--vaccine",
            m,
            "--date",
            "2020-01-01",
            "--lot",
            m,
        ],
        vec![
            "add",
            "measurement",
            "--kind",
            "glucose",
            "--value",
            "5.5",
            "--unit",
            "mmol/L",
            "--source",
            m,
        ],
        vec!["add", "note", "--text", m, "--title", m],
        vec!["add", "none-known", "allergies"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect();
    for a in &adds {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        c.ok(&a);
    }
    let file = c.work.join(format!("{m}.txt"));
    std::fs::write(&file, format!("attachment body {m}\n").repeat(5000)).unwrap();
    c.ok(&["attach", file.to_str().unwrap(), "--title", m]);
    // Edits and removals write more envelopes (and, past a threshold, snapshots).
    for i in 0..40 {
        c.ok(&["add", "note", "--text", &format!("{m} {i}")]);
    }
    let list = c.json(&["list"]);
    let shown = list.to_string();
    assert!(
        shown.matches(m).count() >= 50,
        "the marker is readable through the CLI"
    );

    let files = c.files();
    assert!(files.len() >= 2);
    let needles = [m, "QX7-MARKER", "attachment body"];
    for (path, bytes) in &files {
        let found = reveal::needles_found(bytes, &needles);
        assert!(
            found.is_empty(),
            "{} holds plaintext: {found:?}",
            path.display()
        );
    }
    // The search reads what it searches: the patient's name is in the vault in clear by
    // design, inside the identity card (base64), and it is found there.
    let db = files
        .iter()
        .find(|(p, _)| p.ends_with("carnet.redb"))
        .expect("the vault has its database");
    let name = reveal::needles_found(db.1, &["Alice Test"]);
    assert!(
        name.iter().any(|f| f.path.contains("base64")),
        "the search did not find the card's name inside the database: {name:?}"
    );
}

/// Bytes that look random (xorshift), for burying things in.
fn noise(n: usize, mut x: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// `inner` buried at an odd offset in noise.
fn buried(inner: &[u8]) -> Vec<u8> {
    let mut v = noise(4_099, 0x9E37_79B9_7F4A_7C15);
    v.extend_from_slice(inner);
    v.extend(noise(5_003, 0xD1B5_4A32_D192_ED03));
    v
}

#[test]
fn the_search_sees_plaintext_compressed_or_encoded() {
    use std::io::Write;
    let m = "QX7-MARKER-93f1c2";
    // The marker whole only where a compressor copies its two halves from before, so it is
    // not in clear in what they write (checked below).
    let (a, b) = m.split_at(7);
    let text = format!("{a} and {b}. ") + &format!("Joined: {a}{b}. ").repeat(40);
    let plain = text.as_bytes();

    // Noise alone: nothing (no false alarm from inflating or decoding random bytes).
    assert_eq!(reveal::find(&noise(200_000, 7), &[m]), vec![]);

    let zstd = zstd::encode_all(plain, 3).unwrap();
    let deflate = {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(plain).unwrap();
        e.finish().unwrap()
    };
    let zlib = {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(plain).unwrap();
        e.finish().unwrap()
    };
    let gzip = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(plain).unwrap();
        e.finish().unwrap()
    };
    let b64 = |b: &[u8]| data_encoding::BASE64.encode(b).into_bytes();
    let b64url = |b: &[u8]| data_encoding::BASE64URL_NOPAD.encode(b).into_bytes();
    // An Automerge document of a section, as a snapshot holds it, and a change set, as an
    // envelope holds it.
    let mut doc = SectionDoc::new(SectionId::Notes, [3; 16]);
    for i in 0..60 {
        doc.insert(&Entry::Note(Note {
            text: format!("{m} {i}"),
            title: Some(format!("{m} title {i}")),
        }))
        .unwrap();
    }
    let saved = doc.save().to_vec();
    let many = {
        let mut d = SectionDoc::new(SectionId::Notes, [4; 16]);
        let notes: Vec<Entry> = (0..60)
            .map(|i| {
                Entry::Note(Note {
                    text: format!("{m} {i}"),
                    title: None,
                })
            })
            .collect();
        d.insert_many(&notes).unwrap().1.to_bytes().to_vec()
    };

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("clear", plain.to_vec(), "bytes"),
        ("zstd", zstd.clone(), "zstd"),
        ("raw deflate", deflate.clone(), "deflate"),
        ("zlib", zlib, "deflate"),
        ("gzip", gzip, "deflate"),
        ("base64 of zstd", b64(&zstd), "base64"),
        ("base64url of deflate", b64url(&deflate), "base64"),
        ("an Automerge document", saved.clone(), "deflate"),
        ("an Automerge change set", many.clone(), "bytes"),
    ];
    for (what, inner, via) in cases {
        let hay = buried(&inner);
        let found = reveal::find(&hay, &[m]);
        assert!(
            found.iter().any(|f| f.path.contains(via)),
            "{what}: the marker was not found (through {via}): {found:?}"
        );
        if what != "clear" && !what.starts_with("an Automerge") {
            assert!(
                !hay.windows(m.len()).any(|w| w == m.as_bytes()),
                "{what}: the marker is in clear, so this case proves nothing"
            );
        }
    }
    // An Automerge document deflates its columns: the marker is not in clear in its bytes,
    // only in what inflates from them. (A change set, as an envelope seals it, holds its
    // changes uncompressed: the marker is in clear there, found above as bytes.)
    assert!(
        !saved.windows(m.len()).any(|w| w == m.as_bytes()),
        "the Automerge document holds the marker in clear, so it proves nothing about deflate"
    );
    let found = reveal::find(&saved, &[m]);
    assert!(
        found.iter().any(|f| f.path.contains("deflate")),
        "the marker was not found in the compressed Automerge document: {found:?}"
    );
    // And ignoring case, as text.
    let shouted = format!("note: {}", m.to_ascii_uppercase());
    let found = reveal::find(&buried(shouted.as_bytes()), &[m]);
    assert!(
        found.iter().any(|f| f.path.contains("ignoring case")),
        "{found:?}"
    );
}
