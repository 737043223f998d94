//! Live sync commands: `serve`, `sync PEER`, and the vault's settings.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use carnet_sync::{Activity, Event, Node, SessionReport, SyncConfig, TICKET_PREFIX, Ticket};
use serde_json::json;

use crate::commands::open;
use crate::{Cli, ConfigCommand, NetArgs, ServeArgs, SyncArgs, output};
use crate::{msg, t};

/// Which relay a network command uses: `--relay-url`, else the `relay` setting when it is
/// a URL (a relay of one's own); else iroh's public relays with `--relay` or the setting
/// `on`; else none. Returns (public relays, own relay).
pub(crate) fn relay_choice(
    vault: &carnet::Vault,
    net: &NetArgs,
) -> Result<(bool, Option<iroh::RelayUrl>)> {
    let setting = vault.setting("relay")?;
    let url = match &net.relay_url {
        Some(url) => Some(url.clone()),
        None if setting != "on" && setting != "off" => Some(setting.clone()),
        None => None,
    };
    match url {
        Some(url) => Ok((false, Some(parse_relay_url(&url)?))),
        None => Ok((net.relay || setting == "on", None)),
    }
}

/// A relay server's URL, checked.
pub(crate) fn parse_relay_url(url: &str) -> Result<iroh::RelayUrl> {
    url.parse::<iroh::RelayUrl>()
        .map_err(|e| anyhow!(t!("relay-url-bad", url = url, why = e.to_string())))
}

fn config_for(vault: &carnet::Vault, net: &NetArgs) -> Result<SyncConfig> {
    let (relay, relay_url) = relay_choice(vault, net)?;
    Ok(SyncConfig {
        relay,
        relay_url,
        timeout: Duration::from_secs(net.timeout),
        ..SyncConfig::default()
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context(msg!("err-network-runtime"))
}

/// Resolves when the user asks to stop (Ctrl-C, or SIGTERM from a service manager).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn report_json(r: &SessionReport) -> serde_json::Value {
    json!({
        "peer": r.peer,
        "peer_id": r.peer_id,
        "sent": r.sent,
        "received": r.received,
        "keys_received": r.keys_received,
        "consent_received": r.consent_received,
        "bytes_sent": r.bytes_sent,
        "bytes_received": r.bytes_received,
        "rounds": r.rounds,
    })
}

fn report_text(r: &SessionReport) -> String {
    t!(
        "synced",
        peer = r.peer.as_str(),
        sent = r.sent,
        received = r.received,
        bytes_out = r.bytes_sent,
        bytes_in = r.bytes_received
    )
}

pub fn serve(cli: &Cli, args: &ServeArgs) -> Result<()> {
    let vault = open(cli)?;
    let mut config = config_for(&vault, &args.net)?;
    config.bind = args.bind;
    // The port of the last serve, so the tickets given out keep working.
    let remembered = vault.setting("port")?.parse::<u16>().ok();
    if args.bind.is_none() {
        config.port = remembered;
    }
    let who = vault.card().name().to_string();
    let id = vault.person_id().to_string();
    let json = cli.json;
    runtime()?.block_on(async move {
        let node = Node::start(vault, config).await?;
        if args.bind.is_none() && remembered.is_none() {
            let port = node
                .bound()
                .iter()
                .find(|a| a.is_ipv4())
                .or(node.bound().first())
                .map(|a| a.port());
            if let Some(port) = port {
                node.with_vault(move |v| v.set_setting("port", &port.to_string()))
                    .await?;
            }
        }
        let ticket = node.ticket().to_string();
        if json {
            println!("{}", json!({ "ticket": ticket, "id": id }));
        } else {
            println!("{ticket}");
            eprintln!("{}", t!("serving", name = who.as_str()));
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
                    match &ev {
                        Event::Synced(r) => println!("{}", report_text(r)),
                        Event::Refused { endpoint, error } => {
                            println!(
                                "{}",
                                t!(
                                    "serve-refused",
                                    peer = endpoint
                                        .as_ref()
                                        .map_or_else(|| "?".to_string(), |k| k.short()),
                                    why = crate::errors::said(error)
                                )
                            )
                        }
                        Event::Failed { endpoint, error } => {
                            println!(
                                "{}",
                                t!(
                                    "serve-failed",
                                    peer = endpoint.short(),
                                    why = crate::errors::said(error)
                                )
                            )
                        }
                    }
                }
                let _ = std::io::stdout().flush();
            }
        });
        node.serve(tx, stop_signal()).await?;
        node.shutdown().await;
        let _ = printer.await;
        Ok::<_, anyhow::Error>(())
    })
}

