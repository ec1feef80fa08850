// Keeps the layer rule of ARCHITECTURE.md true by scanning imports:
// core <- storage <- services <- api, workers beside them; SQL and bun:sqlite only in storage.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const src = join(import.meta.dir, "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier a file imports or re-exports, resolved to a layer where it is ours. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+["']([^"']+)["']/g)].map((m) => m[1]!);
  const dynamic = [...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
  return [...specs, ...dynamic].map((spec) =>
    spec.startsWith(".") ? relative(src, join(file, "..", spec)).split("/")[0]! : spec,
  );
}

const layerOf = (file: string) => relative(src, file).split("/")[0]!;
const files = sourceFiles(src).map((file) => ({ file: relative(src, file), layer: layerOf(file), imports: importsOf(file) }));

const allowed: Record<string, (imp: string) => boolean> = {
  // core is pure: no I/O, no Bun APIs, no HTTP framework, nothing above it.
  core: (imp) => !imp.startsWith("bun:") && !["elysia", "storage", "services", "api", "workers", "node:fs", "node:net", "node:dns"].includes(imp),
  storage: (imp) => !["elysia", "services", "api", "workers"].includes(imp),
  services: (imp) => !["elysia", "api", "bun:sqlite"].includes(imp),
  workers: (imp) => !["elysia", "api", "bun:sqlite"].includes(imp),
  api: (imp) => !["storage", "bun:sqlite"].includes(imp),
};

test("source files exist in every layer", () => {
  for (const layer of ["core", "storage", "services", "api", "workers"]) {
    expect(files.some((f) => f.layer === layer)).toBe(true);
  }
  // The scanner sees real imports: storage is where bun:sqlite comes in.
  expect(files.some((f) => f.layer === "storage" && f.imports.includes("bun:sqlite"))).toBe(true);
  expect(files.some((f) => f.layer === "api" && f.imports.includes("services"))).toBe(true);
});

test("each layer imports only what the architecture allows", () => {
  const violations = files.flatMap((f) =>
    (allowed[f.layer] ? f.imports.filter((imp) => !allowed[f.layer]!(imp)) : []).map((imp) => `${f.file} imports ${imp}`),
  );
  expect(violations).toEqual([]);
});

test("SQL stays inside src/storage", () => {
  const sql = /\b(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b/;
  const offenders = files
    .filter((f) => f.layer !== "storage")
    .filter((f) => sql.test(readFileSync(join(src, f.file), "utf8")))
    .map((f) => f.file);
  expect(offenders).toEqual([]);
});
