//! End-of-shift and period figures: what the summary screen shows and the exports write.
//! Built by the store from SQL aggregates, so the screen and every export agree by
//! construction. Statistics only: no notes, no summaries, no callback numbers.

use std::collections::BTreeMap;

use serde::Serialize;

use super::assessment::Rud;
use super::call::{CallType, Outcome};
use super::{ListenerId, ShiftId, Timestamp};

/// What the figures cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// One listener's shift (its end is now while it is open).
    Shift { id: ShiftId, listener_id: ListenerId, listener: String, from: Timestamp, to: Timestamp },
    /// Every call started in `[from, to)` (monthly statistics).
    Period { from: Timestamp, to: Timestamp },
}

/// Counts of one RUD axis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LevelCounts {
    pub low: u32,
    pub medium: u32,
    pub high: u32,
    pub not_assessed: u32,
}

impl LevelCounts {
    /// Counts `n` contacts rated `level` (`None`: not assessed).
    pub fn add(&mut self, level: Option<super::assessment::RudLevel>, n: u32) {
        use super::assessment::RudLevel;
        match level {
            None => self.not_assessed += n,
            Some(RudLevel::Low) => self.low += n,
            Some(RudLevel::Medium) => self.medium += n,
            Some(RudLevel::High) => self.high += n,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RudCounts {
    pub risk: LevelCounts,
    pub urgency: LevelCounts,
    pub danger: LevelCounts,
}

/// Emergency prompts of one number with one outcome (`None`: never acknowledged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptCount {
    pub number: String,
    pub outcome: Option<String>,
    pub count: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallbackCounts {
    /// Scheduled in the scope.
    pub created: u32,
    /// Reached in the scope.
    pub done: u32,
    /// Pending when the figures were made, and of those, overdue.
    pub pending: u32,
    pub overdue: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FileCounts {
    pub opened: u32,
    pub closed: u32,
}

/// The contacts of one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChannelCounts {
    pub contacts: u32,
    /// Their length: from start to end, or the time spent on a written contact.
    pub seconds: i64,
}

/// Written contacts (e-mail, letter): timed by the time spent on them, counted apart from the
/// length of calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WrittenCounts {
    pub contacts: u32,
    pub total_seconds: i64,
    pub median_seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub scope: Scope,
    pub generated_at: Timestamp,
    /// Every contact, whatever its channel.
    pub calls: u32,
    /// The length of the contacts with a start and an end (calls, chats, SMS exchanges):
    /// written ones are in `written`.
    pub total_seconds: i64,
    pub median_seconds: i64,
    /// Contacts by channel id (`phone`, `email`…; an id the config added, or no longer knows).
    pub by_channel: BTreeMap<String, ChannelCounts>,
    pub written: WrittenCounts,
    pub by_type: BTreeMap<CallType, u32>,
    pub by_theme: BTreeMap<String, u32>,
    pub by_outcome: BTreeMap<Outcome, u32>,
    pub rud: RudCounts,
    pub prompts: Vec<PromptCount>,
    pub callbacks: CallbackCounts,
    pub files: FileCounts,
    /// Calls offered, answered, missed and the answer rate (`domain::phone`).
    pub phone: super::phone::Offered,
}

impl Summary {
    /// No figures yet, for `scope`.
    pub fn empty(scope: Scope, generated_at: Timestamp) -> Summary {
        Summary {
            scope,
            generated_at,
            calls: 0,
            total_seconds: 0,
            median_seconds: 0,
            by_channel: BTreeMap::new(),
            written: WrittenCounts::default(),
            by_type: BTreeMap::new(),
            by_theme: BTreeMap::new(),
            by_outcome: BTreeMap::new(),
            rud: RudCounts::default(),
            prompts: Vec::new(),
            callbacks: CallbackCounts::default(),
            files: FileCounts::default(),
            phone: super::phone::Offered::default(),
        }
    }
}

/// One call as the CSV export and `--include-notes` exports list it: categories only, and
/// the notes when asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRow {
    pub started_at: Timestamp,
    /// From start to end (for a written contact, the time it was open).
    pub seconds: i64,
    pub channel: String,
    /// The time spent on a written contact; `None` for the others.
    pub time_spent: Option<i64>,
    pub call_type: CallType,
    pub linked_to_file: bool,
    pub themes: Vec<String>,
    pub rud: Rud,
    /// "number:outcome" for each prompt ("waiting" when not acknowledged).
    pub prompts: Vec<String>,
    pub orientations: Vec<String>,
    pub outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}
