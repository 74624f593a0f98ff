//! The encrypted store through its public API, on real SQLCipher files; its behaviour, on a
//! PostgreSQL server too (`on_each_backend`).

mod common;

use chrono::{Duration, Utc};
use common::*;
use permanence::domain::assessment::Situation;
use permanence::domain::assessment::{Rud, RudLevel};
use permanence::domain::call::{CallDraft, CallRecord, CallType, NewCall, Outcome, SaveToken};
use permanence::domain::callback::{
    Assignee, AttemptResult, CallbackRequest, CallbackStatus, NewCallback, PhoneNumber, Priority,
};
use permanence::domain::caller_file::{AgeBand, Closure, Departement, FileFilter, FileProfile, FileStatus};
use permanence::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use permanence::store::{KeyFile, SCHEMA_VERSION, Store, StoreError};

const CANARY: &str = "CANARY-7f3a-notes-never-in-clear";

fn profile() -> FileProfile {
    FileProfile {
        age_band: Some(AgeBand::From40To59),
        departement: Some(Departement::parse("69").unwrap()),
        situation_summary: format!("Résumé {CANARY}"),
        instructions: "Préfère parler à une écoutante.".into(),
        ..FileProfile::default()
    }
}

#[test]
fn what_is_written_reads_back_after_reopening() {
    on_each_backend("what_is_written_reads_back_after_reopening", |backend| {
        let db = &backend.db;
        let (file_id, call_id, callback_id, started) = {
            let mut store = create(db);
            let shift = store.start_shift().unwrap();
            let file = store.create_file(&profile()).unwrap();
            let started = Utc::now() - Duration::minutes(20);
            let started = started - Duration::nanoseconds(started.timestamp_subsec_nanos() as i64);
            let call = NewCall {
                shift_id: shift.id,
                started_at: started,
                ended_at: started + Duration::minutes(18),
                call_type: CallType::Listening,
                time_spent: None,
                record: CallRecord {
                    channel: "phone".into(),
                    caller_file_id: Some(file.id),
                    themes: vec!["deuil".into(), "isolement".into()],
                    notes: "Parle de son isolement depuis l'hiver.".into(),
                    rud: Rud { risk: Some(RudLevel::Medium), urgency: Some(RudLevel::Low), danger: None },
                    orientations: vec!["3114".into()],
                    outcome: Some(Outcome::Oriented),
                    prompts: vec![PromptRecord {
                        number: "3114".into(),
                        rule: "ideation_low_urgency".into(),
                        raised_at: started + Duration::minutes(5),
                        acknowledgement: Some(Acknowledgement {
                            at: started + Duration::minutes(6),
                            outcome: PromptOutcome::NumberGiven,
                            note: None,
                        }),
                    }],
                    situations: vec![Situation::SuicidalIdeation],
                    performs_callback: None,
                    phone: None,
                    save_token: None,
                },
            };
            let call_id = store.save_call(&call).unwrap();
            let callback = NewCallback::with_consent(
                true,
                file.id,
                Some(call_id),
                Utc::now() + Duration::hours(2),
                Priority::High,
                PhoneNumber::parse("06 39 98 12 34").unwrap(),
                Assignee::Anyone,
                "Rappeler en fin de matinée.".into(),
            )
            .unwrap();
            let callback_id = store.schedule_callback(&callback).unwrap();
            (file.id, call_id, callback_id, started)
        };

        let mut store = Store::open(db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let file = store.open_file(file_id).unwrap();
        assert_eq!(file.profile, profile());
        assert_eq!(file.status, FileStatus::Open);
        assert_eq!(file.last_contact_at, Some(started + Duration::minutes(18)));
        let calls = store.calls_of_file(file_id).unwrap();
        assert_eq!(calls.len(), 1);
        let call = &calls[0];
        assert_eq!(call.id, call_id);
        assert_eq!(call.started_at, started);
        assert_eq!(call.record.themes, ["deuil", "isolement"]);
        assert_eq!(call.record.orientations, ["3114"]);
        assert_eq!(call.record.prompts.len(), 1);
        assert_eq!(
            call.record.prompts[0].acknowledgement.as_ref().unwrap().outcome,
            PromptOutcome::NumberGiven
        );
        assert_eq!(call.record.rud.risk, Some(RudLevel::Medium));
        assert_eq!(call.record.situations, [Situation::SuicidalIdeation]);
        let pending = store.pending_callbacks().unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].id, callback_id);
        assert_eq!(pending[0].callback_number.as_ref().unwrap().as_str(), "0639981234");
        assert_eq!(store.file_id_by_code(&file.code.as_str().to_lowercase()).unwrap(), Some(file_id));
    });
}

