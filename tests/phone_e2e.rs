//! The phone for real: two baresip softphones on loopback (a caller and the listener's, `ausine`
//! audio, no registrar) and the real permanence binary in tmux, its `[phone]` on the listener's
//! `ctrl_tcp` socket. CI installs `baresip-core`; there the test must run, never skip.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::tmux::{Tmux, available};
use common::*;
use permanence::phone::netstring::{Decoder, encode};
use permanence::store::{ScopeRequest, Store};

/// Whether baresip is there; CI installs it, so there it must be.
fn baresip_available() -> bool {
    let found = Command::new("baresip").arg("-h").output().is_ok();
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must install baresip-core");
        eprintln!("skipped: baresip is not installed");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One baresip process with its own config folder, killed when dropped.
struct Softphone {
    child: Child,
    user: &'static str,
    sip: u16,
    ctrl: u16,
    _dir: tempfile::TempDir,
}

impl Softphone {
    fn start(user: &'static str) -> Softphone {
        let dir = tempfile::tempdir().unwrap();
        let (sip, ctrl) = (free_port(), free_port());
        // ausine makes a tone at 48 kHz in stereo only: the codecs' 8 kHz mono is resampled.
        let config = format!(
            "poll_method epoll\nsip_listen 127.0.0.1:{sip}\naudio_source ausine,440\n\
             ausrc_srate 48000\nauplay_srate 48000\nausrc_channels 2\nauplay_channels 2\n\
             module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule ausine.so\n\
             module_app account.so\nmodule_app menu.so\nmodule_app ctrl_tcp.so\n\
             ctrl_tcp_listen 127.0.0.1:{ctrl}\n"
        );
        std::fs::write(dir.path().join("config"), config).unwrap();
        std::fs::write(dir.path().join("accounts"), format!("<sip:{user}@127.0.0.1:{sip}>;regint=0\n"))
            .unwrap();
        std::fs::write(dir.path().join("contacts"), "").unwrap();
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("baresip starts");
        let phone = Softphone { child, user, sip, ctrl, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", ctrl)).is_err() {
            assert!(Instant::now() < deadline, "baresip never opened its control socket");
            std::thread::sleep(Duration::from_millis(50));
        }
        phone
    }

    fn uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.user, self.sip)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Softphone {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The test's hand on the caller's softphone: commands in, events (with when they came) out.
struct Control {
    stream: TcpStream,
    events: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl Control {
    fn connect(phone: &Softphone) -> Control {
        let stream = TcpStream::connect(("127.0.0.1", phone.ctrl)).unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, seen) = (stream.try_clone().unwrap(), Arc::clone(&events));
        std::thread::spawn(move || {
            let mut decoder = Decoder::new();
            let mut buffer = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    return;
                }
                decoder.feed(&buffer[..n]);
                while let Ok(Some(frame)) = decoder.next_frame() {
                    let json: serde_json::Value = serde_json::from_slice(&frame).unwrap_or_default();
                    if let Some(kind) = json["type"].as_str() {
                        seen.lock().unwrap().push((Instant::now(), kind.to_owned()));
                    }
                }
            }
        });
        Control { stream, events }
    }

    fn command(&mut self, command: &str, params: &str) {
        let json = serde_json::json!({ "command": command, "params": params, "token": command });
        self.stream.write_all(&encode(json.to_string().as_bytes())).unwrap();
    }

    fn seen(&self) -> usize {
        self.events.lock().unwrap().len()
    }

    /// When `kind` came, among the events from the `from`th on.
    fn wait_event(&self, kind: &str, from: usize) -> Instant {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some((at, _)) = self.events.lock().unwrap()[from..].iter().find(|(_, k)| k == kind) {
                return *at;
            }
            assert!(Instant::now() < deadline, "no {kind} from the caller's softphone");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn unlock_as_camille(tmux: &Tmux) {
    tmux.wait_for("Qui êtes-vous ?");
    tmux.keys(&["Down"]);
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Pas d'appel en cours");
}

fn open_terminal(dir: &Path, listener_phone: &Softphone) -> Tmux {
    let db = db_in(dir);
    let mut store = create(&db);
    add_listener(&mut store);
    drop(store);
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("[phone]\nsource = \"baresip\"\naddress = \"127.0.0.1:{}\"\n", listener_phone.ctrl),
    )
    .unwrap();
    Tmux::start(dir, &["--db", db.to_str().unwrap(), "--config", config.to_str().unwrap()], 100, 30)
}

#[test]
fn calls_ring_are_answered_timed_recognised_missed_and_survive_the_phone_dying() {
    if !available() || !baresip_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut listener_phone = Softphone::start("ecoute");
    let caller_phone = Softphone::start("+33612345678");
    let mut caller = Control::connect(&caller_phone);
    let tmux = open_terminal(dir.path(), &listener_phone);
    unlock_as_camille(&tmux);

    // 1. The caller dials; the screen rings; F2 answers; notes typed; the caller hangs up.
    let from = caller.seen();
    caller.command("dial", &listener_phone.uri());
    tmux.wait_for("Un appel sonne");
    tmux.wait_for("numéro jamais entendu");
    tmux.keys(&["F2"]);
    let established = caller.wait_event("CALL_ESTABLISHED", from);
    tmux.wait_for("En ligne");
    tmux.type_text("Appel par le téléphone CANARY-PHONE-1");
    tmux.wait_for("CANARY-PHONE-1");
    std::thread::sleep(Duration::from_millis(2500));
    caller.command("hangup", "");
    let closed = caller.wait_event("CALL_CLOSED", from);
    // The end of the call opens by itself; the listener takes their time.
    tmux.wait_for("Ligne raccrochée");
    std::thread::sleep(Duration::from_secs(3));
    tmux.finish_ending();
    tmux.wait_for("Appel enregistré");
    let phone_seconds = (closed - established).as_secs_f64();

    // 2. The same number again: recognised; left ringing, then given up by the caller: missed.
    let from = caller.seen();
    caller.command("dial", &listener_phone.uri());
    tmux.wait_for("Ce numéro a déjà appelé 1 fois");
    caller.wait_event("CALL_RINGING", from);
    std::thread::sleep(Duration::from_millis(1500));
    caller.command("hangup", "");
    tmux.wait_for("Appel manqué");

    // 3. Answered, then the listener's softphone dies mid-call: nothing typed is lost.
    let from = caller.seen();
    caller.command("dial", &listener_phone.uri());
    tmux.wait_for("Un appel sonne");
    tmux.keys(&["F2"]);
    caller.wait_event("CALL_ESTABLISHED", from);
    tmux.wait_for("En ligne");
    tmux.type_text("Avant la panne CANARY-PHONE-3");
    tmux.wait_for("CANARY-PHONE-3");
    listener_phone.kill();
    tmux.wait_for("☎ déconnecté");
    tmux.type_text(" puis après");
    tmux.wait_for("CANARY-PHONE-3 puis après");
    tmux.keys(&["Escape"]);
    tmux.wait_for("Notes (Entrée pour écrire)");
    tmux.keys(&["e"]);
    tmux.finish_ending();
    tmux.wait_for("Appel enregistré");
    let screens = tmux.scrollback();
    tmux.keys(&["C-q"]);
    tmux.wait_exit();

    // The number was never shown, nor written anywhere in clear.
    assert!(!screens.contains("612345678"), "{screens}");
    assert!(found_in_dir(dir.path(), b"612345678").is_empty());
    let store = Store::open(db_in(dir.path()), LISTENER, LISTENER_PASS).unwrap();
    let shift = store.open_shift().unwrap().expect("the shift is still open");
    let mut calls = store.calls_of_shift(shift.id).unwrap();
    calls.reverse();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].record.notes, "Appel par le téléphone CANARY-PHONE-1");
    let saved = (calls[0].ended_at - calls[0].started_at).num_seconds() as f64;
    assert!(
        (saved - phone_seconds).abs() <= 1.0,
        "saved {saved} s, the phone said {phone_seconds:.2} s (the listener ended it 3 s later)"
    );
    assert_eq!(calls[1].record.notes, "Avant la panne CANARY-PHONE-3 puis après");
    let figures = store.summary(ScopeRequest::Shift(shift.id), chrono::Utc::now()).unwrap().phone;
    assert_eq!((figures.offered, figures.answered, figures.missed), (3, 2, 1), "{figures:?}");
    assert_eq!(figures.answer_rate, Some(67));
}
