//! Callbacks from the interface: scheduling from a file, performing one from the queue (take
//! it, show its number, start the call or log the failed attempt), and the supervisor's view
//! and changes (reassign, reschedule, cancel). Every change names the version it was made on;
//! a change that lost a race comes back as `CallbackConflict`.

use super::App;
use super::effect::Effect;
use super::popup::{
    CallbackForm, CallbackTextForm, PerformForm, Popup, ReassignForm, SupervisorView, TextPurpose,
};
use super::status::{Until, status, status_until};
use crate::domain::Timestamp;
use crate::domain::callback::{Assignee, QueueEntry};
use crate::domain::listener::Role;
use crate::keymap::Action;

impl App {
    pub(super) fn callback_action(&mut self, action: Action) -> Vec<Effect> {
        let s = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let supervisor = session.actor.role == Role::Supervisor;
        match action {
            Action::SupervisorView | Action::Statistics if !supervisor => {
                self.status = status(&s.error_forbidden, true)
            }
            Action::Statistics => {
                let (view, load) = super::popup::StatisticsView::open(self.now, self.config.timezone);
                session.popups.push(Popup::Statistics(Box::new(view)));
                return vec![load];
            }
            Action::SupervisorView => {
                session.popups.push(Popup::Supervisor(SupervisorView::default()));
                return vec![Effect::RefreshOverview, Effect::RefreshQueue];
            }
            Action::ScheduleCallback => {
                if session.file_opening.is_some() {
                    self.status = status(&s.file_still_opening, true);
                    return Vec::new();
                }
                let Some(view) = session.file.as_ref() else {
                    self.status = status(&s.no_file_shown, true);
                    return Vec::new();
                };
                session.popups.push(Popup::CallbackForm(CallbackForm::for_file(view.file.id)));
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
    pub(super) fn on_queue_entry(&mut self, action: Action, entry: QueueEntry) -> Vec<Effect> {
        let s = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let supervisor = session.actor.role == Role::Supervisor;
        let mine = entry.assignee == Assignee::Listener(session.actor.id);
        let popup = match action {
            Action::PerformCallback if session.call.is_some() => {
                self.status = status_until(&s.call_already_running, true, Until::CallEnds);
                return Vec::new();
            }
            Action::PerformCallback if session.shift.is_none() => {
                self.status = status_until(&s.no_shift_yet, true, Until::ShiftStarts);
                return Vec::new();
            }
            Action::PerformCallback => {
                let (id, version) = (entry.id, entry.version);
                session.popups.push(Popup::Perform(Box::new(PerformForm::new(entry))));
                return vec![Effect::TakeCallback { id, version }];
            }
            Action::ReassignCallback if supervisor => Popup::Reassign(ReassignForm::new(entry, session)),
            Action::RescheduleCallback if supervisor || mine => {
                Popup::CallbackText(CallbackTextForm::new(TextPurpose::Reschedule, entry))
            }
            Action::CancelCallback if supervisor || mine => {
                Popup::CallbackText(CallbackTextForm::new(TextPurpose::Cancel, entry))
            }
            Action::ReassignCallback | Action::RescheduleCallback | Action::CancelCallback => {
                self.status = status(&s.error_forbidden, true);
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        session.popups.push(popup);
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
