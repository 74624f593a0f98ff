//! The statistics screen, over the whole screen: the period, then its sections (overview
//! with calls over time and the coverage of the opening hours, the weekday × hour heat map,
//! contacts by channel, the phone by hour, lengths, themes by gender, who calls, RUD and
//! emergency numbers, callbacks), as many as fit from the page chosen — one column at 80
//! columns, two from 120. Every chart reads without colour: bars are blocks, the heat map's
//! cells are patterns (· ░ ▒ ▓ █), the year before is its own labelled chart.

use chrono::Datelike;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, BorderType, Clear, Paragraph, Sparkline, Wrap};

use super::{Draw, cursor};
use crate::app::popup::{Preset, STATISTICS_PAGES, StatisticsView};
use crate::app::{App, Session};
use crate::domain::phone::Offered;
use crate::domain::statistics::{GENDER_COLUMNS, Granularity, LENGTH_BARS_MINUTES, Statistics, UNKNOWN};
use crate::domain::summary::ChannelCounts;
use crate::i18n::Strings;
use crate::ui::format::length;
use crate::ui::keys::fill;
use crate::ui::theme::Theme;

impl Draw for StatisticsView {
    fn draw(&self, frame: &mut Frame, app: &App, session: &Session, area: Rect, theme: &Theme) {
        draw(frame, app, self, super::below_message(app, session, area, theme), theme)
    }
}

type DrawSection<'a> = Box<dyn Fn(&mut Frame, Rect) + 'a>;

/// One section: its height at a width, and how it draws itself there.
struct Section<'a> {
    height: u16,
    draw: DrawSection<'a>,
}

fn period_label(s: &Strings, view: &StatisticsView) -> String {
    let dates = s.fill(
        &s.statistics_dates,
        &[
            ("first", &view.period.first.format("%d/%m/%Y").to_string()),
            ("last", &view.period.last.format("%d/%m/%Y").to_string()),
        ],
    );
    let preset = match view.preset {
        Preset::ThisMonth => &s.statistics_this_month,
        Preset::LastMonth => &s.statistics_last_month,
        Preset::ThisYear => &s.statistics_this_year,
        Preset::LastYear => &s.statistics_last_year,
        Preset::Dates => return dates,
    };
    format!("{preset} ({dates})")
}

fn draw(frame: &mut Frame, app: &App, view: &StatisticsView, area: Rect, theme: &Theme) {
    let s = app.strings;
    let area = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
    frame.render_widget(Clear, area);
    let page = s.fill(
        &s.statistics_page,
        &[("page", &(view.page + 1).to_string()), ("pages", &STATISTICS_PAGES.to_string())],
    );
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {} ", s.fill(&s.statistics_title, &[("period", &period_label(s, view))])),
            theme.title(),
        ))
        .title_bottom(Span::styled(format!(" {} · {page} ", fill(app, &s.statistics_hint)), theme.muted()))
        .border_type(BorderType::Double);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 3 {
        return;
    }
    // The first line: the dates being typed, or the state of the figures.
    let first = match (&view.typing, &view.error, view.loading) {
        (Some(text), error, _) => {
            let mut spans = vec![Span::styled(fill(app, &s.statistics_dates_prompt), theme.label())];
            spans.push(Span::raw(text.clone()));
            spans.push(cursor(theme));
            if let Some(error) = error {
                spans.push(Span::styled(format!("  ✗ {error}"), theme.danger()));
            }
            Line::from(spans)
        }
        (None, Some(error), _) => Line::from(Span::styled(format!("✗ {error}"), theme.danger())),
        (None, None, true) => Line::from(Span::styled(s.statistics_loading.clone(), theme.muted())),
        (None, None, false) => Line::from(""),
    };
    frame.render_widget(Paragraph::new(first), Rect { height: 1, ..inner });
    let body = Rect { y: inner.y + 1, height: inner.height - 1, ..inner };
    let Some(stats) = view.figures.as_deref() else { return };
    if stats.summary.calls == 0 {
        frame.render_widget(Paragraph::new(Span::styled(s.statistics_none.clone(), theme.muted())), body);
        return;
    }
    let columns: u16 = if body.width >= 120 { 2 } else { 1 };
    let column_width = (body.width - (columns - 1) * 2) / columns;
    let sections = sections(app, stats, column_width, theme);
    let mut column = 0;
    let mut y = body.y;
    for section in sections.into_iter().skip(view.page) {
        let left = body.y + body.height - y;
        if section.height > left && y > body.y {
            column += 1;
            y = body.y;
            if column == columns {
                break;
            }
        }
        let left = body.y + body.height - y;
        let x = body.x + column * (column_width + 2);
        let rect = Rect { x, y, width: column_width, height: section.height.min(left) };
        (section.draw)(frame, rect);
        y += rect.height + 1;
        if y >= body.y + body.height {
            column += 1;
            y = body.y;
            if column == columns {
                break;
            }
        }
    }
}

