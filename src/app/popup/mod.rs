//! Popups, on a stack over the main screen: the top one takes the keys. Each popup is one type
//! in its own file that owns its state, its keys (`Behaviour::key`) and what the store's
//! replies do to it (`Behaviour::on_reply`); `Popup` only dispatches (the list in `popups!`).
//!
//! A popup reads its keys through the keymap's `[popup]` context (`Ctx::action`) and answers
//! the actions it knows. Where it has a text field, what is typed goes there first, so a key
//! of the popup context that is a character acts only outside text fields.

mod acknowledge;
mod callback_form;
mod callback_text;
mod card;
mod channel;
mod closure;
mod end_shift;
mod file_form;
mod list;
mod messages;
mod notes;
mod perform;
mod questions;
mod reason;
mod reassign;
mod rud;
mod search;
mod statistics;
mod supervisor;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Session;
use super::effect::{Effect, Reply};
use super::status::Status;
use crate::config::Config;
use crate::domain::Timestamp;
use crate::domain::callback::{CallbackRequest, QueueEntry};
use crate::domain::channel::Channels;
use crate::domain::emergency::{Directory, Rules};
use crate::domain::file_record::RepeatCaller;
use crate::i18n::Strings;
use crate::keymap::{Action, Context, Keymap};

pub use acknowledge::AckForm;
pub use callback_form::{CALLBACK_FORM_FIELDS, CallbackForm, assignee_options};
pub use callback_text::{CallbackTextForm, TextPurpose};
pub use card::EmergencyCard;
pub use channel::ChannelPicker;
pub use closure::ClosureForm;
pub use end_shift::EndShiftForm;
pub use file_form::{FILE_FORM_FIELDS, FileForm};
pub use list::{ListPopup, ListPurpose};
pub use messages::{Handover, Help, NewFileCode};
pub use notes::NotesForm;
pub use perform::PerformForm;
pub use questions::{
    AnswerWhileWriting, CallbackOffer, ConfirmEndCall, ConfirmQuit, DraftRecovery, ShiftChoice,
};
pub use reason::{ReasonForm, ReasonPurpose};
pub use reassign::ReassignForm;
pub use rud::RudGrid;
pub use search::{FileSearch, SearchField, SearchPurpose};
pub use statistics::{Preset, STATISTICS_PAGES, StatisticsView, parse_period, preset_period};
pub use supervisor::{QueueFilter, SupervisorView, filtered};

/// What a popup does: its keys, and the store's replies while it is on top.
pub trait Behaviour {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome;

    fn on_reply(&mut self, _reply: &Reply, _cx: &mut Ctx) -> Outcome {
        Outcome::stay()
    }

    /// Pasted text, for the popups that take some.
    fn paste(&mut self, _text: &str) {}
}

impl<T: Behaviour> Behaviour for Box<T> {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        (**self).key(key, cx)
    }

    fn on_reply(&mut self, reply: &Reply, cx: &mut Ctx) -> Outcome {
        (**self).on_reply(reply, cx)
    }

    fn paste(&mut self, text: &str) {
        (**self).paste(text)
    }
}

