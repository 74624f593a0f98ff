-- Schema 15: the statistics' rollup (issue 20). A year's figures counted from the calls
-- themselves read 100,000 calls and their themes; these tables keep the same figures counted as
-- the calls, callbacks, attempts and missed calls are written, in the same transaction
-- (`store::rollup`), so a year reads some thousands of rows whatever the store's size.
--
-- Contacts, phone calls answered and missed calls per UTC quarter hour: every zone's offset is
-- a multiple of a quarter hour, so local hours and weekdays stay exact across changes of time.
CREATE TABLE stat_quarter (
    quarter   INTEGER PRIMARY KEY,  -- Unix seconds / 900
    contacts  INTEGER NOT NULL CHECK (contacts >= 0),
    answered  INTEGER NOT NULL CHECK (answered >= 0),
    missed    INTEGER NOT NULL CHECK (missed >= 0)
);

-- Every other figure as facts counted per UTC day and per UTC month (`span`): a facet (the
-- words of `domain::rollup::Facet`), its value and a detail ('' when none), how many, and the
-- seconds they add up to where a facet has a length. A period reads whole months, whole days
-- and, for the hours at its ends, the raw rows. `first_day` is the span's first day, in days
-- since 1970-01-01.
CREATE TABLE stat_count (
    span       TEXT NOT NULL CHECK (span IN ('day', 'month')),
    first_day  INTEGER NOT NULL,
    facet      TEXT NOT NULL,
    value      TEXT NOT NULL,
    detail     TEXT NOT NULL,
    n          INTEGER NOT NULL CHECK (n >= 0),
    seconds    INTEGER NOT NULL,
    PRIMARY KEY (span, first_day, facet, value, detail)
) WITHOUT ROWID;  -- SQLite's table clustered on its key; elsewhere, a table with this primary key

-- Which counting rules the rollup was made with (`rollup::RULES`): the tables above are
-- filled from the raw rows at the first opening by a version that counts by other rules (here,
-- every store upgraded to this schema), in one transaction.
CREATE TABLE stat_rules (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    rules  INTEGER NOT NULL
);

-- Whether a phone call performed a callback (then it was not "answered": we called) is asked
-- per call; without this index each asking read every attempt (issue 19's summaries took
-- seconds per shift on a large store).
CREATE INDEX callback_attempt_by_call ON callback_attempt(call_id) WHERE call_id IS NOT NULL;
