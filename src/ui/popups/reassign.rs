//! Choosing who a callback goes to.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{Boxed, Draw, boxed, error_and_hint};
use crate::app::popup::ReassignForm;
use crate::app::{App, Session};
use crate::ui::theme::Theme;

impl Draw for ReassignForm {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        boxed(frame, area, theme, reassign(app, session, self, theme));
    }
}

fn reassign<'a>(app: &'a App, session: &'a Session, form: &'a ReassignForm, theme: &Theme) -> Boxed<'a> {
    let s = app.strings;
    let options =
        std::iter::once(s.callback_anyone.clone()).chain(session.listeners.iter().map(|(_, n)| n.clone()));
    let mut lines: Vec<Line> = options
        .enumerate()
        .map(|(index, name)| {
            let chosen = index == form.selected;
            super::highlight(Line::from(format!("{}{name}", super::marker(chosen))), chosen, theme)
        })
        .collect();
    error_and_hint(app, &mut lines, &None, &s.reassign_hint, theme);
    (s.fill(&s.reassign_title, &[("code", form.entry.file_code.as_str())]), lines, 60)
}
