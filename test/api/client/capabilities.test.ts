// GET /capabilities over HTTP: what this server lets clients change, and its room versions.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, registerUser, type Session } from "../../helpers/client";
import { serverForTests } from "../../helpers/server";

const srv = serverForTests();
let alice: Session;
beforeAll(async () => {
  alice = await registerUser(srv.baseUrl, "alice");
});

describe("GET /capabilities", () => {
  test("advertises what this server allows and every room version as stable, 12 by default", async () => {
    const res = await api<{ capabilities: Record<string, { enabled?: boolean; default?: string; available?: Record<string, string> }> }>(
      srv.baseUrl,
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
    const res = await api(srv.baseUrl, "GET", "/_matrix/client/v3/capabilities");
    expectError(res, 401, "M_MISSING_TOKEN");
  });
});