pub fn sync(cli: &Cli, args: &SyncArgs) -> Result<()> {
    let peer = args.peer.trim();
    if peer.is_empty() {
        return Err(crate::errors::refused(msg!("err-sync-no-peer")));
    }
    // A ticket is checked before the passphrase is asked for.
    let given: Option<Ticket> = if peer.starts_with(TICKET_PREFIX) {
        Some(peer.parse()?)
    } else {
        None
    };
    let vault = open(cli)?;
    // The mailboxes where this vault's owner collects, and, for a person named, the ones
    // their newest card announces: used when they cannot be reached live.
    let own_boxes = vault.own_mailboxes();
    let mut their_boxes: Vec<String> = Vec::new();
    let ticket = match given {
        Some(t) => Some(t),
        None => {
            let card = vault.find_peer(peer)?;
            their_boxes = vault.mailboxes_of(&card.person_id())?;
            match vault.engine().address_of(&card.person_id())? {
                Some(text) => Some(text.parse()?),
                // Not reachable live: their mailbox (known now, or learnt from what waits at
                // ours) takes it.
                None if (!their_boxes.is_empty() || !own_boxes.is_empty()) && !args.watch => None,
                None => {
                    return Err(anyhow!(t!("err-sync-no-address", name = card.name())));
                }
            }
        }
    };
    // A patient who shared their record with this vault's owner: if they refuse the sync,
    // it is because they no longer share it (a revoke, an end date, a block), which the
    // grantee is told in those words, not as a bare refusal.
    let sharer = ticket.as_ref().and_then(|ticket| {
        vault
            .patients()
            .ok()
            .and_then(|all| all.into_iter().find(|p| p.id == ticket.person))
            .map(|p| p.name)
    });
    let (relay, relay_url) = relay_choice(&vault, &args.net)?;
    let box_config = carnet_mailbox::ClientConfig {
        relay,
        relay_url,
        timeout: Duration::from_secs(args.net.timeout),
        ..carnet_mailbox::ClientConfig::default()
    };
    let peer_name = peer.to_string();
    let config = config_for(&vault, &args.net)?;
    let live = args.watch;
    let json = cli.json;
    // Who is being reached, for the progress line: a name when one was given.
    let label = if peer.starts_with(TICKET_PREFIX) {
        t!("sync-the-peer")
    } else {
        peer.to_string()
    };
    let wait = Duration::from_secs(args.net.timeout);
    let (report, reconnects, boxes) = runtime()?
        .block_on(async move {
            let node = std::sync::Arc::new(Node::start(vault, config).await?);
            let spinner = traffic_spinner(json, node.clone(), label, wait);
            let mut boxes = Boxes::default();
            let result = match (live, ticket) {
                (true, Some(ticket)) => {
                    // One line per batch received or delivered, as it happens; what waits
                    // at one's mailboxes is collected every few seconds meanwhile.
                    let shower = (!json).then(|| tokio::spawn(show_activity(node.activity())));
                    let r = tokio::select! {
                        r = watch(&node, &ticket) => r,
                        _ = keep_collecting(&node, &own_boxes, &box_config, json) => unreachable!(),
                    };
                    if let Some(task) = shower {
                        task.abort();
                    }
                    r
                }
                (_, ticket) => {
                    let r = match &ticket {
                        Some(t) => node.sync(t, false).await,
                        None => Err(carnet_sync::SyncError::Connect(
                            carnet::transport::ConnectFailure::NoAddress,
                        )),
                    };
                    match r {
                        Ok(r) => {
                            collect_all(&node, &own_boxes, &box_config, &mut boxes).await;
                            Ok((r, 0))
                        }
                        Err(e)
                            if worth_retrying(&e)
                                && (!their_boxes.is_empty() || !own_boxes.is_empty()) =>
                        {
                            // Not reachable live: what waits at our mailboxes is collected
                            // (it may bring their newer card, announcing their mailbox),
                            // then what they lack is left at theirs.
                            boxes.unreachable = Some(crate::errors::said(&e));
                            collect_all(&node, &own_boxes, &box_config, &mut boxes).await;
                            let name = peer_name.clone();
                            if let Ok(now) = node
                                .with_vault(move |v| {
                                    let card = v.find_peer(&name)?;
                                    v.mailboxes_of(&card.person_id())
                                })
                                .await
                            {
                                their_boxes = now;
                            }
                            deposit_any(&node, &peer_name, &their_boxes, &box_config, &mut boxes)
                                .await;
                            match &boxes.deposited {
                                Some(d) => Ok((
                                    SessionReport {
                                        peer: d.to.clone(),
                                        peer_id: d.to_id.clone(),
                                        sent: d.envelopes,
                                        received: boxes.received(),
                                        bytes_sent: d.bytes,
                                        ..SessionReport::default()
                                    },
                                    0,
                                )),
                                None => {
                                    // An unreachable peer (exit 5), its words made when
                                    // shown: in the language, and English inside --json.
                                    let e = std::sync::Arc::new(e);
                                    let why =
                                        crate::i18n::Said::new(move || crate::errors::said(&e));
                                    let failures = std::mem::take(&mut boxes.errors);
                                    let mailboxes = crate::i18n::Said::new(move || {
                                        failures.iter().fold(String::new(), |text, (m, why)| {
                                            // Each after the one before, as a
                                            // cause: " : " in French.
                                            t!(
                                                "err-cause",
                                                text = text,
                                                cause = t!(
                                                    "sync-mailbox-failed",
                                                    mailbox = m.as_str(),
                                                    why = crate::errors::said_mailbox(why)
                                                )
                                            )
                                        })
                                    });
                                    use crate::i18n::Arg;
                                    Err(crate::errors::CliError {
                                        kind: crate::errors::Kind::Unreachable,
                                        text: crate::i18n::Msg::Keyed {
                                            id: "err-sync-no-mailbox",
                                            args: vec![
                                                ("peer", Arg::Text(peer_name.clone())),
                                                ("why", Arg::Said(why)),
                                                (
                                                    "collected",
                                                    Arg::from(fluent_bundle::FluentValue::from(
                                                        boxes.received(),
                                                    )),
                                                ),
                                                ("mailboxes", Arg::Said(mailboxes)),
                                            ],
                                        },
                                    }
                                    .into())
                                }
                            }
                        }
                        Err(e) => Err(e.into()),
                    }
                }
            };
            let result = result.map(|(r, n)| (r, n, boxes));
            if let Some((bar, task)) = spinner {
                task.abort();
                let _ = task.await;
                bar.finish_and_clear();
            }
            if let Ok(node) = std::sync::Arc::try_unwrap(node) {
                node.shutdown().await;
            }
            result
        })
        .map_err(|e| no_longer_shared(e, sharer.as_deref()))?;
    if json {
        let mut out = report_json(&report);
        if live {
            out["reconnects"] = json!(reconnects);
        }
        out["via"] = json!(if boxes.deposited.is_some() {
            "mailbox"
        } else {
            "live"
        });
        out["deposited"] = json!(boxes.deposited);
        out["collected"] = json!(boxes.collected);
        out["mailbox_errors"] = json!(
            boxes
                .errors
                .iter()
                // English, as every text inside JSON.
                .map(|(m, why)| {
                    json!({"mailbox": m, "why": crate::i18n::in_english(|| crate::errors::said_mailbox(why))})
                })
                .collect::<Vec<_>>()
        );
        output::json(&out)
    } else {
        match &boxes.deposited {
            Some(d) => println!(
                "{}",
                t!(
                    "sync-deposited",
                    peer = d.to.as_str(),
                    why = boxes.unreachable.as_deref().unwrap_or(""),
                    mailbox = crate::mailbox::short(&d.mailbox),
                    changes = d.envelopes,
                    bytes = d.bytes
                )
            ),
            None => println!("{}.", report_text(&report)),
        }
        for c in &boxes.collected {
            print_collected(c);
        }
        for (m, why) in &boxes.errors {
            eprintln!(
                "{}",
                t!(
                    "sync-mailbox-failed",
                    mailbox = m.as_str(),
                    why = crate::errors::said_mailbox(why)
                )
            );
        }
        Ok(())
    }
}

