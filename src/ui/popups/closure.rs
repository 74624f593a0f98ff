//! Closing a file: the reason and the caller's answer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Boxed, Draw, boxed, cursor, error_and_hint};
use crate::app::popup::ClosureForm;
use crate::app::{App, Session};
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for ClosureForm {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        boxed(frame, area, theme, closure(app, self, theme));
    }
}

fn closure<'a>(app: &'a App, form: &'a ClosureForm, theme: &Theme) -> Boxed<'a> {
    let s = app.strings;
    let answer = match form.caller_agreed {
        Some(true) => s.answer_yes.clone(),
        Some(false) => s.answer_no.clone(),
        None => fill(app, &s.answer_unset),
    };
    let mut reason = vec![
        Span::raw(super::marker(form.field == 0)),
        Span::styled(format!("{} ", s.closure_reason), theme.label()),
        Span::raw(form.reason.clone()),
    ];
    if form.field == 0 {
        reason.push(cursor(theme));
    }
    let mut lines = vec![
        Line::from(reason),
        Line::from(vec![
            Span::raw(super::marker(form.field == 1)),
            Span::styled(format!("{} ", s.closure_agreed), theme.label()),
            Span::raw(answer),
        ]),
    ];
    error_and_hint(app, &mut lines, &form.error, &s.closure_hint, theme);
    (s.fill(&s.closure_title, &[("code", form.code.as_str())]), lines, 80)
}
