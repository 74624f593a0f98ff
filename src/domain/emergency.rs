//! The directory of emergency and orientation numbers: data built into the binary
//! (`assets/emergency.toml`), which the configuration may extend.

use serde::Deserialize;

use super::assessment::{Rud, RudLevel, Situation};
use super::stored_enum;

stored_enum! {
    NumberKind {
        /// 15, 17, 18, 112, 114, 3114: a life may be at risk.
        Emergency = "emergency",
        /// 119, 3919, 3977, 3018…: services to orient the caller to.
        Orientation = "orientation",
    }
}

stored_enum! {
    Channel {
        Voice = "voice",
        /// 114: SMS, video, real-time text, app — never voice.
        SmsVideoText = "sms_video_text",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryEntry {
    pub number: String,
    pub kind: NumberKind,
    pub label_fr: String,
    pub label_en: String,
    pub use_fr: String,
    pub use_en: String,
    pub channel: Channel,
    /// A life may be at stake: raised as a red banner that must be acknowledged.
    #[serde(default)]
    pub life_risk: bool,
    pub hours_fr: String,
    pub hours_en: String,
    pub verified_on: chrono::NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    #[serde(rename = "number")]
    pub entries: Vec<DirectoryEntry>,
}

impl Directory {
    pub fn builtin() -> Directory {
        toml::from_str(include_str!("../../assets/emergency.toml")).expect("the built-in directory parses")
    }

    pub fn get(&self, number: &str) -> Option<&DirectoryEntry> {
        self.entries.iter().find(|e| e.number == number)
    }
}

/// One condition: every field given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub situation: Option<Situation>,
    /// One of the call's themes, as the config names it ("idées suicidaires").
    pub theme: Option<String>,
    /// The RUD urgency is one of these.
    #[serde(default)]
    pub urgency: Vec<RudLevel>,
    /// The RUD danger (lethality and access to the means) is one of these.
    #[serde(default)]
    pub danger: Vec<RudLevel>,
}

impl Condition {
    /// As the config writes it, for messages: `{ situation = "act_in_progress" }`.
    fn describe(&self) -> String {
        let levels = |levels: &[RudLevel]| {
            let levels: Vec<String> = levels.iter().map(|u| format!("\"{u}\"")).collect();
            format!("[{}]", levels.join(", "))
        };
        let mut fields = Vec::new();
        if let Some(situation) = self.situation {
            fields.push(format!("situation = \"{situation}\""));
        }
        if let Some(theme) = &self.theme {
            fields.push(format!("theme = {theme:?}"));
        }
        if !self.urgency.is_empty() {
            fields.push(format!("urgency = {}", levels(&self.urgency)));
        }
        if !self.danger.is_empty() {
            fields.push(format!("danger = {}", levels(&self.danger)));
        }
        format!("{{ {} }}", fields.join(", "))
    }

    /// The same condition, whatever the order of its levels.
    fn same_as(&self, other: &Condition) -> bool {
        let same = |a: &[RudLevel], b: &[RudLevel]| a.len() == b.len() && a.iter().all(|l| b.contains(l));
        self.situation == other.situation
            && self.theme == other.theme
            && same(&self.urgency, &other.urgency)
            && same(&self.danger, &other.danger)
    }

    /// No field at all: such a condition never holds (it is refused in the config).
    fn is_empty(&self) -> bool {
        self.situation.is_none() && self.theme.is_none() && self.urgency.is_empty() && self.danger.is_empty()
    }

    fn holds(&self, recorded: &Recorded) -> bool {
        let level = |wanted: &[RudLevel], rated: Option<RudLevel>| {
            wanted.is_empty() || rated.is_some_and(|l| wanted.contains(&l))
        };
        let situation = self.situation.is_none_or(|s| recorded.situations.contains(&s));
        let theme = self.theme.as_ref().is_none_or(|t| recorded.themes.contains(t));
        situation
            && theme
            && level(&self.urgency, recorded.rud.urgency)
            && level(&self.danger, recorded.rud.danger)
            && !self.is_empty()
    }
}

/// What the listener recorded during a call that the rules read.
#[derive(Debug, Clone, Copy)]
pub struct Recorded<'a> {
    pub situations: &'a [Situation],
    pub themes: &'a [String],
    pub rud: &'a Rud,
}

/// A rule: when any of its conditions holds, its numbers are prompted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    pub when: Vec<Condition>,
    pub numbers: Vec<String>,
    pub advice_fr: String,
    pub advice_en: String,
    /// The situation calls for the RUD grid: ending the call opens it once if a level is
    /// not rated.
    #[serde(default)]
    pub asks_rud: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(rename = "rule")]
    pub rules: Vec<Rule>,
}

impl Rules {
    pub fn builtin() -> Rules {
        toml::from_str(include_str!("../../assets/emergency_rules.toml")).expect("the built-in rules parse")
    }

