-- Push notifications: each user's push rules, pushers, the notifications events gave local users,
-- unread counters per room and thread, and the durable queue of pushes to gateways.

-- What a user changed of the server-default push rules and the rules they defined, as JSON in the
-- shape of core/push/user-push-rules.ts. stream_id is the account-data stream position of the last
-- change: /sync sends `m.push_rules` when it moved.
CREATE TABLE push_rules (
  user_id   TEXT PRIMARY KEY,
  rules     TEXT NOT NULL,
  stream_id INTEGER NOT NULL
) STRICT;

-- HTTP pushers (spec "Pushers"): one per (app_id, pushkey, user). `data` is the JSON the client
-- gave, `url` included. A pusher belongs to the device that set it and goes with it (logout,
-- device deletion, deactivation). The retry schedule of the gateway belongs to the pusher:
-- failures in a row, and when to try again.
CREATE TABLE pushers (
  id                  INTEGER PRIMARY KEY,
  user_id             TEXT NOT NULL,
  app_id              TEXT NOT NULL,
  pushkey             TEXT NOT NULL,
  kind                TEXT NOT NULL,
  app_display_name    TEXT NOT NULL,
  device_display_name TEXT NOT NULL,
  profile_tag         TEXT,
  lang                TEXT NOT NULL,
  data                TEXT NOT NULL,
  device_id           TEXT,
  pushkey_ts          INTEGER NOT NULL,
  failures            INTEGER NOT NULL DEFAULT 0,
  retry_at_ts         INTEGER NOT NULL DEFAULT 0,
  UNIQUE (app_id, pushkey, user_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX pushers_by_user ON pushers(user_id);

-- One row per event that notified a local user: what GET /notifications lists and what a read
-- receipt recounts from. Most members share one outcome, so a row stores it once: `actions` is
-- what a member who changed no rule and is not named by the event gets (NULL: no notification),
-- `exceptions` a JSON object of the members whose outcome differs (user id -> actions or null).
-- `highlight` says whether `actions` highlight. The sender is never notified.
CREATE TABLE push_events (
  stream_ordering INTEGER PRIMARY KEY,
  room_id         TEXT NOT NULL,
  thread_id       TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  sender          TEXT NOT NULL,
  actions         TEXT,
  highlight       INTEGER NOT NULL,
  exceptions      TEXT,
  ts              INTEGER NOT NULL
) STRICT;
CREATE INDEX push_events_by_room ON push_events(room_id, stream_ordering);
CREATE INDEX push_events_by_thread ON push_events(room_id, thread_id, stream_ordering);

-- Unread notification and highlight counts per (room, user, thread), kept up to date as events and
-- receipts are written, so /sync reads them instead of counting. read_stream is how far the user
-- read the thread by sending into it (the spec counts that as reading).
CREATE TABLE push_counts (
  room_id       TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  thread_id     TEXT NOT NULL,
  notifications INTEGER NOT NULL,
  highlights    INTEGER NOT NULL,
  read_stream   INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id, thread_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX push_counts_by_user ON push_counts(user_id);

-- Notifications waiting for a pusher's gateway, oldest first: the `notification` object of
-- POST /_matrix/push/v1/notify without `devices`, and the tweaks for this pusher's device entry.
-- Deleting a pusher drops what it still had to send.
CREATE TABLE push_queue (
  id           INTEGER PRIMARY KEY,
  pusher_id    INTEGER NOT NULL REFERENCES pushers(id) ON DELETE CASCADE,
  notification TEXT NOT NULL,
  tweaks       TEXT NOT NULL,
  created_ts   INTEGER NOT NULL
) STRICT;
CREATE INDEX push_queue_by_pusher ON push_queue(pusher_id, id);
