//! The phone's events and keys: ringing, answering with the phone's time, the line dropping,
//! missed calls (locked meanwhile too), a call already being written, a phone that goes away.

use super::*;
use crate::domain::phone::{CallerHistory, NumberHash};
use crate::phone::{CallerNumber, EndReason, LineId, PhoneCommand, PhoneEvent};

fn line(id: &str) -> LineId {
    LineId(id.into())
}

fn ring(app: &mut App, id: &str, at: Timestamp) -> Vec<Effect> {
    app.phone_event(PhoneEvent::Incoming {
        line: line(id),
        number: CallerNumber::normalise("0612345678"),
        at,
    })
}

fn f(app: &mut App, n: u8) -> Vec<Effect> {
    key(app, KeyCode::F(n))
}

fn with_phone() -> App {
    let mut app = unlocked_app();
    app.phone.enabled = true;
    app.phone_event(PhoneEvent::Connected);
    app
}

#[test]
fn a_ringing_number_is_hashed_by_the_store_then_answered_with_the_phones_time() {
    let mut app = with_phone();
    let rang = now() + chrono::Duration::seconds(3);
    let effects = ring(&mut app, "c1", rang);
    let [Effect::RecogniseCaller { line: asked, number }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((asked, number), (&line("c1"), &CallerNumber::normalise("+33612345678")));
    assert!(app.phone.ringing.as_ref().unwrap().number.is_none(), "the number left with the effect");
    let history =
        CallerHistory { calls: 2, last_at: Some(now()), files: vec![(FileId(4), "KAT-472".into())] };
    app.apply(Reply::CallerRecognised {
        line: line("c1"),
        hash: NumberHash([9; 32]),
        history: history.clone(),
    });

    // F2 asks the phone; the call starts only when the phone says it is up, at its time.
    assert!(matches!(f(&mut app, 2).as_slice(), [Effect::Phone(PhoneCommand::Accept)]));
    assert!(app.session.as_ref().unwrap().call.is_none());
    let answered = rang + chrono::Duration::seconds(4);
    app.phone_event(PhoneEvent::Answered { line: line("c1"), at: answered });
    assert_eq!(call(&app).started_at, answered);
    assert!(call(&app).editing_notes, "the listener types at once");
    assert_eq!(call(&app).phone.as_ref().unwrap().caller, Some(NumberHash([9; 32])));
    assert_eq!(app.phone.known, Some(history));
    assert!(app.phone.ringing.is_none());

    // F7 links the file of the earlier calls, on the listener's say-so.
    let effects = f(&mut app, 7);
    assert!(matches!(effects.as_slice(), [Effect::OpenFile { id: FileId(4), audited: true }]), "{effects:?}");
    assert_eq!(call(&app).file, Some(FileId(4)));
}

#[test]
fn the_line_dropping_fixes_the_end_and_opens_the_ending_the_notes_still_editable() {
    let mut app = with_phone();
    ring(&mut app, "c1", now());
    f(&mut app, 2);
    app.phone_event(PhoneEvent::Answered { line: line("c1"), at: now() });
    type_text(&mut app, "il raccroche");
    let dropped = now() + chrono::Duration::minutes(7);
    app.phone_event(PhoneEvent::Ended { line: line("c1"), at: dropped, reason: EndReason::HungUp });
    assert_eq!(call(&app).line_ended_at(), Some(dropped));
    assert!(matches!(top(&app), Some(Popup::ConfirmEndCall(_))), "the end of the call opens");
    // Esc: back to the notes, which still take keys; the duration stays the phone's.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, " encore");
    assert_eq!(call(&app).notes_text(), "il raccroche encore");
    let later = dropped + chrono::Duration::minutes(5);
    tick(&mut app, later);
    assert_eq!(call(&app).elapsed(later), chrono::Duration::minutes(7));
    key(&mut app, KeyCode::Esc);
    call_type_and_outcome(&mut app);
    key(&mut app, KeyCode::Char('n'));
    let saved = app
        .session
        .as_ref()
        .unwrap()
        .call
        .as_ref()
        .and_then(|c| c.finish(ShiftId(7), later, crate::domain::channel::ChannelKind::Voice))
        .unwrap();
    assert_eq!(saved.ended_at - saved.started_at, chrono::Duration::minutes(7));
}

#[test]
fn a_call_that_stops_ringing_is_missed_and_recorded_once_unlocked() {
    let mut app = with_phone();
    ring(&mut app, "c1", now());
    let ended = now() + chrono::Duration::seconds(25);
    let effects =
        app.phone_event(PhoneEvent::Ended { line: line("c1"), at: ended, reason: EndReason::HungUp });
    let [Effect::RecordMissed(missed)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((missed.shift_id, missed.ring_seconds), (Some(ShiftId(7)), 25));

    // Locked: only that a call rings, nothing asked of the store; recorded after unlock.
    app.lock();
    assert!(ring(&mut app, "c2", now()).is_empty(), "no store to hash with while locked");
    assert!(
        app.phone_event(PhoneEvent::Ended { line: line("c2"), at: ended, reason: EndReason::HungUp })
            .is_empty()
    );
    assert_eq!(app.phone.missed.len(), 1);
    app.gate = None;
    let effects = tick(&mut app, now());
    assert!(matches!(effects.as_slice(), [Effect::RecordMissed(_)]), "{effects:?}");
    assert!(app.phone.missed.is_empty());
}

#[test]
fn with_a_call_being_written_the_listener_chooses() {
    let mut app = with_phone();
    key(&mut app, KeyCode::Char('n'));
    ring(&mut app, "c1", now());
    assert!(f(&mut app, 2).is_empty(), "nothing is answered over a call being written");
    assert!(matches!(top(&app), Some(Popup::AnswerWhileWriting(_))));
    // Esc: it rings on.
    key(&mut app, KeyCode::Esc);
    assert!(app.phone.ringing.is_some() && top(&app).is_none());
    // Enter: the call being written ends first; once saved, the ringing one is answered.
    f(&mut app, 2);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(top(&app), Some(Popup::ConfirmEndCall(_))));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    let effects = key(&mut app, KeyCode::Char('n'));
    assert!(effects.iter().any(|e| matches!(e, Effect::SaveCall { .. })), "{effects:?}");
    let effects = app.apply(Reply::CallSaved);
    assert!(effects.iter().any(|e| matches!(e, Effect::Phone(PhoneCommand::Accept))), "{effects:?}");
}

/// "End it, then answer" holds for the call that rang then: if that one is picked up on the
/// handset (or the phone goes away) and another rings by the time the call is saved, the other
/// is not answered for the listener.
#[test]
fn answering_after_the_save_is_for_the_call_that_rang_then() {
    let mut app = with_phone();
    key(&mut app, KeyCode::Char('n'));
    ring(&mut app, "c1", now());
    f(&mut app, 2);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(top(&app), Some(Popup::ConfirmEndCall(_))));
    // Picked up on the handset meanwhile; then another call rings.
    app.phone_event(PhoneEvent::Answered { line: line("c1"), at: now() });
    ring(&mut app, "c2", now());
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    let effects = key(&mut app, KeyCode::Char('n'));
    assert!(effects.iter().any(|e| matches!(e, Effect::SaveCall { .. })), "{effects:?}");
    let effects = app.apply(Reply::CallSaved);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Phone(PhoneCommand::Accept))), "{effects:?}");
    assert!(app.phone.ringing.is_some(), "c2 rings on, for the listener to answer");
}

