//! The end of a shift: its figures (from the store), the handover note for the next shift,
//! then closing it and writing its summary.

use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::{Behaviour, Ctx, Outcome, Popup, ShiftChoice, Then};
use crate::app::effect::{AfterShift, Effect, Reply};
use crate::app::status::status;
use crate::domain::ShiftId;
use crate::domain::shift::Shift;
use crate::domain::summary::{Scope, Summary};
use crate::keymap::Action;

#[derive(Debug, Clone)]
pub struct EndShiftForm {
    /// The shift being closed: the session's, or the one found open at unlock.
    pub shift: ShiftId,
    /// The shift found open at unlock, when it is the one being closed: cancelling goes back
    /// to the choice, and the listener stays on a new shift once it is closed.
    pub left_open: Option<Shift>,
    /// Whose shift, when a supervisor closes that of someone who left without ending it
    /// (`None`: the session's own).
    pub of: Option<String>,
    /// Filled when the store answers.
    pub summary: Option<Summary>,
    pub handover: TextArea<'static>,
    /// Saving was asked: waiting for the store to close the shift.
    pub closing: bool,
}

impl EndShiftForm {
    /// The end of `shift`, its figures asked of the store (`Effect::LoadSummary`).
    pub fn new(shift: ShiftId) -> EndShiftForm {
        EndShiftForm {
            shift,
            left_open: None,
            of: None,
            summary: None,
            handover: crate::app::call_form::notes_editor(""),
            closing: false,
        }
    }

    /// A supervisor closing the shift `name` left open.
    pub fn of_someone_gone(shift: ShiftId, name: &str) -> EndShiftForm {
        EndShiftForm { of: Some(name.to_owned()), ..EndShiftForm::new(shift) }
    }

    /// The end of a shift found open at unlock.
    pub fn left_open(shift: Shift) -> EndShiftForm {
        EndShiftForm { left_open: Some(shift.clone()), ..EndShiftForm::new(shift.id) }
    }
}

impl Behaviour for EndShiftForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        if self.closing {
            return Outcome::stay();
        }
        match cx.action(key) {
            Some(Action::Save) => {
                self.closing = true;
                let handover = self.handover.lines().join("\n").trim().to_owned();
                let after = match (&self.of, &self.left_open) {
                    (Some(_), _) => AfterShift::Stay,
                    (None, Some(_)) => AfterShift::NewShift,
                    (None, None) => AfterShift::Lock,
                };
                Outcome::effect(Effect::EndShift { shift: self.shift, handover, after })
            }
            Some(Action::Cancel) => match self.left_open.take() {
                Some(shift) => Outcome::close().then(Then::open(Popup::ShiftChoice(ShiftChoice { shift }))),
                None => Outcome::close(),
            },
            _ => {
                self.handover.input(*key);
                Outcome::stay()
            }
        }
    }

    fn on_reply(&mut self, reply: &Reply, cx: &mut Ctx) -> Outcome {
        match reply {
            // Read off the keyboard: only this shift's (a form closed and another opened
            // meanwhile asked for its own).
            Reply::Summary(summary) if matches!(summary.scope, Scope::Shift { id, .. } if id == self.shift) => {
                self.summary = Some((**summary).clone())
            }
            // A supervisor closed the shift of someone who left: the supervisor stays, in the
            // view, asked again (it lists them no more).
            Reply::ShiftEnded { written, .. } if let Some(name) = &self.of => {
                let s = cx.strings;
                let (told, error) = match written {
                    Ok(path) => (
                        s.fill(&s.shift_of_ended, &[("name", name), ("path", &path.display().to_string())]),
                        false,
                    ),
                    Err(why) => (s.fill(&s.shift_of_ended_no_export, &[("name", name), ("why", why)]), true),
                };
                return Outcome::effect(Effect::RefreshOverview).closing().with_status(status(&told, error));
            }
            Reply::ShiftEnded { .. } => return Outcome::close(),
            // A shift that could not be closed stays on screen, its note kept, to try again.
            Reply::Failed(_) => self.closing = false,
            // Its figures could not be read while the server was away: asked again once it
            // answers, the note typed meanwhile kept.
            Reply::ServerBack { .. } if self.summary.is_none() => {
                return Outcome::effect(Effect::LoadSummary(self.shift));
            }
            _ => {}
        }
        Outcome::stay()
    }

    fn paste(&mut self, text: &str) {
        self.handover.insert_str(text);
    }
}
