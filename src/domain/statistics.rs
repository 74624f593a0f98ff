//! The statistics of a period: what the statistics screen draws and the yearly activity report
//! prints. The store fills the raw counts from SQL aggregates (`Store::statistics`, beside
//! `Store::summary`, whose figures it carries); here they become local-time buckets, quantiles
//! and breakdowns. Statistics only: no text, no file codes.
//!
//! Hours, weekdays, days, weeks and months are LOCAL: the store counts calls per UTC quarter
//! hour (every zone's offset is a multiple of 15 minutes), and each quarter is put in the local
//! hour and day its first instant falls on, with the offset in force then. So 20:00 in Paris
//! is 20:00 in July and in January, and the hour lived twice in October counts twice.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Months, NaiveDate, Timelike};
use serde::Serialize;

use super::Timestamp;
use super::call::CallType;
use super::caller_file::AgeBand;
use super::summary::Summary;
use crate::local_time::Zone;

/// The width of the store's time buckets, in seconds.
pub const BUCKET_SECONDS: i64 = 900;

/// Local calendar days, first and last included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatsPeriod {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl StatsPeriod {
    /// `None` when `last` is before `first`.
    pub fn new(first: NaiveDate, last: NaiveDate) -> Option<StatsPeriod> {
        (first <= last).then_some(StatsPeriod { first, last })
    }

    pub fn month_of(day: NaiveDate) -> StatsPeriod {
        let first = day.with_day(1).unwrap_or(day);
        let last = first + Months::new(1) - Duration::days(1);
        StatsPeriod { first, last }
    }

    pub fn year(year: i32) -> StatsPeriod {
        StatsPeriod {
            first: NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
            last: NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
        }
    }

    /// The month or year before this one, a year before… for the picker's presets.
    pub fn previous_month(today: NaiveDate) -> StatsPeriod {
        StatsPeriod::month_of(today.with_day(1).unwrap_or(today) - Duration::days(1))
    }

    /// The same days a year before (29 February becomes the 28th).
    pub fn a_year_before(self) -> StatsPeriod {
        let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        StatsPeriod { first: back(self.first), last: back(self.last) }
    }

    pub fn days(self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    /// The instants `[from, to)` the local days cover (DST-aware).
    pub fn bounds(self, zone: Zone) -> (Timestamp, Timestamp) {
        (zone.start_of_day(self.first), zone.start_of_day(self.last + Duration::days(1)))
    }

    /// How the calls over time are grouped: by day up to two months, by week up to half a
    /// year, by month beyond.
    pub fn granularity(self) -> Granularity {
        match self.days() {
            ..=62 => Granularity::Day,
            63..=186 => Granularity::Week,
            _ => Granularity::Month,
        }
    }

    /// The bucket `day` falls in (0 for the period's first), for `granularity`.
    fn bucket(self, granularity: Granularity, day: NaiveDate) -> usize {
        match granularity {
            Granularity::Day => (day - self.first).num_days() as usize,
            Granularity::Week => (day - self.first).num_days() as usize / 7,
            Granularity::Month => {
                let months = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
                (months(day) - months(self.first)) as usize
            }
        }
    }

    /// The first day of each bucket.
    fn bucket_starts(self, granularity: Granularity) -> Vec<NaiveDate> {
        let mut starts = Vec::new();
        let mut day = self.first;
        while day <= self.last {
            starts.push(day);
            day = match granularity {
                Granularity::Day => day + Duration::days(1),
                Granularity::Week => day + Duration::days(7),
                Granularity::Month => day.with_day(1).unwrap_or(day) + Months::new(1),
            };
        }
        starts
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    Week,
    Month,
}

/// Calls over time, with the same buckets of the same period a year before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    pub granularity: Granularity,
    /// The first local day of each bucket.
    pub starts: Vec<NaiveDate>,
    pub current: Vec<u32>,
    pub previous: Vec<u32>,
}

/// Length of calls of one type (or all), in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lengths {
    /// `None`: every type.
    pub call_type: Option<CallType>,
    pub calls: u32,
    pub median_seconds: i64,
    pub p90_seconds: i64,
    pub mean_seconds: i64,
}

/// The upper bounds, in minutes, of the length histogram's bars (the last is open).
pub const LENGTH_BARS_MINUTES: [i64; 6] = [5, 10, 20, 30, 60, i64::MAX];

