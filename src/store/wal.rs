//! Checking the write-ahead log before SQLite reads it. SQLite replays WAL frames up to the
//! first one whose checksum fails and silently drops the rest: a damaged frame followed by a
//! *commit* frame of the same log would lose an acknowledged transaction without a word. This
//! reads the WAL as documented in SQLite's file format and reports such damage instead.
//!
//! A bad frame followed only by uncommitted frames is not damage: it is what a crash during
//! a large transaction leaves. SQLite spills pages of a transaction to the log before its
//! COMMIT, rewrites a spilled page in place when the transaction changes it again, and
//! recomputes the checksums of the frames after it only at COMMIT (`walRewriteChecksums`);
//! until then the chain of uncommitted frames is broken by design.

use std::path::{Path, PathBuf};

const HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

pub fn wal_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `(s0, s1)`.
fn checksum(data: &[u8], big_endian: bool, (mut s0, mut s1): (u32, u32)) -> (u32, u32) {
    let word = |bytes: &[u8]| {
        let array = [bytes[0], bytes[1], bytes[2], bytes[3]];
        if big_endian { u32::from_be_bytes(array) } else { u32::from_le_bytes(array) }
    };
    for pair in data.chunks_exact(8) {
        s0 = s0.wrapping_add(word(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(word(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// How long to wait before reading a log that looked damaged once more.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(50);

/// Checks the log of `db_path` before opening it. Another process may be writing the log at
/// that very moment (a supervisor's terminal beside a listener's): a read that catches it
/// mid-write, or across a restart of the log, looks damaged. Real damage does not move, so
/// a log is damaged only when two reads in a row are the same bytes and fail; a log that
/// changes between reads is live, and its writer's connection owns it (SQLite replays a log
/// only for the first connection).
pub fn check(db_path: &Path) -> Result<(), String> {
    check_reads(|| std::fs::read(wal_path(db_path)).ok(), || std::thread::sleep(SETTLE))
}

fn check_reads(mut read: impl FnMut() -> Option<Vec<u8>>, mut pause: impl FnMut()) -> Result<(), String> {
    let mut previous: Option<Vec<u8>> = None;
    for _ in 0..3 {
        let Some(bytes) = read() else { return Ok(()) };
        let Err(detail) = verify(&bytes) else { return Ok(()) };
        if previous.as_ref() == Some(&bytes) {
            return Err(detail);
        }
        previous = Some(bytes);
        pause();
    }
    Ok(())
}

/// `Err(detail)` when a committed transaction would be dropped behind a damaged frame.
pub fn verify(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < HEADER {
        return Ok(()); // empty or never written: nothing to replay
    }
    let magic = be32(&bytes[0..4]);
    if magic & !1 != 0x377f_0682 {
        return Err("the write-ahead log has no valid header".into());
    }
    let big_endian = magic & 1 == 1;
    let page_size = be32(&bytes[8..12]) as usize;
    let (salt1, salt2) = (be32(&bytes[16..20]), be32(&bytes[20..24]));
    let mut sums = checksum(&bytes[..24], big_endian, (0, 0));
    if sums != (be32(&bytes[24..28]), be32(&bytes[28..32])) {
        return Err("the write-ahead log header fails its checksum".into());
    }
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("the write-ahead log names an impossible page size {page_size}"));
    }
    let frame = FRAME_HEADER + page_size;
    let frames: Vec<&[u8]> = bytes[HEADER..].chunks_exact(frame).collect();
    for (index, f) in frames.iter().enumerate() {
        let same_log = (be32(&f[8..12]), be32(&f[12..16])) == (salt1, salt2);
        let next = checksum(&f[FRAME_HEADER..], big_endian, checksum(&f[..8], big_endian, sums));
        let valid = same_log && next == (be32(&f[16..20]), be32(&f[20..24]));
        if valid {
            sums = next;
            continue;
        }
        // Only a commit frame of this log (same salts) after the bad one is an acknowledged
        // transaction that would be dropped with it; frames of an older log are leftovers.
        let lost_commits = frames[index + 1..]
            .iter()
            .filter(|g| (be32(&g[8..12]), be32(&g[12..16])) == (salt1, salt2) && be32(&g[4..8]) != 0)
            .count();
        if lost_commits > 0 {
            return Err(format!(
                "frame {} of the write-ahead log is damaged and {lost_commits} committed \
                 transaction(s) after it would be lost",
                index + 1,
            ));
        }
        return Ok(());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL of `n` frames with correct checksums (little-endian), as SQLite writes it.
    fn wal(n: usize, page_size: usize) -> Vec<u8> {
        wal_with_commits(n, page_size, |i| i + 1 == n)
    }

    /// The same, with a commit frame wherever `commit(i)` says.
    fn wal_with_commits(n: usize, page_size: usize, commit: impl Fn(usize) -> bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend(0x377f_0682u32.to_be_bytes());
        bytes.extend(3_007_000u32.to_be_bytes());
        bytes.extend((page_size as u32).to_be_bytes());
        bytes.extend(0u32.to_be_bytes());
        bytes.extend(11u32.to_be_bytes());
        bytes.extend(22u32.to_be_bytes());
        let mut sums = checksum(&bytes[..24], false, (0, 0));
        bytes.extend(sums.0.to_be_bytes());
        bytes.extend(sums.1.to_be_bytes());
        for i in 0..n {
            let mut header = Vec::new();
            header.extend((i as u32 + 1).to_be_bytes());
            header.extend(if commit(i) { 7u32 } else { 0 }.to_be_bytes()); // database size: a commit
            let page: Vec<u8> = (0..page_size).map(|b| (b * 31 + i) as u8).collect();
            sums = checksum(&page, false, checksum(&header, false, sums));
            header.extend(11u32.to_be_bytes());
            header.extend(22u32.to_be_bytes());
            header.extend(sums.0.to_be_bytes());
            header.extend(sums.1.to_be_bytes());
            bytes.extend(header);
            bytes.extend(page);
        }
        bytes
    }

    #[test]
    fn an_intact_log_verifies() {
        assert_eq!(verify(&wal(5, 1024)), Ok(()));
        assert_eq!(verify(&[]), Ok(()));
    }

    #[test]
    fn a_damaged_frame_before_committed_ones_is_reported() {
        let mut bytes = wal(5, 1024);
        bytes[HEADER + FRAME_HEADER + 100] ^= 1; // page data of frame 1
        let err = verify(&bytes).unwrap_err();
        assert!(err.contains("frame 1") && err.contains("1 committed"), "{err}");
    }

    #[test]
    fn a_torn_last_frame_is_what_a_crash_leaves() {
        let mut bytes = wal(5, 1024);
        let last = bytes.len() - 10;
        bytes[last] ^= 1;
        assert_eq!(verify(&bytes), Ok(()));
        bytes.truncate(bytes.len() - 500); // half-written frame
        assert_eq!(verify(&bytes), Ok(()));
    }

    #[test]
    fn a_log_being_written_by_another_process_is_not_damage() {
        let damaged = |byte: usize| {
            let mut bytes = wal(5, 1024);
            bytes[HEADER + FRAME_HEADER + byte] ^= 1;
            bytes
        };
        let reads = |logs: Vec<Vec<u8>>| {
            let mut logs = logs.into_iter();
            check_reads(move || logs.next(), || {})
        };
        assert!(reads(vec![damaged(1), damaged(1)]).is_err(), "the same damage twice is damage");
        assert!(reads(vec![damaged(1), damaged(2), damaged(2)]).is_err());
        assert_eq!(reads(vec![damaged(1), wal(6, 1024)]), Ok(()), "caught mid-write, then whole");
        assert_eq!(reads(vec![damaged(1), damaged(2), damaged(3)]), Ok(()), "changing on every read: live");
        assert_eq!(reads(vec![damaged(1)]), Ok(()), "gone (checkpointed) on the second read");
    }

    /// Where the checksum chain first breaks, and how many frames follow.
    fn first_bad_frame(bytes: &[u8]) -> Option<(usize, usize)> {
        let page_size = be32(&bytes[8..12]) as usize;
        let frames: Vec<&[u8]> = bytes[HEADER..].chunks_exact(FRAME_HEADER + page_size).collect();
        let mut sums = checksum(&bytes[..24], bytes[3] & 1 == 1, (0, 0));
        for (index, f) in frames.iter().enumerate() {
            let next =
                checksum(&f[FRAME_HEADER..], bytes[3] & 1 == 1, checksum(&f[..8], bytes[3] & 1 == 1, sums));
            if next != (be32(&f[16..20]), be32(&f[20..24])) || f[8..16] != bytes[16..24] {
                return Some((index, frames.len() - index - 1));
            }
            sums = next;
        }
        None
    }

    #[test]
    fn an_uncommitted_page_rewritten_in_place_before_a_crash_is_not_damage() {
        // Frames 1–2 commit a transaction; 3–6 belong to one still open when the process died,
        // and frame 4's page was changed again in place (its checksum is only fixed at COMMIT).
        let page_size = 1024;
        let mut bytes = wal_with_commits(6, page_size, |i| i == 1);
        let frame4 = HEADER + 3 * (FRAME_HEADER + page_size) + FRAME_HEADER;
        bytes[frame4 + 10] ^= 0x5a;
        assert_eq!(first_bad_frame(&bytes), Some((3, 2)), "a bad frame followed by two frames");
        assert_eq!(verify(&bytes), Ok(()));
        // Had a commit frame followed, that transaction would be lost: damage.
        let mut committed = wal_with_commits(6, page_size, |i| i == 1 || i == 5);
        committed[frame4 + 10] ^= 0x5a;
        let err = verify(&committed).unwrap_err();
        assert!(err.contains("frame 4") && err.contains("1 committed"), "{err}");
    }

    /// The same, made by SQLite itself: a transaction larger than the page cache spills pages
    /// to the log and rewrites them in place; the files copied at that moment are what a
    /// `kill -9` or a power cut would leave.
    #[test]
    fn a_crash_image_taken_mid_transaction_by_sqlite_opens_with_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("live.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA cache_size = 8; PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB);",
        )
        .unwrap();
        for id in 0..200 {
            conn.execute("INSERT INTO t VALUES (?1, zeroblob(700))", [id]).unwrap();
        }
        conn.execute_batch("BEGIN").unwrap();
        for round in 0..4 {
            conn.execute("UPDATE t SET body = randomblob(700) WHERE id % 4 = ?1 OR ?1 = 3", [round]).unwrap();
        }
        let crashed = dir.path().join("crashed.db");
        std::fs::copy(&db, &crashed).unwrap();
        let log = std::fs::read(wal_path(&db)).unwrap();
        std::fs::write(wal_path(&crashed), &log).unwrap();
        conn.execute_batch("ROLLBACK").unwrap();

        let (bad, after) = first_bad_frame(&log).expect("SQLite rewrote a spilled page in place");
        assert!(after > 0, "frame {bad} is followed by uncommitted frames");
        assert_eq!(verify(&log), Ok(()), "no commit follows the broken chain");
        let copy = rusqlite::Connection::open(&crashed).unwrap();
        let zeroed: i64 =
            copy.query_row("SELECT count(*) FROM t WHERE body = zeroblob(700)", [], |r| r.get(0)).unwrap();
        assert_eq!(zeroed, 200, "every committed row, none of the open transaction");
        let ok: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok");
    }

    #[test]
    fn a_damaged_header_is_reported() {
        let mut bytes = wal(2, 1024);
        bytes[17] ^= 1;
        assert!(verify(&bytes).is_err());
    }
}
