/**
 * Knows which methods each registered path answers, so that a request with the wrong method gets
 * 405 `M_UNRECOGNIZED` rather than 404. Built once from the app's route list after registration.
 */
export interface RouteInfo {
  method: string;
  path: string;
}

function patternFor(path: string): RegExp {
  const escaped = path
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg === "*" ? ".*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}/?$`);
}

export function methodsByPath(routes: readonly RouteInfo[]): (path: string) => string[] {
  const compiled = routes.map((r) => ({ method: r.method, re: patternFor(r.path) }));
  return (path) => compiled.filter((r) => r.re.test(path)).map((r) => r.method);
}

/** Whether a route answers `method` on a spec path such as `/rooms/{roomId}/threads` (a parameter matches any segment). */
export function servesSpecPath(methodsFor: (path: string) => string[], method: string, specPath: string): boolean {
  return methodsFor(specPath.replace(/\{[^}]+\}/g, "x")).includes(method);
}

/** Clients such as Hydrogen still call the pre-v3 `r0` paths; they name the same endpoints. */
const legacyPrefixes: ReadonlyArray<[string, string]> = [
  ["/_matrix/client/r0/", "/_matrix/client/v3/"],
  ["/_matrix/media/r0/", "/_matrix/media/v3/"],
];

export function modernPath(pathname: string): string | undefined {
  for (const [legacy, modern] of legacyPrefixes) {
    if (pathname.startsWith(legacy)) return modern + pathname.slice(legacy.length);
  }
  return undefined;
}
