//! Ending a call, in its one order: a life-risk prompt, the RUD grid once, every other
//! prompt's outcome, then one confirmation, what is missing and a callback.

use super::*;

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
