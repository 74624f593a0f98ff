//! Amending the notes of a call in the file's history, made on the notes seen.

use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::{Behaviour, Ctx, Outcome};
use crate::app::effect::{Effect, FileChange, Reply};
use crate::domain::call::Call;
use crate::domain::{CallId, FileId, Timestamp};
use crate::keymap::Action;

#[derive(Debug, Clone)]
pub struct NotesForm {
    pub file: FileId,
    pub call: CallId,
    pub started_at: Timestamp,
    pub original: String,
    pub notes: TextArea<'static>,
    /// Cancelling was asked once over unsaved changes; a second time discards them.
    pub discard_armed: bool,
}

impl NotesForm {
    pub fn new(file: FileId, call: &Call) -> NotesForm {
        NotesForm {
            file,
            call: call.id,
            started_at: call.started_at,
            original: call.record.notes.clone(),
            notes: crate::app::call_form::notes_editor(&call.record.notes),
            discard_armed: false,
        }
    }

    fn text(&self) -> String {
        self.notes.lines().join("\n")
    }
}

impl Behaviour for NotesForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        match cx.action(key) {
            Some(Action::Save) => Outcome::effect(Effect::ChangeFile(FileChange::AmendNotes {
                file: self.file,
                call: self.call,
                seen: self.original.clone(),
                notes: self.text(),
            })),
            Some(Action::Cancel) if self.discard_armed || self.text() == self.original => Outcome::close(),
            Some(Action::Cancel) => {
                self.discard_armed = true;
                Outcome::stay()
            }
            _ => {
                self.discard_armed = false;
                self.notes.input(*key);
                Outcome::stay()
            }
        }
    }

    fn on_reply(&mut self, reply: &Reply, _cx: &mut Ctx) -> Outcome {
        if matches!(reply, Reply::FileChanged(_)) { Outcome::close() } else { Outcome::stay() }
    }

    fn paste(&mut self, text: &str) {
        self.notes.insert_str(text);
    }
}