    /// The rules that fire for what was recorded, in file order.
    pub fn firing<'a>(&'a self, recorded: Recorded<'a>) -> impl Iterator<Item = &'a Rule> {
        self.rules.iter().filter(move |rule| rule.when.iter().any(|c| c.holds(&recorded)))
    }

    /// Whether a rule that fires asks for the RUD grid and one of its levels is not rated.
    pub fn rud_missing(&self, recorded: Recorded) -> bool {
        let rud = recorded.rud;
        let unrated = rud.risk.is_none() || rud.urgency.is_none() || rud.danger.is_none();
        unrated && self.firing(recorded).any(|rule| rule.asks_rud)
    }

    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// A directory entry as the config writes it: a new number with every field, or an
/// existing one with only the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberOverride {
    pub number: String,
    pub kind: Option<NumberKind>,
    pub label_fr: Option<String>,
    pub label_en: Option<String>,
    pub use_fr: Option<String>,
    pub use_en: Option<String>,
    pub channel: Option<Channel>,
    pub life_risk: Option<bool>,
    pub hours_fr: Option<String>,
    pub hours_en: Option<String>,
    pub verified_on: Option<chrono::NaiveDate>,
}

/// A rule as the config writes it: a new rule with every field, or an existing one (by
/// name) with only the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    pub name: String,
    pub when: Option<Vec<Condition>>,
    pub numbers: Option<Vec<String>>,
    pub advice_fr: Option<String>,
    pub advice_en: Option<String>,
    pub asks_rud: Option<bool>,
}

/// A refused override: which entry of the config's list, which of its fields, and why (the
/// config turns the entry and field into a line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct OverrideError {
    /// The entry's place in `[[emergency.number]]` or `[[emergency.rule]]`, from 0.
    pub index: usize,
    pub field: &'static str,
    pub why: String,
}

/// One override being applied: refusals name it ("emergency number \"15\" …").
struct Entry {
    index: usize,
    what: String,
}

impl Entry {
    fn refuse(&self, field: &'static str, why: &str) -> OverrideError {
        OverrideError { index: self.index, field, why: format!("{} {why}", self.what) }
    }

    /// Takes `field` from the override, else from the existing value, else fails naming it.
    fn merged<T: Clone>(
        &self,
        new: &Option<T>,
        old: Option<&T>,
        field: &'static str,
    ) -> Result<T, OverrideError> {
        new.clone().or_else(|| old.cloned()).ok_or_else(|| self.refuse(field, &format!("needs `{field}`")))
    }

