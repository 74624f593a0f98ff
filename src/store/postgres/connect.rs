//! Reaching the centre's server: a `postgresql://` URL, its `sslmode` honoured as libpq does.
//!
//! rust-postgres knows `disable`, `prefer` and `require` and verifies nothing by itself; libpq's
//! `verify-ca` and `verify-full` (the one to use in production: the server's certificate signed
//! by the expected authority *and* naming the host) are done here with OpenSSL, already built
//! into the program for SQLCipher. `sslrootcert` names the authority's certificate; without it,
//! `~/.postgresql/root.crt` as libpq, else the system's authorities. Over a network only a
//! verified connection is accepted: without `sslmode`, `verify-full`; `disable`, `allow` and
//! `prefer` refused (a Unix socket or the loopback stay on the machine: `prefer` there).
//!
//! A URL may name several hosts (`postgresql://u@a:5432,b:5432/db`), a primary and its standbys:
//! each is tried in turn and only one that takes writes is kept (`target_session_attrs`, as
//! libpq, but `read-write` unless the URL says otherwise: a desk writes at every keypress's
//! draft), so that after a failover the desk reconnects to whichever has been promoted.
//!
//! Nothing waits on the server for ever (`client`): the start-up within `connect_timeout`,
//! every answer within `PATIENCE`, the session's own limits set at start-up (`SESSION`), and
//! TCP keepalives and `tcp_user_timeout` on both ends, so that a desk or a server that
//! vanishes is noticed within a minute.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::X509VerifyResult;
use postgres_openssl::MakeTlsConnector;

use super::client::{Client, Connecting};
use crate::i18n::Phrase;
use crate::store::error::{CertificateProblem, StoreError, StoreResult, Unreachable, server_detail};

/// How long a connection's start-up (TCP, TLS, authentication) may take when the URL does not
/// say (`connect_timeout`): libpq waits for ever, a desk should say within seconds that the
/// server does not answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What every session asks of the server at start-up (libpq's `options`; the URL's own
/// `options` come after, and win). A desk that stops in the middle of a write (a laptop put
/// to sleep, a cable pulled) must not stop the others: its transaction is ended by the server
/// after `idle_in_transaction_session_timeout`; meanwhile a write that waits for a lock gives
/// up after `lock_timeout` and says "busy" (nothing lost, tried again); no statement runs
/// longer than `statement_timeout` (the longest the program asks, a year's statistics on a
/// million calls, takes a few seconds; a schema's upgrade, the purge and `check`'s walk lift
/// it); the server's TCP keepalives end the session of a desk that vanished, and with it its
/// locks (presence included), within a minute. Every statement is planned for its own
/// parameters (`plan_cache_mode`): the server's generic plan for a prepared statement, chosen
/// after five runs, scanned most of `call` backwards for a rare combination of search tags
/// (search as you type: 165 ms a key at 100,000 calls, 5 ms planned for its tags). No JIT
/// compilation (`jit`): a desk's statements take milliseconds, and on a million calls the
/// server compiled a call's 1.5 ms rollup query for 2 s, its cost estimate inflated by branches
/// that select nothing.
const SESSION: &str = "-c lock_timeout=5s -c idle_in_transaction_session_timeout=15s -c statement_timeout=30s \
                       -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3 \
                       -c plan_cache_mode=force_custom_plan -c jit=off";

/// How long an answer may take before the server is deemed gone and the connection given up:
/// beyond `statement_timeout`, after which the server answers by itself.
pub const PATIENCE: Duration = Duration::from_secs(45);

/// How long a connection made again after a loss may take (a server on the centre's network
/// answers within milliseconds).
const RECONNECT_WITHIN: Duration = Duration::from_secs(3);

/// The desk's TCP keepalives and `tcp_user_timeout` (rust-postgres waits 2 hours before its
/// first keepalive): a server that vanished (switched off, a network gone) is noticed within
/// a minute even while the connection is idle, and data it does not acknowledge within 20 s
/// cut the connection.
const KEEPALIVES_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVES_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVES_RETRIES: u32 = 3;
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(20);

/// Whether a `--db` names a server rather than a file.
pub fn is_server_url(db: &str) -> bool {
    db.starts_with("postgresql://") || db.starts_with("postgres://")
}

