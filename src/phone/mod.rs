//! The phone system as a source of events (a call rings, is answered, ends) and a sink of
//! commands (answer, hang up, dial). One source today, the baresip softphone (`baresip`); any
//! other (Asterisk's AMI or ARI, a hosted platform) is another `PhoneSource`, and nothing else
//! changes: the terminal only sees `PhoneEvent`s and sends `PhoneCommand`s.
//!
//! A source runs on its own thread for the life of the terminal, so a phone that is slow or
//! gone never holds a keypress: it connects and reconnects by itself and says so with
//! `Connected` / `Disconnected`.

pub mod baresip;
pub mod netstring;

use std::sync::mpsc::{Receiver, Sender, channel};

use zeroize::Zeroizing;

use crate::domain::Timestamp;

/// The caller's number as the phone gave it, normalised. Held in memory only while its call
/// rings and until the store has hashed it: never stored, never drawn, never in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub enum CallerNumber {
    /// Withheld ("numéro masqué"), or anything that is not a number: never matches another.
    Withheld,
    Number(Zeroizing<String>),
}

impl std::fmt::Debug for CallerNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallerNumber::Withheld => f.write_str("Withheld"),
            CallerNumber::Number(_) => f.write_str("Number(…)"),
        }
    }
}

impl CallerNumber {
    /// The number in one form whatever way the phone wrote it: separators dropped, French
    /// national (`06…`) and international (`0033…`) forms as `+33…`. A SIP user that is not a
    /// number, or one of the words SIP uses for a withheld number, is `Withheld`.
    pub fn normalise(user: &str) -> CallerNumber {
        let digits: String =
            user.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '/')).collect();
        let (plus, rest) = match digits.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, digits.as_str()),
        };
        if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit()) {
            return CallerNumber::Withheld;
        }
        let international = if plus {
            format!("+{rest}")
        } else if let Some(national) = rest.strip_prefix("00") {
            format!("+{national}")
        } else if rest.len() == 10
            && let Some(national) = rest.strip_prefix('0')
        {
            format!("+33{national}")
        } else {
            // Short numbers and numbers of unknown form: compared as given.
            rest.to_owned()
        };
        CallerNumber::Number(Zeroizing::new(international))
    }

    /// The number from a SIP URI (`sip:+33612345678@host`, `<sip:…>;tag`, `tel:…`).
    pub fn from_uri(uri: &str) -> CallerNumber {
        let uri = uri.trim().trim_start_matches('<');
        let uri = uri.split(['>', ';']).next().unwrap_or("");
        let Some((scheme, rest)) = uri.split_once(':') else { return CallerNumber::Withheld };
        if !matches!(scheme.to_ascii_lowercase().as_str(), "sip" | "sips" | "tel") {
            return CallerNumber::Withheld;
        }
        let (user, host) = rest.split_once('@').unwrap_or((rest, ""));
        let user = user.split(':').next().unwrap_or("");
        if host.eq_ignore_ascii_case("anonymous.invalid") {
            return CallerNumber::Withheld;
        }
        CallerNumber::normalise(user)
    }
}

/// Identifies one call on the phone (baresip's call id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LineId(pub String);

/// What the phone says. Times are the phone's: when the source learnt of the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneEvent {
    /// The source reaches the phone (at start and after every reconnection).
    Connected,
    /// The phone is gone; the source keeps trying.
    Disconnected,
    /// A call comes in and rings.
    Incoming { line: LineId, number: CallerNumber, at: Timestamp },
    /// A call we dial rings at the other end.
    Dialling { line: LineId, at: Timestamp },
    /// A call is answered (either way): the conversation starts.
    Answered { line: LineId, at: Timestamp },
    /// A call ended, answered or not, by either side.
    Ended { line: LineId, at: Timestamp, reason: EndReason },
    /// The phone refused a command (no call to answer, unknown command…): its words.
    Refused { command: String, why: String },
}

