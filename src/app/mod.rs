//! The application state and its one entry point for change, `update`: keys become actions,
//! actions change state and return effects; the runtime performs the effects and feeds the
//! replies back through `apply`. Nothing here does I/O.

pub mod call_form;
pub mod callbacks;
mod caller_file;
pub mod effect;
pub mod gate;
pub mod popup;

use chrono::{Duration, FixedOffset};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use zeroize::Zeroizing;

use crate::config::Config;
use crate::domain::Timestamp;
use crate::domain::assessment::RudLevel;
use crate::domain::assessment::Situation;
use crate::domain::call::{CallType, Outcome};
use crate::domain::callback::{Assignee, CallbackNow, CallbackRequest, QueueEntry};
use crate::domain::caller_file::{FileStatus, UnlockPurge};
use crate::domain::emergency::{Directory, Rules};
use crate::domain::listener::Actor;
use crate::domain::listener::{Role, validate_login};
use crate::domain::passphrase::check_passphrase;
use crate::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use crate::domain::shift::Shift;
use crate::i18n::Strings;
use crate::keymap::Action;
use crate::keymap::{Context, Keymap};
use call_form::{CallForm, Missing};
use effect::{Effect, FileView, Reply, Unlocked};
use gate::{Gate, Notice, SETUP_FIELDS, SetupForm, UnlockForm};
use popup::{AckForm, CallbackForm, EndShiftForm, FileSearch, ListPopup, ListPurpose, Popup};

/// An autosave waits this long after the first unsaved change, so a burst of typing is one
/// transaction, and a crash loses at most this much.
pub const AUTOSAVE_AFTER: Duration = Duration::seconds(1);
/// How often the terminal looks for changes made by another process on the same file.
pub const CHANGES_POLL: Duration = Duration::seconds(1);
/// How many files the search popup lists.
pub const SEARCH_LIMIT: usize = 20;
/// How long a message stays in the status line: long enough to be read after a glance away,
/// short enough not to be taken for news. Errors stay longer: they say why a key did nothing.
pub const SAY_FOR: Duration = Duration::seconds(8);
pub const WARN_FOR: Duration = Duration::seconds(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Call,
    File,
    Emergency,
    Callbacks,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Call, Pane::File, Pane::Emergency, Pane::Callbacks];

    fn step(self, delta: isize) -> Pane {
        let index = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Pane::ALL[(index + delta).rem_euclid(Pane::ALL.len() as isize) as usize]
    }
}

/// A message in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
    /// When it was said: stamped at the end of the key, reply or tick that said it
    /// (`App::settle_status`), with the time `tick` gave.
    pub said_at: Option<Timestamp>,
    /// What makes it untrue before it fades.
    pub until: Until,
}

/// The change that makes a message untrue: it is dropped then, not left to fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Nothing but time.
    Faded,
    /// "No call running", or the call just saved: a new call makes it false or confusing.
    CallStarts,
    /// About the call being taken.
    CallEnds,
    /// "No shift yet".
    ShiftStarts,
    /// The draft could not be saved.
    Saved,
}

impl Until {
    fn came(self, session: &Session) -> bool {
        match self {
            Until::Faded => false,
            Until::CallStarts => session.call.is_some(),
            Until::CallEnds => session.call.is_none(),
            Until::ShiftStarts => session.shift.is_some(),
            Until::Saved => !session.save_failed,
        }
    }
}

/// An unlocked listener's session. Kept while the screen is locked, so that unlocking
/// returns to exactly where the listener was.
#[derive(Debug)]
pub struct Session {
    pub actor: Actor,
    pub shift: Option<Shift>,
    pub focus: Pane,
    pub call: Option<CallForm>,
    pub file: Option<FileView>,
    pub queue: Vec<QueueEntry>,
    pub queue_selected: usize,
    /// The call chosen in the file pane's history (index, newest first).
    pub file_selected: usize,
    /// The file whose repeat-caller popup was shown for the call being taken.
    pub announced: Option<crate::domain::FileId>,
    pub popups: Vec<Popup>,
    /// The first change not yet in the draft; `None` when the draft is up to date.
    pub dirty_since: Option<Timestamp>,
    pub last_saved: Option<Timestamp>,
    pub save_failed: bool,
    /// Wall-clock time of the last key: the idle lock must not be fooled by a suspend.
    pub last_activity: Timestamp,
    /// When the store was last asked whether another process changed it.
    pub last_poll: Timestamp,
    /// Active accounts (id, name), for assigning callbacks.
    pub listeners: Vec<(crate::domain::ListenerId, String)>,
    /// Who is on shift now (the supervisor's view).
    pub overview: Vec<crate::domain::shift::OnShift>,
    /// How the store was opened: anything but read-write stays in the status bar.
    pub access: crate::domain::Access,
    /// A callback was just scheduled on this file: the next queue selects it.
    pub show_callback_of: Option<crate::domain::FileId>,
    /// The notes were being typed when the screen locked: they open again at unlock.
    pub notes_open_at_lock: bool,
}

impl Session {
    fn new(actor: Actor, queue: Vec<QueueEntry>, now: Timestamp) -> Session {
        Session {
            actor,
            shift: None,
            focus: Pane::Call,
            call: None,
            file: None,
            queue,
            queue_selected: 0,
            file_selected: 0,
            announced: None,
            popups: Vec::new(),
            dirty_since: None,
            last_saved: None,
            save_failed: false,
            last_activity: now,
            last_poll: now,
            listeners: Vec::new(),
            overview: Vec::new(),
            access: crate::domain::Access::ReadWrite,
            show_callback_of: None,
            notes_open_at_lock: false,
        }
    }

    /// The contexts whose keys work now besides the global ones, most specific first. Key
    /// handling and the hint bar both read this, so a hint never names a key that does
    /// something else; none while the notes are being typed in.
    pub fn key_contexts(&self) -> &'static [Context] {
        match self.focus {
            Pane::Call if self.call.as_ref().is_some_and(|c| c.editing_notes) => &[],
            Pane::Call if self.call.is_some() => &[Context::Call, Context::Main],
            Pane::File if self.file.is_some() => &[Context::File, Context::Main],
            Pane::Callbacks => &[Context::Callbacks, Context::Main],
            _ => &[Context::Main],
        }
    }

    fn mark_dirty(&mut self, now: Timestamp) {
        self.dirty_since.get_or_insert(now);
    }

    fn draft_effect(&mut self) -> Option<Effect> {
        let shift = self.shift.as_ref()?;
        let draft = self.call.as_ref()?.draft(shift.id);
        self.dirty_since = None;
        Some(Effect::SaveDraft(draft))
    }
}

