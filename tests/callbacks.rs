//! Callbacks through the store, on real encrypted files and on a PostgreSQL server: performing one, failed attempts and
//! the attempt limit, supervisors' changes, and two connections racing on the same callback.

mod common;

use chrono::{Duration, Utc};
use common::*;
use permanence::domain::call::{CallRecord, CallType, NewCall};
use permanence::domain::callback::{
    Assignee, AttemptResult, CallbackNow, CallbackStatus, NewCallback, PhoneNumber, Priority, RetryPolicy,
};
use permanence::domain::caller_file::FileProfile;
use permanence::domain::{CallbackId, FileId};
use permanence::store::{Store, StoreError};

const POLICY: RetryPolicy = RetryPolicy { retry_after: Duration::hours(2), max_failed_attempts: 3 };

fn schedule(store: &mut Store, file: FileId, due_in: Duration, priority: Priority) -> CallbackId {
    let callback = NewCallback::with_consent(
        true,
        file,
        None,
        Utc::now() + due_in,
        priority,
        PhoneNumber::parse("06 12 34 56 78").unwrap(),
        Assignee::Anyone,
        "après 18h".into(),
    )
    .unwrap();
    store.schedule_callback(&callback).unwrap()
}

fn setup(backend: &Backend) -> (Store, FileId) {
    let mut store = create(&backend.db);
    add_listener(&mut store);
    let file = store.create_file(&FileProfile::default()).unwrap().id;
    (store, file)
}

#[test]
fn the_queue_puts_overdue_first_then_priority_then_due_time() {
    on_each_backend("the_queue_puts_overdue_first_then_priority_then_due_time", |backend| {
        let (mut store, file) = setup(backend);
        let later_urgent = schedule(&mut store, file, Duration::hours(5), Priority::Urgent);
        let overdue_low = schedule(&mut store, file, -Duration::hours(1), Priority::Low);
        let soon_normal = schedule(&mut store, file, Duration::minutes(20), Priority::Normal);
        let overdue_high = schedule(&mut store, file, -Duration::minutes(5), Priority::High);
        let soon_urgent = schedule(&mut store, file, Duration::hours(1), Priority::Urgent);
        let order: Vec<_> = store.callback_queue(Utc::now()).unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(order, [overdue_high, overdue_low, soon_urgent, later_urgent, soon_normal]);
    });
}

#[test]
fn performing_a_callback_that_reaches_the_caller_closes_it_with_its_call() {
    on_each_backend("performing_a_callback_that_reaches_the_caller_closes_it_with_its_call", |backend| {
        let (mut store, file) = setup(backend);
        let shift = store.start_shift().unwrap();
        let id = schedule(&mut store, file, Duration::minutes(-10), Priority::High);
        let entry = store.callback_queue(Utc::now()).unwrap().remove(0);
        let taken = store.take_callback(id, entry.version).unwrap();
        assert_eq!(taken.callback_number.as_ref().map(|n| n.as_str()), Some("0612345678"));
        assert_eq!(taken.assignee, Assignee::Listener(store.actor().id), "taken by whoever performs it");
        let now = Utc::now();
        let call_id = store
            .save_call(&NewCall {
                shift_id: shift.id,
                started_at: now,
                ended_at: now + Duration::minutes(12),
                call_type: CallType::Listening,
                time_spent: None,
                record: CallRecord {
                    caller_file_id: Some(file),
                    performs_callback: Some(id),
                    ..CallRecord::default()
                },
            })
            .unwrap();
        let done = store.callback(id).unwrap();
        assert_eq!(done.status, CallbackStatus::Done);
        assert_eq!(done.callback_number, None, "the number is wiped with the call's save");
        assert_eq!(done.attempts.len(), 1);
        assert_eq!(
            (done.attempts[0].result, done.attempts[0].call_id),
            (AttemptResult::Reached, Some(call_id))
        );
        assert!(store.callback_queue(Utc::now()).unwrap().is_empty());
    });
}

