//! Effects carried out against the store: the one place that holds the unlocked store and
//! turns what `App::update` asks for into store calls and the replies fed back to `App::apply`.
//! One `match` over every `Effect`; no rule of its own (those are the app's and the domain's)
//! and no sentence of its own (a store error is told by `messages::store_error_brief`).

use std::path::PathBuf;

use crate::app::effect::{AfterShift, CallbackChange, Effect, FileChange, FileView, Reply, Unlocked};
use crate::app::{App, SEARCH_LIMIT};
use crate::config::Config;
use crate::domain::callback::NewCallback;
use crate::domain::caller_file::FileProfile;
use crate::domain::listener::Role;
use crate::domain::statistics::StatsRequest;
use crate::domain::{FileId, ShiftId, Timestamp};
use crate::export::{SummaryFormat, write_summary};
use crate::i18n::Strings;
use crate::last_login;
use crate::messages::store_error_brief;
use crate::store::presence::Presence;
use crate::store::{FiguresReader, KdfParams, NewAccount, ScopeRequest, Store, StoreError};

/// Carries out effects against the store it holds while unlocked.
pub struct Runner {
    db: PathBuf,
    store: Option<Store>,
    strings: &'static Strings,
    kdf: KdfParams,
    /// Retention, export folder and recipients, language of exports.
    config: Config,
    /// SQLite's `data_version` when last looked at: it changes when another connection commits.
    data_version: i64,
    /// Says to other processes that this terminal is open for the account last unlocked here,
    /// locked screen included, until another account unlocks it or the process ends.
    presence: Option<Presence>,
    /// The phone's command side, when one is configured (`terminal` starts it).
    phone: Option<crate::phone::Phone>,
    /// Where statistics read off the key loop are handed (`terminal` says); without it they are
    /// read at once, like every other effect.
    deliver_figures: Option<Deliver>,
    /// The thread reading them, while the store is open.
    figures: Option<FiguresWorker>,
}

/// At quit as at a lock: the statistics thread is joined (its connection closed, SQLCipher's
/// copy of the key with it) before the store wipes its key, never the other way round.
impl Drop for Runner {
    fn drop(&mut self) {
        self.close_store();
    }
}

/// Hands a reply made on another thread back to the terminal's loop.
pub type Deliver = std::sync::Arc<dyn Fn(Reply) + Send + Sync>;

impl Runner {
    pub fn new(db: PathBuf, config: &Config, kdf: KdfParams) -> Runner {
        let strings = Strings::get(config.language);
        Runner {
            db,
            store: None,
            strings,
            kdf,
            config: config.clone(),
            data_version: 0,
            presence: None,
            phone: None,
            deliver_figures: None,
            figures: None,
        }
    }

    /// Statistics are read on a thread of their own and handed to `deliver` (the terminal's
    /// loop), so that a long period never holds the keyboard.
    pub fn read_figures_aside(&mut self, deliver: Deliver) {
        self.deliver_figures = Some(deliver);
    }

    /// Closes the store (its key wiped), after the statistics thread's connection.
    fn close_store(&mut self) {
        self.figures = None;
        self.store = None;
    }

    /// Commands for the phone go to `phone`.
    pub fn set_phone(&mut self, phone: crate::phone::Phone) {
        self.phone = Some(phone);
    }

    /// Performs `effects` and every effect the replies lead to.
    pub fn run_all(&mut self, app: &mut App, mut effects: Vec<Effect>) {
        while !effects.is_empty() {
            let mut next = Vec::new();
            for effect in effects {
                if let Some(reply) = self.perform(effect, app.now) {
                    next.extend(app.apply(reply));
                }
            }
            effects = next;
        }
    }

