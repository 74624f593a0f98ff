//! The phone's band under the status line: a call ringing (and what its number said: withheld,
//! never heard, or heard before with when and which files), the line of the call being taken,
//! or when it dropped. Never the number.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::emergency::wrap_words;
use super::format::{clock, date_and_time};
use super::keys::fill;
use super::theme::Theme;
use crate::app::{App, Session};
use crate::domain::phone::CallerHistory;

/// The band's rows at this width; none when the phone has nothing to say.
pub fn banner_lines(app: &App, session: &Session, width: u16) -> Vec<String> {
    let s = app.strings;
    let phone = &app.phone;
    let mut paragraphs = Vec::new();
    if let Some(ringing) = &phone.ringing {
        paragraphs.push(fill(app, &s.fill(&s.phone_ringing, &[("since", &clock(app, ringing.since))])));
        if ringing.withheld {
            paragraphs.push(s.phone_withheld.clone());
        } else if let Some(history) = &ringing.history {
            paragraphs.extend(history_lines(app, history, false));
        }
    } else if let Some(call) = &session.call {
        if let Some(ended) = call.line_ended_at() {
            paragraphs.push(s.fill(&s.phone_line_down, &[("time", &clock(app, ended))]));
        } else if phone.live.is_some() {
            paragraphs.push(fill(app, &s.phone_live));
        }
        if let Some(history) = phone.known.as_ref().filter(|_| call.file.is_none()) {
            paragraphs.extend(history_lines(app, history, true));
        }
    }
    let text_width = usize::from(width).saturating_sub(2).max(1);
    paragraphs.iter().flat_map(|p| wrap_words(p, text_width)).map(|row| format!(" {row}")).collect()
}

/// What the number's earlier calls say; the files only once the call is answered (the link
/// key then acts on them).
fn history_lines(app: &App, history: &CallerHistory, answered: bool) -> Vec<String> {
    let s = app.strings;
    let Some(last) = history.last_at.filter(|_| history.calls > 0) else {
        return vec![s.phone_first_time.clone()];
    };
    let mut lines = vec![s.fill(
        &s.phone_called_before,
        &[("count", &history.calls.to_string()), ("last", &date_and_time(app, last))],
    )];
    if answered && !history.files.is_empty() {
        let codes: Vec<&str> = history.files.iter().map(|(_, code)| code.as_str()).collect();
        lines.push(fill(app, &s.fill(&s.phone_known_files, &[("codes", &codes.join(", "))])));
    }
    lines
}

pub fn draw_banner(frame: &mut Frame, app: &App, lines: Vec<String>, area: Rect, theme: &Theme) {
    let style = if app.phone.ringing.is_some() { theme.warning() } else { theme.title() };
    let lines: Vec<Line> = lines.into_iter().map(Line::from).collect();
    frame.render_widget(Paragraph::new(lines).style(style), area);
}
