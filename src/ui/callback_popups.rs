//! The callback popups: the scheduling form, performing a callback, and a supervisor's
//! reassigning, rescheduling and cancelling.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::file_popups::{Drawn, cursor, error_and_hint};
use super::format::date_and_time;
use super::theme::Theme;
use crate::app::callbacks::{assignee_options, listener_name};
use crate::app::popup::{CallbackForm, CallbackTextForm, PerformForm, ReassignForm};
use crate::app::{App, Session};
use crate::config::preset_label;
use crate::domain::callback::{Assignee, Priority};
use crate::domain::due::parse_due;

/// How an assignee reads: "me", "anyone" or a name.
pub fn assignee_label(app: &App, session: &Session, assignee: Assignee) -> String {
    let s = app.strings;
    match assignee {
        Assignee::Anyone => s.callback_anyone.clone(),
        Assignee::Listener(id) if id == session.actor.id => s.callback_me.clone(),
        Assignee::Listener(id) => listener_name(session, id).map_or_else(|| id.to_string(), str::to_owned),
    }
}

pub fn form<'a>(app: &'a App, session: &'a Session, form: &'a CallbackForm, theme: &Theme) -> Drawn<'a> {
    let s = app.strings;
    let preset = app.config.callback_presets.get(form.preset).map(|p| preset_label(p, s)).unwrap_or_default();
    let rud = session.call.as_ref().map(|c| c.rud).unwrap_or_default();
    let priority = form.priority.unwrap_or(Priority::suggested(&rud));
    let assignee = assignee_options(session).get(form.assignee).copied().unwrap_or(Assignee::Anyone);
    let yes_no = |on: bool| if on { "[x]" } else { "[ ]" };
    let when = if form.when.is_empty() { format!("◀ {preset} ▶") } else { form.when.clone() };
    // A typed time shows what it resolves to before anything is saved ("demain 14h" → the date).
    let resolved = (!form.when.is_empty()).then(|| match parse_due(&form.when, app.now, app.offset) {
        Ok(due) => format!("   → {}", date_and_time(app, due)),
        Err(_) => "   → ?".to_owned(),
    });
    let fields = [
        (&s.callback_when, when, true),
        (&s.callback_priority, format!("◀ {} ▶", s.priority(priority)), false),
        (&s.callback_number, form.number.to_string(), true),
        (&s.callback_consent, yes_no(form.consent).to_owned(), false),
        (&s.callback_assignee, format!("◀ {} ▶", assignee_label(app, session, assignee)), false),
        (&s.callback_note, form.note.clone(), true),
    ];
    let mut lines: Vec<Line> = fields
        .into_iter()
        .enumerate()
        .map(|(index, (label, value, typed))| {
            let chosen = index == form.field;
            let mut spans =
                vec![Span::raw(format!("{} {label:<38} {value}", if chosen { "▶" } else { " " }))];
            if chosen && typed {
                spans.push(cursor(theme));
            }
            if let (0, Some(resolved)) = (index, &resolved) {
                spans.push(Span::styled(resolved.clone(), theme.muted()));
            }
            let line = Line::from(spans);
            if chosen { line.style(theme.selected()) } else { line }
        })
        .collect();
    error_and_hint(&mut lines, &form.error, &s.callback_form_hint, theme);
    (s.callback_form_title.clone(), lines, 90)
}

pub fn perform<'a>(app: &'a App, form: &'a PerformForm, theme: &Theme) -> Drawn<'a> {
    let s = app.strings;
    let entry = &form.entry;
    let title = s.fill(&s.perform_title, &[("code", entry.file_code.as_str())]);
    let Some(callback) = &form.callback else {
        return (title, vec![Line::from(Span::styled(s.perform_taking.clone(), theme.muted()))], 70);
    };
    let number = callback.callback_number.as_ref().map_or("—", |n| n.as_str());
    let spaced: String = number
        .chars()
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|p| p.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let mut lines = vec![
        Line::from(Span::styled(format!("{} ", s.callback_number), theme.label())),
        Line::from(Span::styled(format!("   {spaced}   "), theme.title().add_modifier(Modifier::REVERSED))),
        Line::from(""),
        Line::from(format!("{} : {}", s.access_due, date_and_time(app, callback.due_at))),
    ];
    if !callback.note.is_empty() {
        lines.push(Line::from(format!("{} : {}", s.callback_note, callback.note)));
    }
    if !callback.attempts.is_empty() {
        let tries: Vec<String> = callback
            .attempts
            .iter()
            .map(|a| format!("{} ({})", date_and_time(app, a.at), s.attempt_result(a.result)))
            .collect();
        lines.push(Line::from(format!("{} : {}", s.perform_earlier, tries.join(", "))));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(s.perform_hint.clone(), theme.muted())));
    (title, lines, 80)
}

pub fn reassign<'a>(app: &'a App, session: &'a Session, form: &'a ReassignForm, theme: &Theme) -> Drawn<'a> {
    let s = app.strings;
    let options =
        std::iter::once(s.callback_anyone.clone()).chain(session.listeners.iter().map(|(_, n)| n.clone()));
    let mut lines: Vec<Line> = options
        .enumerate()
        .map(|(index, name)| {
            let line = Line::from(format!("{} {name}", if index == form.selected { "▶" } else { " " }));
            if index == form.selected { line.style(theme.selected()) } else { line }
        })
        .collect();
    error_and_hint(&mut lines, &None, &s.reassign_hint, theme);
    (s.fill(&s.reassign_title, &[("code", form.entry.file_code.as_str())]), lines, 60)
}

pub fn text<'a>(app: &'a App, form: &'a CallbackTextForm, rescheduling: bool, theme: &Theme) -> Drawn<'a> {
    let s = app.strings;
    let (title, label, hint) = if rescheduling {
        (&s.reschedule_title, &s.reschedule_label, &s.reschedule_hint)
    } else {
        (&s.cancel_callback_title, &s.reason_label, &s.reason_hint)
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{label} "), theme.label()),
        Span::raw(form.text.clone()),
        cursor(theme),
    ])];
    error_and_hint(&mut lines, &form.error, hint, theme);
    (s.fill(title, &[("code", form.entry.file_code.as_str())]), lines, 80)
}
