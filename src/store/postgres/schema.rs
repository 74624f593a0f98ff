//! The server's schema migrations, its own (`postgres/migrations`), numbered from 1 and kept
//! in `permanence_schema`. They run in one transaction (PostgreSQL's DDL is transactional)
//! under the write lock, so two terminals opening a new database cannot both run one; `init`
//! runs them in its own transaction, with the store's first rows.

use crate::db_params;
use crate::store::db::{Db, TxKind};
use crate::store::error::{StoreError, StoreResult};

/// Migration `i` takes the schema from version `i` to `i + 1`. Append only; never edit one
/// that has shipped.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_audit_guarded.sql"),
    include_str!("migrations/003_tagged_newest_first.sql"),
    include_str!("migrations/004_anonymous_notes_index.sql"),
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// The columns sealed in the terminal before they are sent (table, column): free text, and the
/// phone's secret. Everything else is categorical, ids, instants, hashes or public keys, kept
/// in clear.
pub const SEALED: &[(&str, &str)] = &[
    ("call", "notes"),
    ("call_draft", "body"),
    ("callback", "callback_number"),
    ("callback", "closed_reason"),
    ("callback", "note"),
    ("caller_file", "closed_reason"),
    ("caller_file", "instructions"),
    ("caller_file", "situation_summary"),
    ("emergency_prompt", "outcome_note"),
    ("file_event", "reason"),
    ("phone_secret", "secret"),
    ("shift", "handover_note"),
];

/// The schema's version: `None` in a database without our version table.
pub fn version(db: &Db) -> StoreResult<Option<i64>> {
    let ours: bool =
        db.query_row("SELECT to_regclass('permanence_schema') IS NOT NULL", db_params![], |row| row.get(0))?;
    if !ours {
        return Ok(None);
    }
    db.query_opt("SELECT version FROM permanence_schema", db_params![], |row| row.get(0))
}

/// The database's name on its server, for a message.
fn database_name(db: &Db) -> StoreResult<String> {
    db.query_row("SELECT current_database()::text", db_params![], |row| row.get(0))
}

/// Refuses a database that holds tables but not ours (another application's): the error
/// `open` gives instead of "no store here, run init", which `init` would refuse.
pub fn refuse_foreign(db: &Db) -> StoreResult<()> {
    if is_empty(db)? { Ok(()) } else { Err(StoreError::ForeignDatabase(database_name(db)?)) }
}

/// Whether the database holds no table at all (a new database, made for us by `createdb`).
fn is_empty(db: &Db) -> StoreResult<bool> {
    let tables: i64 = db.query_row(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
        db_params![],
        |row| row.get(0),
    )?;
    Ok(tables == 0)
}

/// Brings the schema up to date in one transaction of its own; creates it in an empty
/// database. A database that holds tables but not ours is refused untouched, as is one from a
/// newer program. Nothing is written when it is up to date.
pub fn migrate(db: &Db) -> StoreResult<()> {
    if version(db)? == Some(LATEST) {
        return Ok(());
    }
    let tx = db.transaction(TxKind::Write)?;
    // A new index over a million calls may take longer than a statement may.
    tx.unhurried()?;
    migrate_in(&tx)?;
    tx.commit()
}

/// The same, inside the caller's write transaction (PostgreSQL's DDL is transactional): `init`
/// makes the schema and the store's first rows in one transaction, so that a failure leaves
/// the database as it was.
pub fn migrate_in(tx: &Db) -> StoreResult<()> {
    let mut version = match version(tx)? {
        Some(version) => version,
        None if is_empty(tx)? => {
            tx.execute_batch(
                "CREATE TABLE permanence_schema (
                     id       BIGINT PRIMARY KEY CHECK (id = 1),
                     version  BIGINT NOT NULL
                 );
                 INSERT INTO permanence_schema (id, version) VALUES (1, 0);",
            )?;
            0
        }
        None => return Err(StoreError::ForeignDatabase(database_name(tx)?)),
    };
    if version > LATEST {
        return Err(StoreError::TooNew { found: version, known: LATEST });
    }
    while version < LATEST {
        tx.execute_batch(MIGRATIONS[version as usize])?;
        version += 1;
        tx.execute("UPDATE permanence_schema SET version = ?1", db_params![version])?;
    }
    Ok(())
}

