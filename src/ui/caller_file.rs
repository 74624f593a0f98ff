//! The caller file pane: the linked file, its instructions first, then its history.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::format::{date_and_time, length, short_date_and_time};
use super::hanging;
use super::theme::Theme;
use crate::app::{App, Pane, Session};
use crate::domain::assessment::Rud;
use crate::domain::call::Call;
use crate::domain::callback::{Callback, CallbackStatus, pending_in_queue_order};
use crate::domain::caller_file::FileEventKind;
use crate::domain::channel::PHONE;
use crate::i18n::Strings;

pub fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let s = app.strings;
    let Some(view) = &session.file else {
        let lines = vec![
            Line::from(Span::styled(s.no_file.clone(), theme.title())),
            Line::from(""),
            Line::from(super::keys::fill(app, &s.no_file_hint)),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    };
    let file = &view.file;
    let focused = session.focus == Pane::File;
    let mut head = vec![
        Span::styled(file.code.to_string(), theme.title()),
        Span::raw(format!("  {}", s.file_status(file.status))),
        Span::styled(format!("  {} {}", s.file_since, date_and_time(app, file.created_at)), theme.muted()),
    ];
    if file.legal_hold {
        head.push(Span::styled(format!("  {} ", s.file_legal_hold), theme.warning()));
    }
    let mut lines = vec![Line::from(head)];
    if !file.profile.instructions.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("▶ {} : {}", s.file_instructions, file.profile.instructions),
            theme.instructions(),
        )));
    }
    let profile = &file.profile;
    let facts: Vec<String> = [
        profile.age_band.map(|a| s.age_band(a).to_owned()),
        profile.gender.map(|g| s.gender(g).to_owned()),
        profile.departement.as_ref().map(|d| format!("{} {}", s.file_departement, d.as_str())),
        profile.relation.map(|r| s.relation(r).to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !facts.is_empty() {
        lines.push(Line::from(facts.join(" · ")));
    }
    if !profile.situation_summary.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("{} : ", s.file_summary), theme.label()),
            Span::raw(profile.situation_summary.clone()),
        ]));
    }
    if let Some(closure) = &file.closure {
        lines.push(Line::from(format!(
            "{} : {} ({})",
            s.file_event(FileEventKind::Closed),
            closure.reason,
            agreement(s, closure.caller_agreed)
        )));
    }
    if let Some(at) = file.purged_at {
        lines.push(Line::from(Span::styled(
            s.fill(&s.file_purged, &[("date", &date_and_time(app, at))]),
            theme.muted(),
        )));
    }
    // Lists wrap under their item; they are laid out at the width of the pane's body, above
    // the hint when the pane has the focus.
    let body = if focused && area.height > 2 {
        let [body, hint] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
        let keys = super::keys::fill(app, &s.file_hint);
        frame.render_widget(Paragraph::new(Span::styled(keys, theme.muted())), hint);
        body
    } else {
        area
    };
    let width = body.width;
    if !view.callbacks.is_empty() {
        lines.push(Line::from(Span::styled(format!("{} :", s.file_callbacks), theme.label())));
        // Pending ones in the queue's order, overdue and urgent first, marked as the queue does.
        let pending = pending_in_queue_order(&view.callbacks, app.now);
        let closed = view.callbacks.iter().filter(|c| c.status != CallbackStatus::Pending);
        for callback in pending.into_iter().chain(closed) {
            let mut spans = vec![Span::raw("  ")];
            spans.extend(callback_spans(app, callback, theme));
            lines.extend(hanging(spans, 4, width));
            for attempt in &callback.attempts {
                let who = view.authors.get(&attempt.listener_id).map(String::as_str).unwrap_or("?");
                let line = format!(
                    "    ↳ {} · {} · {}",
                    short_date_and_time(app, attempt.at),
                    who,
                    s.attempt_result(attempt.result)
                );
                lines.extend(hanging(vec![Span::raw(line)], 6, width));
            }
        }
    }
    if !view.events.is_empty() {
        lines.push(Line::from(Span::styled(format!("{} :", s.file_events), theme.label())));
        for event in &view.events {
            let who = match event.listener_id {
                Some(id) => view.authors.get(&id).map(String::as_str).unwrap_or("?"),
                None => s.software.as_str(),
            };
            let mut line =
                format!("  {} · {} · {}", short_date_and_time(app, event.at), s.file_event(event.kind), who);
            if let Some(agreed) = event.caller_agreed {
                line.push_str(&format!(" · {}", agreement(s, agreed)));
            }
            if !event.reason.is_empty() {
                line.push_str(&format!(" · {}", event.reason));
            }
            lines.extend(hanging(vec![Span::raw(line)], 4, width));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        s.count(view.history.len() as u64, &s.file_history_one, &s.file_history),
        theme.label(),
    )));
    let mut selected_line = 0;
    for (index, call) in view.history.iter().enumerate() {
        let author = view.authors.get(&call.listener_id).map(String::as_str).unwrap_or("?");
        // A call's channel goes without saying; any other is named, and a written contact
        // shows the time spent on it.
        let channel = match call.record.channel.as_str() {
            PHONE => String::new(),
            other => format!("{} · ", app.channels.label(other, s.is_english())),
        };
        let mut head = format!(
            "{} · {} · {channel}{} · {}",
            short_date_and_time(app, call.started_at),
            author,
            length(chrono::Duration::seconds(call.seconds())),
            s.call_type(call.call_type)
        );
        if !call.record.themes.is_empty() {
            head.push_str(&format!(" · {}", call.record.themes.join(", ")));
        }
        let chosen = focused && index == session.file_selected;
        if chosen {
            selected_line = lines.len();
        }
        let marker = if chosen { "▶ " } else { "" };
        let style = if chosen { theme.selected() } else { theme.title() };
        lines.extend(hanging(vec![Span::styled(format!("{marker}{head}"), style)], 2, width));
        for detail in call_details(app, call, true, theme) {
            lines.extend(hanging(detail, 4, width));
        }
        if !call.record.notes.is_empty() {
            let notes = format!("  {}", call.record.notes.replace('\n', " ⏎ "));
            lines.extend(hanging(vec![Span::raw(notes)], 2, width));
        }
    }
    // The chosen call is kept in view by scrolling to a little above it.
    let scroll = if selected_line > 0 && session.file_selected > 0 {
        super::wrapped_height(&lines[..selected_line], width).saturating_sub(2)
    } else {
        0
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), body);
}

