//! Carnet's app core for Kotlin, Swift and Python apps, through UniFFI.
//!
//! One object, [`CarnetVault`], is the app's handle on a vault: `Send + Sync` (the core's
//! [`carnet::Vault`], itself a thread-safe handle: readers never wait for a writer), made by
//! [`create_vault`] (which returns the recovery phrase with it), [`CarnetVault::open`]
//! (passphrase, scrypt) or [`CarnetVault::open_with_unlock_key`] (the key the app keeps in
//! the Android Keystore or the iOS Keychain, exported once with
//! [`CarnetVault::export_unlock_key`]). Every call returns a value or a [`CarnetError`],
//! one variant per kind of failure with a stable code; UniFFI turns a panic into an
//! internal error of the foreign language instead of unwinding into it.
//!
//! What crosses the boundary: ids, names and text fields as strings (parsed here, so a bad
//! value is a [`CarnetError::InvalidInput`]), sections and access as enums, entries as
//! [`EntryRecord`]s (typed summary fields and the whole entry as JSON), attachments as
//! bytes, or attachments, bundles and backups as the app's own streams ([`ByteSource`],
//! [`ByteSink`]: never whole in memory). Secrets cross as strings or bytes because the foreign side needs them (the
//! passphrase in, the recovery phrase and unlock key out once); on the Rust side they are
//! held in zeroizing buffers and never appear in `Debug`, `Display` or errors.
//!
//! Bindings: `scripts/bindings.sh OUT_DIR` builds the library and generates Python, Kotlin
//! and Swift sources from it (UniFFI library mode).

#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use carnet::consent::{Access as CoreAccess, GrantId};
use carnet::crypto::secrecy::SecretString;
use carnet::crypto::{MasterKey, RecordId, RecoveryPhrase, Role as CoreRole};
use carnet::record::{
    Allergy, Code, Condition, Date, DateTime, DocType, Entry, EntryId, Immunization, Measurement,
    Medication, NoneKnown, Note, Procedure, Profile, SectionId,
};
use carnet::{AttachmentInput, CreateOptions, EntryView, Vault};
use zeroize::Zeroizing;

mod error;
mod stream;
mod sync;

pub use error::{CarnetError, Result, error_code};
pub use stream::{
    BackupSummary, ByteSink, ByteSource, RestoreSummary, RestoredVault, restore_vault,
};
pub use sync::{CarnetSync, SyncEvent, SyncReport};

uniffi::setup_scaffolding!("carnet");

/// A person's role, as on their identity card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// Owns a record.
    Patient,
    /// Reads and writes records shared with them.
    Clinician,
    /// Verifies consent logs.
    Auditor,
}

impl From<Role> for CoreRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Patient => CoreRole::Patient,
            Role::Clinician => CoreRole::Clinician,
            Role::Auditor => CoreRole::Auditor,
        }
    }
}

impl From<CoreRole> for Role {
    fn from(r: CoreRole) -> Self {
        match r {
            CoreRole::Patient => Role::Patient,
            CoreRole::Clinician => Role::Clinician,
            CoreRole::Auditor => Role::Auditor,
        }
    }
}

/// A section of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Section {
    /// Name, birth date, blood group...
    Profile,
    /// Allergies and intolerances.
    Allergies,
    /// Conditions (problems).
    Conditions,
    /// Medications.
    Medications,
    /// Immunizations.
    Immunizations,
    /// Measurements (vital signs, lab results, device readings).
    Measurements,
    /// Attached documents.
    Documents,
    /// Free notes.
    Notes,
}

impl From<Section> for SectionId {
    fn from(s: Section) -> Self {
        match s {
            Section::Profile => SectionId::Profile,
            Section::Allergies => SectionId::Allergies,
            Section::Conditions => SectionId::Conditions,
            Section::Medications => SectionId::Medications,
            Section::Immunizations => SectionId::Immunizations,
            Section::Measurements => SectionId::Measurements,
            Section::Documents => SectionId::Documents,
            Section::Notes => SectionId::Notes,
        }
    }
}

