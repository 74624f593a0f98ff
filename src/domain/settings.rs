//! The centre's settings: those that destroy or weaken, kept in the encrypted store and
//! changed by a supervisor (audited), never by one terminal's config file.

use std::ops::RangeInclusive;

use super::stored_enum;

stored_enum! {
    /// A setting's name, as stored and as typed on the command line.
    Setting {
        /// Free text of a file is wiped this many days after its last contact.
        RetentionDays = "retention_days",
        /// An automatic purge at unlock that would wipe more than this share (in %) of the
        /// files or of the calls' notes waits for a supervisor's `permanence purge`.
        PurgeConfirmPercent = "purge_confirm_percent",
    }
}

impl Setting {
    /// The values accepted (the same bounds as the database's CHECK constraint).
    pub fn bounds(self) -> RangeInclusive<u32> {
        match self {
            Setting::RetentionDays => 1..=36_500,
            Setting::PurgeConfirmPercent => 0..=100,
        }
    }

    /// `Err` names the setting and its bounds.
    pub fn check(self, value: u32) -> Result<u32, String> {
        let bounds = self.bounds();
        if bounds.contains(&value) {
            Ok(value)
        } else {
            Err(format!("{self} must be between {} and {}, not {value}", bounds.start(), bounds.end()))
        }
    }
}

/// What a new store starts with: two years, the CNIL's social-sector referential.
pub const DEFAULT_RETENTION_DAYS: u32 = 730;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CentreSettings {
    /// `None` in a store made before the setting existed, until a supervisor states it:
    /// nothing is purged meanwhile (no period is guessed).
    pub retention_days: Option<u32>,
    pub purge_confirm_percent: u32,
}

impl Default for CentreSettings {
    /// A purge of more than a tenth of the store waits for a supervisor.
    fn default() -> Self {
        CentreSettings { retention_days: None, purge_confirm_percent: 10 }
    }
}

impl CentreSettings {
    pub fn get(&self, setting: Setting) -> Option<u32> {
        match setting {
            Setting::RetentionDays => self.retention_days,
            Setting::PurgeConfirmPercent => Some(self.purge_confirm_percent),
        }
    }

    /// Whether wiping `due` of `total` is more than the share a purge may take on its own.
    pub fn purge_needs_a_supervisor(&self, due: usize, total: usize) -> bool {
        total > 0 && due as u128 * 100 > u128::from(self.purge_confirm_percent) * total as u128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_and_named() {
        assert_eq!(Setting::RetentionDays.check(365), Ok(365));
        let err = Setting::RetentionDays.check(100_000_000).unwrap_err();
        assert!(err.contains("retention_days") && err.contains("36500"), "{err}");
        assert!(Setting::RetentionDays.check(0).is_err());
        assert!(Setting::PurgeConfirmPercent.check(101).is_err());
    }

    #[test]
    fn a_purge_over_the_share_needs_a_supervisor() {
        let settings = CentreSettings { retention_days: Some(DEFAULT_RETENTION_DAYS), ..Default::default() };
        assert!(!settings.purge_needs_a_supervisor(10, 100), "exactly the share");
        assert!(settings.purge_needs_a_supervisor(11, 100));
        assert!(!settings.purge_needs_a_supervisor(0, 0));
        let never = CentreSettings { purge_confirm_percent: 100, ..settings };
        assert!(!never.purge_needs_a_supervisor(100, 100));
        let always = CentreSettings { purge_confirm_percent: 0, ..settings };
        assert!(always.purge_needs_a_supervisor(1, 1_000_000));
    }
}
