//! End-of-shift summaries and period statistics on a fixture whose figures are known by
//! construction; every export format parsed back; encryption to an age identity; no note
//! text anywhere without `--include-notes`.

mod common;

use chrono::{Duration, Utc};
use common::*;
use permanence::config::{Config, ExportConfig};
use permanence::domain::assessment::{Rud, RudLevel};
use permanence::domain::call::{CallRecord, CallType, NewCall, Outcome};
use permanence::domain::callback::{Assignee, CallbackRequest, PhoneNumber, Priority};
use permanence::domain::caller_file::{Closure, FileProfile};
use permanence::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use permanence::domain::summary::LevelCounts;
use permanence::export;
use permanence::export::{SummaryFormat, write_summary};
use permanence::store::{Location, ScopeRequest, Store, StoreError};

const CANARY: &str = "CANARY-summary-notes-5c7e";

fn prompt(number: &str, outcome: Option<PromptOutcome>, at: chrono::DateTime<Utc>) -> PromptRecord {
    PromptRecord {
        number: number.into(),
        rule: "card".into(),
        raised_at: at,
        acknowledgement: outcome.map(|outcome| Acknowledgement { at, outcome, note: None }),
    }
}

/// Camille's shift: three calls (10, 20 and 1 minutes), one new file closed during the shift,
/// one callback scheduled at the end of the first call. Returns the shift.
fn fixture(db: &Location) -> permanence::domain::ShiftId {
    let mut store = create(db);
    add_listener(&mut store);
    drop(store);
    let mut store = Store::open(db, LISTENER, LISTENER_PASS).unwrap();
    let shift = store.start_shift().unwrap();
    let file = store.create_file(&FileProfile::default()).unwrap();
    let start = Utc::now() - Duration::minutes(40);
    let call = |minutes_in: i64, length: i64, call_type, record: CallRecord| NewCall {
        shift_id: shift.id,
        started_at: start + Duration::minutes(minutes_in),
        ended_at: start + Duration::minutes(minutes_in + length),
        call_type,
        time_spent: None,
        record,
    };
    let first = call(
        0,
        10,
        CallType::Listening,
        CallRecord {
            caller_file_id: Some(file.id),
            themes: vec!["deuil".into(), "isolement".into()],
            notes: format!("Parle de sa sœur {CANARY}"),
            rud: Rud { urgency: Some(RudLevel::Medium), ..Rud::default() },
            prompts: vec![prompt("3114", Some(PromptOutcome::NumberGiven), start)],
            orientations: vec!["3114".into()],
            outcome: Some(Outcome::CallbackScheduled),
            ..CallRecord::default()
        },
    );
    let callback = CallbackRequest::with_consent(
        true,
        Utc::now() + Duration::hours(2),
        Priority::High,
        PhoneNumber::parse("0612345678").unwrap(),
        Assignee::Anyone,
        String::new(),
    )
    .unwrap();
    store.save_call_with_callback(&first, Some(&callback)).unwrap();
    store
        .save_call(&call(
            12,
            20,
            CallType::Crisis,
            CallRecord {
                themes: vec!["isolement".into()],
                notes: format!("Crise {CANARY}"),
                rud: Rud {
                    risk: Some(RudLevel::High),
                    urgency: Some(RudLevel::High),
                    danger: Some(RudLevel::Medium),
                },
                prompts: vec![
                    prompt("15", Some(PromptOutcome::ServiceContacted), start),
                    prompt("112", Some(PromptOutcome::NotRelevant), start),
                ],
                outcome: Some(Outcome::EmergencyServices),
                ..CallRecord::default()
            },
        ))
        .unwrap();
    store.save_call(&call(35, 1, CallType::Silent, CallRecord::default())).unwrap();
    store.close_file(file.id, &Closure { reason: "Orienté·e".into(), caller_agreed: true }).unwrap();
    shift.id
}

