/**
 * The interop rig's shared set-up: a test CA, a real Synapse, our server as a real process
 * (`ours`) and our server built inside the test process (`probe`, whose federation client and
 * sender a test can drive directly), with one user on each side (`bob` on Synapse, `alice` on
 * ours). Also the small tools every interop test uses: polling with a deadline, and the body of a
 * `test.failing` test that prints its finding.
 */
import { afterAll, beforeAll } from "bun:test";
import { randomBytes } from "node:crypto";
import { registerUser, trustTestCa, type Session } from "../helpers/client";
import { startFederatedServer, startInProcessServer, type FederatedServer, type InProcessServer } from "../helpers/federation";
import { createTestCa, type TestCa } from "../helpers/tls";
import { installedSynapseVersion, startSynapse, type Synapse, type SynapseUser } from "./synapse";

export const synapseVersion = installedSynapseVersion();
if (!synapseVersion) {
  console.warn("Synapse interop tests skipped: Synapse is not installed. Run scripts/synapse/install.sh, then bun run interop.");
}

export interface InteropPair {
  ca: TestCa;
  synapse: Synapse;
  ours: FederatedServer;
  probe: InProcessServer;
  bob: SynapseUser;
  alice: Session;
}

/** Starts the pair before the calling `describe`'s tests and stops every process after them. */
export function interopPair(): InteropPair {
  const pair = {} as InteropPair;
  beforeAll(async () => {
    pair.ca = createTestCa();
    const setup = { ca: pair.ca, cert: pair.ca.issue("localhost", ["127.0.0.1", "localhost"]) };
    trustTestCa(pair.ca.caCert);
    [pair.synapse, pair.ours, pair.probe] = await Promise.all([
      startSynapse(setup),
      startFederatedServer(setup),
      startInProcessServer(setup),
    ]);
    [pair.bob, pair.alice] = await Promise.all([pair.synapse.registerUser("bob"), registerUser(pair.ours.baseUrl, "alice")]);
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([pair.synapse?.stop(), pair.ours?.stop(), pair.probe?.close()]);
    pair.ca?.remove();
  }, 30_000);
  return pair;
}

/** Polls `check` until it returns a value (not undefined), or fails naming `what` and the last error seen. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `; last error: ${String(last)}` : ""}`);
    await Bun.sleep(250);
  }
}

/**
 * The body of a `test.failing` test: runs it and, when it fails, prints the finding and how it
 * failed (bun hides the errors of expected failures), so each run records the current state.
 */
export function failsWith(finding: string, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (e) {
      const detail = (e instanceof Error ? e.message : String(e)).split("\n").filter((l) => l.trim() !== "").slice(0, 14);
      console.log(`[finding] ${finding}\n    failed with: ${detail.join("\n    ")}`);
      throw e;
    }
  };
}

export const nonce = () => randomBytes(6).toString("hex");
export const encode = encodeURIComponent;
