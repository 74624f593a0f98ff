//! Searching files: the query, the status and département filters, the hits.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Boxed, Draw, boxed, cursor, error_and_hint, highlight, marker};
use crate::app::popup::{FileSearch, SearchField, SearchPurpose};
use crate::app::{App, Session};
use crate::ui::format::date_and_time;
use crate::ui::theme::Theme;

impl Draw for FileSearch {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        boxed(frame, area, theme, search(app, self, theme));
    }
}

fn search<'a>(app: &'a App, search: &'a FileSearch, theme: &Theme) -> Boxed<'a> {
    let s = app.strings;
    let on = |field: SearchField| marker(search.field == field);
    let status = search.filter.status.map_or(s.search_all.as_str(), |st| s.file_status(st));
    let mut query = vec![
        Span::raw(on(SearchField::Query)),
        Span::styled(format!("{} ", s.search_prompt), theme.label()),
        Span::raw(search.query.clone()),
    ];
    let mut departement = vec![
        Span::raw(on(SearchField::Departement)),
        Span::styled(format!("{} ", s.search_departement), theme.label()),
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
            Span::raw(on(SearchField::Status)),
            Span::styled(format!("{} ", s.search_status), theme.label()),
            Span::raw(format!("◀ {status} ▶")),
        ]),
        Line::from(departement),
        Line::from(""),
    ];
    let searched = !search.query.is_empty() || !search.filter.is_empty();
    if search.failed {
        lines.push(Line::from(Span::styled(s.search_failed.clone(), theme.muted())));
    } else if search.searching && search.hits.is_empty() {
        lines.push(Line::from(Span::styled(s.search_searching.clone(), theme.muted())));
    } else if search.hits.is_empty() && searched {
        lines.push(Line::from(Span::styled(s.search_nothing.clone(), theme.muted())));
    }
    for (index, hit) in search.hits.iter().enumerate() {
        let last = hit.last_contact_at.map(|at| date_and_time(app, at)).unwrap_or_default();
        let summary: String = hit.summary.chars().take(36).collect();
        let chosen = index == search.selected;
        let line = Line::from(format!(
            "{}{}  {:<9} {:<16} {summary}",
            marker(chosen),
            hit.code,
            s.file_status(hit.status),
            last
        ));
        lines.push(highlight(line, chosen, theme));
    }
    let (title, hint) = match search.purpose {
        SearchPurpose::Link => (&s.search_title, format!("{} · {}", s.search_hint, s.search_filters_hint)),
        SearchPurpose::Open => (&s.search_title_open, s.search_hint_open.clone()),
    };
    error_and_hint(app, &mut lines, &None, &hint, theme);
    (title.clone(), lines, 90)
}
