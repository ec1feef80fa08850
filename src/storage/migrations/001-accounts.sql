-- Accounts: users, their profile, their devices, and access tokens (stored only as SHA-256 hashes).
CREATE TABLE users (
  user_id       TEXT PRIMARY KEY,
  -- NULL once the account is deactivated: nobody can log in with a password again.
  password_hash TEXT,
  displayname   TEXT,
  avatar_url    TEXT,
  is_guest      INTEGER NOT NULL DEFAULT 0,
  deactivated   INTEGER NOT NULL DEFAULT 0,
  created_ts    INTEGER NOT NULL
) STRICT;

-- Profile fields other than displayname and avatar_url (since v1.16: m.tz and custom keys),
-- each value kept as the JSON text the client sent.
CREATE TABLE user_profile_fields (
  user_id TEXT NOT NULL REFERENCES users(user_id),
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (user_id, key)
) STRICT;

CREATE TABLE devices (
  user_id      TEXT NOT NULL REFERENCES users(user_id),
  device_id    TEXT NOT NULL,
  display_name TEXT,
  last_seen_ts INTEGER,
  last_seen_ip TEXT,
  created_ts   INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
) STRICT;

-- Deleting a device deletes its tokens; tables of other areas keyed by device (E2EE keys) can
-- reference devices the same way.
CREATE TABLE access_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  device_id  TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX access_tokens_by_device ON access_tokens(user_id, device_id);

-- The server's own ed25519 signing keys; the newest unexpired one signs.
CREATE TABLE server_signing_keys (
  key_id     TEXT PRIMARY KEY,
  seed       BLOB NOT NULL,
  created_ts INTEGER NOT NULL,
  expired_ts INTEGER
) STRICT;
