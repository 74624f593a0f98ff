//! Where a store lives: a SQLCipher file on this machine, or a database on the centre's
//! PostgreSQL server (issue 18). `--db` and the config's `database` name either.

use std::path::{Path, PathBuf};

use super::error::StoreResult;
use super::postgres::{ServerUrl, is_server_url};

#[derive(Debug, Clone)]
pub enum Location {
    File(PathBuf),
    /// Boxed: a parsed URL is large, a path small.
    Server(Box<ServerUrl>),
}

impl Location {
    /// A `postgresql://` (or `postgres://`) URL names a server; anything else a file.
    pub fn parse(db: &Path) -> StoreResult<Location> {
        match db.to_str().filter(|text| is_server_url(text)) {
            Some(url) => Ok(Location::Server(Box::new(ServerUrl::parse(url)?))),
            None => Ok(Location::File(db.to_owned())),
        }
    }

    /// The file's path; `None` for a server.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Server(_) => None,
        }
    }

    pub fn is_server(&self) -> bool {
        matches!(self, Location::Server(_))
    }
}

/// As a person reads it: the path, or the server's URL without its password.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(path) => path.display().fmt(f),
            Location::Server(url) => f.write_str(&url.redacted()),
        }
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::File(path.to_owned())
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Location {
        Location::File(path.clone())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::File(path)
    }
}

impl From<&Location> for Location {
    fn from(location: &Location) -> Location {
        location.clone()
    }
}

impl From<ServerUrl> for Location {
    fn from(url: ServerUrl) -> Location {
        Location::Server(Box::new(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_a_server_and_anything_else_a_file() {
        let server = Location::parse(Path::new("postgresql://ecoute:secret@centre:5433/permanence")).unwrap();
        assert!(server.is_server() && server.file().is_none());
        assert_eq!(server.to_string(), "postgresql://ecoute@centre:5433/permanence", "no password");
        let file = Location::parse(Path::new("/srv/permanence.db")).unwrap();
        assert_eq!(file.file(), Some(Path::new("/srv/permanence.db")));
        assert!(Location::parse(Path::new("postgresql://centre/db?sslmode=sometimes")).is_err());
    }
}
