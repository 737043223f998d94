//! Many writers on one vault at once: handles in threads of one process, each with its own
//! open of the same redb file, adding, editing, removing, attaching and importing in the
//! same sections. Every change reported committed must be there afterwards, the vault
//! must verify whole, and no change may clash with another (which is what two writers at
//! once did before: "duplicate seq", and the section no longer opened).

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use carnet::crypto::Role;
use carnet::record::{DateTime, DocType, Entry, Note};
use carnet::{AttachmentInput, ImportItem, LabeledItem, Vault};
use carnet_scenarios::{pass, vault};

const WRITERS: usize = 8;
const ROUNDS: usize = 3;
const ADDS: usize = 6;

fn note(text: &str) -> Entry {
    Entry::Note(Note {
        text: text.into(),
        title: None,
    })
}

fn notes(v: &mut Vault) -> BTreeSet<String> {
    let record = v.own_record().unwrap();
    v.list(&record, Some(carnet::record::SectionId::Notes))
        .unwrap()
        .into_iter()
        .map(|e| match e.entry {
            Entry::Note(n) => n.text,
            other => panic!("not a note: {other:?}"),
        })
        .collect()
}

#[test]
fn eight_writers_in_threads_lose_nothing_and_clash_never() {
    let mut t = vault("Alice", Role::Patient);
    let record = t.vault.own_record().unwrap();
    let mut expected: BTreeSet<String> = BTreeSet::new();
    let mut documents = 0;
    for round in 0..ROUNDS {
        let barrier = Arc::new(Barrier::new(WRITERS));
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let dir = t.dir.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let v = Vault::open(&dir, &pass()).unwrap();
                    // Every handle holds the section in memory before anyone writes.
                    v.list(&record, None).unwrap();
                    barrier.wait();
                    let mut kept = Vec::new();
                    for i in 0..ADDS {
                        let text = format!("r{round} w{w} n{i}");
                        let r = v.add(&record, note(&text)).unwrap();
                        match i % 3 {
                            // Edited by its writer: the edit must be what remains.
                            1 => {
                                let edited = format!("{text} edited");
                                v.edit(&record, &r.id, note(&edited)).unwrap();
                                kept.push(edited);
                            }
                            // Removed again: it must be gone.
                            2 => {
                                v.remove(&record, &r.id).unwrap();
                            }
                            _ => kept.push(text),
                        }
                    }
                    // An attachment and an import (one bulk transaction of two sections).
                    v.attach(
                        &record,
                        format!("scan {round} {w}").as_bytes(),
                        AttachmentInput {
                            title: format!("scan r{round} w{w}"),
                            doc_type: DocType::Report,
                            file_name: None,
                            media_type: "text/plain".into(),
                            date: DateTime::now(),
                        },
                    )
                    .unwrap();
                    let imported = format!("r{round} w{w} imported");
                    v.import(
                        &record,
                        vec![LabeledItem {
                            label: "Note".into(),
                            item: ImportItem::Entry(note(&imported)),
                        }],
                        &mut |_, _| {},
                    )
                    .unwrap();
                    kept.push(imported);
                    kept
                })
            })
            .collect();
        for h in handles {
            expected.extend(h.join().unwrap());
        }
        documents += WRITERS;
        // After each round, from the long-lived handle opened before it: up to date.
        assert_eq!(notes(&mut t.vault), expected, "after round {round}");
    }
    let docs = t
        .vault
        .list(&record, Some(carnet::record::SectionId::Documents))
        .unwrap();
    assert_eq!(docs.len(), documents);
    for d in &docs {
        t.vault.attachment(&record, &d.id).unwrap();
    }
    let dir = t.dir.clone();
    drop(t.vault);
    let mut v = Vault::open(&dir, &pass()).unwrap();
    assert_eq!(notes(&mut v), expected);
    let report = v.repair().unwrap();
    assert_eq!(report.set_aside, 0, "{report:?}");
    assert_eq!(report.reissued, 0);
    assert_eq!(report.consent_logs, 1);
    // Every envelope verified: the ones each writer committed, nothing more or less.
    let per_writer = ADDS + ADDS / 3 * 2 + 2;
    assert!(
        report.envelopes >= ROUNDS * WRITERS * per_writer,
        "{} envelopes for {} writes",
        report.envelopes,
        ROUNDS * WRITERS * per_writer
    );
}
