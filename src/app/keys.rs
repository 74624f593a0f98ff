//! How a key travels, decided in one place (`App::key_route`) that both the key handling here
//! and the hint bar read, so a hint never names a key that does something else:
//! the gate's forms before unlock; else the global keys (over popups only the help, the card,
//! locking and quitting); then the top popup, or the notes being typed, or the focused pane's
//! contexts.

use ratatui::crossterm::event::{KeyEvent, KeyEventKind};

use super::effect::Effect;
use super::{App, Pane};
use crate::domain::callback::Assignee;
use crate::domain::caller_file::FileStatus;
use crate::domain::listener::Role;
use crate::keymap::{Action, Context};

/// The global actions that still work while a popup is open, in the order the hints show them.
pub const OVER_POPUPS: [Action; 6] = [
    Action::EmergencyCard,
    Action::Help,
    Action::Lock,
    Action::Quit,
    // A phone that rings is answered (or a line hung up) whatever is open.
    Action::AnswerPhone,
    Action::HangUpPhone,
];

/// Where a key goes now, besides the global keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRoute {
    /// The setup or unlock form.
    Gate,
    /// The top popup, read in these contexts.
    Popup(&'static [Context]),
    /// The notes being typed: `[notes]`, then the editor.
    Notes,
    /// The panes: these contexts, most specific first.
    Panes(&'static [Context]),
}

impl KeyRoute {
    /// The contexts whose keys work now besides the global ones, most specific first (the
    /// gate's forms read the popup keys).
    pub fn contexts(self) -> &'static [Context] {
        match self {
            KeyRoute::Gate => &[Context::Popup],
            KeyRoute::Popup(contexts) | KeyRoute::Panes(contexts) => contexts,
            KeyRoute::Notes => &[Context::Notes],
        }
    }

    /// Whether a global `action` is taken before the route sees the key.
    pub fn global(self, action: Action) -> bool {
        match self {
            KeyRoute::Gate => false,
            KeyRoute::Popup(_) => OVER_POPUPS.contains(&action),
            KeyRoute::Notes | KeyRoute::Panes(_) => true,
        }
    }
}

impl App {
    pub fn key_route(&self) -> KeyRoute {
        let Some(session) = self.session.as_ref().filter(|_| self.gate.is_none()) else {
            return KeyRoute::Gate;
        };
        if let Some(popup) = session.popups.last() {
            return KeyRoute::Popup(popup.contexts());
        }
        if session.typing_notes() {
            return KeyRoute::Notes;
        }
        KeyRoute::Panes(match session.focus {
            Pane::Call if session.call.is_some() => &[Context::Call, Context::Main],
            Pane::File if session.file.is_some() => &[Context::File, Context::Main],
            Pane::Callbacks => &[Context::Callbacks, Context::Main],
            _ => &[Context::Main],
        })
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let effects = self.on_key(key);
        self.note_file_opening(&effects);
        self.settle_status();
        effects
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let route = self.key_route();
        if route == KeyRoute::Gate {
            return self.gate_key(&key);
        }
        let now = self.now;
        // Over a popup the phone's keys act only when the phone has something for them, so that
        // a popup's own binding of the same key still works the rest of the time.
        let phone_key = |a: &Action| matches!(a, Action::AnswerPhone | Action::HangUpPhone);
        let global = self.keymap.action(Context::Global, &key).filter(|a| {
            route.global(*a) && (!matches!(route, KeyRoute::Popup(_)) || !phone_key(a) || self.offers(*a))
        });
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        session.last_activity = now;
        if let Some(action) = global {
            return self.update(action);
        }
        match route {
            KeyRoute::Popup(_) => self.popup_key(&key),
            KeyRoute::Notes => {
                let Some(call) = session.call.as_mut() else { return Vec::new() };
                if self.keymap.action(Context::Notes, &key) == Some(Action::StopEditing) {
                    call.editing_notes = false;
                } else if call.notes.input(key) {
                    session.mark_dirty(now);
                }
                Vec::new()
            }
            KeyRoute::Panes(contexts) => {
                match contexts.iter().find_map(|context| self.keymap.action(*context, &key)) {
                    Some(action) => self.update(action),
                    None => Vec::new(),
                }
            }
            KeyRoute::Gate => Vec::new(),
        }
    }

    /// Pasted text goes into the notes when they are being typed, or into the top popup's
    /// editor when it has one.
    pub fn handle_paste(&mut self, text: &str) {
        let now = self.now;
        if self.gate.is_some() {
            return;
        }
        let Some(session) = self.session.as_mut() else { return };
        session.last_activity = now;
        if let Some(popup) = session.popups.last_mut() {
            popup.behaviour().paste(text);
        } else if session.typing_notes()
            && let Some(call) = session.call.as_mut()
        {
            call.notes.insert_str(text);
            session.mark_dirty(now);
        }
    }

    /// Whether a key for `action` is worth showing in the hint bar now: one that would only be
    /// refused (taking a call during a call, the supervisor's view for a listener) is not.
    pub fn offers(&self, action: Action) -> bool {
        let Some(session) = self.session.as_ref() else { return false };
        let idle = session.call.is_none();
        let on_shift = session.shift.is_some();
        let supervisor = session.actor.role == Role::Supervisor;
        let closed = session.file.as_ref().map(|view| view.file.status == FileStatus::Closed);
        let selected = session.queue.get(session.queue_selected);
        let mine = selected.is_some_and(|e| e.assignee == Assignee::Listener(session.actor.id));
        match action {
            // A call is ended with `e`, never left by a stray key.
            Action::StartCall
            | Action::StartWrittenContact
            | Action::QuickSilent
            | Action::QuickHangUp
            | Action::QuickWrongNumber
            | Action::QuickAbusive
            | Action::QuickTesting => idle && on_shift,
            Action::Quit | Action::EndShift => idle,
            action if action.is_for_supervisors() => supervisor,
            Action::PerformCallback => idle && on_shift && selected.is_some(),
            Action::RescheduleCallback | Action::CancelCallback => selected.is_some() && (supervisor || mine),
            Action::CloseFile => closed == Some(false),
            Action::ReopenFile => closed == Some(true),
            // The phone's keys, only when the phone has something for them.
            Action::AnswerPhone => self.phone.ringing.is_some(),
            Action::HangUpPhone => self.phone.has_line(),
            Action::LinkKnownFile => {
                self.phone.known.as_ref().is_some_and(|k| !k.files.is_empty())
                    && session.call.as_ref().is_some_and(|c| c.file.is_none())
            }
            _ => true,
        }
    }
}
