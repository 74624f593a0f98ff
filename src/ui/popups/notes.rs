//! Amending a call's notes: the editor, with what its keys do below it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Clear};

use super::Draw;
use crate::app::popup::NotesForm;
use crate::app::{App, Session};
use crate::ui::format::date_and_time;
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for NotesForm {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        draw_amend_notes(frame, app, self, area, theme)
    }
}

/// The notes editor is a widget, not lines: drawn here whole (wrapped, see `draw_editor`).
fn draw_amend_notes(frame: &mut Frame, app: &App, form: &NotesForm, area: Rect, theme: &Theme) {
    let s = app.strings;
    let width = 90.min(area.width);
    let height = 16.min(area.height);
    let popup = crate::ui::centered(area, width, height);
    frame.render_widget(Clear, popup);
    let title = s.fill(&s.amend_title, &[("date", &date_and_time(app, form.started_at))]);
    let bottom = if form.discard_armed {
        Span::styled(format!(" {} ", fill(app, &s.amend_discard_armed)), theme.danger())
    } else {
        Span::styled(format!(" {} ", fill(app, &s.amend_hint)), theme.muted())
    };
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), theme.title()))
        .title_bottom(bottom)
        .border_type(BorderType::Double);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    crate::ui::draw_editor(frame, &form.notes, inner, true);
}
