//! Keys as a person reads them: a chord's label in the interface's language, and the
//! `{key:action}` templates of hints and messages filled from the live keymap.

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use crate::app::App;
use crate::i18n::Strings;
use crate::keymap::{Action, Context, KeyChord};

/// `text` with each `{key:<action>}` replaced by the key that does it now (`chord_for`); an
/// action no key is bound to reads "—".
pub fn fill(app: &App, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("{key:") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 5..];
        let Some(end) = after.find('}') else { break };
        let key = Action::parse(&after[..end]).and_then(|action| chord_for(app, action));
        out.push_str(&key.map_or_else(|| "—".to_owned(), |key| label(&key, app.strings)));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The key shown for `action`: looked for where keys go now (`App::key_route`), then among
/// the global keys, then anywhere. A yes or a no is shown as its word's initial in the
/// interface's language when that key is bound (o/n in French, y/n in English).
pub fn chord_for(app: &App, action: Action) -> Option<KeyChord> {
    let route = app.key_route().contexts();
    let contexts = route.iter().chain(&[Context::Global]).chain(&Context::ALL);
    let s = app.strings;
    let word = match action {
        Action::Yes => Some(&s.answer_yes),
        Action::No => Some(&s.answer_no),
        _ => None,
    };
    if let Some(initial) = word.and_then(|w| w.chars().next()) {
        let chord = KeyChord { code: KeyCode::Char(initial), modifiers: KeyModifiers::NONE };
        if contexts.clone().any(|c| app.keymap.bindings(*c).contains(&(chord, action))) {
            return Some(chord);
        }
    }
    contexts.into_iter().find_map(|c| app.keymap.key_for(*c, action))
}

/// The key as the help and hints name it, in the interface's language.
pub fn label(chord: &KeyChord, strings: &Strings) -> String {
    let mut label = String::new();
    if chord.modifiers.contains(KeyModifiers::CONTROL) {
        label.push_str("Ctrl-");
    }
    if chord.modifiers.contains(KeyModifiers::ALT) {
        label.push_str("Alt-");
    }
    if chord.modifiers.contains(KeyModifiers::SHIFT) {
        label.push_str(&strings.key_shift);
        label.push('-');
    }
    match chord.code {
        KeyCode::Char(' ') => label.push_str(&strings.key_space),
        KeyCode::Char(c) if chord.modifiers.contains(KeyModifiers::CONTROL) => {
            label.push(c.to_ascii_uppercase())
        }
        KeyCode::Char(c) => label.push(c),
        KeyCode::F(n) => label.push_str(&format!("F{n}")),
        KeyCode::Enter => label.push_str(&strings.key_enter),
        KeyCode::Esc => label.push_str(&strings.key_esc),
        KeyCode::Tab => label.push_str("Tab"),
        KeyCode::BackTab => label.push_str(&format!("{}-Tab", strings.key_shift)),
        KeyCode::Up => label.push('↑'),
        KeyCode::Down => label.push('↓'),
        KeyCode::Left => label.push('←'),
        KeyCode::Right => label.push('→'),
        KeyCode::Home => label.push_str(&strings.key_home),
        KeyCode::End => label.push_str(&strings.key_end),
        KeyCode::PageUp => label.push_str("PgUp"),
        KeyCode::PageDown => label.push_str("PgDn"),
        KeyCode::Backspace => label.push('⌫'),
        KeyCode::Delete => label.push_str(&strings.key_delete),
        other => label.push_str(&format!("{other:?}")),
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chords_are_labelled_for_the_help() {
        let fr = Strings::get(crate::i18n::Language::Fr);
        let en = Strings::get(crate::i18n::Language::En);
        assert_eq!(label(&"ctrl-g".parse().unwrap(), fr), "Ctrl-G");
        assert_eq!(label(&"alt-1".parse().unwrap(), fr), "Alt-1");
        assert_eq!(label(&"f1".parse().unwrap(), en), "F1");
        assert_eq!(label(&"enter".parse().unwrap(), fr), "Entrée");
        assert_eq!(label(&"enter".parse().unwrap(), en), "Enter");
    }
}
