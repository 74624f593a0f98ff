//! `permanence migrate`: a whole centre copied from the store this session unlocked into an
//! empty database on a server, or into a new SQLCipher file (issue 21, point 1), with the
//! same data key, the same row ids and the same key slots, so that every passphrase opens the
//! copy and every sealed field opens in its row.
//!
//! Every table is read in one read transaction of the source and written in one write
//! transaction of the target; free text is opened with the source's rules and stored with the
//! target's (`Sealer`: in clear inside the file, sealed to its table, column and row on a
//! server, with the blind index's tags). Before the target commits, its counts are compared with
//! the source's, `check`'s own code verifies it, and one audit entry signed by the migrating
//! supervisor records the migration after the source's head. A server's copy is one
//! transaction (its schema included), so a kill or a stopped server leaves the database as it
//! was, empty; a file's copy is written beside its name and renamed there only once verified.
//!
//! The source records that a copy of the whole centre was taken (a `migrated` entry, signed by
//! the supervisor, written just before its snapshot, so the copy holds it too).
//!
//! May not: write anything else to the source, hand the data key to anything but the target's
//! connection, or write into a target that holds anything.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::blind_index::BlindIndex;
use super::db::{Db, TxKind, Value};
use super::error::{StoreError, StoreResult};
use super::keyslots::{DATABASE_SALT_LEN, KeyFile, KeySlot};
use super::location::Location;
use super::postgres::ServerUrl;
use super::seal::{Field, Sealer};
use super::{Store, audit, connection, maintenance, schema, slots};
use crate::atomic_file::{sync_parent, temp_path_for};
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::i18n::Phrase;

/// Every table of a centre, in an order its references allow (a row's references are written
/// before it). The key slots (the file's key file, the server's `key_file` row) and the server's
/// wrong-passphrase counts are not tables of the file: the slots are carried apart, the
/// counts start afresh. `the_tables_copied_are_every_table_of_the_file` keeps this list whole.
pub const TABLES: &[&str] = &[
    "listener",
    "listener_key",
    "centre_root",
    "shift",
    "caller_file",
    "call",
    "call_theme",
    "call_orientation",
    "call_situation",
    "call_caller",
    "emergency_prompt",
    "callback",
    "callback_attempt",
    "call_draft",
    "phone_secret",
    "missed_call",
    "file_event",
    "centre_setting",
    "stat_quarter",
    "stat_count",
    "stat_rules",
    "stat_rebuild",
    "audit",
    "audit_signing",
];

/// Moves the file at `from` to `to` unless something is there already (the copy takes minutes,
/// and the check made before it began is old by then): a hard link, which refuses an existing
/// name, then the temporary name removed; where the file system has no hard links (a FAT
/// stick), a rename after a last look.
fn put_without_replacing(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Err(err),
        Err(_) if std::fs::symlink_metadata(to).is_ok() => Err(std::io::ErrorKind::AlreadyExists.into()),
        Err(_) => std::fs::rename(from, to),
    }
}

/// Rows sent to the target in one go (`Db::insert_rows` splits them into statements).
const BATCH: usize = 1024;

