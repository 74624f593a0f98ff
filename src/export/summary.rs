//! End-of-shift and period summaries: Markdown for people, JSON for tools
//! (`format: permanence-summary`, `version: 2`, documented in `docs/export-format.md`), CSV
//! with one row per call for spreadsheets. Statistics only unless notes were asked for (a
//! supervisor's choice, audited by the store). Each carries the audit chain's head.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::domain::Timestamp;
use crate::domain::channel::Channels;
use crate::domain::summary::{CallRow, LevelCounts, Scope, Summary};
use crate::i18n::Strings;
use crate::local_time::Zone;
use crate::store::AuditHead;

pub const FORMAT: &str = "permanence-summary";
/// 2: contacts have a channel and written ones a time spent (`by_channel`, `written`, and
/// `channel`, `time_spent` on each call).
pub const VERSION: u32 = 2;

/// The file name an export gets when none is given: `shift-42-2026-11-23.md`, with local days
/// (a night shift started at 00:30 in Paris is that day's, not the day before's in UTC).
pub fn default_name(summary: &Summary, extension: &str, zone: Zone) -> String {
    match &summary.scope {
        Scope::Shift { id, from, .. } => format!("shift-{}-{}.{extension}", id.0, zone.today(*from)),
        Scope::Period { from, to } => {
            format!("period-{}-{}.{extension}", zone.today(*from), zone.today(last_instant(*to)))
        }
    }
}

