use super::*;
use crate::domain::statistics::AgeGroup;

fn all_actions() -> Vec<Action> {
    let keymap: BTreeMap<String, BTreeMap<String, String>> =
        toml::from_str(include_str!("../../assets/keymap.toml")).unwrap();
    keymap.values().flat_map(|keys| keys.values()).filter_map(|a| Action::parse(a)).collect()
}

#[test]
fn both_languages_label_every_word_and_action() {
    for language in [Language::Fr, Language::En] {
        let s = Strings::get(language);
        let check = |kind: &str, words: Vec<&str>| {
            for word in words {
                assert!(
                    s.labels.get(kind).is_some_and(|w| w.contains_key(word)),
                    "{}: no label for {kind}.{word}",
                    s.language_name
                );
            }
        };
        check("call_type", CallType::ALL.iter().map(|v| v.as_str()).collect());
        check("outcome", Outcome::ALL.iter().map(|v| v.as_str()).collect());
        check("priority", Priority::ALL.iter().map(|v| v.as_str()).collect());
        check("age_band", AgeBand::ALL.iter().map(|v| v.as_str()).collect());
        // "unknown" is said by `statistics_unknown` for every breakdown.
        check(
            "age_group",
            AgeGroup::ALL.iter().filter(|g| **g != AgeGroup::Unknown).map(|v| v.as_str()).collect(),
        );
        check("gender", Gender::ALL.iter().map(|v| v.as_str()).collect());
        check("relation", CallerRelation::ALL.iter().map(|v| v.as_str()).collect());
        check("channel", Channel::ALL.iter().map(|v| v.as_str()).collect());
        check("situation", Situation::ALL.iter().map(|v| v.as_str()).collect());
        check("prompt_outcome", PromptOutcome::ALL.iter().map(|v| v.as_str()).collect());
        check("file_event", FileEventKind::ALL.iter().map(|v| v.as_str()).collect());
        check("file_status", FileStatus::ALL.iter().map(|v| v.as_str()).collect());
        check("callback_status", CallbackStatus::ALL.iter().map(|v| v.as_str()).collect());
        check("attempt_result", AttemptResult::ALL.iter().map(|v| v.as_str()).collect());
        check(
            "passphrase_weakness",
            crate::domain::passphrase::Weakness::ALL.iter().map(|v| v.as_str()).collect(),
        );
        for action in all_actions() {
            assert!(
                s.actions.contains_key(&action.name()),
                "{}: no text for action {action:?}",
                s.language_name
            );
        }
    }
}

#[test]
fn counts_agree_with_their_noun() {
    let fr = Strings::get(Language::Fr);
    let en = Strings::get(Language::En);
    assert_eq!(fr.count(0, &fr.count_calls_one, &fr.count_calls), "0 appel");
    assert_eq!(fr.count(1, &fr.count_calls_one, &fr.count_calls), "1 appel");
    assert_eq!(fr.count(2, &fr.count_calls_one, &fr.count_calls), "2 appels");
    assert_eq!(en.count(0, &en.count_calls_one, &en.count_calls), "0 calls");
    assert_eq!(en.count(1, &en.count_calls_one, &en.count_calls), "1 call");
    for s in [fr, en] {
        let templates = [&s.file_history, &s.callback_attempts, &s.repeat_calls, &s.supervisor_calls];
        assert!(templates.iter().all(|t| !t.contains("(s)")), "{}", s.language_name);
    }
}

