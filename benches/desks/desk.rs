//! A listener's evening at one desk, through the keys a listener presses: take a call, type the
//! notes, link a file found by searching as you type or open a new one, tick themes, rate the
//! RUD grid (an urgency rated high prompts 15 and 112, acknowledged), end the call through what
//! ending asks (the grid, the prompts, the type, the outcome), with a callback scheduled now and
//! then; or perform a callback from the queue (reached: the call is taken and saved; not
//! reached: the attempt is saved); and now and then a call logged in one key.
//!
//! What is pressed is chosen by a random generator seeded by the desk's number, so a run is the
//! same evening again but for what the other desks did meanwhile.

use std::time::Instant;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ratatui::crossterm::event::KeyCode;

use permanence::app::Pane;
use permanence::app::popup::{ListPurpose, Popup};
use permanence::domain::callback::Assignee;
use permanence::domain::channel::AddressKind;

use super::drive::{Terminal, alt, ctrl, key};
use super::record::Record;

/// What listeners write, a sentence at a time: invented, with the accents French notes have.
const SENTENCES: &[&str] = &[
    "Appelle depuis sa cuisine, voix fatiguée.",
    "Parle de sa fille qui ne répond plus depuis l'été.",
    "Dort mal, se réveille à trois heures du matin.",
    "A vu son médecin la semaine dernière, pas de traitement.",
    "Se sent seul·e depuis le départ à la retraite.",
    "Évoque des disputes avec son voisin au sujet du bruit.",
    "Pleure par moments, puis se reprend.",
    "Remercie pour l'écoute, dit se sentir un peu mieux.",
];

/// Words searched as they are typed, from the demo's summaries and notes.
const SEARCHED: &[&str] = &["solitude", "deuil", "fatigue", "parent", "conjoint", "isolée", "régulier"];

pub struct Evening {
    pub terminal: Terminal,
    desk: usize,
    rng: ChaCha8Rng,
    contacts: usize,
}

impl Evening {
    pub fn new(terminal: Terminal, desk: usize) -> Evening {
        Evening { terminal, desk, rng: ChaCha8Rng::seed_from_u64(0xDE5C + desk as u64), contacts: 0 }
    }

    /// Contacts one after another until `deadline`; the one under way when it passes is
    /// finished and saved, then the terminal quits. With `leave_a_draft` (to prove that the
    /// checks see it), a last call is taken and the terminal quits with it open, its draft saved.
    pub fn run(mut self, deadline: Instant, leave_a_draft: bool) -> Record {
        let started = Instant::now();
        self.terminal.start();
        while Instant::now() < deadline {
            self.contact();
        }
        if leave_a_draft {
            self.press("take a call", KeyCode::Char('n'));
            self.notes();
            self.terminal.autosaved();
        }
        let seconds = started.elapsed().as_secs_f64();
        self.terminal.quit(seconds)
    }

    fn press(&mut self, op: &'static str, code: KeyCode) {
        self.terminal.press(op, key(code));
    }

    fn contact(&mut self) {
        self.contacts += 1;
        let roll = self.rng.gen_range(0..100);
        if roll < 8 {
            // Hung up at once: logged and closed in one key.
            self.press("log a quick call (one key, saved)", KeyCode::Char('2'));
            return;
        }
        if roll < 35 && self.perform_a_callback() {
            return;
        }
        self.press("take a call", KeyCode::Char('n'));
        self.notes();
        if self.rng.gen_bool(0.6) {
            self.link_a_file();
        } else {
            self.press("open a new file", KeyCode::Char('f'));
            self.read_popups();
        }
        self.themes();
        if self.rng.gen_bool(0.5) {
            self.rate_rud();
        }
        if self.rng.gen_bool(0.3) {
            self.notes();
        }
        self.end_call();
    }

    /// Enter, a sentence typed a character at a time, Esc.
    fn notes(&mut self) {
        self.press("start typing the notes", KeyCode::Enter);
        let sentence = SENTENCES.choose(&mut self.rng).expect("sentences");
        let text = format!("{}.{} {sentence} ", self.desk, self.contacts);
        for c in text.chars() {
            self.press("type a character in the notes", KeyCode::Char(c));
        }
        self.press("stop typing", KeyCode::Esc);
        self.terminal.pause(self.rng.gen_range(0..20));
    }

