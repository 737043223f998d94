//! The network side of the benchmarks: the raw iroh baseline (the same bytes over one bi
//! stream between two bare endpoints), the QUIC handshake alone, and a UDP proxy that
//! delays every datagram, to count round trips by their cost in time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use iroh::endpoint::{Connection, presets};
use iroh::{Endpoint, EndpointAddr, RelayMode, TransportAddr};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

const RAW_ALPN: &[u8] = b"carnet-bench/raw/1";

async fn endpoint(alpn: bool, only: Option<SocketAddr>) -> Result<Endpoint> {
    let mut b = Endpoint::builder(presets::Minimal).relay_mode(RelayMode::Disabled);
    if alpn {
        b = b.alpns(vec![RAW_ALPN.to_vec()]);
    }
    if let Some(a) = only {
        b = b
            .clear_ip_transports()
            .bind_addr(a)
            .map_err(|e| anyhow!("bind: {e}"))?;
    }
    b.bind().await.map_err(|e| anyhow!("bind: {e}"))
}

/// Where the server of a delayed link listens, and the client's only address, so that
/// the delaying proxy is the one path between them: the server on IPv6 loopback only,
/// the client on IPv4 loopback only, the proxy in between (IPv4 in front, IPv6 behind).
/// Otherwise iroh finds the direct path and moves the connection onto it (its NAT
/// traversal works on loopback too), and the delay no longer shows. `None` where this
/// machine has no IPv6 loopback.
pub fn isolated_link() -> Option<(SocketAddr, SocketAddr)> {
    std::net::UdpSocket::bind("[::1]:0").ok()?;
    Some((
        SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0)),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    ))
}

/// The loopback address an endpoint listens on (IPv4 if it has it, else IPv6).
pub fn loopback(ep: &Endpoint) -> Result<SocketAddr> {
    let socks = ep.bound_sockets();
    if let Some(s) = socks.iter().find(|s| s.is_ipv4()) {
        return Ok(SocketAddr::from(([127, 0, 0, 1], s.port())));
    }
    socks
        .iter()
        .find(|s| s.is_ipv6())
        .map(|s| SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, s.port())))
        .context("no socket")
}

/// The next connection to `ep`, its handshake done.
async fn accept(ep: &Endpoint) -> Result<Connection> {
    let inc = ep.accept().await.context("no connection")?;
    inc.await.map_err(|e| anyhow!("accept: {e}"))
}

/// A bare connection from `ep` to `addr` on the benchmark's own ALPN.
async fn dial(ep: &Endpoint, addr: EndpointAddr) -> Result<Connection> {
    ep.connect(addr, RAW_ALPN)
        .await
        .map_err(|e| anyhow!("connect: {e}"))
}

fn addr_of(ep: &Endpoint, via: Option<SocketAddr>) -> Result<EndpointAddr> {
    let a = match via {
        Some(p) => p,
        None => loopback(ep)?,
    };
    Ok(EndpointAddr::from_parts(ep.id(), [TransportAddr::Ip(a)]))
}