/// Keys are named through `{key:<action>}` templates filled from the live keymap
/// (`ui::keys::fill`), so a rebinding shows everywhere; a string that names a key itself
/// would lie once it is rebound.
#[test]
fn no_string_names_a_key_itself_and_every_template_names_an_action() {
    // The notes editor's own keys are ratatui-textarea's: they cannot be rebound. And the
    // `key_*` strings are the names labels are made of.
    const EDITOR: [&str; 2] = ["hint_editing", "help_editor"];
    let named = [
        "Entrée", "Échap", "Espace", "Enter", "Esc", "Space", "Tab", "Ctrl-", "Alt-", "Maj-", "Shift-", "↑",
        "↓", "←→", "←/→",
    ];
    let is_key = |token: &str| {
        let mut chars = token.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '?')
    };
    for text in [include_str!("../../assets/strings.fr.toml"), include_str!("../../assets/strings.en.toml")] {
        let table: toml::Table = toml::from_str(text).unwrap();
        for (name, value) in &table {
            let exempt = EDITOR.contains(&name.as_str()) || name.starts_with("key_");
            let Some(value) = value.as_str().filter(|_| !exempt) else { continue };
            let mut rest = value;
            let mut plain = String::new();
            while let Some(at) = rest.find("{key:") {
                plain.push_str(&rest[..at]);
                let end = rest[at..].find('}').map(|e| at + e).unwrap_or(rest.len() - 1);
                let action = &rest[at + 5..end];
                assert!(Action::parse(action).is_some(), "{name}: no action {action:?}");
                plain.push('■');
                rest = &rest[end + 1..];
            }
            plain.push_str(rest);
            for key in named {
                assert!(!plain.contains(key), "{name} names {key:?}: {value}");
            }
            assert!(!(1..=12).any(|n| plain.contains(&format!("F{n} "))), "{name}: {value}");
            let tokens: Vec<&str> = plain.split([' ', '(', ')', ',']).filter(|t| !t.is_empty()).collect();
            for (at, token) in tokens.iter().enumerate() {
                let before = at.checked_sub(1).map(|b| tokens[b]);
                let after = tokens.get(at + 1).copied();
                let by_itself = is_key(token) && (after == Some(":") || before == Some("·") || at == 0);
                let paired = token.split('/').count() > 1 && token.split('/').any(is_key);
                assert!(!by_itself && !paired, "{name} names the key {token:?}: {value}");
            }
        }
    }
}

#[test]
fn templates_are_filled() {
    let s = Strings::get(Language::Fr);
    assert_eq!(s.fill("{a} et {b}", &[("a", "un"), ("b", "deux")]), "un et deux");
}

/// Both languages fill the same `{names}` in each sentence: a name missing from one would
/// show as "{path}" to its readers, or leave out what the other says.
#[test]
fn both_languages_use_the_same_placeholders() {
    fn names(text: &str) -> std::collections::BTreeSet<String> {
        text.split('{').skip(1).filter_map(|rest| rest.split_once('}')).map(|(n, _)| n.to_owned()).collect()
    }
    fn strings_of(table: &toml::Table, prefix: &str, out: &mut BTreeMap<String, String>) {
        for (key, value) in table {
            match value {
                toml::Value::String(text) => drop(out.insert(format!("{prefix}{key}"), text.clone())),
                toml::Value::Table(inner) => strings_of(inner, &format!("{prefix}{key}."), out),
                _ => {}
            }
        }
    }
    let mut fr = BTreeMap::new();
    let mut en = BTreeMap::new();
    strings_of(&include_str!("../../assets/strings.fr.toml").parse().unwrap(), "", &mut fr);
    strings_of(&include_str!("../../assets/strings.en.toml").parse().unwrap(), "", &mut en);
    assert_eq!(fr.keys().collect::<Vec<_>>(), en.keys().collect::<Vec<_>>(), "the same sentences");
    let differ: Vec<&String> = fr.keys().filter(|key| names(&fr[*key]) != names(&en[*key])).collect();
    assert!(differ.is_empty(), "placeholders differ in {differ:?}");
}

#[test]
fn a_phrase_is_said_in_the_language_asked_with_its_parts() {
    let refused = Phrase::new(|s| &s.cli.forbidden).with_phrase("what", Phrase::new(|s| &s.cli.what_backup));
    assert_eq!(refused.say(Strings::get(Language::Fr)), "seule la coordination peut faire une sauvegarde");
    assert_eq!(refused.to_string(), "only a supervisor can take a backup");
}

#[test]
fn a_weak_passphrase_is_explained_in_our_words_never_in_zxcvbns() {
    use crate::domain::passphrase::check_passphrase;
    let fr = Strings::get(Language::Fr);
    let en = Strings::get(Language::En);
    for passphrase in ["aaaaaaaaaaab", "abababababab", "1234567890123", "motdepasse12345"] {
        let weak = check_passphrase(passphrase, "ana", "Ana").unwrap_err();
        let text = fr.weak_passphrase(&weak);
        assert!(text.starts_with("Phrase de passe trop facile à deviner : elle "), "{text}");
        assert!(text.ends_with("aident peu."), "{text}");
        let english = zxcvbn::zxcvbn(passphrase, &[]).feedback().expect("weak").to_string();
        for sentence in english.split(". ").filter(|s| !s.is_empty()) {
            assert!(!text.contains(sentence.trim_end_matches('.')), "{text} quotes {sentence}");
        }
        assert!(en.weak_passphrase(&weak).starts_with("This passphrase is too easy to guess: it "));
    }
    assert_eq!(
        fr.weak_passphrase(&check_passphrase("court", "ana", "Ana").unwrap_err()),
        "La phrase de passe doit compter au moins 12 caractères : quelques mots font l'affaire."
    );
}
