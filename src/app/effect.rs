//! What `App::update` asks the outside world to do, and what comes back.
//! The runtime carries effects out against the store; the app never touches it.

use std::collections::HashMap;

use zeroize::Zeroizing;

use crate::domain::call::{Call, CallDraft, NewCall};
use crate::domain::callback::{
    Assignee, AttemptResult, Callback, CallbackNow, CallbackRequest, QueueEntry, RetryPolicy,
};
use crate::domain::caller_file::{
    CallerFile, Closure, FileEvent, FileFilter, FileHit, FileProfile, FileStatus, UnlockPurge,
};
use crate::domain::listener::Actor;
use crate::domain::shift::{OnShift, Shift};
use crate::domain::statistics::{Statistics, StatsPeriod};
use crate::domain::summary::Summary;
use crate::domain::{CallId, CallbackId, FileId, ListenerId, ShiftId, Timestamp};

#[derive(Debug)]
pub enum Effect {
    /// Open the store as `login` (the runtime holds it until `Lock`).
    Unlock {
        login: String,
        passphrase: Zeroizing<String>,
    },
    /// First run: create the database with its first supervisor.
    CreateDatabase {
        login: String,
        display_name: String,
        passphrase: Zeroizing<String>,
    },
    /// Start a shift. A shift left open is closed only through `EndShift` (figures, handover
    /// note, summary), never on the way to a new one.
    StartShift,
    SaveDraft(CallDraft),
    SaveCall {
        call: NewCall,
        callback: Option<CallbackRequest>,
    },
    SearchFiles {
        query: String,
        filter: FileFilter,
    },
    /// Change a file (or a call's notes on it), then show it again.
    ChangeFile(FileChange),
    /// Load a file and its history; `audited` when the listener opens it (not on a refresh).
    OpenFile {
        id: FileId,
        audited: bool,
    },
    CreateFile,
    /// Take a callback from the queue to perform it (refused if it changed since `version`).
    TakeCallback {
        id: CallbackId,
        version: i64,
    },
    /// The callback's attempt did not reach the caller.
    CallbackFailed {
        id: CallbackId,
        result: AttemptResult,
        policy: RetryPolicy,
    },
    /// A callback scheduled from a file, outside a call.
    ScheduleCallback {
        file: FileId,
        request: CallbackRequest,
    },
    ChangeCallback(CallbackChange),
    /// Who is on shift and on a call, for the supervisor's view.
    RefreshOverview,
    /// The figures of the shift, for the end-of-shift screen.
    LoadSummary(ShiftId),
    /// The statistics of a period, for the statistics screen (hours and days in the
    /// configured zone).
    /// `seq` names the request: only its reply is shown (`StatisticsView::seq`).
    LoadStatistics {
        period: StatsPeriod,
        seq: u64,
    },
    /// Close the shift with its handover note, then write its summary.
    EndShift {
        shift: ShiftId,
        handover: String,
        /// Said back with `Reply::ShiftEnded`.
        after: AfterShift,
    },
    RefreshQueue,
    /// Refresh the queue if another process (a supervisor's terminal) committed a change.
    CheckForChanges,
    /// Close the store: the data key is wiped from memory until the next unlock.
    Lock,
    /// Ask the phone (answer, hang up, dial).
    Phone(crate::phone::PhoneCommand),
    /// Hash the ringing number with the store's secret and say what calls it made before.
    RecogniseCaller {
        line: crate::phone::LineId,
        number: crate::phone::CallerNumber,
    },
    /// A call rang and was not answered.
    RecordMissed(crate::domain::phone::MissedCall),
}

/// What comes once a shift is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterShift {
    /// The terminal goes to the next listener: locked, the unlock screen saying what happened.
    Lock,
    /// The shift closed was one left open, found at unlock: the listener who just unlocked
    /// stays, on a new shift.
    NewShift,
    /// A supervisor closed the shift of someone who left without ending it: nothing changes
    /// for the supervisor's own session (the popup says it, and asks the view again).
    Stay,
}

/// A supervisor's (or the assigned listener's) change to a pending callback, made on the
/// version they saw.
#[derive(Debug, Clone, PartialEq)]
pub enum CallbackChange {
    Reassign { id: CallbackId, version: i64, assignee: Assignee },
    Reschedule { id: CallbackId, version: i64, due_at: Timestamp },
    Cancel { id: CallbackId, version: i64, reason: String },
}

/// The changes a listener (or a supervisor) makes to a file from its pane.
#[derive(Debug, Clone, PartialEq)]
pub enum FileChange {
    /// Made on `version`, the one the form was filled from; `status` is `None` on a closed
    /// file, which only a reopening (with its reason) changes.
    Profile {
        id: FileId,
        version: i64,
        status: Option<FileStatus>,
        profile: FileProfile,
    },
    Close {
        id: FileId,
        closure: Closure,
    },
    Reopen {
        id: FileId,
        reason: String,
    },
    LegalHold {
        id: FileId,
        hold: bool,
        reason: String,
    },
    AmendNotes {
        file: FileId,
        call: CallId,
        /// The notes the form was filled with: the amendment is made on them.
        seen: String,
        notes: String,
    },
}

