-- Schema 2: full-text search over file summaries and call notes (FTS5, inside the encrypted
-- file). Accents are folded ("écoute" finds "ecoute" and the reverse). Three-letter prefixes
-- are indexed so that as-you-type queries stay fast on years of calls. The indexes follow
-- their tables through triggers; 'secure-delete' makes a purge remove the words from the
-- index itself, not only mark them deleted.

CREATE VIRTUAL TABLE caller_file_fts USING fts5(
    situation_summary, instructions,
    content = 'caller_file', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '3'
);
INSERT INTO caller_file_fts(caller_file_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO caller_file_fts(caller_file_fts) VALUES ('rebuild');

CREATE TRIGGER caller_file_fts_insert AFTER INSERT ON caller_file BEGIN
    INSERT INTO caller_file_fts(rowid, situation_summary, instructions)
    VALUES (new.id, new.situation_summary, new.instructions);
END;
CREATE TRIGGER caller_file_fts_delete AFTER DELETE ON caller_file BEGIN
    INSERT INTO caller_file_fts(caller_file_fts, rowid, situation_summary, instructions)
    VALUES ('delete', old.id, old.situation_summary, old.instructions);
END;
CREATE TRIGGER caller_file_fts_update AFTER UPDATE OF situation_summary, instructions ON caller_file BEGIN
    INSERT INTO caller_file_fts(caller_file_fts, rowid, situation_summary, instructions)
    VALUES ('delete', old.id, old.situation_summary, old.instructions);
    INSERT INTO caller_file_fts(rowid, situation_summary, instructions)
    VALUES (new.id, new.situation_summary, new.instructions);
END;

CREATE VIRTUAL TABLE call_fts USING fts5(
    notes,
    content = 'call', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '3'
);
INSERT INTO call_fts(call_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO call_fts(call_fts) VALUES ('rebuild');

CREATE TRIGGER call_fts_insert AFTER INSERT ON call BEGIN
    INSERT INTO call_fts(rowid, notes) VALUES (new.id, new.notes);
END;
CREATE TRIGGER call_fts_delete AFTER DELETE ON call BEGIN
    INSERT INTO call_fts(call_fts, rowid, notes) VALUES ('delete', old.id, old.notes);
END;
CREATE TRIGGER call_fts_update AFTER UPDATE OF notes ON call BEGIN
    INSERT INTO call_fts(call_fts, rowid, notes) VALUES ('delete', old.id, old.notes);
    INSERT INTO call_fts(rowid, notes) VALUES (new.id, new.notes);
END;
