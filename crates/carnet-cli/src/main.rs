//! `carnet`: the command line of Carnet, a patient-held, end-to-end-encrypted health
//! record. A thin layer over the `carnet` core: parsing, prompts, and all output.

#![forbid(unsafe_code)]

mod agent;
mod commands;
mod demo;
mod errors;
mod harden;
mod help_fr;
mod i18n;
mod interop;
mod mailbox;
mod net;
mod output;
mod pass;
mod phrase;
mod progress;
mod recovery;
mod sharing;
mod usage_fr;
mod words;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use carnet::record::{
    BloodGroup, Code, ConditionStatus, Criticality, Date, DateTime, DocType, MedicationStatus,
    SectionId, Sex,
};

/// Carnet: your health record, on your own devices, encrypted end to end.
#[derive(Parser, Debug)]
#[command(name = "carnet", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The vault directory [default: $CARNET_VAULT, else `carnet` in your data directory].
    #[arg(long, global = true, env = "CARNET_VAULT", value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the passphrase from the first line of FILE (else $CARNET_PASSPHRASE, else a prompt).
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// The language of messages: fr or en [default: from LC_ALL, LC_MESSAGES or LANG, else
    /// en]. JSON output is the same in every language.
    #[arg(long, global = true, value_name = "LANG", value_parser = ["fr", "en"])]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create your identity and an encrypted vault.
    Init(InitArgs),
    /// Show your identity and the card others need to share with you.
    Whoami,
    /// Add an entry to your record (or, with --patient, to a record shared with you).
    Add(AddArgs),
    /// Add a document (a report, a prescription, an image...) from a file.
    Attach(AttachArgs),
    /// List entries.
    List(ListArgs),
    /// Show one entry.
    Show(IdArg),
    /// Every change that touched an entry, oldest first: who, from which device, when,
    /// which fields (removed entries too).
    History(IdArg),
    /// Change fields of an entry: --set FIELD=VALUE, --unset FIELD (field names as in `show --json`).
    Edit(EditArgs),
    /// Remove an entry.
    Remove(IdArg),
    /// Decrypt an attachment into a file.
    GetAttachment(GetAttachmentArgs),
    /// Every entry in date order (a series of readings as one line; --days for its days).
    Timeline(TimelineArgs),
    /// Your address book of identity cards.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Give a contact read or write access to sections of your record.
    Grant(GrantArgs),
    /// End a grant: the contact gets no new key and no new change (what they already read
    /// cannot be recalled).
    Revoke {
        /// The grant id, as `carnet grants` shows it.
        grant_id: String,
    },
    /// Block a contact: all their grants end and nothing reaches them any more.
    Block {
        /// The contact's name.
        contact: String,
    },
    /// The grants you made.
    Grants,
    /// Who accessed what and when, in plain words.
    Log,
    /// Offline exchange with a contact: a bundle file for a USB key or a mail.
    #[command(subcommand)]
    Share(ShareCommand),
    /// The records patients shared with you (clinicians).
    Patients,
    /// Listen for peers on the network and sync with them until stopped (Ctrl-C). Prints a
    /// ticket first: give it to those who sync with you.
    Serve(ServeArgs),
    /// Sync once with a peer, live over the network: a contact's name (reached before) or
    /// the ticket their `carnet serve` printed.
    Sync(SyncArgs),
    /// Settings of this vault (relay use).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Write an encrypted backup of the whole vault, which only your recovery phrase (or
    /// enough recovery shares) can open.
    Backup {
        /// Where to write it (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Rebuild a vault from a backup on a new device (phrase from $CARNET_RECOVERY_PHRASE
    /// or a prompt, or recovery shares with --ask-shares or --share-file). Shows whose
    /// backup it is and checks their signature. The vault directory must not exist.
    Restore(RestoreArgs),
    /// Your devices: list them, remove a lost one, link a new one.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Your recovery phrase: check it, split it among people you trust, or release a
    /// share someone gave you.
    #[command(subcommand)]
    Recovery(RecoveryCommand),
    /// Consent-log export and offline verification for auditors.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check every change stored in the vault (signatures, chains, contents) and the
    /// consent log, and repair a record damaged by two writers at once in versions before
    /// 0.2: nothing that was saved is lost. Exits non-zero if the vault does not verify.
    Repair,
    /// Protect the vault with a new passphrase. The new one comes from
    /// --new-passphrase-file, else CARNET_NEW_PASSPHRASE, else a prompt (twice). Atomic:
    /// interrupted at any point, the vault opens with the old passphrase or the new one.
    Passphrase {
        /// A file whose first line is the new passphrase.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Passphrase hardness, as log2 of scrypt's N (18 to 20); lower costs (down to 10)
        /// are for tests only and need CARNET_TEST_KDF=1.
        #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u8).range(10..=20))]
        kdf_cost: u8,
    },
    /// Run the whole story in a temporary directory, narrated.
    Demo,
    /// Diagnostic: this process's core-file limit and whether it is dumpable.
    #[command(hide = true)]
    Hardening,
    /// Open a session: the passphrase is asked once, and every command until `carnet lock`
    /// or the timeout opens the vault without it (the key stays in memory, with a small
    /// agent process only you can reach; never on disk).
    Unlock {
        /// How long the session lasts: seconds, or with a unit (90s, 15m, 2h).
        #[arg(long, default_value = "15m", value_parser = parse_duration)]
        timeout: std::time::Duration,
    },
    /// End the session `carnet unlock` opened: the key is forgotten.
    Lock,
    /// Print the completion script of a shell.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (roff): carnet(1) and one per command.
    Man {
        /// The directory to write them to (created if missing); without it, carnet(1) is
        /// printed.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// The session agent (started by `carnet unlock`).
    #[command(name = "__agent", hide = true)]
    Agent {
        /// Where to listen.
        #[arg(long)]
        socket: PathBuf,
        /// Seconds to live.
        #[arg(long)]
        timeout: u64,
    },
    /// Import FHIR R4 bundles and device exports (glucose meters...).
    #[command(subcommand)]
    Import(interop::ImportCommand),
    /// Export your record as FHIR R4: a bundle, or an International Patient Summary.
    #[command(subcommand)]
    Export(interop::ExportCommand),
    /// Draw a measurement series (glucose, blood-pressure, weight...) as an SVG picture.
    Chart(interop::ChartArgs),
    /// Write a self-contained HTML summary of your record, with charts.
    Report(interop::ReportArgs),
    /// A mailbox for people who are not online at the same time: it holds sealed bundles until their recipient collects them.
    #[command(subcommand)]
    Mailbox(mailbox::MailboxCommand),
}

#[derive(Args, Debug)]
pub struct NetArgs {
    /// Use public relay servers for this run (needs the internet) [default: the `relay`
    /// setting, off].
    #[arg(long)]
    pub relay: bool,
    /// A relay server of your own for this run, e.g. http://10.0.0.1:3340 [default: the
    /// `relay` setting when it is a URL].
    #[arg(long, value_name = "URL")]
    pub relay_url: Option<String>,
    /// Seconds without progress (nothing received, nothing of ours taken) before a peer is
    /// dropped. A slow link is not a stalled one: a large record over a poor link goes
    /// through as long as bytes keep moving.
    #[arg(long, env = "CARNET_SYNC_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The local address to listen on, e.g. 0.0.0.0:7777 [default: every interface, on the
    /// port of the last serve (`carnet config set port N|auto`), a free one the first time].
    #[arg(long)]
    pub bind: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// A contact (or patient) name, or a ticket (carnet-ticket1:...).
    pub peer: String,
    /// Stay connected and keep exchanging changes until Ctrl-C; when the link drops, say so
    /// and connect again (waiting 1, 2, 4... up to 60 s between attempts).
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup file.
    pub file: PathBuf,
    /// Ask for the recovery shares on the terminal (not echoed), one at a time, until
    /// there are enough. Without shares, the recovery phrase is asked for.
    #[arg(long)]
    pub ask_shares: bool,
    /// Read recovery shares (carnet-share1:..., one or more) from FILE; `-` reads them from
    /// standard input. Repeatable.
    #[arg(long = "share-file", value_name = "FILE")]
    pub share_files: Vec<PathBuf>,
    /// A recovery share on the command line (for scripts: other users of this machine can
    /// see it while carnet runs, and it stays in shell history; prefer --ask-shares or
    /// --share-file). Repeatable.
    #[arg(long = "share", value_name = "SHARE")]
    pub shares: Vec<String>,
    /// Refuse the backup unless it is of this person (their id, as `carnet whoami` shows
    /// it).
    #[arg(long, value_name = "ID")]
    pub expect_person: Option<carnet::crypto::PersonId>,
    /// The newest checkpoint of your consent log that someone you share with holds (the
    /// file `carnet audit witness --out FILE` writes on their side): if it is newer than
    /// the backup, the restore says openly that it leaves those later entries behind,
    /// instead of forking your log silently.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Passphrase hardness for the new vault, as log2 of scrypt's N (18 to 20; lower only
    /// for tests, with CARNET_TEST_KDF=1).
    #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u8).range(10..=20))]
    pub kdf_cost: u8,
}

#[derive(Subcommand, Debug)]
pub enum DeviceCommand {
    /// Your devices, which one keeps the consent log, which are removed.
    List,
    /// Remove a lost or retired device: it gets nothing new (its keys are rotated) and
    /// nothing it writes is accepted any more.
    Remove {
        /// The device id (or its first characters), as `device list` shows it.
        id: String,
    },
    /// Cut off every other device, even one that holds your identity key (linked by an
    /// older carnet, or a stolen copy of this vault), with your recovery phrase (asked, or
    /// CARNET_RECOVERY_PHRASE): this device goes on under a new id and alone speaks for
    /// you; link your other devices again afterwards. On your primary device.
    Rekey,
    /// Link a new device: run it on this device (it prints a code and waits), then on the
    /// new device with --vault for the new vault, where it asks for the code (or reads it
    /// with --code-file).
    Link {
        /// The code the other device printed, on the command line (for scripts: other users
        /// of this machine can see it while carnet runs; prefer the prompt or --code-file).
        /// `-` reads it from standard input.
        code: Option<String>,
        /// Read the code from FILE (`-`: standard input).
        #[arg(long, value_name = "FILE", conflicts_with = "code")]
        code_file: Option<PathBuf>,
        /// Passphrase hardness for the new device's vault, as log2 of scrypt's N (18 to 20;
        /// lower only for tests, with CARNET_TEST_KDF=1).
        #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u8).range(10..=20))]
        kdf_cost: u8,
        #[command(flatten)]
        net: NetArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum RecoveryCommand {
    /// Check a recovery phrase you wrote down against this vault.
    Verify,
    /// Split your recovery key among people you trust: any THRESHOLD of their shares
    /// rebuild it, fewer reveal nothing. Writes one sealed file per holder, for them alone.
    Split {
        /// How many shares rebuild the key.
        #[arg(long)]
        threshold: u8,
        /// A holder (a contact's name); repeat for each.
        #[arg(long = "to", value_name = "CONTACT", required = true)]
        holders: Vec<String>,
        /// Directory to write the share files in [default: the current directory].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Open a share someone gave you, to hand it back to them when they recover: prints
    /// its text (carnet-share1:...). Give it to them in person.
    Release {
        /// The share file.
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Show every setting.
    Show,
    /// Change a setting (relay on|off|URL, port N|auto).
    Set {
        /// The setting.
        name: String,
        /// Its new value.
        value: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ShareCommand {
    /// Write a bundle with what CONTACT lacks and may receive (their granted sections, keys,
    /// consent entries; or, from a clinician, their changes). Incremental: only what they
    /// were not sent before.
    Export {
        /// The contact (or patient) it is for.
        #[arg(long)]
        to: String,
        /// Where to write it (must not exist).
        #[arg(long)]
        out: PathBuf,
        /// Send everything they may receive, not only what is new (when a bundle was lost).
        #[arg(long)]
        full: bool,
    },
    /// Verify a bundle addressed to you and take in what it holds (all or nothing).
    Import {
        /// The bundle file.
        file: PathBuf,
    },
    /// List what a bundle addressed to you holds, without importing it.
    Inspect {
        /// The bundle file.
        file: PathBuf,
    },
}

/// Which record a command acts on.
#[derive(Args, Debug, Clone, Default)]
pub struct PatientArg {
    /// A record shared with you, by patient name or id [default: your own record].
    #[arg(long, value_name = "PATIENT")]
    pub patient: Option<String>,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// A record shared with you, by patient name or id [default: your own record].
    #[arg(long, global = true, value_name = "PATIENT")]
    pub patient: Option<String>,
    /// Store a value that is unusual for its kind (it is marked as confirmed).
    #[arg(long, global = true)]
    pub confirm_unusual: bool,
    #[command(subcommand)]
    pub kind: AddCommand,
}

#[derive(Subcommand, Debug)]
pub enum ContactCommand {
    /// Add someone from the card they gave you (`carnet whoami` prints theirs).
    Add {
        /// The name you give them.
        name: String,
        /// Their card (carnet-card1:...).
        card: String,
    },
    /// List your contacts.
    List,
}

#[derive(Args, Debug)]
pub struct GrantArgs {
    /// The contact's name.
    pub contact: String,
    /// Sections, comma-separated (e.g. allergies,medications).
    #[arg(long, value_delimiter = ',', required = true)]
    pub sections: Vec<SectionId>,
    /// read or write.
    #[arg(long, value_parser = ["read", "write"])]
    pub access: String,
    /// Why (shown in your log; the auditor sees only a commitment to it).
    #[arg(long)]
    pub purpose: String,
    /// Last day of the grant (YYYY-MM-DD) [default: until revoked].
    #[arg(long)]
    pub until: Option<Date>,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Write your consent-log export (no health data) for an auditor.
    Export {
        /// Where to write it (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify an export offline; needs no vault. Exit 0 only if everything holds.
    Verify {
        /// The export file.
        file: PathBuf,
        /// The patient whose log it must be: their person id, as `carnet whoami` prints it
        /// on their device. Without it, only the log's self-consistency is checked.
        #[arg(long, value_name = "ID")]
        patient: Option<String>,
        /// A checkpoint, an earlier export or the saved `--json` output of an earlier
        /// verify: the log must extend it.
        #[arg(long, value_name = "FILE")]
        since_checkpoint: Option<PathBuf>,
        /// A log size you saw before: the log must hold at least that many entries.
        #[arg(long, value_name = "N")]
        min_size: Option<u64>,
        /// A checkpoint a witness (one of the patient's grantees) cosigned, as its
        /// `carnet audit witness` wrote it, got from the witness itself: the log must
        /// reach its size and agree with it. Repeat for several witnesses.
        #[arg(long, value_name = "FILE")]
        cosigned: Vec<PathBuf>,
    },
    /// As a witness (a grantee): write the newest checkpoint of a patient's consent log
    /// you received, cosigned by you, for an auditor of that log.
    Witness {
        /// The patient (name or id, as `carnet patients` lists them).
        #[arg(long)]
        patient: String,
        /// Where to write it (must not exist); standard output if not given.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// An entry id or its first 4 or more characters, checked before the vault is opened.
fn parse_id_prefix(text: &str) -> Result<String, i18n::Msg> {
    let t = text.trim().to_ascii_lowercase();
    if (4..=10).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(t)
    } else {
        Err(msg!("usage-not-an-entry-id", text = text))
    }
}

/// A duration as people write it: `900`, `90s`, `15m`, `2h` (at most a day).
fn parse_duration(text: &str) -> Result<std::time::Duration, i18n::Msg> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| msg!("usage-not-a-duration", text = text))?;
    let secs = match unit {
        "s" => n,
        "m" | "min" => n * 60,
        "h" => n * 3600,
        _ => return Err(msg!("usage-duration-unit", text = text)),
    };
    if secs == 0 || secs > 86_400 {
        return Err(msg!("usage-session-length"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Your name, as others will see it on your card.
    #[arg(long)]
    pub name: String,
    /// What you do in Carnet.
    #[arg(long, default_value = "patient", value_parser = ["patient", "clinician", "auditor"])]
    pub role: String,
    /// Passphrase hardness, as log2 of scrypt's N (18 to 20). The default, 18, takes about a
    /// second; lower costs (down to 10) are for tests only and need CARNET_TEST_KDF=1.
    #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u8).range(10..=20))]
    pub kdf_cost: u8,
    /// Do not ask to type back three words of the recovery phrase (for scripts, and
    /// needed when standard input is not a terminal; --json implies it, the phrase being in
    /// its output; also CARNET_NO_CONFIRM_PHRASE=1). Check the phrase later with `carnet
    /// recovery verify`.
    #[arg(long)]
    pub no_confirm_phrase: bool,
}

#[derive(Subcommand, Debug)]
pub enum AddCommand {
    /// An allergy or intolerance.
    Allergy {
        /// What you react to.
        #[arg(long)]
        substance: String,
        /// How serious a reaction could be.
        #[arg(long)]
        criticality: Option<Criticality>,
        /// What happens (e.g. hives).
        #[arg(long)]
        reaction: Option<String>,
        /// A code as SYSTEM:CODE (e.g. snomed:91935009; SYSTEM|CODE works when quoted).
        #[arg(long)]
        code: Option<Code>,
    },
    /// A health problem or diagnosis.
    Condition {
        /// Its name.
        #[arg(long)]
        name: String,
        /// A code as SYSTEM:CODE (e.g. snomed:44054006, icd10:E11).
        #[arg(long)]
        code: Option<Code>,
        /// When it started (YYYY, YYYY-MM or YYYY-MM-DD).
        #[arg(long)]
        onset: Option<Date>,
        /// active, recurrence, relapse, inactive, remission or resolved.
        #[arg(long, default_value = "active")]
        status: ConditionStatus,
    },
    /// A medicine you take or took.
    Medication {
        /// Its name.
        #[arg(long)]
        name: String,
        /// A code as SYSTEM:CODE (e.g. atc:A10BA02).
        #[arg(long)]
        code: Option<Code>,
        /// How much and how often (e.g. "500 mg twice a day").
        #[arg(long)]
        dosage: Option<String>,
        /// First day.
        #[arg(long)]
        start: Option<Date>,
        /// Last day.
        #[arg(long)]
        end: Option<Date>,
        /// active, completed, stopped, on-hold or intended.
        #[arg(long, default_value = "active")]
        status: MedicationStatus,
    },
    /// A vaccination.
    Immunization {
        /// The vaccine.
        #[arg(long)]
        vaccine: String,
        /// A code as SYSTEM:CODE (e.g. cvx:208).
        #[arg(long)]
        code: Option<Code>,
        /// When it was given.
        #[arg(long)]
        date: Date,
        /// The batch number.
        #[arg(long)]
        lot: Option<String>,
    },
    /// A measurement: weight, height, blood-pressure (value "120/80"), heart-rate, glucose,
    /// temperature, spo2, or a LOINC code.
    Measurement {
        /// What was measured.
        #[arg(long)]
        kind: String,
        /// The value (blood pressure: SYSTOLIC/DIASTOLIC).
        #[arg(long, allow_hyphen_values = true)]
        value: String,
        /// The unit (UCUM, e.g. kg, mm[Hg], /min, mg/dL; common spellings are accepted).
        #[arg(long)]
        unit: String,
        /// When (RFC 3339, or YYYY-MM-DD HH:MM in local time) [default: now].
        #[arg(long)]
        at: Option<DateTime>,
        /// The device or origin of the reading.
        #[arg(long)]
        source: Option<String>,
    },
    /// A free-text note.
    Note {
        /// The text.
        #[arg(long)]
        text: String,
        /// An optional title.
        #[arg(long)]
        title: Option<String>,
    },
    /// Your profile (created the first time, updated after): name, birth date, sex, blood
    /// group, emergency contact, advance directives.
    Profile(ProfileArgs),
    /// State explicitly that there is nothing to record in a section (e.g. no known
    /// allergies), as the International Patient Summary asks.
    NoneKnown {
        /// allergies, conditions, medications or immunizations.
        section: SectionId,
    },
}

#[derive(Args, Debug)]
pub struct ProfileArgs {
    /// Your name.
    #[arg(long)]
    pub name: Option<String>,
    /// Your birth date.
    #[arg(long)]
    pub birth_date: Option<Date>,
    /// female, male, other or unknown.
    #[arg(long)]
    pub sex: Option<Sex>,
    /// A+, A-, B+, B-, AB+, AB-, O+ or O-.
    #[arg(long, allow_hyphen_values = true)]
    pub blood_group: Option<BloodGroup>,
    /// Who to call in an emergency.
    #[arg(long)]
    pub emergency_name: Option<String>,
    /// Their phone number.
    #[arg(long)]
    pub emergency_phone: Option<String>,
    /// Who they are to you.
    #[arg(long)]
    pub emergency_relationship: Option<String>,
    /// Your advance directives, or where to find them.
    #[arg(long)]
    pub advance_directives: Option<String>,
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// The file to add.
    pub file: PathBuf,
    /// Its title [default: the file name].
    #[arg(long)]
    pub title: Option<String>,
    /// report, prescription, imaging, letter or other.
    #[arg(long = "type", default_value = "other")]
    pub doc_type: DocType,
    /// The document's date [default: now].
    #[arg(long)]
    pub date: Option<DateTime>,
    #[command(flatten)]
    pub patient: PatientArg,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only this section.
    #[arg(long)]
    pub section: Option<SectionId>,
    /// Only entries dated on or after this day (YYYY-MM-DD): the day of the event (a
    /// measurement, an onset, a start...), else the day it was written.
    #[arg(long)]
    pub since: Option<Date>,
    /// Only entries dated on or before this day (YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<Date>,
    /// At most this many lines (the newest of each section first).
    #[arg(long, short = 'n')]
    pub limit: Option<usize>,
    /// List every day block of a series (a glucose sensor's readings...) instead of one
    /// summary line per series (kind, readings, first and last day, latest value).
    #[arg(long, visible_alias = "all")]
    pub days: bool,
    #[command(flatten)]
    pub patient: PatientArg,
}

#[derive(Args, Debug)]
pub struct TimelineArgs {
    /// List every day block of a series instead of one summary line per series.
    #[arg(long, visible_alias = "all")]
    pub days: bool,
    #[command(flatten)]
    pub patient: PatientArg,
}

#[derive(Args, Debug)]
pub struct IdArg {
    /// The entry id, as `carnet list` shows it, or its first 4 or more characters.
    #[arg(value_parser = parse_id_prefix)]
    pub id: String,
    #[command(flatten)]
    pub patient: PatientArg,
}

#[derive(Args, Debug)]
pub struct EditArgs {
    /// The entry id, or its first 4 or more characters.
    #[arg(value_parser = parse_id_prefix)]
    pub id: String,
    /// FIELD=VALUE to set (repeatable).
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// FIELD to clear (repeatable).
    #[arg(long = "unset", value_name = "FIELD")]
    pub unset: Vec<String>,
    /// Store a value that is unusual for its kind (it is marked as confirmed).
    #[arg(long)]
    pub confirm_unusual: bool,
    #[command(flatten)]
    pub patient: PatientArg,
}

#[derive(Args, Debug)]
pub struct GetAttachmentArgs {
    /// The document entry id, or its first 4 or more characters.
    #[arg(value_parser = parse_id_prefix)]
    pub id: String,
    /// Where to write the decrypted file (must not exist).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub patient: PatientArg,
}

/// `carnet list | head` closes the pipe early: print what fits, then stop quietly as other
/// Unix tools do (status 141, death by SIGPIPE), instead of panicking. Rust ignores
/// SIGPIPE, so a closed stdout surfaces as a panic inside `println!`.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// An example for each command, shown at the end of its `--help` (and in its manual
/// page). A test checks that every visible command has one.
const EXAMPLES: &[(&str, &str)] = &[
    ("init", "carnet init --name \"Alice Martin\""),
    ("whoami", "carnet whoami"),
    (
        "add",
        "carnet add allergy --substance Penicillin --criticality high",
    ),
    (
        "add allergy",
        "carnet add allergy --substance Penicillin --criticality high --reaction hives",
    ),
    (
        "add condition",
        "carnet add condition --name \"Type 2 diabetes\" --code icd10:E11 --onset 2019",
    ),
    (
        "add medication",
        "carnet add medication --name Metformin --dosage \"500 mg twice a day\" --start 2019-05-01",
    ),
    (
        "add immunization",
        "carnet add immunization --vaccine \"Influenza, seasonal\" --date 2025-10-15",
    ),
    (
        "add measurement",
        "carnet add measurement --kind blood-pressure --value 120/80 --unit mmHg",
    ),
    (
        "add note",
        "carnet add note --title \"After the visit\" --text \"Walk 30 minutes a day\"",
    ),
    (
        "add profile",
        "carnet add profile --name \"Alice Martin\" --birth-date 1984-03-02 --blood-group O+",
    ),
    ("add none-known", "carnet add none-known allergies"),
    (
        "attach",
        "carnet attach blood-test.pdf --type report --title \"Blood test, March\"",
    ),
    (
        "list",
        "carnet list --section measurements --since 2025-01-01 -n 20",
    ),
    ("show", "carnet show 7hq2"),
    ("history", "carnet history 7hq2"),
    ("edit", "carnet edit 7hq2 --set dosage=\"1000 mg a day\""),
    ("remove", "carnet remove 7hq2"),
    (
        "get-attachment",
        "carnet get-attachment 7hq2 --out blood-test.pdf",
    ),
    ("timeline", "carnet timeline --patient Alice"),
    (
        "contact",
        "carnet contact add \"Dr Martin\" carnet-card1:...",
    ),
    (
        "contact add",
        "carnet contact add \"Dr Martin\" carnet-card1:...",
    ),
    ("contact list", "carnet contact list"),
    (
        "grant",
        "carnet grant \"Dr Martin\" --sections allergies,medications --access read --purpose \"GP follow-up\" --until 2026-12-31",
    ),
    ("revoke", "carnet revoke k3x9w2m4p7q8rt"),
    ("block", "carnet block \"Dr Martin\""),
    ("grants", "carnet grants"),
    ("log", "carnet log"),
    (
        "share",
        "carnet share export --to \"Dr Martin\" --out for-dr-martin.carnet",
    ),
    (
        "share export",
        "carnet share export --to \"Dr Martin\" --out for-dr-martin.carnet",
    ),
    ("share import", "carnet share import from-alice.carnet"),
    ("share inspect", "carnet share inspect from-alice.carnet"),
    ("patients", "carnet patients"),
    ("serve", "carnet serve --bind 0.0.0.0:7777"),
    ("sync", "carnet sync \"Dr Martin\" --watch"),
    ("config", "carnet config set relay on"),
    ("config show", "carnet config show"),
    ("config set", "carnet config set relay on"),
    (
        "backup",
        "carnet backup --out /media/usb/carnet-2025-11.backup",
    ),
    (
        "restore",
        "carnet --vault ~/carnet-new restore /media/usb/carnet-2025-11.backup",
    ),
    ("device", "carnet device list"),
    ("device list", "carnet device list"),
    ("device remove", "carnet device remove 4f2a"),
    ("device rekey", "carnet device rekey"),
    (
        "device link",
        "carnet device link   (then, on the new device: carnet --vault ~/carnet device link)",
    ),
    ("recovery", "carnet recovery verify"),
    ("recovery verify", "carnet recovery verify"),
    (
        "recovery split",
        "carnet recovery split --threshold 2 --to Bob --to Carol --to Dan --out shares/",
    ),
    (
        "recovery release",
        "carnet recovery release recovery-share-for-bob.carnet",
    ),
    ("audit", "carnet audit export --out consent-log.json"),
    ("audit export", "carnet audit export --out consent-log.json"),
    (
        "audit verify",
        "carnet audit verify consent-log.json --patient ID --since-checkpoint last-verify.json",
    ),
    (
        "audit witness",
        "carnet audit witness --patient Alice --out alice-checkpoint.json",
    ),
    ("repair", "carnet repair"),
    ("passphrase", "carnet passphrase"),
    ("demo", "carnet demo"),
    ("unlock", "carnet unlock --timeout 30m"),
    ("lock", "carnet lock"),
    (
        "completions",
        "carnet completions bash > ~/.local/share/bash-completion/completions/carnet",
    ),
    ("man", "carnet man --out ~/.local/share/man/man1"),
    (
        "import",
        "carnet import csv libreview.csv --format libre --tz Europe/Paris",
    ),
    ("import fhir", "carnet import fhir discharge-summary.json"),
    (
        "import csv",
        "carnet import csv clarity-export.csv --format dexcom --tz Europe/Paris",
    ),
    ("export", "carnet export ips --out summary.json"),
    (
        "export fhir",
        "carnet export fhir --sections allergies,medications --out for-hospital.json",
    ),
    ("export ips", "carnet export ips --out summary.json"),
    ("chart", "carnet chart glucose --days 14 --out glucose.svg"),
    ("report", "carnet report --out summary.html"),
    (
        "mailbox",
        "carnet mailbox serve --store /srv/carnet-mailbox",
    ),
    (
        "mailbox serve",
        "carnet mailbox serve --store /srv/carnet-mailbox --bind 0.0.0.0:7778 --recipient-items 500 --expire-days 14",
    ),
    (
        "mailbox allow",
        "carnet mailbox allow carnet-card1:... --store /srv/carnet-mailbox",
    ),
    (
        "mailbox deposit",
        "carnet mailbox deposit Alice --at carnet-mailbox1:...",
    ),
    (
        "mailbox collect",
        "carnet mailbox collect --at carnet-mailbox1:...",
    ),
    ("mailbox use", "carnet mailbox use carnet-mailbox1:..."),
];

/// What the exit status says, at the end of `carnet --help` (README, "Exit codes").
const EXIT_CODES: &str = "Exit codes:
  0  success
  1  failure (a damaged vault, a full disk...)
  2  usage: a wrong command, option or value (nothing was done)
  3  wrong or missing passphrase (nothing was changed)
  4  refused input: an invalid value, a file that is not what it should be, an output
     that exists (nothing was changed)
  5  a peer could not be reached, or the link failed
  6  not found: no vault, no such entry, contact or patient
141  the output was closed early (`carnet list | head`)";

/// The command line as clap sees it, with an example in every command's help and the
/// exit codes in the main one.
pub fn cli_command() -> clap::Command {
    fn add_examples(cmd: clap::Command, path: &str) -> clap::Command {
        let mut cmd = cmd;
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        for name in names {
            let sub_path = if path.is_empty() {
                name.clone()
            } else {
                format!("{path} {name}")
            };
            cmd = cmd.mut_subcommand(&name, |sub| {
                let sub = add_examples(sub, &sub_path);
                match EXAMPLES.iter().find(|(p, _)| *p == sub_path) {
                    Some((_, example)) => sub.after_help(format!("Example:\n  {example}")),
                    None => sub,
                }
            });
        }
        cmd
    }
    add_examples(<Cli as clap::CommandFactory>::command(), "").after_help(EXIT_CODES)
}

fn main() -> ExitCode {
    let hardened = harden::no_core_dumps();
    quiet_on_closed_pipe();
    // The language is needed before parsing, for --help: `--lang X` or `--lang=X` as
    // given, else the locale.
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let flag = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--lang=")
            .map(str::to_string)
            .or_else(|| (a == "--lang").then(|| args.get(i + 1).cloned()).flatten())
    });
    if let Err(e) = hardened {
        let lang = i18n::Lang::choose(flag.as_deref());
        eprintln!(
            "{}",
            i18n::message_in(
                lang,
                "harden-failed",
                &[("why", fluent_bundle::FluentValue::from(e.to_string()))]
            )
        );
    }
    let command = match i18n::Lang::choose(flag.as_deref()) {
        i18n::Lang::Fr => {
            let mut cmd = help_fr::french(cli_command());
            cmd.build();
            help_fr::french_help_command(cmd)
        }
        i18n::Lang::En => cli_command(),
    };
    let parsed = command
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // With --json anywhere on the line, a usage error is JSON too (scripts parse
            // stderr as JSON); help and version are not errors.
            let asked_json = std::env::args_os().any(|a| a == "--json");
            let lang = i18n::Lang::choose(flag.as_deref());
            if !asked_json && e.use_stderr() && lang == i18n::Lang::Fr {
                i18n::set(lang);
                if let Some(text) = usage_fr::french(&e) {
                    eprint!("{text}");
                    return ExitCode::from(2);
                }
            }
            if asked_json && e.use_stderr() {
                let v = serde_json::json!({
                    "error": e.to_string().trim_end(),
                    "kind": "usage",
                });
                eprintln!("{v}");
                return ExitCode::from(2);
            }
            e.exit();
        }
    };
    i18n::set(i18n::Lang::choose(cli.lang.as_deref()));
    let json = cli.json;
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(json, &e);
            ExitCode::from(errors::kind(&e).code())
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every command people can see has an example at the end of its help.
    #[test]
    fn every_visible_command_has_an_example() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                let p = format!("{path} {}", sub.get_name()).trim().to_string();
                if sub.get_name() != "help"
                    && !sub
                        .get_after_help()
                        .is_some_and(|h| h.to_string().starts_with("Example:\n  carnet "))
                {
                    missing.push(p.clone());
                }
                walk(sub, &p, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::cli_command(), "", &mut missing);
        assert!(missing.is_empty(), "no example for: {missing:?}");
        for (path, _) in super::EXAMPLES {
            let mut cmd = super::cli_command();
            for part in path.split(' ') {
                cmd = cmd
                    .find_subcommand(part)
                    .unwrap_or_else(|| panic!("an example for {path}, which does not exist"))
                    .clone();
            }
        }
    }
}
