//! Caller files through the store's public API, on real encrypted files and on a PostgreSQL
//! server: search filters, closure history, legal holds, the retention purge, the
//! right-of-access export and who may change what.

mod common;

use chrono::{Duration, Utc};
use common::*;
use permanence::domain::assessment::{Rud, RudLevel};
use permanence::domain::call::{CallRecord, CallType, NewCall};
use permanence::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};
use permanence::domain::caller_file::{
    Closure, Departement, FileEventKind, FileFilter, FileProfile, FileStatus, Gender, PurgeReport,
    UnlockPurge,
};
use permanence::domain::file_record::RepeatCaller;
use permanence::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use permanence::domain::settings::Setting;
use permanence::domain::{FileId, ShiftId};
use permanence::export::access;
use permanence::i18n::Strings;
use permanence::store::{Store, StoreError};

const NOTE_CANARY: &str = "CANARY-notes-4b1d";
const SUMMARY_CANARY: &str = "CANARY-summary-9e2c";

/// What a purge at unlock wiped; these small stores let it wipe any share.
fn done(purge: UnlockPurge) -> PurgeReport {
    match purge {
        UnlockPurge::Done(report) => report,
        other => panic!("expected a purge, got {other:?}"),
    }
}

fn file_with(store: &mut Store, summary: &str, departement: &str) -> FileId {
    let profile = FileProfile {
        situation_summary: summary.into(),
        instructions: "Ne pas rappeler après 20h.".into(),
        departement: Some(Departement::parse(departement).unwrap()),
        ..FileProfile::default()
    };
    store.create_file(&profile).unwrap().id
}

fn call_on(store: &mut Store, shift: ShiftId, file: Option<FileId>, days_ago: i64, notes: &str) {
    let started = Utc::now() - Duration::days(days_ago);
    store
        .save_call(&NewCall {
            shift_id: shift,
            started_at: started,
            ended_at: started + Duration::minutes(20),
            call_type: CallType::Listening,
            time_spent: None,
            record: CallRecord {
                caller_file_id: file,
                notes: notes.into(),
                rud: Rud { urgency: Some(RudLevel::Medium), ..Rud::default() },
                prompts: vec![PromptRecord {
                    number: "3114".into(),
                    rule: "card".into(),
                    raised_at: started,
                    acknowledgement: Some(Acknowledgement {
                        at: started,
                        outcome: PromptOutcome::NotRelevant,
                        note: Some(format!("déjà suivi·e {NOTE_CANARY}")),
                    }),
                }],
                ..CallRecord::default()
            },
        })
        .unwrap();
}

#[test]
fn search_filters_by_status_and_departement_and_folds_accents_both_ways() {
    on_each_backend("search_filters_by_status_and_departement_and_folds_accents_both_ways", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let lyon = file_with(&mut store, "Besoin d'écoute le soir", "69");
        let paris = file_with(&mut store, "Besoin d'ecoute la nuit", "75");
        store.set_file_status(paris, FileStatus::FollowUp).unwrap();
        let ids = |store: &mut Store, query: &str, filter: FileFilter| -> Vec<FileId> {
            store.search_files(query, &filter, 20).unwrap().into_iter().map(|h| h.id).collect()
        };
        let all = FileFilter::default();
        let mut both = ids(&mut store, "écoute", all.clone());
        both.sort();
        assert_eq!(both, [lyon, paris], "the accented word finds the plain one too");
        let mut both = ids(&mut store, "ecoute", all.clone());
        both.sort();
        assert_eq!(both, [lyon, paris], "and the reverse");
        let in_75 =
            FileFilter { departement: Some(Departement::parse("75").unwrap()), ..FileFilter::default() };
        assert_eq!(ids(&mut store, "ecoute", in_75.clone()), [paris]);
        let open = FileFilter { status: Some(FileStatus::Open), ..FileFilter::default() };
        assert_eq!(ids(&mut store, "ecoute", open.clone()), [lyon]);
        assert_eq!(ids(&mut store, "", open), [lyon], "a filter alone lists the files it keeps");
        assert_eq!(ids(&mut store, "", in_75), [paris]);
        assert!(ids(&mut store, "", all).is_empty(), "nothing typed, nothing listed");
        let code = store.file_with_history(lyon).unwrap().file.code;
        let closed = FileFilter { status: Some(FileStatus::Closed), ..FileFilter::default() };
        assert!(ids(&mut store, code.as_str(), closed).is_empty(), "codes are filtered too");
    });
}