impl From<SectionId> for Section {
    fn from(s: SectionId) -> Self {
        match s {
            SectionId::Profile => Section::Profile,
            SectionId::Allergies => Section::Allergies,
            SectionId::Conditions => Section::Conditions,
            SectionId::Medications => Section::Medications,
            SectionId::Immunizations => Section::Immunizations,
            SectionId::Measurements => Section::Measurements,
            SectionId::Documents => Section::Documents,
            SectionId::Notes => Section::Notes,
        }
    }
}

/// What a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Access {
    /// Receive and read the sections.
    Read,
    /// Also write to them.
    Write,
}

impl From<Access> for CoreAccess {
    fn from(a: Access) -> Self {
        match a {
            Access::Read => CoreAccess::Read,
            Access::Write => CoreAccess::Write,
        }
    }
}

impl From<CoreAccess> for Access {
    fn from(a: CoreAccess) -> Self {
        match a {
            CoreAccess::Read => Access::Read,
            CoreAccess::Write => Access::Write,
        }
    }
}

/// A new vault and its recovery phrase. The phrase exists nowhere else (it is never
/// stored): show it to the owner once, have them write it down, and do not keep it. An
/// object rather than a record, so that no generated `toString`/`__str__` prints the
/// phrase; Rust holds it in a zeroizing buffer until the object is dropped.
#[derive(uniffi::Object)]
pub struct CreatedVault {
    vault: Arc<CarnetVault>,
    recovery_phrase: RecoveryPhrase,
}

impl std::fmt::Debug for CreatedVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedVault")
            .field("vault", &self.vault)
            .field("recovery_phrase", &"<redacted>")
            .finish()
    }
}

#[uniffi::export]
impl CreatedVault {
    /// The new vault, open.
    pub fn vault(&self) -> Arc<CarnetVault> {
        self.vault.clone()
    }

    /// The 24-word recovery phrase: the only key to the vault's backups and to taking the
    /// record over after a lost device.
    pub fn recovery_phrase(&self) -> String {
        self.recovery_phrase.expose().to_string()
    }
}

/// Where an added or changed entry landed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EntryRef {
    /// The entry's id (10 characters).
    pub id: String,
    /// Its section.
    pub section: Section,
}

impl From<carnet::EntryRef> for EntryRef {
    fn from(r: carnet::EntryRef) -> Self {
        EntryRef {
            id: r.id.to_string(),
            section: r.section.into(),
        }
    }
}

/// One entry as a reader sees it: typed fields for lists, and the whole entry as JSON (the
/// core's `EntryView`, with a `type` field) for the rest.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EntryRecord {
    /// The entry's id.
    pub id: String,
    /// Its section.
    pub section: Section,
    /// Its kind: `allergy`, `condition`, `medication`, `immunization`, `measurement`,
    /// `note`, `document`, `profile`, `none-known`, `procedure` or `series`.
    pub kind: String,
    /// The record it belongs to.
    pub record: String,
    /// Who created it (person id), verified from signatures.
    pub author: String,
    /// Their name, if this vault knows it.
    pub author_name: Option<String>,
    /// When it was created (RFC 3339).
    pub created: String,
    /// Whether any field was changed after it was created.
    pub edited: bool,
    /// One line for a list.
    pub summary: String,
    /// The whole entry as JSON (a document without its content key: the vault opens it).
    pub json: String,
}

impl TryFrom<&EntryView> for EntryRecord {
    type Error = CarnetError;
    fn try_from(v: &EntryView) -> Result<Self> {
        let json = serde_json::to_value(v).map_err(|e| CarnetError::Internal {
            message: format!("an entry does not encode as JSON: {e}"),
        })?;
        Ok(EntryRecord {
            id: v.id.to_string(),
            section: v.section.into(),
            kind: json
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_string(),
            record: v.record.to_string(),
            author: v
                .author
                .map_or_else(|| "unknown".to_string(), |p| p.to_string()),
            author_name: v.author_name.clone(),
            created: v.created.to_string(),
            edited: v.edited,
            summary: v.entry.summary(),
            json: json.to_string(),
        })
    }
}

