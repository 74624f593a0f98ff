use super::*;

/// The numbers the built-in rules prompt, sorted (not deduplicated: one number prompted by
/// two rules would be raised twice).
fn prompted(situations: &[Situation], themes: &[String], rud: &Rud) -> Vec<String> {
    let recorded = Recorded { situations, themes, rud };
    let mut numbers: Vec<String> =
        Rules::builtin().firing(recorded).flat_map(|r| r.numbers.clone()).collect();
    numbers.sort_by_key(|n| n.parse::<u32>().unwrap());
    numbers
}

/// Every rule, from what is recorded to exactly the numbers expected, nothing extra.
#[test]
fn rules_prompt_exactly_the_expected_numbers() {
    use Situation::*;
    let rud = |urgency| Rud { urgency, ..Rud::default() };
    let cases: &[(&[Situation], Option<RudLevel>, &[&str])] = &[
        (&[], None, &[]),
        (&[], Some(RudLevel::Low), &[]),
        (&[], Some(RudLevel::High), &["15", "112"]),
        (&[ActInProgress], None, &["15", "112"]),
        (&[ActInProgress], Some(RudLevel::High), &["15", "112"]),
        (&[ViolenceNow], None, &["17"]),
        (&[FireGasAccident], None, &["18"]),
        (&[CannotSpeak], None, &["114"]),
        (&[SuicidalIdeation], None, &["3114"]),
        (&[SuicidalIdeation], Some(RudLevel::Low), &["3114"]),
        (&[SuicidalIdeation], Some(RudLevel::Medium), &["3114"]),
        (&[SuicidalIdeation], Some(RudLevel::High), &["15", "112", "3114"]),
        (&[ChildInDanger], None, &["119"]),
        (&[ViolenceAgainstWoman], None, &["3919"]),
        (&[ElderAbuse], None, &["3977"]),
        (&[ViolenceNow, CannotSpeak], None, &["17", "114"]),
        (&[ViolenceAgainstWoman, ChildInDanger], Some(RudLevel::High), &["15", "112", "119", "3919"]),
    ];
    for (situations, urgency, expected) in cases {
        let numbers = prompted(situations, &[], &rud(*urgency));
        assert_eq!(&numbers, expected, "{situations:?} with urgency {urgency:?}");
    }
    // Issue 14: R élevé · U moyen · D élevé, lethal means at hand, prompted nothing.
    let means_at_hand =
        Rud { risk: Some(RudLevel::High), urgency: Some(RudLevel::Medium), danger: Some(RudLevel::High) };
    assert_eq!(prompted(&[], &[], &means_at_hand), ["15", "112"]);
    // The theme alone, without the situation ticked, prompted nothing either.
    assert_eq!(prompted(&[], &["idées suicidaires".into()], &Rud::default()), ["3114"]);
    assert_eq!(prompted(&[], &["isolement".into(), "deuil".into()], &Rud::default()), [] as [&str; 0]);
}

