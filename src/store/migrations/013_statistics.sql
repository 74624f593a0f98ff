-- Schema 13: the statistics of a period (the statistics screen, the yearly report, the
-- summaries) read type, outcome, RUD, length, file, channel and time spent of each contact in the period: this index
-- holds them all, so a year's figures read the index, never the calls' rows and their notes.
CREATE INDEX call_statistics ON call(started_at, call_type, ended_at, caller_file_id, outcome, rud_risk, rud_urgency, rud_danger, channel, time_spent);
