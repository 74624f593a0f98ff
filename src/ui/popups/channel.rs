//! Starting a written contact: its channel, chosen in a list.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Draw, boxed, highlight, marker};
use crate::app::popup::ChannelPicker;
use crate::app::{App, Session};
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for ChannelPicker {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let mut lines: Vec<Line> = self
            .options
            .iter()
            .enumerate()
            .map(|(index, (_, label))| {
                let chosen = index == self.selected;
                highlight(Line::from(format!("{}{label}", marker(chosen))), chosen, theme)
            })
            .collect();
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(fill(app, &s.channel_picker_hint), theme.muted())));
        boxed(frame, area, theme, (s.channel_picker_title.clone(), lines, 56));
    }
}
