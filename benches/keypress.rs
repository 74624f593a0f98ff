//! Keypress to frame on a large store: update, the store work it triggers, and the draw,
//! measured together through the real runtime path (`Runner::run_all` + `ui::draw`). As in the
//! terminal, searches, files opened, the queue and the supervisor's view are read on a thread of their own
//! (`Runner::read_aside`): for those keys two figures, the key's own frame (the keyboard free
//! again) and the frame that shows the answer.
//!
//!     cargo bench --bench keypress                       # 1,000,000 calls (builds the store once)
//!     cargo bench --bench keypress -- --calls 10000      # smaller store
//!     cargo bench --bench keypress -- --calls 2000 --iterations 20   # CI smoke run
//!     cargo bench --bench keypress -- --db postgresql://user:pw@127.0.0.1/postgres --calls 100000
//!
//! Stores are built by `demo::build` (deterministic) and reused: files under
//! target/bench-stores/; on a server (`--db`, a role that may create databases), a database of
//! its own named by the count and `demo::VERSION` (`permanence_bench_100000_d1`), made next to
//! the URL's, kept for the next run and migrated when the schema is newer.

mod common;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use common::{DemoStore, key, print, tempfile_dir};
use permanence::app::App;
use permanence::app::effect::Effect;
use permanence::config::Config;
use permanence::demo;
use permanence::domain::assessment::{Rud, RudLevel};
use permanence::domain::call::{CallRecord, CallType, NewCall, Outcome};
use permanence::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use permanence::export::{SummaryFormat, write_summary};
use permanence::i18n::Language;
use permanence::i18n::Strings;
use permanence::runner::{Delivered, Runner};
use permanence::store::{KdfParams, ScopeRequest, Store};
use permanence::ui;

struct Bench {
    app: App,
    runner: Runner,
    terminal: Terminal<TestBackend>,
    /// What the reading thread delivers.
    delivered: Receiver<Delivered>,
}

/// A key's own frame, and the frame that shows what it asked to be read aside (the same when
/// it asked for nothing).
struct Timed {
    key: Duration,
    shown: Duration,
}

impl Bench {
    /// One keypress: update, the effects it triggers (store included), one frame.
    fn press(&mut self, key: KeyEvent) -> Duration {
        self.press_timed(key).key
    }

    /// One keypress as above, then what it asked to be read aside, shown.
    fn press_timed(&mut self, key: KeyEvent) -> Timed {
        let start = Instant::now();
        let effects = self.app.handle_key(key);
        self.run_timed(start, effects)
    }

    fn effect(&mut self, effect: Effect) -> Timed {
        self.run_timed(Instant::now(), vec![effect])
    }

    fn run_timed(&mut self, start: Instant, effects: Vec<Effect>) -> Timed {
        let mut awaited = effects.iter().filter(|effect| read_aside(effect)).count();
        self.runner.run_all(&mut self.app, effects);
        self.terminal.draw(|frame| ui::draw(frame, &self.app)).unwrap();
        let key = start.elapsed();
        while awaited > 0 {
            let delivered = self.delivered.recv_timeout(Duration::from_secs(60)).expect("a read's answer");
            let Some(reply) = self.runner.delivered(delivered) else { continue };
            awaited -= 1;
            let effects = self.app.apply(reply);
            self.runner.run_all(&mut self.app, effects);
            self.terminal.draw(|frame| ui::draw(frame, &self.app)).unwrap();
        }
        Timed { key, shown: start.elapsed() }
    }

    /// Types `text` a character at a time, then erases it, until about `n` keys were pressed.
    fn type_and_erase(&mut self, text: &str, n: usize) -> Vec<Timed> {
        let mut samples = Vec::new();
        for _ in 0..(n / text.len()).max(2) {
            for c in text.chars() {
                samples.push(self.press_timed(key(KeyCode::Char(c))));
            }
            for _ in text.chars() {
                samples.push(self.press_timed(key(KeyCode::Backspace)));
            }
        }
        samples
    }
}

