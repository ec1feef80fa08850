/**
 * The SyTest ledger (docs/sytest.md): every SyTest test with its last result, the deliberate
 * exclusions with their reasons, and the pass rate by directory.
 *
 *   bun scripts/sytest/ledger.ts OUT_DIR LEDGER.md     merge a run of scripts/sytest/run.sh into the
 *                                                      ledger; exit 1 if a test that passed fails now
 *   bun scripts/sytest/ledger.ts --render LEDGER.md    rewrite the ledger from itself (after editing
 *                                                      scripts/sytest/exclusions.tsv)
 *   bun scripts/sytest/ledger.ts --failing-files OUT_DIR   the files with a failing test, one a line
 *   bun scripts/sytest/ledger.ts --causes OUT_DIR      failures grouped by their first reason, most
 *                                                      frequent first (where to work next)
 *
 * A run's OUT_DIR holds, per SyTest invocation NAME, NAME.tap (TAP on stdout) and NAME.err (SyTest's
 * progress on stderr, which names the file of each test); chunk-* are the suite's runs, rerun-* the
 * runs of one failing file on its own; runs.log lists the files each invocation was given.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** pass; fail; flaky: failed in its chunk, passed when its file ran alone; blocked: SyTest did not
 * run it because a test proving what it needs failed; skip: SyTest skipped it for another reason
 * (or expected it to fail); not run: its file ran but the run stopped before it. */
type Status = "pass" | "fail" | "flaky" | "blocked" | "skip" | "not run";
const STATUSES: readonly Status[] = ["pass", "fail", "flaky", "blocked", "skip", "not run"];

interface Result {
  file: string;
  name: string;
  status: Status;
}

interface Ledger {
  sytestCommit: string;
  /** Test file -> project commit its tests were last measured at. */
  commits: Map<string, string>;
  /** Key (file, name, occurrence) -> result, in suite order. */
  tests: Map<string, Result>;
}

interface Exclusion {
  match: string;
  reason: string;
  test: (r: Result) => boolean;
}

const HERE = dirname(import.meta.path);

