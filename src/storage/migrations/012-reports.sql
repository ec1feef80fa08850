-- Reports of content (spec "Reporting content"): of an event, of a room (v1.13), of a user (v1.14).
-- One row per report, for the server admins. `target_user_id` is the reported user, or for an
-- event the event's sender; `room_id` is set for event and room reports, `event_id` for event
-- reports. `score` is the event report's -100..0 rating when the client gave one.
CREATE TABLE reports (
  id             INTEGER PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('event', 'room', 'user')),
  reporter       TEXT NOT NULL,
  room_id        TEXT,
  event_id       TEXT,
  target_user_id TEXT,
  reason         TEXT,
  score          INTEGER,
  received_ts    INTEGER NOT NULL
) STRICT;
CREATE INDEX reports_by_kind ON reports(kind, id);
