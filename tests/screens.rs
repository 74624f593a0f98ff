//! Every screen and popup drawn on ratatui's TestBackend, at 80×24 and 160×48, in French and
//! English, kept as insta snapshots; and the styles that carry meaning, asserted on cells.

use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};

use permanence::app::App;
use permanence::app::effect::{AfterShift, Effect, FileView, Outage, Reply, Unlocked};
use permanence::app::popup::Popup;
use permanence::config::Config;
use permanence::domain::assessment::Situation;
use permanence::domain::assessment::{Rud, RudLevel};
use permanence::domain::call::{Call, CallRecord, CallType, Outcome};
use permanence::domain::callback::{
    Address, Assignee, Attempt, AttemptResult, Callback, CallbackStatus, PhoneNumber, Priority, QueueEntry,
};
use permanence::domain::caller_file::{
    AgeBand, CallerFile, CallerRelation, Closure, Departement, FileCode, FileEvent, FileEventKind,
    FileFilter, FileHit, FileProfile, FileStatus, Gender,
};
use permanence::domain::channel::AddressKind;
use permanence::domain::listener::Role;
use permanence::domain::phone::{CallerHistory, NumberHash};
use permanence::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use permanence::domain::shift::OnShift;
use permanence::domain::shift::Shift;
use permanence::domain::summary::{
    CallbackCounts, ChannelCounts, FileCounts, LevelCounts, PromptCount, RudCounts, Scope, Summary,
    WrittenCounts,
};
use permanence::domain::{Access, CallId, CallbackId, FileId, ListenerId, ShiftId};
use permanence::i18n::Language;
use permanence::i18n::Strings;
use permanence::phone::{CallerNumber, LineId, PhoneEvent};
use permanence::test_support::{self, camille};
use permanence::ui;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];
const LANGUAGES: [Language; 2] = [Language::Fr, Language::En];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 14, 5, 0).unwrap()
}

fn app(language: Language, logins: &[&str]) -> App {
    app_at(language, logins, now())
}

fn app_at(language: Language, logins: &[&str], at: DateTime<Utc>) -> App {
    let mut app = App::new(
        Config { language, ..Config::default() },
        Strings::get(language),
        logins.iter().map(|l| (*l).to_owned()).collect(),
        at,
    );
    app.colors = true;
    app
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn ctrl(app: &mut App, c: char) {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

fn type_text(app: &mut App, text: &str) {
    text.chars().for_each(|c| press(app, KeyCode::Char(c)));
}

fn queue() -> Vec<QueueEntry> {
    let entry = |id, code: &str, minutes, priority, assignee, name: Option<&str>, attempts| QueueEntry {
        flagged: attempts >= 3,
        note: if id == 1 { "Après 18h de préférence".into() } else { String::new() },
        priority,
        assignee,
        assignee_name: name.map(str::to_owned),
        attempts,
        // A reply due by SMS among the callbacks.
        channel: if id == 3 { "sms".into() } else { "phone".into() },
        ..test_support::queue_entry(id, id + 20, code, now() + Duration::minutes(minutes))
    };
    vec![
        entry(1, "NNU-557", -50, Priority::Urgent, Assignee::Anyone, None, 1),
        entry(2, "JDD-775", 20, Priority::High, Assignee::Listener(ListenerId(2)), Some("Camille"), 0),
        entry(3, "TEP-476", 600, Priority::Normal, Assignee::Listener(ListenerId(3)), Some("Sacha"), 0),
        entry(4, "RAM-338", 1400, Priority::High, Assignee::Listener(ListenerId(3)), Some("Sacha"), 3),
    ]
}

fn unlocked(language: Language) -> App {
    unlocked_with(language, Access::ReadWrite)
}

fn unlocked_with(language: Language, access: Access) -> App {
    unlocked_at(language, access, now())
}

/// Camille unlocked at `at`, her shift open for 95 minutes, with the queue.
fn unlocked_at(language: Language, access: Access, at: DateTime<Utc>) -> App {
    let mut app = app_at(language, &["coord", "camille"], at);
    let unlocked = Unlocked { access, queue: queue(), ..test_support::unlocked(camille(Role::Listener)) };
    app.apply(Reply::Unlocked(Box::new(unlocked)));
    app.apply(Reply::ShiftStarted(test_support::shift(7, at - Duration::minutes(95))));
    app
}

fn file_view() -> FileView {
    let call = |id, days, call_type, notes: &str, rud| Call {
        id: CallId(id),
        shift_id: ShiftId(3),
        // The newest call is Camille's own (she may amend its notes), the other Sacha's.
        listener_id: ListenerId(if id == 2 { 2 } else { 3 }),
        started_at: now() - Duration::days(days),
        ended_at: now() - Duration::days(days) + Duration::minutes(25),
        call_type,
        time_spent: None,
        record: CallRecord {
            channel: "phone".into(),
            caller_file_id: Some(FileId(9)),
            themes: vec!["isolement".into()],
            notes: notes.into(),
            rud,
            orientations: vec!["3114".into()],
            outcome: Some(Outcome::Oriented),
            prompts: vec![PromptRecord {
                number: "3114".into(),
                rule: "suicidal_ideation".into(),
                raised_at: now() - Duration::days(days),
                acknowledgement: Some(Acknowledgement {
                    at: now() - Duration::days(days),
                    outcome: PromptOutcome::NumberGiven,
                    note: None,
                }),
            }],
            situations: vec![Situation::SuicidalIdeation],
            performs_callback: None,
            phone: None,
            save_token: None,
        },
    };
    // The last call: violence against a woman, 3919 not relevant (and why), no RUD rated, so
    // the banner's last RUD is the older call's.
    // It came by e-mail: 40 minutes spent on the reply, shown in the history.
    let mut last = call(2, 2, CallType::Listening, "Écrit comme convenu, ton plus posé.", Rud::default());
    last.record.channel = "email".into();
    last.time_spent = Some(40 * 60);
    last.record.outcome = Some(Outcome::Supported);
    last.record.situations = vec![Situation::ViolenceAgainstWoman];
    last.record.orientations = Vec::new();
    last.record.prompts = vec![PromptRecord {
        number: "3919".into(),
        rule: "violence_against_woman".into(),
        raised_at: now() - Duration::days(2),
        acknowledgement: Some(Acknowledgement {
            at: now() - Duration::days(2),
            outcome: PromptOutcome::NotRelevant,
            note: Some("déjà suivie par une association".into()),
        }),
    }];
    FileView {
        file: CallerFile {
            status: FileStatus::FollowUp,
            profile: FileProfile {
                age_band: Some(AgeBand::From40To59),
                gender: Some(Gender::Woman),
                departement: Some(Departement::parse("69").unwrap()),
                relation: Some(CallerRelation::PersonConcerned),
                situation_summary: "Personne isolée, appels réguliers en soirée.".into(),
                instructions: "Préfère parler à une écoutante.".into(),
            },
            last_contact_at: Some(now() - Duration::days(2)),
            ..test_support::caller_file(9, "KAT-472", now() - Duration::days(40))
        },
        history: vec![
            last,
            call(
                1,
                12,
                CallType::Crisis,
                "Premier appel, idées noires sans projet.",
                Rud {
                    risk: Some(RudLevel::Medium),
                    urgency: Some(RudLevel::Medium),
                    danger: Some(RudLevel::Low),
                },
            ),
        ],
        events: vec![
            FileEvent {
                at: now() - Duration::days(20),
                listener_id: Some(ListenerId(3)),
                kind: FileEventKind::Reopened,
                reason: "Rappelle, la situation a changé".into(),
                caller_agreed: None,
            },
            FileEvent {
                at: now() - Duration::days(30),
                listener_id: Some(ListenerId(3)),
                kind: FileEventKind::Closed,
                reason: "Situation apaisée".into(),
                caller_agreed: Some(true),
            },
        ],
        callbacks: vec![
            Callback {
                channel: "phone".into(),
                id: CallbackId(4),
                caller_file_id: FileId(9),
                origin_call_id: Some(CallId(2)),
                due_at: now() + Duration::hours(20),
                priority: Priority::High,
                callback_number: Some(PhoneNumber::parse("06 00 00 00 00").unwrap().into()),
                assignee: Assignee::Anyone,
                status: CallbackStatus::Pending,
                note: "En fin d'après-midi".into(),
                created_at: now() - Duration::days(2),
                closed_at: None,
                closed_reason: None,
                version: 2,
                flagged: false,
                attempts: vec![Attempt {
                    at: now() - Duration::hours(3),
                    listener_id: ListenerId(3),
                    result: AttemptResult::NoAnswer,
                    call_id: None,
                }],
            },
            // Overdue and urgent: the store lists it after the later one, the pane before. A
            // reply due by e-mail, to the address the person wrote from.
            Callback {
                channel: "email".into(),
                id: CallbackId(5),
                caller_file_id: FileId(9),
                origin_call_id: Some(CallId(2)),
                due_at: now() - Duration::minutes(50),
                priority: Priority::Urgent,
                callback_number: Some(Address::parse(AddressKind::Email, "personne@exemple.fr").unwrap()),
                assignee: Assignee::Anyone,
                status: CallbackStatus::Pending,
                note: "Avant 15 h".into(),
                created_at: now() - Duration::days(2),
                closed_at: None,
                closed_reason: None,
                version: 0,
                flagged: false,
                attempts: Vec::new(),
            },
        ],
        authors: [(ListenerId(2), "Camille".to_owned()), (ListenerId(3), "Sacha".to_owned())].into(),
    }
}

/// Camille on a call linked to KAT-472, with notes, RUD, themes and an orientation.
fn in_call(language: Language) -> App {
    let mut app = unlocked(language);
    app.now = now() - Duration::minutes(12);
    press(&mut app, KeyCode::Char('n'));
    app.now = now();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "Appelle depuis sa cuisine, parle de sa fille qui ne répond plus.");
    press(&mut app, KeyCode::Esc);
    app.apply(Reply::FileLoaded(Box::new(file_view())));
    app.session.as_mut().unwrap().call.as_mut().unwrap().file = Some(FileId(9));
    app.session.as_mut().unwrap().call.as_mut().unwrap().rud =
        Rud { risk: Some(RudLevel::Medium), urgency: Some(RudLevel::Low), danger: None };
    app.session.as_mut().unwrap().call.as_mut().unwrap().themes = vec!["isolement".into(), "famille".into()];
    app.apply(Reply::DraftSaved(now()));
    app
}

/// Camille answering an e-mail (`w`, the first written channel) for 12 minutes, linked to
/// KAT-472, with notes and themes.
fn in_written_contact(language: Language) -> App {
    let mut app = unlocked(language);
    app.now = now() - Duration::minutes(12);
    press(&mut app, KeyCode::Char('w'));
    press(&mut app, KeyCode::Enter);
    app.now = now();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "Écrit la nuit, ne veut pas téléphoner. Réponse rédigée avec elle.");
    press(&mut app, KeyCode::Esc);
    app.apply(Reply::FileLoaded(Box::new(file_view())));
    app.session.as_mut().unwrap().call.as_mut().unwrap().file = Some(FileId(9));
    app.session.as_mut().unwrap().call.as_mut().unwrap().themes = vec!["isolement".into()];
    app.apply(Reply::DraftSaved(now()));
    app
}

