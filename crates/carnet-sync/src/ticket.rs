//! Tickets: how to reach a device, as text a person can copy (the first line `carnet serve`
//! prints): its endpoint key, its owner, and the addresses it listens on.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use carnet::crypto::PersonId;
use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};

use crate::SyncError;
use carnet::transport::TicketProblem;

/// The prefix of a ticket's text form.
pub const TICKET_PREFIX: &str = "carnet-ticket1:";
const MAX_TICKET_CHARS: usize = 4096;

/// How to reach one device of one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The device's endpoint public key (what the connection authenticates).
    pub endpoint: [u8; 32],
    /// The person whose device it is.
    pub person: PersonId,
    /// Direct addresses (loopback, LAN).
    pub addrs: Vec<SocketAddr>,
}

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = postcard::to_stdvec(self).map_err(|_| fmt::Error)?;
        write!(
            f,
            "{TICKET_PREFIX}{}",
            BASE32_NOPAD.encode(&bytes).to_ascii_lowercase()
        )
    }
}

impl FromStr for Ticket {
    type Err = SyncError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if s.len() > MAX_TICKET_CHARS {
            return Err(SyncError::BadTicket(TicketProblem::TooLong));
        }
        let body = s.strip_prefix(TICKET_PREFIX).ok_or(SyncError::BadTicket(
            TicketProblem::WrongStart {
                prefix: TICKET_PREFIX,
            },
        ))?;
        let bytes = BASE32_NOPAD
            .decode(body.to_ascii_uppercase().as_bytes())
            .map_err(|e| SyncError::BadTicket(TicketProblem::from_base32(&e)))?;
        let t: Ticket = postcard::from_bytes(&bytes)
            .map_err(|_| SyncError::BadTicket(TicketProblem::Undecodable))?;
        if t.addrs.is_empty() || t.addrs.len() > 64 {
            return Err(SyncError::BadTicket(TicketProblem::NoAddress));
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_round_trip_and_refuse_junk() {
        let t = Ticket {
            endpoint: [3; 32],
            person: PersonId([4; 32]),
            addrs: vec![
                "127.0.0.1:4433".parse().unwrap(),
                "[::1]:9".parse().unwrap(),
            ],
        };
        let text = t.to_string();
        assert!(text.starts_with(TICKET_PREFIX));
        assert_eq!(text.parse::<Ticket>().unwrap(), t);
        let wrapped = format!("{}\n  {}", &text[..20], &text[20..]);
        assert_eq!(
            wrapped.parse::<Ticket>().unwrap(),
            t,
            "whitespace is ignored"
        );
        for junk in [
            "",
            "carnet-ticket1:",
            "carnet-ticket1:!!!",
            "hello",
            &text[..text.len() - 3],
        ] {
            assert!(junk.parse::<Ticket>().is_err(), "{junk}");
        }
    }
}
