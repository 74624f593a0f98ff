//! A fresh database on the test server for each test. `.ci/pg-cluster start` starts a throwaway
//! cluster and exports its URL as `PERMANENCE_TEST_PG` (`.ci/run` does it). Without that URL a
//! server test is skipped with one line saying so, except under CI, where it fails: there the
//! server tests must run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::store::postgres::ServerUrl;

/// The variable holding the test server's URL (a role allowed to create databases).
pub const URL_VARIABLE: &str = "PERMANENCE_TEST_PG";

/// The variable holding the test cluster's folder (`.ci/pg-cluster start` exports it): its
/// `server.log` is what an administrator reads.
pub const DIR_VARIABLE: &str = "PERMANENCE_TEST_PG_DIR";

/// An empty database of its own, dropped (connections cut) when this value is.
pub struct TestDatabase {
    server: ServerUrl,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Its URL, as `--db` takes it.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its URL as `role` connects to it.
    pub fn url_as(&self, role: &TestRole) -> String {
        with_role(&self.url, &role.name, &role.password)
    }

    /// Runs `sql` on it as the test server's superuser (what the centre's `postgres` does).
    pub fn as_superuser(&self, sql: &str) {
        self.connect().batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// A client connected to it.
    pub fn connect(&self) -> crate::store::postgres::Client {
        self.server.with_dbname(&self.name).connect().expect("connect to the test database")
    }

    /// From now on the server logs every statement of this database's new sessions with its
    /// parameters (`log_statement = 'all'`, as an administrator may set it); what it logged is
    /// read back from the cluster's `server.log`. `None` (skipped with one line outside CI, a
    /// failure under CI) when the cluster's folder is not known.
    pub fn log_statements(&self, test: &str) -> Option<StatementLog> {
        let dir = match std::env::var(DIR_VARIABLE) {
            Ok(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => {
                assert!(std::env::var_os("CI").is_none(), "{test}: CI must set {DIR_VARIABLE}");
                eprintln!("skipped {test}: the test cluster's folder is not known ({DIR_VARIABLE} unset)");
                return None;
            }
        };
        let mut admin = self.server.connect().expect("the test server");
        admin
            .batch_execute(&format!("ALTER DATABASE {} SET log_statement = 'all'", self.name))
            .expect("log this database's statements");
        let mut log = StatementLog { path: dir.join("server.log"), from: 0 };
        log.mark();
        Some(log)
    }
}

/// The statements the test server logged (`TestDatabase::log_statements`), from a mark on.
pub struct StatementLog {
    path: PathBuf,
    from: u64,
}

impl StatementLog {
    /// What is logged from now on is what `parameters` reads.
    pub fn mark(&mut self) {
        self.from = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
    }

    /// Every parameter value the server logged since the mark for the session of backend
    /// `pid`, as the log writes it (`NULL` unquoted, text unquoted, bytes as `\x…`).
    pub fn parameters(&self, pid: i32) -> Vec<String> {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(&self.path).expect("the server's log");
        file.seek(std::io::SeekFrom::Start(self.from)).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        let session = format!(" [{pid}] DETAIL:  parameters: ");
        text.lines()
            .filter_map(|line| line.split_once(&session).map(|(_, values)| values))
            .flat_map(logged_values)
            .collect()
    }
}

impl StatementLog {
    /// Every statement the server logged since the mark for the session of backend `pid`
    /// (simple ones and prepared ones as executed), first line only.
    pub fn statements(&self, pid: i32) -> Vec<String> {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(&self.path).expect("the server's log");
        file.seek(std::io::SeekFrom::Start(self.from)).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        let session = format!(" [{pid}] LOG:  ");
        text.lines()
            .filter_map(|line| line.split_once(&session).map(|(_, said)| said))
            .filter_map(|said| {
                said.strip_prefix("statement: ").or_else(|| {
                    said.strip_prefix("execute ").and_then(|rest| rest.split_once(": ").map(|(_, s)| s))
                })
            })
            .map(str::to_owned)
            .collect()
    }
}

/// `$1 = 'a''b', $2 = NULL` → `a'b`, `NULL`.
fn logged_values(line: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(" = ") {
        rest = &rest[at + 3..];
        if let Some(after) = rest.strip_prefix("NULL") {
            values.push("NULL".to_owned());
            rest = after;
            continue;
        }
        let Some(quoted) = rest.strip_prefix('\'') else { break };
        let mut value = String::new();
        let mut chars = quoted.char_indices().peekable();
        let mut end = quoted.len();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                    chars.next();
                } else {
                    end = i + 1;
                    break;
                }
            }
            value.push(c);
        }
        values.push(value);
        rest = &quoted[end..];
    }
    values
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort: a cluster removed at the end of the run takes what is left with it.
        if let Ok(mut admin) = self.server.connect() {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The test server's URL; `None`, with one line saying so, when there is none (a failure
/// under CI).
pub fn server_url(test: &str) -> Option<String> {
    variable(test, URL_VARIABLE, "`.ci/pg-cluster start` makes one")
}

/// The variable `name`, or `None` with one line saying so (a failure under CI).
fn variable(test: &str, name: &str, how: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: CI must run the PostgreSQL tests: {name} is not set (see .ci/pg-cluster)"
            );
            eprintln!("skipped {test}: no PostgreSQL server ({name} unset; {how})");
            None
        }
    }
}

