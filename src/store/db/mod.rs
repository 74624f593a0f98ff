//! The store's executor: one small rusqlite-like surface (execute, query, transactions) over
//! either backend, with our own values and rows, so that a statement the two dialects agree on
//! is written once. What differs between them (full-text search against a blind index, the key
//! file against a key-slot table, the write-ahead log, the re-key, the backup) is written per
//! backend, reaching the connection itself through `Db::sqlite` or `Db::postgres`.
//!
//! Writes serialize on both: SQLite's IMMEDIATE transaction takes the file's write lock;
//! on the server every write transaction first takes one advisory lock held until it ends
//! (`WRITE_LOCK`), so the audit chain's head is read and extended by one writer at a time, as
//! in the file.
//!
//! A network is not a disk: a server connection that broke (the server restarted, the network
//! dropped) is made again, but only between transactions, never inside one — a transaction
//! whose connection broke is lost whole, and its caller is told `StoreError::ConnectionLost`.
//! A connection made again forgets its prepared statements, listens again, and counts as a
//! change (`data_version`), since what other terminals did meanwhile went unheard. A server
//! transaction in which a statement failed is aborted by the server; its COMMIT is refused
//! here rather than reported as a success (the server answers it with ROLLBACK) — unless the
//! statement was refused after a savepoint the transaction rolled back to (`rollback_to`), which
//! the server takes as the end of the abort (the statistics' upkeep, `rollup::count`).

mod sql;
#[cfg(test)]
mod tests;
mod value;

use std::cell::RefCell;
use std::collections::HashMap;

pub use value::{FromValue, Value};

use super::blind_index::BlindIndex;
use super::error::{StoreError, StoreResult};
use super::keyslots::DataKey;
use super::postgres::ServerUrl;
use super::seal::{Field, Sealer};

/// The advisory lock every write transaction on the server holds until it ends ("perm" in
/// ASCII): the server's equivalent of SQLite's write lock.
pub const WRITE_LOCK: i64 = 0x7065_726d;

/// The channel every server write transaction notifies at its commit, and every session
/// listens on: the server's `PRAGMA data_version` (issue 18, point 4).
const CHANGED: &str = "permanence_changed";

/// A connection to the file or to the server.
pub enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(Box<RefCell<Server>>),
}

/// A server connection and its prepared statements, kept for the connection's life so that a
/// keypress costs one round trip, not a prepare and an execute.
pub struct Server {
    client: ::postgres::Client,
    /// Where to connect again once the connection broke; `None` for a client made by hand.
    url: Option<ServerUrl>,
    statements: HashMap<String, ::postgres::Statement>,
    /// Set once the data key is known (after the key slot opened): free text is sealed with it.
    sealer: Option<Sealer>,
    /// Set with the sealer: the key of the blind index words are searched through.
    index: Option<BlindIndex>,
    /// Set by `listen`: this session's backend, whose own notifications are not news to it.
    listening: Option<i32>,
    /// Commits of other sessions heard since `listen`.
    changes: i64,
    /// Between BEGIN and its end: the connection is never made again then.
    in_transaction: bool,
    /// A statement of the transaction under way failed (`Failure::Lost`: its connection broke).
    failed: Option<Failure>,
    /// The savepoints of the transaction under way, innermost last, each with the failure
    /// already noted when it was set (which rolling back to it does not undo).
    savepoints: Vec<(String, Option<Failure>)>,
}

/// Why a statement of a transaction failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Lost,
    Refused,
}

/// A row read, whatever the backend.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub fn get<T: FromValue>(&self, column: usize) -> StoreResult<T> {
        let value = self.values.get(column).ok_or_else(|| {
            StoreError::Invalid(format!("no column {column} in a row of {}", self.values.len()))
        })?;
        T::from_value(value, column)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// What a transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    /// Takes the write lock at once (SQLite's IMMEDIATE, the server's advisory lock), so that
    /// what it reads is not changed by another writer before it commits.
    Write,
    /// A consistent view for reading only (SQLite's DEFERRED, the server's REPEATABLE READ).
    Read,
}

