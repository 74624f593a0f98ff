//! Bad input never panics: every parser of outside data, fed arbitrary input, gives a value or
//! a clear error (property tests).

use std::path::Path;

use proptest::prelude::*;

use permanence::app::keymap::{KeyChord, KeyOverrides, Keymap};
use permanence::config::Config;
use permanence::domain::callback::PhoneNumber;
use permanence::domain::caller_file::{Departement, FileCode};
use permanence::store::KeyFile;

/// TOML-ish text: the keys and punctuation the config uses, so that inputs get past the first
/// character often enough to reach validation.
fn tomlish() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "language = ",
        "\"fr\"",
        "\"en\"",
        "idle_lock_minutes = ",
        "0",
        "5",
        "-1",
        "99999999999",
        "retention_days = ",
        "themes = [",
        "]",
        "\"deuil\"",
        ",",
        "\n",
        "[export]",
        "recipients = ",
        "[[callback_presets]]",
        "in_minutes = ",
        "next_day_at = ",
        "\"25:99\"",
        "[keys.global]",
        "ctrl-x = ",
        "\"lock\"",
        "\"nope\"",
        "[[emergency.number]]",
        "number = ",
        "\"15\"",
        "[[emergency.rule]]",
        "name = ",
        "when = [{ urgency = [\"high\"] }]",
        "numbers = [\"0\"]",
        "=",
        "\"",
        "{",
        "}",
        "é",
        "#",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn config_text_gives_a_config_or_a_message(text in tomlish()) {
        if let Err(message) = Config::parse(&text) {
            prop_assert!(!message.is_empty());
        }
    }

    #[test]
    fn any_config_bytes_never_panic(text in ".*") {
        let _ = Config::parse(&text);
    }

    #[test]
    fn key_names_parse_or_are_refused(name in "(ctrl-|alt-|shift-){0,3}[a-z0-9?!-]{0,6}") {
        let _ = name.parse::<KeyChord>();
        let mut overrides = KeyOverrides::new();
        overrides.insert("global".into(), [(name.clone(), "lock".to_owned())].into());
        if let Err(message) = Keymap::new(&overrides) {
            prop_assert!(message.contains(&format!("{name:?}")), "{message}");
        }
    }

    #[test]
    fn key_files_parse_or_are_damage(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = KeyFile::parse(Path::new("x.keys"), &bytes);
    }

    #[test]
    fn codes_numbers_and_departements_never_panic(text in ".{0,20}") {
        if let Ok(code) = FileCode::parse(&text) {
            prop_assert_eq!(FileCode::parse(code.as_str()), Ok(code.clone()));
        }
        if let Ok(number) = PhoneNumber::parse(&text) {
            prop_assert!(number.as_str().chars().all(|c| c.is_ascii_digit() || c == '+'));
        }
        let _ = Departement::parse(&text);
    }
}
