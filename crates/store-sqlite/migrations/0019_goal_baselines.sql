-- Migration 19: a goal's baseline — what was already counted when it was set (filled when the
-- overview first counts it) — so that its pace is measured from there; canvass results by who
-- recorded them (a team member's activity).
ALTER TABLE region_goals ADD COLUMN baseline INTEGER;
CREATE INDEX field_results_canvasser ON field_results (canvasser, date);
