//! The call being taken: what the listener has entered so far, before it is saved.

use ratatui_textarea::{CursorMove, TextArea, WrapMode};

use crate::domain::assessment::Rud;
use crate::domain::assessment::Situation;
use crate::domain::call::{CallDraft, CallRecord, CallType, NewCall, Outcome, SaveToken};
use crate::domain::channel::{ChannelKind, PHONE};
use crate::domain::emergency::{Directory, Recorded, Rules};
use crate::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use crate::domain::{CallbackId, FileId, ShiftId, Timestamp};

#[derive(Debug, Clone)]
pub struct CallForm {
    pub started_at: Timestamp,
    /// `channel::PHONE` for a call; a written contact's channel otherwise.
    pub channel: String,
    /// Minutes spent on a written contact as the listener typed them when ending it; until
    /// then (or left empty) the time it was open is counted.
    pub minutes_spent: Option<u32>,
    pub call_type: Option<CallType>,
    /// The caller file the call is linked to; `None` keeps the call anonymous.
    pub file: Option<FileId>,
    pub themes: Vec<String>,
    pub rud: Rud,
    pub orientations: Vec<String>,
    pub outcome: Option<Outcome>,
    pub prompts: Vec<PromptRecord>,
    pub situations: Vec<Situation>,
    pub notes: TextArea<'static>,
    /// Keys go to the notes editor while this is set (Esc leaves it).
    pub editing_notes: bool,
    /// The listener was already asked whether to schedule a callback.
    pub callback_offered: bool,
    /// Ending already opened the RUD grid once for a situation that asks for it.
    pub rud_asked: bool,
    /// The callback this call performs (the caller was reached): closed when it is saved.
    pub performs_callback: Option<CallbackId>,
    /// A file is being opened for this anonymous call so that it can be called back.
    pub callback_after_file: bool,
    /// What the phone said of this call (its hashed number, when the line dropped); `None`
    /// for a call taken by hand.
    pub phone: Option<crate::domain::phone::PhoneCall>,
    /// Drawn once for this call, kept in its draft: a save tried again never writes it twice.
    pub save_token: SaveToken,
}

impl CallForm {
    pub fn new(started_at: Timestamp) -> CallForm {
        CallForm {
            started_at,
            channel: PHONE.to_owned(),
            minutes_spent: None,
            call_type: None,
            file: None,
            themes: Vec::new(),
            rud: Rud::default(),
            orientations: Vec::new(),
            outcome: None,
            prompts: Vec::new(),
            situations: Vec::new(),
            notes: notes_editor(""),
            editing_notes: false,
            callback_offered: false,
            rud_asked: false,
            performs_callback: None,
            callback_after_file: false,
            phone: None,
            save_token: SaveToken::new(rand::random()),
        }
    }

    /// The call as it was when its draft was last saved.
    pub fn from_draft(draft: &CallDraft) -> CallForm {
        let record = &draft.record;
        let notes = notes_editor(&record.notes);
        CallForm {
            started_at: draft.started_at,
            channel: record.channel.clone(),
            minutes_spent: None,
            call_type: draft.call_type,
            file: record.caller_file_id,
            themes: record.themes.clone(),
            rud: record.rud,
            orientations: record.orientations.clone(),
            outcome: record.outcome,
            prompts: record.prompts.clone(),
            situations: record.situations.clone(),
            notes,
            editing_notes: false,
            callback_offered: false,
            rud_asked: false,
            performs_callback: record.performs_callback,
            callback_after_file: false,
            phone: record.phone.clone(),
            // A draft from before tokens gets one now.
            save_token: record.save_token.unwrap_or_else(|| SaveToken::new(rand::random())),
        }
    }

    pub fn notes_text(&self) -> String {
        self.notes.lines().join("\n")
    }

    pub fn record(&self) -> CallRecord {
        CallRecord {
            channel: self.channel.clone(),
            caller_file_id: self.file,
            themes: self.themes.clone(),
            notes: self.notes_text().trim_end().to_owned(),
            rud: self.rud,
            orientations: self.orientations.clone(),
            outcome: self.outcome,
            prompts: self.prompts.clone(),
            situations: self.situations.clone(),
            performs_callback: self.performs_callback,
            phone: self.phone.clone(),
            save_token: Some(self.save_token),
        }
    }

    pub fn draft(&self, shift_id: ShiftId) -> CallDraft {
        CallDraft { shift_id, started_at: self.started_at, call_type: self.call_type, record: self.record() }
    }

    /// A contact started in writing on `channel`.
    pub fn written(started_at: Timestamp, channel: &str) -> CallForm {
        CallForm { channel: channel.to_owned(), ..CallForm::new(started_at) }
    }

