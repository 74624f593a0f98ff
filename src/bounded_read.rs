//! Reading the small files a person points the program at (the configuration, the key file):
//! only regular files, and never more than a bound. A FIFO would block the open forever and
//! `/dev/zero` would be read until memory runs out.

use std::io::{self, Read};
use std::path::Path;

use crate::i18n::Phrase;

/// Reads `path` whole if it is a regular file (links are followed) of at most `limit` bytes.
pub fn read_regular_file(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, Phrase::new(|s| &s.cli.not_a_regular_file)));
    }
    // Checked again while reading: the file may grow between the two.
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    std::fs::File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            Phrase::new(|s| &s.cli.too_large).with("kib", limit / 1024),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, b"language = \"fr\"\n").unwrap();
        assert_eq!(read_regular_file(&file, 1024).unwrap(), b"language = \"fr\"\n");
        assert!(read_regular_file(&file, 4).is_err(), "over the bound");
        assert!(read_regular_file(Path::new("/dev/zero"), 1024).is_err(), "a device");
        assert!(read_regular_file(dir.path(), 1024).is_err(), "a folder");
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        assert!(read_regular_file(&fifo, 1024).is_err(), "a FIFO is refused without blocking");
        assert_eq!(
            read_regular_file(&dir.path().join("nope"), 1).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}
