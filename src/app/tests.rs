//! The call workflow through `update`, as keys and replies, without a terminal or a store.

use chrono::{TimeZone, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::call_form::CallForm;
use crate::app::effect::AfterShift;
use crate::app::effect::FileChange;
use crate::app::effect::{FileView, Reply, Unlocked};
use crate::app::keys::KeyRoute;
use crate::app::popup::{self, Popup};
use crate::app::status::{SAY_FOR, WARN_FOR};
use crate::domain::Timestamp;
use crate::domain::assessment::RudLevel;
use crate::domain::assessment::Situation;
use crate::domain::call::{CallType, Outcome};
use crate::domain::callback::QueueEntry;
use crate::domain::callback::{Assignee, Priority};
use crate::domain::caller_file::{CallerFile, FileCode, FileProfile, FileStatus};
use crate::domain::listener::Actor;
use crate::domain::listener::Role;
use crate::domain::prompt::PromptOutcome;
use crate::domain::shift::Shift;
use crate::domain::{FileId, ListenerId, ShiftId};
use crate::i18n::Language;
use crate::keymap::Action;
use crate::keymap::Context;

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap()
}

fn shift() -> Shift {
    Shift {
        id: ShiftId(7),
        listener_id: ListenerId(2),
        started_at: now(),
        ended_at: None,
        handover_note: None,
    }
}

fn actor() -> Actor {
    Actor { id: ListenerId(2), login: "camille".into(), display_name: "Camille".into(), role: Role::Listener }
}

fn new_app(logins: &[&str]) -> App {
    App::new(
        Config::default(),
        Strings::get(Language::Fr),
        logins.iter().map(|l| (*l).to_owned()).collect(),
        now(),
    )
}

/// An app unlocked by Camille with her shift open.
fn unlocked_app() -> App {
    let mut app = new_app(&["camille"]);
    let effects = app.apply(Reply::Unlocked(Box::new(Unlocked {
        purged: Default::default(),
        access: crate::domain::Access::ReadWrite,
        listeners: vec![
            (ListenerId(1), "Dominique".into()),
            (ListenerId(2), "Camille".into()),
            (ListenerId(3), "Sacha".into()),
        ],
        actor: actor(),
        open_shift: None,
        draft: None,
        handover: None,
        queue: Vec::new(),
    })));
    assert!(matches!(effects.as_slice(), [Effect::StartShift]));
    app.apply(Reply::ShiftStarted(shift()));
    app
}

/// A tick's effects, leaving out the periodic look for other terminals' changes.
fn tick(app: &mut App, now: Timestamp) -> Vec<Effect> {
    app.tick(now).into_iter().filter(|e| !matches!(e, Effect::CheckForChanges)).collect()
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn call(app: &App) -> &CallForm {
    app.session.as_ref().unwrap().call.as_ref().expect("a call is running")
}

fn file_view(id: i64) -> FileView {
    FileView {
        file: CallerFile {
            id: FileId(id),
            code: FileCode::parse("KAT-472").unwrap(),
            status: FileStatus::Open,
            closure: None,
            profile: FileProfile::default(),
            created_at: now(),
            last_contact_at: None,
            legal_hold: false,
            purged_at: None,
            version: 0,
        },
        history: Vec::new(),
        events: Vec::new(),
        callbacks: Vec::new(),
        authors: Default::default(),
    }
}

#[test]
fn unlocking_types_a_masked_passphrase_and_asks_the_store() {
    let mut app = new_app(&["coord", "camille"]);
    key(&mut app, KeyCode::Down);
    type_text(&mut app, "trois pommes");
    let effects = key(&mut app, KeyCode::Enter);
    match effects.as_slice() {
        [Effect::Unlock { login, passphrase }] => {
            assert_eq!(login, "camille");
            assert_eq!(passphrase.as_str(), "trois pommes");
        }
        other => panic!("{other:?}"),
    }
    let Some(Gate::Unlock(form)) = &app.gate else { panic!("still on the unlock screen") };
    assert!(form.passphrase.is_empty(), "the typed passphrase does not linger in the form");
    assert!(!app.is_unlocked());
}

#[test]
fn a_whole_call_from_start_to_saved() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(call(&app).started_at, now());

    // Notes: Enter starts typing, Esc leaves it; letters typed go to the notes, not to keys.
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "Parle de sa solitude. 1 2 3 n e");
    key(&mut app, KeyCode::Esc);
    assert_eq!(call(&app).notes_text(), "Parle de sa solitude. 1 2 3 n e");
    assert_eq!(call(&app).call_type, None, "digits typed in the notes are not quick call keys");

    // Link: search, then pick the hit.
    key(&mut app, KeyCode::Char('l'));
    let effects = key(&mut app, KeyCode::Char('k'));
    assert!(matches!(effects.as_slice(), [Effect::SearchFiles { query, .. }] if query == "k"));
    app.apply(Reply::FileHits {
        filter: Default::default(),
        query: "k".into(),
        hits: vec![crate::domain::caller_file::FileHit {
            id: FileId(9),
            code: FileCode::parse("KAT-472").unwrap(),
            status: FileStatus::Open,
            last_contact_at: None,
            summary: String::new(),
        }],
    });
    let effects = key(&mut app, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::OpenFile { id: FileId(9), audited: true }]));
    app.apply(Reply::FileLoaded(Box::new(file_view(9))));
    assert_eq!(call(&app).file, Some(FileId(9)));

    // RUD: urgency medium.
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(call(&app).rud.urgency, Some(RudLevel::Medium));

    // Themes: tick the first and the third.
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Enter);
    assert_eq!(call(&app).themes, ["isolement", "idées suicidaires"]);

    // The theme of suicidal ideation, levels not rated: ending opens the grid first, once;
    // then what was done with the 3114 it prompted (Enter: given); then ending is asked once.
    assert!(key(&mut app, KeyCode::Char('e')).is_empty());
    assert!(matches!(
        app.session.as_ref().unwrap().popups.last(),
        Some(Popup::Rud(popup::RudGrid { ending: true, .. }))
    ));
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::Acknowledge(_))));
    key(&mut app, KeyCode::Enter); // number given
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::ConfirmEndCall(_))));
    key(&mut app, KeyCode::Enter); // yes, end it

    // Then it asks for the type, then the outcome, then offers a callback.
    key(&mut app, KeyCode::Enter); // Écoute
    assert_eq!(call(&app).call_type, Some(CallType::Listening));
    key(&mut app, KeyCode::Enter); // first outcome
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::CallbackOffer(_))));
    let effects = key(&mut app, KeyCode::Char('n'));
    let [Effect::SaveCall { call: saved, callback: None }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(saved.shift_id, ShiftId(7));
    assert_eq!(saved.record.caller_file_id, Some(FileId(9)));
    assert_eq!(saved.record.notes, "Parle de sa solitude. 1 2 3 n e");
    assert_eq!(saved.record.outcome, Some(Outcome::Supported));

    // The call stays in memory until the store says it is saved.
    assert!(app.session.as_ref().unwrap().call.is_some());
    let effects = app.apply(Reply::CallSaved);
    assert!(app.session.as_ref().unwrap().call.is_none());
    assert!(matches!(
        effects.as_slice(),
        [Effect::RefreshQueue, Effect::OpenFile { id: FileId(9), audited: false }]
    ));
}

