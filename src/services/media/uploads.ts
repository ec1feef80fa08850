/**
 * Uploads (spec "Content repository": POST /upload, POST /create, PUT /upload/{serverName}/{mediaId}).
 * The body streams to the file store and is refused with 413 the moment it passes the upload
 * limit or what the user's quota and the server's cap leave; the row that makes it downloadable is
 * written only after the file is complete and on disk. Ids handed out by /create expire unused,
 * and one user can hold only a few of them at once.
 */
import { randomBytes } from "node:crypto";
import { isValidMediaId, mxcUri } from "../../core/media/media-ids";
import type { Clock } from "../../runtime/clock";
import { forbidden, invalidParam, limitExceeded, MatrixError, notFound, tooLarge } from "../matrix-error";
import type { MediaRepo } from "../../storage/media";
import { ContentTooLargeError, type MediaFileStore } from "../../storage/media-files";
import type { MediaSettings } from "./settings";

export interface UploadBody {
  stream: ReadableStream<Uint8Array> | null;
  /** The Content-Length the client declared, when it did. */
  length: number | null;
  contentType: string | null;
  filename: string | null;
}

/** 24 random characters of [A-Za-z0-9_-] (144 bits). */
export function newMediaId(): string {
  return randomBytes(18).toString("base64url");
}

export interface UploadDeps {
  settings: MediaSettings;
  repo: MediaRepo;
  files: MediaFileStore;
  clock: Clock;
  /** Told when a reserved id gets its content, so downloads waiting for it can answer. */
  onUploaded(mediaId: string): void;
}

export function createUploadService(deps: UploadDeps) {
  const { settings, repo, files, clock } = deps;
  const origin = settings.serverName;

  /** The most bytes this upload may have: the upload limit, and what quota and cap leave. */
  function allowance(userId: string): { bytes: number; reason: (n: number) => MatrixError } {
    let bytes = settings.maxUploadSize;
    let reason = (n: number) => tooLarge(`The upload is larger than this server's limit of ${n} bytes (max_upload_size)`);
    if (settings.userQuota !== null) {
      const left = Math.max(0, settings.userQuota - repo.userUsage(userId));
      if (left < bytes) {
        bytes = left;
        reason = () => forbidden(`The upload would exceed your media quota of ${settings.userQuota} bytes`);
      }
    }
    if (settings.localCap !== null) {
      const left = Math.max(0, settings.localCap - repo.usage("local"));
      if (left < bytes) {
        bytes = left;
        reason = () => tooLarge(`The upload would exceed this server's media storage cap of ${settings.localCap} bytes`);
      }
    }
    return { bytes, reason };
  }

  /** Streams the body into the store within the user's allowance. */
  async function receive(userId: string, body: UploadBody) {
    const { bytes, reason } = allowance(userId);
    if (body.length !== null && body.length > bytes) throw reason(bytes);
    try {
      return await files.write(body.stream ?? new Uint8Array(0), bytes);
    } catch (e) {
      if (e instanceof ContentTooLargeError) throw reason(e.limit);
      throw e;
    }
  }

  return {
    /** POST /upload: stores the content under a new id. */
    async upload(userId: string, body: UploadBody): Promise<{ content_uri: string }> {
      const written = await receive(userId, body);
      try {
        const now = clock.now();
        let mediaId = newMediaId();
        while (!repo.insert({ origin, mediaId, kind: "local", sha256: written.sha256, size: written.size, contentType: body.contentType, filename: body.filename, uploader: userId, createdTs: now })) {
          mediaId = newMediaId();
        }
        return { content_uri: mxcUri(origin, mediaId) };
      } finally {
        written.release();
      }
    },

    /** POST /create: reserves an id whose content comes later. */
    create(userId: string): { content_uri: string; unused_expires_at: number } {
      const now = clock.now();
      if (repo.countPending(userId, now) >= settings.maxPendingPerUser) {
        const err = limitExceeded(settings.pendingExpiryMs);
        throw new MatrixError(429, err.errcode, `You have ${settings.maxPendingPerUser} media ids waiting for their upload: upload to them first`, err.extra, err.headers);
      }
      const expires = now + settings.pendingExpiryMs;
      let mediaId = newMediaId();
      while (!repo.reserve(origin, mediaId, userId, now, expires)) mediaId = newMediaId();
      return { content_uri: mxcUri(origin, mediaId), unused_expires_at: expires };
    },

    /** PUT /upload/{serverName}/{mediaId}: the content of an id reserved by /create. */
    async uploadTo(userId: string, serverName: string, mediaId: string, body: UploadBody): Promise<void> {
      if (!isValidMediaId(mediaId)) throw invalidParam("Media ids consist of the characters A-Z, a-z, 0-9, _ and -");
      const check = () => {
        const row = serverName === origin ? repo.get(origin, mediaId) : null;
        const now = clock.now();
        if (!row || (row.sha256 === null && (row.expires_ts ?? 0) <= now)) throw notFound("No media id of this server waits for this upload");
        if (row.uploader !== userId) throw forbidden("This media id was created by another user");
        if (row.sha256 !== null) throw new MatrixError(409, "M_CANNOT_OVERWRITE_MEDIA", "This media id already has content");
      };
      check();
      const written = await receive(userId, body);
      try {
        const content = { sha256: written.sha256, size: written.size, contentType: body.contentType, filename: body.filename };
        if (!repo.completePending(origin, mediaId, content, clock.now())) {
          written.release();
          if (!repo.isReferenced(written.sha256)) await files.remove(written.sha256);
          check(); // filled or expired while the body streamed: say which
          throw notFound("No media id of this server waits for this upload");
        }
      } finally {
        written.release();
      }
      deps.onUploaded(mediaId);
    },
  };
}
export type UploadService = ReturnType<typeof createUploadService>;