    /// A listener reads these during a call: an empty one would show a blank where the
    /// help should be.
    fn non_empty(&self, fields: &[(&'static str, &str)]) -> Result<(), OverrideError> {
        match fields.iter().find(|(_, value)| value.trim().is_empty()) {
            Some((field, _)) => Err(self.refuse(field, "must not be empty")),
            None => Ok(()),
        }
    }
}

impl Directory {
    /// The directory with the config's additions and changes applied. Overrides may add
    /// numbers and reword text, never remove protection: a life-risk number stays life-risk,
    /// an emergency number stays one, and a life-risk number keeps its channel (114 is never
    /// voice).
    pub fn with_overrides(mut self, overrides: &[NumberOverride]) -> Result<Directory, OverrideError> {
        for (index, o) in overrides.iter().enumerate() {
            let at = Entry { index, what: format!("emergency number {:?}", o.number) };
            // Spaces around it would make a new entry beside the built-in one, not change it.
            if o.number.trim().is_empty() || o.number.trim() != o.number {
                return Err(at.refuse("number", "must not be empty or have spaces around it"));
            }
            let old = self.get(&o.number).cloned();
            let old = old.as_ref();
            if let Some(old) = old {
                if old.life_risk && o.life_risk == Some(false) {
                    return Err(at.refuse("life_risk", "is a life-risk number: it cannot be set to false"));
                }
                if old.kind == NumberKind::Emergency && o.kind.is_some_and(|k| k != NumberKind::Emergency) {
                    return Err(at.refuse("kind", "is an emergency number: its kind cannot change"));
                }
                if old.life_risk && o.channel.is_some_and(|c| c != old.channel) {
                    return Err(at.refuse("channel", "is a life-risk number: its channel cannot change"));
                }
            }
            let entry = DirectoryEntry {
                number: o.number.clone(),
                kind: at.merged(&o.kind, old.map(|e| &e.kind), "kind")?,
                label_fr: at.merged(&o.label_fr, old.map(|e| &e.label_fr), "label_fr")?,
                label_en: at.merged(&o.label_en, old.map(|e| &e.label_en), "label_en")?,
                use_fr: at.merged(&o.use_fr, old.map(|e| &e.use_fr), "use_fr")?,
                use_en: at.merged(&o.use_en, old.map(|e| &e.use_en), "use_en")?,
                channel: at.merged(&o.channel, old.map(|e| &e.channel), "channel")?,
                life_risk: o.life_risk.or(old.map(|e| e.life_risk)).unwrap_or(false),
                hours_fr: at.merged(&o.hours_fr, old.map(|e| &e.hours_fr), "hours_fr")?,
                hours_en: at.merged(&o.hours_en, old.map(|e| &e.hours_en), "hours_en")?,
                verified_on: at.merged(&o.verified_on, old.map(|e| &e.verified_on), "verified_on")?,
            };
            at.non_empty(&[
                ("label_fr", &entry.label_fr),
                ("label_en", &entry.label_en),
                ("use_fr", &entry.use_fr),
                ("use_en", &entry.use_en),
                ("hours_fr", &entry.hours_fr),
                ("hours_en", &entry.hours_en),
            ])?;
            match self.entries.iter_mut().find(|e| e.number == o.number) {
                Some(existing) => *existing = entry,
                None => self.entries.push(entry),
            }
        }
        Ok(self)
    }
}

impl Rules {
    /// The rules with the config's additions and changes applied; every number a rule names
    /// must be in `directory`. Overrides may add rules, conditions and numbers and reword
    /// advice, never narrow a rule: an existing rule keeps each of its conditions and each
    /// emergency number it prompts, and every rule prompts at least one number on at least one
    /// condition that can hold.
    pub fn with_overrides(
        mut self,
        overrides: &[RuleOverride],
        directory: &Directory,
    ) -> Result<Rules, OverrideError> {
        for (index, o) in overrides.iter().enumerate() {
            let at = Entry { index, what: format!("emergency rule {:?}", o.name) };
            at.non_empty(&[("name", &o.name)])?;
            let old = self.get(&o.name).cloned();
            let old = old.as_ref();
            let rule = Rule {
                name: o.name.clone(),
                when: at.merged(&o.when, old.map(|r| &r.when), "when")?,
                numbers: at.merged(&o.numbers, old.map(|r| &r.numbers), "numbers")?,
                advice_fr: at.merged(&o.advice_fr, old.map(|r| &r.advice_fr), "advice_fr")?,
                advice_en: at.merged(&o.advice_en, old.map(|r| &r.advice_en), "advice_en")?,
                asks_rud: o.asks_rud.or(old.map(|r| r.asks_rud)).unwrap_or(false),
            };
            if old.is_some_and(|old| old.asks_rud && !rule.asks_rud) {
                return Err(at.refuse("asks_rud", "asks for the RUD grid: it cannot be set to false"));
            }
            if rule.when.is_empty() {
                return Err(at.refuse("when", "needs at least one condition"));
            }
            if rule.when.iter().any(Condition::is_empty) {
                return Err(at.refuse("when", "has a condition with no field: it never holds"));
            }
            let kept = |c: &&Condition| rule.when.iter().any(|new| new.same_as(c));
            if let Some(dropped) = old.and_then(|old| old.when.iter().find(|c| !kept(c))) {
                return Err(at.refuse(
                    "when",
                    &format!(
                        "drops its condition {}: conditions may be added, not removed",
                        dropped.describe()
                    ),
                ));
            }
            if rule.numbers.is_empty() {
                return Err(at.refuse("numbers", "needs at least one number"));
            }
            if let Some(number) = rule.numbers.iter().find(|n| directory.get(n).is_none()) {
                return Err(
                    at.refuse("numbers", &format!("prompts {number:?}, which is not in the directory"))
                );
            }
            let protected = |n: &&String| {
                directory.get(n).is_some_and(|e| e.life_risk || e.kind == NumberKind::Emergency)
            };
            if let Some(number) =
                old.and_then(|old| old.numbers.iter().filter(protected).find(|n| !rule.numbers.contains(n)))
            {
                return Err(at.refuse(
                    "numbers",
                    &format!("must keep prompting {number:?}, an emergency number: numbers may be added, not removed"),
                ));
            }
            at.non_empty(&[("advice_fr", &rule.advice_fr), ("advice_en", &rule.advice_en)])?;
            match self.rules.iter_mut().find(|r| r.name == o.name) {
                Some(existing) => *existing = rule,
                None => self.rules.push(rule),
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
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
        assert!(unknown.why.contains("\"0899\"") && unknown.field == "numbers", "{unknown}");
    }

    /// The field refused and the message, for one number override.
    fn number_refused(o: NumberOverride) -> (&'static str, String) {
        // A fine override first, so that the index points at the refused one.
        let reword =
            NumberOverride { number: "3977".into(), hours_fr: Some("lun-sam".into()), ..Default::default() };
        let err = Directory::builtin().with_overrides(&[reword, o]).unwrap_err();
        assert_eq!(err.index, 1);
        (err.field, err.why)
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
        assert_eq!(
            number_refused(NumberOverride { hours_en: Some(String::new()), ..o("119") }).0,
            "hours_en"
        );
    }

    fn rule_refused(o: RuleOverride) -> (&'static str, String) {
        let err = Rules::builtin().with_overrides(&[o], &Directory::builtin()).unwrap_err();
        (err.field, err.why)
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
            (
                "asks_rud",
                "emergency rule \"suicidal_ideation\" asks for the RUD grid: it cannot be set to false"
            )
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
}
