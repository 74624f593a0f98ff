//! The terminal runtime: raw mode and the alternate screen, the event loop, signals and the
//! panic hook. What the app asks of the store is `runner`'s.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use anyhow::{Context as _, Result};
use chrono::Utc;
use ratatui::crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::{Terminal, backend::CrosstermBackend};

use crate::app::App;
use crate::config::Config;
use crate::config::PhoneSourceKind;
use crate::i18n::Strings;
use crate::last_login;
use crate::phone::{Phone, PhoneEvent, baresip::Baresip};
use crate::runner::{Delivered, Runner};
use crate::store::{KdfParams, Location, Store, StoreError};
use crate::ui;

/// How often the loop wakes without a key: timers, autosave, idle lock.
const TICK: Duration = Duration::from_millis(250);

/// Opens the terminal interface on `db` (`local`: what stands for it on this machine, see
/// `commands::Invocation`) until the person quits or a signal ends it. The
/// unlock screen starts on `login` (`--as`), else on the account last unlocked here.
pub fn run(
    db: Location,
    local: PathBuf,
    config: Config,
    login: Option<String>,
    demo_accounts: Vec<(String, String)>,
) -> Result<()> {
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        return Err(crate::i18n::Phrase::new(|s| &s.cli.needs_a_terminal).into());
    }
    let mut unreachable = None;
    let logins = match Store::logins(&db) {
        Ok(logins) => logins,
        // No database yet: the interface walks the person through creating it.
        Err(StoreError::KeyFileMissing(_)) if db.file().is_some_and(|path| !path.exists()) => Vec::new(),
        // An empty database on the server: the same walk creates the store there.
        Err(StoreError::NotFound(_)) if db.is_server() => Vec::new(),
        // The server down at start: the unlock screen, on the account last unlocked on this
        // machine, says so; unlocking tries again (what was typed is kept here meanwhile).
        Err(err) if err.is_unreachable() && db.is_server() && last_login::read(&local).is_some() => {
            unreachable = Some(err);
            last_login::read(&local).into_iter().collect()
        }
        Err(err) => {
            return Err(crate::i18n::Phrase::new(|s| &s.cli.cannot_open)
                .with("path", &db)
                .because(err)
                .into());
        }
    };
    let strings = Strings::get(config.language);
    let mut app = App::new(config, strings, logins, Utc::now());
    app.colors = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    app.demo_accounts = demo_accounts;
    app.preselect(login.as_deref(), last_login::read(&local).as_deref());
    if let (Some(err), Some(crate::app::gate::Gate::Unlock(form))) = (unreachable, app.gate.as_mut()) {
        form.message = crate::app::gate::Notice::failed(crate::messages::unlock_failure(strings, &err));
    }
    let mut runner = Runner::new(db, local, &app.config, KdfParams::DEFAULT);

    // SIGTERM and SIGHUP (the terminal window closed) save the draft before leaving.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(signal, Arc::clone(&stop)).context("installing signal handlers")?;
    }

    install_panic_hook();
    enter_terminal()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout())).context("opening the terminal")?;
    let result = start_and_loop(&mut terminal, &mut app, &mut runner, &stop);
    // Whatever ended the loop (quit, signal, a terminal that went away), the call in
    // progress is in the draft before anything else can fail.
    let effects = app.save_now();
    runner.run_all(&mut app, effects);
    close(terminal);
    leave_terminal();
    result
}

/// What wakes the loop besides the tick.
enum Input {
    /// A key, a paste, a resize; an error when the terminal is gone.
    Terminal(io::Result<Event>),
    Phone(PhoneEvent),
    /// A read made off the loop (`Runner::read_aside`): statistics, a search, a file…
    Aside(Box<Delivered>),
}

/// Reads the terminal on a thread of its own, into `inputs`, until it fails (the window closed)
/// or nobody listens.
fn read_terminal(inputs: Sender<Input>) -> Result<()> {
    std::thread::Builder::new()
        .name("keys".into())
        .spawn(move || {
            loop {
                let read = event::read();
                let gone = read.is_err();
                if inputs.send(Input::Terminal(read)).is_err() || gone {
                    return;
                }
            }
        })
        .context("starting the keyboard reader")?;
    Ok(())
}

