//! Effects carried out against the store: the one place that holds the unlocked store and
//! turns what `App::update` asks for into store calls and the replies fed back to `App::apply`.
//! One `match` over every `Effect`; no rule of its own (those are the app's and the domain's)
//! and no sentence of its own (a store error is told by `messages::store_error_brief`).

mod reader;

use std::path::PathBuf;

use reader::{Read, Reader, file_view};

use crate::app::App;
use crate::app::effect::{AfterShift, CallbackChange, Effect, FileChange, Outage, Reply, Unlocked};
use crate::config::Config;
use crate::domain::call::SaveToken;
use crate::domain::callback::NewCallback;
use crate::domain::caller_file::FileProfile;
use crate::domain::listener::Role;
use crate::domain::statistics::StatsRequest;
use crate::domain::{ShiftId, Timestamp};
use crate::export::{SummaryFormat, write_summary};
use crate::i18n::Strings;
use crate::last_login;
use crate::messages::store_error_brief;
use crate::store::presence::Presence;
use crate::store::{
    EndedCall, FiguresReader, KdfParams, Kept, LocalDraft, Location, NewAccount, SavedCall, ScopeRequest,
    Store, StoreError, Unreachable,
};

/// Carries out effects against the store it holds while unlocked.
pub struct Runner {
    db: Location,
    /// What stands for the store on this machine (`commands::Invocation::local`): the last
    /// login and the end-of-shift summary's default folder are beside it.
    local: PathBuf,
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
    /// On a server, while unlocked: the account's copy of what is typed kept on this machine,
    /// and what it holds (written before every autosave and every save to the server).
    local_draft: Option<(LocalDraft, Kept)>,
    /// The server took no writes at the last poll or write (unreachable, or only a standby
    /// answered): its return is said, and the calls kept meanwhile are saved then.
    outage: Option<Outage>,
    /// When the presence was last asked whether the server still holds it (`PRESENCE_RENEW`).
    presence_checked: Option<Timestamp>,
    /// Where what is read off the key loop is handed (`terminal` says): the statistics, and
    /// the reads that need not hold the keyboard (`reader`). Without it they are read at once,
    /// like every other effect.
    deliver: Option<Deliver>,
    /// The thread reading statistics, while the store is open.
    figures: Option<FiguresWorker>,
    /// The thread making the other reads, on a session of its own, while the store is open.
    reader: Option<Reader>,
    /// Counts the stores opened and closed: what a thread delivers after its store was closed
    /// (a lock, another account) is not shown.
    session: u64,
    /// Counts the reads asked of the reader's thread.
    reads_asked: u64,
    /// The count when the keyboard's session last showed a file (created, changed): a file
    /// read aside before that is older than what is shown, and is not shown.
    file_shown_at: u64,
    /// The same for the callback queue (the unlock's, the poll's).
    queue_shown_at: u64,
}

/// How often, on a server, the terminal asks whether its presence is still held (and takes it
/// again if not): a connection cut by a restart, a network or an idle timeout loses it, and a
/// supervisor would then see a listener on a call as gone.
const PRESENCE_RENEW: chrono::Duration = chrono::Duration::seconds(15);

/// At quit as at a lock: the statistics thread is joined (its connection closed, SQLCipher's
/// copy of the key with it) before the store wipes its key, never the other way round.
impl Drop for Runner {
    fn drop(&mut self) {
        self.close_store();
    }
}

/// Hands a reply made on another thread back to the terminal's loop.
pub type Deliver = std::sync::Arc<dyn Fn(Delivered) + Send + Sync>;

/// A reply made on another thread, for the session it was asked in ([`Runner::delivered`]),
/// and the number of the read that asked for it (0 for statistics); `None`: the read was
/// made, or dropped, and has nothing to say (every read asked is delivered once).
pub struct Delivered {
    session: u64,
    asked: u64,
    reply: Option<Reply>,
}

impl Runner {
    pub fn new(db: Location, local: PathBuf, config: &Config, kdf: KdfParams) -> Runner {
        let strings = Strings::get(config.language);
        Runner {
            db,
            local,
            store: None,
            strings,
            kdf,
            config: config.clone(),
            data_version: 0,
            presence: None,
            phone: None,
            local_draft: None,
            outage: None,
            presence_checked: None,
            deliver: None,
            figures: None,
            reader: None,
            session: 0,
            reads_asked: 0,
            file_shown_at: 0,
            queue_shown_at: 0,
        }
    }

    /// Statistics, searches, files opened, the supervisor's view and summaries are read on
    /// threads of their own and handed to `deliver` (the terminal's loop), so that no key
    /// waits for them.
    pub fn read_aside(&mut self, deliver: Deliver) {
        self.deliver = Some(deliver);
    }

