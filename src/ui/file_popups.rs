//! The caller-file popups: search (with its filters), the repeat-caller banner, the file
//! form, closure, reasons and amending a call's notes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear};

use super::format::date_and_time;
use super::theme::Theme;
use super::{caller_file, hanging};
use crate::app::App;
use crate::app::popup::{
    ClosureForm, FileForm, FileSearch, NotesForm, ReasonForm, ReasonPurpose, SearchField, SearchPurpose,
};
use crate::domain::file_record::RepeatCaller;

/// A popup's title, lines and width; drawn by `popups::draw`.
pub type Drawn<'a> = (String, Vec<Line<'a>>, u16);

pub(super) fn cursor(theme: &Theme) -> Span<'static> {
    Span::styled("▏", theme.title())
}

pub(super) fn error_and_hint<'a>(
    lines: &mut Vec<Line<'a>>,
    error: &Option<String>,
    hint: &str,
    theme: &Theme,
) {
    lines.push(Line::from(""));
    if let Some(error) = error {
        lines.push(Line::from(Span::styled(format!("✗ {error}"), theme.danger())));
    }
    lines.push(Line::from(Span::styled(hint.to_owned(), theme.muted())));
}

pub fn search<'a>(app: &'a App, search: &'a FileSearch, theme: &Theme) -> Drawn<'a> {
    let s = app.strings;
    let marker = |field: SearchField| if search.field == field { "▶" } else { " " };
    let status = search.filter.status.map_or(s.search_all.as_str(), |st| s.file_status(st));
    let mut query = vec![
        Span::raw(marker(SearchField::Query)),
        Span::styled(format!(" {} ", s.search_prompt), theme.label()),
        Span::raw(search.query.clone()),
    ];
    let mut departement = vec![
        Span::raw(marker(SearchField::Departement)),
        Span::styled(format!(" {} ", s.search_departement), theme.label()),
        Span::raw(search.departement.clone()),
    ];
    match search.field {
        SearchField::Query => query.push(cursor(theme)),
        SearchField::Departement => departement.push(cursor(theme)),
        SearchField::Status => {}
    }
    let mut lines = vec![
        Line::from(query),
        Line::from(vec![
            Span::raw(marker(SearchField::Status)),
            Span::styled(format!(" {} ", s.search_status), theme.label()),
            Span::raw(format!("◀ {status} ▶")),
        ]),
        Line::from(departement),
        Line::from(""),
    ];
    let searched = !search.query.is_empty() || !search.filter.is_empty();
    if search.hits.is_empty() && searched {
        lines.push(Line::from(Span::styled(s.search_nothing.clone(), theme.muted())));
    }
    for (index, hit) in search.hits.iter().enumerate() {
        let last = hit.last_contact_at.map(|at| date_and_time(app, at)).unwrap_or_default();
        let summary: String = hit.summary.chars().take(36).collect();
        let line = Line::from(format!(
            "{} {}  {:<9} {:<16} {summary}",
            if index == search.selected { "▶" } else { " " },
            hit.code,
            s.file_status(hit.status),
            last
        ));
        lines.push(if index == search.selected { line.style(theme.selected()) } else { line });
    }
    let (title, hint) = match search.purpose {
        SearchPurpose::Link => (&s.search_title, format!("{} · {}", s.search_hint, s.search_filters_hint)),
        SearchPurpose::Open => (&s.search_title_open, s.search_hint_open.clone()),
    };
    error_and_hint(&mut lines, &None, &hint, theme);
    (title.clone(), lines, 90)
}

/// The repeat-caller banner: the last call (what it recorded), the last RUD rated with the
/// call it comes from, the file's pending callbacks (overdue first) and its instructions.
/// Laid out for `area_width`, so wrapped lines stay under their item.
pub fn repeat_caller<'a>(
    app: &'a App,
    repeat: &'a RepeatCaller,
    area_width: u16,
    theme: &Theme,
) -> Drawn<'a> {
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
    let mut lines = hanging(vec![Span::styled(calls, theme.title())], 2, inner);
    for detail in caller_file::call_details(app, last, false, theme) {
        lines.extend(hanging(detail, 4, inner));
    }
    let rud = match &repeat.last_rud {
        Some(rated) => {
            let template = if rated.on_last_call { &s.repeat_rud } else { &s.repeat_rud_older };
            let date = date_and_time(app, rated.call_started_at);
            s.fill(template, &[("rud", &s.rud_text(&rated.rud)), ("date", &date)])
        }
        None => s.repeat_no_rud.clone(),
    };
    lines.extend(hanging(vec![Span::raw(rud)], 2, inner));
    if !repeat.pending_callbacks.is_empty() {
        let count = repeat.pending_callbacks.len().to_string();
        let title = s.fill(&s.repeat_callbacks, &[("count", &count)]);
        lines.push(Line::from(Span::styled(title, theme.label())));
        for callback in &repeat.pending_callbacks {
            let mut spans = vec![Span::raw("  ")];
            spans.extend(caller_file::callback_spans(app, callback, theme));
            lines.extend(hanging(spans, 4, inner));
        }
    }
    if repeat.instructions.is_empty() {
        lines.push(Line::from(Span::styled(s.repeat_no_instructions.clone(), theme.muted())));
    } else {
        let instructions = format!("▶ {} : {}", s.file_instructions, repeat.instructions);
        lines.extend(hanging(vec![Span::styled(instructions, theme.instructions())], 2, inner));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(s.press_enter.clone(), theme.muted())));
    (s.repeat_title.clone(), lines, WIDTH)
}

