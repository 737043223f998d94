//! What one measured run does, in its own process (see `measure`): every function here
//! prints one `RESULT {json}` line with its figures and the process's peak memory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use carnet::consent::{Access, AuditExport};
use carnet::crypto::{MasterKey, RecordId};
use carnet::record::{Entry, Measurement, SectionId};
use carnet::{ImportItem, LabeledItem, Vault};
use carnet_sync::{Node, SyncConfig, Ticket};
use serde_json::{Map, Value, json};

use crate::measure::{self, peak_rss, time};
use crate::{data, net, record};

type Args = std::collections::HashMap<String, String>;

fn arg<T: std::str::FromStr>(args: &Args, key: &str) -> Result<T> {
    args.get(key)
        .with_context(|| format!("missing {key}="))?
        .parse()
        .map_err(|_| anyhow::anyhow!("bad {key}="))
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Runs the child task named by `argv` (`TASK key=value...`).
pub fn run(argv: &[String]) -> Result<()> {
    let task = argv.first().context("no child task")?;
    let args: Args = argv[1..]
        .iter()
        .filter_map(|a| a.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let out = match task.as_str() {
        "import" => import(&args)?,
        "naive" => naive(&args)?,
        "open" => open(&args)?,
        "kdf" => kdf(&args)?,
        "sync" => runtime()?.block_on(sync(&args))?,
        "first_sync" => runtime()?.block_on(first_sync(&args))?,
        "revoke" => revoke(&args)?,
        "verify" => verify(&args)?,
        "anatomy" => anatomy(&args)?,
        "compact" => compact(&args)?,
        other => bail!("unknown child task {other}"),
    };
    measure::report(out);
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// P1: import `readings` CGM readings into a fresh vault; then, in the same process, the
/// limit of the work: the same readings as CSV, age-encrypted in memory.
fn import(args: &Args) -> Result<Map<String, Value>> {
    let n: usize = arg(args, "readings")?;
    let tmp = tempfile::tempdir()?;
    let readings = data::cgm(n, data::START, 7);
    let set = data::reading_set(&readings);
    let same = set.readings.clone();
    let v = record::patient_vault(&tmp.path().join("v"))?;
    let record = v.own_record()?;
    // For profiles: more imports of the same readings into fresh vaults, untimed.
    let repeat: usize = arg(args, "repeat").unwrap_or(0);
    for i in 0..repeat {
        let w = record::patient_vault(&tmp.path().join(format!("r{i}")))?;
        let r = w.own_record()?;
        w.import(
            &r,
            vec![LabeledItem {
                label: "glucose".into(),
                item: ImportItem::Readings(set.clone()),
            }],
            &mut |_, _| {},
        )?;
    }
    let before = peak_rss();
    let (secs, report) = time(|| {
        v.import(
            &record,
            vec![LabeledItem {
                label: "glucose".into(),
                item: ImportItem::Readings(set),
            }],
            &mut |_, _| {},
        )
    });
    let report = report?;
    ensure!(
        report.added.get("glucose") == Some(&n),
        "not every reading was added"
    );
    let rss = peak_rss();
    drop(v);
    let db = std::fs::metadata(tmp.path().join("v").join("carnet.redb"))?.len();
    // The limit: encode as CSV, encrypt to an age X25519 recipient, all in memory.
    let recipient = age::x25519::Identity::generate().to_public();
    let (base, sealed) = time(|| {
        let mut csv = Vec::with_capacity(n * 48);
        data::readings_csv(&same, &mut csv);
        age::encrypt(&recipient, &csv)
    });
    let sealed = sealed?;
    Ok(obj(json!({
        "secs": secs,
        "baseline": base,
        "ratio": secs / base,
        "blocks": report.blocks,
        "envelopes": report.envelopes,
        "rss_before": before,
        "peak_rss": rss,
        "db_bytes": db,
        "age_bytes": sealed.len(),
    })))
}

/// P1's naive baseline, DESIGN.md's method: each reading an Automerge map {t, kind, value,
/// unit} (t an integer of Unix seconds, kind the LOINC code and unit as strings, value a
/// float) inserted at the end of one list, all in one transaction, committed; the time is
/// the inserts and the commit. Then, as DESIGN.md's table has them, the document's `save()`
/// size and time and a `load()` of those bytes, and the process's peak RSS.
fn naive(args: &Args) -> Result<Map<String, Value>> {
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ObjType, ROOT};
    let n: usize = arg(args, "readings")?;
    let readings = data::cgm(n, data::START, 7);
    let (secs, doc) = time(|| -> Result<Automerge> {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        let list = tx.put_object(ROOT, "readings", ObjType::List)?;
        for (i, &(t, v)) in readings.iter().enumerate() {
            let m = tx.insert_object(&list, i, ObjType::Map)?;
            tx.put(&m, "t", t)?;
            tx.put(&m, "kind", "99504-3")?;
            tx.put(&m, "value", v)?;
            tx.put(&m, "unit", "mg/dL")?;
        }
        tx.commit();
        Ok(doc)
    });
    let doc = doc?;
    let (save_secs, saved) = time(|| doc.save());
    let (load_secs, loaded) = time(|| Automerge::load(&saved));
    let loaded = loaded?;
    let rss = peak_rss();
    Ok(obj(json!({
        "secs": secs,
        "peak_rss": rss,
        "saved_bytes": saved.len(),
        "save_secs": save_secs,
        "load_secs": load_secs,
        "loaded_changes": loaded.get_changes(&[]).len(),
    })))
}

/// P2: open the vault and list every section (what `carnet list` shows: each entry and its
/// summary line).
fn open(args: &Args) -> Result<Map<String, Value>> {
    let dir: PathBuf = arg(args, "vault")?;
    let (t_open, v) = time(|| Vault::open(&dir, &record::pass()));
    let v = v?;
    let record = v.own_record()?;
    let (t_list, lines) = time(|| -> Result<usize> {
        let list = v.list(&record, None)?;
        let mut text = String::new();
        for e in &list {
            text.push_str(e.id.as_str());
            text.push(' ');
            text.push_str(&e.entry.summary());
            text.push('\n');
        }
        std::hint::black_box(text);
        Ok(list.len())
    });
    let lines = lines?;
    Ok(obj(json!({
        "open": t_open,
        "list": t_list,
        "secs": t_open + t_list,
        "entries": lines,
    })))
}

/// The passphrase KDF alone: unwrapping the master key from `key.age`.
fn kdf(args: &Args) -> Result<Map<String, Value>> {
    let dir: PathBuf = arg(args, "vault")?;
    let wrapped = std::fs::read(dir.join("key.age"))?;
    let (secs, key) = time(|| MasterKey::unwrap(&wrapped, &record::pass()));
    key?;
    Ok(obj(json!({"secs": secs})))
}

/// Bytes a clinician granted `sections` would receive: every envelope of those sections
/// and every attachment blob they reference.
fn payload(dir: &Path, record: &RecordId, sections: &[SectionId]) -> Result<(u64, u64)> {
    let store = carnet_store::Store::open(dir, &record::pass())?;
    let r = store.read()?;
    let (mut env, mut blobs) = (0u64, 0u64);
    for s in sections {
        for head in r.chain_heads(record, s.code())? {
            for id in r.chain_after(record, s.code(), &head.author, &head.device, 0)? {
                if let Some(e) = r.envelope(&id)? {
                    env += e.as_bytes().len() as u64;
                }
                for b in r.envelope_blobs(&id)? {
                    blobs += r.blob(&b)?.map_or(0, |x| x.len() as u64);
                }
            }
        }
    }
    Ok((env, blobs))
}

fn bp(i: u32) -> Result<Entry> {
    Ok(Entry::Measurement(Measurement::from_input(
        "blood-pressure",
        &format!("{}/{}", 120 + i % 10, 78 + i % 5),
        "mmHg",
        carnet::record::DateTime::now(),
        Some("Omron M3".into()),
    )?))
}

/// P3 and P4 in one process: a new clinician is granted every section; first full sync
/// (timed, Carnet's stream bytes counted), then the raw iroh baseline of the same bytes;
/// then the steady state: one new measurement, an incremental sync (bytes, time), and the
/// same through a link with `delay_ms` each way to count round trips and meter the UDP
/// bytes of each incremental sync, handshake included. Last, a second new clinician's
/// first sync through a proxy that only counts (no delay): the first sync's UDP bytes,
/// handshake included. The nodes listen where the proxy is their one path (see
/// [`net::isolated_link`]), so every datagram is counted.
/// A copy (`tmp/p`) of the patient's vault at `src`, and a new GP's vault in `tmp` to
/// which the patient granted every section: the setup of P3's first full sync.
fn patient_and_new_gp(src: &std::path::Path, tmp: &std::path::Path) -> Result<(Vault, Vault)> {
    let dir = tmp.join("p");
    measure::copy_dir(src, &dir)?;
    let patient = Vault::open(&dir, &record::pass())?;
    let doctor = record::clinician_vault(&tmp.join("d"), "Dr Bernard (new GP)")?;
    patient.add_contact("Dr Bernard", &doctor.card().to_text())?;
    patient.grant(
        "Dr Bernard",
        &SectionId::ALL,
        Access::Read,
        "new GP, full history",
        None,
    )?;
    Ok((patient, doctor))
}

async fn sync(args: &Args) -> Result<Map<String, Value>> {
    let src: PathBuf = arg(args, "vault")?;
    let delay_ms: u64 = arg(args, "delay_ms")?;
    let tmp = tempfile::tempdir()?;
    let (patient, doctor) = patient_and_new_gp(&src, tmp.path())?;
    let dir = tmp.path().join("p");
    let record = patient.own_record()?;
    let metered = record::clinician_vault(&tmp.path().join("m"), "Dr Roux (new GP)")?;
    patient.add_contact("Dr Roux", &metered.card().to_text())?;
    patient.grant(
        "Dr Roux",
        &SectionId::ALL,
        Access::Read,
        "new GP, full history",
        None,
    )?;
    drop(patient);
    let (env_bytes, blob_bytes) = payload(&dir, &record, &SectionId::ALL)?;
    let patient = Vault::open(&dir, &record::pass())?;
    // The patient's node on IPv6 loopback only where it can, so that the delayed link
    // below is the one path to it (see net::isolated_link); the clinician's first node
    // has both families and goes straight there.
    let link = net::isolated_link();
    let server = Node::start(patient, bound_to(link.map_or(LOOPBACK_V4, |(s, _)| s))).await?;
    let ticket = server.ticket();
    let client = Node::start(doctor, SyncConfig::default()).await?;
    let (events, _keep) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server.serve(events, async {
        let _ = stopped.await;
    });
    let work = async {
        let client = client;
        let rss0 = peak_rss();
        let cpu0 = measure::process_cpu();
        let (t_full, first) = timed(client.sync(&ticket, false)).await;
        let cpu_full = measure::process_cpu() - cpu0;
        let first = first?;
        let rss_full = peak_rss();
        let shown = client
            .with_vault(move |v| v.list(&record, None))
            .await?
            .len();
        // Steady state: the consent entry about the first delivery, then one new
        // measurement at a time.
        let second = client.sync(&ticket, false).await?;
        let mut incr = Vec::new();
        for i in 0..3u32 {
            let e = bp(i)?;
            server.with_vault(move |v| v.add(&record, e)).await?;
            let (t, r) = timed(client.sync(&ticket, false)).await;
            let r = r?;
            ensure!(
                r.received == 1,
                "an incremental sync brought {} envelopes",
                r.received
            );
            incr.push((t, r));
        }
        // The same through a slow link: round trips show as multiples of its RTT. A fresh
        // clinician node, so that no path learnt before bypasses the link.
        client.shutdown().await;
        let doctor = Vault::open(&tmp.path().join("d"), &record::pass())?;
        let client = Node::start(doctor, bound_to(link.map_or(LOOPBACK_V4, |(_, c)| c))).await?;
        let delay = Duration::from_millis(delay_ms);
        let target = ticket
            .addrs
            .iter()
            .find(|a| a.is_ipv4() != link.is_some())
            .copied()
            .context("no loopback address")?;
        let proxy = net::Proxy::start(target, delay).await?;
        let slow = Ticket {
            addrs: vec![proxy.addr],
            ..ticket.clone()
        };
        let mut slow_runs = Vec::new();
        let mut slow_bytes = 0;
        let mut slow_udp = Vec::new();
        let counted = |p: &net::Proxy| {
            (
                p.bytes.load(std::sync::atomic::Ordering::Relaxed),
                p.datagrams.load(std::sync::atomic::Ordering::Relaxed),
            )
        };
        for i in 0..3u32 {
            let e = bp(10 + i)?;
            server.with_vault(move |v| v.add(&record, e)).await?;
            let before = counted(&proxy);
            let (t, r) = timed(client.sync(&slow, false)).await;
            let r = r?;
            let after = counted(&proxy);
            ensure!(
                r.received == 1,
                "a slow incremental sync brought {}",
                r.received
            );
            slow_runs.push(t);
            slow_bytes += r.bytes_sent + r.bytes_received;
            slow_udp.push((after.0 - before.0, after.1 - before.1));
        }
        client.shutdown().await;
        let proxied = proxy.bytes.load(std::sync::atomic::Ordering::Relaxed);
        drop(proxy);
        // The first sync's UDP bytes: a second new clinician, through a proxy that delays
        // nothing and counts every datagram, handshake included.
        let client = Node::start(metered, bound_to(link.map_or(LOOPBACK_V4, |(_, c)| c))).await?;
        let meter = net::Proxy::start(target, Duration::ZERO).await?;
        let metered_ticket = Ticket {
            addrs: vec![meter.addr],
            ..ticket.clone()
        };
        let (t_metered, r) = timed(client.sync(&metered_ticket, false)).await;
        let metered_first = r?;
        let first_udp = counted(&meter);
        client.shutdown().await;
        drop(meter);
        let _ = stop.send(());
        anyhow::Ok((
            t_full,
            first,
            shown,
            second,
            incr,
            (slow_runs, slow_udp),
            proxied,
            slow_bytes,
            (rss0, rss_full),
            cpu_full,
            (t_metered, metered_first, first_udp),
        ))
    };
    let (served, out) = tokio::join!(serving, work);
    served?;
    let (
        t_full,
        first,
        shown,
        second,
        incr,
        (slow_runs, slow_udp),
        proxied,
        slow_bytes,
        (rss0, rss_full),
        cpu_full,
        (t_metered, metered_first, first_udp),
    ) = out?;
    server.shutdown().await;
    let wire = first.bytes_sent + first.bytes_received;
    // Baselines, same process, after the nodes are gone.
    let cpu0 = measure::process_cpu();
    let raw = net::raw_transfer(wire).await?;
    let cpu_raw = measure::process_cpu() - cpu0;
    // One raw round trip on the same links, carrying about what each of the sync's two
    // round trips carries each way.
    let payload = (slow_bytes / slow_runs.len() as u64 / 4).max(1) as usize;
    let (hs_fast, rt_fast) = net::link(None, payload).await?;
    let (hs_slow, rt_slow) = net::link(Some(Duration::from_millis(delay_ms)), payload).await?;
    let t_incr = measure::median(&incr.iter().map(|(t, _)| *t).collect::<Vec<_>>());
    let b_incr = measure::median(
        &incr
            .iter()
            .map(|(_, r)| (r.bytes_sent + r.bytes_received) as f64)
            .collect::<Vec<_>>(),
    );
    let t_slow = measure::median(&slow_runs);
    let incr_udp = measure::median(&slow_udp.iter().map(|u| u.0 as f64).collect::<Vec<_>>());
    let incr_datagrams = measure::median(&slow_udp.iter().map(|u| u.1 as f64).collect::<Vec<_>>());
    let rtt = rt_slow - rt_fast;
    let round_trips = ((t_slow - t_incr) - (hs_slow - hs_fast)) / rtt;
    let _ = second;
    Ok(obj(json!({
        "full": t_full,
        "raw": raw,
        "ratio": t_full / raw,
        "cpu_full": cpu_full,
        "cpu_raw": cpu_raw,
        "wire": wire,
        "udp_first": first_udp.0,
        "udp_first_datagrams": first_udp.1,
        "udp_first_stream": metered_first.bytes_sent + metered_first.bytes_received,
        "udp_first_secs": t_metered,
        "udp_first_envelopes": metered_first.received,
        "udp_incr": incr_udp,
        "udp_incr_datagrams": incr_datagrams,
        "udp_incr_each": slow_udp.iter().map(|u| u.0).collect::<Vec<_>>(),
        "wire_from_patient": first.bytes_received,
        "env_bytes": env_bytes,
        "blob_bytes": blob_bytes,
        "bytes_ratio": wire as f64 / (env_bytes + blob_bytes) as f64,
        "envelopes": first.received,
        "shown": shown,
        "incr": t_incr,
        "incr_bytes": b_incr,
        "incr_bytes_each": incr.iter().map(|(_, r)| r.bytes_sent + r.bytes_received).collect::<Vec<_>>(),
        "slow": t_slow,
        "slow_each": slow_runs,
        "handshake_fast": hs_fast,
        "handshake_slow": hs_slow,
        "round_trips": round_trips,
        "round_trip_raw": rtt,
        "round_trips_by_delay": ((t_slow - t_incr) - (hs_slow - hs_fast)) / (2.0 * delay_ms as f64 / 1e3),
        "isolated": link.is_some(),
        "proxied_bytes": proxied,
        "slow_session_bytes": slow_bytes,
        "rss_before_sync": rss0,
        "rss_full_sync": rss_full,
    })))
}

/// The first full sync alone (P3's figure, for profiles): `carnet-bench child first_sync
/// vault=DIR [raw=1]`. The same setup as [`sync`]; nothing else is measured, so a profile
/// of this process is the sync's (and the vaults' opening).
async fn first_sync(args: &Args) -> Result<Map<String, Value>> {
    let src: PathBuf = arg(args, "vault")?;
    let tmp = tempfile::tempdir()?;
    let (patient, doctor) = patient_and_new_gp(&src, tmp.path())?;
    let server = Node::start(patient, bound_to(LOOPBACK_V4)).await?;
    let ticket = server.ticket();
    let client = Node::start(doctor, SyncConfig::default()).await?;
    let (events, _keep) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server.serve(events, async {
        let _ = stopped.await;
    });
    let work = async {
        let cpu0 = measure::process_cpu();
        let (t_full, first) = timed(client.sync(&ticket, false)).await;
        let cpu_full = measure::process_cpu() - cpu0;
        let first = first?;
        client.shutdown().await;
        let _ = stop.send(());
        anyhow::Ok((t_full, cpu_full, first))
    };
    let (served, out) = tokio::join!(serving, work);
    served?;
    let (t_full, cpu_full, first) = out?;
    server.shutdown().await;
    let wire = first.bytes_sent + first.bytes_received;
    let cpu0 = measure::process_cpu();
    let raw = if args.get("raw").is_some() {
        net::raw_transfer(wire).await?
    } else {
        0.0
    };
    let cpu_raw = measure::process_cpu() - cpu0;
    Ok(obj(json!({
        "full": t_full,
        "cpu_full": cpu_full,
        "raw": raw,
        "cpu_raw": cpu_raw,
        "envelopes": first.received,
        "wire": wire,
    })))
}

async fn timed<T>(f: impl std::future::Future<Output = T>) -> (f64, T) {
    let start = std::time::Instant::now();
    let out = f.await;
    (start.elapsed().as_secs_f64(), out)
}

/// P5: revoke the widest grant in force, on a freshly opened copy of the vault.
fn revoke(args: &Args) -> Result<Map<String, Value>> {
    let src: PathBuf = arg(args, "vault")?;
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("p");
    measure::copy_dir(&src, &dir)?;
    let v = Vault::open(&dir, &record::pass())?;
    let g = v
        .grants()?
        .into_iter()
        .filter(|g| !g.revoked)
        .max_by_key(|g| g.sections.len())
        .context("no grant in force")?;
    let log_before = v.consent_log(&v.own_record()?)?.len();
    drop(v);
    let v = Vault::open(&dir, &record::pass())?;
    let (secs, r) = time(|| v.revoke(&g.id));
    r?;
    Ok(obj(json!({
        "secs": secs,
        "sections": g.sections.len(),
        "log": log_before,
    })))
}

#[derive(serde::Deserialize)]
struct SignedRepr {
    entry: Vec<u8>,
    signature: Vec<u8>,
}

/// P6: `carnet_consent::verify` of an export, against ed25519 `verify_strict` over as many
/// signatures (the entries' own messages) one after the other, same process, alternating.
/// Wall time: the verification uses every core (batches on threads), the baseline one.
fn verify(args: &Args) -> Result<Map<String, Value>> {
    let file: PathBuf = arg(args, "export")?;
    let rounds: usize = arg(args, "rounds")?;
    let json = std::fs::read(&file)?;
    let export = AuditExport::from_json(&json)?;
    let card = carnet::crypto::IdentityCard::from_text(&export.patient_card)?;
    let key = card.person_id().verifying_key()?;
    let mut msgs = Vec::with_capacity(export.entries.len());
    for b64 in &export.entries {
        let bytes = data_encoding::BASE64.decode(b64.as_bytes())?;
        let repr: SignedRepr = postcard::from_bytes(&bytes)?;
        let mut m = b"carnet/consent-entry/v1".to_vec();
        m.push(0);
        m.extend_from_slice(&repr.entry);
        let sig = ed25519_dalek::Signature::from_slice(&repr.signature)?;
        msgs.push((m, sig));
    }
    // Wall time: the verification runs on every core, the baseline on one (their CPU
    // times are reported too: this thread's only, so the verification's is partial).
    let (mut figs, mut bases, mut cpus) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (bc, b, ok) =
            measure::cpu_time(|| msgs.iter().all(|(m, s)| key.verify_strict(m, s).is_ok()));
        ensure!(ok, "a signature does not verify");
        bases.push(b);
        let (fc, f, report) = measure::cpu_time(|| carnet::consent::verify(&export, None));
        ensure!(
            report.ok,
            "the log does not verify: {:?}",
            report.first_error
        );
        figs.push(f);
        cpus.push((fc, bc));
    }
    let ratios: Vec<f64> = figs.iter().zip(&bases).map(|(f, b)| f / b).collect();
    Ok(obj(json!({
        "secs": measure::median(&figs),
        "baseline": measure::median(&bases),
        "ratio": measure::median(&ratios),
        "entries": export.entries.len(),
        "each": figs,
        "bases": bases,
        "cpu_this_thread": cpus,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    })))
}

/// Nodes listen on IPv4 loopback only: the link the bench controls.
/// IPv4 loopback, a free port.
const LOOPBACK_V4: std::net::SocketAddr = std::net::SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    0,
));