#[test]
fn closing_and_reopening_are_both_in_the_history() {
    on_each_backend("closing_and_reopening_are_both_in_the_history", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let file = file_with(&mut store, "Situation", "69");
        store.close_file(file, &Closure { reason: "Situation résolue".into(), caller_agreed: true }).unwrap();
        assert!(
            store.close_file(file, &Closure { reason: "encore".into(), caller_agreed: true }).is_err(),
            "already closed"
        );
        assert!(store.reopen_file(file, "  ").is_err(), "a reason is needed");
        store.reopen_file(file, "Rappelle, nouvelle situation").unwrap();
        assert!(store.reopen_file(file, "encore").is_err(), "not closed any more");
        store
            .close_file(file, &Closure { reason: "Ne souhaite plus appeler".into(), caller_agreed: false })
            .unwrap();

        let record = store.file_with_history(file).unwrap();
        assert_eq!(record.file.status, FileStatus::Closed);
        let events: Vec<_> =
            record.events.iter().map(|e| (e.kind, e.reason.as_str(), e.caller_agreed)).collect();
        assert_eq!(
            events,
            [
                (FileEventKind::Closed, "Ne souhaite plus appeler", Some(false)),
                (FileEventKind::Reopened, "Rappelle, nouvelle situation", None),
                (FileEventKind::Closed, "Situation résolue", Some(true)),
            ]
        );
        assert!(record.events.iter().all(|e| e.listener_id == Some(store.actor().id)));
    });
}

#[test]
fn repeat_callers_are_told_from_the_history() {
    on_each_backend("repeat_callers_are_told_from_the_history", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let shift = store.start_shift().unwrap();
        let file = file_with(&mut store, "Situation", "69");
        let record = store.file_with_history(file).unwrap();
        let now = Utc::now();
        assert_eq!(
            RepeatCaller::new(&record.file, &record.calls, &record.callbacks, now),
            None,
            "a first call"
        );
        call_on(&mut store, shift.id, Some(file), 9, "premier");
        call_on(&mut store, shift.id, Some(file), 2, "second");
        let schedule = |store: &mut Store, due, priority| {
            let phone = PhoneNumber::parse("06 12 34 56 78").unwrap();
            let callback = NewCallback::with_consent(
                true,
                file,
                None,
                due,
                priority,
                phone,
                Assignee::Anyone,
                String::new(),
            );
            store.schedule_callback(&callback.unwrap()).unwrap()
        };
        let later = schedule(&mut store, now + Duration::hours(2), Priority::Urgent);
        let overdue = schedule(&mut store, now - Duration::hours(1), Priority::Urgent);
        let record = store.file_with_history(file).unwrap();
        let repeat = RepeatCaller::new(&record.file, &record.calls, &record.callbacks, now).unwrap();
        assert_eq!(repeat.earlier_calls, 2);
        assert_eq!(repeat.last_call.started_at, record.calls[0].started_at);
        let rud = repeat.last_rud.unwrap();
        assert_eq!(rud.rud.urgency, Some(RudLevel::Medium));
        assert_eq!((rud.call_started_at, rud.on_last_call), (record.calls[0].started_at, true));
        // The not-relevant reason comes back from the store for the banner to show.
        let ack = repeat.last_call.record.prompts[0].acknowledgement.as_ref().unwrap();
        assert_eq!(ack.outcome, PromptOutcome::NotRelevant);
        assert!(ack.note.as_deref().unwrap().starts_with("déjà suivi·e"));
        let order: Vec<_> = repeat.pending_callbacks.iter().map(|c| c.id).collect();
        assert_eq!(order, [overdue, later], "the overdue one first");
        assert_eq!(repeat.instructions, "Ne pas rappeler après 20h.");
    });
}