    /// The reply to `effect`; `None` when there is nothing to say (locking, no change seen)
    /// or no store to say it with (the screen was locked meanwhile).
    pub fn perform(&mut self, effect: Effect, now: Timestamp) -> Option<Reply> {
        let done: Result<Reply, StoreError> = match effect {
            Effect::Unlock { login, passphrase } => {
                return Some(match Store::open(&self.db, &login, &passphrase) {
                    Ok(store) => self.unlocked(store, now),
                    Err(err) => Reply::UnlockFailed {
                        message: store_error_brief(self.strings, &err),
                        retry_in: Store::unlock_wait(&self.db, &login),
                    },
                });
            }
            Effect::CreateDatabase { login, display_name, passphrase } => {
                let account = NewAccount {
                    login: &login,
                    display_name: &display_name,
                    role: Role::Supervisor,
                    passphrase: &passphrase,
                };
                return Some(match Store::create(&self.db, account, self.kdf) {
                    Ok(store) => self.unlocked(store, now),
                    Err(err) => {
                        Reply::UnlockFailed { message: store_error_brief(self.strings, &err), retry_in: None }
                    }
                });
            }
            Effect::Lock => {
                // Dropping the store closes it and wipes the data key from memory.
                self.close_store();
                return None;
            }
            Effect::SaveDraft(draft) => {
                return Some(match self.store.as_mut()?.save_draft(&draft) {
                    Ok(()) => Reply::DraftSaved(now),
                    Err(err @ StoreError::AccessRevoked) => self.revoked(&err),
                    Err(err) => Reply::DraftFailed(store_error_brief(self.strings, &err)),
                });
            }
            Effect::CheckForChanges => {
                let store = self.store.as_mut()?;
                let version = match store.data_version() {
                    Ok(version) => version,
                    Err(err @ StoreError::AccessRevoked) => return Some(self.revoked(&err)),
                    Err(_) => return None,
                };
                if version == std::mem::replace(&mut self.data_version, version) {
                    return None;
                }
                store.callback_queue(now).map(Reply::Queue)
            }
            Effect::EndShift { shift, handover, after } => return self.end_shift(shift, &handover, after),
            Effect::StartShift => self.store.as_mut()?.start_shift().map(Reply::ShiftStarted),
            Effect::SaveCall { call, callback } => self
                .store
                .as_mut()?
                .save_call_with_callback(&call, callback.as_ref())
                .map(|_| Reply::CallSaved),
            Effect::SearchFiles { query, filter } => {
                let hits = self.store.as_mut()?.search_files(&query, &filter, SEARCH_LIMIT);
                hits.map(|hits| Reply::FileHits { query, filter, hits })
            }
            Effect::ChangeFile(change) => change_file(self.store.as_mut()?, change),
            Effect::OpenFile { id, audited } => {
                let store = self.store.as_mut()?;
                // Audited when the listener opens it, not on a refresh.
                let opened = if audited { store.open_file(id).map(drop) } else { Ok(()) };
                opened.and_then(|()| file_view(store, id)).map(|view| Reply::FileLoaded(Box::new(view)))
            }
            Effect::CreateFile => {
                let store = self.store.as_mut()?;
                store
                    .create_file(&FileProfile::default())
                    .and_then(|file| file_view(store, file.id))
                    .map(|view| Reply::FileCreated(Box::new(view)))
            }
            Effect::RefreshQueue => self.store.as_mut()?.callback_queue(now).map(Reply::Queue),
            Effect::RefreshOverview => self.store.as_mut()?.shift_overview().map(Reply::Overview),
            Effect::LoadSummary(shift) => {
                let summary = self.store.as_mut()?.summary(ScopeRequest::Shift(shift), now);
                summary.map(|summary| Reply::Summary(Box::new(summary)))
            }
            Effect::LoadStatistics { period, seq } => {
                let request = self.config.statistics_of(period, now);
                if let Some(deliver) = self.deliver_figures.clone() {
                    let store = self.store.as_ref()?;
                    if self.figures.is_none() {
                        self.figures = FiguresWorker::start(self.strings, deliver);
                    }
                    if let Some(worker) = &self.figures {
                        return match store.figures_reader() {
                            Ok(reader) => {
                                worker.ask(reader, request, seq);
                                None
                            }
                            Err(err) => Some(Reply::StatisticsFailed {
                                seq,
                                message: store_error_brief(self.strings, &err),
                            }),
                        };
                    }
                }
                return Some(match self.store.as_ref()?.statistics(&request) {
                    Ok(figures) => Reply::Statistics { seq, figures: Box::new(figures) },
                    Err(err) => {
                        Reply::StatisticsFailed { seq, message: store_error_brief(self.strings, &err) }
                    }
                });
            }
            Effect::TakeCallback { id, version } => match self.store.as_mut()?.take_callback(id, version) {
                Ok(callback) => Ok(Reply::CallbackTaken(Box::new(callback))),
                Err(StoreError::Conflict(detail)) => Ok(Reply::CallbackConflict(detail)),
                Err(err) => Err(err),
            },
            Effect::CallbackFailed { id, result, policy } => {
                let flagged = self.store.as_mut()?.callback_attempt_failed(id, result, policy);
                flagged.map(|flagged| Reply::AttemptRecorded { flagged })
            }
            Effect::ScheduleCallback { file, request } => {
                let callback = NewCallback::from_request(file, None, &request);
                self.store.as_mut()?.schedule_callback(&callback).map(|_| Reply::CallbackScheduled(file))
            }
            Effect::ChangeCallback(change) => change_callback(self.store.as_mut()?, change),
            Effect::Phone(command) => {
                if let Some(phone) = &self.phone {
                    phone.send(command);
                }
                return None;
            }
            Effect::RecogniseCaller { line, number } => {
                let crate::phone::CallerNumber::Number(number) = number else { return None };
                let recognised = self.store.as_mut()?.caller_history(&number);
                recognised.map(|(hash, history)| Reply::CallerRecognised { line, hash, history })
            }
            Effect::RecordMissed(missed) => {
                return match self.store.as_mut()?.record_missed_call(&missed) {
                    Ok(()) => None,
                    Err(err) => Some(Reply::Failed(store_error_brief(self.strings, &err))),
                };
            }
        };
        Some(match done {
            Ok(reply) => reply,
            Err(err @ StoreError::AccessRevoked) => self.revoked(&err),
            Err(err) => Reply::Failed(store_error_brief(self.strings, &err)),
        })
    }

