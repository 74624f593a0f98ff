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

/// A listener on shift now, as the supervisor's view shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnShift {
    pub shift_id: ShiftId,
    pub listener_id: ListenerId,
    pub name: String,
    pub shift_started_at: Timestamp,
    /// Calls saved during this shift.
    pub calls: u32,
    /// Emergency prompts raised during this shift, in saved calls and the call being taken.
    pub prompts_raised: u32,
    /// When the call being taken started (from its draft), if one is.
    pub on_call_since: Option<Timestamp>,
    /// Prompts of the call being taken that wait for an acknowledgement.
    pub prompts_waiting: u32,
    /// No terminal of theirs is open any more: they quit without ending the shift. Then, the
    /// time of their last activity (`Store::shift_overview` says what counts).
    pub left: Option<Timestamp>,
}
