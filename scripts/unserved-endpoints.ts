/**
 * The spec endpoints this server does not serve yet: test/fixtures/spec-endpoints-v1.19.txt minus
 * the app's routes. docs/unserved-endpoints.txt is this list checked in; test/unserved-endpoints.test.ts
 * fails when it is out of date, so after adding (or removing) routes run
 *
 *   bun scripts/unserved-endpoints.ts
 *
 * and commit the regenerated file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../src/api/app";
import { methodsByPath, servesSpecPath } from "../src/api/http/route-table";
import { testServices } from "../test/helpers/services";

const ROOT = join(import.meta.dir, "..");
export const SPEC_LIST = join(ROOT, "test/fixtures/spec-endpoints-v1.19.txt");
export const UNSERVED_LIST = join(ROOT, "docs/unserved-endpoints.txt");
export const REGENERATE = "bun scripts/unserved-endpoints.ts";

const HEADER = [
  "# Endpoints of the Matrix spec v1.19 this server does not serve yet (a request gets 404 M_UNRECOGNIZED).",
  `# Generated from test/fixtures/spec-endpoints-v1.19.txt and the server's routes by \`${REGENERATE}\`;`,
  "# test/unserved-endpoints.test.ts fails when it is out of date.",
];

/** The spec's lines (`METHOD path [api] ...`) whose method and path no route answers. */
export async function unservedEndpoints(): Promise<string[]> {
  // With the optional endpoints switched on (URL previews): what this server can serve.
  const { services } = await testServices({ CONDUIT_URL_PREVIEW_ENABLED: "true" });
  const methodsFor = methodsByPath(createApp(services).routes);
  const spec = readFileSync(SPEC_LIST, "utf8").split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  return spec.filter((line) => {
    const [method, path, api] = line.split(" ") as [string, string, string];
    // Application services serve those; this server calls them.
    return api !== "[application-service]" && !servesSpecPath(methodsFor, method, path);
  });
}

export const renderUnserved = (lines: readonly string[]) => [...HEADER, ...lines, ""].join("\n");

if (import.meta.main) {
  const lines = await unservedEndpoints();
  writeFileSync(UNSERVED_LIST, renderUnserved(lines));
  console.log(`${UNSERVED_LIST}: ${lines.length} spec endpoints not served`);
  process.exit(0);
}