/// The second test server, which admits TLS connections only (`.ci/pg-cluster start --tls`):
/// a certificate for `localhost` signed by a throwaway authority.
pub struct TlsServer {
    /// Its URL, naming `localhost`, without `sslmode`.
    pub url: String,
    /// The authority that signed the server's certificate.
    pub authority: PathBuf,
    /// An authority that signed nothing of this server.
    pub other_authority: PathBuf,
}

impl TlsServer {
    /// Its URL with these query parameters (`sslmode=verify-full&sslrootcert=…`).
    pub fn url_with(&self, query: &str) -> String {
        format!("{}?{query}", self.url)
    }
}

/// The TLS test server, or `None` (skipped, a failure under CI) without one.
pub fn tls_server(test: &str) -> Option<TlsServer> {
    let how = "`.ci/pg-cluster start --tls` makes one";
    let url = variable(test, "PERMANENCE_TEST_PG_TLS", how)?;
    let authority = variable(test, "PERMANENCE_TEST_PG_TLS_CA", how)?;
    let other_authority = variable(test, "PERMANENCE_TEST_PG_TLS_OTHER_CA", how)?;
    Some(TlsServer { url, authority: authority.into(), other_authority: other_authority.into() })
}

/// A login role of its own on the test server, with a random password: what a centre makes
/// with `createuser`. Declared before the database it owns or is granted, so that the
/// database is dropped first; the role is dropped with this value.
pub struct TestRole {
    server: ServerUrl,
    pub name: String,
    pub password: String,
}

impl TestRole {
    /// A new role on the server at `url` (a role allowed to create roles).
    pub fn new(url: &str, prefix: &str) -> TestRole {
        let server = ServerUrl::parse(url).expect("a postgresql:// URL");
        let name = format!("{prefix}_{}", unique_suffix());
        let mut password = [0u8; 16];
        getrandom::fill(&mut password).expect("randomness");
        let password = hex::encode(password);
        let mut admin = server.connect().expect("the test server");
        admin
            .batch_execute(&format!("CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
            .expect("create a test role");
        TestRole { server, name, password }
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        if let Ok(mut admin) = self.server.connect() {
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", self.name));
        }
    }
}

/// Unique across the test processes run at once (pid) and within one (counter).
fn unique_suffix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut salt = [0u8; 4];
    getrandom::fill(&mut salt).expect("randomness");
    format!("{}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), hex::encode(salt))
}

/// A new empty database on the test server for `test`, or `None` (skipped) without a server.
pub fn fresh_database(test: &str) -> Option<TestDatabase> {
    let url = server_url(test)?;
    Some(fresh_database_at(&url))
}

/// A new empty database on the server at `url` (a role allowed to create databases).
pub fn fresh_database_at(url: &str) -> TestDatabase {
    let server = ServerUrl::parse(url).expect("PERMANENCE_TEST_PG is a postgresql:// URL");
    let mut admin = server.connect().unwrap_or_else(|e| panic!("the test server cannot be reached: {e}"));
    let name = format!("permanence_test_{}", unique_suffix());
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create a test database");
    let url = replace_dbname(url, &name);
    TestDatabase { server, name, url }
}

/// Runs `docs/server-setup.sql` with `psql` in the database at `url` (as the centre's
/// `postgres` would), the terminals' role named `terminal`. `false`, with a line saying so,
/// without `psql` (a failure under CI, which installs it with the server).
pub fn run_server_setup(url: &str, terminal: &str) -> bool {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/server-setup.sql");
    let run = std::process::Command::new("psql")
        .args(["--no-psqlrc", "--quiet", "--dbname", url, "-v", &format!("terminal={terminal}"), "-f", file])
        .output();
    match run {
        Ok(out) => {
            assert!(
                out.status.success(),
                "docs/server-setup.sql failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            true
        }
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "CI installs psql with the server: {e}");
            eprintln!("psql not found ({e}): the part of the test that needs it is skipped");
            false
        }
    }
}

/// `url` with its role and password replaced.
pub fn with_role(url: &str, role: &str, password: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let host_at = url[after_scheme..].find('@').map_or(after_scheme, |i| after_scheme + i + 1);
    format!("{}{role}:{password}@{}", &url[..after_scheme], &url[host_at..])
}

/// The name a standby made by `OwnCluster::standby` gives its primary (`application_name`).
const STANDBY_NAME: &str = "permanence_standby";

/// A PostgreSQL cluster of one test's own, which the test may stop and start again (a server
/// restart, a cut cable) without disturbing the tests that share `.ci/pg-cluster`'s: the same
/// way that script makes one (Debian's `initdb` and `pg_ctl`, run as the `postgres` user when
/// the tests run as root, a random SCRAM password, a private socket folder and a free loopback
/// port, kept across restarts), in a folder removed when it is dropped.
pub struct OwnCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    password: String,
}

