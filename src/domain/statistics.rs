//! The statistics of a period: what the statistics screen draws and the yearly activity report
//! prints. The store reads what its rollup counted (`Store::statistics`: facts, and contacts by
//! local weekday, hour and day); here they become the period's summary, local-time buckets,
//! quantiles and breakdowns. Statistics only: no text, no file codes.
//!
//! Hours, weekdays, days, weeks and months are LOCAL: the store counts calls per UTC quarter
//! hour (every zone's offset is a multiple of 15 minutes), and each quarter is put in the local
//! hour and day its first instant falls on, with the offset in force then. So 20:00 in Paris
//! is 20:00 in July and in January, and the hour lived twice in October counts twice.
//!
//! Lengths and times to a first attempt are counted in bins (`domain::rollup::BIN_STEPS`: a
//! minute wide under an hour): medians and 90th percentiles are read within the bin, so they
//! are exact to within its width; means and totals are exact.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::Serialize;

use super::Timestamp;
use super::assessment::RudLevel;
use super::call::{CallType, Outcome};
use super::caller_file::AgeBand;
use super::opening_hours::{Coverage, OpeningHours};
use super::phone::Offered;
use super::rollup::{Durations, FLAGGED, Facet, Fact};
use super::summary::{FileCounts, PromptCount, Scope, Summary, WrittenCounts};
use crate::local_time::Zone;

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

/// What statistics are asked for: the local days of `period`, hours and days read in `zone`,
/// coverage against `opening`, made at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsRequest {
    pub period: StatsPeriod,
    pub zone: Zone,
    pub opening: OpeningHours,
    pub now: Timestamp,
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
    /// emergency numbers by outcome, channels, the phone…), from the same facts as the rest;
    /// `Store::summary`'s for the same period but for its medians, read here within a bin.
    pub summary: Summary,
    /// Calls in the same days a year before.
    pub previous_calls: u32,
    /// Calls by local weekday (Monday first) × local hour.
    pub by_weekday_hour: [[u32; 24]; 7],
    /// Phone calls offered, answered and missed, and the answer rate, by local hour.
    pub phone_by_hour: Vec<Offered>,
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
    /// How much of the opening hours had someone on shift: `None` while the configuration
    /// gives no opening hours (`[opening_hours]`).
    pub coverage: Option<Coverage>,
}

/// Contacts, phone calls answered and missed calls of one local weekday and hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourCount {
    pub contacts: u32,
    pub answered: u32,
    pub missed: u32,
}

/// What the store reads for a period, before it becomes figures.
#[derive(Debug, Clone, Default)]
pub struct RawCounts {
    /// The period's facts (`domain::rollup`), summed by facet, value and detail.
    pub facts: Vec<Fact>,
    /// Counts per UTC quarter hour (seconds / `QUARTER_SECONDS`) of the period, and of the same
    /// days a year before.
    pub quarters: Vec<(i64, HourCount)>,
    pub previous_quarters: Vec<(i64, HourCount)>,
    /// Files opened and closed in the period.
    pub files: FileCounts,
    /// The whole store's callbacks pending now, and of those overdue (the summary's).
    pub pending_now: u32,
    pub overdue_now: u32,
    /// The period's own callbacks still pending and past due now.
    pub overdue: u32,
    /// Shifts open in the period, clipped to it.
    pub shifts: Vec<(Timestamp, Timestamp)>,
}