#[test]
fn a_failed_save_keeps_the_call() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "à garder");
    key(&mut app, KeyCode::Esc);
    call_type_and_outcome(&mut app);
    let effects = key(&mut app, KeyCode::Char('n')); // no callback
    assert!(matches!(effects.as_slice(), [Effect::SaveCall { .. }]), "{effects:?}");
    app.apply(Reply::Failed("Disque plein".into()));
    assert_eq!(call(&app).notes_text(), "à garder");
    assert!(app.status.as_ref().unwrap().error);
}

#[test]
fn a_quick_call_is_logged_in_one_key() {
    let mut app = unlocked_app();
    let effects = key(&mut app, KeyCode::Char('2'));
    let [Effect::SaveCall { call, callback: None }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(call.call_type, CallType::HangUp);
    assert_eq!(call.started_at, now());
}

#[test]
fn a_callback_needs_consent_and_a_valid_number() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    app.apply(Reply::FileCreated(Box::new(file_view(3))));
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::NewFileCode(_))));
    key(&mut app, KeyCode::Enter);
    call_type_and_outcome(&mut app);
    key(&mut app, KeyCode::Enter); // yes, a callback
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    type_text(&mut app, "06 39 98 00 01");
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "no consent yet");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    let effects = key(&mut app, KeyCode::Enter);
    let [Effect::SaveCall { callback: Some(request), .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.callback_number.as_str(), "0639980001");
    assert_eq!(request.due_at, now() + Duration::minutes(30));
    assert_eq!(request.assignee, Assignee::Listener(ListenerId(2)));
    assert_eq!(request.priority, Priority::Normal, "suggested from an unassessed urgency");
}

#[test]
fn a_callback_from_a_file_with_a_typed_time_a_priority_a_named_listener_and_a_note() {
    let mut app = unlocked_app();
    app.apply(Reply::FileLoaded(Box::new(file_view(3))));
    app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
    key(&mut app, KeyCode::Char('b'));
    type_text(&mut app, "demain 25h");
    key(&mut app, KeyCode::Down); // priority
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Down); // number
    type_text(&mut app, "0639980001");
    key(&mut app, KeyCode::Down); // consent
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Down); // assignee: me, anyone, Dominique, Sacha
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Down); // note
    type_text(&mut app, "plutôt le matin");
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "25h is no time");
    let Some(Popup::CallbackForm(form)) = app.session.as_ref().unwrap().popups.last() else { panic!() };
    assert_eq!(form.error.as_deref(), Some(app.strings.callback_bad_when.as_str()));
    for _ in 0..5 {
        key(&mut app, KeyCode::Up);
    }
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, "9h");
    let effects = key(&mut app, KeyCode::Enter);
    let [Effect::ScheduleCallback { file: FileId(3), request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    // 9:00 in the UTC+1 the test app runs in, the day after 14:00 UTC on the 23rd.
    assert_eq!(request.due_at, Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap());
    assert_eq!(request.priority, Priority::Urgent);
    assert_eq!(request.assignee, Assignee::Listener(ListenerId(3)));
    assert_eq!(request.note, "plutôt le matin");
    assert!(matches!(top(&app), Some(Popup::CallbackForm(_))), "kept until the store confirms");
    let effects = app.apply(Reply::CallbackScheduled(FileId(3)));
    assert!(top(&app).is_none());
    assert!(matches!(
        effects.as_slice(),
        [Effect::RefreshQueue, Effect::OpenFile { id: FileId(3), audited: false }]
    ));
}

fn entry(id: i64, version: i64) -> QueueEntry {
    QueueEntry {
        id: crate::domain::CallbackId(id),
        version,
        file_id: FileId(3),
        file_code: FileCode::parse("KAT-472").unwrap(),
        due_at: now() - Duration::minutes(5),
        priority: Priority::High,
        assignee: Assignee::Anyone,
        assignee_name: None,
        attempts: 0,
        flagged: false,
        note: String::new(),
    }
}

#[test]
fn performing_a_callback_takes_it_shows_the_number_then_starts_the_linked_call() {
    let mut app = unlocked_app();
    app.apply(Reply::Queue(vec![entry(5, 2)]));
    app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
    let effects = key(&mut app, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::TakeCallback { version: 2, .. }]));
    let callback = crate::domain::callback::Callback {
        id: crate::domain::CallbackId(5),
        caller_file_id: FileId(3),
        origin_call_id: None,
        due_at: now(),
        priority: Priority::High,
        callback_number: Some(crate::domain::callback::PhoneNumber::parse("0639980001").unwrap()),
        assignee: Assignee::Listener(ListenerId(2)),
        status: crate::domain::callback::CallbackStatus::Pending,
        note: String::new(),
        created_at: now(),
        closed_at: None,
        closed_reason: None,
        version: 3,
        flagged: false,
        attempts: Vec::new(),
    };
    app.apply(Reply::CallbackTaken(Box::new(callback)));
    assert!(matches!(top(&app), Some(Popup::Perform(f)) if f.callback.is_some()));
    let effects = key(&mut app, KeyCode::Char('j'));
    assert!(matches!(effects.as_slice(), [Effect::OpenFile { id: FileId(3), audited: true }]));
    assert_eq!(call(&app).file, Some(FileId(3)));
    assert_eq!(call(&app).performs_callback, Some(crate::domain::CallbackId(5)));
    assert_eq!(call(&app).draft(ShiftId(7)).record.performs_callback, Some(crate::domain::CallbackId(5)));

    // Another one, not reached: the attempt is logged with the configured policy.
    let mut app = unlocked_app();
    app.apply(Reply::Queue(vec![entry(6, 0)]));
    app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
    key(&mut app, KeyCode::Enter);
    let now_with_sacha = crate::domain::callback::CallbackNow::AssignedTo(Some("Sacha".into()));
    app.apply(Reply::CallbackConflict(now_with_sacha));
    assert!(top(&app).is_none(), "the loser is told and the popup goes");
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "Ce rappel a changé entre-temps sur un autre poste (il est maintenant attribué à Sacha) : \
         rien n'a été fait, la liste est à jour."
    );
}

