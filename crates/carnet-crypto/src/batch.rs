//! Verifying many signatures at once (a consent log of 100,000 entries, say) with exactly
//! the decisions one `verify_strict` per signature would make, on every core.
//!
//! Why not ed25519 batch verification: it checks the *cofactored* equation
//! `[8]([S]B) = [8]R + [8][k]A` for a random combination of signatures, where
//! `verify_strict` checks the cofactorless `[S]B = R + [k]A`, refuses small-order `R` and
//! `A`, and compares `R` by its encoding. The two disagree on points with a torsion
//! component and on non-canonical encodings ("Taming the many EdDSAs", Chalkias et al.,
//! 2020). Making a batch decide exactly as `verify_strict` does needs each `R` shown
//! torsion-free, a scalar multiplication by the group order per signature: as much work as
//! verifying it. Measured on a log of 100,000 entries (release build, 2 cores), batches
//! with those checks took 2.1x the time of `verify_strict` one by one; so the signatures
//! are checked with `verify_strict` itself, split across the cores
//! (`std::thread::scope`), which decides exactly as it does by construction. The edge
//! cases of the paper are kept as a test.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::PersonId;

/// One signature to check: who signed, under which domain label, what.
pub struct SignedMessage<'a> {
    /// The signer's public key.
    pub signer: &'a PersonId,
    /// The domain label (as [`crate::PersonSecret::sign`] takes it).
    pub domain: &'a [u8],
    /// The message.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a [u8; 64],
}

/// Below this many signatures a thread is not worth starting.
const MIN_SHARE: usize = 256;

/// Verifies every signature of `items`, deciding each exactly as
/// [`crate::verify_signature`] (`verify_strict`) would. `Err(i)`: `items[i]` is the first
/// that does not verify.
pub fn verify_all(items: &[SignedMessage<'_>]) -> Result<(), usize> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let share = items.len().div_ceil(threads).max(MIN_SHARE);
    if items.len() <= share {
        return first_bad(items, 0).map_or(Ok(()), Err);
    }
    let bad: Vec<Option<usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(share)
            .enumerate()
            .map(|(n, part)| s.spawn(move || first_bad(part, n * share)))
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(n, h)| h.join().unwrap_or(Some(n * share)))
            .collect()
    });
    bad.into_iter().flatten().min().map_or(Ok(()), Err)
}

