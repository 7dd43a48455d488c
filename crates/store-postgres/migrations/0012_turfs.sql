-- Migration 12: where households are (a geocoder's answer per residential address) and turfs
-- cut from a universe: each turf an ordered walking route of doors, the people at each door.
CREATE TABLE geocodes (
  household_id  BIGINT PRIMARY KEY,
  address_key   TEXT NOT NULL,
  latitude_e6   BIGINT NOT NULL,
  longitude_e6  BIGINT NOT NULL,
  source_file   TEXT NOT NULL,
  loaded_at     TEXT NOT NULL
);
CREATE TABLE turf_cuts (
  id            BIGSERIAL PRIMARY KEY,
  name          TEXT NOT NULL,
  expression    TEXT NOT NULL,
  county        TEXT NOT NULL,
  doors_target  BIGINT NOT NULL,
  created_at    TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  summary       TEXT NOT NULL
);
CREATE TABLE turf_stops (
  cut_id        BIGINT NOT NULL REFERENCES turf_cuts(id),
  turf          BIGINT NOT NULL,
  stop          BIGINT NOT NULL,
  household_id  BIGINT NOT NULL,
  person_id     BIGINT NOT NULL,
  PRIMARY KEY (cut_id, turf, stop, person_id)
);
