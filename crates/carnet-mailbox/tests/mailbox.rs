//! End to end on loopback: real iroh endpoints, real vaults, a real redb store.

use std::net::SocketAddr;
use std::path::Path;

use carnet::consent::Access;
use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, PersonId, Role};
use carnet::record::{Entry, Medication, MedicationStatus, Note, SectionId};
use carnet::{CreateOptions, Vault};
use carnet_mailbox::frame::{self, Frame};
use carnet_mailbox::{
    ClientConfig, Limits, Mailbox, MailboxClient, MailboxConfig, MailboxError, MailboxStore,
    MailboxTicket, Quota, Refusal, collect_into, deposit_for,
};

#[path = "../../../tests/reveal.rs"]
mod reveal;

const NOTE: &str = "MARKERNOTE take amoxicillin after meals";
const DRUG: &str = "MARKERDRUG Amoxicillin";
const DOSE: &str = "MARKERDOSE 500 mg three times a day";

/// The one place vaults are made (a change of `Vault::create` is fixed here).
fn new_vault(dir: &Path, name: &str, role: Role) -> Vault {
    let opts = CreateOptions {
        name: name.into(),
        role,
        kdf_log_n: MasterKey::MIN_LOG_N,
    };
    Vault::create(
        &dir.join(name),
        &SecretString::from(format!("{name} pass")),
        &opts,
    )
    .unwrap()
    .vault
}

/// A patient who shared notes and medications (write) with a GP, the GP having imported
/// the grant (by a bundle file, as offline sharing does).
struct World {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    alice: Vault,
    gp: Vault,
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let alice = new_vault(&dir, "Alice", Role::Patient);
    let gp = new_vault(&dir, "Dr Martin", Role::Clinician);
    alice
        .add_contact("Dr Martin", &gp.card().to_text())
        .unwrap();
    gp.add_contact("Alice", &alice.card().to_text()).unwrap();
    alice
        .grant(
            "Dr Martin",
            &[SectionId::Notes, SectionId::Medications],
            Access::Write,
            "follow-up",
            None,
        )
        .unwrap();
    let b = dir.join("grant.bundle");
    alice.export_bundle(&gp.card().clone(), false, &b).unwrap();
    gp.import_bundle(&b).unwrap();
    World {
        _tmp: tmp,
        dir,
        alice,
        gp,
    }
}

