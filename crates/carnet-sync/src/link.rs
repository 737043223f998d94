//! Linking a new device of the same person, over ALPN `carnet/link/1`.
//!
//! The existing device makes a one-time code: its ticket and a 128-bit secret. The new
//! device connects with a fresh endpoint key (the QUIC handshake authenticates the existing
//! device by the ticket's key) and proves it holds the code by sending the secret; the
//! existing device certifies the signing key the new device made for itself and streams a
//! dump of the whole vault but the person's own key (which never leaves the device that
//! keeps the consent log), which the new device rebuilds and
//! verifies exactly as a restore, then says it stored it; only then does the existing
//! device register the new one (its device id and the endpoint key the connection
//! authenticated: in the device list, and for a patient in the consent log) and confirm.
//! A link that fails half-way leaves no device registered and no vault on the new device
//! (it removes what it built when the confirmation does not come). The code works once,
//! and only while the existing device waits for it. Every wait is on progress: a message
//! may take as long as it needs while its bytes keep coming.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use carnet::crypto::{DeviceId, Passphrase};
use carnet::transport::{BindFailure, LinkLost, LostAt, TicketProblem, Violation};
use carnet::{RestoreSummary, Vault};
use data_encoding::BASE32_NOPAD;
use iroh::endpoint::{Connection, presets};
use iroh::{Endpoint, EndpointAddr, RelayMode, SecretKey, TransportAddr};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::node::Shared;
use crate::session::with_vault;
use crate::{PeerRefusal, SyncError, Ticket};

/// The ALPN of the link protocol.
pub const LINK_ALPN: &[u8] = b"carnet/link/1";
/// The prefix of a link code.
pub const LINK_PREFIX: &str = "carnet-link1:";
/// The largest frame of a link: one attachment, with room to spare.
const MAX_LINK_FRAME: usize = carnet::MAX_ATTACHMENT as usize + (1 << 20);

/// What the existing device prints: how to reach it, and the one-time secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCode {
    /// How to reach the existing device.
    pub ticket: Ticket,
    /// The one-time secret.
    pub secret: [u8; 16],
}

impl fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkCode")
            .field("ticket", &self.ticket)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = Zeroizing::new(postcard::to_stdvec(self).map_err(|_| fmt::Error)?);
        write!(
            f,
            "{LINK_PREFIX}{}",
            BASE32_NOPAD.encode(&bytes).to_ascii_lowercase()
        )
    }
}

impl FromStr for LinkCode {
    type Err = SyncError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let body =
            s.strip_prefix(LINK_PREFIX)
                .ok_or(SyncError::BadTicket(TicketProblem::WrongStart {
                    prefix: LINK_PREFIX,
                }))?;
        if body.len() > 4096 {
            return Err(SyncError::BadTicket(TicketProblem::TooLong));
        }
        let bytes = Zeroizing::new(
            BASE32_NOPAD
                .decode(body.to_ascii_uppercase().as_bytes())
                .map_err(|e| SyncError::BadTicket(TicketProblem::from_base32(&e)))?,
        );
        postcard::from_bytes(&bytes).map_err(|_| SyncError::BadTicket(TicketProblem::Undecodable))
    }
}

#[derive(Serialize, Deserialize)]
struct LinkRequest {
    version: u8,
    secret: [u8; 16],
    device: DeviceId,
    /// The new device's own signing key: the existing device certifies it, and the new
    /// device never receives the person's key.
    signing: [u8; 32],
}

/// The version of the link protocol (2: the new device confirms it stored the vault
/// before it is registered; 3: it brings its own signing key, which the existing device
/// certifies, and it never receives the person's key).
const LINK_VERSION: u8 = 3;

#[derive(Serialize, Deserialize)]
enum LinkAnswer {
    Accepted,
    Refused(String),
    /// The new device is registered: the link is complete.
    Registered,
}

/// The new device's word, once it rebuilt and verified the vault.
#[derive(Serialize, Deserialize)]
enum LinkDone {
    Stored,
}

/// How long the existing device waits for the new one to rebuild and verify the vault
/// after the last byte: every envelope is checked, which takes a while on a large record.
const REBUILD_WAIT: Duration = Duration::from_secs(600);

/// Bytes written at a time: each piece must be taken within the timeout.
const WRITE_PIECE: usize = 64 * 1024;

/// What a link did, on the existing device.
#[derive(Clone, Debug, Serialize)]
pub struct LinkReport {
    /// The new device's id.
    #[serde(serialize_with = "as_text")]
    pub device: carnet::crypto::DeviceId,
    /// Rows sent.
    pub rows: u64,
    /// Bytes sent.
    pub bytes: u64,
}

