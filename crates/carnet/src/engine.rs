//! The sync engine's surface: what a transport (a live connection such as `carnet-sync`, a
//! mailbox such as `carnet-mailbox`, a bundle carried some other way) calls to move a
//! vault's changes between people and devices. An app reaches for [`Vault`]; a transport
//! reaches for [`SyncEngine`], with [`Vault::engine`].
//!
//! Every method here forwards to the one vault the engine was made from: the same
//! database, caches and guarantees (each call is one transaction, all or nothing).

use std::collections::BTreeMap;
use std::path::Path;

use carnet_consent::Access;
use carnet_crypto::{DeviceCert, DeviceId, IdentityCard, Passphrase, PersonId, RecordId};
use carnet_record::SectionId;
use zeroize::Zeroizing;

use crate::exchange::{ExchangeReport, ItemSource, SendReport};
use crate::wire::{Have, Item};
use crate::{
    Attempt, BackupSummary, ExportSummary, PeerStanding, PendingExport, ReceiveReport,
    RestoreSummary, Result, Vault,
};

/// The sync engine's handle on a [`Vault`]: what a transport needs and an app does not
/// (what a peer holds and lacks, batches sent and received, their commits, this device's
/// network key and certificate, linking a device, the deposit of a bundle at a mailbox).
/// Made with [`Vault::engine`].
///
/// Like a `Vault`, it is `Send + Sync` and cheap to clone (it holds a clone of the
/// vault's handle), and every method takes `&self`.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let pass = carnet::crypto::secrecy::SecretString::from("a long passphrase".to_string());
/// let vault = carnet::Vault::open("vault".as_ref(), &pass)?;
/// let engine = vault.engine();
/// // What this device holds of its own person's records, for another of their devices.
/// let have = engine.have_for(&vault.person_id())?;
/// # let _ = have;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SyncEngine {
    vault: Vault,
}

impl Vault {
    /// The sync engine's surface on this vault (see [`SyncEngine`]): for transports, not
    /// apps. Cheap: it holds a clone of this handle.
    pub fn engine(&self) -> SyncEngine {
        SyncEngine {
            vault: self.clone(),
        }
    }
}

impl SyncEngine {
    /// The vault this engine works on.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    // What peers hold and are owed.

    /// The records shared between this vault's owner and `peer`: the owner's own, if the
    /// peer holds a grant in force on it; the peer's, if this vault holds keys of it.
    pub fn shared_records(&self, peer: &PersonId) -> Result<Vec<RecordId>> {
        self.vault.shared_records(peer)
    }

    /// The sections of someone else's `record` this vault's owner holds a grant in force
    /// for, with the access of each (write wins over read).
    pub fn held_sections(&self, record: &RecordId) -> Result<BTreeMap<SectionId, Access>> {
        self.vault.held_sections(record)
    }

    /// What this vault holds of the records shared with `peer`, for the peer to work out
    /// what to send. Costs O(sections x authors), whatever the size of the record.
    pub fn have_for(&self, peer: &PersonId) -> Result<Have> {
        self.vault.have_for(peer)
    }

    /// When `person`'s access to this vault's record last ended (Unix seconds): the latest
    /// revoke of a grant to them, block of them, or end date of a grant to them that has
    /// passed, as the consent log and the grants say. `None` if it never ended (or they
    /// never had one).
    pub fn access_ended(&self, person: &PersonId) -> Result<Option<u64>> {
        self.vault.access_ended(person)
    }

    /// Key grants waiting for a grantee (delivered with the next bundle or sync).
    pub fn key_grants_for(&self, grantee: &PersonId) -> Result<Vec<Vec<u8>>> {
        self.vault.key_grants_for(grantee)
    }

    /// A fingerprint of what peers could need: every chain head of every record and the
    /// length of every consent log held. Costs O(records x sections x authors), never the
    /// size of the record, so a serving node can poll it to notice changes made by other
    /// processes on the same vault.
    pub fn change_marker(&self) -> Result<[u8; 32]> {
        self.vault.change_marker()
    }

