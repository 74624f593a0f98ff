//! Store tests that need what the public API rightly hides: the raw data key (to play the
//! independent SQLCipher client, or an attacker holding the key) and the connection.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::*;
use crate::domain::audit::ChainBreak;
use crate::domain::caller_file::FileProfile;

pub(super) const PASS: &str = "lune verte soixante";

/// A new store whose only account is the supervisor `coord` (passphrase [`PASS`]).
pub(super) fn create(db: &Path) -> Store {
    let account =
        NewAccount { login: "coord", display_name: "Dominique", role: Role::Supervisor, passphrase: PASS };
    Store::create(db, account, KdfParams::MINIMUM).unwrap()
}

/// A second connection with the raw key: what someone holding the key could do.
pub(super) fn raw_connection(store: &Store) -> Connection {
    let conn = Connection::open(store.db_path().unwrap()).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", store.key.sqlcipher_literal().as_str())).unwrap();
    conn
}

/// The Python `sqlcipher3` module (SQLCipher 4, installed by .ci/run) as an independent client.
fn python_sqlcipher(script: &str, db: &Path, key_hex: &str) -> Option<std::process::Output> {
    let available =
        Command::new("python3").args(["-c", "import sqlcipher3"]).status().is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install sqlcipher3 (pip install sqlcipher3-binary)"
        );
        eprintln!("skipped: python3 with sqlcipher3 is not installed");
        return None;
    }
    Some(Command::new("python3").args(["-c", script]).arg(db).arg(key_hex).output().unwrap())
}

#[test]
fn a_standard_sqlcipher_4_client_reads_it_with_the_raw_key_and_nothing_without() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    store.create_file(&FileProfile::default()).unwrap();
    let key_hex = hex::encode(store.key.bytes());
    drop(store);
    let read = r#"
import sys, sqlcipher3
conn = sqlcipher3.connect(sys.argv[1])
conn.execute("PRAGMA key = \"x'" + sys.argv[2] + "'\"")
print(conn.execute("SELECT count(*) FROM caller_file").fetchone()[0])
print(conn.execute("SELECT login, role FROM listener").fetchall())
"#;
    let Some(output) = python_sqlcipher(read, &db, &key_hex) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout, "1\n[('coord', 'supervisor')]\n");

    let wrong_key = "00".repeat(32);
    let output = python_sqlcipher(read, &db, &wrong_key).unwrap();
    assert!(!output.status.success(), "a wrong key reads nothing");
    let no_key = "import sys, sqlcipher3\nsqlcipher3.connect(sys.argv[1]).execute('SELECT * FROM listener').fetchall()";
    let output = python_sqlcipher(no_key, &db, "").unwrap();
    assert!(!output.status.success(), "no key reads nothing");
}

#[test]
fn the_audit_chain_detects_an_edited_or_deleted_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    for _ in 0..3 {
        store.create_file(&FileProfile::default()).unwrap();
    }
    let intact = store.verify_audit_chain().unwrap().unwrap();
    assert!(intact.entries >= 5);
    assert!(store.check().unwrap().is_clean());

    let raw = raw_connection(&store);
    // The software itself cannot change the log...
    assert!(raw.execute("UPDATE audit SET object_id = 99 WHERE id = 3", []).is_err());
    assert!(raw.execute("DELETE FROM audit WHERE id = 3", []).is_err());
    // ...and someone who drops the guard is caught by the chain.
    raw.execute_batch("DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_is_append_only_delete;")
        .unwrap();
    raw.execute("UPDATE audit SET object_id = 99 WHERE id = 3", []).unwrap();
    assert_eq!(store.verify_audit_chain().unwrap(), Err(ChainBreak::Altered(crate::domain::AuditId(3))));
    let report = store.check().unwrap();
    assert!(matches!(report.findings.as_slice(), [CheckFinding::AuditChain(_)]), "{report:?}");

    let db2 = dir.path().join("q.db");
    let mut store = create(&db2);
    for _ in 0..3 {
        store.create_file(&FileProfile::default()).unwrap();
    }
    let raw = raw_connection(&store);
    raw.execute_batch("DROP TRIGGER audit_is_append_only_delete; DELETE FROM audit WHERE id = 3;").unwrap();
    assert_eq!(store.verify_audit_chain().unwrap(), Err(ChainBreak::Unlinked(crate::domain::AuditId(4))));
}

