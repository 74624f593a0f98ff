//! Asking for passphrases: on the terminal without echo, or one per line on standard input
//! for scripts and tests (`--passphrase-stdin`). Passphrases are wiped from memory on drop.

use std::io::{BufRead, Write};

use anyhow::Result;
use zeroize::Zeroizing;

use crate::domain::passphrase::check_passphrase;
use crate::i18n::{Phrase, Strings};

pub type Passphrase = Zeroizing<String>;

pub struct PassphraseSource {
    from: From,
    /// What is said to the person typing, in their language.
    strings: &'static Strings,
}

enum From {
    /// The controlling terminal, without echo.
    Terminal,
    /// Standard input, one passphrase per line, in the order they are asked.
    Stdin,
}

impl PassphraseSource {
    pub fn new(from_stdin: bool, strings: &'static Strings) -> Self {
        PassphraseSource { from: if from_stdin { From::Stdin } else { From::Terminal }, strings }
    }

    pub fn ask(&mut self, prompt: &str) -> Result<Passphrase> {
        match self.from {
            From::Terminal => Ok(Zeroizing::new(
                rpassword::prompt_password(prompt)
                    .map_err(|e| Phrase::new(|s| &s.cli.passphrase_unreadable).because(e))?,
            )),
            From::Stdin => {
                let mut line = Zeroizing::new(String::new());
                let read = std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| Phrase::new(|s| &s.cli.stdin_unreadable).because(e))?;
                if read == 0 {
                    let asked = prompt.trim_end_matches([':', ' ', '\u{a0}']);
                    return Err(Phrase::new(|s| &s.cli.stdin_ended).with("prompt", asked).into());
                }
                let trimmed = line.trim_end_matches(['\n', '\r']);
                Ok(Zeroizing::new(trimmed.to_owned()))
            }
        }
    }

    /// Asks for a new passphrase that meets the policy for the account `login` shown as
    /// `display_name`; on a terminal, twice, and again until both match (three tries).
    pub fn ask_new(&mut self, prompt: &str, login: &str, display_name: &str) -> Result<Passphrase> {
        let s = self.strings;
        for _ in 0..3 {
            let first = self.ask(prompt)?;
            if let Err(weak) = check_passphrase(&first, login, display_name) {
                let why = s.weak_passphrase(&weak);
                match self.from {
                    From::Terminal => {
                        // Not `eprintln!`: it would panic if the terminal is already gone.
                        let _ = writeln!(std::io::stderr(), "{why}");
                        continue;
                    }
                    From::Stdin => return Err(anyhow::anyhow!(why)),
                }
            }
            if let From::Terminal = self.from {
                let again = self.ask(&s.cli.passphrase_again)?;
                if *again != *first {
                    let _ = writeln!(std::io::stderr(), "{}", s.cli.passphrases_differ);
                    continue;
                }
            }
            return Ok(first);
        }
        Err(Phrase::new(|s| &s.cli.no_passphrase_chosen).into())
    }
}