/// A section made of lines only.
fn lines_section<'a>(lines: Vec<Line<'a>>, width: u16) -> Section<'a> {
    Section {
        height: crate::ui::wrapped_height(&lines, width),
        draw: Box::new(move |frame, rect| {
            frame.render_widget(Paragraph::new(lines.clone()).wrap(Wrap { trim: false }), rect)
        }),
    }
}

fn title<'a>(text: &str, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(text.to_owned(), theme.label()))
}

/// A bar of `width` cells at most for `value` out of `max`, in blocks (no colour needed).
fn bar(value: u32, max: u32, width: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let cells = (u64::from(value) * width as u64).div_ceil(u64::from(max)) as usize;
    "█".repeat(cells.min(width))
}

fn change(s: &Strings, now: u32, before: u32) -> String {
    if before == 0 {
        return "—".into();
    }
    let percent = (f64::from(now) - f64::from(before)) * 100.0 / f64::from(before);
    let text = format!("{percent:+.0} %");
    if s.is_english() { text.replace(" %", "%") } else { text }
}

fn percent(s: &Strings, value: u32) -> String {
    format!("{value}{}", s.pick(" %", "%"))
}

fn minutes(seconds: i64) -> String {
    length(chrono::Duration::seconds(seconds + 30))
}

fn sections<'a>(app: &'a App, stats: &'a Statistics, width: u16, theme: &'a Theme) -> Vec<Section<'a>> {
    let s = app.strings;
    vec![
        overview(s, stats, theme),
        heat_map(s, stats, width, theme),
        channels(app, stats, width, theme),
        phone(app, stats, width, theme),
        lengths(s, stats, width, theme),
        themes(s, stats, width, theme),
        profiles(s, stats, width, theme),
        rud(s, stats, width, theme),
        callbacks(s, stats, width, theme),
    ]
}

