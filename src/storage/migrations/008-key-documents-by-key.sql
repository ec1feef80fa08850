-- A notary answers for the keys it is asked about: each key id of a server keeps the newest
-- document that listed it, so a server that later forgets one of its keys (or a document that
-- lists only another key) cannot make the notary forget it.
CREATE TABLE remote_server_key_documents_by_key (
  server_name    TEXT NOT NULL,
  key_id         TEXT NOT NULL,
  document       TEXT NOT NULL,
  valid_until_ts INTEGER NOT NULL,
  fetched_ts     INTEGER NOT NULL,
  PRIMARY KEY (server_name, key_id)
) STRICT;
INSERT INTO remote_server_key_documents_by_key (server_name, key_id, document, valid_until_ts, fetched_ts)
  SELECT d.server_name, k.key, d.document, d.valid_until_ts, d.fetched_ts
  FROM remote_server_key_documents d, json_each(d.document, '$.verify_keys') k
  UNION ALL
  SELECT d.server_name, k.key, d.document, d.valid_until_ts, d.fetched_ts
  FROM remote_server_key_documents d, json_each(d.document, '$.old_verify_keys') k
  WHERE true
  ON CONFLICT (server_name, key_id) DO NOTHING;
DROP TABLE remote_server_key_documents;
ALTER TABLE remote_server_key_documents_by_key RENAME TO remote_server_key_documents;
