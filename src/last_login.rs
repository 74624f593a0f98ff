//! The account last unlocked with a database, so that the unlock screen starts on it: a
//! listener who types at once then types for the right account.
//!
//! Kept beside the database, as `<db>.last-login` (0600, written whole through
//! `atomic_file`), rather than in the platform's state folder: logins belong to one database
//! (the demo's are not the real one's), the folder beside it is already 0700 and the key file
//! there lists every login in clear, so the file tells nothing new; and it needs no second
//! location to find, name per database or clean up. Only a login: nothing secret, nothing of a
//! caller. Best effort both ways: a missing, odd or unwritable file only means the unlock
//! screen starts on the first account.

use std::path::{Path, PathBuf};

use crate::atomic_file::write_atomically;
use crate::bounded_read::read_regular_file;

/// Longer than any login the store accepts.
const LIMIT: u64 = 256;

pub fn path_for(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".last-login");
    db.with_file_name(name)
}

/// The login last unlocked with `db`, if one was remembered.
pub fn read(db: &Path) -> Option<String> {
    let bytes = read_regular_file(&path_for(db), LIMIT).ok()?;
    let login = String::from_utf8(bytes).ok()?.trim().to_owned();
    (!login.is_empty()).then_some(login)
}

/// Remembers `login` for the next start; a failure (read-only media, full disk) is ignored.
pub fn remember(db: &Path, login: &str) {
    if read(db).as_deref() != Some(login) {
        let _ = write_atomically(&path_for(db), format!("{login}\n").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn remembered_beside_the_database_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("permanence.db");
        assert_eq!(read(&db), None);
        remember(&db, "camille");
        assert_eq!(read(&db).as_deref(), Some("camille"));
        let path = dir.path().join("permanence.db.last-login");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        remember(&db, "sacha");
        assert_eq!(read(&db).as_deref(), Some("sacha"));
        std::fs::write(&path, " \n").unwrap();
        assert_eq!(read(&db), None, "an empty file remembers no one");
    }
}