/// A link refusal as the existing device sent it: its code; a device of another version
/// sends words instead, which this build cannot read (and would not link with anyway).
fn link_refusal(code: &str) -> PeerRefusal {
    PeerRefusal::from_code(code).unwrap_or(PeerRefusal::LinkVersion)
}

fn as_text<S: serde::Serializer>(
    v: &carnet::crypto::DeviceId,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

async fn write_frame(
    send: &mut iroh::endpoint::SendStream,
    body: &[u8],
    timeout: Duration,
) -> Result<(), SyncError> {
    let mut buf = Vec::with_capacity(4 + body.len());
    buf.extend_from_slice(&(body.len() as u32).to_be_bytes());
    buf.extend_from_slice(body);
    write_all(send, &buf, timeout).await
}

/// Writes `bytes` a piece at a time, each piece taken within `timeout`: a slow link
/// that keeps moving is not a stalled one.
async fn write_all(
    send: &mut iroh::endpoint::SendStream,
    bytes: &[u8],
    timeout: Duration,
) -> Result<(), SyncError> {
    for (i, piece) in bytes.chunks(WRITE_PIECE).enumerate() {
        tokio::time::timeout(timeout, send.write_all(piece))
            .await
            .map_err(|_| SyncError::Stalled {
                what: "while the other device took what we send",
                secs: timeout.as_secs().max(1),
                bytes: (i * WRITE_PIECE) as u64,
            })?
            .map_err(|e| {
                SyncError::lost(
                    crate::frame::write_failed(e),
                    LostAt::Sent((i * WRITE_PIECE) as u64),
                )
            })?;
    }
    Ok(())
}

async fn read_frame(
    recv: &mut iroh::endpoint::RecvStream,
    max: usize,
    timeout: Duration,
) -> Result<Option<Vec<u8>>, SyncError> {
    let mut len = [0u8; 4];
    let got = tokio::time::timeout(timeout, recv.read(&mut len[..1]))
        .await
        .map_err(|_| SyncError::Stalled {
            what: "waiting for the other device's next message",
            secs: timeout.as_secs().max(1),
            bytes: 0,
        })?
        .map_err(|e| SyncError::lost(crate::frame::read_failed(e), LostAt::Unknown))?;
    if got != Some(1) {
        return Ok(None);
    }
    let mut at = 1;
    let mut frame: Vec<u8> = Vec::new();
    loop {
        let (buf, total): (&mut [u8], usize) = if at < 4 {
            (&mut len[at..], 4)
        } else {
            let total = frame.len();
            (&mut frame[at..], total)
        };
        let k = tokio::time::timeout(timeout, recv.read(buf))
            .await
            .map_err(|_| SyncError::Stalled {
                what: "in the middle of a message from the other device",
                secs: timeout.as_secs().max(1),
                bytes: at as u64,
            })?
            .map_err(|e| {
                SyncError::lost(
                    crate::frame::read_failed(e),
                    LostAt::MidMessage {
                        got: at as u64,
                        of: Some(total as u64),
                    },
                )
            })?
            .ok_or_else(|| {
                SyncError::lost(
                    LinkLost::StreamEnded,
                    LostAt::MidMessage {
                        got: at as u64,
                        of: Some(total as u64),
                    },
                )
            })?;
        at += k;
        if at == 4 && frame.is_empty() {
            let n = u32::from_be_bytes(len) as usize;
            if n > max {
                return Err(SyncError::Protocol(Violation::FrameTooLarge {
                    len: n as u64,
                    max: max as u64,
                }));
            }
            frame = vec![0u8; 4 + n];
            frame[..4].copy_from_slice(&len);
        }
        if at >= 4 && at == frame.len() {
            return Ok(Some(frame));
        }
    }
}

/// On the existing device: answers one link connection. Refuses a wrong secret (and the
/// code is then spent); registers the new device and sends it the vault.
pub(crate) async fn answer(
    shared: Arc<Shared>,
    conn: Connection,
    secret: [u8; 16],
) -> Result<LinkReport, SyncError> {
    let timeout = shared.config.timeout;
    let endpoint: [u8; 32] = *conn.remote_id().as_bytes();
    let (mut send, mut recv) = tokio::time::timeout(timeout, conn.accept_bi())
        .await
        .map_err(|_| SyncError::Timeout("opening its stream"))?
        .map_err(|e| SyncError::lost(crate::frame::lost(e), LostAt::Unknown))?;
    let frame = read_frame(&mut recv, 1024, timeout)
        .await?
        .ok_or_else(|| SyncError::lost(LinkLost::StreamEnded, LostAt::Unknown))?;
    let req: LinkRequest =
        postcard::from_bytes(&frame[4..]).map_err(SyncError::undecodable("a link request"))?;
    // Compared as hashes: equal time whatever the guess.
    let ok = blake3::hash(&req.secret) == blake3::hash(&secret);
    if !ok || req.version != LINK_VERSION {
        let why = if ok {
            PeerRefusal::LinkVersion
        } else {
            PeerRefusal::WrongLinkCode
        };
        // The link protocol carries a refusal as text: its code.
        let body = postcard::to_stdvec(&LinkAnswer::Refused(why.code().to_string()))
            .map_err(SyncError::encode("link answer"))?;
        let _ = write_frame(&mut send, &body, timeout).await;
        let _ = send.finish();
        return Err(SyncError::WeRefused(why));
    }
    let device = req.device;
    let signing = req.signing;
    let cert = with_vault(&shared, move |v| {
        v.engine().certify_device(device, endpoint, signing)
    })
    .await?;
    let body =
        postcard::to_stdvec(&LinkAnswer::Accepted).map_err(SyncError::encode("link answer"))?;
    write_frame(&mut send, &body, timeout).await?;
    // The dump runs on a blocking thread and streams its frames here through a bounded
    // queue: the vault is never held whole in memory.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Zeroizing<Vec<u8>>>(4);
    let dump = {
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || {
            let v = shared.vault.clone();
            v.engine().write_link_dump(&cert, &mut |frame| {
                tx.blocking_send(Zeroizing::new(frame.to_vec()))
                    .map_err(|_| carnet::Error::from(carnet::ExchangeError::LinkClosed))
            })
        })
    };
    let mut bytes = 0u64;
    while let Some(frame) = rx.recv().await {
        write_all(&mut send, &frame, timeout).await?;
        bytes += frame.len() as u64;
    }
    let summary = dump.await.map_err(SyncError::task("dump"))??;
    // Registered only once the new device says it holds the vault: a link that fails
    // before leaves no device behind.
    let done = read_frame(&mut recv, 1024, REBUILD_WAIT.max(timeout))
        .await?
        .ok_or(SyncError::NotStored)?;
    match postcard::from_bytes::<LinkDone>(&done[4..]) {
        Ok(LinkDone::Stored) => {}
        Err(e) => {
            return Err(SyncError::Protocol(Violation::Undecodable {
                what: "the new device's last word",
                source: Box::new(e),
            }));
        }
    }
    with_vault(&shared, move |v| {
        v.engine().register_device(device, endpoint, Some(signing))
    })
    .await?;
    let body =
        postcard::to_stdvec(&LinkAnswer::Registered).map_err(SyncError::encode("link answer"))?;
    write_frame(&mut send, &body, timeout).await?;
    let _ = send.finish();
    // Wait until the new device has read everything and closed.
    let _ = tokio::time::timeout(timeout, conn.closed()).await;
    Ok(LinkReport {
        device,
        rows: summary.rows,
        bytes,
    })
}

