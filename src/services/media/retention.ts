/**
 * The media sweep: drops ids from /create whose upload never came, remote media not accessed for
 * `remoteMaxAgeMs`, then the least recently used remote media while the cache holds more than
 * `remoteCacheCap`, and expired URL previews. A file goes only when no row uses it any more and no
 * upload of the same content is between its rename and its commit.
 */
import type { Clock } from "../../runtime/clock";
import type { MediaRepo } from "../../storage/media";
import type { MediaFileStore } from "../../storage/media-files";
import type { MediaSettings } from "./settings";

export interface SweepResult {
  expiredPending: number;
  remoteDropped: number;
  previewsDropped: number;
  filesRemoved: number;
}

const BATCH = 100;

export function createMediaRetention(deps: { settings: MediaSettings; repo: MediaRepo; files: MediaFileStore; clock: Clock }) {
  const { settings, repo, files, clock } = deps;

  async function drop(victims: { origin: string; media_id: string }[], result: SweepResult): Promise<void> {
    for (const v of victims) {
      for (const sha256 of repo.delete(v.origin, v.media_id)) if (await files.remove(sha256)) result.filesRemoved++;
      result.remoteDropped++;
    }
  }

  /** Drops remote media last accessed before `before` (the admin API's purge of the cache). */
  async function purgeRemoteBefore(before: number, result: SweepResult): Promise<void> {
    for (let batch = repo.leastRecentlyUsed("remote", before, BATCH); batch.length > 0; batch = repo.leastRecentlyUsed("remote", before, BATCH)) {
      await drop(batch, result);
    }
  }

  async function sweep(): Promise<SweepResult> {
    const now = clock.now();
    const result: SweepResult = { expiredPending: repo.deleteExpiredPending(now), remoteDropped: 0, previewsDropped: 0, filesRemoved: 0 };
    if (settings.remoteMaxAgeMs !== null) await purgeRemoteBefore(now - settings.remoteMaxAgeMs, result);
    if (settings.remoteCacheCap !== null) {
      while (repo.usage("remote") > settings.remoteCacheCap) {
        const batch = repo.leastRecentlyUsed("remote", Number.MAX_SAFE_INTEGER, 1);
        if (batch.length === 0) break;
        await drop(batch, result);
      }
    }
    result.previewsDropped = repo.deleteExpiredPreviews(now);
    return result;
  }

  return {
    sweep,
    /** Drops every remote media last accessed before `before`; returns how many went. */
    async purgeRemoteCache(before: number): Promise<number> {
      const result: SweepResult = { expiredPending: 0, remoteDropped: 0, previewsDropped: 0, filesRemoved: 0 };
      await purgeRemoteBefore(before, result);
      return result.remoteDropped;
    },
    /** Sweeps every `intervalMs` in the background (never keeping the process alive); returns the stop. */
    start(intervalMs: number, onError: (e: unknown) => void): () => void {
      const timer = setInterval(() => void sweep().catch(onError), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
export type MediaRetention = ReturnType<typeof createMediaRetention>;