#[test]
fn a_database_held_by_another_writer_is_reported_busy() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    let holder = raw_connection(&store);
    holder.execute_batch("BEGIN IMMEDIATE;").unwrap();
    store.conn.sqlite().unwrap().busy_timeout(Duration::from_millis(50)).unwrap();
    let err = store.create_file(&FileProfile::default()).unwrap_err();
    assert!(matches!(err, StoreError::Locked), "{err:?}");
    holder.execute_batch("ROLLBACK;").unwrap();
    store.create_file(&FileProfile::default()).unwrap();
}

#[test]
fn connections_have_the_durability_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let store = create(&dir.path().join("p.db"));
    let pragma = |name: &str| -> String {
        store
            .conn
            .sqlite()
            .unwrap()
            .query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, rusqlite::types::Value>(0))
            .map(|v| match v {
                rusqlite::types::Value::Integer(n) => n.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .unwrap()
    };
    assert_eq!(pragma("journal_mode"), "wal");
    assert_eq!(pragma("synchronous"), "2", "FULL");
    assert_eq!(pragma("foreign_keys"), "1");
    assert_eq!(pragma("temp_store"), "2", "MEMORY");
    assert_eq!(pragma("secure_delete"), "1");
    assert!(pragma("cipher_version").starts_with('4'));
}

