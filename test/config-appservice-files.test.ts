// Appservice registration files listed in `app_service_config_files`: read at start, and every
// problem (missing file, bad YAML, bad field, a shared id or as_token) is one sentence naming the
// file and the line or field. The same YAML parser reads registrations given as text.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, parseRegistrationYaml, readAppserviceFiles } from "../src/config";

const dir = mkdtempSync(join(tmpdir(), "conduit-as-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const registration = (id: string, asToken: string) => `
id: ${id}
url: "http://127.0.0.1:29317"
as_token: ${asToken}
hs_token: hs-${id}
sender_localpart: ${id}bot
rate_limited: false
de.sorunome.msc2409.push_ephemeral: true
namespaces:
  users:
    - exclusive: true
      regex: '@${id}_.*:example\\.org'
  aliases: []
`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function refusal(paths: string[]): Promise<string> {
  try {
    await readAppserviceFiles({ app_service_config_files: paths, server_name: "example.org" });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const message = (e as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected the files to be refused");
}

test("the config key lists files; it defaults to none", async () => {
  const toml = file("c.toml", `[global]\napp_service_config_files = ["${join(dir, "a.yaml")}"]\n`);
  expect((await loadConfig({ path: toml, env: {} })).app_service_config_files).toEqual([join(dir, "a.yaml")]);
  expect((await loadConfig({ env: {} })).app_service_config_files).toEqual([]);
  // From the environment, a comma-separated list.
  expect((await loadConfig({ env: { CONDUIT_APP_SERVICE_CONFIG_FILES: "/a.yaml,/b.yaml" } })).app_service_config_files).toEqual(["/a.yaml", "/b.yaml"]);
});

test("good files load in order, with their paths", async () => {
  const a = file("good-a.yaml", registration("telegram", "as-telegram"));
  const b = file("good-b.yaml", registration("signal", "as-signal"));
  const loaded = await readAppserviceFiles({ app_service_config_files: [a, b], server_name: "example.org" });
  expect(loaded.map((l) => [l.path, l.registration.id])).toEqual([
    [a, "telegram"],
    [b, "signal"],
  ]);
  expect(loaded[0]!.registration).toMatchObject({ rateLimited: false, unstableEphemeral: true, namespaces: { users: [{ regex: "@telegram_.*:example\\.org", exclusive: true }] } });
});

test("a missing file is named", async () => {
  const path = join(dir, "nope.yaml");
  expect(await refusal([path])).toBe(`config key "app_service_config_files" names ${path}, which does not exist`);
});

test("bad YAML names the file and the line", async () => {
  const path = file("dup.yaml", registration("x", "as-x") + "as_token: again\n");
  expect(await refusal([path])).toMatch(new RegExp(`^appservice registration ${path} is not valid YAML: Map keys must be unique at line \\d+, column 1$`));
  const tabs = file("tabs.yaml", "id: x\nnamespaces:\n\tusers: []\n");
  expect(await refusal([tabs])).toContain("at line 3");
});

test("a bad field names the file and the field", async () => {
  const path = file("bad-regex.yaml", registration("x", "as-x").replace("'@x_.*:example\\.org'", "'@x_(('"));
  const message = await refusal([path]);
  expect(message).toStartWith(`appservice registration ${path} has a bad field: "namespaces.users[0].regex" is not a valid regular expression`);
  const numeric = file("numeric.yaml", registration("y", "0123e4"));
  expect(await refusal([numeric])).toBe(`appservice registration ${numeric} has a bad field: "as_token" is number 1230000, but it must be a string (quote it)`);
  const empty = file("empty.yaml", "");
  expect(await refusal([empty])).toContain('"(document)" is null');
});

test("two files with the same id or the same as_token are refused, naming both", async () => {
  const a = file("same-a.yaml", registration("telegram", "as-1"));
  const b = file("same-b.yaml", registration("telegram", "as-2"));
  const c = file("same-c.yaml", registration("signal", "as-1"));
  expect(await refusal([a, b])).toBe(`appservice registrations ${a} and ${b} have the same id, which must be unique`);
  expect(await refusal([a, c])).toBe(`appservice registrations ${a} and ${c} have the same as_token, which must be unique`);
});

test("registration text (an admin command's) is parsed by the same rules", () => {
  expect(parseRegistrationYaml(registration("t", "as-t"), "example.org")).toMatchObject({ ok: true, registration: { id: "t" } });
  expect(parseRegistrationYaml("id: [", "example.org")).toMatchObject({ ok: false, error: expect.stringContaining("is not valid YAML") });
  expect(parseRegistrationYaml("---\nid: a\n---\nid: b\n", "example.org")).toMatchObject({ ok: false, error: expect.stringContaining("multiple documents") });
  expect(parseRegistrationYaml("id: t\n", "example.org")).toEqual({ ok: false, error: 'has a bad field: "as_token" is missing' });
});
