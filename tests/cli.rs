//! The real binary, as a supervisor would use it from a shell or a script.

mod common;

use common::cli::{init, run, text};
use common::{SUPERVISOR, SUPERVISOR_PASS};
use permanence::domain::listener::Role;
use permanence::store::{KdfParams, KeyFile, NewAccount};

#[test]
fn init_then_accounts_then_check() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("data/permanence.db");
    let db = db.to_str().unwrap();
    init(home.path(), db);
    let keys = format!("{db}.keys");
    use std::os::unix::fs::PermissionsExt;
    for file in [db, keys.as_str()] {
        assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{file}");
    }

    let again = run(home.path(), &["--db", db, "--passphrase-stdin", "init"], "une autre phrase longue\n");
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already exists"), "{}", text(&again.stderr));

    let add = run(
        home.path(),
        &["--db", db, "--passphrase-stdin", "listener", "add", "camille", "--name", "Camille"],
        &format!("{SUPERVISOR_PASS}\ntrois pommes bleues\n"),
    );
    assert!(add.status.success(), "{}", text(&add.stderr));
    let list = run(
        home.path(),
        &["--db", db, "--as", "camille", "--passphrase-stdin", "listener", "list"],
        "trois pommes bleues\n",
    );
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listing = text(&list.stdout);
    assert!(
        listing.contains("camille") && listing.contains("coord") && listing.contains("supervisor"),
        "{listing}"
    );

    // Two accounts now: the command must be told who acts.
    let ambiguous = run(home.path(), &["--db", db, "--passphrase-stdin", "check"], "x\n");
    assert!(text(&ambiguous.stderr).contains("--as LOGIN"), "{}", text(&ambiguous.stderr));

    let check = run(
        home.path(),
        &["--db", db, "--as", SUPERVISOR, "--passphrase-stdin", "check"],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(check.status.success(), "{}{}", text(&check.stdout), text(&check.stderr));
    assert!(text(&check.stdout).starts_with("OK"));
}

#[test]
fn a_weak_passphrase_is_refused_and_nothing_is_created() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let out = run(home.path(), &["--db", db.to_str().unwrap(), "--passphrase-stdin", "init"], "motdepasse\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("au moins 12 caractères"), "{}", text(&out.stderr));
    assert!(!db.exists());
}

/// The four easy guesses, refused with a French reason wherever a passphrase is
/// chosen: at `init`, for a new account, for one's own change and for a supervisor's reset.
#[test]
fn easy_guesses_are_refused_in_french_at_init_new_account_change_and_reset() {
    const EASY: [&str; 4] = ["aaaaaaaaaaab", "abababababab", "1234567890123", "motdepasse12345"];
    let refused = |out: &std::process::Output, what: &str| {
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{what}: accepted");
        assert!(stderr.contains("Phrase de passe trop facile à deviner : elle "), "{what}: {stderr}");
        assert!(!stderr.contains("guess") && !stderr.contains("Add another word"), "{what}: {stderr}");
    };
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db = db.to_str().unwrap();
    for easy in EASY {
        let out = run(home.path(), &["--db", db, "--passphrase-stdin", "init"], &format!("{easy}\n"));
        refused(&out, &format!("init with {easy}"));
        assert!(!std::path::Path::new(db).exists(), "nothing created");
    }
    init(home.path(), db);
    let add = |passphrase: &str| {
        run(
            home.path(),
            &["--db", db, "--passphrase-stdin", "listener", "add", "croux", "--name", "Camille Roux"],
            &format!("{SUPERVISOR_PASS}\n{passphrase}\n"),
        )
    };
    for easy in EASY {
        refused(&add(easy), &format!("listener add with {easy}"));
    }
    // Her own name is weighed too.
    refused(&add("camilleroux1990"), "her own name");
    let good = add("quatre poires jaunes");
    assert!(good.status.success(), "{}", text(&good.stderr));
    for easy in EASY {
        let change = run(
            home.path(),
            &["--db", db, "--as", "croux", "--passphrase-stdin", "listener", "passwd"],
            &format!("quatre poires jaunes\n{easy}\n"),
        );
        refused(&change, &format!("her own change to {easy}"));
        let reset = run(
            home.path(),
            &["--db", db, "--as", SUPERVISOR, "--passphrase-stdin", "listener", "passwd", "croux"],
            &format!("{SUPERVISOR_PASS}\n{easy}\n"),
        );
        refused(&reset, &format!("a reset to {easy}"));
    }
    // Nothing was changed: her passphrase still opens, and a good new one is taken.
    let change = run(
        home.path(),
        &["--db", db, "--as", "croux", "--passphrase-stdin", "listener", "passwd"],
        "quatre poires jaunes\ntrois pommes vertes sous la pluie\n",
    );
    assert!(change.status.success(), "{}", text(&change.stderr));
}

