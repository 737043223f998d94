//! Taking a record over after a restore: the recovery phrase's root key endorses a new key
//! for the consent log and a new signing key for the restored device, and every earlier
//! device of the patient (the lost or stolen primary among them) is cut off.
//!
//! Before this, a restored vault and the thief of the old primary held the same person key
//! and could not be told apart. After it, every receiver that learns the takeover (a
//! grantee, by bundle or live sync; an auditor) takes the log, checkpoints and key grants
//! only from the new key, and the patient's envelopes only from a device certified after
//! the takeover, or from an earlier device's chain up to the head the takeover recorded.

use carnet_consent::{Action, Branch, ConsentLog};
use carnet_crypto::{DeviceCert, DeviceSecret, PersonSecret, RecoveryKey};
use carnet_store::WriteTxn;

use crate::devices::DeviceRecord;
use crate::error::{Damage, RecoveryError};
use crate::keys::{DEVICE_CERT, DEVICE_KEY, Keys, LOG_KEY};
use crate::sharing::log_signer_key;
use crate::vault::now_unix;
use crate::{Error, Result, Vault};

/// What a takeover did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TakeoverSummary {
    /// The index of the takeover entry in the consent log.
    pub index: u64,
    /// The root key was declared by this restore (a record made before roots existed).
    pub root_declared: bool,
    /// Earlier devices cut off (each retired with the last of its changes held here).
    pub devices_retired: usize,
    /// The newer branch of the log the restore was told of, which it leaves behind: its
    /// size and root. `None` when the backup was at least as new as what was known.
    pub forked: Option<Branch>,
}

impl Vault {
    /// Checks a checkpoint of this vault's own log given from outside (a grantee's newest,
    /// cosigned or not: `carnet audit witness` writes one) against the log: `Ok(None)` if
    /// the log already extends it, `Ok(Some(branch))` if it is of a longer or other branch
    /// the restore leaves behind. Refuses one that is not this patient's.
    pub fn newer_branch(&self, checkpoint: &str) -> Result<Option<Branch>> {
        let record = self.own_record()?;
        let log = self.consent_log(&record)?;
        let cp = carnet_consent::verify_checkpoint_by(checkpoint, &record, log.signers())
            .map_err(|e| Error::from(RecoveryError::ForeignCheckpoint(e)))?;
        let size = cp.size();
        let root = cp.hash().0;
        if size <= log.len() && log.root(size)? == root {
            return Ok(None);
        }
        Ok(Some(Branch { size, root }))
    }

    /// Takes this vault's record over after a restore, with the recovery `key` the backup
    /// was opened with: declares the root if the log has none, appends a root-endorsed
    /// `Takeover` naming a fresh log key and this device's own signing key, retires every
    /// earlier device with the heads of its chains held here, and moves every section to a
    /// new epoch (delivered to the grants in force), all in one transaction. `forked`
    /// names a newer branch learned from a grantee ([`Vault::newer_branch`]) that this
    /// restore openly leaves behind.
    pub(crate) fn take_over(
        &self,
        key: &RecoveryKey,
        endpoint: [u8; 32],
        forked: Option<Branch>,
    ) -> Result<TakeoverSummary> {
        self.take_over_as(key, endpoint, forked, None)
    }

    /// Takes this vault's own record over in place, with the recovery `key`: as a restore
    /// does (see [`Vault::take_over`]), on this device under a new device id, so that
    /// every other device is cut off, a device linked by an older version (which holds
    /// the person's own key) included, and this device's earlier writing still reaches
    /// grantees up to what it held. The other devices of this version must be linked
    /// again. Only on the primary device of a patient.
    pub fn rekey(&self, key: &RecoveryKey) -> Result<TakeoverSummary> {
        self.require_primary()?;
        if self.card().role() != carnet_crypto::Role::Patient {
            return Err(RecoveryError::NotAPatient.into());
        }
        let endpoint = carnet_crypto::endpoint_public_key(&*self.endpoint_secret()?);
        let device = carnet_crypto::DeviceId::random()?;
        self.take_over_as(key, endpoint, None, Some(device))
    }

    fn take_over_as(
        &self,
        key: &RecoveryKey,
        endpoint: [u8; 32],
        forked: Option<Branch>,
        new_device: Option<carnet_crypto::DeviceId>,
    ) -> Result<TakeoverSummary> {
        let old_device = self.device_id();
        let result = self.take_over_inner(key, endpoint, forked, new_device);
        if result.is_err() {
            // Nothing was committed: this handle goes back to what the store holds.
            self.set_ident(|i| i.device = old_device);
            self.loaded.clear();
            if let Ok(r) = self.store.read()
                && let Ok(keys) = Keys::load(&r, self.person_id(), old_device)
            {
                self.set_ident(|i| i.me = std::sync::Arc::new(keys));
            }
        }
        result
    }

