//! What each subcommand does, between the parsed command line and the store.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use crate::config::Config;
use crate::demo;
use crate::domain::listener::{Role, validate_display_name};
use crate::domain::settings::Setting;
use crate::export::{self, ReportFormat, SummaryFormat, write_report, write_summary};
use crate::i18n::{Phrase, Strings};
use crate::passphrase_input::PassphraseSource;
use crate::paths;
use crate::store::{KdfParams, Location, NewAccount, ScopeRequest, Store, StoreError};

/// `println!` that hands back an error instead of panicking when standard output is closed
/// (`permanence queue | head -1`); `main` ends quietly on a broken pipe.
/// Every line goes through `printable::for_terminal`: names, logins and messages quoting what
/// is in the files are printed with their control characters escaped, never obeyed.
macro_rules! say {
    () => {
        writeln!(std::io::stdout()).map_err(|e| Phrase::new(|s| &s.cli.stdout_unwritable).because(e))?
    };
    ($($arg:tt)*) => {
        writeln!(std::io::stdout(), "{}", crate::printable::for_terminal(&format!($($arg)*)))
            .map_err(|e| Phrase::new(|s| &s.cli.stdout_unwritable).because(e))?
    };
}

/// What every command needs: where the store is, the configuration, who acts and how their
/// passphrases are read.
pub struct Invocation {
    /// A database file, or a database on the centre's server.
    pub db: Location,
    /// What stands for the store on this machine: the file itself, or a private folder of this
    /// machine's for a server (`paths::server_state`). Exports go beside it and never over it,
    /// the unlock screen's last login beside it.
    pub local: PathBuf,
    pub config: Config,
    pub config_file: Option<PathBuf>,
    /// What the command line says, in the configured language.
    pub strings: &'static Strings,
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
        let strings = Strings::get(config.language);
        let db = match (db, &config.database, demo) {
            (Some(db), _, _) => db,
            (None, _, true) => paths::default_demo_database()?,
            (None, Some(db), false) => db.clone(),
            (None, None, false) => paths::default_database()?,
        };
        let db = Location::parse(&db)?;
        // Another URL taken for a path would create a folder named `mysql:` and a new empty store.
        if let Some(path) = db.file()
            && let Some((scheme, _)) = path.to_str().and_then(|d| d.split_once("://"))
        {
            return Err(Phrase::new(|s| &s.cli.not_a_file_url)
                .with("path", path.display())
                .with("scheme", scheme)
                .into());
        }
        let local = match &db {
            Location::File(path) => path.clone(),
            Location::Server(url) => paths::server_state(&url.redacted())?,
        };
        Ok(Invocation {
            db,
            local,
            config,
            config_file,
            strings,
            login,
            passphrases: PassphraseSource::new(passphrase_stdin, strings),
        })
    }

    /// A new passphrase for `login` (shown as `name`), checked by the policy, refusals said in
    /// the configured language.
    fn ask_new_passphrase(&mut self, login: &str, name: &str) -> Result<crate::passphrase_input::Passphrase> {
        let s = self.strings;
        let prompt = s.fill(&s.cli.new_passphrase_for, &[("login", &crate::printable::for_terminal(login))]);
        self.passphrases.ask_new(&prompt, login, name)
    }

    /// Unlocks the database as `--as LOGIN`, or as its only account.
    fn unlock(&mut self) -> Result<Store> {
        Ok(self.unlock_keeping()?.0)
    }

    /// `unlock`, keeping the login and passphrase for a second store they must open too (the
    /// copy `migrate` wrote).
    fn unlock_keeping(&mut self) -> Result<(Store, String, crate::passphrase_input::Passphrase)> {
        let login = match &self.login {
            Some(login) => login.clone(),
            None => {
                let logins = Store::logins(&self.db)?;
                match logins.as_slice() {
                    [only] => only.clone(),
                    _ => {
                        return Err(Phrase::new(|s| &s.cli.which_account)
                            .with("logins", logins.join(", "))
                            .into());
                    }
                }
            }
        };
        let s = self.strings;
        let passphrase = self
            .passphrases
            .ask(&s.fill(&s.cli.passphrase_for, &[("login", &crate::printable::for_terminal(&login))]))?;
        let store = Store::open(&self.db, &login, &passphrase)?;
        Ok((store, login, passphrase))
    }
}

