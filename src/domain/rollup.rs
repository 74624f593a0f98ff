//! What the store keeps counted for the statistics (its rollup, `store::rollup`): facts about
//! the contacts, callbacks and attempts — a facet, a value, a detail, how many and the seconds
//! they add up to — and durations counted in bins, from which quantiles are read. Plain data:
//! the store counts, `domain::statistics` turns the counts into figures.

use std::collections::BTreeMap;

use super::stored_enum;

stored_enum! {
    /// What a fact counts; its value and detail ('' when none) say which.
    Facet {
        /// A contact: value its channel; seconds its length, or the time spent on a written one.
        Channel = "channel",
        /// value: the call type.
        Type = "type",
        /// value: the outcome (a contact without one is not counted).
        Outcome = "outcome",
        /// The RUD grid's axes: value the level, '' when not assessed.
        Risk = "risk",
        Urgency = "urgency",
        Danger = "danger",
        /// A contact timed from start to end: value its type, detail the first second of its
        /// length's bin; seconds its length.
        Length = "length",
        /// A written contact: detail the first second of its time spent's bin; seconds that time.
        Written = "written",
        /// The profile of the file a contact is linked to, as the file says it now: value the
        /// stored word, '' for an anonymous contact or a file that does not say.
        AgeBand = "age_band",
        Gender = "gender",
        Relation = "relation",
        /// A theme of a contact: value the theme, detail the gender of its file ('' unknown).
        Theme = "theme",
        /// An emergency number prompted: value the number, detail what was done ('' waiting).
        Prompt = "prompt",
        /// A callback, on the day it was scheduled: value its status, detail `flagged` or ''.
        Callback = "callback",
        /// A callback's first attempt: detail the first second of the bin of the time from its
        /// due time to that attempt (none when early); seconds that time.
        FirstAttempt = "first_attempt",
        /// An attempt that reached the caller, on the day it was made.
        Reached = "reached",
    }
}

/// The detail of a flagged callback's fact.
pub const FLAGGED: &str = "flagged";

/// Facts of one facet, value and detail, summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub facet: Facet,
    pub value: String,
    pub detail: String,
    pub n: i64,
    pub seconds: i64,
}

impl Fact {
    pub fn new(facet: Facet, value: &str, detail: &str, n: i64, seconds: i64) -> Fact {
        Fact { facet, value: value.to_owned(), detail: detail.to_owned(), n, seconds }
    }
}

/// Durations are counted in bins, from these (first second, width) steps on: a minute wide
/// under an hour, 5 minutes under three hours, 15 minutes under a day, an hour under a week, a
/// day beyond. Every bound the length bars use (5, 10, 20, 30, 60 minutes) is a bin's.
pub const BIN_STEPS: [(i64, i64); 5] =
    [(0, 60), (3_600, 300), (10_800, 900), (86_400, 3_600), (604_800, 86_400)];

/// The first second of the bin `seconds` falls in (negative durations count as none).
pub fn bin_start(seconds: i64) -> i64 {
    let seconds = seconds.max(0);
    let &(from, width) = BIN_STEPS.iter().rev().find(|(from, _)| seconds >= *from).unwrap_or(&BIN_STEPS[0]);
    from + (seconds - from) / width * width
}

/// The width of the bin that starts at `start`.
pub fn bin_width(start: i64) -> i64 {
    BIN_STEPS.iter().rev().find(|(from, _)| start >= *from).map_or(BIN_STEPS[0].1, |&(_, width)| width)
}

/// Counted durations: how many fall in each group of `width` seconds from `start` (width 0: that
/// exact value), and their exact sum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Durations {
    pub groups: BTreeMap<i64, (i64, u64)>,
    pub total_seconds: i64,
}

impl Durations {
    /// Exact values, each counted `n` times.
    pub fn exact(values: impl IntoIterator<Item = (i64, u32)>) -> Durations {
        let mut durations = Durations::default();
        for (value, n) in values {
            durations.groups.entry(value).or_insert((0, 0)).1 += u64::from(n);
            durations.total_seconds += value * i64::from(n);
        }
        durations
    }

