//! Live sync through the bindings: [`CarnetVault::start_sync`] starts the core's
//! [`carnet_sync::LiveSync`] (its own runtime: the app runs no async code), and the
//! [`CarnetSync`] it returns gives the ticket, connects to peers, and hands out
//! [`SyncEvent`]s from a background thread of the app's choosing.

use std::sync::Arc;
use std::time::Duration;

use carnet_sync::{Activity, LiveSync, SyncConfig, SyncError, Ticket};

use crate::{CarnetError, CarnetVault, Result};

impl From<SyncError> for CarnetError {
    fn from(e: SyncError) -> Self {
        let message = e.to_string();
        match e {
            SyncError::Vault(v) => v.into(),
            SyncError::BadTicket(_) => CarnetError::InvalidInput { message },
            SyncError::Refused(_)
            | SyncError::WeRefused(_)
            | SyncError::VaultExists(_)
            | SyncError::WrongPeer { .. } => CarnetError::Refused { message },
            SyncError::InsideRuntime | SyncError::Internal(_) => CarnetError::Internal { message },
            _ => CarnetError::Network { message },
        }
    }
}

/// What a sync session did, in totals.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// The peer's name, as this vault knows them.
    pub peer: String,
    /// Changes (envelopes) sent.
    pub sent: u64,
    /// New changes received.
    pub received: u64,
    /// Key grants received.
    pub keys_received: u64,
    /// Consent entries (grants, revocations) received.
    pub consent_received: u64,
}

impl From<carnet_sync::SessionReport> for SyncReport {
    fn from(r: carnet_sync::SessionReport) -> Self {
        SyncReport {
            peer: r.peer,
            sent: r.sent as u64,
            received: r.received as u64,
            keys_received: r.keys_received as u64,
            consent_received: r.consent_received as u64,
        }
    }
}

/// Something live sync did, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncEvent {
    /// A peer connected (after both sides said who they are).
    PeerConnected {
        /// Its name, as this vault knows them.
        peer: String,
    },
    /// Entries were added, edited or removed by a peer (`changes`), and/or grants given or
    /// ended (`grants`: key grants and consent entries): refresh what shows them.
    Received {
        /// Who sent them.
        peer: String,
        /// Changes to entries.
        changes: u64,
        /// Grants given or ended (key grants and consent entries).
        grants: u64,
    },
    /// A peer confirmed it stored changes of ours.
    Delivered {
        /// Who.
        peer: String,
        /// How many.
        changes: u64,
    },
    /// A sync session ended well.
    SyncDone {
        /// Its totals.
        report: SyncReport,
    },
    /// The vault changed on this device outside sync (this app or another process).
    VaultChanged,
    /// A peer was refused (unknown, blocked, nothing shared, broke the protocol, too many
    /// sessions).
    Refused {
        /// Its endpoint key (hex); `None` when it was turned away before it said who it is.
        endpoint: Option<String>,
        /// Why, as the core's stable code (`"sync.we_refused"`, `"sync.protocol"`...).
        code: String,
        /// Why, in the core's (English) words.
        why: String,
    },
    /// A session failed (unreachable, dropped); a live session tries again by itself.
    Failed {
        /// The peer's endpoint key (hex).
        endpoint: String,
        /// What happened, as the core's stable code (`"sync.connect"`...).
        code: String,
        /// What happened, in the core's (English) words.
        why: String,
    },
}

fn event(e: carnet_sync::SyncEvent) -> Option<SyncEvent> {
    use carnet_sync::SyncEvent as E;
    Some(match e {
        E::Activity(Activity::Connected { peer }) => SyncEvent::PeerConnected { peer },
        E::Activity(Activity::Received {
            peer,
            changes,
            keys,
            consent,
        }) => SyncEvent::Received {
            peer,
            changes: changes as u64,
            grants: (keys + consent) as u64,
        },
        E::Activity(Activity::Delivered { peer, changes }) => SyncEvent::Delivered {
            peer,
            changes: changes as u64,
        },
        E::Activity(Activity::Finished(r)) => SyncEvent::SyncDone { report: r.into() },
        E::Activity(Activity::VaultChanged) => SyncEvent::VaultChanged,
        E::Refused { endpoint, error } => SyncEvent::Refused {
            endpoint: endpoint.map(|k| k.to_string()),
            code: error.code().to_string(),
            why: error.to_string(),
        },
        E::Failed { endpoint, error } => SyncEvent::Failed {
            endpoint: endpoint.to_string(),
            code: error.code().to_string(),
            why: error.to_string(),
        },
        // Kinds of activity added later reach apps once mapped here.
        _ => return None,
    })
}

/// Live sync of one vault, running in the background on the core's own runtime. Stop it
/// with [`CarnetSync::stop`] (dropping it stops it too).
#[derive(uniffi::Object)]
pub struct CarnetSync {
    live: Arc<LiveSync>,
}

impl std::fmt::Debug for CarnetSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarnetSync").finish_non_exhaustive()
    }
}

fn ticket(text: &str) -> Result<Ticket> {
    text.trim()
        .parse::<Ticket>()
        .map_err(|e| CarnetError::invalid("ticket", e))
}

#[uniffi::export]
impl CarnetVault {
    /// Starts live sync for this vault: serves peers who hold a grant (or whose record
    /// this vault holds), on every interface (`bind`: one address such as
    /// `127.0.0.1:0` instead). The vault handle goes on working meanwhile.
    pub fn start_sync(&self, bind: Option<String>) -> Result<Arc<CarnetSync>> {
        let mut config = SyncConfig::default();
        if let Some(b) = bind {
            config.bind = Some(
                b.parse()
                    .map_err(|e| CarnetError::invalid("bind address", e))?,
            );
        }
        let live = LiveSync::start(self.lock()?.clone(), config)?;
        Ok(Arc::new(CarnetSync {
            live: Arc::new(live),
        }))
    }
}

#[uniffi::export]
impl CarnetSync {
    /// The ticket another device connects to this one with (give it by QR code, say).
    pub fn ticket(&self) -> Result<String> {
        Ok(self.live.ticket().to_string())
    }

    /// Keeps a live session with the device `ticket` names, in the background, connecting
    /// again when it drops, until [`CarnetSync::stop`].
    pub fn connect(&self, ticket_text: String) -> Result<()> {
        let t = ticket(&ticket_text)?;
        Ok(self.live.connect(t)?)
    }

    /// Syncs once with the device `ticket` names and waits for it to end.
    pub fn sync_once(&self, ticket_text: String) -> Result<SyncReport> {
        let t = ticket(&ticket_text)?;
        Ok(self.live.sync_once(&t)?.into())
    }

    /// The next event, waiting up to `timeout_ms` (`None`: none came, or sync stopped).
    pub fn next_event(&self, timeout_ms: u64) -> Option<SyncEvent> {
        let until = std::time::Instant::now() + Duration::from_millis(timeout_ms);
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            let e = self.live.next_event(left.min(Duration::from_millis(100)));
            if let Some(e) = e.and_then(event) {
                return Some(e);
            }
            if left.is_zero() {
                return None;
            }
        }
    }

    /// Stops serving and every live session, and closes the network endpoint.
    pub fn stop(&self) {
        self.live.stop();
    }
}
