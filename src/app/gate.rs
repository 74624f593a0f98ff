//! The screens before any caller data: first-run setup and unlock, and their keys (the
//! popup keys of the keymap: these are forms too; the global quit key leaves).

use ratatui::crossterm::event::KeyEvent;
use zeroize::Zeroizing;

use super::App;
use super::effect::Effect;
use super::popup::{move_in, step, type_into};
use crate::domain::Timestamp;
use crate::domain::listener::{DisplayNameError, validate_display_name, validate_login};
use crate::domain::passphrase::check_passphrase;
use crate::keymap::{Action, Context};

#[derive(Debug)]
pub enum Gate {
    Setup(SetupForm),
    Unlock(UnlockForm),
}

/// A line on the unlock or setup screen. Its mark follows what it says: ✓ done, ✗ refused or
/// failed, none while under way (a closed shift once came with a ✗).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub tone: Tone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Done,
    Working,
    Failed,
}

impl Notice {
    pub fn done(text: impl Into<String>) -> Option<Notice> {
        Some(Notice { text: text.into(), tone: Tone::Done })
    }

    pub fn working(text: impl Into<String>) -> Option<Notice> {
        Some(Notice { text: text.into(), tone: Tone::Working })
    }

    pub fn failed(text: impl Into<String>) -> Option<Notice> {
        Some(Notice { text: text.into(), tone: Tone::Failed })
    }
}

#[derive(Debug)]
pub struct UnlockForm {
    pub logins: Vec<String>,
    pub selected: usize,
    pub passphrase: Zeroizing<String>,
    pub message: Option<Notice>,
    /// After repeated wrong passphrases, no new try for this login before this instant (the
    /// store counts per account: another login chosen may try at once).
    pub retry_at: Option<(String, Timestamp)>,
    /// Set when the screen was locked during a session (rather than at start).
    pub locked: bool,
}

impl UnlockForm {
    pub fn new(logins: Vec<String>, preselect: Option<&str>, locked: bool) -> UnlockForm {
        let selected = preselect.and_then(|login| logins.iter().position(|l| l == login)).unwrap_or(0);
        UnlockForm {
            logins,
            selected,
            passphrase: Zeroizing::new(String::new()),
            message: None,
            retry_at: None,
            locked,
        }
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_ref().map(|notice| notice.text.as_str())
    }

    pub fn login(&self) -> Option<&str> {
        self.logins.get(self.selected).map(String::as_str)
    }

    /// Shows the wait the store now imposes: it counts every wrong passphrase of the account,
    /// this terminal's, another's and the command line's, so the form keeps no count of its own.
    pub fn must_wait(&mut self, now: Timestamp, seconds: Option<i64>) {
        let login = self.login().map(str::to_owned);
        self.retry_at = seconds
            .filter(|s| *s > 0)
            .zip(login)
            .map(|(s, login)| (login, now + chrono::Duration::seconds(s)));
    }

    /// Seconds left before another try is allowed.
    pub fn wait_left(&self, now: Timestamp) -> Option<i64> {
        let (login, until) = self.retry_at.as_ref()?;
        if self.login() != Some(login.as_str()) {
            return None;
        }
        let left = (*until - now).num_milliseconds();
        (left > 0).then(|| (left + 999) / 1000)
    }
}

#[derive(Debug, Default)]
pub struct SetupForm {
    pub login: String,
    pub display_name: String,
    pub passphrase: Zeroizing<String>,
    pub confirmation: Zeroizing<String>,
    /// 0 login, 1 display name, 2 passphrase, 3 confirmation.
    pub field: usize,
    pub message: Option<Notice>,
}

pub const SETUP_FIELDS: usize = 4;

impl SetupForm {
    pub fn field_mut(&mut self) -> &mut String {
        match self.field {
            0 => &mut self.login,
            1 => &mut self.display_name,
            2 => &mut self.passphrase,
            _ => &mut self.confirmation,
        }
    }
}

