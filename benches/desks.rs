//! Twenty desks on one evening (issue 21, point 2): N terminal processes and a supervisor's on
//! one server, each driven through the real key path for a fixed time, then everything they saw
//! acknowledged checked on the server.
//!
//!     cargo bench --profile dev --bench desks -- --db postgresql://user:pw@127.0.0.1/postgres
//!     cargo bench --profile dev --bench desks -- --db … --desks 50 --seconds 120 --calls 10000
//!     cargo bench --profile dev --bench desks -- --db … --desks 3 --seconds 10    # CI's smoke pass
//!
//! Options: `--desks N` (20), `--seconds S` (60), `--calls N` (the demo store's size, 10,000),
//! `--keys-per-second K` (10: each desk presses a key every 100 ms, ticking meanwhile, so an
//! evening is a few minutes a call compressed into seconds), and, to prove the checks can fail,
//! `--wrong-expectation notes` (one acknowledged save's notes changed in what the parent expects),
//! `--wrong-expectation draft` (the first desk quits with a call open: its draft stays), or
//! `--wrong-expectation audit` (one audit entry rewritten by the test cluster's superuser, its
//! trigger lifted): each run must end with a non-zero exit naming what it found.
//!
//! The parent builds the demo store once on the server (`permanence_bench_<calls>_d<version>`,
//! shared with the keypress bench) and copies it into a database of this run's own
//! (`CREATE DATABASE … TEMPLATE`), where the demo supervisor adds one listener account per desk
//! (`desk01`…, with the smallest key derivation the store accepts, so the start is not minutes of
//! Argon2id). It then starts this same binary again once per desk (`--desk K`) and once for the
//! supervisor (`--supervisor`): each is its own process with its own connections, unlocks, says
//! it is ready, waits for the start, runs its evening (`desks/desk.rs`, `desks/supervisor.rs`)
//! until the time is up, finishes the call under way, quits and writes what it measured and saw
//! acknowledged in the run's private folder (`desks/record.rs`). The parent prints each
//! operation's median, 99th percentile and maximum with the requests it sent, the saves per
//! second and the conflicts told, then checks the server (`desks/verify.rs`); it exits non-zero
//! when anything is missing, different, left behind or unverified, and keeps the database and
//! the folder then. On success both are removed.

mod common;
#[path = "desks/desk.rs"]
mod desk;
#[path = "desks/drive.rs"]
mod drive;
#[path = "desks/record.rs"]
mod record;
#[path = "desks/supervisor.rs"]
mod supervisor;
#[path = "desks/verify.rs"]
mod verify;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

use permanence::demo;
use permanence::domain::listener::Role;
use permanence::store::postgres::ServerUrl;
use permanence::store::{KdfParams, Location, NewAccount, Store};

use record::Record;

/// What each desk's account is called, and shown as (the supervisor gives callbacks to these).
const DESK_NAME: &str = "Poste ";

/// The run's options, and which of its processes this is.
struct Options {
    url: String,
    desks: usize,
    seconds: u64,
    calls: u64,
    keys_per_second: u64,
    wrong_expectation: Option<Wrong>,
    /// The first desk quits with a call open (`--wrong-expectation draft`).
    leave_a_draft: bool,
    process: Process,
}

/// What `--wrong-expectation` breaks, to prove that the checks see it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wrong {
    Notes,
    Draft,
    Audit,
}

/// The parent, or one of the terminals it starts (which know the run's database and folder).
enum Process {
    Parent,
    Desk { desk: usize, database: String, run: PathBuf },
    Supervisor { database: String, run: PathBuf },
}

