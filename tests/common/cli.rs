//! The real binary run from a test, as a supervisor runs it from a shell or a script.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::{SUPERVISOR, SUPERVISOR_PASS};

/// Runs `permanence` with a private HOME (no user config is read) and `stdin` piped in.
pub fn run(home: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_permanence"))
        .args(args)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The program may exit before reading (e.g. on an early error): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn init(home: &Path, db: &str) {
    let out = run(
        home,
        &["--db", db, "--passphrase-stdin", "init", "--login", SUPERVISOR],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// How long any one command may take in these tests before it counts as hung.
pub const HANG: std::time::Duration = std::time::Duration::from_secs(60);

/// Like [`run`], with extra environment, in `home` as the working folder, and killed (and
/// reported as hung) after `limit`.
pub fn run_with(
    home: &Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
    limit: std::time::Duration,
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_permanence"));
    command
        .args(args)
        .current_dir(home)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("permanence {args:?} hung for more than {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// A run that must not have panicked (exit code 101, or Rust's panic message).
pub fn assert_no_panic(args: &[&str], out: &Output) {
    let stderr = text(&out.stderr);
    assert!(
        out.status.code() != Some(101) && !stderr.contains("panicked"),
        "permanence {args:?} panicked: {stderr}"
    );
}