#[test]
fn the_supervisor_view_filters_and_reassigns_on_the_version_seen() {
    let mut app = unlocked_app();
    app.session.as_mut().unwrap().actor.role = Role::Supervisor;
    let mut flagged = entry(7, 4);
    flagged.flagged = true;
    flagged.due_at = now() + Duration::hours(3);
    app.apply(Reply::Queue(vec![entry(6, 1), flagged]));
    let effects = key(&mut app, KeyCode::F(5));
    assert!(matches!(effects.as_slice(), [Effect::RefreshOverview, Effect::RefreshQueue]));
    key(&mut app, KeyCode::Char('f')); // overdue only
    key(&mut app, KeyCode::Char('f')); // flagged only
    key(&mut app, KeyCode::Char('a'));
    let Some(Popup::Reassign(form)) = top(&app) else { panic!("{:?}", top(&app)) };
    assert_eq!(form.entry.id, crate::domain::CallbackId(7));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    let effects = key(&mut app, KeyCode::Enter);
    assert!(matches!(
        effects.as_slice(),
        [Effect::ChangeCallback(crate::app::effect::CallbackChange::Reassign {
            version: 4,
            assignee: Assignee::Listener(ListenerId(2)),
            ..
        })]
    ));
    app.apply(Reply::CallbackChanged);
    assert!(matches!(top(&app), Some(Popup::Supervisor(_))), "back to the view");

    // A listener has no supervisor's view.
    let mut app = unlocked_app();
    key(&mut app, KeyCode::F(5));
    assert!(top(&app).is_none());
}

#[test]
fn a_callback_falling_due_during_the_shift_is_announced() {
    let mut app = unlocked_app();
    let mut soon = entry(8, 0);
    soon.due_at = now() + Duration::seconds(30);
    app.apply(Reply::Queue(vec![soon]));
    tick(&mut app, now() + Duration::seconds(10));
    assert!(app.status.is_none());
    tick(&mut app, now() + Duration::seconds(40));
    assert_eq!(app.status.as_ref().unwrap().text, "Rappel à faire maintenant : KAT-472");
}

/// `e`, yes end it, the first type, the first outcome.
fn call_type_and_outcome(app: &mut App) {
    key(app, KeyCode::Char('e'));
    key(app, KeyCode::Enter);
    key(app, KeyCode::Enter);
    key(app, KeyCode::Enter);
}

#[test]
fn changes_are_autosaved_within_two_seconds() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "mot");
    assert!(tick(&mut app, now() + Duration::milliseconds(500)).is_empty());
    let effects = tick(&mut app, now() + Duration::milliseconds(1100));
    let [Effect::SaveDraft(draft)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(draft.record.notes, "mot");
    assert!(tick(&mut app, now() + Duration::milliseconds(1400)).is_empty(), "nothing new to save");
}

#[test]
fn idle_lock_uses_the_wall_clock_and_waits_longer_during_a_call() {
    let mut app = unlocked_app();
    let idle = i64::from(app.config.idle_lock_minutes);
    let effects = tick(&mut app, now() + Duration::minutes(idle));
    assert!(matches!(effects.as_slice(), [Effect::Lock]));
    assert!(!app.is_unlocked());

    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    tick(&mut app, now() + Duration::seconds(2)); // autosave
    assert!(tick(&mut app, now() + Duration::minutes(idle)).is_empty(), "a listener listens without typing");
    let in_call = i64::from(app.config.idle_lock_minutes_in_call);
    let effects = tick(&mut app, now() + Duration::minutes(in_call));
    assert!(matches!(effects.as_slice(), [Effect::SaveDraft(_), Effect::Lock]));
}

#[test]
fn locking_and_unlocking_returns_to_the_same_place() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "en cours");
    let effects = ctrl(&mut app, 'l');
    assert!(matches!(effects.as_slice(), [Effect::SaveDraft(_), Effect::Lock]));
    assert!(!app.is_unlocked());
    // While locked, keys do not reach the call.
    type_text(&mut app, "xyz");
    app.apply(Reply::Unlocked(Box::new(Unlocked {
        purged: Default::default(),
        access: crate::domain::Access::ReadWrite,
        listeners: vec![
            (ListenerId(1), "Dominique".into()),
            (ListenerId(2), "Camille".into()),
            (ListenerId(3), "Sacha".into()),
        ],
        actor: actor(),
        open_shift: None,
        draft: None,
        handover: None,
        queue: Vec::new(),
    })));
    assert!(app.is_unlocked());
    assert_eq!(call(&app).notes_text(), "en cours");
}

#[test]
fn the_emergency_card_opens_while_typing_and_records_the_number() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Enter);
    ctrl(&mut app, 'g');
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::EmergencyCard(_))));
    for _ in 0..5 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(call(&app).orientations, ["3114"]);
    assert_eq!(call(&app).prompts[0].number, "3114");
    assert_eq!(call(&app).notes_text(), "", "the card's keys did not reach the notes");
}

#[test]
fn quitting_during_a_call_asks_and_saves_the_draft() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    let effects = ctrl(&mut app, 'q');
    assert!(matches!(effects.as_slice(), [Effect::SaveDraft(_)]));
    assert!(!app.quit);
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit);
    ctrl(&mut app, 'q');
    key(&mut app, KeyCode::Enter);
    assert!(app.quit);
}

#[test]
fn a_draft_found_at_unlock_is_offered_back() {
    let mut app = new_app(&["camille"]);
    let mut form = CallForm::new(now());
    form.notes.insert_str("notes d'avant le crash");
    let draft = form.draft(ShiftId(7));
    app.apply(Reply::Unlocked(Box::new(Unlocked {
        purged: Default::default(),
        access: crate::domain::Access::ReadWrite,
        listeners: vec![
            (ListenerId(1), "Dominique".into()),
            (ListenerId(2), "Camille".into()),
            (ListenerId(3), "Sacha".into()),
        ],
        actor: actor(),
        open_shift: Some(shift()),
        draft: Some(draft),
        handover: None,
        queue: Vec::new(),
    })));
    key(&mut app, KeyCode::Enter); // resume the open shift
    key(&mut app, KeyCode::Enter); // resume the draft
    assert_eq!(call(&app).notes_text(), "notes d'avant le crash");
}

