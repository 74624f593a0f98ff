//! What a listener does with a caller file from its pane: search from anywhere, edit, close
//! with the caller's answer, reopen, legal holds (supervisors) and amending a call's notes.
//! Each change is an `Effect::ChangeFile`; its popup stays open until the store confirms it,
//! so a refused change (full disk, a permission) loses nothing that was typed.

use super::App;
use super::effect::Effect;
use super::popup::{ClosureForm, FileForm, FileSearch, NotesForm, Popup, ReasonForm, ReasonPurpose};
use super::status::status;
use crate::domain::caller_file::FileStatus;
use crate::domain::file_record::RepeatCaller;
use crate::domain::listener::Role;
use crate::keymap::Action;

impl App {
    /// The file actions bound in the file pane, and the search from anywhere.
    pub(super) fn file_action(&mut self, action: Action) -> Vec<Effect> {
        let s = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        if action == Action::SearchFiles {
            session.popups.push(Popup::FileSearch(FileSearch::open()));
            return Vec::new();
        }
        if session.file_opening.is_some() {
            self.status = status(&s.file_still_opening, true);
            return Vec::new();
        }
        let Some(view) = session.file.as_ref() else {
            self.status = status(&s.no_file_shown, true);
            return Vec::new();
        };
        let file = &view.file;
        let closed = file.status == FileStatus::Closed;
        let supervisor = session.actor.role == Role::Supervisor;
        let refused = match action {
            Action::CloseFile if closed => Some(&s.file_already_closed),
            Action::ReopenFile if !closed => Some(&s.file_not_closed),
            Action::LegalHold if !supervisor => Some(&s.error_forbidden),
            _ => None,
        };
        if let Some(why) = refused {
            self.status = status(why, true);
            return Vec::new();
        }
        let popup = match action {
            Action::EditFile => Popup::FileForm(FileForm::of(file)),
            Action::CloseFile => Popup::Closure(ClosureForm::new(file.id, file.code.clone())),
            Action::ReopenFile | Action::LegalHold => {
                let purpose = match action {
                    Action::ReopenFile => ReasonPurpose::Reopen,
                    _ if file.legal_hold => ReasonPurpose::LiftHold,
                    _ => ReasonPurpose::SetHold,
                };
                Popup::Reason(ReasonForm::new(file.id, file.code.clone(), purpose))
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
                Popup::AmendNotes(Box::new(NotesForm::new(file.id, call)))
            }
            _ => return Vec::new(),
        };
        session.popups.push(popup);
        Vec::new()
    }

    /// Notes another file asked for than the one shown (`Session::file_opening`).
    pub(super) fn note_file_opening(&mut self, effects: &[Effect]) {
        let Some(session) = self.session.as_mut() else { return };
        for effect in effects {
            if let Effect::OpenFile { id, .. } = effect
                && session.file.as_ref().map(|view| view.file.id) != Some(*id)
            {
                session.file_opening = Some(*id);
            }
        }
    }

    /// Up and down in the file pane move through the history.
    pub(super) fn move_in_history(&mut self, forward: bool) {
        let Some(session) = self.session.as_mut() else { return };
        let len = session.file.as_ref().map_or(0, |v| v.history.len());
        session.file_selected = super::popup::move_in(session.file_selected, len, forward);
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
}
