//! Nothing anyone does at the keyboard destroys the store: a path given to `--out`, two
//! supervisors changing accounts at once, a crash between a commit and the key file, odd
//! files and odd values on the command line. The real binary on a real encrypted file.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::cli::{HANG, assert_no_panic, run_with, text};
use common::*;
use permanence::domain::caller_file::FileProfile;
use permanence::store::{KeyFile, Store, StoreError};

const DELAY: &str = "PERMANENCE_TEST_KEY_FILE_DELAY_MS";

/// A store with a supervisor's open shift and one caller file; returns its file code.
fn centre(dir: &Path) -> (PathBuf, String) {
    let db = db_in(dir);
    let mut store = create(&db);
    store.start_shift().unwrap();
    let code = store.create_file(&FileProfile::default()).unwrap().code;
    (db, code.as_str().to_owned())
}

fn supervisor(home: &Path, db: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--db", db.to_str().unwrap(), "--as", SUPERVISOR, "--passphrase-stdin"];
    all.extend_from_slice(args);
    let out = run_with(home, &all, &format!("{SUPERVISOR_PASS}\n"), &[], HANG);
    assert_no_panic(&all, &out);
    out
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
}

#[test]
fn out_never_names_the_store_nor_anything_but_a_regular_file() {
    let home = tempfile::tempdir().unwrap();
    let (db, code) = centre(home.path());
    let keys = KeyFile::path_for(&db);
    let keys_before = std::fs::read(&keys).unwrap();
    let in_home = |name: &str| home.path().join(name).to_str().unwrap().to_owned();
    let link = in_home("summary-link.md");
    std::os::unix::fs::symlink(in_home("link-target.md"), &link).unwrap();
    let fifo = in_home("fifo");
    mkfifo(Path::new(&fifo));
    let folder = in_home("folder");
    std::fs::create_dir(&folder).unwrap();
    let db_str = db.to_str().unwrap().to_owned();
    let refused_paths = [
        db_str.clone(),
        format!("{db_str}.keys"),
        format!("{db_str}-wal"),
        format!("{db_str}-shm"),
        format!("{db_str}-journal"),
        format!("{db_str}.keys.lock"),
        in_home(".permanence.db.keys.4242-0-0000beef.tmp"),
        in_home("folder/../permanence.db"),
        link.clone(),
        fifo.clone(),
        folder.clone(),
        "/dev/null".to_owned(),
    ];
    let commands: [Vec<&str>; 4] = [
        vec!["export", "--shift", "current", "--out"],
        vec!["export", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "csv", "--out"],
        vec!["file", "export", code.as_str(), "--out"],
        vec!["backup", "--out"],
    ];
    for command in &commands {
        for path in &refused_paths {
            let mut args = command.clone();
            args.push(path);
            let out = supervisor(home.path(), &db, &args);
            let stderr = text(&out.stderr);
            assert!(!out.status.success(), "{args:?} was accepted: {}", text(&out.stdout));
            assert!(
                stderr.contains("refusé")
                    || stderr.contains("lien symbolique")
                    || stderr.contains("existe déjà"),
                "{args:?}: {stderr}"
            );
        }
    }
    assert_eq!(std::fs::read(&keys).unwrap(), keys_before, "the key file is untouched");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
    assert!(!Path::new(&in_home("link-target.md")).exists(), "nothing written through the link");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert!(store.check().unwrap().is_clean(), "the store is whole");

    // `-` is standard output, when it is not a terminal; a regular file of one's own is fine.
    let out = supervisor(home.path(), &db, &["export", "--shift", "current", "--out", "-"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("# "), "the Markdown summary on standard output");
    let own = in_home("last.md");
    std::fs::write(&own, "an older summary").unwrap();
    let out = supervisor(home.path(), &db, &["export", "--shift", "current", "--out", &own]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(&own).unwrap().starts_with("# "));
}

/// Two supervisors at once, on a slow disk: an account added while another is deactivated.
#[test]
fn concurrent_account_changes_never_lose_a_key_slot() {
    let home = tempfile::tempdir().unwrap();
    let db = db_in(home.path());
    let mut store = create(&db);
    add_listener(&mut store);
    drop(store);
    let db_str = db.to_str().unwrap();
    // The deactivation commits, then its key-file write is slow; the addition starts meanwhile
    // and reads the key file before that write lands. Without one lock across both, the last
    // write wins and the other change is lost.
    let slow = [(DELAY, "1500")];
    let as_supervisor = ["--db", db_str, "--as", SUPERVISOR, "--passphrase-stdin"];
    let add_args = [&as_supervisor[..], &["listener", "add", "sacha", "--name", "Sacha"]].concat();
    let deactivate_args = [&as_supervisor[..], &["listener", "deactivate", LISTENER]].concat();
    let (add, deactivate) = std::thread::scope(|scope| {
        let deactivate = scope
            .spawn(|| run_with(home.path(), &deactivate_args, &format!("{SUPERVISOR_PASS}\n"), &slow, HANG));
        std::thread::sleep(Duration::from_millis(400));
        let add = scope.spawn(|| {
            run_with(
                home.path(),
                &add_args,
                &format!("{SUPERVISOR_PASS}\nquatre poires jaunes\n"),
                &slow,
                HANG,
            )
        });
        (add.join().unwrap(), deactivate.join().unwrap())
    });
    // The deactivation re-keys the database; the addition, started meanwhile, waits for it
    // under the key file's lock and is then made on the new file.
    assert!(add.status.success(), "{}", text(&add.stderr));
    assert!(deactivate.status.success(), "{}", text(&deactivate.stderr));
    let logins: Vec<String> = KeyFile::load(&KeyFile::path_for(&db))
        .unwrap()
        .slots()
        .iter()
        .map(|s| s.login().to_owned())
        .collect();
    assert!(logins.contains(&"sacha".to_owned()), "the new account's slot survived: {logins:?}");
    assert!(!logins.contains(&LISTENER.to_owned()), "the deactivated account's slot is gone: {logins:?}");
    Store::open(&db, "sacha", "quatre poires jaunes").expect("the new account unlocks");
    assert!(matches!(Store::open(&db, LISTENER, LISTENER_PASS), Err(StoreError::UnknownListener(_))));
}

/// `kill -9` in the middle of a deactivation (it re-keys: the new database is written, its key
/// file not yet): nothing changed, and nothing of it is left after the next unlock. A slot of a
/// deactivated account put back in the key file is removed at the next unlock; an active
/// account without a slot is told by `check`.
#[test]
fn a_deactivation_killed_midway_changes_nothing_and_slots_are_reconciled_at_unlock() {
    let home = tempfile::tempdir().unwrap();
    let db = db_in(home.path());
    let mut store = create(&db);
    add_listener(&mut store);
    drop(store);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_permanence"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "--as",
            SUPERVISOR,
            "--passphrase-stdin",
            "listener",
            "deactivate",
        ])
        .arg(LISTENER)
        .env(DELAY, "30000")
        .env("HOME", home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(format!("{SUPERVISOR_PASS}\n").as_bytes()).unwrap();
    // The re-encrypted copy is written at once, then the new key file's write waits 30 s.
    let next = permanence::store::next_database_path(&db);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !next.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(next.exists(), "killed in the middle: the copy is there");
    let slots = |db: &Path| -> Vec<String> {
        KeyFile::load(&KeyFile::path_for(db)).unwrap().slots().iter().map(|s| s.login().to_owned()).collect()
    };
    let before_deactivation = std::fs::read(KeyFile::path_for(&db)).unwrap();

    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert!(!next.exists(), "the half-made copy is removed");
    let camille = store.listeners().unwrap().into_iter().find(|l| l.login == LISTENER).unwrap();
    assert!(camille.active, "nothing changed");
    Store::open(&db, LISTENER, LISTENER_PASS).expect("Camille still opens");
    assert!(store.check().unwrap().is_clean(), "{:?}", store.check().unwrap().findings);

    // Deactivated for good; her old slot put back beside the others is removed at the next unlock.
    store.deactivate_listener(LISTENER).unwrap();
    drop(store);
    let old: serde_json::Value = serde_json::from_slice(&before_deactivation).unwrap();
    let her_slot = old["slots"].as_array().unwrap().iter().find(|s| s["login"] == LISTENER).unwrap().clone();
    let mut now: serde_json::Value =
        serde_json::from_slice(&std::fs::read(KeyFile::path_for(&db)).unwrap()).unwrap();
    now["slots"].as_array_mut().unwrap().push(her_slot);
    std::fs::write(KeyFile::path_for(&db), serde_json::to_vec_pretty(&now).unwrap()).unwrap();
    assert!(slots(&db).contains(&LISTENER.to_owned()));
    let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert!(!slots(&db).contains(&LISTENER.to_owned()), "removed at the next unlock");
    assert!(store.check().unwrap().is_clean(), "{:?}", store.check().unwrap().findings);
    drop(store);

    // An active account whose slot vanished (a key file restored from an old backup).
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    add_listener_named(&mut store, "sacha");
    let keys = KeyFile::path_for(&db);
    let mut key_file = KeyFile::load(&keys).unwrap();
    let sacha = store.listener_by_login("sacha").unwrap().id;
    assert!(key_file.remove_slot(sacha));
    key_file.save().unwrap();
    let out = supervisor(home.path(), &db, &["check"]);
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("\"sacha\" n'a pas d'emplacement de clé"), "{}", text(&out.stdout));
}