#[test]
fn another_listener_takes_over_the_terminal_without_restarting() {
    let mut app = unlocked_app();
    ctrl(&mut app, 'l');
    let sacha = Actor {
        id: ListenerId(3),
        login: "sacha".into(),
        display_name: "Sacha".into(),
        role: Role::Listener,
    };
    let effects = app.apply(Reply::Unlocked(Box::new(Unlocked {
        purged: Default::default(),
        access: crate::domain::Access::ReadWrite,
        listeners: vec![
            (ListenerId(1), "Dominique".into()),
            (ListenerId(2), "Camille".into()),
            (ListenerId(3), "Sacha".into()),
        ],
        actor: sacha,
        open_shift: None,
        draft: None,
        handover: None,
        queue: Vec::new(),
    })));
    assert!(matches!(effects.as_slice(), [Effect::StartShift]), "Sacha's own shift");
    assert_eq!(app.session.as_ref().unwrap().actor.login, "sacha");
    assert!(app.session.as_ref().unwrap().shift.is_none());
}

#[test]
fn handing_over_waits_for_an_unsaved_call_to_be_in_the_draft() {
    let mut app = unlocked_app();
    app.logins.push("sacha".into());
    key(&mut app, KeyCode::Char('n'));
    ctrl(&mut app, 'l');
    // Pretend the draft save at lock failed (disk full): Camille's call is only in memory.
    app.apply(Reply::DraftFailed("Disque plein".into()));
    key(&mut app, KeyCode::Down);
    type_text(&mut app, "riviere calme douze");
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "no handover while the call would be lost");
    let Some(Gate::Unlock(form)) = &app.gate else { panic!() };
    assert_eq!(form.message(), Some(app.strings.handover_blocked.as_str()));
}

#[test]
fn a_life_risk_prompt_is_raised_blocks_the_end_and_is_acknowledged() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    // Urgency high: 15 and 112 are prompted at once.
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Enter);
    let numbers: Vec<&str> = call(&app).prompts.iter().map(|p| p.number.as_str()).collect();
    assert_eq!(numbers, ["15", "112"]);
    assert!(call(&app).life_risk_pending(&app.directory));

    // The call cannot end, nor be logged as a quick call, while they wait.
    assert!(key(&mut app, KeyCode::Char('e')).is_empty());
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::Acknowledge(_))));
    key(&mut app, KeyCode::Esc);
    assert!(key(&mut app, KeyCode::Char('1')).is_empty());
    key(&mut app, KeyCode::Esc);

    // 15: service contacted. 112: not relevant needs a word.
    ctrl(&mut app, 'o');
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Enter);
    assert!(call(&app).life_risk_pending(&app.directory), "not relevant without a word is refused");
    type_text(&mut app, "15 déjà");
    key(&mut app, KeyCode::Enter);
    assert!(!call(&app).life_risk_pending(&app.directory));
    assert!(app.session.as_ref().unwrap().popups.is_empty(), "the popup closes when nothing waits");
    let acks: Vec<_> =
        call(&app).prompts.iter().map(|p| p.acknowledgement.as_ref().unwrap().outcome).collect();
    assert_eq!(acks, [PromptOutcome::ServiceContacted, PromptOutcome::NotRelevant]);
    assert_eq!(call(&app).prompts[1].acknowledgement.as_ref().unwrap().note.as_deref(), Some("15 déjà"));
    assert_eq!(call(&app).orientations, ["15"], "a number given or contacted is an orientation");

    // Raised once: changing the grid again does not raise them twice.
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(call(&app).prompts.len(), 2);
    let effects = key(&mut app, KeyCode::Char('e'));
    assert!(effects.is_empty(), "asks once, then for the type");
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::ConfirmEndCall(_))));
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::List(_))));
}

fn top_popup(app: &App) -> Option<&Popup> {
    app.session.as_ref().unwrap().popups.last()
}

#[test]
fn no_single_key_ends_a_call_from_inside_the_notes_nor_a_stray_digit_a_call_with_content() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "la dame");
    // Ctrl-E is "end of line" to anyone used to a shell: here it stays in the notes.
    assert!(ctrl(&mut app, 'e').is_empty());
    assert!(top_popup(&app).is_none() && call(&app).editing_notes);
    type_text(&mut app, " ok 1");
    assert_eq!(call(&app).notes_text(), "la dame ok 1");
    key(&mut app, KeyCode::Esc);
    // Out of the notes, a quick key does not end a call that holds something.
    assert!(key(&mut app, KeyCode::Char('2')).is_empty());
    assert!(app.status.as_ref().unwrap().error);
    assert_eq!(call(&app).call_type, None, "not logged as hung up");
    // `e` asks once, and Esc goes back to the call as it was.
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(top_popup(&app), Some(Popup::ConfirmEndCall(_))));
    key(&mut app, KeyCode::Esc);
    assert!(top_popup(&app).is_none());
    assert_eq!(call(&app).notes_text(), "la dame ok 1");
    // A call just taken, still blank, may still be logged in one key.
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    let effects = key(&mut app, KeyCode::Char('2'));
    assert!(
        matches!(effects.as_slice(), [Effect::SaveCall { call, .. }] if call.call_type == CallType::HangUp)
    );
}

#[test]
fn a_pending_orientation_is_asked_at_the_end_and_giving_it_as_an_orientation_acknowledges_it() {
    let tick_child_in_danger = |app: &mut App| {
        key(app, KeyCode::Char('u'));
        for _ in 0..5 {
            key(app, KeyCode::Down);
        }
        key(app, KeyCode::Char(' '));
        key(app, KeyCode::Enter);
        assert_eq!(call(app).prompts[0].number, "119");
    };
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    tick_child_in_danger(&mut app);
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(top_popup(&app), Some(Popup::Acknowledge(_))), "asked before anything else");
    key(&mut app, KeyCode::Enter); // one key: number given
    let ack = call(&app).prompts[0].acknowledgement.as_ref().unwrap();
    assert_eq!(ack.outcome, PromptOutcome::NumberGiven);
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(top_popup(&app), Some(Popup::ConfirmEndCall(_))));

    // Ticking 119 among the orientations is giving it.
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    tick_child_in_danger(&mut app);
    key(&mut app, KeyCode::Char('o'));
    let list = match top_popup(&app) {
        Some(Popup::List(list)) => list.clone(),
        other => panic!("{other:?}"),
    };
    let at = list.options.iter().position(|(number, _)| number == "119").unwrap();
    for _ in 0..at {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Enter);
    assert_eq!(call(&app).prompts[0].acknowledgement.as_ref().unwrap().outcome, PromptOutcome::NumberGiven);
    assert!(call(&app).pending_prompts().next().is_none());
}

