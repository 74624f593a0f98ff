//! Helpers shared by the integration tests. Every value here is synthetic.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use permanence::domain::listener::Role;
use permanence::store::{KdfParams, Location, NewAccount, Store};
use permanence::test_support::postgres::{TestDatabase, fresh_database};

pub const SUPERVISOR: &str = "coord";
pub const SUPERVISOR_PASS: &str = "lune verte soixante";
pub const LISTENER: &str = "camille";
pub const LISTENER_PASS: &str = "trois pommes bleues";

pub fn db_in(dir: &Path) -> PathBuf {
    dir.join("permanence.db")
}

/// A new database with a supervisor, using the cheapest accepted key derivation (tests
/// unlock often; the parameters themselves are tested in the key-slot tests).
pub fn create(db: impl Into<Location>) -> Store {
    Store::create(
        db,
        NewAccount {
            login: SUPERVISOR,
            display_name: "Dominique",
            role: Role::Supervisor,
            passphrase: SUPERVISOR_PASS,
        },
        KdfParams::MINIMUM,
    )
    .expect("create the test database")
}

pub fn add_listener(store: &mut Store) {
    store
        .add_listener(
            NewAccount {
                login: LISTENER,
                display_name: "Camille",
                role: Role::Listener,
                passphrase: LISTENER_PASS,
            },
            KdfParams::MINIMUM,
        )
        .expect("add the test listener");
}

/// Whether `needle` occurs in any file below `dir`.
pub fn found_in_dir(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        if bytes.windows(needle.len()).any(|w| w == needle) {
            hits.push(entry);
        }
    }
    hits
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
/// A plain SQLCipher connection to `db` with the data key the supervisor's slot opens, as any
/// SQLCipher client would open it: to count in plain SQL what the program is checked against.
pub fn raw_connection(db: &Path) -> rusqlite::Connection {
    let unwrapped = permanence::store::KeyFile::load(&permanence::store::KeyFile::path_for(db))
        .unwrap()
        .unlock(SUPERVISOR, SUPERVISOR_PASS)
        .unwrap();
    let conn = rusqlite::Connection::open(db).unwrap();
    let key = unwrapped.data_key().sqlcipher_literal();
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.as_str())).unwrap();
    conn
}

/// The plaintext of an export encrypted with age to `identity`.
pub fn decrypt(path: &Path, identity: &age::x25519::Identity) -> Vec<u8> {
    let encrypted = std::fs::read(path).unwrap();
    let decryptor = age::Decryptor::new(&encrypted[..]).unwrap();
    let mut reader = decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut plain).unwrap();
    plain
}

pub mod cli;
pub mod disk;
pub mod tmux;

/// A fresh store's place on one backend, for the conformance suite (issue 18): the store's
/// behavioural tests run once on a database file and once on a database of the test server.
pub struct Backend {
    pub db: Location,
    /// What stands for the store on this machine: the file itself, or for a server a path in
    /// `dir` (exports go to `dir/exports` on both).
    pub local: PathBuf,
    /// The test's own folder (HOME, exports), whichever the backend.
    pub dir: tempfile::TempDir,
    _server: Option<TestDatabase>,
}

impl Backend {
    pub fn is_server(&self) -> bool {
        self.db.is_server()
    }

    /// A connection of its own to the store, outside the program, to count in plain SQL what
    /// the program is checked against: a plain SQLCipher connection with the data key the
    /// supervisor's slot opens, or a plain server connection (whose SQL sees only what the
    /// server holds: categories in clear, free text sealed). Statements are written with `?N`.
    pub fn raw(&self) -> permanence::store::db::Db {
        match (&self.db, &self._server) {
            (_, Some(database)) => permanence::store::db::Db::postgres(database.connect()),
            (Location::File(path), None) => permanence::store::db::Db::Sqlite(raw_connection(path)),
            (Location::Server(_), None) => unreachable!("a server backend holds its database"),
        }
    }
}

/// Runs `test` on a new database file, then on a new database of the test server
/// (`.ci/pg-cluster`): without one it says so in one line and runs on the file only, except
/// under CI, where that is a failure.
pub fn on_each_backend(name: &str, test: impl Fn(&Backend)) {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let file = Backend { db: db.clone().into(), local: db, dir, _server: None };
    eprintln!("{name}: on a database file");
    test(&file);
    drop(file);
    if let Some(database) = fresh_database(name) {
        let dir = tempfile::tempdir().unwrap();
        let server = Backend {
            db: Location::parse(Path::new(database.url())).unwrap(),
            local: dir.path().join("server"),
            dir,
            _server: Some(database),
        };
        eprintln!("{name}: on a database of the test server");
        test(&server);
    }
}

/// A pending callback due now on `file`, with the caller's consent (a synthetic number).
pub fn schedule_callback_now(store: &mut Store, file: permanence::domain::FileId) {
    use permanence::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};
    let callback = NewCallback::with_consent(
        true,
        file,
        None,
        chrono::Utc::now(),
        Priority::Normal,
        PhoneNumber::parse("0639980000").unwrap(),
        Assignee::Anyone,
        String::new(),
    )
    .unwrap();
    store.schedule_callback(&callback).unwrap();
}
