//! The demo database: synthetic, deterministic data for a newcomer, the tests and the
//! benchmarks. Every name, code, note and number here is invented; phone numbers come from
//! the range ARCEP reserves for fiction (06 39 98 xx xx).

use anyhow::Result;
use chrono::{Duration, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::assessment::Situation;
use crate::domain::assessment::{Rud, RudLevel};
use crate::domain::call::{CallRecord, CallType, NewCall, Outcome};
use crate::domain::callback::{
    Address, Assignee, Attempt, AttemptResult, NewCallback, PhoneNumber, Priority,
};
use crate::domain::caller_file::{AgeBand, CallerRelation, Closure, Departement, FileProfile, Gender};
use crate::domain::channel::AddressKind;
use crate::domain::listener::Role;
use crate::domain::phone::MissedCall;
use crate::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
use crate::domain::{FileId, ListenerId, Timestamp};
use crate::i18n::Phrase;
use crate::store::{KdfParams, Location, NewAccount, Store};

pub struct DemoAccount {
    pub login: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    pub passphrase: &'static str,
}

/// The demo accounts, shown on the unlock screen of the demo. The first is the supervisor.
pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        login: "coord",
        display_name: "Dominique (coordination)",
        role: Role::Supervisor,
        passphrase: "lune verte soixante",
    },
    DemoAccount {
        login: "camille",
        display_name: "Camille",
        role: Role::Listener,
        passphrase: "trois pommes bleues",
    },
    DemoAccount {
        login: "sacha",
        display_name: "Sacha",
        role: Role::Listener,
        passphrase: "riviere calme douze",
    },
    DemoAccount {
        login: "alex",
        display_name: "Alex",
        role: Role::Listener,
        passphrase: "jardin du nord sept",
    },
];

/// What a demo database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub calls: u64,
    pub files: u64,
    pub pending_callbacks: u64,
}

const SEED: u64 = 0x5045_524d_414e_454e; // "PERMANEN"

/// What `build` writes, numbered: one more whenever it writes something else for the same count,
/// so that stores kept from an earlier build (the keypress benchmark's on a server) are built
/// again.
pub const VERSION: u32 = 1;
/// Calls written per transaction: large enough to be fast, small enough to keep the WAL small.
const CALLS_PER_TRANSACTION: u64 = 20_000;
const SHIFTS_PER_DAY: u64 = 3;

const NOTE_OPENINGS: &[&str] = &[
    "Appelle pour la première fois, a trouvé le numéro sur une affiche.",
    "Rappelle comme convenu, voix plus posée que la dernière fois.",
    "Appel en soirée, dit ne pas arriver à dormir.",
    "Commence par s'excuser de déranger.",
    "Appelle depuis son travail, pendant sa pause.",
    "Long silence au début, puis parle de sa semaine.",
];
const NOTE_MIDDLES: &[&str] = &[
    "Évoque une grande solitude depuis le déménagement de ses enfants.",
    "Parle des tensions avec son conjoint, sans violence physique décrite.",
    "Décrit une fatigue importante et une perte d'intérêt pour ses activités.",
    "Raconte le décès récent d'un proche et la difficulté à en parler autour de soi.",
    "Mentionne des difficultés financières qui l'empêchent de dormir.",
    "Exprime de la colère contre son employeur, se sent mis à l'écart.",
    "Dit avoir parfois des idées noires, sans projet précis.",
    "S'inquiète pour un parent âgé qui vit seul.",
];
const NOTE_CLOSINGS: &[&str] = &[
    "Se sent un peu apaisé·e à la fin de l'échange.",
    "Accepte l'idée d'en parler à son médecin traitant.",
    "Remercie pour l'écoute, pense rappeler.",
    "Orienté·e vers une permanence locale.",
    "Souhaite qu'on le ou la rappelle demain.",
];
const SUMMARIES: &[&str] = &[
    "Personne isolée, appels réguliers en soirée.",
    "Situation de deuil, accompagnement sur plusieurs semaines.",
    "Difficultés familiales et professionnelles, suivi régulier.",
    "Inquiétude pour un parent âgé, orientation vers le 3977 évoquée.",
    "Idées suicidaires passées, suivi avec rappels convenus.",
];
const INSTRUCTIONS: &[&str] = &[
    "Préfère parler à une écoutante.",
    "Ne pas rappeler après 20h.",
    "Laisser sonner longtemps : se déplace difficilement.",
];
const CLOSURE_REASON: &str = "Situation apaisée, accord pour clore";
const CALLBACK_NOTE: &str = "Rappel convenu en fin d'appel.";
const UPCOMING_NOTE: &str = "Suivi de la situation.";
const HANDOVER: &str = "Deux rappels prévus demain matin. Appelant·e habituel·le du soir a bien été joint·e.";