#[test]
fn an_anonymous_call_can_be_called_back_through_a_file_opened_for_it() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Enter); // yes, end it
    key(&mut app, KeyCode::Enter); // type
    key(&mut app, KeyCode::Enter); // outcome
    assert!(matches!(top_popup(&app), Some(Popup::CallbackOffer(_))), "offered although anonymous");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::CreateFile]), "{effects:?}");
    app.apply(Reply::FileCreated(Box::new(file_view(5))));
    assert_eq!(call(&app).file, Some(FileId(5)));
    assert!(matches!(top_popup(&app), Some(Popup::NewFileCode(_))), "its code first, to read it out");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(top_popup(&app), Some(Popup::CallbackForm(_))), "then the callback");
}

#[test]
fn ticking_situations_raises_their_numbers_without_blocking_for_orientations() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('u'));
    // child in danger is the sixth situation
    for _ in 0..5 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Enter);
    assert_eq!(call(&app).situations, [Situation::ChildInDanger]);
    assert_eq!(call(&app).prompts.len(), 1);
    assert_eq!(call(&app).prompts[0].number, "119");
    assert!(!call(&app).life_risk_pending(&app.directory), "119 orients, it does not block");
}

/// Issue 14: the theme "idées suicidaires" prompted nothing, and nothing asked for the grid.
#[test]
fn suicidal_ideation_prompts_3114_and_ending_opens_the_rud_grid_once() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('t'));
    // "idées suicidaires" is the third default theme
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Enter);
    assert_eq!(call(&app).themes, ["idées suicidaires"]);
    let numbers: Vec<&str> = call(&app).prompts.iter().map(|p| p.number.as_str()).collect();
    assert_eq!(numbers, ["3114"]);

    // Ending opens the grid on its first row not rated, before the type is asked.
    assert!(key(&mut app, KeyCode::Char('e')).is_empty());
    let popups = &app.session.as_ref().unwrap().popups;
    assert!(
        matches!(popups.last(), Some(Popup::Rud(popup::RudGrid { row: 0, ending: true, .. }))),
        "{popups:?}"
    );
    assert_eq!(app.status.as_ref().unwrap().text, app.strings.end_asks_rud);
    // Lethal means at hand: 15 and 112 now, and ending goes on to their acknowledgement.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Enter);
    let numbers: Vec<&str> = call(&app).prompts.iter().map(|p| p.number.as_str()).collect();
    assert_eq!(numbers, ["3114", "15", "112"]);
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::Acknowledge(_))));
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('2'));
        key(&mut app, KeyCode::Enter);
    }
    // Nothing waits any more: ending goes on, asked once.
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::ConfirmEndCall(_))));
    key(&mut app, KeyCode::Esc);

    // The grid is asked once: risk still not rated, ending goes on to the type.
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::ConfirmEndCall(_))));
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::List(_))));
}

#[test]
fn the_rud_grid_is_asked_at_the_end_only_for_suicidal_ideation_and_esc_keeps_the_call() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('e'));
    assert!(
        matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::ConfirmEndCall(_))),
        "no ideation"
    );
    key(&mut app, KeyCode::Esc);
    // suicidal ideation is the fifth situation
    key(&mut app, KeyCode::Char('u'));
    for _ in 0..4 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Enter);
    assert_eq!(call(&app).situations, [Situation::SuicidalIdeation]);
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(
        app.session.as_ref().unwrap().popups.last(),
        Some(Popup::Rud(popup::RudGrid { ending: true, .. }))
    ));
    key(&mut app, KeyCode::Esc);
    assert!(app.session.as_ref().unwrap().popups.is_empty() && app.session.as_ref().unwrap().call.is_some());
    // The grid is asked once; the 3114 still waits for what was done with it.
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::Acknowledge(_))), "asked once");
}

#[test]
fn the_store_is_asked_for_other_terminals_changes_every_second() {
    let mut app = unlocked_app();
    assert!(!app.tick(now()).iter().any(|e| matches!(e, Effect::CheckForChanges)));
    assert!(app.tick(now() + CHANGES_POLL).iter().any(|e| matches!(e, Effect::CheckForChanges)));
    assert!(!app.tick(now() + CHANGES_POLL).iter().any(|e| matches!(e, Effect::CheckForChanges)));
}

#[test]
fn only_a_failed_draft_says_not_saved() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    app.apply(Reply::DraftSaved(now()));
    app.apply(Reply::Failed("la recherche a échoué".into()));
    assert!(!app.session.as_ref().unwrap().save_failed, "a failed search says nothing of the draft");
    app.apply(Reply::DraftFailed("Disque plein".into()));
    assert!(app.session.as_ref().unwrap().save_failed);
    assert!(app.session.as_ref().unwrap().dirty_since.is_some(), "retried at the next tick");
}

fn past_call(id: i64, listener: ListenerId) -> crate::domain::call::Call {
    crate::domain::call::Call {
        id: crate::domain::CallId(id),
        shift_id: ShiftId(3),
        listener_id: listener,
        started_at: now() - Duration::days(id),
        ended_at: now() - Duration::days(id) + Duration::minutes(10),
        call_type: CallType::Listening,
        record: crate::domain::call::CallRecord { notes: "avant".into(), ..Default::default() },
    }
}

fn with_history(id: i64, calls: Vec<crate::domain::call::Call>) -> FileView {
    FileView { history: calls, ..file_view(id) }
}

fn top(app: &App) -> Option<&Popup> {
    app.session.as_ref().unwrap().popups.last()
}

#[test]
fn a_known_caller_is_announced_once_before_anything_else() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    app.session.as_mut().unwrap().call.as_mut().unwrap().file = Some(FileId(9));
    app.apply(Reply::FileLoaded(Box::new(with_history(9, vec![past_call(1, ListenerId(3))]))));
    assert!(matches!(top(&app), Some(Popup::RepeatCaller(r)) if r.earlier_calls == 1));
    key(&mut app, KeyCode::Enter);
    assert!(top(&app).is_none());
    // Reloaded after an edit or a refresh: not announced again for this call.
    app.apply(Reply::FileLoaded(Box::new(with_history(9, vec![past_call(1, ListenerId(3))]))));
    assert!(top(&app).is_none());
    // A first call on a file: nothing to announce.
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    app.session.as_mut().unwrap().call.as_mut().unwrap().file = Some(FileId(9));
    app.apply(Reply::FileLoaded(Box::new(file_view(9))));
    assert!(top(&app).is_none());
}