/// Seconds to send `n` bytes from a listener to a dialer over one iroh bi stream, from the
/// dialer's `connect` to its last byte read: the same shape as a first sync (the dialer
/// asks, the listener sends), with nothing but QUIC in between.
pub async fn raw_transfer(n: u64) -> Result<f64> {
    let server = endpoint(true, None).await?;
    let client = endpoint(false, None).await?;
    let addr = addr_of(&server, None)?;
    let srv = server.clone();
    let serving = tokio::spawn(async move {
        let conn = accept(&srv).await?;
        let (mut send, mut recv) = conn.accept_bi().await?;
        let mut ask = [0u8; 1];
        recv.read_exact(&mut ask).await?;
        // Content does not matter to QUIC (it encrypts, never compresses).
        let chunk = vec![0x5au8; 1 << 20];
        let mut left = n;
        while left > 0 {
            let k = left.min(chunk.len() as u64) as usize;
            send.write_all(&chunk[..k]).await?;
            left -= k as u64;
        }
        send.finish()?;
        conn.closed().await;
        anyhow::Ok(())
    });
    let start = Instant::now();
    let conn = dial(&client, addr).await?;
    let (mut send, mut recv) = conn.open_bi().await?;
    send.write_all(&[1]).await?;
    let mut got = 0u64;
    while let Some(c) = recv.read_chunk(usize::MAX).await? {
        got += c.len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(got == n, "received {got} of {n} bytes");
    conn.close(0u32.into(), b"done");
    let _ = tokio::time::timeout(Duration::from_secs(5), serving).await;
    client.close().await;
    server.close().await;
    Ok(secs)
}

/// What a link costs a bare iroh connection: seconds for the handshake, and for one
/// request-response round trip on an open stream carrying `payload` bytes each way (the
/// mean of two, on one stream: QUIC paces by its round-trip estimate, so a round trip's
/// time on a slow link is more than the link's delay alone). Directly, or through a proxy
/// that delays each datagram by `delay`, on the same kind of link as the sync's (see
/// [`isolated_link`]).
pub async fn link(delay: Option<Duration>, payload: usize) -> Result<(f64, f64)> {
    let (server_at, client_at) = match isolated_link() {
        Some((s, c)) => (Some(s), delay.map(|_| c)),
        None => (None, None),
    };
    let server = endpoint(true, server_at).await?;
    let client = endpoint(false, client_at).await?;
    let target = loopback(&server)?;
    let proxy = match delay {
        Some(d) => Some(Proxy::start(target, d).await?),
        None => None,
    };
    let addr = addr_of(&server, proxy.as_ref().map(|p| p.addr))?;
    let srv = server.clone();
    let answering = tokio::spawn(async move {
        let conn = accept(&srv).await?;
        let (mut send, mut recv) = conn.accept_bi().await?;
        let mut buf = vec![0u8; payload];
        for _ in 0..ROUNDS {
            recv.read_exact(&mut buf).await?;
            send.write_all(&buf).await?;
        }
        conn.closed().await;
        anyhow::Ok(())
    });
    let start = Instant::now();
    let conn = dial(&client, addr).await?;
    let handshake = start.elapsed().as_secs_f64();
    let (mut send, mut recv) = conn.open_bi().await?;
    let mut buf = vec![0x5au8; payload];
    let start = Instant::now();
    for _ in 0..ROUNDS {
        send.write_all(&buf).await?;
        recv.read_exact(&mut buf).await?;
    }
    let round_trip = start.elapsed().as_secs_f64() / ROUNDS as f64;
    conn.close(0u32.into(), b"done");
    let _ = tokio::time::timeout(Duration::from_secs(2), answering).await;
    client.close().await;
    server.close().await;
    Ok((handshake, round_trip))
}

/// Round trips timed by [`link`].
const ROUNDS: usize = 2;

/// A UDP proxy on loopback that holds every datagram `delay` before passing it on, both
/// ways: a link with a round trip of twice `delay`, and the meter of what a sync puts on
/// the wire (with no delay, for the bytes alone). One client at a time.
pub struct Proxy {
    /// Where to send instead of the target.
    pub addr: SocketAddr,
    /// Datagram bytes carried, both ways: UDP payloads, that is every QUIC packet with its
    /// handshake, acknowledgements, padding and probes (IP and UDP headers, 28 to 48 bytes
    /// per datagram, not included).
    pub bytes: Arc<AtomicU64>,
    /// Datagrams carried, both ways.
    pub datagrams: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Proxy {
    /// Starts a proxy to `target`.
    pub async fn start(target: SocketAddr, delay: Duration) -> Result<Proxy> {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let back = Arc::new(if target.is_ipv6() {
            UdpSocket::bind("[::1]:0").await?
        } else {
            UdpSocket::bind("127.0.0.1:0").await?
        });
        let addr = front.local_addr()?;
        let bytes = Arc::new(AtomicU64::new(0));
        let datagrams = Arc::new(AtomicU64::new(0));
        let client: Arc<std::sync::Mutex<Option<SocketAddr>>> = Arc::default();
        let (up_tx, mut up_rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
        let (down_tx, mut down_rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
        let mut tasks = Vec::new();
        // Readers stamp each datagram with its release time; writers release in order.
        {
            let (front, client, bytes, datagrams) = (
                front.clone(),
                client.clone(),
                bytes.clone(),
                datagrams.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 65_536];
                while let Ok((n, from)) = front.recv_from(&mut buf).await {
                    *client.lock().unwrap_or_else(|p| p.into_inner()) = Some(from);
                    bytes.fetch_add(n as u64, Ordering::Relaxed);
                    datagrams.fetch_add(1, Ordering::Relaxed);
                    let _ = up_tx.send((Instant::now() + delay, buf[..n].to_vec()));
                }
            }));
        }
        {
            let (back, bytes, datagrams) = (back.clone(), bytes.clone(), datagrams.clone());
            tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 65_536];
                while let Ok((n, _)) = back.recv_from(&mut buf).await {
                    bytes.fetch_add(n as u64, Ordering::Relaxed);
                    datagrams.fetch_add(1, Ordering::Relaxed);
                    let _ = down_tx.send((Instant::now() + delay, buf[..n].to_vec()));
                }
            }));
        }
        {
            let back = back.clone();
            tasks.push(tokio::spawn(async move {
                while let Some((at, d)) = up_rx.recv().await {
                    tokio::time::sleep_until(at.into()).await;
                    let _ = back.send_to(&d, target).await;
                }
            }));
        }
        {
            let front = front.clone();
            tasks.push(tokio::spawn(async move {
                while let Some((at, d)) = down_rx.recv().await {
                    tokio::time::sleep_until(at.into()).await;
                    let to = *client.lock().unwrap_or_else(|p| p.into_inner());
                    if let Some(to) = to {
                        let _ = front.send_to(&d, to).await;
                    }
                }
            }));
        }
        Ok(Proxy {
            addr,
            bytes,
            datagrams,
            tasks,
        })
    }
}
