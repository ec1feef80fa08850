-- Federation: other servers' signing keys, the durable outbound queue, and inbound transaction ids.

-- Verify keys of other servers, fetched directly or through a notary. A current key is trusted
-- until valid_until_ts; a retired one (old_verify_keys) only for what was signed before expired_ts.
CREATE TABLE remote_server_keys (
  server_name    TEXT NOT NULL,
  key_id         TEXT NOT NULL,
  public_key     TEXT NOT NULL,
  valid_until_ts INTEGER NOT NULL,
  expired_ts     INTEGER,
  PRIMARY KEY (server_name, key_id)
) STRICT;

-- The newest self-signed key document of each server, served again when we act as a notary,
-- even after the server stops answering (old events stay verifiable).
CREATE TABLE remote_server_key_documents (
  server_name    TEXT PRIMARY KEY,
  document       TEXT NOT NULL,
  valid_until_ts INTEGER NOT NULL,
  fetched_ts     INTEGER NOT NULL
) STRICT;

-- PDUs and EDUs waiting for delivery, per destination, in the order they were queued.
CREATE TABLE federation_outbox (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  destination TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('pdu', 'edu')),
  payload     TEXT NOT NULL,
  created_ts  INTEGER NOT NULL
) STRICT;
CREATE INDEX federation_outbox_by_destination ON federation_outbox(destination, kind, id);

-- Delivery state per destination: the transaction in flight (its id and the last queue row of
-- each kind it carries, so a restart resends the same transaction) and the retry schedule.
CREATE TABLE federation_destinations (
  destination      TEXT PRIMARY KEY,
  txn_id           TEXT,
  txn_last_pdu     INTEGER,
  txn_last_edu     INTEGER,
  failures         INTEGER NOT NULL DEFAULT 0,
  retry_at_ts      INTEGER NOT NULL DEFAULT 0,
  last_success_ts  INTEGER
) STRICT;

-- Transactions received, so a replayed one gets its first answer without being processed again.
CREATE TABLE federation_inbound_txns (
  origin      TEXT NOT NULL,
  txn_id      TEXT NOT NULL,
  response    TEXT NOT NULL,
  received_ts INTEGER NOT NULL,
  PRIMARY KEY (origin, txn_id)
) STRICT;
CREATE INDEX federation_inbound_txns_by_age ON federation_inbound_txns(received_ts);
