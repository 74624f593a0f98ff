//! Before unlock and back from a lock: the passphrase, the account preselected, the wait
//! after wrong passphrases, another listener taking over, a draft offered back.

use super::*;

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
    app.apply(Reply::Unlocked(Box::new(test_support::unlocked(actor()))));
    assert!(app.is_unlocked());
    assert_eq!(call(&app).notes_text(), "en cours");
}

#[test]
fn a_draft_found_at_unlock_is_offered_back() {
    let mut app = new_app(&["camille"]);
    let mut form = CallForm::new(now());
    form.notes.insert_str("notes d'avant le crash");
    let draft = form.draft(ShiftId(7));
    app.apply(Reply::Unlocked(Box::new(Unlocked {
        open_shift: Some(shift()),
        draft: Some(draft),
        ..test_support::unlocked(actor())
    })));
    key(&mut app, KeyCode::Enter); // resume the open shift
    key(&mut app, KeyCode::Enter); // resume the draft
    assert_eq!(call(&app).notes_text(), "notes d'avant le crash");
}

#[test]
fn another_listener_takes_over_the_terminal_without_restarting() {
    let mut app = unlocked_app();
    ctrl(&mut app, 'l');
    let effects = app.apply(Reply::Unlocked(Box::new(test_support::unlocked(test_support::sacha()))));
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
    // The third wrong passphrase in a row: the store says to wait five seconds.
    for retry_in in [None, None, Some(5)] {
        type_text(&mut app, "mauvaise");
        key(&mut app, KeyCode::Enter);
        app.apply(Reply::UnlockFailed { message: "Mauvaise phrase de passe.".into(), retry_in });
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
            open_shift: Some(shift()),
            ..test_support::unlocked(actor())
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

/// Fills the first-run form (login, name, passphrase twice) and presses Enter on the last.
fn submit_setup(app: &mut App, login: &str, name: &str, passphrase: &str) -> Vec<Effect> {
    let Some(Gate::Setup(form)) = app.gate.as_mut() else { panic!("the setup form") };
    *form = SetupForm::default();
    let fields = [login, name, passphrase, passphrase];
    let mut effects = Vec::new();
    for field in fields {
        type_text(app, field);
        effects = key(app, KeyCode::Enter);
    }
    effects
}

fn setup_message(app: &App) -> String {
    let Some(Gate::Setup(form)) = &app.gate else { panic!("still on the setup form") };
    form.message.as_ref().map(|n| n.text.clone()).unwrap_or_default()
}

#[test]
fn the_first_run_form_refuses_easy_passphrases_and_control_characters_in_french() {
    let mut app = new_app(&[]);
    for easy in ["aaaaaaaaaaab", "abababababab", "1234567890123", "motdepasse12345"] {
        assert!(submit_setup(&mut app, "coord", "Coordination", easy).is_empty(), "{easy} accepted");
        let message = setup_message(&app);
        assert!(message.starts_with("Phrase de passe trop facile à deviner : elle "), "{easy}: {message}");
    }
    for name in ["Eve\u{1b}]0;pwned\u{7}", "Eve\u{1b}[2J", "Eve\u{202e}"] {
        assert!(submit_setup(&mut app, "coord", name, "trois pommes vertes sous la pluie").is_empty());
        let message = setup_message(&app);
        assert!(message.starts_with("Le nom affiché contient un caractère de contrôle (U+"), "{message}");
        assert!(!message.chars().any(crate::printable::is_unsafe), "{message:?}");
    }
    let effects = submit_setup(&mut app, "coord", "Coordination", "trois pommes vertes sous la pluie");
    assert!(matches!(effects.as_slice(), [Effect::CreateDatabase { .. }]), "{effects:?}");
}

/// Another terminal re-keyed the database and this account's slot no longer opens it: the
/// screen locks at once, nothing of a caller is shown, and the unlock screen says why.
#[test]
fn access_withdrawn_by_a_rekey_locks_the_screen_and_says_why() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "en cours");
    app.apply(Reply::Revoked("Votre accès a changé".into()));
    assert!(!app.is_unlocked());
    let Some(Gate::Unlock(form)) = &app.gate else { panic!("the unlock screen") };
    assert!(form.message.as_ref().is_some_and(|m| format!("{m:?}").contains("Votre accès a changé")));
}