impl OwnCluster {
    /// A new cluster, started; `None` (skipped with one line outside CI, a failure under CI)
    /// where PostgreSQL's programs are not installed.
    pub fn start(test: &str) -> Option<OwnCluster> {
        let Some(bin) = pg_bin() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: CI installs PostgreSQL (.ci/pg-cluster install)"
            );
            eprintln!("skipped {test}: no initdb (Debian's postgresql is not installed)");
            return None;
        };
        let dir = std::env::temp_dir().join(format!("permanence-own-pg-{}", unique_suffix()));
        std::fs::create_dir_all(dir.join("socket")).expect("the cluster's folder");
        let mut password = [0u8; 16];
        getrandom::fill(&mut password).expect("randomness");
        let password = hex::encode(password);
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, format!("{password}\n")).expect("the password file");
        if is_root() {
            chown_to_postgres(&dir);
        }
        let cluster = OwnCluster { bin, dir, port: free_port(), password };
        cluster.run(
            "initdb",
            &[
                "-D",
                cluster.data().to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                &format!("--pwfile={}", pwfile.display()),
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        let _ = std::fs::remove_file(&pwfile);
        cluster.start_again();
        Some(cluster)
    }

    /// Its loopback port (kept across restarts; free while it is stopped).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its URL for the database `name`.
    pub fn url_of(&self, name: &str) -> String {
        format!("postgresql://postgres:{}@127.0.0.1:{}/{name}?sslmode=disable", self.password, self.port)
    }

    /// The URL a desk gives for the database `name` on this primary and its `standby`: both
    /// hosts, whichever takes writes chosen at each connection (without `target_session_attrs`:
    /// the program's own choice, `read-write`, is what is tested).
    pub fn url_with_standby(&self, standby: &OwnCluster, name: &str) -> String {
        format!(
            "postgresql://postgres:{}@127.0.0.1:{},127.0.0.1:{}/{name}?sslmode=disable",
            self.password, self.port, standby.port
        )
    }

    /// A new empty database on it.
    pub fn fresh_database(&self) -> TestDatabase {
        let url = self.url_of("postgres");
        let server = ServerUrl::parse(&url).expect("a postgresql:// URL");
        let name = format!("permanence_test_{}", unique_suffix());
        server
            .connect()
            .expect("the test's own server")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        TestDatabase { server, url: self.url_of(&name), name }
    }

    /// Stops the server at once, as a crash or `pg_ctl stop -m immediate` does: every
    /// connection is cut, nothing is given time to finish.
    pub fn stop_immediately(&self) {
        self.run("pg_ctl", &["-D", self.data().to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
    }

    /// Starts it again (after a stop) on the same port, and waits until it takes connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=50",
            self.port,
            self.dir.join("socket").display()
        );
        let log = self.dir.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// A streaming-replication standby of this cluster (issue 21, point 3: a centre's server
    /// that fails over), as a centre's IT volunteer makes one: a base backup (`pg_basebackup`,
    /// over the replication connection every cluster of `initdb` admits on the loopback),
    /// `standby.signal` and `primary_conninfo` naming this cluster; started on a port of its
    /// own, its WAL received as it is written. Same superuser and password as this one.
    pub fn standby(&self) -> OwnCluster {
        let dir = std::env::temp_dir().join(format!("permanence-own-pg-{}", unique_suffix()));
        std::fs::create_dir_all(dir.join("socket")).expect("the standby's folder");
        if is_root() {
            chown_to_postgres(&dir);
        }
        let standby =
            OwnCluster { bin: self.bin.clone(), dir, port: free_port(), password: self.password.clone() };
        let port = self.port.to_string();
        let data = standby.data();
        self.run(
            "pg_basebackup",
            &[
                "-D",
                data.to_str().unwrap(),
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-X",
                "stream",
                "--checkpoint=fast",
            ],
        );
        // The password travels in the file only the cluster's owner reads (0600 in a 0700
        // folder), as `pg_basebackup -R` would write it.
        let conninfo = format!(
            "primary_conninfo = 'host=127.0.0.1 port={port} user=postgres password={} application_name={STANDBY_NAME}'\n",
            self.password
        );
        let auto = data.join("postgresql.auto.conf");
        let mut settings = std::fs::read_to_string(&auto).unwrap_or_default();
        settings.push_str(&conninfo);
        std::fs::write(&auto, settings).expect("the standby's settings");
        std::fs::write(data.join("standby.signal"), "").expect("standby.signal");
        if is_root() {
            chown_to_postgres(&data);
        }
        standby.start_again();
        standby
    }

    /// Makes every commit wait until the standby `standby()` made has it (synchronous
    /// replication: what a desk was told saved survives the loss of this machine), and waits
    /// until the standby is the synchronous one.
    pub fn require_synchronous_standby(&self) {
        let mut client = ServerUrl::parse(&self.url_of("postgres"))
            .expect("a postgresql:// URL")
            .connect()
            .expect("the test's own server");
        // Two requests: a batch of several statements is one transaction, where ALTER SYSTEM
        // may not run.
        client
            .batch_execute(&format!("ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'"))
            .unwrap();
        client.batch_execute("SELECT pg_reload_conf()").unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let rows = client
                .query(
                    "SELECT sync_state FROM pg_stat_replication WHERE application_name = $1",
                    &[&STANDBY_NAME],
                )
                .unwrap();
            if rows.first().is_some_and(|row| row.get::<_, String>(0) == "sync") {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "the standby never became synchronous: {rows:?}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Promotes this standby to primary (`pg_ctl promote`), and waits until it takes writes.
    pub fn promote(&self) {
        self.run("pg_ctl", &["-D", self.data().to_str().unwrap(), "-w", "-t", "60", "promote"]);
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut command = if is_root() {
            let mut command = std::process::Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            std::process::Command::new(&program)
        };
        // The password for what connects to the cluster (`pg_basebackup`), as libpq's programs take it.
        let out = command
            .args(args)
            .env("PGPASSWORD", &self.password)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        assert!(
            out.status.success(),
            "{} {args:?}: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(if is_root() { "runuser" } else { "true" })
            .args(if is_root() { vec!["-u", "postgres", "--"] } else { vec![] })
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", self.data().to_str().unwrap_or_default(), "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A relay between a client and a test server that loses one answer the way a network does:
/// armed, it forwards the client's next `COMMIT` to the server, drops whatever the server says
/// back, and cuts the connection. The server commits; the client never hears it did.
pub struct CommitCutter {
    port: u16,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: std::sync::Arc<AtomicU32>,
}

impl CommitCutter {
    /// A relay on a free loopback port to the server of `url` (`host:port` in it).
    pub fn start(url: &str) -> CommitCutter {
        use std::sync::Arc;
        use std::sync::atomic::AtomicBool;
        let upstream = host_and_port(url);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let armed = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicU32::new(0));
        let (armed_here, cuts_here) = (Arc::clone(&armed), Arc::clone(&cuts));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = std::net::TcpStream::connect(&upstream) else { continue };
                relay(client, server, Arc::clone(&armed_here), Arc::clone(&cuts_here));
            }
        });
        CommitCutter { port, armed, cuts }
    }

    /// `url` through this relay.
    pub fn url(&self, url: &str) -> String {
        with_hosts(url, &format!("127.0.0.1:{}", self.port))
    }

    /// The next COMMIT sent through the relay is done and its answer lost.
    pub fn cut_after_next_commit(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// How many connections were cut so.
    pub fn cuts(&self) -> u32 {
        self.cuts.load(Ordering::SeqCst)
    }
}

/// `url` with its host and port replaced by `hosts` (several, comma-separated, for a URL that
/// names a primary and its standbys).
pub fn with_hosts(url: &str, hosts: &str) -> String {
    url.replacen(&host_and_port(url), hosts, 1)
}

/// The host and port of `url`, as written (`127.0.0.1:5432`).
pub fn host_and_port(url: &str) -> String {
    let after_at = url.rfind('@').map_or_else(|| url.find("://").map_or(0, |i| i + 3), |i| i + 1);
    let rest = &url[after_at..];
    rest[..rest.find(['/', '?']).unwrap_or(rest.len())].to_owned()
}

/// Two pumps, one each way; the client's pump, once armed and seeing `COMMIT`, makes the
/// server's drop everything and closes both ends after the server had time to commit.
fn relay(
    client: std::net::TcpStream,
    server: std::net::TcpStream,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: std::sync::Arc<AtomicU32>,
) {
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let deaf = Arc::new(AtomicBool::new(false));
    let (mut from_server, mut to_client) = (server.try_clone().unwrap(), client.try_clone().unwrap());
    let deaf_here = Arc::clone(&deaf);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16384];
        while let Ok(n) = from_server.read(&mut buffer) {
            if n == 0 || (!deaf_here.load(Ordering::SeqCst) && to_client.write_all(&buffer[..n]).is_err()) {
                break;
            }
        }
        let _ = to_client.shutdown(std::net::Shutdown::Both);
    });
    let (mut from_client, mut to_server) = (client, server);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16384];
        while let Ok(n) = from_client.read(&mut buffer) {
            if n == 0 {
                break;
            }
            let commit = buffer[..n].windows(7).any(|w| w == b"COMMIT\0");
            let cut = commit && armed.swap(false, Ordering::SeqCst);
            if cut {
                deaf.store(true, Ordering::SeqCst);
            }
            if to_server.write_all(&buffer[..n]).is_err() {
                break;
            }
            if cut {
                std::thread::sleep(std::time::Duration::from_millis(500));
                cuts.fetch_add(1, Ordering::SeqCst);
                let _ = from_client.shutdown(std::net::Shutdown::Both);
                let _ = to_server.shutdown(std::net::Shutdown::Both);
                break;
            }
        }
    });
}

