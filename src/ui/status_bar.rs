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
use crate::domain::Access;
use crate::domain::listener::Role;

/// Below this width the bar keeps only what cannot wait.
const NARROW: u16 = 110;

pub fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let s = app.strings;
    let narrow = area.width < NARROW;

    let mut left = vec![Span::styled(format!(" {} ", session.actor.display_name), theme.title())];
    if !narrow {
        let role = match session.actor.role {
            Role::Supervisor => &s.role_supervisor,
            Role::Listener => &s.role_listener,
        };
        left.push(Span::raw(format!("({role})")));
    }
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
    let access = match (session.access, narrow) {
        (Access::ReadWrite, _) => None,
        (Access::ReadOnly, false) => Some(&s.status_read_only),
        (Access::ReadOnly, true) => Some(&s.status_read_only_short),
        (Access::DiskFull, false) => Some(&s.status_disk_full),
        (Access::DiskFull, true) => Some(&s.status_disk_full_short),
    };
    if let Some(access) = access {
        left.push(Span::raw(" · "));
        left.push(Span::styled(access.clone(), theme.danger()));
    }
    if let Some(status) = &app.status {
        left.push(Span::raw(" · "));
        left.push(Span::styled(status.text.clone(), if status.error { theme.danger() } else { theme.ok() }));
    }

    let overdue = session.queue.iter().filter(|e| e.is_overdue(app.now)).count();
    let soon = session.queue.iter().filter(|e| e.is_due_soon(app.now)).count();
    let callbacks_template = if narrow { &s.status_callbacks_short } else { &s.status_callbacks };
    let callbacks =
        s.fill(callbacks_template, &[("soon", &soon.to_string()), ("overdue", &overdue.to_string())]);
    let mut right = vec![
        Span::styled(callbacks, if overdue > 0 { theme.danger() } else { theme.muted() }),
        Span::raw(" · "),
    ];
    let (not_saved, saved_at) = if narrow {
        (&s.status_not_saved_short, &s.status_saved_short)
    } else {
        (&s.status_not_saved, &s.status_saved_at)
    };
    let saved = if session.save_failed {
        Some(Span::styled(not_saved.clone(), theme.danger()))
    } else if session.call.is_some() && session.dirty_since.is_some() {
        Some(Span::styled(s.status_editing.clone(), theme.muted()))
    } else {
        session.last_saved.map(|at| Span::styled(s.fill(saved_at, &[("time", &clock(app, at))]), theme.ok()))
    };
    if let Some(saved) = saved {
        right.push(saved);
        right.push(Span::raw(" · "));
    }
    right.push(Span::styled(format!("{} ", clock(app, app.now)), theme.title()));
    if let Some(key) = app.keymap.key_for(Context::Global, Action::Lock).filter(|_| !narrow) {
        right.push(Span::styled(
            format!("· {} {} ", key.label(s), s.action_short(Action::Lock)),
            theme.muted(),
        ));
    }

    let right_width = right.iter().map(|span| span.width() as u16).sum::<u16>().min(area.width);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), left_area);
    frame.render_widget(Paragraph::new(Line::from(right)), right_area);
}
