//! Popups over the main screen. Only the top of the stack is drawn: it is the one that
//! takes the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::format::{clock, date_and_time};
use super::keys::label;
use super::theme::Theme;
use super::{callback_popups, centered, end_shift, file_popups, help, supervisor};
use crate::app::popup::{AckForm, ListPopup, ListPurpose, Popup};
use crate::app::{App, Session};
use crate::domain::assessment::Rud;
use crate::domain::emergency::NumberKind;
use crate::domain::prompt::PromptOutcome;
use crate::keymap::Action;
use crate::keymap::Context;

pub fn draw(frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
    let Some(popup) = session.popups.last() else { return };
    let s = app.strings;
    let (title, lines, width): (String, Vec<Line>, u16) = match popup {
        Popup::Help => return help::draw(frame, app, area, theme),
        Popup::AmendNotes(form) => return file_popups::draw_amend_notes(frame, app, form, area, theme),
        Popup::Supervisor(view) => return supervisor::draw(frame, app, session, view, area, theme),
        Popup::EndShift(form) => return end_shift::draw(frame, app, form, area, theme),
        Popup::CallbackForm(form) => callback_popups::form(app, session, form, theme),
        Popup::Perform(form) => callback_popups::perform(app, form, theme),
        Popup::Reassign(form) => callback_popups::reassign(app, session, form, theme),
        Popup::Reschedule(form) => callback_popups::text(app, form, true, theme),
        Popup::CancelCallback(form) => callback_popups::text(app, form, false, theme),
        Popup::FileSearch(search) => file_popups::search(app, search, theme),
        Popup::RepeatCaller(repeat) => file_popups::repeat_caller(app, repeat, area.width, theme),
        Popup::FileForm(form) => file_popups::file_form(app, form, theme),
        Popup::Closure(form) => file_popups::closure(app, form, theme),
        Popup::Reason(form) => file_popups::reason(app, form, theme),
        Popup::EmergencyCard { selected } => {
            // On a short screen, only the chosen number says what it is for.
            let compact = area.height < super::WIDE_HEIGHT;
            (s.card_title.clone(), card(app, *selected, compact, theme), 90)
        }
        Popup::List(list) => (list_title(app, list).to_owned(), list_lines(list, theme), 56),
        Popup::Rud { row, rud, .. } => (s.rud_title.clone(), rud_lines(app, *row, rud, theme), 60),
        Popup::NewFileCode(code) => {
            let spaced: String = code.as_str().chars().map(|c| format!("{c} ")).collect();
            let lines = vec![
                Line::from(""),
                Line::from(Span::styled(
                    format!("   {}", spaced.trim_end()),
                    theme.title().add_modifier(ratatui::style::Modifier::REVERSED),
                )),
                Line::from(""),
                Line::from(s.new_file_give_code.clone()),
                Line::from(""),
                Line::from(Span::styled(s.press_enter.clone(), theme.muted())),
            ];
            (s.new_file_title.clone(), lines, 56)
        }
        Popup::CallbackOffer => {
            let anonymous = session.call.as_ref().is_some_and(|call| call.file.is_none());
            let offer = if anonymous { &s.callback_offer_anonymous } else { &s.callback_offer };
            (s.callback_offer_title.clone(), vec![Line::from(offer.clone())], 60)
        }
        Popup::ConfirmEndCall => (s.end_call_title.clone(), end_call_lines(app, session, theme), 72),
        Popup::ConfirmQuit => {
            let mut lines = vec![Line::from(s.quit_confirm.clone())];
            let pending: Vec<&str> = session
                .call
                .iter()
                .flat_map(|call| call.pending_prompts().map(|(_, p)| p.number.as_str()))
                .collect();
            if !pending.is_empty() {
                lines.push(Line::from(""));
                let warning = s.fill(&s.quit_prompt_pending, &[("numbers", &pending.join(", "))]);
                lines.push(Line::from(Span::styled(warning, theme.danger())));
            }
            (s.quit_title.clone(), lines, 60)
        }
        Popup::DraftRecovery(draft) => {
            let body = s.fill(&s.draft_found, &[("time", &date_and_time(app, draft.started_at))]);
            (s.draft_title.clone(), message_lines(body, &s.draft_choice, theme), 64)
        }
        Popup::ShiftChoice(shift) => {
            let body = s.fill(&s.shift_open_found, &[("time", &date_and_time(app, shift.started_at))]);
            let key = app
                .keymap
                .key_for(Context::Global, Action::EndShift)
                .map(|k| label(&k, s))
                .unwrap_or_default();
            let hint = s.fill(&s.shift_choice, &[("key", &key)]);
            (s.shift_title.clone(), message_lines(body, &hint, theme), 64)
        }
        Popup::Acknowledge(form) => (s.ack_title.clone(), ack_lines(app, session, form, theme), 90),
        Popup::Handover(note) => {
            (s.handover_title.clone(), message_lines(note.clone(), &s.press_enter, theme), 70)
        }
    };
    let width = width.min(area.width);
    let height = (super::wrapped_height(&lines, width.saturating_sub(2)) + 2).min(area.height);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), theme.title()))
        .border_type(ratatui::widgets::BorderType::Double);
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), popup);
}

