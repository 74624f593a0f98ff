//! What the benchmarks share: their options, the deterministic demo stores they measure on
//! (`demo::build`, made once: a file under target/bench-stores/, or with `--db postgresql://…`
//! a database of its own on that server), how a measurement is printed (on a server, with the
//! requests each sample sent), and a terminal unlocked on a store through the real runtime path.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use zeroize::Zeroizing;

use permanence::app::App;
use permanence::app::effect::Effect;
use permanence::config::Config;
use permanence::demo::{self, DemoAccount};
use permanence::runner::Runner;
use permanence::store::postgres::{ServerUrl, requests_sent};
use permanence::store::{KeyFile, Location};

pub struct Options {
    pub calls: u64,
    pub iterations: usize,
    /// A server to build and measure the store on, instead of a file.
    pub server: Option<String>,
}

/// `--calls N` (1,000,000 by default), `--iterations N` (`iterations` by default) and
/// `--db postgresql://…` (a server rather than a file).
pub fn options(iterations: usize) -> Options {
    let mut options = Options { calls: 1_000_000, iterations, server: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--calls" => options.calls = args.next().and_then(|v| v.parse().ok()).expect("--calls N"),
            "--iterations" => {
                options.iterations = args.next().and_then(|v| v.parse().ok()).expect("--iterations N")
            }
            "--db" => options.server = Some(args.next().expect("--db postgresql://…")),
            _ => {} // cargo bench passes --bench
        }
    }
    options
}

/// The demo store measured: where it is, this machine's folder for it (the file itself, or a
/// stand-in for the server), its size in bytes and its key slots.
pub struct DemoStore {
    pub location: Location,
    pub local: PathBuf,
    pub size: u64,
    pub key_file: KeyFile,
}

/// The demo store the options name, built the first time it is asked for.
pub fn demo_store(options: &Options) -> DemoStore {
    match &options.server {
        Some(url) => server_store(url, options.calls),
        None => file_store(options.calls),
    }
}

fn file_store(calls: u64) -> DemoStore {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-stores");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("demo-{calls}.db"));
    if !db.exists() {
        println!("building the demo store of {calls} calls at {} …", db.display());
        let start = Instant::now();
        demo::build(&db, calls, &Config::default().themes, Config::default().retention_days)
            .expect("build the demo store");
        println!("built in {:.1} s", start.elapsed().as_secs_f64());
    }
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    let key_file = KeyFile::load(&KeyFile::path_for(&db)).unwrap();
    DemoStore { location: Location::from(&db), local: db, size, key_file }
}

/// The demo store on the server at `url`, in a database of its own named by what it holds, built
/// once (a database left half-built by an interrupted run is built again); a newer schema is
/// migrated to when the store is opened, as a file's is.
fn server_store(url: &str, calls: u64) -> DemoStore {
    let server = ServerUrl::parse(url).expect("--db takes a postgresql:// URL");
    let name = format!("permanence_bench_{calls}_d{}", demo::VERSION);
    let at = server.with_dbname(&name);
    let location = Location::from(at.clone());
    // A half-built one holds fewer calls; each run adds the few calls it saves.
    if !demo::verify(&location).is_ok_and(|held| held.calls >= calls) {
        let mut admin = server.connect().expect("the server at --db");
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("a role that may create databases");
        println!("building the demo store of {calls} calls in {} …", at.redacted());
        let start = Instant::now();
        demo::build(&location, calls, &Config::default().themes, Config::default().retention_days)
            .expect("build the demo store");
        println!("built in {:.1} s", start.elapsed().as_secs_f64());
    }
    let mut client = at.connect().unwrap();
    let size: i64 = client.query_one("SELECT pg_database_size(current_database())", &[]).unwrap().get(0);
    let body: Vec<u8> = client.query_one("SELECT body FROM key_file WHERE id = 1", &[]).unwrap().get(0);
    let key_file = KeyFile::parse(std::path::Path::new("key_file"), &body).unwrap();
    let local = tempfile_dir().join("server");
    DemoStore { location, local, size: size as u64, key_file }
}

/// A folder of this run's own under the system's temporary folder.
pub fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("permanence-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Requests sent to a server when the last row was printed.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// The requests the next row prints are counted from now.
pub fn count_requests_from_now() {
    REQUESTS.store(requests_sent(), Ordering::Relaxed);
}

/// Median, 99th percentile and maximum of `samples`, in milliseconds; on a server, with the
/// requests sent per sample since the last row (the round trips a keypress costs, whatever the
/// machine's load).
pub fn print(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let sent = requests_sent();
    let requests = sent - REQUESTS.swap(sent, Ordering::Relaxed);
    let trips = match requests {
        0 => String::new(),
        _ => format!("   {:.1} requests", requests as f64 / samples.len() as f64),
    };
    println!(
        "{name:<52} median {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms   (n={}){trips}",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(*samples.last().unwrap()),
        samples.len()
    );
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Unlocks `account` through the runner, as the unlock form does.
pub fn unlock(app: &mut App, runner: &mut Runner, account: &DemoAccount) {
    let unlock =
        Effect::Unlock { login: account.login.into(), passphrase: Zeroizing::new(account.passphrase.into()) };
    runner.run_all(app, vec![unlock]);
}

/// Dismisses what the unlock opens (the shift, the handover note), as Enter does.
pub fn dismiss_popups(app: &mut App, runner: &mut Runner) {
    while app.session.as_ref().is_some_and(|s| !s.popups.is_empty()) {
        let effects = app.handle_key(key(KeyCode::Enter));
        runner.run_all(app, effects);
    }
}
