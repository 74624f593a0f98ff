//! Documents that leave the encrypted store: the right-of-access export of one caller file
//! (and, later, shift summaries). Rendering is pure; `write` puts the bytes where they go
//! without ever leaving a half-written or world-readable file.

pub mod access;
pub mod summary;

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::atomic_file::write_atomically;

/// Encrypts `bytes` to the age X25519 `recipients` (`age1…`), in memory: the plaintext never
/// touches the disk. Recipients are checked when the configuration is loaded.
pub fn encrypt(bytes: &[u8], recipients: &[String]) -> Result<Vec<u8>> {
    let parsed: Vec<age::x25519::Recipient> = recipients
        .iter()
        .map(|r| r.parse().map_err(|e| anyhow::anyhow!("export recipient {r:?}: {e}")))
        .collect::<Result<_>>()?;
    let encryptor = age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
        .context("no export recipient")?;
    let mut out = Vec::with_capacity(bytes.len() + 512);
    let mut writer = encryptor.wrap_output(&mut out).context("encrypting the export")?;
    writer.write_all(bytes).context("encrypting the export")?;
    writer.finish().context("encrypting the export")?;
    Ok(out)
}

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
