//! Where files live by default, from the platform's conventions (XDG on Linux).

use std::path::PathBuf;

use anyhow::Result;
use directories::ProjectDirs;

use crate::i18n::Phrase;

fn project_dirs() -> Result<ProjectDirs> {
    Ok(ProjectDirs::from("fr", "permanence", "permanence").ok_or_else(|| Phrase::new(|s| &s.cli.no_home))?)
}

/// The database of the association's terminal.
pub fn default_database() -> Result<PathBuf> {
    Ok(project_dirs()?.data_dir().join("permanence.db"))
}

/// The demo database, kept apart so a demo never touches real data.
pub fn default_demo_database() -> Result<PathBuf> {
    Ok(project_dirs()?.data_dir().join("demo").join("demo.db"))
}

pub fn default_config_file() -> Result<PathBuf> {
    Ok(project_dirs()?.config_dir().join("config.toml"))
}

/// What stands for a store on a server on this machine (the store itself is on the server):
/// `<data>/servers/<hash>/server`, whose `.last-login` beside it and `exports/` folder are this
/// machine's, as a database file's are beside the file. The folder (0700) is named by a hash
/// of the server's address without its password (`ServerUrl::redacted`), so the same database
/// finds it again whatever password or TLS options its URL carries.
pub fn server_state(address: &str) -> Result<PathBuf> {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::DirBuilderExt;
    let digest = Sha256::digest(address.as_bytes());
    let folder = project_dirs()?.data_dir().join("servers").join(hex::encode(&digest[..12]));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&folder)
        .map_err(|e| Phrase::new(|s| &s.cli.cannot_write).with("path", folder.display()).because(e))?;
    Ok(folder.join("server"))
}
