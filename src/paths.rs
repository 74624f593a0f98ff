//! Where files live by default, from the platform's conventions (XDG on Linux).

use std::path::PathBuf;

use anyhow::{Context, Result};
use directories::ProjectDirs;

fn project_dirs() -> Result<ProjectDirs> {
    ProjectDirs::from("fr", "permanence", "permanence")
        .context("no home directory to keep the database in: pass --db PATH")
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
