//! Drawing: pure functions of `&App` into a ratatui frame. Nothing here changes state or
//! touches the store. Before unlock (and while locked) only the gate screens are drawn, so
//! no caller data can reach the screen.

mod call;
mod callbacks;
mod caller_file;
mod emergency;
mod format;
pub mod keys;
mod lock;
mod phone;
mod popups;
mod status_bar;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::keys::KeyRoute;
use crate::app::{App, Pane, Session};
use crate::keymap::Action;
use crate::keymap::Context;
use keys::label;
use theme::Theme;

/// Below this the layout would break: a message asks for a larger window instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;
/// From this size the four panes show side by side; below, one pane at a time with tabs.
pub const WIDE_WIDTH: u16 = 120;
pub const WIDE_HEIGHT: u16 = 30;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let theme = Theme::new(app.colors);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, app, area, &theme);
    } else {
        match (&app.gate, &app.session) {
            (Some(gate), _) => lock::draw(frame, app, gate, area, &theme),
            (None, Some(session)) => main_screen(frame, app, session, area, &theme),
            (None, None) => {}
        }
    }
    strip_unsafe(frame.buffer_mut());
}

/// The frame's last pass: nothing a terminal would obey reaches it. ratatui drops C0 and C1
/// controls from text, but keeps bidirectional overrides and isolates (zero-width, appended
/// to the cell before them), which make a name or a note read differently from what it holds.
/// Names are refused with them at creation; notes, and names stored before, may hold them.
fn strip_unsafe(buffer: &mut ratatui::buffer::Buffer) {
    for cell in buffer.content.iter_mut() {
        if cell.symbol().chars().any(crate::printable::is_unsafe) {
            let kept: String = cell.symbol().chars().filter(|c| !crate::printable::is_unsafe(*c)).collect();
            cell.set_symbol(if kept.is_empty() { " " } else { &kept });
        }
    }
}

fn too_small(frame: &mut Frame, app: &App, area: Rect, theme: &Theme) {
    let s = app.strings;
    let text = s.fill(
        &s.too_small,
        &[("min", &format!("{MIN_WIDTH}×{MIN_HEIGHT}")), ("now", &format!("{}×{}", area.width, area.height))],
    );
    frame.render_widget(Paragraph::new(text).style(theme.warning()).wrap(Wrap { trim: true }), area);
}

fn main_screen(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    // As many rows as the advice needs at this width: emergency text is never cut.
    let banner_lines = emergency::banner_lines(app, session, area.width);
    let banner_height = u16::try_from(banner_lines.len()).unwrap_or(u16::MAX);
    let message_row = status_bar::message_row(app, session, area, theme);
    let phone_lines = phone::banner_lines(app, session, area.width);
    let phone_height = u16::try_from(phone_lines.len()).unwrap_or(u16::MAX);
    let [status, message, phone_band, banner, body, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(message_row)),
        Constraint::Length(phone_height),
        Constraint::Length(banner_height),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    status_bar::draw(frame, app, session, status, message_row.then_some(message), theme);
    phone::draw_banner(frame, app, phone_lines, phone_band, theme);
    emergency::draw_banner(frame, banner_lines, banner, theme);
    if area.width >= WIDE_WIDTH && area.height >= WIDE_HEIGHT {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(body);
        let [call_area, emergency_area] =
            Layout::vertical([Constraint::Percentage(68), Constraint::Percentage(32)]).areas(left);
        let [file_area, callbacks_area] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(right);
        for (pane, pane_area) in [
            (Pane::Call, call_area),
            (Pane::File, file_area),
            (Pane::Emergency, emergency_area),
            (Pane::Callbacks, callbacks_area),
        ] {
            draw_pane(frame, app, session, pane, pane_area, theme);
        }
    } else {
        let [tabs, pane_area] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
        draw_tabs(frame, app, session, tabs, theme);
        draw_pane(frame, app, session, session.focus, pane_area, theme);
    }
    draw_hints(frame, app, hints, theme);
    popups::draw(frame, app, session, area, theme);
}

