//! Plain types and rules of the helpline, with no I/O: no SQL, no files, no terminal.
//! Everything here is unit-tested beside the code.

pub mod assessment;
pub mod audit;
pub mod audit_signature;
pub mod call;
pub mod callback;
pub mod caller_file;
pub mod channel;
pub mod due;
pub mod emergency;
pub mod file_record;
pub mod listener;
pub mod opening_hours;
pub mod passphrase;
pub mod phone;
pub mod prompt;
pub mod rollup;
pub mod settings;
pub mod shift;
pub mod statistics;
pub mod summary;

use chrono::{DateTime, Utc};

/// Every instant is stored and handled in UTC; the terminal converts to local time to show it.
pub type Timestamp = DateTime<Utc>;

/// An enum stored as a short, stable snake_case word (in SQL, JSON and config alike).
///
/// The words are part of the file format: renaming one needs a migration.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownWord;

            fn from_str(word: &str) -> Result<Self, Self::Err> {
                match word {
                    $($word => Ok($name::$variant),)+
                    _ => Err($crate::domain::UnknownWord {
                        kind: stringify!($name),
                        word: word.to_owned(),
                    }),
                }
            }
        }
    };
}
pub(crate) use stored_enum;

/// A stored word that names no variant: a newer file format, or a damaged row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} value {word:?}")]
pub struct UnknownWord {
    pub kind: &'static str,
    pub word: String,
}

/// Row ids, one type per table so that a call id is never passed where a file id is expected.
macro_rules! id_type {
    ($($name:ident),+ $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

id_type!(ListenerId, ShiftId, FileId, CallId, CallbackId, PromptId, AuditId);

/// Whether the store could be written when it was unlocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// Read-only media or folder: opened for reading only; every write is refused.
    ReadOnly,
    /// The disk was full at unlock (the unlock itself is not in the audit log); writes are
    /// tried, and succeed once space is back.
    DiskFull,
}

#[cfg(test)]
mod tests {
    use super::call::CallType;

    #[test]
    fn stored_words_round_trip() {
        for call_type in CallType::ALL {
            assert_eq!(call_type.as_str().parse::<CallType>(), Ok(*call_type));
        }
        let err = "shouting".parse::<CallType>().unwrap_err();
        assert_eq!(err.to_string(), "unknown CallType value \"shouting\"");
    }
}