/// What a call recorded besides its notes, one labelled line each, as the history and the
/// repeat-caller banner show it: the outcome, the situations ticked, the RUD (unless the
/// caller shows it apart), the numbers prompted with what became of them (and why one was not
/// relevant), the orientations.
pub(super) fn call_details<'a>(
    app: &'a App,
    call: &Call,
    with_rud: bool,
    theme: &Theme,
) -> Vec<Vec<Span<'a>>> {
    let s = app.strings;
    let record = &call.record;
    let detail = |label: &str, value: String| {
        vec![Span::raw("  "), Span::styled(format!("{label} "), theme.label()), Span::raw(value)]
    };
    let mut details = Vec::new();
    if let Some(outcome) = record.outcome {
        details.push(detail(&s.field_outcome, s.outcome(outcome).to_owned()));
    }
    if !record.situations.is_empty() {
        let situations: Vec<&str> = record.situations.iter().map(|&x| s.situation(x)).collect();
        details.push(detail(&s.field_situations, situations.join(", ")));
    }
    if with_rud && record.rud != Rud::default() {
        details.push(detail(&s.field_rud, s.rud_text(&record.rud)));
    }
    if !record.prompts.is_empty() {
        let prompts: Vec<String> = record
            .prompts
            .iter()
            .map(|p| match &p.acknowledgement {
                Some(ack) => match ack.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    Some(reason) => s.fill(
                        &s.history_prompt_reason,
                        &[
                            ("number", &p.number),
                            ("outcome", s.prompt_outcome(ack.outcome)),
                            ("reason", reason),
                        ],
                    ),
                    None => format!("{} ({})", p.number, s.prompt_outcome(ack.outcome)),
                },
                None => format!("{} ({})", p.number, s.prompt_waiting),
            })
            .collect();
        details.push(detail(&s.history_prompts, prompts.join(", ")));
    }
    if !record.orientations.is_empty() {
        details.push(detail(&s.field_orientations, record.orientations.join(", ")));
    }
    details
}

/// A callback in one line: the queue's marker when pending (overdue, due soon, flagged), its
/// due time, priority, status and note.
pub(super) fn callback_spans<'a>(app: &'a App, callback: &Callback, theme: &Theme) -> Vec<Span<'a>> {
    let s = app.strings;
    let pending = callback.status == CallbackStatus::Pending;
    let mut spans = Vec::new();
    if pending {
        let (overdue, soon) = (callback.is_overdue(app.now), callback.is_due_soon(app.now));
        let (marker, style) = super::callbacks::due_marker(app, callback.flagged, overdue, soon, theme);
        if !marker.is_empty() {
            spans.push(Span::styled(marker, style));
            spans.push(Span::raw(" "));
        }
    } else if callback.flagged {
        spans.push(Span::styled(format!("{} ", s.callback_flagged), theme.muted()));
    }
    let mut text = format!(
        "{} · {} · {}",
        short_date_and_time(app, callback.due_at),
        s.priority(callback.priority),
        s.callback_status(callback.status)
    );
    if callback.channel != PHONE {
        let channel = app.channels.label(&callback.channel, s.is_english());
        text.push_str(&format!(" · {}", s.fill(&s.reply_by, &[("channel", channel)])));
    }
    if !callback.note.is_empty() {
        text.push_str(&format!(" · {}", callback.note));
    }
    spans.push(Span::styled(text, if pending { theme.title() } else { theme.muted() }));
    spans
}

fn agreement(s: &Strings, agreed: bool) -> &str {
    if agreed { &s.closure_with_agreement } else { &s.closure_without_agreement }
}
