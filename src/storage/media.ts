/**
 * Media metadata: uploads, ids reserved by /create, cached remote media, thumbnails, URL previews
 * and the bytes each scope and each user holds (kept by triggers, see 009-media.sql). Content is
 * addressed by SHA-256; deleting rows reports which hashes no row references any more, so the
 * caller can remove exactly those files.
 */
import type { Database } from "bun:sqlite";

export type MediaKind = "local" | "remote" | "preview";
export type ThumbnailMethod = "crop" | "scale";

export interface MediaRow {
  origin: string;
  media_id: string;
  kind: MediaKind;
  /** Null while the id was reserved by /create and its upload has not arrived. */
  sha256: string | null;
  size: number;
  content_type: string | null;
  filename: string | null;
  uploader: string | null;
  created_ts: number;
  expires_ts: number | null;
  last_access_ts: number;
  /** The admin who quarantined it: then it is served to nobody. */
  quarantined_by: string | null;
}

/** The admin API's list of a user's uploads: sortable columns and one page. */
export const UPLOAD_ORDER_COLUMNS = {
  media_id: "media_id",
  upload_name: "filename",
  created_ts: "created_ts",
  last_access_ts: "last_access_ts",
  media_length: "size",
  media_type: "content_type",
  quarantined_by: "quarantined_by",
} as const;
export type UploadOrder = keyof typeof UPLOAD_ORDER_COLUMNS;

export interface MediaContent {
  sha256: string;
  size: number;
  contentType: string | null;
  filename: string | null;
}

export interface NewMedia extends MediaContent {
  origin: string;
  mediaId: string;
  kind: MediaKind;
  uploader: string | null;
  createdTs: number;
}

export interface ThumbnailRow {
  width: number;
  height: number;
  method: ThumbnailMethod;
  animated: number;
  content_type: string;
  sha256: string;
  size: number;
}

export interface NewThumbnail {
  width: number;
  height: number;
  method: ThumbnailMethod;
  animated: boolean;
  contentType: string;
  sha256: string;
  size: number;
  createdTs: number;
}

export interface UrlPreviewRow {
  fetched_ts: number;
  expires_ts: number;
  og: string;
}

export type UsageScope = MediaKind | "thumbnail";

const SELECT_MEDIA = "SELECT * FROM media WHERE origin = ? AND media_id = ?";
const INSERT_MEDIA = `
  INSERT INTO media (origin, media_id, kind, sha256, size, content_type, filename, uploader, created_ts, last_access_ts)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (origin, media_id) DO NOTHING`;
const INSERT_PENDING = `
  INSERT INTO media (origin, media_id, kind, uploader, created_ts, expires_ts, last_access_ts)
  VALUES (?, ?, 'local', ?, ?, ?, ?)
  ON CONFLICT (origin, media_id) DO NOTHING`;
const COUNT_PENDING = "SELECT count(*) AS n FROM media WHERE uploader = ? AND sha256 IS NULL AND expires_ts > ?";
// The upload fills the reserved row once; the row's creation time becomes the upload's.
const COMPLETE_PENDING = `
  UPDATE media SET sha256 = ?, size = ?, content_type = ?, filename = ?, expires_ts = NULL, created_ts = ?, last_access_ts = ?
  WHERE origin = ? AND media_id = ? AND sha256 IS NULL AND expires_ts > ?`;
const TOUCH = "UPDATE media SET last_access_ts = ? WHERE origin = ? AND media_id = ?";
const SELECT_USAGE = "SELECT bytes FROM media_usage WHERE scope = ?";
const SELECT_THUMBNAILS = `
  SELECT width, height, method, animated, content_type, sha256, size FROM media_thumbnails
  WHERE origin = ? AND media_id = ? ORDER BY width, height`;
const INSERT_THUMBNAIL = `
  INSERT INTO media_thumbnails (origin, media_id, width, height, method, animated, content_type, sha256, size, created_ts)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT DO NOTHING`;
const SELECT_HASHES_OF = `
  SELECT sha256 FROM media WHERE origin = ?1 AND media_id = ?2 AND sha256 IS NOT NULL
  UNION SELECT sha256 FROM media_thumbnails WHERE origin = ?1 AND media_id = ?2`;
