//! Mailbox traffic as Carnet bundles: a deposit is [`carnet::Vault::export_bundle`] for
//! the recipient, a collection is [`carnet::Vault::import_bundle`] of each item. The vault
//! decides everything, exactly as for a bundle on a USB key.

use carnet::Vault;
use serde::Serialize;

use crate::{MailboxError, Session};

/// What a deposit did.
#[derive(Clone, Debug, Serialize)]
pub struct DepositReport {
    /// The mailbox (its endpoint key, hex).
    pub mailbox: String,
    /// The recipient's name.
    pub to: String,
    /// The recipient's person id.
    pub to_id: String,
    /// The item's id at the mailbox.
    pub item: u64,
    /// The bundle's size.
    pub bytes: u64,
    /// Changes (envelopes) in it.
    pub envelopes: usize,
    /// Keys in it.
    pub key_grants: usize,
    /// Consent entries in it.
    pub consent_entries: usize,
}

/// An item the vault took.
#[derive(Clone, Debug, Serialize)]
pub struct Imported {
    /// Its id at the mailbox.
    pub item: u64,
    /// The sender, as the bundle's signed card says.
    pub from: String,
    /// The sender's id.
    pub from_id: String,
    /// New changes.
    pub envelopes: usize,
    /// Changes already held.
    pub duplicates: usize,
    /// New keys.
    pub key_grants: usize,
    /// New consent entries.
    pub consent_entries: usize,
}

/// An item the vault refused (tampered, replayed, misaddressed, from a stranger...): it
/// changed nothing, and was acknowledged so the mailbox deletes it.
#[derive(Clone, Debug, Serialize)]
pub struct RefusedItem {
    /// Its id at the mailbox.
    pub item: u64,
    /// Who deposited it, as the mailbox says (unverified).
    pub depositor: String,
    /// Why the vault refused it, as a kind (`error.code()`); in JSON, its text as `why`.
    #[serde(rename = "why", serialize_with = "error_text")]
    pub error: std::sync::Arc<carnet::Error>,
}

fn error_text<S: serde::Serializer>(
    e: &std::sync::Arc<carnet::Error>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(e)
}

/// What a collection did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CollectReport {
    /// The mailbox (its endpoint key, hex).
    pub mailbox: String,
    /// Items imported.
    pub imported: Vec<Imported>,
    /// Items refused.
    pub refused: Vec<RefusedItem>,
}

fn io(what: &str, source: std::io::Error) -> MailboxError {
    MailboxError::Io {
        what: what.to_string(),
        source,
    }
}

/// How mailbox traffic reaches a vault: held by the caller, or lent for short calls by
/// something that owns it (a running sync node, say).
pub trait VaultAccess {
    /// Runs `f` on the vault.
    fn with<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&Vault) -> carnet::Result<T> + Send + 'static,
    ) -> impl std::future::Future<Output = Result<T, MailboxError>>;
}

impl VaultAccess for &mut Vault {
    async fn with<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&Vault) -> carnet::Result<T> + Send + 'static,
    ) -> Result<T, MailboxError> {
        f(self).map_err(MailboxError::from)
    }
}

/// Deposits a bundle for `peer` (a contact's or a patient's name, or a person id): what
/// they lack and may receive, exported as for `carnet share export` (`full` for
/// everything, when an earlier bundle was lost).
///
/// What was sent is recorded only once the mailbox accepted the deposit
/// ([`carnet::SyncEngine::export_bundle_pending`]), in the consent log as left at this
/// mailbox (`Deposited`): a failed or refused upload leaves the vault as it was, and the
/// next deposit carries the same changes again.
///
/// Runs vault operations on the calling task (they are short); call from a
/// multi-threaded runtime.
pub async fn deposit_for(
    mut vault: &mut Vault,
    session: &mut Session,
    peer: &str,
    full: bool,
) -> Result<DepositReport, MailboxError> {
    deposit_with(&mut vault, session, peer, full).await
}

/// [`deposit_for`] with the vault reached through `vault`.
pub async fn deposit_with(
    vault: &mut impl VaultAccess,
    session: &mut Session,
    peer: &str,
    full: bool,
) -> Result<DepositReport, MailboxError> {
    let tmp = tempfile::tempdir().map_err(|e| io("cannot make a temporary directory", e))?;
    let path = tmp.path().join("deposit.bundle");
    let peer = peer.to_string();
    let out = path.clone();
    // Recorded as sent only once the mailbox accepted it: a deposit that fails (the link,
    // a quota) leaves the vault as it was, and the next one carries the same changes.
    let (card, pending) = vault
        .with(move |v| {
            let card = v.find_peer(&peer)?;
            let pending = v.engine().export_bundle_pending(&card, full, &out)?;
            Ok((card, pending))
        })
        .await?;
    let bytes = std::fs::read(&path).map_err(|e| io("cannot read the bundle", e))?;
    let item = session.deposit(card.person_id(), &bytes).await?;
    let mailbox = session.mailbox();
    let sent = vault
        .with(move |v| v.engine().commit_deposit(pending, mailbox))
        .await?;
    Ok(DepositReport {
        mailbox: data_encoding::HEXLOWER.encode(&mailbox),
        to: sent.to,
        to_id: card.person_id().to_string(),
        item,
        bytes: sent.bytes,
        envelopes: sent.envelopes,
        key_grants: sent.key_grants,
        consent_entries: sent.consent_entries,
    })
}

