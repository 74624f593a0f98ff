//! `permanence check` and `permanence backup`: integrity of the file, of its encryption and
//! of the audit chain; an encrypted, consistent copy verified by reopening it.

use std::path::Path;

use rusqlite::Connection;

use super::db::Db;
use super::error::{StoreError, StoreResult};
use super::keyslots::KeyFile;
use super::{Store, audit, connection};
use crate::atomic_file::{sync_parent, temp_path_for};
use crate::domain::ListenerId;
use crate::domain::audit::{AuditAction, ChainBreak, ObjectKind};
use crate::domain::audit_signature::SignatureFault;
use crate::i18n::Phrase;
use crate::store::postgres::privileges::AuditPower;

#[derive(Debug, Clone)]
pub enum CheckFinding {
    /// `PRAGMA integrity_check` found a structural fault.
    Integrity(String),
    /// `PRAGMA cipher_integrity_check` found a page whose HMAC fails: changed on disk.
    Cipher(String),
    ForeignKey(String),
    AuditChain(ChainBreak),
    /// Audit entries whose signature is missing, is not their actor's, or does not verify:
    /// how many, and the first few named (`entry 42 (actor coord, signed by camille)`).
    AuditSignature {
        fault: SignatureFault,
        count: u64,
        named: Vec<String>,
    },
    /// The key file disagrees with the accounts.
    KeySlot(Phrase),
    /// On a server: the role this check connected as could rewrite the audit log (a
    /// terminal's role must only read and append).
    AuditRewritable {
        role: String,
        power: AuditPower,
    },
    /// The statistics' rollup differs from a recount of the calls, callbacks and missed calls
    /// from this UTC month on (the first that differs).
    Statistics(chrono::NaiveDate),
}

impl CheckFinding {
    /// The finding in words; what SQLite reports is kept as it says it.
    pub fn phrase(&self) -> Phrase {
        match self {
            CheckFinding::Integrity(detail) => Phrase::new(|s| &s.cli.check_integrity).with("detail", detail),
            CheckFinding::Cipher(detail) => Phrase::new(|s| &s.cli.check_cipher).with("detail", detail),
            CheckFinding::ForeignKey(detail) => {
                Phrase::new(|s| &s.cli.check_foreign_key).with("detail", detail)
            }
            CheckFinding::AuditChain(ChainBreak::Altered(id)) => {
                Phrase::new(|s| &s.cli.check_audit_altered).with("id", id)
            }
            CheckFinding::AuditChain(ChainBreak::Unlinked(id)) => {
                Phrase::new(|s| &s.cli.check_audit_unlinked).with("id", id)
            }
            CheckFinding::AuditSignature { fault, count, named } => {
                let more = if (named.len() as u64) < *count { ", …" } else { "" };
                Phrase::new(|s| &s.cli.check_audit_signature)
                    .with("count", count)
                    .with_phrase("fault", Phrase::signature_fault(*fault))
                    .with("named", format!("{}{more}", named.join(", ")))
            }
            CheckFinding::KeySlot(detail) => {
                Phrase::new(|s| &s.cli.check_key_file).with_phrase("detail", detail.clone())
            }
            CheckFinding::AuditRewritable { role, power } => {
                let how = match power {
                    AuditPower::Superuser => Phrase::new(|s| &s.cli.audit_power_superuser),
                    AuditPower::Owner => Phrase::new(|s| &s.cli.audit_power_owner),
                    AuditPower::TriggerOwner => Phrase::new(|s| &s.cli.audit_power_trigger),
                    AuditPower::Granted(privileges) => {
                        Phrase::new(|s| &s.cli.audit_power_granted).with("privileges", privileges.join(", "))
                    }
                };
                Phrase::new(|s| &s.cli.check_audit_rewritable).with("role", role).with_phrase("how", how)
            }
            CheckFinding::Statistics(month) => {
                Phrase::new(|s| &s.cli.check_statistics).with("month", month.format("%m/%Y"))
            }
        }
    }
}

impl std::fmt::Display for CheckFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.phrase().fmt(f)
    }
}

