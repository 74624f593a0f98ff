-- Schema 4 (issue 18, point 10): every unlock asks whether the purge has anything to wipe,
-- among it whether an anonymous call older than the retention still holds notes. The index for
-- that question was made for `length(notes) > 0`, while the store asks `notes != ''` (as it asks
-- the file; the server keeps empty text as empty bytes), which the planner cannot prove from
-- it: the question read every call, 0.6 to 0.9 s of each unlock at a million calls. The same
-- index, for what is asked.
DROP INDEX call_anonymous_with_notes;
CREATE INDEX call_anonymous_with_notes ON call(started_at) WHERE caller_file_id IS NULL AND notes != '';