/// `in_call`, then these keys.
fn in_call_then(language: Language, keys: &[KeyCode]) -> App {
    let mut app = in_call(language);
    keys.iter().for_each(|key| press(&mut app, *key));
    app
}

/// The grid rated urgency high: 15 and 112 are prompted, the banner is up.
fn with_life_risk_prompt(language: Language) -> App {
    in_call_then(language, &[KeyCode::Char('r'), KeyCode::Down, KeyCode::Char('3'), KeyCode::Enter])
}

/// The caller cannot speak and violence is happening now: 17 and 114, whose advice and
/// channel must be read whole (issue 14: a bare "114" at 80×24).
fn with_114_prompt(language: Language) -> App {
    let down = KeyCode::Down;
    let tick = KeyCode::Char(' ');
    in_call_then(language, &[KeyCode::Char('u'), down, tick, down, down, tick, KeyCode::Enter])
}

/// Every life-risk situation at once and the grid at urgency élevé: the longest banner.
fn with_every_life_risk_prompt(language: Language) -> App {
    let (down, tick) = (KeyCode::Down, KeyCode::Char(' '));
    let mut app = with_life_risk_prompt(language);
    let keys = [KeyCode::Char('u'), tick, down, tick, down, tick, down, tick, KeyCode::Enter];
    keys.iter().for_each(|key| press(&mut app, *key));
    app
}

/// `in_call` with the file pane focused, then these keys.
fn in_file_pane_then(language: Language, keys: &[KeyCode]) -> App {
    let mut app = in_call(language);
    app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
    keys.iter().for_each(|key| press(&mut app, *key));
    app
}

/// Figures of Camille's shift, as the store would compute them.
fn summary() -> Summary {
    Summary {
        scope: Scope::Shift {
            id: ShiftId(7),
            listener_id: ListenerId(2),
            listener: "Camille".into(),
            from: now() - Duration::minutes(95),
            to: now(),
        },
        generated_at: now(),
        calls: 6,
        total_seconds: 4380,
        median_seconds: 540,
        // One e-mail answered (25 minutes spent, counted apart) and one chat among the calls.
        by_channel: [
            ("phone".to_owned(), ChannelCounts { contacts: 4, seconds: 3180 }),
            ("chat".to_owned(), ChannelCounts { contacts: 1, seconds: 1200 }),
            ("email".to_owned(), ChannelCounts { contacts: 1, seconds: 1500 }),
        ]
        .into(),
        written: WrittenCounts { contacts: 1, total_seconds: 1500, median_seconds: 1500 },
        by_type: [(CallType::Listening, 3), (CallType::Crisis, 1), (CallType::Silent, 2)].into(),
        by_theme: [("isolement".to_owned(), 3), ("deuil".to_owned(), 1)].into(),
        by_outcome: [(Outcome::Supported, 2), (Outcome::Oriented, 2)].into(),
        rud: RudCounts {
            risk: LevelCounts { low: 1, medium: 2, high: 0, not_assessed: 3 },
            urgency: LevelCounts { low: 2, medium: 1, high: 1, not_assessed: 2 },
            danger: LevelCounts { low: 2, medium: 0, high: 0, not_assessed: 4 },
        },
        prompts: vec![
            PromptCount { number: "15".into(), outcome: Some("service_contacted".into()), count: 1 },
            PromptCount { number: "3114".into(), outcome: Some("number_given".into()), count: 2 },
        ],
        callbacks: CallbackCounts { created: 2, done: 1, pending: 3, overdue: 1 },
        files: FileCounts { opened: 1, closed: 1 },
        phone: permanence::domain::phone::Offered::new(6, 2),
    }
}

fn statistics_screen(language: Language, presses: &[KeyCode]) -> App {
    let mut app = unlocked(language);
    app.session.as_mut().unwrap().actor.role = Role::Supervisor;
    press(&mut app, KeyCode::F(6));
    for code in presses {
        press(&mut app, *code);
    }
    let Some(Popup::Statistics(view)) = app.session.as_ref().unwrap().popups.last() else {
        panic!("the statistics screen is open")
    };
    let (period, seq) = (view.period, view.seq);
    app.apply(Reply::Statistics { seq, figures: Box::new(test_support::statistics(period)) });
    app
}

