//! The configuration file (TOML). Every key has a built-in default, documented in
//! `config.example.toml`; an unknown key or a wrong type is an error naming the key and line.

use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveTime};
use serde::Deserialize;

use crate::domain::Timestamp;
use crate::domain::channel::{ChannelEntry, ChannelRefusal, Channels};
use crate::domain::emergency::{
    Directory, NumberOverride, OverrideError, OverrideRefusal, OverrideSubject, RuleOverride, Rules,
};
use crate::domain::opening_hours::{BadInterval, OpeningHours};
use crate::domain::statistics::{StatsPeriod, StatsRequest};
use crate::i18n::{Language, Phrase, Strings};
use crate::local_time::Zone;

use crate::keymap::{KeyOverrides, Keymap, KeymapRefusal};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The database file, or a PostgreSQL server's `postgresql://` URL; `--db` wins over it,
    /// the platform data folder is the default.
    pub database: Option<PathBuf>,
    pub language: Language,
    /// The IANA zone every time a person reads or types is in (`Europe/Paris`); instants are
    /// kept in UTC and converted as they are shown (`local_time`).
    #[serde(deserialize_with = "timezone")]
    pub timezone: Zone,
    /// Minutes without a key before the screen locks, outside a call.
    pub idle_lock_minutes: u32,
    /// The same during a call: a listener may listen a long time without typing.
    pub idle_lock_minutes_in_call: u32,
    /// The retention period proposed to `init` (and to the demo); afterwards the centre's
    /// setting in the store applies (`domain::settings`), never this.
    pub retention_days: u32,
    /// The themes a call can be tagged with, in the order shown.
    pub themes: Vec<String>,
    pub callback_presets: Vec<CallbackPreset>,
    /// A failed callback attempt moves the callback this many minutes later.
    pub callback_retry_minutes: u32,
    /// After this many failed attempts a callback is flagged for a supervisor.
    pub callback_max_attempts: u32,
    pub export: ExportConfig,
    /// Key bindings over the built-in keymap, one `[keys.<context>]` table per `keymap::Context`.
    pub keys: KeyOverrides,
    /// Additions and changes to the emergency directory and prompting rules.
    pub emergency: EmergencyConfig,
    /// Channels added to `assets/channels.toml` (`[[channels]]`): added only, never changed.
    pub channels: Vec<ChannelEntry>,
    /// The phone system the calls come from; none by default (calls are taken by hand).
    pub phone: PhoneConfig,
    /// The line's opening hours, per weekday (`[opening_hours]`); none by default, and then the
    /// statistics show no coverage.
    pub opening_hours: OpeningHoursConfig,
}

/// `[opening_hours]`: each weekday's ranges of local time, `"09:00-12:30"` (`"24:00"` ends a
/// range at midnight; a night across midnight is two ranges, one each day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpeningHoursConfig {
    pub monday: Vec<String>,
    pub tuesday: Vec<String>,
    pub wednesday: Vec<String>,
    pub thursday: Vec<String>,
    pub friday: Vec<String>,
    pub saturday: Vec<String>,
    pub sunday: Vec<String>,
}

