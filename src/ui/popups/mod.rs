//! Popups over the main screen, one file each beside its `app::popup` twin. Only the top of
//! the stack is drawn: it is the one that takes the keys.

mod acknowledge;
mod callback_form;
mod callback_text;
mod card;
mod channel;
mod closure;
mod end_shift;
mod file_form;
mod help;
mod list;
mod messages;
mod notes;
mod perform;
mod questions;
mod reason;
mod reassign;
mod repeat_caller;
mod rud;
mod search;
mod statistics;
mod supervisor;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::centered;
use super::keys::fill;
use super::theme::Theme;
pub use super::{highlight, marker};
use crate::app::popup::with_popup;
use crate::app::{App, Session};

pub use callback_form::assignee_label;

/// How a popup draws itself over `area` (the whole screen).
pub trait Draw {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme);
}

pub fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    if let Some(popup) = session.popups.last() {
        with_popup!(popup, inner => inner.draw(frame, app, session, area, theme));
    }
}

/// The whole-screen views keep the status line above them, and the message's own row when it
/// has one: what the last change did ("the shift is closed, its summary is in …") stays read.
pub fn below_message(app: &App, session: &Session, area: Rect, theme: &Theme) -> Rect {
    match super::status_bar::message_row(app, session, area, theme) {
        true => Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area },
        false => area,
    }
}

/// A boxed popup's title, lines and width.
pub type Boxed<'a> = (String, Vec<Line<'a>>, u16);

/// Draws a popup box in the middle of `area`: as wide as asked (or the screen), as tall as its
/// lines need once wrapped.
pub fn boxed(frame: &mut Frame, area: Rect, theme: &Theme, (title, lines, width): Boxed) {
    let width = width.min(area.width);
    let height = (super::wrapped_height(&lines, width.saturating_sub(2)) + 2).min(area.height);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), theme.title()))
        .border_type(BorderType::Double);
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), popup);
}

/// Where typing goes.
pub fn cursor(theme: &Theme) -> Span<'static> {
    Span::styled("▏", theme.title())
}

/// A blank line, the error if there is one, then what the keys do (both may name keys).
pub fn error_and_hint<'a>(
    app: &App,
    lines: &mut Vec<Line<'a>>,
    error: &Option<String>,
    hint: &str,
    theme: &Theme,
) {
    lines.push(Line::from(""));
    if let Some(error) = error {
        lines.push(Line::from(Span::styled(format!("✗ {}", fill(app, error)), theme.danger())));
    }
    lines.push(Line::from(Span::styled(fill(app, hint), theme.muted())));
}

/// A message, a blank line, and what the keys do.
pub fn message_lines<'a>(app: &App, body: String, keys: &str, theme: &Theme) -> Vec<Line<'a>> {
    vec![Line::from(body), Line::from(""), Line::from(Span::styled(fill(app, keys), theme.muted()))]
}
