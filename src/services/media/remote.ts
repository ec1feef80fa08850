/**
 * Other servers' media, fetched once and cached (spec v1.11 server-server "Content Repository"):
 * `GET /_matrix/federation/v1/media/download/{mediaId}`, signed, answered as multipart/mixed with
 * the content or a `Location` to fetch it from; servers without that endpoint are asked through
 * the legacy `GET /_matrix/media/v3/download/{serverName}/{mediaId}?allow_remote=false`. Bodies are
 * capped at the upload limit. Concurrent requests for the same media share one fetch.
 */
import { isIP } from "node:net";
import { filenameFromDisposition } from "../../core/media/content-disposition";
import { parseFederationMedia } from "../../core/media/multipart";
import type { FederationClient } from "../../net/federation-client";
import { isUnknownEndpoint, RemoteError } from "../../net/federation-client";
import { OutboundError, type HttpResponse, type OutboundHttp } from "../../net/outbound-http";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import type { MediaRepo, MediaRow } from "../../storage/media";
import type { MediaFileStore } from "../../storage/media-files";
import { MatrixError, notFound } from "../matrix-error";
import type { MediaSettings } from "./settings";

/** Redirects followed from a `Location` part before giving up. */
const MAX_REDIRECTS = 3;

export interface RemoteMediaDeps {
  settings: MediaSettings;
  repo: MediaRepo;
  files: MediaFileStore;
  clock: Clock;
  log: Logger;
  client: FederationClient;
  /** Guarded HTTPS for `Location` answers. */
  http: OutboundHttp;
}

interface Fetched {
  contentType: string | null;
  filename: string | null;
  body: Uint8Array;
}

const unreachable = (serverName: string, why: string) =>
  new MatrixError(502, "M_UNKNOWN", `The media could not be fetched from ${serverName}: ${why}`);

export function createRemoteMedia(deps: RemoteMediaDeps) {
  const { settings, repo, files, clock, client, http } = deps;
  const inFlight = new Map<string, Promise<MediaRow | null>>();
  /** A little more than the largest upload: the multipart frame around it. */
  const maxBytes = settings.maxUploadSize + 64 * 1024;

  async function follow(location: string, timeoutMs: number, hops = 0): Promise<HttpResponse> {
    const url = new URL(location);
    if (url.protocol !== "https:") throw new OutboundError("denied", `a Location that is not https: ${url.protocol}`);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const target = { host, port: Number(url.port || 443), hostHeader: url.host, tlsName: isIP(host) ? undefined : host };
    const res = await http.request(target, { method: "GET", path: `${url.pathname}${url.search}`, maxBytes, timeoutMs });
    const next = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && next && hops < MAX_REDIRECTS) return follow(new URL(next, url).href, timeoutMs, hops + 1);
    if (res.status !== 200) throw new OutboundError("network", `${url.host} answered ${res.status}`);
    return res;
  }

  async function viaFederation(serverName: string, mediaId: string, timeoutMs: number): Promise<Fetched> {
    const res = await client.requestRaw!(serverName, {
      method: "GET",
      path: `/_matrix/federation/v1/media/download/${encodeURIComponent(mediaId)}?timeout_ms=${timeoutMs}`,
      accept: "multipart/mixed",
      maxBytes,
      timeoutMs: timeoutMs + 5_000,
    });
    const answer = parseFederationMedia(res.headers.get("content-type"), res.body);
    if (!answer) throw unreachable(serverName, "its answer is not a multipart/mixed media answer");
    if (answer.kind === "location") {
      const content = await follow(answer.location, timeoutMs);
      return { contentType: content.headers.get("content-type"), filename: filenameFromDisposition(content.headers.get("content-disposition")), body: content.body };
    }
    return { contentType: answer.contentType, filename: filenameFromDisposition(answer.contentDisposition), body: answer.body };
  }

  async function viaLegacy(serverName: string, mediaId: string, timeoutMs: number): Promise<Fetched> {
    const res = await client.requestRaw!(serverName, {
      method: "GET",
      path: `/_matrix/media/v3/download/${encodeURIComponent(serverName)}/${encodeURIComponent(mediaId)}?allow_remote=false&allow_redirect=true&timeout_ms=${timeoutMs}`,
      signed: false,
      maxBytes,
      timeoutMs: timeoutMs + 5_000,
    });
    const body = res.status >= 300 && res.headers.get("location") ? await follow(res.headers.get("location")!, timeoutMs) : res;
    return { contentType: body.headers.get("content-type"), filename: filenameFromDisposition(body.headers.get("content-disposition")), body: body.body };
  }

  async function fetchAndStore(serverName: string, mediaId: string, timeoutMs: number): Promise<MediaRow | null> {
    let fetched: Fetched;
    try {
      try {
        fetched = await viaFederation(serverName, mediaId, timeoutMs);
      } catch (e) {
        if (!isUnknownEndpoint(e)) throw e;
        fetched = await viaLegacy(serverName, mediaId, timeoutMs);
      }
    } catch (e) {
      if (e instanceof MatrixError) throw e;
      if (e instanceof RemoteError) {
        if (e.status === 404) return null;
        if (e.errcode === "M_NOT_YET_UPLOADED") throw new MatrixError(504, "M_NOT_YET_UPLOADED", `${serverName} has not received the content yet`);
        throw unreachable(serverName, e.message);
      }
      if (e instanceof OutboundError) {
        if (e.kind === "too-large") throw new MatrixError(502, "M_TOO_LARGE", `The media on ${serverName} is larger than this server's limit of ${settings.maxUploadSize} bytes`);
        throw unreachable(serverName, e.message);
      }
      throw e;
    }
    if (fetched.body.length > settings.maxUploadSize) {
      throw new MatrixError(502, "M_TOO_LARGE", `The media on ${serverName} is larger than this server's limit of ${settings.maxUploadSize} bytes`);
    }
    const written = await files.write(fetched.body);
    try {
      repo.insert({
        origin: serverName, mediaId, kind: "remote", sha256: written.sha256, size: written.size,
        contentType: fetched.contentType, filename: fetched.filename, uploader: null, createdTs: clock.now(),
      });
    } finally {
      written.release();
    }
    deps.log.debug("remote media cached", { server: serverName, media_id: mediaId, bytes: written.size });
    return repo.get(serverName, mediaId);
  }

  return {
    /** The cached row of another server's media, fetching it first when needed; null when it has none. */
    fetch(serverName: string, mediaId: string, timeoutMs: number): Promise<MediaRow | null> {
      if (!client.requestRaw) return Promise.reject(notFound("This server does not fetch media from other servers"));
      const key = `${serverName}/${mediaId}`;
      let job = inFlight.get(key);
      if (!job) {
        job = fetchAndStore(serverName, mediaId, timeoutMs).finally(() => inFlight.delete(key));
        inFlight.set(key, job);
      }
      return job;
    },
  };
}
export type RemoteMedia = ReturnType<typeof createRemoteMedia>;