/// What a sync did at mailboxes.
#[derive(Default)]
struct Boxes {
    /// Why the peer could not be reached live, when it could not.
    unreachable: Option<String>,
    deposited: Option<carnet_mailbox::DepositReport>,
    collected: Vec<carnet_mailbox::CollectReport>,
    /// (mailbox, why) for each mailbox that could not be used: the error itself, said in
    /// English inside JSON and in the language elsewhere.
    errors: Vec<(String, carnet_mailbox::MailboxError)>,
}

impl Boxes {
    fn received(&self) -> usize {
        self.collected
            .iter()
            .flat_map(|c| &c.imported)
            .map(|i| i.envelopes)
            .sum()
    }
}

/// The vault inside a running node, lent to mailbox traffic for short calls.
pub(crate) struct NodeAccess<'a>(pub(crate) &'a Node);

impl carnet_mailbox::VaultAccess for NodeAccess<'_> {
    async fn with<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&carnet::Vault) -> carnet::Result<T> + Send + 'static,
    ) -> std::result::Result<T, carnet_mailbox::MailboxError> {
        self.0.with_vault(f).await.map_err(|e| match e {
            carnet_sync::SyncError::Vault(v) => carnet_mailbox::MailboxError::Vault(v),
            other => carnet_mailbox::MailboxError::Internal(carnet::transport::Fault::Task {
                what: "vault",
                source: Box::new(other),
            }),
        })
    }
}