impl OpeningHoursConfig {
    /// Each weekday's key and ranges, Monday first.
    fn days(&self) -> [(&'static str, &Vec<String>); 7] {
        [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ]
    }
}

/// `[phone]`: where the phone's events come from (`phone`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PhoneConfig {
    /// `"baresip"`, or none: the terminal works by hand.
    pub source: Option<PhoneSourceKind>,
    /// baresip's `ctrl_tcp_listen` (`host:port`).
    pub address: String,
    /// What is dialled for a callback number: `{number}` is replaced (baresip completes a bare
    /// number with its account's domain).
    pub dial: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneSourceKind {
    Baresip,
}

impl Default for PhoneConfig {
    fn default() -> Self {
        PhoneConfig { source: None, address: "127.0.0.1:4444".into(), dial: "{number}".into() }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmergencyConfig {
    pub number: Vec<NumberOverride>,
    pub rule: Vec<RuleOverride>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: None,
            language: Language::Fr,
            timezone: Zone::default(),
            idle_lock_minutes: 5,
            idle_lock_minutes_in_call: 45,
            retention_days: 730,
            themes: DEFAULT_THEMES.iter().map(|t| (*t).to_owned()).collect(),
            callback_presets: vec![
                CallbackPreset { in_minutes: Some(30), next_day_at: None },
                CallbackPreset { in_minutes: Some(120), next_day_at: None },
                CallbackPreset { in_minutes: None, next_day_at: Some("09:00".into()) },
            ],
            callback_retry_minutes: 120,
            callback_max_attempts: 3,
            export: ExportConfig::default(),
            keys: KeyOverrides::new(),
            emergency: EmergencyConfig::default(),
            channels: Vec::new(),
            phone: PhoneConfig::default(),
            opening_hours: OpeningHoursConfig::default(),
        }
    }
}

const DEFAULT_THEMES: &[&str] = &[
    "isolement",
    "souffrance psychique",
    "idées suicidaires",
    "deuil",
    "violences conjugales",
    "maltraitance",
    "harcèlement",
    "addictions",
    "santé",
    "famille",
    "travail et précarité",
    "logement",
    "autre",
];

// Bounds on every number (documented in `config.example.toml`). The upper ones keep a safety
// setting within reason and time arithmetic far from overflow: a retention of u32::MAX days
// would panic when the purge computes its cutoff.
/// 4 hours: longer, an unattended screen shows callers' notes.
const IDLE_LOCK_MINUTES: (u32, u32) = (1, 240);
/// From `idle_lock_minutes` (checked apart) to 8 hours, a long night shift.
const IDLE_LOCK_MINUTES_IN_CALL: (u32, u32) = (1, 480);
/// Up to 100 years: legal holds and policies vary, but a bound there must be.
const RETENTION_DAYS: (u32, u32) = (1, 36_500);
/// Up to a week, the longest a caller should wait for a retry.
const CALLBACK_RETRY_MINUTES: (u32, u32) = (1, 10_080);
/// Past 20 failed attempts a supervisor must have looked at it.
const CALLBACK_MAX_ATTEMPTS: (u32, u32) = (1, 20);
/// Up to a week.
const PRESET_IN_MINUTES: (u32, u32) = (1, 10_080);

/// A one-key due time offered when scheduling a callback: either `in_minutes` from now or
/// the next day at `next_day_at` ("HH:MM", local time).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackPreset {
    pub in_minutes: Option<u32>,
    pub next_day_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportConfig {
    /// Where exports are written; the `exports` folder beside the database when unset.
    pub directory: Option<PathBuf>,
    /// age X25519 public keys (`age1…`): when any is set, exports are encrypted to them.
    pub recipients: Vec<String>,
}

/// A configuration that cannot be used: said in the reader's language, naming the file, and
/// the key and its line when one is at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // Without its cause, which `source` carries (an error chain says it once).
    #[error("{}", Phrase::new(|s| &s.cli.config_unreadable).with("path", path.display()))]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", self.phrase())]
    Invalid { path: PathBuf, message: Phrase },
}

impl ConfigError {
    /// What is wrong, in words.
    pub fn phrase(&self) -> Phrase {
        match self {
            ConfigError::Read { path, source } => {
                let source = std::io::Error::new(source.kind(), source.to_string());
                Phrase::new(|s| &s.cli.config_unreadable).with("path", path.display()).because(source)
            }
            ConfigError::Invalid { path, message } => Phrase::new(|s| &s.cli.config_file)
                .with("path", path.display())
                .with_phrase("why", message.clone()),
        }
    }

