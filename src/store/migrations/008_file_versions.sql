-- Schema 8: every change to a file's text (an edit of its profile, the purge) bumps its
-- version; an edit is made on the version its author saw, so an edit prepared on a view from
-- before a purge (or another person's edit) is refused instead of writing old text back.
ALTER TABLE caller_file ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