fn options() -> Options {
    let mut options = Options {
        url: String::new(),
        desks: 20,
        seconds: 60,
        calls: 10_000,
        keys_per_second: 10,
        wrong_expectation: None,
        leave_a_draft: false,
        process: Process::Parent,
    };
    let (mut desk, mut supervisor, mut database, mut run) = (None, false, None, None);
    let mut args = std::env::args().skip(1);
    let number = |value: Option<String>, what: &str| -> u64 {
        value.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{what} takes a number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--db" => options.url = args.next().expect("--db postgresql://…"),
            "--desks" => options.desks = number(args.next(), "--desks") as usize,
            "--seconds" => options.seconds = number(args.next(), "--seconds"),
            "--calls" => options.calls = number(args.next(), "--calls"),
            "--keys-per-second" => options.keys_per_second = number(args.next(), "--keys-per-second").max(1),
            "--wrong-expectation" => {
                options.wrong_expectation = match args.next().as_deref() {
                    Some("notes") => Some(Wrong::Notes),
                    Some("draft") => Some(Wrong::Draft),
                    Some("audit") => Some(Wrong::Audit),
                    _ => panic!("--wrong-expectation notes|draft|audit"),
                }
            }
            "--leave-a-draft" => options.leave_a_draft = true,
            // The processes the parent starts.
            "--desk" => desk = Some(number(args.next(), "--desk") as usize),
            "--supervisor" => supervisor = true,
            "--database" => database = args.next(),
            "--run" => run = args.next().map(PathBuf::from),
            _ => {} // cargo bench passes --bench
        }
    }
    assert!(
        options.url.starts_with("postgres"),
        "the desks bench runs on a server: --db postgresql://… (a role that may create databases)"
    );
    options.process = match (desk, supervisor, database, run) {
        (Some(desk), false, Some(database), Some(run)) => Process::Desk { desk, database, run },
        (None, true, Some(database), Some(run)) => Process::Supervisor { database, run },
        _ => Process::Parent,
    };
    options
}

fn login(desk: usize) -> String {
    format!("desk{desk:02}")
}

/// Each desk's passphrase, made from its number (the policy wants several uncommon words).
fn passphrase(login: &str) -> String {
    let desk: usize = login.trim_start_matches("desk").parse().expect("a desk's login");
    const A: &[&str] = &["cerise", "falaise", "girafe", "lanterne", "marmotte", "nuage", "orchidee"];
    const B: &[&str] = &["boussole", "citron", "dentelle", "escalier", "framboise", "hibou", "ivoire"];
    format!("{} {} {} {desk}", A[desk % A.len()], B[(desk / A.len()) % B.len()], A[(desk + 3) % A.len()])
}

/// A desk's stand-in for the server on its machine: its local copy of what is typed is beside.
fn local_of(run: &Path, login: &str) -> PathBuf {
    run.join(login).join("server")
}

fn main() -> ExitCode {
    let options = options();
    match &options.process {
        Process::Parent => parent(&options),
        Process::Desk { desk, database, run } => {
            let login = login(*desk);
            terminal_process(&options, database, run, &login, |terminal, deadline| {
                desk::Evening::new(terminal, *desk).run(deadline, options.leave_a_draft)
            })
        }
        Process::Supervisor { database, run } => {
            let account = &demo::ACCOUNTS[0];
            terminal_process(&options, database, run, account.login, |terminal, deadline| {
                supervisor::run(terminal, DESK_NAME, deadline)
            })
        }
    }
}

/// A desk's or the supervisor's process: unlock, say ready, wait for the start, run the
/// evening, write the record.
fn terminal_process(
    options: &Options,
    database: &str,
    run: &Path,
    login: &str,
    evening: impl FnOnce(drive::Terminal, Instant) -> Record,
) -> ExitCode {
    let location = server(options).with_dbname(database);
    let password = match demo::ACCOUNTS.iter().find(|a| a.login == login) {
        Some(account) => account.passphrase.to_owned(),
        None => passphrase(login),
    };
    let local = local_of(run, login);
    std::fs::create_dir_all(local.parent().expect("a folder")).expect("the desk's folder");
    let pace = Duration::from_micros(1_000_000 / options.keys_per_second);
    let terminal = drive::Terminal::unlock(Location::from(location), local, login, &password, pace);
    std::fs::write(run.join(format!("ready-{login}")), b"").expect("the run's folder");
    let go = run.join("go");
    let waiting = Instant::now();
    while !go.exists() {
        assert!(waiting.elapsed() < Duration::from_secs(600), "{login}: no start signal");
        std::thread::sleep(Duration::from_millis(5));
    }
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    evening(terminal, deadline).write(run);
    ExitCode::SUCCESS
}

