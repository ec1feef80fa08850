import { describe, expect, test } from "bun:test";
import { formatSyncToken, parseSyncToken, roomEventsPosition } from "../../src/core/sync-token";

describe("sync token", () => {
  test("round-trips the positions and the epoch", () => {
    const t = { positions: [12, 3, 4, 5, 0, 7, 6], epoch: "k9" };
    const raw = formatSyncToken(t);
    expect(raw).toBe("s12_3_4_5_0_7_6_k9");
    expect(parseSyncToken(raw)).toEqual(t);
    expect(roomEventsPosition(t)).toBe(12);
    // A token from before a stream was appended has fewer positions, and still parses.
    expect(parseSyncToken("s12_3_k9")).toEqual({ positions: [12, 3], epoch: "k9" });
  });

  test("rejects strings that are not our tokens", () => {
    expect(parseSyncToken("t12-3")).toBeUndefined();
    expect(parseSyncToken("s12_3_k9_1")).toBeUndefined();
    expect(parseSyncToken("s_k9")).toBeUndefined();
    expect(parseSyncToken("s12_3_")).toBeUndefined();
    expect(parseSyncToken(`s${"1_".repeat(33)}k9`)).toBeUndefined();
  });
});