/// The terminal interface; on a first run it walks the person through creating the database.
pub fn open_terminal(invocation: Invocation) -> Result<ExitCode> {
    crate::terminal::run(invocation.db, invocation.local, invocation.config, invocation.login, Vec::new())?;
    Ok(ExitCode::SUCCESS)
}

pub fn init(mut invocation: Invocation, login: &str, name: &str) -> Result<ExitCode> {
    let s = invocation.strings;
    if let Some(path) = invocation.db.file()
        && path.exists()
    {
        return Err(StoreError::AlreadyExists(path.to_owned()).into());
    }
    // Before any passphrase is asked: a name that cannot be kept is refused first.
    validate_display_name(name).map_err(|e| Phrase::bad_display_name(&e))?;
    say!("{}", s.fill(&s.cli.init_creating, &[("path", &invocation.db.to_string())]));
    say!("{}", s.fill(&s.cli.init_first_account, &[("login", login), ("name", name)]));
    let passphrase = invocation.ask_new_passphrase(login, name)?;
    let account = NewAccount { login, display_name: name, role: Role::Supervisor, passphrase: &passphrase };
    let mut store = Store::create(&invocation.db, account, KdfParams::DEFAULT)?;
    // The config may propose the centre's retention period once, here; afterwards it is the
    // store's, changed by a supervisor with `permanence settings set`.
    let retention = invocation.config.retention_days;
    if Some(retention) != store.settings()?.retention_days {
        store.set_setting(Setting::RetentionDays, retention)?;
    }
    match store.key_file_path() {
        Some(keys) => say!("{}", s.fill(&s.cli.init_created, &[("path", &keys.display().to_string())])),
        None => say!("{}", s.fill(&s.cli.init_created_on_server, &[("path", &invocation.db.to_string())])),
    }
    if let Some((_, fingerprint)) = store.centre_root()? {
        say!("{}", s.fill(&s.cli.init_root_key, &[("fingerprint", &fingerprint)]));
    }
    say!("{}", s.fill(&s.cli.init_retention, &[("days", &retention.to_string())]));
    if invocation.db.file().is_some() {
        say!("{}", s.cli.init_back_up_both);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn demo(invocation: Invocation, calls: u64) -> Result<ExitCode> {
    let s = invocation.strings;
    let db = invocation.db.to_string();
    let exists = match &invocation.db {
        Location::File(path) => path.exists(),
        // A store on the server: its key slots are there.
        Location::Server(_) => Store::logins(&invocation.db).is_ok(),
    };
    let created = if exists {
        say!("{}", s.fill(&s.cli.demo_exists, &[("path", &db)]));
        say!("{}", s.cli.demo_rebuild);
        demo::verify(&invocation.db)?
    } else {
        say!("{}", s.fill(&s.cli.demo_building, &[("calls", &calls.to_string()), ("path", &db)]));
        demo::build(&invocation.db, calls, &invocation.config.themes, invocation.config.retention_days)?
    };
    say!();
    say!("{}", s.fill(&s.cli.demo_database, &[("path", &db)]));
    let counts = [
        s.count(created.calls, &s.count_calls_one, &s.count_calls),
        s.count(created.files, &s.count_files_one, &s.count_files),
        s.count(created.pending_callbacks, &s.cli.count_pending_one, &s.cli.count_pending),
    ];
    say!("  {}", counts.join(", "));
    say!("{}", s.cli.demo_accounts);
    for account in demo::ACCOUNTS {
        say!(
            "  {:<8} {:<12} {:<28} {}",
            account.login,
            s.role(account.role),
            account.display_name,
            s.fill(&s.cli.demo_passphrase, &[("passphrase", account.passphrase)])
        );
    }
    say!();
    if !std::io::stdout().is_terminal() {
        say!("{}", s.fill(&s.cli.demo_open_with, &[("path", &db)]));
        return Ok(ExitCode::SUCCESS);
    }
    let accounts = demo::ACCOUNTS.iter().map(|a| (a.login.to_owned(), a.passphrase.to_owned())).collect();
    crate::terminal::run(invocation.db, invocation.local, invocation.config, invocation.login, accounts)?;
    Ok(ExitCode::SUCCESS)
}

pub fn listener_add(mut invocation: Invocation, login: &str, name: &str, role: Role) -> Result<ExitCode> {
    let s = invocation.strings;
    validate_display_name(name).map_err(|e| Phrase::bad_display_name(&e))?;
    let mut store = invocation.unlock()?;
    let passphrase = invocation.ask_new_passphrase(login, name)?;
    let account = NewAccount { login, display_name: name, role, passphrase: &passphrase };
    let listener = store.add_listener(account, KdfParams::DEFAULT)?;
    say!(
        "{}",
        s.fill(
            &s.cli.listener_added,
            &[("login", &listener.login), ("name", &listener.display_name), ("role", s.role(listener.role))]
        )
    );
    Ok(ExitCode::SUCCESS)
}

pub fn listener_list(mut invocation: Invocation) -> Result<ExitCode> {
    let s = invocation.strings;
    let store = invocation.unlock()?;
    for listener in store.listeners()? {
        let state = if listener.active { &s.cli.account_active } else { &s.cli.account_deactivated };
        say!("{:<16} {:<12} {:<12} {}", listener.login, s.role(listener.role), state, listener.display_name);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn listener_deactivate(mut invocation: Invocation, login: &str) -> Result<ExitCode> {
    let s = invocation.strings;
    let mut store = invocation.unlock()?;
    let bar = Bar::new(&s.cli.rekey_progress, 0);
    let withdrawal = store.deactivate_listener_with(login, &|done, total| bar.show(done, total))?;
    bar.finish();
    say!("{}", s.fill(&s.cli.listener_deactivated, &[("login", login)]));
    say_withdrawn(s, &withdrawal, true)?;
    Ok(ExitCode::SUCCESS)
}

pub fn listener_passwd(mut invocation: Invocation, login: Option<&str>) -> Result<ExitCode> {
    let s = invocation.strings;
    let mut store = invocation.unlock()?;
    let login = login.unwrap_or(&store.actor().login).to_owned();
    // The policy weighs the account's own name; an unknown login is refused by the store.
    let name = store.listeners()?.into_iter().find(|l| l.login == login).map(|l| l.display_name);
    let passphrase = invocation.ask_new_passphrase(&login, name.as_deref().unwrap_or_default())?;
    let bar = Bar::new(&s.cli.rekey_progress, 0);
    let rekeyed = store
        .set_passphrase_with(&login, &passphrase, KdfParams::DEFAULT, &|done, total| bar.show(done, total))?;
    bar.finish();
    match rekeyed {
        None => say!("{}", s.fill(&s.cli.passphrase_changed, &[("login", &login)])),
        Some(withdrawal) => {
            say!("{}", s.fill(&s.cli.passphrase_reset, &[("login", &login)]));
            say_withdrawn(s, &withdrawal, false)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on standard error for what takes seconds on a large store (a re-key, a
/// check): silent when standard error is not a terminal (scripts, pipes, tests), and for work
/// of fewer than `worth_showing` items, which ends before a bar would be read.
struct Bar {
    bar: Option<indicatif::ProgressBar>,
    worth_showing: u64,
}

impl Bar {
    fn new(what: &str, worth_showing: u64) -> Bar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(1);
            bar.set_style(
                indicatif::ProgressStyle::with_template(&format!(
                    "{what} {{bar:40}} {{percent:>3}}% ({{eta}})"
                ))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Bar { bar, worth_showing }
    }

    fn show(&self, done: u64, total: u64) {
        if let Some(bar) = self.bar.as_ref().filter(|_| total >= self.worth_showing) {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What a deactivation or a reset did to the data key: the file's re-key, or on a server what
/// the key kept does not protect against.
fn say_withdrawn(s: &Strings, withdrawal: &crate::store::Withdrawal, deactivated: bool) -> Result<()> {
    let report = match withdrawal {
        crate::store::Withdrawal::Rekeyed(report) => report,
        crate::store::Withdrawal::KeyKept => {
            say!("{}", if deactivated { &s.cli.key_kept_on_server } else { &s.cli.key_kept_on_server_reset });
            return Ok(());
        }
    };
    let seconds = format!("{:.1}", report.elapsed.as_secs_f64());
    say!("{}", s.fill(&s.cli.rekeyed, &[("seconds", &seconds), ("slots", &report.slots.to_string())]));
    if !report.removed_version_1.is_empty() {
        say!(
            "{}",
            s.fill(&s.cli.rekey_removed_version_1, &[("logins", &report.removed_version_1.join(", "))])
        );
    }
    Ok(())
}

pub fn listener_endorse(mut invocation: Invocation, login: &str) -> Result<ExitCode> {
    let mut store = invocation.unlock()?;
    let fingerprint = store.endorse_slot(login)?;
    let s = invocation.strings;
    say!("{}", s.fill(&s.cli.endorsed, &[("login", login)]));
    say!("{}", s.fill(&s.cli.endorsed_fingerprint, &[("fingerprint", &fingerprint)]));
    Ok(ExitCode::SUCCESS)
}

/// How `check` says a session reaches its server.
fn connection_said(s: &Strings, connection: &crate::store::postgres::ServerConnection) -> String {
    use crate::store::postgres::SslMode;
    let mode = connection.ssl_mode.name();
    match &connection.tls {
        _ if connection.local => {
            let tls = connection
                .tls
                .as_deref()
                .map_or_else(|| s.cli.check_connection_no_tls.clone(), |tls| format!("TLS, {tls}"));
            s.fill(&s.cli.check_connection_local, &[("tls", &tls), ("mode", mode)])
        }
        Some(tls) => match connection.ssl_mode {
            SslMode::VerifyFull => s.fill(&s.cli.check_connection_verify_full, &[("tls", tls)]),
            SslMode::VerifyCa => s.fill(&s.cli.check_connection_verify_ca, &[("tls", tls)]),
            _ => s.fill(&s.cli.check_connection_unverified, &[("tls", tls), ("mode", mode)]),
        },
        // Refused at parsing over a network; said should it ever happen.
        None => {
            s.fill(&s.cli.check_connection_local, &[("tls", &s.cli.check_connection_no_tls), ("mode", mode)])
        }
    }
}

pub fn check(mut invocation: Invocation) -> Result<ExitCode> {
    let s = invocation.strings;
    let fault = |what: &str| s.fill(&s.cli.check_fault, &[("what", what)]);
    let store = match invocation.unlock() {
        Ok(store) => store,
        // Damage that prevents unlocking is the verdict itself, not a failure to check.
        Err(err) if err.downcast_ref::<StoreError>().is_some_and(StoreError::is_damage) => {
            say!("{}", fault(&crate::messages::chain(s, &err)));
            return Ok(ExitCode::FAILURE);
        }
        Err(err) => return Err(err),
    };
    if let Some(connection) = store.server_connection()? {
        say!("{}", connection_said(s, &connection));
        if let Some(host) = &connection.answering {
            say!("{}", s.fill(&s.cli.check_answering, &[("server", host)]));
        }
    }
    match store.access() {
        crate::store::Access::ReadOnly => say!("{}", s.cli.check_read_only),
        crate::store::Access::DiskFull => say!("{}", s.cli.check_disk_full),
        crate::store::Access::ReadWrite => {}
    }
    let report = {
        // Below 50,000 audit entries the check ends before a bar would be read.
        let bar = Bar::new(&s.cli.check_progress_signatures, 50_000);
        // Below two years of months the recount of the statistics is as quick.
        let statistics = Bar::new(&s.cli.check_progress_statistics, 24);
        let report =
            store.check_with_progress(&mut |done, total| bar.show(done, total), &mut |done, total| {
                bar.finish();
                statistics.show(done, total)
            });
        bar.finish();
        statistics.finish();
        report.map_err(|e| Phrase::new(|s| &s.cli.check_running).because(e))?
    };
    // The role's power over the audit log is a fault of the set-up, said with the data's.
    let faults: Vec<&crate::store::CheckFinding> =
        report.findings.iter().chain(&report.role_findings).collect();
    for finding in &faults {
        say!("{}", fault(&finding.phrase().say(s)));
    }
    for note in &report.notes {
        say!("{}", s.fill(&s.cli.check_note, &[("what", &note.say(s))]));
    }
    // Said once, fault or not: entries from before signing began are no fault, but a reader
    // should know they are protected by the chain alone.
    let entries = |n: u64| s.count(n, &s.cli.check_entries_one, &s.cli.check_entries);
    match report.audit_predating {
        0 => say!("{}", s.fill(&s.cli.check_signatures_all, &[("signed", &entries(report.audit_signed))])),
        n => {
            let predating = s.count(n, &s.cli.check_predating_one, &s.cli.check_predating);
            say!(
                "{}",
                s.fill(
                    &s.cli.check_signatures_predating,
                    &[("signed", &entries(report.audit_signed)), ("predating", &predating)]
                )
            )
        }
    }
    if faults.is_empty() {
        // A server keeps its pages and their structure itself: what is checked there is ours.
        let ok = if invocation.db.is_server() { &s.cli.check_ok_server } else { &s.cli.check_ok };
        say!("{}", s.fill(ok, &[("entries", &report.audit_entries.to_string())]));
        if let Some(head) = report.audit_head {
            say!("{}", s.fill(&s.cli.check_audit_head, &[("head", &head.to_string())]));
        }
        match store.centre_root()? {
            Some((login, fingerprint)) => {
                say!("{}", s.fill(&s.cli.check_root_key, &[("fingerprint", &fingerprint), ("login", &login)]))
            }
            None => say!("{}", s.cli.check_no_root_key),
        }
        let settings = store.settings()?;
        match settings.retention_days {
            Some(days) => say!(
                "{}",
                s.fill(
                    &s.cli.check_settings,
                    &[("days", &days.to_string()), ("percent", &settings.purge_confirm_percent.to_string())]
                )
            ),
            None => say!("{}", s.cli.check_retention_not_set),
        }
        Ok(ExitCode::SUCCESS)
    } else {
        let faults = s.count(faults.len() as u64, &s.cli.count_faults_one, &s.cli.count_faults);
        say!("{}", s.fill(&s.cli.check_faults, &[("faults", &faults), ("path", &invocation.db.to_string())]));
        Ok(ExitCode::FAILURE)
    }
}

/// Prints the centre's settings, or changes one (supervisor only, audited).
pub fn settings(mut invocation: Invocation, change: Option<(&str, u32)>) -> Result<ExitCode> {
    let s = invocation.strings;
    let mut store = invocation.unlock()?;
    if let Some((name, value)) = change {
        let setting: Setting = name.parse().map_err(|_| {
            let known: Vec<&str> = Setting::ALL.iter().map(|s| s.as_str()).collect();
            Phrase::new(|s| &s.cli.unknown_setting)
                .with("name", format!("{name:?}"))
                .with("known", known.join(", "))
        })?;
        store.set_setting(setting, value)?;
    }
    let settings = store.settings()?;
    for setting in Setting::ALL {
        match settings.get(*setting) {
            Some(value) => say!("{setting} = {value}"),
            None => say!("{setting} = {}", s.cli.setting_not_set),
        }
    }
    if Some(invocation.config.retention_days) != settings.retention_days {
        let days = invocation.config.retention_days.to_string();
        let _ = writeln!(std::io::stderr(), "{}", s.fill(&s.cli.setting_config_differs, &[("days", &days)]));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn backup(mut invocation: Invocation, out: &Path) -> Result<ExitCode> {
    let s = invocation.strings;
    let mut store = invocation.unlock()?;
    let report = store.backup(out)?;
    say!(
        "{}",
        s.fill(
            &s.cli.backup_written,
            &[
                ("path", &out.display().to_string()),
                ("bytes", &report.bytes.to_string()),
                ("calls", &s.count(report.calls.unsigned_abs(), &s.count_calls_one, &s.count_calls)),
                ("files", &s.count(report.files.unsigned_abs(), &s.count_files_one, &s.count_files)),
                ("keys", &crate::store::KeyFile::path_for(out).display().to_string()),
            ]
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// `permanence migrate --to URL|FILE`: the whole centre copied into an empty database on a server
/// or a new file, verified there, then opened there with the same passphrase and checked.
pub fn migrate(mut invocation: Invocation, to: &Path) -> Result<ExitCode> {
    let s = invocation.strings;
    let target = Location::parse(to)?;
    if let Some(path) = target.file()
        && let Some((scheme, _)) = path.to_str().and_then(|d| d.split_once("://"))
    {
        return Err(Phrase::new(|s| &s.cli.not_a_file_url)
            .with("path", path.display())
            .with("scheme", scheme)
            .into());
    }
    // A new file (what exists is never written over), never named as one of a store's own
    // files (as every `--out`).
    if let Some(path) = target.file() {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(StoreError::AlreadyExists(path.to_owned()).into());
        }
        crate::output_path::check(path, &invocation.local)?;
    }
    let (mut store, login, passphrase) = invocation.unlock_keeping()?;
    let (from, shown) = (invocation.db.to_string(), target.to_string());
    say!("{}", s.fill(&s.cli.migrate_copying, &[("from", &from), ("to", &shown)]));
    let report = {
        let bar = Bar::new(&s.cli.migrate_progress, 0);
        let report = store.migrate_to(&target, &|done, total| bar.show(done, total));
        bar.finish();
        report?
    };
    drop(store);
    say!("{}", s.cli.migrate_counts);
    for (table, rows) in &report.tables {
        say!("  {table:<18} {rows:>10}");
    }
    let head = report.source_head.as_ref().map_or("-", |(_, hash)| hash.as_str());
    say!(
        "{}",
        s.fill(
            &s.cli.migrate_done,
            &[
                ("seconds", &format!("{:.1}", report.elapsed.as_secs_f64())),
                ("to", &shown),
                ("entry", &report.entry.0.to_string()),
                ("head", head),
            ]
        )
    );
    // As a desk will open it: the same passphrase, then `check` once more, committed.
    let copy = Store::open(&target, &login, &passphrase)?;
    let checked = copy.check().map_err(|e| Phrase::new(|s| &s.cli.check_running).because(e))?;
    say!("{}", s.cli.migrate_target_check);
    let fault = |what: &str| s.fill(&s.cli.check_fault, &[("what", what)]);
    if !checked.is_clean() {
        for finding in &checked.findings {
            say!("{}", fault(&finding.phrase().say(s)));
        }
        return Ok(ExitCode::FAILURE);
    }
    let ok = if target.is_server() { &s.cli.check_ok_server } else { &s.cli.check_ok };
    say!("{}", s.fill(ok, &[("entries", &checked.audit_entries.to_string())]));
    if let Some(head) = checked.audit_head {
        say!("{}", s.fill(&s.cli.check_audit_head, &[("head", &head)]));
    }
    Ok(ExitCode::SUCCESS)
}

/// The pending callbacks, for a supervisor at another terminal or a script (`--format json`).
pub fn queue(mut invocation: Invocation, json: bool) -> Result<ExitCode> {
    let s = invocation.strings;
    let store = invocation.unlock()?;
    let now = chrono::Utc::now();
    let entries = store.callback_queue(now)?;
    let channels = invocation.config.channels();
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
                    "channel": e.channel,
                })
            })
            .collect();
        let document =
            serde_json::json!({ "format": "permanence-queue", "version": 1, "callbacks": callbacks });
        let json = serde_json::to_string_pretty(&document)?;
        writeln!(std::io::stdout(), "{}", crate::printable::json_for_terminal(&json))
            .map_err(|e| Phrase::new(|s| &s.cli.stdout_unwritable).because(e))?;
    } else if entries.is_empty() {
        say!("{}", s.no_callbacks);
    } else {
        // As wide as the longest word in this language, so the columns line up.
        let state_width =
            [&s.cli.queue_overdue, &s.cli.queue_due_soon].iter().map(|w| w.chars().count()).max();
        let state_width = state_width.unwrap_or(0);
        for e in &entries {
            let state = if e.is_overdue(now) {
                s.cli.queue_overdue.as_str()
            } else if e.is_due_soon(now) {
                s.cli.queue_due_soon.as_str()
            } else {
                ""
            };
            let due = invocation.config.timezone.iso_minute(e.due_at);
            let assignee = e.assignee_name.as_deref().unwrap_or(&s.callback_anyone);
            let attempts = s.count(u64::from(e.attempts), &s.callback_attempts_one, &s.callback_attempts);
            // A reply due in writing says its channel; a callback goes without saying.
            let reply = match e.channel.as_str() {
                crate::domain::channel::PHONE => String::new(),
                other => format!(
                    "  {}",
                    s.fill(&s.reply_by, &[("channel", channels.label(other, s.is_english()))])
                ),
            };
            say!(
                "{state:<state_width$} {due}  {}  {:<8} {assignee}  ({attempts}){reply}",
                e.file_code,
                s.priority(e.priority),
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
        crate::output_path::check(path, &invocation.local)?;
    }
    let s = invocation.strings;
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
    export::write(out, &invocation.local, &bytes)?;
    if let Some(out) = export::out_file(out) {
        say!(
            "{}",
            s.fill(
                &s.cli.file_written,
                &[
                    ("code", record.file.code.as_str()),
                    ("path", &out.display().to_string()),
                    ("bytes", &bytes.len().to_string())
                ]
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets or lifts a legal hold (supervisor only, audited).
pub fn file_hold(mut invocation: Invocation, code: &str, hold: bool, reason: &str) -> Result<ExitCode> {
    let s = invocation.strings;
    let mut store = invocation.unlock()?;
    let id = store
        .file_id_by_code(code)?
        .ok_or_else(|| Phrase::new(|s| &s.cli.no_file_code).with("code", code.to_uppercase()))?;
    store.set_legal_hold(id, hold, reason)?;
    let said = if hold { &s.cli.hold_set } else { &s.cli.hold_lifted };
    say!("{}", s.fill(said, &[("code", &code.to_uppercase())]));
    Ok(ExitCode::SUCCESS)
}

/// The retention purge on demand (supervisor only, audited); `--dry-run` only counts.
pub fn purge(mut invocation: Invocation, dry_run: bool) -> Result<ExitCode> {
    let s = invocation.strings;
    let mut store = invocation.unlock()?;
    let report = store.purge(chrono::Utc::now(), dry_run)?;
    let days = store.settings()?.retention_days.unwrap_or_default();
    let count = |n: usize, one: &String, many: &String| s.count(n as u64, one, many);
    let template = if dry_run { &s.cli.purge_would } else { &s.cli.purge_done };
    say!(
        "{}",
        s.fill(
            template,
            &[
                ("files", &count(report.files, &s.count_files_one, &s.count_files)),
                ("calls", &count(report.calls, &s.count_calls_one, &s.count_calls)),
                (
                    "handovers",
                    &count(report.handover_notes, &s.cli.count_handovers_one, &s.cli.count_handovers)
                ),
                (
                    "callbacks",
                    &count(report.callbacks_cancelled, &s.cli.count_pending_one, &s.cli.count_pending)
                ),
                ("held", &count(report.held, &s.count_files_one, &s.count_files)),
                ("days", &days.to_string()),
            ]
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// A calendar day of the configured zone (`--from`, `--to`). Years outside 1900–9999 are
/// refused: no call is recorded there, and the arithmetic on such instants would overflow.
fn local_day(day: &str) -> Result<chrono::NaiveDate, Phrase> {
    use chrono::Datelike;
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=9999).contains(&d.year()))
        .ok_or_else(|| Phrase::new(|s| &s.cli.bad_date).with("day", format!("{day:?}")))
}

pub fn export(
    mut invocation: Invocation,
    shift: Option<&str>,
    period: Option<(String, String)>,
    format: SummaryFormat,
    out: Option<&Path>,
    include_notes: bool,
) -> Result<ExitCode> {
    let s = invocation.strings;
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
                return Err(Phrase::new(|s| &s.cli.period_backwards_days)
                    .with("to", to_day)
                    .with("from", from_day)
                    .into());
            }
            ScopeRequest::Period { from, to }
        }
        (None | Some("current"), None) => {
            let shift = store.open_shift()?.ok_or_else(|| Phrase::new(|s| &s.cli.no_open_shift))?;
            ScopeRequest::Shift(shift.id)
        }
        (Some("last"), None) => {
            let shift = store.last_closed_shift()?.ok_or_else(|| Phrase::new(|s| &s.cli.no_closed_shift))?;
            ScopeRequest::Shift(shift.id)
        }
        (Some(number), None) => {
            let id: i64 = number
                .parse()
                .map_err(|_| Phrase::new(|s| &s.cli.bad_shift_arg).with("value", format!("{number:?}")))?;
            ScopeRequest::Shift(crate::domain::ShiftId(id))
        }
    };
    let path = write_summary(
        &mut store,
        &invocation.config,
        &invocation.local,
        request,
        format,
        out,
        include_notes,
    )?;
    say_written(s, &invocation.config, &path)?;
    Ok(ExitCode::SUCCESS)
}

/// `permanence report --year Y`: the yearly activity report (supervisors).
pub fn report(
    mut invocation: Invocation,
    year: i32,
    format: ReportFormat,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let s = invocation.strings;
    let mut store = invocation.unlock()?;
    let path = write_report(&mut store, &invocation.config, &invocation.local, year, format, out)?;
    say_written(s, &invocation.config, &path)?;
    Ok(ExitCode::SUCCESS)
}

/// Says where an export went (nothing for standard output), and to how many recipients it is
/// encrypted.
fn say_written(s: &Strings, config: &Config, path: &Path) -> Result<()> {
    let recipients = config.export.recipients.len();
    let shown = path.display().to_string();
    match (export::out_file(Some(path)).is_some(), recipients) {
        (false, _) => {}
        (true, 0) => say!("{}", s.fill(&s.cli.export_written, &[("path", &shown)])),
        (true, n) => {
            let recipients = s.count(n as u64, &s.cli.count_recipients_one, &s.cli.count_recipients);
            say!(
                "{}",
                s.fill(&s.cli.export_written_encrypted, &[("path", &shown), ("recipients", &recipients)])
            )
        }
    }
    Ok(())
}
