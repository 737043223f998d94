//! The auditor's view: an export holding the consent log, its checkpoints and identity
//! cards (no health data), and the offline verification of everything it claims.

use std::collections::{BTreeMap, BTreeSet};

use carnet_crypto::{IdentityCard, PersonId, RecordId};
use data_encoding::BASE64;
use serde::{Deserialize, Serialize};

use crate::{Access, Action, ConsentError, ConsentLog, GrantId, SectionTag, SignedEntry};

/// The largest export `verify` reads (bytes of JSON): 64 MiB, some 100,000 entries or more
/// (an entry is 250 to 1,000 bytes of base64; key deliveries and exchanges, the most
/// frequent, about 300).
pub const MAX_EXPORT_BYTES: usize = 64 * 1024 * 1024;

/// What an auditor receives: no health data, no section names, no purposes in clear.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditExport {
    /// Format marker, `carnet-audit/1`.
    pub format: String,
    /// The record (base32).
    pub record: String,
    /// The patient's identity card.
    pub patient_card: String,
    /// Every signed entry, base64 of its canonical bytes, in order.
    pub entries: Vec<String>,
    /// Signed checkpoints (C2SP signed notes), oldest first; the last covers the log.
    pub checkpoints: Vec<String>,
    /// The newest checkpoint each witness (grantee) cosigned, as the patient collected
    /// them (absent in exports made before witnesses).
    #[serde(default)]
    pub witnesses: Vec<WitnessNote>,
}

/// A witness's cosigned checkpoint, with its card (so the auditor can name it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessNote {
    /// The witness's identity card.
    pub witness_card: String,
    /// The cosigned note ([`crate::Cosigned::note`]).
    pub note: String,
}

/// What verification found of one witness: the newest size it cosigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WitnessSeen {
    /// The witness.
    pub witness: PersonId,
    /// The name on its card (its own choice).
    pub name: String,
    /// The newest log size it cosigned.
    pub size: u64,
    /// When it cosigned that (its own clock, Unix seconds).
    pub time: u64,
}

impl AuditExport {
    /// The export of a whole log with its latest checkpoints.
    pub fn new(log: &ConsentLog, patient_card: &IdentityCard, checkpoints: Vec<String>) -> Self {
        AuditExport {
            format: "carnet-audit/1".into(),
            record: log.record().to_string(),
            patient_card: patient_card.to_text(),
            entries: log
                .entries()
                .iter()
                .map(|e| BASE64.encode(e.as_bytes()))
                .collect(),
            checkpoints,
            witnesses: Vec::new(),
        }
    }

    /// Reads an export from JSON text.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ConsentError> {
        if bytes.len() > MAX_EXPORT_BYTES {
            return Err(ConsentError::Malformed {
                what: "audit export",
                detail: format!("{} bytes, at most {MAX_EXPORT_BYTES}", bytes.len()),
            });
        }
        let export: AuditExport =
            serde_json::from_slice(bytes).map_err(|e| ConsentError::Malformed {
                what: "audit export",
                detail: e.to_string(),
            })?;
        if export.format != "carnet-audit/1" {
            return Err(ConsentError::Malformed {
                what: "audit export",
                detail: format!("format \"{}\" is not carnet-audit/1", export.format),
            });
        }
        Ok(export)
    }

    /// The export as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// What verification found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// True only when every check held.
    pub ok: bool,
    /// Entries read (all of them when ok).
    pub entries: u64,
    /// Checkpoints verified.
    pub checkpoints: usize,
    /// The first failure, naming the entry or checkpoint and why.
    pub first_error: Option<String>,
}

/// What the auditor knows from outside the file, to check the log against. Everything in
/// the file is under the control of whoever made it; only these come from the auditor.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pins<'a> {
    /// The patient whose log it must be: their person id, learned from them through a
    /// channel the auditor trusts. The log's card and every signature must be theirs.
    /// Without it, verification shows only that the log is self-consistent, not whose it is.
    pub patient: Option<PersonId>,
    /// A signed checkpoint the auditor kept from before: the log must extend it (no entry
    /// it covers removed or changed, not cut back below its size).
    pub since: Option<&'a str>,
    /// A log size the auditor saw before: the log must hold at least that many entries.
    pub min_size: Option<u64>,
    /// Cosigned checkpoints the auditor got from witnesses themselves (not through the
    /// log's holder): the log must reach each size and agree with each root.
    pub cosigned: &'a [WitnessNote],
}

