//! Where a command may write a file. Every file the program writes on a person's say-so
//! (`--out` of an export or a backup, the export folder) goes through [`check`]: a path that
//! names the database, one of its companions (key file, log, lock, our temporary files) or
//! anything that is not a regular file (a link, a device, a FIFO, a folder) is refused before
//! a byte is written. Writing itself replaces the file by a rename, which never writes
//! through a link.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::i18n::Phrase;

/// Why a path was refused, in words a person can act on (said by [`Refused::phrase`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The database or one of its own files (key file, log, lock, temporary file).
    StoreFile(PathBuf),
    Link(PathBuf),
    /// Not a regular file: a folder, a named pipe (FIFO), a device or a socket.
    NotRegular(PathBuf, &'static str),
    NoFolder(PathBuf),
    /// A name a database keeps beside it, whatever store it belongs to.
    CompanionName(PathBuf),
    /// An existing file that is not a text file written by an export (a database?).
    NotAnExport(PathBuf),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.phrase().fmt(f)
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// The refusal in the reader's language.
    pub fn phrase(&self) -> Phrase {
        match self {
            Refused::StoreFile(path) => Phrase::new(|s| &s.cli.out_store_file).with("path", path.display()),
            Refused::Link(path) => Phrase::new(|s| &s.cli.out_link).with("path", path.display()),
            Refused::NotRegular(path, kind) => {
                let kind = match *kind {
                    "folder" => Phrase::new(|s| &s.cli.kind_folder),
                    "named pipe (FIFO)" => Phrase::new(|s| &s.cli.kind_fifo),
                    "device" => Phrase::new(|s| &s.cli.kind_device),
                    _ => Phrase::new(|s| &s.cli.kind_socket),
                };
                Phrase::new(|s| &s.cli.out_not_regular).with("path", path.display()).with_phrase("kind", kind)
            }
            Refused::NoFolder(path) => Phrase::new(|s| &s.cli.out_no_folder).with("path", path.display()),
            Refused::CompanionName(path) => {
                Phrase::new(|s| &s.cli.out_companion).with("path", path.display())
            }
            Refused::NotAnExport(path) => Phrase::new(|s| &s.cli.out_not_export).with("path", path.display()),
        }
    }
}

/// The names SQLite and this program give the database's companions: the key file, its lock,
/// the last login used on it, the terminals' presence, the write-ahead log, the shared-memory
/// index, a rollback journal, and the new database and key file a re-key writes (`<db>.next`,
/// `<db>.keys.next`).
const COMPANIONS: &[&str] = &[
    ".keys",
    ".keys.lock",
    ".keys.attempts",
    ".last-login",
    ".presence",
    "-wal",
    "-shm",
    "-journal",
    ".next",
    ".keys.next",
];

/// Refuses `out` if writing it could destroy the store at `db` or write anywhere but into a
/// regular file of its own.
pub fn check(out: &Path, db: &Path) -> Result<(), Refused> {
    if let Ok(meta) = std::fs::symlink_metadata(out) {
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Err(Refused::Link(out.to_owned()));
        }
        let other = if kind.is_dir() {
            Some("folder")
        } else if kind.is_fifo() {
            Some("named pipe (FIFO)")
        } else if kind.is_char_device() || kind.is_block_device() {
            Some("device")
        } else if kind.is_socket() {
            Some("socket")
        } else {
            None
        };
        if let Some(other) = other {
            return Err(Refused::NotRegular(out.to_owned(), other));
        }
    }
    let target = resolve(out).ok_or_else(|| Refused::NoFolder(out.to_owned()))?;
    let protected = protected_paths(db);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for path in &protected {
        if *path == target || is_temp_of(&target, path, &name) {
            return Err(Refused::StoreFile(out.to_owned()));
        }
    }
    // Another store's companions (a backup's key file, the real store beside the demo).
    if COMPANIONS.iter().any(|suffix| name.ends_with(suffix)) {
        return Err(Refused::CompanionName(out.to_owned()));
    }
    // A hard link, or the same file reached through another path.
    if let Ok(meta) = std::fs::metadata(out) {
        let same = |path: &PathBuf| {
            std::fs::metadata(path).is_ok_and(|p| (p.dev(), p.ino()) == (meta.dev(), meta.ino()))
        };
        if protected.iter().any(same) {
            return Err(Refused::StoreFile(out.to_owned()));
        }
        // Another store's database (SQLCipher pages look like noise): only text or an age
        // file, as exports are, is ever replaced.
        if !looks_like_an_export(out) {
            return Err(Refused::NotAnExport(out.to_owned()));
        }
    }
    Ok(())
}

/// Refuses a standard output that the shell pointed at one of the store's files
/// (`--out - >> permanence.db.keys`).
pub fn check_stdout(db: &Path) -> Result<(), Refused> {
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(libc::STDOUT_FILENO, &mut stat) } != 0 {
        return Ok(()); // closed: writing fails and says so
    }
    let same = |path: &PathBuf| {
        std::fs::metadata(path).is_ok_and(|p| (p.dev(), p.ino()) == (stat.st_dev as u64, stat.st_ino as u64))
    };
    match protected_paths(db).iter().find(|p| same(p)) {
        Some(path) => Err(Refused::StoreFile(path.clone())),
        None => Ok(()),
    }
}