#[test]
fn an_edit_is_made_on_the_version_shown_and_a_conflict_keeps_what_was_typed() {
    let mut app = unlocked_app();
    let mut view = file_view(9);
    view.file.version = 4;
    app.apply(Reply::FileLoaded(Box::new(view)));
    app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
    key(&mut app, KeyCode::Char('e'));
    let effects = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::ChangeFile(FileChange::Profile { id: FileId(9), version: 4, .. })]
        ),
        "{effects:?}"
    );
    let mut purged = file_view(9);
    purged.file.version = 5;
    app.apply(Reply::FileConflict(Box::new(purged)));
    let s = Strings::get(Language::Fr);
    assert!(
        matches!(top(&app), Some(Popup::FileForm(f)) if f.version == 4 && f.error.as_ref() == Some(&s.file_changed_meanwhile)),
        "the form stays, on its old version, and says why"
    );
    assert_eq!(
        app.session.as_ref().unwrap().file.as_ref().unwrap().file.version,
        5,
        "the pane shows the file as it is"
    );
}

#[test]
fn a_closed_files_form_changes_its_profile_never_its_status() {
    let mut app = unlocked_app();
    for (status, sent) in [(FileStatus::FollowUp, Some(FileStatus::FollowUp)), (FileStatus::Closed, None)] {
        let mut view = file_view(9);
        view.file.status = status;
        app.apply(Reply::FileLoaded(Box::new(view)));
        app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
        key(&mut app, KeyCode::Char('e'));
        let effects = key(&mut app, KeyCode::Enter);
        match effects.as_slice() {
            [Effect::ChangeFile(FileChange::Profile { status, .. })] => assert_eq!(*status, sent),
            other => panic!("{other:?}"),
        }
        app.apply(Reply::FileChanged(Box::new(file_view(9))));
    }
}

#[test]
fn closing_a_file_needs_a_reason_and_the_callers_answer_and_stays_open_until_saved() {
    let mut app = unlocked_app();
    app.apply(Reply::FileLoaded(Box::new(file_view(9))));
    app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
    key(&mut app, KeyCode::Char('x'));
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "no reason yet");
    type_text(&mut app, "Résolu");
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "the caller's answer is missing");
    key(&mut app, KeyCode::Char('n'));
    let effects = key(&mut app, KeyCode::Enter);
    match effects.as_slice() {
        [Effect::ChangeFile(FileChange::Close { id: FileId(9), closure })] => {
            assert_eq!((closure.reason.as_str(), closure.caller_agreed), ("Résolu", false));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(top(&app), Some(Popup::Closure(_))), "kept until the store confirms");
    app.apply(Reply::Failed("disque plein".into()));
    assert!(matches!(top(&app), Some(Popup::Closure(c)) if c.reason == "Résolu"), "nothing typed is lost");
    app.apply(Reply::FileChanged(Box::new(file_view(9))));
    assert!(top(&app).is_none());
}

#[test]
fn a_listener_amends_only_their_own_calls_and_no_legal_holds() {
    let mut app = unlocked_app();
    let calls = vec![past_call(1, ListenerId(3)), past_call(2, ListenerId(2))];
    app.apply(Reply::FileLoaded(Box::new(with_history(9, calls))));
    app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
    key(&mut app, KeyCode::Char('m'));
    assert!(top(&app).is_none(), "the newest call is Sacha's");
    assert_eq!(app.status.as_ref().unwrap().text, app.strings.not_your_call);
    key(&mut app, KeyCode::Char('h'));
    assert!(top(&app).is_none(), "legal holds are for supervisors");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('m'));
    type_text(&mut app, " et après");
    key(&mut app, KeyCode::Esc);
    assert!(matches!(top(&app), Some(Popup::AmendNotes(f)) if f.discard_armed), "one Esc does not discard");
    let effects = ctrl(&mut app, 's');
    assert!(matches!(
        effects.as_slice(),
        [Effect::ChangeFile(FileChange::AmendNotes { call: crate::domain::CallId(2), notes, .. })]
            if notes == "avant et après"
    ));
}

#[test]
fn search_from_anywhere_sends_its_filters_and_opens_without_linking() {
    let mut app = unlocked_app();
    ctrl(&mut app, 'f');
    key(&mut app, KeyCode::Tab);
    let effects = key(&mut app, KeyCode::Right);
    assert!(matches!(
        effects.as_slice(),
        [Effect::SearchFiles { filter, .. }] if filter.status == Some(FileStatus::Open)
    ));
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "2");
    let effects = key(&mut app, KeyCode::Char('A'));
    let Some(Effect::SearchFiles { filter, .. }) = effects.first() else { panic!("{effects:?}") };
    assert_eq!(filter.departement.as_ref().map(|d| d.as_str()), Some("2A"));
    let filter = filter.clone();
    app.apply(Reply::FileHits {
        query: String::new(),
        filter,
        hits: vec![crate::domain::caller_file::FileHit {
            id: FileId(4),
            code: FileCode::parse("KAT-472").unwrap(),
            status: FileStatus::Open,
            last_contact_at: None,
            summary: String::new(),
        }],
    });
    let effects = key(&mut app, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::OpenFile { id: FileId(4), audited: true }]));
    assert_eq!(app.session.as_ref().unwrap().focus, Pane::File);
}

#[test]
fn ending_the_shift_closes_it_locks_for_the_next_listener_and_a_return_starts_a_new_one() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::F(10));
    assert!(top(&app).is_none(), "not during a call");
    assert_eq!(app.status.as_ref().unwrap().text, app.strings.end_shift_call_running);
    let mut app = unlocked_app();
    let effects = key(&mut app, KeyCode::F(10));
    assert!(matches!(effects.as_slice(), [Effect::LoadSummary(ShiftId(7))]));
    type_text(&mut app, "Rien à signaler");
    let effects = ctrl(&mut app, 's');
    assert!(matches!(
        effects.as_slice(),
        [Effect::EndShift { shift: ShiftId(7), handover, after: AfterShift::Lock }] if handover == "Rien à signaler"
    ));
    let effects = app
        .apply(Reply::ShiftEnded { written: Ok("/tmp/exports/shift-7.md".into()), after: AfterShift::Lock });
    assert!(effects.iter().any(|e| matches!(e, Effect::Lock)));
    let Some(Gate::Unlock(form)) = &app.gate else { panic!("locked for the next listener") };
    assert!(form.message().is_some_and(|m| m.contains("/tmp/exports/shift-7.md")));
    // Camille comes back: a new shift starts.
    let effects = app.apply(Reply::Unlocked(Box::new(Unlocked {
        purged: Default::default(),
        access: crate::domain::Access::ReadWrite,
        listeners: Vec::new(),
        actor: actor(),
        open_shift: None,
        draft: None,
        handover: None,
        queue: Vec::new(),
    })));
    assert!(matches!(effects.as_slice(), [Effect::StartShift]));
}