    // Sending.

    /// Produces, item by item, what `peer` lacks of the records shared with them and may
    /// receive, given what they hold. Writes nothing: the caller commits what was sent with
    /// [`SyncEngine::commit_sent`] once it is delivered (or written out).
    pub fn send_items(
        &self,
        peer: &IdentityCard,
        theirs: &Have,
        sink: &mut dyn FnMut(Item) -> Result<()>,
    ) -> Result<SendReport> {
        self.vault.send_items(peer, theirs, sink)
    }

    /// Like [`SyncEngine::send_items`], but stops once about `budget` bytes of envelopes
    /// and attachments are out (always after at least one envelope), with
    /// [`SendReport::more`] set: a transport sends bounded batches by calling again with
    /// [`SendReport::peer_after`], and neither side ever holds a whole record in memory.
    ///
    /// `theirs` is what the peer itself just said it holds (a live session, unlike a bundle
    /// made from what this vault last heard): the consent checkpoint then carries the one
    /// consistency proof from the size the peer holds, and the sender's own identity card,
    /// which the peer got in the session's hello, is not sent again.
    pub fn send_batch(
        &self,
        peer: &IdentityCard,
        theirs: &Have,
        budget: Option<u64>,
        sink: &mut dyn FnMut(Item) -> Result<()>,
    ) -> Result<SendReport> {
        self.vault.send_batch(peer, theirs, budget, sink)
    }

    /// [`SyncEngine::send_batch`] to a peer that holds the first bytes of some attachments
    /// from a sync that was cut (`resume`: attachment id and bytes held, as the peer's
    /// [`SyncEngine::partials_from`] says): those are sent from there on, not again from
    /// the start. The peer checks each whole attachment against its id.
    pub fn send_batch_resuming(
        &self,
        peer: &IdentityCard,
        theirs: &Have,
        budget: Option<u64>,
        resume: &[([u8; 32], u64)],
        sink: &mut dyn FnMut(Item) -> Result<()>,
    ) -> Result<SendReport> {
        self.vault
            .send_batch_resuming(peer, theirs, budget, resume, sink)
    }

    /// Records that what [`SyncEngine::send_items`] produced reached `peer`: the patient's
    /// consent log gets a `Served` entry with the envelope ranges ("they received"), and
    /// the peer state remembers what they now hold. One transaction.
    pub fn commit_sent(&self, peer: &PersonId, report: &SendReport) -> Result<()> {
        self.vault.commit_sent(peer, report)
    }

    /// Records that what [`SyncEngine::send_items`] produced was written in a bundle for
    /// `peer`, which may or may not reach them: a `Written` entry ("a bundle was written
    /// for them"), and the peer state as [`SyncEngine::commit_sent`] does (the next bundle
    /// goes on from there). When a live sync later shows they hold it, the log says they
    /// received it.
    pub fn commit_written(&self, peer: &PersonId, report: &SendReport) -> Result<()> {
        self.vault.commit_written(peer, report)
    }

    /// As [`SyncEngine::commit_written`], for a bundle a mailbox (its endpoint key)
    /// accepted for `peer`: a `Deposited` entry naming the mailbox.
    pub fn commit_deposited(
        &self,
        peer: &PersonId,
        report: &SendReport,
        mailbox: [u8; 32],
    ) -> Result<()> {
        self.vault.commit_deposited(peer, report, mailbox)
    }

