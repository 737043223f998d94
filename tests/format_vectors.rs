//! Test vectors of docs/FORMAT.md (`tests/fixtures/format-1/vectors.json`): one object of
//! each format, as bytes this release wrote, with the keys that open them and the values
//! they must decode to. Every build decodes each, checks its signatures, opens what can be
//! opened, compares the fields and re-encodes it to the same bytes. Another implementation
//! can check itself against the same file. `CARNET_WRITE_FORMAT_VECTORS=1` writes it (once
//! per format version; never rewritten).

use std::path::{Path, PathBuf};

use carnet::consent::{Action, ConsentLog, Cosigned, DeviceRemoval, RetiredHead, SignedEntry};
use carnet::crypto::{
    DeviceCert, DeviceId, DeviceSecret, ENVELOPE_VERSION, Envelope, EnvelopeHeader, EpochKey,
    IdentityCard, KeyGrant, KeyGrantHeader, PersonSecret, RecordId, Role, Signer,
};
use data_encoding::HEXLOWER;
use serde_json::{Value, json};

fn path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/format-1/vectors.json")
}

fn hex(b: &[u8]) -> String {
    HEXLOWER.encode(b)
}

fn unhex(v: &Value) -> Vec<u8> {
    HEXLOWER
        .decode(v.as_str().expect("a hex string").as_bytes())
        .expect("hex")
}

