//! The end of the evening, checked by the parent: every save a desk saw acknowledged is on the
//! server and whole (read back through the `Store` API as the supervisor, field by field, the
//! notes' exact text included), once; the callbacks scheduled and performed with them, and the
//! failed attempts, are there; no desk left a draft, on the server or on its machine; and the
//! audit chain verifies, with every signature (`Store::check`, what `permanence check` runs).

use std::collections::HashMap;
use std::path::Path;

use permanence::domain::call::{Call, NewCall};
use permanence::domain::callback::AttemptResult;
use permanence::domain::{CallId, ShiftId};
use permanence::store::{LocalDraft, Location, Store};

use super::record::Record;

pub struct Verdict {
    pub problems: Vec<String>,
    pub saves: usize,
    pub callbacks_scheduled: usize,
    pub callbacks_performed: usize,
    pub attempts: usize,
    pub audit_entries: u64,
    /// What the check said of the role it connected as (the test cluster's superuser could
    /// rewrite the audit log): a fault of the set-up, not of the data.
    pub role_findings: Vec<String>,
}

/// `account(login)` gives each desk's passphrase; `local(login)` its stand-in for the server.
pub fn verify(
    location: &Location,
    supervisor: (&str, &str),
    records: &[Record],
    account: impl Fn(&str) -> String,
    local: impl Fn(&str) -> std::path::PathBuf,
) -> Verdict {
    let store = Store::open(location, supervisor.0, supervisor.1).expect("the supervisor unlocks");
    let mut verdict = Verdict {
        problems: Vec::new(),
        saves: 0,
        callbacks_scheduled: 0,
        callbacks_performed: 0,
        attempts: 0,
        audit_entries: 0,
        role_findings: Vec::new(),
    };
    let mut shifts: HashMap<ShiftId, Vec<Call>> = HashMap::new();
    let mut acknowledged: HashMap<ShiftId, usize> = HashMap::new();
    let mut matched: Vec<CallId> = Vec::new();
    for record in records {
        let listener = store.listener_by_login(&record.login).expect("the desk's account").id;
        for saved in &record.saved {
            verdict.saves += 1;
            let sent = &saved.call;
            *acknowledged.entry(sent.shift_id).or_default() += 1;
            let calls = shifts
                .entry(sent.shift_id)
                .or_insert_with(|| store.calls_of_shift(sent.shift_id).expect("a shift's calls"));
            let what = format!("{}'s call of {}", record.login, sent.started_at.format("%H:%M:%S"));
            let token = sent.record.save_token.expect("a call taken in the terminal has a save token");
            if !store.call_saved_with(token).expect("a look for a save token") {
                verdict.problems.push(format!("{what}: acknowledged, its save token is not on the server"));
            }
            // Matched one to one by their start (a call logged in one key may start in the same
            // second as the next one taken): the first not yet matched that is whole.
            let started = sent.started_at.timestamp();
            let candidates: Vec<&Call> = calls
                .iter()
                .filter(|c| c.started_at.timestamp() == started && !matched.contains(&c.id))
                .collect();
            let Some(call) = candidates
                .iter()
                .find(|c| c.listener_id == listener && differences(sent, c).is_empty())
                .or(candidates.first())
                .copied()
            else {
                verdict.problems.push(format!("{what}: acknowledged, not on the server"));
                continue;
            };
            matched.push(call.id);
            if call.listener_id != listener {
                verdict.problems.push(format!("{what}: saved under another account"));
            }
            for difference in differences(sent, call) {
                verdict.problems.push(format!("{what}: {difference}"));
            }
            if let Some(note) = &saved.callback_note {
                verdict.callbacks_scheduled += 1;
                let file = sent.record.caller_file_id.expect("a callback's call has a file");
                let callbacks = store.callbacks_of_file(file).expect("a file's callbacks");
                if !callbacks.iter().any(|c| c.origin_call_id == Some(call.id) && &c.note == note) {
                    verdict.problems.push(format!("{what}: its callback is missing or its note differs"));
                }
            }
            if let Some(performed) = sent.record.performs_callback {
                verdict.callbacks_performed += 1;
                if !reached_by(&store, performed, call.id) {
                    verdict.problems.push(format!("{what}: the callback it performed does not say so"));
                }
            }
        }
        for &id in &record.attempts {
            verdict.attempts += 1;
            let callback = store.callback(id).expect("a callback attempted");
            if !callback
                .attempts
                .iter()
                .any(|a| a.listener_id == listener && a.result != AttemptResult::Reached)
            {
                verdict
                    .problems
                    .push(format!("{}: its failed attempt on callback {id} is missing", record.login));
            }
        }
        drafts_left(location, record, &account, &local, &mut verdict.problems);
    }
    // Nothing saved that no desk saw acknowledged, nothing saved twice: each desk's shift holds
    // exactly the calls acknowledged on it.
    for (shift, calls) in &shifts {
        let told = acknowledged.get(shift).copied().unwrap_or(0);
        if calls.len() != told {
            verdict
                .problems
                .push(format!("shift {shift}: {} calls on the server, {told} acknowledged", calls.len()));
        }
    }
    let report = store.check().expect("the check runs");
    verdict.audit_entries = report.audit_entries;
    for finding in &report.findings {
        verdict.problems.push(format!("permanence check: {finding}"));
    }
    verdict.role_findings = report.role_findings.iter().map(ToString::to_string).collect();
    verdict
}

