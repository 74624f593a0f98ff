//! The call pane: the call being taken, its fields and the notes editor.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::format::timer;
use super::keys::{fill, label};
use super::theme::Theme;
use crate::app::call_form::CallForm;
use crate::app::{App, Session};
use crate::domain::channel::PHONE;
use crate::keymap::Action;
use crate::keymap::Context;

pub fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let s = app.strings;
    let Some(call) = &session.call else {
        let mut lines = vec![
            Line::from(Span::styled(s.no_call.clone(), theme.title())),
            Line::from(""),
            Line::from(fill(app, &s.start_call_hint)),
            Line::from(fill(app, &s.start_written_hint)),
            Line::from(""),
            Line::from(Span::styled(s.quick_calls_title.clone(), theme.label())),
        ];
        for (action, call_type) in quick_actions() {
            if let Some(k) = app.keymap.key_for(Context::Main, action) {
                lines.push(Line::from(format!("  {}  {}", label(&k, s), s.call_type(call_type))));
            }
        }
        if session.shift.is_none() {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(s.no_shift_yet.clone(), theme.warning())));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    };

    let running = if call.channel == PHONE {
        s.call_running.clone()
    } else {
        s.fill(&s.contact_running, &[("channel", app.channels.label(&call.channel, s.is_english()))])
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{running} "), theme.title()),
        Span::styled(timer(call.elapsed(app.now)), theme.warning()),
    ])];
    lines.extend(fields(app, session, call, theme));
    let [fields_area, notes_area] =
        Layout::vertical([Constraint::Length(lines.len() as u16), Constraint::Min(3)]).areas(area);
    frame.render_widget(Paragraph::new(lines), fields_area);

    let notes_title = fill(app, if call.editing_notes { &s.notes_editing } else { &s.notes_idle });
    let block = Block::bordered()
        .title(Span::styled(format!(" {notes_title} "), theme.pane_title(call.editing_notes)))
        .border_style(theme.border(call.editing_notes));
    let inner = block.inner(notes_area);
    frame.render_widget(block, notes_area);
    super::draw_editor(frame, &call.notes, inner, call.editing_notes);
}

/// What the call holds so far, one labelled line a field: the pane shows it above the notes,
/// and ending the call shows it as what will be saved.
pub fn fields(app: &App, session: &Session, call: &CallForm, theme: &Theme) -> Vec<Line<'static>> {
    let s = app.strings;
    let file_code = match (call.file, &session.file) {
        (Some(id), Some(view)) if view.file.id == id => view.file.code.to_string(),
        (Some(_), _) => "…".to_owned(),
        (None, _) => s.anonymous.clone(),
    };
    let dash = || "—".to_owned();
    let field = |label: &str, value: String| {
        Line::from(vec![Span::styled(format!("{label:<13}"), theme.label()), Span::raw(value)])
    };
    // A call says nothing of its channel: the phone is the default, and its pane stays as it was.
    let channel = (call.channel != PHONE)
        .then(|| field(&s.field_channel, app.channels.label(&call.channel, s.is_english()).to_owned()));
    channel
        .into_iter()
        .chain([
            field(&s.field_type, call.call_type.map(|t| s.call_type(t).to_owned()).unwrap_or_else(dash)),
            field(&s.field_file, file_code),
            field(&s.field_themes, if call.themes.is_empty() { dash() } else { call.themes.join(", ") }),
            field(&s.field_rud, s.rud_text(&call.rud)),
            field(
                &s.field_situations,
                if call.situations.is_empty() {
                    dash()
                } else {
                    call.situations.iter().map(|v| s.situation(*v)).collect::<Vec<_>>().join(", ")
                },
            ),
            field(
                &s.field_orientations,
                if call.orientations.is_empty() { dash() } else { call.orientations.join(", ") },
            ),
            field(&s.field_outcome, call.outcome.map(|o| s.outcome(o).to_owned()).unwrap_or_else(dash)),
        ])
        .collect()
}

fn quick_actions() -> [(Action, crate::domain::call::CallType); 5] {
    use crate::domain::call::CallType;
    [
        (Action::QuickSilent, CallType::Silent),
        (Action::QuickHangUp, CallType::HangUp),
        (Action::QuickWrongNumber, CallType::WrongNumber),
        (Action::QuickAbusive, CallType::Abusive),
        (Action::QuickTesting, CallType::Testing),
    ]
}