/// An allergy or intolerance.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AllergyInput {
    /// What the person reacts to.
    pub substance: String,
    /// A code, `system:value` (e.g. `snomed:91936005`).
    #[uniffi(default)]
    pub code: Option<String>,
    /// `low`, `high` or `unable-to-assess`.
    #[uniffi(default)]
    pub criticality: Option<String>,
    /// The reaction, in words.
    #[uniffi(default)]
    pub reaction: Option<String>,
}

/// A condition (problem).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ConditionInput {
    /// Its name.
    pub name: String,
    /// A code, `system:value`.
    #[uniffi(default)]
    pub code: Option<String>,
    /// When it began (`2019`, `2019-03` or `2019-03-02`).
    #[uniffi(default)]
    pub onset: Option<String>,
    /// When it ended.
    #[uniffi(default)]
    pub abatement: Option<String>,
    /// `active`, `resolved`... (default `active`).
    #[uniffi(default)]
    pub status: Option<String>,
}

/// A medication.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MedicationInput {
    /// Its name.
    pub name: String,
    /// A code, `system:value` (e.g. `atc:A10BA02`).
    #[uniffi(default)]
    pub code: Option<String>,
    /// How much, how often, in words.
    #[uniffi(default)]
    pub dosage: Option<String>,
    /// First day.
    #[uniffi(default)]
    pub start: Option<String>,
    /// Last day.
    #[uniffi(default)]
    pub end: Option<String>,
    /// `active`, `stopped`... (default `active`).
    #[uniffi(default)]
    pub status: Option<String>,
}

/// A vaccination.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ImmunizationInput {
    /// The vaccine.
    pub vaccine: String,
    /// A code, `system:value` (e.g. `cvx:158`).
    #[uniffi(default)]
    pub code: Option<String>,
    /// When it was given.
    #[uniffi(default)]
    pub date: Option<String>,
    /// The lot number.
    #[uniffi(default)]
    pub lot: Option<String>,
}

/// A measurement, as a person types it (the core checks units and plausibility).
#[derive(Debug, Clone, uniffi::Record)]
pub struct MeasurementInput {
    /// `blood-pressure`, `glucose`, `weight`, `temperature`, `heart-rate`... or a LOINC code.
    pub kind: String,
    /// The value (`128/82` for a blood pressure; a decimal comma is taken).
    pub value: String,
    /// Its unit (`mmHg`, `mmol/L`, `kg`...).
    pub unit: String,
    /// When (RFC 3339 or `YYYY-MM-DD HH:MM`); now if absent.
    #[uniffi(default)]
    pub at: Option<String>,
}

/// A procedure.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ProcedureInput {
    /// Its name.
    pub name: String,
    /// A code, `system:value`.
    #[uniffi(default)]
    pub code: Option<String>,
    /// When.
    #[uniffi(default)]
    pub date: Option<String>,
}

/// The profile section's main fields.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ProfileInput {
    /// The person's name.
    pub name: String,
    /// Birth date.
    #[uniffi(default)]
    pub birth_date: Option<String>,
    /// `female`, `male`, `other` or `unknown`.
    #[uniffi(default)]
    pub sex: Option<String>,
    /// `A+`, `O-`...
    #[uniffi(default)]
    pub blood_group: Option<String>,
}

/// What an attached document is.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AttachmentInfo {
    /// Title shown in lists.
    pub title: String,
    /// `report`, `prescription`, `imaging`, `letter` or `other`.
    pub doc_type: String,
    /// The original file name.
    #[uniffi(default)]
    pub file_name: Option<String>,
    /// MIME type (`application/pdf`...).
    pub media_type: String,
    /// Date of the document; now if absent.
    #[uniffi(default)]
    pub date: Option<String>,
}

/// A contact: someone whose identity card this vault holds.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ContactRecord {
    /// The name the owner gave them.
    pub name: String,
    /// Their person id.
    pub id: String,
    /// Their role.
    pub role: Role,
    /// Their identity card, text form.
    pub card: String,
}

