//! Questions asked once: a callback at the end of a call, ending the call, quitting during
//! one, resuming a draft found at unlock, and resuming or closing a shift left open.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Behaviour, CallbackForm, Ctx, EndShiftForm, Outcome, Popup, Then};
use crate::app::Pane;
use crate::app::call_form::CallForm;
use crate::app::effect::Effect;
use crate::app::status::{Until, status_until};
use crate::domain::call::CallDraft;
use crate::domain::shift::Shift;
use crate::keymap::{Action, Context};

/// Whether to call the caller back, asked once the call has all it needs.
#[derive(Debug, Clone, Default)]
pub struct CallbackOffer;

/// Ending the call, once what will be saved is shown. Ending a written contact (e-mail,
/// letter) also takes the minutes spent on it, typed as digits; none typed, the time it was
/// open counts.
#[derive(Debug, Clone, Default)]
pub struct ConfirmEndCall {
    pub written: bool,
}

/// Enough for a week's work on one letter; more is a typing slip.
const MAX_MINUTES_SPENT: u32 = 9_999;

#[derive(Debug, Clone, Default)]
pub struct ConfirmQuit;

/// The phone rings while a call is being written: end that one now (then the ringing call is
/// answered), or let it ring.
#[derive(Debug, Clone, Default)]
pub struct AnswerWhileWriting;

impl Behaviour for AnswerWhileWriting {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        match cx.action(key) {
            Some(Action::Confirm | Action::Yes) => Outcome::close().then(Then::AnswerAfterEnding),
            Some(Action::Cancel | Action::No) => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DraftRecovery {
    pub draft: CallDraft,
}

/// The listener's own shift, found still open at unlock: resumed (confirm or cancel), or
/// closed through the end of shift (its key, `F10`) before a new one starts.
#[derive(Debug, Clone)]
pub struct ShiftChoice {
    pub shift: Shift,
}

impl Behaviour for CallbackOffer {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        match cx.action(key) {
            Some(Action::Confirm | Action::Yes) => match cx.session.call.as_mut() {
                // An anonymous caller gets a file first, whose code is read to them.
                Some(call) if call.file.is_none() => {
                    call.callback_after_file = true;
                    Outcome::effect(Effect::CreateFile).closing()
                }
                // A written contact is answered on its channel: a reply due.
                Some(call) => {
                    let form = CallbackForm::replying_on(&call.channel);
                    Outcome::close().then(Then::open(Popup::CallbackForm(form)))
                }
                None => Outcome::close().then(Then::open(Popup::CallbackForm(CallbackForm::default()))),
            },
            Some(Action::No) => {
                if let Some(call) = cx.session.call.as_mut() {
                    call.callback_offered = true;
                }
                Outcome::close().then(Then::EndCall)
            }
            Some(Action::Cancel) => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}

impl Behaviour for ConfirmEndCall {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        if self.written
            && let Some(call) = cx.session.call.as_mut()
        {
            let typed = match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() && !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    let digit = c.to_digit(10).unwrap_or(0);
                    let minutes = call.minutes_spent.unwrap_or(0).saturating_mul(10).saturating_add(digit);
                    call.minutes_spent = Some(minutes.min(MAX_MINUTES_SPENT));
                    true
                }
                KeyCode::Backspace => {
                    call.minutes_spent = call.minutes_spent.map(|m| m / 10).filter(|m| *m > 0);
                    true
                }
                _ => false,
            };
            // Not in the draft (it is typed again at the end after a crash): nothing to save.
            if typed {
                return Outcome::stay();
            }
        }
        match cx.action(key) {
            Some(Action::Confirm) => Outcome::close().then(Then::EndCall),
            Some(Action::Cancel) => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}

impl Behaviour for ConfirmQuit {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        match cx.action(key) {
            Some(Action::Confirm | Action::Yes) => Outcome::stay().then(Then::Quit),
            Some(Action::Cancel | Action::No) => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}

impl Behaviour for DraftRecovery {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        match cx.action(key) {
            Some(Action::Confirm) => {
                let form = CallForm::from_draft(&self.draft);
                let file = form.file;
                cx.session.call = Some(form);
                cx.session.focus = Pane::Call;
                let resumed = status_until(&cx.strings.draft_recovered, false, Until::CallEnds);
                let effects = file.map(|id| Effect::OpenFile { id, audited: true }).into_iter().collect();
                Outcome::effects(effects).closing().with_status(resumed)
            }
            // Kept in the store, offered again at the next unlock.
            Some(Action::Cancel) => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}

/// Closing a shift is never one letter away: `n` (take a call) closed it here once, pressed by
/// habit. It takes the end-of-shift key and goes through the end of shift (figures, handover
/// note, summary), which comes back here on cancel.
impl Behaviour for ShiftChoice {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        if cx.keymap.action(Context::Global, key) == Some(Action::EndShift) {
            let form = EndShiftForm::left_open(self.shift.clone());
            let load = Effect::LoadSummary(self.shift.id);
            return Outcome::effect(load).closing().then(Then::open(Popup::EndShift(Box::new(form))));
        }
        match cx.action(key) {
            Some(Action::Confirm | Action::Cancel) => {
                cx.session.shift = Some(self.shift.clone());
                Outcome::close()
            }
            _ => Outcome::stay(),
        }
    }
}