/// On the new device: reaches the existing device with `code`, and makes the vault in
/// `dir` from what it sends, protected by `passphrase`. Nothing is written at `dir` unless
/// everything arrived and checks.
pub async fn join(
    code: &LinkCode,
    dir: &Path,
    passphrase: &Passphrase,
    kdf_log_n: u8,
    relay: bool,
    timeout: Duration,
) -> Result<(Vault, RestoreSummary), SyncError> {
    if carnet::store_exists(dir) {
        return Err(SyncError::VaultExists(dir.to_path_buf()));
    }
    let secret = Zeroizing::new(carnet::crypto::random_array::<32>().map_err(carnet::Error::from)?);
    let device = DeviceId::random().map_err(carnet::Error::from)?;
    let device_key = carnet::crypto::DeviceSecret::generate().map_err(carnet::Error::from)?;
    let builder = if relay {
        Endpoint::builder(presets::N0)
    } else {
        Endpoint::builder(presets::Minimal).relay_mode(RelayMode::Disabled)
    };
    let ep = builder
        .secret_key(SecretKey::from_bytes(&secret))
        .bind()
        .await
        .map_err(|e| {
            SyncError::Bind(BindFailure::Endpoint {
                addrs: Vec::new(),
                source: Box::new(e),
            })
        })?;
    let key = iroh::PublicKey::from_bytes(&code.ticket.endpoint)
        .map_err(|_| SyncError::BadTicket(TicketProblem::BadKey))?;
    let addr =
        EndpointAddr::from_parts(key, code.ticket.addrs.iter().map(|a| TransportAddr::Ip(*a)));
    let conn = crate::node::dial(&ep, addr, LINK_ALPN, timeout).await?;
    let result = async {
        let (mut send, mut recv) = conn
            .open_bi()
            .await
            .map_err(|e| SyncError::lost(crate::frame::lost(e), LostAt::Unknown))?;
        let req = Zeroizing::new(
            postcard::to_stdvec(&LinkRequest {
                version: LINK_VERSION,
                secret: code.secret,
                device,
                signing: device_key.public(),
            })
            .map_err(SyncError::encode("link request"))?,
        );
        write_frame(&mut send, &req, timeout).await?;
        let answer = read_frame(&mut recv, 4096, timeout)
            .await?
            .ok_or_else(|| SyncError::lost(LinkLost::StreamEnded, LostAt::Unknown))?;
        match postcard::from_bytes::<LinkAnswer>(&answer[4..])
            .map_err(SyncError::undecodable("a link answer"))?
        {
            LinkAnswer::Accepted => {}
            LinkAnswer::Refused(why) => return Err(SyncError::Refused(link_refusal(&why))),
            LinkAnswer::Registered => {
                return Err(SyncError::Protocol(Violation::Unexpected {
                    expected: "an acceptance or a refusal",
                    got: "a registration",
                }));
            }
        }
        // Frames go to the rebuild on a blocking thread through a bounded queue.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Option<Vec<u8>>, SyncError>>(4);
        let target = dir.to_path_buf();
        let pass = passphrase.clone();
        let endpoint = *secret;
        let rebuild = tokio::task::spawn_blocking(move || {
            let endpoint = Zeroizing::new(endpoint);
            let device_key = device_key;
            carnet::SyncEngine::link_from(
                &target,
                &pass,
                kdf_log_n,
                &mut || match rx.recv() {
                    Ok(Ok(f)) => Ok(f),
                    Ok(Err(e)) => Err(carnet::ExchangeError::Transport(Box::new(e)).into()),
                    Err(_) => Err(carnet::ExchangeError::LinkClosed.into()),
                },
                device,
                &endpoint,
                &device_key,
            )
        });
        // Frames go on until the rebuild has read the dump's end; then the other device
        // sends nothing more until this one says it stored the vault, so no frame is cut
        // when the read is dropped.
        tokio::pin!(rebuild);
        let mut tx = Some(tx);
        let rebuilt = loop {
            tokio::select! {
                r = &mut rebuild => break r,
                frame = read_frame(&mut recv, MAX_LINK_FRAME, timeout), if tx.is_some() => {
                    let end = matches!(frame, Ok(None) | Err(_));
                    if tx.as_ref().is_some_and(|t| t.send(frame).is_err()) || end {
                        tx = None;
                    }
                }
            }
        };
        drop(tx);
        let (vault, summary) = rebuilt
            .map_err(SyncError::task("rebuild"))?
            .map_err(SyncError::Vault)?;
        let confirmed = async {
            let body = postcard::to_stdvec(&LinkDone::Stored)
                .map_err(SyncError::encode("link confirmation"))?;
            write_frame(&mut send, &body, timeout).await?;
            let answer = read_frame(&mut recv, 4096, timeout)
                .await?
                .ok_or_else(|| SyncError::lost(LinkLost::StreamEnded, LostAt::Unknown))?;
            match postcard::from_bytes::<LinkAnswer>(&answer[4..]) {
                Ok(LinkAnswer::Registered) => Ok(()),
                Ok(LinkAnswer::Refused(why)) => Err(SyncError::Refused(link_refusal(&why))),
                Ok(LinkAnswer::Accepted) => Err(SyncError::Protocol(Violation::Unexpected {
                    expected: "a registration or a refusal",
                    got: "a second acceptance",
                })),
                Err(e) => Err(SyncError::Protocol(Violation::Undecodable {
                    what: "a link answer",
                    source: Box::new(e),
                })),
            }
        }
        .await;
        if let Err(e) = confirmed {
            // Not registered (or not known to be): this vault would be refused by the
            // other device; nothing is kept.
            drop(vault);
            let _ = std::fs::remove_dir_all(dir);
            return Err(SyncError::NotRegistered(Box::new(e)));
        }
        let _ = send.finish();
        Ok((vault, summary))
    }
    .await;
    conn.close(0u32.into(), b"done");
    ep.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_codes_round_trip_and_refuse_junk() {
        let code = LinkCode {
            ticket: Ticket {
                endpoint: [1; 32],
                person: carnet::crypto::PersonId([2; 32]),
                addrs: vec!["127.0.0.1:5".parse().unwrap()],
            },
            secret: [9; 16],
        };
        let text = code.to_string();
        assert!(text.starts_with(LINK_PREFIX));
        assert_eq!(text.parse::<LinkCode>().unwrap(), code);
        assert!(
            !format!("{code:?}").contains("9, 9"),
            "the secret is not in Debug"
        );
        for junk in ["", LINK_PREFIX, "carnet-link1:!!", "carnet-ticket1:abc"] {
            assert!(junk.parse::<LinkCode>().is_err(), "{junk}");
        }
    }
}
