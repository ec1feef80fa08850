// Failed requests to other servers are logged at warn with the remote's answer, at most once per
// destination per minute, the next line counting those left out.
import { expect, test } from "bun:test";
import { RemoteError, type FederationClient } from "../../src/net/federation-client";
import { withFailureLog } from "../../src/net/failure-log";
import { OutboundError } from "../../src/net/outbound-http";
import { createFakeClock } from "../../src/runtime/clock";
import { createLogger } from "../../src/runtime/logger";

function setup(fail: (destination: string) => Error) {
  const clock = createFakeClock();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger("warn", (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const inner: FederationClient = { request: (destination) => Promise.reject(fail(destination)) };
  return { clock, lines, client: withFailureLog(inner, log, clock) };
}

test("a refusal is logged at warn with status, errcode and the answer; the caller still gets the error", async () => {
  const { client, lines } = setup((d) => new RemoteError(d, 403, "M_FORBIDDEN", { errcode: "M_FORBIDDEN", error: "not in room" }));
  const err = await client.request("b.test", { method: "GET", path: "/_matrix/federation/v1/state_ids/!r:b.test?event_id=%24e" }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RemoteError);
  expect(lines).toEqual([
    expect.objectContaining({
      level: "warn",
      msg: "request to another server failed",
      destination: "b.test",
      method: "GET",
      path: "/_matrix/federation/v1/state_ids/!r:b.test",
      status: 403,
      errcode: "M_FORBIDDEN",
      answer: '{"errcode":"M_FORBIDDEN","error":"not in room"}',
    }),
  ]);
});

test("at most one line per destination per minute, the next one counting what was left out", async () => {
  const { client, lines, clock } = setup((d) => new OutboundError("network", `cannot connect to ${d}`));
  const get = (d: string) => client.request(d, { method: "GET", path: "/x" }).catch(() => undefined);
  await get("b.test");
  await get("b.test");
  await get("b.test");
  await get("c.test"); // another destination has its own budget
  expect(lines.map((l) => [l.destination, l.failure, l.error])).toEqual([
    ["b.test", "network", "cannot connect to b.test"],
    ["c.test", "network", "cannot connect to c.test"],
  ]);
  clock.advance(59_999);
  await get("b.test");
  expect(lines).toHaveLength(2);
  clock.advance(1);
  await get("b.test");
  expect(lines).toHaveLength(3);
  expect(lines[2]).toMatchObject({ destination: "b.test", failures_not_logged: 3 });
});

test("raw requests (media) keep working through it, and their failures are logged too", async () => {
  const clock = createFakeClock();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger("warn", (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const answer = { status: 200, headers: new Headers(), body: new Uint8Array([1, 2]) };
  const inner: FederationClient = {
    request: () => Promise.resolve({} as never),
    requestRaw: (d) => (d === "down.test" ? Promise.reject(new OutboundError("timeout", "timed out")) : Promise.resolve(answer)),
  };
  const client = withFailureLog(inner, log, clock);
  expect(await client.requestRaw!("b.test", { method: "GET", path: "/m" })).toBe(answer);
  await client.requestRaw!("down.test", { method: "GET", path: "/m" }).catch(() => undefined);
  expect(lines).toEqual([expect.objectContaining({ destination: "down.test", failure: "timeout" })]);
});