impl Statistics {
    /// The figures `request` asks for, from what the store counted.
    pub fn build(request: &StatsRequest, raw: RawCounts) -> Statistics {
        let StatsRequest { period, zone, ref opening, now } = *request;
        let (from, to) = period.bounds(zone);
        let mut figures = Folded {
            summary: Summary::empty(Scope::Period { from, to }, now),
            all_lengths: Durations::default(),
            lengths_by_type: BTreeMap::new(),
            written: Durations::default(),
            themes_by_gender: BTreeMap::new(),
            profiles: Profiles::default(),
            callbacks: CallbackFigures::default(),
            delays: Durations::default(),
        };
        for fact in &raw.facts {
            figures.add(fact);
        }
        let Folded {
            mut summary,
            all_lengths,
            lengths_by_type,
            written,
            themes_by_gender,
            profiles,
            mut callbacks,
            delays,
        } = figures;

        let mut by_weekday_hour = [[0u32; 24]; 7];
        let (mut answered, mut missed) = ([0u32; 24], [0u32; 24]);
        let granularity = period.granularity();
        let starts = period.bucket_starts(granularity);
        let mut current = vec![0u32; starts.len()];
        for (local, count) in localised(&raw.quarters, period, zone) {
            by_weekday_hour[local.weekday][local.hour] += count.contacts;
            answered[local.hour] += count.answered;
            missed[local.hour] += count.missed;
            if let Some(bucket) = current.get_mut(period.bucket(granularity, local.day)) {
                *bucket += count.contacts;
            }
        }
        let before = period.a_year_before();
        let mut previous = vec![0u32; starts.len()];
        let mut previous_calls = 0;
        for (local, count) in localised(&raw.previous_quarters, before, zone) {
            previous_calls += count.contacts;
            if let Some(bucket) = previous.get_mut(before.bucket(granularity, local.day)) {
                *bucket += count.contacts;
            }
        }
        let phone_by_hour: Vec<Offered> = (0..24).map(|h| Offered::new(answered[h], missed[h])).collect();

        let mut lengths = vec![lengths_from(None, &all_lengths)];
        for &call_type in CallType::ALL {
            if let Some(durations) = lengths_by_type.get(&call_type) {
                lengths.push(lengths_from(Some(call_type), durations));
            }
        }
        let mut length_bars = [0u32; 6];
        for (&start, &(_, n)) in &all_lengths.groups {
            let bar = LENGTH_BARS_MINUTES.iter().position(|&max| start < max.saturating_mul(60)).unwrap_or(5);
            length_bars[bar] += n as u32;
        }

        let all = all_lengths.quantiles();
        summary.median_seconds = all.median;
        summary.written = WrittenCounts {
            contacts: written.count() as u32,
            total_seconds: written.total_seconds,
            median_seconds: written.quantiles().median,
        };
        summary.callbacks.pending = raw.pending_now;
        summary.callbacks.overdue = raw.overdue_now;
        summary.files = raw.files;
        summary.phone = Offered::new(answered.iter().sum(), missed.iter().sum());

        callbacks.overdue = raw.overdue;
        let delays = delays.quantiles();
        callbacks.attempted = delays.count as u32;
        if delays.count > 0 {
            callbacks.first_attempt_median_minutes = Some(delays.median / 60);
            callbacks.first_attempt_p90_minutes = Some(delays.p90 / 60);
        }

        Statistics {
            period,
            zone: zone.to_string(),
            previous_calls,
            summary,
            by_weekday_hour,
            phone_by_hour,
            over_time: Series { granularity, starts, current, previous },
            lengths,
            length_bars,
            themes_by_gender,
            profiles,
            callbacks,
            listening: Listening {
                shifts: raw.shifts.len() as u32,
                seconds: raw.shifts.iter().map(|(a, b)| (*b - *a).num_seconds()).sum(),
            },
            coverage: opening.coverage(period.first, period.last, zone, now, &raw.shifts),
        }
    }

    /// Calls per age group, as the report and the screen show them (`AgeGroup`): under 25,
    /// 25–44, 45–64, 65 and over from the bands files are given now; the bands of files made
    /// before them that straddle 45 or 65 (40–59, 60–74) each on their own line when any call
    /// has one; unknown last.
    pub fn age_groups(&self) -> Vec<(AgeGroup, u32)> {
        let mut groups: Vec<(AgeGroup, u32)> = AgeGroup::ALL.iter().map(|&g| (g, 0)).collect();
        for (word, &n) in &self.profiles.age_band {
            let group = word.parse::<AgeBand>().map_or(AgeGroup::Unknown, AgeGroup::of);
            if let Some(entry) = groups.iter_mut().find(|(g, _)| *g == group) {
                entry.1 += n;
            }
        }
        groups.retain(|&(group, n)| n > 0 || !group.is_legacy());
        groups
    }

    /// The busiest cell of the weekday × hour grid (for scaling the heat map).
    pub fn busiest_hour(&self) -> u32 {
        self.by_weekday_hour.iter().flatten().copied().max().unwrap_or(0)
    }

    /// The period's themes, the most frequent first (then by name), with their counts.
    pub fn themes_by_count(&self) -> Vec<(&str, u32)> {
        let mut themes: Vec<(&str, u32)> =
            self.summary.by_theme.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        themes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        themes
    }