    /// Adds `n` durations of bin `start` whose sum is `seconds`.
    pub fn add_bin(&mut self, start: i64, n: i64, seconds: i64) {
        let group = self.groups.entry(start).or_insert((bin_width(start), 0));
        group.1 += n.max(0) as u64;
        self.total_seconds += seconds;
    }

    pub fn count(&self) -> u64 {
        self.groups.values().map(|&(_, n)| n).sum()
    }

    /// The value of rank `rank` (0-based) in ascending order: an exact value, or in a bin the
    /// middle of the rank's share of it (its `n` values taken as spread evenly across it).
    fn at(&self, rank: u64) -> i64 {
        let mut seen = 0;
        for (&start, &(width, n)) in &self.groups {
            if rank < seen + n {
                let k = (rank - seen) as i64;
                return start + width * (2 * k + 1) / (2 * n as i64);
            }
            seen += n;
        }
        0
    }

    /// Median (the mean of the two middle values for an even count), nearest-rank 90th
    /// percentile and mean, in seconds; zeros when empty.
    pub fn quantiles(&self) -> Quantiles {
        let n = self.count();
        let (median, p90) = match n {
            0 => (0, 0),
            n => {
                let median =
                    if n % 2 == 1 { self.at(n / 2) } else { (self.at(n / 2 - 1) + self.at(n / 2)) / 2 };
                (median, self.at((n * 9).div_ceil(10) - 1))
            }
        };
        Quantiles { count: n, median, p90, mean: if n == 0 { 0 } else { self.total_seconds / n as i64 } }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quantiles {
    pub count: u64,
    pub median: i64,
    pub p90: i64,
    pub mean: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_a_minute_under_an_hour_and_wider_beyond() {
        assert_eq!((bin_start(0), bin_start(59), bin_start(60), bin_start(3_599)), (0, 0, 60, 3_540));
        assert_eq!((bin_start(3_600), bin_start(3_899), bin_start(3_900)), (3_600, 3_600, 3_900));
        assert_eq!(bin_start(10_800 + 899), 10_800);
        assert_eq!(bin_start(86_400 + 3_700), 86_400 + 3_600);
        assert_eq!(bin_start(604_800 * 2 + 5), 604_800 * 2);
        assert_eq!(bin_start(-5), 0);
        assert_eq!(
            (bin_width(0), bin_width(3_540), bin_width(3_600), bin_width(604_800 * 3)),
            (60, 60, 300, 86_400)
        );
        // The length bars' bounds are bins' first seconds.
        for minutes in [5, 10, 20, 30, 60] {
            assert_eq!(bin_start(minutes * 60), minutes * 60);
        }
    }

    #[test]
    fn exact_values_give_exact_quantiles() {
        let q = |values: &[i64]| Durations::exact(values.iter().map(|&v| (v, 1))).quantiles();
        assert_eq!(q(&[]), Quantiles::default());
        assert_eq!(q(&[5]).median, 5);
        assert_eq!(q(&[1, 3, 10]).median, 3);
        assert_eq!(q(&[1, 3, 10, 20]).median, 6);
        let many = q(&[10, 10, 10, 10, 10, 600, 600, 600, 1200, 3600]);
        assert_eq!((many.median, many.p90, many.mean), (305, 1200, 665));
    }

    #[test]
    fn binned_quantiles_fall_in_the_right_bin_spread_evenly() {
        // Three calls in the 10-minute bin, one in the 20-minute one.
        let mut durations = Durations::default();
        durations.add_bin(600, 3, 3 * 630);
        durations.add_bin(1_200, 1, 1_210);
        let q = durations.quantiles();
        // Ranks 1 and 2 of the 10-minute bin: 600 + 60·3/6 and 600 + 60·5/6.
        assert_eq!(q.median, (630 + 650) / 2);
        assert_eq!(q.p90, 1_230);
        assert_eq!(q.mean, (3 * 630 + 1_210) / 4);
        assert_eq!(q.count, 4);
    }
}
