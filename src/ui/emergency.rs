//! The emergency pane: the numbers to give, and those given on this call.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::format::clock;
use super::theme::Theme;
use crate::app::action::Action;
use crate::app::keymap::Context;
use crate::app::{App, Session};
use crate::domain::emergency::{Channel, NumberKind};

pub fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let s = app.strings;
    let mut lines = Vec::new();
    if let Some(call) = &session.call {
        for prompt in &call.prompts {
            let life_risk = app.directory.get(&prompt.number).is_some_and(|e| e.life_risk);
            let (state, style) = match &prompt.acknowledgement {
                None if life_risk => (format!("⚠ {}", s.prompt_waiting), theme.danger()),
                None => (format!("▲ {}", s.prompt_waiting), theme.warning()),
                Some(ack) => {
                    (format!("✓ {} {}", s.prompt_outcome(ack.outcome), clock(app, ack.at)), theme.ok())
                }
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{:>5} ", prompt.number), theme.emergency_number()),
                Span::styled(state, style),
            ]));
            if let (None, Some(rule)) = (&prompt.acknowledgement, app.rules.get(&prompt.rule)) {
                lines.push(Line::from(format!("      {}", s.advice(rule))));
            }
        }
        if !call.prompts.is_empty() {
            lines.push(Line::from(""));
        }
    }
    for entry in &app.directory.entries {
        let style = match entry.kind {
            NumberKind::Emergency => theme.emergency_number(),
            NumberKind::Orientation => theme.title(),
        };
        let mut spans = vec![
            Span::styled(format!("{:>5} ", entry.number), style),
            Span::raw(s.pick(&entry.label_fr, &entry.label_en).to_owned()),
        ];
        if entry.channel == Channel::SmsVideoText {
            spans.push(Span::styled(format!(" [{}]", s.channel_no_voice), theme.warning()));
        }
        lines.push(Line::from(spans));
    }
    if let Some(key) = app.keymap.key_for(Context::Global, Action::EmergencyCard) {
        lines.push(Line::from(Span::styled(s.fill(&s.card_hint, &[("key", &key.label(s))]), theme.muted())));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// The life-risk numbers waiting for acknowledgement on the current call, and what to do.
pub fn banner_text(app: &App, session: &Session) -> Option<(Vec<String>, Vec<String>)> {
    let s = app.strings;
    let call = session.call.as_ref()?;
    let mut numbers = Vec::new();
    let mut advice: Vec<String> = Vec::new();
    for (_, prompt) in call.pending_prompts() {
        if app.directory.get(&prompt.number).is_some_and(|e| e.life_risk) {
            numbers.push(prompt.number.clone());
            if let Some(rule) = app.rules.get(&prompt.rule) {
                let text = s.advice(rule).to_owned();
                if !advice.contains(&text) {
                    advice.push(text);
                }
            }
        }
    }
    (!numbers.is_empty()).then_some((numbers, advice))
}

/// A red band across the screen, drawn in the very next frame after a life-risk number is
/// prompted, until it is acknowledged. Without colour: reverse video and "!!" markers.
pub fn draw_banner(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let Some((numbers, advice)) = banner_text(app, session) else { return };
    let s = app.strings;
    let lines = vec![
        Line::from(format!(" !! ⚠ {} — {} !!", numbers.join(" · "), s.banner_ack_hint)),
        Line::from(format!(" !! {}", advice.join(" "))),
    ];
    frame.render_widget(Paragraph::new(lines).style(theme.danger()), area);
}
