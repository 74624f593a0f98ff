//! What was done with each prompted number: the pending numbers with their advice, the
//! outcome chosen, and the word why when it is not relevant.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Draw, boxed, cursor, highlight};
use crate::app::popup::AckForm;
use crate::app::{App, Session};
use crate::domain::prompt::PromptOutcome;
use crate::ui::format::clock;
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for AckForm {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        let lines = ack_lines(app, session, self, theme);
        boxed(frame, area, theme, (app.strings.ack_title.clone(), lines, 90));
    }
}

fn ack_lines<'a>(app: &'a App, session: &'a Session, form: &'a AckForm, theme: &Theme) -> Vec<Line<'a>> {
    let s = app.strings;
    let mut lines = Vec::new();
    let Some(call) = &session.call else { return lines };
    for (row, (_, prompt)) in call.pending_prompts().enumerate() {
        let entry = app.directory.get(&prompt.number);
        let label = entry.map(|e| s.pick(&e.label_fr, &e.label_en)).unwrap_or_default();
        let chosen = row == form.selected;
        let style = if entry.is_some_and(|e| e.life_risk) { theme.danger() } else { theme.title() };
        let line = Line::from(vec![
            Span::raw(super::marker(chosen)),
            Span::styled(format!(" {} ", prompt.number), style),
            Span::raw(format!(" {label}  ({})", clock(app, prompt.raised_at))),
        ]);
        lines.push(highlight(line, chosen, theme));
        if let Some(rule) = app.rules.get(&prompt.rule) {
            lines.push(Line::from(Span::styled(format!("     {}", s.advice(rule)), theme.muted())));
        }
    }
    lines.push(Line::from(""));
    let outcome = PromptOutcome::ALL[form.outcome.min(PromptOutcome::ALL.len() - 1)];
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", s.ack_outcome_label), theme.label()),
        Span::raw(format!("◀ {}. {} ▶", form.outcome + 1, s.prompt_outcome(outcome))),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", s.ack_note_label), theme.label()),
        Span::raw(form.note.clone()),
        cursor(theme),
    ]));
    if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(format!("✗ {error}"), theme.danger())));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(fill(app, &s.ack_hint), theme.muted())));
    lines
}
