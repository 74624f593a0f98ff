//! The phone in the app: what its events change (a call rings, is answered, the line drops)
//! and the listener's phone keys (answer, hang up, link the file of a number heard before).
//! The phone itself is `crate::phone`, on its own thread; here only what it said arrives,
//! through `App::phone_event`, and what is asked of it leaves as `Effect::Phone`.

use super::call_form::CallForm;
use super::effect::Effect;
use super::popup::{AnswerWhileWriting, Popup};
use super::{App, Pane};
use crate::domain::Timestamp;
use crate::domain::callback::{AttemptResult, Callback};
use crate::domain::phone::{CallerHistory, MissedCall, NumberHash, PhoneCall};
use crate::phone::{CallerNumber, EndReason, LineId, PhoneCommand, PhoneEvent};

/// What the terminal knows of the phone.
#[derive(Debug, Default)]
pub struct PhoneState {
    /// A phone is configured: its state is shown.
    pub enabled: bool,
    pub connected: bool,
    pub ringing: Option<Ringing>,
    /// The line of the call being taken, while it is up.
    pub live: Option<LineId>,
    /// The listener chose to end the call being written, then answer the one ringing on this
    /// line: another call ringing by the time it is saved is not answered for them.
    pub answer_after_save: Option<LineId>,
    /// What the number of the call being taken said when it rang.
    pub known: Option<CallerHistory>,
    /// Missed calls not yet in the store (it was locked when they ended).
    pub missed: Vec<MissedCall>,
    /// A callback being dialled.
    pub dialling: Option<LineId>,
}

impl PhoneState {
    /// A line the hang-up key can drop: the call being taken, one ringing, a callback dialled.
    pub fn has_line(&self) -> bool {
        self.live.is_some() || self.ringing.is_some() || self.dialling.is_some()
    }

    /// Whether the phone dials this callback (so its number is neither typed nor read): a
    /// callback by phone, with a phone configured and there.
    pub fn dials(&self, callback: &Callback) -> bool {
        callback.channel == crate::domain::channel::PHONE && self.enabled && self.connected
    }
}

/// A call ringing now.
#[derive(Debug)]
pub struct Ringing {
    pub line: LineId,
    pub since: Timestamp,
    pub withheld: bool,
    /// The number until the store has hashed it (then `None`): never drawn.
    pub number: Option<CallerNumber>,
    pub caller: Option<NumberHash>,
    pub history: Option<CallerHistory>,
}

impl App {
    /// What the phone said. Runs whether locked or not: a locked screen only shows that a call
    /// rings, and a call missed meanwhile is recorded at the next unlock.
    pub fn phone_event(&mut self, event: PhoneEvent) -> Vec<Effect> {
        let effects = self.on_phone_event(event);
        self.note_file_opening(&effects);
        self.settle_status();
        effects
    }

    fn on_phone_event(&mut self, event: PhoneEvent) -> Vec<Effect> {
        let s = self.strings;
        match event {
            PhoneEvent::Connected => self.phone.connected = true,
            PhoneEvent::Disconnected => {
                // What is being written stays; only what the phone was doing is forgotten.
                let phone = &mut self.phone;
                phone.connected = false;
                phone.ringing = None;
                phone.live = None;
                phone.dialling = None;
            }
            PhoneEvent::Incoming { line, number, at } => {
                if self.phone.ringing.is_none() {
                    let withheld = number == CallerNumber::Withheld;
                    self.phone.ringing = Some(Ringing {
                        line,
                        since: at,
                        withheld,
                        number: (!withheld).then_some(number),
                        caller: None,
                        history: None,
                    });
                    return self.recognise_ringing();
                }
            }
            PhoneEvent::Dialling { line, .. } => self.phone.dialling = Some(line),
            PhoneEvent::Answered { line, at } => return self.answered(line, at),
            PhoneEvent::Ended { line, at, reason } => return self.line_ended(line, at, reason),
            PhoneEvent::Refused { why, .. } => self.warn(s.fill(&s.phone_refused, &[("why", &why)])),
        }
        Vec::new()
    }

