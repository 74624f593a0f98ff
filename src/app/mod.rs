//! The application state and its one entry point for change, `update`: keys become actions,
//! actions change state and return effects; the runtime performs the effects and feeds the
//! replies back through `apply`. Nothing here does I/O.
//!
//! Here, the loop's glue: the state, time (`tick`), locking and quitting, and handing a key or
//! a reply to the top popup. How a key travels is `keys`; what actions do is `update`,
//! `call_actions`, `caller_file` and `callbacks`; what replies do is `replies`; the popups
//! are `popup`, one file each.

mod call_actions;
pub mod call_form;
mod callbacks;
mod caller_file;
pub mod effect;
pub mod gate;
pub mod keys;
pub mod phone;
pub mod popup;
mod replies;
mod session;
pub mod status;
mod update;

use chrono::Duration;

use crate::config::Config;
use crate::domain::Timestamp;
use crate::domain::channel::Channels;
use crate::domain::emergency::{Directory, Rules};
use crate::i18n::Strings;
use crate::keymap::Keymap;
use effect::Effect;
use gate::{Gate, Notice, SetupForm, UnlockForm};
use popup::{ConfirmQuit, Ctx, Outcome, Popup, Then};
use status::Status;

pub use session::{Pane, Session};

/// An autosave waits this long after the first unsaved change, so a burst of typing is one
/// transaction, and a crash loses at most this much.
pub const AUTOSAVE_AFTER: Duration = Duration::seconds(1);
/// How often the terminal looks for changes made by another process on the same file.
pub const CHANGES_POLL: Duration = Duration::seconds(1);
/// How often the open supervisor's view asks who is still there.
pub const OVERVIEW_POLL: Duration = Duration::seconds(5);
/// How many files the search popup lists.
pub const SEARCH_LIMIT: usize = 20;

pub struct App {
    pub strings: &'static Strings,
    pub config: Config,
    pub keymap: Keymap,
    pub directory: Directory,
    pub rules: Rules,
    /// The channels a contact can come in by (built in, and the config's).
    pub channels: Channels,
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
    /// What the phone said, when one is configured (`[phone]`).
    pub phone: phone::PhoneState,
}

impl App {
    pub fn new(config: Config, strings: &'static Strings, logins: Vec<String>, now: Timestamp) -> App {
        let gate = if logins.is_empty() {
            Gate::Setup(SetupForm::default())
        } else {
            Gate::Unlock(UnlockForm::new(logins.clone(), None, false))
        };
        let (directory, rules) = config.emergency().expect("validated with the configuration");
        let config_phone = config.phone.source.is_some();
        App {
            strings,
            keymap: config.keymap(),
            channels: config.channels(),
            config,
            directory,
            rules,
            now,
            logins,
            demo_accounts: Vec::new(),
            gate: Some(gate),
            session: None,
            status: None,
            quit: false,
            colors: true,
            phone: phone::PhoneState { enabled: config_phone, ..phone::PhoneState::default() },
        }
    }

    /// The zone times are read and typed in (`timezone` in the config). Instants stay UTC;
    /// each is converted as it is shown, so the offset is never a stale one from the start.
    pub fn zone(&self) -> crate::local_time::Zone {
        self.config.timezone
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

    /// Whether caller data may be drawn: only when unlocked.
    pub fn is_unlocked(&self) -> bool {
        self.gate.is_none() && self.session.is_some()
    }

    // ---- popups -----------------------------------------------------------------------

    fn popup_key(&mut self, key: &ratatui::crossterm::event::KeyEvent) -> Vec<Effect> {
        self.with_top_popup(|popup, cx| popup.behaviour().key(key, cx))
    }

    /// Lets the top popup act, off the stack meanwhile (so it may change the session), puts it
    /// back unless it closed, then takes the step it leads to.
    fn with_top_popup(&mut self, act: impl FnOnce(&mut Popup, &mut Ctx) -> Outcome) -> Vec<Effect> {
        let Some(session) = self.session.as_mut() else { return Vec::new() };
        let Some(mut popup) = session.popups.pop() else { return Vec::new() };
        let at = session.popups.len();
        let mut cx = Ctx {
            strings: self.strings,
            config: &self.config,
            keymap: &self.keymap,
            directory: &self.directory,
            rules: &self.rules,
            channels: &self.channels,
            now: self.now,
            session,
        };
        let outcome = act(&mut popup, &mut cx);
        if !outcome.close {
            session.popups.insert(at, popup);
        }
        self.follow(outcome)
    }

    fn follow(&mut self, outcome: Outcome) -> Vec<Effect> {
        let Outcome { mut effects, status, then, .. } = outcome;
        if status.is_some() {
            self.status = status;
        }
        let Some(session) = self.session.as_mut() else { return effects };
        match then {
            None => {}
            Some(Then::Open(popup)) => session.popups.push(*popup),
            Some(Then::AskEndCall) => effects.extend(self.ask_end_call()),
            Some(Then::EndCall) => effects.extend(self.end_call()),
            Some(Then::AnswerAfterEnding) => effects.extend(self.answer_after_ending()),
            Some(Then::FinishCall(callback)) => effects.extend(self.finish_call(callback)),
            Some(Then::OnQueueEntry(action, entry)) => effects.extend(self.on_queue_entry(action, entry)),
            Some(Then::Quit) => {
                self.quit = true;
                effects.extend(session.draft_effect());
            }
        }
        effects
    }

    // ---- leaving ----------------------------------------------------------------------

    fn request_quit(&mut self) -> Vec<Effect> {
        let Some(session) = self.session.as_mut() else {
            self.quit = true;
            return Vec::new();
        };
        if session.call.is_some() {
            if !matches!(session.popups.last(), Some(Popup::ConfirmQuit(_))) {
                session.popups.push(Popup::ConfirmQuit(ConfirmQuit));
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
        if self.gate.is_some() {
            return Vec::new();
        }
        self.announce_due(previous, now);
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
        // What the phone said while the screen was locked, now that the store is open.
        effects.extend(self.record_missed());
        effects.extend(self.recognise_ringing());
        let Some(session) = self.session.as_mut() else { return effects };
        if session.dirty_since.is_some_and(|since| now - since >= AUTOSAVE_AFTER) {
            effects.extend(session.draft_effect());
        }
        if now - session.last_poll >= CHANGES_POLL {
            session.last_poll = now;
            effects.push(Effect::CheckForChanges);
        }
        if matches!(session.popups.last(), Some(Popup::Supervisor(_)))
            && now - session.overview_at >= OVERVIEW_POLL
        {
            session.overview_at = now;
            effects.push(Effect::RefreshOverview);
        }
        effects
    }
}

#[cfg(test)]
mod tests;
