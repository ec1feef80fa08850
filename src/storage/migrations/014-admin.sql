-- Server administration: who is an admin, and the restrictions admins put on accounts.
-- locked (spec "Account locking"): every authenticated request but logout answers 401 M_USER_LOCKED.
-- suspended (spec "Account suspension"): the account reads but may not join, send, invite or edit its profile.
-- shadow_banned: the account's events are answered as sent but never reach anyone else.
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN shadow_banned INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_admins ON users(user_id) WHERE admin = 1;

-- Registration tokens made through the admin API (Synapse's shape): uses_allowed NULL is
-- unlimited, expiry_time NULL never expires; pending counts UIA sessions that validated the
-- token but have not finished registering, completed the registrations it made.
CREATE TABLE registration_tokens (
  token        TEXT PRIMARY KEY,
  uses_allowed INTEGER,
  pending      INTEGER NOT NULL DEFAULT 0,
  completed    INTEGER NOT NULL DEFAULT 0,
  expiry_time  INTEGER
) STRICT;

-- Rooms an admin blocked: nobody on this server may join them again.
CREATE TABLE blocked_rooms (
  room_id    TEXT PRIMARY KEY,
  blocked_by TEXT NOT NULL,
  created_ts INTEGER NOT NULL
) STRICT;