#[test]
fn a_new_database_is_at_the_latest_schema_and_reopens_idempotently() {
    on_each_backend("a_new_database_is_at_the_latest_schema_and_reopens_idempotently", |backend| {
        let db = &backend.db;
        drop(create(db));
        for _ in 0..2 {
            let store = Store::open(db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
            assert!(store.check().unwrap().is_clean());
            // The server has its own migrations (its schema 1 is the file's 14).
            let latest = if backend.is_server() {
                permanence::store::postgres::schema::LATEST
            } else {
                SCHEMA_VERSION
            };
            assert_eq!(store.schema_version().unwrap(), latest);
        }
    });
}

#[test]
fn nothing_readable_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let mut store = create(&db);
    let shift = store.start_shift().unwrap();
    let file = store.create_file(&profile()).unwrap();
    let draft = CallDraft {
        shift_id: shift.id,
        started_at: Utc::now(),
        call_type: None,
        record: CallRecord {
            caller_file_id: Some(file.id),
            notes: format!("notes {CANARY}"),
            ..CallRecord::default()
        },
    };
    store.save_draft(&draft).unwrap();
    // Look while the WAL still holds the pages, and again after closing.
    let wal_hits = found_in_dir(dir.path(), CANARY.as_bytes());
    assert!(wal_hits.is_empty(), "canary in clear in {wal_hits:?}");
    assert!(
        std::fs::metadata(dir.path().join("permanence.db-wal")).unwrap().len() > 0,
        "the WAL was looked at"
    );
    drop(store);
    assert!(found_in_dir(dir.path(), CANARY.as_bytes()).is_empty());
    // Nor the schema, nor a file code: the whole file is ciphertext.
    assert!(found_in_dir(dir.path(), b"CREATE TABLE").is_empty());
    assert!(found_in_dir(dir.path(), b"SQLite format 3").is_empty());
    assert!(found_in_dir(dir.path(), file.code.as_str().as_bytes()).is_empty());

    let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert_eq!(store.draft().unwrap(), Some(draft), "the draft comes back intact");
}

#[test]
fn each_failure_to_unlock_has_its_own_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    drop(create(&db));
    let keys = KeyFile::path_for(&db);

    assert!(matches!(
        Store::open(&db, SUPERVISOR, "lune verte soixante-et-un"),
        Err(StoreError::WrongPassphrase)
    ));
    assert!(matches!(Store::open(&db, "nobody", SUPERVISOR_PASS), Err(StoreError::UnknownListener(_))));

    // A damaged database: the key opens its slot, the file does not decrypt.
    let original = std::fs::read(&db).unwrap();
    let mut damaged = original.clone();
    for byte in &mut damaged[100..200] {
        *byte ^= 0x5a;
    }
    std::fs::write(&db, &damaged).unwrap();
    let err = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).err().expect("damage is detected");
    assert!(matches!(err, StoreError::DatabaseDamaged(_)), "{err:?}");
    assert!(err.is_damage());
    std::fs::write(&db, &original).unwrap();

    // A damaged key file.
    let slots = std::fs::read(&keys).unwrap();
    let mut damaged = slots.clone();
    let at = slots.windows(11).position(|w| w == b"wrapped_key").unwrap() + 20;
    damaged[at] = if damaged[at] == b'a' { b'b' } else { b'a' };
    std::fs::write(&keys, &damaged).unwrap();
    assert!(matches!(Store::open(&db, SUPERVISOR, SUPERVISOR_PASS), Err(StoreError::KeyFileDamaged { .. })));
    std::fs::write(&keys, b"{ not json").unwrap();
    assert!(matches!(Store::open(&db, SUPERVISOR, SUPERVISOR_PASS), Err(StoreError::KeyFileDamaged { .. })));

    // A missing key file, a missing database, nothing at all.
    std::fs::remove_file(&keys).unwrap();
    assert!(matches!(Store::open(&db, SUPERVISOR, SUPERVISOR_PASS), Err(StoreError::KeyFileMissing(_))));
    std::fs::write(&keys, &slots).unwrap();
    std::fs::rename(&db, dir.path().join("elsewhere.db")).unwrap();
    assert!(matches!(Store::open(&db, SUPERVISOR, SUPERVISOR_PASS), Err(StoreError::DatabaseMissing(_))));
    let nowhere = dir.path().join("none.db");
    assert!(matches!(Store::open(&nowhere, SUPERVISOR, SUPERVISOR_PASS), Err(StoreError::NotFound(_))));
    assert!(matches!(Store::logins(&nowhere), Err(StoreError::KeyFileMissing(_))));
}