    /// `l`, a word searched as it is typed, one of the files found linked (its history opened,
    /// an audited reading); none found, a new file.
    fn link_a_file(&mut self) {
        self.press("search a file to link", KeyCode::Char('l'));
        let word = *SEARCHED.choose(&mut self.rng).expect("words");
        for c in word.chars() {
            self.press("search as you type", KeyCode::Char(c));
        }
        let hits = match self.terminal.top() {
            Some(Popup::FileSearch(search)) => search.hits.len(),
            other => panic!("the search popup is open: {other:?}"),
        };
        if hits == 0 {
            self.press("close the search", KeyCode::Esc);
            self.press("open a new file", KeyCode::Char('f'));
        } else {
            for _ in 0..self.rng.gen_range(0..hits.min(5)) {
                self.press("move among the files found", KeyCode::Down);
            }
            self.press("link the file found (its history opened)", KeyCode::Enter);
        }
        self.read_popups();
    }

    /// What opening a file may show first (a known caller, a new file's code): read, closed.
    fn read_popups(&mut self) {
        while matches!(self.terminal.top(), Some(Popup::NewFileCode(_) | Popup::RepeatCaller(_))) {
            self.press("read a popup", KeyCode::Enter);
        }
    }

    fn themes(&mut self) {
        self.press("open the themes", KeyCode::Char('t'));
        for _ in 0..self.rng.gen_range(0..6) {
            self.press("move in a list", KeyCode::Down);
        }
        self.press("tick a theme", KeyCode::Char(' '));
        self.press("confirm a list", KeyCode::Enter);
    }

    /// The grid's three rows rated; an urgency rated high prompts 15 and 112 at once, whose
    /// outcome is recorded (Ctrl-O) before anything else.
    fn rate_rud(&mut self) {
        self.press("open the RUD grid", KeyCode::Char('r'));
        self.grid();
        if self.terminal.call().is_some_and(|call| call.pending_prompts().next().is_some()) {
            self.terminal.press("open the prompts", ctrl('o'));
            self.acknowledge();
        }
    }

    /// Rates the open grid's rows from the one it is on, and confirms.
    fn grid(&mut self) {
        let row = match self.terminal.top() {
            Some(Popup::Rud(grid)) => grid.row,
            other => panic!("the RUD grid is open: {other:?}"),
        };
        for _ in row..3 {
            let level = match self.rng.gen_range(0..10) {
                0 => '3',
                1..4 => '2',
                _ => '1',
            };
            self.press("rate the RUD grid", KeyCode::Char(level));
            self.press("rate the RUD grid", KeyCode::Down);
        }
        self.press("confirm the RUD grid", KeyCode::Enter);
    }

    /// Each pending prompt: the number given (1) or the service contacted (2).
    fn acknowledge(&mut self) {
        while matches!(self.terminal.top(), Some(Popup::Acknowledge(_))) {
            let outcome = if self.rng.gen_bool(0.5) { '1' } else { '2' };
            self.press("acknowledge a prompt", KeyCode::Char(outcome));
            self.press("acknowledge a prompt", KeyCode::Enter);
        }
    }

    /// `e`, then whatever ending asks, in its order, until the store says the call is saved.
    fn end_call(&mut self) {
        self.press("end the call", KeyCode::Char('e'));
        let mut steps = 0;
        while self.terminal.call().is_some() {
            steps += 1;
            assert!(
                steps < 40,
                "desk {}: the call does not end; on top: {:?}; failures: {:?}",
                self.desk,
                self.terminal.top(),
                self.terminal.record.failures
            );
            let purpose = match self.terminal.top() {
                Some(Popup::List(list)) => Some(list.purpose),
                _ => None,
            };
            match self.terminal.top() {
                None => self.press("end the call", KeyCode::Char('e')),
                Some(Popup::Rud(_)) => self.grid(),
                Some(Popup::Acknowledge(_)) => self.acknowledge(),
                Some(Popup::ConfirmEndCall(_)) => self.press("confirm the end of the call", KeyCode::Enter),
                Some(Popup::List(_)) => {
                    let op = match purpose {
                        Some(ListPurpose::CallType) => "choose the call's type",
                        _ => "choose the outcome",
                    };
                    for _ in 0..self.rng.gen_range(0..3) {
                        self.press("move in a list", KeyCode::Down);
                    }
                    self.press(op, KeyCode::Enter);
                }
                Some(Popup::CallbackOffer(_)) => {
                    if self.rng.gen_bool(0.3) {
                        self.press("accept a callback", KeyCode::Enter);
                    } else {
                        self.press("save the call (its last key)", KeyCode::Char('n'));
                    }
                }
                Some(Popup::CallbackForm(_)) => self.callback_form(),
                Some(Popup::NewFileCode(_) | Popup::RepeatCaller(_)) => self.read_popups(),
                Some(other) => panic!("desk {}: ending a call met {other:?}", self.desk),
            }
        }
    }

