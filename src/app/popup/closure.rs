//! Closing a file: a reason, and the caller's answer to whether they agree.

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome, type_into};
use crate::app::effect::{Effect, FileChange, Reply};
use crate::domain::FileId;
use crate::domain::caller_file::{Closure, FileCode};
use crate::keymap::Action;

#[derive(Debug, Clone)]
pub struct ClosureForm {
    pub id: FileId,
    pub code: FileCode,
    /// 0 reason, 1 the caller's answer.
    pub field: usize,
    pub reason: String,
    /// Must be answered: did the caller agree to the closure?
    pub caller_agreed: Option<bool>,
    pub error: Option<String>,
}

impl ClosureForm {
    pub fn new(id: FileId, code: FileCode) -> ClosureForm {
        ClosureForm { id, code, field: 0, reason: String::new(), caller_agreed: None, error: None }
    }
}

impl Behaviour for ClosureForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        self.error = None;
        if self.field == 0 && type_into(&mut self.reason, key) {
            return Outcome::stay();
        }
        let answering = self.field == 1;
        match cx.action(key) {
            Some(Action::SelectPrevious | Action::SelectNext | Action::NextField | Action::PreviousField) => {
                self.field = 1 - self.field
            }
            Some(Action::Yes) if answering => self.caller_agreed = Some(true),
            Some(Action::No) if answering => self.caller_agreed = Some(false),
            Some(Action::ChoicePrevious | Action::ChoiceNext | Action::Toggle) if answering => {
                self.caller_agreed = Some(!self.caller_agreed.unwrap_or(false))
            }
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) => {
                let s = cx.strings;
                let reason = self.reason.trim().to_owned();
                if reason.is_empty() {
                    self.error = Some(s.closure_needs_reason.clone());
                    self.field = 0;
                } else if let Some(caller_agreed) = self.caller_agreed {
                    let closure = Closure { reason, caller_agreed };
                    return Outcome::effect(Effect::ChangeFile(FileChange::Close { id: self.id, closure }));
                } else {
                    self.error = Some(s.closure_needs_answer.clone());
                    self.field = 1;
                }
            }
            _ => {}
        }
        Outcome::stay()
    }

    fn on_reply(&mut self, reply: &Reply, _cx: &mut Ctx) -> Outcome {
        if matches!(reply, Reply::FileChanged(_)) { Outcome::close() } else { Outcome::stay() }
    }
}
