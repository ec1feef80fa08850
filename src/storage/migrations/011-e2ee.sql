-- End-to-end encryption: what devices publish (identity, one-time and fallback keys), users'
-- cross-signing keys and the signatures uploaded for them, send-to-device inboxes, the
-- device-list change stream, the device lists of other servers' users we track, key backups, and
-- dehydrated devices. Rows that belong to a local device go with it (ON DELETE CASCADE).

INSERT INTO stream_positions (stream, position) VALUES ('to_device', 0), ('device_lists', 0);

-- Each device's identity keys, as the device signed them (without `unsigned`).
CREATE TABLE device_keys (
  user_id   TEXT NOT NULL,
  device_id TEXT NOT NULL,
  key_json  TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Unclaimed one-time keys. They are handed out in upload order, which `id` records; a claim
-- deletes the row it returns.
CREATE TABLE one_time_keys (
  id        INTEGER PRIMARY KEY,
  user_id   TEXT NOT NULL,
  device_id TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  key_id    TEXT NOT NULL,
  key_json  TEXT NOT NULL,
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX one_time_keys_by_key_id ON one_time_keys(user_id, device_id, algorithm, key_id);
-- Ends in the rowid: the oldest key of a device and algorithm is the first entry of its range.
CREATE INDEX one_time_keys_by_age ON one_time_keys(user_id, device_id, algorithm);

-- One fallback key per device and algorithm; handed out (and marked used) when no one-time key
-- is left, until the device replaces it.
CREATE TABLE fallback_keys (
  user_id   TEXT NOT NULL,
  device_id TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  key_id    TEXT NOT NULL,
  key_json  TEXT NOT NULL,
  used      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, device_id, algorithm),
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Local users' cross-signing keys, as uploaded (the master key without the signatures uploaded
-- later, which master_key_signatures holds).
CREATE TABLE cross_signing_keys (
  user_id  TEXT NOT NULL,
  key_type TEXT NOT NULL CHECK (key_type IN ('master', 'self_signing', 'user_signing')),
  key_json TEXT NOT NULL,
  PRIMARY KEY (user_id, key_type)
) STRICT, WITHOUT ROWID;

-- Signatures of a local device by its user's self-signing key (`signer_key` is its key id),
-- served as part of the device's keys.
CREATE TABLE device_signatures (
  user_id    TEXT NOT NULL,
  device_id  TEXT NOT NULL,
  signer_key TEXT NOT NULL,
  signature  TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id, signer_key),
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Signatures of a master key (local or remote, named by its public key): by one of its own user's
-- devices (everyone sees those), or by another local user's user-signing key (only they see it).
CREATE TABLE master_key_signatures (
  user_id     TEXT NOT NULL,
  master_key  TEXT NOT NULL,
  signer_user TEXT NOT NULL,
  signer_key  TEXT NOT NULL,
  signature   TEXT NOT NULL,
  PRIMARY KEY (user_id, master_key, signer_user, signer_key)
) STRICT, WITHOUT ROWID;

-- Send-to-device messages waiting for a local device, in arrival order. A row is deleted once the
-- device syncs with a token past it, so a client that crashed before processing gets it again.
CREATE TABLE to_device_messages (
  stream_id INTEGER PRIMARY KEY,
  user_id   TEXT NOT NULL,
  device_id TEXT NOT NULL,
  sender    TEXT NOT NULL,
  type      TEXT NOT NULL,
  content   TEXT NOT NULL,
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX to_device_messages_by_device ON to_device_messages(user_id, device_id, stream_id);

-- `message_id`s of m.direct_to_device EDUs received, so one resent in a new transaction is not
-- delivered twice; pruned by age.
CREATE TABLE to_device_inbound (
  origin      TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  received_ts INTEGER NOT NULL,
  PRIMARY KEY (origin, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX to_device_inbound_by_age ON to_device_inbound(received_ts);

-- The device-list stream: per user (local, or remote and tracked), the position of the last
-- change to their devices or cross-signing keys. `observer` is '' for changes everyone sharing a
-- room with the user is told of, or the one local user a change concerns (their own signature on
-- the user's master key). One row per pair: the answer to "changed since N" needs no history.
CREATE TABLE device_list_changes (
  user_id   TEXT NOT NULL,
  observer  TEXT NOT NULL,
  stream_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, observer)
) STRICT, WITHOUT ROWID;
CREATE INDEX device_list_changes_by_stream ON device_list_changes(stream_id);

-- The last m.device_list_update sent for each local user: the `prev_id` of the next one, and the
-- `stream_id` of the list `GET /user/devices` returns.
CREATE TABLE device_list_outbound (
  user_id   TEXT PRIMARY KEY,
  stream_id INTEGER NOT NULL
) STRICT;

-- Whose membership of a room changed since a sync token: who started or stopped sharing a room
-- with a user (the device lists' `changed` and `left`).
CREATE INDEX room_memberships_by_stream ON room_memberships(room_id, stream_ordering);

-- Device lists of other servers' users that share a room with a local user, kept current by
-- m.device_list_update EDUs. `stream_id` is the origin's stream id of the list held; `stale` is
-- set when an update showed a gap the resync could not yet close.
CREATE TABLE remote_device_lists (
  user_id          TEXT PRIMARY KEY,
  stream_id        INTEGER NOT NULL,
  master_key       TEXT,
  self_signing_key TEXT,
  stale            INTEGER NOT NULL DEFAULT 0,
  fetched_ts       INTEGER NOT NULL
) STRICT;

CREATE TABLE remote_devices (
  user_id      TEXT NOT NULL REFERENCES remote_device_lists(user_id) ON DELETE CASCADE,
  device_id    TEXT NOT NULL,
  display_name TEXT,
  -- NULL for a device that has published no keys.
  key_json     TEXT,
  PRIMARY KEY (user_id, device_id)
) STRICT, WITHOUT ROWID;

-- Key backup versions per user; versions count up per user and are never reused, so a deleted one
-- keeps its row. `etag` changes with every change to the version's keys; `key_count` counts them.
CREATE TABLE key_backup_versions (
  user_id   TEXT NOT NULL,
  version   INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  auth_data TEXT NOT NULL,
  etag      INTEGER NOT NULL DEFAULT 0,
  key_count INTEGER NOT NULL DEFAULT 0,
  deleted   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE key_backup_keys (
  user_id             TEXT NOT NULL,
  version             INTEGER NOT NULL,
  room_id             TEXT NOT NULL,
  session_id          TEXT NOT NULL,
  first_message_index INTEGER NOT NULL,
  forwarded_count     INTEGER NOT NULL,
  is_verified         INTEGER NOT NULL,
  session_data        TEXT NOT NULL,
  PRIMARY KEY (user_id, version, room_id, session_id)
) STRICT, WITHOUT ROWID;

-- Each user's dehydrated device (MSC3814): a device row of its own, with no access token, and the
-- encrypted data a client rehydrates it from.
CREATE TABLE dehydrated_devices (
  user_id     TEXT PRIMARY KEY,
  device_id   TEXT NOT NULL,
  device_data TEXT NOT NULL,
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;