pub struct App {
    pub strings: &'static Strings,
    pub config: Config,
    pub keymap: Keymap,
    pub directory: Directory,
    pub rules: Rules,
    /// The local time zone's offset, for showing times (instants are kept in UTC).
    pub offset: FixedOffset,
    pub now: Timestamp,
    /// The accounts that can unlock (from the key file: readable before unlocking).
    pub logins: Vec<String>,
    /// Demo accounts and passphrases to show on the unlock screen (demo databases only).
    pub demo_accounts: Vec<(String, String)>,
    pub gate: Option<Gate>,
    pub session: Option<Session>,
    pub status: Option<Status>,
    pub quit: bool,
    /// False when `NO_COLOR` is set: meaning then rests on bold, reverse and markers.
    pub colors: bool,
}

impl App {
    pub fn new(
        config: Config,
        strings: &'static Strings,
        logins: Vec<String>,
        now: Timestamp,
        offset: FixedOffset,
    ) -> App {
        let gate = if logins.is_empty() {
            Gate::Setup(SetupForm::default())
        } else {
            Gate::Unlock(UnlockForm::new(logins.clone(), None, false))
        };
        let (directory, rules) = config.emergency().expect("validated with the configuration");
        App {
            strings,
            keymap: config.keymap(),
            config,
            directory,
            rules,
            offset,
            now,
            logins,
            demo_accounts: Vec::new(),
            gate: Some(gate),
            session: None,
            status: None,
            quit: false,
            colors: true,
        }
    }

    /// Starts the unlock screen on `asked` (`--as`), else on `remembered` (the account last
    /// unlocked here): whoever types at once types for that account. An unknown `--as` is
    /// said, not silently replaced.
    pub fn preselect(&mut self, asked: Option<&str>, remembered: Option<&str>) {
        let s = self.strings;
        let Some(Gate::Unlock(form)) = self.gate.as_mut() else { return };
        let position = |login: &str| form.logins.iter().position(|l| l == login);
        if let Some(asked) = asked {
            match position(asked) {
                Some(index) => {
                    form.selected = index;
                    return;
                }
                None => form.message = Notice::failed(s.fill(&s.unlock_unknown_as, &[("login", asked)])),
            }
        }
        if let Some(index) = remembered.and_then(position) {
            form.selected = index;
        }
    }

    /// Whether a key for `action` is worth showing in the hint bar now: one that would only be
    /// refused (taking a call during a call, the supervisor's view for a listener) is not.
    pub fn offers(&self, action: Action) -> bool {
        let Some(session) = self.session.as_ref() else { return false };
        let idle = session.call.is_none();
        let on_shift = session.shift.is_some();
        let supervisor = session.actor.role == Role::Supervisor;
        let closed = session.file.as_ref().map(|view| view.file.status == FileStatus::Closed);
        let selected = session.queue.get(session.queue_selected);
        let mine = selected.is_some_and(|e| e.assignee == Assignee::Listener(session.actor.id));
        match action {
            // A call is ended with `e`, never left by a stray key.
            Action::StartCall
            | Action::QuickSilent
            | Action::QuickHangUp
            | Action::QuickWrongNumber
            | Action::QuickAbusive
            | Action::QuickTesting => idle && on_shift,
            Action::Quit | Action::EndShift => idle,
            Action::SupervisorView | Action::ReassignCallback | Action::LegalHold => supervisor,
            Action::PerformCallback => idle && on_shift && selected.is_some(),
            Action::RescheduleCallback | Action::CancelCallback => selected.is_some() && (supervisor || mine),
            Action::CloseFile => closed == Some(false),
            Action::ReopenFile => closed == Some(true),
            _ => true,
        }
    }

    /// Whether caller data may be drawn: only when unlocked.
    pub fn is_unlocked(&self) -> bool {
        self.gate.is_none() && self.session.is_some()
    }

    fn say(&mut self, text: impl Into<String>) {
        self.status = status(&text.into(), false);
    }

    fn warn(&mut self, text: impl Into<String>) {
        self.status = status(&text.into(), true);
    }

    /// Stamps a new message with the time it was said; drops one whose time is up or whose
    /// situation is over. Runs after every key, reply and tick, so the next frame is true.
    fn settle_status(&mut self) {
        let now = self.now;
        let Some(status) = self.status.as_mut() else { return };
        let said = *status.said_at.get_or_insert(now);
        let lasts = if status.error { WARN_FOR } else { SAY_FOR };
        let over = self.session.as_ref().is_some_and(|session| status.until.came(session));
        if over || now - said >= lasts {
            self.status = None;
        }
    }

