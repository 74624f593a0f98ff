//! The real binary on a real PostgreSQL server (issue 18): `init`, accounts, `check`, exports,
//! the demo and what a backup of it holds, and a listener's journey in the terminal, with a
//! supervisor's change seen from another machine's terminal. Each test gets a fresh database on
//! the test server (`.ci/pg-cluster`); outside CI without one they are skipped with one line.

mod common;

use std::path::Path;

use common::cli::{run, text};
use common::tmux::{Tmux, available};
use common::*;
use permanence::store::{Location, Store};
use permanence::test_support::postgres::{TestDatabase, fresh_database};

fn location(database: &TestDatabase) -> Location {
    Location::parse(Path::new(database.url())).unwrap()
}

/// `permanence --db URL …` with the supervisor's passphrase on standard input.
fn as_supervisor(home: &Path, database: &TestDatabase, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--db", database.url(), "--as", SUPERVISOR, "--passphrase-stdin"];
    all.extend_from_slice(args);
    run(home, &all, &format!("{SUPERVISOR_PASS}\n"))
}

fn init_on(home: &Path, database: &TestDatabase) {
    let out = run(
        home,
        &["--db", database.url(), "--passphrase-stdin", "init", "--login", SUPERVISOR],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("pg_dump"), "init says where the key slots are: {said}");
    assert!(
        !said.contains(database.url()) || !database.url().contains('@'),
        "the URL's password is not printed"
    );
}

