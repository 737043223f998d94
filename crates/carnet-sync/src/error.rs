use thiserror::Error;

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
    Bind(String),
    /// The peer could not be reached.
    #[error("cannot reach the peer: {0}; is it serving, on this network?")]
    Connect(String),
    /// The peer broke the protocol (garbage, an oversized frame, an unexpected message).
    #[error("the peer broke the sync protocol: {0}")]
    Protocol(String),
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
    Refused(String),
    /// The peer is not who the ticket or contact said.
    #[error("the peer is not who you asked for: {0}")]
    WrongPeer(String),
    /// A ticket does not parse.
    #[error("not a Carnet ticket: {0}; copy the whole ticket the serving device shows")]
    BadTicket(String),
    /// The connection dropped.
    #[error("the connection was lost: {0}")]
    Connection(String),
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
            SyncError::WrongPeer(_) => "sync.wrong_peer",
            SyncError::BadTicket(_) => "sync.bad_ticket",
            SyncError::Connection(_) => "sync.connection",
            SyncError::InsideRuntime => "sync.inside_runtime",
            SyncError::Stopped => "sync.stopped",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_dotted_and_messages_name_no_command() {
        let s = || String::from("detail");
        let all = [
            SyncError::Bind(s()),
            SyncError::Connect(s()),
            SyncError::Protocol(s()),
            SyncError::Timeout("a hello"),
            SyncError::Stalled {
                what: "reading",
                secs: 30,
                bytes: 0,
            },
            SyncError::Refused(s()),
            SyncError::WrongPeer(s()),
            SyncError::BadTicket(s()),
            SyncError::Connection(s()),
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
