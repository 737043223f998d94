//! `carnet mailbox`: run a mailbox that holds sealed bundles for people who are offline,
//! allow depositors, deposit a bundle for a contact, collect what waits for you.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use carnet_mailbox::{
    ClientConfig, Event, Mailbox, MailboxClient, MailboxConfig, MailboxError, MailboxStore,
    MailboxTicket, Refusal,
};
use clap::Subcommand;
use serde_json::json;

use crate::commands::open;
use crate::errors::{CliError, Kind};
use crate::{Cli, NetArgs, t};

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
    },
    /// Allow a person to deposit at the mailbox whose directory is DIR, from their card (while that mailbox is stopped)
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
    /// Collect what waits for you at a mailbox and import it; items your vault refuses are reported and deleted there
    Collect {
        /// The mailbox's ticket (the first line `carnet mailbox serve` prints)
        #[arg(long, value_name = "TICKET")]
        at: String,
        #[command(flatten)]
        net: NetArgs,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

fn short(id: &str) -> &str {
    &id[..12.min(id.len())]
}

/// A mailbox error in the language, with its exit code.
fn cli_error(e: MailboxError) -> anyhow::Error {
    let e = match e {
        MailboxError::Vault(v) => return v.into(),
        other => other,
    };
    let (kind, text) = match &e {
        MailboxError::Refused(r) => (
            Kind::Refused,
            match r {
                Refusal::NotAllowed => t!("err-mailbox-not-allowed"),
                Refusal::DepositorFull {
                    items,
                    bytes,
                    max_items,
                    max_bytes,
                } => t!(
                    "err-mailbox-quota",
                    items = *items,
                    bytes = *bytes,
                    max_items = *max_items,
                    max_bytes = *max_bytes
                ),
                Refusal::RecipientFull {
                    max_items,
                    max_bytes,
                    ..
                } => t!(
                    "err-mailbox-recipient-full",
                    max_items = *max_items,
                    max_bytes = *max_bytes
                ),
                Refusal::TooLarge { size, max } => {
                    t!("err-mailbox-too-large", size = *size, max = *max)
                }
                other => t!("err-mailbox-refused", why = other.to_string()),
            },
        ),
        MailboxError::Connect(_)
        | MailboxError::Connection(_)
        | MailboxError::Timeout(_)
        | MailboxError::Protocol(_) => (
            Kind::Unreachable,
            t!("err-mailbox-unreachable", why = e.to_string()),
        ),
        MailboxError::BadTicket(why) => {
            (Kind::Refused, t!("err-mailbox-ticket", why = why.as_str()))
        }
        MailboxError::InUse(dir) => (
            Kind::Failure,
            t!("err-mailbox-in-use", store = dir.display().to_string()),
        ),
        _ => (Kind::Failure, e.to_string()),
    };
    CliError { kind, text }.into()
}

pub fn run(cli: &Cli, cmd: &MailboxCommand) -> Result<()> {
    match cmd {
        MailboxCommand::Serve { store, open, bind } => serve(cli, store, *open, *bind),
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
) -> Result<()> {
    let store = MailboxStore::open(dir).map_err(cli_error)?;
    let config = MailboxConfig {
        open,
        bind,
        ..MailboxConfig::default()
    };
    let json = cli.json;
    runtime()?.block_on(async move {
        let mailbox = Mailbox::start(store, config).await.map_err(cli_error)?;
        let ticket = mailbox.ticket().to_string();
        if json {
            println!("{}", json!({ "ticket": ticket, "open": open }));
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
                            from = short(from),
                            to = short(to),
                            bytes = *bytes
                        ),
                        Event::Collected { to, .. } => {
                            t!("mailbox-event-collected", to = short(to))
                        }
                        Event::Refused { endpoint, why } => t!(
                            "mailbox-event-refused",
                            peer = short(endpoint),
                            why = why.as_str()
                        ),
                        Event::Failed { endpoint, why } => t!(
                            "mailbox-event-failed",
                            peer = short(endpoint),
                            why = why.as_str()
                        ),
                        Event::Expired { items } => {
                            t!("mailbox-event-expired", items = *items)
                        }
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
    let card = carnet::crypto::IdentityCard::from_text(card.trim())
        .map_err(|e| crate::errors::refused(t!("err-mailbox-card", why = e.to_string())))?;
    let store = MailboxStore::open(dir).map_err(cli_error)?;
    store
        .allow(&card.person_id(), card.name())
        .map_err(cli_error)?;
    if cli.json {
        crate::output::json(&json!({
            "allowed": card.name(),
            "id": card.person_id().to_string(),
        }))
    } else {
        println!("{}", t!("mailbox-allowed", name = card.name()));
        Ok(())
    }
}

fn ticket(at: &str) -> Result<MailboxTicket> {
    at.parse::<MailboxTicket>().map_err(cli_error)
}

fn client_config(vault: &carnet::Vault, net: &NetArgs) -> Result<ClientConfig> {
    Ok(ClientConfig {
        relay: net.relay || vault.setting("relay")? == "on",
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
                why = r.why.as_str()
            )
        );
    }
    Ok(())
}