/// How much of TLS is required of the server, as libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS if the server offers it, unverified (libpq's default).
    Prefer,
    /// TLS, unverified.
    Require,
    /// TLS, the certificate signed by a trusted authority.
    VerifyCa,
    /// TLS, the certificate signed by a trusted authority and naming the host.
    VerifyFull,
}

impl SslMode {
    /// As libpq names it.
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// A parsed server URL: rust-postgres's configuration, and what it does not know of TLS.
#[derive(Clone)]
pub struct ServerUrl {
    config: tokio_postgres::Config,
    /// Where the URL names several hosts, the same URL for each alone, tried in turn by
    /// `connect`, each within its own time limit: rust-postgres would spend the whole limit on
    /// a first host that does not answer (a machine gone: its packets dropped) and never try
    /// the next, the promoted standby.
    each_host: Vec<ServerUrl>,
    pub ssl_mode: SslMode,
    root_cert: Option<PathBuf>,
}

impl std::fmt::Debug for ServerUrl {
    /// Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerUrl")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("user", &self.config.get_user())
            .field("ssl_mode", &self.ssl_mode)
            .finish()
    }
}

impl ServerUrl {
    /// Reads a URL as libpq would, but for TLS over a network: without `sslmode`, a server
    /// anywhere but on this machine is `verify-full`, and `disable`, `allow` or `prefer` are
    /// refused there (`StoreError::WeakSslMode`), before anything is sent.
    ///
    /// A URL without a password takes libpq's: `PGPASSWORD`, else the line of `~/.pgpass` (or
    /// `PGPASSFILE`) for its host, port, database and role, so that a password need not be
    /// written on a command line, where every account of the machine reads it (`ps`).
    pub fn parse(url: &str) -> StoreResult<ServerUrl> {
        let mut parsed = ServerUrl::parse_one(url)?;
        if parsed.config.get_hosts().len() > 1 && parsed.config.get_hostaddrs().is_empty() {
            parsed.each_host = one_url_per_host(url)
                .iter()
                .map(|one| ServerUrl::parse_one(one))
                .collect::<Result<_, _>>()?;
        }
        Ok(parsed)
    }