    /// The language the file asks for, when it says so even though it is refused: its errors
    /// are then said in it.
    pub fn language(text: &str) -> Option<Language> {
        let from_line = |line: &str| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "language").then(|| value.trim().trim_matches(['"', '\'']).to_owned())
        };
        // A whole table when the file parses; otherwise the line that sets it, outside tables.
        let value = match text.parse::<toml::Table>() {
            Ok(table) => table.get("language")?.as_str()?.to_owned(),
            Err(_) => text.lines().take_while(|l| !l.trim_start().starts_with('[')).find_map(from_line)?,
        };
        match value.as_str() {
            "fr" => Some(Language::Fr),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

impl Config {
    /// How failed callback attempts are followed up.
    pub fn retry_policy(&self) -> crate::domain::callback::RetryPolicy {
        crate::domain::callback::RetryPolicy {
            retry_after: chrono::Duration::minutes(self.callback_retry_minutes.into()),
            max_failed_attempts: self.callback_max_attempts,
        }
    }

    /// Loads `--config PATH` if given (it must exist), else the platform config file if it
    /// exists, else the built-in defaults. Returns the file read, if any.
    pub fn load(
        explicit: Option<&Path>,
        default_path: Option<&Path>,
    ) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let path = match (explicit, default_path) {
            (Some(path), _) => path.to_owned(),
            (None, Some(path)) if path.exists() => path.to_owned(),
            (None, _) => return Ok((Config::default(), None)),
        };
        let read = |source| ConfigError::Read { path: path.clone(), source };
        let bytes = crate::bounded_read::read_regular_file(&path, 1 << 20).map_err(read)?;
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::Invalid {
            path: path.clone(),
            message: Phrase::new(|s| &s.cli.config_not_utf8),
        })?;
        let config =
            Config::parse(&text).map_err(|message| ConfigError::Invalid { path: path.clone(), message })?;
        Ok((config, Some(path)))
    }

    /// The language a configuration file asks for, read leniently: the errors of a file that is
    /// refused are said in the language it asks for, when it says so. French otherwise.
    pub fn language_of(explicit: Option<&Path>, default_path: Option<&Path>) -> Language {
        let path = match (explicit, default_path) {
            (Some(path), _) => path,
            (None, Some(path)) => path,
            (None, None) => return Language::default(),
        };
        crate::bounded_read::read_regular_file(path, 1 << 20)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| ConfigError::language(&text))
            .unwrap_or_default()
    }

    /// Parses and validates; the error names the key and its line.
    pub fn parse(text: &str) -> Result<Config, Phrase> {
        let config: Config = toml::from_str(text).map_err(|e| toml_refusal(text, &e))?;
        config.validate(text)?;
        Ok(config)
    }

    fn validate(&self, text: &str) -> Result<(), Phrase> {
        let fail = |key: &str, why: Phrase| Err(at(line_of(text, key), key, why));
        let bounded = |key: &str, value: u32, (min, max): (u32, u32)| match value {
            v if v < min => fail(key, Phrase::new(|s| &s.cli.config_at_least).with("min", min)),
            v if v > max => fail(key, Phrase::new(|s| &s.cli.config_at_most).with("max", max)),
            _ => Ok(()),
        };
        bounded("idle_lock_minutes", self.idle_lock_minutes, IDLE_LOCK_MINUTES)?;
        if self.idle_lock_minutes_in_call < self.idle_lock_minutes {
            return fail("idle_lock_minutes_in_call", Phrase::new(|s| &s.cli.config_in_call_shorter));
        }
        bounded("idle_lock_minutes_in_call", self.idle_lock_minutes_in_call, IDLE_LOCK_MINUTES_IN_CALL)?;
        bounded("retention_days", self.retention_days, RETENTION_DAYS)?;
        bounded("callback_retry_minutes", self.callback_retry_minutes, CALLBACK_RETRY_MINUTES)?;
        bounded("callback_max_attempts", self.callback_max_attempts, CALLBACK_MAX_ATTEMPTS)?;
        if self.themes.is_empty() {
            return fail("themes", Phrase::new(|s| &s.cli.config_no_theme));
        }
        let mut seen = std::collections::HashSet::new();
        for theme in &self.themes {
            if theme.trim().is_empty() {
                return fail("themes", Phrase::new(|s| &s.cli.config_empty_theme));
            }
            if !seen.insert(theme) {
                return fail(
                    "themes",
                    Phrase::new(|s| &s.cli.config_theme_twice).with("theme", format!("{theme:?}")),
                );
            }
        }
        for (index, preset) in self.callback_presets.iter().enumerate() {
            let fail = |key: &str, why: Phrase| {
                Err(at(line_in_table(text, "[[callback_presets]]", index, key), key, why))
            };
            match (preset.in_minutes, &preset.next_day_at) {
                (Some(minutes), None) if minutes < PRESET_IN_MINUTES.0 => {
                    return fail(
                        "in_minutes",
                        Phrase::new(|s| &s.cli.config_at_least).with("min", PRESET_IN_MINUTES.0),
                    );
                }
                (Some(minutes), None) if minutes > PRESET_IN_MINUTES.1 => {
                    return fail(
                        "in_minutes",
                        Phrase::new(|s| &s.cli.config_at_most).with("max", PRESET_IN_MINUTES.1),
                    );
                }
                (Some(_), None) => {}
                (None, Some(time)) => {
                    if NaiveTime::parse_from_str(time, "%H:%M").is_err() {
                        return fail(
                            "next_day_at",
                            Phrase::new(|s| &s.cli.config_bad_time).with("time", format!("{time:?}")),
                        );
                    }
                }
                _ => return fail("callback_presets", Phrase::new(|s| &s.cli.config_preset_one_of)),
            }
        }
        for (day, ranges) in self.opening_hours.days() {
            if let Err((interval, why)) = OpeningHours::parse_day(ranges) {
                let interval = format!("{interval:?}");
                let why = match why {
                    BadInterval::Form => Phrase::new(|s| &s.cli.config_opening_form),
                    BadInterval::Backwards => Phrase::new(|s| &s.cli.config_opening_backwards),
                    BadInterval::Overlaps => Phrase::new(|s| &s.cli.config_opening_overlaps),
                };
                return Err(at(
                    line_in_table(text, "[opening_hours]", 0, day),
                    day,
                    why.with("interval", interval),
                ));
            }
        }
        if !self.phone.dial.contains("{number}") {
            return fail("dial", Phrase::new(|s| &s.cli.config_dial_without_number));
        }
        for recipient in &self.export.recipients {
            if recipient.parse::<age::x25519::Recipient>().is_err() {
                return fail(
                    "recipients",
                    Phrase::new(|s| &s.cli.config_bad_recipient).with("recipient", format!("{recipient:?}")),
                );
            }
        }
        if let Err((index, why)) = Channels::builtin().with_additions(&self.channels) {
            let (field, why) = match why {
                ChannelRefusal::BadId => ("id", Phrase::new(|s| &s.cli.config_channel_bad_id)),
                ChannelRefusal::Exists => ("id", Phrase::new(|s| &s.cli.config_channel_exists)),
                ChannelRefusal::NoLabel => ("label_fr", Phrase::new(|s| &s.cli.config_channel_no_label)),
            };
            return Err(at(line_in_table(text, "[[channels]]", index, field), field, why));
        }
        let refused = |table: &str, e: OverrideError| {
            at(line_in_table(text, table, e.index, e.field), e.field, override_refusal(&e))
        };
        let directory = Directory::builtin()
            .with_overrides(&self.emergency.number)
            .map_err(|e| refused("[[emergency.number]]", e))?;
        Rules::builtin()
            .with_overrides(&self.emergency.rule, &directory)
            .map_err(|e| refused("[[emergency.rule]]", e))?;
        if let Err(e) = Keymap::new(&self.keys) {
            let table = format!("[keys.{}]", e.context);
            let why = keymap_refusal(&e.why);
            return Err(match &e.key {
                Some(key) => at(line_in_table(text, &table, 0, key), key, why),
                None => match table_start(text, &table, 0) {
                    Some(line) => Phrase::new(|s| &s.cli.config_at_table)
                        .with("line", line + 1)
                        .with("table", &table)
                        .with_phrase("why", why),
                    None => {
                        Phrase::new(|s| &s.cli.config_in_table).with("table", &table).with_phrase("why", why)
                    }
                },
            });
        }
        Ok(())
    }

    /// The emergency directory and rules this configuration asks for.
    pub fn emergency(&self) -> Result<(Directory, Rules), String> {
        let directory =
            Directory::builtin().with_overrides(&self.emergency.number).map_err(|e| e.to_string())?;
        let rules =
            Rules::builtin().with_overrides(&self.emergency.rule, &directory).map_err(|e| e.to_string())?;
        Ok((directory, rules))
    }

    /// The channels of `assets/channels.toml` and those this configuration adds (validated
    /// when the file was parsed).
    pub fn channels(&self) -> Channels {
        Channels::builtin().with_additions(&self.channels).expect("validated with the configuration")
    }

    /// The line's opening hours (validated when the file was parsed).
    pub fn opening_hours(&self) -> OpeningHours {
        let mut hours = OpeningHours::default();
        for (i, (_, ranges)) in self.opening_hours.days().into_iter().enumerate() {
            hours.days[i] = OpeningHours::parse_day(ranges).unwrap_or_default();
        }
        hours
    }

    /// Statistics of `period` as this configuration reads them (its zone, its opening hours),
    /// made at `now`.
    pub fn statistics_of(&self, period: StatsPeriod, now: Timestamp) -> StatsRequest {
        StatsRequest { period, zone: self.timezone, opening: self.opening_hours(), now }
    }

    /// The keymap this configuration asks for (validated when the file was parsed).
    pub fn keymap(&self) -> Keymap {
        Keymap::new(&self.keys).expect("validated with the configuration")
    }
}

