-- A local event sent from a delayed event (MSC4140) names that delay on its own row, for its
-- sender's `unsigned["org.matrix.msc4140.delay_id"]`.
ALTER TABLE events ADD COLUMN delay_id TEXT;
