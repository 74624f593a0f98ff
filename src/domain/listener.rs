//! Listeners (écoutant·es) and supervisors: the people who unlock the terminal.

use super::{ListenerId, Timestamp, stored_enum};

stored_enum! {
    /// What a person may do. A supervisor can do everything a listener can.
    Role {
        Listener = "listener",
        Supervisor = "supervisor",
    }
}

/// An account. Never deleted, only deactivated, so that past calls keep their author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub id: ListenerId,
    /// Short handle typed or picked at unlock; also names the key slot.
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("a login has 2 to 32 characters (it has {0})")]
    Length(usize),
    #[error("a login uses only lowercase letters a-z, digits, '-' and '_' (found {0:?})")]
    Character(char),
}

/// A login names a key slot in the sidecar file, which is not encrypted: keep it a plain
/// handle (no spaces, no accents) rather than a full name.
pub fn validate_login(login: &str) -> Result<(), LoginError> {
    let length = login.chars().count();
    if !(2..=32).contains(&length) {
        return Err(LoginError::Length(length));
    }
    match login.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')) {
        Some(c) => Err(LoginError::Character(c)),
        None => Ok(()),
    }
}

/// Who unlocked the store: every write is done, and audited, in their name; the interface
/// shows and checks their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: ListenerId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_plain_handles() {
        assert_eq!(validate_login("camille"), Ok(()));
        assert_eq!(validate_login("coord-2"), Ok(()));
        assert_eq!(validate_login("c"), Err(LoginError::Length(1)));
        assert_eq!(validate_login("Camille"), Err(LoginError::Character('C')));
        assert_eq!(validate_login("élise"), Err(LoginError::Character('é')));
        assert_eq!(validate_login("a b"), Err(LoginError::Character(' ')));
    }
}
