//! The emergency pane: the numbers to give, and those given on this call.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::format::clock;
use super::theme::Theme;
use crate::app::{App, Session};
use crate::domain::emergency::{Channel, NumberKind};
use crate::keymap::Action;
use crate::keymap::Context;

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
    if app.keymap.key_for(Context::Global, Action::EmergencyCard).is_some() {
        lines.push(Line::from(Span::styled(super::keys::fill(app, &s.card_hint), theme.muted())));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// The life-risk numbers waiting for acknowledgement on the current call (each with its
/// channel when it is not voice: 114 must never be dialled), and what to do.
fn banner_text(app: &App, session: &Session) -> Option<(Vec<String>, Vec<String>)> {
    let s = app.strings;
    let call = session.call.as_ref()?;
    let mut numbers = Vec::new();
    let mut advice: Vec<String> = Vec::new();
    for (_, prompt) in call.pending_prompts() {
        let Some(entry) = app.directory.get(&prompt.number).filter(|e| e.life_risk) else { continue };
        numbers.push(match entry.channel {
            Channel::Voice => prompt.number.clone(),
            Channel::SmsVideoText => format!("{} ({})", prompt.number, s.channel_no_voice),
        });
        if let Some(rule) = app.rules.get(&prompt.rule) {
            let text = s.advice(rule).to_owned();
            if !advice.contains(&text) {
                advice.push(text);
            }
        }
    }
    (!numbers.is_empty()).then_some((numbers, advice))
}

/// The banner's rows at `width` columns: the numbers and the key to acknowledge them, then
/// each piece of advice, word-wrapped so that nothing is ever cut (the banner grows instead).
/// Empty when no life-risk number waits.
pub fn banner_lines(app: &App, session: &Session, width: u16) -> Vec<String> {
    let Some((numbers, advice)) = banner_text(app, session) else { return Vec::new() };
    let head =
        format!("⚠ {} — {} !!", numbers.join(" · "), super::keys::fill(app, &app.strings.banner_ack_hint));
    // "!!" starts each paragraph, so that it reads as an alarm without colour too.
    let text_width = usize::from(width).saturating_sub(4).max(1);
    let mut lines = Vec::new();
    for paragraph in std::iter::once(&head).chain(&advice) {
        for (row, text) in wrap_words(paragraph, text_width).into_iter().enumerate() {
            lines.push(format!("{}{text}", if row == 0 { " !! " } else { "    " }));
        }
    }
    lines
}

/// A red band across the screen, drawn in the very next frame after a life-risk number is
/// prompted, until it is acknowledged. Without colour: reverse video and "!!" markers.
pub fn draw_banner(frame: &mut Frame, lines: Vec<String>, area: Rect, theme: &Theme) {
    let lines: Vec<Line> = lines.into_iter().map(Line::from).collect();
    frame.render_widget(Paragraph::new(lines).style(theme.danger()), area);
}

/// `text` cut into rows of at most `width` columns, between words where it can be (a word
/// longer than a row is split).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let columns = |s: &str| Span::raw(s).width();
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let gap = usize::from(!row.is_empty());
        if !row.is_empty() && columns(&row) + gap + columns(word) > width {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        for c in word.chars() {
            if !row.is_empty() && columns(&row) + columns(c.encode_utf8(&mut [0; 4])) > width {
                rows.push(std::mem::take(&mut row));
            }
            row.push(c);
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn words_wrap_between_words_and_long_ones_split() {
        assert_eq!(wrap_words("le 114 par SMS", 6), ["le 114", "par", "SMS"]);
        assert_eq!(wrap_words("jamais", 4), ["jama", "is"]);
        assert_eq!(wrap_words("", 10), [""]);
        assert_eq!(wrap_words("a b", 3), ["a b"]);
    }
}
