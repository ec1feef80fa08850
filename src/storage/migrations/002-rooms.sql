-- Rooms and their event graph: events with a global stream order, prev-event edges, forward
-- extremities, state as delta-chained state groups, current state and membership, idempotent
-- transaction ids, and the room directory (aliases, published rooms).

CREATE TABLE rooms (
  room_id      TEXT PRIMARY KEY,
  room_version TEXT NOT NULL,
  creator      TEXT NOT NULL,
  -- Listed in this server's published room directory.
  published    INTEGER NOT NULL DEFAULT 0,
  -- The state group holding the room's current state.
  state_group  INTEGER,
  created_ts   INTEGER NOT NULL
) STRICT;
CREATE INDEX rooms_published ON rooms(published) WHERE published = 1;

-- Every PDU we hold. `stream_ordering` is the global order in which events were persisted (sync and
-- pagination tokens count in it); (depth, stream_ordering) is the topological order of a room.
CREATE TABLE events (
  stream_ordering  INTEGER PRIMARY KEY,
  event_id         TEXT NOT NULL UNIQUE,
  room_id          TEXT NOT NULL,
  depth            INTEGER NOT NULL,
  type             TEXT NOT NULL,
  state_key        TEXT,
  sender           TEXT NOT NULL,
  origin_server_ts INTEGER NOT NULL,
  -- `content.membership` of m.room.member events, so membership history needs no JSON parsing.
  membership       TEXT,
  -- The PDU as canonical JSON, exactly as signed (never redacted in place).
  json             TEXT NOT NULL,
  -- Federation flags: outliers have no place in the timeline; rejected events failed auth;
  -- soft-failed events count for state but are never shown to clients.
  outlier          INTEGER NOT NULL DEFAULT 0,
  rejected_reason  TEXT,
  soft_failed      INTEGER NOT NULL DEFAULT 0,
  -- The redaction event that applies to this event, once both are known and it is allowed.
  redacted_by      TEXT,
  -- State groups before and after this event (equal for non-state events); NULL for outliers.
  state_before     INTEGER,
  state_after      INTEGER,
  -- The state event this one replaced (for `unsigned.replaces_state` / `prev_content`).
  replaces_state   TEXT,
  received_ts      INTEGER NOT NULL
) STRICT;
CREATE INDEX events_by_room_topological ON events(room_id, depth, stream_ordering);
CREATE INDEX events_by_room_stream ON events(room_id, stream_ordering);
CREATE INDEX events_by_room_ts ON events(room_id, origin_server_ts);
CREATE INDEX events_membership_history ON events(room_id, state_key, stream_ordering) WHERE type = 'm.room.member';

-- Keyed by the cited event: "which events cite X" is the question the graph asks of this table
-- (an event's own prev_events are in its PDU).
CREATE TABLE event_edges (
  prev_event_id TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  PRIMARY KEY (prev_event_id, event_id)
) STRICT, WITHOUT ROWID;

-- Events of a room that no other event cites yet: the prev_events of the next local event.
CREATE TABLE forward_extremities (
  room_id  TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (room_id, event_id)
) STRICT, WITHOUT ROWID;

-- Redactions by target, so a redaction that arrives before its target still applies later.
CREATE TABLE redactions (
  event_id TEXT PRIMARY KEY,
  redacts  TEXT NOT NULL,
  room_id  TEXT NOT NULL
) STRICT;
CREATE INDEX redactions_by_target ON redactions(redacts);

-- A state group is a full state map stored as a delta over `prev_group` (NULL: a full snapshot).
-- `chain_length` bounds how many deltas a read walks before it reaches a snapshot.
CREATE TABLE state_groups (
  id           INTEGER PRIMARY KEY,
  room_id      TEXT NOT NULL,
  prev_group   INTEGER,
  chain_length INTEGER NOT NULL
) STRICT;

-- A NULL event_id removes the key (state resolution can drop an entry).
CREATE TABLE state_group_entries (
  group_id  INTEGER NOT NULL,
  type      TEXT NOT NULL,
  state_key TEXT NOT NULL,
  event_id  TEXT,
  PRIMARY KEY (group_id, type, state_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE current_state (
  room_id   TEXT NOT NULL,
  type      TEXT NOT NULL,
  state_key TEXT NOT NULL,
  event_id  TEXT NOT NULL,
  PRIMARY KEY (room_id, type, state_key)
) STRICT, WITHOUT ROWID;

-- Each user's current membership of each room, with the event and stream position that set it.
CREATE TABLE room_memberships (
  room_id         TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  membership      TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  stream_ordering INTEGER NOT NULL,
  sender          TEXT NOT NULL,
  -- Set by /forget once the user has left; a later membership change clears it.
  forgotten       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX room_memberships_by_user ON room_memberships(user_id, membership);

-- Client transaction ids, scoped (per the spec) to one device and one endpoint.
CREATE TABLE txn_ids (
  user_id    TEXT NOT NULL,
  device_id  TEXT NOT NULL,
  endpoint   TEXT NOT NULL,
  txn_id     TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, endpoint, txn_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX txn_ids_by_event ON txn_ids(event_id);

CREATE TABLE room_aliases (
  alias      TEXT PRIMARY KEY,
  room_id    TEXT NOT NULL,
  creator    TEXT NOT NULL,
  created_ts INTEGER NOT NULL
) STRICT;
CREATE INDEX room_aliases_by_room ON room_aliases(room_id);