    fn parse_one(url: &str) -> StoreResult<ServerUrl> {
        // An unencoded '@', '/' or '?' in the password would make its end read as the host,
        // then shown: rust-postgres takes the credentials up to the first '@' of the whole
        // address, so one '@' only, and before any '/' or '?'.
        let rest = url.split_once("://").map_or("", |(_, rest)| rest);
        let first_at = rest.find('@').unwrap_or(0);
        if rest.matches('@').count() > 1 || rest.find(['/', '?']).is_some_and(|end| first_at > end) {
            return Err(StoreError::Refused(Phrase::new(|s| &s.cli.server_url_at_twice)));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut asked = None;
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "sslmode" => {
                    asked = Some(match value {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" => SslMode::VerifyCa,
                        "verify-full" => SslMode::VerifyFull,
                        other => return Err(unreadable(format!("sslmode={other}"))),
                    })
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(value))),
                _ => kept.push(pair),
            }
        }
        let given = |name: &str| kept.iter().any(|pair| pair.split('=').next() == Some(name));
        let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
        let mut config = tokio_postgres::Config::from_str(&rest).map_err(|e| {
            unreadable(std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string))
        })?;
        if config.get_password().is_none()
            && let Some(password) = libpq_password(&config)
        {
            config.password(password);
        }
        let local = stays_on_this_machine(&config);
        let ssl_mode = match asked {
            None if local => SslMode::Prefer,
            None => SslMode::VerifyFull,
            Some(weak @ (SslMode::Disable | SslMode::Prefer)) if !local => {
                let mode = value_of(query, "sslmode").to_owned();
                let url = ServerUrl { config, each_host: Vec::new(), ssl_mode: weak, root_cert };
                return Err(StoreError::WeakSslMode { server: url.redacted(), mode });
            }
            Some(mode) => mode,
        };
        config.ssl_mode(match ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        config.application_name("permanence");
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let options = match config.get_options() {
            Some(own) => format!("{SESSION} {own}"),
            None => SESSION.to_owned(),
        };
        config.options(&options);
        if !given("keepalives_idle") {
            config.keepalives_idle(KEEPALIVES_IDLE);
        }
        if !given("keepalives_interval") {
            config.keepalives_interval(KEEPALIVES_INTERVAL);
        }
        if !given("keepalives_retries") {
            config.keepalives_retries(KEEPALIVES_RETRIES);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        if !given("target_session_attrs") {
            config.target_session_attrs(tokio_postgres::config::TargetSessionAttrs::ReadWrite);
        }
        Ok(ServerUrl { config, each_host: Vec::new(), ssl_mode, root_cert })
    }

    /// The same server, another database (the tests make one per test).
    pub fn with_dbname(&self, name: &str) -> ServerUrl {
        let mut other = self.clone();
        other.config.dbname(name);
        for one in &mut other.each_host {
            one.config.dbname(name);
        }
        other
    }

    pub fn dbname(&self) -> Option<&str> {
        self.config.get_dbname()
    }

    /// The server as a person reads it, without the password: `postgresql://user@host:port/db`.
    /// Also what names the server's local state (`paths::server_state`): the same for the
    /// same database whatever password or TLS options the URL carries.
    pub fn redacted(&self) -> String {
        use tokio_postgres::config::Host;
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .zip(self.config.get_ports().iter().chain(std::iter::repeat(&5432)))
            .map(|(host, port)| match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(path) => format!("{}:{port}", path.display()),
            })
            .collect();
        let user = self.config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
        format!("postgresql://{user}{}/{}", hosts.join(","), self.dbname().unwrap_or_default())
    }

    /// Connects, with TLS as `sslmode` asks. Each way it can fail is its own error: nothing
    /// answering (refused, no answer in time, an unknown host name), the password refused, the
    /// certificate refused (and why), no TLS where it is required or TLS where it is not
    /// offered, a connection the server's rules do not admit, no such database.
    pub fn connect(&self) -> StoreResult<Client> {
        self.connect_each(ServerUrl::connect_host)
    }

    /// `connect` to each host alone in turn, where the URL names several: the first that takes
    /// writes is kept. Of the failures, the one a person can act on is told (rust-postgres
    /// tells the last host's alone): a host that answered and refused (a password, a
    /// certificate, no such database) first, then only standbys answering, then the last
    /// host's silence or refusal.
    fn connect_each(&self, connect: fn(&ServerUrl) -> StoreResult<Client>) -> StoreResult<Client> {
        if self.each_host.is_empty() {
            return connect(self);
        }
        let mut refused = None;
        let mut standby = false;
        let mut unreachable = None;
        for one in &self.each_host {
            match connect(one) {
                Ok(client) => return Ok(client),
                Err(StoreError::ServerUnreachable { why: Unreachable::StandbyOnly, .. }) => standby = true,
                Err(err @ StoreError::ServerUnreachable { .. }) => unreachable = Some(err),
                Err(err) => {
                    refused.get_or_insert(err);
                }
            }
        }
        match (refused, standby, unreachable) {
            (Some(err), _, _) | (None, false, Some(err)) => Err(err),
            _ => {
                Err(StoreError::ServerUnreachable { server: self.redacted(), why: Unreachable::StandbyOnly })
            }
        }
    }

    /// One host's connection (all of them, where `each_host` is empty, as rust-postgres tries them).
    fn connect_host(&self) -> StoreResult<Client> {
        let refusal = Arc::new(Mutex::new(None));
        let tls = self.tls(Arc::clone(&refusal))?;
        let within = self.config.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT);
        Client::connect(&self.config, tls, within, Some(PATIENCE), self.redacted()).map_err(|failure| {
            match failure {
                Connecting::Failed(err) => {
                    let refused = *refusal.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    self.connect_error(err, refused)
                }
                Connecting::TimedOut => {
                    StoreError::ServerUnreachable { server: self.redacted(), why: Unreachable::TimedOut }
                }
            }
        })
    }

    /// Connects again after a connection was lost: as `connect`, within `RECONNECT_WITHIN` at
    /// most, since the terminal waits meanwhile and tries again later (a server that dropped
    /// off the network would otherwise hold it `connect_timeout` at each try).
    pub fn connect_again(&self) -> StoreResult<Client> {
        self.connect_each(|one| {
            let mut again = one.clone();
            let within =
                one.config.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT).min(RECONNECT_WITHIN);
            again.config.connect_timeout(within);
            again.connect_host()
        })
    }

    /// Whether the connection stays on this machine (a Unix socket, the loopback), where TLS
    /// adds nothing.
    pub fn is_local(&self) -> bool {
        stays_on_this_machine(&self.config)
    }

    /// What a failure to connect was, said for the person who typed the URL.
    fn connect_error(&self, err: tokio_postgres::Error, certificate: Option<X509VerifyResult>) -> StoreError {
        use tokio_postgres::error::SqlState;
        let server = self.redacted();
        if let Some(db) = err.as_db_error() {
            let said = server_detail(&err);
            return match db.code() {
                code if *code == SqlState::INVALID_PASSWORD => {
                    StoreError::ServerPassword { server, role: self.role() }
                }
                code if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                    if self.ssl_mode == SslMode::Disable {
                        StoreError::ServerRequiresTls { server, said }
                    } else {
                        StoreError::ServerNotAdmitted { server, said }
                    }
                }
                code if *code == SqlState::INVALID_CATALOG_NAME => {
                    StoreError::ServerNoDatabase { server, said }
                }
                _ => StoreError::from(err),
            };
        }
        // rust-postgres keeps its kinds private; its display names them.
        match err.to_string().as_str() {
            "error connecting to server" => {
                let why = match std::error::Error::source(&err)
                    .and_then(|e| e.downcast_ref::<std::io::Error>())
                {
                    Some(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => Unreachable::Refused,
                    Some(io) if io.kind() == std::io::ErrorKind::TimedOut => Unreachable::TimedOut,
                    // A standby, where writes are asked for (`target_session_attrs`).
                    Some(io) if io.to_string() == "database does not allow writes" => {
                        Unreachable::StandbyOnly
                    }
                    _ if !self.names_resolve() => Unreachable::NameUnknown,
                    Some(io) => Unreachable::Other(io.to_string()),
                    None => Unreachable::Other(err.to_string()),
                };
                StoreError::ServerUnreachable { server, why }
            }
            "error performing TLS handshake" => {
                let said = std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default();
                match certificate {
                    Some(refused) => StoreError::ServerCertificate { server, problem: self.problem(refused) },
                    None if said == "server does not support TLS" => StoreError::ServerWithoutTls { server },
                    None => {
                        StoreError::ServerCertificate { server, problem: CertificateProblem::Other(said) }
                    }
                }
            }
            // The server asked for a password the URL does not give (nor PGPASSWORD, nor the
            // password file): "invalid configuration: password missing".
            "authentication error" => StoreError::ServerPassword { server, role: self.role() },
            "invalid configuration"
                if std::error::Error::source(&err).is_some_and(|e| e.to_string() == "password missing") =>
            {
                StoreError::ServerPassword { server, role: self.role() }
            }
            _ => StoreError::from(err),
        }
    }

    /// The role the URL connects as.
    fn role(&self) -> String {
        self.config.get_user().unwrap_or_default().to_owned()
    }

    /// Whether every host name of the URL is known to the name service (asked only once a
    /// connection failed, to tell an unknown name from a server that does not answer).
    fn names_resolve(&self) -> bool {
        use std::net::ToSocketAddrs;
        self.config.get_hosts().iter().all(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => (name.as_str(), 5432).to_socket_addrs().is_ok(),
            tokio_postgres::config::Host::Unix(_) => true,
        })
    }

    /// Why OpenSSL refused the certificate, in the words a person can act on.
    fn problem(&self, refused: X509VerifyResult) -> CertificateProblem {
        // X509_V_ERR_* (openssl/x509_vfy.h).
        match refused.as_raw() {
            62 | 64 => CertificateProblem::OtherHost(self.host_names()),
            2 | 18 | 19 | 20 | 21 => CertificateProblem::UnknownAuthority,
            9 | 10 => CertificateProblem::Expired,
            _ => CertificateProblem::Other(refused.error_string().to_owned()),
        }
    }

    /// The hosts the URL names, as typed.
    fn host_names(&self) -> String {
        let names: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        names.join(",")
    }

    /// OpenSSL set up as `sslmode` asks; under verification, the first refusal of the
    /// server's certificate is kept in `refusal` so that the error can say why.
    fn tls(&self, refusal: Arc<Mutex<Option<X509VerifyResult>>>) -> StoreResult<MakeTlsConnector> {
        let tls_error =
            |e: openssl::error::ErrorStack| StoreError::Invalid(format!("TLS could not be set up: {e}"));
        let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(tls_error)?;
        let verify = matches!(self.ssl_mode, SslMode::VerifyCa | SslMode::VerifyFull);
        if verify {
            builder.set_verify_callback(SslVerifyMode::PEER, move |ok, context| {
                if !ok {
                    let mut first = refusal.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    first.get_or_insert(context.error());
                }
                ok
            });
            match self.authority() {
                Some(path) => builder.set_ca_file(&path).map_err(|e| {
                    StoreError::Invalid(format!(
                        "the authority's certificate {} is unreadable: {e}",
                        path.display()
                    ))
                })?,
                None => builder.set_default_verify_paths().map_err(tls_error)?,
            }
        } else {
            builder.set_verify(SslVerifyMode::NONE);
        }
        let mut connector = MakeTlsConnector::new(builder.build());
        let full = self.ssl_mode == SslMode::VerifyFull;
        connector.set_callback(move |config, _| {
            config.set_verify_hostname(full);
            Ok(())
        });
        Ok(connector)
    }

    /// `sslrootcert`, else libpq's `~/.postgresql/root.crt`, else Debian's bundle of the
    /// system's authorities (the vendored OpenSSL does not know where the system keeps them).
    fn authority(&self) -> Option<PathBuf> {
        if let Some(path) = &self.root_cert {
            return Some(path.clone());
        }
        let home = std::env::var_os("HOME").map(|h| Path::new(&h).join(".postgresql/root.crt"));
        home.into_iter().chain([PathBuf::from("/etc/ssl/certs/ca-certificates.crt")]).find(|p| p.is_file())
    }
}

