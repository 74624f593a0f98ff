//! What each subcommand does, between the parsed command line and the store.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::config::Config;
use crate::demo;
use crate::domain::listener::Role;
use crate::domain::settings::Setting;
use crate::export::{self, SummaryFormat, write_summary};
use crate::i18n::Strings;
use crate::passphrase_input::PassphraseSource;
use crate::paths;
use crate::store::{KdfParams, NewAccount, ScopeRequest, Store, StoreError};

/// `println!` that hands back an error instead of panicking when standard output is closed
/// (`permanence queue | head -1`); `main` ends quietly on a broken pipe.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout(), $($arg)*).context("writing to standard output")?
    };
}

/// What every command needs: the database path, the configuration, who acts and how their
/// passphrases are read.
pub struct Invocation {
    pub db: PathBuf,
    pub config: Config,
    pub config_file: Option<PathBuf>,
    login: Option<String>,
    passphrases: PassphraseSource,
}

impl Invocation {
    /// `--db` wins over the config's `database`, which wins over the platform default
    /// (the demo has its own default, so it never touches the real database).
    pub fn new(
        db: Option<PathBuf>,
        config: Option<&Path>,
        login: Option<String>,
        passphrase_stdin: bool,
        demo: bool,
    ) -> Result<Invocation> {
        let default_config = paths::default_config_file().ok();
        let (config, config_file) = Config::load(config, default_config.as_deref())?;
        let db = match (db, &config.database, demo) {
            (Some(db), _, _) => db,
            (None, _, true) => paths::default_demo_database()?,
            (None, Some(db), false) => db.clone(),
            (None, None, false) => paths::default_database()?,
        };
        // A URL taken for a path would create a folder named `postgresql:` and a new empty store.
        if let Some(scheme) = db.to_str().and_then(|d| d.split_once("://")).map(|(scheme, _)| scheme) {
            bail!(
                "{}: this version opens a database file only, not a {scheme}:// server; \
                 give the path of the file",
                db.display()
            );
        }
        Ok(Invocation {
            db,
            config,
            config_file,
            login,
            passphrases: PassphraseSource::new(passphrase_stdin),
        })
    }

    /// Unlocks the database as `--as LOGIN`, or as its only account.
    fn unlock(&mut self) -> Result<Store> {
        let login = match &self.login {
            Some(login) => login.clone(),
            None => {
                let logins = Store::logins(&self.db)?;
                match logins.as_slice() {
                    [only] => only.clone(),
                    _ => bail!(
                        "this database has several accounts: say which with --as LOGIN ({})",
                        logins.join(", ")
                    ),
                }
            }
        };
        let passphrase = self.passphrases.ask(&format!("Passphrase for {login}: "))?;
        Ok(Store::open(&self.db, &login, &passphrase)?)
    }
}

/// The terminal interface; on a first run it walks the person through creating the database.
pub fn open_terminal(invocation: Invocation) -> Result<ExitCode> {
    crate::terminal::run(invocation.db, invocation.config, invocation.login, Vec::new())?;
    Ok(ExitCode::SUCCESS)
}

pub fn init(mut invocation: Invocation, login: &str, name: &str) -> Result<ExitCode> {
    if invocation.db.exists() {
        return Err(StoreError::AlreadyExists(invocation.db.clone()).into());
    }
    say!("Creating the database {}", invocation.db.display());
    say!("First supervisor account: {login} ({name})");
    let passphrase = invocation.passphrases.ask_new(&format!("New passphrase for {login}: "), login)?;
    let account = NewAccount { login, display_name: name, role: Role::Supervisor, passphrase: &passphrase };
    let mut store = Store::create(&invocation.db, account, KdfParams::DEFAULT)?;
    // The config may propose the centre's retention period once, here; afterwards it is the
    // store's, changed by a supervisor with `permanence settings set`.
    let retention = invocation.config.retention_days;
    if Some(retention) != store.settings()?.retention_days {
        store.set_setting(Setting::RetentionDays, retention)?;
    }
    say!("Created. Key file: {}", store.key_file_path().display());
    if let Some((_, fingerprint)) = store.centre_root()? {
        say!("Centre root key (note it down; `permanence check` shows it): {fingerprint}");
    }
    say!("Retention period: {retention} days (change it with `permanence settings set retention_days N`).");
    say!("Back up both files together: one without the other cannot be opened.");
    Ok(ExitCode::SUCCESS)
}

