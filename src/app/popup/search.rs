//! Searching files by code or words, filtered by status and département: to link the call
//! being taken, or only to read a file (from anywhere).

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome, move_in, step, type_into};
use crate::app::Pane;
use crate::app::effect::{Effect, Reply};
use crate::domain::caller_file::{Departement, FileFilter, FileHit, FileStatus};
use crate::keymap::Action;

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

const FIELDS: [SearchField; 3] = [SearchField::Query, SearchField::Status, SearchField::Departement];

/// The status filter cycles through "all" and then each status.
const STATUS_FILTERS: [Option<FileStatus>; 4] =
    [None, Some(FileStatus::Open), Some(FileStatus::FollowUp), Some(FileStatus::Closed)];

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
    /// The hits shown are not yet those of what is typed now: they are read off the keyboard
    /// (`runner::reader`) and come a moment later.
    pub searching: bool,
    /// Enter was pressed meanwhile: the first hit of what is typed is taken when it comes,
    /// never one of an older query's; what is typed until then is not added to the query
    /// (it was meant for what comes after, and is dropped).
    confirm_when_answered: bool,
    /// The last search could not be made (the server away): said, rather than "nothing found".
    pub failed: bool,
}

impl FileSearch {
    /// Only to read a file, from anywhere.
    pub fn open() -> FileSearch {
        FileSearch { purpose: SearchPurpose::Open, ..FileSearch::default() }
    }

    fn search(&mut self) -> Outcome {
        self.searching = true;
        self.failed = false;
        Outcome::effect(Effect::SearchFiles { query: self.query.clone(), filter: self.filter.clone() })
    }

    /// The selected hit linked to the call being taken, or opened.
    fn confirm(&mut self, cx: &mut Ctx) -> Outcome {
        let Some(hit) = self.hits.get(self.selected) else { return Outcome::stay() };
        let session = &mut *cx.session;
        match self.purpose {
            SearchPurpose::Link => {
                if let Some(call) = session.call.as_mut() {
                    call.file = Some(hit.id);
                    session.mark_dirty(cx.now);
                }
                session.focus = Pane::Call;
            }
            SearchPurpose::Open => session.focus = Pane::File,
        }
        Outcome::effect(Effect::OpenFile { id: hit.id, audited: true }).closing()
    }
}

impl Behaviour for FileSearch {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        if self.confirm_when_answered {
            return match cx.action(key) {
                Some(Action::Cancel) => Outcome::close(),
                _ => Outcome::stay(),
            };
        }
        let typed = match self.field {
            SearchField::Query => type_into(&mut self.query, key),
            SearchField::Departement => type_into(&mut self.departement, key),
            SearchField::Status => false,
        };
        if typed {
            self.filter.departement = Departement::parse(&self.departement).ok();
            return self.search();
        }
        match cx.action(key) {
            Some(Action::SelectPrevious) => self.selected = move_in(self.selected, self.hits.len(), false),
            Some(Action::SelectNext) => self.selected = move_in(self.selected, self.hits.len(), true),
            Some(action @ (Action::NextField | Action::PreviousField)) => {
                let at = FIELDS.iter().position(|f| *f == self.field).unwrap_or(0);
                self.field = FIELDS[step(at, FIELDS.len(), action == Action::NextField)];
            }
            Some(action @ (Action::ChoicePrevious | Action::ChoiceNext))
                if self.field == SearchField::Status =>
            {
                let at = STATUS_FILTERS.iter().position(|f| *f == self.filter.status).unwrap_or(0);
                let forward = action == Action::ChoiceNext;
                self.filter.status = STATUS_FILTERS[step(at, STATUS_FILTERS.len(), forward)];
                return self.search();
            }
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) if self.searching => self.confirm_when_answered = true,
            Some(Action::Confirm) => return self.confirm(cx),
            _ => {}
        }
        Outcome::stay()
    }

    /// Hits for what is typed now (and the hit Enter waited for); those of an earlier query
    /// are dropped.
    fn on_reply(&mut self, reply: &Reply, cx: &mut Ctx) -> Outcome {
        if let Reply::FileHits { query, filter, hits } = reply
            && *query == self.query
            && *filter == self.filter
        {
            self.hits = hits.clone();
            self.selected = 0;
            self.searching = false;
            if std::mem::take(&mut self.confirm_when_answered) {
                return self.confirm(cx);
            }
        }
        // The search failed (the status bar says why): the hits shown are an older query's,
        // which Enter must not take.
        if let Reply::Failed(_) = reply
            && self.searching
        {
            self.hits.clear();
            self.searching = false;
            self.confirm_when_answered = false;
            self.failed = true;
        }
        Outcome::stay()
    }
}
