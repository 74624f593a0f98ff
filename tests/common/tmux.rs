//! Driving the real binary in a pseudo-terminal through tmux: type keys, read the screen.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One tmux server (its own socket) running one program in one pane.
pub struct Tmux {
    socket: String,
}

/// Whether tmux is there; CI installs it, so there it must be.
pub fn available() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must install tmux");
        eprintln!("skipped: tmux is not installed");
    }
    found
}

impl Tmux {
    /// Starts `permanence` with `args`, a private HOME, at `width`×`height`.
    pub fn start(home: &Path, args: &[&str], width: u16, height: u16) -> Tmux {
        Tmux::start_with_env(home, args, &[], width, height)
    }

    /// The same with extra environment (`TZ`…).
    pub fn start_with_env(home: &Path, args: &[&str], env: &[(&str, &str)], width: u16, height: u16) -> Tmux {
        // A private temp folder too, so a test can check nothing was written there.
        std::fs::create_dir_all(home.join("tmp")).unwrap();
        let home = home.display();
        let socket = format!("permanence-test-{}-{}", std::process::id(), unique());
        let tmux = Tmux { socket };
        let command = format!(
            "exec env HOME='{home}' TMPDIR='{home}/tmp' TERM=xterm-256color {}'{}' {}",
            env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect::<String>(),
            env!("CARGO_BIN_EXE_permanence"),
            args.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ")
        );
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &command,
        ]);
        // Keep the pane after the program exits, to read what it left on the screen.
        tmux.run(&["set-option", "-t", "main", "remain-on-exit", "on"]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("run tmux");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Sends named keys (`Enter`, `Escape`, `C-l`, `Down`…).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "main", "-l", text]);
    }

    /// Ends a call from its confirmation on (after `e`), in French: the first type and outcome
    /// offered, no callback. What follows (saved, or kept on this machine) is the caller's to see.
    pub fn finish_ending(&self) {
        self.wait_for("Sera enregistré");
        self.keys(&["Enter"]);
        self.wait_for("Type d'appel");
        self.keys(&["Enter"]);
        self.wait_for("Issue de l'appel");
        self.keys(&["Enter"]);
        self.wait_for("Proposer un rappel");
        self.keys(&["n"]);
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "main"])
    }

    /// The screen and everything scrolled off it.
    pub fn scrollback(&self) -> String {
        self.run(&["capture-pane", "-p", "-S", "-", "-t", "main"])
    }

    /// Waits until the screen shows `text`; panics with the screen after `timeout`.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("{text:?} never appeared; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn pid(&self) -> i32 {
        self.run(&["display-message", "-p", "-t", "main", "#{pane_pid}"]).trim().parse().expect("pane pid")
    }

    pub fn exited(&self) -> bool {
        self.run(&["display-message", "-p", "-t", "main", "#{pane_dead}"]).trim() == "1"
    }

    pub fn wait_exit(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.exited() {
            assert!(Instant::now() < deadline, "the program did not exit; the screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.run(&["resize-window", "-t", "main", "-x", &width.to_string(), "-y", &height.to_string()]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
