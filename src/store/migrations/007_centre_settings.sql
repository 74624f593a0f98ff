-- Schema 7: the settings that destroy or weaken belong to the centre, not to one terminal's
-- config file: the retention period (the purge wipes free text older than it) and the share
-- of the store an automatic purge at unlock may wipe before it waits for a supervisor.
-- Changed by a supervisor only (audited); the bounds hold even against a hand-made UPDATE.
CREATE TABLE centre_setting (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL,
    CHECK ((name = 'retention_days' AND value BETWEEN 1 AND 36500)
        OR (name = 'purge_confirm_percent' AND value BETWEEN 0 AND 100))
) WITHOUT ROWID;

-- The retention period is not guessed for a store that existed before: until then each
-- terminal used its own config's, so a supervisor states the centre's one
-- (`permanence settings set retention_days N`) and nothing is purged until then. A new store
-- gets it at creation.
INSERT INTO centre_setting (name, value) VALUES ('purge_confirm_percent', 10);