#[test]
fn the_purge_wipes_old_free_text_keeps_categories_and_spares_legal_holds() {
    on_each_backend("the_purge_wipes_old_free_text_keeps_categories_and_spares_legal_holds", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let shift = store.start_shift().unwrap();
        let old = file_with(&mut store, SUMMARY_CANARY, "69");
        let held = file_with(&mut store, "Dossier sous gel", "75");
        let recent = file_with(&mut store, "Récent", "13");
        call_on(&mut store, shift.id, Some(old), 800, &format!("ancien {NOTE_CANARY}"));
        call_on(&mut store, shift.id, Some(held), 800, "sous gel");
        call_on(&mut store, shift.id, Some(recent), 10, "récent");
        call_on(&mut store, shift.id, None, 800, "anonyme ancien");
        store.close_file(old, &Closure { reason: "Résolu".into(), caller_agreed: true }).unwrap();
        let callback = NewCallback::with_consent(
            true,
            old,
            None,
            Utc::now() - Duration::days(700),
            Priority::Normal,
            PhoneNumber::parse("06 12 34 56 78").unwrap(),
            Assignee::Anyone,
            "rappeler le soir".into(),
        )
        .unwrap();
        let callback = store.schedule_callback(&callback).unwrap();
        store.set_legal_hold(held, true, "Réquisition judiciaire").unwrap();

        let dry = store.purge(Utc::now(), true).unwrap();
        assert_eq!((dry.files, dry.calls, dry.held, dry.callbacks_cancelled), (1, 2, 1, 1));
        assert!(
            !store.file_with_history(old).unwrap().calls[0].record.notes.is_empty(),
            "a dry run changes nothing"
        );

        let report = store.purge(Utc::now(), false).unwrap();
        assert_eq!(report, dry, "the dry run said what the purge does");
        let purged = store.file_with_history(old).unwrap();
        assert_eq!(purged.file.profile.situation_summary, "");
        assert_eq!(purged.file.profile.instructions, "");
        assert_eq!(
            purged.file.profile.departement,
            Some(Departement::parse("69").unwrap()),
            "categories stay"
        );
        assert_eq!(
            purged.file.closure.as_ref().map(|c| (c.reason.as_str(), c.caller_agreed)),
            Some(("", true))
        );
        assert!(purged.file.purged_at.is_some());
        let call = &purged.calls[0];
        assert_eq!(call.record.notes, "");
        assert_eq!(call.record.rud.urgency, Some(RudLevel::Medium), "the grid stays for statistics");
        assert_eq!(call.record.prompts[0].acknowledgement.as_ref().unwrap().note, None);
        assert_eq!(purged.events[0].kind, FileEventKind::Purged);
        assert!(purged.events.iter().all(|e| e.reason.is_empty()), "event reasons are free text too");
        let cancelled = store.callback(callback).unwrap();
        assert_eq!((cancelled.callback_number, cancelled.note.as_str()), (None, ""));
        assert_eq!(store.file_with_history(held).unwrap().calls[0].record.notes, "sous gel");
        assert_eq!(store.file_with_history(recent).unwrap().calls[0].record.notes, "récent");
        assert!(
            store.search_files("ancien", &FileFilter::default(), 20).unwrap().is_empty(),
            "gone from the index"
        );

        // Nothing is left to purge; lifting the hold makes the held file due.
        store.set_setting(Setting::PurgeConfirmPercent, 100).unwrap();
        assert!(store.purge_at_unlock(Utc::now()).unwrap() == UnlockPurge::Nothing);
        store.set_legal_hold(held, false, "").unwrap();
        let after_hold = done(store.purge_at_unlock(Utc::now()).unwrap());
        assert_eq!((after_hold.files, after_hold.held), (1, 0));
        assert!(store.check().unwrap().is_clean(), "the audit chain holds every purge");
        drop(store);
        assert!(found_in_dir(backend.dir.path(), NOTE_CANARY.as_bytes()).is_empty());
        assert!(found_in_dir(backend.dir.path(), SUMMARY_CANARY.as_bytes()).is_empty());
    });
}

