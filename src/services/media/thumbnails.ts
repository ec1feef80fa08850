/**
 * Thumbnails (spec "Thumbnails"): a request is answered at the nearest configured size, generated
 * once by the thumbnail worker and then served from the file store. The picture's header is read
 * first: anything but JPEG, PNG, GIF and WebP is not thumbnailed, and a picture with more pixels
 * than `max_image_pixels` is refused before it is decoded. Concurrent requests for a thumbnail
 * not made yet share one render.
 */
import { errorMessage } from "../../core";
import { IMAGE_CONTENT_TYPES, readImageHeader } from "../../core/media/image-header";
import { chooseThumbnailSize, type ThumbnailMethod, type ThumbnailSize } from "../../core/media/thumbnail-sizes";
import type { Clock } from "../../runtime/clock";
import { MatrixError, tooLarge } from "../matrix-error";
import type { MediaRepo, ThumbnailRow } from "../../storage/media";
import type { MediaFileStore } from "../../storage/media-files";
import type { RenderedThumbnail, ThumbnailJob } from "../../core/media/thumbnail-job";
import type { ContentRequest, ContentService, StoredMedia } from "./content";
import type { MediaSettings } from "./settings";

/** Makes thumbnails (main.ts passes the thumbnail worker). */
export interface ThumbnailRenderer {
  render(job: ThumbnailJob): Promise<RenderedThumbnail>;
}

export interface ThumbnailRequest {
  width: number;
  height: number;
  method: ThumbnailMethod;
  animated: boolean;
}

export interface StoredThumbnail {
  contentType: string;
  sha256: string;
  width: number;
  height: number;
  file: ReturnType<MediaFileStore["file"]>;
}

export interface ThumbnailDeps {
  settings: MediaSettings;
  repo: MediaRepo;
  files: MediaFileStore;
  clock: Clock;
  content: ContentService;
  thumbnailer: ThumbnailRenderer;
}

const cannotThumbnail = (why: string) => new MatrixError(400, "M_UNKNOWN", `Cannot make a thumbnail of this media: ${why}`);

export function createThumbnailService(deps: ThumbnailDeps) {
  const { settings, repo, files, clock, thumbnailer } = deps;
  const rendering = new Map<string, Promise<ThumbnailRow>>();

  const matches = (t: ThumbnailRow, size: ThumbnailSize, animated: boolean) =>
    t.width === size.width && t.height === size.height && t.method === size.method && (t.animated === 1) === animated;

  async function render(media: StoredMedia, size: ThumbnailSize, wantAnimated: boolean): Promise<ThumbnailRow> {
    const input = await media.file.bytes();
    const header = readImageHeader(input);
    if (!header) throw cannotThumbnail("it is not a JPEG, PNG, GIF or WebP picture");
    if (header.width * header.height > settings.maxImagePixels) {
      throw tooLarge(`The picture has ${header.width}x${header.height} pixels, more than this server thumbnails (max_image_pixels = ${settings.maxImagePixels})`);
    }
    const animated = wantAnimated && header.animated;
    // A still picture has one thumbnail per size, whether or not animation was asked for.
    const existing = repo.thumbnails(media.row.origin, media.row.media_id).find((t) => matches(t, size, animated));
    if (existing) return existing;
    let out;
    try {
      out = await thumbnailer.render({ input, format: header.format, width: header.width, height: header.height, size, animated, maxPixels: settings.maxImagePixels });
    } catch (e) {
      throw cannotThumbnail(errorMessage(e));
    }
    const written = await files.write(out.data);
    try {
      const row = { width: size.width, height: size.height, method: size.method, animated, contentType: IMAGE_CONTENT_TYPES[out.format], sha256: written.sha256, size: written.size, createdTs: clock.now() };
      repo.insertThumbnail(media.row.origin, media.row.media_id, row);
    } finally {
      written.release();
    }
    const stored = repo.thumbnails(media.row.origin, media.row.media_id).find((t) => matches(t, size, animated));
    // The media was deleted while rendering: the file has no row.
    if (!stored) {
      if (!repo.isReferenced(written.sha256)) await files.remove(written.sha256);
      throw new MatrixError(404, "M_NOT_FOUND", "No media with this id");
    }
    return stored;
  }

  return {
    async get(serverName: string, mediaId: string, req: ThumbnailRequest, contentReq: ContentRequest): Promise<StoredThumbnail> {
      const media = await deps.content.get(serverName, mediaId, contentReq);
      const size = chooseThumbnailSize(settings.thumbnailSizes, req.width, req.height, req.method);
      if (!size) throw cannotThumbnail("this server makes no thumbnails");
      let row = repo.thumbnails(media.row.origin, media.row.media_id).find((t) => matches(t, size, req.animated));
      // Nothing stored yet (or only a still one for an animated request, which the render
      // answers from the header alone when the picture is not animated).
      if (!row) {
        const key = `${media.row.origin}/${media.row.media_id}/${size.width}x${size.height}/${size.method}/${req.animated}`;
        let job = rendering.get(key);
        if (!job) {
          job = render(media, size, req.animated).finally(() => rendering.delete(key));
          rendering.set(key, job);
        }
        row = await job;
      }
      return { contentType: row.content_type, sha256: row.sha256, width: row.width, height: row.height, file: files.file(row.sha256) };
    },
  };
}
export type ThumbnailService = ReturnType<typeof createThumbnailService>;