#[test]
fn the_phone_going_away_keeps_the_call_and_says_so() {
    let mut app = with_phone();
    ring(&mut app, "c1", now());
    f(&mut app, 2);
    app.phone_event(PhoneEvent::Answered { line: line("c1"), at: now() });
    type_text(&mut app, "tout ce qui est tapé");
    app.phone_event(PhoneEvent::Disconnected);
    assert!(!app.phone.connected && app.phone.live.is_none());
    assert_eq!(call(&app).notes_text(), "tout ce qui est tapé");
    assert!(f(&mut app, 4).is_empty(), "no line to hang up");
    // Back, the phone's next call rings again.
    app.phone_event(PhoneEvent::Connected);
    assert!(!ring(&mut app, "c2", now()).is_empty());
}

#[test]
fn hang_up_goes_through_the_phone_and_withheld_numbers_are_never_looked_up() {
    let mut app = with_phone();
    let effects =
        app.phone_event(PhoneEvent::Incoming { line: line("c1"), number: CallerNumber::Withheld, at: now() });
    assert!(effects.is_empty(), "{effects:?}");
    assert!(app.phone.ringing.as_ref().unwrap().withheld);
    assert!(matches!(f(&mut app, 4).as_slice(), [Effect::Phone(PhoneCommand::HangUp)]));
}

#[test]
fn a_callback_is_dialled_by_the_phone_which_says_busy_or_no_answer() {
    use crate::domain::callback::{AttemptResult, Callback, CallbackStatus, PhoneNumber, QueueEntry};
    let mut app = with_phone();
    let due = now() - chrono::Duration::minutes(5);
    let entry = QueueEntry { priority: Priority::High, ..test_support::queue_entry(5, 3, "KAT-472", due) };
    app.apply(Reply::Queue(vec![entry]));
    app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
    key(&mut app, KeyCode::Enter);
    let callback = Callback {
        id: crate::domain::CallbackId(5),
        caller_file_id: FileId(3),
        origin_call_id: None,
        due_at: now(),
        priority: Priority::High,
        callback_number: Some(PhoneNumber::parse("0639980001").unwrap().into()),
        assignee: Assignee::Listener(ListenerId(2)),
        status: CallbackStatus::Pending,
        note: String::new(),
        created_at: now(),
        closed_at: None,
        closed_reason: None,
        version: 3,
        flagged: false,
        attempts: Vec::new(),
        channel: crate::domain::channel::PHONE.to_owned(),
    };
    let effects = app.apply(Reply::CallbackTaken(Box::new(callback)));
    let dialled = effects.iter().find_map(|e| match e {
        Effect::Phone(PhoneCommand::Dial(number)) => Some(number.to_string()),
        _ => None,
    });
    assert_eq!(dialled.as_deref(), Some("0639980001"), "{effects:?}");
    app.phone_event(PhoneEvent::Dialling { line: line("d1"), at: now() });
    let effects = app.phone_event(PhoneEvent::Ended { line: line("d1"), at: now(), reason: EndReason::Busy });
    assert!(
        matches!(effects.as_slice(), [Effect::CallbackFailed { result: AttemptResult::NoAnswer, .. }]),
        "{effects:?}"
    );
    assert!(top(&app).is_none(), "the attempt is the phone's: the form closes");
}
