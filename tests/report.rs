//! The yearly activity report as a person gets it: the real binary writes it from a demo store,
//! headless Chromium opens it (its text checked against figures counted here in plain SQL), takes
//! a screenshot and prints it to PDF (the page count checked). In CI Chromium must be there (`.ci/run`
//! installs it); elsewhere, without it, the browser part is skipped with a line saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use common::cli::{run, text};
use common::*;
use permanence::config::Config;
use permanence::domain::call::{CallRecord, CallType, NewCall};
use permanence::store::Store;

/// Thousands as the French report writes them (a narrow no-break space).
fn french(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Headless Chromium with no network of its own, a throwaway profile, and `args`.
fn browse(browser: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("run chromium")
}

#[test]
fn the_yearly_report_reads_right_in_a_browser_and_prints_on_eight_a4_pages() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    // 90 days of this year's calls, then a few in the year before (the comparison).
    permanence::demo::build(&db, 3000, &Config::default().themes, 36_500).unwrap();
    let year = Utc::now().with_timezone(&Paris).format("%Y").to_string().parse::<i32>().unwrap();
    {
        let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let listener = store.actor().id;
        let bulk = store.bulk().unwrap();
        for day in 0..200 {
            let start = Paris.with_ymd_and_hms(year - 1, 1, 1, 19, 0, 0).unwrap().with_timezone(&Utc)
                + Duration::days(day);
            let shift = bulk.shift(listener, start, Some(start + Duration::hours(4)), None).unwrap();
            let call = NewCall {
                shift_id: shift,
                started_at: start + Duration::minutes(10),
                ended_at: start + Duration::minutes(35),
                call_type: CallType::Listening,
                time_spent: None,
                record: CallRecord { themes: vec!["isolement".into()], ..CallRecord::default() },
            };
            bulk.call(listener, &call).unwrap();
        }
        bulk.commit().unwrap();
    }

    let out_path = home.path().join("rapport.html");
    let (db_arg, out_arg, year_arg) = (db.to_str().unwrap(), out_path.to_str().unwrap(), year.to_string());
    let out = run(
        home.path(),
        &[
            "--db",
            db_arg,
            "--as",
            SUPERVISOR,
            "--passphrase-stdin",
            "report",
            "--year",
            &year_arg,
            "--out",
            out_arg,
        ],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&out_path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&out_path).unwrap().permissions().mode() & 0o777, 0o600);

    // Self-contained: no script, nothing fetched.
    let lower = html.to_lowercase();
    for forbidden in ["<script", "http://", "https://", "<link", "@import", "url("] {
        let allowed_svg_ns = forbidden == "http://"
            && lower.matches("http://").count() == lower.matches("http://www.w3.org/2000/svg").count();
        assert!(allowed_svg_ns || !lower.contains(forbidden), "the report holds {forbidden:?}");
    }
    assert_eq!(html.matches("<svg").count(), 4, "four inline charts (the phone's: the demo misses calls)");

    // The figures, counted independently over the local year (Paris).
    let conn = raw_connection(&db);
    let bounds = |y: i32| {
        (
            Paris.with_ymd_and_hms(y, 1, 1, 0, 0, 0).unwrap().timestamp(),
            Paris.with_ymd_and_hms(y + 1, 1, 1, 0, 0, 0).unwrap().timestamp(),
        )
    };
    let count = |sql: &str, (from, to): (i64, i64)| -> i64 {
        conn.query_row(sql, [from, to], |row| row.get(0)).unwrap()
    };
    let calls = count("SELECT count(*) FROM call WHERE started_at >= ?1 AND started_at < ?2", bounds(year));
    let calls_before =
        count("SELECT count(*) FROM call WHERE started_at >= ?1 AND started_at < ?2", bounds(year - 1));
    assert_eq!(calls_before, 200);
    let prompts = count(
        "SELECT count(*) FROM emergency_prompt p JOIN call c ON c.id = p.call_id WHERE c.started_at >= ?1 AND c.started_at < ?2",
        bounds(year),
    );
    let callbacks =
        count("SELECT count(*) FROM callback WHERE created_at >= ?1 AND created_at < ?2", bounds(year));
    let listening_hours = count(
        "SELECT sum(min(ended_at, ?2) - max(started_at, ?1)) / 3600 FROM shift WHERE started_at < ?2 AND ended_at > ?1",
        bounds(year),
    );
    assert!(calls > 1000 && prompts > 0 && callbacks > 0);

    // Statistics only: no file code, no note.
    let codes: Vec<String> = conn
        .prepare("SELECT code FROM caller_file")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!codes.is_empty());
    for code in &codes {
        assert!(!html.contains(code.as_str()), "file code {code} in the report");
    }
    let notes: Vec<String> = conn
        .prepare("SELECT DISTINCT notes FROM call WHERE notes <> '' LIMIT 50")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for note in notes.iter().filter(|n| n.len() > 20) {
        assert!(!html.contains(note.as_str()), "a note in the report");
    }

    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (.ci/run)");
        eprintln!("SKIPPED the browser part: no chromium at /usr/bin/chromium (apt-get install chromium)");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", out_path.display());

    // What a person reads: the DOM's text holds the figures counted above.
    let dom = browse(&browser, profile.path(), &["--dump-dom", &url]);
    assert!(dom.status.success(), "{}", text(&dom.stderr));
    let dom = text(&dom.stdout);
    let cell = |index: usize| -> String {
        let marker = format!("data-figure=\"{index}\">");
        let at = dom.find(&marker).unwrap_or_else(|| panic!("figure {index} in the page")) + marker.len();
        dom[at..at + dom[at..].find('<').unwrap()].to_owned()
    };
    assert!(dom.contains(&format!("Rapport d'activité {year}")), "the title, in French");
    assert_eq!(cell(0), french(calls), "calls");
    assert_eq!(cell(2), french(listening_hours), "listening hours");
    assert_eq!(cell(9), french(prompts), "emergency numbers prompted");
    // The lengths' table counts the contacts timed from start to end (written ones apart).
    let timed = count(
        "SELECT count(*) FROM call WHERE started_at >= ?1 AND started_at < ?2 AND time_spent IS NULL",
        bounds(year),
    );
    assert!(
        dom.contains(&format!("<td>{}</td><td>{}</td>", french(timed), french(calls_before))),
        "the year against the year before"
    );
    assert!(
        dom.contains(&format!("<td>Rappels prévus</td><td>{}</td>", french(callbacks))),
        "callbacks scheduled"
    );
    assert!(dom.contains("Méthode"));
    // Contacts by channel, and the phone: missed calls, and answered ones (the phone calls but
    // the callbacks the line made).
    let phone_calls = count(
        "SELECT count(*) FROM call c WHERE c.started_at >= ?1 AND c.started_at < ?2 AND c.channel = 'phone'",
        bounds(year),
    );
    let email = count(
        "SELECT count(*) FROM call WHERE started_at >= ?1 AND started_at < ?2 AND channel = 'email'",
        bounds(year),
    );
    let missed = count("SELECT count(*) FROM missed_call WHERE rang_at >= ?1 AND rang_at < ?2", bounds(year));
    let performed = count(
        "SELECT count(*) FROM call c WHERE c.started_at >= ?1 AND c.started_at < ?2 AND c.channel = 'phone'
         AND EXISTS (SELECT 1 FROM callback_attempt a WHERE a.call_id = c.id)",
        bounds(year),
    );
    assert!(missed > 0 && email > 0, "the demo misses calls and is written to");
    assert!(dom.contains(&format!("<td>téléphone</td><td>{}</td>", french(phone_calls))), "phone calls");
    assert!(dom.contains(&format!("<td>e-mail</td><td>{}</td>", french(email))), "e-mails");
    assert!(dom.contains(&format!("<td>manqués</td><td>{}</td>", french(missed))), "missed calls");
    assert!(
        dom.contains(&format!("<td>décrochés</td><td>{}</td>", french(phone_calls - performed))),
        "answered calls"
    );

    // What a person sees: a screenshot (kept beside the report for a human to look at).
    let shot = home.path().join("rapport.png");
    let shot_arg = format!("--screenshot={}", shot.display());
    let done = browse(&browser, profile.path(), &[&shot_arg, "--window-size=1000,1400", &url]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a real screenshot ({} bytes)", png.len());
    if let Some(keep) = std::env::var_os("PERMANENCE_KEEP_REPORT") {
        std::fs::copy(&shot, Path::new(&keep).join("rapport.png")).unwrap();
        std::fs::copy(&out_path, Path::new(&keep).join("rapport.html")).unwrap();
    }

    // Printed: one A4 page per part, eight parts.
    let pdf = home.path().join("rapport.pdf");
    let pdf_arg = format!("--print-to-pdf={}", pdf.display());
    let done = browse(&browser, profile.path(), &[&pdf_arg, "--no-pdf-header-footer", &url]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    let bytes = std::fs::read(&pdf).unwrap();
    let pdf_text = String::from_utf8_lossy(&bytes);
    let pages =
        pdf_text.match_indices("/Type /Page").filter(|(at, _)| !pdf_text[at + 11..].starts_with('s')).count()
            + pdf_text
                .match_indices("/Type/Page")
                .filter(|(at, _)| !pdf_text[at + 10..].starts_with('s'))
                .count();
    assert_eq!(html.matches("<section").count(), 8);
    assert_eq!(pages, 8, "one printed page per part");
}

/// `--format json`, encrypted to the configured recipients: the same figures as the store's,
/// nothing plain on disk, the export in the audit log; a listener is refused.
#[test]
fn the_json_report_is_encrypted_audited_and_holds_the_stores_figures() {
    use permanence::config::ExportConfig;
    use permanence::domain::statistics::StatsPeriod;
    use permanence::export::{ReportFormat, write_report};

    let home = tempfile::tempdir().unwrap();
    let db = db_in(home.path());
    let mut store = create(&db);
    add_listener(&mut store);
    let identity = age::x25519::Identity::generate();
    let config = Config {
        export: ExportConfig { directory: None, recipients: vec![identity.to_public().to_string()] },
        ..Config::default()
    };
    let path = write_report(&mut store, &config, &db, 2026, ReportFormat::Json, None).unwrap();
    assert!(path.to_string_lossy().ends_with("report-2026.json.age"), "{}", path.display());
    let plain = decrypt(&path, &identity);
    let json: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(json["format"], permanence::export::report::FORMAT);
    assert_eq!(json["version"], 2);
    assert_eq!(json["year"], 2026);
    let figures = store.statistics(&config.statistics_of(StatsPeriod::year(2026), Utc::now())).unwrap();
    assert_eq!(json["current"]["by_weekday_hour"], serde_json::to_value(figures.by_weekday_hour).unwrap());
    assert_eq!(json["current"]["period"]["first"], "2026-01-01");
    assert_eq!(json["previous"]["period"]["last"], "2025-12-31");
    assert!(json["current"]["phone"].is_null() && json["current"]["by_channel"].is_null());
    // The channels and the phone are the summary's; the phone by hour and the coverage beside.
    assert_eq!(
        json["current"]["summary"]["by_channel"],
        serde_json::to_value(&figures.summary.by_channel).unwrap()
    );
    assert_eq!(json["current"]["phone_by_hour"].as_array().unwrap().len(), 24);
    assert!(json["current"]["coverage"].is_null(), "no opening hours in the config");
    assert!(
        found_in_dir(home.path(), permanence::export::report::FORMAT.as_bytes()).is_empty(),
        "no plaintext"
    );
    let head = json["audit_head"]["entry"].as_i64().unwrap();
    assert!(json["audit_head"]["recorded"].as_bool().unwrap());
    drop(store);

    let mut listener = Store::open(&db, LISTENER, LISTENER_PASS).unwrap();
    let refused = write_report(&mut listener, &Config::default(), &db, 2026, ReportFormat::Html, None);
    assert!(refused.is_err(), "a listener writes no yearly report");
    assert!(head > 0);
}
