/**
 * The media area (spec "Content repository"): uploads, content lookup for downloads, thumbnails
 * and the retention sweep, over the media repository, the file store and the thumbnail worker.
 */
import type { Clock } from "../../runtime/clock";
import type { MediaRepo } from "../../storage/media";
import type { MediaFileStore } from "../../storage/media-files";
import { createContentService, type RemoteFetcher } from "./content";
import { createMediaRetention } from "./retention";
import type { MediaSettings } from "./settings";
import { createThumbnailService, type ThumbnailRenderer } from "./thumbnails";
import { createUploadService } from "./uploads";

export interface MediaDeps {
  settings: MediaSettings;
  repo: MediaRepo;
  files: MediaFileStore;
  clock: Clock;
  thumbnailer: ThumbnailRenderer;
  fetchRemote?: RemoteFetcher;
}

export function createMediaServices(deps: MediaDeps) {
  const content = createContentService(deps);
  const uploads = createUploadService({ ...deps, onUploaded: (mediaId) => content.uploaded(mediaId) });
  const thumbnails = createThumbnailService({ ...deps, content });
  const retention = createMediaRetention(deps);
  return { settings: deps.settings, uploads, content, thumbnails, retention };
}
export type MediaServices = ReturnType<typeof createMediaServices>;
