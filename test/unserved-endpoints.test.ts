// docs/unserved-endpoints.txt is exactly the spec endpoints no route serves (so it cannot rot), and
// /versions lists a version whose endpoints clients pick by version only when they are served.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { REGENERATE, renderUnserved, UNSERVED_LIST, unservedEndpoints } from "../scripts/unserved-endpoints";
import type { TestServer } from "./helpers/server";
import { serverWithUsers, type TestUser } from "./helpers/users";

let server: TestServer;
let alice: TestUser;
beforeAll(async () => {
  ({ server, users: { alice } } = await serverWithUsers(["alice"]));
});
afterAll(() => server.stop());

test("docs/unserved-endpoints.txt lists exactly the spec endpoints without a route", async () => {
  const expected = renderUnserved(await unservedEndpoints());
  const committed = readFileSync(UNSERVED_LIST, "utf8");
  if (committed !== expected) {
    throw new Error(`docs/unserved-endpoints.txt is out of date (routes were added or removed): run \`${REGENERATE}\` and commit it`);
  }
});

test("an endpoint in the list answers 404 M_UNRECOGNIZED, one left out of it does not", async () => {
  const unserved = await alice.call("POST", "/search", { search_categories: { room_events: { search_term: "x" } } });
  const listed = readFileSync(UNSERVED_LIST, "utf8").includes("POST /_matrix/client/v3/search ");
  expect(unserved.status === 404 && unserved.body.errcode === "M_UNRECOGNIZED").toBe(listed);
  expect(readFileSync(UNSERVED_LIST, "utf8")).not.toContain("GET /_matrix/client/v3/account/3pid ");
  expect((await alice.call("GET", "/account/3pid")).status).toBe(200);
});

test("/versions lists v1.3, v1.4 and v1.15 only while relations, threads and room summaries are served", async () => {
  const { versions } = (await (await fetch(`${server.baseUrl}/_matrix/client/versions`)).json()) as { versions: string[] };
  expect(versions).toContain("v1.19");
  const probes: Array<[string, string]> = [
    ["v1.3", "/_matrix/client/v1/rooms/!r:localhost/relations/$e"],
    ["v1.4", "/_matrix/client/v1/rooms/!r:localhost/threads"],
    ["v1.15", "/_matrix/client/v1/room_summary/!r:localhost"],
  ];
  for (const [version, path] of probes) {
    const res = await fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${alice.session.access_token}` } });
    const served = !(res.status === 404 && ((await res.json()) as { errcode?: string }).errcode === "M_UNRECOGNIZED");
    expect({ version, listed: versions.includes(version) }).toEqual({ version, listed: served });
  }
});