    /// The time spent on a written contact ended at `ended_at`: as typed, else the time it
    /// was open. `None` for a contact timed from start to end.
    pub fn time_spent(&self, kind: ChannelKind, ended_at: Timestamp) -> Option<i64> {
        (kind == ChannelKind::Written).then(|| match self.minutes_spent {
            Some(minutes) => i64::from(minutes) * 60,
            None => (ended_at - self.started_at).num_seconds().max(0),
        })
    }

    /// How long the call has lasted: until the phone's line dropped if it did, else until now.
    pub fn elapsed(&self, now: Timestamp) -> chrono::Duration {
        self.line_ended_at().unwrap_or(now) - self.started_at
    }

    /// When the line dropped, if the phone said so.
    pub fn line_ended_at(&self) -> Option<Timestamp> {
        self.phone.as_ref().and_then(|p| p.line_ended_at)
    }

    /// The call to save, once it has a type; `kind` is how its channel is timed. It ends when
    /// the phone's line dropped if it did (however long the listener then took to write), else
    /// at `ended_at`.
    pub fn finish(&self, shift_id: ShiftId, ended_at: Timestamp, kind: ChannelKind) -> Option<NewCall> {
        let ended_at = self.line_ended_at().unwrap_or(ended_at).max(self.started_at);
        Some(NewCall {
            shift_id,
            started_at: self.started_at,
            ended_at,
            call_type: self.call_type?,
            time_spent: self.time_spent(kind, ended_at),
            record: self.record(),
        })
    }

    /// What ending the call still needs from the listener.
    pub fn missing(&self) -> Option<Missing> {
        match (self.call_type, self.outcome) {
            (None, _) => Some(Missing::CallType),
            (Some(t), None) if !t.is_quick() => Some(Missing::Outcome),
            _ => None,
        }
    }

    /// Raises the prompts the rules call for and that this call has not raised yet. A prompt,
    /// once raised, stays until acknowledged, even if what raised it is untaken.
    pub fn raise_prompts(&mut self, rules: &Rules, now: Timestamp) -> usize {
        let mut raised = 0;
        let recorded = Recorded { situations: &self.situations, themes: &self.themes, rud: &self.rud };
        for rule in rules.firing(recorded) {
            for number in &rule.numbers {
                if !self.prompts.iter().any(|p| p.number == *number && p.rule == rule.name) {
                    self.prompts.push(PromptRecord {
                        number: number.clone(),
                        rule: rule.name.clone(),
                        raised_at: now,
                        acknowledgement: None,
                    });
                    raised += 1;
                }
            }
        }
        raised
    }

    /// What the rules read.
    pub fn recorded(&self) -> Recorded<'_> {
        Recorded { situations: &self.situations, themes: &self.themes, rud: &self.rud }
    }

    /// Ending should open the RUD grid first: a situation calls for it (suicidal ideation), a
    /// level is not rated, and the listener was not asked yet on this call.
    pub fn asks_rud(&self, rules: &Rules) -> bool {
        !self.rud_asked && rules.rud_missing(self.recorded())
    }

    /// Prompts not acknowledged yet, in the order raised.
    pub fn pending_prompts(&self) -> impl Iterator<Item = (usize, &PromptRecord)> {
        self.prompts.iter().enumerate().filter(|(_, p)| p.acknowledgement.is_none())
    }

    /// Nothing recorded yet: a call just taken, which a quick key may still log as silent,
    /// hung up… Anything typed or chosen makes it a call to end on purpose (`e`).
    pub fn is_blank(&self) -> bool {
        self.call_type.is_none()
            && self.file.is_none()
            && self.themes.is_empty()
            && self.rud == Rud::default()
            && self.orientations.is_empty()
            && self.outcome.is_none()
            && self.prompts.is_empty()
            && self.situations.is_empty()
            && self.performs_callback.is_none()
            && self.notes_text().trim().is_empty()
    }

    /// Giving a prompted number as an orientation is giving the number: its pending prompts
    /// are acknowledged as such. Returns how many.
    pub fn acknowledge_given(&mut self, number: &str, now: Timestamp) -> usize {
        let mut given = 0;
        for prompt in self.prompts.iter_mut().filter(|p| p.number == number && p.acknowledgement.is_none()) {
            prompt.acknowledgement =
                Some(Acknowledgement { at: now, outcome: PromptOutcome::NumberGiven, note: None });
            given += 1;
        }
        given
    }

    /// Whether a life-risk number (15, 17, 18, 112, 114) waits for acknowledgement: the call
    /// cannot end until it is.
    pub fn life_risk_pending(&self, directory: &Directory) -> bool {
        self.pending_prompts().any(|(_, p)| directory.get(&p.number).is_some_and(|e| e.life_risk))
    }

    pub fn toggle_theme(&mut self, theme: &str, ordered: &[String]) {
        toggle_in_order(&mut self.themes, theme, ordered);
    }

    pub fn toggle_orientation(&mut self, number: &str, ordered: &[String]) {
        toggle_in_order(&mut self.orientations, number, ordered);
    }

    /// Records that the caller was given `number`, kept in the directory's order; once.
    pub fn add_orientation(&mut self, number: &str, directory: &Directory) {
        if !self.orientations.iter().any(|n| n == number) {
            let ordered: Vec<String> = directory.entries.iter().map(|e| e.number.clone()).collect();
            self.toggle_orientation(number, &ordered);
        }
    }
}

