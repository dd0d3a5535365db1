-- cocreate never reads the log by subject (every instance answers from its
-- own projection, and reads the log only in seq order), while every event
-- paid for this index's upkeep: about a tenth of PostgreSQL's CPU per event.
-- An operator who queries the table by subject can create an index of their
-- own; cocreate leaves indexes it does not know alone.
-- Dropping it locks the table: if a long read holds it, the migration gives
-- up after 5 s (the server says so and does not start) rather than hold up
-- every instance's writes behind that read.
SET LOCAL lock_timeout = '5s';
DROP INDEX IF EXISTS events_subject;
