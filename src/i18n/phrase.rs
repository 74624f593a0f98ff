//! `Phrase`: a sentence with its values, said in the reader's language when it is shown.

use super::{Language, Strings};
use crate::domain::audit_signature::SignatureFault;
use crate::domain::caller_file::BadFileCode;
use crate::domain::listener::{DisplayNameError, LoginError};

/// A sentence of [`Strings`] with its values, said in the reader's language when it is shown.
/// Errors made where the language is not known (the store, the export writer, the
/// configuration being read) carry one; the command line and the terminal say it in the
/// configured language. Its `Display` is the English sentence (for tests and `Debug`).
#[derive(Clone)]
pub struct Phrase {
    template: fn(&Strings) -> &String,
    values: Vec<(&'static str, Part)>,
    /// What went wrong beneath, when the phrase says what could not be done ("cannot write
    /// FILE" because the disk is full): said after it.
    cause: Option<std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

#[derive(Clone)]
enum Part {
    Text(String),
    Phrase(Phrase),
}

impl Phrase {
    /// `Phrase::new(|s| &s.cli.no_shift).with("shift", id)`.
    pub fn new(template: fn(&Strings) -> &String) -> Phrase {
        Phrase { template, values: Vec::new(), cause: None }
    }

    /// Fills `{name}` with `value` as it is (a path, a login, a number).
    pub fn with(mut self, name: &'static str, value: impl std::fmt::Display) -> Phrase {
        self.values.push((name, Part::Text(value.to_string())));
        self
    }

    /// Fills `{name}` with another sentence, said in the same language.
    pub fn with_phrase(mut self, name: &'static str, value: Phrase) -> Phrase {
        self.values.push((name, Part::Phrase(value)));
        self
    }

    /// The failure beneath this one.
    pub fn because(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Phrase {
        self.cause = Some(std::sync::Arc::new(cause));
        self
    }

    /// The sentence alone, without its cause.
    pub fn say(&self, s: &Strings) -> String {
        let values: Vec<(&str, String)> = self
            .values
            .iter()
            .map(|(name, part)| {
                let value = match part {
                    Part::Text(text) => text.clone(),
                    Part::Phrase(phrase) => phrase.say(s),
                };
                (*name, value)
            })
            .collect();
        let values: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
        s.fill((self.template)(s), &values)
    }
}

/// The domain's refusals, in words.
impl Phrase {
    pub fn bad_display_name(error: &DisplayNameError) -> Phrase {
        match error {
            DisplayNameError::Empty => Phrase::new(|s| &s.cli.empty_display_name),
            DisplayNameError::Control(c) => {
                Phrase::new(|s| &s.cli.control_in_display_name).with("code", format!("U+{:04X}", *c as u32))
            }
        }
    }

    pub fn bad_login(error: &LoginError) -> Phrase {
        match error {
            LoginError::Length(length) => Phrase::new(|s| &s.cli.login_length).with("length", length),
            LoginError::Character(c) => {
                Phrase::new(|s| &s.cli.login_character).with("found", format!("{c:?}"))
            }
        }
    }

    pub fn bad_file_code(error: &BadFileCode) -> Phrase {
        Phrase::new(|s| &s.cli.bad_file_code).with("code", format!("{:?}", error.0))
    }
}

impl std::fmt::Display for Phrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.say(Strings::get(Language::En)))
    }
}

impl std::fmt::Debug for Phrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phrase({self})")
    }
}

impl std::error::Error for Phrase {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

/// An audit entry's signature fault in words, for `check` (the domain names no words).
impl Phrase {
    pub fn signature_fault(fault: SignatureFault) -> Phrase {
        match fault {
            SignatureFault::NotItsActor => Phrase::new(|s| &s.cli.signature_not_its_actor),
            SignatureFault::Mismatch => Phrase::new(|s| &s.cli.signature_mismatch),
            SignatureFault::Unsigned => Phrase::new(|s| &s.cli.signature_missing),
        }
    }
}

impl std::fmt::Display for SignatureFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Phrase::signature_fault(*self).fmt(f)
    }
}