#[test]
fn the_figures_of_a_shift_are_the_ones_built() {
    on_each_backend("the_figures_of_a_shift_are_the_ones_built", |backend| {
        let shift = fixture(&backend.db);
        let store = Store::open(&backend.db, LISTENER, LISTENER_PASS).unwrap();
        let summary = store.summary(ScopeRequest::Shift(shift), Utc::now()).unwrap();
        assert_eq!(summary.calls, 3);
        assert_eq!(summary.total_seconds, 31 * 60);
        assert_eq!(summary.median_seconds, 10 * 60);
        let by_type: Vec<_> = summary.by_type.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        assert_eq!(by_type, [("listening", 1), ("crisis", 1), ("silent", 1)]);
        let by_theme: Vec<_> = summary.by_theme.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        assert_eq!(by_theme, [("deuil", 1), ("isolement", 2)]);
        assert_eq!(summary.rud.urgency, LevelCounts { low: 0, medium: 1, high: 1, not_assessed: 1 });
        assert_eq!(summary.rud.danger, LevelCounts { low: 0, medium: 1, high: 0, not_assessed: 2 });
        let prompts: Vec<_> =
            summary.prompts.iter().map(|p| (p.number.as_str(), p.outcome.as_deref(), p.count)).collect();
        assert_eq!(
            prompts,
            [
                ("112", Some("not_relevant"), 1),
                ("15", Some("service_contacted"), 1),
                ("3114", Some("number_given"), 1)
            ]
        );
        assert_eq!(
            (summary.callbacks.created, summary.callbacks.pending, summary.callbacks.overdue),
            (1, 1, 0)
        );
        assert_eq!((summary.files.opened, summary.files.closed), (1, 1));

        // The same calls as a period give the same call figures.
        let period = store
            .summary(
                ScopeRequest::Period {
                    from: Utc::now() - Duration::days(1),
                    to: Utc::now() + Duration::days(1),
                },
                Utc::now(),
            )
            .unwrap();
        assert_eq!((period.calls, period.total_seconds, &period.by_theme), (3, 31 * 60, &summary.by_theme));
    });
}

