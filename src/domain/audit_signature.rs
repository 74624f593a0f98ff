//! Audit entries signed by their author (Ed25519). The hash chain (`audit`) shows an entry
//! changed, removed or inserted, but whoever holds the data key can drop the triggers and
//! recompute the whole chain. A signature needs its signer's secret key, which is sealed under
//! that person's passphrase: someone rewriting the log can sign only in their own name, and
//! every entry after the first one they changed stops verifying (its hash, which the signature
//! covers, chains the changed one).
//!
//! Each entry is signed by the account whose session wrote it: its actor, or, for what the
//! software does on its own during a session (the purge at unlock), that session's account.
//! The signer is recorded with the signature. What is signed is [`signed_message`]: the entry's
//! id and hash, the signer, under a tag of its own (docs/export-format.md, "Audit signatures").

use std::collections::{BTreeMap, HashMap};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::audit::AuditEntry;
use super::{AuditId, ListenerId};

/// Starts every signed message, so that no other signature of the same key (a slot's
/// endorsement) can be taken for an audit entry's.
pub const SIGNATURE_TAG: &str = "permanence-audit-entry v1";
pub const SIGNATURE_LEN: usize = 64;

/// Entries verified together: Ed25519's batch verification is about twice as fast per
/// signature as one by one; a batch that fails is verified one by one to name the culprits.
const BATCH: usize = 256;

/// How many faulty entries of each kind are named; the others are counted.
const NAMED: usize = 5;

/// The bytes an entry's signer signs, in the key file's canonical encoding
/// (docs/keyslots.md): `text(tag) ‖ i64(signed_by) ‖ i64(entry id) ‖ text(hash in hex)`.
pub fn signed_message(signed_by: ListenerId, id: AuditId, hash: &str) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, value: &str) {
        let len = u32::try_from(value.len()).expect("a tag or a hash is short");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    let mut out = Vec::with_capacity(4 + SIGNATURE_TAG.len() + 16 + 4 + hash.len());
    text(&mut out, SIGNATURE_TAG);
    out.extend_from_slice(&signed_by.0.to_be_bytes());
    out.extend_from_slice(&id.0.to_be_bytes());
    text(&mut out, hash);
    out
}

pub fn sign(key: &SigningKey, signed_by: ListenerId, id: AuditId, hash: &str) -> [u8; SIGNATURE_LEN] {
    key.sign(&signed_message(signed_by, id, hash)).to_bytes()
}

/// An entry's signature as stored, with who signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntrySignature {
    pub signed_by: ListenerId,
    pub signature: [u8; SIGNATURE_LEN],
}

/// Every signing key each account has had, and when it was current: from `since` (included)
/// to `until` (excluded; `None` while current), in microseconds like the audit's instants. A
/// reset gives an account new keys; what it signed before verifies with the old ones.
#[derive(Debug, Default)]
pub struct SigningKeys {
    by_account: HashMap<ListenerId, Vec<KeyPeriod>>,
}

#[derive(Debug)]
struct KeyPeriod {
    /// `None` for bytes that are no Ed25519 public key: nothing verifies with them.
    key: Option<VerifyingKey>,
    since: i64,
    until: Option<i64>,
}

impl SigningKeys {
    pub fn add(&mut self, account: ListenerId, key: &[u8; 32], since: i64, until: Option<i64>) {
        let key = VerifyingKey::from_bytes(key).ok();
        self.by_account.entry(account).or_default().push(KeyPeriod { key, since, until });
    }

    /// When `account` was first given a signing key (microseconds), if ever.
    fn first_since(&self, account: ListenerId) -> Option<i64> {
        self.by_account.get(&account)?.iter().map(|p| p.since).min()
    }

    /// The key `account` had at `at` (microseconds).
    fn at(&self, account: ListenerId, at: i64) -> Option<&VerifyingKey> {
        self.by_account
            .get(&account)?
            .iter()
            .find(|p| p.since <= at && p.until.is_none_or(|until| at < until))
            .and_then(|p| p.key.as_ref())
    }
}

/// What can be wrong with an entry's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignatureFault {
    /// Signed by another account than its actor: an entry written in someone else's name.
    NotItsActor,
    /// Not a signature of its signer with the key they had when it was written: the entry, or
    /// one before it (the hash chains them), was changed after it was signed, or someone
    /// signed it with another key than the one recorded.
    Mismatch,
    /// No signature, although written after signing began, or by an account that already had
    /// a signing key.
    Unsigned,
}

/// One faulty entry, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultyEntry {
    pub id: AuditId,
    pub actor: Option<ListenerId>,
    pub signed_by: Option<ListenerId>,
}

/// The entries with one kind of fault: how many, and the first few.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faulty {
    pub count: u64,
    pub first: Vec<FaultyEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureReport {
    /// Entries written before signing began (schema 11): there is nothing to verify.
    pub predating: u64,
    /// Entries whose signature verified.
    pub verified: u64,
    pub faults: BTreeMap<SignatureFault, Faulty>,
}

struct Pending {
    entry: FaultyEntry,
    message: Vec<u8>,
    signature: Signature,
    key: VerifyingKey,
}