/// Whether the terminal reads what `effect` asks for on its reading thread.
fn read_aside(effect: &Effect) -> bool {
    matches!(
        effect,
        Effect::SearchFiles { .. }
            | Effect::OpenFile { .. }
            | Effect::RefreshOverview
            | Effect::RefreshQueue
            | Effect::LoadSummary(_)
    )
}

/// Prints the key's own frame and the answer's, as two rows.
fn print_timed(name: &str, samples: Vec<Timed>) {
    let (keys, shown): (Vec<Duration>, Vec<Duration>) = samples.into_iter().map(|t| (t.key, t.shown)).unzip();
    print(&format!("{name}: key to frame"), keys);
    print(&format!("{name}: key to answer shown"), shown);
}

fn main() {
    let options = common::options(300);
    let DemoStore { location: db, local, size, key_file } = common::demo_store(&options);
    println!("store: {db}");
    {
        let supervisor = &demo::ACCOUNTS[0];
        let store = Store::open(&db, supervisor.login, supervisor.passphrase).unwrap();
        let counts = store.counts().unwrap();
        println!(
            "store: {} caller files, {} callbacks ({} pending)",
            counts.files, counts.callbacks, counts.pending_callbacks
        );
    }
    println!(
        "store: {} calls, {:.1} MB, {:.0} bytes per call",
        options.calls,
        size as f64 / 1e6,
        size as f64 / options.calls as f64
    );

    // Unlock: the key slot (Argon2id + AEAD: intended, tunable), then the rest. Each is
    // measured five times and the medians compared, since one key derivation varies by tens
    // of milliseconds.
    let account = &demo::ACCOUNTS[1];
    let mut kdf: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            drop(key_file.unlock(account.login, account.passphrase).unwrap());
            start.elapsed()
        })
        .collect();
    kdf.sort();
    let kdf = kdf[2];

    let strings = Strings::get(Language::Fr);
    let config = Config::default();
    let mut unlocks = Vec::new();
    let (mut app, mut runner, terminal, delivered) = loop {
        let mut app = App::new(config.clone(), strings, vec![account.login.to_owned()], Utc::now());
        let mut runner = Runner::new(db.clone(), local.clone(), &config, KdfParams::DEFAULT);
        let (deliver, delivered) = channel();
        runner.read_aside(Arc::new(move |reply| {
            let _ = deliver.send(reply);
        }));
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
        let start = Instant::now();
        common::unlock(&mut app, &mut runner, account);
        terminal.draw(|frame| ui::draw(frame, &app)).unwrap();
        unlocks.push(start.elapsed());
        if unlocks.len() == 5 {
            break (app, runner, terminal, delivered);
        }
    };
    unlocks.sort();
    let total = unlocks[2];
    println!(
        "unlock to first frame (median of 5): {:.0} ms = key derivation {:.0} ms (intended, tunable) + the rest {:.1} ms",
        total.as_secs_f64() * 1000.0,
        kdf.as_secs_f64() * 1000.0,
        total.saturating_sub(kdf).as_secs_f64() * 1000.0
    );
    // Dismiss the start-up popups (shift, handover).
    common::dismiss_popups(&mut app, &mut runner);
    let mut bench = Bench { app, runner, terminal, delivered };
    // What the unlock asked to be read aside (the supervisor's view…), shown.
    while let Ok(late) = bench.delivered.recv_timeout(Duration::from_millis(200)) {
        if let Some(reply) = bench.runner.delivered(late) {
            let effects = bench.app.apply(reply);
            bench.runner.run_all(&mut bench.app, effects);
        }
    }
    let n = options.iterations;
    common::count_requests_from_now();

    let samples = (0..n).map(|_| bench.press(key(KeyCode::Tab))).collect();
    print("switch pane (Tab)", samples);

    bench.press(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
    let samples = (0..n).map(|_| bench.press(key(KeyCode::Down))).collect();
    print("move in the callback queue", samples);

    bench.press(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    bench.press(key(KeyCode::Char('n')));
    bench.press(key(KeyCode::Enter));
    let text = "Appelle depuis sa cuisine, parle de sa fille qui ne répond plus. ";
    let samples = text.chars().cycle().take(n.max(200)).map(|c| bench.press(key(KeyCode::Char(c)))).collect();
    print("type a character in the notes", samples);
    // Once a second while a call is typed: the draft autosaved, and the other terminals'
    // changes looked for (on a server, the notifications read).
    let samples = (0..n)
        .map(|_| {
            let effects = bench.app.handle_key(key(KeyCode::Char('a')));
            bench.runner.run_all(&mut bench.app, effects);
            let later = bench.app.now + chrono::Duration::seconds(2);
            let start = Instant::now();
            let effects = bench.app.tick(later);
            assert!(effects.iter().any(|e| matches!(e, Effect::SaveDraft(_))), "{effects:?}");
            bench.runner.run_all(&mut bench.app, effects);
            bench.terminal.draw(|frame| ui::draw(frame, &bench.app)).unwrap();
            start.elapsed()
        })
        .collect();
    print("the second's tick while typing (autosave, poll)", samples);
    bench.press(key(KeyCode::Esc));

    // The file with the longest history.
    let store = Store::open(&db, account.login, account.passphrase).unwrap();
    let busiest = store.busiest_file().unwrap().expect("the demo has files");
    let history = store.calls_of_file(busiest).unwrap().len();
    drop(store);
    let samples = (0..n).map(|_| bench.effect(Effect::OpenFile { id: busiest, audited: false })).collect();
    print_timed("open a file (longest history)", samples);
    println!("  (that file has {history} calls)");
    let samples = (0..n).map(|_| bench.effect(Effect::OpenFile { id: busiest, audited: true })).collect();
    print_timed("the same, audited (a write: one audit entry)", samples);
    bench.press(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
    let samples = (0..n)
        .map(|i| {
            bench.press(key(if (i / history.max(1)).is_multiple_of(2) { KeyCode::Down } else { KeyCode::Up }))
        })
        .collect();
    print("move in that file's history", samples);
    bench.press(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));

    bench.press(key(KeyCode::Char('l')));
    let query = "isolée soirée KAT";
    let samples = bench.type_and_erase(query, n);
    print_timed("search as you type (files)", samples);
    // The same with filters: status "open", département 69 (Tab moves between the lines).
    for code in
        [KeyCode::Tab, KeyCode::Right, KeyCode::Tab, KeyCode::Char('6'), KeyCode::Char('9'), KeyCode::Tab]
    {
        bench.press(key(code));
    }
    let samples = bench.type_and_erase(query, n);
    print_timed("search as you type, filtered (status, département)", samples);
    bench.press(key(KeyCode::Esc));

    let samples = (0..n).map(|_| bench.effect(Effect::RefreshQueue)).collect();
    print_timed("callback queue refresh", samples);

    let samples = phone_event_to_frame(&mut bench, n);
    print("phone event to frame (ring, number looked up)", samples);

    let samples = (0..n).map(|_| bench.effect(Effect::RefreshOverview)).collect();
    print_timed("supervisor view refresh (who is on shift)", samples);

    // End of shift and a month: the figures, then the exports (a supervisor's).
    let supervisor = &demo::ACCOUNTS[0];
    let mut store = Store::open(&db, supervisor.login, supervisor.passphrase).unwrap();
    if let Some(shift) = store.last_closed_shift().unwrap() {
        let samples = (0..n / 10 + 1)
            .map(|_| {
                let start = Instant::now();
                store.summary(ScopeRequest::Shift(shift.id), Utc::now()).unwrap();
                start.elapsed()
            })
            .collect();
        print("end-of-shift summary (figures)", samples);
    }
    // Saving a call (the end of a call): the call, its themes and prompt, whatever the store keeps
    // for the figures, in one transaction. Each run adds these calls to the bench store, in its
    // last shift.
    if let Some(shift) = store.last_closed_shift().unwrap() {
        let samples = (0..n / 10 + 1)
            .map(|i| {
                let started_at = shift.started_at + chrono::Duration::seconds(i as i64);
                let call = saved_call(shift.id, started_at);
                let start = Instant::now();
                store.save_call(&call).unwrap();
                start.elapsed()
            })
            .collect();
        print("save a call (one transaction, fsync)", samples);
    }
    let month = ScopeRequest::Period { from: Utc::now() - chrono::Duration::days(30), to: Utc::now() };
    let figures = store.summary(month, Utc::now()).unwrap();
    let samples = (0..n / 10 + 1)
        .map(|_| {
            let start = Instant::now();
            store.summary(month, Utc::now()).unwrap();
            start.elapsed()
        })
        .collect();
    print("a month's summary (figures)", samples);
    let out = tempfile_dir();
    for (name, format) in [
        ("a month's export, Markdown", SummaryFormat::Markdown),
        ("a month's export, JSON", SummaryFormat::Json),
        ("a month's export, CSV", SummaryFormat::Csv),
    ] {
        let path = out.join("month");
        let samples = (0..5)
            .map(|_| {
                let start = Instant::now();
                write_summary(&mut store, &config, &local, month, format, Some(&path), false).unwrap();
                start.elapsed()
            })
            .collect();
        print(name, samples);
    }
    let _ = std::fs::remove_dir_all(&out);
    println!("  (that month: {} calls)", figures.calls);
    drop(store);

    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0);
    println!(
        "peak resident memory of this process: {:.1} MB (includes the 64 MiB of one key derivation)",
        rss / 1024.0
    );
    let now_rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0);
    println!("resident memory after all of the above: {:.1} MB", now_rss / 1024.0);
}