#[test]
fn each_format_parses_back_and_no_note_leaves_without_asking() {
    on_each_backend("each_format_parses_back_and_no_note_leaves_without_asking", |backend| {
        let dir = &backend.dir;
        let shift = fixture(&backend.db);
        let db = &backend.local;
        let mut store = Store::open(&backend.db, LISTENER, LISTENER_PASS).unwrap();
        let config = Config::default();
        let request = ScopeRequest::Shift(shift);
        // One call rang unanswered during the shift: offered 4, answered 3, missed 1.
        let now = Utc::now();
        let missed =
            permanence::domain::phone::MissedCall::new(Some(shift), now - chrono::Duration::seconds(40), now);
        store.record_missed_call(&missed).unwrap();
        let summary = store.summary(request, Utc::now()).unwrap();

        let json_path =
            write_summary(&mut store, &config, db, request, SummaryFormat::Json, None, false).unwrap();
        assert_eq!(json_path.parent().unwrap(), dir.path().join("exports"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&json_path).unwrap().permissions().mode() & 0o777, 0o600);
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
        assert_eq!(json["format"], export::summary::FORMAT);
        assert_eq!(json["version"], export::summary::VERSION);
        let mut expected = serde_json::to_value(&summary).unwrap();
        // An open shift ends "now": the moment of each reading.
        expected["generated_at"] = json["summary"]["generated_at"].clone();
        expected["scope"]["to"] = json["summary"]["scope"]["to"].clone();
        assert_eq!(json["summary"], expected, "the JSON is the summary the screen shows");
        assert_eq!(json["calls"].as_array().unwrap().len(), 3);
        assert_eq!(
            json["summary"]["phone"],
            serde_json::json!({ "offered": 4, "answered": 3, "missed": 1, "answer_rate": 75 })
        );
        let head = store.verify_audit_chain().unwrap().unwrap();
        assert_eq!(
            json["audit_head"]["entry"].as_u64(),
            Some(head.entries),
            "the export's own entry is the head"
        );
        assert_eq!(json["audit_head"]["hash"], head.head_hash);

        let csv_path = dir.path().join("calls.csv");
        write_summary(&mut store, &config, db, request, SummaryFormat::Csv, Some(&csv_path), false).unwrap();
        let mut reader = csv::Reader::from_path(&csv_path).unwrap();
        let headers = reader.headers().unwrap().clone();
        assert!(!headers.iter().any(|h| h == "notes"));
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
        assert_eq!(&rows[0][column("themes")], "deuil;isolement");
        assert_eq!(&rows[1][column("prompts")], "15:service_contacted;112:not_relevant");
        assert_eq!(&rows[1][column("rud_urgency")], "high");
        assert_eq!(rows.iter().map(|r| r[column("seconds")].parse::<i64>().unwrap()).sum::<i64>(), 31 * 60);
        let scope: Vec<&str> = ["scope_offered", "scope_answered", "scope_missed", "scope_answer_rate"]
            .iter()
            .map(|name| &rows[2][column(name)])
            .collect();
        assert_eq!(scope, ["4", "3", "1", "75"]);

        let md_path =
            write_summary(&mut store, &config, db, request, SummaryFormat::Markdown, None, false).unwrap();
        let md = std::fs::read_to_string(&md_path).unwrap();
        assert!(md.contains("3 appels · durée totale 31 min · médiane 10 min"), "{md}");
        assert!(md.contains("Rappels : 1 planifié(s)"), "{md}");
        assert!(md.contains("Appels reçus : 4 · décrochés 3 · manqués 1 · taux de réponse 75 %"), "{md}");

        // Statistics only: the notes are nowhere, neither in the files nor in any temp file.
        assert!(found_in_dir(dir.path(), CANARY.as_bytes()).is_empty());
        // Notes are a supervisor's choice.
        let refused = write_summary(&mut store, &config, db, request, SummaryFormat::Markdown, None, true);
        assert!(
            refused
                .unwrap_err()
                .downcast_ref::<StoreError>()
                .is_some_and(|e| matches!(e, StoreError::Forbidden(_)))
        );
        drop(store);
        let mut supervisor = Store::open(&backend.db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let with_notes = dir.path().join("with-notes.md");
        write_summary(
            &mut supervisor,
            &config,
            db,
            request,
            SummaryFormat::Markdown,
            Some(&with_notes),
            true,
        )
        .unwrap();
        assert!(std::fs::read_to_string(&with_notes).unwrap().contains(CANARY));
        assert!(supervisor.check().unwrap().is_clean());
    });
}

#[test]
fn an_encrypted_export_opens_with_the_identity_and_nothing_plain_touches_the_disk() {
    on_each_backend(
        "an_encrypted_export_opens_with_the_identity_and_nothing_plain_touches_the_disk",
        |backend| {
            let dir = &backend.dir;
            let shift = fixture(&backend.db);
            let db = &backend.local;
            let mut store = Store::open(&backend.db, LISTENER, LISTENER_PASS).unwrap();
            let identity = age::x25519::Identity::generate();
            let config = Config {
                export: ExportConfig { directory: None, recipients: vec![identity.to_public().to_string()] },
                ..Config::default()
            };
            let path = write_summary(
                &mut store,
                &config,
                db,
                ScopeRequest::Shift(shift),
                SummaryFormat::Json,
                None,
                false,
            )
            .unwrap();
            assert!(path.to_string_lossy().ends_with(".json.age"), "{}", path.display());
            let plain = decrypt(&path, &identity);
            let json: serde_json::Value = serde_json::from_slice(&plain).unwrap();
            assert_eq!(json["summary"]["calls"], 3);
            assert!(
                found_in_dir(dir.path(), export::summary::FORMAT.as_bytes()).is_empty(),
                "no plaintext on disk"
            );
            // A plain name asked for gets `.age`: ciphertext is never left under `.md`.
            let asked = dir.path().join("last.md");
            let path = write_summary(
                &mut store,
                &config,
                db,
                ScopeRequest::Shift(shift),
                SummaryFormat::Markdown,
                Some(&asked),
                false,
            )
            .unwrap();
            assert_eq!(path, dir.path().join("last.md.age"));
            assert!(!asked.exists() && std::fs::read(&path).unwrap().starts_with(b"age-encryption.org/"));
        },
    );
}

#[test]
fn a_bad_recipient_in_the_config_names_the_key_and_its_line() {
    let err = Config::parse("[export]\nrecipients = [\"age1notakey\"]\n").unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("recipients"), "{err}");
}

