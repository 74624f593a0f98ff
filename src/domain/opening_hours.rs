//! The line's opening hours (the config's `[opening_hours]`: local times per weekday) and how
//! much of them had someone on shift: the statistics' coverage. None by default, and then no
//! coverage is shown rather than one against hours nobody gave.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Timelike};
use serde::Serialize;

use super::Timestamp;
use crate::local_time::Zone;

/// Opening intervals per local weekday (Monday first), in minutes from midnight: `start < end`,
/// `end` up to 1440 (24:00).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpeningHours {
    pub days: [Vec<(u32, u32)>; 7],
}

/// Why an interval is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadInterval {
    /// Not `HH:MM-HH:MM`.
    Form,
    /// The end is not after the start.
    Backwards,
    /// It overlaps another of the same day.
    Overlaps,
}

/// Minutes from midnight of `HH:MM` (`24:00` for the end of the day).
fn minutes(text: &str) -> Option<u32> {
    if text.trim() == "24:00" {
        return Some(24 * 60);
    }
    let time = NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()?;
    Some(time.hour() * 60 + time.minute())
}

impl OpeningHours {
    /// One weekday's intervals as the config writes them (`"09:00-12:30"`, `"18:00-24:00"`).
    pub fn parse_day(intervals: &[String]) -> Result<Vec<(u32, u32)>, (String, BadInterval)> {
        let mut day: Vec<(u32, u32)> = Vec::new();
        for text in intervals {
            let refuse = |why| Err((text.clone(), why));
            let Some((start, end)) = text.split_once('-').and_then(|(a, b)| Some((minutes(a)?, minutes(b)?)))
            else {
                return refuse(BadInterval::Form);
            };
            if start >= end || start >= 24 * 60 {
                return refuse(BadInterval::Backwards);
            }
            if day.iter().any(|&(s, e)| start < e && s < end) {
                return refuse(BadInterval::Overlaps);
            }
            day.push((start, end));
        }
        day.sort_unstable();
        Ok(day)
    }

    pub fn is_set(&self) -> bool {
        self.days.iter().any(|day| !day.is_empty())
    }

    /// The opening intervals of the local days `first..=last`, as instants (a change of time
    /// on a day makes its intervals an hour shorter or longer, as lived).
    pub fn intervals(&self, first: NaiveDate, last: NaiveDate, zone: Zone) -> Vec<(Timestamp, Timestamp)> {
        let mut out = Vec::new();
        let mut day = first;
        while day <= last {
            let at = |minute: u32| {
                if minute >= 24 * 60 {
                    zone.start_of_day(day + Duration::days(1))
                } else {
                    let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or(NaiveTime::MIN);
                    zone.instant(day.and_time(time))
                }
            };
            for &(start, end) in &self.days[day.weekday().num_days_from_monday() as usize] {
                out.push((at(start), at(end)));
            }
            day += Duration::days(1);
        }
        out
    }

    /// How much of the opening hours of the local days `first..=last` up to `now` had at least
    /// one shift open (`shifts`: from, to, in any order, overlapping or not); `None` when no
    /// opening hours are set. Hours still to come are not counted: a period not yet ended is
    /// measured on what has been lived of it.
    pub fn coverage(
        &self,
        first: NaiveDate,
        last: NaiveDate,
        zone: Zone,
        now: Timestamp,
        shifts: &[(Timestamp, Timestamp)],
    ) -> Option<Coverage> {
        if !self.is_set() {
            return None;
        }
        let opening: Vec<_> = self
            .intervals(first, last, zone)
            .into_iter()
            .filter(|&(a, _)| a < now)
            .map(|(a, b)| (a, b.min(now)))
            .collect();
        let open: i64 = opening.iter().map(|(a, b)| (*b - *a).num_seconds()).sum();
        let shifts = union(shifts);
        let mut covered = 0;
        for &(a, b) in &opening {
            for &(s, e) in &shifts {
                if s < b && a < e {
                    covered += (e.min(b) - s.max(a)).num_seconds();
                }
            }
        }
        Some(Coverage {
            opening_seconds: open,
            covered_seconds: covered,
            percent: if open == 0 { 0 } else { ((covered * 100 + open / 2) / open) as u32 },
        })
    }
}

