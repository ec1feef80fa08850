-- Ignored users (spec "Ignoring Users"): the users each local user's `m.ignored_user_list` names,
-- kept beside the account data so /sync, /messages and push evaluation read a set, not JSON.
CREATE TABLE ignored_users (
  user_id         TEXT NOT NULL,
  ignored_user_id TEXT NOT NULL,
  PRIMARY KEY (user_id, ignored_user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX ignored_users_by_ignored ON ignored_users(ignored_user_id);

-- The account-data stream position at which a user last stopped ignoring someone: a /sync from a
-- token before it answers the rooms as a full resync, so what that user sent meanwhile arrives.
CREATE TABLE ignore_resyncs (
  user_id   TEXT PRIMARY KEY,
  stream_id INTEGER NOT NULL
) STRICT;

INSERT OR IGNORE INTO ignored_users (user_id, ignored_user_id)
  SELECT a.user_id, j.key FROM account_data a, json_each(a.content, '$.ignored_users') j
  WHERE a.room_id = '' AND a.type = 'm.ignored_user_list' AND json_valid(a.content);
