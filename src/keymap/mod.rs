//! Keys to actions, per context. The defaults are `assets/keymap.toml`; the config's
//! `[keys.<context>]` tables override them. An unknown context, key name or action is an
//! error that names it. The help overlay is drawn from this live map, so it never lies.
//! The bottom of the crate: it names keys and actions and depends on nothing of ours, so the
//! configuration, the strings and the interface may all read it.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod action;

pub use action::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Anywhere once unlocked, even while typing.
    Global,
    /// The main screen when no text is being typed.
    Main,
    /// The call pane when no text is being typed.
    Call,
    /// The file pane, when a file is shown.
    File,
    /// The callback queue pane.
    Callbacks,
    /// While the call's notes are being typed: only keys that type nothing.
    Notes,
    /// Popups: forms, lists, questions. In a text field a character is typed, so a key here
    /// that is a character acts only outside text fields.
    Popup,
    /// The supervisor's view, before the popup keys.
    Supervisor,
    /// The statistics screen, before the popup keys.
    Statistics,
}

impl Context {
    pub const ALL: [Context; 9] = [
        Context::Global,
        Context::Main,
        Context::Call,
        Context::File,
        Context::Callbacks,
        Context::Notes,
        Context::Popup,
        Context::Supervisor,
        Context::Statistics,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Main => "main",
            Context::Call => "call",
            Context::File => "file",
            Context::Callbacks => "callbacks",
            Context::Notes => "notes",
            Context::Popup => "popup",
            Context::Supervisor => "supervisor",
            Context::Statistics => "statistics",
        }
    }

    fn parse(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// One key with its modifiers, normalised so that what the terminal sends matches what the
/// keymap names (a shifted symbol such as `?` carries no separate shift).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyChord {
    pub fn from_event(event: &KeyEvent) -> KeyChord {
        let mut modifiers =
            event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match event.code {
            KeyCode::Char(c) => {
                modifiers.remove(KeyModifiers::SHIFT);
                // Ctrl-letters arrive in either case depending on the terminal.
                KeyCode::Char(if modifiers.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else {
                    c
                })
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyChord { code, modifiers }
    }
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("space", KeyCode::Char(' ')),
];

impl FromStr for KeyChord {
    type Err = String;

    fn from_str(text: &str) -> Result<KeyChord, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let (prefix, flag) = match rest {
                r if r.starts_with("ctrl-") && r.len() > 5 => ("ctrl-", KeyModifiers::CONTROL),
                r if r.starts_with("alt-") && r.len() > 4 => ("alt-", KeyModifiers::ALT),
                r if r.starts_with("shift-") && r.len() > 6 => ("shift-", KeyModifiers::SHIFT),
                _ => break,
            };
            modifiers |= flag;
            rest = &rest[prefix.len()..];
        }
        let code = if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == rest) {
            *code
        } else if let Some(n) =
            rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()).filter(|n| (1..=12).contains(n))
        {
            KeyCode::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() && c != ' ' => KeyCode::Char(c),
                _ => return Err(format!("unknown key name {text:?}")),
            }
        };
        // Shift on a character is carried by the character itself, and Ctrl-letters match in
        // lower case (`from_event`): "ctrl-G" is Ctrl-G, not a binding that never fires.
        let code = match code {
            KeyCode::Char(c) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::Char(if modifiers.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else {
                    c
                })
            }
            other => other,
        };
        Ok(KeyChord { code, modifiers })
    }
}

/// Overrides as written in the config: context name -> key name -> action name.
pub type KeyOverrides = BTreeMap<String, BTreeMap<String, String>>;

/// A refused binding: the `[keys.<context>]` table, the key as written when one is at fault
/// (the config turns them into a line), and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct KeymapError {
    pub context: String,
    pub key: Option<String>,
    pub why: KeymapRefusal,
}