/// Verifies signatures entry by entry, in id order, so that a long log is verified in a
/// stream; signatures are checked in batches.
pub struct SignatureVerifier {
    keys: SigningKeys,
    first_signed: AuditId,
    /// The latest instant seen so far: an entry moved back in time is judged at the time of
    /// the entries it follows.
    latest_at: i64,
    pending: Vec<Pending>,
    report: SignatureReport,
}

impl SignatureVerifier {
    /// Entries from `first_signed` on must be signed, and so must every entry whose actor had
    /// been given a signing key by then: moving `first_signed` (a row of the database) no
    /// longer excuses a stripped signature. Moving an account's `since` too still does — it is
    /// a row as well, which endorsements do not cover (SECURITY.md says what shows it).
    pub fn new(keys: SigningKeys, first_signed: AuditId) -> SignatureVerifier {
        SignatureVerifier {
            keys,
            first_signed,
            latest_at: i64::MIN,
            pending: Vec::with_capacity(BATCH),
            report: Default::default(),
        }
    }

    pub fn push(&mut self, entry: &AuditEntry, signature: Option<&EntrySignature>) {
        let named =
            FaultyEntry { id: entry.id, actor: entry.actor, signed_by: signature.map(|s| s.signed_by) };
        self.latest_at = self.latest_at.max(entry.at.timestamp_micros());
        let Some(signature) = signature else {
            let actor_had_a_key = entry
                .actor
                .and_then(|actor| self.keys.first_since(actor))
                .is_some_and(|since| since <= self.latest_at);
            if entry.id < self.first_signed && !actor_had_a_key {
                self.report.predating += 1;
            } else {
                self.fault(SignatureFault::Unsigned, named);
            }
            return;
        };
        if entry.actor.is_some_and(|actor| actor != signature.signed_by) {
            self.fault(SignatureFault::NotItsActor, named);
            return;
        }
        let Some(key) = self.keys.at(signature.signed_by, entry.at.timestamp_micros()) else {
            self.fault(SignatureFault::Mismatch, named);
            return;
        };
        self.pending.push(Pending {
            entry: named,
            message: signed_message(signature.signed_by, entry.id, &entry.hash),
            signature: Signature::from_bytes(&signature.signature),
            key: *key,
        });
        if self.pending.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let messages: Vec<&[u8]> = pending.iter().map(|p| p.message.as_slice()).collect();
        let signatures: Vec<Signature> = pending.iter().map(|p| p.signature).collect();
        let keys: Vec<VerifyingKey> = pending.iter().map(|p| p.key).collect();
        if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
            self.report.verified += pending.len() as u64;
        } else {
            for p in &pending {
                if p.key.verify(&p.message, &p.signature).is_ok() {
                    self.report.verified += 1;
                } else {
                    self.fault(SignatureFault::Mismatch, p.entry);
                }
            }
        }
        self.pending = pending;
        self.pending.clear();
    }

    fn fault(&mut self, fault: SignatureFault, entry: FaultyEntry) {
        let faulty = self.report.faults.entry(fault).or_default();
        faulty.count += 1;
        if faulty.first.len() < NAMED {
            faulty.first.push(entry);
        }
    }

    pub fn finish(mut self) -> SignatureReport {
        if !self.pending.is_empty() {
            self.flush();
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::audit::{AuditAction, GENESIS_HASH, ObjectKind, entry_hash};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    /// `n` entries, entry `i` by `actors[i % len]`, one second apart from second 1000.
    fn entries(n: i64, actors: &[i64]) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|i| {
                let at = Utc.timestamp_opt(1000 + i, 0).unwrap();
                let actor = Some(ListenerId(actors[(i as usize) % actors.len()]));
                let hash = entry_hash(
                    &prev,
                    AuditId(i),
                    at,
                    actor,
                    AuditAction::FileOpened,
                    ObjectKind::CallerFile,
                    Some(i),
                );
                AuditEntry {
                    id: AuditId(i),
                    at,
                    actor,
                    action: AuditAction::FileOpened,
                    object_kind: ObjectKind::CallerFile,
                    object_id: Some(i),
                    prev_hash: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                }
            })
            .collect()
    }

    fn signed(entry: &AuditEntry, by: i64, key: &SigningKey) -> EntrySignature {
        EntrySignature {
            signed_by: ListenerId(by),
            signature: sign(key, ListenerId(by), entry.id, &entry.hash),
        }
    }

    fn keys_of(pairs: &[(i64, &SigningKey, i64, Option<i64>)]) -> SigningKeys {
        let mut keys = SigningKeys::default();
        for (who, key, since, until) in pairs {
            keys.add(ListenerId(*who), &key.verifying_key().to_bytes(), *since, *until);
        }
        keys
    }

    fn verify(
        keys: SigningKeys,
        first: i64,
        items: &[(AuditEntry, Option<EntrySignature>)],
    ) -> SignatureReport {
        let mut verifier = SignatureVerifier::new(keys, AuditId(first));
        for (entry, signature) in items {
            verifier.push(entry, signature.as_ref());
        }
        verifier.finish()
    }

    #[test]
    fn the_message_is_tagged_and_canonical() {
        let message = signed_message(ListenerId(2), AuditId(7), "ab");
        assert_eq!(
            hex::encode(message),
            format!("00000019{}{:016x}{:016x}000000026162", hex::encode(SIGNATURE_TAG), 2, 7)
        );
    }

    #[test]
    fn a_long_honest_log_verifies_across_batches() {
        let (a, b) = (key(1), key(2));
        let items: Vec<_> = entries(600, &[1, 2])
            .into_iter()
            .map(|e| {
                let by = e.actor.unwrap().0;
                let s = signed(&e, by, if by == 1 { &a } else { &b });
                (e, Some(s))
            })
            .collect();
        let report = verify(keys_of(&[(1, &a, 0, None), (2, &b, 0, None)]), 1, &items);
        assert_eq!(report, SignatureReport { verified: 600, ..Default::default() });
    }

    #[test]
    fn each_fault_is_told_apart_and_old_entries_predate() {
        let (a, b) = (key(1), key(2));
        let log = entries(8, &[1]);
        let mut items: Vec<_> = log.iter().map(|e| (e.clone(), Some(signed(e, 1, &a)))).collect();
        items[0].1 = None; // before signing began
        items[1].1 = None;
        items[3].1 = None; // after: a fault
        items[4].1 = Some(signed(&log[4], 2, &b)); // in account 1's name, signed by 2
        items[5].1 = Some(signed(&log[5], 1, &b)); // says 1, signed with 2's key
        items[6].0.object_id = Some(99); // changed after it was signed (and its hash recomputed)
        items[6].0.hash = "00".repeat(32);
        // Account 1 was given its key between entries 2 and 3, when signing began.
        let given = Utc.timestamp_opt(1002, 500_000_000).unwrap().timestamp_micros();
        let report = verify(keys_of(&[(1, &a, given, None), (2, &b, 0, None)]), 3, &items);
        assert_eq!(report.predating, 2);
        assert_eq!(report.verified, 2, "entries 3 and 8");
        let ids = |fault| -> Vec<i64> { report.faults[&fault].first.iter().map(|e| e.id.0).collect() };
        assert_eq!(ids(SignatureFault::Unsigned), [4]);
        assert_eq!(ids(SignatureFault::NotItsActor), [5]);
        assert_eq!(ids(SignatureFault::Mismatch), [6, 7]);
    }

    #[test]
    fn an_entry_verifies_with_the_key_its_signer_had_then() {
        let (old, new) = (key(1), key(3));
        let log = entries(4, &[1]);
        // Entries are at seconds 1001..=1004; the keys changed at 1002.5.
        let change = Utc.timestamp_opt(1002, 500_000_000).unwrap().timestamp_micros();
        let keys = || keys_of(&[(1, &old, 0, Some(change)), (1, &new, change, None)]);
        let honest: Vec<_> = log
            .iter()
            .enumerate()
            .map(|(i, e)| (e.clone(), Some(signed(e, 1, if i < 2 { &old } else { &new }))))
            .collect();
        assert_eq!(verify(keys(), 1, &honest).verified, 4);
        // The retired key signing after its retirement, or the new one before it existed.
        let swapped: Vec<_> = log
            .iter()
            .enumerate()
            .map(|(i, e)| (e.clone(), Some(signed(e, 1, if i < 2 { &new } else { &old }))))
            .collect();
        let report = verify(keys(), 1, &swapped);
        assert_eq!(report.faults[&SignatureFault::Mismatch].count, 4);
    }

    /// Whoever holds the data key can move where signing began (a row of the database) and
    /// strip an entry's signature, even move the entry back in time: an entry whose actor had
    /// already been given a signing key must still be signed.
    #[test]
    fn stripping_a_signature_and_moving_where_signing_began_is_told() {
        let a = key(1);
        let log = entries(6, &[1]);
        let given = Utc.timestamp_opt(1002, 500_000_000).unwrap().timestamp_micros();
        let mut items: Vec<_> = log.iter().map(|e| (e.clone(), Some(signed(e, 1, &a)))).collect();
        items[0].1 = None; // truly before the key
        items[1].1 = None;
        items[4].1 = None; // stripped
        items[5].1 = None; // stripped, and moved back before the key was given
        items[5].0.at = Utc.timestamp_opt(1001, 0).unwrap();
        let report = verify(keys_of(&[(1, &a, given, None)]), 99, &items);
        assert_eq!(report.predating, 2, "{report:?}");
        let unsigned = &report.faults[&SignatureFault::Unsigned];
        assert_eq!(unsigned.first.iter().map(|e| e.id.0).collect::<Vec<_>>(), [5, 6]);
    }

    #[test]
    fn only_the_first_few_faulty_entries_are_named() {
        let log = entries(20, &[1]);
        let items: Vec<_> = log.into_iter().map(|e| (e, None)).collect();
        let report = verify(SigningKeys::default(), 1, &items);
        let unsigned = &report.faults[&SignatureFault::Unsigned];
        assert_eq!((unsigned.count, unsigned.first.len()), (20, NAMED));
    }
}