/// A node listening on `at` only.
fn bound_to(at: std::net::SocketAddr) -> SyncConfig {
    SyncConfig {
        bind: Some(at),
        ..SyncConfig::default()
    }
}

/// Where a vault's bytes go: per redb table, rows, stored bytes, pages and fragmentation,
/// and the file's allocated and free pages (for P7's profile).
fn anatomy(args: &Args) -> Result<Map<String, Value>> {
    use redb::{ReadableDatabase, ReadableTableMetadata};
    let dir: PathBuf = arg(args, "vault")?;
    let file = dir.join("carnet.redb");
    let db = redb::Database::open(&file)?;
    let r = db.begin_read()?;
    let mut tables = Map::new();
    for h in r.list_tables()? {
        let name = redb::TableHandle::name(&h).to_string();
        let t = r.open_untyped_table(h)?;
        let s = t.stats()?;
        tables.insert(
            name,
            json!({
                "rows": t.len()?,
                "stored": s.stored_bytes(),
                "metadata": s.metadata_bytes(),
                "fragmented": s.fragmented_bytes(),
                "leaf_pages": s.leaf_pages(),
                "branch_pages": s.branch_pages(),
            }),
        );
    }
    drop(r);
    let w = db.begin_write()?;
    let s = w.stats()?;
    let out = json!({
        "file": std::fs::metadata(&file)?.len(),
        "allocated_pages": s.allocated_pages(),
        "page_size": s.page_size(),
        "stored": s.stored_bytes(),
        "metadata": s.metadata_bytes(),
        "fragmented": s.fragmented_bytes(),
        "tables": tables,
    });
    w.abort()?;
    Ok(obj(out))
}

/// Compacts a vault's redb file in place (for P7's profile: what free pages cost).
fn compact(args: &Args) -> Result<Map<String, Value>> {
    let dir: PathBuf = arg(args, "vault")?;
    let file = dir.join("carnet.redb");
    let before = std::fs::metadata(&file)?.len();
    let mut db = redb::Database::open(&file)?;
    let (secs, r) = time(|| db.compact());
    r?;
    drop(db);
    let after = std::fs::metadata(&file)?.len();
    Ok(obj(json!({"before": before, "after": after, "secs": secs})))
}
