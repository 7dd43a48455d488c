-- Migration 16: the trip board (PRODUCT.md C7). Field offices (one JSON document each) and
-- their needs per day; posts — ride offers, bed offers and travel requests — as JSON documents
-- with their owner (a user; none when imported from files) and status; the planner's
-- assignments with each side's answer (a proposal until every side concerned has accepted);
-- declines (never proposed again); messages between the people of one assignment.
CREATE TABLE trip_offices (
  id          TEXT PRIMARY KEY,
  body        TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE TABLE trip_needs (
  office_id  TEXT NOT NULL,
  day        TEXT NOT NULL,
  shifts     BIGINT NOT NULL,
  PRIMARY KEY (office_id, day)
);
CREATE TABLE trip_posts (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  owner_id    BIGINT,
  status      TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX trip_posts_owner ON trip_posts (owner_id);
CREATE TABLE trip_assignments (
  request_id    TEXT PRIMARY KEY,
  office_id     TEXT NOT NULL,
  first_day     TEXT NOT NULL,
  last_day      TEXT NOT NULL,
  ride_id       TEXT,
  pickup        BIGINT,
  bed_id        TEXT,
  traveller_ok  BIGINT NOT NULL,
  driver_ok     BIGINT NOT NULL,
  host_ok       BIGINT NOT NULL,
  planned_at    TEXT NOT NULL,
  why           TEXT NOT NULL
);
CREATE INDEX trip_assignments_ride ON trip_assignments (ride_id);
CREATE INDEX trip_assignments_bed ON trip_assignments (bed_id);
CREATE TABLE trip_declines (
  request_id  TEXT NOT NULL,
  post_id     TEXT NOT NULL,
  at          TEXT NOT NULL,
  PRIMARY KEY (request_id, post_id)
);
CREATE TABLE trip_messages (
  id          BIGSERIAL PRIMARY KEY,
  request_id  TEXT NOT NULL,
  sender_id   BIGINT NOT NULL,
  body        TEXT NOT NULL,
  at          TEXT NOT NULL
);
CREATE INDEX trip_messages_request ON trip_messages (request_id);
