-- Where a recount of the statistics' rollup has got to: it counts one UTC month per short
-- transaction, so other terminals wait at most one month's count, and a recount cut short (a
-- crash, a full disk) resumes at `next_month` (the first second of the month to count next)
-- instead of starting over. `rules` is the counting rules it recounts by; the row is deleted
-- when the recount is done (then stat_rules holds the rules) or when the rollup is found stale
-- again during it (then it starts over).
CREATE TABLE stat_rebuild (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    rules       INTEGER NOT NULL,
    next_month  INTEGER NOT NULL
);
