-- Event relationships (spec "Forming relationships between events"): one row per timeline event
-- whose m.relates_to names a parent, while the event stands (its redaction removes the row).
-- depth and stream_ordering are the child's place in the room's order, for /relations pages.
-- Without rowid, every index also holds event_id: walks and counts never read the table.
CREATE TABLE event_relations (
  event_id        TEXT PRIMARY KEY,
  room_id         TEXT NOT NULL,
  relates_to      TEXT NOT NULL,
  rel_type        TEXT NOT NULL,
  type            TEXT NOT NULL,
  sender          TEXT NOT NULL,
  depth           INTEGER NOT NULL,
  stream_ordering INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX event_relations_by_parent ON event_relations(relates_to, depth, stream_ordering);
CREATE INDEX event_relations_by_rel_type ON event_relations(relates_to, rel_type, depth, stream_ordering);
-- Whether a user took part in a thread (m.thread's current_user_participated, /threads?include=participated).
CREATE INDEX event_relations_by_sender ON event_relations(relates_to, rel_type, sender);

-- Threads (spec "Threading"): one row per thread root with a reply, its latest reply (topological
-- order) and how many replies stand. latest_stream orders /threads by recent activity.
CREATE TABLE threads (
  root_id         TEXT PRIMARY KEY,
  room_id         TEXT NOT NULL,
  latest_event_id TEXT NOT NULL,
  latest_depth    INTEGER NOT NULL,
  latest_stream   INTEGER NOT NULL,
  reply_count     INTEGER NOT NULL
);
CREATE INDEX threads_by_activity ON threads(room_id, latest_stream);

-- Events stored before this migration.
INSERT OR IGNORE INTO event_relations (event_id, room_id, relates_to, rel_type, type, sender, depth, stream_ordering)
SELECT event_id, room_id, json_extract(json, '$.content."m.relates_to".event_id'),
  json_extract(json, '$.content."m.relates_to".rel_type'), type, sender, depth, stream_ordering
FROM events
WHERE outlier = 0 AND rejected_reason IS NULL AND soft_failed = 0 AND redacted_by IS NULL
  AND json_type(json, '$.content."m.relates_to".event_id') = 'text'
  AND json_type(json, '$.content."m.relates_to".rel_type') = 'text'
  AND json_extract(json, '$.content."m.relates_to".event_id') <> ''
  AND json_extract(json, '$.content."m.relates_to".rel_type') <> '';

INSERT INTO threads (root_id, room_id, latest_event_id, latest_depth, latest_stream, reply_count)
SELECT relates_to, room_id, event_id, depth, stream_ordering, replies FROM (
  SELECT relates_to, room_id, event_id, depth, stream_ordering,
    count(*) OVER (PARTITION BY relates_to) AS replies,
    row_number() OVER (PARTITION BY relates_to ORDER BY depth DESC, stream_ordering DESC) AS place
  FROM event_relations WHERE rel_type = 'm.thread'
) WHERE place = 1;
