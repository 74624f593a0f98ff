//! The centre's server when something is wrong (issue 18, points 4, 6 and 7): each bad
//! situation said in its own sentence by the command line (the real binary) and by the unlock
//! screen (the terminal's runner), nothing changed by it; TLS against a second test cluster
//! with a throwaway authority (`.ci/pg-cluster start --tls`); the terminals' least-privileged
//! role of docs/server-setup.sql through a journey; eight writer processes on one audit chain.
//! Outside CI without the test servers, each test is skipped with one line.

mod common;

use std::path::Path;

use chrono::Utc;
use common::cli::{run, text};
use common::*;
use permanence::app::App;
use permanence::app::effect::{Effect, Reply};
use permanence::app::gate::Gate;
use permanence::config::Config;
use permanence::i18n::{Language, Strings};
use permanence::messages::{store_error, store_error_brief, unlock_failure};
use permanence::runner::Runner;
use permanence::store::{CertificateProblem, KdfParams, Location, Store, StoreError, Unreachable};
use permanence::test_support::postgres::{
    fresh_database, fresh_database_at, server_url, tls_server, with_role,
};

/// A password that must never be printed.
const SECRET: &str = "mot-de-passe-jamais-affiche";

fn location(url: &str) -> Location {
    Location::parse(Path::new(url)).unwrap()
}

/// What is said of the failure to unlock at `url`: by the command line (`check`, in French, on
/// standard error), by the unlock screen (its message, in French), and the sentence in English;
/// with the error itself.
struct Said {
    error: StoreError,
    cli: String,
    unlock: String,
    english: String,
}

fn said(url: &str) -> Said {
    let error = Store::open(location(url), SUPERVISOR, SUPERVISOR_PASS).err().expect("the unlock fails");
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["--db", url, "--as", SUPERVISOR, "--passphrase-stdin", "check"],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(!out.status.success(), "{}", text(&out.stdout));
    let cli = text(&out.stderr);
    let config = Config::default();
    let mut app =
        App::new(config.clone(), Strings::get(config.language), vec![SUPERVISOR.into()], Utc::now());
    let mut runner = Runner::new(location(url), home.path().join("local"), &config, KdfParams::MINIMUM);
    let unlock = Effect::Unlock {
        login: SUPERVISOR.into(),
        passphrase: zeroize::Zeroizing::new(SUPERVISOR_PASS.into()),
    };
    let reply = runner.perform(unlock, app.now).expect("a reply");
    assert!(matches!(reply, Reply::UnlockFailed { .. }), "{reply:?}");
    app.apply(reply);
    let Some(Gate::Unlock(form)) = &app.gate else { panic!("the unlock form") };
    let unlock = form.message().expect("the unlock screen says why").to_owned();
    let english = store_error(Strings::get(Language::En), &error);
    for sentence in [&cli, &unlock, &english] {
        assert!(!sentence.contains(SECRET), "the URL's password is printed: {sentence}");
    }
    let fr = Strings::get(Language::Fr);
    assert!(cli.contains(&store_error(fr, &error)), "the command line says the whole sentence: {cli}");
    assert_eq!(unlock, unlock_failure(fr, &error), "the unlock screen says its own sentence");
    Said { error, cli, unlock, english }
}

/// A loopback port nothing listens on (bound, then let go).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server that never answers: a socket whose queue of pending connections (length 0) is held
/// full by one connection never accepted, so that the kernel drops every new attempt.
fn silent_port() -> (std::net::TcpListener, std::net::TcpStream, u16) {
    use std::os::fd::AsRawFd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let port = listener.local_addr().unwrap().port();
    let filler = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    (listener, filler, port)
}

/// A server that accepts every connection and never says a word (its kernel acknowledges what is
/// sent, so TCP keepalives and `tcp_user_timeout` see nothing wrong); its connections are held as
/// long as the value lives.
fn accepts_and_says_nothing() -> (u16, std::sync::mpsc::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Err(std::sync::mpsc::TryRecvError::Empty) = stopped.try_recv() {
            match listener.accept() {
                Ok((stream, _)) => held.push(stream),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
    });
    (port, stop)
}

