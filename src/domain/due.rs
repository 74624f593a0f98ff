//! A callback's due time as a listener types it, in French or in ISO form:
//! `2026-11-24 14:30`, `2026-11-24T14:30`, `24/11 14h30`, `24/11/2026 9h`, `demain 9h`,
//! `aujourd'hui 18:00`, `dans 2h`, `dans 45 min` (and `tomorrow`, `today`, `in 2h`).
//! Times are local (the configured zone, with the offset in force on that day); the result is
//! an instant in UTC.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::Timestamp;
use crate::local_time::Zone;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a date and time (e.g. \"demain 9h\", \"24/11 14h30\", \"2026-11-24 14:30\", \"dans 2h\")"
)]
pub struct BadDue(pub String);

/// Reads `text` relative to `now`. A time already past today, or a date without a year
/// already past this year, is refused rather than guessed.
pub fn parse_due(text: &str, now: Timestamp, zone: Zone) -> Result<Timestamp, BadDue> {
    let bad = || BadDue(text.to_owned());
    let lower = text.trim().to_lowercase().replace('’', "'");
    let today = zone.today(now);
    if let Some(rest) = lower.strip_prefix("dans ").or_else(|| lower.strip_prefix("in ")) {
        return relative(rest.trim()).map(|d| now + d).ok_or_else(bad);
    }
    // ISO's "2026-11-24t14:30" (lowercased) reads as "2026-11-24 14:30".
    let lower = match lower.as_bytes().get(10) {
        Some(b't') if lower.as_bytes().get(4) == Some(&b'-') => format!("{} {}", &lower[..10], &lower[11..]),
        _ => lower,
    };
    let (day, time) = lower.split_once(' ').map_or((lower.as_str(), ""), |(d, t)| (d.trim(), t.trim()));
    let date = match day {
        "demain" | "tomorrow" => today + Duration::days(1),
        "aujourd'hui" | "today" => today,
        _ => parse_date(day, today).ok_or_else(bad)?,
    };
    let time = clock(time).ok_or_else(bad)?;
    let due = zone.instant(NaiveDateTime::new(date, time));
    if due < now - Duration::minutes(1) {
        return Err(bad());
    }
    Ok(due)
}

/// "2h", "2 h", "45 min", "1h30".
fn relative(text: &str) -> Option<Duration> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(minutes) = compact.strip_suffix("min").or_else(|| compact.strip_suffix("mn")) {
        return minutes.parse::<i64>().ok().filter(|m| *m > 0).map(Duration::minutes);
    }
    let (hours, minutes) = compact.split_once('h')?;
    let hours: i64 = hours.parse().ok()?;
    let minutes: i64 = if minutes.is_empty() { 0 } else { minutes.parse().ok()? };
    (hours > 0 || minutes > 0).then(|| Duration::hours(hours) + Duration::minutes(minutes))
}

/// A day as a person types it: "2026-11-24", "24/11/2026", "24/11/26", or "24/11" (this year,
/// `today`'s).
pub fn parse_date(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date);
    }
    let parts: Vec<&str> = text.split('/').collect();
    let number = |s: &str| s.parse::<u32>().ok();
    match parts.as_slice() {
        [d, m, y] => {
            let year = number(y)? as i32;
            let year = if year < 100 { 2000 + year } else { year };
            NaiveDate::from_ymd_opt(year, number(m)?, number(d)?)
        }
        [d, m] => NaiveDate::from_ymd_opt(today.year(), number(m)?, number(d)?),
        _ => None,
    }
}

/// "14:30", "14h30", "14h", "9h".
fn clock(text: &str) -> Option<NaiveTime> {
    let (hours, minutes) = text.split_once([':', 'h'])?;
    let minutes = if minutes.is_empty() { 0 } else { minutes.parse().ok()? };
    NaiveTime::from_hms_opt(hours.parse().ok()?, minutes, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 23, 13, 0, 0).unwrap() // 14:00 in Paris (UTC+1)
    }

    fn paris() -> Zone {
        Zone::default()
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
        chrono_tz::Europe::Paris.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn french_and_iso_forms() {
        let parse = |text: &str| parse_due(text, now(), paris());
        assert_eq!(parse("demain 9h"), Ok(at(2026, 11, 24, 9, 0)));
        assert_eq!(parse("Demain 9h30"), Ok(at(2026, 11, 24, 9, 30)));
        assert_eq!(parse("aujourd'hui 18:00"), Ok(at(2026, 11, 23, 18, 0)));
        assert_eq!(parse("aujourd’hui 18h"), Ok(at(2026, 11, 23, 18, 0)));
        assert_eq!(parse("24/11 14h30"), Ok(at(2026, 11, 24, 14, 30)));
        assert_eq!(parse("02/01/2027 10:15"), Ok(at(2027, 1, 2, 10, 15)));
        assert_eq!(parse("2026-11-24 14:30"), Ok(at(2026, 11, 24, 14, 30)));
        assert_eq!(parse("2026-11-24T14:30"), Ok(at(2026, 11, 24, 14, 30)));
        assert_eq!(parse("dans 2h"), Ok(now() + Duration::hours(2)));
        assert_eq!(parse("dans 1h30"), Ok(now() + Duration::minutes(90)));
        assert_eq!(parse("dans 45 min"), Ok(now() + Duration::minutes(45)));
        assert_eq!(parse("tomorrow 09:00"), Ok(at(2026, 11, 24, 9, 0)));
        assert_eq!(parse("in 30 min"), Ok(now() + Duration::minutes(30)));
    }

    #[test]
    fn nonsense_and_the_past_are_refused() {
        let parse = |text: &str| parse_due(text, now(), paris());
        for bad in [
            "",
            "demain",
            "bientôt",
            "31/02 10h",
            "25h",
            "demain 25h",
            "aujourd'hui 9h",
            "22/11 10h",
            "dans 0h",
            "dans",
            "2026-13-01 10:00",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn times_typed_across_a_change_of_time_are_read_with_that_day_s_offset() {
        let utc = |d: u32, m: u32, h: u32, min: u32| Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
        // Typed in winter time for a day in summer time, and the other way round.
        let march = utc(28, 3, 20, 0); // 21:00 CET
        assert_eq!(parse_due("demain 9h", march, paris()), Ok(utc(29, 3, 7, 0)));
        assert_eq!(parse_due("dans 12h", march, paris()), Ok(march + Duration::hours(12)));
        // 02:30 does not exist that night: the same wall time after the change, 03:30 CEST.
        assert_eq!(parse_due("demain 2h30", march, paris()), Ok(utc(29, 3, 1, 30)));
        let october = utc(24, 10, 20, 0); // 22:00 CEST
        assert_eq!(parse_due("demain 9h", october, paris()), Ok(utc(25, 10, 8, 0)));
        // 02:30 happens twice that night: the first one.
        assert_eq!(parse_due("25/10 2h30", october, paris()), Ok(utc(25, 10, 0, 30)));
        // Another zone reads its own wall clock.
        let montreal: Zone = "America/Montreal".parse().unwrap();
        assert_eq!(parse_due("demain 9h", now(), montreal), Ok(utc(24, 11, 14, 0)));
    }
}
