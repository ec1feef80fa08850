// Keeps the one layer rule of docs/architecture.md true by scanning every import in src/:
//   core <- runtime <- storage, net <- services <- api; workers import core, runtime, storage,
//   net and their own folder; cli (the executable's subcommands) uses services, storage and
//   config without the HTTP layer; config.ts is read by everything above core and runtime; main.ts
//   wires it all. SQL and bun:sqlite stay in storage; core is pure. No exceptions.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const src = join(import.meta.dir, "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

interface Import {
  /** For our own files, the path relative to src (`services/rooms/index`); else the package. */
  name: string;
  ours: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+["']([^"']+)["']/g),
    ...text.matchAll(/(?:^|\n)\s*import\s+["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((spec) =>
    spec.startsWith(".") ? { name: relative(src, join(file, "..", spec)), ours: true } : { name: spec, ours: false },
  );
}

/** The layer of a path relative to src: its first folder, or the file itself at the top (config, main). */
const layerOf = (path: string) => path.split("/")[0]!.replace(/\.ts$/, "");

/** The layers each layer may import (besides itself). */
const mayImport: Record<string, readonly string[]> = {
  core: [],
  runtime: ["core"],
  storage: ["core", "runtime"],
  net: ["core", "runtime", "config"],
  services: ["core", "runtime", "storage", "net", "config"],
  api: ["core", "runtime", "services", "config"],
  workers: ["core", "runtime", "storage", "net", "config"],
  cli: ["core", "runtime", "storage", "net", "services", "config"],
  config: ["core"],
  main: ["core", "runtime", "storage", "net", "services", "api", "workers", "cli", "config"],
  types: [],
};

/** Packages only one layer may use: the HTTP framework in api, SQLite in storage. */
const packageHome: Record<string, string> = { elysia: "api", "bun:sqlite": "storage" };
/** core is pure: deterministic code over its inputs; of Node's modules only hashing and signing. */
const coreMayUsePackage = (imp: string) => imp === "node:crypto";

interface SourceFile {
  file: string;
  layer: string;
  imports: Import[];
}
const files: SourceFile[] = sourceFiles(src).map((file) => {
  const rel = relative(src, file);
  return { file: rel, layer: layerOf(rel), imports: importsOf(file) };
});

function violations(f: SourceFile): string[] {
  const out: string[] = [];
  for (const { name, ours } of f.imports) {
    const refused = () => out.push(`${f.file} imports ${name}`);
    if (ours && name.startsWith("..")) continue; // package.json (the version), outside src
    if (ours) {
      const target = layerOf(name);
      // A worker's files are its own folder: workers/<name>/ imports no other worker's files.
      if (target === f.layer) {
        if (f.layer === "workers" && f.file.split("/")[1] !== name.split("/")[1]) refused();
      } else if (!mayImport[f.layer]?.includes(target)) refused();
      continue;
    }
    const home = packageHome[name];
    if (home !== undefined && home !== f.layer) refused();
    if (f.layer === "core" && !coreMayUsePackage(name)) refused();
  }
  return out;
}

const ours = (...names: string[]) => names.map((name) => ({ name, ours: true }));
const packages = (...names: string[]) => names.map((name) => ({ name, ours: false }));

test("every file of src/ is in a layer the rule knows", () => {
  expect(files.map((f) => f.layer).filter((layer) => !(layer in mayImport))).toEqual([]);
  for (const layer of ["core", "runtime", "storage", "net", "services", "api", "workers"]) {
    expect(files.some((f) => f.layer === layer)).toBe(true);
  }
});

test("the scanner sees real imports", () => {
  expect(files.some((f) => f.layer === "storage" && f.imports.some((i) => i.name === "bun:sqlite"))).toBe(true);
  expect(files.some((f) => f.layer === "api" && f.imports.some((i) => i.ours && i.name.startsWith("services/")))).toBe(true);
  // ...and the rule refuses what it should.
  expect(violations({ file: "core/x.ts", layer: "core", imports: [...ours("services/rooms"), ...packages("node:fs")] })).toHaveLength(2);
  expect(violations({ file: "workers/a/x.ts", layer: "workers", imports: ours("workers/b/protocol", "services/rooms", "workers/a/protocol") })).toHaveLength(2);
  expect(violations({ file: "services/x.ts", layer: "services", imports: [...packages("elysia"), ...ours("workers/a/pool")] })).toHaveLength(2);
  expect(violations({ file: "api/x.ts", layer: "api", imports: [...packages("bun:sqlite"), ...ours("storage", "net/x-matrix")] })).toHaveLength(3);
});

test("each layer imports only what the rule allows", () => {
  expect(files.flatMap(violations)).toEqual([]);
});

test("SQL stays inside src/storage", () => {
  const sql = /\b(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b/;
  const offenders = files
    .filter((f) => f.layer !== "storage")
    .filter((f) => sql.test(readFileSync(join(src, f.file), "utf8")))
    .map((f) => f.file);
  expect(offenders).toEqual([]);
});
