//! The terminal's reads that need not hold the keyboard: search as you type, a file opened, the
//! supervisor's view, a shift's summary. On a server each is a few round trips (5–10 ms at a
//! million calls, tens under twenty desks' load); read here, on a thread and a session of their
//! own (`store::Aside`), the key that asked for them is drawn at once and their answer is drawn
//! when it comes. What writes the call being taken (draft, save) and what must be seen in order
//! with it (the callback queue, the poll) stay on the keyboard's session.
//!
//! Without a thread (tests, benchmarks that do not ask for one) the same reads are made at once
//! on the keyboard's session, by the same function.

use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

use super::{Deliver, Delivered};
use crate::app::SEARCH_LIMIT;
use crate::app::effect::{Effect, FileView, Reply};
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
}

impl Read {
    /// The read `effect` asks for, or the effect itself when it is none of these.
    pub(super) fn of(effect: Effect, now: Timestamp) -> Result<Read, Effect> {
        Ok(match effect {
            Effect::SearchFiles { query, filter } => Read::Search { query, filter },
            Effect::OpenFile { id, audited } => Read::OpenFile { id, audited },
            Effect::RefreshOverview => Read::Overview,
            Effect::LoadSummary(shift) => Read::Summary { shift, now },
            other => return Err(other),
        })
    }

    /// Made on `store`, whichever session it is.
    pub(super) fn perform(self, store: &mut Store) -> Result<Reply, StoreError> {
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
/// search popup shows only those of what is typed now). Dropping the reader waits for its
/// thread, so that no connection, nor the keys in its session, outlives a lock.
pub(super) struct Reader {
    requests: Option<Sender<Read>>,
    thread: Option<JoinHandle<()>>,
}

impl Reader {
    /// `None` when no thread can be started: reads are then made at once. The session is
    /// opened on the thread, then made ready to search; one that cannot be opened (the server
    /// away) is tried again at the next read, which says why meanwhile.
    pub(super) fn start(
        aside: Aside,
        strings: &'static Strings,
        deliver: Deliver,
        session: u64,
    ) -> Option<Reader> {
        let (requests, asked) = channel::<Read>();
        let thread = std::thread::Builder::new()
            .name("reader".into())
            .spawn(move || {
                let mut store: Option<Store> = None;
                let open = |store: &mut Option<Store>| -> Result<(), StoreError> {
                    if store.is_none() {
                        let opened = aside.open()?;
                        // Best effort: a search reads the codes itself otherwise.
                        let _ = opened.prepare_search();
                        *store = Some(opened);
                    }
                    Ok(())
                };
                let _ = open(&mut store);
                while let Ok(first) = asked.recv() {
                    let mut pending = vec![first];
                    pending.extend(asked.try_iter());
                    let last_search = pending.iter().rposition(|read| matches!(read, Read::Search { .. }));
                    for (index, read) in pending.into_iter().enumerate() {
                        if matches!(read, Read::Search { .. }) && Some(index) != last_search {
                            continue;
                        }
                        let done = open(&mut store).and_then(|()| {
                            let store = store.as_mut().expect("opened above");
                            store.keep_up()?;
                            read.perform(store)
                        });
                        deliver(Delivered { session, reply: told(strings, done) });
                    }
                }
            })
            .ok()?;
        Some(Reader { requests: Some(requests), thread: Some(thread) })
    }

    pub(super) fn ask(&self, read: Read) {
        if let Some(requests) = &self.requests {
            let _ = requests.send(read);
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A read's reply, or what the listener is told of its failure: as the keyboard's session
/// tells it (`Runner::perform`), a withdrawn access locking the screen.
fn told(strings: &'static Strings, done: Result<Reply, StoreError>) -> Reply {
    match done {
        Ok(reply) => reply,
        Err(err @ (StoreError::AccessRevoked | StoreError::DatabaseReplaced(_))) => {
            Reply::Revoked(store_error_brief(strings, &err))
        }
        Err(err) if err.is_unreachable() => Reply::Failed(strings.error_server_lost.clone()),
        Err(err) => Reply::Failed(store_error_brief(strings, &err)),
    }
}