fn add_listener_named(store: &mut Store, login: &str) {
    store
        .add_listener(
            permanence::store::NewAccount {
                login,
                display_name: "Sacha",
                role: permanence::domain::listener::Role::Listener,
                passphrase: "quatre poires jaunes",
            },
            permanence::store::KdfParams::MINIMUM,
        )
        .unwrap();
}

#[test]
fn odd_files_and_values_get_a_message_never_a_panic_or_a_hang() {
    let home = tempfile::tempdir().unwrap();
    let (db, _) = centre(home.path());
    let db_str = db.to_str().unwrap().to_owned();
    let expect_refusal = |args: &[&str], env: &[(&str, &str)], says: &str| {
        let mut all = vec!["--db", db_str.as_str(), "--as", SUPERVISOR, "--passphrase-stdin"];
        all.extend_from_slice(args);
        let out = run_with(home.path(), &all, &format!("{SUPERVISOR_PASS}\n"), env, Duration::from_secs(30));
        assert_no_panic(&all, &out);
        assert!(!out.status.success(), "{all:?} succeeded");
        let said = format!("{}{}", text(&out.stderr), text(&out.stdout));
        assert!(said.contains(says), "{all:?} should say {says:?}: {said}");
    };
    expect_refusal(&["export", "--from", "2026-01-01", "--to", "+262142-12-31"], &[], "années 1900 à 9999");
    expect_refusal(&["export", "--from", "2026-12-01", "--to", "2026-01-01"], &[], "vient avant");
    expect_refusal(&["settings", "set", "retention_days", "100000000"], &[], "entre 1 et 36500");
    expect_refusal(&["settings", "set", "colour", "3"], &[], "réglage \"colour\" inconnu");
    let fifo = home.path().join("config.toml");
    mkfifo(&fifo);
    expect_refusal(&["--config", fifo.to_str().unwrap(), "check"], &[], "pas un fichier ordinaire");
    expect_refusal(&["--config", "/dev/zero", "check"], &[], "pas un fichier ordinaire");
    let big = home.path().join("big.toml");
    std::fs::write(&big, "#".repeat(2 << 20)).unwrap();
    expect_refusal(&["--config", big.to_str().unwrap(), "check"], &[], "plus de 1024 Kio");

    // A URL other than a PostgreSQL server's is not a path: no folder named `mysql:` appears.
    let out = run_with(
        home.path(),
        &["--db", "mysql://centre.example/permanence", "--passphrase-stdin", "check"],
        "x\n",
        &[],
        HANG,
    );
    assert!(!out.status.success() && text(&out.stderr).contains("mysql://"), "{}", text(&out.stderr));
    assert!(!home.path().join("mysql:").exists());

    // The key file as a FIFO or a device: a message, not a hang.
    let keys = KeyFile::path_for(&db);
    let saved = home.path().join("saved.keys");
    std::fs::rename(&keys, &saved).unwrap();
    mkfifo(&keys);
    expect_refusal(&["check"], &[], "pas un fichier ordinaire");
    std::fs::remove_file(&keys).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &keys).unwrap();
    expect_refusal(&["check"], &[], "pas un fichier ordinaire");
    std::fs::remove_file(&keys).unwrap();
    std::fs::rename(&saved, &keys).unwrap();

    // An empty database file is damage, and stays empty: no fresh schema is written into it.
    let empty = home.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    std::fs::copy(&keys, KeyFile::path_for(&empty)).unwrap();
    let all = ["--db", empty.to_str().unwrap(), "--as", SUPERVISOR, "--passphrase-stdin", "check"];
    let out = run_with(home.path(), &all, &format!("{SUPERVISOR_PASS}\n"), &[], HANG);
    assert_no_panic(&all, &out);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("DÉFAUT") && text(&out.stdout).contains("empty"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);
}

