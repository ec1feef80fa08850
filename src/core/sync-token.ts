/**
 * The `/sync` token: one position per stream (room events by `stream_ordering`, account data,
 * receipts, presence, to-device, device lists, typing). Every stream but typing is durable; typing
 * lives in memory and restarts from zero, so its position carries the epoch of the process that
 * issued it: a token from another epoch means "the client knows no typing state".
 * Pagination endpoints (`/messages`) accept these tokens too and read the `events` position.
 */

export interface SyncToken {
  events: number;
  accountData: number;
  receipts: number;
  presence: number;
  toDevice: number;
  deviceLists: number;
  typing: number;
  /** Identifies the process whose in-memory typing stream `typing` counts in. */
  typingEpoch: string;
}

const pattern = /^s(\d{1,15})_(\d{1,15})_(\d{1,15})_(\d{1,15})_(\d{1,15})_(\d{1,15})_(\d{1,15})_([0-9a-z]{1,16})$/;

export function formatSyncToken(t: SyncToken): string {
  return `s${t.events}_${t.accountData}_${t.receipts}_${t.presence}_${t.toDevice}_${t.deviceLists}_${t.typing}_${t.typingEpoch}`;
}

/** Returns the token a string encodes, or undefined when it is not one of ours. */
export function parseSyncToken(raw: string): SyncToken | undefined {
  const m = pattern.exec(raw);
  if (!m) return undefined;
  return {
    events: Number(m[1]),
    accountData: Number(m[2]),
    receipts: Number(m[3]),
    presence: Number(m[4]),
    toDevice: Number(m[5]),
    deviceLists: Number(m[6]),
    typing: Number(m[7]),
    typingEpoch: m[8]!,
  };
}