#[test]
fn creating_over_an_existing_database_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    drop(create(&db));
    let before = std::fs::read(&db).unwrap();
    let again = Store::create(
        &db,
        permanence::store::NewAccount {
            login: "other",
            display_name: "Other",
            role: permanence::domain::listener::Role::Supervisor,
            passphrase: "une autre phrase longue",
        },
        permanence::store::KdfParams::MINIMUM,
    );
    assert!(matches!(again, Err(StoreError::AlreadyExists(_))));
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn two_key_slots_open_the_same_data() {
    on_each_backend("two_key_slots_open_the_same_data", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        add_listener(&mut store);
        let file = store.create_file(&profile()).unwrap();
        drop(store);
        let as_listener = Store::open(db, LISTENER, LISTENER_PASS).unwrap();
        assert_eq!(as_listener.file_id_by_code(file.code.as_str()).unwrap(), Some(file.id));
        assert_eq!(Store::logins(db).unwrap(), [SUPERVISOR, LISTENER]);
    });
}

#[test]
fn a_listener_cannot_do_a_supervisors_work() {
    on_each_backend("a_listener_cannot_do_a_supervisors_work", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        add_listener(&mut store);
        drop(store);
        let mut listener = Store::open(db, LISTENER, LISTENER_PASS).unwrap();
        assert!(matches!(listener.deactivate_listener(SUPERVISOR), Err(StoreError::Forbidden(_))));
        assert!(matches!(
            listener.set_passphrase(SUPERVISOR, "je prends la main", permanence::store::KdfParams::MINIMUM),
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            listener.backup(&backend.dir.path().join("copy.db")),
            Err(StoreError::Forbidden(_))
        ));
    });
}

#[test]
fn deactivating_a_listener_removes_their_slot_and_keeps_their_calls() {
    on_each_backend("deactivating_a_listener_removes_their_slot_and_keeps_their_calls", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        add_listener(&mut store);
        drop(store);
        let call_id = {
            let mut listener = Store::open(db, LISTENER, LISTENER_PASS).unwrap();
            let shift = listener.start_shift().unwrap();
            let now = Utc::now();
            listener
                .save_call(&NewCall {
                    shift_id: shift.id,
                    started_at: now,
                    ended_at: now,
                    call_type: CallType::Silent,
                    time_spent: None,
                    record: CallRecord::default(),
                })
                .unwrap()
        };
        let mut store = Store::open(db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        store.deactivate_listener(LISTENER).unwrap();
        assert_eq!(Store::logins(db).unwrap(), [SUPERVISOR]);
        assert!(matches!(Store::open(db, LISTENER, LISTENER_PASS), Err(StoreError::UnknownListener(_))));
        let author = store.listener_by_login(LISTENER).unwrap();
        assert!(!author.active);
        assert_eq!(store.call(call_id).unwrap().listener_id, author.id);
        let report = store.check().unwrap();
        assert!(report.is_clean(), "{:?}", report.findings);
    });
}

