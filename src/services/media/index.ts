/**
 * The media area (spec "Content repository"): uploads, content lookup for downloads, thumbnails
 * and the retention sweep, over the media repository, the file store under `database_path/media`
 * (or `[global.media] path`) and the thumbnail worker main.ts passes in.
 */
import { dirname, join } from "node:path";
import { parseByteSize, parseDuration, type Config } from "../../config";
import { DEFAULT_THUMBNAIL_SIZES } from "../../core/media/thumbnail-sizes";
import type { Clock } from "../../runtime/clock";
import type { Storage } from "../../storage";
import { createMediaFileStore, type MediaFileStore } from "../../storage/media-files";
import { createGuardedHttp, createPreviewHttp } from "../../net";
import type { FederationClient } from "../../net/federation-client";
import type { Logger } from "../../runtime/logger";
import { createContentService, type RemoteFetcher } from "./content";
import { createPreviewService, type PreviewService } from "./previews";
import { createRemoteMedia } from "./remote";
import { createMediaRetention } from "./retention";
import type { MediaSettings } from "./settings";
import { createThumbnailService, type ThumbnailRenderer } from "./thumbnails";
import { createUploadService } from "./uploads";

/** The media settings a config describes (sizes and durations were checked when it loaded). */
export function mediaSettings(config: Config): MediaSettings {
  const media = config.media;
  const bytes = (v: number | string | undefined) => (v === undefined ? null : parseByteSize(v));
  const remote = media.retention.filter((r) => r.scope === "remote");
  const smallest = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length > 0 ? Math.min(...known) : null;
  };
  return {
    serverName: config.server_name,
    maxUploadSize: config.max_upload_size ?? config.max_request_size,
    maxImagePixels: config.max_image_pixels,
    thumbnailSizes: DEFAULT_THUMBNAIL_SIZES,
    userQuota: bytes(media.user_quota),
    localCap: bytes(media.local_space_cap),
    pendingExpiryMs: parseDuration(media.pending_upload_expiry)!,
    maxPendingPerUser: media.max_pending_uploads,
    legacyEndpoints: config.allow_legacy_media,
    legacyFreezeTs: config.legacy_media_freeze === undefined ? null : Date.parse(config.legacy_media_freeze),
    remoteMaxAgeMs: smallest(remote.map((r) => (r.accessed === undefined ? null : parseDuration(r.accessed)))),
    remoteCacheCap: smallest(remote.map((r) => bytes(r.space))),
  };
}

/** `[global.media] path`, else `media/` beside the database. */
export function mediaDirectory(config: Config): string {
  if (config.media.path) return config.media.path;
  const dataDir = config.database_path.endsWith(".db") ? dirname(config.database_path) : config.database_path;
  return join(dataDir, "media");
}

export interface MediaDeps {
  settings: MediaSettings;
  storage: Pick<Storage, "media">;
  files: MediaFileStore;
  clock: Clock;
  thumbnailer: ThumbnailRenderer;
  fetchRemote?: RemoteFetcher;
  /** URL previews, when `url_preview_enabled`. */
  previews?: PreviewService;
}

export function createMediaServices(deps: MediaDeps) {
  const inner = { ...deps, repo: deps.storage.media };
  const content = createContentService(inner);
  const uploads = createUploadService({ ...inner, onUploaded: (mediaId) => content.uploaded(mediaId) });
  const thumbnails = createThumbnailService({ ...inner, content });
  const retention = createMediaRetention(inner);
  return { settings: deps.settings, files: deps.files, uploads, content, thumbnails, retention, previews: deps.previews };
}
export type MediaServices = ReturnType<typeof createMediaServices>;

/** The area as the composition root builds it from the config; other servers' media comes through `client`. */
export function buildMedia(deps: {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
  thumbnailer: ThumbnailRenderer;
  client: FederationClient;
}): MediaServices {
  const { config, storage, clock, log, client } = deps;
  const settings = mediaSettings(config);
  const files = createMediaFileStore({ root: mediaDirectory(config), ...config.media.directory_structure });
  const remote = config.allow_federation
    ? createRemoteMedia({ settings, repo: storage.media, files, clock, log, client, http: createGuardedHttp(config) })
    : undefined;
  const previews = config.url_preview_enabled
    ? createPreviewService({ settings, repo: storage.media, files, clock, log, http: createPreviewHttp(config) })
    : undefined;
  return createMediaServices({ ...deps, settings, files, fetchRemote: remote?.fetch, previews });
}