/// `permanence queue | head -1`: the reader goes away; the command ends quietly.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let home = tempfile::tempdir().unwrap();
    let (db, _) = centre(home.path());
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let file = store.create_file(&FileProfile::default()).unwrap();
    for _ in 0..200 {
        schedule_callback_now(&mut store, file.id);
    }
    drop(store);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_permanence"))
        .args(["--db", db.to_str().unwrap(), "--as", SUPERVISOR, "--passphrase-stdin", "queue"])
        .env("HOME", home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before the first line is written (the unlock comes first).
    drop(child.stdout.take());
    use std::io::Write;
    child.stdin.take().unwrap().write_all(format!("{SUPERVISOR_PASS}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_no_panic(&["queue"], &out);
    assert_eq!(out.status.code(), Some(141), "ended as by SIGPIPE: {}", text(&out.stderr));
    assert!(text(&out.stderr).is_empty(), "quietly: {}", text(&out.stderr));
}

/// The wait after wrong passphrases is kept beside the key file: relaunching the program (or
/// using the command line instead of the terminal) does not start the count again.
#[test]
fn the_wait_after_wrong_passphrases_survives_a_relaunch() {
    let home = tempfile::tempdir().unwrap();
    let (db, _) = centre(home.path());
    let args = ["--db", db.to_str().unwrap(), "--as", SUPERVISOR, "--passphrase-stdin", "check"];
    for _ in 0..3 {
        let out = run_with(home.path(), &args, "pas la bonne phrase\n", &[], HANG);
        assert!(text(&out.stderr).contains("phrase de passe incorrecte"), "{}", text(&out.stderr));
    }
    // A fresh process, the right passphrase: still made to wait.
    let out = run_with(home.path(), &args, &format!("{SUPERVISOR_PASS}\n"), &[], HANG);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("attendez 5 s") || text(&out.stderr).contains("attendez 4 s"),
        "{}",
        text(&out.stderr)
    );
    std::thread::sleep(Duration::from_secs(5));
    let out = run_with(home.path(), &args, &format!("{SUPERVISOR_PASS}\n"), &[], HANG);
    assert!(out.status.success(), "after the wait: {}", text(&out.stderr));
    let attempts = std::fs::read_to_string(format!("{}.keys.attempts", db.display())).unwrap();
    assert!(!attempts.contains(SUPERVISOR), "the right passphrase starts the count again: {attempts}");
}

/// Issue 16: wrong passphrases through `--passphrase-stdin` are held to the terminal's wait,
/// even fired from many processes at once (the check and the count are one step, under the
/// key file's lock: no process passes the check while others are still trying); the count is
/// kept in the file, so the next process, and the one after the wait, see it.
#[test]
fn wrong_guesses_fired_at_once_from_the_command_line_wait_like_the_terminal() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    const AT_ONCE: usize = 8;
    let home = tempfile::tempdir().unwrap();
    let (db, _) = centre(home.path());
    let args = ["--db", db.to_str().unwrap(), "--as", SUPERVISOR, "--passphrase-stdin", "check"];
    let children: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_permanence"))
                .args(args)
                .env("HOME", home.path())
                .env_remove("XDG_CONFIG_HOME")
                .env_remove("XDG_DATA_HOME")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(b"pas la bonne phrase\n").unwrap();
            child
        })
        .collect();
    let (mut wrong, mut too_soon) = (0, 0);
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        if stderr.contains("Trop de phrases de passe erronées pour ce compte : attendez") {
            too_soon += 1;
        } else if stderr.contains("phrase de passe incorrecte") {
            wrong += 1;
        } else {
            panic!("neither wrong nor too soon: {stderr}");
        }
    }
    assert!(wrong <= 3, "{wrong} of {AT_ONCE} guesses tried at once; the terminal allows 3 before waiting");
    assert_eq!(wrong + too_soon, AT_ONCE);

    // A new process, with the right passphrase this time: the count on file makes it wait.
    let attempts_path = format!("{}.keys.attempts", db.display());
    let right = format!("{SUPERVISOR_PASS}\n");
    let out = run_with(home.path(), &args, &right, &[], HANG);
    assert!(text(&out.stderr).contains("Trop de phrases de passe erronées"), "{}", text(&out.stderr));
    // The wait runs out (its start moved 6 s back rather than sleeping); one more wrong guess,
    // and the count it adds to, kept across processes, doubles the wait.
    let mut counts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&attempts_path).unwrap()).unwrap();
    assert_eq!(counts["accounts"][SUPERVISOR][0], wrong, "only the guesses tried are counted");
    let started = counts["accounts"][SUPERVISOR][1].as_i64().unwrap();
    counts["accounts"][SUPERVISOR][1] = (started - 6).into();
    std::fs::write(&attempts_path, counts.to_string()).unwrap();
    let out = run_with(home.path(), &args, "encore une mauvaise phrase\n", &[], HANG);
    assert_eq!(text(&out.stderr), "permanence: phrase de passe incorrecte\n");
    let out = run_with(home.path(), &args, &right, &[], HANG);
    let stderr = text(&out.stderr);
    let expected =
        if wrong == 3 { ["attendez 10 s", "attendez 9 s"] } else { ["attendez 5 s", "attendez 4 s"] };
    assert!(expected.iter().any(|e| stderr.contains(e)), "{stderr}");
}
