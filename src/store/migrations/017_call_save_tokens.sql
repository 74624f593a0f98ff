-- Schema 17 (after the statistics' rollup, 015 and 016): a call saved from the terminal carries the token drawn when it started (16
-- random bytes, kept in its draft), and a token is saved once. A save retried after its answer
-- was lost — the database committed it, the connection to the centre's server broke before
-- saying so — then finds its call already there instead of writing it twice. Calls saved
-- before, and those the demo and the bulk loader write, have none (NULLs never conflict).
ALTER TABLE call ADD COLUMN save_token BLOB;
CREATE UNIQUE INDEX call_by_save_token ON call(save_token);