    /// Logs what `peer` holds of the owner's record and was never logged as received: a
    /// batch the peer stored but whose acknowledgement was lost (the link dropped, or a
    /// side was killed, in between). `their` is what the peer says it holds (its `Have` at
    /// the start of a live session). Only chains the owner could have served are counted
    /// (not the peer's own writing), only up to what this vault holds of them, and only in
    /// sections the peer may read now (an entry logged under no grant in force would read
    /// as a breach to an auditor; deliveries made under a grant since ended stay unlogged).
    /// Returns the changes logged; with none, nothing is written.
    pub fn log_unacknowledged(&self, peer: &PersonId, their: &Have) -> Result<u64> {
        self.vault.log_unacknowledged(peer, their)
    }

    // Bundles delivered by a transport.

    /// [`Vault::export_bundle`] for a bundle whose delivery the caller attempts before it
    /// is logged (a deposit at a mailbox): the file is written at `out`, and nothing is
    /// recorded until [`SyncEngine::commit_export`]. If the delivery fails, dropping the
    /// returned [`PendingExport`] leaves the vault as it was, and the next bundle carries
    /// the same changes again (the recipient would otherwise refuse the one after, which
    /// builds on changes it never got).
    pub fn export_bundle_pending(
        &self,
        to: &IdentityCard,
        full: bool,
        out: &Path,
    ) -> Result<PendingExport> {
        self.vault.export_bundle_pending(to, full, out)
    }

    /// Records that a [`SyncEngine::export_bundle_pending`] bundle was delivered (written
    /// for its recipient, in the consent log; what they now hold, in the peer state).
    pub fn commit_export(&self, pending: PendingExport) -> Result<ExportSummary> {
        self.vault.commit_export(pending)
    }

    /// Records that a [`SyncEngine::export_bundle_pending`] bundle was accepted by the
    /// mailbox whose endpoint key is `mailbox`, which holds it for its recipient: as
    /// [`SyncEngine::commit_export`], the consent log saying where it waits
    /// (`Action::Deposited`).
    pub fn commit_deposit(
        &self,
        pending: PendingExport,
        mailbox: [u8; 32],
    ) -> Result<ExportSummary> {
        self.vault.commit_deposit(pending, mailbox)
    }

    // Receiving.

    /// Verifies and stores what `from` sent, all or nothing: one bad item and nothing is
    /// kept. A source whose [`crate::exchange::Finished::once`] id was taken before is
    /// refused (a replay).
    pub fn receive_items(
        &self,
        from: &IdentityCard,
        source: &mut dyn ItemSource,
    ) -> Result<ExchangeReport> {
        self.vault.receive_items(from, source)
    }

    /// Like [`SyncEngine::receive_items`], knowing which device of `from` sent it (a live
    /// peer, whose device certificate the transport checked). Only another device of this
    /// vault's own person, registered and not removed, may send as this person; its vault
    /// state is taken only from the device that keeps the consent log.
    ///
    /// A stranger (someone this vault has never heard of) may only share their own record
    /// with its owner; anything else from them is refused whole ([`crate::Error::Stranger`])
    /// and the attempt noted in the bounded list `carnet log` shows.
    pub fn receive_items_from(
        &self,
        from: &IdentityCard,
        device: Option<DeviceId>,
        source: &mut dyn ItemSource,
    ) -> Result<ExchangeReport> {
        self.vault.receive_items_from(from, device, source)
    }

    /// Several batches from `from` that have all arrived, applied in one transaction with
    /// one durable commit, each checked as if alone. Every batch after the first must hold
    /// only envelopes and attachment parts; the group stops before the second batch when
    /// the sender is another device of this person or not known to this vault yet, and the
    /// reports are of the batches applied (a prefix: the caller applies the rest). One
    /// batch refused and none of the group is kept.
    pub fn receive_group_from(
        &self,
        from: &IdentityCard,
        device: Option<DeviceId>,
        sources: &mut [&mut dyn ItemSource],
    ) -> Result<Vec<ExchangeReport>> {
        self.vault.receive_group_from(from, device, sources)
    }

