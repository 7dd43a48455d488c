-- Migration 13: election day reads voters by precinct (rosters) and by voter id (chase lists,
-- reports). The reports themselves live in the journal file beside the store.
CREATE INDEX voters_precinct ON voters (county, precinct);
CREATE INDEX voters_voter_id ON voters (voter_id);