/// Longer than the notes editor is wide at 160 columns, and twice as long as at 80.
const LONG_NOTE: &str = " Elle dit qu'elle n'a plus personne à qui parler le soir depuis que sa fille ne \
    répond plus, qu'elle reste devant la fenêtre jusqu'à minuit et qu'elle n'ose pas appeler son médecin.";

type Scenario = (&'static str, fn(Language) -> App);

fn scenarios() -> Vec<Scenario> {
    vec![
        ("unlock", |l| {
            let mut app = app(l, &["coord", "camille", "sacha"]);
            app.demo_accounts = vec![("coord".into(), "lune verte soixante".into())];
            press(&mut app, KeyCode::Down);
            type_text(&mut app, "mauvaise");
            app.apply(Reply::UnlockFailed {
                message: Strings::get(l).error_wrong_passphrase.clone(),
                retry_in: None,
            });
            type_text(&mut app, "trois");
            app
        }),
        ("setup", |l| {
            let mut app = app(l, &[]);
            type_text(&mut app, "coord");
            press(&mut app, KeyCode::Enter);
            type_text(&mut app, "Dominique");
            press(&mut app, KeyCode::Enter);
            type_text(&mut app, "court");
            app
        }),
        ("locked_during_call", |l| {
            let mut app = in_call(l);
            ctrl(&mut app, 'l');
            app
        }),
        ("main_idle", unlocked),
        // The centre's server gone mid-call: said in the status bar, the draft kept here.
        ("server_unreachable", |l| {
            let mut app = in_call(l);
            app.apply(Reply::DraftKept { at: now(), outage: Outage::Unreachable });
            app
        }),
        // Its primary gone and only a standby answering (a failover under way): said so.
        ("server_standby_only", |l| {
            let mut app = in_call(l);
            app.apply(Reply::DraftKept { at: now(), outage: Outage::StandbyOnly });
            app
        }),
        // A message too long for the line: its own row, shortened with "…" only past the
        // whole width; the fields on the right stay apart, after "│".
        ("status_long_message", |l| in_call_then(l, &[KeyCode::Char('2')])),
        // A short one stays in the line, before the "│".
        ("status_short_message", |l| {
            let mut app = unlocked(l);
            ctrl(&mut app, 'o');
            app
        }),
        // A closed shift is good news on the unlock screen: ✓, not ✗.
        ("shift_closed", |l| {
            let mut app = unlocked(l);
            press(&mut app, KeyCode::F(10));
            app.apply(Reply::ShiftEnded {
                written: Ok("/srv/permanence/shift-7.md".into()),
                after: AfterShift::Lock,
            });
            app
        }),
        ("main_call", in_call),
        ("main_call_typing", |l| in_call_then(l, &[KeyCode::Enter])),
        // A line longer than the pane wraps: its start stays on screen, the cursor at its end.
        ("notes_wrap", |l| {
            let mut app = in_call_then(l, &[KeyCode::Enter]);
            type_text(&mut app, LONG_NOTE);
            app
        }),
        ("file_pane", |l| {
            let mut app = in_call(l);
            app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
            app
        }),
        ("file_pane_older_call", |l| in_file_pane_then(l, &[KeyCode::Down])),
        ("repeat_caller", |l| {
            // Linking the call to a file with earlier calls: the banner comes first.
            let mut app = unlocked(l);
            press(&mut app, KeyCode::Char('n'));
            app.session.as_mut().unwrap().call.as_mut().unwrap().file = Some(FileId(9));
            app.apply(Reply::FileLoaded(Box::new(file_view())));
            app
        }),
        ("search_from_anywhere_filtered", |l| {
            let mut app = unlocked(l);
            ctrl(&mut app, 'f');
            type_text(&mut app, "isol");
            press(&mut app, KeyCode::Tab);
            press(&mut app, KeyCode::Right);
            press(&mut app, KeyCode::Right);
            press(&mut app, KeyCode::Tab);
            type_text(&mut app, "69");
            app.apply(Reply::FileHits {
                filter: FileFilter {
                    status: Some(FileStatus::FollowUp),
                    departement: Some(Departement::parse("69").unwrap()),
                },
                query: "isol".into(),
                hits: vec![FileHit {
                    last_contact_at: Some(now() - Duration::days(2)),
                    summary: "Personne isolée, appels réguliers en soirée.".into(),
                    ..test_support::file_hit(9, "KAT-472", FileStatus::FollowUp)
                }],
            });
            app
        }),
        ("file_form", |l| {
            let mut app = in_file_pane_then(l, &[KeyCode::Char('e'), KeyCode::Down, KeyCode::Down]);
            press(&mut app, KeyCode::Down);
            press(&mut app, KeyCode::Down);
            type_text(&mut app, "7");
            press(&mut app, KeyCode::Enter);
            app
        }),
        ("close_file", |l| {
            let mut app = in_file_pane_then(l, &[KeyCode::Char('x')]);
            type_text(&mut app, "Situation apaisée, ne souhaite plus de suivi");
            press(&mut app, KeyCode::Enter);
            app
        }),
        ("reopen_file", |l| {
            let mut app = in_call(l);
            let mut closed = file_view();
            closed.file.status = FileStatus::Closed;
            closed.file.closure = Some(Closure { reason: "Situation apaisée".into(), caller_agreed: true });
            app.apply(Reply::FileLoaded(Box::new(closed)));
            press(&mut app, KeyCode::Enter); // past the repeat-caller banner
            app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
            press(&mut app, KeyCode::Char('r'));
            type_text(&mut app, "Rappelle");
            app
        }),
        ("amend_notes", |l| {
            let mut app = in_file_pane_then(l, &[KeyCode::Char('m')]);
            type_text(&mut app, " Corrigé.");
            press(&mut app, KeyCode::Esc);
            app
        }),
        ("amend_notes_wrap", |l| {
            let mut app = in_file_pane_then(l, &[KeyCode::Char('m')]);
            type_text(&mut app, LONG_NOTE);
            app
        }),
        ("file_pane_long_notes", |l| {
            let mut app = in_file_pane_then(l, &[]);
            let view = app.session.as_mut().unwrap().file.as_mut().unwrap();
            view.history[0].record.notes = format!("Rappelle comme convenu.{LONG_NOTE}");
            app
        }),
        ("callback_from_file", |l| {
            let mut app = in_file_pane_then(l, &[KeyCode::Char('b')]);
            type_text(&mut app, "demain 9h30");
            press(&mut app, KeyCode::Down);
            press(&mut app, KeyCode::Right);
            press(&mut app, KeyCode::Down);
            type_text(&mut app, "06 39 98");
            press(&mut app, KeyCode::Down);
            press(&mut app, KeyCode::Char(' '));
            press(&mut app, KeyCode::Down);
            press(&mut app, KeyCode::Right);
            press(&mut app, KeyCode::Right);
            press(&mut app, KeyCode::Down);
            type_text(&mut app, "plutôt le matin");
            app
        }),
        ("perform_callback", |l| {
            let mut app = unlocked(l);
            app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
            press(&mut app, KeyCode::Enter);
            let mut callback = file_view().callbacks.remove(0);
            callback.due_at = now() - Duration::minutes(50);
            app.apply(Reply::CallbackTaken(Box::new(callback)));
            app
        }),
        ("perform_reply", |l| {
            let mut app = unlocked(l);
            app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
            press(&mut app, KeyCode::Enter);
            app.apply(Reply::CallbackTaken(Box::new(file_view().callbacks.remove(1))));
            app
        }),
        // This month (days: two sparklines, this year's and last year's), first page.
        ("statistics_month", |l| statistics_screen(l, &[])),
        // This month's heat map (page 2 at 80×24).
        ("statistics_heat_map", |l| statistics_screen(l, &[KeyCode::Down])),
        // This year: months, bar charts against last year.
        ("statistics_year", |l| statistics_screen(l, &[KeyCode::Right, KeyCode::Right])),
        // Contacts by channel (page 3), then the phone by hour (page 4).
        ("statistics_channels_phone", |l| statistics_screen(l, &[KeyCode::Down, KeyCode::Down])),
        ("statistics_phone", |l| statistics_screen(l, &[KeyCode::Down; 3])),
        // Who calls, then the RUD grid and the callbacks.
        ("statistics_who_calls", |l| statistics_screen(l, &[KeyCode::Down; 6])),
        ("statistics_typing_dates", |l| {
            let mut app = statistics_screen(l, &[]);
            press(&mut app, KeyCode::Char('d'));
            type_text(&mut app, "01/03/2026 31/02");
            press(&mut app, KeyCode::Enter);
            app
        }),
        ("supervisor_view", |l| {
            let mut app = unlocked(l);
            app.session.as_mut().unwrap().actor.role = Role::Supervisor;
            press(&mut app, KeyCode::F(5));
            app.apply(Reply::Overview(vec![
                OnShift {
                    shift_id: ShiftId(7),
                    listener_id: ListenerId(2),
                    name: "Camille".into(),
                    shift_started_at: now() - Duration::minutes(95),
                    calls: 4,
                    prompts_raised: 1,
                    on_call_since: None,
                    prompts_waiting: 0,
                    left: None,
                },
                OnShift {
                    shift_id: ShiftId(6),
                    listener_id: ListenerId(3),
                    name: "Sacha".into(),
                    shift_started_at: now() - Duration::hours(3),
                    calls: 7,
                    prompts_raised: 3,
                    on_call_since: Some(now() - Duration::minutes(18)),
                    prompts_waiting: 1,
                    left: None,
                },
            ]));
            press(&mut app, KeyCode::Down);
            app
        }),
        // Sacha quit without ending her shift (her terminal is gone), in the middle of a call
        // whose draft is kept: not "available", not "on a call"; chosen with ←→ to close it.
        ("supervisor_view_someone_left", |l| {
            let mut app = unlocked(l);
            app.session.as_mut().unwrap().actor.role = Role::Supervisor;
            press(&mut app, KeyCode::F(5));
            app.apply(Reply::Overview(vec![
                OnShift {
                    shift_id: ShiftId(7),
                    listener_id: ListenerId(2),
                    name: "Camille".into(),
                    shift_started_at: now() - Duration::minutes(95),
                    calls: 4,
                    prompts_raised: 1,
                    on_call_since: None,
                    prompts_waiting: 0,
                    left: None,
                },
                OnShift {
                    shift_id: ShiftId(6),
                    listener_id: ListenerId(3),
                    name: "Sacha".into(),
                    shift_started_at: now() - Duration::hours(3),
                    calls: 7,
                    prompts_raised: 2,
                    on_call_since: Some(now() - Duration::minutes(58)),
                    prompts_waiting: 0,
                    left: Some(now() - Duration::minutes(41)),
                },
            ]));
            for key in [KeyCode::Right, KeyCode::Right, KeyCode::Right] {
                press(&mut app, key);
            }
            app
        }),
        ("end_of_shift_of_someone_gone", |l| {
            let mut app = unlocked(l);
            app.session.as_mut().unwrap().actor.role = Role::Supervisor;
            press(&mut app, KeyCode::F(5));
            app.apply(Reply::Overview(vec![OnShift {
                shift_id: ShiftId(6),
                listener_id: ListenerId(3),
                name: "Sacha".into(),
                shift_started_at: now() - Duration::hours(3),
                calls: 7,
                prompts_raised: 2,
                on_call_since: None,
                prompts_waiting: 0,
                left: Some(now() - Duration::minutes(41)),
            }]));
            for key in [KeyCode::Right, KeyCode::Right, KeyCode::Right, KeyCode::Char('c')] {
                press(&mut app, key);
            }
            let mut figures = summary();
            figures.scope = Scope::Shift {
                id: ShiftId(6),
                listener_id: ListenerId(3),
                listener: "Sacha".into(),
                from: now() - Duration::hours(3),
                to: now(),
            };
            app.apply(Reply::Summary(Box::new(figures)));
            type_text(&mut app, "Sacha partie sans clore, rien d'urgent.");
            app
        }),
        ("supervisor_view_flagged_for_sacha", |l| {
            let mut app = unlocked(l);
            app.session.as_mut().unwrap().actor.role = Role::Supervisor;
            press(&mut app, KeyCode::F(5));
            for key in
                [KeyCode::Right, KeyCode::Right, KeyCode::Right, KeyCode::Char('f'), KeyCode::Char('f')]
            {
                press(&mut app, key);
            }
            app
        }),
        ("reassign_callback", |l| {
            let mut app = unlocked(l);
            app.session.as_mut().unwrap().actor.role = Role::Supervisor;
            app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
            press(&mut app, KeyCode::Char('a'));
            press(&mut app, KeyCode::Down);
            app
        }),
        ("reschedule_callback", |l| {
            let mut app = unlocked(l);
            app.session.as_mut().unwrap().actor.role = Role::Supervisor;
            app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
            press(&mut app, KeyCode::Char('d'));
            type_text(&mut app, "hier");
            press(&mut app, KeyCode::Enter);
            app
        }),
        ("end_of_shift", |l| {
            let mut app = unlocked(l);
            press(&mut app, KeyCode::F(10));
            app.apply(Reply::Summary(Box::new(summary())));
            type_text(&mut app, "KAT-472 rappellera sans doute ce soir.");
            app
        }),
        ("end_of_shift_long_handover", |l| {
            let mut app = unlocked(l);
            press(&mut app, KeyCode::F(10));
            app.apply(Reply::Summary(Box::new(summary())));
            type_text(&mut app, LONG_NOTE.trim_start());
            app
        }),
        ("emergency_pane", |l| {
            let mut app = in_call(l);
            app.handle_key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::ALT));
            app
        }),
        ("callbacks_pane", |l| {
            let mut app = in_call(l);
            app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
            press(&mut app, KeyCode::Down);
            app
        }),
        // A listener's help: only the keys their role may use (no supervisor's view, no
        // statistics); a supervisor's lists those too.
        ("help", |l| {
            let mut app = unlocked(l);
            press(&mut app, KeyCode::F(1));
            app
        }),
        ("help_supervisor", |l| {
            let mut app = unlocked(l);
            app.session.as_mut().unwrap().actor.role = Role::Supervisor;
            press(&mut app, KeyCode::F(1));
            app
        }),
        ("emergency_card", |l| {
            let mut app = in_call(l);
            ctrl(&mut app, 'g');
            app
        }),
        ("pick_themes", |l| in_call_then(l, &[KeyCode::Char('t')])),
        ("emergency_banner", with_life_risk_prompt),
        ("emergency_banner_114", with_114_prompt),
        ("emergency_banner_every_number", with_every_life_risk_prompt),
        ("acknowledge_prompts", |l| {
            let mut app = with_life_risk_prompt(l);
            ctrl(&mut app, 'o');
            app
        }),
        ("pick_situations", |l| in_call_then(l, &[KeyCode::Char('u')])),
        ("pick_rud", |l| in_call_then(l, &[KeyCode::Char('r')])),
        ("search", |l| {
            let mut app = in_call(l);
            press(&mut app, KeyCode::Char('l'));
            type_text(&mut app, "kat");
            app.apply(Reply::FileHits {
                filter: Default::default(),
                query: "kat".into(),
                hits: vec![FileHit {
                    last_contact_at: Some(now() - Duration::days(2)),
                    summary: "Personne isolée, appels réguliers en soirée.".into(),
                    ..test_support::file_hit(9, "KAT-472", FileStatus::FollowUp)
                }],
            });
            app
        }),
        ("new_file_code", |l| {
            let mut app = in_call(l);
            app.apply(Reply::FileCreated(Box::new(file_view())));
            app
        }),
        ("end_call_confirm", |l| in_call_then(l, &[KeyCode::Char('e')])),
        ("end_call_type", |l| in_call_then(l, &[KeyCode::Char('e'), KeyCode::Enter])),
        ("callback_offer", |l| {
            in_call_then(l, &[KeyCode::Char('e'), KeyCode::Enter, KeyCode::Enter, KeyCode::Enter])
        }),
        ("callback_form", |l| {
            let mut app = in_call(l);
            press(&mut app, KeyCode::Char('e'));
            press(&mut app, KeyCode::Enter);
            press(&mut app, KeyCode::Enter);
            press(&mut app, KeyCode::Enter);
            press(&mut app, KeyCode::Enter);
            press(&mut app, KeyCode::Down);
            type_text(&mut app, "06 39 98");
            press(&mut app, KeyCode::Enter);
            app
        }),
        ("written_contact_channel", |l| {
            let mut app = unlocked(l);
            press(&mut app, KeyCode::Char('w'));
            press(&mut app, KeyCode::Down);
            app
        }),
        ("written_contact_running", in_written_contact),
        ("written_contact_end", |l| {
            let mut app = in_written_contact(l);
            press(&mut app, KeyCode::Char('e'));
            app
        }),
        ("written_contact_end_typed", |l| {
            let mut app = in_written_contact(l);
            press(&mut app, KeyCode::Char('e'));
            type_text(&mut app, "40");
            app
        }),
        ("written_contact_reply_form", |l| {
            let mut app = in_written_contact(l);
            for key in [KeyCode::Char('e'), KeyCode::Enter, KeyCode::Enter, KeyCode::Enter, KeyCode::Enter] {
                press(&mut app, key);
            }
            press(&mut app, KeyCode::Down);
            press(&mut app, KeyCode::Down);
            type_text(&mut app, "personne@exemple.fr");
            app
        }),
        ("confirm_quit", |l| {
            let mut app = in_call(l);
            ctrl(&mut app, 'q');
            app
        }),
        ("draft_recovery", |l| {
            let mut app = app(l, &["camille"]);
            let mut call = permanence::app::call_form::CallForm::new(now() - Duration::hours(20));
            call.notes.insert_str("notes d'avant");
            let handover = Shift {
                listener_id: ListenerId(3),
                ended_at: Some(now() - Duration::hours(4)),
                handover_note: Some("Deux rappels prévus demain matin.".into()),
                ..test_support::shift(6, now() - Duration::hours(8))
            };
            app.apply(Reply::Unlocked(Box::new(Unlocked {
                draft: Some(call.draft(ShiftId(6))),
                handover: Some(handover),
                queue: queue(),
                ..test_support::unlocked(camille(Role::Listener))
            })));
            app
        }),
        ("phone_ringing", |l| ringing_known(unlocked(l))),
        ("phone_on_the_line", |l| {
            let mut app = ringing_known(unlocked(l));
            app.phone_event(PhoneEvent::Answered { line: LineId("c1".into()), at: now() });
            type_text(&mut app, "Elle rappelle comme hier.");
            app
        }),
        ("phone_line_dropped_disconnected", |l| {
            let mut app = ringing_known(unlocked(l));
            app.phone_event(PhoneEvent::Answered {
                line: LineId("c1".into()),
                at: now() - Duration::minutes(9),
            });
            app.phone_event(PhoneEvent::Ended {
                line: LineId("c1".into()),
                at: now() - Duration::minutes(2),
                reason: permanence::phone::EndReason::HungUp,
            });
            app.phone_event(PhoneEvent::Disconnected);
            app
        }),
        ("shift_choice", |l| {
            let mut app = app(l, &["camille"]);
            let open_shift = Some(test_support::shift(6, now() - Duration::hours(3)));
            let unlocked = Unlocked { open_shift, ..test_support::unlocked(camille(Role::Supervisor)) };
            app.apply(Reply::Unlocked(Box::new(unlocked)));
            app
        }),
    ]
}

