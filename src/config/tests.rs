use super::*;

#[test]
fn empty_file_gives_the_defaults() {
    assert_eq!(Config::parse("").unwrap(), Config::default());
}

#[test]
fn the_example_file_parses_to_the_defaults() {
    let example = include_str!("../../config.example.toml");
    assert_eq!(Config::parse(example).unwrap(), Config::default());
}

#[test]
fn opening_hours_are_read_and_a_bad_range_is_named_with_its_line() {
    let config =
        Config::parse("[opening_hours]\nmonday = [\"18:00-24:00\", \"09:00-12:30\"]\nsunday = []\n").unwrap();
    let hours = config.opening_hours();
    assert_eq!(hours.days[0], vec![(540, 750), (1080, 1440)]);
    assert!(hours.days[1..].iter().all(Vec::is_empty) && hours.is_set());
    assert!(!Config::default().opening_hours().is_set());
    let err = Config::parse("language = \"en\"\n[opening_hours]\nfriday = [\"22:00-02:00\"]\n")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "line 3, key `friday`: \"22:00-02:00\" ends before it starts");
    let err = Config::parse("language = \"en\"\n[opening_hours]\ntuesday = [\"9h-12h\"]\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("line 3, key `tuesday`: \"9h-12h\" is not a range"), "{err}");
    let err = Config::parse("[opening_hours]\nlundi = [\"09:00-12:00\"]\n").unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("lundi"), "{err}");
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let err = Config::parse("language = \"en\"\n\nidle_lock_minute = 3\n").unwrap_err().to_string();
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("idle_lock_minute"), "{err}");
}

#[test]
fn unknown_key_in_a_table_is_named_with_its_line() {
    let err = Config::parse("[export]\ndirectory = \"/tmp\"\nrecipient = []\n").unwrap_err().to_string();
    assert!(err.contains("line 3") && err.contains("recipient"), "{err}");
}

#[test]
fn wrong_type_is_named_with_its_line() {
    let err = Config::parse("retention_days = \"two years\"\n").unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("retention_days"), "{err}");
    let err = Config::parse("language = \"de\"\n").unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("de"), "{err}");
}

#[test]
fn invalid_values_are_named_with_their_line() {
    let err = Config::parse("language = \"en\"\nidle_lock_minutes = 0\n").unwrap_err().to_string();
    assert_eq!(err, "line 2, key `idle_lock_minutes`: must be at least 1");
    let err = Config::parse("[[callback_presets]]\nnext_day_at = \"9h\"\n").unwrap_err().to_string();
    assert!(err.starts_with("line 2, key `next_day_at`"), "{err}");
    let err = Config::parse("themes = [\"deuil\", \"deuil\"]\n").unwrap_err().to_string();
    assert!(err.contains("listed twice"), "{err}");
}

#[test]
fn key_bindings_are_checked_and_named_with_their_line() {
    let config = Config::parse("[keys.global]\nf9 = \"emergency_card\"\n").unwrap();
    use crate::keymap::Action;
    use crate::keymap::{Context, KeyChord};
    use ratatui::crossterm::event::KeyEvent;
    let keymap = config.keymap();
    let press = |key: &str| {
        let chord: KeyChord = key.parse().unwrap();
        keymap.action(Context::Global, &KeyEvent::new(chord.code, chord.modifiers))
    };
    assert_eq!(press("f9"), Some(Action::EmergencyCard));
    assert_eq!(press("ctrl-g"), Some(Action::EmergencyCard), "the defaults stay");
    let err = Config::parse("[keys.global]\nf9 = \"emergency_card\"\nctrl-x = \"brew_tea\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3") && err.contains("brew_tea"), "{err}");
    let err = Config::parse("[keys.call]\n\"hyper-q\" = \"lock\"\n").unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("hyper-q"), "{err}");
}

#[test]
fn the_emergency_directory_and_rules_come_from_the_config_too() {
    let text = "[[emergency.number]]\nnumber = \"3977\"\nhours_fr = \"lun-sam\"\n\n[[emergency.rule]]\nname = \"violence_now\"\nnumbers = [\"17\", \"3919\"]\n";
    let (directory, rules) = Config::parse(text).unwrap().emergency().unwrap();
    assert_eq!(directory.get("3977").unwrap().hours_fr, "lun-sam");
    assert_eq!(rules.get("violence_now").unwrap().numbers, ["17", "3919"]);
    let err =
        Config::parse("[[emergency.rule]]\nname = \"new\"\nnumbers = [\"17\"]\n").unwrap_err().to_string();
    assert!(err.contains("\"new\" needs `when`"), "{err}");
    let err =
        Config::parse("[[emergency.number]]\nnumber = \"15\"\ncolour = \"red\"\n").unwrap_err().to_string();
    assert!(err.contains("line 3") && err.contains("colour"), "{err}");
}

