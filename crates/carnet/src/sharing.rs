//! Sharing: contacts, grants, revocation, blocking, key grants and the consent log.
//!
//! Every operation here is one write transaction that appends to the record's consent log
//! (read inside the transaction, so two processes never append at the same index) together
//! with whatever it implies: key grants for a grant, new epoch keys and re-deliveries for
//! a revoke or a block.

use std::collections::BTreeSet;
use std::sync::Arc;

use carnet_consent::{
    Access, Action, AuditExport, ConsentLog, GrantId, LogTail, SectionTag, SignedEntry,
};
use carnet_crypto::{EpochKey, IdentityCard, KeyGrant, KeyGrantHeader, PersonId, RecordId, Role};
use carnet_record::SectionId;
use carnet_store::WriteTxn;
use serde::{Deserialize, Serialize};

use crate::error::{Damage, SharingError};
use crate::vault::now_unix;
use crate::{Error, Result, Vault};

/// Someone in the address book.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Contact {
    /// The name the owner gave them (unique, case-insensitive).
    pub name: String,
    /// Their identity card, text form.
    pub card: String,
    /// Their person id.
    pub id: PersonId,
    /// Their stated role.
    #[serde(with = "crate::vault::role_text")]
    pub role: Role,
}

/// A grant as the patient sees it (purpose and sections in clear: this stays in the vault).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GrantInfo {
    /// The grant's id.
    pub id: GrantId,
    /// The contact it was made to.
    pub contact: String,
    /// Their person id.
    pub grantee: PersonId,
    /// Their card when the grant was made.
    pub grantee_card: String,
    /// Sections covered.
    pub sections: Vec<SectionId>,
    /// Read or write.
    pub access: Access,
    /// Why.
    pub purpose: String,
    /// Valid from (Unix seconds).
    pub not_before: u64,
    /// Valid until (Unix seconds).
    pub not_after: Option<u64>,
    /// Whether it was revoked (or ended by a block or its end date).
    pub revoked: bool,
    /// Whether it ended because its end date passed (rather than by a revoke or a block).
    pub expired: bool,
}

impl GrantInfo {
    /// Whether the grant is in force at `now`.
    pub fn active(&self, now: u64) -> bool {
        !self.revoked && now >= self.not_before && self.not_after.is_none_or(|t| now <= t)
    }
}

/// One consent-log entry in plain words, for the patient.
#[derive(Clone, Debug, Serialize)]
pub struct LogLine {
    /// Position in the log.
    pub index: u64,
    /// When (Unix seconds).
    pub time: u64,
    /// What kind of entry.
    pub kind: &'static str,
    /// What happened, in words.
    pub text: String,
}

/// Where the sealed tail of a record's consent log is kept (see [`Vault::load_log`]).
pub(crate) fn tail_key(record: &RecordId) -> String {
    format!("consent-tail:{record}")
}

/// Meta row of the key that signs a record's log after a takeover (32 bytes; absent
/// before any: the patient's own key signs).
pub(crate) fn log_signer_key(record: &RecordId) -> String {
    format!("log-signer:{record}")
}

/// A stored tail, if it decodes (one that does not is ignored: the log is then verified
/// entry by entry, the strictest check).
fn log_tail(bytes: Option<zeroize::Zeroizing<Vec<u8>>>) -> Option<LogTail> {
    bytes
        .and_then(|b| postcard::from_bytes::<LogTail>(&b).ok())
        .filter(|t| t.len > 0)
}

impl Vault {
    fn read_sealed_list<T: for<'de> Deserialize<'de>>(&self, name: &'static str) -> Result<Vec<T>> {
        match self.store.read()?.get_secret_meta(name)? {
            Some(bytes) => postcard::from_bytes(&bytes).map_err(|e| Error::undecodable(name, e)),
            None => Ok(Vec::new()),
        }
    }

    fn write_sealed_list<T: Serialize>(
        txn: &mut WriteTxn<'_>,
        name: &'static str,
        list: &[T],
    ) -> Result<()> {
        let bytes =
            zeroize::Zeroizing::new(postcard::to_stdvec(list).map_err(|e| Error::encode(name, e))?);
        txn.put_secret_meta(name, &bytes)?;
        Ok(())
    }