/// The signature over an audit entry as docs/export-format.md describes it, built here from the
/// documentation (not from the program's code): `text(tag) ‖ i64(signer) ‖ i64(entry) ‖ text(hash)`.
fn documented_message(signed_by: i64, entry: i64, hash: &str) -> Vec<u8> {
    let text = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    let mut out = Vec::new();
    text(&mut out, "permanence-audit-entry v1");
    out.extend_from_slice(&signed_by.to_be_bytes());
    out.extend_from_slice(&entry.to_be_bytes());
    text(&mut out, hash);
    out
}

/// Issue 16: every export carries its audit head signed by the exporter, and every account's
/// signing keys (with their history: a reset retires a key, kept), so that the head verifies
/// from the export alone and a log or keys rewritten later contradict it. On the file only: a
/// reset re-keys, which a server refuses until its rotation is built (docs/postgres-status.md).
#[test]
fn every_export_carries_the_signed_head_and_the_accounts_keys() {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let dir = tempfile::tempdir().unwrap();
    let shift = fixture(&db_in(dir.path()).into());
    let db = db_in(dir.path());
    let mut supervisor = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    supervisor
        .set_passphrase(LISTENER, "quatre poires jaunes", permanence::store::KdfParams::MINIMUM)
        .unwrap();
    let config = Config::default();
    let request = ScopeRequest::Shift(shift);
    let coord = supervisor.actor().id.0;

    let json_path = dir.path().join("shift.json");
    write_summary(&mut supervisor, &config, &db, request, SummaryFormat::Json, Some(&json_path), false)
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let head = &json["audit_head"];
    assert_eq!(head["signed_by"], coord, "the export's own entry, signed by who exported");
    let keys = head["signing_keys"].as_array().unwrap();
    let logins: Vec<(&str, bool)> =
        keys.iter().map(|k| (k["login"].as_str().unwrap(), k["valid_until"].is_null())).collect();
    assert_eq!(logins, [(SUPERVISOR, true), (LISTENER, false), (LISTENER, true)], "{keys:?}");
    for key in keys {
        assert!(key["valid_from"].as_str().unwrap().ends_with('Z'), "UTC, RFC 3339: {key}");
        assert_eq!(key["signing_key"].as_str().unwrap().len(), 64);
    }
    // The head verifies with the exporter's key, from the export alone.
    let key_hex = keys[0]["signing_key"].as_str().unwrap();
    let key = VerifyingKey::from_bytes(&hex::decode(key_hex).unwrap().try_into().unwrap()).unwrap();
    let signature =
        Signature::from_slice(&hex::decode(head["signature"].as_str().unwrap()).unwrap()).unwrap();
    let message = documented_message(coord, head["entry"].as_i64().unwrap(), head["hash"].as_str().unwrap());
    key.verify(&message, &signature).expect("the head's signature verifies with the key in the export");
    let forged = documented_message(coord, head["entry"].as_i64().unwrap(), &"0".repeat(64));
    assert!(key.verify(&forged, &signature).is_err());

    let csv_path = dir.path().join("shift.csv");
    write_summary(&mut supervisor, &config, &db, request, SummaryFormat::Csv, Some(&csv_path), false)
        .unwrap();
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let column = |name: &str| &row[headers.iter().position(|h| h == name).unwrap()];
    assert_eq!(column("audit_signed_by"), coord.to_string());
    assert_eq!(column("audit_signing_key"), key_hex, "the key that signed the head");
    let signature = Signature::from_slice(&hex::decode(column("audit_signature")).unwrap()).unwrap();
    let entry: i64 = column("audit_entry").parse().unwrap();
    key.verify(&documented_message(coord, entry, column("audit_hash")), &signature).unwrap();

    let md_path = dir.path().join("shift.md");
    write_summary(&mut supervisor, &config, &db, request, SummaryFormat::Markdown, Some(&md_path), false)
        .unwrap();
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.contains(&format!("Signée par {SUPERVISOR} (compte n° {coord}), Ed25519 : ")), "{md}");
    assert!(md.contains("Clés de signature des comptes (Ed25519)"), "{md}");
    assert!(md.contains(&format!("- {SUPERVISOR} (compte n° {coord}) : {key_hex}, depuis le ")), "{md}");
    assert_eq!(
        md.matches(&format!("- {LISTENER} (compte n° ")).count(),
        2,
        "her old key and her new one: {md}"
    );
    assert!(supervisor.check().unwrap().is_clean());
}

