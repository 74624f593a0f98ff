//! The message in the status line: said, stamped, and dropped once its time is up or what it
//! says is no longer true.

use chrono::Duration;

use super::{App, Session};
use crate::domain::Timestamp;

/// How long a message stays in the status line: long enough to be read after a glance away,
/// short enough not to be taken for news. Errors stay longer: they say why a key did nothing.
pub const SAY_FOR: Duration = Duration::seconds(8);
pub const WARN_FOR: Duration = Duration::seconds(20);

/// A message in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
    /// When it was said: stamped at the end of the key, reply or tick that said it
    /// (`App::settle_status`), with the time `tick` gave.
    pub said_at: Option<Timestamp>,
    /// What makes it untrue before it fades.
    pub until: Until,
}

/// The change that makes a message untrue: it is dropped then, not left to fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Nothing but time.
    Faded,
    /// "No call running", or the call just saved: a new call makes it false or confusing.
    CallStarts,
    /// About the call being taken.
    CallEnds,
    /// "No shift yet".
    ShiftStarts,
    /// The draft could not be saved.
    Saved,
    /// The centre's server cannot be reached.
    Reachable,
}

impl Until {
    fn came(self, session: &Session) -> bool {
        match self {
            Until::Faded => false,
            Until::CallStarts => session.call.is_some(),
            Until::CallEnds => session.call.is_none(),
            Until::ShiftStarts => session.shift.is_some(),
            Until::Saved => !session.save_failed,
            Until::Reachable => session.outage.is_none(),
        }
    }
}

/// A message that fades with time only.
pub fn status(text: &str, error: bool) -> Option<Status> {
    status_until(text, error, Until::Faded)
}

pub fn status_until(text: &str, error: bool, until: Until) -> Option<Status> {
    Some(Status { text: text.to_owned(), error, said_at: None, until })
}

impl App {
    pub(super) fn say(&mut self, text: impl Into<String>) {
        self.status = status(&text.into(), false);
    }

    pub(super) fn warn(&mut self, text: impl Into<String>) {
        self.status = status(&text.into(), true);
    }

    /// Stamps a new message with the time it was said; drops one whose time is up or whose
    /// situation is over. Runs after every key, reply and tick, so the next frame is true.
    pub(super) fn settle_status(&mut self) {
        let now = self.now;
        let Some(status) = self.status.as_mut() else { return };
        let said = *status.said_at.get_or_insert(now);
        let lasts = if status.error { WARN_FOR } else { SAY_FOR };
        let over = self.session.as_ref().is_some_and(|session| status.until.came(session));
        if over || now - said >= lasts {
            self.status = None;
        }
    }
}