/// Starts the phone source the configuration names, its events sent into `inputs`.
fn start_phone(config: &Config, inputs: Sender<Input>) -> Result<Option<Phone>> {
    let Some(kind) = config.phone.source else { return Ok(None) };
    let source = match kind {
        PhoneSourceKind::Baresip => {
            Box::new(Baresip { address: config.phone.address.clone(), dial: config.phone.dial.clone() })
        }
    };
    let phone = Phone::start(source, move |event| inputs.send(Input::Phone(event)).is_ok())
        .context("starting the phone")?;
    Ok(Some(phone))
}

/// Keys and the phone's events arrive on one channel, so that either wakes the loop at once.
fn start_and_loop(
    terminal: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
    runner: &mut Runner,
    stop: &AtomicBool,
) -> Result<()> {
    // `Terminal::clear` asks the terminal where its cursor is, an answer the keyboard reader
    // would take for itself: it runs before the reader starts, and never after.
    terminal.clear()?;
    let (inputs, input) = channel();
    read_terminal(inputs.clone())?;
    let aside = inputs.clone();
    runner.read_aside(Arc::new(move |delivered| {
        let _ = aside.send(Input::Aside(Box::new(delivered)));
    }));
    if let Some(phone) = start_phone(&app.config, inputs)? {
        runner.set_phone(phone);
    }
    event_loop(terminal, app, runner, &input, stop)
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
    runner: &mut Runner,
    input: &Receiver<Input>,
    stop: &AtomicBool,
) -> Result<()> {
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        terminal.draw(|frame| ui::draw(frame, app))?;
        if app.quit {
            return Ok(());
        }
        let mut effects = Vec::new();
        match input.recv_timeout(TICK) {
            Ok(Input::Terminal(read)) => match read? {
                Event::Key(key) => effects = app.handle_key(key),
                Event::Paste(text) => app.handle_paste(&text),
                _ => {}
            },
            Ok(Input::Phone(event)) => effects = app.phone_event(event),
            Ok(Input::Aside(delivered)) => {
                if let Some(reply) = runner.delivered(*delivered) {
                    effects = app.apply(reply);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // The keyboard reader is gone without saying why: the terminal is.
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        effects.extend(app.tick(Utc::now()));
        if !effects.is_empty() {
            // Show "unlocking…" and the like before a slow effect runs.
            terminal.draw(|frame| ui::draw(frame, app))?;
            runner.run_all(app, effects);
        }
    }
}

/// Drops the terminal. When the terminal is gone (window closed), ratatui's drop would
/// report the failure to show the cursor with `eprintln!`, which panics on a dead stderr:
/// in that case the handle is forgotten instead (the process is about to end).
fn close(mut terminal: Terminal<CrosstermBackend<io::Stdout>>) {
    if terminal.show_cursor().is_err() {
        std::mem::forget(terminal);
    }
}

fn enter_terminal() -> Result<()> {
    enable_raw_mode().context("switching the terminal to raw mode")?;
    execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste)
        .context("entering the alternate screen")?;
    Ok(())
}

/// Restores the terminal; safe to call twice (from the panic hook, then on the way out).
fn leave_terminal() {
    let _ =
        execute!(io::stdout(), DisableBracketedPaste, LeaveAlternateScreen, ratatui::crossterm::cursor::Show);
    let _ = disable_raw_mode();
    let _ = io::stdout().flush();
}

/// On a panic: restore the terminal, and say where it happened but not the panic's
/// message, which could quote caller data. The draft saved a second ago is offered back at
/// the next unlock.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        // A reading thread's panic is caught there and told as an internal error, the terminal
        // going on: leaving the alternate screen under it would let the next frames, caller
        // data among them, into the terminal's scrollback.
        if std::thread::current().name() == Some("reader") {
            return;
        }
        leave_terminal();
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        // Never `eprintln!` here: it panics when stderr is gone, and a panic in the hook aborts.
        let _ = writeln!(
            io::stderr(),
            "permanence: internal error at {location}. The call in progress was autosaved and will be \
             offered back at the next unlock."
        );
    }));
}