/// A mailbox's short name (the start of its key), from its ticket's text.
fn box_name(text: &str) -> String {
    text.parse::<carnet_mailbox::MailboxTicket>()
        .map(|t| data_encoding::HEXLOWER.encode(&t.endpoint)[..12].to_string())
        .unwrap_or_else(|_| "?".into())
}

/// One mailbox session: `f` with a session at the mailbox `text` names.
pub(crate) async fn at_box<T>(
    node: &Node,
    text: &str,
    config: &carnet_mailbox::ClientConfig,
    f: impl AsyncFnOnce(
        &mut NodeAccess<'_>,
        &mut carnet_mailbox::Session,
    ) -> std::result::Result<T, carnet_mailbox::MailboxError>,
) -> std::result::Result<T, carnet_mailbox::MailboxError> {
    let ticket: carnet_mailbox::MailboxTicket = text.parse()?;
    let mut access = NodeAccess(node);
    let client = carnet_mailbox::MailboxClient::for_access(&mut access, config.clone()).await?;
    let result = match client.connect(&ticket).await {
        Ok(mut session) => {
            let r = f(&mut access, &mut session).await;
            session.finish().await;
            r
        }
        Err(e) => Err(e),
    };
    client.shutdown().await;
    result
}

/// Deposits for `peer` at the first of `boxes` that takes it.
async fn deposit_any(
    node: &Node,
    peer: &str,
    boxes: &[String],
    config: &carnet_mailbox::ClientConfig,
    out: &mut Boxes,
) {
    for text in boxes {
        let r = at_box(node, text, config, async |access, session| {
            carnet_mailbox::deposit_with(access, session, peer, false).await
        })
        .await;
        match r {
            Ok(d) => {
                out.deposited = Some(d);
                return;
            }
            Err(e) => out.errors.push((box_name(text), e)),
        }
    }
}

