/**
 * Runs every test of the given files on its own (`bun test FILE -t NAME`), to show that no test
 * depends on another having run first. Prints each test that fails alone and exits 1 if any did.
 *
 *   bun scripts/each-test-alone.ts test/api/client/sync.test.ts [more files...]
 */
import { readFileSync } from "node:fs";

/** Test names as written (`test("...")`, `it("...")`); `test.each` names up to their first placeholder. */
function testNames(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const names = new Set<string>();
  for (const m of text.matchAll(/\b(?:test|it)(\.each\([\s\S]*?\))?\(\s*(["'`])((?:\\.|(?!\2).)*)\2/g)) {
    let name = m[3]!.replace(/\\(.)/g, "$1");
    if (m[1]) name = name.split(/%[sdifjopP#%]|\$\w+/)[0]!;
    name = name.split("${")[0]!;
    if (name.trim() !== "") names.add(name);
  }
  return [...names];
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const name of testNames(file)) {
    const run = Bun.spawnSync([process.execPath, "test", "--timeout=30000", file, "-t", escapeRegex(name)], {
      stdout: "pipe",
      stderr: "pipe",
      env: process.env,
    });
    const output = `${run.stdout.toString()}${run.stderr.toString()}`;
    const ran = /(\d+) pass/.exec(output);
    if (run.exitCode !== 0 || !ran || Number(ran[1]) === 0) {
      failed++;
      console.log(`FAIL alone: ${file} > ${name}`);
    }
  }
  console.log(`checked ${file}`);
}
process.exit(failed > 0 ? 1 : 0);
