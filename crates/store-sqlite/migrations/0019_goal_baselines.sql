-- Migration 19: a goal's baseline — what was already counted when it was set (filled when the
-- overview first counts it) — so that its pace is measured from there; canvass results by who
-- recorded them (a team member's activity).
-- Goals set before this migration keep the line they had: from 0.
ALTER TABLE region_goals ADD COLUMN baseline INTEGER;
UPDATE region_goals SET baseline = 0;
CREATE INDEX field_results_canvasser ON field_results (canvasser, date);