#[derive(Debug, Clone)]
pub struct CheckReport {
    pub findings: Vec<CheckFinding>,
    pub audit_entries: u64,
    pub audit_head: Option<String>,
    /// Entries whose signature verified, and entries written before signing began (not
    /// faults: said once). Zero when only the chain was verified (a backup's copy).
    pub audit_signed: u64,
    pub audit_predating: u64,
    /// What is worth knowing and is not a fault (a version-1 key slot not converted yet).
    pub notes: Vec<Phrase>,
    /// On a server, what is wrong with the role the check connected as rather than with the
    /// data (`CheckFinding::AuditRewritable`): `permanence check` counts it as a fault; the
    /// data's verdict, `is_clean`, does not.
    pub role_findings: Vec<CheckFinding>,
}

impl CheckReport {
    /// Whether the data verified: structure, chain, signatures, key slots.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Runs a PRAGMA whose rows are messages; `ok` (or no row) means nothing to report.
/// A read that fails outright is itself a finding, not an error of the check.
fn pragma_messages(conn: &Connection, pragma: &str) -> Vec<String> {
    let run = || -> rusqlite::Result<Vec<String>> {
        let mut statement = conn.prepare(pragma)?;
        let rows = statement.query_map([], |row| {
            let columns = row.as_ref().column_count();
            let mut parts = Vec::with_capacity(columns);
            for i in 0..columns {
                let value: rusqlite::types::Value = row.get(i)?;
                parts.push(match value {
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Integer(n) => n.to_string(),
                    rusqlite::types::Value::Null => "null".into(),
                    other => format!("{other:?}"),
                });
            }
            Ok(parts.join(" "))
        })?;
        rows.collect()
    };
    match run() {
        Ok(messages) => messages.into_iter().filter(|m| m != "ok").collect(),
        Err(err) => vec![err.to_string()],
    }
}

/// Structure, encrypted pages, references and the audit chain; with `signatures`, every audit
/// entry's signature too (`progress(done, total)` follows the log, the long part on a large
/// store).
fn check_connection(
    db: &Db,
    signatures: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> StoreResult<CheckReport> {
    let mut findings = Vec::new();
    // The file's own checks; a server keeps its pages and references itself.
    if let Some(conn) = db.sqlite() {
        findings.extend(
            pragma_messages(conn, "PRAGMA cipher_integrity_check").into_iter().map(CheckFinding::Cipher),
        );
        findings
            .extend(pragma_messages(conn, "PRAGMA integrity_check").into_iter().map(CheckFinding::Integrity));
        findings.extend(
            pragma_messages(conn, "PRAGMA foreign_key_check").into_iter().map(CheckFinding::ForeignKey),
        );
    }
    let mut report = CheckReport {
        findings: Vec::new(),
        audit_entries: 0,
        audit_head: None,
        audit_signed: 0,
        audit_predating: 0,
        notes: Vec::new(),
        role_findings: Vec::new(),
    };
    match audit::verify_log(db, signatures, progress) {
        Ok(verified) => {
            match verified.chain {
                Ok(chain) => {
                    report.audit_entries = chain.entries;
                    report.audit_head = Some(chain.head_hash);
                }
                Err(chain_break) => findings.push(CheckFinding::AuditChain(chain_break)),
            }
            if let Some(signed) = verified.signatures {
                report.audit_signed = signed.verified;
                report.audit_predating = signed.predating;
                let logins: std::collections::HashMap<ListenerId, String> =
                    super::listeners::all(db)?.into_iter().map(|l| (l.id, l.login)).collect();
                let name =
                    |id: ListenerId| logins.get(&id).cloned().unwrap_or_else(|| format!("account {id}"));
                for (fault, faulty) in signed.faults {
                    let named = faulty
                        .first
                        .iter()
                        .map(|e| {
                            let actor = e.actor.map_or_else(|| "the software".to_owned(), name);
                            match e.signed_by {
                                Some(by) => format!("entry {} (actor {actor}, signed by {})", e.id, name(by)),
                                None => format!("entry {} (actor {actor})", e.id),
                            }
                        })
                        .collect();
                    findings.push(CheckFinding::AuditSignature { fault, count: faulty.count, named });
                }
            }
        }
        Err(err) => findings.push(CheckFinding::Integrity(err.to_string())),
    }
    report.findings = findings;
    Ok(report)
}

/// What `check` verifies of the data of `db` with the key slots `key_file`: structure, the
/// audit chain and its signatures, the statistics' rollup against a recount, the key slots
/// against the accounts. Also run by `migrate` on its target inside the transaction that
/// writes it (`in_transaction`: the recount reads that transaction rather than a snapshot of
/// its own), so that a copy that does not verify is never committed.
pub(super) fn check_data(
    db: &Db,
    key_file: StoreResult<KeyFile>,
    in_transaction: bool,
    signatures: &mut dyn FnMut(u64, u64),
    statistics: &mut dyn FnMut(u64, u64),
) -> StoreResult<CheckReport> {
    let mut report = check_connection(db, true, signatures)?;
    // One snapshot: a terminal saving a call meanwhile changes raw rows and rollup together.
    // A page that cannot be read is a finding, as for the audit log.
    let recount = if in_transaction {
        // The log's walk set the session's time limit back; the recount may take as long.
        db.unhurried()?;
        super::rollup::check(db, statistics)
    } else {
        db.transaction(super::db::TxKind::Read).and_then(|read| {
            let found = super::rollup::check(&read, statistics);
            read.commit()?;
            found
        })
    };
    match recount {
        Ok(Some(month)) => report.findings.push(CheckFinding::Statistics(month)),
        Ok(None) => {}
        Err(err) => report.findings.push(CheckFinding::Integrity(err.to_string())),
    }
    match key_file.and_then(|key_file| super::slot_upkeep::slot_findings(db, &key_file)) {
        Ok(slots) => {
            report.findings.extend(slots.faults.into_iter().map(CheckFinding::KeySlot));
            report.notes.extend(slots.notes);
        }
        Err(err) => report.findings.push(CheckFinding::KeySlot(
            Phrase::new(|s| &s.cli.check_key_file_unreadable).with("detail", err),
        )),
    }
    Ok(report)
}

/// What a verified backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub calls: i64,
    pub files: i64,
    pub bytes: u64,
}

/// How much the database holds, for the demo and the benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub calls: u64,
    pub files: u64,
    pub pending_callbacks: u64,
    pub callbacks: u64,
}