/// What a migration copied and verified.
#[derive(Debug, Clone)]
pub struct MigrationReport {
    /// Rows of each table, equal on both sides (compared before the target committed).
    pub tables: Vec<(&'static str, u64)>,
    /// The source's last audit entry (id and hash), which the migration's entry follows.
    pub source_head: Option<(i64, String)>,
    /// The migration's own entry on the target: its id and hash.
    pub entry: (i64, String),
    pub elapsed: Duration,
}

/// The source as the copy reads it: one read transaction, and what it held when it began.
struct Snapshot<'a> {
    read: super::db::Tx<'a>,
    counts: Vec<(&'static str, u64)>,
    source_head: Option<(i64, String)>,
}

/// How far the copy is: rows written so far, and the rows to write.
pub type Progress<'a> = &'a dyn Fn(u64, u64);

impl Store {
    /// Copies this store, whole, to `target`: an empty database on a server, or a new file
    /// (supervisor only). This store records the copy in its audit log, nothing else.
    pub fn migrate_to(&mut self, target: &Location, progress: Progress<'_>) -> StoreResult<MigrationReport> {
        self.require_supervisor(|s| &s.cli.what_migrate)?;
        if same_place(&self.location, target) {
            return Err(StoreError::Refused(Phrase::new(|s| &s.cli.migrate_same_place)));
        }
        // Other desks at work would write what the copy, taken at one instant, leaves out
        // (review of the migration, finding 2).
        let open: Vec<String> = self
            .listeners()?
            .into_iter()
            .filter(|l| l.id != self.actor.id && self.is_present(l.id) == Some(true))
            .map(|l| l.login)
            .collect();
        if !open.is_empty() {
            return Err(StoreError::Refused(
                Phrase::new(|s| &s.cli.migrate_desks_open).with("logins", open.join(", ")),
            ));
        }
        // A server never holds a version-1 slot (it has no key pairs to endorse).
        let key_file = self.key_file_now()?;
        let legacy: Vec<&str> = key_file
            .slots()
            .iter()
            .filter(|slot| matches!(slot, KeySlot::Legacy(_)))
            .map(KeySlot::login)
            .collect();
        if !legacy.is_empty() {
            return Err(StoreError::Refused(
                Phrase::new(|s| &s.cli.migrate_version_1_slots).with("logins", legacy.join(", ")),
            ));
        }
        let started = Instant::now();
        let mut report = match target {
            Location::Server(url) => self.migrate_to_server(url, &key_file, progress)?,
            Location::File(path) => self.migrate_to_file(path, &key_file, progress)?,
        };
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// The source's own record that the whole centre is being copied: written once the target
    /// is known to be empty, just before the snapshot (review of the migration, finding 1: a
    /// copy taken away left no trace where it was taken).
    fn record_migration(&mut self) -> StoreResult<()> {
        self.write_unseen(|tx, actor| {
            audit::append(tx, Some(actor.id), AuditAction::Migrated, ObjectKind::Database, None)
        })
    }

    fn migrate_to_server(
        &mut self,
        url: &ServerUrl,
        key_file: &KeyFile,
        progress: Progress<'_>,
    ) -> StoreResult<MigrationReport> {
        let db = Db::connect(url)?;
        db.set_key(&self.key);
        if super::postgres::schema::version(&db)?.is_some() {
            return Err(StoreError::AlreadyExists(PathBuf::from(url.redacted())));
        }
        super::postgres::schema::refuse_foreign(&db)?;
        // A random id names the database in its key slots' header, as `init` makes one.
        let mut id = [0u8; DATABASE_SALT_LEN];
        getrandom::fill(&mut id).map_err(|e| StoreError::Invalid(format!("no randomness: {e}")))?;
        let slots = key_file.copy_to(slots::label(url), id);
        self.record_migration()?;
        let snapshot = self.snapshot()?;
        // One transaction, the schema included: whatever stops it (a kill, the server stopped,
        // a copy that does not verify) leaves the database empty.
        let tx = audit::Tx::begin(&db, super::signer_of(&self.actor, self.keys.as_ref()))?;
        tx.unhurried()?;
        tx.idle_between_statements()?;
        super::postgres::schema::migrate_in(&tx)?;
        if super::postgres::schema::holds_data(&tx)? {
            return Err(StoreError::AlreadyExists(PathBuf::from(url.redacted())));
        }
        let report = self.copy_into(snapshot, &tx, progress)?;
        slots::insert(&tx, &slots)?;
        restart_identities(&tx)?;
        // Rows written in this transaction have no statistics yet: without them the checks
        // below are planned blind (a recount of the statistics took minutes at 100,000 calls).
        tx.execute_batch("ANALYZE")?;
        let report = finish(&tx, self, report, &slots)?;
        match tx.commit() {
            Ok(()) => Ok(report),
            // The connection lost with the COMMIT's answer: the server may have committed. It
            // did if its last audit entry is the migration's own (review of the migration,
            // finding 7: a copy made was told a failure, and the next try refused as not empty).
            Err(err) if err.is_unreachable() => match committed_head(url) {
                Some(head) if head == report.entry => Ok(report),
                _ => Err(err),
            },
            Err(err) => Err(err),
        }
    }

    fn migrate_to_file(
        &mut self,
        path: &Path,
        key_file: &KeyFile,
        progress: Progress<'_>,
    ) -> StoreResult<MigrationReport> {
        let key_path = KeyFile::path_for(path);
        for taken in [path, key_path.as_path()] {
            if std::fs::symlink_metadata(taken).is_ok() {
                return Err(StoreError::AlreadyExists(taken.to_owned()));
            }
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            super::create_private_dir(parent)?;
        }
        // A copy killed earlier left its temporary file and log: gone before a new one begins.
        crate::atomic_file::remove_stale_temp_files(path);
        self.record_migration()?;
        // Written beside its name, put there only once committed and verified.
        let temp = temp_path_for(path);
        super::create_private_file(&temp)?;
        let written = self.write_file(&temp, key_file, progress);
        let remove = |suffixes: &[&str]| {
            for suffix in suffixes {
                let _ = std::fs::remove_file(format!("{}{suffix}", temp.display()));
            }
        };
        let (report, salt) = match written {
            Ok(written) => written,
            Err(err) => {
                remove(&["", "-wal", "-shm"]);
                return Err(err);
            }
        };
        // The copy's connection is closed: its log, emptied into it, and its index are not kept.
        remove(&["-wal", "-shm"]);
        let io = |e| StoreError::io(path.display().to_string(), e);
        let placed = (|| {
            std::fs::File::open(&temp).and_then(|f| f.sync_all()).map_err(io)?;
            // The key file first, never over another (`save` would replace one that appeared
            // meanwhile); the database then, never over another either.
            if std::fs::symlink_metadata(&key_path).is_ok() {
                return Err(StoreError::AlreadyExists(key_path.clone()));
            }
            key_file.copy_to(key_path.clone(), salt).save()?;
            if let Err(err) = put_without_replacing(&temp, path) {
                let _ = std::fs::remove_file(&key_path);
                return Err(match err.kind() {
                    std::io::ErrorKind::AlreadyExists => StoreError::AlreadyExists(path.to_owned()),
                    _ => io(err),
                });
            }
            sync_parent(path).map_err(io)
        })();
        if placed.is_err() {
            remove(&[""]);
        }
        placed?;
        Ok(report)
    }

    /// The new file at `temp`, committed and verified, and its salt (which its key file names).
    fn write_file(
        &self,
        temp: &Path,
        key_file: &KeyFile,
        progress: Progress<'_>,
    ) -> StoreResult<(MigrationReport, [u8; DATABASE_SALT_LEN])> {
        let mut conn = connection::open(temp, &self.key, true)?;
        schema::migrate(&mut conn)?;
        // The salt is in the file's first page, which the log may still hold.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let salt = super::keyslots::database_salt(temp)?;
        let slots = key_file.copy_to(KeyFile::path_for(temp), salt);
        let db = Db::Sqlite(conn);
        let snapshot = self.snapshot()?;
        let tx = audit::Tx::begin(&db, super::signer_of(&self.actor, self.keys.as_ref()))?;
        let report = self.copy_into(snapshot, &tx, progress)?;
        let report = finish(&tx, self, report, &slots)?;
        tx.commit()?;
        // Closed here: its log emptied into it, so that the file renamed is whole.
        let Db::Sqlite(conn) = db else { unreachable!("a file's connection") };
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        drop(conn);
        Ok((report, salt))
    }

    /// Copies every table from one read transaction of this store into `target` (a write
    /// transaction whose schema is made and otherwise empty), then compares the counts.
    fn copy_into(
        &self,
        snapshot: Snapshot<'_>,
        target: &Db,
        progress: Progress<'_>,
    ) -> StoreResult<MigrationReport> {
        let columns = file_columns()?;
        let Snapshot { read, counts, source_head } = snapshot;
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let source = self.sealer_of(&self.conn);
        let copier = Copier {
            target,
            opener: source,
            sealer: self.sealer_of(target),
            index: target.is_postgres().then(|| BlindIndex::new(&self.key)),
        };
        let mut done = 0u64;
        progress(0, total);
        for table in TABLES {
            let columns = &columns[*table];
            if copier.prepare_table(&read, table, columns)? {
                copier.copy_table(&read, table, columns, &mut |rows| {
                    done += rows;
                    progress(done, total);
                })?;
            }
            injected_pause();
        }
        read.commit()?;
        // Counted again on the target, inside its transaction: what will commit.
        for (table, expected) in &counts {
            let found: i64 =
                target.query_row(&format!("SELECT count(*) FROM {table}"), crate::db_params![], |row| {
                    row.get(0)
                })?;
            if found.max(0) as u64 != *expected {
                return Err(not_verified(format!("{table}: {expected} rows in the source, {found} copied")));
            }
        }
        Ok(MigrationReport {
            tables: counts,
            source_head,
            entry: (0, String::new()),
            elapsed: Duration::ZERO,
        })
    }

    /// One read transaction of this store, counted, before the target's transaction begins
    /// (on a large file the counts take seconds, which a server's transaction would spend idle).
    fn snapshot(&self) -> StoreResult<Snapshot<'_>> {
        let read = self.conn.transaction(TxKind::Read)?;
        let mut counts = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let count: i64 =
                read.query_row(&format!("SELECT count(*) FROM {table}"), crate::db_params![], |row| {
                    row.get(0)
                })?;
            counts.push((*table, count.max(0) as u64));
        }
        let source_head = audit::head(&read)?.map(|head| (head.entry, head.hash));
        Ok(Snapshot { read, counts, source_head })
    }