/// A phone connected, a call ringing for a minute from a number heard twice, on one file.
fn ringing_known(mut app: App) -> App {
    app.phone.enabled = true;
    app.phone_event(PhoneEvent::Connected);
    let line = LineId("c1".into());
    let number = CallerNumber::normalise("0612345678");
    app.phone_event(PhoneEvent::Incoming { line: line.clone(), number, at: now() - Duration::minutes(1) });
    let history = CallerHistory {
        calls: 2,
        last_at: Some(now() - Duration::days(3)),
        files: vec![(FileId(4), "KAT-472".into())],
    };
    app.apply(Reply::CallerRecognised { line, hash: NumberHash([1; 32]), history });
    app
}

#[test]
fn a_locked_screen_only_says_that_a_call_rings() {
    for (width, height) in SIZES {
        let mut app = ringing_known(unlocked(Language::Fr));
        ctrl(&mut app, 'l');
        let screen = render(&app, width, height).backend().to_string();
        assert!(screen.contains("Un appel sonne"), "{screen}");
        for secret in ["KAT-472", "fois", "numéro", "612345678"] {
            assert!(!screen.contains(secret), "{secret:?} shown while locked:\n{screen}");
        }
    }
}

fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::draw(frame, app)).unwrap();
    terminal
}

fn language_name(language: Language) -> &'static str {
    match language {
        Language::Fr => "fr",
        Language::En => "en",
    }
}

