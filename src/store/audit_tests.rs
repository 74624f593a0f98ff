//! Audit entries signed by their author, against someone who holds the data key: a listener
//! opens the file with her own passphrase (so she holds the data key and her own signing key,
//! nobody else's), drops the triggers and rewrites the log. Tests that need what the public API
//! hides: the raw key, the actor's signing key.

use std::path::Path;

use ed25519_dalek::SigningKey;
use rand::SeedableRng;

use super::*;
use crate::domain::AuditId;
use crate::domain::ListenerId;
use crate::domain::audit::{GENESIS_HASH, entry_hash};
use crate::domain::audit_signature::{self, SignatureFault};
use crate::domain::caller_file::{FileProfile, UnlockPurge};
use crate::domain::settings::Setting;

use super::tests::{PASS as SUPERVISOR_PASS, raw_connection};

const LISTENER_PASS: &str = "trois pommes bleues";

/// The supervisor's store with one listener, Camille.
fn create(db: &Path) -> Store {
    let mut store = super::tests::create(db);
    let camille = NewAccount {
        login: "camille",
        display_name: "Camille",
        role: Role::Listener,
        passphrase: LISTENER_PASS,
    };
    store.add_listener(camille, KdfParams::MINIMUM).unwrap();
    store
}

/// A row of the log as the attacker reads it.
struct Row {
    id: i64,
    at: i64,
    actor: Option<i64>,
    action: String,
    object_kind: String,
    object_id: Option<i64>,
    signed_by: Option<i64>,
}

