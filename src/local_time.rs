//! Times as a person reads and types them. Instants are UTC everywhere they are kept (the
//! store, JSON, CSV); what a person reads is converted to the configured IANA zone (`timezone`,
//! `Europe/Paris` by default) at the moment it is shown, from the zone's rules for that very
//! instant: a terminal left open across a daylight-saving change shows the right hour, and a
//! date from March read in November keeps its summer offset. The rules are chrono-tz's copy of
//! the IANA database, built into the binary, so neither the machine's `TZ` nor its
//! /usr/share/zoneinfo changes what anyone reads.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::Timestamp;

/// The zone times are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Zone {
        Zone(Tz::Europe__Paris)
    }
}

impl FromStr for Zone {
    type Err = String;

    fn from_str(name: &str) -> Result<Zone, String> {
        name.parse::<Tz>().map(Zone).map_err(|_| {
            format!("{name:?} is not a time zone: give an IANA name such as \"Europe/Paris\" or \"America/Montreal\"")
        })
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl Zone {
    /// `at` on this zone's wall clock, with the offset in force at that instant.
    pub fn local(self, at: Timestamp) -> DateTime<Tz> {
        at.with_timezone(&self.0)
    }

    /// The local calendar day `now` falls on.
    pub fn today(self, now: Timestamp) -> NaiveDate {
        self.local(now).date_naive()
    }

    /// The instant a local wall time names. In the hour skipped when clocks go forward, the
    /// same wall time read with the offset from before the change (02:30 on the last Sunday of
    /// March in Paris is 03:30 summer time); in the hour lived twice when they go back, its
    /// first occurrence. Every wall time names an instant: a due time typed in the gap is not
    /// refused as nonsense.
    pub fn instant(self, wall: NaiveDateTime) -> Timestamp {
        if let Some(at) = self.0.from_local_datetime(&wall).earliest() {
            return at.with_timezone(&Utc);
        }
        // A gap: the offset a day before is the one in force before the change (no zone
        // changes its offset twice within a day).
        let before = self
            .0
            .from_local_datetime(&(wall - Duration::days(1)))
            .earliest()
            .map_or(0, |at| at.offset().fix().local_minus_utc());
        Utc.from_utc_datetime(&(wall - Duration::seconds(before.into())))
    }

    /// The first instant of a local calendar day (01:00 where a change skips midnight).
    pub fn start_of_day(self, day: NaiveDate) -> Timestamp {
        self.instant(day.and_time(chrono::NaiveTime::MIN))
    }

    /// The offsets from UTC in force over `[from, to)`, in seconds: each from the instant it
    /// starts (the first at `from`) until the next one starts (the last until `to`).
    pub fn offsets(self, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, i64)> {
        let at = |seconds: i64| DateTime::from_timestamp(seconds, 0).unwrap_or_default();
        let offset = |seconds: i64| i64::from(self.local(at(seconds)).offset().fix().local_minus_utc());
        let (from_s, to_s) = (from.timestamp(), to.timestamp());
        let mut out = vec![(from, offset(from_s))];
        let mut now = from_s;
        // A day at a time (no zone changes its offset twice within a day), the change found to
        // the second.
        while now < to_s {
            let current = out.last().map_or(0, |&(_, o)| o);
            if offset(now) != current {
                out.push((at(now), offset(now)));
                continue;
            }
            let end = (now + 86_400).min(to_s);
            let (mut same, mut changed) = (now, end - 1);
            if offset(changed) == current {
                now = end;
                continue;
            }
            while changed - same > 1 {
                let middle = same + (changed - same) / 2;
                if offset(middle) == current {
                    same = middle;
                } else {
                    changed = middle;
                }
            }
            out.push((at(changed), offset(changed)));
            now = changed;
        }
        out
    }

    /// `15:05`.
    pub fn clock(self, at: Timestamp) -> String {
        self.local(at).format("%H:%M").to_string()
    }

    /// `23/11/2026`.
    pub fn date(self, at: Timestamp) -> String {
        self.local(at).format("%d/%m/%Y").to_string()
    }

    /// `23/11/2026 15:05`.
    pub fn date_and_time(self, at: Timestamp) -> String {
        self.local(at).format("%d/%m/%Y %H:%M").to_string()
    }

    /// `23/11 15:05`, with the year when it is not the current local one (`25/11/2023
    /// 15:05`): a file's history and a callback queue span years, and a date without its year
    /// reads as this year's.
    pub fn short_date_and_time(self, at: Timestamp, now: Timestamp) -> String {
        if self.local(at).year() == self.local(now).year() {
            self.local(at).format("%d/%m %H:%M").to_string()
        } else {
            self.date_and_time(at)
        }
    }

    /// `15:05` today, else as [`Zone::short_date_and_time`]: "since 22:10" must not hide that
    /// it was yesterday.
    pub fn time_or_date(self, at: Timestamp, now: Timestamp) -> String {
        if self.today(at) == self.today(now) { self.clock(at) } else { self.short_date_and_time(at, now) }
    }

    /// `2026-11-23 15:05`, for the command line's tables (sortable, always with the year).
    pub fn iso_minute(self, at: Timestamp) -> String {
        self.local(at).format("%Y-%m-%d %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }

    fn paris() -> Zone {
        Zone::default()
    }

    #[test]
    fn the_default_is_paris_and_names_are_iana_names() {
        assert_eq!(paris().to_string(), "Europe/Paris");
        assert_eq!("America/Montreal".parse::<Zone>().unwrap().to_string(), "America/Montreal");
        let err = "Europe/Pari".parse::<Zone>().unwrap_err();
        assert!(err.contains("\"Europe/Pari\" is not a time zone"), "{err}");
        assert!("CET+1".parse::<Zone>().is_err());
        assert!("".parse::<Zone>().is_err());
    }

    #[test]
    fn a_years_offsets_change_at_the_instants_clocks_change() {
        let year = paris().offsets(utc(2025, 12, 31, 23, 0), utc(2026, 12, 31, 23, 0));
        assert_eq!(
            year,
            vec![
                (utc(2025, 12, 31, 23, 0), 3600),
                (utc(2026, 3, 29, 1, 0), 7200),
                (utc(2026, 10, 25, 1, 0), 3600)
            ]
        );
        let kathmandu: Zone = "Asia/Kathmandu".parse().unwrap();
        assert_eq!(
            kathmandu.offsets(utc(2026, 1, 1, 0, 0), utc(2026, 2, 1, 0, 0)),
            vec![(utc(2026, 1, 1, 0, 0), 20_700)]
        );
    }

    #[test]
    fn the_clock_follows_the_spring_change_while_it_runs() {
        // 29 March 2026: at 01:00 UTC, Paris goes from 02:00 CET straight to 03:00 CEST.
        assert_eq!(paris().clock(utc(2026, 3, 29, 0, 59)), "01:59");
        assert_eq!(paris().clock(utc(2026, 3, 29, 1, 0)), "03:00");
        assert_eq!(paris().clock(utc(2026, 3, 29, 1, 30)), "03:30");
    }

    #[test]
    fn the_clock_follows_the_autumn_change_while_it_runs() {
        // 25 October 2026: at 01:00 UTC, Paris goes back from 03:00 CEST to 02:00 CET.
        assert_eq!(paris().clock(utc(2026, 10, 25, 0, 59)), "02:59");
        assert_eq!(paris().clock(utc(2026, 10, 25, 1, 0)), "02:00");
        assert_eq!(paris().date_and_time(utc(2026, 10, 25, 1, 30)), "25/10/2026 02:30");
    }

    #[test]
    fn a_date_keeps_the_offset_of_its_own_season() {
        let now = utc(2026, 11, 23, 14, 5); // winter, UTC+1
        assert_eq!(paris().short_date_and_time(utc(2026, 7, 14, 10, 0), now), "14/07 12:00");
        assert_eq!(paris().short_date_and_time(utc(2026, 1, 14, 10, 0), now), "14/01 11:00");
    }

    #[test]
    fn a_wall_time_names_one_instant_across_both_changes() {
        // Before, in and after the hour skipped in March.
        assert_eq!(paris().instant(wall(2026, 3, 29, 1, 30)), utc(2026, 3, 29, 0, 30));
        assert_eq!(paris().instant(wall(2026, 3, 29, 2, 30)), utc(2026, 3, 29, 1, 30));
        assert_eq!(paris().clock(paris().instant(wall(2026, 3, 29, 2, 30))), "03:30");
        assert_eq!(paris().instant(wall(2026, 3, 29, 3, 30)), utc(2026, 3, 29, 1, 30));
        // The hour lived twice in October is read as its first occurrence (summer time).
        assert_eq!(paris().instant(wall(2026, 10, 25, 2, 30)), utc(2026, 10, 25, 0, 30));
        assert_eq!(paris().instant(wall(2026, 10, 25, 3, 30)), utc(2026, 10, 25, 2, 30));
        // Days are 23 and 25 hours long there.
        let day = |d: u32, m: u32| paris().start_of_day(NaiveDate::from_ymd_opt(2026, m, d).unwrap());
        assert_eq!(day(30, 3) - day(29, 3), Duration::hours(23));
        assert_eq!(day(26, 10) - day(25, 10), Duration::hours(25));
    }

    #[test]
    fn the_year_shows_when_it_is_not_this_one() {
        let now = utc(2026, 1, 2, 10, 0);
        assert_eq!(paris().short_date_and_time(now - Duration::hours(1), now), "02/01 10:00");
        assert_eq!(paris().short_date_and_time(utc(2025, 12, 30, 10, 0), now), "30/12/2025 11:00");
        assert_eq!(paris().short_date_and_time(utc(2023, 11, 25, 9, 0), now), "25/11/2023 10:00");
        // 23:30 UTC on 31 December is already the new year in Paris, still the old one in
        // Montreal; the year compared is the local one.
        let new_year = utc(2025, 12, 31, 23, 30);
        assert_eq!(paris().short_date_and_time(new_year, now), "01/01 00:30");
        let montreal: Zone = "America/Montreal".parse().unwrap();
        assert_eq!(montreal.short_date_and_time(new_year, now), "31/12/2025 18:30");
        // And on New Year's Eve in Paris, 1 January UTC+1 is next year's.
        let eve = utc(2026, 12, 31, 22, 0);
        assert_eq!(paris().short_date_and_time(utc(2026, 12, 31, 23, 30), eve), "01/01/2027 00:30");
    }

    #[test]
    fn since_says_the_day_when_it_was_not_today() {
        let now = utc(2026, 11, 23, 14, 5);
        assert_eq!(paris().time_or_date(utc(2026, 11, 23, 6, 0), now), "07:00");
        assert_eq!(paris().time_or_date(utc(2026, 11, 22, 21, 10), now), "22/11 22:10");
        // 23:30 UTC the day before is already today in Paris.
        assert_eq!(paris().time_or_date(utc(2026, 11, 22, 23, 30), now), "00:30");
    }

    #[test]
    fn other_zones_read_their_own_wall_clock() {
        let at = utc(2026, 11, 23, 14, 5);
        let zone = |name: &str| name.parse::<Zone>().unwrap();
        assert_eq!(zone("America/Montreal").clock(at), "09:05");
        assert_eq!(zone("Pacific/Noumea").date_and_time(at), "24/11/2026 01:05");
        assert_eq!(zone("Indian/Reunion").iso_minute(at), "2026-11-23 18:05");
        assert_eq!(zone("UTC").clock(at), "14:05");
    }
}
