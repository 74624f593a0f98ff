//! Writing a whole file so that a reader sees either the old content or the new one, never
//! half of it, even across a crash or a power cut: temp file, fsync, rename, fsync the folder.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A new temporary file name for `path`: hidden, beside the target (a rename is only atomic
/// within one filesystem), unique to this process and call, so that two processes writing
/// the same file never share (and clobber) one temp file.
pub fn temp_path_for(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = file_name(path);
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    let unique =
        format!("{}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), hex::encode(random));
    path.with_file_name(format!(".{name}.{unique}.tmp"))
}

/// The writer's process id in one of `path`'s temporary file names
/// (`.<name>.<pid>-<n>-<hex>.tmp`), `Some(None)` for the fixed name older versions used,
/// `None` for any other name.
fn temp_writer(path: &Path, temp_name: &str) -> Option<Option<i32>> {
    let name = file_name(path);
    if temp_name == format!(".{name}.tmp") {
        return Some(None);
    }
    let middle = temp_name.strip_prefix(&format!(".{name}."))?.strip_suffix(".tmp")?;
    let parts: Vec<&str> = middle.split('-').collect();
    match parts.as_slice() {
        [pid, counter, random]
            if counter.bytes().all(|b| b.is_ascii_digit())
                && random.len() == 8
                && random.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            pid.parse().ok().map(Some)
        }
        _ => None,
    }
}

/// The temporary files of `path` that are in its folder now, whoever left them.
pub fn temp_files_of(path: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(parent_of(path)) else { return Vec::new() };
    entries.flatten().map(|e| e.path()).filter(|p| temp_writer(path, &file_name(p)).is_some()).collect()
}

/// Removes the temporary files of `path` left by a process that died before its rename: the
/// rename never happened, so they are stale by definition. A living writer's are left alone,
/// and so is anything that is not a regular file. Best effort: a leftover never blocks a write.
pub fn remove_stale_temp_files(path: &Path) {
    for temp in temp_files_of(path) {
        let writer = temp_writer(path, &file_name(&temp)).flatten();
        let alive = writer.is_some_and(|pid| {
            // Signal 0 only asks whether the process exists (EPERM: it does, as another user).
            pid > 0
                && (unsafe { libc::kill(pid, 0) } == 0
                    || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
        });
        if !alive && fs::symlink_metadata(&temp).is_ok_and(|m| m.is_file()) {
            let _ = fs::remove_file(&temp);
            // A database written under a temporary name (`migrate --to FILE`) leaves its log too.
            for suffix in ["-wal", "-shm"] {
                let _ = fs::remove_file(format!("{}{suffix}", temp.display()));
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Replaces `path` with `bytes`, readable by its owner only.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    remove_stale_temp_files(path);
    let temp = temp_path_for(path);
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        sync_parent(path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Makes a rename or a creation in the folder durable.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    File::open(parent_of(path))?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_content_with_owner_only_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slots.keys");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(temp_files_of(&path).is_empty());
    }

    #[test]
    fn temp_names_are_unique_per_process_and_call() {
        let path = Path::new("/x/slots.keys");
        let (a, b) = (temp_path_for(path), temp_path_for(path));
        assert_ne!(a, b);
        let name = file_name(&a);
        assert!(name.starts_with(&format!(".slots.keys.{}-", std::process::id())), "{name}");
    }

    #[test]
    fn a_stale_temp_file_from_a_crash_is_removed_and_a_living_writers_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slots.keys");
        write_atomically(&path, b"good").unwrap();
        let legacy = dir.path().join(".slots.keys.tmp");
        let dead = dir.path().join(format!(".slots.keys.{}-0-0000beef.tmp", i32::MAX));
        // Not ours: another file's temp name, a folder, a name that only looks alike.
        let others = [".slots.tmp", ".slots.keys.x.tmp", ".slots.keys.12-3.tmp"].map(|n| dir.path().join(n));
        for other in &others {
            fs::write(other, b"x").unwrap();
        }
        let folder = dir.path().join(format!(".slots.keys.{}-1-0000beef.tmp", i32::MAX));
        fs::create_dir(&folder).unwrap();
        let living = temp_path_for(&path);
        for temp in [&legacy, &dead, &living] {
            fs::write(temp, b"half-writ").unwrap();
        }
        assert_eq!(fs::read(&path).unwrap(), b"good", "the crash left the old file whole");
        write_atomically(&path, b"better").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"better");
        let mut left = temp_files_of(&path);
        left.sort();
        let mut expected = vec![folder.clone(), living.clone()];
        expected.sort();
        assert_eq!(left, expected, "a living process's temp and a folder are left alone");
        assert!(others.iter().all(|o| o.exists()), "names that are not ours are never touched");
    }
}
