//! Emergency-number prompts raised during a call, and how the listener acknowledged them.

use serde::{Deserialize, Serialize};

use super::{CallId, PromptId, Timestamp, stored_enum};

stored_enum! {
    PromptOutcome {
        NumberGiven = "number_given",
        ServiceContacted = "service_contacted",
        CallerDeclined = "caller_declined",
        NotRelevant = "not_relevant",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub at: Timestamp,
    pub outcome: PromptOutcome,
    /// Required for `NotRelevant`: a word on why.
    pub note: Option<String>,
}

/// A prompt as recorded on a call (in the draft, then with the saved call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptRecord {
    /// The number prompted, e.g. "15" or "3114".
    pub number: String,
    /// The rule that raised it, or "card" when the listener chose it from the card.
    pub rule: String,
    pub raised_at: Timestamp,
    pub acknowledgement: Option<Acknowledgement>,
}

/// A prompt as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyPrompt {
    pub id: PromptId,
    pub call_id: CallId,
    pub record: PromptRecord,
}
