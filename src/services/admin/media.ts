/**
 * Media in the admin API, in Synapse's shapes, over the media area's repository and file store:
 * a user's uploads (listed, or all deleted), one local media deleted, quarantine (one media or all
 * of a user's; quarantined media is served to nobody) and release, and the purge of remote media
 * not accessed since a time.
 */
import type { Storage } from "../../storage";
import type { MediaRow, UploadOrder } from "../../storage/media";
import { UPLOAD_ORDER_COLUMNS } from "../../storage/media";
import type { MediaFileStore } from "../../storage/media-files";
import { invalidParam, notFound } from "../matrix-error";
import type { MediaRetention } from "../media/retention";

export const UPLOAD_ORDERS = Object.keys(UPLOAD_ORDER_COLUMNS) as UploadOrder[];

export interface UploadListQuery {
  orderBy: UploadOrder;
  backwards: boolean;
  offset: number;
  limit: number;
}

const toUpload = (row: MediaRow) => ({
  media_id: row.media_id,
  media_type: row.content_type,
  media_length: row.size,
  upload_name: row.filename,
  created_ts: row.created_ts,
  last_access_ts: row.last_access_ts,
  quarantined_by: row.quarantined_by,
  safe_from_quarantine: false,
});

export function createAdminMedia(deps: { storage: Storage; serverName: string; files: MediaFileStore; retention: MediaRetention }) {
  const { storage, serverName, files } = deps;
  const repo = storage.media;

  async function deleteOne(origin: string, mediaId: string): Promise<void> {
    for (const sha256 of repo.delete(origin, mediaId)) await files.remove(sha256);
  }

  function existing(origin: string, mediaId: string): MediaRow {
    const row = repo.get(origin, mediaId);
    if (!row) throw notFound("No media with this id");
    return row;
  }

  return {
    /** `GET /_synapse/admin/v1/users/{userId}/media` */
    uploadsOf(userId: string, q: UploadListQuery) {
      const { rows, total } = repo.uploadsOf(userId, q.orderBy, q.backwards, q.offset, q.limit);
      const next = q.offset + rows.length;
      return { media: rows.map(toUpload), total, ...(next < total ? { next_token: next } : {}) };
    },

    /** `DELETE /_synapse/admin/v1/users/{userId}/media` */
    async deleteUploadsOf(userId: string): Promise<{ deleted_media: string[]; total: number }> {
      const ids = repo.uploadIdsOf(userId);
      for (const id of ids) await deleteOne(serverName, id);
      return { deleted_media: ids, total: ids.length };
    },

    /** `DELETE /_synapse/admin/v1/media/{serverName}/{mediaId}`: local media only, as in Synapse. */
    async delete(origin: string, mediaId: string): Promise<{ deleted_media: string[]; total: number }> {
      if (origin !== serverName) throw invalidParam("Only local media can be deleted here; remote media goes with purge_media_cache");
      existing(origin, mediaId);
      await deleteOne(origin, mediaId);
      return { deleted_media: [mediaId], total: 1 };
    },

    /** Quarantines (an admin's id) or releases (null) one media, local or cached remote. */
    setQuarantined(origin: string, mediaId: string, by: string | null): void {
      existing(origin, mediaId);
      repo.setQuarantined(origin, mediaId, by);
    },

    /** `POST /_synapse/admin/v1/user/{userId}/media/quarantine` */
    quarantineUploadsOf(userId: string, by: string): { num_quarantined: number } {
      const ids = repo.uploadIdsOf(userId);
      storage.transaction(() => {
        for (const id of ids) repo.setQuarantined(serverName, id, by);
      });
      return { num_quarantined: ids.length };
    },

    /** `POST /_synapse/admin/v1/purge_media_cache?before_ts=` */
    async purgeRemoteCache(beforeTs: number): Promise<{ deleted: number }> {
      return { deleted: await deps.retention.purgeRemoteCache(beforeTs) };
    },
  };
}
export type AdminMedia = ReturnType<typeof createAdminMedia>;