    /// Another terminal re-keyed the database and this account's slot no longer opens it: the
    /// store is closed (its key wiped) and the screen locks, saying why.
    fn revoked(&mut self, err: &StoreError) -> Reply {
        self.close_store();
        Reply::Revoked(store_error_brief(self.strings, err))
    }

    /// Closes the shift with its handover note, then writes its summary: a summary that
    /// cannot be written does not reopen the shift, it is said.
    fn end_shift(&mut self, shift: ShiftId, handover: &str, after: AfterShift) -> Option<Reply> {
        let s = self.strings;
        let store = self.store.as_mut()?;
        if let Err(err) = store.end_shift(shift, handover) {
            return Some(Reply::Failed(store_error_brief(s, &err)));
        }
        let written = write_summary(
            store,
            &self.config,
            &self.db,
            ScopeRequest::Shift(shift),
            SummaryFormat::Markdown,
            None,
            false,
        );
        let written = written.map_err(|err| match err.downcast_ref::<StoreError>() {
            Some(err) => store_error_brief(s, err),
            None => crate::messages::chain(s, &err),
        });
        Some(Reply::ShiftEnded { written, after })
    }

    fn unlocked(&mut self, mut store: Store, now: Timestamp) -> Reply {
        let mut gathered = || -> Result<Unlocked, StoreError> {
            let purged = store.purge_at_unlock(now)?;
            Ok(Unlocked {
                listeners: store.active_listeners_by_name()?,
                purged,
                actor: store.actor().clone(),
                open_shift: store.open_shift()?,
                draft: store.draft()?,
                handover: store.last_closed_shift()?,
                queue: store.callback_queue(now)?,
                access: store.access(),
            })
        };
        match gathered() {
            Ok(unlocked) => {
                last_login::remember(&self.db, &unlocked.actor.login);
                let id = unlocked.actor.id;
                if self.presence.as_ref().is_none_or(|p| p.listener() != id) {
                    // Best effort: where it cannot be said (read-only media), no shift starts.
                    self.presence = Presence::hold(&self.db, id).ok();
                }
                self.store = Some(store);
                Reply::Unlocked(Box::new(unlocked))
            }
            Err(err) => {
                Reply::UnlockFailed { message: store_error_brief(self.strings, &err), retry_in: None }
            }
        }
    }
}

fn change_file(store: &mut Store, change: FileChange) -> Result<Reply, StoreError> {
    let id = change.file();
    let changed = match change {
        FileChange::Profile { id, version, status, profile } => {
            store.update_file(id, version, status, &profile)
        }
        FileChange::Close { id, closure } => store.close_file(id, &closure),
        FileChange::Reopen { id, reason } => store.reopen_file(id, &reason),
        FileChange::LegalHold { id, hold, reason } => store.set_legal_hold(id, hold, &reason),
        FileChange::AmendNotes { call, seen, notes, .. } => store.amend_call_notes(call, &seen, &notes),
    };
    match changed {
        Ok(()) => Ok(Reply::FileChanged(Box::new(file_view(store, id)?))),
        // Made on a view the purge or another person has overtaken: nothing written.
        Err(StoreError::FileChanged) => Ok(Reply::FileConflict(Box::new(file_view(store, id)?))),
        Err(err) => Err(err),
    }
}