#[test]
fn a_wrong_passphrase_is_told_plainly() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db = db.to_str().unwrap();
    init(home.path(), db);
    let out =
        run(home.path(), &["--db", db, "--passphrase-stdin", "listener", "list"], "pas la bonne phrase\n");
    assert!(!out.status.success());
    assert_eq!(text(&out.stderr), "permanence: wrong passphrase\n");
}

#[test]
fn check_names_damage_and_sqlcipher_stays_quiet() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("permanence.db");
    let db = path.to_str().unwrap();
    init(home.path(), db);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() >= 3 * 4096, "several pages");
    // Damage the last page: the file still opens, the check must find it.
    let last = bytes.len() - 2000;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let out = run(home.path(), &["--db", db, "--passphrase-stdin", "check"], &format!("{SUPERVISOR_PASS}\n"));
    let stdout = text(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("FAULT"), "{stdout}");
    assert_eq!(text(&out.stderr), "", "no SQLCipher log over the terminal");

    // A damaged key file is named as such, not taken for a wrong passphrase.
    let keys = format!("{db}.keys");
    let slots = std::fs::read(&keys).unwrap();
    std::fs::write(&keys, &slots[..slots.len() / 2]).unwrap();
    let out = run(home.path(), &["--db", db, "--passphrase-stdin", "check"], &format!("{SUPERVISOR_PASS}\n"));
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("FAULT: the key file"), "{}", text(&out.stdout));
    std::fs::write(&keys, &slots).unwrap();

    // Damage the first page: the database cannot even be opened, and says so.
    bytes[200] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let out = run(home.path(), &["--db", db, "--passphrase-stdin", "check"], &format!("{SUPERVISOR_PASS}\n"));
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("FAULT: the database is damaged"), "{}", text(&out.stdout));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn a_config_error_names_the_key_and_the_line() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "language = \"fr\"\nidle_lock_minutes = 5\ncolour = \"red\"\n").unwrap();
    let out = run(home.path(), &["--config", config.to_str().unwrap(), "--db", "/nonexistent/p.db"], "");
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("line 3") && stderr.contains("colour"), "{stderr}");
}

#[test]
fn the_config_file_chooses_the_database() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("from-config.db");
    let config = home.path().join("config.toml");
    std::fs::write(&config, format!("database = {:?}\n", db.to_str().unwrap())).unwrap();
    let out = run(
        home.path(),
        &["--config", config.to_str().unwrap(), "--passphrase-stdin", "init"],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(db.exists());
}

#[test]
fn every_command_has_help() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["init", "--help"],
        &["demo", "--help"],
        &["listener", "--help"],
        &["listener", "add", "--help"],
        &["listener", "passwd", "--help"],
        &["check", "--help"],
        &["queue", "--help"],
        &["backup", "--help"],
    ] {
        let out = run(home.path(), args, "");
        assert!(out.status.success(), "{args:?}");
        assert!(text(&out.stdout).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn demo_builds_then_reopens() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    let db = db.to_str().unwrap();
    let out = run(home.path(), &["--db", db, "demo", "--calls", "400"], "");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("400 calls"), "{stdout}");
    assert!(stdout.contains("lune verte soixante"), "the demo passphrases are shown");
    let again = run(home.path(), &["--db", db, "demo"], "");
    assert!(text(&again.stdout).contains("already exists") && text(&again.stdout).contains("400 calls"));
    let check = run(
        home.path(),
        &["--db", db, "--as", "coord", "--passphrase-stdin", "check"],
        "lune verte soixante\n",
    );
    assert!(check.status.success(), "{}", text(&check.stdout));
}

#[test]
fn the_terminal_needs_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["--db", home.path().join("none.db").to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("needs a terminal"), "{}", text(&out.stderr));
}

