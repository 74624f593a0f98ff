//! The centre's settings (`domain::settings`), in the encrypted store.

use super::db::Db;
use super::error::{StoreError, StoreResult};
use super::{Store, audit};
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::settings::{CentreSettings, Setting};
use crate::i18n::Phrase;

pub(super) fn read(db: &Db) -> StoreResult<CentreSettings> {
    let mut settings = CentreSettings::default();
    let rows = db.query_map("SELECT name, value FROM centre_setting", crate::db_params![], |row| {
        Ok((row.get::<String>(0)?, row.get::<i64>(1)?))
    })?;
    for (name, value) in rows {
        let value = u32::try_from(value).unwrap_or(0);
        match name.parse::<Setting>() {
            Ok(Setting::RetentionDays) => settings.retention_days = Some(value),
            Ok(Setting::PurgeConfirmPercent) => settings.purge_confirm_percent = value,
            // A setting of a newer version of the program: not ours to read.
            Err(_) => {}
        }
    }
    Ok(settings)
}

/// A new store's retention period (`init` may then set the one its config proposes).
pub(super) fn insert_default_retention(db: &Db) -> StoreResult<()> {
    db.execute(
        "INSERT INTO centre_setting (name, value) VALUES ('retention_days', ?1)",
        crate::db_params![crate::domain::settings::DEFAULT_RETENTION_DAYS],
    )?;
    Ok(())
}

impl Store {
    pub fn settings(&self) -> StoreResult<CentreSettings> {
        read(&self.conn)
    }

    /// Changes one of the centre's settings (supervisor only, audited).
    pub fn set_setting(&mut self, setting: Setting, value: u32) -> StoreResult<()> {
        self.require_supervisor(|s| &s.cli.what_settings)?;
        if !setting.bounds().contains(&value) {
            let bounds = setting.bounds();
            return Err(StoreError::Refused(
                Phrase::new(|s| &s.cli.setting_out_of_bounds)
                    .with("setting", setting)
                    .with("min", bounds.start())
                    .with("max", bounds.end())
                    .with("value", value),
            ));
        }
        self.write(|tx, actor| {
            tx.db().execute(
                "INSERT INTO centre_setting (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                crate::db_params![setting.as_str(), value],
            )?;
            audit::append(tx, Some(actor.id), AuditAction::SettingChanged, ObjectKind::Database, None)
        })
    }
}
