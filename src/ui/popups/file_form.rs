//! A file's form: status, profile, summary, instructions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Boxed, Draw, boxed, cursor, error_and_hint};
use crate::app::popup::FileForm;
use crate::app::{App, Session};
use crate::ui::theme::Theme;

impl Draw for FileForm {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        boxed(frame, area, theme, file_form(app, self, theme));
    }
}

fn file_form<'a>(app: &'a App, form: &'a FileForm, theme: &Theme) -> Boxed<'a> {
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
                Span::raw(super::marker(chosen)),
                Span::styled(format!("{:<16}", label.trim_end_matches([' ', ':'])), theme.label()),
                Span::raw(value),
            ];
            if chosen && index >= 4 {
                spans.push(cursor(theme));
            }
            let line = Line::from(spans);
            super::highlight(line, chosen, theme)
        })
        .collect();
    error_and_hint(app, &mut lines, &form.error, &s.file_form_hint, theme);
    (s.fill(&s.file_form_title, &[("code", form.code.as_str())]), lines, 90)
}
