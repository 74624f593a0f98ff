//! The command line, fuzzed: the corpus in `tests/corpus/cli.txt`, then random command lines
//! made of the program's own words and of odd values (far dates, huge numbers, the store's
//! own files, links, FIFOs). Every run of the real binary must end within a minute, without a
//! panic, and leave a store that opens and verifies. Paths are only ever inside the test's
//! own folder.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{HANG, assert_no_panic, run_with, text};
use common::*;
use permanence::domain::caller_file::FileProfile;
use permanence::store::Store;
use proptest::prelude::*;

struct Place {
    home: tempfile::TempDir,
    db: PathBuf,
    code: String,
}

impl Place {
    fn new() -> Place {
        let home = tempfile::tempdir().unwrap();
        let db = db_in(home.path());
        let mut store = create(&db);
        store.start_shift().unwrap();
        let code = store.create_file(&FileProfile::default()).unwrap().code.as_str().to_owned();
        drop(store);
        std::os::unix::fs::symlink(home.path().join("elsewhere.md"), home.path().join("link.md")).unwrap();
        let fifo = std::ffi::CString::new(home.path().join("fifo").as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        std::os::unix::fs::symlink("/dev/zero", home.path().join("zero.toml")).unwrap();
        Place { home, db, code }
    }

    fn fill(&self, word: &str) -> String {
        word.replace("{db}", self.db.to_str().unwrap())
            .replace("{home}", self.home.path().to_str().unwrap())
            .replace("{code}", &self.code)
    }

    /// Runs one command line as the supervisor, then checks that the store survived it.
    fn run(&self, words: &[String]) {
        let mut args: Vec<String> =
            ["--db", self.db.to_str().unwrap(), "--as", SUPERVISOR, "--passphrase-stdin"]
                .map(str::to_owned)
                .to_vec();
        args.extend(words.iter().map(|w| self.fill(w)));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // The same passphrase again wherever a new one is asked (`passwd`, `listener add`).
        let stdin = format!("{SUPERVISOR_PASS}\n").repeat(3);
        let out = run_with(self.home.path(), &args, &stdin, &[], HANG);
        assert_no_panic(&args, &out);
        assert!(
            out.status.success() || !text(&out.stderr).trim().is_empty(),
            "{args:?} failed without saying why"
        );
        let store = Store::open(&self.db, SUPERVISOR, SUPERVISOR_PASS)
            .unwrap_or_else(|e| panic!("after {args:?} the store does not open: {e}"));
        let report = store.check().unwrap();
        assert!(report.is_clean(), "after {args:?}: {:?}", report.findings);
        assert!(Path::new(&self.fill("{home}/fifo")).exists(), "the FIFO is still there");
    }
}

#[test]
fn the_corpus_never_destroys_the_store_nor_panics_nor_hangs() {
    let place = Place::new();
    let corpus = include_str!("corpus/cli.txt");
    for line in corpus.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let words: Vec<String> = line.split(' ').map(str::to_owned).collect();
        place.run(&words);
    }
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{db}".to_owned()),
        Just("{db}.keys".to_owned()),
        Just("{db}-wal".to_owned()),
        Just("{db}-shm".to_owned()),
        Just("{db}.keys.lock".to_owned()),
        Just("{home}".to_owned()),
        Just("{home}/link.md".to_owned()),
        Just("{home}/fifo".to_owned()),
        Just("{home}/zero.toml".to_owned()),
        Just("{home}/missing/x.md".to_owned()),
        Just("{home}/out.md".to_owned()),
        Just("-".to_owned()),
        Just("{code}".to_owned()),
        Just("2026-11-24".to_owned()),
        Just("+262142-12-31".to_owned()),
        Just("-262143-01-01".to_owned()),
        Just("2026-02-30".to_owned()),
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("4294967296".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("".to_owned()),
        Just("current".to_owned()),
        Just("last".to_owned()),
        Just("coord".to_owned()),
        Just("retention_days".to_owned()),
        Just("purge_confirm_percent".to_owned()),
        // No slash and no dot: a random word is at most a new name inside the test's folder.
        "[a-zA-Z0-9 :%\u{e9}\u{1b}-]{0,12}",
    ]
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "export", "file", "export", "hold", "release", "purge", "queue", "check", "settings", "set",
            "backup", "listener", "list", "add", "passwd", "--out", "--from", "--to", "--shift", "--format",
            "md", "json", "csv", "text", "--include-notes", "--dry-run", "--reason", "--name", "--config",
            "report", "--year", "html",
        ])
        .prop_map(str::to_owned),
        2 => value(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_command_lines_never_destroy_the_store(words in prop::collection::vec(word(), 1..7)) {
        // One store for every case would let a case inherit another's damage unseen; a fresh
        // one per case costs a key derivation at the cheapest accepted cost.
        let place = Place::new();
        place.run(&words);
    }
}