impl Store {
    pub fn counts(&self) -> StoreResult<Counts> {
        self.conn.query_row(
            "SELECT (SELECT count(*) FROM call), (SELECT count(*) FROM caller_file),
                    (SELECT count(*) FROM callback WHERE status = 'pending'), (SELECT count(*) FROM callback)",
            crate::db_params![],
            |row| Ok(Counts { calls: row.get(0)?, files: row.get(1)?, pending_callbacks: row.get(2)?, callbacks: row.get(3)? }),
        )
    }

    pub fn check(&self) -> StoreResult<CheckReport> {
        self.check_with_progress(&mut |_, _| {}, &mut |_, _| {})
    }

    /// [`Store::check`], calling `signatures(done, total)` as the audit log is verified, then
    /// `statistics(done, total)` as the statistics' rollup is recounted, month by month.
    pub fn check_with_progress(
        &self,
        signatures: &mut dyn FnMut(u64, u64),
        statistics: &mut dyn FnMut(u64, u64),
    ) -> StoreResult<CheckReport> {
        let mut report = check_data(&self.conn, self.key_file_now(), false, signatures, statistics)?;
        if self.conn.is_postgres()
            && let (role, Some(power)) = super::postgres::privileges::audit_power(&self.conn)?
        {
            report.role_findings.push(CheckFinding::AuditRewritable { role, power });
        }
        Ok(report)
    }