fn write() {
    assert!(!path().exists(), "vectors are never rewritten");
    let patient = PersonSecret::generate().unwrap();
    let doctor = PersonSecret::generate().unwrap();
    let card = IdentityCard::issue(
        &patient,
        "Alice Vector",
        Role::Patient,
        vec![[7; 32]],
        1_700_000_000,
    )
    .unwrap();
    let doctor_card =
        IdentityCard::issue(&doctor, "Dr Vector", Role::Clinician, vec![], 1_700_000_000).unwrap();
    let record = RecordId::of_patient(&patient.person_id());
    let device = DeviceId([0x11; 16]);
    let phone = DeviceId([0x22; 16]);
    let phone_key = DeviceSecret::generate().unwrap();
    let cert = DeviceCert::issue(
        &patient,
        phone,
        [9; 32],
        Some(phone_key.public()),
        1_700_000_001,
    );
    let key = EpochKey::generate().unwrap();
    let plaintext = b"an Automerge change set would be here".to_vec();
    let header = |device, seq| EnvelopeHeader {
        version: ENVELOPE_VERSION,
        record,
        section: 6,
        epoch: 0,
        author: patient.person_id(),
        device,
        seq,
        prev: None,
    };
    let env1 = Envelope::seal(header(device, 1), &plaintext, &key, &patient).unwrap();
    let env2 = Envelope::seal(
        header(phone, 1),
        &plaintext,
        &key,
        Signer::Device(&phone_key, &cert),
    )
    .unwrap();
    let kg = KeyGrant::seal(
        KeyGrantHeader {
            record,
            section: 6,
            epoch: 0,
            grantee: doctor.person_id(),
            grant: [3; 8],
        },
        &key,
        &doctor_card,
        &patient,
    )
    .unwrap();
    let mut log = ConsentLog::new(record, patient.person_id());
    log.append(
        &patient,
        Action::Genesis {
            patient_card: card.to_text(),
        },
        1_700_000_002,
    )
    .unwrap();
    let entry = log.entries()[0].as_bytes().to_vec();
    let checkpoint = log.checkpoint(&patient).unwrap();
    let cosigned = Cosigned::cosign(
        &checkpoint,
        &record,
        &patient.person_id(),
        &doctor,
        1_700_000_003,
    )
    .unwrap();
    let removal = DeviceRemoval {
        person: doctor.person_id(),
        record,
        device: phone,
        heads: vec![RetiredHead {
            epoch: 0,
            seq: 1,
            tag: [5; 32],
        }],
        issued: 1_700_000_004,
    }
    .sign(&doctor)
    .unwrap();
    let v = json!({
        "about": "Carnet format test vectors, format-1 (docs/FORMAT.md). Test data only: these keys protect nothing.",
        "patient_secret": hex(&patient.to_bytes()),
        "doctor_secret": hex(&doctor.to_bytes()),
        "card": { "text": card.to_text(), "name": "Alice Vector", "role": "patient", "person": patient.person_id().to_string(), "issued": 1_700_000_000u64 },
        "device_cert": { "bytes": hex(cert.as_bytes()), "device": hex(&phone.0), "endpoint": hex(&[9; 32]), "signing": hex(&phone_key.public()) },
        "epoch_key": hex(key.expose()),
        "plaintext": hex(&plaintext),
        "envelope_v1": { "bytes": hex(env1.as_bytes()), "id": env1.id().to_hex(), "device": hex(&device.0) },
        "envelope_v2": { "bytes": hex(env2.as_bytes()), "id": env2.id().to_hex(), "device": hex(&phone.0) },
        "key_grant": { "bytes": hex(kg.as_bytes()), "grant": hex(&[3; 8]) },
        "consent_entry": { "bytes": hex(&entry), "index": 0, "time": 1_700_000_002u64 },
        "checkpoint": checkpoint,
        "cosigned": { "witness": doctor.person_id().to_string(), "note": cosigned.note, "time": 1_700_000_003u64 },
        "device_removal": { "bytes": hex(&removal) },
    });
    std::fs::write(path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn every_format_decodes_verifies_and_re_encodes_as_its_vector_says() {
    if std::env::var_os("CARNET_WRITE_FORMAT_VECTORS").is_some() {
        write();
    }
    let v: Value = serde_json::from_slice(&std::fs::read(path()).unwrap()).unwrap();
    let patient = PersonSecret::from_bytes(&unhex(&v["patient_secret"])).unwrap();
    let doctor = PersonSecret::from_bytes(&unhex(&v["doctor_secret"])).unwrap();
    let record = RecordId::of_patient(&patient.person_id());

    // Identity card: self-signed text; parses to its fields.
    let card = IdentityCard::from_text(v["card"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(card.name(), "Alice Vector");
    assert_eq!(card.role(), Role::Patient);
    assert_eq!(
        card.person_id().to_string(),
        v["card"]["person"].as_str().unwrap()
    );
    assert_eq!(card.issued(), 1_700_000_000);
    assert_eq!(card.endpoints(), &[[7u8; 32]]);
    assert_eq!(card.to_text(), v["card"]["text"].as_str().unwrap());

    // Device certificate (v2): the patient's signature, the names it binds.
    let cert_bytes = unhex(&v["device_cert"]["bytes"]);
    let cert = DeviceCert::from_bytes(&cert_bytes).unwrap();
    let claim = cert.verify(&[9; 32]).unwrap();
    assert_eq!(claim.person, patient.person_id());
    assert_eq!(
        hex(&claim.device.0),
        v["device_cert"]["device"].as_str().unwrap()
    );
    assert_eq!(
        claim.signing.map(|k| hex(&k)),
        v["device_cert"]["signing"].as_str().map(str::to_string)
    );
    assert_eq!(cert.as_bytes(), &cert_bytes[..]);

    // Envelopes, format 1 and 2: id = BLAKE3 of the bytes, signature, body.
    let key = EpochKey::from_slice(&unhex(&v["epoch_key"])).unwrap();
    let plaintext = unhex(&v["plaintext"]);
    for (name, version) in [("envelope_v1", 1u8), ("envelope_v2", 2u8)] {
        let bytes = unhex(&v[name]["bytes"]);
        let env = Envelope::from_bytes(&bytes).unwrap();
        env.verify().unwrap();
        assert_eq!(env.id().to_hex(), v[name]["id"].as_str().unwrap(), "{name}");
        let h: &EnvelopeHeader = env.header();
        assert_eq!(
            (h.version, h.section, h.epoch, h.seq),
            (version, 6, 0, 1),
            "{name}"
        );
        assert_eq!(
            (h.record, h.author),
            (record, patient.person_id()),
            "{name}"
        );
        assert_eq!(
            hex(&h.device.0),
            v[name]["device"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(env.open(&key).unwrap().as_slice(), &plaintext[..], "{name}");
        assert_eq!(env.as_bytes(), &bytes[..], "{name}");
        assert_eq!(env.device_cert().is_some(), version == 2, "{name}");
    }

    // Key grant: signed by the patient, opened by the grantee to the epoch key.
    let kg_bytes = unhex(&v["key_grant"]["bytes"]);
    let kg = KeyGrant::from_bytes(&kg_bytes).unwrap();
    kg.verify_by(&patient.person_id()).unwrap();
    assert_eq!(kg.open(&doctor).unwrap().expose(), key.expose());
    assert_eq!(
        hex(&kg.header().grant),
        v["key_grant"]["grant"].as_str().unwrap()
    );
    assert_eq!(kg.as_bytes(), &kg_bytes[..]);

    // Consent entry (the genesis), the checkpoint of the log it starts, the cosignature.
    let entry_bytes = unhex(&v["consent_entry"]["bytes"]);
    let entry = SignedEntry::from_bytes(&entry_bytes).unwrap();
    entry.verify(&patient.person_id()).unwrap();
    assert_eq!(entry.entry().index, 0);
    assert_eq!(entry.entry().time, 1_700_000_002);
    assert!(
        matches!(&entry.entry().action, Action::Genesis { patient_card } if *patient_card == card.to_text())
    );
    let mut log = ConsentLog::new(record, patient.person_id());
    log.push(entry).unwrap();
    assert_eq!(
        log.check_checkpoint(v["checkpoint"].as_str().unwrap())
            .unwrap(),
        1
    );
    let cosigned = Cosigned {
        witness: doctor.person_id(),
        note: v["cosigned"]["note"].as_str().unwrap().to_string(),
    };
    let w = cosigned.check(&record, &patient.person_id()).unwrap();
    assert_eq!((w.size, w.time), (1, 1_700_000_003));
    assert_eq!(w.root, log.root(1).unwrap());

    // Device removal: signed by its person.
    let removal = DeviceRemoval::verified(&unhex(&v["device_removal"]["bytes"])).unwrap();
    assert_eq!(removal.person, doctor.person_id());
    assert_eq!(
        (removal.record, removal.device),
        (record, DeviceId([0x22; 16]))
    );
    assert_eq!(removal.heads.len(), 1);
}

fn takeover_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/format-1/takeover.json")
}

/// Writes the takeover vectors (once): a log of a genesis, a root declaration and a
/// takeover, with the recovery phrase the root comes from and the checkpoint the new key
/// signed.
fn write_takeover() {
    assert!(!takeover_path().exists(), "vectors are never rewritten");
    let patient = PersonSecret::generate().unwrap();
    let new_key = PersonSecret::generate().unwrap();
    let phrase = carnet::crypto::RecoveryPhrase::generate().unwrap();
    let root = phrase.key().unwrap().root();
    let card = IdentityCard::issue(
        &patient,
        "Alice Vector",
        Role::Patient,
        vec![],
        1_700_000_000,
    )
    .unwrap();
    let record = RecordId::of_patient(&patient.person_id());
    let mut log = ConsentLog::new(record, patient.person_id());
    log.append(
        &patient,
        Action::Genesis {
            patient_card: card.to_text(),
        },
        1_700_000_001,
    )
    .unwrap();
    log.append_root(&patient, &root, 1_700_000_002).unwrap();
    log.append_takeover(
        &root,
        &new_key,
        DeviceId([0x33; 16]),
        [4; 32],
        [5; 32],
        None,
        1_700_000_003,
    )
    .unwrap();
    let v = json!({
        "about": "Carnet takeover test vectors, format-1 (docs/FORMAT.md, Root and takeover). Test data only: these keys protect nothing.",
        "patient_secret": hex(&patient.to_bytes()),
        "recovery_phrase": phrase.expose(),
        "root": hex(&root.public().0),
        "new_key": new_key.person_id().to_string(),
        "entries": log.entries().iter().map(|e| hex(e.as_bytes())).collect::<Vec<_>>(),
        "checkpoint": log.checkpoint(&new_key).unwrap(),
    });
    std::fs::write(takeover_path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn a_takeover_verifies_as_its_vector_says() {
    if std::env::var_os("CARNET_WRITE_FORMAT_VECTORS").is_some() && !takeover_path().exists() {
        write_takeover();
    }
    let v: Value = serde_json::from_slice(&std::fs::read(takeover_path()).unwrap()).unwrap();
    let patient = PersonSecret::from_bytes(&unhex(&v["patient_secret"])).unwrap();
    let phrase =
        carnet::crypto::RecoveryPhrase::parse(v["recovery_phrase"].as_str().unwrap()).unwrap();
    let root = phrase.key().unwrap().root();
    assert_eq!(hex(&root.public().0), v["root"].as_str().unwrap());
    let record = RecordId::of_patient(&patient.person_id());
    let mut log = ConsentLog::new(record, patient.person_id());
    for (i, e) in v["entries"].as_array().unwrap().iter().enumerate() {
        let bytes = unhex(e);
        let signed = SignedEntry::from_bytes(&bytes).unwrap();
        assert_eq!(signed.as_bytes(), &bytes[..]);
        assert_eq!(signed.entry().index, i as u64);
        log.push(signed).unwrap();
    }
    assert_eq!(log.root_key().map(|r| r.0), Some(root.public().0));
    assert_eq!(log.signer().to_string(), v["new_key"].as_str().unwrap());
    assert!(matches!(
        log.entries()[2].entry().action,
        Action::Takeover { device, signing, .. } if device == DeviceId([0x33; 16]) && signing == [5; 32]
    ));
    assert_eq!(
        log.check_checkpoint(v["checkpoint"].as_str().unwrap())
            .unwrap(),
        3
    );
}

/// Added with issue 19 (mailboxes), in a file of its own so the format-1 vectors above stay
/// as written: an identity card announcing a mailbox (card body version 2) and a consent
/// entry saying a bundle was left at a mailbox (`Action::Deposited`). A card without
/// mailboxes is still version 1 (the card above reads and re-encodes as before).
fn mailbox_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/format-1/mailboxes.json")
}

const MAILBOX_TICKET: &str = "carnet-mailbox1:vector";

fn write_mailbox_vectors(patient: &PersonSecret, doctor: &PersonSecret) {
    assert!(!mailbox_path().exists(), "vectors are never rewritten");
    let card = IdentityCard::issue_with_mailboxes(
        patient,
        "Alice Vector",
        Role::Patient,
        vec![],
        1_700_000_100,
        vec![MAILBOX_TICKET.to_string()],
    )
    .unwrap();
    let record = RecordId::of_patient(&patient.person_id());
    let mut log = ConsentLog::new(record, patient.person_id());
    log.append(
        patient,
        Action::Genesis {
            patient_card: card.to_text(),
        },
        1_700_000_101,
    )
    .unwrap();
    log.append(
        patient,
        Action::Deposited {
            to: doctor.person_id(),
            mailbox: [5; 32],
            ranges: vec![carnet::consent::Range {
                section: carnet::consent::SectionTag([6; 16]),
                author: patient.person_id(),
                device: DeviceId([7; 16]),
                from: 1,
                to: 3,
            }],
        },
        1_700_000_102,
    )
    .unwrap();
    let v = json!({
        "about": "Carnet format test vectors added with mailboxes (issue 19): a version-2 identity card and a Deposited consent entry. Test data only; the keys are those of vectors.json.",
        "card": { "text": card.to_text(), "mailboxes": [MAILBOX_TICKET], "issued": 1_700_000_100u64 },
        "deposited_entry": { "bytes": hex(log.entries()[1].as_bytes()), "index": 1, "mailbox": hex(&[5; 32]) },
    });
    std::fs::write(mailbox_path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn a_card_announcing_a_mailbox_and_a_deposit_entry_decode_as_their_vectors_say() {
    let v: Value = serde_json::from_slice(&std::fs::read(path()).unwrap()).unwrap();
    let patient = PersonSecret::from_bytes(&unhex(&v["patient_secret"])).unwrap();
    let doctor = PersonSecret::from_bytes(&unhex(&v["doctor_secret"])).unwrap();
    if std::env::var_os("CARNET_WRITE_FORMAT_VECTORS").is_some() && !mailbox_path().exists() {
        write_mailbox_vectors(&patient, &doctor);
    }
    let m: Value = serde_json::from_slice(&std::fs::read(mailbox_path()).unwrap()).unwrap();
    let text = m["card"]["text"].as_str().unwrap();
    let card = IdentityCard::from_text(text).unwrap();
    assert_eq!(card.person_id(), patient.person_id());
    assert_eq!(card.mailboxes(), &[MAILBOX_TICKET.to_string()]);
    assert_eq!(card.issued(), 1_700_000_100);
    assert_eq!(card.to_text(), text);
    // The format-1 card announces none and is unchanged.
    let old = IdentityCard::from_text(v["card"]["text"].as_str().unwrap()).unwrap();
    assert!(old.mailboxes().is_empty());
    assert_eq!(old.to_text(), v["card"]["text"].as_str().unwrap());

    let bytes = unhex(&m["deposited_entry"]["bytes"]);
    let entry = SignedEntry::from_bytes(&bytes).unwrap();
    entry.verify(&patient.person_id()).unwrap();
    assert_eq!(entry.entry().index, 1);
    match &entry.entry().action {
        Action::Deposited {
            to,
            mailbox,
            ranges,
        } => {
            assert_eq!(*to, doctor.person_id());
            assert_eq!(
                hex(mailbox),
                m["deposited_entry"]["mailbox"].as_str().unwrap()
            );
            assert_eq!((ranges[0].from, ranges[0].to), (1, 3));
        }
        other => panic!("not a deposit: {other:?}"),
    }
    assert_eq!(entry.as_bytes(), &bytes[..]);
}