/// A grant of the owner's record to a contact.
#[derive(Debug, Clone, uniffi::Record)]
pub struct GrantRecord {
    /// The grant's id (`g...`), for [`CarnetVault::revoke`].
    pub id: String,
    /// The contact.
    pub contact: String,
    /// Sections covered.
    pub sections: Vec<Section>,
    /// Read or write.
    pub access: Access,
    /// Why.
    pub purpose: String,
    /// Valid until (Unix seconds), if bounded.
    pub not_after: Option<u64>,
    /// Whether it ended (revoked, blocked or expired).
    pub revoked: bool,
}

impl From<carnet::GrantInfo> for GrantRecord {
    fn from(g: carnet::GrantInfo) -> Self {
        GrantRecord {
            id: g.id.to_string(),
            contact: g.contact,
            sections: g.sections.into_iter().map(Section::from).collect(),
            access: g.access.into(),
            purpose: g.purpose,
            not_after: g.not_after,
            revoked: g.revoked,
        }
    }
}

/// A record shared with this vault's owner (a clinician's view of a patient).
#[derive(Debug, Clone, uniffi::Record)]
pub struct SharedRecordInfo {
    /// The patient's person id.
    pub patient: String,
    /// The record's id, for the `record` argument of reads and writes.
    pub record: String,
    /// The patient's name.
    pub name: String,
    /// Sections this vault can read (including those whose grant ended).
    pub readable: Vec<Section>,
}

/// What a bundle export wrote.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ExportSummary {
    /// Changes in the bundle.
    pub envelopes: u64,
    /// Attachments in the bundle.
    pub attachments: u64,
    /// Consent entries in the bundle.
    pub consent_entries: u64,
    /// Size of the file.
    pub bytes: u64,
    /// The recipient's name.
    pub to: String,
}

impl From<carnet::ExportSummary> for ExportSummary {
    fn from(s: carnet::ExportSummary) -> Self {
        ExportSummary {
            envelopes: s.envelopes as u64,
            attachments: s.attachments as u64,
            consent_entries: s.consent_entries as u64,
            bytes: s.bytes,
            to: s.to,
        }
    }
}

/// What a bundle import took.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ImportSummary {
    /// New changes stored.
    pub envelopes: u64,
    /// Changes already held.
    pub duplicates: u64,
    /// New section keys.
    pub key_grants: u64,
    /// New consent entries.
    pub consent_entries: u64,
    /// Attachments stored.
    pub attachments: u64,
}

impl From<carnet::ImportSummary> for ImportSummary {
    fn from(s: carnet::ImportSummary) -> Self {
        ImportSummary {
            envelopes: s.envelopes as u64,
            duplicates: s.duplicates as u64,
            key_grants: s.key_grants as u64,
            consent_entries: s.consent_entries as u64,
            attachments: s.attachments as u64,
        }
    }
}

/// An attachment's description as the app gives it, checked.
impl TryFrom<AttachmentInfo> for AttachmentInput {
    type Error = CarnetError;
    fn try_from(info: AttachmentInfo) -> Result<Self> {
        Ok(AttachmentInput {
            title: info.title,
            doc_type: parse::<DocType>("document type", &info.doc_type)?,
            file_name: info.file_name,
            media_type: info.media_type,
            date: when("date", info.date)?,
        })
    }
}

/// What an auditor's offline check of a consent log found.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AuditReport {
    /// True only when every check held.
    pub ok: bool,
    /// Entries read.
    pub entries: u64,
    /// Checkpoints verified.
    pub checkpoints: u64,
    /// The first failure, if any.
    pub first_error: Option<String>,
}

/// The app's handle on one vault. Thread-safe: calls from several threads run at once
/// (readers never wait for a writer; writers take turns, each write one atomic commit).
#[derive(uniffi::Object)]
pub struct CarnetVault {
    vault: Vault,
    dir: PathBuf,
}

impl std::fmt::Debug for CarnetVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarnetVault")
            .field("dir", &self.dir)
            .finish()
    }
}

/// Checked at compile time: the handle may be shared between threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<CarnetVault>();
};

fn passphrase(p: String) -> SecretString {
    SecretString::from(p)
}

