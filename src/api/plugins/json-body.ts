/**
 * Request bodies: refuse anything over `max_request_size` before reading it (413 `M_TOO_LARGE`),
 * and parse JSON strictly, so that what we store and sign is exactly what the client meant.
 */
import { Elysia } from "elysia";
import { notJson, tooLarge } from "../../services/matrix-error";

export const jsonBody = (maxBytes: number) =>
  new Elysia({ name: "json-body" })
    .onRequest(({ request }) => {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > maxBytes) throw tooLarge(`Request body exceeds ${maxBytes} bytes`);
    })
    .onParse({ as: "global" }, async ({ request, contentType }) => {
      // Media uploads (binary bodies) are read by their own routes.
      if (contentType && !contentType.startsWith("application/json") && !contentType.startsWith("text/plain")) return;
      const text = await request.text();
      if (text.trim() === "") return {};
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw notJson("Request body is not valid JSON");
      }
    })
    .as("global");