/// Every sentence of free text the demo writes (notes, summaries, instructions, closure and
/// callback notes, the handover): what a server's backup must not hold in clear.
pub fn free_text() -> impl Iterator<Item = &'static str> {
    [NOTE_OPENINGS, NOTE_MIDDLES, NOTE_CLOSINGS, SUMMARIES, INSTRUCTIONS]
        .into_iter()
        .flatten()
        .copied()
        .chain([HANDOVER, CLOSURE_REASON, CALLBACK_NOTE, UPCOMING_NOTE])
}

/// Builds the demo database at `db_path` with `calls` calls. Deterministic: the same count
/// gives the same content, dated relative to today. Years of history are then purged as the
/// terminal would at unlock (free text past `retention_days`), so a large demo store looks
/// like a real one and its first unlock is not a purge of years.
pub fn build(
    location: impl Into<Location>,
    calls: u64,
    themes: &[String],
    retention_days: u32,
) -> Result<DemoSummary> {
    let supervisor = &ACCOUNTS[0];
    let mut store = Store::create(
        location,
        NewAccount {
            login: supervisor.login,
            display_name: supervisor.display_name,
            role: supervisor.role,
            passphrase: supervisor.passphrase,
        },
        KdfParams::DEFAULT,
    )?;
    let mut listeners = vec![store.actor().id];
    for account in &ACCOUNTS[1..] {
        let added = store.add_listener(
            NewAccount {
                login: account.login,
                display_name: account.display_name,
                role: account.role,
                passphrase: account.passphrase,
            },
            KdfParams::DEFAULT,
        )?;
        listeners.push(added.id);
    }
    let summary = fill(&mut store, &listeners, calls, themes, Utc::now())?;
    // The demo's "init": the config proposes the centre's retention period.
    store
        .set_setting(crate::domain::settings::Setting::RetentionDays, retention_days)
        .map_err(|e| Phrase::new(|s| &s.cli.demo_retention).because(e))?;
    store.purge(Utc::now(), false).map_err(|e| Phrase::new(|s| &s.cli.demo_retention).because(e))?;
    Ok(summary)
}

/// Opens an existing demo database with the demo supervisor and counts what it holds.
pub fn verify(location: impl Into<Location>) -> Result<DemoSummary> {
    let supervisor = &ACCOUNTS[0];
    let store = Store::open(location, supervisor.login, supervisor.passphrase)
        .map_err(|e| Phrase::new(|s| &s.cli.demo_not_demo).because(e))?;
    let counts = store.counts()?;
    Ok(DemoSummary { calls: counts.calls, files: counts.files, pending_callbacks: counts.pending_callbacks })
}

struct Generator<'a> {
    rng: ChaCha8Rng,
    themes: &'a [String],
    files: Vec<FileId>,
    pending_callbacks: u64,
    now: Timestamp,
}

