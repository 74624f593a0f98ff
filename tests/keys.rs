//! The key file, version 2 (docs/keyslots.md): a client nobody here wrote opens a store the
//! binary made, from the document alone; a store made with key-file version 1 still opens, and
//! each slot is converted at its owner's unlock; a converted slot waits for a supervisor.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::cli::{run, text};
use common::*;
use permanence::store::{KeyFile, KeySlot, SlotProblem, Store, StoreError};

/// "Les écureuils…" with its accents decomposed (e + U+0301), as some systems type them.
const DECOMPOSED: &str = "Les e\u{301}cureuils grimpent a\u{300} l'e\u{301}rable";
/// The same passphrase in NFC, as most keyboards type it.
const COMPOSED: &str = "Les écureuils grimpent à l'érable";

/// Python 3 with the three PyPI packages the client needs (.ci/run installs them).
fn python_client_available() -> bool {
    let available = Command::new("python3")
        .args(["-c", "import sqlcipher3, argon2, nacl"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install sqlcipher3-binary, argon2-cffi and pynacl (see .ci/run)"
        );
        eprintln!("skipped: python3 with sqlcipher3, argon2 and nacl is not installed");
    }
    available
}

fn python_client(db: &Path, login: &str, passphrase: &str) -> std::process::Output {
    use std::io::Write;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keyslots_client.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(db)
        .arg(login)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{passphrase}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_python_client_written_from_the_docs_opens_a_store_the_binary_made() {
    if !python_client_available() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let db = db_in(home.path());
    let db_str = db.to_str().unwrap();
    // The passphrase typed with decomposed accents; the client is given it composed.
    let out = run(
        home.path(),
        &["--db", db_str, "--passphrase-stdin", "init", "--login", SUPERVISOR],
        &format!("{DECOMPOSED}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        home.path(),
        &[
            "--db",
            db_str,
            "--as",
            SUPERVISOR,
            "--passphrase-stdin",
            "listener",
            "add",
            LISTENER,
            "--name",
            "Camille",
        ],
        &format!("{COMPOSED}\n{LISTENER_PASS}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let mut keys = Vec::new();
    for (login, passphrase) in [(SUPERVISOR, COMPOSED), (LISTENER, LISTENER_PASS)] {
        let out = python_client(&db, login, passphrase);
        assert!(out.status.success(), "{login}: {}", text(&out.stderr));
        let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            answer["accounts"],
            serde_json::json!([[SUPERVISOR, "supervisor"], [LISTENER, "listener"]]),
            "{login} reads the accounts table"
        );
        assert_eq!(answer["endorsed_by"], 1, "{login}: the founder (the root) signed");
        keys.push(answer["data_key"].as_str().unwrap().to_owned());
    }
    assert_eq!(keys[0], keys[1], "one data key");
    assert_eq!(keys[0].len(), 64);
    let out = python_client(&db, LISTENER, "trois pommes vertes");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("wrong passphrase"), "{}", text(&out.stderr));
}

fn fixture_copy(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keyfile-v1");
    let db = db_in(dir);
    std::fs::copy(fixture.join("permanence.db"), &db).unwrap();
    std::fs::copy(fixture.join("permanence.db.keys"), KeyFile::path_for(&db)).unwrap();
    db
}

fn versions(db: &Path) -> Vec<(String, u8)> {
    KeyFile::load(&KeyFile::path_for(db))
        .unwrap()
        .slots()
        .iter()
        .map(|slot| (slot.login().to_owned(), if matches!(slot, KeySlot::Legacy(_)) { 1 } else { 2 }))
        .collect()
}

fn refusal(db: &Path, login: &str, passphrase: &str) -> SlotProblem {
    match Store::open(db, login, passphrase) {
        Err(StoreError::SlotRefused { problem, .. }) => problem,
        Err(other) => panic!("{login}: {other}"),
        Ok(_) => panic!("{login} opened"),
    }
}

fn check(home: &Path, db: &Path) -> (bool, String) {
    let out = run(
        home,
        &["--db", db.to_str().unwrap(), "--as", SUPERVISOR, "--passphrase-stdin", "check"],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    (out.status.success(), text(&out.stdout))
}

/// `tests/fixtures/keyfile-v1` was made by the code of key-file version 1 (schema 8): coord
/// (supervisor), camille (listener), alex (supervisor, passphrase "forêt été café" typed
/// composed), and one caller file.
#[test]
fn a_store_made_with_key_file_version_1_opens_and_each_slot_converts_at_its_owners_unlock() {
    let home = tempfile::tempdir().unwrap();
    let db = fixture_copy(home.path());
    let v1_keys = std::fs::read(KeyFile::path_for(&db)).unwrap();
    assert!(text(&v1_keys).contains("\"version\": 1"));
    assert_eq!(Store::logins(&db).unwrap(), ["coord", "camille", "alex"]);

    // The first supervisor to unlock: converted, and the root of this store.
    let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert_eq!(store.counts().unwrap().files, 1, "the data is all there");
    assert_eq!(store.schema_version().unwrap(), permanence::store::SCHEMA_VERSION);
    drop(store);
    assert_eq!(versions(&db), [("coord".into(), 2), ("camille".into(), 1), ("alex".into(), 1)]);
    assert!(
        std::fs::read_to_string(KeyFile::path_for(&db))
            .unwrap()
            .contains("\"version\": 2,\n  \"database_salt\"")
    );
    let (clean, said) = check(home.path(), &db);
    assert!(clean, "{said}");
    assert!(said.contains("NOTE : l'emplacement de clé de \"camille\" est encore en version 1"), "{said}");
    Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();

    // Version 1 took the passphrase as typed: decomposed accents do not open alex's slot yet.
    let decomposed = "fore\u{302}t e\u{301}te\u{301} cafe\u{301}";
    assert!(matches!(Store::open(&db, "alex", decomposed), Err(StoreError::WrongPassphrase)));
    drop(Store::open(&db, "alex", "forêt été café").unwrap());
    assert_eq!(versions(&db)[2], ("alex".into(), 2));
    // Converted, but no supervisor has vouched for the new keys yet.
    assert_eq!(refusal(&db, "alex", "forêt été café"), SlotProblem::NotEndorsed);
    let (clean, said) = check(home.path(), &db);
    assert!(!clean);
    assert!(said.contains("\"alex\" : aucun·e superviseur·e ne l'a encore contresigné"), "{said}");

    let out = run(
        home.path(),
        &[
            "--db",
            db.to_str().unwrap(),
            "--as",
            SUPERVISOR,
            "--passphrase-stdin",
            "listener",
            "endorse",
            "alex",
        ],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Empreinte de sa clé de signature"), "{}", text(&out.stdout));
    // Version 2 normalises: now either way of typing the accents opens it.
    drop(Store::open(&db, "alex", decomposed).unwrap());
    drop(Store::open(&db, "alex", "forêt été café").unwrap());

    drop(Store::open(&db, LISTENER, LISTENER_PASS).unwrap());
    assert_eq!(refusal(&db, LISTENER, LISTENER_PASS), SlotProblem::NotEndorsed);
    // Alex, a supervisor other than the root, may endorse too.
    let mut alex = Store::open(&db, "alex", "forêt été café").unwrap();
    alex.endorse_slot(LISTENER).unwrap();
    drop(alex);
    drop(Store::open(&db, LISTENER, LISTENER_PASS).unwrap());
    let (clean, said) = check(home.path(), &db);
    assert!(clean && !said.contains("NOTE"), "{said}");

    // What the terminal says to each refusal, in French by default.
    let strings = permanence::i18n::Strings::get(permanence::i18n::Language::Fr);
    let said = |problem| {
        permanence::messages::store_error_brief(
            strings,
            &StoreError::SlotRefused { login: "alex".into(), problem },
        )
    };
    assert!(said(SlotProblem::NotEndorsed).contains("attend la signature d'un·e superviseur·e"));
    assert!(said(SlotProblem::NotEndorsed).contains("permanence listener endorse alex"));
    assert!(said(SlotProblem::BadEndorsement).contains("n'est signé par aucun·e superviseur·e"));
    assert!(said(SlotProblem::LegacyAfterConversion).contains("ancien format"));

    // The old key file's slot of an account that has keys now: refused, and named.
    let path = KeyFile::path_for(&db);
    let mut current: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let old: serde_json::Value = serde_json::from_slice(&v1_keys).unwrap();
    let mut camille =
        old["slots"].as_array().unwrap().iter().find(|s| s["login"] == LISTENER).unwrap().clone();
    camille["version"] = 1.into();
    for slot in current["slots"].as_array_mut().unwrap() {
        if slot["login"] == LISTENER {
            *slot = camille.clone();
        }
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&current).unwrap()).unwrap();
    assert_eq!(refusal(&db, LISTENER, LISTENER_PASS), SlotProblem::LegacyAfterConversion);
    let (clean, said) = check(home.path(), &db);
    assert!(!clean && said.contains("\"camille\" : c'est un emplacement de version 1"), "{said}");
}

/// Opens `db` with a raw SQLCipher key, as someone who kept it would with any SQLCipher client.
fn opens_with(db: &Path, key: &permanence::store::DataKey) -> bool {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.sqlcipher_literal().as_str())).unwrap();
    conn.query_row("SELECT count(*) FROM listener", [], |row| row.get::<_, i64>(0)).is_ok()
}

fn data_key_of(key_file: &[u8], login: &str, passphrase: &str) -> permanence::store::DataKey {
    let file = KeyFile::parse(Path::new("kept.keys"), key_file).unwrap();
    match file.unlock(login, passphrase).unwrap() {
        permanence::store::Unwrapped::Current { key, .. }
        | permanence::store::Unwrapped::Legacy { key, .. } => key,
    }
}

/// Camille keeps a copy of the key file (or a backup's) before she is deactivated: after the
/// deactivation it opens nothing of the database, neither through the program nor as a raw
/// SQLCipher key. The same for an old slot after a supervisor resets a passphrase.
#[test]
fn an_old_key_file_opens_nothing_of_the_database_after_a_deactivation_or_a_reset() {
    let home = tempfile::tempdir().unwrap();
    let db = db_in(home.path());
    let mut store = create(&db);
    add_listener(&mut store);
    store.create_file(&permanence::domain::caller_file::FileProfile::default()).unwrap();
    let backup = home.path().join("backup.db");
    store.backup(&backup).unwrap();
    let kept = std::fs::read(KeyFile::path_for(&db)).unwrap();
    let kept_backup_keys = std::fs::read(KeyFile::path_for(&backup)).unwrap();
    let old_key = data_key_of(&kept, LISTENER, LISTENER_PASS);
    assert!(opens_with(&db, &old_key), "before: her key opens the database");

    let report = store.deactivate_listener(LISTENER).unwrap().rekeyed().expect("the file is re-keyed");
    assert_eq!(report.slots, 1, "the supervisor's slot got the new key");
    assert!(!opens_with(&db, &old_key), "her copy of the data key opens nothing now");
    assert!(!opens_with(&db, &data_key_of(&kept_backup_keys, LISTENER, LISTENER_PASS)));
    assert_eq!(store.counts().unwrap().files, 1, "the data is all there, under the new key");
    drop(store);
    // Her old key file put back in place: its slot opens, the database does not decrypt.
    std::fs::write(KeyFile::path_for(&db), &kept).unwrap();
    let err = Store::open(&db, LISTENER, LISTENER_PASS).err().expect("refused");
    assert!(err.is_damage(), "{err}");

    // A reset: the old slot of the person reset opens nothing either.
    let home = tempfile::tempdir().unwrap();
    let db = db_in(home.path());
    let mut store = create(&db);
    add_listener(&mut store);
    let before = std::fs::read(KeyFile::path_for(&db)).unwrap();
    store.set_passphrase(LISTENER, "quatre poires jaunes", permanence::store::KdfParams::MINIMUM).unwrap();
    assert!(!opens_with(&db, &data_key_of(&before, LISTENER, LISTENER_PASS)));
    drop(store);
    assert!(matches!(Store::open(&db, LISTENER, LISTENER_PASS), Err(StoreError::WrongPassphrase)));
    Store::open(&db, LISTENER, "quatre poires jaunes").unwrap();
    let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert!(store.check().unwrap().is_clean(), "{:?}", store.check().unwrap());
}

/// Three terminals open, one supervisor deactivates Camille: the supervisor's other session
/// follows the new file without a passphrase and goes on writing; Camille's session is told
/// its access changed and can do nothing more.
#[test]
fn other_open_sessions_follow_a_rekey_or_lose_their_access() {
    let home = tempfile::tempdir().unwrap();
    let db = db_in(home.path());
    let mut store = create(&db);
    add_listener(&mut store);
    store
        .add_listener(
            permanence::store::NewAccount {
                login: "sacha",
                display_name: "Sacha",
                role: permanence::domain::listener::Role::Listener,
                passphrase: "quatre poires jaunes",
            },
            permanence::store::KdfParams::MINIMUM,
        )
        .unwrap();
    let mut sacha = Store::open(&db, "sacha", "quatre poires jaunes").unwrap();
    let mut camille = Store::open(&db, LISTENER, LISTENER_PASS).unwrap();
    sacha.data_version().unwrap();
    camille.data_version().unwrap();
    let profile = permanence::domain::caller_file::FileProfile::default();

    // While a re-key is under way (its copy being written, the key file's lock held), a write
    // elsewhere says "busy" at once instead of waiting for the old file's lock.
    let next = permanence::store::next_database_path(&db);
    std::fs::write(&next, b"").unwrap();
    let rekeying = KeyFile::lock(&KeyFile::path_for(&db)).unwrap();
    let asked = std::time::Instant::now();
    assert!(matches!(sacha.create_file(&profile), Err(StoreError::Locked)));
    assert!(asked.elapsed() < std::time::Duration::from_secs(2), "told at once");
    // A re-key that died leaves its copy and no lock: cleared by the next write, which goes on.
    drop(rekeying);
    sacha.create_file(&profile).unwrap();
    assert!(!next.exists());

    store.deactivate_listener(LISTENER).unwrap();
    // Sacha's terminal polls, follows, and writes into the new file.
    sacha.data_version().unwrap();
    let code = sacha.create_file(&profile).unwrap().code;
    // Camille's terminal learns it at its next poll, or its next write.
    assert!(matches!(camille.data_version(), Err(StoreError::AccessRevoked)));
    assert!(matches!(camille.create_file(&profile), Err(StoreError::AccessRevoked)));
    drop((sacha, camille));
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert!(
        store.search_files(code.as_str(), &Default::default(), 5).unwrap().len() == 1,
        "Sacha's file is in"
    );
    assert!(store.check().unwrap().is_clean(), "{:?}", store.check().unwrap());
}

/// A re-key cannot give its new key to a version-1 slot (it has no public key): those slots are
/// removed, the re-key names them, `check` lists their accounts, a supervisor resets them.
#[test]
fn a_rekey_removes_the_version_1_slots_and_names_them() {
    let home = tempfile::tempdir().unwrap();
    let db = fixture_copy(home.path());
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let report = store.deactivate_listener(LISTENER).unwrap().rekeyed().expect("the file is re-keyed");
    assert_eq!(report.removed_version_1, ["alex"], "camille's own slot goes with her account");
    assert_eq!(report.slots, 1);
    assert_eq!(versions(&db), [(SUPERVISOR.to_owned(), 2)]);
    assert!(matches!(Store::open(&db, "alex", "forêt été café"), Err(StoreError::UnknownListener(_))));
    let (clean, said) = check(home.path(), &db);
    assert!(!clean && said.contains("\"alex\" n'a pas d'emplacement de clé"), "{said}");
    store.set_passphrase("alex", "quatre poires jaunes", permanence::store::KdfParams::MINIMUM).unwrap();
    drop(store);
    drop(Store::open(&db, "alex", "quatre poires jaunes").unwrap());
    let (clean, said) = check(home.path(), &db);
    assert!(clean, "{said}");
}

/// Camille, a listener, unwraps the data key with her own passphrase and writes herself a slot
/// for the supervisor's login with keys of her own, signed with her own key; with
/// `rewrite_pins`, she also rewrites the supervisor's pinned keys to match (dropping the guard
/// on their history). Returns the store's folder and database.
fn forge_supervisor_slot(rewrite_pins: bool) -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let db = db_in(home.path());
    let mut store = create(&db);
    add_listener(&mut store);
    let coord = store.actor().id;
    let camille = store.listener_by_login(LISTENER).unwrap().id;
    drop(store);
    let key_file = KeyFile::load(&KeyFile::path_for(&db)).unwrap();
    let permanence::store::Unwrapped::Current { key, keys: camille_keys, .. } =
        key_file.unlock(LISTENER, LISTENER_PASS).unwrap()
    else {
        panic!("a version-2 slot")
    };
    let forged_keys = permanence::store::AccountKeys::generate().unwrap();
    if rewrite_pins {
        let public = forged_keys.public();
        let raw = rusqlite::Connection::open(&db).unwrap();
        raw.execute_batch(&format!("PRAGMA key = \"{}\";", key.sqlcipher_literal().as_str())).unwrap();
        raw.execute_batch("DROP TRIGGER listener_key_history_is_kept_update;").unwrap();
        raw.execute(
            "UPDATE listener_key SET signing_key = ?2, box_key = ?3 WHERE listener_id = ?1",
            rusqlite::params![coord.0, public.signing_key.as_slice(), public.box_key.as_slice()],
        )
        .unwrap();
    }
    let mut slot = permanence::store::Slot::seal(
        coord,
        SUPERVISOR,
        permanence::domain::listener::Role::Supervisor,
        FORGER,
        permanence::store::KdfParams::MINIMUM,
        &forged_keys,
        &key,
    )
    .unwrap();
    slot.endorse(camille, camille_keys.signer());
    let mut forged_file = key_file.clone();
    forged_file.set_slot(slot);
    forged_file.save().unwrap();
    (home, db)
}

