-- Schema 12: contacts that are not phone calls (issue 22). Every contact has a channel (the
-- id of `assets/channels.toml` or of the config's `[[channels]]`); every contact saved
-- before is a phone call. A channel is not constrained here: the config may add some, and an
-- id no list knows is still shown.
--
-- `time_spent` is set for a written contact (e-mail, letter): the seconds the listener spent
-- on it, typed or timed while it was open. Its `started_at`/`ended_at` then only say when it
-- was open; length statistics count it apart (`Store::summary`). NULL for a call, a chat, an
-- SMS exchange: their length is from start to end.
ALTER TABLE call ADD COLUMN channel TEXT NOT NULL DEFAULT 'phone' CHECK (channel <> '');
ALTER TABLE call ADD COLUMN time_spent INTEGER CHECK (time_spent IS NULL OR time_spent >= 0);

-- A callback's channel: a written contact's "callback" is a reply due on its channel, and its
-- address (an e-mail address, a pseudonym…) is kept in `callback_number`, under that column's
-- rules: held only while pending, wiped when closed (its CHECK), never exported.
ALTER TABLE callback ADD COLUMN channel TEXT NOT NULL DEFAULT 'phone' CHECK (channel <> '');
