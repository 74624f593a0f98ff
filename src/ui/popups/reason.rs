//! One line of reason: reopening a file, setting or lifting a legal hold.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Boxed, Draw, boxed, cursor, error_and_hint};
use crate::app::popup::{ReasonForm, ReasonPurpose};
use crate::app::{App, Session};
use crate::ui::theme::Theme;

impl Draw for ReasonForm {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        boxed(frame, area, theme, reason(app, self, theme));
    }
}

fn reason<'a>(app: &'a App, form: &'a ReasonForm, theme: &Theme) -> Boxed<'a> {
    let s = app.strings;
    let title = match form.purpose {
        ReasonPurpose::Reopen => &s.reopen_title,
        ReasonPurpose::SetHold => &s.hold_set_title,
        ReasonPurpose::LiftHold => &s.hold_lift_title,
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", s.reason_label), theme.label()),
        Span::raw(form.text.clone()),
        cursor(theme),
    ])];
    error_and_hint(app, &mut lines, &form.error, &s.reason_hint, theme);
    (s.fill(title, &[("code", form.code.as_str())]), lines, 80)
}