/// Whether a vault error says the item itself is unacceptable (so it is acknowledged and
/// deleted), rather than that this device could not store it now (then it stays at the
/// mailbox for the next collection).
fn item_is_bad(e: &carnet::Error) -> bool {
    !matches!(e, carnet::Error::Store(_))
}

/// The endpoint keys of this vault owner's devices in service (removed ones left out),
/// this device's first: the devices that must each acknowledge an item before the mailbox
/// deletes it.
pub fn active_devices(vault: &Vault) -> Result<Vec<[u8; 32]>, MailboxError> {
    let mut out = vec![vault.engine().device_cert()?.claim().endpoint];
    for d in vault.devices()? {
        if d.removed.is_some() {
            continue;
        }
        if !out.contains(&d.endpoint.0) {
            out.push(d.endpoint.0);
        }
    }
    Ok(out)
}

/// Collects every item waiting for this vault's owner and imports each.
///
/// The session first declares this person's devices ([`active_devices`]), so the mailbox
/// deletes an item only once each of them acknowledged it. Items are taken oldest first;
/// one the vault refuses is tried again after the others (a mailbox that reorders items
/// changes nothing: a bundle that continues one not yet imported goes in once that one
/// has), and what is still refused when nothing more goes in is reported and
/// acknowledged. An item that could not be stored for a local reason (the disk) stops the
/// collection and stays at the mailbox.
pub async fn collect_into(
    mut vault: &mut Vault,
    session: &mut Session,
) -> Result<CollectReport, MailboxError> {
    collect_with(&mut vault, session).await
}

/// [`collect_into`] with the vault reached through `vault`.
pub async fn collect_with(
    vault: &mut impl VaultAccess,
    session: &mut Session,
) -> Result<CollectReport, MailboxError> {
    let devices = vault
        .with(|v| {
            active_devices(v).map_err(|e| match e {
                MailboxError::Vault(e) => e,
                other => carnet::ExchangeError::Transport(Box::new(other)).into(),
            })
        })
        .await?;
    session.declare_devices(&devices).await?;
    let tmp = tempfile::tempdir().map_err(|e| io("cannot make a temporary directory", e))?;
    let mut report = CollectReport {
        mailbox: data_encoding::HEXLOWER.encode(&session.mailbox()),
        ..CollectReport::default()
    };
    // Each item is written to a file as it comes, so memory holds one item at a time.
    let mut pending: Vec<(u64, carnet::crypto::PersonId, std::path::PathBuf)> = Vec::new();
    while let Some(item) = session.next().await? {
        let path = tmp.path().join(format!("item-{}.bundle", item.id));
        std::fs::write(&path, &item.bytes).map_err(|e| io("cannot write the item", e))?;
        pending.push((item.id, item.from, path));
    }
    let mut refusals: Vec<Option<carnet::Error>> = pending.iter().map(|_| None).collect();
    loop {
        let mut progress = false;
        let mut still = Vec::new();
        let mut still_why = Vec::new();
        for ((id, from, path), _) in pending.into_iter().zip(refusals) {
            let at = path.clone();
            let result = match vault.with(move |v| v.import_bundle(&at)).await {
                Ok(s) => Ok(s),
                Err(MailboxError::Vault(e)) => Err(e),
                Err(other) => return Err(other),
            };
            match result {
                Ok(s) => {
                    progress = true;
                    let _ = std::fs::remove_file(&path);
                    report.imported.push(Imported {
                        item: id,
                        from: s.from,
                        from_id: s.from_id.to_string(),
                        envelopes: s.envelopes,
                        duplicates: s.duplicates,
                        key_grants: s.key_grants,
                        consent_entries: s.consent_entries,
                    });
                    session.ack(id).await?;
                }
                Err(e) if item_is_bad(&e) => {
                    still.push((id, from, path));
                    still_why.push(Some(e));
                }
                Err(e) => return Err(e.into()),
            }
        }
        pending = still;
        refusals = still_why;
        if !progress || pending.is_empty() {
            break;
        }
    }
    for ((id, from, _), error) in pending.into_iter().zip(refusals) {
        let Some(error) = error else { continue };
        report.refused.push(RefusedItem {
            item: id,
            depositor: from.to_string(),
            error: std::sync::Arc::new(error),
        });
        session.ack(id).await?;
    }
    Ok(report)
}
