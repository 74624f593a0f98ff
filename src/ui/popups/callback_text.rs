//! One typed line about a callback: its new due time, or why it is cancelled.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Boxed, Draw, boxed, cursor, error_and_hint};
use crate::app::popup::{CallbackTextForm, TextPurpose};
use crate::app::{App, Session};
use crate::ui::theme::Theme;

impl Draw for CallbackTextForm {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        boxed(frame, area, theme, text(app, self, theme));
    }
}

fn text<'a>(app: &'a App, form: &'a CallbackTextForm, theme: &Theme) -> Boxed<'a> {
    let s = app.strings;
    let (title, label, hint) = if form.purpose == TextPurpose::Reschedule {
        (&s.reschedule_title, &s.reschedule_label, &s.reschedule_hint)
    } else {
        (&s.cancel_callback_title, &s.reason_label, &s.reason_hint)
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{label} "), theme.label()),
        Span::raw(form.text.clone()),
        cursor(theme),
    ])];
    error_and_hint(app, &mut lines, &form.error, hint, theme);
    (s.fill(title, &[("code", form.entry.file_code.as_str())]), lines, 80)
}
