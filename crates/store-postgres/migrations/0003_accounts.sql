-- Migration 3: accounts, sessions, integration keys, the audit log; indexes for people search.
CREATE TABLE users (
  id             BIGSERIAL PRIMARY KEY,
  username       TEXT NOT NULL UNIQUE,
  role           TEXT NOT NULL,
  regions        TEXT NOT NULL DEFAULT '',
  person_id      BIGINT,
  password_hash  TEXT NOT NULL,
  totp_secret    TEXT,
  disabled       BIGINT NOT NULL DEFAULT 0,
  expires_at     TEXT,
  failed_logins  BIGINT NOT NULL DEFAULT 0,
  locked_until   TEXT,
  created_at     TEXT NOT NULL,
  created_by     TEXT NOT NULL
);

CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,
  user_id     BIGINT NOT NULL REFERENCES users(id),
  csrf        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
  id          BIGSERIAL PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  key_hash    TEXT NOT NULL UNIQUE,
  scopes      TEXT NOT NULL,
  disabled    BIGINT NOT NULL DEFAULT 0,
  expires_at  TEXT,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL
);

CREATE TABLE audit_log (
  id      BIGSERIAL PRIMARY KEY,
  at      TEXT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  target  TEXT NOT NULL DEFAULT '',
  detail  TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE INDEX voters_name ON voters (last_name, first_name);
CREATE INDEX voters_phone ON voters (phone);
CREATE INDEX voters_street ON voters (street, house_number);
CREATE INDEX volunteers_name ON volunteers (last_name, first_name);
CREATE INDEX volunteers_email ON volunteers (email);
CREATE INDEX volunteers_phone ON volunteers (phone);
CREATE INDEX contacts_name ON contacts (last_name, first_name);
CREATE INDEX contacts_email ON contacts (email);
CREATE INDEX contacts_phone ON contacts (phone);
CREATE INDEX donations_name ON donations (last_name, first_name);