#[test]
fn an_unreachable_server_is_told_refused_silent_or_unknown_and_never_shows_its_password() {
    let refused = said(&format!("postgresql://coord:{SECRET}@127.0.0.1:{}/permanence", closed_port()));
    assert!(
        matches!(&refused.error, StoreError::ServerUnreachable { why: Unreachable::Refused, .. }),
        "{:?}",
        refused.error
    );
    assert!(
        refused.cli.contains("injoignable") && refused.cli.contains("connexion refusée"),
        "{}",
        refused.cli
    );
    assert!(refused.unlock.contains("injoignable"), "{}", refused.unlock);
    assert!(refused.english.contains("cannot be reached: connection refused"), "{}", refused.english);

    let (_listener, _filler, port) = silent_port();
    let silent = said(&format!("postgresql://coord:{SECRET}@127.0.0.1:{port}/permanence?connect_timeout=1"));
    assert!(
        matches!(&silent.error, StoreError::ServerUnreachable { why: Unreachable::TimedOut, .. }),
        "{:?}",
        silent.error
    );
    assert!(silent.cli.contains("pas de réponse à temps"), "{}", silent.cli);
    assert!(silent.english.contains("no answer in time"), "{}", silent.english);

    // Accepted, then not a word (a frozen server, a proxy whose server is gone): the start-up
    // as a whole is given up at connect_timeout, not the TCP connection alone.
    let (port, _mute) = accepts_and_says_nothing();
    let mute = said(&format!("postgresql://coord:{SECRET}@127.0.0.1:{port}/permanence?connect_timeout=1"));
    assert!(
        matches!(&mute.error, StoreError::ServerUnreachable { why: Unreachable::TimedOut, .. }),
        "{:?}",
        mute.error
    );
    assert_eq!(mute.unlock, silent.unlock);

    let unknown = said(&format!("postgresql://coord:{SECRET}@no-such-host.invalid/permanence"));
    assert!(
        matches!(&unknown.error, StoreError::ServerUnreachable { why: Unreachable::NameUnknown, .. }),
        "{:?}",
        unknown.error
    );
    assert!(unknown.cli.contains("nom d'hôte est inconnu"), "{}", unknown.cli);
    assert!(unknown.english.contains("host name is unknown"), "{}", unknown.english);
    let told: std::collections::BTreeSet<&String> = [&refused.unlock, &silent.unlock, &unknown.unlock].into();
    assert_eq!(told.len(), 3, "each its own words on the unlock screen");
}

fn create_store(url: &str) -> Store {
    let mut store = Store::create(
        location(url),
        permanence::store::NewAccount {
            login: SUPERVISOR,
            display_name: "Dominique",
            role: permanence::domain::listener::Role::Supervisor,
            passphrase: SUPERVISOR_PASS,
        },
        KdfParams::MINIMUM,
    )
    .unwrap();
    add_listener(&mut store);
    store
}

/// How many rows `table` holds, asked as the test server's superuser.
fn count(database: &permanence::test_support::postgres::TestDatabase, table: &str) -> i64 {
    database.connect().query_one(&format!("SELECT count(*) FROM {table}"), &[]).unwrap().get(0)
}

