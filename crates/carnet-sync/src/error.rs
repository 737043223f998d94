use carnet::crypto::PersonId;
pub use carnet::transport::{
    BindFailure, ConnectFailure, Fault, LinkLost, LostAt, TicketProblem, Violation,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

impl SyncError {
    /// A connection lost as `lost`, at `at`.
    pub fn lost(lost: LinkLost, at: LostAt) -> SyncError {
        SyncError::Connection { lost, at }
    }

    /// A task of the session that failed.
    pub(crate) fn task(what: &'static str) -> impl FnOnce(tokio::task::JoinError) -> SyncError {
        move |e| {
            SyncError::Internal(Fault::Task {
                what,
                source: Box::new(e),
            })
        }
    }

    /// A message of ours that cannot be encoded.
    pub(crate) fn encode<E: std::error::Error + Send + Sync + 'static>(
        what: &'static str,
    ) -> impl FnOnce(E) -> SyncError {
        move |e| {
            SyncError::Internal(Fault::Encode {
                what,
                detail: Box::new(e),
            })
        }
    }

    /// A message of the peer's that does not decode.
    pub(crate) fn undecodable<E: std::error::Error + Send + Sync + 'static>(
        what: &'static str,
    ) -> impl FnOnce(E) -> SyncError {
        move |e| {
            SyncError::Protocol(Violation::Undecodable {
                what,
                source: Box::new(e),
            })
        }
    }
}

/// Why a peer would not sync, as it says so on the wire (a `Refused` frame): a kind an app
/// can match and put in its own words, never free text to parse. Both sides use it: the one
/// that refuses (in [`SyncError::WeRefused`]) and the one refused (in
/// [`SyncError::Refused`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Error)]
#[non_exhaustive]
pub enum PeerRefusal {
    /// A device of the same person that the serving vault does not know: never linked to
    /// it, or removed.
    #[error("this device is not registered with the vault, or was removed: link it first")]
    NotLinked,
    /// The device may not exchange with others: removed by its owner, or not its owner's
    /// primary device (only the primary shares).
    #[error(
        "this device does not exchange with others: it was removed by its owner, or it is not its owner's primary device"
    )]
    NotPrimary,
    /// The refusing vault's owner blocked the other: nothing is sent to them and nothing
    /// from them is accepted.
    #[error("blocked: nothing is sent and nothing is accepted")]
    Blocked,
    /// The other is not known to the refusing vault (not a contact, grantee or patient).
    #[error("not known to this vault: nothing is shared")]
    Unknown,
    /// Nothing is shared with the other: no grant in force.
    #[error("nothing is shared (no grant in force){}", ended_text(.ended))]
    NothingShared {
        /// When the access ended (Unix seconds), if it had been granted: the former grantee
        /// learns when, not why.
        ended: Option<u64>,
    },
    /// The receiver refused a batch it was sent (a change that does not verify, a grant
    /// it may not accept...): nothing of that batch was kept.
    #[error("a batch was refused ({code}): {detail}")]
    Batch {
        /// The receiver's error code (`carnet::Error::code`).
        code: String,
        /// The receiver's words for it.
        detail: String,
    },
    /// The receiver is taking in too much at once over all its sessions: try again later.
    #[error(
        "the device is receiving too much at once ({buffered_mib} MiB buffered over every session); try again later"
    )]
    Busy {
        /// What it holds buffered, in MiB.
        buffered_mib: u64,
    },
    /// Linking: the code is wrong, or was already used.
    #[error("the link code is wrong (or was already used)")]
    WrongLinkCode,
    /// Linking: the two devices run versions of Carnet that do not link.
    #[error("the other device runs another version of Carnet: install the same one on both")]
    LinkVersion,
    /// The refusing device serves as many sessions as it takes at once: try again later.
    /// (Said to the refused only by closing; a wire value kept last, after the older ones.)
    #[error("the device is serving as many sessions as it takes ({sessions}); try again later")]
    Full {
        /// Sessions running.
        sessions: u64,
    },
}

fn ended_text(ended: &Option<u64>) -> String {
    match ended {
        Some(t) => format!(
            ": access ended on {}",
            carnet::record::DateTime::from_unix(*t as i64)
                .map(|d| d.date().to_string())
                .unwrap_or_else(|| t.to_string())
        ),
        None => String::new(),
    }
}

