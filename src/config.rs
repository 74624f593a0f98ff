//! The configuration file (TOML). Every key has a built-in default, documented in
//! `config.example.toml`; an unknown key or a wrong type is an error naming the key and line.

use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveTime};
use serde::Deserialize;

use crate::domain::Timestamp;
use crate::domain::emergency::{Directory, NumberOverride, OverrideError, RuleOverride, Rules};
use crate::i18n::{Language, Strings};
use crate::local_time::Zone;

use crate::keymap::{KeyOverrides, Keymap};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The database file; `--db` wins over it, the platform data folder is the default.
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

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
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
        let text = String::from_utf8(bytes)
            .map_err(|_| read(std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text")))?;
        let config =
            Config::parse(&text).map_err(|message| ConfigError::Invalid { path: path.clone(), message })?;
        Ok((config, Some(path)))
    }

    /// Parses and validates; the error message names the key and its line.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?;
        config.validate(text)?;
        Ok(config)
    }

    fn validate(&self, text: &str) -> Result<(), String> {
        let fail = |key: &str, why: &str| Err(format!("{}key `{key}`: {why}", line_of(text, key)));
        let bounded = |key: &str, value: u32, (min, max): (u32, u32)| match value {
            v if v < min => fail(key, &format!("must be at least {min}")),
            v if v > max => fail(key, &format!("must be at most {max}")),
            _ => Ok(()),
        };
        bounded("idle_lock_minutes", self.idle_lock_minutes, IDLE_LOCK_MINUTES)?;
        if self.idle_lock_minutes_in_call < self.idle_lock_minutes {
            return fail("idle_lock_minutes_in_call", "must not be shorter than idle_lock_minutes");
        }
        bounded("idle_lock_minutes_in_call", self.idle_lock_minutes_in_call, IDLE_LOCK_MINUTES_IN_CALL)?;
        bounded("retention_days", self.retention_days, RETENTION_DAYS)?;
        bounded("callback_retry_minutes", self.callback_retry_minutes, CALLBACK_RETRY_MINUTES)?;
        bounded("callback_max_attempts", self.callback_max_attempts, CALLBACK_MAX_ATTEMPTS)?;
        if self.themes.is_empty() {
            return fail("themes", "needs at least one theme");
        }
        let mut seen = std::collections::HashSet::new();
        for theme in &self.themes {
            if theme.trim().is_empty() {
                return fail("themes", "a theme is empty");
            }
            if !seen.insert(theme) {
                return fail("themes", &format!("{theme:?} is listed twice"));
            }
        }
        for (index, preset) in self.callback_presets.iter().enumerate() {
            let fail = |key: &str, why: &str| {
                let line = line_in_table(text, "[[callback_presets]]", index, key);
                Err(format!("{line}key `{key}`: {why}"))
            };
            match (preset.in_minutes, &preset.next_day_at) {
                (Some(minutes), None) if minutes < PRESET_IN_MINUTES.0 => {
                    return fail("in_minutes", &format!("must be at least {}", PRESET_IN_MINUTES.0));
                }
                (Some(minutes), None) if minutes > PRESET_IN_MINUTES.1 => {
                    return fail("in_minutes", &format!("must be at most {}", PRESET_IN_MINUTES.1));
                }
                (Some(_), None) => {}
                (None, Some(time)) => {
                    if NaiveTime::parse_from_str(time, "%H:%M").is_err() {
                        return fail("next_day_at", &format!("{time:?} is not a time like \"09:00\""));
                    }
                }
                _ => {
                    return fail(
                        "callback_presets",
                        "each preset sets exactly one of in_minutes or next_day_at",
                    );
                }
            }
        }
        for recipient in &self.export.recipients {
            if recipient.parse::<age::x25519::Recipient>().is_err() {
                return fail("recipients", &format!("{recipient:?} is not an age X25519 public key (age1…)"));
            }
        }
        let refused = |table: &str, e: OverrideError| {
            format!("{}key `{}`: {}", line_in_table(text, table, e.index, e.field), e.field, e.why)
        };
        let directory = Directory::builtin()
            .with_overrides(&self.emergency.number)
            .map_err(|e| refused("[[emergency.number]]", e))?;
        Rules::builtin()
            .with_overrides(&self.emergency.rule, &directory)
            .map_err(|e| refused("[[emergency.rule]]", e))?;
        if let Err(e) = Keymap::new(&self.keys) {
            let table = format!("[keys.{}]", e.context);
            return Err(match &e.key {
                Some(key) => format!("{}key `{key}`: {}", line_in_table(text, &table, 0, key), e.why),
                None => format!("{}{table}: {}", table_line(text, &table, 0).unwrap_or_default(), e.why),
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

    /// The keymap this configuration asks for (validated when the file was parsed).
    pub fn keymap(&self) -> Keymap {
        Keymap::new(&self.keys).expect("validated with the configuration")
    }
}

/// `timezone`, refused with the key's name (serde's message gives the line).
fn timezone<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Zone, D::Error> {
    let name = String::deserialize(deserializer)?;
    name.parse().map_err(|why| serde::de::Error::custom(format!("key `timezone`: {why}")))
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

/// "line N, " for the first line that sets `key`, to point a person at it.
fn line_of(text: &str, key: &str) -> String {
    text.lines()
        .position(|line| sets(line, key))
        .map(|index| format!("line {}, ", index + 1))
        .unwrap_or_default()
}

/// "line N, " for `key` in the `nth` table headed `header` (`[keys.global]`,
/// `[[emergency.number]]`), else for that table's header, else for `key` anywhere (a table
/// written inline).
fn line_in_table(text: &str, header: &str, nth: usize, key: &str) -> String {
    let Some(start) = table_start(text, header, nth) else { return line_of(text, key) };
    let mut body =
        text.lines().enumerate().skip(start + 1).take_while(|(_, line)| !line.trim_start().starts_with('['));
    let index = body.find(|(_, line)| sets(line, key)).map_or(start, |(index, _)| index);
    format!("line {}, ", index + 1)
}

/// "line N, " for the `nth` table headed `header`.
fn table_line(text: &str, header: &str, nth: usize) -> Option<String> {
    table_start(text, header, nth).map(|index| format!("line {}, ", index + 1))
}

fn table_start(text: &str, header: &str, nth: usize) -> Option<usize> {
    let is_header = |line: &str| line.split('#').next().is_some_and(|line| line.trim() == header);
    text.lines().enumerate().filter(|(_, line)| is_header(line)).nth(nth).map(|(index, _)| index)
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
