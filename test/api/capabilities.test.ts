// GET /capabilities over HTTP: what this server lets clients change, and its room versions.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, registerUser, type Session } from "../helpers/client";
import { startServer, type TestServer } from "../helpers/server";

let server: TestServer;
let base: string;
let alice: Session;
beforeAll(async () => {
  server = await startServer();
  base = server.baseUrl;
  alice = await registerUser(base, "alice");
});
afterAll(() => server.stop());

describe("GET /capabilities", () => {
  test("advertises what this server allows and every room version as stable, 12 by default", async () => {
    const res = await api<{ capabilities: Record<string, { enabled?: boolean; default?: string; available?: Record<string, string> }> }>(
      base,
      "GET",
      "/_matrix/client/v3/capabilities",
      { token: alice.access_token },
    );
    expect(res.status).toBe(200);
    const caps = res.body.capabilities;
    expect(caps["m.change_password"]).toEqual({ enabled: true });
    expect(caps["m.set_displayname"]).toEqual({ enabled: true });
    expect(caps["m.set_avatar_url"]).toEqual({ enabled: true });
    expect(caps["m.profile_fields"]).toEqual({ enabled: true });
    expect(caps["m.3pid_changes"]).toEqual({ enabled: false });
    expect(caps["m.get_login_token"]).toEqual({ enabled: false });
    const versions = caps["m.room_versions"]!;
    expect(versions.default).toBe("12");
    expect(Object.keys(versions.available!).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 12 }, (_, i) => String(i + 1)),
    );
    expect(new Set(Object.values(versions.available!))).toEqual(new Set(["stable"]));
  });

  test("needs an access token", async () => {
    const res = await api(base, "GET", "/_matrix/client/v3/capabilities");
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_MISSING_TOKEN");
  });
});
