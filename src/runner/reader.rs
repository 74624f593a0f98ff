//! The terminal's reads that need not hold the keyboard: search as you type, a file opened, the
//! supervisor's view, a shift's summary, the callback queue read again after a change. On a
//! server each is a few round trips (5–10 ms at a million calls, tens under twenty desks'
//! load); read here, on a thread and a session of their
//! own (`store::Aside`), the key that asked for them is drawn at once and their answer is drawn
//! when it comes. What writes (the draft, the save, a callback taken or changed) and the poll
//! stay on the keyboard's session; a file or a queue read aside that is older than the one the
//! keyboard's session showed since is not shown (`Runner::delivered`).
//!
//! Without a thread (tests, benchmarks that do not ask for one) the same reads are made at once
//! on the keyboard's session, by the same function.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Deliver, Delivered};
use crate::app::SEARCH_LIMIT;
use crate::app::effect::{FileView, Reply};
use crate::domain::caller_file::FileFilter;
use crate::domain::{FileId, ShiftId, Timestamp};
use crate::i18n::Strings;
use crate::messages::store_error_brief;
use crate::store::{Aside, ScopeRequest, Store, StoreError};

/// A read the reader's thread takes.
pub(super) enum Read {
    Search {
        query: String,
        filter: FileFilter,
    },
    /// `audited` when the listener opens it (an audit entry), not when it is shown again.
    OpenFile {
        id: FileId,
        audited: bool,
    },
    Overview,
    Summary {
        shift: ShiftId,
        now: Timestamp,
    },
    /// Asked in the background (after a save, a change): with the server away it says nothing
    /// (the poll says it, and the sentence a save left stays on the screen).
    Queue {
        now: Timestamp,
    },
}

impl Read {
    /// Whether a failure to reach the server is said nothing of (the queue's, above).
    fn quiet_when_unreachable(&self) -> bool {
        matches!(self, Read::Queue { .. })
    }

    /// Made on `store`, whichever session it is, and told as the listener is told (`told`);
    /// `None` when there is nothing to say.
    pub(super) fn told(self, strings: &'static Strings, store: &mut Store) -> Option<Reply> {
        let quiet = self.quiet_when_unreachable();
        match self.perform(store) {
            Err(err) if quiet && err.is_unreachable() => None,
            done => Some(told(strings, done)),
        }
    }

    fn perform(self, store: &mut Store) -> Result<Reply, StoreError> {
        match self {
            Read::Search { query, filter } => {
                let hits = store.search_files(&query, &filter, SEARCH_LIMIT)?;
                Ok(Reply::FileHits { query, filter, hits })
            }
            Read::OpenFile { id, audited } => {
                if audited {
                    store.open_file(id)?;
                }
                Ok(Reply::FileLoaded(Box::new(file_view(store, id)?)))
            }
            Read::Overview => store.shift_overview().map(Reply::Overview),
            Read::Summary { shift, now } => {
                let summary = store.summary(ScopeRequest::Shift(shift), now)?;
                Ok(Reply::Summary(Box::new(summary)))
            }
            Read::Queue { now } => store.callback_queue(now).map(Reply::Queue),
        }
    }
}

/// A file as the file pane shows it.
pub(super) fn file_view(store: &Store, id: FileId) -> Result<FileView, StoreError> {
    let record = store.file_with_history(id)?;
    Ok(FileView {
        file: record.file,
        history: record.calls,
        events: record.events,
        callbacks: record.callbacks,
        authors: store.listener_names()?,
    })
}