/// Every R × U × D (not rated, faible, moyen, élevé: 64) with nothing ticked, each situation
/// alone, and the theme "idées suicidaires": the numbers prompted, and whether ending asks for
/// the grid. Written out from the RUD grid and the directory, not from the rules.
#[test]
fn every_rud_and_situation_prompts_what_the_grid_says() {
    // R U D (- not rated, f faible, m moyen, é élevé), then the numbers the grid alone calls
    // for: urgency élevé or danger élevé is 15 and 112; risk alone, nothing.
    #[rustfmt::skip]
    const GRID: [&str; 64] = [
        "- - -", "- - f", "- - m", "- - é 15 112",
        "- f -", "- f f", "- f m", "- f é 15 112",
        "- m -", "- m f", "- m m", "- m é 15 112",
        "- é - 15 112", "- é f 15 112", "- é m 15 112", "- é é 15 112",
        "f - -", "f - f", "f - m", "f - é 15 112",
        "f f -", "f f f", "f f m", "f f é 15 112",
        "f m -", "f m f", "f m m", "f m é 15 112",
        "f é - 15 112", "f é f 15 112", "f é m 15 112", "f é é 15 112",
        "m - -", "m - f", "m - m", "m - é 15 112",
        "m f -", "m f f", "m f m", "m f é 15 112",
        "m m -", "m m f", "m m m", "m m é 15 112",
        "m é - 15 112", "m é f 15 112", "m é m 15 112", "m é é 15 112",
        "é - -", "é - f", "é - m", "é - é 15 112",
        "é f -", "é f f", "é f m", "é f é 15 112",
        "é m -", "é m f", "é m m", "é m é 15 112",
        "é é - 15 112", "é é f 15 112", "é é m 15 112", "é é é 15 112",
    ];
    // What is ticked, the numbers it adds whatever the grid, and whether it asks for the grid.
    let ideation_theme = ["idées suicidaires".to_owned()];
    type Ticked<'a> = (&'a [Situation], &'a [String], &'a [&'a str], bool);
    let situations: [Ticked; 10] = [
        (&[], &[], &[], false),
        (&[Situation::ActInProgress], &[], &["15", "112"], false),
        (&[Situation::ViolenceNow], &[], &["17"], false),
        (&[Situation::FireGasAccident], &[], &["18"], false),
        (&[Situation::CannotSpeak], &[], &["114"], false),
        (&[Situation::SuicidalIdeation], &[], &["3114"], true),
        (&[Situation::ChildInDanger], &[], &["119"], false),
        (&[Situation::ViolenceAgainstWoman], &[], &["3919"], false),
        (&[Situation::ElderAbuse], &[], &["3977"], false),
        (&[], &ideation_theme, &["3114"], true),
    ];
    let level = |word: &str| match word {
        "-" => None,
        "f" => Some(RudLevel::Low),
        "m" => Some(RudLevel::Medium),
        "é" => Some(RudLevel::High),
        other => panic!("{other:?} is not a level"),
    };
    let rules = Rules::builtin();
    let mut checked = 0;
    for row in GRID {
        let words: Vec<&str> = row.split(' ').collect();
        let rud = Rud { risk: level(words[0]), urgency: level(words[1]), danger: level(words[2]) };
        let unrated = words[..3].contains(&"-");
        for (ticked, themes, adds, asks_rud) in &situations {
            let mut expected: Vec<&str> = words[3..].iter().chain(adds.iter()).copied().collect();
            expected.sort_by_key(|n| n.parse::<u32>().unwrap());
            expected.dedup();
            assert_eq!(prompted(ticked, themes, &rud), expected, "{row:?} with {ticked:?} {themes:?}");
            let recorded = Recorded { situations: ticked, themes, rud: &rud };
            assert_eq!(
                rules.rud_missing(recorded),
                *asks_rud && unrated,
                "{row:?} with {ticked:?} {themes:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 640);
}

#[test]
fn every_prompted_number_is_in_the_directory_and_life_risk_ones_are_marked() {
    let directory = Directory::builtin();
    for rule in Rules::builtin().rules {
        for number in &rule.numbers {
            assert!(directory.get(number).is_some(), "rule {} names {number}", rule.name);
        }
    }
    let life_risk: Vec<&str> =
        directory.entries.iter().filter(|e| e.life_risk).map(|e| e.number.as_str()).collect();
    assert_eq!(life_risk, ["15", "17", "18", "112", "114"]);
}

#[test]
fn the_config_adds_numbers_and_overrides_fields_and_rules() {
    let directory = Directory::builtin()
        .with_overrides(&[
            NumberOverride {
                number: "3977".into(),
                hours_fr: Some("lun-sam 9h-19h".into()),
                ..Default::default()
            },
            NumberOverride {
                number: "0800 000 000".into(),
                kind: Some(NumberKind::Orientation),
                label_fr: Some("Astreinte de l'association".into()),
                label_en: Some("The association's on-call line".into()),
                use_fr: Some("Relais de nuit".into()),
                use_en: Some("Night relay".into()),
                channel: Some(Channel::Voice),
                hours_fr: Some("la nuit".into()),
                hours_en: Some("at night".into()),
                verified_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 1),
                ..Default::default()
            },
        ])
        .unwrap();
    let elder = directory.get("3977").unwrap();
    assert_eq!(elder.hours_fr, "lun-sam 9h-19h");
    assert_eq!(elder.label_en, "Abuse of elderly or disabled adults", "other fields kept");
    assert!(!directory.get("0800 000 000").unwrap().life_risk);

    let incomplete = Directory::builtin()
        .with_overrides(&[NumberOverride { number: "0800 111 111".into(), ..Default::default() }])
        .unwrap_err();
    assert_eq!(incomplete.to_string(), "emergency number \"0800 111 111\" needs `kind`");
    assert_eq!(incomplete.field, "kind");

    let rules = Rules::builtin()
        .with_overrides(
            &[RuleOverride {
                name: "elder_abuse".into(),
                numbers: Some(vec!["3977".into(), "0800 000 000".into()]),
                ..Default::default()
            }],
            &directory,
        )
        .unwrap();
    assert_eq!(rules.get("elder_abuse").unwrap().numbers, ["3977", "0800 000 000"]);
    let unknown = Rules::builtin()
        .with_overrides(
            &[RuleOverride {
                name: "elder_abuse".into(),
                numbers: Some(vec!["0899".into()]),
                ..Default::default()
            }],
            &directory,
        )
        .unwrap_err();
    assert_eq!(unknown.why, OverrideRefusal::UnknownNumber("0899".into()), "{unknown}");
    assert_eq!(unknown.field, "numbers");
}

/// The field refused and the message, for one number override.
fn number_refused(o: NumberOverride) -> (&'static str, String) {
    // A fine override first, so that the index points at the refused one.
    let reword =
        NumberOverride { number: "3977".into(), hours_fr: Some("lun-sam".into()), ..Default::default() };
    let err = Directory::builtin().with_overrides(&[reword, o]).unwrap_err();
    assert_eq!(err.index, 1);
    (err.field, err.to_string())
}

#[test]
fn number_overrides_never_weaken_protection() {
    let o = |number: &str| NumberOverride { number: number.into(), ..Default::default() };
    let (field, why) = number_refused(NumberOverride { life_risk: Some(false), ..o("15") });
    assert_eq!(
        (field, why.as_str()),
        ("life_risk", "emergency number \"15\" is a life-risk number: it cannot be set to false")
    );
    for number in ["17", "18", "112", "114"] {
        assert_eq!(number_refused(NumberOverride { life_risk: Some(false), ..o(number) }).0, "life_risk");
    }
    let kind = Some(NumberKind::Orientation);
    assert_eq!(number_refused(NumberOverride { kind, ..o("3114") }).0, "kind");
    assert_eq!(number_refused(NumberOverride { channel: Some(Channel::Voice), ..o("114") }).0, "channel");
    assert_eq!(number_refused(o("")).0, "number");
    assert_eq!(number_refused(o("15 ")).0, "number");
    assert_eq!(number_refused(NumberOverride { label_en: Some(" ".into()), ..o("15") }).0, "label_en");
    assert_eq!(number_refused(NumberOverride { hours_en: Some(String::new()), ..o("119") }).0, "hours_en");
}

fn rule_refused(o: RuleOverride) -> (&'static str, String) {
    let err = Rules::builtin().with_overrides(&[o], &Directory::builtin()).unwrap_err();
    (err.field, err.to_string())
}

#[test]
fn rule_overrides_never_narrow_a_rule() {
    let o = |name: &str| RuleOverride { name: name.into(), ..Default::default() };
    let numbers = |numbers: &[&str]| Some(numbers.iter().map(|n| (*n).to_owned()).collect());
    let (field, why) = rule_refused(RuleOverride { numbers: numbers(&["112"]), ..o("life_at_risk") });
    assert_eq!(field, "numbers");
    assert!(why.contains("must keep prompting \"15\""), "{why}");
    assert_eq!(rule_refused(RuleOverride { numbers: numbers(&[]), ..o("violence_now") }).0, "numbers");
    let when = Some(vec![Condition { situation: Some(Situation::ActInProgress), ..Default::default() }]);
    assert_eq!(rule_refused(RuleOverride { when, ..o("life_at_risk") }).0, "when");
    let new = |numbers, when| RuleOverride {
        numbers,
        when: Some(when),
        advice_fr: Some("…".into()),
        advice_en: Some("…".into()),
        ..o("new")
    };
    let cannot_speak = vec![Condition { situation: Some(Situation::CannotSpeak), ..Default::default() }];
    assert_eq!(rule_refused(new(numbers(&[]), cannot_speak.clone())).0, "numbers");
    assert_eq!(rule_refused(new(numbers(&["114"]), vec![])).0, "when");
    let never = vec![Condition::default()];
    assert_eq!(rule_refused(new(numbers(&["114"]), never)).0, "when");
    let (field, why) = rule_refused(RuleOverride { asks_rud: Some(false), ..o("suicidal_ideation") });
    assert_eq!(
        (field, why.as_str()),
        ("asks_rud", "emergency rule \"suicidal_ideation\" asks for the RUD grid: it cannot be set to false")
    );
    let theme = Condition { theme: Some("idées suicidaires".into()), ..Default::default() };
    let (field, why) = rule_refused(RuleOverride { when: Some(vec![theme]), ..o("suicidal_ideation") });
    assert_eq!(field, "when");
    assert!(why.contains("drops its condition { situation = \"suicidal_ideation\" }"), "{why}");
    let advice = RuleOverride { advice_fr: Some(String::new()), ..o("elder_abuse") };
    assert_eq!(rule_refused(advice).0, "advice_fr");
    assert_eq!(
        rule_refused(RuleOverride { name: " ".into(), ..new(numbers(&["114"]), cannot_speak) }).0,
        "name"
    );
}

#[test]
fn builtin_directory_has_every_french_emergency_number() {
    let directory = Directory::builtin();
    for number in ["15", "17", "18", "112", "114", "3114"] {
        assert_eq!(directory.get(number).map(|e| e.kind), Some(NumberKind::Emergency), "{number}");
    }
    for number in ["119", "3919", "3977", "3018"] {
        assert_eq!(directory.get(number).map(|e| e.kind), Some(NumberKind::Orientation), "{number}");
    }
    // 114 is never a voice line.
    assert_eq!(directory.get("114").unwrap().channel, Channel::SmsVideoText);
}