    fn take_over_inner(
        &self,
        key: &RecoveryKey,
        endpoint: [u8; 32],
        forked: Option<Branch>,
        new_device: Option<carnet_crypto::DeviceId>,
    ) -> Result<TakeoverSummary> {
        let record = self.own_record()?;
        let person = self.person_id();
        let root = key.root();
        let now = now_unix();
        let mut summary = TakeoverSummary {
            forked,
            ..TakeoverSummary::default()
        };
        let person_secret = PersonSecret::from_bytes(&self.me().secret()?.to_bytes())?;
        let mut txn = self.store.write()?;
        let device = new_device.unwrap_or(self.device_id());
        if new_device.is_some() {
            // This machine goes on as a new device: its earlier id is retired below with
            // the others, so that what it wrote before still reaches grantees up to there.
            // (This handle takes the new id once the transaction commits.)
            txn.put_meta("device", &device.0)?;
            txn.put_meta("primary", &device.0)?;
            txn.put_actor(&crate::actor_for(&person, &device), &person, &device)?;
        }
        let mut log = Self::whole_log(&record, &person, txn.consent_entries(&record)?, None)?;
        match log.root_key() {
            None => {
                log.append_root(&person_secret, &root, now)?;
                store_last(&mut txn, &log)?;
                summary.root_declared = true;
            }
            Some(r) if r != root.public() => {
                return Err(RecoveryError::NotDeclaredPhrase.into());
            }
            Some(_) => {}
        }
        let log_key = PersonSecret::generate()?;
        let device_key = DeviceSecret::generate()?;
        let cert = DeviceCert::issue(
            &person_secret,
            device,
            endpoint,
            Some(device_key.public()),
            now,
        );
        let entry = log.append_takeover(
            &root,
            &log_key,
            device,
            endpoint,
            device_key.public(),
            forked,
            now,
        )?;
        summary.index = entry.entry().index;
        store_last(&mut txn, &log)?;
        txn.put_meta(&log_signer_key(&record), &log_key.person_id().0)?;
        txn.put_secret_meta(LOG_KEY, &log_key.to_bytes())?;
        txn.put_secret_meta(DEVICE_KEY, device_key.to_seed().as_slice())?;
        txn.put_meta(DEVICE_CERT, cert.as_bytes())?;
        txn.put_secret_meta(&format!("signing:{device}"), &device_key.public())?;
        // From here on, what this vault appends is signed with the new key.
        // (Other writers wait for this transaction, and read who signs only once inside
        // their own.)
        let keys = Keys::of_person(person_secret).with_takeover(log_key, device_key, cert);
        self.set_ident(|i| i.me = std::sync::Arc::new(keys));

        let mut devices = self.device_records()?;
        for d in devices
            .iter_mut()
            .filter(|d| d.device != device && d.removed.is_none())
        {
            let heads = Self::retired_heads(&txn, &record, &person, &d.device)?;
            self.append(
                &mut txn,
                &mut log,
                Action::DeviceRetired {
                    device: d.device,
                    endpoint: d.endpoint,
                    heads,
                },
            )?;
            d.removed = Some(now);
            summary.devices_retired += 1;
        }
        if !devices.iter().any(|d| d.device == device) {
            devices.push(DeviceRecord {
                device,
                endpoint,
                added: now,
                removed: None,
            });
        }
        Self::put_device_records(&mut txn, &devices)?;
        // New epochs: what the record gets from now on is sealed under keys the old
        // devices never held.
        let salt = Self::record_salt(&txn, &record)?;
        let grants = self.grants()?;
        for s in carnet_record::SectionId::ALL {
            self.rotate(&mut txn, &mut log, &salt, &grants, s)?;
        }
        // Every key a grant in force holds, signed again by the new key: a grantee takes
        // key grants only from the key in force, and one that missed an earlier grant
        // (signed by the key now replaced) gets it again from this device.
        for g in grants.iter().filter(|g| g.active(now)) {
            for s in &g.sections {
                self.deliver(&mut txn, &mut log, &salt, g, *s, true)?;
            }
        }
        txn.commit()?;
        self.set_ident(|i| i.device = device);
        self.loaded.clear();
        *self.log_cache.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.devices_cache.clear();
        self.views_cache.clear();
        Ok(summary)
    }
}

/// Stores the log's last entry and its tail (what `Vault::append` does after appending).
fn store_last(txn: &mut WriteTxn<'_>, log: &ConsentLog) -> Result<()> {
    let e = log.entries().last().ok_or_else(|| {
        Error::from(Damage::Missing {
            what: "consent log",
        })
    })?;
    let record = *log.record();
    txn.put_consent(&record, e.entry().index, e.as_bytes())?;
    let tail =
        postcard::to_stdvec(&log.tail()?).map_err(|e| Error::encode("the consent log tail", e))?;
    txn.put_secret_meta(&crate::sharing::tail_key(&record), &tail)?;
    Ok(())
}
