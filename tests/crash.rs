//! Crash loops: a child process writes and prints each id once COMMIT has returned; the
//! parent kills it with SIGKILL at a random moment, reopens the database and checks that
//! every acknowledged write is there, whole, and that the file verifies. One loop writes
//! calls (with their themes), callbacks and drafts; the other kills the retention purge, one
//! large transaction, on a store of 60,000 calls; another kills a re-key (a passphrase reset)
//! while a second terminal saves calls. `--ignored` runs the long variants.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use permanence::domain::CallId;
use permanence::domain::call::{CallDraft, CallRecord, CallType, NewCall};
use permanence::domain::callback::{Assignee, CallbackRequest, PhoneNumber, Priority};
use permanence::domain::caller_file::{FileProfile, UnlockPurge};
use permanence::store::{KeyFile, Store};

const CHILD: &str = "PERMANENCE_CRASH_CHILD_DB";
const PURGE_CHILD: &str = "PERMANENCE_PURGE_CHILD_DB";
/// The instant every purge of the loop takes as "now" (microseconds since the epoch): with the
/// wall clock, files crossing the retention cutoff during the loop made a finished purge look
/// like half a purge, or left a few files due that the check's own purge then took.
const PURGE_AT: &str = "PERMANENCE_PURGE_AT_MICROS";
const THEMES: [&str; 2] = ["deuil", "isolement"];

