//! An unlocked listener's session: everything on screen after unlock, kept while the screen is
//! locked so that unlocking returns to exactly where the listener was.

use super::call_form::CallForm;
use super::effect::{Effect, FileView, Outage};
use super::popup::Popup;
use crate::domain::callback::QueueEntry;
use crate::domain::listener::Actor;
use crate::domain::shift::{OnShift, Shift};
use crate::domain::{Access, FileId, ListenerId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Call,
    File,
    Emergency,
    Callbacks,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Call, Pane::File, Pane::Emergency, Pane::Callbacks];

    pub(super) fn step(self, delta: isize) -> Pane {
        let index = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Pane::ALL[(index + delta).rem_euclid(Pane::ALL.len() as isize) as usize]
    }
}

#[derive(Debug)]
pub struct Session {
    pub actor: Actor,
    pub shift: Option<Shift>,
    pub focus: Pane,
    pub call: Option<CallForm>,
    pub file: Option<FileView>,
    /// Another file asked for and not yet come (it is read off the keyboard): what acts on
    /// the file shown waits for it, so that nothing is done to the file that was shown before.
    pub file_opening: Option<crate::domain::FileId>,
    pub queue: Vec<QueueEntry>,
    pub queue_selected: usize,
    /// The call chosen in the file pane's history (index, newest first).
    pub file_selected: usize,
    /// The file whose repeat-caller popup was shown for the call being taken.
    pub announced: Option<FileId>,
    pub popups: Vec<Popup>,
    /// The first change not yet in the draft; `None` when the draft is up to date.
    pub dirty_since: Option<Timestamp>,
    pub last_saved: Option<Timestamp>,
    pub save_failed: bool,
    /// The centre's server takes no writes (unreachable, or only a standby answers): what is
    /// typed and the calls ended are kept on this machine meanwhile; the status bar says so
    /// until it answers.
    pub outage: Option<Outage>,
    /// Wall-clock time of the last key: the idle lock must not be fooled by a suspend.
    pub last_activity: Timestamp,
    /// When the store was last asked whether another process changed it.
    pub last_poll: Timestamp,
    /// Active accounts (id, name), for assigning callbacks.
    pub listeners: Vec<(ListenerId, String)>,
    /// Who is on shift now (the supervisor's view).
    pub overview: Vec<OnShift>,
    /// When the overview was last asked for: a terminal that quits changes nothing in the
    /// store, so the open view asks again every [`super::OVERVIEW_POLL`].
    pub overview_at: Timestamp,
    /// How the store was opened: anything but read-write stays in the status bar.
    pub access: Access,
    /// A callback was just scheduled on this file: the next queue selects it.
    pub show_callback_of: Option<FileId>,
    /// The notes were being typed when the screen locked: they open again at unlock.
    pub notes_open_at_lock: bool,
}

impl Session {
    pub(super) fn new(actor: Actor, queue: Vec<QueueEntry>, now: Timestamp) -> Session {
        Session {
            actor,
            shift: None,
            focus: Pane::Call,
            call: None,
            file: None,
            file_opening: None,
            queue,
            queue_selected: 0,
            file_selected: 0,
            announced: None,
            popups: Vec::new(),
            dirty_since: None,
            last_saved: None,
            save_failed: false,
            outage: None,
            last_activity: now,
            last_poll: now,
            listeners: Vec::new(),
            overview: Vec::new(),
            overview_at: now,
            access: Access::ReadWrite,
            show_callback_of: None,
            notes_open_at_lock: false,
        }
    }

    /// Whether the call's notes are being typed in (and so take the keys).
    pub fn typing_notes(&self) -> bool {
        self.popups.is_empty()
            && self.focus == Pane::Call
            && self.call.as_ref().is_some_and(|call| call.editing_notes)
    }

    pub fn listener_name(&self, id: ListenerId) -> Option<&str> {
        self.listeners.iter().find(|(l, _)| *l == id).map(|(_, name)| name.as_str())
    }

    /// A contact starts: it takes the call pane, with no file shown yet.
    pub(super) fn start_contact(&mut self, contact: CallForm, now: Timestamp) {
        self.call = Some(contact);
        self.focus = Pane::Call;
        self.file = None;
        self.announced = None;
        self.mark_dirty(now);
    }

    pub(super) fn mark_dirty(&mut self, now: Timestamp) {
        self.dirty_since.get_or_insert(now);
    }

    pub(super) fn draft_effect(&mut self) -> Option<Effect> {
        let shift = self.shift.as_ref()?;
        let draft = self.call.as_ref()?.draft(shift.id);
        self.dirty_since = None;
        Some(Effect::SaveDraft(draft))
    }
}
