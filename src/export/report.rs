//! The yearly activity report ("rapport d'activité"): one self-contained HTML file — charts as
//! inline SVG drawn by `plotters`, the page laid out by a `minijinja` template
//! (`assets/report.html.j2`), no script, no link, print CSS for A4 — or the same figures as
//! JSON (`format: permanence-activity-report`, `version: 1`, `docs/export-format.md`).
//! Statistics only: the figures of `Store::statistics` for the year and the year before.

use std::collections::BTreeMap;

use anyhow::Result;
use minijinja::{Environment, context};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::Config;
use crate::domain::Timestamp;
use crate::domain::channel::Channels;
use crate::domain::statistics::{AgeGroup, GENDER_COLUMNS, LENGTH_BARS_MINUTES, Statistics, UNKNOWN};
use crate::i18n::Strings;
use crate::store::AuditHead;

pub const FORMAT: &str = "permanence-activity-report";
/// 2: medians within minute bins; the phone by hour (`phone_by_hour`); the coverage of the opening
/// hours as an object (`coverage`); age groups after the bands given now (issue 20).
pub const VERSION: u32 = 2;

const TEMPLATE: &str = include_str!("../../assets/report.html.j2");

/// A year's figures and the year before's, as the report shows them.
#[derive(Debug, Clone)]
pub struct Report {
    pub year: i32,
    pub current: Statistics,
    pub previous: Statistics,
    pub generated_at: Timestamp,
}

pub fn json(report: &Report, head: &AuditHead) -> Value {
    json!({
        "format": FORMAT,
        "version": VERSION,
        "year": report.year,
        "generated_at": report.generated_at,
        "zone": report.current.zone,
        "current": report.current,
        "previous": report.previous,
        "audit_head": head,
    })
}

/// One line of a table: a label, this year's value, last year's, and the change.
#[derive(Debug, Serialize)]
struct Row {
    label: String,
    current: String,
    previous: String,
    change: String,
}

fn row(label: &str, current: impl Into<f64> + Copy, previous: impl Into<f64> + Copy, s: &Strings) -> Row {
    let (now, before): (f64, f64) = (current.into(), previous.into());
    Row {
        label: label.to_owned(),
        current: number(now, s),
        previous: number(before, s),
        change: if before == 0.0 { "—".into() } else { percent((now - before) * 100.0 / before, s) },
    }
}

/// A count as French or English writes it: `12 345` (a narrow no-break space) or `12,345`.
pub fn number(value: f64, s: &Strings) -> String {
    let rounded = value.round() as i64;
    let digits = rounded.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(s.pick("\u{202f}", ","));
        }
        out.push(c);
    }
    if rounded < 0 { format!("-{out}") } else { out }
}

fn percent(value: f64, s: &Strings) -> String {
    let sign = if value > 0.0 { "+" } else { "" };
    format!("{sign}{:.0}{}", value, s.pick("\u{a0}%", "%"))
}

fn minutes(seconds: i64) -> f64 {
    (seconds as f64 / 60.0 * 10.0).round() / 10.0
}

/// Rows of a breakdown (`word → calls`), this year against the last, with each one's share.
fn breakdown(
    s: &Strings,
    kind: &str,
    current: &BTreeMap<String, u32>,
    previous: &BTreeMap<String, u32>,
) -> Vec<Row> {
    let total: u32 = current.values().sum();
    let mut words: Vec<&String> = current.keys().chain(previous.keys()).collect();
    words.sort();
    words.dedup();
    // The unknown last, the rest by this year's count.
    words.sort_by_key(|w| (w.as_str() == UNKNOWN, std::cmp::Reverse(current.get(*w).copied().unwrap_or(0))));
    words
        .into_iter()
        .map(|w| {
            let now = current.get(w).copied().unwrap_or(0);
            let mut row = row(s.figure_word(kind, w), now, previous.get(w).copied().unwrap_or(0), s);
            row.change = format!(
                "{} · {}",
                percent(if total == 0 { 0.0 } else { f64::from(now) * 100.0 / f64::from(total) }, s),
                row.change
            );
            row
        })
        .collect()
}