/// Why a call ended, where the phone says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Hung up (either side) or cancelled.
    HungUp,
    /// The other end was busy or refused the call (SIP 486, 600, 603).
    Busy,
    /// The other end did not answer in time (SIP 408, 480).
    NoAnswer,
    /// Anything else (network, the phone's own error).
    Failed,
}

/// What the terminal asks of the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneCommand {
    /// Answer the call that rings.
    Accept,
    /// Hang up the current call (or refuse the one that rings).
    HangUp,
    /// Call `number` (a callback): the listener neither types nor reads it.
    Dial(Zeroizing<String>),
}

/// A phone system. `run` is called once, on a thread of its own, and returns only when
/// `commands` is closed (the terminal quits) or `events` refuses an event (nobody listens).
///
/// What a source must provide (ARCHITECTURE.md says the same):
/// - `Connected` when it reaches the phone, `Disconnected` when it loses it, and reconnect by
///   itself without being asked;
/// - for every call: `Incoming` (with the number, or `Withheld`) or `Dialling`, then
///   `Answered` if it is, then exactly one `Ended` with why, all with the same `LineId` and
///   the phone's time;
/// - carry out `Accept`, `HangUp` and `Dial`, saying `Refused` when the phone refuses;
/// - never block the terminal: everything slow happens on its own thread.
pub trait PhoneSource: Send + 'static {
    fn run(self: Box<Self>, events: &dyn Fn(PhoneEvent) -> bool, commands: Receiver<PhoneCommand>);
}

/// The terminal's end of a running source: commands go in; events come out through the
/// `deliver` function given to `start`.
pub struct Phone {
    commands: Sender<PhoneCommand>,
}

impl Phone {
    /// Runs `source` on its own thread. `deliver` is called from that thread for each event;
    /// it returns false once nobody listens any more, which stops the source.
    pub fn start(
        source: Box<dyn PhoneSource>,
        deliver: impl Fn(PhoneEvent) -> bool + Send + 'static,
    ) -> std::io::Result<Phone> {
        let (commands, receiver) = channel();
        std::thread::Builder::new().name("phone".into()).spawn(move || source.run(&deliver, receiver))?;
        Ok(Phone { commands })
    }

    /// Hands `command` to the source; never blocks. A command while the phone is gone is
    /// dropped by the source (the status bar already says the phone is disconnected).
    pub fn send(&self, command: PhoneCommand) {
        let _ = self.commands.send(command);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(s: &str) -> CallerNumber {
        CallerNumber::Number(Zeroizing::new(s.into()))
    }

    #[test]
    fn one_number_whatever_way_it_is_written() {
        for written in ["+33612345678", "0612345678", "06 12 34 56 78", "06.12.34.56.78", "0033612345678"] {
            assert_eq!(CallerNumber::normalise(written), number("+33612345678"), "{written}");
        }
        assert_eq!(CallerNumber::normalise("3114"), number("3114"));
        assert_eq!(CallerNumber::normalise("+44 20 7946 0000"), number("+442079460000"));
    }

    #[test]
    fn withheld_and_non_numbers_never_match() {
        for uri in [
            "sip:anonymous@anonymous.invalid",
            "sip:anonymous@127.0.0.1",
            "sip:restricted@10.0.0.1",
            "sip:listener@127.0.0.1:15060",
            "sip:@host",
            "mailto:x@y",
            "",
            "garbage",
        ] {
            assert_eq!(CallerNumber::from_uri(uri), CallerNumber::Withheld, "{uri}");
        }
        assert_eq!(CallerNumber::from_uri("<sip:0612345678@pbx;user=phone>;tag=1"), number("+33612345678"));
        assert_eq!(CallerNumber::from_uri("tel:+33612345678"), number("+33612345678"));
    }

    #[test]
    fn a_number_never_shows_in_debug() {
        let shown = format!("{:?}", CallerNumber::normalise("0612345678"));
        assert!(!shown.contains("612345678"), "{shown}");
    }
}
