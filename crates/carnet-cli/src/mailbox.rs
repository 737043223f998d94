//! `carnet mailbox`: run a mailbox that holds sealed bundles for people who are offline,
//! allow depositors, deposit a bundle for a contact, collect what waits for you.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use carnet_mailbox::{
    ClientConfig, Event, Mailbox, MailboxClient, MailboxConfig, MailboxError, MailboxStore,
    MailboxTicket,
};
use clap::Subcommand;
use serde_json::json;

use crate::commands::open;
use crate::{Cli, NetArgs, msg, t};

#[derive(Subcommand, Debug)]
pub enum MailboxCommand {
    /// Run a mailbox: it holds sealed bundles for people who are offline until they collect them, and cannot read them. Prints its ticket first; Ctrl-C stops
    Serve {
        /// The mailbox's directory (its identity, its allowlist, the items waiting); created if missing
        #[arg(long, value_name = "DIR")]
        store: PathBuf,
        /// Take deposits from anyone, within the quotas, not only from those allowed
        #[arg(long)]
        open: bool,
        /// The local address to listen on, e.g. 0.0.0.0:7778 [default: a free port on every interface]
        #[arg(long)]
        bind: Option<std::net::SocketAddr>,
        /// A relay server of your own to be reachable through, e.g. http://10.0.0.1:3340 (callers set the same one: `carnet config set relay URL`)
        #[arg(long, value_name = "URL")]
        relay_url: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Allow a person to deposit at the mailbox whose directory is DIR, from their card (a running mailbox takes it within a second)
    Allow {
        /// Their identity card (`carnet whoami` prints it)
        card: String,
        /// The mailbox's directory
        #[arg(long, value_name = "DIR")]
        store: PathBuf,
    },
    /// Leave a bundle for a contact at a mailbox: what they lack and may receive, sealed to them
    Deposit {
        /// The contact (or patient) it is for
        name: String,
        /// The mailbox's ticket (the first line `carnet mailbox serve` prints)
        #[arg(long, value_name = "TICKET")]
        at: String,
        /// Send everything they may receive, not only what is new (when a bundle was lost)
        #[arg(long)]
        full: bool,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Collect at this mailbox from now on: your card announces it, so those you exchange with leave things there when you are offline (`carnet sync NAME` does). On your primary device
    Use {
        /// The mailbox's ticket (the first line `carnet mailbox serve` prints)
        ticket: String,
        /// Stop announcing this mailbox instead
        #[arg(long)]
        remove: bool,
    },
    /// Collect what waits for you at a mailbox and import it; items your vault refuses are reported and deleted there
    Collect {
        /// The mailbox's ticket (the first line `carnet mailbox serve` prints)
        #[arg(long, value_name = "TICKET")]
        at: String,
        #[command(flatten)]
        net: NetArgs,
    },
}

/// The limits of a mailbox (`carnet mailbox serve`), each defaulting to the library's.
#[derive(clap::Args, Debug)]
pub struct LimitArgs {
    /// The largest item taken, in MiB
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_item_mib: u64,
    /// The most items waiting for one recipient
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub recipient_items: u64,
    /// The most MiB waiting for one recipient
    #[arg(long, value_name = "MIB", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    pub recipient_mib: u64,
    /// The most items one depositor has waiting
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub depositor_items: u64,
    /// The most MiB one depositor has waiting
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub depositor_mib: u64,
    /// The most MiB held in all
    #[arg(long, value_name = "MIB", default_value_t = 16 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub total_mib: u64,
    /// Days an uncollected item waits before it is deleted
    #[arg(long, value_name = "DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub expire_days: u64,
}

impl LimitArgs {
    fn limits(&self) -> carnet_mailbox::Limits {
        const MIB: u64 = 1 << 20;
        carnet_mailbox::Limits {
            max_item_bytes: self.max_item_mib * MIB,
            per_recipient: carnet_mailbox::Quota {
                items: self.recipient_items,
                bytes: self.recipient_mib.saturating_mul(MIB),
            },
            per_depositor: carnet_mailbox::Quota {
                items: self.depositor_items,
                bytes: self.depositor_mib.saturating_mul(MIB),
            },
            max_total_bytes: self.total_mib.saturating_mul(MIB),
            ttl_secs: self.expire_days * 24 * 3600,
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context(msg!("err-network-runtime"))
}

pub(crate) fn short(id: &str) -> &str {
    &id[..12.min(id.len())]
}

/// A mailbox error as the command line returns it: said in the language when it is shown
/// (`errors::text`), in English inside `--json`, with the exit code of its kind.
pub(crate) fn cli_error(e: MailboxError) -> anyhow::Error {
    match e {
        MailboxError::Vault(v) => v.into(),
        other => other.into(),
    }
}

pub fn run(cli: &Cli, cmd: &MailboxCommand) -> Result<()> {
    match cmd {
        MailboxCommand::Serve {
            store,
            open,
            bind,
            relay_url,
            limits,
        } => serve(
            cli,
            store,
            *open,
            *bind,
            relay_url.as_deref(),
            limits.limits(),
        ),
        MailboxCommand::Use { ticket, remove } => use_mailbox(cli, ticket, *remove),
        MailboxCommand::Allow { card, store } => allow(cli, card, store),
        MailboxCommand::Deposit {
            name,
            at,
            full,
            net,
        } => deposit(cli, name, at, *full, net),
        MailboxCommand::Collect { at, net } => collect(cli, at, net),
    }
}

fn serve(
    cli: &Cli,
    dir: &std::path::Path,
    open: bool,
    bind: Option<std::net::SocketAddr>,
    relay_url: Option<&str>,
    limits: carnet_mailbox::Limits,
) -> Result<()> {
    let relay_url = relay_url.map(crate::net::parse_relay_url).transpose()?;
    let store = MailboxStore::open(dir).map_err(cli_error)?;
    let config = MailboxConfig {
        open,
        bind,
        relay_url,
        limits,
        ..MailboxConfig::default()
    };
    let json = cli.json;
    let config_limits = config.limits.clone();
    runtime()?.block_on(async move {
        let mailbox = Mailbox::start(store, config).await.map_err(cli_error)?;
        let ticket = mailbox.ticket().to_string();
        if json {
            let l = &config_limits;
            println!(
                "{}",
                json!({
                    "ticket": ticket,
                    "open": open,
                    "limits": {
                        "max_item_bytes": l.max_item_bytes,
                        "recipient_items": l.per_recipient.items,
                        "recipient_bytes": l.per_recipient.bytes,
                        "depositor_items": l.per_depositor.items,
                        "depositor_bytes": l.per_depositor.bytes,
                        "total_bytes": l.max_total_bytes,
                        "expire_secs": l.ttl_secs,
                    },
                })
            );
        } else {
            println!("{ticket}");
            eprintln!("{}", t!("mailbox-serving"));
        }
        let _ = std::io::stdout().flush();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let printer = tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                if json {
                    if let Ok(line) = serde_json::to_string(&ev) {
                        println!("{line}");
                    }
                } else {
                    let line = match &ev {
                        Event::Deposited {
                            from, to, bytes, ..
                        } => t!(
                            "mailbox-event-deposited",
                            from = short(&from.to_string()),
                            to = short(&to.to_string()),
                            bytes = *bytes
                        ),
                        Event::Collected { to, .. } => {
                            t!("mailbox-event-collected", to = short(&to.to_string()))
                        }
                        Event::Refused { endpoint, refusal } => t!(
                            "mailbox-event-refused",
                            peer = short(&endpoint.to_string()),
                            why = crate::errors::mailbox_refusal_text(refusal)
                        ),
                        Event::Failed { endpoint, error } => t!(
                            "mailbox-event-failed",
                            peer = short(&endpoint.to_string()),
                            why = crate::errors::said_mailbox(error)
                        ),
                        Event::Expired { items } => {
                            t!("mailbox-event-expired", items = *items)
                        }
                        Event::Allowed { name, .. } => {
                            t!("mailbox-allowed", name = name.as_str())
                        }
                        Event::Acknowledged {
                            to, waiting_for, ..
                        } => t!(
                            "mailbox-event-acknowledged",
                            to = short(&to.to_string()),
                            devices = *waiting_for
                        ),
                        _ => continue,
                    };
                    println!("{line}");
                }
                let _ = std::io::stdout().flush();
            }
        });
        mailbox.serve(tx, stop_signal()).await.map_err(cli_error)?;
        mailbox.shutdown().await;
        let _ = printer.await;
        Ok::<_, anyhow::Error>(())
    })
}

/// Resolves when the user asks to stop (Ctrl-C, or SIGTERM from a service manager).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn allow(cli: &Cli, card: &str, dir: &std::path::Path) -> Result<()> {
    let card = carnet::crypto::IdentityCard::from_text(card.trim()).map_err(|e| {
        // Said when shown: in the language, and in English inside --json.
        let why = crate::i18n::Said::new(move || crate::errors::crypto_text(&e));
        crate::errors::refused(crate::i18n::Msg::Keyed {
            id: "err-mailbox-card",
            args: vec![("why", crate::i18n::Arg::Said(why))],
        })
    })?;
    // A running mailbox holds the store: the card goes to its queue, taken within a second.
    let queued = match MailboxStore::open(dir) {
        Ok(store) => {
            store
                .allow(&card.person_id(), card.name())
                .map_err(cli_error)?;
            false
        }
        Err(MailboxError::InUse(_)) => {
            MailboxStore::queue_allow(dir, &card).map_err(cli_error)?;
            true
        }
        Err(e) => return Err(cli_error(e)),
    };
    if cli.json {
        crate::output::json(&json!({
            "allowed": card.name(),
            "id": card.person_id().to_string(),
            "queued": queued,
        }))
    } else {
        if queued {
            println!("{}", t!("mailbox-allow-queued", name = card.name()));
        } else {
            println!("{}", t!("mailbox-allowed", name = card.name()));
        }
        Ok(())
    }
}

