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

/// A refused override: which entry of the config's list, which of its fields, what it names
/// and why (the config turns the entry and field into a line, and says it in the reader's
/// language).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject} {why}")]
pub struct OverrideError {
    /// The entry's place in `[[emergency.number]]` or `[[emergency.rule]]`, from 0.
    pub index: usize,
    pub field: &'static str,
    pub subject: OverrideSubject,
    pub why: OverrideRefusal,
}

/// The number or rule an override names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideSubject {
    #[error("emergency number {0:?}")]
    Number(String),
    #[error("emergency rule {0:?}")]
    Rule(String),
}

/// Why an override is refused: it would weaken a protection, or leave a blank.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideRefusal {
    #[error("must not be empty or have spaces around it")]
    NumberBlank,
    #[error("needs `{0}`")]
    Needs(&'static str),
    #[error("is a life-risk number: it cannot be set to false")]
    LifeRiskStays,
    #[error("is an emergency number: its kind cannot change")]
    KindStays,
    #[error("is a life-risk number: its channel cannot change")]
    ChannelStays,
    #[error("must not be empty")]
    Empty,
    #[error("asks for the RUD grid: it cannot be set to false")]
    AsksRudStays,
    #[error("needs at least one condition")]
    NoCondition,
    #[error("has a condition with no field: it never holds")]
    ConditionNeverHolds,
    /// The condition, as it is written in the configuration.
    #[error("drops its condition {0}: conditions may be added, not removed")]
    DropsCondition(String),
    #[error("needs at least one number")]
    NoNumber,
    #[error("prompts {0:?}, which is not in the directory")]
    UnknownNumber(String),
    #[error("must keep prompting {0:?}, an emergency number: numbers may be added, not removed")]
    KeepsNumber(String),
}

/// One override being applied: refusals name it ("emergency number \"15\" …").
struct Entry {
    index: usize,
    subject: OverrideSubject,
}

impl Entry {
    fn refuse(&self, field: &'static str, why: OverrideRefusal) -> OverrideError {
        OverrideError { index: self.index, field, subject: self.subject.clone(), why }
    }

    /// Takes `field` from the override, else from the existing value, else fails naming it.
    fn merged<T: Clone>(
        &self,
        new: &Option<T>,
        old: Option<&T>,
        field: &'static str,
    ) -> Result<T, OverrideError> {
        new.clone().or_else(|| old.cloned()).ok_or_else(|| self.refuse(field, OverrideRefusal::Needs(field)))
    }

    /// A listener reads these during a call: an empty one would show a blank where the
    /// help should be.
    fn non_empty(&self, fields: &[(&'static str, &str)]) -> Result<(), OverrideError> {
        match fields.iter().find(|(_, value)| value.trim().is_empty()) {
            Some((field, _)) => Err(self.refuse(field, OverrideRefusal::Empty)),
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
            let at = Entry { index, subject: OverrideSubject::Number(o.number.clone()) };
            // Spaces around it would make a new entry beside the built-in one, not change it.
            if o.number.trim().is_empty() || o.number.trim() != o.number {
                return Err(at.refuse("number", OverrideRefusal::NumberBlank));
            }
            let old = self.get(&o.number).cloned();
            let old = old.as_ref();
            if let Some(old) = old {
                if old.life_risk && o.life_risk == Some(false) {
                    return Err(at.refuse("life_risk", OverrideRefusal::LifeRiskStays));
                }
                if old.kind == NumberKind::Emergency && o.kind.is_some_and(|k| k != NumberKind::Emergency) {
                    return Err(at.refuse("kind", OverrideRefusal::KindStays));
                }
                if old.life_risk && o.channel.is_some_and(|c| c != old.channel) {
                    return Err(at.refuse("channel", OverrideRefusal::ChannelStays));
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
            let at = Entry { index, subject: OverrideSubject::Rule(o.name.clone()) };
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
                return Err(at.refuse("asks_rud", OverrideRefusal::AsksRudStays));
            }
            if rule.when.is_empty() {
                return Err(at.refuse("when", OverrideRefusal::NoCondition));
            }
            if rule.when.iter().any(Condition::is_empty) {
                return Err(at.refuse("when", OverrideRefusal::ConditionNeverHolds));
            }
            let kept = |c: &&Condition| rule.when.iter().any(|new| new.same_as(c));
            if let Some(dropped) = old.and_then(|old| old.when.iter().find(|c| !kept(c))) {
                return Err(at.refuse("when", OverrideRefusal::DropsCondition(dropped.describe())));
            }
            if rule.numbers.is_empty() {
                return Err(at.refuse("numbers", OverrideRefusal::NoNumber));
            }
            if let Some(number) = rule.numbers.iter().find(|n| directory.get(n).is_none()) {
                return Err(at.refuse("numbers", OverrideRefusal::UnknownNumber(number.clone())));
            }
            let protected = |n: &&String| {
                directory.get(n).is_some_and(|e| e.life_risk || e.kind == NumberKind::Emergency)
            };
            if let Some(number) =
                old.and_then(|old| old.numbers.iter().filter(protected).find(|n| !rule.numbers.contains(n)))
            {
                return Err(at.refuse("numbers", OverrideRefusal::KeepsNumber(number.clone())));
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
mod tests;
