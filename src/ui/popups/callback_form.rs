//! Scheduling a callback: when, priority, number, consent, who, a note.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Boxed, Draw, boxed, cursor, error_and_hint};
use crate::app::popup::{CallbackForm, assignee_options};
use crate::app::{App, Session};
use crate::config::preset_label;
use crate::domain::callback::{Assignee, Priority};
use crate::domain::channel::PHONE;
use crate::domain::due::parse_due;
use crate::ui::format::date_and_time;
use crate::ui::theme::Theme;

impl Draw for CallbackForm {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        boxed(frame, area, theme, form(app, session, self, theme));
    }
}

/// How an assignee reads: "me", "anyone" or a name.
pub fn assignee_label(app: &App, session: &Session, assignee: Assignee) -> String {
    let s = app.strings;
    match assignee {
        Assignee::Anyone => s.callback_anyone.clone(),
        Assignee::Listener(id) if id == session.actor.id => s.callback_me.clone(),
        Assignee::Listener(id) => session.listener_name(id).map_or_else(|| id.to_string(), str::to_owned),
    }
}

fn form<'a>(app: &'a App, session: &'a Session, form: &'a CallbackForm, theme: &Theme) -> Boxed<'a> {
    let s = app.strings;
    let preset = app.config.callback_presets.get(form.preset).map(|p| preset_label(p, s)).unwrap_or_default();
    let rud = session.call.as_ref().map(|c| c.rud).unwrap_or_default();
    let priority = form.priority.unwrap_or(Priority::suggested(&rud));
    let assignee = assignee_options(session).get(form.assignee).copied().unwrap_or(Assignee::Anyone);
    let yes_no = |on: bool| if on { "[x]" } else { "[ ]" };
    let when = if form.when.is_empty() { format!("◀ {preset} ▶") } else { form.when.clone() };
    // A typed time shows what it resolves to before anything is saved ("demain 14h" → the date).
    let resolved = (!form.when.is_empty()).then(|| match parse_due(&form.when, app.now, app.zone()) {
        Ok(due) => format!("   → {}", date_and_time(app, due)),
        Err(_) => "   → ?".to_owned(),
    });
    // The phone's number reads as it always did; another channel says where the reply goes,
    // and that left/right changes it.
    let number_label = match form.channel.as_str() {
        PHONE => s.callback_number.clone(),
        other => s.fill(&s.reply_address, &[("channel", app.channels.label(other, s.is_english()))]),
    };
    let fields = [
        (&s.callback_when, when, true),
        (&s.callback_priority, format!("◀ {} ▶", s.priority(priority)), false),
        (&number_label, form.number.to_string(), true),
        (&s.callback_consent, yes_no(form.consent).to_owned(), false),
        (&s.callback_assignee, format!("◀ {} ▶", assignee_label(app, session, assignee)), false),
        (&s.callback_note, form.note.clone(), true),
    ];
    let mut lines: Vec<Line> = fields
        .into_iter()
        .enumerate()
        .map(|(index, (label, value, typed))| {
            let chosen = index == form.field;
            let mut spans = vec![Span::raw(format!("{}{label:<38} {value}", super::marker(chosen)))];
            if chosen && typed {
                spans.push(cursor(theme));
            }
            if let (0, Some(resolved)) = (index, &resolved) {
                spans.push(Span::styled(resolved.clone(), theme.muted()));
            }
            if index == 2 && chosen {
                let channel = app.channels.label(&form.channel, s.is_english());
                spans.push(Span::styled(format!("   ◀ {channel} ▶"), theme.muted()));
            }
            let line = Line::from(spans);
            super::highlight(line, chosen, theme)
        })
        .collect();
    error_and_hint(app, &mut lines, &form.error, &s.callback_form_hint, theme);
    let title = if form.channel == PHONE { &s.callback_form_title } else { &s.reply_form_title };
    (title.clone(), lines, 90)
}