    /// Free text as this store's backend, or the target's, keeps it.
    fn sealer_of(&self, db: &Db) -> Sealer {
        if db.is_postgres() { Sealer::for_server(&self.key) } else { Sealer::Clear }
    }
}

/// The end of a copy, inside the target's transaction: the entry that records the migration
/// after the source's head, then `check`'s code on what is about to commit.
///
/// A copy that does not verify is told apart from a source that does not: the copy carries the
/// source's faults (a signature that does not verify, statistics out of step), which are then
/// the source's to mend, and a copy of a sound source that does not verify is the copy's
/// (review of the migration, finding 6).
fn finish(
    tx: &audit::Tx<'_>,
    source: &Store,
    mut report: MigrationReport,
    slots: &KeyFile,
) -> StoreResult<MigrationReport> {
    let head_id = report.source_head.as_ref().map(|(id, _)| *id);
    audit::append(tx, Some(source.actor.id), AuditAction::Migrated, ObjectKind::Database, head_id)?;
    let head = audit::head(tx)?.ok_or_else(|| StoreError::Invalid("no audit entry was written".into()))?;
    report.entry = (head.entry, head.hash);
    let checked = maintenance::check_data(tx, Ok(slots.clone()), true, &mut |_, _| {}, &mut |_, _| {})?;
    let Some(finding) = checked.findings.first() else { return Ok(report) };
    Err(match source.check()?.findings.first() {
        Some(fault) => StoreError::Refused(
            Phrase::new(|s| &s.cli.migrate_source_not_verified).with("detail", fault.to_string()),
        ),
        None => not_verified(finding.to_string()),
    })
}