    /// The address book.
    pub fn contacts(&self) -> Result<Vec<Contact>> {
        self.read_sealed_list("contacts")
    }

    /// Finds a contact by name (case-insensitive) or by person id.
    pub fn contact(&self, name_or_id: &str) -> Result<Contact> {
        let wanted = name_or_id.trim();
        self.contacts()?
            .into_iter()
            .find(|c| {
                c.name.eq_ignore_ascii_case(wanted)
                    || c.id.to_string() == wanted.to_ascii_lowercase()
            })
            .ok_or_else(|| {
                SharingError::NoContact {
                    name: wanted.to_string(),
                }
                .into()
            })
    }

    /// Adds a contact from their card text. Refuses an altered card, a name already
    /// used, and one's own card.
    pub fn add_contact(&self, name: &str, card_text: &str) -> Result<Contact> {
        // The address book travels from the primary device to the others: one place to
        // change it, so no device's additions are lost.
        self.require_primary()?;
        let name = name.trim();
        if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
            return Err(SharingError::BadContactName { max: 200 }.into());
        }
        let card = IdentityCard::from_text(card_text)?;
        if card.person_id() == self.person_id() {
            return Err(SharingError::OwnCard.into());
        }
        let mut txn = self.store.write()?;
        let mut list: Vec<Contact> = match txn.get_secret_meta("contacts")? {
            Some(b) => postcard::from_bytes(&b).map_err(|e| Error::undecodable("contacts", e))?,
            None => Vec::new(),
        };
        if list.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            return Err(SharingError::NameTaken {
                name: name.to_string(),
            }
            .into());
        }
        if let Some(c) = list.iter().find(|c| c.id == card.person_id()) {
            return Err(SharingError::AlreadyContact {
                name: c.name.clone(),
            }
            .into());
        }
        let contact = Contact {
            name: name.to_string(),
            card: card.to_text(),
            id: card.person_id(),
            role: card.role(),
        };
        list.push(contact.clone());
        Self::write_sealed_list(&mut txn, "contacts", &list)?;
        txn.commit()?;
        Ok(contact)
    }

    /// The grants made from this vault.
    pub fn grants(&self) -> Result<Vec<GrantInfo>> {
        self.read_sealed_list("grants")
    }

    pub(crate) fn record_salt(txn: &WriteTxn<'_>, record: &RecordId) -> Result<[u8; 32]> {
        let salt = txn
            .get_secret_meta(&format!("salt:{record}"))?
            .ok_or_else(|| Error::from(SharingError::NotYourRecord))?;
        salt.as_slice().try_into().map_err(|_| {
            Damage::Invalid {
                what: "consent salt",
            }
            .into()
        })
    }

    /// Loads a record's consent log from inside a transaction, to append to it. With the
    /// sealed tail this device keeps ([`LogTail`], written with every append), only the last
    /// entry it wrote is read (checked against the tail's hash, its signature verified) and
    /// any entry after it verified in full: O(1) in the length of the log, where verifying
    /// every entry made a revoke on a long log take half a second. Without a tail (a log
    /// never appended to on this device), every entry is verified.
    pub(crate) fn load_log(
        txn: &WriteTxn<'_>,
        record: &RecordId,
        patient: &PersonId,
    ) -> Result<ConsentLog> {
        // A tail of an empty log is never written; one that says so is ignored like any
        // tail that does not decode.
        if let Some(tail) = log_tail(txn.get_secret_meta(&tail_key(record))?)
            && let Some(last_index) = tail.len.checked_sub(1)
        {
            let mut rows = txn.consent_entries_from(record, last_index)?.into_iter();
            let last = rows
                .next()
                .ok_or_else(|| Error::from(Damage::ConsentCutShort { wrote: tail.len }))?;
            // After a takeover, the log goes on under the key it named.
            let signer = txn
                .get_meta(&log_signer_key(record))?
                .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                .map_or(*patient, PersonId);
            let mut log = ConsentLog::resume_signed_by(
                *record,
                *patient,
                signer,
                &tail,
                SignedEntry::from_bytes(&last)?,
            )?;
            for bytes in rows {
                log.push(SignedEntry::from_bytes(&bytes)?)?;
            }
            return Ok(log);
        }
        Self::whole_log(record, patient, txn.consent_entries(record)?, None)
    }

    /// A whole consent log from its stored entries: each checked (form, index, link,
    /// time); their signatures verified one by one, or, for those this device wrote
    /// before its sealed `tail`, all at once by the tail's Merkle root.
    pub(crate) fn whole_log(
        record: &RecordId,
        patient: &PersonId,
        rows: Vec<Vec<u8>>,
        tail: Option<LogTail>,
    ) -> Result<ConsentLog> {
        let entries = rows
            .iter()
            .map(|b| SignedEntry::from_bytes(b))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if let Some(tail) = tail {
            return Ok(ConsentLog::restore(*record, *patient, entries, &tail)?);
        }
        let mut log = ConsentLog::new(*record, *patient);
        for e in entries {
            log.push(e)?;
        }
        Ok(log)
    }

    /// The consent log of `record` (the owner's, for a patient).
    pub fn consent_log(&self, record: &RecordId) -> Result<ConsentLog> {
        Ok(ConsentLog::clone(&*self.shared_consent_log(record)?))
    }

    /// [`Vault::consent_log`] without copying it. The log read last is kept: when the
    /// stored log still holds its last entry at the same index, only the entries stored
    /// since are read and checked (each one's signature, link and index, as on a whole
    /// read); otherwise (the log was replaced, cut short or altered) it is read whole again.
    /// The entries before the kept last one are bound to it by their hash links, checked
    /// when they were read.
    pub(crate) fn shared_consent_log(&self, record: &RecordId) -> Result<Arc<ConsentLog>> {
        let r = self.store.read()?;
        let mut cache = self.log_cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(log) = cache.as_mut().filter(|l| l.record() == record)
            && let Some(last) = log.entries().last()
            && log.is_whole()
        {
            let mut rows = r.consent_entries_from(record, log.len() - 1)?.into_iter();
            if rows.next().as_deref() == Some(last.as_bytes()) {
                let newer: Vec<Vec<u8>> = rows.collect();
                if !newer.is_empty() {
                    let log = Arc::make_mut(log);
                    for bytes in newer {
                        log.push(SignedEntry::from_bytes(&bytes)?)?;
                    }
                }
                return Ok(log.clone());
            }
        }
        let tail = log_tail(r.get_secret_meta(&tail_key(record))?);
        let log = Arc::new(Self::whole_log(
            record,
            &self.person_id(),
            r.consent_entries(record)?,
            tail,
        )?);
        *cache = Some(log.clone());
        Ok(log)
    }

    pub(crate) fn append(
        &self,
        txn: &mut WriteTxn<'_>,
        log: &mut ConsentLog,
        action: Action,
    ) -> Result<()> {
        if !matches!(action, Action::Genesis { .. }) {
            self.require_primary()?;
        }
        let record = *log.record();
        let e = log.append(self.me().log_secret()?, action, now_unix())?;
        txn.put_consent(&record, e.entry().index, e.as_bytes())?;
        // The tail to resume from next time, in the same transaction as the entry.
        let tail = postcard::to_stdvec(&log.tail()?)
            .map_err(|e| Error::encode("the consent log tail", e))?;
        txn.put_secret_meta(&tail_key(&record), &tail)?;
        Ok(())
    }

    /// Seals the epoch keys of `section` to a grantee and logs the delivery. A new grant
    /// gets every epoch up to the current one (`all_epochs`): a grantee reads the section's
    /// history, and each change depends on the ones before it. A rotation delivers only the
    /// new epoch to grants still in force. The log's `KeyDelivery` names the newest epoch
    /// delivered: the grantee then holds every key up to it.
    pub(crate) fn deliver(
        &self,
        txn: &mut WriteTxn<'_>,
        log: &mut ConsentLog,
        salt: &[u8; 32],
        grant: &GrantInfo,
        section: SectionId,
        all_epochs: bool,
    ) -> Result<()> {
        let record = *log.record();
        let latest = txn
            .latest_epoch(&record, section.code())?
            .ok_or(Error::NoKey {
                section,
                record: record.short(),
            })?;
        let card = IdentityCard::from_text(&grant.grantee_card)?;
        let first = if all_epochs { 0 } else { latest };
        for epoch in first..=latest {
            let key = txn
                .epoch_key(&record, section.code(), epoch)?
                .ok_or(Error::NoKey {
                    section,
                    record: record.short(),
                })?;
            let kg = KeyGrant::seal(
                KeyGrantHeader {
                    record,
                    section: section.code(),
                    epoch,
                    grantee: grant.grantee,
                    grant: grant.id.0,
                },
                &key,
                &card,
                self.me().log_secret()?,
            )?;
            txn.put_key_grant(
                &record,
                &grant.grantee,
                section.code(),
                epoch,
                &grant.id.0,
                kg.as_bytes(),
            )?;
        }
        self.append(
            txn,
            log,
            Action::KeyDelivery {
                grant: grant.id,
                grantee: grant.grantee,
                section: SectionTag::commit(salt, section.code()),
                epoch: latest,
            },
        )
    }

    /// Moves `section` to a new epoch and re-delivers its key to every grant still in
    /// force. O(number of grants), whatever the record's size: history is not re-encrypted.
    pub(crate) fn rotate(
        &self,
        txn: &mut WriteTxn<'_>,
        log: &mut ConsentLog,
        salt: &[u8; 32],
        grants: &[GrantInfo],
        section: SectionId,
    ) -> Result<()> {
        let record = *log.record();
        let epoch = txn.latest_epoch(&record, section.code())?.unwrap_or(0) + 1;
        txn.put_epoch_key(&record, section.code(), epoch, &EpochKey::generate()?)?;
        self.append(
            txn,
            log,
            Action::EpochRotation {
                section: SectionTag::commit(salt, section.code()),
                epoch,
            },
        )?;
        let now = now_unix();
        for g in grants
            .iter()
            .filter(|g| g.active(now) && g.sections.contains(&section))
        {
            self.deliver(txn, log, salt, g, section, false)?;
        }
        Ok(())
    }

    /// Grants `contact` access to `sections` of the owner's record, delivering the current
    /// epoch keys. Returns the new grant's id.
    pub fn grant(
        &self,
        contact: &str,
        sections: &[SectionId],
        access: Access,
        purpose: &str,
        until: Option<u64>,
    ) -> Result<GrantId> {
        let record = self.own_record()?;
        let contact = self.contact(contact)?;
        if sections.is_empty() {
            return Err(SharingError::NoSections.into());
        }
        let purpose = purpose.trim();
        if purpose.is_empty() || purpose.len() > 1000 {
            return Err(SharingError::BadPurpose { max: 1000 }.into());
        }
        let now = now_unix();
        if until.is_some_and(|t| t <= now) {
            return Err(SharingError::EndInPast.into());
        }
        let sections: Vec<SectionId> = sections
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut txn = self.store.write()?;
        let mut grants: Vec<GrantInfo> = match txn.get_secret_meta("grants")? {
            Some(b) => postcard::from_bytes(&b).map_err(|e| Error::undecodable("grants", e))?,
            None => Vec::new(),
        };
        let blocked = self.blocked_in(&txn)?;
        if blocked.contains(&contact.id) {
            return Err(SharingError::GrantToBlocked {
                name: contact.name.clone(),
            }
            .into());
        }
        let salt = Self::record_salt(&txn, &record)?;
        let mut log = Self::load_log(&txn, &record, &self.person_id())?;
        let info = GrantInfo {
            id: GrantId::random()?,
            contact: contact.name.clone(),
            grantee: contact.id,
            grantee_card: contact.card.clone(),
            sections: sections.clone(),
            access,
            purpose: purpose.to_string(),
            not_before: now,
            not_after: until,
            revoked: false,
            expired: false,
        };
        self.append(
            &mut txn,
            &mut log,
            Action::Grant {
                grant: info.id,
                grantee: info.grantee,
                grantee_card: info.grantee_card.clone(),
                sections: sections
                    .iter()
                    .map(|s| SectionTag::commit(&salt, s.code()))
                    .collect(),
                access,
                purpose: SectionTag::commit_text(&salt, purpose),
                not_before: now,
                not_after: until,
            },
        )?;
        for s in &sections {
            self.deliver(&mut txn, &mut log, &salt, &info, *s, true)?;
        }
        let id = info.id;
        grants.push(info);
        Self::write_sealed_list(&mut txn, "grants", &grants)?;
        txn.commit()?;
        Ok(id)
    }

    fn blocked_in(&self, txn: &WriteTxn<'_>) -> Result<BTreeSet<PersonId>> {
        Ok(match txn.get_secret_meta("blocked")? {
            Some(b) => postcard::from_bytes::<Vec<PersonId>>(&b)
                .map_err(|e| Error::undecodable("block list", e))?
                .into_iter()
                .collect(),
            None => BTreeSet::new(),
        })
    }

    /// Ends grants (a revoke, a block, or expiry) and rotates every section they covered.
    fn end_grants(
        &self,
        ids: &[GrantId],
        block: Option<PersonId>,
        expired: bool,
    ) -> Result<Vec<GrantInfo>> {
        let record = self.own_record()?;
        let mut txn = self.store.write()?;
        let mut grants: Vec<GrantInfo> = match txn.get_secret_meta("grants")? {
            Some(b) => postcard::from_bytes(&b).map_err(|e| Error::undecodable("grants", e))?,
            None => Vec::new(),
        };
        let salt = Self::record_salt(&txn, &record)?;
        let mut log = Self::load_log(&txn, &record, &self.person_id())?;
        if let Some(person) = block {
            let mut blocked = self.blocked_in(&txn)?;
            if !blocked.insert(person) {
                return Err(SharingError::AlreadyBlocked.into());
            }
            self.append(&mut txn, &mut log, Action::Block { person })?;
            Self::write_sealed_list(
                &mut txn,
                "blocked",
                &blocked.into_iter().collect::<Vec<_>>(),
            )?;
        }
        let mut ended = Vec::new();
        let mut sections = BTreeSet::new();
        for id in ids {
            let g = grants
                .iter_mut()
                .find(|g| g.id == *id)
                .ok_or_else(|| Error::from(SharingError::NoGrant { id: id.to_string() }))?;
            if g.revoked {
                if block.is_some() {
                    continue;
                }
                return Err(SharingError::AlreadyRevoked { id: id.to_string() }.into());
            }
            g.revoked = true;
            g.expired = expired;
            self.append(&mut txn, &mut log, Action::Revoke { grant: *id })?;
            sections.extend(g.sections.iter().copied());
            ended.push(g.clone());
        }
        for s in sections {
            self.rotate(&mut txn, &mut log, &salt, &grants, s)?;
        }
        Self::write_sealed_list(&mut txn, "grants", &grants)?;
        txn.commit()?;
        Ok(ended)
    }

    /// Revokes a grant: the grantee receives no new key and no new change from now on.
    /// What they already decrypted cannot be recalled.
    pub fn revoke(&self, id: &GrantId) -> Result<GrantInfo> {
        let mut ended = self.end_grants(&[*id], None, false)?;
        ended
            .pop()
            .ok_or_else(|| SharingError::NoGrant { id: id.to_string() }.into())
    }

    /// Blocks a contact: every grant they hold ends, and nothing reaches them any more.
    pub fn block(&self, contact: &str) -> Result<Vec<GrantInfo>> {
        let c = self.contact(contact)?;
        let ids: Vec<GrantId> = self
            .grants()?
            .iter()
            .filter(|g| g.grantee == c.id && !g.revoked)
            .map(|g| g.id)
            .collect();
        self.end_grants(&ids, Some(c.id), false)
    }

    /// Ends every grant whose end date has passed, rotating the sections they covered. Runs
    /// by itself before every exchange and every change to one's own record.
    pub fn expire_grants(&self) -> Result<Vec<GrantInfo>> {
        self.expire_grants_at(now_unix())
    }

    /// Ends every grant whose end date is before `now` (Unix seconds): for an app that
    /// schedules expiry itself. Each ended grant is logged as revoked, and the sections it
    /// covered move to a new epoch whose key goes only to the grants still in force.
    pub fn expire_grants_at(&self, now: u64) -> Result<Vec<GrantInfo>> {
        let ids: Vec<GrantId> = self
            .grants()?
            .iter()
            .filter(|g| !g.revoked && g.not_after.is_some_and(|t| now > t))
            .map(|g| g.id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.end_grants(&ids, None, true)
    }

    /// The owner's consent log in plain words.
    pub fn access_log(&self) -> Result<Vec<LogLine>> {
        let record = self.own_record()?;
        let log = self.consent_log(&record)?;
        let salt = {
            let txn = self.store.write()?;
            Self::record_salt(&txn, &record)?
        };
        let names = |tag: &SectionTag| {
            SectionId::ALL
                .iter()
                .find(|s| SectionTag::commit(&salt, s.code()) == *tag)
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "an unknown section".into())
        };
        let contacts = self.contacts()?;
        let who = |p: &PersonId| {
            if *p == self.person_id() {
                return "you".to_string();
            }
            contacts
                .iter()
                .find(|c| c.id == *p)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| format!("someone ({})", p.short()))
        };
        let grants = self.grants()?;
        let purpose = |g: &GrantId| {
            grants
                .iter()
                .find(|x| x.id == *g)
                .map(|x| x.purpose.clone())
                .unwrap_or_default()
        };
        Ok(log
            .entries()
            .iter()
            .map(|s| {
                let e = s.entry();
                let text = match &e.action {
                    Action::Genesis { .. } => "Your record was created.".to_string(),
                    Action::Grant { grant, grantee, sections, access, not_after, .. } => format!(
                        "You gave {} {} access to {} for \"{}\"{} (grant {grant}).",
                        who(grantee),
                        access.as_str(),
                        sections.iter().map(names).collect::<Vec<_>>().join(", "),
                        purpose(grant),
                        not_after.map(|t| format!(", until {}", crate::vault::date_text(t))).unwrap_or_default()
                    ),
                    Action::Revoke { grant } => match grants.iter().find(|g| g.id == *grant) {
                        Some(g) if g.expired => format!(
                            "The grant of {} ({grant}) ended: its end date, {}, passed.",
                            who(&g.grantee),
                            g.not_after.map(crate::vault::date_text).unwrap_or_default()
                        ),
                        _ => format!("You revoked grant {grant}."),
                    },
                    Action::Block { person } => format!("You blocked {}.", who(person)),
                    Action::EpochRotation { section, epoch } => {
                        format!("The key of {} was changed (epoch {epoch}): earlier recipients cannot read what comes next.", names(section))
                    }
                    Action::KeyDelivery { grantee, section, epoch, .. } => {
                        format!("The key to {} (epoch {epoch}) was sealed for {}: only they can open it.", names(section), who(grantee))
                    }
                    Action::Served { to, ranges } => format!(
                        "{} received {} change(s) of {}.",
                        who(to),
                        ranges.iter().map(|r| r.to - r.from + 1).sum::<u64>(),
                        ranges.iter().map(|r| names(&r.section)).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", ")
                    ),
                    Action::Written { to, ranges } => format!(
                        "A bundle of {} change(s) of {} was written for {} (it is theirs once they import it).",
                        ranges.iter().map(|r| r.to - r.from + 1).sum::<u64>(),
                        ranges.iter().map(|r| names(&r.section)).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", "),
                        who(to)
                    ),
                    Action::Deposited { to, mailbox, ranges } => format!(
                        "A bundle of {} change(s) of {} was left for {} at mailbox {} (it is theirs once they collect it).",
                        ranges.iter().map(|r| r.to - r.from + 1).sum::<u64>(),
                        ranges.iter().map(|r| names(&r.section)).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", "),
                        who(to),
                        &data_encoding::HEXLOWER.encode(mailbox)[..12]
                    ),
                    Action::Received { from, ranges } => format!(
                        "{} added {} change(s) to {}.",
                        who(from),
                        ranges.iter().map(|r| r.to - r.from + 1).sum::<u64>(),
                        ranges.iter().map(|r| names(&r.section)).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", ")
                    ),
                    Action::DeviceAdded { device, .. }
                    | Action::DeviceCertified { device, .. } => format!(
                        "A device of yours joined ({}).",
                        &device.to_string()[..8]
                    ),
                    Action::DeviceRemoved { device, .. }
                    | Action::DeviceRetired { device, .. } => format!(
                        "You removed a device ({}): it gets nothing new.",
                        &device.to_string()[..8]
                    ),
                    Action::RootDeclared { .. } => "Your recovery phrase became the authority over your record: only it can take your record over after a loss.".to_string(),
                    Action::Takeover { device, forked, .. } => format!(
                        "Your record was restored on a new device ({}) with your recovery phrase: only it speaks for you from now on, and your earlier devices are cut off{}.",
                        &device.to_string()[..8],
                        forked.map(|b| format!("; {} entries of a later state, seen by someone you share with, were left behind", b.size)).unwrap_or_default()
                    ),
                };
                LogLine {
                    index: e.index,
                    time: e.time,
                    kind: e.action.name(),
                    text,
                }
            })
            .collect())
    }

    /// When `person`'s access to this vault's record last ended (Unix seconds): the latest
    /// revoke of a grant to them, block of them, or end date of a grant to them that has
    /// passed, as the consent log and the grants say. `None` if it never ended (or they
    /// never had one).
    pub(crate) fn access_ended(&self, person: &PersonId) -> Result<Option<u64>> {
        let Ok(record) = self.own_record() else {
            return Ok(None);
        };
        let grants = self.grants()?;
        let theirs: BTreeSet<GrantId> = grants
            .iter()
            .filter(|g| g.grantee == *person)
            .map(|g| g.id)
            .collect();
        let now = now_unix();
        let mut ended: Option<u64> = grants
            .iter()
            .filter(|g| g.grantee == *person)
            .filter_map(|g| g.not_after.filter(|t| *t < now))
            .max();
        for e in self.shared_consent_log(&record)?.entries() {
            let e = e.entry();
            let hit = match &e.action {
                Action::Revoke { grant } => theirs.contains(grant),
                Action::Block { person: p } => p == person,
                _ => false,
            };
            if hit {
                ended = Some(ended.map_or(e.time, |t| t.max(e.time)));
            }
        }
        Ok(ended)
    }

    /// The auditor's export of the owner's consent log: entries, a fresh signed
    /// checkpoint (kept, with every earlier one) and the patient's card. No health data.
    pub fn audit_export(&self) -> Result<AuditExport> {
        let record = self.own_record()?;
        let mut txn = self.store.write()?;
        let tail = log_tail(txn.get_secret_meta(&tail_key(&record))?);
        let log = Self::whole_log(
            &record,
            &self.person_id(),
            txn.consent_entries(&record)?,
            tail,
        )?;
        let mut checkpoints: Vec<String> = match txn.get_meta("checkpoints")? {
            Some(b) => {
                postcard::from_bytes(&b).map_err(|e| Error::undecodable("checkpoints", e))?
            }
            None => Vec::new(),
        };
        checkpoints.push(log.checkpoint(self.me().log_secret()?)?);
        txn.put_meta(
            "checkpoints",
            &postcard::to_stdvec(&checkpoints).map_err(|e| Error::encode("checkpoints", e))?,
        )?;
        let kept: Vec<crate::exchange::KeptCosignature> =
            match txn.get_meta(&crate::exchange::witnesses_key(&record))? {
                Some(b) => {
                    postcard::from_bytes(&b).map_err(|e| Error::undecodable("cosignatures", e))?
                }
                None => Vec::new(),
            };
        txn.commit()?;
        let mut export = AuditExport::new(&log, &self.card(), checkpoints);
        for k in kept {
            // A witness is a grantee: its card is in the grant that made it one.
            if let Some(card) = self.card_text_of(&k.witness)? {
                export.witnesses.push(carnet_consent::WitnessNote {
                    witness_card: card,
                    note: k.note,
                });
            }
        }
        Ok(export)
    }

    /// What this vault, as a witness, last cosigned of the consent log of `record` (a
    /// record shared with it): the note to hand an auditor of that log (`carnet audit
    /// witness`), with this vault's card.
    pub fn witnessed(&self, record: &RecordId) -> Result<Option<carnet_consent::WitnessNote>> {
        Ok(self
            .store
            .read()?
            .get_meta(&format!("cosigned:{record}"))?
            .map(|note| carnet_consent::WitnessNote {
                witness_card: self.card().to_text(),
                note: String::from_utf8_lossy(&note).into_owned(),
            }))
    }

    /// Key grants waiting for a grantee (delivered with the next bundle or sync).
    pub(crate) fn key_grants_for(&self, grantee: &PersonId) -> Result<Vec<Vec<u8>>> {
        let record = self.own_record()?;
        Ok(self.store.read()?.key_grants(&record, grantee)?)
    }
}