/// Starts serde's message for a `timezone` that names no zone, so that `toml_refusal` says it
/// in the reader's language (serde's message gives the line).
const NOT_A_ZONE: &str = "not a time zone: ";

fn timezone<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Zone, D::Error> {
    let name = String::deserialize(deserializer)?;
    name.parse().map_err(|_| serde::de::Error::custom(format!("{NOT_A_ZONE}{name:?}")))
}

/// When a callback scheduled with `preset` at `now` falls due (next-day times are local).
pub fn preset_due(preset: &CallbackPreset, now: Timestamp, zone: Zone) -> Timestamp {
    if let Some(minutes) = preset.in_minutes {
        return now + Duration::minutes(minutes.into());
    }
    let time = preset
        .next_day_at
        .as_deref()
        .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
        .unwrap_or(NaiveTime::MIN);
    let tomorrow = zone.today(now) + Duration::days(1);
    zone.instant(tomorrow.and_time(time))
}

/// How a preset reads in the callback form: "dans 30 min", "demain à 09:00".
pub fn preset_label(preset: &CallbackPreset, strings: &Strings) -> String {
    match (preset.in_minutes, &preset.next_day_at) {
        (Some(minutes), _) if minutes % 60 == 0 => {
            strings.fill(&strings.preset_in_hours, &[("hours", &(minutes / 60).to_string())])
        }
        (Some(minutes), _) => strings.fill(&strings.preset_in_minutes, &[("minutes", &minutes.to_string())]),
        (None, Some(time)) => strings.fill(&strings.preset_tomorrow_at, &[("time", time)]),
        (None, None) => String::new(),
    }
}