/// Camille unlocks; her shift of three hours ago is still open.
fn unlocked_with_open_shift() -> App {
    let mut app = new_app(&["camille"]);
    let open = Shift { id: ShiftId(6), started_at: now() - chrono::Duration::hours(3), ..shift() };
    let effects = app.apply(Reply::Unlocked(Box::new(Unlocked {
        purged: Default::default(),
        access: crate::domain::Access::ReadWrite,
        listeners: Vec::new(),
        actor: actor(),
        open_shift: Some(open),
        draft: None,
        handover: None,
        queue: Vec::new(),
    })));
    assert!(effects.is_empty(), "nothing decided before she chooses");
    assert!(matches!(top(&app), Some(Popup::ShiftChoice(_))));
    app
}

#[test]
fn a_shift_left_open_is_never_closed_by_a_letter_and_enter_resumes_it() {
    let mut app = unlocked_with_open_shift();
    // `n` takes a call on the main screen: pressed by habit, it once closed the shift here.
    for letter in ['n', 'r', 'q', 'e', '1', 'o', 'y'] {
        let effects = key(&mut app, KeyCode::Char(letter));
        assert!(effects.is_empty(), "{letter:?} did {effects:?}");
        assert!(matches!(top(&app), Some(Popup::ShiftChoice(_))), "{letter:?} answered the popup");
    }
    assert!(app.session.as_ref().unwrap().shift.is_none());
    let effects = key(&mut app, KeyCode::Enter);
    assert!(effects.is_empty());
    assert!(top(&app).is_none());
    assert_eq!(app.session.as_ref().unwrap().shift.as_ref().map(|s| s.id), Some(ShiftId(6)));
    // Esc too keeps the shift: the default is always to carry on.
    let mut app = unlocked_with_open_shift();
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.session.as_ref().unwrap().shift.as_ref().map(|s| s.id), Some(ShiftId(6)));
}

#[test]
fn closing_a_shift_left_open_goes_through_the_end_of_shift_then_starts_a_new_one() {
    let mut app = unlocked_with_open_shift();
    let effects = key(&mut app, KeyCode::F(10));
    assert!(matches!(effects.as_slice(), [Effect::LoadSummary(ShiftId(6))]), "{effects:?}");
    assert!(matches!(top(&app), Some(Popup::EndShift(_))), "the figures and the handover note");
    // Esc there comes back to the choice, nothing closed.
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(matches!(top(&app), Some(Popup::ShiftChoice(_))));
    key(&mut app, KeyCode::F(10));
    type_text(&mut app, "Deux rappels pour demain");
    let effects = ctrl(&mut app, 's');
    assert!(matches!(
        effects.as_slice(),
        [Effect::EndShift { shift: ShiftId(6), handover, after: AfterShift::NewShift }]
            if handover == "Deux rappels pour demain"
    ));
    // A refused close keeps the screen and the note, to try again.
    app.apply(Reply::Failed("disque plein".into()));
    let Some(Popup::EndShift(form)) = top(&app) else { panic!("still on the end of shift") };
    assert!(!form.closing);
    let effects = ctrl(&mut app, 's');
    assert!(matches!(effects.as_slice(), [Effect::EndShift { shift: ShiftId(6), .. }]));
    // Closed and summarised: Camille stays, on a new shift, told where the summary is.
    let effects = app.apply(Reply::ShiftEnded {
        written: Ok("/tmp/exports/shift-6.md".into()),
        after: AfterShift::NewShift,
    });
    assert!(matches!(effects.as_slice(), [Effect::StartShift]), "{effects:?}");
    assert!(app.is_unlocked(), "not locked: the listener who just unlocked carries on");
    assert!(top(&app).is_none());
    assert!(app.status.as_ref().unwrap().text.contains("/tmp/exports/shift-6.md"));
    app.apply(Reply::ShiftStarted(shift()));
    assert_eq!(app.session.as_ref().unwrap().shift.as_ref().map(|s| s.id), Some(ShiftId(7)));
}

fn unlock_form(app: &App) -> &UnlockForm {
    let Some(Gate::Unlock(form)) = &app.gate else { panic!("on the unlock screen") };
    form
}

#[test]
fn the_unlock_screen_starts_on_the_asked_account_else_the_last_one_used() {
    let logins = ["coord", "camille", "sacha"];
    // `--as sacha`: typing at once types Sacha's passphrase, whoever unlocked last.
    let mut app = new_app(&logins);
    app.preselect(Some("sacha"), Some("camille"));
    assert_eq!(unlock_form(&app).login(), Some("sacha"));
    type_text(&mut app, "phrase");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::Unlock { login, .. }] if login == "sacha"));
    // No `--as`: the account last unlocked on this terminal.
    let mut app = new_app(&logins);
    app.preselect(None, Some("camille"));
    assert_eq!(unlock_form(&app).login(), Some("camille"));
    assert_eq!(unlock_form(&app).message(), None);
    // An unknown `--as` is said, and the remembered account still chosen.
    let mut app = new_app(&logins);
    app.preselect(Some("camile"), Some("camille"));
    assert_eq!(unlock_form(&app).login(), Some("camille"));
    assert!(unlock_form(&app).message().is_some_and(|m| m.contains("camile")));
    // A remembered account since removed: the first one, as before.
    let mut app = new_app(&logins);
    app.preselect(None, Some("alix"));
    assert_eq!(unlock_form(&app).login(), Some("coord"));
}

#[test]
fn an_early_enter_during_the_wait_leaves_no_frozen_countdown() {
    let mut app = new_app(&["camille"]);
    let wrong =
        || Reply::UnlockFailed { message: "Mauvaise phrase de passe.".into(), wrong_passphrase: true };
    for _ in 0..3 {
        type_text(&mut app, "mauvaise");
        key(&mut app, KeyCode::Enter);
        app.apply(wrong());
    }
    assert_eq!(unlock_form(&app).wait_left(now()), Some(5));
    // Enter one second into the wait: nothing is tried, and nothing about the wait is written
    // down that would stay once the wait is over.
    tick(&mut app, now() + chrono::Duration::seconds(1));
    type_text(&mut app, "bonne");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let wait_prefix = app.strings.unlock_wait.split('{').next().unwrap().to_owned();
    let shown = |app: &App| unlock_form(app).message().unwrap_or_default().to_owned();
    assert!(!shown(&app).contains(&wait_prefix), "{}", shown(&app));
    tick(&mut app, now() + chrono::Duration::seconds(6));
    assert_eq!(unlock_form(&app).wait_left(app.now), None);
    assert!(!shown(&app).contains(&wait_prefix), "{}", shown(&app));
    assert_eq!(unlock_form(&app).passphrase.as_str(), "bonne", "what was typed waits for Enter");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::Unlock { .. }]));
}