const ADDRESS_CANARY: &str = "canary-reply-7f3a@exemple.fr";

/// Issue 22: contacts in writing. To the fixture's three calls (10, 20 and 1 minutes) Camille
/// adds an e-mail open three hours with 25 minutes spent on it (a reply due by e-mail), a
/// 15-minute chat, and a 5-minute contact on a channel a config added ("visio"). Figures by
/// channel; the e-mail's time spent counted apart from the calls' lengths; the reply's address
/// in no export and gone once the reply is cancelled.
#[test]
fn written_contacts_are_counted_by_channel_their_time_apart_and_their_address_never_leaves() {
    on_each_backend(
        "written_contacts_are_counted_by_channel_their_time_apart_and_their_address_never_leaves",
        |backend| {
            use permanence::domain::callback::Address;
            use permanence::domain::channel::{AddressKind, ChannelEntry, ChannelKind};
            let dir = &backend.dir;
            let shift = fixture(&backend.db);
            let db = &backend.local;
            let mut store = Store::open(&backend.db, LISTENER, LISTENER_PASS).unwrap();
            let file = store.create_file(&FileProfile::default()).unwrap();
            let start = Utc::now() - Duration::hours(4);
            let contact = |channel: &str, open: i64, time_spent: Option<i64>| NewCall {
                shift_id: shift,
                started_at: start,
                ended_at: start + Duration::minutes(open),
                call_type: CallType::Listening,
                time_spent,
                record: CallRecord {
                    channel: channel.into(),
                    caller_file_id: Some(file.id),
                    outcome: Some(Outcome::Supported),
                    ..CallRecord::default()
                },
            };
            let mut reply = CallbackRequest::with_consent(
                true,
                Utc::now() + Duration::hours(20),
                Priority::Normal,
                Address::parse(AddressKind::Email, ADDRESS_CANARY).unwrap(),
                Assignee::Anyone,
                String::new(),
            )
            .unwrap();
            reply.channel = "email".into();
            store.save_call_with_callback(&contact("email", 180, Some(25 * 60)), Some(&reply)).unwrap();
            store.save_call(&contact("chat", 15, None)).unwrap();
            store.save_call(&contact("visio", 5, None)).unwrap();

            let request = ScopeRequest::Shift(shift);
            let summary = store.summary(request, Utc::now()).unwrap();
            assert_eq!(summary.calls, 6, "every contact");
            assert_eq!(
                summary.total_seconds,
                (10 + 20 + 1 + 15 + 5) * 60,
                "the e-mail's three hours are not a call's"
            );
            assert_eq!(summary.median_seconds, 10 * 60, "of 1, 5, 10, 15 and 20 minutes");
            assert_eq!(
                (summary.written.contacts, summary.written.total_seconds, summary.written.median_seconds),
                (1, 25 * 60, 25 * 60)
            );
            let by_channel: Vec<_> =
                summary.by_channel.iter().map(|(id, c)| (id.as_str(), c.contacts, c.seconds)).collect();
            assert_eq!(
                by_channel,
                [("chat", 1, 15 * 60), ("email", 1, 25 * 60), ("phone", 3, 31 * 60), ("visio", 1, 5 * 60)]
            );
            let callbacks = store.callbacks_of_file(file.id).unwrap();
            assert_eq!(callbacks[0].channel, "email");
            assert_eq!(callbacks[0].callback_number.as_ref().map(Address::as_str), Some(ADDRESS_CANARY));

            // Every export: the figures by channel, and never the address.
            let config = Config::default();
            let json_path = dir.path().join("s.json");
            write_summary(&mut store, &config, db, request, SummaryFormat::Json, Some(&json_path), false)
                .unwrap();
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
            assert_eq!(json["version"], 2);
            assert_eq!(json["summary"]["by_channel"]["email"]["contacts"], 1);
            assert_eq!(json["summary"]["written"]["total_seconds"], 25 * 60);
            let email = json["calls"].as_array().unwrap().iter().find(|c| c["channel"] == "email").unwrap();
            assert_eq!(
                (email["seconds"].as_i64(), email["time_spent"].as_i64()),
                (Some(180 * 60), Some(25 * 60))
            );
            let csv_path = dir.path().join("s.csv");
            write_summary(&mut store, &config, db, request, SummaryFormat::Csv, Some(&csv_path), false)
                .unwrap();
            let mut reader = csv::Reader::from_path(&csv_path).unwrap();
            let headers = reader.headers().unwrap().clone();
            let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
            let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            let channels: Vec<&str> = rows.iter().map(|r| &r[column("channel")]).collect();
            assert_eq!(channels, ["email", "chat", "visio", "phone", "phone", "phone"]);
            assert_eq!(&rows[0][column("time_spent")], "1500");
            assert_eq!(&rows[1][column("time_spent")], "", "a chat is timed from start to end");
            let md_path = dir.path().join("s.md");
            write_summary(&mut store, &config, db, request, SummaryFormat::Markdown, Some(&md_path), false)
                .unwrap();
            let md = std::fs::read_to_string(&md_path).unwrap();
            assert!(md.contains("6 appels · durée totale 51 min · médiane 10 min"), "{md}");
            assert!(
                md.contains("dont 1 écrit (e-mail, courrier), compté à part : temps passé 25 min"),
                "{md}"
            );
            assert!(
                md.contains("Par canal : chat 1 · e-mail 1 · téléphone 3 · visio 1"),
                "an unknown id as itself: {md}"
            );
            // A config that adds the channel names it.
            let visio = ChannelEntry {
                id: "visio".into(),
                kind: ChannelKind::Conversation,
                address: AddressKind::Text,
                label_fr: "visioconférence".into(),
                label_en: "video call".into(),
            };
            let named = Config { channels: vec![visio], ..Config::default() };
            let md_path = dir.path().join("named.md");
            write_summary(&mut store, &named, db, request, SummaryFormat::Markdown, Some(&md_path), false)
                .unwrap();
            assert!(std::fs::read_to_string(&md_path).unwrap().contains("téléphone 3 · visioconférence 1"));
            assert!(
                found_in_dir(dir.path(), ADDRESS_CANARY.as_bytes()).is_empty(),
                "the address is in no export"
            );

            // Like a callback number, the address goes with the reply's closing.
            store.cancel_callback(callbacks[0].id, None, "a répondu elle-même").unwrap();
            assert_eq!(store.callbacks_of_file(file.id).unwrap()[0].callback_number, None);
        },
    );
}
