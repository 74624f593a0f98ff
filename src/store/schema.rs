//! Schema migrations, keyed on SQLite's `user_version`. Each runs in its own transaction:
//! a crash mid-migration leaves the previous schema whole.

use rusqlite::{Connection, TransactionBehavior};

use super::error::{StoreError, StoreResult};

/// Migration `i` takes the schema from version `i` to `i + 1`. Append only; never edit one
/// that has shipped.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_search.sql"),
    include_str!("migrations/003_situations.sql"),
    include_str!("migrations/004_file_events.sql"),
    include_str!("migrations/005_performing_callbacks.sql"),
    include_str!("migrations/006_summary_indexes.sql"),
    include_str!("migrations/007_centre_settings.sql"),
    include_str!("migrations/008_file_versions.sql"),
    include_str!("migrations/009_account_keys.sql"),
    include_str!("migrations/010_audit_by_actor.sql"),
    include_str!("migrations/011_audit_signatures.sql"),
    include_str!("migrations/012_channels.sql"),
    include_str!("migrations/013_statistics.sql"),
    include_str!("migrations/014_phone.sql"),
    include_str!("migrations/015_statistics_rollup.sql"),
    include_str!("migrations/016_statistics_rebuild.sql"),
    include_str!("migrations/017_call_save_tokens.sql"),
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub fn user_version(conn: &Connection) -> StoreResult<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

pub fn migrate(conn: &mut Connection) -> StoreResult<()> {
    loop {
        // IMMEDIATE takes the write lock before reading the version, so two processes
        // opening the same new file cannot both run the same migration.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = user_version(&tx)?;
        if version > LATEST {
            return Err(StoreError::TooNew { found: version, known: LATEST });
        }
        if version == LATEST {
            // The statistics' rollup is then counted afresh if need be, by the opening
            // (`rollup::rebuild_if_stale`), through the executor both backends share.
            return Ok(());
        }
        tx.execute_batch(MIGRATIONS[version as usize])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}
