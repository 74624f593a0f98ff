//! Caller files: the repeat-caller popup, edits on the version seen, closure, amending
//! notes, search from anywhere.

use super::*;

fn past_call(id: i64, listener: ListenerId) -> crate::domain::call::Call {
    crate::domain::call::Call {
        id: crate::domain::CallId(id),
        shift_id: ShiftId(3),
        listener_id: listener,
        started_at: now() - Duration::days(id),
        ended_at: now() - Duration::days(id) + Duration::minutes(10),
        call_type: CallType::Listening,
        time_spent: None,
        record: crate::domain::call::CallRecord { notes: "avant".into(), ..Default::default() },
    }
}

fn with_history(id: i64, calls: Vec<crate::domain::call::Call>) -> FileView {
    FileView { history: calls, ..file_view(id) }
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
        hits: vec![test_support::file_hit(4, "KAT-472", FileStatus::Open)],
    });
    let effects = key(&mut app, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::OpenFile { id: FileId(4), audited: true }]));
    assert_eq!(app.session.as_ref().unwrap().focus, Pane::File);
}

/// Hits are read off the keyboard and come a moment later: Enter pressed before those of what
/// is typed now came never takes an older query's hit (here KAT-475 for "KAT-47"), but the first
/// of the hits that come; a search that fails leaves nothing to take.
#[test]
fn enter_before_the_hits_of_what_is_typed_waits_for_them() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('l'));
    type_text(&mut app, "KAT-47");
    app.apply(Reply::FileHits {
        query: "KAT-47".into(),
        filter: Default::default(),
        hits: vec![test_support::file_hit(3, "KAT-475", FileStatus::Open)],
    });
    let effects = key(&mut app, KeyCode::Char('2'));
    assert!(matches!(effects.as_slice(), [Effect::SearchFiles { query, .. }] if query == "KAT-472"));
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "waits for the hits of KAT-472");
    assert!(call(&app).file.is_none(), "nothing linked meanwhile");
    let effects = app.apply(Reply::FileHits {
        query: "KAT-472".into(),
        filter: Default::default(),
        hits: vec![test_support::file_hit(4, "KAT-472", FileStatus::Open)],
    });
    assert!(matches!(effects.as_slice(), [Effect::OpenFile { id: FileId(4), audited: true }]), "{effects:?}");
    assert_eq!(call(&app).file, Some(FileId(4)));

    key(&mut app, KeyCode::Char('l'));
    type_text(&mut app, "KAT-47");
    app.apply(Reply::FileHits {
        query: "KAT-47".into(),
        filter: Default::default(),
        hits: vec![test_support::file_hit(3, "KAT-475", FileStatus::Open)],
    });
    key(&mut app, KeyCode::Char('1'));
    app.apply(Reply::Failed("server lost".into()));
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "no older hit taken after a failure");
    assert_eq!(call(&app).file, Some(FileId(4)));
}

/// A file asked for is read off the keyboard: until it comes, what acts on the file shown
/// (editing it, a callback for it) waits, so that nothing is done to the file shown before; an
/// open that fails (the server away) leaves no file shown rather than the one before.
#[test]
fn what_acts_on_the_file_waits_for_the_file_being_opened() {
    let mut app = unlocked_app();
    app.apply(Reply::FileLoaded(Box::new(file_view(3))));
    let open_four = |app: &mut App| {
        ctrl(app, 'f');
        type_text(app, "KAT-472");
        app.apply(Reply::FileHits {
            query: "KAT-472".into(),
            filter: Default::default(),
            hits: vec![test_support::file_hit(4, "KAT-472", FileStatus::Open)],
        });
        let effects = key(app, KeyCode::Enter);
        assert!(matches!(effects.as_slice(), [Effect::OpenFile { id: FileId(4), audited: true }]));
        assert_eq!(app.session.as_ref().unwrap().focus, Pane::File);
    };
    open_four(&mut app);
    for typed in ['e', 'b'] {
        assert!(key(&mut app, KeyCode::Char(typed)).is_empty());
        assert!(top(&app).is_none(), "{typed}: nothing opened on file 3 while 4 comes");
        assert!(app.status.as_ref().unwrap().text.contains("en cours d'ouverture"));
    }
    app.apply(Reply::FileLoaded(Box::new(file_view(4))));
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(top(&app), Some(Popup::FileForm(_))), "file 4's form once it came");
    key(&mut app, KeyCode::Esc);

    app.apply(Reply::FileLoaded(Box::new(file_view(3))));
    open_four(&mut app);
    app.apply(Reply::Failed("server lost".into()));
    assert!(app.session.as_ref().unwrap().file.is_none(), "file 3 no longer shown as if it were 4");
    assert!(app.session.as_ref().unwrap().file_opening.is_none());
}

/// A search that could not be made says so, not "no file found"; and keys typed after an Enter
/// that waits for hits are not added to the query.
#[test]
fn a_failed_search_says_so_and_keys_after_a_waiting_enter_are_not_typed() {
    let mut app = unlocked_app();
    ctrl(&mut app, 'f');
    type_text(&mut app, "KAT");
    app.apply(Reply::Failed("server lost".into()));
    let Some(Popup::FileSearch(search)) = top(&app) else { panic!("the search") };
    assert!(search.failed && search.hits.is_empty());
    type_text(&mut app, "-4");
    let Some(Popup::FileSearch(search)) = top(&app) else { panic!("the search") };
    assert!(!search.failed && search.searching, "typing searches again");
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "waits for the hits");
    assert!(key(&mut app, KeyCode::Char('e')).is_empty());
    let Some(Popup::FileSearch(search)) = top(&app) else { panic!("the search") };
    assert_eq!(search.query, "KAT-4", "the e was not typed into the query");
    let effects = app.apply(Reply::FileHits {
        query: "KAT-4".into(),
        filter: Default::default(),
        hits: vec![test_support::file_hit(4, "KAT-472", FileStatus::Open)],
    });
    assert!(matches!(effects.as_slice(), [Effect::OpenFile { id: FileId(4), audited: true }]));
}