/// The thread statistics are read on. Each request comes with its own reading connection, made
/// by the store (the key never leaves it); a request overtaken by a newer one is dropped
/// unread, its connection closed. Dropping the worker waits for the thread, so that no
/// connection — nor the key in it — outlives a lock.
struct FiguresWorker {
    requests: Option<std::sync::mpsc::Sender<(FiguresReader, StatsRequest, u64)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FiguresWorker {
    /// `None` when no thread can be started: the statistics are then read at once.
    fn start(strings: &'static Strings, deliver: Deliver) -> Option<FiguresWorker> {
        let (requests, asked) = std::sync::mpsc::channel::<(FiguresReader, StatsRequest, u64)>();
        let thread = std::thread::Builder::new()
            .name("figures".into())
            .spawn(move || {
                while let Ok(mut next) = asked.recv() {
                    while let Ok(newer) = asked.try_recv() {
                        next = newer;
                    }
                    let (reader, request, seq) = next;
                    let reply = match reader.statistics(&request) {
                        Ok(figures) => Reply::Statistics { seq, figures: Box::new(figures) },
                        Err(err) => {
                            Reply::StatisticsFailed { seq, message: store_error_brief(strings, &err) }
                        }
                    };
                    drop(reader);
                    deliver(reply);
                }
            })
            .ok()?;
        Some(FiguresWorker { requests: Some(requests), thread: Some(thread) })
    }

    fn ask(&self, reader: FiguresReader, request: StatsRequest, seq: u64) {
        if let Some(requests) = &self.requests {
            let _ = requests.send((reader, request, seq));
        }
    }
}

impl Drop for FiguresWorker {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn change_callback(store: &mut Store, change: CallbackChange) -> Result<Reply, StoreError> {
    let result = match change {
        CallbackChange::Reassign { id, version, assignee } => store.reassign_callback(id, version, assignee),
        CallbackChange::Reschedule { id, version, due_at } => store.reschedule_callback(id, version, due_at),
        CallbackChange::Cancel { id, version, reason } => store.cancel_callback(id, Some(version), &reason),
    };
    match result {
        Ok(()) => Ok(Reply::CallbackChanged),
        Err(StoreError::Conflict(detail)) => Ok(Reply::CallbackConflict(detail)),
        Err(err) => Err(err),
    }
}

fn file_view(store: &Store, id: FileId) -> Result<FileView, StoreError> {
    let record = store.file_with_history(id)?;
    Ok(FileView {
        file: record.file,
        history: record.calls,
        events: record.events,
        callbacks: record.callbacks,
        authors: store.listener_names()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use ratatui::crossterm::event;

    /// What to look for without holding a copy of it: a pattern's length, its first four bytes
    /// (a fragment is no key) and a hash of the whole (FNV-1a), computed from the key in place.
    struct Fingerprint {
        what: &'static str,
        len: usize,
        prefix: [u8; 4],
        hash: u64,
    }

    fn fnv(bytes: impl Iterator<Item = u8>) -> u64 {
        bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    }

    fn hex_digits(key: &[u8], upper: bool) -> impl Iterator<Item = u8> + '_ {
        let digits: &'static [u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
        key.iter().flat_map(move |b| [digits[usize::from(b >> 4)], digits[usize::from(b & 15)]])
    }

    fn fingerprints(key: &[u8]) -> Vec<Fingerprint> {
        let first = |mut bytes: Box<dyn Iterator<Item = u8> + '_>| {
            [0; 4].map(|_| bytes.next().expect("a 32-byte key"))
        };
        vec![
            Fingerprint {
                what: "raw bytes",
                len: 32,
                prefix: first(Box::new(key.iter().copied())),
                hash: fnv(key.iter().copied()),
            },
            Fingerprint {
                what: "hex",
                len: 64,
                prefix: first(Box::new(hex_digits(key, false))),
                hash: fnv(hex_digits(key, false)),
            },
            Fingerprint {
                what: "HEX",
                len: 64,
                prefix: first(Box::new(hex_digits(key, true))),
                hash: fnv(hex_digits(key, true)),
            },
        ]
    }

    /// Every place in this process's writable memory (heap, stacks of every thread, globals,
    /// anonymous mappings) holding one of the patterns, read through /proc/self/mem.
    fn occurrences(patterns: &[Fingerprint]) -> Vec<String> {
        use std::os::unix::fs::FileExt;
        const CHUNK: usize = 1 << 20;
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let mem = std::fs::File::open("/proc/self/mem").unwrap();
        let mut buffer = vec![0u8; CHUNK + 64];
        let mut found = Vec::new();
        let here = &found as *const Vec<String> as u64;
        for line in maps.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (range, perms) = (fields[0], fields[1]);
            let name = fields.get(5).copied().unwrap_or("[anonymous]");
            if !perms.starts_with("rw") || name.starts_with("[vvar") || name == "[vsyscall]" {
                continue;
            }
            let (start, end) = range.split_once('-').unwrap();
            let (start, end) =
                (u64::from_str_radix(start, 16).unwrap(), u64::from_str_radix(end, 16).unwrap());
            let name = if (start..end).contains(&here) { "this thread's stack" } else { name };
            let mut at = start;
            while at < end {
                // Chunks overlap by 63 bytes, so a pattern across a boundary is seen once.
                let len = ((end - at) as usize).min(CHUNK + 63);
                let Ok(read) = mem.read_at(&mut buffer[..len], at) else { break };
                let bytes = &buffer[..read];
                for i in 0..read.saturating_sub(3) {
                    for pattern in patterns {
                        if bytes[i..i + 4] == pattern.prefix
                            && i + pattern.len <= read
                            && fnv(bytes[i..i + pattern.len].iter().copied()) == pattern.hash
                        {
                            found.push(format!("{} at {:#x} in {name}", pattern.what, at + i as u64));
                        }
                    }
                }
                if read < len || len < CHUNK + 63 {
                    break;
                }
                at += CHUNK as u64;
            }
        }
        found
    }