/// Sessions open at other desks when a supervisor deactivates an account: the others go on
/// (on the file they follow its re-key; on a server nothing changed for them), the deactivated
/// account's is refused at its next poll and its next write, whichever the backend.
#[test]
fn other_open_sessions_go_on_and_the_deactivated_account_loses_its_access() {
    on_each_backend("other_open_sessions_go_on_and_the_deactivated_account_loses_its_access", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        add_listener(&mut store);
        let sacha = permanence::store::NewAccount {
            login: "sacha",
            display_name: "Sacha",
            role: permanence::domain::listener::Role::Listener,
            passphrase: "quatre poires jaunes",
        };
        store.add_listener(sacha, permanence::store::KdfParams::MINIMUM).unwrap();
        let mut sacha = Store::open(db, "sacha", "quatre poires jaunes").unwrap();
        let mut camille = Store::open(db, LISTENER, LISTENER_PASS).unwrap();
        sacha.data_version().unwrap();
        camille.data_version().unwrap();
        let profile = FileProfile::default();

        store.deactivate_listener(LISTENER).unwrap();
        sacha.data_version().unwrap();
        let code = sacha.create_file(&profile).unwrap().code;
        assert!(matches!(camille.data_version(), Err(StoreError::AccessRevoked)));
        assert!(matches!(camille.create_file(&profile), Err(StoreError::AccessRevoked)));
        drop((sacha, camille, store));
        let mut store = Store::open(db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        assert_eq!(
            store.search_files(code.as_str(), &Default::default(), 5).unwrap().len(),
            1,
            "Sacha's file"
        );
        assert!(store.check().unwrap().is_clean(), "{:?}", store.check().unwrap().findings);
        assert_eq!(Store::logins(db).unwrap(), [SUPERVISOR, "sacha"]);
    });
}

#[test]
fn changing_ones_own_passphrase_rewraps_one_slot_only_and_a_reset_rekeys() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let mut store = create(&db);
    add_listener(&mut store);
    drop(store);
    let slot_of = |login: &str| {
        let keys = KeyFile::load(&KeyFile::path_for(&db)).unwrap();
        keys.slots().iter().find(|s| s.login() == login).cloned().unwrap()
    };
    let salt = || std::fs::read(&db).unwrap()[..16].to_vec();
    let (supervisor_before, listener_before, salt_before) = (slot_of(SUPERVISOR), slot_of(LISTENER), salt());
    let mut own = Store::open(&db, LISTENER, LISTENER_PASS).unwrap();
    own.set_passphrase(LISTENER, "nouvelle phrase de passe", permanence::store::KdfParams::MINIMUM).unwrap();
    drop(own);
    assert!(matches!(Store::open(&db, LISTENER, LISTENER_PASS), Err(StoreError::WrongPassphrase)));
    Store::open(&db, LISTENER, "nouvelle phrase de passe").unwrap();
    Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    // The other slot is untouched and still opens the database: the data key is the same.
    assert_eq!(slot_of(SUPERVISOR), supervisor_before);
    assert_ne!(slot_of(LISTENER), listener_before);
    assert_eq!(salt(), salt_before, "the database is the same file");

    // A supervisor's reset re-keys: the database is a new file, every slot holds the new key.
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    store.set_passphrase(LISTENER, "encore une autre phrase", permanence::store::KdfParams::MINIMUM).unwrap();
    drop(store);
    assert_ne!(salt(), salt_before);
    assert_ne!(slot_of(SUPERVISOR), supervisor_before);
    Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    Store::open(&db, LISTENER, "encore une autre phrase").unwrap();
}

#[test]
fn a_crash_between_key_file_write_and_rename_leaves_the_old_slots() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    drop(create(&db));
    let keys = KeyFile::path_for(&db);
    // What a crash after writing half the temp file, before the rename, leaves behind.
    // Its writer is dead: a pid no process has.
    let temp = keys.with_file_name(format!(".permanence.db.keys.{}-0-0000beef.tmp", i32::MAX));
    std::fs::write(&temp, b"{\"format\":\"permanence-keyslots\",\"version\":1,\"slo").unwrap();
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    add_listener(&mut store);
    assert!(!temp.exists(), "the stale temp file is removed");
    assert!(permanence::atomic_file::temp_files_of(&keys).is_empty());
    Store::open(&db, LISTENER, LISTENER_PASS).unwrap();
}

#[test]
fn closing_a_callback_wipes_the_number() {
    on_each_backend("closing_a_callback_wipes_the_number", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let file = store.create_file(&profile()).unwrap();
        let schedule = |store: &mut Store| {
            let callback = NewCallback::with_consent(
                true,
                file.id,
                None,
                Utc::now(),
                Priority::Normal,
                PhoneNumber::parse("0639980000").unwrap(),
                Assignee::Anyone,
                String::new(),
            )
            .unwrap();
            store.schedule_callback(&callback).unwrap()
        };
        let reached = schedule(&mut store);
        store
            .record_callback_attempt(reached, AttemptResult::NoAnswer, Some(Utc::now() + Duration::hours(1)))
            .unwrap();
        assert!(store.callback(reached).unwrap().callback_number.is_some(), "kept while pending");
        store.record_callback_attempt(reached, AttemptResult::Reached, None).unwrap();
        let done = store.callback(reached).unwrap();
        assert_eq!(done.status, CallbackStatus::Done);
        assert_eq!(done.callback_number, None);
        assert_eq!(done.attempts.len(), 2);

        let cancelled = schedule(&mut store);
        store.cancel_callback(cancelled, None, "La personne ne souhaite plus être rappelée").unwrap();
        assert_eq!(store.callback(cancelled).unwrap().callback_number, None);
        assert!(store.pending_callbacks().unwrap().is_empty());
    });
}

