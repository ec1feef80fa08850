-- The media repository: metadata of every piece of media this server holds, its thumbnails, and
-- cached URL previews. The bytes live in the file store, one file per SHA-256 of the content, so
-- several rows can share one file.

-- kind: 'local' (uploaded here), 'remote' (fetched from its origin and cached), 'preview' (an
-- image fetched for a URL preview, served as local media). A row without sha256 is an id handed
-- out by /create whose upload has not arrived; it is dropped at expires_ts.
CREATE TABLE media (
  origin         TEXT NOT NULL,
  media_id       TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('local', 'remote', 'preview')),
  sha256         TEXT,
  size           INTEGER NOT NULL DEFAULT 0,
  content_type   TEXT,
  filename       TEXT,
  uploader       TEXT,
  created_ts     INTEGER NOT NULL,
  expires_ts     INTEGER,
  last_access_ts INTEGER NOT NULL,
  PRIMARY KEY (origin, media_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX media_by_uploader ON media(uploader, size) WHERE uploader IS NOT NULL;
CREATE INDEX media_by_sha256 ON media(sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX media_by_access ON media(kind, last_access_ts);
CREATE INDEX media_pending ON media(expires_ts) WHERE sha256 IS NULL;

-- One row per generated size; a request is answered from the nearest stored size.
CREATE TABLE media_thumbnails (
  origin       TEXT NOT NULL,
  media_id     TEXT NOT NULL,
  width        INTEGER NOT NULL,
  height       INTEGER NOT NULL,
  method       TEXT NOT NULL CHECK (method IN ('crop', 'scale')),
  animated     INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  size         INTEGER NOT NULL,
  created_ts   INTEGER NOT NULL,
  PRIMARY KEY (origin, media_id, width, height, method, animated),
  FOREIGN KEY (origin, media_id) REFERENCES media(origin, media_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX media_thumbnails_by_sha256 ON media_thumbnails(sha256);

-- Bytes held per scope ('local', 'remote', 'preview', 'thumbnail') and per uploading user
-- ('user:@alice:example.org'), kept by triggers so limits are checked without summing tables.
CREATE TABLE media_usage (
  scope TEXT PRIMARY KEY,
  bytes INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TRIGGER media_usage_insert AFTER INSERT ON media BEGIN
  INSERT INTO media_usage (scope, bytes) VALUES (new.kind, new.size)
    ON CONFLICT (scope) DO UPDATE SET bytes = bytes + excluded.bytes;
  INSERT INTO media_usage (scope, bytes) SELECT 'user:' || new.uploader, new.size WHERE new.uploader IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER media_usage_delete AFTER DELETE ON media BEGIN
  UPDATE media_usage SET bytes = bytes - old.size WHERE scope = old.kind;
  UPDATE media_usage SET bytes = bytes - old.size WHERE scope = 'user:' || old.uploader;
END;
CREATE TRIGGER media_usage_update AFTER UPDATE OF size ON media BEGIN
  UPDATE media_usage SET bytes = bytes - old.size + new.size WHERE scope = new.kind;
  UPDATE media_usage SET bytes = bytes - old.size + new.size WHERE scope = 'user:' || new.uploader;
END;
CREATE TRIGGER media_thumbnail_usage_insert AFTER INSERT ON media_thumbnails BEGIN
  INSERT INTO media_usage (scope, bytes) VALUES ('thumbnail', new.size)
    ON CONFLICT (scope) DO UPDATE SET bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER media_thumbnail_usage_delete AFTER DELETE ON media_thumbnails BEGIN
  UPDATE media_usage SET bytes = bytes - old.size WHERE scope = 'thumbnail';
END;

-- The newest preview of each URL (the OpenGraph object as JSON), kept until expires_ts.
CREATE TABLE media_url_previews (
  url        TEXT PRIMARY KEY,
  fetched_ts INTEGER NOT NULL,
  expires_ts INTEGER NOT NULL,
  og         TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX media_url_previews_by_expiry ON media_url_previews(expires_ts);
