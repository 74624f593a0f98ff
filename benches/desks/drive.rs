//! One terminal of the bench, driven as the real one is (`terminal::event_loop`): a key to
//! `App::handle_key`, its effects carried out by the real `Runner` and their replies fed back to
//! `App::apply`, `App::tick` after every key and every 250 ms, a frame drawn (on ratatui's
//! `TestBackend`). As in the terminal, searches, files opened and the supervisor's view are read
//! on the runner's reading thread (`Runner::read_aside`) and shown when they come. Keys come at
//! a fixed pace; each one is timed from the key to its frame, with the requests it sent, and, when
//! it asked for a read, to the frame that shows the answer; what the store acknowledged is
//! written down.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use zeroize::Zeroizing;

use permanence::app::App;
use permanence::app::call_form::CallForm;
use permanence::app::effect::{CallbackChange, Effect, Reply};
use permanence::app::popup::Popup;
use permanence::config::Config;
use permanence::i18n::{Language, Strings};
use permanence::runner::{Delivered, Runner};
use permanence::store::postgres::requests_sent;
use permanence::store::{KdfParams, Location};
use permanence::ui;

use super::record::{Record, Sample, SavedCall};

/// How often the real terminal's loop wakes without a key (`terminal::TICK`).
const TICK: Duration = Duration::from_millis(250);

pub struct Terminal {
    pub app: App,
    runner: Runner,
    /// What the runner's reading thread delivers, and how many reads asked are not yet.
    delivered: Receiver<Delivered>,
    awaited: usize,
    screen: ratatui::Terminal<TestBackend>,
    pub record: Record,
    /// Time between two keys.
    pace: Duration,
    next_key: Instant,
    next_tick: Instant,
}

impl Terminal {
    /// A terminal unlocked as `login` on `location`, its start-up popups (the handover note)
    /// read, its shift started. `local` is this machine's stand-in for the server (the
    /// account's local copy of what is typed is kept beside it).
    pub fn unlock(
        location: Location,
        local: PathBuf,
        login: &str,
        passphrase: &str,
        pace: Duration,
    ) -> Terminal {
        let config = Config::default();
        let app = App::new(config.clone(), Strings::get(Language::Fr), vec![login.to_owned()], Utc::now());
        let mut runner = Runner::new(location, local, &config, KdfParams::MINIMUM);
        let (deliver, delivered) = channel();
        runner.read_aside(Arc::new(move |reply| {
            let _ = deliver.send(reply);
        }));
        let screen = ratatui::Terminal::new(TestBackend::new(160, 48)).expect("a test backend");
        let now = Instant::now();
        let mut terminal = Terminal {
            app,
            runner,
            delivered,
            awaited: 0,
            screen,
            record: Record { login: login.to_owned(), ..Record::default() },
            pace,
            next_key: now,
            next_tick: now,
        };
        let unlock =
            Effect::Unlock { login: login.to_owned(), passphrase: Zeroizing::new(passphrase.to_owned()) };
        terminal.run(vec![unlock]);
        terminal.answered("unlock", now);
        assert!(terminal.app.is_unlocked(), "{login} unlocks: {:?}", terminal.app.gate);
        while terminal.top().is_some() {
            terminal.press_now("read the start-up popups", key(KeyCode::Enter));
        }
        assert!(terminal.app.session.as_ref().is_some_and(|s| s.shift.is_some()), "{login}'s shift started");
        terminal.record.samples.clear();
        terminal
    }

    /// From now on, keys at the pace (the evening starts).
    pub fn start(&mut self) {
        self.next_key = Instant::now();
        self.next_tick = self.next_key + TICK;
    }

    pub fn top(&self) -> Option<&Popup> {
        self.app.session.as_ref().and_then(|s| s.popups.last())
    }

    pub fn call(&self) -> Option<&CallForm> {
        self.app.session.as_ref().and_then(|s| s.call.as_ref())
    }

