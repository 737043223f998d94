//! Offline bundles: what one vault sends another on a USB key or as a mail attachment,
//! where there is no network. The same engine as live sync ([`crate::exchange`]) decides
//! what goes in and checks what comes out.
//!
//! # File layout
//! ```text
//! "CARNET-BUNDLE/1\n"                      so a misplaced file is recognised
//! age, sealed to the recipient's key {      nothing readable to anyone else
//!     frame  Header { from card, to, nonce, time, what the sender holds, what it assumed
//!                     the recipient holds }
//!     frame* Item                           checkpoint, consent entries, keys, cards,
//!                                           envelopes, attachment parts
//!     frame  End { item count, signature }
//! }
//! frame     = length (u32, big-endian) || postcard bytes, at most MAX_FRAME
//! signature = ed25519 by the sender over "carnet/bundle/v1" || 0 || recipient || blake3(all
//!             frames before End)
//! bundle id = that blake3 hash (a bundle is imported once; a replay is refused)
//! ```
//!
//! # Guarantees
//! - Import is all or nothing: every item is verified as it is read and staged in one
//!   transaction, committed only after the signature over the whole file checks.
//! - A bundle addressed to someone else, altered, truncated, replayed, or continuing an
//!   earlier bundle that was not imported is refused with a message saying which, and the
//!   vault is unchanged.
//! - Export writes a temporary file, records what was served, then moves the file into
//!   place without overwriting anything: a crash leaves either no bundle or a complete one.

use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use carnet_crypto::{IdentityCard, PersonId, SealedReader, open_sealed, seal_to, verify_signature};
use carnet_record::SectionId;
use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Refusal};
use crate::exchange::{Finished, ItemSource, SendReport};
use crate::files::{Counting, create_private, expect_magic, io_err, read_up_to, sibling};
use crate::vault::now_unix;
use crate::wire::{Have, Item, MAX_FRAME, decode_frame, read_frame_bytes, write_frame};
use crate::{Error, Result, Vault};

