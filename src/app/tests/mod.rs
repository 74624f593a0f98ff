//! The app through keys and replies, without a terminal or a store: one file per part of the
//! workflow, the helpers here, the fixtures in `crate::test_support`.

mod callbacks;
mod caller_files;
mod calls;
mod channels;
mod ending;
mod gate;
mod phone;
mod session;
mod shifts;
mod statistics;

use chrono::{TimeZone, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::call_form::CallForm;
use crate::app::effect::AfterShift;
use crate::app::effect::FileChange;
use crate::app::effect::{FileView, Reply, Unlocked};
use crate::app::keys::KeyRoute;
use crate::app::popup::{self, Popup};
use crate::app::status::{SAY_FOR, WARN_FOR};
use crate::domain::Timestamp;
use crate::domain::assessment::RudLevel;
use crate::domain::assessment::Situation;
use crate::domain::call::{CallType, Outcome};
use crate::domain::callback::QueueEntry;
use crate::domain::callback::{Assignee, Priority};
use crate::domain::caller_file::FileStatus;
use crate::domain::listener::Actor;
use crate::domain::listener::Role;
use crate::domain::prompt::PromptOutcome;
use crate::domain::shift::Shift;
use crate::domain::{FileId, ListenerId, ShiftId};
use crate::i18n::Language;
use crate::keymap::Action;
use crate::keymap::Context;
use crate::test_support;

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap()
}

fn shift() -> Shift {
    test_support::shift(7, now())
}

fn actor() -> Actor {
    test_support::camille(Role::Listener)
}

fn new_app(logins: &[&str]) -> App {
    App::new(
        Config::default(),
        Strings::get(Language::Fr),
        logins.iter().map(|l| (*l).to_owned()).collect(),
        now(),
    )
}

/// An app unlocked by Camille with her shift open.
fn unlocked_app() -> App {
    let mut app = new_app(&["camille"]);
    let effects = app.apply(Reply::Unlocked(Box::new(test_support::unlocked(actor()))));
    assert!(matches!(effects.as_slice(), [Effect::StartShift]));
    app.apply(Reply::ShiftStarted(shift()));
    app
}

/// A tick's effects, leaving out the periodic look for other terminals' changes.
fn tick(app: &mut App, now: Timestamp) -> Vec<Effect> {
    app.tick(now).into_iter().filter(|e| !matches!(e, Effect::CheckForChanges)).collect()
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn call(app: &App) -> &CallForm {
    app.session.as_ref().unwrap().call.as_ref().expect("a call is running")
}

fn file_view(id: i64) -> FileView {
    test_support::file_view(test_support::caller_file(id, "KAT-472", now()))
}

fn top(app: &App) -> Option<&Popup> {
    app.session.as_ref().unwrap().popups.last()
}

/// `e`, yes end it, the first type, the first outcome.
fn call_type_and_outcome(app: &mut App) {
    key(app, KeyCode::Char('e'));
    key(app, KeyCode::Enter);
    key(app, KeyCode::Enter);
    key(app, KeyCode::Enter);
}

fn unlock_form(app: &App) -> &UnlockForm {
    let Some(Gate::Unlock(form)) = &app.gate else { panic!("on the unlock screen") };
    form
}
