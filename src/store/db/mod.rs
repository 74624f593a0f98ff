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
//! whose connection broke is lost whole, and its caller is told `StoreError::ConnectionLost`
//! (`ServerUnreachable` for a server silent past the patience; `StoreError::is_unreachable`
//! says either). A failed try to connect again waits before the next (`Retry`).
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
use std::time::{Duration, Instant};

pub use value::{FromValue, Value};

use super::blind_index::BlindIndex;
use super::error::{StoreError, StoreResult};
use super::keyslots::{DATABASE_SALT_LEN, DataKey};
use super::postgres::{Client, ServerUrl};
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
    client: Client,
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
    /// While the server cannot be reached: when the connection may be tried again, the wait
    /// after that try if it fails too, and why the last one failed.
    retry: Option<Retry>,
    /// Set once unlocked: the database id the session's key slots named, and the server's
    /// name for the error. Every write transaction's first request, and every poll, compares
    /// it with the key slots' now (`Store::still_the_opened_file`, the server's part).
    database: Option<([u8; DATABASE_SALT_LEN], String)>,
    /// While an unhurried transaction runs (`Db::unhurried`), the patience to give back at
    /// its end.
    hurried: Option<Option<Duration>>,
    /// The savepoints of the transaction under way, innermost last, each with the failure
    /// already noted when it was set (which rolling back to it does not undo).
    savepoints: Vec<(String, Option<Failure>)>,
}

/// A connection to make again later: each failed try doubles the wait before the next (from
/// `FIRST_RETRY` to `LAST_RETRY`), so that a terminal whose server is gone (a cut cable, a
/// host that drops packets) does not spend every keypress and every second's poll trying.
struct Retry {
    at: Instant,
    wait: Duration,
    why: Option<super::error::Unreachable>,
}

/// The most rows [`Db::insert_rows`] sends in one statement (7 columns: 896 parameters, far
/// below SQLite's and PostgreSQL's limits).
const MAX_GROUP: usize = 128;

/// How long a migration's transaction may sit idle between two statements
/// (`Db::idle_between_statements`).
const MIGRATION_IDLE: Duration = Duration::from_secs(300);

const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(16);

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
    /// what it reads is not changed by another writer before it commits; on the server, every
    /// other desk is told at its commit, and reloads what it shows.
    Write,
    /// The same, for a write no other desk shows (audit entries alone, wrong passphrases
    /// counted): the write lock, but no other desk told.
    WriteUnseen,
    /// A write of one row of the session's own account that no other statement reads or
    /// orders (the draft: no audit entry, no shared counter): on the server it takes neither
    /// the write lock nor tells other desks, since the row's own lock orders two writes of it;
    /// in the file, a write like any other (SQLite has one lock).
    OwnRow,
    /// A consistent view for reading only (SQLite's DEFERRED, the server's REPEATABLE READ).
    Read,
}

impl TxKind {
    /// Whether it takes the write lock, which an audit entry needs (the chain's head).
    pub fn locks(self) -> bool {
        matches!(self, TxKind::Write | TxKind::WriteUnseen)
    }
}

impl Db {
    /// A server connection that is not made again if it breaks (tests, short-lived uses).
    pub fn postgres(client: Client) -> Db {
        Db::with_server(client, None)
    }

    /// A connection to the server at `url`, made again there between transactions if it
    /// breaks: a store's.
    pub fn connect(url: &ServerUrl) -> StoreResult<Db> {
        Ok(Db::with_server(url.connect()?, Some(url.clone())))
    }

