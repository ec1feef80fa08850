/**
 * A minimal client for API tests: JSON requests with an optional access token, a check for Matrix
 * errors, and account set-up (registration through the dummy UIA stage, password login) that other
 * areas' tests reuse.
 */
import { expect } from "bun:test";

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  /** Sent as JSON unless already a string (raw bodies test the parser). */
  body?: unknown;
  headers?: Record<string, string>;
}

let testCa: string | undefined;
/** Trusts a test CA for the HTTPS test servers (federation tests run over TLS). */
export function trustTestCa(pem: string): void {
  testCa = pem;
}

export async function api<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body, tls: testCa ? { ca: testCa } : undefined });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? {} : JSON.parse(text)) as T, headers: res.headers };
}

/** The 401 body of User-Interactive Authentication. */
export interface UiaResponse {
  flows: { stages: string[] }[];
  params: Record<string, unknown>;
  session: string;
  completed?: string[];
  errcode?: string;
}

/** Asserts that `res` is the Matrix error `errcode` with HTTP status `status`. */
export function expectError(res: ApiResponse<{ errcode?: unknown }>, status: number, errcode: string): void {
  expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status, errcode });
}

export interface Session {
  user_id: string;
  access_token: string;
  device_id: string;
}

/** Registers `username` (generated when undefined) through the dummy UIA flow; returns the new session. */
export async function registerUser(
  baseUrl: string,
  username: string | undefined,
  password = "correct horse battery staple",
  extra: Record<string, unknown> = {},
): Promise<Session> {
  const first = await api(baseUrl, "POST", "/_matrix/client/v3/register", { body: { username, password, ...extra } });
  if (first.status !== 401) throw new Error(`register ${username}: expected 401, got ${first.status} ${JSON.stringify(first.body)}`);
  const res = await api<Session>(baseUrl, "POST", "/_matrix/client/v3/register", {
    body: { username, password, ...extra, auth: { type: "m.login.dummy", session: first.body.session } },
  });
  if (res.status !== 200) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function loginUser(
  baseUrl: string,
  user: string,
  password = "correct horse battery staple",
  extra: Record<string, unknown> = {},
): Promise<Session> {
  const res = await api<Session>(baseUrl, "POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password, ...extra },
  });
  if (res.status !== 200) throw new Error(`login ${user}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The `auth` dict of the password UIA stage for `userId`. */
export function passwordAuth(userId: string, session: string, password = "correct horse battery staple") {
  return { type: "m.login.password", identifier: { type: "m.id.user", user: userId }, password, session };
}
