//! The directory of emergency and orientation numbers: data built into the binary
//! (`assets/emergency.toml`), which the configuration may extend.

use serde::Deserialize;

use super::call::{Rud, RudLevel};
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

stored_enum! {
    /// What the listener learns during a call that may call for a number.
    Situation {
        ActInProgress = "act_in_progress",
        ViolenceNow = "violence_now",
        FireGasAccident = "fire_gas_accident",
        CannotSpeak = "cannot_speak",
        SuicidalIdeation = "suicidal_ideation",
        ChildInDanger = "child_in_danger",
        ViolenceAgainstWoman = "violence_against_woman",
        ElderAbuse = "elder_abuse",
    }
}

/// One condition: every field given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub situation: Option<Situation>,
    /// The RUD urgency is one of these.
    #[serde(default)]
    pub urgency: Vec<RudLevel>,
}

impl Condition {
    fn holds(&self, situations: &[Situation], rud: &Rud) -> bool {
        let situation = self.situation.is_none_or(|s| situations.contains(&s));
        let urgency = self.urgency.is_empty() || rud.urgency.is_some_and(|u| self.urgency.contains(&u));
        situation && urgency && (self.situation.is_some() || !self.urgency.is_empty())
    }
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
    pub fn firing<'a>(&'a self, situations: &'a [Situation], rud: &'a Rud) -> impl Iterator<Item = &'a Rule> {
        self.rules.iter().filter(move |rule| rule.when.iter().any(|c| c.holds(situations, rud)))
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
}

/// Takes `field` from the override, else from the existing value, else fails naming it.
fn merged<T: Clone>(new: &Option<T>, old: Option<&T>, what: &str, field: &str) -> Result<T, String> {
    new.clone().or_else(|| old.cloned()).ok_or_else(|| format!("{what} needs `{field}`"))
}

impl Directory {
    /// The directory with the config's additions and changes applied.
    pub fn with_overrides(mut self, overrides: &[NumberOverride]) -> Result<Directory, String> {
        for o in overrides {
            let old = self.get(&o.number).cloned();
            let what = format!("emergency number {:?}", o.number);
            let old = old.as_ref();
            let entry = DirectoryEntry {
                number: o.number.clone(),
                kind: merged(&o.kind, old.map(|e| &e.kind), &what, "kind")?,
                label_fr: merged(&o.label_fr, old.map(|e| &e.label_fr), &what, "label_fr")?,
                label_en: merged(&o.label_en, old.map(|e| &e.label_en), &what, "label_en")?,
                use_fr: merged(&o.use_fr, old.map(|e| &e.use_fr), &what, "use_fr")?,
                use_en: merged(&o.use_en, old.map(|e| &e.use_en), &what, "use_en")?,
                channel: merged(&o.channel, old.map(|e| &e.channel), &what, "channel")?,
                life_risk: o.life_risk.or(old.map(|e| e.life_risk)).unwrap_or(false),
                hours_fr: merged(&o.hours_fr, old.map(|e| &e.hours_fr), &what, "hours_fr")?,
                hours_en: merged(&o.hours_en, old.map(|e| &e.hours_en), &what, "hours_en")?,
                verified_on: merged(&o.verified_on, old.map(|e| &e.verified_on), &what, "verified_on")?,
            };
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
    /// must be in `directory`.
    pub fn with_overrides(
        mut self,
        overrides: &[RuleOverride],
        directory: &Directory,
    ) -> Result<Rules, String> {
        for o in overrides {
            let old = self.get(&o.name).cloned();
            let what = format!("emergency rule {:?}", o.name);
            let old = old.as_ref();
            let rule = Rule {
                name: o.name.clone(),
                when: merged(&o.when, old.map(|r| &r.when), &what, "when")?,
                numbers: merged(&o.numbers, old.map(|r| &r.numbers), &what, "numbers")?,
                advice_fr: merged(&o.advice_fr, old.map(|r| &r.advice_fr), &what, "advice_fr")?,
                advice_en: merged(&o.advice_en, old.map(|r| &r.advice_en), &what, "advice_en")?,
            };
            match self.rules.iter_mut().find(|r| r.name == o.name) {
                Some(existing) => *existing = rule,
                None => self.rules.push(rule),
            }
        }
        for rule in &self.rules {
            if let Some(number) = rule.numbers.iter().find(|n| directory.get(n).is_none()) {
                return Err(format!(
                    "emergency rule {:?} prompts {number:?}, which is not in the directory",
                    rule.name
                ));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule, from what is recorded to exactly the numbers expected, nothing extra.
    #[test]
    fn rules_prompt_exactly_the_expected_numbers() {
        use Situation::*;
        let rules = Rules::builtin();
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
            (&[SuicidalIdeation], None, &[]),
            (&[SuicidalIdeation], Some(RudLevel::Low), &["3114"]),
            (&[SuicidalIdeation], Some(RudLevel::Medium), &["3114"]),
            (&[SuicidalIdeation], Some(RudLevel::High), &["15", "112"]),
            (&[ChildInDanger], None, &["119"]),
            (&[ViolenceAgainstWoman], None, &["3919"]),
            (&[ElderAbuse], None, &["3977"]),
            (&[ViolenceNow, CannotSpeak], None, &["17", "114"]),
            (&[ViolenceAgainstWoman, ChildInDanger], Some(RudLevel::High), &["15", "112", "119", "3919"]),
        ];
        for (situations, urgency, expected) in cases {
            let rud = rud(*urgency);
            let mut numbers: Vec<&str> =
                rules.firing(situations, &rud).flat_map(|r| r.numbers.iter().map(String::as_str)).collect();
            numbers.sort_by_key(|n| n.parse::<u32>().unwrap());
            assert_eq!(&numbers, expected, "{situations:?} with urgency {urgency:?}");
        }
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
        assert_eq!(incomplete, "emergency number \"0800 111 111\" needs `kind`");

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
        assert!(unknown.contains("\"0899\""), "{unknown}");
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
