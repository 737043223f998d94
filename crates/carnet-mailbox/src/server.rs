//! The mailbox node: its endpoint (keyed by the secret its store keeps), and one task per
//! connection running the protocol against the store.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use carnet::crypto::{DeviceCert, EndpointKey, IdentityCard, PersonId};
use iroh::endpoint::{Connection, presets};
use iroh::{Endpoint, RelayMode, SecretKey};
use serde::Serialize;
use tokio::sync::mpsc;

use carnet::transport::{BindFailure, Fault, LostAt, Violation};

use crate::error::CertProblem;
use crate::frame::{self, Frame, PROTOCOL_VERSION};
use crate::store::AckOutcome;
use crate::{ALPN, MailboxConfig, MailboxError, MailboxStore, MailboxTicket, Refusal};

/// Something a serving mailbox did, for its caller to show (who and how much; never a
/// content). Ids are typed; in JSON they are text, as before, and an error is its text
/// under `why`.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// An item was stored.
    Deposited {
        /// Its id.
        id: u64,
        /// Who deposited it.
        #[serde(serialize_with = "as_text")]
        from: PersonId,
        /// For whom.
        #[serde(serialize_with = "as_text")]
        to: PersonId,
        /// Its size.
        bytes: u64,
    },
    /// Every device of the recipient acknowledged an item, which was deleted.
    Collected {
        /// Its id.
        id: u64,
        /// The collector (the recipient).
        #[serde(serialize_with = "as_text")]
        to: PersonId,
    },
    /// One device of the recipient acknowledged an item, which waits for their others.
    Acknowledged {
        /// Its id.
        id: u64,
        /// The recipient.
        #[serde(serialize_with = "as_text")]
        to: PersonId,
        /// How many of their devices have not acknowledged it yet.
        waiting_for: usize,
    },
    /// A request was refused.
    Refused {
        /// The caller's endpoint key.
        endpoint: EndpointKey,
        /// Why, as a kind ([`Refusal::code`]); in JSON, its text as `why`.
        #[serde(rename = "why", serialize_with = "as_text")]
        refusal: Refusal,
    },
    /// A session failed (the link dropped, the peer broke the protocol).
    Failed {
        /// The caller's endpoint key.
        endpoint: EndpointKey,
        /// What happened, as a kind ([`MailboxError::code`]); in JSON, its text as `why`.
        #[serde(rename = "why", serialize_with = "as_text")]
        error: Arc<MailboxError>,
    },
    /// A person was allowed to deposit while the mailbox runs (`carnet mailbox allow`).
    Allowed {
        /// Their id.
        #[serde(serialize_with = "as_text")]
        id: PersonId,
        /// Their name, as their card says.
        name: String,
    },
    /// Expired items were deleted.
    Expired {
        /// How many.
        items: usize,
    },
}

fn as_text<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

struct Shared {
    store: Arc<MailboxStore>,
    config: MailboxConfig,
    sessions: AtomicUsize,
}

/// A mailbox on the network.
pub struct Mailbox {
    endpoint: Endpoint,
    shared: Arc<Shared>,
    /// The machine's usable interface addresses when the mailbox started (loopback first).
    interfaces: Vec<IpAddr>,
}

/// Whether a peer could dial an address as it stands in a ticket.
fn usable(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4.is_unspecified() && !v4.is_multicast() && !v4.is_link_local(),
        IpAddr::V6(v6) => {
            !v6.is_unspecified() && !v6.is_multicast() && (v6.segments()[0] & 0xffc0) != 0xfe80
        }
    }
}

pub(crate) async fn bind(
    secret: &[u8; 32],
    relay: bool,
    relay_url: Option<&iroh::RelayUrl>,
    addr: Option<SocketAddr>,
    alpns: Vec<Vec<u8>>,
) -> Result<Endpoint, MailboxError> {
    let key = SecretKey::from_bytes(secret);
    let builder = if let Some(url) = relay_url {
        Endpoint::builder(presets::Minimal).relay_mode(RelayMode::Custom(url.clone().into()))
    } else if relay {
        Endpoint::builder(presets::N0)
    } else {
        Endpoint::builder(presets::Minimal).relay_mode(RelayMode::Disabled)
    };
    let mut builder = builder.secret_key(key).alpns(alpns);
    if let Some(addr) = addr {
        builder = builder.clear_ip_transports().bind_addr(addr).map_err(|e| {
            MailboxError::Bind(BindFailure::Endpoint {
                addrs: vec![addr],
                source: Box::new(e),
            })
        })?;
    }
    let endpoint = builder.bind().await.map_err(|e| {
        MailboxError::Bind(BindFailure::Endpoint {
            addrs: addr.into_iter().collect(),
            source: Box::new(e),
        })
    })?;
    if relay_url.is_some() {
        // Reachable through the relay from the start; an unreachable relay leaves direct
        // paths working, so this only waits a while.
        let _ = tokio::time::timeout(Duration::from_secs(10), endpoint.online()).await;
    }
    Ok(endpoint)
}

pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Mailbox {
    /// Starts the mailbox's endpoint with the key its store keeps.
    pub async fn start(
        store: MailboxStore,
        config: MailboxConfig,
    ) -> Result<Mailbox, MailboxError> {
        let secret = store.endpoint_secret()?;
        let endpoint = bind(
            &secret,
            config.relay,
            config.relay_url.as_ref(),
            config.bind,
            vec![ALPN.to_vec()],
        )
        .await?;
        drop(secret);
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
        Ok(Mailbox {
            interfaces,
            endpoint,
            shared: Arc::new(Shared {
                store: Arc::new(store),
                config,
                sessions: AtomicUsize::new(0),
            }),
        })
    }

    /// The store this mailbox serves.
    pub fn store(&self) -> &MailboxStore {
        &self.shared.store
    }

    /// How to reach this mailbox.
    pub fn ticket(&self) -> MailboxTicket {
        let mut addrs: Vec<SocketAddr> = Vec::new();
        let mut add = |a: SocketAddr| {
            if usable(&a.ip()) && !addrs.contains(&a) {
                addrs.push(a);
            }
        };
        for s in self.endpoint.bound_sockets() {
            if s.ip().is_unspecified() {
                // Every interface of that family, and loopback.
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
        addrs.sort_by_key(|a| !a.ip().is_loopback());
        addrs.truncate(16);
        MailboxTicket {
            endpoint: *self.endpoint.id().as_bytes(),
            addrs,
        }
    }

    /// Accepts callers until `shutdown` resolves, each on its own task; deletes expired
    /// items at start and every hour. Reports what happens on `events`.
    pub async fn serve(
        &self,
        events: mpsc::UnboundedSender<Event>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), MailboxError> {
        tokio::pin!(shutdown);
        let mut tasks = tokio::task::JoinSet::new();
        let mut purge = tokio::time::interval(Duration::from_secs(3600));
        let mut queue = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = queue.tick() => {
                    let store = self.shared.store.clone();
                    let allowed = tokio::task::spawn_blocking(move || store.take_queue())
                        .await
                        .map_err(task("queue"))??;
                    for (id, name) in allowed {
                        let _ = events.send(Event::Allowed { id, name });
                    }
                }
                _ = purge.tick() => {
                    let store = self.shared.store.clone();
                    let n = tokio::task::spawn_blocking(move || store.purge_expired(now_unix()))
                        .await
                        .map_err(task("purge"))??;
                    if n > 0 {
                        let _ = events.send(Event::Expired { items: n });
                    }
                }
                incoming = self.endpoint.accept() => {
                    let Some(incoming) = incoming else { break };
                    if self.shared.sessions.load(Ordering::SeqCst) >= self.shared.config.max_sessions {
                        incoming.refuse();
                        continue;
                    }
                    self.shared.sessions.fetch_add(1, Ordering::SeqCst);
                    let shared = self.shared.clone();
                    let events = events.clone();
                    tasks.spawn(async move {
                        let timeout = shared.config.timeout;
                        let conn = tokio::time::timeout(timeout, incoming).await;
                        if let Ok(Ok(conn)) = conn {
                            let endpoint = EndpointKey(*conn.remote_id().as_bytes());
                            match session(&shared, &conn, &events).await {
                                Ok(()) => {}
                                Err(MailboxError::Refused(r)) => {
                                    let _ = events.send(Event::Refused { endpoint, refusal: r });
                                }
                                Err(e) => {
                                    let _ = events.send(Event::Failed { endpoint, error: Arc::new(e) });
                                }
                            }
                            // Let the caller read our last frame before the connection goes.
                            let _ = tokio::time::timeout(timeout, conn.closed()).await;
                        }
                        shared.sessions.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = &mut shutdown => break,
            }
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        Ok(())
    }

    /// Closes the endpoint.
    pub async fn shutdown(self) {
        let _ = tokio::time::timeout(Duration::from_millis(200), self.endpoint.close()).await;
    }
}

/// Checks a caller's hello: a card, and a device certificate by that card's person for
/// the endpoint the connection authenticated. Returns the person, and whether the device
/// is the one that holds the person's key (its certificate names no signing key of its
/// own): only that device may drop devices from the person's list.
fn check_hello(frame: Frame, remote: &[u8; 32]) -> Result<(PersonId, bool), Refusal> {
    let Frame::Hello {
        version,
        card,
        cert,
    } = frame
    else {
        return Err(Refusal::BadCertificate(CertProblem::NotPresented));
    };
    if version != PROTOCOL_VERSION {
        return Err(Refusal::Version {
            theirs: PROTOCOL_VERSION,
            ours: version,
        });
    }
    let card =
        IdentityCard::from_text(&card).map_err(|_| Refusal::BadCertificate(CertProblem::Card))?;
    let cert = DeviceCert::from_bytes(&cert)
        .map_err(|_| Refusal::BadCertificate(CertProblem::Certificate))?;
    let claim = cert
        .verify(remote)
        .map_err(|_| Refusal::BadCertificate(CertProblem::Certificate))?;
    if claim.person != card.person_id() {
        return Err(Refusal::BadCertificate(CertProblem::OfAnother));
    }
    Ok((claim.person, claim.signing.is_none()))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MailboxError> + Send + 'static,
) -> Result<T, MailboxError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(task("store"))?
}

fn task(what: &'static str) -> impl FnOnce(tokio::task::JoinError) -> MailboxError {
    move |e| {
        MailboxError::Internal(Fault::Task {
            what,
            source: Box::new(e),
        })
    }
}

async fn session(
    shared: &Arc<Shared>,
    conn: &Connection,
    events: &mpsc::UnboundedSender<Event>,
) -> Result<(), MailboxError> {
    let timeout = shared.config.timeout;
    let remote = *conn.remote_id().as_bytes();
    let (mut send, mut recv) = tokio::time::timeout(timeout, conn.accept_bi())
        .await
        .map_err(|_| MailboxError::Timeout("waiting for the caller's stream"))?
        .map_err(|e| MailboxError::lost(frame::lost(e), LostAt::Unknown))?;
    let hello = frame::expect(&mut recv, timeout, "waiting for the hello").await?;
    let (person, holds_key) = match check_hello(hello, &remote) {
        Ok(p) => p,
        Err(r) => {
            frame::write(&mut send, &Frame::Refused(r.clone())).await?;
            let _ = send.finish();
            return Err(MailboxError::Refused(r));
        }
    };
    frame::write(&mut send, &Frame::Welcome).await?;
    let store = shared.store.clone();
    let limits = shared.config.limits.clone();
    let mut offered: HashSet<u64> = HashSet::new();
    while let Some(f) = frame::read(&mut recv, timeout, "waiting for a request").await? {
        match f {
            Frame::Deposit { to, size } => {
                let allowed = shared.config.open || {
                    let s = store.clone();
                    blocking(move || s.is_allowed(&person)).await?
                };
                let checked = if !allowed {
                    Err(MailboxError::Refused(Refusal::NotAllowed))
                } else {
                    let (s, l) = (store.clone(), limits.clone());
                    blocking(move || s.check(&person, &to, size, &l)).await
                };
                match checked {
                    Ok(()) => {}
                    Err(MailboxError::Refused(r)) => {
                        frame::write(&mut send, &Frame::Refused(r.clone())).await?;
                        let _ = events.send(Event::Refused {
                            endpoint: EndpointKey(remote),
                            refusal: r,
                        });
                        continue;
                    }
                    Err(e) => return Err(e),
                }
                frame::write(&mut send, &Frame::Ready).await?;
                // `size` is at most max_item_bytes here: checked before allocating.
                let bytes = frame::read_chunks(&mut recv, size, timeout).await?;
                let (s, l) = (store.clone(), limits.clone());
                let stored =
                    blocking(move || s.deposit(&person, &to, &bytes, now_unix(), &l)).await;
                match stored {
                    Ok(id) => {
                        frame::write(&mut send, &Frame::Accepted(id)).await?;
                        let _ = events.send(Event::Deposited {
                            id,
                            from: person,
                            to,
                            bytes: size,
                        });
                    }
                    Err(MailboxError::Refused(r)) => {
                        frame::write(&mut send, &Frame::Refused(r)).await?;
                    }
                    Err(e) => {
                        frame::write(&mut send, &Frame::Refused(Refusal::Unavailable)).await?;
                        return Err(e);
                    }
                }
            }
            Frame::Next | Frame::Ack(_)
                if !{
                    let s = store.clone();
                    blocking(move || s.may_collect(&person, &remote)).await?
                } =>
            {
                let r = Refusal::DeviceNotListed;
                frame::write(&mut send, &Frame::Refused(r.clone())).await?;
                let _ = send.finish();
                return Err(MailboxError::Refused(r));
            }
            Frame::Next => {
                let s = store.clone();
                let waiting =
                    blocking(move || s.waiting_for_device(&person, &remote, now_unix())).await?;
                let next = waiting.into_iter().find(|(id, _)| !offered.contains(id));
                let Some((id, meta)) = next else {
                    frame::write(&mut send, &Frame::Empty).await?;
                    continue;
                };
                offered.insert(id);
                let s = store.clone();
                let bytes = blocking(move || s.bytes(id)).await?.unwrap_or_default();
                frame::write(
                    &mut send,
                    &Frame::Item {
                        id,
                        from: meta.from,
                        created: meta.created,
                        size: bytes.len() as u64,
                    },
                )
                .await?;
                frame::write_chunks(&mut send, &bytes).await?;
            }
            Frame::Ack(id) => {
                let s = store.clone();
                // Only the recipient's own items: an ack for another's id deletes nothing;
                // an item is deleted once every device of its recipient acknowledged it.
                match blocking(move || s.ack(id, &person, &remote)).await? {
                    AckOutcome::Deleted => {
                        let _ = events.send(Event::Collected { id, to: person });
                    }
                    AckOutcome::Kept { waiting_for } => {
                        let _ = events.send(Event::Acknowledged {
                            id,
                            to: person,
                            waiting_for,
                        });
                    }
                    AckOutcome::NotYours => {}
                }
                frame::write(&mut send, &Frame::Acked).await?;
            }
            Frame::Devices(list) => {
                let s = store.clone();
                match blocking(move || s.declare_devices(&person, &remote, &list, holds_key)).await
                {
                    Ok(_) => frame::write(&mut send, &Frame::DevicesNoted).await?,
                    Err(MailboxError::Refused(r)) => {
                        frame::write(&mut send, &Frame::Refused(r.clone())).await?;
                        let _ = send.finish();
                        return Err(MailboxError::Refused(r));
                    }
                    Err(e) => return Err(e),
                }
            }
            other => {
                return Err(MailboxError::Protocol(Violation::Unexpected {
                    expected: "a deposit, a collection, an acknowledgement or a device list",
                    got: other.name(),
                }));
            }
        }
    }
    let _ = send.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events are typed for an app and read the same in JSON as when they were text:
    /// ids as their usual text, an error as its sentence under `why`.
    #[test]
    fn events_in_json_keep_their_text_form() {
        let person = PersonId([7; 32]);
        let ev = Event::Deposited {
            id: 3,
            from: person,
            to: person,
            bytes: 10,
        };
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["event"], "deposited");
        assert_eq!(json["from"], person.to_string());
        assert_eq!(json["to"], person.to_string());
        let ev = Event::Refused {
            endpoint: EndpointKey([0xab; 32]),
            refusal: Refusal::NotAllowed,
        };
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["endpoint"], "ab".repeat(32));
        assert_eq!(json["why"], Refusal::NotAllowed.to_string());
        let ev = Event::Failed {
            endpoint: EndpointKey([1; 32]),
            error: Arc::new(MailboxError::NoItem(4)),
        };
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["why"], MailboxError::NoItem(4).to_string());
        let json = serde_json::to_value(Event::Allowed {
            id: person,
            name: "Dr Martin".into(),
        })
        .unwrap();
        assert_eq!(json["id"], person.to_string());
    }
}