    /// The reply a thread delivered, unless it was asked in a session closed since, or is a
    /// file or a queue older than the one the keyboard's session showed since. An access withdrawn met
    /// there closes the store, as on the keyboard's session, before the screen locks.
    pub fn delivered(&mut self, delivered: Delivered) -> Option<Reply> {
        let Delivered { session, asked, reply } = delivered;
        if session != self.session || self.store.is_none() {
            return None;
        }
        match reply? {
            Reply::FileLoaded(_) if asked <= self.file_shown_at => None,
            Reply::Queue(_) if asked <= self.queue_shown_at => None,
            Reply::Revoked(message) => Some(self.locked_out(message)),
            reply => Some(reply),
        }
    }

    /// Closes the store (its key wiped), after the reading threads' connections.
    fn close_store(&mut self) {
        self.figures = None;
        self.reader = None;
        self.store = None;
        self.session += 1;
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
                    // The key slots are on the server: nothing opens without it (and nothing
                    // typed is at risk: what was kept on this machine waits for the unlock).
                    Err(err) if err.is_unreachable() => Reply::UnlockFailed {
                        message: crate::messages::unlock_failure(self.strings, &err),
                        retry_in: None,
                    },
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
                // Dropping the store closes it and wipes the data key from memory (after the
                // statistics thread's connection); what is kept on this machine is on disk
                // already, read again at the next unlock.
                self.close_store();
                self.local_draft = None;
                return None;
            }
            Effect::SaveDraft(draft) => return self.save_draft(draft, now),
            Effect::CheckForChanges => return self.check_for_changes(now),
            Effect::EndShift { shift, handover, after } => return self.end_shift(shift, &handover, after),
            Effect::StartShift => self.store.as_mut()?.start_shift().map(Reply::ShiftStarted),
            Effect::SaveCall { call, callback } => return self.save_call(call, callback),
            Effect::ChangeFile(change) => change_file(self.store.as_mut()?, change),
            Effect::CreateFile => {
                let store = self.store.as_mut()?;
                store
                    .create_file(&FileProfile::default())
                    .and_then(|file| file_view(store, file.id))
                    .map(|view| Reply::FileCreated(Box::new(view)))
            }
            Effect::LoadStatistics { period, seq } => {
                let request = self.config.statistics_of(period, now);
                if let Some(deliver) = self.deliver.clone() {
                    let store = self.store.as_ref()?;
                    if self.figures.is_none() {
                        self.figures = FiguresWorker::start(self.strings, deliver, self.session);
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
            Effect::SearchFiles { query, filter } => return self.read(Read::Search { query, filter }),
            Effect::OpenFile { id, audited } => return self.read(Read::OpenFile { id, audited }),
            Effect::RefreshOverview => return self.read(Read::Overview),
            Effect::RefreshQueue => return self.read(Read::Queue { now }),
            Effect::LoadSummary(shift) => return self.read(Read::Summary { shift, now }),
        };
        if let Ok(Reply::FileCreated(_) | Reply::FileChanged(_) | Reply::FileConflict(_)) = &done {
            self.file_shown_at = self.reads_asked;
        }
        Some(self.told(done))
    }

    /// A read: asked of the reader's thread when there is one (its reply delivered), else made
    /// at once (and so if the thread is gone).
    fn read(&mut self, read: Read) -> Option<Reply> {
        let read = match &self.reader {
            Some(reader) => {
                self.reads_asked += 1;
                match reader.ask(self.reads_asked, read) {
                    Ok(()) => return None,
                    Err(read) => {
                        self.reader = None;
                        read
                    }
                }
            }
            None => read,
        };
        let strings = self.strings;
        match read.told(strings, self.store.as_mut()?) {
            Some(Reply::Revoked(message)) => Some(self.locked_out(message)),
            told => told,
        }
    }

    /// What an effect's result is told as (`reader::told`); an access withdrawn closes the
    /// store first.
    fn told(&mut self, done: Result<Reply, StoreError>) -> Reply {
        match done {
            Err(err @ (StoreError::AccessRevoked | StoreError::DatabaseReplaced(_))) => self.revoked(&err),
            done => reader::told(self.strings, done),
        }
    }

    /// Another terminal re-keyed the database and this account's slot no longer opens it, or
    /// the server's database was replaced by another: the store is closed (its key wiped) and
    /// the screen locks, saying why.
    fn revoked(&mut self, err: &StoreError) -> Reply {
        self.locked_out(store_error_brief(self.strings, err))
    }

    /// The store closed (its key wiped) and the screen locked, saying `message`.
    fn locked_out(&mut self, message: String) -> Reply {
        self.close_store();
        // What was kept on this machine is on disk already, sealed; its opened copy goes.
        self.local_draft = None;
        Reply::Revoked(message)
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
            &self.local,
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
        // On a server, what this account kept on this machine: the call being typed when the
        // terminal last stopped (read first: the server may have nothing newer, having been
        // unreachable), and the calls ended meanwhile, saved there now.
        let local = match self.db.is_server() {
            true => match self.local_copy(&store) {
                Ok(local) => Some(local),
                Err(err) => {
                    return Reply::UnlockFailed {
                        message: store_error_brief(self.strings, &err),
                        retry_in: None,
                    };
                }
            },
            false => None,
        };
        let mut gathered = || -> Result<Unlocked, StoreError> {
            let purged = store.purge_at_unlock(now)?;
            let kept_draft = local.as_ref().and_then(|(_, kept)| kept.draft.clone());
            Ok(Unlocked {
                listeners: store.active_listeners_by_name()?,
                purged,
                actor: store.actor().clone(),
                open_shift: store.open_shift()?,
                draft: match kept_draft {
                    Some(draft) => Some(draft),
                    None => store.draft()?,
                },
                handover: store.last_closed_shift()?,
                queue: store.callback_queue(now)?,
                access: store.access(),
                kept_calls_saved: 0,
            })
        };
        match gathered() {
            Ok(mut unlocked) => {
                last_login::remember(&self.local, &unlocked.actor.login);
                let id = unlocked.actor.id;
                if self.presence.as_ref().is_none_or(|p| p.listener() != id) {
                    // Best effort: where it cannot be said (read-only media), no shift starts.
                    self.presence = Presence::hold(&self.db, id).ok();
                }
                // Whatever was open before is closed, its threads' replies not shown.
                self.close_store();
                if let Some(deliver) = self.deliver.clone() {
                    self.reader = Reader::start(store.aside(), self.strings, deliver, self.session);
                }
                self.store = Some(store);
                self.local_draft = local;
                let (saved, _) = self.save_kept_calls();
                unlocked.kept_calls_saved = saved.len();
                // Gone again meanwhile: the next poll says so.
                self.outage = None;
                Reply::Unlocked(Box::new(unlocked))
            }
            Err(err) => {
                Reply::UnlockFailed { message: store_error_brief(self.strings, &err), retry_in: None }
            }
        }
    }

    /// The account's copy kept on this machine for the server, read at unlock; a draft whose
    /// call the server has (the terminal stopped after its save committed, before the copy was
    /// emptied) is not offered again. A copy that does not open is put aside, never overwritten.
    fn local_copy(&self, store: &Store) -> Result<(LocalDraft, Kept), StoreError> {
        let local = LocalDraft::beside(&self.local, store.actor().id);
        let mut kept = match store.read_local(&local) {
            Ok(kept) => kept,
            Err(err @ StoreError::DatabaseDamaged(_)) => {
                let mut aside = local.path().as_os_str().to_owned();
                aside.push(format!(".unreadable-{}", chrono::Utc::now().timestamp()));
                std::fs::rename(local.path(), &aside).map_err(|_| err)?;
                Kept::default()
            }
            Err(err) => return Err(err),
        };
        let saved_draft = kept.draft.as_ref().and_then(|d| d.record.save_token);
        if saved_draft.is_some_and(|token| store.call_saved_with(token).unwrap_or(false)) {
            kept.draft = None;
            store.write_local(&local, &kept)?;
        }
        Ok((local, kept))
    }

    /// The draft: on a server kept on this machine first, then sent; if the server cannot be
    /// reached it is kept here only, and the status bar says so.
    fn save_draft(&mut self, draft: crate::domain::call::CallDraft, now: Timestamp) -> Option<Reply> {
        let store = self.store.as_mut()?;
        let kept_here = match &mut self.local_draft {
            Some((local, kept)) => {
                kept.draft = Some(draft.clone());
                store.write_local(local, kept).is_ok()
            }
            None => false,
        };
        Some(match store.save_draft(&draft) {
            Ok(()) => Reply::DraftSaved(now),
            Err(err @ (StoreError::AccessRevoked | StoreError::DatabaseReplaced(_))) => self.revoked(&err),
            // Whether the connection broke or cannot be made again, the sentence is the same:
            // what is typed stays on this machine.
            Err(err) if kept_here && err.is_unreachable() => {
                self.outage = Some(outage(&err));
                Reply::DraftKept { at: now, outage: outage(&err) }
            }
            Err(err) => Reply::DraftFailed(store_error_brief(self.strings, &err)),
        })
    }

    /// A call ended. On a server it is first kept on this machine with the calls ended before
    /// it and not yet saved, then they are saved there, oldest first: if the server cannot be
    /// reached it stays kept (`Reply::CallKept`) and is saved once the server answers. Refused
    /// for another reason, the call goes back to the listener, as on a file.
    fn save_call(
        &mut self,
        call: crate::domain::call::NewCall,
        callback: Option<crate::domain::callback::CallbackRequest>,
    ) -> Option<Reply> {
        let store = self.store.as_mut()?;
        let token = call.record.save_token;
        let kept_here = match &mut self.local_draft {
            Some((local, kept)) if token.is_some() => {
                kept.ended.push(EndedCall::new(call.clone(), callback.as_ref()));
                let draft = kept.draft.take();
                let written = store.write_local(local, kept).is_ok();
                if !written {
                    kept.ended.pop();
                    kept.draft = draft;
                }
                written
            }
            _ => false,
        };
        if !kept_here {
            return Some(match store.save_ended_call(&call, callback.as_ref()) {
                Ok(saved) => call_saved(&saved),
                Err(err @ (StoreError::AccessRevoked | StoreError::DatabaseReplaced(_))) => {
                    self.revoked(&err)
                }
                Err(err) => Reply::Failed(store_error_brief(self.strings, &err)),
            });
        }
        let (saved, refused) = self.save_kept_calls();
        let still_kept = self
            .local_draft
            .as_ref()
            .is_some_and(|(_, kept)| kept.ended.iter().any(|ended| ended.token() == token));
        let this_refused = refused.into_iter().find(|(refused, _)| *refused == token).map(|(_, err)| err);
        let this_saved = saved.into_iter().find(|(saved, _)| *saved == token).map(|(_, saved)| saved);
        Some(match (still_kept, this_refused) {
            (false, _) => this_saved.as_ref().map_or(Reply::CallSaved, call_saved),
            (true, Some(err @ (StoreError::AccessRevoked | StoreError::DatabaseReplaced(_)))) => {
                self.revoked(&err)
            }
            (true, Some(err)) => {
                // Refused, not lost: back to the listener with its reason, as on a file.
                if let (Some(store), Some((local, kept))) = (self.store.as_ref(), self.local_draft.as_mut()) {
                    kept.ended.retain(|ended| ended.token() != token);
                    kept.draft = Some(crate::domain::call::CallDraft {
                        shift_id: call.shift_id,
                        started_at: call.started_at,
                        call_type: Some(call.call_type),
                        record: call.record.clone(),
                    });
                    let _ = store.write_local(local, kept);
                }
                Reply::Failed(store_error_brief(self.strings, &err))
            }
            (true, None) => Reply::CallKept(self.outage.unwrap_or(Outage::Unreachable)),
        })
    }

    /// Saves on the server, oldest first, the calls kept on this machine, each emptied from the
    /// copy once saved; stops at the first for which the server cannot be reached. How many
    /// were saved, and those refused (kept, and tried again at the next unlock or save).
    fn save_kept_calls(&mut self) -> (Vec<(Option<SaveToken>, SavedCall)>, Refused) {
        let (Some(store), Some((local, kept))) = (self.store.as_mut(), self.local_draft.as_mut()) else {
            return (Vec::new(), Vec::new());
        };
        let mut saved = Vec::new();
        let mut refused = Vec::new();
        let mut index = 0;
        while index < kept.ended.len() {
            let ended = &kept.ended[index];
            let request = ended.callback_request();
            let result = request.and_then(|request| store.save_ended_call(&ended.call, request.as_ref()));
            match result {
                Ok(done) => {
                    saved.push((ended.token(), done));
                    kept.ended.remove(index);
                    // Best effort: a copy left holding a saved call is found saved next time.
                    let _ = store.write_local(local, kept);
                }
                Err(err) if err.is_unreachable() => {
                    self.outage = Some(outage(&err));
                    break;
                }
                Err(err) => {
                    refused.push((ended.token(), err));
                    index += 1;
                }
            }
        }
        (saved, refused)
    }

    /// The one-second poll: another terminal's change (the queue read again), the server lost
    /// or back (said; the calls kept meanwhile saved), another terminal's re-key.
    fn check_for_changes(&mut self, now: Timestamp) -> Option<Reply> {
        let store = self.store.as_mut()?;
        let version = match store.data_version() {
            Ok(version) => version,
            Err(err @ (StoreError::AccessRevoked | StoreError::DatabaseReplaced(_))) => {
                return Some(self.revoked(&err));
            }
            Err(err) if err.is_unreachable() => {
                // Said when it starts, and when its kind changes (the primary gone, then only
                // its standby answering).
                let now_out = outage(&err);
                let newly = self.outage.replace(now_out) != Some(now_out);
                return newly.then_some(Reply::ServerUnreachable(now_out));
            }
            Err(_) => return None,
        };
        let back = self.outage.take().is_some();
        if back || self.presence_checked.is_none_or(|at| now - at >= PRESENCE_RENEW) {
            self.presence_checked = Some(now);
            match self.presence.as_mut() {
                Some(presence) => _ = presence.renew(&self.db),
                // Not taken at unlock (the server lost meanwhile, read-only media): tried again.
                None => {
                    let actor = self.store.as_ref()?.actor().id;
                    self.presence = Presence::hold_again(&self.db, actor).ok();
                }
            }
        }
        if back {
            let (saved, refused) = self.save_kept_calls();
            if let Some(outage) = self.outage {
                // Gone again before the calls kept here were all saved: still away, perhaps
                // otherwise (nothing answering, then only a standby).
                return Some(Reply::ServerUnreachable(outage));
            }
            if let Some((_, err)) = refused.first() {
                return Some(Reply::Failed(store_error_brief(self.strings, err)));
            }
            // The queue is read again by the app: what other terminals did went unheard.
            self.data_version = version;
            return Some(Reply::ServerBack { saved: saved.len() });
        }
        if version == std::mem::replace(&mut self.data_version, version) {
            return None;
        }
        self.queue_shown_at = self.reads_asked;
        Some(match self.store.as_mut()?.callback_queue(now) {
            Ok(queue) => Reply::Queue(queue),
            Err(err) => Reply::Failed(store_error_brief(self.strings, &err)),
        })
    }
}

/// Calls kept on this machine that the server refused (not unreachable: kept, tried again at
/// the next unlock or save), by save token, with why.
type Refused = Vec<(Option<SaveToken>, StoreError)>;

/// A call saved: said as such, or with the callback it performed found closed meanwhile.
fn call_saved(saved: &SavedCall) -> Reply {
    match &saved.callback_closed_meanwhile {
        Some(now) => Reply::CallSavedCallbackClosed(now.clone()),
        None => Reply::CallSaved,
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
    fn start(strings: &'static Strings, deliver: Deliver, session: u64) -> Option<FiguresWorker> {
        let (requests, asked) = std::sync::mpsc::channel::<(FiguresReader, StatsRequest, u64)>();
        let thread = std::thread::Builder::new()
            .name("figures".into())
            .spawn(move || {
                while let Ok(mut next) = asked.recv() {
                    while let Ok(newer) = asked.try_recv() {
                        next = newer;
                    }
                    let (mut reader, request, seq) = next;
                    let reply = match reader.statistics(&request) {
                        Ok(figures) => Reply::Statistics { seq, figures: Box::new(figures) },
                        Err(err) => {
                            Reply::StatisticsFailed { seq, message: store_error_brief(strings, &err) }
                        }
                    };
                    drop(reader);
                    deliver(Delivered { session, asked: 0, reply: Some(reply) });
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

/// Which outage a store error that `is_unreachable` tells of.
fn outage(err: &StoreError) -> Outage {
    match err {
        StoreError::ServerUnreachable { why: Unreachable::StandbyOnly, .. } => Outage::StandbyOnly,
        _ => Outage::Unreachable,
    }
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

    /// A store made on a server of the test's own, a terminal's runner over it (this machine's
    /// folder for the server in `home`), unlocked, on a shift.
    fn runner_on_own_server(
        cluster: &crate::test_support::postgres::OwnCluster,
        home: &std::path::Path,
    ) -> (Runner, crate::test_support::postgres::TestDatabase, crate::domain::ShiftId) {
        let database = cluster.fresh_database();
        let location = Location::from(crate::store::postgres::ServerUrl::parse(database.url()).unwrap());
        let pass = "trois pommes vertes sous la pluie";
        let account = NewAccount {
            login: "coord",
            display_name: "Dominique",
            role: Role::Supervisor,
            passphrase: pass,
        };
        drop(Store::create(&location, account, KdfParams::MINIMUM).unwrap());
        let mut runner = Runner::new(location, home.join("server"), &Config::default(), KdfParams::MINIMUM);
        let now = Utc::now();
        let unlock =
            Effect::Unlock { login: "coord".into(), passphrase: zeroize::Zeroizing::new(pass.into()) };
        assert!(matches!(runner.perform(unlock, now), Some(Reply::Unlocked(_))));
        let Some(Reply::ShiftStarted(shift)) = runner.perform(Effect::StartShift, now) else {
            panic!("a shift")
        };
        (runner, database, shift.id)
    }

    fn form_with(notes: &str) -> crate::app::call_form::CallForm {
        let mut form = crate::app::call_form::CallForm::new(Utc::now() - chrono::Duration::minutes(5));
        form.notes.insert_str(notes);
        form.call_type = Some(crate::domain::call::CallType::Listening);
        form
    }

    /// Issue 18, point 5: the server stopped mid-call (`pg_ctl stop -m immediate`) loses
    /// nothing. The draft goes on being kept on this machine, the poll says the server cannot
    /// be reached, the call ended meanwhile is kept here too; once the server is back the poll
    /// saves it there, once, and the copy on this machine is gone.
    #[test]
    fn a_server_stopped_mid_call_loses_nothing_and_gets_the_call_once_back() {
        use crate::store::LocalDraft;
        let test = "a_server_stopped_mid_call_loses_nothing_and_gets_the_call_once_back";
        let Some(cluster) = crate::test_support::postgres::OwnCluster::start(test) else { return };
        let home = tempfile::tempdir().unwrap();
        let (mut runner, database, shift) = runner_on_own_server(&cluster, home.path());
        let local =
            LocalDraft::beside(&home.path().join("server"), runner.store.as_ref().unwrap().actor().id);
        let kept = |runner: &Runner| runner.store.as_ref().unwrap().read_local(&local).unwrap();
        let form = form_with("Elle parle de son fils");
        assert!(matches!(
            runner.perform(Effect::SaveDraft(form.draft(shift)), Utc::now()),
            Some(Reply::DraftSaved(_))
        ));
        assert_eq!(kept(&runner).draft, Some(form.draft(shift)), "kept here before it is sent");

        cluster.stop_immediately();
        let reply = runner.perform(Effect::CheckForChanges, Utc::now());
        let Some(Reply::ServerUnreachable(outage)) = reply else { panic!("{reply:?}") };
        assert_eq!(outage, Outage::Unreachable, "nothing answers: not a standby's refusal");
        assert_eq!(runner.perform(Effect::CheckForChanges, Utc::now()).map(|_| ()), None, "said once");
        let mut form = form;
        form.notes.insert_str(", qui ne répond plus depuis lundi");
        let reply = runner.perform(Effect::SaveDraft(form.draft(shift)), Utc::now());
        assert!(matches!(reply, Some(Reply::DraftKept { .. })), "{reply:?}");
        assert_eq!(kept(&runner).draft, Some(form.draft(shift)));
        let call = form.finish(shift, Utc::now(), crate::domain::channel::ChannelKind::Voice).unwrap();
        let reply = runner.perform(Effect::SaveCall { call: call.clone(), callback: None }, Utc::now());
        assert!(matches!(reply, Some(Reply::CallKept(_))), "{reply:?}");
        assert_eq!(kept(&runner).ended.len(), 1);
        assert_eq!(kept(&runner).draft, None, "the call is ended");

        cluster.start_again();
        // Polled every second as the terminal does: back once the wait after the last failed
        // try to connect is over.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
        let reply = loop {
            match runner.perform(Effect::CheckForChanges, Utc::now()) {
                None => assert!(std::time::Instant::now() < deadline, "the server never found back"),
                reply => break reply,
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        };
        assert!(matches!(reply, Some(Reply::ServerBack { saved: 1 })), "{reply:?}");
        assert!(!local.path().exists(), "nothing left on this machine");
        // The presence the restart took away is taken again (review of 756f17b, finding 5).
        let actor = runner.store.as_ref().unwrap().actor().id;
        let asked = crate::store::db::Db::postgres(database.connect());
        assert_eq!(crate::store::presence::is_present_on(&asked, actor), Some(true));
        let mut client = database.connect();
        let calls: i64 = client.query_one("SELECT count(*) FROM call", &[]).unwrap().get(0);
        assert_eq!(calls, 1);
        let store = runner.store.as_ref().unwrap();
        let saved = store.calls_of_shift(shift).unwrap();
        assert_eq!(saved[0].record.notes, "Elle parle de son fils, qui ne répond plus depuis lundi");
        assert_eq!(store.draft().unwrap(), None);
    }

    /// Issue 18, point 5: a terminal killed while the server is down (nothing more written by
    /// it) has its call offered back at the next unlock, once the server is back, from what
    /// it kept on this machine — the server only ever had an older draft.
    #[test]
    fn a_terminal_killed_while_the_server_is_down_gets_its_draft_back_at_unlock() {
        let test = "a_terminal_killed_while_the_server_is_down_gets_its_draft_back_at_unlock";
        let Some(cluster) = crate::test_support::postgres::OwnCluster::start(test) else { return };
        let home = tempfile::tempdir().unwrap();
        let (mut runner, _database, shift) = runner_on_own_server(&cluster, home.path());
        let mut form = form_with("Premier échange");
        runner.perform(Effect::SaveDraft(form.draft(shift)), Utc::now());
        cluster.stop_immediately();
        form.notes.insert_str(" ; elle veut qu'on la rappelle CANARY-KEPT-HERE");
        let reply = runner.perform(Effect::SaveDraft(form.draft(shift)), Utc::now());
        assert!(matches!(reply, Some(Reply::DraftKept { .. })), "{reply:?}");
        // Killed: no lock, no last save.
        std::mem::forget(runner);
        for file in std::fs::read_dir(home.path()).unwrap() {
            let bytes = std::fs::read(file.unwrap().path()).unwrap();
            assert!(!bytes.windows(16).any(|w| w == b"CANARY-KEPT-HERE"), "sealed on this machine");
        }

        cluster.start_again();
        let location = Location::from(crate::store::postgres::ServerUrl::parse(_database.url()).unwrap());
        let mut runner =
            Runner::new(location, home.path().join("server"), &Config::default(), KdfParams::MINIMUM);
        let unlock = Effect::Unlock {
            login: "coord".into(),
            passphrase: zeroize::Zeroizing::new("trois pommes vertes sous la pluie".into()),
        };
        let Some(Reply::Unlocked(unlocked)) = runner.perform(unlock, Utc::now()) else { panic!("unlocked") };
        assert_eq!(unlocked.draft, Some(form.draft(shift)), "the draft as last typed, whole");
    }

    /// A new store in `dir` with a supervisor, `coord`, and its passphrase.
    fn supervisors_store(dir: &std::path::Path) -> (PathBuf, &'static str) {
        let db = dir.join("p.db");
        let pass = supervisors_store_at(&Location::File(db.clone()));
        (db, pass)
    }

    /// A store with one supervisor, `coord`, made at `location` (a file or a server); its
    /// passphrase.
    fn supervisors_store_at(location: &Location) -> &'static str {
        let pass = "trois pommes vertes sous la pluie";
        let account = NewAccount {
            login: "coord",
            display_name: "Dominique",
            role: Role::Supervisor,
            passphrase: pass,
        };
        drop(Store::create(location, account, KdfParams::MINIMUM).unwrap());
        pass
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
        let mut runner = Runner::new(Location::File(db.clone()), db, &config, KdfParams::MINIMUM);
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

    /// Statistics, a search and a file opened while the terminal reads them aside come back
    /// through its loop, the key returning at once (the file's opening audited by the reading
    /// session, signed as the account); a lock right after a request waits for the reading
    /// threads, no copy of the data key is left, not even in their connections, and what they
    /// deliver late is not shown to the next session.
    #[test]
    fn reads_aside_come_back_and_leave_no_key_after_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        let (db, pass) = supervisors_store(dir.path());
        reads_aside_then_a_lock(Location::File(db.clone()), db, pass);
    }

    /// The same on a server: each reading thread's own server connection (made on that thread,
    /// with a copy of the data key to open sealed text) reads, and after a lock no copy of the
    /// key is left, not even those copies.
    #[test]
    fn reads_aside_on_a_server_come_back_and_leave_no_key_after_a_lock() {
        let test = "reads_aside_on_a_server_come_back_and_leave_no_key_after_a_lock";
        let Some(database) = crate::test_support::postgres::fresh_database(test) else { return };
        let home = tempfile::tempdir().unwrap();
        let location = Location::from(crate::store::postgres::ServerUrl::parse(database.url()).unwrap());
        let pass = supervisors_store_at(&location);
        reads_aside_then_a_lock(location, home.path().join("server"), pass);
    }

    fn reads_aside_then_a_lock(location: Location, local: PathBuf, pass: &str) {
        let config = Config::default();
        let mut runner = Runner::new(location.clone(), local, &config, KdfParams::MINIMUM);
        let (delivered, replies) = std::sync::mpsc::channel::<Delivered>();
        runner.read_aside(std::sync::Arc::new(move |reply| {
            let _ = delivered.send(reply);
        }));
        let next = || replies.recv_timeout(std::time::Duration::from_secs(10)).expect("a reply");
        let now = Utc::now();
        let unlock =
            || Effect::Unlock { login: "coord".into(), passphrase: zeroize::Zeroizing::new(pass.into()) };
        assert!(matches!(runner.perform(unlock(), now), Some(Reply::Unlocked(_))));
        let patterns = fingerprints(runner.store.as_ref().unwrap().data_key().bytes());

        // A file made on the keyboard's session, found aside by its code's letters, then by a
        // word of its summary (which the reading session records), and opened aside (recorded).
        let Some(Reply::FileCreated(view)) = runner.perform(Effect::CreateFile, now) else {
            panic!("created")
        };
        let id = view.file.id;
        let summary = |text: &str| crate::domain::caller_file::FileProfile {
            situation_summary: text.into(),
            ..Default::default()
        };
        let change = |version: i64, text: &str| {
            Effect::ChangeFile(FileChange::Profile { id, version, status: None, profile: summary(text) })
        };
        let changed = runner.perform(change(view.file.version, "Appelle depuis Lyon le soir"), now);
        let Some(Reply::FileChanged(changed)) = changed else { panic!("changed: {changed:?}") };
        let code = view.file.code.as_str().to_owned();
        let letters: String = code.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        for query in [letters, "lyon".to_owned()] {
            let search = Effect::SearchFiles { query: query.clone(), filter: Default::default() };
            assert!(runner.perform(search, now).is_none(), "nothing said at once");
            let reply = runner.delivered(next()).expect("delivered in this session");
            assert!(
                matches!(&reply, Reply::FileHits { query: asked, hits, .. }
                    if *asked == query && hits.iter().any(|hit| hit.id == id)),
                "{query}: {reply:?}"
            );
        }
        assert!(runner.perform(Effect::OpenFile { id, audited: true }, now).is_none());
        let reply = runner.delivered(next()).expect("delivered in this session");
        assert!(matches!(&reply, Reply::FileLoaded(loaded) if loaded.file.id == id), "{reply:?}");
        let actor = Some(runner.store.as_ref().unwrap().actor().id.0);
        let entries = runner.store.as_ref().unwrap().audit_entries();
        for action in ["file_shown_in_search", "file_opened"] {
            let of_file: Vec<_> = entries.iter().filter(|e| e.0 == action && e.2 == Some(id.0)).collect();
            assert_eq!(of_file.len(), 1, "{action} once: {entries:?}");
            assert_eq!((of_file[0].1, of_file[0].3), (actor, actor), "by coord and signed by coord");
        }

        // A file read aside before the keyboard's session showed it changed is not shown; one
        // asked after is.
        assert!(runner.perform(Effect::OpenFile { id, audited: false }, now).is_none());
        let older = next();
        let again = runner.perform(change(changed.file.version, "Appelle depuis Lyon"), now);
        let Some(Reply::FileChanged(again)) = again else { panic!("changed again: {again:?}") };
        assert!(runner.delivered(older).is_none(), "the older view is dropped");
        assert!(runner.perform(Effect::OpenFile { id, audited: false }, now).is_none());
        let reply = runner.delivered(next()).expect("a file asked after the change is shown");
        assert!(
            matches!(&reply, Reply::FileLoaded(loaded) if loaded.file.version == again.file.version),
            "{reply:?}"
        );

        // The same for the callback queue: one read aside before the poll showed another
        // terminal's callback is not shown after it.
        assert!(runner.perform(Effect::RefreshQueue, now).is_none());
        let older = next();
        let mut other = Store::open(&location, "coord", pass).unwrap();
        let callback = crate::domain::callback::NewCallback::with_consent(
            true,
            id,
            None,
            now,
            crate::domain::callback::Priority::Normal,
            crate::domain::callback::PhoneNumber::parse("0639980000").unwrap(),
            crate::domain::callback::Assignee::Anyone,
            "Rappeler".into(),
        )
        .unwrap();
        other.schedule_callback(&callback).unwrap();
        drop(other);
        let Some(Reply::Queue(polled)) = runner.perform(Effect::CheckForChanges, now) else {
            panic!("polled")
        };
        assert_eq!(polled.len(), 1, "the other terminal's callback");
        assert!(runner.delivered(older).is_none(), "the older queue is dropped");
        assert!(runner.perform(Effect::RefreshQueue, now).is_none());
        let reply = runner.delivered(next()).expect("a queue asked after the poll is shown");
        assert!(matches!(&reply, Reply::Queue(queue) if queue.len() == 1), "{reply:?}");

        let month =
            crate::domain::statistics::StatsPeriod::month_of(crate::local_time::Zone::default().today(now));
        assert!(runner.perform(Effect::LoadStatistics { period: month, seq: 7 }, now).is_none());
        let reply = runner.delivered(next()).expect("delivered in this session");
        assert!(!occurrences(&patterns).is_empty(), "the scan finds the key while it is in use");
        assert!(
            matches!(&reply, Reply::Statistics { seq: 7, figures } if figures.period == month),
            "{reply:?}"
        );
        // A file answered before the lock but not yet shown; statistics and a file asked
        // again, then locked at once.
        assert!(runner.perform(Effect::OpenFile { id, audited: false }, now).is_none());
        let late = next();
        assert!(runner.perform(Effect::LoadStatistics { period: month, seq: 7 }, now).is_none());
        assert!(runner.perform(Effect::OpenFile { id, audited: false }, now).is_none());
        runner.perform(Effect::Lock, now);
        assert!(runner.store.is_none() && runner.figures.is_none() && runner.reader.is_none(), "locked");
        let left = occurrences(&patterns);
        assert!(left.is_empty(), "copies of the data key left after the lock: {left:#?}");

        // What the threads delivered before the lock is not shown once unlocked again.
        assert!(matches!(runner.perform(unlock(), now), Some(Reply::Unlocked(_))));
        assert!(runner.delivered(late).is_none(), "the file read for the closed session is dropped");
        assert!(replies.try_iter().all(|late| runner.delivered(late).is_none()), "and the rest");

        // What the reading session wrote (the file opened, the file shown) keeps the log one
        // chain, each entry signed.
        let store = Store::open(&location, "coord", pass).unwrap();
        let report = store.check().unwrap();
        assert!(report.is_clean(), "{report:?}");
    }

    /// Quitting while the statistics thread reads (the runner dropped, no lock first) joins it
    /// before the store is closed, and leaves no copy of the data key.
    #[test]
    fn quitting_while_statistics_are_read_leaves_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let (db, pass) = supervisors_store(dir.path());
        let config = Config::default();
        let mut runner = Runner::new(Location::File(db.clone()), db, &config, KdfParams::MINIMUM);
        runner.read_aside(std::sync::Arc::new(|_| {}));
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
        let mut runner = Runner::new(Location::File(db.clone()), db, &config, KdfParams::MINIMUM);
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
