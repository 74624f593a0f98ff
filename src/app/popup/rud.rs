//! The RUD grid (Risque, Urgence, Dangerosité), rated for the call being taken.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::{Behaviour, Ctx, Outcome, Then, cycle, move_in};
use crate::domain::assessment::{Rud, RudLevel};
use crate::keymap::Action;

#[derive(Debug, Clone)]
pub struct RudGrid {
    pub row: usize,
    pub rud: Rud,
    /// Opened by ending the call: confirming goes on ending it.
    pub ending: bool,
}

impl RudGrid {
    /// The call's grid; on its first unrated row when ending.
    pub fn new(rud: Rud, ending: bool) -> RudGrid {
        let row = if ending {
            [rud.risk, rud.urgency, rud.danger].iter().position(Option::is_none).unwrap_or(0)
        } else {
            0
        };
        RudGrid { row, rud, ending }
    }
}

impl Behaviour for RudGrid {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        let level = match self.row {
            0 => &mut self.rud.risk,
            1 => &mut self.rud.urgency,
            _ => &mut self.rud.danger,
        };
        // A digit is the level itself (0: not assessed), as the grid numbers them.
        if let KeyCode::Char(digit @ '0'..='3') = key.code {
            *level = [None, Some(RudLevel::Low), Some(RudLevel::Medium), Some(RudLevel::High)]
                [digit as usize - '0' as usize];
            return Outcome::stay();
        }
        match cx.action(key) {
            Some(Action::SelectPrevious) => self.row = move_in(self.row, 3, false),
            Some(Action::SelectNext) => self.row = move_in(self.row, 3, true),
            Some(Action::ChoicePrevious) => *level = cycle(RudLevel::ALL, *level, false),
            Some(Action::ChoiceNext) => *level = cycle(RudLevel::ALL, *level, true),
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) => {
                let now = cx.now;
                let Some(call) = cx.session.call.as_mut() else { return Outcome::close() };
                call.rud = self.rud;
                call.raise_prompts(cx.rules, now);
                cx.session.mark_dirty(now);
                let closed = Outcome::close();
                return if self.ending { closed.then(Then::AskEndCall) } else { closed };
            }
            _ => {}
        }
        Outcome::stay()
    }
}