/// How a session reaches its server, as `check` says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConnection {
    pub ssl_mode: SslMode,
    /// A Unix socket or the loopback.
    pub local: bool,
    /// The TLS version and cipher the server reports for this session; `None` without TLS.
    pub tls: Option<String>,
    /// Of a URL naming several hosts, the one this session reached (after a failover, the
    /// promoted standby): where IT looks first.
    pub answering: Option<String>,
}

impl ServerConnection {
    /// Asks the server how this session is carried (`pg_stat_ssl`, which every role may read
    /// of its own session).
    pub(crate) fn of(db: &crate::store::db::Db, url: &ServerUrl) -> StoreResult<ServerConnection> {
        let tls = db.query_row(
            "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            crate::db_params![],
            |row| {
                Ok(match row.get::<bool>(0)? {
                    true => Some(format!("{}, {}", row.get::<String>(1)?, row.get::<String>(2)?)),
                    false => None,
                })
            },
        )?;
        let answering = if url.each_host.is_empty() { None } else { db.server() };
        Ok(ServerConnection { ssl_mode: url.ssl_mode, local: url.is_local(), tls, answering })
    }
}

/// Whether every host of the configuration is this machine: a Unix socket's folder, `localhost`
/// or a loopback address as written (a name is not resolved: what it resolves to may change
/// between this check and the connection); a `hostaddr` too, where given.
fn stays_on_this_machine(config: &tokio_postgres::Config) -> bool {
    use tokio_postgres::config::Host;
    let hosts = config.get_hosts().iter().all(|host| match host {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
    });
    hosts && config.get_hostaddrs().iter().all(std::net::IpAddr::is_loopback)
}

