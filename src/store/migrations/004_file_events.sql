-- Schema 4: what happens to a file besides its calls — closure (with the caller's answer),
-- reopening, legal holds, retention purges — kept as its history. A file's current closure
-- stays on caller_file; reopening no longer loses why it had been closed.

CREATE TABLE file_event (
    id              INTEGER PRIMARY KEY,
    caller_file_id  INTEGER NOT NULL REFERENCES caller_file(id),
    at              INTEGER NOT NULL,
    listener_id     INTEGER REFERENCES listener(id),  -- NULL: the software (retention at unlock)
    kind            TEXT NOT NULL
                    CHECK (kind IN ('closed', 'reopened', 'hold_set', 'hold_lifted', 'purged', 'changed')),
    reason          TEXT NOT NULL DEFAULT '',
    caller_agreed   INTEGER CHECK (caller_agreed IN (0, 1)),
    CHECK ((kind = 'closed') = (caller_agreed IS NOT NULL))
);
CREATE INDEX file_event_by_file ON file_event(caller_file_id, at);

-- When the file's free text was wiped by the retention purge; a new call clears it (the file
-- then holds new text, which ages in its turn).
ALTER TABLE caller_file ADD COLUMN purged_at INTEGER;

-- The check at every unlock reads only what may be due, not years of purged history.
CREATE INDEX caller_file_to_purge ON caller_file(coalesce(last_contact_at, created_at)) WHERE purged_at IS NULL;
CREATE INDEX call_anonymous_with_notes ON call(started_at) WHERE caller_file_id IS NULL AND notes != '';
CREATE INDEX emergency_prompt_with_note ON emergency_prompt(call_id) WHERE outcome_note IS NOT NULL;
CREATE INDEX shift_with_handover ON shift(ended_at) WHERE handover_note IS NOT NULL;

-- When a call's notes were last amended after the call (and by whom, in the audit log).
ALTER TABLE call ADD COLUMN amended_at INTEGER;

-- Closures recorded before this schema: their event, so the history shows them.
INSERT INTO file_event (caller_file_id, at, listener_id, kind, reason, caller_agreed)
SELECT id, coalesce(last_contact_at, created_at), NULL, 'closed', closed_reason, caller_agreed
FROM caller_file WHERE status = 'closed';
