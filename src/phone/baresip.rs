//! The baresip softphone, through its `ctrl_tcp` module: JSON in netstrings both ways.
//! Events look like `{"event":true,"type":"CALL_INCOMING","class":"call","direction":"incoming",
//! "peeruri":"sip:…","id":"…","param":"…"}`; commands `{"command":"accept","params":"",
//! "token":"…"}` are answered `{"response":true,"ok":true,"data":"…","token":"…"}`. Real lines,
//! captured from Debian's baresip 1.0.0, are in `tests/fixtures/baresip/`.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use chrono::Utc;
use serde::Deserialize;

use super::netstring::{self, Decoder, FrameError};
use super::{CallerNumber, EndReason, LineId, PhoneCommand, PhoneEvent, PhoneSource};
use crate::domain::Timestamp;

/// How long to wait between two tries to reach baresip.
const RECONNECT: Duration = Duration::from_millis(500);
/// How long a read waits before the commands are looked at again.
const READ_SLICE: Duration = Duration::from_millis(5);

/// A baresip reached at `address` (`host:port` of its `ctrl_tcp_listen`); `dial` turns a
/// callback number into what baresip dials (`{number}` replaced).
pub struct Baresip {
    pub address: String,
    pub dial: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error("baresip sent something that is not its JSON: {0}")]
    Json(String),
    #[error("baresip event {0} has no call id")]
    NoCallId(String),
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    event: bool,
    #[serde(default)]
    response: bool,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    peeruri: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    param: String,
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    data: String,
    #[serde(default)]
    token: String,
}

/// What one frame from baresip means to the terminal, received at `at`. `Ok(None)` for what
/// does not concern it (media, SDP, statistics, a command that went through).
pub fn parse(frame: &[u8], at: Timestamp) -> Result<Option<PhoneEvent>, ParseError> {
    let message: Message = serde_json::from_slice(frame).map_err(|e| ParseError::Json(e.to_string()))?;
    if message.response {
        if message.ok {
            return Ok(None);
        }
        let command = message.token.split('-').next().unwrap_or("").to_owned();
        return Ok(Some(PhoneEvent::Refused { command, why: message.data.trim().to_owned() }));
    }
    if !message.event {
        return Ok(None);
    }
    let line = || {
        if message.id.is_empty() {
            Err(ParseError::NoCallId(message.kind.clone()))
        } else {
            Ok(LineId(message.id.clone()))
        }
    };
    Ok(Some(match message.kind.as_str() {
        "CALL_INCOMING" if message.direction != "outgoing" => {
            PhoneEvent::Incoming { line: line()?, number: CallerNumber::from_uri(&message.peeruri), at }
        }
        "CALL_RINGING" | "CALL_PROGRESS" if message.direction == "outgoing" => {
            PhoneEvent::Dialling { line: line()?, at }
        }
        "CALL_ESTABLISHED" => PhoneEvent::Answered { line: line()?, at },
        "CALL_CLOSED" => PhoneEvent::Ended { line: line()?, at, reason: end_reason(&message.param) },
        _ => return Ok(None),
    }))
}

/// baresip's `param` on `CALL_CLOSED`: a SIP status ("486 Busy Here") or its own words
/// ("Connection reset by peer" when the other side hung up).
fn end_reason(param: &str) -> EndReason {
    let code: Option<u16> = param.split_whitespace().next().and_then(|c| c.parse().ok());
    match code {
        Some(486 | 600 | 603) => EndReason::Busy,
        Some(408 | 480 | 487) => EndReason::NoAnswer,
        Some(_) => EndReason::Failed,
        None => EndReason::HungUp,
    }
}

