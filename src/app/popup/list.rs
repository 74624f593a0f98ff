//! A list to choose from for the call being taken: its type or outcome (one), its themes,
//! orientations or situations (several, ticked).

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome, Then, step};
use crate::keymap::Action;

/// What a list popup chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListPurpose {
    CallType,
    Outcome,
    Themes,
    Orientations,
    Situations,
}

#[derive(Debug, Clone)]
pub struct ListPopup {
    pub purpose: ListPurpose,
    /// (stored value, label shown)
    pub options: Vec<(String, String)>,
    pub selected: usize,
    /// Several may be checked (themes, orientations) rather than one chosen.
    pub multi: bool,
    pub checked: Vec<bool>,
    /// Opened by "end call": confirming goes on with ending it.
    pub ending: bool,
}

impl ListPopup {
    /// One to choose among `options`.
    pub fn single(purpose: ListPurpose, options: Vec<(String, String)>, ending: bool) -> ListPopup {
        let checked = vec![false; options.len()];
        ListPopup { purpose, options, selected: 0, multi: false, checked, ending }
    }

    /// Several to tick among `options`, those `checked` ticked already.
    pub fn multi(purpose: ListPurpose, options: Vec<(String, String)>, checked: Vec<bool>) -> ListPopup {
        ListPopup { purpose, options, selected: 0, multi: true, checked, ending: false }
    }
}

impl Behaviour for ListPopup {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        match cx.action(key) {
            Some(Action::SelectPrevious) => self.selected = step(self.selected, self.options.len(), false),
            Some(Action::SelectNext) => self.selected = step(self.selected, self.options.len(), true),
            Some(Action::Toggle) if self.multi => {
                let i = self.selected;
                self.checked[i] = !self.checked[i];
            }
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) => {
                let now = cx.now;
                let Some(call) = cx.session.call.as_mut() else { return Outcome::close() };
                let chosen = || self.options[self.selected].0.as_str();
                let checked: Vec<String> = self
                    .options
                    .iter()
                    .zip(&self.checked)
                    .filter(|(_, on)| **on)
                    .map(|(o, _)| o.0.clone())
                    .collect();
                match self.purpose {
                    ListPurpose::CallType => call.call_type = chosen().parse().ok(),
                    ListPurpose::Outcome => call.outcome = chosen().parse().ok(),
                    ListPurpose::Themes => call.themes = checked,
                    ListPurpose::Orientations => {
                        let added: Vec<String> =
                            checked.iter().filter(|n| !call.orientations.contains(n)).cloned().collect();
                        for number in &added {
                            call.acknowledge_given(number, now);
                        }
                        call.orientations = checked;
                    }
                    ListPurpose::Situations => {
                        call.situations = checked.iter().filter_map(|w| w.parse().ok()).collect();
                    }
                }
                call.raise_prompts(cx.rules, now);
                cx.session.mark_dirty(now);
                let closed = Outcome::close();
                return if self.ending { closed.then(Then::EndCall) } else { closed };
            }
            _ => {}
        }
        Outcome::stay()
    }
}
