//! Which keys this device holds for its person, and so what it may sign.
//!
//! The device that keeps the consent log (the primary) holds the person's own key: it
//! appends to the log, issues checkpoints, seals bundles and backups, and signs its
//! envelopes as the person. Every other device linked by this version holds only its own
//! signing key and the certificate the primary gave it: it signs its envelopes as that
//! device (format 2, see `carnet_crypto::Envelope`) and can do nothing in the person's
//! name, so once the primary removes it, nothing it signs is accepted anywhere (see
//! `Action::DeviceRetired`). Devices linked by older versions still hold the person's key.

use carnet_crypto::{DeviceCert, DeviceSecret, PersonId, PersonSecret, Signer};
use carnet_store::ReadTxn;

use crate::error::{Damage, DeviceError};
use crate::{Error, Result};

/// The keys of this device, as the vault stores them.
pub(crate) struct Keys {
    person: PersonId,
    secret: Option<PersonSecret>,
    device: Option<(DeviceSecret, DeviceCert)>,
    /// After a takeover (a restore): the key that signs the consent log, key grants and
    /// checkpoints in place of the person's key, which a thief of the old primary may hold.
    log: Option<PersonSecret>,
}

/// Secret-meta row of the log key a takeover made (see [`Keys`]).
pub(crate) const LOG_KEY: &str = "log_key";

/// Secret-meta row of a device's own signing key (a 32-byte seed).
pub(crate) const DEVICE_KEY: &str = "device_key";
/// Meta row of the certificate the primary gave this device for that key.
pub(crate) const DEVICE_CERT: &str = "device_cert";

impl Keys {
    /// The keys of the device that holds the person's own key.
    pub(crate) fn of_person(secret: PersonSecret) -> Self {
        Keys {
            person: secret.person_id(),
            secret: Some(secret),
            device: None,
            log: None,
        }
    }

    /// Adds what a takeover made: the log key, and this device's own key and certificate.
    pub(crate) fn with_takeover(
        mut self,
        log: PersonSecret,
        device: DeviceSecret,
        cert: DeviceCert,
    ) -> Self {
        self.log = Some(log);
        self.device = Some((device, cert));
        self
    }

    /// Reads them: the person's key if this device holds it, else this device's key and
    /// certificate, checked against `person` and `device`.
    pub(crate) fn load(
        r: &ReadTxn<'_>,
        person: PersonId,
        device: carnet_crypto::DeviceId,
    ) -> Result<Self> {
        let damaged = |what: &'static str| Error::from(Damage::Invalid { what });
        if let Some(bytes) = r.get_secret_meta("person")? {
            let secret = PersonSecret::from_bytes(&bytes)?;
            if secret.person_id() != person {
                return Err(damaged("identity (its keys are not its card's)"));
            }
            let Some(log) = r.get_secret_meta(LOG_KEY)? else {
                return Ok(Self::of_person(secret));
            };
            // A restored primary: it signs the log with the takeover's key and its
            // envelopes with its own device key.
            let log = PersonSecret::from_bytes(&log)?;
            let (device_key, cert) = Self::load_device(r, person, device)?;
            return Ok(Self::of_person(secret).with_takeover(log, device_key, cert));
        }
        let (secret, cert) = Self::load_device(r, person, device)?;
        Ok(Keys {
            person,
            secret: None,
            device: Some((secret, cert)),
            log: None,
        })
    }

    fn load_device(
        r: &ReadTxn<'_>,
        person: PersonId,
        device: carnet_crypto::DeviceId,
    ) -> Result<(DeviceSecret, DeviceCert)> {
        let damaged = |what: &'static str| Error::from(Damage::Invalid { what });
        let seed = r
            .get_secret_meta(DEVICE_KEY)?
            .ok_or_else(|| damaged("keys (neither the person's nor its own are there)"))?;
        let seed: [u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| damaged("signing key"))?;
        let secret = DeviceSecret::from_seed(&seed);
        let cert = r
            .get_meta(DEVICE_CERT)?
            .ok_or_else(|| damaged("certificate (it is missing)"))?;
        let cert = DeviceCert::from_bytes(&cert)?;
        let claim = cert.verify_signature()?;
        if claim.person != person
            || claim.device != device
            || claim.signing != Some(secret.public())
        {
            return Err(damaged("certificate (it is for another device or key)"));
        }
        Ok((secret, cert))
    }

    /// The person.
    pub(crate) fn person_id(&self) -> PersonId {
        self.person
    }

    /// The person's own key, held only by the device that keeps the consent log.
    pub(crate) fn secret(&self) -> Result<&PersonSecret> {
        self.secret
            .as_ref()
            .ok_or_else(|| DeviceError::NoIdentityKey.into())
    }

    /// What signs the consent log, its checkpoints and key grants: the key a takeover
    /// made, else the person's own (held only by the primary).
    pub(crate) fn log_secret(&self) -> Result<&PersonSecret> {
        match &self.log {
            Some(k) => Ok(k),
            None => self.secret(),
        }
    }

    /// What signs this device's envelopes: its own key when it has one, else the person's.
    pub(crate) fn signer(&self) -> Result<Signer<'_>> {
        match (&self.device, &self.secret) {
            (Some((key, cert)), _) => Ok(Signer::Device(key, cert)),
            (None, Some(secret)) => Ok(Signer::Person(secret)),
            (None, None) => Err(Damage::Missing {
                what: "signing key",
            }
            .into()),
        }
    }

    /// The certificate of this device's own key, if it has one.
    pub(crate) fn device_cert(&self) -> Option<&DeviceCert> {
        self.device.as_ref().map(|(_, c)| c)
    }
}
