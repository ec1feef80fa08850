/**
 * GET /_matrix/federation/v1/media/download/{mediaId} — https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1mediadownloadmediaid
 * GET /_matrix/federation/v1/media/thumbnail/{mediaId} — https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1mediathumbnailmediaid
 * This server's own media for other servers: `multipart/mixed` with the metadata (`{}`) and the
 * content streamed from disk. Never fetched onward from a third server.
 */
import { randomBytes } from "node:crypto";
import { Elysia, t } from "elysia";
import { contentDisposition, servedContentType } from "../../core/media/content-disposition";
import { federationMediaFrame } from "../../core/media/multipart";
import type { Services } from "../../services";
import { DEFAULT_TIMEOUT_MS } from "../../services/media/content";
import { serverAuth } from "../plugins/server-auth";
import { ThumbnailQuery, thumbnailRequest } from "../schemas/thumbnail-query";

function multipart(file: Blob, contentType: string | null, filename: string | null): Response {
  const frame = federationMediaFrame(randomBytes(16).toString("hex"), {
    "Content-Type": servedContentType(contentType),
    "Content-Disposition": contentDisposition(contentType, filename),
  });
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(frame.head);
      for await (const chunk of file.stream()) controller.enqueue(chunk);
      controller.enqueue(frame.tail);
      controller.close();
    },
  });
  return new Response(body, { headers: { "Content-Type": frame.contentType } });
}

const local = (timeoutMs: number | undefined) => ({ legacy: false, allowRemote: false, timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS });

export const federationMediaRoutes = ({ federation, media, config }: Services) =>
  new Elysia()
    .use(serverAuth(federation))
    .get(
      "/_matrix/federation/v1/media/download/:mediaId",
      async ({ params, query }) => {
        const found = await media.content.get(config.server_name, params.mediaId, local(query.timeout_ms));
        return multipart(found.file, found.row.content_type, found.row.filename);
      },
      { federation: true, query: t.Object({ timeout_ms: t.Optional(t.Numeric({ minimum: 0 })) }) },
    )
    .get(
      "/_matrix/federation/v1/media/thumbnail/:mediaId",
      async ({ params, query }) => {
        const found = await media.thumbnails.get(config.server_name, params.mediaId, thumbnailRequest(query), local(query.timeout_ms));
        return multipart(found.file, found.contentType, null);
      },
      {
        federation: true,
        query: ThumbnailQuery,
      },
    );
