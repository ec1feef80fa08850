-- Delayed events (MSC4140): events a user scheduled to be sent later. A row stays scheduled
-- (finalised_ts NULL) until it is sent, cancelled or fails; finalised rows are kept a while so
-- clients can look up the outcome. The requester is kept as JSON so the event is sent later with
-- the identity (device, appservice) that scheduled it.
CREATE TABLE delayed_events (
  delay_id     TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL,
  requester    TEXT NOT NULL,
  room_id      TEXT NOT NULL,
  type         TEXT NOT NULL,
  state_key    TEXT,
  content      TEXT NOT NULL,
  -- Timestamp massaging of an appservice (`ts`), or NULL for the time of sending.
  origin_ts    INTEGER,
  delay_ms     INTEGER NOT NULL,
  scheduled_at INTEGER NOT NULL,
  send_ts      INTEGER NOT NULL,
  -- Device and transaction id of the scheduling request, so a retried request gets the same delay_id.
  txn_key      TEXT,
  finalised_ts INTEGER,
  event_id     TEXT,
  -- The standard error body (JSON) of a failure to send, or of a cancellation by a state update.
  error        TEXT
) STRICT;
CREATE INDEX delayed_events_due ON delayed_events(send_ts) WHERE finalised_ts IS NULL;
CREATE INDEX delayed_events_by_user ON delayed_events(user_id, send_ts);
CREATE INDEX delayed_events_by_state ON delayed_events(room_id, type, state_key) WHERE finalised_ts IS NULL AND state_key IS NOT NULL;
CREATE UNIQUE INDEX delayed_events_by_txn ON delayed_events(user_id, txn_key) WHERE txn_key IS NOT NULL;