    /// One theme's calls by the gender of their files, in `GENDER_COLUMNS`' order.
    pub fn theme_by_gender(&self, theme: &str) -> [u32; 4] {
        let by = self.themes_by_gender.get(theme);
        GENDER_COLUMNS.map(|g| by.and_then(|b| b.get(g)).copied().unwrap_or(0))
    }
}

/// Where a quarter hour falls on the local clock.
struct Local {
    day: NaiveDate,
    /// Monday 0.
    weekday: usize,
    hour: usize,
}

/// `quarters` of `period` put on the local clock: each at its first instant, with the offset in
/// force then (found among the period's few offsets, not looked up quarter by quarter).
fn localised(
    quarters: &[(i64, HourCount)],
    period: StatsPeriod,
    zone: Zone,
) -> impl Iterator<Item = (Local, HourCount)> + '_ {
    let (from, to) = period.bounds(zone);
    let offsets: Vec<(i64, i64)> =
        zone.offsets(from, to).into_iter().map(|(at, o)| (at.timestamp(), o)).collect();
    quarters.iter().map(move |&(quarter, count)| {
        let at = quarter * QUARTER_SECONDS;
        let offset =
            offsets.iter().rev().find(|(start, _)| *start <= at).or(offsets.first()).map_or(0, |&(_, o)| o);
        let local = at + offset;
        let days = local.div_euclid(86_400);
        let day = NaiveDate::default() + Duration::days(days);
        let weekday = day.weekday().num_days_from_monday() as usize;
        (Local { day, weekday, hour: (local.rem_euclid(86_400) / 3600) as usize }, count)
    })
}

/// The width of the store's quarter hours, in seconds.
pub const QUARTER_SECONDS: i64 = 900;

/// The columns of themes by gender: the stored genders, then unknown.
pub const GENDER_COLUMNS: [&str; 4] = ["woman", "man", "other", UNKNOWN];

/// The age groups figures are given in: the (under 25, 25–44, 45–64, 65 and over), then
/// the two bands of older files that cannot be put in them honestly, then unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeGroup {
    Under25,
    From25To44,
    From45To64,
    From65,
    /// 40–59: a file with it may be under or over 45.
    From40To59,
    /// 60–74: under or over 65.
    From60To74,
    Unknown,
}

impl AgeGroup {
    pub const ALL: &'static [AgeGroup] = &[
        AgeGroup::Under25,
        AgeGroup::From25To44,
        AgeGroup::From45To64,
        AgeGroup::From65,
        AgeGroup::From40To59,
        AgeGroup::From60To74,
        AgeGroup::Unknown,
    ];

    /// The group a stored band counts in: exactly where it fits (25–39 is within 25–44, 75 and
    /// over within 65 and over), apart where it does not.
    pub fn of(band: AgeBand) -> AgeGroup {
        match band {
            AgeBand::Under18 | AgeBand::From18To24 => AgeGroup::Under25,
            AgeBand::From25To44 | AgeBand::From25To39 => AgeGroup::From25To44,
            AgeBand::From45To64 => AgeGroup::From45To64,
            AgeBand::From65To74 | AgeBand::From75 => AgeGroup::From65,
            AgeBand::From40To59 => AgeGroup::From40To59,
            AgeBand::From60To74 => AgeGroup::From60To74,
        }
    }

    /// A band of older files, shown only when some call has it.
    pub fn is_legacy(self) -> bool {
        matches!(self, AgeGroup::From40To59 | AgeGroup::From60To74)
    }

    /// The word its label is found under (`[labels.age_group]`).
    pub fn as_str(self) -> &'static str {
        match self {
            AgeGroup::Under25 => "under_25",
            AgeGroup::From25To44 => "25_44",
            AgeGroup::From45To64 => "45_64",
            AgeGroup::From65 => "65_plus",
            AgeGroup::From40To59 => "40_59",
            AgeGroup::From60To74 => "60_74",
            AgeGroup::Unknown => UNKNOWN,
        }
    }
}