#[test]
fn file_closure_and_reopening() {
    on_each_backend("file_closure_and_reopening", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let file = store.create_file(&profile()).unwrap();
        assert!(store.close_file(file.id, &Closure { reason: " ".into(), caller_agreed: true }).is_err());
        store
            .close_file(file.id, &Closure { reason: "Situation résolue".into(), caller_agreed: true })
            .unwrap();
        let closed = store.open_file(file.id).unwrap();
        assert_eq!(closed.status, FileStatus::Closed);
        assert_eq!(closed.closure, Some(Closure { reason: "Situation résolue".into(), caller_agreed: true }));
        assert!(
            store.set_file_status(file.id, FileStatus::FollowUp).is_err(),
            "a closed file is reopened with a reason"
        );
        store.reopen_file(file.id, "Rappelle : la situation a changé").unwrap();
        let reopened = store.open_file(file.id).unwrap();
        assert_eq!((reopened.status, reopened.closure), (FileStatus::FollowUp, None));
    });
}

#[test]
fn backup_is_an_encrypted_copy_that_opens_with_the_same_passphrases() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let mut store = create(&db);
    let file = store.create_file(&profile()).unwrap();
    let out = dir.path().join("backups").join("copy.db");
    std::fs::create_dir(out.parent().unwrap()).unwrap();
    let report = store.backup(&out).unwrap();
    assert_eq!(report.files, 1);
    assert!(found_in_dir(out.parent().unwrap(), CANARY.as_bytes()).is_empty());
    assert!(matches!(store.backup(&out), Err(StoreError::AlreadyExists(_))));
    let mut names: Vec<String> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["copy.db", "copy.db.keys"], "nothing else left beside the copy");
    drop(store);
    let copy = Store::open(&out, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert_eq!(copy.file_id_by_code(file.code.as_str()).unwrap(), Some(file.id));
    assert!(copy.check().unwrap().is_clean());
}

#[test]
fn search_by_code_prefix_words_and_notes_with_accents_folded() {
    on_each_backend("search_by_code_prefix_words_and_notes_with_accents_folded", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let shift = store.start_shift().unwrap();
        let listening =
            FileProfile { situation_summary: "Besoin d'écoute le soir".into(), ..FileProfile::default() };
        let a = store.create_file(&listening).unwrap();
        let b = store
            .create_file(&FileProfile { situation_summary: "Deuil récent".into(), ..FileProfile::default() })
            .unwrap();
        let now = Utc::now();
        store
            .save_call(&NewCall {
                shift_id: shift.id,
                started_at: now,
                ended_at: now,
                call_type: CallType::Listening,
                time_spent: None,
                record: CallRecord {
                    caller_file_id: Some(b.id),
                    notes: "Parle de sa voisine Hélène".into(),
                    ..CallRecord::default()
                },
            })
            .unwrap();
        let ids = |store: &mut Store, query: &str| -> Vec<_> {
            store.search_files(query, &FileFilter::default(), 20).unwrap().into_iter().map(|h| h.id).collect()
        };

        assert_eq!(ids(&mut store, a.code.as_str()), [a.id], "exact code");
        assert_eq!(ids(&mut store, &a.code.as_str().to_lowercase().replace('-', " ")), [a.id], "as heard");
        assert!(ids(&mut store, &a.code.as_str()[..2]).contains(&a.id), "prefix");
        assert_eq!(ids(&mut store, "ecoute"), [a.id], "no accent finds the accented word");
        assert_eq!(ids(&mut store, "ÉCOUTE soir"), [a.id], "accents and case folded, every word");
        assert_eq!(ids(&mut store, "écou"), [a.id], "a word as a prefix, as you type");
        assert_eq!(ids(&mut store, "éco"), [a.id], "three letters are enough");
        assert!(ids(&mut store, "é").is_empty(), "shorter words are not searched (too costly, too vague)");
        // Once a panic: an accented letter where a code has its third letter ("idé" of "idées").
        assert!(ids(&mut store, "idé").is_empty(), "a word, not a code");
        assert_eq!(ids(&mut store, "helene"), [b.id], "words in call notes find the file");
        assert!(ids(&mut store, "absent").is_empty());
        assert!(ids(&mut store, "\"").is_empty(), "quotes are not FTS syntax errors");

        // A changed summary is searched by its new words only.
        store
            .update_file_profile(
                a.id,
                a.version,
                &FileProfile { situation_summary: "Solitude".into(), ..FileProfile::default() },
            )
            .unwrap();
        assert!(ids(&mut store, "ecoute").is_empty());
        assert_eq!(ids(&mut store, "solitude"), [a.id]);
    });
}