/// A period ends before `to` (the next day's midnight): its last day is the one before.
fn last_instant(to: Timestamp) -> Timestamp {
    to - chrono::Duration::seconds(1)
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
/// that any extract of the sheet still says where it came from, with its signature and the key
/// that made it (the whole list of keys is in the JSON and Markdown exports: repeated on every
/// row it would outweigh the figures).
pub fn csv(summary: &Summary, calls: &[CallRow], head: &AuditHead) -> Result<Vec<u8>, csv::Error> {
    let with_notes = calls.iter().any(|c| c.notes.is_some());
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "started_at",
        "seconds",
        "channel",
        "time_spent",
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
    // The scope's calls offered to the line, repeated on each row like the audit head: the
    // missed calls have no row of their own (nothing of them is known but when).
    header.extend(["scope_offered", "scope_answered", "scope_missed", "scope_answer_rate"]);
    let phone = &summary.phone;
    let phone_columns = [
        phone.offered.to_string(),
        phone.answered.to_string(),
        phone.missed.to_string(),
        phone.answer_rate.map(|r| r.to_string()).unwrap_or_default(),
    ];
    header.extend(["audit_entry", "audit_hash", "audit_signed_by", "audit_signature", "audit_signing_key"]);
    let head_columns = [
        head.entry.to_string(),
        head.hash.clone(),
        head.signed_by.map(|id| id.to_string()).unwrap_or_default(),
        head.signature.clone().unwrap_or_default(),
        head_signing_key(head).unwrap_or_default(),
    ];
    writer.write_record(&header)?;
    let level = |l: Option<crate::domain::assessment::RudLevel>| l.map_or("", |l| l.as_str()).to_owned();
    for call in calls {
        let mut record = vec![
            call.started_at.to_rfc3339(),
            call.seconds.to_string(),
            call.channel.clone(),
            call.time_spent.map(|t| t.to_string()).unwrap_or_default(),
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
        record.extend(phone_columns.iter().cloned());
        record.extend(head_columns.iter().cloned());
        writer.write_record(&record)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// The key that signed the head: its signer's current one (the head is the newest entry).
fn head_signing_key(head: &AuditHead) -> Option<String> {
    let signer = head.signed_by?;
    head.signing_keys
        .iter()
        .find(|k| k.listener_id == signer && k.valid_until.is_none())
        .map(|k| k.signing_key.clone())
}

fn minutes(seconds: i64) -> String {
    format!("{} min", (seconds + 30) / 60)
}

/// The summary as the screen and the Markdown export word it, line by line; channels are
/// named from `channels` (an id it does not know, as itself).
pub fn lines(summary: &Summary, s: &Strings, channels: &Channels) -> Vec<String> {
    let mut out = Vec::new();
    out.push(s.fill(
        s.plural(u64::from(summary.calls), &s.summary_calls_one, &s.summary_calls),
        &[
            ("count", &summary.calls.to_string()),
            ("total", &minutes(summary.total_seconds)),
            ("median", &minutes(summary.median_seconds)),
        ],
    ));
    let phone = &summary.phone;
    let rate = phone.answer_rate.map_or_else(|| "—".to_owned(), |r| format!("{r} %"));
    out.push(s.fill(
        &s.summary_offered,
        &[
            ("offered", &phone.offered.to_string()),
            ("answered", &phone.answered.to_string()),
            ("missed", &phone.missed.to_string()),
            ("rate", &rate),
        ],
    ));
    let list = |pairs: Vec<(String, u32)>| {
        if pairs.is_empty() {
            s.access_none.clone()
        } else {
            pairs.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(" · ")
        }
    };
    let w = &summary.written;
    if w.contacts > 0 {
        out.push(s.fill(
            s.plural(u64::from(w.contacts), &s.summary_written_one, &s.summary_written),
            &[
                ("count", &w.contacts.to_string()),
                ("total", &minutes(w.total_seconds)),
                ("median", &minutes(w.median_seconds)),
            ],
        ));
    }
    out.push(format!(
        "{} : {}",
        s.summary_by_channel,
        list(
            summary
                .by_channel
                .iter()
                .map(|(id, c)| (channels.label(id, s.is_english()).to_owned(), c.contacts))
                .collect()
        )
    ));
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

/// "Permanence de Camille, 23/11/2026 13:30 → 15:05" (the end's date only when it is another
/// day), "Statistiques du 01/11/2026 au 30/11/2026": local times, as the screen reads them.
pub fn title(summary: &Summary, s: &Strings, zone: Zone) -> String {
    match &summary.scope {
        Scope::Shift { listener, from, to, .. } => {
            let to =
                if zone.today(*to) == zone.today(*from) { zone.clock(*to) } else { zone.date_and_time(*to) };
            s.fill(
                &s.summary_title_shift,
                &[("listener", listener), ("from", &zone.date_and_time(*from)), ("to", &to)],
            )
        }
        Scope::Period { from, to } => s.fill(
            &s.summary_title_period,
            &[("from", &zone.date(*from)), ("to", &zone.date(last_instant(*to)))],
        ),
    }
}

pub fn markdown(
    summary: &Summary,
    calls: &[CallRow],
    head: &AuditHead,
    s: &Strings,
    zone: Zone,
    channels: &Channels,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", title(summary, s, zone));
    // Said once: a reader elsewhere, or a year later, knows which clock the times are on.
    let _ = writeln!(out, "{}\n", s.fill(&s.export_times_in, &[("zone", &zone.to_string())]));
    for line in lines(summary, s, channels) {
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
                zone.date_and_time(call.started_at),
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
    let login = |id: i64| {
        head.signing_keys
            .iter()
            .find(|k| k.listener_id == id)
            .map_or_else(|| id.to_string(), |k| k.login.clone())
    };
    match (head.signed_by, &head.signature) {
        (Some(id), Some(signature)) => {
            let _ = writeln!(
                out,
                "\n{}",
                s.fill(
                    &s.summary_audit_signed,
                    &[("login", &login(id)), ("id", &id.to_string()), ("signature", signature)]
                )
            );
        }
        _ => {
            let _ = writeln!(out, "\n{}", s.summary_audit_unsigned);
        }
    }
    if !head.signing_keys.is_empty() {
        let _ = writeln!(out, "\n{}\n", s.summary_audit_keys);
        for key in &head.signing_keys {
            let id = key.listener_id.to_string();
            let from = zone.date_and_time(key.valid_from);
            let line = match key.valid_until {
                None => s.fill(
                    &s.summary_audit_key,
                    &[("login", &key.login), ("id", &id), ("key", &key.signing_key), ("from", &from)],
                ),
                Some(until) => s.fill(
                    &s.summary_audit_key_retired,
                    &[
                        ("login", &key.login),
                        ("id", &id),
                        ("key", &key.signing_key),
                        ("from", &from),
                        ("until", &zone.date_and_time(until)),
                    ],
                ),
            };
            let _ = writeln!(out, "- {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{ListenerId, ShiftId};

    #[test]
    fn titles_and_file_names_use_local_days_and_times() {
        let s = Strings::get(crate::i18n::Language::Fr);
        let paris = Zone::default();
        let utc = |m, d, h, min| Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
        // A night shift from 22:30 on 24 October (summer time) to 06:15 on the 25th (winter
        // time), which starts on the 24th in Paris (and on the 24th in UTC too: 20:30).
        let night = crate::test_support::summary_of(Scope::Shift {
            id: ShiftId(42),
            listener_id: ListenerId(2),
            listener: "Camille".into(),
            from: utc(10, 24, 20, 30),
            to: utc(10, 25, 5, 15),
        });
        assert_eq!(title(&night, s, paris), "Permanence de Camille, 24/10/2026 22:30 → 25/10/2026 06:15");
        assert_eq!(default_name(&night, "md", paris), "shift-42-2026-10-24.md");
        // Begun at 00:30 in Paris: that day's shift, though it is still the day before in UTC.
        let after_midnight = crate::test_support::summary_of(Scope::Shift {
            id: ShiftId(43),
            listener_id: ListenerId(2),
            listener: "Camille".into(),
            from: utc(11, 23, 23, 30),
            to: utc(11, 24, 3, 0),
        });
        assert_eq!(title(&after_midnight, s, paris), "Permanence de Camille, 24/11/2026 00:30 → 04:00");
        assert_eq!(default_name(&after_midnight, "json", paris), "shift-43-2026-11-24.json");
        // March in Paris: from its first midnight (winter time) to 1 April's (summer time).
        let march = crate::test_support::summary_of(Scope::Period {
            from: paris.start_of_day(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            to: paris.start_of_day(chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()),
        });
        assert_eq!(title(&march, s, paris), "Statistiques du 01/03/2026 au 31/03/2026");
        assert_eq!(default_name(&march, "csv", paris), "period-2026-03-01-2026-03-31.csv");
    }

    #[test]
    fn markdown_says_its_zone_and_reads_it() {
        let s = Strings::get(crate::i18n::Language::En);
        let montreal: Zone = "America/Montreal".parse().unwrap();
        let at = Utc.with_ymd_and_hms(2026, 7, 14, 2, 0, 0).unwrap();
        let summary =
            crate::test_support::summary_of(Scope::Period { from: at, to: at + chrono::Duration::days(1) });
        let row = CallRow {
            started_at: at,
            seconds: 60,
            channel: "phone".into(),
            time_spent: None,
            call_type: crate::domain::call::CallType::Listening,
            linked_to_file: false,
            themes: Vec::new(),
            rud: Default::default(),
            prompts: Vec::new(),
            orientations: Vec::new(),
            outcome: None,
            notes: Some("a note".into()),
        };
        let head = AuditHead {
            entry: 1,
            hash: "00".into(),
            recorded: true,
            signed_by: None,
            signature: None,
            signing_keys: Vec::new(),
        };
        let text = markdown(&summary, &[row], &head, s, montreal, &Channels::builtin());
        assert!(text.contains("Local times (America/Montreal)."), "{text}");
        assert!(text.contains("### 13/07/2026 22:00 — "), "the evening before in Montreal: {text}");
        assert!(!text.contains("UTC"), "{text}");
    }
}
