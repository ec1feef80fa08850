/**
 * A logged-in user for HTTP tests: registers through the real `/register` endpoint (dummy auth,
 * following the UIA flow) and wraps `fetch` with the user's access token.
 */
export interface Session {
  baseUrl: string;
  userId: string;
  deviceId: string;
  accessToken: string;
  /** Calls a client-server path (relative to `/_matrix/client/v3`) and returns status and body. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export async function register(baseUrl: string, username: string, password = "correct horse battery"): Promise<Session> {
  const url = `${baseUrl}/_matrix/client/v3/register`;
  const request = { username, password, initial_device_display_name: "test" };
  let res = await fetch(url, { method: "POST", body: JSON.stringify(request) });
  if (res.status === 401) {
    const { session } = (await res.json()) as { session?: string };
    res = await fetch(url, { method: "POST", body: JSON.stringify({ ...request, auth: { type: "m.login.dummy", session } }) });
  }
  if (res.status !== 200) throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
  const { user_id, device_id, access_token } = (await res.json()) as { user_id: string; device_id: string; access_token: string };
  return sessionFor(baseUrl, user_id, device_id, access_token);
}

export function sessionFor(baseUrl: string, userId: string, deviceId: string, accessToken: string): Session {
  return {
    baseUrl,
    userId,
    deviceId,
    accessToken,
    async call<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
        method,
        headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
    },
  };
}

/** Percent-encodes one path segment (user and room ids carry `@`, `!`, `:`). */
export const seg = encodeURIComponent;
