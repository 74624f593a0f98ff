-- Schema 9: each account's public keys (key file version 2, docs/keyslots.md), with their
-- history, and the centre's root key.
--
-- A key file's slot must carry its account's current keys. A reset gives an account new keys;
-- its old ones stay, retired, because what they signed (endorsements, audit entries) must still
-- verify later. A change of keys first writes the new ones as pending (`since` NULL), then the
-- key file, then makes them current: a crash in between leaves either the old keys and slot or
-- keys that the next unlock finds in the slot and makes current.
-- Instants are microseconds since the epoch (UTC), like the audit log's, so that an audit
-- entry can be matched with the key current when it was written.
CREATE TABLE listener_key (
    id           INTEGER PRIMARY KEY,
    listener_id  INTEGER NOT NULL REFERENCES listener(id),
    signing_key  BLOB NOT NULL CHECK (length(signing_key) = 32),  -- Ed25519 public key
    box_key      BLOB NOT NULL CHECK (length(box_key) = 32),      -- X25519 public key
    created_at   INTEGER NOT NULL,
    since        INTEGER,  -- when it became current; NULL while pending
    until        INTEGER,  -- when it was retired; NULL while current or pending
    CHECK (until IS NULL OR (since IS NOT NULL AND until >= since))
);
CREATE UNIQUE INDEX listener_key_current ON listener_key(listener_id)
    WHERE since IS NOT NULL AND until IS NULL;
CREATE INDEX listener_key_by_listener ON listener_key(listener_id, id);

-- The program never rewrites a key's history: it only makes a pending key current, retires a
-- current one, and removes a pending one that no slot carries (a crash's leftover).
CREATE TRIGGER listener_key_history_is_kept_update BEFORE UPDATE ON listener_key
WHEN NEW.id IS NOT OLD.id OR NEW.listener_id IS NOT OLD.listener_id
    OR NEW.signing_key IS NOT OLD.signing_key OR NEW.box_key IS NOT OLD.box_key
    OR NEW.created_at IS NOT OLD.created_at
    OR (OLD.since IS NOT NULL AND NEW.since IS NOT OLD.since)
    OR OLD.until IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'the history of account keys is kept');
END;
CREATE TRIGGER listener_key_history_is_kept_delete BEFORE DELETE ON listener_key
WHEN OLD.since IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'the history of account keys is kept');
END;

-- The centre's root: the signing key of the supervisor created by `init` (or, in a store made
-- before schema 9, of the first supervisor whose slot was converted). It endorses its own slot;
-- every other slot is endorsed by another supervisor. When the account holding it is
-- deactivated or given new keys, the supervisor who did it takes the root: a new row. Kept
-- whole: the last row is the root.
CREATE TABLE centre_root (
    id           INTEGER PRIMARY KEY,
    listener_id  INTEGER NOT NULL REFERENCES listener(id),
    signing_key  BLOB NOT NULL CHECK (length(signing_key) = 32),
    since        INTEGER NOT NULL
);
CREATE TRIGGER centre_root_is_append_only_update BEFORE UPDATE ON centre_root
BEGIN
    SELECT RAISE(ABORT, 'the centre root history is append-only');
END;
CREATE TRIGGER centre_root_is_append_only_delete BEFORE DELETE ON centre_root
BEGIN
    SELECT RAISE(ABORT, 'the centre root history is append-only');
END;