/// The last audit entry of the database at `url` (id and hash), asked on a connection of its
/// own; `None` if it cannot be asked.
fn committed_head(url: &super::postgres::ServerUrl) -> Option<(i64, String)> {
    let db = Db::connect(url).ok()?;
    audit::head(&db).ok().flatten().map(|head| (head.entry, head.hash))
}

fn not_verified(detail: String) -> StoreError {
    StoreError::Refused(Phrase::new(|s| &s.cli.migrate_not_verified).with("detail", detail))
}

/// Whether two locations name the same store (a file by its path, a server by its address).
fn same_place(a: &Location, b: &Location) -> bool {
    match (a, b) {
        (Location::File(a), Location::File(b)) => {
            a == b
                || std::fs::canonicalize(a)
                    .ok()
                    .zip(std::fs::canonicalize(b).ok())
                    .is_some_and(|(a, b)| a == b)
        }
        (Location::Server(a), Location::Server(b)) => a.redacted() == b.redacted(),
        _ => false,
    }
}

/// The columns of every table, as the file's latest schema has them (an empty database in
/// memory): the server has the same, plus what is made again on arrival (`search_tags`, the
/// files' change numbers).
fn file_columns() -> StoreResult<std::collections::HashMap<&'static str, Vec<String>>> {
    let mut conn = rusqlite::Connection::open_in_memory()?;
    schema::migrate(&mut conn)?;
    let mut all = std::collections::HashMap::new();
    for table in TABLES {
        let columns = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))?
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        all.insert(*table, columns);
    }
    Ok(all)
}