/// Why a binding is refused (the config says it in the reader's language).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapRefusal {
    #[error("unknown key context [keys.{context}] (known: {known})")]
    UnknownContext { context: String, known: String },
    #[error("unknown key name {0:?}")]
    UnknownKey(String),
    #[error("unknown action {action:?} for key {key:?}")]
    UnknownAction { action: String, key: String },
    #[error(
        "{0:?} is needed to type or edit notes, so it cannot be a global key (global keys work while \
         typing): use a ctrl- or alt- chord or an F key"
    )]
    NeededByNotes(String),
    #[error(
        "{key:?} opens the emergency card while typing notes and stays so: bind {action:?} to another \
         key (the card may have more keys, not fewer)"
    )]
    CardKeyStays { key: String, action: String },
    #[error(
        "{key:?} is needed to type or edit text, and [keys.{context}] {action:?} works while typing: use a \
         ctrl- or alt- chord, an F key or esc"
    )]
    ActsWhileTyping { key: String, context: String, action: String },
    /// The keymap built into the program is wrong: a fault of the program, not of a config.
    #[error("built-in keymap: {0}")]
    Builtin(String),
}

/// The key that opens the emergency card wherever the listener is, even typing notes.
const EMERGENCY_CARD_KEY: KeyChord = KeyChord { code: KeyCode::Char('g'), modifiers: KeyModifiers::CONTROL };

/// Whether the notes editor, or any text field, needs `chord` to type or edit. Global keys are
/// looked up before a text field sees the key (`App::handle_key`), so a global binding on one
/// of these would fire mid-sentence: `q = "quit"` would quit while typing "quoi".
/// - a character with neither Ctrl nor Alt is typed (Shift is folded into the character;
///   space included);
/// - Enter, Backspace, Delete, the arrows, Home/End and PageUp/PageDown edit and move, alone
///   or with Shift (Shift selects); Esc leaves the notes and closes popups.
///
/// - Ctrl-H, Ctrl-J, Ctrl-M and Ctrl-I are what many terminals send for Backspace, Enter
///   and Tab themselves.
///
/// Other Ctrl and Alt chords and F keys are free for the global context (a global one then
/// wins over the editor's own use of it, as Ctrl-F does). Tab and Shift-Tab are too: the
/// built-in map already gives them to moving between panes, so the notes never receive a
/// Tab and a listener leaves them with it.
fn needed_by_text_fields(chord: KeyChord) -> bool {
    if chord.modifiers == KeyModifiers::CONTROL && matches!(chord.code, KeyCode::Char('h' | 'j' | 'm' | 'i'))
    {
        return true;
    }
    let plain = !chord.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    let editing = matches!(
        chord.code,
        KeyCode::Char(_)
            | KeyCode::Enter
            | KeyCode::Backspace
            | KeyCode::Delete
            | KeyCode::Esc
            | KeyCode::Up
            | KeyCode::Down
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Home
            | KeyCode::End
            | KeyCode::PageUp
            | KeyCode::PageDown
    );
    plain && editing
}

#[derive(Debug, Clone)]
pub struct Keymap {
    /// Per context, in the order they were written (the help lists them so).
    bindings: BTreeMap<Context, Vec<(KeyChord, Action)>>,
    /// The keys the configuration bound: hints show them first (a key chosen is a key seen).
    configured: Vec<(Context, KeyChord)>,
}

impl Keymap {
    /// The built-in keymap with `overrides` applied over it. Overrides may add and change
    /// bindings, except that the global context never takes a key text fields need, and
    /// Ctrl-G stays on the emergency card (other keys may be added for it).
    pub fn new(overrides: &KeyOverrides) -> Result<Keymap, KeymapError> {
        let builtin =
            |why: String| KeymapError { context: String::new(), key: None, why: KeymapRefusal::Builtin(why) };
        // Read in file order: the help and the hints list bindings as the file does.
        let defaults: toml::Table =
            toml::from_str(include_str!("../../assets/keymap.toml")).map_err(|e| builtin(e.to_string()))?;
        let mut keymap = Keymap { bindings: BTreeMap::new(), configured: Vec::new() };
        for (context, keys) in &defaults {
            let keys = keys.as_table().ok_or_else(|| builtin(format!("[{context}] is not a table")))?;
            let keys = keys.iter().map(|(key, action)| (key.as_str(), action.as_str().unwrap_or_default()));
            keymap.apply(context, keys, false)?;
        }
        for (context, keys) in overrides {
            keymap.apply(context, keys.iter().map(|(key, action)| (key.as_str(), action.as_str())), true)?;
        }
        let card = KeyEvent::new(EMERGENCY_CARD_KEY.code, EMERGENCY_CARD_KEY.modifiers);
        if keymap.action(Context::Global, &card) != Some(Action::EmergencyCard) {
            return Err(builtin("ctrl-g must open the emergency card".into()));
        }
        Ok(keymap)
    }

