/**
 * Appservice test helpers: registration YAML files, and a small appservice that records what the
 * homeserver sends it (transactions, user and alias queries, pings) and answers as told.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface RegistrationOptions {
  id: string;
  url?: string | null;
  asToken?: string;
  hsToken?: string;
  senderLocalpart?: string;
  /** Regexes of exclusive user namespaces (default `@<id>_.*`). */
  users?: string[];
  aliases?: string[];
  rooms?: string[];
  /** Extra YAML lines (`rate_limited: false`, `receive_ephemeral: true`, ...). */
  extra?: string[];
}

export function registrationYaml(o: RegistrationOptions): string {
  const list = (regexes: string[]) => (regexes.length === 0 ? " []" : regexes.map((r) => `\n    - exclusive: true\n      regex: '${r}'`).join(""));
  return [
    `id: ${o.id}`,
    `url: ${o.url === undefined || o.url === null ? "null" : JSON.stringify(o.url)}`,
    `as_token: ${o.asToken ?? `as-${o.id}`}`,
    `hs_token: ${o.hsToken ?? `hs-${o.id}`}`,
    `sender_localpart: ${o.senderLocalpart ?? `${o.id}bot`}`,
    "namespaces:",
    `  users:${list(o.users ?? [`@${o.id}_.*`])}`,
    `  aliases:${list(o.aliases ?? [])}`,
    `  rooms:${list(o.rooms ?? [])}`,
    ...(o.extra ?? []),
    "",
  ].join("\n");
}

/** Writes a registration file into `dir` and returns its path. */
export function writeRegistration(dir: string, o: RegistrationOptions): string {
  const path = join(dir, `${o.id}-registration.yaml`);
  writeFileSync(path, registrationYaml(o));
  return path;
}

/** The `[global]` TOML line listing registration files. */
export const appserviceFilesToml = (paths: string[]) => `app_service_config_files = ${JSON.stringify(paths)}`;