/// A call rings on a socket speaking baresip's `ctrl_tcp` (netstrings of its JSON), read by the
/// real baresip source on its thread, handed over a channel like the terminal's, then the app,
/// the store (the number's keyed hash and its earlier calls) and one frame: from the bytes
/// written to the frame drawn.
fn phone_event_to_frame(bench: &mut Bench, n: usize) -> Vec<Duration> {
    use std::io::Write;
    use std::sync::mpsc::channel;

    use permanence::phone::baresip::Baresip;
    use permanence::phone::netstring::encode;
    use permanence::phone::{Phone, PhoneEvent};

    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = server.local_addr().unwrap().to_string();
    let (events, received) = channel();
    let source = Box::new(Baresip { address, dial: "{number}".into() });
    let _phone = Phone::start(source, move |event| events.send(event).is_ok()).unwrap();
    let (mut socket, _) = server.accept().unwrap();
    assert_eq!(received.recv().unwrap(), PhoneEvent::Connected);
    bench.app.phone.enabled = true;
    bench.app.phone_event(PhoneEvent::Connected);
    (0..n)
        .map(|i| {
            let json = format!(
                r#"{{"event":true,"type":"CALL_INCOMING","class":"call","direction":"incoming","peeruri":"sip:+336{:08}@127.0.0.1","id":"bench{i}","param":""}}"#,
                i % 50
            );
            let frame = encode(json.as_bytes());
            let start = Instant::now();
            socket.write_all(&frame).unwrap();
            let event = received.recv().unwrap();
            let effects = bench.app.phone_event(event);
            bench.runner.run_all(&mut bench.app, effects);
            bench.terminal.draw(|frame| ui::draw(frame, &bench.app)).unwrap();
            let elapsed = start.elapsed();
            // Not answered, not missed: the next one rings afresh, nothing written.
            bench.app.phone.ringing = None;
            elapsed
        })
        .collect()
}

/// A private scratch folder for the export measurements.
/// A listening call of ten minutes with two themes and an acknowledged 3114, as a listener saves it.
fn saved_call(shift: permanence::domain::ShiftId, started_at: chrono::DateTime<Utc>) -> NewCall {
    let ended_at = started_at + chrono::Duration::minutes(10);
    NewCall {
        shift_id: shift,
        started_at,
        ended_at,
        call_type: CallType::Listening,
        time_spent: None,
        record: CallRecord {
            themes: vec!["isolement".into(), "famille".into()],
            rud: Rud { risk: Some(RudLevel::Medium), urgency: Some(RudLevel::Low), danger: None },
            outcome: Some(Outcome::Oriented),
            prompts: vec![PromptRecord {
                number: "3114".into(),
                rule: "suicidal_ideation".into(),
                raised_at: started_at,
                acknowledgement: Some(Acknowledgement {
                    at: ended_at,
                    outcome: PromptOutcome::NumberGiven,
                    note: None,
                }),
            }],
            ..CallRecord::default()
        },
    }
}
