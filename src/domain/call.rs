//! A call taken during a shift, and the draft that autosaves it while it is being taken.

use serde::{Deserialize, Serialize};

use super::assessment::{Rud, Situation};
use super::channel::PHONE;
use super::prompt::PromptRecord;
use super::{CallId, CallbackId, FileId, ListenerId, ShiftId, Timestamp, stored_enum};

stored_enum! {
    CallType {
        Listening = "listening",
        Information = "information",
        Crisis = "crisis",
        Silent = "silent",
        HangUp = "hang_up",
        WrongNumber = "wrong_number",
        Abusive = "abusive",
        Testing = "testing",
    }
}

impl CallType {
    /// Calls with nothing to record: logged and closed in one keystroke.
    pub fn is_quick(self) -> bool {
        matches!(
            self,
            CallType::Silent
                | CallType::HangUp
                | CallType::WrongNumber
                | CallType::Abusive
                | CallType::Testing
        )
    }
}

stored_enum! {
    Outcome {
        /// Listened to and supported; nothing further.
        Supported = "supported",
        /// Pointed to a service or partner.
        Oriented = "oriented",
        CallbackScheduled = "callback_scheduled",
        /// Emergency services were called or the caller was put through to them.
        EmergencyServices = "emergency_services",
        CallerEndedCall = "caller_ended_call",
    }
}

/// Drawn when a call starts and kept with it (in its draft too) until it is saved: the store
/// writes a call with a given token once, so that a save tried again after its answer was lost
/// (the centre's server committed it, the connection broke before saying so) finds it there
/// instead of writing it twice. Kept as hex in a draft's JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SaveToken([u8; 16]);

impl SaveToken {
    pub fn new(bytes: [u8; 16]) -> SaveToken {
        SaveToken(bytes)
    }

    pub fn bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl std::fmt::Debug for SaveToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SaveToken({})", hex::encode(self.0))
    }
}

impl Serialize for SaveToken {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for SaveToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(&text, &mut bytes).map_err(serde::de::Error::custom)?;
        Ok(SaveToken(bytes))
    }
}

/// What the listener recorded about a call: shared by the saved call and its draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The channel it came in by (`channel::PHONE`, "email", "chat"…); drafts from before
    /// channels are phone calls.
    #[serde(default = "phone")]
    pub channel: String,
    pub caller_file_id: Option<FileId>,
    pub themes: Vec<String>,
    pub notes: String,
    pub rud: Rud,
    /// Numbers of the directory given to the caller (e.g. "3114", "119").
    pub orientations: Vec<String>,
    pub outcome: Option<Outcome>,
    pub prompts: Vec<PromptRecord>,
    /// What the listener learnt that may call for an emergency number.
    #[serde(default)]
    pub situations: Vec<Situation>,
    /// The callback this call performs (the caller was reached): closed when the call is saved.
    #[serde(default)]
    pub performs_callback: Option<CallbackId>,
    /// What the phone said of this call (the caller's hashed number, when the line dropped);
    /// `None` for a call taken by hand.
    #[serde(default)]
    pub phone: Option<super::phone::PhoneCall>,
    /// The call's save token (`SaveToken`), drawn when it started; `None` for calls written
    /// without one (the demo, bulk loads, calls read back) and for drafts from before tokens.
    #[serde(default)]
    pub save_token: Option<SaveToken>,
}

fn phone() -> String {
    PHONE.to_owned()
}

impl Default for CallRecord {
    fn default() -> Self {
        CallRecord {
            channel: phone(),
            caller_file_id: None,
            themes: Vec::new(),
            notes: String::new(),
            rud: Rud::default(),
            orientations: Vec::new(),
            outcome: None,
            prompts: Vec::new(),
            situations: Vec::new(),
            performs_callback: None,
            phone: None,
            save_token: None,
        }
    }
}

/// A call as saved when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub id: CallId,
    pub shift_id: ShiftId,
    pub listener_id: ListenerId,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub call_type: CallType,
    /// Seconds spent on a written contact (e-mail, letter); `None` for a call, a chat, an SMS
    /// exchange, whose length is from start to end.
    pub time_spent: Option<i64>,
    pub record: CallRecord,
}

