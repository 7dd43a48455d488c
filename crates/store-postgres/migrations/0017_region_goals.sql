-- Migration 17: goals per region (issue 11). One target per region (a county, or `all` for
-- the whole campaign) and measure (registrations, doors, calls, money, …), with an optional
-- due date; the overview counts progress against it. Who set it and when is kept.
CREATE TABLE region_goals (
  region  TEXT NOT NULL,
  metric  TEXT NOT NULL,
  target  BIGINT NOT NULL,
  due     TEXT,
  set_by  TEXT NOT NULL,
  set_at  TEXT NOT NULL,
  PRIMARY KEY (region, metric)
);
