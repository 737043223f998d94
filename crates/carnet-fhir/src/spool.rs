//! Attachments of a streamed bundle kept aside, encrypted, until the bundle is mapped.
//!
//! A document's `data` (base64) is decoded as it is read and sealed with
//! `carnet_crypto::seal_blob` under a fresh random key held only in memory, then written
//! to a temporary file (created 0600 by `tempfile`, removed when the [`Spool`] is dropped,
//! whatever happens: error, refusal, panic). The JSON keeps a short marker in its place,
//! valid base64, so validation and mapping go on unchanged; the marker holds a random
//! nonce of this import, so a bundle cannot forge one. Once mapped, each document's
//! bytes are read back and opened ([`Spool::restore`]). So the documents never count
//! toward [`crate::MAX_HELD_BYTES`] and never touch the disk in clear.

use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use carnet_crypto::{ContentKey, open_blob, seal_blob};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::FhirError;
use crate::import::{Item, Limits};

/// The largest document an import takes, as `carnet::MAX_ATTACHMENT` (the CLI checks
/// that they agree).
pub const MAX_ATTACHMENT_BYTES: u64 = 256 * 1024 * 1024;

/// The largest `data` string of an attachment read in one piece: the base64 of
/// [`MAX_ATTACHMENT_BYTES`], with line breaks every 76 characters, and some room.
pub(crate) const MAX_ATTACHMENT_BASE64: u64 = MAX_ATTACHMENT_BYTES.div_ceil(3) * 4 / 76 * 78 + 4096;

/// Attachments shorter than this (base64) stay in the JSON.
const SPOOL_FROM: usize = 4096;

const MAGIC: &[u8; 8] = b"CSPOOL1\0";

struct Spooled {
    file: tempfile::NamedTempFile,
    key: ContentKey,
}

/// The attachments kept aside while a bundle is read.
pub(crate) struct Spool {
    dir: Option<PathBuf>,
    nonce: [u8; 16],
    files: Vec<Spooled>,
    /// JSON bytes of attachment data read since [`Spool::take_bytes`].
    bytes: u64,
    pub(crate) error: Option<FhirError>,
}

impl Spool {
    pub(crate) fn new(dir: Option<PathBuf>) -> Result<Self, FhirError> {
        let nonce =
            carnet_crypto::random_array::<16>().map_err(|e| FhirError::Spool(e.to_string()))?;
        Ok(Spool {
            dir,
            nonce,
            files: Vec::new(),
            bytes: 0,
            error: None,
        })
    }

    /// JSON bytes of attachment data read since the last call.
    pub(crate) fn take_bytes(&mut self) -> u64 {
        std::mem::take(&mut self.bytes)
    }

    fn marker(&self, n: usize) -> String {
        let mut m = Vec::with_capacity(32);
        m.extend_from_slice(MAGIC);
        m.extend_from_slice(&self.nonce);
        m.extend_from_slice(&(n as u64).to_le_bytes());
        data_encoding::BASE64.encode(&m)
    }

    fn is_marker(&self, s: &str) -> bool {
        data_encoding::BASE64
            .decode(s.as_bytes())
            .is_ok_and(|b| self.index_of(&b).is_some())
    }

    fn index_of(&self, bytes: &[u8]) -> Option<usize> {
        if bytes.len() != 32 || &bytes[..8] != MAGIC || bytes[8..24] != self.nonce {
            return None;
        }
        let n = u64::from_le_bytes(bytes[24..32].try_into().ok()?) as usize;
        (n < self.files.len()).then_some(n)
    }

