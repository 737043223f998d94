//! Live sync for an app: a [`Node`] on a runtime of its own, started and stopped with plain
//! calls, and its events read from any thread.
//!
//! An app (or its bindings) does not run tokio: [`LiveSync::start`] makes a small runtime
//! (two worker threads), starts the node on it and serves peers in the background;
//! [`LiveSync::connect`] keeps a live session with a peer, connecting again when it drops;
//! [`LiveSync::next_event`] hands out what happens, in order. The app keeps using its
//! [`Vault`] handle meanwhile: the node holds a clone of it.

use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use std::sync::Arc;

use carnet::Vault;
use carnet::crypto::EndpointKey;
use serde::Serialize;
use tokio::sync::watch;

use crate::{Activity, Event, Node, SessionReport, SyncConfig, SyncError, Ticket};

/// How long a live session waits before connecting again after it dropped.
const RECONNECT_EVERY: Duration = Duration::from_secs(2);

/// What live sync tells an app, in the order it happened.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SyncEvent {
    /// A session's activity: a peer connected ([`Activity::Connected`]), entries, keys or
    /// grants received ([`Activity::Received`]: `changes` are entries added, edited or
    /// removed; `keys` and `consent` are grants given or ended), changes delivered, a
    /// sync done ([`Activity::Finished`]), the vault changed on this device
    /// ([`Activity::VaultChanged`]). The same stream `carnet sync --watch` prints.
    Activity(Activity),
    /// A peer was refused (unknown, blocked, nothing shared, broke the protocol, too many
    /// sessions).
    Refused {
        /// Its endpoint key; `None` when it was turned away before it said who it is.
        endpoint: Option<EndpointKey>,
        /// Why, as a kind: match it, or show [`SyncError::code`]'s words. In JSON, its
        /// text as `why`.
        #[serde(rename = "why", serialize_with = "crate::node::error_text")]
        error: Arc<SyncError>,
    },
    /// A session failed (the peer could not be reached, the link dropped): a live session
    /// connects again by itself; what was not acknowledged is sent again.
    Failed {
        /// The peer's endpoint key (the one connected to, or the one that came).
        endpoint: EndpointKey,
        /// What happened, as a kind. In JSON, its text as `why`.
        #[serde(rename = "why", serialize_with = "crate::node::error_text")]
        error: Arc<SyncError>,
    },
}

/// Live sync running on a runtime it owns. Dropping it stops it (as [`LiveSync::stop`]).
pub struct LiveSync {
    /// The runtime, until stopped (taken to shut it down).
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    /// Where calls run their work (valid until the runtime shuts down).
    handle: tokio::runtime::Handle,
    node: std::sync::Arc<Node>,
    events: Mutex<mpsc::Receiver<SyncEvent>>,
    send: mpsc::Sender<SyncEvent>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for LiveSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSync")
            .field("ticket", &self.node.ticket().to_string())
            .finish()
    }
}

impl LiveSync {
    /// Starts a node for `vault` on a runtime of its own and serves peers in the
    /// background. Call it from a plain thread (an app's), not from inside an async
    /// runtime: an async caller uses [`Node`] directly.
    pub fn start(vault: Vault, config: SyncConfig) -> Result<LiveSync, SyncError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(SyncError::InsideRuntime);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("carnet-sync")
            .enable_all()
            .build()
            .map_err(|e| {
                SyncError::Bind(carnet::transport::BindFailure::Endpoint {
                    addrs: Vec::new(),
                    source: Box::new(e),
                })
            })?;
        let node = std::sync::Arc::new(runtime.block_on(Node::start(vault, config))?);
        let (send, events) = mpsc::channel();
        let (stop, stopped) = watch::channel(false);
        // Sessions' activity, in order, onto the app's queue.
        let mut activity = node.activity();
        let tx = send.clone();
        runtime.spawn(async move {
            loop {
                match activity.recv().await {
                    Ok(a) => {
                        if tx.send(SyncEvent::Activity(a)).is_err() {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                }
            }
        });
        // Serving, with refusals and failures onto the same queue.
        let (served, mut serve_events) = tokio::sync::mpsc::unbounded_channel();
        let tx = send.clone();
        runtime.spawn(async move {
            while let Some(e) = serve_events.recv().await {
                let e = match e {
                    // Its activity already said it (`Activity::Finished`).
                    Event::Synced(_) => continue,
                    Event::Refused { endpoint, error } => SyncEvent::Refused { endpoint, error },
                    Event::Failed { endpoint, error } => SyncEvent::Failed { endpoint, error },
                };
                if tx.send(e).is_err() {
                    return;
                }
            }
        });
        let serving = node.clone();
        let mut until = stopped.clone();
        runtime.spawn(async move {
            let _ = serving
                .serve(served, async move {
                    let _ = until.wait_for(|s| *s).await;
                })
                .await;
        });
        Ok(LiveSync {
            handle: runtime.handle().clone(),
            runtime: Mutex::new(Some(runtime)),
            node,
            events: Mutex::new(events),
            send,
            stop,
        })
    }

    /// The ticket a peer connects to this device with.
    pub fn ticket(&self) -> Ticket {
        self.node.ticket()
    }

    /// The vault the node serves (a handle on the same vault as the app's).
    pub fn vault(&self) -> Vault {
        self.node.vault()
    }

    /// Syncs once with the device `ticket` names, both ways, and waits for it to end.
    pub fn sync_once(&self, ticket: &Ticket) -> Result<SessionReport, SyncError> {
        self.running()?;
        self.handle.block_on(self.node.sync(ticket, false))
    }

    /// Keeps a live session with the device `ticket` names, in the background: changes
    /// flow both ways as they are made, and the session connects again when it drops,
    /// until [`LiveSync::stop`]. What happens arrives as events.
    pub fn connect(&self, ticket: Ticket) -> Result<(), SyncError> {
        let node = self.node.clone();
        let tx = self.send.clone();
        let mut stopped = self.stop.subscribe();
        self.running()?;
        self.handle.spawn(async move {
            loop {
                if *stopped.borrow() {
                    return;
                }
                if let Err(e) = node.sync(&ticket, true).await
                    && tx
                        .send(SyncEvent::Failed {
                            endpoint: EndpointKey(ticket.endpoint),
                            error: Arc::new(e),
                        })
                        .is_err()
                {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(RECONNECT_EVERY) => {}
                    _ = stopped.wait_for(|s| *s) => return,
                }
            }
        });
        Ok(())
    }

    /// The next event, waiting up to `timeout` for one (`None`: none came, or sync stopped).
    pub fn next_event(&self, timeout: Duration) -> Option<SyncEvent> {
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events.recv_timeout(timeout).ok()
    }

    /// Stops serving and every live session (they finish the batch they were on), closes
    /// the endpoint and the runtime. Calls after it are refused ([`SyncError::Stopped`]);
    /// stopping again does nothing.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
        self.node.stop();
        let runtime = self
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(runtime) = runtime {
            let node = self.node.clone();
            runtime.block_on(async move {
                let _ = tokio::time::timeout(Duration::from_secs(1), node.close()).await;
            });
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl LiveSync {
    fn running(&self) -> Result<(), SyncError> {
        match *self.stop.borrow() {
            true => Err(SyncError::Stopped),
            false => Ok(()),
        }
    }
}

impl Drop for LiveSync {
    fn drop(&mut self) {
        self.stop();
    }
}
