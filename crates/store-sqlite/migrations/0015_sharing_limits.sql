-- Migration 15: the probing limits of targeted sharing, per supporter: uploads and contacts
-- sent in the current window. Counts only (nothing about any friend); kept when a supporter
-- withdraws, so that withdrawing does not reset the limits.
CREATE TABLE sharing_limits (
  user_id       INTEGER PRIMARY KEY,
  window_start  TEXT NOT NULL,
  uploads       INTEGER NOT NULL,
  contacts      INTEGER NOT NULL
);
