//! Whether a listener's terminal is open, told across processes on one machine: the supervisor's
//! view must not call "available" someone who quit without ending their shift, nor "gone" someone
//! whose terminal is open (perhaps locked, the listener away from the keyboard).
//!
//! Each running terminal holds a read lock on one byte of `<db>.presence` (empty, 0600), at the
//! offset of the account it was last unlocked by, for as long as the process lives (locked
//! screen included); another process asks the kernel whether anyone holds that byte. The kernel
//! drops the lock when the process ends, however it ends (`Ctrl-Q`, a closed window, `kill -9`,
//! a crash), so nothing stale is ever left to clean up, and nothing needs refreshing: no
//! heartbeat written to the database every minute, which a locked terminal (its store closed)
//! could not write anyway. Open-file-description locks (`F_OFD_*`, Linux) rather than classic
//! POSIX ones: those are dropped when the process closes any descriptor of the file, which the
//! probe itself would do.
//!
//! On the centre's server, terminals on other machines: each holds a shared advisory lock
//! (`PRESENCE_LOCK`, the account's id) on a connection of its own, for as long as it runs; the
//! server drops it when that connection ends (the process gone, or its machine cut off once the
//! server notices), and `pg_locks` tells whether anyone holds it. That connection can also end
//! while the terminal lives (a server restart, a network cut, an idle timeout): the terminal
//! asks it regularly whether it still holds its lock (`Presence::renew`) and takes it again on
//! a new connection when it does not, so that a supervisor never sees a listener on a call as
//! gone for good.

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::db::Db;
use super::error::{StoreError, StoreResult};
use super::location::Location;
use super::postgres::{Client, ServerUrl};
use crate::db_params;
use crate::domain::ListenerId;

/// The first key of the two-key advisory lock of presence on a server ("pres" in ASCII); the
/// second is the account's id.
pub const PRESENCE_LOCK: i32 = 0x7072_6573;

pub fn path_for(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".presence");
    db.with_file_name(name)
}

/// A terminal's presence for one account: held until dropped (or the process ends).
pub struct Presence {
    listener: ListenerId,
    _held: Held,
}

/// What keeps the lock while it lives: the open file, or the server connection holding the
/// advisory lock.
enum Held {
    File { _file: File },
    Server { connection: Db },
}

impl Presence {
    /// Says that a terminal is open for `listener` at `location`. Best effort for the caller:
    /// where it cannot be said (read-only media, the server unreachable), no shift can be
    /// started either.
    pub fn hold(location: &Location, listener: ListenerId) -> StoreResult<Presence> {
        Presence::hold_with(location, listener, ServerUrl::connect)
    }

    /// [`Presence::hold`] from the terminal's loop (after an outage, every 15 s when it failed):
    /// on a server within the short limit of a connection made again, not the first's.
    pub fn hold_again(location: &Location, listener: ListenerId) -> StoreResult<Presence> {
        Presence::hold_with(location, listener, ServerUrl::connect_again)
    }

    fn hold_with(
        location: &Location,
        listener: ListenerId,
        connect: fn(&ServerUrl) -> StoreResult<Client>,
    ) -> StoreResult<Presence> {
        match location {
            Location::File(db) => Presence::hold_file(db, listener)
                .map_err(|e| StoreError::io(path_for(db).display().to_string(), e)),
            Location::Server(url) => {
                let db = Db::postgres(connect(url)?);
                let held: bool = db.query_row(
                    "SELECT pg_try_advisory_lock_shared(?1, ?2)",
                    db_params![PRESENCE_LOCK, lock_key(listener)?],
                    |row| row.get(0),
                )?;
                if !held {
                    return Err(StoreError::Locked);
                }
                Ok(Presence { listener, _held: Held::Server { connection: db } })
            }
        }
    }

    /// On a server: asks the presence's connection whether it still holds the lock (one
    /// round trip), and takes it again on a new connection when it does not (the connection
    /// ended with a server restart, a network cut, an idle timeout). Whether it is held now.
    /// The file's lock cannot be lost while the process lives.
    pub fn renew(&mut self, location: &Location) -> bool {
        let Held::Server { connection } = &self._held else { return true };
        let still: StoreResult<i64> = connection.query_row(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
               AND classid::bigint = ?1 AND objid::bigint = ?2 AND objsubid = 2",
            db_params![PRESENCE_LOCK, self.listener.0],
            |row| row.get(0),
        );
        if still.is_ok_and(|held| held > 0) {
            return true;
        }
        match Presence::hold_again(location, self.listener) {
            Ok(again) => {
                *self = again;
                true
            }
            Err(_) => false,
        }
    }