    /// Keeps `data` aside; `Some(marker)`, or `None` when it stays in the JSON (short, or
    /// not base64: validation will say so).
    fn put(&mut self, data: &str) -> Option<String> {
        if data.len() < SPOOL_FROM || self.error.is_some() {
            return None;
        }
        let clean: Vec<u8> = data.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let plain = zeroize::Zeroizing::new(data_encoding::BASE64.decode(&clean).ok()?);
        drop(clean);
        match self.write(&plain) {
            Ok(()) => Some(self.marker(self.files.len() - 1)),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn write(&mut self, plain: &[u8]) -> Result<(), FhirError> {
        let dir = self.dir.clone().unwrap_or_else(std::env::temp_dir);
        let err =
            |e: &dyn std::fmt::Display| FhirError::Spool(format!("in {}: {e}", dir.display()));
        let key = ContentKey::generate().map_err(|e| err(&e))?;
        let sealed = seal_blob(&key, plain).map_err(|e| err(&e))?;
        let mut file = tempfile::Builder::new()
            .prefix(".carnet-import-")
            .tempfile_in(&dir)
            .map_err(|e| err(&e))?;
        file.write_all(&sealed).map_err(|e| err(&e))?;
        file.flush().map_err(|e| err(&e))?;
        self.files.push(Spooled { file, key });
        Ok(())
    }

    /// Puts each document's bytes back in place of its marker, one at a time, removing
    /// its file once read.
    pub(crate) fn restore(&mut self, items: &mut [crate::import::Mapped]) -> Result<(), FhirError> {
        for m in items {
            let Item::Document(d) = &mut m.item else {
                continue;
            };
            let Some(n) = self.index_of(&d.bytes) else {
                continue;
            };
            let s = &mut self.files[n];
            let mut sealed = Vec::new();
            let f = s.file.as_file_mut();
            f.rewind()
                .and_then(|_| f.read_to_end(&mut sealed))
                .map_err(|e| FhirError::Spool(format!("reading a document back: {e}")))?;
            let plain = open_blob(&s.key, &sealed)
                .map_err(|e| FhirError::Spool(format!("reading a document back: {e}")))?;
            d.bytes = plain.to_vec();
            // Empty the file now: what is left is removed with the spool.
            let _ = s.file.as_file().set_len(0);
        }
        Ok(())
    }
}

/// A JSON value as `serde_json::Value` reads it, except that the `data` of an attachment
/// (`attachment.data`, `presentedForm[].data`) or of a Binary resource is kept aside in
/// the spool, and is allowed up to [`MAX_ATTACHMENT_BASE64`] bytes whatever the bound of
/// the resource around it.
pub(crate) struct ValueSeed<'s> {
    pub(crate) spool: &'s mut Spool,
    pub(crate) limits: &'s Limits,
    /// The key this value is under (arrays pass their key to their elements).
    pub(crate) key: Option<String>,
    /// Whether this value is the `data` of an attachment or a Binary.
    pub(crate) attachment_data: bool,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        if self.attachment_data
            && let Some(marker) = self.spool.put(v)
        {
            return Ok(Value::String(marker));
        }
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        if self.attachment_data
            && let Some(marker) = self.spool.put(&v)
        {
            return Ok(Value::String(marker));
        }
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(ValueSeed {
            spool: &mut *self.spool,
            limits: self.limits,
            key: self.key.clone(),
            attachment_data: false,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        let here = self.key.as_deref();
        while let Some(k) = map.next_key::<String>()? {
            let data =
                k == "data" && matches!(here, Some("resource" | "attachment" | "presentedForm"));
            let v = if data {
                // The data may be as large as a document; what it takes does not count
                // against the resource's own bound.
                let start = self.limits.pos.get();
                let limit = self.limits.limit.get();
                self.limits.allow(MAX_ATTACHMENT_BASE64);
                let v = map.next_value_seed(ValueSeed {
                    spool: &mut *self.spool,
                    limits: self.limits,
                    key: Some(k.clone()),
                    attachment_data: true,
                })?;
                let used = self.limits.pos.get() - start;
                self.limits.limit.set(limit.saturating_add(used));
                if v.as_str().is_some_and(|m| self.spool.is_marker(m)) {
                    self.spool.bytes += used;
                }
                v
            } else {
                map.next_value_seed(ValueSeed {
                    spool: &mut *self.spool,
                    limits: self.limits,
                    key: Some(k.clone()),
                    attachment_data: false,
                })?
            };
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}
