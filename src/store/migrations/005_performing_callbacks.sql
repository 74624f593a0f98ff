-- Schema 5: performing callbacks. Every change to a callback bumps its version, so that two
-- terminals changing the same callback at once end in one clear state: the second change,
-- made on an outdated version, is refused and its author told. A callback whose attempts
-- failed too often is flagged for a supervisor. An attempt that reached the caller points to
-- the call it became.

ALTER TABLE callback ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE callback ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1));
ALTER TABLE callback_attempt ADD COLUMN call_id INTEGER REFERENCES call(id);
