//! What the benchmarks share: their options, the deterministic demo stores they measure on
//! (`demo::build`, made once under target/bench-stores/), how a measurement is printed, and a
//! terminal unlocked on a store through the real runtime path.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use zeroize::Zeroizing;

use permanence::app::App;
use permanence::app::effect::Effect;
use permanence::config::Config;
use permanence::demo::{self, DemoAccount};
use permanence::runner::Runner;

pub struct Options {
    pub calls: u64,
    pub iterations: usize,
}

/// `--calls N` (1,000,000 by default) and `--iterations N` (`iterations` by default).
pub fn options(iterations: usize) -> Options {
    let mut options = Options { calls: 1_000_000, iterations };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--calls" => options.calls = args.next().and_then(|v| v.parse().ok()).expect("--calls N"),
            "--iterations" => {
                options.iterations = args.next().and_then(|v| v.parse().ok()).expect("--iterations N")
            }
            _ => {} // cargo bench passes --bench
        }
    }
    options
}

/// The demo store of `calls` calls, built the first time it is asked for.
pub fn demo_store(calls: u64) -> PathBuf {
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
    db
}

/// Median, 99th percentile and maximum of `samples`, in milliseconds.
pub fn print(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<52} median {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms   (n={})",
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