/// Callbacks scheduled in the period, and what became of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallbackFigures {
    pub created: u32,
    pub done: u32,
    pub cancelled: u32,
    pub pending: u32,
    /// Pending and past due when the figures were made.
    pub overdue: u32,
    /// Flagged for a supervisor (too many failed attempts, a wrong number).
    pub flagged: u32,
    /// Callbacks with at least one attempt, and the time from the due time to the first one.
    pub attempted: u32,
    pub first_attempt_median_minutes: Option<i64>,
    pub first_attempt_p90_minutes: Option<i64>,
}

/// One callback as the store reads it for the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackRow {
    pub status: CallbackState,
    pub flagged: bool,
    pub overdue: bool,
    /// Seconds from the due time to the first attempt (negative: tried early).
    pub first_attempt_after: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackState {
    Pending,
    Done,
    Cancelled,
}

/// Shifts in the period (clipped to it): the listening hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Listening {
    pub shifts: u32,
    pub seconds: i64,
}

/// Calls by the profile of their file: age band, gender, who calls. "unknown": an anonymous
/// call, or a file that does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Profiles {
    pub age_band: BTreeMap<String, u32>,
    pub gender: BTreeMap<String, u32>,
    pub relation: BTreeMap<String, u32>,
}

pub const UNKNOWN: &str = "unknown";

/// Everything the statistics screen and the activity report show for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistics {
    pub period: StatsPeriod,
    /// The IANA zone hours and days were read in.
    pub zone: String,
    /// The end-of-shift figures for the period (calls, types, themes, outcomes, RUD,
    /// emergency numbers by outcome…): `Store::summary`, the same query layer.
    pub summary: Summary,
    /// Calls in the same days a year before.
    pub previous_calls: u32,
    /// Calls by local weekday (Monday first) × local hour.
    pub by_weekday_hour: [[u32; 24]; 7],
    pub over_time: Series,
    /// Every type first, then one per type present.
    pub lengths: Vec<Lengths>,
    /// Calls per bar of `LENGTH_BARS_MINUTES`.
    pub length_bars: [u32; 6],
    /// Theme → gender word (or "unknown") → calls.
    pub themes_by_gender: BTreeMap<String, BTreeMap<String, u32>>,
    pub profiles: Profiles,
    pub callbacks: CallbackFigures,
    pub listening: Listening,
    /// Share of the opening hours with someone on shift: `None` while the centre's settings
    /// do not know its opening hours.
    pub coverage_percent: Option<u32>,
}

/// Calls of one type and one length in seconds: (type, seconds, calls).
pub type LengthCount = (CallType, i64, u32);

/// Calls with one (age band, gender, relation); `None` where unknown.
pub type ProfileCount = (Option<String>, Option<String>, Option<String>, u32);

/// The raw counts the store reads for a period, before they become figures.
#[derive(Debug, Clone, Default)]
pub struct RawCounts {
    /// (UTC quarter hour: seconds / `BUCKET_SECONDS`, calls).
    pub quarters: Vec<(i64, u32)>,
    pub previous_quarters: Vec<(i64, u32)>,
    /// (type, length in seconds, calls).
    pub lengths: Vec<LengthCount>,
    /// (age band, gender, relation, calls); `None` where unknown.
    pub profiles: Vec<ProfileCount>,
    /// (theme, gender, calls).
    pub themes: Vec<(String, Option<String>, u32)>,
    pub callbacks: Vec<CallbackRow>,
    pub listening: Listening,
}