/// Whether the store holds anything of a centre: an account or an audit entry. A schema
/// without them is what an `init` interrupted before this fix left (its schema committed on its
/// own); one with them but without its key slots must be restored, never made again.
pub fn holds_data(db: &Db) -> StoreResult<bool> {
    db.query_row(
        "SELECT EXISTS (SELECT 1 FROM listener) OR EXISTS (SELECT 1 FROM audit)",
        db_params![],
        |row| row.get(0),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::test_support::postgres::fresh_database;

    fn server_db(test: &str) -> Option<(Db, crate::test_support::postgres::TestDatabase)> {
        let database = fresh_database(test)?;
        Some((Db::postgres(database.connect()), database))
    }

    /// table → column → type, lower case.
    type Columns = BTreeMap<String, BTreeMap<String, String>>;

    fn file_columns() -> Columns {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::store::schema::migrate(&mut conn).unwrap();
        let mut tables = Columns::new();
        let names: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            // FTS5's own tables: the server has the blind index instead.
            .filter(|name: &String| !name.contains("_fts"))
            .collect();
        for table in names {
            let columns = conn
                .prepare(&format!("SELECT name, type FROM pragma_table_info('{table}')"))
                .unwrap()
                .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?.to_lowercase())))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            tables.insert(table, columns);
        }
        tables
    }

    fn server_columns(db: &Db) -> Columns {
        let mut tables = Columns::new();
        let rows = db
            .query_map(
                "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
                db_params![],
                |row| Ok((row.get::<String>(0)?, row.get::<String>(1)?, row.get::<String>(2)?)),
            )
            .unwrap();
        for (table, column, kind) in rows {
            tables.entry(table).or_default().insert(column, kind.to_lowercase());
        }
        tables
    }

    /// The server has every table and column of the file, with the type the executor binds
    /// there, free text (and the phone's secret) sealed exactly in the columns `SEALED` names;
    /// and only these additions: the blind index, the key file and the wrong-passphrase
    /// counts, the version table.
    #[test]
    fn the_server_schema_is_the_files_with_free_text_sealed() {
        let Some((db, _database)) = server_db("the_server_schema_is_the_files_with_free_text_sealed") else {
            return;
        };
        migrate(&db).unwrap();
        let file = file_columns();
        let mut server = server_columns(&db);
        for (table, columns) in &file {
            let on_server = server.get_mut(table).unwrap_or_else(|| panic!("no table {table} on the server"));
            for (column, kind) in columns {
                let sealed = SEALED.contains(&(table.as_str(), column.as_str()));
                let expected = match kind.as_str() {
                    "integer" => "bigint",
                    "blob" => "bytea",
                    "text" if sealed => "bytea",
                    "text" => "text",
                    other => panic!("{table}.{column}: a type the file does not use: {other}"),
                };
                let found = on_server
                    .remove(column)
                    .unwrap_or_else(|| panic!("no column {table}.{column} on the server"));
                assert_eq!(found, expected, "{table}.{column}");
            }
        }
        for (table, column) in SEALED {
            let kind = file[*table][*column].as_str();
            let secret = (*table, *column) == ("phone_secret", "secret");
            assert_eq!(kind, if secret { "blob" } else { "text" }, "{table}.{column} in the file");
        }
        let left: Vec<String> = server
            .iter()
            .flat_map(|(table, columns)| columns.keys().map(move |column| format!("{table}.{column}")))
            .collect();
        assert_eq!(
            left,
            [
                "call.search_tags",
                "caller_file.changed",
                "caller_file.search_tags",
                "key_file.body",
                "key_file.id",
                "permanence_schema.id",
                "permanence_schema.version",
                "unlock_attempt.failures",
                "unlock_attempt.last_at",
                "unlock_attempt.login",
            ]
        );
    }

    #[test]
    fn a_new_database_gets_the_latest_schema_once_and_keeps_it() {
        let Some((db, _database)) = server_db("a_new_database_gets_the_latest_schema_once_and_keeps_it")
        else {
            return;
        };
        assert_eq!(version(&db).unwrap(), None);
        migrate(&db).unwrap();
        migrate(&db).unwrap();
        assert_eq!(version(&db).unwrap(), Some(LATEST));
        let retention: i64 = db
            .query_row(
                "SELECT value FROM centre_setting WHERE name = 'purge_confirm_percent'",
                db_params![],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(retention, 10);
    }

    #[test]
    fn another_applications_database_and_a_newer_schema_are_refused_untouched() {
        let Some((db, _database)) =
            server_db("another_applications_database_and_a_newer_schema_are_refused_untouched")
        else {
            return;
        };
        db.execute_batch("CREATE TABLE invoices (id BIGINT)").unwrap();
        assert!(matches!(migrate(&db), Err(StoreError::ForeignDatabase(_))));
        assert_eq!(version(&db).unwrap(), None, "nothing of ours written into it");
        db.execute_batch(
            "DROP TABLE invoices; CREATE TABLE permanence_schema (id BIGINT PRIMARY KEY, version BIGINT NOT NULL);
             INSERT INTO permanence_schema VALUES (1, 99);",
        )
        .unwrap();
        assert!(matches!(migrate(&db), Err(StoreError::TooNew { found: 99, known: LATEST })));
    }

    /// The audit log, the centre's root and the start of signing refuse changes on the server
    /// too, and the key history keeps what it must.
    #[test]
    fn what_is_append_only_in_the_file_is_on_the_server() {
        let Some((db, _database)) = server_db("what_is_append_only_in_the_file_is_on_the_server") else {
            return;
        };
        migrate(&db).unwrap();
        db.execute_batch(
            "INSERT INTO listener (id, login, display_name, role, created_at) VALUES (1, 'coord', 'Dominique', 'supervisor', 0);
             INSERT INTO audit (id, at, action, object_kind, prev_hash, hash) VALUES (1, 0, 'database_created', 'database', 'g', 'h');
             INSERT INTO centre_root (listener_id, signing_key, since) VALUES (1, decode(repeat('00', 32), 'hex'), 0);
             INSERT INTO listener_key (listener_id, signing_key, box_key, created_at, since)
                 VALUES (1, decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'), 0, 0);",
        )
        .unwrap();
        for (sql, message) in [
            ("UPDATE audit SET hash = 'x'", "the audit log is append-only"),
            ("DELETE FROM audit", "the audit log is append-only"),
            ("DELETE FROM centre_root", "the centre root history is append-only"),
            ("UPDATE audit_signing SET first_signed = 9", "where audit signing began is kept"),
            ("DELETE FROM listener_key", "the history of account keys is kept"),
            ("UPDATE listener_key SET since = 5", "the history of account keys is kept"),
            ("TRUNCATE audit", "the audit log is append-only"),
            ("TRUNCATE centre_root", "the centre root history is append-only"),
            ("TRUNCATE audit_signing", "where audit signing began is kept"),
            ("TRUNCATE listener_key", "the history of account keys is kept"),
        ] {
            let err = db.execute(sql, db_params![]).unwrap_err().to_string();
            assert!(err.contains(message), "{sql}: {err}");
        }
        // Retiring the current key is allowed.
        assert_eq!(db.execute("UPDATE listener_key SET until = 1", db_params![]).unwrap(), 1);
    }
}