fn overview<'a>(s: &'a Strings, stats: &'a Statistics, theme: &'a Theme) -> Section<'a> {
    let calls = stats.summary.calls;
    let all = &stats.lengths[0];
    let hours = stats.listening.seconds / 3600;
    let coverage = stats.coverage.map_or(s.statistics_coverage_unknown.clone(), |c| {
        s.fill(
            &s.statistics_coverage_hours,
            &[
                ("percent", &percent(s, c.percent)),
                ("covered", &(c.covered_seconds / 3600).to_string()),
                ("opening", &(c.opening_seconds / 3600).to_string()),
            ],
        )
    });
    let lines = vec![
        title(&s.statistics_overview, theme),
        Line::from(s.fill(
            &s.statistics_calls,
            &[
                ("calls", &calls.to_string()),
                ("previous", &stats.previous_calls.to_string()),
                ("change", &change(s, calls, stats.previous_calls)),
            ],
        )),
        Line::from(s.fill(
            &s.statistics_listening,
            &[("hours", &hours.to_string()), ("shifts", &stats.listening.shifts.to_string())],
        )),
        Line::from(s.fill(&s.statistics_coverage, &[("coverage", &coverage)])),
        Line::from(s.fill(
            &s.statistics_lengths_line,
            &[
                ("median", &minutes(all.median_seconds)),
                ("p90", &minutes(all.p90_seconds)),
                ("mean", &minutes(all.mean_seconds)),
            ],
        )),
        title(
            match stats.over_time.granularity {
                Granularity::Day => &s.statistics_by_day,
                Granularity::Week => &s.statistics_by_week,
                Granularity::Month => &s.statistics_by_month,
            },
            theme,
        ),
    ];
    let head = lines.len() as u16;
    let chart = if stats.over_time.granularity == Granularity::Day { 2 } else { 4 };
    let year = stats.period.first.year();
    Section {
        height: head + 2 * chart,
        draw: Box::new(move |frame, rect| {
            frame
                .render_widget(Paragraph::new(lines.clone()), Rect { height: head.min(rect.height), ..rect });
            let series = [(year, &stats.over_time.current), (year - 1, &stats.over_time.previous)];
            let max = series.iter().flat_map(|(_, v)| v.iter()).copied().max().unwrap_or(0);
            for (i, (year, values)) in series.into_iter().enumerate() {
                let y = rect.y + head + i as u16 * chart;
                if y + chart > rect.y + rect.height {
                    break;
                }
                let label = Rect { x: rect.x, y, width: 5, height: 1 };
                frame.render_widget(Paragraph::new(Span::styled(year.to_string(), theme.label())), label);
                let area = Rect { x: rect.x + 5, y, width: rect.width.saturating_sub(5), height: chart };
                // A day is as many columns as the width allows, so a month fills the line.
                let repeat = (area.width as usize / values.len().max(1)).max(1);
                let data: Vec<u64> =
                    values.iter().flat_map(|&v| std::iter::repeat_n(u64::from(v), repeat)).collect();
                if stats.over_time.granularity == Granularity::Day {
                    let sparkline = Sparkline::default().data(&data).max(u64::from(max));
                    frame.render_widget(sparkline, area);
                } else {
                    let bar_width =
                        ((area.width as usize / values.len().max(1)).saturating_sub(1)).clamp(1, 6);
                    let months: Vec<&str> = s.statistics_months.split(' ').collect();
                    let bars: Vec<Bar> = values
                        .iter()
                        .zip(&stats.over_time.starts)
                        .map(|(&v, start)| {
                            let label = match stats.over_time.granularity {
                                Granularity::Month => {
                                    months.get(start.month0() as usize).copied().unwrap_or("")
                                }
                                _ => "",
                            };
                            Bar::default()
                                .value(u64::from(v))
                                .label(Line::from(label.to_owned()))
                                .text_value("")
                        })
                        .collect();
                    let chart = BarChart::default()
                        .data(BarGroup::default().bars(&bars))
                        .bar_width(bar_width as u16)
                        .bar_gap(1)
                        .max(u64::from(max));
                    frame.render_widget(chart, area);
                }
            }
        }),
    }
}

/// The heat map's pattern for `value` out of `max`: readable in any terminal, colour or not.
pub fn heat_cell(value: u32, max: u32) -> &'static str {
    match (value, max) {
        (0, _) | (_, 0) => "·",
        (v, m) if v >= m => "█",
        (v, m) if v * 3 <= m => "░",
        (v, m) if v * 3 <= m * 2 => "▒",
        _ => "▓",
    }
}