impl Db {
    /// A server connection that is not made again if it breaks (tests, short-lived uses).
    pub fn postgres(client: ::postgres::Client) -> Db {
        Db::with_server(client, None)
    }

    /// A connection to the server at `url`, made again there between transactions if it
    /// breaks: a store's.
    pub fn connect(url: &ServerUrl) -> StoreResult<Db> {
        Ok(Db::with_server(url.connect()?, Some(url.clone())))
    }

    fn with_server(client: ::postgres::Client, url: Option<ServerUrl>) -> Db {
        Db::Postgres(Box::new(RefCell::new(Server {
            client,
            url,
            statements: HashMap::new(),
            sealer: None,
            index: None,
            listening: None,
            changes: 0,
            in_transaction: false,
            failed: None,
            savepoints: Vec::new(),
        })))
    }

    /// Starts hearing other sessions' commits (`data_version`). The file needs nothing: SQLite
    /// counts them itself.
    pub fn listen(&self) -> StoreResult<()> {
        if let Db::Postgres(server) = self {
            let mut server = server.borrow_mut();
            server.usable()?;
            server.listen()?;
        }
        Ok(())
    }

    /// The server session's process id once it listens (tests read the server's log by it).
    #[cfg(test)]
    pub fn backend_pid(&self) -> Option<i32> {
        match self {
            Db::Sqlite(_) => None,
            Db::Postgres(server) => server.borrow().listening,
        }
    }

    /// A number that changes when another connection has committed a change since it was last
    /// asked: SQLite's `PRAGMA data_version`; on the server, the notifications of other
    /// sessions' write transactions, read without waiting.
    pub fn data_version(&self) -> StoreResult<i64> {
        match self {
            Db::Sqlite(conn) => Ok(conn.query_row("PRAGMA data_version", [], |row| row.get(0))?),
            Db::Postgres(server) => {
                use ::postgres::fallible_iterator::FallibleIterator;
                let mut server = server.borrow_mut();
                server.usable()?;
                // One round trip reads what the server sent meanwhile: the client reads its
                // socket only while it waits for an answer (and the trip says the server is
                // still there). A connection found broken here is made again at once: this
                // poll is where a terminal learns that the server is back.
                if let Err(err) = server.client.batch_execute("SELECT 1") {
                    if !is_lost(&err) || server.url.is_none() {
                        return Err(err.into());
                    }
                    server.reconnect()?;
                }
                let own = server.listening;
                let heard = server
                    .client
                    .notifications()
                    .iter()
                    .filter(|n| Ok(Some(n.process_id()) != own))
                    .count()?;
                server.changes += heard as i64;
                Ok(server.changes)
            }
        }
    }

    /// Gives the server connection the data key's sealing key; the file needs none.
    pub fn set_key(&self, key: &DataKey) {
        if let Db::Postgres(server) = self {
            let mut server = server.borrow_mut();
            server.sealer = Some(Sealer::for_server(key));
            server.index = Some(BlindIndex::new(key));
        }
    }

    /// What to store for the free text `text` of `field` in row `id`: the text itself in the
    /// file (encrypted whole), sealed on the server (`seal`).
    pub fn seal(&self, field: Field, id: i64, text: &str) -> StoreResult<Value> {
        match self {
            Db::Sqlite(_) => Sealer::Clear.seal(field, id, text),
            Db::Postgres(server) => server.borrow().sealer()?.seal(field, id, text),
        }
    }

    pub fn seal_opt(&self, field: Field, id: i64, text: Option<&str>) -> StoreResult<Value> {
        text.map_or(Ok(Value::Null), |text| self.seal(field, id, text))
    }

    /// What to store for the secret `bytes` in `field` of row `id` (the phone's secret):
    /// the bytes in the file, sealed on the server.
    pub fn seal_secret(&self, field: Field, id: i64, bytes: &[u8]) -> StoreResult<Value> {
        match self {
            Db::Sqlite(_) => Sealer::Clear.seal_secret(field, id, bytes),
            Db::Postgres(server) => server.borrow().sealer()?.seal_secret(field, id, bytes),
        }
    }

