//! Scheduling a callback: when (a preset or a typed time), priority, the number to call, the
//! caller's consent, who calls back, a note. At the end of a call it is saved with the call;
//! from a file's pane it is its own change, and the form stays open until the store confirms.

use ratatui::crossterm::event::KeyEvent;
use zeroize::Zeroizing;

use super::{Behaviour, Ctx, Outcome, Then, step, type_into};
use crate::app::Session;
use crate::app::effect::{Effect, Reply};
use crate::domain::FileId;
use crate::domain::callback::{Address, Assignee, CallbackRequest, Priority};
use crate::domain::channel::{AddressKind, PHONE};
use crate::domain::due::parse_due;
use crate::keymap::Action;

/// 0 when, 1 priority, 2 number (or address, and its channel), 3 consent, 4 assignee, 5 note.
pub const CALLBACK_FORM_FIELDS: usize = 6;

#[derive(Debug, Clone)]
pub struct CallbackForm {
    /// Scheduled from this file's pane, outside a call; `None` at the end of a call.
    pub file: Option<FileId>,
    /// Index in the configured presets.
    pub preset: usize,
    /// A due time typed by hand ("demain 9h"); wins over the preset when not empty.
    pub when: String,
    /// `None` until changed: the priority suggested from the RUD urgency.
    pub priority: Option<Priority>,
    /// The channel the caller is called back or answered on (left/right on the number's
    /// field): the phone, or a written contact's own, for a reply due.
    pub channel: String,
    /// The number, or the address a reply goes to.
    pub number: Zeroizing<String>,
    pub consent: bool,
    /// 0 me, 1 anyone, then each other listener in order.
    pub assignee: usize,
    pub note: String,
    pub field: usize,
    pub error: Option<String>,
}

impl Default for CallbackForm {
    fn default() -> Self {
        CallbackForm {
            file: None,
            preset: 0,
            when: String::new(),
            priority: None,
            channel: PHONE.to_owned(),
            number: Zeroizing::new(String::new()),
            consent: false,
            assignee: 0,
            note: String::new(),
            field: 0,
            error: None,
        }
    }
}

/// Who a callback form can assign to, in order: me, anyone, then each other listener.
pub fn assignee_options(session: &Session) -> Vec<Assignee> {
    let me = session.actor.id;
    [Assignee::Listener(me), Assignee::Anyone]
        .into_iter()
        .chain(session.listeners.iter().filter(|(id, _)| *id != me).map(|(id, _)| Assignee::Listener(*id)))
        .collect()
}

impl CallbackForm {
    /// From a file's pane, outside a call.
    pub fn for_file(file: FileId) -> CallbackForm {
        CallbackForm { file: Some(file), ..CallbackForm::default() }
    }

    /// At the end of a contact on `channel`: a callback for a call, a reply due on that
    /// channel for a written contact.
    pub fn replying_on(channel: &str) -> CallbackForm {
        CallbackForm { channel: channel.to_owned(), ..CallbackForm::default() }
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        match self.field {
            0 => Some(&mut self.when),
            2 => Some(&mut *self.number),
            5 => Some(&mut self.note),
            _ => None,
        }
    }

    fn choose(&mut self, forward: bool, cx: &Ctx) {
        match self.field {
            0 => {
                self.when.clear();
                self.preset = step(self.preset, cx.config.callback_presets.len(), forward);
            }
            1 => {
                let suggested = Priority::suggested(&rud(cx.session));
                let at =
                    Priority::ALL.iter().position(|p| *p == self.priority.unwrap_or(suggested)).unwrap_or(0);
                self.priority = Some(Priority::ALL[step(at, Priority::ALL.len(), forward)]);
            }
            2 => {
                let ids: Vec<&str> = cx.channels.entries.iter().map(|c| c.id.as_str()).collect();
                let at = ids.iter().position(|id| *id == self.channel).unwrap_or(0);
                self.channel = ids[step(at, ids.len(), forward)].to_owned();
            }
            4 => self.assignee = step(self.assignee, assignee_options(cx.session).len(), forward),
            _ => {}
        }
    }

    /// The request, or why it cannot be made yet (in the order the form is checked).
    fn request(&self, cx: &Ctx) -> Result<Option<CallbackRequest>, String> {
        let s = cx.strings;
        if !self.consent {
            return Err(s.callback_needs_consent.clone());
        }
        let number = match cx.channels.address(&self.channel) {
            AddressKind::Phone => {
                Address::parse(AddressKind::Phone, &self.number).map_err(|_| s.callback_bad_number.clone())?
            }
            kind => Address::parse(kind, &self.number).map_err(|_| s.callback_bad_address.clone())?,
        };
        let due_at = if self.when.trim().is_empty() {
            let Some(preset) = cx.config.callback_presets.get(self.preset) else { return Ok(None) };
            crate::config::preset_due(preset, cx.now, cx.zone())
        } else {
            parse_due(&self.when, cx.now, cx.zone()).map_err(|_| s.callback_bad_when.clone())?
        };
        let assignee = assignee_options(cx.session).get(self.assignee).copied().unwrap_or(Assignee::Anyone);
        let priority = self.priority.unwrap_or(Priority::suggested(&rud(cx.session)));
        let note = self.note.trim().to_owned();
        let mut request =
            CallbackRequest::with_consent(self.consent, due_at, priority, number, assignee, note)
                .ok_or_else(|| s.callback_needs_consent.clone())?;
        request.channel = self.channel.clone();
        Ok(Some(request))
    }
}

/// The grid of the call being taken: it suggests the priority.
fn rud(session: &Session) -> crate::domain::assessment::Rud {
    session.call.as_ref().map(|c| c.rud).unwrap_or_default()
}

impl Behaviour for CallbackForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        self.error = None;
        if let Some(text) = self.text_mut()
            && type_into(text, key)
        {
            return Outcome::stay();
        }
        match cx.action(key) {
            Some(Action::SelectPrevious | Action::PreviousField) => {
                self.field = step(self.field, CALLBACK_FORM_FIELDS, false)
            }
            Some(Action::SelectNext | Action::NextField) => {
                self.field = step(self.field, CALLBACK_FORM_FIELDS, true)
            }
            Some(Action::ChoicePrevious) => self.choose(false, cx),
            Some(Action::ChoiceNext) => self.choose(true, cx),
            Some(Action::Toggle) if self.field == 3 => self.consent = !self.consent,
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) => match self.request(cx) {
                Err(why) => self.error = Some(why),
                Ok(None) => {}
                Ok(Some(request)) => match self.file {
                    // From a file: kept open until the store confirms.
                    Some(file) => return Outcome::effect(Effect::ScheduleCallback { file, request }),
                    None => {
                        if let Some(call) = cx.session.call.as_mut() {
                            call.callback_offered = true;
                        }
                        return Outcome::close().then(Then::FinishCall(Some(request)));
                    }
                },
            },
            _ => {}
        }
        Outcome::stay()
    }

    fn on_reply(&mut self, reply: &Reply, _cx: &mut Ctx) -> Outcome {
        match reply {
            Reply::CallbackScheduled(_) => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}