fn heat_map<'a>(s: &'a Strings, stats: &'a Statistics, width: u16, theme: &'a Theme) -> Section<'a> {
    let cell = ((width.saturating_sub(5)) / 24).clamp(2, 4) as usize;
    let max = stats.busiest_hour();
    let mut lines = vec![title(&s.statistics_heat, theme)];
    let hours: String = (0..24).map(|h| format!("{h:<cell$}")).collect();
    lines.push(Line::from(Span::styled(format!("     {hours}"), theme.muted())));
    for (day, name) in s.statistics_weekdays.split(' ').enumerate().take(7) {
        let cells: String =
            stats.by_weekday_hour[day].iter().map(|&v| heat_cell(v, max).repeat(cell - 1) + " ").collect();
        lines.push(Line::from(vec![Span::styled(format!("{name:<5}"), theme.label()), Span::raw(cells)]));
    }
    lines.push(Line::from(Span::styled(
        s.fill(&s.statistics_heat_legend, &[("max", &max.to_string())]),
        theme.muted(),
    )));
    lines_section(lines, width)
}

fn lengths<'a>(s: &'a Strings, stats: &'a Statistics, width: u16, theme: &'a Theme) -> Section<'a> {
    let mut lines = vec![
        title(&s.statistics_lengths, theme),
        Line::from(Span::styled(s.statistics_lengths_header.clone(), theme.muted())),
    ];
    for figures in &stats.lengths {
        let name = figures.call_type.map_or(s.statistics_all_types.as_str(), |t| s.call_type(t));
        lines.push(Line::from(format!(
            "{:<20} {:>7}  {:>7}  {:>7}",
            name,
            figures.calls,
            minutes(figures.median_seconds),
            minutes(figures.p90_seconds)
        )));
    }
    let head = lines.len() as u16;
    let labels: Vec<String> = s.statistics_length_bars.split(',').map(str::to_owned).collect();
    debug_assert_eq!(labels.len(), LENGTH_BARS_MINUTES.len());
    Section {
        height: head + 4,
        draw: Box::new(move |frame, rect| {
            frame
                .render_widget(Paragraph::new(lines.clone()), Rect { height: head.min(rect.height), ..rect });
            if rect.height < head + 4 {
                return;
            }
            let bars: Vec<Bar> = stats
                .length_bars
                .iter()
                .zip(&labels)
                .map(|(&v, label)| Bar::default().value(u64::from(v)).label(Line::from(label.clone())))
                .collect();
            let bar_width = ((width as usize / 6).saturating_sub(1)).clamp(5, 12) as u16;
            let chart = BarChart::default()
                .data(BarGroup::default().bars(&bars))
                .bar_width(bar_width)
                .bar_gap(1)
                .value_style(theme.selected());
            frame.render_widget(chart, Rect { y: rect.y + head, height: 4, ..rect });
        }),
    }
}

fn themes<'a>(s: &'a Strings, stats: &'a Statistics, width: u16, theme: &'a Theme) -> Section<'a> {
    let mut lines = vec![title(&s.statistics_themes, theme)];
    let header: String =
        GENDER_COLUMNS.iter().map(|g| format!("{:>9}", cut(s.figure_word("gender", g), 8))).collect();
    lines.push(Line::from(Span::styled(format!("{:<22}{:>6}{header}", "", "Σ"), theme.muted())));
    let rows = stats.themes_by_count();
    let max = rows.first().map_or(0, |r| r.1);
    let bar_room = (width as usize).saturating_sub(22 + 6 + 9 * 4 + 1);
    for (theme_name, total) in rows {
        let cells: String = stats.theme_by_gender(theme_name).iter().map(|n| format!("{n:>9}")).collect();
        lines.push(Line::from(format!(
            "{:<22}{total:>6}{cells} {}",
            cut(theme_name, 21),
            bar(total, max, bar_room)
        )));
    }
    lines_section(lines, width)
}

fn cut(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// Lines of "label  count  bar" for each of `rows`.
fn bar_lines<'a>(rows: &[(String, u32)], width: u16) -> Vec<Line<'a>> {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0);
    let room = (width as usize).saturating_sub(26 + 8);
    rows.iter()
        .map(|(label, n)| Line::from(format!("  {:<24}{n:>6}  {}", cut(label, 23), bar(*n, max, room))))
        .collect()
}

