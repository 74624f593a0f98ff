//! A known caller, before anything else: the last call, the last RUD rated, pending
//! callbacks, instructions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Boxed, Draw, boxed};
use crate::app::{App, Session};
use crate::domain::file_record::RepeatCaller;
use crate::ui::format::date_and_time;
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for RepeatCaller {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        boxed(frame, area, theme, repeat_caller(app, self, area.width, theme));
    }
}

/// The repeat-caller banner: the last call (what it recorded), the last RUD rated with the
/// call it comes from, the file's pending callbacks (overdue first) and its instructions.
/// Laid out for `area_width`, so wrapped lines stay under their item.
fn repeat_caller<'a>(app: &'a App, repeat: &'a RepeatCaller, area_width: u16, theme: &Theme) -> Boxed<'a> {
    const WIDTH: u16 = 90;
    let inner = WIDTH.min(area_width).saturating_sub(2);
    let s = app.strings;
    let last = &repeat.last_call;
    let calls = s.fill(
        &s.count(repeat.earlier_calls as u64, &s.repeat_calls_one, &s.repeat_calls),
        &[
            ("count", &repeat.earlier_calls.to_string()),
            ("date", &date_and_time(app, last.started_at)),
            ("type", s.call_type(last.call_type)),
        ],
    );
    let mut lines = crate::ui::hanging(vec![Span::styled(calls, theme.title())], 2, inner);
    for detail in crate::ui::caller_file::call_details(app, last, false, theme) {
        lines.extend(crate::ui::hanging(detail, 4, inner));
    }
    let rud = match &repeat.last_rud {
        Some(rated) => {
            let template = if rated.on_last_call { &s.repeat_rud } else { &s.repeat_rud_older };
            let date = date_and_time(app, rated.call_started_at);
            s.fill(template, &[("rud", &s.rud_text(&rated.rud)), ("date", &date)])
        }
        None => s.repeat_no_rud.clone(),
    };
    lines.extend(crate::ui::hanging(vec![Span::raw(rud)], 2, inner));
    if !repeat.pending_callbacks.is_empty() {
        let count = repeat.pending_callbacks.len().to_string();
        let title = s.fill(&s.repeat_callbacks, &[("count", &count)]);
        lines.push(Line::from(Span::styled(title, theme.label())));
        for callback in &repeat.pending_callbacks {
            let mut spans = vec![Span::raw("  ")];
            spans.extend(crate::ui::caller_file::callback_spans(app, callback, theme));
            lines.extend(crate::ui::hanging(spans, 4, inner));
        }
    }
    if repeat.instructions.is_empty() {
        lines.push(Line::from(Span::styled(s.repeat_no_instructions.clone(), theme.muted())));
    } else {
        let instructions = format!("▶ {} : {}", s.file_instructions, repeat.instructions);
        lines.extend(crate::ui::hanging(vec![Span::styled(instructions, theme.instructions())], 2, inner));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(fill(app, &s.press_enter), theme.muted())));
    (s.repeat_title.clone(), lines, WIDTH)
}
