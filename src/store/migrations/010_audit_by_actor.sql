-- Schema 10: the supervisor's view tells when someone who left without ending their shift
-- last did something; their last audit entry is found through this index, not by reading
-- the whole log.
CREATE INDEX audit_by_actor ON audit(actor, at);
