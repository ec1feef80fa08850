/**
 * POST /_matrix/media/v3/upload — https://spec.matrix.org/v1.19/client-server-api/#post_matrixmediav3upload
 * POST /_matrix/media/v1/create — https://spec.matrix.org/v1.19/client-server-api/#post_matrixmediav1create
 * PUT  /_matrix/media/v3/upload/{serverName}/{mediaId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixmediav3uploadservernamemediaid
 * GET  /_matrix/client/v1/media/config — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1mediaconfig
 * GET  /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}] — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1mediadownloadservernamemediaid
 * GET  /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1mediathumbnailservernamemediaid
 * GET  /_matrix/client/v1/media/preview_url — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1mediapreview_url (when url_preview_enabled)
 * Legacy, unauthenticated, for media from before `legacy_media_freeze` (and their `r0` names):
 * GET  /_matrix/media/v3/config, /download/{serverName}/{mediaId}[/{fileName}], /thumbnail/{serverName}/{mediaId}, /preview_url
 * Uploads stream straight to the file store (the body is never parsed or buffered); downloads
 * stream from disk with the headers that keep media from acting as a page (see media-response.ts).
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { DEFAULT_TIMEOUT_MS } from "../../services/media/content";
import type { UploadBody } from "../../services/media/uploads";
import { clientAuth } from "../plugins/client-auth";
import { corsHeaders } from "../plugins/cors";
import { mediaResponse } from "../http/media-response";
import { ThumbnailQuery, thumbnailRequest } from "../schemas/thumbnail-query";

const TimeoutQuery = t.Optional(t.Numeric({ minimum: 0 }));
const DownloadQuery = t.Object({ timeout_ms: TimeoutQuery, allow_redirect: t.Optional(t.String()), allow_remote: t.Optional(t.String()) });
function uploadBody(request: Request, filename: string | undefined): UploadBody {
  const declared = request.headers.get("content-length");
  return {
    stream: request.body,
    length: declared === null ? null : Number(declared),
    contentType: request.headers.get("content-type"),
    filename: filename ?? null,
  };
}

/**
 * Upload answers as plain `application/json`, without a charset: Hydrogen reads the answer of its
 * upload (an XMLHttpRequest) only when the Content-Type is exactly that, as Synapse sends it.
 */
function uploadAnswer(body: object): Response {
  return new Response(JSON.stringify(body), { headers: { ...corsHeaders, "Content-Type": "application/json" } });
}

/** `allow_remote=false` keeps the request on this server (legacy endpoints; v1 always may fetch). */
const allowRemote = (value: string | undefined) => value !== "false";

export const mediaRoutes = ({ accounts: { tokens: auth }, media }: Services) => {
  const config = () => ({ "m.upload.size": media.settings.maxUploadSize });
  const download = (legacy: boolean) => async ({ params, query, request }: { params: { serverName: string; mediaId: string; fileName?: string }; query: (typeof DownloadQuery)["static"]; request: Request }) => {
    const found = await media.content.get(params.serverName, params.mediaId, {
      legacy,
      timeoutMs: query.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      allowRemote: !legacy || allowRemote(query.allow_remote),
    });
    return mediaResponse(request, {
      file: found.file,
      sha256: found.row.sha256,
      contentType: found.row.content_type,
      filename: params.fileName ?? found.row.filename,
    });
  };
  const thumbnail = (legacy: boolean) => async ({ params, query, request }: { params: { serverName: string; mediaId: string }; query: ThumbnailQuery; request: Request }) => {
    const found = await media.thumbnails.get(params.serverName, params.mediaId, thumbnailRequest(query), {
      legacy,
      timeoutMs: query.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      allowRemote: !legacy || allowRemote(query.allow_remote),
    });
    return mediaResponse(request, { file: found.file, sha256: found.sha256, contentType: found.contentType, filename: null });
  };

  let app = new Elysia()
    .use(clientAuth(auth))
    .post(
      "/_matrix/media/v3/upload",
      async ({ requester, request, query }) => uploadAnswer(await media.uploads.upload(requester.userId, uploadBody(request, query.filename))),
      { auth: true, query: t.Object({ filename: t.Optional(t.String()) }) },
    )
    .post("/_matrix/media/v1/create", ({ requester }) => media.uploads.create(requester.userId), { auth: true })
    .put(
      "/_matrix/media/v3/upload/:serverName/:mediaId",
      async ({ requester, request, params, query }) => {
        await media.uploads.uploadTo(requester.userId, params.serverName, params.mediaId, uploadBody(request, query.filename));
        return uploadAnswer({});
      },
      { auth: true, query: t.Object({ filename: t.Optional(t.String()) }) },
    )
    .get("/_matrix/client/v1/media/config", config, { auth: true })
    .get("/_matrix/client/v1/media/download/:serverName/:mediaId", download(false), { auth: true, query: DownloadQuery })
    .get("/_matrix/client/v1/media/download/:serverName/:mediaId/:fileName", download(false), { auth: true, query: DownloadQuery })
    .get("/_matrix/client/v1/media/thumbnail/:serverName/:mediaId", thumbnail(false), { auth: true, query: ThumbnailQuery });
  const previews = media.previews;
  if (previews) {
    const query = t.Object({ url: t.String(), ts: t.Optional(t.Numeric()) });
    const preview = ({ query }: { query: { url: string } }) => previews.preview(query.url);
    app = app.get("/_matrix/client/v1/media/preview_url", preview, { auth: true, query });
    if (media.settings.legacyEndpoints) app = app.get("/_matrix/media/v3/preview_url", preview, { auth: true, query });
  }
  if (media.settings.legacyEndpoints) {
    app = app
      .get("/_matrix/media/v3/config", config, { auth: true })
      .get("/_matrix/media/v3/download/:serverName/:mediaId", download(true), { query: DownloadQuery })
      .get("/_matrix/media/v3/download/:serverName/:mediaId/:fileName", download(true), { query: DownloadQuery })
      .get("/_matrix/media/v3/thumbnail/:serverName/:mediaId", thumbnail(true), { query: ThumbnailQuery });
  }
  return app;
};
