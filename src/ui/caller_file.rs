//! The caller file pane: the linked file, its instructions first, then its history.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::call::rud_text;
use super::format::{date_and_time, day_and_time, length};
use super::theme::Theme;
use crate::app::{App, Session};
use crate::domain::caller_file::FileStatus;

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
    let status = match file.status {
        FileStatus::Open => &s.file_open,
        FileStatus::FollowUp => &s.file_follow_up,
        FileStatus::Closed => &s.file_closed,
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(file.code.to_string(), theme.title()),
        Span::raw(format!("  {status}")),
        Span::styled(format!("  {} {}", s.file_since, date_and_time(app, file.created_at)), theme.muted()),
    ])];
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
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        s.fill(&s.file_history, &[("count", &view.history.len().to_string())]),
        theme.label(),
    )));
    for call in &view.history {
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
        lines.push(Line::from(Span::styled(head, theme.title())));
        if call.record.rud != Default::default() {
            lines.push(Line::from(format!("  RUD {}", rud_text(s, &call.record.rud))));
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
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