pub fn file_form<'a>(app: &'a App, form: &'a FileForm, theme: &Theme) -> Drawn<'a> {
    let s = app.strings;
    let unset = s.file_unset.as_str();
    let choice = |text: &str| format!("◀ {text} ▶");
    let fields: [(&str, String); 7] = [
        (&s.file_status, choice(s.file_status(form.status))),
        (&s.file_age_band, choice(form.age_band.map_or(unset, |a| s.age_band(a)))),
        (&s.file_gender, choice(form.gender.map_or(unset, |g| s.gender(g)))),
        (&s.file_relation, choice(form.relation.map_or(unset, |r| s.relation(r)))),
        (&s.search_departement, form.departement.clone()),
        (&s.file_summary, form.summary.clone()),
        (&s.file_instructions, form.instructions.clone()),
    ];
    let mut lines: Vec<Line> = fields
        .into_iter()
        .enumerate()
        .map(|(index, (label, value))| {
            let chosen = index == form.field;
            let mut spans = vec![
                Span::raw(if chosen { "▶ " } else { "  " }),
                Span::styled(format!("{:<16}", label.trim_end_matches([' ', ':'])), theme.label()),
                Span::raw(value),
            ];
            if chosen && index >= 4 {
                spans.push(cursor(theme));
            }
            let line = Line::from(spans);
            if chosen { line.style(theme.selected()) } else { line }
        })
        .collect();
    error_and_hint(&mut lines, &form.error, &s.file_form_hint, theme);
    (s.fill(&s.file_form_title, &[("code", form.code.as_str())]), lines, 90)
}

pub fn closure<'a>(app: &'a App, form: &'a ClosureForm, theme: &Theme) -> Drawn<'a> {
    let s = app.strings;
    let answer = match form.caller_agreed {
        Some(true) => s.answer_yes.as_str(),
        Some(false) => s.answer_no.as_str(),
        None => s.answer_unset.as_str(),
    };
    let mut reason = vec![
        Span::raw(if form.field == 0 { "▶ " } else { "  " }),
        Span::styled(format!("{} ", s.closure_reason), theme.label()),
        Span::raw(form.reason.clone()),
    ];
    if form.field == 0 {
        reason.push(cursor(theme));
    }
    let mut lines = vec![
        Line::from(reason),
        Line::from(vec![
            Span::raw(if form.field == 1 { "▶ " } else { "  " }),
            Span::styled(format!("{} ", s.closure_agreed), theme.label()),
            Span::raw(answer.to_owned()),
        ]),
    ];
    error_and_hint(&mut lines, &form.error, &s.closure_hint, theme);
    (s.fill(&s.closure_title, &[("code", form.code.as_str())]), lines, 80)
}

pub fn reason<'a>(app: &'a App, form: &'a ReasonForm, theme: &Theme) -> Drawn<'a> {
    let s = app.strings;
    let title = match form.purpose {
        ReasonPurpose::Reopen => &s.reopen_title,
        ReasonPurpose::SetHold => &s.hold_set_title,
        ReasonPurpose::LiftHold => &s.hold_lift_title,
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", s.reason_label), theme.label()),
        Span::raw(form.text.clone()),
        cursor(theme),
    ])];
    error_and_hint(&mut lines, &form.error, &s.reason_hint, theme);
    (s.fill(title, &[("code", form.code.as_str())]), lines, 80)
}

/// The notes editor is a widget, not lines: drawn here whole (wrapped, see `draw_editor`).
pub fn draw_amend_notes(frame: &mut Frame, app: &App, form: &NotesForm, area: Rect, theme: &Theme) {
    let s = app.strings;
    let width = 90.min(area.width);
    let height = 16.min(area.height);
    let popup = super::centered(area, width, height);
    frame.render_widget(Clear, popup);
    let title = s.fill(&s.amend_title, &[("date", &date_and_time(app, form.started_at))]);
    let bottom = if form.discard_armed {
        Span::styled(format!(" {} ", s.amend_discard_armed), theme.danger())
    } else {
        Span::styled(format!(" {} ", s.amend_hint), theme.muted())
    };
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), theme.title()))
        .title_bottom(bottom)
        .border_type(BorderType::Double);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    super::draw_editor(frame, &form.notes, inner, true);
}
