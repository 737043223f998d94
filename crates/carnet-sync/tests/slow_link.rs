//! A slow link is not a stalled one: over a 64 kbit/s link, an attachment whose one message
//! takes several times the timeout to cross still arrives, because the timeout is on
//! progress, not on whole messages. Real vaults, real iroh endpoints on loopback, and a
//! user-space UDP proxy between them that limits the rate (each direction a token bucket
//! with a bounded queue, as a slow mobile link would).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use carnet::consent::Access;
use carnet::crypto::Role;
use carnet::record::SectionId;
use carnet_sync::{Node, SyncConfig, Ticket};
use common::vault;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Bytes per second of the emulated link (64 kbit/s).
const RATE: f64 = 8_000.0;
/// What the link buffers before it drops (a few seconds of traffic).
const QUEUE: usize = 48 * 1024;

/// One direction of the link: datagrams leave at `RATE`, in order, after those queued
/// before them; past `QUEUE` bytes waiting, new ones are dropped.
fn direction(out: Arc<UdpSocket>) -> mpsc::UnboundedSender<(Vec<u8>, SocketAddr)> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Vec<u8>, SocketAddr)>();
    let queued = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (ltx, mut lrx) = mpsc::unbounded_channel::<(Vec<u8>, SocketAddr)>();
    let q = queued.clone();
    tokio::spawn(async move {
        while let Some((d, to)) = rx.recv().await {
            if q.load(std::sync::atomic::Ordering::Relaxed) + d.len() > QUEUE {
                continue;
            }
            q.fetch_add(d.len(), std::sync::atomic::Ordering::Relaxed);
            let _ = ltx.send((d, to));
        }
    });
    tokio::spawn(async move {
        while let Some((d, to)) = lrx.recv().await {
            tokio::time::sleep(Duration::from_secs_f64(d.len() as f64 / RATE)).await;
            queued.fetch_sub(d.len(), std::sync::atomic::Ordering::Relaxed);
            let _ = out.send_to(&d, to).await;
        }
    });
    tx
}

/// A rate-limited UDP proxy: clients send to the returned address, the proxy forwards to
/// `server` from its back socket, and answers come back the same way.
async fn slow_proxy(server: SocketAddr) -> SocketAddr {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let back = Arc::new(UdpSocket::bind("[::1]:0").await.unwrap());
    let addr = front.local_addr().unwrap();
    let to_server = direction(back.clone());
    let to_client = direction(front.clone());
    let client: Arc<std::sync::Mutex<Option<SocketAddr>>> = Arc::default();
    let c = client.clone();
    let f = front.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = f.recv_from(&mut buf).await {
            *c.lock().unwrap() = Some(from);
            let _ = to_server.send((buf[..n].to_vec(), server));
        }
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, _)) = back.recv_from(&mut buf).await {
            if let Some(to) = *client.lock().unwrap() {
                let _ = to_client.send((buf[..n].to_vec(), to));
            }
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_longer_than_the_timeout_crosses_a_64_kbit_link() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback to isolate the link");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let patient = vault(&tmp.path().join("p"), "Pat", Role::Patient);
    let doctor = vault(&tmp.path().join("d"), "Doc", Role::Clinician);
    let record = patient.own_record().unwrap();
    // 48 KB that do not compress: one message of ~48 KB, six seconds at 64 kbit/s.
    let scan = common::noise(48 * 1024);
    patient
        .attach(&record, &scan, common::scan_input())
        .unwrap();
    patient
        .add_contact("Doc", &doctor.card().to_text())
        .unwrap();
    patient
        .grant("Doc", &[SectionId::Documents], Access::Read, "care", None)
        .unwrap();
    // A timeout far shorter than the message takes: only progress keeps the session up.
    let timeout = Duration::from_secs(2);
    // The server on IPv6 loopback only, the client on IPv4 loopback only: the proxy is the
    // one path between them (iroh would otherwise find the direct one).
    let server = Node::start(
        patient,
        SyncConfig {
            timeout,
            bind: Some("[::1]:0".parse().unwrap()),
            ..SyncConfig::default()
        },
    )
    .await
    .unwrap();
    let direct = server.ticket();
    let port = direct.addrs.iter().find(|a| a.is_ipv6()).unwrap().port();
    let proxy = slow_proxy(SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port))).await;
    let ticket = Ticket {
        addrs: vec![proxy],
        ..direct
    };
    let client = Node::start(
        doctor,
        SyncConfig {
            timeout,
            bind: Some("127.0.0.1:0".parse().unwrap()),
            ..SyncConfig::default()
        },
    )
    .await
    .unwrap();
    let (events, _keep) = mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server.serve(events, async {
        let _ = stopped.await;
    });
    let syncing = async {
        let started = std::time::Instant::now();
        let r = client.sync(&ticket, false).await;
        let took = started.elapsed();
        let _ = stop.send(());
        (r, took)
    };
    let (served, (report, took)) = tokio::join!(serving, syncing);
    served.unwrap();
    let report = report.expect("the sync goes through a slow link");
    assert!(report.received >= 1, "{report:?}");
    assert!(
        report.bytes_received >= scan.len() as u64,
        "{} bytes received",
        report.bytes_received
    );
    // The link really was slow: the attachment alone needs several timeouts to cross.
    assert!(
        took > timeout * 2,
        "the sync took {took:?}: the proxy did not slow it down"
    );
    let docs = client
        .with_vault(move |v| v.list(&record, Some(SectionId::Documents)))
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);
    let id = docs[0].id.clone();
    let (_, bytes) = client
        .with_vault(move |v| v.attachment(&record, &id))
        .await
        .unwrap();
    assert_eq!(&bytes[..], &scan[..]);
    client.shutdown().await;
    server.shutdown().await;
}