/// What verification found: the [`Report`], and whose log it is and what its newest
/// checkpoint commits to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Whether everything held, counts, and the first failure.
    pub report: Report,
    /// The record, once the patient's card was read (also when verification failed).
    pub record: Option<RecordId>,
    /// The person whose key signs the log, once the patient's card was read (also when
    /// verification failed: with a pinned patient, this says whose log it is instead).
    pub person: Option<PersonId>,
    /// The name on the genesis entry's card (the holder's own choice: it proves nothing),
    /// once the log's rules were checked.
    pub name: Option<String>,
    /// The newest checkpoint, which covers the whole log: its size (entries), its RFC 6962
    /// root hash and the signed note itself. Set only when verification succeeded.
    pub newest: Option<Newest>,
    /// The patient pinned ([`Pins::patient`]), if any.
    pub trust_root: Option<PersonId>,
    /// The size of the auditor's older checkpoint ([`Pins::since`]), once it verified.
    pub since_size: Option<u64>,
    /// Every witness whose cosignature was checked, with the newest size it cosigned.
    pub witnesses: Vec<WitnessSeen>,
    /// Takeovers in the log (a restore: from that entry on, a new key signs), oldest first.
    pub takeovers: Vec<TakeoverSeen>,
    /// Witnesses who had cosigned a branch that a takeover abandoned, and its size.
    pub superseded: Vec<SupersededSeen>,
}

/// A takeover the verified log holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakeoverSeen {
    /// Its index: the entries before it were signed by the earlier key.
    pub index: u64,
    /// When (the entry's time, Unix seconds).
    pub time: u64,
    /// The other branch the restore said it learned, if it named one.
    pub forked: Option<crate::Branch>,
}

/// A witness that cosigned a branch abandoned at a takeover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupersededSeen {
    /// The witness.
    pub witness: PersonId,
    /// The name on its card.
    pub name: String,
    /// The size of the abandoned branch it cosigned.
    pub size: u64,
    /// The index of the takeover that abandoned it.
    pub takeover: u64,
}

/// The newest checkpoint of a verified log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Newest {
    /// Entries it covers: the whole log.
    pub size: u64,
    /// Its RFC 6962 Merkle root.
    pub root: [u8; 32],
    /// The C2SP signed note, as in the export: what to keep and pass as [`Pins::since`] next
    /// time.
    pub note: String,
}

struct GrantState {
    grantee: PersonId,
    sections: BTreeSet<SectionTag>,
    access: Access,
    not_before: u64,
    not_after: Option<u64>,
    revoked: bool,
}