#[test]
fn every_screen_at_both_sizes_in_both_languages() {
    for (name, build) in scenarios() {
        for language in LANGUAGES {
            for (width, height) in SIZES {
                let app = build(language);
                let terminal = render(&app, width, height);
                insta::assert_snapshot!(
                    format!("{name}_{}_{width}x{height}", language_name(language)),
                    terminal.backend().to_string()
                );
            }
        }
    }
}

#[test]
fn read_only_media_and_a_full_disk_stay_in_the_status_bar() {
    let cases = [
        (Access::ReadOnly, Language::Fr, "LECTURE SEULE"),
        (Access::DiskFull, Language::Fr, "DISQUE PLEIN"),
        (Access::ReadOnly, Language::En, "READ-ONLY"),
    ];
    for (access, language, text) in cases {
        for (width, height) in SIZES {
            let app = unlocked_with(language, access);
            let terminal = render(&app, width, height);
            let (x, y) = find(terminal.backend().buffer(), text);
            assert_eq!(y, 0, "{text} in the status bar at {width}x{height}");
            let cell = &terminal.backend().buffer()[(x, y)];
            let danger =
                cell.fg == Color::Red || cell.bg == Color::Red || cell.modifier.contains(Modifier::REVERSED);
            assert!(danger, "{text} is shown as a danger: {cell:?}");
        }
    }
    let terminal = render(&unlocked(Language::Fr), 160, 48);
    let top: String = (0..160).map(|x| terminal.backend().buffer()[(x, 0)].symbol().to_owned()).collect();
    assert!(!top.contains("LECTURE SEULE") && !top.contains("DISQUE PLEIN"), "{top}");
}

#[test]
fn too_small_says_so() {
    let app = unlocked(Language::Fr);
    let terminal = render(&app, 50, 12);
    insta::assert_snapshot!("too_small_fr_50x12", terminal.backend().to_string());
}

fn find(buffer: &Buffer, text: &str) -> (u16, u16) {
    for y in 0..buffer.area.height {
        let row: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol().to_owned()).collect();
        if let Some(byte) = row.find(text) {
            return (row[..byte].chars().count() as u16, y);
        }
    }
    panic!("{text:?} not on screen");
}

