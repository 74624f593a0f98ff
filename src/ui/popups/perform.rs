//! Performing a callback: the number, large, what is known of it, and what the keys record.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::{Boxed, Draw, boxed};
use crate::app::popup::PerformForm;
use crate::app::{App, Session};
use crate::domain::channel::{AddressKind, PHONE};
use crate::ui::format::date_and_time;
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for PerformForm {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        boxed(frame, area, theme, perform(app, self, theme));
    }
}

fn perform<'a>(app: &'a App, form: &'a PerformForm, theme: &Theme) -> Boxed<'a> {
    let s = app.strings;
    let entry = &form.entry;
    // A reply due in writing is told as one: its title, its address, what its keys do.
    let channel = form.callback.as_ref().map_or(&entry.channel, |c| &c.channel);
    let reply = channel != PHONE;
    let title = if reply { &s.perform_reply_title } else { &s.perform_title };
    let title = s.fill(title, &[("code", entry.file_code.as_str())]);
    let Some(callback) = &form.callback else {
        return (title, vec![Line::from(Span::styled(s.perform_taking.clone(), theme.muted()))], 70);
    };
    // Dialled by the phone (a callback by phone only): the listener neither types nor reads it.
    let dialled = app.phone.dials(callback);
    let number = match callback.callback_number.as_ref() {
        Some(_) if dialled => s.perform_dialled.as_str(),
        Some(number) => number.as_str(),
        None => "—",
    };
    // A number is read in pairs; an address (a reply due in writing) as it was typed.
    let address = app.channels.address(&callback.channel);
    let spaced: String = match address {
        _ if dialled => number.to_owned(),
        AddressKind::Phone => number
            .chars()
            .collect::<Vec<_>>()
            .chunks(2)
            .map(|p| p.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" "),
        AddressKind::Email | AddressKind::Text => number.to_owned(),
    };
    let label = match callback.channel.as_str() {
        PHONE => s.callback_number.clone(),
        other => s.fill(&s.reply_address, &[("channel", app.channels.label(other, s.is_english()))]),
    };
    let mut lines = vec![
        Line::from(Span::styled(format!("{label} "), theme.label())),
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
    lines.push(Line::from(Span::styled(
        fill(app, if reply { &s.perform_reply_hint } else { &s.perform_hint }),
        theme.muted(),
    )));
    (title, lines, 80)
}
