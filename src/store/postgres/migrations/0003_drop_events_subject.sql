-- cocreate never reads the log by subject (every instance answers from its
-- own projection, and reads the log only in seq order), while every event
-- paid for this index's upkeep: about a tenth of PostgreSQL's CPU per event.
-- An operator who queries the table by subject can create an index of their
-- own; cocreate leaves indexes it does not know alone.
DROP INDEX IF EXISTS events_subject;