/// The first bytes of every bundle file.
pub const BUNDLE_MAGIC: &[u8] = b"CARNET-BUNDLE/1\n";
const BUNDLE_VERSION: u8 = 1;
const BUNDLE_DOMAIN: &[u8] = b"carnet/bundle/v1";

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Header {
    version: u8,
    from_card: String,
    to: PersonId,
    nonce: [u8; 16],
    created: u64,
    have: Have,
    assumed: Have,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct End {
    items: u64,
    signature: Vec<u8>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
enum Frame {
    Header(Header),
    Item(Item),
    End(End),
}

/// What an export wrote.
#[derive(Clone, Debug, Serialize)]
pub struct ExportSummary {
    /// Envelopes (changes) in the bundle.
    pub envelopes: usize,
    /// Key grants in the bundle.
    pub key_grants: usize,
    /// Consent entries in the bundle.
    pub consent_entries: usize,
    /// Attachments in the bundle.
    pub attachments: usize,
    /// Own changes left out because the sender may no longer write there.
    pub withheld: usize,
    /// Size of the file.
    pub bytes: u64,
    /// The recipient's name.
    pub to: String,
}

/// A bundle written and not yet recorded as sent
/// ([`crate::SyncEngine::export_bundle_pending`]).
#[must_use = "commit it once delivered, or drop it to send the same changes again"]
pub struct PendingExport {
    to: IdentityCard,
    report: SendReport,
    bytes: u64,
}

impl PendingExport {
    /// Size of the file.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// A bundle in its temporary file, with what it carries.
struct WrittenBundle {
    path: std::path::PathBuf,
    report: SendReport,
    bytes: u64,
}

/// What an import took in.
#[derive(Clone, Debug, Serialize)]
pub struct ImportSummary {
    /// New envelopes (changes) stored.
    pub envelopes: usize,
    /// Envelopes already held (skipped).
    pub duplicates: usize,
    /// New keys.
    pub key_grants: usize,
    /// New consent entries.
    pub consent_entries: usize,
    /// Attachments stored.
    pub attachments: usize,
    /// Branches of the sender's consent log held here that their restore replaced (see
    /// `Vault::superseded_branches`).
    pub superseded_branches: usize,
    /// Size of the file.
    pub bytes: u64,
    /// The sender's name, from their card.
    pub from: String,
    /// The sender's id.
    #[serde(serialize_with = "crate::vault::as_text")]
    pub from_id: PersonId,
}

fn signed_message(to: &PersonId, hash: &[u8; 32]) -> Vec<u8> {
    let mut m = Vec::with_capacity(64);
    m.extend_from_slice(&to.0);
    m.extend_from_slice(hash);
    m
}

struct HashingWriter<W: Write> {
    inner: W,
    hasher: blake3::Hasher,
}

impl<W: Write> HashingWriter<W> {
    fn frame(&mut self, frame: &Frame) -> Result<()> {
        let bytes = write_frame(&mut self.inner, frame)?;
        self.hasher.update(&bytes);
        Ok(())
    }
}

impl Vault {
    /// What the bundle for `peer` may assume they hold: what they said or were sent
    /// before (nothing, for a `full` export).
    fn assumed_for(&self, peer: &PersonId, full: bool) -> Result<Have> {
        let mut have = Have::default();
        if full {
            return Ok(have);
        }
        for record in self.shared_records(peer)? {
            have.records
                .push((record, self.peer_state(&record, peer)?.theirs));
        }
        Ok(have)
    }

    /// Writes a bundle for `to` at `out` (which must not exist): what they lack and may
    /// receive. Incremental: only what they have not been sent or said they hold, unless
    /// `full` (for a bundle that was lost). Logs that it was written, before the file
    /// takes its place.
    pub fn export_bundle(
        &self,
        to: &IdentityCard,
        full: bool,
        out: &Path,
    ) -> Result<ExportSummary> {
        let tmp = self.write_bundle(to, full, out)?;
        if let Err(e) = self.commit_written(&to.person_id(), &tmp.report) {
            let _ = fs::remove_file(&tmp.path);
            return Err(e);
        }
        // No overwrite: a hard link fails if `out` appeared meanwhile.
        let placed = fs::hard_link(&tmp.path, out);
        let _ = fs::remove_file(&tmp.path);
        placed.map_err(|e| io_err("cannot create", out, e))?;
        self.export_summary(to, &tmp.report, tmp.bytes)
    }

    /// [`Vault::export_bundle`] for a bundle whose delivery the caller attempts before it
    /// is logged (a deposit at a mailbox): the file is written at `out`, and nothing is
    /// recorded until [`Vault::commit_export`]. If the delivery fails, dropping the
    /// returned [`PendingExport`] leaves the vault as it was, and the next bundle carries
    /// the same changes again (the recipient would otherwise refuse the one after, which
    /// builds on changes it never got).
    pub(crate) fn export_bundle_pending(
        &self,
        to: &IdentityCard,
        full: bool,
        out: &Path,
    ) -> Result<PendingExport> {
        let tmp = self.write_bundle(to, full, out)?;
        let placed = fs::hard_link(&tmp.path, out);
        let _ = fs::remove_file(&tmp.path);
        placed.map_err(|e| io_err("cannot create", out, e))?;
        Ok(PendingExport {
            to: to.clone(),
            report: tmp.report,
            bytes: tmp.bytes,
        })
    }

    /// Records that a [`Vault::export_bundle_pending`] bundle was delivered (written for
    /// its recipient, in the consent log; what they now hold, in the peer state).
    pub(crate) fn commit_export(&self, pending: PendingExport) -> Result<ExportSummary> {
        self.commit_written(&pending.to.person_id(), &pending.report)?;
        self.export_summary(&pending.to, &pending.report, pending.bytes)
    }

    /// Records that a [`Vault::export_bundle_pending`] bundle was accepted by the mailbox
    /// whose endpoint key is `mailbox`, which holds it for its recipient: as
    /// [`Vault::commit_export`], the consent log saying where it waits
    /// (`Action::Deposited`).
    pub(crate) fn commit_deposit(
        &self,
        pending: PendingExport,
        mailbox: [u8; 32],
    ) -> Result<ExportSummary> {
        self.commit_deposited(&pending.to.person_id(), &pending.report, mailbox)?;
        self.export_summary(&pending.to, &pending.report, pending.bytes)
    }

    fn export_summary(
        &self,
        to: &IdentityCard,
        report: &SendReport,
        bytes: u64,
    ) -> Result<ExportSummary> {
        let peer = to.person_id();
        Ok(ExportSummary {
            envelopes: report.envelopes,
            key_grants: report.key_grants,
            consent_entries: report.consent_entries,
            attachments: report.blobs,
            withheld: report.withheld,
            bytes,
            to: self
                .name_of(&peer)?
                .map_or_else(|| to.name().to_string(), |(n, _)| n),
        })
    }

    /// Writes a sealed, signed bundle for `to` beside `out` (a private temporary, synced),
    /// recording nothing.
    fn write_bundle(&self, to: &IdentityCard, full: bool, out: &Path) -> Result<WrittenBundle> {
        if out.exists() {
            return Err(Error::OutputExists {
                path: out.to_path_buf(),
            });
        }
        let tmp = sibling(out, "tmp");
        let file = create_private(&tmp)?;
        let result = (|| -> Result<(SendReport, u64)> {
            let (report, w) = self.write_bundle_into(to, full, BufWriter::new(file), &tmp)?;
            let file = w
                .into_inner()
                .map_err(|e| io_err("cannot write", &tmp, e.into_error()))?;
            file.sync_all()
                .map_err(|e| io_err("cannot sync", &tmp, e))?;
            let bytes = file
                .metadata()
                .map_err(|e| io_err("cannot read", &tmp, e))?
                .len();
            Ok((report, bytes))
        })();
        let (report, bytes) = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        Ok(WrittenBundle {
            path: tmp,
            report,
            bytes,
        })
    }

    /// Writes a sealed, signed bundle for `to` into `w` (named `path` in errors), recording
    /// nothing; returns what it holds and the writer.
    fn write_bundle_into<W: Write>(
        &self,
        to: &IdentityCard,
        full: bool,
        mut w: W,
        path: &Path,
    ) -> Result<(SendReport, W)> {
        let peer = to.person_id();
        let assumed = self.assumed_for(&peer, full)?;
        let have = self.have_for(&peer)?;
        {
            w.write_all(BUNDLE_MAGIC)
                .map_err(|e| io_err("cannot write", path, e))?;
            let sealed = seal_to(to, w)?;
            let mut hw = HashingWriter {
                inner: sealed,
                hasher: blake3::Hasher::new(),
            };
            hw.frame(&Frame::Header(Header {
                version: BUNDLE_VERSION,
                from_card: self.card().to_text(),
                to: peer,
                nonce: carnet_crypto::random_array()?,
                created: now_unix(),
                have,
                assumed: assumed.clone(),
            }))?;
            let mut items = 0u64;
            let report = self.send_items(to, &assumed, &mut |item| {
                items += 1;
                hw.frame(&Frame::Item(item))
            })?;
            let hash = *hw.hasher.finalize().as_bytes();
            let signature = self
                .me()
                .secret()?
                .sign(BUNDLE_DOMAIN, &signed_message(&peer, &hash))
                .to_vec();
            write_frame(&mut hw.inner, &Frame::End(End { items, signature }))?;
            let w = hw
                .inner
                .finish()
                .map_err(|e| io_err("cannot write", path, e))?;
            Ok((report, w))
        }
    }

    /// [`Vault::export_bundle`] into a stream (a share sheet, a socket, a file the app
    /// opened): the bundle is written as it is made, never held whole. It is logged as
    /// written for `to` only once `out` took all of it (flushed); if `out` fails, nothing is
    /// recorded and the next bundle carries the same changes.
    pub fn export_bundle_to(
        &self,
        to: &IdentityCard,
        full: bool,
        out: &mut dyn Write,
    ) -> Result<ExportSummary> {
        let stream = Path::new("-");
        let counted = Counting {
            inner: out,
            bytes: 0,
        };
        let (report, mut counted) = self.write_bundle_into(to, full, counted, stream)?;
        counted
            .flush()
            .map_err(|e| io_err("cannot write", stream, e))?;
        let bytes = counted.bytes;
        self.commit_written(&to.person_id(), &report)?;
        self.export_summary(to, &report, bytes)
    }

    /// Checks that this vault holds the consent entries a bundle's sender assumed it holds:
    /// entries are not chained like envelopes (whose missing predecessors are reported one
    /// by one), so a bundle that continues an earlier, never imported one must be caught
    /// here.
    fn check_assumed(&self, sender: &IdentityCard, assumed: &Have) -> Result<()> {
        for (record, st) in &assumed.records {
            let mine = self.record_state(record, &[])?;
            if mine.consent < st.consent {
                return Err(ExchangeError::BundleGap {
                    from: sender.name().to_string(),
                }
                .into());
            }
        }
        Ok(())
    }

    /// Opens a bundle file as its recipient and reads its header: the one reader behind
    /// [`Vault::import_bundle`] and [`Vault::inspect_bundle`], so both refuse the same
    /// files. Refuses a file that is not a bundle, one sealed or addressed to someone else,
    /// one that does not start with its header, a format version this build does not read,
    /// and a sender card that does not parse. The items are left to read.
    fn open_bundle(&self, path: &Path) -> Result<OpenBundle<SealedReader<BufReader<fs::File>>>> {
        let file = fs::File::open(path).map_err(|e| io_err("cannot open", path, e))?;
        let bytes = file
            .metadata()
            .map_err(|e| io_err("cannot read", path, e))?
            .len();
        self.open_bundle_from(BufReader::new(file), path, bytes)
    }

    /// [`Vault::open_bundle`] on any reader (named `path` in errors, of `bytes` bytes).
    fn open_bundle_from<R: Read>(
        &self,
        mut r: R,
        path: &Path,
        bytes: u64,
    ) -> Result<OpenBundle<SealedReader<R>>> {
        expect_magic(&mut r, BUNDLE_MAGIC, path, "bundle")?;
        let sealed = open_sealed(self.me().secret()?, r).map_err(|e| match e {
            carnet_crypto::CryptoError::NotForYou => Error::from(Refusal::NotForYou),
            other => ExchangeError::Unreadable {
                what: "the bundle",
                source: other,
            }
            .into(),
        })?;
        let (header, from, source) = read_header(sealed)?;
        if header.to != self.person_id() {
            return Err(Refusal::AddressedToOther {
                to: header.to.short(),
            }
            .into());
        }
        Ok(OpenBundle {
            header,
            from,
            source,
            bytes,
        })
    }

    /// Verifies a bundle and takes in what it holds, all or nothing. Refuses a file that is
    /// not a bundle, one addressed to someone else, an altered or truncated one, a replay,
    /// and any change its author may not make.
    pub fn import_bundle(&self, path: &Path) -> Result<ImportSummary> {
        let open = self.open_bundle(path)?;
        self.import_opened(open)
    }

    /// [`Vault::import_bundle`] from a stream (a download, a share sheet): read as it comes,
    /// never held whole; the same checks, all or nothing.
    pub fn import_bundle_from(&self, reader: &mut dyn Read) -> Result<ImportSummary> {
        let mut counted = Counting {
            inner: reader,
            bytes: 0,
        };
        let open = self.open_bundle_from(BufReader::new(&mut counted), Path::new("-"), 0)?;
        let mut summary = self.import_opened(open)?;
        summary.bytes = counted.bytes;
        Ok(summary)
    }

    fn import_opened<R: Read>(&self, open: OpenBundle<SealedReader<R>>) -> Result<ImportSummary> {
        let OpenBundle {
            header,
            from,
            mut source,
            bytes,
        } = open;
        self.check_assumed(&from, &header.assumed)?;
        let report = self.receive_items(&from, &mut source)?;
        Ok(ImportSummary {
            envelopes: report.envelopes,
            duplicates: report.duplicates,
            key_grants: report.key_grants,
            consent_entries: report.consent_entries,
            attachments: report.blobs,
            superseded_branches: report.superseded_branches,
            bytes,
            from: self
                .name_of(&from.person_id())?
                .map_or_else(|| from.name().to_string(), |(n, _)| n),
            from_id: from.person_id(),
        })
    }
}

/// A bundle opened by its recipient, header read and checked, items not yet read.
struct OpenBundle<R: Read> {
    header: Header,
    from: IdentityCard,
    source: BundleSource<R>,
    /// Size of the file.
    bytes: u64,
}

/// Reads the first frame of a bundle's plaintext and checks it: a header, of the format
/// version this build reads, naming its sender by a card that parses. Returns the source
/// of the items that follow, set to check the signature of that sender to that recipient.
fn read_header<R: Read>(reader: R) -> Result<(Header, IdentityCard, BundleSource<R>)> {
    let mut source = BundleSource {
        reader,
        hasher: blake3::Hasher::new(),
        items: 0,
        to: PersonId([0; 32]),
        sender: PersonId([0; 32]),
        have: None,
        end: None,
    };
    let header = match source.frame()? {
        Some(Frame::Header(h)) => h,
        _ => {
            return Err(ExchangeError::NoHeader { what: "the bundle" }.into());
        }
    };
    if header.version != BUNDLE_VERSION {
        return Err(ExchangeError::UnsupportedVersion {
            what: "the bundle",
            version: header.version,
        }
        .into());
    }
    let from = IdentityCard::from_text(&header.from_card)?;
    source.sender = from.person_id();
    source.to = header.to;
    source.have = Some(header.have.clone());
    Ok((header, from, source))
}

/// One item of a bundle as [`Vault::inspect_bundle`] shows it: metadata only.
#[derive(Clone, Debug, Serialize)]
pub struct ItemInfo {
    /// What it is (envelope, key grant, consent entry, ...).
    pub kind: &'static str,
    /// The section it concerns, when it says (envelopes and key grants).
    pub section: Option<SectionId>,
    /// The record it concerns.
    pub record: Option<String>,
    /// The author (envelopes), grantee (key grants) or subject (consent entries).
    pub person: Option<String>,
    /// The epoch (envelopes, key grants) or index (consent entries).
    pub number: Option<u64>,
}

/// What a bundle holds, as its recipient can see without importing it.
#[derive(Clone, Debug, Serialize)]
pub struct BundleInfo {
    /// The sender's name, from their card.
    pub from: String,
    /// The sender's id.
    #[serde(serialize_with = "crate::vault::as_text")]
    pub from_id: PersonId,
    /// When it was made (Unix seconds).
    pub created: u64,
    /// Whether its signature verifies.
    pub signature_ok: bool,
    /// Its items, in order.
    pub items: Vec<ItemInfo>,
}

impl Vault {
    /// Opens a bundle addressed to this vault's owner and lists what it holds (headers
    /// only, nothing decrypted beyond the bundle itself), without importing anything.
    pub fn inspect_bundle(&self, path: &Path) -> Result<BundleInfo> {
        let OpenBundle {
            header,
            from,
            mut source,
            ..
        } = self.open_bundle(path)?;
        let mut items = Vec::new();
        while let Some(item) = source.next_item()? {
            items.push(describe(&item));
        }
        let signature_ok = source.finish().is_ok();
        Ok(BundleInfo {
            from: from.name().to_string(),
            from_id: from.person_id(),
            created: header.created,
            signature_ok,
            items,
        })
    }
}

/// Decodes the frames of a bundle's plaintext (what is inside the sealing) and describes
/// its items, without a vault and without checking the signature or the recipient: the
/// header reader every import and inspection runs (format version included), exposed for
/// fuzzing and diagnostics. Bounded: frames over the limit are refused before allocation.
pub fn parse_plaintext(reader: impl Read) -> Result<Vec<ItemInfo>> {
    let (_, _, mut source) = read_header(reader)?;
    let mut items = Vec::new();
    while let Some(item) = source.next_item()? {
        items.push(describe(&item));
    }
    Ok(items)
}

fn describe(item: &Item) -> ItemInfo {
    let mut info = ItemInfo {
        kind: item.kind(),
        section: None,
        record: None,
        person: None,
        number: None,
    };
    match item {
        Item::Envelope { bytes, .. } => {
            if let Ok(env) = carnet_crypto::Envelope::from_bytes(bytes) {
                let h = env.header();
                info.section = SectionId::from_code(h.section);
                info.record = Some(h.record.to_string());
                info.person = Some(h.author.to_string());
                info.number = Some(u64::from(h.epoch));
            }
        }
        Item::KeyGrant(bytes) => {
            if let Ok(kg) = carnet_crypto::KeyGrant::from_bytes(bytes) {
                let h = kg.header();
                info.section = SectionId::from_code(h.section);
                info.record = Some(h.record.to_string());
                info.person = Some(h.grantee.to_string());
                info.number = Some(u64::from(h.epoch));
            }
        }
        Item::Consent { entry, .. } => {
            if let Ok(e) = carnet_consent::SignedEntry::from_bytes(entry) {
                info.record = Some(e.entry().record.to_string());
                info.number = Some(e.entry().index);
                info.person = match &e.entry().action {
                    carnet_consent::Action::Grant { grantee, .. }
                    | carnet_consent::Action::KeyDelivery { grantee, .. } => {
                        Some(grantee.to_string())
                    }
                    carnet_consent::Action::Served { to, .. }
                    | carnet_consent::Action::Written { to, .. }
                    | carnet_consent::Action::Deposited { to, .. } => Some(to.to_string()),
                    carnet_consent::Action::Received { from, .. } => Some(from.to_string()),
                    carnet_consent::Action::Block { person } => Some(person.to_string()),
                    _ => None,
                };
            }
        }
        Item::Checkpoint { record, .. }
        | Item::Cosignature { record, .. }
        | Item::Takeover { record, .. } => info.record = Some(record.to_string()),
        Item::Card(text) => {
            info.person = IdentityCard::from_text(text)
                .ok()
                .map(|c| c.person_id().to_string());
        }
        Item::BlobPart { total, .. } => info.number = Some(*total),
        Item::OwnRow { .. } | Item::DeviceRemoval(_) => {}
    }
    info
}

/// Reads a bundle's frames, hashing every one before the end, for the engine.
struct BundleSource<R: Read> {
    reader: R,
    hasher: blake3::Hasher,
    items: u64,
    to: PersonId,
    sender: PersonId,
    have: Option<Have>,
    end: Option<End>,
}

impl<R: Read> BundleSource<R> {
    fn frame(&mut self) -> Result<Option<Frame>> {
        let Some(bytes) = read_frame_bytes(&mut self.reader, MAX_FRAME)? else {
            return Ok(None);
        };
        let frame: Frame = decode_frame(&bytes)?;
        if !matches!(frame, Frame::End(_)) {
            self.hasher.update(&bytes);
        }
        Ok(Some(frame))
    }
}

impl<R: Read> ItemSource for BundleSource<R> {
    fn next_item(&mut self) -> Result<Option<Item>> {
        if self.end.is_some() {
            return Ok(None);
        }
        match self.frame()? {
            Some(Frame::Item(item)) => {
                self.items += 1;
                Ok(Some(item))
            }
            Some(Frame::End(end)) => {
                self.end = Some(end);
                Ok(None)
            }
            Some(Frame::Header(_)) => {
                Err(ExchangeError::SecondHeader { what: "the bundle" }.into())
            }
            None => Err(ExchangeError::Truncated { what: "the bundle" }.into()),
        }
    }

    fn finish(&mut self) -> Result<Finished> {
        let end = self
            .end
            .take()
            .ok_or_else(|| Error::from(ExchangeError::Truncated { what: "the bundle" }))?;
        let mut rest = [0u8; 1];
        if read_up_to(&mut self.reader, &mut rest).map_err(|e| Error::Io {
            action: "cannot read the bundle",
            path: None,
            source: e,
        })? != 0
        {
            return Err(ExchangeError::TrailingData { what: "the bundle" }.into());
        }
        if end.items != self.items {
            return Err(ExchangeError::CountMismatch {
                what: "the bundle",
                said: end.items,
                read: self.items,
            }
            .into());
        }
        let hash = *self.hasher.finalize().as_bytes();
        let sig: [u8; 64] =
            end.signature.as_slice().try_into().map_err(|_| {
                Error::from(ExchangeError::MalformedSignature { what: "the bundle" })
            })?;
        verify_signature(
            &self.sender,
            BUNDLE_DOMAIN,
            &signed_message(&self.to, &hash),
            &sig,
        )
        .map_err(|_| Error::from(ExchangeError::BadSignature { what: "the bundle" }))?;
        Ok(Finished {
            have: self.have.take(),
            once: Some(hash),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carnet_consent::Access;
    use carnet_crypto::Role;
    use carnet_record::{Allergy, Entry};

    use crate::testing::vault;

    /// A patient with an allergy shared with a doctor, and the doctor.
    fn pair(dir: &Path) -> (Vault, Vault) {
        let alice = vault(&dir.join("alice"), "Alice", Role::Patient);
        let doctor = vault(&dir.join("doctor"), "Dr Martin", Role::Clinician);
        let record = alice.own_record().unwrap();
        alice
            .add(
                &record,
                Entry::Allergy(Allergy {
                    substance: "Penicillin".into(),
                    code: None,
                    criticality: None,
                    reaction: None,
                    onset: None,
                }),
            )
            .unwrap();
        alice
            .add_contact("Dr Martin", &doctor.card().to_text())
            .unwrap();
        alice
            .grant(
                "Dr Martin",
                &[SectionId::Allergies],
                Access::Read,
                "care",
                None,
            )
            .unwrap();
        (alice, doctor)
    }

    /// Writes what `export_bundle` writes, sealed to `to`, but with the header's `version`
    /// and `addressed` (its `to`) as given; signed by `from` over what it says.
    fn forge(from: &mut Vault, to: &IdentityCard, version: u8, addressed: PersonId, out: &Path) {
        let mut file = fs::File::create(out).unwrap();
        file.write_all(BUNDLE_MAGIC).unwrap();
        let mut hw = HashingWriter {
            inner: seal_to(to, file).unwrap(),
            hasher: blake3::Hasher::new(),
        };
        hw.frame(&Frame::Header(Header {
            version,
            from_card: from.card().to_text(),
            to: addressed,
            nonce: [7; 16],
            created: now_unix(),
            have: Have::default(),
            assumed: Have::default(),
        }))
        .unwrap();
        let mut items = 0u64;
        from.send_items(to, &Have::default(), &mut |item| {
            items += 1;
            hw.frame(&Frame::Item(item))
        })
        .unwrap();
        assert!(items > 0, "the forged bundle carries the shared allergy");
        let hash = *hw.hasher.finalize().as_bytes();
        let signature = from
            .me()
            .secret()
            .unwrap()
            .sign(BUNDLE_DOMAIN, &signed_message(&addressed, &hash))
            .to_vec();
        write_frame(&mut hw.inner, &Frame::End(End { items, signature })).unwrap();
        hw.inner.finish().unwrap();
    }

    fn refusal<T: std::fmt::Debug>(what: &str, r: Result<T>) -> String {
        match r {
            Ok(v) => panic!("{what} accepted a bundle it must refuse: {v:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn inspect_refuses_what_import_refuses_on_reading() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut alice, doctor) = pair(tmp.path());
        let card = doctor.card().clone();
        let me = doctor.person_id();

        // The genuine article, made by the same forge: both read it.
        let good = tmp.path().join("good.bundle");
        forge(&mut alice, &card, BUNDLE_VERSION, me, &good);
        let info = doctor.inspect_bundle(&good).unwrap();
        assert!(info.signature_ok, "the forge signs like export does");
        assert!(info.items.iter().any(|i| i.kind == "envelope"));

        // A format version this build does not read.
        let newer = tmp.path().join("newer.bundle");
        forge(&mut alice, &card, BUNDLE_VERSION + 1, me, &newer);
        // Sealed to the doctor, but its header addresses someone else (here the sender).
        let elsewhere = tmp.path().join("elsewhere.bundle");
        let sender = alice.person_id();
        forge(&mut alice, &card, BUNDLE_VERSION, sender, &elsewhere);

        for (file, needle) in [
            (&newer, "the bundle has format version 2"),
            (&elsewhere, "not to you"),
        ] {
            let inspected = refusal("inspect", doctor.inspect_bundle(file));
            let imported = refusal("import", doctor.import_bundle(file));
            assert!(
                inspected.contains(needle),
                "inspect refused {} for another reason: {inspected}",
                file.display()
            );
            assert_eq!(
                inspected,
                imported,
                "inspect and import refuse {} differently",
                file.display()
            );
        }

        // The fuzzed parser reads headers the same way.
        let plain = {
            let mut r = BufReader::new(fs::File::open(&newer).unwrap());
            expect_magic(&mut r, BUNDLE_MAGIC, &newer, "bundle").unwrap();
            let mut out = Vec::new();
            open_sealed(doctor.me().secret().unwrap(), r)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            out
        };
        let parsed = refusal("parse_plaintext", parse_plaintext(&plain[..]));
        assert!(
            parsed.contains("the bundle has format version 2"),
            "parse_plaintext: {parsed}"
        );
        // And the good bundle still imports after all that was refused.
        doctor.import_bundle(&good).unwrap();
    }
}
