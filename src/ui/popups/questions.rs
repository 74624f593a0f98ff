//! Questions asked once: a callback at the end of a call, ending the call (what will be
//! saved), quitting during one, a draft found at unlock, a shift left open.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Draw, boxed, message_lines};
use crate::app::popup::{
    AnswerWhileWriting, CallbackOffer, ConfirmEndCall, ConfirmQuit, DraftRecovery, ShiftChoice,
};
use crate::app::{App, Session};
use crate::ui::format::date_and_time;
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for CallbackOffer {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let anonymous = session.call.as_ref().is_some_and(|call| call.file.is_none());
        let offer = if anonymous { &s.callback_offer_anonymous } else { &s.callback_offer };
        boxed(frame, area, theme, (s.callback_offer_title.clone(), vec![Line::from(fill(app, offer))], 60));
    }
}

impl Draw for ConfirmEndCall {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        let lines = end_call_lines(app, session, theme);
        boxed(frame, area, theme, (app.strings.end_call_title.clone(), lines, 72));
    }
}

impl Draw for ConfirmQuit {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let mut lines = vec![Line::from(fill(app, &s.quit_confirm))];
        let pending: Vec<&str> = session
            .call
            .iter()
            .flat_map(|call| call.pending_prompts().map(|(_, p)| p.number.as_str()))
            .collect();
        if !pending.is_empty() {
            lines.push(Line::from(""));
            let warning = s.fill(&s.quit_prompt_pending, &[("numbers", &pending.join(", "))]);
            lines.push(Line::from(Span::styled(warning, theme.danger())));
        }
        boxed(frame, area, theme, (s.quit_title.clone(), lines, 60));
    }
}

impl Draw for DraftRecovery {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let body = s.fill(&s.draft_found, &[("time", &date_and_time(app, self.draft.started_at))]);
        boxed(
            frame,
            area,
            theme,
            (s.draft_title.clone(), message_lines(app, body, &s.draft_choice, theme), 64),
        );
    }
}

impl Draw for ShiftChoice {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let body = s.fill(&s.shift_open_found, &[("time", &date_and_time(app, self.shift.started_at))]);
        boxed(
            frame,
            area,
            theme,
            (s.shift_title.clone(), message_lines(app, body, &s.shift_choice, theme), 64),
        );
    }
}

/// Ending a call: what will be saved (and what will still be asked), then the keys.
fn end_call_lines<'a>(app: &App, session: &Session, theme: &Theme) -> Vec<Line<'a>> {
    let s = app.strings;
    let Some(call) = &session.call else { return Vec::new() };
    let mut lines =
        vec![Line::from(Span::styled(s.end_call_will_save.clone(), theme.label())), Line::from("")];
    lines.extend(crate::ui::call::fields(app, session, call, theme));
    if let Some(spent) = call.time_spent(app.channels.kind(&call.channel), app.now) {
        let minutes = ((spent + 30) / 60).to_string();
        let said = if call.minutes_spent.is_some() { &s.time_spent_typed } else { &s.time_spent_timed };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<13}", s.field_time_spent), theme.label()),
            Span::raw(s.fill(said, &[("minutes", &minutes)])),
        ]));
    }
    let given: Vec<String> = call
        .prompts
        .iter()
        .filter_map(|p| {
            p.acknowledgement.as_ref().map(|a| format!("{} ({})", p.number, s.prompt_outcome(a.outcome)))
        })
        .collect();
    if !given.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<13}", s.field_prompts), theme.label()),
            Span::raw(given.join(", ")),
        ]));
    }
    let notes = call.notes_text();
    let notes = notes.trim();
    let words = notes.split_whitespace().count();
    let summary = if notes.is_empty() {
        s.end_call_no_notes.clone()
    } else {
        s.fill(
            s.plural(words as u64, &s.end_call_notes_one, &s.end_call_notes),
            &[("words", &words.to_string())],
        )
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<13}", s.field_notes), theme.label()),
        Span::raw(summary),
    ]));
    if call.missing().is_some() {
        lines.push(Line::from(""));
        lines.push(Line::from(s.end_call_still_asked.clone()));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(fill(app, &s.end_call_keys), theme.muted())));
    lines
}

impl Draw for AnswerWhileWriting {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        let s = app.strings;
        let lines = vec![Line::from(fill(app, &s.answer_while_writing))];
        boxed(frame, area, theme, (s.answer_while_writing_title.clone(), lines, 60));
    }
}
