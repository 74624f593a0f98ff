//! The baresip parser against real lines captured from Debian's baresip 1.0.0
//! (`tests/fixtures/baresip/`: a call answered then hung up by the caller, one left ringing then
//! cancelled, one we dialled that the other side rejected, an unknown command), then fed
//! arbitrary and malformed bytes: a value or an error that says what is wrong, never a panic.

mod common;

use chrono::{Duration, Utc};
use proptest::prelude::*;

use common::*;
use permanence::domain::call::{CallRecord, CallType, NewCall};
use permanence::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};
use permanence::domain::caller_file::FileProfile;
use permanence::domain::phone::{MissedCall, PhoneCall};
use permanence::domain::{FileId, ShiftId};
use permanence::store::{ScopeRequest, Store};

use permanence::phone::baresip::parse;
use permanence::phone::netstring::{Decoder, encode};
use permanence::phone::{CallerNumber, PhoneEvent};

fn events(fixture: &str) -> Vec<PhoneEvent> {
    let bytes =
        std::fs::read(format!("{}/tests/fixtures/baresip/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut decoder = Decoder::new();
    decoder.feed(&bytes);
    let mut events = Vec::new();
    while let Some(frame) = decoder.next_frame().expect("real baresip frames") {
        if let Some(event) = parse(&frame, Utc::now()).expect("real baresip JSON") {
            events.push(event);
        }
    }
    events
}

/// The events' names, their times and ids set aside.
fn shape(events: &[PhoneEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            PhoneEvent::Incoming { number, .. } => format!("incoming {number:?}"),
            PhoneEvent::Dialling { .. } => "dialling".into(),
            PhoneEvent::Answered { .. } => "answered".into(),
            PhoneEvent::Ended { reason, .. } => format!("ended {reason:?}"),
            PhoneEvent::Refused { command, why } => format!("refused {command}: {why}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn a_call_answered_then_hung_up_by_the_caller() {
    let events = events("answered.netstrings");
    assert_eq!(shape(&events), ["incoming Number(…)", "answered", "ended HungUp"]);
    let PhoneEvent::Incoming { number, line, .. } = &events[0] else { unreachable!() };
    assert_eq!(*number, CallerNumber::normalise("+33612345678"));
    assert!(events.iter().all(|e| match e {
        PhoneEvent::Answered { line: l, .. } | PhoneEvent::Ended { line: l, .. } => l == line,
        _ => true,
    }));
}

#[test]
fn a_call_left_ringing_then_cancelled() {
    assert_eq!(shape(&events("missed.netstrings")), ["incoming Number(…)", "ended HungUp"]);
}

#[test]
fn a_call_we_dialled_that_was_rejected_is_busy() {
    assert_eq!(shape(&events("dial_rejected.netstrings")), ["dialling", "ended Busy"]);
}

#[test]
fn an_unknown_command_is_refused_in_baresips_words() {
    assert_eq!(
        shape(&events("unknown_command.netstrings")),
        ["refused 3: command not found (nosuch)"],
        "the token names the command; this capture used \"3\""
    );
}

/// Bytes that look like baresip's often enough to reach every branch.
fn baresipish() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "231:",
        "0:",
        ":",
        ",",
        "{",
        "}",
        "\"event\":true",
        "\"response\":true",
        "\"ok\":false",
        "\"type\":\"CALL_INCOMING\"",
        "\"type\":\"CALL_CLOSED\"",
        "\"type\":\"CALL_ESTABLISHED\"",
        "\"id\":\"ab\"",
        "\"id\":7",
        "\"peeruri\":\"sip:+33612345678@h\"",
        "\"param\":\"486 x\"",
        "\"direction\":\"outgoing\"",
        "null",
        "é",
        "\u{0}",
        "99999999:",
        "-1:",
        "12",
    ]);
    prop::collection::vec(pieces, 0..20).prop_map(|p| p.concat().into_bytes())
}

proptest! {
    #[test]
    fn arbitrary_bytes_give_frames_or_a_named_error(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut decoder = Decoder::new();
        decoder.feed(&bytes);
        for _ in 0..=bytes.len() {
            match decoder.next_frame() {
                Ok(Some(frame)) => { let _ = parse(&frame, Utc::now()); }
                Ok(None) => break,
                Err(e) => { prop_assert!(e.to_string().starts_with("netstring"), "{}", e); break; }
            }
        }
    }

    #[test]
    fn baresip_like_json_gives_an_event_nothing_or_a_named_error(body in baresipish(), raw in baresipish()) {
        // Framed correctly, the JSON itself is anything.
        match parse(&body, Utc::now()) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.to_string().starts_with("baresip"), "{}", e),
        }
        let mut decoder = Decoder::new();
        decoder.feed(&encode(&body));
        prop_assert_eq!(decoder.next_frame().unwrap(), Some(body.clone()));
        // Unframed, it is a frame, a wait for more or a named error.
        let mut decoder = Decoder::new();
        decoder.feed(&raw);
        if let Err(e) = decoder.next_frame() {
            prop_assert!(e.to_string().starts_with("netstring"), "{}", e);
        }
    }
}

