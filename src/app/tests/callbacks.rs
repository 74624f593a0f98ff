//! Callbacks: scheduling (consent, number, time), performing, the supervisor's view.

use super::*;

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
    let due = now() - Duration::minutes(5);
    QueueEntry { version, priority: Priority::High, ..test_support::queue_entry(id, 3, "KAT-472", due) }
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
        channel: "phone".into(),
        callback_number: Some(crate::domain::callback::PhoneNumber::parse("0639980001").unwrap().into()),
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

fn on_shift(id: i64, name: &str, left: Option<Timestamp>) -> crate::domain::shift::OnShift {
    crate::domain::shift::OnShift {
        shift_id: ShiftId(100 + id),
        listener_id: ListenerId(id),
        name: name.into(),
        shift_started_at: now() - Duration::hours(3),
        calls: 2,
        prompts_raised: 0,
        on_call_since: None,
        prompts_waiting: 0,
        left,
    }
}

#[test]
fn a_supervisor_closes_the_shift_of_someone_gone_and_stays_in_the_view() {
    let mut app = unlocked_app();
    app.session.as_mut().unwrap().actor.role = Role::Supervisor;
    key(&mut app, KeyCode::F(5));
    let gone_at = now() - Duration::minutes(40);
    app.apply(Reply::Overview(vec![on_shift(1, "Dominique", None), on_shift(3, "Sacha", Some(gone_at))]));

    // Nobody chosen yet, then someone whose terminal is open: nothing to close.
    assert!(key(&mut app, KeyCode::Char('c')).is_empty());
    let said = crate::ui::keys::fill(&app, &app.status.as_ref().unwrap().text);
    assert!(said.contains("←→"), "{said}");
    key(&mut app, KeyCode::Right); // Dominique
    assert!(key(&mut app, KeyCode::Char('c')).is_empty());
    assert!(app.status.as_ref().unwrap().text.contains("Un terminal de Dominique est ouvert"));
    assert!(matches!(top(&app), Some(Popup::Supervisor(_))));

    // Sacha left without ending hers: her end of shift, figures first, then a note.
    key(&mut app, KeyCode::Right); // Camille
    key(&mut app, KeyCode::Right); // Sacha
    let effects = key(&mut app, KeyCode::Char('c'));
    assert!(matches!(effects.as_slice(), [Effect::LoadSummary(ShiftId(103))]), "{effects:?}");
    let Some(Popup::EndShift(form)) = top(&app) else { panic!("{:?}", top(&app)) };
    assert_eq!(form.of.as_deref(), Some("Sacha"));
    type_text(&mut app, "Sacha partie à 13h20.");
    let effects = ctrl(&mut app, 's');
    let [Effect::EndShift { shift, handover, after }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(
        (*shift, handover.as_str(), *after),
        (ShiftId(103), "Sacha partie à 13h20.", AfterShift::Stay)
    );

    // Closed: the supervisor stays, on her own shift, in the view asked again.
    let effects = app.apply(Reply::ShiftEnded {
        written: Ok("/tmp/exports/permanence-103.md".into()),
        after: AfterShift::Stay,
    });
    assert!(matches!(effects.as_slice(), [Effect::RefreshOverview]), "{effects:?}");
    assert!(matches!(top(&app), Some(Popup::Supervisor(_))), "back to the view");
    assert!(app.gate.is_none(), "not locked: the supervisor's own shift goes on");
    assert_eq!(app.session.as_ref().unwrap().shift.as_ref().map(|s| s.id), Some(ShiftId(7)));
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "Permanence de Sacha close. Résumé écrit dans /tmp/exports/permanence-103.md"
    );
}

#[test]
fn the_open_supervisor_view_asks_who_is_still_there_every_few_seconds() {
    let mut app = unlocked_app();
    app.session.as_mut().unwrap().actor.role = Role::Supervisor;
    assert!(tick(&mut app, now() + Duration::seconds(6)).is_empty(), "not while the view is closed");
    key(&mut app, KeyCode::F(5));
    app.apply(Reply::Overview(Vec::new()));
    assert!(tick(&mut app, now() + Duration::seconds(8)).is_empty());
    let effects = tick(&mut app, now() + Duration::seconds(12));
    assert!(matches!(effects.as_slice(), [Effect::RefreshOverview]), "{effects:?}");
}

/// Another desk's change moves the callback chosen in the queue (one rescheduled above it): the
/// selection follows the callback, so that Enter performs the one the listener chose.
#[test]
fn the_callback_chosen_stays_chosen_when_another_desk_reorders_the_queue() {
    let mut app = unlocked_app();
    app.apply(Reply::Queue(vec![entry(1, 0), entry(2, 0), entry(3, 0)]));
    app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
    key(&mut app, KeyCode::Down);
    assert_eq!(app.session.as_ref().unwrap().queue_selected, 1);
    // Callback 1 rescheduled to tomorrow by the supervisor: it goes last.
    app.apply(Reply::Queue(vec![entry(2, 0), entry(3, 0), entry(1, 0)]));
    let session = app.session.as_ref().unwrap();
    assert_eq!(session.queue[session.queue_selected].id, crate::domain::CallbackId(2), "still callback 2");
}
