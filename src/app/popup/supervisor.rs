//! The supervisor's view of the shift: who is on a call, every pending callback, filtered by
//! listener and by overdue or flagged; a callback chosen there is reassigned, rescheduled or
//! cancelled (`Then::OnQueueEntry`).

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, EndShiftForm, Outcome, Popup, Then, move_in, step};
use crate::app::Session;
use crate::app::effect::{Effect, Reply};
use crate::app::status::status;
use crate::domain::ListenerId;
use crate::domain::Timestamp;
use crate::domain::callback::{Assignee, QueueEntry};
use crate::keymap::{Action, Context};

/// Which pending callbacks the supervisor's view lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueFilter {
    #[default]
    All,
    Overdue,
    Flagged,
}

#[derive(Debug, Clone, Default)]
pub struct SupervisorView {
    /// Only this listener's callbacks (`None`: everyone's).
    pub listener: Option<ListenerId>,
    pub filter: QueueFilter,
    /// Index in the filtered list.
    pub selected: usize,
}

/// The pending callbacks the view's filter keeps.
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

impl Behaviour for SupervisorView {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        let action = cx.keymap.action(Context::Supervisor, key).or_else(|| cx.action(key));
        let len = filtered(cx.session, self, cx.now).len();
        match action {
            Some(Action::SelectPrevious) => self.selected = move_in(self.selected, len, false),
            Some(Action::SelectNext) => self.selected = move_in(self.selected, len, true),
            Some(action @ (Action::ChoicePrevious | Action::ChoiceNext)) => {
                // Everyone, then each listener.
                let listeners: Vec<ListenerId> = cx.session.listeners.iter().map(|(id, _)| *id).collect();
                let at =
                    self.listener.and_then(|l| listeners.iter().position(|x| *x == l)).map_or(0, |i| i + 1);
                let next = step(at, listeners.len() + 1, action == Action::ChoiceNext);
                self.listener = next.checked_sub(1).map(|i| listeners[i]);
                self.selected = 0;
            }
            Some(Action::FilterCallbacks) => {
                self.filter = match self.filter {
                    QueueFilter::All => QueueFilter::Overdue,
                    QueueFilter::Overdue => QueueFilter::Flagged,
                    QueueFilter::Flagged => QueueFilter::All,
                };
                self.selected = 0;
            }
            Some(Action::Cancel | Action::Close) => return Outcome::close(),
            // The shift of the listener chosen with the choice keys, if they left without
            // ending it; a terminal still open closes its own.
            Some(Action::CloseShift) => {
                let s = cx.strings;
                let person =
                    self.listener.and_then(|id| cx.session.overview.iter().find(|p| p.listener_id == id));
                return match person {
                    None => Outcome::stay().with_status(status(&s.supervisor_close_pick, true)),
                    Some(person) if person.left.is_none() => {
                        let told = s.fill(&s.supervisor_close_still_there, &[("name", &person.name)]);
                        Outcome::stay().with_status(status(&told, true))
                    }
                    Some(person) => {
                        let form = EndShiftForm::of_someone_gone(person.shift_id, &person.name);
                        Outcome::effect(Effect::LoadSummary(person.shift_id))
                            .then(Then::open(Popup::EndShift(Box::new(form))))
                    }
                };
            }
            Some(
                action @ (Action::ReassignCallback | Action::RescheduleCallback | Action::CancelCallback),
            ) => {
                if let Some(entry) = filtered(cx.session, self, cx.now).get(self.selected) {
                    return Outcome::stay().then(Then::OnQueueEntry(action, (*entry).clone()));
                }
            }
            _ => {}
        }
        Outcome::stay()
    }

    /// The queue changed: who is on a call may have too.
    fn on_reply(&mut self, reply: &Reply, _cx: &mut Ctx) -> Outcome {
        match reply {
            Reply::Queue(_) => Outcome::effect(Effect::RefreshOverview),
            _ => Outcome::stay(),
        }
    }
}
