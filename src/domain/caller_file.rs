//! The caller's file (dossier informatisé): a pseudonymous code and only what follow-up needs.
//! Never a name, never a phone number (a callback number lives on the pending callback only).

use rand::Rng;

use super::{FileId, ListenerId, Timestamp, stored_enum};

stored_enum! {
    FileStatus {
        Open = "open",
        FollowUp = "follow_up",
        Closed = "closed",
    }
}

stored_enum! {
    /// A caller's age band. The bands offered (`AgeBand::OFFERED`) are those French listening
    /// lines publish (under 25 split at 18, 25–44, 45–64, 65 and over split at 75); files made
    /// before them keep the bands they were given (25–39, 40–59, 60–74), read and shown as
    /// they are: an age cannot be recut after the fact.
    AgeBand {
        Under18 = "under_18",
        From18To24 = "18_24",
        From25To44 = "25_44",
        From45To64 = "45_64",
        From65To74 = "65_74",
        From75 = "75_plus",
        From25To39 = "25_39",
        From40To59 = "40_59",
        From60To74 = "60_74",
    }
}

impl AgeBand {
    /// The bands a file is given now, youngest first.
    pub const OFFERED: &'static [AgeBand] = &[
        AgeBand::Under18,
        AgeBand::From18To24,
        AgeBand::From25To44,
        AgeBand::From45To64,
        AgeBand::From65To74,
        AgeBand::From75,
    ];

    /// The offered band a band of older files shares most years with (itself when offered):
    /// where the form's choice starts from, so one key moves a 40–59 next to 45–64, never to
    /// an extreme.
    pub fn nearest_offered(self) -> AgeBand {
        match self {
            AgeBand::From25To39 => AgeBand::From25To44,
            AgeBand::From40To59 => AgeBand::From45To64,
            AgeBand::From60To74 => AgeBand::From65To74,
            offered => offered,
        }
    }
}

stored_enum! {
    Gender {
        Woman = "woman",
        Man = "man",
        Other = "other",
    }
}

stored_enum! {
    /// Who is on the line, relative to the person the file is about.
    CallerRelation {
        PersonConcerned = "person_concerned",
        Relative = "relative",
        Witness = "witness",
        Professional = "professional",
    }
}

/// Why and how a file was closed: with the caller's agreement once the situation is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub reason: String,
    pub caller_agreed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerFile {
    pub id: FileId,
    pub code: FileCode,
    pub status: FileStatus,
    /// Set exactly when `status` is `Closed`.
    pub closure: Option<Closure>,
    pub profile: FileProfile,
    pub created_at: Timestamp,
    pub last_contact_at: Option<Timestamp>,
    /// Free text is kept past the retention period while this is set.
    pub legal_hold: bool,
    /// When the retention purge last wiped the file's free text.
    pub purged_at: Option<Timestamp>,
    /// Bumped by every change to the file's text (a profile edit, the purge): an edit is made
    /// on the version its author saw. Status changes and holds leave it, so they never void
    /// an edit being typed elsewhere.
    pub version: i64,
}

stored_enum! {
    /// What happened to a file besides its calls, as its history shows it.
    FileEventKind {
        Closed = "closed",
        Reopened = "reopened",
        HoldSet = "hold_set",
        HoldLifted = "hold_lifted",
        Purged = "purged",
        Changed = "changed",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEvent {
    pub at: Timestamp,
    /// `None` when the software acted on its own (the retention purge at unlock).
    pub listener_id: Option<ListenerId>,
    pub kind: FileEventKind,
    pub reason: String,
    /// For a closure: whether the caller agreed.
    pub caller_agreed: Option<bool>,
}

/// Narrows a file search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFilter {
    pub status: Option<FileStatus>,
    pub departement: Option<Departement>,
}

impl FileFilter {
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.departement.is_none()
    }
}

/// What a retention purge wiped, or would wipe on a dry run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeReport {
    /// Files whose summary, instructions, closure reason and call notes were wiped.
    pub files: usize,
    /// Calls (on those files or anonymous) whose notes were wiped.
    pub calls: usize,
    /// Handover notes of shifts older than the retention period.
    pub handover_notes: usize,
    /// Pending callbacks of purged files, cancelled and their number wiped.
    pub callbacks_cancelled: usize,
    /// Files old enough but kept whole because of a legal hold.
    pub held: usize,
}

impl PurgeReport {
    pub fn is_empty(&self) -> bool {
        self.files == 0 && self.calls == 0 && self.handover_notes == 0 && self.callbacks_cancelled == 0
    }
}

/// What the purge at unlock did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UnlockPurge {
    /// Nothing was due, or what was due is wiped (the report says what).
    #[default]
    Nothing,
    Done(PurgeReport),
    /// The store predates the centre's retention setting and no supervisor has stated it
    /// yet: nothing is purged until one does.
    RetentionNotSet,
    /// More than the centre's `purge_confirm_percent` of the store was due: nothing was
    /// wiped; a supervisor runs `permanence purge`. The report says what waits.
    AwaitingSupervisor(PurgeReport),
}