#[test]
fn init_accounts_check_and_exports_on_a_server() {
    let Some(database) = fresh_database("init_accounts_check_and_exports_on_a_server") else { return };
    let home = tempfile::tempdir().unwrap();
    init_on(home.path(), &database);
    let again = run(
        home.path(),
        &["--db", database.url(), "--passphrase-stdin", "init", "--login", "autre"],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(!again.status.success(), "a second init is refused");
    let out = run(
        home.path(),
        &[
            "--db",
            database.url(),
            "--as",
            SUPERVISOR,
            "--passphrase-stdin",
            "listener",
            "add",
            LISTENER,
            "--name",
            "Camille",
        ],
        &format!("{SUPERVISOR_PASS}\n{LISTENER_PASS}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    // A call saved by the store on the server, then what the command line makes of it.
    let mut camille = Store::open(location(&database), LISTENER, LISTENER_PASS).unwrap();
    let shift = camille.start_shift().unwrap();
    let file = camille.create_file(&Default::default()).unwrap();
    let now = chrono::Utc::now();
    let call = permanence::domain::call::NewCall {
        shift_id: shift.id,
        started_at: now - chrono::Duration::minutes(20),
        ended_at: now - chrono::Duration::minutes(5),
        call_type: permanence::domain::call::CallType::Listening,
        time_spent: None,
        record: permanence::domain::call::CallRecord {
            caller_file_id: Some(file.id),
            notes: "CANARY-SERVER-CLI dit que tout va mieux".into(),
            ..Default::default()
        },
    };
    camille.save_call(&call).unwrap();
    drop(camille);

    // The test server's superuser could rewrite the audit log: the data verifies, the role is
    // the one fault (tests/server_safety.rs runs `check` as the terminals' role, clean).
    let check = as_supervisor(home.path(), &database, &["check"]);
    let said = text(&check.stdout);
    assert!(!check.status.success(), "{said}");
    assert!(said.contains("pourrait réécrire le journal d'audit : c'est un superutilisateur"), "{said}");
    assert!(said.contains("1 défaut trouvé") && said.contains("entrées signées par leur auteur"), "{said}");
    let csv = home.path().join("period.csv");
    let out = as_supervisor(
        home.path(),
        &database,
        &[
            "export",
            "--from",
            "2020-01-01",
            "--to",
            "2099-01-01",
            "--format",
            "csv",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().count(), 2, "a header and the call: {rows}");
    let access = home.path().join("access.json");
    let out = as_supervisor(
        home.path(),
        &database,
        &["file", "export", file.code.as_str(), "--format", "json", "--out", access.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(&access).unwrap().contains("CANARY-SERVER-CLI"), "the notes, opened");
    let report = as_supervisor(home.path(), &database, &["report", "--year", "2025", "--format", "json"]);
    assert!(report.status.success(), "{}", text(&report.stderr));
    // Written beside this machine's stand-in for the server, never into the database's folder.
    let said = text(&report.stdout);
    assert!(said.contains(".local/share/permanence/servers/"), "{said}");

    // What the server does not need, said.
    let backup = as_supervisor(
        home.path(),
        &database,
        &["backup", "--out", home.path().join("b.db").to_str().unwrap()],
    );
    assert!(!backup.status.success() && text(&backup.stderr).contains("pg_dump"), "{}", text(&backup.stderr));

    // A supervisor's reset of someone else's passphrase: the old one opens nothing, the new one
    // does; the data key is kept, and the command says what that does not protect against.
    let out = as_supervisor_with(
        home.path(),
        &database,
        &["listener", "add", "sacha", "--name", "Sacha"],
        "quatre poires jaunes mûres",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let reset = as_supervisor_with(
        home.path(),
        &database,
        &["listener", "passwd", "sacha"],
        "six figues vertes au four",
    );
    let said = text(&reset.stdout);
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert!(
        said.contains("la clé des données n'est pas changée")
            && said.contains("l'ancienne phrase de passe n'ouvre plus rien"),
        "{said}"
    );
    assert!(!said.contains("étape 5"), "a forgotten passphrase is not a departure: {said}");
    assert!(!said.contains("rechiffrée"), "no re-key on a server: {said}");
    assert!(matches!(
        Store::open(location(&database), "sacha", "quatre poires jaunes mûres"),
        Err(permanence::store::StoreError::WrongPassphrase)
    ));
    assert!(Store::open(location(&database), "sacha", "six figues vertes au four").is_ok());

    // A deactivation: that account unlocks at no desk, its session still open is refused at its
    // next write and poll (the terminal locks on it), the others unlock, `check` finds nothing more than before.
    let mut camille_at_desk = Store::open(location(&database), LISTENER, LISTENER_PASS).unwrap();
    let deactivate = as_supervisor(home.path(), &database, &["listener", "deactivate", LISTENER]);
    let said = text(&deactivate.stdout);
    assert!(deactivate.status.success(), "{}", text(&deactivate.stderr));
    assert!(said.contains("camille") && said.contains("la clé des données n'est pas changée"), "{said}");
    assert!(matches!(
        Store::open(location(&database), LISTENER, LISTENER_PASS),
        Err(permanence::store::StoreError::UnknownListener(_) | permanence::store::StoreError::Deactivated(_))
    ));
    let unlock = run(
        home.path(),
        &["--db", database.url(), "--as", LISTENER, "--passphrase-stdin", "listener", "list"],
        &format!("{LISTENER_PASS}\n"),
    );
    assert!(!unlock.status.success(), "{}", text(&unlock.stdout));
    let written = camille_at_desk.create_file(&Default::default()).map(drop);
    assert!(matches!(written, Err(permanence::store::StoreError::AccessRevoked)), "{written:?}");
    let polled = camille_at_desk.data_version();
    assert!(matches!(polled, Err(permanence::store::StoreError::AccessRevoked)), "{polled:?}");
    assert!(Store::open(location(&database), "sacha", "six figues vertes au four").is_ok());
    let again = as_supervisor(home.path(), &database, &["listener", "deactivate", LISTENER]);
    assert!(!again.status.success(), "already inactive");
    let check = as_supervisor(home.path(), &database, &["check"]);
    let said = text(&check.stdout);
    assert!(said.contains("1 défaut trouvé"), "the superuser role only, as before: {said}");
}

/// [`as_supervisor`] for a command that asks one new passphrase (twice on a terminal, once on
/// standard input).
fn as_supervisor_with(
    home: &Path,
    database: &TestDatabase,
    args: &[&str],
    new: &str,
) -> std::process::Output {
    let mut all = vec!["--db", database.url(), "--as", SUPERVISOR, "--passphrase-stdin"];
    all.extend_from_slice(args);
    run(home, &all, &format!("{SUPERVISOR_PASS}\n{new}\n"))
}

/// A centre's database whose key slots are gone is never made again by `init`, and its
/// sentence says to restore them (review of issue 18, finding 4).
#[test]
fn init_over_a_database_without_its_key_slots_is_refused() {
    let Some(database) = fresh_database("init_over_a_database_without_its_key_slots_is_refused") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    init_on(home.path(), &database);
    let mut admin = database.connect();
    admin.batch_execute("DELETE FROM key_file").unwrap();
    let again = run(
        home.path(),
        &["--db", database.url(), "--passphrase-stdin", "init", "--login", "autre"],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("fichier de clés"), "{}", text(&again.stderr));
    let accounts: i64 = admin.query_one("SELECT count(*) FROM listener", &[]).unwrap().get(0);
    assert_eq!(accounts, 1, "no second store");
}

/// `demo --calls N` fills a server as it fills a file; the server's backup holds none of the
/// demo's sentences nor a reply address, only ciphertext.
#[test]
fn the_demo_on_a_server_leaves_no_sentence_readable_in_its_backup() {
    let Some(database) = fresh_database("the_demo_on_a_server_leaves_no_sentence_readable_in_its_backup")
    else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["--db", database.url(), "demo", "--calls", "3000"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = permanence::demo::verify(location(&database)).unwrap();
    assert_eq!(summary.calls, 3000);
    assert!(summary.files > 100 && summary.pending_callbacks > 0, "{summary:?}");
    let again = run(home.path(), &["--db", database.url(), "demo", "--calls", "3000"], "");
    assert!(again.status.success() && text(&again.stdout).contains("3000"), "an existing demo is reopened");

    let dump = match std::process::Command::new("pg_dump").args(["--dbname", database.url()]).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => panic!("pg_dump failed: {}", text(&out.stderr)),
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "CI installs pg_dump with the server: {e}");
            eprintln!("pg_dump not found: the dump half of this test is skipped");
            return;
        }
    };
    assert!(dump.contains("COPY public.call "), "the dump holds the calls");
    for sentence in permanence::demo::free_text() {
        // Each clause too, so that a sentence cut or stored in parts would still be seen.
        for clause in sentence.split([',', '.', ':', ';']).map(str::trim).filter(|c| c.chars().count() >= 12)
        {
            assert!(!dump.contains(clause), "{clause:?} (of {sentence:?}) is readable in pg_dump");
        }
    }
    assert!(!dump.contains("exemple.invalid"), "a reply address is readable in pg_dump");
}

fn unlock(tmux: &Tmux, down: bool, passphrase: &str) {
    tmux.wait_for("Qui êtes-vous ?");
    if down {
        tmux.keys(&["Down"]);
    }
    tmux.type_text(passphrase);
    tmux.keys(&["Enter"]);
}

/// A listener's terminal open on a server when a supervisor, at another desk, deactivates
/// them: the screen locks within a few seconds, saying their access changed (the one-second
/// poll hears the other desk's write and asks whether this account still holds its access),
/// and their passphrase unlocks nothing any more.
#[test]
fn a_terminal_open_on_a_server_locks_when_its_account_is_deactivated() {
    if !available() {
        return;
    }
    let Some(database) = fresh_database("a_terminal_open_on_a_server_locks_when_its_account_is_deactivated")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut supervisor = Store::create(
        location(&database),
        permanence::store::NewAccount {
            login: SUPERVISOR,
            display_name: "Dominique",
            role: permanence::domain::listener::Role::Supervisor,
            passphrase: SUPERVISOR_PASS,
        },
        permanence::store::KdfParams::MINIMUM,
    )
    .unwrap();
    add_listener(&mut supervisor);
    drop(supervisor);

    let listener = Tmux::start(dir.path(), &["--db", database.url()], 100, 30);
    unlock(&listener, true, LISTENER_PASS);
    listener.wait_for("Pas d'appel en cours");
    let deactivate = as_supervisor(dir.path(), &database, &["listener", "deactivate", LISTENER]);
    assert!(deactivate.status.success(), "{}", text(&deactivate.stderr));
    listener.wait_for("Votre accès a changé");
    listener.wait_for("Qui êtes-vous ?");
    listener.type_text(LISTENER_PASS);
    listener.keys(&["Enter"]);
    let screen = listener.wait_for("Ce compte ne peut pas déverrouiller cette base");
    assert!(!screen.contains("Pas d'appel en cours"), "{screen}");
    listener.keys(&["C-q"]);
    listener.wait_exit();
}

/// A listener's journey in the real terminal on a server, and a supervisor's terminal (another
/// process, another connection: another desk) whose reassignment the listener's queue shows
/// by itself (LISTEN/NOTIFY, the one-second poll).
#[test]
fn a_listeners_journey_in_the_terminal_on_a_server_seen_from_another_desk() {
    if !available() {
        return;
    }
    let Some(database) =
        fresh_database("a_listeners_journey_in_the_terminal_on_a_server_seen_from_another_desk")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut supervisor = Store::create(
        location(&database),
        permanence::store::NewAccount {
            login: SUPERVISOR,
            display_name: "Dominique",
            role: permanence::domain::listener::Role::Supervisor,
            passphrase: SUPERVISOR_PASS,
        },
        permanence::store::KdfParams::MINIMUM,
    )
    .unwrap();
    add_listener(&mut supervisor);
    drop(supervisor);

    let listener = Tmux::start(dir.path(), &["--db", database.url()], 100, 30);
    unlock(&listener, true, LISTENER_PASS);
    listener.wait_for("Pas d'appel en cours");
    listener.keys(&["n"]);
    listener.wait_for("Appel en cours");
    listener.keys(&["Enter"]);
    listener.type_text("Parle de son voisin CANARY-SERVER-E2E");
    listener.wait_for("CANARY-SERVER-E2E");
    listener.keys(&["Escape"]);
    listener.wait_for("Notes (Entrée pour écrire)");
    listener.keys(&["f"]);
    let screen = listener.wait_for("Nouveau dossier");
    let code = screen
        .lines()
        .find_map(|line| {
            let compact: String = line.split_whitespace().collect();
            compact
                .find('-')
                .and_then(|at| compact.get(at.saturating_sub(3)..at + 4))
                .filter(|c| permanence::domain::caller_file::FileCode::parse(c).is_ok())
                .map(str::to_owned)
        })
        .expect("the new code is shown large");
    listener.keys(&["Enter"]);
    listener.keys(&["e"]);
    listener.wait_for("Sera enregistré");
    listener.keys(&["Enter"]);
    listener.wait_for("Type d'appel");
    listener.keys(&["Enter"]);
    listener.wait_for("Issue de l'appel");
    listener.keys(&["Enter"]);
    listener.wait_for("Proposer un rappel");
    listener.keys(&["n"]);
    listener.wait_for("Appel enregistré");
    listener.keys(&["M-4"]);
    listener.wait_for("Aucun rappel en attente");

    // Another desk: the supervisor schedules a callback on that file for anyone, then gives it
    // to Camille; the listener's queue shows each by itself.
    let mut store = Store::open(location(&database), SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let file = store.file_id_by_code(&code).unwrap().expect("the file is on the server");
    schedule_callback_now(&mut store, file);
    listener.wait_for(&format!("{code} normale  tous"));
    let pending = store.pending_callbacks().unwrap();
    let camille = store.listener_by_login(LISTENER).unwrap().id;
    store
        .reassign_callback(
            pending[0].id,
            pending[0].version,
            permanence::domain::callback::Assignee::Listener(camille),
        )
        .unwrap();
    listener.wait_for(&format!("{code} normale  Camille"));
    listener.keys(&["C-q"]);
    listener.wait_exit();
    assert!(!listener.scrollback().contains("CANARY-SERVER-E2E"));
    assert!(found_in_dir(dir.path(), b"CANARY-SERVER-E2E").is_empty(), "nothing of the call on this machine");

    let calls = store.calls_of_file(file).unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].record.notes, "Parle de son voisin CANARY-SERVER-E2E");
    assert_eq!(store.draft().unwrap(), None);

    // The next start remembers Camille, on this machine, for this server.
    let again = Tmux::start(dir.path(), &["--db", database.url()], 100, 30);
    again.wait_for(&format!("▶ {LISTENER}"));
    again.keys(&["C-q"]);
    again.wait_exit();
}

/// A server of the test's own (stopped and started by the test), with a supervisor and Camille.
fn own_server(test: &str) -> Option<(permanence::test_support::postgres::OwnCluster, TestDatabase)> {
    if !available() {
        return None;
    }
    let cluster = permanence::test_support::postgres::OwnCluster::start(test)?;
    let database = cluster.fresh_database();
    let mut store = create(location(&database));
    add_listener(&mut store);
    Some((cluster, database))
}

/// Camille's terminal on `database`, unlocked, a call begun and `notes` typed in it.
fn call_begun(home: &Path, url: &str, notes: &str) -> Tmux {
    let tmux = Tmux::start(home, &["--db", url], 100, 30);
    unlock(&tmux, true, LISTENER_PASS);
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["n"]);
    tmux.wait_for("Appel en cours");
    tmux.keys(&["Enter"]);
    tmux.type_text(notes);
    tmux.wait_for(notes);
    tmux.wait_for("✓ enreg");
    tmux
}

/// This machine's sealed copy of what Camille types (`store::LocalDraft`), below `home`.
fn local_copy(home: &Path) -> Option<std::path::PathBuf> {
    let servers = home.join(".local/share/permanence/servers");
    let folder = std::fs::read_dir(servers).ok()?.next()?.ok()?.path();
    std::fs::read_dir(folder)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("server.draft-")))
}