/// A URL naming several hosts (`postgresql://u@a:1,b:2/db?…`) as one URL per host, each with
/// the rest of the URL as it is.
fn one_url_per_host(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else { return vec![url.to_owned()] };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (credentials, hosts) = match authority.rsplit_once('@') {
        Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
        None => (String::new(), authority),
    };
    hosts.split(',').map(|host| format!("{scheme}://{credentials}{host}{tail}")).collect()
}

/// The raw value of `name` in a URL's query.
/// A URL that cannot be read, said with what was not understood (never the URL: it may hold a
/// password).
fn unreadable(problem: String) -> StoreError {
    StoreError::Refused(Phrase::new(|s| &s.cli.server_url_unreadable).with("problem", problem))
}

/// The password libpq would take for `config`: `PGPASSWORD`, else the first matching line of
/// the password file (`PGPASSFILE`, else `~/.pgpass`), read only when no other account may read
/// it, as libpq does. A line is `host:port:database:role:password`, `*` matching anything, `\`
/// escaping `:` and itself.
fn libpq_password(config: &tokio_postgres::Config) -> Option<String> {
    use tokio_postgres::config::Host;
    if let Some(password) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
        return Some(password);
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pgpass")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(&file).ok()?.permissions().mode() & 0o077 != 0 {
            return None;
        }
    }
    let text = String::from_utf8(crate::bounded_read::read_regular_file(&file, 1 << 20).ok()?).ok()?;
    let host = match config.get_hosts().first()? {
        Host::Tcp(name) => name.clone(),
        // libpq's name for a socket in the password file.
        Host::Unix(_) => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let database = config.get_dbname().or(config.get_user()).unwrap_or_default();
    let wanted = [host.as_str(), port.as_str(), database, config.get_user().unwrap_or_default()];
    text.lines().filter(|line| !line.starts_with('#')).find_map(|line| {
        let fields = pgpass_fields(line);
        let matches = fields.len() >= 5
            && fields[..4].iter().zip(wanted).all(|((field, any), value)| *any || field == value);
        matches.then(|| fields[4].0.clone())
    })
}

