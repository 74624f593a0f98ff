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

    /// A client connected to it.
    pub fn connect(&self) -> ::postgres::Client {
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
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: CI must run the PostgreSQL tests: {URL_VARIABLE} is not set (see .ci/pg-cluster)"
            );
            eprintln!(
                "skipped {test}: no PostgreSQL server ({URL_VARIABLE} unset; `.ci/pg-cluster start` makes one)"
            );
            None
        }
    }
}

/// A new empty database on the test server for `test`, or `None` (skipped) without a server.
pub fn fresh_database(test: &str) -> Option<TestDatabase> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let url = server_url(test)?;
    let server = ServerUrl::parse(&url).expect("PERMANENCE_TEST_PG is a postgresql:// URL");
    let mut admin =
        server.connect().unwrap_or_else(|e| panic!("{test}: the test server cannot be reached: {e}"));
    let mut salt = [0u8; 4];
    getrandom::fill(&mut salt).expect("randomness");
    // Unique across the test processes run at once (pid) and within one (counter).
    let name = format!(
        "permanence_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        hex::encode(salt)
    );
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create a test database");
    let url = replace_dbname(&url, &name);
    Some(TestDatabase { server, name, url })
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
