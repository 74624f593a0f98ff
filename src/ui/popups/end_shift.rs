//! The end of a shift, over the whole screen: its figures (the same text as the exported
//! summary), then the handover note for the next shift.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::Draw;
use crate::app::popup::EndShiftForm;
use crate::app::{App, Session};
use crate::export::summary;
use crate::ui::theme::Theme;

impl Draw for EndShiftForm {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        draw(frame, app, self, super::below_message(app, session, area, theme), theme)
    }
}

fn draw(frame: &mut Frame, app: &App, form: &EndShiftForm, area: Rect, theme: &Theme) {
    let s = app.strings;
    let area = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
    frame.render_widget(Clear, area);
    let hint =
        crate::ui::keys::fill(app, if form.closing { &s.end_shift_closing } else { &s.end_shift_hint });
    let block = Block::bordered()
        .title(Span::styled(
            match &form.of {
                None => format!(" {} ", s.end_shift_title),
                Some(name) => format!(" {} ", s.fill(&s.end_shift_of_title, &[("name", name)])),
            },
            theme.title(),
        ))
        .title_bottom(Span::styled(format!(" {hint} "), theme.muted()))
        .border_type(BorderType::Double);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = match &form.summary {
        None => vec![Line::from(Span::styled(s.end_shift_loading.clone(), theme.muted()))],
        Some(figures) => {
            std::iter::once(Line::from(Span::styled(summary::title(figures, s, app.zone()), theme.title())))
                .chain(summary::lines(figures, s, &app.channels).into_iter().map(Line::from))
                .collect()
        }
    };
    let height = crate::ui::wrapped_height(&lines, inner.width) + 1;
    let [figures, note] = Layout::vertical([Constraint::Length(height), Constraint::Min(3)]).areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), figures);
    let block = Block::bordered().title(Span::styled(format!(" {} ", s.end_shift_handover), theme.label()));
    let inner = block.inner(note);
    frame.render_widget(block, note);
    crate::ui::draw_editor(frame, &form.handover, inner, !form.closing);
}