fn rows(raw: &Connection) -> Vec<Row> {
    raw.prepare("SELECT id, at, actor, action, object_kind, object_id, signed_by FROM audit ORDER BY id")
        .unwrap()
        .query_map([], |r| {
            Ok(Row {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                object_kind: r.get(4)?,
                object_id: r.get(5)?,
                signed_by: r.get(6)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn hash_of(prev: &str, row: &Row) -> String {
    entry_hash(
        prev,
        AuditId(row.id),
        chrono::DateTime::from_timestamp_micros(row.at).unwrap(),
        row.actor.map(ListenerId),
        row.action.parse().unwrap(),
        row.object_kind.parse().unwrap(),
        row.object_id,
    )
}

/// What a careful attacker does after changing the log: recomputes the whole SHA-256 chain,
/// and signs again every entry she can sign, her own.
fn recompute_chain_and_sign_own(raw: &Connection, own: ListenerId, key: &SigningKey) {
    let mut prev = GENESIS_HASH.to_owned();
    for row in rows(raw) {
        let hash = hash_of(&prev, &row);
        raw.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
            rusqlite::params![row.id, prev, hash],
        )
        .unwrap();
        if row.signed_by == Some(own.0) {
            let signature = audit_signature::sign(key, own, AuditId(row.id), &hash);
            raw.execute(
                "UPDATE audit SET signature = ?2 WHERE id = ?1",
                rusqlite::params![row.id, signature.as_slice()],
            )
            .unwrap();
        }
        prev = hash;
    }
}

fn signature_findings(report: &CheckReport) -> Vec<(SignatureFault, u64)> {
    report
        .findings
        .iter()
        .filter_map(|f| match f {
            CheckFinding::AuditSignature { fault, count, .. } => Some((*fault, *count)),
            _ => None,
        })
        .collect()
}

fn listener_id(store: &Store, login: &str) -> ListenerId {
    store.listener_by_login(login).unwrap().id
}

#[test]
fn every_entry_of_an_honest_store_is_signed_by_whoever_wrote_it_across_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    // A file past the retention period, purged at the next unlock as the software's own act.
    let bulk = store.bulk().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let three_years_ago = chrono::Utc::now() - chrono::Duration::days(3 * 365);
    bulk.file(&mut rng, &FileProfile::default(), three_years_ago).unwrap();
    bulk.commit().unwrap();
    store.set_setting(Setting::PurgeConfirmPercent, 100).unwrap();
    store.set_setting(Setting::RetentionDays, 365).unwrap();
    let camille = listener_id(&store, "camille");
    drop(store);

    let mut listener = Store::open(&db, "camille", LISTENER_PASS).unwrap();
    assert!(matches!(listener.purge_at_unlock(chrono::Utc::now()).unwrap(), UnlockPurge::Done(_)));
    listener.create_file(&FileProfile::default()).unwrap();
    drop(listener);
    // A reset: new keys for camille. What she signed before verifies with her old key.
    let mut supervisor = Store::open(&db, "coord", SUPERVISOR_PASS).unwrap();
    supervisor.set_passphrase("camille", "quatre poires jaunes", KdfParams::MINIMUM).unwrap();
    drop(supervisor);
    let mut listener = Store::open(&db, "camille", "quatre poires jaunes").unwrap();
    listener.create_file(&FileProfile::default()).unwrap();

    let report = listener.check().unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(report.audit_predating, 0, "a store made with signatures has no entry before them");
    assert_eq!(report.audit_signed, report.audit_entries, "every entry verified");
    let raw = raw_connection(&listener);
    let purge: (Option<i64>, Option<i64>) = raw
        .query_row("SELECT actor, signed_by FROM audit WHERE action = 'purged'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(purge, (None, Some(camille.0)), "the software's act is signed by the session's account");
    let unsigned: i64 =
        raw.query_row("SELECT count(*) FROM audit WHERE signature IS NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(unsigned, 0);
    let mismatched: i64 = raw
        .query_row("SELECT count(*) FROM audit WHERE actor IS NOT NULL AND actor != signed_by", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(mismatched, 0, "every entry is signed by its actor");
}

/// Issue 16: with the data key, a listener drops the triggers, deletes or edits the entry that
/// shows she opened a file, and recomputes the whole chain (signing her own entries again).
/// The chain verifies; the signatures of everyone else's entries after it do not.
#[test]
fn a_log_rewritten_with_its_chain_recomputed_is_named_by_the_signatures_of_others() {
    for tamper in ["delete", "edit"] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("p.db");
        let mut store = create(&db);
        let file = store.create_file(&FileProfile::default()).unwrap();
        let other = store.create_file(&FileProfile::default()).unwrap();
        drop(store);
        let mut listener = Store::open(&db, "camille", LISTENER_PASS).unwrap();
        listener.open_file(file.id).unwrap();
        listener.create_file(&FileProfile::default()).unwrap();
        drop(listener);
        let mut supervisor = Store::open(&db, "coord", SUPERVISOR_PASS).unwrap();
        supervisor.open_file(other.id).unwrap();
        supervisor.start_shift().unwrap();
        drop(supervisor);

        let attacker = Store::open(&db, "camille", LISTENER_PASS).unwrap();
        let camille = attacker.actor().id;
        let coord = listener_id(&attacker, "coord");
        let raw = raw_connection(&attacker);
        let opened: i64 = raw
            .query_row(
                "SELECT id FROM audit WHERE action = 'file_opened' AND actor = ?1 AND object_id = ?2",
                [camille.0, file.id.0],
                |r| r.get(0),
            )
            .unwrap();
        raw.execute_batch(
            "DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_is_append_only_delete;",
        )
        .unwrap();
        match tamper {
            "delete" => raw.execute("DELETE FROM audit WHERE id = ?1", [opened]).unwrap(),
            _ => raw.execute("UPDATE audit SET object_id = ?2 WHERE id = ?1", [opened, other.id.0]).unwrap(),
        };
        recompute_chain_and_sign_own(&raw, camille, attacker.signer().unwrap());

        assert!(attacker.verify_audit_chain().unwrap().is_ok(), "{tamper}: the chain alone verifies");
        let report = attacker.check().unwrap();
        let others_after: u64 =
            rows(&raw).iter().filter(|r| r.id > opened && r.signed_by == Some(coord.0)).count() as u64;
        assert!(others_after >= 2, "the supervisor wrote after the tampered entry");
        assert_eq!(
            signature_findings(&report),
            [(SignatureFault::Mismatch, others_after)],
            "{tamper}: every entry of the supervisor after it, and only those: {:?}",
            report.findings
        );
        assert!(!report.is_clean());
        let said = report.findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
        assert!(said.contains("(actor coord, signed by coord)"), "{said}");
    }
}

/// An entry forged in the supervisor's name (a backdoor account "added by coord"), signed with
/// the listener's own key: whether it says the listener signed it or the supervisor did, or
/// carries no signature, `check` names it.
#[test]
fn an_entry_forged_in_the_supervisors_name_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    drop(create(&db));
    let attacker = Store::open(&db, "camille", LISTENER_PASS).unwrap();
    assert!(attacker.check().unwrap().is_clean());
    let camille = attacker.actor().id;
    let coord = listener_id(&attacker, "coord");
    let raw = raw_connection(&attacker);
    raw.execute_batch("DROP TRIGGER audit_is_append_only_delete;").unwrap();
    let cases = [
        (Some(camille), SignatureFault::NotItsActor, "(actor coord, signed by camille)"),
        (Some(coord), SignatureFault::Mismatch, "(actor coord, signed by coord)"),
        (None, SignatureFault::Unsigned, "(actor coord)"),
    ];
    for (claimed_signer, fault, named) in cases {
        let last = rows(&raw).pop().unwrap();
        let prev: String =
            raw.query_row("SELECT hash FROM audit WHERE id = ?1", [last.id], |r| r.get(0)).unwrap();
        let forged = Row {
            id: last.id + 1,
            at: last.at + 1,
            actor: Some(coord.0),
            action: "listener_added".into(),
            object_kind: "listener".into(),
            object_id: Some(99),
            signed_by: claimed_signer.map(|s| s.0),
        };
        let hash = hash_of(&prev, &forged);
        let signature = claimed_signer.map(|s| {
            audit_signature::sign(attacker.signer().unwrap(), s, AuditId(forged.id), &hash).to_vec()
        });
        raw.execute(
            "INSERT INTO audit (id, at, actor, action, object_kind, object_id, prev_hash, hash, signed_by, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                forged.id,
                forged.at,
                forged.actor,
                forged.action,
                forged.object_kind,
                forged.object_id,
                prev,
                hash,
                forged.signed_by,
                signature
            ],
        )
        .unwrap();
        assert!(attacker.verify_audit_chain().unwrap().is_ok(), "the forged entry is chained properly");
        let report = attacker.check().unwrap();
        assert_eq!(signature_findings(&report), [(fault, 1)], "{:?}", report.findings);
        let said = report.findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
        assert!(said.contains(&format!("entry {} {named}", forged.id)), "{said}");
        raw.execute("DELETE FROM audit WHERE id = ?1", [forged.id]).unwrap();
    }
}

/// A listener strips the signature from an entry of theirs and moves where signing began past
/// the end of the log (its row is in the database they hold the key of): the entry is still
/// named unsigned, since its author's key was pinned before it.
#[test]
fn moving_where_signing_began_does_not_excuse_a_stripped_signature() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    drop(create(&db));
    let attacker = Store::open(&db, "camille", LISTENER_PASS).unwrap();
    let camille = attacker.actor().id;
    let raw = raw_connection(&attacker);
    let theirs: i64 =
        raw.query_row("SELECT max(id) FROM audit WHERE actor = ?1", [camille.0], |r| r.get(0)).unwrap();
    raw.execute_batch(
        "DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_signing_is_kept_update;
         UPDATE audit_signing SET first_signed = (SELECT max(id) + 1 FROM audit);",
    )
    .unwrap();
    raw.execute("UPDATE audit SET signed_by = NULL, signature = NULL WHERE id = ?1", [theirs]).unwrap();

    assert!(attacker.verify_audit_chain().unwrap().is_ok(), "a signature is not part of the chain");
    let report = attacker.check().unwrap();
    assert_eq!(signature_findings(&report), [(SignatureFault::Unsigned, 1)], "{:?}", report.findings);
    let said = report.findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(said.contains(&format!("entry {theirs} (actor camille)")), "{said}");
}
