-- permanence on a PostgreSQL server: the terminals' role and the privileges it holds
-- (README, "A centre with several desks"; issue 18, point 7).
--
-- Two login roles:
--   permanence_owner  owns the database and its schema. It runs `permanence init` and, after an
--                     update of the program, the schema's upgrades; no desk uses it day to day.
--                     It could rewrite the audit log (drop the triggers, grant itself UPDATE
--                     back), and `permanence check` says so when run as it.
--   permanence        the terminals' role. It owns nothing, reads every table, appends to the
--                     audit log, and changes only what the program changes. It can never
--                     change, delete or truncate an audit entry.
--
-- Made as the server's `postgres` user:
--   createuser --pwprompt permanence_owner
--   createuser --pwprompt permanence
--   createdb --owner permanence_owner permanence
-- then, from any desk, `permanence --db 'postgresql://permanence_owner:…@…/permanence?…' init`,
-- then this file, in that database, as postgres:
--   sudo -u postgres psql -d permanence < server-setup.sql
--   sudo -u postgres psql -d permanence -v terminal=another_name < server-setup.sql   (another role)
-- Run it again after an update of permanence has upgraded the schema, and after a pg_restore
-- (a dump does not hold the database's own privileges): it starts from nothing and grants what
-- this version needs.

\set ON_ERROR_STOP on
\if :{?terminal}
\else
    \set terminal permanence
\endif

BEGIN;

-- Only the terminals' role (and the owner, and postgres) may connect; nobody creates objects
-- in the schema but its owner.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO :"terminal";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Start from nothing: whatever an earlier run granted and this version no longer needs goes.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"terminal";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"terminal";

-- Every table is read (a terminal shows, searches, counts and checks).
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"terminal";
-- Row ids are drawn before a row is written, so that its sealed text can name it (nextval).
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO :"terminal";

-- Appended, never changed: the audit log (its triggers refuse the rest, and so does the
-- absence of UPDATE, DELETE and TRUNCATE here), a call's themes, orientations and situations,
-- callback attempts, missed calls, the phone's secret (made once), accounts.
GRANT INSERT ON audit, call_theme, call_orientation, call_situation, callback_attempt,
    missed_call, phone_secret, listener TO :"terminal";

-- Written and changed (a call's notes amended or purged, a callback's progress, a file's
-- summary, a shift ended…), never removed.
GRANT INSERT, UPDATE ON call, callback, caller_file, emergency_prompt, file_event, shift
    TO :"terminal";

-- Written, changed and removed: drafts (removed with the call they became), wrong-passphrase
-- counts (cleared by the right one), the centre's settings, an account's pending keys (the
-- key history's trigger keeps the current and retired ones).
GRANT INSERT, UPDATE, DELETE ON call_draft, unlock_attempt, centre_setting, listener_key
    TO :"terminal";
-- The statistics' rollup: kept by every write, counted afresh a month at a time, marked stale.
GRANT INSERT, UPDATE, DELETE ON stat_count, stat_quarter, stat_rules, stat_rebuild TO :"terminal";

-- Removed by the retention purge only.
GRANT INSERT, DELETE ON call_caller TO :"terminal";

-- The key slots: rewritten with each account change (the row written once by `init`).
GRANT UPDATE ON key_file TO :"terminal";

-- Never changed by a terminal: audit_signing, centre_root, permanence_schema (read only).

COMMIT;
