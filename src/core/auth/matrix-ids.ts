/**
 * The server name of any sigilled id as the authorization rules compare them (`@user:server`,
 * `!room:server`, `$event:server` in v1-v2): everything after the first colon. Grammar checks
 * live in `../ids.ts`.
 */

export function serverNameOf(id: string): string | undefined {
  const colon = id.indexOf(":");
  return colon < 0 ? undefined : id.slice(colon + 1);
}