fn draw_pane(frame: &mut Frame, app: &App, session: &Session, pane: Pane, area: Rect, theme: &Theme) {
    let focused = session.focus == pane;
    // Where the selection is in the queue: moving through it never wraps around unseen.
    let position = match pane {
        Pane::Callbacks if !session.queue.is_empty() => {
            format!(" · {}/{}", session.queue_selected + 1, session.queue.len())
        }
        _ => String::new(),
    };
    let title = format!(" {} {}{position} ", pane_number(pane), pane_title(app, pane));
    let block = Block::bordered()
        .title(Line::from(Span::styled(title, theme.pane_title(focused))))
        .border_style(theme.border(focused))
        .border_type(theme.border_type(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match pane {
        Pane::Call => call::draw(frame, app, session, inner, theme),
        Pane::File => caller_file::draw(frame, app, session, inner, theme),
        Pane::Emergency => emergency::draw(frame, app, session, inner, theme),
        Pane::Callbacks => callbacks::draw(frame, app, session, inner, theme),
    }
}

fn pane_number(pane: Pane) -> usize {
    Pane::ALL.iter().position(|p| *p == pane).unwrap_or(0) + 1
}

fn pane_title(app: &App, pane: Pane) -> &str {
    let s = app.strings;
    match pane {
        Pane::Call => &s.pane_call,
        Pane::File => &s.pane_file,
        Pane::Emergency => &s.pane_emergency,
        Pane::Callbacks => &s.pane_callbacks,
    }
}

fn draw_tabs(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let mut spans = Vec::new();
    for pane in Pane::ALL {
        let focused = session.focus == pane;
        let mut label = format!(" {} {} ", pane_number(pane), pane_title(app, pane));
        if pane == Pane::Callbacks {
            let due = session.queue.iter().filter(|e| e.is_overdue(app.now)).count();
            if due > 0 {
                label = format!(" {} {} ({due}) ", pane_number(pane), pane_title(app, pane));
            }
        }
        if focused {
            label = format!("[{}]", label.trim());
        }
        spans.push(Span::styled(label, theme.tab(focused)));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(keys::fill(app, &app.strings.tabs_hint), theme.muted()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The keys that do something here: where a key goes now (`App::key_route`, which key
/// handling reads too), read from the live keymap, without the keys that would only be refused
/// (`App::offers`). Over a popup, which says its own keys, only the global keys that still work
/// there. What does not fit is dropped whole, least useful first (`hint_rank`); the emergency
/// card and the help (which lists every key) always stay.
fn draw_hints(frame: &mut Frame, app: &App, area: Rect, theme: &Theme) {
    let s = app.strings;
    let route = app.key_route();
    // (text, rank), in the order shown.
    let mut hints: Vec<(String, u8)> = Vec::new();
    if route == KeyRoute::Notes {
        // Typing: what this is and how to leave stay; the editor's own keys may give way.
        for (index, part) in keys::fill(app, &s.hint_editing).split(" · ").enumerate() {
            hints.push((part.to_owned(), if index < 2 { 0 } else { 3 }));
        }
    }
    const LAST: [Action; 3] = [Action::EmergencyCard, Action::Help, Action::Lock];
    let (listed, last): (&[Context], &[Action]) = match route {
        KeyRoute::Panes(contexts) => (contexts, &LAST),
        KeyRoute::Popup(_) => (&[], &crate::app::keys::OVER_POPUPS),
        KeyRoute::Notes | KeyRoute::Gate => (&[], &LAST),
    };
    let mut shown = Vec::new();
    for context in listed {
        for (key, action) in app.keymap.bindings(*context) {
            // List navigation goes without saying; the last ones come last, below.
            let skip = matches!(action, Action::SelectNext | Action::SelectPrevious) || last.contains(action);
            if !skip && !shown.contains(action) && app.offers(*action) {
                shown.push(*action);
                hints.push((format!("{} {}", label(key, s), s.action_short(*action)), hint_rank(*action)));
            }
        }
    }
    for action in last.iter().copied().filter(|a| app.offers(*a)) {
        let contexts = listed.iter().chain([&Context::Global]);
        if let Some(key) = contexts.into_iter().find_map(|c| app.keymap.key_for(*c, action)) {
            hints.push((format!("{} {}", label(&key, s), s.action_short(action)), hint_rank(action)));
        }
    }
    const SEPARATOR: &str = " · ";
    let width = |hints: &[(String, u8)]| {
        hints.iter().map(|(text, _)| Span::raw(text.as_str()).width()).sum::<usize>()
            + Span::raw(SEPARATOR).width() * hints.len().saturating_sub(1)
    };
    while width(&hints) > usize::from(area.width) {
        // The least useful, the last of them first.
        let Some((drop, _)) = hints
            .iter()
            .enumerate()
            .filter(|(_, (_, rank))| *rank > 0)
            .max_by_key(|(index, (_, rank))| (*rank, *index))
        else {
            break;
        };
        hints.remove(drop);
    }
    let line = hints.into_iter().map(|(text, _)| text).collect::<Vec<_>>().join(SEPARATOR);
    frame.render_widget(Paragraph::new(line).style(theme.muted()), area);
}

/// How readily a hint gives way when the bar is short: 0 never; then the keys a shift cannot
/// do without (end the call, write notes, take a call, call back); then the call's fields and
/// what a pane does; then what has another way in (a global key, the help) or is rare.
fn hint_rank(action: Action) -> u8 {
    match action {
        Action::EmergencyCard | Action::Help => 0,
        Action::EndCall | Action::EditNotes | Action::StartCall | Action::PerformCallback => 1,
        Action::LinkFile
        | Action::NewFile
        | Action::KeepAnonymous
        | Action::SearchFiles
        | Action::SupervisorView
        | Action::Statistics
        | Action::Quit
        | Action::Lock
        | Action::QuickSilent
        | Action::QuickHangUp
        | Action::QuickWrongNumber
        | Action::QuickAbusive
        | Action::QuickTesting => 3,
        _ => 2,
    }
}

/// `spans` cut to `width` columns, ending in "…" where something was cut.
pub fn shorten<'a>(spans: Vec<Span<'a>>, width: usize) -> Vec<Span<'a>> {
    if spans.iter().map(Span::width).sum::<usize>() <= width {
        return spans;
    }
    let mut left = width.saturating_sub(1);
    let mut out = Vec::new();
    for span in spans {
        if span.width() <= left {
            left -= span.width();
            out.push(span);
            continue;
        }
        let mut text = String::new();
        for c in span.content.chars() {
            let c_width = Span::raw(c.to_string()).width();
            if c_width > left {
                break;
            }
            left -= c_width;
            text.push(c);
        }
        out.push(Span::styled(format!("{}…", text.trim_end()), span.style));
        break;
    }
    out
}

/// Draws a free-text editor (notes, handover) soft-wrapped in `area`, with its cursor when
/// `cursor` is set. The editor is drawn itself, not a copy: it keeps where it scrolled and the
/// width it wraps at (its render cache), so Up and Down follow the rows on screen.
///
/// The text wraps one column short of `area`: ratatui-textarea fills a row to the last column,
/// so after a line exactly as long as a row its cursor would be drawn past the edge, out of
/// sight. That spare column is where the cursor is drawn then.
pub fn draw_editor(frame: &mut Frame, editor: &ratatui_textarea::TextArea, area: Rect, cursor: bool) {
    let text = Rect { width: area.width.saturating_sub(1).max(1), ..area };
    if !cursor {
        let mut copy = editor.clone();
        copy.set_cursor_style(ratatui::style::Style::default());
        frame.render_widget(&copy, text);
        return;
    }
    frame.render_widget(editor, text);
    let at = editor.screen_cursor();
    let row = at.row.checked_sub(usize::from(editor.scroll_offset().0));
    if let Some(row) = row.filter(|r| *r < usize::from(text.height))
        && at.col >= usize::from(text.width)
        && text.width < area.width
    {
        let cell = (text.right(), text.y + row as u16);
        frame.buffer_mut()[cell].set_symbol(" ").set_style(editor.cursor_style());
    }
}

/// How many rows `lines` take once wrapped at `width` columns (what `Wrap` will do, give or
/// take a word: a row of slack is added by callers where it matters).
pub fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    lines.iter().map(|line| line.width().max(1).div_ceil(width) as u16).sum()
}

/// Word-wraps `spans` to `width` columns, each line after the first starting with `indent`
/// spaces, so that what wraps in a list stays under its item instead of running back to the
/// margin. Every line fits, so `wrapped_height` counts them exactly. A word wider than a line
/// is cut.
pub fn hanging<'a>(spans: Vec<Span<'a>>, indent: usize, width: u16) -> Vec<Line<'a>> {
    let width = usize::from(width.max(1));
    let mut wrap = Hanging { width, indent: indent.min(width - 1), ..Hanging::default() };
    for span in spans {
        for piece in span.content.split_inclusive(' ') {
            let word = piece.trim_end_matches(' ');
            wrap.word(word, span.style);
            wrap.spaces(piece.len() - word.len(), span.style);
        }
    }
    if !wrap.line.is_empty() || wrap.lines.is_empty() {
        wrap.lines.push(Line::from(wrap.line));
    }
    wrap.lines
}

#[derive(Default)]
struct Hanging<'a> {
    width: usize,
    indent: usize,
    lines: Vec<Line<'a>>,
    line: Vec<Span<'a>>,
    used: usize,
    /// Whether a word is on the current line yet.
    started: bool,
    wrapped: bool,
}