impl App {
    pub(super) fn gate_key(&mut self, key: &KeyEvent) -> Vec<Effect> {
        if self.keymap.action(Context::Global, key) == Some(Action::Quit) {
            self.quit = true;
            return Vec::new();
        }
        let action = self.keymap.action(Context::Popup, key);
        match self.gate.as_mut() {
            Some(Gate::Unlock(form)) => {
                if type_into(&mut form.passphrase, key) {
                    return Vec::new();
                }
                match action {
                    Some(Action::SelectPrevious) => {
                        form.selected = move_in(form.selected, form.logins.len(), false)
                    }
                    Some(Action::SelectNext) => {
                        form.selected = move_in(form.selected, form.logins.len(), true)
                    }
                    Some(Action::Cancel) => form.passphrase.clear(),
                    Some(Action::Confirm) => return self.unlock(),
                    _ => {}
                }
            }
            Some(Gate::Setup(form)) => {
                if type_into(form.field_mut(), key) {
                    return Vec::new();
                }
                match action {
                    Some(Action::SelectPrevious | Action::PreviousField) => {
                        form.field = step(form.field, SETUP_FIELDS, false)
                    }
                    Some(Action::SelectNext | Action::NextField) => {
                        form.field = step(form.field, SETUP_FIELDS, true)
                    }
                    Some(Action::Confirm) if form.field + 1 < SETUP_FIELDS => form.field += 1,
                    Some(Action::Confirm) => return self.create_database(),
                    _ => {}
                }
            }
            None => {}
        }
        Vec::new()
    }

    fn unlock(&mut self) -> Vec<Effect> {
        let s = self.strings;
        let Some(Gate::Unlock(form)) = self.gate.as_mut() else { return Vec::new() };
        // Too early: the screen already counts the wait down. A message written here would
        // be frozen at this second and outlive the wait.
        if form.wait_left(self.now).is_some() {
            return Vec::new();
        }
        let Some(login) = form.login().map(str::to_owned) else { return Vec::new() };
        // Handing over while a call is open needs its draft safely saved first.
        if let Some(session) = self.session.as_ref()
            && session.actor.login != login
            && session.call.is_some()
            && session.dirty_since.is_some()
        {
            form.message = Notice::failed(s.handover_blocked.clone());
            return Vec::new();
        }
        let passphrase = std::mem::replace(&mut form.passphrase, Zeroizing::new(String::new()));
        form.message = Notice::working(s.unlocking.clone());
        vec![Effect::Unlock { login, passphrase }]
    }

    fn create_database(&mut self) -> Vec<Effect> {
        let s = self.strings;
        let Some(Gate::Setup(form)) = self.gate.as_mut() else { return Vec::new() };
        let login = form.login.trim().to_owned();
        let problem = if let Err(e) = validate_login(&login) {
            Some(e.to_string())
        } else if let Err(e) = validate_display_name(&form.display_name) {
            Some(match e {
                DisplayNameError::Empty => s.setup_name_missing.clone(),
                DisplayNameError::Control(c) => {
                    s.fill(&s.setup_name_control, &[("code", &format!("U+{:04X}", c as u32))])
                }
            })
        } else if *form.passphrase != *form.confirmation {
            Some(s.setup_passphrases_differ.clone())
        } else {
            check_passphrase(&form.passphrase, &login, form.display_name.trim())
                .err()
                .map(|weak| s.weak_passphrase(&weak))
        };
        if let Some(problem) = problem {
            form.message = Notice::failed(problem);
            return Vec::new();
        }
        form.message = Notice::working(s.setup_creating.clone());
        let passphrase = std::mem::replace(&mut form.passphrase, Zeroizing::new(String::new()));
        form.confirmation.clear();
        vec![Effect::CreateDatabase { login, display_name: form.display_name.trim().to_owned(), passphrase }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    #[test]
    fn the_wait_is_the_stores() {
        let now = Utc::now();
        let mut form = UnlockForm::new(vec!["ana".into()], None, false);
        form.must_wait(now, None);
        assert_eq!(form.wait_left(now), None);
        form.must_wait(now, Some(5));
        assert_eq!(form.wait_left(now), Some(5));
        assert_eq!(form.wait_left(now + Duration::seconds(4)), Some(1));
        assert_eq!(form.wait_left(now + Duration::seconds(5)), None);
        form.must_wait(now, Some(0));
        assert_eq!(form.wait_left(now), None);
    }

    /// The store counts per account: ana's wait does not hold sacha back on this terminal.
    #[test]
    fn the_wait_is_the_accounts_not_the_terminals() {
        let now = Utc::now();
        let mut form = UnlockForm::new(vec!["ana".into(), "sacha".into()], None, false);
        form.must_wait(now, Some(5));
        form.selected = 1;
        assert_eq!(form.wait_left(now), None);
        form.selected = 0;
        assert_eq!(form.wait_left(now), Some(5));
    }
}
