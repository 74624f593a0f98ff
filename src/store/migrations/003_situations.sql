-- Schema 3: the situations a listener ticked during a call (violence now, child in danger…),
-- from which emergency numbers are prompted; kept for the file history and statistics.

CREATE TABLE call_situation (
    call_id    INTEGER NOT NULL REFERENCES call(id) ON DELETE CASCADE,
    situation  TEXT NOT NULL,
    PRIMARY KEY (call_id, situation)
) WITHOUT ROWID;