    fn hold_file(db: &Path, listener: ListenerId) -> std::io::Result<Presence> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path_for(db))?;
        let mut lock = byte_of(listener, libc::F_RDLCK);
        // A read lock: two terminals of the same account may both hold it.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &mut lock) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Presence { listener, _held: Held::File { _file: file } })
    }

    pub fn listener(&self) -> ListenerId {
        self.listener
    }
}

/// Whether a terminal holds `listener`'s presence now; `None` when it cannot be told (the file
/// cannot be read), which callers take as "present": nobody is called gone on a guess.
pub fn is_present(db: &Path, listener: ListenerId) -> Option<bool> {
    let file = match File::open(path_for(db)) {
        Ok(file) => file,
        // No terminal ever opened here since the file exists only once one has.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Some(false),
        Err(_) => return None,
    };
    let mut probe = byte_of(listener, libc::F_WRLCK);
    // Asks, takes nothing: a write lock would conflict with any holder's read lock.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut probe) } != 0 {
        return None;
    }
    Some(probe.l_type != libc::F_UNLCK as libc::c_short)
}

/// Whether a terminal holds `listener`'s presence on the server `db` is connected to; `None`
/// when the server cannot tell (taken as "present", as for the file).
pub fn is_present_on(db: &Db, listener: ListenerId) -> Option<bool> {
    db.query_row(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND classid::bigint = ?1 AND objid::bigint = ?2 AND objsubid = 2",
        db_params![PRESENCE_LOCK, listener.0],
        |row| row.get::<i64>(0),
    )
    .ok()
    .map(|holders| holders > 0)
}

/// The accounts whose presence a terminal holds on the server `db` is connected to, asked in one
/// request (the supervisor's view asks for every listener on shift); `None` when the server
/// cannot tell.
pub fn present_on(db: &Db) -> Option<std::collections::HashSet<ListenerId>> {
    db.query_map(
        "SELECT DISTINCT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND classid::bigint = ?1 AND objsubid = 2",
        db_params![PRESENCE_LOCK],
        |row| Ok(ListenerId(row.get(0)?)),
    )
    .ok()
    .map(|held| held.into_iter().collect())
}

impl super::Store {
    /// Whether a terminal is open for `listener`, on this machine's file or on the server.
    pub(super) fn is_present(&self, listener: ListenerId) -> Option<bool> {
        match &self.location {
            Location::File(db) => is_present(db, listener),
            Location::Server(_) => is_present_on(&self.conn, listener),
        }
    }

    /// [`Store::is_present`] for each of `listeners`: on a server, one request for them all.
    pub(super) fn presence_of(&self, listeners: &[ListenerId]) -> Vec<Option<bool>> {
        match &self.location {
            Location::File(db) => listeners.iter().map(|l| is_present(db, *l)).collect(),
            Location::Server(_) => {
                let held = present_on(&self.conn);
                listeners.iter().map(|l| held.as_ref().map(|held| held.contains(l))).collect()
            }
        }
    }
}

impl std::fmt::Debug for Presence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presence").field("listener", &self.listener).finish()
    }
}

/// The advisory lock's second key: the account's id, which the server's two-key lock takes as
/// a 32-bit integer (an id beyond is refused rather than folded onto another account's).
fn lock_key(listener: ListenerId) -> StoreResult<i32> {
    i32::try_from(listener.0)
        .map_err(|_| StoreError::Invalid(format!("account id {} beyond presence's range", listener.0)))
}

fn byte_of(listener: ListenerId, kind: libc::c_int) -> libc::flock {
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = kind as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = listener.0 as libc::off_t;
    lock.l_len = 1;
    // Open-file-description locks require l_pid = 0.
    lock.l_pid = 0;
    lock
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_while_the_handle_lives_and_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("permanence.db");
        assert_eq!(is_present(&db, ListenerId(2)), Some(false), "no file: nobody");
        let location = Location::File(db.clone());
        let two = Presence::hold(&location, ListenerId(2)).unwrap();
        // Asked from the same process, as the supervisor's own terminal asks: still seen.
        assert_eq!(is_present(&db, ListenerId(2)), Some(true));
        assert_eq!(is_present(&db, ListenerId(3)), Some(false), "another account is not");
        let again = Presence::hold(&location, ListenerId(2)).unwrap();
        drop(two);
        assert_eq!(is_present(&db, ListenerId(2)), Some(true), "a second terminal still holds it");
        drop(again);
        assert_eq!(is_present(&db, ListenerId(2)), Some(false));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path_for(&db)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path_for(&db)).unwrap().len(), 0, "it holds nothing");
    }
}
