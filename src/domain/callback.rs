//! Callbacks: calling a caller back, with their consent, to follow their situation.

use super::assessment::{Rud, RudLevel};
use super::channel::{AddressKind, PHONE};
use super::{CallId, CallbackId, FileId, ListenerId, Timestamp, stored_enum};

stored_enum! {
    Priority {
        Low = "low",
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
}

impl Priority {
    /// The priority suggested from the RUD urgency; the listener may change it.
    pub fn suggested(rud: &Rud) -> Priority {
        match rud.urgency {
            Some(RudLevel::High) => Priority::Urgent,
            Some(RudLevel::Medium) => Priority::High,
            Some(RudLevel::Low) | None => Priority::Normal,
        }
    }
}

stored_enum! {
    CallbackStatus {
        Pending = "pending",
        Done = "done",
        Cancelled = "cancelled",
    }
}

stored_enum! {
    AttemptResult {
        Reached = "reached",
        NoAnswer = "no_answer",
        MessageNotLeft = "message_not_left",
        WrongNumber = "wrong_number",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    Anyone,
    Listener(ListenerId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub at: Timestamp,
    pub listener_id: ListenerId,
    pub result: AttemptResult,
    /// The call an attempt that reached the caller became.
    pub call_id: Option<CallId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub id: CallbackId,
    pub caller_file_id: FileId,
    pub origin_call_id: Option<CallId>,
    pub due_at: Timestamp,
    pub priority: Priority,
    /// The channel the caller is called back or answered on (`channel::PHONE`, "email"…).
    pub channel: String,
    /// The only contact data kept anywhere (a number, or the address a reply goes to);
    /// `None` once the callback is closed.
    pub callback_number: Option<Address>,
    pub assignee: Assignee,
    pub status: CallbackStatus,
    pub note: String,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub closed_reason: Option<String>,
    /// Bumped by every change; a change made on an older version is refused.
    pub version: i64,
    /// Too many failed attempts: a supervisor should look at it.
    pub flagged: bool,
    pub attempts: Vec<Attempt>,
}

/// A callback to schedule. There is no consent field: a callback can only be built with
/// [`NewCallback::with_consent`], so one without the caller's agreement cannot exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallback {
    pub caller_file_id: FileId,
    pub origin_call_id: Option<CallId>,
    pub due_at: Timestamp,
    pub priority: Priority,
    /// `channel::PHONE` unless the caller is answered in writing (a reply due).
    pub channel: String,
    pub callback_number: Address,
    pub assignee: Assignee,
    pub note: String,
    consent: ConsentGiven,
}

/// Proof that the caller agreed to be called back; only [`NewCallback::with_consent`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ConsentGiven;

impl NewCallback {
    /// `caller_agreed` is what the caller said when asked; `None` comes back without it.
    #[allow(clippy::too_many_arguments)]
    pub fn with_consent(
        caller_agreed: bool,
        caller_file_id: FileId,
        origin_call_id: Option<CallId>,
        due_at: Timestamp,
        priority: Priority,
        callback_number: impl Into<Address>,
        assignee: Assignee,
        note: String,
    ) -> Option<NewCallback> {
        caller_agreed.then_some(NewCallback {
            caller_file_id,
            origin_call_id,
            due_at,
            priority,
            channel: PHONE.to_owned(),
            callback_number: callback_number.into(),
            assignee,
            note,
            consent: ConsentGiven,
        })
    }

    /// The callback `request` asks for on `file`, from the call `origin_call_id` when it is
    /// scheduled at the end of one. The request holds the caller's consent already.
    pub fn from_request(
        caller_file_id: FileId,
        origin_call_id: Option<CallId>,
        request: &CallbackRequest,
    ) -> NewCallback {
        NewCallback {
            caller_file_id,
            origin_call_id,
            due_at: request.due_at,
            priority: request.priority,
            channel: request.channel.clone(),
            callback_number: request.callback_number.clone(),
            assignee: request.assignee,
            note: request.note.clone(),
            consent: request.consent,
        }
    }
}

impl Callback {
    /// Pending and past its due time, as the queue marks it.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status == CallbackStatus::Pending && self.due_at < now
    }

    /// Pending and due within the next half hour, as the queue marks it.
    pub fn is_due_soon(&self, now: Timestamp) -> bool {
        self.status == CallbackStatus::Pending
            && !self.is_overdue(now)
            && self.due_at <= now + chrono::Duration::minutes(30)
    }
}

/// A file's pending callbacks in the queue's order (`Store::callback_queue`): overdue first,
/// then by priority (most urgent first), then soonest due.
pub fn pending_in_queue_order(callbacks: &[Callback], now: Timestamp) -> Vec<&Callback> {
    let mut pending: Vec<&Callback> =
        callbacks.iter().filter(|c| c.status == CallbackStatus::Pending).collect();
    pending.sort_by_key(|c| (!c.is_overdue(now), std::cmp::Reverse(c.priority), c.due_at, c.id));
    pending
}

/// A French phone number to call back, kept as digits (with a leading + for international).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a phone number (10 digits like 06 12 34 56 78, or +33 6 12 34 56 78)")]
pub struct BadPhoneNumber(pub String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<PhoneNumber, BadPhoneNumber> {
        let trimmed = input.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if rest.chars().any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '.' | '-'))) {
            return Err(BadPhoneNumber(input.to_owned()));
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let valid = if plus {
            (8..=15).contains(&digits.len())
        } else {
            digits.len() == 10 && digits.starts_with('0')
        };
        if !valid {
            return Err(BadPhoneNumber(input.to_owned()));
        }
        Ok(PhoneNumber(if plus { format!("+{digits}") } else { digits }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a callback or a reply goes to: a phone number, or the address a written reply is sent
/// to (an e-mail address, a chat pseudonym, a postal address). Like a callback number it is
/// held only while its callback is pending, and never exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address a reply can go to")]
pub struct BadAddress(pub String);

/// The longest address kept (a postal address on one line fits).
pub const ADDRESS_MAX_CHARS: usize = 200;

impl Address {
    /// As the channel's kind of address wants it: a phone number by its rules, an e-mail
    /// address with one `@` and a domain, or one line of text without control characters.
    pub fn parse(kind: AddressKind, input: &str) -> Result<Address, BadAddress> {
        let bad = || BadAddress(input.to_owned());
        let text = input.trim();
        if text.is_empty() || text.chars().count() > ADDRESS_MAX_CHARS || text.chars().any(char::is_control) {
            return Err(bad());
        }
        match kind {
            AddressKind::Phone => PhoneNumber::parse(text).map(Address::from).map_err(|_| bad()),
            AddressKind::Email => {
                let (local, domain) = text.split_once('@').ok_or_else(bad)?;
                let valid = !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !text.chars().any(char::is_whitespace);
                if valid { Ok(Address(text.to_owned())) } else { Err(bad()) }
            }
            AddressKind::Text => Ok(Address(text.to_owned())),
        }
    }

    /// As the store kept it (checked when it was typed).
    pub fn stored(text: String) -> Address {
        Address(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<PhoneNumber> for Address {
    fn from(number: PhoneNumber) -> Address {
        Address(number.0)
    }
}

/// A pending callback as listed in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub id: CallbackId,
    pub version: i64,
    pub file_id: FileId,
    pub file_code: super::caller_file::FileCode,
    pub due_at: Timestamp,
    pub priority: Priority,
    pub assignee: Assignee,
    /// The display name of the assigned listener, if any.
    pub assignee_name: Option<String>,
    pub attempts: u32,
    pub flagged: bool,
    pub note: String,
    /// `channel::PHONE`, or the channel a reply is due on.
    pub channel: String,
}

impl QueueEntry {
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.due_at < now
    }

    /// Due within the next half hour: shown as due soon.
    pub fn is_due_soon(&self, now: Timestamp) -> bool {
        !self.is_overdue(now) && self.due_at <= now + chrono::Duration::minutes(30)
    }
}

/// What a callback is now, when a change made on an older view of it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackNow {
    Closed(CallbackStatus),
    /// Still pending, now with this listener (`None`: anyone).
    AssignedTo(Option<String>),
}

impl std::fmt::Display for CallbackNow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallbackNow::Closed(status) => write!(f, "it is {}", status.as_str()),
            CallbackNow::AssignedTo(name) => {
                write!(f, "it is now assigned to {}", name.as_deref().unwrap_or("anyone"))
            }
        }
    }
}