    fn apply<'a>(
        &mut self,
        context_name: &str,
        keys: impl Iterator<Item = (&'a str, &'a str)>,
        configured: bool,
    ) -> Result<(), KeymapError> {
        let context = Context::parse(context_name).ok_or_else(|| KeymapError {
            context: context_name.to_owned(),
            key: None,
            why: KeymapRefusal::UnknownContext {
                context: context_name.to_owned(),
                known: Context::ALL.map(Context::name).join(", "),
            },
        })?;
        let bindings = self.bindings.entry(context).or_default();
        for (key_name, action_name) in keys {
            let refuse = |why: KeymapRefusal| KeymapError {
                context: context_name.to_owned(),
                key: Some(key_name.to_owned()),
                why,
            };
            let chord: KeyChord =
                key_name.parse().map_err(|_| refuse(KeymapRefusal::UnknownKey(key_name.to_owned())))?;
            let action = Action::parse(action_name).ok_or_else(|| {
                refuse(KeymapRefusal::UnknownAction {
                    action: action_name.to_owned(),
                    key: key_name.to_owned(),
                })
            })?;
            if context == Context::Global && needed_by_text_fields(chord) {
                return Err(refuse(KeymapRefusal::NeededByNotes(key_name.to_owned())));
            }
            // Keys that act while text is being typed must not be what is typed.
            let while_typing = context == Context::Notes
                || (context == Context::Popup && matches!(action, Action::Save | Action::Cancel));
            if while_typing && needed_by_text_fields(chord) && chord.code != KeyCode::Esc {
                return Err(refuse(KeymapRefusal::ActsWhileTyping {
                    key: key_name.to_owned(),
                    context: context_name.to_owned(),
                    action: action_name.to_owned(),
                }));
            }
            if context == Context::Global && chord == EMERGENCY_CARD_KEY && action != Action::EmergencyCard {
                return Err(refuse(KeymapRefusal::CardKeyStays {
                    key: key_name.to_owned(),
                    action: action_name.to_owned(),
                }));
            }
            bindings.retain(|(bound, _)| *bound != chord);
            bindings.push((chord, action));
            if configured {
                self.configured.push((context, chord));
            }
        }
        Ok(())
    }

    pub fn action(&self, context: Context, event: &KeyEvent) -> Option<Action> {
        let chord = KeyChord::from_event(event);
        self.bindings.get(&context)?.iter().find(|(bound, _)| *bound == chord).map(|(_, action)| *action)
    }

    pub fn bindings(&self, context: Context) -> &[(KeyChord, Action)] {
        self.bindings.get(&context).map(Vec::as_slice).unwrap_or_default()
    }

    /// The key to show in hints for `action` in `context`: one the configuration bound, else
    /// the first bound.
    pub fn key_for(&self, context: Context, action: Action) -> Option<KeyChord> {
        let mut bound = self.bindings(context).iter().filter(|(_, a)| *a == action).map(|(key, _)| *key);
        let first = bound.next()?;
        let configured = |key: &KeyChord| self.configured.contains(&(context, *key));
        Some(std::iter::once(first).chain(bound).find(configured).unwrap_or(first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn the_builtin_keymap_parses_and_binds() {
        let keymap = Keymap::new(&KeyOverrides::new()).unwrap();
        let ctrl_g = event(KeyCode::Char('g'), KeyModifiers::CONTROL);
        assert_eq!(keymap.action(Context::Global, &ctrl_g), Some(Action::EmergencyCard));
        // Terminals send '?' with or without shift.
        let question = event(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(keymap.action(Context::Main, &question), Some(Action::Help));
        let backtab = event(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(keymap.action(Context::Global, &backtab), Some(Action::FocusPrevious));
    }

    #[test]
    fn overrides_replace_bindings() {
        let mut overrides = KeyOverrides::new();
        overrides.insert(
            "global".into(),
            BTreeMap::from([("f9".into(), "emergency_card".into()), ("ctrl-q".into(), "lock".into())]),
        );
        let keymap = Keymap::new(&overrides).unwrap();
        assert_eq!(
            keymap.action(Context::Global, &event(KeyCode::F(9), KeyModifiers::NONE)),
            Some(Action::EmergencyCard)
        );
        assert_eq!(
            keymap.action(Context::Global, &event(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Action::Lock)
        );
    }

    fn one(context: &str, key: &str, action: &str) -> KeyOverrides {
        KeyOverrides::from([(context.into(), BTreeMap::from([(key.into(), action.into())]))])
    }

    fn refused(context: &str, key: &str, action: &str) -> KeymapError {
        Keymap::new(&one(context, key, action)).unwrap_err()
    }

    #[test]
    fn a_global_key_never_takes_a_key_the_notes_need() {
        for key in [
            "ctrl-h",
            "ctrl-m",
            "ctrl-j",
            "q",
            "Q",
            "shift-q",
            "é",
            "?",
            "1",
            "space",
            "enter",
            "shift-enter",
            "backspace",
            "delete",
            "esc",
            "left",
            "shift-right",
            "up",
            "down",
            "home",
            "end",
            "pageup",
            "pagedown",
        ] {
            let err = refused("global", key, "quit");
            assert_eq!((err.context.as_str(), err.key.as_deref()), ("global", Some(key)));
            assert_eq!(err.why, KeymapRefusal::NeededByNotes(key.to_owned()), "{err}");
        }
        // The same keys are fine where no text is typed, and chords and F keys are fine globally.
        for (context, key) in
            [("main", "q"), ("call", "enter"), ("global", "ctrl-x"), ("global", "alt-q"), ("global", "f9")]
        {
            assert!(Keymap::new(&one(context, key, "quit")).is_ok(), "{context} {key}");
        }
    }

    #[test]
    fn ctrl_g_stays_on_the_emergency_card() {
        for key in ["ctrl-g", "ctrl-G", "ctrl-shift-g"] {
            let err = refused("global", key, "lock");
            assert_eq!(err.key.as_deref(), Some(key));
            assert_eq!(err.why, KeymapRefusal::CardKeyStays { key: key.to_owned(), action: "lock".into() });
            assert!(err.to_string().contains("emergency card"), "{err}");
        }
        // Another key may be added for the card; Ctrl-G keeps it.
        let keymap = Keymap::new(&one("global", "ctrl-y", "emergency_card")).unwrap();
        for chord in ['g', 'y'] {
            let key = event(KeyCode::Char(chord), KeyModifiers::CONTROL);
            assert_eq!(keymap.action(Context::Global, &key), Some(Action::EmergencyCard));
        }
    }

    #[test]
    fn keys_that_act_while_typing_are_never_what_is_typed() {
        for (context, key, action) in [
            ("popup", "s", "save"),
            ("popup", "space", "cancel"),
            ("notes", "q", "stop_editing"),
            ("notes", "enter", "stop_editing"),
        ] {
            let err = refused(context, key, action);
            assert_eq!(err.key.as_deref(), Some(key));
            assert!(matches!(err.why, KeymapRefusal::ActsWhileTyping { .. }), "{err}");
            assert!(err.to_string().contains("typing"), "{err}");
        }
        for (context, key, action) in [
            ("popup", "f2", "save"),
            ("popup", "ctrl-e", "cancel"),
            ("notes", "f4", "stop_editing"),
            ("popup", "x", "confirm"),
        ] {
            assert!(Keymap::new(&one(context, key, action)).is_ok(), "{context} {key}");
        }
    }

    #[test]
    fn the_key_the_configuration_binds_is_the_one_shown() {
        let builtin = Keymap::new(&KeyOverrides::new()).unwrap();
        assert_eq!(builtin.key_for(Context::Popup, Action::Save), Some("ctrl-s".parse().unwrap()));
        let keymap = Keymap::new(&one("popup", "f2", "save")).unwrap();
        assert_eq!(keymap.key_for(Context::Popup, Action::Save), Some("f2".parse().unwrap()));
        let ctrl_s = event(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(keymap.action(Context::Popup, &ctrl_s), Some(Action::Save), "the built-in key stays");
    }

    #[test]
    fn unknown_names_are_errors_that_name_them() {
        let bad = |context: &str, key: &str, action: &str| refused(context, key, action).to_string();
        assert!(bad("global", "ctrl-g", "make_coffee").contains("\"make_coffee\""));
        assert!(bad("global", "hyper-x", "lock").contains("\"hyper-x\""));
        assert!(bad("everywhere", "x", "lock").contains("everywhere"));
        let known = bad("everywhere", "x", "lock");
        assert!(Context::ALL.iter().all(|c| known.contains(c.name())), "{known}");
        assert!(bad("global", "f13", "lock").contains("f13"));
    }
}