/// What the server holds of `sent` that is not what was sent.
fn differences(sent: &NewCall, call: &Call) -> Vec<String> {
    let mut differ = Vec::new();
    let (a, b) = (&sent.record, &call.record);
    if a.notes != b.notes {
        differ.push(format!("notes {:?} on the server, {:?} acknowledged", b.notes, a.notes));
    }
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let prompts = |p: &[permanence::domain::prompt::PromptRecord]| {
        let mut p: Vec<_> = p
            .iter()
            .map(|p| {
                let ack = p.acknowledgement.as_ref();
                let outcome = ack.map(|a| a.outcome.as_str());
                (p.number.clone(), p.rule.clone(), outcome, ack.and_then(|a| a.note.clone()))
            })
            .collect();
        p.sort();
        p
    };
    let checks = [
        ("type", sent.call_type == call.call_type),
        ("end", sent.ended_at.timestamp() == call.ended_at.timestamp()),
        ("file", a.caller_file_id == b.caller_file_id),
        ("channel", a.channel == b.channel),
        ("themes", sorted(&a.themes) == sorted(&b.themes)),
        ("orientations", sorted(&a.orientations) == sorted(&b.orientations)),
        ("situations", {
            let (mut x, mut y) = (a.situations.clone(), b.situations.clone());
            x.sort_by_key(|s| s.as_str());
            y.sort_by_key(|s| s.as_str());
            x == y
        }),
        ("RUD grid", a.rud == b.rud),
        ("outcome", a.outcome == b.outcome),
        ("prompts", prompts(&a.prompts) == prompts(&b.prompts)),
    ];
    differ.extend(checks.iter().filter(|(_, same)| !same).map(|(what, _)| format!("its {what} differs")));
    differ
}

/// Whether the callback `id` holds the attempt that reached the caller in `call`.
fn reached_by(store: &Store, id: permanence::domain::CallbackId, call: CallId) -> bool {
    store.callback(id).is_ok_and(|callback| {
        callback.attempts.iter().any(|a| a.result == AttemptResult::Reached && a.call_id == Some(call))
    })
}

/// A desk's draft, on the server and on its machine: none may be left, every call being saved.
fn drafts_left(
    location: &Location,
    record: &Record,
    account: &impl Fn(&str) -> String,
    local: &impl Fn(&str) -> std::path::PathBuf,
    problems: &mut Vec<String>,
) {
    let login = &record.login;
    let store = Store::open(location, login, &account(login)).expect("the desk's account unlocks");
    if store.draft().expect("a draft read").is_some() {
        problems.push(format!("{login}: a draft left on the server"));
    }
    let copy = LocalDraft::beside(Path::new(&local(login)), store.actor().id);
    match store.read_local(&copy) {
        Ok(kept) if kept.is_empty() => {}
        Ok(kept) => problems.push(format!(
            "{login}: left on its machine: {} draft, {} calls not saved",
            kept.draft.iter().count(),
            kept.ended.len()
        )),
        Err(err) => problems.push(format!("{login}: its copy on this machine does not open: {err}")),
    }
}
