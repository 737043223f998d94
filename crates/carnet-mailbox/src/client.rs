//! The caller's side: a device's endpoint (its vault's endpoint key), a session with a
//! mailbox, deposits and collections.

use std::time::Duration;

use carnet::crypto::PersonId;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::{Endpoint, EndpointAddr, TransportAddr};

use carnet::transport::{ConnectFailure, LostAt, TicketProblem, Violation};

use crate::frame::{self, Frame, PROTOCOL_VERSION};
use crate::{ALPN, MailboxError, MailboxTicket};

/// How a client runs.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Use iroh's public relays (needs the internet). Off by default.
    pub relay: bool,
    /// A relay of one's own: this device homes on it and looks for the mailbox there as
    /// well as at the ticket's direct addresses (a mailbox ticket carries no relay; the
    /// mailbox is expected to use the same one). Takes precedence over `relay`.
    pub relay_url: Option<iroh::RelayUrl>,
    /// How long the mailbox may take to answer.
    pub timeout: Duration,
    /// The most bytes of one collected item this client takes.
    pub max_item_bytes: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            relay: false,
            relay_url: None,
            timeout: Duration::from_secs(30),
            max_item_bytes: crate::Limits::default().max_item_bytes,
        }
    }
}

/// A device's endpoint, to reach mailboxes.
pub struct MailboxClient {
    endpoint: Endpoint,
    card: String,
    cert: Vec<u8>,
    config: ClientConfig,
}

/// An item collected from a mailbox (not yet acknowledged).
#[derive(Clone, Debug)]
pub struct Collected {
    /// Its id at the mailbox.
    pub id: u64,
    /// Who deposited it, as the mailbox says.
    pub from: PersonId,
    /// When the mailbox accepted it (Unix seconds).
    pub created: u64,
    /// Its bytes (a sealed bundle, if the mailbox is honest).
    pub bytes: Vec<u8>,
}

/// A session with one mailbox, after its hello was accepted.
pub struct Session {
    conn: Connection,
    send: SendStream,
    recv: RecvStream,
    timeout: Duration,
    max_item_bytes: u64,
    mailbox: [u8; 32],
}

impl MailboxClient {
    /// Starts an endpoint with the device's endpoint `secret`, presenting `card` (text
    /// form) and `cert` (the device certificate for that endpoint).
    pub async fn start(
        secret: &[u8; 32],
        card: String,
        cert: Vec<u8>,
        config: ClientConfig,
    ) -> Result<MailboxClient, MailboxError> {
        let endpoint = crate::server::bind(
            secret,
            config.relay,
            config.relay_url.as_ref(),
            None,
            Vec::new(),
        )
        .await?;
        Ok(MailboxClient {
            endpoint,
            card,
            cert,
            config,
        })
    }

    /// Starts an endpoint for the device of this vault.
    pub async fn for_vault(
        vault: &mut carnet::Vault,
        config: ClientConfig,
    ) -> Result<MailboxClient, MailboxError> {
        let engine = vault.engine();
        let secret = engine.endpoint_secret()?;
        let cert = engine.device_cert()?.as_bytes().to_vec();
        let card = vault.card().to_text();
        Self::start(&secret, card, cert, config).await
    }

    /// Starts an endpoint for the device of the vault `access` reaches.
    pub async fn for_access(
        access: &mut impl crate::VaultAccess,
        config: ClientConfig,
    ) -> Result<MailboxClient, MailboxError> {
        let (secret, cert, card) = access
            .with(|v| {
                let engine = v.engine();
                let secret = engine.endpoint_secret()?;
                let cert = engine.device_cert()?.as_bytes().to_vec();
                Ok((secret, cert, v.card().to_text()))
            })
            .await?;
        Self::start(&secret, card, cert, config).await
    }

    /// Connects to the mailbox a ticket names and says who this device is.
    pub async fn connect(&self, ticket: &MailboxTicket) -> Result<Session, MailboxError> {
        let key = iroh::PublicKey::from_bytes(&ticket.endpoint)
            .map_err(|_| MailboxError::BadTicket(TicketProblem::BadKey))?;
        let relay = self.config.relay_url.clone().map(TransportAddr::Relay);
        let addr = EndpointAddr::from_parts(
            key,
            ticket
                .addrs
                .iter()
                .map(|a| TransportAddr::Ip(*a))
                .chain(relay),
        );
        let timeout = self.config.timeout;
        let conn = tokio::time::timeout(timeout, self.endpoint.connect(addr, ALPN))
            .await
            .map_err(|_| {
                MailboxError::Connect(ConnectFailure::NoAnswer {
                    secs: timeout.as_secs(),
                })
            })?
            .map_err(|e| {
                MailboxError::Connect(ConnectFailure::Transport {
                    source: Box::new(e),
                })
            })?;
        let (mut send, mut recv) = conn
            .open_bi()
            .await
            .map_err(|e| MailboxError::lost(crate::frame::lost(e), LostAt::Unknown))?;
        frame::write(
            &mut send,
            &Frame::Hello {
                version: PROTOCOL_VERSION,
                card: self.card.clone(),
                cert: self.cert.clone(),
            },
        )
        .await?;
        match frame::expect(&mut recv, timeout, "waiting for the mailbox's welcome").await? {
            Frame::Welcome => {}
            Frame::Refused(r) => return Err(MailboxError::Refused(r)),
            other => {
                return Err(MailboxError::Protocol(Violation::Unexpected {
                    expected: "a welcome",
                    got: other.name(),
                }));
            }
        }
        Ok(Session {
            conn,
            send,
            recv,
            timeout,
            max_item_bytes: self.config.max_item_bytes,
            mailbox: ticket.endpoint,
        })
    }