    /// Writes an encrypted copy of the database to `out` (with its key file beside it, as
    /// `out.keys`), consistent even while another terminal writes, then reopens it to verify.
    pub fn backup(&mut self, out: &Path) -> StoreResult<BackupReport> {
        self.require_supervisor(|s| &s.cli.what_backup)?;
        // A server is backed up by its administrator (`pg_dump`: free text is ciphertext there,
        // and the key slots are in the database): README, "A centre with several desks".
        if self.conn.sqlite().is_none() {
            return Err(StoreError::Refused(Phrase::new(|s| &s.cli.backup_on_server)));
        }
        self.require_writable()?;
        let out_keys = KeyFile::path_for(out);
        for path in [out, out_keys.as_path()] {
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(StoreError::AlreadyExists(path.to_owned()));
            }
        }
        // The copy's own key file is new and beside a new copy: checking the copy is enough.
        crate::output_path::check(out, self.db_path()?).map_err(|e| StoreError::Refused(e.phrase()))?;
        let temp = temp_path_for(out);
        let _ = std::fs::remove_file(&temp);
        super::create_private_file(&temp)?;
        let result = self.export_to(&temp);
        if let Err(err) = result {
            let _ = std::fs::remove_file(&temp);
            return Err(err);
        }
        let io = |e| StoreError::io(out.display().to_string(), e);
        // Verified under its temporary name: a backup killed midway, or one that does not
        // verify, never stands under the name asked for.
        let verified = (|| {
            std::fs::File::open(&temp).and_then(|f| f.sync_all()).map_err(io)?;
            let copy = Db::Sqlite(connection::open(&temp, &self.key, false)?);
            // Whole is what a copy must be (its chain included); its signatures are the
            // original's, which `check` verifies.
            let report = check_connection(&copy, false, &mut |_, _| {})?;
            if let Some(finding) = report.findings.first() {
                return Err(StoreError::DatabaseDamaged(format!("the backup does not verify: {finding}")));
            }
            let count = |table: &str| -> StoreResult<i64> {
                copy.query_row(&format!("SELECT count(*) FROM {table}"), crate::db_params![], |row| {
                    row.get(0)
                })
            };
            Ok((count("call")?, count("caller_file")?))
        })();
        // The copy has its own salt, which its key file names.
        let verified = verified.and_then(|counts| Ok((counts, super::keyslots::database_salt(&temp)?)));
        // The copy's connection is closed: its log, emptied into it, and its index are not kept.
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", temp.display()));
        }
        let ((calls, files), salt) = match verified {
            Ok(verified) => verified,
            Err(err) => {
                let _ = std::fs::remove_file(&temp);
                return Err(err);
            }
        };
        std::fs::rename(&temp, out).map_err(io)?;
        KeyFile::load(&KeyFile::path_for(self.db_path()?))?.copy_to(out_keys, salt).save()?;
        sync_parent(out).map_err(io)?;
        let backup =
            BackupReport { calls, files, bytes: std::fs::metadata(out).map(|m| m.len()).unwrap_or(0) };
        self.write(|tx, actor| {
            audit::append(tx, Some(actor.id), AuditAction::BackedUp, ObjectKind::Database, None)
        })?;
        Ok(backup)
    }

    fn export_to(&mut self, temp: &Path) -> StoreResult<()> {
        let conn = self
            .conn
            .sqlite()
            .ok_or_else(|| StoreError::Refused(Phrase::new(|s| &s.cli.backup_on_server)))?;
        let version = super::schema::user_version(conn)?;
        // Without a KEY clause SQLCipher gives the attached copy the main database's key from
        // its own (wiped) memory: the key is never bound as an SQL value, which SQLite copies.
        conn.execute("ATTACH DATABASE ?1 AS backup", rusqlite::params![temp.to_string_lossy()])?;
        // One read transaction: the copy is the snapshot of one instant.
        let exported = conn.execute_batch(&format!(
            "BEGIN;
             SELECT sqlcipher_export('backup');
             PRAGMA backup.user_version = {version};
             COMMIT;"
        ));
        if exported.is_err() {
            let _ = conn.execute_batch("ROLLBACK;");
        }
        let detached = conn.execute_batch("DETACH DATABASE backup;");
        exported?;
        detached?;
        Ok(())
    }
}