#[test]
fn unlocking_during_a_call_opens_the_notes_again_if_they_were_being_typed() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "elle dit");
    assert!(call(&app).editing_notes);
    ctrl(&mut app, 'l');
    assert!(!app.is_unlocked());
    let back = |app: &mut App| {
        app.apply(Reply::Unlocked(Box::new(Unlocked {
            purged: Default::default(),
            access: crate::domain::Access::ReadWrite,
            listeners: Vec::new(),
            actor: actor(),
            open_shift: Some(shift()),
            draft: None,
            handover: None,
            queue: Vec::new(),
        })))
    };
    back(&mut app);
    assert!(call(&app).editing_notes, "typing goes on where it was");
    type_text(&mut app, " que");
    assert_eq!(call(&app).notes_text(), "elle dit que");
    // Out of the notes when the screen locked: still out after.
    key(&mut app, KeyCode::Esc);
    ctrl(&mut app, 'l');
    back(&mut app);
    assert!(!call(&app).editing_notes);
}

#[test]
fn messages_fade_successes_before_errors() {
    let mut app = unlocked_app();
    app.apply(Reply::FileChanged(Box::new(file_view(3))));
    assert_eq!(app.status.as_ref().unwrap().said_at, Some(now()), "stamped with the tick's time");
    tick(&mut app, now() + SAY_FOR - Duration::seconds(1));
    assert!(app.status.is_some(), "still there just before its time");
    tick(&mut app, now() + SAY_FOR);
    assert_eq!(app.status, None, "a success fades after {SAY_FOR}");

    let said = app.now;
    app.apply(Reply::Failed("la recherche a échoué".into()));
    tick(&mut app, said + SAY_FOR);
    assert!(app.status.as_ref().is_some_and(|s| s.error), "an error stays longer");
    tick(&mut app, said + WARN_FOR - Duration::seconds(1));
    assert!(app.status.is_some());
    tick(&mut app, said + WARN_FOR);
    assert_eq!(app.status, None, "an error fades after {WARN_FOR}");
}

#[test]
fn a_message_goes_once_what_it_says_is_no_longer_true() {
    let mut app = unlocked_app();
    // "No call running" goes as soon as one starts.
    app.update(Action::PickCallType);
    assert_eq!(app.status.as_ref().unwrap().text, app.strings.no_call_running);
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.status, None);

    // "A call is already running" goes when it ends.
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.status.as_ref().unwrap().text, app.strings.call_already_running);
    app.apply(Reply::CallSaved);
    assert_eq!(app.status.as_ref().unwrap().text, app.strings.call_saved);
    // "Call saved" goes when the next call starts: it is not about that one.
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.status, None);

    // The draft that failed to save: the message goes once it is saved.
    app.apply(Reply::DraftFailed("Disque plein".into()));
    assert!(app.status.as_ref().is_some_and(|s| s.error));
    app.apply(Reply::DraftSaved(now()));
    assert_eq!(app.status, None);

    // Other news stay until they fade.
    app.apply(Reply::Failed("la recherche a échoué".into()));
    app.apply(Reply::DraftSaved(now()));
    key(&mut app, KeyCode::Char('c'));
    assert!(app.status.as_ref().is_some_and(|s| s.text == "la recherche a échoué"));
}

#[test]
fn a_closed_shift_is_told_as_done_a_refusal_as_failed() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::F(10));
    app.apply(Reply::ShiftEnded { written: Ok("/tmp/exports/shift-7.md".into()), after: AfterShift::Lock });
    let notice = unlock_form(&app).message.clone().unwrap();
    assert_eq!(notice.tone, gate::Tone::Done, "{notice:?}");
    app.apply(Reply::UnlockFailed { message: "mauvaise phrase".into(), wrong_passphrase: true });
    assert_eq!(unlock_form(&app).message.as_ref().unwrap().tone, gate::Tone::Failed);
}

#[test]
fn hints_offer_only_what_works_here() {
    let mut app = unlocked_app();
    assert_eq!(app.key_route(), KeyRoute::Panes(&[Context::Main]));
    for action in [Action::StartCall, Action::QuickSilent, Action::Quit] {
        assert!(app.offers(action), "{action:?} when idle");
    }
    assert!(!app.offers(Action::SupervisorView), "a listener is refused the supervisor's view");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.key_route(), KeyRoute::Panes(&[Context::Call, Context::Main]));
    for action in [
        Action::StartCall,
        Action::Quit,
        Action::QuickSilent,
        Action::QuickHangUp,
        Action::QuickWrongNumber,
        Action::QuickAbusive,
        Action::QuickTesting,
    ] {
        assert!(!app.offers(action), "{action:?} during a call");
    }
    assert!(app.offers(Action::EndCall));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.key_route(), KeyRoute::Notes, "typing notes: global keys, then the notes'");
    app.session.as_mut().unwrap().actor.role = Role::Supervisor;
    assert!(app.offers(Action::SupervisorView));
}

#[test]
fn the_callback_just_scheduled_is_selected_and_the_queue_stops_at_its_ends() {
    let mut app = unlocked_app();
    let mut others = entry(1, 0);
    others.file_id = FileId(8);
    let queue = |newest: i64| {
        let mut scheduled = entry(newest, 0);
        scheduled.due_at = now() + Duration::days(1);
        vec![others.clone(), entry(2, 0), others.clone(), scheduled]
    };
    app.apply(Reply::Queue(queue(3)));
    assert_eq!(app.session.as_ref().unwrap().queue_selected, 0);
    app.apply(Reply::CallbackScheduled(FileId(3)));
    app.apply(Reply::Queue(queue(9)));
    assert_eq!(
        app.session.as_ref().unwrap().queue_selected,
        3,
        "its file's newest callback, wherever it sorts"
    );
    // Only once: a later refresh leaves the selection where the listener puts it.
    app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
    key(&mut app, KeyCode::Down);
    assert_eq!(app.session.as_ref().unwrap().queue_selected, 3, "stops at the end, no wrap");
    key(&mut app, KeyCode::Up);
    app.apply(Reply::Queue(queue(9)));
    assert_eq!(app.session.as_ref().unwrap().queue_selected, 2);
}
