//! The call's actions: taking one, quick calls, the pickers for its fields, linking a file,
//! and ending it — every step in one order (`ask_end_call`, then `end_call`, then
//! `finish_call`).

use super::call_form::{CallForm, Missing};
use super::effect::Effect;
use super::popup::{
    AckForm, CallbackOffer, ChannelPicker, ConfirmEndCall, FileSearch, ListPopup, ListPurpose, Popup, RudGrid,
};
use super::status::{Until, status_until};
use super::{App, Pane};
use crate::domain::assessment::Situation;
use crate::domain::call::{CallType, Outcome};
use crate::domain::callback::CallbackRequest;
use crate::domain::channel::ChannelKind;
use crate::i18n::Strings;
use crate::keymap::Action;

impl App {
    /// Taking a call, quick calls, ending; the rest acts on the call being taken.
    pub(super) fn call_action(&mut self, action: Action) -> Vec<Effect> {
        let s = self.strings;
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        match action {
            Action::StartCall | Action::StartWrittenContact => {
                if session.call.is_some() {
                    self.status = status_until(&s.call_already_running, true, Until::CallEnds);
                } else if session.shift.is_none() {
                    self.status = status_until(&s.no_shift_yet, true, Until::ShiftStarts);
                } else if action == Action::StartCall {
                    session.start_contact(CallForm::new(now), now);
                } else {
                    // A written contact: its channel first.
                    session
                        .popups
                        .push(Popup::ChannelPicker(ChannelPicker::new(&self.channels, s.is_english())));
                }
                return Vec::new();
            }
            Action::QuickSilent => return self.quick_call(CallType::Silent),
            Action::QuickHangUp => return self.quick_call(CallType::HangUp),
            Action::QuickWrongNumber => return self.quick_call(CallType::WrongNumber),
            Action::QuickAbusive => return self.quick_call(CallType::Abusive),
            Action::QuickTesting => return self.quick_call(CallType::Testing),
            Action::EndCall => return self.ask_end_call(),
            _ => {}
        }
        let Some(call) = session.call.as_mut() else {
            self.status = status_until(&s.no_call_running, true, Until::CallStarts);
            return Vec::new();
        };
        let popup = match action {
            Action::EditNotes => {
                session.focus = Pane::Call;
                call.editing_notes = true;
                return Vec::new();
            }
            Action::PickCallType => Popup::List(call_type_list(s, false)),
            Action::PickOutcome => Popup::List(outcome_list(s, false)),
            Action::PickThemes => {
                let options: Vec<(String, String)> =
                    self.config.themes.iter().map(|t| (t.clone(), t.clone())).collect();
                let checked = options.iter().map(|(v, _)| call.themes.contains(v)).collect();
                Popup::List(ListPopup::multi(ListPurpose::Themes, options, checked))
            }
            Action::PickOrientations => {
                let options: Vec<(String, String)> = self
                    .directory
                    .entries
                    .iter()
                    .map(|e| {
                        (e.number.clone(), format!("{} — {}", e.number, s.pick(&e.label_fr, &e.label_en)))
                    })
                    .collect();
                let checked = options.iter().map(|(v, _)| call.orientations.contains(v)).collect();
                Popup::List(ListPopup::multi(ListPurpose::Orientations, options, checked))
            }
            Action::PickSituations => {
                let options: Vec<(String, String)> = Situation::ALL
                    .iter()
                    .map(|v| (v.as_str().to_owned(), s.situation(*v).to_owned()))
                    .collect();
                let checked = Situation::ALL.iter().map(|v| call.situations.contains(v)).collect();
                Popup::List(ListPopup::multi(ListPurpose::Situations, options, checked))
            }
            Action::PickRud => Popup::Rud(RudGrid::new(call.rud, false)),
            Action::LinkFile => Popup::FileSearch(FileSearch::default()),
            Action::NewFile => return vec![Effect::CreateFile],
            Action::KeepAnonymous => {
                call.file = None;
                session.file = None;
                session.mark_dirty(now);
                self.status = status_until(&s.call_kept_anonymous, false, Until::CallEnds);
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        session.popups.push(popup);
        Vec::new()
    }

    /// A call with nothing to record: typed and saved in one keystroke (started now if no
    /// call was running).
    fn quick_call(&mut self, call_type: CallType) -> Vec<Effect> {
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        if session.shift.is_none() {
            self.status = status_until(&self.strings.no_shift_yet, true, Until::ShiftStarts);
            return Vec::new();
        }
        // A call with anything in it is ended on purpose (`e`), never by a stray digit.
        if session.call.as_ref().is_some_and(|call| !call.is_blank()) {
            self.status = status_until(&self.strings.quick_needs_blank_call, true, Until::CallEnds);
            return Vec::new();
        }
        let call = session.call.get_or_insert_with(|| CallForm::new(now));
        call.call_type = Some(call_type);
        call.outcome = None;
        self.finish_call(None)
    }

    /// `e`: before a call ends, a life-risk number waiting blocks it; suicidal ideation without
    /// a full grid opens the grid, once; every other prompted number waits for what was done
    /// with it (Enter: given); then ending is asked once, showing what will be saved. Each step
    /// leads to the next.
    pub(super) fn ask_end_call(&mut self) -> Vec<Effect> {
        let strings = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let Some(call) = session.call.as_mut() else {
            self.status = status_until(&strings.no_call_running, true, Until::CallStarts);
            return Vec::new();
        };
        call.editing_notes = false;
        if call.life_risk_pending(&self.directory) {
            session.popups.push(Popup::Acknowledge(AckForm::ending()));
            self.status = status_until(&strings.end_blocked_by_prompt, true, Until::CallEnds);
            return Vec::new();
        }
        if call.asks_rud(&self.rules) && !call.call_type.is_some_and(CallType::is_quick) {
            call.rud_asked = true;
            session.popups.push(Popup::Rud(RudGrid::new(call.rud, true)));
            self.status = status_until(&strings.end_asks_rud, false, Until::CallEnds);
            return Vec::new();
        }
        if call.pending_prompts().next().is_some() {
            session.popups.push(Popup::Acknowledge(AckForm::ending()));
            self.status = status_until(&strings.end_asks_prompt_outcome, true, Until::CallEnds);
            return Vec::new();
        }
        let written = self.channels.kind(&call.channel) == ChannelKind::Written;
        session.popups.push(Popup::ConfirmEndCall(ConfirmEndCall { written }));
        Vec::new()
    }

    /// Ends the call, once confirmed: asks for what is missing, offers a callback, then saves.
    pub(super) fn end_call(&mut self) -> Vec<Effect> {
        let strings = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let Some(call) = session.call.as_mut() else { return Vec::new() };
        // A life-risk number raised since the confirmation goes back through the checks.
        if call.life_risk_pending(&self.directory) {
            return self.ask_end_call();
        }
        // Any call can be called back; an anonymous one gets a file for it (one key).
        let offer_callback = !call.callback_offered && !call.call_type.is_some_and(CallType::is_quick);
        match call.missing() {
            Some(Missing::CallType) => session.popups.push(Popup::List(call_type_list(strings, true))),
            Some(Missing::Outcome) => session.popups.push(Popup::List(outcome_list(strings, true))),
            None if offer_callback => session.popups.push(Popup::CallbackOffer(CallbackOffer)),
            None => return self.finish_call(None),
        }
        Vec::new()
    }

    pub(super) fn finish_call(&mut self, callback: Option<CallbackRequest>) -> Vec<Effect> {
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let (Some(call), Some(shift)) = (session.call.as_ref(), session.shift.as_ref()) else {
            return Vec::new();
        };
        if callback.is_some() {
            session.show_callback_of = call.file;
        }
        match call.finish(shift.id, now, self.channels.kind(&call.channel)) {
            Some(call) => vec![Effect::SaveCall { call, callback }],
            None => Vec::new(),
        }
    }
}

fn call_type_list(strings: &Strings, ending: bool) -> ListPopup {
    let options =
        CallType::ALL.iter().map(|t| (t.as_str().to_owned(), strings.call_type(*t).to_owned())).collect();
    ListPopup::single(ListPurpose::CallType, options, ending)
}

fn outcome_list(strings: &Strings, ending: bool) -> ListPopup {
    let options =
        Outcome::ALL.iter().map(|o| (o.as_str().to_owned(), strings.outcome(*o).to_owned())).collect();
    ListPopup::single(ListPurpose::Outcome, options, ending)
}