/// Black-box test of the merged branch: the password of a URL had to be on the command line
/// (seen by every account through `ps`), and an unencoded '@' in it showed most of it in the
/// error. Now a URL without a password takes libpq's `~/.pgpass` (`PGPASSWORD` too), and a
/// second '@' is refused with how to write it, nothing of the URL shown.
#[test]
fn a_password_comes_from_pgpass_and_an_unencoded_at_is_refused_without_showing_it() {
    let Some(database) =
        fresh_database("a_password_comes_from_pgpass_and_an_unencoded_at_is_refused_without_showing_it")
    else {
        return;
    };
    drop(create_store(database.url()));
    let url = database.url();
    let (scheme, rest) = url.split_once("://").unwrap();
    let (credentials, place) = rest.split_once('@').unwrap();
    let (role, password) = credentials.split_once(':').unwrap();
    let bare = format!("{scheme}://{role}@{place}");
    let (host_port, _) = place.split_once('/').unwrap();
    let (host, port) = host_port.rsplit_once(':').unwrap();
    // Any command that unlocks (`check` would name the test's superuser as able to rewrite the
    // audit log, and fail for that).
    let check = |home: &Path, url: &str| {
        run(
            home,
            &["--db", url, "--as", SUPERVISOR, "--passphrase-stdin", "queue"],
            &format!("{SUPERVISOR_PASS}\n"),
        )
    };

    let home = tempfile::tempdir().unwrap();
    let refused = check(home.path(), &bare);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("a refusé le mot de passe du rôle"), "{}", text(&refused.stderr));
    // libpq reads a password file no other account may read, and so does the program.
    let pgpass = home.path().join(".pgpass");
    std::fs::write(
        &pgpass,
        format!("# the centre's server\n{host}:{port}:{}:{role}:{password}\n", database.name()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(!check(home.path(), &bare).status.success(), "a password file others may read is ignored");
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let checked = check(home.path(), &bare);
    assert!(checked.status.success(), "{}{}", text(&checked.stdout), text(&checked.stderr));

    let unencoded = format!("{scheme}://{role}:Kx@9Zp{SECRET}@{place}");
    let out = check(home.path(), &unencoded);
    let said = text(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("%40") && !said.contains("9Zp") && !said.contains(SECRET), "{said}");
    let out = check(home.path(), &format!("{bare}?sslmode=verify-ful"));
    assert!(text(&out.stderr).contains("n'est pas comprise (sslmode=verify-ful)"), "{}", text(&out.stderr));
}

#[test]
fn a_wrong_database_password_is_told_and_counts_no_wrong_passphrase() {
    let Some(database) = fresh_database("a_wrong_database_password_is_told_and_counts_no_wrong_passphrase")
    else {
        return;
    };
    drop(create_store(database.url()));
    let audit = count(&database, "audit");
    let role = database.url().split("://").nth(1).unwrap().split(':').next().unwrap().to_owned();
    let wrong = with_role(database.url(), &role, SECRET);
    let told = said(&wrong);
    assert!(
        matches!(&told.error, StoreError::ServerPassword { role: r, .. } if *r == role),
        "{:?}",
        told.error
    );
    assert!(told.cli.contains("a refusé le mot de passe du rôle"), "{}", told.cli);
    assert!(told.unlock.contains("refusé le mot de passe"), "{}", told.unlock);
    assert!(told.english.contains("refused the password of the role"), "{}", told.english);
    assert_eq!(count(&database, "unlock_attempt"), 0, "no wrong passphrase counted");
    assert_eq!(count(&database, "audit"), audit, "nothing written");
    assert!(Store::open(location(database.url()), SUPERVISOR, SUPERVISOR_PASS).is_ok());
}

#[test]
fn another_applications_database_is_told_and_left_untouched() {
    let Some(database) = fresh_database("another_applications_database_is_told_and_left_untouched") else {
        return;
    };
    database.as_superuser("CREATE TABLE invoices (id BIGINT); INSERT INTO invoices VALUES (7)");
    let told = said(database.url());
    assert!(
        matches!(&told.error, StoreError::ForeignDatabase(name) if name == database.name()),
        "{:?}",
        told.error
    );
    assert!(told.cli.contains("appartient à une autre application"), "{}", told.cli);
    assert!(told.unlock.contains("autre application"), "{}", told.unlock);
    assert!(told.english.contains("belongs to another application"), "{}", told.english);
    let home = tempfile::tempdir().unwrap();
    let init = run(
        home.path(),
        &["--db", database.url(), "--passphrase-stdin", "init", "--login", SUPERVISOR],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(!init.status.success(), "init refuses it");
    assert!(text(&init.stderr).contains("appartient à une autre application"), "{}", text(&init.stderr));
    let tables: i64 = database
        .connect()
        .query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", &[])
        .unwrap()
        .get(0);
    assert_eq!((tables, count(&database, "invoices")), (1, 1), "untouched");
}

#[test]
fn a_schema_newer_than_the_program_is_told_and_nothing_changes() {
    let Some(database) = fresh_database("a_schema_newer_than_the_program_is_told_and_nothing_changes") else {
        return;
    };
    drop(create_store(database.url()));
    database.as_superuser("UPDATE permanence_schema SET version = 99");
    let audit = count(&database, "audit");
    let told = said(database.url());
    assert!(matches!(told.error, StoreError::TooNew { found: 99, .. }), "{:?}", told.error);
    assert!(told.cli.contains("version plus récente de permanence (schéma 99"), "{}", told.cli);
    assert!(told.unlock.contains("mettez ce programme à jour"), "{}", told.unlock);
    assert!(told.english.contains("newer version of permanence (schema 99"), "{}", told.english);
    let version: i64 =
        database.connect().query_one("SELECT version FROM permanence_schema", &[]).unwrap().get(0);
    assert_eq!((version, count(&database, "audit"), count(&database, "unlock_attempt")), (99, audit, 0));
}

/// The TLS tests' server, and a fresh database on it reached with `query` (`sslmode=…`).
fn tls_database(test: &str) -> Option<(permanence::test_support::postgres::TlsServer, String)> {
    let server = tls_server(test)?;
    let url = server.url.clone();
    Some((server, url))
}

#[test]
fn verify_full_with_the_centres_authority_connects_and_another_authority_is_refused() {
    let Some((tls, _)) =
        tls_database("verify_full_with_the_centres_authority_connects_and_another_authority_is_refused")
    else {
        return;
    };
    let right = tls.url_with(&format!("sslmode=verify-full&sslrootcert={}", tls.authority.display()));
    let database = fresh_database_at(&right);
    drop(create_store(database.url()));
    let store = Store::open(location(database.url()), LISTENER, LISTENER_PASS).unwrap();
    assert_eq!(store.actor().login, LISTENER);
    let url = permanence::store::postgres::ServerUrl::parse(database.url()).unwrap();
    let encrypted: bool = url
        .connect()
        .unwrap()
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    assert!(encrypted, "the connection is TLS");

    let other = database
        .url()
        .replace(&tls.authority.display().to_string(), &tls.other_authority.display().to_string());
    let told = said(&other);
    assert!(
        matches!(
            &told.error,
            StoreError::ServerCertificate { problem: CertificateProblem::UnknownAuthority, .. }
        ),
        "{:?}",
        told.error
    );
    assert!(
        told.cli.contains("certificat du serveur de la base") && told.cli.contains("autorité"),
        "{}",
        told.cli
    );
    assert!(told.unlock.contains("certificat du serveur de la base est refusé"), "{}", told.unlock);
    assert!(told.english.contains("not signed by the authority trusted here"), "{}", told.english);
}

#[test]
fn the_host_name_is_checked_under_verify_full_and_not_under_verify_ca() {
    let Some((tls, _)) = tls_database("the_host_name_is_checked_under_verify_full_and_not_under_verify_ca")
    else {
        return;
    };
    let database = fresh_database_at(
        &tls.url_with(&format!("sslmode=verify-full&sslrootcert={}", tls.authority.display())),
    );
    drop(create_store(database.url()));
    // The certificate names `localhost`; 127.0.0.1 is the same server under another name.
    let by_address = database.url().replace("@localhost:", "@127.0.0.1:");
    let told = said(&by_address);
    assert!(
        matches!(&told.error, StoreError::ServerCertificate { problem: CertificateProblem::OtherHost(host), .. } if host == "127.0.0.1"),
        "{:?}",
        told.error
    );
    assert!(told.cli.contains("ne nomme pas l'hôte 127.0.0.1"), "{}", told.cli);
    assert!(told.english.contains("does not name the host 127.0.0.1"), "{}", told.english);
    let verify_ca = by_address.replace("sslmode=verify-full", "sslmode=verify-ca");
    assert!(
        Store::open(location(&verify_ca), SUPERVISOR, SUPERVISOR_PASS).is_ok(),
        "verify-ca checks the authority only"
    );
}

/// Review finding 9: a server on the network (`db.permanence.test`, which the TLS cluster's
/// certificate names, reached at the loopback through `hostaddr` as a desk reaches its centre's
/// server) is verified without being asked (`verify-full` when the URL has no `sslmode`), and the
/// modes that verify nothing are refused before anything is sent, each with its sentence;
/// `check` says how the session is carried.
#[test]
fn a_server_on_the_network_is_verified_unasked_and_the_modes_that_verify_nothing_are_refused() {
    let Some((tls, _)) = tls_database(
        "a_server_on_the_network_is_verified_unasked_and_the_modes_that_verify_nothing_are_refused",
    ) else {
        return;
    };
    let authority = format!("&sslrootcert={}", tls.authority.display());
    let network =
        format!("{}?hostaddr=127.0.0.1{authority}", tls.url.replace("@localhost:", "@db.permanence.test:"));
    let database = fresh_database_at(&network);
    drop(create_store(database.url()));
    let home = tempfile::tempdir().unwrap();
    let checked = run(
        home.path(),
        &["--db", database.url(), "--as", SUPERVISOR, "--passphrase-stdin", "check"],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    // As the test server's superuser, `check` also names the role's power over the audit log.
    let said_by_check = text(&checked.stdout);
    assert!(
        said_by_check.contains("Connexion au serveur : TLS (TLSv1.")
            && said_by_check.contains(
                "vérifié auprès de l'autorité de confiance et pour le nom d'hôte (sslmode=verify-full)"
            ),
        "{said_by_check}"
    );

    // Unasked, the certificate is checked: without the centre's authority it is refused.
    let unknown = said(&database.url().replace(&authority, ""));
    assert!(
        matches!(
            &unknown.error,
            StoreError::ServerCertificate { problem: CertificateProblem::UnknownAuthority, .. }
        ),
        "{:?}",
        unknown.error
    );

    // Refused as the address is read, before the terminal or a command starts.
    for weak in ["disable", "allow", "prefer"] {
        let url = format!("{}&sslmode={weak}", database.url());
        let password = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('@').next())
            .and_then(|who| who.split(':').nth(1));
        let password = password.expect("the test server's URL has a password");
        let error = Location::parse(Path::new(&url)).expect_err("refused");
        assert!(matches!(&error, StoreError::WeakSslMode { mode, .. } if mode == weak), "{weak}: {error:?}");
        let out = run(home.path(), &["--db", &url, "--as", SUPERVISOR, "--passphrase-stdin", "check"], "");
        assert!(!out.status.success());
        let cli = text(&out.stderr);
        assert!(
            cli.contains(&format!("sslmode={weak}"))
                && cli.contains("Rien ne lui a été envoyé")
                && !cli.contains(password),
            "{cli}"
        );
        let english = store_error(Strings::get(Language::En), &error);
        assert!(english.contains("pose as the server") && english.contains("verify-full"), "{english}");
    }

    // `require` encrypts without knowing whom it talks to: allowed, and `check` says so.
    let checked = run(
        home.path(),
        &[
            "--db",
            &format!("{}&sslmode=require", database.url()),
            "--as",
            SUPERVISOR,
            "--passphrase-stdin",
            "check",
        ],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(
        text(&checked.stdout).contains("son certificat non vérifié (sslmode=require)"),
        "{}{}",
        text(&checked.stdout),
        text(&checked.stderr)
    );
}

#[test]
fn tls_required_of_a_server_without_it_and_refused_by_a_server_that_requires_it() {
    let test = "tls_required_of_a_server_without_it_and_refused_by_a_server_that_requires_it";
    let (Some(plain), Some(tls)) = (server_url(test), tls_server(test)) else { return };
    let told = said(&format!("{plain}?sslmode=require"));
    assert!(matches!(&told.error, StoreError::ServerWithoutTls { .. }), "{:?}", told.error);
    assert!(told.cli.contains("ne propose pas TLS"), "{}", told.cli);
    assert!(told.unlock.contains("ne propose pas de chiffrement"), "{}", told.unlock);
    assert!(told.english.contains("offers no TLS"), "{}", told.english);

    let told = said(&tls.url_with("sslmode=disable"));
    assert!(matches!(&told.error, StoreError::ServerRequiresTls { .. }), "{:?}", told.error);
    // The server's own message and SQLSTATE are shown.
    assert!(
        told.cli.contains("refuse les connexions sans TLS") && told.cli.contains("28000"),
        "{}",
        told.cli
    );
    assert!(told.unlock.contains("sslmode=verify-full"), "{}", told.unlock);
    assert!(told.english.contains("refuses connections without TLS"), "{}", told.english);
}

#[test]
fn a_connection_the_server_does_not_admit_and_a_database_it_lacks_are_told() {
    let test = "a_connection_the_server_does_not_admit_and_a_database_it_lacks_are_told";
    let (Some(plain), Some(tls)) = (server_url(test), tls_server(test)) else { return };
    // The TLS cluster's pg_hba.conf rejects this database's name for everyone.
    let refused = tls
        .url_with(&format!("sslmode=verify-full&sslrootcert={}", tls.authority.display()))
        .replace("/postgres?", "/permanence_not_admitted?");
    let told = said(&refused);
    assert!(matches!(&told.error, StoreError::ServerNotAdmitted { .. }), "{:?}", told.error);
    assert!(
        told.cli.contains("n'admet pas cette connexion") && told.cli.contains("pg_hba.conf"),
        "{}",
        told.cli
    );
    assert!(told.unlock.contains("n'admet pas ce poste ou ce rôle"), "{}", told.unlock);
    assert!(told.english.contains("does not admit this connection"), "{}", told.english);

    let told = said(&format!("{}/permanence_no_such_database", plain.strip_suffix("/postgres").unwrap()));
    assert!(matches!(&told.error, StoreError::ServerNoDatabase { .. }), "{:?}", told.error);
    assert!(told.cli.contains("n'a pas cette base") && told.cli.contains("3D000"), "{}", told.cli);
    assert!(told.unlock.contains("pas de base de ce nom"), "{}", told.unlock);
    assert!(told.english.contains("has no such database"), "{}", told.english);
}

/// The terminal's runner unlocked at `url` as `login`, with the app it answers.
fn desk(url: &str, login: &str, passphrase: &str, local: &Path) -> (App, Runner) {
    let config = Config::default();
    let mut app = App::new(config.clone(), Strings::get(config.language), vec![login.into()], Utc::now());
    let mut runner = Runner::new(location(url), local.to_owned(), &config, KdfParams::MINIMUM);
    let unlock =
        Effect::Unlock { login: login.into(), passphrase: zeroize::Zeroizing::new(passphrase.into()) };
    let reply = runner.perform(unlock, app.now).unwrap();
    assert!(matches!(reply, Reply::Unlocked(_)), "{reply:?}");
    let effects = app.apply(reply);
    runner.run_all(&mut app, effects);
    (app, runner)
}

#[test]
fn a_database_replaced_under_a_session_is_written_nothing_and_the_screen_locks() {
    let test = "a_database_replaced_under_a_session_is_written_nothing_and_the_screen_locks";
    let (Some(ours), Some(other)) = (fresh_database(test), fresh_database(test)) else { return };
    drop(create_store(ours.url()));
    let mut another = create_store(other.url());
    another.start_shift().unwrap();
    drop(another);
    let local = tempfile::tempdir().unwrap();
    let (mut app, mut runner) = desk(ours.url(), LISTENER, LISTENER_PASS, &local.path().join("local"));
    let mut session = Store::open(location(ours.url()), SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert!(runner.perform(Effect::CheckForChanges, app.now).is_none_or(|r| !matches!(r, Reply::Revoked(_))));

    // Another centre's backup restored over ours while both sessions are open.
    let dump = local.path().join("other.dump");
    let tools = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--file", dump.to_str().unwrap(), "--dbname", other.url()])
        .status();
    match tools {
        Ok(status) => assert!(status.success(), "pg_dump"),
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "CI installs pg_dump with the server: {e}");
            eprintln!("pg_dump not found: {test} skipped");
            return;
        }
    }
    let restored = std::process::Command::new("pg_restore")
        .args(["--clean", "--if-exists", "--no-owner", "--dbname", ours.url(), dump.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let audit = count(&ours, "audit");
    assert_eq!(audit, count(&other, "audit"), "ours now holds the other's rows");

    let fr = Strings::get(Language::Fr);
    let err = session.set_setting(permanence::domain::settings::Setting::RetentionDays, 100).unwrap_err();
    assert!(matches!(&err, StoreError::DatabaseReplaced(_)), "{err:?}");
    assert!(store_error(fr, &err).contains("n'est plus celle que cette session a déverrouillée"));
    // The terminal finds it within its one-second poll: the screen locks, saying why.
    let reply = runner.perform(Effect::CheckForChanges, app.now).unwrap();
    let Reply::Revoked(message) = &reply else { panic!("{reply:?}") };
    let message = message.clone();
    assert!(message.contains("n'est plus celle qui a été ouverte"), "{message}");
    app.apply(reply);
    let Some(Gate::Unlock(form)) = &app.gate else { panic!("locked") };
    assert_eq!(form.message(), Some(message.as_str()));
    assert_eq!(count(&ours, "audit"), audit, "nothing written with our key");
    assert_eq!(count(&ours, "centre_setting WHERE name = 'retention_days' AND value = 100"), 0);
}

/// A centre's server set up as the README says: two roles, a database the owner owns, `init`
/// by the owner, docs/server-setup.sql for the terminals' role. `None` (skipped) without the
/// test server or `psql`.
struct Centre {
    // Dropped after the database (declared first, dropped last).
    owner: permanence::test_support::postgres::TestRole,
    terminal: permanence::test_support::postgres::TestRole,
    database: permanence::test_support::postgres::TestDatabase,
}

impl Centre {
    fn owner_url(&self) -> String {
        self.database.url_as(&self.owner)
    }

    fn desk_url(&self) -> String {
        self.database.url_as(&self.terminal)
    }
}

fn centre(test: &str, home: &Path) -> Option<Centre> {
    let url = server_url(test)?;
    let owner = permanence::test_support::postgres::TestRole::new(&url, "owner");
    let terminal = permanence::test_support::postgres::TestRole::new(&url, "terminal");
    let database = fresh_database(test).unwrap();
    database.as_superuser(&format!("ALTER DATABASE {} OWNER TO {}", database.name(), owner.name));
    let centre = Centre { owner, terminal, database };
    // `init` by the owner, the real binary.
    common::cli::init(home, &centre.owner_url());
    if !permanence::test_support::postgres::run_server_setup(centre.database.url(), &centre.terminal.name) {
        return None;
    }
    Some(centre)
}

/// `permanence --db URL --as LOGIN --passphrase-stdin …`.
fn as_account(home: &Path, url: &str, login: &str, stdin: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--db", url, "--as", login, "--passphrase-stdin"];
    all.extend_from_slice(args);
    run(home, &all, stdin)
}

/// SQLSTATE of `sql` run at `url`, or "ok".
fn sqlstate(url: &str, sql: &str) -> String {
    let mut client = permanence::store::postgres::ServerUrl::parse(url).unwrap().connect().unwrap();
    match client.batch_execute(sql) {
        Ok(()) => "ok".into(),
        Err(permanence::store::StoreError::ServerPrivilege { .. }) => "42501".into(),
        Err(permanence::store::StoreError::Server(err)) => {
            err.code().map_or_else(|| err.to_string(), |code| code.code().to_owned())
        }
        Err(err) => err.to_string(),
    }
}

fn a_call(shift: permanence::domain::ShiftId, notes: &str) -> permanence::domain::call::NewCall {
    let now = Utc::now();
    permanence::domain::call::NewCall {
        shift_id: shift,
        started_at: now - chrono::Duration::minutes(12),
        ended_at: now,
        call_type: permanence::domain::call::CallType::Listening,
        time_spent: None,
        record: permanence::domain::call::CallRecord { notes: notes.into(), ..Default::default() },
    }
}

#[test]
fn a_missing_privilege_is_named_with_its_table_and_loses_nothing() {
    let home = tempfile::tempdir().unwrap();
    let Some(centre) = centre("a_missing_privilege_is_named_with_its_table_and_loses_nothing", home.path())
    else {
        return;
    };
    let desk_url = centre.desk_url();
    let add = as_account(
        home.path(),
        &desk_url,
        SUPERVISOR,
        &format!("{SUPERVISOR_PASS}\n{LISTENER_PASS}\n"),
        &["listener", "add", LISTENER, "--name", "Camille"],
    );
    assert!(add.status.success(), "{}", text(&add.stderr));
    // A set-up that forgot two lines.
    let database = &centre.database;
    database.as_superuser(&format!("REVOKE INSERT ON call, listener FROM {}", centre.terminal.name));
    let fr = Strings::get(Language::Fr);

    // The command line: adding an account.
    let out = as_account(
        home.path(),
        &desk_url,
        SUPERVISOR,
        &format!("{SUPERVISOR_PASS}\nquatre chats gris dorment\n"),
        &["listener", "add", "sacha", "--name", "Sacha"],
    );
    assert!(!out.status.success());
    let cli = text(&out.stderr);
    assert!(
        cli.contains("n'a pas un droit dont le programme a besoin sur listener") && cli.contains("42501"),
        "{cli}"
    );
    assert!(cli.contains("docs/server-setup.sql"), "{cli}");

    // The terminal: the call being saved is refused, said, and kept.
    let (mut app, mut runner) = desk(&desk_url, LISTENER, LISTENER_PASS, &home.path().join("local"));
    // The unlock started the listener's shift.
    let camille = Store::open(location(&desk_url), LISTENER, LISTENER_PASS).unwrap();
    let shift = camille.open_shift().unwrap().expect("the shift the unlock started");
    let call = a_call(shift.id, "CANARY-PRIVILEGE parle de sa sœur");
    let draft = permanence::domain::call::CallDraft {
        shift_id: shift.id,
        started_at: call.started_at,
        call_type: None,
        record: call.record.clone(),
    };
    assert!(matches!(runner.perform(Effect::SaveDraft(draft), app.now), Some(Reply::DraftSaved(_))));
    let reply = runner.perform(Effect::SaveCall { call: call.clone(), callback: None }, app.now).unwrap();
    let Reply::Failed(message) = &reply else { panic!("{reply:?}") };
    let message = message.clone();
    assert_eq!(
        message,
        store_error_brief(fr, &StoreError::ServerPrivilege { object: "call".into(), said: String::new() })
    );
    assert!(
        message.contains("un droit sur call") && message.contains("ce qui est tapé est gardé"),
        "{message}"
    );
    app.apply(reply);
    assert_eq!(count(database, "call"), 0);
    assert_eq!(
        camille.draft().unwrap().map(|d| d.record.notes),
        Some(call.record.notes.clone()),
        "the draft is kept"
    );

    // The line added: the same call saves, once.
    database.as_superuser(&format!("GRANT INSERT ON call TO {}", centre.terminal.name));
    let saved = runner.perform(Effect::SaveCall { call, callback: None }, app.now).unwrap();
    assert!(matches!(saved, Reply::CallSaved), "{saved:?}");
    assert_eq!(count(database, "call"), 1);
}

/// The README's set-up, end to end with the real binary: `init` by the owner, then every desk
/// as the terminals' role (accounts, a listener's call in the terminal, exports, `check`),
/// which can never change, delete or truncate an audit entry; `check` passes for it and names
/// the owner, who could (its own UPDATE is revoked, and the trigger refuses even once granted).
#[test]
fn a_centre_set_up_with_its_least_privileged_role_works_end_to_end() {
    let home = tempfile::tempdir().unwrap();
    let Some(centre) = centre("a_centre_set_up_with_its_least_privileged_role_works_end_to_end", home.path())
    else {
        return;
    };
    let desk_url = centre.desk_url();
    let supervisor = format!("{SUPERVISOR_PASS}\n");
    let add = as_account(
        home.path(),
        &desk_url,
        SUPERVISOR,
        &format!("{SUPERVISOR_PASS}\n{LISTENER_PASS}\n"),
        &["listener", "add", LISTENER, "--name", "Camille"],
    );
    assert!(add.status.success(), "{}", text(&add.stderr));

    if common::tmux::available() {
        let listener =
            common::tmux::Tmux::start(home.path(), &["--db", &desk_url, "--as", LISTENER], 100, 30);
        listener.wait_for("Qui êtes-vous ?");
        listener.type_text(LISTENER_PASS);
        listener.keys(&["Enter"]);
        listener.wait_for("Pas d'appel en cours");
        listener.keys(&["n"]);
        listener.wait_for("Appel en cours");
        listener.keys(&["Enter"]);
        listener.type_text("Parle de son voisin CANARY-LEAST-PRIVILEGE");
        listener.wait_for("CANARY-LEAST-PRIVILEGE");
        listener.keys(&["Escape"]);
        listener.wait_for("Notes (Entrée pour écrire)");
        listener.keys(&["f"]);
        listener.wait_for("Nouveau dossier");
        listener.keys(&["Enter"]);
        listener.keys(&["e"]);
        listener.wait_for("Sera enregistré");
        listener.keys(&["Enter"]);
        listener.wait_for("Type d'appel");
        listener.keys(&["Enter"]);
        listener.wait_for("Issue de l'appel");
        listener.keys(&["Enter"]);
        listener.wait_for("Proposer un rappel");
        listener.keys(&["n"]);
        listener.wait_for("Appel enregistré");
        listener.keys(&["C-q"]);
        listener.wait_exit();
        assert_eq!(count(&centre.database, "call"), 1, "the call saved by the terminals' role");
    }
    let csv = home.path().join("period.csv");
    let export = as_account(
        home.path(),
        &desk_url,
        SUPERVISOR,
        &supervisor,
        &[
            "export",
            "--from",
            "2020-01-01",
            "--to",
            "2099-01-01",
            "--format",
            "csv",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert!(export.status.success(), "{}", text(&export.stderr));

    let check = as_account(home.path(), &desk_url, SUPERVISOR, &supervisor, &["check"]);
    assert!(check.status.success(), "{}{}", text(&check.stdout), text(&check.stderr));
    assert!(text(&check.stdout).contains("vérifiés sur le serveur"), "{}", text(&check.stdout));
    let by_owner = as_account(home.path(), &centre.owner_url(), SUPERVISOR, &supervisor, &["check"]);
    let said = text(&by_owner.stdout);
    assert!(!by_owner.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "le rôle {} pourrait réécrire le journal d'audit : il possède la table audit",
            centre.owner.name
        )),
        "{said}"
    );

    // The terminals' role, whatever code runs as it.
    for sql in ["UPDATE audit SET hash = 'x'", "DELETE FROM audit", "TRUNCATE audit"] {
        assert_eq!(sqlstate(&desk_url, sql), "42501", "{sql}");
    }
    // The owner: revoked too; and once it grants itself the right back, the trigger refuses.
    assert_eq!(sqlstate(&centre.owner_url(), "UPDATE audit SET hash = 'x'"), "42501");
    assert_eq!(
        sqlstate(&centre.owner_url(), "GRANT UPDATE ON audit TO CURRENT_USER; UPDATE audit SET hash = 'x'"),
        "P0001",
        "raised by the append-only trigger"
    );
}

/// Eight desks at once (issue 18, point 4): eight real processes, each its own account and
/// connection, change a setting and unlock, three times each, concurrently; every write is
/// kept and the audit log stays one chain that `permanence check` verifies.
#[test]
fn eight_writer_processes_keep_one_audit_chain_that_check_verifies() {
    const DESKS: usize = 8;
    const ROUNDS: usize = 3;
    let home = tempfile::tempdir().unwrap();
    let Some(centre) = centre("eight_writer_processes_keep_one_audit_chain_that_check_verifies", home.path())
    else {
        return;
    };
    let desk_url = centre.desk_url();
    {
        let mut coord = Store::open(location(&desk_url), SUPERVISOR, SUPERVISOR_PASS).unwrap();
        for desk in 1..=DESKS {
            let login = format!("poste{desk}");
            coord
                .add_listener(
                    permanence::store::NewAccount {
                        login: &login,
                        display_name: &login,
                        role: permanence::domain::listener::Role::Supervisor,
                        passphrase: SUPERVISOR_PASS,
                    },
                    KdfParams::MINIMUM,
                )
                .unwrap();
        }
    }
    let write = |desk: usize, round: usize| {
        as_account(
            home.path(),
            &desk_url,
            &format!("poste{desk}"),
            &format!("{SUPERVISOR_PASS}\n"),
            &["settings", "set", "retention_days", &(400 + desk * 10 + round).to_string()],
        )
    };
    // What one such command writes, measured alone.
    let before = count(&centre.database, "audit");
    let alone = write(1, 0);
    assert!(alone.status.success(), "{}", text(&alone.stderr));
    let per_command = count(&centre.database, "audit") - before;
    assert!(per_command >= 2, "an unlock and the change, at least: {per_command}");

    let before = count(&centre.database, "audit");
    let start = std::sync::Barrier::new(DESKS);
    std::thread::scope(|scope| {
        for desk in 1..=DESKS {
            let (start, write) = (&start, &write);
            scope.spawn(move || {
                start.wait();
                for round in 1..=ROUNDS {
                    let out = write(desk, round);
                    assert!(out.status.success(), "poste{desk}, round {round}: {}", text(&out.stderr));
                }
            });
        }
    });
    let entries = count(&centre.database, "audit");
    assert_eq!(entries - before, (DESKS * ROUNDS) as i64 * per_command, "every write kept");
    let check = as_account(home.path(), &desk_url, SUPERVISOR, &format!("{SUPERVISOR_PASS}\n"), &["check"]);
    let said = text(&check.stdout);
    assert!(check.status.success(), "{said}{}", text(&check.stderr));
    // `check`'s own unlock is one more entry.
    assert!(said.contains(&format!("({} entrées d'audit)", entries + 1)), "{said}");
}

/// After an update of the program, the terminals' role meets a schema it may not upgrade: it
/// says who must, changing nothing; the owner's next unlock upgrades it (here from schema 1,
/// as it was before the audit log's REVOKE, the search's functions and the index of anonymous
/// notes as the purge asks for them), and the desks work again.
#[test]
fn an_old_schema_waits_for_its_owner_and_the_terminals_role_says_so() {
    let home = tempfile::tempdir().unwrap();
    let Some(centre) =
        centre("an_old_schema_waits_for_its_owner_and_the_terminals_role_says_so", home.path())
    else {
        return;
    };
    // Schema 1, as a server made before schema 2 was.
    centre.database.as_superuser(&format!(
        "DROP TRIGGER audit_is_never_truncated ON audit; DROP TRIGGER centre_root_is_never_truncated ON centre_root;
         DROP TRIGGER audit_signing_is_never_truncated ON audit_signing;
         DROP TRIGGER listener_key_is_never_truncated ON listener_key;
         GRANT UPDATE, DELETE, TRUNCATE ON audit TO {owner};
         DROP FUNCTION calls_tagged_newest(bytea[], bigint); DROP FUNCTION files_tagged_newest(bytea[], bigint);
         DROP INDEX call_anonymous_with_notes;
         CREATE INDEX call_anonymous_with_notes ON call(started_at) WHERE caller_file_id IS NULL AND length(notes) > 0;
         UPDATE permanence_schema SET version = 1;",
        owner = centre.owner.name
    ));
    let told = said(&centre.desk_url());
    assert!(matches!(told.error, StoreError::SchemaNeedsOwner { found: 1, known: 4 }), "{:?}", told.error);
    assert!(told.cli.contains("seul son rôle propriétaire peut le mettre à jour"), "{}", told.cli);
    assert!(told.unlock.contains("seul son rôle propriétaire"), "{}", told.unlock);
    assert!(told.english.contains("only its owner role may upgrade it"), "{}", told.english);
    let version = || -> i64 {
        centre.database.connect().query_one("SELECT version FROM permanence_schema", &[]).unwrap().get(0)
    };
    assert_eq!(version(), 1, "nothing changed");

    let supervisor = format!("{SUPERVISOR_PASS}\n");
    let by_owner = as_account(home.path(), &centre.owner_url(), SUPERVISOR, &supervisor, &["check"]);
    assert!(text(&by_owner.stdout).contains("il possède la table audit"), "{}", text(&by_owner.stdout));
    assert_eq!(version(), 4, "the owner's unlock upgraded it");
    assert_eq!(sqlstate(&centre.owner_url(), "DELETE FROM audit"), "42501", "schema 2's REVOKE");
    let check = as_account(home.path(), &centre.desk_url(), SUPERVISOR, &supervisor, &["check"]);
    assert!(check.status.success(), "{}{}", text(&check.stdout), text(&check.stderr));
}