fn profiles<'a>(s: &'a Strings, stats: &'a Statistics, width: u16, theme: &'a Theme) -> Section<'a> {
    let mut lines = vec![
        title(&s.statistics_profiles, theme),
        Line::from(Span::styled(s.statistics_age.clone(), theme.muted())),
    ];
    let ages: Vec<(String, u32)> = stats
        .age_groups()
        .into_iter()
        .map(|(g, n)| (s.figure_word("age_group", g.as_str()).to_owned(), n))
        .collect();
    lines.extend(bar_lines(&ages, width));
    for (heading, kind, counts) in [
        (&s.statistics_gender, "gender", &stats.profiles.gender),
        (&s.statistics_relation, "relation", &stats.profiles.relation),
    ] {
        lines.push(Line::from(Span::styled(heading.clone(), theme.muted())));
        let mut rows: Vec<(String, u32)> = counts
            .iter()
            .filter(|(w, _)| w.as_str() != UNKNOWN)
            .map(|(w, n)| (s.figure_word(kind, w).to_owned(), *n))
            .collect();
        rows.push((s.figure_word(kind, UNKNOWN).to_owned(), counts.get(UNKNOWN).copied().unwrap_or(0)));
        lines.extend(bar_lines(&rows, width));
    }
    lines_section(lines, width)
}

fn rud<'a>(s: &'a Strings, stats: &'a Statistics, width: u16, theme: &'a Theme) -> Section<'a> {
    let mut lines = vec![title(&s.statistics_rud, theme)];
    let [low, medium, high, not_assessed] = s.rud_columns();
    let rud = &stats.summary.rud;
    let header: String = [low, medium, high].iter().map(|name| format!("{:>10}", cut(name, 9))).collect();
    lines.push(Line::from(Span::styled(
        format!("{:<22}{header}{:>12}", "", cut(not_assessed, 11)),
        theme.muted(),
    )));
    for (name, axis) in
        [(&s.rud_risk, &rud.risk), (&s.rud_urgency, &rud.urgency), (&s.rud_danger, &rud.danger)]
    {
        lines.push(Line::from(format!(
            "{:<22}{:>10}{:>10}{:>10}{:>12}",
            cut(name, 21),
            axis.low,
            axis.medium,
            axis.high,
            axis.not_assessed
        )));
    }
    lines.push(Line::from(Span::styled(s.statistics_prompts.clone(), theme.muted())));
    let rows: Vec<(String, u32)> = stats
        .summary
        .prompts
        .iter()
        .map(|p| (format!("{} · {}", p.number, s.prompt_outcome_word(p.outcome.as_deref())), p.count))
        .collect();
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0);
    let room = (width as usize).saturating_sub(44);
    for (label, n) in rows {
        lines.push(Line::from(format!("  {:<34}{n:>6}  {}", cut(&label, 33), bar(n, max, room))));
    }
    lines_section(lines, width)
}

/// Contacts by channel (hours: their length, or the time spent on a written one), the written
/// ones' figures apart.
fn channels<'a>(app: &'a App, stats: &'a Statistics, width: u16, theme: &'a Theme) -> Section<'a> {
    let s = app.strings;
    let mut lines = vec![
        title(&s.statistics_channels, theme),
        Line::from(Span::styled(s.statistics_channels_header.clone(), theme.muted())),
    ];
    let mut rows: Vec<(&String, &ChannelCounts)> = stats.summary.by_channel.iter().collect();
    rows.sort_by(|a, b| b.1.contacts.cmp(&a.1.contacts).then(a.0.cmp(b.0)));
    let max = rows.first().map_or(0, |r| r.1.contacts);
    let room = (width as usize).saturating_sub(24 + 9 + 10 + 2);
    for (id, counts) in rows {
        lines.push(Line::from(format!(
            "{:<24}{:>9}{:>10}  {}",
            cut(app.channels.label(id, s.is_english()), 23),
            counts.contacts,
            counts.seconds / 3600,
            bar(counts.contacts, max, room)
        )));
    }
    let written = &stats.summary.written;
    if written.contacts > 0 {
        lines.push(Line::from(s.fill(
            &s.statistics_written,
            &[
                ("contacts", &written.contacts.to_string()),
                ("hours", &(written.total_seconds / 3600).to_string()),
                ("median", &minutes(written.median_seconds)),
            ],
        )));
    }
    lines_section(lines, width)
}