fn server(options: &Options) -> ServerUrl {
    ServerUrl::parse(&options.url).expect("--db takes a postgresql:// URL")
}

fn parent(options: &Options) -> ExitCode {
    let server = server(options);
    // The demo store, built once and kept, copied into a database of this run's own.
    let template = common::demo_store(&common::Options {
        calls: options.calls,
        iterations: 0,
        server: Some(options.url.clone()),
    });
    // The keypress bench's folder for a store's local stand-in: none is used here.
    let _ = std::fs::remove_dir_all(common::tempfile_dir());
    let Location::Server(template_url) = &template.location else { unreachable!("a server's store") };
    let template_name = template_url.dbname().expect("the template's name").to_owned();
    let database = format!("permanence_desks_{}", std::process::id());
    copy_database(&server, &template_name, &database);
    let location = Location::from(server.with_dbname(&database));
    println!(
        "{} desks and a supervisor, {} s, a key every {} ms per desk, on a copy of the demo store of {} calls ({database})",
        options.desks,
        options.seconds,
        1000 / options.keys_per_second,
        options.calls
    );
    let supervisor = &demo::ACCOUNTS[0];
    {
        let mut store =
            Store::open(&location, supervisor.login, supervisor.passphrase).expect("the supervisor");
        let start = Instant::now();
        for desk in 1..=options.desks {
            let login = login(desk);
            let name = format!("{DESK_NAME}{desk:02}");
            let account = NewAccount {
                login: &login,
                display_name: &name,
                role: Role::Listener,
                passphrase: &passphrase(&login),
            };
            store.add_listener(account, KdfParams::MINIMUM).unwrap_or_else(|e| panic!("{login}: {e}"));
        }
        println!("{} desk accounts added in {:.1} s", options.desks, start.elapsed().as_secs_f64());
    }

    let run = tempfile::Builder::new().prefix("permanence-desks-").tempdir().expect("a private folder");
    let exe = std::env::current_exe().expect("this bench's binary");
    let spawn = |role: &[String]| -> Child {
        Command::new(&exe)
            .args(role)
            .args(["--db", &options.url, "--database", &database])
            .arg("--run")
            .arg(run.path())
            .args(["--seconds", &options.seconds.to_string()])
            .args(["--keys-per-second", &options.keys_per_second.to_string()])
            .spawn()
            .expect("a desk's process")
    };
    let mut children: Vec<(String, Child)> = Vec::new();
    children.push((supervisor.login.to_owned(), spawn(&["--supervisor".into()])));
    for desk in 1..=options.desks {
        let mut role = vec!["--desk".to_owned(), desk.to_string()];
        if desk == 1 && options.wrong_expectation == Some(Wrong::Draft) {
            role.push("--leave-a-draft".into());
            println!(
                "--wrong-expectation draft: {} quits with a call open; the checks must fail",
                login(desk)
            );
        }
        children.push((login(desk), spawn(&role)));
    }
    let mut failed: Vec<String> = Vec::new();
    let started = Instant::now();
    // Everyone unlocked (their shift started) before the evening begins.
    'ready: loop {
        let ready =
            children.iter().filter(|(login, _)| run.path().join(format!("ready-{login}")).exists()).count();
        if ready == children.len() {
            break;
        }
        for (login, child) in &mut children {
            if let Ok(Some(status)) = child.try_wait() {
                failed.push(format!("{login} stopped before the start: {status}"));
                break 'ready;
            }
        }
        if started.elapsed() > Duration::from_secs(300) {
            failed.push("the terminals did not all unlock within 5 minutes".into());
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "{} terminals unlocked in {:.1} s; the evening starts",
        children.len(),
        started.elapsed().as_secs_f64()
    );
    std::fs::write(run.path().join("go"), b"").expect("the run's folder");
    let evening = Instant::now();
    // Time for the last calls to end, beyond the evening.
    let patience = Duration::from_secs(options.seconds + 300);
    for (login, child) in &mut children {
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => break,
                Ok(Some(status)) => {
                    failed.push(format!("{login}'s process failed: {status}"));
                    break;
                }
                Ok(None) if evening.elapsed() > patience => {
                    let _ = child.kill();
                    let _ = child.wait();
                    failed.push(format!("{login}'s process did not end: stopped"));
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(err) => {
                    failed.push(format!("{login}: {err}"));
                    break;
                }
            }
        }
    }
    let records: Vec<Record> = children
        .iter()
        .filter(|(login, _)| Record::path(run.path(), login).exists())
        .map(|(login, _)| Record::read(run.path(), login))
        .collect();
    report(&records);
    failed.extend(records.iter().flat_map(|r| &r.failures).map(|f| format!("told a failure: {f}")));

    let mut desks: Vec<Record> = records.into_iter().filter(|r| r.login.starts_with("desk")).collect();
    if options.wrong_expectation == Some(Wrong::Notes)
        && let Some(saved) = desks.iter_mut().flat_map(|r| r.saved.iter_mut()).next()
    {
        saved.call.record.notes.push_str(" (changed by --wrong-expectation)");
        println!(
            "--wrong-expectation notes: one acknowledged text changed before the checks; they must fail"
        );
    }
    if options.wrong_expectation == Some(Wrong::Audit) {
        rewrite_an_audit_entry(&server, &database);
        println!(
            "--wrong-expectation audit: one audit entry rewritten by the superuser; the checks must fail"
        );
    }
    let start = Instant::now();
    let verdict =
        verify::verify(&location, (supervisor.login, supervisor.passphrase), &desks, passphrase, |login| {
            local_of(run.path(), login)
        });
    println!(
        "checked in {:.1} s: {} saves acknowledged, each read back as the supervisor and compared field by field \
         (notes' text whole), {} callbacks scheduled with them, {} performed, {} failed attempts; the drafts of \
         {} desks, on the server and on their machine; the audit chain, {} entries with their signatures",
        start.elapsed().as_secs_f64(),
        verdict.saves,
        verdict.callbacks_scheduled,
        verdict.callbacks_performed,
        verdict.attempts,
        desks.len(),
        verdict.audit_entries
    );
    for finding in &verdict.role_findings {
        println!("  (the role's own finding, not the data's: {finding})");
    }
    failed.extend(verdict.problems);
    if desks.len() != options.desks {
        failed.push(format!("{} desks of {} wrote their record", desks.len(), options.desks));
    }
    if failed.is_empty() {
        println!(
            "NOTHING LOST: every acknowledged save present and whole, no draft left, the audit chain verifies"
        );
        drop_database(&server, &database);
        return ExitCode::SUCCESS;
    }
    eprintln!("FAILED ({} problems):", failed.len());
    for problem in failed.iter().take(50) {
        eprintln!("  {problem}");
    }
    eprintln!("kept for a look: the database {database} and the folder {}", run.keep().display());
    ExitCode::FAILURE
}

