/**
 * Serves the Hydrogen test page on loopback: our index.html, our app.js bundled for the browser
 * with Bun.build, and the SDK's service worker and assets and Olm's files straight from node_modules.
 */
import { join, normalize } from "node:path";
import type { BunPlugin } from "bun";

const here = import.meta.dir;
const modules = join(here, "..", "..", "..", "node_modules");
const sdk = join(modules, "hydrogen-view-sdk");
const roots: Record<string, string> = {
  "/assets/": join(sdk, "asset-build", "assets"),
  "/olm/": join(modules, "@matrix-org", "olm"),
};

/**
 * Hydrogen imports Olm only for bundlers to copy it; at run time it loads olm.js by script tag
 * from `assetPaths.olm`, so the module import is left empty.
 */
const olmByScriptTag: BunPlugin = {
  name: "olm-by-script-tag",
  setup(build) {
    build.onResolve({ filter: /^@matrix-org\/olm\/olm\.js$/ }, () => ({ path: "olm", namespace: "olm-empty" }));
    build.onLoad({ filter: /.*/, namespace: "olm-empty" }, () => ({ contents: "", loader: "js" }));
  },
};

export interface PageServer {
  url: string;
  stop(): void;
}

export async function servePage(): Promise<PageServer> {
  const built = await Bun.build({ entrypoints: [join(here, "app.js")], target: "browser", plugins: [olmByScriptTag] });
  if (!built.success) throw new Error(`bundling the Hydrogen page failed: ${built.logs.join("\n")}`);
  const bundle = await built.outputs[0]!.text();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/" || path === "/index.html") return new Response(Bun.file(join(here, "index.html")));
      if (path === "/app.js") return new Response(bundle, { headers: { "content-type": "text/javascript" } });
      if (path === "/sw.js") return new Response(Bun.file(join(sdk, "lib-build", "sw.js")));
      for (const [prefix, dir] of Object.entries(roots)) {
        if (!path.startsWith(prefix)) continue;
        const file = normalize(join(dir, decodeURIComponent(path.slice(prefix.length))));
        if (file.startsWith(dir)) return new Response(Bun.file(file));
      }
      return new Response("not found", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}