impl Statistics {
    pub fn build(period: StatsPeriod, zone: Zone, summary: Summary, raw: RawCounts) -> Statistics {
        let granularity = period.granularity();
        let starts = period.bucket_starts(granularity);
        let mut by_weekday_hour = [[0u32; 24]; 7];
        let mut current = vec![0u32; starts.len()];
        for &(quarter, calls) in &raw.quarters {
            let local = zone.local(instant(quarter));
            by_weekday_hour[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += calls;
            if let Some(bucket) = current.get_mut(period.bucket(granularity, local.date_naive())) {
                *bucket += calls;
            }
        }
        let before = period.a_year_before();
        let mut previous = vec![0u32; starts.len()];
        for &(quarter, calls) in &raw.previous_quarters {
            let day = zone.local(instant(quarter)).date_naive();
            if let Some(bucket) = previous.get_mut(before.bucket(granularity, day)) {
                *bucket += calls;
            }
        }
        let previous_calls = raw.previous_quarters.iter().map(|&(_, n)| n).sum();

        let mut lengths = vec![lengths_of(None, raw.lengths.iter().map(|&(_, s, n)| (s, n)))];
        let mut length_bars = [0u32; 6];
        for &(_, seconds, calls) in &raw.lengths {
            let bar =
                LENGTH_BARS_MINUTES.iter().position(|&max| seconds < max.saturating_mul(60)).unwrap_or(5);
            length_bars[bar] += calls;
        }
        for &call_type in CallType::ALL {
            let of_type = raw.lengths.iter().filter(|(t, _, _)| *t == call_type).map(|&(_, s, n)| (s, n));
            let figures = lengths_of(Some(call_type), of_type);
            if figures.calls > 0 {
                lengths.push(figures);
            }
        }

        let mut profiles = Profiles::default();
        let word = |w: &Option<String>| w.clone().unwrap_or_else(|| UNKNOWN.to_owned());
        for (age, gender, relation, calls) in &raw.profiles {
            *profiles.age_band.entry(word(age)).or_default() += calls;
            *profiles.gender.entry(word(gender)).or_default() += calls;
            *profiles.relation.entry(word(relation)).or_default() += calls;
        }
        let mut themes_by_gender: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
        for (theme, gender, calls) in &raw.themes {
            *themes_by_gender.entry(theme.clone()).or_default().entry(word(gender)).or_default() += calls;
        }

        Statistics {
            period,
            zone: zone.to_string(),
            summary,
            previous_calls,
            by_weekday_hour,
            over_time: Series { granularity, starts, current, previous },
            lengths,
            length_bars,
            themes_by_gender,
            profiles,
            callbacks: callback_figures(&raw.callbacks),
            listening: raw.listening,
            coverage_percent: None,
        }
    }

    /// Calls per stored age band, folded into the groups the report prints: "under_25"
    /// (under 18 and 18–24) is exact; the store's other bands (25–39, 40–59, 60–74, 75+) do
    /// not split at 45 and 65, so they are kept as they are (see the report's methods).
    pub fn age_groups(&self) -> Vec<(&'static str, u32)> {
        let count = |band: AgeBand| self.profiles.age_band.get(band.as_str()).copied().unwrap_or(0);
        vec![
            ("under_25", count(AgeBand::Under18) + count(AgeBand::From18To24)),
            (AgeBand::From25To39.as_str(), count(AgeBand::From25To39)),
            (AgeBand::From40To59.as_str(), count(AgeBand::From40To59)),
            (AgeBand::From60To74.as_str(), count(AgeBand::From60To74)),
            (AgeBand::From75.as_str(), count(AgeBand::From75)),
            (UNKNOWN, self.profiles.age_band.get(UNKNOWN).copied().unwrap_or(0)),
        ]
    }

    /// The busiest cell of the weekday × hour grid (for scaling the heat map).
    pub fn busiest_hour(&self) -> u32 {
        self.by_weekday_hour.iter().flatten().copied().max().unwrap_or(0)
    }
}

fn instant(quarter: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(quarter * BUCKET_SECONDS, 0).unwrap_or_default()
}

/// Median (the mean of the two middle values for an even count),
/// nearest-rank 90th percentile and mean of counted values, sorted or not.
pub fn lengths_of(call_type: Option<CallType>, values: impl Iterator<Item = (i64, u32)>) -> Lengths {
    let mut values: Vec<(i64, u32)> = values.collect();
    values.sort_unstable();
    let calls: u64 = values.iter().map(|&(_, n)| u64::from(n)).sum();
    let total: i64 = values.iter().map(|&(s, n)| s * i64::from(n)).sum();
    let at = |rank: u64| -> i64 {
        // The value of the `rank`-th (0-based) of the sorted values.
        let mut seen = 0;
        for &(value, n) in &values {
            seen += u64::from(n);
            if rank < seen {
                return value;
            }
        }
        0
    };
    let (median, p90) = match calls {
        0 => (0, 0),
        n => {
            let median = if n % 2 == 1 { at(n / 2) } else { (at(n / 2 - 1) + at(n / 2)) / 2 };
            (median, at((n * 9).div_ceil(10) - 1))
        }
    };
    Lengths {
        call_type,
        calls: calls as u32,
        median_seconds: median,
        p90_seconds: p90,
        mean_seconds: if calls == 0 { 0 } else { total / calls as i64 },
    }
}

fn callback_figures(rows: &[CallbackRow]) -> CallbackFigures {
    let mut figures = CallbackFigures { created: rows.len() as u32, ..CallbackFigures::default() };
    let mut delays = Vec::new();
    for row in rows {
        match row.status {
            CallbackState::Pending => figures.pending += 1,
            CallbackState::Done => figures.done += 1,
            CallbackState::Cancelled => figures.cancelled += 1,
        }
        figures.overdue += u32::from(row.overdue);
        figures.flagged += u32::from(row.flagged);
        if let Some(after) = row.first_attempt_after {
            delays.push((after.max(0) / 60, 1));
        }
    }
    figures.attempted = delays.len() as u32;
    if !delays.is_empty() {
        let delays = lengths_of(None, delays.into_iter());
        figures.first_attempt_median_minutes = Some(delays.median_seconds);
        figures.first_attempt_p90_minutes = Some(delays.p90_seconds);
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn empty_summary() -> Summary {
        crate::test_support::empty_summary()
    }

    fn quarter(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp() / BUCKET_SECONDS
    }

    #[test]
    fn hours_are_local_on_both_sides_of_a_daylight_saving_change() {
        // 19:00 UTC is 21:00 in Paris in summer and 20:00 in winter; 2026-10-25 is the
        // Sunday clocks go back.
        let period = StatsPeriod::year(2026);
        let raw = RawCounts {
            quarters: vec![
                (quarter(2026, 7, 1, 19, 0), 1),     // Wednesday 21:00 local
                (quarter(2026, 1, 7, 19, 0), 2),     // Wednesday 20:00 local
                (quarter(2026, 10, 25, 0, 15), 4),   // Sunday 02:15 CEST (first 02:xx)
                (quarter(2026, 10, 25, 1, 15), 8),   // Sunday 02:15 CET (the hour lived twice)
                (quarter(2026, 12, 31, 23, 30), 16), // 1 January 2027 00:30 local: outside
            ],
            ..RawCounts::default()
        };
        let stats = Statistics::build(period, Zone::default(), empty_summary(), raw);
        assert_eq!(stats.by_weekday_hour[2][21], 1);
        assert_eq!(stats.by_weekday_hour[2][20], 2);
        assert_eq!(stats.by_weekday_hour[6][2], 12);
        assert_eq!(stats.over_time.granularity, Granularity::Month);
        assert_eq!(stats.over_time.current.len(), 12);
        assert_eq!(stats.over_time.current[0], 2);
        assert_eq!(stats.over_time.current[6], 1);
        assert_eq!(stats.over_time.current[9], 12);
        // The call of 1 January 2027 is no bucket of 2026 (the store's bounds exclude it).
        assert_eq!(stats.over_time.current[11], 0);
    }

    #[test]
    fn the_period_bounds_are_local_midnights() {
        let (from, to) = StatsPeriod::month_of(day(2026, 3, 10)).bounds(Zone::default());
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 2, 28, 23, 0, 0).unwrap());
        // April starts in summer time.
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 3, 31, 22, 0, 0).unwrap());
        assert_eq!(StatsPeriod::previous_month(day(2026, 1, 15)), StatsPeriod::month_of(day(2025, 12, 1)));
        let leap = StatsPeriod::new(day(2028, 2, 29), day(2028, 3, 1)).unwrap().a_year_before();
        assert_eq!(leap, StatsPeriod::new(day(2027, 2, 28), day(2027, 3, 1)).unwrap());
        assert!(StatsPeriod::new(day(2026, 2, 1), day(2026, 1, 1)).is_none());
    }

    #[test]
    fn granularity_follows_the_length_and_the_previous_year_aligns() {
        let month = StatsPeriod::month_of(day(2026, 3, 1));
        assert_eq!(month.granularity(), Granularity::Day);
        let quarter_year = StatsPeriod::new(day(2026, 1, 1), day(2026, 3, 31)).unwrap();
        assert_eq!(quarter_year.granularity(), Granularity::Week);
        assert_eq!(quarter_year.bucket_starts(Granularity::Week).len(), 13);
        let raw = RawCounts {
            quarters: vec![(quarter(2026, 3, 2, 10, 0), 3)],
            previous_quarters: vec![(quarter(2025, 3, 2, 10, 0), 5), (quarter(2025, 3, 31, 10, 0), 7)],
            ..RawCounts::default()
        };
        let stats = Statistics::build(month, Zone::default(), empty_summary(), raw);
        assert_eq!(stats.over_time.current[1], 3);
        assert_eq!(stats.over_time.previous[1], 5);
        assert_eq!(stats.over_time.previous[30], 7);
        assert_eq!(stats.previous_calls, 12);
    }

    #[test]
    fn medians_of_one_by_one_values() {
        let median = |values: &[i64]| lengths_of(None, values.iter().map(|&v| (v, 1))).median_seconds;
        assert_eq!(median(&[]), 0);
        assert_eq!(median(&[5]), 5);
        assert_eq!(median(&[1, 3, 10]), 3);
        assert_eq!(median(&[1, 3, 10, 20]), 6);
    }

    #[test]
    fn lengths_median_and_90th_percentile_from_counts() {
        let raw = RawCounts {
            lengths: vec![
                (CallType::Listening, 600, 3),
                (CallType::Listening, 1200, 1),
                (CallType::Crisis, 3600, 1),
                (CallType::HangUp, 10, 5),
            ],
            ..RawCounts::default()
        };
        let stats = Statistics::build(StatsPeriod::year(2026), Zone::default(), empty_summary(), raw);
        let all = &stats.lengths[0];
        assert_eq!((all.call_type, all.calls), (None, 10));
        // Sorted: 10 ×5, 600 ×3, 1200, 3600: the middle two are 10 and 600.
        assert_eq!(all.median_seconds, 305);
        assert_eq!(all.p90_seconds, 1200);
        let listening = stats.lengths.iter().find(|l| l.call_type == Some(CallType::Listening)).unwrap();
        assert_eq!((listening.calls, listening.median_seconds, listening.p90_seconds), (4, 600, 1200));
        assert_eq!(stats.length_bars, [5, 0, 3, 1, 0, 1]);
    }

    #[test]
    fn profiles_themes_and_callbacks_are_counted() {
        let some = |w: &str| Some(w.to_owned());
        let raw = RawCounts {
            profiles: vec![
                (some("18_24"), some("woman"), some("person_concerned"), 2),
                (some("under_18"), None, some("relative"), 1),
                (None, None, None, 4),
            ],
            themes: vec![("deuil".into(), some("woman"), 2), ("deuil".into(), None, 1)],
            callbacks: vec![
                CallbackRow {
                    status: CallbackState::Done,
                    flagged: false,
                    overdue: false,
                    first_attempt_after: Some(600),
                },
                CallbackRow {
                    status: CallbackState::Pending,
                    flagged: true,
                    overdue: true,
                    first_attempt_after: Some(-60),
                },
                CallbackRow {
                    status: CallbackState::Cancelled,
                    flagged: false,
                    overdue: false,
                    first_attempt_after: None,
                },
            ],
            ..RawCounts::default()
        };
        let stats = Statistics::build(StatsPeriod::year(2026), Zone::default(), empty_summary(), raw);
        assert_eq!(stats.age_groups()[0], ("under_25", 3));
        assert_eq!(stats.profiles.age_band[UNKNOWN], 4);
        assert_eq!(stats.profiles.gender[UNKNOWN], 5);
        assert_eq!(stats.themes_by_gender["deuil"]["woman"], 2);
        assert_eq!(stats.themes_by_gender["deuil"][UNKNOWN], 1);
        let cb = &stats.callbacks;
        assert_eq!(
            (cb.created, cb.done, cb.pending, cb.cancelled, cb.overdue, cb.flagged),
            (3, 1, 1, 1, 1, 1)
        );
        assert_eq!(cb.attempted, 2);
        assert_eq!(cb.first_attempt_median_minutes, Some(5));
        assert_eq!(cb.first_attempt_p90_minutes, Some(10));
    }
}
