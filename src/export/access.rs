//! A caller's right of access (RGPD art. 15): everything held on one file, as Markdown for
//! the person and JSON (`format: permanence-file-access`, `version: 1`) for tools. Listeners
//! are not named: the caller is owed their own data, not the volunteers' identities.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::domain::Timestamp;
use crate::domain::assessment::Rud;
use crate::domain::call::Call;
use crate::domain::callback::Callback;
use crate::domain::caller_file::{CallerFile, FileEvent};
use crate::domain::file_record::FileRecord;
use crate::i18n::Strings;
use crate::local_time::Zone;

pub const FORMAT: &str = "permanence-file-access";
pub const VERSION: u32 = 1;

fn time(at: Timestamp) -> String {
    at.to_rfc3339()
}

fn rud_json(rud: &Rud) -> Value {
    json!({
        "risk": rud.risk.map(|l| l.as_str()),
        "urgency": rud.urgency.map(|l| l.as_str()),
        "danger": rud.danger.map(|l| l.as_str()),
    })
}

fn file_json(file: &CallerFile) -> Value {
    let p = &file.profile;
    json!({
        "code": file.code.as_str(),
        "status": file.status.as_str(),
        "created_at": time(file.created_at),
        "last_contact_at": file.last_contact_at.map(time),
        "age_band": p.age_band.map(|v| v.as_str()),
        "gender": p.gender.map(|v| v.as_str()),
        "departement": p.departement.as_ref().map(|d| d.as_str()),
        "relation": p.relation.map(|v| v.as_str()),
        "situation_summary": p.situation_summary,
        "instructions": p.instructions,
        "closure": file.closure.as_ref().map(|c| json!({ "reason": c.reason, "caller_agreed": c.caller_agreed })),
        "legal_hold": file.legal_hold,
        "free_text_purged_at": file.purged_at.map(time),
    })
}

fn call_json(call: &Call) -> Value {
    let r = &call.record;
    json!({
        "started_at": time(call.started_at),
        "ended_at": time(call.ended_at),
        "type": call.call_type.as_str(),
        "channel": r.channel,
        "time_spent": call.time_spent,
        "themes": r.themes,
        "situations": r.situations.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "rud": rud_json(&r.rud),
        "emergency_prompts": r.prompts.iter().map(|p| json!({
            "number": p.number,
            "raised_at": time(p.raised_at),
            "outcome": p.acknowledgement.as_ref().map(|a| a.outcome.as_str()),
            "outcome_note": p.acknowledgement.as_ref().and_then(|a| a.note.clone()),
        })).collect::<Vec<_>>(),
        "orientations": r.orientations,
        "outcome": r.outcome.map(|o| o.as_str()),
        "notes": r.notes,
    })
}

fn event_json(event: &FileEvent) -> Value {
    json!({
        "at": time(event.at),
        "kind": event.kind.as_str(),
        "reason": event.reason,
        "caller_agreed": event.caller_agreed,
    })
}

fn callback_json(callback: &Callback) -> Value {
    json!({
        "created_at": time(callback.created_at),
        "due_at": time(callback.due_at),
        "priority": callback.priority.as_str(),
        "status": callback.status.as_str(),
        "channel": callback.channel,
        "callback_number": callback.callback_number.as_ref().map(|n| n.as_str()),
        "note": callback.note,
        "closed_at": callback.closed_at.map(time),
        "closed_reason": callback.closed_reason,
        "attempts": callback.attempts.iter().map(|a| json!({
            "at": time(a.at),
            "result": a.result.as_str(),
        })).collect::<Vec<_>>(),
    })
}

pub fn json(record: &FileRecord, generated_at: Timestamp) -> Value {
    json!({
        "format": FORMAT,
        "version": VERSION,
        "generated_at": time(generated_at),
        "file": file_json(&record.file),
        "events": record.events.iter().map(event_json).collect::<Vec<_>>(),
        "calls": record.calls.iter().map(call_json).collect::<Vec<_>>(),
        "callbacks": record.callbacks.iter().map(callback_json).collect::<Vec<_>>(),
    })
}

