//! Reopening a file, or setting or lifting a legal hold: one line of reason.

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome, type_into};
use crate::app::effect::{Effect, FileChange, Reply};
use crate::domain::FileId;
use crate::domain::caller_file::FileCode;
use crate::keymap::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonPurpose {
    Reopen,
    SetHold,
    LiftHold,
}

#[derive(Debug, Clone)]
pub struct ReasonForm {
    pub id: FileId,
    pub code: FileCode,
    pub purpose: ReasonPurpose,
    pub text: String,
    pub error: Option<String>,
}

impl ReasonForm {
    pub fn new(id: FileId, code: FileCode, purpose: ReasonPurpose) -> ReasonForm {
        ReasonForm { id, code, purpose, text: String::new(), error: None }
    }
}

impl Behaviour for ReasonForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        self.error = None;
        if type_into(&mut self.text, key) {
            return Outcome::stay();
        }
        match cx.action(key) {
            Some(Action::Cancel) => Outcome::close(),
            Some(Action::Confirm) => {
                let reason = self.text.trim().to_owned();
                // Lifting a hold may go without a word; the rest needs one.
                if reason.is_empty() && self.purpose != ReasonPurpose::LiftHold {
                    self.error = Some(cx.strings.reason_needed.clone());
                    return Outcome::stay();
                }
                let id = self.id;
                let change = match self.purpose {
                    ReasonPurpose::Reopen => FileChange::Reopen { id, reason },
                    ReasonPurpose::SetHold => FileChange::LegalHold { id, hold: true, reason },
                    ReasonPurpose::LiftHold => FileChange::LegalHold { id, hold: false, reason },
                };
                Outcome::effect(Effect::ChangeFile(change))
            }
            _ => Outcome::stay(),
        }
    }

    fn on_reply(&mut self, reply: &Reply, _cx: &mut Ctx) -> Outcome {
        if matches!(reply, Reply::FileChanged(_)) { Outcome::close() } else { Outcome::stay() }
    }
}
