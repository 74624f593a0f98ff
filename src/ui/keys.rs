//! Keys as a person reads them: a chord's label in the interface's language, and the
//! `{key:action}` templates of hints and messages filled from the live keymap.

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use crate::i18n::Strings;
use crate::keymap::KeyChord;

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
