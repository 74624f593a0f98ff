//! Times and durations as a listener reads them: instants in the configured zone
//! (`local_time`), converted at each frame, compared with the app's `now`.

use chrono::Duration;

use crate::app::App;
use crate::domain::Timestamp;

/// `15:05`.
pub fn clock(app: &App, at: Timestamp) -> String {
    app.zone().clock(at)
}

/// `23/11/2026 15:05`.
pub fn date_and_time(app: &App, at: Timestamp) -> String {
    app.zone().date_and_time(at)
}

/// `21/11 15:05`, with the year when it is not the current one (`21/11/2025 15:05`).
pub fn short_date_and_time(app: &App, at: Timestamp) -> String {
    app.zone().short_date_and_time(at, app.now)
}

/// `15:05` today, else the date too.
pub fn time_or_date(app: &App, at: Timestamp) -> String {
    app.zone().time_or_date(at, app.now)
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
    use chrono::TimeZone;

    #[test]
    fn timers() {
        assert_eq!(timer(Duration::seconds(65)), "01:05");
        assert_eq!(timer(Duration::seconds(3725)), "1:02:05");
        assert_eq!(length(Duration::minutes(65)), "1 h 05");
        assert_eq!(length(Duration::minutes(12)), "12 min");
    }

    fn app(timezone: &str, now: Timestamp) -> App {
        let config = crate::config::Config { timezone: timezone.parse().unwrap(), ..Default::default() };
        let strings = crate::i18n::Strings::get(crate::i18n::Language::Fr);
        App::new(config, strings, Vec::new(), now)
    }

    #[test]
    fn times_are_read_in_the_configured_zone_with_the_year_when_not_this_one() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 10, 0, 0).unwrap();
        let paris = app("Europe/Paris", now);
        assert_eq!(short_date_and_time(&paris, now - Duration::hours(1)), "02/01 10:00");
        assert_eq!(short_date_and_time(&paris, now - Duration::days(3)), "30/12/2025 11:00");
        let noumea = app("Pacific/Noumea", now);
        assert_eq!(clock(&noumea, now), "21:00");
        assert_eq!(time_or_date(&noumea, now - Duration::hours(12)), "09:00");
        assert_eq!(time_or_date(&noumea, now - Duration::hours(24)), "01/01 21:00");
    }

    #[test]
    fn the_clock_moves_with_a_change_of_time_in_a_running_app() {
        let mut app = app("Europe/Paris", chrono::Utc.with_ymd_and_hms(2026, 10, 25, 0, 59, 0).unwrap());
        assert_eq!(clock(&app, app.now), "02:59");
        app.tick(app.now + Duration::minutes(1));
        assert_eq!(clock(&app, app.now), "02:00");
    }
}