/// The same content as `json`, for the person who asked.
pub fn markdown(record: &FileRecord, generated_at: Timestamp, s: &Strings, zone: Zone) -> String {
    let file = &record.file;
    let p = &file.profile;
    let date = |at: Timestamp| zone.date_and_time(at);
    let none = &s.file_unset;
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", s.fill(&s.access_title, &[("code", file.code.as_str())]));
    let _ = writeln!(out, "{}", s.fill(&s.access_generated, &[("date", &date(generated_at))]));
    let _ = writeln!(out, "{}\n", s.fill(&s.export_times_in, &[("zone", &zone.to_string())]));
    let _ = writeln!(out, "## {}\n", s.pane_file);
    let mut row = |label: &str, value: String| {
        let _ = writeln!(out, "- **{label}** : {value}");
    };
    row(&s.file_status, s.file_status(file.status).to_owned());
    row(&s.file_since, date(file.created_at));
    row(&s.file_age_band, p.age_band.map_or(none.clone(), |v| s.age_band(v).to_owned()));
    row(&s.file_gender, p.gender.map_or(none.clone(), |v| s.gender(v).to_owned()));
    row(&s.file_departement, p.departement.as_ref().map_or(none.clone(), |d| d.as_str().to_owned()));
    row(&s.file_relation, p.relation.map_or(none.clone(), |v| s.relation(v).to_owned()));
    row(&s.file_summary, p.situation_summary.clone());
    row(&s.file_instructions, p.instructions.clone());
    if let Some(closure) = &file.closure {
        let agreed =
            if closure.caller_agreed { &s.closure_with_agreement } else { &s.closure_without_agreement };
        row(&s.access_closure, format!("{} ({agreed})", closure.reason));
    }
    if file.legal_hold {
        row(&s.file_legal_hold, s.answer_yes.clone());
    }
    if let Some(at) = file.purged_at {
        row(&s.access_purged, date(at));
    }
    let _ = writeln!(out, "\n## {}\n", s.file_events);
    if record.events.is_empty() {
        let _ = writeln!(out, "{}", s.access_none);
    }
    for e in &record.events {
        let mut line = format!("- {} — {}", date(e.at), s.file_event(e.kind));
        if let Some(agreed) = e.caller_agreed {
            let agreed = if agreed { &s.closure_with_agreement } else { &s.closure_without_agreement };
            let _ = write!(line, " ({agreed})");
        }
        if !e.reason.is_empty() {
            let _ = write!(line, " : {}", e.reason);
        }
        let _ = writeln!(out, "{line}");
    }
    let _ =
        writeln!(out, "\n## {}\n", s.count(record.calls.len() as u64, &s.file_history_one, &s.file_history));
    for call in &record.calls {
        let r = &call.record;
        let minutes = (call.ended_at - call.started_at).num_minutes();
        let _ = writeln!(
            out,
            "### {} — {} ({minutes} min)\n",
            date(call.started_at),
            s.call_type(call.call_type)
        );
        let mut row = |label: &str, value: String| {
            if !value.is_empty() {
                let _ = writeln!(out, "- **{label}** : {value}");
            }
        };
        row(&s.field_themes, r.themes.join(", "));
        row(&s.field_situations, r.situations.iter().map(|v| s.situation(*v)).collect::<Vec<_>>().join(", "));
        row(&s.field_rud, s.rud_text(&r.rud));
        let prompts: Vec<String> = r
            .prompts
            .iter()
            .map(|p| match &p.acknowledgement {
                Some(a) => {
                    let note = a.note.as_deref().map(|n| format!(" — {n}")).unwrap_or_default();
                    format!("{} ({}{note})", p.number, s.prompt_outcome(a.outcome))
                }
                None => format!("{} ({})", p.number, s.prompt_waiting),
            })
            .collect();
        row(&s.history_prompts, prompts.join(", "));
        row(&s.field_orientations, r.orientations.join(", "));
        row(&s.field_outcome, r.outcome.map(|o| s.outcome(o).to_owned()).unwrap_or_default());
        if !r.notes.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                r.notes.lines().map(|l| format!("> {l}")).collect::<Vec<_>>().join("\n")
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## {}\n", s.pane_callbacks);
    if record.callbacks.is_empty() {
        let _ = writeln!(out, "{}", s.access_none);
    }
    for c in &record.callbacks {
        let mut line = format!(
            "- {} : {} — {} ({})",
            s.access_due,
            date(c.due_at),
            s.callback_status(c.status),
            s.priority(c.priority)
        );
        if let Some(number) = &c.callback_number {
            let _ = write!(line, " — {} {}", s.callback_number, number.as_str());
        }
        if !c.note.is_empty() {
            let _ = write!(line, " — {}", c.note);
        }
        if let Some(reason) = c.closed_reason.as_deref().filter(|r| !r.is_empty()) {
            let _ = write!(line, " — {reason}");
        }
        for a in &c.attempts {
            let _ = write!(line, "\n  - {} : {}", date(a.at), s.attempt_result(a.result));
        }
        let _ = writeln!(out, "{line}");
    }
    out
}