fn kdf_cost(kdf_log_n: Option<u8>) -> Result<u8> {
    let n = kdf_log_n.unwrap_or(MasterKey::DEFAULT_LOG_N);
    if !(MasterKey::MIN_LOG_N..=MasterKey::MAX_LOG_N).contains(&n) {
        return Err(CarnetError::invalid(
            "passphrase cost",
            format!(
                "{n} is outside {}..={} (default {})",
                MasterKey::MIN_LOG_N,
                MasterKey::MAX_LOG_N,
                MasterKey::DEFAULT_LOG_N
            ),
        ));
    }
    Ok(n)
}

fn opt<T>(what: &str, text: Option<String>) -> Result<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.map(|t| t.parse::<T>().map_err(|e| CarnetError::invalid(what, e)))
        .transpose()
}

fn parse<T>(what: &str, text: &str) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| CarnetError::invalid(what, e))
}

fn when(what: &str, text: Option<String>) -> Result<DateTime> {
    Ok(opt::<DateTime>(what, text)?.unwrap_or_else(DateTime::now))
}

/// Creates a vault in `dir` (which must not hold one) for `name` as `role`, its master key
/// wrapped with `passphrase` at scrypt cost 2^`kdf_log_n` (default 18, at most 20; lower
/// only in tests). Returns the open vault and its recovery phrase.
#[uniffi::export]
pub fn create_vault(
    dir: String,
    passphrase: String,
    name: String,
    role: Role,
    kdf_log_n: Option<u8>,
) -> Result<Arc<CreatedVault>> {
    let pass = self::passphrase(passphrase);
    let opts = CreateOptions {
        name,
        role: role.into(),
        kdf_log_n: kdf_cost(kdf_log_n)?,
    };
    let dir = PathBuf::from(dir);
    let created = Vault::create(&dir, &pass, &opts)?;
    Ok(Arc::new(CreatedVault {
        vault: Arc::new(CarnetVault {
            vault: created.vault,
            dir,
        }),
        recovery_phrase: created.recovery_phrase,
    }))
}

/// Verifies an audit export (the JSON of [`CarnetVault::audit_export`]) offline: every
/// signature, the hash chain, the consent rules and the checkpoints. Needs no vault.
#[uniffi::export]
pub fn verify_audit(export_json: String) -> Result<AuditReport> {
    let export: carnet::consent::AuditExport =
        serde_json::from_str(&export_json).map_err(|e| CarnetError::invalid("audit export", e))?;
    let r = carnet::consent::verify(&export, None);
    Ok(AuditReport {
        ok: r.ok,
        entries: r.entries,
        checkpoints: r.checkpoints as u64,
        first_error: r.first_error,
    })
}

#[uniffi::export]
impl CarnetVault {
    /// Opens the vault in `dir` with its passphrase (scrypt: about a second on a phone).
    #[uniffi::constructor]
    pub fn open(dir: String, passphrase: String) -> Result<Arc<Self>> {
        let dir = PathBuf::from(dir);
        let vault = Vault::open(&dir, &self::passphrase(passphrase))?;
        Ok(Arc::new(CarnetVault { vault, dir }))
    }

    /// Opens the vault in `dir` with its unlock key (see
    /// [`CarnetVault::export_unlock_key`]): no passphrase, no scrypt. A key that is not
    /// this vault's is refused as a wrong passphrase, before anything is written.
    #[uniffi::constructor]
    pub fn open_with_unlock_key(dir: String, unlock_key: Vec<u8>) -> Result<Arc<Self>> {
        let given = Zeroizing::new(unlock_key);
        let mut key = Zeroizing::new([0u8; 32]);
        if given.len() != key.len() {
            return Err(CarnetError::invalid(
                "unlock key",
                format!("it has {} bytes; an unlock key has 32", given.len()),
            ));
        }
        key.copy_from_slice(&given);
        let dir = PathBuf::from(dir);
        let vault = Vault::open_with_unlock_key(&dir, &key)?;
        Ok(Arc::new(CarnetVault { vault, dir }))
    }

