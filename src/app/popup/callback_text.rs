//! One typed line about a pending callback: its new due time, or why it is cancelled.

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome, type_into};
use crate::app::effect::{CallbackChange, Effect, Reply};
use crate::domain::callback::QueueEntry;
use crate::domain::due::parse_due;
use crate::keymap::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextPurpose {
    /// A new due time, typed.
    Reschedule,
    /// Why the callback is cancelled.
    Cancel,
}

#[derive(Debug, Clone)]
pub struct CallbackTextForm {
    pub purpose: TextPurpose,
    pub entry: QueueEntry,
    pub text: String,
    pub error: Option<String>,
}

impl CallbackTextForm {
    pub fn new(purpose: TextPurpose, entry: QueueEntry) -> CallbackTextForm {
        CallbackTextForm { purpose, entry, text: String::new(), error: None }
    }

    fn change(&self, cx: &Ctx) -> Result<CallbackChange, String> {
        let (id, version) = (self.entry.id, self.entry.version);
        match self.purpose {
            TextPurpose::Reschedule => match parse_due(&self.text, cx.now, cx.zone()) {
                Ok(due_at) => Ok(CallbackChange::Reschedule { id, version, due_at }),
                Err(_) => Err(cx.strings.callback_bad_when.clone()),
            },
            TextPurpose::Cancel if self.text.trim().is_empty() => Err(cx.strings.reason_needed.clone()),
            TextPurpose::Cancel => {
                Ok(CallbackChange::Cancel { id, version, reason: self.text.trim().to_owned() })
            }
        }
    }
}

impl Behaviour for CallbackTextForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        self.error = None;
        if type_into(&mut self.text, key) {
            return Outcome::stay();
        }
        match cx.action(key) {
            Some(Action::Cancel) => Outcome::close(),
            Some(Action::Confirm) => match self.change(cx) {
                Ok(change) => Outcome::effect(Effect::ChangeCallback(change)),
                Err(why) => {
                    self.error = Some(why);
                    Outcome::stay()
                }
            },
            _ => Outcome::stay(),
        }
    }

    fn on_reply(&mut self, reply: &Reply, _cx: &mut Ctx) -> Outcome {
        match reply {
            Reply::CallbackChanged | Reply::CallbackConflict(_) => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}
