/** Query parameters several route files read: timestamps (`ts`) and delays (MSC4140's `delay`). */
import { invalidParam } from "../../services/matrix-error";

/** `ts` of timestamp massaging: what `origin_server_ts` accepts, a non-negative safe integer. */
export function timestamp(ts: string | undefined): number | undefined {
  if (ts === undefined) return undefined;
  const n = Number(ts);
  if (!/^[0-9]+$/.test(ts) || !Number.isSafeInteger(n)) throw invalidParam("ts must be a timestamp in milliseconds");
  return n;
}

/**
 * The delay of /send and /state in milliseconds (MSC4140 before its own endpoint): `delay`, or
 * the unstable `org.matrix.msc4140.delay` that Element Call sends; undefined for a plain send.
 */
export function delayParam(query: Record<string, string | undefined>): number | undefined {
  const raw = query["org.matrix.msc4140.delay"] ?? query.delay;
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(n)) throw invalidParam("delay must be a number of milliseconds");
  return n;
}