/// The facts of a period folded into the summary's and the statistics' breakdowns.
struct Folded {
    summary: Summary,
    all_lengths: Durations,
    lengths_by_type: BTreeMap<CallType, Durations>,
    written: Durations,
    themes_by_gender: BTreeMap<String, BTreeMap<String, u32>>,
    profiles: Profiles,
    callbacks: CallbackFigures,
    delays: Durations,
}

impl Folded {
    fn add(&mut self, fact: &Fact) {
        let n = fact.n.max(0) as u32;
        let word = |w: &str| if w.is_empty() { UNKNOWN.to_owned() } else { w.to_owned() };
        let summary = &mut self.summary;
        match fact.facet {
            Facet::Channel => {
                let channel = summary.by_channel.entry(fact.value.clone()).or_default();
                channel.contacts += n;
                channel.seconds += fact.seconds;
                summary.calls += n;
            }
            Facet::Type => {
                if let Ok(call_type) = fact.value.parse::<CallType>() {
                    *summary.by_type.entry(call_type).or_insert(0) += n;
                }
            }
            Facet::Outcome => {
                if let Ok(outcome) = fact.value.parse::<Outcome>() {
                    *summary.by_outcome.entry(outcome).or_insert(0) += n;
                }
            }
            Facet::Risk | Facet::Urgency | Facet::Danger => {
                let axis = match fact.facet {
                    Facet::Risk => &mut summary.rud.risk,
                    Facet::Urgency => &mut summary.rud.urgency,
                    _ => &mut summary.rud.danger,
                };
                axis.add(fact.value.parse::<RudLevel>().ok(), n);
            }
            Facet::Length => {
                let start = fact.detail.parse().unwrap_or(0);
                self.all_lengths.add_bin(start, fact.n, fact.seconds);
                if let Ok(call_type) = fact.value.parse::<CallType>() {
                    self.lengths_by_type.entry(call_type).or_default().add_bin(start, fact.n, fact.seconds);
                }
                summary.total_seconds += fact.seconds;
            }
            Facet::Written => self.written.add_bin(fact.detail.parse().unwrap_or(0), fact.n, fact.seconds),
            Facet::AgeBand => *self.profiles.age_band.entry(word(&fact.value)).or_default() += n,
            Facet::Gender => *self.profiles.gender.entry(word(&fact.value)).or_default() += n,
            Facet::Relation => *self.profiles.relation.entry(word(&fact.value)).or_default() += n,
            Facet::Theme => {
                *self
                    .themes_by_gender
                    .entry(fact.value.clone())
                    .or_default()
                    .entry(word(&fact.detail))
                    .or_default() += n;
                *summary.by_theme.entry(fact.value.clone()).or_insert(0) += n;
            }
            Facet::Prompt => {
                let outcome = (!fact.detail.is_empty()).then(|| fact.detail.clone());
                match summary.prompts.iter_mut().find(|p| p.number == fact.value && p.outcome == outcome) {
                    Some(prompt) => prompt.count += n,
                    None => {
                        summary.prompts.push(PromptCount { number: fact.value.clone(), outcome, count: n });
                        summary.prompts.sort_by(|a, b| (&a.number, &a.outcome).cmp(&(&b.number, &b.outcome)));
                    }
                }
            }
            Facet::Callback => {
                let callbacks = &mut self.callbacks;
                callbacks.created += n;
                match fact.value.as_str() {
                    "pending" => callbacks.pending += n,
                    "done" => callbacks.done += n,
                    _ => callbacks.cancelled += n,
                }
                if fact.detail == FLAGGED {
                    callbacks.flagged += n;
                }
                summary.callbacks.created += n;
            }
            Facet::FirstAttempt => {
                self.delays.add_bin(fact.detail.parse().unwrap_or(0), fact.n, fact.seconds)
            }
            Facet::Reached => summary.callbacks.done += n,
        }
    }
}

fn lengths_from(call_type: Option<CallType>, durations: &Durations) -> Lengths {
    let q = durations.quantiles();
    Lengths {
        call_type,
        calls: q.count as u32,
        median_seconds: q.median,
        p90_seconds: q.p90,
        mean_seconds: q.mean,
    }
}

