//! Performing a callback: taken from the queue (the store gives it to this listener with its
//! number), then the caller reached (the call starts) or what came of the attempt.

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome};
use crate::app::Pane;
use crate::app::call_form::CallForm;
use crate::app::effect::{Effect, Reply};
use crate::domain::callback::{AttemptResult, Callback, QueueEntry};
use crate::keymap::Action;

#[derive(Debug, Clone)]
pub struct PerformForm {
    pub entry: QueueEntry,
    /// Set once the store gave the callback to this listener (with its number).
    pub callback: Option<Callback>,
}

impl PerformForm {
    pub fn new(entry: QueueEntry) -> PerformForm {
        PerformForm { entry, callback: None }
    }
}

impl Behaviour for PerformForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        let action = cx.action(key);
        if action == Some(Action::Cancel) {
            return Outcome::close();
        }
        // Waiting for the store: only leaving is possible.
        let Some(callback) = self.callback.as_ref() else { return Outcome::stay() };
        let failed = match action {
            Some(Action::Confirm | Action::AttemptReached) => None,
            Some(Action::AttemptNoAnswer) => Some(AttemptResult::NoAnswer),
            Some(Action::AttemptMessageNotLeft) => Some(AttemptResult::MessageNotLeft),
            Some(Action::AttemptWrongNumber) => Some(AttemptResult::WrongNumber),
            _ => return Outcome::stay(),
        };
        if let Some(result) = failed {
            let policy = cx.config.retry_policy();
            return Outcome::effect(Effect::CallbackFailed { id: callback.id, result, policy }).closing();
        }
        // Reached: the call starts, linked to the file and to the callback it performs.
        let now = cx.now;
        // A reply due goes out on its channel: the contact it becomes is on that channel.
        let mut call = CallForm::written(now, &callback.channel);
        call.file = Some(callback.caller_file_id);
        call.performs_callback = Some(callback.id);
        let session = &mut *cx.session;
        session.call = Some(call);
        session.announced = None;
        session.focus = Pane::Call;
        session.mark_dirty(now);
        Outcome::effect(Effect::OpenFile { id: callback.caller_file_id, audited: true }).closing()
    }

    fn on_reply(&mut self, reply: &Reply, _cx: &mut Ctx) -> Outcome {
        match reply {
            Reply::CallbackTaken(callback) => self.callback = Some((**callback).clone()),
            // Another terminal had it first: nothing was done.
            Reply::CallbackConflict(_) => return Outcome::close(),
            _ => {}
        }
        Outcome::stay()
    }
}
