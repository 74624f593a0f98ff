//! Contacts that are not phone calls (issue 22): one key starts a written contact and asks its
//! channel; the phone asks nothing more; a written contact's time spent is typed or timed; its
//! callback is a reply due on its channel, to an address checked like a number.

use super::*;
use crate::domain::channel::PHONE;

/// Camille starts a contact on the written channel at `down` places below the first (e-mail).
fn written(app: &mut App, down: usize) {
    assert!(key(app, KeyCode::Char('w')).is_empty());
    assert!(matches!(top(app), Some(Popup::ChannelPicker(_))), "w asks the channel");
    for _ in 0..down {
        key(app, KeyCode::Down);
    }
    key(app, KeyCode::Enter);
    assert!(top(app).is_none());
}

#[test]
fn the_phone_asks_nothing_more_and_w_asks_the_channel() {
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(call(&app).channel, PHONE);
    assert!(top(&app).is_none(), "taking a call opens nothing");
    assert!(!app.offers(Action::StartWrittenContact), "not during a call");
    key(&mut app, KeyCode::Char('w'));
    assert!(top(&app).is_none(), "a contact is running: w opens nothing");

    let mut app = unlocked_app();
    assert!(app.offers(Action::StartWrittenContact), "shown in the hints when idle on shift");
    key(&mut app, KeyCode::Char('w'));
    let Some(Popup::ChannelPicker(picker)) = top(&app) else { panic!("the channel picker") };
    let offered: Vec<&str> = picker.options.iter().map(|(_, label)| label.as_str()).collect();
    assert_eq!(offered, ["e-mail", "chat", "SMS", "courrier"], "the phone is not offered");
    key(&mut app, KeyCode::Esc);
    assert!(app.session.as_ref().unwrap().call.is_none(), "cancelled: no contact");
    written(&mut app, 1);
    assert_eq!(call(&app).channel, "chat");
    assert_eq!(call(&app).started_at, now());
    assert_eq!(app.session.as_ref().unwrap().focus, Pane::Call);
}

#[test]
fn a_channel_the_config_adds_is_offered() {
    let config = Config::parse(
        "[[channels]]\nid = \"visio\"\nkind = \"conversation\"\naddress = \"text\"\n\
         label_fr = \"visioconférence\"\nlabel_en = \"video call\"\n",
    )
    .unwrap();
    let mut app = App::new(config, Strings::get(Language::Fr), vec!["camille".into()], now());
    app.apply(Reply::Unlocked(Box::new(test_support::unlocked(actor()))));
    app.apply(Reply::ShiftStarted(shift()));
    written(&mut app, 4);
    assert_eq!(call(&app).channel, "visio");
}

#[test]
fn an_email_is_saved_with_its_channel_and_the_minutes_typed_or_timed() {
    let mut app = unlocked_app();
    written(&mut app, 0);
    app.now = now() + chrono::Duration::minutes(95);
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(top(&app), Some(Popup::ConfirmEndCall(popup::ConfirmEndCall { written: true }))));
    type_text(&mut app, "35");
    assert_eq!(call(&app).minutes_spent, Some(35));
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    assert_eq!(call(&app).minutes_spent, None, "all rubbed out: timed again");
    type_text(&mut app, "40");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter); // type
    key(&mut app, KeyCode::Enter); // outcome
    let effects = key(&mut app, KeyCode::Char('n')); // no reply due
    let [Effect::SaveCall { call: saved, callback: None }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(saved.record.channel, "email");
    assert_eq!(saved.time_spent, Some(40 * 60), "typed");
    assert_eq!(saved.ended_at - saved.started_at, chrono::Duration::minutes(95), "open that long");

    // None typed: the time it was open.
    let mut app = unlocked_app();
    written(&mut app, 3);
    app.now = now() + chrono::Duration::minutes(12);
    call_type_and_outcome(&mut app);
    let effects = key(&mut app, KeyCode::Char('n'));
    let [Effect::SaveCall { call: saved, .. }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((saved.record.channel.as_str(), saved.time_spent), ("letter", Some(12 * 60)));

    // A chat is timed from start to end, like a call: digits do nothing at its end.
    let mut app = unlocked_app();
    written(&mut app, 1);
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(top(&app), Some(Popup::ConfirmEndCall(popup::ConfirmEndCall { written: false }))));
    type_text(&mut app, "40");
    assert_eq!(call(&app).minutes_spent, None);
}

#[test]
fn a_written_contacts_callback_is_a_reply_due_on_its_channel_to_a_checked_address() {
    let mut app = unlocked_app();
    written(&mut app, 0);
    app.session.as_mut().unwrap().call.as_mut().unwrap().file = Some(FileId(9));
    call_type_and_outcome(&mut app);
    key(&mut app, KeyCode::Char('o')); // yes, a reply is due
    let Some(Popup::CallbackForm(form)) = top(&app) else { panic!("{:?}", top(&app)) };
    assert_eq!(form.channel, "email", "on the contact's channel");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    type_text(&mut app, "06 12 34 56 78");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' ')); // consent
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "a number is no e-mail address");
    let Some(Popup::CallbackForm(form)) = top(&app) else { panic!() };
    assert_eq!(form.error.as_deref(), Some(app.strings.callback_bad_address.as_str()));
    key(&mut app, KeyCode::Up);
    for _ in 0.."06 12 34 56 78".len() {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "personne@exemple.fr");
    let effects = key(&mut app, KeyCode::Enter);
    let [Effect::SaveCall { call: saved, callback: Some(reply) }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(saved.record.channel, "email");
    assert_eq!((reply.channel.as_str(), reply.callback_number.as_str()), ("email", "personne@exemple.fr"));

    // Left/right on the address's field changes the channel: back to the phone, a number.
    let mut app = unlocked_app();
    key(&mut app, KeyCode::Char('n'));
    app.session.as_mut().unwrap().call.as_mut().unwrap().file = Some(FileId(9));
    call_type_and_outcome(&mut app);
    key(&mut app, KeyCode::Char('o'));
    let Some(Popup::CallbackForm(form)) = top(&app) else { panic!() };
    assert_eq!(form.channel, PHONE, "a call is called back");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    let Some(Popup::CallbackForm(form)) = top(&app) else { panic!() };
    assert_eq!(form.channel, "sms");
}
