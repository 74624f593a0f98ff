//! Taking a call: notes, fields, a file linked, quick calls, the emergency card.

use super::*;

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
        hits: vec![test_support::file_hit(9, "KAT-472", FileStatus::Open)],
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
