//! The end of a shift, and a shift left open found at unlock.

use super::*;

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
    let effects = app.apply(Reply::Unlocked(Box::new(test_support::unlocked(actor()))));
    assert!(matches!(effects.as_slice(), [Effect::StartShift]));
}

/// Camille unlocks; her shift of three hours ago is still open.
fn unlocked_with_open_shift() -> App {
    let mut app = new_app(&["camille"]);
    let open = Shift { id: ShiftId(6), started_at: now() - chrono::Duration::hours(3), ..shift() };
    let effects = app.apply(Reply::Unlocked(Box::new(Unlocked {
        open_shift: Some(open),
        ..test_support::unlocked(actor())
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

#[test]
fn a_closed_shift_is_told_as_done_a_refusal_as_failed() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::F(10));
    app.apply(Reply::ShiftEnded { written: Ok("/tmp/exports/shift-7.md".into()), after: AfterShift::Lock });
    let notice = unlock_form(&app).message.clone().unwrap();
    assert_eq!(notice.tone, crate::app::gate::Tone::Done, "{notice:?}");
    app.apply(Reply::UnlockFailed { message: "mauvaise phrase".into(), retry_in: None });
    assert_eq!(unlock_form(&app).message.as_ref().unwrap().tone, crate::app::gate::Tone::Failed);
}

/// The end-of-shift figures asked while the server was away are asked again once it answers,
/// the handover note typed meanwhile kept (a black-box finding: "Calcul du résumé…" stayed).
#[test]
fn the_end_of_shift_figures_are_asked_again_when_the_server_is_back() {
    let mut app = unlocked_app();
    let effects = key(&mut app, KeyCode::F(10));
    assert!(matches!(effects.as_slice(), [Effect::LoadSummary(ShiftId(7))]));
    app.apply(Reply::Failed("server lost".into()));
    type_text(&mut app, "Rien à signaler");
    let effects = app.apply(Reply::ServerBack { saved: 0 });
    assert!(effects.iter().any(|e| matches!(e, Effect::LoadSummary(ShiftId(7)))), "{effects:?}");
    let Some(Popup::EndShift(form)) = top(&app) else { panic!("the form stays") };
    assert_eq!(form.handover.lines().join("\n"), "Rien à signaler");
}
