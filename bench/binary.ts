/**
 * The compiled executable for benchmarks that measure what an operator runs: `dist/conduit`,
 * rebuilt first unless it is newer than every source file.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { build, defaultOutfile } from "../scripts/build";

const root = join(import.meta.dir, "..");

function newestSource(): number {
  const files = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).map((f) => join(root, "src", f));
  return Math.max(...[...files, join(root, "package-lock.json")].map((f) => statSync(f).mtimeMs));
}

function binaryIsCurrent(): boolean {
  try {
    return statSync(defaultOutfile).mtimeMs > newestSource();
  } catch {
    return false;
  }
}

/** The path of an up-to-date `dist/conduit`. */
export async function currentBinary(): Promise<string> {
  if (binaryIsCurrent()) {
    console.log(`using ${defaultOutfile} (newer than the sources)`);
    return defaultOutfile;
  }
  return build();
}