#[test]
fn nothing_of_a_caller_is_drawn_when_locked() {
    for (width, height) in SIZES {
        let mut app = in_call(Language::Fr);
        ctrl(&mut app, 'l');
        let screen = render(&app, width, height).backend().to_string();
        for secret in ["cuisine", "KAT-472", "isolement", "Sacha", "NNU-557", "écoutante"] {
            assert!(!screen.contains(secret), "{secret:?} shown while locked");
        }
        assert!(screen.contains("12:00"), "the call timer keeps running");
    }
}

#[test]
fn meaning_is_in_the_styles() {
    let app = in_call(Language::Fr);
    let terminal = render(&app, 160, 48);
    let buffer = terminal.backend().buffer();
    // Overdue callbacks: white on red, bold.
    let (x, y) = find(buffer, "!! RETARD");
    assert_eq!(buffer[(x, y)].bg, Color::Red);
    assert!(buffer[(x, y)].modifier.contains(Modifier::BOLD));
    // Life-risk numbers stand out from orientation lines.
    let (x, y) = find(buffer, "3114 Prévention");
    assert_eq!(buffer[(x, y)].fg, Color::LightRed);
    let (x, y) = find(buffer, "119 Enfance");
    assert_ne!(buffer[(x, y)].fg, Color::LightRed);
    // The focused pane has a double border.
    let (x, y) = find(buffer, "1 Appel");
    assert_eq!(buffer[(x - 2, y)].symbol(), "╔");
}

#[test]
fn without_colour_meaning_stays() {
    let mut app = in_call(Language::Fr);
    app.colors = false;
    let terminal = render(&app, 160, 48);
    let buffer = terminal.backend().buffer();
    for y in 0..48 {
        for x in 0..160 {
            let cell = &buffer[(x, y)];
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "colour at {x},{y}");
        }
    }
    let (x, y) = find(buffer, "!! RETARD");
    assert!(buffer[(x, y)].modifier.contains(Modifier::REVERSED | Modifier::BOLD));
}

#[test]
fn the_life_risk_banner_is_red_across_the_screen_in_the_next_frame() {
    for (width, height) in SIZES {
        let app = with_life_risk_prompt(Language::Fr);
        let terminal = render(&app, width, height);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "⚠ 15 · 112");
        assert_eq!(y, 1, "right under the status bar");
        for column in [0, x, width - 1] {
            let cell = &buffer[(column, y)];
            assert_eq!((cell.fg, cell.bg), (Color::White, Color::Red), "column {column}");
            assert!(cell.modifier.contains(Modifier::BOLD));
        }
    }
    let mut app = with_life_risk_prompt(Language::En);
    app.colors = false;
    let terminal = render(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "!! ⚠ 15 · 112");
    assert!(buffer[(x, y)].modifier.contains(Modifier::REVERSED | Modifier::BOLD), "marked without colour");
}

/// The rows of the banner (under the status bar, down to the tabs or the first pane), joined
/// with spaces: what the listener reads there.
fn banner(buffer: &Buffer) -> String {
    let mut rows = Vec::new();
    for y in 1..buffer.area.height {
        let row: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol().to_owned()).collect();
        if !row.starts_with(" !! ") && !row.starts_with("    ") {
            break;
        }
        rows.push(row.trim().to_owned());
    }
    rows.join(" ")
}

/// Issue 14: the advice of every life-risk number is on screen whole, at every size down to
/// the smallest drawn, and "SMS" whenever 114 is prompted.
#[test]
fn the_banner_never_cuts_the_advice_and_114_always_says_sms() {
    let smallest = (ui::MIN_WIDTH, ui::MIN_HEIGHT);
    let builds: [Scenario; 3] = [
        ("15 · 112", with_life_risk_prompt),
        ("17 · 114", with_114_prompt),
        ("15 · 112 · 17 · 18 · 114", with_every_life_risk_prompt),
    ];
    for (numbers, build) in builds {
        for language in LANGUAGES {
            for (width, height) in [smallest, SIZES[0], SIZES[1]] {
                let app = build(language);
                let terminal = render(&app, width, height);
                let buffer = terminal.backend().buffer();
                let banner = banner(buffer);
                let at = format!("{numbers} in {} at {width}x{height}", language_name(language));
                let call = app.session.as_ref().unwrap().call.as_ref().unwrap();
                let mut pending: Vec<&str> = Vec::new();
                for (_, prompt) in call.pending_prompts() {
                    if app.directory.get(&prompt.number).is_some_and(|e| e.life_risk) {
                        pending.push(&prompt.number);
                        let rule = app.rules.get(&prompt.rule).unwrap();
                        let advice = app.strings.advice(rule);
                        assert!(banner.contains(advice), "{at}: {advice:?} not whole in {banner:?}");
                    }
                }
                assert!(banner.contains(&format!("⚠ {}", pending.join(" · "))), "{at}: {banner:?}");
                let prompts_114 = pending.contains(&"114");
                assert_eq!(prompts_114, numbers.ends_with("114"), "{at}");
                if prompts_114 {
                    assert!(banner.contains("114 (") && banner.contains("SMS"), "{at}: {banner:?}");
                }
                // The panes are still drawn below it.
                let screen = terminal.backend().to_string();
                assert!(screen.contains("1 Appel") || screen.contains("1 Call"), "{at}\n{screen}");
            }
        }
    }
}

/// Whatever the length of the line being typed (one short of the width, the width exactly,
/// one past it, and so on for several rows), the cursor is drawn inside the notes box and the
/// start of the notes stays on screen.
#[test]
fn the_cursor_is_in_sight_at_the_end_of_a_long_wrapped_line() {
    let words = "une phrase longue qui continue sans retour à la ligne ".repeat(8);
    for (width, height) in SIZES {
        for length in 1..=330 {
            let mut app = in_call_then(Language::Fr, &[KeyCode::Enter, KeyCode::Home]);
            // One line from its start: what `in_call` typed, then `length` more characters.
            press(&mut app, KeyCode::End);
            type_text(&mut app, &words.chars().take(length).collect::<String>());
            let terminal = render(&app, width, height);
            let buffer = terminal.backend().buffer();
            let (_, title) = find(buffer, "Notes");
            let cursor = (title + 1..height).find_map(|y| {
                (0..width).find(|x| {
                    let cell = &buffer[(*x, y)];
                    cell.modifier.contains(Modifier::REVERSED) && !cell.modifier.contains(Modifier::BOLD)
                })
            });
            assert!(cursor.is_some(), "no cursor after {length} more characters at {width}x{height}");
            find(buffer, "Appelle depuis sa cuisine");
        }
    }
}

/// Issue 14: a due time typed in words shows the date it resolves to before it is saved.
#[test]
fn a_typed_due_time_shows_the_date_it_resolves_to() {
    let mut app = in_call(Language::Fr);
    for key in [KeyCode::Char('e'), KeyCode::Enter, KeyCode::Enter, KeyCode::Enter, KeyCode::Enter] {
        press(&mut app, key);
    }
    type_text(&mut app, "demain 14h");
    let terminal = render(&app, 160, 48);
    find(terminal.backend().buffer(), "demain 14h");
    find(terminal.backend().buffer(), "→ 24/11/2026 14:00");
    let mut app = in_call(Language::Fr);
    for key in [KeyCode::Char('e'), KeyCode::Enter, KeyCode::Enter, KeyCode::Enter, KeyCode::Enter] {
        press(&mut app, key);
    }
    type_text(&mut app, "mardi gras");
    find(render(&app, 80, 24).backend().buffer(), "→ ?");
}