/// "line N, key `k`: why", or without the line when no line sets the key (a default that
/// another key contradicts).
fn at(line: Option<usize>, key: &str, why: Phrase) -> Phrase {
    let key = key.to_owned();
    match line {
        Some(line) => {
            Phrase::new(|s| &s.cli.config_at).with("line", line).with("key", key).with_phrase("why", why)
        }
        None => Phrase::new(|s| &s.cli.config_at_key).with("key", key).with_phrase("why", why),
    }
}

/// The line (from 1) that first sets `key`, to point a person at it.
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|line| sets(line, key)).map(|index| index + 1)
}

/// The line of `key` in the `nth` table headed `header` (`[keys.global]`,
/// `[[emergency.number]]`), else of that table's header, else of `key` anywhere (a table
/// written inline).
fn line_in_table(text: &str, header: &str, nth: usize, key: &str) -> Option<usize> {
    let Some(start) = table_start(text, header, nth) else { return line_of(text, key) };
    let mut body =
        text.lines().enumerate().skip(start + 1).take_while(|(_, line)| !line.trim_start().starts_with('['));
    let index = body.find(|(_, line)| sets(line, key)).map_or(start, |(index, _)| index);
    Some(index + 1)
}

fn table_start(text: &str, header: &str, nth: usize) -> Option<usize> {
    let is_header = |line: &str| line.split('#').next().is_some_and(|line| line.trim() == header);
    text.lines().enumerate().filter(|(_, line)| is_header(line)).nth(nth).map(|(index, _)| index)
}

