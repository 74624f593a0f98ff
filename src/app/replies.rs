//! `apply`: what the store's replies change. The top popup sees a reply first
//! (`Behaviour::on_reply`: a form closes once its change is saved, a search takes its hits);
//! then the session takes what is its own.

use super::effect::{AfterShift, Effect, Outage, Reply, Unlocked};
use super::gate::{Gate, Notice};
use super::popup::{CallbackForm, DraftRecovery, Handover, NewFileCode, Popup, ShiftChoice};
use super::status::{Until, status, status_until};
use super::{App, Pane, Session};
use crate::domain::callback::CallbackNow;
use crate::domain::caller_file::UnlockPurge;
use crate::i18n::Strings;

impl App {
    pub fn apply(&mut self, reply: Reply) -> Vec<Effect> {
        let mut effects = self.with_top_popup(|popup, cx| popup.behaviour().on_reply(&reply, cx));
        effects.extend(self.on_reply(reply));
        self.note_file_opening(&effects);
        self.settle_status();
        effects
    }

    fn on_reply(&mut self, reply: Reply) -> Vec<Effect> {
        let now = self.now;
        match reply {
            Reply::Unlocked(unlocked) => return self.unlocked(*unlocked),
            Reply::UnlockFailed { message, retry_in } => match self.gate.as_mut() {
                Some(Gate::Unlock(form)) => {
                    form.must_wait(now, retry_in);
                    form.message = Notice::failed(message);
                }
                Some(Gate::Setup(form)) => form.message = Notice::failed(message),
                None => {}
            },
            Reply::Failed(message) => {
                // A file being opened that did not come (the server away): the pane shows no
                // file rather than the one before, whose instructions are another caller's.
                if let Some(session) = self.session.as_mut()
                    && session.file_opening.take().is_some()
                {
                    session.file = None;
                }
                self.warn(message)
            }
            Reply::CallerRecognised { line, hash, history } => self.caller_recognised(line, hash, history),
            // Another terminal re-keyed the database and this account's slot no longer opens
            // it. The store is already closed: what is typed stays in memory, and comes back if
            // this account unlocks again (a passphrase reset); nothing else is shown.
            Reply::Revoked(message) => {
                let effects = self.lock();
                if let Some(Gate::Unlock(form)) = self.gate.as_mut() {
                    form.message = Notice::failed(message);
                }
                return effects;
            }
            Reply::ShiftEnded { written, after } => return self.shift_ended(written, after),
            reply => return self.session_reply(reply),
        }
        Vec::new()
    }

    /// The call is done with (saved, or kept on this machine for the server): it leaves the
    /// call pane, `status` says how.
    fn call_done(&mut self, status: Option<super::status::Status>) -> Vec<Effect> {
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let file = session.call.take().and_then(|c| c.file);
        session.dirty_since = None;
        session.last_saved = Some(now);
        session.save_failed = false;
        self.status = status;
        self.phone.known = None;
        let mut effects = vec![Effect::RefreshQueue];
        effects.extend(file.map(|id| Effect::OpenFile { id, audited: false }));
        effects.extend(self.answer_if_asked());
        effects
    }