    // ---- keys -------------------------------------------------------------------------

    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let effects = self.on_key(key);
        self.settle_status();
        effects
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if self.gate.is_some() {
            return self.gate_key(key);
        }
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        session.last_activity = self.now;
        let popup_open = !session.popups.is_empty();
        if let Some(action) = self.keymap.action(Context::Global, &key) {
            let over_popups =
                matches!(action, Action::Help | Action::EmergencyCard | Action::Lock | Action::Quit);
            if !popup_open || over_popups {
                return self.update(action);
            }
        }
        if popup_open {
            return self.popup_key(key);
        }
        let session = self.session.as_mut().expect("checked above");
        if session.focus == Pane::Call
            && let Some(call) = session.call.as_mut().filter(|c| c.editing_notes)
        {
            if key.code == KeyCode::Esc {
                call.editing_notes = false;
            } else if call.notes.input(key) {
                session.mark_dirty(self.now);
            }
            return Vec::new();
        }
        for context in session.key_contexts() {
            if let Some(action) = self.keymap.action(*context, &key) {
                return self.update(action);
            }
        }
        Vec::new()
    }

    /// Pasted text goes into the notes when they are being edited.
    pub fn handle_paste(&mut self, text: &str) {
        let now = self.now;
        if self.gate.is_some() {
            return;
        }
        if let Some(session) = self.session.as_mut() {
            session.last_activity = now;
            if let Some(Popup::AmendNotes(form)) = session.popups.last_mut() {
                form.notes.insert_str(text);
            } else if let Some(Popup::EndShift(form)) = session.popups.last_mut() {
                form.handover.insert_str(text);
            } else if session.popups.is_empty()
                && session.focus == Pane::Call
                && let Some(call) = session.call.as_mut().filter(|c| c.editing_notes)
            {
                call.notes.insert_str(text);
                session.mark_dirty(now);
            }
        }
    }

    // ---- actions ----------------------------------------------------------------------

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let s = self.strings;
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        match action {
            Action::Help => toggle_popup(&mut session.popups, Popup::Help),
            Action::EmergencyCard => toggle_popup(&mut session.popups, Popup::EmergencyCard { selected: 0 }),
            Action::Lock => return self.lock(),
            Action::Quit => return self.request_quit(),
            Action::FocusNext => session.focus = session.focus.step(1),
            Action::FocusPrevious => session.focus = session.focus.step(-1),
            Action::FocusCall => session.focus = Pane::Call,
            Action::FocusFile => session.focus = Pane::File,
            Action::FocusEmergency => session.focus = Pane::Emergency,
            Action::FocusCallbacks => session.focus = Pane::Callbacks,
            Action::SelectNext | Action::SelectPrevious if session.focus == Pane::Callbacks => {
                // Stops at either end (the pane's title says where): a wrap would go unseen.
                let last = session.queue.len().saturating_sub(1);
                session.queue_selected = if action == Action::SelectNext {
                    (session.queue_selected + 1).min(last)
                } else {
                    session.queue_selected.saturating_sub(1)
                };
            }
            Action::SelectNext | Action::SelectPrevious if session.focus == Pane::File => {
                self.move_in_history(action == Action::SelectNext)
            }
            Action::SelectNext | Action::SelectPrevious => {}
            Action::SearchFiles
            | Action::EditFile
            | Action::CloseFile
            | Action::ReopenFile
            | Action::LegalHold
            | Action::AmendNotes => return self.file_action(action),
            Action::PerformCallback
            | Action::ReassignCallback
            | Action::RescheduleCallback
            | Action::CancelCallback
            | Action::SupervisorView
            | Action::ScheduleCallback => return self.callback_action(action),
            Action::EndShift => {
                let Some(shift) = session.shift.as_ref().map(|s| s.id) else {
                    self.status = status_until(&s.no_shift_yet, true, Until::ShiftStarts);
                    return Vec::new();
                };
                if session.call.is_some() {
                    self.status = status_until(&s.end_shift_call_running, true, Until::CallEnds);
                    return Vec::new();
                }
                session.popups.push(Popup::EndShift(Box::new(EndShiftForm::new(shift))));
                return vec![Effect::LoadSummary(shift)];
            }
            Action::StartCall => {
                if session.call.is_some() {
                    self.status = status_until(&s.call_already_running, true, Until::CallEnds);
                } else if session.shift.is_none() {
                    self.status = status_until(&s.no_shift_yet, true, Until::ShiftStarts);
                } else {
                    session.call = Some(CallForm::new(now));
                    session.focus = Pane::Call;
                    session.file = None;
                    session.announced = None;
                    session.mark_dirty(now);
                }
            }
            Action::QuickSilent => return self.quick_call(CallType::Silent),
            Action::QuickHangUp => return self.quick_call(CallType::HangUp),
            Action::QuickWrongNumber => return self.quick_call(CallType::WrongNumber),
            Action::QuickAbusive => return self.quick_call(CallType::Abusive),
            Action::QuickTesting => return self.quick_call(CallType::Testing),
            Action::EndCall => return self.ask_end_call(),
            Action::AcknowledgePrompts => {
                let pending = session.call.as_ref().is_some_and(|c| c.pending_prompts().next().is_some());
                if !pending {
                    self.status = status(&s.no_prompt_pending, false);
                } else if !matches!(session.popups.last(), Some(Popup::Acknowledge(_))) {
                    session.popups.push(Popup::Acknowledge(AckForm::default()));
                }
            }
            _ => {
                // The rest acts on the call being taken.
                let Some(call) = session.call.as_mut() else {
                    self.status = status_until(&s.no_call_running, true, Until::CallStarts);
                    return Vec::new();
                };
                match action {
                    Action::EditNotes => {
                        session.focus = Pane::Call;
                        call.editing_notes = true;
                    }
                    Action::PickCallType => session.popups.push(Popup::List(call_type_list(s, false))),
                    Action::PickOutcome => session.popups.push(Popup::List(outcome_list(s, false))),
                    Action::PickThemes => {
                        let options: Vec<(String, String)> =
                            self.config.themes.iter().map(|t| (t.clone(), t.clone())).collect();
                        let checked = options.iter().map(|(v, _)| call.themes.contains(v)).collect();
                        session.popups.push(Popup::List(ListPopup {
                            purpose: ListPurpose::Themes,
                            options,
                            selected: 0,
                            multi: true,
                            checked,
                            ending: false,
                        }));
                    }
                    Action::PickOrientations => {
                        let options: Vec<(String, String)> = self
                            .directory
                            .entries
                            .iter()
                            .map(|e| {
                                (
                                    e.number.clone(),
                                    format!("{} — {}", e.number, s.pick(&e.label_fr, &e.label_en)),
                                )
                            })
                            .collect();
                        let checked = options.iter().map(|(v, _)| call.orientations.contains(v)).collect();
                        session.popups.push(Popup::List(ListPopup {
                            purpose: ListPurpose::Orientations,
                            options,
                            selected: 0,
                            multi: true,
                            checked,
                            ending: false,
                        }));
                    }
                    Action::PickRud => {
                        session.popups.push(Popup::Rud { row: 0, rud: call.rud, ending: false })
                    }
                    Action::PickSituations => {
                        let options: Vec<(String, String)> = Situation::ALL
                            .iter()
                            .map(|v| (v.as_str().to_owned(), s.situation(*v).to_owned()))
                            .collect();
                        let checked = Situation::ALL.iter().map(|v| call.situations.contains(v)).collect();
                        session.popups.push(Popup::List(ListPopup {
                            purpose: ListPurpose::Situations,
                            options,
                            selected: 0,
                            multi: true,
                            checked,
                            ending: false,
                        }));
                    }
                    Action::LinkFile => session.popups.push(Popup::FileSearch(FileSearch::default())),
                    Action::NewFile => return vec![Effect::CreateFile],
                    Action::KeepAnonymous => {
                        call.file = None;
                        session.file = None;
                        session.mark_dirty(now);
                        self.status = status_until(&s.call_kept_anonymous, false, Until::CallEnds);
                    }
                    _ => {}
                }
            }
        }
        Vec::new()
    }

    /// A call with nothing to record: typed and saved in one keystroke (started now if no
    /// call was running).
    fn quick_call(&mut self, call_type: CallType) -> Vec<Effect> {
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        if session.shift.is_none() {
            self.status = status_until(&self.strings.no_shift_yet, true, Until::ShiftStarts);
            return Vec::new();
        }
        // A call with anything in it is ended on purpose (`e`), never by a stray digit.
        if session.call.as_ref().is_some_and(|call| !call.is_blank()) {
            self.status = status_until(&self.strings.quick_needs_blank_call, true, Until::CallEnds);
            return Vec::new();
        }
        let call = session.call.get_or_insert_with(|| CallForm::new(now));
        call.call_type = Some(call_type);
        call.outcome = None;
        self.finish_call(None)
    }

    /// `e`: before a call ends, a life-risk number waiting blocks it; suicidal ideation without
    /// a full grid opens the grid, once; every other prompted number waits for what was done
    /// with it (Enter: given); then ending is asked once, showing what will be saved. Each step
    /// leads to the next.
    fn ask_end_call(&mut self) -> Vec<Effect> {
        let strings = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let Some(call) = session.call.as_mut() else {
            self.status = status_until(&strings.no_call_running, true, Until::CallStarts);
            return Vec::new();
        };
        call.editing_notes = false;
        let ack = Popup::Acknowledge(AckForm { ending: true, ..AckForm::default() });
        if call.life_risk_pending(&self.directory) {
            session.popups.push(ack);
            self.status = status_until(&strings.end_blocked_by_prompt, true, Until::CallEnds);
            return Vec::new();
        }
        if call.asks_rud(&self.rules) && !call.call_type.is_some_and(CallType::is_quick) {
            call.rud_asked = true;
            let rud = call.rud;
            let row = [rud.risk, rud.urgency, rud.danger].iter().position(Option::is_none).unwrap_or(0);
            session.popups.push(Popup::Rud { row, rud, ending: true });
            self.status = status_until(&strings.end_asks_rud, false, Until::CallEnds);
            return Vec::new();
        }
        if call.pending_prompts().next().is_some() {
            session.popups.push(ack);
            self.status = status_until(&strings.end_asks_prompt_outcome, true, Until::CallEnds);
            return Vec::new();
        }
        session.popups.push(Popup::ConfirmEndCall);
        Vec::new()
    }

    /// Ends the call, once confirmed: asks for what is missing, offers a callback, then saves.
    fn end_call(&mut self) -> Vec<Effect> {
        let strings = self.strings;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let Some(call) = session.call.as_mut() else { return Vec::new() };
        // A life-risk number raised since the confirmation goes back through the checks.
        if call.life_risk_pending(&self.directory) {
            return self.ask_end_call();
        }
        // Any call can be called back; an anonymous one gets a file for it (one key).
        let offer_callback = !call.callback_offered && !call.call_type.is_some_and(CallType::is_quick);
        match call.missing() {
            Some(Missing::CallType) => session.popups.push(Popup::List(call_type_list(strings, true))),
            Some(Missing::Outcome) => session.popups.push(Popup::List(outcome_list(strings, true))),
            None if offer_callback => session.popups.push(Popup::CallbackOffer),
            None => return self.finish_call(None),
        }
        Vec::new()
    }

    fn finish_call(&mut self, callback: Option<CallbackRequest>) -> Vec<Effect> {
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let (Some(call), Some(shift)) = (session.call.as_ref(), session.shift.as_ref()) else {
            return Vec::new();
        };
        if callback.is_some() {
            session.show_callback_of = call.file;
        }
        match call.finish(shift.id, now) {
            Some(call) => vec![Effect::SaveCall { call, callback }],
            None => Vec::new(),
        }
    }

    fn request_quit(&mut self) -> Vec<Effect> {
        let Some(session) = self.session.as_mut() else {
            self.quit = true;
            return Vec::new();
        };
        if session.call.is_some() {
            if !matches!(session.popups.last(), Some(Popup::ConfirmQuit)) {
                session.popups.push(Popup::ConfirmQuit);
            }
            // Whatever is answered, what was typed is in the draft now.
            return session.draft_effect().into_iter().collect();
        }
        self.quit = true;
        Vec::new()
    }

    /// Locks the screen: the draft is saved, the store closed (its key wiped from memory),
    /// and nothing of any caller is drawn until the next unlock.
    pub fn lock(&mut self) -> Vec<Effect> {
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let mut effects: Vec<Effect> = session.draft_effect().into_iter().collect();
        if let Some(call) = session.call.as_mut() {
            // Back from the lock, the listener types on where they were.
            session.notes_open_at_lock = std::mem::take(&mut call.editing_notes);
        }
        effects.push(Effect::Lock);
        self.gate =
            Some(Gate::Unlock(UnlockForm::new(self.logins.clone(), Some(&session.actor.login), true)));
        effects
    }

    /// On SIGTERM or SIGHUP: save the draft at once.
    pub fn save_now(&mut self) -> Vec<Effect> {
        self.session.as_mut().and_then(Session::draft_effect).into_iter().collect()
    }

    // ---- time -------------------------------------------------------------------------

    /// Called several times a second: autosave, idle lock, messages fading.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Effect> {
        let effects = self.on_tick(now);
        self.settle_status();
        effects
    }

    fn on_tick(&mut self, now: Timestamp) -> Vec<Effect> {
        let previous = std::mem::replace(&mut self.now, now);
        if self.gate.is_none() {
            self.announce_due(previous, now);
        }
        if self.gate.is_some() {
            return Vec::new();
        }
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let idle_minutes = if session.call.is_some() {
            self.config.idle_lock_minutes_in_call
        } else {
            self.config.idle_lock_minutes
        };
        if now - session.last_activity >= Duration::minutes(idle_minutes.into()) {
            return self.lock();
        }
        let mut effects: Vec<Effect> = Vec::new();
        if session.dirty_since.is_some_and(|since| now - since >= AUTOSAVE_AFTER) {
            effects.extend(session.draft_effect());
        }
        if now - session.last_poll >= CHANGES_POLL {
            session.last_poll = now;
            effects.push(Effect::CheckForChanges);
        }
        effects
    }

    // ---- replies ----------------------------------------------------------------------

    pub fn apply(&mut self, reply: Reply) -> Vec<Effect> {
        let effects = self.on_reply(reply);
        self.settle_status();
        effects
    }

    fn on_reply(&mut self, reply: Reply) -> Vec<Effect> {
        let s = self.strings;
        let now = self.now;
        match reply {
            Reply::Unlocked(unlocked) => return self.unlocked(*unlocked),
            Reply::UnlockFailed { message, wrong_passphrase } => {
                if let Some(Gate::Unlock(form)) = self.gate.as_mut() {
                    if wrong_passphrase {
                        form.record_failure(now);
                    }
                    form.message = Notice::failed(message);
                } else if let Some(Gate::Setup(form)) = self.gate.as_mut() {
                    form.message = Notice::failed(message);
                }
            }
            Reply::ShiftStarted(shift) => {
                if let Some(session) = self.session.as_mut() {
                    session.shift = Some(shift);
                }
            }
            Reply::DraftSaved(at) => {
                if let Some(session) = self.session.as_mut() {
                    session.last_saved = Some(at);
                    session.save_failed = false;
                }
            }
            Reply::CallSaved => {
                let Some(session) = self.session.as_mut() else { return Vec::new() };
                let file = session.call.take().and_then(|c| c.file);
                session.dirty_since = None;
                session.last_saved = Some(now);
                session.save_failed = false;
                self.status = status_until(&s.call_saved, false, Until::CallStarts);
                let mut effects = vec![Effect::RefreshQueue];
                effects.extend(file.map(|id| Effect::OpenFile { id, audited: false }));
                return effects;
            }
            Reply::FileHits { query, filter, hits } => {
                if let Some(Popup::FileSearch(search)) =
                    self.session.as_mut().and_then(|s| s.popups.last_mut())
                    && search.query == query
                    && search.filter == filter
                {
                    search.hits = hits;
                    search.selected = 0;
                }
            }
            Reply::FileLoaded(view) => {
                if let Some(session) = self.session.as_mut() {
                    if session.file.as_ref().map(|f| f.file.id) != Some(view.file.id) {
                        session.file_selected = 0;
                    }
                    session.file = Some(*view);
                }
                self.file_arrived();
            }
            Reply::FileChanged(view) => {
                if let Some(session) = self.session.as_mut() {
                    if matches!(
                        session.popups.last(),
                        Some(
                            Popup::FileForm(_) | Popup::Closure(_) | Popup::Reason(_) | Popup::AmendNotes(_)
                        )
                    ) {
                        session.popups.pop();
                    }
                    session.file_selected = session.file_selected.min(view.history.len().saturating_sub(1));
                    session.file = Some(*view);
                }
                self.say(s.file_saved.clone());
            }
            Reply::FileConflict(view) => {
                // The form stays open with what was typed; it was made on an old version, so
                // saving it again is refused until it is reopened from the file as it is now.
                if let Some(session) = self.session.as_mut() {
                    if let Some(Popup::FileForm(form)) = session.popups.last_mut() {
                        form.error = Some(s.file_changed_meanwhile.clone());
                    }
                    session.file_selected = session.file_selected.min(view.history.len().saturating_sub(1));
                    session.file = Some(*view);
                }
                self.warn(s.file_changed_meanwhile.clone());
            }
            Reply::FileCreated(view) => {
                if let Some(session) = self.session.as_mut() {
                    if let Some(call) = session.call.as_mut() {
                        call.file = Some(view.file.id);
                        // Opened so that an anonymous caller could be called back: the
                        // callback form comes once the code has been read to them.
                        if std::mem::take(&mut call.callback_after_file) {
                            session.popups.push(Popup::CallbackForm(CallbackForm::default()));
                        }
                    }
                    session.popups.push(Popup::NewFileCode(view.file.code.clone()));
                    session.file = Some(*view);
                    session.mark_dirty(now);
                }
            }
            Reply::Queue(queue) => {
                if let Some(session) = self.session.as_mut() {
                    session.queue_selected = session.queue_selected.min(queue.len().saturating_sub(1));
                    // The callback just scheduled is the one in sight (its file's newest).
                    if let Some(file) = session.show_callback_of.take()
                        && let Some((index, _)) = queue
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| e.file_id == file)
                            .max_by_key(|(_, e)| e.id.0)
                    {
                        session.queue_selected = index;
                    }
                    session.queue = queue;
                    if matches!(session.popups.last(), Some(Popup::Supervisor(_))) {
                        return vec![Effect::RefreshOverview];
                    }
                }
            }
            Reply::CallbackTaken(callback) => {
                if let Some(Popup::Perform(form)) = self.session.as_mut().and_then(|s| s.popups.last_mut()) {
                    form.callback = Some(*callback);
                }
                return vec![Effect::RefreshQueue];
            }
            Reply::AttemptRecorded { flagged } => {
                self.say(if flagged { s.attempt_flagged.clone() } else { s.attempt_recorded.clone() });
                return vec![Effect::RefreshQueue];
            }
            Reply::CallbackScheduled(file) => {
                if let Some(session) = self.session.as_mut() {
                    if matches!(session.popups.last(), Some(Popup::CallbackForm(_))) {
                        session.popups.pop();
                    }
                    session.show_callback_of = Some(file);
                }
                self.say(s.callback_scheduled_saved.clone());
                return vec![Effect::RefreshQueue, Effect::OpenFile { id: file, audited: false }];
            }
            Reply::CallbackChanged => {
                if let Some(session) = self.session.as_mut()
                    && matches!(
                        session.popups.last(),
                        Some(Popup::Reassign(_) | Popup::Reschedule(_) | Popup::CancelCallback(_))
                    )
                {
                    session.popups.pop();
                }
                self.say(s.callback_changed.clone());
                return vec![Effect::RefreshQueue, Effect::RefreshOverview];
            }
            Reply::CallbackConflict(now) => {
                if let Some(session) = self.session.as_mut()
                    && matches!(
                        session.popups.last(),
                        Some(
                            Popup::Perform(_)
                                | Popup::Reassign(_)
                                | Popup::Reschedule(_)
                                | Popup::CancelCallback(_)
                        )
                    )
                {
                    session.popups.pop();
                }
                let detail = match &now {
                    CallbackNow::Closed(status) => {
                        s.fill(&s.conflict_closed, &[("status", s.callback_status(*status))])
                    }
                    CallbackNow::AssignedTo(name) => s.fill(
                        &s.conflict_assigned,
                        &[("name", name.as_deref().unwrap_or(&s.callback_anyone))],
                    ),
                };
                self.warn(s.fill(&s.callback_conflict, &[("detail", &detail)]));
                return vec![Effect::RefreshQueue];
            }
            Reply::Summary(summary) => {
                if let Some(Popup::EndShift(form)) = self.session.as_mut().and_then(|s| s.popups.last_mut()) {
                    form.summary = Some(*summary);
                }
            }
            Reply::ShiftEnded(written) => {
                let Some(session) = self.session.as_mut() else { return Vec::new() };
                if matches!(session.popups.last(), Some(Popup::EndShift(_))) {
                    session.popups.pop();
                }
                session.shift = None;
                let (told, done) = match written {
                    Ok(path) => (s.fill(&s.shift_ended, &[("path", &path.display().to_string())]), true),
                    Err(why) => (s.fill(&s.shift_ended_no_export, &[("why", &why)]), false),
                };
                // The shift left open was closed from the unlock popup: the listener who just
                // unlocked stays, on a new shift.
                if matches!(session.popups.last(), Some(Popup::ShiftChoice(_))) {
                    session.popups.pop();
                    self.status = status(&told, !done);
                    return vec![Effect::StartShift];
                }
                // The terminal goes to the next listener; the unlock screen says what happened.
                let effects = self.lock();
                if let Some(Gate::Unlock(form)) = self.gate.as_mut() {
                    form.message = if done { Notice::done(told) } else { Notice::failed(told) };
                }
                return effects;
            }
            Reply::Overview(overview) => {
                if let Some(session) = self.session.as_mut() {
                    session.overview = overview;
                }
            }
            Reply::DraftFailed(message) => {
                if let Some(session) = self.session.as_mut() {
                    // Retried at the next tick; the call stays in memory meanwhile.
                    session.dirty_since.get_or_insert(now);
                    session.save_failed = true;
                }
                self.status = status_until(&message, true, Until::Saved);
            }
            Reply::Failed(message) => {
                // A shift that could not be closed stays on screen, its note kept, to try again.
                if let Some(Popup::EndShift(form)) = self.session.as_mut().and_then(|s| s.popups.last_mut()) {
                    form.closing = false;
                }
                self.warn(message)
            }
        }
        Vec::new()
    }

    fn unlocked(&mut self, unlocked: Unlocked) -> Vec<Effect> {
        let now = self.now;
        self.gate = None;
        self.status = None;
        if let Some(session) = self.session.as_mut().filter(|s| s.actor.id == unlocked.actor.id) {
            // The same listener back: exactly where they were (with a new shift if they had
            // closed theirs).
            session.queue = unlocked.queue;
            session.listeners = unlocked.listeners;
            session.access = unlocked.access;
            session.last_activity = now;
            if let Some(call) = session.call.as_mut().filter(|_| session.popups.is_empty()) {
                call.editing_notes = std::mem::take(&mut session.notes_open_at_lock);
            }
            if session.shift.is_none() {
                return vec![Effect::StartShift];
            }
            return Vec::new();
        }
        let login = unlocked.actor.login.clone();
        if !self.logins.contains(&login) {
            self.logins.push(login);
        }
        let mut session = Session::new(unlocked.actor, unlocked.queue, now);
        session.listeners = unlocked.listeners;
        session.access = unlocked.access;
        // What the previous shift left comes first: its note (below) and the pending callbacks.
        if !session.queue.is_empty() {
            session.focus = Pane::Callbacks;
        }
        let mut effects = Vec::new();
        let s = self.strings;
        let purge = match &unlocked.purged {
            UnlockPurge::Nothing => None,
            UnlockPurge::RetentionNotSet => {
                self.warn(s.retention_not_set.clone());
                None
            }
            UnlockPurge::Done(report) => Some((&s.purged_at_unlock, report)),
            UnlockPurge::AwaitingSupervisor(report) => Some((&s.purge_awaiting_supervisor, report)),
        };
        if let Some((template, report)) = purge {
            let files = s.count(report.files as u64, &s.count_files_one, &s.count_files);
            let calls = s.count(report.calls as u64, &s.count_calls_one, &s.count_calls);
            self.say(s.fill(template, &[("files", &files), ("calls", &calls)]));
        }
        if let Some(note) = unlocked.handover.and_then(|shift| shift.handover_note) {
            session.popups.push(Popup::Handover(note));
        }
        if let Some(draft) = unlocked.draft {
            session.popups.push(Popup::DraftRecovery(draft));
        }
        match unlocked.open_shift {
            Some(shift) => session.popups.push(Popup::ShiftChoice(shift)),
            None => effects.push(Effect::StartShift),
        }
        self.session = Some(session);
        effects
    }

    // ---- popups -----------------------------------------------------------------------

    fn popup_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if let Some(effects) = self.file_popup_key(key) {
            return effects;
        }
        if let Some(effects) = self.callback_popup_key(key) {
            return effects;
        }
        let s = self.strings;
        let now = self.now;
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let Some(popup) = session.popups.last_mut() else { return Vec::new() };
        let code = key.code;
        match popup {
            Popup::Help | Popup::NewFileCode(_) | Popup::Handover(_) => {
                if matches!(code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::Char('?')) {
                    session.popups.pop();
                }
            }
            Popup::EmergencyCard { selected } => match code {
                KeyCode::Up => *selected = selected.saturating_sub(1),
                KeyCode::Down => *selected = (*selected + 1).min(self.directory.entries.len() - 1),
                KeyCode::Esc => {
                    session.popups.pop();
                }
                KeyCode::Enter => {
                    let number = self.directory.entries[*selected].number.clone();
                    session.popups.pop();
                    if let Some(call) = session.call.as_mut() {
                        if !call.orientations.contains(&number) {
                            let ordered: Vec<String> =
                                self.directory.entries.iter().map(|e| e.number.clone()).collect();
                            call.toggle_orientation(&number, &ordered);
                        }
                        call.prompts.push(PromptRecord {
                            number: number.clone(),
                            rule: "card".into(),
                            raised_at: now,
                            acknowledgement: Some(Acknowledgement {
                                at: now,
                                outcome: PromptOutcome::NumberGiven,
                                note: None,
                            }),
                        });
                        session.mark_dirty(now);
                        let recorded = s.fill(&s.number_recorded, &[("number", &number)]);
                        self.status = status_until(&recorded, false, Until::CallEnds);
                    }
                }
                _ => {}
            },
            Popup::List(list) => match code {
                KeyCode::Up => list.move_by(-1),
                KeyCode::Down => list.move_by(1),
                KeyCode::Char(' ') if list.multi => {
                    let i = list.selected;
                    list.checked[i] = !list.checked[i];
                }
                KeyCode::Esc => {
                    session.popups.pop();
                }
                KeyCode::Enter => {
                    let Some(Popup::List(list)) = session.popups.pop() else { unreachable!() };
                    let Some(call) = session.call.as_mut() else { return Vec::new() };
                    let chosen = || list.options[list.selected].0.as_str();
                    let checked: Vec<String> = list
                        .options
                        .iter()
                        .zip(&list.checked)
                        .filter(|(_, on)| **on)
                        .map(|(o, _)| o.0.clone())
                        .collect();
                    match list.purpose {
                        ListPurpose::CallType => call.call_type = chosen().parse().ok(),
                        ListPurpose::Outcome => call.outcome = chosen().parse().ok(),
                        ListPurpose::Themes => call.themes = checked,
                        ListPurpose::Orientations => {
                            let added: Vec<String> =
                                checked.iter().filter(|n| !call.orientations.contains(n)).cloned().collect();
                            for number in &added {
                                call.acknowledge_given(number, now);
                            }
                            call.orientations = checked;
                        }
                        ListPurpose::Situations => {
                            call.situations = checked.iter().filter_map(|w| w.parse().ok()).collect();
                        }
                    }
                    call.raise_prompts(&self.rules, now);
                    session.mark_dirty(now);
                    if list.ending {
                        return self.end_call();
                    }
                }
                _ => {}
            },
            Popup::Rud { row, rud, ending } => {
                let level = match *row {
                    0 => &mut rud.risk,
                    1 => &mut rud.urgency,
                    _ => &mut rud.danger,
                };
                match code {
                    KeyCode::Up => *row = row.saturating_sub(1),
                    KeyCode::Down => *row = (*row + 1).min(2),
                    KeyCode::Left => *level = step_level(*level, -1),
                    KeyCode::Right => *level = step_level(*level, 1),
                    KeyCode::Char('0') => *level = None,
                    KeyCode::Char('1') => *level = Some(RudLevel::Low),
                    KeyCode::Char('2') => *level = Some(RudLevel::Medium),
                    KeyCode::Char('3') => *level = Some(RudLevel::High),
                    KeyCode::Esc => {
                        session.popups.pop();
                    }
                    KeyCode::Enter => {
                        let (rud, ending) = (*rud, *ending);
                        session.popups.pop();
                        if let Some(call) = session.call.as_mut() {
                            call.rud = rud;
                            call.raise_prompts(&self.rules, now);
                            session.mark_dirty(now);
                            if ending {
                                return self.ask_end_call();
                            }
                        }
                    }
                    _ => {}
                }
            }
            Popup::CallbackOffer => match code {
                KeyCode::Enter | KeyCode::Char('o') | KeyCode::Char('y') => {
                    session.popups.pop();
                    match session.call.as_mut() {
                        Some(call) if call.file.is_none() => {
                            call.callback_after_file = true;
                            return vec![Effect::CreateFile];
                        }
                        _ => session.popups.push(Popup::CallbackForm(CallbackForm::default())),
                    }
                }
                KeyCode::Char('n') => {
                    session.popups.pop();
                    if let Some(call) = session.call.as_mut() {
                        call.callback_offered = true;
                    }
                    return self.end_call();
                }
                KeyCode::Esc => {
                    session.popups.pop();
                }
                _ => {}
            },
            Popup::Acknowledge(form) => {
                let Some(call) = session.call.as_mut() else {
                    session.popups.pop();
                    return Vec::new();
                };
                let pending: Vec<usize> = call.pending_prompts().map(|(index, _)| index).collect();
                let outcomes = PromptOutcome::ALL.len();
                form.error = None;
                match code {
                    KeyCode::Up => form.selected = form.selected.saturating_sub(1),
                    KeyCode::Down => form.selected = (form.selected + 1).min(pending.len().saturating_sub(1)),
                    KeyCode::Left => form.outcome = (form.outcome + outcomes - 1) % outcomes,
                    KeyCode::Right => form.outcome = (form.outcome + 1) % outcomes,
                    // Once "not relevant" is chosen, what is typed is the word why (digits too).
                    KeyCode::Backspace => {
                        form.note.pop();
                    }
                    KeyCode::Char(c)
                        if PromptOutcome::ALL[form.outcome] == PromptOutcome::NotRelevant
                            && !key.modifiers.contains(KeyModifiers::CONTROL) =>
                    {
                        form.note.push(c)
                    }
                    KeyCode::Char(c @ '1'..='4') => {
                        form.outcome = (c as usize - '1' as usize).min(outcomes - 1)
                    }
                    KeyCode::Esc => {
                        session.popups.pop();
                    }
                    KeyCode::Enter => {
                        let Some(&index) = pending.get(form.selected) else { return Vec::new() };
                        let outcome = PromptOutcome::ALL[form.outcome];
                        let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
                        if outcome == PromptOutcome::NotRelevant && note.is_none() {
                            form.error = Some(s.ack_needs_note.clone());
                            return Vec::new();
                        }
                        call.prompts[index].acknowledgement =
                            Some(Acknowledgement { at: now, outcome, note });
                        if outcome != PromptOutcome::NotRelevant {
                            let number = call.prompts[index].number.clone();
                            if !call.orientations.contains(&number) {
                                let ordered: Vec<String> =
                                    self.directory.entries.iter().map(|e| e.number.clone()).collect();
                                call.toggle_orientation(&number, &ordered);
                            }
                        }
                        let ending = form.ending;
                        *form = AckForm { ending, ..AckForm::default() };
                        let done = call.pending_prompts().next().is_none();
                        session.mark_dirty(now);
                        if done {
                            session.popups.pop();
                            if ending {
                                return self.ask_end_call();
                            }
                        }
                    }
                    _ => {}
                }
            }
            Popup::ConfirmEndCall => match code {
                KeyCode::Enter => {
                    session.popups.pop();
                    return self.end_call();
                }
                KeyCode::Esc => {
                    session.popups.pop();
                }
                _ => {}
            },
            Popup::ConfirmQuit => match code {
                KeyCode::Enter | KeyCode::Char('o') | KeyCode::Char('y') => {
                    self.quit = true;
                    return session.draft_effect().into_iter().collect();
                }
                KeyCode::Esc | KeyCode::Char('n') => {
                    session.popups.pop();
                }
                _ => {}
            },
            Popup::DraftRecovery(draft) => match code {
                KeyCode::Enter => {
                    let form = CallForm::from_draft(draft);
                    let file = form.file;
                    session.popups.pop();
                    session.call = Some(form);
                    session.focus = Pane::Call;
                    self.status = status_until(&s.draft_recovered, false, Until::CallEnds);
                    return file.map(|id| Effect::OpenFile { id, audited: true }).into_iter().collect();
                }
                KeyCode::Esc => {
                    // Kept in the store, offered again at the next unlock.
                    session.popups.pop();
                }
                _ => {}
            },
            Popup::EndShift(form) => {
                let control = key.modifiers.contains(KeyModifiers::CONTROL);
                match code {
                    _ if form.closing => {}
                    KeyCode::Char('s') if control => {
                        form.closing = true;
                        let handover = form.handover.lines().join("\n").trim().to_owned();
                        return vec![Effect::EndShift { shift: form.shift, handover }];
                    }
                    KeyCode::Esc => {
                        session.popups.pop();
                    }
                    _ => {
                        form.handover.input(key);
                    }
                }
            }
            // Handled by `file_popup_key`.
            Popup::FileSearch(_)
            | Popup::RepeatCaller(_)
            | Popup::FileForm(_)
            | Popup::Closure(_)
            | Popup::Reason(_)
            | Popup::AmendNotes(_)
            | Popup::CallbackForm(_)
            | Popup::Perform(_)
            | Popup::Supervisor(_)
            | Popup::Reassign(_)
            | Popup::Reschedule(_)
            | Popup::CancelCallback(_) => {}
            // Closing a shift is never one letter away: `n` (take a call) closed it here once,
            // pressed by habit. It takes the end-of-shift key, and goes through the end of
            // shift (figures, handover note, summary); this popup stays under it, so Esc there
            // comes back here. Enter or Esc resumes the shift.
            Popup::ShiftChoice(shift) => match code {
                KeyCode::Enter | KeyCode::Esc => {
                    session.shift = Some(shift.clone());
                    session.popups.pop();
                }
                _ if self.keymap.action(Context::Global, &key) == Some(Action::EndShift) => {
                    let shift = shift.id;
                    session.popups.push(Popup::EndShift(Box::new(EndShiftForm::new(shift))));
                    return vec![Effect::LoadSummary(shift)];
                }
                _ => {}
            },
        }
        Vec::new()
    }

    // ---- before unlock ----------------------------------------------------------------

    fn gate_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let s = self.strings;
        let now = self.now;
        if key.code == KeyCode::Char('q') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return Vec::new();
        }
        match self.gate.as_mut() {
            Some(Gate::Unlock(form)) => match key.code {
                KeyCode::Up => form.selected = form.selected.saturating_sub(1),
                KeyCode::Down => form.selected = (form.selected + 1).min(form.logins.len().saturating_sub(1)),
                KeyCode::Backspace => {
                    form.passphrase.pop();
                }
                KeyCode::Esc => form.passphrase.clear(),
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => form.passphrase.push(c),
                KeyCode::Enter => {
                    // Too early: the screen already counts the wait down. A message written
                    // here would be frozen at this second and outlive the wait.
                    if form.wait_left(now).is_some() {
                        return Vec::new();
                    }
                    let Some(login) = form.login().map(str::to_owned) else { return Vec::new() };
                    // Handing over while a call is open needs its draft safely saved first.
                    if let Some(session) = self.session.as_ref()
                        && session.actor.login != login
                        && session.call.is_some()
                        && session.dirty_since.is_some()
                    {
                        form.message = Notice::failed(s.handover_blocked.clone());
                        return Vec::new();
                    }
                    let passphrase = std::mem::replace(&mut form.passphrase, Zeroizing::new(String::new()));
                    form.message = Notice::working(s.unlocking.clone());
                    return vec![Effect::Unlock { login, passphrase }];
                }
                _ => {}
            },
            Some(Gate::Setup(form)) => match key.code {
                KeyCode::Up | KeyCode::BackTab => form.field = (form.field + SETUP_FIELDS - 1) % SETUP_FIELDS,
                KeyCode::Down | KeyCode::Tab => form.field = (form.field + 1) % SETUP_FIELDS,
                KeyCode::Backspace => {
                    form.field_mut().pop();
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    form.field_mut().push(c)
                }
                KeyCode::Enter if form.field + 1 < SETUP_FIELDS => form.field += 1,
                KeyCode::Enter => {
                    let login = form.login.trim().to_owned();
                    let problem = if let Err(e) = validate_login(&login) {
                        Some(e.to_string())
                    } else if form.display_name.trim().is_empty() {
                        Some(s.setup_name_missing.clone())
                    } else if *form.passphrase != *form.confirmation {
                        Some(s.setup_passphrases_differ.clone())
                    } else {
                        check_passphrase(&form.passphrase, &login).err().map(|e| e.to_string())
                    };
                    if let Some(problem) = problem {
                        form.message = Notice::failed(problem);
                        return Vec::new();
                    }
                    form.message = Notice::working(s.setup_creating.clone());
                    let passphrase = std::mem::replace(&mut form.passphrase, Zeroizing::new(String::new()));
                    form.confirmation.clear();
                    return vec![Effect::CreateDatabase {
                        login,
                        display_name: form.display_name.trim().to_owned(),
                        passphrase,
                    }];
                }
                _ => {}
            },
            None => {}
        }
        Vec::new()
    }
}