    /// Keeps what arrived of attachments in a batch that a cut connection left unfinished
    /// (`items`, as received from `peer`, in order): the first bytes of each attachment an
    /// envelope of the batch announced and this vault lacks, so that the next sync from
    /// `peer` resumes it ([`SyncEngine::partials_from`],
    /// [`SyncEngine::send_batch_resuming`]). At most [`crate::exchange::MAX_PARTIALS`]
    /// attachments and [`crate::exchange::MAX_PARTIAL_BYTES`] are kept; it is ciphertext,
    /// checked whole later. Returns the bytes kept.
    pub fn keep_partial(&self, peer: &PersonId, items: &[Item]) -> Result<u64> {
        self.vault.keep_partial(peer, items)
    }

    /// The first bytes held of attachments `peer` was sending when a sync was cut: what
    /// the next sync with them asks to resume from.
    pub fn partials_from(&self, peer: &PersonId) -> Result<Vec<([u8; 32], u64)>> {
        self.vault.partials_from(peer)
    }

    /// The stored envelopes of one section of a record, in chain order: what a peer would
    /// receive.
    pub fn envelopes(&self, record: &RecordId, section: SectionId) -> Result<Vec<Vec<u8>>> {
        self.vault.envelopes(record, section)
    }

    /// Takes envelopes from elsewhere (a peer, a bundle): each is decoded, its signature
    /// verified, its author checked against who may write that section, its body opened and
    /// its changes checked to be the author's own. All or nothing: one bad envelope and
    /// none is stored.
    pub fn receive(&self, envelopes: &[Vec<u8>]) -> Result<ReceiveReport> {
        self.vault.receive(envelopes)
    }

    // Peers on the network.

    /// This device's network endpoint secret key, created on first use and kept sealed in
    /// the vault. Zeroized when dropped.
    pub fn endpoint_secret(&self) -> Result<Zeroizing<[u8; 32]>> {
        self.vault.endpoint_secret()
    }

    /// The certificate that binds this device's endpoint key (and its own signing key, if
    /// it has one) to its owner: the one the primary gave this device when it was linked,
    /// or, on the device that holds the person's key, a fresh one.
    pub fn device_cert(&self) -> Result<DeviceCert> {
        self.vault.device_cert()
    }

    /// Who `card`'s person is to this vault.
    pub fn standing(&self, card: &IdentityCard) -> Result<PeerStanding> {
        self.vault.standing(card)
    }

    /// Notes a refused attempt (bounded: the oldest are dropped past
    /// [`crate::MAX_ATTEMPTS`]). The app shows them with [`Vault::attempts`].
    pub fn record_attempt(&self, attempt: Attempt) -> Result<()> {
        self.vault.record_attempt(attempt)
    }

    /// Remembers how `person` was last reached (a ticket's text), so `sync NAME` works
    /// next time.
    pub fn remember_address(&self, person: &PersonId, ticket: &str) -> Result<()> {
        self.vault.remember_address(person, ticket)
    }

    /// The ticket `person` was last reached with, if any.
    pub fn address_of(&self, person: &PersonId) -> Result<Option<String>> {
        self.vault.address_of(person)
    }

    // This owner's devices.

    /// Whether a device presenting itself as this vault's owner is one of theirs:
    /// registered here with that network key, not removed, and not this device.
    pub fn live_device(&self, device: &DeviceId, endpoint: &[u8; 32]) -> Result<bool> {
        self.vault.live_device(device, endpoint)
    }

    /// Whether a device of this owner (by id or endpoint key) was removed.
    pub fn device_removed(
        &self,
        device: Option<&DeviceId>,
        endpoint: Option<&[u8; 32]>,
    ) -> Result<bool> {
        self.vault.device_removed(device, endpoint)
    }

    /// The devices the patient of `record` removed, as the consent entries this vault holds
    /// show (a grantee's view).
    pub fn removed_patient_devices(&self, record: &RecordId) -> Result<Vec<(DeviceId, [u8; 32])>> {
        self.vault.removed_patient_devices(record)
    }