    /// The 32-byte key that opens this vault without its passphrase. Export it once after
    /// an unlock and keep it in the platform keystore (Android Keystore, iOS Keychain),
    /// never in clear on disk. Whoever holds it holds the vault.
    pub fn export_unlock_key(&self) -> Result<Vec<u8>> {
        let key = self.lock()?.unlock_key()?;
        Ok(key.to_vec())
    }

    /// Protects the vault with a new passphrase (atomic; the unlock key stays the same).
    pub fn change_passphrase(&self, new_passphrase: String, kdf_log_n: Option<u8>) -> Result<()> {
        let cost = kdf_cost(kdf_log_n)?;
        Ok(self
            .lock()?
            .change_passphrase(&passphrase(new_passphrase), cost)?)
    }

    /// The vault's directory.
    pub fn dir(&self) -> String {
        self.dir.display().to_string()
    }

    /// The owner's person id.
    pub fn person_id(&self) -> Result<String> {
        Ok(self.lock()?.person_id().to_string())
    }

    /// The owner's name, from their card.
    pub fn name(&self) -> Result<String> {
        Ok(self.lock()?.card().name().to_string())
    }

    /// The owner's role.
    pub fn role(&self) -> Result<Role> {
        Ok(self.lock()?.card().role().into())
    }

    /// The owner's identity card (text), which others add as a contact.
    pub fn card(&self) -> Result<String> {
        Ok(self.lock()?.card().to_text())
    }

    /// The owner's own record id (patients only).
    pub fn own_record(&self) -> Result<String> {
        Ok(self.lock()?.own_record()?.to_string())
    }

    /// Adds a note to `record` (the owner's own when `None`).
    pub fn add_note(
        &self,
        record: Option<String>,
        text: String,
        title: Option<String>,
    ) -> Result<EntryRef> {
        self.add(record, Entry::Note(Note { text, title }))
    }

    /// Adds an allergy.
    pub fn add_allergy(&self, record: Option<String>, input: AllergyInput) -> Result<EntryRef> {
        let entry = Entry::Allergy(Allergy {
            substance: input.substance,
            code: opt::<Code>("code", input.code)?,
            criticality: opt("criticality", input.criticality)?,
            reaction: input.reaction,
            onset: None,
        });
        self.add(record, entry)
    }

    /// Adds a condition.
    pub fn add_condition(&self, record: Option<String>, input: ConditionInput) -> Result<EntryRef> {
        let entry = Entry::Condition(Condition {
            name: input.name,
            code: opt::<Code>("code", input.code)?,
            onset: opt::<Date>("onset", input.onset)?,
            abatement: opt::<Date>("abatement", input.abatement)?,
            status: opt("status", input.status)?.unwrap_or_default(),
        });
        self.add(record, entry)
    }

    /// Adds a medication (a prescription when written by a clinician).
    pub fn add_medication(
        &self,
        record: Option<String>,
        input: MedicationInput,
    ) -> Result<EntryRef> {
        let entry = Entry::Medication(Medication {
            name: input.name,
            code: opt::<Code>("code", input.code)?,
            dosage: input.dosage,
            start: opt::<Date>("start", input.start)?,
            end: opt::<Date>("end", input.end)?,
            status: opt("status", input.status)?.unwrap_or_default(),
            status_reason: None,
        });
        self.add(record, entry)
    }

    /// Adds a vaccination.
    pub fn add_immunization(
        &self,
        record: Option<String>,
        input: ImmunizationInput,
    ) -> Result<EntryRef> {
        let entry = Entry::Immunization(Immunization {
            vaccine: input.vaccine,
            code: opt::<Code>("code", input.code)?,
            date: opt::<Date>("date", input.date)?,
            lot: input.lot,
            status: Default::default(),
            status_reason: None,
            date_text: None,
        });
        self.add(record, entry)
    }

    /// Adds a measurement, checked as the command line checks it (known kinds, units,
    /// plausible values).
    pub fn add_measurement(
        &self,
        record: Option<String>,
        input: MeasurementInput,
    ) -> Result<EntryRef> {
        let at = when("at", input.at)?;
        let m = Measurement::from_input(&input.kind, &input.value, &input.unit, at, None)
            .map_err(carnet::Error::from)?;
        self.add(record, Entry::Measurement(m))
    }

