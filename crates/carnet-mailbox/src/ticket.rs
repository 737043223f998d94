//! Mailbox tickets: how to reach a mailbox, as text (the first line `carnet mailbox
//! serve` prints): its endpoint key and the addresses it listens on.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};

use carnet::transport::TicketProblem;

use crate::MailboxError;

/// The prefix of a mailbox ticket's text form.
pub const MAILBOX_TICKET_PREFIX: &str = "carnet-mailbox1:";
const MAX_TICKET_CHARS: usize = 4096;

/// How to reach a mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxTicket {
    /// The mailbox's endpoint public key (what the connection authenticates).
    pub endpoint: [u8; 32],
    /// Direct addresses.
    pub addrs: Vec<SocketAddr>,
}

impl fmt::Display for MailboxTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = postcard::to_stdvec(self).map_err(|_| fmt::Error)?;
        write!(
            f,
            "{MAILBOX_TICKET_PREFIX}{}",
            BASE32_NOPAD.encode(&bytes).to_ascii_lowercase()
        )
    }
}

impl FromStr for MailboxTicket {
    type Err = MailboxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if s.len() > MAX_TICKET_CHARS {
            return Err(MailboxError::BadTicket(TicketProblem::TooLong));
        }
        let body = s.strip_prefix(MAILBOX_TICKET_PREFIX).ok_or_else(|| {
            MailboxError::BadTicket(TicketProblem::WrongStart {
                prefix: MAILBOX_TICKET_PREFIX,
            })
        })?;
        let bytes = BASE32_NOPAD
            .decode(body.to_ascii_uppercase().as_bytes())
            .map_err(|e| MailboxError::BadTicket(TicketProblem::from_base32(&e)))?;
        let t: MailboxTicket = postcard::from_bytes(&bytes)
            .map_err(|_| MailboxError::BadTicket(TicketProblem::Undecodable))?;
        if t.addrs.is_empty() || t.addrs.len() > 64 {
            return Err(MailboxError::BadTicket(TicketProblem::NoAddress));
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_round_trip_and_refuse_junk() {
        let t = MailboxTicket {
            endpoint: [3; 32],
            addrs: vec!["127.0.0.1:4433".parse().unwrap()],
        };
        let text = t.to_string();
        assert_eq!(text.parse::<MailboxTicket>().unwrap(), t);
        for junk in [
            "",
            MAILBOX_TICKET_PREFIX,
            "carnet-ticket1:aaaa",
            &text[..text.len() - 3],
        ] {
            assert!(junk.parse::<MailboxTicket>().is_err(), "{junk}");
        }
    }
}