/// Collects at each of `boxes`.
async fn collect_all(
    node: &Node,
    boxes: &[String],
    config: &carnet_mailbox::ClientConfig,
    out: &mut Boxes,
) {
    for text in boxes {
        let r = at_box(node, text, config, async |access, session| {
            carnet_mailbox::collect_with(access, session).await
        })
        .await;
        match r {
            Ok(c) => out.collected.push(c),
            Err(e) => out.errors.push((box_name(text), e)),
        }
    }
}

/// How often `sync --watch` collects at one's mailboxes.
const COLLECT_EVERY: Duration = Duration::from_secs(5);

/// `sync --watch`: collects at one's mailboxes every few seconds, printing what came (a
/// JSON line per collection that brought something, with --json). Never returns.
async fn keep_collecting(
    node: &Node,
    boxes: &[String],
    config: &carnet_mailbox::ClientConfig,
    json: bool,
) {
    if boxes.is_empty() {
        return std::future::pending().await;
    }
    loop {
        let mut round = Boxes::default();
        collect_all(node, boxes, config, &mut round).await;
        for c in &round.collected {
            if c.imported.is_empty() && c.refused.is_empty() {
                continue;
            }
            if json {
                println!("{}", json!({ "collected": c }));
            } else {
                print_collected(c);
            }
        }
        let _ = std::io::stdout().flush();
        tokio::time::sleep(COLLECT_EVERY).await;
    }
}

fn print_collected(c: &carnet_mailbox::CollectReport) {
    for i in &c.imported {
        println!(
            "{}",
            t!(
                "sync-collected",
                mailbox = crate::mailbox::short(&c.mailbox),
                from = i.from.as_str(),
                changes = i.envelopes
            )
        );
    }
    for r in &c.refused {
        println!(
            "{}",
            t!(
                "sync-collect-refused",
                mailbox = crate::mailbox::short(&c.mailbox),
                depositor = crate::mailbox::short(&r.depositor),
                why = crate::errors::said_vault(&r.error)
            )
        );
    }
}

