//! What is known of a caller file as a whole: its record (calls, events, callbacks) and, when
//! a call is linked to a file called about before, the repeat-caller summary drawn from it.
//! Apart from `caller_file` so that the file itself knows neither calls nor callbacks.

use super::Timestamp;
use super::assessment::Rud;
use super::call::Call;
use super::callback::Callback;
use super::caller_file::{CallerFile, FileEvent};

/// Everything held on a file: what the file pane shows and the right-of-access export writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub file: CallerFile,
    /// Newest first.
    pub calls: Vec<Call>,
    /// Newest first.
    pub events: Vec<FileEvent>,
    /// Pending first, then newest first, each with its attempts.
    pub callbacks: Vec<Callback>,
}

/// What a listener must see first when a call is linked to a file that has been called
/// about before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatCaller {
    pub earlier_calls: usize,
    /// The newest call: its outcome, situations and prompts are shown.
    pub last_call: Call,
    /// The newest rated grid, which may come from an older call than `last_call`.
    pub last_rud: Option<RatedRud>,
    /// Pending callbacks in the queue's order: overdue first, then the most urgent.
    pub pending_callbacks: Vec<Callback>,
    pub instructions: String,
}

/// A RUD grid with the call it was rated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatedRud {
    pub rud: Rud,
    pub call_started_at: Timestamp,
    /// Whether it was rated on the last call; if not, the banner says it is older.
    pub on_last_call: bool,
}

impl RepeatCaller {
    /// From the file's history, leaving out the call being taken. Picked by date rather
    /// than by position, so the order the history comes in cannot mix two calls up.
    pub fn new(
        file: &CallerFile,
        history: &[Call],
        callbacks: &[Callback],
        now: Timestamp,
    ) -> Option<RepeatCaller> {
        let last = history.iter().max_by_key(|c| (c.started_at, c.id))?;
        let rated =
            history.iter().filter(|c| c.record.rud != Rud::default()).max_by_key(|c| (c.started_at, c.id));
        Some(RepeatCaller {
            earlier_calls: history.len(),
            last_call: last.clone(),
            last_rud: rated.map(|call| RatedRud {
                rud: call.record.rud,
                call_started_at: call.started_at,
                on_last_call: call.id == last.id,
            }),
            pending_callbacks: super::callback::pending_in_queue_order(callbacks, now)
                .into_iter()
                .cloned()
                .collect(),
            instructions: file.profile.instructions.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::caller_file::{FileCode, FileProfile, FileStatus};
    use crate::domain::{FileId, ListenerId};

    fn at(days_ago: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap() - chrono::Duration::days(days_ago)
    }

    fn file() -> CallerFile {
        CallerFile {
            id: FileId(9),
            code: FileCode::parse("KAT-472").unwrap(),
            status: FileStatus::FollowUp,
            closure: None,
            profile: FileProfile {
                instructions: "Préfère une écoutante.".into(), ..FileProfile::default()
            },
            created_at: at(40),
            last_contact_at: Some(at(2)),
            legal_hold: false,
            purged_at: None,
            version: 0,
        }
    }

    fn call(id: i64, days_ago: i64, rud: Rud) -> Call {
        Call {
            id: crate::domain::CallId(id),
            shift_id: crate::domain::ShiftId(1),
            listener_id: ListenerId(2),
            started_at: at(days_ago),
            ended_at: at(days_ago) + chrono::Duration::minutes(20),
            call_type: crate::domain::call::CallType::Listening,
            time_spent: None,
            record: crate::domain::call::CallRecord { rud, ..Default::default() },
        }
    }

    fn rated() -> Rud {
        use crate::domain::assessment::RudLevel;
        Rud { risk: Some(RudLevel::Medium), urgency: Some(RudLevel::Medium), danger: Some(RudLevel::Low) }
    }

    /// Issue 14: the banner showed an older call's grid under the last call's date.
    #[test]
    fn the_last_rud_comes_with_the_call_it_was_rated_on() {
        let history = [call(3, 2, Rud::default()), call(2, 12, rated()), call(1, 20, Rud::default())];
        let repeat = RepeatCaller::new(&file(), &history, &[], at(0)).unwrap();
        assert_eq!(repeat.earlier_calls, 3);
        assert_eq!(repeat.last_call.started_at, at(2));
        let rud = repeat.last_rud.unwrap();
        assert_eq!((rud.rud, rud.call_started_at, rud.on_last_call), (rated(), at(12), false));
    }

    #[test]
    fn the_last_rud_of_the_last_call_says_so() {
        let history = [call(2, 2, rated()), call(1, 12, Rud::default())];
        let repeat = RepeatCaller::new(&file(), &history, &[], at(0)).unwrap();
        let rud = repeat.last_rud.unwrap();
        assert_eq!((rud.call_started_at, rud.on_last_call), (at(2), true));
    }

    #[test]
    fn calls_are_told_apart_by_date_whatever_their_order() {
        let history = [call(1, 20, rated()), call(3, 2, Rud::default()), call(2, 12, rated())];
        let repeat = RepeatCaller::new(&file(), &history, &[], at(0)).unwrap();
        assert_eq!(repeat.last_call.id, crate::domain::CallId(3));
        assert_eq!(repeat.last_rud.unwrap().call_started_at, at(12));
    }

    #[test]
    fn no_history_no_banner_and_no_grid_no_rud() {
        assert_eq!(RepeatCaller::new(&file(), &[], &[], at(0)), None);
        let repeat = RepeatCaller::new(&file(), &[call(1, 2, Rud::default())], &[], at(0)).unwrap();
        assert_eq!(repeat.last_rud, None);
        assert_eq!(repeat.instructions, "Préfère une écoutante.");
    }

    #[test]
    fn pending_callbacks_overdue_urgent_first() {
        use crate::domain::callback::{Assignee, CallbackStatus, Priority};
        let callback = |id, due, priority, status| Callback {
            id: crate::domain::CallbackId(id),
            caller_file_id: FileId(9),
            origin_call_id: None,
            due_at: due,
            priority,
            channel: crate::domain::channel::PHONE.into(),
            callback_number: None,
            assignee: Assignee::Anyone,
            status,
            note: String::new(),
            created_at: at(5),
            closed_at: None,
            closed_reason: None,
            version: 0,
            flagged: false,
            attempts: Vec::new(),
        };
        let now = at(0);
        let hour = chrono::Duration::hours(1);
        // As the store lists them: pending first, latest due first.
        let callbacks = [
            callback(1, now + hour, Priority::Urgent, CallbackStatus::Pending),
            callback(2, now - hour, Priority::Normal, CallbackStatus::Pending),
            callback(3, now - hour * 2, Priority::Urgent, CallbackStatus::Pending),
            callback(4, now - hour * 3, Priority::Urgent, CallbackStatus::Done),
        ];
        let repeat = RepeatCaller::new(&file(), &[call(1, 2, rated())], &callbacks, now).unwrap();
        let order: Vec<i64> = repeat.pending_callbacks.iter().map(|c| c.id.0).collect();
        assert_eq!(order, [3, 2, 1], "overdue urgent, overdue, then the rest; done ones left out");
        assert!(repeat.pending_callbacks[0].is_overdue(now));
        assert!(!repeat.pending_callbacks[2].is_overdue(now));
        assert!(!callbacks[3].is_overdue(now), "a closed callback is never overdue");
    }
}