const DELETE_MEDIA = "DELETE FROM media WHERE origin = ? AND media_id = ?";
const IS_REFERENCED = `
  SELECT EXISTS (SELECT 1 FROM media WHERE sha256 = ?1) OR EXISTS (SELECT 1 FROM media_thumbnails WHERE sha256 = ?1) AS used`;
const SELECT_ALL_HASHES = "SELECT sha256 FROM media WHERE sha256 IS NOT NULL UNION SELECT sha256 FROM media_thumbnails";
const DELETE_EXPIRED_PENDING = "DELETE FROM media WHERE sha256 IS NULL AND expires_ts <= ?";
const SET_QUARANTINE = "UPDATE media SET quarantined_by = ? WHERE origin = ? AND media_id = ?";
const COUNT_UPLOADS = "SELECT count(*) AS n FROM media WHERE uploader = ? AND kind = 'local'";
const SELECT_UPLOAD_IDS = "SELECT media_id FROM media WHERE uploader = ? AND kind = 'local'";
const SELECT_LEAST_RECENT = `
  SELECT origin, media_id FROM media WHERE kind = ? AND last_access_ts < ? ORDER BY last_access_ts LIMIT ?`;
const SELECT_PREVIEW = "SELECT fetched_ts, expires_ts, og FROM media_url_previews WHERE url = ? AND expires_ts > ?";
const UPSERT_PREVIEW = `
  INSERT INTO media_url_previews (url, fetched_ts, expires_ts, og) VALUES (?, ?, ?, ?)
  ON CONFLICT (url) DO UPDATE SET fetched_ts = excluded.fetched_ts, expires_ts = excluded.expires_ts, og = excluded.og`;
const DELETE_EXPIRED_PREVIEWS = "DELETE FROM media_url_previews WHERE expires_ts <= ?";

