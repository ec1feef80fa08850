/**
 * Builds the single executable `dist/conduit`: the server, every worker (each `src/workers/<name>/<name>.worker.ts`,
 * which a compiled binary can only start if they are bundled as extra entry points) and the SQL
 * migrations (embedded by their text imports). The binary reads no `.env` or `bunfig.toml` from
 * where it runs: its TOML config and CONDUIT_* variables are its only inputs.
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dir, "..");
export const defaultOutfile = join(root, "dist", "conduit");
/** Which functions a running server uses (scripts/bytecode-order/record.ts): laid out first. */
const bytecodeProfile = join(root, "scripts", "bytecode-order", "conduit.order");

/** Compiles the executable to `outfile` and returns its path; `bytecodeOrder: false` builds without the profile. */
export async function build(outfile = defaultOutfile, opts: { bytecodeOrder?: false } = {}): Promise<string> {
  const workers = [...new Bun.Glob("src/workers/*/*.worker.ts").scanSync({ cwd: root })].sort();
  const bytecodeOrder = opts.bytecodeOrder !== false && existsSync(bytecodeProfile) ? bytecodeProfile : false;
  const result = await Bun.build({
    entrypoints: [join(root, "src/main.ts"), ...workers.map((w) => join(root, w))],
    compile: { outfile, autoloadDotenv: false, autoloadBunfig: false, bytecodeOrder },
    target: "bun",
    format: "esm",
    minify: true,
    bytecode: true,
    sourcemap: "none",
    throw: false,
  });
  for (const message of result.logs) console.error(message);
  if (!result.success) throw new Error("build failed");
  const workerList = workers.length > 0 ? workers.join(", ") : "none";
  console.log(`built ${relative(process.cwd(), outfile) || outfile} (workers: ${workerList})`);
  return outfile;
}

if (import.meta.main) {
  try {
    await build();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