    /// The ringing number's hash and history, once a store is open to key it.
    pub(super) fn recognise_ringing(&mut self) -> Vec<Effect> {
        if !self.is_unlocked() {
            return Vec::new();
        }
        let Some(ringing) = self.phone.ringing.as_mut() else { return Vec::new() };
        match ringing.number.take() {
            Some(number) => vec![Effect::RecogniseCaller { line: ringing.line.clone(), number }],
            None => Vec::new(),
        }
    }

    /// The store's answer on the ringing number.
    pub(super) fn caller_recognised(&mut self, line: LineId, hash: NumberHash, history: CallerHistory) {
        match self.phone.ringing.as_mut().filter(|r| r.line == line) {
            Some(ringing) => {
                ringing.caller = Some(hash);
                ringing.history = Some(history);
            }
            // Already answered: the hash goes with the call.
            None if self.phone.live.as_ref() == Some(&line) => {
                if let Some(call) = self.session.as_mut().and_then(|s| s.call.as_mut()) {
                    call.phone.get_or_insert_with(PhoneCall::default).caller = Some(hash);
                }
                self.phone.known = Some(history);
            }
            None => {}
        }
    }

    /// Missed calls waiting for the store, now that one is open.
    pub(super) fn record_missed(&mut self) -> Vec<Effect> {
        if !self.is_unlocked() {
            return Vec::new();
        }
        self.phone.missed.drain(..).map(Effect::RecordMissed).collect()
    }

    fn answered(&mut self, line: LineId, at: Timestamp) -> Vec<Effect> {
        let s = self.strings;
        if self.phone.dialling.as_ref() == Some(&line) {
            self.say(s.phone_callback_answered.clone());
            return Vec::new();
        }
        let ours = self.phone.ringing.as_ref().is_some_and(|r| r.line == line);
        if !ours {
            return Vec::new();
        }
        let Some(session) = self.session.as_mut().filter(|_| self.gate.is_none()) else {
            // Answered on the phone itself while the screen is locked: the listener starts the
            // call by hand after unlocking.
            self.phone.ringing = None;
            return Vec::new();
        };
        let ringing = self.phone.ringing.take().expect("checked above");
        if session.call.is_some() || session.shift.is_none() {
            // Picked up on the phone itself: what is being written is not replaced.
            self.phone.known = None;
            self.warn(s.phone_answered_elsewhere.clone());
            return Vec::new();
        }
        let mut call = CallForm::new(at);
        call.phone = Some(PhoneCall { caller: ringing.caller, line_ended_at: None });
        // The listener types at once.
        call.editing_notes = true;
        session.call = Some(call);
        session.focus = Pane::Call;
        session.file = None;
        session.announced = None;
        session.popups.clear();
        session.mark_dirty(at);
        self.phone.live = Some(ringing.line);
        self.phone.known = ringing.history;
        let mut effects = Vec::new();
        // Answered before the store said whose number it was: it is asked again.
        if let Some(number) = ringing.number {
            effects.push(Effect::RecogniseCaller { line: self.phone.live.clone().expect("set"), number });
        }
        effects
    }

    fn line_ended(&mut self, line: LineId, at: Timestamp, reason: EndReason) -> Vec<Effect> {
        let s = self.strings;
        if self.phone.dialling.as_ref() == Some(&line) {
            self.phone.dialling = None;
            let said = match reason {
                EndReason::Busy => &s.phone_callback_busy,
                EndReason::NoAnswer => &s.phone_callback_no_answer,
                EndReason::HungUp | EndReason::Failed => &s.phone_callback_ended,
            };
            self.say(said.clone());
            // Busy or no answer: the attempt's outcome is the phone's (busy counts as not
            // reached); otherwise the listener says what came of it.
            let Some(session) = self.session.as_mut() else { return Vec::new() };
            let performing = match session.popups.last() {
                Some(Popup::Perform(form)) => form.callback.as_ref().map(|c| c.id),
                _ => None,
            };
            if let (Some(id), EndReason::Busy | EndReason::NoAnswer) = (performing, reason) {
                session.popups.pop();
                let policy = self.config.retry_policy();
                return vec![Effect::CallbackFailed { id, result: AttemptResult::NoAnswer, policy }];
            }
            return Vec::new();
        }
        if self.phone.ringing.as_ref().is_some_and(|r| r.line == line) {
            let ringing = self.phone.ringing.take().expect("checked above");
            let shift = self.session.as_ref().and_then(|s| s.shift.as_ref()).map(|shift| shift.id);
            self.phone.missed.push(MissedCall::new(shift, ringing.since, at));
            if self.is_unlocked() {
                self.warn(s.phone_missed.clone());
            }
            return self.record_missed();
        }
        if self.phone.live.as_ref() != Some(&line) {
            return Vec::new();
        }
        self.phone.live = None;
        let unlocked = self.is_unlocked();
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let Some(call) = session.call.as_mut() else { return Vec::new() };
        call.phone.get_or_insert_with(PhoneCall::default).line_ended_at = Some(at);
        session.mark_dirty(at);
        let nothing_open = session.popups.is_empty();
        self.say(s.phone_line_ended.clone());
        // The end of the call opens, over nothing else; the notes stay editable until the
        // listener confirms (Esc goes back to them).
        if unlocked && nothing_open {
            return self.ask_end_call();
        }
        Vec::new()
    }