/// What TOML or the shape of the configuration refuses, with the line and key at fault. The
/// messages of serde (the shape) are recognised and said in words; anything else (a syntax
/// error) keeps the parser's own words after the line.
fn toml_refusal(text: &str, err: &toml::de::Error) -> Phrase {
    let message = err.message().trim();
    let line = err.span().map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    // The key written on that line, for a value at fault.
    let key_on_line = || {
        let line = text.lines().nth(line? - 1)?;
        let (key, _) = line.split_once('=')?;
        let key = key.trim().trim_matches(['"', '\'']);
        (!key.is_empty()).then(|| key.to_owned())
    };
    let quoted = |text: &str| text.split('`').nth(1).map(str::to_owned);
    // serde lists the choices "`a`, `b` or `c`".
    let choices = |text: String| text.replace(" or ", ", ");
    let after = |text: &str, word: &str| text.split_once(word).map(|(_, rest)| rest.trim().to_owned());
    let (key, why) = if let Some(name) = message.strip_prefix(NOT_A_ZONE) {
        (Some("timezone".to_owned()), Phrase::new(|s| &s.cli.config_not_a_zone).with("name", name))
    } else if let Some(rest) = message.strip_prefix("unknown field ") {
        let expected = after(rest, "expected").unwrap_or_default();
        let expected = expected.strip_prefix("one of ").unwrap_or(&expected).to_owned();
        (quoted(rest), Phrase::new(|s| &s.cli.config_unknown_key).with("expected", choices(expected)))
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        let value = quoted(rest).unwrap_or_default();
        let expected = after(rest, "expected").unwrap_or_default();
        let expected = expected.strip_prefix("one of ").unwrap_or(&expected).to_owned();
        (
            key_on_line(),
            Phrase::new(|s| &s.cli.config_unknown_value)
                .with("value", value)
                .with("expected", choices(expected)),
        )
    } else if let Some(rest) = message.strip_prefix("missing field ") {
        (quoted(rest), Phrase::new(|s| &s.cli.config_missing_key))
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = found_and_expected(rest);
        (
            key_on_line(),
            Phrase::new(|s| &s.cli.config_wrong_type)
                .with_phrase("found", found)
                .with_phrase("expected", expected),
        )
    } else if let Some(number) =
        message.strip_prefix("invalid value: integer `").and_then(|rest| rest.split('`').next())
    {
        (key_on_line(), Phrase::new(|s| &s.cli.config_out_of_range).with("value", number))
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (found, expected) = found_and_expected(rest);
        (
            key_on_line(),
            Phrase::new(|s| &s.cli.config_bad_value)
                .with_phrase("found", found)
                .with_phrase("expected", expected),
        )
    } else {
        (None, Phrase::new(|s| &s.cli.config_syntax).with("detail", message))
    };
    match (line, key) {
        (line, Some(key)) => at(line, &key, why),
        (Some(line), None) => {
            Phrase::new(|s| &s.cli.config_at_line).with("line", line).with_phrase("why", why)
        }
        (None, None) => why,
    }
}

/// serde's "string \"two years\", expected u32" in words: what was found and what was expected,
/// by kind of value (a number, text, a list…), the value itself kept as written.
fn found_and_expected(detail: &str) -> (Phrase, Phrase) {
    let (found, expected) = detail.split_once(", expected ").unwrap_or((detail, ""));
    let kind = |text: &str| -> Option<fn(&Strings) -> &String> {
        let text = text.trim_start_matches("a ").trim_start_matches("an ");
        let word = text.split([' ', '`']).next().unwrap_or_default();
        Some(match word {
            "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize" | "integer" => {
                |s| &s.cli.kind_integer
            }
            "f32" | "f64" | "floating" => |s| &s.cli.kind_number,
            "string" | "str" | "char" => |s| &s.cli.kind_text,
            "boolean" | "bool" => |s| &s.cli.kind_boolean,
            "sequence" | "array" => |s| &s.cli.kind_list,
            "map" | "struct" | "table" => |s| &s.cli.kind_table,
            "datetime" => |s| &s.cli.kind_date,
            _ => return None,
        })
    };
    // The value as written: what follows the kind ("string \"two years\"" → "\"two years\"").
    let value =
        found.split_once(' ').map(|(_, value)| value.trim_matches('`').to_owned()).unwrap_or_default();
    let found = match kind(found) {
        Some(kind) if value.is_empty() => Phrase::new(kind),
        Some(kind) => Phrase::new(|s| &s.cli.kind_with_value)
            .with_phrase("kind", Phrase::new(kind))
            .with("value", value),
        None => Phrase::new(|s| &s.cli.as_written).with("text", found),
    };
    let expected = match kind(expected) {
        Some(kind) => Phrase::new(kind),
        None => Phrase::new(|s| &s.cli.as_written).with("text", expected),
    };
    (found, expected)
}

