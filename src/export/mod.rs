//! Documents that leave the encrypted store: the right-of-access export of one caller file
//! (and, later, shift summaries). Rendering is pure; `write` puts the bytes where they go
//! without ever leaving a half-written or world-readable file.

pub mod access;

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::atomic_file::write_atomically;

/// Writes `bytes` to `out` (mode 0600, temp + fsync + rename), or to standard output when it
/// is piped. Never to a terminal: caller data would stay in its scrollback.
pub fn write(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => {
            write_atomically(path, bytes).with_context(|| format!("cannot write {}", path.display()))
        }
        None if std::io::stdout().is_terminal() => {
            bail!("give --out FILE: written to this terminal, the export would stay in its scrollback")
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes).and_then(|()| stdout.flush()).context("cannot write to standard output")
        }
    }
}