/// On a server, each table's identity goes on after the largest id copied (rows were written
/// with their ids, which a sequence does not see).
fn restart_identities(tx: &Db) -> StoreResult<()> {
    for table in TABLES {
        let identity: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                              AND table_name::text = ?1 AND column_name::text = 'id' AND is_identity = 'YES')",
            crate::db_params![*table],
            |row| row.get(0),
        )?;
        if !identity {
            continue;
        }
        tx.execute(
            &format!(
                "SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence('{table}', 'id') AS s,
                        (SELECT max(id) FROM {table}) AS m) x
                  WHERE s IS NOT NULL AND m IS NOT NULL"
            ),
            crate::db_params![],
        )?;
    }
    Ok(())
}

/// Writes the rows of one table into the target.
struct Copier<'a> {
    target: &'a Db,
    /// Opens the source's free text.
    opener: Sealer,
    /// Keeps it as the target does.
    sealer: Sealer,
    /// On a server, the blind index the calls' and files' words are found through.
    index: Option<BlindIndex>,
}

impl Copier<'_> {
    /// The rows the target's schema made itself (the default settings, where audit signing
    /// began) give way to the source's. `false` when the target already holds the source's
    /// rows as they are (nothing to copy).
    fn prepare_table(&self, source: &Db, table: &str, columns: &[String]) -> StoreResult<bool> {
        let made: i64 =
            self.target
                .query_row(&format!("SELECT count(*) FROM {table}"), crate::db_params![], |row| row.get(0))?;
        if made == 0 {
            return Ok(true);
        }
        if table != "audit_signing" {
            self.target.execute(&format!("DELETE FROM {table}"), crate::db_params![])?;
            return Ok(true);
        }
        // Kept for ever by a trigger: the same row is left as it is, another one written with
        // the trigger lifted inside this transaction (nobody else sees the table meanwhile).
        let list = columns.join(", ");
        let select = format!("SELECT {list} FROM {table}");
        let theirs = source.query_map(&select, crate::db_params![], |row| Ok(row.clone()))?;
        let ours = self.target.query_map(&select, crate::db_params![], |row| Ok(row.clone()))?;
        if theirs == ours {
            return Ok(false);
        }
        match self.target.sqlite() {
            None => self.target.execute_batch(
                "ALTER TABLE audit_signing DISABLE TRIGGER audit_signing_is_kept;
                 DELETE FROM audit_signing;
                 ALTER TABLE audit_signing ENABLE TRIGGER audit_signing_is_kept;",
            )?,
            Some(conn) => {
                let trigger: String = conn.query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_signing_is_kept_delete'",
                    [],
                    |row| row.get(0),
                )?;
                conn.execute_batch("DROP TRIGGER audit_signing_is_kept_delete; DELETE FROM audit_signing;")?;
                conn.execute_batch(&trigger)?;
            }
        }
        Ok(true)
    }

    /// Streams the table's rows from the source (ordered by id, where it has one), sealing or
    /// opening free text on the way, and writes them in batches.
    fn copy_table(
        &self,
        source: &Db,
        table: &'static str,
        columns: &[String],
        written: &mut dyn FnMut(u64),
    ) -> StoreResult<()> {
        let list = columns.join(", ");
        let order = if columns.iter().any(|c| c == "id") { " ORDER BY id" } else { "" };
        let select = format!("SELECT {list} FROM {table}{order}");
        let tagged = match table {
            "call" => Some(vec!["notes"]),
            "caller_file" => Some(vec!["situation_summary", "instructions"]),
            _ => None,
        }
        .filter(|_| self.index.is_some());
        let mut names = list.clone();
        if tagged.is_some() {
            names.push_str(", search_tags");
        }
        let width = columns.len() + usize::from(tagged.is_some());
        let insert = format!("INSERT INTO {table} ({names}) VALUES");
        let fields: Vec<Option<Field>> = columns
            .iter()
            .map(|column| Field::ALL.iter().copied().find(|f| f.table == table && f.column == column))
            .collect();
        let id_column =
            columns.iter().position(|c| c == if table == "call_draft" { "listener_id" } else { "id" });
        let mut batch: Vec<Value> = Vec::with_capacity(BATCH * width);
        let mut flush = |batch: &mut Vec<Value>| -> StoreResult<()> {
            if batch.is_empty() {
                return Ok(());
            }
            self.target.insert_rows(&insert, "", width, batch)?;
            written((batch.len() / width) as u64);
            batch.clear();
            Ok(())
        };
        source.for_each_unhurried(&select, crate::db_params![], |row| {
            let id = match id_column {
                Some(at) => row.get::<i64>(at)?,
                None => 0,
            };
            let mut words: Vec<String> = Vec::new();
            for (at, column) in columns.iter().enumerate() {
                let value = row.get::<Value>(at)?;
                let value = match fields[at] {
                    Some(field) if field == Field::PHONE_SECRET => {
                        let secret = self.opener.open_secret(field, id, &value)?;
                        self.sealer.seal_secret(field, id, &secret)?
                    }
                    Some(field) => {
                        let text = self.opener.open_opt(field, id, &value)?;
                        if tagged.as_ref().is_some_and(|t| t.contains(&column.as_str())) {
                            words.push(text.clone().unwrap_or_default());
                        }
                        self.sealer.seal_opt(field, id, text.as_deref())?
                    }
                    None => value,
                };
                batch.push(value);
            }
            if let (Some(_), Some(index)) = (&tagged, &self.index) {
                let texts: Vec<&str> = words.iter().map(String::as_str).collect();
                batch.push(Value::BlobList(index.row_tags(&texts)));
            }
            if batch.len() >= BATCH * width {
                flush(&mut batch)?;
            }
            Ok(())
        })?;
        flush(&mut batch)
    }
}

