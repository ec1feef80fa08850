/**
 * URL previews (spec "GET /_matrix/client/v1/media/preview_url"), answered only when
 * `url_preview_enabled`: the page is fetched through the guarded client (every DNS answer and
 * every redirect checked against the private ranges and `ip_range_denylist`), with a size and a
 * time cap; an HTML page gives its OpenGraph properties, a picture is itself the preview. The
 * preview's image is stored as media of this server (`og:image` becomes its mxc URI) and each
 * answer is cached per URL for an hour.
 */
import { isIP } from "node:net";
import { errorMessage } from "../../core/error-message";
import { readImageHeader } from "../../core/media/image-header";
import { mxcUri } from "../../core/media/media-ids";
import { OutboundError, type HttpResponse, type OutboundHttp } from "../../net/outbound-http";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import type { MediaRepo } from "../../storage/media";
import type { MediaFileStore } from "../../storage/media-files";
import { forbidden, invalidParam, MatrixError } from "../matrix-error";
import { parseOpenGraph, type OpenGraph } from "./opengraph";
import type { MediaSettings } from "./settings";
import { newMediaId } from "./uploads";

/** Largest page or picture fetched for a preview (Synapse's max_spider_size). */
const MAX_FETCH_BYTES = 10 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;
const CACHE_MS = 60 * 60 * 1000;
const USER_AGENT = "conduit URL preview (Matrix homeserver)";

export interface PreviewDeps {
  settings: MediaSettings;
  repo: MediaRepo;
  files: MediaFileStore;
  clock: Clock;
  log: Logger;
  /** The preview client (`createPreviewHttp`): private ranges denied whatever federation allows. */
  http: OutboundHttp;
}

function targetOf(url: URL) {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const plain = url.protocol === "http:";
  return { host, port: Number(url.port || (plain ? 80 : 443)), hostHeader: url.host, tlsName: isIP(host) || plain ? undefined : host, plain };
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidParam("url is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidParam("Only http and https URLs are previewed");
  if (url.username || url.password) throw invalidParam("URLs with credentials are not previewed");
  url.hash = "";
  return url;
}

export function createPreviewService(deps: PreviewDeps) {
  const { settings, repo, files, clock, http } = deps;
  const inFlight = new Map<string, Promise<OpenGraph>>();

  /** GET with redirects followed by hand, so each hop's address is checked again. */
  async function get(url: URL, maxBytes: number): Promise<{ url: URL; res: HttpResponse }> {
    for (let hop = 0; ; hop++) {
      let res: HttpResponse;
      try {
        res = await http.request(targetOf(url), {
          method: "GET",
          path: `${url.pathname}${url.search}`,
          headers: { "user-agent": USER_AGENT, accept: "text/html,application/xhtml+xml,image/*;q=0.9,*/*;q=0.5" },
          maxBytes,
          timeoutMs: FETCH_TIMEOUT_MS,
        });
      } catch (e) {
        if (e instanceof OutboundError && e.kind === "denied") throw forbidden(`${url.host} is not a public address: it is not previewed`);
        if (e instanceof OutboundError) throw new MatrixError(502, "M_UNKNOWN", `The page could not be fetched: ${e.message}`);
        throw e;
      }
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        if (hop >= MAX_REDIRECTS) throw new MatrixError(502, "M_UNKNOWN", "The page redirects too many times");
        url = parseUrl(new URL(location, url).href);
        continue;
      }
      if (res.status !== 200) throw new MatrixError(502, "M_UNKNOWN", `The page answered ${res.status}`);
      return { url, res };
    }
  }

  /** Stores a picture as this server's media; the preview fields that describe it. */
  async function storeImage(body: Uint8Array, contentType: string): Promise<OpenGraph> {
    const written = await files.write(body);
    const mediaId = newMediaId();
    try {
      repo.insert({ origin: settings.serverName, mediaId, kind: "preview", sha256: written.sha256, size: written.size, contentType, filename: null, uploader: null, createdTs: clock.now() });
    } finally {
      written.release();
    }
    const header = readImageHeader(body);
    const og: OpenGraph = { "og:image": mxcUri(settings.serverName, mediaId), "og:image:type": contentType, "matrix:image:size": written.size };
    if (header) {
      og["og:image:width"] = header.width;
      og["og:image:height"] = header.height;
    }
    return og;
  }

  async function build(url: URL): Promise<OpenGraph> {
    const page = await get(url, MAX_FETCH_BYTES);
    const type = (page.res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type.startsWith("image/")) return storeImage(page.res.body, type);
    if (type !== "text/html" && type !== "application/xhtml+xml") return {};
    const og = parseOpenGraph(new TextDecoder().decode(page.res.body));
    const image = og["og:image"];
    if (typeof image === "string" && image !== "") {
      delete og["og:image"];
      try {
        const picture = await get(parseUrl(new URL(image, page.url).href), Math.min(MAX_FETCH_BYTES, settings.maxUploadSize));
        const pictureType = (picture.res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
        if (pictureType.startsWith("image/")) Object.assign(og, await storeImage(picture.res.body, pictureType));
      } catch (e) {
        // A page keeps its preview when its picture cannot be had.
        deps.log.debug("preview image not fetched", { url: image, error: errorMessage(e) });
      }
    }
    return og;
  }

  return {
    async preview(text: string): Promise<OpenGraph> {
      const url = parseUrl(text);
      const key = url.href;
      const cached = repo.preview(key, clock.now());
      if (cached) return JSON.parse(cached.og) as OpenGraph;
      let job = inFlight.get(key);
      if (!job) {
        job = build(url)
          .then((og) => {
            const now = clock.now();
            repo.putPreview(key, now, now + CACHE_MS, JSON.stringify(og));
            return og;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, job);
      }
      return job;
    },
  };
}
export type PreviewService = ReturnType<typeof createPreviewService>;
