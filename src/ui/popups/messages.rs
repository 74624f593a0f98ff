//! The popups that only show something: a new file's code, the handover note.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::{Draw, boxed, message_lines};
use crate::app::popup::{Handover, NewFileCode};
use crate::app::{App, Session};
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for NewFileCode {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let spaced: String = self.code.as_str().chars().map(|c| format!("{c} ")).collect();
        let lines = vec![
            Line::from(""),
            Line::from(Span::styled(
                format!("   {}", spaced.trim_end()),
                theme.title().add_modifier(Modifier::REVERSED),
            )),
            Line::from(""),
            Line::from(s.new_file_give_code.clone()),
            Line::from(""),
            Line::from(Span::styled(fill(app, &s.press_enter), theme.muted())),
        ];
        boxed(frame, area, theme, (s.new_file_title.clone(), lines, 56));
    }
}

impl Draw for Handover {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let lines = message_lines(app, self.note.clone(), &s.press_enter, theme);
        boxed(frame, area, theme, (s.handover_title.clone(), lines, 70));
    }
}
