-- Schema 11: every audit entry signed by its author (issue 16). The hash chain shows an entry
-- changed, removed or inserted, but whoever holds the data key can recompute it; a signature
-- needs the signer's secret key, sealed in their key slot under their passphrase.
--
-- `signed_by` is the account whose session wrote the entry (its actor, or, for what the
-- software does on its own, the session's account); `signature` is Ed25519 over the entry's
-- id and hash (src/domain/audit_signature.rs), verified by `permanence check` with the key
-- `signed_by` had at the entry's instant (`listener_key`). Both NULL for entries written
-- before this migration, and for a session whose key slot was still version 1 and could not
-- be converted (`check` names those).
ALTER TABLE audit ADD COLUMN signed_by INTEGER REFERENCES listener(id);
ALTER TABLE audit ADD COLUMN signature BLOB
    CHECK (signature IS NULL OR (length(signature) = 64 AND signed_by IS NOT NULL));

-- Where signing began: entries before `first_signed` predate signatures and are counted, not
-- reported; every entry from it on must be signed. One row, never changed.
CREATE TABLE audit_signing (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    first_signed  INTEGER NOT NULL
);
INSERT INTO audit_signing (id, first_signed) SELECT 1, coalesce(max(id), 0) + 1 FROM audit;
CREATE TRIGGER audit_signing_is_kept_update BEFORE UPDATE ON audit_signing
BEGIN
    SELECT RAISE(ABORT, 'where audit signing began is kept');
END;
CREATE TRIGGER audit_signing_is_kept_delete BEFORE DELETE ON audit_signing
BEGIN
    SELECT RAISE(ABORT, 'where audit signing began is kept');
END;