    /// Waits for the next key's turn, the loop ticking meanwhile, then presses `key`.
    pub fn press(&mut self, op: &'static str, key: KeyEvent) {
        loop {
            let now = Instant::now();
            if now >= self.next_key {
                break;
            }
            if now >= self.next_tick {
                self.tick();
                continue;
            }
            std::thread::sleep(self.next_key.min(self.next_tick) - now);
        }
        self.next_key += self.pace;
        // Behind the pace (a slow answer): the next key waits a whole step, never a burst.
        self.next_key = self.next_key.max(Instant::now());
        self.press_now(op, key);
        self.tick();
    }

    /// Waits `keys` steps of the pace without a key: a listener reading or listening.
    pub fn pause(&mut self, keys: u32) {
        self.next_key += self.pace * keys;
    }

    /// One key, as the terminal's loop takes it: its effects, their replies, one frame.
    fn press_now(&mut self, op: &'static str, key: KeyEvent) {
        let requests = requests_sent();
        let start = Instant::now();
        let effects = self.app.handle_key(key);
        self.run(effects);
        self.draw();
        self.sample(op, start, requests);
        self.answered(op, start);
    }

    /// Waits for what `op` asked to be read aside, showing each answer as the terminal's loop
    /// does; timed from the key to the frame that shows the last.
    fn answered(&mut self, op: &str, start: Instant) {
        if self.awaited == 0 {
            return;
        }
        let requests = requests_sent();
        while self.awaited > 0 {
            let delivered = self.delivered.recv_timeout(Duration::from_secs(60)).expect("a read's answer");
            let Some(reply) = self.runner.delivered(delivered) else { continue };
            self.awaited -= 1;
            self.looked_at(&reply, None, "", None);
            let effects = self.app.apply(reply);
            self.run(effects);
        }
        self.draw();
        // The reading thread's requests are counted in the key's own row (sent meanwhile).
        self.sample(&format!("{op}: answer shown"), start, requests);
    }

    /// What the loop does after each key and every 250 ms: autosave when a change waited a
    /// second, the one-second poll of other desks' changes (the queue read again when there
    /// were some); timed only when it did something.
    pub fn tick(&mut self) {
        self.next_tick = Instant::now() + TICK;
        let requests = requests_sent();
        let start = Instant::now();
        let effects = self.app.tick(Utc::now());
        if effects.is_empty() {
            return;
        }
        let op = if effects.iter().any(|e| matches!(e, Effect::SaveDraft(_))) {
            "the second's tick: autosave and poll"
        } else if effects.iter().any(|e| matches!(e, Effect::RefreshOverview)) {
            "the supervisor's tick: poll, who is on shift"
        } else {
            "the second's tick: poll"
        };
        self.run(effects);
        self.draw();
        self.sample(op, start, requests);
        self.answered(op, start);
    }

    fn draw(&mut self) {
        self.screen.draw(|frame| ui::draw(frame, &self.app)).expect("a frame on the test backend");
    }

    fn sample(&mut self, op: &str, start: Instant, requests: u64) {
        self.record.samples.push(Sample {
            op: op.to_owned(),
            micros: start.elapsed().as_micros() as u64,
            requests: requests_sent() - requests,
        });
    }

    /// `Runner::run_all`, each reply looked at on its way back to the app: what the store
    /// acknowledged, refused on purpose, or failed.
    fn run(&mut self, mut effects: Vec<Effect>) {
        while !effects.is_empty() {
            let mut next = Vec::new();
            for effect in effects {
                let sent = match &effect {
                    Effect::SaveCall { call, callback } => Some(SavedCall {
                        call: call.clone(),
                        callback_note: callback.as_ref().map(|c| c.note.clone()),
                    }),
                    _ => None,
                };
                let conflict = match &effect {
                    Effect::TakeCallback { .. } => {
                        "a callback taken on an outdated version (another desk or the supervisor first)"
                    }
                    Effect::ChangeCallback(CallbackChange::Reassign { .. }) => {
                        "a reassignment on an outdated version (a desk took or changed it first)"
                    }
                    Effect::ChangeCallback(_) => "a callback change made on an outdated callback",
                    _ => "a change made on an outdated version",
                };
                let attempt = match &effect {
                    Effect::CallbackFailed { id, .. } => Some(*id),
                    _ => None,
                };
                let what = store_work(&effect);
                let requests = requests_sent();
                let start = Instant::now();
                let Some(reply) = self.runner.perform(effect, self.app.now) else {
                    // Asked of the reading thread: answered later (`answered`).
                    self.awaited += usize::from(what.is_none());
                    continue;
                };
                if let Some(what) = what {
                    self.sample(what, start, requests);
                }
                self.looked_at(&reply, sent, conflict, attempt);
                next.extend(self.app.apply(reply));
            }
            effects = next;
        }
    }

