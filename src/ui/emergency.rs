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
    if let Some(call) = &session.call
        && !call.prompts.is_empty()
    {
        let given: Vec<String> =
            call.prompts.iter().map(|p| format!("{} ({})", p.number, clock(app, p.raised_at))).collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", s.numbers_given), theme.label()),
            Span::raw(given.join(", ")),
        ]));
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
