//! The RUD grid: three rows, each a level.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Draw, boxed, highlight, marker};
use crate::app::popup::RudGrid;
use crate::app::{App, Session};
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for RudGrid {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let rows = [
            (&s.rud_risk, self.rud.risk),
            (&s.rud_urgency, self.rud.urgency),
            (&s.rud_danger, self.rud.danger),
        ];
        let mut lines: Vec<Line> = rows
            .into_iter()
            .enumerate()
            .map(|(index, (label, level))| {
                let chosen = index == self.row;
                let line = Line::from(format!("{}{label:<28} ◀ {} ▶", marker(chosen), s.rud_level(level)));
                highlight(line, chosen, theme)
            })
            .collect();
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(fill(app, &s.rud_hint), theme.muted())));
        boxed(frame, area, theme, (s.rud_title.clone(), lines, 60));
    }
}