#[test]
fn a_new_call_makes_a_purged_file_hold_text_again_until_it_ages() {
    on_each_backend("a_new_call_makes_a_purged_file_hold_text_again_until_it_ages", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let shift = store.start_shift().unwrap();
        store.set_setting(Setting::PurgeConfirmPercent, 100).unwrap();
        let file = file_with(&mut store, "ancien", "69");
        call_on(&mut store, shift.id, Some(file), 800, "ancien");
        assert_eq!(done(store.purge_at_unlock(Utc::now()).unwrap()).files, 1);
        call_on(&mut store, shift.id, Some(file), 1, "nouveau");
        assert!(store.purge_at_unlock(Utc::now()).unwrap() == UnlockPurge::Nothing, "recent again");
        let later = done(store.purge_at_unlock(Utc::now() + Duration::days(740)).unwrap());
        assert_eq!(later.files, 1);
        assert!(store.file_with_history(file).unwrap().calls.iter().all(|c| c.record.notes.is_empty()));
    });
}

#[test]
fn only_supervisors_purge_set_holds_and_export_and_listeners_amend_their_own_calls() {
    on_each_backend(
        "only_supervisors_purge_set_holds_and_export_and_listeners_amend_their_own_calls",
        |backend| {
            let db = &backend.db;
            let mut store = create(db);
            add_listener(&mut store);
            let shift = store.start_shift().unwrap();
            let file = file_with(&mut store, "Situation", "69");
            call_on(&mut store, shift.id, Some(file), 1, "note de la coordination");
            let code = store.file_with_history(file).unwrap().file.code;
            drop(store);

            let mut listener = Store::open(db, LISTENER, LISTENER_PASS).unwrap();
            let forbidden = |r: Result<_, StoreError>| matches!(r, Err(StoreError::Forbidden(_)));
            assert!(forbidden(listener.purge(Utc::now(), true).map(drop)));
            assert!(forbidden(listener.set_legal_hold(file, true, "x")));
            assert!(forbidden(listener.file_for_access_request(code.as_str()).map(drop)));
            let theirs = listener.file_with_history(file).unwrap().calls[0].id;
            assert!(forbidden(listener.amend_call_notes(theirs, "", "réécrit")), "not their call");
            let own_shift = listener.start_shift().unwrap();
            call_on(&mut listener, own_shift.id, Some(file), 0, "ma note");
            let own = listener.file_with_history(file).unwrap().calls[0].id;
            listener.amend_call_notes(own, "ma note", "ma note, corrigée").unwrap();
            assert_eq!(listener.call(own).unwrap().record.notes, "ma note, corrigée");
            drop(listener);

            let mut supervisor = Store::open(db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
            supervisor.amend_call_notes(own, "ma note, corrigée", "corrigée par la coordination").unwrap();
            assert!(supervisor.check().unwrap().is_clean());
        },
    );
}

#[test]
fn the_access_export_holds_everything_on_the_file_and_is_audited() {
    on_each_backend("the_access_export_holds_everything_on_the_file_and_is_audited", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let shift = store.start_shift().unwrap();
        let file = file_with(&mut store, SUMMARY_CANARY, "69");
        call_on(&mut store, shift.id, Some(file), 3, &format!("notes {NOTE_CANARY}"));
        let callback = NewCallback::with_consent(
            true,
            file,
            None,
            Utc::now() + Duration::hours(2),
            Priority::High,
            PhoneNumber::parse("06 12 34 56 78").unwrap(),
            Assignee::Anyone,
            "après 18h".into(),
        )
        .unwrap();
        store.schedule_callback(&callback).unwrap();
        store.close_file(file, &Closure { reason: "Résolu".into(), caller_agreed: true }).unwrap();
        let code = store.file_with_history(file).unwrap().file.code;
        let audited_before = store.verify_audit_chain().unwrap().unwrap().entries;

        let record = store.file_for_access_request(&code.as_str().to_lowercase()).unwrap();
        assert_eq!(store.verify_audit_chain().unwrap().unwrap().entries, audited_before + 1, "audited");
        let now = Utc::now();
        let json = access::json(&record, now);
        let text = serde_json::to_string(&json).unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["format"], access::FORMAT);
        assert_eq!(back["version"], access::VERSION);
        assert_eq!(back["file"]["code"], code.as_str());
        assert_eq!(back["file"]["situation_summary"], SUMMARY_CANARY);
        assert_eq!(back["file"]["closure"]["caller_agreed"], true);
        assert_eq!(back["calls"].as_array().unwrap().len(), 1);
        assert!(back["calls"][0]["notes"].as_str().unwrap().contains(NOTE_CANARY));
        assert_eq!(back["calls"][0]["rud"]["urgency"], "medium");
        assert_eq!(back["callbacks"][0]["callback_number"], "0612345678");
        assert_eq!(back["events"][0]["kind"], "closed");
        assert!(!text.contains("Dominique"), "listeners are not named");

        let paris = permanence::local_time::Zone::default();
        let md = access::markdown(&record, now, Strings::get(permanence::i18n::Language::Fr), paris);
        for expected in [code.as_str(), SUMMARY_CANARY, NOTE_CANARY, "0612345678", "Résolu", "après 18h"] {
            assert!(md.contains(expected), "{expected} missing from:\n{md}");
        }
        // A person reads local times, with the zone said once; JSON keeps UTC instants.
        let started = record.calls[0].started_at;
        assert!(md.contains(&format!("### {} —", paris.date_and_time(started))), "{md}");
        assert!(md.contains("Heures locales (Europe/Paris)") && !md.contains("UTC"), "{md}");
        assert_eq!(back["calls"][0]["started_at"], started.to_rfc3339());
        assert!(!md.contains("Dominique"));
        assert!(matches!(store.file_for_access_request("ZZZ-999"), Err(StoreError::Refused(_))));
    });
}