/// Ending a call: what will be saved (and what will still be asked), then the keys.
fn end_call_lines<'a>(app: &App, session: &Session, theme: &Theme) -> Vec<Line<'a>> {
    let s = app.strings;
    let Some(call) = &session.call else { return Vec::new() };
    let mut lines =
        vec![Line::from(Span::styled(s.end_call_will_save.clone(), theme.label())), Line::from("")];
    lines.extend(super::call::fields(app, session, call, theme));
    let given: Vec<String> = call
        .prompts
        .iter()
        .filter_map(|p| {
            p.acknowledgement.as_ref().map(|a| format!("{} ({})", p.number, s.prompt_outcome(a.outcome)))
        })
        .collect();
    if !given.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<13}", s.field_prompts), theme.label()),
            Span::raw(given.join(", ")),
        ]));
    }
    let notes = call.notes_text();
    let notes = notes.trim();
    let words = notes.split_whitespace().count();
    let summary = if notes.is_empty() {
        s.end_call_no_notes.clone()
    } else {
        s.fill(
            s.plural(words as u64, &s.end_call_notes_one, &s.end_call_notes),
            &[("words", &words.to_string())],
        )
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<13}", s.field_notes), theme.label()),
        Span::raw(summary),
    ]));
    if call.missing().is_some() {
        lines.push(Line::from(""));
        lines.push(Line::from(s.end_call_still_asked.clone()));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(s.end_call_keys.clone(), theme.muted())));
    lines
}

/// A message, a blank line, and what the keys do.
fn message_lines<'a>(body: String, keys: &str, theme: &Theme) -> Vec<Line<'a>> {
    vec![Line::from(body), Line::from(""), Line::from(Span::styled(keys.to_owned(), theme.muted()))]
}

fn card<'a>(app: &'a App, selected: usize, compact: bool, theme: &Theme) -> Vec<Line<'a>> {
    let s = app.strings;
    let mut lines = Vec::new();
    for (index, entry) in app.directory.entries.iter().enumerate() {
        let marker = if index == selected { "▶" } else { " " };
        let number_style = match entry.kind {
            NumberKind::Emergency => theme.emergency_number(),
            NumberKind::Orientation => theme.title(),
        };
        let mut head = Line::from(vec![
            Span::raw(format!("{marker} ")),
            Span::styled(format!("{:>5}", entry.number), number_style),
            Span::styled(format!("  {}", s.pick(&entry.label_fr, &entry.label_en)), theme.title()),
            Span::styled(
                format!("  ({}, {})", s.channel(entry.channel), s.pick(&entry.hours_fr, &entry.hours_en)),
                theme.muted(),
            ),
        ]);
        if index == selected {
            head = head.style(theme.selected());
        }
        lines.push(head);
        if !compact || index == selected {
            lines.push(Line::from(format!("         {}", s.pick(&entry.use_fr, &entry.use_en))));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(s.card_hint_popup.clone(), theme.muted())));
    lines
}