fn toggle_popup(popups: &mut Vec<Popup>, popup: Popup) {
    if popups.last().is_some_and(|top| std::mem::discriminant(top) == std::mem::discriminant(&popup)) {
        popups.pop();
    } else {
        popups.push(popup);
    }
}

fn call_type_list(strings: &Strings, ending: bool) -> ListPopup {
    let options =
        CallType::ALL.iter().map(|t| (t.as_str().to_owned(), strings.call_type(*t).to_owned())).collect();
    single_list(ListPurpose::CallType, options, ending)
}

fn outcome_list(strings: &Strings, ending: bool) -> ListPopup {
    let options =
        Outcome::ALL.iter().map(|o| (o.as_str().to_owned(), strings.outcome(*o).to_owned())).collect();
    single_list(ListPurpose::Outcome, options, ending)
}

fn status(text: &str, error: bool) -> Option<Status> {
    status_until(text, error, Until::Faded)
}

fn status_until(text: &str, error: bool, until: Until) -> Option<Status> {
    Some(Status { text: text.to_owned(), error, said_at: None, until })
}

fn single_list(purpose: ListPurpose, options: Vec<(String, String)>, ending: bool) -> ListPopup {
    let checked = vec![false; options.len()];
    ListPopup { purpose, options, selected: 0, multi: false, checked, ending }
}

/// Cycles not assessed -> low -> medium -> high.
fn step_level(level: Option<RudLevel>, delta: i32) -> Option<RudLevel> {
    const LEVELS: [Option<RudLevel>; 4] =
        [None, Some(RudLevel::Low), Some(RudLevel::Medium), Some(RudLevel::High)];
    let index = LEVELS.iter().position(|l| *l == level).unwrap_or(0) as i32;
    LEVELS[(index + delta).rem_euclid(4) as usize]
}

#[cfg(test)]
mod tests;