fn use_mailbox(cli: &Cli, text: &str, remove: bool) -> Result<()> {
    let given = ticket(text)?;
    let vault = open(cli)?;
    // One entry per mailbox (its endpoint key): a new ticket of the same mailbox replaces
    // the old one.
    let mut list: Vec<String> = vault
        .own_mailboxes()
        .into_iter()
        .filter(|m| {
            m.parse::<MailboxTicket>()
                .map_or(true, |t| t.endpoint != given.endpoint)
        })
        .collect();
    if !remove {
        list.insert(0, given.to_string());
    }
    if list.len() > carnet::crypto::MAX_CARD_MAILBOXES {
        return Err(crate::errors::refused(msg!(
            "err-mailbox-too-many",
            max = carnet::crypto::MAX_CARD_MAILBOXES
        )));
    }
    let card = vault.set_mailboxes(list)?;
    if cli.json {
        crate::output::json(&json!({
            "card": card.to_text(),
            "mailboxes": card.mailboxes(),
        }))
    } else {
        if remove {
            println!("{}", t!("mailbox-unused", count = card.mailboxes().len()));
        } else {
            println!("{}", t!("mailbox-used", count = card.mailboxes().len()));
        }
        Ok(())
    }
}

pub(crate) fn ticket(at: &str) -> Result<MailboxTicket> {
    at.parse::<MailboxTicket>().map_err(cli_error)
}