/// Median (the mean of the two middle values for an even count), nearest-rank 90th percentile
/// and mean of exact values, each counted `n` times (the end-of-shift figures).
pub fn lengths_of(call_type: Option<CallType>, values: impl Iterator<Item = (i64, u32)>) -> Lengths {
    lengths_from(call_type, &Durations::exact(values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn quarter(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp() / QUARTER_SECONDS
    }

    fn contacts(n: u32) -> HourCount {
        HourCount { contacts: n, answered: 0, missed: 0 }
    }

    fn build(period: StatsPeriod, raw: RawCounts) -> Statistics {
        let request =
            StatsRequest { period, zone: Zone::default(), opening: OpeningHours::default(), now: Utc::now() };
        Statistics::build(&request, raw)
    }

    #[test]
    fn hours_are_local_on_both_sides_of_a_daylight_saving_change() {
        // 19:00 UTC is 21:00 in Paris in summer and 20:00 in winter; 2026-10-25 is the
        // Sunday clocks go back.
        let raw = RawCounts {
            quarters: vec![
                (quarter(2026, 1, 7, 19, 0), contacts(2)),   // Wednesday 20:00 local
                (quarter(2026, 7, 1, 19, 0), contacts(1)),   // Wednesday 21:00 local
                (quarter(2026, 10, 25, 0, 15), contacts(4)), // Sunday 02:15 CEST (first 02:xx)
                (quarter(2026, 10, 25, 1, 15), HourCount { contacts: 8, answered: 6, missed: 3 }), // 02:15 CET
                (quarter(2026, 12, 31, 23, 30), contacts(16)), // 1 January 2027 00:30 local: outside
            ],
            ..RawCounts::default()
        };
        let stats = build(StatsPeriod::year(2026), raw);
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
        // The phone by local hour: answered and missed at 02:00.
        assert_eq!(stats.phone_by_hour[2], Offered::new(6, 3));
        assert_eq!(stats.summary.phone, Offered::new(6, 3));
        assert_eq!(stats.phone_by_hour[20], Offered::default());
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
            quarters: vec![(quarter(2026, 3, 2, 10, 0), contacts(3))],
            previous_quarters: vec![
                (quarter(2025, 3, 2, 10, 0), contacts(5)),
                (quarter(2025, 3, 31, 10, 0), contacts(7)),
            ],
            ..RawCounts::default()
        };
        let stats = build(month, raw);
        assert_eq!(stats.over_time.current[1], 3);
        assert_eq!(stats.over_time.previous[1], 5);
        assert_eq!(stats.over_time.previous[30], 7);
        assert_eq!(stats.previous_calls, 12);
    }

    #[test]
    fn exact_lengths_for_the_end_of_a_shift() {
        let median = |values: &[i64]| lengths_of(None, values.iter().map(|&v| (v, 1))).median_seconds;
        assert_eq!(median(&[]), 0);
        assert_eq!(median(&[5]), 5);
        assert_eq!(median(&[1, 3, 10]), 3);
        assert_eq!(median(&[1, 3, 10, 20]), 6);
    }

    #[test]
    fn lengths_are_read_within_their_bins_and_sum_exactly() {
        let raw = RawCounts {
            facts: vec![
                Fact::new(Facet::Length, "listening", "600", 3, 3 * 620),
                Fact::new(Facet::Length, "listening", "1200", 1, 1230),
                Fact::new(Facet::Length, "crisis", "3600", 1, 3700),
                Fact::new(Facet::Length, "hang_up", "0", 5, 50),
                Fact::new(Facet::Written, "", "1800", 2, 3700),
                Fact::new(Facet::Channel, "phone", "", 10, 3 * 620 + 1230 + 3700 + 50),
                Fact::new(Facet::Channel, "email", "", 2, 3700),
            ],
            ..RawCounts::default()
        };
        let stats = build(StatsPeriod::year(2026), raw);
        let all = &stats.lengths[0];
        assert_eq!((all.call_type, all.calls), (None, 10));
        // Sorted bins: 0 ×5, 600 ×3, 1200, 3600: the middle two are the last of the first bin
        // (0 + 60·9/10) and the first of the 10-minute one (600 + 60·1/6).
        assert_eq!(all.median_seconds, (54 + 610) / 2);
        assert_eq!(all.p90_seconds, 1230);
        assert_eq!(all.mean_seconds, (3 * 620 + 1230 + 3700 + 50) / 10);
        let listening = stats.lengths.iter().find(|l| l.call_type == Some(CallType::Listening)).unwrap();
        assert_eq!((listening.calls, listening.median_seconds, listening.p90_seconds), (4, 640, 1230));
        assert_eq!(stats.length_bars, [5, 0, 3, 1, 0, 1]);
        // The summary: every contact, the timed ones' total exact, the written ones apart.
        assert_eq!((stats.summary.calls, stats.summary.total_seconds), (12, 3 * 620 + 1230 + 3700 + 50));
        assert_eq!(
            stats.summary.written,
            WrittenCounts { contacts: 2, total_seconds: 3700, median_seconds: 1830 }
        );
        assert_eq!(
            stats.summary.by_channel["email"],
            super::super::summary::ChannelCounts { contacts: 2, seconds: 3700 }
        );
    }

    #[test]
    fn profiles_themes_prompts_and_callbacks_are_counted() {
        let raw = RawCounts {
            facts: vec![
                Fact::new(Facet::AgeBand, "18_24", "", 2, 0),
                Fact::new(Facet::AgeBand, "under_18", "", 1, 0),
                Fact::new(Facet::AgeBand, "25_39", "", 3, 0),
                Fact::new(Facet::AgeBand, "25_44", "", 1, 0),
                Fact::new(Facet::AgeBand, "60_74", "", 2, 0),
                Fact::new(Facet::AgeBand, "75_plus", "", 1, 0),
                Fact::new(Facet::AgeBand, "", "", 4, 0),
                Fact::new(Facet::Gender, "woman", "", 2, 0),
                Fact::new(Facet::Gender, "", "", 5, 0),
                Fact::new(Facet::Theme, "deuil", "woman", 2, 0),
                Fact::new(Facet::Theme, "deuil", "", 1, 0),
                Fact::new(Facet::Prompt, "3114", "number_given", 2, 0),
                Fact::new(Facet::Prompt, "15", "", 1, 0),
                Fact::new(Facet::Risk, "high", "", 1, 0),
                Fact::new(Facet::Risk, "", "", 6, 0),
                Fact::new(Facet::Callback, "done", "", 1, 0),
                Fact::new(Facet::Callback, "pending", FLAGGED, 1, 0),
                Fact::new(Facet::Callback, "cancelled", "", 1, 0),
                Fact::new(Facet::FirstAttempt, "", "600", 1, 630),
                Fact::new(Facet::FirstAttempt, "", "0", 1, 0),
                Fact::new(Facet::Reached, "", "", 4, 0),
            ],
            overdue: 1,
            ..RawCounts::default()
        };
        let stats = build(StatsPeriod::year(2026), raw);
        let ages = stats.age_groups();
        assert_eq!(
            ages,
            vec![
                (AgeGroup::Under25, 3),
                (AgeGroup::From25To44, 4),
                (AgeGroup::From45To64, 0),
                (AgeGroup::From65, 1),
                (AgeGroup::From60To74, 2),
                (AgeGroup::Unknown, 4)
            ],
            "40–59 is left out with no call; 60–74 stands apart"
        );
        assert_eq!(stats.profiles.gender[UNKNOWN], 5);
        assert_eq!(stats.themes_by_gender["deuil"]["woman"], 2);
        assert_eq!(stats.theme_by_gender("deuil"), [2, 0, 0, 1]);
        assert_eq!(stats.summary.by_theme["deuil"], 3);
        assert_eq!(stats.themes_by_count(), vec![("deuil", 3)]);
        let prompts: Vec<(&str, Option<&str>, u32)> = stats
            .summary
            .prompts
            .iter()
            .map(|p| (p.number.as_str(), p.outcome.as_deref(), p.count))
            .collect();
        assert_eq!(prompts, vec![("15", None, 1), ("3114", Some("number_given"), 2)]);
        assert_eq!((stats.summary.rud.risk.high, stats.summary.rud.risk.not_assessed), (1, 6));
        let cb = &stats.callbacks;
        assert_eq!(
            (cb.created, cb.done, cb.pending, cb.cancelled, cb.overdue, cb.flagged),
            (3, 1, 1, 1, 1, 1)
        );
        assert_eq!((stats.summary.callbacks.created, stats.summary.callbacks.done), (3, 4));
        assert_eq!(cb.attempted, 2);
        assert_eq!((cb.first_attempt_median_minutes, cb.first_attempt_p90_minutes), (Some(5), Some(10)));
    }
}
