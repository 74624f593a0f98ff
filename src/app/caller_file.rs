//! What a listener does with a caller file from its pane: search from anywhere, edit, close
//! with the caller's answer, reopen, legal holds (supervisors) and amending a call's notes.
//! Each change is an `Effect::ChangeFile`; its popup stays open until the store confirms it,
//! so a refused change (full disk, a permission) loses nothing that was typed.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::effect::{Effect, FileChange};
use super::popup::{
    ClosureForm, FILE_FORM_FIELDS, FileForm, FileSearch, NotesForm, Popup, ReasonForm, ReasonPurpose,
    SearchField, SearchPurpose, type_into,
};
use super::{App, Pane, status};
use crate::domain::caller_file::{
    AgeBand, CallerRelation, Closure, Departement, FileProfile, FileStatus, Gender,
};
use crate::domain::file_record::RepeatCaller;
use crate::domain::listener::Role;
use crate::keymap::Action;

/// The status filter cycles through "all" and then each status.
const STATUS_FILTERS: [Option<FileStatus>; 4] =
    [None, Some(FileStatus::Open), Some(FileStatus::FollowUp), Some(FileStatus::Closed)];

impl App {
    /// The file actions bound in the file pane, and the search from anywhere.
    pub(super) fn file_action(&mut self, action: Action) -> Vec<Effect> {
        let s = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        if action == Action::SearchFiles {
            let search = FileSearch { purpose: SearchPurpose::Open, ..FileSearch::default() };
            session.popups.push(Popup::FileSearch(search));
            return Vec::new();
        }
        let Some(view) = session.file.as_ref() else {
            self.status = status(&s.no_file_shown, true);
            return Vec::new();
        };
        let file = &view.file;
        let closed = file.status == FileStatus::Closed;
        let supervisor = session.actor.role == Role::Supervisor;
        let popup = match action {
            Action::EditFile => Popup::FileForm(FileForm::of(file)),
            Action::CloseFile if closed => {
                self.status = status(&s.file_already_closed, true);
                return Vec::new();
            }
            Action::CloseFile => Popup::Closure(ClosureForm {
                id: file.id,
                code: file.code.clone(),
                field: 0,
                reason: String::new(),
                caller_agreed: None,
                error: None,
            }),
            Action::ReopenFile if !closed => {
                self.status = status(&s.file_not_closed, true);
                return Vec::new();
            }
            Action::LegalHold if !supervisor => {
                self.status = status(&s.error_forbidden, true);
                return Vec::new();
            }
            Action::ReopenFile | Action::LegalHold => {
                let purpose = match action {
                    Action::ReopenFile => ReasonPurpose::Reopen,
                    _ if file.legal_hold => ReasonPurpose::LiftHold,
                    _ => ReasonPurpose::SetHold,
                };
                Popup::Reason(ReasonForm {
                    id: file.id,
                    code: file.code.clone(),
                    purpose,
                    text: String::new(),
                    error: None,
                })
            }
            Action::AmendNotes => {
                let Some(call) = view.history.get(session.file_selected) else {
                    self.status = status(&s.no_call_selected, true);
                    return Vec::new();
                };
                if call.listener_id != session.actor.id && !supervisor {
                    self.status = status(&s.not_your_call, true);
                    return Vec::new();
                }
                let notes = super::call_form::notes_editor(&call.record.notes);
                Popup::AmendNotes(Box::new(NotesForm {
                    file: file.id,
                    call: call.id,
                    started_at: call.started_at,
                    original: call.record.notes.clone(),
                    notes,
                    discard_armed: false,
                }))
            }
            _ => return Vec::new(),
        };
        session.popups.push(popup);
        Vec::new()
    }

    /// Up and down in the file pane move through the history.
    pub(super) fn move_in_history(&mut self, forward: bool) {
        let Some(session) = self.session.as_mut() else { return };
        let len = session.file.as_ref().map_or(0, |v| v.history.len());
        session.file_selected = match forward {
            true => (session.file_selected + 1).min(len.saturating_sub(1)),
            false => session.file_selected.saturating_sub(1),
        };
    }

