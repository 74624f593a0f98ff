//! Where a command may write a file. Every file the program writes on a person's say-so
//! (`--out` of an export or a backup, the export folder) goes through [`check`]: a path that
//! names the database, one of its companions (key file, log, lock, our temporary files) or
//! anything that is not a regular file (a link, a device, a FIFO, a folder) is refused before
//! a byte is written. Writing itself replaces the file by a rename, which never writes
//! through a link.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Why a path was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0} is the database or one of its own files (key file, log, lock, temporary file): refused")]
    StoreFile(PathBuf),
    #[error("{0} is a symbolic link: give the real path of a new or regular file")]
    Link(PathBuf),
    #[error("{0} is a {1}, not a regular file: refused")]
    NotRegular(PathBuf, &'static str),
    #[error("the folder of {0} does not exist")]
    NoFolder(PathBuf),
}

/// The names SQLite and this program give the database's companions: the key file, its lock,
/// the write-ahead log, the shared-memory index and a rollback journal.
const COMPANIONS: &[&str] = &[".keys", ".keys.lock", "-wal", "-shm", "-journal"];

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
    // A hard link, or the same file reached through another path.
    if let Ok(meta) = std::fs::metadata(out) {
        let same = |path: &PathBuf| {
            std::fs::metadata(path).is_ok_and(|p| (p.dev(), p.ino()) == (meta.dev(), meta.ino()))
        };
        if protected.iter().any(same) {
            return Err(Refused::StoreFile(out.to_owned()));
        }
    }
    Ok(())
}

/// The database's own files, as absolute paths with their folder resolved.
fn protected_paths(db: &Path) -> Vec<PathBuf> {
    let db = resolve(db).unwrap_or_else(|| db.to_owned());
    let mut paths = vec![db.clone()];
    for suffix in COMPANIONS {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        paths.push(PathBuf::from(name));
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
    }
}
