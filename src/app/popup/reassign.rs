//! Choosing who a callback goes to: anyone, or one listener.

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome, move_in};
use crate::app::Session;
use crate::app::effect::{CallbackChange, Effect, Reply};
use crate::domain::callback::{Assignee, QueueEntry};
use crate::keymap::Action;

#[derive(Debug, Clone)]
pub struct ReassignForm {
    pub entry: QueueEntry,
    /// 0 is "anyone", then each listener in order.
    pub selected: usize,
}

impl ReassignForm {
    /// Starts on whom it goes to now.
    pub fn new(entry: QueueEntry, session: &Session) -> ReassignForm {
        let selected = match entry.assignee {
            Assignee::Anyone => 0,
            Assignee::Listener(id) => 1 + session.listeners.iter().position(|(l, _)| *l == id).unwrap_or(0),
        };
        ReassignForm { entry, selected }
    }
}

impl Behaviour for ReassignForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        let options = cx.session.listeners.len() + 1;
        match cx.action(key) {
            Some(Action::SelectPrevious) => self.selected = move_in(self.selected, options, false),
            Some(Action::SelectNext) => self.selected = move_in(self.selected, options, true),
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) => {
                let assignee = match self.selected.checked_sub(1) {
                    None => Assignee::Anyone,
                    Some(i) => Assignee::Listener(cx.session.listeners[i].0),
                };
                let (id, version) = (self.entry.id, self.entry.version);
                return Outcome::effect(Effect::ChangeCallback(CallbackChange::Reassign {
                    id,
                    version,
                    assignee,
                }));
            }
            _ => {}
        }
        Outcome::stay()
    }

    fn on_reply(&mut self, reply: &Reply, _cx: &mut Ctx) -> Outcome {
        match reply {
            Reply::CallbackChanged | Reply::CallbackConflict(_) => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}
