//! The statistics screen's period change and the yearly report on a large store: the keypress
//! that changes the period (update, the store's figures through the runner, a 160×48 frame),
//! the figures alone, and the report in HTML and JSON.
//!
//!     cargo bench --bench statistics                        # 1,000,000 calls (builds the store once)
//!     cargo bench --bench statistics -- --calls 10000       # smaller store
//!
//! Stores are the keypress bench's (`benches/common`: `demo::build`, deterministic, under
//! target/bench-stores/).

mod common;

use std::time::{Duration, Instant};

use chrono::{Datelike, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

use common::{dismiss_popups, key, print};
use permanence::app::App;
use permanence::app::effect::Reply;
use permanence::config::Config;
use permanence::demo;
use permanence::domain::statistics::StatsPeriod;
use permanence::export::{ReportFormat, write_report};
use permanence::i18n::{Language, Strings};
use permanence::runner::Runner;
use permanence::store::{KdfParams, Store};
use permanence::ui;

fn main() {
    let options = common::options(20);
    let iterations = options.iterations;
    let common::DemoStore { location: db, local, .. } = common::demo_store(&options);
    println!("store: {db}");
    let supervisor = &demo::ACCOUNTS[0];
    let config = Config::default();
    let zone = config.timezone;
    let today = zone.today(Utc::now());

    // The figures alone, for each preset.
    let store = Store::open(&db, supervisor.login, supervisor.passphrase).unwrap();
    for (name, period) in [
        ("figures: this month", StatsPeriod::month_of(today)),
        ("figures: last month", StatsPeriod::previous_month(today)),
        ("figures: this year", StatsPeriod::year(today.year())),
        ("figures: last year", StatsPeriod::year(today.year() - 1)),
        (
            "figures: ten years (dates typed)",
            StatsPeriod::new(today - chrono::Duration::days(3652), today).unwrap(),
        ),
    ] {
        let calls = store.statistics(&config.statistics_of(period, Utc::now())).unwrap().summary.calls;
        let samples = (0..iterations)
            .map(|_| {
                let start = Instant::now();
                store.statistics(&config.statistics_of(period, Utc::now())).unwrap();
                start.elapsed()
            })
            .collect();
        print(&format!("{name} ({calls} calls)"), samples);
    }
    drop(store);

    // The yearly report (both years' figures, the audit entry, rendering, the atomic write).
    let mut store = Store::open(&db, supervisor.login, supervisor.passphrase).unwrap();
    let out = std::env::temp_dir().join(format!("permanence-bench-report-{}", std::process::id()));
    for (name, format) in
        [("yearly report, HTML", ReportFormat::Html), ("yearly report, JSON", ReportFormat::Json)]
    {
        let samples = (0..iterations.min(5))
            .map(|_| {
                let start = Instant::now();
                write_report(&mut store, &config, &local, today.year() - 1, format, Some(&out)).unwrap();
                start.elapsed()
            })
            .collect();
        print(&format!("{name} of last year"), samples);
    }
    let _ = std::fs::remove_file(&out);
    drop(store);

    // The keypress: the supervisor's terminal, the statistics screen open, → to the next period.
    // As in the terminal, the figures are read on a thread of their own and come back through the
    // loop: the key's own frame (the keyboard free again), then the frame with the figures.
    let strings = Strings::get(Language::Fr);
    let mut app = App::new(config.clone(), strings, vec![supervisor.login.to_owned()], Utc::now());
    let mut runner = Runner::new(db.clone(), local.clone(), &config, KdfParams::DEFAULT);
    let (delivered, figures) = std::sync::mpsc::channel();
    runner.read_aside(std::sync::Arc::new(move |reply| {
        let _ = delivered.send(reply);
    }));
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    common::unlock(&mut app, &mut runner, supervisor);
    dismiss_popups(&mut app, &mut runner);
    // A key, its frame, and with `wait`, the figures' frame: (to the key's frame, to the figures').
    let mut press = |code: KeyCode, mut wait: bool| {
        let start = Instant::now();
        let effects = app.handle_key(key(code));
        runner.run_all(&mut app, effects);
        terminal.draw(|frame| ui::draw(frame, &app)).unwrap();
        let key = start.elapsed();
        // Other reads made aside (the supervisor's view after the unlock) are shown on the way.
        while wait {
            let Some(reply) = runner.delivered(figures.recv().unwrap()) else { continue };
            wait = !matches!(reply, Reply::Statistics { .. } | Reply::StatisticsFailed { .. });
            let effects = app.apply(reply);
            runner.run_all(&mut app, effects);
            terminal.draw(|frame| ui::draw(frame, &app)).unwrap();
        }
        (key, start.elapsed())
    };
    press(KeyCode::F(6), true);
    let names = ["→ last month", "→ this year", "→ last year", "→ this month"];
    let mut samples: Vec<(Vec<Duration>, Vec<Duration>)> = vec![(Vec::new(), Vec::new()); 4];
    for _ in 0..iterations {
        for (keys, shown) in &mut samples {
            let (key, figures) = press(KeyCode::Right, true);
            keys.push(key);
            shown.push(figures);
        }
    }
    for (name, (keys, shown)) in names.iter().zip(samples) {
        print(&format!("period change {name}: key to frame"), keys);
        print(&format!("period change {name}: key to figures shown"), shown);
    }
    let samples = (0..iterations * 4).map(|_| press(KeyCode::Down, false).0).collect();
    print("next page (no store work)", samples);
}