impl PeerRefusal {
    /// The stable code of this kind (`"refused.nothing_shared"`): stable API, as
    /// [`SyncError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            PeerRefusal::NotLinked => "refused.not_linked",
            PeerRefusal::NotPrimary => "refused.not_primary",
            PeerRefusal::Blocked => "refused.blocked",
            PeerRefusal::Unknown => "refused.unknown",
            PeerRefusal::NothingShared { .. } => "refused.nothing_shared",
            PeerRefusal::Batch { .. } => "refused.batch",
            PeerRefusal::Busy { .. } => "refused.busy",
            PeerRefusal::WrongLinkCode => "refused.wrong_link_code",
            PeerRefusal::LinkVersion => "refused.link_version",
            PeerRefusal::Full { .. } => "refused.full",
        }
    }

    /// The refusal a code names, for protocols that carry the code as text (linking).
    pub fn from_code(code: &str) -> Option<PeerRefusal> {
        Some(match code {
            "refused.not_linked" => PeerRefusal::NotLinked,
            "refused.not_primary" => PeerRefusal::NotPrimary,
            "refused.blocked" => PeerRefusal::Blocked,
            "refused.unknown" => PeerRefusal::Unknown,
            "refused.nothing_shared" => PeerRefusal::NothingShared { ended: None },
            "refused.wrong_link_code" => PeerRefusal::WrongLinkCode,
            "refused.link_version" => PeerRefusal::LinkVersion,
            _ => return None,
        })
    }

    /// Whether it means the sharer no longer shares with the one refused (no grant in
    /// force, blocked, not known): what a clinician is told as "no longer shared".
    pub fn no_longer_shared(&self) -> bool {
        matches!(
            self,
            PeerRefusal::Blocked | PeerRefusal::Unknown | PeerRefusal::NothingShared { .. }
        )
    }
}

/// What can go wrong in a live sync. Messages say what happened and what to do; none holds
/// health data or key material.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The vault refused or failed an operation.
    #[error(transparent)]
    Vault(#[from] carnet::Error),
    /// The network endpoint could not be started.
    #[error("cannot start the network endpoint: {0}")]
    Bind(BindFailure),
    /// The peer could not be reached.
    #[error("cannot reach the peer: {0}; is it serving, on this network?")]
    Connect(ConnectFailure),
    /// The peer broke the protocol (garbage, an oversized frame, an unexpected message).
    #[error("the peer broke the sync protocol: {0}")]
    Protocol(Violation),
    /// The peer stopped answering.
    #[error(
        "the peer stopped answering ({0}); nothing it sent after its last complete batch was kept"
    )]
    Timeout(&'static str),
    /// The link stopped moving: nothing came from the peer, and it took nothing of what
    /// was sent, for a whole timeout.
    #[error(
        "the link stalled: no progress for {secs} s {what} (after {bytes} bytes received); the peer may have stopped or the link dropped. Nothing it sent after its last complete batch was kept; sync again to go on"
    )]
    Stalled {
        /// What was being waited for.
        what: &'static str,
        /// The timeout, in seconds.
        secs: u64,
        /// Stream bytes received from the peer in this session.
        bytes: u64,
    },
    /// The peer refused the sync, and said why.
    #[error("the peer refused: {0}")]
    Refused(PeerRefusal),
    /// This vault refused the peer (and told it why).
    #[error("this vault does not sync with the peer: {0}")]
    WeRefused(PeerRefusal),
    /// A device cannot be linked into this directory: a vault is already there.
    #[error("a vault already exists at {0}; link into a new directory")]
    VaultExists(std::path::PathBuf),
    /// The peer is not who the ticket or contact said: the device at that address
    /// belongs to someone else.
    #[error("the peer is not who you asked for: the device at that address belongs to {name} ({})", .person.short())]
    WrongPeer {
        /// The name on the card it showed.
        name: String,
        /// Whose it is.
        person: PersonId,
    },
    /// A ticket (or link code) does not parse.
    #[error("not a Carnet ticket: {0}; copy the whole ticket the serving device shows")]
    BadTicket(TicketProblem),
    /// The connection dropped before the exchange was over.
    #[error("the connection was lost: {lost}{at}")]
    Connection {
        /// How.
        lost: LinkLost,
        /// How far the exchange had gone.
        at: LostAt,
    },
    /// Linking: the new device went away before saying it stored the vault; it was not
    /// registered.
    #[error(
        "the new device closed the link before saying it stored the vault; it was not registered"
    )]
    NotStored,
    /// Linking: the serving device did not confirm it registered this one; nothing was
    /// kept here.
    #[error(
        "the other device did not confirm it registered this one ({0}); nothing was kept here: link it again"
    )]
    NotRegistered(Box<SyncError>),
    /// A fault of this side (a task that panicked, a frame of ours that cannot be
    /// encoded): a bug, reported as such.
    #[error("internal fault: {0}")]
    Internal(Fault),
    /// [`crate::LiveSync`] was started from inside an async runtime (it runs its own; an
    /// async caller uses [`crate::Node`] directly).
    #[error(
        "live sync runs on a runtime of its own: start it from a plain thread, not from async code"
    )]
    InsideRuntime,
    /// Live sync was stopped.
    #[error("live sync was stopped; start it again")]
    Stopped,
}

