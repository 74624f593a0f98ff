//! End-to-end journeys: the real binary, on a real encrypted database, in a pseudo-terminal.

mod common;

use std::path::Path;

use common::tmux::{Tmux, available};
use common::*;
use permanence::domain::assessment::RudLevel;
use permanence::store::Store;

fn send_signal(pid: i32, signal: &str) {
    let status =
        std::process::Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status().unwrap();
    assert!(status.success());
}

/// A database with a supervisor and Camille, and the terminal open on it at 100×30.
fn open_terminal(dir: &Path) -> Tmux {
    let db = db_in(dir);
    if !db.exists() {
        let mut store = create(&db);
        add_listener(&mut store);
    }
    Tmux::start(dir, &["--db", db.to_str().unwrap()], 100, 30)
}

/// A new database with the terminal open on it; `None` where tmux is missing (never in CI).
fn fresh_terminal() -> Option<(tempfile::TempDir, Tmux)> {
    if !available() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = open_terminal(dir.path());
    Some((dir, tmux))
}

fn unlock_as_camille(tmux: &Tmux) {
    tmux.wait_for("Qui êtes-vous ?");
    tmux.keys(&["Down"]);
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
}

/// Starts a call, waits for its draft to be saved, then types: what is typed is then only in
/// memory until the next autosave, a second later.
fn start_saved_call_then_type(tmux: &Tmux, notes: &str) {
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["n"]);
    tmux.wait_for("✓ enreg");
    tmux.keys(&["Enter"]);
    tmux.type_text(notes);
    tmux.wait_for(notes);
}

/// Ends the call on a linked file: the first type and outcome offered, no callback.
fn end_call_without_callback(tmux: &Tmux) {
    tmux.keys(&["e"]);
    tmux.finish_ending();
    tmux.wait_for("Appel enregistré");
}

fn start_call_and_type(tmux: &Tmux, notes: &str) {
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["n"]);
    tmux.wait_for("Appel en cours");
    tmux.keys(&["Enter"]);
    tmux.type_text(notes);
    tmux.wait_for(notes);
}

/// A supervisor, in another process, opens a file and schedules a high-priority callback on
/// it for anyone, due in three hours (number 06 39 98 11 11). Returns the file's code.
fn callback_on_a_new_file(db: &Path) -> permanence::domain::caller_file::FileCode {
    use permanence::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};
    let mut supervisor = Store::open(db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let file = supervisor.create_file(&permanence::domain::caller_file::FileProfile::default()).unwrap();
    let due = chrono::Utc::now() + chrono::Duration::hours(3);
    let number = PhoneNumber::parse("0639981111").unwrap();
    let callback = NewCallback::with_consent(
        true,
        file.id,
        None,
        due,
        Priority::High,
        number,
        Assignee::Anyone,
        String::new(),
    )
    .unwrap();
    supervisor.schedule_callback(&callback).unwrap();
    file.code
}

#[test]
fn take_a_call_then_find_it_after_reopening() {
    let Some((dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    start_call_and_type(&tmux, "Parle de son voisin CANARY-E2E-1");
    // Esc then a letter in one write reads as Alt-letter, as in any terminal: wait between.
    tmux.keys(&["Escape"]);
    tmux.wait_for("Notes (Entrée pour écrire)");
    tmux.keys(&["f"]);
    let code = code_on(&tmux.wait_for("Nouveau dossier"));
    tmux.keys(&["Enter", "r", "Down", "2", "Enter"]);
    tmux.wait_for("U moyen");
    end_call_without_callback(&tmux);
    tmux.keys(&["M-2"]);
    tmux.wait_for("Historique (1 appel)");
    tmux.wait_for(&code);
    tmux.keys(&["C-q"]);
    tmux.wait_exit();
    // The terminal is given back clean: nothing of the call in what the shell shows, and no
    // plaintext of it anywhere in the home, database and temp folders.
    assert!(!tmux.scrollback().contains("CANARY-E2E-1"), "{}", tmux.scrollback());
    assert!(found_in_dir(dir.path(), b"CANARY-E2E-1").is_empty());

    let store = Store::open(db_in(dir.path()), LISTENER, LISTENER_PASS).unwrap();
    let file = store.file_id_by_code(&code).unwrap().expect("the file exists");
    let calls = store.calls_of_file(file).unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].record.notes, "Parle de son voisin CANARY-E2E-1");
    assert_eq!(calls[0].record.rud.urgency, Some(RudLevel::Medium));
    assert_eq!(store.draft().unwrap(), None, "the draft is gone once the call is saved");
}

