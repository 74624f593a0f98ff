//! Nothing waits on the server for ever (issue 18, review finding 2): a server that accepts and
//! says nothing, a server that stops answering mid-session, and a desk that stops in the middle
//! of a write while holding the write lock, each against real sockets and a real server.

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use super::ServerUrl;
use crate::domain::listener::Role;
use crate::domain::settings::Setting;
use crate::store::db::{Db, TxKind};
use crate::store::{KdfParams, Location, NewAccount, Store, StoreError, Unreachable};
use crate::test_support::postgres::{fresh_database, host_and_port, with_hosts, with_role};

const PASS: &str = "trois pommes bleues vertes";
const LISTENER_PASS: &str = "quatre poires jaunes mûres";

/// A socket that accepts every connection and never says a word (its kernel acknowledges what
/// is sent: keepalives and `tcp_user_timeout` see nothing wrong).
fn accepts_and_says_nothing() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(3) {
            let mut stream = stream.unwrap();
            // What the client sends is read, never answered.
            let mut first = [0u8; 8];
            let _ = stream.read(&mut first);
            held.push(stream);
        }
        // Kept open until the three attempts gave up.
        std::thread::sleep(Duration::from_secs(5));
    });
    (port, held)
}

#[test]
fn a_server_that_accepts_and_says_nothing_is_given_up_within_connect_timeout() {
    let (port, held) = accepts_and_says_nothing();
    // libpq's three ways to start: TLS asked first (prefer, require) or not at all (disable).
    for mode in ["prefer", "require", "disable"] {
        let url = ServerUrl::parse(&format!(
            "postgresql://ecoute:secret@127.0.0.1:{port}/p?connect_timeout=1&sslmode={mode}"
        ))
        .unwrap();
        match url.connect() {
            Err(StoreError::ServerUnreachable { why: Unreachable::TimedOut, server }) => {
                assert!(!server.contains("secret"), "{server}");
            }
            Err(other) => panic!("{mode}: {other:?}"),
            Ok(_) => panic!("{mode}: connected to a silent socket"),
        }
    }
    held.join().unwrap();
}

/// Review of the failover (stop 29), finding 1: a URL naming a primary whose machine is gone
/// (here a socket that accepts and says nothing) before its promoted standby reaches the
/// standby, at the first connection and at one made again, each host within its own time
/// limit; rust-postgres alone spent the whole limit on the first host and never tried the next.
#[test]
fn a_silent_first_host_does_not_keep_the_desk_from_the_next() {
    let Some(database) = fresh_database("a_silent_first_host_does_not_keep_the_desk_from_the_next") else {
        return;
    };
    let (silent, held) = accepts_and_says_nothing();
    let real = database.url();
    let url = with_hosts(real, &format!("127.0.0.1:{silent},{}", host_and_port(real)));
    let joiner = if url.contains('?') { '&' } else { '?' };
    let url = ServerUrl::parse(&format!("{url}{joiner}connect_timeout=1")).unwrap();
    // Three tries, as many as the silent socket takes before it closes.
    let tries =
        [("connect", url.connect()), ("connect_again", url.connect_again()), ("connect", url.connect())];
    for (how, connected) in tries {
        let mut client = connected.unwrap_or_else(|err| panic!("{how}: {err:?}"));
        client.batch_execute("SELECT 1").unwrap();
    }
    held.join().unwrap();
}

/// Review of the failover (stop 29), second pass: of several hosts' failures the one a person
/// can act on is told, whatever their order: a standby's refusal of writes (here the real server
/// with read-only sessions, as a standby's are) before a port where nothing listens, a refused
/// password before both.
#[test]
fn of_several_hosts_failures_the_one_to_act_on_is_told() {
    let Some(database) = fresh_database("of_several_hosts_failures_the_one_to_act_on_is_told") else {
        return;
    };
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let real = database.url();
    let both = with_hosts(real, &format!("{},127.0.0.1:{closed}", host_and_port(real)));
    let joiner = if both.contains('?') { '&' } else { '?' };
    let read_only = format!("{both}{joiner}options=-c%20default_transaction_read_only%3Don");
    match ServerUrl::parse(&read_only).unwrap().connect() {
        Err(StoreError::ServerUnreachable { why: Unreachable::StandbyOnly, .. }) => {}
        other => panic!("{:?}", other.map(|_| ())),
    }
    let wrong = with_role(&read_only, "postgres", "not-the-password");
    match ServerUrl::parse(&wrong).unwrap().connect() {
        Err(StoreError::ServerPassword { .. }) => {}
        other => panic!("{:?}", other.map(|_| ())),
    }
}