    pub fn unseal_secret(
        &self,
        field: Field,
        id: i64,
        value: &Value,
    ) -> StoreResult<zeroize::Zeroizing<Vec<u8>>> {
        match self {
            Db::Sqlite(_) => Sealer::Clear.open_secret(field, id, value),
            Db::Postgres(server) => server.borrow().sealer()?.open_secret(field, id, value),
        }
    }

    /// The blind-index tags of a row whose words are `texts`, to store in its `search_tags`:
    /// `None` in the file, where FTS5 indexes the text itself.
    pub fn search_tags(&self, texts: &[&str]) -> StoreResult<Option<Value>> {
        match self {
            Db::Sqlite(_) => Ok(None),
            Db::Postgres(server) => Ok(Some(Value::BlobList(server.borrow().index()?.row_tags(texts)))),
        }
    }

    /// The tags a row must hold to match `query` (`search_tags @> …`); `None` without words.
    pub fn query_tags(&self, query: &str) -> StoreResult<Option<Value>> {
        match self {
            Db::Sqlite(_) => Ok(None),
            Db::Postgres(server) => Ok(server.borrow().index()?.query_tags(query).map(Value::BlobList)),
        }
    }

    /// The free text stored in `field` of row `id`.
    pub fn unseal(&self, field: Field, id: i64, value: &Value) -> StoreResult<String> {
        match self {
            Db::Sqlite(_) => Sealer::Clear.open(field, id, value),
            Db::Postgres(server) => server.borrow().sealer()?.open(field, id, value),
        }
    }

    pub fn unseal_opt(&self, field: Field, id: i64, value: &Value) -> StoreResult<Option<String>> {
        match value {
            Value::Null => Ok(None),
            value => self.unseal(field, id, value).map(Some),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    /// The SQLite connection, for what only the file has (SQLCipher's pragmas, the log, a
    /// copy attached for a backup or a re-key, FTS5's upkeep): `None` on a server, so that code
    /// written for the file cannot run there.
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Db::Sqlite(conn) => Some(conn),
            Db::Postgres(_) => None,
        }
    }

