//! Text from the store or the files beside it (names, logins, codes, messages quoting them)
//! made safe to print on a terminal. A terminal obeys the control characters it receives: an
//! ESC in a display name can retitle the window, clear the screen, or, with some terminals,
//! type into the shell; bidirectional overrides make a line read differently from what it
//! holds. Display names refuse them at creation (`domain::listener`); whatever is already
//! stored, or written into the files by other means, is escaped here before it is printed.

use std::borrow::Cow;

/// C0 controls (ESC, BEL, backspace, carriage return…), DEL, C1 controls (CSI and OSC
/// introducers among them), bidirectional marks, embeddings, overrides and isolates, and the
/// Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character but the line feed and the tab written as a visible
/// escape (`\u{1b}`), so that a person sees something is there and the terminal obeys nothing.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    escape(text, |c| format!("\\u{{{:x}}}", c as u32))
}

/// JSON text (already valid, with C0 controls escaped by serde) with the unsafe characters
/// JSON leaves raw inside strings (DEL, C1, bidirectional controls) escaped as `\uXXXX`: the
/// same value for a tool, nothing for a terminal to obey. Those characters can only occur
/// inside strings, where `\uXXXX` means them.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    escape(json, |c| format!("\\u{:04x}", c as u32))
}

fn escape(text: &str, write: impl Fn(char) -> String) -> Cow<'_, str> {
    let kept = |c: char| c == '\n' || c == '\t' || !is_unsafe(c);
    if text.chars().all(kept) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if kept(c) { safe.push(c) } else { safe.push_str(&write(c)) }
    }
    Cow::Owned(safe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reach_the_terminal_as_visible_text() {
        let name = "Camille\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}eliF";
        let safe = for_terminal(name);
        assert_eq!(safe, "Camille\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}eliF");
        assert!(!safe.chars().any(is_unsafe));
        assert_eq!(for_terminal("Élise Martin\nligne 2\tfin"), "Élise Martin\nligne 2\tfin");
        assert!(matches!(for_terminal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_stays_json_and_means_the_same() {
        let value = serde_json::json!({ "name": "A\u{1b}[2J\u{85}\u{202e}B\u{7f}" });
        let text = serde_json::to_string(&value).unwrap();
        let safe = json_for_terminal(&text);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), value);
    }
}
