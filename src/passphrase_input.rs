//! Asking for passphrases: on the terminal without echo, or one per line on standard input
//! for scripts and tests (`--passphrase-stdin`). Passphrases are wiped from memory on drop.

use std::io::{BufRead, Write};

use anyhow::{Context, Result, bail};
use zeroize::Zeroizing;

use crate::domain::passphrase::check_passphrase;
use crate::i18n::Strings;

pub type Passphrase = Zeroizing<String>;

pub enum PassphraseSource {
    /// The controlling terminal, without echo.
    Terminal,
    /// Standard input, one passphrase per line, in the order they are asked.
    Stdin,
}

impl PassphraseSource {
    pub fn new(from_stdin: bool) -> Self {
        if from_stdin { PassphraseSource::Stdin } else { PassphraseSource::Terminal }
    }

    pub fn ask(&mut self, prompt: &str) -> Result<Passphrase> {
        match self {
            PassphraseSource::Terminal => Ok(Zeroizing::new(
                rpassword::prompt_password(prompt).context("cannot read the passphrase from the terminal")?,
            )),
            PassphraseSource::Stdin => {
                let mut line = Zeroizing::new(String::new());
                let read = std::io::stdin().lock().read_line(&mut line).context("reading standard input")?;
                if read == 0 {
                    bail!(
                        "standard input ended before the passphrase ({})",
                        prompt.trim_end_matches([':', ' '])
                    );
                }
                let trimmed = line.trim_end_matches(['\n', '\r']);
                Ok(Zeroizing::new(trimmed.to_owned()))
            }
        }
    }

    /// Asks for a new passphrase that meets the policy for the account `login` shown as
    /// `display_name`; on a terminal, twice, and again until both match (three tries). A
    /// refusal says why in `strings`' language (French by default).
    pub fn ask_new(
        &mut self,
        prompt: &str,
        login: &str,
        display_name: &str,
        strings: &Strings,
    ) -> Result<Passphrase> {
        for _ in 0..3 {
            let first = self.ask(prompt)?;
            if let Err(weak) = check_passphrase(&first, login, display_name) {
                let why = strings.weak_passphrase(&weak);
                match self {
                    PassphraseSource::Terminal => {
                        let _ = writeln!(std::io::stderr(), "{why}");
                        continue;
                    }
                    PassphraseSource::Stdin => bail!("{why}"),
                }
            }
            if let PassphraseSource::Terminal = self {
                let again = self.ask("Same passphrase again: ")?;
                if *again != *first {
                    let _ = writeln!(std::io::stderr(), "The two passphrases differ.");
                    continue;
                }
            }
            return Ok(first);
        }
        bail!("no passphrase chosen")
    }
}