    /// A new store in `dir` with a supervisor, `coord`, and its passphrase.
    fn supervisors_store(dir: &std::path::Path) -> (PathBuf, &'static str) {
        let db = dir.join("p.db");
        let pass = "trois pommes vertes sous la pluie";
        let account = NewAccount {
            login: "coord",
            display_name: "Dominique",
            role: Role::Supervisor,
            passphrase: pass,
        };
        drop(Store::create(&db, account, KdfParams::MINIMUM).unwrap());
        (db, pass)
    }

    /// Issue 16: after Ctrl-L no copy of the data key is left in the process — not on a stack
    /// (the key was moved by value through unlocking), not in freed heap (its hex for
    /// SQLCipher, the keying statement), nowhere writable. The key of a store made for the
    /// test, unlocked and locked through the terminal's own runtime.
    #[test]
    fn after_lock_no_copy_of_the_data_key_is_left_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let (db, pass) = supervisors_store(dir.path());
        let config = Config::default();
        let mut app =
            App::new(config.clone(), Strings::get(config.language), vec!["coord".into()], Utc::now());
        let mut runner = Runner::new(db, &config, KdfParams::MINIMUM);
        let unlocked = runner.perform(
            Effect::Unlock { login: "coord".into(), passphrase: zeroize::Zeroizing::new(pass.into()) },
            app.now,
        );
        assert!(matches!(unlocked, Some(Reply::Unlocked(_))), "unlocked");
        let effects = app.apply(unlocked.unwrap());
        runner.run_all(&mut app, effects);
        let patterns = fingerprints(runner.store.as_ref().unwrap().data_key().bytes());
        let while_unlocked = occurrences(&patterns);
        assert!(!while_unlocked.is_empty(), "the scan finds the key while it is in use");
        // Ctrl-L, as the terminal handles it.
        let effects =
            app.handle_key(event::KeyEvent::new(event::KeyCode::Char('l'), event::KeyModifiers::CONTROL));
        assert!(effects.iter().any(|e| matches!(e, Effect::Lock)), "{effects:?}");
        runner.run_all(&mut app, effects);
        assert!(runner.store.is_none(), "locked");
        let left = occurrences(&patterns);
        assert!(left.is_empty(), "copies of the data key left after the lock: {left:#?}");
    }