/// Fills `store` with `calls` calls ending yesterday evening as of `now` (the same `now` and
/// count give the same rows, which the backends' conformance tests compare).
pub(crate) fn fill(
    store: &mut Store,
    listeners: &[ListenerId],
    calls: u64,
    themes: &[String],
    now: Timestamp,
) -> Result<DemoSummary> {
    let today = now.date_naive().and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
    let days = (calls / 250).clamp(90, 3650);
    let shifts = (days * SHIFTS_PER_DAY).max(1);
    let mut generator = Generator {
        rng: ChaCha8Rng::seed_from_u64(SEED),
        themes,
        files: Vec::new(),
        pending_callbacks: 0,
        now,
    };
    let mut written = 0;
    let mut bulk = store.bulk()?;
    for shift_index in 0..shifts {
        // Shifts run 8h-12h, 13h-18h and 18h-23h, ending yesterday evening.
        let day = today - Duration::days((days - shift_index / SHIFTS_PER_DAY) as i64);
        let (start_hour, hours) = [(8, 4), (13, 5), (18, 5)][(shift_index % SHIFTS_PER_DAY) as usize];
        let started = day + Duration::hours(start_hour);
        let ended = started + Duration::hours(hours);
        let listener = *listeners.choose(&mut generator.rng).expect("demo listeners");
        let last = shift_index + 1 == shifts;
        let shift = bulk.shift(listener, started, Some(ended), last.then_some(HANDOVER))?;
        // Evenings miss a call or two while every line is busy: counted for the phone's figures,
        // placed by the shift's number rather than drawn, so every other figure stays as it was.
        if start_hour == 18 {
            for missed in 0..(shift_index / SHIFTS_PER_DAY) % 3 {
                let rang_at = started
                    + Duration::minutes(((shift_index * 37 + missed * 101) % (hours as u64 * 60)) as i64);
                bulk.missed_call(&MissedCall::new(Some(shift), rang_at, rang_at + Duration::seconds(25)))?;
            }
        }
        // Spread the calls evenly over the shifts, so the total is exact.
        let in_this_shift = (calls * (shift_index + 1)) / shifts - (calls * shift_index) / shifts;
        let slot = Duration::seconds(hours * 3600 / (in_this_shift.max(1) as i64));
        for n in 0..in_this_shift {
            let call_start = started + slot * (n as i32) + Duration::seconds(generator.rng.gen_range(0..60));
            generator.call(&bulk, listener, shift, call_start)?;
            written += 1;
            if written % CALLS_PER_TRANSACTION == 0 {
                bulk.commit()?;
                bulk = store.bulk()?;
            }
        }
    }
    generator.upcoming_callbacks(&bulk, listeners)?;
    bulk.commit()?;
    Ok(DemoSummary {
        calls: written,
        files: generator.files.len() as u64,
        pending_callbacks: generator.pending_callbacks,
    })
}

