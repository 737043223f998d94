//! `carnet-bench mailbox` (issue 19, point 6): one mailbox at a clinic's scale. 10,000
//! patients and 50 clinicians; a day's traffic is 10 deposits and 10 collections per
//! clinician per hour. Prints figures, checks nothing.
//!
//! What runs: a real `carnet_mailbox::Mailbox` (redb store, immediate durability) on
//! loopback, real iroh endpoints for every caller, real identities (cards and device
//! certificates, checked by the mailbox at every hello). Every deposit carries the bytes of
//! a real incremental bundle (a clinician's prescription: a note and a medicine), measured
//! first; the mailbox cannot open them, so the same bytes serve for every deposit.
//!
//! The day is compressed: the store is first filled with the backlog a day leaves when
//! patients collect once a day (50 x 10 x 24 = 12,000 items waiting, deposited straight
//! into the store), then one hour's traffic (500 deposits, 500 collections) runs over the
//! network as fast as it goes, 16 callers at a time. A collection is a phone waking up: a
//! fresh endpoint, hello, its devices declared, every waiting item fetched and
//! acknowledged.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use carnet::crypto::{DeviceCert, DeviceId, IdentityCard, PersonId, PersonSecret, Role};
use carnet_mailbox::{ClientConfig, Limits, Mailbox, MailboxClient, MailboxConfig, MailboxStore};
use tokio::sync::Mutex;

use crate::measure::peak_rss;

const PATIENTS: usize = 10_000;
const CLINICIANS: usize = 50;
const PER_HOUR: usize = 10;
const CONCURRENCY: usize = 16;

struct Caller {
    person: PersonId,
    secret: [u8; 32],
    endpoint: [u8; 32],
    card: String,
    cert: Vec<u8>,
}