impl SyncError {
    /// The stable code of this error: a lowercase dotted name (`"sync.connect"`), one per
    /// kind, or the vault's own code for [`SyncError::Vault`]. Codes are stable API: a code
    /// never changes nor changes meaning; new kinds take new codes. The text of a variant's
    /// detail is for people, not for matching.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Vault(e) => e.code(),
            SyncError::Bind(_) => "sync.bind",
            SyncError::Connect(_) => "sync.connect",
            SyncError::Protocol(_) => "sync.protocol",
            SyncError::Timeout(_) => "sync.timeout",
            SyncError::Stalled { .. } => "sync.stalled",
            SyncError::Refused(_) => "sync.refused",
            SyncError::WeRefused(_) => "sync.we_refused",
            SyncError::VaultExists(_) => "sync.vault_exists",
            SyncError::WrongPeer { .. } => "sync.wrong_peer",
            SyncError::BadTicket(_) => "sync.bad_ticket",
            SyncError::Connection { .. } => "sync.connection",
            SyncError::NotStored => "sync.not_stored",
            SyncError::NotRegistered(_) => "sync.not_registered",
            SyncError::Internal(_) => "sync.internal",
            SyncError::InsideRuntime => "sync.inside_runtime",
            SyncError::Stopped => "sync.stopped",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_have_unique_codes_that_name_them_back() {
        let all = [
            PeerRefusal::NotLinked,
            PeerRefusal::NotPrimary,
            PeerRefusal::Blocked,
            PeerRefusal::Unknown,
            PeerRefusal::NothingShared { ended: None },
            PeerRefusal::Batch {
                code: "x.y".into(),
                detail: "z".into(),
            },
            PeerRefusal::Busy { buffered_mib: 9 },
            PeerRefusal::Full { sessions: 8 },
            PeerRefusal::WrongLinkCode,
            PeerRefusal::LinkVersion,
        ];
        let mut seen = std::collections::HashSet::new();
        for r in &all {
            assert!(seen.insert(r.code()), "{} is used twice", r.code());
            if !matches!(
                r,
                PeerRefusal::Batch { .. } | PeerRefusal::Busy { .. } | PeerRefusal::Full { .. }
            ) {
                assert_eq!(PeerRefusal::from_code(r.code()).as_ref(), Some(r));
            }
            let text = r.to_string();
            assert!(!text.contains("carnet ") && !text.contains("--"), "{text}");
        }
        assert_eq!(PeerRefusal::from_code("the peer's words"), None);
        // Only the refusals that mean the sharing ended are said so.
        assert!(PeerRefusal::NothingShared { ended: Some(0) }.no_longer_shared());
        assert!(!PeerRefusal::NotPrimary.no_longer_shared());
        assert!(
            PeerRefusal::NothingShared {
                ended: Some(1_767_225_600)
            }
            .to_string()
            .contains("2026-01-01")
        );
    }

    #[test]
    fn codes_are_unique_dotted_and_messages_name_no_command() {
        let all = [
            SyncError::Bind(BindFailure::AddressInUse(([0, 0, 0, 0], 7777).into())),
            SyncError::Connect(ConnectFailure::NoAnswer { secs: 20 }),
            SyncError::Protocol(Violation::BatchTooLarge),
            SyncError::Timeout("a hello"),
            SyncError::Stalled {
                what: "reading",
                secs: 30,
                bytes: 0,
            },
            SyncError::Refused(PeerRefusal::Unknown),
            SyncError::WeRefused(PeerRefusal::Blocked),
            SyncError::VaultExists("/v".into()),
            SyncError::WrongPeer {
                name: "Bob".into(),
                person: PersonId([7; 32]),
            },
            SyncError::BadTicket(TicketProblem::NoAddress),
            SyncError::lost(LinkLost::Reset, LostAt::Received(10)),
            SyncError::NotStored,
            SyncError::NotRegistered(Box::new(SyncError::lost(
                LinkLost::StreamEnded,
                LostAt::Unknown,
            ))),
            SyncError::Internal(Fault::Oversized {
                what: "item",
                len: 2,
                max: 1,
            }),
            SyncError::InsideRuntime,
            SyncError::Stopped,
        ];
        let mut seen = std::collections::HashSet::new();
        for e in &all {
            let code = e.code();
            assert!(seen.insert(code), "{code} is used twice");
            assert!(
                code.starts_with("sync.")
                    && code[5..]
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
            let text = e.to_string();
            assert!(!text.contains("carnet ") && !text.contains("--"), "{text}");
        }
    }
}