/// Where Debian keeps the server's programs (outside PATH, one folder per major version), as
/// `.ci/pg-cluster` finds them. An `initdb` on PATH counts by the folder it links to: a machine
/// may link a few of them into `/usr/local/bin`, without `pg_basebackup` beside them.
fn pg_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
            .and_then(|dir| dir.join("initdb").canonicalize().ok())
            .and_then(|initdb| initdb.parent().map(PathBuf::from))
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort_by_key(|bin| {
            bin.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
        });
        versions.pop()
    })
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

fn chown_to_postgres(dir: &std::path::Path) {
    let out = std::process::Command::new("chown").args(["-R", "postgres:"]).arg(dir).output();
    assert!(out.is_ok_and(|o| o.status.success()), "chown {} to postgres", dir.display());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn replace_dbname(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..].find('/').map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_rest_kept() {
        assert_eq!(
            replace_dbname("postgresql://u:p@127.0.0.1:5432/postgres?sslmode=disable", "t1"),
            "postgresql://u:p@127.0.0.1:5432/t1?sslmode=disable"
        );
        assert_eq!(replace_dbname("postgresql://host", "t2"), "postgresql://host/t2");
        assert_eq!(
            with_role("postgresql://u:p@127.0.0.1:5432/t1?sslmode=disable", "ecoute", "x"),
            "postgresql://ecoute:x@127.0.0.1:5432/t1?sslmode=disable"
        );
        assert_eq!(with_role("postgresql://h/db", "r", "s"), "postgresql://r:s@h/db");
    }

    #[test]
    fn logged_parameters_are_read_back_unquoted() {
        assert_eq!(
            logged_values("$1 = 'l''appel', $2 = NULL, $3 = '\\x00ff', $4 = '{\"\\\\x01\"}'"),
            ["l'appel", "NULL", "\\x00ff", "{\"\\\\x01\"}"]
        );
    }

    #[test]
    fn each_test_gets_its_own_empty_database_dropped_afterwards() {
        let Some(first) = fresh_database("each_test_gets_its_own_empty_database_dropped_afterwards") else {
            return;
        };
        let second = fresh_database("each_test_gets_its_own_empty_database_dropped_afterwards").unwrap();
        assert_ne!(first.name(), second.name());
        let mut client = first.connect();
        let tables: i64 = client
            .query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", &[])
            .unwrap()
            .get(0);
        assert_eq!(tables, 0);
        client.batch_execute("CREATE TABLE only_in_first (x BIGINT)").unwrap();
        let seen: i64 = second
            .connect()
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'only_in_first'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(seen, 0, "a test's tables are not seen by another");
        drop(client);
        let name = first.name().to_owned();
        let server = first.server.clone();
        drop(first);
        let left: i64 = server
            .connect()
            .unwrap()
            .query_one("SELECT count(*) FROM pg_database WHERE datname = $1", &[&name])
            .unwrap()
            .get(0);
        assert_eq!(left, 0, "dropped with its value");
    }
}
