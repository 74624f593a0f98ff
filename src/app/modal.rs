//! Popups, on a stack over the main screen: the top one takes the keys.

use zeroize::Zeroizing;

use crate::domain::call::{CallDraft, Rud};
use crate::domain::caller_file::{FileCode, FileHit};
use crate::domain::shift::Shift;

#[derive(Debug, Clone)]
pub enum Modal {
    Help,
    EmergencyCard {
        selected: usize,
    },
    List(ListModal),
    Rud {
        row: usize,
        rud: Rud,
    },
    FileSearch(FileSearch),
    /// The code of a file just opened, shown large so it can be read to the caller.
    NewFileCode(FileCode),
    CallbackOffer,
    CallbackForm(CallbackForm),
    ConfirmQuit,
    DraftRecovery(CallDraft),
    ShiftChoice(Shift),
    /// The handover note left by the previous shift.
    Handover(String),
    /// Recording what was done with the prompted numbers.
    Acknowledge(AckForm),
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
pub struct ListModal {
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

impl ListModal {
    pub fn move_by(&mut self, delta: isize) {
        let len = self.options.len() as isize;
        if len > 0 {
            self.selected = (self.selected as isize + delta).rem_euclid(len) as usize;
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FileSearch {
    pub query: String,
    pub hits: Vec<FileHit>,
    pub selected: usize,
}

#[derive(Debug, Clone)]
pub struct CallbackForm {
    /// Index in the configured presets.
    pub preset: usize,
    pub number: Zeroizing<String>,
    pub consent: bool,
    pub assign_to_me: bool,
    /// 0 preset, 1 number, 2 consent, 3 assignee.
    pub field: usize,
    pub error: Option<String>,
}

impl Default for CallbackForm {
    fn default() -> Self {
        CallbackForm {
            preset: 0,
            number: Zeroizing::new(String::new()),
            consent: false,
            assign_to_me: true,
            field: 0,
            error: None,
        }
    }
}

pub const CALLBACK_FORM_FIELDS: usize = 4;