impl FileChange {
    pub fn file(&self) -> FileId {
        match self {
            FileChange::Profile { id, .. }
            | FileChange::Close { id, .. }
            | FileChange::Reopen { id, .. }
            | FileChange::LegalHold { id, .. } => *id,
            FileChange::AmendNotes { file, .. } => *file,
        }
    }
}

/// A caller file with its history, as the file pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileView {
    pub file: CallerFile,
    /// Newest first.
    pub history: Vec<Call>,
    /// Closures, reopenings, holds, purges: newest first.
    pub events: Vec<FileEvent>,
    /// Pending first.
    pub callbacks: Vec<Callback>,
    pub authors: HashMap<ListenerId, String>,
}

#[derive(Debug, Clone)]
pub struct Unlocked {
    pub actor: Actor,
    pub open_shift: Option<Shift>,
    pub draft: Option<CallDraft>,
    /// The last closed shift, whose handover note is shown first.
    pub handover: Option<Shift>,
    pub queue: Vec<QueueEntry>,
    /// Active accounts (id, name): callbacks are assigned to them.
    pub listeners: Vec<(ListenerId, String)>,
    /// What the retention check at unlock wiped.
    pub purged: UnlockPurge,
    /// Read-only media or a full disk, said on screen for as long as the session lasts.
    pub access: crate::domain::Access,
    /// On a server: calls ended while it could not be reached, kept on this machine since and
    /// saved there at this unlock.
    pub kept_calls_saved: usize,
}

/// Why the centre's server takes no writes from this terminal for now (what is typed is kept on
/// this machine meanwhile): each said in its own words, in the status bar and its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// Nothing answers (stopped, a cut cable, no answer in time).
    Unreachable,
    /// Only a standby answers, which takes no writes: the primary is gone and none has been
    /// promoted yet (a failover under way).
    StandbyOnly,
}

#[derive(Debug, Clone)]
pub enum Reply {
    Unlocked(Box<Unlocked>),
    UnlockFailed {
        message: String,
        /// Seconds before the store lets this account try again, as its count of wrong
        /// passphrases (kept beside the key file, across terminals and relaunches) says.
        retry_in: Option<i64>,
    },
    ShiftStarted(Shift),
    DraftSaved(Timestamp),
    /// The draft did not save (full disk…): it is retried, and the status bar says so.
    DraftFailed(String),
    /// The centre's server could not be reached, and the draft is kept on this machine
    /// (`store::LocalDraft`): nothing is lost; the status bar says the server is unreachable.
    DraftKept {
        at: Timestamp,
        outage: Outage,
    },
    CallSaved,
    /// The call is saved, but the callback it performed had been closed by someone else
    /// meanwhile (cancelled, done at another desk): it stays so, the attempt is noted.
    CallSavedCallbackClosed(CallbackNow),
    /// The call is ended and, the server unreachable, kept on this machine: it is saved there
    /// once the server answers (`ServerBack`). For the session it is done, as if saved.
    CallKept(Outage),
    /// The centre's server cannot be reached (the one-second poll): said until it answers.
    ServerUnreachable(Outage),
    /// The server answers again; `saved`: calls kept on this machine meanwhile, now saved there.
    ServerBack {
        saved: usize,
    },
    FileHits {
        query: String,
        filter: FileFilter,
        hits: Vec<FileHit>,
    },
    FileLoaded(Box<FileView>),
    FileCreated(Box<FileView>),
    /// A change to the shown file is committed; here it is again.
    FileChanged(Box<FileView>),
    /// The file changed since the edit's form was filled (another edit, a purge): nothing
    /// was written; the file as it is now.
    FileConflict(Box<FileView>),
    /// The callback is ours to perform; here is its number.
    CallbackTaken(Box<Callback>),
    AttemptRecorded {
        flagged: bool,
    },
    CallbackScheduled(FileId),
    CallbackChanged,
    /// Another terminal changed the callback first: nothing was done.
    CallbackConflict(CallbackNow),
    Overview(Vec<OnShift>),
    Summary(Box<Summary>),
    /// The figures asked for by the request `seq`.
    Statistics {
        seq: u64,
        figures: Box<Statistics>,
    },
    /// The request `seq` could not be answered: said on the statistics screen that asked, and
    /// nowhere else (dropped when it is closed), never to whatever popup is on top.
    StatisticsFailed {
        seq: u64,
        message: String,
    },
    /// The shift is closed; where its summary was written, or why it could not be.
    ShiftEnded {
        written: Result<std::path::PathBuf, String>,
        after: AfterShift,
    },
    Queue(Vec<QueueEntry>),
    /// The ringing number's keyed hash and its earlier calls.
    CallerRecognised {
        line: crate::phone::LineId,
        hash: crate::domain::phone::NumberHash,
        history: crate::domain::phone::CallerHistory,
    },
    /// A store operation failed; the message is for the listener. Nothing in memory is lost.
    Failed(String),
    /// The database was re-keyed by another terminal and this account's slot no longer opens
    /// it (deactivated, or its passphrase reset): the store is closed; the screen locks.
    Revoked(String),
}
