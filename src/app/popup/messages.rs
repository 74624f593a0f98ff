//! Popups that only show something: the help, a new file's code, the handover note, and the
//! repeat-caller summary. They close on any of their keys.

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome};
use crate::domain::caller_file::FileCode;
use crate::domain::file_record::RepeatCaller;
use crate::keymap::{Action, Context};

/// The keys, from the live keymap.
#[derive(Debug, Clone, Default)]
pub struct Help;

#[derive(Debug, Clone)]
pub struct NewFileCode {
    pub code: FileCode,
}

#[derive(Debug, Clone)]
pub struct Handover {
    pub note: String,
}

/// Confirm, cancel, close, or the main screen's help key (it opened the help: it closes it).
fn closes(key: &KeyEvent, cx: &Ctx) -> bool {
    matches!(cx.action(key), Some(Action::Confirm | Action::Cancel | Action::Close))
        || cx.keymap.action(Context::Main, key) == Some(Action::Help)
}

impl Behaviour for Help {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        if closes(key, cx) { Outcome::close() } else { Outcome::stay() }
    }
}

impl Behaviour for NewFileCode {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        if closes(key, cx) { Outcome::close() } else { Outcome::stay() }
    }
}

impl Behaviour for Handover {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        if closes(key, cx) { Outcome::close() } else { Outcome::stay() }
    }
}

/// Read before anything else; a stray letter must not close it, so only confirming,
/// cancelling or the space bar do.
impl Behaviour for RepeatCaller {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        match cx.action(key) {
            Some(Action::Confirm | Action::Cancel | Action::Toggle) => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}