    fn with_server(client: Client, url: Option<ServerUrl>) -> Db {
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
            retry: None,
            database: None,
            hurried: None,
            savepoints: Vec::new(),
        })))
    }

    /// From now on, every write transaction and every poll compares the database id its key
    /// slots name with `id` (made at `init`, the one this session unlocked), and refuses with
    /// `DatabaseReplaced(server)` if it changed. Nothing on the file, whose salt is compared
    /// by the store.
    pub fn expect_database(&self, id: [u8; DATABASE_SALT_LEN], server: String) {
        if let Db::Postgres(connection) = self {
            connection.borrow_mut().database = Some((id, server));
        }
    }

    /// Whether the write transactions check the database id `id` themselves (above).
    pub fn checks_database(&self, id: &[u8; DATABASE_SALT_LEN]) -> bool {
        match self {
            Db::Sqlite(_) => false,
            Db::Postgres(server) => {
                server.borrow().database.as_ref().is_some_and(|(expected, _)| expected == id)
            }
        }
    }

    /// The server this connection reached (`Client::server`); `None` on the file.
    pub fn server(&self) -> Option<String> {
        match self {
            Db::Sqlite(_) => None,
            Db::Postgres(server) => Some(server.borrow().client.server().to_owned()),
        }
    }

    /// Requests sent to the server since the connection was made (what a change costs); 0 on
    /// the file.
    pub fn requests(&self) -> u64 {
        match self {
            Db::Sqlite(_) => 0,
            Db::Postgres(server) => server.borrow().client.requests(),
        }
    }

    /// Inside a transaction that may rightly take long (a schema's upgrade, the purge of years
    /// of notes): on the server, no `statement_timeout` and no patience until its COMMIT, which
    /// waits as any other's.
    pub fn unhurried(&self) -> StoreResult<()> {
        if let Db::Postgres(server) = self {
            let mut server = server.borrow_mut();
            server.client.batch_execute("SET LOCAL statement_timeout = 0")?;
            if server.hurried.is_none() {
                let patience = server.client.set_patience(None);
                server.hurried = Some(patience);
            }
        }
        Ok(())
    }

    /// How long the server's answers may take from now on (the tests' shorter patience).
    #[cfg(test)]
    pub fn set_patience(&self, patience: Option<Duration>) {
        if let Db::Postgres(server) = self {
            server.borrow_mut().client.set_patience(patience);
        }
    }

    /// Inside a migration's transaction, on a database nobody else writes to yet: the
    /// terminal's own work between two statements (sealing and verifying a centre's rows) may
    /// take minutes rather than the session's 15 s. Never for a transaction of a centre in use,
    /// where it would hold the write lock that long against every desk.
    pub fn idle_between_statements(&self) -> StoreResult<()> {
        if let Db::Postgres(server) = self {
            let sql =
                format!("SET LOCAL idle_in_transaction_session_timeout = '{}s'", MIGRATION_IDLE.as_secs());
            server.borrow_mut().client.batch_execute(&sql)?;
        }
        Ok(())
    }

    /// At a transaction's end: the patience an unhurried one lifted is back.
    fn hurry_again(&self) {
        if let Db::Postgres(server) = self {
            let mut server = server.borrow_mut();
            if let Some(patience) = server.hurried.take() {
                server.client.set_patience(patience);
            }
        }
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
                let mut server = server.borrow_mut();
                server.usable()?;
                // One round trip reads what the server sent meanwhile: the client reads its
                // socket only while it waits for an answer (and the trip says the server is
                // still there, and that its key slots still name this session's database). A
                // connection found broken here is made again at once: this poll is where a
                // terminal learns that the server is back.
                let probe = if server.database.is_some() { DATABASE_ID } else { "SELECT 1" };
                let said = match server.client.simple_query(probe) {
                    Err(StoreError::ConnectionLost) if server.url.is_some() => {
                        server.reconnect()?;
                        server.client.simple_query(probe)?
                    }
                    said => said?,
                };
                server.require_same_database(last_row(&said))?;
                let own = server.listening;
                let heard =
                    server.client.take_notifications().iter().filter(|n| Some(n.process_id()) != own).count();
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

    /// Inserts many rows in a few statements: `insert` up to its `VALUES`, each row `width`
    /// values of `rows`, `tail` after the rows (an `ON CONFLICT …`); the number of rows changed.
    /// On the server each statement is a round trip, so one a row made a call's save send 45
    /// requests. The rows go in groups whose sizes are powers of two, at most [`MAX_GROUP`]:
    /// any count is a few statements, and a connection prepares a handful of texts whatever
    /// the counts it meets.
    pub fn insert_rows(&self, insert: &str, tail: &str, width: usize, rows: &[Value]) -> StoreResult<usize> {
        self.in_groups(width, rows, |group| sql::many_rows(insert, tail, width, group))
    }

    /// `rows` of `width` values run in groups whose sizes are powers of two, at most
    /// [`MAX_GROUP`], `text` giving each group's statement; the rows changed.
    fn in_groups(&self, width: usize, rows: &[Value], text: impl Fn(usize) -> String) -> StoreResult<usize> {
        assert!(
            width > 0 && rows.len().is_multiple_of(width),
            "{} values are not rows of {width}",
            rows.len()
        );
        let mut rest = rows;
        let mut changed = 0;
        while !rest.is_empty() {
            let group = (rest.len() / width).min(MAX_GROUP);
            let group = 1 << group.ilog2();
            let (these, after) = rest.split_at(group * width);
            changed += self.execute(&text(group), these)?;
            rest = after;
        }
        Ok(changed)
    }

    /// Runs a statement over many rows of values in a few statements, grouped as
    /// [`Db::insert_rows`] groups them: `head` up to where the rows go, each row `types.len()`
    /// values of `rows` (the first row cast to `types`, [`sql::typed_rows`]), then `tail`;
    /// the number of rows changed. For an `UPDATE … FROM (VALUES …) AS v` or a
    /// `DELETE … IN (VALUES …)`, where one statement a row made a save send dozens of requests.
    pub fn with_rows(&self, head: &str, tail: &str, types: &[&str], rows: &[Value]) -> StoreResult<usize> {
        self.in_groups(types.len(), rows, |group| sql::typed_rows(head, tail, types, group))
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
                let mut server = server.borrow_mut();
                let statement = server.prepare(sql)?;
                let streamed = server.client.for_each_row(&statement, pg_params(params), |row| {
                    let values =
                        (0..row.len()).map(|i| row.try_get::<_, Value>(i)).collect::<Result<Vec<_>, _>>()?;
                    each(&Row { values })
                });
                server.failed_if(&streamed);
                streamed
            }
        }
    }

    /// `for_each` for a walk that may rightly take minutes (`check` verifies every entry of
    /// the audit log, its signature included, at the terminal's pace): on the server, without
    /// the session's `statement_timeout`, each row still waited for within the patience.
    pub fn for_each_unhurried(
        &self,
        sql: &str,
        params: &[Value],
        each: impl FnMut(&Row) -> StoreResult<()>,
    ) -> StoreResult<()> {
        if !self.is_postgres() {
            return self.for_each(sql, params, each);
        }
        self.execute_batch("SET statement_timeout = 0")?;
        let walked = self.for_each(sql, params, each);
        let reset = self.execute_batch("RESET statement_timeout");
        walked.and(reset)
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
    /// (`rollback_to`), the transaction going on. On the server, `then` (settings for what
    /// follows, `SET LOCAL …`; undone by a rollback to it) goes in the same request.
    pub fn savepoint(&self, name: &str, then: &str) -> StoreResult<()> {
        self.execute_batch(&self.with_server_setting(format!("SAVEPOINT {name}"), then))?;
        if let Db::Postgres(server) = self {
            let mut server = server.borrow_mut();
            let failed = server.failed;
            server.savepoints.push((name.to_owned(), failed));
        }
        Ok(())
    }

    /// Keeps what was done since the savepoint `name`, and forgets the savepoint; on the
    /// server, `then` in the same request, as for [`Db::savepoint`].
    pub fn release(&self, name: &str, then: &str) -> StoreResult<()> {
        self.execute_batch(&self.with_server_setting(format!("RELEASE SAVEPOINT {name}"), then))?;
        if let Db::Postgres(server) = self {
            let mut server = server.borrow_mut();
            if let Some(at) = server.savepoints.iter().rposition(|(n, _)| n == name) {
                server.savepoints.truncate(at);
            }
        }
        Ok(())
    }

    /// `statement`, followed on the server by `setting` when there is one.
    fn with_server_setting(&self, mut statement: String, setting: &str) -> String {
        if self.is_postgres() && !setting.is_empty() {
            statement.push_str("; ");
            statement.push_str(setting);
        }
        statement
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

    /// Begins a transaction, rolled back unless committed. On the server, a write's start is
    /// one request however much it asks: BEGIN, the write lock, the notification its commit
    /// will send, and the database id its key slots name now; a connection found broken is
    /// made again first (nothing of a transaction is on it yet).
    pub fn transaction(&self, kind: TxKind) -> StoreResult<Tx<'_>> {
        match self {
            Db::Sqlite(_) => {
                self.execute_batch(if kind == TxKind::Read { "BEGIN DEFERRED" } else { "BEGIN IMMEDIATE" })?;
                Ok(Tx::begun(self, kind))
            }
            Db::Postgres(server) => {
                let mut begin = String::from(match kind {
                    TxKind::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                    _ => "BEGIN ISOLATION LEVEL READ COMMITTED",
                });
                if kind.locks() {
                    begin.push_str(&format!("; SELECT pg_advisory_xact_lock({WRITE_LOCK})"));
                }
                if kind == TxKind::Write {
                    // Delivered to every listening session when (and only if) this commits.
                    begin.push_str(&format!("; NOTIFY {CHANGED}"));
                }
                if kind == TxKind::OwnRow {
                    // The draft, autosaved every second, is kept on the desk's machine too
                    // (`LocalDraft`): it waits for no standby, so that typing goes on while a
                    // synchronous standby is down (the server holds every other COMMIT then).
                    begin.push_str("; SET LOCAL synchronous_commit = local");
                }
                let probe = kind != TxKind::Read && server.borrow().database.is_some();
                if probe {
                    begin.push_str("; ");
                    begin.push_str(DATABASE_ID);
                }
                let said = server.borrow_mut().begin(&begin);
                // From here, a failure rolls back what began.
                let tx = Tx::begun(self, kind);
                let said = said?;
                if probe {
                    server.borrow().require_same_database(last_row(&said))?;
                }
                Ok(tx)
            }
        }
    }

    /// Ends the transaction under way (COMMIT or ROLLBACK); on the server, refuses to commit
    /// one in which a statement failed.
    fn end_transaction(&self, sql: &'static str) -> StoreResult<()> {
        match self {
            Db::Sqlite(conn) => {
                let ended = conn.execute_batch(sql);
                // SQLite may leave the transaction open after a failed COMMIT (busy, a full
                // disk): rolled back, so that its write lock is not held on.
                if ended.is_err() && !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                Ok(ended?)
            }
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
                    // An unhurried transaction's COMMIT is waited on no longer than any other's:
                    // with synchronous replication and its standby gone, the server waits for
                    // ever at a COMMIT (`statement_timeout` does not cover it), and the terminal
                    // froze with it (review of the failover, 2).
                    _ if sql == "COMMIT" && server.hurried.is_some() => {
                        let patience = server.hurried.take().flatten();
                        server.client.set_patience(patience);
                        server.client.batch_execute(sql)
                    }
                    _ => server.client.batch_execute(sql),
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
        // An error that ends the session (FATAL, PANIC: a shutdown, a session ended by the
        // server's idle_in_transaction_session_timeout, 25P03, or idle_session_timeout,
        // 57P05); admin_shutdown, crash_shutdown, cannot_connect_now; class 08: connection
        // exceptions.
        Some(db) => {
            use ::postgres::error::Severity;
            matches!(db.parsed_severity(), Some(Severity::Fatal | Severity::Panic))
                || matches!(db.code().code(), "57P01" | "57P02" | "57P03" | "57P05" | "25P03")
                || db.code().code().starts_with("08")
        }
        None => std::error::Error::source(err).is_some_and(|source| source.is::<std::io::Error>()),
    }
}

/// The database id the key slots' header names (docs/keyslots.md: `database_salt`, hexadecimal):
/// the last statement of a write's first request, and the poll's. Read by the server from the
/// row's JSON, so that 32 characters travel rather than the slots' few kilobytes (slots that
/// are not JSON fail the request, as damage).
const DATABASE_ID: &str =
    "SELECT (SELECT convert_from(body, 'UTF8')::json ->> 'database_salt' FROM key_file WHERE id = 1)";

/// LISTEN on `client`, and its session's process, in one request.
fn listen_on(client: &mut Client) -> StoreResult<i32> {
    let said = client.simple_query(&format!("LISTEN {CHANGED}; SELECT pg_backend_pid()"))?;
    last_row(&said)
        .and_then(|pid| pid.parse().ok())
        .ok_or_else(|| StoreError::Invalid("the server did not say its process".into()))
}

/// The text of the first column of the last row a simple query returned.
fn last_row(said: &[::postgres::SimpleQueryMessage]) -> Option<&str> {
    said.iter()
        .rev()
        .find_map(|message| match message {
            ::postgres::SimpleQueryMessage::Row(row) => Some(row.get(0)),
            _ => None,
        })
        .flatten()
}

impl Server {
    /// Makes the connection again if it is known to be broken and no transaction is under way
    /// (a connection made by hand is not: its requests say it is gone).
    fn usable(&mut self) -> StoreResult<()> {
        if self.client.is_closed() && !self.in_transaction && self.url.is_some() {
            self.reconnect()?;
        }
        Ok(())
    }

    /// A new connection to the same server, between transactions: its statements prepared
    /// anew, listening again, and one change counted, since other terminals' commits made
    /// meanwhile went unheard. Tried at most once per `Retry` wait; the new connection is
    /// installed only once it listens, so that a terminal never goes on deaf to the other desks.
    fn reconnect(&mut self) -> StoreResult<()> {
        let url = self.url.clone().ok_or(StoreError::ConnectionLost)?;
        if let Some(retry) = &self.retry
            && Instant::now() < retry.at
        {
            return Err(match &retry.why {
                Some(why) => StoreError::ServerUnreachable { server: url.redacted(), why: why.clone() },
                None => StoreError::ConnectionLost,
            });
        }
        let connected = url.connect_again().and_then(|mut client| {
            let pid = match self.listening {
                Some(_) => Some(listen_on(&mut client)?),
                None => None,
            };
            Ok((client, pid))
        });
        let (client, pid) = match connected {
            Ok(connected) => connected,
            Err(err) => {
                let wait = self.retry.as_ref().map_or(FIRST_RETRY, |retry| (retry.wait * 2).min(LAST_RETRY));
                let why = match &err {
                    StoreError::ServerUnreachable { why, .. } => Some(why.clone()),
                    _ => None,
                };
                self.retry = Some(Retry { at: Instant::now() + wait, wait, why });
                return Err(err);
            }
        };
        self.retry = None;
        self.client = client;
        self.statements.clear();
        if pid.is_some() {
            self.listening = pid;
        }
        self.changes += 1;
        Ok(())
    }

    fn listen(&mut self) -> StoreResult<()> {
        self.listening = Some(listen_on(&mut self.client)?);
        Ok(())
    }

    /// A transaction's first request, on a connection made again if it broke since the last
    /// transaction: a first request that finds the connection closed has done nothing (it
    /// writes nothing in any case), so it is sent once more on a new one; not after a server
    /// silent past the patience, which would double the wait.
    fn begin(&mut self, begin: &str) -> StoreResult<Vec<::postgres::SimpleQueryMessage>> {
        self.usable()?;
        let said = match self.client.simple_query(begin) {
            Err(StoreError::ConnectionLost) if self.url.is_some() => {
                self.reconnect()?;
                self.client.simple_query(begin)
            }
            said => said,
        };
        self.in_transaction = true;
        self.failed = None;
        self.savepoints.clear();
        self.failed_if(&said);
        said
    }

    /// Runs a statement: on a connection made again first if it is known broken between
    /// transactions; inside one, a failure marks the transaction failed.
    fn run<T>(&mut self, statement: impl FnOnce(&mut Server) -> StoreResult<T>) -> StoreResult<T> {
        self.usable()?;
        let result = statement(self);
        self.failed_if(&result);
        result
    }

    /// Inside a transaction, marks it failed if `result` is the server's refusal (which
    /// aborts the transaction on the server) or the connection's loss.
    fn failed_if<T>(&mut self, result: &StoreResult<T>) {
        let Err(err) = result else { return };
        if !self.in_transaction {
            return;
        }
        let failure = if err.is_unreachable() {
            Failure::Lost
        } else if matches!(
            err,
            StoreError::Server(_) | StoreError::ServerPrivilege { .. } | StoreError::Locked
        ) {
            Failure::Refused
        } else {
            return;
        };
        self.failed.get_or_insert(failure);
    }

    /// The key slots name (`DATABASE_ID`) the database this session unlocked.
    fn require_same_database(&self, said: Option<&str>) -> StoreResult<()> {
        let Some((expected, server)) = &self.database else { return Ok(()) };
        let found = said.and_then(|digits| hex::decode(digits).ok());
        match found {
            Some(id) if id == expected => Ok(()),
            _ => Err(StoreError::DatabaseReplaced(server.clone())),
        }
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
    kind: TxKind,
}

impl<'d> Tx<'d> {
    fn begun(db: &'d Db, kind: TxKind) -> Tx<'d> {
        #[cfg(test)]
        if kind.locks() {
            write_transactions::opened();
        }
        Tx { db, done: false, kind }
    }

    pub fn kind(&self) -> TxKind {
        self.kind
    }

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
        if self.kind.locks() {
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
        self.db.hurry_again();
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
