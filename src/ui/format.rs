//! Times and durations as a listener reads them, in local time.

use chrono::{DateTime, Datelike, Duration, FixedOffset};

use crate::app::App;
use crate::domain::Timestamp;

pub fn local(app: &App, at: Timestamp) -> DateTime<FixedOffset> {
    at.with_timezone(&app.offset)
}

pub fn clock(app: &App, at: Timestamp) -> String {
    local(app, at).format("%H:%M").to_string()
}

pub fn day_and_time(app: &App, at: Timestamp) -> String {
    local(app, at).format("%d/%m %H:%M").to_string()
}

pub fn date_and_time(app: &App, at: Timestamp) -> String {
    local(app, at).format("%d/%m/%Y %H:%M").to_string()
}

/// `21/11 15:05`, with the year when it is not the current one (`21/11/2025 15:05`): a file's
/// history spans years, and a date without its year would pass for this year's.
pub fn short_date_and_time(app: &App, at: Timestamp) -> String {
    if local(app, at).year() == local(app, app.now).year() {
        day_and_time(app, at)
    } else {
        date_and_time(app, at)
    }
}

/// `mm:ss`, or `h:mm:ss` past an hour.
pub fn timer(elapsed: Duration) -> String {
    let seconds = elapsed.num_seconds().max(0);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m:02}:{s:02}") }
}

/// `1 h 05` or `12 min`.
pub fn length(elapsed: Duration) -> String {
    let minutes = elapsed.num_minutes().max(0);
    if minutes >= 60 { format!("{} h {:02}", minutes / 60, minutes % 60) } else { format!("{minutes} min") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers() {
        assert_eq!(timer(Duration::seconds(65)), "01:05");
        assert_eq!(timer(Duration::seconds(3725)), "1:02:05");
        assert_eq!(length(Duration::minutes(65)), "1 h 05");
        assert_eq!(length(Duration::minutes(12)), "12 min");
    }

    #[test]
    fn the_year_is_shown_only_when_it_is_not_this_one() {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 10, 0, 0).unwrap();
        let strings = crate::i18n::Strings::get(crate::i18n::Language::Fr);
        let paris = FixedOffset::east_opt(3600).unwrap();
        let app = App::new(crate::config::Config::default(), strings, Vec::new(), now, paris);
        assert_eq!(short_date_and_time(&app, now - Duration::hours(1)), "02/01 10:00");
        assert_eq!(short_date_and_time(&app, now - Duration::days(3)), "30/12/2025 11:00");
        // 23:30 UTC on 31 December is already the new year in local time.
        let new_year = chrono::Utc.with_ymd_and_hms(2025, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(short_date_and_time(&app, new_year), "01/01 00:30");
    }
}