/// Replays the consent rules over a log: every key delivery and every served or received
/// batch must fall inside a grant valid at that time (not revoked, not expired, grantee not
/// blocked, right sections, write access for received changes).
fn check_rules(log: &ConsentLog) -> Result<(), ConsentError> {
    let mut grants: BTreeMap<GrantId, GrantState> = BTreeMap::new();
    let mut blocked: BTreeSet<PersonId> = BTreeSet::new();
    let mut epochs: BTreeMap<SectionTag, u32> = BTreeMap::new();
    let mut devices: BTreeSet<carnet_crypto::DeviceId> = BTreeSet::new();
    for signed in log.entries() {
        let e = signed.entry();
        let index = e.index;
        let bad = |why: String| ConsentError::BadEntry {
            index,
            why: format!("{}: {why}", e.action.name()),
        };
        let valid = |g: &GrantState| {
            !g.revoked
                && e.time >= g.not_before
                && g.not_after.is_none_or(|t| e.time <= t)
                && !blocked.contains(&g.grantee)
        };
        match &e.action {
            Action::Genesis { patient_card } => {
                let card = IdentityCard::from_text(patient_card).map_err(|x| bad(x.to_string()))?;
                if card.person_id() != *log.patient()
                    || RecordId::of_patient(&card.person_id()) != *log.record()
                {
                    return Err(bad("the card is not the record owner's".into()));
                }
            }
            Action::Grant {
                grant,
                grantee,
                grantee_card,
                sections,
                access,
                not_before,
                not_after,
                ..
            } => {
                let card = IdentityCard::from_text(grantee_card)
                    .map_err(|x| bad(format!("grantee card: {x}")))?;
                if card.person_id() != *grantee {
                    return Err(bad("the grantee's card names someone else".into()));
                }
                if grants.contains_key(grant) {
                    return Err(bad(format!("grant {grant} is granted twice")));
                }
                if blocked.contains(grantee) {
                    return Err(bad("the grantee is blocked".into()));
                }
                if not_after.is_some_and(|t| t < *not_before) {
                    return Err(bad("it ends before it begins".into()));
                }
                grants.insert(
                    *grant,
                    GrantState {
                        grantee: *grantee,
                        sections: sections.iter().copied().collect(),
                        access: *access,
                        not_before: *not_before,
                        not_after: *not_after,
                        revoked: false,
                    },
                );
            }
            Action::Revoke { grant } => {
                let g = grants
                    .get_mut(grant)
                    .ok_or_else(|| bad(format!("grant {grant} does not exist")))?;
                if g.revoked {
                    return Err(bad(format!("grant {grant} was already revoked")));
                }
                g.revoked = true;
            }
            Action::Block { person } => {
                blocked.insert(*person);
            }
            Action::EpochRotation { section, epoch } => {
                let cur = epochs.entry(*section).or_insert(0);
                if *epoch != *cur + 1 {
                    return Err(bad(format!("epoch {epoch} does not follow epoch {cur}")));
                }
                *cur = *epoch;
            }
            Action::KeyDelivery {
                grant,
                grantee,
                section,
                epoch,
            } => {
                let g = grants
                    .get(grant)
                    .ok_or_else(|| bad(format!("grant {grant} does not exist")))?;
                if g.grantee != *grantee {
                    return Err(bad(format!("grant {grant} is not for this person")));
                }
                if !valid(g) {
                    return Err(bad(format!(
                        "grant {grant} is not valid at this time (revoked, expired, not yet valid, or grantee blocked)"
                    )));
                }
                if !g.sections.contains(section) {
                    return Err(bad(format!("the section is not covered by grant {grant}")));
                }
                if *epoch != epochs.get(section).copied().unwrap_or(0) {
                    return Err(bad(
                        "it delivers a key other than the section's current epoch".into(),
                    ));
                }
            }
            // Checked as the log was read (the root's own proof, once).
            Action::RootDeclared { .. } => {}
            // The restored device keeps the log from here; the devices of the branch before
            // stay listed until removed.
            Action::Takeover { device, .. } => {
                if !devices.insert(*device) {
                    return Err(bad("the device was already added".into()));
                }
            }
            Action::DeviceAdded { device, .. } | Action::DeviceCertified { device, .. } => {
                if !devices.insert(*device) {
                    return Err(bad("the device was added twice".into()));
                }
            }
            Action::DeviceRemoved { device, .. } | Action::DeviceRetired { device, .. } => {
                if !devices.remove(device) {
                    return Err(bad(
                        "it removes a device that was never added or is already removed".into(),
                    ));
                }
            }
            Action::Served { to, ranges }
            | Action::Written { to, ranges }
            | Action::Deposited { to, ranges, .. }
            | Action::Received { from: to, ranges } => {
                let need_write = matches!(e.action, Action::Received { .. });
                if ranges.is_empty() {
                    return Err(bad("it names no envelope range".into()));
                }
                for r in ranges {
                    // What is served must be readable by its recipient; what is received
                    // must have been written by someone allowed to write it, whoever
                    // carried it. Changes the patient wrote need no grant.
                    let who = if need_write { &r.author } else { to };
                    if need_write && *who == *log.patient() {
                        continue;
                    }
                    let covered = grants.values().any(|g| {
                        g.grantee == *who
                            && valid(g)
                            && g.sections.contains(&r.section)
                            && (!need_write || g.access == Access::Write)
                    });
                    if !covered {
                        return Err(bad(format!(
                            "no valid {} grant covers this section for {} at this time",
                            if need_write { "write" } else { "read" },
                            if need_write {
                                "the envelopes' author"
                            } else {
                                "this person"
                            }
                        )));
                    }
                    if r.from == 0 || r.to < r.from {
                        return Err(bad("an envelope range is empty or inverted".into()));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Verifies an export offline: every entry's signature and canonical form, the hash chain,
/// the genesis binding to the patient's card, the consent rules, every checkpoint's
/// signature and its consistency with the log, and, given an older checkpoint the auditor
/// kept, that the log extends it (no history rewritten since). Trusts the card inside the
/// export: see [`verify_with`] to say whose log it must be.
pub fn verify(export: &AuditExport, since: Option<&str>) -> Report {
    verify_with(
        export,
        &Pins {
            since,
            ..Pins::default()
        },
    )
    .report
}

/// Verifies an export as [`verify`] does, against what the auditor knows from outside it
/// ([`Pins`]): whose log it must be (checked before anything else, so a log of someone
/// else is named as such), a checkpoint it must extend and a size it must reach (so a log
/// cut back to an earlier state fails).
pub fn verify_with(export: &AuditExport, pins: &Pins<'_>) -> Verification {
    let mut v = Verification {
        report: Report {
            ok: false,
            entries: 0,
            checkpoints: 0,
            first_error: None,
        },
        record: None,
        person: None,
        name: None,
        newest: None,
        trust_root: pins.patient,
        since_size: None,
        witnesses: Vec::new(),
        takeovers: Vec::new(),
        superseded: Vec::new(),
    };
    let result = check(export, pins, &mut v);
    match result {
        Ok(()) => v.report.ok = true,
        Err(e) => {
            v.newest = None;
            v.report.first_error = Some(e.to_string());
        }
    }
    v
}

fn check(export: &AuditExport, pins: &Pins<'_>, v: &mut Verification) -> Result<(), ConsentError> {
    let card =
        IdentityCard::from_text(&export.patient_card).map_err(|e| ConsentError::Malformed {
            what: "patient card",
            detail: e.to_string(),
        })?;
    let patient = card.person_id();
    let record = RecordId::of_patient(&patient);
    v.person = Some(patient);
    v.record = Some(record);
    // The trust root first: the log below is checked against this card's key, so the card
    // must be the named patient's, whatever name it bears.
    if let Some(expected) = pins.patient
        && expected != patient
    {
        return Err(ConsentError::NotThePatient {
            expected,
            found: patient,
            name: card.name().to_string(),
        });
    }
    if export.record != record.to_string() {
        return Err(ConsentError::Malformed {
            what: "audit export",
            detail: "its record is not the patient's".into(),
        });
    }
    let mut log = ConsentLog::new(record, patient);
    let mut decoded = Vec::with_capacity(export.entries.len());
    let mut undecodable = None;
    for (i, b64) in export.entries.iter().enumerate() {
        let signed = BASE64
            .decode(b64.as_bytes())
            .map_err(|_| ConsentError::BadEntry {
                index: i as u64,
                why: "not base64".into(),
            })
            .and_then(|bytes| {
                SignedEntry::from_bytes(&bytes).map_err(|e| ConsentError::BadEntry {
                    index: i as u64,
                    why: e.to_string(),
                })
            });
        match signed {
            Ok(s) => decoded.push(s),
            Err(e) => {
                undecodable = Some(e);
                break;
            }
        }
    }
    // Every signature at once (in batches, on every core), with the decisions and the
    // first error reading them one by one would give.
    let read = log.extend_verified(decoded);
    v.report.entries = log.len();
    read?;
    if let Some(e) = undecodable {
        return Err(e);
    }
    if log.is_empty() {
        return Err(ConsentError::BadEntry {
            index: 0,
            why: "the log is empty: no genesis".into(),
        });
    }
    check_rules(&log)?;
    v.takeovers = log
        .takeovers()
        .map(|t| TakeoverSeen {
            index: t.entry().index,
            time: t.entry().time,
            forked: match &t.entry().action {
                Action::Takeover { forked, .. } => *forked,
                _ => None,
            },
        })
        .collect();
    // The rules checked the genesis card names the patient; its name is the one to show.
    if let Action::Genesis { patient_card } = &log.entries()[0].entry().action {
        let genesis =
            IdentityCard::from_text(patient_card).map_err(|e| ConsentError::BadEntry {
                index: 0,
                why: e.to_string(),
            })?;
        v.name = Some(genesis.name().to_string());
    }
    if export.checkpoints.is_empty() {
        return Err(ConsentError::BadCheckpoint {
            size: 0,
            why: "the export holds no checkpoint".into(),
        });
    }
    let mut last = 0;
    let mut newest = "";
    for cp in &export.checkpoints {
        let size = log.check_checkpoint(cp)?;
        newest = cp;
        if size < last {
            return Err(ConsentError::BadCheckpoint {
                size,
                why: "checkpoints are out of order".into(),
            });
        }
        last = size;
        v.report.checkpoints += 1;
    }
    if last != log.len() {
        return Err(ConsentError::BadCheckpoint {
            size: last,
            why: format!(
                "the newest checkpoint covers {last} of {} entries",
                log.len()
            ),
        });
    }
    v.newest = Some(Newest {
        size: last,
        root: log.root(last)?,
        note: newest.to_string(),
    });
    if let Some(seen) = pins.min_size
        && log.len() < seen
    {
        return Err(ConsentError::CutBack {
            size: log.len(),
            seen,
            what: "the size you pinned",
        });
    }
    if let Some(old) = pins.since {
        let older = |e: ConsentError| match e {
            ConsentError::BadCheckpoint { size, why } => ConsentError::BadCheckpoint {
                size,
                why: format!("your older checkpoint: {why}"),
            },
            other => other,
        };
        let cp = crate::log::verify_checkpoint_by(old, &record, log.signers()).map_err(older)?;
        if cp.size() > log.len() {
            return Err(ConsentError::CutBack {
                size: log.len(),
                seen: cp.size(),
                what: "your older checkpoint",
            });
        }
        log.check_checkpoint(old).map_err(older)?;
        v.since_size = Some(cp.size());
        v.report.checkpoints += 1;
    }
    check_witnesses(&log, export.witnesses.iter().chain(pins.cosigned.iter()), v)
}

/// Checks every witness's cosignature and that the log agrees with what each saw: at
/// least as long as the size it cosigned, with the same root at that size.
fn check_witnesses<'a>(
    log: &ConsentLog,
    notes: impl Iterator<Item = &'a WitnessNote>,
    v: &mut Verification,
) -> Result<(), ConsentError> {
    let record = *log.record();
    for n in notes {
        let card =
            IdentityCard::from_text(&n.witness_card).map_err(|e| ConsentError::Malformed {
                what: "witness card",
                detail: e.to_string(),
            })?;
        let name = card.name().to_string();
        let seen = crate::Cosigned {
            witness: card.person_id(),
            note: n.note.clone(),
        }
        .check_signers(&record, log.signers())
        .map_err(|e| ConsentError::BadCheckpoint {
            size: 0,
            why: format!(
                "the cosignature of witness {name} ({}): {e}",
                card.person_id().short()
            ),
        })?;
        // A branch the patient's root abandoned at a takeover (the restored device's
        // log continues from an older point): reported, not a fork, since the takeover
        // itself is in the log for every reader to see.
        // A takeover's branch leaves the other at the takeover, or at the root declaration
        // right before it (made by the same restore, for a record made before roots).
        let abandoned = log
            .takeovers()
            .map(|t| {
                let at = t.entry().index;
                match at
                    .checked_sub(1)
                    .and_then(|i| log.entries().get(i as usize))
                {
                    Some(e) if matches!(e.entry().action, Action::RootDeclared { .. }) => at - 1,
                    _ => at,
                }
            })
            .filter(|at| seen.size > *at)
            .last();
        if let Some(at) = abandoned
            && (seen.superseded || seen.size > log.len() || log.root(seen.size)? != seen.root)
        {
            if !v
                .superseded
                .iter()
                .any(|s| s.witness == card.person_id() && s.size >= seen.size)
            {
                v.superseded.retain(|s| s.witness != card.person_id());
                v.superseded.push(SupersededSeen {
                    witness: card.person_id(),
                    name: name.clone(),
                    size: seen.size,
                    takeover: at,
                });
            }
            continue;
        }
        if seen.size > log.len() {
            return Err(ConsentError::CutBack {
                size: log.len(),
                seen: seen.size,
                what: "a checkpoint a witness cosigned",
            });
        }
        if log.root(seen.size)? != seen.root {
            return Err(ConsentError::BadCheckpoint {
                size: seen.size,
                why: format!(
                    "witness {name} ({}) cosigned another log at this size: this log is a branch that conflicts with what they saw (a fork)",
                    card.person_id().short()
                ),
            });
        }
        match v
            .witnesses
            .iter_mut()
            .find(|w| w.witness == card.person_id())
        {
            Some(w) if w.size >= seen.size => {}
            Some(w) => {
                w.size = seen.size;
                w.time = seen.time;
            }
            None => v.witnesses.push(WitnessSeen {
                witness: card.person_id(),
                name,
                size: seen.size,
                time: seen.time,
            }),
        }
    }
    Ok(())
}
