//! The unlock screen (also the lock screen) and the first-run setup. Draws nothing of any
//! caller: only logins, the masked passphrase and, when locked during a call, its timer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use super::format::timer;
use super::theme::Theme;
use crate::app::App;
use crate::app::gate::{Gate, Notice, SetupForm, Tone, UnlockForm};

pub fn draw(frame: &mut Frame, app: &App, gate: &Gate, area: Rect, theme: &Theme) {
    frame.render_widget(Clear, area);
    match gate {
        Gate::Unlock(form) => unlock(frame, app, form, area, theme),
        Gate::Setup(form) => setup(frame, app, form, area, theme),
    }
}

/// The mark and colour follow what the notice says: a closed shift is not an error.
fn notice_line<'a>(notice: &Notice, theme: &Theme) -> Line<'a> {
    let (mark, style) = match notice.tone {
        Tone::Done => ("✓ ", theme.ok()),
        Tone::Working => ("", theme.muted()),
        Tone::Failed => ("✗ ", theme.danger()),
    };
    Line::from(Span::styled(format!("{mark}{}", notice.text), style))
}

fn masked(text: &str) -> String {
    "•".repeat(text.chars().count())
}

fn unlock(frame: &mut Frame, app: &App, form: &UnlockForm, area: Rect, theme: &Theme) {
    let s = app.strings;
    let title = if form.locked { &s.locked_title } else { &s.unlock_title };
    let mut lines = vec![Line::from("")];
    if app.phone.ringing.is_some() {
        // Only that a call rings: nothing of who, nor of how often they called.
        lines.push(Line::from(Span::styled(format!("☎ {}", s.phone_rings_locked), theme.warning())));
        lines.push(Line::from(""));
    }
    if let Some(call) = app.session.as_ref().and_then(|session| session.call.as_ref()) {
        // The timer keeps running; nothing else of the call is shown.
        lines.push(Line::from(Span::styled(
            s.fill(&s.locked_call_running, &[("timer", &timer(call.elapsed(app.now)))]),
            theme.warning(),
        )));
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(s.unlock_who.clone(), theme.label())));
    for (index, login) in form.logins.iter().enumerate() {
        let selected = index == form.selected;
        let text = format!("{}{login}", super::marker(selected));
        lines.push(Line::from(Span::styled(
            text,
            if selected { theme.selected() } else { Default::default() },
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", s.unlock_passphrase), theme.label()),
        Span::raw(masked(&form.passphrase)),
        super::popups::cursor(theme),
    ]));
    lines.push(Line::from(""));
    if let Some(wait) = form.wait_left(app.now) {
        lines.push(Line::from(Span::styled(
            s.fill(&s.unlock_wait, &[("seconds", &wait.to_string())]),
            theme.danger(),
        )));
    } else if let Some(notice) = &form.message {
        lines.push(notice_line(notice, theme));
    }
    if !app.demo_accounts.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(s.demo_accounts.clone(), theme.label())));
        for (login, passphrase) in &app.demo_accounts {
            lines.push(Line::from(format!("  {login:<8} {passphrase}")));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(super::keys::fill(app, &s.unlock_hint), theme.muted())));
    let width = 64.min(area.width);
    let box_area = centered(area, width, super::wrapped_height(&lines, width - 2) + 2);
    let block = Block::bordered().title(Span::styled(format!(" permanence — {title} "), theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), box_area);
}

fn setup(frame: &mut Frame, app: &App, form: &SetupForm, area: Rect, theme: &Theme) {
    let s = app.strings;
    let mut lines = vec![Line::from(s.setup_intro.clone()), Line::from("")];
    let fields: [(&str, String); 4] = [
        (&s.setup_login, form.login.clone()),
        (&s.setup_name, form.display_name.clone()),
        (&s.setup_passphrase, masked(&form.passphrase)),
        (&s.setup_confirmation, masked(&form.confirmation)),
    ];
    for (index, (label, value)) in fields.into_iter().enumerate() {
        let active = index == form.field;
        lines.push(Line::from(vec![
            Span::styled(format!("{}{label:<24}", super::marker(active)), theme.label()),
            Span::styled(value, if active { theme.selected() } else { Default::default() }),
        ]));
    }
    lines.push(Line::from(""));
    if let Some(notice) = &form.message {
        lines.push(notice_line(notice, theme));
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(super::keys::fill(app, &s.setup_hint), theme.muted())));
    let width = 72.min(area.width);
    let box_area = centered(area, width, super::wrapped_height(&lines, width - 2) + 2);
    let block =
        Block::bordered().title(Span::styled(format!(" permanence — {} ", s.setup_title), theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), box_area);
}