#[test]
fn editing_a_file_is_one_transaction_one_event_and_one_audit_entry() {
    on_each_backend("editing_a_file_is_one_transaction_one_event_and_one_audit_entry", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let file = file_with(&mut store, "avant", "69");
        let before = store.verify_audit_chain().unwrap().unwrap().entries;
        let profile = FileProfile { situation_summary: "après".into(), ..FileProfile::default() };
        store.update_file(file, 0, Some(FileStatus::FollowUp), &profile).unwrap();
        assert_eq!(store.verify_audit_chain().unwrap().unwrap().entries, before + 1);
        let record = store.file_with_history(file).unwrap();
        assert_eq!(
            (record.file.status, record.file.profile.situation_summary.as_str()),
            (FileStatus::FollowUp, "après")
        );
        assert_eq!(record.events.iter().filter(|e| e.kind == FileEventKind::Changed).count(), 1);
        assert!(
            store.update_file(file, 1, Some(FileStatus::Closed), &profile).is_err(),
            "closing needs its reason"
        );
    });
}

#[test]
fn an_edit_made_on_a_view_from_before_a_purge_is_refused_and_writes_nothing_back() {
    on_each_backend(
        "an_edit_made_on_a_view_from_before_a_purge_is_refused_and_writes_nothing_back",
        |backend| {
            let db = &backend.db;
            let mut store = create(db);
            store.set_setting(Setting::PurgeConfirmPercent, 100).unwrap();
            let shift = store.start_shift().unwrap();
            let file = file_with(&mut store, SUMMARY_CANARY, "69");
            call_on(&mut store, shift.id, Some(file), 800, "ancien");
            // A terminal shows the file (with its summary), then the purge runs elsewhere.
            let stale = store.file_with_history(file).unwrap().file;
            assert_eq!(done(store.purge_at_unlock(Utc::now()).unwrap()).files, 1);
            let edited = FileProfile { gender: Some(Gender::Woman), ..stale.profile.clone() };
            let err = store.update_file(file, stale.version, None, &edited).unwrap_err();
            assert!(matches!(err, StoreError::FileChanged), "{err:?}");
            let now = store.file_with_history(file).unwrap().file;
            assert_eq!(
                (now.profile.situation_summary.as_str(), now.profile.gender),
                ("", None),
                "nothing written back"
            );
            assert!(now.purged_at.is_some());
            // Another person's edit makes a view stale just the same.
            store.update_file(file, now.version, None, &FileProfile::default()).unwrap();
            assert!(matches!(
                store.update_file(file, now.version, None, &edited),
                Err(StoreError::FileChanged)
            ));
            // Amending a call's notes on a view from before the purge writes nothing back either.
            let call = store.file_with_history(file).unwrap().calls[0].id;
            let err = store.amend_call_notes(call, "ancien", "ancien, corrigé").unwrap_err();
            assert!(matches!(err, StoreError::FileChanged), "{err:?}");
            assert_eq!(store.call(call).unwrap().record.notes, "");
            // Text written on a purged file is due for the purge again, as old as its last contact.
            let fresh = store.file_with_history(file).unwrap().file;
            let retyped = FileProfile { situation_summary: "retapé".into(), ..FileProfile::default() };
            store.update_file(file, fresh.version, None, &retyped).unwrap();
            assert_eq!(done(store.purge_at_unlock(Utc::now()).unwrap()).files, 1);
            assert_eq!(store.file_with_history(file).unwrap().file.profile.situation_summary, "");
        },
    );
}

