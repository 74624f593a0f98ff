//! Bad input never panics: every parser of outside data, fed arbitrary input, gives a value or
//! a clear error (property tests).

use std::path::Path;

use proptest::prelude::*;

use permanence::config::Config;
use permanence::domain::callback::PhoneNumber;
use permanence::domain::caller_file::{Departement, FileCode};
use permanence::keymap::{KeyChord, KeyOverrides, Keymap};
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
        "4294967295",
        "idle_lock_minutes_in_call = ",
        "callback_max_attempts = ",
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

/// Every numeric key, where it is written, and the values it accepts (as documented in
/// `config.example.toml`). `idle_lock_minutes_in_call` is also at least `idle_lock_minutes`.
const NUMERIC_KEYS: &[(&str, &str, i64, i64)] = &[
    ("", "idle_lock_minutes", 1, 240),
    ("", "idle_lock_minutes_in_call", 1, 480),
    ("", "retention_days", 1, 36_500),
    ("", "callback_retry_minutes", 1, 10_080),
    ("", "callback_max_attempts", 1, 20),
    ("[[callback_presets]]\n", "in_minutes", 1, 10_080),
];

/// Numbers near the bounds, near u32's and i64's, and anything.
fn any_number() -> impl Strategy<Value = i64> {
    prop_oneof![
        -2i64..=500,
        36_400i64..=36_600,
        10_000i64..=10_200,
        (u32::MAX as i64 - 2)..=(u32::MAX as i64 + 2),
        any::<i64>(),
    ]
}

/// The value of a numeric key in a parsed config.
fn value_of(config: &Config, key: &str) -> i64 {
    i64::from(match key {
        "idle_lock_minutes" => config.idle_lock_minutes,
        "idle_lock_minutes_in_call" => config.idle_lock_minutes_in_call,
        "retention_days" => config.retention_days,
        "callback_retry_minutes" => config.callback_retry_minutes,
        "callback_max_attempts" => config.callback_max_attempts,
        _ => config.callback_presets[0].in_minutes.expect("set by the test"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// One numeric key with any value, the rest default: accepted within its bounds, else
    /// refused naming the key and its line.
    #[test]
    fn each_number_is_accepted_within_bounds_or_refused_by_name(
        which in 0..NUMERIC_KEYS.len(),
        value in any_number(),
    ) {
        let (table, key, min, max) = NUMERIC_KEYS[which];
        // The in-call delay is at least the idle one (5 by default).
        let min = if key == "idle_lock_minutes_in_call" { 5 } else { min };
        let extra = if key == "idle_lock_minutes" { "idle_lock_minutes_in_call = 480\n" } else { "" };
        let text = format!("language = \"fr\"\n{extra}{table}{key} = {value}\n");
        let line = text.lines().count();
        match Config::parse(&text).map_err(|e| e.to_string()) {
            Ok(config) => {
                prop_assert!((min..=max).contains(&value), "{key} = {value} was accepted");
                prop_assert_eq!(value_of(&config, key), value);
            }
            Err(message) => {
                prop_assert!(!(min..=max).contains(&value), "{key} = {value} was refused: {message}");
                prop_assert!(message.contains(key), "{message}");
                prop_assert!(message.contains(&format!("line {line}")), "{message}");
            }
        }
    }

    /// Every numeric key at once with any values: never a panic; accepted exactly when all are
    /// within bounds, else refused naming one that is not.
    #[test]
    fn all_numbers_at_once_never_panic(values in prop::collection::vec(any_number(), NUMERIC_KEYS.len())) {
        let text: String = NUMERIC_KEYS
            .iter()
            .zip(&values)
            .map(|((table, key, _, _), value)| format!("{table}{key} = {value}\n"))
            .collect();
        let out_of_bounds: Vec<&str> = NUMERIC_KEYS
            .iter()
            .zip(&values)
            .filter(|((_, key, min, max), value)| {
                !(*min..=*max).contains(*value) || (*key == "idle_lock_minutes_in_call" && **value < values[0])
            })
            .map(|((_, key, _, _), _)| *key)
            .collect();
        match Config::parse(&text).map_err(|e| e.to_string()) {
            Ok(config) => {
                prop_assert!(out_of_bounds.is_empty(), "{out_of_bounds:?} accepted");
                for ((_, key, _, _), value) in NUMERIC_KEYS.iter().zip(&values) {
                    prop_assert_eq!(value_of(&config, key), *value);
                }
            }
            Err(message) => {
                prop_assert!(!out_of_bounds.is_empty(), "refused: {message}");
                prop_assert!(out_of_bounds.iter().any(|key| message.contains(key)), "{message}");
            }
        }
    }

    #[test]
    fn config_text_gives_a_config_or_a_message(text in tomlish()) {
        if let Err(message) = Config::parse(&text).map_err(|e| e.to_string()) {
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
        if let Err(error) = Keymap::new(&overrides) {
            prop_assert!(error.to_string().contains(&format!("{name:?}")), "{error}");
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