#[test]
fn a_damaged_write_ahead_log_is_reported_not_silently_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let mut store = create(&db);
    for _ in 0..5 {
        store.create_file(&profile()).unwrap();
    }
    // What a crash leaves: the database and its log, the store still open; copied twice.
    let copy = |name: &str| {
        let to_dir = dir.path().join(name);
        std::fs::create_dir(&to_dir).unwrap();
        for suffix in ["", "-wal", ".keys"] {
            std::fs::copy(
                format!("{}{suffix}", db.display()),
                format!("{}{suffix}", db_in(&to_dir).display()),
            )
            .unwrap();
        }
        to_dir
    };
    let (intact, crashed) = (copy("intact"), copy("crashed"));
    drop(store);
    let wal = format!("{}-wal", db_in(&crashed).display());
    let mut damaged = std::fs::read(&wal).unwrap();
    assert!(damaged.len() > 32 + 3 * 4120, "several frames in the log");

    let reopened = Store::open(db_in(&intact), SUPERVISOR, SUPERVISOR_PASS).expect("an intact log replays");
    assert_eq!(reopened.counts().unwrap().files, 5);
    damaged[32 + 24 + 200] ^= 0x01; // inside the first frame's (encrypted) page
    std::fs::write(&wal, &damaged).unwrap();
    let err = Store::open(db_in(&crashed), SUPERVISOR, SUPERVISOR_PASS).err().expect("damage is detected");
    assert!(
        matches!(&err, StoreError::DatabaseDamaged(detail) if detail.contains("write-ahead log")),
        "{err:?}"
    );
}

/// A call saved again with its save token is written once, with the callback scheduled at its
/// end: what a save tried again after its answer was lost (the server committed, the connection
/// broke before saying so) must do. A draft autosaved in between goes; another call, with its
/// own token, is written.
#[test]
fn a_call_saved_again_with_its_token_is_written_once() {
    on_each_backend("a_call_saved_again_with_its_token_is_written_once", |backend| {
        let mut store = create(&backend.db);
        let shift = store.start_shift().unwrap();
        let file = store.create_file(&profile()).unwrap();
        let now = Utc::now();
        let call = |token: u8| NewCall {
            shift_id: shift.id,
            started_at: now - Duration::minutes(10),
            ended_at: now,
            call_type: CallType::Listening,
            time_spent: None,
            record: CallRecord {
                caller_file_id: Some(file.id),
                notes: "Rappel demandé pour demain".into(),
                save_token: Some(SaveToken::new([token; 16])),
                ..CallRecord::default()
            },
        };
        let request = CallbackRequest::with_consent(
            true,
            now + Duration::days(1),
            Priority::Normal,
            PhoneNumber::parse("0639980000").unwrap(),
            Assignee::Anyone,
            String::new(),
        )
        .unwrap();
        let first = store.save_call_with_callback(&call(1), Some(&request)).unwrap();
        let draft =
            CallDraft { shift_id: shift.id, started_at: now, call_type: None, record: call(1).record };
        store.save_draft(&draft).unwrap();
        let again = store.save_call_with_callback(&call(1), Some(&request)).unwrap();
        assert_eq!(again, first, "the call already saved");
        let counts = store.counts().unwrap();
        assert_eq!((counts.calls, counts.callbacks), (1, 1), "once, with its one callback");
        assert_eq!(store.draft().unwrap(), None, "the draft saved since is gone");
        let other = store.save_call(&call(2)).unwrap();
        assert_ne!(other, first);
        assert_eq!(store.counts().unwrap().calls, 2);
        assert!(store.check().unwrap().is_clean());
    });
}