#[test]
fn failed_attempts_reschedule_and_the_limit_flags_for_a_supervisor() {
    on_each_backend("failed_attempts_reschedule_and_the_limit_flags_for_a_supervisor", |backend| {
        let (mut store, file) = setup(backend);
        let id = schedule(&mut store, file, Duration::minutes(-10), Priority::Normal);
        for (attempt, expect_flag) in [(1, false), (2, false), (3, true)] {
            let before = Utc::now();
            let flagged = store.callback_attempt_failed(id, AttemptResult::NoAnswer, POLICY).unwrap();
            assert_eq!(flagged, expect_flag, "attempt {attempt}");
            let callback = store.callback(id).unwrap();
            assert_eq!(callback.status, CallbackStatus::Pending);
            assert!(callback.due_at >= before + Duration::hours(2) - Duration::seconds(1), "rescheduled");
            assert_eq!(callback.attempts.len(), attempt);
            assert!(callback.callback_number.is_some(), "kept while pending");
        }
        assert!(store.callback_queue(Utc::now()).unwrap()[0].flagged);
        let wrong = schedule(&mut store, file, Duration::minutes(-10), Priority::Normal);
        assert!(store.callback_attempt_failed(wrong, AttemptResult::WrongNumber, POLICY).unwrap(), "at once");
        assert!(store.callback_attempt_failed(id, AttemptResult::Reached, POLICY).is_err());
    });
}

