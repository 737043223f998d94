//! Property tests: codec round trips and CRDT convergence.

use carnet_record::*;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 éà'-]{1,20}".prop_filter("non-blank", |s| !s.trim().is_empty())
}

fn date() -> impl Strategy<Value = Date> {
    (1900i32..2100, 1u8..=12, 1u8..=28, 0u8..3).prop_map(|(y, m, d, form)| {
        match form {
            0 => format!("{y:04}"),
            1 => format!("{y:04}-{m:02}"),
            _ => format!("{y:04}-{m:02}-{d:02}"),
        }
        .parse()
        .unwrap()
    })
}

fn datetime() -> impl Strategy<Value = DateTime> {
    (0i64..4_000_000_000).prop_map(|s| DateTime::from_unix(s).unwrap())
}

fn code() -> impl Strategy<Value = Option<Code>> {
    proptest::option::of(
        ("[0-9]{1,8}", proptest::option::of(text())).prop_map(|(c, d)| Code {
            system: systems::SNOMED.into(),
            code: c,
            display: d,
        }),
    )
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        (
            text(),
            code(),
            proptest::option::of(prop_oneof![Just(Criticality::Low), Just(Criticality::High)]),
            proptest::option::of(text())
        )
            .prop_map(
                |(substance, code, criticality, reaction)| Entry::Allergy(Allergy {
                    substance,
                    code,
                    criticality,
                    reaction,
                    onset: None,
                })
            ),
        (text(), code(), proptest::option::of(date())).prop_map(|(name, code, onset)| {
            Entry::Condition(Condition {
                name,
                code,
                onset,
                abatement: None,
                status: ConditionStatus::Resolved,
            })
        }),
        (text(), code(), date(), proptest::option::of(text())).prop_map(
            |(vaccine, code, date, lot)| Entry::Immunization(Immunization {
                vaccine,
                code,
                date: Some(date),
                lot,
                status: Default::default(),
                status_reason: None,
                date_text: None,
            })
        ),
        (1.0f64..500.0, datetime(), proptest::option::of(text())).prop_map(|(v, at, source)| {
            Entry::Measurement(
                Measurement::from_input("weight", &v.to_string(), "kg", at, source).unwrap(),
            )
        }),
        (text(), proptest::option::of(text()))
            .prop_map(|(text, title)| Entry::Note(Note { text, title })),
    ]
}

fn section_of(e: &Entry) -> SectionId {
    e.section()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn entries_round_trip_through_the_document(e in entry()) {
        let mut doc = SectionDoc::new(section_of(&e), [1; 16]);
        let (id, changes) = doc.insert(&e).unwrap();
        prop_assert_eq!(&doc.get(&id).unwrap().unwrap().entry, &e);
        let bytes = changes.to_bytes();
        let back = ChangeSet::from_bytes(&bytes).unwrap();
        let mut other = SectionDoc::new(section_of(&e), [2; 16]);
        other.apply(&back).unwrap();
        prop_assert_eq!(&other.get(&id).unwrap().unwrap().entry, &e);
        let loaded = SectionDoc::load(section_of(&e), &doc.save(), [3; 16]).unwrap();
        prop_assert_eq!(loaded.entries().unwrap(), doc.entries().unwrap());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(cs) = ChangeSet::from_bytes(&bytes) {
            let mut doc = SectionDoc::new(SectionId::Notes, [1; 16]);
            let _ = doc.apply(&cs);
            let _ = doc.entries_lossy();
        }
        let _ = SectionDoc::load(SectionId::Notes, &bytes, [1; 16]);
    }

    #[test]
    fn replicas_converge_whatever_the_delivery_order(
        ops in proptest::collection::vec((0usize..3, 0u8..3, text()), 1..25),
        seed in any::<u64>(),
    ) {
        // Three devices edit the notes section offline, then exchange every change set in
        // a shuffled order, with duplicates.
        let mut docs: Vec<SectionDoc> = (0..3).map(|i| SectionDoc::new(SectionId::Notes, [i as u8 + 1; 16])).collect();
        let mut log: Vec<ChangeSet> = Vec::new();
        for (who, op, t) in ops {
            let doc = &mut docs[who];
            let ids: Vec<EntryId> = doc.entries().unwrap().into_iter().map(|e| e.id).collect();
            let cs = match (op, ids.first()) {
                (1, Some(id)) => doc.update(id, &Entry::Note(Note { text: t, title: Some("edited".into()) })).unwrap(),
                (2, Some(id)) => doc.remove(id).unwrap(),
                _ => doc.insert(&Entry::Note(Note { text: t, title: None })).unwrap().1,
            };
            log.push(cs);
        }
        let mut order: Vec<usize> = (0..log.len()).chain(0..log.len() / 2).collect();
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        for (k, doc) in docs.iter_mut().enumerate() {
            let mut my_order = order.clone();
            let n = my_order.len().max(1);
            my_order.rotate_left(k % n);
            for &i in &my_order {
                doc.apply(&log[i]).unwrap();
            }
        }
        let first = docs[0].entries().unwrap();
        for d in &docs[1..] {
            prop_assert_eq!(&d.entries().unwrap(), &first);
        }
    }
}