impl<'a> Hanging<'a> {
    fn new_line(&mut self) {
        self.lines.push(Line::from(std::mem::take(&mut self.line)));
        self.line.push(Span::raw(" ".repeat(self.indent)));
        (self.used, self.started, self.wrapped) = (self.indent, false, true);
    }

    fn word(&mut self, word: &str, style: ratatui::style::Style) {
        let width_of = |text: &str| Span::raw(text).width();
        if word.is_empty() {
            return;
        }
        if self.started && self.used + width_of(word) > self.width {
            self.new_line();
        }
        let mut rest = word;
        while self.used + width_of(rest) > self.width {
            // Cut after as many characters as fit, at least one.
            let mut cut = rest.chars().next().map_or(0, char::len_utf8);
            let mut taken = width_of(&rest[..cut]);
            for (at, c) in rest.char_indices().skip(1) {
                let w = width_of(&rest[at..at + c.len_utf8()]);
                if self.used + taken + w > self.width {
                    break;
                }
                (cut, taken) = (at + c.len_utf8(), taken + w);
            }
            self.line.push(Span::styled(rest[..cut].to_owned(), style));
            rest = &rest[cut..];
            self.new_line();
        }
        if !rest.is_empty() {
            self.line.push(Span::styled(rest.to_owned(), style));
            self.used += width_of(rest);
            self.started = true;
        }
    }