#[test]
fn after_kill_9_the_draft_comes_back() {
    let Some((dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    start_call_and_type(&tmux, "Notes tapées avant le crash CANARY-KILL");
    tmux.wait_for("✓ enreg");
    send_signal(tmux.pid(), "KILL");
    tmux.wait_exit();
    drop(tmux);

    let tmux = open_terminal(dir.path());
    unlock_as_camille(&tmux);
    tmux.wait_for("Votre permanence");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Appel non terminé");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Notes tapées avant le crash CANARY-KILL");
}

#[test]
fn sigterm_saves_what_was_just_typed() {
    let Some((dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    // SIGTERM must not wait for the next autosave.
    start_saved_call_then_type(&tmux, "dernier mot");
    send_signal(tmux.pid(), "TERM");
    tmux.wait_exit();
    let store = Store::open(db_in(dir.path()), LISTENER, LISTENER_PASS).unwrap();
    assert_eq!(store.draft().unwrap().expect("a draft").record.notes, "dernier mot");
}

#[test]
fn a_wrong_passphrase_then_the_right_one() {
    let Some((_dir, tmux)) = fresh_terminal() else { return };
    tmux.wait_for("Qui êtes-vous ?");
    tmux.keys(&["Down"]);
    tmux.type_text("pas la bonne phrase");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Phrase de passe incorrecte");
    assert!(!screen.contains("pas la bonne"), "the passphrase is never shown");
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Pas d'appel en cours");
}

#[test]
fn the_unlock_screen_starts_on_the_account_asked_with_as_then_on_the_last_one_used() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    add_listener(&mut create(&db));
    // `--as camille`: the passphrase typed at once is Camille's.
    let tmux = Tmux::start(dir.path(), &["--db", db.to_str().unwrap(), "--as", LISTENER], 100, 30);
    tmux.wait_for("Qui êtes-vous ?");
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["C-q"]);
    tmux.wait_exit();
    drop(tmux);
    // Without `--as`: still Camille, the last one to unlock here.
    let tmux = open_terminal(dir.path());
    tmux.wait_for("Qui êtes-vous ?");
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Votre permanence commencée");
}

#[test]
fn a_locked_screen_shows_no_caller_data() {
    let Some((_dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    start_call_and_type(&tmux, "Secret CANARY-LOCK");
    tmux.keys(&["C-l"]);
    let screen = tmux.wait_for("écran verrouillé");
    assert!(!screen.contains("CANARY-LOCK"), "{screen}");
    assert!(screen.contains("Appel en cours depuis"), "the call timer still runs:\n{screen}");
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Secret CANARY-LOCK");
}

#[test]
fn first_run_creates_the_database_in_the_terminal() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let tmux = Tmux::start(dir.path(), &["--db", db.to_str().unwrap()], 100, 30);
    tmux.wait_for("première utilisation");
    tmux.type_text("coord");
    tmux.keys(&["Enter"]);
    tmux.type_text("Dominique");
    tmux.keys(&["Enter"]);
    tmux.type_text(SUPERVISOR_PASS);
    tmux.keys(&["Enter"]);
    tmux.type_text(SUPERVISOR_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["C-q"]);
    tmux.wait_exit();
    let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert_eq!(store.actor().display_name, "Dominique");
}

#[test]
fn too_small_a_terminal_is_told_then_recovers() {
    let Some((_dir, tmux)) = fresh_terminal() else { return };
    tmux.resize(50, 12);
    tmux.wait_for("trop petite");
    tmux.resize(80, 24);
    tmux.wait_for("Qui êtes-vous ?");
}

#[test]
fn closing_the_terminal_window_saves_the_draft_and_ends_the_process() {
    let Some((dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    start_saved_call_then_type(&tmux, "fenêtre fermée");
    let pid = tmux.pid();
    drop(tmux); // kills the tmux server: the terminal is gone, the program gets SIGHUP
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(std::time::Instant::now() < deadline, "the program outlived its terminal");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let store = Store::open(db_in(dir.path()), LISTENER, LISTENER_PASS).unwrap();
    assert_eq!(store.draft().unwrap().expect("a draft").record.notes, "fenêtre fermée");
}

#[test]
fn an_emergency_prompt_cannot_be_missed_and_is_stored_with_its_outcome() {
    let Some((dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["n"]);
    tmux.wait_for("Appel en cours");
    tmux.keys(&["r", "Down", "3", "Enter"]);
    let screen = tmux.wait_for("⚠ 15 · 112");
    assert!(
        screen.lines().nth(1).is_some_and(|l| l.contains("!! ⚠ 15 · 112")),
        "banner at the top:\n{screen}"
    );
    tmux.keys(&["e"]);
    tmux.wait_for("Suite donnée au numéro");
    tmux.keys(&["2", "Enter"]);
    tmux.keys(&["1", "Enter"]);
    tmux.keys(&["e"]);
    tmux.wait_for("Sera enregistré");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Type d'appel");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Issue de l'appel");
    tmux.keys(&["Enter"]);
    // Anonymous, and yet a callback is offered (it would open a file): not this time.
    tmux.wait_for("L'appel est anonyme");
    tmux.keys(&["n"]);
    tmux.wait_for("Appel enregistré");
    assert!(!tmux.screen().contains("⚠ 15"), "the banner is gone once acknowledged");
    tmux.keys(&["C-q"]);
    tmux.wait_exit();

    let store = Store::open(db_in(dir.path()), LISTENER, LISTENER_PASS).unwrap();
    let shift = store.open_shift().unwrap().expect("the shift");
    let calls = store.calls_of_shift(shift.id).unwrap();
    let outcomes: Vec<_> = calls[0]
        .record
        .prompts
        .iter()
        .map(|p| (p.number.as_str(), p.acknowledgement.as_ref().map(|a| a.outcome)))
        .collect();
    use permanence::domain::prompt::PromptOutcome::*;
    assert_eq!(outcomes, [("15", Some(ServiceContacted)), ("112", Some(NumberGiven))]);
}

#[test]
fn a_change_from_another_process_shows_within_two_seconds() {
    let Some((dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["M-4"]);
    tmux.wait_for("Aucun rappel en attente");

    // The supervisor, in another process, schedules a callback on the same file.
    let code = callback_on_a_new_file(&db_in(dir.path()));
    // Without the poll nothing would ever show it. How soon is set by the poll period (1 s,
    // unit-tested in app::tests); a timing assertion here would only measure the CI's load.
    let committed = std::time::Instant::now();
    tmux.wait_for(code.as_str());
    eprintln!("shown {:?} after the other process committed", committed.elapsed());
}

/// The file code shown large in the "new file" popup.
fn code_on(screen: &str) -> String {
    screen
        .lines()
        .find_map(|line| {
            let compact: String = line.split_whitespace().collect();
            compact
                .find('-')
                .and_then(|at| compact.get(at.saturating_sub(3)..at + 4))
                .filter(|c| permanence::domain::caller_file::FileCode::parse(c).is_ok())
                .map(str::to_owned)
        })
        .expect("the new code is shown large")
}

#[test]
fn a_caller_who_calls_again_on_another_shift_is_announced_first() {
    let Some((dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    // First shift: a call on a new file, whose instructions are written from the file pane.
    start_call_and_type(&tmux, "Premier appel, parle de sa solitude.");
    tmux.keys(&["Escape"]);
    tmux.wait_for("Notes (Entrée pour écrire)");
    tmux.keys(&["f"]);
    let code = code_on(&tmux.wait_for("Nouveau dossier"));
    tmux.keys(&["Enter", "M-2"]);
    tmux.wait_for("Historique (0 appel)");
    tmux.keys(&["e"]);
    tmux.wait_for("Modifier le dossier");
    tmux.keys(&["Up"]);
    tmux.type_text("Préfère une écoutante.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Dossier enregistré");
    tmux.keys(&["M-1"]);
    tmux.wait_for("Notes (Entrée pour écrire)");
    end_call_without_callback(&tmux);
    tmux.keys(&["C-q"]);
    tmux.wait_exit();

    // Another process, another shift (the open one closed through the end of shift, `n`
    // doing nothing there): the caller gives the code.
    let tmux = open_terminal(dir.path());
    unlock_as_camille(&tmux);
    tmux.wait_for("Votre permanence commencée");
    tmux.keys(&["n"]);
    tmux.keys(&["F10"]);
    tmux.wait_for("Note de passation");
    tmux.keys(&["C-s"]);
    tmux.wait_for("Permanence close");
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["n"]);
    tmux.wait_for("Appel en cours");
    tmux.keys(&["l"]);
    tmux.wait_for("Lier un dossier");
    tmux.type_text(&code.to_lowercase());
    tmux.wait_for(&format!("▶ {code}"));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Appelant·e déjà connu·e");
    assert!(screen.contains("1 appel précédent ·"), "{screen}");
    assert!(screen.contains("Préfère une écoutante."), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Notes (Entrée pour écrire)");
    tmux.keys(&["C-q"]);
    tmux.wait_for("Quitter");
    tmux.keys(&["Enter"]);
    tmux.wait_exit();

    let store = Store::open(db_in(dir.path()), SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let id = store.file_id_by_code(&code).unwrap().unwrap();
    let record = store.file_with_history(id).unwrap();
    assert_eq!(record.file.profile.instructions, "Préfère une écoutante.");
    assert_eq!(record.calls.len(), 1);
    assert!(store.shift(record.calls[0].shift_id).unwrap().ended_at.is_some(), "the first shift was closed");
}

#[test]
fn a_supervisor_reassigns_in_one_terminal_and_the_listener_sees_it_then_performs_it() {
    let Some((dir, listener)) = fresh_terminal() else { return };
    let db = db_in(dir.path());
    let code = callback_on_a_new_file(&db);
    unlock_as_camille(&listener);
    // Pending callbacks come first after unlock: the queue pane has the focus.
    listener.wait_for("[4 Rappels]");
    listener.wait_for(&format!("{code} haute    tous"));

    // The supervisor's own terminal, another process on the same file; `--as`, since the
    // account last unlocked on this database is Camille's.
    let supervisor = Tmux::start(dir.path(), &["--db", db.to_str().unwrap(), "--as", SUPERVISOR], 130, 40);
    supervisor.wait_for("Qui êtes-vous ?");
    supervisor.type_text(SUPERVISOR_PASS);
    supervisor.keys(&["Enter"]);
    supervisor.wait_for("Pas d'appel en cours");
    supervisor.keys(&["F5"]);
    supervisor.wait_for("Camille");
    supervisor.wait_for(code.as_str());
    supervisor.keys(&["a"]);
    supervisor.wait_for("Réattribuer le rappel");
    supervisor.keys(&["Down", "Enter"]); // anyone, then the listeners by name: Camille, Dominique
    supervisor.wait_for("Rappel modifié");
    supervisor.keys(&["Escape"]);

    // The listener's queue says so by itself (the poll of PRAGMA data_version).
    listener.wait_for(&format!("{code} haute    Camille"));
    listener.keys(&["Enter"]);
    let screen = listener.wait_for("06 39 98 11 11");
    assert!(screen.contains(&format!("Rappel {code}")), "{screen}");
    listener.keys(&["p"]);
    listener.wait_for("Tentative notée");
    listener.keys(&["C-q"]);
    listener.wait_exit();
    supervisor.keys(&["C-q"]);
    supervisor.wait_exit();

    let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let pending = store.pending_callbacks().unwrap();
    assert_eq!(pending.len(), 1);
    let callback = store.callback(pending[0].id).unwrap();
    assert_eq!(callback.attempts.len(), 1);
    assert_eq!(callback.attempts[0].result, permanence::domain::callback::AttemptResult::NoAnswer);
    let camille = store.listener_by_login(LISTENER).unwrap().id;
    assert_eq!(callback.assignee, permanence::domain::callback::Assignee::Listener(camille));
}

#[test]
fn ending_a_shift_in_the_terminal_writes_its_summary_and_hands_over() {
    let Some((dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["2"]); // a hang-up, logged in one key
    tmux.wait_for("Appel enregistré");
    tmux.keys(&["F10"]);
    tmux.wait_for("1 appel · durée totale");
    tmux.type_text("Rien de particulier, CANARY-HANDOVER.");
    tmux.keys(&["C-s"]);
    // Good news, marked so (it once came with a ✗).
    let screen = tmux.wait_for("✓ Permanence close");
    assert!(screen.contains("Qui êtes-vous ?"), "the terminal waits for the next listener: {screen}");
    tmux.keys(&["C-q"]);
    tmux.wait_exit();

    let exports = dir.path().join("exports");
    let written: Vec<_> = std::fs::read_dir(&exports).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let text = std::fs::read_to_string(&written[0]).unwrap();
    assert!(text.contains("# Permanence de Camille"), "{text}");
    assert!(text.contains("1 appel · durée totale"), "{text}");
    assert!(!text.contains("CANARY-HANDOVER"), "the handover note is not a statistic");
    assert!(found_in_dir(dir.path(), b"CANARY-HANDOVER").is_empty(), "nor anywhere in clear");
    let store = Store::open(db_in(dir.path()), LISTENER, LISTENER_PASS).unwrap();
    let last = store.last_closed_shift().unwrap().expect("the shift is closed");
    assert_eq!(last.handover_note.as_deref(), Some("Rien de particulier, CANARY-HANDOVER."));
}

/// Issue 15: the real terminal reads the configured zone, not the machine's `TZ`: its clock,
/// and the summary it writes at the end of a shift (once in UTC).
#[test]
fn the_terminal_reads_the_configured_zone_not_the_machine_s() {
    if !available() {
        return;
    }
    for (tz, timezone) in [("America/Montreal", None), ("Europe/Paris", Some("Pacific/Noumea"))] {
        let dir = tempfile::tempdir().unwrap();
        let db = db_in(dir.path());
        let mut store = create(&db);
        add_listener(&mut store);
        drop(store);
        let mut args = vec!["--db".to_owned(), db.to_str().unwrap().to_owned()];
        let mut zone = permanence::local_time::Zone::default();
        if let Some(timezone) = timezone {
            let config = dir.path().join("config.toml");
            std::fs::write(&config, format!("timezone = \"{timezone}\"\n")).unwrap();
            args.extend(["--config".to_owned(), config.to_str().unwrap().to_owned()]);
            zone = timezone.parse().unwrap();
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let tmux = Tmux::start_with_env(dir.path(), &args, &[("TZ", tz)], 100, 30);
        unlock_as_camille(&tmux);
        tmux.wait_for("Pas d'appel en cours");
        // The clock shows one of the minutes the screen was read in, on the zone's clock.
        let before = chrono::Utc::now() - chrono::Duration::seconds(5);
        let top = tmux.screen().lines().next().unwrap_or_default().to_owned();
        let after = chrono::Utc::now();
        let shown = [zone.clock(before), zone.clock(after)];
        assert!(shown.iter().any(|clock| top.trim_end().ends_with(clock.as_str())), "{shown:?} in {top}");

        tmux.keys(&["F10"]);
        tmux.wait_for("0 appel");
        tmux.keys(&["C-s"]);
        tmux.wait_for("✓ Permanence close");
        tmux.keys(&["C-q"]);
        tmux.wait_exit();
        let store = Store::open(&db, LISTENER, LISTENER_PASS).unwrap();
        let shift = store.last_closed_shift().unwrap().expect("the shift is closed");
        let name = format!("shift-{}-{}.md", shift.id.0, zone.today(shift.started_at));
        let text = std::fs::read_to_string(dir.path().join("exports").join(&name)).unwrap();
        let title = format!("# Permanence de Camille, {} → ", zone.date_and_time(shift.started_at));
        assert!(text.contains(&title), "TZ={tz}, {zone}: {title} in\n{text}");
        assert!(text.contains(&format!("Heures locales ({zone})")) && !text.contains("UTC"), "{text}");
    }
}

#[test]
fn a_listener_gone_without_ending_her_shift_is_told_and_a_supervisor_closes_it() {
    let Some((dir, listener)) = fresh_terminal() else { return };
    let db = db_in(dir.path());
    unlock_as_camille(&listener);
    listener.wait_for("Pas d'appel en cours");

    let supervisor = Tmux::start(dir.path(), &["--db", db.to_str().unwrap(), "--as", SUPERVISOR], 130, 40);
    supervisor.wait_for("Qui êtes-vous ?");
    supervisor.type_text(SUPERVISOR_PASS);
    supervisor.keys(&["Enter"]);
    supervisor.wait_for("Pas d'appel en cours");
    supervisor.keys(&["F5"]);
    // Her terminal is open: she is there, even though nothing of hers changes.
    let screen = supervisor.wait_for("Camille ");
    let line = screen.lines().find(|l| l.contains("Camille ") && l.contains("depuis")).unwrap();
    assert!(line.contains("disponible"), "{screen}");

    // Her terminal goes, however it goes (here, killed): the open view notices by itself.
    send_signal(listener.pid(), "KILL");
    listener.wait_exit();
    let screen = supervisor.wait_for("parti·e sans clore");
    assert!(screen.contains("dernière activité"), "{screen}");
    supervisor.keys(&["Right"]); // Camille (then Dominique)
    supervisor.wait_for("c : clore sa permanence");
    supervisor.keys(&["c"]);
    supervisor.wait_for("Fin de permanence de Camille");
    supervisor.wait_for("0 appel");
    supervisor.type_text("Camille partie sans clore CANARY-GONE.");
    supervisor.keys(&["C-s"]);
    let screen = supervisor.wait_for("Permanence de Camille close");
    assert!(screen.contains("Personne") || !screen.contains("parti·e sans clore"), "{screen}");
    supervisor.keys(&["Escape"]);
    supervisor.wait_for("Pas d'appel en cours");
    supervisor.keys(&["C-q"]);
    supervisor.wait_exit();

    let store = Store::open(&db, LISTENER, LISTENER_PASS).unwrap();
    assert_eq!(store.open_shift().unwrap(), None, "her shift is closed");
    let last = store.last_closed_shift().unwrap().unwrap();
    assert_eq!(last.handover_note.as_deref(), Some("Camille partie sans clore CANARY-GONE."));
    let exports: Vec<_> =
        std::fs::read_dir(dir.path().join("exports")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert!(std::fs::read_to_string(&exports[0]).unwrap().contains("# Permanence de Camille"));
}

/// Issue 22: a written contact in the real binary. Camille answers an e-mail (`w`, its
/// channel), opens a file for the person, types the 35 minutes she spent on it and schedules a
/// reply due by e-mail; the file's history names the channel and the time spent, the end of
/// the shift counts it by channel, and the store has it all.
#[test]
fn a_written_contact_with_its_channel_in_the_history_and_the_shift_summary() {
    let Some((dir, tmux)) = fresh_terminal() else { return };
    unlock_as_camille(&tmux);
    tmux.wait_for("Pas d'appel en cours");
    tmux.wait_for("un contact écrit");
    tmux.keys(&["w"]);
    tmux.wait_for("Contact écrit : par quel canal ?");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Contact par e-mail en cours");
    tmux.keys(&["Enter"]);
    tmux.type_text("Écrit la nuit, ne veut pas téléphoner.");
    tmux.wait_for("ne veut pas téléphoner.");
    tmux.keys(&["Escape"]);
    tmux.wait_for("Notes (Entrée pour écrire)");
    tmux.keys(&["f"]);
    let code = code_on(&tmux.wait_for("Nouveau dossier"));
    tmux.keys(&["Enter"]);
    tmux.keys(&["e"]);
    tmux.wait_for("Temps passé");
    tmux.type_text("35");
    tmux.wait_for("35 min, tapées");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Type d'appel");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Issue de l'appel");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Proposer un rappel");
    tmux.keys(&["o"]);
    tmux.wait_for("Planifier une réponse");
    tmux.keys(&["Down", "Down"]);
    tmux.type_text("personne@exemple.fr");
    tmux.keys(&["Down", "Space", "Enter"]);
    tmux.wait_for("Appel enregistré");
    tmux.keys(&["M-2"]);
    tmux.wait_for("Historique (1 appel)");
    tmux.wait_for("· e-mail · 35 min ·");
    tmux.wait_for("réponse par e-mail");
    tmux.keys(&["F10"]);
    tmux.wait_for("Par canal : e-mail 1");
    tmux.wait_for("dont 1 écrit (e-mail, courrier), compté à part : temps passé 35 min");
    tmux.keys(&["Escape"]);
    tmux.keys(&["C-q"]);
    tmux.wait_exit();

    let store = Store::open(db_in(dir.path()), LISTENER, LISTENER_PASS).unwrap();
    let file = store.file_id_by_code(&code).unwrap().expect("the file exists");
    let calls = store.calls_of_file(file).unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].record.channel.as_str(), calls[0].time_spent), ("email", Some(35 * 60)));
    let replies = store.callbacks_of_file(file).unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].channel, "email");
    assert_eq!(replies[0].callback_number.as_ref().map(|a| a.as_str()), Some("personne@exemple.fr"));
}

/// A supervisor opens the statistics screen on a demo store and moves through periods and
/// pages: each period's figures are those counted in plain SQL, they come while the keys keep
/// working (read off the key loop), and the coverage of the configured opening hours shows.
#[test]
fn a_supervisor_reads_the_statistics_of_this_month_and_the_last_one() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    permanence::demo::build(&db, 3000, &permanence::config::Config::default().themes, 36_500).unwrap();
    let config = dir.path().join("config.toml");
    let every_day: String = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        .iter()
        .map(|day| format!("{day} = [\"08:00-23:00\"]\n"))
        .collect();
    std::fs::write(&config, format!("[opening_hours]\n{every_day}")).unwrap();
    let args = ["--db", db.to_str().unwrap(), "--config", config.to_str().unwrap(), "--as", SUPERVISOR];
    let tmux = Tmux::start(dir.path(), &args, 100, 30);
    tmux.wait_for("Qui êtes-vous ?");
    tmux.type_text(SUPERVISOR_PASS);
    tmux.keys(&["Enter"]);
    // The handover note of the demo's last shift, over the queue of its callbacks.
    tmux.wait_for("Note de passation");
    tmux.keys(&["Enter"]);

    let zone = permanence::local_time::Zone::default();
    let today = zone.today(chrono::Utc::now());
    let calls_in = |period: permanence::domain::statistics::StatsPeriod| -> i64 {
        let (from, to) = period.bounds(zone);
        raw_connection(&db)
            .query_row(
                "SELECT count(*) FROM call WHERE started_at >= ?1 AND started_at < ?2",
                [from.timestamp(), to.timestamp()],
                |row| row.get(0),
            )
            .unwrap()
    };
    let this_month = permanence::domain::statistics::StatsPeriod::month_of(today);
    let last_month = permanence::domain::statistics::StatsPeriod::previous_month(today);
    tmux.keys(&["F6"]);
    let screen = tmux.wait_for(&format!("{} appels · la même période", calls_in(this_month)));
    assert!(screen.contains("Statistiques — ce mois-ci"), "{screen}");
    assert!(
        screen.contains("Couverture des horaires d'ouverture : ") && !screen.contains("non renseignés"),
        "{screen}"
    );
    // Last month, then at once the next page: the keys are not held while the figures are read.
    tmux.keys(&["Right", "Down", "Down"]);
    let screen = tmux.wait_for("Contacts par canal");
    assert!(screen.contains("le mois dernier"), "{screen}");
    tmux.keys(&["Up", "Up"]);
    tmux.wait_for(&format!("{} appels · la même période", calls_in(last_month)));
    // The phone: the demo misses calls in the evening.
    tmux.keys(&["Down", "Down", "Down"]);
    let screen = tmux.wait_for("Téléphone : appels présentés");
    assert!(screen.contains("manqués · taux de réponse"), "{screen}");
    tmux.keys(&["Escape"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while tmux.screen().contains("Statistiques —") {
        assert!(std::time::Instant::now() < deadline, "Esc closes the statistics screen");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    tmux.wait_for("4 Rappels");
    tmux.keys(&["C-q"]);
    tmux.wait_exit();
}