export function createMediaRepo(db: Database) {
  const get = (origin: string, mediaId: string): MediaRow | null =>
    db.query<MediaRow, [string, string]>(SELECT_MEDIA).get(origin, mediaId);

  /** Deletes one media row with its thumbnails; returns the hashes no row uses any more. */
  function deleteOne(origin: string, mediaId: string): string[] {
    const hashes = db.query<{ sha256: string }, [string, string]>(SELECT_HASHES_OF).all(origin, mediaId).map((r) => r.sha256);
    db.query(DELETE_MEDIA).run(origin, mediaId);
    const used = db.query<{ used: number }, [string]>(IS_REFERENCED);
    return hashes.filter((h) => used.get(h)?.used === 0);
  }

  return {
    get,

    /** Stores a complete piece of media; false when the id is taken. */
    insert(m: NewMedia): boolean {
      const r = db
        .query(INSERT_MEDIA)
        .run(m.origin, m.mediaId, m.kind, m.sha256, m.size, m.contentType, m.filename, m.uploader, m.createdTs, m.createdTs);
      return r.changes === 1;
    },

    /** Reserves an id for an upload that comes later (/create); false when the id is taken. */
    reserve(origin: string, mediaId: string, uploader: string, now: number, expiresTs: number): boolean {
      const r = db.query(INSERT_PENDING).run(origin, mediaId, uploader, now, expiresTs, now);
      return r.changes === 1;
    },

    /** Reserved ids of `uploader` not yet uploaded nor expired. */
    countPending(uploader: string, now: number): number {
      return db.query<{ n: number }, [string, number]>(COUNT_PENDING).get(uploader, now)?.n ?? 0;
    },

    /** Fills a reserved id with its content; false when it was already filled or has expired. */
    completePending(origin: string, mediaId: string, c: MediaContent, now: number): boolean {
      const r = db.query(COMPLETE_PENDING).run(c.sha256, c.size, c.contentType, c.filename, now, now, origin, mediaId, now);
      return r.changes === 1;
    },

    touch(origin: string, mediaId: string, now: number): void {
      db.query(TOUCH).run(now, origin, mediaId);
    },

    /** Bytes held by one scope. */
    usage(scope: UsageScope): number {
      return db.query<{ bytes: number }, [string]>(SELECT_USAGE).get(scope)?.bytes ?? 0;
    },

    /** Bytes of the media `userId` uploaded. */
    userUsage(userId: string): number {
      return db.query<{ bytes: number }, [string]>(SELECT_USAGE).get(`user:${userId}`)?.bytes ?? 0;
    },

    thumbnails(origin: string, mediaId: string): ThumbnailRow[] {
      return db.query<ThumbnailRow, [string, string]>(SELECT_THUMBNAILS).all(origin, mediaId);
    },

    /** Records a generated thumbnail; false when that size already exists (the caller's file stays unused). */
    insertThumbnail(origin: string, mediaId: string, t: NewThumbnail): boolean {
      const r = db
        .query(INSERT_THUMBNAIL)
        .run(origin, mediaId, t.width, t.height, t.method, t.animated ? 1 : 0, t.contentType, t.sha256, t.size, t.createdTs);
      return r.changes === 1;
    },

    /** Deletes media with its thumbnails; returns the content hashes left without any row. */
    delete(origin: string, mediaId: string): string[] {
      return db.transaction(() => deleteOne(origin, mediaId)).immediate();
    },

    /** Quarantines the media (by an admin's id) or releases it (null); returns whether it exists. */
    setQuarantined(origin: string, mediaId: string, by: string | null): boolean {
      return db.query(SET_QUARANTINE).run(by, origin, mediaId).changes > 0;
    },

    /** One page of a user's local uploads in the admin API's order, and how many there are. */
    uploadsOf(uploader: string, orderBy: UploadOrder, backwards: boolean, offset: number, limit: number): { rows: MediaRow[]; total: number } {
      const dir = backwards ? "DESC" : "ASC";
      const sql = `SELECT * FROM media WHERE uploader = ? AND kind = 'local' ORDER BY ${UPLOAD_ORDER_COLUMNS[orderBy]} ${dir}, media_id ${dir} LIMIT ? OFFSET ?`;
      const rows = db.query<MediaRow, [string, number, number]>(sql).all(uploader, limit, offset);
      return { rows, total: db.query<{ n: number }, [string]>(COUNT_UPLOADS).get(uploader)!.n };
    },

    /** The ids of every local upload of a user. */
    uploadIdsOf(uploader: string): string[] {
      return db.query<{ media_id: string }, [string]>(SELECT_UPLOAD_IDS).all(uploader).map((r) => r.media_id);
    },

    /** Whether any media or thumbnail row uses this content. */
    /** Every content hash a media row or a thumbnail uses, each once. */
    contentHashes(): string[] {
      return db.query<{ sha256: string }, []>(SELECT_ALL_HASHES).all().map((r) => r.sha256);
    },
    isReferenced(sha256: string): boolean {
      return db.query<{ used: number }, [string]>(IS_REFERENCED).get(sha256)?.used === 1;
    },

    /** Drops reserved ids whose upload never came; returns how many. */
    deleteExpiredPending(now: number): number {
      return db.query(DELETE_EXPIRED_PENDING).run(now).changes;
    },

    /** Up to `limit` media of one kind, least recently accessed first, accessed before `before`. */
    leastRecentlyUsed(kind: MediaKind, before: number, limit: number): { origin: string; media_id: string }[] {
      return db.query<{ origin: string; media_id: string }, [string, number, number]>(SELECT_LEAST_RECENT).all(kind, before, limit);
    },

    preview(url: string, now: number): UrlPreviewRow | null {
      return db.query<UrlPreviewRow, [string, number]>(SELECT_PREVIEW).get(url, now);
    },

    putPreview(url: string, fetchedTs: number, expiresTs: number, og: string): void {
      db.query(UPSERT_PREVIEW).run(url, fetchedTs, expiresTs, og);
    },

    deleteExpiredPreviews(now: number): number {
      return db.query(DELETE_EXPIRED_PREVIEWS).run(now).changes;
    },
  };
}
export type MediaRepo = ReturnType<typeof createMediaRepo>;
