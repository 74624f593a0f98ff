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
    crate::domain::summary::Summary {
        scope,
        generated_at,
        calls: 0,
        total_seconds: 0,
        median_seconds: 0,
        by_channel: Default::default(),
        written: Default::default(),
        by_type: Default::default(),
        by_theme: Default::default(),
        by_outcome: Default::default(),
        rud: Default::default(),
        prompts: Vec::new(),
        callbacks: Default::default(),
        files: Default::default(),
        phone: Default::default(),
    }
}

pub mod postgres;
