//! The help overlay, generated from the live keymap so that it never lies.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::Draw;
use crate::app::popup::Help;
use crate::app::{App, Session};
use crate::domain::listener::Role;
use crate::keymap::Context;
use crate::ui::centered;
use crate::ui::keys::label;
use crate::ui::theme::Theme;

impl Draw for Help {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        draw(frame, app, session, area, theme)
    }
}

fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let s = app.strings;
    // A listener is shown only the keys their role may use: the supervisor's view and the
    // statistics, and their keys, are not theirs.
    let supervisor = session.actor.role == Role::Supervisor;
    let mut lines = Vec::new();
    for context in Context::ALL {
        if !supervisor && matches!(context, Context::Supervisor | Context::Statistics) {
            continue;
        }
        let title = match context {
            Context::Global => &s.help_global,
            Context::Main => &s.help_main,
            Context::Call => &s.help_call,
            Context::File => &s.help_file,
            Context::Callbacks => &s.help_callbacks,
            Context::Notes => &s.help_notes,
            Context::Popup => &s.help_popup,
            Context::Supervisor => &s.help_supervisor,
            Context::Statistics => &s.help_statistics,
        };
        lines.push(Line::from(Span::styled(title.clone(), theme.label())));
        for (key, action) in app.keymap.bindings(context) {
            if !supervisor && action.is_for_supervisors() {
                continue;
            }
            lines.push(Line::from(format!("  {:<12} {}", label(key, s), s.action_long(*action))));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(s.help_editor.clone(), theme.muted())));
    let popup = centered(area, 76, area.height.saturating_sub(2));
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(Span::styled(format!(" {} ", crate::ui::keys::fill(app, &s.help_title)), theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), popup);
}