#[test]
fn a_frame_too_long_is_refused_before_it_is_buffered() {
    let mut decoder = Decoder::new();
    decoder.feed(b"70000:");
    let error = decoder.next_frame().unwrap_err();
    assert!(error.to_string().contains("70000"), "{error}");
}

fn phone_call(store: &mut Store, shift: ShiftId, file: Option<FileId>, days_ago: i64, number: &str) {
    let (hash, _) = store.caller_history(number).unwrap();
    let started = Utc::now() - Duration::days(days_ago);
    store
        .save_call(&NewCall {
            shift_id: shift,
            started_at: started,
            ended_at: started + Duration::minutes(12),
            call_type: CallType::Listening,
            time_spent: None,
            record: CallRecord {
                caller_file_id: file,
                notes: "appel au téléphone".into(),
                phone: Some(PhoneCall { caller: Some(hash), line_ended_at: None }),
                ..CallRecord::default()
            },
        })
        .unwrap();
}

#[test]
fn a_number_heard_before_is_recognised_by_its_keyed_hash_until_the_purge() {
    on_each_backend("a_number_heard_before_is_recognised_by_its_keyed_hash_until_the_purge", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let shift = store.start_shift().unwrap();
        let file = store.create_file(&FileProfile::default()).unwrap();
        let (first, never) = store.caller_history("+33612345678").unwrap();
        assert_eq!(never.calls, 0);
        phone_call(&mut store, shift.id, Some(file.id), 0, "+33612345678");
        let (again, heard) = store.caller_history("+33612345678").unwrap();
        assert_eq!(again, first, "the same number, the same hash");
        assert_eq!(heard.calls, 1);
        assert!(heard.last_at.is_some());
        assert_eq!(heard.files, [(file.id, file.code.to_string())]);
        assert_eq!(store.caller_history("+33698765432").unwrap().1.calls, 0, "another number");

        // The secret stays in the store: reopened, the hash is the same; another store's differs.
        drop(store);
        let mut store = Store::open(db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        assert_eq!(store.caller_history("+33612345678").unwrap().0, first);
        let other = tempfile::tempdir().unwrap();
        let mut elsewhere = create(db_in(other.path()));
        assert_ne!(elsewhere.caller_history("+33612345678").unwrap().0, first, "keyed per store");

        // Past the retention period the hash goes with the notes: the number is not recognised.
        let old_file = store.create_file(&FileProfile::default()).unwrap();
        phone_call(&mut store, shift.id, Some(old_file.id), 800, "+33611111111");
        phone_call(&mut store, shift.id, None, 800, "+33622222222");
        assert_eq!(store.caller_history("+33611111111").unwrap().1.calls, 1);
        store.purge(Utc::now(), false).unwrap();
        assert_eq!(store.caller_history("+33611111111").unwrap().1.calls, 0, "a file's call");
        assert_eq!(store.caller_history("+33622222222").unwrap().1.calls, 0, "an anonymous call");
        assert_eq!(store.caller_history("+33612345678").unwrap().1.calls, 1, "a recent one stays");
    });
}

#[test]
fn missed_calls_count_in_the_shift_and_the_period() {
    on_each_backend("missed_calls_count_in_the_shift_and_the_period", |backend| {
        let db = &backend.db;
        let mut store = create(db);
        let shift = store.start_shift().unwrap();
        phone_call(&mut store, shift.id, None, 0, "+33612345678");
        let now = Utc::now();
        store.record_missed_call(&MissedCall::new(Some(shift.id), now - Duration::seconds(30), now)).unwrap();
        store.record_missed_call(&MissedCall::new(None, now - Duration::seconds(20), now)).unwrap();
        let shift_figures = store.summary(ScopeRequest::Shift(shift.id), now).unwrap().phone;
        assert_eq!((shift_figures.offered, shift_figures.answered, shift_figures.missed), (2, 1, 1));
        assert_eq!(shift_figures.answer_rate, Some(50));
        let period = ScopeRequest::Period { from: now - Duration::days(1), to: now + Duration::days(1) };
        let figures = store.summary(period, now).unwrap().phone;
        assert_eq!(
            (figures.offered, figures.answered, figures.missed),
            (3, 1, 2),
            "missed outside a shift too"
        );

        // A callback performed by phone: the listener dialled, nobody rang, nothing was answered.
        let file = store.create_file(&FileProfile::default()).unwrap();
        let callback = NewCallback::with_consent(
            true,
            file.id,
            None,
            now,
            Priority::Normal,
            PhoneNumber::parse("06 39 98 00 01").unwrap(),
            Assignee::Anyone,
            String::new(),
        )
        .unwrap();
        let callback = store.schedule_callback(&callback).unwrap();
        let started = Utc::now() - Duration::minutes(10);
        store
            .save_call(&NewCall {
                shift_id: shift.id,
                started_at: started,
                ended_at: started + Duration::minutes(5),
                call_type: CallType::Listening,
                time_spent: None,
                record: CallRecord {
                    caller_file_id: Some(file.id),
                    performs_callback: Some(callback),
                    ..CallRecord::default()
                },
            })
            .unwrap();
        let figures = store.summary(ScopeRequest::Shift(shift.id), Utc::now()).unwrap().phone;
        assert_eq!(
            (figures.offered, figures.answered, figures.missed),
            (2, 1, 1),
            "the callback is not answered"
        );
    });
}
