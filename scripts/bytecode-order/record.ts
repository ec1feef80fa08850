/**
 * Records which functions the server runs, for the profile-guided bytecode layout of the compiled
 * executable (`bun build --bytecode-order`): the build places the bytecode that a running server
 * uses together at the front, so the executable pages in and decodes less of itself (idle
 * resident memory 59.5 -> 56.6 MB, docs/performance.md). The profile holds hashes of functions'
 * syntax, not code, and keeps working as the code changes; record it again when
 * `bytecodeOrderStats()` (bun:jsc) shows many cold functions. Run: `bun scripts/bytecode-order/record.ts`.
 * It builds without a profile, runs the load benchmark's workload on that build with
 * `BUN_BYTECODE_ORDER_OUT`, and writes `scripts/bytecode-order/conduit.order`.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../build";

const here = import.meta.dir;
const profile = join(here, "conduit.order");
const work = mkdtempSync(join(tmpdir(), "conduit-order-"));
try {
  const binary = await build(join(work, "conduit"), { bytecodeOrder: false });
  // The benchmark starts the server with a bare environment: a wrapper adds the recording.
  const wrapper = join(work, "conduit-recording");
  writeFileSync(wrapper, `#!/bin/sh\nBUN_BYTECODE_ORDER_OUT='${profile}' exec '${binary}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const bench = Bun.spawn([process.execPath, join(here, "..", "..", "bench", "load.bench.ts"), wrapper], { stdout: "inherit", stderr: "inherit" });
  if ((await bench.exited) !== 0) throw new Error("the load benchmark failed: no profile recorded");
  console.log(`recorded ${profile}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