/// The child's side, started by the parent (this test binary, `--ignored --exact`, with
/// `CHILD` set); not a test of its own.
#[test]
#[ignore = "the child side of the crash loop, started by the parent"]
fn crash_child() {
    let Some(db) = std::env::var_os(CHILD) else { return };
    let mut store = Store::open(std::path::Path::new(&db), SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let shift = store.open_shift().unwrap().unwrap_or_else(|| store.start_shift().unwrap());
    let file = store.create_file(&FileProfile::default()).unwrap();
    for n in 0.. {
        let now = Utc::now();
        let record = CallRecord {
            caller_file_id: Some(file.id),
            themes: THEMES.iter().map(|t| (*t).to_owned()).collect(),
            notes: format!("appel {n}"),
            ..CallRecord::default()
        };
        let draft =
            CallDraft { shift_id: shift.id, started_at: now, call_type: None, record: record.clone() };
        store.save_draft(&draft).unwrap();
        println!("draft {n}");
        let callback = CallbackRequest::with_consent(
            true,
            now,
            Priority::Normal,
            PhoneNumber::parse("0639980000").unwrap(),
            Assignee::Anyone,
            String::new(),
        )
        .unwrap();
        let call = NewCall {
            shift_id: shift.id,
            started_at: now,
            ended_at: now,
            call_type: CallType::Listening,
            time_spent: None,
            record,
        };
        let id = store.save_call_with_callback(&call, Some(&callback)).unwrap();
        println!("call {}", id.0);
    }
}

fn run_iterations(iterations: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    drop(create(&db));
    let mut acknowledged: Vec<CallId> = Vec::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..iterations {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--ignored", "--nocapture", "--test-threads", "1"])
            .env(CHILD, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill after a pseudo-random number of acknowledged writes (0 to 40): before,
        // during and between transactions.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let writes_before_kill = (seed % 41) as usize;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        while seen < writes_before_kill {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(id) = line.strip_prefix("call ") {
                acknowledged.push(CallId(id.parse().unwrap()));
            }
            seen += 1;
            assert!(Instant::now() < deadline, "the child stalled");
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Anything printed before the kill took effect is acknowledged too.
        for line in lines.map_while(Result::ok) {
            if let Some(id) = line.strip_prefix("call ") {
                acknowledged.push(CallId(id.parse().unwrap()));
            }
        }
    }

    let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let report = store.check().unwrap();
    assert!(report.is_clean(), "integrity, cipher integrity and audit chain: {:?}", report.findings);
    for id in &acknowledged {
        let call = store.call(*id).unwrap_or_else(|e| panic!("acknowledged call {id} lost: {e}"));
        assert_eq!(call.record.themes, THEMES, "call {id} half-applied");
    }
    // Every call in the file came with its callback, in the same transaction.
    let counts = store.counts().unwrap();
    assert_eq!(counts.pending_callbacks, counts.calls, "a call without its callback, or the reverse");
    assert!(counts.calls as usize >= acknowledged.len());
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    run_iterations(150);
}

#[test]
#[ignore = "long variant: cargo test --test crash -- --ignored"]
fn acknowledged_writes_survive_sigkill_long() {
    run_iterations(3000);
}

/// The child of the purge loop: one acknowledged call, then the retention purge of most of
/// the store in one transaction (larger than SQLite's page cache, so its pages spill to the
/// log and are rewritten there before COMMIT).
#[test]
#[ignore = "the child side of the purge crash loop, started by the parent"]
fn purge_child() {
    let Some(db) = std::env::var_os(PURGE_CHILD) else { return };
    println!(); // ends the harness's "test purge_child ... " line
    let mut store = Store::open(std::path::Path::new(&db), SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let shift = store.open_shift().unwrap().unwrap_or_else(|| store.start_shift().unwrap());
    let now = Utc::now();
    let record = CallRecord { notes: "juste avant la purge".into(), ..CallRecord::default() };
    let call = NewCall {
        shift_id: shift.id,
        started_at: now,
        ended_at: now,
        call_type: CallType::Listening,
        time_spent: None,
        record,
    };
    println!("call {}", store.save_call(&call).unwrap().0);
    let at = std::env::var(PURGE_AT).expect("the parent gives the purge's instant");
    let at = chrono::DateTime::from_timestamp_micros(at.parse().unwrap()).unwrap();
    println!("purging");
    let report = store.purge(at, false).unwrap();
    println!("purged {}", report.files);
}

/// A demo store of `calls` calls whose free text is all kept (retention of 100 years), then
/// the centre's retention set to 30 days: the next purge wipes nearly everything.
fn store_due_for_a_large_purge(dir: &std::path::Path, calls: u64) -> std::path::PathBuf {
    use permanence::config::Config;
    use permanence::domain::settings::Setting;
    let db = dir.join("pristine.db");
    permanence::demo::build(&db, calls, &Config::default().themes, 36_500).unwrap();
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    store.set_setting(Setting::RetentionDays, 30).unwrap();
    // The cheapest accepted key derivation: the loop unlocks twice per kill.
    store.set_passphrase(SUPERVISOR, SUPERVISOR_PASS, permanence::store::KdfParams::MINIMUM).unwrap();
    assert!(store.purge(Utc::now(), true).unwrap().files > 100, "much of the store is due");
    db
}

fn copy_store(from: &std::path::Path, to: &std::path::Path) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
    }
    std::fs::copy(from, to).unwrap();
    std::fs::copy(KeyFile::path_for(from), KeyFile::path_for(to)).unwrap();
}