/// `CREATE DATABASE … TEMPLATE`: the server copies the demo store's files, in seconds. It
/// refuses while a connection to the template lingers (the build's, closing): tried again.
fn copy_database(server: &ServerUrl, template: &str, name: &str) {
    let mut admin = server.connect().expect("the server at --db");
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).expect("drop");
    for attempt in 0.. {
        match admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}")) {
            Ok(()) => return,
            Err(err) if attempt < 50 => {
                let _ = err;
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(err) => panic!("copying {template}: {err}"),
        }
    }
}

/// What an administrator with the superuser's power could do: lift the audit log's guard,
/// change an entry, put the guard back.
fn rewrite_an_audit_entry(server: &ServerUrl, name: &str) {
    let mut admin = server.with_dbname(name).connect().expect("the run's database");
    admin
        .batch_execute(
            "ALTER TABLE audit DISABLE TRIGGER audit_is_append_only;
             UPDATE audit SET object_id = object_id + 1 WHERE id = (SELECT max(id) - 10 FROM audit);
             ALTER TABLE audit ENABLE TRIGGER audit_is_append_only;",
        )
        .expect("the superuser rewrites an entry");
}

fn drop_database(server: &ServerUrl, name: &str) {
    let mut admin = server.connect().expect("the server at --db");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop the run's database");
}