    /// Adds a procedure.
    pub fn add_procedure(&self, record: Option<String>, input: ProcedureInput) -> Result<EntryRef> {
        let entry = Entry::Procedure(Procedure {
            name: input.name,
            code: opt::<Code>("code", input.code)?,
            date: opt::<Date>("date", input.date)?,
            status: Default::default(),
            status_reason: None,
        });
        self.add(record, entry)
    }

    /// Adds the profile (name, birth date, sex, blood group).
    pub fn add_profile(&self, record: Option<String>, input: ProfileInput) -> Result<EntryRef> {
        let entry = Entry::Profile(Profile {
            name: input.name,
            birth_date: opt::<Date>("birth date", input.birth_date)?,
            sex: opt("sex", input.sex)?,
            blood_group: opt("blood group", input.blood_group)?,
            emergency_contact: None,
            advance_directives: None,
            identifiers: Vec::new(),
        });
        self.add(record, entry)
    }

    /// Says "none known" for a section (allergies, conditions, medications,
    /// immunizations), as the International Patient Summary asks.
    pub fn add_none_known(&self, record: Option<String>, section: Section) -> Result<EntryRef> {
        let entry = Entry::NoneKnown(NoneKnown {
            section: section.into(),
            asserted: DateTime::now().date(),
        });
        self.add(record, entry)
    }

    /// Adds any kind of entry from its JSON form (the `json` of an [`EntryRecord`], with
    /// its `type`): for what the typed calls do not cover (onsets, components, reference
    /// ranges, series). Documents are attached with [`CarnetVault::attach`].
    pub fn add_entry_json(&self, record: Option<String>, json: String) -> Result<EntryRef> {
        let entry: Entry =
            serde_json::from_str(&json).map_err(|e| CarnetError::invalid("entry JSON", e))?;
        if matches!(entry, Entry::Document(_)) {
            return Err(CarnetError::invalid(
                "entry JSON",
                "a document is added with attach, which stores its file",
            ));
        }
        self.add(record, entry)
    }

    /// Attaches a document (its bytes, at most 256 MiB) to `record`.
    pub fn attach(
        &self,
        record: Option<String>,
        bytes: Vec<u8>,
        info: AttachmentInfo,
    ) -> Result<EntryRef> {
        let bytes = Zeroizing::new(bytes);
        let input = AttachmentInput::try_from(info)?;
        let v = self.lock()?;
        let record = record_of(v, record)?;
        Ok(v.attach(&record, &bytes, input)?.into())
    }

    /// The bytes of an attached document.
    pub fn attachment(&self, record: Option<String>, id: String) -> Result<Vec<u8>> {
        let v = self.lock()?;
        let record = record_of(v, record)?;
        let id = v.resolve_entry(&record, &id)?;
        let (_, bytes) = v.attachment(&record, &id)?;
        Ok(bytes.to_vec())
    }

    /// The entries of `record` this vault can read, in a fixed section order, newest
    /// first; only `section`'s when given.
    pub fn list(
        &self,
        record: Option<String>,
        section: Option<Section>,
    ) -> Result<Vec<EntryRecord>> {
        let v = self.lock()?;
        let record = record_of(v, record)?;
        v.list(&record, section.map(SectionId::from))?
            .iter()
            .map(EntryRecord::try_from)
            .collect()
    }

    /// One entry, by its id or an unambiguous start of it (4 characters or more).
    pub fn get(&self, record: Option<String>, id: String) -> Result<EntryRecord> {
        let v = self.lock()?;
        let record = record_of(v, record)?;
        let id: EntryId = v.resolve_entry(&record, &id)?;
        EntryRecord::try_from(&v.get(&record, &id)?)
    }

    /// Removes an entry.
    pub fn remove(&self, record: Option<String>, id: String) -> Result<EntryRef> {
        let v = self.lock()?;
        let record = record_of(v, record)?;
        let id = v.resolve_entry(&record, &id)?;
        Ok(v.remove(&record, &id)?.into())
    }

