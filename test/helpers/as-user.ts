/** Binds the test client to one user: `call(method, path, body)` under `/_matrix/client/v3`. */
import { api, type ApiResponse, type Session } from "./client";

export type UserCall = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<ApiResponse<T>>;

export function asUser(baseUrl: string, who: Session): UserCall {
  return (method, path, body) => api(baseUrl, method, `/_matrix/client/v3${path}`, { token: who.access_token, body });
}

export const enc = encodeURIComponent;