/// The opening hours of a period and how much of them had someone on shift.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub opening_seconds: i64,
    pub covered_seconds: i64,
    /// `covered / opening`, in percent, rounded.
    pub percent: u32,
}

/// Intervals merged where they overlap or touch, in order.
fn union(intervals: &[(Timestamp, Timestamp)]) -> Vec<(Timestamp, Timestamp)> {
    let mut sorted: Vec<(Timestamp, Timestamp)> = intervals.iter().copied().filter(|(a, b)| a < b).collect();
    sorted.sort_unstable();
    let mut out: Vec<(Timestamp, Timestamp)> = Vec::new();
    for (a, b) in sorted {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn intervals_are_read_checked_and_sorted() {
        assert_eq!(
            OpeningHours::parse_day(&strings(&["18:00-24:00", "09:00-12:30"])),
            Ok(vec![(540, 750), (1080, 1440)])
        );
        let refused = |list: &[&str]| OpeningHours::parse_day(&strings(list)).unwrap_err().1;
        assert_eq!(refused(&["9h-12h"]), BadInterval::Form);
        assert_eq!(refused(&["12:00-09:00"]), BadInterval::Backwards);
        assert_eq!(refused(&["24:00-24:00"]), BadInterval::Backwards);
        assert_eq!(refused(&["09:00-12:00", "11:00-13:00"]), BadInterval::Overlaps);
    }

    #[test]
    fn coverage_is_the_share_of_opening_hours_with_a_shift_open() {
        // Open 18:00-23:00 every day; Monday 30 March 2026 (summer time: 16:00-21:00 UTC).
        let mut hours = OpeningHours::default();
        for d in &mut hours.days {
            *d = vec![(18 * 60, 23 * 60)];
        }
        let at = |h, m| Utc.with_ymd_and_hms(2026, 3, 30, h, m, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
        // Two overlapping shifts cover 16:00-19:30 UTC, one after closing counts nothing.
        let shifts = [(at(15, 0), at(18, 0)), (at(17, 0), at(19, 30)), (at(21, 0), at(22, 0))];
        let coverage =
            hours.coverage(day(2026, 3, 30), day(2026, 3, 30), Zone::default(), later, &shifts).unwrap();
        assert_eq!(
            (coverage.opening_seconds, coverage.covered_seconds, coverage.percent),
            (5 * 3600, 3 * 3600 + 1800, 70)
        );
        assert_eq!(
            OpeningHours::default().coverage(
                day(2026, 3, 30),
                day(2026, 3, 30),
                Zone::default(),
                later,
                &shifts
            ),
            None
        );
        // 29 March 2026, the night clocks go forward: 00:00-24:00 that day lasts 23 hours.
        let mut all_day = OpeningHours::default();
        all_day.days[6] = vec![(0, 24 * 60)];
        let sunday =
            all_day.coverage(day(2026, 3, 29), day(2026, 3, 29), Zone::default(), later, &[]).unwrap();
        assert_eq!((sunday.opening_seconds, sunday.percent), (23 * 3600, 0));
    }

    #[test]
    fn a_period_not_yet_ended_is_covered_up_to_now() {
        // Open 18:00-23:00 (16:00-21:00 UTC) every day of a month; now is Monday 30 March 2026
        // at 19:00 UTC: 29 days and 3 hours of opening have been lived, not 31 days.
        let mut hours = OpeningHours::default();
        for d in &mut hours.days {
            *d = vec![(18 * 60, 23 * 60)];
        }
        let now = Utc.with_ymd_and_hms(2026, 3, 30, 19, 0, 0).unwrap();
        // A shift on every evening lived so far, and on this one up to now.
        let shifts: Vec<_> = (1..=30)
            .map(|d| {
                let from = Utc.with_ymd_and_hms(2026, 3, d, 15, 0, 0).unwrap();
                (from, (from + Duration::hours(7)).min(now))
            })
            .collect();
        let coverage =
            hours.coverage(day(2026, 3, 1), day(2026, 3, 31), Zone::default(), now, &shifts).unwrap();
        // Before 29 March the evening is 17:00-22:00 UTC (winter time): the shifts cover it too.
        assert_eq!(coverage.opening_seconds, 29 * 5 * 3600 + 3 * 3600);
        assert_eq!((coverage.covered_seconds, coverage.percent), (coverage.opening_seconds, 100));
    }
}
