/**
 * What the media area is configured with (built from the `[global]` config by the composition
 * root): limits on uploads, pictures and storage, thumbnail sizes, the legacy freeze and the
 * remote cache's retention.
 */
import type { ThumbnailSize } from "../../core/media/thumbnail-sizes";

export interface MediaSettings {
  serverName: string;
  /** Largest upload in bytes (`max_upload_size`). */
  maxUploadSize: number;
  /** Pictures with more pixels are not thumbnailed (`max_image_pixels`). */
  maxImagePixels: number;
  thumbnailSizes: readonly ThumbnailSize[];
  /** Bytes each local user may hold in uploads; null: no quota. */
  userQuota: number | null;
  /** Bytes all local uploads together may hold; null: no cap. */
  localCap: number | null;
  /** How long an id from /create waits for its upload. */
  pendingExpiryMs: number;
  /** Ids from /create one user may have waiting at once. */
  maxPendingPerUser: number;
  /** Whether the legacy unauthenticated endpoints are served at all (`allow_legacy_media`). */
  legacyEndpoints: boolean;
  /**
   * Media created before this time stays reachable through the legacy unauthenticated endpoints;
   * later media only through the authenticated ones. Null: the legacy endpoints serve nothing.
   */
  legacyFreezeTs: number | null;
  /** Remote media not accessed for this long is dropped from the cache; null: kept. */
  remoteMaxAgeMs: number | null;
  /** Bytes the remote media cache may hold (least recently used go first); null: no cap. */
  remoteCacheCap: number | null;
}
