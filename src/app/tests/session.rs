//! The session over time: autosave, idle lock, quitting, other terminals' changes, the
//! status line's messages, the hints offered.

use super::*;
use crate::app::effect::Outage;

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
    // Over a popup, its keys; over the supervisor's view, its own first. One place decides,
    // for the keys and the hints alike.
    key(&mut app, KeyCode::F(3));
    ctrl(&mut app, 'g');
    assert_eq!(app.key_route(), KeyRoute::Popup(&[Context::Popup]));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::F(5));
    assert_eq!(app.key_route(), KeyRoute::Popup(&[Context::Supervisor, Context::Popup]));
    ctrl(&mut app, 'l');
    assert_eq!(app.key_route(), KeyRoute::Gate);
}

/// Issue 18, point 5: the server unreachable is said until it answers; typing goes on (the
/// draft kept on this machine is not "not saved"); a call ended meanwhile leaves the call pane,
/// kept on this machine; the server back, the draft is sent to it again and the queue is read.
#[test]
fn the_server_unreachable_is_said_until_it_answers_and_typing_goes_on() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "avant");
    app.apply(Reply::DraftKept { at: now(), outage: Outage::Unreachable });
    let session = app.session.as_ref().unwrap();
    assert!(session.outage == Some(Outage::Unreachable) && !session.save_failed, "kept, not lost");
    assert_eq!(
        app.status.as_ref().map(|s| s.text.as_str()),
        Some(app.strings.error_connection_lost.as_str())
    );
    type_text(&mut app, " pendant");
    let effects = tick(&mut app, now() + Duration::seconds(2));
    assert!(matches!(effects.as_slice(), [Effect::SaveDraft(d)] if d.record.notes == "avant pendant"));
    app.apply(Reply::DraftKept { at: now(), outage: Outage::Unreachable });
    assert!(app.status.is_some(), "still said");

    let effects = app.apply(Reply::ServerBack { saved: 0 });
    assert!(effects.iter().any(|e| matches!(e, Effect::RefreshQueue)), "{effects:?}");
    assert_eq!(app.session.as_ref().unwrap().outage, None);
    assert_eq!(app.status.as_ref().map(|s| s.text.as_str()), Some(app.strings.server_back.as_str()));
    let effects = tick(&mut app, now() + Duration::seconds(4));
    assert!(
        matches!(effects.as_slice(), [Effect::SaveDraft(_)]),
        "the kept draft goes to the server: {effects:?}"
    );

    // A failover: the primary gone, only its standby answering, said in its own words.
    app.apply(Reply::ServerUnreachable(Outage::StandbyOnly));
    assert_eq!(app.status.as_ref().map(|s| s.text.as_str()), Some(app.strings.error_standby_only.as_str()));
    let effects = app.apply(Reply::CallKept(Outage::StandbyOnly));
    assert_eq!(app.session.as_ref().unwrap().outage, Some(Outage::StandbyOnly));
    assert!(app.session.as_ref().unwrap().call.is_none(), "done with, for the session");
    assert!(effects.iter().any(|e| matches!(e, Effect::RefreshQueue)));
    app.apply(Reply::ServerBack { saved: 1 });
    let said = app.status.as_ref().unwrap().text.clone();
    assert!(said.contains("1 appel"), "{said}");
    assert!(app.status.as_ref().is_some_and(|s| !s.error));
}

/// Review of 756f17b, finding 11: a call saved whose callback was closed meanwhile leaves the
/// call pane as any saved call, and the status line says what became of the callback.
#[test]
fn a_call_saved_over_a_callback_closed_meanwhile_says_so() {
    use crate::domain::callback::{CallbackNow, CallbackStatus};
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    let effects = app.apply(Reply::CallSavedCallbackClosed(CallbackNow::Closed(CallbackStatus::Cancelled)));
    assert!(app.session.as_ref().unwrap().call.is_none());
    assert!(effects.iter().any(|e| matches!(e, Effect::RefreshQueue)));
    let said = &app.status.as_ref().unwrap().text;
    assert!(said.starts_with("Appel enregistré.") && said.contains("annulé"), "{said}");
}