    /// A file arrived from the store: when it is the one the call was just linked to and it
    /// has earlier calls, the repeat-caller popup goes on top of everything else.
    pub(super) fn file_arrived(&mut self) {
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return };
        let Some(view) = session.file.as_ref() else { return };
        let linked = session.call.as_ref().and_then(|c| c.file) == Some(view.file.id);
        if !linked || session.announced == Some(view.file.id) {
            return;
        }
        session.announced = Some(view.file.id);
        if let Some(repeat) = RepeatCaller::new(&view.file, &view.history, &view.callbacks, now) {
            session.popups.push(Popup::RepeatCaller(repeat));
        }
    }

    /// Keys for the file popups; `None` when the top popup is not one of them.
    pub(super) fn file_popup_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        let s = self.strings;
        let now = self.now;
        let session = self.session.as_mut()?;
        let popup = session.popups.last_mut()?;
        let code = key.code;
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        let effects = match popup {
            Popup::FileSearch(search) => {
                match code {
                    KeyCode::Up => search.selected = search.selected.saturating_sub(1),
                    KeyCode::Down => {
                        search.selected = (search.selected + 1).min(search.hits.len().saturating_sub(1))
                    }
                    KeyCode::Tab | KeyCode::BackTab => {
                        const FIELDS: [SearchField; 3] =
                            [SearchField::Query, SearchField::Status, SearchField::Departement];
                        let at = FIELDS.iter().position(|f| *f == search.field).unwrap_or(0);
                        let step = if code == KeyCode::Tab { 1 } else { FIELDS.len() - 1 };
                        search.field = FIELDS[(at + step) % FIELDS.len()];
                    }
                    KeyCode::Left | KeyCode::Right if search.field == SearchField::Status => {
                        let at = STATUS_FILTERS.iter().position(|f| *f == search.filter.status).unwrap_or(0);
                        let step = if code == KeyCode::Right { 1 } else { STATUS_FILTERS.len() - 1 };
                        search.filter.status = STATUS_FILTERS[(at + step) % STATUS_FILTERS.len()];
                        return Some(vec![search_effect(search)]);
                    }
                    KeyCode::Esc => {
                        session.popups.pop();
                    }
                    KeyCode::Enter => {
                        let Some(hit) = search.hits.get(search.selected) else { return Some(Vec::new()) };
                        let (id, purpose) = (hit.id, search.purpose);
                        session.popups.pop();
                        match purpose {
                            SearchPurpose::Link => {
                                if let Some(call) = session.call.as_mut() {
                                    call.file = Some(id);
                                    session.mark_dirty(now);
                                }
                                session.focus = Pane::Call;
                            }
                            SearchPurpose::Open => session.focus = Pane::File,
                        }
                        return Some(vec![Effect::OpenFile { id, audited: true }]);
                    }
                    KeyCode::Backspace | KeyCode::Char(_) if search.field != SearchField::Status => {
                        let text = match search.field {
                            SearchField::Departement => &mut search.departement,
                            _ => &mut search.query,
                        };
                        match code {
                            KeyCode::Char(c) if !control => text.push(c),
                            KeyCode::Backspace => {
                                text.pop();
                            }
                            _ => return Some(Vec::new()),
                        }
                        search.filter.departement = Departement::parse(&search.departement).ok();
                        return Some(vec![search_effect(search)]);
                    }
                    _ => {}
                }
                Vec::new()
            }
            Popup::RepeatCaller(_) => {
                if matches!(code, KeyCode::Enter | KeyCode::Esc | KeyCode::Char(' ')) {
                    session.popups.pop();
                }
                Vec::new()
            }
            Popup::FileForm(form) => {
                form.error = None;
                let step = |forward: bool| if forward { 1 } else { -1 };
                match code {
                    KeyCode::Up | KeyCode::BackTab => {
                        form.field = (form.field + FILE_FORM_FIELDS - 1) % FILE_FORM_FIELDS
                    }
                    KeyCode::Down | KeyCode::Tab => form.field = (form.field + 1) % FILE_FORM_FIELDS,
                    KeyCode::Left | KeyCode::Right if form.field < 4 => {
                        let forward = code == KeyCode::Right;
                        match form.field {
                            // A closed file is reopened with its reason, not from here.
                            0 if form.status != FileStatus::Closed => {
                                form.status = match form.status {
                                    FileStatus::Open => FileStatus::FollowUp,
                                    _ => FileStatus::Open,
                                }
                            }
                            1 => form.age_band = cycle(AgeBand::ALL, form.age_band, step(forward)),
                            2 => form.gender = cycle(Gender::ALL, form.gender, step(forward)),
                            3 => form.relation = cycle(CallerRelation::ALL, form.relation, step(forward)),
                            _ => {}
                        }
                    }
                    KeyCode::Backspace => {
                        if let Some(text) = form.text_mut() {
                            text.pop();
                        }
                    }
                    KeyCode::Char(c) if !control => {
                        if let Some(text) = form.text_mut() {
                            text.push(c);
                        }
                    }
                    KeyCode::Esc => {
                        session.popups.pop();
                    }
                    KeyCode::Enter => {
                        let departement = form.departement.trim();
                        let departement = if departement.is_empty() {
                            None
                        } else {
                            match Departement::parse(departement) {
                                Ok(d) => Some(d),
                                Err(_) => {
                                    form.error =
                                        Some(s.fill(&s.file_bad_departement, &[("value", departement)]));
                                    return Some(Vec::new());
                                }
                            }
                        };
                        let profile = FileProfile {
                            age_band: form.age_band,
                            gender: form.gender,
                            departement,
                            relation: form.relation,
                            situation_summary: form.summary.trim().to_owned(),
                            instructions: form.instructions.trim().to_owned(),
                        };
                        // A closed file is reopened with a reason, never from its form.
                        let status = Some(form.status).filter(|s| *s != FileStatus::Closed);
                        return Some(vec![Effect::ChangeFile(FileChange::Profile {
                            id: form.id,
                            version: form.version,
                            status,
                            profile,
                        })]);
                    }
                    _ => {}
                }
                Vec::new()
            }
            Popup::Closure(form) => {
                form.error = None;
                match code {
                    KeyCode::Up | KeyCode::Down | KeyCode::Tab | KeyCode::BackTab => {
                        form.field = 1 - form.field
                    }
                    KeyCode::Char('o' | 'y' | 'O' | 'Y') if form.field == 1 => {
                        form.caller_agreed = Some(true)
                    }
                    KeyCode::Char('n' | 'N') if form.field == 1 => form.caller_agreed = Some(false),
                    KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.field == 1 => {
                        form.caller_agreed = Some(!form.caller_agreed.unwrap_or(false))
                    }
                    KeyCode::Backspace if form.field == 0 => {
                        form.reason.pop();
                    }
                    KeyCode::Char(c) if form.field == 0 && !control => form.reason.push(c),
                    KeyCode::Esc => {
                        session.popups.pop();
                    }
                    KeyCode::Enter => {
                        let reason = form.reason.trim().to_owned();
                        if reason.is_empty() {
                            form.error = Some(s.closure_needs_reason.clone());
                            form.field = 0;
                        } else if let Some(caller_agreed) = form.caller_agreed {
                            return Some(vec![Effect::ChangeFile(FileChange::Close {
                                id: form.id,
                                closure: Closure { reason, caller_agreed },
                            })]);
                        } else {
                            form.error = Some(s.closure_needs_answer.clone());
                            form.field = 1;
                        }
                    }
                    _ => {}
                }
                Vec::new()
            }
            Popup::Reason(form) => {
                form.error = None;
                match code {
                    _ if type_into(&mut form.text, &key) => {}
                    KeyCode::Esc => {
                        session.popups.pop();
                    }
                    KeyCode::Enter => {
                        let reason = form.text.trim().to_owned();
                        // Lifting a hold may go without a word; the rest needs one.
                        if reason.is_empty() && form.purpose != ReasonPurpose::LiftHold {
                            form.error = Some(s.reason_needed.clone());
                            return Some(Vec::new());
                        }
                        let id = form.id;
                        let change = match form.purpose {
                            ReasonPurpose::Reopen => FileChange::Reopen { id, reason },
                            ReasonPurpose::SetHold => FileChange::LegalHold { id, hold: true, reason },
                            ReasonPurpose::LiftHold => FileChange::LegalHold { id, hold: false, reason },
                        };
                        return Some(vec![Effect::ChangeFile(change)]);
                    }
                    _ => {}
                }
                Vec::new()
            }
            Popup::AmendNotes(form) => {
                let text = || form.notes.lines().join("\n");
                match code {
                    KeyCode::Char('s') if control => {
                        return Some(vec![Effect::ChangeFile(FileChange::AmendNotes {
                            file: form.file,
                            call: form.call,
                            seen: form.original.clone(),
                            notes: text(),
                        })]);
                    }
                    KeyCode::Esc if form.discard_armed || text() == form.original => {
                        session.popups.pop();
                    }
                    KeyCode::Esc => form.discard_armed = true,
                    _ => {
                        form.discard_armed = false;
                        form.notes.input(key);
                    }
                }
                Vec::new()
            }
            _ => return None,
        };
        Some(effects)
    }
}

fn search_effect(search: &FileSearch) -> Effect {
    Effect::SearchFiles { query: search.query.clone(), filter: search.filter.clone() }
}

/// Steps through "not said" and each value.
fn cycle<T: Copy + PartialEq>(all: &[T], current: Option<T>, step: isize) -> Option<T> {
    let options: Vec<Option<T>> = std::iter::once(None).chain(all.iter().copied().map(Some)).collect();
    let at = options.iter().position(|o| *o == current).unwrap_or(0) as isize;
    options[(at + step).rem_euclid(options.len() as isize) as usize]
}