/// The reader's thread, with its session. Reads are made in the order asked, but a search
/// overtaken by a newer one before it began is dropped (its hits would be dropped anyway: the
/// search popup shows only those of what is typed now). Dropping the reader skips what is still
/// asked and waits for its thread, so that no connection, nor the keys in its session, outlives
/// a lock (the screen is drawn locked before).
pub(super) struct Reader {
    requests: Option<Sender<(u64, Read)>>,
    closing: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// After a session that could not be opened (the server away), the next try waits this long at
/// first, doubling up to `OPEN_WAIT_MAX`: meanwhile reads fail at once, as the keyboard's
/// session's own requests do (`Db`'s reconnection), rather than each wait for the server.
const OPEN_WAIT: Duration = Duration::from_secs(1);
const OPEN_WAIT_MAX: Duration = Duration::from_secs(16);

impl Reader {
    /// `None` when no thread can be started: reads are then made at once. The session is
    /// opened on the thread, then made ready to search.
    pub(super) fn start(
        aside: Aside,
        strings: &'static Strings,
        deliver: Deliver,
        session: u64,
    ) -> Option<Reader> {
        let (requests, asked) = channel::<(u64, Read)>();
        let closing = Arc::new(AtomicBool::new(false));
        let closed = closing.clone();
        let thread = std::thread::Builder::new()
            .name("reader".into())
            .spawn(move || {
                let mut opened = Opened { aside, strings, store: None, retry: None };
                let _ = opened.open();
                while let Ok(first) = asked.recv() {
                    let mut pending = vec![first];
                    pending.extend(asked.try_iter());
                    let last_search =
                        pending.iter().rposition(|(_, read)| matches!(read, Read::Search { .. }));
                    for (index, (number, read)) in pending.into_iter().enumerate() {
                        if closed.load(Ordering::Relaxed) {
                            return;
                        }
                        let overtaken = matches!(read, Read::Search { .. }) && Some(index) != last_search;
                        let reply = if overtaken { None } else { opened.told(read) };
                        deliver(Delivered { session, asked: number, reply });
                    }
                }
            })
            .ok()?;
        Some(Reader { requests: Some(requests), closing, thread: Some(thread) })
    }

    /// Asks for `read`, numbered `number`; given back if the thread is gone.
    pub(super) fn ask(&self, number: u64, read: Read) -> Result<(), Read> {
        match &self.requests {
            Some(requests) => requests.send((number, read)).map_err(|failed| failed.0.1),
            None => Err(read),
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::Relaxed);
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reader's session: opened from its recipe when first needed, again after it was lost.
struct Opened {
    aside: Aside,
    strings: &'static Strings,
    store: Option<Store>,
    /// After a failed opening, until the next may be tried.
    retry: Option<Retry>,
}

struct Retry {
    at: Instant,
    /// The wait after the next failure.
    wait: Duration,
    /// What the listener is told meanwhile.
    told: Reply,
    unreachable: bool,
}

impl Opened {
    fn open(&mut self) -> Result<&mut Store, &Retry> {
        if self.store.is_none() && self.retry.as_ref().is_none_or(|retry| Instant::now() >= retry.at) {
            match self.aside.open() {
                Ok(store) => {
                    // Best effort: a search reads the codes itself otherwise.
                    let _ = store.prepare_search();
                    self.store = Some(store);
                    self.retry = None;
                }
                Err(err) => {
                    let wait =
                        self.retry.as_ref().map_or(OPEN_WAIT, |retry| (retry.wait * 2).min(OPEN_WAIT_MAX));
                    let unreachable = err.is_unreachable();
                    let told = told(self.strings, Err(err));
                    self.retry = Some(Retry { at: Instant::now() + wait, wait, told, unreachable });
                }
            }
        }
        match (&mut self.store, &self.retry) {
            (Some(store), _) => Ok(store),
            (None, Some(retry)) => Err(retry),
            (None, None) => unreachable!("opened, or a retry noted"),
        }
    }

    /// `read` on the session, told (`Read::told`). A read that panics (a defect) is told as an
    /// internal error and its session dropped, to be opened afresh: the thread goes on.
    fn told(&mut self, read: Read) -> Option<Reply> {
        let strings = self.strings;
        let quiet = read.quiet_when_unreachable();
        let store = match self.open() {
            Ok(store) => store,
            Err(retry) if quiet && retry.unreachable => return None,
            Err(retry) => return Some(retry.told.clone()),
        };
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match store.keep_up() {
            Ok(()) => read.told(strings, store),
            Err(err) => Some(told(strings, Err(err))),
        }));
        done.unwrap_or_else(|_| {
            self.store = None;
            Some(told(strings, Err(StoreError::Invalid("the reading thread met a defect".into()))))
        })
    }
}

/// A read's reply, or what the listener is told of its failure: the keyboard's session tells
/// its own the same way (`Runner::told`), a withdrawn access locking the screen.
pub(super) fn told(strings: &'static Strings, done: Result<Reply, StoreError>) -> Reply {
    match done {
        Ok(reply) => reply,
        Err(err @ (StoreError::AccessRevoked | StoreError::DatabaseReplaced(_))) => {
            Reply::Revoked(store_error_brief(strings, &err))
        }
        // One sentence while the server is away, whichever way the request failed (the poll
        // says it in the status bar): what was asked may or may not be done.
        Err(err) if err.is_unreachable() => Reply::Failed(strings.error_server_lost.clone()),
        Err(err) => Reply::Failed(store_error_brief(strings, &err)),
    }
}