/// An editor for free text (a call's notes, an amendment, a handover note) holding `text`, with
/// the cursor at its end. It soft-wraps: a line longer than the pane continues on the next row
/// instead of scrolling sideways, which hid the start of every line past the pane's width.
/// ratatui-textarea 0.9 wraps by itself (`WrapMode`), cursor and Up/Down included, so no
/// other widget is needed; the wrap is only drawn, the text keeps its own line breaks.
pub fn notes_editor(text: &str) -> TextArea<'static> {
    let mut editor = TextArea::new(text.split('\n').map(str::to_owned).collect());
    // Words stay whole; a word longer than the pane (a pasted link) is cut where it must be.
    editor.set_wrap_mode(WrapMode::WordOrGlyph);
    // An underlined cursor line reads as a link or an error in a wrapped paragraph.
    editor.set_cursor_line_style(ratatui::style::Style::default());
    editor.move_cursor(CursorMove::Bottom);
    editor.move_cursor(CursorMove::End);
    editor
}

/// Adds or removes `item`, keeping the list in the order of `ordered` (unknown items last).
fn toggle_in_order(list: &mut Vec<String>, item: &str, ordered: &[String]) {
    if let Some(at) = list.iter().position(|i| i == item) {
        list.remove(at);
        return;
    }
    list.push(item.to_owned());
    let rank = |i: &String| ordered.iter().position(|o| o == i).unwrap_or(usize::MAX);
    list.sort_by_key(rank);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    CallType,
    Outcome,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn a_draft_round_trips_through_the_form() {
        let mut form = CallForm::new(Utc::now());
        form.notes.insert_str("première ligne\nseconde ligne");
        form.toggle_theme("deuil", &["isolement".into(), "deuil".into()]);
        form.toggle_theme("isolement", &["isolement".into(), "deuil".into()]);
        assert_eq!(form.themes, ["isolement", "deuil"], "kept in the configured order");
        let draft = form.draft(ShiftId(4));
        let back = CallForm::from_draft(&draft);
        assert_eq!(back.notes_text(), "première ligne\nseconde ligne");
        assert_eq!(back.draft(ShiftId(4)), draft);
    }

    #[test]
    fn a_written_contact_keeps_its_channel_and_counts_the_time_spent() {
        let start = Utc::now();
        let end = start + chrono::Duration::minutes(25);
        let mut form = CallForm::written(start, "email");
        form.call_type = Some(CallType::Listening);
        let back = CallForm::from_draft(&form.draft(ShiftId(4)));
        assert_eq!(back.channel, "email", "a draft keeps the channel");
        let timed = form.finish(ShiftId(4), end, ChannelKind::Written).unwrap();
        assert_eq!((timed.record.channel.as_str(), timed.time_spent), ("email", Some(25 * 60)));
        form.minutes_spent = Some(40);
        assert_eq!(form.finish(ShiftId(4), end, ChannelKind::Written).unwrap().time_spent, Some(40 * 60));
        // A chat is timed from start to end, like a call.
        let chat = CallForm { call_type: Some(CallType::Listening), ..CallForm::written(start, "chat") };
        assert_eq!(chat.finish(ShiftId(4), end, ChannelKind::Conversation).unwrap().time_spent, None);
        let phone = CallForm { call_type: Some(CallType::Listening), ..CallForm::new(start) };
        let call = phone.finish(ShiftId(4), end, ChannelKind::Voice).unwrap();
        assert_eq!((call.record.channel.as_str(), call.time_spent), (PHONE, None));
    }

    #[test]
    fn ending_asks_for_type_then_outcome_except_for_quick_calls() {
        let mut form = CallForm::new(Utc::now());
        assert_eq!(form.missing(), Some(Missing::CallType));
        form.call_type = Some(CallType::Listening);
        assert_eq!(form.missing(), Some(Missing::Outcome));
        form.outcome = Some(Outcome::Supported);
        assert_eq!(form.missing(), None);
        form.outcome = None;
        form.call_type = Some(CallType::Silent);
        assert_eq!(form.missing(), None);
    }
}