    /// Runs statements without parameters (migrations, transaction control).
    pub fn execute_batch(&self, sql: &str) -> StoreResult<()> {
        match self {
            Db::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Db::Postgres(server) => server.borrow_mut().run(|server| server.client.batch_execute(sql)),
        }
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> StoreResult<usize> {
        match self {
            Db::Sqlite(conn) => Ok(conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?),
            Db::Postgres(server) => {
                let mut server = server.borrow_mut();
                let statement = server.prepare(sql)?;
                let changed = server.run(|server| server.client.execute(&statement, &pg_params(params)))?;
                Ok(changed as usize)
            }
        }
    }

    /// Every row of a query, each turned into a value by `each`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[Value],
        mut each: impl FnMut(&Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        match self {
            Db::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let columns = statement.column_count();
                let mut rows = statement.query(rusqlite::params_from_iter(params))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let values = (0..columns)
                        .map(|i| Value::from_sqlite(row.get_ref(i)?))
                        .collect::<StoreResult<Vec<Value>>>()?;
                    out.push(each(&Row { values })?);
                }
                Ok(out)
            }
            Db::Postgres(server) => {
                let rows = {
                    let mut server = server.borrow_mut();
                    let statement = server.prepare(sql)?;
                    server.run(|server| server.client.query(&statement, &pg_params(params)))?
                };
                rows.iter()
                    .map(|row| {
                        let values = (0..row.len())
                            .map(|i| row.try_get::<_, Value>(i))
                            .collect::<Result<Vec<_>, _>>()?;
                        each(&Row { values })
                    })
                    .collect()
            }
        }
    }

    /// Every row of a query, handed to `each` as it arrives, without holding them all: for
    /// the long walks (the audit log's millions of entries). `each` must not use this `Db`
    /// (the server's connection is busy streaming).
    pub fn for_each(
        &self,
        sql: &str,
        params: &[Value],
        mut each: impl FnMut(&Row) -> StoreResult<()>,
    ) -> StoreResult<()> {
        match self {
            Db::Sqlite(conn) => {
                let mut statement = conn.prepare(sql)?;
                let columns = statement.column_count();
                let mut rows = statement.query(rusqlite::params_from_iter(params))?;
                while let Some(row) = rows.next()? {
                    let values = (0..columns)
                        .map(|i| Value::from_sqlite(row.get_ref(i)?))
                        .collect::<StoreResult<Vec<Value>>>()?;
                    each(&Row { values })?;
                }
                Ok(())
            }
            Db::Postgres(server) => {
                use ::postgres::fallible_iterator::FallibleIterator;
                let mut server = server.borrow_mut();
                let statement = server.prepare(sql)?;
                let streamed = (|| -> StoreResult<()> {
                    let mut rows = server.client.query_raw(&statement, pg_params(params))?;
                    while let Some(row) = rows.next()? {
                        let values = (0..row.len())
                            .map(|i| row.try_get::<_, Value>(i))
                            .collect::<Result<Vec<_>, _>>()?;
                        each(&Row { values })?;
                    }
                    Ok(())
                })();
                if server.in_transaction {
                    match &streamed {
                        Err(StoreError::ConnectionLost) => _ = server.failed.get_or_insert(Failure::Lost),
                        Err(StoreError::Server(_)) => _ = server.failed.get_or_insert(Failure::Refused),
                        _ => {}
                    }
                }
                streamed
            }
        }
    }

    /// The first row of a query, if there is one.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: &[Value],
        each: impl FnOnce(&Row) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let mut each = Some(each);
        let mut first = None;
        // Rows after the first are read and dropped, as rusqlite's `query_row` does.
        self.query_map(sql, params, |row| {
            if let Some(each) = each.take() {
                first = Some(each(row)?);
            }
            Ok(())
        })?;
        Ok(first)
    }

    /// The first row of a query, which must have one.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[Value],
        each: impl FnOnce(&Row) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.query_opt(sql, params, each)?.ok_or_else(|| {
            StoreError::Invalid(format!("no row where one was expected: {}", first_words(sql)))
        })
    }

    /// The id the next row of `table` will have, drawn before the insert so that its sealed
    /// text can name it. On the server a sequence's next value (never given twice); in the file,
    /// one past the largest, as SQLite itself would choose, which holds because the caller is in
    /// a write transaction (nobody else inserts meanwhile).
    pub fn next_id(&self, table: &'static str) -> StoreResult<i64> {
        match self {
            Db::Sqlite(_) => {
                self.query_row(&format!("SELECT coalesce(max(id), 0) + 1 FROM {table}"), &[], |row| {
                    row.get(0)
                })
            }
            Db::Postgres(_) => self.query_row(
                &format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"),
                &[],
                |row| row.get(0),
            ),
        }
    }

    /// Sets a savepoint in the transaction under way: what follows can be undone alone
    /// (`rollback_to`), the transaction going on.
    pub fn savepoint(&self, name: &str) -> StoreResult<()> {
        self.execute_batch(&format!("SAVEPOINT {name}"))?;
        if let Db::Postgres(server) = self {
            let mut server = server.borrow_mut();
            let failed = server.failed;
            server.savepoints.push((name.to_owned(), failed));
        }
        Ok(())
    }

    /// Keeps what was done since the savepoint `name`, and forgets the savepoint.
    pub fn release(&self, name: &str) -> StoreResult<()> {
        self.execute_batch(&format!("RELEASE SAVEPOINT {name}"))?;
        if let Db::Postgres(server) = self {
            let mut server = server.borrow_mut();
            if let Some(at) = server.savepoints.iter().rposition(|(n, _)| n == name) {
                server.savepoints.truncate(at);
            }
        }
        Ok(())
    }

    /// Undoes what was done since the savepoint `name` (which stays set). On the server, a
    /// statement refused since then aborted the transaction; rolled back to the savepoint, the
    /// server takes statements again, and so the refusal no longer stops the COMMIT. A lost
    /// connection is never cleared: its transaction is gone whatever was rolled back.
    pub fn rollback_to(&self, name: &str) -> StoreResult<()> {
        self.execute_batch(&format!("ROLLBACK TO SAVEPOINT {name}"))?;
        if let Db::Postgres(server) = self {
            let mut server = server.borrow_mut();
            let Some(at) = server.savepoints.iter().rposition(|(n, _)| n == name) else {
                return Err(StoreError::Invalid(format!("no savepoint {name}")));
            };
            let before = server.savepoints[at].1;
            server.savepoints.truncate(at + 1);
            if server.failed == Some(Failure::Refused) {
                server.failed = before;
            }
        }
        Ok(())
    }

    /// Begins a transaction, rolled back unless committed. On the server, a connection found
    /// broken is made again first (nothing of a transaction is on it yet).
    pub fn transaction(&self, kind: TxKind) -> StoreResult<Tx<'_>> {
        let begin = match (self, kind) {
            (Db::Sqlite(_), TxKind::Write) => "BEGIN IMMEDIATE",
            (Db::Sqlite(_), TxKind::Read) => "BEGIN DEFERRED",
            (Db::Postgres(_), TxKind::Write) => "BEGIN ISOLATION LEVEL READ COMMITTED",
            (Db::Postgres(_), TxKind::Read) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        match self {
            Db::Sqlite(_) => self.execute_batch(begin)?,
            Db::Postgres(server) => server.borrow_mut().begin(begin)?,
        }
        let tx = Tx { db: self, done: false, write: kind == TxKind::Write };
        #[cfg(test)]
        if tx.write {
            write_transactions::opened();
        }
        if self.is_postgres() && kind == TxKind::Write {
            tx.execute("SELECT pg_advisory_xact_lock(?1)", crate::db_params![WRITE_LOCK])?;
            // Delivered to every listening session when (and only if) this transaction commits.
            tx.execute_batch(&format!("NOTIFY {CHANGED}"))?;
        }
        Ok(tx)
    }

    /// Ends the transaction under way (COMMIT or ROLLBACK); on the server, refuses to commit
    /// one in which a statement failed.
    fn end_transaction(&self, sql: &'static str) -> StoreResult<()> {
        match self {
            Db::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Db::Postgres(server) => {
                let mut server = server.borrow_mut();
                let failed = server.failed.take();
                let ended = match failed {
                    Some(failure) if sql == "COMMIT" => {
                        let _ = server.client.batch_execute("ROLLBACK");
                        Err(match failure {
                            Failure::Lost => StoreError::ConnectionLost,
                            Failure::Refused => StoreError::Invalid(
                                "a statement of this transaction failed: it was rolled back, nothing was written"
                                    .into(),
                            ),
                        })
                    }
                    _ => server.client.batch_execute(sql).map_err(StoreError::from),
                };
                server.in_transaction = false;
                ended
            }
        }
    }
}

