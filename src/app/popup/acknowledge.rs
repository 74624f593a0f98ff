//! What was done with each number prompted during the call: given, service contacted, declined
//! by the caller, or not relevant (with a word why).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Behaviour, Ctx, Outcome, Then, move_in, step};
use crate::domain::prompt::{Acknowledgement, PromptOutcome};
use crate::keymap::Action;

#[derive(Debug, Clone, Default)]
pub struct AckForm {
    /// Index in the list of the call's pending prompts.
    pub selected: usize,
    /// Index in `PromptOutcome::ALL`.
    pub outcome: usize,
    /// Required for "not relevant": a word on why.
    pub note: String,
    pub error: Option<String>,
    /// Opened by ending the call: once nothing waits, ending goes on.
    pub ending: bool,
}

impl AckForm {
    pub fn ending() -> AckForm {
        AckForm { ending: true, ..AckForm::default() }
    }
}

impl Behaviour for AckForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        let now = cx.now;
        let action = cx.action(key);
        let Some(call) = cx.session.call.as_mut() else { return Outcome::close() };
        let pending: Vec<usize> = call.pending_prompts().map(|(index, _)| index).collect();
        let outcomes = PromptOutcome::ALL.len();
        self.error = None;
        let not_relevant = PromptOutcome::ALL[self.outcome] == PromptOutcome::NotRelevant;
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Backspace => {
                self.note.pop();
                return Outcome::stay();
            }
            // Once "not relevant" is chosen, what is typed is the word why (digits too).
            KeyCode::Char(c) if not_relevant && !control => {
                self.note.push(c);
                return Outcome::stay();
            }
            // Otherwise a digit is the outcome, as they are numbered.
            KeyCode::Char(c @ '1'..='4') => {
                self.outcome = (c as usize - '1' as usize).min(outcomes - 1);
                return Outcome::stay();
            }
            _ => {}
        }
        match action {
            Some(Action::SelectPrevious) => self.selected = move_in(self.selected, pending.len(), false),
            Some(Action::SelectNext) => self.selected = move_in(self.selected, pending.len(), true),
            Some(Action::ChoicePrevious) => self.outcome = step(self.outcome, outcomes, false),
            Some(Action::ChoiceNext) => self.outcome = step(self.outcome, outcomes, true),
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) => {
                let Some(&index) = pending.get(self.selected) else { return Outcome::stay() };
                let outcome = PromptOutcome::ALL[self.outcome];
                let note = Some(self.note.trim().to_owned()).filter(|n| !n.is_empty());
                if outcome == PromptOutcome::NotRelevant && note.is_none() {
                    self.error = Some(cx.strings.ack_needs_note.clone());
                    return Outcome::stay();
                }
                call.prompts[index].acknowledgement = Some(Acknowledgement { at: now, outcome, note });
                if outcome != PromptOutcome::NotRelevant {
                    let number = call.prompts[index].number.clone();
                    call.add_orientation(&number, cx.directory);
                }
                *self = AckForm { ending: self.ending, ..AckForm::default() };
                let done = call.pending_prompts().next().is_none();
                cx.session.mark_dirty(now);
                if done {
                    let closed = Outcome::close();
                    return if self.ending { closed.then(Then::AskEndCall) } else { closed };
                }
            }
            _ => {}
        }
        Outcome::stay()
    }
}