    /// Closes the endpoint.
    pub async fn shutdown(self) {
        let _ = tokio::time::timeout(Duration::from_millis(200), self.endpoint.close()).await;
    }
}

impl Session {
    async fn answer(&mut self, what: &'static str) -> Result<Frame, MailboxError> {
        match frame::expect(&mut self.recv, self.timeout, what).await? {
            Frame::Refused(r) => Err(MailboxError::Refused(r)),
            f => Ok(f),
        }
    }

    /// Deposits `bytes` for `to`; returns the item's id once the mailbox stored it
    /// durably. A refusal (not allowed, over quota, too large) comes before any of the
    /// bytes are sent.
    pub async fn deposit(&mut self, to: PersonId, bytes: &[u8]) -> Result<u64, MailboxError> {
        frame::write(
            &mut self.send,
            &Frame::Deposit {
                to,
                size: bytes.len() as u64,
            },
        )
        .await?;
        match self
            .answer("waiting for the mailbox to take the item")
            .await?
        {
            Frame::Ready => {}
            other => {
                return Err(MailboxError::Protocol(Violation::Unexpected {
                    expected: "ready",
                    got: other.name(),
                }));
            }
        }
        frame::write_chunks(&mut self.send, bytes).await?;
        match self
            .answer("waiting for the mailbox to store the item")
            .await?
        {
            Frame::Accepted(id) => Ok(id),
            other => Err(MailboxError::Protocol(Violation::Unexpected {
                expected: "accepted",
                got: other.name(),
            })),
        }
    }

    /// The next item waiting for this device's person that was not yet offered in this
    /// session, or `None`.
    pub async fn next(&mut self) -> Result<Option<Collected>, MailboxError> {
        frame::write(&mut self.send, &Frame::Next).await?;
        match self.answer("waiting for the next item").await? {
            Frame::Empty => Ok(None),
            Frame::Item {
                id,
                from,
                created,
                size,
            } => {
                if size > self.max_item_bytes {
                    return Err(MailboxError::Protocol(Violation::ItemTooLarge {
                        len: size,
                        max: self.max_item_bytes,
                    }));
                }
                let bytes = frame::read_chunks(&mut self.recv, size, self.timeout).await?;
                Ok(Some(Collected {
                    id,
                    from,
                    created,
                    bytes,
                }))
            }
            other => Err(MailboxError::Protocol(Violation::Unexpected {
                expected: "an item",
                got: other.name(),
            })),
        }
    }

    /// Tells the mailbox item `id` was dealt with, so it deletes it.
    pub async fn ack(&mut self, id: u64) -> Result<(), MailboxError> {
        frame::write(&mut self.send, &Frame::Ack(id)).await?;
        match self
            .answer("waiting for the mailbox to delete the item")
            .await?
        {
            Frame::Acked => Ok(()),
            other => Err(MailboxError::Protocol(Violation::Unexpected {
                expected: "acked",
                got: other.name(),
            })),
        }
    }

    /// The mailbox's endpoint key (what its ticket names and the connection proved).
    pub fn mailbox(&self) -> [u8; 32] {
        self.mailbox
    }

    /// Tells the mailbox which devices this person has (endpoint keys, this one among
    /// them): an item for them is deleted only once each of these acknowledged it.
    pub async fn declare_devices(&mut self, endpoints: &[[u8; 32]]) -> Result<(), MailboxError> {
        frame::write(&mut self.send, &Frame::Devices(endpoints.to_vec())).await?;
        match self
            .answer("waiting for the mailbox to note the devices")
            .await?
        {
            Frame::DevicesNoted => Ok(()),
            other => Err(MailboxError::Protocol(Violation::Unexpected {
                expected: "devices noted",
                got: other.name(),
            })),
        }
    }

    /// Ends the session.
    pub async fn finish(mut self) {
        let _ = self.send.finish();
        let _ = tokio::time::timeout(self.timeout, self.recv.read_to_end(0)).await;
        self.conn.close(0u32.into(), b"done");
    }
}
