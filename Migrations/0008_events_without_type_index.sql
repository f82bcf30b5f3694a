-- No query reads events by type alone (reads go by position, or by stream through the UNIQUE
-- (stream, version) index), but every append wrote this index: one more page dirtied and written to
-- the WAL per commit, for the events of each type in it. Dropped to make a commit smaller.
DROP INDEX IF EXISTS events_by_type;
