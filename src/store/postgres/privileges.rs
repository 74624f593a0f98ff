//! What the connected role could do to the audit log beyond appending to it: `permanence
//! check` names a role that could rewrite it (issue 18, point 7). Terminals connect as a role
//! that owns nothing and holds only the privileges the program needs (docs/server-setup.sql);
//! the owner of the schema, and any superuser, can always rewrite the log (drop its triggers,
//! grant themselves UPDATE back), which only the signatures then show.

use crate::db_params;
use crate::store::db::Db;
use crate::store::error::StoreResult;

/// The strongest power the role holds over the audit log, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditPower {
    /// A superuser: every privilege, and triggers can be switched off.
    Superuser,
    /// Owns the table (or is a member of its owner): can drop its triggers, grant itself any right.
    Owner,
    /// Owns the function of its append-only triggers: can make it let everything through.
    TriggerOwner,
    /// Holds these privileges on the table (UPDATE, DELETE, TRUNCATE).
    Granted(Vec<&'static str>),
}

/// The role this connection acts as, and its power over the audit log (`None`: it can only
/// read and append, as a terminal's role should).
pub fn audit_power(db: &Db) -> StoreResult<(String, Option<AuditPower>)> {
    let (role, superuser, owner, trigger_owner, update, delete, truncate) = db.query_row(
        "SELECT current_user::text,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                pg_has_role(current_user, c.relowner, 'USAGE'),
                pg_has_role(current_user, p.proowner, 'USAGE'),
                has_table_privilege(c.oid, 'UPDATE'),
                has_table_privilege(c.oid, 'DELETE'),
                has_table_privilege(c.oid, 'TRUNCATE')
           FROM pg_class c, pg_proc p
          WHERE c.oid = to_regclass('audit') AND p.oid = to_regprocedure('refuse_change()')",
        db_params![],
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<bool>(1)?,
                row.get::<bool>(2)?,
                row.get::<bool>(3)?,
                row.get::<bool>(4)?,
                row.get::<bool>(5)?,
                row.get::<bool>(6)?,
            ))
        },
    )?;
    let granted: Vec<&'static str> = [("UPDATE", update), ("DELETE", delete), ("TRUNCATE", truncate)]
        .into_iter()
        .filter_map(|(name, held)| held.then_some(name))
        .collect();
    let power = if superuser {
        Some(AuditPower::Superuser)
    } else if owner {
        Some(AuditPower::Owner)
    } else if trigger_owner {
        Some(AuditPower::TriggerOwner)
    } else if !granted.is_empty() {
        Some(AuditPower::Granted(granted))
    } else {
        None
    };
    Ok((role, power))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::call::{CallDraft, CallRecord, CallType, NewCall};
    use crate::domain::listener::Role;
    use crate::domain::phone::{MissedCall, PhoneCall};
    use crate::domain::settings::Setting;
    use crate::store::{KdfParams, Location, NewAccount, Store, StoreError};
    use crate::test_support::postgres::{TestRole, fresh_database, run_server_setup, with_role};

    const PASS: &str = "trois pommes bleues vertes";

    fn account(login: &str, role: Role) -> NewAccount<'_> {
        NewAccount { login, display_name: login, role, passphrase: PASS }
    }

    fn location(url: &str) -> Location {
        Location::from(super::super::ServerUrl::parse(url).unwrap())
    }

    /// The terminals' role of docs/server-setup.sql does everything the program does (the
    /// demo's year of calls, files, callbacks and shifts; drafts, amended notes, missed calls
    /// and callers' hashes, settings, the purge, accounts and passphrases, presence, check),
    /// owns nothing, and can neither change, delete nor truncate an audit entry; `check` finds
    /// nothing to say of it, and names the owner, a superuser and a role granted UPDATE.
    #[test]
    fn the_terminals_role_does_all_the_program_does_and_cannot_rewrite_the_audit_log() {
        let test = "the_terminals_role_does_all_the_program_does_and_cannot_rewrite_the_audit_log";
        let Some(url) = crate::test_support::postgres::server_url(test) else { return };
        let owner = TestRole::new(&url, "owner");
        let terminal = TestRole::new(&url, "terminal");
        let database = fresh_database(test).unwrap();
        database.as_superuser(&format!("ALTER DATABASE {} OWNER TO {}", database.name(), owner.name));
        let created = Store::create(
            location(&database.url_as(&owner)),
            account("coord", Role::Supervisor),
            KdfParams::MINIMUM,
        )
        .unwrap();
        drop(created);
        if !run_server_setup(database.url(), &terminal.name) {
            return;
        }
        let desk = location(&database.url_as(&terminal));
        let mut store = Store::open(&desk, "coord", PASS).unwrap();
        let camille = store.add_listener(account("camille", Role::Listener), KdfParams::MINIMUM).unwrap().id;
        let now = chrono::Utc::now();
        let themes = crate::config::Config::default().themes;
        let coord = store.actor().id;
        crate::demo::fill(&mut store, &[coord, camille], 1500, &themes, now).unwrap();
        store.set_setting(Setting::RetentionDays, 30).unwrap();
        store.purge(now, false).unwrap();
        store.set_passphrase("coord", "cinq souris grises dansent", KdfParams::MINIMUM).unwrap();
        drop(store);

        let mut store = Store::open(&desk, "camille", PASS).unwrap();
        let _presence = crate::store::presence::Presence::hold(&desk, camille).unwrap();
        let shift = store.start_shift().unwrap();
        let file = store.create_file(&Default::default()).unwrap();
        let (hash, _) = store.caller_history("+33 6 12 34 56 78").unwrap();
        let record = CallRecord {
            caller_file_id: Some(file.id),
            notes: "parle de son travail".into(),
            phone: Some(PhoneCall { caller: Some(hash), line_ended_at: None }),
            ..Default::default()
        };
        let draft =
            CallDraft { shift_id: shift.id, started_at: now, call_type: None, record: record.clone() };
        store.save_draft(&draft).unwrap();
        let call = NewCall {
            shift_id: shift.id,
            started_at: now - chrono::Duration::minutes(10),
            ended_at: now,
            call_type: CallType::Listening,
            time_spent: None,
            record,
        };
        let id = store.save_call(&call).unwrap();
        store.amend_call_notes(id, "parle de son travail", "parle de son travail, et de sa sœur").unwrap();
        store
            .record_missed_call(&MissedCall { shift_id: Some(shift.id), rang_at: now, ring_seconds: 9 })
            .unwrap();
        store.end_shift(shift.id, "rien à signaler").unwrap();
        let report = store.check().unwrap();
        assert!(report.is_clean(), "{:?}", report.findings);
        assert!(report.role_findings.is_empty(), "{:?}", report.role_findings);

        // What it can never do, whatever code runs as it.
        let db = &store.conn;
        for sql in [
            "UPDATE audit SET hash = 'x'",
            "DELETE FROM audit",
            "TRUNCATE audit",
            "UPDATE audit_signing SET first_signed = 9",
            "DELETE FROM centre_root",
            "UPDATE permanence_schema SET version = 1",
            "INSERT INTO key_file (id, body) VALUES (2, '')",
        ] {
            match db.execute(sql, db_params![]) {
                Err(StoreError::ServerPrivilege { object, said }) => {
                    assert!(sql.contains(object.as_str()), "{sql}: {object}");
                    assert!(said.contains("42501"), "{said}");
                }
                other => panic!("{sql}: {other:?}"),
            }
        }
        let (owned, truncatable): (i64, i64) = db
            .query_row(
                "SELECT (SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)),
                        (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()
                            AND has_table_privilege(format('%I.%I', schemaname, tablename), 'TRUNCATE'))",
                db_params![],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!((owned, truncatable), (0, 0), "owns nothing, truncates nothing");
        drop(store);

        // The owner, a superuser and a role granted UPDATE are each named.
        let as_owner = Store::open(location(&database.url_as(&owner)), "camille", PASS).unwrap();
        let (role, power) = audit_power(&as_owner.conn).unwrap();
        assert_eq!((role, power), (owner.name.clone(), Some(AuditPower::Owner)));
        assert!(as_owner.check().unwrap().is_clean(), "the data is sound: the role is what is named");
        let as_postgres = Store::open(location(database.url()), "camille", PASS).unwrap();
        assert_eq!(audit_power(&as_postgres.conn).unwrap().1, Some(AuditPower::Superuser));
        database.as_superuser(&format!("GRANT UPDATE, TRUNCATE ON audit TO {}", terminal.name));
        let granted = Store::open(
            location(&with_role(database.url(), &terminal.name, &terminal.password)),
            "camille",
            PASS,
        )
        .unwrap();
        let report = granted.check().unwrap();
        assert!(
            matches!(
                &report.role_findings[..],
                [crate::store::CheckFinding::AuditRewritable { power: AuditPower::Granted(p), .. }]
                    if p == &["UPDATE", "TRUNCATE"]
            ),
            "{:?}",
            report.role_findings
        );
    }
}
