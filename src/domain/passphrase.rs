//! The minimum passphrase policy applied when a passphrase is chosen.
//!
//! The passphrase is the only thing between a stolen laptop and caller data once the
//! attacker has the file: Argon2id slows guessing, this keeps the guesses from being easy.

pub const MIN_CHARS: usize = 12;

/// A short list of passphrases people pick first; a real attacker's list is far longer,
/// so this only stops the most obvious.
const COMMON: &[&str] = &[
    "motdepasse123",
    "motdepasse1234",
    "azertyuiop123",
    "azertyuiopqsdf",
    "123456789012",
    "password1234",
    "passwordpassword",
    "qwertyuiop123",
    "permanence123",
    "permanence2026",
    "ecouteecoute",
    "soleil123456",
    "bonjour123456",
    "jetaime123456",
    "111111111111",
    "000000000000",
    "abcdefghijkl",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassphrase {
    #[error("the passphrase needs at least {MIN_CHARS} characters")]
    TooShort,
    #[error("this passphrase is among the most common ones; choose another")]
    Common,
    #[error("the passphrase must not contain the login")]
    ContainsLogin,
    #[error("the passphrase uses a single character; choose a few words instead")]
    Repetitive,
}

pub fn check_passphrase(passphrase: &str, login: &str) -> Result<(), WeakPassphrase> {
    if passphrase.chars().count() < MIN_CHARS {
        return Err(WeakPassphrase::TooShort);
    }
    let folded = passphrase.to_lowercase();
    if COMMON.contains(&folded.as_str()) {
        return Err(WeakPassphrase::Common);
    }
    if !login.is_empty() && folded.contains(&login.to_lowercase()) {
        return Err(WeakPassphrase::ContainsLogin);
    }
    let mut chars = folded.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(WeakPassphrase::Repetitive);
    }
    Ok(())
}

/// Wrong passphrases allowed before each further try has to wait.
pub const FREE_ATTEMPTS: u32 = 3;
const MAX_WAIT_SECONDS: i64 = 300;

/// How long the next try waits after `failures` wrong passphrases in a row: nothing for the
/// first two, then 5 s, 10 s, 20 s… up to 5 minutes, which makes guessing by hand useless.
pub fn wait_after(failures: u32) -> Option<chrono::Duration> {
    (failures >= FREE_ATTEMPTS).then(|| {
        let exponent = (failures - FREE_ATTEMPTS).min(16);
        chrono::Duration::seconds((5i64 << exponent).min(MAX_WAIT_SECONDS))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(check_passphrase("court", "ana"), Err(WeakPassphrase::TooShort));
        assert_eq!(check_passphrase("MotDePasse123", "ana"), Err(WeakPassphrase::Common));
        assert_eq!(check_passphrase("camille-est-la", "camille"), Err(WeakPassphrase::ContainsLogin));
        assert_eq!(check_passphrase("zzzzzzzzzzzzzz", "ana"), Err(WeakPassphrase::Repetitive));
        assert_eq!(check_passphrase("trois pommes vertes", "ana"), Ok(()));
        // Counted in characters, not bytes.
        assert_eq!(check_passphrase("éééééééé", "ana"), Err(WeakPassphrase::TooShort));
    }
}
