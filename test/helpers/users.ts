/**
 * A test server with registered users, each with their session and a client bound to them, so a
 * test reads `alice.call("GET", "/sync")`.
 */
import { asUser, type UserCall } from "./as-user";
import { registerUser, type Session } from "./client";
import { startServer, type StartOptions, type TestServer } from "./server";

export interface TestUser {
  id: string;
  session: Session;
  call: UserCall;
}

export async function addUser(server: TestServer, name: string, password?: string): Promise<TestUser> {
  const session = await registerUser(server.baseUrl, name, password);
  return { id: session.user_id, session, call: asUser(server.baseUrl, session) };
}

export async function serverWithUsers<N extends string>(
  names: readonly N[],
  opts: StartOptions = {},
): Promise<{ server: TestServer; users: Record<N, TestUser> }> {
  const server = await startServer(opts);
  const list = await Promise.all(names.map((name) => addUser(server, name)));
  return { server, users: Object.fromEntries(names.map((n, i) => [n, list[i]!])) as Record<N, TestUser> };
}
