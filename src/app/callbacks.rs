//! Callbacks from the interface: scheduling (at the end of a call or from a file), performing
//! one from the queue (take it, show its number, start the call or log the failed attempt),
//! and the supervisor's view (filter, reassign, reschedule, cancel). Every change names the
//! version it was made on; a change that lost a race comes back as `CallbackConflict`.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::call_form::CallForm;
use super::effect::{CallbackChange, Effect};
use super::popup::{
    CALLBACK_FORM_FIELDS, CallbackForm, CallbackTextForm, PerformForm, Popup, QueueFilter, ReassignForm,
    SupervisorView, type_into,
};
use super::{App, Pane, Session, Until, status, status_until};
use crate::domain::callback::{Assignee, AttemptResult, CallbackRequest, PhoneNumber, Priority, QueueEntry};
use crate::domain::due::parse_due;
use crate::domain::listener::Role;
use crate::domain::{ListenerId, Timestamp};
use crate::keymap::Action;

/// The supervisor's view lists the pending callbacks this filter keeps.
pub fn filtered<'a>(session: &'a Session, view: &SupervisorView, now: Timestamp) -> Vec<&'a QueueEntry> {
    session
        .queue
        .iter()
        .filter(|e| view.listener.is_none_or(|id| e.assignee == Assignee::Listener(id)))
        .filter(|e| match view.filter {
            QueueFilter::All => true,
            QueueFilter::Overdue => e.is_overdue(now),
            QueueFilter::Flagged => e.flagged,
        })
        .collect()
}

/// Who a callback form can assign to, in order: me, anyone, then each other listener.
pub fn assignee_options(session: &Session) -> Vec<Assignee> {
    let me = session.actor.id;
    [Assignee::Listener(me), Assignee::Anyone]
        .into_iter()
        .chain(session.listeners.iter().filter(|(id, _)| *id != me).map(|(id, _)| Assignee::Listener(*id)))
        .collect()
}

pub fn listener_name(session: &Session, id: ListenerId) -> Option<&str> {
    session.listeners.iter().find(|(l, _)| *l == id).map(|(_, name)| name.as_str())
}

impl App {
    pub(super) fn callback_action(&mut self, action: Action) -> Vec<Effect> {
        let s = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let supervisor = session.actor.role == Role::Supervisor;
        match action {
            Action::SupervisorView if !supervisor => self.status = status(&s.error_forbidden, true),
            Action::SupervisorView => {
                session.popups.push(Popup::Supervisor(SupervisorView::default()));
                return vec![Effect::RefreshOverview, Effect::RefreshQueue];
            }
            Action::ScheduleCallback => {
                let Some(view) = session.file.as_ref() else {
                    self.status = status(&s.no_file_shown, true);
                    return Vec::new();
                };
                let form = CallbackForm { file: Some(view.file.id), ..CallbackForm::default() };
                session.popups.push(Popup::CallbackForm(form));
            }
            _ => {
                let Some(entry) = session.queue.get(session.queue_selected).cloned() else {
                    self.status = status(&s.no_callbacks, true);
                    return Vec::new();
                };
                return self.on_queue_entry(action, entry);
            }
        }
        Vec::new()
    }

    /// Perform, reassign, reschedule or cancel `entry` (from the queue pane or the
    /// supervisor's view).
    fn on_queue_entry(&mut self, action: Action, entry: QueueEntry) -> Vec<Effect> {
        let s = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let supervisor = session.actor.role == Role::Supervisor;
        let mine = entry.assignee == Assignee::Listener(session.actor.id);
        match action {
            Action::PerformCallback if session.call.is_some() => {
                self.status = status_until(&s.call_already_running, true, Until::CallEnds);
            }
            Action::PerformCallback if session.shift.is_none() => {
                self.status = status_until(&s.no_shift_yet, true, Until::ShiftStarts)
            }
            Action::PerformCallback => {
                let (id, version) = (entry.id, entry.version);
                session.popups.push(Popup::Perform(PerformForm { entry, callback: None }));
                return vec![Effect::TakeCallback { id, version }];
            }
            Action::ReassignCallback if !supervisor => self.status = status(&s.error_forbidden, true),
            Action::ReassignCallback => {
                let selected = match entry.assignee {
                    Assignee::Anyone => 0,
                    Assignee::Listener(id) => {
                        1 + session.listeners.iter().position(|(l, _)| *l == id).unwrap_or(0)
                    }
                };
                session.popups.push(Popup::Reassign(ReassignForm { entry, selected }));
            }
            Action::RescheduleCallback | Action::CancelCallback if !supervisor && !mine => {
                self.status = status(&s.error_forbidden, true)
            }
            Action::RescheduleCallback => {
                let form = CallbackTextForm { entry, text: String::new(), error: None };
                session.popups.push(Popup::Reschedule(form));
            }
            Action::CancelCallback => {
                let form = CallbackTextForm { entry, text: String::new(), error: None };
                session.popups.push(Popup::CancelCallback(form));
            }
            _ => {}
        }
        Vec::new()
    }