fn as_map(groups: Vec<(AgeGroup, u32)>) -> BTreeMap<String, u32> {
    groups.into_iter().map(|(g, n)| (g.as_str().to_owned(), n)).collect()
}

/// The report as one HTML page: hours and days in the config's zone, channels by its labels,
/// the phone's figures when a phone is linked or missed calls were recorded.
pub fn html(report: &Report, head: &AuditHead, s: &Strings, config: &Config) -> Result<String> {
    let r = &s.report;
    let zone = config.timezone;
    let (now, before) = (&report.current, &report.previous);
    let year = report.year.to_string();
    let previous_year = (report.year - 1).to_string();
    let days = |st: &Statistics| st.period.days() as f64;
    let prompts = |st: &Statistics| st.summary.prompts.iter().map(|p| p.count).sum::<u32>();
    let overview = vec![
        row(&r.calls, now.summary.calls, before.summary.calls, s),
        row(
            &r.calls_per_day,
            f64::from(now.summary.calls) / days(now),
            f64::from(before.summary.calls) / days(before),
            s,
        ),
        row(
            &r.listening_hours,
            (now.listening.seconds / 3600) as f64,
            (before.listening.seconds / 3600) as f64,
            s,
        ),
        row(&r.shifts, now.listening.shifts, before.listening.shifts, s),
        row(
            &r.median_length,
            minutes(now.lengths[0].median_seconds),
            minutes(before.lengths[0].median_seconds),
            s,
        ),
        row(&r.p90_length, minutes(now.lengths[0].p90_seconds), minutes(before.lengths[0].p90_seconds), s),
        row(&r.mean_length, minutes(now.lengths[0].mean_seconds), minutes(before.lengths[0].mean_seconds), s),
        row(&r.files_opened, now.summary.files.opened, before.summary.files.opened, s),
        row(&r.files_closed, now.summary.files.closed, before.summary.files.closed, s),
        row(&r.emergency_numbers_given, prompts(now), prompts(before), s),
    ];
    let by_type: Vec<Value> = now
        .lengths
        .iter()
        .map(|l| {
            let label = l.call_type.map_or(r.all_types.as_str(), |t| s.call_type(t));
            let last = before.lengths.iter().find(|p| p.call_type == l.call_type).map_or(0, |p| p.calls);
            json!({
                "label": label,
                "calls": number(f64::from(l.calls), s),
                "previous": number(f64::from(last), s),
                "median": minutes(l.median_seconds),
                "p90": minutes(l.p90_seconds),
            })
        })
        .collect();
    let themes: Vec<Value> = now
        .themes_by_count()
        .into_iter()
        .map(|(theme, total)| {
            let cells: Vec<String> =
                now.theme_by_gender(theme).iter().map(|&n| number(f64::from(n), s)).collect();
            json!({
                "theme": theme,
                "total": number(f64::from(total), s),
                "previous": number(f64::from(before.summary.by_theme.get(theme).copied().unwrap_or(0)), s),
                "genders": cells,
            })
        })
        .collect();
    let gender_names: Vec<&str> = GENDER_COLUMNS.iter().map(|g| s.figure_word("gender", g)).collect();
    let rud = [(&s.rud_risk, &now.summary.rud.risk), (&s.rud_urgency, &now.summary.rud.urgency), (&s.rud_danger, &now.summary.rud.danger)]
        .into_iter()
        .map(|(axis, c)| json!({"axis": axis, "low": c.low, "medium": c.medium, "high": c.high, "not_assessed": c.not_assessed}))
        .collect::<Vec<_>>();
    let prompt_rows: Vec<Value> = now
        .summary
        .prompts
        .iter()
        .map(|p| {
            json!({
                "number": p.number,
                "outcome": s.prompt_outcome_word(p.outcome.as_deref()),
                "count": number(f64::from(p.count), s),
            })
        })
        .collect();
    let cb = |st: &Statistics| st.callbacks.clone();
    let (c, p) = (cb(now), cb(before));
    let callbacks = vec![
        row(&r.callbacks_created, c.created, p.created, s),
        row(&r.callbacks_done, c.done, p.done, s),
        row(&r.callbacks_cancelled, c.cancelled, p.cancelled, s),
        row(&r.callbacks_pending, c.pending, p.pending, s),
        row(&r.callbacks_overdue, c.overdue, p.overdue, s),
        row(&r.callbacks_flagged, c.flagged, p.flagged, s),
        row(
            &r.first_attempt_median,
            c.first_attempt_median_minutes.unwrap_or(0) as f64,
            p.first_attempt_median_minutes.unwrap_or(0) as f64,
            s,
        ),
        row(
            &r.first_attempt_p90,
            c.first_attempt_p90_minutes.unwrap_or(0) as f64,
            p.first_attempt_p90_minutes.unwrap_or(0) as f64,
            s,
        ),
    ];
    let coverage = now.coverage.map_or(r.coverage_unknown.clone(), |c| {
        s.fill(
            &r.coverage_hours,
            &[
                ("percent", &percent(f64::from(c.percent), s)),
                ("covered", &number((c.covered_seconds / 3600) as f64, s)),
                ("opening", &number((c.opening_seconds / 3600) as f64, s)),
            ],
        )
    });
    let channels = channel_rows(now, before, s, &config.channels());
    let written = &now.summary.written;
    let written_note = (written.contacts > 0).then(|| {
        s.fill(
            &r.written_note,
            &[
                ("contacts", &number(f64::from(written.contacts), s)),
                ("hours", &number((written.total_seconds / 3600) as f64, s)),
                ("median", &minutes(written.median_seconds).to_string()),
            ],
        )
    });
    let phone_linked =
        config.phone.source.is_some() || now.summary.phone.missed + before.summary.phone.missed > 0;
    let phone = phone_linked.then(|| {
        let (p, q) = (&now.summary.phone, &before.summary.phone);
        let rate = |o: &crate::domain::phone::Offered| f64::from(o.answer_rate.unwrap_or(0));
        vec![
            row(&r.offered, p.offered, q.offered, s),
            row(&r.answered, p.answered, q.answered, s),
            row(&r.missed, p.missed, q.missed, s),
            row(&r.answer_rate, rate(p), rate(q), s),
        ]
    });
    let weekdays: Vec<&str> = r.weekdays.split(',').collect();
    let months: Vec<&str> = r.months.split(',').collect();
    let charts = context! {
        months => months_chart(now, before, &months, &year, &previous_year)?,
        heat => heat_chart(now, &weekdays)?,
        lengths => lengths_chart(now, before, &r.length_bars.split(',').collect::<Vec<_>>(), &year, &previous_year)?,
        phone => if phone_linked { Some(phone_chart(now, &r.answered, &r.missed)?) } else { None },
    };

    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)?;
    let fill = |template: &str, values: &[(&str, &str)]| s.fill(template, values);
    let page = env.get_template("report.html")?.render(context! {
        t => r,
        title => fill(&r.title, &[("year", &year)]),
        subtitle => fill(&r.subtitle, &[("year", &year), ("previous", &previous_year)]),
        generated => fill(&r.generated, &[("date", &zone.date_and_time(report.generated_at)), ("zone", &zone.to_string())]),
        year, previous_year,
        overview, by_type, themes, gender_names, rud, prompts => prompt_rows, callbacks, coverage,
        channels, written_note, phone,
        rud_levels => s.rud_columns(),
        ages => breakdown(s, "age_group", &as_map(now.age_groups()), &as_map(before.age_groups())),
        gender => breakdown(s, "gender", &now.profiles.gender, &before.profiles.gender),
        relation => breakdown(s, "relation", &now.profiles.relation, &before.profiles.relation),
        heat_note => fill(&r.heat_note, &[("max", &number(f64::from(now.busiest_hour()), s))]),
        methods_time => fill(&r.methods_time, &[("zone", &zone.to_string())]),
        audit => fill(&r.audit, &[("entry", &head.entry.to_string()), ("hash", &head.hash[..16.min(head.hash.len())])]),
        charts,
    })?;
    Ok(page)
}

