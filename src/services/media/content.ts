/**
 * Finding the content behind a media id for downloads and thumbnails: local uploads, ids from
 * /create whose upload is still coming (waited for up to `timeout_ms`, then 504
 * M_NOT_YET_UPLOADED), and other servers' media through the remote cache. The legacy
 * unauthenticated endpoints see only media created before the freeze.
 */
import { isValidServerName } from "../../core/ids";
import { isValidMediaId } from "../../core/media/media-ids";
import type { Clock } from "../../runtime/clock";
import { invalidParam, MatrixError, notFound } from "../matrix-error";
import type { MediaRepo, MediaRow } from "../../storage/media";
import type { MediaFileStore } from "../../storage/media-files";
import type { MediaSettings } from "./settings";

/** Media with content on disk. */
export interface StoredMedia {
  row: MediaRow & { sha256: string };
  file: ReturnType<MediaFileStore["file"]>;
}

export interface ContentRequest {
  /** Through a legacy unauthenticated endpoint: only media from before the freeze. */
  legacy: boolean;
  /** How long to wait for content that is not there yet (an upload, a remote fetch). */
  timeoutMs: number;
  /** Whether another server may be asked (federation requests never are). */
  allowRemote: boolean;
}

/** Fetches another server's media into the cache; null when that server has none. */
export type RemoteFetcher = (serverName: string, mediaId: string, timeoutMs: number) => Promise<MediaRow | null>;

/** Access times are written at most this often per piece of media: retention needs no finer. */
const TOUCH_INTERVAL_MS = 60 * 60 * 1000;
export const DEFAULT_TIMEOUT_MS = 20_000;
export const MAX_TIMEOUT_MS = 120_000;

export interface ContentDeps {
  settings: MediaSettings;
  repo: MediaRepo;
  files: MediaFileStore;
  clock: Clock;
  fetchRemote?: RemoteFetcher;
}

export function createContentService(deps: ContentDeps) {
  const { settings, repo, files, clock } = deps;
  const waiters = new Map<string, Set<() => void>>();

  /** Resolves when `mediaId` is uploaded or `ms` pass, whichever is first. */
  function waitForUpload(mediaId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = waiters.get(mediaId) ?? new Set<() => void>();
      waiters.set(mediaId, set);
      const done = () => {
        cancel();
        set.delete(done);
        if (set.size === 0) waiters.delete(mediaId);
        resolve();
      };
      const cancel = clock.schedule(ms, done);
      set.add(done);
    });
  }

  async function local(mediaId: string, timeoutMs: number): Promise<MediaRow> {
    let row = repo.get(settings.serverName, mediaId);
    if (row && row.sha256 === null && (row.expires_ts ?? 0) > clock.now()) {
      await waitForUpload(mediaId, Math.min(timeoutMs, (row.expires_ts ?? 0) - clock.now()));
      row = repo.get(settings.serverName, mediaId);
      if (row && row.sha256 === null) {
        throw new MatrixError(504, "M_NOT_YET_UPLOADED", "The content of this media id has not been uploaded yet");
      }
    }
    if (!row || row.sha256 === null) throw notFound("No media with this id");
    return row;
  }

  return {
    /** Tells waiting downloads that a reserved id got its content. */
    uploaded(mediaId: string): void {
      for (const done of [...(waiters.get(mediaId) ?? [])]) done();
    },

    async get(serverName: string, mediaId: string, req: ContentRequest): Promise<StoredMedia> {
      if (!isValidServerName(serverName)) throw invalidParam("The server name is not valid");
      if (!isValidMediaId(mediaId)) throw invalidParam("Media ids consist of the characters A-Z, a-z, 0-9, _ and -");
      const timeoutMs = Math.min(Math.max(0, req.timeoutMs), MAX_TIMEOUT_MS);
      let row: MediaRow | null;
      if (serverName === settings.serverName) {
        row = await local(mediaId, timeoutMs);
      } else {
        row = repo.get(serverName, mediaId);
        if (!row && req.allowRemote && deps.fetchRemote) row = await deps.fetchRemote(serverName, mediaId, timeoutMs);
        if (!row || row.sha256 === null) throw notFound("No media with this id");
      }
      if (row.quarantined_by !== null) throw notFound("This media has been quarantined by a server admin");
      if (req.legacy && (settings.legacyFreezeTs === null || row.created_ts >= settings.legacyFreezeTs)) {
        // Since v1.11 new media is served by the authenticated endpoints only.
        throw notFound("This media is only available through the authenticated media endpoints (/_matrix/client/v1/media)");
      }
      const now = clock.now();
      if (now - row.last_access_ts >= TOUCH_INTERVAL_MS) repo.touch(row.origin, row.media_id, now);
      const sha256 = row.sha256!;
      return { row: { ...row, sha256 }, file: files.file(sha256) };
    },
  };
}
export type ContentService = ReturnType<typeof createContentService>;
