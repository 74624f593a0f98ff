//! One line at the top: who, how long, what is due, whether the notes are saved.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{clock, length, timer};
use super::theme::Theme;
use crate::app::action::Action;
use crate::app::keymap::Context;
use crate::app::{App, Session};
use crate::domain::listener::Role;

pub fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let s = app.strings;
    let role = match session.actor.role {
        Role::Supervisor => &s.role_supervisor,
        Role::Listener => &s.role_listener,
    };
    let mut left = vec![
        Span::styled(format!(" {} ", session.actor.display_name), theme.title()),
        Span::raw(format!("({role})")),
    ];
    if let Some(shift) = &session.shift {
        left.push(Span::raw(format!(" · {} {}", s.status_shift, length(app.now - shift.started_at))));
    }
    if let Some(call) = &session.call {
        left.push(Span::raw(" · "));
        left.push(Span::styled(
            format!("{} {}", s.status_call, timer(app.now - call.started_at)),
            theme.warning(),
        ));
    }

    let overdue = session.queue.iter().filter(|e| e.is_overdue(app.now)).count();
    let soon = session.queue.iter().filter(|e| e.is_due_soon(app.now)).count();
    let mut right = Vec::new();
    let callbacks =
        s.fill(&s.status_callbacks, &[("soon", &soon.to_string()), ("overdue", &overdue.to_string())]);
    right.push(Span::styled(callbacks, if overdue > 0 { theme.danger() } else { theme.muted() }));
    right.push(Span::raw(" · "));
    let (saved, style) =
        match (session.call.is_some(), session.save_failed, session.dirty_since, session.last_saved) {
            (_, true, _, _) => (s.status_not_saved.clone(), theme.danger()),
            (true, false, Some(_), _) => (s.status_editing.clone(), theme.muted()),
            (_, false, None, Some(at)) => {
                (s.fill(&s.status_saved_at, &[("time", &clock(app, at))]), theme.ok())
            }
            _ => (String::new(), theme.muted()),
        };
    if !saved.is_empty() {
        right.push(Span::styled(saved, style));
        right.push(Span::raw(" · "));
    }
    right.push(Span::styled(clock(app, app.now), theme.title()));
    if let Some(key) = app.keymap.key_for(Context::Global, Action::Lock) {
        right.push(Span::styled(
            format!(" · {} {} ", key.label(s), s.action_short(Action::Lock)),
            theme.muted(),
        ));
    }

    let right_width: u16 = right.iter().map(|span| span.width() as u16).sum();
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)]).areas(area);
    let mut left_line = Line::from(left);
    if let Some(status) = &app.status {
        left_line.push_span(Span::raw(" · "));
        left_line.push_span(Span::styled(
            status.text.clone(),
            if status.error { theme.danger() } else { theme.ok() },
        ));
    }
    frame.render_widget(Paragraph::new(left_line), left_area);
    frame.render_widget(Paragraph::new(Line::from(right)), right_area);
}