/// Every refusal reads "line N, key `k`: why".
fn refused(text: &str, line: usize, key: &str) -> String {
    let err = Config::parse(text).unwrap_err().to_string();
    assert!(err.starts_with(&format!("line {line}, key `{key}`: ")), "{err}");
    err
}

#[test]
fn every_number_is_bounded() {
    for (key, too_big) in [
        ("idle_lock_minutes", 241),
        ("idle_lock_minutes_in_call", 481),
        ("retention_days", 36_501),
        ("callback_retry_minutes", 10_081),
        ("callback_max_attempts", 21),
    ] {
        let err = refused(&format!("language = \"fr\"\n{key} = {too_big}\n"), 2, key);
        assert!(err.contains(&format!("at most {}", too_big - 1)), "{err}");
        refused(&format!("{key} = 0\n"), 1, key);
        let err = Config::parse(&format!("{key} = 4294967296\n")).unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains(key), "{err}");
    }
    let err = refused("idle_lock_minutes = 4294967295\n", 1, "idle_lock_minutes");
    assert!(err.ends_with("must be at most 240"), "{err}");
    assert!(Config::parse("idle_lock_minutes = 240\nidle_lock_minutes_in_call = 480\n").is_ok());
    let presets = "[[callback_presets]]\nin_minutes = 30\n\n[[callback_presets]]\nin_minutes = 10081\n";
    let err = refused(presets, 5, "in_minutes");
    assert!(err.ends_with("must be at most 10080"), "{err}");
    refused("[[callback_presets]]\nin_minutes = 0\n", 2, "in_minutes");
}

#[test]
fn a_life_risk_number_stays_life_risk() {
    let text = "[[emergency.number]]\nnumber = \"3977\"\nlife_risk = false\n\n\
                [[emergency.number]]\nnumber = \"15\"\nlife_risk = false\n";
    let err = refused(text, 7, "life_risk");
    assert!(err.contains("\"15\" is a life-risk number"), "{err}");
    for number in ["17", "18", "112", "114"] {
        refused(&format!("[[emergency.number]]\nnumber = \"{number}\"\nlife_risk = false\n"), 3, "life_risk");
    }
    // Saying it again, or making another number life-risk, is fine.
    assert!(Config::parse("[[emergency.number]]\nnumber = \"15\"\nlife_risk = true\n").is_ok());
    assert!(Config::parse("[[emergency.number]]\nnumber = \"3114\"\nlife_risk = true\n").is_ok());
}

#[test]
fn an_emergency_number_keeps_its_kind_and_channel() {
    let err = refused("[[emergency.number]]\nnumber = \"3114\"\nkind = \"orientation\"\n", 3, "kind");
    assert!(err.contains("\"3114\" is an emergency number"), "{err}");
    let err = refused("[[emergency.number]]\nnumber = \"114\"\nchannel = \"voice\"\n", 3, "channel");
    assert!(err.contains("\"114\""), "{err}");
}

#[test]
fn a_number_is_never_empty() {
    let err = refused("[[emergency.number]]\nnumber = \"\"\nhours_fr = \"24/7\"\n", 2, "number");
    assert!(err.contains("must not be empty"), "{err}");
    refused("[[emergency.number]]\nnumber = \" 15\"\nlife_risk = false\n", 2, "number");
}

#[test]
fn the_text_a_listener_reads_is_never_empty() {
    let err = refused("[[emergency.number]]\nnumber = \"15\"\nlabel_fr = \"\"\n", 3, "label_fr");
    assert!(err.contains("emergency number \"15\" must not be empty"), "{err}");
    refused("[[emergency.number]]\nnumber = \"119\"\nuse_en = \"  \"\n", 3, "use_en");
    refused("[[emergency.number]]\nnumber = \"3919\"\nhours_fr = \"\"\n", 3, "hours_fr");
    let err = refused("[[emergency.rule]]\nname = \"violence_now\"\nadvice_en = \"\"\n", 3, "advice_en");
    assert!(err.contains("emergency rule \"violence_now\" must not be empty"), "{err}");
    refused("[[emergency.rule]]\nname = \"\"\nnumbers = [\"15\"]\n", 2, "name");
}