    /// Spaces are kept where they fit, except at the start of a wrapped line.
    fn spaces(&mut self, count: usize, style: ratatui::style::Style) {
        let count = if self.wrapped && !self.started { 0 } else { count.min(self.width - self.used) };
        if count > 0 {
            self.line.push(Span::styled(" ".repeat(count), style));
            self.used += count;
        }
    }
}

/// "▶ " before the chosen line of a list or a form, two spaces before the others.
pub fn marker(chosen: bool) -> &'static str {
    if chosen { "▶ " } else { "  " }
}

/// The chosen line of a list or a form, highlighted.
pub fn highlight<'a>(line: Line<'a>, chosen: bool, theme: &Theme) -> Line<'a> {
    if chosen { line.style(theme.selected()) } else { line }
}

/// A rectangle of `width`×`height` (clamped) centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    #[test]
    fn the_last_pass_removes_what_ratatui_lets_through() {
        use ratatui::buffer::Buffer;
        use ratatui::widgets::Widget;
        // A block title is a Line: ratatui appends a zero-width override to the cell before it.
        let mut buffer = Buffer::empty(Rect::new(0, 0, 30, 3));
        Block::bordered().title(" Eve\u{202e}nommoc\u{2066} ").render(buffer.area, &mut buffer);
        Line::from("ok\u{200f}\u{1b}[2J").render(Rect::new(1, 1, 20, 1), &mut buffer);
        let unsafe_cells = |b: &Buffer| {
            b.content.iter().filter(|c| c.symbol().chars().any(crate::printable::is_unsafe)).count()
        };
        assert!(unsafe_cells(&buffer) > 0, "ratatui keeps bidirectional controls");
        strip_unsafe(&mut buffer);
        assert_eq!(unsafe_cells(&buffer), 0);
        let text: String = buffer.content.iter().map(|c| c.symbol()).collect();
        assert!(text.contains("Evenommoc") && text.contains("ok[2J"), "{text}");
    }

    #[test]
    fn wrapped_lines_hang_under_their_item() {
        let lines =
            hanging(vec![Span::raw("  Numéros "), Span::raw("3919 (sans objet : déjà suivie)")], 4, 20);
        assert_eq!(texts(&lines), ["  Numéros 3919 (sans", "    objet : déjà ", "    suivie)"]);
        assert!(lines.iter().all(|l| l.width() <= 20));
        assert_eq!(wrapped_height(&lines, 20), 3);
    }

    #[test]
    fn a_word_wider_than_a_line_is_cut_and_short_text_is_kept_whole() {
        let lines = hanging(vec![Span::raw("ab abcdefghijkl")], 2, 6);
        assert_eq!(texts(&lines), ["ab ", "  abcd", "  efgh", "  ijkl"]);
        assert_eq!(texts(&hanging(vec![Span::raw("  court")], 4, 20)), ["  court"]);
        assert_eq!(texts(&hanging(Vec::new(), 4, 20)), [""]);
        assert_eq!(texts(&hanging(vec![Span::raw("été")], 2, 1)), ["é", "t", "é"]);
    }
}