/// Contacts by channel, this year against the last, with their hours (length, or time spent
/// on a written contact); the busiest channel first.
fn channel_rows(now: &Statistics, before: &Statistics, s: &Strings, channels: &Channels) -> Vec<Value> {
    let mut ids: Vec<&String> =
        now.summary.by_channel.keys().chain(before.summary.by_channel.keys()).collect();
    ids.sort();
    ids.dedup();
    let contacts = |st: &Statistics, id: &str| st.summary.by_channel.get(id).copied().unwrap_or_default();
    ids.sort_by_key(|id| std::cmp::Reverse(contacts(now, id).contacts));
    ids.into_iter()
        .map(|id| {
            let (this, last) = (contacts(now, id), contacts(before, id));
            let row = row(channels.label(id, s.is_english()), this.contacts, last.contacts, s);
            json!({
                "label": row.label,
                "current": row.current,
                "previous": row.previous,
                "change": row.change,
                "hours": number((this.seconds / 3600) as f64, s),
            })
        })
        .collect()
}

type Drawn = std::result::Result<(), Box<dyn std::error::Error>>;

fn svg(
    width: u32,
    height: u32,
    draw: impl FnOnce(DrawingArea<SVGBackend, plotters::coord::Shift>) -> Drawn,
) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw(root).map_err(|e| anyhow::anyhow!("drawing a chart: {e}"))?;
    }
    Ok(out)
}

