//! A listening shift (permanence d'écoute): one listener, from unlock to closing.

use super::{ListenerId, ShiftId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub id: ShiftId,
    pub listener_id: ListenerId,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// Left for the next shift: what to watch, who may call back.
    pub handover_note: Option<String>,
}

impl Shift {
    pub fn is_open(&self) -> bool {
        self.ended_at.is_none()
    }
}