#[test]
fn a_new_rule_prompts_at_least_one_number() {
    let text = "[[emergency.rule]]\nname = \"elder_abuse\"\nnumbers = [\"3977\", \"17\"]\n\n\
                [[emergency.rule]]\nname = \"silence\"\nwhen = [{ situation = \"cannot_speak\" }]\n\
                numbers = []\nadvice_fr = \"…\"\nadvice_en = \"…\"\n";
    let err = refused(text, 8, "numbers");
    assert!(err.contains("\"silence\" needs at least one number"), "{err}");
    let never = "[[emergency.rule]]\nname = \"never\"\nwhen = [{}]\nnumbers = [\"15\"]\n\
                 advice_fr = \"…\"\nadvice_en = \"…\"\n";
    assert!(refused(never, 3, "when").contains("never holds"));
    refused(&never.replace("[{}]", "[]"), 3, "when");
}

#[test]
fn a_rule_keeps_every_emergency_number_it_prompts() {
    let text = "[[emergency.rule]]\nname = \"life_at_risk\"\nnumbers = [\"112\"]\n";
    let err = refused(text, 3, "numbers");
    assert!(err.contains("must keep prompting \"15\""), "{err}");
    refused("[[emergency.rule]]\nname = \"cannot_speak\"\nnumbers = [\"17\"]\n", 3, "numbers");
    refused("[[emergency.rule]]\nname = \"suicidal_ideation\"\nnumbers = [\"15\"]\n", 3, "numbers");
    // Adding numbers is fine.
    let more = "[[emergency.rule]]\nname = \"life_at_risk\"\nnumbers = [\"15\", \"112\", \"3114\"]\n";
    let (_, rules) = Config::parse(more).unwrap().emergency().unwrap();
    assert_eq!(rules.get("life_at_risk").unwrap().numbers, ["15", "112", "3114"]);
}

#[test]
fn a_rule_keeps_every_condition_it_fires_on() {
    let text = "[[emergency.rule]]\nname = \"life_at_risk\"\nwhen = [{ urgency = [\"high\"] }]\n";
    let err = refused(text, 3, "when");
    assert!(err.contains("{ situation = \"act_in_progress\" }"), "{err}");
    // Adding one, in any order, is fine.
    let wider = "[[emergency.rule]]\nname = \"life_at_risk\"\nwhen = [\
                 { danger = [\"high\"] }, { situation = \"act_in_progress\" },\
                 { urgency = [\"high\"] }, { urgency = [\"medium\"], danger = [\"medium\"] }]\n";
    assert!(Config::parse(wider).is_ok());
    // A centre that renamed the theme keeps the built-in one and adds its own.
    let renamed = "[[emergency.rule]]\nname = \"suicidal_ideation\"\nwhen = [\
                   { theme = \"idées suicidaires\" }, { situation = \"suicidal_ideation\" },\
                   { theme = \"crise suicidaire\" }]\n";
    let (_, rules) = Config::parse(renamed).unwrap().emergency().unwrap();
    assert_eq!(rules.get("suicidal_ideation").unwrap().when.len(), 3);
    let text =
        "[[emergency.rule]]\nname = \"suicidal_ideation\"\nwhen = [{ situation = \"suicidal_ideation\" }]\n";
    let err = refused(text, 3, "when");
    assert!(err.contains("{ theme = \"idées suicidaires\" }"), "{err}");
}

#[test]
fn a_global_key_never_takes_a_key_the_notes_need() {
    let text = "[keys.main]\nq = \"quit\"\n\n[keys.global]\nf9 = \"emergency_card\"\nq = \"quit\"\n";
    let err = refused(text, 6, "q");
    assert!(err.contains("\"q\" is needed to type or edit notes"), "{err}");
    refused("[keys.global]\nspace = \"lock\"\n", 2, "space");
    refused("[keys.global]\n\"shift-a\" = \"help\"\n", 2, "shift-a");
    refused("[keys.global]\nenter = \"end_call\"\n", 2, "enter");
    refused("[keys.global]\nbackspace = \"lock\"\n", 2, "backspace");
    refused("[keys.global]\nleft = \"focus_previous\"\n", 2, "left");
    refused("[keys.global]\nesc = \"lock\"\n", 2, "esc");
}

#[test]
fn ctrl_g_stays_on_the_emergency_card() {
    let err = refused("[keys.global]\nf9 = \"emergency_card\"\nctrl-g = \"lock\"\n", 3, "ctrl-g");
    assert!(err.contains("emergency card"), "{err}");
    refused("[keys.global]\n\"ctrl-G\" = \"quit\"\n", 2, "ctrl-G");
}