    /// The callback form at the end of a call: the first preset's time, a number of the
    /// fiction range (or, for a written contact, an address on its channel), the caller's
    /// consent, for anyone or for this listener, a note; Enter saves the call with it.
    fn callback_form(&mut self) {
        let op = "fill the callback form";
        let channel = match self.terminal.top() {
            Some(Popup::CallbackForm(form)) => form.channel.clone(),
            other => panic!("the callback form is open: {other:?}"),
        };
        let address = match self.terminal.app.channels.address(&channel) {
            AddressKind::Phone => format!("06399{:05}", self.rng.gen_range(0..100_000)),
            AddressKind::Email => format!("appelant{}@exemple.fr", self.rng.gen_range(0..100_000)),
            _ => format!("pseudo {}", self.rng.gen_range(0..100_000)),
        };
        self.press(op, KeyCode::Tab);
        self.press(op, KeyCode::Tab);
        for c in address.chars() {
            self.press(op, KeyCode::Char(c));
        }
        self.press(op, KeyCode::Tab);
        self.press(op, KeyCode::Char(' '));
        self.press(op, KeyCode::Tab);
        if self.rng.gen_bool(0.7) {
            self.press(op, KeyCode::Right);
        }
        self.press(op, KeyCode::Tab);
        let note = format!("Rappel {}.{}", self.desk, self.contacts);
        for c in note.chars() {
            self.press(op, KeyCode::Char(c));
        }
        self.press("save the call and its callback (its last key)", KeyCode::Enter);
        if let Some(Popup::CallbackForm(form)) = self.terminal.top() {
            panic!("desk {}: the callback form refused: {:?}", self.desk, form.error);
        }
    }

    /// A callback of the queue for this listener or anyone, taken: reached, the call is taken
    /// and saved; not, the attempt is saved. False when the queue holds none.
    fn perform_a_callback(&mut self) -> bool {
        let Some(session) = self.terminal.app.session.as_ref() else { return false };
        let me = Assignee::Listener(session.actor.id);
        let mut candidates: Vec<usize> = (session.queue.iter().enumerate())
            .filter(|(_, entry)| entry.assignee == me)
            .map(|(at, _)| at)
            .collect();
        if candidates.is_empty() {
            candidates = (session.queue.iter().enumerate())
                .filter(|(_, entry)| entry.assignee == Assignee::Anyone)
                .map(|(at, _)| at)
                .take(10)
                .collect();
        }
        let Some(&target) = candidates.choose(&mut self.rng) else { return false };
        self.terminal.press("go to the callback queue", alt('4'));
        loop {
            let session = self.terminal.app.session.as_ref().expect("unlocked");
            let at = session.queue_selected;
            if at == target || at + 1 >= session.queue.len() {
                break;
            }
            self.press("move in the callback queue", KeyCode::Down);
        }
        self.press("take a callback (its number shown)", KeyCode::Enter);
        let taken = matches!(self.terminal.top(), Some(Popup::Perform(form)) if form.callback.is_some());
        if !taken {
            // Another desk had it first (the version check answered), or it went meanwhile.
            if self.terminal.top().is_some() {
                self.press("close a popup", KeyCode::Esc);
            }
            self.terminal.press("back to the call pane", alt('1'));
            return true;
        }
        self.terminal.pause(self.rng.gen_range(5..20));
        if self.rng.gen_bool(0.4) {
            self.press("the caller not reached (attempt saved)", KeyCode::Char('p'));
            self.terminal.press("back to the call pane", alt('1'));
            return true;
        }
        self.press("the caller reached (the call starts)", KeyCode::Char('j'));
        self.read_popups();
        assert!(
            self.terminal.app.session.as_ref().is_some_and(|s| s.focus == Pane::Call && s.call.is_some()),
            "desk {}: the callback's call started",
            self.desk
        );
        self.notes();
        if self.rng.gen_bool(0.3) {
            self.rate_rud();
        }
        self.end_call();
        true
    }
}