/// What a popup reads from `text` on over two rows (it may wrap), inside the popup's borders,
/// spaces collapsed.
fn rows_from(buffer: &Buffer, text: &str) -> String {
    let (x, y) = find(buffer, text);
    let border = |c: &u16| buffer[(*c, y)].symbol() == "║";
    let left = (0..x).rev().find(border).unwrap() + 1;
    let right = (x..buffer.area.width).find(border).unwrap();
    let row = |y| (left..right).map(|c| buffer[(c, y)].symbol().to_owned()).collect::<String>();
    format!("{} {}", row(y), row(y + 1)).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Issue 14: the last call had no RUD; the grid the banner shows is an older call's, and says
/// so with that call's date rather than sitting under the last call's.
#[test]
fn the_repeat_caller_banner_dates_the_last_rud_from_its_own_call() {
    for (width, height) in SIZES {
        let mut app = unlocked(Language::Fr);
        press(&mut app, KeyCode::Char('n'));
        app.session.as_mut().unwrap().call.as_mut().unwrap().file = Some(FileId(9));
        let mut view = file_view();
        view.history[0].record.rud = Rud::default();
        app.apply(Reply::FileLoaded(Box::new(view)));
        let terminal = render(&app, width, height);
        let buffer = terminal.backend().buffer();
        let row = rows_from(buffer, "R moyen · U moyen · D faible");
        assert!(row.contains("11/11/2026 15:05"), "the older call's date at {width}x{height}: {row}");
        assert!(!row.contains("21/11"), "not the last call's date at {width}x{height}: {row}");
    }
}

fn row(buffer: &Buffer, y: u16) -> String {
    (0..buffer.area.width).map(|x| buffer[(x, y)].symbol().to_owned()).collect()
}

#[test]
fn a_long_message_is_shortened_and_never_runs_into_the_right_hand_fields() {
    let s = Strings::get(Language::Fr);
    // Tall enough: its own row under the line, whole where it fits, else shortened.
    for (width, height) in SIZES {
        let app = in_call_then(Language::Fr, &[KeyCode::Char('2')]);
        let long = &ui::keys::fill(&app, &s.quick_needs_blank_call);
        assert!(long.contains("terminez-le avec e (les touches 1 à 5"), "{long}");
        let terminal = render(&app, width, height);
        let buffer = terminal.backend().buffer();
        let (line, message) = (row(buffer, 0), row(buffer, 1));
        assert!(line.contains(" │ rappels") && !line.contains(long.as_str()), "{line}");
        if long.chars().count() < usize::from(width) {
            assert!(message.contains(long.as_str()), "{message}");
        } else {
            assert!(message.trim_end().ends_with('…'), "{message}");
            assert!(long.starts_with(message.trim().trim_end_matches('…')), "{message}");
        }
    }
    // Too short to spare a row: shortened in the line, a blank and "│" before the right side.
    let app = in_call_then(Language::Fr, &[KeyCode::Char('2')]);
    let terminal = render(&app, 150, 20);
    let line = row(terminal.backend().buffer(), 0);
    let (left, right) = line.split_once('│').unwrap();
    assert!(left.trim_end().ends_with('…') && left.ends_with(' '), "{line}");
    assert!(left.contains("Un appel en cours"), "{line}");
    assert!(right.starts_with(" rappels"), "{line}");
}

#[test]
fn the_hints_show_only_keys_that_work_here() {
    let hint = |key: &str, action: &str| format!("{key} {action}");
    let during_a_call = [
        hint("n", "prendre un appel"),
        hint("q", "quitter"),
        hint("1", "silencieux"),
        hint("2", "raccroché"),
        hint("5", "test"),
    ];
    for (width, height) in SIZES {
        for pane in ['1', '2', '3', '4'] {
            let mut app = in_call(Language::Fr);
            app.handle_key(KeyEvent::new(KeyCode::Char(pane), KeyModifiers::ALT));
            let terminal = render(&app, width, height);
            let hints = row(terminal.backend().buffer(), height - 1);
            for refused in &during_a_call {
                assert!(!hints.contains(refused.as_str()), "{refused} during a call, pane {pane}: {hints}");
            }
            assert!(hints.contains("Ctrl-G urgences") && hints.contains("? aide"), "{hints}");
            let end = hints.trim_end();
            assert!(end.ends_with("? aide") || end.ends_with("Ctrl-L verrouiller"), "never cut: {hints}");
        }
        // A listener is not shown the supervisor's view; a supervisor is, where it fits.
        let app = unlocked(Language::Fr);
        let hints = row(render(&app, width, height).backend().buffer(), height - 1);
        assert!(!hints.contains(&hint("v", "coordination")) && !hints.contains("F5"), "{hints}");
        assert!(hints.contains(&hint("n", "prendre un appel")), "{hints}");
    }
    let mut app = unlocked(Language::Fr);
    app.session.as_mut().unwrap().actor.role = Role::Supervisor;
    let hints = row(render(&app, 160, 48).backend().buffer(), 47);
    assert!(hints.contains(&hint("v", "coordination")), "{hints}");
}

#[test]
fn a_name_that_says_the_role_does_not_get_it_twice() {
    let mut app = unlocked(Language::Fr);
    let actor = &mut app.session.as_mut().unwrap().actor;
    actor.display_name = "Dominique (coordination)".into();
    actor.role = Role::Supervisor;
    let line = row(render(&app, 160, 48).backend().buffer(), 0);
    assert!(line.contains("Dominique (coordination) ·") && !line.contains("(coordination)("), "{line}");
    assert_eq!(line.matches("coordination").count(), 1, "{line}");
}

/// Issue 14: quitting during a call names the prompted numbers still without an outcome.
#[test]
fn the_quit_dialog_names_a_pending_prompt() {
    for (width, height) in SIZES {
        let mut app = with_life_risk_prompt(Language::Fr);
        ctrl(&mut app, 'q');
        let terminal = render(&app, width, height);
        let screen = terminal.backend().to_string();
        assert!(screen.contains("Quitter") || screen.contains("quitter"), "{screen}");
        find(terminal.backend().buffer(), "sans suite : 15, 112");
    }
}

/// Camille's queue with a callback left over from 2023 first, read in `zone`; Sacha on a
/// shift begun the evening before, Camille on hers since this morning.
fn in_zone(zone: &str) -> App {
    let mut app = unlocked(Language::Fr);
    app.config.timezone = zone.parse().unwrap();
    let old = QueueEntry {
        id: CallbackId(9),
        version: 0,
        file_id: FileId(30),
        flagged: false,
        note: String::new(),
        file_code: FileCode::parse("VEH-283").unwrap(),
        due_at: Utc.with_ymd_and_hms(2023, 11, 25, 9, 0, 0).unwrap(),
        priority: Priority::Normal,
        assignee: Assignee::Anyone,
        assignee_name: None,
        attempts: 2,
        channel: "phone".into(),
    };
    app.apply(Reply::Queue(std::iter::once(old).chain(queue()).collect()));
    app.apply(Reply::Overview(vec![
        OnShift {
            shift_id: ShiftId(7),
            listener_id: ListenerId(2),
            name: "Camille".into(),
            shift_started_at: now() - Duration::minutes(95),
            calls: 4,
            prompts_raised: 0,
            on_call_since: None,
            prompts_waiting: 0,
            left: None,
        },
        OnShift {
            shift_id: ShiftId(6),
            listener_id: ListenerId(3),
            name: "Sacha".into(),
            shift_started_at: Utc.with_ymd_and_hms(2026, 11, 22, 21, 10, 0).unwrap(),
            calls: 7,
            prompts_raised: 1,
            on_call_since: None,
            prompts_waiting: 0,
            left: None,
        },
    ]));
    app
}

/// Issue 15: times are the configured zone's (not UTC, not the machine's `TZ`), and a date of
/// another year says its year ("25/11/2023", never "25/11", which reads as this year's).
#[test]
fn times_are_read_in_the_configured_zone_with_their_year() {
    for (zone, name) in [("Europe/Paris", "paris"), ("America/Montreal", "montreal")] {
        let mut app = in_zone(zone);
        app.handle_key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT));
        let screen = render(&app, 80, 24).backend().to_string();
        insta::assert_snapshot!(format!("times_callbacks_pane_{name}_80x24"), screen);
        app.session.as_mut().unwrap().actor.role = Role::Supervisor;
        press(&mut app, KeyCode::F(5));
        let screen = render(&app, 80, 24).backend().to_string();
        insta::assert_snapshot!(format!("times_supervisor_view_{name}_80x24"), screen);
    }

    // The end of the shift, read in Montreal: its start and its end on Montreal's clock.
    let mut app = in_zone("America/Montreal");
    press(&mut app, KeyCode::F(10));
    app.apply(Reply::Summary(Box::new(summary())));
    let screen = render(&app, 80, 24).backend().to_string();
    assert!(screen.contains("Permanence de Camille, 23/11/2026 07:30 → 09:05"), "{screen}");
    assert!(!screen.contains("UTC"), "{screen}");
}

