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