/// The frame that asks baresip for `command`; its token names the command, so that a refusal
/// says which.
pub fn command_frame(command: &PhoneCommand, dial: &str) -> Vec<u8> {
    let (name, params) = match command {
        PhoneCommand::Accept => ("accept", String::new()),
        PhoneCommand::HangUp => ("hangup", String::new()),
        PhoneCommand::Dial(number) => ("dial", dial.replace("{number}", number)),
    };
    let json = serde_json::json!({ "command": name, "params": params, "token": format!("{name}-1") });
    netstring::encode(json.to_string().as_bytes())
}

/// Why a connection ended.
enum Ended {
    /// The terminal is gone: stop.
    Stop,
    /// baresip is gone (or spoke nonsense): reconnect.
    Lost,
}

impl PhoneSource for Baresip {
    fn run(self: Box<Self>, events: &dyn Fn(PhoneEvent) -> bool, commands: Receiver<PhoneCommand>) {
        let mut said_disconnected = false;
        loop {
            if let Some(stream) = self.connect() {
                said_disconnected = false;
                if !events(PhoneEvent::Connected) {
                    return;
                }
                if let Ended::Stop = self.session(stream, events, &commands) {
                    return;
                }
            }
            if !said_disconnected {
                said_disconnected = true;
                if !events(PhoneEvent::Disconnected) {
                    return;
                }
            }
            // Commands meanwhile are dropped: the phone they were for is not there.
            match commands.recv_timeout(RECONNECT) {
                Err(RecvTimeoutError::Disconnected) => return,
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

impl Baresip {
    fn connect(&self) -> Option<TcpStream> {
        let address = self.address.to_socket_addrs().ok()?.next()?;
        let stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
        stream.set_read_timeout(Some(READ_SLICE)).ok()?;
        stream.set_nodelay(true).ok()?;
        Some(stream)
    }

    fn session(
        &self,
        mut stream: TcpStream,
        events: &dyn Fn(PhoneEvent) -> bool,
        commands: &Receiver<PhoneCommand>,
    ) -> Ended {
        let mut decoder = Decoder::new();
        let mut buffer = [0u8; 4096];
        loop {
            loop {
                match commands.try_recv() {
                    Ok(command) => {
                        if stream.write_all(&command_frame(&command, &self.dial)).is_err() {
                            return Ended::Lost;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return Ended::Stop,
                }
            }
            match stream.read(&mut buffer) {
                Ok(0) => return Ended::Lost,
                Ok(n) => decoder.feed(&buffer[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Ended::Lost,
            }
            loop {
                match decoder.next_frame() {
                    Ok(None) => break,
                    Ok(Some(frame)) => {
                        // A message we cannot read is skipped: the next one may be fine.
                        if let Ok(Some(event)) = parse(&frame, Utc::now())
                            && !events(event)
                        {
                            return Ended::Stop;
                        }
                    }
                    // The stream cannot be resynchronised: start again.
                    Err(_) => return Ended::Lost,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_reasons_from_baresips_words() {
        assert_eq!(end_reason("Connection reset by peer"), EndReason::HungUp);
        assert_eq!(end_reason("486 Rejected"), EndReason::Busy);
        assert_eq!(end_reason("408 Request Timeout"), EndReason::NoAnswer);
        assert_eq!(end_reason("500 Server Error"), EndReason::Failed);
    }

    #[test]
    fn commands_are_baresips_json_in_a_netstring() {
        let frame = command_frame(&PhoneCommand::Dial("+33612345678".to_owned().into()), "sip:{number}@pbx");
        let mut decoder = Decoder::new();
        decoder.feed(&frame);
        let json: serde_json::Value =
            serde_json::from_slice(&decoder.next_frame().unwrap().unwrap()).unwrap();
        assert_eq!(json["command"], "dial");
        assert_eq!(json["params"], "sip:+33612345678@pbx");
        let refused = br#"{"response":true,"ok":false,"data":"command not found (dial)\n","token":"dial-1"}"#;
        assert_eq!(
            parse(refused, Utc::now()).unwrap(),
            Some(PhoneEvent::Refused { command: "dial".into(), why: "command not found (dial)".into() })
        );
    }
}
