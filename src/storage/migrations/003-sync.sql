-- Sync streams: filters, account data, receipts and presence. Each streamed row carries the
-- position its stream had when it last changed, so /sync can ask "what changed since N".
-- Positions come from stream_positions, bumped inside the writing transaction.
CREATE TABLE stream_positions (
  stream   TEXT PRIMARY KEY,
  position INTEGER NOT NULL
) STRICT;
INSERT INTO stream_positions (stream, position) VALUES ('account_data', 0), ('receipts', 0), ('presence', 0);

-- Filters a client uploaded; identical filters of one user share one id.
CREATE TABLE filters (
  user_id     TEXT NOT NULL,
  filter_id   INTEGER NOT NULL,
  filter_json TEXT NOT NULL,
  PRIMARY KEY (user_id, filter_id),
  UNIQUE (user_id, filter_json)
) STRICT;

-- Global (room_id = '') and per-room account data; the newest content per type.
CREATE TABLE account_data (
  user_id   TEXT NOT NULL,
  room_id   TEXT NOT NULL,
  type      TEXT NOT NULL,
  content   TEXT NOT NULL,
  stream_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id, type)
) STRICT;
CREATE INDEX account_data_by_stream ON account_data(user_id, stream_id);

-- The latest receipt per (room, type, user, thread); thread_id '' is an unthreaded receipt.
-- event_stream is the receipted event's stream_ordering (0 when unknown here), which orders
-- receipts against each other and against the timeline for unread counts.
CREATE TABLE receipts (
  room_id      TEXT NOT NULL,
  receipt_type TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  thread_id    TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  event_stream INTEGER NOT NULL,
  ts           INTEGER NOT NULL,
  stream_id    INTEGER NOT NULL,
  PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
) STRICT;
CREATE INDEX receipts_by_stream ON receipts(stream_id);

-- One presence row per user that ever had one.
CREATE TABLE presence (
  user_id          TEXT PRIMARY KEY,
  state            TEXT NOT NULL,
  status_msg       TEXT,
  last_active_ts   INTEGER NOT NULL,
  currently_active INTEGER NOT NULL,
  stream_id        INTEGER NOT NULL
) STRICT;
CREATE INDEX presence_by_stream ON presence(stream_id);