impl Call {
    /// How long it took: the time spent on a written contact, else from start to end.
    pub fn seconds(&self) -> i64 {
        self.time_spent.unwrap_or_else(|| (self.ended_at - self.started_at).num_seconds())
    }
}

/// A call to be saved (kept as JSON, sealed, on this machine while the centre's server cannot
/// be reached: `store::local_draft`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCall {
    pub shift_id: ShiftId,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub call_type: CallType,
    /// As [`Call::time_spent`].
    pub time_spent: Option<i64>,
    pub record: CallRecord,
}

/// The call being taken, autosaved (inside the encrypted file) so that a crash loses at most
/// the last seconds of typing. Serialised as JSON: its shape may grow without a migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDraft {
    pub shift_id: ShiftId,
    pub started_at: Timestamp,
    pub call_type: Option<CallType>,
    pub record: CallRecord,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("a call cannot end before it starts")]
    EndsBeforeStart,
    #[error("theme {0:?} is listed twice")]
    DuplicateTheme(String),
    #[error("a contact has a channel")]
    NoChannel,
    #[error("a time spent cannot be negative")]
    NegativeTimeSpent,
}

impl NewCall {
    pub fn validate(&self) -> Result<(), CallError> {
        if self.ended_at < self.started_at {
            return Err(CallError::EndsBeforeStart);
        }
        if self.record.channel.trim().is_empty() {
            return Err(CallError::NoChannel);
        }
        if self.time_spent.is_some_and(|t| t < 0) {
            return Err(CallError::NegativeTimeSpent);
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(theme) = self.record.themes.iter().find(|t| !seen.insert(t.as_str())) {
            return Err(CallError::DuplicateTheme(theme.clone()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assessment::RudLevel;
    use chrono::{Duration, Utc};

    #[test]
    fn quick_call_types_are_the_ones_with_nothing_to_record() {
        let quick: Vec<_> = CallType::ALL.iter().filter(|t| t.is_quick()).collect();
        assert_eq!(
            quick,
            [
                &CallType::Silent,
                &CallType::HangUp,
                &CallType::WrongNumber,
                &CallType::Abusive,
                &CallType::Testing
            ]
        );
    }

    #[test]
    fn validation() {
        let now = Utc::now();
        let mut call = NewCall {
            shift_id: ShiftId(1),
            started_at: now,
            ended_at: now + Duration::minutes(12),
            call_type: CallType::Listening,
            time_spent: None,
            record: CallRecord { themes: vec!["isolement".into(), "deuil".into()], ..CallRecord::default() },
        };
        assert_eq!(call.validate(), Ok(()));
        call.record.themes.push("deuil".into());
        assert_eq!(call.validate(), Err(CallError::DuplicateTheme("deuil".into())));
        call.record.themes.pop();
        call.record.channel = String::new();
        assert_eq!(call.validate(), Err(CallError::NoChannel));
        call.record.channel = "email".into();
        call.time_spent = Some(-1);
        assert_eq!(call.validate(), Err(CallError::NegativeTimeSpent));
        call.time_spent = Some(0);
        assert_eq!(call.validate(), Ok(()));
        call.ended_at = now - Duration::seconds(1);
        assert_eq!(call.validate(), Err(CallError::EndsBeforeStart));
    }

    #[test]
    fn a_draft_from_before_channels_is_a_phone_call() {
        let json = r#"{"shift_id":3,"started_at":"2026-11-23T10:00:00Z","call_type":null,
            "record":{"caller_file_id":null,"themes":[],"notes":"x","rud":{"risk":null,"urgency":null,"danger":null},
            "orientations":[],"outcome":null,"prompts":[]}}"#;
        let draft: CallDraft = serde_json::from_str(json).unwrap();
        assert_eq!(draft.record.channel, PHONE);
    }

    #[test]
    fn draft_survives_json() {
        let draft = CallDraft {
            shift_id: ShiftId(3),
            started_at: Utc::now(),
            call_type: None,
            record: CallRecord {
                notes: "appel d'une personne isolée".into(),
                rud: Rud { urgency: Some(RudLevel::Medium), ..Rud::default() },
                ..CallRecord::default()
            },
        };
        let json = serde_json::to_string(&draft).unwrap();
        assert_eq!(serde_json::from_str::<CallDraft>(&json).unwrap(), draft);
    }
}