impl Generator<'_> {
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).expect("non-empty list")
    }

    fn call(
        &mut self,
        bulk: &crate::store::BulkWriter<'_>,
        listener: ListenerId,
        shift: crate::domain::ShiftId,
        started_at: Timestamp,
    ) -> Result<()> {
        let roll = self.rng.gen_range(0..100);
        let call_type = match roll {
            0..55 => CallType::Listening,
            55..65 => CallType::Information,
            65..70 => CallType::Crisis,
            70..80 => CallType::Silent,
            80..90 => CallType::HangUp,
            90..95 => CallType::WrongNumber,
            95..98 => CallType::Abusive,
            _ => CallType::Testing,
        };
        if call_type.is_quick() {
            let ended_at = started_at + Duration::seconds(self.rng.gen_range(5..120));
            let call = NewCall {
                shift_id: shift,
                started_at,
                ended_at,
                call_type,
                time_spent: None,
                record: CallRecord::default(),
            };
            bulk.call(listener, &call)?;
            return Ok(());
        }
        let ended_at = started_at + Duration::minutes(self.rng.gen_range(4..50));
        let caller_file_id = if self.rng.gen_bool(0.75) { Some(self.file(bulk, started_at)?) } else { None };
        let count = self.rng.gen_range(1..=3);
        let mut themes: Vec<String> = self.themes.choose_multiple(&mut self.rng, count).cloned().collect();
        themes.sort();
        let crisis = call_type == CallType::Crisis;
        let rud = if crisis || self.rng.gen_bool(0.15) {
            let levels = [RudLevel::Low, RudLevel::Medium, RudLevel::High];
            Rud {
                risk: Some(self.pick(&levels)),
                urgency: Some(if crisis {
                    self.pick(&[RudLevel::Medium, RudLevel::High])
                } else {
                    RudLevel::Low
                }),
                danger: Some(self.pick(&levels)),
            }
        } else {
            Rud::default()
        };
        let mut prompts = Vec::new();
        let mut orientations = Vec::new();
        if rud.urgency == Some(RudLevel::High) {
            prompts.push(PromptRecord {
                number: "15".into(),
                rule: "life_at_risk".into(),
                raised_at: started_at + Duration::minutes(3),
                acknowledgement: Some(Acknowledgement {
                    at: started_at + Duration::minutes(4),
                    outcome: self.pick(&[PromptOutcome::ServiceContacted, PromptOutcome::NumberGiven]),
                    note: None,
                }),
            });
            orientations.push("15".to_owned());
        } else if rud.urgency.is_some() {
            orientations.push("3114".to_owned());
        } else if self.rng.gen_bool(0.1) {
            orientations.push(self.pick(&["119", "3919", "3977", "3018"]).to_owned());
        }
        let notes =
            format!("{} {} {}", self.pick(NOTE_OPENINGS), self.pick(NOTE_MIDDLES), self.pick(NOTE_CLOSINGS));
        let outcome = if !prompts.is_empty() {
            Outcome::EmergencyServices
        } else if !orientations.is_empty() {
            Outcome::Oriented
        } else {
            self.pick(&[Outcome::Supported, Outcome::Supported, Outcome::CallerEndedCall])
        };
        let wants_callback = caller_file_id.is_some() && self.rng.gen_bool(0.4);
        // About one contact in eight is written, chosen from its start rather than drawn, so
        // the random sequence (and every other figure of the demo) stays what it was.
        let spread = (started_at.timestamp() as u64 / 60).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60;
        let (channel, time_spent) = match spread {
            0 => ("email", Some((ended_at - started_at).num_seconds())),
            1 => ("chat", None),
            2 if call_type != CallType::Crisis => ("letter", Some((ended_at - started_at).num_seconds())),
            3 => ("sms", None),
            _ => (crate::domain::channel::PHONE, None),
        };
        // A written contact is opened in the morning and answered over hours: its open time is
        // not its length.
        let ended_at = if time_spent.is_some() {
            (ended_at + Duration::hours(3)).min(self.now).max(ended_at)
        } else {
            ended_at
        };
        let call = NewCall {
            shift_id: shift,
            started_at,
            ended_at,
            call_type,
            time_spent,
            record: CallRecord {
                channel: channel.to_owned(),
                caller_file_id,
                themes,
                notes,
                rud,
                orientations,
                outcome: Some(if wants_callback { Outcome::CallbackScheduled } else { outcome }),
                prompts,
                situations: if rud.urgency.is_some() {
                    vec![Situation::SuicidalIdeation]
                } else {
                    Vec::new()
                },
                performs_callback: None,
                phone: None,
                save_token: None,
            },
        };
        let call_id = bulk.call(listener, &call)?;
        if let (true, Some(file)) = (wants_callback, caller_file_id) {
            self.callback(bulk, listener, file, call_id, &call)?;
        }
        Ok(())
    }

    /// A few callbacks around the present, so the queue shows overdue, due-soon and later ones.
    fn upcoming_callbacks(
        &mut self,
        bulk: &crate::store::BulkWriter<'_>,
        listeners: &[ListenerId],
    ) -> Result<()> {
        if self.files.is_empty() {
            return Ok(());
        }
        for hours in [-20, -6, -1, 1, 3, 18, 26, 40] {
            let file = self.files[self.rng.gen_range(0..self.files.len())];
            let number = self.phone_number();
            let assignee = match self.rng.gen_range(0..=listeners.len()) {
                0 => Assignee::Anyone,
                i => Assignee::Listener(listeners[i - 1]),
            };
            let due_at = self.now + Duration::hours(hours);
            let priority = self.pick(Priority::ALL);
            let mut new = NewCallback::with_consent(
                true,
                file,
                None,
                due_at,
                priority,
                number,
                assignee,
                UPCOMING_NOTE.into(),
            )
            .expect("consent was given");
            // One of them a reply due by e-mail, to a synthetic address.
            if hours == 3 {
                new.channel = "email".into();
                new.callback_number =
                    Address::parse(AddressKind::Email, &format!("personne.{}@exemple.invalid", file.0))
                        .expect("synthetic addresses are well formed");
            }
            bulk.callback(&new, self.now - Duration::days(1))?;
            self.pending_callbacks += 1;
        }
        Ok(())
    }

    fn phone_number(&mut self) -> PhoneNumber {
        PhoneNumber::parse(&format!(
            "06 39 98 {:02} {:02}",
            self.rng.gen_range(0..100),
            self.rng.gen_range(0..100)
        ))
        .expect("synthetic numbers are well formed")
    }

    /// A file for a linked call: usually one already known (a repeat caller), sometimes new.
    fn file(&mut self, bulk: &crate::store::BulkWriter<'_>, at: Timestamp) -> Result<FileId> {
        if !self.files.is_empty() && self.rng.gen_bool(0.78) {
            let index = self.rng.gen_range(0..self.files.len());
            return Ok(self.files[index]);
        }
        let profile = FileProfile {
            age_band: Some(self.pick(AgeBand::OFFERED)),
            gender: self.rng.gen_bool(0.85).then(|| self.pick(Gender::ALL)),
            departement: Departement::parse(&format!(
                "{:02}",
                self.pick(&[13u8, 31, 33, 35, 44, 59, 67, 69, 75, 93])
            ))
            .ok(),
            relation: Some(self.pick(&[
                CallerRelation::PersonConcerned,
                CallerRelation::PersonConcerned,
                CallerRelation::Relative,
                CallerRelation::Professional,
            ])),
            situation_summary: self.pick(SUMMARIES).to_owned(),
            instructions: if self.rng.gen_bool(0.2) {
                self.pick(INSTRUCTIONS).to_owned()
            } else {
                String::new()
            },
        };
        let (id, _) = bulk.file(&mut self.rng, &profile, at)?;
        if self.rng.gen_bool(0.1) {
            bulk.close_file(id, &Closure { reason: CLOSURE_REASON.into(), caller_agreed: true })?;
        }
        self.files.push(id);
        Ok(id)
    }

    fn callback(
        &mut self,
        bulk: &crate::store::BulkWriter<'_>,
        listener: ListenerId,
        file: FileId,
        call_id: crate::domain::CallId,
        call: &NewCall,
    ) -> Result<()> {
        let due_at = call.ended_at + Duration::hours(self.rng.gen_range(2..48));
        let number = PhoneNumber::parse(&format!(
            "06 39 98 {:02} {:02}",
            self.rng.gen_range(0..100),
            self.rng.gen_range(0..100)
        ))
        .expect("synthetic numbers are well formed");
        let assignee = if self.rng.gen_bool(0.5) { Assignee::Anyone } else { Assignee::Listener(listener) };
        let mut new = NewCallback::with_consent(
            true,
            file,
            Some(call_id),
            due_at,
            Priority::suggested(&call.record.rud),
            number,
            assignee,
            CALLBACK_NOTE.into(),
        )
        .expect("consent was given");
        // Someone who wrote by SMS is answered by SMS, at the same number.
        if call.record.channel == "sms" {
            new.channel = "sms".into();
        }
        let id = bulk.callback(&new, call.ended_at)?;
        // Callbacks due more than two days ago were made; the recent ones are still pending,
        // some overdue, some due later today or tomorrow.
        if due_at < self.now - Duration::days(2) {
            if self.rng.gen_bool(0.3) {
                let missed = Attempt {
                    at: due_at,
                    listener_id: listener,
                    result: AttemptResult::NoAnswer,
                    call_id: None,
                };
                bulk.attempt(id, &missed, Some(due_at + Duration::hours(3)))?;
            }
            let reached = Attempt {
                at: due_at + Duration::hours(3),
                listener_id: listener,
                result: AttemptResult::Reached,
                call_id: None,
            };
            bulk.attempt(id, &reached, None)?;
        } else {
            self.pending_callbacks += 1;
        }
        Ok(())
    }
}
