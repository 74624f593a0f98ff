-- Schema 3 (issue 18, point 10): the newest rows whose blind-index tags hold a query's, found
-- through the GIN index alone. Searching as one types asks "the newest rows holding these tags":
-- the planner walks the primary key backwards, checking each row's tags (about 2 µs a row),
-- which is right for a common word but, for words that seldom go together, read every call of
-- the centre (2 to 3 s a keystroke at a million calls) because it takes tags for independent.
-- The terminal asks the newest calls first (`caller_files::files_by_tags`), and only when they
-- hold too few matches comes here: plain and index-only scans are off inside these functions,
-- so their rows come from the tags' posting lists, whatever the estimates. They change nothing
-- and run with the caller's rights.
CREATE FUNCTION calls_tagged_newest(tags bytea[], newest bigint)
    RETURNS TABLE (id bigint, caller_file_id bigint, notes bytea)
    LANGUAGE sql STABLE
    SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off
AS $$
    SELECT c.id, c.caller_file_id, c.notes FROM call c
     WHERE c.search_tags @> tags AND c.caller_file_id IS NOT NULL
     ORDER BY c.id DESC LIMIT newest
$$;

CREATE FUNCTION files_tagged_newest(tags bytea[], newest bigint)
    RETURNS TABLE (id bigint, situation_summary bytea, instructions bytea, status text, departement text)
    LANGUAGE sql STABLE
    SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off
AS $$
    SELECT f.id, f.situation_summary, f.instructions, f.status, f.departement FROM caller_file f
     WHERE f.search_tags @> tags
     ORDER BY f.id DESC LIMIT newest
$$;
