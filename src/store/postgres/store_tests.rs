//! The store opened and created on a real server: `Store::create` and `Store::open` with a
//! `postgresql://` location, the key slots in the `key_file` row, wrong passphrases counted in
//! `unlock_attempt`, account changes in one transaction with their slot, presence held by a
//! session's advisory lock, another terminal's commit heard by `data_version`.

use std::time::{Duration, Instant};

use crate::db_params;
use crate::domain::listener::Role;
use crate::store::db::Db;
use crate::store::keyslots::KeyFile;
use crate::store::presence::Presence;
use crate::store::{KdfParams, Location, NewAccount, Store, StoreError};
use crate::test_support::postgres::{TestDatabase, fresh_database};

const PASS: &str = "trois pommes bleues vertes";
const LISTENER_PASS: &str = "quatre poires jaunes mûres";

fn account<'a>(login: &'a str, role: Role, passphrase: &'a str) -> NewAccount<'a> {
    NewAccount { login, display_name: login, role, passphrase }
}

fn server(test: &str) -> Option<(Location, TestDatabase)> {
    let database = fresh_database(test)?;
    let location = Location::from(super::ServerUrl::parse(database.url()).unwrap());
    Some((location, database))
}

/// The key slots as the server keeps them: the bytes of docs/keyslots.md, in one row.
fn key_file_row(database: &TestDatabase) -> KeyFile {
    let db = Db::postgres(database.connect());
    let body: Vec<u8> =
        db.query_row("SELECT body FROM key_file WHERE id = 1", db_params![], |row| row.get(0)).unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(
        text.contains("\"format\": \"permanence-keyslots\"") && text.contains("\"version\": 2"),
        "{text}"
    );
    KeyFile::parse(std::path::Path::new("row"), &body).unwrap()
}

#[test]
fn a_store_is_created_on_a_server_once_and_unlocks_there() {
    let Some((location, database)) = server("a_store_is_created_on_a_server_once_and_unlocks_there") else {
        return;
    };
    assert!(matches!(Store::logins(&location), Err(StoreError::NotFound(_))), "an empty database");
    let mut store =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    assert_eq!(store.key_file_path(), None, "no key file on this machine");
    assert_eq!(store.schema_version().unwrap(), super::schema::LATEST);
    store.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    let slots = key_file_row(&database);
    assert_eq!(slots.slots().len(), 2);
    assert!(slots.database_salt().is_some(), "bound to a database id");
    assert_eq!(Store::logins(&location).unwrap(), ["coord", "camille"]);
    drop(store);

    let again = Store::create(&location, account("autre", Role::Supervisor, PASS), KdfParams::MINIMUM);
    assert!(matches!(again, Err(StoreError::AlreadyExists(_))), "{:?}", again.err());
    let camille = Store::open(&location, "camille", LISTENER_PASS).unwrap();
    assert_eq!(camille.actor().login, "camille");
    assert!(camille.check().unwrap().is_clean(), "{:?}", camille.check().unwrap().findings);
    assert!(matches!(Store::open(&location, "personne", PASS), Err(StoreError::UnknownListener(_))));
}

#[test]
fn another_applications_database_is_refused_untouched() {
    let Some((location, database)) = server("another_applications_database_is_refused_untouched") else {
        return;
    };
    Db::postgres(database.connect()).execute_batch("CREATE TABLE invoices (id BIGINT)").unwrap();
    let created = Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM);
    assert!(matches!(created, Err(StoreError::ForeignDatabase(_))), "{:?}", created.err());
    assert!(matches!(Store::open(&location, "coord", PASS), Err(StoreError::ForeignDatabase(_))));
    assert!(matches!(Store::logins(&location), Err(StoreError::ForeignDatabase(_))));
    let tables: i64 = Db::postgres(database.connect())
        .query_row("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db_params![], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1, "only its own table");
}

