-- The user directory (spec "User Directory"): the profile of every user this server knows, local
-- accounts (their global profile) and other servers' users (as their latest joined membership in
-- any room shows them), and the rooms whose members every searcher may find.

-- `search_text` is the display name and user id, lower case and without accents, for substring
-- matching of the search terms (services/search/user-directory.ts writes it).
CREATE TABLE user_directory (
  user_id      TEXT PRIMARY KEY,
  display_name TEXT,
  avatar_url   TEXT,
  search_text  TEXT NOT NULL
) STRICT;

-- Rooms anyone may join or read (join rule `public`, or history `world_readable`): their joined
-- members are visible to every searcher.
CREATE TABLE user_directory_public_rooms (
  room_id TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

-- A new account is listed at once under its registration display name, its localpart: ASCII, so
-- lower() folds it as the services do. Guests are not listed.
CREATE TRIGGER user_directory_registered AFTER INSERT ON users WHEN NEW.is_guest = 0
BEGIN
  INSERT OR REPLACE INTO user_directory (user_id, display_name, avatar_url, search_text)
  VALUES (NEW.user_id, NEW.displayname, NEW.avatar_url, lower(coalesce(NEW.displayname, '') || ' ' || NEW.user_id));
END;

-- What an existing database already knows (names folded by lower(): ASCII only, until the next
-- profile or membership change rewrites them).
INSERT INTO user_directory (user_id, display_name, avatar_url, search_text)
  SELECT user_id, displayname, avatar_url, lower(coalesce(displayname, '') || ' ' || user_id)
  FROM users WHERE deactivated = 0 AND is_guest = 0;
INSERT OR IGNORE INTO user_directory (user_id, display_name, avatar_url, search_text)
  SELECT m.user_id, json_extract(e.json, '$.content.displayname'), json_extract(e.json, '$.content.avatar_url'),
    lower(coalesce(json_extract(e.json, '$.content.displayname'), '') || ' ' || m.user_id)
  FROM room_memberships m JOIN events e ON e.event_id = m.event_id WHERE m.membership = 'join';
INSERT OR IGNORE INTO user_directory_public_rooms (room_id)
  SELECT c.room_id FROM current_state c JOIN events e ON e.event_id = c.event_id
  WHERE (c.type = 'm.room.join_rules' AND c.state_key = '' AND json_extract(e.json, '$.content.join_rule') = 'public')
     OR (c.type = 'm.room.history_visibility' AND c.state_key = '' AND json_extract(e.json, '$.content.history_visibility') = 'world_readable');