fn client_config(vault: &carnet::Vault, net: &NetArgs) -> Result<ClientConfig> {
    let (relay, relay_url) = crate::net::relay_choice(vault, net)?;
    Ok(ClientConfig {
        relay,
        relay_url,
        timeout: std::time::Duration::from_secs(net.timeout),
        ..ClientConfig::default()
    })
}

fn deposit(cli: &Cli, name: &str, at: &str, full: bool, net: &NetArgs) -> Result<()> {
    // The ticket is checked before the passphrase is asked for.
    let ticket = ticket(at)?;
    let mut vault = open(cli)?;
    // The recipient is checked before the network is touched.
    vault.find_peer(name)?;
    let config = client_config(&vault, net)?;
    let report = runtime()?.block_on(async {
        let client = MailboxClient::for_vault(&mut vault, config)
            .await
            .map_err(cli_error)?;
        let mut session = client.connect(&ticket).await.map_err(cli_error)?;
        let report = carnet_mailbox::deposit_for(&mut vault, &mut session, name, full).await;
        session.finish().await;
        client.shutdown().await;
        report.map_err(cli_error)
    })?;
    if cli.json {
        crate::output::json(&report)
    } else {
        println!(
            "{}",
            t!(
                "mailbox-deposited",
                name = report.to.as_str(),
                changes = report.envelopes,
                bytes = report.bytes
            )
        );
        Ok(())
    }
}

fn collect(cli: &Cli, at: &str, net: &NetArgs) -> Result<()> {
    let ticket = ticket(at)?;
    let mut vault = open(cli)?;
    let config = client_config(&vault, net)?;
    let report = runtime()?.block_on(async {
        let client = MailboxClient::for_vault(&mut vault, config)
            .await
            .map_err(cli_error)?;
        let mut session = client.connect(&ticket).await.map_err(cli_error)?;
        let report = carnet_mailbox::collect_into(&mut vault, &mut session).await;
        session.finish().await;
        client.shutdown().await;
        report.map_err(cli_error)
    })?;
    if cli.json {
        return crate::output::json(&report);
    }
    if report.imported.is_empty() && report.refused.is_empty() {
        println!("{}", t!("mailbox-nothing"));
    }
    for i in &report.imported {
        println!(
            "{}",
            t!(
                "mailbox-collected",
                from = i.from.as_str(),
                changes = i.envelopes
            )
        );
    }
    for r in &report.refused {
        println!(
            "{}",
            t!(
                "mailbox-collect-refused",
                depositor = short(&r.depositor),
                why = crate::errors::said_vault(&r.error)
            )
        );
    }
    Ok(())
}
