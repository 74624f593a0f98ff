//! The emergency card: every number of the directory, what it is for, its channel and hours.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Draw, boxed, highlight};
use crate::app::popup::EmergencyCard;
use crate::app::{App, Session};
use crate::domain::emergency::NumberKind;
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for EmergencyCard {
    fn draw(&self, frame: &mut Frame, app: &App, _session: &Session, area: Rect, theme: &Theme) {
        // On a short screen, only the chosen number says what it is for.
        let compact = area.height < crate::ui::WIDE_HEIGHT;
        let lines = card(app, self.selected, compact, theme);
        boxed(frame, area, theme, (app.strings.card_title.clone(), lines, 90));
    }
}

fn card<'a>(app: &'a App, selected: usize, compact: bool, theme: &Theme) -> Vec<Line<'a>> {
    let s = app.strings;
    let mut lines = Vec::new();
    for (index, entry) in app.directory.entries.iter().enumerate() {
        let chosen = index == selected;
        let number_style = match entry.kind {
            NumberKind::Emergency => theme.emergency_number(),
            NumberKind::Orientation => theme.title(),
        };
        let head = Line::from(vec![
            Span::raw(super::marker(chosen)),
            Span::styled(format!("{:>5}", entry.number), number_style),
            Span::styled(format!("  {}", s.pick(&entry.label_fr, &entry.label_en)), theme.title()),
            Span::styled(
                format!("  ({}, {})", s.channel(entry.channel), s.pick(&entry.hours_fr, &entry.hours_en)),
                theme.muted(),
            ),
        ]);
        lines.push(highlight(head, chosen, theme));
        if !compact || chosen {
            lines.push(Line::from(format!("         {}", s.pick(&entry.use_fr, &entry.use_en))));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(fill(app, &s.card_hint_popup), theme.muted())));
    lines
}