fn list_title<'a>(app: &'a App, list: &ListPopup) -> &'a str {
    let s = app.strings;
    match list.purpose {
        ListPurpose::CallType => &s.pick_call_type,
        ListPurpose::Outcome => &s.pick_outcome,
        ListPurpose::Themes => &s.pick_themes,
        ListPurpose::Orientations => &s.pick_orientations,
        ListPurpose::Situations => &s.pick_situations,
    }
}

fn list_lines<'a>(list: &'a ListPopup, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = list
        .options
        .iter()
        .enumerate()
        .map(|(index, (_, label))| {
            let check = if list.multi { if list.checked[index] { "[x] " } else { "[ ] " } } else { "" };
            let marker = if index == list.selected { "▶ " } else { "  " };
            let line = Line::from(format!("{marker}{check}{label}"));
            if index == list.selected { line.style(theme.selected()) } else { line }
        })
        .collect();
    lines.push(Line::from(""));
    lines
}

fn rud_lines<'a>(app: &'a App, row: usize, rud: &Rud, theme: &Theme) -> Vec<Line<'a>> {
    let s = app.strings;
    let rows = [
        (s.rud_risk.clone(), rud.risk),
        (s.rud_urgency.clone(), rud.urgency),
        (s.rud_danger.clone(), rud.danger),
    ];
    let mut lines: Vec<Line> = rows
        .into_iter()
        .enumerate()
        .map(|(index, (label, level))| {
            let line = Line::from(format!(
                "{} {label:<28} ◀ {} ▶",
                if index == row { "▶" } else { " " },
                s.rud_level(level)
            ));
            if index == row { line.style(theme.selected()) } else { line }
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(s.rud_hint.clone(), theme.muted())));
    lines
}

fn ack_lines<'a>(app: &'a App, session: &'a Session, form: &'a AckForm, theme: &Theme) -> Vec<Line<'a>> {
    let s = app.strings;
    let mut lines = Vec::new();
    let Some(call) = &session.call else { return lines };
    for (row, (_, prompt)) in call.pending_prompts().enumerate() {
        let entry = app.directory.get(&prompt.number);
        let label = entry.map(|e| s.pick(&e.label_fr, &e.label_en)).unwrap_or_default();
        let marker = if row == form.selected { "▶" } else { " " };
        let style = if entry.is_some_and(|e| e.life_risk) { theme.danger() } else { theme.title() };
        let line = Line::from(vec![
            Span::raw(format!("{marker} ")),
            Span::styled(format!(" {} ", prompt.number), style),
            Span::raw(format!(" {label}  ({})", clock(app, prompt.raised_at))),
        ]);
        lines.push(if row == form.selected { line.style(theme.selected()) } else { line });
        if let Some(rule) = app.rules.get(&prompt.rule) {
            lines.push(Line::from(Span::styled(format!("     {}", s.advice(rule)), theme.muted())));
        }
    }
    lines.push(Line::from(""));
    let outcome = PromptOutcome::ALL[form.outcome.min(PromptOutcome::ALL.len() - 1)];
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", s.ack_outcome_label), theme.label()),
        Span::raw(format!("◀ {}. {} ▶", form.outcome + 1, s.prompt_outcome(outcome))),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", s.ack_note_label), theme.label()),
        Span::raw(form.note.clone()),
        Span::styled("▏", theme.title()),
    ]));
    if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(format!("✗ {error}"), theme.danger())));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(s.ack_hint.clone(), theme.muted())));
    lines
}