/// Issue 18, point 5, in the real binary: the server stopped mid-call (`pg_ctl stop -m
/// immediate`), the listener types on, the status bar says the server cannot be reached, the
/// call is ended and kept on this machine; the server started again, the terminal saves it there
/// by itself — whole, and once.
#[test]
fn a_server_stopped_mid_call_in_the_terminal_loses_nothing() {
    let Some((cluster, database)) = own_server("a_server_stopped_mid_call_in_the_terminal_loses_nothing")
    else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let tmux = call_begun(home.path(), database.url(), "Avant la coupure.");
    cluster.stop_immediately();
    tmux.type_text(" Pendant la coupure CANARY-OUTAGE.");
    tmux.wait_for("SERVEUR INJOIGNABLE");
    tmux.wait_for("✓ gardé");
    tmux.type_text(" Et encore après.");
    tmux.wait_for("Et encore après.");
    end_call(&tmux);
    tmux.wait_for("Pas d'appel en cours");
    tmux.wait_for("Serveur injoignable : ce qui est tapé");
    assert!(local_copy(home.path()).is_some(), "the ended call is kept on this machine");

    cluster.start_again();
    // Saved by the terminal itself within a second or so of the server's return (its message,
    // "Le serveur répond de nouveau ; …", lasts a few seconds: a loaded machine may start the
    // server slower than that, so the server is asked instead).
    let mut client = database.connect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while local_copy(home.path()).is_some() {
        assert!(std::time::Instant::now() < deadline, "never saved; the screen:\n{}", tmux.screen());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let calls: i64 = client.query_one("SELECT count(*) FROM call", &[]).unwrap().get(0);
    assert_eq!(calls, 1, "saved once");
    while tmux.screen().contains("SERVEUR INJOIGNABLE") {
        assert!(std::time::Instant::now() < deadline, "still said; the screen:\n{}", tmux.screen());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let store = Store::open(location(&database), LISTENER, LISTENER_PASS).unwrap();
    let shift = store.open_shift().unwrap().expect("Camille's shift");
    let saved = store.calls_of_shift(shift.id).unwrap();
    assert_eq!(saved[0].record.notes, "Avant la coupure. Pendant la coupure CANARY-OUTAGE. Et encore après.");
    assert_eq!(store.draft().unwrap(), None);
    tmux.keys(&["C-q"]);
    tmux.wait_exit();
    assert!(found_in_dir(home.path(), b"CANARY-OUTAGE").is_empty(), "nothing of it in clear on this machine");
}

/// Issue 21, point 3, in the real binary: a centre's server and its synchronous standby, the
/// terminal's URL naming both. The primary lost mid-call (`pg_ctl stop -m immediate`: its
/// machine gone), the standby alone answers and takes no writes: the status bar says so, typing
/// goes on, the call ended is kept on this machine. The standby promoted, the terminal finds it
/// by itself: the call is saved there once and whole, the call saved before the loss is there
/// (acknowledged, hence on the standby too), the audit chain verifies, and the other desks'
/// changes reach the terminal again (it listens on the new primary).
#[test]
fn a_primary_lost_mid_call_fails_over_to_its_promoted_standby_and_loses_nothing() {
    let test = "a_primary_lost_mid_call_fails_over_to_its_promoted_standby_and_loses_nothing";
    let Some((primary, database)) = own_server(test) else { return };
    let standby = primary.standby();
    primary.require_synchronous_standby();
    let url = primary.url_with_standby(&standby, database.name());
    let home = tempfile::tempdir().unwrap();
    let check = || {
        let args = ["--db", url.as_str(), "--as", SUPERVISOR, "--passphrase-stdin", "check"];
        run(home.path(), &args, &format!("{SUPERVISOR_PASS}\n"))
    };
    let tmux = call_begun(home.path(), &url, "Premier appel CANARY-ACKNOWLEDGED.");
    end_call(&tmux);
    tmux.wait_for("Appel enregistré");
    tmux.keys(&["n"]);
    tmux.wait_for("Appel en cours");
    tmux.keys(&["Enter"]);
    tmux.type_text("Avant la bascule.");
    tmux.wait_for("Avant la bascule.");
    tmux.wait_for("✓ enreg");

    primary.stop_immediately();
    tmux.type_text(" Pendant CANARY-FAILOVER.");
    tmux.wait_for("seul un secours répond");
    tmux.wait_for("PRINCIPAL INJOIG");
    tmux.wait_for("✓ gardé");
    end_call(&tmux);
    tmux.wait_for("Pas d'appel en cours");
    assert!(local_copy(home.path()).is_some(), "the ended call is kept on this machine");
    // The command line says the same of the URL meanwhile, with what to do.
    let refused = check();
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("seul un serveur de secours répond"), "{}", text(&refused.stderr));

    standby.promote();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while local_copy(home.path()).is_some() {
        assert!(std::time::Instant::now() < deadline, "never saved; the screen:\n{}", tmux.screen());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    while tmux.screen().contains("PRINCIPAL INJOIG") {
        assert!(std::time::Instant::now() < deadline, "still said; the screen:\n{}", tmux.screen());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // What the new primary holds: both calls, once each, whole; no draft left.
    let both = Location::parse(Path::new(&url)).unwrap();
    let camille = Store::open(both.clone(), LISTENER, LISTENER_PASS).unwrap();
    let shift = camille.open_shift().unwrap().expect("Camille's shift");
    let mut notes: Vec<String> =
        camille.calls_of_shift(shift.id).unwrap().into_iter().map(|call| call.record.notes).collect();
    notes.sort();
    assert_eq!(notes, ["Avant la bascule. Pendant CANARY-FAILOVER.", "Premier appel CANARY-ACKNOWLEDGED."]);
    assert_eq!(camille.draft().unwrap(), None);
    drop(camille);

    // Another desk's change on the new primary reaches the terminal by itself.
    let mut store = Store::open(both, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let file = store.create_file(&Default::default()).unwrap();
    schedule_callback_now(&mut store, file.id);
    tmux.keys(&["M-4"]);
    tmux.wait_for(&format!("{} normale  tous", file.code));
    drop(store);
    tmux.keys(&["C-q"]);
    tmux.wait_exit();

    let said = text(&check().stdout);
    // The test server's superuser could rewrite the audit log: the one fault, the chain whole.
    assert!(said.contains("1 défaut trouvé") && said.contains("entrées signées par leur auteur"), "{said}");
    // Of the URL's two hosts, the one that answered: the promoted standby.
    let hosts = permanence::test_support::postgres::host_and_port(&url);
    let (old_primary, promoted) = hosts.split_once(',').expect("two hosts");
    let answering = said.lines().find(|line| line.contains("celui qui a répondu")).unwrap_or_default();
    assert!(answering.contains(promoted) && !answering.contains(old_primary), "{said}");
    assert!(
        found_in_dir(home.path(), b"CANARY-FAILOVER").is_empty(),
        "nothing of it in clear on this machine"
    );
}

/// Ends the call being taken in Camille's terminal, from its notes: the call form's defaults, no
/// callback.
fn end_call(tmux: &Tmux) {
    tmux.keys(&["Escape"]);
    tmux.wait_for("Notes (Entrée pour écrire)");
    tmux.keys(&["e"]);
    tmux.finish_ending();
}

/// Issue 18, point 5, in the real binary: the terminal killed (`kill -9`) while the server is
/// down, after typing that only this machine kept; both started again, the call is offered
/// back at unlock, whole.
#[test]
fn a_terminal_killed_while_the_server_is_down_offers_its_call_back_whole() {
    let Some((cluster, database)) =
        own_server("a_terminal_killed_while_the_server_is_down_offers_its_call_back_whole")
    else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let tmux = call_begun(home.path(), database.url(), "Premier échange.");
    cluster.stop_immediately();
    tmux.type_text(" Tapé serveur arrêté CANARY-KILLED.");
    tmux.wait_for("CANARY-KILLED.");
    tmux.wait_for("✓ gardé");
    let status = std::process::Command::new("kill").args(["-9", &tmux.pid().to_string()]).status().unwrap();
    assert!(status.success());
    tmux.wait_exit();
    drop(tmux);
    assert!(local_copy(home.path()).is_some());
    assert!(found_in_dir(home.path(), b"CANARY-KILLED").is_empty(), "kept sealed");

    cluster.start_again();
    let tmux = Tmux::start(home.path(), &["--db", database.url()], 100, 30);
    tmux.wait_for(&format!("▶ {LISTENER}"));
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Votre permanence");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Appel non terminé");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Premier échange. Tapé serveur arrêté CANARY-KILLED.");
    tmux.keys(&["C-q"]);
}

/// The server down when the terminal starts: the unlock screen, on the account last unlocked
/// here, says so; unlocking tries again, and works once the server is back.
#[test]
fn a_terminal_started_while_the_server_is_down_says_so_and_unlocks_once_it_is_back() {
    let Some((cluster, database)) =
        own_server("a_terminal_started_while_the_server_is_down_says_so_and_unlocks_once_it_is_back")
    else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(home.path(), &["--db", database.url()], 100, 30);
    unlock(&tmux, true, LISTENER_PASS);
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["C-q"]);
    tmux.wait_exit();
    drop(tmux);

    cluster.stop_immediately();
    let tmux = Tmux::start(home.path(), &["--db", database.url()], 100, 30);
    tmux.wait_for("Serveur injoignable : le déverrouillage a besoin de lui");
    tmux.wait_for(&format!("▶ {LISTENER}"));
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Serveur injoignable : le déverrouillage a besoin de lui");
    cluster.start_again();
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["C-q"]);
}
