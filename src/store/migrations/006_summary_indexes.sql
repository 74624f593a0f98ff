-- Schema 6: indexes for the end-of-shift and monthly figures, so a month's summary reads
-- only that month's rows on a store of years.

CREATE INDEX callback_by_origin ON callback(origin_call_id) WHERE origin_call_id IS NOT NULL;
CREATE INDEX callback_by_created ON callback(created_at);
CREATE INDEX callback_attempt_by_time ON callback_attempt(attempted_at);
CREATE INDEX caller_file_by_created ON caller_file(created_at);
CREATE INDEX file_event_by_kind ON file_event(kind, at);