/// The editable, descriptive part of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileProfile {
    pub age_band: Option<AgeBand>,
    pub gender: Option<Gender>,
    pub departement: Option<Departement>,
    pub relation: Option<CallerRelation>,
    pub situation_summary: String,
    /// Shown prominently to every listener, e.g. "prefers a female listener".
    pub instructions: String,
}

/// The pseudonymous code a caller is given, e.g. `KAT-472`: three letters and three digits,
/// drawn from an alphabet without look-alikes (no I, L, O, 0, 1), easy to read aloud.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileCode(String);

const CODE_LETTERS: &[u8] = b"ACDEFGHJKMNPRTUVWXY";
const CODE_DIGITS: &[u8] = b"23456789";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a file code (three letters and three digits, like KAT-472)")]
pub struct BadFileCode(pub String);

impl FileCode {
    /// A random code. Codes are random rather than sequential so that a code says nothing
    /// about how many files exist or when it was opened; the store retries on a collision.
    pub fn generate(rng: &mut impl Rng) -> FileCode {
        let mut code = String::with_capacity(7);
        for _ in 0..3 {
            code.push(CODE_LETTERS[rng.gen_range(0..CODE_LETTERS.len())] as char);
        }
        code.push('-');
        for _ in 0..3 {
            code.push(CODE_DIGITS[rng.gen_range(0..CODE_DIGITS.len())] as char);
        }
        FileCode(code)
    }

    /// Reads a code as a listener types or hears it: any case, with or without the dash or
    /// spaces.
    /// A code as typed or heard, without its separators and in capitals ("kat 4" → `KAT4`);
    /// bytes, since a code is ASCII and nothing else can make one.
    pub fn compact(input: &str) -> Vec<u8> {
        input.bytes().filter(|b| !matches!(b, b'-' | b' ')).map(|b| b.to_ascii_uppercase()).collect()
    }

    pub fn parse(input: &str) -> Result<FileCode, BadFileCode> {
        let compact = Self::compact(input);
        let valid = compact.len() == 6
            && compact[..3].iter().all(|b| CODE_LETTERS.contains(b))
            && compact[3..].iter().all(|b| CODE_DIGITS.contains(b));
        if !valid {
            return Err(BadFileCode(input.to_owned()));
        }
        let (letters, digits) = compact.split_at(3);
        Ok(FileCode(format!("{}-{}", String::from_utf8_lossy(letters), String::from_utf8_lossy(digits))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FileCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A French département: 01–95 (with 2A and 2B for Corsica, no 20) or 971–976 overseas.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Departement(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a French département number (01 to 95, 2A, 2B, 971 to 976)")]
pub struct BadDepartement(pub String);

impl Departement {
    pub fn parse(input: &str) -> Result<Departement, BadDepartement> {
        let code = input.trim().to_ascii_uppercase();
        let valid = match code.as_str() {
            "2A" | "2B" => true,
            _ if code.len() == 2 => code.parse::<u8>().is_ok_and(|n| (1..=95).contains(&n) && n != 20),
            _ if code.len() == 3 => code.parse::<u16>().is_ok_and(|n| (971..=976).contains(&n)),
            _ => false,
        };
        if valid { Ok(Departement(code)) } else { Err(BadDepartement(input.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A file found by a search, as listed in the search popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHit {
    pub id: FileId,
    pub code: FileCode,
    pub status: FileStatus,
    pub last_contact_at: Option<Timestamp>,
    pub summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_codes_parse_back_and_avoid_look_alikes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..1000 {
            let code = FileCode::generate(&mut rng);
            assert_eq!(FileCode::parse(code.as_str()), Ok(code.clone()));
            assert!(!code.as_str().contains(['I', 'L', 'O', '0', '1']), "{code}");
        }
    }

    #[test]
    fn codes_are_read_as_heard() {
        let code = FileCode::parse("kat 472").unwrap();
        assert_eq!(code.as_str(), "KAT-472");
        assert_eq!(FileCode::parse("KAT472"), Ok(code));
        assert!(FileCode::parse("KAT-401").is_err(), "0 and 1 are never used");
        assert!(FileCode::parse("KAT-4722").is_err());
        assert!(FileCode::parse("").is_err());
        assert!(FileCode::parse("ÉÉÉ-472").is_err());
    }

    #[test]
    fn departements() {
        for ok in ["01", "75", "2a", "2B", "95", "971", "976"] {
            assert!(Departement::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["00", "20", "96", "970", "977", "1", "2C", "", "abc"] {
            assert!(Departement::parse(bad).is_err(), "{bad}");
        }
    }
}