    /// Keys for the callback popups; `None` when the top popup is not one of them.
    pub(super) fn callback_popup_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        let s = self.strings;
        let now = self.now;
        let offset = self.offset;
        let policy = self.config.retry_policy();
        let session = self.session.as_mut()?;
        let code = key.code;
        // The supervisor's view reads the session (its filtered list) before changing itself.
        let supervisor_list = match session.popups.last() {
            Some(Popup::Supervisor(view)) => filtered(session, view, now).into_iter().cloned().collect(),
            _ => Vec::new(),
        };
        match session.popups.last_mut()? {
            Popup::Perform(form) => {
                let Some(callback) = form.callback.clone() else {
                    // Waiting for the store: only leaving is possible.
                    if code == KeyCode::Esc {
                        session.popups.pop();
                    }
                    return Some(Vec::new());
                };
                let result = match code {
                    KeyCode::Enter | KeyCode::Char('j') => None,
                    KeyCode::Char('p') => Some(AttemptResult::NoAnswer),
                    KeyCode::Char('m') => Some(AttemptResult::MessageNotLeft),
                    KeyCode::Char('f') => Some(AttemptResult::WrongNumber),
                    KeyCode::Esc => {
                        session.popups.pop();
                        return Some(Vec::new());
                    }
                    _ => return Some(Vec::new()),
                };
                session.popups.pop();
                if let Some(result) = result {
                    return Some(vec![Effect::CallbackFailed { id: callback.id, result, policy }]);
                }
                // Reached: the call starts, linked to the file and to the callback it performs.
                let mut call = CallForm::new(now);
                call.file = Some(callback.caller_file_id);
                call.performs_callback = Some(callback.id);
                session.call = Some(call);
                session.announced = None;
                session.focus = Pane::Call;
                session.mark_dirty(now);
                Some(vec![Effect::OpenFile { id: callback.caller_file_id, audited: true }])
            }
            Popup::Supervisor(view) => {
                let count = supervisor_list.len();
                let listeners: Vec<ListenerId> = session.listeners.iter().map(|(id, _)| *id).collect();
                match code {
                    KeyCode::Up => view.selected = view.selected.saturating_sub(1),
                    KeyCode::Down => view.selected = (view.selected + 1).min(count.saturating_sub(1)),
                    KeyCode::Left | KeyCode::Right => {
                        // Everyone, then each listener.
                        let at = view
                            .listener
                            .and_then(|l| listeners.iter().position(|x| *x == l))
                            .map_or(0, |i| i + 1);
                        let len = listeners.len() + 1;
                        let next = if code == KeyCode::Right { (at + 1) % len } else { (at + len - 1) % len };
                        view.listener = next.checked_sub(1).map(|i| listeners[i]);
                        view.selected = 0;
                    }
                    KeyCode::Char('f') => {
                        view.filter = match view.filter {
                            QueueFilter::All => QueueFilter::Overdue,
                            QueueFilter::Overdue => QueueFilter::Flagged,
                            QueueFilter::Flagged => QueueFilter::All,
                        };
                        view.selected = 0;
                    }
                    KeyCode::Esc | KeyCode::Char('q') => {
                        session.popups.pop();
                    }
                    KeyCode::Char(c @ ('a' | 'd' | 'x')) => {
                        let Some(entry) = supervisor_list.get(view.selected).cloned() else {
                            return Some(Vec::new());
                        };
                        let action = match c {
                            'a' => Action::ReassignCallback,
                            'd' => Action::RescheduleCallback,
                            _ => Action::CancelCallback,
                        };
                        return Some(self.on_queue_entry(action, entry));
                    }
                    _ => {}
                }
                Some(Vec::new())
            }
            Popup::Reassign(form) => {
                let options = session.listeners.len() + 1;
                match code {
                    KeyCode::Up => form.selected = form.selected.saturating_sub(1),
                    KeyCode::Down => form.selected = (form.selected + 1).min(options - 1),
                    KeyCode::Esc => {
                        session.popups.pop();
                    }
                    KeyCode::Enter => {
                        let assignee = match form.selected.checked_sub(1) {
                            None => Assignee::Anyone,
                            Some(i) => Assignee::Listener(session.listeners[i].0),
                        };
                        let change = CallbackChange::Reassign {
                            id: form.entry.id,
                            version: form.entry.version,
                            assignee,
                        };
                        return Some(vec![Effect::ChangeCallback(change)]);
                    }
                    _ => {}
                }
                Some(Vec::new())
            }
            Popup::Reschedule(_) | Popup::CancelCallback(_) => {
                let rescheduling = matches!(session.popups.last(), Some(Popup::Reschedule(_)));
                let Some(Popup::Reschedule(form) | Popup::CancelCallback(form)) = session.popups.last_mut()
                else {
                    return Some(Vec::new());
                };
                form.error = None;
                match code {
                    _ if type_into(&mut form.text, &key) => {}
                    KeyCode::Esc => {
                        session.popups.pop();
                    }
                    KeyCode::Enter if rescheduling => match parse_due(&form.text, now, offset) {
                        Ok(due_at) => {
                            let change = CallbackChange::Reschedule {
                                id: form.entry.id,
                                version: form.entry.version,
                                due_at,
                            };
                            return Some(vec![Effect::ChangeCallback(change)]);
                        }
                        Err(_) => form.error = Some(s.callback_bad_when.clone()),
                    },
                    KeyCode::Enter if form.text.trim().is_empty() => {
                        form.error = Some(s.reason_needed.clone())
                    }
                    KeyCode::Enter => {
                        let change = CallbackChange::Cancel {
                            id: form.entry.id,
                            version: form.entry.version,
                            reason: form.text.trim().to_owned(),
                        };
                        return Some(vec![Effect::ChangeCallback(change)]);
                    }
                    _ => {}
                }
                Some(Vec::new())
            }
            Popup::CallbackForm(_) => Some(self.callback_form_key(key)),
            _ => None,
        }
    }

    fn callback_form_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let s = self.strings;
        let now = self.now;
        let presets = self.config.callback_presets.len();
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let assignees = assignee_options(session);
        let rud = session.call.as_ref().map(|c| c.rud).unwrap_or_default();
        let Some(Popup::CallbackForm(form)) = session.popups.last_mut() else { return Vec::new() };
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        form.error = None;
        let cycle = |at: usize, len: usize, forward: bool| {
            if len == 0 {
                0
            } else if forward {
                (at + 1) % len
            } else {
                (at + len - 1) % len
            }
        };
        match key.code {
            KeyCode::Up | KeyCode::BackTab => form.field = cycle(form.field, CALLBACK_FORM_FIELDS, false),
            KeyCode::Down | KeyCode::Tab => form.field = cycle(form.field, CALLBACK_FORM_FIELDS, true),
            KeyCode::Left | KeyCode::Right => {
                let forward = key.code == KeyCode::Right;
                match form.field {
                    0 => {
                        form.when.clear();
                        form.preset = cycle(form.preset, presets, forward);
                    }
                    1 => {
                        let at = Priority::ALL
                            .iter()
                            .position(|p| *p == form.priority.unwrap_or(Priority::suggested(&rud)))
                            .unwrap_or(0);
                        form.priority = Some(Priority::ALL[cycle(at, Priority::ALL.len(), forward)]);
                    }
                    4 => form.assignee = cycle(form.assignee, assignees.len(), forward),
                    _ => {}
                }
            }
            KeyCode::Char(' ') if form.field == 3 => form.consent = !form.consent,
            KeyCode::Backspace => match form.field {
                0 => drop(form.when.pop()),
                2 => drop(form.number.pop()),
                5 => drop(form.note.pop()),
                _ => {}
            },
            KeyCode::Char(c) if !control => match form.field {
                0 => form.when.push(c),
                2 => form.number.push(c),
                5 => form.note.push(c),
                _ => {}
            },
            KeyCode::Esc => {
                session.popups.pop();
            }
            KeyCode::Enter => {
                if !form.consent {
                    form.error = Some(s.callback_needs_consent.clone());
                    return Vec::new();
                }
                let Ok(number) = PhoneNumber::parse(&form.number) else {
                    form.error = Some(s.callback_bad_number.clone());
                    return Vec::new();
                };
                let due_at = if form.when.trim().is_empty() {
                    let Some(preset) = self.config.callback_presets.get(form.preset) else {
                        return Vec::new();
                    };
                    crate::config::preset_due(preset, now, self.offset)
                } else {
                    match parse_due(&form.when, now, self.offset) {
                        Ok(due) => due,
                        Err(_) => {
                            form.error = Some(s.callback_bad_when.clone());
                            return Vec::new();
                        }
                    }
                };
                let Some(request) = CallbackRequest::with_consent(
                    form.consent,
                    due_at,
                    form.priority.unwrap_or(Priority::suggested(&rud)),
                    number,
                    assignees.get(form.assignee).copied().unwrap_or(Assignee::Anyone),
                    form.note.trim().to_owned(),
                ) else {
                    form.error = Some(s.callback_needs_consent.clone());
                    return Vec::new();
                };
                if let Some(file) = form.file {
                    // From a file: kept open until the store confirms.
                    return vec![Effect::ScheduleCallback { file, request }];
                }
                session.popups.pop();
                if let Some(call) = session.call.as_mut() {
                    call.callback_offered = true;
                }
                return self.finish_call(Some(request));
            }
            _ => {}
        }
        Vec::new()
    }

    /// Once a minute has passed, a callback that fell due since the last tick is announced.
    pub(super) fn announce_due(&mut self, previous: Timestamp, now: Timestamp) {
        let s = self.strings;
        let Some(session) = self.session.as_ref() else { return };
        let fallen: Vec<String> = session
            .queue
            .iter()
            .filter(|e| e.due_at > previous && e.due_at <= now)
            .map(|e| e.file_code.to_string())
            .collect();
        if !fallen.is_empty() {
            self.status = status(&s.fill(&s.callback_fell_due, &[("codes", &fallen.join(", "))]), false);
        }
    }
}