const FORGER: &str = "phrase de la faussaire";

fn as_account(
    home: &Path,
    db: &Path,
    login: &str,
    passphrase: &str,
    args: &[&str],
) -> (bool, String, String) {
    let mut all = vec!["--db", db.to_str().unwrap(), "--as", login, "--passphrase-stdin"];
    all.extend_from_slice(args);
    let out = run(home, &all, &format!("{passphrase}\n"));
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// Without a supervisor's signing secret, a slot forged with the data key is refused by the
/// binary and named by `check`; rewriting the supervisor's pinned keys as well only makes it
/// louder: every slot that supervisor vouched for stops opening.
#[test]
fn a_supervisor_slot_forged_by_a_listener_is_refused_by_the_binary_and_named_by_check() {
    let (home, db) = forge_supervisor_slot(false);
    let (opened, _, said) = as_account(home.path(), &db, SUPERVISOR, FORGER, &["listener", "list"]);
    assert!(!opened && said.contains("ses clés ne sont pas celles enregistrées pour son compte"), "{said}");
    let (clean, said, _) = as_account(home.path(), &db, LISTENER, LISTENER_PASS, &["check"]);
    assert!(!clean);
    assert!(
        said.contains("DÉFAUT : fichier de clés : l'emplacement de clé de \"coord\" : ses clés ne sont pas celles enregistrées"),
        "{said}"
    );

    let (home, db) = forge_supervisor_slot(true);
    let (opened, _, said) = as_account(home.path(), &db, SUPERVISOR, FORGER, &["listener", "list"]);
    assert!(
        !opened && said.contains("son contreseing n'est pas la signature d'un·e superviseur·e actif·ve"),
        "{said}"
    );
    let (opened, _, said) = as_account(home.path(), &db, LISTENER, LISTENER_PASS, &["check"]);
    assert!(
        !opened && said.contains("l'emplacement de clé de \"camille\" est refusé"),
        "the slots the real supervisor signed no longer open: {said}"
    );
}
