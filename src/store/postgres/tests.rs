//! The statements written for both backends, run on a real server: they are valid in its
//! dialect, and what they send of a caller's words is ciphertext, even to `pg_dump`.

use chrono::Utc;

use crate::db_params;
use crate::domain::call::{CallRecord, CallType, NewCall};
use crate::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};
use crate::domain::caller_file::{FileEventKind, FileProfile};
use crate::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use crate::domain::{ListenerId, ShiftId};
use crate::store::db::{Db, TxKind, Value};
use crate::store::keyslots::DataKey;
use crate::store::seal::Field;
use crate::store::{callbacks, caller_files, calls};
use crate::test_support::postgres::fresh_database;

/// Sentences that must never reach the server in clear.
const CANARIES: [&str; 6] = [
    "canari-notes elle a peur de rentrer ce soir",
    "canari-prompt pas pertinent, déjà suivie",
    "canari-summary suivie depuis mars par le CMP",
    "canari-instructions ne pas rappeler avant 18 h",
    "canari-note rappeler sur le portable",
    "canari-reason situation apaisée",
];

#[test]
fn shared_writes_run_on_the_server_and_send_only_ciphertext() {
    let Some(database) = fresh_database("shared_writes_run_on_the_server_and_send_only_ciphertext") else {
        return;
    };
    let db = Db::postgres(database.connect());
    super::schema::migrate(&db).unwrap();
    let key = DataKey::generate().unwrap();
    db.set_key(&key);
    db.execute_batch(
        "INSERT INTO listener (id, login, display_name, role, created_at) VALUES (1, 'coord', 'Dominique', 'supervisor', 0);
         INSERT INTO shift (id, listener_id, started_at) VALUES (1, 1, 0);",
    )
    .unwrap();
    let tx = db.transaction(TxKind::Write).unwrap();
    let profile = FileProfile {
        situation_summary: CANARIES[2].into(),
        instructions: CANARIES[3].into(),
        ..FileProfile::default()
    };
    let (file, _code) = caller_files::insert(&tx, &mut rand::thread_rng(), &profile, Utc::now()).unwrap();
    let now = Utc::now();
    let call = NewCall {
        shift_id: ShiftId(1),
        started_at: now,
        ended_at: now,
        call_type: CallType::ALL[0],
        time_spent: None,
        record: CallRecord {
            caller_file_id: Some(file),
            notes: CANARIES[0].into(),
            themes: vec!["isolement".into()],
            prompts: vec![PromptRecord {
                number: "3114".into(),
                rule: "card".into(),
                raised_at: now,
                acknowledgement: Some(Acknowledgement {
                    at: now,
                    outcome: PromptOutcome::NotRelevant,
                    note: Some(CANARIES[1].into()),
                }),
            }],
            ..CallRecord::default()
        },
    };
    let call_id = calls::insert(&tx, ListenerId(1), &call).unwrap();
    let callback = NewCallback::with_consent(
        true,
        file,
        Some(call_id),
        now,
        Priority::Normal,
        PhoneNumber::parse("0639980000").unwrap(),
        Assignee::Anyone,
        CANARIES[4].into(),
    )
    .unwrap();
    let callback_id = callbacks::insert(&tx, &callback, now).unwrap();
    caller_files::add_event(&tx, file, now, Some(ListenerId(1)), FileEventKind::Changed, CANARIES[5], None)
        .unwrap();
    tx.commit().unwrap();

    // Read back in the terminal, each in its place.
    let notes: Value =
        db.query_row("SELECT notes FROM call WHERE id = ?1", db_params![call_id.0], |r| r.get(0)).unwrap();
    assert_eq!(db.unseal(Field::CALL_NOTES, call_id.0, &notes).unwrap(), CANARIES[0]);
    let number: Value = db
        .query_row("SELECT callback_number FROM callback WHERE id = ?1", db_params![callback_id.0], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(db.unseal(Field::CALLBACK_NUMBER, callback_id.0, &number).unwrap(), "0639980000");
    // Moved by the server's administrator to another row, the notes do not open.
    db.execute_batch(&format!(
        "INSERT INTO call (id, shift_id, listener_id, started_at, ended_at, call_type, notes)
         SELECT 999, shift_id, listener_id, started_at, ended_at, call_type, notes FROM call WHERE id = {}",
        call_id.0
    ))
    .unwrap();
    let moved: Value =
        db.query_row("SELECT notes FROM call WHERE id = 999", db_params![], |r| r.get(0)).unwrap();
    assert_eq!(moved, notes, "the same bytes");
    assert!(db.unseal(Field::CALL_NOTES, 999, &moved).is_err(), "in another row they do not open");

    // What the server holds, as its administrator's backup has it.
    let dump = std::process::Command::new("pg_dump").args(["--dbname", database.url()]).output();
    let dump = match dump {
        Ok(out) if out.status.success() => out.stdout,
        Ok(out) => panic!("pg_dump failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "CI installs pg_dump with the server: {e}");
            eprintln!("pg_dump not found: the dump half of this test is skipped");
            return;
        }
    };
    let dump = String::from_utf8_lossy(&dump);
    assert!(dump.contains("COPY public.call "), "the dump holds the calls");
    for canary in CANARIES {
        let word = canary.split(' ').next().unwrap();
        assert!(!dump.contains(word), "{word} is readable in pg_dump");
    }
    assert!(!dump.contains("0639980000"), "the callback number is readable in pg_dump");
}

/// Terminals appending to the audit log at once on the server keep one chain: each entry's
/// `prev_hash` is the hash of the entry before it, ids without a gap or a repeat.
#[test]
fn concurrent_writers_on_the_server_keep_one_audit_chain() {
    use crate::domain::audit::{AuditAction, ObjectKind};
    use crate::store::audit;
    let Some(database) = fresh_database("concurrent_writers_on_the_server_keep_one_audit_chain") else {
        return;
    };
    let db = Db::postgres(database.connect());
    super::schema::migrate(&db).unwrap();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let url = database.url().to_owned();
            std::thread::spawn(move || {
                let db = Db::postgres(super::ServerUrl::parse(&url).unwrap().connect().unwrap());
                for _ in 0..25 {
                    let tx = audit::Tx::begin(&db, None).unwrap();
                    audit::append(&tx, None, AuditAction::Unlocked, ObjectKind::Database, None).unwrap();
                    tx.commit().unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let rows = db
        .query_map("SELECT id, prev_hash, hash FROM audit ORDER BY id", db_params![], |row| {
            Ok((row.get::<i64>(0)?, row.get::<String>(1)?, row.get::<String>(2)?))
        })
        .unwrap();
    assert_eq!(rows.len(), 100);
    let mut previous = crate::domain::audit::GENESIS_HASH.to_owned();
    for (i, (id, prev_hash, hash)) in rows.into_iter().enumerate() {
        assert_eq!(id, i as i64 + 1);
        assert_eq!(prev_hash, previous, "entry {id}");
        previous = hash;
    } // The program's own verification, streamed from the server.
    let report = audit::verify(&db).unwrap().expect("one unbroken chain");
    assert_eq!((report.entries, report.head_hash), (100, previous));
}

/// A login or a file code already taken inserts nothing, and the transaction goes on: on the
/// server a failed statement would abort it (and the account's slot write with it).
#[test]
fn a_taken_login_is_refused_and_the_transaction_goes_on() {
    use crate::domain::listener::Role;
    use crate::store::{NewAccount, StoreError, listeners};
    let Some(database) = fresh_database("a_taken_login_is_refused_and_the_transaction_goes_on") else {
        return;
    };
    let db = Db::postgres(database.connect());
    super::schema::migrate(&db).unwrap();
    let account =
        NewAccount { login: "camille", display_name: "Camille", role: Role::Listener, passphrase: "" };
    let tx = db.transaction(TxKind::Write).unwrap();
    let first = listeners::insert(&tx, &account, Utc::now()).unwrap();
    let again = listeners::insert(&tx, &NewAccount { display_name: "Autre", ..account }, Utc::now());
    assert!(matches!(again, Err(StoreError::Refused(_))), "{again:?}");
    let other = listeners::insert(&tx, &NewAccount { login: "sacha", ..account }, Utc::now()).unwrap();
    tx.commit().unwrap();
    let names = listeners::all(&db).unwrap().into_iter().map(|l| (l.id, l.display_name)).collect::<Vec<_>>();
    assert_eq!(names, [(first, "Camille".to_owned()), (other, "Camille".to_owned())]);
}

/// A store over `db` (at `location`) with rows written by the functions both backends share,
/// without accounts or key slots: what the search conformance below reads, on both backends.
fn store_over(db: Db, key: DataKey, location: crate::store::Location) -> crate::store::Store {
    use crate::domain::listener::{Actor, Role};
    crate::store::Store {
        conn: db,
        location,
        key,
        actor: Actor {
            id: ListenerId(1),
            login: "coord".into(),
            display_name: "Dominique".into(),
            role: Role::Supervisor,
        },
        access: crate::domain::Access::ReadWrite,
        keys: None,
        shown_in_search: Default::default(),
        code_index: Default::default(),
        changes_heard: 0,
        salt: [0; crate::store::keyslots::DATABASE_SALT_LEN],
    }
}

/// The same files and calls, searched the same ways, find the same files in the same order
/// on the file (FTS5) and on the server (blind index): accents folded both ways, prefixes,
/// long words, codes, filters.
#[test]
fn search_finds_the_same_files_on_both_backends() {
    use crate::domain::caller_file::{FileFilter, FileStatus};
    let Some(database) = fresh_database("search_finds_the_same_files_on_both_backends") else { return };
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    let mut sqlite = sqlite;
    crate::store::schema::migrate(&mut sqlite).unwrap();
    let server = Db::postgres(database.connect());
    super::schema::migrate(&server).unwrap();
    let summaries = [
        "Appel de soutien : elle se sent très isolée depuis le déménagement.",
        "ÉCOUTE active, idées noires évoquées ; orientation vers le 3114.",
        "Il parle de son cœur brisé et de l'hôpital de jour.",
        "",
        "Accompagnement régulier, la sœur l'appelle chaque soir.",
    ];
    let notes = [
        (0, "Rappel prévu : situation stable, sommeil amélioré."),
        (2, "Violences conjugales, hébergement d'urgence évoqué avec le 3919."),
        (3, "inquiétude pour sa fille, harcèlement scolaire (3018)"),
        (4, "anticonstitutionnellement long mot pour tester les préfixes"),
    ];
    let mut stores = Vec::new();
    let server_url = super::ServerUrl::parse(database.url()).unwrap();
    let locations = [crate::store::Location::File(":memory:".into()), server_url.into()];
    for (db, location) in [Db::Sqlite(sqlite), server].into_iter().zip(locations) {
        let key = DataKey::generate().unwrap();
        db.set_key(&key);
        db.execute_batch(
            "INSERT INTO listener (id, login, display_name, role, created_at) VALUES (1, 'coord', 'Dominique', 'supervisor', 0);
             INSERT INTO shift (id, listener_id, started_at) VALUES (1, 1, 0);",
        )
        .unwrap();
        let tx = db.transaction(TxKind::Write).unwrap();
        // The same codes on both: drawn from the same seed.
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(7);
        let mut files = Vec::new();
        for (i, summary) in summaries.iter().enumerate() {
            let profile = FileProfile { situation_summary: (*summary).into(), ..FileProfile::default() };
            let created = chrono::DateTime::from_timestamp(1_700_000_000 + i as i64 * 3600, 0).unwrap();
            files.push(caller_files::insert(&tx, &mut rng, &profile, created).unwrap().0);
        }
        for (i, (file, text)) in notes.iter().enumerate() {
            let at = chrono::DateTime::from_timestamp(1_710_000_000 + i as i64 * 3600, 0).unwrap();
            let call = NewCall {
                shift_id: ShiftId(1),
                started_at: at,
                ended_at: at,
                call_type: CallType::ALL[0],
                time_spent: None,
                record: CallRecord {
                    caller_file_id: Some(files[*file]),
                    notes: (*text).into(),
                    ..CallRecord::default()
                },
            };
            calls::insert(&tx, ListenerId(1), &call).unwrap();
        }
        tx.execute("UPDATE caller_file SET status = 'follow_up' WHERE id IN (2, 3)", db_params![]).unwrap();
        tx.commit().unwrap();
        stores.push(store_over(db, key, location));
    }
    let code = stores[0].file_with_history(crate::domain::FileId(3)).unwrap().file.code;
    let code_start = code.as_str()[..5].to_owned();
    let follow_up = FileFilter { status: Some(FileStatus::FollowUp), ..FileFilter::default() };
    let no_filter = FileFilter::default();
    let queries: Vec<(&str, &FileFilter)> = [
        "ecoute",
        "écou",
        "ÉCOU",
        "isol",
        "isolee",
        "rappel",
        "rap",
        "hopital",
        "hôp",
        "coeur",
        "cœur",
        "soeur",
        "3114",
        "311",
        "violence urgence",
        "viol urg",
        "demenag",
        "idées noires",
        "harcelement scol",
        "accompagnements",
        "accompagnement",
        "anticonstitutionnel",
        "anticonstitutionnelles",
        "l'hôpital",
        "xyz",
        "",
        "appel",
        &code_start,
    ]
    .into_iter()
    .flat_map(|q| [(q, &no_filter), (q, &follow_up)])
    .collect();
    let mut found_any = 0;
    for (query, filter) in queries {
        let found: Vec<Vec<(bool, i64)>> = stores
            .iter()
            .map(|store| {
                store
                    .find_files(query, filter, 20)
                    .unwrap()
                    .into_iter()
                    .map(|(by_words, hit)| (by_words, hit.id.0))
                    .collect()
            })
            .collect();
        assert_eq!(found[1], found[0], "{query:?} {filter:?}: server, then file");
        found_any += usize::from(!found[0].is_empty());
    }
    assert!(found_any > 20, "the queries find something: {found_any}");
}

/// The retention purge on the server: the text is gone (empty bytes), its blind-index tags
/// with it, a pending callback is cancelled with a sealed reason that opens in its row, and
/// what was already closed for retention keeps its reason.
#[test]
fn the_purge_on_the_server_wipes_text_and_tags_and_seals_its_reason() {
    use crate::store::{audit, retention};
    let Some(database) = fresh_database("the_purge_on_the_server_wipes_text_and_tags_and_seals_its_reason")
    else {
        return;
    };
    let db = Db::postgres(database.connect());
    super::schema::migrate(&db).unwrap();
    let key = DataKey::generate().unwrap();
    db.set_key(&key);
    db.execute_batch(
        "INSERT INTO listener (id, login, display_name, role, created_at) VALUES (1, 'coord', 'Dominique', 'supervisor', 0);
         INSERT INTO shift (id, listener_id, started_at) VALUES (1, 1, 0);",
    )
    .unwrap();
    let long_ago = chrono::DateTime::from_timestamp(1_600_000_000, 0).unwrap();
    let tx = audit::Tx::begin(&db, None).unwrap();
    let profile = FileProfile { situation_summary: CANARIES[2].into(), ..FileProfile::default() };
    let (file, _) = caller_files::insert(tx.db(), &mut rand::thread_rng(), &profile, long_ago).unwrap();
    let call = NewCall {
        shift_id: ShiftId(1),
        started_at: long_ago,
        ended_at: long_ago,
        call_type: CallType::ALL[0],
        time_spent: None,
        record: CallRecord { caller_file_id: Some(file), notes: CANARIES[0].into(), ..CallRecord::default() },
    };
    let call_id = calls::insert(tx.db(), ListenerId(1), &call).unwrap();
    let callback = NewCallback::with_consent(
        true,
        file,
        Some(call_id),
        long_ago,
        Priority::Normal,
        PhoneNumber::parse("0639980000").unwrap(),
        Assignee::Anyone,
        CANARIES[4].into(),
    )
    .unwrap();
    let pending = callbacks::insert(tx.db(), &callback, long_ago).unwrap();
    let report = retention::purge_in(&tx, 1_700_000_000, Utc::now(), Some(ListenerId(1))).unwrap();
    tx.commit().unwrap();
    assert_eq!((report.files, report.calls, report.callbacks_cancelled), (1, 1, 1));
    let (summary, file_tags): (Vec<u8>, i64) = db
        .query_row(
            "SELECT situation_summary, cardinality(search_tags)::bigint FROM caller_file WHERE id = ?1",
            db_params![file.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let (notes, call_tags): (Vec<u8>, i64) = db
        .query_row(
            "SELECT notes, cardinality(search_tags)::bigint FROM call WHERE id = ?1",
            db_params![call_id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((summary, file_tags, notes, call_tags), (vec![], 0, vec![], 0));
    let (status, number, note, reason): (String, Option<Vec<u8>>, Vec<u8>, Value) = db
        .query_row(
            "SELECT status, callback_number, note, closed_reason FROM callback WHERE id = ?1",
            db_params![pending.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), number, note), ("cancelled", None, vec![]));
    assert_eq!(db.unseal(Field::CALLBACK_CLOSED_REASON, pending.0, &reason).unwrap(), "retention");
}

/// The figures of the same contacts are the same on both backends: the demo's filler writes
/// the same rows (same seed, same `now`) into a file and onto a server, with missed calls, and
/// the statistics of several periods, a shift's summary and the calls' rows with their notes
/// read back equal.
#[test]
fn the_same_contacts_give_the_same_statistics_on_both_backends() {
    use crate::domain::listener::Role;
    use crate::domain::phone::MissedCall;
    use crate::domain::statistics::StatsPeriod;
    use crate::local_time::Zone;
    use crate::store::{KdfParams, NewAccount, ScopeRequest, Store};
    let Some(database) = fresh_database("the_same_contacts_give_the_same_statistics_on_both_backends") else {
        return;
    };
    let now = chrono::DateTime::from_timestamp(1_751_371_234, 0).unwrap(); // 1 July 2025, 12:00 UTC
    let themes = crate::config::Config::default().themes;
    let dir = tempfile::tempdir().unwrap();
    let passphrase = "trois pommes bleues vertes";
    let account = |login, display_name, role| NewAccount { login, display_name, role, passphrase };
    let mut file = Store::create(
        dir.path().join("p.db"),
        account("coord", "Dominique", Role::Supervisor),
        KdfParams::MINIMUM,
    )
    .unwrap();
    for login in ["camille", "sacha"] {
        file.add_listener(account(login, login, Role::Listener), KdfParams::MINIMUM).unwrap();
    }
    let url = super::ServerUrl::parse(database.url()).unwrap();
    let mut server =
        Store::create(url, account("coord", "Dominique", Role::Supervisor), KdfParams::MINIMUM).unwrap();
    for login in ["camille", "sacha"] {
        server.add_listener(account(login, login, Role::Listener), KdfParams::MINIMUM).unwrap();
    }
    let listeners = [ListenerId(1), ListenerId(2), ListenerId(3)];
    let mut stores = [file, server];
    for store in &mut stores {
        crate::demo::fill(store, &listeners, 4000, &themes, now).unwrap();
        for (hours, seconds, shift) in
            [(30, 12, Some(ShiftId(2))), (200, 40, None), (900, 3, Some(ShiftId(40)))]
        {
            let missed = MissedCall {
                shift_id: shift,
                rang_at: now - chrono::Duration::hours(hours),
                ring_seconds: seconds,
            };
            store.record_missed_call(&missed).unwrap();
        }
    }
    let zone = Zone::default();
    let today = zone.today(now);
    let periods = [
        StatsPeriod::month_of(today),
        StatsPeriod::previous_month(today),
        StatsPeriod::year(2025),
        StatsPeriod::new(today - chrono::Duration::days(100), today).unwrap(),
    ];
    for period in periods {
        let request = crate::config::Config::default().statistics_of(period, now);
        let figures: Vec<_> = stores.iter().map(|s| s.statistics(&request).unwrap()).collect();
        assert!(figures[0].summary.calls > 0, "{period:?} holds calls");
        assert_eq!(figures[1], figures[0], "{period:?}: server, then file");
    }
    let (from, to) = StatsPeriod::new(today - chrono::Duration::days(30), today).unwrap().bounds(zone);
    for request in [
        ScopeRequest::Shift(ShiftId(2)),
        ScopeRequest::Shift(ShiftId(250)),
        ScopeRequest::Period { from, to },
    ] {
        let summaries: Vec<_> = stores.iter().map(|s| s.summary(request, now).unwrap()).collect();
        assert_eq!(summaries[1], summaries[0], "{request:?}");
        let rows: Vec<_> = stores.iter().map(|s| s.call_rows(request, true).unwrap()).collect();
        assert!(rows[0].iter().any(|r| r.notes.as_deref().is_some_and(|n| !n.is_empty())), "{request:?}");
        assert_eq!(rows[1], rows[0], "{request:?}");
    }
}
