//! Popups, on a stack over the main screen: the top one takes the keys.

use zeroize::Zeroizing;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use crate::domain::assessment::Rud;
use crate::domain::call::CallDraft;
use crate::domain::callback::{Callback, Priority, QueueEntry};
use crate::domain::caller_file::{
    AgeBand, CallerFile, CallerRelation, FileCode, FileFilter, FileHit, FileStatus, Gender,
};
use crate::domain::file_record::RepeatCaller;
use crate::domain::shift::Shift;
use crate::domain::summary::Summary;
use crate::domain::{CallId, FileId, ListenerId, ShiftId, Timestamp};

#[derive(Debug, Clone)]
pub enum Popup {
    Help,
    EmergencyCard {
        selected: usize,
    },
    List(ListPopup),
    Rud {
        row: usize,
        rud: Rud,
        /// Opened by ending the call: Enter goes on ending it.
        ending: bool,
    },
    FileSearch(FileSearch),
    /// The code of a file just opened, shown large so it can be read to the caller.
    NewFileCode(FileCode),
    CallbackOffer,
    /// Ending the call: what will be saved, before anything is asked.
    ConfirmEndCall,
    CallbackForm(CallbackForm),
    ConfirmQuit,
    DraftRecovery(CallDraft),
    /// The listener's own shift, found still open at unlock: resumed (Enter, the default), or
    /// closed through the end of shift (its `F10`) before a new one starts.
    ShiftChoice(Shift),
    /// The handover note left by the previous shift.
    Handover(String),
    /// Recording what was done with the prompted numbers.
    Acknowledge(AckForm),
    /// A known caller: earlier calls, the last one's record, the last RUD rated and its call,
    /// pending callbacks, instructions — before anything else.
    RepeatCaller(RepeatCaller),
    FileForm(FileForm),
    Closure(ClosureForm),
    /// Reopening a file, or setting or lifting a legal hold: one line of reason.
    Reason(ReasonForm),
    AmendNotes(Box<NotesForm>),
    /// A callback being performed: taken from the queue, its number shown, its result asked.
    Perform(PerformForm),
    /// The supervisor's view of the shift: who is on a call, every pending callback.
    Supervisor(SupervisorView),
    /// Choosing who a callback goes to.
    Reassign(ReassignForm),
    /// A new due time, typed.
    Reschedule(CallbackTextForm),
    /// Why a callback is cancelled.
    CancelCallback(CallbackTextForm),
    /// The end of the shift: its figures, the handover note, then closing.
    EndShift(Box<EndShiftForm>),
}

#[derive(Debug, Clone)]
pub struct EndShiftForm {
    /// The shift being closed: the session's, or the one found open at unlock.
    pub shift: ShiftId,
    /// Filled when the store answers.
    pub summary: Option<Summary>,
    pub handover: TextArea<'static>,
    /// Ctrl-S was pressed: waiting for the store to close the shift.
    pub closing: bool,
}

impl EndShiftForm {
    /// The end of `shift`, its figures asked of the store (`Effect::LoadSummary`).
    pub fn new(shift: ShiftId) -> EndShiftForm {
        EndShiftForm { shift, summary: None, handover: super::call_form::notes_editor(""), closing: false }
    }
}

/// Typing in a one-line field: a character (without Ctrl) or Backspace. Whether the key was
/// used.
pub fn type_into(text: &mut String, key: &KeyEvent) -> bool {
    match key.code {
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
        KeyCode::Backspace => drop(text.pop()),
        _ => return false,
    }
    true
}

#[derive(Debug, Clone)]
pub struct PerformForm {
    pub entry: QueueEntry,
    /// Set once the store gave the callback to this listener (with its number).
    pub callback: Option<Callback>,
}

/// Which pending callbacks the supervisor's view lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueFilter {
    #[default]
    All,
    Overdue,
    Flagged,
}

#[derive(Debug, Clone, Default)]
pub struct SupervisorView {
    /// Only this listener's callbacks (`None`: everyone's).
    pub listener: Option<ListenerId>,
    pub filter: QueueFilter,
    /// Index in the filtered list.
    pub selected: usize,
}

#[derive(Debug, Clone)]
pub struct ReassignForm {
    pub entry: QueueEntry,
    /// 0 is "anyone", then each listener in order.
    pub selected: usize,
}

#[derive(Debug, Clone)]
pub struct CallbackTextForm {
    pub entry: QueueEntry,
    pub text: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AckForm {
    /// Index in the list of the call's pending prompts.
    pub selected: usize,
    /// Index in `PromptOutcome::ALL`.
    pub outcome: usize,
    /// Required for "not relevant": a word on why.
    pub note: String,
    pub error: Option<String>,
    /// Opened by ending the call: once nothing waits, ending goes on.
    pub ending: bool,
}

/// What a list popup chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListPurpose {
    CallType,
    Outcome,
    Themes,
    Orientations,
    Situations,
}

