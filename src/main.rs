//! The command line: parse, load the configuration, hand over to `commands`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use permanence::commands::{self, Invocation};
use permanence::config::Config;
use permanence::domain::listener::Role;
use permanence::i18n::{Phrase, Strings};
use permanence::messages;

#[derive(Parser)]
#[command(
    name = "permanence",
    version,
    about = "The shift terminal of a helpline's volunteer listeners",
    long_about = "The shift terminal of a helpline's volunteer listeners.\n\n\
                  Everything is kept in one encrypted file (SQLCipher); each person unlocks it \
                  with their own passphrase. Run without a command to open the terminal."
)]
struct Cli {
    /// The database file, or a PostgreSQL server's postgresql://… URL
    /// [default: from the config file, else the platform data folder]
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// The configuration file [default: the platform config folder's config.toml, if any]
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The account that unlocks the database (needed when it has several)
    #[arg(long = "as", global = true, value_name = "LOGIN")]
    as_login: Option<String>,
    /// Read passphrases from standard input, one per line, in the order they are asked
    #[arg(long, global = true)]
    passphrase_stdin: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database and its first supervisor account
    Init {
        /// Login of the first supervisor
        #[arg(long, default_value = "coordination")]
        login: String,
        /// Display name of the first supervisor
        #[arg(long, default_value = "Coordination")]
        name: String,
    },
    /// Create (or reopen) a demo database of synthetic, deterministic data
    Demo {
        /// How many calls to generate
        #[arg(long, default_value_t = 3000)]
        calls: u64,
    },
    /// Manage accounts and their key slots
    #[command(subcommand)]
    Listener(ListenerCommand),
    /// Verify the database, its encryption and its audit log; non-zero exit on any fault
    Check,
    /// Print the pending callbacks of every listener: overdue first, then priority, then due time
    Queue {
        #[arg(long, value_enum, default_value_t = QueueFormat::Text)]
        format: QueueFormat,
    },
    /// Caller files: right-of-access export, legal holds (supervisor only, audited)
    #[command(subcommand)]
    File(FileCommand),
    /// Wipe the free text of files whose last contact is older than `retention_days`
    /// (supervisor only, audited); files under legal hold are kept
    Purge {
        /// Count what would be wiped, change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a shift's summary, or a period's statistics (supervisor), as Markdown, JSON or CSV;
    /// encrypted to the config's `[export] recipients` when it names any
    Export {
        /// current, last, or a shift number
        #[arg(long, conflicts_with_all = ["from", "to"])]
        shift: Option<String>,
        /// First day of a period, YYYY-MM-DD (supervisor only)
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// Last day of a period, YYYY-MM-DD, included
        #[arg(long, requires = "from")]
        to: Option<String>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
        /// The file to write (mode 0600), or - for standard output when it is not a terminal
        /// [default: the export folder, a name from the shift or period]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Include call notes (supervisor only, audited)
        #[arg(long)]
        include_notes: bool,
    },
    /// Write the yearly activity report (supervisor): the year's statistics against the year
    /// before, as one self-contained HTML page (charts inline, prints on A4) or JSON; encrypted
    /// to the config's `[export] recipients` when it names any
    Report {
        /// The calendar year, e.g. 2026 (local days of the configured time zone)
        #[arg(long)]
        year: i32,
        #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
        format: ReportFormat,
        /// The file to write (mode 0600), or - for standard output when it is not a terminal
        /// [default: the export folder, report-YEAR.html]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Show the centre's settings kept in the database (retention…), or change one
    /// (supervisor only, audited)
    Settings {
        #[command(subcommand)]
        change: Option<SettingsCommand>,
    },
    /// Write an encrypted, verified copy of the database (and its key file)
    Backup {
        /// The copy to write; its key file is written beside it as FILE.keys
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Copy the whole centre (supervisor) into an empty database on the centre's server, or
    /// from a server into a new file: same passphrases, free text sealed on a server, verified
    /// on arrival; one transaction, so an interrupted copy leaves the target empty
    Migrate {
        /// postgresql://… (an empty database, made by createdb) or a new file's path
        #[arg(long, value_name = "URL|FILE")]
        to: PathBuf,
    },
}

#[derive(Subcommand)]
enum ListenerCommand {
    /// Add an account (supervisor only)
    Add {
        login: String,
        /// The name shown in the terminal
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Listener)]
        role: RoleArg,
    },
    /// List the accounts
    List,
    /// Deactivate an account and remove its key slot (supervisor only)
    Deactivate { login: String },
    /// Change your passphrase, or reset another account's (supervisor only)
    Passwd { login: Option<String> },
    /// Sign another account's key slot so that it may unlock (supervisor only): a slot
    /// converted from an older key file, or one whose endorser has left
    Endorse { login: String },
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Change a setting: retention_days (1–36500) or purge_confirm_percent (0–100)
    Set { name: String, value: u32 },
}

#[derive(Subcommand)]
enum FileCommand {
    /// Write everything held on a file, for the caller's right of access
    Export {
        /// The file's code, as the caller gives it (e.g. KAT-472)
        code: String,
        #[arg(long, value_enum, default_value_t = AccessFormat::Md)]
        format: AccessFormat,
        /// Where to write it (mode 0600); - or nothing: standard output when it is not a terminal
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Keep a file's free text past the retention period (e.g. for a court)
    Hold {
        code: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift a legal hold
    Release {
        code: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Md,
    Json,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Html,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum AccessFormat {
    Md,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum QueueFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Listener,
    Supervisor,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Listener => Role::Listener,
            RoleArg::Supervisor => Role::Supervisor,
        }
    }
}

fn main() -> ExitCode {
    // Options and their help stay as clap writes them (English); everything else the command
    // line says follows the configuration's `language`, read first, leniently, so that even a
    // refused configuration is said in the language it asks for.
    let cli = Cli::parse();
    // The language of a failure before the configuration is loaded (or of a refused one).
    let early_strings = |config: Option<&std::path::Path>| {
        let default_config = permanence::paths::default_config_file().ok();
        Strings::get(Config::language_of(config, default_config.as_deref()))
    };
    if let Err(err) = permanence::hardening::harden_process() {
        let strings = early_strings(cli.config.as_deref());
        return fail(strings, Phrase::new(|s| &s.cli.no_hardening).because(err).into());
    }
    let demo = matches!(cli.command, Some(Command::Demo { .. }));
    let config = cli.config.clone();
    let invocation =
        match Invocation::new(cli.db, cli.config.as_deref(), cli.as_login, cli.passphrase_stdin, demo) {
            Ok(invocation) => invocation,
            Err(err) => return fail(early_strings(config.as_deref()), err),
        };
    let strings = invocation.strings;
    let result = match cli.command {
        None => commands::open_terminal(invocation),
        Some(Command::Init { login, name }) => commands::init(invocation, &login, &name),
        Some(Command::Demo { calls }) => commands::demo(invocation, calls),
        Some(Command::Listener(ListenerCommand::Add { login, name, role })) => {
            commands::listener_add(invocation, &login, &name, role.into())
        }
        Some(Command::Listener(ListenerCommand::List)) => commands::listener_list(invocation),
        Some(Command::Listener(ListenerCommand::Deactivate { login })) => {
            commands::listener_deactivate(invocation, &login)
        }
        Some(Command::Listener(ListenerCommand::Passwd { login })) => {
            commands::listener_passwd(invocation, login.as_deref())
        }
        Some(Command::Listener(ListenerCommand::Endorse { login })) => {
            commands::listener_endorse(invocation, &login)
        }
        Some(Command::Check) => commands::check(invocation),
        Some(Command::Settings { change: None }) => commands::settings(invocation, None),
        Some(Command::Settings { change: Some(SettingsCommand::Set { name, value }) }) => {
            commands::settings(invocation, Some((&name, value)))
        }
        Some(Command::Queue { format }) => commands::queue(invocation, matches!(format, QueueFormat::Json)),
        Some(Command::Backup { out }) => commands::backup(invocation, &out),
        Some(Command::Migrate { to }) => commands::migrate(invocation, &to),
        Some(Command::File(FileCommand::Export { code, format, out })) => {
            commands::file_export(invocation, &code, matches!(format, AccessFormat::Json), out.as_deref())
        }
        Some(Command::File(FileCommand::Hold { code, reason })) => {
            commands::file_hold(invocation, &code, true, &reason)
        }
        Some(Command::File(FileCommand::Release { code, reason })) => {
            commands::file_hold(invocation, &code, false, &reason)
        }
        Some(Command::Purge { dry_run }) => commands::purge(invocation, dry_run),
        Some(Command::Report { year, format, out }) => {
            let format = match format {
                ReportFormat::Html => permanence::export::ReportFormat::Html,
                ReportFormat::Json => permanence::export::ReportFormat::Json,
            };
            commands::report(invocation, year, format, out.as_deref())
        }
        Some(Command::Export { shift, from, to, format, out, include_notes }) => {
            let format = match format {
                ExportFormat::Md => permanence::export::SummaryFormat::Markdown,
                ExportFormat::Json => permanence::export::SummaryFormat::Json,
                ExportFormat::Csv => permanence::export::SummaryFormat::Csv,
            };
            let range = from.zip(to);
            commands::export(invocation, shift.as_deref(), range, format, out.as_deref(), include_notes)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => fail(strings, err),
    }
}

fn fail(strings: &Strings, err: anyhow::Error) -> ExitCode {
    // The reader went away (`permanence queue | head -1`): end quietly, with the status of a
    // process ended by SIGPIPE as other tools do, so that a script can tell a cut output.
    let broken_pipe = err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::from(128 + libc::SIGPIPE as u8);
    }
    // Not `eprintln!`: it would panic if the terminal is already gone.
    // Errors quote logins, paths and what the files hold: escaped, never obeyed by the terminal.
    let _ = writeln!(
        std::io::stderr(),
        "permanence: {}",
        permanence::printable::for_terminal(&messages::chain(strings, &err))
    );
    ExitCode::FAILURE
}
