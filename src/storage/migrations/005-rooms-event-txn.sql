-- A local event keeps the client transaction id that sent it on its own row, for the sending
-- device's `unsigned.transaction_id`. txn_ids still answers retries by (user, device, endpoint,
-- txn id), but no longer needs an index by event: with event ids being hashes, that index took one
-- randomly placed page for every event stored, in every commit.
ALTER TABLE events ADD COLUMN txn_device_id TEXT;
ALTER TABLE events ADD COLUMN txn_id TEXT;
UPDATE events SET txn_device_id = t.device_id, txn_id = t.txn_id FROM txn_ids t WHERE t.event_id = events.event_id;
DROP INDEX txn_ids_by_event;
