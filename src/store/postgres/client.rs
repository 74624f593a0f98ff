//! A blocking connection to the centre's server that never waits for ever.
//!
//! rust-postgres's blocking `postgres::Client` waits as long as the server is silent: its
//! `connect_timeout` bounds the TCP connection only, and TCP keepalives and `tcp_user_timeout`
//! see nothing wrong while the other end's kernel acknowledges what is sent. So anything at the
//! server's address that accepts and then says nothing (a frozen server, a proxy whose server
//! is gone) held a desk's loop for ever, at its start or mid-session (measured: 40 s and
//! counting against a socket that accepts, with `connect_timeout=2`, `tcp_user_timeout` and
//! keepalives of a second). This is the same client, rust-postgres's asynchronous half
//! (`tokio_postgres`), driven on a single-threaded runtime as `postgres::Client` drives it, with
//! a deadline on every wait: the whole start-up (TLS and authentication included) within the
//! connection's time limit, and every answer within `patience`, after which the connection is
//! given up and the wait is `ServerUnreachable` (`Unreachable::Unanswered`).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use postgres_openssl::MakeTlsConnector;
use tokio::runtime::Runtime;
use tokio_postgres::types::{BorrowToSql, ToSql};
use tokio_postgres::{AsyncMessage, Notification, Row, SimpleQueryMessage, Statement, ToStatement};

use crate::store::error::{StoreError, StoreResult, Unreachable};

/// Requests sent by every connection of this process (the keypress benchmark says how many a
/// keypress costs).
static SENT: AtomicU64 = AtomicU64::new(0);

/// Requests sent to servers by this process so far.
pub fn requests_sent() -> u64 {
    SENT.load(Ordering::Relaxed)
}

type Messages = Pin<Box<dyn Stream<Item = Result<AsyncMessage, tokio_postgres::Error>> + Send>>;

/// One session with the server.
pub struct Client {
    /// `None` once dropped.
    client: Option<tokio_postgres::Client>,
    session: Session,
}

/// What waits for the server: the runtime, the socket and the deadline.
struct Session {
    runtime: Runtime,
    /// The connection's socket, read while a request waits; `None` once given up.
    connection: Option<Messages>,
    notifications: VecDeque<Notification>,
    /// How long an answer may take before the server is deemed gone; `None`: for ever.
    patience: Option<Duration>,
    /// The server as a person reads it (no password), for the errors.
    server: String,
    /// Requests sent, for the tests and measurements of what a change costs.
    requests: u64,
}

/// Why a connection could not be made.
pub enum Connecting {
    /// What rust-postgres said (told apart by `ServerUrl::connect_error`).
    Failed(tokio_postgres::Error),
    /// The start-up did not finish within the time limit.
    TimedOut,
}

