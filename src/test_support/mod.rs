//! Synthetic fixtures shared by the app's unit tests and the screen tests (`tests/screens.rs`):
//! the centre's three listeners, an unlocking, a shift, a caller file and what a search finds of
//! it. Made up: no real person, number or code. Compiled with the library so that the tests in
//! `tests/` reach it too; nothing in the program calls it.

use crate::app::effect::{FileView, Unlocked};
use crate::domain::callback::{Assignee, Priority, QueueEntry};
use crate::domain::caller_file::{CallerFile, FileCode, FileHit, FileProfile, FileStatus};
use crate::domain::listener::{Actor, Role};
use crate::domain::shift::Shift;
use crate::domain::{Access, CallbackId, FileId, ListenerId, ShiftId, Timestamp};

/// The centre's active accounts, as the store lists them (by name).
pub fn listeners() -> Vec<(ListenerId, String)> {
    vec![
        (ListenerId(1), "Dominique".into()),
        (ListenerId(2), "Camille".into()),
        (ListenerId(3), "Sacha".into()),
    ]
}

/// Camille (listener 2), with `role`.
pub fn camille(role: Role) -> Actor {
    Actor { id: ListenerId(2), login: "camille".into(), display_name: "Camille".into(), role }
}

/// Sacha (listener 3), a listener.
pub fn sacha() -> Actor {
    Actor { id: ListenerId(3), login: "sacha".into(), display_name: "Sacha".into(), role: Role::Listener }
}

/// What the store answers when `actor` unlocks a writable store: the centre's listeners; no
/// shift left open, no draft, no handover note, no callback, nothing purged.
pub fn unlocked(actor: Actor) -> Unlocked {
    Unlocked {
        purged: Default::default(),
        access: Access::ReadWrite,
        listeners: listeners(),
        actor,
        open_shift: None,
        draft: None,
        handover: None,
        queue: Vec::new(),
        kept_calls_saved: 0,
    }
}

/// Camille's shift `id`, open since `started_at`.
pub fn shift(id: i64, started_at: Timestamp) -> Shift {
    Shift { id: ShiftId(id), listener_id: ListenerId(2), started_at, ended_at: None, handover_note: None }
}

/// An open file with nothing in its profile, created at `created_at`.
pub fn caller_file(id: i64, code: &str, created_at: Timestamp) -> CallerFile {
    CallerFile {
        id: FileId(id),
        code: FileCode::parse(code).unwrap(),
        status: FileStatus::Open,
        closure: None,
        profile: FileProfile::default(),
        created_at,
        last_contact_at: None,
        legal_hold: false,
        purged_at: None,
        version: 0,
    }
}

/// `file` as the file pane shows it, without history, events or callbacks yet.
pub fn file_view(file: CallerFile) -> FileView {
    FileView {
        file,
        history: Vec::new(),
        events: Vec::new(),
        callbacks: Vec::new(),
        authors: Default::default(),
    }
}

/// A search's line for file `id`.
pub fn file_hit(id: i64, code: &str, status: FileStatus) -> FileHit {
    FileHit {
        id: FileId(id),
        code: FileCode::parse(code).unwrap(),
        status,
        last_contact_at: None,
        summary: String::new(),
    }
}

/// A pending callback on file `file` (`code`), due at `due_at`, for anyone, never tried.
pub fn queue_entry(id: i64, file: i64, code: &str, due_at: Timestamp) -> QueueEntry {
    QueueEntry {
        id: CallbackId(id),
        version: 0,
        file_id: FileId(file),
        file_code: FileCode::parse(code).unwrap(),
        due_at,
        priority: Priority::Normal,
        assignee: Assignee::Anyone,
        assignee_name: None,
        attempts: 0,
        flagged: false,
        note: String::new(),
        channel: crate::domain::channel::PHONE.to_owned(),
    }
}

/// The figures of an empty period (November 2026).
pub fn empty_summary() -> crate::domain::summary::Summary {
    use chrono::TimeZone;
    let from = chrono::Utc.with_ymd_and_hms(2026, 10, 31, 23, 0, 0).unwrap();
    let to = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap();
    summary_of(crate::domain::summary::Scope::Period { from, to })
}