fn prescribe(gp: &mut Vault, record: &carnet::crypto::RecordId) {
    gp.add(
        record,
        Entry::Note(Note {
            text: NOTE.into(),
            title: None,
        }),
    )
    .unwrap();
    gp.add(
        record,
        Entry::Medication(Medication {
            name: DRUG.into(),
            code: None,
            dosage: Some(DOSE.into()),
            start: None,
            end: None,
            status: MedicationStatus::Active,
            status_reason: None,
        }),
    )
    .unwrap();
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn start(store_dir: &Path, config: MailboxConfig) -> (Mailbox, MailboxTicket) {
    // A restart on the address the mailbox had: the socket of the one just shut down may
    // take a moment to be released, so a few tries (seen failing once in a full run).
    let mut tries = 0;
    loop {
        let store = MailboxStore::open(store_dir).unwrap();
        match Mailbox::start(store, config.clone()).await {
            Ok(mailbox) => {
                let ticket = mailbox.ticket();
                return (mailbox, ticket);
            }
            Err(e) if tries < 20 && config.bind.is_some_and(|b| b.port() != 0) => {
                tries += 1;
                eprintln!("mailbox did not start ({e}); trying again");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the mailbox did not start: {e}"),
        }
    }
}

fn loopback() -> MailboxConfig {
    MailboxConfig {
        bind: Some("127.0.0.1:0".parse().unwrap()),
        ..MailboxConfig::default()
    }
}

/// Serves `mailbox` in the background; the returned sender stops it.
fn serve(
    mailbox: Mailbox,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Mailbox>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        mailbox
            .serve(tx, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        mailbox
    });
    (stop, task)
}

async fn client(vault: &mut Vault) -> MailboxClient {
    MailboxClient::for_vault(vault, ClientConfig::default())
        .await
        .unwrap()
}

async fn deposit(
    vault: &mut Vault,
    ticket: &MailboxTicket,
    peer: &str,
) -> Result<carnet_mailbox::DepositReport, MailboxError> {
    let c = client(vault).await;
    let mut s = c.connect(ticket).await?;
    let r = deposit_for(vault, &mut s, peer, false).await;
    s.finish().await;
    c.shutdown().await;
    r
}

async fn collect(vault: &mut Vault, ticket: &MailboxTicket) -> carnet_mailbox::CollectReport {
    let c = client(vault).await;
    let mut s = c.connect(ticket).await.unwrap();
    let r = collect_into(vault, &mut s).await.unwrap();
    s.finish().await;
    c.shutdown().await;
    r
}

fn texts(vault: &mut Vault, record: &carnet::crypto::RecordId) -> Vec<String> {
    vault
        .list(record, None)
        .unwrap()
        .into_iter()
        .map(|e| e.entry.summary())
        .collect()
}

/// What a vault holds, to compare before and after: its entries and its change marker.
fn state(vault: &mut Vault) -> (Vec<String>, [u8; 32]) {
    let record = vault.own_record().unwrap();
    (
        texts(vault, &record),
        vault.engine().change_marker().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prescription_waits_for_an_offline_patient_across_a_restart() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let store_dir = w.dir.join("mailbox");
    let (mut mailbox, ticket) = start(&store_dir, loopback()).await;
    let me = w.alice.person_id();
    mailbox
        .store()
        .allow(&w.gp.person_id(), "Dr Martin")
        .unwrap();
    let (stop, task) = serve(mailbox);

    // The patient is offline: the GP prescribes and deposits.
    prescribe(&mut w.gp, &record);
    let sent = deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    assert_eq!(sent.to_id, me.to_string());
    assert!(sent.envelopes >= 2, "{sent:?}");

    // The mailbox stops and starts again on the same address: nothing is lost.
    stop.send(()).unwrap();
    mailbox = task.await.unwrap();
    let port = ticket.addrs[0].port();
    mailbox.shutdown().await;
    let config = MailboxConfig {
        bind: Some(SocketAddr::from(([127, 0, 0, 1], port))),
        ..MailboxConfig::default()
    };
    let (mailbox, again) = start(&store_dir, config).await;
    assert_eq!(again.endpoint, ticket.endpoint, "the identity is kept");
    let held = mailbox.store().items().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].1.to, me);
    assert_eq!(held[0].1.from, w.gp.person_id());

    // The mailbox's file holds none of what was written, nor the names.
    let raw = std::fs::read(mailbox.store().path()).unwrap();
    let found = reveal::needles_found(
        &raw,
        &[
            "MARKERNOTE",
            "MARKERDRUG",
            "MARKERDOSE",
            "amoxicillin",
            "Alice",
            "Dr Martin",
        ],
    );
    // "Dr Martin" is in the allowlist, which the owner wrote; nothing else may be there.
    let found: Vec<_> = found.iter().filter(|f| f.needle != "Dr Martin").collect();
    assert!(found.is_empty(), "the mailbox store reveals {found:?}");

    let (stop, task) = serve(mailbox);
    // The patient comes online and collects.
    let got = collect(&mut w.alice, &ticket).await;
    assert_eq!(got.imported.len(), 1, "{got:?}");
    assert!(got.refused.is_empty(), "{got:?}");
    let seen = texts(&mut w.alice, &record);
    assert!(seen.iter().any(|t| t.contains("MARKERNOTE")), "{seen:?}");
    assert!(seen.iter().any(|t| t.contains("MARKERDRUG")), "{seen:?}");
    // Collected items are deleted once acknowledged.
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(mailbox.store().items().unwrap().is_empty());
    mailbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_mailbox_changes_nothing_an_honest_one_would_not() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let tmp = w.dir.join("mailbox");
    let mut bob = new_vault(&w.dir, "Bob", Role::Patient);
    let (mailbox, ticket) = start(&tmp, loopback()).await;
    mailbox
        .store()
        .allow(&w.gp.person_id(), "Dr Martin")
        .unwrap();
    let (stop, task) = serve(mailbox);

    prescribe(&mut w.gp, &record);
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    let (id, meta) = mailbox.store().items().unwrap().remove(0);
    let genuine = mailbox.store().bytes(id).unwrap().unwrap();
    let before = state(&mut w.alice);

    // Altered: one byte flipped in the middle.
    let mut altered = genuine.clone();
    let mid = altered.len() / 2;
    altered[mid] ^= 1;
    mailbox.store().tamper(id, None, Some(&altered)).unwrap();
    // Truncated, deposited as another item.
    let limits = Limits::default();
    let cut = mailbox
        .store()
        .deposit(
            &meta.from,
            &meta.to,
            &genuine[..genuine.len() - 40],
            now(),
            &limits,
        )
        .unwrap();
    let (stop, task) = serve(mailbox);
    let got = collect(&mut w.alice, &ticket).await;
    assert!(got.imported.is_empty(), "{got:?}");
    assert_eq!(got.refused.len(), 2, "{got:?}");
    assert_eq!(state(&mut w.alice), before, "a bad item changed the vault");
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(
        mailbox.store().items().unwrap().is_empty(),
        "refused items are acknowledged, not collected forever"
    );
    let _ = cut;

    // Misrouted: Alice's item handed to Bob. Bob's vault refuses it; Bob's record is
    // unchanged, and nothing of Alice's reaches him.
    let id = mailbox
        .store()
        .deposit(&meta.from, &meta.to, &genuine, now(), &limits)
        .unwrap();
    mailbox
        .store()
        .tamper(id, Some(bob.person_id()), None)
        .unwrap();
    let bob_before = state(&mut bob);
    let (stop, task) = serve(mailbox);
    let got = collect(&mut bob, &ticket).await;
    assert!(got.imported.is_empty(), "{got:?}");
    assert_eq!(got.refused.len(), 1, "{got:?}");
    assert!(
        got.refused[0]
            .error
            .to_string()
            .contains("not addressed to you"),
        "{got:?}"
    );
    assert_eq!(state(&mut bob), bob_before);
    assert!(bob.patients().unwrap().is_empty());
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();

    // Honest delivery, then a replay of the same item: taken once.
    mailbox
        .store()
        .deposit(&meta.from, &meta.to, &genuine, now(), &limits)
        .unwrap();
    mailbox
        .store()
        .deposit(&meta.from, &meta.to, &genuine, now(), &limits)
        .unwrap();
    let (stop, task) = serve(mailbox);
    let got = collect(&mut w.alice, &ticket).await;
    assert_eq!(got.imported.len(), 1, "{got:?}");
    assert_eq!(got.refused.len(), 1, "{got:?}");
    assert!(
        matches!(*got.refused[0].error, carnet::Error::AlreadyImported),
        "{got:?}"
    );
    let after = state(&mut w.alice);
    assert!(after.0.iter().any(|t| t.contains("MARKERNOTE")));

    // Dropped: the GP's next item is deleted by the mailbox. Alice's vault is as it was;
    // the GP's bundle after it is refused (it continues one she never got) and says so.
    w.gp.add(
        &record,
        Entry::Note(Note {
            text: "second note".into(),
            title: None,
        }),
    )
    .unwrap();
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    for (id, _) in mailbox.store().items().unwrap() {
        mailbox
            .store()
            .remove_for(id, &w.alice.person_id())
            .unwrap();
    }
    let (stop, task) = serve(mailbox);
    let got = collect(&mut w.alice, &ticket).await;
    assert!(got.imported.is_empty() && got.refused.is_empty(), "{got:?}");
    assert_eq!(state(&mut w.alice), after);
    w.gp.add(
        &record,
        Entry::Note(Note {
            text: "third note".into(),
            title: None,
        }),
    )
    .unwrap();
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    let got = collect(&mut w.alice, &ticket).await;
    assert!(got.imported.is_empty(), "{got:?}");
    assert_eq!(got.refused.len(), 1, "{got:?}");
    assert!(
        got.refused[0].error.to_string().contains("earlier"),
        "{got:?}"
    );
    assert_eq!(state(&mut w.alice), after);
    stop.send(()).unwrap();
    task.await.unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depositors_are_allowed_and_held_to_quotas() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let tmp = w.dir.join("mailbox");
    let config = MailboxConfig {
        limits: Limits {
            per_depositor: Quota {
                items: 1,
                bytes: 1 << 20,
            },
            ..Limits::default()
        },
        ..loopback()
    };
    let (mailbox, ticket) = start(&tmp, config).await;
    let gp_id = w.gp.person_id();
    let (stop, task) = serve(mailbox);

    // Not on the allowlist: refused before anything is stored.
    prescribe(&mut w.gp, &record);
    let err = deposit(&mut w.gp, &ticket, "Alice").await.unwrap_err();
    assert!(
        matches!(err, MailboxError::Refused(Refusal::NotAllowed)),
        "{err}"
    );
    assert!(err.to_string().contains("has not allowed you"), "{err}");
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(mailbox.store().items().unwrap().is_empty());
    mailbox.store().allow(&gp_id, "Dr Martin").unwrap();
    let (stop, task) = serve(mailbox);

    // Allowed: one item, then over the quota, with a clear error.
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    let err = deposit(&mut w.gp, &ticket, "Alice").await.unwrap_err();
    assert!(
        matches!(err, MailboxError::Refused(Refusal::DepositorFull { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("over your quota"), "{err}");
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert_eq!(mailbox.store().items().unwrap().len(), 1);
    mailbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_recipients_devices_collect() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let tmp = w.dir.join("mailbox");
    let (mailbox, ticket) = start(
        &tmp,
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await;
    let (stop, task) = serve(mailbox);
    prescribe(&mut w.gp, &record);
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();

    // Another person collects: nothing for them, and Alice's item stays.
    let mut eve = new_vault(&w.dir, "Eve", Role::Patient);
    let got = collect(&mut eve, &ticket).await;
    assert!(got.imported.is_empty() && got.refused.is_empty(), "{got:?}");

    // Eve presents Alice's card and device certificate from her own endpoint: refused.
    let eve_secret = eve.engine().endpoint_secret().unwrap();
    let alice_cert = w.alice.engine().device_cert().unwrap().as_bytes().to_vec();
    let c = MailboxClient::start(
        &eve_secret,
        w.alice.card().to_text(),
        alice_cert,
        ClientConfig::default(),
    )
    .await
    .unwrap();
    let err = c.connect(&ticket).await.err().expect("refused");
    assert!(
        matches!(
            err,
            MailboxError::Refused(Refusal::BadCertificate(
                carnet_mailbox::CertProblem::Certificate
            ))
        ),
        "{err}"
    );
    c.shutdown().await;

    // An ack for Alice's item from Eve deletes nothing.
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    let (id, _) = mailbox.store().items().unwrap()[0].clone();
    let (stop, task) = serve(mailbox);
    let c = client(&mut eve).await;
    let mut s = c.connect(&ticket).await.unwrap();
    s.ack(id).await.unwrap();
    s.finish().await;
    c.shutdown().await;
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert_eq!(
        mailbox.store().items().unwrap().len(),
        1,
        "Eve's ack deleted Alice's item"
    );
    let (stop, task) = serve(mailbox);

    let got = collect(&mut w.alice, &ticket).await;
    assert_eq!(got.imported.len(), 1, "{got:?}");
    stop.send(()).unwrap();
    task.await.unwrap().shutdown().await;
}

#[test]
fn items_expire_and_limits_hold_in_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = MailboxStore::open(tmp.path()).unwrap();
    let (a, b) = (PersonId([1; 32]), PersonId([2; 32]));
    let limits = Limits {
        max_item_bytes: 100,
        per_recipient: Quota {
            items: 2,
            bytes: 150,
        },
        ..Limits::default()
    };
    let t0 = 1_000_000;
    store.deposit(&a, &b, &[7; 60], t0, &limits).unwrap();
    let too_big = store.deposit(&a, &b, &[7; 101], t0, &limits).unwrap_err();
    assert!(
        matches!(too_big, MailboxError::Refused(Refusal::TooLarge { .. })),
        "{too_big}"
    );
    store.deposit(&a, &b, &[7; 60], t0, &limits).unwrap();
    let full = store.deposit(&a, &b, &[7; 10], t0, &limits).unwrap_err();
    assert!(
        matches!(full, MailboxError::Refused(Refusal::RecipientFull { .. })),
        "{full}"
    );
    assert_eq!(store.waiting(&b, t0 + 1).unwrap().len(), 2);
    let thirty_days = 30 * 24 * 3600;
    assert_eq!(store.waiting(&b, t0 + thirty_days - 1).unwrap().len(), 2);
    assert!(store.waiting(&b, t0 + thirty_days).unwrap().is_empty());
    assert_eq!(store.purge_expired(t0 + thirty_days).unwrap(), 2);
    assert!(store.items().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_and_items_are_refused_before_allocation() {
    let mut w = world();
    let tmp = w.dir.join("mailbox");
    let config = MailboxConfig {
        open: true,
        limits: Limits {
            max_item_bytes: 1000,
            ..Limits::default()
        },
        ..loopback()
    };
    let (mailbox, ticket) = start(&tmp, config).await;
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        mailbox
            .serve(tx, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        mailbox
    });

    // A stranger's raw endpoint announces a 4 GiB frame: dropped, nothing allocated.
    let key = iroh::SecretKey::from_bytes(&[9; 32]);
    let ep = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .relay_mode(iroh::RelayMode::Disabled)
        .secret_key(key)
        .bind()
        .await
        .unwrap();
    let addr = iroh::EndpointAddr::from_parts(
        iroh::PublicKey::from_bytes(&ticket.endpoint).unwrap(),
        ticket.addrs.iter().map(|a| iroh::TransportAddr::Ip(*a)),
    );
    let conn = ep.connect(addr, carnet_mailbox::ALPN).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3])
        .await
        .unwrap();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), recv.read_to_end(64)).await;
    let ev = tokio::time::timeout(std::time::Duration::from_secs(10), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&ev, carnet_mailbox::Event::Failed { error, .. }
            if matches!(**error, carnet_mailbox::MailboxError::Protocol(
                carnet::transport::Violation::FrameTooLarge { .. }))),
        "{ev:?}"
    );
    ep.close().await;

    // An item over the size limit is refused before its bytes are sent.
    let c = client(&mut w.gp).await;
    let mut s = c.connect(&ticket).await.unwrap();
    let err = s
        .deposit(w.alice.person_id(), &vec![0u8; 1001])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            MailboxError::Refused(Refusal::TooLarge {
                size: 1001,
                max: 1000
            })
        ),
        "{err}"
    );
    // A raw deposit announcing a terabyte gets its refusal at once, never a `Ready`.
    let secret = w.gp.engine().endpoint_secret().unwrap();
    let raw = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .relay_mode(iroh::RelayMode::Disabled)
        .secret_key(iroh::SecretKey::from_bytes(&secret))
        .bind()
        .await
        .unwrap();
    let addr = iroh::EndpointAddr::from_parts(
        iroh::PublicKey::from_bytes(&ticket.endpoint).unwrap(),
        ticket.addrs.iter().map(|a| iroh::TransportAddr::Ip(*a)),
    );
    let conn = raw.connect(addr, carnet_mailbox::ALPN).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let wait = std::time::Duration::from_secs(10);
    frame::write(
        &mut send,
        &Frame::Hello {
            version: frame::PROTOCOL_VERSION,
            card: w.gp.card().to_text(),
            cert: w.gp.engine().device_cert().unwrap().as_bytes().to_vec(),
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        frame::expect(&mut recv, wait, "welcome").await.unwrap(),
        Frame::Welcome
    ));
    frame::write(
        &mut send,
        &Frame::Deposit {
            to: w.alice.person_id(),
            size: 1 << 40,
        },
    )
    .await
    .unwrap();
    let answer = frame::expect(&mut recv, wait, "answer").await.unwrap();
    assert!(
        matches!(answer, Frame::Refused(Refusal::TooLarge { .. })),
        "{}",
        answer.name()
    );
    conn.close(0u32.into(), b"bye");
    raw.close().await;

    // The session goes on: a small item is taken.
    s.deposit(w.alice.person_id(), &[1u8; 10]).await.unwrap();
    s.finish().await;
    c.shutdown().await;
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert_eq!(mailbox.store().items().unwrap().len(), 1);
    mailbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_on_every_interface_gives_a_ticket_that_works() {
    let mut w = world();
    let (mailbox, ticket) = start(&w.dir.join("mailbox"), MailboxConfig::default()).await;
    assert!(
        ticket.addrs.iter().any(|a| a.ip().is_loopback()),
        "{ticket:?}"
    );
    assert!(
        ticket.addrs.iter().all(|a| !a.ip().is_unspecified()),
        "{ticket:?}"
    );
    let text = ticket.to_string();
    assert_eq!(text.parse::<MailboxTicket>().unwrap(), ticket);
    let (stop, task) = serve(mailbox);
    let got = collect(&mut w.alice, &ticket).await;
    assert!(got.imported.is_empty() && got.refused.is_empty());
    stop.send(()).unwrap();
    task.await.unwrap().shutdown().await;
}