fn run_purge_kills(iterations: usize) {
    let dir = tempfile::tempdir().unwrap();
    let pristine = store_due_for_a_large_purge(dir.path(), 60_000);
    let purge_at = Utc::now();
    let (calls_before, due) = {
        let mut store = Store::open(&pristine, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        (store.counts().unwrap().calls, store.purge(purge_at, true).unwrap().files)
    };
    let db = dir.path().join("permanence.db");
    let spawn = || {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "purge_child", "--ignored", "--nocapture", "--test-threads", "1"])
            .env(PURGE_CHILD, &db)
            .env(PURGE_AT, purge_at.timestamp_micros().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // One purge left to finish, to know how long one takes on this machine.
    copy_store(&pristine, &db);
    let mut child = spawn();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    lines.find(|l| l == "purging").expect("the child reached the purge");
    let started = Instant::now();
    assert!(lines.find(|l| l.starts_with("purged")).is_some(), "the purge finished");
    // How long one purge takes, as far as the kills can tell: shortened whenever a purge is
    // found finished before its kill (the machine got faster than when it was measured), so
    // that a change of load shifts where the kills land, never whether they land inside.
    let mut purge_time = started.elapsed();
    child.wait().unwrap();
    eprintln!("one purge of {due} files: {purge_time:?}");

    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut killed_mid_purge = 0;
    for iteration in 0..iterations {
        copy_store(&pristine, &db);
        let mut child = spawn();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
        let mut acknowledged = None;
        for line in lines.by_ref() {
            if let Some(id) = line.strip_prefix("call ") {
                acknowledged = Some(CallId(id.parse().unwrap()));
            }
            if line == "purging" {
                break;
            }
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Anywhere from the first statement of the purge to a little after its COMMIT.
        let delay = purge_time.mul_f64((seed % 1000) as f64 / 900.0);
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        let finished = lines.any(|l| l.starts_with("purged"));
        killed_mid_purge += usize::from(!finished);
        if finished {
            purge_time = purge_time.mul_f64(0.8);
        }

        let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS)
            .unwrap_or_else(|e| panic!("iteration {iteration}, killed after {delay:?}: {e}"));
        // The whole check reads every page (a second or so here): every tenth time, and the last.
        if iteration % 10 == 0 || iteration + 1 == iterations {
            let report = store.check().unwrap();
            assert!(report.is_clean(), "iteration {iteration}: {:?}", report.findings);
        }
        let id = acknowledged.expect("the call was acknowledged before the purge began");
        assert_eq!(store.call(id).unwrap().record.notes, "juste avant la purge", "iteration {iteration}");
        assert_eq!(store.counts().unwrap().calls, calls_before + 1, "iteration {iteration}");
        // The purge is one transaction: all of it, or none of it. (Asked as at an unlock: what is
        // due is more than the share a purge at unlock may take, so it is only counted.)
        let left = match store.purge_at_unlock(purge_at).unwrap() {
            UnlockPurge::AwaitingSupervisor(report) => report.files,
            UnlockPurge::Nothing => 0,
            UnlockPurge::RetentionNotSet => panic!("iteration {iteration}: the centre's retention was lost"),
            UnlockPurge::Done(report) => panic!("iteration {iteration}: a purge at unlock ran: {report:?}"),
        };
        assert!(left == 0 || left == due, "iteration {iteration}: half a purge ({left} of {due} files left)");
        assert!(!finished || left == 0, "iteration {iteration}: an acknowledged purge was lost");
    }
    assert!(
        killed_mid_purge * 2 > iterations,
        "most kills should land inside the purge ({killed_mid_purge} of {iterations}; one purge takes {purge_time:?})"
    );
}

#[test]
fn a_purge_killed_at_any_moment_leaves_a_store_that_opens_whole() {
    run_purge_kills(100);
}

#[test]
#[ignore = "long variant: cargo test --test crash -- --ignored"]
fn a_purge_killed_at_any_moment_leaves_a_store_that_opens_whole_long() {
    run_purge_kills(1000);
}

/// `permanence backup` killed at any moment: whatever stands under the name asked for is a
/// whole, verified copy (never a half-written or unverified one).
#[test]
fn a_backup_killed_at_any_moment_never_leaves_an_unverified_copy_under_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_due_for_a_large_purge(dir.path(), 20_000);
    let run = |out: &std::path::Path| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_permanence"))
            .args(["--db", db.to_str().unwrap(), "--as", SUPERVISOR, "--passphrase-stdin", "backup", "--out"])
            .arg(out)
            .env("HOME", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(format!("{SUPERVISOR_PASS}\n").as_bytes()).unwrap();
        child
    };
    let started = Instant::now();
    let whole = dir.path().join("whole.db");
    assert!(run(&whole).wait().unwrap().success());
    let backup_time = started.elapsed();
    let mut seed: u64 = 0x0bad_5eed_1234_5678;
    for iteration in 0..20 {
        let out = dir.path().join(format!("copy-{iteration}.db"));
        let mut child = run(&out);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(backup_time.mul_f64((seed % 1000) as f64 / 1000.0));
        let _ = child.kill();
        child.wait().unwrap();
        if !out.exists() {
            continue;
        }
        // Killed after the rename: the copy is whole (its key file may still be missing).
        let keys = KeyFile::path_for(&out);
        if !keys.exists() {
            std::fs::copy(KeyFile::path_for(&db), &keys).unwrap();
        }
        let copy = Store::open(&out, SUPERVISOR, SUPERVISOR_PASS)
            .unwrap_or_else(|e| panic!("iteration {iteration}: {e}"));
        assert!(copy.check().unwrap().is_clean(), "iteration {iteration}");
    }
}