/// A password file's line split at its unescaped ':', each field with whether it is an
/// unescaped `*` (anything); a backslash escapes the character after it (an escaped `*` is a
/// star, an escaped `:` a colon).
fn pgpass_fields(line: &str) -> Vec<(String, bool)> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut escaped = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                escaped = true;
                field.push(chars.next().unwrap_or('\\'));
            }
            ':' => {
                let any = field == "*" && !escaped;
                fields.push((std::mem::take(&mut field), any));
                escaped = false;
            }
            c => field.push(c),
        }
    }
    let any = field == "*" && !escaped;
    fields.push((field, any));
    fields
}

fn value_of<'q>(query: &'q str, name: &str) -> &'q str {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map_or("", |(_, value)| value)
}

/// `%2F` and the like in a URL's value.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = value.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review of the black-box fixes, finding 1: rust-postgres takes the credentials up to the
    /// first '@' of the whole address, so an unencoded '@', '/' or '?' in a password is refused
    /// wherever it falls, and the refusal shows nothing of the address.
    #[test]
    fn a_password_with_an_unencoded_at_slash_or_question_mark_is_refused() {
        for url in [
            "postgresql://u:Kx@9Zp@db.example/permanence",
            "postgresql://u:p@ss/x@db.example/permanence",
            "postgresql://u:p/ss@db.example/permanence",
            "postgresql://u:123?x@db.example/permanence",
            "postgresql://db.example/permanence?password=p@ss",
        ] {
            match ServerUrl::parse(url) {
                Err(StoreError::Refused(_)) => {}
                other => panic!("{url}: {:?}", other.map(|u| u.redacted())),
            }
        }
        assert!(
            ServerUrl::parse("postgresql://u:p%40ss%2F%3F@db.example/permanence?sslmode=verify-full").is_ok()
        );
        assert!(ServerUrl::parse("postgresql://db.example/permanence?sslmode=verify-full").is_ok());
    }

    /// libpq's password file: fields split at unescaped ':', a bare `*` matches anything, an
    /// escaped one is a star, an escaped ':' is part of the field.
    #[test]
    fn password_file_lines_are_read_as_libpq_reads_them() {
        let fields = pgpass_fields(r"db.example:*:permanence:\*:pa\:ss\\w:rest");
        let plain: Vec<(&str, bool)> = fields.iter().map(|(f, any)| (f.as_str(), *any)).collect();
        assert_eq!(
            plain,
            [
                ("db.example", false),
                ("*", true),
                ("permanence", false),
                ("*", false),
                ("pa:ss\\w", false),
                ("rest", false)
            ]
        );
        assert_eq!(pgpass_fields("a:b").len(), 2, "a short line, never matched");
    }

    #[test]
    fn sslmode_is_read_as_libpq_reads_it_and_the_rest_handed_on() {
        let url = ServerUrl::parse(
            "postgresql://ecoute:secret@db.centre.example:5433/permanence?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.crt&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(url.ssl_mode, SslMode::VerifyFull);
        assert_eq!(url.root_cert.as_deref(), Some(Path::new("/etc/ca.crt")));
        assert_eq!(url.dbname(), Some("permanence"));
        assert_eq!(url.config.get_connect_timeout(), Some(&std::time::Duration::from_secs(5)));
        assert_eq!(
            ServerUrl::parse("postgres://localhost/db?sslmode=disable").unwrap().ssl_mode,
            SslMode::Disable
        );
        assert_eq!(ServerUrl::parse("postgresql://h/db?sslmode=require").unwrap().ssl_mode, SslMode::Require);
        assert!(ServerUrl::parse("postgresql://h/db?sslmode=sometimes").is_err());
        assert!(!format!("{url:?}").contains("secret"));
        assert_eq!(url.redacted(), "postgresql://ecoute@db.centre.example:5433/permanence");
        assert_eq!(ServerUrl::parse("postgres://h/db").unwrap().redacted(), "postgresql://h:5432/db");
    }

    /// Issue 18, review finding 9: libpq's default, `prefer`, takes whatever a server on the
    /// network offers, TLS unverified or none. Over a network only a verified connection is
    /// made: without `sslmode`, `verify-full`; the modes that verify nothing refused before
    /// anything is sent. On this machine (a socket, the loopback) TLS adds nothing.
    #[test]
    fn over_a_network_only_a_verified_connection_is_made() {
        let mode = |url: &str| ServerUrl::parse(url).map(|url| url.ssl_mode);
        assert_eq!(mode("postgresql://ecoute@db.centre.example/permanence").unwrap(), SslMode::VerifyFull);
        assert_eq!(mode("postgresql://ecoute@192.168.1.10/permanence").unwrap(), SslMode::VerifyFull);
        for weak in ["disable", "allow", "prefer"] {
            match mode(&format!("postgresql://ecoute:secret@db.centre.example/permanence?sslmode={weak}")) {
                Err(StoreError::WeakSslMode { server, mode }) => {
                    assert_eq!(mode, weak);
                    assert_eq!(server, "postgresql://ecoute@db.centre.example:5432/permanence");
                }
                other => panic!("{weak}: {other:?}"),
            }
        }
        // A loopback address given for a name elsewhere (`hostaddr`) is still the network's
        // name: its certificate is checked.
        assert!(matches!(
            mode("postgresql://e@db.centre.example/p?hostaddr=127.0.0.1&sslmode=prefer"),
            Err(StoreError::WeakSslMode { .. })
        ));
        // A name on this machine reached at an address elsewhere is the network.
        assert!(matches!(
            mode("postgresql://e@localhost/p?hostaddr=10.0.0.5&sslmode=disable"),
            Err(StoreError::WeakSslMode { .. })
        ));
        // Several hosts: every one must stay on this machine.
        assert!(matches!(
            mode("postgresql://e@localhost,db.centre.example/p?sslmode=prefer"),
            Err(StoreError::WeakSslMode { .. })
        ));
        for local in [
            "postgresql://e@localhost/p",
            "postgresql://e@127.0.0.1:5433/p",
            "postgresql://e@127.0.1.1/p",
            "postgresql://e@[::1]/p",
            "postgresql:///p?host=/var/run/postgresql",
        ] {
            assert_eq!(mode(local).unwrap(), SslMode::Prefer, "{local}");
            assert_eq!(
                mode(&format!("{local}{}sslmode=disable", if local.contains('?') { '&' } else { '?' }))
                    .unwrap(),
                SslMode::Disable,
                "{local}"
            );
        }
        assert!(ServerUrl::parse("postgresql:///p?host=/var/run/postgresql").unwrap().is_local());
        assert!(!ServerUrl::parse("postgresql://e@db.centre.example/p").unwrap().is_local());
    }

    /// Issue 21, point 3: a primary and its standbys in one URL; only one that takes writes is
    /// kept unless the URL says otherwise; each host is named where the server is told, and one
    /// host off the machine is enough for the URL to need a verified connection.
    #[test]
    fn a_url_may_name_a_primary_and_its_standbys() {
        use tokio_postgres::config::TargetSessionAttrs;
        let url = ServerUrl::parse("postgresql://e:secret@127.0.0.1:5432,127.0.0.1:5433/p").unwrap();
        assert_eq!(url.config.get_hosts().len(), 2);
        assert_eq!(url.config.get_ports(), [5432, 5433]);
        assert_eq!(url.config.get_target_session_attrs(), TargetSessionAttrs::ReadWrite);
        assert_eq!(url.redacted(), "postgresql://e@127.0.0.1:5432,127.0.0.1:5433/p");
        assert_eq!(url.ssl_mode, SslMode::Prefer, "both on this machine");
        let any =
            ServerUrl::parse("postgresql://e@localhost,localhost:5433/p?target_session_attrs=any").unwrap();
        assert_eq!(any.config.get_target_session_attrs(), TargetSessionAttrs::Any);
        let away = ServerUrl::parse("postgresql://e@localhost,db2.centre.example/p").unwrap();
        assert_eq!(away.ssl_mode, SslMode::VerifyFull);
        assert!(matches!(
            ServerUrl::parse("postgresql://e@localhost,db2.centre.example/p?sslmode=prefer"),
            Err(StoreError::WeakSslMode { .. })
        ));
    }

    /// Each host of a URL naming several is tried alone, with the rest of the URL as it is.
    #[test]
    fn a_url_with_several_hosts_is_tried_one_host_at_a_time() {
        assert_eq!(
            one_url_per_host("postgresql://e:s%40c@db1:5432,db2:5433/p?sslmode=verify-full"),
            [
                "postgresql://e:s%40c@db1:5432/p?sslmode=verify-full",
                "postgresql://e:s%40c@db2:5433/p?sslmode=verify-full"
            ]
        );
        let url = ServerUrl::parse("postgresql://e@localhost:5432,127.0.0.1:5433/p").unwrap();
        let hosts: Vec<String> = url.each_host.iter().map(ServerUrl::redacted).collect();
        assert_eq!(hosts, ["postgresql://e@localhost:5432/p", "postgresql://e@127.0.0.1:5433/p"]);
        assert!(ServerUrl::parse("postgresql://e@localhost/p").unwrap().each_host.is_empty());
        let other = url.with_dbname("q");
        assert!(other.each_host.iter().all(|one| one.dbname() == Some("q")));
    }

    /// Finding 2: what every session asks of the server, before the URL's own `options` (the
    /// last value of a setting wins), and the desk's TCP limits unless the URL gives its own.
    #[test]
    fn every_session_has_time_limits_and_the_url_may_change_them() {
        let url = ServerUrl::parse("postgresql://e@localhost/p").unwrap();
        let options = url.config.get_options().unwrap();
        for setting in [
            "lock_timeout=5s",
            "idle_in_transaction_session_timeout=15s",
            "statement_timeout=30s",
            "tcp_keepalives_idle=30",
            "tcp_keepalives_interval=10",
            "tcp_keepalives_count=3",
            "plan_cache_mode=force_custom_plan",
            "jit=off",
        ] {
            assert!(options.contains(&format!("-c {setting}")), "{setting} in {options}");
        }
        assert_eq!(url.config.get_keepalives_idle(), KEEPALIVES_IDLE);
        assert_eq!(url.config.get_keepalives_interval(), Some(KEEPALIVES_INTERVAL));
        assert_eq!(url.config.get_keepalives_retries(), Some(KEEPALIVES_RETRIES));
        assert_eq!(url.config.get_tcp_user_timeout(), Some(&TCP_USER_TIMEOUT));
        assert_eq!(url.config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));

        let own = ServerUrl::parse(
            "postgresql://e@localhost/p?options=-c%20lock_timeout%3D2s&keepalives_idle=60&tcp_user_timeout=5",
        )
        .unwrap();
        let options = own.config.get_options().unwrap();
        assert!(options.ends_with("-c lock_timeout=2s"), "{options}");
        assert!(options.find("lock_timeout=5s") < options.find("lock_timeout=2s"), "{options}");
        assert_eq!(own.config.get_keepalives_idle(), Duration::from_secs(60));
        assert_eq!(own.config.get_tcp_user_timeout(), Some(&Duration::from_secs(5)));
    }

    #[test]
    fn a_server_url_is_told_from_a_path() {
        assert!(is_server_url("postgresql://centre/permanence"));
        assert!(is_server_url("postgres://centre/permanence"));
        assert!(!is_server_url("/home/camille/permanence.db"));
        assert!(!is_server_url("postgresql:/relative"));
    }
}