/// How failed attempts are followed up (from the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// A failed attempt moves the callback this much later.
    pub retry_after: chrono::Duration,
    /// After this many failed attempts the callback is flagged for a supervisor.
    pub max_failed_attempts: u32,
}

impl RetryPolicy {
    /// Whether a callback with `failed` failed attempts (this one included) needs a supervisor.
    /// A wrong number cannot succeed by trying again.
    pub fn flags(&self, failed: u32, result: AttemptResult) -> bool {
        result == AttemptResult::WrongNumber || failed >= self.max_failed_attempts
    }
}

/// What the listener filled in to schedule a callback, before the file (and, at the end of a
/// call, the call) it belongs to is known. Like [`NewCallback`], it carries the caller's
/// consent and can only be built with it ([`CallbackRequest::with_consent`]), so the callback
/// made from it needs no second asking ([`NewCallback::from_request`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    pub due_at: Timestamp,
    pub priority: Priority,
    /// `channel::PHONE` unless the caller is answered in writing (a reply due).
    pub channel: String,
    pub callback_number: Address,
    pub assignee: Assignee,
    pub note: String,
    consent: ConsentGiven,
}

impl CallbackRequest {
    /// `caller_agreed` is what the caller said when asked; `None` comes back without it.
    pub fn with_consent(
        caller_agreed: bool,
        due_at: Timestamp,
        priority: Priority,
        callback_number: impl Into<Address>,
        assignee: Assignee,
        note: String,
    ) -> Option<CallbackRequest> {
        caller_agreed.then_some(CallbackRequest {
            due_at,
            priority,
            channel: PHONE.to_owned(),
            callback_number: callback_number.into(),
            assignee,
            note,
            consent: ConsentGiven,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_needs_the_callers_consent_and_the_callback_made_from_it_keeps_it() {
        let number = PhoneNumber::parse("0612345678").unwrap();
        let due = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let ask = |agreed| {
            CallbackRequest::with_consent(
                agreed,
                due,
                Priority::High,
                number.clone(),
                Assignee::Anyone,
                "".into(),
            )
        };
        assert_eq!(ask(false), None, "no consent, no request");
        let request = ask(true).unwrap();
        let callback = NewCallback::from_request(FileId(9), Some(CallId(3)), &request);
        let asked_directly = NewCallback::with_consent(
            true,
            FileId(9),
            Some(CallId(3)),
            due,
            Priority::High,
            number.clone(),
            Assignee::Anyone,
            String::new(),
        );
        assert_eq!(Some(callback), asked_directly);
    }

    #[test]
    fn reply_addresses_follow_their_channels_kind() {
        let parse = |kind, text| Address::parse(kind, text).map(|a| a.as_str().to_owned());
        assert_eq!(parse(AddressKind::Phone, "06 12 34 56 78").unwrap(), "0612345678");
        assert!(parse(AddressKind::Phone, "camille@example.org").is_err());
        assert_eq!(parse(AddressKind::Email, " camille@example.org ").unwrap(), "camille@example.org");
        for bad in
            ["", "camille", "camille@", "@example.org", "a@b", "a b@example.org", "a@b@c.org", "a@.org"]
        {
            assert!(parse(AddressKind::Email, bad).is_err(), "{bad}");
        }
        assert_eq!(parse(AddressKind::Text, "  pseudo_42 ").unwrap(), "pseudo_42");
        assert!(parse(AddressKind::Text, "   ").is_err());
        assert!(parse(AddressKind::Text, "ligne\nautre").is_err());
        assert!(parse(AddressKind::Text, &"x".repeat(ADDRESS_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn phone_numbers() {
        assert_eq!(PhoneNumber::parse("06 12 34 56 78").unwrap().as_str(), "0612345678");
        assert_eq!(PhoneNumber::parse("+33 6.12.34.56.78").unwrap().as_str(), "+33612345678");
        for bad in ["", "12345", "6123456789", "06 12 34 56 7a", "+33", "06123456789"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_callback_without_consent() {
        let build = |agreed| {
            NewCallback::with_consent(
                agreed,
                FileId(1),
                None,
                chrono::Utc::now(),
                Priority::Normal,
                PhoneNumber::parse("0612345678").unwrap(),
                Assignee::Anyone,
                String::new(),
            )
        };
        assert!(build(false).is_none());
        assert!(build(true).is_some());
    }

    #[test]
    fn priority_follows_urgency() {
        let rud = |urgency| Rud { urgency, ..Rud::default() };
        assert_eq!(Priority::suggested(&rud(Some(RudLevel::High))), Priority::Urgent);
        assert_eq!(Priority::suggested(&rud(Some(RudLevel::Medium))), Priority::High);
        assert_eq!(Priority::suggested(&rud(None)), Priority::Normal);
    }
}
