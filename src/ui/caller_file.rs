//! The caller file pane: the linked file, its instructions first, then its history.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::format::{date_and_time, day_and_time, length};
use super::theme::Theme;
use crate::app::{App, Pane, Session};
use crate::domain::callback::CallbackStatus;
use crate::domain::caller_file::FileEventKind;
use crate::i18n::Strings;

pub fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let s = app.strings;
    let Some(view) = &session.file else {
        let lines = vec![
            Line::from(Span::styled(s.no_file.clone(), theme.title())),
            Line::from(""),
            Line::from(s.no_file_hint.clone()),
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
    if !view.callbacks.is_empty() {
        lines.push(Line::from(Span::styled(format!("{} :", s.file_callbacks), theme.label())));
        for callback in &view.callbacks {
            let mut line = format!(
                "  {} · {} · {}",
                day_and_time(app, callback.due_at),
                s.priority(callback.priority),
                s.callback_status(callback.status)
            );
            if callback.flagged {
                line.push_str(&format!(" · {}", s.callback_flagged));
            }
            if !callback.note.is_empty() {
                line.push_str(&format!(" · {}", callback.note));
            }
            let style =
                if callback.status == CallbackStatus::Pending { theme.title() } else { theme.muted() };
            lines.push(Line::from(Span::styled(line, style)));
            for attempt in &callback.attempts {
                let who = view.authors.get(&attempt.listener_id).map(String::as_str).unwrap_or("?");
                lines.push(Line::from(format!(
                    "    ↳ {} · {} · {}",
                    day_and_time(app, attempt.at),
                    who,
                    s.attempt_result(attempt.result)
                )));
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
                format!("  {} · {} · {}", day_and_time(app, event.at), s.file_event(event.kind), who);
            if let Some(agreed) = event.caller_agreed {
                line.push_str(&format!(" · {}", agreement(s, agreed)));
            }
            if !event.reason.is_empty() {
                line.push_str(&format!(" · {}", event.reason));
            }
            lines.push(Line::from(line));
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
        let mut head = format!(
            "{} · {} · {} · {}",
            day_and_time(app, call.started_at),
            author,
            length(call.ended_at - call.started_at),
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
        lines.push(Line::from(Span::styled(format!("{marker}{head}"), style)));
        if call.record.rud != Default::default() {
            lines.push(Line::from(format!("  RUD {}", s.rud_text(&call.record.rud))));
        }
        if !call.record.prompts.is_empty() {
            let prompts: Vec<String> = call
                .record
                .prompts
                .iter()
                .map(|p| match &p.acknowledgement {
                    Some(ack) => format!("{} ({})", p.number, s.prompt_outcome(ack.outcome)),
                    None => format!("{} ({})", p.number, s.prompt_waiting),
                })
                .collect();
            lines.push(Line::from(format!("  {} {}", s.history_prompts, prompts.join(", "))));
        }
        if !call.record.orientations.is_empty() {
            lines.push(Line::from(format!(
                "  {} {}",
                s.field_orientations,
                call.record.orientations.join(", ")
            )));
        }
        if !call.record.notes.is_empty() {
            lines.push(Line::from(format!("  {}", call.record.notes.replace('\n', " ⏎ "))));
        }
    }
    // The hint takes the last line when the pane has the focus; the chosen call is kept in
    // view by scrolling to a little above it.
    let body = if focused && area.height > 2 {
        let [body, hint] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
        frame.render_widget(Paragraph::new(Span::styled(s.file_hint.clone(), theme.muted())), hint);
        body
    } else {
        area
    };
    let scroll = if selected_line > 0 && session.file_selected > 0 {
        super::wrapped_height(&lines[..selected_line], body.width).saturating_sub(2)
    } else {
        0
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), body);
}

fn agreement(s: &Strings, agreed: bool) -> &str {
    if agreed { &s.closure_with_agreement } else { &s.closure_without_agreement }
}
