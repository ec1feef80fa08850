/**
 * The query of a thumbnail request, shared by the client and federation thumbnail routes:
 * `width`, `height`, `method` (crop or scale, default scale), `animated`, `timeout_ms`.
 */
import { t } from "elysia";
import type { ThumbnailRequest } from "../../services/media/thumbnails";
import { invalidParam } from "../../services/matrix-error";

export const ThumbnailQuery = t.Object({
  width: t.Numeric({ minimum: 1 }),
  height: t.Numeric({ minimum: 1 }),
  method: t.Optional(t.String()),
  animated: t.Optional(t.String()),
  timeout_ms: t.Optional(t.Numeric({ minimum: 0 })),
  allow_redirect: t.Optional(t.String()),
  allow_remote: t.Optional(t.String()),
});
export type ThumbnailQuery = (typeof ThumbnailQuery)["static"];

export function thumbnailRequest(query: ThumbnailQuery): ThumbnailRequest {
  const method = query.method ?? "scale";
  if (method !== "crop" && method !== "scale") throw invalidParam('method must be "crop" or "scale"');
  return { width: Math.floor(query.width), height: Math.floor(query.height), method, animated: query.animated === "true" };
}
