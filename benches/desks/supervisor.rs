//! The supervisor's evening: the supervisor's view open (who is on shift and on a call, every
//! pending callback; asked again every five seconds by the real tick), a callback chosen there
//! every few seconds and given to one of the desks, the view closed and opened again now and
//! then. A reassignment made on a callback that a desk took or changed meanwhile is refused by
//! the version check and told.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ratatui::crossterm::event::KeyCode;

use permanence::app::popup::{Popup, filtered};

use super::drive::{Terminal, key};
use super::record::Record;

pub fn run(mut terminal: Terminal, desk_names: &str, deadline: Instant) -> Record {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5_0BE5);
    let started = Instant::now();
    terminal.start();
    terminal.press("supervisor: open the view", key(KeyCode::F(5)));
    let mut rounds = 0;
    while Instant::now() < deadline {
        rounds += 1;
        // Reading the view between two changes: one to three seconds at ten keys a second.
        terminal.pause(rng.gen_range(10..30));
        if rounds % 8 == 0 {
            terminal.press("supervisor: close the view", key(KeyCode::Esc));
            terminal.press("supervisor: open the view", key(KeyCode::F(5)));
        }
        reassign_one(&mut terminal, &mut rng, desk_names);
    }
    if terminal.top().is_some() {
        terminal.press("supervisor: close the view", key(KeyCode::Esc));
    }
    let seconds = started.elapsed().as_secs_f64();
    terminal.quit(seconds)
}

/// A callback of the view, chosen, given to a desk.
fn reassign_one(terminal: &mut Terminal, rng: &mut ChaCha8Rng, desk_names: &str) {
    let Some(Popup::Supervisor(view)) = terminal.top() else {
        panic!("the view is open: {:?}", terminal.top())
    };
    let session = terminal.app.session.as_ref().expect("unlocked");
    let listed = filtered(session, view, terminal.app.now).len();
    if listed == 0 {
        return;
    }
    let selected = view.selected;
    let target = rng.gen_range(0..listed.min(20));
    for _ in selected..target {
        terminal.press("supervisor: move in the view", key(KeyCode::Down));
    }
    for _ in target..selected {
        terminal.press("supervisor: move in the view", key(KeyCode::Up));
    }
    terminal.press("supervisor: open the reassigning form", key(KeyCode::Char('a')));
    let Some(Popup::Reassign(form)) = terminal.top() else { return };
    let session = terminal.app.session.as_ref().expect("unlocked");
    let desks: Vec<usize> = (session.listeners.iter().enumerate())
        .filter(|(_, (_, name))| name.starts_with(desk_names))
        .map(|(at, _)| at + 1)
        .collect();
    let to = desks[rng.gen_range(0..desks.len())];
    let from = form.selected;
    for _ in from..to {
        terminal.press("supervisor: choose a desk", key(KeyCode::Down));
    }
    for _ in to..from {
        terminal.press("supervisor: choose a desk", key(KeyCode::Up));
    }
    terminal.press("supervisor: reassign a callback", key(KeyCode::Enter));
    if matches!(terminal.top(), Some(Popup::Reassign(_))) {
        terminal.press("supervisor: close a popup", key(KeyCode::Esc));
    }
}
