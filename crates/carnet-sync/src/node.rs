//! A device on the network: its iroh endpoint (keyed by the vault's endpoint key), the
//! vault it serves, and the loop that notices changes made by other processes on the same
//! vault so live peers receive them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use carnet::Vault;
use carnet::crypto::IdentityCard;
use iroh::endpoint::{Connection, IdleTimeout, QuicTransportConfig, presets};
use iroh::{Endpoint, EndpointAddr, RelayMode, SecretKey, TransportAddr};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::session::{self, SessionReport, Side, note_attempt, with_vault};
use crate::{ALPN, SyncError, Ticket};

/// How a node runs.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    /// Use iroh's public relays (needs the internet). Off by default: direct addresses on
    /// loopback and the LAN only.
    pub relay: bool,
    /// How long a peer may take to answer, and to finish a message once started.
    pub timeout: Duration,
    /// How often a serving node looks for changes made by other processes.
    pub poll: Duration,
    /// The local address to listen on, and only that one (default: every interface of
    /// both address families, a free port).
    pub bind: Option<SocketAddr>,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            relay: false,
            timeout: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            bind: None,
        }
    }
}

/// Something a serving node did, for its caller to show.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A session ended well.
    Synced(SessionReport),
    /// A peer was refused (unknown, blocked, nothing shared, broke the protocol).
    Refused {
        /// Its endpoint key (hex).
        endpoint: String,
        /// Why.
        why: String,
    },
    /// A session with an accepted peer failed (the link stalled or dropped, the peer left
    /// early): what was not acknowledged is sent again at its next sync.
    Failed {
        /// The peer's endpoint key (hex).
        endpoint: String,
        /// What happened.
        why: String,
    },
}

pub(crate) struct Shared {
    pub(crate) vault: Mutex<Vault>,
    pub(crate) card: IdentityCard,
    pub(crate) cert: Vec<u8>,
    pub(crate) config: SyncConfig,
    pub(crate) changes: watch::Receiver<u64>,
    pub(crate) attempts: Mutex<HashMap<[u8; 32], Instant>>,
}

/// One device on the network, serving and dialing with the same vault.
pub struct Node {
    endpoint: Endpoint,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    poller: tokio::task::JoinHandle<()>,
}

impl Node {
    /// Starts the endpoint with this vault's device key. Relays stay off unless the config
    /// says otherwise: nothing here needs the internet.
    pub async fn start(mut vault: Vault, config: SyncConfig) -> Result<Node, SyncError> {
        let secret = vault.endpoint_secret()?;
        let cert = vault.device_cert()?.as_bytes().to_vec();
        let card = vault.card().clone();
        let key = SecretKey::from_bytes(&secret);
        drop(secret);
        let transport = QuicTransportConfig::builder()
            .keep_alive_interval(Duration::from_secs(5))
            .max_idle_timeout(Some(
                IdleTimeout::try_from(Duration::from_secs(30))
                    .map_err(|e| SyncError::Bind(e.to_string()))?,
            ))
            .build();
        let builder = if config.relay {
            Endpoint::builder(presets::N0)
        } else {
            Endpoint::builder(presets::Minimal).relay_mode(RelayMode::Disabled)
        };
        let mut builder = builder
            .secret_key(key)
            .alpns(vec![ALPN.to_vec(), crate::link::LINK_ALPN.to_vec()])
            .transport_config(transport);
        if let Some(addr) = config.bind {
            // Without clearing, iroh keeps its default socket of the other address family.
            builder = builder
                .clear_ip_transports()
                .bind_addr(addr)
                .map_err(|e| SyncError::Bind(e.to_string()))?;
        }
        let endpoint = builder
            .bind()
            .await
            .map_err(|e| SyncError::Bind(e.to_string()))?;
        let (changes_tx, changes) = watch::channel(0u64);
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            vault: Mutex::new(vault),
            card,
            cert,
            config: config.clone(),
            changes,
            attempts: Mutex::new(HashMap::new()),
        });
        let poller = tokio::spawn(poll_changes(shared.clone(), changes_tx, config.poll));
        Ok(Node {
            endpoint,
            shared,
            stop,
            poller,
        })
    }

    /// How to reach this device: its endpoint key, its owner and its direct addresses.
    pub fn ticket(&self) -> Ticket {
        let mut addrs: Vec<SocketAddr> = self.endpoint.addr().ip_addrs().copied().collect();
        for s in self.endpoint.bound_sockets() {
            let local = if s.ip().is_unspecified() {
                match s {
                    SocketAddr::V4(a) => SocketAddr::from(([127, 0, 0, 1], a.port())),
                    SocketAddr::V6(a) => {
                        SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port()))
                    }
                }
            } else {
                s
            };
            if !addrs.contains(&local) {
                addrs.push(local);
            }
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
                    let shared = self.shared.clone();
                    let events = events.clone();
                    let stop = self.stop.subscribe();
                    tasks.spawn(async move {
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
                                let endpoint = data_encoding::HEXLOWER.encode(&remote);
                                let why = e.to_string();
                                // Only a peer that broke the protocol made a refused attempt;
                                // a poor link is not an attack.
                                let refused = matches!(e, SyncError::Protocol(_) | SyncError::Refused(_) | SyncError::WrongPeer(_));
                                if matches!(e, SyncError::Protocol(_)) {
                                    note_attempt(&shared, remote, None, why.clone()).await;
                                }
                                let _ = events.send(if refused {
                                    Event::Refused { endpoint, why }
                                } else {
                                    Event::Failed { endpoint, why }
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
            .map_err(|e| SyncError::BadTicket(e.to_string()))?;
        let addr =
            EndpointAddr::from_parts(key, ticket.addrs.iter().map(|a| TransportAddr::Ip(*a)));
        let timeout = self.shared.config.timeout;
        let conn = tokio::time::timeout(timeout, self.endpoint.connect(addr, ALPN))
            .await
            .map_err(|_| SyncError::Connect("no answer".into()))?
            .map_err(|e| SyncError::Connect(e.to_string()))?;
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
        with_vault(&self.shared, move |v| v.remember_address(&person, &text)).await?;
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
                .ok_or_else(|| SyncError::Connection("the endpoint closed".into()))?;
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

    /// Runs `f` on the vault this node serves (for the caller's own operations while it
    /// runs).
    pub async fn with_vault<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vault) -> carnet::Result<T> + Send + 'static,
    ) -> Result<T, SyncError> {
        with_vault(&self.shared, f).await
    }

    /// Closes the endpoint gracefully.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.poller.abort();
        self.endpoint.close().await;
    }
}

/// Bumps the change counter whenever the vault's change marker moves, whoever moved it
/// (this process, or another `carnet` command on the same vault).
async fn poll_changes(shared: Arc<Shared>, tx: watch::Sender<u64>, every: Duration) {
    let mut last = None;
    loop {
        if let Ok(m) = with_vault(&shared, |v| v.change_marker()).await {
            if last.is_some() && last != Some(m) {
                tx.send_modify(|n| *n += 1);
            }
            last = Some(m);
        }
        tokio::time::sleep(every).await;
    }
}
