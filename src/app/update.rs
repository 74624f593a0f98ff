//! `update`: what an action does on the main screen. The call's own actions are in
//! `call_actions`, the file pane's in `caller_file`, the callbacks' in `callbacks`.

use super::effect::Effect;
use super::popup::{AckForm, EmergencyCard, EndShiftForm, Help, Popup};
use super::status::{Until, status, status_until};
use super::{App, Pane};
use crate::keymap::Action;

impl App {
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let s = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        match action {
            Action::Help => toggle_popup(&mut session.popups, Popup::Help(Help)),
            Action::EmergencyCard => {
                toggle_popup(&mut session.popups, Popup::EmergencyCard(EmergencyCard::default()))
            }
            Action::Lock => return self.lock(),
            Action::AnswerPhone => return self.answer_phone(),
            Action::HangUpPhone => return self.hang_up_phone(),
            Action::LinkKnownFile => return self.link_known_file(),
            Action::Quit => return self.request_quit(),
            Action::FocusNext => session.focus = session.focus.step(1),
            Action::FocusPrevious => session.focus = session.focus.step(-1),
            Action::FocusCall => session.focus = Pane::Call,
            Action::FocusFile => session.focus = Pane::File,
            Action::FocusEmergency => session.focus = Pane::Emergency,
            Action::FocusCallbacks => session.focus = Pane::Callbacks,
            Action::SelectNext | Action::SelectPrevious if session.focus == Pane::Callbacks => {
                // Stops at either end (the pane's title says where): a wrap would go unseen.
                let forward = action == Action::SelectNext;
                session.queue_selected =
                    super::popup::move_in(session.queue_selected, session.queue.len(), forward);
            }
            Action::SelectNext | Action::SelectPrevious if session.focus == Pane::File => {
                self.move_in_history(action == Action::SelectNext)
            }
            Action::SelectNext | Action::SelectPrevious => {}
            Action::SearchFiles
            | Action::EditFile
            | Action::CloseFile
            | Action::ReopenFile
            | Action::LegalHold
            | Action::AmendNotes => return self.file_action(action),
            Action::PerformCallback
            | Action::ReassignCallback
            | Action::RescheduleCallback
            | Action::CancelCallback
            | Action::SupervisorView
            | Action::Statistics
            | Action::ScheduleCallback => return self.callback_action(action),
            Action::EndShift => {
                let Some(shift) = session.shift.as_ref().map(|s| s.id) else {
                    self.status = status_until(&s.no_shift_yet, true, Until::ShiftStarts);
                    return Vec::new();
                };
                if session.call.is_some() {
                    self.status = status_until(&s.end_shift_call_running, true, Until::CallEnds);
                    return Vec::new();
                }
                session.popups.push(Popup::EndShift(Box::new(EndShiftForm::new(shift))));
                return vec![Effect::LoadSummary(shift)];
            }
            Action::AcknowledgePrompts => {
                let pending = session.call.as_ref().is_some_and(|c| c.pending_prompts().next().is_some());
                if !pending {
                    self.status = status(&s.no_prompt_pending, false);
                } else if !matches!(session.popups.last(), Some(Popup::Acknowledge(_))) {
                    session.popups.push(Popup::Acknowledge(AckForm::default()));
                }
            }
            _ => return self.call_action(action),
        }
        Vec::new()
    }
}

/// The same popup again closes it (the help's key, the card's key).
fn toggle_popup(popups: &mut Vec<Popup>, popup: Popup) {
    if popups.last().is_some_and(|top| std::mem::discriminant(top) == std::mem::discriminant(&popup)) {
        popups.pop();
    } else {
        popups.push(popup);
    }
}
