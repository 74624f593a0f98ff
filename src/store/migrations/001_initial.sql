-- Schema 1. Instants are Unix seconds (UTC) in INTEGER columns: compact and fast to range over.
-- Enumerations are the stored words of src/domain, guarded by CHECK constraints.

CREATE TABLE listener (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('listener', 'supervisor')),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    INTEGER NOT NULL
);

CREATE TABLE shift (
    id             INTEGER PRIMARY KEY,
    listener_id    INTEGER NOT NULL REFERENCES listener(id),
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    handover_note  TEXT,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX shift_by_listener ON shift(listener_id, started_at);
CREATE INDEX shift_by_start ON shift(started_at);

CREATE TABLE caller_file (
    id                  INTEGER PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL CHECK (status IN ('open', 'follow_up', 'closed')),
    closed_reason       TEXT,
    caller_agreed       INTEGER CHECK (caller_agreed IN (0, 1)),
    age_band            TEXT,
    gender              TEXT,
    departement         TEXT,
    relation            TEXT,
    situation_summary   TEXT NOT NULL DEFAULT '',
    instructions        TEXT NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    last_contact_at     INTEGER,
    legal_hold          INTEGER NOT NULL DEFAULT 0 CHECK (legal_hold IN (0, 1)),
    CHECK ((status = 'closed') = (closed_reason IS NOT NULL AND caller_agreed IS NOT NULL))
);
CREATE INDEX caller_file_by_last_contact ON caller_file(last_contact_at);

CREATE TABLE call (
    id               INTEGER PRIMARY KEY,
    shift_id         INTEGER NOT NULL REFERENCES shift(id),
    listener_id      INTEGER NOT NULL REFERENCES listener(id),
    caller_file_id   INTEGER REFERENCES caller_file(id),
    started_at       INTEGER NOT NULL,
    ended_at         INTEGER NOT NULL,
    call_type        TEXT NOT NULL,
    notes            TEXT NOT NULL DEFAULT '',
    rud_risk         TEXT CHECK (rud_risk IN ('low', 'medium', 'high')),
    rud_urgency      TEXT CHECK (rud_urgency IN ('low', 'medium', 'high')),
    rud_danger       TEXT CHECK (rud_danger IN ('low', 'medium', 'high')),
    outcome          TEXT,
    CHECK (ended_at >= started_at)
);
CREATE INDEX call_by_file ON call(caller_file_id, started_at) WHERE caller_file_id IS NOT NULL;
CREATE INDEX call_by_shift ON call(shift_id);
CREATE INDEX call_by_start ON call(started_at);

CREATE TABLE call_theme (
    call_id  INTEGER NOT NULL REFERENCES call(id) ON DELETE CASCADE,
    theme    TEXT NOT NULL,
    PRIMARY KEY (call_id, theme)
) WITHOUT ROWID;

CREATE TABLE call_orientation (
    call_id  INTEGER NOT NULL REFERENCES call(id) ON DELETE CASCADE,
    number   TEXT NOT NULL,
    PRIMARY KEY (call_id, number)
) WITHOUT ROWID;

CREATE TABLE emergency_prompt (
    id               INTEGER PRIMARY KEY,
    call_id          INTEGER NOT NULL REFERENCES call(id) ON DELETE CASCADE,
    number           TEXT NOT NULL,
    rule             TEXT NOT NULL,
    raised_at        INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    outcome          TEXT CHECK (outcome IN ('number_given', 'service_contacted', 'caller_declined', 'not_relevant')),
    outcome_note     TEXT,
    CHECK ((acknowledged_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX emergency_prompt_by_call ON emergency_prompt(call_id);

CREATE TABLE callback (
    id                    INTEGER PRIMARY KEY,
    caller_file_id        INTEGER NOT NULL REFERENCES caller_file(id),
    origin_call_id        INTEGER REFERENCES call(id),
    due_at                INTEGER NOT NULL,
    priority              TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    consent               INTEGER NOT NULL CHECK (consent = 1),
    callback_number       TEXT,
    assigned_listener_id  INTEGER REFERENCES listener(id),
    status                TEXT NOT NULL CHECK (status IN ('pending', 'done', 'cancelled')),
    note                  TEXT NOT NULL DEFAULT '',
    created_at            INTEGER NOT NULL,
    closed_at             INTEGER,
    closed_reason         TEXT,
    -- The callback number is the only contact data kept: it cannot outlive the callback.
    CHECK (status = 'pending' OR callback_number IS NULL),
    CHECK ((status = 'pending') = (closed_at IS NULL))
);
CREATE INDEX callback_pending_by_due ON callback(due_at) WHERE status = 'pending';
CREATE INDEX callback_by_file ON callback(caller_file_id);

CREATE TABLE callback_attempt (
    id            INTEGER PRIMARY KEY,
    callback_id   INTEGER NOT NULL REFERENCES callback(id),
    attempted_at  INTEGER NOT NULL,
    listener_id   INTEGER NOT NULL REFERENCES listener(id),
    result        TEXT NOT NULL CHECK (result IN ('reached', 'no_answer', 'message_not_left', 'wrong_number'))
);
CREATE INDEX callback_attempt_by_callback ON callback_attempt(callback_id);

-- One draft per listener: the call being taken, as JSON, replaced on every autosave.
CREATE TABLE call_draft (
    listener_id  INTEGER PRIMARY KEY REFERENCES listener(id),
    saved_at     INTEGER NOT NULL,
    body         TEXT NOT NULL
);

CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,  -- microseconds
    actor        INTEGER REFERENCES listener(id),
    action       TEXT NOT NULL,
    object_kind  TEXT NOT NULL,
    object_id    INTEGER,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);

-- Append-only: the software never changes or removes an entry. Someone with the key could
-- drop these triggers; the hash chain then still shows what they did.
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
