-- Simplified sliding sync (MSC4186) connections: what each connection of a device was sent, so a
-- `pos` keeps its meaning across restarts. A connection is one (user, device, conn_id); each
-- response is a new `seq`. Rows of a response the client never acknowledged are dropped when it
-- comes back with an older `pos`; rows older than the acknowledged one are compacted away.
-- Connections go with their device (ON DELETE CASCADE).
CREATE TABLE sliding_sync_connections (
  id          INTEGER PRIMARY KEY,
  user_id     TEXT NOT NULL,
  device_id   TEXT NOT NULL,
  conn_id     TEXT NOT NULL,
  last_used   INTEGER NOT NULL,
  UNIQUE (user_id, device_id, conn_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;

-- Where each response of a connection ended: the stream positions (a sync token) and the list
-- counts it reported.
CREATE TABLE sliding_sync_positions (
  connection_id INTEGER NOT NULL REFERENCES sliding_sync_connections(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,
  token         TEXT NOT NULL,
  lists         TEXT NOT NULL,
  PRIMARY KEY (connection_id, seq)
) STRICT, WITHOUT ROWID;

-- What a connection last sent of each room (as of response `seq`): a JSON record of the room
-- event position it is complete up to, the room config and the fields it last sent.
CREATE TABLE sliding_sync_rooms (
  connection_id INTEGER NOT NULL REFERENCES sliding_sync_connections(id) ON DELETE CASCADE,
  room_id       TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  sent          TEXT NOT NULL,
  PRIMARY KEY (connection_id, room_id, seq)
) STRICT, WITHOUT ROWID;
