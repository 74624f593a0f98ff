//! A list to choose from: one (type, outcome) or several, ticked (themes, orientations,
//! situations).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{Draw, boxed, highlight, marker};
use crate::app::popup::{ListPopup, ListPurpose};
use crate::app::{App, Session};
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for ListPopup {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let title = match self.purpose {
            ListPurpose::CallType => &s.pick_call_type,
            ListPurpose::Outcome => &s.pick_outcome,
            ListPurpose::Themes => &s.pick_themes,
            ListPurpose::Orientations => &s.pick_orientations,
            ListPurpose::Situations => &s.pick_situations,
        };
        let mut lines: Vec<Line> = self
            .options
            .iter()
            .enumerate()
            .map(|(index, (_, label))| {
                let check = match (self.multi, self.checked[index]) {
                    (false, _) => "",
                    (true, true) => "[x] ",
                    (true, false) => "[ ] ",
                };
                let chosen = index == self.selected;
                highlight(Line::from(format!("{}{check}{label}", marker(chosen))), chosen, theme)
            })
            .collect();
        lines.push(Line::from(""));
        boxed(frame, area, theme, (fill(app, title), lines, 56));
    }
}