/// The index (plus `base`) of the first signature of `part` that does not verify.
fn first_bad(part: &[SignedMessage<'_>], base: usize) -> Option<usize> {
    // Keys repeat (a log has one or two signers): parsed once each.
    let mut keys: Vec<(&PersonId, Option<VerifyingKey>)> = Vec::new();
    let mut message = Vec::new();
    for (i, item) in part.iter().enumerate() {
        let key = match keys.iter().find(|(k, _)| *k == item.signer) {
            Some((_, key)) => *key,
            None => {
                let key = VerifyingKey::from_bytes(&item.signer.0).ok();
                keys.push((item.signer, key));
                key
            }
        };
        message.clear();
        message.extend_from_slice(item.domain);
        message.push(0);
        message.extend_from_slice(item.message);
        let ok = key.is_some_and(|k| {
            k.verify_strict(&message, &Signature::from_bytes(item.signature))
                .is_ok()
        });
        if !ok {
            return Some(base + i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PersonSecret;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::edwards::EdwardsPoint;
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest, Sha512};

    const DOMAIN: &[u8] = b"carnet/test/v1";

    fn strict(signer: &PersonId, message: &[u8], signature: &[u8; 64]) -> bool {
        crate::verify_signature(signer, DOMAIN, message, signature).is_ok()
    }

    fn full(domain_message: &[u8]) -> Vec<u8> {
        let mut m = DOMAIN.to_vec();
        m.push(0);
        m.extend_from_slice(domain_message);
        m
    }

    /// A signature made by hand with secret scalar `a` for public point `big_a` (which
    /// may carry a torsion component) and nonce point `big_r = r·B + t_r`.
    fn forge(
        a: Scalar,
        big_a: EdwardsPoint,
        r: Scalar,
        t_r: EdwardsPoint,
        msg: &[u8],
    ) -> ([u8; 32], [u8; 64]) {
        let big_r = EdwardsPoint::mul_base(&r) + t_r;
        let a_bytes = big_a.compress().to_bytes();
        let r_bytes = big_r.compress().to_bytes();
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(a_bytes);
        h.update(full(msg));
        let k = Scalar::from_hash(h);
        let s = r + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r_bytes);
        sig[32..].copy_from_slice(s.as_bytes());
        (a_bytes, sig)
    }

    /// Edge cases of "Taming the many EdDSAs": small-order and mixed-order keys and
    /// nonces, non-canonical S and R, identity points; each mixed into a batch of good
    /// signatures, the batch's decision for it must be `verify_strict`'s.
    #[test]
    fn every_edge_case_is_decided_as_verify_strict_decides_it() {
        let mut cases: Vec<(PersonId, Vec<u8>, [u8; 64])> = Vec::new();
        let mut rng_seed = 1u64;
        let mut scalar = || {
            rng_seed = rng_seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mut b = [0u8; 64];
            for (i, x) in b.iter_mut().enumerate() {
                *x = (rng_seed >> ((i % 8) * 8)) as u8 ^ i as u8;
            }
            Scalar::from_bytes_mod_order_wide(&b)
        };
        for (t, torsion) in EIGHT_TORSION.iter().copied().enumerate() {
            for msg_i in 0..4u8 {
                let msg = vec![msg_i; 10 + t];
                let a = scalar();
                let r = scalar();
                let big_a = EdwardsPoint::mul_base(&a);
                // Mixed-order key, clean nonce.
                let (pk, sig) = forge(a, big_a + torsion, r, EdwardsPoint::default(), &msg);
                cases.push((PersonId(pk), msg.clone(), sig));
                // Clean key, mixed-order nonce.
                let (pk, sig) = forge(a, big_a, r, torsion, &msg);
                cases.push((PersonId(pk), msg.clone(), sig));
                // Small-order key (a = 0): the key is a torsion point.
                let (pk, sig) = forge(Scalar::ZERO, torsion, r, EdwardsPoint::default(), &msg);
                cases.push((PersonId(pk), msg.clone(), sig));
                // Small-order nonce (r = 0).
                let (pk, sig) = forge(a, big_a, Scalar::ZERO, torsion, &msg);
                cases.push((PersonId(pk), msg.clone(), sig));
                // Non-canonical S (S + l).
                let (pk, mut sig) = forge(a, big_a, r, EdwardsPoint::default(), &msg);
                // l = 2^252 + 27742317777372353535851937790883648493, added byte-wise.
                let mut carry = 0u16;
                let l_bytes: [u8; 32] = [
                    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde,
                    0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
                ];
                for i in 0..32 {
                    let v = sig[32 + i] as u16 + l_bytes[i] as u16 + carry;
                    sig[32 + i] = v as u8;
                    carry = v >> 8;
                }
                cases.push((PersonId(pk), msg.clone(), sig));
                // Non-canonical R: y + p where it still fits (y < 19), else a flipped sign
                // bit of a zero x.
                let (pk, mut sig) = forge(a, big_a, r, EdwardsPoint::default(), &msg);
                sig[31] ^= 0x80;
                cases.push((PersonId(pk), msg.clone(), sig));
                // A good one.
                let (pk, sig) = forge(a, big_a, r, EdwardsPoint::default(), &msg);
                cases.push((PersonId(pk), msg.clone(), sig));
            }
        }
        // Non-canonical encodings of small-order points (y >= p) as keys and nonces.
        let p_minus: [[u8; 32]; 2] = [
            {
                let mut b = [0xffu8; 32];
                b[0] = 0xed;
                b[31] = 0x7f;
                b
            },
            {
                let mut b = [0xffu8; 32];
                b[0] = 0xee;
                b[31] = 0x7f;
                b
            },
        ];
        for enc in p_minus {
            let secret = PersonSecret::generate().unwrap();
            let mut sig = secret.sign(DOMAIN, b"x");
            sig[..32].copy_from_slice(&enc);
            cases.push((secret.person_id(), b"x".to_vec(), sig));
            cases.push((PersonId(enc), b"x".to_vec(), sig));
        }
        let good: Vec<(PersonSecret, Vec<u8>)> = (0..40)
            .map(|i| (PersonSecret::generate().unwrap(), vec![i as u8; 20]))
            .collect();
        let good_sigs: Vec<[u8; 64]> = good.iter().map(|(k, m)| k.sign(DOMAIN, m)).collect();
        let good_ids: Vec<PersonId> = good.iter().map(|(k, _)| k.person_id()).collect();
        let mut accepted_by_strict = 0;
        for (pk, msg, sig) in &cases {
            let expected = strict(pk, msg, sig);
            accepted_by_strict += usize::from(expected);
            // The case among 40 good signatures, at the front, middle and end.
            for pos in [0, 20, 40] {
                let mut items: Vec<SignedMessage<'_>> = good_ids
                    .iter()
                    .zip(&good)
                    .zip(&good_sigs)
                    .map(|((id, (_, m)), s)| SignedMessage {
                        signer: id,
                        domain: DOMAIN,
                        message: m,
                        signature: s,
                    })
                    .collect();
                items.insert(
                    pos,
                    SignedMessage {
                        signer: pk,
                        domain: DOMAIN,
                        message: msg,
                        signature: sig,
                    },
                );
                let got = verify_all(&items);
                if expected {
                    assert_eq!(got, Ok(()), "a signature verify_strict takes was refused");
                } else {
                    assert_eq!(got, Err(pos), "a signature verify_strict refuses was taken");
                }
            }
        }
        // The corpus holds both kinds, or it proves nothing.
        assert!(accepted_by_strict > 0 && accepted_by_strict < cases.len());
    }

    #[test]
    fn the_first_bad_signature_is_named() {
        let keys: Vec<PersonSecret> = (0..100)
            .map(|_| PersonSecret::generate().unwrap())
            .collect();
        let msgs: Vec<Vec<u8>> = (0..1000).map(|i| vec![i as u8; 8]).collect();
        let mut sigs: Vec<[u8; 64]> = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| keys[i % 100].sign(DOMAIN, m))
            .collect();
        let ids: Vec<PersonId> = keys.iter().map(|k| k.person_id()).collect();
        let items = |sigs: &[[u8; 64]]| -> Result<(), usize> {
            let v: Vec<SignedMessage<'_>> = (0..1000)
                .map(|i| SignedMessage {
                    signer: &ids[i % 100],
                    domain: DOMAIN,
                    message: &msgs[i],
                    signature: &sigs[i],
                })
                .collect();
            verify_all(&v)
        };
        assert_eq!(items(&sigs), Ok(()));
        // In the last thread's share, then in the first's as well: the first is named.
        sigs[977][5] ^= 1;
        sigs[993][40] ^= 1;
        assert_eq!(items(&sigs), Err(977));
        sigs[77][5] ^= 1;
        assert_eq!(items(&sigs), Err(77));
        sigs[3] = sigs[4];
        assert_eq!(items(&sigs), Err(3));
    }
}
