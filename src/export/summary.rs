//! End-of-shift and period summaries: Markdown for people, JSON for tools
//! (`format: permanence-summary`, `version: 1`, documented in `docs/export-format.md`), CSV
//! with one row per call for spreadsheets. Statistics only unless notes were asked for (a
//! supervisor's choice, audited by the store). Each carries the audit chain's head.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::domain::summary::{CallRow, LevelCounts, Scope, Summary};
use crate::i18n::Strings;
use crate::store::AuditHead;

pub const FORMAT: &str = "permanence-summary";
pub const VERSION: u32 = 1;

/// The file name an export gets when none is given: `shift-42-2026-11-23.md`.
pub fn default_name(summary: &Summary, extension: &str) -> String {
    match &summary.scope {
        Scope::Shift { id, from, .. } => format!("shift-{}-{}.{extension}", id.0, from.format("%Y-%m-%d")),
        Scope::Period { from, to } => {
            format!("period-{}-{}.{extension}", from.format("%Y-%m-%d"), to.format("%Y-%m-%d"))
        }
    }
}

pub fn json(summary: &Summary, calls: &[CallRow], head: &AuditHead) -> Value {
    json!({
        "format": FORMAT,
        "version": VERSION,
        "summary": summary,
        "calls": calls,
        "audit_head": head,
    })
}

/// One row per call; lists are joined with `;`. The audit head is repeated on every row, so
/// that any extract of the sheet still says where it came from.
pub fn csv(calls: &[CallRow], head: &AuditHead) -> Result<Vec<u8>, csv::Error> {
    let with_notes = calls.iter().any(|c| c.notes.is_some());
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "started_at",
        "seconds",
        "type",
        "linked_to_file",
        "themes",
        "rud_risk",
        "rud_urgency",
        "rud_danger",
        "prompts",
        "orientations",
        "outcome",
    ];
    if with_notes {
        header.push("notes");
    }
    header.extend(["audit_entry", "audit_hash"]);
    writer.write_record(&header)?;
    let level = |l: Option<crate::domain::assessment::RudLevel>| l.map_or("", |l| l.as_str()).to_owned();
    for call in calls {
        let mut record = vec![
            call.started_at.to_rfc3339(),
            call.seconds.to_string(),
            call.call_type.as_str().to_owned(),
            call.linked_to_file.to_string(),
            call.themes.join(";"),
            level(call.rud.risk),
            level(call.rud.urgency),
            level(call.rud.danger),
            call.prompts.join(";"),
            call.orientations.join(";"),
            call.outcome.map_or("", |o| o.as_str()).to_owned(),
        ];
        if with_notes {
            record.push(call.notes.clone().unwrap_or_default());
        }
        record.extend([head.entry.to_string(), head.hash.clone()]);
        writer.write_record(&record)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

fn minutes(seconds: i64) -> String {
    format!("{} min", (seconds + 30) / 60)
}

/// The summary as the screen and the Markdown export word it, line by line.
pub fn lines(summary: &Summary, s: &Strings) -> Vec<String> {
    let mut out = Vec::new();
    out.push(s.fill(
        s.plural(u64::from(summary.calls), &s.summary_calls_one, &s.summary_calls),
        &[
            ("count", &summary.calls.to_string()),
            ("total", &minutes(summary.total_seconds)),
            ("median", &minutes(summary.median_seconds)),
        ],
    ));
    let list = |pairs: Vec<(String, u32)>| {
        if pairs.is_empty() {
            s.access_none.clone()
        } else {
            pairs.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(" · ")
        }
    };
    out.push(format!(
        "{} : {}",
        s.summary_by_type,
        list(summary.by_type.iter().map(|(t, n)| (s.call_type(*t).to_owned(), *n)).collect())
    ));
    out.push(format!(
        "{} : {}",
        s.summary_by_theme,
        list(summary.by_theme.iter().map(|(t, n)| (t.clone(), *n)).collect())
    ));
    out.push(format!(
        "{} : {}",
        s.field_outcome,
        list(summary.by_outcome.iter().map(|(o, n)| (s.outcome(*o).to_owned(), *n)).collect())
    ));
    let axis = |label: &str, c: &LevelCounts| {
        format!(
            "{label} {} {} · {} {} · {} {} · {} {}",
            s.rud_low, c.low, s.rud_medium, c.medium, s.rud_high, c.high, s.rud_not_assessed, c.not_assessed
        )
    };
    out.push(format!("RUD — {}", axis(&s.rud_risk, &summary.rud.risk)));
    out.push(format!("RUD — {}", axis(&s.rud_urgency, &summary.rud.urgency)));
    out.push(format!("RUD — {}", axis(&s.rud_danger, &summary.rud.danger)));
    let prompts: Vec<String> = summary
        .prompts
        .iter()
        .map(|p| {
            let outcome = p
                .outcome
                .as_deref()
                .and_then(|o| o.parse().ok())
                .map_or(s.prompt_waiting.as_str(), |o| s.prompt_outcome(o));
            format!("{} ({outcome}) {}", p.number, p.count)
        })
        .collect();
    out.push(format!(
        "{} : {}",
        s.summary_prompts,
        if prompts.is_empty() { s.access_none.clone() } else { prompts.join(" · ") }
    ));
    let c = &summary.callbacks;
    out.push(s.fill(
        &s.summary_callbacks,
        &[
            ("created", &c.created.to_string()),
            ("done", &c.done.to_string()),
            ("pending", &c.pending.to_string()),
            ("overdue", &c.overdue.to_string()),
        ],
    ));
    out.push(s.fill(
        &s.summary_files,
        &[("opened", &summary.files.opened.to_string()), ("closed", &summary.files.closed.to_string())],
    ));
    out
}

pub fn title(summary: &Summary, s: &Strings) -> String {
    let date = |at: crate::domain::Timestamp| at.format("%Y-%m-%d %H:%M UTC").to_string();
    match &summary.scope {
        Scope::Shift { listener, from, to, .. } => s.fill(
            &s.summary_title_shift,
            &[("listener", listener), ("from", &date(*from)), ("to", &date(*to))],
        ),
        Scope::Period { from, to } => {
            s.fill(&s.summary_title_period, &[("from", &date(*from)), ("to", &date(*to))])
        }
    }
}

pub fn markdown(summary: &Summary, calls: &[CallRow], head: &AuditHead, s: &Strings) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", title(summary, s));
    for line in lines(summary, s) {
        let _ = writeln!(out, "- {line}");
    }
    let noted: Vec<&CallRow> =
        calls.iter().filter(|c| c.notes.as_deref().is_some_and(|n| !n.is_empty())).collect();
    if !noted.is_empty() {
        let _ = writeln!(out, "\n## {}\n", s.summary_notes);
        for call in noted {
            let _ = writeln!(
                out,
                "### {} — {}\n",
                call.started_at.format("%Y-%m-%d %H:%M UTC"),
                s.call_type(call.call_type)
            );
            for line in call.notes.as_deref().unwrap_or_default().lines() {
                let _ = writeln!(out, "> {line}");
            }
            let _ = writeln!(out);
        }
    }
    let _ = writeln!(
        out,
        "\n---\n{}",
        s.fill(&s.summary_audit, &[("entry", &head.entry.to_string()), ("hash", &head.hash)])
    );
    if !head.recorded {
        let _ = writeln!(out, "\n{}", s.summary_audit_unrecorded);
    }
    out
}
