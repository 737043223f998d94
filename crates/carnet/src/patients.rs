//! A clinician's side: the records patients shared with this vault, and finding a patient
//! or a peer by what a person would type (a name, an id, the start of an id).

use std::collections::BTreeMap;

use carnet_consent::Access;
use carnet_crypto::{IdentityCard, PersonId, RecordId};
use carnet_record::SectionId;
use serde::Serialize;

use crate::error::SharingError;
use crate::{Result, Vault};

/// A record a patient shared with this vault's owner.
#[derive(Clone, Debug, Serialize)]
pub struct SharedRecord {
    /// The patient's person id.
    pub id: PersonId,
    /// The record's id.
    pub record: RecordId,
    /// The patient's name, from their card.
    pub name: String,
    /// Sections under a grant in force, with their access.
    pub sections: BTreeMap<SectionId, Access>,
    /// Sections whose keys this vault holds (what it can still read, including sections
    /// whose grant ended: what was received cannot be recalled).
    pub readable: Vec<SectionId>,
    /// Branches of the patient's consent log this vault had seen and the patient's
    /// recovery key replaced when their record was restored (see
    /// [`Vault::superseded_branches`]): shown so the user sees both.
    pub superseded: Vec<crate::exchange::SupersededBranch>,
}

impl Vault {
    /// The records shared with this vault's owner, by patient.
    pub fn patients(&self) -> Result<Vec<SharedRecord>> {
        let mine = self.own_record().ok();
        let mut out = Vec::new();
        for record in self.store.read()?.records()? {
            if Some(record) == mine {
                continue;
            }
            let Some(patient) = self.record_owner(&record)? else {
                continue;
            };
            let name = self
                .shared_view(&record, &patient)?
                .patient_card()
                .map(|c| c.name().to_string())
                .unwrap_or_else(|| patient.short());
            out.push(SharedRecord {
                id: patient,
                record,
                name,
                sections: self.held_sections(&record)?,
                readable: self.readable_sections(&record)?,
                superseded: self.superseded_branches(&record)?,
            });
        }
        out.sort_by_key(|p| p.name.to_lowercase());
        Ok(out)
    }

    /// The record of the patient named by `query`: their name (case-insensitive), their
    /// person id or record id, or the start of either (at least 4 characters).
    pub fn find_patient(&self, query: &str) -> Result<RecordId> {
        let q = query.trim().to_lowercase();
        let all = self.patients()?;
        if all.is_empty() {
            return Err(SharingError::NoPatients.into());
        }
        // A contact's name first (the name this person chose), then the patient's own
        // name, then the start of a name, then the start of an id.
        let contact = self.contact(query).ok().map(|c| c.id);
        let tries: [&dyn Fn(&SharedRecord) -> bool; 4] = [
            &|p| Some(p.id) == contact,
            &|p| p.name.to_lowercase() == q,
            &|p| q.len() >= 3 && p.name.to_lowercase().starts_with(&q),
            &|p| {
                q.len() >= 4
                    && (p.id.to_string().starts_with(&q) || p.record.to_string().starts_with(&q))
            },
        ];
        let mut matches: Vec<&SharedRecord> = Vec::new();
        for t in tries {
            matches = all.iter().filter(|p| t(p)).collect();
            if !matches.is_empty() {
                break;
            }
        }
        match matches.as_slice() {
            [one] => Ok(one.record),
            [] => Err(SharingError::NoPatient {
                query: query.trim().to_string(),
            }
            .into()),
            _ => Err(SharingError::AmbiguousPatient {
                query: query.trim().to_string(),
            }
            .into()),
        }
    }

    /// The card of a person to exchange with, named by `query`: a contact's name, a
    /// patient who shared a record (by name), or an id (or its start, 4+ characters).
    pub fn find_peer(&self, query: &str) -> Result<IdentityCard> {
        if let Ok(c) = self.contact(query) {
            return Ok(IdentityCard::from_text(&c.card)?);
        }
        let q = query.trim().to_lowercase();
        let mut found: Vec<IdentityCard> = Vec::new();
        if let Ok(record) = self.find_patient(query) {
            for p in self.patients()? {
                if p.record == record
                    && let Some(card) = self.shared_view(&p.record, &p.id)?.patient_card()
                {
                    found.push(card);
                }
            }
        }
        if found.is_empty() && q.len() >= 4 {
            for c in self.contacts()? {
                if c.id.to_string().starts_with(&q) {
                    found.push(IdentityCard::from_text(&c.card)?);
                }
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(SharingError::NoPerson {
                query: query.trim().to_string(),
            }
            .into()),
            _ => Err(SharingError::AmbiguousPerson {
                query: query.trim().to_string(),
            }
            .into()),
        }
    }
}