#[test]
fn retention_belongs_to_the_centre_and_a_large_purge_waits_for_a_supervisor() {
    on_each_backend("retention_belongs_to_the_centre_and_a_large_purge_waits_for_a_supervisor", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        add_listener(&mut store);
        let shift = store.start_shift().unwrap();
        for n in 0..10 {
            let file = file_with(&mut store, "suivi", "69");
            call_on(&mut store, shift.id, Some(file), if n < 2 { 800 } else { 100 }, &format!("note {n}"));
        }
        assert_eq!(store.settings().unwrap().retention_days, Some(730));
        drop(store);

        // A listener can neither shorten the period nor raise the share.
        let mut listener = Store::open(db, LISTENER, LISTENER_PASS).unwrap();
        for (setting, value) in [(Setting::RetentionDays, 1), (Setting::PurgeConfirmPercent, 100)] {
            assert!(matches!(listener.set_setting(setting, value), Err(StoreError::Forbidden(_))));
        }
        // Two files of ten are due: more than the default tenth, so nothing is wiped at unlock.
        let waiting = listener.purge_at_unlock(Utc::now()).unwrap();
        let UnlockPurge::AwaitingSupervisor(report) = waiting else { panic!("{waiting:?}") };
        assert_eq!((report.files, report.calls), (2, 2));
        assert!(
            listener.search_files("note", &FileFilter::default(), 20).unwrap().len() == 10,
            "nothing wiped"
        );
        drop(listener);

        let mut supervisor = Store::open(db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        assert!(supervisor.set_setting(Setting::RetentionDays, 100_000_000).is_err(), "bounded");
        supervisor.set_setting(Setting::RetentionDays, 90).unwrap();
        assert_eq!(supervisor.settings().unwrap().retention_days, Some(90));
        let report = supervisor.purge(Utc::now(), false).unwrap();
        assert_eq!(report.files, 10, "the supervisor's purge takes the centre's new period");
        assert!(supervisor.check().unwrap().is_clean());
    });
}
