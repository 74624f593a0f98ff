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
