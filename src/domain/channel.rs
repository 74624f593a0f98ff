//! The channel a contact comes in by: the telephone (the default), or a written one — e-mail,
//! chat, SMS, letter — from `assets/channels.toml`, which the configuration may extend. A
//! channel is stored as its id; an id no list knows (a channel a config once added) is still
//! shown, as itself.

use serde::Deserialize;

use super::stored_enum;

/// The channel of every contact taken without choosing one, and of every contact saved before
/// channels existed (migration 12).
pub const PHONE: &str = "phone";

stored_enum! {
    /// How a contact's length is counted.
    ChannelKind {
        /// A call: from answering to hanging up.
        Voice = "voice",
        /// A start and an end, like a call (chat, SMS).
        Conversation = "conversation",
        /// A time spent, typed or timed while the contact is open (e-mail, letter), counted
        /// apart in length statistics.
        Written = "written",
    }
}

stored_enum! {
    /// What a reply due on the channel is sent to.
    AddressKind {
        /// A phone number, with the callback number's rules.
        Phone = "phone",
        Email = "email",
        /// One line as typed (a chat pseudonym, a postal address).
        Text = "text",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelEntry {
    pub id: String,
    pub kind: ChannelKind,
    pub address: AddressKind,
    pub label_fr: String,
    pub label_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channels {
    #[serde(rename = "channel")]
    pub entries: Vec<ChannelEntry>,
}

/// A channel the configuration cannot add.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelRefusal {
    #[error("a channel id is lower-case letters, digits and _, at most 32")]
    BadId,
    #[error("this channel exists already")]
    Exists,
    #[error("a channel needs a label in French and in English")]
    NoLabel,
}

impl Channels {
    pub fn builtin() -> Channels {
        toml::from_str(include_str!("../../assets/channels.toml")).expect("the built-in channels parse")
    }

    /// The built-in list with the configuration's channels after it: added only, so a stored
    /// id always keeps its meaning. The error names the index of the refused one.
    pub fn with_additions(mut self, added: &[ChannelEntry]) -> Result<Channels, (usize, ChannelRefusal)> {
        for (index, entry) in added.iter().enumerate() {
            let id_ok = !entry.id.is_empty()
                && entry.id.len() <= 32
                && entry.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !id_ok {
                return Err((index, ChannelRefusal::BadId));
            }
            if self.get(&entry.id).is_some() {
                return Err((index, ChannelRefusal::Exists));
            }
            if entry.label_fr.trim().is_empty() || entry.label_en.trim().is_empty() {
                return Err((index, ChannelRefusal::NoLabel));
            }
            self.entries.push(entry.clone());
        }
        Ok(self)
    }

    pub fn get(&self, id: &str) -> Option<&ChannelEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The channels a written contact may be: every one but the telephone, in order.
    pub fn written(&self) -> impl Iterator<Item = &ChannelEntry> {
        self.entries.iter().filter(|e| e.id != PHONE)
    }

    /// Its label in the reader's language; an unknown id is shown as itself.
    pub fn label<'a>(&'a self, id: &'a str, english: bool) -> &'a str {
        self.get(id).map_or(id, |e| if english { &e.label_en } else { &e.label_fr })
    }

    /// How a contact on `id` is timed; an unknown channel is timed like a call.
    pub fn kind(&self, id: &str) -> ChannelKind {
        self.get(id).map_or(ChannelKind::Voice, |e| e.kind)
    }

    /// What a reply on `id` is sent to; an unknown channel takes one line as typed.
    pub fn address(&self, id: &str) -> AddressKind {
        self.get(id).map_or(AddressKind::Text, |e| e.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(id: &str) -> ChannelEntry {
        ChannelEntry {
            id: id.into(),
            kind: ChannelKind::Conversation,
            address: AddressKind::Text,
            label_fr: "visio".into(),
            label_en: "video".into(),
        }
    }

    #[test]
    fn the_builtin_list_starts_with_the_phone_and_has_the_written_channels() {
        let channels = Channels::builtin();
        assert_eq!(channels.entries[0].id, PHONE);
        let written: Vec<&str> = channels.written().map(|e| e.id.as_str()).collect();
        assert_eq!(written, ["email", "chat", "sms", "letter"]);
        assert_eq!(channels.kind("chat"), ChannelKind::Conversation);
        assert_eq!(channels.kind("email"), ChannelKind::Written);
        assert_eq!(channels.kind("letter"), ChannelKind::Written);
        assert_eq!(channels.address("sms"), AddressKind::Phone);
        assert_eq!(channels.label("letter", false), "courrier");
        assert_eq!(channels.label("letter", true), "letter");
    }

    #[test]
    fn the_config_adds_channels_and_an_unknown_one_still_shows() {
        let channels = Channels::builtin().with_additions(&[added("visio")]).unwrap();
        assert_eq!(channels.label("visio", false), "visio");
        assert_eq!(channels.written().last().unwrap().id, "visio");
        // A channel a config once added, read from the data without that config.
        let builtin = Channels::builtin();
        assert_eq!(builtin.label("visio", false), "visio");
        assert_eq!(builtin.kind("visio"), ChannelKind::Voice);
        assert_eq!(builtin.address("visio"), AddressKind::Text);
    }

    #[test]
    fn the_config_cannot_change_a_channel_nor_add_a_bad_one() {
        let refused = |entry| Channels::builtin().with_additions(&[added("ok"), entry]).unwrap_err();
        assert_eq!(refused(added("email")), (1, ChannelRefusal::Exists));
        assert_eq!(refused(added("Visio")), (1, ChannelRefusal::BadId));
        assert_eq!(refused(added("")), (1, ChannelRefusal::BadId));
        assert_eq!(
            refused(ChannelEntry { label_en: " ".into(), ..added("visio") }),
            (1, ChannelRefusal::NoLabel)
        );
    }
}
