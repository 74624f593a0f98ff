//! One line at the top: who, how long, what is due, whether the notes are saved, and the last
//! message. A "│" always parts the fields on the right from the rest, and nothing runs into it:
//! a message that does not fit whole beside the fields gets a row of its own under the line when
//! the screen can spare one (a message cut to a few letters says nothing), else it is
//! shortened with "…".

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{clock, length, timer};
use super::keys::label;
use super::shorten;
use super::theme::Theme;
use crate::app::effect::Outage;
use crate::app::{App, Session};
use crate::domain::Access;
use crate::domain::channel::PHONE;
use crate::keymap::Action;
use crate::keymap::Context;

/// Below this width the bar keeps only what cannot wait.
const NARROW: u16 = 110;
/// From this height a message too long for the line gets a row of its own; below, the panes
/// cannot spare it.
const MESSAGE_ROW_FROM: u16 = 24;
/// Between the message and what comes before it.
const BEFORE_MESSAGE: &str = " · ";

struct Bar {
    /// Who; then how long the shift has lasted, the first thing left out where the line is
    /// short (the call's timer and the store's state matter more); then the call and access.
    who: Vec<Span<'static>>,
    shift: Vec<Span<'static>>,
    call_and_access: Vec<Span<'static>>,
    message: Option<Span<'static>>,
    /// Starts with the separator.
    right: Vec<Span<'static>>,
}

impl Bar {
    fn right_width(&self, width: u16) -> u16 {
        (self.right.iter().map(Span::width).sum::<usize>() as u16).min(width)
    }

    /// Columns for the left side, one kept blank before the separator.
    fn left_room(&self, width: u16) -> usize {
        usize::from(width.saturating_sub(self.right_width(width)).saturating_sub(1))
    }

    /// The fields on the left at this width, with room for `message` (its width) if it is
    /// drawn there: the shift's length gives way first.
    fn fixed(&self, width: u16, message: usize) -> Vec<Span<'static>> {
        let all: Vec<_> =
            [&self.who, &self.shift, &self.call_and_access].into_iter().flatten().cloned().collect();
        if all.iter().map(Span::width).sum::<usize>() + message <= self.left_room(width) {
            return all;
        }
        self.who.iter().chain(&self.call_and_access).cloned().collect()
    }

    /// The message's width with what parts it from the fields before it.
    fn message_width(&self) -> usize {
        self.message.as_ref().map_or(0, |message| Span::raw(BEFORE_MESSAGE).width() + message.width())
    }

    fn message_fits(&self, width: u16) -> bool {
        let left = self.fixed(width, 0).iter().map(Span::width).sum::<usize>();
        left + self.message_width() <= self.left_room(width)
    }
}

/// Whether the message is drawn on its own row under the status line on a screen of `area`.
pub fn message_row(app: &App, session: &Session, area: Rect, theme: &Theme) -> bool {
    area.height >= MESSAGE_ROW_FROM && !bar(app, session, area.width, theme).message_fits(area.width)
}

/// Draws the line in `area`, and the message in `message_area` when it has its own row.
pub fn draw(
    frame: &mut Frame,
    app: &App,
    session: &Session,
    area: Rect,
    message_area: Option<Rect>,
    theme: &Theme,
) {
    let bar = bar(app, session, area.width, theme);
    let (right_width, room) = (bar.right_width(area.width), bar.left_room(area.width));
    let inline = if message_area.is_none() { bar.message_width() } else { 0 };
    let mut left = bar.fixed(area.width, inline);
    let Bar { message, right, .. } = bar;
    match (message, message_area) {
        (Some(message), Some(row)) => {
            let line = shorten(vec![Span::raw(" "), message], usize::from(row.width));
            frame.render_widget(Paragraph::new(Line::from(line)), row);
        }
        (Some(message), None) => {
            left.push(Span::raw(BEFORE_MESSAGE));
            left.push(message);
        }
        (None, _) => {}
    }
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(shorten(left, room))), left_area);
    frame.render_widget(Paragraph::new(Line::from(right)), right_area);
}

fn bar(app: &App, session: &Session, width: u16, theme: &Theme) -> Bar {
    let s = app.strings;
    let narrow = width < NARROW;

    let name = &session.actor.display_name;
    let role = s.role(session.actor.role);
    // "Dominique (coordination)" already says it: the role is not said twice.
    let who = if !narrow && !name.to_lowercase().contains(&role.to_lowercase()) {
        vec![Span::styled(format!(" {name} "), theme.title()), Span::raw(format!("({role})"))]
    } else {
        vec![Span::styled(format!(" {name}"), theme.title())]
    };
    let mut shift = Vec::new();
    if let Some(started) = session.shift.as_ref().map(|shift| shift.started_at) {
        shift.push(Span::raw(format!(" · {} {}", s.status_shift, length(app.now - started))));
    }
    let mut left = Vec::new();
    if let Some(call) = &session.call {
        left.push(Span::raw(" · "));
        left.push(Span::styled(
            // A written contact is named by its channel ("e-mail 12:00"), a call as a call.
            format!(
                "{} {}",
                match call.channel.as_str() {
                    PHONE => s.status_call.as_str(),
                    other => app.channels.label(other, s.is_english()),
                },
                timer(call.elapsed(app.now))
            ),
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
    if app.phone.enabled && !app.phone.connected {
        left.push(Span::raw(" · "));
        let said = if narrow { &s.phone_disconnected_short } else { &s.phone_disconnected };
        left.push(Span::styled(said.clone(), theme.danger()));
    }
    if let Some(access) = access {
        left.push(Span::raw(" · "));
        left.push(Span::styled(access.clone(), theme.danger()));
    }
    if let Some(outage) = session.outage {
        left.push(Span::raw(" · "));
        let said = match (outage, narrow) {
            (Outage::Unreachable, false) => &s.status_unreachable,
            (Outage::Unreachable, true) => &s.status_unreachable_short,
            (Outage::StandbyOnly, false) => &s.status_standby_only,
            (Outage::StandbyOnly, true) => &s.status_standby_only_short,
        };
        left.push(Span::styled(said.clone(), theme.danger()));
    }
    let message = app.status.as_ref().map(|status| {
        Span::styled(
            super::keys::fill(app, &status.text),
            if status.error { theme.danger() } else { theme.ok() },
        )
    });

    let overdue = session.queue.iter().filter(|e| e.is_overdue(app.now)).count();
    let soon = session.queue.iter().filter(|e| e.is_due_soon(app.now)).count();
    let callbacks_template = if narrow { &s.status_callbacks_short } else { &s.status_callbacks };
    let callbacks =
        s.fill(callbacks_template, &[("soon", &soon.to_string()), ("overdue", &overdue.to_string())]);
    let mut right = vec![
        Span::styled("│ ", theme.muted()),
        Span::styled(callbacks, if overdue > 0 { theme.danger() } else { theme.muted() }),
        Span::raw(" · "),
    ];
    let (not_saved, saved_at) = match (narrow, session.outage.is_some()) {
        (true, false) => (&s.status_not_saved_short, &s.status_saved_short),
        (false, false) => (&s.status_not_saved, &s.status_saved_at),
        // Kept on this machine, not yet on the server.
        (true, true) => (&s.status_not_saved_short, &s.status_kept_short),
        (false, true) => (&s.status_not_saved, &s.status_kept_at),
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
            format!("· {} {} ", label(&key, s), s.action_short(Action::Lock)),
            theme.muted(),
        ));
    }
    Bar { who, shift, call_and_access: left, message, right }
}