/// Whether the start of an existing file reads as UTF-8 text or an age-encrypted file.
fn looks_like_an_export(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    let Ok(file) = std::fs::File::open(path) else { return false };
    if file.take(4096).read_to_end(&mut head).is_err() {
        return false;
    }
    if head.starts_with(b"age-encryption.org/") {
        return true;
    }
    let text = match std::str::from_utf8(&head) {
        Ok(text) => text,
        // A multi-byte character cut by the 4 KiB window is still text.
        Err(err) if err.error_len().is_none() => {
            std::str::from_utf8(&head[..err.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return false,
    };
    !text.contains('\0') && !text.contains("permanence-keyslots")
}

/// The database's own files, as absolute paths with their folder resolved: beside the path
/// given, and beside the real file when that path is a link (SQLite keeps its log there).
fn protected_paths(db: &Path) -> Vec<PathBuf> {
    let given = resolve(db).unwrap_or_else(|| db.to_owned());
    let real = db.canonicalize().ok();
    let mut paths = Vec::new();
    for db in std::iter::once(given).chain(real) {
        paths.push(db.clone());
        for suffix in COMPANIONS {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            paths.push(PathBuf::from(name));
        }
    }
    paths
}

/// `.<name>.<anything>.tmp` beside `path`: how `atomic_file` names its temporary files.
fn is_temp_of(target: &Path, path: &Path, target_name: &str) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else { return false };
    target.parent() == path.parent()
        && target_name.starts_with(&format!(".{name}."))
        && target_name.ends_with(".tmp")
}

/// `path` with its folder made absolute and free of links (the file itself need not exist).
fn resolve(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_in(dir: &Path) -> PathBuf {
        let db = dir.join("permanence.db");
        for suffix in ["", ".keys", "-wal", "-shm"] {
            std::fs::write(format!("{}{suffix}", db.display()), b"x").unwrap();
        }
        db
    }

    #[test]
    fn the_database_and_its_companions_are_refused_by_any_path() {
        let dir = tempfile::tempdir().unwrap();
        let db = store_in(dir.path());
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        for name in [
            "permanence.db",
            "permanence.db.keys",
            "permanence.db-wal",
            "permanence.db-shm",
            "permanence.db-journal",
            "permanence.db.keys.lock",
            "permanence.db.presence",
            "permanence.db.next",
            "permanence.db.keys.next",
            ".permanence.db.keys.tmp",
            ".permanence.db.keys.123-abcd.tmp",
        ] {
            let direct = dir.path().join(name);
            assert!(matches!(check(&direct, &db), Err(Refused::StoreFile(_))), "{name}");
            let roundabout = sub.join("..").join(name);
            assert!(matches!(check(&roundabout, &db), Err(Refused::StoreFile(_))), "{name} via ..");
        }
        let hard_link = dir.path().join("summary.md");
        std::fs::hard_link(&db, &hard_link).unwrap();
        assert!(matches!(check(&hard_link, &db), Err(Refused::StoreFile(_))), "a hard link");
    }

    #[test]
    fn links_devices_fifos_and_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = store_in(dir.path());
        let link = dir.path().join("link.md");
        std::os::unix::fs::symlink(dir.path().join("elsewhere.md"), &link).unwrap();
        assert!(matches!(check(&link, &db), Err(Refused::Link(_))));
        assert!(matches!(check(Path::new("/dev/null"), &db), Err(Refused::NotRegular(_, "device"))));
        assert!(matches!(check(dir.path(), &db), Err(Refused::NotRegular(_, "folder"))));
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        assert!(matches!(check(&fifo, &db), Err(Refused::NotRegular(_, "named pipe (FIFO)"))));
        let missing = dir.path().join("no-such-folder").join("x.md");
        assert!(matches!(check(&missing, &db), Err(Refused::NoFolder(_))));
    }

    #[test]
    fn new_paths_and_regular_files_of_its_own_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let db = store_in(dir.path());
        let existing = dir.path().join("last.md");
        std::fs::write(&existing, b"old summary").unwrap();
        assert_eq!(check(&existing, &db), Ok(()));
        assert_eq!(check(&dir.path().join("new.json"), &db), Ok(()));
        assert_eq!(check(&dir.path().join("permanence.db.bak"), &db), Ok(()), "a backup named after it");
        assert_eq!(check(&dir.path().join(".permanence.db.notes"), &db), Ok(()));
        let encrypted = dir.path().join("last.md.age");
        std::fs::write(&encrypted, b"age-encryption.org/v1\n-> X25519 \x01\xff").unwrap();
        assert_eq!(check(&encrypted, &db), Ok(()), "an encrypted export is replaced");
    }

    #[test]
    fn another_stores_files_are_refused_too() {
        let dir = tempfile::tempdir().unwrap();
        let db = store_in(dir.path());
        let other = dir.path().join("backups");
        std::fs::create_dir(&other).unwrap();
        let other_db = other.join("old.db");
        std::fs::write(&other_db, [0x8c, 0x00, 0x3f, 0xe1, 0x00, 0x42]).unwrap();
        assert!(matches!(check(&other_db, &db), Err(Refused::NotAnExport(_))), "binary pages");
        let slots = other.join("slots.json");
        std::fs::write(&slots, br#"{"format":"permanence-keyslots","version":1}"#).unwrap();
        assert!(matches!(check(&slots, &db), Err(Refused::NotAnExport(_))), "a key file by another name");
        for name in
            ["old.db.keys", "old.db-wal", "old.db-shm", "old.db-journal", "x.keys.lock", "x.db.presence"]
        {
            assert!(matches!(check(&other.join(name), &db), Err(Refused::CompanionName(_))), "{name}");
        }
    }

    #[test]
    fn a_database_reached_through_a_link_keeps_its_real_files() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let real_db = store_in(&real);
        let link = dir.path().join("p.db");
        std::os::unix::fs::symlink(&real_db, &link).unwrap();
        assert!(matches!(check(&real_db, &link), Err(Refused::StoreFile(_))));
        let protected = protected_paths(&link);
        assert!(protected.contains(&real_db.canonicalize().unwrap().with_file_name("permanence.db-wal")));
    }
}
