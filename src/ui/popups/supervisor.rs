//! The supervisor's view of the shift, over the whole screen: who is on shift, who is on a
//! call and for how long, their calls and prompts; then every pending callback, filtered by
//! listener and by overdue or flagged.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::{Draw, assignee_label, highlight, marker};
use crate::app::popup::{QueueFilter, SupervisorView, filtered};
use crate::app::{App, Session};
use crate::ui::format::{length, short_date_and_time, time_or_date};
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for SupervisorView {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        draw(frame, app, session, self, super::below_message(app, session, area, theme), theme)
    }
}

fn draw(frame: &mut Frame, app: &App, session: &Session, view: &SupervisorView, area: Rect, theme: &Theme) {
    let s = app.strings;
    // Below the status bar, which keeps saying what the last change did.
    let area = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(Span::styled(format!(" {} ", s.supervisor_title), theme.title()))
        .title_bottom(Span::styled(format!(" {} ", fill(app, &s.supervisor_hint)), theme.muted()))
        .border_type(BorderType::Double);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines = vec![Line::from(Span::styled(s.supervisor_on_shift.clone(), theme.label()))];
    if session.overview.is_empty() {
        lines.push(Line::from(Span::styled(format!("  {}", s.supervisor_nobody), theme.muted())));
    }
    for person in &session.overview {
        let mut spans = vec![Span::raw(format!(
            "  {:<14} {}  · {}",
            person.name,
            s.fill(&s.supervisor_since, &[("time", &time_or_date(app, person.shift_started_at))]),
            s.count(u64::from(person.calls), &s.supervisor_calls_one, &s.supervisor_calls)
        ))];
        match (person.left, person.on_call_since) {
            // No terminal of theirs is open: not available, whatever their draft says.
            (Some(_), _) => spans.push(Span::styled(format!("  · {}", s.supervisor_left), theme.danger())),
            (None, Some(since)) => spans.push(Span::styled(
                format!("  · {}", s.fill(&s.supervisor_on_call, &[("length", &length(app.now - since))])),
                theme.warning(),
            )),
            (None, None) => spans.push(Span::styled(format!("  · {}", s.supervisor_free), theme.muted())),
        }
        spans.push(Span::raw(format!(
            "  · {}",
            s.count(u64::from(person.prompts_raised), &s.supervisor_prompts_one, &s.supervisor_prompts)
        )));
        if person.prompts_waiting > 0 {
            spans.push(Span::styled(
                format!(
                    " !! {}",
                    s.fill(&s.supervisor_waiting, &[("count", &person.prompts_waiting.to_string())])
                ),
                theme.danger(),
            ));
        }
        lines.push(Line::from(spans));
        if let Some(last) = person.left {
            let chosen = view.listener == Some(person.listener_id);
            let template = if chosen { &s.supervisor_left_chosen } else { &s.supervisor_left_detail };
            let time = time_or_date(app, last);
            lines.push(Line::from(Span::styled(
                format!("  {:<14} {}", "", fill(app, &s.fill(template, &[("time", &time)]))),
                theme.danger(),
            )));
        }
    }

    let who = view.listener.and_then(|id| session.listener_name(id)).unwrap_or(&s.search_all);
    let which = match view.filter {
        QueueFilter::All => &s.queue_filter_all,
        QueueFilter::Overdue => &s.queue_filter_overdue,
        QueueFilter::Flagged => &s.queue_filter_flagged,
    };
    let entries = filtered(session, view, app.now);
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled(s.fill(&s.supervisor_queue, &[("count", &entries.len().to_string())]), theme.label()),
        Span::raw(format!(
            "   {} ◀ {who} ▶   {} {which}",
            s.supervisor_listener,
            fill(app, &s.supervisor_filter)
        )),
    ]));
    if entries.is_empty() {
        lines.push(Line::from(Span::styled(format!("  {}", s.no_callbacks), theme.muted())));
    }
    let header = lines.len();
    let visible = (inner.height as usize).saturating_sub(header);
    let first = view.selected.saturating_sub(visible.saturating_sub(1));
    // A date from another year is longer: the columns after it stay aligned.
    let dates: Vec<String> = entries.iter().map(|e| short_date_and_time(app, e.due_at)).collect();
    let width = dates.iter().map(|d| d.chars().count()).max().unwrap_or(0);
    for (index, entry) in entries.iter().enumerate().skip(first).take(visible) {
        let chosen = index == view.selected;
        let (due, style) = crate::ui::callbacks::marker(app, entry, theme);
        let line = Line::from(vec![
            Span::raw(marker(chosen)),
            Span::styled(format!("{due:<12}"), style),
            Span::raw(format!(
                "{:<width$}  {}  {:<8} {:<14} {}",
                dates[index],
                entry.file_code,
                s.priority(entry.priority),
                assignee_label(app, session, entry.assignee),
                s.count(u64::from(entry.attempts), &s.callback_attempts_one, &s.callback_attempts),
            )),
            Span::styled(
                if entry.note.is_empty() { String::new() } else { format!("  {}", entry.note) },
                theme.muted(),
            ),
        ]);
        lines.push(highlight(line, chosen, theme));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
