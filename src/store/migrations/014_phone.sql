-- Schema 14: the phone (issue 19). A caller's number is never stored: a call answered from the
-- phone keeps an HMAC-SHA256 of the normalised number under a secret that lives only here,
-- inside the encrypted file, so that a number heard before is recognised and, without the
-- secret, numbers cannot be recovered by hashing every phone number. Withheld numbers have no
-- hash. The retention purge deletes a call's hash with its notes.
CREATE TABLE phone_secret (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    secret  BLOB NOT NULL CHECK (length(secret) = 32)
);

CREATE TABLE call_caller (
    call_id      INTEGER PRIMARY KEY REFERENCES call(id) ON DELETE CASCADE,
    number_hash  BLOB NOT NULL CHECK (length(number_hash) = 32)
);
CREATE INDEX call_caller_by_hash ON call_caller(number_hash);

-- A call that rang and was not answered (or hung up before it was): when, how long it rang,
-- on whose shift if one was open. No number, no hash.
CREATE TABLE missed_call (
    id            INTEGER PRIMARY KEY,
    shift_id      INTEGER REFERENCES shift(id),
    rang_at       INTEGER NOT NULL,
    ring_seconds  INTEGER NOT NULL CHECK (ring_seconds >= 0)
);
CREATE INDEX missed_call_by_shift ON missed_call(shift_id);
CREATE INDEX missed_call_by_time ON missed_call(rang_at);
