-- Application services: the registrations admins add at run time (files listed in the config are
-- read at each start and never stored), and the durable queue of what each appservice is sent.

-- The registration YAML exactly as the admin gave it; it is checked again at each start.
CREATE TABLE appservice_registrations (
  id         TEXT PRIMARY KEY,
  yaml       TEXT NOT NULL,
  created_ts INTEGER NOT NULL
) STRICT;

-- What waits for delivery to each appservice, in one sequence for every kind, so a transaction
-- carries events and ephemeral data in the order they happened.
CREATE TABLE appservice_outbox (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  appservice_id TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('event', 'ephemeral', 'to_device', 'device_list', 'key_counts')),
  payload       TEXT NOT NULL,
  created_ts    INTEGER NOT NULL
) STRICT;
CREATE INDEX appservice_outbox_by_appservice ON appservice_outbox(appservice_id, id);

-- Delivery state per appservice: the transaction in flight (every queued row up to txn_last; the
-- row id, never reused, is the transaction id, so a retry after a restart resends it unchanged)
-- and the retry schedule.
CREATE TABLE appservice_delivery (
  appservice_id   TEXT PRIMARY KEY,
  txn_last        INTEGER,
  failures        INTEGER NOT NULL DEFAULT 0,
  retry_at_ts     INTEGER NOT NULL DEFAULT 0,
  last_success_ts INTEGER
) STRICT;
