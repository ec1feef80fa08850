/**
 * Media ids and `mxc://` URIs (spec: "Matrix Content (mxc://) URIs"). A media id is opaque but
 * limited to `[A-Za-z0-9_-]`, which also keeps it safe as a path segment: no `/`, `..` or NUL.
 */
import { isValidServerName } from "../ids.ts";
import type { ServerName } from "../types.ts";

const MEDIA_ID = /^[A-Za-z0-9_-]+$/;
/** Longer ids are refused: nothing legitimate needs them, and they end up in paths and keys. */
export const MAX_MEDIA_ID_LENGTH = 255;

export function isValidMediaId(text: string): boolean {
  return text.length <= MAX_MEDIA_ID_LENGTH && MEDIA_ID.test(text);
}

export interface MxcUri {
  serverName: ServerName;
  mediaId: string;
}

/** Parses `mxc://<server-name>/<media-id>`; null for anything else. */
export function parseMxcUri(text: string): MxcUri | null {
  if (!text.startsWith("mxc://")) return null;
  const rest = text.slice("mxc://".length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const serverName = rest.slice(0, slash);
  const mediaId = rest.slice(slash + 1);
  if (!isValidServerName(serverName) || !isValidMediaId(mediaId)) return null;
  return { serverName, mediaId };
}

export function mxcUri(serverName: string, mediaId: string): string {
  return `mxc://${serverName}/${mediaId}`;
}
