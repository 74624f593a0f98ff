//! A fresh database on the test server for each test. `.ci/pg-cluster start` starts a throwaway
//! cluster and exports its URL as `PERMANENCE_TEST_PG` (`.ci/run` does it). Without that URL a
//! server test is skipped with one line saying so, except under CI, where it fails: there the
//! server tests must run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::store::postgres::ServerUrl;

/// The variable holding the test server's URL (a role allowed to create databases).
pub const URL_VARIABLE: &str = "PERMANENCE_TEST_PG";

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