    /// The replies that change the session.
    fn session_reply(&mut self, reply: Reply) -> Vec<Effect> {
        let s = self.strings;
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        match reply {
            Reply::ShiftStarted(shift) => session.shift = Some(shift),
            Reply::DraftSaved(at) => {
                session.last_saved = Some(at);
                session.save_failed = false;
                session.outage = None;
            }
            Reply::DraftFailed(message) => {
                // Retried at the next tick; the call stays in memory meanwhile.
                session.dirty_since.get_or_insert(now);
                session.save_failed = true;
                self.status = status_until(&message, true, Until::Saved);
            }
            // Kept on this machine: nothing is lost; sent to the server once it is back.
            Reply::DraftKept { at, outage } => {
                session.last_saved = Some(at);
                session.save_failed = false;
                session.outage = Some(outage);
                self.status = status_until(outage_message(s, outage), true, Until::Reachable);
            }
            Reply::ServerUnreachable(outage) => {
                session.outage = Some(outage);
                self.status = status_until(outage_message(s, outage), true, Until::Reachable);
            }
            Reply::ServerBack { saved } => {
                session.outage = None;
                // The draft kept on this machine meanwhile goes to the server too.
                if session.call.is_some() {
                    session.mark_dirty(now);
                }
                if saved > 0 {
                    let calls = s.count(saved as u64, &s.count_calls_one, &s.count_calls);
                    self.say(s.fill(&s.kept_calls_saved, &[("calls", &calls)]));
                } else {
                    self.say(s.server_back.clone());
                }
                return vec![Effect::RefreshQueue];
            }
            Reply::CallSaved => {
                session.outage = None;
                return self.call_done(status_until(&s.call_saved, false, Until::CallStarts));
            }
            Reply::CallSavedCallbackClosed(now) => {
                session.outage = None;
                let said = match &now {
                    CallbackNow::Closed(status) => {
                        s.fill(&s.conflict_closed, &[("status", s.callback_status(*status))])
                    }
                    CallbackNow::AssignedTo(_) => String::new(),
                };
                let told = s.fill(&s.call_saved_callback_closed, &[("detail", &said)]);
                return self.call_done(status_until(&told, true, Until::CallStarts));
            }
            // Ended, and kept on this machine until the server answers: done for the session.
            Reply::CallKept(outage) => {
                session.outage = Some(outage);
                return self.call_done(status_until(outage_message(s, outage), true, Until::Reachable));
            }
            Reply::FileLoaded(view) => {
                if session.file_opening == Some(view.file.id) {
                    session.file_opening = None;
                }
                if session.file.as_ref().map(|f| f.file.id) != Some(view.file.id) {
                    session.file_selected = 0;
                }
                session.file = Some(*view);
                self.file_arrived();
            }
            Reply::FileChanged(view) => {
                session.file_selected = session.file_selected.min(view.history.len().saturating_sub(1));
                session.file = Some(*view);
                self.say(s.file_saved.clone());
            }
            // The form stays open with what was typed (it says why); the pane shows the file
            // as it is now.
            Reply::FileConflict(view) => {
                session.file_selected = session.file_selected.min(view.history.len().saturating_sub(1));
                session.file = Some(*view);
                self.warn(s.file_changed_meanwhile.clone());
            }
            Reply::FileCreated(view) => {
                session.file_opening = None;
                if let Some(call) = session.call.as_mut() {
                    call.file = Some(view.file.id);
                    // Opened so that an anonymous caller could be called back: the callback
                    // form comes once the code has been read to them.
                    if std::mem::take(&mut call.callback_after_file) {
                        session.popups.push(Popup::CallbackForm(CallbackForm::replying_on(&call.channel)));
                    }
                }
                session.popups.push(Popup::NewFileCode(NewFileCode { code: view.file.code.clone() }));
                session.file = Some(*view);
                session.mark_dirty(now);
            }
            Reply::Queue(queue) => {
                // The callback chosen stays chosen wherever the new queue puts it (another desk
                // rescheduled one above it): Enter performs the callback the listener chose.
                let chosen = session.queue.get(session.queue_selected).map(|entry| entry.id);
                let still_there = queue.get(session.queue_selected).map(|entry| entry.id) == chosen;
                session.queue_selected = match queue.iter().position(|entry| Some(entry.id) == chosen) {
                    Some(index) if !still_there => index,
                    _ => session.queue_selected.min(queue.len().saturating_sub(1)),
                };
                // The callback just scheduled is the one in sight (its file's newest).
                if let Some(file) = session.show_callback_of.take()
                    && let Some((index, _)) = queue
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| e.file_id == file)
                        .max_by_key(|(_, e)| e.id.0)
                {
                    session.queue_selected = index;
                }
                session.queue = queue;
            }
            Reply::CallbackTaken(callback) => {
                let mut effects = vec![Effect::RefreshQueue];
                effects.extend(self.dial_callback(&callback));
                return effects;
            }
            Reply::AttemptRecorded { flagged } => {
                self.say(if flagged { s.attempt_flagged.clone() } else { s.attempt_recorded.clone() });
                return vec![Effect::RefreshQueue];
            }
            Reply::CallbackScheduled(file) => {
                session.show_callback_of = Some(file);
                self.say(s.callback_scheduled_saved.clone());
                return vec![Effect::RefreshQueue, Effect::OpenFile { id: file, audited: false }];
            }
            Reply::CallbackChanged => {
                self.say(s.callback_changed.clone());
                return vec![Effect::RefreshQueue, Effect::RefreshOverview];
            }
            Reply::CallbackConflict(now) => {
                let detail = match &now {
                    CallbackNow::Closed(status) => {
                        s.fill(&s.conflict_closed, &[("status", s.callback_status(*status))])
                    }
                    CallbackNow::AssignedTo(name) => s.fill(
                        &s.conflict_assigned,
                        &[("name", name.as_deref().unwrap_or(&s.callback_anyone))],
                    ),
                };
                self.warn(s.fill(&s.callback_conflict, &[("detail", &detail)]));
                return vec![Effect::RefreshQueue];
            }
            Reply::Overview(overview) => {
                session.overview = overview;
                session.overview_at = now;
            }
            Reply::FileHits { .. }
            | Reply::Summary(_)
            | Reply::Statistics { .. }
            | Reply::StatisticsFailed { .. }
            | Reply::Unlocked(_)
            | Reply::UnlockFailed { .. }
            | Reply::ShiftEnded { .. }
            | Reply::Failed(_)
            | Reply::CallerRecognised { .. }
            | Reply::Revoked(_) => {}
        }
        Vec::new()
    }

    /// The shift is closed (its summary written, or why not): the terminal goes to the next
    /// listener, the unlock screen saying what happened; or, when the shift left open was
    /// closed from the unlock popup, the listener who just unlocked stays, on a new shift.
    fn shift_ended(&mut self, written: Result<std::path::PathBuf, String>, after: AfterShift) -> Vec<Effect> {
        let s = self.strings;
        if after == AfterShift::Stay {
            return Vec::new();
        }
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        session.shift = None;
        let (told, done) = match written {
            Ok(path) => (s.fill(&s.shift_ended, &[("path", &path.display().to_string())]), true),
            Err(why) => (s.fill(&s.shift_ended_no_export, &[("why", &why)]), false),
        };
        if after == AfterShift::NewShift {
            self.status = status(&told, !done);
            return vec![Effect::StartShift];
        }
        let effects = self.lock();
        if let Some(Gate::Unlock(form)) = self.gate.as_mut() {
            form.message = if done { Notice::done(told) } else { Notice::failed(told) };
        }
        effects
    }

    fn unlocked(&mut self, unlocked: Unlocked) -> Vec<Effect> {
        let now = self.now;
        let s = self.strings;
        self.gate = None;
        self.status = None;
        if unlocked.kept_calls_saved > 0 {
            let calls = s.count(unlocked.kept_calls_saved as u64, &s.count_calls_one, &s.count_calls);
            self.say(s.fill(&s.kept_calls_saved, &[("calls", &calls)]));
        }
        if let Some(session) = self.session.as_mut().filter(|s| s.actor.id == unlocked.actor.id) {
            session.outage = None;
            // The same listener back: exactly where they were (with a new shift if they had
            // closed theirs).
            session.queue = unlocked.queue;
            session.listeners = unlocked.listeners;
            session.access = unlocked.access;
            session.last_activity = now;
            if let Some(call) = session.call.as_mut().filter(|_| session.popups.is_empty()) {
                call.editing_notes = std::mem::take(&mut session.notes_open_at_lock);
            }
            // A file asked for just before the lock is not shown (what is read for a closed
            // store is dropped), nor what changed in the one shown meanwhile: read again.
            let file = (session.file_opening.take())
                .or(session.call.as_ref().and_then(|c| c.file))
                .or(session.file.as_ref().map(|f| f.file.id));
            let mut effects: Vec<Effect> =
                file.map(|id| Effect::OpenFile { id, audited: false }).into_iter().collect();
            if session.shift.is_none() {
                effects.push(Effect::StartShift);
            }
            return effects;
        }
        let login = unlocked.actor.login.clone();
        if !self.logins.contains(&login) {
            self.logins.push(login);
        }
        let mut session = Session::new(unlocked.actor, unlocked.queue, now);
        session.listeners = unlocked.listeners;
        session.access = unlocked.access;
        // What the previous shift left comes first: its note (below) and the pending callbacks.
        if !session.queue.is_empty() {
            session.focus = Pane::Callbacks;
        }
        let mut effects = Vec::new();
        let purge = match &unlocked.purged {
            UnlockPurge::Nothing => None,
            UnlockPurge::RetentionNotSet => {
                self.warn(s.retention_not_set.clone());
                None
            }
            UnlockPurge::Done(report) => Some((&s.purged_at_unlock, report)),
            UnlockPurge::AwaitingSupervisor(report) => Some((&s.purge_awaiting_supervisor, report)),
        };
        if let Some((template, report)) = purge {
            let files = s.count(report.files as u64, &s.count_files_one, &s.count_files);
            let calls = s.count(report.calls as u64, &s.count_calls_one, &s.count_calls);
            self.say(s.fill(template, &[("files", &files), ("calls", &calls)]));
        }
        if let Some(note) = unlocked.handover.and_then(|shift| shift.handover_note) {
            session.popups.push(Popup::Handover(Handover { note }));
        }
        if let Some(draft) = unlocked.draft {
            session.popups.push(Popup::DraftRecovery(DraftRecovery { draft }));
        }
        match unlocked.open_shift {
            Some(shift) => session.popups.push(Popup::ShiftChoice(ShiftChoice { shift })),
            None => effects.push(Effect::StartShift),
        }
        self.session = Some(session);
        effects
    }
}

/// What the status line says while the server takes no writes.
fn outage_message(s: &Strings, outage: Outage) -> &str {
    match outage {
        Outage::Unreachable => &s.error_connection_lost,
        Outage::StandbyOnly => &s.error_standby_only,
    }
}
