//! A device on the network: its iroh endpoint (keyed by the vault's endpoint key), the
//! vault it serves, and the loop that notices changes made by other processes on the same
//! vault so live peers receive them.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use carnet::Vault;
use carnet::crypto::{EndpointKey, IdentityCard};
use carnet::transport::{BindFailure, Cause, ConnectFailure, LinkLost, LostAt, TicketProblem};
use iroh::endpoint::{Connection, IdleTimeout, QuicTransportConfig, presets};
use iroh::{Endpoint, EndpointAddr, RelayMode, SecretKey, TransportAddr};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::session::{self, SessionReport, Side, note_attempt, with_vault};
use crate::{ALPN, PeerRefusal, SyncError, Ticket};

/// How long closing the endpoint waits for peers to acknowledge the close.
const CLOSE_WAIT: Duration = Duration::from_millis(100);

/// How long a node with a relay of its own waits, when it starts, to be connected to it.
const RELAY_WAIT: Duration = Duration::from_secs(10);

/// How a node runs.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    /// Use iroh's public relays (needs the internet). Off by default: direct addresses on
    /// loopback and the LAN only.
    pub relay: bool,
    /// A relay of one's own (`carnet config set relay URL`): the node homes on this relay
    /// server only (iroh's `RelayMode::Custom`) and dials every peer through it as well as
    /// directly, so two devices that cannot reach each other meet there. The relay forwards
    /// QUIC packets it cannot open. Takes precedence over `relay`.
    pub relay_url: Option<iroh::RelayUrl>,
    /// How long a peer may take to answer, and to finish a message once started.
    pub timeout: Duration,
    /// How often a serving node looks for changes made by other processes.
    pub poll: Duration,
    /// The local address to listen on, and only that one (default: every interface of
    /// both address families, on `port`).
    pub bind: Option<SocketAddr>,
    /// The port to listen on, on every interface of both address families, when `bind`
    /// is not set (`None`: a free one). A device that serves on the same port every time
    /// keeps its tickets, and `sync NAME`, working across restarts.
    pub port: Option<u16>,
    /// The most sessions a serving node runs at once; a peer beyond it is turned away
    /// ("busy") before anything is read from it.
    pub max_sessions: usize,
    /// The most sessions one person (all their devices) may hold with this node at once;
    /// a new one beyond it replaces their oldest (closed at once).
    pub max_sessions_per_person: usize,
    /// The most bytes of received batches this node buffers at once over every session;
    /// a session whose batch would go beyond it ends with an error (its sender sends the
    /// batch again next time).
    pub max_buffered_bytes: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            relay: false,
            relay_url: None,
            timeout: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            bind: None,
            port: None,
            max_sessions: 64,
            max_sessions_per_person: 4,
            max_buffered_bytes: 512 << 20,
        }
    }
}

/// Something a serving node did, for its caller to show.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A session ended well.
    Synced(SessionReport),
    /// A peer was refused (unknown, blocked, nothing shared, broke the protocol, too many
    /// sessions).
    Refused {
        /// Its endpoint key; `None` when it was turned away before it said who it is.
        endpoint: Option<EndpointKey>,
        /// Why, as a kind ([`SyncError::code`]); in JSON, its text as `why`.
        #[serde(rename = "why", serialize_with = "error_text")]
        error: Arc<SyncError>,
    },
    /// A session with an accepted peer failed (the link stalled or dropped, the peer left
    /// early): what was not acknowledged is sent again at its next sync.
    Failed {
        /// The peer's endpoint key.
        endpoint: EndpointKey,
        /// What happened, as a kind; in JSON, its text as `why`.
        #[serde(rename = "why", serialize_with = "error_text")]
        error: Arc<SyncError>,
    },
}

pub(crate) fn error_text<S: serde::Serializer>(
    e: &Arc<SyncError>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(e)
}