pub fn demo(invocation: Invocation, calls: u64) -> Result<ExitCode> {
    let created = if invocation.db.exists() {
        say!("The demo database {} already exists; it is reopened as it is.", invocation.db.display());
        say!("(Delete it and its .keys file to build it again, e.g. with another --calls.)");
        demo::verify(&invocation.db)?
    } else {
        say!("Building a demo database of {calls} synthetic calls in {}…", invocation.db.display());
        demo::build(&invocation.db, calls, &invocation.config.themes, invocation.config.retention_days)?
    };
    say!();
    say!("Demo database: {}", invocation.db.display());
    say!(
        "  {} calls, {} caller files, {} pending callbacks",
        created.calls,
        created.files,
        created.pending_callbacks
    );
    say!("Demo accounts (synthetic; never use these passphrases for real):");
    for account in demo::ACCOUNTS {
        say!(
            "  {:<8} {:<11} {:<28} passphrase: {}",
            account.login,
            account.role.as_str(),
            account.display_name,
            account.passphrase
        );
    }
    say!();
    if !std::io::stdout().is_terminal() {
        say!("Open it with: permanence --db {}", invocation.db.display());
        return Ok(ExitCode::SUCCESS);
    }
    let accounts = demo::ACCOUNTS.iter().map(|a| (a.login.to_owned(), a.passphrase.to_owned())).collect();
    crate::terminal::run(invocation.db, invocation.config, invocation.login, accounts)?;
    Ok(ExitCode::SUCCESS)
}

pub fn listener_add(mut invocation: Invocation, login: &str, name: &str, role: Role) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    let passphrase = invocation.passphrases.ask_new(&format!("New passphrase for {login}: "), login)?;
    let account = NewAccount { login, display_name: name, role, passphrase: &passphrase };
    let listener = store.add_listener(account, KdfParams::DEFAULT)?;
    say!("Added {} ({}, {}).", listener.login, listener.display_name, listener.role);
    Ok(ExitCode::SUCCESS)
}

pub fn listener_list(mut invocation: Invocation) -> Result<ExitCode> {
    let store = invocation.unlock()?;
    for listener in store.listeners()? {
        let state = if listener.active { "active" } else { "deactivated" };
        say!("{:<16} {:<11} {:<12} {}", listener.login, listener.role.as_str(), state, listener.display_name);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn listener_deactivate(mut invocation: Invocation, login: &str) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    store.deactivate_listener(login)?;
    say!("Deactivated {login}: their key slot is removed, their past calls keep their name.");
    Ok(ExitCode::SUCCESS)
}

pub fn listener_passwd(mut invocation: Invocation, login: Option<&str>) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    let login = login.unwrap_or(&store.actor().login).to_owned();
    let passphrase = invocation.passphrases.ask_new(&format!("New passphrase for {login}: "), &login)?;
    store.set_passphrase(&login, &passphrase, KdfParams::DEFAULT)?;
    say!("The passphrase of {login} is changed (only its key slot was rewritten).");
    Ok(ExitCode::SUCCESS)
}

pub fn listener_endorse(mut invocation: Invocation, login: &str) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    let fingerprint = store.endorse_slot(login)?;
    say!("The key slot of {login} is endorsed: it may unlock.");
    say!("Its signing key's fingerprint: {fingerprint}");
    Ok(ExitCode::SUCCESS)
}

