//! The emergency card: every number of the directory; choosing one records it as given on the
//! call being taken.

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome, move_in};
use crate::app::status::{Until, status_until};
use crate::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use crate::keymap::Action;

#[derive(Debug, Clone, Default)]
pub struct EmergencyCard {
    pub selected: usize,
}

impl Behaviour for EmergencyCard {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        let entries = &cx.directory.entries;
        match cx.action(key) {
            Some(Action::SelectPrevious) => self.selected = move_in(self.selected, entries.len(), false),
            Some(Action::SelectNext) => self.selected = move_in(self.selected, entries.len(), true),
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) => {
                let number = entries[self.selected].number.clone();
                let Some(call) = cx.session.call.as_mut() else { return Outcome::close() };
                let now = cx.now;
                call.add_orientation(&number, cx.directory);
                call.prompts.push(PromptRecord {
                    number: number.clone(),
                    rule: "card".into(),
                    raised_at: now,
                    acknowledgement: Some(Acknowledgement {
                        at: now,
                        outcome: PromptOutcome::NumberGiven,
                        note: None,
                    }),
                });
                cx.session.mark_dirty(now);
                let s = cx.strings;
                let recorded = s.fill(&s.number_recorded, &[("number", &number)]);
                return Outcome::close().with_status(status_until(&recorded, false, Until::CallEnds));
            }
            _ => {}
        }
        Outcome::stay()
    }
}
