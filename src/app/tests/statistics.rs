//! The statistics screen: one key opens it (supervisors), a period change asks the store for
//! figures as an effect and keeps the screen on the figures it has until they come.

use super::*;
use crate::domain::statistics::{RawCounts, Statistics, StatsPeriod};

fn figures(period: StatsPeriod) -> Box<Statistics> {
    let request = crate::config::Config::default().statistics_of(period, now());
    Box::new(Statistics::build(&request, RawCounts::default()))
}

fn statistics_view(app: &App) -> &popup::StatisticsView {
    match top(app) {
        Some(Popup::Statistics(view)) => view,
        other => panic!("not the statistics screen: {other:?}"),
    }
}

#[test]
fn a_listener_is_refused_the_statistics_screen() {
    let mut app = unlocked_app();
    assert!(!app.offers(Action::Statistics));
    assert!(key(&mut app, KeyCode::F(6)).is_empty());
    assert!(top(&app).is_none());
}

#[test]
fn the_period_changes_at_once_and_its_figures_come_as_a_reply() {
    let mut app = unlocked_app();
    app.session.as_mut().unwrap().actor.role = Role::Supervisor;
    assert!(app.offers(Action::Statistics));
    let effects = key(&mut app, KeyCode::F(6));
    // now() is in November 2026 (Paris).
    let november = StatsPeriod::month_of(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
    assert!(
        matches!(effects.as_slice(), [Effect::LoadStatistics { period, .. }] if *period == november),
        "{effects:?}"
    );
    assert_eq!(app.key_route(), KeyRoute::Popup(&[Context::Statistics, Context::Popup]));
    let asked = statistics_view(&app).seq;
    app.apply(Reply::Statistics { seq: asked, figures: figures(november) });
    assert!(!statistics_view(&app).loading);

    // Right: last month. The key returns at once with the request; the figures shown stay
    // November's until October's come, and a late answer for another period is dropped.
    let effects = key(&mut app, KeyCode::Right);
    let october = StatsPeriod::month_of(chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
    assert!(
        matches!(effects.as_slice(), [Effect::LoadStatistics { period, .. }] if *period == october),
        "{effects:?}"
    );
    assert!(statistics_view(&app).loading);
    app.apply(Reply::Statistics { seq: asked, figures: figures(november) });
    assert_eq!(statistics_view(&app).figures.as_ref().unwrap().period, november);
    assert!(statistics_view(&app).loading);
    // A failure of the older request neither ends the wait nor is said.
    app.apply(Reply::StatisticsFailed { seq: asked, message: "late".into() });
    assert!(statistics_view(&app).loading && statistics_view(&app).error.is_none());
    let asked = statistics_view(&app).seq;
    app.apply(Reply::Statistics { seq: asked, figures: figures(october) });
    assert_eq!(statistics_view(&app).figures.as_ref().unwrap().period, october);
    assert!(!statistics_view(&app).loading);
    let effects = key(&mut app, KeyCode::Right);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadStatistics { period, .. }] if *period == StatsPeriod::year(2026))
    );
    let effects = key(&mut app, KeyCode::Right);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadStatistics { period, .. }] if *period == StatsPeriod::year(2025))
    );

    // Any dates: typed, refused with a reason, then accepted.
    key(&mut app, KeyCode::Char('d'));
    type_text(&mut app, "31/03/2026 01/03/2026");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(statistics_view(&app).error.is_some());
    for _ in 0.."31/03/2026 01/03/2026".len() {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "01/03/2026 31/03/2026");
    let effects = key(&mut app, KeyCode::Enter);
    let march = StatsPeriod::month_of(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    assert!(
        matches!(effects.as_slice(), [Effect::LoadStatistics { period, .. }] if *period == march),
        "{effects:?}"
    );
    assert_eq!(statistics_view(&app).preset, popup::Preset::Dates);

    // Pages, then Esc closes.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::PageDown);
    assert_eq!(statistics_view(&app).page, 2);
    key(&mut app, KeyCode::Esc);
    assert!(top(&app).is_none());
}

/// A statistics reply reaches only the statistics screen that asked: its failure is said there;
/// once the screen is closed a late one is dropped, neither warned nor handed to the popup on
/// top (the end-of-shift screen took a failure as its own).
#[test]
fn a_statistics_failure_reaches_only_the_screen_that_asked() {
    let mut app = unlocked_app();
    app.session.as_mut().unwrap().actor.role = Role::Supervisor;
    key(&mut app, KeyCode::F(6));
    let asked = statistics_view(&app).seq;
    app.apply(Reply::StatisticsFailed { seq: asked, message: "statistics being recounted".into() });
    assert!(!statistics_view(&app).loading);
    assert_eq!(statistics_view(&app).error.as_deref(), Some("statistics being recounted"));
    let status_before = format!("{:?}", app.status);
    key(&mut app, KeyCode::Esc);
    assert!(top(&app).is_none());
    app.apply(Reply::StatisticsFailed { seq: asked, message: "late".into() });
    app.apply(Reply::Statistics { seq: asked, figures: figures(StatsPeriod::year(2026)) });
    assert!(top(&app).is_none());
    assert_eq!(format!("{:?}", app.status), status_before, "nothing warned");
}
