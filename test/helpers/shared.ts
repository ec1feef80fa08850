/**
 * The project's `shared/` folder (spec test vectors, notes) sits beside the repository, both in a
 * developer's checkout (`/work/main` + `/work/shared`) and in CI's fresh clone. Tests locate it
 * relative to the repository root, never by an absolute path.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export const sharedDir = join(import.meta.dir, "..", "..", "..", "shared");

/** The path of a file under `shared/`; throws a clear error when shared/ is not beside the repo. */
export function sharedPath(relativePath: string): string {
  const path = join(sharedDir, relativePath);
  if (!existsSync(path)) throw new Error(`${path} not found: shared/ must sit beside the repository`);
  return path;
}
