//! Starting a written contact: which channel it came in by (e-mail, chat, SMS, letter, or one
//! the config added). The telephone is not offered: taking a call asks nothing.

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome, move_in};
use crate::app::call_form::CallForm;
use crate::domain::channel::Channels;
use crate::keymap::Action;

#[derive(Debug, Clone)]
pub struct ChannelPicker {
    /// (channel id, label shown), in the order of the channels' list.
    pub options: Vec<(String, String)>,
    pub selected: usize,
}

impl ChannelPicker {
    pub fn new(channels: &Channels, english: bool) -> ChannelPicker {
        let options =
            channels.written().map(|c| (c.id.clone(), channels.label(&c.id, english).to_owned())).collect();
        ChannelPicker { options, selected: 0 }
    }
}

impl Behaviour for ChannelPicker {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        match cx.action(key) {
            Some(Action::SelectPrevious) => self.selected = move_in(self.selected, self.options.len(), false),
            Some(Action::SelectNext) => self.selected = move_in(self.selected, self.options.len(), true),
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) => {
                let Some((channel, _)) = self.options.get(self.selected) else { return Outcome::close() };
                // Timed from here: the moment the listener starts on it.
                cx.session.start_contact(CallForm::written(cx.now, channel), cx.now);
                return Outcome::close();
            }
            _ => {}
        }
        Outcome::stay()
    }
}