/// What a session does as it happens, batch by batch: for a display that shows each
/// change as it goes (`sync --watch`, `serve`), or an app ([`Node::activity`]). Sent on a
/// broadcast channel: a subscriber that falls behind misses events, never blocks a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "activity", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Activity {
    /// A peer was accepted (after both hellos).
    Connected {
        /// The peer's name, as this vault knows them.
        peer: String,
    },
    /// A batch from the peer was stored.
    Received {
        /// Who sent it.
        peer: String,
        /// New changes (envelopes) in it.
        changes: usize,
        /// New keys in it.
        keys: usize,
        /// New consent entries in it.
        consent: usize,
    },
    /// The peer confirmed it stored a batch of ours.
    Delivered {
        /// Who.
        peer: String,
        /// Changes (envelopes) in it.
        changes: usize,
    },
    /// A session ended well, with its totals.
    Finished(crate::SessionReport),
    /// The vault changed outside any session (an entry added, edited or removed, a grant
    /// given or revoked, by this process or another): what a live session sends next.
    VaultChanged,
}

pub(crate) struct Shared {
    /// Sessions' activity, for whoever subscribed ([`Node::activity`]).
    pub(crate) activity: tokio::sync::broadcast::Sender<Activity>,
    pub(crate) vault: Vault,
    pub(crate) card: IdentityCard,
    pub(crate) cert: Vec<u8>,
    pub(crate) config: SyncConfig,
    pub(crate) changes: watch::Receiver<u64>,
    pub(crate) attempts: Mutex<HashMap<[u8; 32], Instant>>,
    /// Bytes each way over every session, for a caller's progress display.
    pub(crate) traffic: Arc<crate::frame::Counters>,
    /// Sessions accepted and running.
    pub(crate) sessions: std::sync::atomic::AtomicUsize,
    /// Sessions running per person (after their hello): an id and the connection of each.
    pub(crate) per_person:
        Mutex<HashMap<carnet::crypto::PersonId, Vec<(u64, iroh::endpoint::Connection)>>>,
    /// Bytes of received batches buffered over every session.
    pub(crate) buffered: std::sync::atomic::AtomicU64,
}

/// A running accepted session, counted until it ends.
struct SessionSlot(Arc<Shared>);