pub fn check(mut invocation: Invocation) -> Result<ExitCode> {
    let store = match invocation.unlock() {
        Ok(store) => store,
        // Damage that prevents unlocking is the verdict itself, not a failure to check.
        Err(err) if err.downcast_ref::<StoreError>().is_some_and(StoreError::is_damage) => {
            say!("FAULT: {err:#}");
            return Ok(ExitCode::FAILURE);
        }
        Err(err) => return Err(err),
    };
    match store.access() {
        crate::store::Access::ReadOnly => say!("Opened read-only: nothing was written."),
        crate::store::Access::DiskFull => say!("The disk is full: opened for reading, nothing was written."),
        crate::store::Access::ReadWrite => {}
    }
    let report = store.check().context("running the checks")?;
    for finding in &report.findings {
        say!("FAULT: {finding}");
    }
    for note in &report.notes {
        say!("NOTE: {note}");
    }
    if report.is_clean() {
        say!(
            "OK: structure, encrypted pages and audit log verified ({} audit entries).",
            report.audit_entries
        );
        if let Some(head) = report.audit_head {
            say!("Audit chain head: {head}");
        }
        match store.centre_root()? {
            Some((login, fingerprint)) => say!("Centre root key: {fingerprint} (held by {login})"),
            None => {
                say!("Centre root key: none yet (set when a supervisor's version-1 key slot is converted)")
            }
        }
        let settings = store.settings()?;
        match settings.retention_days {
            Some(days) => say!(
                "Centre settings: retention {days} days; a purge at unlock over {}% of the store waits \
                 for a supervisor.",
                settings.purge_confirm_percent
            ),
            None => say!(
                "Centre settings: the retention period is not set, so nothing is purged: a supervisor \
                 sets it with `permanence settings set retention_days N`."
            ),
        }
        Ok(ExitCode::SUCCESS)
    } else {
        say!("{} fault(s) found in {}.", report.findings.len(), invocation.db.display());
        Ok(ExitCode::FAILURE)
    }
}

