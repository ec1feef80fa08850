/**
 * When a server's verify key may be trusted: a current key until its `valid_until_ts` (capped at
 * 7 days after we fetched it), a retired one (`old_verify_keys`) only for what was signed before
 * its `expired_ts`. Rooms 1-4 ignore validity: any key the server ever held will do.
 */
export interface KnownKey {
  key: Uint8Array;
  validUntilTs: number;
  expiredTs: number | null;
}

/** Whether `k` may vouch for something signed at `validAt` (undefined: at any time). */
export function usableAt(k: KnownKey, validAt: number | undefined): boolean {
  if (validAt === undefined) return true;
  return k.expiredTs !== null ? validAt < k.expiredTs : validAt <= k.validUntilTs;
}
