//! Finding plaintext however it is wrapped, for the tests that claim some bytes hold none
//! (a vault's files, an auditor's export). Shared by file (`#[path]`) with the CLI's and
//! the consent log's tests, so it depends only on `zstd` and `flate2`.
//!
//! What [`find`] sees, recursively (a layer decoded from another is searched in turn, up to
//! [`DEPTH`] layers deep):
//! - the bytes themselves;
//! - base64, standard or URL-safe alphabet, padded or not: every run of at least
//!   [`MIN_BASE64`] alphabet characters, decoded from each of its first four characters
//!   (so a run that begins with an unrelated letter, such as a length byte, still decodes);
//! - zstd frames, found by their magic number anywhere, decompressed (up to [`MAX_OUT`]);
//! - raw deflate streams starting at any byte (which covers zlib and gzip bodies, and
//!   Automerge's compressed columns and change chunks, all raw deflate), inflated up to
//!   [`MAX_OUT`]; what inflates is searched, and scanned for base64 and zstd, but not
//!   inflated again (deflate inside deflate is not looked for).
//!
//! Every layer is searched for each needle as bytes, and as text ignoring ASCII case.
//!
//! What it cannot see: anything encrypted (the point); other compressions (lz4, brotli,
//! snappy, bzip2, xz); other encodings (hex, base32, UTF-16, percent or JSON escapes of
//! the needle's own characters); a needle cut in two by the container (a value stored in
//! several redb rows, or a deflate stream split across pages, is searched piece by piece,
//! so a needle spanning a row or page boundary is missed); a needle not stored as one
//! contiguous string (Automerge text edited character by character, a value split across
//! fields).

use std::io::Read;

/// Layers decoded inside layers, at most.
pub const DEPTH: usize = 4;
/// The shortest base64 run decoded.
pub const MIN_BASE64: usize = 16;
/// The most bytes taken from one zstd frame or deflate stream.
pub const MAX_OUT: usize = 4 << 20;
/// The most input bytes one deflate attempt reads.
const MAX_DEFLATE_IN: usize = 1 << 20;
/// Inflated output shorter than this is not searched (random bytes inflate to a few bytes
/// of noise at most offsets).
const MIN_DEFLATE_OUT: usize = 8;

/// One needle found: which, and the layers it was found through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The needle.
    pub needle: String,
    /// How it was reached: "bytes", then one step per layer ("base64 at 12", "zstd at 40",
    /// "deflate at 8"), and "(ignoring case)" when only a case-blind search found it.
    pub path: String,
}

/// Every needle found in `bytes`, through every layer this module decodes.
pub fn find(bytes: &[u8], needles: &[&str]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut inflater = flate2::Decompress::new(false);
    let mut buf = vec![0u8; MAX_OUT];
    walk(
        bytes,
        needles,
        "bytes",
        0,
        true,
        &mut inflater,
        &mut buf,
        &mut out,
    );
    out.sort_by(|a, b| (&a.needle, &a.path).cmp(&(&b.needle, &b.path)));
    out.dedup();
    out
}

/// The needles found in `bytes`, each once, for messages and asserts.
pub fn needles_found(bytes: &[u8], needles: &[&str]) -> Vec<Found> {
    let mut seen = std::collections::BTreeSet::new();
    find(bytes, needles)
        .into_iter()
        .filter(|f| seen.insert(f.needle.clone()))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn walk(
    bytes: &[u8],
    needles: &[&str],
    path: &str,
    depth: usize,
    inflate: bool,
    inflater: &mut flate2::Decompress,
    buf: &mut Vec<u8>,
    out: &mut Vec<Found>,
) {
    search(bytes, needles, path, out);
    if depth >= DEPTH {
        return;
    }
    for (at, decoded) in base64_runs(bytes) {
        walk(
            &decoded,
            needles,
            &format!("{path} > base64 at {at}"),
            depth + 1,
            true,
            inflater,
            buf,
            out,
        );
    }
    for (at, decoded) in zstd_frames(bytes) {
        walk(
            &decoded,
            needles,
            &format!("{path} > zstd at {at}"),
            depth + 1,
            true,
            inflater,
            buf,
            out,
        );
    }
    if !inflate {
        return;
    }
    for at in 0..bytes.len() {
        let n = inflate_at(inflater, &bytes[at..], buf);
        if n < MIN_DEFLATE_OUT {
            continue;
        }
        let inflated = buf[..n].to_vec();
        walk(
            &inflated,
            needles,
            &format!("{path} > deflate at {at}"),
            depth + 1,
            false,
            inflater,
            buf,
            out,
        );
    }
}

/// Inflates a raw deflate stream from the start of `input` into `buf`: the bytes it gave
/// before it ended or failed.
fn inflate_at(inflater: &mut flate2::Decompress, input: &[u8], buf: &mut [u8]) -> usize {
    inflater.reset(false);
    let input = &input[..input.len().min(MAX_DEFLATE_IN)];
    let _ = inflater.decompress(input, buf, flate2::FlushDecompress::Finish);
    inflater.total_out() as usize
}

fn search(hay: &[u8], needles: &[&str], path: &str, out: &mut Vec<Found>) {
    let lower: Vec<u8> = hay.to_ascii_lowercase();
    for n in needles {
        if contains(hay, n.as_bytes()) {
            out.push(Found {
                needle: n.to_string(),
                path: path.to_string(),
            });
        } else if contains(&lower, n.to_ascii_lowercase().as_bytes()) {
            out.push(Found {
                needle: n.to_string(),
                path: format!("{path} (ignoring case)"),
            });
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() || hay.len() < needle.len() {
        return needle.is_empty();
    }
    let first = needle[0];
    hay.windows(needle.len())
        .any(|w| w[0] == first && w == needle)
}

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Every run of base64 characters (either alphabet) of at least [`MIN_BASE64`], decoded
/// from each of its first four characters: (offset of the run, bytes).
fn base64_runs(bytes: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if base64_value(bytes[i]).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && base64_value(bytes[i]).is_some() {
            i += 1;
        }
        if i - start >= MIN_BASE64 {
            for shift in 0..4 {
                out.push((start + shift, decode_base64(&bytes[start + shift..i])));
            }
        }
    }
    out
}

/// Decodes base64 characters (either alphabet, no padding), dropping a last partial group.
fn decode_base64(chars: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(chars.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in chars {
        let Some(v) = base64_value(c) else { break };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Every zstd frame (by its magic number), decompressed as far as it goes: (offset, bytes).
fn zstd_frames(bytes: &[u8]) -> Vec<(usize, Vec<u8>)> {
    const MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
    let mut out = Vec::new();
    for at in 0..bytes.len().saturating_sub(3) {
        if bytes[at..at + 4] != MAGIC {
            continue;
        }
        let Ok(dec) = zstd::stream::read::Decoder::new(&bytes[at..]) else {
            continue;
        };
        let mut got = Vec::new();
        // A frame cut short or followed by other bytes still gives what it decoded.
        let _ = dec
            .single_frame()
            .take(MAX_OUT as u64)
            .read_to_end(&mut got);
        if !got.is_empty() {
            out.push((at, got));
        }
    }
    out
}