/// Whether a server error says the connection is gone (closed, reset, the server shutting
/// down) rather than a statement refused: what was sent may or may not have been done.
pub fn is_lost(err: &::postgres::Error) -> bool {
    if err.is_closed() {
        return true;
    }
    match err.as_db_error() {
        // admin_shutdown, crash_shutdown, cannot_connect_now; class 08: connection exceptions.
        Some(db) => {
            matches!(db.code().code(), "57P01" | "57P02" | "57P03") || db.code().code().starts_with("08")
        }
        None => std::error::Error::source(err).is_some_and(|source| source.is::<std::io::Error>()),
    }
}

impl Server {
    /// Makes the connection again if it is known to be broken and no transaction is under way.
    fn usable(&mut self) -> StoreResult<()> {
        if self.client.is_closed() && !self.in_transaction {
            self.reconnect()?;
        }
        Ok(())
    }

    /// A new connection to the same server, between transactions: its statements prepared
    /// anew, listening again, and one change counted, since other terminals' commits made
    /// meanwhile went unheard.
    fn reconnect(&mut self) -> StoreResult<()> {
        let url = self.url.clone().ok_or(StoreError::ConnectionLost)?;
        self.client = url.connect()?;
        self.statements.clear();
        if self.listening.is_some() {
            self.listen()?;
        }
        self.changes += 1;
        Ok(())
    }

    fn listen(&mut self) -> StoreResult<()> {
        self.client.batch_execute(&format!("LISTEN {CHANGED}"))?;
        self.listening = Some(self.client.query_one("SELECT pg_backend_pid()", &[])?.try_get(0)?);
        Ok(())
    }