fn caller(name: &str, role: Role, now: u64) -> Result<Caller> {
    let person = PersonSecret::generate()?;
    let secret: [u8; 32] = rand_bytes();
    let endpoint = *iroh::SecretKey::from_bytes(&secret).public().as_bytes();
    let card = IdentityCard::issue(&person, name, role, vec![endpoint], now)?;
    let cert = DeviceCert::issue(&person, DeviceId(rand_bytes()), endpoint, None, now);
    Ok(Caller {
        person: person.person_id(),
        secret,
        endpoint,
        card: card.to_text(),
        cert: cert.as_bytes().to_vec(),
    })
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("random bytes");
    b
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The bytes of a real incremental bundle: a clinician's prescription for a patient who
/// shared notes and medicines with them.
fn real_bundle(dir: &std::path::Path) -> Result<Vec<u8>> {
    use carnet::consent::Access;
    use carnet::crypto::MasterKey;
    use carnet::crypto::secrecy::SecretString;
    use carnet::record::{Entry, Medication, MedicationStatus, Note, SectionId};
    use carnet::{CreateOptions, Vault};
    let make = |name: &str, role| -> Result<Vault> {
        let opts = CreateOptions {
            name: name.into(),
            role,
            kdf_log_n: MasterKey::MIN_LOG_N,
        };
        Ok(Vault::create(
            &dir.join(name),
            &SecretString::from("bench".to_string()),
            &opts,
        )?
        .vault)
    };
    let alice = make("Alice", Role::Patient)?;
    let mut gp = make("Dr Martin", Role::Clinician)?;
    alice.add_contact("Dr Martin", &gp.card().to_text())?;
    gp.add_contact("Alice", &alice.card().to_text())?;
    alice.grant(
        "Dr Martin",
        &[SectionId::Notes, SectionId::Medications],
        Access::Write,
        "follow-up",
        None,
    )?;
    let grant = dir.join("grant.bundle");
    alice.export_bundle(&gp.card().clone(), false, &grant)?;
    gp.import_bundle(&grant)?;
    // The clinician's first bundle to her brings its card and log; the typical one is a
    // later one, with one visit's prescription.
    let record = alice.own_record()?;
    let prescribe = |gp: &mut Vault, n: usize| -> Result<()> {
        gp.add(
            &record,
            Entry::Note(Note {
                text: format!("Visit {n}: sore throat for three days, no fever. Review in a week if no better."),
                title: None,
            }),
        )?;
        gp.add(
            &record,
            Entry::Medication(Medication {
                name: "Amoxicillin 500 mg capsule".into(),
                code: None,
                dosage: Some("500 mg three times a day for 7 days".into()),
                start: None,
                end: None,
                status: MedicationStatus::Active,
                status_reason: None,
            }),
        )?;
        Ok(())
    };
    prescribe(&mut gp, 1)?;
    let first = dir.join("first.bundle");
    gp.export_bundle(&alice.card().clone(), false, &first)?;
    prescribe(&mut gp, 2)?;
    let second = dir.join("second.bundle");
    gp.export_bundle(&alice.card().clone(), false, &second)?;
    Ok(std::fs::read(&second)?)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Runs the scenario and prints its figures. `quick`: 1,000 patients, a tenth of the
/// backlog and of the hour.
pub fn run(quick: bool) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let scale = if quick { 10 } else { 1 };
    let patients = PATIENTS / scale;
    let backlog = CLINICIANS * PER_HOUR * 24 / scale;
    let hour = CLINICIANS * PER_HOUR / scale;
    let bundle = real_bundle(tmp.path()).context("making a real bundle")?;
    println!("## Mailbox (issue 19, point 6)");
    println!(
        "{patients} patients, {CLINICIANS} clinicians; typical deposit = a real incremental bundle (one visit: a note and a medicine) = {} bytes",
        bundle.len()
    );
    let t = now();
    let started = Instant::now();
    let clinicians: Vec<Caller> = (0..CLINICIANS)
        .map(|i| caller(&format!("Dr {i}"), Role::Clinician, t))
        .collect::<Result<_>>()?;
    let people: Vec<Caller> = (0..patients)
        .map(|i| caller(&format!("Patient {i}"), Role::Patient, t))
        .collect::<Result<_>>()?;
    println!(
        "identities made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let dir = tmp.path().join("mailbox");
    let store = MailboxStore::open(&dir)?;
    for (i, c) in clinicians.iter().enumerate() {
        store.allow(&c.person, &format!("Dr {i}"))?;
    }
    let limits = Limits::default();

    // The backlog: a day of deposits waiting, straight into the store, timed per 1,000.
    let mut lat = Vec::new();
    let mut per_thousand = Vec::new();
    let fill = Instant::now();
    let mut chunk = Instant::now();
    for i in 0..backlog {
        let from = &clinicians[i % CLINICIANS].person;
        let to = &people[(i * 7919) % patients].person;
        let s = Instant::now();
        store.deposit(from, to, &bundle, t, &limits)?;
        lat.push(s.elapsed().as_secs_f64());
        if (i + 1) % 1000 == 0 {
            per_thousand.push(chunk.elapsed().as_secs_f64() / 1000.0);
            chunk = Instant::now();
        }
    }
    let fill_s = fill.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    println!(
        "backlog: {backlog} items deposited into the store in {fill_s:.1} s ({:.0}/s); store deposit p50 {:.2} ms, p99 {:.2} ms; mean per deposit by thousand held: {}",
        backlog as f64 / fill_s,
        pct(&lat, 0.5) * 1e3,
        pct(&lat, 0.99) * 1e3,
        per_thousand
            .iter()
            .map(|s| format!("{:.2}", s * 1e3))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // What a quota check and a collector's listing cost with the backlog held: both
    // read the whole item index (no write, no fsync).
    let probe = &people[0];
    let (scan, _) = crate::measure::time(|| -> Result<()> {
        for _ in 0..100 {
            store.check(
                &clinicians[0].person,
                &probe.person,
                bundle.len() as u64,
                &limits,
            )?;
            store.waiting_for_device(&probe.person, &probe.endpoint, t)?;
        }
        Ok(())
    });
    println!(
        "index scan with {backlog} items held: quota check + a device's waiting list {:.2} ms ({:.0} ns per item held)",
        scan / 100.0 * 1e3,
        scan / 100.0 / backlog as f64 * 1e9
    );
    let file = dir.join(carnet_mailbox::STORE_FILE);
    let size_backlog = std::fs::metadata(&file)?.len();

    // The hour, over the network.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let people = Arc::new(people);
    let clinicians = Arc::new(clinicians);
    let (dep, col, items_collected, wall, rss) = rt.block_on(async {
        let config = MailboxConfig {
            bind: Some("127.0.0.1:0".parse()?),
            limits: limits.clone(),
            ..MailboxConfig::default()
        };
        let mailbox = Mailbox::start(store, config).await?;
        let ticket = mailbox.ticket();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            let _ = mailbox
                .serve(tx, async {
                    let _ = stopped.await;
                })
                .await;
        });
        // Clinicians' workstations are on all day: one endpoint each.
        let mut desks = Vec::new();
        for c in clinicians.iter() {
            desks.push(Arc::new(
                MailboxClient::start(
                    &c.secret,
                    c.card.clone(),
                    c.cert.clone(),
                    ClientConfig::default(),
                )
                .await?,
            ));
        }
        let desks = Arc::new(desks);
        // Work: deposits and collections interleaved; collections go to patients who
        // have something waiting (the backlog's recipients, in order).
        let jobs: Vec<(bool, usize)> = (0..hour).flat_map(|i| [(true, i), (false, i)]).collect();
        let jobs = Arc::new(Mutex::new(jobs.into_iter()));
        let results = Arc::new(Mutex::new((Vec::new(), Vec::new(), 0usize)));
        let wall = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..CONCURRENCY {
            let (jobs, results, desks, people, ticket, bundle) = (
                jobs.clone(),
                results.clone(),
                desks.clone(),
                people.clone(),
                ticket.clone(),
                bundle.clone(),
            );
            workers.push(tokio::spawn(async move {
                loop {
                    let Some((deposit, i)) = jobs.lock().await.next() else {
                        return Ok::<(), anyhow::Error>(());
                    };
                    let s = Instant::now();
                    if deposit {
                        let desk = &desks[i % CLINICIANS];
                        let to = people[(i * 104_729 + 13) % people.len()].person;
                        let mut session = desk.connect(&ticket).await?;
                        session.deposit(to, &bundle).await?;
                        session.finish().await;
                        results.lock().await.0.push(s.elapsed().as_secs_f64());
                    } else {
                        let p = &people[(i * 7919) % people.len()];
                        let phone = MailboxClient::start(
                            &p.secret,
                            p.card.clone(),
                            p.cert.clone(),
                            ClientConfig::default(),
                        )
                        .await?;
                        let mut session = phone.connect(&ticket).await?;
                        session.declare_devices(&[p.endpoint]).await?;
                        let mut n = 0;
                        while let Some(item) = session.next().await? {
                            session.ack(item.id).await?;
                            n += 1;
                        }
                        session.finish().await;
                        phone.shutdown().await;
                        let mut r = results.lock().await;
                        r.1.push(s.elapsed().as_secs_f64());
                        r.2 += n;
                    }
                }
            }));
        }
        for w in workers {
            w.await??;
        }
        let wall = wall.elapsed().as_secs_f64();
        let rss = peak_rss();
        let _ = stop.send(());
        let _ = server.await;
        let r = results.lock().await;
        Ok::<_, anyhow::Error>((r.0.clone(), r.1.clone(), r.2, wall, rss))
    })?;
    let (mut dep, mut col) = (dep, col);
    dep.sort_by(f64::total_cmp);
    col.sort_by(f64::total_cmp);
    let ops = dep.len() + col.len();
    println!(
        "one hour's traffic over loopback ({} deposits, {} collections bringing {items_collected} items, {CONCURRENCY} at a time): {wall:.1} s, {:.1} operations/s ({:.0}x the real rate of {} per hour)",
        dep.len(),
        col.len(),
        ops as f64 / wall,
        (ops as f64 / wall) / (ops as f64 / 3600.0),
        ops
    );
    println!(
        "deposit (connect, hello, upload, commit): p50 {:.1} ms, p99 {:.1} ms",
        pct(&dep, 0.5) * 1e3,
        pct(&dep, 0.99) * 1e3
    );
    println!(
        "collection (new endpoint, hello, devices, fetch + ack each item): p50 {:.1} ms, p99 {:.1} ms",
        pct(&col, 0.5) * 1e3,
        pct(&col, 0.99) * 1e3
    );
    let size = std::fs::metadata(&file)?.len();
    println!(
        "peak memory (whole process, {patients} identities held): {:.0} MiB; store {:.1} MiB after the backlog, {:.1} MiB after the hour = {:.0} bytes per patient ({:.0} per waiting item)",
        rss as f64 / (1 << 20) as f64,
        size_backlog as f64 / (1 << 20) as f64,
        size as f64 / (1 << 20) as f64,
        size as f64 / patients as f64,
        size_backlog as f64 / backlog as f64,
    );
    Ok(())
}
