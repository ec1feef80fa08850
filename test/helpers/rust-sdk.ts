/**
 * The matrix-rust-sdk test client (test/clients/rust-sdk, built by scripts/rust-sdk/install.sh):
 * a child process that takes one JSON command per line and answers one JSON line, so a test
 * drives the Element X engine step by step and reads what it shows.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const rustClientPath = process.env.RUST_SDK_CLIENT ?? join(import.meta.dir, "..", "..", ".rust-sdk", "target", "release", "conduit-rust-sdk-client");
export const rustClientBuilt = existsSync(rustClientPath);

export interface RustRoom {
  room_id: string;
  name: string | null;
  /** The SDK's room state: `Joined`, `Invited`, ... */
  state: string;
  notifications: number;
  highlights: number;
  unread_messages: number;
  encrypted: boolean;
}

export interface RustClient {
  call<T = Record<string, unknown>>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  rooms(): Promise<RustRoom[]>;
  messages(roomId: string): Promise<{ sender: string; body?: string; unable_to_decrypt?: boolean }[]>;
  /** Every line the client printed on stderr (its logs), for a failing test's message. */
  stderr: string[];
  close(): Promise<void>;
}

export function startRustClient(): RustClient {
  const store = mkdtempSync(join(tmpdir(), "conduit-rust-sdk-"));
  const proc: Subprocess<"pipe", "pipe", "pipe"> = Bun.spawn([rustClientPath], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: { ...process.env, RUST_LOG: "warn" } });
  const stderr: string[] = [];
  void (async () => {
    for await (const chunk of proc.stderr) stderr.push(new TextDecoder().decode(chunk));
  })();
  const answers: ((line: string) => void)[] = [];
  void (async () => {
    let pending = "";
    for await (const chunk of proc.stdout) {
      pending += new TextDecoder().decode(chunk);
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        answers.shift()?.(line);
      }
    }
  })();
  // One command at a time: answers come back in order.
  let queue: Promise<unknown> = Promise.resolve();
  const call = <T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> => {
    const run = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          answers.push((line) => {
            const answer = JSON.parse(line) as { error?: string };
            if (answer.error !== undefined) reject(new Error(`rust client ${cmd}: ${answer.error}`));
            else resolve(answer as T);
          });
          proc.stdin.write(`${JSON.stringify({ cmd, store, ...args })}\n`);
          proc.stdin.flush();
        }),
    );
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    call,
    rooms: async () => (await call<{ rooms: RustRoom[] }>("rooms")).rooms,
    messages: async (roomId) => (await call<{ messages: { sender: string; body?: string; unable_to_decrypt?: boolean }[] }>("messages", { room_id: roomId })).messages,
    stderr,
    async close() {
      proc.stdin.end();
      await proc.exited;
      rmSync(store, { recursive: true, force: true });
    },
  };
}