/** Tests of one file may share a name; the n-th of them is told apart by its occurrence. */
function keyed(results: Result[]): Map<string, Result> {
  const seen = new Map<string, number>();
  const out = new Map<string, Result>();
  for (const r of results) {
    const base = `${r.file}\t${r.name}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.set(n === 1 ? base : `${base}\t${n}`, r);
  }
  return out;
}

/** The results of one SyTest invocation, and whether it reached its end ("1..N"). */
function parseRun(out: string, name: string): { results: Result[]; complete: boolean } {
  const tap = readFileSync(join(out, `${name}.tap`), "utf8").split("\n");
  const err = existsSync(join(out, `${name}.err`)) ? readFileSync(join(out, `${name}.err`), "utf8").split("\n") : [];
  const fileOf = new Map<string, string>();
  let current = "";
  for (const line of err) {
    const file = /^(tests\/\S+\.pl):$/.exec(line);
    if (file) current = file[1]!;
    const test = /^\s+Test (\d+) /.exec(line);
    if (test) fileOf.set(test[1]!, current);
  }
  const results: Result[] = [];
  let complete = false;
  for (const line of tap) {
    if (/^1\.\.\d+$/.test(line)) complete = true;
    const m = /^(ok|not ok) (\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [, ok, num, rest] = m as unknown as [string, string, string, string];
    let status: Status;
    let testName: string;
    const skip = / # skip (.*)$/.exec(rest);
    if (skip) {
      status = skip[1]!.startsWith("lack of ") ? "blocked" : "skip";
      testName = rest.slice(0, skip.index);
    } else if (rest.startsWith("(expected fail) ")) {
      status = ok === "ok" ? "pass" : "skip";
      testName = rest.slice("(expected fail) ".length).replace(/ # TODO .*$/, "");
    } else {
      status = ok === "ok" ? "pass" : "fail";
      testName = rest;
    }
    // A passing multi-step test carries its step count; the name is the same without it.
    if (status === "pass") testName = testName.replace(/ \(\d+ subtests\)$/, "");
    results.push({ file: fileOf.get(num) ?? "tests/(unknown)", name: testName, status });
  }
  return { results, complete };
}

/** The invocations of a run and the test files each was given (from runs.log). */
function runsOf(out: string): { name: string; files: string[] }[] {
  const log = existsSync(join(out, "runs.log")) ? readFileSync(join(out, "runs.log"), "utf8") : "";
  const runs: { name: string; files: string[] }[] = [];
  for (const line of log.split("\n")) {
    const m = /^\S+ start (\S+): (.*)$/.exec(line);
    if (m && existsSync(join(out, `${m[1]}.tap`))) runs.push({ name: m[1]!, files: m[2]!.split(" ") });
  }
  return runs;
}

function failingFiles(out: string): string[] {
  const files = new Set<string>();
  for (const run of runsOf(out).filter((r) => r.name.startsWith("chunk-")))
    for (const r of parseRun(out, run.name).results) if (r.status === "fail") files.add(r.file);
  return [...files].sort();
}

/** A failure's first reason with ids, ports and query strings taken out, so that alike ones group. */
function reasonOf(diagnostics: string[]): string {
  for (let [i, line] of diagnostics.entries()) {
    if (/^(Started|Ended): /.test(line)) continue;
    line = line.replace(/^fixture failed - /, "");
    const http = /HTTP Request failed \( (\d+) [^(]*?https?:\/\/[^/\s]+(\S*) \) from (\w+)/.exec(line);
    if (http) {
      const path = http[2]!.replace(/\?.*$/, "").replace(/(%40|@|%21|!|%24|\$|%23|#)[^/]+/g, "$1…").replace(/\/\d+(?=\/|$)/g, "/N");
      const errcode = /"errcode":"(\w+)"/.exec(diagnostics[i + 1] ?? "")?.[1] ?? "";
      return `${http[1]} ${http[3]} ${path} ${errcode}`.trim();
    }
    return line.replace(/localhost:\d+/g, "localhost").replace(/\d{8}_\d{6}-\d+/g, "…").replace(/ at \S+ line \d+\.?$/, "");
  }
  return "(no reason given)";
}

function causes(out: string): string[] {
  const byReason = new Map<string, string[]>();
  for (const run of runsOf(out).filter((r) => r.name.startsWith("chunk-"))) {
    const lines = readFileSync(join(out, `${run.name}.tap`), "utf8").split("\n");
    for (const [i, line] of lines.entries()) {
      const m = /^not ok \d+ (?!\(expected fail\))(.*)$/.exec(line);
      if (!m) continue;
      const diagnostics: string[] = [];
      for (let j = i + 1; j < lines.length && lines[j]!.startsWith("# "); j++) diagnostics.push(lines[j]!.slice(2));
      const reason = reasonOf(diagnostics);
      if (!byReason.has(reason)) byReason.set(reason, []);
      byReason.get(reason)!.push(m[1]!);
    }
  }
  return [...byReason].sort((a, b) => b[1].length - a[1].length).map(([reason, tests]) => `${tests.length}\t${reason}\t(${tests[0]})`);
}

/** A run's results: chunk results, with each failure judged again by its file's solo re-run. */
function readRun(out: string, previous: Ledger): { results: Map<string, Result>; files: Set<string>; incomplete: string[] } {
  const runs = runsOf(out);
  const chunkResults: Result[] = [];
  const reruns = new Map<string, Result>();
  const files = new Set<string>();
  const incomplete: string[] = [];
  for (const run of runs) {
    const { results, complete } = parseRun(out, run.name);
    if (run.name.startsWith("rerun-")) {
      for (const [k, r] of keyed(results)) reruns.set(k, r);
      continue;
    }
    if (!complete) incomplete.push(run.name);
    run.files.forEach((f) => files.add(f));
    chunkResults.push(...results);
  }
  const results = keyed(chunkResults);
  for (const [k, r] of results) if (r.status === "fail" && reruns.get(k)?.status === "pass") r.status = "flaky";
  // Tests the ledger knows in a file that ran, but that this run never reached.
  for (const [k, r] of previous.tests)
    if (files.has(r.file) && !results.has(k)) results.set(k, { file: r.file, name: r.name, status: "not run" });
  return { results, files, incomplete };
}

function readExclusions(): Exclusion[] {
  const text = readFileSync(join(HERE, "exclusions.tsv"), "utf8");
  const out: Exclusion[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const [match, reason] = line.split("\t");
    if (!match || !reason) throw new Error(`exclusions.tsv: "${line}" needs a match, a tab and a reason`);
    const regex = /^\/(.*)\/$/.exec(match);
    const test = regex
      ? ((re: RegExp) => (r: Result) => re.test(r.name))(new RegExp(regex[1]!))
      : (r: Result) => r.file === match || r.file.startsWith(`${match}/`);
    out.push({ match, reason, test });
  }
  return out;
}

const cell = (s: string) => s.replace(/\|/g, "\\|");
const uncell = (s: string) => s.replace(/\\\|/g, "|");

function readLedger(path: string): Ledger {
  const ledger: Ledger = { sytestCommit: "", commits: new Map(), tests: new Map() };
  if (!existsSync(path)) return ledger;
  const results: Result[] = [];
  let file = "";
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const sytest = /^SyTest commit: `(\w+)`/.exec(line);
    if (sytest) ledger.sytestCommit = sytest[1]!;
    const heading = /^### `(tests\/\S+)` at `(\S+)`$/.exec(line);
    if (heading) {
      file = heading[1]!;
      ledger.commits.set(file, heading[2]!);
      continue;
    }
    // "| status | test name | exclusion |", with "|" in names written "\|".
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    if (file && cells.length === 5 && STATUSES.includes(cells[1] as Status))
      results.push({ file, name: uncell(cells[2]!), status: cells[1] as Status });
  }
  ledger.tests = keyed(results);
  return ledger;
}

/** "10apidoc" for tests/10apidoc/01register.pl, "11register.pl" for tests/11register.pl. */
const directoryOf = (file: string) => file.split("/")[1] ?? file;

interface Counts {
  pass: number;
  fail: number;
  flaky: number;
  blocked: number;
  notRun: number;
  skip: number;
  excluded: number;
}

function rate(c: Counts): string {
  const applicable = c.pass + c.fail + c.flaky + c.blocked + c.notRun;
  return applicable === 0 ? "-" : `${((100 * c.pass) / applicable).toFixed(1)}%`;
}

function render(ledger: Ledger, exclusions: Exclusion[]): string {
  const excludedBy = (r: Result) => exclusions.find((e) => e.test(r));
  const zero = (): Counts => ({ pass: 0, fail: 0, flaky: 0, blocked: 0, notRun: 0, skip: 0, excluded: 0 });
  const byDir = new Map<string, Counts>();
  const total = zero();
  const matched = new Map<Exclusion, number>();
  const files = new Map<string, Result[]>();
  for (const r of ledger.tests.values()) {
    if (!files.has(r.file)) files.set(r.file, []);
    files.get(r.file)!.push(r);
    const dir = directoryOf(r.file);
    if (!byDir.has(dir)) byDir.set(dir, zero());
    const e = excludedBy(r);
    for (const c of [byDir.get(dir)!, total]) {
      if (e) c.excluded++;
      else if (r.status === "not run") c.notRun++;
      else c[r.status]++;
    }
    if (e) matched.set(e, (matched.get(e) ?? 0) + 1);
  }
  const dirs = [...byDir.keys()].sort();
  const commitsOf = (dir: string) =>
    [...new Set([...ledger.commits].filter(([f]) => directoryOf(f) === dir).map(([, c]) => c))].join(", ");
  const row = (name: string, c: Counts, commits: string) =>
    `| ${name} | ${c.pass} | ${c.fail} | ${c.flaky} | ${c.blocked} | ${c.notRun} | ${c.skip} | ${c.excluded} | ${rate(c)} | ${commits} |`;

  const lines = [
    "# SyTest ledger",
    "",
    "[SyTest](https://github.com/matrix-org/sytest) is the black-box test suite Synapse, Dendrite and",
    "Conduit were built against. This file is generated by `npm run sytest` (see `scripts/sytest/`):",
    "it holds every SyTest test with its last result here, the tests deliberately left out and why,",
    "and the pass rate. Do not edit it by hand; edit `scripts/sytest/exclusions.tsv` and run",
    "`bun scripts/sytest/ledger.ts --render docs/sytest.md` to change exclusions.",
    "",
    "- **pass rate** = pass / (pass + fail + flaky + blocked + not run), over the tests that are not",
    "  excluded.",
    "- **flaky**: failed in the suite run, passed when its file ran on its own.",
    "- **blocked**: SyTest did not run it because the test proving an ability it needs failed",
    "  (\"lack of can_sync\"); it counts as a failure.",
    "- **not run**: its file ran, but the run stopped (time limit, crash) before this test.",
    "- **skip**: SyTest skipped the test for another reason (a fixture saying the feature is not",
    "  offered); it does not count.",
    "- **regression**: a test that is `pass` here and fails (or is not run) in a new run makes",
    "  `npm run sytest` exit non-zero; the new ledger is written all the same.",
    "",
    "Run it with `npm run sytest` (the whole suite, about 40 minutes on 2 cores) or",
    "`npm run sytest -- 30rooms 31sync/02sync.pl` (some directories or files; the rest of the ledger",
    "stays as it was). `scripts/sytest/install.sh` says what it needs (Debian Perl packages, clones of",
    "`matrix-org/sytest` and `gitpan/Net-Async-HTTP-Server` in `.sytest/`, never committed).",
    "`bun scripts/sytest/ledger.ts --causes .sytest/out` groups the last run's failures by reason.",
    "",
    "The server under test is configured only through its config file (`scripts/sytest/server.toml`",
    "and the SyTest module in `scripts/sytest/perl/`); it runs no SyTest-specific code.",
    "",
    `SyTest commit: \`${ledger.sytestCommit}\``,
    "",
    "## Pass rate by directory",
    "",
    "| directory | pass | fail | flaky | blocked | not run | skip | excluded | pass rate | measured at |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...dirs.map((d) => row(d, byDir.get(d)!, commitsOf(d))),
    row("**total**", total, ""),
    "",
    "## Exclusions",
    "",
    "Tests of features this server deliberately does not offer. Each line matches a test file (or",
    "directory) or, between slashes, a regular expression on test names.",
    "",
    "| match | tests | reason |",
    "|---|---|---|",
    ...exclusions.map((e) => `| \`${cell(e.match)}\` | ${matched.get(e) ?? 0} | ${cell(e.reason)} |`),
    "",
    "## Tests",
  ];
  for (const [file, results] of files) {
    lines.push("", `### \`${file}\` at \`${ledger.commits.get(file) ?? "?"}\``, "", "| result | test | excluded |", "|---|---|---|");
    for (const r of results) {
      const e = excludedBy(r);
      lines.push(`| ${r.status} | ${cell(r.name)} |${e ? ` ${cell(e.match)} ` : " "}|`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The previous ledger with a run merged in: the files that ran take the run's results. */
function merge(previous: Ledger, run: ReturnType<typeof readRun>, commit: string, sytestCommit: string): Ledger {
  const tests = new Map<string, Result>();
  // Keep suite order: files in the order of the previous ledger, then new ones in run order.
  const order = [...new Set([...[...previous.tests.values()].map((r) => r.file), ...[...run.results.values()].map((r) => r.file)])];
  const fileKeys = (source: Map<string, Result>, file: string) => [...source].filter(([, r]) => r.file === file);
  for (const file of order) for (const [k, r] of fileKeys(run.files.has(file) ? run.results : previous.tests, file)) tests.set(k, r);
  const commits = new Map(previous.commits);
  for (const file of order) if (run.files.has(file) && fileKeys(run.results, file).length > 0) commits.set(file, commit);
  return { sytestCommit, commits: new Map(order.filter((f) => commits.has(f)).map((f) => [f, commits.get(f)!])), tests };
}

function main(argv: string[]): number {
  if (argv[0] === "--failing-files" && argv[1]) {
    for (const f of failingFiles(argv[1])) console.log(f);
    return 0;
  }
  if (argv[0] === "--causes" && argv[1]) {
    for (const line of causes(argv[1])) console.log(line);
    return 0;
  }
  if (argv[0] === "--render" && argv[1]) {
    writeFileSync(argv[1], render(readLedger(argv[1]), readExclusions()));
    return 0;
  }
  const [out, path] = argv;
  if (!out || !path) {
    console.error("usage: bun scripts/sytest/ledger.ts OUT_DIR LEDGER.md | --render LEDGER.md | --failing-files OUT_DIR | --causes OUT_DIR");
    return 2;
  }
  const previous = readLedger(path);
  const run = readRun(out, previous);
  const commit = readFileSync(join(out, "project-commit.txt"), "utf8").trim().replace(/\n/g, "+");
  const sytestCommit = readFileSync(join(out, "sytest-commit.txt"), "utf8").trim();
  if (previous.sytestCommit && previous.sytestCommit !== sytestCommit)
    console.error(`sytest: the ledger was measured with SyTest ${previous.sytestCommit}, this run used ${sytestCommit}`);
  const next = merge(previous, run, commit, sytestCommit);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, render(next, readExclusions()));

  const regressions: string[] = [];
  const nowFlaky: string[] = [];
  let fixed = 0;
  for (const [k, r] of run.results) {
    const before = previous.tests.get(k)?.status;
    if (before === "pass" && (r.status === "fail" || r.status === "blocked" || r.status === "not run")) regressions.push(`${r.file}: ${r.name} (${r.status})`);
    else if (before === "pass" && r.status === "flaky") nowFlaky.push(`${r.file}: ${r.name}`);
    else if (before !== undefined && before !== "pass" && r.status === "pass") fixed++;
  }
  const counts: Record<Status, number> = { pass: 0, fail: 0, flaky: 0, blocked: 0, skip: 0, "not run": 0 };
  for (const r of run.results.values()) counts[r.status]++;
  console.log(
    `sytest: ${run.results.size} tests in ${run.files.size} files: ${counts.pass} pass, ${counts.fail} fail, ` +
      `${counts.flaky} flaky, ${counts.blocked} blocked, ${counts.skip} skip, ${counts["not run"]} not run; ${fixed} newly passing; ledger: ${basename(path)}`,
  );
  for (const name of run.incomplete) console.error(`sytest: ${name} stopped before its end (see ${join(out, `${name}.err`)})`);
  for (const t of nowFlaky) console.error(`sytest: passed before, flaky now: ${t}`);
  for (const t of regressions) console.error(`sytest: REGRESSION: ${t}`);
  if (regressions.length > 0) {
    console.error(`sytest: ${regressions.length} tests passed in the committed ledger and fail now`);
    return 1;
  }
  return 0;
}

process.exitCode = main(Bun.argv.slice(2));
