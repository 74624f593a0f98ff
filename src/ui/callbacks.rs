//! The callback queue: overdue first, then by priority, then soonest due. Overdue and
//! due-soon are marked in text, not by colour alone.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::short_date_and_time;
use super::theme::Theme;
use crate::app::{App, Pane, Session};
use crate::domain::callback::{Assignee, QueueEntry};
use crate::domain::channel::PHONE;

pub fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let s = app.strings;
    if session.queue.is_empty() {
        frame.render_widget(Paragraph::new(s.no_callbacks.clone()).style(theme.muted()), area);
        return;
    }
    let focused = session.focus == Pane::Callbacks;
    let visible = area.height as usize;
    // Keep the selection in view.
    let first = session.queue_selected.saturating_sub(visible.saturating_sub(1));
    // A date from another year is longer: the columns after it stay aligned.
    let dates: Vec<String> = session.queue.iter().map(|e| short_date_and_time(app, e.due_at)).collect();
    let width = dates.iter().map(|d| d.chars().count()).max().unwrap_or(0);
    let lines: Vec<Line> = session
        .queue
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(index, entry)| {
            let (marker, marker_style) = marker(app, entry, theme);
            let assignee = match (&entry.assignee, &entry.assignee_name) {
                (Assignee::Anyone, _) => s.callback_anyone.clone(),
                (Assignee::Listener(_), Some(name)) => name.clone(),
                (Assignee::Listener(id), None) => id.to_string(),
            };
            let mut line = Line::from(vec![
                Span::styled(format!("{marker:<11}"), marker_style),
                Span::raw(format!(
                    "{:<width$}  {:<8} {:<8} {}",
                    dates[index],
                    entry.file_code,
                    s.priority(entry.priority),
                    assignee
                )),
            ]);
            if entry.channel != PHONE {
                let channel = app.channels.label(&entry.channel, s.is_english());
                line.push_span(Span::raw(format!("  {}", s.fill(&s.reply_by, &[("channel", channel)]))));
            }
            if entry.attempts > 0 {
                line.push_span(Span::styled(
                    format!(
                        "  ({})",
                        s.count(u64::from(entry.attempts), &s.callback_attempts_one, &s.callback_attempts)
                    ),
                    theme.muted(),
                ));
            }
            super::highlight(line, focused && index == session.queue_selected, theme)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// Flagged, overdue or due soon, in words (not by colour alone), with its style.
pub(super) fn marker<'a>(app: &'a App, entry: &QueueEntry, theme: &Theme) -> (&'a str, Style) {
    due_marker(app, entry.flagged, entry.is_overdue(app.now), entry.is_due_soon(app.now), theme)
}

/// The queue's marker for any callback, so a file and its banner use the queue's words.
pub(super) fn due_marker<'a>(
    app: &'a App,
    flagged: bool,
    overdue: bool,
    due_soon: bool,
    theme: &Theme,
) -> (&'a str, Style) {
    let s = app.strings;
    if flagged {
        (&s.callback_flagged, theme.danger())
    } else if overdue {
        (&s.callback_overdue, theme.danger())
    } else if due_soon {
        (&s.callback_due_soon, theme.warning())
    } else {
        ("", theme.muted())
    }
}
