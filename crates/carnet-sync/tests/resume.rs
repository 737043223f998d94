//! A live sync cut in the middle of a large attachment resumes there (issue 13), over real
//! iroh endpoints: a UDP proxy carries the first ~2 MiB of a 3 MiB attachment and then
//! drops everything (a link that dies); the receiver keeps the parts that arrived whole,
//! and the next sync, through a link that holds, carries only the rest.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use carnet::consent::Access;
use carnet::crypto::Role;
use carnet::record::SectionId;
use carnet_sync::{Node, SyncConfig, Ticket};
use common::vault;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

const SIZE: usize = 3 * (1 << 20);

/// A UDP proxy to `server` that forwards everything until `limit` bytes went from the
/// server to the client, then nothing more either way (the link is gone).
async fn dying_proxy(server: SocketAddr, limit: u64) -> SocketAddr {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let back = Arc::new(UdpSocket::bind("[::1]:0").await.unwrap());
    let addr = front.local_addr().unwrap();
    let down = Arc::new(AtomicU64::new(0));
    let client: Arc<std::sync::Mutex<Option<SocketAddr>>> = Arc::default();
    let (c, f, b, d) = (client.clone(), front.clone(), back.clone(), down.clone());
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = f.recv_from(&mut buf).await {
            *c.lock().unwrap() = Some(from);
            if d.load(Ordering::Relaxed) < limit {
                let _ = b.send_to(&buf[..n], server).await;
            }
        }
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, _)) = back.recv_from(&mut buf).await {
            if down.fetch_add(n as u64, Ordering::Relaxed) >= limit {
                continue;
            }
            let to = *client.lock().unwrap();
            if let Some(to) = to {
                let _ = front.send_to(&buf[..n], to).await;
            }
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_attachment_goes_on_from_where_the_link_died() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback to isolate the link");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let patient = vault(&tmp.path().join("p"), "Pat", Role::Patient);
    let doctor = vault(&tmp.path().join("d"), "Doc", Role::Clinician);
    let patient_id = patient.person_id();
    let record = patient.own_record().unwrap();
    let scan = common::noise(SIZE);
    patient
        .attach(&record, &scan, common::scan_input())
        .unwrap();
    patient
        .add_contact("Doc", &doctor.card().to_text())
        .unwrap();
    patient
        .grant("Doc", &[SectionId::Documents], Access::Read, "care", None)
        .unwrap();
    let timeout = Duration::from_secs(2);
    // The server on IPv6 loopback only, the client on IPv4 only: the proxy is the path.
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
    let to_server = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port));
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
        // First: the link dies after ~2 MiB towards the doctor.
        let dying = Ticket {
            addrs: vec![dying_proxy(to_server, 2 << 20).await],
            ..direct.clone()
        };
        let first = client.sync(&dying, false).await;
        let kept = client
            .with_vault(move |v| v.engine().partials_from(&patient_id))
            .await
            .unwrap();
        // Then a link that holds.
        let holding = Ticket {
            addrs: vec![dying_proxy(to_server, u64::MAX).await],
            ..direct.clone()
        };
        let second = client.sync(&holding, false).await;
        let _ = stop.send(());
        (first, kept, second)
    };
    let (served, (first, kept, second)) = tokio::join!(serving, syncing);
    served.unwrap();
    assert!(
        first.is_err(),
        "the first sync should have been cut: {first:?}"
    );
    assert_eq!(kept.len(), 1, "the cut attachment's first parts are kept");
    let held = kept[0].1;
    assert!(held >= 1 << 20, "{held} bytes kept");
    let second = second.expect("the second sync goes through");
    // Only the rest crossed (plus the envelope, frames and the session's own messages).
    assert!(
        second.bytes_received < (SIZE as u64) - held + (256 << 10),
        "{} bytes received the second time, {held} were kept",
        second.bytes_received
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
    assert!(
        client
            .with_vault(move |v| v.engine().partials_from(&patient_id))
            .await
            .unwrap()
            .is_empty()
    );
    client.shutdown().await;
    server.shutdown().await;
}
