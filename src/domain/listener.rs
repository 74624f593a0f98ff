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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisplayNameError {
    #[error("the display name is empty")]
    Empty,
    /// Named by its code point: printing the character itself would do what it does.
    #[error(
        "the display name contains the control character U+{:04X}, which a terminal would obey; \
         type the name without it",
        *.0 as u32
    )]
    Control(char),
}

/// A display name is printed on screens and by the command line: no control characters
/// (escape sequences, bidirectional overrides; see `printable`), and not empty.
pub fn validate_display_name(name: &str) -> Result<(), DisplayNameError> {
    if let Some(c) = name.chars().find(|c| crate::printable::is_unsafe(*c)) {
        return Err(DisplayNameError::Control(c));
    }
    if name.trim().is_empty() {
        return Err(DisplayNameError::Empty);
    }
    Ok(())
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

    #[test]
    fn display_names_hold_no_control_character() {
        assert_eq!(validate_display_name("Élise Martin-Ngô"), Ok(()));
        assert_eq!(validate_display_name("  "), Err(DisplayNameError::Empty));
        assert_eq!(validate_display_name("Eve\u{1b}]0;pwned\u{7}"), Err(DisplayNameError::Control('\u{1b}')));
        assert_eq!(validate_display_name("Eve\u{1b}[2J"), Err(DisplayNameError::Control('\u{1b}')));
        assert_eq!(validate_display_name("Eve\u{202e}tseb"), Err(DisplayNameError::Control('\u{202e}')));
        assert_eq!(validate_display_name("Eve\u{9b}2J"), Err(DisplayNameError::Control('\u{9b}')));
        assert_eq!(validate_display_name("Eve\nBob"), Err(DisplayNameError::Control('\n')));
        let message = DisplayNameError::Control('\u{1b}').to_string();
        assert!(message.contains("U+001B") && !message.contains('\u{1b}'), "{message}");
    }
}