const FONT: (&str, u32) = ("sans-serif", 13);

/// Bars per month: this year filled black, the year before outlined, side by side.
fn months_chart(
    now: &Statistics,
    before: &Statistics,
    months: &[&str],
    year: &str,
    previous: &str,
) -> Result<String> {
    let values = |st: &Statistics| -> Vec<u32> {
        let mut per_month = vec![0u32; 12];
        for (start, n) in st.over_time.starts.iter().zip(&st.over_time.current) {
            use chrono::Datelike;
            per_month[start.month0() as usize] += n;
        }
        per_month
    };
    // A year's report is by month; `over_time` of a whole year is monthly.
    let labels = &months[..months.len().min(12)];
    paired_bars(280, &values(now), &values(before), labels, (year, previous), SeriesLabelPosition::UpperRight)
}

/// One bar per label for this year (filled black) and one for the year before (outlined), side
/// by side, with the labels under them: reads printed in black and white.
fn paired_bars(
    height: u32,
    current: &[u32],
    last: &[u32],
    labels: &[&str],
    (year, previous): (&str, &str),
    legend: SeriesLabelPosition,
) -> Result<String> {
    let max = current.iter().chain(last).copied().max().unwrap_or(0).max(1);
    let n = current.len() as f64;
    svg(720, height, |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..n, 0u32..(max + max / 10))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .x_label_formatter(&|_| String::new())
            .label_style(FONT)
            .draw()?;
        let filled = BLACK.filled();
        let outlined = ShapeStyle { color: BLACK.into(), filled: false, stroke_width: 1 };
        for (values, left, style, name) in [(current, 0.12, filled, year), (last, 0.5, outlined, previous)] {
            chart
                .draw_series(values.iter().enumerate().map(move |(i, v)| {
                    Rectangle::new([(i as f64 + left, 0), (i as f64 + left + 0.38, *v)], style)
                }))?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], style));
        }
        chart
            .configure_series_labels()
            .position(legend)
            .label_font(FONT)
            .background_style(WHITE)
            .border_style(BLACK)
            .draw()?;
        for (i, name) in labels.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0));
            root.draw(&Text::new(
                (*name).to_owned(),
                (x, y + 6),
                TextStyle::from(FONT.into_font()).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        root.present()?;
        Ok(())
    })
}