#[test]
fn a_purge_of_years_rebuilds_the_index_without_the_wiped_words() {
    use crate::domain::call::{CallRecord, CallType, NewCall};
    let dir = tempfile::tempdir().unwrap();
    let mut store = create(&dir.path().join("p.db"));
    let me = store.actor().id;
    let long_ago = chrono::Utc::now() - chrono::Duration::days(1000);
    let old_notes = retention::BULK_NOTES as usize + 50;
    {
        let bulk = store.bulk().unwrap();
        let shift = bulk.shift(me, long_ago, Some(long_ago + chrono::Duration::hours(4)), None).unwrap();
        let (file, _) = bulk.file(&mut rand::thread_rng(), &FileProfile::default(), long_ago).unwrap();
        for n in 0..old_notes {
            let record = CallRecord {
                caller_file_id: Some(file),
                notes: format!("ancienne note {n} motsecret"),
                ..CallRecord::default()
            };
            let call = NewCall {
                shift_id: shift,
                started_at: long_ago,
                ended_at: long_ago,
                call_type: CallType::Listening,
                time_spent: None,
                record,
            };
            bulk.call(me, &call).unwrap();
        }
        bulk.commit().unwrap();
    }
    let found = |store: &mut Store| store.search_files("motsecret", &Default::default(), 5).unwrap().len();
    assert_eq!(found(&mut store), 1);
    let report = store.purge(chrono::Utc::now(), false).unwrap();
    assert_eq!((report.files, report.calls), (1, old_notes));
    assert_eq!(found(&mut store), 0);
    for table in ["call_fts", "caller_file_fts"] {
        let secure: i64 = store
            .conn
            .sqlite()
            .unwrap()
            .query_row(&format!("SELECT v FROM {table}_config WHERE k = 'secure-delete'"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(secure, 1, "{table}: secure-delete is back on after the bulk path");
    }
    // The index holds no token of the wiped notes any more (not even as a delete marker).
    store
        .conn
        .sqlite()
        .unwrap()
        .execute_batch("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, call_fts, row);")
        .unwrap();
    let left: i64 = store
        .conn
        .sqlite()
        .unwrap()
        .query_row("SELECT count(*) FROM temp.vocab WHERE term = 'motsecret'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

/// A store made before the centre's retention setting existed: until then each terminal used
/// its own config's period, so none is guessed. Nothing is purged until a supervisor states it.
#[test]
fn a_store_from_before_the_retention_setting_purges_nothing_until_a_supervisor_sets_it() {
    use crate::domain::caller_file::UnlockPurge;
    use crate::domain::settings::Setting;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let mut store = create(&db);
    assert_eq!(store.settings().unwrap().retention_days, Some(730), "a new store has it");
    // What migration 7 leaves in an older store.
    raw_connection(&store).execute("DELETE FROM centre_setting WHERE name = 'retention_days'", []).unwrap();
    assert_eq!(store.settings().unwrap().retention_days, None);
    assert_eq!(store.purge_at_unlock(Utc::now()).unwrap(), UnlockPurge::RetentionNotSet);
    let err = store.purge(Utc::now(), true).unwrap_err();
    assert!(err.to_string().contains("settings set retention_days"), "{err}");
    store.set_setting(Setting::RetentionDays, 365).unwrap();
    assert_eq!(store.settings().unwrap().retention_days, Some(365));
    assert!(store.purge(Utc::now(), true).is_ok());
}

#[test]
fn someone_gone_without_ending_their_shift_is_told_apart_and_a_supervisor_closes_it() {
    use crate::domain::call::{CallDraft, CallRecord};
    use presence::Presence;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut supervisor = create(&db);
    let account =
        NewAccount { login: "camille", display_name: "Camille", role: Role::Listener, passphrase: PASS };
    let camille = supervisor.add_listener(account, KdfParams::MINIMUM).unwrap().id;
    let file = supervisor.create_file(&FileProfile::default()).unwrap().id;

    // Camille's terminal: unlocked, a shift, a file opened; it says it is open.
    let terminal = Presence::hold(&Location::File(db.clone()), camille).unwrap();
    let mut listener = Store::open(&db, "camille", PASS).unwrap();
    let shift = listener.start_shift().unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let before = chrono::Utc::now();
    listener.open_file(file).unwrap();
    let after = chrono::Utc::now();
    let overview = supervisor.shift_overview().unwrap();
    assert_eq!(overview.len(), 1);
    assert_eq!((overview[0].shift_id, overview[0].left), (shift.id, None), "open: not gone");
    assert!(
        matches!(supervisor.end_shift(shift.id, ""), Err(StoreError::TerminalStillOpen(name)) if name == "Camille"),
        "a shift whose terminal is open is closed there"
    );

    // The terminal is gone (the process ended): Camille left without ending her shift. Her
    // last activity is her last audited action, not the supervisor's, nor the shift's start.
    drop(listener);
    drop(terminal);
    supervisor.create_file(&FileProfile::default()).unwrap();
    let left = supervisor.shift_overview().unwrap()[0].left.expect("gone");
    assert!(left >= before && left <= after, "{left} not between {before} and {after}");

    // The draft of the call she was typing counts too: it is autosaved as she types.
    let mut listener = Store::open(&db, "camille", PASS).unwrap();
    let unlocked = chrono::Utc::now();
    std::thread::sleep(Duration::from_millis(1100));
    let draft =
        CallDraft { shift_id: shift.id, started_at: after, call_type: None, record: CallRecord::default() };
    listener.save_draft(&draft).unwrap();
    let saved = chrono::Utc::now();
    drop(listener);
    let left = supervisor.shift_overview().unwrap()[0].left.expect("gone");
    assert!(left > unlocked && left <= saved, "the draft's autosave, after her unlock: {left}");

    // The supervisor closes it: closed, audited in the supervisor's name; the draft is kept
    // for her next unlock (nothing she wrote is lost).
    supervisor.end_shift(shift.id, "Camille partie sans clore.").unwrap();
    assert!(supervisor.shift_overview().unwrap().is_empty());
    assert_eq!(supervisor.last_closed_shift().unwrap().unwrap().id, shift.id);
    let (actor, object): (i64, i64) = supervisor
        .conn
        .sqlite()
        .unwrap()
        .query_row(
            "SELECT actor, object_id FROM audit WHERE action = 'shift_ended' ORDER BY id DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((actor, object), (supervisor.actor().id.0, shift.id.0));
    let listener = Store::open(&db, "camille", PASS).unwrap();
    assert_eq!(listener.draft().unwrap(), Some(draft));
    assert_eq!(listener.open_shift().unwrap(), None);
}

#[test]
fn the_last_activity_is_found_through_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = create(&dir.path().join("p.db"));
    let plan: Vec<String> = store
        .conn
        .sqlite()
        .unwrap()
        .prepare("EXPLAIN QUERY PLAN SELECT max(at) FROM audit WHERE actor = 1")
        .unwrap()
        .query_map([], |row| row.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(plan.iter().any(|step| step.contains("audit_by_actor")), "{plan:?}");
}

/// Issue 16: a search listing files with their summaries, or found by words in their notes,
/// is audited with the files' ids (once per file and unlock); never the query nor the text.
#[test]
fn a_search_that_shows_text_is_audited_with_the_files_ids_only() {
    use crate::domain::call::{CallRecord, CallType, NewCall};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    let with_summary =
        |summary: &str| FileProfile { situation_summary: summary.into(), ..FileProfile::default() };
    let a = store.create_file(&with_summary("Isolée le soir, CANARYSUMMARY")).unwrap();
    let b = store.create_file(&FileProfile::default()).unwrap();
    let c = store.create_file(&FileProfile::default()).unwrap();
    let shift = store.start_shift().unwrap();
    let record =
        CallRecord { caller_file_id: Some(b.id), notes: "parle de CANARYNOTE".into(), ..Default::default() };
    let now = chrono::Utc::now();
    store
        .save_call(&NewCall {
            shift_id: shift.id,
            started_at: now,
            ended_at: now,
            call_type: CallType::Listening,
            time_spent: None,
            record,
        })
        .unwrap();
    let shown = |store: &Store| -> Vec<i64> {
        let mut statement = store
            .conn.sqlite().unwrap()
            .prepare("SELECT object_id FROM audit WHERE action = 'file_shown_in_search' AND object_kind = 'caller_file' ORDER BY id")
            .unwrap();
        statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let search =
        |store: &mut Store, query: &str| store.search_files(query, &Default::default(), 20).unwrap().len();

    // Its code alone, no summary: nothing of its text shown, nothing recorded.
    assert_eq!(search(&mut store, c.code.as_str()), 1);
    assert_eq!(shown(&store), Vec::<i64>::new());
    // A summary shown: recorded, once, however often it is shown again (typing a query).
    assert_eq!(search(&mut store, "isol"), 1);
    assert_eq!(search(&mut store, "isolée"), 1);
    assert_eq!(search(&mut store, "isolée soir"), 1);
    assert_eq!(shown(&store), [a.id.0]);
    // Found by words in its notes, with no summary: the list itself says what it holds.
    assert_eq!(search(&mut store, "canarynote"), 1);
    assert_eq!(shown(&store), [a.id.0, b.id.0]);
    // The next unlock records again what it is shown.
    drop(store);
    let mut store = Store::open(&db, "coord", PASS).unwrap();
    assert_eq!(search(&mut store, "canarysummary"), 1);
    assert_eq!(shown(&store), [a.id.0, b.id.0, a.id.0]);
    // Ids only: neither the queries nor the text are anywhere in the log.
    let log: String = store
        .conn
        .sqlite()
        .unwrap()
        .prepare("SELECT * FROM audit")
        .unwrap()
        .query_map([], |row| Ok((0..8).map(|i| format!("{:?}", row.get_ref(i).unwrap())).collect::<String>()))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .concat()
        .to_lowercase();
    for secret in ["isol", "canary", "soir"] {
        assert!(!log.contains(secret), "{secret} in the audit log");
    }
    assert!(store.verify_audit_chain().unwrap().is_ok());
}

#[test]
fn a_taken_login_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = create(&dir.path().join("p.db"));
    let account = |name| NewAccount {
        login: "camille",
        display_name: name,
        role: Role::Listener,
        passphrase: "trois pommes bleues vertes",
    };
    store.add_listener(account("Camille"), KdfParams::MINIMUM).unwrap();
    let again = store.add_listener(account("Autre"), KdfParams::MINIMUM);
    assert!(matches!(again, Err(StoreError::Refused(_))), "{again:?}");
    let names: Vec<String> = store.listeners().unwrap().into_iter().map(|l| l.display_name).collect();
    assert_eq!(names, ["Camille", "Dominique"]);
}

/// Issue 22: a store from before channels (schema 11) opens, every contact and callback in it
/// becomes a phone one, and its figures are the ones it had: the same counts, lengths and
/// medians, now also under "phone".
#[test]
fn a_store_from_before_channels_opens_with_every_contact_a_phone_call_and_the_same_figures() {
    use crate::domain::call::{CallRecord, CallType, NewCall, Outcome};
    use crate::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};
    use crate::domain::channel::PHONE;
    use crate::store::summary::ScopeRequest;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let mut store = create(&db);
    let file = store.create_file(&FileProfile::default()).unwrap().id;
    let shift = store.start_shift().unwrap();
    let start = chrono::Utc::now() - chrono::Duration::hours(2);
    let start = start - chrono::Duration::nanoseconds(i64::from(start.timestamp_subsec_nanos()));
    for (i, (minutes, call_type)) in
        [(12, CallType::Listening), (3, CallType::Silent), (40, CallType::Crisis), (7, CallType::Information)]
            .into_iter()
            .enumerate()
    {
        let started_at = start + chrono::Duration::minutes(25 * i as i64);
        let record = CallRecord {
            caller_file_id: Some(file),
            themes: vec!["isolement".into()],
            outcome: (!call_type.is_quick()).then_some(Outcome::Supported),
            ..CallRecord::default()
        };
        let call = NewCall {
            shift_id: shift.id,
            started_at,
            ended_at: started_at + chrono::Duration::minutes(minutes),
            call_type,
            time_spent: None,
            record,
        };
        store.save_call(&call).unwrap();
    }
    let number = PhoneNumber::parse("06 39 98 00 01").unwrap();
    let callback = NewCallback::with_consent(
        true,
        file,
        None,
        start + chrono::Duration::days(1),
        Priority::Normal,
        number,
        Assignee::Anyone,
        String::new(),
    )
    .unwrap();
    store.schedule_callback(&callback).unwrap();
    let now = chrono::Utc::now();
    let period = ScopeRequest::Period { from: start, to: now };

    // Back to schema 11: what migrations 12 to 17 added is taken away again, the contacts kept.
    let raw = raw_connection(&store);
    raw.execute_batch(
        "DROP INDEX call_by_save_token; ALTER TABLE call DROP COLUMN save_token;
         DROP TABLE stat_rebuild; DROP TABLE stat_quarter; DROP TABLE stat_count; DROP TABLE stat_rules;
         DROP INDEX callback_attempt_by_call;
         DROP TABLE missed_call; DROP TABLE call_caller; DROP TABLE phone_secret;
         DROP INDEX call_statistics;
         ALTER TABLE call DROP COLUMN channel;
         ALTER TABLE call DROP COLUMN time_spent;
         ALTER TABLE callback DROP COLUMN channel;
         PRAGMA user_version = 11;",
    )
    .unwrap();
    // The figures as schema 11 had them, from its own columns.
    let (count, total): (u32, i64) = raw
        .query_row("SELECT count(*), sum(ended_at - started_at) FROM call", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    drop(raw);
    drop(store);

    let store = Store::open(&db, "coord", PASS).unwrap();
    let version: i64 =
        store.conn.query_row("PRAGMA user_version", crate::db_params![], |r| r.get(0)).unwrap();
    assert_eq!(version, schema::LATEST);
    let figures = store.summary(period, now).unwrap();
    assert_eq!((figures.calls, figures.total_seconds), (count, total));
    assert_eq!((count, total), (4, (12 + 3 + 40 + 7) * 60));
    assert_eq!(figures.median_seconds, (7 + 12) * 60 / 2, "the median of 3, 7, 12 and 40 minutes");
    assert_eq!(figures.by_type.values().sum::<u32>(), 4);
    assert_eq!(figures.written, Default::default(), "nothing was written");
    assert_eq!(figures.by_channel.len(), 1);
    assert_eq!(figures.by_channel[PHONE].contacts, 4);
    assert_eq!(figures.by_channel[PHONE].seconds, total);
    // The statistics' rollup, counted from the calls by the upgrade, gives the same figures.
    let zone = crate::local_time::Zone::default();
    let days = crate::domain::statistics::StatsPeriod::new(zone.today(start), zone.today(now)).unwrap();
    let stats = store.statistics(&crate::config::Config::default().statistics_of(days, now)).unwrap();
    assert_eq!((stats.summary.calls, stats.summary.total_seconds), (count, total));
    assert_eq!(stats.summary.by_channel[PHONE].contacts, 4);
    assert_eq!(stats.summary.callbacks.created, 1);
    assert_eq!(stats.summary.by_theme["isolement"], 4);
    let calls = store.calls_of_file(file).unwrap();
    assert!(calls.iter().all(|c| c.record.channel == PHONE && c.time_spent.is_none()));
    let rows = store.call_rows(period, false).unwrap();
    assert!(rows.iter().all(|r| r.channel == PHONE && r.time_spent.is_none()));
    let callbacks = store.callbacks_of_file(file).unwrap();
    assert_eq!(callbacks[0].channel, PHONE);
    assert_eq!(callbacks[0].callback_number.as_ref().map(|a| a.as_str()), Some("0639980001"));
}

/// Review of 756f17b, finding 12: changing one's own passphrase derives the new key (Argon2id,
/// a second or so at real settings) before the write transaction, which every other terminal's
/// write would otherwise wait on; under the lock it only checks the slot is still the one
/// resealed. The key derivations run inside a write transaction are counted on this thread.
#[test]
fn ones_own_passphrase_change_derives_its_key_outside_the_write_transaction() {
    use super::db::write_transactions::derivations_inside;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    let before = derivations_inside();
    store.set_passphrase("coord", "quatre chevaux gris dans la brume", KdfParams::MINIMUM).unwrap();
    assert_eq!(derivations_inside(), before, "no key derivation inside the write transaction");
    drop(store);
    assert!(Store::open(&db, "coord", "quatre chevaux gris dans la brume").is_ok());
}