#[test]
fn the_queue_for_another_terminal_in_text_and_json() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    let db = db.to_str().unwrap();
    let out = run(home.path(), &["--db", db, "demo", "--calls", "300"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let args = ["--db", db, "--as", "coord", "--passphrase-stdin", "queue", "--format", "json"];
    let out = run(home.path(), &args, "lune verte soixante\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let callbacks = document["callbacks"].as_array().unwrap();
    assert!(callbacks.len() >= 8, "the demo has callbacks around now");
    // Overdue first.
    let overdue: Vec<bool> = callbacks.iter().map(|c| c["overdue"].as_bool().unwrap()).collect();
    assert!(overdue.windows(2).all(|w| w[0] >= w[1]), "{overdue:?}");
    assert!(callbacks.iter().all(|c| c.get("callback_number").is_none()), "no phone number leaves");
    let out = run(
        home.path(),
        &["--db", db, "--as", "coord", "--passphrase-stdin", "queue"],
        "lune verte soixante\n",
    );
    assert!(text(&out.stdout).contains("OVERDUE"), "{}", text(&out.stdout));
}

#[test]
fn right_of_access_export_holds_and_purge_from_the_shell() {
    use permanence::domain::caller_file::FileProfile;
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db_str = db.to_str().unwrap();
    init(home.path(), db_str);
    let code = {
        let mut store = permanence::store::Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let profile =
            FileProfile { situation_summary: "Résumé CANARY-ACCESS".into(), ..FileProfile::default() };
        store.create_file(&profile).unwrap().code
    };
    let pass = format!("{SUPERVISOR_PASS}\n");

    let out_file = home.path().join("acces.json");
    let export = run(
        home.path(),
        &["--db", db_str, "--passphrase-stdin", "file", "export", code.as_str(), "--format", "json", "--out"]
            .into_iter()
            .chain([out_file.to_str().unwrap()])
            .collect::<Vec<_>>(),
        &pass,
    );
    assert!(export.status.success(), "{}", text(&export.stderr));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&out_file).unwrap().permissions().mode() & 0o777, 0o600);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(json["format"], "permanence-file-access");
    assert_eq!(json["file"]["situation_summary"], "Résumé CANARY-ACCESS");

    // Piped, Markdown goes to standard output.
    let md =
        run(home.path(), &["--db", db_str, "--passphrase-stdin", "file", "export", code.as_str()], &pass);
    assert!(md.status.success(), "{}", text(&md.stderr));
    assert!(text(&md.stdout).contains(&format!("# Droit d'accès — dossier {code}")), "{}", text(&md.stdout));

    let unknown =
        run(home.path(), &["--db", db_str, "--passphrase-stdin", "file", "export", "WWW-999"], &pass);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no caller file with the code WWW-999"),
        "{}",
        text(&unknown.stderr)
    );

    let hold = run(
        home.path(),
        &["--db", db_str, "--passphrase-stdin", "file", "hold", code.as_str(), "--reason", "Réquisition"],
        &pass,
    );
    assert!(hold.status.success(), "{}", text(&hold.stderr));
    assert!(text(&hold.stdout).contains("is now under legal hold"));

    let purge = run(home.path(), &["--db", db_str, "--passphrase-stdin", "purge", "--dry-run"], &pass);
    assert!(purge.status.success(), "{}", text(&purge.stderr));
    assert!(
        text(&purge.stdout).starts_with("Would wipe the free text of 0 file(s)"),
        "{}",
        text(&purge.stdout)
    );
    let check = run(home.path(), &["--db", db_str, "--passphrase-stdin", "check"], &pass);
    assert!(
        check.status.success(),
        "every export and hold is in a valid audit chain: {}",
        text(&check.stdout)
    );
}

#[test]
fn export_a_shift_and_a_month_from_the_shell() {
    use permanence::domain::call::{CallRecord, CallType, NewCall};
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db_str = db.to_str().unwrap();
    init(home.path(), db_str);
    {
        let mut store = permanence::store::Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let shift = store.start_shift().unwrap();
        let now = chrono::Utc::now();
        let call = NewCall {
            shift_id: shift.id,
            started_at: now - chrono::Duration::minutes(5),
            ended_at: now,
            call_type: CallType::Listening,
            record: CallRecord { notes: "CANARY-CLI-EXPORT".into(), ..CallRecord::default() },
        };
        store.save_call(&call).unwrap();
    }
    let pass = format!("{SUPERVISOR_PASS}\n");
    let out = run(home.path(), &["--db", db_str, "--passphrase-stdin", "export", "--format", "csv"], &pass);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    let path =
        said.trim().strip_prefix("Export written to ").and_then(|r| r.strip_suffix(" (mode 0600).")).unwrap();
    assert!(path.starts_with(home.path().join("exports").to_str().unwrap()), "{path}");
    let csv = std::fs::read_to_string(path).unwrap();
    assert_eq!(csv.lines().count(), 2, "a header and one call: {csv}");
    assert!(!csv.contains("CANARY-CLI-EXPORT"));

    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let month = home.path().join("month.json");
    let out = run(
        home.path(),
        &[
            "--db",
            db_str,
            "--passphrase-stdin",
            "export",
            "--from",
            &today,
            "--to",
            &today,
            "--format",
            "json",
            "--out",
        ]
        .into_iter()
        .chain([month.to_str().unwrap()])
        .collect::<Vec<_>>(),
        &pass,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&month).unwrap()).unwrap();
    assert_eq!(json["summary"]["calls"], 1);
    assert_eq!(json["summary"]["scope"]["kind"], "period");

    let bad = run(home.path(), &["--db", db_str, "--passphrase-stdin", "export", "--shift", "soon"], &pass);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("current, last or a number"), "{}", text(&bad.stderr));
}