#[test]
fn presets_fall_due_in_local_time() {
    use chrono::{TimeZone, Utc};
    let paris = Zone::default();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 22, 30, 0).unwrap(); // 23:30 in Paris
    let in_half_hour = CallbackPreset { in_minutes: Some(30), next_day_at: None };
    assert_eq!(preset_due(&in_half_hour, now, paris), now + Duration::minutes(30));
    let tomorrow_nine = CallbackPreset { in_minutes: None, next_day_at: Some("09:00".into()) };
    assert_eq!(preset_due(&tomorrow_nine, now, paris), Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap());
    // Scheduled in winter time the night before the spring change, due in summer time.
    let night = Utc.with_ymd_and_hms(2026, 3, 28, 22, 30, 0).unwrap(); // 23:30 CET
    assert_eq!(
        preset_due(&tomorrow_nine, night, paris),
        Utc.with_ymd_and_hms(2026, 3, 29, 7, 0, 0).unwrap() // 09:00 CEST
    );
    let noumea: Zone = "Pacific/Noumea".parse().unwrap();
    assert_eq!(
        preset_due(&tomorrow_nine, now, noumea), // already 09:30 on the 24th there
        Utc.with_ymd_and_hms(2026, 11, 24, 22, 0, 0).unwrap()
    );
}

#[test]
fn the_time_zone_is_an_iana_name_checked_with_its_line() {
    assert_eq!(Config::default().timezone.to_string(), "Europe/Paris");
    let config = Config::parse("timezone = \"America/Montreal\"\n").unwrap();
    assert_eq!(config.timezone.to_string(), "America/Montreal");
    let err = Config::parse("language = \"fr\"\ntimezone = \"Europe/Pari\"\n").unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("timezone"), "{err}");
    assert!(err.contains("\"Europe/Pari\" is not a time zone"), "{err}");
    let err = Config::parse("timezone = 1\n").unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("timezone"), "{err}");
}

#[test]
fn load_prefers_the_explicit_file_and_requires_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    assert!(matches!(Config::load(Some(&missing), None), Err(ConfigError::Read { .. })));
    // A default path that does not exist simply means defaults.
    let (config, used) = Config::load(None, Some(&missing)).unwrap();
    assert_eq!((config, used), (Config::default(), None));
    let file = dir.path().join("config.toml");
    std::fs::write(&file, "language = \"en\"\n").unwrap();
    let (config, used) = Config::load(Some(&file), None).unwrap();
    assert_eq!(config.language, Language::En);
    assert_eq!(used, Some(file));
}

#[test]
fn the_example_names_every_key_context() {
    let example = include_str!("../../config.example.toml");
    let (contexts, _) = example.split_once("Key names:").unwrap();
    for context in crate::keymap::Context::ALL {
        assert!(contexts.contains(&format!(" {} (", context.name())), "{}", context.name());
    }
}

/// Issue 22: the config adds channels to `assets/channels.toml`, and may neither change one
/// nor add one without an id or a name; a refusal names its line.
#[test]
fn channels_are_added_never_changed_and_a_refusal_names_its_line() {
    let visio = "[[channels]]\nid = \"visio\"\nkind = \"conversation\"\naddress = \"text\"\n\
                 label_fr = \"visioconférence\"\nlabel_en = \"video call\"\n";
    let config = Config::parse(visio).unwrap();
    assert_eq!(config.channels().label("visio", false), "visioconférence");
    assert_eq!(config.channels().written().count(), 5);
    let again = format!(
        "{visio}\n[[channels]]\nid = \"email\"\nkind = \"written\"\naddress = \"email\"\nlabel_fr = \"courriel\"\nlabel_en = \"mail\"\n"
    );
    let err = Config::parse(&again).unwrap_err().to_string();
    assert_eq!(err, "line 9, key `id`: this channel exists already: channels are added, never changed");
    let err = Config::parse(&visio.replace("\"visio\"", "\"Visio Conf\"")).unwrap_err().to_string();
    assert!(err.starts_with("line 2, key `id`"), "{err}");
    let err = Config::parse(&visio.replace("\"video call\"", "\"\"")).unwrap_err().to_string();
    assert!(err.contains("key `label_fr`"), "{err}");
    let err = Config::parse(&visio.replace("\"conversation\"", "\"telepathy\"")).unwrap_err().to_string();
    assert!(err.starts_with("line 3") && err.contains("telepathy"), "{err}");
}

#[test]
fn the_phone_is_off_by_default_and_named_when_wrong() {
    assert_eq!(Config::default().phone.source, None);
    let config = Config::parse("[phone]\nsource = \"baresip\"\naddress = \"127.0.0.1:5555\"\n").unwrap();
    assert_eq!(config.phone.source, Some(PhoneSourceKind::Baresip));
    assert_eq!((config.phone.address.as_str(), config.phone.dial.as_str()), ("127.0.0.1:5555", "{number}"));
    let err = Config::parse("[phone]\nsource = \"asterisk\"\n").unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("asterisk"), "{err}");
    let err = Config::parse("[phone]\nsource = \"baresip\"\ndial = \"sip:pbx\"\n").unwrap_err().to_string();
    assert!(err.contains("line 3") && err.contains("{number}"), "{err}");
}