/// No figures, for `scope`; made at the scope's end.
pub fn summary_of(scope: crate::domain::summary::Scope) -> crate::domain::summary::Summary {
    let generated_at = match &scope {
        crate::domain::summary::Scope::Shift { to, .. }
        | crate::domain::summary::Scope::Period { to, .. } => *to,
    };
    crate::domain::summary::Summary::empty(scope, generated_at)
}

/// Synthetic statistics of `period` as the store would read them: evening peaks (and Mondays),
/// a year before with half the calls, every breakdown filled, contacts by several channels, the
/// phone's answered and missed calls, opening hours from 18:00 to 23:00 with shifts covering most
/// of them, files of both the age bands given now and older ones.
pub fn statistics(period: crate::domain::statistics::StatsPeriod) -> crate::domain::statistics::Statistics {
    use crate::domain::opening_hours::OpeningHours;
    use crate::domain::rollup::{FLAGGED, Facet, Fact};
    use crate::domain::statistics::{HourCount, QUARTER_SECONDS, RawCounts, Statistics};
    use crate::local_time::Zone;

    let zone = Zone::default();
    let quarters = |period: crate::domain::statistics::StatsPeriod, scale: u32| {
        let (from, to) = period.bounds(zone);
        let mut out = Vec::new();
        for (n, at) in (from.timestamp() / QUARTER_SECONDS..to.timestamp() / QUARTER_SECONDS).enumerate() {
            // Busier in the evening (18 h – midnight, UTC+1) and on Mondays.
            let hour = (at * QUARTER_SECONDS / 3600 + 1) % 24;
            let monday = (at * QUARTER_SECONDS / 86_400 + 3) % 7 == 0;
            let calls = match hour {
                18..=23 => 3,
                9..=17 => 1,
                _ => u32::from(n % 7 == 0),
            } + u32::from(monday);
            if calls > 0 {
                let missed = u32::from(hour >= 18 && n % 3 == 0);
                out.push((
                    at,
                    HourCount {
                        contacts: calls * scale,
                        answered: calls * scale - u32::from(calls * scale > 1),
                        missed,
                    },
                ));
            }
        }
        out
    };
    let current = quarters(period, 2);
    let total: i64 = current.iter().map(|(_, c)| i64::from(c.contacts)).sum();
    let share = |percent: i64| total * percent / 100;
    let f = Fact::new;
    let written = share(5) + share(3);
    let timed = total - written;
    let mut facts = vec![
        f(Facet::Channel, "phone", "", timed - share(6) - share(2), (timed - share(6) - share(2)) * 1150),
        f(Facet::Channel, "chat", "", share(6), share(6) * 1500),
        f(Facet::Channel, "sms", "", share(2), share(2) * 600),
        f(Facet::Channel, "email", "", share(5), share(5) * 900),
        f(Facet::Channel, "letter", "", share(3), share(3) * 1800),
        f(Facet::Written, "", "840", share(5), share(5) * 870),
        f(Facet::Written, "", "1800", share(3), share(3) * 1830),
        f(Facet::Type, "listening", "", share(52), 0),
        f(Facet::Type, "information", "", share(9), 0),
        f(Facet::Type, "crisis", "", share(6), 0),
        f(Facet::Type, "silent", "", share(15), 0),
        f(Facet::Type, "hang_up", "", total - share(52) - share(9) - share(6) - share(15), 0),
        f(Facet::Outcome, "supported", "", share(40), 0),
        f(Facet::Outcome, "oriented", "", share(12), 0),
        f(Facet::Outcome, "emergency_services", "", 1, 0),
        f(Facet::Length, "listening", "1260", share(40), share(40) * 1290),
        f(Facet::Length, "listening", "2400", share(12), share(12) * 2430),
        f(Facet::Length, "crisis", "3300", share(6), share(6) * 3330),
        f(Facet::Length, "information", "420", share(9) - written, (share(9) - written) * 450),
        f(Facet::Length, "silent", "0", share(15), share(15) * 45),
        f(Facet::Length, "hang_up", "0", total - share(52) - share(9) - share(6) - share(15), 20),
        f(Facet::Risk, "low", "", 1, 0),
        f(Facet::Risk, "medium", "", 2, 0),
        f(Facet::Risk, "", "", total - 3, 0),
        f(Facet::Urgency, "low", "", 2, 0),
        f(Facet::Urgency, "medium", "", 1, 0),
        f(Facet::Urgency, "high", "", 1, 0),
        f(Facet::Urgency, "", "", total - 4, 0),
        f(Facet::Danger, "low", "", 2, 0),
        f(Facet::Danger, "", "", total - 2, 0),
        f(Facet::Prompt, "15", "service_contacted", 1, 0),
        f(Facet::Prompt, "3114", "number_given", 2, 0),
        f(Facet::Theme, "isolement", "woman", share(18), 0),
        f(Facet::Theme, "isolement", "man", share(6), 0),
        f(Facet::Theme, "isolement", "", share(4), 0),
        f(Facet::Theme, "idées suicidaires", "woman", share(5), 0),
        f(Facet::Theme, "idées suicidaires", "", share(4), 0),
        f(Facet::Theme, "deuil", "man", share(3), 0),
        f(Facet::Theme, "deuil", "other", 2, 0),
        f(Facet::Callback, "done", "", 2, 0),
        f(Facet::Callback, "pending", FLAGGED, 1, 0),
        f(Facet::FirstAttempt, "", "600", 1, 630),
        f(Facet::FirstAttempt, "", "1800", 1, 1830),
        f(Facet::FirstAttempt, "", "3600", 1, 3700),
        f(Facet::Reached, "", "", 2, 0),
    ];
    for (facet, value, percent) in [
        (Facet::AgeBand, "18_24", 8),
        (Facet::AgeBand, "25_44", 22),
        (Facet::AgeBand, "45_64", 10),
        (Facet::AgeBand, "40_59", 6),
        (Facet::AgeBand, "60_74", 5),
        (Facet::AgeBand, "65_74", 5),
        (Facet::AgeBand, "75_plus", 4),
        (Facet::Gender, "woman", 38),
        (Facet::Gender, "man", 21),
        (Facet::Gender, "other", 1),
        (Facet::Relation, "person_concerned", 45),
        (Facet::Relation, "relative", 15),
        (Facet::Relation, "professional", 5),
    ] {
        facts.push(f(facet, value, "", share(percent), 0));
    }
    // The anonymous calls, and files that do not say.
    for (facet, percent) in [(Facet::AgeBand, 40), (Facet::Gender, 40), (Facet::Relation, 35)] {
        facts.push(f(facet, "", "", share(percent), 0));
    }
    // Someone on shift from 18:00 to 22:00 local every day, 17:00 to 19:00 on Mondays too.
    let mut shifts = Vec::new();
    let mut day = period.first;
    while day <= period.last {
        let at = |h: u32| zone.instant(day.and_hms_opt(h, 0, 0).expect("a whole hour"));
        shifts.push((at(18), at(22)));
        if day.format("%u").to_string() == "1" {
            shifts.push((at(17), at(19)));
        }
        day += chrono::Duration::days(1);
    }
    let mut opening = OpeningHours::default();
    for weekday in &mut opening.days {
        *weekday = vec![(18 * 60, 23 * 60)];
    }
    let raw = RawCounts {
        facts,
        quarters: current,
        previous_quarters: quarters(period.a_year_before(), 1),
        files: crate::domain::summary::FileCounts { opened: 1, closed: 1 },
        pending_now: 3,
        overdue_now: 1,
        overdue: 1,
        shifts,
    };
    let (_, to) = period.bounds(zone);
    Statistics::build(&crate::domain::statistics::StatsRequest { period, zone, opening, now: to }, raw)
}

pub mod postgres;