    /// Statistics asked for while the terminal reads them aside come back through its loop, the
    /// key returning at once; a lock right after a request waits for the reading thread, and no
    /// copy of the data key is left, not even in that thread's connection.
    #[test]
    fn statistics_read_aside_come_back_and_leave_no_key_after_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        let (db, pass) = supervisors_store(dir.path());
        let config = Config::default();
        let mut runner = Runner::new(db, &config, KdfParams::MINIMUM);
        let (delivered, replies) = std::sync::mpsc::channel();
        runner.read_figures_aside(std::sync::Arc::new(move |reply| {
            let _ = delivered.send(reply);
        }));
        let now = Utc::now();
        let unlock =
            Effect::Unlock { login: "coord".into(), passphrase: zeroize::Zeroizing::new(pass.into()) };
        assert!(matches!(runner.perform(unlock, now), Some(Reply::Unlocked(_))));
        let patterns = fingerprints(runner.store.as_ref().unwrap().data_key().bytes());
        let month =
            crate::domain::statistics::StatsPeriod::month_of(crate::local_time::Zone::default().today(now));
        assert!(
            runner.perform(Effect::LoadStatistics { period: month, seq: 7 }, now).is_none(),
            "nothing said at once"
        );
        let reply = replies.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        assert!(
            matches!(&reply, Reply::Statistics { seq: 7, figures } if figures.period == month),
            "{reply:?}"
        );
        // Asked again, then locked at once.
        assert!(runner.perform(Effect::LoadStatistics { period: month, seq: 7 }, now).is_none());
        runner.perform(Effect::Lock, now);
        assert!(runner.store.is_none() && runner.figures.is_none(), "locked");
        let left = occurrences(&patterns);
        assert!(left.is_empty(), "copies of the data key left after the lock: {left:#?}");
    }

    /// Quitting while the statistics thread reads (the runner dropped, no lock first) joins it
    /// before the store is closed, and leaves no copy of the data key.
    #[test]
    fn quitting_while_statistics_are_read_leaves_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let (db, pass) = supervisors_store(dir.path());
        let config = Config::default();
        let mut runner = Runner::new(db, &config, KdfParams::MINIMUM);
        runner.read_figures_aside(std::sync::Arc::new(|_| {}));
        let now = Utc::now();
        let unlock =
            Effect::Unlock { login: "coord".into(), passphrase: zeroize::Zeroizing::new(pass.into()) };
        assert!(matches!(runner.perform(unlock, now), Some(Reply::Unlocked(_))));
        let patterns = fingerprints(runner.store.as_ref().unwrap().data_key().bytes());
        let month =
            crate::domain::statistics::StatsPeriod::month_of(crate::local_time::Zone::default().today(now));
        assert!(runner.perform(Effect::LoadStatistics { period: month, seq: 7 }, now).is_none());
        drop(runner);
        let left = occurrences(&patterns);
        assert!(left.is_empty(), "copies of the data key left after quitting: {left:#?}");
    }

    /// The unlock form shows the wait the store imposes, which counts the account's wrong
    /// passphrases from anywhere: two given on the command line (a relaunch, another terminal)
    /// make this terminal's first one wait.
    #[test]
    fn the_unlock_form_waits_as_the_store_counts() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("p.db");
        let account = NewAccount {
            login: "coord",
            display_name: "Dominique",
            role: Role::Supervisor,
            passphrase: "trois pommes vertes sous la pluie",
        };
        drop(Store::create(&db, account, KdfParams::MINIMUM).unwrap());
        for _ in 0..2 {
            assert!(matches!(Store::open(&db, "coord", "mauvaise"), Err(StoreError::WrongPassphrase)));
        }
        let config = Config::default();
        let mut app =
            App::new(config.clone(), Strings::get(config.language), vec!["coord".into()], Utc::now());
        let mut runner = Runner::new(db, &config, KdfParams::MINIMUM);
        let wrong =
            || Effect::Unlock { login: "coord".into(), passphrase: zeroize::Zeroizing::new("non".into()) };
        let reply = runner.perform(wrong(), app.now).unwrap();
        assert!(matches!(reply, Reply::UnlockFailed { retry_in: Some(5), .. }), "{reply:?}");
        app.apply(reply);
        let Some(crate::app::gate::Gate::Unlock(form)) = &app.gate else { panic!("the unlock form") };
        assert_eq!(form.wait_left(app.now), Some(5));
        // Tried again at once: refused without a try, the wait still said.
        let reply = runner.perform(wrong(), app.now).unwrap();
        assert!(matches!(reply, Reply::UnlockFailed { retry_in: Some(1..=5), .. }), "{reply:?}");
    }
}
