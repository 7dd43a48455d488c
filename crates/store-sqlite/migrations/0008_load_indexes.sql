-- Migration 8: the rows a load wrote, found without scanning the table (the change feed is
-- derived from them at each commit; a one-row load on a big store must stay cheap).
CREATE INDEX voters_load ON voters (load_id);
CREATE INDEX voters_removed_load ON voters (removed_load_id);
CREATE INDEX donations_load ON donations (load_id);
CREATE INDEX volunteers_load ON volunteers (load_id);
CREATE INDEX contacts_load ON contacts (load_id);