#[test]
fn supervisors_reassign_reschedule_and_cancel_and_listeners_do_not_reassign() {
    on_each_backend("supervisors_reassign_reschedule_and_cancel_and_listeners_do_not_reassign", |backend| {
        let (mut store, file) = setup(backend);
        let id = schedule(&mut store, file, Duration::hours(1), Priority::Normal);
        let camille = store.listener_by_login(LISTENER).unwrap().id;
        let v0 = store.callback(id).unwrap().version;
        store.reassign_callback(id, v0, Assignee::Listener(camille)).unwrap();
        let moved = Utc::now() + Duration::days(1);
        let v1 = store.callback(id).unwrap().version;
        assert!(v1 > v0);
        store.reschedule_callback(id, v1, moved).unwrap();
        let callback = store.callback(id).unwrap();
        assert_eq!(callback.assignee, Assignee::Listener(camille));
        assert_eq!(callback.due_at.timestamp(), moved.timestamp());
        drop(store);

        let mut listener = Store::open(&backend.db, LISTENER, LISTENER_PASS).unwrap();
        let version = listener.callback(id).unwrap().version;
        assert!(matches!(
            listener.reassign_callback(id, version, Assignee::Anyone),
            Err(StoreError::Forbidden(_))
        ));
        listener.reschedule_callback(id, version, moved + Duration::hours(1)).unwrap();
        drop(listener);

        let mut store = Store::open(&backend.db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let version = store.callback(id).unwrap().version;
        assert!(store.cancel_callback(id, Some(version), " ").is_err(), "a reason is needed");
        store.cancel_callback(id, Some(version), "La personne ne souhaite plus être rappelée").unwrap();
        let cancelled = store.callback(id).unwrap();
        assert_eq!((cancelled.status, cancelled.callback_number), (CallbackStatus::Cancelled, None));
        assert!(store.check().unwrap().is_clean());
    });
}

#[test]
fn a_reassignment_racing_a_take_ends_in_one_state_and_the_loser_is_told() {
    on_each_backend("a_reassignment_racing_a_take_ends_in_one_state_and_the_loser_is_told", |backend| {
        let (mut supervisor, file) = setup(backend);
        let id = schedule(&mut supervisor, file, Duration::minutes(-5), Priority::High);
        let mut listener = Store::open(&backend.db, LISTENER, LISTENER_PASS).unwrap();
        // Both read the queue at the same moment.
        let seen_by_listener = listener.callback_queue(Utc::now()).unwrap().remove(0).version;
        let seen_by_supervisor = supervisor.callback_queue(Utc::now()).unwrap().remove(0).version;
        let sacha = Assignee::Listener(supervisor.actor().id);

        // The supervisor commits first: the listener's take is refused, nothing changes.
        supervisor.reassign_callback(id, seen_by_supervisor, sacha).unwrap();
        let refused = listener.take_callback(id, seen_by_listener);
        let Err(StoreError::Conflict(now)) = refused else { panic!("{refused:?}") };
        assert_eq!(now, CallbackNow::AssignedTo(Some("Dominique".into())), "says who has it now");
        assert_eq!(listener.callback(id).unwrap().assignee, sacha);

        // The other way round: the listener takes it first, the supervisor's reassignment loses.
        let version = listener.callback(id).unwrap().version;
        let taken = listener.take_callback(id, version).unwrap();
        assert_eq!(taken.assignee, Assignee::Listener(listener.actor().id));
        let late = supervisor.reassign_callback(id, version, Assignee::Anyone);
        assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
        assert_eq!(supervisor.callback(id).unwrap().assignee, Assignee::Listener(listener.actor().id));

        // Closed meanwhile: a late change says so.
        let version = supervisor.callback(id).unwrap().version;
        supervisor.cancel_callback(id, Some(version), "doublon").unwrap();
        assert!(matches!(
            listener.take_callback(id, version),
            Err(StoreError::Conflict(CallbackNow::Closed(CallbackStatus::Cancelled)))
        ));
    });
}

/// Review of 756f17b, finding 11: a call that performed a callback a supervisor cancelled
/// meanwhile (another desk) is saved all the same — the caller was reached, what was said is
/// kept — with its attempt in the callback's history; the callback stays cancelled, and the
/// answer says so. Before, the save was refused, and so was every retry.
#[test]
fn a_call_completing_a_callback_closed_meanwhile_is_saved_and_the_conflict_said() {
    on_each_backend(
        "a_call_completing_a_callback_closed_meanwhile_is_saved_and_the_conflict_said",
        |backend| {
            let (mut supervisor, file) = setup(backend);
            let id = schedule(&mut supervisor, file, Duration::minutes(-10), Priority::High);
            let mut camille = Store::open(&backend.db, LISTENER, LISTENER_PASS).unwrap();
            let shift = camille.start_shift().unwrap();
            let version = camille.callback_queue(Utc::now()).unwrap().remove(0).version;
            camille.take_callback(id, version).unwrap();
            let taken = supervisor.callback(id).unwrap().version;
            supervisor.cancel_callback(id, Some(taken), "la personne a rappelé elle-même").unwrap();

            let now = Utc::now();
            let saved = camille
                .save_ended_call(
                    &NewCall {
                        shift_id: shift.id,
                        started_at: now,
                        ended_at: now + Duration::minutes(8),
                        call_type: CallType::Listening,
                        time_spent: None,
                        record: CallRecord {
                            caller_file_id: Some(file),
                            performs_callback: Some(id),
                            notes: "Rappel fait, elle va mieux".into(),
                            ..CallRecord::default()
                        },
                    },
                    None,
                )
                .unwrap();
            assert_eq!(saved.callback_closed_meanwhile, Some(CallbackNow::Closed(CallbackStatus::Cancelled)));
            assert_eq!(camille.call(saved.id).unwrap().record.notes, "Rappel fait, elle va mieux");
            let callback = camille.callback(id).unwrap();
            assert_eq!(callback.status, CallbackStatus::Cancelled, "left as the supervisor closed it");
            assert_eq!(callback.attempts.len(), 1);
            assert_eq!(
                (callback.attempts[0].result, callback.attempts[0].call_id),
                (AttemptResult::Reached, Some(saved.id))
            );
            let report = camille.check().unwrap();
            assert!(report.is_clean(), "{report:?}");
        },
    );
}