impl Drop for SessionSlot {
    fn drop(&mut self) {
        self.0
            .sessions
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// One device on the network, serving and dialing with the same vault.
pub struct Node {
    endpoint: Endpoint,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    poller: tokio::task::JoinHandle<()>,
    /// The machine's interface addresses when the node started (loopback first).
    interfaces: Vec<IpAddr>,
}

/// Whether a peer could dial an interface address as it stands in a ticket: not
/// unspecified, not multicast, and not IPv6 link-local (it needs a zone the ticket cannot
/// carry).
fn usable(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4.is_unspecified() && !v4.is_multicast() && !v4.is_link_local(),
        IpAddr::V6(v6) => {
            !v6.is_unspecified() && !v6.is_multicast() && (v6.segments()[0] & 0xffc0) != 0xfe80
        }
    }
}

/// Why the endpoint could not listen: the kind, learned by trying the same address with a
/// plain socket (iroh's own report does not say), else iroh's report.
fn bind_failure(wanted: &[SocketAddr], iroh_says: Cause) -> BindFailure {
    for addr in wanted {
        if let Err(e) = std::net::UdpSocket::bind(addr)
            && let Some(kind) = BindFailure::from_io(*addr, &e)
        {
            return kind;
        }
    }
    BindFailure::Endpoint {
        addrs: wanted.to_vec(),
        source: iroh_says,
    }
}

/// Connects to `addr` on `alpn` within `timeout`: no answer and a transport's refusal are
/// the two kinds of [`ConnectFailure`].
pub(crate) async fn dial(
    endpoint: &Endpoint,
    addr: EndpointAddr,
    alpn: &[u8],
    timeout: Duration,
) -> Result<Connection, SyncError> {
    tokio::time::timeout(timeout, endpoint.connect(addr, alpn))
        .await
        .map_err(|_| {
            SyncError::Connect(ConnectFailure::NoAnswer {
                secs: timeout.as_secs(),
            })
        })?
        .map_err(|e| {
            SyncError::Connect(ConnectFailure::Transport {
                source: Box::new(e),
            })
        })
}

impl Node {
    /// Starts the endpoint with this vault's device key. Relays stay off unless the config
    /// says otherwise: nothing here needs the internet.
    pub async fn start(vault: Vault, config: SyncConfig) -> Result<Node, SyncError> {
        let engine = vault.engine();
        let secret = engine.endpoint_secret()?;
        let cert = engine.device_cert()?.as_bytes().to_vec();
        let card = vault.card().clone();
        let key = SecretKey::from_bytes(&secret);
        drop(secret);
        let transport = QuicTransportConfig::builder()
            // Path-MTU probes (about 8 KiB each way on every connection) cost more than a
            // whole incremental sync; 1,200-byte packets (QUIC's safe minimum) carry it.
            .mtu_discovery_config(None)
            .keep_alive_interval(Duration::from_secs(5))
            .max_idle_timeout(Some(
                IdleTimeout::try_from(Duration::from_secs(30)).map_err(|e| {
                    SyncError::Bind(BindFailure::Endpoint {
                        addrs: Vec::new(),
                        source: Box::new(e),
                    })
                })?,
            ))
            .build();
        let builder = if let Some(url) = &config.relay_url {
            Endpoint::builder(presets::Minimal).relay_mode(RelayMode::Custom(url.clone().into()))
        } else if config.relay {
            Endpoint::builder(presets::N0)
        } else {
            Endpoint::builder(presets::Minimal).relay_mode(RelayMode::Disabled)
        };
        let mut builder = builder
            .secret_key(key)
            .alpns(vec![ALPN.to_vec(), crate::link::LINK_ALPN.to_vec()])
            .transport_config(transport);
        let wanted: Vec<SocketAddr> = match (config.bind, config.port) {
            (Some(addr), _) => vec![addr],
            (None, Some(port)) => vec![
                SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
                SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
            ],
            (None, None) => Vec::new(),
        };
        if !wanted.is_empty() {
            // Without clearing, iroh keeps its default socket of the other address family.
            builder = builder.clear_ip_transports();
            for (i, addr) in wanted.iter().enumerate() {
                // IPv6 may be missing on a machine; IPv4 (or the address asked for) not.
                let opts = iroh::endpoint::BindOpts::default().set_is_required(i == 0);
                builder = builder.bind_addr_with_opts(*addr, opts).map_err(|e| {
                    SyncError::Bind(BindFailure::Endpoint {
                        addrs: vec![*addr],
                        source: Box::new(e),
                    })
                })?;
            }
        }
        let endpoint = builder
            .bind()
            .await
            .map_err(|e| SyncError::Bind(bind_failure(&wanted, Box::new(e))))?;
        if config.relay_url.is_some() {
            // Reachable through the relay from the moment the ticket is shown; an
            // unreachable relay leaves direct paths working, so this only waits a while.
            let _ = tokio::time::timeout(RELAY_WAIT, endpoint.online()).await;
        }
        // Every address of every interface that is up (unique-local IPv6 included: on a
        // LAN it is often the one IPv6 address peers can reach), loopback first.
        let state = netwatch::interfaces::State::new().await;
        let mut interfaces: Vec<IpAddr> = state
            .interfaces
            .values()
            .filter(|i| i.is_up())
            .flat_map(|i| i.addrs().map(|net| net.addr()).collect::<Vec<_>>())
            .map(|ip| ip.to_canonical())
            .filter(usable)
            .collect();
        interfaces.sort_by_key(|ip| (!ip.is_loopback(), *ip));
        interfaces.dedup();
        let (changes_tx, changes) = watch::channel(0u64);
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            activity: tokio::sync::broadcast::channel(256).0,
            vault,
            card,
            cert,
            config: config.clone(),
            changes,
            attempts: Mutex::new(HashMap::new()),
            traffic: Arc::default(),
            sessions: Default::default(),
            per_person: Mutex::new(HashMap::new()),
            buffered: Default::default(),
        });
        let poller = tokio::spawn(poll_changes(shared.clone(), changes_tx, config.poll));
        Ok(Node {
            endpoint,
            shared,
            stop,
            poller,
            interfaces,
        })
    }

    /// Every session's activity from now on, batch by batch ([`Activity`]).
    pub fn activity(&self) -> tokio::sync::broadcast::Receiver<Activity> {
        self.shared.activity.subscribe()
    }

    /// Bytes received and sent by this node's sessions so far (frames of the sync
    /// protocol, counted as they move, not only once whole): what a progress display shows.
    pub fn traffic(&self) -> (u64, u64) {
        self.shared.traffic.totals()
    }

    /// The local sockets this node listens on (to remember a port).
    pub fn bound(&self) -> Vec<SocketAddr> {
        self.endpoint.bound_sockets()
    }

    /// How to reach this device: its endpoint key, its owner and its direct addresses.
    pub fn ticket(&self) -> Ticket {
        let mut addrs: Vec<SocketAddr> = Vec::new();
        let mut add = |a: SocketAddr| {
            if usable(&a.ip()) && !addrs.contains(&a) {
                addrs.push(a);
            }
        };
        for s in self.endpoint.bound_sockets() {
            if s.ip().is_unspecified() {
                // Every interface of that family: loopback, the LAN, routable IPv6.
                for ip in self
                    .interfaces
                    .iter()
                    .filter(|ip| ip.is_ipv4() == s.is_ipv4())
                {
                    add(SocketAddr::new(*ip, s.port()));
                }
                add(match s {
                    SocketAddr::V4(a) => SocketAddr::from((Ipv4Addr::LOCALHOST, a.port())),
                    SocketAddr::V6(a) => SocketAddr::from((Ipv6Addr::LOCALHOST, a.port())),
                });
            } else {
                add(s);
            }
        }
        for a in self.endpoint.addr().ip_addrs() {
            add(*a);
        }
        // Loopback first: the fastest path when both ends share a machine.
        addrs.sort_by_key(|a| !a.ip().is_loopback());
        addrs.truncate(16);
        Ticket {
            endpoint: *self.endpoint.id().as_bytes(),
            person: self.shared.card.person_id(),
            addrs,
        }
    }

    /// Accepts peers until `shutdown` resolves; each session runs on its own task, so a slow
    /// or hostile peer never holds up the others. Reports what happens on `events`.
    pub async fn serve(
        &self,
        events: mpsc::UnboundedSender<Event>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), SyncError> {
        tokio::pin!(shutdown);
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                incoming = self.endpoint.accept() => {
                    let Some(incoming) = incoming else { break };
                    // Over the cap, a peer is turned away before anything is read from it.
                    let running = self.shared.sessions.load(std::sync::atomic::Ordering::SeqCst);
                    if running >= self.shared.config.max_sessions {
                        incoming.refuse();
                        let _ = events.send(Event::Refused {
                            endpoint: None,
                            error: Arc::new(SyncError::WeRefused(PeerRefusal::Full {
                                sessions: running as u64,
                            })),
                        });
                        continue;
                    }
                    self.shared.sessions.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let shared = self.shared.clone();
                    let events = events.clone();
                    let stop = self.stop.subscribe();
                    tasks.spawn(async move {
                        let _running = SessionSlot(shared.clone());
                        let timeout = shared.config.timeout;
                        let conn: Connection = match tokio::time::timeout(timeout, incoming).await {
                            Ok(Ok(c)) => c,
                            _ => return,
                        };
                        let remote = *conn.remote_id().as_bytes();
                        if conn.alpn() != ALPN {
                            // Links are answered only by `device link`, never by serve.
                            conn.close(1u32.into(), b"not linking");
                            return;
                        }
                        match session::run(shared.clone(), conn, Side::Listener, None, true, stop).await {
                            Ok(r) => {
                                let _ = events.send(Event::Synced(r));
                            }
                            Err(e) => {
                                let endpoint = EndpointKey(remote);
                                // Only a peer that broke the protocol made a refused attempt;
                                // a poor link is not an attack.
                                let refused = matches!(e, SyncError::Protocol(_) | SyncError::Refused(_) | SyncError::WeRefused(_) | SyncError::WrongPeer { .. });
                                if matches!(e, SyncError::Protocol(_)) {
                                    note_attempt(&shared, remote, None, e.to_string()).await;
                                }
                                let error = Arc::new(e);
                                let _ = events.send(if refused {
                                    Event::Refused { endpoint: Some(endpoint), error }
                                } else {
                                    Event::Failed { endpoint, error }
                                });
                            }
                        }
                    });
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = &mut shutdown => break,
            }
        }
        let _ = self.stop.send(true);
        while tokio::time::timeout(Duration::from_secs(5), tasks.join_next())
            .await
            .ok()
            .flatten()
            .is_some()
        {}
        Ok(())
    }

    /// Syncs with the device a ticket names: one session, both ways. With `live`, stays
    /// connected and exchanges further changes until `stop` is called or the peer leaves.
    pub async fn sync(&self, ticket: &Ticket, live: bool) -> Result<SessionReport, SyncError> {
        let key = iroh::PublicKey::from_bytes(&ticket.endpoint)
            .map_err(|_| SyncError::BadTicket(TicketProblem::BadKey))?;
        // A ticket carries direct addresses only; with a relay of one's own, the peer is
        // looked for there too (both sides are expected to use the same relay).
        let relay = self
            .shared
            .config
            .relay_url
            .clone()
            .map(TransportAddr::Relay);
        let addr = EndpointAddr::from_parts(
            key,
            ticket
                .addrs
                .iter()
                .map(|a| TransportAddr::Ip(*a))
                .chain(relay),
        );
        let conn = dial(&self.endpoint, addr, ALPN, self.shared.config.timeout).await?;
        let report = session::run(
            self.shared.clone(),
            conn,
            Side::Dialer,
            Some(ticket.person),
            live,
            self.stop.subscribe(),
        )
        .await?;
        let person = ticket.person;
        let text = ticket.to_string();
        with_vault(&self.shared, move |v| {
            v.engine().remember_address(&person, &text)
        })
        .await?;
        Ok(report)
    }

    /// A one-time code to link a new device of this person: this device's ticket and a fresh
    /// secret. Pass it to [`Node::wait_link`].
    pub fn link_code(&self) -> Result<crate::link::LinkCode, SyncError> {
        Ok(crate::link::LinkCode {
            ticket: self.ticket(),
            secret: carnet::crypto::random_array::<16>().map_err(carnet::Error::from)?,
        })
    }

    /// Waits (at most `wait`) for the new device holding `code` and links it: registers it,
    /// then sends it the whole vault. The code is spent by the first attempt, right or
    /// wrong. Sync peers that come meanwhile are turned away.
    pub async fn wait_link(
        &self,
        code: &crate::link::LinkCode,
        wait: Duration,
    ) -> Result<crate::link::LinkReport, SyncError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let incoming = tokio::time::timeout_at(deadline, self.endpoint.accept())
                .await
                .map_err(|_| SyncError::Timeout("waiting for the new device"))?
                .ok_or_else(|| SyncError::lost(LinkLost::EndpointClosed, LostAt::Unknown))?;
            let conn = match tokio::time::timeout(self.shared.config.timeout, incoming).await {
                Ok(Ok(c)) => c,
                _ => continue,
            };
            if conn.alpn() != crate::link::LINK_ALPN {
                conn.close(1u32.into(), b"linking");
                continue;
            }
            return crate::link::answer(self.shared.clone(), conn, code.secret).await;
        }
    }

    /// Ends live sessions (they finish what they were doing).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Runs `f` on the vault this node serves, on a blocking thread (for an async caller's
    /// own operations while it runs; a caller may as well keep a clone of the vault).
    pub async fn with_vault<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Vault) -> carnet::Result<T> + Send + 'static,
    ) -> Result<T, SyncError> {
        with_vault(&self.shared, f).await
    }

    /// The vault this node serves: a handle on the same vault, for the caller to read and
    /// write while the node runs.
    pub fn vault(&self) -> Vault {
        self.shared.vault.clone()
    }

    /// Stops the node and closes its endpoint, as [`Node::shutdown`] does, for a caller
    /// that shares the node.
    pub async fn close(&self) {
        let _ = self.stop.send(true);
        self.poller.abort();
        let _ = tokio::time::timeout(CLOSE_WAIT, self.endpoint.close()).await;
    }

    /// Closes the endpoint gracefully.
    ///
    /// The peers' acknowledgement of the close is awaited briefly only: every session has
    /// already made sure its peer has everything (it ends only once the peer finished its
    /// stream), so waiting a whole round trip more for it would only delay the exit.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.poller.abort();
        let _ = tokio::time::timeout(CLOSE_WAIT, self.endpoint.close()).await;
    }
}

/// Bumps the change counter whenever the vault's change marker moves, whoever moved it
/// (this process, or another `carnet` command on the same vault).
async fn poll_changes(shared: Arc<Shared>, tx: watch::Sender<u64>, every: Duration) {
    let mut last = None;
    loop {
        if let Ok(m) = with_vault(&shared, |v| v.engine().change_marker()).await {
            if last.is_some() && last != Some(m) {
                tx.send_modify(|n| *n += 1);
                let _ = shared.activity.send(Activity::VaultChanged);
            }
            last = Some(m);
        }
        tokio::time::sleep(every).await;
    }
}
