//! The directory of emergency and orientation numbers: data built into the binary
//! (`assets/emergency.toml`), which the configuration may extend.

use serde::Deserialize;

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

#[cfg(test)]
mod tests {
    use super::*;

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