/// Issue 15: a terminal left open across a change of time shows the new hour at the next tick
/// (the offset was once read at start), while durations, counted on instants, do not jump.
#[test]
fn the_clock_on_screen_follows_a_change_of_time_while_the_terminal_stays_open() {
    let utc = |m: u32, d: u32, h: u32, min: u32| Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
    // Autumn: 03:00 summer time becomes 02:00 winter time at 01:00 UTC. Spring: 02:00 becomes 03:00.
    for (before, shown_before, shown_after) in
        [(utc(10, 25, 0, 58), "02:58", "02:00"), (utc(3, 29, 0, 58), "01:58", "03:00")]
    {
        let mut app = unlocked_at(Language::Fr, Access::ReadWrite, before);
        let top = row(render(&app, 80, 24).backend().buffer(), 0);
        assert!(top.contains(&format!("· {shown_before} ")) && top.contains("1 h 35"), "{top}");
        app.tick(before + Duration::minutes(2));
        let top = row(render(&app, 80, 24).backend().buffer(), 0);
        assert!(top.contains(&format!("· {shown_after} ")) && top.contains("1 h 37"), "{top}");
    }
}

/// Issue 17: popup keys are the keymap's `[popup]` context; a key the configuration binds is
/// the one the popup's hint line and the help name, and it works.
#[test]
fn a_popup_key_rebound_in_the_config_shows_in_its_hint_and_the_help_and_works() {
    let config = Config::parse("[keys.popup]\nf2 = \"save\"\n").unwrap();
    let mut app = in_file_pane_then(Language::Fr, &[]);
    app.keymap = config.keymap();
    press(&mut app, KeyCode::Char('m'));
    let buffer = render(&app, 160, 48).backend().buffer().clone();
    let (_, y) = find(&buffer, "F2 enregistrer");
    assert!(row(&buffer, y).contains("F2 enregistrer · Échap annuler"), "{}", row(&buffer, y));
    type_text(&mut app, " Corrigé.");
    let effects = app.handle_key(KeyEvent::new(KeyCode::F(2), KeyModifiers::NONE));
    assert!(matches!(effects.as_slice(), [Effect::ChangeFile(_)]), "{effects:?}");

    // The help lists it in the popups' keys, with Ctrl-S (still bound).
    press(&mut app, KeyCode::F(1));
    let buffer = render(&app, 120, 140).backend().buffer().clone();
    let (_, popups) = find(&buffer, &Strings::get(Language::Fr).help_popup);
    let below: Vec<String> = (popups..buffer.area.height).map(|y| row(&buffer, y)).collect();
    let save = Strings::get(Language::Fr).action_long(permanence::keymap::Action::Save);
    assert!(below.iter().any(|r| r.contains(&format!("F2           {save}"))), "{below:#?}");
    assert!(below.iter().any(|r| r.contains(&format!("Ctrl-S       {save}"))), "{below:#?}");
}

/// Yes and no are shown as the language's own initials (both are bound).
#[test]
fn yes_and_no_read_as_the_languages_initials() {
    for (language, offer) in
        [(Language::Fr, "Entrée/o : oui · n : non"), (Language::En, "Enter/y: yes · n: no")]
    {
        let mut app = in_call_then(language, &[KeyCode::Char('e'), KeyCode::Enter]);
        // The type and the outcome are asked first: the first of each.
        for _ in 0..10 {
            if matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::CallbackOffer(_))) {
                break;
            }
            press(&mut app, KeyCode::Enter);
        }
        assert!(matches!(app.session.as_ref().unwrap().popups.last(), Some(Popup::CallbackOffer(_))));
        let shown = ui::keys::fill(&app, &Strings::get(language).callback_offer);
        assert!(shown.contains(offer), "{shown}");
    }
}

/// Issue 16: a display name (stored before names were checked, or written into the file with
/// the key) and notes pasted with escape sequences or bidirectional overrides: no cell of any
/// frame holds a character the terminal would obey.
#[test]
fn escape_sequences_in_names_and_notes_reach_no_cell() {
    let evil = "Eve\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}nommoc\u{2066}";
    let mut app = in_call(Language::Fr);
    let session = app.session.as_mut().unwrap();
    session.actor.display_name = evil.into();
    session.actor.role = Role::Supervisor;
    for entry in session.queue.iter_mut() {
        entry.assignee_name = Some(evil.into());
    }
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, " Collé : \u{202e}enohpelet\u{202c} \u{1b}[31m fin.");
    press(&mut app, KeyCode::Esc);
    let alt = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT);
    for (width, height) in SIZES {
        for pane in ['1', '2', '3', '4'] {
            app.handle_key(alt(pane));
            let terminal = render(&app, width, height);
            let buffer = terminal.backend().buffer();
            for (index, cell) in buffer.content.iter().enumerate() {
                assert!(
                    !cell.symbol().chars().any(permanence::printable::is_unsafe),
                    "{width}×{height}, pane {pane}, cell {index}: {:?}",
                    cell.symbol()
                );
            }
            let screen = terminal.backend().to_string();
            assert!(screen.contains("Eve]0;pwned"), "the name is shown, harmless: {screen}");
        }
    }
}

/// The statistics screen without colour: not one coloured cell on any page, and the heat map
/// still tells the busiest hours (the evening) from the quiet ones by its patterns alone.
#[test]
fn the_statistics_screen_reads_without_colour() {
    let mut app = statistics_screen(Language::Fr, &[KeyCode::Down]);
    app.colors = false;
    let terminal = render(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "lun  ");
    let row: String = (x..80).map(|x| buffer[(x, y)].symbol().to_owned()).collect();
    // Monday: quiet at night, busiest in the evening (the fixture's peak).
    assert!(row.contains('░') && row.contains('█'), "{row}");
    let evening = row.find('█').unwrap();
    assert!(evening > row.find('░').unwrap(), "{row}");
    press(&mut app, KeyCode::Up);
    for page in 0..permanence::app::popup::STATISTICS_PAGES {
        for (width, height) in [(80, 24), (160, 48)] {
            let terminal = render(&app, width, height);
            let buffer = terminal.backend().buffer();
            for y in 0..height {
                for x in 0..width {
                    let cell = &buffer[(x, y)];
                    assert_eq!(
                        (cell.fg, cell.bg),
                        (Color::Reset, Color::Reset),
                        "colour at {x},{y}, page {page}"
                    );
                }
            }
        }
        press(&mut app, KeyCode::Down);
    }
}