/// Stops a server process (as a frozen server: its kernel still acknowledges) until dropped.
struct Frozen(i32);

impl Frozen {
    fn freeze(pid: i32) -> Frozen {
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0, "stop the server's process {pid}");
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

#[test]
fn a_server_that_stops_answering_mid_session_is_given_up_after_the_patience() {
    let Some(database) =
        fresh_database("a_server_that_stops_answering_mid_session_is_given_up_after_the_patience")
    else {
        return;
    };
    let db = Db::postgres(database.connect());
    let pid: i32 =
        db.query_row("SELECT pg_backend_pid()", &[], |row| row.get::<i64>(0).map(|p| p as i32)).unwrap();
    db.set_patience(Some(Duration::from_secs(1)));
    let frozen = Frozen::freeze(pid);
    match db.execute_batch("SELECT 1") {
        Err(StoreError::ServerUnreachable { why: Unreachable::Unanswered(1), .. }) => {}
        other => panic!("{other:?}"),
    }
    // Given up: what follows fails at once rather than waiting again.
    assert!(matches!(
        db.transaction(TxKind::Write).err(),
        Some(StoreError::ServerUnreachable { why: Unreachable::Unanswered(_), .. })
    ));
    drop(frozen);
    // Another connection is served as ever.
    let other = Db::postgres(database.connect());
    other.execute_batch("SELECT 1").unwrap();
}

fn account<'a>(login: &'a str, role: Role, passphrase: &'a str) -> NewAccount<'a> {
    NewAccount { login, display_name: login, role, passphrase }
}

/// A laptop put to sleep in the middle of a write holds the write lock; the other desks' writes
/// give up after `lock_timeout` saying "busy" (nothing changed, tried again), their drafts are
/// saved meanwhile (they take no lock), and once the server has ended the silent desk's
/// transaction (`idle_in_transaction_session_timeout`) they are written; the silent desk's
/// half-made write is not.
#[test]
fn a_desk_silent_in_the_middle_of_a_write_holds_no_other_desk_beyond_the_time_limits() {
    let Some(database) =
        fresh_database("a_desk_silent_in_the_middle_of_a_write_holds_no_other_desk_beyond_the_time_limits")
    else {
        return;
    };
    let location = Location::from(ServerUrl::parse(database.url()).unwrap());
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    coord.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    let camille = Store::open(&location, "camille", LISTENER_PASS).unwrap();

    // Camille's desk: the write lock taken, a change made, then nothing more.
    let silent = camille.conn.transaction(TxKind::Write).unwrap();
    silent.execute("UPDATE centre_setting SET value = 99 WHERE name = 'retention_days'", &[]).unwrap();

    let started = Instant::now();
    let busy = coord.set_setting(Setting::RetentionDays, 400);
    assert!(matches!(busy, Err(StoreError::Locked)), "{busy:?}");
    // The draft being typed is saved all along: it waits for no one.
    let draft = crate::domain::call::CallDraft {
        shift_id: crate::domain::ShiftId(1),
        started_at: chrono::Utc::now(),
        call_type: None,
        record: crate::domain::call::CallRecord {
            notes: "Appelle depuis sa cuisine".into(),
            ..Default::default()
        },
    };
    coord.save_draft(&draft).unwrap();

    // Tried again, as the terminal does, until the server has ended the silent transaction.
    let mut tries = 1;
    loop {
        tries += 1;
        match coord.set_setting(Setting::RetentionDays, 400) {
            Ok(()) => break,
            Err(StoreError::Locked) if started.elapsed() < Duration::from_secs(120) => {}
            other => panic!("after {tries} tries: {other:?}"),
        }
    }
    assert_eq!(coord.settings().unwrap().retention_days, Some(400));
    assert_eq!(coord.draft().unwrap(), Some(draft));
    // The silent desk's session is gone, and its half-made write with it.
    assert!(silent.execute("SELECT 1", &[]).is_err());
    drop(silent);
    println!("written after {tries} tries, {:.1} s", started.elapsed().as_secs_f64());
}