const WRITER_CHILD: &str = "PERMANENCE_REKEY_WRITER_DB";
const REKEY_PAUSE: &str = "PERMANENCE_TEST_REKEY_PAUSE_MS";
const RESETS: [&str; 2] = ["quatre poires jaunes", "cinq cerises rouges"];

/// A second terminal during re-keys: saves calls one after another, printing each id once
/// COMMIT has returned. A write that meets a re-key waits, is told "busy", and is tried again;
/// after a re-key the session follows the new file with its own slot.
#[test]
#[ignore = "the writer side of the re-key crash loop, started by the parent"]
fn rekey_writer_child() {
    let Some(db) = std::env::var_os(WRITER_CHILD) else { return };
    let mut store = Store::open(std::path::Path::new(&db), SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let shift = loop {
        match store.open_shift().and_then(|s| s.map_or_else(|| store.start_shift(), Ok)) {
            Ok(shift) => break shift,
            Err(permanence::store::StoreError::Locked) => std::thread::sleep(Duration::from_millis(20)),
            Err(err) => panic!("{err}"),
        }
    };
    for n in 0.. {
        let now = Utc::now();
        let record = CallRecord {
            themes: THEMES.iter().map(|t| (*t).to_owned()).collect(),
            notes: format!("appel {n}"),
            ..CallRecord::default()
        };
        let call = NewCall {
            shift_id: shift.id,
            started_at: now,
            ended_at: now,
            call_type: CallType::Listening,
            time_spent: None,
            record,
        };
        let id = loop {
            match store.save_call_with_callback(&call, None) {
                Ok(id) => break id,
                Err(permanence::store::StoreError::Locked) => std::thread::sleep(Duration::from_millis(20)),
                Err(err) => panic!("{err}"),
            }
        };
        println!("call {}", id.0);
        // A terminal writes about once a second (the draft); twenty times as often here.
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Which of `RESETS` opens Camille's slot now; exactly one must.
fn camille_passphrase(db: &std::path::Path, iteration: usize) -> &'static str {
    let attempts = format!("{}.attempts", KeyFile::path_for(db).display());
    let tries: Vec<_> = RESETS
        .iter()
        .map(|passphrase| {
            // The wait after wrong passphrases is not what is tested here.
            let _ = std::fs::remove_file(&attempts);
            (*passphrase, Store::open(db, LISTENER, passphrase).map(drop))
        })
        .collect();
    let opens: Vec<&str> = tries.iter().filter(|(_, r)| r.is_ok()).map(|(p, _)| *p).collect();
    assert_eq!(opens.len(), 1, "iteration {iteration}: Camille's tries: {tries:?}");
    opens[0]
}

/// A supervisor resets Camille's passphrase (a re-key: the database copied under a new key,
/// every slot given it, the files swapped) while another terminal saves calls; the re-key is
/// killed at a random moment. Every time, the store opens with the right passphrases (the old
/// one if the swap had not happened, the new one if it had, never neither), holds every
/// acknowledged call, verifies, and leaves nothing of the re-key behind.
fn run_rekey_kills(iterations: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let mut store = create(&db);
    store.start_shift().unwrap();
    store
        .add_listener(
            permanence::store::NewAccount {
                login: LISTENER,
                display_name: "Camille",
                role: permanence::domain::listener::Role::Listener,
                passphrase: RESETS[0],
            },
            permanence::store::KdfParams::MINIMUM,
        )
        .unwrap();
    drop(store);
    let reset = |new: &str| {
        Command::new(env!("CARGO_BIN_EXE_permanence"))
            .args([
                "--db",
                db.to_str().unwrap(),
                "--as",
                SUPERVISOR,
                "--passphrase-stdin",
                "listener",
                "passwd",
            ])
            .arg(LISTENER)
            .env("HOME", dir.path())
            .env(REKEY_PAUSE, "60")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(|mut child| {
                use std::io::Write;
                let input = format!("{SUPERVISOR_PASS}\n{new}\n");
                child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
                child
            })
            .unwrap()
    };
    let writer = || {
        let mut writer = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "rekey_writer_child", "--ignored", "--nocapture", "--test-threads", "1"])
            .env(WRITER_CHILD, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = BufReader::new(writer.stdout.take().unwrap()).lines();
        let reader = std::thread::spawn(move || {
            lines
                .map_while(Result::ok)
                .filter_map(|line| {
                    line.strip_prefix("call ").map(|id| (Instant::now(), CallId(id.parse().unwrap())))
                })
                .collect::<Vec<_>>()
        });
        (writer, reader)
    };
    // How long one whole reset takes here, with the other terminal writing, to kill anywhere
    // within it.
    let (mut first_writer, first_reader) = writer();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    assert!(reset(RESETS[1]).wait().unwrap().success());
    // Adjusted as the loop goes (see below), so that a change of load moves where the kills
    // land, not whether they fall on both sides of the swap.
    let mut whole = started.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    first_writer.kill().unwrap();
    first_writer.wait().unwrap();
    let first: Vec<(Instant, CallId)> = first_reader.join().unwrap();
    assert!(
        first.iter().any(|(at, _)| *at > started + whole),
        "the other terminal goes on writing after the re-key, in the new file"
    );
    let mut acknowledged: Vec<CallId> = first.into_iter().map(|(_, id)| id).collect();
    assert_eq!(camille_passphrase(&db, 0), RESETS[1]);

    let mut completed = 0;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for iteration in 1..=iterations {
        let (mut writer, reader) = writer();
        let before = camille_passphrase(&db, iteration);
        let after = if before == RESETS[0] { RESETS[1] } else { RESETS[0] };
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut rekeyer = reset(after);
        std::thread::sleep(whole.mul_f64((seed % 1200) as f64 / 1000.0));
        let _ = rekeyer.kill();
        let finished = rekeyer.wait().unwrap().success();
        // The writer goes on a little after the kill, then is killed too.
        std::thread::sleep(Duration::from_millis(150));
        writer.kill().unwrap();
        writer.wait().unwrap();
        acknowledged.extend(reader.join().unwrap().into_iter().map(|(_, id)| id));

        let now = camille_passphrase(&db, iteration);
        if finished {
            assert_eq!(now, after, "iteration {iteration}: a reset that returned is in place");
        }
        completed += usize::from(now == after);
        whole = whole.mul_f64(if now == after { 0.8 } else { 1.25 });
        let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS)
            .unwrap_or_else(|e| panic!("iteration {iteration}: the supervisor cannot open: {e}"));
        let report = store.check().unwrap();
        assert!(report.is_clean(), "iteration {iteration}: {:?}", report.findings);
        for path in [permanence::store::next_database_path(&db), permanence::store::next_key_file_path(&db)] {
            assert!(!path.exists(), "iteration {iteration}: {} left behind", path.display());
        }
        for id in &acknowledged {
            let call =
                store.call(*id).unwrap_or_else(|e| panic!("iteration {iteration}: call {id} lost: {e}"));
            assert_eq!(call.record.themes, THEMES);
        }
    }
    // The kills fell on both sides of the swap.
    assert!(completed > 0 && completed < iterations, "{completed} of {iterations} resets completed");
    assert!(!acknowledged.is_empty());
}

#[test]
fn a_rekey_killed_at_any_moment_leaves_the_old_key_or_the_new_never_neither() {
    run_rekey_kills(20);
}

#[test]
#[ignore = "long variant: cargo test --test crash -- --ignored"]
fn a_rekey_killed_at_any_moment_leaves_the_old_key_or_the_new_never_neither_long() {
    run_rekey_kills(300);
}