    /// Records a device of this vault's owner: in the device list, and for a patient in
    /// the consent log, so every grantee knows which devices speak for the patient.
    /// `signing` is the device's own signing key when it has one (a device linked by this
    /// version; `None` for one restored from a backup, which holds the person's key).
    pub fn register_device(
        &self,
        device: DeviceId,
        endpoint: [u8; 32],
        signing: Option<[u8; 32]>,
    ) -> Result<()> {
        self.vault.register_device(device, endpoint, signing)
    }

    /// Certifies a new device's endpoint and signing keys as `device` of this person
    /// (on the device that holds the person's key).
    pub fn certify_device(
        &self,
        device: DeviceId,
        endpoint: [u8; 32],
        signing: [u8; 32],
    ) -> Result<DeviceCert> {
        self.vault.certify_device(device, endpoint, signing)
    }

    /// The dump a new device is linked from: everything but the person's own key, which
    /// stays on this device, plus `cert`, the certificate of the new device's own signing
    /// key (see [`SyncEngine::certify_device`]).
    pub fn write_link_dump(
        &self,
        cert: &DeviceCert,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<BackupSummary> {
        self.vault.write_link_dump(cert, sink)
    }

    /// Makes a vault in `dir` as a new device of the person whose dump `frames` brings (a
    /// link from one of their devices, [`SyncEngine::write_link_dump`]), with this
    /// device's id and network key. The device that sent the dump stays the one that keeps
    /// the consent log.
    ///
    /// `device_key` is this device's own signing key: the dump carries the certificate
    /// the other device gave it, and not the person's own key.
    #[allow(clippy::too_many_arguments)]
    pub fn link_from(
        dir: &Path,
        passphrase: &Passphrase,
        kdf_log_n: u8,
        frames: &mut dyn FnMut() -> Result<Option<Vec<u8>>>,
        device: DeviceId,
        endpoint: &[u8; 32],
        device_key: &carnet_crypto::DeviceSecret,
    ) -> Result<(Vault, RestoreSummary)> {
        Vault::link_from(
            dir, passphrase, kdf_log_n, frames, device, endpoint, device_key,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carnet_record::{Entry, Note};

    use crate::testing::{Batch, alice_and_her_doctor};

    /// A transport's round through `vault.engine()`: what the doctor holds, what Alice
    /// sends him, received and committed; the app's surface then shows the note.
    #[test]
    fn a_transport_syncs_through_the_engine() {
        let (_tmp, alice, doctor) = alice_and_her_doctor();
        let record = alice.own_record().unwrap();
        let note = Entry::Note(Note {
            text: "Feeling better".into(),
            title: None,
        });
        alice.add(&record, note).unwrap();

        let (a, d) = (alice.engine(), doctor.engine());
        assert_eq!(a.vault().person_id(), alice.person_id());
        assert_eq!(a.shared_records(&doctor.person_id()).unwrap(), vec![record]);
        let theirs = d.have_for(&alice.person_id()).unwrap();
        let mut items = std::collections::VecDeque::new();
        let sent = a
            .send_items(&doctor.card(), &theirs, &mut |i| {
                items.push_back(i);
                Ok(())
            })
            .unwrap();
        assert!(sent.envelopes >= 1);
        let got = d
            .receive_items(&alice.card(), &mut Batch(items, None))
            .unwrap();
        assert_eq!(got.envelopes, sent.envelopes);
        a.commit_sent(&doctor.person_id(), &sent).unwrap();

        let shown = doctor.list(&record, Some(SectionId::Notes)).unwrap();
        assert_eq!(shown.len(), 1);
        // Nothing more to send once committed.
        let again = a
            .send_items(
                &doctor.card(),
                &d.have_for(&alice.person_id()).unwrap(),
                &mut |_| Ok(()),
            )
            .unwrap();
        assert_eq!(again.envelopes, 0);
    }
}
