/**
 * The compiled executable for tests that run it: built once per test run into `test-artifacts/`
 * (git-ignored; never over a developer's `dist/conduit`), shared by every test file that asks.
 */
import { join } from "node:path";
import { build } from "../../scripts/build";

const outfile = join(import.meta.dir, "..", "..", "test-artifacts", "conduit");
let built: Promise<string> | undefined;

export function compiledBinary(): Promise<string> {
  built ??= build(outfile);
  return built;
}