    /// BEGIN, on a connection made again if it broke since the last transaction: a BEGIN that
    /// finds the connection gone has done nothing, so it is sent once more on a new one.
    fn begin(&mut self, begin: &str) -> StoreResult<()> {
        self.usable()?;
        if let Err(err) = self.client.batch_execute(begin) {
            if !is_lost(&err) || self.url.is_none() {
                return Err(err.into());
            }
            self.reconnect()?;
            self.client.batch_execute(begin)?;
        }
        self.in_transaction = true;
        self.failed = None;
        self.savepoints.clear();
        Ok(())
    }

    /// Runs a statement: on a connection made again first if it is known broken between
    /// transactions; inside one, a failure marks the transaction failed.
    fn run<T>(
        &mut self,
        statement: impl FnOnce(&mut Server) -> Result<T, ::postgres::Error>,
    ) -> StoreResult<T> {
        self.usable()?;
        let result = statement(self);
        if let Err(err) = &result
            && self.in_transaction
        {
            let failure = if is_lost(err) { Failure::Lost } else { Failure::Refused };
            self.failed.get_or_insert(failure);
        }
        Ok(result?)
    }

    fn index(&self) -> StoreResult<&BlindIndex> {
        self.index.as_ref().ok_or_else(|| StoreError::Invalid("a search before the data key".into()))
    }

    fn sealer(&self) -> StoreResult<&Sealer> {
        self.sealer.as_ref().ok_or_else(|| StoreError::Invalid("free text met before the data key".into()))
    }

    fn prepare(&mut self, sql: &str) -> StoreResult<::postgres::Statement> {
        // First: a connection made again forgets what was prepared on the broken one.
        self.usable()?;
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.run(|server| server.client.prepare(&sql::to_postgres(sql)))?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

fn pg_params(params: &[Value]) -> Vec<&(dyn ::postgres::types::ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ::postgres::types::ToSql + Sync)).collect()
}

/// A statement named in an error by its first words (never its parameters).
fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ")
}

/// A transaction on either backend: read and write through it as through the `Db`; dropped
/// without `commit`, it rolls back.
pub struct Tx<'d> {
    db: &'d Db,
    done: bool,
    /// Holds the write lock (the file's, the server's advisory lock).
    #[cfg_attr(not(test), allow(dead_code))]
    write: bool,
}

impl Tx<'_> {
    /// A COMMIT that fails leaves the transaction rolled back (on the server, one in which a
    /// statement failed is rolled back without asking).
    pub fn commit(mut self) -> StoreResult<()> {
        self.end("COMMIT")
    }

    pub fn rollback(mut self) -> StoreResult<()> {
        self.end("ROLLBACK")
    }

    fn end(&mut self, sql: &'static str) -> StoreResult<()> {
        self.done = true;
        #[cfg(test)]
        if self.write {
            write_transactions::closed();
        }
        self.db.end_transaction(sql)
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Db;

    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.end("ROLLBACK");
        }
    }
}

/// Tests only: the write transactions this thread has open, and the key derivations (Argon2id,
/// a second or so) run while one was, which would keep every other writer waiting that long.
#[cfg(test)]
pub(crate) mod write_transactions {
    use std::cell::Cell;

    thread_local! {
        static OPEN: Cell<u32> = const { Cell::new(0) };
        static DERIVED_INSIDE: Cell<u32> = const { Cell::new(0) };
    }

    pub(super) fn opened() {
        OPEN.with(|open| open.set(open.get() + 1));
    }

    pub(super) fn closed() {
        OPEN.with(|open| open.set(open.get().saturating_sub(1)));
    }

    /// Called by every key derivation.
    pub(crate) fn key_derived() {
        if OPEN.with(Cell::get) > 0 {
            DERIVED_INSIDE.with(|n| n.set(n.get() + 1));
        }
    }

    /// Key derivations run on this thread inside a write transaction so far.
    pub(crate) fn derivations_inside() -> u32 {
        DERIVED_INSIDE.with(Cell::get)
    }
}
