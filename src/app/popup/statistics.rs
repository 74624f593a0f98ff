//! The statistics screen (supervisors): a period — this month, last month, this year, last
//! year or any dates typed — and its figures, asked of the store as an effect: the screen says
//! it is loading and keeps the figures shown until the new ones come (the terminal reads them
//! on a thread of its own, so the keys keep working meanwhile).

use chrono::NaiveDate;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::{Behaviour, Ctx, Outcome, move_in, step, type_into};
use crate::app::effect::{Effect, Reply};
use crate::domain::Timestamp;
use crate::domain::due::parse_date;
use crate::domain::statistics::{Statistics, StatsPeriod};
use crate::keymap::{Action, Context};
use crate::local_time::Zone;

/// The periods the choice keys step through; `Dates` is reached by typing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    ThisMonth,
    LastMonth,
    ThisYear,
    LastYear,
    Dates,
}

const PRESETS: [Preset; 4] = [Preset::ThisMonth, Preset::LastMonth, Preset::ThisYear, Preset::LastYear];

/// How many pages the screen's sections make at most (the drawing shows from `page`).
pub const STATISTICS_PAGES: usize = 9;

#[derive(Debug, Clone)]
pub struct StatisticsView {
    pub preset: Preset,
    pub period: StatsPeriod,
    /// The figures of `period`, or of the one before while the new ones are read.
    pub figures: Option<Box<Statistics>>,
    pub loading: bool,
    /// The request last made: a reply to any other is dropped.
    pub seq: u64,
    /// The first section shown.
    pub page: usize,
    /// The dates being typed ("01/03/2026 31/03/2026"), and why the last ones were refused.
    pub typing: Option<String>,
    pub error: Option<String>,
}

impl StatisticsView {
    /// This month, its figures asked for.
    pub fn open(now: Timestamp, zone: Zone) -> (StatisticsView, Effect) {
        let period = preset_period(Preset::ThisMonth, zone.today(now));
        let seq = next_seq();
        let view = StatisticsView {
            preset: Preset::ThisMonth,
            period,
            figures: None,
            loading: true,
            seq,
            page: 0,
            typing: None,
            error: None,
        };
        (view, Effect::LoadStatistics { period, seq })
    }

    fn show(&mut self, preset: Preset, period: StatsPeriod) -> Outcome {
        self.preset = preset;
        self.period = period;
        self.loading = true;
        self.error = None;
        self.seq = next_seq();
        Outcome::effect(Effect::LoadStatistics { period, seq: self.seq })
    }
}

/// A number no other statistics request of this process has: a reply meant for a closed
/// screen, or for an older request of this one, never matches the screen's.
fn next_seq() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

pub fn preset_period(preset: Preset, today: NaiveDate) -> StatsPeriod {
    use chrono::Datelike;
    match preset {
        Preset::ThisMonth | Preset::Dates => StatsPeriod::month_of(today),
        Preset::LastMonth => StatsPeriod::previous_month(today),
        Preset::ThisYear => StatsPeriod::year(today.year()),
        Preset::LastYear => StatsPeriod::year(today.year() - 1),
    }
}

/// "first last" (or one day alone), each day as a due time's is typed (`domain::due`:
/// `31/03/2026`, `2026-03-31`, `31/03` this year); `None` if not two days in order.
pub fn parse_period(text: &str, today: NaiveDate) -> Option<StatsPeriod> {
    let day = |text: &str| parse_date(text, today);
    let days: Vec<&str> = text.split_whitespace().filter(|w| *w != "-" && *w != "à" && *w != "to").collect();
    match days.as_slice() {
        [one] => day(one).map(|d| StatsPeriod { first: d, last: d }),
        [first, last] => StatsPeriod::new(day(first)?, day(last)?),
        _ => None,
    }
}

impl Behaviour for StatisticsView {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        if let Some(text) = self.typing.as_mut() {
            return match (cx.action(key), key.code) {
                (Some(Action::Cancel), _) => {
                    self.typing = None;
                    Outcome::stay()
                }
                (Some(Action::Confirm), _) => match parse_period(text, cx.zone().today(cx.now)) {
                    Some(period) => {
                        self.typing = None;
                        self.show(Preset::Dates, period)
                    }
                    None => {
                        self.error = Some(cx.strings.statistics_dates_refused.clone());
                        Outcome::stay()
                    }
                },
                (_, KeyCode::Char(_) | KeyCode::Backspace) => {
                    type_into(text, key);
                    self.error = None;
                    Outcome::stay()
                }
                _ => Outcome::stay(),
            };
        }
        let action = cx.keymap.action(Context::Statistics, key).or_else(|| cx.action(key));
        match action {
            Some(action @ (Action::ChoicePrevious | Action::ChoiceNext)) => {
                let at = PRESETS.iter().position(|p| *p == self.preset).unwrap_or(0);
                let preset = PRESETS[step(at, PRESETS.len(), action == Action::ChoiceNext)];
                let period = preset_period(preset, cx.zone().today(cx.now));
                return self.show(preset, period);
            }
            Some(action @ (Action::SelectPrevious | Action::SelectNext)) => {
                self.page = move_in(self.page, STATISTICS_PAGES, action == Action::SelectNext);
            }
            Some(Action::StatisticsDates) => {
                self.typing = Some(String::new());
                self.error = None;
            }
            Some(Action::Cancel | Action::Close) => return Outcome::close(),
            _ => {}
        }
        Outcome::stay()
    }

    /// Only the reply to the request made last is taken (an older answer is dropped).
    fn on_reply(&mut self, reply: &Reply, _cx: &mut Ctx) -> Outcome {
        match reply {
            Reply::Statistics { seq, figures } if *seq == self.seq => {
                self.figures = Some(figures.clone());
                self.loading = false;
            }
            Reply::StatisticsFailed { seq, message } if *seq == self.seq => {
                self.error = Some(message.clone());
                self.loading = false;
            }
            _ => {}
        }
        Outcome::stay()
    }

    fn paste(&mut self, text: &str) {
        if let Some(typing) = self.typing.as_mut() {
            typing.extend(text.chars().filter(|c| !c.is_control()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn typed_periods() {
        let today = day(2026, 11, 24);
        let period = |text| parse_period(text, today);
        assert_eq!(period("01/03/2026 31/03/2026"), StatsPeriod::new(day(2026, 3, 1), day(2026, 3, 31)));
        assert_eq!(period("2026-01-01 - 2026-06-30"), StatsPeriod::new(day(2026, 1, 1), day(2026, 6, 30)));
        assert_eq!(period("14/07/2026"), StatsPeriod::new(day(2026, 7, 14), day(2026, 7, 14)));
        // As a due time is typed: this year's day, a two-digit year.
        assert_eq!(period("01/03 31/03"), StatsPeriod::new(day(2026, 3, 1), day(2026, 3, 31)));
        assert_eq!(period("01/01/25 31/12/25"), Some(StatsPeriod::year(2025)));
        assert_eq!(period("31/03/2026 01/03/2026"), None);
        assert_eq!(period("mars"), None);
        assert_eq!(period(""), None);
    }

    #[test]
    fn presets() {
        let today = day(2026, 1, 15);
        assert_eq!(preset_period(Preset::LastMonth, today), StatsPeriod::month_of(day(2025, 12, 1)));
        assert_eq!(preset_period(Preset::LastYear, today), StatsPeriod::year(2025));
        assert_eq!(preset_period(Preset::ThisYear, today), StatsPeriod::year(2026));
    }
}
