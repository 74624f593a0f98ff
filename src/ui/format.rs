//! Times and durations as a listener reads them, in local time.

use chrono::{DateTime, Duration, FixedOffset};

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
}
