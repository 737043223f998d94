//! Mailbox traffic as Carnet bundles: a deposit is [`carnet::Vault::export_bundle`] for
//! the recipient, a collection is [`carnet::Vault::import_bundle`] of each item. The vault
//! decides everything, exactly as for a bundle on a USB key.

use carnet::Vault;
use serde::Serialize;

use crate::{MailboxError, Session};

/// What a deposit did.
#[derive(Clone, Debug, Serialize)]
pub struct DepositReport {
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
    /// Why the vault refused it.
    pub why: String,
}

/// What a collection did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CollectReport {
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

/// Deposits a bundle for `peer` (a contact's or a patient's name, or a person id): what
/// they lack and may receive, exported as for `carnet share export` (`full` for
/// everything, when an earlier bundle was lost).
///
/// What was sent is recorded only once the mailbox accepted the deposit
/// ([`carnet::Vault::export_bundle_pending`]): a failed or refused upload leaves the
/// vault as it was, and the next deposit carries the same changes again.
///
/// Runs vault operations on the calling task (they are short); call from a
/// multi-threaded runtime.
pub async fn deposit_for(
    vault: &mut Vault,
    session: &mut Session,
    peer: &str,
    full: bool,
) -> Result<DepositReport, MailboxError> {
    let card = vault.find_peer(peer)?;
    let tmp = tempfile::tempdir().map_err(|e| io("cannot make a temporary directory", e))?;
    let path = tmp.path().join("deposit.bundle");
    // Recorded as sent only once the mailbox accepted it: a deposit that fails (the link,
    // a quota) leaves the vault as it was, and the next one carries the same changes.
    let pending = vault.export_bundle_pending(&card, full, &path)?;
    let bytes = std::fs::read(&path).map_err(|e| io("cannot read the bundle", e))?;
    let item = session.deposit(card.person_id(), &bytes).await?;
    let sent = vault.commit_export(pending)?;
    Ok(DepositReport {
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

/// Collects every item waiting for this vault's owner and imports each, oldest first.
/// Items the vault refuses are reported and acknowledged; an item that could not be
/// stored for a local reason (the disk) stops the collection and stays at the mailbox.
pub async fn collect_into(
    vault: &mut Vault,
    session: &mut Session,
) -> Result<CollectReport, MailboxError> {
    let tmp = tempfile::tempdir().map_err(|e| io("cannot make a temporary directory", e))?;
    let mut report = CollectReport::default();
    while let Some(item) = session.next().await? {
        let path = tmp.path().join(format!("item-{}.bundle", item.id));
        std::fs::write(&path, &item.bytes).map_err(|e| io("cannot write the item", e))?;
        let result = vault.import_bundle(&path);
        let _ = std::fs::remove_file(&path);
        match result {
            Ok(s) => report.imported.push(Imported {
                item: item.id,
                from: s.from,
                from_id: s.from_id,
                envelopes: s.envelopes,
                duplicates: s.duplicates,
                key_grants: s.key_grants,
                consent_entries: s.consent_entries,
            }),
            Err(e) if item_is_bad(&e) => report.refused.push(RefusedItem {
                item: item.id,
                depositor: item.from.to_string(),
                why: e.to_string(),
            }),
            Err(e) => return Err(e.into()),
        }
        session.ack(item.id).await?;
    }
    Ok(report)
}