/// The file's rules, counted on the server: the free tries, then a wait that every terminal
/// sees (`unlock_wait`), the count cleared by the right passphrase.
#[test]
fn wrong_passphrases_are_counted_on_the_server_as_in_the_file() {
    let Some((location, database)) = server("wrong_passphrases_are_counted_on_the_server_as_in_the_file")
    else {
        return;
    };
    drop(Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap());
    for _ in 0..3 {
        assert!(matches!(Store::open(&location, "coord", "mauvaise"), Err(StoreError::WrongPassphrase)));
    }
    let wait = Store::unlock_wait(&location, "coord").expect("three wrong ones make it wait");
    assert!((1..=5).contains(&wait), "{wait}");
    assert!(
        matches!(Store::open(&location, "coord", PASS), Err(StoreError::TooSoon(_))),
        "even the right one"
    );
    let (failures, login): (i64, String) = Db::postgres(database.connect())
        .query_row("SELECT failures, login FROM unlock_attempt", db_params![], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((failures, login.as_str()), (3, "coord"), "no passphrase in it, the refused try not counted");
    Db::postgres(database.connect())
        .execute("UPDATE unlock_attempt SET last_at = last_at - 60", db_params![])
        .unwrap();
    assert_eq!(Store::unlock_wait(&location, "coord"), None);
    drop(Store::open(&location, "coord", PASS).unwrap());
    let left: i64 = Db::postgres(database.connect())
        .query_row("SELECT count(*) FROM unlock_attempt", db_params![], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "the right passphrase clears the count");
}

/// Account changes commit with their slot; two at once from two terminals keep both (the row
/// is locked across each); what needs the data key rotated is refused before anything changes.
#[test]
fn account_changes_commit_with_their_slot_and_a_rekey_is_refused() {
    let Some((location, database)) = server("account_changes_commit_with_their_slot_and_a_rekey_is_refused")
    else {
        return;
    };
    drop(Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap());
    let adders: Vec<_> = ["camille", "sacha", "dominique", "alex"]
        .into_iter()
        .map(|login| {
            // Opened one after the other: tries under way count as failures until they succeed.
            let mut store = Store::open(&location, "coord", PASS).unwrap();
            std::thread::spawn(move || {
                store
                    .add_listener(account(login, Role::Listener, LISTENER_PASS), KdfParams::MINIMUM)
                    .unwrap();
            })
        })
        .collect();
    for adder in adders {
        adder.join().unwrap();
    }
    assert_eq!(key_file_row(&database).slots().len(), 5, "every slot kept");
    let mut camille = Store::open(&location, "camille", LISTENER_PASS).unwrap();
    camille.set_passphrase("camille", "cinq prunes rouges sucrées", KdfParams::MINIMUM).unwrap();
    assert!(matches!(Store::open(&location, "camille", LISTENER_PASS), Err(StoreError::WrongPassphrase)));
    drop(Store::open(&location, "camille", "cinq prunes rouges sucrées").unwrap());

    let mut coord = Store::open(&location, "coord", PASS).unwrap();
    let before = key_file_row(&database).to_bytes().unwrap();
    for refused in [
        coord.deactivate_listener("sacha").map(drop),
        coord.set_passphrase("sacha", "six figues vertes mûres", KdfParams::MINIMUM),
    ] {
        let err = refused.unwrap_err();
        assert!(matches!(err, StoreError::Refused(_)), "{err}");
        assert!(err.to_string().contains("PostgreSQL"), "{err}");
    }
    assert_eq!(key_file_row(&database).to_bytes().unwrap(), before, "no slot changed");
    assert!(coord.listener_by_login("sacha").unwrap().active);
    drop(Store::open(&location, "sacha", LISTENER_PASS).unwrap());
    let backup = coord.backup(&tempfile::tempdir().unwrap().path().join("copy.db"));
    assert!(matches!(backup, Err(StoreError::Refused(_))), "a server is backed up with pg_dump");
}

/// A terminal's presence is a session's advisory lock: seen by another session while held,
/// gone when its connection ends.
#[test]
fn presence_on_a_server_is_held_by_a_session_and_seen_by_others() {
    let Some((location, _database)) = server("presence_on_a_server_is_held_by_a_session_and_seen_by_others")
    else {
        return;
    };
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let camille =
        coord.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap().id;
    assert_eq!(coord.is_present(camille), Some(false));
    let held = Presence::hold(&location, camille).unwrap();
    let second = Presence::hold(&location, camille).unwrap();
    assert_eq!(coord.is_present(camille), Some(true));
    assert_eq!(coord.is_present(coord.actor().id), Some(false), "per account");
    drop(held);
    assert_eq!(coord.is_present(camille), Some(true), "a second terminal still holds it");
    drop(second);
    // The server lets go when it has read the connection's end.
    let deadline = Instant::now() + Duration::from_secs(10);
    while coord.is_present(camille) != Some(false) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(coord.is_present(camille), Some(false));
}

/// What one terminal saves, another's one-second poll sees (`data_version`), and reads.
#[test]
fn another_terminals_save_is_heard_and_read() {
    let Some((location, _database)) = server("another_terminals_save_is_heard_and_read") else {
        return;
    };
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    coord.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    let mut camille = Store::open(&location, "camille", LISTENER_PASS).unwrap();
    let before = coord.data_version().unwrap();
    let file = camille.create_file(&crate::domain::caller_file::FileProfile::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while coord.data_version().unwrap() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_ne!(coord.data_version().unwrap(), before);
    assert_eq!(coord.file_with_history(file.id).unwrap().file.code, file.code);
}