/// Weekday × hour, the darker the busier (grey levels: reads printed in black and white).
fn heat_chart(now: &Statistics, weekdays: &[&str]) -> Result<String> {
    let max = now.busiest_hour().max(1);
    svg(720, 250, |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(24)
            .y_label_area_size(44)
            .build_cartesian_2d(0f64..24f64, 0f64..7f64)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|_| String::new())
            .draw()?;
        for (day, hours) in now.by_weekday_hour.iter().enumerate() {
            // Monday on top.
            let y = 6.0 - day as f64;
            for (hour, &n) in hours.iter().enumerate() {
                let shade = 255 - (f64::from(n) / f64::from(max) * 215.0).round() as u8;
                let x = hour as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.04, y + 0.06), (x + 0.96, y + 0.94)],
                    RGBColor(shade, shade, shade).filled(),
                )))?;
            }
            let (px, py) = chart.backend_coord(&(0.0, y + 0.5));
            root.draw(&Text::new(
                weekdays.get(day).copied().unwrap_or("").to_owned(),
                (px - 6, py),
                TextStyle::from(FONT.into_font()).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
        for hour in (0..24).step_by(2) {
            let (px, py) = chart.backend_coord(&(hour as f64 + 0.5, 0.0));
            root.draw(&Text::new(
                format!("{hour} h"),
                (px, py + 6),
                TextStyle::from(FONT.into_font()).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        root.present()?;
        Ok(())
    })
}

/// Phone calls answered and missed, by local hour.
fn phone_chart(now: &Statistics, answered: &str, missed: &str) -> Result<String> {
    let by = |f: fn(&crate::domain::phone::Offered) -> u32| -> Vec<u32> {
        now.phone_by_hour.iter().map(f).collect()
    };
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let labels: Vec<&str> = hours.iter().map(String::as_str).collect();
    // The evening is busiest: the legend on the left.
    paired_bars(
        260,
        &by(|o| o.answered),
        &by(|o| o.missed),
        &labels,
        (answered, missed),
        SeriesLabelPosition::UpperLeft,
    )
}

/// Calls per length bar, this year and the year before.
fn lengths_chart(
    now: &Statistics,
    before: &Statistics,
    labels: &[&str],
    year: &str,
    previous: &str,
) -> Result<String> {
    debug_assert_eq!(labels.len(), LENGTH_BARS_MINUTES.len());
    paired_bars(
        260,
        &now.length_bars,
        &before.length_bars,
        labels,
        (year, previous),
        SeriesLabelPosition::UpperRight,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::statistics::{RawCounts, StatsPeriod};
    use crate::i18n::Language;

    fn report() -> (Report, AuditHead) {
        let config = Config::default();
        let figures = |year| {
            Statistics::build(
                &config.statistics_of(StatsPeriod::year(year), chrono::Utc::now()),
                RawCounts::default(),
            )
        };
        let head = AuditHead {
            entry: 12,
            hash: "ab".repeat(32),
            recorded: true,
            signed_by: None,
            signature: None,
            signing_keys: Vec::new(),
        };
        (
            Report {
                year: 2026,
                current: figures(2026),
                previous: figures(2025),
                generated_at: chrono::Utc::now(),
            },
            head,
        )
    }

    #[test]
    fn french_by_default_english_with_the_config_language() {
        let (report, head) = report();
        let config = Config::default();
        let fr = html(&report, &head, Strings::get(Language::Fr), &config).unwrap();
        assert!(fr.contains("<html lang=\"fr\">") && fr.contains("activité 2026") && fr.contains("Méthode"));
        let en = html(&report, &head, Strings::get(Language::En), &config).unwrap();
        assert!(
            en.contains("<html lang=\"en\">")
                && en.contains("Activity report 2026")
                && en.contains("Methods")
        );
        assert!(!en.contains("Rapport"), "no French left in the English report");
        // Charts are there even for an empty year, and nothing is fetched.
        assert_eq!(en.matches("<svg").count(), 3);
        assert!(!en.contains("<script"));
    }

    #[test]
    fn counts_read_as_each_language_writes_them() {
        let (fr, en) = (Strings::get(Language::Fr), Strings::get(Language::En));
        assert_eq!(number(1234567.0, fr), "1\u{202f}234\u{202f}567");
        assert_eq!(number(1234567.0, en), "1,234,567");
        assert_eq!(number(999.0, fr), "999");
        assert_eq!(percent(12.4, fr), "+12\u{a0}%");
        assert_eq!(percent(-3.0, en), "-3%");
    }
}