    /// A reply on its way back to the app: what the store acknowledged, refused on purpose, or
    /// failed, written down.
    fn looked_at(
        &mut self,
        reply: &Reply,
        sent: Option<SavedCall>,
        conflict: &str,
        attempt: Option<permanence::domain::CallbackId>,
    ) {
        match reply {
            Reply::CallSaved | Reply::CallSavedCallbackClosed(_) => {
                self.record.saved.push(sent.expect("a call's save answers a save"))
            }
            Reply::AttemptRecorded { .. } => self.record.attempts.extend(attempt),
            Reply::CallbackChanged => self.record.reassigned += 1,
            Reply::CallbackConflict(_) | Reply::FileConflict(_) => {
                self.record.conflicts.push(conflict.to_owned())
            }
            Reply::Failed(why) | Reply::Revoked(why) => {
                self.record.failures.push(format!("{}: {why}", self.record.login))
            }
            Reply::CallKept(outage) => {
                self.record.failures.push(format!("{}: a call kept here: {outage:?}", self.record.login))
            }
            Reply::DraftFailed(why) => {
                self.record.failures.push(format!("{}: a draft: {why}", self.record.login))
            }
            Reply::DraftKept { outage, .. } => {
                self.record.failures.push(format!("{}: a draft kept here: {outage:?}", self.record.login))
            }
            Reply::ServerUnreachable(outage) => {
                self.record.failures.push(format!("{}: the server lost: {outage:?}", self.record.login))
            }
            _ => {}
        }
    }

    /// Ticks until what was typed is autosaved.
    pub fn autosaved(&mut self) {
        let waiting = Instant::now();
        while self.app.session.as_ref().is_some_and(|s| s.dirty_since.is_some() || s.last_saved.is_none()) {
            assert!(waiting.elapsed() < Duration::from_secs(10), "{}: no autosave", self.record.login);
            std::thread::sleep(TICK);
            self.tick();
        }
    }

    /// Leaves the terminal as a listener does at the end: Ctrl-Q (confirmed, when a call is
    /// open), the store closed.
    pub fn quit(mut self, seconds: f64) -> Record {
        self.press_now("quit", ctrl('q'));
        if matches!(self.top(), Some(Popup::ConfirmQuit(_))) {
            self.press_now("quit", key(KeyCode::Enter));
        }
        assert!(self.app.quit, "{} quits: {:?}", self.record.login, self.top());
        self.record.seconds = seconds;
        drop(self.runner);
        self.record
    }
}

/// What an effect asks of the store, as the report names it (the store's part of a key);
/// `None` for the reads the runner's reading thread makes (timed to their answer shown).
fn store_work(effect: &Effect) -> Option<&'static str> {
    Some(match effect {
        Effect::SearchFiles { .. }
        | Effect::OpenFile { .. }
        | Effect::RefreshOverview
        | Effect::RefreshQueue
        | Effect::LoadSummary(_) => {
            return None;
        }
        Effect::SaveCall { .. } => "store: save a call (one transaction)",
        Effect::SaveDraft(_) => "store: autosave the draft (here, then the server)",
        Effect::CheckForChanges => "store: the poll (the queue read if changed)",
        Effect::CreateFile => "store: create a file",
        Effect::TakeCallback { .. } => "store: take a callback",
        Effect::CallbackFailed { .. } => "store: save a failed attempt",
        Effect::ChangeCallback(_) => "store: reassign a callback",
        Effect::StartShift => "store: start a shift",
        Effect::Unlock { .. } => "store: unlock",
        _ => "store: other",
    })
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

pub fn alt(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
}