/// A deposit the mailbox refuses records nothing: the next one carries the same changes,
/// and the patient gets them (before, the refused deposit was recorded as sent, and the
/// next incremental one came without them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_deposit_records_nothing_and_the_next_one_carries_the_same_changes() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let tmp = w.dir.join("mailbox");
    let (mailbox, ticket) = start(&tmp, loopback()).await;
    let gp_id = w.gp.person_id();
    let (stop, task) = serve(mailbox);
    prescribe(&mut w.gp, &record);
    assert!(deposit(&mut w.gp, &ticket, "Alice").await.is_err());
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(mailbox.store().items().unwrap().is_empty());
    mailbox.store().allow(&gp_id, "Dr Martin").unwrap();
    let (stop, task) = serve(mailbox);
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    collect(&mut w.alice, &ticket).await;
    assert!(
        texts(&mut w.alice, &record)
            .iter()
            .any(|t| t.contains(NOTE)),
        "the refused deposit's changes never came: {:?}",
        texts(&mut w.alice, &record)
    );
    stop.send(()).unwrap();
    task.await.unwrap().shutdown().await;
}

/// Links a new device of `primary`'s person in process (as `carnet device link` does
/// over the network): the primary certifies the new device's keys and streams its dump.
fn link(primary: &mut Vault, dir: &Path, name: &str) -> Vault {
    let device = carnet::crypto::DeviceId::random().unwrap();
    let key = carnet::crypto::DeviceSecret::generate().unwrap();
    let endpoint = carnet::crypto::random_array::<32>().unwrap();
    let endpoint_pub = carnet::crypto::endpoint_public_key(&endpoint);
    let cert = primary
        .engine()
        .certify_device(device, endpoint_pub, key.public())
        .unwrap();
    let mut frames = Vec::new();
    primary
        .engine()
        .write_link_dump(&cert, &mut |f| {
            frames.push(f.to_vec());
            Ok(())
        })
        .unwrap();
    let mut frames = frames.into_iter();
    let (linked, _) = carnet::SyncEngine::link_from(
        &dir.join(name),
        &SecretString::from(format!("{name} pass")),
        MasterKey::MIN_LOG_N,
        &mut || Ok(frames.next()),
        device,
        &endpoint,
        &key,
    )
    .unwrap();
    primary
        .engine()
        .register_device(device, endpoint_pub, Some(key.public()))
        .unwrap();
    linked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_waits_until_every_device_of_the_recipient_acknowledged_it() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let mut phone = link(&mut w.alice, &w.dir, "Alice phone");
    let store_dir = w.dir.join("mailbox");
    let (mailbox, ticket) = start(&store_dir, loopback()).await;
    mailbox
        .store()
        .allow(&w.gp.person_id(), "Dr Martin")
        .unwrap();
    let (stop, task) = serve(mailbox);
    prescribe(&mut w.gp, &record);
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();

    // The laptop collects and acknowledges: the item stays for the phone.
    let got = collect(&mut w.alice, &ticket).await;
    assert_eq!(got.imported.len(), 1, "{got:?}");
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    let held = mailbox.store().items().unwrap();
    assert_eq!(held.len(), 1, "deleted before the phone acknowledged it");
    assert_eq!(
        mailbox.store().devices(&w.alice.person_id()).unwrap().len(),
        2
    );

    // A restart keeps the item and who acknowledged it.
    let port = ticket.addrs[0].port();
    mailbox.shutdown().await;
    let (mailbox, _) = start(
        &store_dir,
        MailboxConfig {
            bind: Some(SocketAddr::from(([127, 0, 0, 1], port))),
            ..MailboxConfig::default()
        },
    )
    .await;
    assert_eq!(mailbox.store().acks(held[0].0).unwrap().len(), 1);
    let (stop, task) = serve(mailbox);

    // The laptop is not offered it again.
    let again = collect(&mut w.alice, &ticket).await;
    assert!(
        again.imported.is_empty() && again.refused.is_empty(),
        "{again:?}"
    );

    // The phone collects it too; now it is deleted.
    let got = collect(&mut phone, &ticket).await;
    assert_eq!(got.imported.len() + got.refused.len(), 1, "{got:?}");
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(mailbox.store().items().unwrap().is_empty());
    mailbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_device_is_not_waited_for() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let phone = link(&mut w.alice, &w.dir, "Alice phone");
    let store_dir = w.dir.join("mailbox");
    let (mailbox, ticket) = start(
        &store_dir,
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await;
    let (stop, task) = serve(mailbox);
    prescribe(&mut w.gp, &record);
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    let got = collect(&mut w.alice, &ticket).await;
    assert_eq!(got.imported.len(), 1, "{got:?}");
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert_eq!(mailbox.store().items().unwrap().len(), 1);
    let (stop, task) = serve(mailbox);

    // The phone is lost and removed; the laptop's next collection declares the devices
    // left, and the item every one of them acknowledged goes.
    w.alice
        .remove_device(&phone.device_id().to_string())
        .unwrap();
    let got = collect(&mut w.alice, &ticket).await;
    assert!(got.imported.is_empty(), "{got:?}");
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(mailbox.store().items().unwrap().is_empty());
    assert_eq!(
        mailbox.store().devices(&w.alice.person_id()).unwrap().len(),
        1
    );
    mailbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_handed_out_of_order_all_go_in() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let store_dir = w.dir.join("mailbox");
    let (mailbox, ticket) = start(
        &store_dir,
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await;
    let (stop, task) = serve(mailbox);
    // Three incremental bundles, each continuing the one before.
    for text in ["first MARKERA", "second MARKERB", "third MARKERC"] {
        w.gp.add(
            &record,
            Entry::Note(Note {
                text: text.into(),
                title: None,
            }),
        )
        .unwrap();
        deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    }
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    // The mailbox hands them newest first: their bytes are swapped around.
    let items = mailbox.store().items().unwrap();
    assert_eq!(items.len(), 3);
    let bytes: Vec<Vec<u8>> = items
        .iter()
        .map(|(id, _)| mailbox.store().bytes(*id).unwrap().unwrap())
        .collect();
    for (i, (id, _)) in items.iter().enumerate() {
        mailbox
            .store()
            .tamper(*id, None, Some(&bytes[2 - i]))
            .unwrap();
    }
    let (stop, task) = serve(mailbox);
    let got = collect(&mut w.alice, &ticket).await;
    assert_eq!(got.imported.len(), 3, "{got:?}");
    assert!(got.refused.is_empty(), "{got:?}");
    let seen = texts(&mut w.alice, &record);
    for m in ["MARKERA", "MARKERB", "MARKERC"] {
        assert!(seen.iter().any(|t| t.contains(m)), "{m} missing: {seen:?}");
    }
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(mailbox.store().items().unwrap().is_empty());
    mailbox.shutdown().await;
}

/// A disk that fills up on demand: redb's file backend whose writes fail with "no space
/// left" while `full` is set (as a full disk's do). No quota-limited filesystem is used:
/// making one needs root.
#[derive(Debug)]
struct FillingDisk {
    file: redb::backends::FileBackend,
    full: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FillingDisk {
    fn check(&self) -> Result<(), std::io::Error> {
        if self.full.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        Ok(())
    }
}

impl redb::StorageBackend for FillingDisk {
    fn len(&self) -> Result<u64, std::io::Error> {
        self.file.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        self.file.read(offset, out)
    }
    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        self.check()?;
        self.file.set_len(len)
    }
    fn sync_data(&self) -> Result<(), std::io::Error> {
        self.check()?;
        self.file.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        self.check()?;
        self.file.write(offset, data)
    }
}

fn filling_store(path: &Path) -> (MailboxStore, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    let full = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let disk = FillingDisk {
        file: redb::backends::FileBackend::new(file).unwrap(),
        full: full.clone(),
    };
    (MailboxStore::open_with_backend(path, disk).unwrap(), full)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_loses_no_accepted_item_and_accepts_nothing_it_cannot_keep() {
    use std::sync::atomic::Ordering;
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let store_dir = w.dir.join("mailbox");
    std::fs::create_dir_all(&store_dir).unwrap();
    let path = store_dir.join("mailbox.redb");
    let (store, full) = filling_store(&path);
    let mailbox = Mailbox::start(
        store,
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await
    .unwrap();
    let ticket = mailbox.ticket();
    let (stop, task) = serve(mailbox);

    w.gp.add(
        &record,
        Entry::Note(Note {
            text: "kept MARKERKEPT".into(),
            title: None,
        }),
    )
    .unwrap();
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();

    // The disk fills: the next deposit is refused, and the GP's vault records nothing.
    full.store(true, Ordering::SeqCst);
    w.gp.add(
        &record,
        Entry::Note(Note {
            text: "later MARKERLATER".into(),
            title: None,
        }),
    )
    .unwrap();
    let err = deposit(&mut w.gp, &ticket, "Alice")
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            MailboxError::Refused(Refusal::Unavailable) | MailboxError::Connection { .. }
        ),
        "{err}"
    );
    // Alice collects while the disk is full: her acknowledgement cannot be written, so
    // the item stays (she took it; taking it again is refused as already imported).
    let c = client(&mut w.alice).await;
    let mut s = c.connect(&ticket).await.unwrap();
    assert!(collect_into(&mut w.alice, &mut s).await.is_err());
    s.finish().await;
    c.shutdown().await;
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    mailbox.shutdown().await;

    // Space is freed and the mailbox restarted on the same file: the accepted item is
    // there, the refused one is not, and the GP's next deposit carries what it lacked.
    full.store(false, Ordering::SeqCst);
    let store = MailboxStore::open(&store_dir).unwrap();
    let held = store.items().unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    let mailbox = Mailbox::start(
        store,
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await
    .unwrap();
    let ticket = mailbox.ticket();
    let (stop, task) = serve(mailbox);
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    let got = collect(&mut w.alice, &ticket).await;
    let seen = texts(&mut w.alice, &record);
    assert!(seen.iter().any(|t| t.contains("MARKERKEPT")), "{seen:?}");
    assert!(
        seen.iter().any(|t| t.contains("MARKERLATER")),
        "{got:?} {seen:?}"
    );
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(mailbox.store().items().unwrap().is_empty());
    mailbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_clinicians_deposit_is_refused_at_collection_and_a_replay_changes_nothing() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let store_dir = w.dir.join("mailbox");
    let (mailbox, ticket) = start(
        &store_dir,
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await;
    let (stop, task) = serve(mailbox);

    // An honest delivery first, then the same item deposited again: taken once.
    prescribe(&mut w.gp, &record);
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    let (id, meta) = mailbox.store().items().unwrap().remove(0);
    let genuine = mailbox.store().bytes(id).unwrap().unwrap();
    let (stop, task) = serve(mailbox);
    let got = collect(&mut w.alice, &ticket).await;
    assert_eq!(got.imported.len(), 1, "{got:?}");
    let before = state(&mut w.alice);
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    mailbox
        .store()
        .deposit(&meta.from, &meta.to, &genuine, now(), &Limits::default())
        .unwrap();
    let (stop, task) = serve(mailbox);
    let got = collect(&mut w.alice, &ticket).await;
    assert!(got.imported.is_empty(), "{got:?}");
    assert_eq!(got.refused.len(), 1, "{got:?}");
    assert_eq!(state(&mut w.alice), before, "a replay changed the vault");

    // Alice revokes the GP; the GP, not told, writes and deposits. Her vault refuses it
    // at collection, and nothing of it is in her record.
    let grant = w.alice.grants().unwrap().remove(0);
    w.alice.revoke(&grant.id).unwrap();
    let before = state(&mut w.alice);
    w.gp.add(
        &record,
        Entry::Note(Note {
            text: "MARKERREVOKED written after the revoke".into(),
            title: None,
        }),
    )
    .unwrap();
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();
    let got = collect(&mut w.alice, &ticket).await;
    assert!(got.imported.is_empty(), "{got:?}");
    assert_eq!(got.refused.len(), 1, "{got:?}");
    assert_eq!(
        state(&mut w.alice),
        before,
        "a revoked writer changed the vault"
    );
    assert!(
        !texts(&mut w.alice, &record)
            .iter()
            .any(|t| t.contains("MARKERREVOKED"))
    );
    stop.send(()).unwrap();
    task.await.unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_is_logged_as_left_at_that_mailbox() {
    let mut w = world();
    let (mailbox, ticket) = start(
        &w.dir.join("mailbox"),
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await;
    let (stop, task) = serve(mailbox);
    let record = w.alice.own_record().unwrap();
    w.alice
        .add(
            &record,
            Entry::Note(Note {
                text: "for the doctor".into(),
                title: None,
            }),
        )
        .unwrap();
    let sent = deposit(&mut w.alice, &ticket, "Dr Martin").await.unwrap();
    assert_eq!(
        sent.mailbox,
        data_encoding::HEXLOWER.encode(&ticket.endpoint)
    );
    let log = w.alice.access_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.kind, "deposited at a mailbox", "{log:?}");
    assert!(
        last.text.contains("left for Dr Martin at mailbox")
            && last.text.contains(&sent.mailbox[..12]),
        "{log:?}"
    );
    stop.send(()).unwrap();
    task.await.unwrap().shutdown().await;
}

/// What a mailbox keeps of a deposit that carries every kind of entry and an attachment
/// holds none of their words, in any encoding (`reveal` looks in clear, base64, and
/// zstd/deflate streams): the mailbox learns who deposits for whom, sizes and times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_store_holds_nothing_of_any_kind_of_entry() {
    use carnet::record::{Allergy, Condition, DateTime, DocType, Immunization, Measurement};
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    w.alice
        .grant(
            "Dr Martin",
            &SectionId::ALL,
            Access::Read,
            "all of it",
            None,
        )
        .unwrap();
    let day: carnet::record::Date = "2024-03-01".parse().unwrap();
    let entries = [
        Entry::Allergy(Allergy {
            substance: "MARKERALLERGY penicillin".into(),
            code: None,
            criticality: Some(carnet::record::Criticality::High),
            reaction: Some("MARKERREACTION hives".into()),
            onset: None,
        }),
        Entry::Condition(Condition {
            name: "MARKERCONDITION asthma".into(),
            code: None,
            onset: Some(day.clone()),
            abatement: None,
            status: Default::default(),
        }),
        Entry::Immunization(Immunization {
            vaccine: "MARKERVACCINE tetanus".into(),
            code: None,
            date: Some(day.clone()),
            lot: Some("MARKERLOT".into()),
            status: Default::default(),
            status_reason: None,
            date_text: None,
        }),
        Entry::Measurement(
            Measurement::from_input(
                "weight",
                "71.3",
                "kg",
                "2024-03-01T08:00:00Z".parse().unwrap(),
                Some("MARKERSOURCE scale".into()),
            )
            .unwrap(),
        ),
        Entry::Note(Note {
            text: "MARKERPATIENTNOTE tired since Monday".into(),
            title: Some("MARKERTITLE".into()),
        }),
        Entry::Medication(Medication {
            name: "MARKERMED salbutamol".into(),
            code: None,
            dosage: Some("MARKERDOSAGE two puffs".into()),
            start: None,
            end: None,
            status: MedicationStatus::Active,
            status_reason: None,
        }),
    ];
    for e in entries {
        w.alice.add(&record, e).unwrap();
    }
    w.alice
        .attach(
            &record,
            b"MARKERATTACHMENT spirometry results, FEV1 2.9 L",
            carnet::AttachmentInput {
                title: "MARKERDOCTITLE spirometry".into(),
                doc_type: DocType::Report,
                file_name: Some("MARKERFILE.txt".into()),
                media_type: "text/plain".into(),
                date: DateTime::now(),
            },
        )
        .unwrap();
    let markers = [
        "MARKERALLERGY",
        "MARKERREACTION",
        "MARKERCONDITION",
        "MARKERVACCINE",
        "MARKERLOT",
        "MARKERSOURCE",
        "MARKERPATIENTNOTE",
        "MARKERTITLE",
        "MARKERMED",
        "MARKERDOSAGE",
        "MARKERATTACHMENT",
        "MARKERDOCTITLE",
        "MARKERFILE",
        "penicillin",
        "salbutamol",
        "spirometry",
        "Alice",
    ];

    let store_dir = w.dir.join("mailbox");
    let (mailbox, ticket) = start(
        &store_dir,
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await;
    let (stop, task) = serve(mailbox);
    let sent = deposit(&mut w.alice, &ticket, "Dr Martin").await.unwrap();
    assert!(sent.envelopes >= 7, "{sent:?}");
    // Her log says it, and an auditor's replay of the log accepts it (what was
    // deposited is readable by its recipient under the grants in force).
    let log = w.alice.consent_log(&record).unwrap();
    assert!(
        log.entries()
            .iter()
            .any(|e| matches!(e.entry().action, carnet::consent::Action::Deposited { .. })),
        "no deposit in the log"
    );
    let export = w.alice.audit_export().unwrap();
    let v = carnet::consent::verify_with(
        &export,
        &carnet::consent::Pins {
            patient: Some(w.alice.person_id()),
            ..carnet::consent::Pins::default()
        },
    );
    assert!(v.report.ok, "{:?}", v.report.first_error);
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert_eq!(mailbox.store().items().unwrap().len(), 1);
    let raw = std::fs::read(mailbox.store().path()).unwrap();
    let found = reveal::needles_found(&raw, &markers);
    assert!(found.is_empty(), "the mailbox store reveals {found:?}");

    // The deposit did carry them: the GP collects and reads every one.
    let (stop, task) = serve(mailbox);
    let got = collect(&mut w.gp, &ticket).await;
    assert_eq!(got.imported.len(), 1, "{got:?}");
    let seen = texts(&mut w.gp, &record).join("\n");
    for m in [
        "MARKERALLERGY",
        "MARKERCONDITION",
        "MARKERVACCINE",
        "MARKERPATIENTNOTE",
        "MARKERMED",
        "MARKERDOCTITLE",
    ] {
        assert!(seen.contains(m), "{m} not received: {seen}");
    }
    let doc =
        w.gp.list(&record, Some(SectionId::Documents))
            .unwrap()
            .remove(0);
    let (_, bytes) = w.gp.attachment(&record, &doc.id).unwrap();
    assert!(
        String::from_utf8_lossy(&bytes).contains("MARKERATTACHMENT"),
        "the attachment did not arrive"
    );
    stop.send(()).unwrap();
    task.await.unwrap().shutdown().await;
}

/// A device that does not hold the person's key (a linked phone, say one that was
/// stolen) cannot shrink the person's list of devices to itself: before, declaring only
/// itself and acknowledging an item deleted it before the person's other devices took it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_device_cannot_shrink_the_device_list_to_itself() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let mut phone = link(&mut w.alice, &w.dir, "Alice phone");
    let store_dir = w.dir.join("mailbox");
    let (mailbox, ticket) = start(
        &store_dir,
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await;
    let (stop, task) = serve(mailbox);
    // Alice's primary has collected before: the mailbox knows her devices.
    let got = collect(&mut w.alice, &ticket).await;
    assert!(got.imported.is_empty(), "{got:?}");
    prescribe(&mut w.gp, &record);
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();

    // The phone says it is Alice's only device, takes the item and acknowledges it.
    let c = client(&mut phone).await;
    let mut s = c.connect(&ticket).await.unwrap();
    s.declare_devices(&[]).await.unwrap();
    let item = s
        .next()
        .await
        .unwrap()
        .expect("the item is offered to the phone");
    s.ack(item.id).await.unwrap();
    s.finish().await;
    c.shutdown().await;
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert_eq!(
        mailbox.store().items().unwrap().len(),
        1,
        "deleted before Alice's primary took it"
    );
    assert_eq!(
        mailbox.store().devices(&w.alice.person_id()).unwrap().len(),
        2
    );

    // Her primary still gets it; then it goes.
    let (stop, task) = serve(mailbox);
    let got = collect(&mut w.alice, &ticket).await;
    assert_eq!(got.imported.len(), 1, "{got:?}");
    assert!(
        texts(&mut w.alice, &record)
            .iter()
            .any(|t| t.contains("MARKERNOTE"))
    );
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(mailbox.store().items().unwrap().is_empty());
    mailbox.shutdown().await;
}

/// The quota counters always say what a scan of the items says, whatever happened to the
/// items (deposits, acknowledgements, removals, a tampered item, expiry, a restart), and
/// a store made before the counters is counted when opened.
#[test]
fn quota_counters_always_match_the_items_held() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (PersonId([1; 32]), PersonId([2; 32]), PersonId([3; 32]));
    let scan = |store: &MailboxStore, from: &PersonId, to: &PersonId| {
        let items = store.items().unwrap();
        let sum = |f: &dyn Fn(&carnet_mailbox::ItemMeta) -> bool| {
            items
                .iter()
                .filter(|(_, m)| f(m))
                .fold((0u64, 0u64), |(n, s), (_, m)| (n + 1, s + m.size))
        };
        [
            sum(&|m| m.to == *to),
            sum(&|m| m.from == *from),
            sum(&|_| true),
        ]
    };
    let check = |store: &MailboxStore, what: &str| {
        for (from, to) in [(&a, &b), (&c, &a), (&b, &c)] {
            assert_eq!(
                store.counted(from, to).unwrap(),
                scan(store, from, to),
                "{what}: from {from:?} to {to:?}"
            );
        }
    };
    let limits = Limits::default();
    let t0 = 1_000_000;
    let store = MailboxStore::open(tmp.path()).unwrap();
    check(&store, "empty");
    let mut ids = Vec::new();
    for (i, (from, to)) in [(&a, &b), (&a, &b), (&c, &b), (&c, &a), (&b, &c)]
        .into_iter()
        .enumerate()
    {
        ids.push(
            store
                .deposit(from, to, &vec![7; 10 + i], t0 + i as u64, &limits)
                .unwrap(),
        );
    }
    check(&store, "deposits");
    store.tamper(ids[0], Some(c), Some(&[1; 99])).unwrap();
    check(&store, "an item rewritten to another recipient and size");
    assert_eq!(
        store.ack(ids[2], &b, &[9; 32]).unwrap(),
        carnet_mailbox::AckOutcome::Deleted
    );
    check(&store, "acknowledged by the recipient's only device");
    assert!(store.remove_for(ids[3], &a).unwrap());
    assert!(!store.remove_for(ids[4], &a).unwrap(), "not a's");
    check(&store, "removed");
    store.declare_devices(&c, &[5; 32], &[], true).unwrap();
    store.ack(ids[4], &c, &[5; 32]).unwrap();
    check(&store, "swept");
    drop(store);
    let store = MailboxStore::open(tmp.path()).unwrap();
    check(&store, "reopened");
    // As a store made before the counters: no counts, no mark that they were made.
    drop(store);
    {
        let db = redb::Database::open(tmp.path().join(carnet_mailbox::STORE_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.delete_table(redb::TableDefinition::<&[u8], (u64, u64)>::new("counts"))
            .unwrap();
        txn.open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
            .unwrap()
            .remove("counted")
            .unwrap();
        txn.commit().unwrap();
    }
    let store = MailboxStore::open(tmp.path()).unwrap();
    check(&store, "a store made before the counters");
    let held = store.items().unwrap().len();
    assert!(held > 0);
    assert_eq!(store.purge_expired(t0 + 365 * 24 * 3600).unwrap(), held);
    check(&store, "expired");
    assert_eq!(store.counted(&a, &b).unwrap()[2], (0, 0));
}

/// Once the person's primary declared their devices, a device it dropped (removed) gets
/// nothing more from the mailbox and cannot put itself back on the list; the items wait
/// for the devices in service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_device_collects_nothing_once_the_primary_said_so() {
    let mut w = world();
    let record = w.alice.own_record().unwrap();
    let mut phone = link(&mut w.alice, &w.dir, "Alice phone");
    let store_dir = w.dir.join("mailbox");
    let (mailbox, ticket) = start(
        &store_dir,
        MailboxConfig {
            open: true,
            ..loopback()
        },
    )
    .await;
    let (stop, task) = serve(mailbox);
    // Both devices in service: the phone collects (nothing yet).
    collect(&mut w.alice, &ticket).await;
    let got = collect(&mut phone, &ticket).await;
    assert!(got.imported.is_empty(), "{got:?}");

    // The phone is lost; Alice removes it and her primary's next collection says so.
    w.alice
        .remove_device(&phone.device_id().to_string())
        .unwrap();
    collect(&mut w.alice, &ticket).await;
    prescribe(&mut w.gp, &record);
    deposit(&mut w.gp, &ticket, "Alice").await.unwrap();

    // The thief's phone: refused when it asks for items, and when it declares itself.
    let c = client(&mut phone).await;
    let mut s = c.connect(&ticket).await.unwrap();
    let err = s.next().await.unwrap_err();
    assert!(
        matches!(err, MailboxError::Refused(Refusal::DeviceNotListed)),
        "{err}"
    );
    s.finish().await;
    let mut s = c.connect(&ticket).await.unwrap();
    let err = s.declare_devices(&[]).await.unwrap_err();
    assert!(
        matches!(err, MailboxError::Refused(Refusal::DeviceNotListed)),
        "{err}"
    );
    s.finish().await;
    c.shutdown().await;

    // The item waits, and Alice's primary takes it.
    let got = collect(&mut w.alice, &ticket).await;
    assert_eq!(got.imported.len(), 1, "{got:?}");
    stop.send(()).unwrap();
    let mailbox = task.await.unwrap();
    assert!(mailbox.store().items().unwrap().is_empty());
    mailbox.shutdown().await;
}