/// An override of the emergency directory or rules, refused.
fn override_refusal(e: &OverrideError) -> Phrase {
    let subject = match &e.subject {
        OverrideSubject::Number(number) => {
            Phrase::new(|s| &s.cli.override_number).with("number", format!("{number:?}"))
        }
        OverrideSubject::Rule(rule) => {
            Phrase::new(|s| &s.cli.override_rule).with("rule", format!("{rule:?}"))
        }
    };
    let why = match &e.why {
        OverrideRefusal::NumberBlank => Phrase::new(|s| &s.cli.override_number_blank),
        OverrideRefusal::Needs(field) => Phrase::new(|s| &s.cli.override_needs).with("field", field),
        OverrideRefusal::LifeRiskStays => Phrase::new(|s| &s.cli.override_life_risk_stays),
        OverrideRefusal::KindStays => Phrase::new(|s| &s.cli.override_kind_stays),
        OverrideRefusal::ChannelStays => Phrase::new(|s| &s.cli.override_channel_stays),
        OverrideRefusal::Empty => Phrase::new(|s| &s.cli.override_empty),
        OverrideRefusal::AsksRudStays => Phrase::new(|s| &s.cli.override_asks_rud_stays),
        OverrideRefusal::NoCondition => Phrase::new(|s| &s.cli.override_no_condition),
        OverrideRefusal::ConditionNeverHolds => Phrase::new(|s| &s.cli.override_never_holds),
        OverrideRefusal::DropsCondition(condition) => {
            Phrase::new(|s| &s.cli.override_drops_condition).with("condition", condition)
        }
        OverrideRefusal::NoNumber => Phrase::new(|s| &s.cli.override_no_number),
        OverrideRefusal::UnknownNumber(number) => {
            Phrase::new(|s| &s.cli.override_unknown_number).with("number", format!("{number:?}"))
        }
        OverrideRefusal::KeepsNumber(number) => {
            Phrase::new(|s| &s.cli.override_keeps_number).with("number", format!("{number:?}"))
        }
    };
    why.with_phrase("subject", subject)
}

/// A key binding, refused.
fn keymap_refusal(why: &KeymapRefusal) -> Phrase {
    match why {
        KeymapRefusal::UnknownContext { context, known } => {
            Phrase::new(|s| &s.cli.keys_unknown_context).with("context", context).with("known", known)
        }
        KeymapRefusal::UnknownKey(key) => {
            Phrase::new(|s| &s.cli.keys_unknown_key).with("key", format!("{key:?}"))
        }
        KeymapRefusal::UnknownAction { action, key } => Phrase::new(|s| &s.cli.keys_unknown_action)
            .with("action", format!("{action:?}"))
            .with("key", format!("{key:?}")),
        KeymapRefusal::NeededByNotes(key) => {
            Phrase::new(|s| &s.cli.keys_needed_by_notes).with("key", format!("{key:?}"))
        }
        KeymapRefusal::CardKeyStays { key, action } => Phrase::new(|s| &s.cli.keys_card_stays)
            .with("key", format!("{key:?}"))
            .with("action", format!("{action:?}")),
        KeymapRefusal::ActsWhileTyping { key, context, action } => {
            Phrase::new(|s| &s.cli.keys_acts_while_typing)
                .with("key", format!("{key:?}"))
                .with("context", context)
                .with("action", format!("{action:?}"))
        }
        KeymapRefusal::Builtin(detail) => Phrase::new(|s| &s.cli.keys_builtin).with("detail", detail),
    }
}

/// Whether `line` sets `key`, written bare or quoted.
fn sets(line: &str, key: &str) -> bool {
    let line = line.trim_start();
    [key.to_owned(), format!("\"{key}\""), format!("'{key}'")]
        .iter()
        .find_map(|written| line.strip_prefix(written.as_str()))
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

#[cfg(test)]
mod tests;
