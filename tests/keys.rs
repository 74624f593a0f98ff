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