/// Lists the popups: one line each makes the enum variant, its dispatch here, and
/// `with_popup!`, which `ui` draws them with.
macro_rules! popups {
    // `$d` is a `$` handed in by the call, for the macro this one writes.
    (($d:tt) $($(#[$doc:meta])* $variant:ident($kind:ty),)+) => {
        #[derive(Debug, Clone)]
        pub enum Popup {
            $($(#[$doc])* $variant($kind),)+
        }

        /// `with_popup!(popup, inner => body)`: `body` with `inner` bound to what `popup` (a
        /// `&Popup` or `&mut Popup`) holds, whatever its kind.
        macro_rules! with_popup {
            ($d popup:expr, $d inner:ident => $d body:expr) => {
                match $d popup {
                    $(crate::app::popup::Popup::$variant($d inner) => $d body,)+
                }
            };
        }
        pub(crate) use with_popup;
    };
}

popups! {
    ($)
    Help(Help),
    EmergencyCard(EmergencyCard),
    List(ListPopup),
    /// Starting a written contact: its channel.
    ChannelPicker(ChannelPicker),
    Rud(RudGrid),
    FileSearch(FileSearch),
    /// The code of a file just opened, shown large so it can be read to the caller.
    NewFileCode(NewFileCode),
    CallbackOffer(CallbackOffer),
    /// Ending the call: what will be saved, before anything is asked.
    ConfirmEndCall(ConfirmEndCall),
    /// The phone rings while a call is being written: end it first, or let it ring.
    AnswerWhileWriting(AnswerWhileWriting),
    CallbackForm(CallbackForm),
    ConfirmQuit(ConfirmQuit),
    DraftRecovery(DraftRecovery),
    /// The listener's own shift, found still open at unlock.
    ShiftChoice(ShiftChoice),
    /// The handover note left by the previous shift.
    Handover(Handover),
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
    Perform(Box<PerformForm>),
    /// The supervisor's view of the shift: who is on a call, every pending callback.
    Supervisor(SupervisorView),
    /// The statistics of a period, with its charts (supervisors).
    Statistics(Box<StatisticsView>),
    /// Choosing who a callback goes to.
    Reassign(ReassignForm),
    /// A new due time, or why a callback is cancelled: one typed line.
    CallbackText(CallbackTextForm),
    /// The end of the shift: its figures, the handover note, then closing.
    EndShift(Box<EndShiftForm>),
}

impl Popup {
    pub fn behaviour(&mut self) -> &mut dyn Behaviour {
        with_popup!(self, popup => popup)
    }

    /// The keymap contexts its keys are read in, most specific first.
    pub fn contexts(&self) -> &'static [Context] {
        match self {
            Popup::Supervisor(_) => &[Context::Supervisor, Context::Popup],
            Popup::Statistics(_) => &[Context::Statistics, Context::Popup],
            _ => &[Context::Popup],
        }
    }
}

/// What a popup may read and change besides itself: the session (whose popup stack is
/// without this popup while it acts) and what the app was configured with.
pub struct Ctx<'a> {
    pub strings: &'static Strings,
    pub config: &'a Config,
    pub keymap: &'a Keymap,
    pub directory: &'a Directory,
    pub rules: &'a Rules,
    pub channels: &'a Channels,
    pub now: Timestamp,
    pub session: &'a mut Session,
}

impl Ctx<'_> {
    /// The configured zone, in which typed times are read.
    pub fn zone(&self) -> crate::local_time::Zone {
        self.config.timezone
    }

    /// The popup action `key` stands for.
    pub fn action(&self, key: &KeyEvent) -> Option<Action> {
        self.keymap.action(Context::Popup, key)
    }
}

/// What came of a key or a reply.
#[derive(Debug, Default)]
pub struct Outcome {
    pub effects: Vec<Effect>,
    /// The popup is done: it leaves the stack.
    pub close: bool,
    pub status: Option<Status>,
    /// What the app does next, beyond the session's state.
    pub then: Option<Then>,
}

/// The app's own steps a popup can lead to.
#[derive(Debug)]
pub enum Then {
    /// Opens a popup over the stack (boxed: a popup is large beside the other steps).
    Open(Box<Popup>),
    /// Goes on ending the call from where it stands (`App::ask_end_call`).
    AskEndCall,
    /// Ends the call being written, then answers the one ringing.
    AnswerAfterEnding,
    /// Ends the call, once confirmed (`App::end_call`).
    EndCall,
    /// Saves the call, with the callback asked at its end.
    FinishCall(Option<CallbackRequest>),
    /// Perform, reassign, reschedule or cancel a callback of the queue.
    OnQueueEntry(Action, QueueEntry),
    /// Leaves the program, the draft saved.
    Quit,
}

impl Then {
    pub fn open(popup: Popup) -> Then {
        Then::Open(Box::new(popup))
    }
}

impl Outcome {
    /// Nothing more: the popup stays.
    pub fn stay() -> Outcome {
        Outcome::default()
    }

    pub fn close() -> Outcome {
        Outcome { close: true, ..Outcome::default() }
    }

    pub fn effects(effects: Vec<Effect>) -> Outcome {
        Outcome { effects, ..Outcome::default() }
    }

    pub fn effect(effect: Effect) -> Outcome {
        Outcome::effects(vec![effect])
    }

    pub fn closing(mut self) -> Outcome {
        self.close = true;
        self
    }

    pub fn then(mut self, then: Then) -> Outcome {
        self.then = Some(then);
        self
    }

    pub fn with_status(mut self, status: Option<Status>) -> Outcome {
        self.status = status;
        self
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

/// One step through `len` choices from `at`, round the end.
pub fn step(at: usize, len: usize, forward: bool) -> usize {
    match (len, forward) {
        (0, _) => 0,
        (_, true) => (at + 1) % len,
        (_, false) => (at + len - 1) % len,
    }
}

/// Up or down a list of `len` lines, stopping at either end.
pub fn move_in(at: usize, len: usize, forward: bool) -> usize {
    if forward { (at + 1).min(len.saturating_sub(1)) } else { at.saturating_sub(1) }
}

/// Steps through "not said" and each value.
pub fn cycle<T: Copy + PartialEq>(all: &[T], current: Option<T>, forward: bool) -> Option<T> {
    let options: Vec<Option<T>> = std::iter::once(None).chain(all.iter().copied().map(Some)).collect();
    let at = options.iter().position(|o| *o == current).unwrap_or(0);
    options[step(at, options.len(), forward)]
}