impl Client {
    /// Connects and completes the start-up (TLS, authentication) within `within`.
    pub fn connect(
        config: &tokio_postgres::Config,
        tls: MakeTlsConnector,
        within: Duration,
        patience: Option<Duration>,
        server: String,
    ) -> Result<Client, Connecting> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|_| Connecting::TimedOut)?;
        let (client, connection) = runtime
            .block_on(async { tokio::time::timeout(within, config.connect(tls)).await })
            .map_err(|_| Connecting::TimedOut)?
            .map_err(Connecting::Failed)?;
        let session = Session {
            runtime,
            connection: Some(Box::pin(Socket { connection })),
            notifications: VecDeque::new(),
            patience,
            server,
            requests: 0,
        };
        Ok(Client { client: Some(client), session })
    }

    /// How long answers may take from now on (`None`: for ever, for what may rightly take
    /// long: a schema's upgrade, the first purge of years of notes, `check`'s walk); the
    /// patience it had.
    pub fn set_patience(&mut self, patience: Option<Duration>) -> Option<Duration> {
        std::mem::replace(&mut self.session.patience, patience)
    }

    /// Requests sent since the connection was made (each one round trip, but a statement
    /// given as text: prepared, then run).
    pub fn requests(&self) -> u64 {
        self.session.requests
    }

    /// The server this session reached, as a person reads it (no password): of a URL naming
    /// several hosts, the one that answered.
    pub fn server(&self) -> &str {
        &self.session.server
    }

    /// Whether the connection is gone (closed by the server, cut, or given up).
    pub fn is_closed(&self) -> bool {
        self.session.connection.is_none()
            || self.client.as_ref().is_none_or(tokio_postgres::Client::is_closed)
    }

    fn parts(&mut self) -> (&tokio_postgres::Client, &mut Session) {
        (self.client.as_ref().expect("the client lives as long as the connection"), &mut self.session)
    }

    pub fn prepare(&mut self, query: &str) -> StoreResult<Statement> {
        let (client, session) = self.parts();
        session.wait(client.prepare(query))
    }

    pub fn execute<T: ?Sized + ToStatement>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<u64> {
        let (client, session) = self.parts();
        session.wait(client.execute(statement, params))
    }

    pub fn query<T: ?Sized + ToStatement>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        let (client, session) = self.parts();
        session.wait(client.query(statement, params))
    }

    pub fn query_one<T: ?Sized + ToStatement>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Row> {
        let (client, session) = self.parts();
        session.wait(client.query_one(statement, params))
    }

    /// Statements without parameters, in one request (the simple query protocol).
    pub fn batch_execute(&mut self, sql: &str) -> StoreResult<()> {
        let (client, session) = self.parts();
        session.wait(client.batch_execute(sql))
    }

    /// Statements without parameters in one request, with the text of the rows they return.
    pub fn simple_query(&mut self, sql: &str) -> StoreResult<Vec<SimpleQueryMessage>> {
        let (client, session) = self.parts();
        session.wait(client.simple_query(sql))
    }

    /// Every row of a query handed to `each` as it arrives, each waited for within the
    /// patience however long the whole walk.
    pub fn for_each_row<P, I>(
        &mut self,
        statement: &Statement,
        params: I,
        mut each: impl FnMut(Row) -> StoreResult<()>,
    ) -> StoreResult<()>
    where
        P: BorrowToSql,
        I: IntoIterator<Item = P>,
        I::IntoIter: ExactSizeIterator,
    {
        let (client, session) = self.parts();
        let rows = session.wait(client.query_raw(statement, params))?;
        let mut rows = pin!(rows);
        // The rows of one request: waited for, not counted as requests.
        while let Some(row) = session.wait_more(async { rows.next().await.transpose() })? {
            each(row)?;
        }
        Ok(())
    }

    /// The notifications received so far, taken.
    pub fn take_notifications(&mut self) -> Vec<Notification> {
        self.session.notifications.drain(..).collect()
    }
}

impl Session {
    /// Runs `request`, reading the socket meanwhile (notifications are kept), within the
    /// patience; past it the connection is dropped, and whatever the server says later with it.
    fn wait<T>(&mut self, request: impl Future<Output = Result<T, tokio_postgres::Error>>) -> StoreResult<T> {
        self.requests += 1;
        SENT.fetch_add(1, Ordering::Relaxed);
        self.wait_more(request)
    }

    /// `wait` for more of an answer already asked for.
    fn wait_more<T>(
        &mut self,
        request: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> StoreResult<T> {
        let Some(connection) = self.connection.as_mut() else {
            return Err(self.unanswered());
        };
        let notifications = &mut self.notifications;
        let mut request = pin!(request);
        let drive = std::future::poll_fn(|cx: &mut Context<'_>| {
            loop {
                match connection.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(AsyncMessage::Notification(n)))) => notifications.push_back(n),
                    Poll::Ready(Some(Ok(_))) => {}
                    Poll::Ready(Some(Err(err))) => return Poll::Ready(Err(err)),
                    // Closed: the request fails by itself.
                    Poll::Ready(None) | Poll::Pending => break,
                }
            }
            request.as_mut().poll(cx)
        });
        let answered = match self.patience {
            Some(patience) => self.runtime.block_on(async { tokio::time::timeout(patience, drive).await }),
            None => Ok(self.runtime.block_on(drive)),
        };
        match answered {
            Ok(result) => result.map_err(StoreError::from),
            Err(_) => {
                self.connection = None;
                Err(self.unanswered())
            }
        }
    }

    fn unanswered(&self) -> StoreError {
        StoreError::ServerUnreachable {
            server: self.server.clone(),
            why: Unreachable::Unanswered(self.patience.unwrap_or_default().as_secs()),
        }
    }
}

impl Drop for Client {
    /// Says goodbye to the server (the protocol's Terminate, sent once the client is gone),
    /// waiting a second at most.
    fn drop(&mut self) {
        drop(self.client.take());
        if let Some(mut connection) = self.session.connection.take() {
            let _ = self.session.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(1), async {
                    while connection.next().await.is_some() {}
                })
                .await
            });
        }
    }
}

/// The connection as a stream of what the server sends besides answers.
struct Socket<S, T> {
    connection: tokio_postgres::Connection<S, T>,
}

impl<S, T> Stream for Socket<S, T>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    type Item = Result<AsyncMessage, tokio_postgres::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.connection.poll_message(cx)
    }
}