/// Each operation's median, 99th percentile and maximum over every process, with the requests
/// it sent; saves per second; the conflicts and failures told.
fn report(records: &[Record]) {
    let mut by_op: BTreeMap<(bool, String), Vec<(u64, u64)>> = BTreeMap::new();
    let mut order: Vec<(bool, String)> = Vec::new();
    for record in records {
        let supervisor = !record.login.starts_with("desk");
        for sample in &record.samples {
            let name = match supervisor && !sample.op.starts_with("supervisor") {
                true => format!("supervisor: {}", sample.op),
                false => sample.op.clone(),
            };
            let op = (supervisor, name);
            if !by_op.contains_key(&op) {
                order.push(op.clone());
            }
            by_op.entry(op).or_default().push((sample.micros, sample.requests));
        }
    }
    order.sort_by_key(|op| (op.0, op.1.contains("store: ")));
    println!(
        "\n{:<52} {:>7} {:>9} {:>9} {:>9} {:>9}",
        "operation (key to frame)", "n", "median", "p99", "max", "requests"
    );
    for op in &order {
        let samples = &by_op[op];
        let mut micros: Vec<u64> = samples.iter().map(|s| s.0).collect();
        micros.sort_unstable();
        let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
        let requests = samples.iter().map(|s| s.1).sum::<u64>() as f64 / samples.len() as f64;
        println!(
            "{:<52} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.1}",
            op.1,
            micros.len(),
            at(0.5),
            at(0.99),
            micros[micros.len() - 1] as f64 / 1000.0,
            requests
        );
    }
    let desks: Vec<&Record> = records.iter().filter(|r| r.login.starts_with("desk")).collect();
    let saves: usize = desks.iter().map(|r| r.saved.len()).sum();
    let seconds = desks.iter().map(|r| r.seconds).fold(0.0, f64::max);
    println!(
        "\nsaves acknowledged: {saves} in {seconds:.1} s = {:.2} saves per second ({} with a callback, {} performing one); {} failed attempts saved; {} callbacks reassigned",
        saves as f64 / seconds.max(1e-9),
        desks.iter().flat_map(|r| &r.saved).filter(|s| s.callback_note.is_some()).count(),
        desks.iter().flat_map(|r| &r.saved).filter(|s| s.call.record.performs_callback.is_some()).count(),
        desks.iter().map(|r| r.attempts.len()).sum::<usize>(),
        records.iter().map(|r| r.reassigned).sum::<u64>()
    );
    let mut conflicts: BTreeMap<&str, usize> = BTreeMap::new();
    for conflict in records.iter().flat_map(|r| &r.conflicts) {
        *conflicts.entry(conflict).or_default() += 1;
    }
    if conflicts.is_empty() {
        println!("conflicts told: none");
    }
    for (what, n) in conflicts {
        println!("conflicts told: {n} × {what}");
    }
    let failures: usize = records.iter().map(|r| r.failures.len()).sum();
    println!("failures told: {failures}");
}