    /// Adds a contact from their identity card (text), under a name of the owner's choice.
    pub fn add_contact(&self, name: String, card: String) -> Result<ContactRecord> {
        let c = self.lock()?.add_contact(&name, &card)?;
        Ok(contact(c))
    }

    /// The owner's contacts.
    pub fn contacts(&self) -> Result<Vec<ContactRecord>> {
        Ok(self.lock()?.contacts()?.into_iter().map(contact).collect())
    }

    /// Grants `contact` access to `sections` of the owner's record, for `purpose`, until
    /// `until` (Unix seconds) if given. Returns the grant's id.
    pub fn grant(
        &self,
        contact: String,
        sections: Vec<Section>,
        access: Access,
        purpose: String,
        until: Option<u64>,
    ) -> Result<String> {
        let sections: Vec<SectionId> = sections.into_iter().map(SectionId::from).collect();
        let id = self
            .lock()?
            .grant(&contact, &sections, access.into(), &purpose, until)?;
        Ok(id.to_string())
    }

    /// Every grant the owner made, in force or ended.
    pub fn grants(&self) -> Result<Vec<GrantRecord>> {
        Ok(self
            .lock()?
            .grants()?
            .into_iter()
            .map(GrantRecord::from)
            .collect())
    }

    /// Ends a grant: nothing new goes to its grantee (what they hold stays theirs).
    pub fn revoke(&self, grant_id: String) -> Result<GrantRecord> {
        let id = parse::<GrantId>("grant id", &grant_id)?;
        Ok(self.lock()?.revoke(&id)?.into())
    }

    /// Writes a bundle file at `path` (which must not exist) for `contact` (a contact's
    /// name or a person id): what they may receive and do not hold yet (all of it when
    /// `full`).
    pub fn export_bundle(
        &self,
        contact: String,
        path: String,
        full: bool,
    ) -> Result<ExportSummary> {
        let v = self.lock()?;
        let peer = v.find_peer(&contact)?;
        Ok(v.export_bundle(&peer, full, Path::new(&path))?.into())
    }

    /// Imports a bundle file: all of it or nothing.
    pub fn import_bundle(&self, path: String) -> Result<ImportSummary> {
        Ok(self.lock()?.import_bundle(Path::new(&path))?.into())
    }

    /// Records shared with the owner (a clinician's patients).
    pub fn patients(&self) -> Result<Vec<SharedRecordInfo>> {
        Ok(self
            .lock()?
            .patients()?
            .into_iter()
            .map(|p| SharedRecordInfo {
                patient: p.id.to_string(),
                record: p.record.to_string(),
                name: p.name,
                readable: p.readable.into_iter().map(Section::from).collect(),
            })
            .collect())
    }

    /// The owner's consent log for an auditor, as JSON (no health data, no section names,
    /// no purposes in clear); check it with [`verify_audit`].
    pub fn audit_export(&self) -> Result<String> {
        let export = self.lock()?.audit_export()?;
        serde_json::to_string(&export).map_err(|e| CarnetError::Internal {
            message: format!("the audit export does not encode as JSON: {e}"),
        })
    }
}

impl CarnetVault {
    /// The core's handle, for one call. It is `Send + Sync`: calls from any thread run
    /// at once (readers never wait for a writer; writers take turns in the store), and a
    /// panic inside the core in one call leaves nothing half-applied for the next (every
    /// operation is one transaction, and what a failed write held in memory is dropped).
    fn lock(&self) -> Result<&Vault> {
        Ok(&self.vault)
    }

    fn add(&self, record: Option<String>, entry: Entry) -> Result<EntryRef> {
        let v = self.lock()?;
        let record = record_of(v, record)?;
        Ok(v.add(&record, entry)?.into())
    }
}

fn record_of(v: &Vault, record: Option<String>) -> Result<RecordId> {
    match record {
        None => Ok(v.own_record()?),
        Some(r) => parse::<RecordId>("record id", &r),
    }
}

fn contact(c: carnet::Contact) -> ContactRecord {
    ContactRecord {
        name: c.name,
        id: c.id.to_string(),
        role: c.role.into(),
        card: c.card,
    }
}
