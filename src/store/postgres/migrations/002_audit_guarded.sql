-- Schema 2 (issue 18, point 7): the append-only tables refuse TRUNCATE too (their row triggers
-- never see one), and nobody holds the right to change or remove audit entries, not even the
-- role that owns the table (an owner could grant it back, or drop the trigger: `permanence
-- check` names a role that could). The terminals' role is given only what it needs
-- (docs/server-setup.sql): never UPDATE, DELETE or TRUNCATE here.
CREATE TRIGGER audit_is_never_truncated BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the audit log is append-only');
CREATE TRIGGER centre_root_is_never_truncated BEFORE TRUNCATE ON centre_root
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the centre root history is append-only');
CREATE TRIGGER audit_signing_is_never_truncated BEFORE TRUNCATE ON audit_signing
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('where audit signing began is kept');
CREATE TRIGGER listener_key_is_never_truncated BEFORE TRUNCATE ON listener_key
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the history of account keys is kept');

REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM %I',
                   (SELECT tableowner FROM pg_tables
                     WHERE schemaname = current_schema() AND tablename = 'audit'));
END $$;