    /// A callback taken from the queue is dialled through the phone: the listener neither
    /// types nor reads its number. Whoever answers (a person, or voicemail) is the listener's
    /// to judge: only busy and no answer are the phone's to say.
    pub(super) fn dial_callback(&mut self, callback: &Callback) -> Vec<Effect> {
        // A reply due by e-mail or SMS is the listener's to write, never the phone's to dial.
        let Some(number) = callback.callback_number.as_ref().filter(|_| self.phone.dials(callback)) else {
            return Vec::new();
        };
        self.say(self.strings.phone_dialling.clone());
        vec![Effect::Phone(PhoneCommand::Dial(number.as_str().to_owned().into()))]
    }

    /// The answer key: answers the ringing call, or asks first when a call is being written.
    pub(super) fn answer_phone(&mut self) -> Vec<Effect> {
        let s = self.strings;
        if self.phone.ringing.is_none() {
            self.warn(s.phone_nothing_rings.clone());
            return Vec::new();
        }
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        if session.shift.is_none() {
            self.warn(s.no_shift_yet.clone());
            return Vec::new();
        }
        if session.call.is_some() {
            if !matches!(session.popups.last(), Some(Popup::AnswerWhileWriting(_))) {
                session.popups.push(Popup::AnswerWhileWriting(AnswerWhileWriting));
            }
            return Vec::new();
        }
        vec![Effect::Phone(PhoneCommand::Accept)]
    }

    /// The listener chose to end the call being written, then answer.
    pub(super) fn answer_after_ending(&mut self) -> Vec<Effect> {
        self.phone.answer_after_save = self.phone.ringing.as_ref().map(|r| r.line.clone());
        self.ask_end_call()
    }

    /// After a call is saved: answers the ringing one if the listener asked for it.
    pub(super) fn answer_if_asked(&mut self) -> Vec<Effect> {
        let asked = self.phone.answer_after_save.take();
        if asked.is_some() && asked.as_ref() == self.phone.ringing.as_ref().map(|r| &r.line) {
            return self.answer_phone();
        }
        Vec::new()
    }

    /// The hang-up key: through the phone, which then says the line dropped.
    pub(super) fn hang_up_phone(&mut self) -> Vec<Effect> {
        if !self.phone.has_line() {
            self.warn(self.strings.phone_no_line.clone());
            return Vec::new();
        }
        vec![Effect::Phone(PhoneCommand::HangUp)]
    }

    /// Links the call being taken to the most recent file of its number's earlier calls: the
    /// listener's say-so (a shared phone is not a person).
    pub(super) fn link_known_file(&mut self) -> Vec<Effect> {
        let s = self.strings;
        let file = self.phone.known.as_ref().and_then(|k| k.files.first().cloned());
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let (Some(call), Some((id, code))) = (session.call.as_mut(), file) else {
            self.warn(s.phone_no_known_file.clone());
            return Vec::new();
        };
        call.file = Some(id);
        session.mark_dirty(self.now);
        self.say(s.fill(&s.phone_linked, &[("code", &code)]));
        vec![Effect::OpenFile { id, audited: true }]
    }
}