#[derive(Debug, Clone)]
pub struct ListPopup {
    pub purpose: ListPurpose,
    /// (stored value, label shown)
    pub options: Vec<(String, String)>,
    pub selected: usize,
    /// Several may be checked (themes, orientations) rather than one chosen.
    pub multi: bool,
    pub checked: Vec<bool>,
    /// Opened by "end call": confirming goes on with ending it.
    pub ending: bool,
}

impl ListPopup {
    pub fn move_by(&mut self, delta: isize) {
        let len = self.options.len() as isize;
        if len > 0 {
            self.selected = (self.selected as isize + delta).rem_euclid(len) as usize;
        }
    }
}

/// Linking the call being taken, or only reading a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchPurpose {
    #[default]
    Link,
    Open,
}

/// Which line of the search popup takes what is typed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchField {
    #[default]
    Query,
    Status,
    Departement,
}

#[derive(Debug, Clone, Default)]
pub struct FileSearch {
    pub purpose: SearchPurpose,
    pub field: SearchField,
    pub query: String,
    /// As typed; the filter holds it once it is a valid département.
    pub departement: String,
    pub filter: FileFilter,
    pub hits: Vec<FileHit>,
    pub selected: usize,
}

/// The file form's lines, in order.
pub const FILE_FORM_FIELDS: usize = 7;

#[derive(Debug, Clone)]
pub struct FileForm {
    pub id: FileId,
    pub code: FileCode,
    /// The file's version when the form was filled from it: the edit is made on it.
    pub version: i64,
    /// 0 status, 1 age band, 2 gender, 3 relation, 4 département, 5 summary, 6 instructions.
    pub field: usize,
    pub status: FileStatus,
    pub age_band: Option<AgeBand>,
    pub gender: Option<Gender>,
    pub relation: Option<CallerRelation>,
    pub departement: String,
    pub summary: String,
    pub instructions: String,
    pub error: Option<String>,
}

impl FileForm {
    pub fn of(file: &CallerFile) -> FileForm {
        let profile = &file.profile;
        FileForm {
            id: file.id,
            code: file.code.clone(),
            version: file.version,
            field: 0,
            status: file.status,
            age_band: profile.age_band,
            gender: profile.gender,
            relation: profile.relation,
            departement: profile.departement.as_ref().map(|d| d.as_str().to_owned()).unwrap_or_default(),
            summary: profile.situation_summary.clone(),
            instructions: profile.instructions.clone(),
            error: None,
        }
    }

    /// The text line being typed in, if the field is one.
    pub fn text_mut(&mut self) -> Option<&mut String> {
        match self.field {
            4 => Some(&mut self.departement),
            5 => Some(&mut self.summary),
            6 => Some(&mut self.instructions),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClosureForm {
    pub id: FileId,
    pub code: FileCode,
    /// 0 reason, 1 the caller's answer.
    pub field: usize,
    pub reason: String,
    /// Must be answered: did the caller agree to the closure?
    pub caller_agreed: Option<bool>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonPurpose {
    Reopen,
    SetHold,
    LiftHold,
}

#[derive(Debug, Clone)]
pub struct ReasonForm {
    pub id: FileId,
    pub code: FileCode,
    pub purpose: ReasonPurpose,
    pub text: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NotesForm {
    pub file: FileId,
    pub call: CallId,
    pub started_at: Timestamp,
    pub original: String,
    pub notes: TextArea<'static>,
    /// Esc was pressed once over unsaved changes; a second Esc discards them.
    pub discard_armed: bool,
}

#[derive(Debug, Clone)]
pub struct CallbackForm {
    /// Scheduled from this file's pane, outside a call; `None` at the end of a call.
    pub file: Option<FileId>,
    /// Index in the configured presets.
    pub preset: usize,
    /// A due time typed by hand ("demain 9h"); wins over the preset when not empty.
    pub when: String,
    /// `None` until changed: the priority suggested from the RUD urgency.
    pub priority: Option<Priority>,
    pub number: Zeroizing<String>,
    pub consent: bool,
    /// 0 me, 1 anyone, then each other listener in order.
    pub assignee: usize,
    pub note: String,
    /// 0 when, 1 priority, 2 number, 3 consent, 4 assignee, 5 note.
    pub field: usize,
    pub error: Option<String>,
}

impl Default for CallbackForm {
    fn default() -> Self {
        CallbackForm {
            file: None,
            preset: 0,
            when: String::new(),
            priority: None,
            number: Zeroizing::new(String::new()),
            consent: false,
            assignee: 0,
            note: String::new(),
            field: 0,
            error: None,
        }
    }
}

pub const CALLBACK_FORM_FIELDS: usize = 6;