/// Debug builds only: `PERMANENCE_TEST_MIGRATE_PAUSE_MS` waits after each table is copied, so
/// that a test can kill the process while the target's transaction holds rows.
fn injected_pause() {
    if cfg!(debug_assertions)
        && let Some(ms) =
            std::env::var("PERMANENCE_TEST_MIGRATE_PAUSE_MS").ok().and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms.min(10_000)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table added to the file's schema must be added to `TABLES`, or it would be left
    /// behind by a migration.
    #[test]
    fn the_tables_copied_are_every_table_of_the_file() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        let mut file: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'
                   AND name NOT LIKE '%_fts%' AND name NOT LIKE 'sqlite_%'",
            )
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        file.sort();
        let mut ours: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
        ours.sort();
        assert_eq!(ours, file);
    }

    fn first_signed(store: &Store) -> i64 {
        store
            .conn
            .query_row("SELECT first_signed FROM audit_signing", crate::db_params![], |row| row.get(0))
            .unwrap()
    }

    /// A store upgraded from before signatures began signing after its first entries; the row
    /// that says where is kept for ever by a trigger, which the target's own schema fills with
    /// 1: the copy says where the source began, on a file and on a server, and verifies.
    #[test]
    fn a_store_that_began_signing_late_keeps_where_on_a_file_and_on_a_server_with_its_secret_and_draft() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::tests::create(&dir.path().join("p.db"));
        // The phone's secret (sealed as bytes on a server) and a draft (sealed under its
        // account's id, not a row id of its own) go across too.
        let (hash, _) = store.caller_history("06 12 34 56 78").unwrap();
        let shift = store.start_shift().unwrap();
        let draft = crate::domain::call::CallDraft {
            shift_id: shift.id,
            started_at: chrono::Utc::now(),
            call_type: None,
            record: crate::domain::call::CallRecord {
                notes: "Elle rappellera demain soir".into(),
                ..Default::default()
            },
        };
        store.save_draft(&draft).unwrap();
        let raw = crate::store::tests::raw_connection(&store);
        raw.execute_batch(
            "DROP TRIGGER audit_signing_is_kept_update; UPDATE audit_signing SET first_signed = 2;",
        )
        .unwrap();
        drop(raw);
        assert!(store.check().unwrap().is_clean());
        let file = Location::File(dir.path().join("copy.db"));
        let mut places = vec![file];
        let database = crate::test_support::postgres::fresh_database(
            "a_store_that_began_signing_late_keeps_where_on_a_file_and_on_a_server_with_its_secret_and_draft",
        );
        if let Some(database) = &database {
            places.push(Location::parse(Path::new(database.url())).unwrap());
        }
        for place in places {
            let report = store.migrate_to(&place, &|_, _| {}).unwrap();
            assert_eq!(
                report.tables.iter().find(|(t, _)| *t == "audit_signing"),
                Some(&("audit_signing", 1))
            );
            let mut copy = Store::open(&place, "coord", crate::store::tests::PASS).unwrap();
            assert_eq!(first_signed(&copy), 2, "{place}");
            assert_eq!(copy.caller_history("06 12 34 56 78").unwrap().0, hash, "{place}: the same secret");
            assert_eq!(copy.draft().unwrap().map(|d| d.record.notes), Some(draft.record.notes.clone()));
            let checked = copy.check().unwrap();
            assert!(checked.is_clean(), "{place}: {:?}", checked.findings);
            // The guard is back: the row is kept for ever there too.
            assert!(copy.conn.execute("DELETE FROM audit_signing", crate::db_params![]).is_err(), "{place}");
        }
    }

    /// Review of the migration, finding 6: a source whose own `check` fails is told as the
    /// source's fault (to mend there first), not as a copy that does not verify; nothing is
    /// copied either way.
    #[test]
    fn a_source_that_does_not_verify_is_told_apart_from_a_copy_that_does_not() {
        use crate::domain::call::{CallRecord, CallType, NewCall};
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::tests::create(&dir.path().join("p.db"));
        let shift = store.start_shift().unwrap();
        let started_at = chrono::Utc::now() - chrono::Duration::minutes(30);
        let call = NewCall {
            shift_id: shift.id,
            started_at,
            ended_at: started_at + chrono::Duration::minutes(10),
            call_type: CallType::Listening,
            time_spent: None,
            record: CallRecord { themes: vec!["deuil".into()], ..Default::default() },
        };
        store.save_call(&call).unwrap();
        let raw = crate::store::tests::raw_connection(&store);
        raw.execute_batch("UPDATE stat_count SET n = n + 1 WHERE facet = 'theme'").unwrap();
        drop(raw);
        let target = Location::File(dir.path().join("copy.db"));
        let err = store.migrate_to(&target, &|_, _| {}).unwrap_err();
        let said = crate::messages::store_error(crate::i18n::Strings::get(crate::i18n::Language::En), &err);
        assert!(said.starts_with("the store being copied does not verify itself"), "{said}");
        assert!(!dir.path().join("copy.db").exists(), "nothing copied");
    }

    /// Review of the migration, finding 7: the COMMIT done on the server and its answer lost on
    /// the way back; the migration finds its own entry there and reports the copy made, rather
    /// than a failure after which a second try would be refused as not empty.
    #[test]
    fn a_migration_whose_commit_answer_was_lost_is_told_made() {
        use crate::test_support::postgres::CommitCutter;
        let Some(database) = crate::test_support::postgres::fresh_database(
            "a_migration_whose_commit_answer_was_lost_is_told_made",
        ) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::tests::create(&dir.path().join("p.db"));
        store.create_file(&Default::default()).unwrap();
        let cutter = CommitCutter::start(database.url());
        let through = Location::parse(Path::new(&cutter.url(database.url()))).unwrap();
        cutter.cut_after_next_commit();
        let report = store.migrate_to(&through, &|_, _| {}).unwrap();
        assert_eq!(cutter.cuts(), 1, "the COMMIT's answer was lost");
        let copy = Store::open(
            Location::parse(Path::new(database.url())).unwrap(),
            "coord",
            crate::store::tests::PASS,
        )
        .unwrap();
        assert_eq!(copy.counts().unwrap().files, 1);
        assert!(copy.check().unwrap().findings.is_empty());
        assert!(report.entry.0 > 0);
    }
}