/// Issue 16: a display name holding terminal escape sequences. Refused when an account is
/// created; one already in the file (written there with the key and a SQL client, or before
/// names were checked) is printed escaped by every command that shows it, never obeyed.
#[test]
fn escape_sequences_in_names_are_refused_and_never_printed_raw() {
    use permanence::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};
    use permanence::domain::caller_file::FileProfile;
    const TITLE: &str = "\u{1b}]0;pwned\u{7}";
    const CLEAR: &str = "\u{1b}[2J";
    let raw = |bytes: &[u8]| {
        let text = text(bytes);
        text.chars().find(|c| permanence::printable::is_unsafe(*c) && *c != '\n').map(|c| (c, text.clone()))
    };
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db_str = db.to_str().unwrap();
    let pass = format!("{SUPERVISOR_PASS}\n");
    init(home.path(), db_str);
    for name in [format!("Eve{TITLE}"), format!("Eve{CLEAR}"), "Eve\u{202e}evE".to_owned()] {
        let out = run(
            home.path(),
            &["--db", db_str, "--passphrase-stdin", "listener", "add", "eve", "--name", &name],
            &format!("{pass}trois pommes vertes sous la pluie\n"),
        );
        assert!(!out.status.success(), "{name:?} accepted");
        assert!(text(&out.stderr).contains("control character U+"), "{}", text(&out.stderr));
        assert_eq!(raw(&out.stderr), None, "the refusal itself prints nothing raw");
        assert_eq!(raw(&out.stdout), None);
    }

    // Eve's account, with a name planted in the database by someone holding the data key.
    let evil = format!("Eve{TITLE}{CLEAR}\u{9b}31m\u{202e}evE");
    {
        let mut store = permanence::store::Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let eve = NewAccount {
            login: "eve",
            display_name: "Eve",
            role: Role::Listener,
            passphrase: "trois pommes vertes sous la pluie",
        };
        let eve = store.add_listener(eve, KdfParams::MINIMUM).unwrap();
        let file = store.create_file(&FileProfile::default()).unwrap();
        let callback = NewCallback::with_consent(
            true,
            file.id,
            None,
            chrono::Utc::now() + chrono::Duration::hours(1),
            Priority::High,
            PhoneNumber::parse("06 12 34 56 78").unwrap(),
            Assignee::Listener(eve.id),
            String::new(),
        )
        .unwrap();
        store.schedule_callback(&callback).unwrap();
    }
    let (_, key) =
        KeyFile::load(&KeyFile::path_for(&db)).unwrap().unlock(SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.sqlcipher_literal().as_str())).unwrap();
    conn.execute("UPDATE listener SET display_name = ?1 WHERE login = 'eve'", [&evil]).unwrap();
    drop(conn);

    for args in [&["listener", "list"][..], &["queue"], &["check"]] {
        let all: Vec<&str> = ["--db", db_str, "--as", SUPERVISOR, "--passphrase-stdin"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let out = run(home.path(), &all, &pass);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert_eq!(raw(&out.stdout), None, "{args:?}");
        assert_eq!(raw(&out.stderr), None, "{args:?}");
        if args[0] != "check" {
            assert!(
                text(&out.stdout).contains("Eve\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"),
                "{}",
                text(&out.stdout)
            );
        }
    }
    // For tools, the same name, in JSON that parses back to it.
    let json = ["--db", db_str, "--as", SUPERVISOR, "--passphrase-stdin", "queue", "--format", "json"];
    let out = run(home.path(), &json, &pass);
    assert_eq!(raw(&out.stdout), None);
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(document["callbacks"][0]["assigned_to"], evil.as_str());
}