/// Phone calls offered, answered and missed, and the answer rate: over the period, then by
/// local hour (the hours any call was offered in, two to a line: 24 hours fit at 80×24).
/// Missed calls are known only from a phone linked to the terminal; without one (and none
/// recorded) that is said instead.
fn phone<'a>(app: &'a App, stats: &'a Statistics, width: u16, theme: &'a Theme) -> Section<'a> {
    let s = app.strings;
    let rate = |offered: &Offered| offered.answer_rate.map_or("—".to_owned(), |r| percent(s, r));
    let total = &stats.summary.phone;
    let mut lines = vec![
        title(&s.statistics_phone, theme),
        Line::from(s.fill(
            &s.statistics_phone_line,
            &[
                ("offered", &total.offered.to_string()),
                ("answered", &total.answered.to_string()),
                ("missed", &total.missed.to_string()),
                ("rate", &rate(total)),
            ],
        )),
    ];
    if total.missed == 0 && app.config.phone.source.is_none() {
        lines.push(Line::from(Span::styled(s.statistics_phone_unknown.clone(), theme.muted())));
        return lines_section(lines, width);
    }
    // The hours any call was offered in, two to a line (offered = answered + missed).
    let cell = |hour: &str, answered: &str, missed: &str, rate: &str| {
        format!("{hour:>5}{answered:>10}{missed:>8}{rate:>7}")
    };
    let names: Vec<&str> = s.statistics_phone_columns.split(',').collect();
    let header = cell(names[0], names[1], names[2], names[3]);
    lines.push(Line::from(Span::styled(format!("{header}    {header}"), theme.muted())));
    let hours: Vec<String> = stats
        .phone_by_hour
        .iter()
        .enumerate()
        .filter(|(_, h)| h.offered > 0)
        .map(|(hour, h)| cell(&format!("{hour} h"), &h.answered.to_string(), &h.missed.to_string(), &rate(h)))
        .collect();
    let rows = hours.len().div_ceil(2);
    for i in 0..rows {
        let right = hours.get(i + rows).map_or("", String::as_str);
        lines.push(Line::from(format!("{}    {right}", hours[i]).trim_end().to_owned()));
    }
    lines_section(lines, width)
}

fn callbacks<'a>(s: &'a Strings, stats: &'a Statistics, width: u16, theme: &'a Theme) -> Section<'a> {
    let cb = &stats.callbacks;
    let mut lines = vec![
        title(&s.statistics_callbacks, theme),
        Line::from(s.fill(
            &s.statistics_callbacks_line,
            &[
                (
                    "created",
                    &s.count(cb.created.into(), &s.statistics_cb_created_one, &s.statistics_cb_created),
                ),
                ("done", &s.count(cb.done.into(), &s.statistics_cb_done_one, &s.statistics_cb_done)),
                (
                    "cancelled",
                    &s.count(cb.cancelled.into(), &s.statistics_cb_cancelled_one, &s.statistics_cb_cancelled),
                ),
                ("pending", &cb.pending.to_string()),
                ("overdue", &cb.overdue.to_string()),
                (
                    "flagged",
                    &s.count(cb.flagged.into(), &s.statistics_cb_flagged_one, &s.statistics_cb_flagged),
                ),
            ],
        )),
    ];
    lines.push(Line::from(match (cb.first_attempt_median_minutes, cb.first_attempt_p90_minutes) {
        (Some(median), Some(p90)) => {
            s.fill(&s.statistics_first_attempt, &[("median", &median.to_string()), ("p90", &p90.to_string())])
        }
        _ => s.statistics_no_attempt.clone(),
    }));
    lines_section(lines, width)
}