/// Prints the centre's settings, or changes one (supervisor only, audited).
pub fn settings(mut invocation: Invocation, change: Option<(&str, u32)>) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    if let Some((name, value)) = change {
        let setting: Setting = name.parse().map_err(|_| {
            let known: Vec<&str> = Setting::ALL.iter().map(|s| s.as_str()).collect();
            anyhow::anyhow!("unknown setting {name:?}: the settings are {}", known.join(", "))
        })?;
        store.set_setting(setting, value)?;
    }
    let settings = store.settings()?;
    for setting in Setting::ALL {
        match settings.get(*setting) {
            Some(value) => say!("{setting} = {value}"),
            None => say!("{setting} = (not set: nothing is purged until a supervisor sets it)"),
        }
    }
    if Some(invocation.config.retention_days) != settings.retention_days {
        let _ = writeln!(
            std::io::stderr(),
            "Note: the config file says retention_days = {}; the centre's setting above is what applies.",
            invocation.config.retention_days
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn backup(mut invocation: Invocation, out: &Path) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    let report = store.backup(out)?;
    say!(
        "Backup written and verified: {} ({} bytes, {} calls, {} files), key file {}",
        out.display(),
        report.bytes,
        report.calls,
        report.files,
        crate::store::KeyFile::path_for(out).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The pending callbacks, for a supervisor at another terminal or a script (`--format json`).
pub fn queue(mut invocation: Invocation, json: bool) -> Result<ExitCode> {
    let store = invocation.unlock()?;
    let now = chrono::Utc::now();
    let entries = store.callback_queue(now)?;
    if json {
        let callbacks: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.id.0,
                    "file_code": e.file_code.as_str(),
                    "due_at": e.due_at.to_rfc3339(),
                    "overdue": e.is_overdue(now),
                    "priority": e.priority.as_str(),
                    "assigned_to": e.assignee_name,
                    "attempts": e.attempts,
                })
            })
            .collect();
        let document =
            serde_json::json!({ "format": "permanence-queue", "version": 1, "callbacks": callbacks });
        say!("{}", serde_json::to_string_pretty(&document)?);
    } else if entries.is_empty() {
        say!("No pending callback.");
    } else {
        for e in &entries {
            let state = if e.is_overdue(now) {
                "OVERDUE"
            } else if e.is_due_soon(now) {
                "due soon"
            } else {
                ""
            };
            let due = invocation.config.timezone.iso_minute(e.due_at);
            let assignee = e.assignee_name.as_deref().unwrap_or("anyone");
            say!(
                "{state:<9} {due}  {}  {:<7} {assignee}  ({} attempts)",
                e.file_code,
                e.priority.as_str(),
                e.attempts
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A caller's right of access: everything held on one file (supervisor only, audited).
pub fn file_export(
    mut invocation: Invocation,
    code: &str,
    json: bool,
    out: Option<&Path>,
) -> Result<ExitCode> {
    // Checked before the access is recorded: a refused path leaves no audit entry behind.
    if let Some(path) = export::out_file(out) {
        crate::output_path::check(path, &invocation.db)?;
    }
    let mut store = invocation.unlock()?;
    let record = store.file_for_access_request(code)?;
    let now = chrono::Utc::now();
    let bytes = if json {
        let mut text = serde_json::to_string_pretty(&export::access::json(&record, now))?;
        text.push('\n');
        text.into_bytes()
    } else {
        let config = &invocation.config;
        export::access::markdown(&record, now, Strings::get(config.language), config.timezone).into_bytes()
    };
    export::write(out, &invocation.db, &bytes)?;
    if let Some(out) = export::out_file(out) {
        say!("File {} written to {} ({} bytes, mode 0600).", record.file.code, out.display(), bytes.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets or lifts a legal hold (supervisor only, audited).
pub fn file_hold(mut invocation: Invocation, code: &str, hold: bool, reason: &str) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    let id = store.file_id_by_code(code)?.with_context(|| format!("no caller file with the code {code}"))?;
    store.set_legal_hold(id, hold, reason)?;
    let state = if hold { "is now under legal hold" } else { "is no longer under legal hold" };
    say!("File {} {state}.", code.to_uppercase());
    Ok(ExitCode::SUCCESS)
}

/// The retention purge on demand (supervisor only, audited); `--dry-run` only counts.
pub fn purge(mut invocation: Invocation, dry_run: bool) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    let report = store.purge(chrono::Utc::now(), dry_run)?;
    let days = store.settings()?.retention_days.unwrap_or_default();
    let (verb, cancelled) = if dry_run { ("Would wipe", "to cancel") } else { ("Wiped", "cancelled") };
    say!(
        "{verb} the free text of {} file(s) and the notes of {} call(s), {} handover note(s); \
         {} pending callback(s) {cancelled}; {} file(s) kept under legal hold (retention: {days} days).",
        report.files,
        report.calls,
        report.handover_notes,
        report.callbacks_cancelled,
        report.held
    );
    Ok(ExitCode::SUCCESS)
}

/// A calendar day of the configured zone (`--from`, `--to`). Years outside 1900–9999 are
/// refused: no call is recorded there, and the arithmetic on such instants would overflow.
fn local_day(day: &str) -> Result<chrono::NaiveDate> {
    use chrono::Datelike;
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=9999).contains(&d.year()))
        .with_context(|| format!("{day:?} is not a date like 2026-11-01 (years 1900 to 9999)"))
}

pub fn export(
    mut invocation: Invocation,
    shift: Option<&str>,
    period: Option<(String, String)>,
    format: SummaryFormat,
    out: Option<&Path>,
    include_notes: bool,
) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    let request = match (shift, period) {
        (_, Some((from, to))) => {
            let (from_day, to_day) = (from, to);
            // Local midnights, so a period holding a change of time is 23 or 25 hours longer
            // than whole days of 24, not one hour off at an end.
            let zone = invocation.config.timezone;
            let from = zone.start_of_day(local_day(&from_day)?);
            let to = zone.start_of_day(local_day(&to_day)? + chrono::Duration::days(1));
            if to <= from {
                bail!("--to {to_day} comes before --from {from_day}");
            }
            ScopeRequest::Period { from, to }
        }
        (None | Some("current"), None) => {
            let shift =
                store.open_shift()?.context("you have no open shift (try --shift last or a number)")?;
            ScopeRequest::Shift(shift.id)
        }
        (Some("last"), None) => {
            let shift = store.last_closed_shift()?.context("no shift has been closed yet")?;
            ScopeRequest::Shift(shift.id)
        }
        (Some(number), None) => {
            let id: i64 =
                number.parse().with_context(|| format!("--shift {number:?}: current, last or a number"))?;
            ScopeRequest::Shift(crate::domain::ShiftId(id))
        }
    };
    let path =
        write_summary(&mut store, &invocation.config, &invocation.db, request, format, out, include_notes)?;
    let recipients = invocation.config.export.recipients.len();
    match (export::out_file(Some(&path)).is_some(), recipients) {
        (false, _) => {}
        (true, 0) => say!("Export written to {} (mode 0600).", path.display()),
        (true, n) => say!(
            "Export written to {} (mode 0600), encrypted with age for {n} recipient(s) from the config.",
            path.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}