/// Prints a live session's activity, one line per batch (`sync --watch`).
async fn show_activity(mut rx: tokio::sync::broadcast::Receiver<Activity>) {
    loop {
        match rx.recv().await {
            Ok(a) => {
                if let Some(line) = activity_text(&a) {
                    println!("{line}");
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(_) => return,
        }
    }
}

/// One line for a session's activity, in the user's language.
fn activity_text(a: &Activity) -> Option<String> {
    Some(match a {
        Activity::Connected { peer } => t!("activity-connected", peer = peer.as_str()),
        Activity::Received {
            peer,
            changes,
            keys,
            consent,
        } => t!(
            "activity-received",
            peer = peer.as_str(),
            changes = *changes,
            keys = *keys,
            consent = *consent
        ),
        Activity::Delivered { peer, changes } => {
            t!(
                "activity-delivered",
                peer = peer.as_str(),
                changes = *changes
            )
        }
        _ => return None,
    })
}

/// A refusal from a patient who had shared their record, said as what it means.
fn no_longer_shared(e: anyhow::Error, patient: Option<&str>) -> anyhow::Error {
    // Only the refusals that mean "no longer shared" (the kinds for no grant in
    // force, a block, an unknown peer); a refusal for another reason (a device that is
    // not its owner's primary, a change that does not verify) keeps its own text.
    let refused = e
        .chain()
        .find_map(|c| match c.downcast_ref::<carnet_sync::SyncError>() {
            Some(carnet_sync::SyncError::Refused(why)) if why.no_longer_shared() => {
                Some(why.clone())
            }
            _ => None,
        });
    match (refused, patient) {
        (Some(carnet_sync::PeerRefusal::NothingShared { ended: Some(t) }), Some(patient)) => {
            crate::errors::refused(msg!(
                "err-sync-access-ended",
                patient = patient,
                date = crate::errors::day(t)
            ))
        }
        (Some(why), Some(patient)) => crate::errors::refused(msg!(
            "err-sync-no-longer-shared",
            patient = patient,
            why = crate::errors::refusal_text(&why)
        )),
        _ => e,
    }
}

/// On a terminal (and without --json): a line on stderr with the bytes received and sent
/// so far, updated as they move, so a long sync over a slow link shows it is alive.
/// Until the first byte moves, it says who is being reached and how long is left before
/// carnet gives up (`--timeout`), so an unreachable peer is not a silent wait.
fn traffic_spinner(
    json: bool,
    node: std::sync::Arc<Node>,
    peer: String,
    wait: Duration,
) -> Option<(indicatif::ProgressBar, tokio::task::JoinHandle<()>)> {
    use std::io::IsTerminal;
    if json || !std::io::stderr().is_terminal() || std::env::var("TERM").is_ok_and(|t| t == "dumb")
    {
        return None;
    }
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style);
    }
    let shown = bar.clone();
    let task = tokio::spawn(async move {
        loop {
            let (got, sent) = node.traffic();
            if got == 0 && sent == 0 {
                let left = wait.saturating_sub(started.elapsed()).as_secs();
                shown.set_message(t!("sync-reaching", peer = peer.as_str(), left = left));
            } else {
                shown.set_message(t!(
                    "syncing",
                    received = indicatif::HumanBytes(got).to_string(),
                    sent = indicatif::HumanBytes(sent).to_string()
                ));
            }
            shown.tick();
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    Some((bar, task))
}

/// The longest wait between two attempts of `sync --watch`.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Whether a failed sync is worth trying again: a lost or stalled link is; a refusal, the
/// wrong peer or a vault error is not (trying again would give the same answer).
fn worth_retrying(e: &carnet_sync::SyncError) -> bool {
    use carnet_sync::SyncError as E;
    matches!(
        e,
        E::Connect(_) | E::Connection { .. } | E::Stalled { .. } | E::Timeout(_)
    )
}

/// `sync --watch`: stays connected until Ctrl-C, and when the link drops or the peer goes
/// away, says so and dials again, waiting 1, 2, 4... up to 60 s between attempts (back to
/// 1 s after a session that worked). Returns the totals and how many times it reconnected.
async fn watch(node: &Node, ticket: &Ticket) -> Result<(SessionReport, usize)> {
    let stop = stop_signal();
    tokio::pin!(stop);
    let mut total = SessionReport::default();
    let mut reconnects = 0;
    let mut backoff = Duration::from_secs(1);
    loop {
        let (result, stopped) = {
            let session = node.sync(ticket, true);
            tokio::pin!(session);
            tokio::select! {
                r = &mut session => (r, false),
                _ = &mut stop => {
                    node.stop();
                    (session.await, true)
                }
            }
        };
        match result {
            Ok(r) => {
                total.peer = r.peer.clone();
                total.peer_id = r.peer_id.clone();
                total.sent += r.sent;
                total.received += r.received;
                total.keys_received += r.keys_received;
                total.consent_received += r.consent_received;
                total.bytes_sent += r.bytes_sent;
                total.bytes_received += r.bytes_received;
                total.rounds += r.rounds;
                if stopped {
                    return Ok((total, reconnects));
                }
                backoff = Duration::from_secs(1);
                eprintln!(
                    "{}",
                    t!(
                        "sync-peer-left",
                        peer = r.peer.as_str(),
                        seconds = backoff.as_secs()
                    )
                );
            }
            Err(e) if stopped => {
                eprintln!("{}", t!("sync-stopped", why = crate::errors::said(&e)));
                return Ok((total, reconnects));
            }
            Err(e) if worth_retrying(&e) => {
                eprintln!(
                    "{}",
                    t!(
                        "sync-retry",
                        why = crate::errors::said(&e),
                        seconds = backoff.as_secs()
                    )
                );
            }
            Err(e) => return Err(e.into()),
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = &mut stop => return Ok((total, reconnects)),
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
        reconnects += 1;
    }
}

pub fn config(cli: &Cli, cmd: &ConfigCommand) -> Result<()> {
    match cmd {
        ConfigCommand::Show => {
            let vault = open(cli)?;
            let mut out = serde_json::Map::new();
            for (name, _, about) in carnet::SETTINGS {
                let value = vault.setting(name)?;
                if !cli.json {
                    // Said in the user's language where the CLI knows the setting.
                    let about = match *name {
                        "relay" => t!("setting-relay"),
                        "port" => t!("setting-port"),
                        _ => about.to_string(),
                    };
                    println!("{name} = {value}    ({about})");
                }
                out.insert(name.to_string(), json!(value));
            }
            if cli.json {
                output::json(&out)?;
            }
            Ok(())
        }
        ConfigCommand::Set { name, value } => {
            let vault = open(cli)?;
            vault.set_setting(name, value)?;
            let value = vault.setting(name)?;
            if cli.json {
                output::json(&json!({ name.as_str(): value }))
            } else {
                println!("{name} = {value}");
                Ok(())
            }
        }
    }
}

/// How long `device link` waits for the new device.
const LINK_WAIT: Duration = Duration::from_secs(600);

pub fn link(cli: &Cli, code: Option<&str>, kdf_cost: u8, net: &NetArgs) -> Result<()> {
    match code {
        None => link_offer(cli, net),
        Some(code) => link_join(cli, code, kdf_cost, net),
    }
}

/// On the existing device: print a one-time code and wait for the new device.
fn link_offer(cli: &Cli, net: &NetArgs) -> Result<()> {
    let vault = open(cli)?;
    if !vault.is_primary()? {
        return Err(crate::errors::refused(msg!("err-link-not-primary")));
    }
    let config = config_for(&vault, net)?;
    let json = cli.json;
    let report = runtime()?.block_on(async move {
        let node = Node::start(vault, config).await?;
        let code = node.link_code()?;
        if json {
            println!("{}", json!({ "code": code.to_string() }));
        } else {
            println!("{code}");
            eprintln!("{}", t!("link-offer"));
        }
        let _ = std::io::stdout().flush();
        let result = tokio::select! {
            r = node.wait_link(&code, LINK_WAIT) => r.map_err(anyhow::Error::from),
            _ = stop_signal() => Err(anyhow!(t!("link-stopped"))),
        };
        node.shutdown().await;
        result
    })?;
    if json {
        output::json(&report)
    } else {
        println!(
            "{}",
            t!(
                "linked",
                device = &report.device.to_string()[..8],
                rows = report.rows,
                bytes = report.bytes
            )
        );
        Ok(())
    }
}

/// On the new device: make its vault from the existing device.
fn link_join(cli: &Cli, code: &str, kdf_cost: u8, net: &NetArgs) -> Result<()> {
    let code: carnet_sync::LinkCode = code.parse()?;
    let dir = crate::commands::vault_dir(cli)?;
    if carnet::store_exists(&dir) {
        return Err(crate::errors::refused(msg!(
            "err-link-exists",
            vault = dir.display().to_string()
        )));
    }
    let pass = crate::pass::get_new_for(
        cli.passphrase_file.as_deref(),
        &[],
        crate::pass::Target {
            vault: &dir,
            name: None,
        },
    )?;
    let relay = net.relay;
    let timeout = Duration::from_secs(net.timeout);
    let (vault, s) = runtime()?.block_on(async move {
        carnet_sync::join(&code, &dir, &pass, kdf_cost, relay, timeout).await
    })?;
    let device = vault.device_id().to_string();
    drop(vault);
    if cli.json {
        output::json(&json!({
            "name": s.name,
            "id": s.id.to_string(),
            "device": device,
            "rows": s.rows,
            "entries": s.entries,
        }))
    } else {
        println!(
            "{}",
            t!(
                "link-joined",
                device = &device[..8],
                name = s.name.as_str(),
                entries = s.entries
            )
        );
        Ok(())
    }
}
