//! A long consent log, as an auditor receives it: ten years of a patient who grants, revokes
//! and syncs with a handful of clinicians at a time, with a checkpoint every 10,000 entries
//! (one per audit export).

use anyhow::Result;
use carnet::consent::{Access, Action, AuditExport, ConsentLog, GrantId, Range, SectionTag};
use carnet::crypto::{DeviceId, IdentityCard, PersonId, PersonSecret, RecordId, Role};
use carnet::record::SectionId;

use crate::data::{self, Rng};

struct Held {
    id: GrantId,
    grantee: PersonId,
    device: DeviceId,
    sections: Vec<usize>,
    write: bool,
}

/// An export of a log of about `n` entries (a grant's deliveries may add a few more).
pub fn export(n: usize) -> Result<AuditExport> {
    let mut rng = Rng::new(99);
    let patient = PersonSecret::generate()?;
    let card = IdentityCard::issue(&patient, "Camille Durand", Role::Patient, Vec::new(), 1)?;
    let record = RecordId::of_patient(&patient.person_id());
    let salt = [7u8; 32];
    let tags: Vec<SectionTag> = SectionId::ALL
        .iter()
        .map(|s| SectionTag::commit(&salt, s.code()))
        .collect();
    let me_device = DeviceId([3; 16]);
    let mut log = ConsentLog::new(record, patient.person_id());
    let mut t = data::START as u64;
    log.append(
        &patient,
        Action::Genesis {
            patient_card: card.to_text(),
        },
        t,
    )?;
    let mut active: Vec<Held> = Vec::new();
    let mut epochs = vec![0u32; tags.len()];
    let mut seq = std::collections::HashMap::<(usize, PersonId), u64>::new();
    let mut checkpoints = Vec::new();
    let mut clinician = 0;
    while (log.len() as usize) < n {
        t += 600 + rng.range(0, 6_000) as u64;
        let k = log.len() as usize;
        let near_end = k + 20 >= n;
        if !near_end && (active.len() < 3 || rng.unit() < 0.0004) {
            clinician += 1;
            let who = PersonSecret::generate()?;
            let c = IdentityCard::issue(
                &who,
                &format!("Dr Clinician {clinician}"),
                Role::Clinician,
                Vec::new(),
                1,
            )?;
            let mut sections: Vec<usize> = (0..tags.len()).filter(|_| rng.unit() < 0.5).collect();
            if sections.is_empty() {
                sections.push(5);
            }
            let write = rng.unit() < 0.4;
            let id = GrantId(rng.next_u64().to_le_bytes());
            log.append(
                &patient,
                Action::Grant {
                    grant: id,
                    grantee: who.person_id(),
                    grantee_card: c.to_text(),
                    sections: sections.iter().map(|&s| tags[s]).collect(),
                    access: if write { Access::Write } else { Access::Read },
                    purpose: SectionTag::commit_text(&salt, "care"),
                    not_before: t,
                    not_after: None,
                },
                t,
            )?;
            for &s in &sections {
                log.append(
                    &patient,
                    Action::KeyDelivery {
                        grant: id,
                        grantee: who.person_id(),
                        section: tags[s],
                        epoch: epochs[s],
                    },
                    t,
                )?;
            }
            active.push(Held {
                id,
                grantee: who.person_id(),
                device: DeviceId([clinician as u8; 16]),
                sections,
                write,
            });
        } else if !near_end && active.len() > 3 && rng.unit() < 0.0003 {
            let gone = active.remove(0);
            log.append(&patient, Action::Revoke { grant: gone.id }, t)?;
            for &s in &gone.sections {
                epochs[s] += 1;
                log.append(
                    &patient,
                    Action::EpochRotation {
                        section: tags[s],
                        epoch: epochs[s],
                    },
                    t,
                )?;
                for g in active.iter().filter(|g| g.sections.contains(&s)) {
                    log.append(
                        &patient,
                        Action::KeyDelivery {
                            grant: g.id,
                            grantee: g.grantee,
                            section: tags[s],
                            epoch: epochs[s],
                        },
                        t,
                    )?;
                }
            }
        } else {
            let g = &active[rng.range(0, active.len() as i64) as usize];
            let s = *rng.pick(&g.sections);
            let received = g.write && rng.unit() < 0.2;
            let (author, device) = if received {
                (g.grantee, g.device)
            } else {
                (patient.person_id(), me_device)
            };
            let from = seq.entry((s, author)).or_insert(0);
            let to = *from + 1 + rng.range(0, 4) as u64;
            let range = Range {
                section: tags[s],
                author,
                device,
                from: *from + 1,
                to,
            };
            *from = to;
            let action = if received {
                Action::Received {
                    from: g.grantee,
                    ranges: vec![range],
                }
            } else {
                Action::Served {
                    to: g.grantee,
                    ranges: vec![range],
                }
            };
            log.append(&patient, action, t)?;
        }
        if log.len().is_multiple_of(10_000) {
            checkpoints.push(log.checkpoint(&patient)?);
        }
    }
    if !log.len().is_multiple_of(10_000) {
        checkpoints.push(log.checkpoint(&patient)?);
    }
    Ok(AuditExport::new(&log, &card, checkpoints))
}
